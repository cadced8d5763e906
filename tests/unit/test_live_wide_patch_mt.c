/* test_live_wide_patch_mt — patch runs that re-check more modules at once
 * than any run before them held (the phase arenas, coordinator/actor.c).
 *
 * A module holds a pair of phase arenas (AST, IR) from its first dispatch
 * to its end, taken from the session's free list or made when the list is
 * empty; a patch run rewinds the session arena to a mark (live.c), so the
 * pairs are on the heap (made in the session arena, a pair made during one
 * patch run was reused freed in the next: make bench-live crashed).  Here:
 * a hub imported by 600 modules; changing the type of its value is a patch
 * run in which all 600 are stale at once (the first run, at -j2, held at
 * most a window's worth of pairs); then the change is undone and redone,
 * each a patch run, each printing exactly what a cold session over the
 * same files prints, with the exact number of modules re-checked, under
 * ASan and TSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "coord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/session_output.h"
#include "tests/unit/tree.h"

#define IMPORTERS 600u

static int setup(void **state)
{
    tree_make("coord_wide_patch");
    for (uint32_t i = 0; i < IMPORTERS; i++) {
        char file[64], text[160];
        snprintf(file, sizeof file, "I%04u.kite", i);
        snprintf(text, sizeof text, "module I%04u exposing (w)\nimport H\nlet w = H.v + %u\n", i, i);
        put(file, text);
    }
    return 0;
}

static int teardown(void **state)
{
    return tree_remove();
}

static void hub(bool string)
{
    put("H.kite", string ? "module H exposing (v)\nlet v = \"s\"\n"
                         : "module H exposing (v)\nlet v = 1\n");
}

static char *cold_output(void)
{
    CoordOptions o = { .jobs = 2 };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    coord_run(s);
    char *out = session_output(s, COORD_FORMAT_JSON);
    coord_session_destroy(s);
    return out;
}

/* A patch run after the hub changed: its output against a cold session's,
 * and how many modules it re-checked. */
static void patch_run(CoordSession *s, bool string)
{
    hub(string);
    char path[128];
    snprintf(path, sizeof path, "%s/H.kite", tree);
    assert_int_equal(coord_notify(s, path), 0);
    assert_int_equal(coord_run(s), string ? COORD_EXIT_ERRORS : COORD_EXIT_OK);
    CoordStats st;
    assert_true(coord_stats(s, &st));
    assert_int_equal(st.session_patched, 1);
    assert_int_equal(st.rechecked, IMPORTERS + 1);
    char *got = session_output(s, COORD_FORMAT_JSON), *want = cold_output();
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static void test_patch_runs_wider_than_the_first(void **state)
{
    hub(false);
    CoordOptions o = { .jobs = 2, .no_rescan = true };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    assert_int_equal(coord_run(s), COORD_EXIT_OK);
    patch_run(s, true);
    patch_run(s, false);
    patch_run(s, true);
    coord_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patch_runs_wider_than_the_first),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
