/* cache_fixture — helpers shared by the cache store's unit tests
 * (test_cache_store.c, test_cache_store_mt.c): a fresh cache directory, a
 * store on it, entries made of deterministic sections, publishing and
 * reopening (a new run), and raw access to the pack files.  Header-only.
 */
#ifndef COORD_TESTS_CACHE_FIXTURE_H
#define COORD_TESTS_CACHE_FIXTURE_H

#include "base/hash.h"
#include "workers/cache_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX_BUILD 0x5eed0000c0ffee11ull

typedef struct Fix {
    char dir[256];
    CacheStore *s;
} Fix;

static inline void fix_rm_rf(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%.1024s'", dir);
    if (system(cmd) != 0)
        abort();
}

/* A fresh directory (not created yet: open creates it) and a store on it. */
static inline Fix *fix_new(const char *tag, uint64_t max)
{
    Fix *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/coord_cache_%s_%ld", tag, (long)getpid());
    fix_rm_rf(f->dir);
    char err[256];
    if (cache_store_open(f->dir, max, FIX_BUILD, &f->s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    return f;
}

static inline void fix_free(Fix *f)
{
    cache_store_close(f->s);
    fix_rm_rf(f->dir);
    free(f);
}

static inline CacheKey fix_key(uint64_t i)
{
    return (CacheKey){ 0xab00000000000000ull | i, 0x1234567890abcdefull ^ i };
}

/* Section i of entry `seed`: `len` deterministic bytes (caller frees). */
static inline void *fix_bytes(uint64_t seed, uint32_t i, size_t len)
{
    unsigned char *p = malloc(len + 1);
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + i + 1;
    for (size_t k = 0; k < len; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[k] = (unsigned char)x;
    }
    return p;
}

/* The sections of a test entry: lengths 13, 0, 64, 5 (padding, an empty
 * section, an aligned one). */
#define FIX_NSEC 4
static const size_t fix_lens[FIX_NSEC] = { 13, 0, 64, 5 };

static inline void fix_sections(uint64_t seed, CacheSection secs[FIX_NSEC])
{
    for (uint32_t i = 0; i < FIX_NSEC; i++)
        secs[i] = (CacheSection){ fix_bytes(seed, i, fix_lens[i]), fix_lens[i] };
}

static inline void fix_sections_free(CacheSection secs[FIX_NSEC])
{
    for (uint32_t i = 0; i < FIX_NSEC; i++)
        free((void *)secs[i].data);
}

static inline int fix_write(Fix *f, CacheKey key, uint64_t variant, uint64_t seed, CacheCounters *c)
{
    CacheSection secs[FIX_NSEC];
    fix_sections(seed, secs);
    int rc = cache_store_write(f->s, key, variant, secs, FIX_NSEC, c);
    fix_sections_free(secs);
    return rc;
}

/* True when e holds exactly the sections of `seed`. */
static inline int fix_entry_is(const CacheEntry *e, uint64_t seed)
{
    if (e->section_count != FIX_NSEC)
        return 0;
    CacheSection secs[FIX_NSEC];
    fix_sections(seed, secs);
    int ok = 1;
    for (uint32_t i = 0; i < FIX_NSEC; i++)
        ok &= e->sections[i].len == secs[i].len &&
              ((uintptr_t)e->sections[i].data & 7u) == 0 &&
              memcmp(e->sections[i].data, secs[i].data, secs[i].len) == 0;
    fix_sections_free(secs);
    return ok;
}

/* The store as a new run sees the directory (packs mapped afresh). */
static inline void fix_reopen(Fix *f)
{
    cache_store_close(f->s);
    char err[256];
    if (cache_store_open(f->dir, 0, FIX_BUILD, &f->s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
}

/* Publishes what f's store wrote, then reopens it. */
static inline void fix_publish(Fix *f)
{
    if (cache_store_publish(f->s) != 0)
        abort();
    fix_reopen(f);
}

static inline int fix_name_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The number of packs in f, and the path of the i-th in name order
 * (i < count; out may be NULL). */
static inline int fix_pack(const Fix *f, int i, char *out, size_t n)
{
    char v2[300];
    snprintf(v2, sizeof v2, "%.200s/v2", f->dir);
    DIR *d = opendir(v2);
    char names[64][32];
    int count = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strlen(de->d_name) == 21 && strcmp(de->d_name + 16, ".pack") == 0 && count < 64)
            memcpy(names[count++], de->d_name, 22);
    if (d)
        closedir(d);
    qsort(names, (size_t)count, sizeof names[0], fix_name_cmp);
    if (i >= 0 && i < count && out)
        snprintf(out, n, "%.200s/v2/%.31s", f->dir, names[i]);
    return count;
}

/* The bytes of a file the test made (malloc'd); aborts when it cannot be
 * read, so *len is always set (gcc -O2 checks that). */
static inline unsigned char *fix_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        abort();
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    *len = fread(p, 1, (size_t)n, fp);
    fclose(fp);
    return p;
}

static inline void fix_put(const char *path, const void *p, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(p, 1, len, fp) != len || fclose(fp) != 0)
        abort();
}

/* Recomputes the checksum of a pack p[0..len) after its header, index or
 * trailer was changed on purpose (workers/cache_store.h: xxh3 of the header,
 * the index and the trailer's first 56 bytes, chained); a count that does
 * not fit hashes no index. */
static inline void fix_reseal_pack(unsigned char *p, size_t len)
{
    if (len < CACHE_PACK_OVERHEAD)
        return;
    uint64_t count;
    memcpy(&count, p + len - 64 + 8, 8);
    if (count > (len - CACHE_PACK_OVERHEAD) / CACHE_PACK_RECORD)
        count = 0;
    uint64_t h = hash_bytes(p, 64);
    h = hash_bytes_seed(p + len - 64 - count * CACHE_PACK_RECORD, (size_t)count * CACHE_PACK_RECORD, h);
    h = hash_bytes_seed(p + len - 64, 56, h);
    memcpy(p + len - 8, &h, 8);
}

/* Recomputes the checksum of entry bytes p[0..len) after a field was
 * changed on purpose (the format of workers/cache_store.h: xxh3 of the
 * bytes after the header, seeded with xxh3 of the header's first 56). */
static inline void fix_reseal(unsigned char *p, size_t len)
{
    if (len < CACHE_HEADER_SIZE)
        return;
    uint64_t h = hash_bytes_seed(p + CACHE_HEADER_SIZE, len - CACHE_HEADER_SIZE, hash_bytes(p, 56));
    memcpy(p + 56, &h, 8);
}

#endif
