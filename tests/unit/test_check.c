/* check_module through the harness: the interface hash (equal interfaces,
 * equal hashes, whatever the bodies and declaration order; a changed
 * exported type or scheme changes it), the artifact accessors, and
 * allocation failure inside check_module (PHASE_OOM, never a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "tests/unit/harness.h"

static uint64_t hash_of(const char *src)
{
    Harness h;
    harness_init(&h);
    harness_add_source(&h, "M.kite", src, (uint32_t)strlen(src));
    harness_run(&h);
    assert_int_equal(h.mods[0].ks, PHASE_OK);
    assert_int_equal(h.mods[0].ko.reports.count, 0);
    uint64_t r = artifact_interface_hash(h.mods[0].ko.artifact);
    harness_free(&h);
    return r;
}

static void test_interface_hash(void **state)
{
    uint64_t base = hash_of("module M exposing (f, T(..))\n"
                            "type T = A | B(Int)\n"
                            "fn f(x) = x + 1\n"
                            "fn g(y) = y\n");
    /* only bodies change, and a private value's type */
    assert_true(hash_of("module M exposing (f, T(..))\n"
                        "type T = A | B(Int)\n"
                        "fn f(x) = x * 2 - 7\n"
                        "fn g(y) = y ++ \"s\"\n") == base);
    /* declaration order changes */
    assert_true(hash_of("module M exposing (T(..), f)\n"
                        "fn g(y) = y\n"
                        "fn f(x) = if true then x else 0\n"
                        "type T = A | B(Int)\n") == base);
    /* an exported type changes */
    assert_true(hash_of("module M exposing (f, T(..))\n"
                        "type T = A | B(Str)\n"
                        "fn f(x) = x + 1\n"
                        "fn g(y) = y\n") != base);
    /* its constructors are no longer exposed */
    assert_true(hash_of("module M exposing (f, T)\n"
                        "type T = A | B(Int)\n"
                        "fn f(x) = x + 1\n"
                        "fn g(y) = y\n") != base);
    /* an exported value's scheme changes */
    assert_true(hash_of("module M exposing (f, T(..))\n"
                        "type T = A | B(Int)\n"
                        "fn f(x) = x > 1\n"
                        "fn g(y) = y\n") != base);
    /* one more value is exposed */
    assert_true(hash_of("module M exposing (f, g, T(..))\n"
                        "type T = A | B(Int)\n"
                        "fn f(x) = x + 1\n"
                        "fn g(y) = y\n") != base);
    /* variables are renamed canonically: same scheme, different names */
    assert_true(hash_of("module M exposing (k)\nfn k(a, b) = a\n") ==
                hash_of("module M exposing (k)\nfn k(p, q: z) -> p = let r = q in p\n"));
    assert_true(hash_of("module M exposing (k)\nfn k(a, b) = a\n") !=
                hash_of("module M exposing (k)\nfn k(a, b) = b\n"));
}

static void test_artifact_accessors(void **state)
{
    const char *src = "module M exposing (id)\n"
                      "fn id(x) = x\n"
                      "let broken = missing\n"
                      "let pair = (id(1), id)\n";
    Harness h;
    harness_init(&h);
    harness_add_source(&h, "M.kite", src, (uint32_t)strlen(src));
    harness_run(&h);
    const Artifact *a = h.mods[0].ko.artifact;
    assert_non_null(a);
    assert_string_equal(artifact_module_name(a), "M");
    assert_int_equal(artifact_value_count(a), 3);
    assert_string_equal(artifact_value_name(a, 1), "broken");
    Arena tmp;
    arena_init(&tmp, 1024, 0);
    assert_string_equal(artifact_value_type_string(a, 0, &tmp), "a -> a");
    assert_string_equal(artifact_value_type_string(a, 1, &tmp), "<error>");
    assert_string_equal(artifact_value_type_string(a, 2, &tmp), "(Int, a -> a)");
    arena_free(&tmp);
    harness_free(&h);
}

/* Every allocation inside check_module may fail: the phase then reports
 * PHASE_OOM and returns; nothing crashes or leaks (ASan checks leaks). */
static void test_check_oom(void **state)
{
#ifndef COORD_TESTING
    skip();   /* the failpoint exists only in testing builds */
#endif
    const char *src = "module M exposing (f)\n"
                      "type List(a) = Cons(a, List(a)) | Nil\n"
                      "fn f(xs) = match xs { Cons(x, _) -> x + 1, Nil -> 0 }\n"
                      "fn g(n) = if n > 0 then g(n - 1) else f(Nil)\n";
    Harness h;
    harness_init(&h);
    harness_add_source(&h, "M.kite", src, (uint32_t)strlen(src));
    harness_run(&h);
    assert_int_equal(h.mods[0].ks, PHASE_OK);
    const CanonModule *ir = h.mods[0].co.ir;
    uint32_t ooms = 0;
    for (uint64_t n = 1; n < 200; n++) {
        Arena keep, scratch;
        arena_init(&keep, 1024, 0);
        arena_init(&scratch, 1024, 0);
        CheckOutput out;
        mem_fail_at(n);
        PhaseStatus st = check_module(ir, NULL, 0, &keep, &scratch, DEPS_KEEP, &out);
        int hit = mem_failpoint_hit();
        mem_fail_at(0);
        if (st == PHASE_OOM) {
            assert_true(hit);
            assert_null(out.artifact);
            ooms++;
        } else {
            assert_int_equal(st, PHASE_OK);
            assert_non_null(out.artifact);
        }
        arena_free(&keep);
        arena_free(&scratch);
        if (!hit)
            break;
    }
    assert_true(ooms > 3);
    harness_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interface_hash),
        cmocka_unit_test(test_artifact_accessors),
        cmocka_unit_test(test_check_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
