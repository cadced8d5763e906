/* test_coord_loads — a warm run's load tasks fill every slot of the runner.
 *
 * Loads are batched (actor.c: up to LOAD_BATCH_MAX modules a task) and
 * every module a load takes is open, so a window of open modules smaller
 * than a full batch per slot leaves slots empty: at -j2, where the
 * coordinator's own thread is one of the two runners, a warm run then kept
 * one of them idle.  Here: 400 modules checked once with a cache, then
 * again (every result loaded) under the scripted runner with two slots;
 * when a load task's result is taken, the other slot must hold a load task
 * too, but for the last batch.  The warm output equals the cold one.  The
 * cold run is at -j1, which must not start a thread at any point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "coordinator/actor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/threads.h"
#include "tests/unit/session_output.h"
#include "tests/unit/tree.h"

#define MODULES 400u

static char cache_dir[96];

static int setup(void **state)
{
    tree_make("coord_loads");
    for (uint32_t i = 0; i < MODULES; i++) {
        char file[64], text[200];
        snprintf(file, sizeof file, "L/M%03u.kite", i);
        if (i == 0)
            snprintf(text, sizeof text, "module L.M000 exposing (v)\nlet v = 1\n");
        else
            snprintf(text, sizeof text, "module L.M%03u exposing (v)\nimport L.M000\n"
                     "let v = L.M000.v + %u\n", i, i);
        put(file, text);
    }
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", tree);
    return 0;
}

static int teardown(void **state)
{
    return tree_remove();
}

static CoordSession *session(void)
{
    CoordOptions o = { .jobs = 1, .cache = true, .cache_dir = cache_dir };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    return s;
}

static void count_threads(void *ud, const CoordSession *s, const Result *r)
{
    int *most = ud, n = threads_now();
    if (n > *most)
        *most = n;
}

typedef struct Seen {
    uint32_t loaded;            /* results of loaded modules */
    uint32_t alone;             /* ... of a task taken while no other was in flight */
} Seen;

static void on_result(void *ud, const CoordSession *s, const Result *r)
{
    Seen *seen = ud;
    if (r->task != TASK_LOAD || r->kind != RESULT_LOADED)
        return;
    seen->loaded++;
    seen->alone += runner_in_flight(s->runner) == 0;
}

static void test_warm_loads_fill_the_slots(void **state)
{
    /* -j1 creates no thread (DESIGN.md section 2): not in discovery (the
     * pool touches no memory ahead then), not while it runs */
    CoordSession *cold = session();
    assert_int_equal(threads_now(), 1);
    int most = 0;
    cold->on_result = count_threads;
    cold->on_result_ud = &most;
    assert_int_equal(coord_run(cold), COORD_EXIT_OK);
    assert_int_equal(most, 1);
    assert_int_equal(threads_now(), 1);
    char *want = session_output(cold, COORD_FORMAT_JSON);
    coord_session_destroy(cold);

    CoordSession *warm = session();
    Seen seen = { 0, 0 };
    warm->on_result = on_result;
    warm->on_result_ud = &seen;
    Runner *r = runner_scripted_create(7, 2);
    assert_non_null(r);
    assert_int_equal(coord_run_with_runner(warm, r), COORD_EXIT_OK);
    runner_destroy(r);
    assert_int_equal(seen.loaded, MODULES);
    /* only the last batch may run alone (before: 344 of the 400) */
    assert_true(seen.alone <= LOAD_BATCH_MAX);
    char *got = session_output(warm, COORD_FORMAT_JSON);
    assert_string_equal(got, want);
    free(got);
    free(want);
    coord_session_destroy(warm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warm_loads_fill_the_slots),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
