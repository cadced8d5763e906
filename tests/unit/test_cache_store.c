/* test_cache_store — the on-disk cache store (workers/cache_store.h) as
 * untrusted input: round trips, every truncation and every single-bit flip
 * of an entry, foreign magic / version / build id, wrong key, a directory or
 * a symlink or a FIFO where a file should be, unreadable files, buffers for
 * the remote tier, LRU order and touch, info / trim / clean, the usage
 * estimate and the automatic trim, writers killed with SIGKILL mid-write
 * (fork), the directory resolution, sizes, and every allocation failing.
 * The threaded test is test_cache_store_mt.c.
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

/* Loads key expecting nothing valid; returns how many were counted corrupt. */
static uint64_t load_none(Fix *f, CacheKey key)
{
    CacheEntry e[2];
    CacheCounters c = zero_counters();
    assert_int_equal(cache_store_load(f->s, key, e, 2, &c), 0);
    return c.corrupt;
}

static void test_round_trip(void **state)
{
    Fix *f = fix_new("rt", 0);
    CacheKey k = fix_key(1);
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, 77, 5, &c), 0);
    assert_int_equal(c.written, 1);
    /* 64 header + 4*8 lengths + 16 + 0 + 64 + 8 */
    assert_int_equal(c.bytes_written, 64 + 32 + 16 + 64 + 8);
    char path[512];
    uint64_t v = 77;
    fix_path(f, k, &v, path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, c.bytes_written);
    assert_int_equal(cache_store_estimate(f->s), c.bytes_written);

    CacheEntry e[3];
    CacheCounters r = zero_counters();
    assert_int_equal(cache_store_load(f->s, k, e, 3, &r), 1);
    assert_int_equal(e[0].variant, 77);
    assert_false(e[0].heap);
    assert_true(fix_entry_is(&e[0], 5));
    assert_int_equal(r.bytes_read, c.bytes_written);
    assert_int_equal(r.corrupt, 0);
    cache_entry_release(&e[0]);
    assert_null(e[0].map);
    /* Another key has nothing. */
    assert_int_equal(load_none(f, fix_key(2)), 0);
    /* Rewriting the same variant replaces it. */
    assert_int_equal(fix_write(f, k, 77, 6, &c), 0);
    assert_int_equal(cache_store_load(f->s, k, e, 3, &r), 1);
    assert_true(fix_entry_is(&e[0], 6));
    cache_entry_release(&e[0]);
    /* Too many sections is refused. */
    CacheSection many[CACHE_MAX_SECTIONS + 1];
    for (uint32_t i = 0; i <= CACHE_MAX_SECTIONS; i++)
        many[i] = (CacheSection){ "x", 1 };
    assert_int_equal(cache_store_write(f->s, k, 1, many, CACHE_MAX_SECTIONS + 1, &c), -1);
    assert_int_equal(cache_store_write(f->s, k, 1, many, CACHE_MAX_SECTIONS, &c), 0);
    fix_free(f);
}

/* Several variants of one key: most recently used first; touch moves an
 * entry older than an hour to now, and leaves a recent one alone. */
static void test_variants_lru_touch(void **state)
{
    Fix *f = fix_new("lru", 0);
    CacheKey k = fix_key(3);
    CacheCounters c = zero_counters();
    time_t now = time(NULL);
    for (uint64_t v = 1; v <= 3; v++) {
        assert_int_equal(fix_write(f, k, v, 100 + v, &c), 0);
        char path[512];
        fix_path(f, k, &v, path, sizeof path);
        set_mtime(path, now - 10000 + (time_t)(v == 2 ? 5000 : v * 100));  /* 2 newest, then 3, then 1 */
    }
    CacheEntry e[3];
    assert_int_equal(cache_store_load(f->s, k, e, 3, &c), 3);
    assert_int_equal(e[0].variant, 2);
    assert_int_equal(e[1].variant, 3);
    assert_int_equal(e[2].variant, 1);
    assert_true(fix_entry_is(&e[0], 102) && fix_entry_is(&e[1], 103) && fix_entry_is(&e[2], 101));
    for (int i = 0; i < 3; i++)
        cache_entry_release(&e[i]);
    assert_int_equal(cache_store_load(f->s, k, e, 1, &c), 1);
    assert_int_equal(e[0].variant, 2);
    cache_entry_release(&e[0]);

    cache_store_touch(f->s, k, 1);
    assert_int_equal(cache_store_load(f->s, k, e, 1, &c), 1);
    assert_int_equal(e[0].variant, 1);
    assert_true(e[0].mtime >= now);
    cache_entry_release(&e[0]);
    /* A recent entry is not touched again (at most once an hour). */
    uint64_t v = 3;
    char path[512];
    fix_path(f, k, &v, path, sizeof path);
    set_mtime(path, now - 60);
    cache_store_touch(f->s, k, 3);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mtime, now - 60);
    /* Touching what does not exist does nothing. */
    cache_store_touch(f->s, k, 99);
    assert_int_equal(c.corrupt, 0);
    fix_free(f);
}

/* Every truncation of an entry, from 0 bytes (empty) to one byte short: a
 * miss, counted, and the file removed; then a rewrite is found again. */
static void test_truncated_everywhere(void **state)
{
    Fix *f = fix_new("trunc", 0);
    CacheKey k = fix_key(4);
    uint64_t v = 9;
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, v, 1, &c), 0);
    char path[512];
    fix_path(f, k, &v, path, sizeof path);
    size_t len;
    unsigned char *good = fix_read(path, &len);
    assert_non_null(good);
    for (size_t n = 0; n < len; n++) {
        fix_put(path, good, n);
        assert_int_equal(load_none(f, k), 1);
        assert_false(exists(path));
    }
    /* Longer than it says is as bad as shorter. */
    unsigned char *longer = calloc(1, len + 8);
    memcpy(longer, good, len);
    fix_put(path, longer, len + 8);
    assert_int_equal(load_none(f, k), 1);
    free(longer);
    fix_put(path, good, len);
    CacheEntry e;
    assert_int_equal(cache_store_load(f->s, k, &e, 1, &c), 1);
    assert_true(fix_entry_is(&e, 1));
    cache_entry_release(&e);
    free(good);
    fix_free(f);
}

/* Every single-bit flip of an entry (header, lengths, sections, padding). */
static void test_bit_flips_everywhere(void **state)
{
    Fix *f = fix_new("flip", 0);
    CacheKey k = fix_key(5);
    uint64_t v = 10;
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, v, 2, &c), 0);
    char path[512];
    fix_path(f, k, &v, path, sizeof path);
    size_t len;
    unsigned char *good = fix_read(path, &len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            good[i] ^= (unsigned char)(1u << bit);
            fix_put(path, good, len);
            good[i] ^= (unsigned char)(1u << bit);
            if (load_none(f, k) != 1)
                fail_msg("flip of bit %d at offset %zu was not rejected", bit, i);
        }
    }
    free(good);
    fix_free(f);
}

/* Rewrites one 64-bit header field and fixes the checksum, so the field
 * itself is what validation must reject. */
static void forge(unsigned char *p, size_t len, size_t off, uint64_t value, int is32)
{
    if (is32) {
        uint32_t v = (uint32_t)value;
        memcpy(p + off, &v, 4);
    } else {
        memcpy(p + off, &value, 8);
    }
    fix_reseal(p, len);
}

static void test_foreign_and_wrong(void **state)
{
    Fix *f = fix_new("foreign", 0);
    CacheKey k = fix_key(6), other = fix_key(7);
    uint64_t v = 11;
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, v, 3, &c), 0);
    char path[512];
    fix_path(f, k, &v, path, sizeof path);
    size_t len;
    unsigned char *good = fix_read(path, &len);
    unsigned char *bad = malloc(len);
    /* The forge helper itself is right: an unchanged field stays valid. */
    memcpy(bad, good, len);
    forge(bad, len, 16, FIX_BUILD, 0);
    fix_put(path, bad, len);
    CacheEntry e;
    assert_int_equal(cache_store_load(f->s, k, &e, 1, &c), 1);
    cache_entry_release(&e);
    struct { size_t off; uint64_t value; int is32; const char *what; } cases[] = {
        { 0, 0x0065637472616f63ull, 0, "magic" },
        { 8, 2, 1, "format version" },
        { 8, 0x01000000, 1, "byte order" },
        { 16, FIX_BUILD ^ 1, 0, "build id" },
        { 24, k.hi ^ 0x10, 0, "key hi" },
        { 32, k.lo ^ 0x10, 0, "key lo" },
        { 40, v + 1, 0, "variant" },
        { 48, len - 64 + 8, 0, "payload length" },
        { 12, FIX_NSEC - 1, 1, "section count" },
        { 12, CACHE_MAX_SECTIONS + 1, 1, "too many sections" },
        { 64, 1000, 0, "section length" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(bad, good, len);
        forge(bad, len, cases[i].off, cases[i].value, cases[i].is32);
        fix_put(path, bad, len);
        if (load_none(f, k) != 1)
            fail_msg("forged %s was not rejected", cases[i].what);
    }
    /* Another entry copied under this name (wrong key). */
    assert_int_equal(fix_write(f, other, v, 3, &c), 0);
    char opath[512];
    fix_path(f, other, &v, opath, sizeof opath);
    size_t olen;
    unsigned char *o = fix_read(opath, &olen);
    fix_put(path, o, olen);
    assert_int_equal(load_none(f, k), 1);
    free(o);
    /* A store of another build sees every entry as foreign. */
    CacheStore *s2;
    char err[256];
    assert_int_equal(cache_store_open(f->dir, 0, FIX_BUILD + 1, &s2, err, sizeof err), 0);
    CacheCounters c2 = zero_counters();
    assert_int_equal(cache_store_load(s2, other, &e, 1, &c2), 0);
    assert_int_equal(c2.corrupt, 1);
    cache_store_close(s2);
    free(good);
    free(bad);
    fix_free(f);
}

/* Things that are not regular files where an entry or a key's folder
 * should be.  Root reads files whatever their mode, so the chmod 000 case
 * runs only for other users; a symlink (refused by O_NOFOLLOW) and a FIFO
 * are unreadable as entries for root too. */
static void test_not_a_file(void **state)
{
    Fix *f = fix_new("notfile", 0);
    CacheKey k = fix_key(8);
    uint64_t v = 12;
    CacheCounters c = zero_counters();
    char path[512], kdir[512];
    fix_path(f, k, &v, path, sizeof path);
    fix_path(f, k, NULL, kdir, sizeof kdir);
    assert_int_equal(fix_write(f, k, v, 4, &c), 0);
    /* A directory (non-empty: it cannot be removed) where the file should be. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0777), 0);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/x", path);
    fix_put(inner, "x", 1);
    assert_int_equal(load_none(f, k), 1);
    assert_int_equal(fix_write(f, k, v, 4, &c), -1);
    /* Empty: ignored by load, replaced by the next write. */
    assert_int_equal(unlink(inner), 0);
    assert_int_equal(load_none(f, k), 1);
    assert_int_equal(mkdir(path, 0777) == 0 || errno == EEXIST, 1);
    assert_int_equal(fix_write(f, k, v, 4, &c), 0);
    CacheEntry e;
    assert_int_equal(cache_store_load(f->s, k, &e, 1, &c), 1);
    cache_entry_release(&e);
    /* A symlink to a valid entry. */
    char real[600];
    snprintf(real, sizeof real, "%s/real", f->dir);
    assert_int_equal(rename(path, real), 0);
    assert_int_equal(symlink(real, path), 0);
    assert_int_equal(load_none(f, k), 1);
    assert_false(exists(path));
    /* A FIFO (no hang). */
    assert_int_equal(mkfifo(path, 0644), 0);
    assert_int_equal(load_none(f, k), 1);
    assert_false(exists(path));
    /* Unreadable. */
    if (geteuid() != 0) {
        assert_int_equal(rename(real, path), 0);
        assert_int_equal(chmod(path, 0), 0);
        assert_int_equal(load_none(f, k), 1);
    } else {
        print_message("(root: chmod 000 does not stop root; covered by the symlink and FIFO cases)\n");
    }
    /* A file where the key's folder should be: a miss, then repaired. */
    fix_rm_rf(kdir);
    fix_put(kdir, "junk", 4);
    assert_int_equal(load_none(f, k), 1);
    assert_int_equal(fix_write(f, k, v, 4, &c), 0);
    assert_int_equal(cache_store_load(f->s, k, &e, 1, &c), 1);
    assert_true(fix_entry_is(&e, 4));
    cache_entry_release(&e);
    fix_free(f);
}

/* A file where the key's folder is when writing: the write repairs it. */
static void test_write_repairs_folder(void **state)
{
    Fix *f = fix_new("repair", 0);
    CacheKey k = fix_key(9);
    char kdir[512];
    fix_path(f, k, NULL, kdir, sizeof kdir);
    char shard[512];
    snprintf(shard, sizeof shard, "%s/v1/ab", f->dir);
    fix_put(shard, "junk", 4);                /* even the shard is a file */
    CacheCounters c = zero_counters();
    assert_int_equal(fix_write(f, k, 1, 7, &c), 0);
    CacheEntry e;
    assert_int_equal(cache_store_load(f->s, k, &e, 1, &c), 1);
    assert_true(fix_entry_is(&e, 7));
    cache_entry_release(&e);
    fix_free(f);
}

/* The remote tier: encode gives the very bytes of the file; adopt validates
 * like a file and owns the buffer only on success. */
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
    char path[512];
    fix_path(f, k, &v, path, sizeof path);
    size_t flen;
    unsigned char *file = fix_read(path, &flen);
    assert_int_equal(flen, len);
    assert_memory_equal(file, buf, len);
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

/* info counts entries and bytes; trim removes the least recently used down
 * to the target (ties by path); foreign formats and stale temporary files
 * go first; clean removes everything the cache made and nothing else. */
static void test_info_trim_clean(void **state)
{
    Fix *f = fix_new("trim", 0);
    CacheCounters c = zero_counters();
    time_t now = time(NULL);
    const uint64_t size = 64 + 32 + 16 + 64 + 8;
    for (uint64_t i = 0; i < 10; i++) {
        assert_int_equal(fix_write(f, fix_key(i), 1, i, &c), 0);
        char path[512];
        uint64_t v = 1;
        fix_path(f, fix_key(i), &v, path, sizeof path);
        /* Key 0..9 used at now-1000+i*10, except key 2, used last. */
        set_mtime(path, i == 2 ? now : now - 1000 + (time_t)i * 10);
    }
    uint64_t entries, bytes, removed;
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 10);
    assert_int_equal(bytes, 10 * size);
    /* Files that are not the cache's are neither counted nor removed. */
    char stranger[512];
    snprintf(stranger, sizeof stranger, "%s/notes.txt", f->dir);
    fix_put(stranger, "keep me", 7);
    char tmp_old[512], tmp_new[512], foreign[512];
    snprintf(tmp_old, sizeof tmp_old, "%s/v1/ab/%016llx%016llx/.tmp-1-1", f->dir,
             (unsigned long long)fix_key(0).hi, (unsigned long long)fix_key(0).lo);
    snprintf(tmp_new, sizeof tmp_new, "%s/v1/ab/%016llx%016llx/.tmp-1-2", f->dir,
             (unsigned long long)fix_key(0).hi, (unsigned long long)fix_key(0).lo);
    fix_put(tmp_old, "partial", 7);
    set_mtime(tmp_old, now - 7200);
    fix_put(tmp_new, "partia", 6);
    snprintf(foreign, sizeof foreign, "%s/v0", f->dir);
    assert_int_equal(mkdir(foreign, 0777), 0);
    snprintf(foreign, sizeof foreign, "%s/v0/ab", f->dir);
    assert_int_equal(mkdir(foreign, 0777), 0);
    snprintf(foreign, sizeof foreign, "%s/v0/ab/%032d", f->dir, 0);
    assert_int_equal(mkdir(foreign, 0777), 0);
    snprintf(foreign, sizeof foreign, "%s/v0/ab/%032d/%016d", f->dir, 0, 0);
    fix_put(foreign, "old format entry", 16);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 10);
    assert_int_equal(bytes, 10 * size + 7 + 6 + 16);

    /* Down to 7 entries' worth (minus the fresh tmp file): keys 0, 1, 3, 4
     * go (the oldest), along with the stale tmp and the old format. */
    assert_int_equal(cache_store_trim(f->s, 7 * size, &removed), 0);
    assert_int_equal(removed, 1 + 4);
    assert_false(exists(tmp_old));
    assert_true(exists(tmp_new));
    snprintf(foreign, sizeof foreign, "%s/v0", f->dir);
    assert_false(exists(foreign));
    for (uint64_t i = 0; i < 10; i++) {
        char path[512];
        uint64_t v = 1;
        fix_path(f, fix_key(i), &v, path, sizeof path);
        int gone = i == 0 || i == 1 || i == 3 || i == 4;
        if (exists(path) == gone)
            fail_msg("key %llu: expected %s", (unsigned long long)i, gone ? "removed" : "kept");
    }
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 6);
    assert_int_equal(bytes, 6 * size + 6);
    /* The walk corrected the estimate to what it measured. */
    assert_int_equal(cache_store_estimate(f->s), 6 * size + 6);
    /* Trim to what is there removes nothing. */
    assert_int_equal(cache_store_trim(f->s, 6 * size + 6, &removed), 0);
    assert_int_equal(removed, 0);

    assert_int_equal(cache_store_clean(f->s), 0);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 0);
    assert_int_equal(bytes, 0);
    assert_int_equal(cache_store_estimate(f->s), 0);
    assert_true(exists(stranger));
    char shard[512];
    snprintf(shard, sizeof shard, "%s/v1/ab", f->dir);
    assert_false(exists(shard));
    /* The store still works after a clean. */
    assert_int_equal(fix_write(f, fix_key(1), 1, 1, &c), 0);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 1);
    fix_free(f);
}

/* The automatic trim walks only when the estimate exceeds the bound: bytes
 * the estimate does not know of are left alone until a write pushes the
 * estimate over; then it trims to 90% of the bound. */
static void test_maybe_trim(void **state)
{
    const uint64_t size = 64 + 32 + 16 + 64 + 8;
    Fix *f = fix_new("auto", 10 * size);
    assert_int_equal(cache_store_max(f->s), 10 * size);
    CacheCounters c = zero_counters();
    time_t now = time(NULL);
    for (uint64_t i = 0; i < 10; i++) {
        assert_int_equal(fix_write(f, fix_key(i), 1, i, &c), 0);
        char path[512];
        uint64_t v = 1;
        fix_path(f, fix_key(i), &v, path, sizeof path);
        set_mtime(path, now - 1000 + (time_t)i);
    }
    assert_int_equal(cache_store_estimate(f->s), 10 * size);
    /* An entry the estimate does not count (copied in by hand). */
    char src[512], dst[512], ddir[512];
    uint64_t v = 1;
    fix_path(f, fix_key(9), &v, src, sizeof src);
    fix_path(f, fix_key(20), NULL, ddir, sizeof ddir);
    assert_int_equal(mkdir(ddir, 0777), 0);
    fix_path(f, fix_key(20), &v, dst, sizeof dst);
    size_t len;
    unsigned char *b = fix_read(src, &len);
    fix_put(dst, b, len);
    free(b);
    set_mtime(dst, now - 2000);
    uint64_t removed = 99, entries, bytes;
    assert_int_equal(cache_store_maybe_trim(f->s, &removed), 0);
    assert_int_equal(removed, 0);
    assert_true(exists(dst));                  /* no walk happened */
    assert_int_equal(fix_write(f, fix_key(10), 1, 10, &c), 0);
    assert_int_equal(cache_store_estimate(f->s), 11 * size);
    assert_int_equal(cache_store_maybe_trim(f->s, &removed), 0);
    /* 12 entries, bound 10, target 9: the 3 least recently used go. */
    assert_int_equal(removed, 3);
    assert_false(exists(dst));
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(entries, 9);
    assert_int_equal(cache_store_estimate(f->s), 9 * size);
    fix_free(f);
}

/* A writer killed with SIGKILL at random moments, many times, writing big
 * entries to the same keys: the cache holds only valid entries (or none),
 * the estimate never under-counts, and a trim clears the leftovers once
 * they are old. */
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
            }
        }
        struct timespec ts = { 0, (long)(rand() % 20000) * 1000 };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
    }
    uint64_t total = 0;
    for (uint64_t k = 0; k < 3; k++) {
        CacheEntry e[4];
        CacheCounters c = zero_counters();
        uint32_t n = cache_store_load(f->s, fix_key(k), e, 4, &c);
        assert_int_equal(c.corrupt, 0);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(e[i].section_count, 2);
            assert_int_equal(e[i].sections[0].len, big - (*(const uint64_t *)e[i].sections[1].data % 7));
            assert_memory_equal(e[i].sections[0].data, payload, e[i].sections[0].len);
            total += e[i].map_len;
            cache_entry_release(&e[i]);
        }
    }
    assert_true(cache_store_estimate(f->s) >= total);
    /* Leftover temporary files, once old, go at the next trim. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "find '%s' -name '.tmp-*' -exec touch -d '-2 hours' {} +", f->dir);
    assert_int_equal(system(cmd), 0);
    uint64_t removed, entries, bytes;
    assert_int_equal(cache_store_trim(f->s, UINT64_MAX, &removed), 0);
    assert_int_equal(cache_store_info(f->s, &entries, &bytes), 0);
    assert_int_equal(bytes, total);
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
    /* A usage counter that is a directory is repaired. */
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/coord_cache_open_%ld", (long)getpid());
    fix_rm_rf(dir);
    char usage[300];
    snprintf(usage, sizeof usage, "%s/v1/usage", dir);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(usage, sizeof usage, "%s/v1", dir);
    assert_int_equal(mkdir(usage, 0777), 0);
    snprintf(usage, sizeof usage, "%s/v1/usage", dir);
    assert_int_equal(mkdir(usage, 0777), 0);
    assert_int_equal(cache_store_open(dir, 0, 1, &s, err, sizeof err), 0);
    assert_string_equal(cache_store_dir(s), dir);
    assert_int_equal(cache_store_build_id(s), 1);
    cache_store_close(s);
    /* A short (garbage) usage file is fine: it is only an estimate. */
    fix_put(usage, "x", 1);
    assert_int_equal(cache_store_open(dir, 0, 1, &s, err, sizeof err), 0);
    cache_store_close(s);
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

/* Every allocation of open, load, encode, adopt, info, trim and clean
 * failing in turn (write allocates nothing): a clean failure each time, no
 * leak (ASan), no crash, and a result that is right whenever it succeeds. */
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
    assert_int_equal(cache_store_open(dir, 0, 3, &s, err, sizeof err), 0);
    CacheCounters c = zero_counters();
    CacheSection secs[FIX_NSEC];
    fix_sections(1, secs);
    for (uint64_t i = 0; i < 20; i++)        /* more than 8 candidates: a realloc */
        assert_int_equal(cache_store_write(s, fix_key(1), i, secs, FIX_NSEC, &c), 0);
    fired = 1;
    for (n = 1; fired; n++) {
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
            assert_int_equal(entries, 20);
        cache_store_trim(s, UINT64_MAX, &removed);
        fired = mem_failpoint_hit();
        mem_fail_at(0);
        if (!fired)
            assert_int_equal(got, 20);
        assert_int_equal(c.corrupt, 0);
    }
    assert_true(n > 3);
    mem_fail_at(1);
    assert_int_equal(cache_store_clean(s), -1);   /* the walk ran out of memory */
    mem_fail_at(0);
    assert_int_equal(cache_store_clean(s), 0);
    fix_sections_free(secs);
    cache_store_close(s);
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
        cmocka_unit_test(test_write_repairs_folder),
        cmocka_unit_test(test_buffers),
        cmocka_unit_test(test_info_trim_clean),
        cmocka_unit_test(test_maybe_trim),
        cmocka_unit_test(test_kill9_mid_write),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
