/* cache_store — the local on-disk tier of results (DESIGN.md section 7).
 *
 * The store keeps opaque entries: a key (xxh3-128 of what identifies a
 * source), a variant (which result of that source: a hash of its dependency
 * record) and up to CACHE_MAX_SECTIONS byte sections (modules/result.h lays
 * a result out as sections).  It knows nothing of what the sections mean.
 *
 * Layout on disk (DIR is the resolved cache directory):
 *
 *     DIR/v2/<16 hex>.pack        a pack: entries written by one run
 *     DIR/v2/.tmp-<pid>-<n>       a pack (or manifest) being written
 *     DIR/v2/lru                  LRU_SLOTS u32: last use, in minutes
 *     DIR/v2/m-<16 hex>           stat manifests (workers/manifest.h)
 *
 * "v2" is the layout version (CACHE_LAYOUT_VERSION, also in each pack's
 * header): another layout lives in another folder and is never read (trim
 * and clean remove it; v1 held one file per entry).  An entry's own format
 * version (CACHE_FORMAT_VERSION) is separate: the same entry bytes travel
 * to and from the remote tier, whose keys carry it.
 *
 * An entry (all integers in host byte order; 8-byte aligned) — the same
 * bytes inside a pack, in a remote value and in cache_entry_encode's buffer:
 *
 *     0   magic "coordce\0"       32  key lo
 *     8   u32 format version      40  variant
 *     12  u32 section count n     48  payload length (entry size - 64)
 *     16  build id                56  checksum
 *     24  key hi
 *     64  u64 length of each section [n]
 *     ... each section, zero-padded to a multiple of 8
 *
 * checksum: xxh3-64 of the payload (bytes 64 to the end: the lengths, the
 * sections and their padding), seeded with xxh3-64 of the header's first 56
 * bytes; one pass over bytes laid out in order.  Validation checks the size,
 * magic, version, build id, key and variant (against the pack's index
 * record), count, the checksum, then every length and their sum against
 * the payload length and the zero padding, before any section is used.  (Format 1 chained the hash section by section: 21 short hashes
 * per entry cost more than one long one.)
 *
 * A pack:
 *
 *     0          header (64): magic "coordpk\0", u32 layout version, u32 0,
 *                build id, 0...
 *     64         entries, each 8-byte aligned
 *     index_off  index: `count` records {key hi, key lo, variant, offset,
 *                length} (40 bytes each), sorted by (key hi, key lo,
 *                variant), no two alike
 *     size - 64  trailer (64): magic "coordpx\0", count, index_off, 0 x4,
 *                checksum: xxh3-64 of the header, the index and the
 *                trailer's first 56 bytes, chained
 *
 * A pack is checked when it is mapped (sizes, header, trailer, checksum,
 * every record inside the entry area, the order); a pack that fails is one
 * miss counted in CacheCounters.corrupt and removed (a directory in its
 * place: removed when empty).  Its entries are then looked up in memory
 * (binary search of the mapped index) and each is fully validated before
 * use; an entry that fails is counted corrupt and its pack is rewritten
 * without it when the run publishes.
 *
 * Writing and publishing.  A store collects the entries of its run in one
 * temporary file: cache_store_write appends an entry to a 1 MiB buffer (a
 * full buffer is written with one pwrite; a larger entry with one pwritev).
 * cache_store_publish writes the rest, the index and the trailer with one
 * pwritev and publishes the pack with one rename; readers see the whole pack
 * or none (no lock, no fsync: after a machine crash a torn pack fails its
 * check and is removed).  Published packs are never modified, only unlinked,
 * so a mapping stays valid.  Entries written but not yet published are not
 * visible to loads, not even this store's.  A writer killed with -9 leaves a
 * .tmp- file that `trim` removes once it is an hour old.  So a run makes
 * O(1) metadata system calls however many entries it writes (one create,
 * one rename), and a lookup makes none once the packs are mapped (one
 * listing and one open + mmap per pack, the first time a load needs them).
 *
 * Packs stay few: publishing also copies into the new pack the valid
 * entries of every pack that held a rejected entry, and, when there would
 * be more than CACHE_MAX_PACKS packs, of every pack but the largest; the
 * copied packs are then unlinked.  An entry that two processes both wrote
 * lives in two packs until they are merged (a lookup takes the newest copy;
 * info counts it once).
 *
 * Size bound and LRU.  An entry's last use is the later of its pack's mtime
 * and its slot in DIR/v2/lru (slot = hash of key and variant modulo
 * LRU_SLOTS, minutes since the epoch), a file mapped shared by every process;
 * cache_store_touch stores now into the slot when it is more than an hour
 * behind (an atomic store, no system call).  Entries sharing a slot share a
 * last use (the LRU is approximate, never wrong about what is valid; a
 * garbage slot only changes what trim keeps).  The cache's size is the sum
 * of its packs, known once they are mapped; cache_store_maybe_trim (after a
 * run published) trims when it exceeds the bound: least recently used
 * entries first (ties by key and variant) until the cache holds at most 90%
 * of the bound; packs left empty are unlinked and the survivors of partly
 * trimmed packs are copied into one new pack.  `coord cache info` and `trim`
 * look at every file (bytes exclude the fixed-size lru table).
 *
 * Threads: load, touch and write may be called from several threads at once
 * (the first load maps the packs under a mutex; writes append under a
 * mutex); publish, trim, clean and close only when no other call on this
 * store runs.  info may run anywhere, any time (it maps what it reads
 * itself).  Several processes may use one directory at once.  Counters are
 * per caller (one CacheCounters per thread, summed by the caller).
 * Allocation goes through base/mem.h; running out is a failed call (a miss or
 * a failed write), never a crash.
 */
#ifndef COORD_WORKERS_CACHE_STORE_H
#define COORD_WORKERS_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_FORMAT_VERSION 2u            /* an entry's format (also the remote's namespace) */
#define CACHE_LAYOUT_VERSION 2u            /* the folder "v2" and a pack's format */
#define CACHE_MAX_SECTIONS 32u
#define CACHE_DEFAULT_MAX (1ull << 30)     /* 1 GiB */
#define CACHE_HEADER_SIZE 64u
#define CACHE_PACK_OVERHEAD 128u           /* pack header + trailer */
#define CACHE_PACK_RECORD 40u              /* one index record */
#define CACHE_MAX_PACKS 8u
#define CACHE_LRU_SLOTS 65536u

typedef struct CacheStore CacheStore;

typedef struct CacheKey { uint64_t hi, lo; } CacheKey;
typedef struct CacheSection { const void *data; uint64_t len; } CacheSection;

/* Per thread; summed by the caller. */
typedef struct CacheCounters {
    uint64_t corrupt;        /* packs and entries rejected by validation on lookup */
    uint64_t written;        /* entries handed to the store (published at the run's end) */
    uint64_t bytes_read;     /* bytes of entries validated and returned */
    uint64_t bytes_written;  /* bytes of those entries */
} CacheCounters;

/* One validated, read-only entry.  Backed by a pack mapped by the store
 * (cache_store_load: valid until the store is closed) or by a heap buffer
 * (cache_entry_adopt); either way map[0..map_len) are exactly the entry's
 * bytes, so an entry can be sent elsewhere as is (the remote tier).
 * Sections point into map, 8-byte aligned.  Release with cache_entry_release. */
typedef struct CacheEntry {
    void *map;
    size_t map_len;
    uint64_t variant;
    int64_t mtime;           /* last use (seconds since the epoch); 0 for buffers */
    bool heap;               /* map is a mem_alloc'd buffer, not in a pack */
    uint32_t section_count;
    CacheSection sections[CACHE_MAX_SECTIONS];
} CacheEntry;

/* What a result kept in memory needs of the entry its view points into:
 * the bytes to give back (a heap buffer is freed; a pack's bytes stay until
 * the store closes).  A loaded module keeps one per candidate, not the
 * whole CacheEntry (whose section table is only read while viewing it). */
typedef struct CacheHold {
    void *map;
    size_t map_len;
    bool heap;
} CacheHold;

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

/* Opens (creating DIR, DIR/v2 and DIR/v2/lru as needed) the cache; 0, or -1
 * with a message in err ("cannot create cache directory DIR: ...") when it
 * cannot be created, written or the bound is bad.  The caller (the
 * coordinator) prints one `coord: warning: ...` line and runs uncached.  No
 * pack is read yet. */
int  cache_store_open(const char *dir_or_null, uint64_t max_bytes_or_0, uint64_t build_id,
                      CacheStore **out, char *err, size_t errlen);
/* Unmaps the packs (every entry loaded from this store must be released or
 * unused by then) and drops writes that were not published (their
 * temporary file is removed).  NULL is fine. */
void cache_store_close(CacheStore *s);
const char *cache_store_dir(const CacheStore *s);
uint64_t    cache_store_max(const CacheStore *s);
uint64_t    cache_store_build_id(const CacheStore *s);
/* The version folder's descriptor (DIR/v2), for the manifests. */
int         cache_store_vfd(const CacheStore *s);

/* Up to `max` valid entries of `key`, most recently used first (ties: by
 * variant; a variant held by several packs is returned once, the newest
 * valid copy).  The first call maps the packs (a pack that fails its check
 * is counted in c->corrupt and removed); an entry that fails validation is
 * counted and left out.  Returns how many of out[] were filled; each must be
 * released.  Safe to call from several threads at once. */
uint32_t cache_store_load(CacheStore *s, CacheKey key, CacheEntry *out, uint32_t max,
                          CacheCounters *c);
/* Whether the store holds any pack (mapping them first, as a lookup does,
 * counting a corrupt one in c): in an empty store every lookup misses. */
bool cache_store_has_entries(CacheStore *s, CacheCounters *c);
/* Frees a heap entry; leaves *e zeroed.  A zeroed entry is fine. */
void cache_entry_release(CacheEntry *e);
/* The hold of e's bytes (e itself can then be dropped). */
CacheHold cache_entry_hold(const CacheEntry *e);
/* Frees a held heap buffer; leaves *h zeroed.  A zeroed hold is fine. */
void cache_hold_release(CacheHold *h);
/* Marks an entry used for the LRU: its slot becomes now when it is more than
 * an hour behind (an atomic store into the shared lru table). */
void cache_store_touch(CacheStore *s, CacheKey key, uint64_t variant);
/* Adds one entry to this store's pending pack (a later write of the same
 * key and variant wins).  0, or -1 when it could not be written (the run
 * goes on; nothing is counted; later writes fail too). */
int  cache_store_write(CacheStore *s, CacheKey key, uint64_t variant,
                       const CacheSection *secs, uint32_t n, CacheCounters *c);
/* Publishes the pending pack (with the merges described above) and makes it
 * visible to this store's loads.  0 (also when there was nothing to do), or
 * -1 when it could not be written (nothing published; the old packs stay). */
int  cache_store_publish(CacheStore *s);

/* The remote tier: entry <-> one contiguous buffer, same bytes as an entry
 * in a pack.
 * cache_entry_encode: a mem_alloc'd buffer (free with mem_free) of *len
 * bytes; -1 when n > CACHE_MAX_SECTIONS or out of memory.
 * cache_entry_adopt: validates buf[0..len) exactly like an entry of a pack
 * (key and build id must match; variant is read from the buffer); on success
 * the entry owns buf (mem_alloc'd, 8-byte aligned) and frees it on release;
 * on failure (-1, c->corrupt counted when c is not NULL) buf stays the
 * caller's. */
int cache_entry_encode(uint64_t build_id, CacheKey key, uint64_t variant,
                       const CacheSection *secs, uint32_t n, void **buf, size_t *len);
int cache_entry_adopt(uint64_t build_id, CacheKey key, void *buf, size_t len,
                      CacheEntry *out, CacheCounters *c);

/* Maintenance (coord cache info|trim|clean, and the automatic trim).
 * info: entries (index records of valid packs, each key and variant once)
 * and the bytes of every file the cache holds but the lru table (packs,
 * temporary files, manifests, other formats' files); read-only.  trim:
 * removes every file of another format and .tmp- files older than an hour,
 * then least recently used entries until the cache holds at most
 * target_bytes (*removed: entries and foreign files removed).  clean:
 * removes every file and folder of the cache (only names the cache itself
 * creates; other files in DIR are left alone).  maybe_trim: the automatic
 * trim after a run; trims to 90% of the bound only when the packs this
 * store knows exceed it.  All return 0, or -1 on an I/O error or when out of
 * memory. */
int cache_store_info(CacheStore *s, uint64_t *entries, uint64_t *bytes);
int cache_store_trim(CacheStore *s, uint64_t target_bytes, uint64_t *removed);
int cache_store_clean(CacheStore *s);
int cache_store_maybe_trim(CacheStore *s, uint64_t *removed);
/* The bytes of the packs this store knows (mapped, plus what it published). */
uint64_t cache_store_estimate(CacheStore *s);

#endif
