/* The chunk pool (base/pool.h): size classes, reuse of a freed chunk,
 * regions given back when the last chunk is freed, large requests and the
 * allocation failpoint.  Under AddressSanitizer the pool is off by design
 * (every chunk is plain mem_alloc memory); the tests check that instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <time.h>

#include "base/arena.h"
#include "base/mem.h"
#include "base/pool.h"
#include "tests/unit/threads.h"

static void test_classes_and_reuse(void **state)
{
    PoolStats before = pool_stats();
    assert_int_equal(before.in_use, 0);
    size_t got_a, got_b, got_c;
    char *a = pool_alloc(4096 + 32, &got_a);
    char *b = pool_alloc(1000, &got_b);
    size_t got_d;
    char *d = pool_alloc(500, &got_d);          /* below 1 KiB: the smallest classes */
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    assert_int_equal((uintptr_t)a % 16, 0);
    assert_int_equal((uintptr_t)d % 16, 0);
    assert_int_equal((uintptr_t)b % 16, 0);
    memset(a, 1, got_a);
    memset(b, 2, got_b);
    if (!before.on) {
        assert_int_equal(got_a, 4096 + 32);
        assert_int_equal(got_b, 1000);
        pool_free(a, got_a);
        pool_free(b, got_b);
        pool_free(d, got_d);
        return;
    }
    assert_int_equal(got_a, 4096 + 64);         /* an arena's 4 KiB chunk fits its class */
    assert_int_equal(got_b, 1024 + 64);
    assert_int_equal(got_d, 512 + 64);
    pool_free(d, got_d);
    PoolStats mid = pool_stats();
    assert_int_equal(mid.in_use, got_a + got_b);
    assert_int_equal(mid.regions, 1);
    assert_int_equal(mid.mapped, (size_t)2 << 20);
    pool_free(a, got_a);
    char *c = pool_alloc(4000, &got_c);         /* same class: the freed chunk */
    assert_ptr_equal(c, a);
    assert_int_equal(got_c, got_a);
    pool_free(c, got_c);
    pool_free(b, got_b);
    PoolStats after = pool_stats();             /* nothing in use: regions gone */
    assert_int_equal(after.in_use, 0);
    assert_int_equal(after.regions, 0);
    assert_int_equal(after.mapped, 0);
}

/* Past the largest class: plain memory of the size asked for. */
static void test_large_is_plain(void **state)
{
    size_t got;
    char *p = pool_alloc((size_t)1 << 20, &got);
    assert_non_null(p);
    assert_int_equal(got, (size_t)1 << 20);
    p[0] = p[got - 1] = 1;
    assert_int_equal(pool_stats().in_use, 0);
    pool_free(p, got);
}

/* Many chunks of mixed classes across several regions: all distinct and
 * writable, and all of it given back at the end. */
static void test_many_regions(void **state)
{
    enum { N = 3000 };
    static char *ptr[N];
    static size_t got[N];
    for (int i = 0; i < N; i++) {
        size_t want = 700 + (size_t)(i * 7919 % 20000);
        ptr[i] = pool_alloc(want, &got[i]);
        assert_non_null(ptr[i]);
        assert_true(got[i] >= want);
        memset(ptr[i], i & 0xff, want);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal((unsigned char)ptr[i][0], i & 0xff);
    if (pool_stats().on)
        assert_true(pool_stats().regions > 1);
    for (int i = N; i-- > 0;)
        pool_free(ptr[i], got[i]);
    assert_int_equal(pool_stats().in_use, 0);
    assert_int_equal(pool_stats().mapped, 0);
}

/* Every pooled chunk counts as one allocation for the failpoint. */
static void test_failpoint(void **state)
{
    size_t got;
    mem_fail_at(2);
    void *p = pool_alloc(2000, &got);
    assert_non_null(p);
    assert_null(pool_alloc(2000, &got));
    assert_int_equal(mem_failpoint_hit(), 1);
    void *q = pool_alloc(2000, &got);
    assert_non_null(q);
    mem_fail_at(0);
    pool_free(p, got);
    pool_free(q, got);
    assert_int_equal(pool_stats().in_use, 0);
}

/* Arenas on the pool: their figures are what they asked for, whatever the
 * class. */
static void test_arena_on_pool(void **state)
{
    Arena a;
    arena_init(&a, 4096, 0);
    assert_true(arena_reserve_exact(&a, 1176));
    ArenaStats s = arena_stats(&a);
    assert_int_equal(s.capacity, 1176);
    assert_non_null(arena_alloc(&a, 1176, 8));
    assert_non_null(arena_alloc(&a, 10, 8));
    assert_int_equal(arena_stats(&a).capacity, 1176 + 4096);
    if (pool_stats().on)
        assert_true(pool_stats().in_use >= 1176 + 4096);
    arena_free(&a);
    assert_int_equal(pool_stats().in_use, 0);
}

/* Frees the n chunks; then the pool holds nothing: no chunk in use, no
 * region, none touched ahead. */
static void free_all_nothing_stays(char **ptr, const size_t *got, int n)
{
    for (int i = 0; i < n; i++)
        pool_free(ptr[i], got[i]);
    PoolStats after = pool_stats();
    assert_int_equal(after.in_use, 0);
    assert_int_equal(after.mapped, 0);
    assert_int_equal(after.ahead, 0);
}

/* Polls (up to 5 s) until the pool's region touched ahead is `bytes`. */
static bool ahead_becomes(size_t bytes)
{
    for (int i = 0; i < 5000 && pool_stats().ahead != bytes; i++)
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    return pool_stats().ahead == bytes;
}

/* pool_ahead: once a region is in use, the next one is touched ahead by
 * the pool's thread; a new region takes it (and the one after is touched
 * meanwhile); turned off, with every chunk back, nothing stays: no region,
 * no region ahead, and after pool_ahead_end no thread. */
static void test_ahead(void **state)
{
    if (!pool_stats().on)
        return;                             /* ASan builds: plain memory */
    int threads = threads_now();
    enum { N = 40 };                        /* 40 x 64 KiB: two regions */
    static char *ptr[N];
    static size_t got[N];
    pool_ahead(true);
    ptr[0] = pool_alloc(65536, &got[0]);
    assert_non_null(ptr[0]);
    assert_int_equal(pool_stats().regions, 1);
    assert_true(ahead_becomes((size_t)2 << 20));
    for (int i = 1; i < N; i++) {
        ptr[i] = pool_alloc(65536, &got[i]);
        assert_non_null(ptr[i]);
        memset(ptr[i], i, got[i]);
    }
    assert_int_equal(pool_stats().regions, 2);
    assert_true(ahead_becomes((size_t)2 << 20));   /* the third, meanwhile */
    pool_ahead(false);
    free_all_nothing_stays(ptr, got, N);
    pool_ahead_end();                       /* its thread joined: none left */
    assert_int_equal(threads_now(), threads);
    pool_ahead(true);                       /* again: a new thread, joined again */
    assert_int_equal(threads_now(), threads + 1);
    pool_ahead_end();
    assert_int_equal(threads_now(), threads);
}

/* pool_touch_here: a thread that says so touches the next region itself,
 * in the pool_alloc after which less than half the current region is left
 * (and not before); a new region takes it; a thread that does not say so
 * touches nothing ahead; every chunk back, nothing stays. */
static void test_touch_here(void **state)
{
    if (!pool_stats().on)
        return;                             /* ASan builds: plain memory */
    const size_t region = (size_t)2 << 20;
    enum { N = 80 };
    static char *ptr[N];
    static size_t got[N];
    size_t carved = 0;                      /* of the current region */
    int n = 0;
    pool_touch_here(true);
    for (; n < N && pool_stats().regions < 2; n++) {
        ptr[n] = pool_alloc(65536, &got[n]);
        assert_non_null(ptr[n]);
        if (pool_stats().regions == 2)
            break;                          /* (checked below) */
        carved += got[n];
        assert_int_equal(pool_stats().ahead, region - carved < region / 2 ? region : 0);
    }
    assert_true(carved > region / 2);       /* the loop saw both cases */
    /* the second region is the one touched ahead: none ahead now */
    assert_int_equal(pool_stats().regions, 2);
    assert_int_equal(pool_stats().mapped, 2 * region);
    assert_int_equal(pool_stats().ahead, 0);
    n++;
    pool_touch_here(false);                 /* this thread no more */
    for (carved = got[n - 1]; n < N && pool_stats().regions < 3; n++) {
        ptr[n] = pool_alloc(65536, &got[n]);
        assert_non_null(ptr[n]);
        carved += got[n];
        assert_int_equal(pool_stats().ahead, 0);
    }
    assert_true(carved > region / 2);
    free_all_nothing_stays(ptr, got, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes_and_reuse),
        cmocka_unit_test(test_large_is_plain),
        cmocka_unit_test(test_many_regions),
        cmocka_unit_test(test_failpoint),
        cmocka_unit_test(test_arena_on_pool),
        cmocka_unit_test(test_ahead),
        cmocka_unit_test(test_touch_here),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
