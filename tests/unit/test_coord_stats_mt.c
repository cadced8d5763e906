/* test_coord_stats — the numbers of `coord check --stats` and the trace.
 *
 * The build is a diamond (A imports B and C, both import D) plus a 2-cycle
 * (Cyc.X <-> Cyc.Y).  Task times are replaced by fixed costs (the session's
 * task_cost hook), so the critical path has one exact value, computed by
 * hand below, which must come out for every order in which the scripted
 * runner hands results back.  Counts (tasks per phase, modules, lines) are
 * checked against the real run, and the trace is checked for one complete
 * event per task with the documented name, category and thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "coordinator/actor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/tree.h"

static int setup(void **state)
{
    tree_make("coord_stats");
    /* 4 + 3 + 3 + 2 + 3 + 3 = 18 lines */
    put("A.kite", "module A exposing (a)\nimport B\nimport C\nlet a = B.b + C.c\n");
    put("B.kite", "module B exposing (b)\nimport D\nlet b = D.d * 2\n");
    put("C.kite", "module C exposing (c)\nimport D\nlet c = D.d + 1\n");
    put("D.kite", "module D exposing (d)\nlet d = 1\n");
    put("Cyc/X.kite", "module Cyc.X exposing (x)\nimport Cyc.Y\nlet x = 1\n");
    put("Cyc/Y.kite", "module Cyc.Y exposing (y)\nimport Cyc.X\nlet y = 2\n");
    return 0;
}

static int teardown(void **state)
{
    return tree_remove();
}

/* parse: D 5000, others 1000; canonicalize: A 3000, others 100;
 * typecheck: D 300, B 10, C 20, A 1, Cyc.X and Cyc.Y 100000 each. */
static uint64_t fixed_cost(const CoordSession *s, const Result *r)
{
    const char *name = s->mods[r->module]->name;
    switch (r->task) {
    case TASK_PARSE: return strcmp(name, "D") == 0 ? 5000 : 1000;
    case TASK_CANON: return strcmp(name, "A") == 0 ? 3000 : 100;
    case TASK_CHECK:
        if (strcmp(name, "D") == 0) return 300;
        if (strcmp(name, "B") == 0) return 10;
        if (strcmp(name, "C") == 0) return 20;
        if (strcmp(name, "A") == 0) return 1;
        return 100000;
    default: return 0;
    }
}

/* By hand: every canonicalize of the diamond starts after parse(D) = 5000
 * (its own import, or for A after parse of B and C = 1000 with canon 3000:
 * 4000); check D ends at 5100 + 300 = 5400, B at 5410, C at 5420, A at
 * max(4000, 5410, 5420) + 1 = 5421.  The cycle's edges do not order the
 * checks: Cyc.X ends at 1000 + 100 + 100000 = 101100 (not 201100). */
#define CRITICAL_NS 101100u
#define TOTAL_NS (5000u + 5 * 1000u + 3000u + 5 * 100u + 300u + 10u + 20u + 1u + 200000u)

static CoordSession *session(bool trace)
{
    CoordOptions o = { .jobs = 1, .trace = trace, .stats = true };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    return s;
}

static void check_counts(const CoordStats *st)
{
    assert_int_equal(st->jobs, 1);
    assert_int_equal(st->modules, 6);
    assert_int_equal(st->lines, 18);
    assert_int_equal(st->phase_tasks[COORD_PHASE_PARSE], 6);
    assert_int_equal(st->phase_tasks[COORD_PHASE_CANONICALIZE], 6);
    assert_int_equal(st->phase_tasks[COORD_PHASE_TYPECHECK], 6);
    assert_int_equal(st->tasks, 18);
    assert_true(st->peak_rss_bytes > 0);
    assert_true(st->wall_ns > 0);
    assert_true(st->coordinator_busy_ns <= st->wall_ns);
    assert_true(st->coordinator_setup_ns > 0);
    assert_true(st->coordinator_setup_ns + st->coordinator_finish_ns <= st->coordinator_busy_ns);
    /* the loop is busy time apart from discovery and collection; every
     * task result passed through it */
    assert_true(st->coordinator_loop_ns > 0);
    assert_true(st->coordinator_loop_ns + st->coordinator_setup_ns + st->coordinator_finish_ns <=
                st->coordinator_busy_ns);
    assert_true(st->coordinator_loop_ns_per_task * 18 <= (double)st->coordinator_loop_ns * 1.0001);
    assert_true(st->coordinator_loop_ns_per_task * 18 >= (double)st->coordinator_loop_ns * 0.9999);
    assert_true(st->coordinator_discovery_ns_per_file * 6 <=
                (double)st->coordinator_setup_ns * 1.0001);
    assert_true(st->coordinator_discovery_ns_per_file * 6 >=
                (double)st->coordinator_setup_ns * 0.9999);
}

static void test_before_run(void **state)
{
    CoordSession *s = session(false);
    CoordStats st;
    st.modules = 99;
    assert_false(coord_stats(s, &st));
    assert_int_equal(st.modules, 0);
    coord_session_destroy(s);
}

static void test_exact_critical_path(void **state)
{
    for (uint64_t seed = 0; seed <= 30; seed++) {
        CoordSession *s = session(false);
        s->task_cost = fixed_cost;
        Runner *r = NULL;
        if (seed == 0) {
            coord_run(s);       /* inline, in dispatch order */
        } else {
            r = runner_scripted_create(seed, 1 + (uint32_t)(seed % 7));
            assert_non_null(r);
            coord_run_with_runner(s, r);
            runner_destroy(r);
        }
        CoordStats st;
        assert_true(coord_stats(s, &st));
        check_counts(&st);
        assert_int_equal(st.phase_cpu_ns[COORD_PHASE_PARSE], 10000);
        assert_int_equal(st.phase_cpu_ns[COORD_PHASE_CANONICALIZE], 3500);
        assert_int_equal(st.phase_cpu_ns[COORD_PHASE_TYPECHECK], 200331);
        assert_int_equal(st.task_cpu_ns, TOTAL_NS);
        if (st.critical_path_ns != CRITICAL_NS)
            fail_msg("seed %llu: critical path %llu, expected %u", (unsigned long long)seed,
                     (unsigned long long)st.critical_path_ns, CRITICAL_NS);
        /* one worker: the bound is all the work */
        assert_int_equal(st.lower_bound_ns, TOTAL_NS);
        coord_session_destroy(s);
    }
}

static void test_measured_times(void **state)
{
    CoordSession *s = session(false);
    assert_int_equal(coord_run(s), COORD_EXIT_ERRORS);     /* the cycle's E0402 */
    CoordStats st;
    assert_true(coord_stats(s, &st));
    check_counts(&st);
    uint64_t sum = 0;
    for (int p = 0; p < COORD_PHASE_COUNT; p++) {
        assert_true(st.phase_cpu_ns[p] > 0);
        sum += st.phase_cpu_ns[p];
    }
    assert_int_equal(st.task_cpu_ns, sum);
    assert_true(st.critical_path_ns > 0);
    assert_true(st.critical_path_ns <= st.task_cpu_ns);
    assert_int_equal(st.lower_bound_ns, st.task_cpu_ns);
    assert_true(st.efficiency > 0.0);
    assert_int_equal(s->obs.skipped, 0);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    coord_print_stats(s, f);
    fclose(f);
    /* every line is `stats.key: value`, in this order */
    static const char *const keys[] = {
        "jobs", "modules", "lines", "parse.tasks", "parse.cpu_ms", "canonicalize.tasks",
        "canonicalize.cpu_ms", "typecheck.tasks", "typecheck.cpu_ms", "tasks", "task_cpu_ms",
        "coordinator.busy_ms", "coordinator.ns_per_task",
        "coordinator.cpu_ms", "coordinator.setup_ms", "coordinator.finish_ms",
        "coordinator.loop_ns_per_task", "coordinator.discovery_ns_per_file", "peak_rss_kb",
        "critical_path_ms",
        "work_per_worker_ms", "lower_bound_ms", "wall_ms", "efficiency", "rechecked",
    };
    char *line = buf;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "stats.%s: ", keys[k]);
        assert_non_null(line);
        if (strncmp(line, prefix, strlen(prefix)) != 0)
            fail_msg("expected '%s' at: %.40s", prefix, line);
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    assert_string_equal(line, "");
    assert_non_null(strstr(buf, "stats.modules: 6\nstats.lines: 18\nstats.parse.tasks: 6\n"));
    assert_non_null(strstr(buf, "stats.rechecked: 6\n"));     /* a first run: all */
    free(buf);
    coord_session_destroy(s);
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_trace(void **state)
{
    CoordSession *s = session(true);
    coord_run(s);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(coord_write_trace(s, f), 0);
    fclose(f);
    assert_int_equal(strncmp(buf, "{\"traceEvents\":[\n", 17), 0);
    assert_non_null(strstr(buf, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
                                "\"args\":{\"name\":\"coordinator (runs the tasks)\"}}"));
    assert_int_equal(count(buf, "\"ph\":\"X\""), 18 + count(buf, "\"cat\":\"coordinator\""));
    assert_int_equal(count(buf, "\"cat\":\"parse\""), 6);
    assert_int_equal(count(buf, "\"cat\":\"canonicalize\""), 6);
    assert_int_equal(count(buf, "\"cat\":\"typecheck\""), 6);
    assert_int_equal(count(buf, "{\"name\":\"typecheck Cyc.X\",\"cat\":\"typecheck\",\"ph\":\"X\",\"ts\":"), 1);
    assert_int_equal(count(buf, "{\"name\":\"parse A\",\"cat\":\"parse\",\"ph\":\"X\",\"ts\":"), 1);
    /* Ready typechecks go before canonicalizations before parses.  Every
     * module is discovered (and its parse queued) before the first task
     * runs, so a FIFO would run all six parses first; with the priorities
     * some canonicalize always runs before the last parse (whatever the
     * directory order: the last module parsed cannot be the only one left
     * to wait for in this graph). */
    char order[1024] = "";
    for (const char *p = buf; (p = strstr(p, "{\"name\":\"")) != NULL; p++) {
        const char *name = p + 9, *end = strchr(name, '"');
        if (strncmp(end, "\",\"cat\":\"", 9) != 0 || strncmp(end + 9, "coordinator", 11) == 0)
            continue;
        strncat(order, name, (size_t)(end - name));
        strcat(order, ";");
    }
    const char *first_canon = strstr(order, "canonicalize "), *last_parse = NULL;
    for (const char *p = order; (p = strstr(p, "parse ")) != NULL; p++)
        last_parse = p;
    if (!first_canon || !last_parse || first_canon > last_parse)
        fail_msg("task order: %s", order);
    /* inline: every task on the coordinator's thread */
    assert_int_equal(count(buf, "\"pid\":1,\"tid\":0}"), count(buf, "\"ph\":\"X\""));
    const char *tail = "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"spans_dropped\":0}}\n";
    assert_true(len > strlen(tail));
    assert_string_equal(buf + len - strlen(tail), tail);
    /* strict JSON: no comma before a closing bracket */
    assert_null(strstr(buf, ",\n]"));
    assert_null(strstr(buf, ",]"));
    free(buf);
    coord_session_destroy(s);
}

static void test_trace_threads(void **state)
{
    CoordOptions o = { .jobs = 3, .trace = true };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    coord_run(s);
    CoordStats st;
    assert_true(coord_stats(s, &st));
    assert_int_equal(st.jobs, 3);
    assert_int_equal(st.tasks, 18);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(coord_write_trace(s, f), 0);
    fclose(f);
    /* -j3: two worker threads and the coordinator's, which runs a share of
     * the tasks between its busy spans */
    for (unsigned w = 1; w <= 2; w++) {
        char meta[128];
        snprintf(meta, sizeof meta, "\"tid\":%u,\"args\":{\"name\":\"worker %u\"}}", w, w);
        assert_int_equal(count(buf, meta), 1);
    }
    assert_int_equal(count(buf, "\"name\":\"worker 3\""), 0);
    assert_int_equal(count(buf, "\"tid\":0,\"args\":{\"name\":\"coordinator (and a share of the tasks)\"}}"), 1);
    unsigned on_workers = count(buf, "\"pid\":1,\"tid\":1}") + count(buf, "\"pid\":1,\"tid\":2}");
    unsigned on_self = count(buf, "\"pid\":1,\"tid\":0}") - count(buf, "\"cat\":\"coordinator\"");
    /* the first tasks go to the workers' inboxes, the coordinator's own
     * share only once those are full */
    assert_true(on_workers > 0);
    assert_int_equal(on_workers + on_self, 18);
    assert_int_equal(count(buf, "\"pid\":1,\"tid\":3}"), 0);
    free(buf);
    coord_session_destroy(s);
}

/* Without CoordOptions.stats no thread CPU clock is read: a task costs its
 * wall time, and the coordinator's CPU time is not known (0). */
static void test_wall_times_without_stats(void **state)
{
    CoordOptions o = { .jobs = 1 };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    coord_run(s);
    CoordStats st;
    assert_true(coord_stats(s, &st));
    check_counts(&st);
    assert_int_equal(st.coordinator_cpu_ns, 0);
    for (int p = 0; p < COORD_PHASE_COUNT; p++)
        assert_true(st.phase_cpu_ns[p] > 0);
    /* inline tasks: their wall time is what the coordinator did not own */
    assert_int_equal(s->obs.inline_ns, st.task_cpu_ns);
    coord_session_destroy(s);
}

/* Failed modules run fewer tasks; the progress line's total follows. */
static void test_failed_modules_skip_tasks(void **state)
{
    char other[64];
    snprintf(other, sizeof other, "/tmp/coord_stats_fail_XXXXXX");
    assert_non_null(mkdtemp(other));
    char path[128];
    snprintf(path, sizeof path, "%s/Junk.kite", other);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("garbage (((\n", f);               /* no module header: no AST */
    fclose(f);
    snprintf(path, sizeof path, "%s/User.kite", other);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("module User exposing (u)\nlet u = 1\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/Dir.kite", other);
    assert_int_equal(mkdir(path, 0755), 0);

    CoordOptions o = { .jobs = 1 };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, other), 0);
    coord_run(s);
    CoordStats st;
    assert_true(coord_stats(s, &st));
    assert_int_equal(st.modules, 3);
    assert_int_equal(st.phase_tasks[COORD_PHASE_PARSE], 3);
    assert_int_equal(st.phase_tasks[COORD_PHASE_CANONICALIZE], 1);
    assert_int_equal(st.phase_tasks[COORD_PHASE_TYPECHECK], 1);
    assert_int_equal(st.lines, 1 + 2);     /* the directory has no lines */
    assert_int_equal(s->obs.skipped, 4);
    assert_int_equal(3u * s->mod_count - s->obs.skipped, st.tasks);
    coord_session_destroy(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", other);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_run),
        cmocka_unit_test(test_exact_critical_path),
        cmocka_unit_test(test_measured_times),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_trace_threads),
        cmocka_unit_test(test_wall_times_without_stats),
        cmocka_unit_test(test_failed_modules_skip_tasks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
