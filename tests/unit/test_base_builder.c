/* Builders: push, push_n, reserve, truncate, and seal into an exact-size
 * durable copy; failure leaves the builder as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/builder.h"
#include "base/mem.h"

typedef struct Wide { uint64_t a; uint32_t b; } Wide;

static void test_push_and_seal(void **state)
{
    Arena scratch, durable;
    arena_init(&scratch, 1024, 0);
    arena_init(&durable, 1024, 0);
    Builder b;
    BUILDER_INIT(&b, &scratch, uint32_t);
    for (uint32_t i = 0; i < 1000; i++)
        BUILDER_PUSH(&b, uint32_t, i * 3);
    assert_int_equal(b.count, 1000);
    assert_true(b.cap >= 1000);
    assert_int_equal(BUILDER_AT(&b, uint32_t, 999), 2997);
    assert_int_equal(*(uint32_t *)builder_at(&b, 10), 30);

    size_t before = arena_stats(&durable).in_use;
    uint32_t *sealed = builder_seal(&b, &durable);
    assert_non_null(sealed);
    assert_int_equal(arena_stats(&durable).in_use - before, 1000 * sizeof(uint32_t));
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(sealed[i], i * 3);
    /* the sealed copy is independent of the builder */
    BUILDER_AT(&b, uint32_t, 0) = 77;
    assert_int_equal(sealed[0], 0);
    arena_free(&scratch);
    assert_int_equal(sealed[999], 2997);
    arena_free(&durable);
}

static void test_empty_seal_allocates_nothing(void **state)
{
    Arena scratch, durable;
    arena_init(&scratch, 1024, 0);
    arena_init(&durable, 1024, 0);
    Builder b;
    BUILDER_INIT(&b, &scratch, Wide);
    Wide *w = builder_seal(&b, &durable);
    assert_non_null(w);
    assert_int_equal((uintptr_t)w % _Alignof(Wide), 0);
    assert_int_equal(arena_stats(&durable).chunks, 0);
    assert_int_equal(arena_stats(&scratch).chunks, 0);
    arena_free(&scratch);
    arena_free(&durable);
}

static void test_push_n_reserve_truncate(void **state)
{
    Arena scratch, durable;
    arena_init(&scratch, 4096, 0);
    arena_init(&durable, 4096, 0);
    Builder b;
    BUILDER_INIT(&b, &scratch, Wide);
    assert_true(builder_reserve(&b, 100));
    assert_true(b.cap >= 100);
    char *data = b.data;
    Wide ws[50];
    for (int i = 0; i < 50; i++)
        ws[i] = (Wide){ (uint64_t)i << 40, (uint32_t)i };
    assert_true(builder_push_n(&b, ws, 50));
    assert_true(builder_push_n(&b, ws, 50));
    assert_ptr_equal(b.data, data);  /* reserved: no growth */
    assert_int_equal(b.count, 100);
    assert_int_equal(BUILDER_AT(&b, Wide, 73).b, 23);
    builder_truncate(&b, 60);
    assert_int_equal(b.count, 60);
    Wide *s = builder_seal(&b, &durable);
    assert_int_equal((uintptr_t)s % _Alignof(Wide), 0);
    assert_int_equal(s[59].a, (uint64_t)9 << 40);
    builder_clear(&b);
    assert_int_equal(b.count, 0);
    assert_true(builder_push_n(&b, NULL, 0));
    arena_free(&scratch);
    arena_free(&durable);
}

#ifdef COORD_TESTING
static void test_growth_failure(void **state)
{
    Arena scratch;
    arena_init(&scratch, 64, 0);
    Builder b;
    BUILDER_INIT(&b, &scratch, uint64_t);
    for (int i = 0; i < 8; i++)
        BUILDER_PUSH(&b, uint64_t, (uint64_t)i);
    assert_int_equal(b.cap, 8);
    mem_fail_every_after(1);
    assert_null(builder_push(&b));
    assert_false(builder_push_n(&b, &b, 1));
    mem_fail_at(0);
    assert_int_equal(b.count, 8);
    assert_int_equal(BUILDER_AT(&b, uint64_t, 7), 7);
    assert_non_null(builder_push(&b));
    assert_int_equal(b.count, 9);
    arena_free(&scratch);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_and_seal),
        cmocka_unit_test(test_empty_seal_allocates_nothing),
        cmocka_unit_test(test_push_n_reserve_truncate),
#ifdef COORD_TESTING
        cmocka_unit_test(test_growth_failure),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
