/* actor — the coordinator's loop: start tasks up to the runner's capacity,
 * then reap one result; apply it to the module's state machine.
 *
 * Invariants (see actor.h for the data)
 *   - Only this thread, and in it only this file, changes module states.
 *     discover.c creates a module DISCOVERED; every transition is one of
 *       DISCOVERED -> PARSING -> PARSED | DONE(failed)
 *       PARSED -> CANONICALIZING -> CANONICALIZED | DONE(failed)
 *       CANONICALIZED -> CHECKING -> DONE(succeeded | failed)
 *     and with a result cache (coordinator/cache.c)
 *       DISCOVERED -> LOADING -> LOADED | PARSED | DONE(failed)
 *       LOADED -> DONE(succeeded, reused) | PARSED (stale, or verified)
 *     and a module is dispatched only from the ready queue.  A LOADED module
 *     counts as parsed (its edges exist); it waits for waiting_checked == 0
 *     and is validated in the VALIDATE lane, on this thread (no task).
 *   - Modules [0, admitted) have been queued to parse: the actor admits new
 *     modules in id (discovery) order when a run starts and after each parse
 *     resolved imports, so `unparsed` counts every module known to the loop.
 *   - Waiting is counting: an edge's parsed_done / checked_done flag is
 *     completed here exactly once (asserted), decrementing its importer's
 *     counter; the importer becomes ready when its counter reaches zero in
 *     the matching state.  There is no scan over waiting modules.
 *   - The ready queue has one FIFO lane per task (READY_LANES): typecheck
 *     goes before canonicalize before parse: a later phase is closer to
 *     releasing dependents (a long import chain starts checking while the
 *     rest is still being parsed instead of after it) and to freeing its
 *     AST and IR arenas.  Which task runs first never changes what is
 *     reported, only when.
 *   - A task's inputs are chosen deterministically: canonicalize sees the
 *     interface of every import that parsed (whether or not that module
 *     failed later), typecheck sees the artifact of every import that was
 *     checked successfully and is not in a cycle with it; NULL otherwise.
 *     So what a module reports never depends on timing.
 *   - The cycle pass runs exactly once, when `unparsed` reaches zero; after
 *     it, every module not done is waiting only on acyclic edges, so the loop
 *     always ends with every module DONE (asserted).
 *   - Typecheck sequences: when a module's typecheck is dispatched and an
 *     importer of it is CANONICALIZED and waits for nothing but this very
 *     typecheck, the importer's typecheck rides along (Task.then) and runs
 *     next on the same worker, with no round trip through this thread; and
 *     so on, up to the runner's sequence room.  The importer is CHECKING
 *     from then on (never queued: its counter reaches zero while it is
 *     CHECKING), and its artifact slot for the import is filled by the
 *     worker exactly as import_artifact would fill it (the artifact if the
 *     import was checked, else NULL), so what it reports is the same.  Not
 *     with a result cache (the stored dependency record is made here, from
 *     final imports).  Each task still has its own result, in order.
 *   - The AST arena of a module is reset once it is canonicalized (by the
 *     worker, at the end of the canonicalize task; here when a module fails),
 *     the IR arena once it is checked (or fails).
 *   - The window: the parse lane is served only while fewer than `window`
 *     modules are open (first task dispatched, not DONE), so the workers
 *     run at most that far ahead of the modules that wait (a long chain's
 *     typechecks): open modules hold their AST or IR, and queued parse
 *     tasks would delay the chain's next typecheck.  When nothing is in
 *     flight and only parse tasks are ready, the window doubles (an import
 *     discovered late keeps many modules open: never a stall).  A load
 *     task opens each module it takes, and stops taking modules from the
 *     parse lane when the window closes; while loads are batched, the first
 *     window is at least LOAD_BATCH_MAX per task slot, so that every slot
 *     can hold a full batch.
 *   - Load tasks are batches: one takes m and up to LOAD_BATCH_MAX - 1
 *     modules behind it in the parse lane (load_batch_size: the lane
 *     spread over the free task slots); its result carries one result per
 *     module, applied in order as if each had come alone.  Once a load task
 *     says there was nothing to look in (an empty cache and no remote: a
 *     cold run), the rest of the run loads one module per task: each is
 *     then read and parsed as by a parse task, and its canonicalize (the
 *     lane before parse) finds its AST still in the CPU's cache, not behind
 *     63 other modules parsed in the same task.
 *   - Memory of this thread in the loop: a fresh page costs a page fault
 *     (on the virtual machines measured, 10 us for 4 KiB, more for a huge
 *     page), so the loop reuses what it can: the import array of a
 *     canonicalize or typecheck task (ifaces / artifacts) is taken from a
 *     free list by size class at dispatch and goes back when its result is
 *     applied (the worker is done with it then; a sequence's follower has
 *     its own); the ready lanes are sized for every known module before the
 *     loop; edges live in fixed blocks (never copied, see actor.h).
 *   - Observability (stats.c, trace.c, progress.c) only reads results and
 *     the clock: it never influences what is dispatched or reported.  A
 *     result of a task this thread ran inside runner_wait (worker 0, begun
 *     after the wait did: the threads runner's own share) is inline time,
 *     not waiting.  The
 *     dispatch of a canonicalize or typecheck computes the task's earliest
 *     begin on the critical path (cp_begin, cp_after) while it walks the
 *     imports for the task's array, so stats.c does not walk them again.
 */
#include "coordinator/actor.h"

#include "base/mem.h"

#include <assert.h>
#include <stddef.h>
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

/* ---- the ready queue ----------------------------------------------------- */

/* The first window: open modules per task the runner holds at once. */
#define WINDOW_PER_TASK 32u

static ReadyLane lane_of(ModState st)
{
#define READY_LANE_OF_(name, state) if (st == state) return LANE_##name;
    READY_LANES(READY_LANE_OF_)
#undef READY_LANE_OF_
    assert(0 && "a module is ready only in a state that runs a task");
    return LANE_PARSE;
}

static void ready_push(CoordSession *s, Module *m)
{
    ReadyQueue *q = &s->ready[lane_of(m->state)];
    if (q->count == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : 64;
        uint32_t *ring = co_alloc(s, cap * sizeof *ring);
        for (uint32_t i = 0; i < q->count; i++)
            ring[i] = q->ids[(q->head + i) % q->cap];
        q->ids = ring;
        q->cap = cap;
        q->head = 0;
    }
    q->ids[(q->head + q->count) % q->cap] = m->id;
    q->count++;
    s->ready_count++;
}

/* The first module of the first lane with one (the parse lane only while
 * the window is open), or NULL. */
static Module *ready_pop(CoordSession *s)
{
    uint32_t lanes = s->open < s->window ? LANE_COUNT : LANE_PARSE;
    ReadyQueue *q = s->ready;
    while (q < s->ready + lanes && q->count == 0)
        q++;
    if (q == s->ready + lanes)
        return NULL;
    uint32_t id = q->ids[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    s->ready_count--;
    return s->mods[id];
}

/* Modules discovered since the last call enter the parse lane. */
static void admit_discovered(CoordSession *s)
{
    for (; s->admitted < s->mod_count; s->admitted++) {
        Module *m = s->mods[s->admitted];
        assert(m->state == MS_DISCOVERED);
        s->unparsed++;
        ready_push(s, m);
    }
}

/* ---- waiting counters ----------------------------------------------------- */

/* m is parsed (or done after a failed parse): complete the edges into it. */
static void release_parsed(CoordSession *s, Module *m)
{
    for (uint32_t id = m->first_in; id != NONE; id = edge_at(s, id)->next_in) {
        Edge *e = edge_at(s, id);
        if (e->parsed_done)
            continue;
        e->parsed_done = true;
        Module *from = s->mods[e->from];
        assert((from->state == MS_PARSED || from->state == MS_LOADED) && from->waiting_parsed > 0);
        if (--from->waiting_parsed == 0 && from->state == MS_PARSED)
            ready_push(s, from);
    }
}

static void release_edge_checked(CoordSession *s, Edge *e)
{
    assert(!e->checked_done && "import edge completed twice");
    e->checked_done = true;
    Module *from = s->mods[e->from];
    assert(from->waiting_checked > 0);
    if (--from->waiting_checked == 0 &&
        (from->state == MS_CANONICALIZED || from->state == MS_LOADED))
        ready_push(s, from);
}

static void release_checked(CoordSession *s, Module *m)
{
    for (uint32_t id = m->first_in; id != NONE; id = edge_at(s, id)->next_in)
        if (!edge_at(s, id)->checked_done)
            release_edge_checked(s, edge_at(s, id));
}

/* ---- phase arenas -------------------------------------------------------- */

#define PHASE_CHUNK (16u * 1024u)
#define WORKER_KEEP_CHUNK (128u * 1024u)   /* (CoordSession.worker_keeps) */

PhaseArenas *module_phase_arenas(CoordSession *s, Module *m)
{
    if (!m->phase) {
        PhaseArenas *p = s->phase_free;
        if (p) {
            s->phase_free = p->next;
        } else {
            /* (on the heap: a patch run rewinds the session arena, and a
             * pair made in one outlives it on the free list) */
            p = mem_alloc(sizeof *p);
            if (!p)
                co_oom(s);
            arena_init(&p->ast, PHASE_CHUNK, 0);
            arena_init(&p->ir, PHASE_CHUNK, 0);
        }
        p->next = NULL;
        m->phase = p;
    }
    return m->phase;
}

/* A task of m writes into its keep arena and its pair of phase arenas. */
static void task_arenas(CoordSession *s, Module *m, Task *t)
{
    PhaseArenas *p = module_phase_arenas(s, m);
    t->keep = &m->keep;
    t->keep_by_worker = s->worker_keeps;
    t->ast_arena = &p->ast;
    t->ir_arena = &p->ir;
}

/* m's pair goes back, its arenas reset (their chunks freed). */
static void phase_arenas_release(CoordSession *s, Module *m)
{
    PhaseArenas *p = m->phase;
    if (!p)
        return;
    arena_reset(&p->ast);
    arena_reset(&p->ir);
    p->next = s->phase_free;
    s->phase_free = p;
    m->phase = NULL;
}

static void phase_pair_free(PhaseArenas *p)
{
    arena_free(&p->ast);
    arena_free(&p->ir);
    mem_free(p);
}

void module_phase_free(CoordSession *s)
{
    for (uint32_t i = 0; i < s->mod_count; i++)
        if (s->mods[i]->phase) {
            phase_pair_free(s->mods[i]->phase);
            s->mods[i]->phase = NULL;
        }
    while (s->phase_free) {
        PhaseArenas *p = s->phase_free;
        s->phase_free = p->next;
        phase_pair_free(p);
    }
}

/* ---- transitions ---------------------------------------------------------- */

/* A session that runs once (CoordOptions.single_run) parses a source into
 * its AST's arena (Task.src_transient): a module keeps no source after its
 * canonicalize (results.c reads it again for a module whose reports are
 * printed). */
static bool src_transient(const CoordSession *s)
{
    return s->opts.single_run;
}

static void finish(CoordSession *s, Module *m, bool failed)
{
    assert(m->state != MS_DONE && "module finished twice");
    /* tasks this module will never run (the progress line's total) */
    s->obs.skipped += m->state <= MS_PARSED ? 2u : m->state <= MS_CANONICALIZED ? 1u : 0u;
    m->state = MS_DONE;
    m->failed = failed;
    assert(s->open > 0);
    s->open--;
    m->ast = NULL;
    m->ir = NULL;
    if (src_transient(s))
        m->src = NULL;          /* (it may be in the AST's arena) */
    phase_arenas_release(s, m);
    release_parsed(s, m);     /* only after a failed parse is any left */
    release_checked(s, m);
}

/* A LOADED module whose imports are all final: reuse the first candidate
 * whose dependency record holds (DONE), or compute it afresh (PARSED, its
 * AST to come from its canonicalize task).  --cache-verify computes a
 * reused result afresh too and compares when it is checked. */
static void validate(CoordSession *s, Module *m)
{
    assert(m->state == MS_LOADED && m->waiting_checked == 0 && m->waiting_parsed == 0);
    bool lent = m->live_lent;       /* the session's result (live.c) */
    bool live = lent || m->in_patch; /* ... or a patch run's module's own */
    /* a patch run's module that is not lent: its own result is the one
     * candidate (its cands, if any, are what a disk-cache load gave) */
    const ModuleResult *own = m->in_patch && !lent ? m->lv->patch_res : NULL;
    uint32_t k;
    if (m->in_patch && live_patch_holds(s, m)) {
        k = 0;
    } else if (lent) {
        k = live_validate(s, m);
    } else if (own) {
        const ModuleResult *cands = m->cands;
        uint32_t count = m->cand_count;
        m->cands = own;
        m->cand_count = 1;
        k = cache_validate(s, m);
        m->cands = cands;
        m->cand_count = count;
    } else {
        k = cache_validate(s, m);
    }
    if (k != NONE) {
        if (live)
            s->obs.session_reused++;
        else
            s->cache_obs.hits++;
        if (!s->opts.cache_verify) {
            const ModuleResult *c = own ? own : &m->cands[k];
            m->reused = c;
            m->artifact = c->artifact;
            cache_note_digest(m, c->artifact, c->art_digest);
            m->deps = c->deps;
            for (int p = 0; p < COORD_PHASE_COUNT; p++)
                m->phase_reports[p] = c->reports[p];
            finish(s, m, false);
            return;
        }
        m->verify = k;
    } else if (live) {
        s->obs.session_stale++;
    } else {
        s->cache_obs.stale++;
    }
    if (lent)
        live_stale(s, m);
    else if (m->in_patch)
        live_patch_stale(s, m);
    m->state = MS_PARSED;
    ready_push(s, m);
}

/* How many modules the next load task takes, m and the parse lane behind
 * it: the lane spread evenly over the free task slots (so every worker gets
 * its share of it), at most LOAD_BATCH_MAX. */
static uint32_t load_batch_size(const CoordSession *s)
{
    if (s->loads_find_nothing)
        return 1;
    uint32_t waiting = 1 + s->ready[LANE_PARSE].count;
    uint32_t slots = runner_free_slots(s->runner);
    uint32_t k = (waiting + slots - 1) / (slots ? slots : 1);
    return k < 1 ? 1 : k > LOAD_BATCH_MAX ? LOAD_BATCH_MAX : k;
}

/* A session that runs once without a result cache reuses nothing: its
 * canonicalize and typecheck tasks make no dependency records. */
static bool no_deps(const CoordSession *s)
{
    return s->opts.single_run && !s->cache;
}

/* ... and with a result cache it makes them only for the entries it
 * writes: in the typecheck task's scratch, not in the modules' memory. */
static bool deps_transient(const CoordSession *s)
{
    return s->opts.single_run && s->cache;
}

/* Load item `lt` for module x, which becomes LOADING (the caller counts it
 * in s->open). */
static void load_item(CoordSession *s, Module *x, Task *lt)
{
    memset(lt, 0, sizeof *lt);
    lt->kind = TASK_LOAD;
    lt->module = x->id;
    task_arenas(s, x, lt);
    lt->path = x->path;
    lt->name = x->name;
    lt->cache = s->cache;
    lt->manifest = s->manifest;
    lt->deps_transient = deps_transient(s);    /* (its parse room, on a miss) */
    lt->src_transient = src_transient(s);
    x->state = MS_LOADING;
}

static Result *batch_results(LoadBatch *b)
{
    return (Result *)(void *)(b + 1);
}

/* A batch with room for `want` modules (1 .. LOAD_BATCH_MAX). */
static LoadBatch *load_batch_take(CoordSession *s, uint32_t want)
{
    uint32_t k = 0;
    while ((1u << k) < want)
        k++;
    LoadBatch *b = s->load_free[k];
    if (b) {
        s->load_free[k] = b->next;
        return b;
    }
    size_t cap = (size_t)1 << k;
    b = co_alloc(s, sizeof *b + cap * (sizeof(Result) + sizeof(Task)));
    b->size_class = k;
    b->items = (Task *)(void *)(batch_results(b) + cap);
    return b;
}

/* t becomes the load task of b's first n items. */
static void load_task(CoordSession *s, Task *t, LoadBatch *b, uint32_t n)
{
    t->kind = TASK_LOAD;
    t->cache = s->cache;
    t->loads = b->items;
    t->load_results = batch_results(b);
    t->load_count = n;
    t->remote = cache_remote_take(s, false);
}

/* A load task for m and the modules behind it in the parse lane (all
 * DISCOVERED: the parse lane holds nothing else), each LOADING.  Only when
 * the session tier has nothing (live_idle): every module is then FRESH. */
static void dispatch_load(CoordSession *s, Module *m, Task *t)
{
    uint32_t want = load_batch_size(s), n = 0;
    LoadBatch *b = load_batch_take(s, want);
    for (Module *x = m; x != NULL; x = n < want ? ready_pop(s) : NULL) {
        /* only the parse lane has modules here, and only while the window
         * is open: ready_pop gives NULL once the batch closed it */
        assert(x->state == MS_DISCOVERED);
        x->live_mode = LIVE_FRESH;
        load_item(s, x, &b->items[n]);
        s->open++;
        n++;
    }
    load_task(s, t, b, n);
}

/* A load task for m alone, in a live session's later run (live_dispatch
 * classified it FRESH or PROBE; a PROBE's item carries the key the
 * session's result was made from). */
static void dispatch_load_one(CoordSession *s, Module *m, Task *t, int mode)
{
    LoadBatch *b = load_batch_take(s, 1);
    Task *lt = &b->items[0];
    load_item(s, m, lt);
    if (mode == LIVE_PROBE) {
        lt->live = true;
        lt->live_key = live_probe_key(m);
    }
    load_task(s, t, b, 1);
}

static void interface_known(CoordSession *s, Module *m, ModState st);

/* Takes a free follow-up task slot for module m (one exists: there are
 * runner_sequence_max slots, the most follow-up tasks in flight at once). */
static Task *seq_slot_take(CoordSession *s, Module *m)
{
    assert(s->seq_busy < s->seq_slots && "no free sequence slot");
    uint32_t k = s->seq_free[s->seq_slots - 1 - s->seq_busy++];
    m->seq_slot = k;
    return &s->seq_tasks[k];
}

static void seq_slot_release(CoordSession *s, Module *m)
{
    if (m->seq_slot == NONE)
        return;
    s->seq_free[s->seq_slots - s->seq_busy--] = m->seq_slot;
    m->seq_slot = NONE;
}

/* An import array for m's task (room for n + 1 pointers): a free one of
 * its size class, else a new one in the session arena.  It is m's until
 * imports_release at the task's result. */
static void **imports_take(CoordSession *s, Module *m, uint32_t n)
{
    uint8_t k = 0;
    while ((4ull << k) < (uint64_t)n + 1)
        k++;
    void **p = s->imports_free[k];
    if (p)
        s->imports_free[k] = *p;
    else
        p = co_alloc(s, (4ull << k) * sizeof *p);
    m->task_imports = p;
    m->task_imports_class = k;
    return p;
}

/* m's task is over: its import array goes back to the free list. */
static void imports_release(CoordSession *s, Module *m)
{
    void **p = m->task_imports;
    if (!p)
        return;
    *p = s->imports_free[m->task_imports_class];
    s->imports_free[m->task_imports_class] = p;
    m->task_imports = NULL;
}

/* Fills t with m's typecheck; returns its artifacts array.  While walking
 * the imports it finds where the task could begin on an ideal machine
 * (stats.c: the critical path), from every import not in a cycle with m;
 * an import still to be checked (the one that precedes m in a sequence)
 * counts when the result comes (cp_after). */
static const Artifact **check_task(CoordSession *s, Module *m, Task *t)
{
    memset(t, 0, sizeof *t);
    t->kind = TASK_CHECK;
    t->module = m->id;
    task_arenas(s, m, t);
    t->measure_cpu = s->obs.measure_cpu;
    t->no_deps = no_deps(s);
    t->deps_transient = deps_transient(s);
    t->ir = m->ir;
    t->import_count = m->import_count;
    const Artifact **arts = (const Artifact **)imports_take(s, m, m->import_count);
    uint64_t begin = m->cp_end;
    m->cp_after = NONE;
    for (uint32_t i = 0; i < m->import_count; i++) {
        arts[i] = import_artifact(s, m, i);
        uint32_t id = m->import_edge[i];
        const Edge *e = id == NONE ? NULL : edge_at(s, id);
        if (!e || e->in_cycle)
            continue;
        const Module *to = s->mods[e->to];
        if (!e->checked_done)
            m->cp_after = to->id;
        else if (to->cp_end > begin)
            begin = to->cp_end;
    }
    m->cp_begin = begin;
    t->artifacts = arts;
    m->state = MS_CHECKING;
    return arts;
}

/* The importer of m whose typecheck can follow m's in a sequence: it is
 * CANONICALIZED and its only unfinished import is m.  *slot: the import's
 * place in its artifacts. */
static Module *sole_waiter(CoordSession *s, const Module *m, uint32_t *slot)
{
    for (uint32_t id = m->first_in; id != NONE; id = edge_at(s, id)->next_in) {
        const Edge *e = edge_at(s, id);
        Module *from = s->mods[e->from];
        if (!e->checked_done && from->state == MS_CANONICALIZED && from->waiting_checked == 1) {
            *slot = e->import_index;
            return from;
        }
    }
    return NULL;
}

/* t is m's typecheck: appends the typechecks that can follow it. */
static void extend_sequence(CoordSession *s, Module *m, Task *t)
{
    uint32_t room = runner_sequence_room(s->runner);
    uint32_t slot;
    Module *next;
    for (uint32_t len = 1; len < room && (next = sole_waiter(s, m, &slot)) != NULL; len++) {
        Task *nt = seq_slot_take(s, next);
        const Artifact **arts = check_task(s, next, nt);
        t->then = nt;
        t->fill = &arts[slot];
        s->obs.sequenced++;
        m = next;
        t = nt;
    }
}

static void dispatch(CoordSession *s, Module *m)
{
    Task t;
    memset(&t, 0, sizeof t);
    t.module = m->id;
    t.measure_cpu = s->obs.measure_cpu;
    t.no_deps = no_deps(s);
    t.deps_transient = deps_transient(s);
    t.src_transient = src_transient(s);
    switch (m->state) {
    case MS_DISCOVERED: {
        if (s->cache && live_idle(s)) {     /* every module FRESH: batched loads */
            dispatch_load(s, m, &t);
            break;
        }
        s->open++;
        int mode = live_dispatch(s, m);
        if (mode == LIVE_ADOPT) {       /* the session's result, no task */
            s->unparsed--;
            interface_known(s, m, MS_LOADED);
            return;
        }
        if ((s->cache || mode == LIVE_PROBE) && mode != LIVE_OVERLAY) {
            dispatch_load_one(s, m, &t, mode);
            break;
        }
        t.kind = TASK_PARSE;
        task_arenas(s, m, &t);
        t.path = m->path;
        t.name = m->name;
        if (mode == LIVE_OVERLAY) {
            t.src = live_overlay_copy(s, m);
            t.src_len = m->lv->overlay_len;
        }
        m->state = MS_PARSING;
        break;
    }
    case MS_LOADED:
        validate(s, m);
        return;
    case MS_PARSED: {
        t.kind = TASK_CANON;
        task_arenas(s, m, &t);
        t.ast = m->ast;
        t.src = m->src;             /* parsed again when ast is NULL (stale) */
        t.src_len = m->src_len;
        t.path = m->path;           /* read first when src is NULL (not read by its load) */
        t.self = m->self_iface ? m->self_iface : m->iface;
        t.import_count = m->import_count;
        const NameIface **ifaces = (const NameIface **)imports_take(s, m, m->import_count);
        uint64_t begin = m->cp_end;     /* (the critical path, as in check_task) */
        for (uint32_t i = 0; i < m->import_count; i++) {
            ifaces[i] = import_iface(s, m, i);
            uint32_t id = m->import_edge[i];
            const Module *to = id == NONE ? NULL : s->mods[edge_at(s, id)->to];
            if (to && to->cp_parsed > begin)
                begin = to->cp_parsed;
        }
        m->cp_begin = begin;
        t.ifaces = ifaces;
        m->state = MS_CANONICALIZING;
        break;
    }
    case MS_CANONICALIZED:
        check_task(s, m, &t);
        if (!m->in_patch)       /* (a patch run does not write the disk cache) */
            cache_prepare_store(s, m, &t);
        if (t.cache)
            t.remote = cache_remote_take(s, true);
        else if (!s->cache)
            extend_sequence(s, m, &t);
        break;
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
    if (r->cause == FAIL_NOFILE)
        s->out_of_fds = true;   /* no report: the run fails as a whole */
    else if (r->cause == FAIL_OOM)
        co_add_report(s, m, RC_E0901, 0, 0, "out of memory during %s", what);
    else
        co_add_report(s, m, RC_E0902, 0, 0, "internal compiler error during %s", what);
}

/* m's interface is known, parsed (PARSED) or loaded (LOADED): its imports
 * become edges and the modules waiting for its parse are released; it is
 * ready once what it waits for next is there. */
static void interface_known(CoordSession *s, Module *m, ModState st)
{
    m->state = st;
    graph_resolve_imports(s, m);
    admit_discovered(s);
    if (m->dup_of != NONE) {
        finish(s, m, true);     /* E0405; nobody imports it */
        return;
    }
    release_parsed(s, m);
    if ((st == MS_PARSED ? m->waiting_parsed : m->waiting_checked) == 0)
        ready_push(s, m);
}

static void on_result(CoordSession *s, const Result *r)
{
    Module *m = s->mods[r->module];
    m->nanos += r->nanos;
    cache_count(s, r);
    stats_on_result(s, m, r);
    if (s->opts.trace)
        trace_task(s, r);
    if (s->on_result)
        s->on_result(s->on_result_ud, s, r);
    switch (r->task) {
    case TASK_LOAD:
        assert(m->state == MS_LOADING && r->kind == RESULT_LOADED);
        s->unparsed--;
        if (r->same_bytes) {        /* the session's result is of these bytes */
            live_same_bytes(s, m, r);
            interface_known(s, m, MS_LOADED);
            break;
        }
        m->stamp = r->stamp;
        m->src = r->src;            /* NULL when the manifest spared the read */
        m->src_len = r->src_len;
        m->lines = r->lines;
        m->keyed = true;
        m->key = r->key;
        cache_note_stat(s, m, r);
        m->cand_count = r->cand_count;
        m->cands = r->cands;
        m->entries = r->entries;
        /* every candidate is of these very bytes: same interface, same
         * parse reports */
        m->iface = r->cands[0].iface;
        m->iface_fp = r->cands[0].iface_fp;
        m->phase_reports[TASK_PARSE] = r->cands[0].reports[TASK_PARSE];
        interface_known(s, m, MS_LOADED);
        break;
    case TASK_PARSE:
        assert(m->state == MS_PARSING || m->state == MS_LOADING);
        if (m->state == MS_LOADING && s->cache)
            s->cache_obs.misses++;
        m->stamp = r->stamp;
        m->keyed = r->keyed;
        m->key = r->key;
        if (r->keyed)
            cache_note_stat(s, m, r);
        m->lines = r->lines;
        m->phase_reports[TASK_PARSE] = r->reports;
        m->src = r->src;
        m->src_len = r->src_len;
        s->unparsed--;
        if (r->kind == RESULT_PARSED) {
            m->ast = r->ast;
            m->iface = r->iface;
            m->iface_fp = r->iface_fp;
            interface_known(s, m, MS_PARSED);
        } else {
            if (r->kind == RESULT_TASK_FAILED)
                task_failed(s, m, r);
            finish(s, m, true);
        }
        break;
    case TASK_CANON:
        assert(m->state == MS_CANONICALIZING);
        imports_release(s, m);
        m->phase_reports[TASK_CANON] = r->reports;
        if (src_transient(s))
            m->src = NULL;          /* the worker reset the AST's arena */
        if (r->src && !m->src) {    /* read now: its load did not */
            m->src = r->src;
            m->src_len = r->src_len;
        }
        if (r->parsed_too && r->iface_fp != m->iface_fp) {
            co_add_report(s, m, RC_E0902, 0, 0,
                          "internal compiler error: the cached interface of %s differs from its source",
                          co_display_name(m));
            finish(s, m, true);
            break;
        }
        if (r->parsed_too) {
            /* the same bytes, so the same interface and parse reports, now
             * in the module's own arena (a reused result's may go away) */
            m->iface = r->iface;
            m->phase_reports[TASK_PARSE] = r->parse_reports;
        }
        if (r->kind == RESULT_CANONICALIZED) {
            m->ir = r->ir;
            m->ast = NULL;          /* the worker reset its arena */
            m->state = MS_CANONICALIZED;
            if (m->waiting_checked == 0)
                ready_push(s, m);
        } else {
            task_failed(s, m, r);
            finish(s, m, true);
        }
        break;
    case TASK_CHECK:
        assert(m->state == MS_CHECKING);
        imports_release(s, m);
        seq_slot_release(s, m);
        m->phase_reports[TASK_CHECK] = r->reports;
        if (r->kind == RESULT_CHECKED) {
            m->artifact = r->artifact;
            cache_note_digest(m, r->artifact, r->art_digest);
            m->deps = r->deps;
            if (m->verify != NONE && !cache_verify_matches(m))
                co_add_report(s, m, RC_E0902, 0, 0,
                              "internal compiler error: the cached result of module %s differs "
                              "from checking it afresh (--cache-verify)", co_display_name(m));
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

/* A load task's result: its connection and counters, then each module's
 * own result in order; its LoadBatch goes back to the free list. */
static void on_load_result(CoordSession *s, const Result *r)
{
    cache_count(s, r);
    s->loads_find_nothing |= r->found_nothing;
    for (uint32_t i = 0; i < r->loaded_count; i++) {
        Result *sub = &r->loaded[i];
        sub->worker = r->worker;
        on_result(s, sub);
    }
    LoadBatch *b = (LoadBatch *)(void *)r->loaded - 1;
    b->next = s->load_free[b->size_class];
    s->load_free[b->size_class] = b;
}

/* Once nothing is left to read or parse the graph is complete: report its
 * cycles and complete their edges.  True when it ran now. */
static bool cycles_once(CoordSession *s)
{
    if (s->cycles_done || s->unparsed != 0)
        return false;
    s->cycles_done = true;
    uint32_t count = 0;
    uint32_t *edges = cycles_report(s, &count);
    for (uint32_t i = 0; i < count; i++)
        release_edge_checked(s, edge_at(s, edges[i]));
    return true;
}

/* actor_run's setup (actor_pump's, when discovery overlaps the first
 * tasks). */
static void actor_begin(CoordSession *s)
{
    if (s->actor_begun)
        return;
    s->actor_begun = true;
    /* A session that runs once frees nothing of a module before its end:
     * what the tasks keep is packed per thread (Task.keep_by_worker). */
    if (s->opts.single_run && !s->worker_keeps) {
        uint32_t n = runner_workers(s->runner);
        WorkerKeep *keeps = arena_alloc(&s->arena, n * sizeof *keeps, _Alignof(WorkerKeep));
        for (uint32_t i = 0; i < n; i++)
            arena_init(&keeps[i].arena, WORKER_KEEP_CHUNK, 0);
        s->worker_keeps = keeps;
        s->worker_keep_count = n;
    }
    uint32_t slots = runner_sequence_max(s->runner);
    if (s->seq_slots != slots) {    /* (a patch run reuses the last run's) */
        s->seq_slots = slots;
        s->seq_tasks = co_alloc(s, slots * sizeof *s->seq_tasks);
        s->seq_free = co_alloc(s, slots * sizeof *s->seq_free);
    }
    for (uint32_t k = 0; k < slots; k++)     /* a stack of free slots */
        s->seq_free[k] = slots - 1 - k;
    s->seq_busy = 0;
    s->window = WINDOW_PER_TASK * runner_capacity(s->runner);
    /* Batched loads (dispatch_load) put up to LOAD_BATCH_MAX modules in one
     * task: the window lets every slot of the runner hold a full batch, or
     * a warm run's loads would leave slots empty (with the coordinator's
     * own share at -j2, half the runners idle: a no-manifest warm run took
     * as long at -j2 as at -j1). */
    if (s->cache && live_idle(s) && s->window < LOAD_BATCH_MAX * runner_capacity(s->runner))
        s->window = LOAD_BATCH_MAX * runner_capacity(s->runner);
    actor_reserve_ready(s);     /* rings that hold every module known now */
    cache_memo_begin(s);
    s->loads_find_nothing = false;
}

/* What the loop does with each result. */
static void apply_result(CoordSession *s, Result *r)
{
    /* a load task: one result per module it loaded */
    s->obs.loop_tasks += r->task == TASK_LOAD ? r->loaded_count : 1;
    if (r->task == TASK_LOAD)
        on_load_result(s, r);
    else
        on_result(s, r);
    cycles_once(s);
    if (s->opts.progress)
        progress_update(s);
}

void actor_pump(CoordSession *s)
{
    uint64_t begin = worker_now_nanos();
    actor_begin(s);
    admit_discovered(s);
    /* (no window while discovering: only the parse lane holds modules, and
     * the workers take what they can) */
    uint32_t window = s->window;
    s->window = UINT32_MAX;
    Module *m;
    while (runner_worker_slots(s->runner) > 0 && (m = ready_pop(s)) != NULL) {
        dispatch(s, m);
        s->obs.pumped++;
    }
    s->window = window;
    Result r;
    while (runner_poll(s->runner, &r)) {
        s->stashed = co_grow(s, s->stashed, s->stashed_count, &s->stashed_cap, sizeof r, 64);
        s->stashed[s->stashed_count++] = r;
    }
    s->obs.pump_ns += worker_now_nanos() - begin;
}

void actor_run(CoordSession *s)
{
    uint64_t loop_begin = worker_now_nanos();
    uint64_t idle_before = s->obs.wait_ns + s->obs.inline_ns;
    actor_begin(s);
    admit_discovered(s);
    for (uint32_t i = 0; i < s->stashed_count; i++)
        apply_result(s, &s->stashed[i]);
    s->stashed_count = 0;
    for (;;) {
        Module *m;
        while (s->ready_count > 0 && runner_free_slots(s->runner) > 0 &&
               (m = ready_pop(s)) != NULL)
            dispatch(s, m);
        if (runner_in_flight(s->runner) == 0) {
            if (s->ready_count > 0) {   /* only parse tasks, window closed */
                s->window *= 2;
                continue;
            }
            if (cycles_once(s))
                continue;
            break;
        }
        Result r;
        uint64_t wait_begin = worker_now_nanos();
        if (s->opts.trace)
            trace_busy(s, s->obs.busy_since, wait_begin);
        runner_wait(s->runner, &r);
        s->obs.busy_since = worker_now_nanos();
        uint64_t waited = s->obs.busy_since - wait_begin;
        /* a task this thread ran itself inside the wait (the threads
         * runner's own share) is inline time (stats.c), not waiting */
        if (r.worker == 0 && r.start_nanos >= wait_begin)
            waited = waited > r.nanos ? waited - r.nanos : 0;
        s->obs.wait_ns += waited;
        apply_result(s, &r);
    }
    uint64_t idle = s->obs.wait_ns + s->obs.inline_ns - idle_before;
    uint64_t loop = worker_now_nanos() - loop_begin;
    s->obs.loop_ns = (loop > idle ? loop - idle : 0) + s->obs.pump_ns;
    s->obs.pump_ns = 0;
    s->actor_begun = false;
    for (uint32_t i = 0; i < s->mod_count; i++)
        assert(s->mods[i]->state == MS_DONE && "a module was left waiting");
}

void actor_reserve_ready(CoordSession *s)
{
    for (int l = 0; l < LANE_COUNT; l++) {
        ReadyQueue *q = &s->ready[l];
        if (q->cap > s->mod_count)
            continue;
        assert(q->count == 0);
        q->cap = s->mod_count + 1;
        q->ids = co_alloc(s, q->cap * sizeof *q->ids);
        q->head = 0;
    }
}

void actor_run_patch(CoordSession *s, Module *const *list, uint32_t n, uint32_t changed)
{
    for (uint32_t k = 0; k < n; k++) {
        Module *m = list[k];
        assert(m->state == MS_DONE && m->in_patch);
        m->state = k < changed ? MS_PARSED : MS_LOADED;
        m->failed = false;
        m->waiting_parsed = m->waiting_checked = 0;
    }
    for (uint32_t k = 0; k < n; k++) {
        Module *m = list[k];
        for (uint32_t i = 0; i < m->import_count; i++) {
            uint32_t id = m->import_edge[i];
            if (id == NONE || edge_at(s, id)->in_cycle || !s->mods[edge_at(s, id)->to]->in_patch)
                continue;
            edge_at(s, id)->checked_done = false;
            m->waiting_checked++;
        }
    }
    s->open += n;
    for (uint32_t k = 0; k < n; k++)
        if (list[k]->waiting_checked == 0 || k < changed)
            ready_push(s, list[k]);     /* (a PARSED one canonicalizes first) */
    actor_run(s);
}

/* What a result holds that must go back unapplied: its connection, its
 * loaded entries' holds. */
static void drop_result(CoordSession *s, Result *r)
{
    if (r->remote)              /* the connection comes back to be freed */
        cache_count(s, r);
    for (uint32_t i = 0; r->task == TASK_LOAD && i < r->loaded_count; i++) {
        const Result *sub = &r->loaded[i];
        for (uint32_t k = 0; sub->kind == RESULT_LOADED && k < sub->cand_count; k++)
            cache_hold_release(&sub->entries[k]);
    }
}

/* Collects the results of tasks still in flight (and those stashed) after
 * the coordinator ran out of memory or a walk failed: their arenas must
 * come back before anything is freed. */
void actor_drain(CoordSession *s)
{
    for (uint32_t i = 0; i < s->stashed_count; i++)
        drop_result(s, &s->stashed[i]);
    s->stashed_count = 0;
    Result r;
    while (s->runner && runner_in_flight(s->runner) > 0) {
        runner_wait(s->runner, &r);
        drop_result(s, &r);
    }
}
