/* stats — what a build cost: per-phase task CPU time, coordinator busy time,
 * peak RSS, and the makespan lower bound next to the real wall time
 * (coord check --stats, coord_stats).
 *
 * Invariants
 *   - Everything here runs on the session's thread and only reads what the
 *     workers measured and sent back in their results; measuring changes no
 *     other output and no scheduling decision.
 *   - The build's clock starts at the first public entry point that works on
 *     the build (coord_add_root, coord_add_search_dir, coord_run) and stops
 *     when coord_run returns.  Coordinator busy time is the time spent inside
 *     those entry points, minus the time blocked in runner_wait, minus the
 *     time of tasks run inline on this thread (-j1, and at -jN the share the
 *     threads runner runs on it inside runner_wait, which actor.c takes out
 *     of the waiting time): what is left is the
 *     coordinator's own bookkeeping (wall time, so it also counts time the
 *     thread was runnable but had no core).  Its CPU time is the thread's
 *     CPU clock over the same entry points minus the inline tasks' CPU; it
 *     also counts what waiting costs (the brief spin, the futex calls).
 *     Setup (adding roots: discovery) and finish (collecting the results
 *     after the last task) are parts of the busy time, reported apart, and
 *     so is the loop (actor_run from its first dispatch to its last result,
 *     minus waiting and inline tasks).  Thread CPU clocks (a system call,
 *     not a vDSO read) are read only with opts.stats: without it every
 *     task's cost is its wall time and the coordinator's CPU time is 0.
 *     A task's two reads fall inside its own wall time (workers/task.c), so
 *     a task run on this thread does not charge them to the coordinator.
 *   - The critical path is computed online: a module's canonicalize is
 *     dispatched only after every import was parsed, and its typecheck only
 *     after every import not in a cycle with it is done (but for the one
 *     that precedes it in a typecheck sequence, whose result comes first),
 *     so the values the dispatch reads from its imports (actor.c: cp_begin,
 *     cp_after, while it walks them for the task anyway) are final.  cp_parsed is
 *     the end of the module's parse on an ideal machine with unbounded
 *     workers and free scheduling; cp_end the end of its latest phase so far.
 */
#include "coordinator/actor.h"

#include <string.h>
#include <sys/resource.h>

void stats_entry_begin(CoordSession *s, uint64_t *start)
{
    *start = worker_now_nanos();
    s->obs.measure_cpu = s->opts.stats;
    if (s->obs.measure_cpu)
        s->obs.entry_cpu_begin = worker_thread_cpu_nanos();
    if (!s->obs.started) {
        s->obs.started = true;
        s->obs.t0 = *start;
    }
}

void stats_entry_end(CoordSession *s, uint64_t start)
{
    uint64_t now = worker_now_nanos();
    s->obs.entry_ns += now - start;
    if (s->obs.measure_cpu)
        s->obs.entry_cpu_ns += worker_thread_cpu_nanos() - s->obs.entry_cpu_begin;
    s->obs.t_end = now;
}

_Static_assert((int)TASK_PARSE == COORD_PHASE_PARSE && (int)TASK_CANON == COORD_PHASE_CANONICALIZE &&
               (int)TASK_CHECK == COORD_PHASE_TYPECHECK, "task kinds index the phase arrays");

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

void stats_on_result(CoordSession *s, Module *m, const Result *r)
{
    Obs *o = &s->obs;
    if (r->worker == 0) {
        o->inline_ns += r->nanos;
        o->inline_cpu_ns += r->cpu_nanos;
    }
    if (r->task == TASK_LOAD)
        o->lines += r->lines;       /* a loaded module runs no phase */
    if (r->task == TASK_CANON && r->parsed_too)
        o->phase_tasks[TASK_PARSE]++;   /* its cached results were stale */
    if (r->task > TASK_CHECK)
        return;
    if (!m->ran_phase) {
        m->ran_phase = true;
        o->rechecked++;
    }
    uint64_t cost = s->task_cost ? s->task_cost(s, r) : r->cpu_nanos;
    o->phase_tasks[r->task]++;
    o->phase_cpu[r->task] += cost;
    switch (r->task) {
    case TASK_PARSE:
        o->lines += r->lines;
        m->cp_parsed = m->cp_end = cost;
        break;
    case TASK_CANON:
        m->cp_end = m->cp_begin + cost;
        break;
    case TASK_CHECK:
        m->cp_end = (m->cp_after == NONE ? m->cp_begin
                     : max_u64(m->cp_begin, s->mods[m->cp_after]->cp_end)) + cost;
        break;
    default:
        break;
    }
    o->critical = max_u64(o->critical, m->cp_end);
}

const char *coord_phase_name(CoordPhase p)
{
    static const char *const names[] = { "parse", "canonicalize", "typecheck" };
    return p < COORD_PHASE_COUNT ? names[p] : "?";
}

bool coord_stats(const CoordSession *s, CoordStats *out)
{
    memset(out, 0, sizeof *out);
    if (!s->ran)
        return false;
    const Obs *o = &s->obs;
    out->jobs = o->jobs ? o->jobs : 1;
    out->modules = s->mod_count;
    out->lines = o->lines;
    for (int p = 0; p < COORD_PHASE_COUNT; p++) {
        out->phase_tasks[p] = o->phase_tasks[p];
        out->phase_cpu_ns[p] = o->phase_cpu[p];
        out->tasks += o->phase_tasks[p];
        out->task_cpu_ns += o->phase_cpu[p];
    }
    uint64_t idle = o->wait_ns + o->inline_ns;
    out->coordinator_busy_ns = o->entry_ns > idle ? o->entry_ns - idle : 0;
    out->coordinator_ns_per_task =
        out->tasks ? (double)out->coordinator_busy_ns / (double)out->tasks : 0.0;
    out->coordinator_cpu_ns =
        o->entry_cpu_ns > o->inline_cpu_ns ? o->entry_cpu_ns - o->inline_cpu_ns : 0;
    out->coordinator_setup_ns = o->setup_ns;
    out->coordinator_finish_ns = o->finish_ns;
    out->coordinator_loop_ns = o->loop_ns;
    out->coordinator_loop_ns_per_task =
        o->loop_tasks ? (double)o->loop_ns / (double)o->loop_tasks : 0.0;
    out->coordinator_discovery_ns_per_file =
        o->setup_files ? (double)o->setup_ns / (double)o->setup_files : 0.0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        out->peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024u;
    out->critical_path_ns = o->critical;
    out->lower_bound_ns = max_u64(out->task_cpu_ns / out->jobs, o->critical);
    out->wall_ns = o->t_end - o->t0;
    out->efficiency = out->wall_ns ? (double)out->lower_bound_ns / (double)out->wall_ns : 0.0;
    out->cache = s->cache != NULL;
    out->cache_hits = s->cache_obs.hits;
    out->cache_misses = s->cache_obs.misses;
    out->cache_stale = s->cache_obs.stale;
    out->cache_corrupt = s->cache_obs.corrupt;
    out->cache_written = s->cache_obs.written;
    out->cache_unread = s->cache_obs.unread;
    out->cache_bytes_read = s->cache_obs.bytes_read;
    out->cache_bytes_written = s->cache_obs.bytes_written;
    out->remote = s->remote != NULL;
    out->remote_hits = s->remote_obs.hits;
    out->remote_misses = s->remote_obs.misses;
    out->remote_errors = s->remote_obs.errors;
    out->remote_written = s->remote_obs.written;
    out->remote_bytes_read = s->remote_obs.bytes_read;
    out->remote_bytes_written = s->remote_obs.bytes_written;
    out->remote_wait_ns = s->remote_obs.wait_ns;
    out->remote_round_trips = s->remote_obs.round_trips;
    out->run = s->run_count;
    out->rechecked = o->rechecked;
    out->session_reused = o->session_reused;
    out->session_stale = o->session_stale;
    out->session_patched = o->session_patched;
    return true;
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

void coord_print_stats(const CoordSession *s, FILE *out)
{
    CoordStats st;
    if (!coord_stats(s, &st))
        return;
    fprintf(out, "stats.jobs: %u\n", st.jobs);
    fprintf(out, "stats.modules: %u\n", st.modules);
    fprintf(out, "stats.lines: %llu\n", (unsigned long long)st.lines);
    for (int p = 0; p < COORD_PHASE_COUNT; p++) {
        const char *name = coord_phase_name((CoordPhase)p);
        fprintf(out, "stats.%s.tasks: %llu\n", name, (unsigned long long)st.phase_tasks[p]);
        fprintf(out, "stats.%s.cpu_ms: %.3f\n", name, ms(st.phase_cpu_ns[p]));
    }
    fprintf(out, "stats.tasks: %llu\n", (unsigned long long)st.tasks);
    fprintf(out, "stats.task_cpu_ms: %.3f\n", ms(st.task_cpu_ns));
    fprintf(out, "stats.coordinator.busy_ms: %.3f\n", ms(st.coordinator_busy_ns));
    fprintf(out, "stats.coordinator.ns_per_task: %.1f\n", st.coordinator_ns_per_task);
    fprintf(out, "stats.coordinator.cpu_ms: %.3f\n", ms(st.coordinator_cpu_ns));
    fprintf(out, "stats.coordinator.setup_ms: %.3f\n", ms(st.coordinator_setup_ns));
    fprintf(out, "stats.coordinator.finish_ms: %.3f\n", ms(st.coordinator_finish_ns));
    fprintf(out, "stats.coordinator.loop_ns_per_task: %.1f\n", st.coordinator_loop_ns_per_task);
    fprintf(out, "stats.coordinator.discovery_ns_per_file: %.1f\n",
            st.coordinator_discovery_ns_per_file);
    fprintf(out, "stats.peak_rss_kb: %llu\n", (unsigned long long)(st.peak_rss_bytes / 1024u));
    fprintf(out, "stats.critical_path_ms: %.3f\n", ms(st.critical_path_ns));
    fprintf(out, "stats.work_per_worker_ms: %.3f\n", ms(st.task_cpu_ns / st.jobs));
    fprintf(out, "stats.lower_bound_ms: %.3f\n", ms(st.lower_bound_ns));
    fprintf(out, "stats.wall_ms: %.3f\n", ms(st.wall_ns));
    fprintf(out, "stats.efficiency: %.3f\n", st.efficiency);
    fprintf(out, "stats.rechecked: %llu\n", (unsigned long long)st.rechecked);
    if (st.run > 1) {
        fprintf(out, "stats.session.run: %llu\n", (unsigned long long)st.run);
        fprintf(out, "stats.session.reused: %llu\n", (unsigned long long)st.session_reused);
        fprintf(out, "stats.session.stale: %llu\n", (unsigned long long)st.session_stale);
        fprintf(out, "stats.session.patched: %llu\n", (unsigned long long)st.session_patched);
    }
    if (st.cache) {
        const struct { const char *key; uint64_t v; } c[] = {
            { "hits", st.cache_hits }, { "misses", st.cache_misses }, { "stale", st.cache_stale },
            { "corrupt", st.cache_corrupt }, { "written", st.cache_written },
            { "bytes_read", st.cache_bytes_read }, { "bytes_written", st.cache_bytes_written },
            { "unread", st.cache_unread },
        };
        for (size_t i = 0; i < sizeof c / sizeof *c; i++)
            fprintf(out, "stats.cache.%s: %llu\n", c[i].key, (unsigned long long)c[i].v);
    }
    if (st.remote) {
        const struct { const char *key; uint64_t v; } c[] = {
            { "hits", st.remote_hits }, { "misses", st.remote_misses },
            { "errors", st.remote_errors }, { "written", st.remote_written },
            { "bytes_read", st.remote_bytes_read }, { "bytes_written", st.remote_bytes_written },
            { "round_trips", st.remote_round_trips },
        };
        for (size_t i = 0; i < sizeof c / sizeof *c; i++)
            fprintf(out, "stats.remote.%s: %llu\n", c[i].key, (unsigned long long)c[i].v);
        fprintf(out, "stats.remote.wait_ms: %.3f\n", ms(st.remote_wait_ns));
    }
}
