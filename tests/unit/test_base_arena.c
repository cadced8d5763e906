/* Arena and the allocation failpoint: alignment, exact statistics, large
 * allocations, reset with a bounded keep, mark/rewind, NULL and longjmp on
 * failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "base/arena.h"
#include "base/mem.h"

static void test_alignment(void **state)
{
    Arena a;
    arena_init(&a, 4096, 0);
    size_t aligns[] = { 1, 2, 4, 8, 16, 32, 64, 256, 1024 };
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++) {
            char *p = arena_alloc(&a, 3 + round, aligns[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % aligns[i], 0);
            p[0] = 1;  /* ASan checks the bytes are ours */
            p[2 + round] = 1;
        }
    }
    /* An alignment larger than the chunk data alignment on a fresh chunk. */
    char *p = arena_alloc(&a, 4096, 4096);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 4096, 0);
    arena_free(&a);
}

static void test_stats_exact(void **state)
{
    Arena a;
    arena_init(&a, 1024, 0);
    ArenaStats s = arena_stats(&a);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.chunks, 0);
    assert_int_equal(s.capacity, 0);

    assert_non_null(arena_alloc(&a, 10, 1));
    s = arena_stats(&a);
    assert_int_equal(s.in_use, 10);
    assert_int_equal(s.chunks, 1);
    assert_int_equal(s.capacity, 1024);

    /* chunk data starts 16-aligned: offset 10 needs 6 bytes of padding */
    assert_non_null(arena_alloc(&a, 8, 8));
    s = arena_stats(&a);
    assert_int_equal(s.in_use, 24);
    assert_int_equal(s.high_water, 24);

    /* larger than a chunk: a chunk of its own, exactly that size */
    assert_non_null(arena_alloc(&a, 5000, 1));
    s = arena_stats(&a);
    assert_int_equal(s.in_use, 5024);
    assert_int_equal(s.chunks, 2);
    assert_int_equal(s.capacity, 1024 + 5000);

    /* the next small allocation needs a fresh normal chunk */
    assert_non_null(arena_alloc(&a, 1000, 1));
    s = arena_stats(&a);
    assert_int_equal(s.in_use, 6024);
    assert_int_equal(s.chunks, 3);
    assert_int_equal(s.capacity, 2048 + 5000);
    assert_int_equal(s.high_water, 6024);

    arena_free(&a);
    s = arena_stats(&a);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.chunks, 0);
    assert_int_equal(s.capacity, 0);
    assert_int_equal(s.high_water, 6024);
}

/* arena_reserve: one chunk of the reserved size, then allocations up to it
 * need no new chunk; a reservation that fits needs nothing. */
static void test_reserve(void **state)
{
    Arena a;
    arena_init(&a, 1024, 0);
    assert_true(arena_reserve(&a, 5000));
    ArenaStats s = arena_stats(&a);
    assert_int_equal(s.chunks, 1);
    assert_int_equal(s.capacity, 5000);
    assert_int_equal(s.in_use, 0);
    assert_non_null(arena_alloc(&a, 3000, 1));
    assert_non_null(arena_alloc(&a, 2000, 1));
    assert_true(arena_reserve(&a, 0));
    s = arena_stats(&a);
    assert_int_equal(s.chunks, 1);
    assert_int_equal(s.in_use, 5000);
    assert_true(arena_reserve(&a, 10));     /* full: a normal chunk */
    s = arena_stats(&a);
    assert_int_equal(s.chunks, 2);
    assert_int_equal(s.capacity, 5000 + 1024);
    arena_free(&a);
}

/* arena_reserve_exact: a chunk of exactly the reserved size, even below
 * the chunk size; later allocations past it get normal chunks. */
static void test_reserve_exact(void **state)
{
    Arena a;
    arena_init(&a, 4096, 0);
    assert_true(arena_reserve_exact(&a, 200));
    ArenaStats s = arena_stats(&a);
    assert_int_equal(s.chunks, 1);
    assert_int_equal(s.capacity, 200);
    assert_non_null(arena_alloc(&a, 120, 8));
    assert_non_null(arena_alloc(&a, 80, 8));
    assert_true(arena_reserve_exact(&a, 0));    /* fits: nothing new */
    assert_int_equal(arena_stats(&a).chunks, 1);
    assert_non_null(arena_alloc(&a, 8, 8));     /* full: a normal chunk */
    s = arena_stats(&a);
    assert_int_equal(s.chunks, 2);
    assert_int_equal(s.capacity, 200 + 4096);
    arena_free(&a);
}

static void test_reset_keeps_bounded(void **state)
{
    Arena a;
    arena_init(&a, 1024, 2048);
    for (int i = 0; i < 5; i++)
        assert_non_null(arena_alloc(&a, 1000, 1));
    assert_int_equal(arena_stats(&a).chunks, 5);
    arena_reset(&a);
    ArenaStats s = arena_stats(&a);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.chunks, 2);
    assert_int_equal(s.capacity, 2048);
    assert_int_equal(s.high_water, 5000);
    /* kept chunks are reused before anything new is allocated */
#ifdef COORD_TESTING
    mem_fail_every_after(1);
#endif
    assert_non_null(arena_alloc(&a, 1000, 1));
    assert_non_null(arena_alloc(&a, 1000, 1));
#ifdef COORD_TESTING
    assert_null(arena_alloc(&a, 1000, 1));
    mem_fail_at(0);
#endif
    s = arena_stats(&a);
    assert_int_equal(s.chunks, 2);
    assert_int_equal(s.in_use, 2000);

    /* keep 0 frees everything */
    Arena b;
    arena_init(&b, 1024, 0);
    assert_non_null(arena_alloc(&b, 100, 1));
    arena_reset(&b);
    assert_int_equal(arena_stats(&b).chunks, 0);
    assert_int_equal(arena_stats(&b).capacity, 0);
    arena_free(&a);
    arena_free(&b);
}

static void test_mark_rewind(void **state)
{
    Arena a;
    arena_init(&a, 256, 0);
    assert_non_null(arena_alloc(&a, 100, 1));
    ArenaMark m = arena_mark(&a);
    char *first = arena_alloc(&a, 10, 1);
    for (int i = 0; i < 20; i++)
        assert_non_null(arena_alloc(&a, 100, 8));
    assert_true(arena_stats(&a).chunks > 5);
    arena_rewind(&a, m);
    assert_int_equal(arena_stats(&a).in_use, 100);
    char *again = arena_alloc(&a, 10, 1);
    assert_ptr_equal(first, again);
    assert_int_equal(arena_stats(&a).in_use, 110);

    /* a mark on an empty arena rewinds to empty */
    Arena b;
    arena_init(&b, 256, 0);
    ArenaMark m0 = arena_mark(&b);
    assert_non_null(arena_alloc(&b, 300, 1));
    arena_rewind(&b, m0);
    assert_int_equal(arena_stats(&b).in_use, 0);
    assert_non_null(arena_alloc(&b, 10, 1));
    arena_free(&a);
    arena_free(&b);
}

static void test_helpers(void **state)
{
    Arena a;
    arena_init(&a, 0, 0);
    assert_int_equal(a.chunk_size, ARENA_DEFAULT_CHUNK);
    char *s = arena_printf(&a, "%s:%d:%c", "path", 12, 'x');
    assert_string_equal(s, "path:12:x");
    char *d = arena_strndup(&a, "hello world", 5);
    assert_string_equal(d, "hello");
    int *z = ARENA_ZARRAY(&a, int, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    int src[3] = { 1, 2, 3 };
    int *c = arena_memdup(&a, src, sizeof src);
    assert_memory_equal(c, src, sizeof src);
    assert_non_null(arena_memdup(&a, NULL, 0));
    arena_free(&a);
}

#ifdef COORD_TESTING
static void test_null_on_failure(void **state)
{
    Arena a;
    arena_init(&a, 1024, 0);
    mem_fail_at(1);
    assert_null(arena_alloc(&a, 16, 8));
    assert_true(mem_failpoint_hit());
    assert_int_equal(mem_alloc_count(), 1);
    /* one-shot: the next allocation succeeds */
    assert_non_null(arena_alloc(&a, 16, 8));
    assert_int_equal(arena_stats(&a).chunks, 1);
    mem_fail_at(0);
    assert_false(mem_failpoint_hit());
    /* the second chunk is the one that fails; the first stays usable */
    mem_fail_at(1);
    assert_null(arena_alloc(&a, 2000, 1));
    assert_non_null(arena_alloc(&a, 16, 1));
    mem_fail_at(0);
    arena_free(&a);
}

static void test_longjmp_on_failure(void **state)
{
    Arena a;
    arena_init(&a, 1024, 0);
    jmp_buf jb;
    volatile int jumped = 0;
    arena_set_oom(&a, &jb);
    if (setjmp(jb) == 0) {
        mem_fail_at(2);
        assert_non_null(arena_alloc(&a, 1000, 1));
        arena_alloc(&a, 1000, 1);
        fail_msg("arena_alloc returned instead of jumping");
    } else {
        jumped = 1;
    }
    mem_fail_at(0);
    assert_int_equal(jumped, 1);
    assert_int_equal(arena_stats(&a).in_use, 1000);
    arena_free(&a);
}

static void test_failpoint_env(void **state)
{
    setenv("COORD_FAIL_ALLOC", "2", 1);
    unsetenv("COORD_FAIL_ALLOC_STICKY");
    mem_failpoint_from_env();
    void *p1 = mem_alloc(8), *p2 = mem_alloc(8), *p3 = mem_alloc(8);
    assert_non_null(p1);
    assert_null(p2);
    assert_non_null(p3);
    assert_int_equal(mem_alloc_count(), 3);
    mem_free(p1);
    mem_free(p3);

    setenv("COORD_FAIL_ALLOC_STICKY", "1", 1);
    mem_failpoint_from_env();
    p1 = mem_alloc(8);
    assert_non_null(p1);
    assert_null(mem_calloc(2, 8));
    assert_null(mem_realloc(p1, 64));  /* p1 untouched */
    assert_null(mem_alloc(1));
    mem_free(p1);
    mem_fail_at(0);
    unsetenv("COORD_FAIL_ALLOC");
    unsetenv("COORD_FAIL_ALLOC_STICKY");
    p1 = mem_alloc(8);
    assert_non_null(p1);
    mem_free(p1);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_stats_exact),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_reserve_exact),
        cmocka_unit_test(test_reset_keeps_bounded),
        cmocka_unit_test(test_mark_rewind),
        cmocka_unit_test(test_helpers),
#ifdef COORD_TESTING
        cmocka_unit_test(test_null_on_failure),
        cmocka_unit_test(test_longjmp_on_failure),
        cmocka_unit_test(test_failpoint_env),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
