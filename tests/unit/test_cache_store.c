/* test_cache_store — the on-disk cache store (workers/cache_store.h) as
 * untrusted input: round trips through packs, every truncation and every
 * single-bit flip of a pack, forged entry and pack fields, wrong key,
 * another build, a directory or a symlink or a FIFO where a pack should be,
 * buffers for the remote tier, LRU order and touch, merging and the
 * rewriting of packs with rejected entries, info / trim / clean and the
 * automatic trim, writers killed with SIGKILL mid-write (fork), the
 * directory resolution, sizes, and every allocation failing.  The threaded
 * test is test_cache_store_mt.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/hash.h"
#include "base/mem.h"
#include "tests/unit/cache_fixture.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static CacheCounters zero_counters(void) { return (CacheCounters){ 0, 0, 0, 0 }; }

static void set_mtime(const char *path, time_t t)
{
    struct timespec ts[2] = { { t, 0 }, { t, 0 } };
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* A new run loads key expecting nothing valid; returns how many were
 * counted corrupt. */
static uint64_t load_none(Fix *f, CacheKey key)
{
    fix_reopen(f);
    CacheEntry e[2];
    CacheCounters c = zero_counters();
    assert_int_equal(cache_store_load(f->s, key, e, 2, &c), 0);
    return c.corrupt;
}

/* A new run loads key expecting entry `seed` (variant v). */
static void load_is(Fix *f, CacheKey key, uint64_t v, uint64_t seed)
{
    fix_reopen(f);
    CacheEntry e;
    CacheCounters c = zero_counters();
    assert_int_equal(cache_store_load(f->s, key, &e, 1, &c), 1);
    assert_int_equal(c.corrupt, 0);
    assert_int_equal(e.variant, v);
    assert_true(fix_entry_is(&e, seed));
    cache_entry_release(&e);
}

#define ENTRY_SIZE (64 + 32 + 16 + 0 + 64 + 8)     /* fix_write's entries */

static void test_round_trip(void **state)
{
    Fix *f = fix_new("rt", 0);
    CacheKey k = fix_key(1);
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, 77, 5, &c), 0);
    assert_int_equal(c.written, 1);
    assert_int_equal(c.bytes_written, ENTRY_SIZE);
    /* Not visible before it is published, not even to this store. */
    CacheEntry e[3];
    CacheCounters r = zero_counters();
    assert_int_equal(cache_store_load(f->s, k, e, 3, &r), 0);
    assert_int_equal(fix_pack(f, 0, NULL, 0), 0);
    /* A later write of the same key and variant wins. */
    assert_int_equal(fix_write(f, k, 77, 6, &c), 0);
    assert_int_equal(cache_store_publish(f->s), 0);
    char pack[512];
    assert_int_equal(fix_pack(f, 0, pack, sizeof pack), 1);
    /* header, two entries (the first one dead), one record, trailer */
    assert_int_equal(file_size(pack), CACHE_PACK_OVERHEAD + 2 * ENTRY_SIZE + CACHE_PACK_RECORD);
    assert_int_equal(cache_store_estimate(f->s), file_size(pack));
    assert_int_equal(cache_store_load(f->s, k, e, 3, &r), 1);   /* published: seen */
    assert_int_equal(e[0].variant, 77);
    assert_false(e[0].heap);
    assert_true(fix_entry_is(&e[0], 6));
    assert_int_equal(r.bytes_read, ENTRY_SIZE);
    assert_int_equal(r.corrupt, 0);
    cache_entry_release(&e[0]);
    assert_null(e[0].map);
    /* Publishing nothing makes no pack; another key has nothing. */
    assert_int_equal(cache_store_publish(f->s), 0);
    assert_int_equal(fix_pack(f, 0, NULL, 0), 1);
    assert_int_equal(load_none(f, fix_key(2)), 0);
    load_is(f, k, 77, 6);
    /* Too many sections is refused. */
    CacheSection many[CACHE_MAX_SECTIONS + 1];
    for (uint32_t i = 0; i <= CACHE_MAX_SECTIONS; i++)
        many[i] = (CacheSection){ "x", 1 };
    assert_int_equal(cache_store_write(f->s, k, 1, many, CACHE_MAX_SECTIONS + 1, &c), -1);
    assert_int_equal(cache_store_write(f->s, k, 1, many, CACHE_MAX_SECTIONS, &c), 0);
    /* An entry larger than the write buffer goes straight to the file. */
    size_t big = (1u << 20) + 13;
    unsigned char *payload = malloc(big);
    for (size_t i = 0; i < big; i++)
        payload[i] = (unsigned char)(i * 7u);
    CacheSection bs[1] = { { payload, big } };
    assert_int_equal(cache_store_write(f->s, fix_key(3), 9, bs, 1, &c), 0);
    assert_int_equal(fix_write(f, fix_key(4), 9, 44, &c), 0);
    fix_publish(f);
    assert_int_equal(cache_store_load(f->s, fix_key(3), e, 1, &r), 1);
    assert_int_equal(e[0].sections[0].len, big);
    assert_memory_equal(e[0].sections[0].data, payload, big);
    cache_entry_release(&e[0]);
    assert_int_equal(cache_store_load(f->s, k, e, 3, &r), 2);   /* variants 77 and 1 */
    cache_entry_release(&e[0]);
    cache_entry_release(&e[1]);
    load_is(f, fix_key(4), 9, 44);
    free(payload);
    fix_free(f);
}

/* Several variants of one key, in packs of different ages: most recently
 * used first; touch moves an entry to now. */
static void test_variants_lru_touch(void **state)
{
    Fix *f = fix_new("lru", 0);
    CacheKey k = fix_key(3);
    CacheCounters c = zero_counters();
    time_t now = time(NULL);
    for (uint64_t v = 1; v <= 3; v++) {
        assert_int_equal(fix_write(f, k, v, 100 + v, &c), 0);
        assert_int_equal(cache_store_publish(f->s), 0);
        /* the newest pack has the greatest name?  no: find it by content */
        for (int i = 0; i < fix_pack(f, -1, NULL, 0); i++) {
            char pack[512];
            fix_pack(f, i, pack, sizeof pack);
            struct stat st;
            assert_int_equal(stat(pack, &st), 0);
            if (st.st_mtime >= now - 100)    /* the one just written */
                set_mtime(pack, now - 10000 + (time_t)(v == 2 ? 5000 : v * 100)); /* 2, 3, 1 */
        }
    }
    fix_reopen(f);
    CacheEntry e[3];
    assert_int_equal(cache_store_load(f->s, k, e, 3, &c), 3);
    assert_int_equal(e[0].variant, 2);
    assert_int_equal(e[1].variant, 3);
    assert_int_equal(e[2].variant, 1);
    assert_true(fix_entry_is(&e[0], 102) && fix_entry_is(&e[1], 103) && fix_entry_is(&e[2], 101));
    assert_int_equal(e[0].mtime, now - 5000);
    for (int i = 0; i < 3; i++)
        cache_entry_release(&e[i]);
    assert_int_equal(cache_store_load(f->s, k, e, 1, &c), 1);
    assert_int_equal(e[0].variant, 2);
    cache_entry_release(&e[0]);
    /* Touching variant 1 makes it the most recently used, in this store
     * and in the next (the lru table is shared). */
    cache_store_touch(f->s, k, 1);
    assert_int_equal(cache_store_load(f->s, k, e, 1, &c), 1);
    assert_int_equal(e[0].variant, 1);
    assert_true(e[0].mtime >= now - 60);
    cache_entry_release(&e[0]);
    fix_reopen(f);
    assert_int_equal(cache_store_load(f->s, k, e, 1, &c), 1);
    assert_int_equal(e[0].variant, 1);
    cache_entry_release(&e[0]);
    /* Touching what does not exist does nothing harmful. */
    cache_store_touch(f->s, k, 99);
    assert_int_equal(c.corrupt, 0);
    fix_free(f);
}

/* A pack of one entry, published; its bytes (malloc'd) and path. */
static unsigned char *one_pack(Fix *f, CacheKey k, uint64_t v, uint64_t seed, char *path, size_t n,
                               size_t *len)
{
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, v, seed, &c), 0);
    fix_publish(f);
    assert_int_equal(fix_pack(f, 0, path, n), 1);
    return fix_read(path, len);
}

/* Every truncation of a pack, from 0 bytes (empty) to one byte short: a
 * miss, counted once, and the pack removed; then the good one is found. */
static void test_truncated_everywhere(void **state)
{
    Fix *f = fix_new("trunc", 0);
    CacheKey k = fix_key(4);
    char path[512];
    size_t len;
    unsigned char *good = one_pack(f, k, 9, 1, path, sizeof path, &len);
    for (size_t n = 0; n < len; n++) {
        fix_put(path, good, n);
        if (load_none(f, k) != 1)
            fail_msg("a pack truncated to %zu bytes was not rejected once", n);
        assert_false(exists(path));
    }
    /* Longer than it says is as bad as shorter. */
    unsigned char *longer = calloc(1, len + 8);
    memcpy(longer, good, len);
    fix_put(path, longer, len + 8);
    assert_int_equal(load_none(f, k), 1);
    free(longer);
    fix_put(path, good, len);
    load_is(f, k, 9, 1);
    free(good);
    fix_free(f);
}

/* Every single-bit flip of a pack (header, entry, padding, index,
 * trailer): rejected and counted once; publishing then leaves no pack
 * (the pack was removed, or rewritten without its bad entry). */
static void test_bit_flips_everywhere(void **state)
{
    Fix *f = fix_new("flip", 0);
    CacheKey k = fix_key(5);
    char path[512];
    size_t len;
    unsigned char *good = one_pack(f, k, 10, 2, path, sizeof path, &len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            good[i] ^= (unsigned char)(1u << bit);
            fix_put(path, good, len);
            good[i] ^= (unsigned char)(1u << bit);
            if (load_none(f, k) != 1)
                fail_msg("flip of bit %d at offset %zu was not rejected", bit, i);
            assert_int_equal(cache_store_publish(f->s), 0);
            if (fix_pack(f, 0, NULL, 0) != 0)
                fail_msg("flip of bit %d at offset %zu: the pack stayed", bit, i);
        }
    }
    free(good);
    fix_free(f);
}

/* Rewrites one field of the entry at offset 64 of a pack and fixes the
 * entry's checksum, so the field itself is what validation must reject. */
static void forge(unsigned char *p, size_t off, uint64_t value, int is32)
{
    if (is32) {
        uint32_t v = (uint32_t)value;
        memcpy(p + 64 + off, &v, 4);
    } else {
        memcpy(p + 64 + off, &value, 8);
    }
    fix_reseal(p + 64, ENTRY_SIZE);
}

/* Rewrites one u64 of a pack at off and fixes the pack's checksum. */
static void forge_pack(unsigned char *p, size_t len, size_t off, uint64_t value)
{
    memcpy(p + off, &value, 8);
    fix_reseal_pack(p, len);
}

static void test_foreign_and_wrong(void **state)
{
    Fix *f = fix_new("foreign", 0);
    CacheKey k = fix_key(6), other = fix_key(7);
    uint64_t v = 11;
    char path[512];
    size_t len;
    unsigned char *good = one_pack(f, k, v, 3, path, sizeof path, &len);
    assert_int_equal(len, CACHE_PACK_OVERHEAD + ENTRY_SIZE + CACHE_PACK_RECORD);
    unsigned char *bad = malloc(len);
    /* The forge helpers themselves are right: unchanged fields stay valid. */
    memcpy(bad, good, len);
    forge(bad, 16, FIX_BUILD, 0);
    forge_pack(bad, len, 16, FIX_BUILD);
    fix_put(path, bad, len);
    load_is(f, k, v, 3);
    struct { size_t off; uint64_t value; int is32; const char *what; } cases[] = {
        { 0, 0x0065637472616f63ull, 0, "magic" },
        { 8, CACHE_FORMAT_VERSION + 1, 1, "format version" },
        { 8, 0x01000000, 1, "byte order" },
        { 16, FIX_BUILD ^ 1, 0, "build id" },
        { 24, k.hi ^ 0x10, 0, "key hi" },
        { 32, k.lo ^ 0x10, 0, "key lo" },
        { 40, v + 1, 0, "variant" },
        { 48, ENTRY_SIZE - 64 + 8, 0, "payload length" },
        { 12, FIX_NSEC - 1, 1, "section count" },
        { 12, CACHE_MAX_SECTIONS + 1, 1, "too many sections" },
        { 64, 1000, 0, "section length" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(bad, good, len);
        forge(bad, cases[i].off, cases[i].value, cases[i].is32);
        fix_put(path, bad, len);
        if (load_none(f, k) != 1)
            fail_msg("forged entry %s was not rejected", cases[i].what);
    }
    /* The pack's own fields (index record at len - 64 - 40). */
    size_t rec = len - 64 - CACHE_PACK_RECORD, tr = len - 64;
    struct { size_t off; uint64_t value; const char *what; } pcases[] = {
        { 8, 1, "pack format version" },
        { 16, FIX_BUILD + 1, "pack build id" },
        { 24, 1, "pack header padding" },
        { tr + 8, 2, "record count" },
        { tr + 16, 64, "index offset" },
        { tr + 24, 1, "trailer padding" },
        { rec + 24, 8, "entry offset" },
        { rec + 24, 60, "misaligned entry offset" },
        { rec + 32, ENTRY_SIZE + 8, "entry length" },
        { rec + 32, 0, "empty entry" },
        { rec + 0, k.hi + 1, "record key" },
    };
    for (size_t i = 0; i < sizeof pcases / sizeof *pcases; i++) {
        memcpy(bad, good, len);
        forge_pack(bad, len, pcases[i].off, pcases[i].value);
        fix_put(path, bad, len);
        if (load_none(f, k) != 1 && load_none(f, (CacheKey){ k.hi + 1, k.lo }) != 1)
            fail_msg("forged %s was not rejected", pcases[i].what);
    }
    /* Another entry's bytes in this entry's place (wrong key): a pack of
     * two entries of the same size, the second copied over the first. */
    fix_put(path, good, len);
    fix_reopen(f);
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, v, 3, &c), 0);
    assert_int_equal(fix_write(f, other, v, 3, &c), 0);
    fix_publish(f);
    assert_int_equal(fix_pack(f, -1, NULL, 0), 2);
    char two[512];
    for (int i = 0; i < 2; i++) {
        fix_pack(f, i, two, sizeof two);
        if (file_size(two) > len)
            break;
    }
    size_t tlen;
    unsigned char *t = fix_read(two, &tlen);
    memcpy(t + 64, t + 64 + ENTRY_SIZE, ENTRY_SIZE);
    fix_put(two, t, tlen);
    free(t);
    fix_reopen(f);
    CacheEntry e;
    c = zero_counters();
    assert_int_equal(cache_store_load(f->s, k, &e, 1, &c), 1);  /* the copy in the older pack */
    assert_int_equal(c.corrupt, 1);
    cache_entry_release(&e);
    load_is(f, other, v, 3);
    /* A store of another build sees every pack as foreign. */
    CacheStore *s2;
    char err[256];
    assert_int_equal(cache_store_open(f->dir, 0, FIX_BUILD + 1, &s2, err, sizeof err), 0);
    CacheCounters c2 = zero_counters();
    assert_int_equal(cache_store_load(s2, other, &e, 1, &c2), 0);
    assert_int_equal(c2.corrupt, 2);
    cache_store_close(s2);
    free(good);
    free(bad);
    fix_free(f);
}

/* Things that are not regular files where a pack should be.  Root reads
 * files whatever their mode, so the chmod 000 case runs only for other
 * users; a symlink (refused by O_NOFOLLOW) and a FIFO are unreadable as
 * packs for root too. */
static void test_not_a_file(void **state)
{
    Fix *f = fix_new("notfile", 0);
    CacheKey k = fix_key(8);
    char path[512];
    size_t len;
    unsigned char *good = one_pack(f, k, 12, 4, path, sizeof path, &len);
    /* A directory (non-empty: it cannot be removed) where the pack is. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0777), 0);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/x", path);
    fix_put(inner, "x", 1);
    assert_int_equal(load_none(f, k), 1);
    assert_true(exists(path));
    /* Empty: removed. */
    assert_int_equal(unlink(inner), 0);
    assert_int_equal(load_none(f, k), 1);
    assert_false(exists(path));
    /* A symlink to a valid pack. */
    char real[600];
    snprintf(real, sizeof real, "%s/real", f->dir);
    fix_put(real, good, len);
    assert_int_equal(symlink(real, path), 0);
    assert_int_equal(load_none(f, k), 1);
    assert_false(exists(path));
    /* A FIFO (no hang). */
    assert_int_equal(mkfifo(path, 0644), 0);
    assert_int_equal(load_none(f, k), 1);
    assert_false(exists(path));
    /* Unreadable. */
    if (geteuid() != 0) {
        fix_put(path, good, len);
        assert_int_equal(chmod(path, 0), 0);
        assert_int_equal(load_none(f, k), 1);
    } else {
        print_message("(root: chmod 000 does not stop root; covered by the symlink and FIFO cases)\n");
    }
    /* And a good one again. */
    fix_put(path, good, len);
    load_is(f, k, 12, 4);
    free(good);
    fix_free(f);
}

/* The remote tier: encode gives the very bytes of the entry in its pack;
 * adopt validates like a pack's entry and owns the buffer only on success. */
static void test_buffers(void **state)
{
    Fix *f = fix_new("buf", 0);
    CacheKey k = fix_key(10);
    uint64_t v = 0xfeedull;
    CacheSection secs[FIX_NSEC];
    fix_sections(8, secs);
    void *buf;
    size_t len;
    assert_int_equal(cache_entry_encode(FIX_BUILD, k, v, secs, FIX_NSEC, &buf, &len), 0);
    CacheCounters c = zero_counters();
    assert_int_equal(cache_store_write(f->s, k, v, secs, FIX_NSEC, &c), 0);
    fix_publish(f);
    char path[512];
    fix_pack(f, 0, path, sizeof path);
    size_t flen;
    unsigned char *file = fix_read(path, &flen);
    assert_int_equal(flen, CACHE_PACK_OVERHEAD + len + CACHE_PACK_RECORD);
    assert_memory_equal(file + 64, buf, len);
    /* And a loaded entry's bytes are the same again. */
    CacheEntry fe;
    assert_int_equal(cache_store_load(f->s, k, &fe, 1, &c), 1);
    assert_int_equal(fe.map_len, len);
    assert_memory_equal(fe.map, buf, len);
    cache_entry_release(&fe);
    free(file);

    CacheEntry e;
    CacheCounters r = zero_counters();
    assert_int_equal(cache_entry_adopt(FIX_BUILD, fix_key(11), buf, len, &e, &r), -1);
    assert_int_equal(r.corrupt, 1);
    assert_int_equal(cache_entry_adopt(FIX_BUILD + 1, k, buf, len, &e, &r), -1);
    assert_int_equal(r.corrupt, 2);
    for (size_t n = 0; n < len; n += 3)
        assert_int_equal(cache_entry_adopt(FIX_BUILD, k, buf, n, &e, &r), -1);
    ((unsigned char *)buf)[len - 1] ^= 0x20;
    assert_int_equal(cache_entry_adopt(FIX_BUILD, k, buf, len, &e, NULL), -1);
    ((unsigned char *)buf)[len - 1] ^= 0x20;
    assert_int_equal(cache_entry_adopt(FIX_BUILD, k, NULL, len, &e, NULL), -1);
    /* Misaligned: rejected, never read unaligned. */
    unsigned char *mis = mem_alloc(len + 1);
    memcpy(mis + 1, buf, len);
    assert_int_equal(cache_entry_adopt(FIX_BUILD, k, mis + 1, len, &e, NULL), -1);
    mem_free(mis);
    assert_int_equal(cache_entry_adopt(FIX_BUILD, k, buf, len, &e, &r), 0);
    assert_true(e.heap);
    assert_int_equal(e.variant, v);
    assert_true(fix_entry_is(&e, 8));
    assert_int_equal(r.bytes_read, len);
    cache_entry_release(&e);               /* frees buf */
    /* An entry with no sections. */
    assert_int_equal(cache_entry_encode(FIX_BUILD, k, 1, NULL, 0, &buf, &len), 0);
    assert_int_equal(len, CACHE_HEADER_SIZE);
    assert_int_equal(cache_entry_adopt(FIX_BUILD, k, buf, len, &e, NULL), 0);
    assert_int_equal(e.section_count, 0);
    cache_entry_release(&e);
    fix_sections_free(secs);
    fix_free(f);
}

/* Publishing keeps packs few: runs that each publish a pack never leave
 * more than CACHE_MAX_PACKS, every entry stays findable, and an entry two
 * runs both wrote is kept once when their packs merge.  A pack in which a
 * lookup rejected an entry is rewritten without it at the next publish. */
static void test_merge_and_rewrite(void **state)
{
    Fix *f = fix_new("merge", 0);
    CacheCounters c = zero_counters();
    for (uint64_t run = 0; run < 3 * CACHE_MAX_PACKS; run++) {
        assert_int_equal(fix_write(f, fix_key(run), 1, run, &c), 0);
        assert_int_equal(fix_write(f, fix_key(1000), 1, 1000, &c), 0);   /* every run */
        fix_publish(f);
        if ((uint64_t)fix_pack(f, -1, NULL, 0) > CACHE_MAX_PACKS)
            fail_msg("run %llu left %d packs", (unsigned long long)run, fix_pack(f, -1, NULL, 0));
    }
    for (uint64_t run = 0; run < 3 * CACHE_MAX_PACKS; run++)
        load_is(f, fix_key(run), 1, run);
    load_is(f, fix_key(1000), 1, 1000);
    uint64_t entries, bytes;
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 3 * CACHE_MAX_PACKS + 1);

    /* A bad entry in the newest pack: counted by the load that meets it,
     * gone after that run publishes (its good neighbours stay). */
    Fix *g = fix_new("dirty", 0);
    assert_int_equal(fix_write(g, fix_key(1), 1, 1, &c), 0);
    assert_int_equal(fix_write(g, fix_key(2), 1, 2, &c), 0);
    fix_publish(g);
    char path[512];
    fix_pack(g, 0, path, sizeof path);
    size_t len;
    unsigned char *p = fix_read(path, &len);
    p[64 + 100] ^= 1;                      /* inside the first entry */
    fix_put(path, p, len);
    free(p);
    assert_int_equal(load_none(g, fix_key(1)), 1);
    assert_int_equal(cache_store_publish(g->s), 0);
    assert_int_equal(fix_pack(g, -1, NULL, 0), 1);
    assert_int_equal(load_none(g, fix_key(1)), 0);
    load_is(g, fix_key(2), 1, 2);
    fix_free(g);
    fix_free(f);
}

/* info counts entries and bytes; trim removes the least recently used
 * entries down to the target (ties by key); foreign formats and stale
 * temporary files go first; clean removes everything the cache made and
 * nothing else. */
static void test_info_trim_clean(void **state)
{
    Fix *f = fix_new("trim", 0);
    CacheCounters c = zero_counters();
    time_t now = time(NULL);
    /* 5 packs of 2 entries, pack i aged 1000 - i * 100 seconds. */
    uint64_t sizes[5], total = 0;
    for (uint64_t i = 0; i < 5; i++) {
        assert_int_equal(fix_write(f, fix_key(2 * i), 1, 2 * i, &c), 0);
        assert_int_equal(fix_write(f, fix_key(2 * i + 1), 1, 2 * i + 1, &c), 0);
        assert_int_equal(cache_store_publish(f->s), 0);
        for (int k = 0; k < fix_pack(f, -1, NULL, 0); k++) {
            char pack[512];
            fix_pack(f, k, pack, sizeof pack);
            struct stat st;
            assert_int_equal(stat(pack, &st), 0);
            if (st.st_mtime >= now - 100) {
                set_mtime(pack, now - 1000 + (time_t)i * 100);
                sizes[i] = (uint64_t)st.st_size;
                total += sizes[i];
            }
        }
    }
    fix_reopen(f);
    assert_int_equal(sizes[0], CACHE_PACK_OVERHEAD + 2 * (ENTRY_SIZE + CACHE_PACK_RECORD));
    uint64_t entries, bytes, removed;
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 10);
    assert_int_equal(bytes, total);
    assert_int_equal(cache_store_estimate(f->s), total);
    /* Files of another format and old temporary files go first, whatever
     * the target; a recent temporary file stays. */
    char p[600];
    snprintf(p, sizeof p, "%s/v1", f->dir);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/v1/ab", f->dir);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/v1/ab/0123456789abcdef", f->dir);
    fix_put(p, "old format", 10);
    snprintf(p, sizeof p, "%s/v1/usage", f->dir);
    fix_put(p, "12345678", 8);
    snprintf(p, sizeof p, "%s/v2/.tmp-1-1", f->dir);
    fix_put(p, "dead", 4);
    set_mtime(p, now - 7200);
    snprintf(p, sizeof p, "%s/v2/.tmp-1-2", f->dir);
    fix_put(p, "live", 4);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(bytes, total + 10 + 8 + 4 + 4);
    assert_int_equal(cache_store_trim(f->s, UINT64_MAX, &removed), 0);
    assert_int_equal(removed, 2);          /* the two files of v1 */
    snprintf(p, sizeof p, "%s/v1", f->dir);
    assert_false(exists(p));
    snprintf(p, sizeof p, "%s/v2/.tmp-1-1", f->dir);
    assert_false(exists(p));
    snprintf(p, sizeof p, "%s/v2/.tmp-1-2", f->dir);
    assert_int_equal(unlink(p), 0);
    /* The two oldest packs exactly. */
    assert_int_equal(cache_store_trim(f->s, total - sizes[0] - sizes[1], &removed), 0);
    assert_int_equal(removed, 4);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 6);
    assert_int_equal(bytes, total - sizes[0] - sizes[1]);
    assert_int_equal(load_none(f, fix_key(0)), 0);
    assert_int_equal(load_none(f, fix_key(3)), 0);
    load_is(f, fix_key(4), 1, 4);
    /* Trimming to what is there removes nothing. */
    assert_int_equal(cache_store_trim(f->s, bytes, &removed), 0);
    assert_int_equal(removed, 0);
    /* A touched entry of the oldest pack left outlives the others: one
     * entry less than the pack needs its pack rewritten. */
    cache_store_touch(f->s, fix_key(4), 1);
    fix_reopen(f);
    assert_int_equal(cache_store_trim(f->s, bytes - 1, &removed), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 5);
    assert_int_equal(load_none(f, fix_key(5)), 0);   /* ties by key: 5 before 4's touch */
    load_is(f, fix_key(4), 1, 4);
    load_is(f, fix_key(6), 1, 6);
    /* clean: only what the cache made. */
    snprintf(p, sizeof p, "%s/notes.txt", f->dir);
    fix_put(p, "keep me", 7);
    snprintf(p, sizeof p, "%s/v2/readme", f->dir);
    fix_put(p, "keep me", 7);
    snprintf(p, sizeof p, "%s/v2/m-0123456789abcdef", f->dir);
    fix_put(p, "manifest", 8);
    assert_int_equal(cache_store_clean(f->s), 0);
    assert_false(exists(p));
    assert_int_equal(fix_pack(f, -1, NULL, 0), 0);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 0);
    assert_int_equal(bytes, 0);
    snprintf(p, sizeof p, "%s/notes.txt", f->dir);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/v2/readme", f->dir);
    assert_true(exists(p));
    assert_int_equal(load_none(f, fix_key(6)), 0);
    fix_free(f);
}

/* The automatic trim: nothing while the packs fit the bound; to 90% of it
 * once they do not. */
static void test_maybe_trim(void **state)
{
    const uint64_t bound = 20 * (ENTRY_SIZE + CACHE_PACK_RECORD);
    Fix *f = fix_new("auto", bound);
    CacheCounters c = zero_counters();
    uint64_t removed;
    for (uint64_t i = 0; i < 10; i++)
        assert_int_equal(fix_write(f, fix_key(i), 1, i, &c), 0);
    assert_int_equal(cache_store_publish(f->s), 0);
    assert_int_equal(cache_store_maybe_trim(f->s, &removed), 0);
    assert_int_equal(removed, 0);
    for (uint64_t i = 10; i < 30; i++)
        assert_int_equal(fix_write(f, fix_key(i), 1, i, &c), 0);
    assert_int_equal(cache_store_publish(f->s), 0);
    assert_true(cache_store_estimate(f->s) > bound);
    assert_int_equal(cache_store_maybe_trim(f->s, &removed), 0);
    assert_true(removed > 10);
    uint64_t entries, bytes;
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_true(bytes <= bound - bound / 10);
    assert_int_equal(entries, 30 - removed);
    assert_int_equal(cache_store_estimate(f->s), bytes);
    fix_free(f);
}

/* A writer killed with SIGKILL at random moments, many times, writing and
 * publishing big entries: the cache holds only valid packs (or none), and a
 * trim clears the leftovers once they are old. */
static void test_kill9_mid_write(void **state)
{
    Fix *f = fix_new("kill", 0);
    const size_t big = 4u << 20;
    unsigned char *payload = malloc(big);
    for (size_t i = 0; i < big; i++)
        payload[i] = (unsigned char)(i * 131u);
    srand(12345);
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            CacheCounters c = zero_counters();
            for (uint64_t n = 0;; n++) {
                CacheSection s[2] = { { payload, big - (n % 7) }, { &n, sizeof n } };
                cache_store_write(f->s, fix_key(n % 3), n % 2, s, 2, &c);
                if (n % 3 == 2)
                    cache_store_publish(f->s);
            }
        }
        struct timespec ts = { 0, (long)(rand() % 20000) * 1000 };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
    }
    fix_reopen(f);
    for (uint64_t k = 0; k < 3; k++) {
        CacheEntry e[4];
        CacheCounters c = zero_counters();
        uint32_t n = cache_store_load(f->s, fix_key(k), e, 4, &c);
        assert_int_equal(c.corrupt, 0);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(e[i].section_count, 2);
            assert_int_equal(e[i].sections[0].len, big - (*(const uint64_t *)e[i].sections[1].data % 7));
            assert_memory_equal(e[i].sections[0].data, payload, e[i].sections[0].len);
            cache_entry_release(&e[i]);
        }
    }
    /* Leftover temporary files, once old, go at the next trim. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "find '%s' -name '.tmp-*' -exec touch -d '-2 hours' {} +", f->dir);
    assert_int_equal(system(cmd), 0);
    uint64_t removed, entries, bytes;
    assert_int_equal(cache_store_trim(f->s, UINT64_MAX, &removed), 0);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(bytes, cache_store_estimate(f->s));
    free(payload);
    fix_free(f);
}

static void test_open_failures(void **state)
{
    CacheStore *s = NULL;
    char err[512];
    /* A path below a regular file cannot be created, even by root. */
    assert_int_equal(cache_store_open("/dev/null/coord-cache", 0, 1, &s, err, sizeof err), -1);
    assert_null(s);
    assert_string_equal(err, "cannot create cache directory /dev/null/coord-cache: Not a directory");
    /* An lru table that is a directory is repaired. */
    char dir[256], p[300];
    snprintf(dir, sizeof dir, "/tmp/coord_cache_open_%ld", (long)getpid());
    fix_rm_rf(dir);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(p, sizeof p, "%s/v2", dir);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/v2/lru", dir);
    assert_int_equal(mkdir(p, 0777), 0);
    assert_int_equal(cache_store_open(dir, 0, 1, &s, err, sizeof err), 0);
    assert_string_equal(cache_store_dir(s), dir);
    assert_int_equal(cache_store_build_id(s), 1);
    assert_true(cache_store_vfd(s) >= 0);
    cache_store_close(s);
    /* A short (garbage) table is fine: it is set to its size. */
    fix_put(p, "x", 1);
    assert_int_equal(cache_store_open(dir, 0, 1, &s, err, sizeof err), 0);
    cache_store_touch(s, fix_key(1), 1);
    cache_store_close(s);
    assert_int_equal(file_size(p), CACHE_LRU_SLOTS * 4);
    cache_store_close(NULL);
    fix_rm_rf(dir);
}

static void test_resolve(void **state)
{
    char out[256], err[256];
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    unsetenv("COORD_CACHE_DIR");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    assert_int_equal(cache_store_resolve_dir(NULL, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/home/u/.cache/coord");
    setenv("XDG_CACHE_HOME", "", 1);
    assert_int_equal(cache_store_resolve_dir(NULL, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/home/u/.cache/coord");
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    assert_int_equal(cache_store_resolve_dir(NULL, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/xdg/coord");
    setenv("COORD_CACHE_DIR", "/env/c", 1);
    assert_int_equal(cache_store_resolve_dir(NULL, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/env/c");
    assert_int_equal(cache_store_resolve_dir("/explicit", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/explicit");
    assert_int_equal(cache_store_resolve_dir("/explicit/long", out, 8, err, sizeof err), -1);
    assert_string_equal(err, "cache directory name too long");
    unsetenv("COORD_CACHE_DIR");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    assert_int_equal(cache_store_resolve_dir(NULL, out, sizeof out, err, sizeof err), -1);
    if (home)
        setenv("HOME", home, 1);
    free(home);

    uint64_t m;
    unsetenv("COORD_CACHE_MAX");
    assert_int_equal(cache_store_resolve_max(0, &m, err, sizeof err), 0);
    assert_int_equal(m, 1ull << 30);
    assert_int_equal(cache_store_resolve_max(5000, &m, err, sizeof err), 0);
    assert_int_equal(m, 5000);
    setenv("COORD_CACHE_MAX", "512M", 1);
    assert_int_equal(cache_store_resolve_max(0, &m, err, sizeof err), 0);
    assert_int_equal(m, 512ull << 20);
    setenv("COORD_CACHE_MAX", "lots", 1);
    assert_int_equal(cache_store_resolve_max(0, &m, err, sizeof err), -1);
    assert_string_equal(err, "bad COORD_CACHE_MAX 'lots' (expected a size like 512M, 1G or bytes)");
    unsetenv("COORD_CACHE_MAX");

    struct { const char *s; uint64_t v; } good[] = {
        { "1", 1 }, { "4096", 4096 }, { "2K", 2048 }, { "3k", 3072 }, { "512M", 512ull << 20 },
        { "1G", 1ull << 30 }, { "1GiB", 1ull << 30 }, { "1GB", 1ull << 30 }, { "7T", 7ull << 40 },
        { "100B", 100 }, { "18446744073709551615", UINT64_MAX },
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        assert_int_equal(cache_parse_size(good[i].s, &m), 0);
        assert_int_equal(m, good[i].v);
    }
    const char *bad[] = { "", "0", "0M", "-1", "M", "1X", "1 G", "1Gi", "1GiBs", "18446744073709551616",
                          "17179869184G", NULL };
    for (size_t i = 0; bad[i]; i++)
        if (cache_parse_size(bad[i], &m) == 0)
            fail_msg("'%s' parsed", bad[i]);
    assert_int_equal(cache_parse_size(NULL, &m), -1);
}

/* Every allocation of open, write, publish, load, encode, adopt, info,
 * trim and clean failing in turn: a clean failure each time, no leak
 * (ASan), no crash, and a result that is right whenever it succeeds. */
static void test_allocation_failures(void **state)
{
    char dir[256], err[256];
    snprintf(dir, sizeof dir, "/tmp/coord_cache_oom_%ld", (long)getpid());
    fix_rm_rf(dir);
    CacheStore *s = NULL;
    uint64_t n;
    int fired = 1;
    for (n = 1; fired; n++) {
        mem_fail_at(n);
        int rc = cache_store_open(dir, 0, 3, &s, err, sizeof err);
        fired = mem_failpoint_hit();
        mem_fail_at(0);
        assert_int_equal(rc, fired ? -1 : 0);
        if (fired)
            assert_null(s);
        else
            cache_store_close(s);
    }
    assert_true(n > 2);
    CacheCounters c = zero_counters();
    CacheSection secs[FIX_NSEC];
    fix_sections(1, secs);
    /* write + publish: the writes are published (rc 0) or none is; a
     * failure that only costs this store its view of the packs is rc 0. */
    fired = 1;
    for (n = 1; fired; n++) {
        assert_int_equal(cache_store_open(dir, 0, 3, &s, err, sizeof err), 0);
        assert_int_equal(cache_store_clean(s), 0);
        mem_fail_at(n);
        int rc = 0;
        for (uint64_t i = 0; i < 300; i++)          /* more than 256 records: a realloc */
            rc |= cache_store_write(s, fix_key(1), i, secs, FIX_NSEC, &c);
        rc |= cache_store_publish(s);
        fired = mem_failpoint_hit();
        mem_fail_at(0);
        if (rc != 0 && !fired)
            fail_msg("N=%llu: rc %d without a failed allocation", (unsigned long long)n, rc);
        cache_store_close(s);
        assert_int_equal(cache_store_open(dir, 0, 3, &s, err, sizeof err), 0);
        CacheEntry e[1];
        uint32_t got = cache_store_load(s, fix_key(1), e, 1, &c);
        if (got != (rc == 0 ? 1u : 0u))     /* all of the writes published, or none */
            fail_msg("N=%llu: got %u, rc %d", (unsigned long long)n, got, rc);
        if (got)
            cache_entry_release(&e[0]);
        cache_store_close(s);
    }
    assert_true(n > 3);
    fired = 1;
    for (n = 1; fired; n++) {
        assert_int_equal(cache_store_open(dir, 0, 3, &s, err, sizeof err), 0);
        mem_fail_at(n);
        CacheEntry e[20];
        uint32_t got = cache_store_load(s, fix_key(1), e, 20, &c);
        for (uint32_t i = 0; i < got; i++) {
            assert_true(fix_entry_is(&e[i], 1));
            cache_entry_release(&e[i]);
        }
        void *buf;
        size_t len;
        if (cache_entry_encode(3, fix_key(1), 5, secs, FIX_NSEC, &buf, &len) == 0) {
            CacheEntry a;
            assert_int_equal(cache_entry_adopt(3, fix_key(1), buf, len, &a, &c), 0);
            cache_entry_release(&a);
        }
        uint64_t entries = 0, bytes, removed;
        if (cache_store_info(s, &entries, &bytes) == 0)
            assert_int_equal(entries, 300);
        cache_store_trim(s, 100 * ENTRY_SIZE, &removed);
        fired = mem_failpoint_hit();
        mem_fail_at(0);
        if (!fired)
            assert_int_equal(got, 20);
        assert_int_equal(c.corrupt, 0);
        cache_store_close(s);
        if (!fired)
            break;
        /* the trim may have happened: write them again */
        assert_int_equal(cache_store_open(dir, 0, 3, &s, err, sizeof err), 0);
        assert_int_equal(cache_store_clean(s), 0);
        for (uint64_t i = 0; i < 300; i++)
            assert_int_equal(cache_store_write(s, fix_key(1), i, secs, FIX_NSEC, &c), 0);
        assert_int_equal(cache_store_publish(s), 0);
        cache_store_close(s);
    }
    assert_true(n > 3);
    fix_sections_free(secs);
    fix_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_variants_lru_touch),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_bit_flips_everywhere),
        cmocka_unit_test(test_foreign_and_wrong),
        cmocka_unit_test(test_not_a_file),
        cmocka_unit_test(test_buffers),
        cmocka_unit_test(test_merge_and_rewrite),
        cmocka_unit_test(test_info_trim_clean),
        cmocka_unit_test(test_maybe_trim),
        cmocka_unit_test(test_kill9_mid_write),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
