/* actor — the coordinator's loop: start tasks up to the runner's capacity,
 * then reap one result; apply it to the module's state machine.
 *
 * Invariants (see actor.h for the data)
 *   - Only this thread changes module states.  Every transition is one of
 *       DISCOVERED -> PARSING -> PARSED | DONE(failed)
 *       PARSED -> CANONICALIZING -> CANONICALIZED | DONE(failed)
 *       CANONICALIZED -> CHECKING -> DONE(succeeded | failed)
 *     and a module is dispatched only from the ready queue.
 *   - A task's inputs are chosen deterministically: canonicalize sees the
 *     interface of every import that parsed (whether or not that module
 *     failed later), typecheck sees the artifact of every import that was
 *     checked successfully and is not in a cycle with it; NULL otherwise.
 *     So what a module reports never depends on timing.
 *   - The cycle pass runs exactly once, when `unparsed` reaches zero; after
 *     it, every module not done is waiting only on acyclic edges, so the loop
 *     always ends with every module DONE (asserted).
 *   - The AST arena of a module is reset once it is canonicalized (by the
 *     worker, at the end of the canonicalize task; here when a module fails),
 *     the IR arena once it is checked (or fails).
 *   - Observability (stats.c, trace.c, progress.c) only reads results and
 *     the clock: it never influences what is dispatched or reported.
 */
#include "coordinator/actor.h"

#include <assert.h>
#include <string.h>

const char *module_state_name(ModState st)
{
    static const char *const names[] = {
#define MODULE_STATE_NAME_(name, desc) desc,
        MODULE_STATES(MODULE_STATE_NAME_)
#undef MODULE_STATE_NAME_
    };
    return names[st];
}

static void finish(CoordSession *s, Module *m, bool failed)
{
    assert(m->state != MS_DONE && "module finished twice");
    /* tasks this module will never run (the progress line's total) */
    s->obs.skipped += m->state <= MS_PARSED ? 2u : m->state <= MS_CANONICALIZED ? 1u : 0u;
    m->state = MS_DONE;
    m->failed = failed;
    m->ast = NULL;
    m->ir = NULL;
    arena_reset(&m->ast_arena);
    arena_reset(&m->ir_arena);
    graph_release_parsed(s, m);     /* only after a failed parse is any left */
    graph_release_checked(s, m);
}

static void dispatch(CoordSession *s, Module *m)
{
    Task t;
    memset(&t, 0, sizeof t);
    t.module = m->id;
    t.keep = &m->keep;
    t.ast_arena = &m->ast_arena;
    t.ir_arena = &m->ir_arena;
    switch (m->state) {
    case MS_DISCOVERED:
        t.kind = TASK_PARSE;
        t.path = m->path;
        m->state = MS_PARSING;
        break;
    case MS_PARSED: {
        t.kind = TASK_CANON;
        t.ast = m->ast;
        t.self = m->iface;
        t.import_count = m->import_count;
        const NameIface **ifaces = co_alloc(s, (m->import_count + 1) * sizeof *ifaces);
        for (uint32_t i = 0; i < m->import_count; i++) {
            uint32_t e = m->import_edge[i];
            ifaces[i] = e == NONE ? NULL : s->mods[s->edges[e].to]->iface;
        }
        t.ifaces = ifaces;
        m->state = MS_CANONICALIZING;
        break;
    }
    case MS_CANONICALIZED: {
        t.kind = TASK_CHECK;
        t.ir = m->ir;
        t.import_count = m->import_count;
        const Artifact **arts = co_alloc(s, (m->import_count + 1) * sizeof *arts);
        for (uint32_t i = 0; i < m->import_count; i++) {
            uint32_t e = m->import_edge[i];
            const Module *to = e == NONE ? NULL : s->mods[s->edges[e].to];
            arts[i] = (!to || s->edges[e].in_cycle || to->failed) ? NULL : to->artifact;
        }
        t.artifacts = arts;
        m->state = MS_CHECKING;
        break;
    }
    default:
        assert(0 && "module in the ready queue in a state that runs no task");
        return;
    }
    s->obs.last_module = m->id;
    s->obs.last_task = (uint8_t)t.kind;
    bool ok = runner_submit(s->runner, &t);
    assert(ok && "runner refused a task below its capacity");
    (void)ok;
}

static void task_failed(CoordSession *s, Module *m, const Result *r)
{
    const char *what = task_kind_name(r->task);
    if (r->cause == FAIL_OOM)
        co_add_report(s, m, RC_E0901, 0, 0, "out of memory during %s", what);
    else
        co_add_report(s, m, RC_E0902, 0, 0, "internal compiler error during %s", what);
}

static void on_result(CoordSession *s, const Result *r)
{
    Module *m = s->mods[r->module];
    m->nanos += r->nanos;
    stats_on_result(s, m, r);
    if (s->opts.trace)
        trace_task(s, r);
    switch (r->task) {
    case TASK_PARSE:
        assert(m->state == MS_PARSING);
        m->phase_reports[0] = r->reports;
        m->src = r->src;
        m->src_len = r->src_len;
        s->unparsed--;
        if (r->kind == RESULT_PARSED) {
            m->ast = r->ast;
            m->iface = r->iface;
            graph_on_parsed(s, m);
            if (m->dup_of != NONE)
                finish(s, m, true);
        } else {
            if (r->kind == RESULT_TASK_FAILED)
                task_failed(s, m, r);
            finish(s, m, true);
        }
        break;
    case TASK_CANON:
        assert(m->state == MS_CANONICALIZING);
        m->phase_reports[1] = r->reports;
        if (r->kind == RESULT_CANONICALIZED) {
            m->ir = r->ir;
            m->ast = NULL;          /* the worker reset its arena */
            m->state = MS_CANONICALIZED;
            if (m->waiting_checked == 0)
                graph_ready_push(s, m->id);
        } else {
            task_failed(s, m, r);
            finish(s, m, true);
        }
        break;
    case TASK_CHECK:
        assert(m->state == MS_CHECKING);
        m->phase_reports[2] = r->reports;
        if (r->kind == RESULT_CHECKED) {
            m->artifact = r->artifact;
            finish(s, m, false);
        } else {
            task_failed(s, m, r);
            finish(s, m, true);
        }
        break;
    case TASK_STOP:
        assert(0 && "a stop message has no result");
        break;
    }
}

void actor_run(CoordSession *s)
{
    for (;;) {
        while (s->ready_count > 0 && runner_in_flight(s->runner) < runner_capacity(s->runner)) {
            dispatch(s, s->mods[graph_ready_pop(s)]);
        }
        if (runner_in_flight(s->runner) == 0) {
            if (!s->cycles_done && s->unparsed == 0) {
                /* nothing left to read or parse: the graph is complete */
                s->cycles_done = true;
                cycles_report(s);
                continue;
            }
            break;
        }
        Result r;
        uint64_t wait_begin = worker_now_nanos();
        if (s->opts.trace)
            trace_busy(s, s->obs.busy_since, wait_begin);
        runner_wait(s->runner, &r);
        s->obs.busy_since = worker_now_nanos();
        s->obs.wait_ns += s->obs.busy_since - wait_begin;
        on_result(s, &r);
        if (!s->cycles_done && s->unparsed == 0) {
            s->cycles_done = true;
            cycles_report(s);
        }
        if (s->opts.progress)
            progress_update(s);
    }
    for (uint32_t i = 0; i < s->mod_count; i++)
        assert(s->mods[i]->state == MS_DONE && "a module was left waiting");
}

/* Collects the results of tasks still in flight after the coordinator ran
 * out of memory: their arenas must come back before anything is freed. */
void actor_drain(CoordSession *s)
{
    Result r;
    while (s->runner && runner_in_flight(s->runner) > 0)
        runner_wait(s->runner, &r);
}
