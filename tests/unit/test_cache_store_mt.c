/* test_cache_store_mt — several threads writing the same keys (the same
 * variant and different ones) while they load them, through one shared store
 * (threads of one run) and through stores of their own that they publish
 * (other processes): every load sees only valid entries with the bytes some
 * writer wrote, nothing is ever counted corrupt, and the cache is valid and
 * whole afterwards; and walks of the whole cache (info) from several
 * threads at once each count every entry.  Runs under
 * `make tsan` too (the name ends in _mt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/cache_fixture.h"

#include <pthread.h>

#define THREADS 4
#define ROUNDS 60
#define KEYS 3

typedef struct Worker {
    Fix *f;
    int id;
    CacheCounters c;
    int bad;                     /* loads that returned wrong bytes */
} Worker;

/* Entry (key k, variant v) always holds the sections of seed k * 16 + v, so
 * any writer's copy is the same bytes and a reader can check them.  Each
 * worker writes into the shared store (threads of one run) and, every few
 * rounds, through a store of its own that it publishes (another process),
 * and loads from both. */
static void *worker_main(void *arg)
{
    Worker *w = arg;
    CacheStore *own = NULL;
    char err[256];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t k = (uint64_t)(r + w->id) % KEYS;
        uint64_t v = (uint64_t)(r % 2 ? w->id : 0);   /* shared variant 0, and our own */
        if (fix_write(w->f, fix_key(k), v, k * 16 + v, &w->c) != 0)
            w->bad++;
        if (!own && cache_store_open(w->f->dir, 0, FIX_BUILD, &own, err, sizeof err) != 0)
            w->bad++;
        CacheSection secs[FIX_NSEC];
        fix_sections(k * 16 + v, secs);
        if (own && cache_store_write(own, fix_key(k), v, secs, FIX_NSEC, &w->c) != 0)
            w->bad++;
        fix_sections_free(secs);
        CacheStore *from[2] = { w->f->s, own };
        for (int s = 0; s < 2; s++) {
            if (!from[s])
                continue;
            CacheEntry e[THREADS + 1];
            uint32_t n = cache_store_load(from[s], fix_key((k + 1) % KEYS), e, THREADS + 1, &w->c);
            for (uint32_t i = 0; i < n; i++) {
                if (!fix_entry_is(&e[i], ((k + 1) % KEYS) * 16 + e[i].variant))
                    w->bad++;
                cache_store_touch(from[s], fix_key((k + 1) % KEYS), e[i].variant);
                cache_entry_release(&e[i]);
            }
        }
        if (own && r % 10 == 9) {
            if (cache_store_publish(own) != 0)
                w->bad++;
            cache_store_close(own);
            own = NULL;
        }
    }
    if (own && cache_store_publish(own) != 0)
        w->bad++;
    cache_store_close(own);
    return NULL;
}

static void test_concurrent_writers_readers_mt(void **state)
{
    Fix *f = fix_new("mt", 0);
    pthread_t t[THREADS];
    Worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (Worker){ f, i, { 0, 0, 0, 0 }, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    uint64_t written = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].bad, 0);
        assert_int_equal(w[i].c.corrupt, 0);
        written += w[i].c.written;
    }
    assert_int_equal(written, 2 * THREADS * ROUNDS);
    assert_int_equal(cache_store_publish(f->s), 0);
    /* Stores that ran at once each merged only the packs they knew of; the
     * next run that publishes sees them all and merges them. */
    fix_reopen(f);
    CacheCounters one = { 0, 0, 0, 0 };
    assert_int_equal(fix_write(f, fix_key(99), 1, 99, &one), 0);
    assert_int_equal(cache_store_publish(f->s), 0);
    assert_true(fix_pack(f, -1, NULL, 0) <= (int)CACHE_MAX_PACKS);
    /* Afterwards: every key holds variant 0 (shared) and each writer id. */
    uint64_t entries, total;
    assert_int_equal(cache_store_info(f->s, &entries, &total), 0);
    assert_int_equal(entries, KEYS * THREADS + 1);   /* variants 0 .. THREADS-1, and key 99 */
    fix_reopen(f);
    for (uint64_t k = 0; k < KEYS; k++) {
        CacheEntry e[THREADS + 1];
        CacheCounters c = { 0, 0, 0, 0 };
        uint32_t n = cache_store_load(f->s, fix_key(k), e, THREADS + 1, &c);
        assert_int_equal(n, THREADS);
        assert_int_equal(c.corrupt, 0);
        for (uint32_t i = 0; i < n; i++) {
            assert_true(fix_entry_is(&e[i], k * 16 + e[i].variant));
            cache_entry_release(&e[i]);
        }
    }
    fix_free(f);
}

/* Walks from several threads at once each see the whole cache. */
#define WALK_ENTRIES 300
static void *walker_main(void *arg)
{
    Worker *w = arg;
    for (int r = 0; r < 15; r++) {
        uint64_t entries, bytes;
        if (cache_store_info(w->f->s, &entries, &bytes) != 0 || entries != WALK_ENTRIES)
            w->bad++;
    }
    return NULL;
}

static void test_concurrent_walks_mt(void **state)
{
    Fix *f = fix_new("walks", 0);
    CacheCounters c = { 0, 0, 0, 0 };
    for (uint64_t i = 0; i < WALK_ENTRIES; i++) {
        assert_int_equal(fix_write(f, fix_key(i), 1, i, &c), 0);
        if (i % 100 == 99)
            assert_int_equal(cache_store_publish(f->s), 0);   /* three packs */
    }
    /* Other files in DIR/v2, enough that listing it takes several getdents
     * calls: walks that shared a directory offset would see a pack twice or
     * not at all. */
    for (int i = 0; i < 3000; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/v2/not-the-cache-%04d-with-a-long-name", f->dir, i);
        fix_put(path, "", 0);
    }
    pthread_t t[THREADS];
    Worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (Worker){ f, i, { 0, 0, 0, 0 }, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, walker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].bad, 0);
    }
    fix_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_writers_readers_mt),
        cmocka_unit_test(test_concurrent_walks_mt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
