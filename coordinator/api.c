/* api — the public embedding API (include/coord.h): sessions, roots, the
 * run, and reading the frozen results (results.c builds them).
 *
 * Invariants
 *   - Every public entry point that may allocate in the session arena runs
 *     its work inside the one protected call (base/protect.h) guarding that
 *     arena, so coordinator code below it does not check allocations; when
 *     the call ends out of memory, the entry point fails with "out of memory"
 *     and COORD_EXIT_INTERNAL.
 *   - After coord_run the results are frozen: refs holds every report of
 *     every module sorted by (module name, line, column, code, message)
 *     with report_refs_sort, and `checked` every module with an artifact,
 *     sorted by module name; nothing depends on module ids, hence on timing.
 *   - coord_session_destroy frees every arena the session ever created; the
 *     runner is gone by then (coord_run joins its threads before returning).
 */
#include "coordinator/actor.h"

#include "base/mem.h"
#include "base/pool.h"
#include "base/protect.h"

#include <string.h>
#include <unistd.h>

/* ---- session ------------------------------------------------------------ */

CoordSession *coord_session_create(const CoordOptions *opts)
{
    CoordSession *s = mem_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (opts)
        s->opts = *opts;
    arena_init(&s->arena, ARENA_DEFAULT_CHUNK, 0);
    s->obs.last_module = NONE;
    return s;
}

/* The per-thread keep arenas of a session that runs once (actor.h). */
static void worker_keeps_free(CoordSession *s)
{
    for (uint32_t i = 0; i < s->worker_keep_count; i++)
        arena_free(&s->worker_keeps[i].arena);
    s->worker_keeps = NULL;
    s->worker_keep_count = 0;
}

void coord_session_destroy(CoordSession *s)
{
    if (!s)
        return;
    pool_ahead_end();   /* (discovery's, when the session never ran) */
    cache_close(s);     /* the mappings are listed in the modules' keep arenas */
    live_free(s);       /* the session tier's entries (live.c) */
    module_phase_free(s);
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        arena_free(&m->keep);
        live_retire(m);
    }
    if (s->types_arena)
        arena_free(s->types_arena);
    results_free_owned(s);
    worker_keeps_free(s);
    arena_free(&s->walk_tmp);
    arena_free(&s->arena);
    trace_free(s);
    mem_free(s);
}

const char *coord_error(const CoordSession *s) { return s->error; }
int coord_exit_status(const CoordSession *s) { return s->status; }

static uint32_t online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

/* Whether the pool may touch memory ahead on another core (base/pool.h,
 * pool_ahead): not at -j1, which creates no thread (DESIGN.md section 2),
 * nor on one CPU. */
static bool ahead_ok(const CoordSession *s)
{
    return s->opts.jobs != 1 && online_cpus() > 1;
}

/* coord_add_root / coord_add_search_dir, for the protected body. */
typedef struct AddCall {
    CoordSession *s;
    const char *path;
    bool search;
    int rc;
} AddCall;

static void add_body(void *ud)
{
    AddCall *c = ud;
    c->rc = c->search ? discover_search_dir(c->s, c->path) : discover_root(c->s, c->path);
}

static int add_path(CoordSession *s, const char *path, bool search)
{
    s->error[0] = '\0';
    if (s->ran) {
        snprintf(s->error, sizeof s->error, "%s after coord_run",
                 search ? "coord_add_search_dir" : "coord_add_root");
        return COORD_EXIT_USAGE;
    }
    uint64_t t;
    stats_entry_begin(s, &t);
    uint32_t known = s->mod_count;
    AddCall call = { s, path, search, 0 };
    Arena *const guarded[] = { &s->arena };
    pool_ahead(ahead_ok(s));    /* discovery is serial: the other cores idle */
    bool ok = protect_call(guarded, 1, add_body, &call);
    pool_ahead(false);
    if (!ok || (call.rc == 0 && live_record_add(s, path, search) != 0)) {
        snprintf(s->error, sizeof s->error, "out of memory");
        return COORD_EXIT_INTERNAL;
    }
    stats_entry_end(s, t);
    s->obs.setup_ns += s->obs.t_end - t;
    s->obs.setup_files += s->mod_count - known;
    return call.rc;
}

int coord_add_root(CoordSession *s, const char *path) { return add_path(s, path, false); }
int coord_add_search_dir(CoordSession *s, const char *dir) { return add_path(s, dir, true); }

/* ---- results ------------------------------------------------------------ */

/* The run failed as a whole (the coordinator out of memory, no file
 * descriptors): no reports, no types, one message, exit 3 — never a partial
 * result that would vary with timing. */
static int give_up(CoordSession *s, const char *why)
{
    s->ref_count = 0;
    s->checked_count = 0;
    s->errors = 0;
    s->warnings = 0;
    s->internal_failure = true;
    snprintf(s->error, sizeof s->error, "%s", why);
    return s->status = COORD_EXIT_INTERNAL;
}

/* coord check's walks (CoordSession.pending_walks), overlapped with the
 * first tasks when the runner has worker threads.  Their time is discovery
 * time but for the dispatching (the loop's). */
static int walk_pending(CoordSession *s)
{
    if (s->pending_count == 0)
        return 0;
    uint64_t begin = worker_now_nanos();
    uint32_t known = s->mod_count;
    s->walk_pump = runner_worker_slots(s->runner) > 0 ? actor_pump : NULL;
    int rc = discover_pending(s);
    s->walk_pump = NULL;
    uint64_t took = worker_now_nanos() - begin;
    s->obs.setup_ns += took > s->obs.pump_ns ? took - s->obs.pump_ns : 0;
    s->obs.setup_files += s->mod_count - known;
    return rc;
}

typedef struct RunCall {
    CoordSession *s;
    bool repeat;
    bool spare_core;    /* fewer runners than cores: pool_ahead during the run */
    int rc;             /* a repeated discovery failed: its exit status */
} RunCall;

static void run_body(void *ud)
{
    RunCall *c = ud;
    CoordSession *s = c->s;
    if (c->repeat) {    /* discovery again, as a cold run does (live.c) */
        uint64_t begin = worker_now_nanos();
        pool_ahead(ahead_ok(s));
        c->rc = live_rediscover(s);
        pool_ahead(c->spare_core);
        s->obs.setup_ns += worker_now_nanos() - begin;
        s->obs.setup_files += s->mod_count;
        if (!c->rc)
            cache_manifest_reopen(s);   /* the roots are known again */
    } else {
        c->rc = walk_pending(s);
        if (!c->rc)
            c->rc = live_add_overlays(s);
    }
    if (c->rc)
        return;
    actor_run(s);
    uint64_t collect_begin = worker_now_nanos();
    results_collect(s);
    s->obs.finish_ns = worker_now_nanos() - collect_begin;
}

/* The runner a run makes for itself: inline at -j1, else worker threads;
 * NULL with the reason in why. */
static Runner *own_runner(const CoordSession *s, char *why, size_t why_size)
{
    uint32_t jobs = s->opts.jobs ? s->opts.jobs : online_cpus();
    snprintf(why, why_size, "out of memory");
    return jobs == 1 ? runner_inline_create() : runner_threads_create(jobs, why, why_size);
}

/* What ends every run that ran (full or patched): the progress line goes,
 * the stats and the trace get its end. */
static void run_end(CoordSession *s, uint64_t t)
{
    if (s->opts.progress)
        progress_erase(s);
    stats_entry_end(s, t);
    if (s->opts.trace)
        trace_busy(s, s->obs.busy_since, s->obs.t_end);
}

static int run_build(CoordSession *s, Runner *given, bool repeat)
{
    Runner *own = NULL;
    cache_open(s);
    if (!given) {
        char why[160];
        own = own_runner(s, why, sizeof why);
        if (!own) {
            snprintf(s->error, sizeof s->error, "cannot start the worker pool: %s", why);
            return s->status = COORD_EXIT_INTERNAL;
        }
    }
    s->runner = given ? given : own;
    s->obs.jobs = runner_workers(s->runner);
    Arena *const guarded[] = { &s->arena };
    /* Fresh memory is paid for on first touch (base/pool.h): with a core
     * to spare, a pool thread touches the next region meanwhile. */
    RunCall call = { s, repeat, ahead_ok(s) && runner_workers(s->runner) < online_cpus(), 0 };
    pool_ahead(call.spare_core);
    bool ran = protect_call(guarded, 1, run_body, &call);
    pool_ahead_end();           /* (its thread joined: a run leaves none) */
    if (!ran) {
        /* the coordinator itself ran out of memory: collect what is in
         * flight, then give up on this build */
        actor_drain(s);
        runner_destroy(own);
        s->runner = NULL;
        live_end_run(s, false);
        return give_up(s, "out of memory");
    }
    if (call.rc)        /* (tasks of the modules found so far may be in flight) */
        actor_drain(s);
    runner_destroy(own);
    s->runner = NULL;
    if (call.rc) {      /* a root went away or cannot be read: no results,
                         * coord_error says why */
        live_end_run(s, false);
        return s->status = call.rc;
    }
    cache_finish(s);
    if (s->out_of_fds) {
        live_end_run(s, false);
        return give_up(s, "out of file descriptors while reading source files "
                          "(Too many open files; raise the limit: ulimit -n)");
    }
    live_end_run(s, true);
    s->status = s->internal_failure ? COORD_EXIT_INTERNAL
              : s->errors ? COORD_EXIT_ERRORS : COORD_EXIT_OK;
    return s->status;
}

/* Before a repeated run: the last run's modules hand their results to the
 * session tier (live.c), then everything of the run state goes: the
 * session arena, the modules' arenas, the results, the stats.  What stays:
 * the options and test hooks, the caches' handles, the session tier. */
static void reset_run_state(CoordSession *s)
{
    live_absorb(s);
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        arena_free(&m->keep);       /* live_absorb left nothing in it */
        live_retire(m);
    }
    module_phase_free(s);
    if (s->types_arena)
        arena_free(s->types_arena);
    results_free_owned(s);
    trace_free(s);
    manifest_close(s->manifest);    /* (run_body opens it again for the replayed roots) */
    worker_keeps_free(s);
    arena_free(&s->walk_tmp);
    arena_free(&s->arena);
    CoordOptions opts = s->opts;
    Runner *runner = s->runner;
    uint64_t (*task_cost)(const struct CoordSession *, const Result *) = s->task_cost;
    void (*on_result)(void *, const struct CoordSession *, const Result *) = s->on_result;
    void *on_result_ud = s->on_result_ud;
    uint64_t run_count = s->run_count;
    struct Live *live = s->live;
    CacheStore *cache = s->cache;
    Remote *remote = s->remote;
    RemoteConn **remote_free = s->remote_free;
    uint32_t remote_free_count = s->remote_free_count, remote_conn_count = s->remote_conn_count;
    memset(s, 0, sizeof *s);
    s->opts = opts;
    s->runner = runner;
    s->task_cost = task_cost;
    s->on_result = on_result;
    s->on_result_ud = on_result_ud;
    s->ran = true;
    s->run_count = run_count;
    s->live = live;
    s->cache = cache;
    s->remote = remote;
    s->remote_free = remote_free;
    s->remote_free_count = remote_free_count;
    s->remote_conn_count = remote_conn_count;
    arena_init(&s->arena, ARENA_DEFAULT_CHUNK, 0);
    s->obs.last_module = NONE;
}

/* A repeated run with nothing to look at (live_unchanged): the last run's
 * results, reports and exit status stand; its stats say so (no task, no
 * module rechecked or revalidated). */
static int run_unchanged(CoordSession *s)
{
    trace_free(s);
    uint32_t jobs = s->obs.jobs;
    memset(&s->obs, 0, sizeof s->obs);
    memset(&s->cache_obs, 0, sizeof s->cache_obs);
    memset(&s->remote_obs, 0, sizeof s->remote_obs);
    s->obs.last_module = NONE;
    s->obs.jobs = jobs;
    s->obs.session_patched = 1;
    s->run_count++;
    s->error[0] = '\0';
    uint64_t t;
    stats_entry_begin(s, &t);
    s->obs.busy_since = t;
    stats_entry_end(s, t);
    if (s->opts.trace)
        trace_busy(s, s->obs.busy_since, s->obs.t_end);
    return s->status;
}

static void patch_body(void *ud)
{
    RunCall *c = ud;
    c->rc = live_patch(c->s);
}

/* A repeated run that may patch the last run's state in place (live.c,
 * live_patch: no_rescan, only modules whose headers stayed the same
 * changed).  -1: it cannot; nothing of the run state changed, the caller
 * replays the run in full. */
static int run_patch(CoordSession *s, Runner *given)
{
    trace_free(s);
    memset(&s->obs, 0, sizeof s->obs);
    memset(&s->cache_obs, 0, sizeof s->cache_obs);  /* it reads no cache */
    memset(&s->remote_obs, 0, sizeof s->remote_obs);
    s->obs.last_module = NONE;
    s->error[0] = '\0';
    uint64_t t;
    stats_entry_begin(s, &t);
    s->obs.busy_since = t;
    Runner *own = NULL;
    if (!given) {
        char why[160];
        own = own_runner(s, why, sizeof why);
        if (!own)
            return -1;      /* the full replay says why */
    }
    s->runner = given ? given : own;
    s->obs.jobs = runner_workers(s->runner);
    Arena *const guarded[] = { &s->arena };
    RunCall call = { s, true, false, 0 };
    int status;
    if (!protect_call(guarded, 1, patch_body, &call)) {
        actor_drain(s);
        live_patch_abandon(s);
        runner_destroy(own);
        s->runner = NULL;
        live_end_run(s, false);
        status = give_up(s, "out of memory");
    } else {
        runner_destroy(own);
        s->runner = NULL;
        if (call.rc)
            return -1;
        if (s->out_of_fds) {
            live_end_run(s, false);
            status = give_up(s, "out of file descriptors while reading source files "
                                "(Too many open files; raise the limit: ulimit -n)");
        } else {
            live_end_run(s, true);
            s->obs.session_patched = 1;
            status = s->status = s->internal_failure ? COORD_EXIT_INTERNAL
                               : s->errors ? COORD_EXIT_ERRORS : COORD_EXIT_OK;
        }
    }
    s->run_count++;
    run_end(s, t);
    return status;
}

/* The build proper, between the clock readings of the stats. */
static int run_with(CoordSession *s, Runner *given)
{
    bool repeat = s->ran;
    if (repeat && s->opts.single_run) {
        snprintf(s->error, sizeof s->error,
                 "coord_run: this session was created with single_run and has run");
        return COORD_EXIT_USAGE;
    }
    if (repeat && live_unchanged(s))
        return run_unchanged(s);
    if (repeat && live_patchable(s)) {
        int status = run_patch(s, given);
        if (status >= 0)
            return status;
    }
    if (repeat)
        reset_run_state(s);
    s->ran = true;
    s->run_count++;
    uint64_t t;
    stats_entry_begin(s, &t);
    s->obs.busy_since = t;
    int status = run_build(s, given, repeat);
    run_end(s, t);
    return status;
}

int coord_run(CoordSession *s) { return run_with(s, NULL); }
int coord_run_with_runner(CoordSession *s, Runner *r) { return run_with(s, r); }

ModState coord_module_state(const CoordSession *s, const char *name, bool *failed)
{
    for (uint32_t i = 0; i < s->mod_count; i++) {
        if (strcmp(s->mods[i]->name, name) == 0) {
            if (failed)
                *failed = s->mods[i]->failed;
            return s->mods[i]->state;
        }
    }
    if (failed)
        *failed = true;
    return MS_DISCOVERED;
}

uint32_t coord_report_count(const CoordSession *s) { return s->ref_count; }
uint32_t coord_error_count(const CoordSession *s) { return s->errors; }
uint32_t coord_warning_count(const CoordSession *s) { return s->warnings; }

static void locate(const ReportContext *ctx, uint32_t offset, uint32_t *line, uint32_t *col)
{
    if (!ctx->lines) {
        *line = 1;
        *col = 1;
        return;
    }
    line_table_locate(ctx->lines, offset, line, col);
}

bool coord_report_get(const CoordSession *s, uint32_t i, CoordReport *out)
{
    if (i >= s->ref_count)
        return false;
    const ReportRef *ref = &s->refs[i];
    const Report *r = ref->report;
    out->severity = report_code_severity(r->code) == SEV_ERROR ? COORD_ERROR : COORD_WARNING;
    out->code = report_code_name(r->code);
    out->module = ref->ctx->module;
    out->file = ref->ctx->path;
    locate(ref->ctx, r->start, &out->line, &out->col);
    locate(ref->ctx, r->end, &out->end_line, &out->end_col);
    out->message = r->message;
    return true;
}

void coord_print_reports(const CoordSession *s, FILE *out, CoordFormat format, bool colour)
{
    if (format == COORD_FORMAT_SARIF) {
        co_print_sarif(s, out);
        return;
    }
    for (uint32_t i = 0; i < s->ref_count; i++) {
        const ReportRef *ref = &s->refs[i];
        if (format == COORD_FORMAT_JSON)
            report_render_json(out, ref->ctx, ref->report);
        else
            report_render_text(out, ref->ctx, ref->report, colour);
    }
}

uint32_t coord_module_count(const CoordSession *s) { return s->checked_count; }

const char *coord_module_name(const CoordSession *s, uint32_t m)
{
    return m < s->checked_count ? s->checked[m].name : NULL;
}

uint32_t coord_value_count(const CoordSession *s, uint32_t m)
{
    return m < s->checked_count ? s->checked[m].count : 0;
}

bool coord_value_get(const CoordSession *s, uint32_t m, uint32_t v,
                     const char **name, const char **type)
{
    if (m >= s->checked_count || v >= s->checked[m].count)
        return false;
    CheckedModule *c = &s->checked[m];
    if (!c->values) {           /* the first value asked of this module */
        c->values = arena_alloc(s->types_arena, (size_t)c->count * sizeof *c->values,
                                _Alignof(TypeLine));
        if (!c->values)
            return false;
        memset(c->values, 0, (size_t)c->count * sizeof *c->values);
    }
    TypeLine *line = &c->values[v];
    if (!line->name)
        line->name = artifact_value_name(s->checked[m].artifact, v);
    if (!line->type)
        line->type = artifact_value_type_string(s->checked[m].artifact, v, s->types_arena);
    if (!line->type)
        return false;
    *name = line->name;
    *type = line->type;
    return true;
}

void coord_print_types(const CoordSession *s, FILE *out)
{
    Arena scratch;
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 0);
    for (uint32_t m = 0; m < s->checked_count; m++)
        for (uint32_t v = 0; v < s->checked[m].count; v++) {
            fprintf(out, "%s.%s : ", s->checked[m].name,
                    artifact_value_name(s->checked[m].artifact, v));
            artifact_value_type_write(s->checked[m].artifact, v, out, &scratch);
            fputc('\n', out);
        }
    arena_free(&scratch);
}
