/* cache_store — the local on-disk tier of results.  The layout, the entry
 * and pack formats, publishing, the size bound and the LRU rule are
 * described at the top of workers/cache_store.h, which owns them.
 *
 * Invariants kept here:
 * - Every path is relative to the version folder's descriptor (vfd), so
 *   threads never share a cwd and paths stay short.
 * - A published pack is never modified or truncated, only unlinked; a
 *   mapping of it therefore stays valid (no SIGBUS from our own writers).
 * - The store's pack list (packs[]) is built once, by the first load, under
 *   map_mu, and only grows after that (publish, trim: exclusive calls); a
 *   pack unlinked by this store stays mapped (entries may point into it)
 *   but is marked gone: loads and sizes skip it.
 * - The pending pack (Writer) is only touched under w.mu; its index records
 *   carry their write order so the last write of a key and variant wins.
 */
#include "workers/cache_store.h"

#include "base/hash.h"
#include "base/mem.h"
#include "base/search.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define VERSION_DIR "v2"
#define LRU_FILE "lru"
#define PACK_SUFFIX ".pack"
#define TOUCH_EVERY_MIN 60u       /* minutes between two touches of a slot */
#define TMP_STALE 3600            /* a .tmp- file this old is a dead writer's */
#define WBUF_SIZE (1u << 20)      /* the pending pack's write buffer */
#define MAX_CANDS 64u             /* index records of one key looked at */

static uint64_t tmp_seq;          /* temporary file names of this process (atomic) */

static const char entry_magic[8] = { 'c', 'o', 'o', 'r', 'd', 'c', 'e', '\0' };
static const char pack_magic[8] = { 'c', 'o', 'o', 'r', 'd', 'p', 'k', '\0' };
static const char trailer_magic[8] = { 'c', 'o', 'o', 'r', 'd', 'p', 'x', '\0' };

typedef struct PackHeader {
    char magic[8];
    uint32_t version;
    uint32_t zero;
    uint64_t build_id;
    uint64_t reserved[5];
} PackHeader;

typedef struct PackRec {
    uint64_t key_hi, key_lo, variant, off, len;
} PackRec;

typedef struct PackTrailer {
    char magic[8];
    uint64_t count;
    uint64_t index_off;
    uint64_t reserved[4];
    uint64_t checksum;
} PackTrailer;

_Static_assert(sizeof(PackHeader) == 64 && sizeof(PackTrailer) == 64, "pack header and trailer");
_Static_assert(sizeof(PackRec) == CACHE_PACK_RECORD, "pack index record");

/* A mapped, checked pack. */
typedef struct Pack {
    uint8_t *map;
    size_t size;
    int64_t mtime;                /* seconds */
    int64_t mtime_ns;
    const PackRec *recs;
    uint64_t count;
    char name[24];                /* <16 hex>.pack */
    int dirty;                    /* atomic: a load rejected one of its entries */
    bool gone;                    /* unlinked by this store */
} Pack;

/* A record of the pending pack, with its write order. */
typedef struct WRec {
    PackRec r;
    uint64_t seq;
} WRec;

typedef struct Writer {
    pthread_mutex_t mu;
    int fd;                       /* -1: no temporary file yet */
    bool failed;
    char tmp[64];
    uint8_t *buf;                 /* WBUF_SIZE bytes; buf[0] is at file offset buf_off */
    size_t buf_len;
    uint64_t buf_off;
    WRec *recs;
    uint64_t count, cap, seq;
} Writer;

struct CacheStore {
    char *dir;
    int dfd;                      /* DIR */
    int vfd;                      /* DIR/v2 */
    uint64_t max;
    uint64_t build_id;
    uint32_t *lru;                /* shared mapping of DIR/v2/lru */
    uint64_t seq;                 /* pack names (atomic) */
    pthread_mutex_t map_mu;
    int mapped;                   /* atomic: packs[] is built */
    Pack *packs;                  /* newest first (mtime, then name) */
    uint32_t pack_count, pack_cap;
    Writer w;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------------
 * Resolution of the directory and the bound. */

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int cache_store_resolve_dir(const char *dir, char *out, size_t outlen, char *err, size_t errlen)
{
    int n;
    const char *v;
    if (dir && *dir)
        n = snprintf(out, outlen, "%s", dir);
    else if ((v = env_nonempty("COORD_CACHE_DIR")))
        n = snprintf(out, outlen, "%s", v);
    else if ((v = env_nonempty("XDG_CACHE_HOME")))
        n = snprintf(out, outlen, "%s/coord", v);
    else if ((v = env_nonempty("HOME")))
        n = snprintf(out, outlen, "%s/.cache/coord", v);
    else {
        set_err(err, errlen, "no cache directory (set --cache-dir, COORD_CACHE_DIR, XDG_CACHE_HOME or HOME)");
        return -1;
    }
    if (n < 0 || (size_t)n >= outlen) {
        set_err(err, errlen, "cache directory name too long");
        return -1;
    }
    return 0;
}

int cache_parse_size(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    unsigned shift = 0;
    switch (*s) {
    case 'k': case 'K': shift = 10; s++; break;
    case 'm': case 'M': shift = 20; s++; break;
    case 'g': case 'G': shift = 30; s++; break;
    case 't': case 'T': shift = 40; s++; break;
    default: break;
    }
    if (shift && (s[0] == 'i' && s[1] == 'B'))
        s += 2;
    else if (*s == 'B')
        s++;
    if (*s != '\0' || v == 0 || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = v << shift;
    return 0;
}

int cache_store_resolve_max(uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    const char *v;
    if (max) {
        *out = max;
    } else if ((v = env_nonempty("COORD_CACHE_MAX"))) {
        if (cache_parse_size(v, out) != 0) {
            set_err(err, errlen, "bad COORD_CACHE_MAX '%s' (expected a size like 512M, 1G or bytes)", v);
            return -1;
        }
    } else {
        *out = CACHE_DEFAULT_MAX;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Opening. */

/* mkdir -p of an absolute or relative path. */
static int mkdir_p(const char *path)
{
    size_t len = strlen(path);
    char *p = mem_alloc(len + 1);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(p, path, len + 1);
    int rc = 0;
    for (size_t i = 1; i <= len && rc == 0; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = -1;
        p[i] = c;
    }
    mem_free(p);
    return rc;
}

/* Opens (creating) DIR/v2/lru and maps it shared; a file of the wrong size
 * (the cache is untrusted) is set to the right one. */
static uint32_t *lru_map(int vfd)
{
    const size_t len = (size_t)CACHE_LRU_SLOTS * sizeof(uint32_t);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = openat(vfd, LRU_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
            /* A directory (or a symlink) where the table should be: remove
             * it once and try again. */
            if (attempt == 0 && (errno == EISDIR || errno == ELOOP) &&
                (unlinkat(vfd, LRU_FILE, AT_REMOVEDIR) == 0 || unlinkat(vfd, LRU_FILE, 0) == 0))
                continue;
            return NULL;
        }
        struct stat st;
        void *m = MAP_FAILED;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            ((size_t)st.st_size == len || ftruncate(fd, (off_t)len) == 0))
            m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        int e = errno;
        close(fd);
        errno = e;
        return m == MAP_FAILED ? NULL : m;
    }
    return NULL;
}

int cache_store_open(const char *dir_or_null, uint64_t max_bytes_or_0, uint64_t build_id,
                     CacheStore **out, char *err, size_t errlen)
{
    *out = NULL;
    char dir[4096];
    uint64_t max;
    if (cache_store_resolve_dir(dir_or_null, dir, sizeof dir, err, errlen) != 0 ||
        cache_store_resolve_max(max_bytes_or_0, &max, err, errlen) != 0)
        return -1;
    CacheStore *s = mem_calloc(1, sizeof *s);
    char *copy = mem_alloc(strlen(dir) + 1);
    if (!s || !copy) {
        mem_free(s);
        mem_free(copy);
        set_err(err, errlen, "cannot open cache directory %s: out of memory", dir);
        return -1;
    }
    strcpy(copy, dir);
    s->dir = copy;
    s->max = max;
    s->build_id = build_id;
    s->dfd = s->vfd = -1;
    s->w.fd = -1;
    pthread_mutex_init(&s->map_mu, NULL);
    pthread_mutex_init(&s->w.mu, NULL);
    const char *what = "create";
    if (mkdir_p(dir) != 0)
        goto fail;
    what = "open";
    s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dfd < 0)
        goto fail;
    what = "create";
    if (mkdirat(s->dfd, VERSION_DIR, 0777) != 0 && errno != EEXIST)
        goto fail;
    what = "open";
    s->vfd = openat(s->dfd, VERSION_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (s->vfd < 0)
        goto fail;
    what = "write";
    s->lru = lru_map(s->vfd);
    if (!s->lru)
        goto fail;
    *out = s;
    return 0;
fail:
    set_err(err, errlen, "cannot %s cache directory %s: %s", what, dir, strerror(errno));
    cache_store_close(s);
    return -1;
}

static void writer_discard(CacheStore *s)
{
    Writer *w = &s->w;
    if (w->fd >= 0) {
        close(w->fd);
        unlinkat(s->vfd, w->tmp, 0);
    }
    mem_free(w->buf);
    mem_free(w->recs);
    w->fd = -1;
    w->buf = NULL;
    w->recs = NULL;
    w->buf_len = 0;
    w->buf_off = 0;
    w->count = w->cap = 0;
    w->failed = false;
}

void cache_store_close(CacheStore *s)
{
    if (!s)
        return;
    writer_discard(s);
    for (uint32_t i = 0; i < s->pack_count; i++)
        munmap(s->packs[i].map, s->packs[i].size);
    mem_free(s->packs);
    if (s->lru)
        munmap(s->lru, (size_t)CACHE_LRU_SLOTS * sizeof(uint32_t));
    if (s->vfd >= 0)
        close(s->vfd);
    if (s->dfd >= 0)
        close(s->dfd);
    pthread_mutex_destroy(&s->map_mu);
    pthread_mutex_destroy(&s->w.mu);
    mem_free(s->dir);
    mem_free(s);
}

const char *cache_store_dir(const CacheStore *s) { return s->dir; }
uint64_t cache_store_max(const CacheStore *s) { return s->max; }
uint64_t cache_store_build_id(const CacheStore *s) { return s->build_id; }
int cache_store_vfd(const CacheStore *s) { return s->vfd; }

/* ---------------------------------------------------------------------------
 * The entry format. */

typedef struct EntryHeader {
    char magic[8];
    uint32_t version;
    uint32_t count;
    uint64_t build_id;
    uint64_t key_hi, key_lo;
    uint64_t variant;
    uint64_t payload_len;
    uint64_t checksum;
} EntryHeader;
_Static_assert(sizeof(EntryHeader) == CACHE_HEADER_SIZE, "entry header is 64 bytes");

#define PAD8(n) (((n) + 7u) & ~(uint64_t)7u)

static const uint8_t zero_pad[8];

/* Header and lengths table of an entry: the bytes before its sections. */
typedef struct EntryHead {
    EntryHeader h;
    uint64_t lens[CACHE_MAX_SECTIONS];
} EntryHead;

/* The checksum's seed: a hash of the header's fields before it. */
static uint64_t head_seed(const EntryHeader *h)
{
    return hash_bytes(h, offsetof(EntryHeader, checksum));
}

/* Fills the head for these sections; the entry's total size.  -1 when the
 * sections cannot be an entry. */
static int64_t head_fill(EntryHead *e, uint64_t build_id, CacheKey key, uint64_t variant,
                         const CacheSection *secs, uint32_t n)
{
    if (n > CACHE_MAX_SECTIONS)
        return -1;
    memset(e, 0, sizeof *e);
    memcpy(e->h.magic, entry_magic, sizeof entry_magic);
    e->h.version = CACHE_FORMAT_VERSION;
    e->h.count = n;
    e->h.build_id = build_id;
    e->h.key_hi = key.hi;
    e->h.key_lo = key.lo;
    e->h.variant = variant;
    uint64_t payload = (uint64_t)n * 8u;
    for (uint32_t i = 0; i < n; i++) {
        if (secs[i].len > (uint64_t)INT64_MAX / 2 || payload > (uint64_t)INT64_MAX / 2)
            return -1;
        e->lens[i] = secs[i].len;
        payload += PAD8(secs[i].len);
    }
    e->h.payload_len = payload;
    /* the checksum: one pass over the payload as it will be laid out (the
     * lengths, each section and its zero padding) */
    HashPiece pieces[1 + 2 * CACHE_MAX_SECTIONS];
    size_t k = 0;
    pieces[k++] = (HashPiece){ e->lens, (size_t)n * 8u };
    for (uint32_t i = 0; i < n; i++) {
        pieces[k++] = (HashPiece){ secs[i].data, (size_t)secs[i].len };
        pieces[k++] = (HashPiece){ zero_pad, (size_t)(PAD8(secs[i].len) - secs[i].len) };
    }
    e->h.checksum = hash_pieces(pieces, k, head_seed(&e->h));
    return (int64_t)(CACHE_HEADER_SIZE + payload);
}

/* Validates p[0..len) as an entry of (build_id, key) and, when want_variant
 * is not NULL, of that variant; fills out's variant and sections. */
static bool entry_validate(const uint8_t *p, size_t len, uint64_t build_id, CacheKey key,
                           const uint64_t *want_variant, CacheEntry *out)
{
    if (len < CACHE_HEADER_SIZE || len % 8 != 0 || ((uintptr_t)p & 7u) != 0)
        return false;
    const EntryHeader *h = (const EntryHeader *)p;
    if (memcmp(h->magic, entry_magic, sizeof entry_magic) != 0 || h->version != CACHE_FORMAT_VERSION ||
        h->count > CACHE_MAX_SECTIONS || h->build_id != build_id || h->key_hi != key.hi ||
        h->key_lo != key.lo || (want_variant && h->variant != *want_variant) ||
        h->payload_len != len - CACHE_HEADER_SIZE || h->payload_len < (uint64_t)h->count * 8u)
        return false;
    /* The checksum first, one pass over the payload in order; then the
     * bounds and the padding, by then in the CPU's cache. */
    if (hash_bytes_seed(p + CACHE_HEADER_SIZE, (size_t)h->payload_len, head_seed(h)) != h->checksum)
        return false;
    const uint64_t *lens = (const uint64_t *)(p + CACHE_HEADER_SIZE);
    uint64_t off = CACHE_HEADER_SIZE + (uint64_t)h->count * 8u;
    for (uint32_t i = 0; i < h->count; i++) {
        if (lens[i] > len - off || PAD8(lens[i]) > len - off)
            return false;
        out->sections[i].data = p + off;
        out->sections[i].len = lens[i];
        off += PAD8(lens[i]);
    }
    if (off != len)
        return false;
    /* (the checksum covers the padding; zero padding is also what makes an
     * entry canonical: re-encoding its sections gives its bytes) */
    for (uint32_t i = 0; i < h->count; i++) {
        const uint8_t *sec = out->sections[i].data;
        for (uint64_t k = lens[i]; k < PAD8(lens[i]); k++)
            if (sec[k] != 0)
                return false;
    }
    out->variant = h->variant;
    out->section_count = h->count;
    for (uint32_t i = h->count; i < CACHE_MAX_SECTIONS; i++)
        out->sections[i] = (CacheSection){ NULL, 0 };
    return true;
}

int cache_entry_encode(uint64_t build_id, CacheKey key, uint64_t variant,
                       const CacheSection *secs, uint32_t n, void **buf, size_t *len)
{
    EntryHead e;
    int64_t total = head_fill(&e, build_id, key, variant, secs, n);
    if (total < 0 || (uint64_t)total > SIZE_MAX)
        return -1;
    uint8_t *b = mem_alloc((size_t)total);
    if (!b)
        return -1;
    size_t off = CACHE_HEADER_SIZE + (size_t)n * 8u;
    memcpy(b, &e, off);
    for (uint32_t i = 0; i < n; i++) {
        if (secs[i].len)
            memcpy(b + off, secs[i].data, (size_t)secs[i].len);
        memset(b + off + secs[i].len, 0, (size_t)(PAD8(secs[i].len) - secs[i].len));
        off += (size_t)PAD8(secs[i].len);
    }
    *buf = b;
    *len = (size_t)total;
    return 0;
}

int cache_entry_adopt(uint64_t build_id, CacheKey key, void *buf, size_t len,
                      CacheEntry *out, CacheCounters *c)
{
    memset(out, 0, sizeof *out);
    if (!buf || !entry_validate(buf, len, build_id, key, NULL, out)) {
        memset(out, 0, sizeof *out);
        if (c)
            c->corrupt++;
        return -1;
    }
    out->map = buf;
    out->map_len = len;
    out->heap = true;
    if (c)
        c->bytes_read += len;
    return 0;
}


CacheHold cache_entry_hold(const CacheEntry *e)
{
    return (CacheHold){ e->map, e->map_len, e->heap };
}

void cache_hold_release(CacheHold *h)
{
    if (h->map && h->heap)
        mem_free(h->map);
    *h = (CacheHold){ NULL, 0, false };
}

void cache_entry_release(CacheEntry *e)
{
    CacheHold h = cache_entry_hold(e);
    cache_hold_release(&h);
    memset(e, 0, sizeof *e);
}

/* ---------------------------------------------------------------------------
 * Names and small helpers. */

static const char hexdigits[] = "0123456789abcdef";

static void hex64(char *out, uint64_t v)
{
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = hexdigits[v & 15];
}

static bool is_hex_n(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool is_pack_name(const char *s)
{
    return strlen(s) == 16 + sizeof PACK_SUFFIX - 1 && is_hex_n(s, 16) &&
           strcmp(s + 16, PACK_SUFFIX) == 0;
}

static bool is_tmp_name(const char *s) { return strncmp(s, ".tmp-", 5) == 0; }
static bool is_manifest_name(const char *s) { return strncmp(s, "m-", 2) == 0; }

static int64_t st_mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int rec_cmp_key(const PackRec *a, uint64_t hi, uint64_t lo, uint64_t variant)
{
    if (a->key_hi != hi)
        return a->key_hi < hi ? -1 : 1;
    if (a->key_lo != lo)
        return a->key_lo < lo ? -1 : 1;
    if (a->variant != variant)
        return a->variant < variant ? -1 : 1;
    return 0;
}

static int rec_cmp(const PackRec *a, const PackRec *b)
{
    return rec_cmp_key(a, b->key_hi, b->key_lo, b->variant);
}

static int wrec_cmp(const void *x, const void *y)
{
    const WRec *a = x, *b = y;
    int c = rec_cmp(&a->r, &b->r);
    if (c)
        return c;
    return a->seq > b->seq ? -1 : a->seq < b->seq;    /* the last written first */
}

static uint32_t lru_slot(uint64_t hi, uint64_t lo, uint64_t variant)
{
    uint64_t k[3] = { hi, lo, variant };
    return (uint32_t)(hash_bytes(k, sizeof k) & (CACHE_LRU_SLOTS - 1));
}

/* The last use of a record of pack p, in seconds. */
static int64_t rec_used(const CacheStore *s, const Pack *p, const PackRec *r)
{
    uint32_t m = __atomic_load_n(&s->lru[lru_slot(r->key_hi, r->key_lo, r->variant)], __ATOMIC_RELAXED);
    int64_t t = (int64_t)m * 60;
    return t > p->mtime ? t : p->mtime;
}

/* ---------------------------------------------------------------------------
 * Packs: checking and mapping. */

static uint64_t pack_checksum(const PackHeader *h, const PackRec *recs, uint64_t count,
                              const PackTrailer *t)
{
    uint64_t c = hash_bytes(h, sizeof *h);
    c = hash_bytes_seed(recs, (size_t)count * sizeof *recs, c);
    return hash_bytes_seed(t, offsetof(PackTrailer, checksum), c);
}

static void pack_header_fill(PackHeader *h, uint64_t build_id)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, pack_magic, sizeof pack_magic);
    h->version = CACHE_LAYOUT_VERSION;
    h->build_id = build_id;
}

/* Checks p[0..size) as a pack of this build: header, trailer, checksum,
 * every record inside the entry area, sorted and distinct. */
static bool pack_check(const uint8_t *p, size_t size, uint64_t build_id, const PackRec **recs,
                       uint64_t *count)
{
    if (size < CACHE_PACK_OVERHEAD || size % 8 != 0)
        return false;
    const PackHeader *h = (const PackHeader *)p;
    const PackTrailer *t = (const PackTrailer *)(p + size - sizeof(PackTrailer));
    PackHeader want;
    pack_header_fill(&want, build_id);
    if (memcmp(h, &want, sizeof want) != 0 || memcmp(t->magic, trailer_magic, sizeof trailer_magic) != 0 ||
        (t->reserved[0] | t->reserved[1] | t->reserved[2] | t->reserved[3]) != 0)
        return false;
    uint64_t room = (size - CACHE_PACK_OVERHEAD) / CACHE_PACK_RECORD;
    if (t->count > room || t->index_off != size - sizeof(PackTrailer) - t->count * CACHE_PACK_RECORD ||
        t->index_off % 8 != 0)
        return false;
    const PackRec *r = (const PackRec *)(p + t->index_off);
    if (pack_checksum(h, r, t->count, t) != t->checksum)
        return false;
    for (uint64_t i = 0; i < t->count; i++) {
        if (r[i].off < sizeof(PackHeader) || r[i].off % 8 != 0 || r[i].len < CACHE_HEADER_SIZE ||
            r[i].len % 8 != 0 || r[i].off > t->index_off || r[i].len > t->index_off - r[i].off)
            return false;
        if (i > 0 && rec_cmp(&r[i - 1], &r[i]) >= 0)
            return false;
    }
    *recs = r;
    *count = t->count;
    return true;
}

/* Removes a rejected pack (a directory in its place: only when empty). */
static void remove_rejected(int vfd, const char *name)
{
    struct stat st;
    if (fstatat(vfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    unlinkat(vfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
}

#define PACK_POPULATE_MAX ((uint64_t)256 << 20)

typedef enum { PACK_OK, PACK_GONE, PACK_BAD, PACK_NOMEM } PackOpen;

/* Maps and checks pack `name` into *p; `for_loads`: its entries are about
 * to be read (below). */
static PackOpen pack_open(int vfd, uint64_t build_id, const char *name, Pack *p, bool for_loads)
{
    memset(p, 0, sizeof *p);
    int fd = openat(vfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? PACK_GONE : errno == ENOMEM ? PACK_NOMEM : PACK_BAD;
    struct stat st;
    PackOpen rc = PACK_BAD;
    void *m = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= CACHE_PACK_OVERHEAD &&
        (uint64_t)st.st_size <= SIZE_MAX) {
        /* A pack whose entries loads are about to read, of usual size, is
         * mapped whole at once (MAP_POPULATE: one system call instead of a
         * page fault per 64 KiB as entries are read; a warm run reads nearly
         * all of them); a huge one, which a run may use a small part of,
         * and one mapped for its index only (a trim, info, the pack a run
         * just wrote), page by page. */
        int populate = for_loads && (uint64_t)st.st_size <= PACK_POPULATE_MAX ? MAP_POPULATE : 0;
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | populate, fd, 0);
        if (m == MAP_FAILED && errno == ENOMEM)
            rc = PACK_NOMEM;
        else if (m != MAP_FAILED && pack_check(m, (size_t)st.st_size, build_id, &p->recs, &p->count))
            rc = PACK_OK;
    }
    close(fd);
    if (rc != PACK_OK) {
        if (m != MAP_FAILED)
            munmap(m, (size_t)st.st_size);
        return rc;
    }
    p->map = m;
    p->size = (size_t)st.st_size;
    p->mtime = (int64_t)st.st_mtim.tv_sec;
    p->mtime_ns = st_mtime_ns(&st);
    snprintf(p->name, sizeof p->name, "%s", name);
    return PACK_OK;
}

static int pack_order(const void *x, const void *y)
{
    const Pack *a = x, *b = y;
    if (a->mtime_ns != b->mtime_ns)
        return a->mtime_ns > b->mtime_ns ? -1 : 1;    /* newest first */
    return strcmp(a->name, b->name);
}

/* Room for one more pack in s->packs; false when out of memory. */
static bool packs_room(CacheStore *s)
{
    if (s->pack_count < s->pack_cap)
        return true;
    uint32_t cap = s->pack_cap ? 2 * s->pack_cap : 8;
    Pack *np = mem_realloc(s->packs, cap * sizeof *np);
    if (!np)
        return false;
    s->packs = np;
    s->pack_cap = cap;
    return true;
}

/* A fresh open of the version folder: its own directory offset. */
static DIR *open_dir_at(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d)
        close(fd);
    return d;
}

static void packs_sort(CacheStore *s);

/* Lists and maps every pack (under map_mu).  Rejected packs are counted and
 * removed.  Out of memory: the packs mapped so far are used.  c: the
 * counters of the load that asks (NULL: not a load). */
static void packs_scan(CacheStore *s, CacheCounters *c)
{
    DIR *d = open_dir_at(s->vfd, ".");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_pack_name(de->d_name))
            continue;
        if (!packs_room(s))
            break;
        PackOpen rc = pack_open(s->vfd, s->build_id, de->d_name, &s->packs[s->pack_count], c != NULL);
        if (rc == PACK_OK) {
            s->pack_count++;
        } else if (rc == PACK_BAD) {
            if (c)
                c->corrupt++;
            remove_rejected(s->vfd, de->d_name);
        }
    }
    closedir(d);
    packs_sort(s);
}

static void packs_sort(CacheStore *s)
{
    if (s->pack_count > 1)
        qsort(s->packs, s->pack_count, sizeof *s->packs, pack_order);
}

static void packs_ready(CacheStore *s, CacheCounters *c)
{
    if (__atomic_load_n(&s->mapped, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&s->map_mu);
    if (!s->mapped) {
        packs_scan(s, c);
        __atomic_store_n(&s->mapped, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&s->map_mu);
}

uint64_t cache_store_estimate(CacheStore *s)
{
    packs_ready(s, NULL);
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->pack_count; i++)
        if (!s->packs[i].gone)
            n += s->packs[i].size;
    return n;
}

bool cache_store_has_entries(CacheStore *s, CacheCounters *c)
{
    packs_ready(s, c);
    for (uint32_t i = 0; i < s->pack_count; i++)
        if (!s->packs[i].gone)
            return true;
    return false;
}

/* ---------------------------------------------------------------------------
 * Loading. */

typedef struct Cand {
    int64_t used;
    uint64_t variant;
    uint32_t pack;
    const PackRec *rec;
} Cand;

static int cand_cmp(const void *x, const void *y)
{
    const Cand *a = x, *b = y;
    if (a->used != b->used)
        return a->used > b->used ? -1 : 1;              /* most recent first */
    if (a->variant != b->variant)
        return a->variant < b->variant ? -1 : 1;
    return a->pack < b->pack ? -1 : a->pack > b->pack; /* the newest copy first */
}

typedef struct KeyBelow {
    const PackRec *recs;
    CacheKey key;
} KeyBelow;

static bool key_below(const void *ctx, uint64_t i)
{
    const KeyBelow *b = ctx;
    return rec_cmp_key(&b->recs[i], b->key.hi, b->key.lo, 0) < 0;
}

/* The first record of key in p, or p->count (keys are xxh3 hashes: the
 * search starts where key.hi would sit, base/search.h). */
static uint64_t lower_bound(const Pack *p, CacheKey key)
{
    KeyBelow below = { p->recs, key };
    return search_from(p->count, search_guess(key.hi, p->count), key_below, &below);
}

uint32_t cache_store_load(CacheStore *s, CacheKey key, CacheEntry *out, uint32_t max,
                          CacheCounters *c)
{
    if (max == 0)
        return 0;
    packs_ready(s, c);
    Cand cand[MAX_CANDS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->pack_count && n < MAX_CANDS; i++) {
        const Pack *p = &s->packs[i];
        if (p->gone)
            continue;
        for (uint64_t k = lower_bound(p, key);
             k < p->count && p->recs[k].key_hi == key.hi && p->recs[k].key_lo == key.lo && n < MAX_CANDS; k++)
            cand[n++] = (Cand){ rec_used(s, p, &p->recs[k]), p->recs[k].variant, i, &p->recs[k] };
    }
    if (n > 1)
        qsort(cand, n, sizeof *cand, cand_cmp);
    uint32_t got = 0;
    for (uint32_t i = 0; i < n && got < max; i++) {
        bool dup = false;
        for (uint32_t k = 0; k < got && !dup; k++)
            dup = out[k].variant == cand[i].variant;
        if (dup)
            continue;
        Pack *p = &s->packs[cand[i].pack];
        const PackRec *r = cand[i].rec;
        CacheEntry *e = &out[got];
        memset(e, 0, sizeof *e);
        if (!entry_validate(p->map + r->off, (size_t)r->len, s->build_id, key, &r->variant, e)) {
            memset(e, 0, sizeof *e);
            c->corrupt++;
            __atomic_store_n(&p->dirty, 1, __ATOMIC_RELAXED);
            continue;
        }
        e->map = p->map + r->off;
        e->map_len = (size_t)r->len;
        e->heap = false;
        e->mtime = cand[i].used;
        c->bytes_read += r->len;
        got++;
    }
    return got;
}

void cache_store_touch(CacheStore *s, CacheKey key, uint64_t variant)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0 || now.tv_sec < 0)
        return;
    uint32_t min = (uint32_t)((uint64_t)now.tv_sec / 60);
    uint32_t *slot = &s->lru[lru_slot(key.hi, key.lo, variant)];
    uint32_t was = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (was > min || min - was > TOUCH_EVERY_MIN)
        __atomic_store_n(slot, min, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------
 * Writing: the pending pack. */

static int pwrite_all(int fd, struct iovec *iov, int cnt, uint64_t off)
{
    while (cnt > 0) {
        ssize_t w = pwritev(fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0)
            return -1;
        off += (uint64_t)w;
        while (cnt > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* Under w->mu: the temporary file and buffer exist (false: failed). */
static bool writer_start(CacheStore *s)
{
    Writer *w = &s->w;
    if (w->failed)
        return false;
    if (w->fd >= 0)
        return true;
    uint64_t seq = __atomic_fetch_add(&tmp_seq, 1, __ATOMIC_RELAXED);   /* per process */
    snprintf(w->tmp, sizeof w->tmp, ".tmp-%ld-%llu", (long)getpid(), (unsigned long long)seq);
    w->buf = mem_alloc(WBUF_SIZE);
    if (w->buf)
        w->fd = openat(s->vfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (!w->buf || w->fd < 0) {
        mem_free(w->buf);
        w->buf = NULL;
        w->failed = true;
        return false;
    }
    PackHeader h;
    pack_header_fill(&h, s->build_id);
    memcpy(w->buf, &h, sizeof h);
    w->buf_len = sizeof h;
    w->buf_off = 0;
    return true;
}

static bool writer_flush(Writer *w)
{
    struct iovec iov = { w->buf, w->buf_len };
    if (w->buf_len && pwrite_all(w->fd, &iov, 1, w->buf_off) != 0)
        return false;
    w->buf_off += w->buf_len;
    w->buf_len = 0;
    return true;
}

/* Under w->mu: appends an entry made of iov[0..cnt) (total bytes) with
 * index record (key, variant). */
static bool writer_append(CacheStore *s, uint64_t hi, uint64_t lo, uint64_t variant,
                          struct iovec *iov, int cnt, uint64_t total)
{
    Writer *w = &s->w;
    if (!writer_start(s))
        return false;
    if (w->count == w->cap) {
        uint64_t cap = w->cap ? 2 * w->cap : 256;
        WRec *nr = mem_realloc(w->recs, (size_t)cap * sizeof *nr);
        if (!nr)
            goto failed;
        w->recs = nr;
        w->cap = cap;
    }
    if (w->buf_len + total > WBUF_SIZE && !writer_flush(w))
        goto failed;
    uint64_t off = w->buf_off + w->buf_len;
    if (total > WBUF_SIZE) {
        if (pwrite_all(w->fd, iov, cnt, off) != 0)
            goto failed;
        w->buf_off += total;
    } else {
        for (int i = 0; i < cnt; i++) {
            memcpy(w->buf + w->buf_len, iov[i].iov_base, iov[i].iov_len);
            w->buf_len += iov[i].iov_len;
        }
    }
    w->recs[w->count++] = (WRec){ { hi, lo, variant, off, total }, w->seq++ };
    return true;
failed:
    w->failed = true;
    return false;
}


int cache_store_write(CacheStore *s, CacheKey key, uint64_t variant,
                      const CacheSection *secs, uint32_t n, CacheCounters *c)
{
    EntryHead e;
    int64_t total = head_fill(&e, s->build_id, key, variant, secs, n);
    if (total < 0)
        return -1;
    struct iovec iov[1 + 2 * CACHE_MAX_SECTIONS];
    int cnt = 0;
    iov[cnt++] = (struct iovec){ &e, CACHE_HEADER_SIZE + (size_t)n * 8u };
    for (uint32_t i = 0; i < n; i++) {
        if (secs[i].len)
            iov[cnt++] = (struct iovec){ (void *)secs[i].data, (size_t)secs[i].len };
        if (PAD8(secs[i].len) != secs[i].len)
            iov[cnt++] = (struct iovec){ (void *)zero_pad, (size_t)(PAD8(secs[i].len) - secs[i].len) };
    }
    pthread_mutex_lock(&s->w.mu);
    bool ok = writer_append(s, key.hi, key.lo, variant, iov, cnt, (uint64_t)total);
    pthread_mutex_unlock(&s->w.mu);
    if (!ok)
        return -1;
    c->written++;
    c->bytes_written += (uint64_t)total;
    return 0;
}

/* Copies a valid entry of pack p into the pending pack (exclusive caller).
 * False only when writing failed; an invalid entry is skipped. */
static bool writer_copy(CacheStore *s, const Pack *p, const PackRec *r)
{
    CacheEntry tmp;
    CacheKey key = { r->key_hi, r->key_lo };
    if (!entry_validate(p->map + r->off, (size_t)r->len, s->build_id, key, &r->variant, &tmp))
        return true;
    struct iovec iov = { p->map + r->off, (size_t)r->len };
    return writer_append(s, r->key_hi, r->key_lo, r->variant, &iov, 1, r->len);
}

/* Writes the index and trailer of the pending pack and publishes it under a
 * fresh name; the new pack is added to s->packs.  Exclusive caller.  0, or
 * -1 (the pending pack is dropped either way). */
static int writer_finish(CacheStore *s)
{
    Writer *w = &s->w;
    int rc = -1;
    if (w->fd < 0 || w->failed || w->count == 0)
        goto out;
    qsort(w->recs, (size_t)w->count, sizeof *w->recs, wrec_cmp);
    uint64_t n = 0;                  /* distinct records, packed in place as PackRecs */
    PackRec *idx = (PackRec *)w->recs;
    for (uint64_t i = 0; i < w->count; i++) {
        PackRec r = w->recs[i].r;    /* read before idx[n] may overwrite it */
        if (n > 0 && rec_cmp(&idx[n - 1], &r) == 0)
            continue;                /* an older write of the same entry */
        idx[n++] = r;
    }
    PackHeader h;
    pack_header_fill(&h, s->build_id);
    PackTrailer t;
    memset(&t, 0, sizeof t);
    memcpy(t.magic, trailer_magic, sizeof trailer_magic);
    t.count = n;
    t.index_off = w->buf_off + w->buf_len;
    t.checksum = pack_checksum(&h, idx, n, &t);
    struct iovec iov[3] = {
        { w->buf, w->buf_len },
        { idx, (size_t)n * sizeof *idx },
        { &t, sizeof t },
    };
    if (pwrite_all(w->fd, iov, 3, w->buf_off) != 0)
        goto out;
    if (close(w->fd) != 0) {
        w->fd = -1;
        unlinkat(s->vfd, w->tmp, 0);
        goto out;
    }
    w->fd = -1;
    /* A fresh name: pid, clock, a counter, the store's address. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t seed[4] = { (uint64_t)getpid(), (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec,
                         __atomic_fetch_add(&s->seq, 1, __ATOMIC_RELAXED), (uint64_t)(uintptr_t)s };
    char name[24];
    hex64(name, hash_bytes(seed, sizeof seed));
    memcpy(name + 16, PACK_SUFFIX, sizeof PACK_SUFFIX);
    if (renameat(s->vfd, w->tmp, s->vfd, name) != 0) {
        unlinkat(s->vfd, w->tmp, 0);
        goto out;
    }
    rc = 0;
    /* Our own loads see it from now on (appended; the caller sorts). */
    if (packs_room(s) && pack_open(s->vfd, s->build_id, name, &s->packs[s->pack_count], false) == PACK_OK)
        s->pack_count++;
out:
    writer_discard(s);
    return rc;
}

/* Copies into the pending pack every valid entry of the packs marked in
 * `take` (newest copy of each key and variant, none the pending pack already
 * has), then publishes it and unlinks them.  Exclusive caller. */
static int repack(CacheStore *s, const bool *take, uint32_t pc)
{
    Writer *w = &s->w;
    /* What the run wrote wins over older copies: sorted, for lookups. */
    if (w->count > 1)
        qsort(w->recs, (size_t)w->count, sizeof *w->recs, wrec_cmp);
    uint64_t own = w->count;
    int rc = 0;
    for (uint32_t i = 0; i < pc && rc == 0; i++) {
        if (!take[i])
            continue;
        const Pack *p = &s->packs[i];
        for (uint64_t k = 0; k < p->count; k++) {
            const PackRec *r = &p->recs[k];
            /* already pending (written this run, or a newer pack's copy) */
            uint64_t lo = 0, hi = own;
            while (lo < hi) {
                uint64_t mid = lo + (hi - lo) / 2;
                if (rec_cmp(&w->recs[mid].r, r) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < own && rec_cmp(&w->recs[lo].r, r) == 0)
                continue;
            bool newer = false;
            for (uint32_t j = 0; j < i && !newer; j++) {
                const Pack *q = &s->packs[j];
                if (!take[j])
                    continue;
                CacheKey key = { r->key_hi, r->key_lo };
                for (uint64_t m = lower_bound(q, key);
                     m < q->count && q->recs[m].key_hi == r->key_hi && q->recs[m].key_lo == r->key_lo; m++)
                    newer |= q->recs[m].variant == r->variant;
            }
            if (newer)
                continue;
            if (!writer_copy(s, p, r)) {
                rc = -1;
                break;
            }
        }
    }
    if (rc == 0 && w->count > 0)
        rc = writer_finish(s);
    else
        writer_discard(s);
    if (rc != 0)
        return -1;
    for (uint32_t i = 0; i < pc; i++) {
        if (!take[i] || s->packs[i].gone)
            continue;
        unlinkat(s->vfd, s->packs[i].name, 0);
        s->packs[i].gone = true;
    }
    return 0;
}

int cache_store_publish(CacheStore *s)
{
    packs_ready(s, NULL);
    uint32_t live = 0, largest = UINT32_MAX;
    bool any = false;
    for (uint32_t i = 0; i < s->pack_count; i++) {
        if (s->packs[i].gone)
            continue;
        live++;
        if (largest == UINT32_MAX || s->packs[i].size > s->packs[largest].size)
            largest = i;
        any |= __atomic_load_n(&s->packs[i].dirty, __ATOMIC_RELAXED) != 0;
    }
    bool merge = live + (s->w.count > 0) > CACHE_MAX_PACKS;
    if (!any && !merge) {
        if (s->w.count == 0) {
            writer_discard(s);
            return 0;
        }
        int rc = writer_finish(s);
        packs_sort(s);
        return rc;
    }
    bool *take = mem_calloc(s->pack_count + 1, sizeof *take);
    if (!take) {
        writer_discard(s);
        return -1;
    }
    uint32_t pc = s->pack_count;          /* writer_finish adds one in front */
    for (uint32_t i = 0; i < pc; i++)
        take[i] = !s->packs[i].gone &&
                  (__atomic_load_n(&s->packs[i].dirty, __ATOMIC_RELAXED) || (merge && i != largest));
    int rc = repack(s, take, pc);
    mem_free(take);
    packs_sort(s);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Maintenance: info, trim, clean.  They look only at names the cache
 * creates: in DIR, version folders v<digits>; in ours, packs, .tmp- and
 * manifest files; in another version's folder, anything (up to three
 * levels: v1 was <2 hex>/<32 hex>/<files>). */

static bool is_version_name(const char *s)
{
    if (s[0] != 'v' || s[1] == '\0' || strlen(s) > 20)
        return false;
    for (s++; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Sizes (and, with remove, removes) every file under dfd/name, depth
 * levels down at most; the folder itself is removed once empty. */
static void foreign_walk(int dfd, const char *name, int depth, bool remove, uint64_t *bytes,
                         uint64_t *files)
{
    DIR *d = open_dir_at(dfd, name);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth > 0)
                foreign_walk(dirfd(d), de->d_name, depth - 1, remove, bytes, files);
            continue;
        }
        *bytes += (uint64_t)st.st_size;
        if (remove && unlinkat(dirfd(d), de->d_name, 0) == 0)
            ++*files;
    }
    closedir(d);
    if (remove)
        unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Every version folder but ours: sized, or removed. */
static int foreign_versions(CacheStore *s, bool remove, uint64_t *bytes, uint64_t *files)
{
    DIR *d = open_dir_at(s->dfd, ".");
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)))
        if (is_version_name(de->d_name) && strcmp(de->d_name, VERSION_DIR) != 0)
            foreign_walk(s->dfd, de->d_name, 3, remove, bytes, files);
    closedir(d);
    return 0;
}

typedef struct InfoRec {
    uint64_t hi, lo, variant;
} InfoRec;

static int info_rec_cmp(const void *x, const void *y)
{
    const InfoRec *a = x, *b = y;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return a->variant < b->variant ? -1 : a->variant > b->variant;
}

int cache_store_info(CacheStore *s, uint64_t *entries, uint64_t *bytes)
{
    uint64_t b = 0, files = 0, nrec = 0, cap = 0;
    InfoRec *recs = NULL;
    bool failed = foreign_versions(s, false, &b, &files) != 0;
    DIR *d = open_dir_at(s->vfd, ".");
    if (!d)
        failed = true;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        const char *name = de->d_name;
        bool pack = is_pack_name(name);
        if (!pack && !is_tmp_name(name) && !is_manifest_name(name))
            continue;
        struct stat st;
        if (fstatat(s->vfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
            continue;
        b += (uint64_t)st.st_size;
        Pack p;
        if (!pack || pack_open(s->vfd, s->build_id, name, &p, false) != PACK_OK)
            continue;
        if (nrec + p.count > cap) {
            uint64_t ncap = cap ? 2 * cap : 1024;
            while (ncap < nrec + p.count)
                ncap *= 2;
            InfoRec *nr = mem_realloc(recs, (size_t)ncap * sizeof *nr);
            if (!nr) {
                failed = true;
                munmap(p.map, p.size);
                break;
            }
            recs = nr;
            cap = ncap;
        }
        for (uint64_t k = 0; k < p.count; k++)
            recs[nrec++] = (InfoRec){ p.recs[k].key_hi, p.recs[k].key_lo, p.recs[k].variant };
        munmap(p.map, p.size);
    }
    if (d)
        closedir(d);
    if (nrec > 1)
        qsort(recs, (size_t)nrec, sizeof *recs, info_rec_cmp);
    uint64_t e = 0;
    for (uint64_t i = 0; i < nrec; i++)
        e += i == 0 || info_rec_cmp(&recs[i - 1], &recs[i]) != 0;
    mem_free(recs);
    *entries = e;
    *bytes = b;
    return failed ? -1 : 0;
}

/* Removes .tmp- files older than an hour (dead writers'); the bytes of
 * the other .tmp- and manifest files go to *bytes. */
static void tmp_sweep(CacheStore *s, uint64_t *bytes)
{
    DIR *d = open_dir_at(s->vfd, ".");
    if (!d)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct dirent *de;
    while ((de = readdir(d))) {
        bool tmp = is_tmp_name(de->d_name);
        if (!tmp && !is_manifest_name(de->d_name))
            continue;
        struct stat st;
        if (fstatat(s->vfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
            continue;
        if (tmp && st.st_mtim.tv_sec < now.tv_sec - TMP_STALE && unlinkat(s->vfd, de->d_name, 0) == 0)
            continue;
        *bytes += (uint64_t)st.st_size;
    }
    closedir(d);
}

typedef struct TrimRec {
    int64_t used;
    uint32_t pack;
    const PackRec *rec;
    bool dup, drop;
} TrimRec;

static int trim_key_cmp(const void *x, const void *y)
{
    const TrimRec *a = x, *b = y;
    int c = rec_cmp(a->rec, b->rec);
    if (c)
        return c;
    return a->pack < b->pack ? -1 : a->pack > b->pack;   /* newest pack first */
}

static int trim_use_cmp(const void *x, const void *y)
{
    const TrimRec *a = *(const TrimRec *const *)x, *b = *(const TrimRec *const *)y;
    if (a->used != b->used)
        return a->used < b->used ? -1 : 1;                /* least recently used first */
    return rec_cmp(a->rec, b->rec);
}

int cache_store_trim(CacheStore *s, uint64_t target, uint64_t *removed)
{
    uint64_t nremoved = 0, other = 0;
    if (removed)
        *removed = 0;
    int rc = foreign_versions(s, true, &other, &nremoved);
    other = 0;
    tmp_sweep(s, &other);
    packs_ready(s, NULL);
    uint64_t total = other, n = 0;
    for (uint32_t i = 0; i < s->pack_count; i++)
        if (!s->packs[i].gone) {
            total += s->packs[i].size;
            n += s->packs[i].count;
        }
    if (total <= target || n == 0) {
        if (removed)
            *removed = nremoved;
        return rc;
    }
    TrimRec *t = mem_alloc((size_t)n * sizeof *t);
    TrimRec **order = mem_alloc((size_t)n * sizeof *order);
    uint64_t *kept = mem_calloc(s->pack_count + 1, sizeof *kept);
    bool *take = mem_calloc(s->pack_count + 1, sizeof *take);
    if (!t || !order || !kept || !take) {
        mem_free(t);
        mem_free(order);
        mem_free(kept);
        mem_free(take);
        return -1;
    }
    uint64_t k = 0;
    for (uint32_t i = 0; i < s->pack_count; i++) {
        const Pack *p = &s->packs[i];
        if (p->gone)
            continue;
        for (uint64_t j = 0; j < p->count; j++)
            t[k++] = (TrimRec){ rec_used(s, p, &p->recs[j]), i, &p->recs[j], false, false };
        kept[i] = p->count;
    }
    /* An entry held by several packs: the newest copy counts, the others
     * go (their space is freed, no entry is lost). */
    qsort(t, (size_t)n, sizeof *t, trim_key_cmp);
    uint64_t projected = total, m = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (i > 0 && rec_cmp(t[i - 1].rec, t[i].rec) == 0) {
            t[i].dup = t[i].drop = true;
            projected -= t[i].rec->len + CACHE_PACK_RECORD;
            if (--kept[t[i].pack] == 0)
                projected -= CACHE_PACK_OVERHEAD;
            continue;
        }
        order[m++] = &t[i];
    }
    qsort(order, (size_t)m, sizeof *order, trim_use_cmp);
    for (uint64_t i = 0; i < m && projected > target; i++) {
        order[i]->drop = true;
        projected -= order[i]->rec->len + CACHE_PACK_RECORD;
        if (--kept[order[i]->pack] == 0)
            projected -= CACHE_PACK_OVERHEAD;
        nremoved++;
    }
    /* Packs left empty go; the survivors of packs that lost some are copied
     * into one new pack. */
    uint32_t pc = s->pack_count;
    for (uint32_t i = 0; i < pc; i++)
        take[i] = !s->packs[i].gone && kept[i] < s->packs[i].count;
    for (uint64_t i = 0; i < n && rc == 0; i++)
        if (!t[i].drop && take[t[i].pack] && kept[t[i].pack] > 0 && !writer_copy(s, &s->packs[t[i].pack], t[i].rec))
            rc = -1;
    if (rc == 0 && s->w.count > 0)
        rc = writer_finish(s);
    else
        writer_discard(s);
    if (rc == 0)
        for (uint32_t i = 0; i < pc; i++)
            if (take[i] && unlinkat(s->vfd, s->packs[i].name, 0) == 0)
                s->packs[i].gone = true;
    packs_sort(s);
    mem_free(t);
    mem_free(order);
    mem_free(kept);
    mem_free(take);
    if (removed)
        *removed = nremoved;
    return rc;
}

int cache_store_clean(CacheStore *s)
{
    uint64_t bytes = 0, files = 0;
    int rc = foreign_versions(s, true, &bytes, &files);
    DIR *d = open_dir_at(s->vfd, ".");
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (is_pack_name(name) || is_tmp_name(name) || is_manifest_name(name))
            remove_rejected(s->vfd, name);
    }
    closedir(d);
    for (uint32_t i = 0; i < s->pack_count; i++)
        s->packs[i].gone = true;
    return rc;
}

int cache_store_maybe_trim(CacheStore *s, uint64_t *removed)
{
    if (removed)
        *removed = 0;
    if (cache_store_estimate(s) <= s->max)
        return 0;
    return cache_store_trim(s, s->max - s->max / 10, removed);
}
