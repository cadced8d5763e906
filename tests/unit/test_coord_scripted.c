/* test_coord_scripted — the coordinator's result handling is independent of
 * the order in which task results arrive.
 *
 * A small tree with a diamond, a 2-cycle, a self-import, a missing and a
 * duplicate import, a header/path mismatch, an unreadable file and a syntax
 * error is checked once inline (the -j1 reference) and then with the scripted
 * runner under many seeds, which hands results back in shuffled orders.  Every
 * run must end with the same module states, the same reports and the same
 * types, byte for byte.  The reference itself is pinned down exactly where
 * the coordinator makes the report (E0001, E040x).  Typecheck sequences
 * (several tasks in one submission, results in order) happen under the
 * scripted runner as under threads, and change nothing either.
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

#define REV_LEN 100

static int setup(void **state)
{
    tree_make("coord_scripted");
    put("A.kite", "module A exposing (a)\nimport B\nimport C\nlet a = B.b + C.c\n");
    put("B.kite", "module B exposing (b)\nimport D\nlet b = D.d * 2\n");
    put("C.kite", "module C exposing (c)\nimport D\nlet c = D.d + 1\n");
    put("D.kite", "module D exposing (d)\nlet d = 1\n");
    put("Cyc/X.kite", "module Cyc.X exposing (x)\nimport Cyc.Y\nlet x = 1\n");
    put("Cyc/Y.kite", "module Cyc.Y exposing (y)\nimport Cyc.X\nlet y = Cyc.X.x\n");
    put("Self.kite", "module Self exposing (s)\nimport Self\nlet s = 1\n");
    put("M.kite", "module M exposing (m)\nimport Nowhere\nimport D\nimport D\nlet m = D.d\n");
    put("Bad.kite", "module Wrong exposing (w)\nlet w = 1\n");
    put("Syn.kite", "module Syn exposing (ok)\nlet ok = 1\nlet broken = (1 +\nlet fine = 2\n");
    put("User.kite", "module User exposing (u)\nimport Syn\nlet u = Syn.ok\n");
    /* a chain whose middle link has a type error */
    put("Ch/C0.kite", "module Ch.C0 exposing (c)\nlet c = 1\n");
    put("Ch/C1.kite", "module Ch.C1 exposing (c)\nimport Ch.C0\nlet c = Ch.C0.c + 1\n");
    put("Ch/C2.kite", "module Ch.C2 exposing (c)\nimport Ch.C1\nlet c = Ch.C1.c + \"x\"\n");
    put("Ch/C3.kite", "module Ch.C3 exposing (c)\nimport Ch.C2\nlet c = Ch.C2.c + 1\n");
    put("Ch/C4.kite", "module Ch.C4 exposing (c)\nimport Ch.C3\nlet c = Ch.C3.c * 2\n");
    put("Ch/C5.kite", "module Ch.C5 exposing (c)\nimport Ch.C4\nlet c = Ch.C4.c - 3\n");
    /* a chain against discovery order, longer than the first window
     * (actor.c): Rev.R000 imports Rev.R001 ... imports Rev.R099, so every
     * module stays open until the last one is parsed */
    for (int i = 0; i < REV_LEN; i++) {
        char file[64], text[160];
        snprintf(file, sizeof file, "Rev/R%03d.kite", i);
        if (i + 1 < REV_LEN)
            snprintf(text, sizeof text, "module Rev.R%03d exposing (r)\nimport Rev.R%03d\n"
                     "let r = Rev.R%03d.r + 1\n", i, i + 1, i + 1);
        else
            snprintf(text, sizeof text, "module Rev.R%03d exposing (r)\nlet r = 0\n", i);
        put(file, text);
    }
    char path[256];
    snprintf(path, sizeof path, "%s/Dir.kite", tree);
    mkdir(path, 0755);
    return 0;
}

static int teardown(void **state)
{
    return tree_remove();
}

/* Everything observable about a finished run, as one string. */
static char *observe(CoordSession *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    static const char *const names[] = {
        "A", "B", "C", "D", "Cyc.X", "Cyc.Y", "Self", "M", "Bad", "Syn", "User", "Dir",
        "Ch.C0", "Ch.C1", "Ch.C2", "Ch.C3", "Ch.C4", "Ch.C5",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bool failed;
        ModState st = coord_module_state(s, names[i], &failed);
        fprintf(f, "%s %s %s\n", names[i], module_state_name(st), failed ? "failed" : "ok");
    }
    coord_print_reports(s, f, COORD_FORMAT_JSON, false);
    coord_print_types(s, f);
    fprintf(f, "status %d\n", coord_exit_status(s));
    fclose(f);
    return buf;
}

static CoordSession *session_with(bool single_run)
{
    CoordOptions o = { .jobs = 1, .single_run = single_run };
    CoordSession *s = coord_session_create(&o);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, tree), 0);
    return s;
}

static CoordSession *session(void) { return session_with(false); }

/* The dependency records of a run's checked modules: how many items. */
static uint64_t dep_items(const CoordSession *s)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->mod_count; i++)
        n += s->mods[i]->deps.count;
    return n;
}

static bool has_report(CoordSession *s, const char *code, const char *module,
                       uint32_t line, uint32_t col, const char *message)
{
    CoordReport r;
    for (uint32_t i = 0; coord_report_get(s, i, &r); i++)
        if (strcmp(r.code, code) == 0 && strcmp(r.module, module) == 0 && r.line == line &&
            r.col == col && strcmp(r.message, message) == 0)
            return true;
    return false;
}

static void test_reference(void **state)
{
    CoordSession *s = session();
    assert_int_equal(coord_run(s), COORD_EXIT_ERRORS);
    assert_true(has_report(s, "E0402", "Cyc.X", 2, 8, "import cycle: Cyc.X -> Cyc.Y -> Cyc.X"));
    assert_true(has_report(s, "E0402", "Self", 2, 8, "import cycle: Self -> Self"));
    assert_true(has_report(s, "E0401", "M", 2, 8, "module Nowhere not found"));
    assert_true(has_report(s, "E0404", "M", 4, 8, "module D is imported twice"));
    assert_true(has_report(s, "E0001", "Dir", 1, 1, "cannot read source file: Is a directory"));
    char msg[256];
    snprintf(msg, sizeof msg,
             "module name Wrong does not match the file path %s/Bad.kite (expected Bad)", tree);
    assert_true(has_report(s, "E0403", "Wrong", 1, 8, msg));
    bool failed;
    assert_int_equal(coord_module_state(s, "D", &failed), MS_DONE);
    assert_false(failed);
    assert_int_equal(coord_module_state(s, "A", &failed), MS_DONE);
    assert_false(failed);
    assert_int_equal(coord_module_state(s, "Self", &failed), MS_DONE);
    assert_false(failed);
    assert_int_equal(coord_module_state(s, "Dir", &failed), MS_DONE);
    assert_true(failed);
    /* exactly one cycle report per component */
    uint32_t cycles = 0;
    CoordReport r;
    for (uint32_t i = 0; coord_report_get(s, i, &r); i++)
        cycles += strcmp(r.code, "E0402") == 0;
    assert_int_equal(cycles, 2);
    /* the chain: one type error in its middle, the rest checks */
    uint32_t chain_errors = 0;
    for (uint32_t i = 0; coord_report_get(s, i, &r); i++)
        chain_errors += strncmp(r.module, "Ch.", 3) == 0;
    assert_int_equal(chain_errors, 1);
    assert_true(has_report(s, "E0301", "Ch.C2", 3, 19, "type mismatch: expected Int, found Str"));
    assert_int_equal(coord_module_state(s, "Ch.C5", &failed), MS_DONE);
    assert_false(failed);
    /* the reverse chain opened the window beyond its first size */
    assert_int_equal(coord_module_state(s, "Rev.R000", &failed), MS_DONE);
    assert_false(failed);
    assert_true(s->window >= 2 * 32u);
    coord_session_destroy(s);
}

static void test_shuffled_orders_agree(void **state)
{
    CoordSession *ref = session();
    coord_run(ref);
    char *expect = observe(ref);
    coord_session_destroy(ref);

    uint64_t sequenced = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        CoordSession *s = session();
        Runner *r = runner_scripted_create(seed, 1 + (uint32_t)(seed % 9));
        assert_non_null(r);
        coord_run_with_runner(s, r);
        runner_destroy(r);
        if (seed % 9 == 0)
            assert_int_equal(s->obs.sequenced, 0);  /* capacity 1: no room */
        sequenced += s->obs.sequenced;
        char *got = observe(s);
        if (strcmp(got, expect) != 0)
            fail_msg("seed %llu differs:\n--- inline\n%s--- scripted\n%s",
                     (unsigned long long)seed, expect, got);
        free(got);
        coord_session_destroy(s);
    }
    assert_true(sequenced > 0);
    free(expect);
}

/* single_run: the same results in every completion order, without a
 * dependency record; a second coord_run is refused and leaves the results
 * of the first as they were. */
static void test_single_run(void **state)
{
    CoordSession *ref = session();
    coord_run(ref);
    char *expect = observe(ref);
    assert_true(dep_items(ref) > 0);
    coord_session_destroy(ref);
    for (uint64_t seed = 0; seed <= 10; seed++) {
        CoordSession *s = session_with(true);
        Runner *r = seed ? runner_scripted_create(seed, 1 + (uint32_t)(seed % 7)) : NULL;
        assert_int_equal(r ? coord_run_with_runner(s, r) : coord_run(s), COORD_EXIT_ERRORS);
        runner_destroy(r);
        assert_int_equal(dep_items(s), 0);
        char *got = observe(s);
        if (strcmp(got, expect) != 0)
            fail_msg("seed %llu differs:\n--- reference\n%s--- single run\n%s",
                     (unsigned long long)seed, expect, got);
        free(got);
        if (seed == 0) {
            assert_int_equal(coord_run(s), COORD_EXIT_USAGE);
            assert_string_equal(coord_error(s),
                                "coord_run: this session was created with single_run and has run");
            got = observe(s);
            assert_string_equal(got, expect);
            free(got);
        }
        coord_session_destroy(s);
    }
    free(expect);
}

/* A session runs once: adding a root or a search directory afterwards is
 * refused (until sessions support runs again). */
static void test_add_after_run(void **state)
{
    CoordSession *s = session();
    coord_run(s);
    assert_int_equal(coord_add_root(s, tree), COORD_EXIT_USAGE);
    assert_string_equal(coord_error(s), "coord_add_root after coord_run");
    assert_int_equal(coord_add_search_dir(s, tree), COORD_EXIT_USAGE);
    assert_string_equal(coord_error(s), "coord_add_search_dir after coord_run");
    coord_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_add_after_run),
        cmocka_unit_test(test_single_run),
        cmocka_unit_test(test_shuffled_orders_agree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
