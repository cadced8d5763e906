/* Unit tests of canon_module beyond the golden files: allocation failure at
 * every allocation, and declaration order on graphs far deeper than any
 * recursion could handle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "modules/canon.h"

typedef struct Parsed {
    Arena keep, ast, scratch;
    ParseOutput out;
} Parsed;

static void parse_src(Parsed *p, const char *src)
{
    arena_init(&p->keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&p->ast, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&p->scratch, ARENA_DEFAULT_CHUNK, 0);
    assert_int_equal(parse_module(src, (uint32_t)strlen(src), &p->keep, &p->ast, &p->scratch, &p->out), PHASE_OK);
    assert_int_equal(p->out.reports.count, 0);
}

static void parsed_free(Parsed *p)
{
    arena_free(&p->keep);
    arena_free(&p->ast);
    arena_free(&p->scratch);
}

static const char oom_src[] =
    "module M exposing (f, T(..))\n"
    "type T(a) = A(a, T(a)) | B\n"
    "fn f(x: T(Int), y) -> Int = match x { A(n, B) -> n + y, _ -> g(fn(z) -> z + y) }\n"
    "fn g(h) = h(1)\n"
    "let k = let q : a -> a = fn(w) -> w in q(\"s\")\n"
    "fn unknown() = nope + Nope\n"
    "let c = c\n";

/* Every allocation made by canon_module fails in turn: the phase returns
 * PHASE_OOM (never crashes, never leaks: the arenas are freed below and ASan
 * checks), and restores the arenas' previous jump targets. */
static void test_oom_walk(void **state)
{
    (void)state;
#ifndef COORD_TESTING
    skip();   /* the failpoint exists in COORD_TESTING builds only */
#endif
    Parsed p;
    parse_src(&p, oom_src);
    uint32_t n, ooms = 0;
    for (n = 1; n < 100000; n++) {
        Arena keep, ir, scratch;
        arena_init(&keep, 256, 0);
        arena_init(&ir, 256, 0);
        arena_init(&scratch, 256, 0);
        CanonOutput out;
        mem_fail_at(n);
        PhaseStatus st = canon_module(p.out.ast, p.out.iface, NULL, 0, &keep, &ir, &scratch, true, &out);
        int hit = mem_failpoint_hit();
        mem_fail_at(0);
        assert_null(keep.oom);
        assert_null(ir.oom);
        assert_null(scratch.oom);
        if (st == PHASE_OOM) {
            assert_true(hit);
            assert_null(out.ir);
            ooms++;
        } else {
            assert_int_equal(st, PHASE_OK);
            assert_non_null(out.ir);
            /* 3 reports: E0201, E0204, E0208 */
            assert_int_equal(out.reports.count, 3);
        }
        arena_free(&keep);
        arena_free(&ir);
        arena_free(&scratch);
        if (st == PHASE_OK && !hit)
            break;
    }
    assert_true(ooms >= 10);   /* the walk did cover allocations */
    assert_true(n < 100000);
    parsed_free(&p);
}

/* A chain f0 -> f1 -> ... -> f(N-1) of singleton groups, emitted
 * dependencies first, then a ring of N fns: one cyclic group. */
enum { CHAIN = 20000 };

static char *gen(int ring)
{
    size_t cap = (size_t)CHAIN * 40 + 64, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "module M exposing ()\n");
    for (int i = 0; i < CHAIN; i++) {
        if (i + 1 < CHAIN)
            len += (size_t)snprintf(s + len, cap - len, "fn f%d() = f%d()\n", i, i + 1);
        else
            len += (size_t)snprintf(s + len, cap - len, ring ? "fn f%d() = f0()\n" : "fn f%d() = 0\n", i);
    }
    return s;
}

static void test_deep_order(void **state)
{
    (void)state;
    for (int ring = 0; ring < 2; ring++) {
        char *src = gen(ring);
        Parsed p;
        parse_src(&p, src);
        Arena ir;
        arena_init(&ir, ARENA_DEFAULT_CHUNK, 0);
        CanonOutput out;
        assert_int_equal(canon_module(p.out.ast, p.out.iface, NULL, 0, &p.keep, &ir, &p.scratch, true, &out), PHASE_OK);
        const CanonModule *m = out.ir;
        assert_int_equal(out.reports.count, 0);
        assert_int_equal(m->value_count, CHAIN);
        if (!ring) {
            assert_int_equal(m->scc_count, CHAIN);
            for (uint32_t g = 0; g < CHAIN; g++) {
                assert_int_equal(m->scc_start[g], g);
                assert_int_equal(m->scc_values[g], CHAIN - 1 - g);
                assert_int_equal(m->scc_cyclic[g], 0);
            }
        } else {
            assert_int_equal(m->scc_count, 1);
            assert_int_equal(m->scc_start[1], CHAIN);
            assert_int_equal(m->scc_cyclic[0], 1);
            for (uint32_t i = 0; i < CHAIN; i++)
                assert_int_equal(m->scc_values[i], i);
        }
        arena_free(&ir);
        parsed_free(&p);
        free(src);
    }
}

/* Spans and accessors the typechecker relies on. */
static void test_spans_and_accessors(void **state)
{
    (void)state;
    static const char src[] = "module M exposing ()\nfn f(x) = fn(y) -> x + y\n";
    Parsed p;
    parse_src(&p, src);
    Arena ir;
    arena_init(&ir, ARENA_DEFAULT_CHUNK, 0);
    CanonOutput out;
    assert_int_equal(canon_module(p.out.ast, p.out.iface, NULL, 0, &p.keep, &ir, &p.scratch, true, &out), PHASE_OK);
    const CanonModule *m = out.ir;
    assert_string_equal(m->name, "M");
    assert_int_equal(m->value_count, 1);
    const CanonValue *v = &m->values[0];
    assert_string_equal(canon_str(m, v->name), "f");
    assert_int_equal(v->name_start, 24);
    assert_int_equal(v->name_end, 25);
    uint32_t lam = v->body;
    assert_int_equal(m->expr.kind[lam], CE_LAMBDA);
    assert_memory_equal(src + m->expr.start[lam], "fn(y) -> x + y", 14);
    assert_int_equal(m->expr.end[lam] - m->expr.start[lam], 14);
    assert_int_equal(canon_list_len(m, canon_lambda_params(m, lam)), 1);
    uint32_t caps = canon_lambda_captures(m, lam);
    assert_int_equal(canon_list_len(m, caps), 1);
    uint32_t x = canon_list_at(m, caps, 0);
    assert_int_equal(x, canon_list_at(m, v->params, 0));
    assert_true(m->locals[x].captured);
    assert_false(m->locals[canon_list_at(m, canon_lambda_params(m, lam), 0)].captured);
    uint32_t add = m->expr.b[lam];
    assert_int_equal(m->expr.kind[add], CE_ADD);
    assert_true(m->expr.a[add] < add && m->expr.b[add] < add);   /* post-order */
    assert_string_equal(canon_expr_kind_name(CE_LAMBDA), "lambda");
    arena_free(&ir);
    parsed_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_walk),
        cmocka_unit_test(test_deep_order),
        cmocka_unit_test(test_spans_and_accessors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
