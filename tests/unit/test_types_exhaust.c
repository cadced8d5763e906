/* Exhaustiveness and redundancy (usefulness algorithm) over constructors,
 * literals, tuples and wildcards, nested; the printed missing pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "modules/exhaust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Fx {
    Arena scratch;
    ExCtx x;
    uint32_t option, list, shape;
    bool red[16];
} Fx;

static int setup(void **state)
{
    Fx *f = calloc(1, sizeof *f);
    arena_init(&f->scratch, 4096, 0);
    ex_init(&f->x, &f->scratch);
    const char *on[] = { "Some", "None" };
    uint32_t oa[] = { 1, 0 };
    f->option = ex_add_sum(&f->x, 2, on, oa);
    const char *ln[] = { "Cons", "Nil" };
    uint32_t la[] = { 2, 0 };
    f->list = ex_add_sum(&f->x, 2, ln, la);
    const char *sn[] = { "Circle", "Rect", "Dot" };
    uint32_t sa[] = { 1, 2, 0 };
    f->shape = ex_add_sum(&f->x, 3, sn, sa);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fx *f = *state;
    arena_free(&f->scratch);
    free(f);
    return 0;
}

static uint32_t some(Fx *f, uint32_t p) { return ex_ctor(&f->x, f->option, 0, &p, 1); }
static uint32_t none(Fx *f) { return ex_ctor(&f->x, f->option, 1, NULL, 0); }
static uint32_t cons(Fx *f, uint32_t h, uint32_t t)
{
    uint32_t s[2] = { h, t };
    return ex_ctor(&f->x, f->list, 0, s, 2);
}
static uint32_t nil(Fx *f) { return ex_ctor(&f->x, f->list, 1, NULL, 0); }
static uint32_t tup(Fx *f, uint32_t a, uint32_t b)
{
    uint32_t s[2] = { a, b };
    return ex_tuple(&f->x, s, 2);
}
#define W ex_wild(&f->x)

static const char *run(Fx *f, const uint32_t *arms, uint32_t n)
{
    return ex_match(&f->x, arms, n, f->red, &f->scratch);
}

static void test_option(void **state)
{
    Fx *f = *state;
    uint32_t a1[] = { some(f, W) };
    assert_string_equal(run(f, a1, 1), "None");
    uint32_t a2[] = { none(f) };
    assert_string_equal(run(f, a2, 1), "Some(_)");
    uint32_t a3[] = { some(f, W), none(f) };
    assert_null(run(f, a3, 2));
    assert_false(f->red[0]);
    assert_false(f->red[1]);
    uint32_t a4[] = { W, none(f) };
    assert_null(run(f, a4, 2));
    assert_false(f->red[0]);
    assert_true(f->red[1]);
}

static void test_nested(void **state)
{
    Fx *f = *state;
    /* Some((true, _)), None -> Some((false, _)) */
    uint32_t a1[] = { some(f, tup(f, ex_bool(&f->x, true), W)), none(f) };
    assert_string_equal(run(f, a1, 2), "Some((false, _))");
    /* Cons(_, Nil), Nil -> Cons(_, Cons(_, _)) */
    uint32_t a2[] = { cons(f, W, nil(f)), nil(f) };
    assert_string_equal(run(f, a2, 2), "Cons(_, Cons(_, _))");
    /* Some(1), Some(_) , None: exhaustive, nothing redundant */
    uint32_t a3[] = { some(f, ex_int(&f->x, 1)), some(f, W), none(f) };
    assert_null(run(f, a3, 3));
    assert_false(f->red[1]);
    /* Some(1), None -> Some(_) (Int needs a wildcard) */
    uint32_t a4[] = { some(f, ex_int(&f->x, 1)), none(f) };
    assert_string_equal(run(f, a4, 2), "Some(_)");
}

static void test_literals(void **state)
{
    Fx *f = *state;
    uint32_t a1[] = { ex_int(&f->x, 1), ex_int(&f->x, -2) };
    assert_string_equal(run(f, a1, 2), "_");
    uint32_t a2[] = { ex_bool(&f->x, true) };
    assert_string_equal(run(f, a2, 1), "false");
    uint32_t a3[] = { ex_bool(&f->x, false), ex_bool(&f->x, true), W };
    assert_null(run(f, a3, 3));
    assert_true(f->red[2]);
    uint32_t a4[] = { ex_str(&f->x, "a", 1), ex_str(&f->x, "a", 1), W };
    assert_null(run(f, a4, 3));
    assert_false(f->red[0]);
    assert_true(f->red[1]);
    assert_false(f->red[2]);
    uint32_t a5[] = { ex_unit(&f->x) };
    assert_null(run(f, a5, 1));
    uint32_t a6[] = { ex_int(&f->x, 3), ex_int(&f->x, 3) };
    assert_string_equal(run(f, a6, 2), "_");
    assert_true(f->red[1]);
}

static void test_tuples(void **state)
{
    Fx *f = *state;
    uint32_t t = ex_bool(&f->x, true), fl = ex_bool(&f->x, false);
    uint32_t a1[] = { tup(f, t, W), tup(f, W, t) };
    assert_string_equal(run(f, a1, 2), "(false, false)");
    uint32_t a2[] = { tup(f, t, W), tup(f, fl, W), tup(f, W, t) };
    assert_null(run(f, a2, 3));
    assert_true(f->red[2]);
    /* a constructor no arm mentions is preferred; else the first uncovered one */
    uint32_t c = ex_ctor(&f->x, f->shape, 0, (uint32_t[]){ W }, 1);
    uint32_t r = ex_ctor(&f->x, f->shape, 1, (uint32_t[]){ W, W }, 2);
    uint32_t a3[] = { tup(f, c, W), tup(f, r, ex_int(&f->x, 0)) };
    assert_string_equal(run(f, a3, 2), "(Dot, _)");
    uint32_t a3b[] = { tup(f, c, W), tup(f, r, ex_int(&f->x, 0)), tup(f, ex_ctor(&f->x, f->shape, 2, NULL, 0), W) };
    assert_string_equal(run(f, a3b, 3), "(Rect(_, _), _)");
    uint32_t a4[] = { tup(f, c, W), tup(f, r, W) };
    assert_string_equal(run(f, a4, 2), "(Dot, _)");
    /* no arms at all */
    assert_string_equal(run(f, NULL, 0), "_");
}

/* Length is not nesting: a 40 000-element tuple, 100 000 literal arms and a
 * 20 000-constructor type run without deep recursion and in near-linear
 * time (the suite's timeout would catch the quadratic versions). */
static void test_long(void **state)
{
    Fx *f = *state;
    enum { W_ = 40000, ARMS = 100000, CTORS = 20000 };
    uint32_t *subs = calloc(ARMS + 2, sizeof *subs);
    bool *red = calloc(ARMS + 2, sizeof *red);
    /* one arm (_, _, ..., true): missing (_, ..., false) */
    for (uint32_t i = 0; i < W_; i++)
        subs[i] = i + 1 < W_ ? W : ex_bool(&f->x, true);
    uint32_t arm = ex_tuple(&f->x, subs, W_);
    const char *m = ex_match(&f->x, &arm, 1, red, &f->scratch);
    assert_int_equal(strlen(m), 2 + 3 * (W_ - 1) + 5);
    assert_string_equal(m + strlen(m) - 12, "_, _, false)");
    /* the same arm twice: the second is redundant */
    uint32_t two[2] = { arm, arm };
    ex_match(&f->x, two, 2, red, &f->scratch);
    assert_false(red[0]);
    assert_true(red[1]);

    ex_reset_patterns(&f->x);
    for (uint32_t i = 0; i < ARMS; i++)
        subs[i] = ex_int(&f->x, i == 7777 ? 123 : (int64_t)i);
    subs[ARMS] = W;
    subs[ARMS + 1] = ex_int(&f->x, 5);
    assert_null(ex_match(&f->x, subs, ARMS + 2, red, &f->scratch));
    for (uint32_t i = 0; i < ARMS + 2; i++)
        assert_int_equal(red[i], i == 7777 || i == ARMS + 1);
    assert_string_equal(ex_match(&f->x, subs, ARMS, red, &f->scratch), "_");

    ex_reset_patterns(&f->x);
    const char **names = calloc(CTORS, sizeof *names);
    uint32_t *arity = calloc(CTORS, sizeof *arity);
    char (*buf)[16] = calloc(CTORS, sizeof *buf);
    for (uint32_t i = 0; i < CTORS; i++) {
        snprintf(buf[i], sizeof buf[i], "K%u", i);
        names[i] = buf[i];
        arity[i] = 1;
    }
    uint32_t big = ex_add_sum(&f->x, CTORS, names, arity);
    for (uint32_t i = 0; i < CTORS; i++)
        subs[i] = ex_ctor(&f->x, big, i, (uint32_t[]){ ex_bool(&f->x, true) }, 1);
    assert_string_equal(ex_match(&f->x, subs, CTORS, red, &f->scratch), "K0(false)");
    for (uint32_t i = 0; i < CTORS; i++)
        subs[i] = ex_ctor(&f->x, big, (i + 1) % CTORS, (uint32_t[]){ W }, 1);
    assert_null(ex_match(&f->x, subs, CTORS, red, &f->scratch));
    assert_string_equal(ex_match(&f->x, subs, CTORS - 1, red, &f->scratch), "K0(_)");
    free(names);
    free(arity);
    free(buf);
    free(subs);
    free(red);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tuples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
