/* Intern table and hashing: dedup, dense ids, growth, a million distinct
 * strings, lookup without allocation, failure leaves the table intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/hash.h"
#include "base/intern.h"
#include "base/mem.h"

static void test_dedup(void **state)
{
    Arena a;
    arena_init(&a, 0, 0);
    InternTable t;
    assert_true(intern_init(&t, &a, 0));
    uint32_t foo = intern(&t, "foo", 3);
    uint32_t bar = intern(&t, "bar", 3);
    uint32_t empty = intern(&t, "", 0);
    assert_int_equal(foo, 0);
    assert_int_equal(bar, 1);
    assert_int_equal(empty, 2);
    assert_int_equal(intern(&t, "foobar", 3), foo);  /* only len bytes count */
    assert_int_equal(intern(&t, "bar", 3), bar);
    assert_int_equal(intern(&t, "", 0), empty);
    assert_int_equal(intern(&t, "fo", 2), 3);
    assert_int_equal(t.count, 4);
    assert_string_equal(intern_str(&t, foo), "foo");
    assert_int_equal(intern_len(&t, foo), 3);
    assert_string_equal(intern_str(&t, empty), "");
    /* embedded NUL bytes are part of the key */
    uint32_t n1 = intern(&t, "a\0b", 3), n2 = intern(&t, "a\0c", 3);
    assert_int_not_equal(n1, n2);
    assert_int_equal(intern_lookup(&t, "a\0b", 3), n1);
    assert_int_equal(intern_lookup(&t, "nope", 4), INTERN_NONE);
    arena_free(&a);
}

static void test_million(void **state)
{
    enum { N = 1000000 };
    Arena a;
    arena_init(&a, 1 << 20, 0);
    InternTable t;
    assert_true(intern_init(&t, &a, 4));
    char buf[32];
    for (uint32_t i = 0; i < N; i++) {
        int len = snprintf(buf, sizeof buf, "name_%u", i);
        assert_int_equal(intern(&t, buf, (size_t)len), i);
    }
    assert_int_equal(t.count, N);
    /* load stays within the documented 5/8 bound */
    assert_true((uint64_t)t.count * 8 <= ((uint64_t)t.slot_mask + 1) * 5);
    size_t in_use = arena_stats(&a).in_use;
    for (uint32_t i = 0; i < N; i += 7) {
        int len = snprintf(buf, sizeof buf, "name_%u", i);
        assert_int_equal(intern_lookup(&t, buf, (size_t)len), i);
        assert_int_equal(intern(&t, buf, (size_t)len), i);
    }
    assert_int_equal(arena_stats(&a).in_use, in_use);  /* no allocation */
    assert_int_equal(intern_lookup(&t, "name_1000000", 12), INTERN_NONE);
    assert_string_equal(intern_str(&t, 123456), "name_123456");
    arena_free(&a);
}

#ifdef COORD_TESTING
static void test_failure_keeps_table(void **state)
{
    Arena a;
    arena_init(&a, 256, 0);
    InternTable t;
    assert_true(intern_init(&t, &a, 0));
    char buf[32];
    uint32_t i = 0;
    /* Fail every chunk allocation; interning goes on until the arena is
     * exhausted, then fails without changing the table. */
    mem_fail_every_after(1);
    for (;; i++) {
        int len = snprintf(buf, sizeof buf, "k%u", i);
        uint32_t id = intern(&t, buf, (size_t)len);
        if (id == INTERN_NONE)
            break;
        assert_int_equal(id, i);
    }
    mem_fail_at(0);
    assert_int_equal(t.count, i);
    for (uint32_t j = 0; j < i; j++) {
        int len = snprintf(buf, sizeof buf, "k%u", j);
        assert_int_equal(intern_lookup(&t, buf, (size_t)len), j);
    }
    int len = snprintf(buf, sizeof buf, "k%u", i);
    assert_int_equal(intern_lookup(&t, buf, (size_t)len), INTERN_NONE);
    assert_int_equal(intern(&t, buf, (size_t)len), i);
    arena_free(&a);
}
#endif

static void test_hash(void **state)
{
    /* XXH3-64 reference values for the empty input and "a". */
    assert_int_equal(hash_bytes("", 0), 0x2D06800538D394C2ull);
    assert_int_not_equal(hash_bytes("a", 1), hash_bytes("b", 1));
    assert_int_not_equal(hash_bytes_seed("a", 1, 1), hash_bytes("a", 1));
    assert_int_equal(hash_bytes_seed("abc", 3, 0), hash_bytes("abc", 3));
    HashState s;
    assert_true(hash_stream_begin(&s));
    hash_stream_add(&s, "hello ", 6);
    hash_stream_add(&s, "", 0);
    hash_stream_add(&s, "world", 5);
    assert_int_equal(hash_stream_end(&s), hash_bytes("hello world", 11));
#ifdef COORD_TESTING
    mem_fail_at(1);
    assert_false(hash_stream_begin(&s));
    mem_fail_at(0);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup),
        cmocka_unit_test(test_million),
#ifdef COORD_TESTING
        cmocka_unit_test(test_failure_keeps_table),
#endif
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
