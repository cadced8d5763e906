/* cache_store — the local on-disk tier of results (DESIGN.md section 7).
 *
 * The store keeps opaque entries: a key (xxh3-128 of what identifies a
 * source), a variant (which result of that source: a hash of its dependency
 * record) and up to CACHE_MAX_SECTIONS byte sections (modules/result.h lays
 * a result out as sections).  It knows nothing of what the sections mean.
 *
 * Layout on disk (DIR is the resolved cache directory):
 *
 *     DIR/v1/usage                       8 bytes: estimated bytes in the cache
 *     DIR/v1/<kk>/<key>/<variant>        one entry
 *     DIR/v1/<kk>/<key>/.tmp-<pid>-<n>   an entry being written
 *
 * where <key> is the key as 32 lower-case hex digits (hi then lo), <kk> its
 * first two (256 shards), <variant> 16 hex digits.  "v1" is the entry format
 * version (CACHE_FORMAT_VERSION): another format lives in another folder and
 * is never read (trim and clean remove it).  A lookup lists one key's folder
 * only: O(candidates), never O(entries in the cache).
 *
 * An entry file (all integers in host byte order; 8-byte aligned):
 *
 *     0   magic "coordce\0"       32  key lo
 *     8   u32 format version      40  variant
 *     12  u32 section count n     48  payload length (file size - 64)
 *     16  build id                56  checksum
 *     24  key hi
 *     64  u64 length of each section [n]
 *     ... each section, zero-padded to a multiple of 8
 *
 * checksum: xxh3-64 of the header's first 56 bytes, then chained (as seed)
 * through the lengths table and each section's bytes.  Validation (a file
 * or a buffer alike) checks the size, magic, version, build id, key, variant
 * (against the file name), count, every length and their sum against the
 * payload length, zero padding and the checksum, before any section is used.
 * Anything that fails is a miss counted in CacheCounters.corrupt and the file
 * is removed, unless a writer replaced it meanwhile (a directory where a
 * file should be is removed when empty, else ignored; counted either way).
 *
 * Publishing: the entry is written with one pwritev (repeated only after a
 * short write) into a temporary file in the key's folder, then renamed over
 * DIR/v1/<kk>/<key>/<variant>.  Readers see the old file, the new one or
 * none, never a partial one; no lock.  No fsync: after a machine crash a
 * torn entry fails validation and is rewritten.  A writer killed with -9
 * leaves a .tmp- file that `trim` removes once it is an hour old.
 *
 * Size bound and LRU.  "Used" is the entry's mtime: publishing sets it and
 * cache_store_touch moves it to now when it is more than an hour old (one
 * stat, at most one utimensat an hour per entry).  The size is tracked by an
 * estimate in DIR/v1/usage, an 8-byte counter mapped shared by every process
 * and bumped atomically by each write *before* its rename (a writer killed in
 * between over-counts, never under-counts; removals are not subtracted).
 * cache_store_maybe_trim (called once at the end of a run that wrote) reads
 * the estimate and walks the cache only when it exceeds the bound; the walk
 * removes least recently used entries (oldest mtime first, ties by path)
 * down to 90% of the bound and corrects the estimate by what it measured.
 * An estimate that is garbage (the cache is untrusted) costs at most one
 * walk.  `coord cache info` and `trim` always walk.
 *
 * Threads: a CacheStore is read-only after open; every function below may be
 * called from several threads and several processes at once.  Counters are
 * per caller (one CacheCounters per thread, summed by the caller).
 * Allocation goes through base/mem.h; running out is a failed call (a miss or
 * a failed write), never a crash.
 */
#ifndef COORD_WORKERS_CACHE_STORE_H
#define COORD_WORKERS_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_FORMAT_VERSION 1u
#define CACHE_MAX_SECTIONS 32u
#define CACHE_DEFAULT_MAX (1ull << 30)     /* 1 GiB */
#define CACHE_HEADER_SIZE 64u

typedef struct CacheStore CacheStore;

typedef struct CacheKey { uint64_t hi, lo; } CacheKey;
typedef struct CacheSection { const void *data; uint64_t len; } CacheSection;

/* Per thread; summed by the caller. */
typedef struct CacheCounters {
    uint64_t corrupt;        /* entries (files or buffers) rejected by validation */
    uint64_t written;        /* entries published */
    uint64_t bytes_read;     /* bytes of entries validated and returned */
    uint64_t bytes_written;  /* bytes of entries published */
} CacheCounters;

/* One validated, read-only entry.  Backed by a private read-only mapping of
 * the file (cache_store_load) or by a heap buffer (cache_entry_adopt); either
 * way map[0..map_len) are exactly the entry's bytes, the same bytes a file
 * holds, so an entry can be sent elsewhere as is (the remote tier).
 * Sections point into map, 8-byte aligned.  Release with cache_entry_release. */
typedef struct CacheEntry {
    void *map;
    size_t map_len;
    uint64_t variant;
    int64_t mtime;           /* last use (seconds since the epoch); 0 for buffers */
    bool heap;               /* map is a mem_alloc'd buffer, not a mapping */
    uint32_t section_count;
    CacheSection sections[CACHE_MAX_SECTIONS];
} CacheEntry;

/* Resolve the directory: dir_or_null, else $COORD_CACHE_DIR, else
 * $XDG_CACHE_HOME/coord, else $HOME/.cache/coord (empty variables count as
 * unset).  -1 with a message when none applies or it does not fit.  Pure: no
 * file system access. */
int cache_store_resolve_dir(const char *dir_or_null, char *out, size_t outlen,
                            char *err, size_t errlen);
/* The bound: max_bytes_or_0, else $COORD_CACHE_MAX, else CACHE_DEFAULT_MAX.
 * -1 with a message when $COORD_CACHE_MAX does not parse. */
int cache_store_resolve_max(uint64_t max_bytes_or_0, uint64_t *out, char *err, size_t errlen);
/* "123" bytes, or a number with a suffix K, M, G, T (powers of 1024; an
 * optional trailing "B" or "iB": "512M", "1GiB").  0 on success, -1 when it
 * does not parse, is 0 or overflows. */
int cache_parse_size(const char *s, uint64_t *out);

/* Opens (creating DIR and DIR/v1 as needed) the cache; 0, or -1 with a
 * message in err ("cannot create cache directory DIR: ...") when it cannot
 * be created, written or the bound is bad.  The caller (the coordinator)
 * prints one `coord: warning: ...` line and runs uncached. */
int  cache_store_open(const char *dir_or_null, uint64_t max_bytes_or_0, uint64_t build_id,
                      CacheStore **out, char *err, size_t errlen);
void cache_store_close(CacheStore *s);                       /* NULL is fine */
const char *cache_store_dir(const CacheStore *s);
uint64_t    cache_store_max(const CacheStore *s);
uint64_t    cache_store_build_id(const CacheStore *s);

/* Up to `max` valid entries of `key`, most recently used first (ties: by
 * variant).  Invalid files are counted in c->corrupt and removed (or
 * ignored), never a crash.  Returns how many of out[] were filled; each must
 * be released.  Safe to call from several threads at once. */
uint32_t cache_store_load(CacheStore *s, CacheKey key, CacheEntry *out, uint32_t max,
                          CacheCounters *c);
/* munmap or free; leaves *e zeroed.  A zeroed entry is fine. */
void cache_entry_release(CacheEntry *e);
/* Marks an entry used for the LRU: its mtime becomes now when it is more
 * than an hour old (cheap: one stat, rarely one utimensat). */
void cache_store_touch(CacheStore *s, CacheKey key, uint64_t variant);
/* Publishes one entry (replacing any with the same key and variant).  0, or
 * -1 when it could not be written (the run goes on; nothing is counted). */
int  cache_store_write(CacheStore *s, CacheKey key, uint64_t variant,
                       const CacheSection *secs, uint32_t n, CacheCounters *c);

/* The remote tier: entry <-> one contiguous buffer, same bytes as a file.
 * cache_entry_encode: a mem_alloc'd buffer (free with mem_free) of *len
 * bytes; -1 when n > CACHE_MAX_SECTIONS or out of memory.
 * cache_entry_adopt: validates buf[0..len) exactly like a file (key and
 * build id must match; variant is read from the buffer); on success the
 * entry owns buf (mem_alloc'd, 8-byte aligned) and frees it on release; on
 * failure (-1, c->corrupt counted when c is not NULL) buf stays the
 * caller's. */
int cache_entry_encode(uint64_t build_id, CacheKey key, uint64_t variant,
                       const CacheSection *secs, uint32_t n, void **buf, size_t *len);
int cache_entry_adopt(uint64_t build_id, CacheKey key, void *buf, size_t len,
                      CacheEntry *out, CacheCounters *c);

/* Maintenance (coord cache info|trim|clean, and the automatic trim).
 * info: valid-looking entries (files named like entries of this format) and
 * the bytes of every file the cache holds.  trim: removes least recently
 * used entries (every file of another format and .tmp- files older than an
 * hour first) until the cache holds at most target_bytes.  clean: removes
 * every file and folder of the cache (only names the cache itself creates;
 * other files in DIR are left alone).  maybe_trim: the automatic trim after
 * a run; walks only when the usage estimate exceeds the bound, then trims to
 * 90% of it.  All return 0, or -1 on an I/O error of the walk. */
int cache_store_info(CacheStore *s, uint64_t *entries, uint64_t *bytes);
int cache_store_trim(CacheStore *s, uint64_t target_bytes, uint64_t *removed);
int cache_store_clean(CacheStore *s);
int cache_store_maybe_trim(CacheStore *s, uint64_t *removed);
/* The current usage estimate (bytes); for tests and --stats. */
uint64_t cache_store_estimate(const CacheStore *s);

#endif
