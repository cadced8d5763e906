/* base/search.h: search_from is the lower bound for every guess on sorted
 * tables (empty, one element, runs of equal keys, keys below and above all
 * of them), with few probes when the guess is near, and stays in bounds on
 * a table that is not sorted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/search.h"

typedef struct Table {
    const uint64_t *v;
    uint64_t key;
    uint64_t n;
    uint32_t probes;
} Table;

static bool below(const void *ctx, uint64_t i)
{
    Table *t = (Table *)ctx;
    assert_true(i < t->n);                  /* never outside the table */
    t->probes++;
    return t->v[i] < t->key;
}

static uint64_t linear(const uint64_t *v, uint64_t n, uint64_t key)
{
    uint64_t i = 0;
    while (i < n && v[i] < key)
        i++;
    return i;
}

static void check_all(const uint64_t *v, uint64_t n)
{
    for (uint64_t key = 0; key <= 12; key++) {
        for (uint64_t guess = 0; guess <= n + 2; guess++) {
            Table t = { v, key, n, 0 };
            assert_int_equal(search_from(n, guess, below, &t), linear(v, n, key));
        }
    }
}

static void test_sorted_every_guess(void **state)
{
    static const uint64_t one[] = { 5 };
    static const uint64_t runs[] = { 1, 1, 1, 3, 3, 5, 7, 7, 7, 7, 9, 11 };
    static const uint64_t equal[] = { 4, 4, 4, 4, 4, 4, 4 };
    check_all(NULL, 0);
    check_all(one, 1);
    check_all(runs, 12);
    check_all(equal, 7);
}

/* A uniform table and its interpolated guesses: the answer, in far fewer
 * probes than the 14 of a binary search of 10 000. */
static void test_uniform_guess_is_cheap(void **state)
{
    enum { N = 10000 };
    static uint64_t v[N];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < N; i++) {           /* sorted, roughly uniform */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v[i] = (UINT64_MAX / N) * (uint64_t)i + (x % (UINT64_MAX / N));
    }
    uint64_t probes = 0;
    for (int i = 0; i < N; i += 7) {
        Table t = { v, v[i], N, 0 };
        assert_int_equal(search_from(N, search_guess(v[i], N), below, &t), (uint64_t)i);
        probes += t.probes;
    }
    assert_true(probes < (uint64_t)(N / 7 + 1) * 6);
}

static void test_unsorted_stays_in_bounds(void **state)
{
    static const uint64_t v[] = { 9, 2, 7, 1, 12, 0, 5, 5, 3 };
    for (uint64_t key = 0; key <= 13; key++) {
        for (uint64_t guess = 0; guess < 12; guess++) {
            Table t = { v, key, 9, 0 };
            uint64_t at = search_from(9, guess, below, &t);
            assert_true(at <= 9);
            assert_true(t.probes <= 2 * 4 + 2);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_every_guess),
        cmocka_unit_test(test_uniform_guess_is_cheap),
        cmocka_unit_test(test_unsorted_stays_in_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
