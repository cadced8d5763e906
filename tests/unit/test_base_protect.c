/* The protected call (base/protect.h): a body that finishes, one that runs
 * out of memory, one that throws; the arenas' previous targets come back in
 * every case (also when an arena is listed twice), and calls nest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/arena.h"
#include "base/mem.h"
#include "base/protect.h"

typedef struct Probe {
    Arena *a, *b;
    int steps;              /* how far the body got */
    jmp_buf *seen_a, *seen_b;
    bool inner_finished;
} Probe;

static void body_finishes(void *ud)
{
    Probe *p = ud;
    p->seen_a = p->a->oom;
    p->seen_b = p->b->oom;
    assert_non_null(arena_alloc(p->a, 100, 1));
    p->steps = 1;
}

static void body_runs_out(void *ud)
{
    Probe *p = ud;
    p->steps = 1;
    mem_fail_at(1);
    arena_alloc(p->b, 100, 1);      /* the next chunk fails: jumps */
    p->steps = 2;
}

static void body_throws(void *ud)
{
    Probe *p = ud;
    p->steps = 1;
    protect_throw(p->a);
}

static void outer_body(void *ud)
{
    Probe *p = ud;
    Arena *const inner[] = { p->a };
    jmp_buf *outer_target = p->a->oom;
    p->inner_finished = protect_call(inner, 1, body_throws, p);
    assert_ptr_equal(p->a->oom, outer_target);      /* restored to the outer */
    p->steps = 5;
}

static void test_finishes(void **state)
{
    Arena a, b;
    arena_init(&a, 1024, 0);
    arena_init(&b, 1024, 0);
    jmp_buf before;
    arena_set_oom(&b, &before);
    Probe p = { &a, &b, 0, NULL, NULL, false };
    Arena *const guarded[] = { &a, &b };
    assert_true(protect_call(guarded, 2, body_finishes, &p));
    assert_int_equal(p.steps, 1);
    assert_non_null(p.seen_a);
    assert_ptr_equal(p.seen_a, p.seen_b);           /* one target for both */
    assert_ptr_not_equal(p.seen_b, &before);
    assert_null(a.oom);                             /* previous targets back */
    assert_ptr_equal(b.oom, &before);
    arena_free(&a);
    arena_free(&b);
}

static void test_out_of_memory(void **state)
{
    Arena a, b;
    arena_init(&a, 1024, 0);
    arena_init(&b, 1024, 0);
    Probe p = { &a, &b, 0, NULL, NULL, false };
    Arena *const guarded[] = { &a, &b, &a };        /* listed twice */
    assert_false(protect_call(guarded, 3, body_runs_out, &p));
    mem_fail_at(0);
    assert_int_equal(p.steps, 1);
    assert_null(a.oom);
    assert_null(b.oom);
    /* the arenas work normally afterwards, and return NULL again */
    assert_non_null(arena_alloc(&b, 100, 1));
    mem_fail_at(1);
    assert_null(arena_alloc(&a, 2000, 1));
    mem_fail_at(0);
    arena_free(&a);
    arena_free(&b);
}

static void test_throw_and_nesting(void **state)
{
    Arena a, b;
    arena_init(&a, 1024, 0);
    arena_init(&b, 1024, 0);
    Probe p = { &a, &b, 0, NULL, NULL, true };
    Arena *const guarded[] = { &a };
    assert_true(protect_call(guarded, 1, outer_body, &p));
    assert_false(p.inner_finished);                 /* the inner call failed ... */
    assert_int_equal(p.steps, 5);                   /* ... and the outer went on */
    assert_null(a.oom);
    arena_free(&a);
    arena_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finishes),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_throw_and_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
