/* test_coord_pool_mt — the worker pool gives the same build as -j1.
 *
 * A generated tree (a layered graph of 120 modules with tagged unions,
 * closures and matches, plus a 3-cycle, a self-import, a missing import and a
 * module with a type error that others import) is checked inline and then
 * with 2, 3 and 8 worker threads, several times each; the reports (JSON),
 * the types and the exit status must be identical every time.  Runs under
 * `make tsan` too (the name ends in _mt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "coord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/unit/tree.h"

#define LAYERED 120

static int setup(void **state)
{
    tree_make("coord_pool");
    char rel[64], text[2048];
    for (int i = 0; i < LAYERED; i++) {
        int n = snprintf(text, sizeof text,
                         "module L%d.M%d exposing (v, T%d(..))\n", i / 10, i, i);
        int deps[3] = { i - 1, i - 7, i / 2 };
        int used = 0;
        for (int k = 0; k < 3; k++) {
            bool dup = false;
            for (int j = 0; j < k; j++)
                dup |= deps[j] == deps[k];
            if (deps[k] >= 0 && deps[k] < i && !dup) {
                n += snprintf(text + n, sizeof text - (size_t)n, "import L%d.M%d as D%d\n",
                              deps[k] / 10, deps[k], k);
                used |= 1 << k;
            }
        }
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "type T%d = A%d(Int) | B%d\n"
                      "fn get(t) = match t { A%d(x) -> x, B%d -> %d }\n"
                      "fn add(k) = fn(x) -> x + k\n"
                      "let v = add(%d)(get(A%d(1)))",
                      i, i, i, i, i, i, i, i);
        for (int k = 0; k < 3; k++)
            if (used & (1 << k))
                n += snprintf(text + n, sizeof text - (size_t)n, " + D%d.v", k);
        snprintf(text + n, sizeof text - (size_t)n, "\n");
        snprintf(rel, sizeof rel, "L%d/M%d.kite", i / 10, i);
        put(rel, text);
    }
    put("Cyc/A.kite", "module Cyc.A exposing (a)\nimport Cyc.B\nlet a = Cyc.B.b\n");
    put("Cyc/B.kite", "module Cyc.B exposing (b)\nimport Cyc.C\nlet b = Cyc.C.c\n");
    put("Cyc/C.kite", "module Cyc.C exposing (c)\nimport Cyc.A\nimport L3.M35\nlet c = Cyc.A.a + L3.M35.v\n");
    put("Self.kite", "module Self exposing (s)\nimport Self\nlet s = Self.s\n");
    put("Lost.kite", "module Lost exposing (l)\nimport Not.There\nlet l = Not.There.x\n");
    put("Wrong.kite", "module Wrong exposing (w)\nlet w = 1 + \"one\"\n");
    put("UsesWrong.kite", "module UsesWrong exposing (u)\nimport Wrong\nimport L11.M119\nlet u = Wrong.w + L11.M119.v\n");
    return 0;
}

static int teardown(void **state)
{
    return tree_remove();
}

static char *build(uint32_t jobs, int *status)
{
    CoordOptions o = { .jobs = jobs };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    *status = coord_run(s);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    coord_print_reports(s, f, COORD_FORMAT_JSON, false);
    coord_print_types(s, f);
    fprintf(f, "modules %u errors %u warnings %u\n", coord_module_count(s),
            coord_error_count(s), coord_warning_count(s));
    fclose(f);
    coord_session_destroy(s);
    return buf;
}

static void test_threads_match_inline(void **state)
{
    int ref_status;
    char *ref = build(1, &ref_status);
    assert_int_equal(ref_status, COORD_EXIT_ERRORS);
    /* the reference itself: one cycle report, one missing module, one type
     * error, and every module of the build that could be checked */
    assert_non_null(strstr(ref, "\"message\":\"import cycle: Cyc.A -> Cyc.B -> Cyc.C -> Cyc.A\""));
    assert_non_null(strstr(ref, "\"message\":\"import cycle: Self -> Self\""));
    assert_non_null(strstr(ref, "\"message\":\"module Not.There not found\""));
    assert_non_null(strstr(ref, "\"code\":\"E0301\",\"module\":\"Wrong\""));
    assert_null(strstr(ref, "\"module\":\"UsesWrong\""));
    assert_non_null(strstr(ref, "L11.M119.v : Int\n"));
    assert_non_null(strstr(ref, "modules 127 errors 4 warnings 0\n"));

    static const uint32_t jobs[] = { 2, 3, 8 };
    for (int round = 0; round < 3; round++) {
        for (size_t k = 0; k < sizeof jobs / sizeof jobs[0]; k++) {
            int status;
            char *got = build(jobs[k], &status);
            assert_int_equal(status, ref_status);
            if (strcmp(got, ref) != 0)
                fail_msg("-j%u differs from -j1:\n%s\n----\n%s", jobs[k], ref, got);
            free(got);
        }
    }
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_match_inline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
