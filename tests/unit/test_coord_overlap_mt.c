/* test_coord_overlap_mt — coord check's discovery overlapped with the first
 * tasks (CoordOptions.single_run: actor_pump, CoordSession.pending_walks).
 *
 * The tree: 12 folders of 50 modules; every module imports one of folder Z
 * (walked last: sorted order) and the one before it in its own folder, so
 * most imports name modules the walk has not found yet when the importer's
 * parse comes back.  A session without single_run (walk in
 * coord_add_root, nothing overlapped) gives the reference output.  With
 * single_run: coord_add_root finds no module (the walk waits for
 * coord_run); at -j2 coord_run hands tasks to the worker during the walk
 * (obs.pumped) and prints exactly the reference, with and without a result
 * cache (cold, then every result loaded); at -j1 nothing is overlapped.
 * A root whose walk fails in coord_run: COORD_EXIT_USAGE, nothing
 * checked, nothing left in flight (ASan, TSan).
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

#include "tests/unit/session_output.h"
#include "tests/unit/tree.h"

#define FOLDERS 12u
#define PER_FOLDER 50u

static char cache_dir[96];

static int setup(void **state)
{
    tree_make("coord_overlap");
    for (uint32_t f = 0; f < FOLDERS; f++) {
        char dir = (char)(f + 1 == FOLDERS ? 'Z' : 'A' + f);
        for (uint32_t i = 0; i < PER_FOLDER; i++) {
            char file[64], text[400];
            snprintf(file, sizeof file, "%c/M%02u.kite", dir, i);
            if (dir == 'Z')
                snprintf(text, sizeof text, "module Z.M%02u exposing (v)\nlet v = %u\n", i, i);
            else if (i == 0)
                snprintf(text, sizeof text,
                         "module %c.M00 exposing (v)\nimport Z.M%02u\nlet v = Z.M%02u.v + 1\n",
                         dir, f, f);
            else    /* (one in seven has a type error: reports to compare) */
                snprintf(text, sizeof text,
                         "module %c.M%02u exposing (v)\nimport Z.M%02u\nimport %c.M%02u\n"
                         "let v = Z.M%02u.v + %c.M%02u.v + %s\n",
                         dir, i, i, dir, i - 1, i, dir, i - 1, i % 7 == 3 ? "\"s\"" : "1");
            put(file, text);
        }
    }
    snprintf(cache_dir, sizeof cache_dir, "%s.cache", tree);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache_dir);
    assert_int_equal(system(cmd), 0);
    return tree_remove();
}

static CoordSession *session(uint32_t jobs, bool single_run, bool cache)
{
    CoordOptions o = { .jobs = jobs, .single_run = single_run, .cache = cache,
                       .cache_dir = cache ? cache_dir : NULL };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    return s;
}

/* Runs a single_run session; returns its output, and its overlapped
 * submissions in *pumped. */
static char *run_once(uint32_t jobs, bool cache, uint64_t *pumped)
{
    CoordSession *s = session(jobs, true, cache);
    assert_int_equal(s->mod_count, 0);     /* the walk waits for coord_run */
    assert_int_equal(coord_run(s), COORD_EXIT_ERRORS);
    assert_int_equal(coord_module_count(s), FOLDERS * PER_FOLDER);
    *pumped = s->obs.pumped;
    char *out = session_output(s, COORD_FORMAT_JSON);
    coord_session_destroy(s);
    return out;
}

static void test_overlap_prints_what_a_walk_first_prints(void **state)
{
    CoordSession *ref = session(2, false, false);
    assert_int_equal(ref->mod_count, FOLDERS * PER_FOLDER);
    assert_int_equal(coord_run(ref), COORD_EXIT_ERRORS);
    assert_int_equal(ref->obs.pumped, 0);
    char *want = session_output(ref, COORD_FORMAT_JSON);
    coord_session_destroy(ref);
    assert_non_null(strstr(want, "E0"));

    uint64_t pumped;
    char *got = run_once(2, false, &pumped);
    assert_string_equal(got, want);
    assert_true(pumped > 0);
    free(got);
    got = run_once(1, false, &pumped);     /* no thread to overlap with */
    assert_string_equal(got, want);
    assert_int_equal(pumped, 0);
    free(got);
    for (int pass = 0; pass < 2; pass++) {  /* the cache: cold, then warm */
        got = run_once(2, true, &pumped);
        assert_string_equal(got, want);
        assert_true(pumped > 0);
        free(got);
    }
    free(want);
}

/* A walk that fails in coord_run (a directory deeper than PATH_MAX below
 * the root, after the modules of the folders before it were handed out):
 * the run fails as coord_add_root would have, with nothing checked. */
static void test_failed_walk_checks_nothing(void **state)
{
    char path[8192];
    int n = snprintf(path, sizeof path, "%s/Y", tree);
    assert_int_equal(mkdir(path, 0755), 0);
    char step[120];
    memset(step, 'd', 100);
    step[100] = '\0';
    assert_int_equal(chdir(path), 0);
    for (int i = 0; i < 42; i++) {
        assert_int_equal(mkdir(step, 0755), 0);
        assert_int_equal(chdir(step), 0);
    }
    assert_int_equal(chdir("/"), 0);
    for (uint32_t jobs = 1; jobs <= 2; jobs++) {
        CoordSession *s = session(jobs, true, false);
        assert_int_equal(coord_run(s), COORD_EXIT_USAGE);
        assert_non_null(strstr(coord_error(s), "cannot read directory"));
        assert_int_equal(coord_report_count(s), 0);
        assert_int_equal(coord_module_count(s), 0);
        coord_session_destroy(s);
    }
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", n, path);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap_prints_what_a_walk_first_prints),
        cmocka_unit_test(test_failed_walk_checks_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
