/* cache_store — the local on-disk tier of results.  The layout, the entry
 * format, publishing, the size estimate and the LRU rule are described at
 * the top of workers/cache_store.h, which owns them.
 *
 * Invariants kept here:
 * - Every path is relative to the version folder's descriptor (vfd) or to a
 *   key folder's descriptor, so no path is longer than ~60 bytes and threads
 *   never share a cwd.
 * - A published file is never modified or truncated, only replaced by rename
 *   or unlinked; a mapping of it therefore stays valid (no SIGBUS from our
 *   own writers).
 * - The usage counter only grows except in a walk, which corrects it by the
 *   difference between what it read before walking and what it measured.
 */
#include "workers/cache_store.h"

#include "base/hash.h"
#include "base/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define VERSION_DIR "v1"
#define USAGE_FILE "usage"
#define TOUCH_EVERY 3600          /* seconds between two touches of an entry */
#define TMP_STALE 3600            /* a .tmp- file this old is a dead writer's */

static const char entry_magic[8] = { 'c', 'o', 'o', 'r', 'd', 'c', 'e', '\0' };

struct CacheStore {
    char *dir;
    int dfd;                      /* DIR */
    int vfd;                      /* DIR/v1 */
    uint64_t max;
    uint64_t build_id;
    uint64_t *usage;              /* shared mapping of DIR/v1/usage */
    uint64_t seq;                 /* temporary file names (atomic) */
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

/* Opens (creating) DIR/v1/usage and maps its first 8 bytes shared. */
static uint64_t *usage_map(int vfd)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = openat(vfd, USAGE_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
            /* A directory (or anything else) where the counter should be:
             * remove it once and try again. */
            if (attempt == 0 && (errno == EISDIR || errno == ELOOP) &&
                (unlinkat(vfd, USAGE_FILE, AT_REMOVEDIR) == 0 || unlinkat(vfd, USAGE_FILE, 0) == 0))
                continue;
            return NULL;
        }
        struct stat st;
        void *m = MAP_FAILED;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (st.st_size >= 8 || ftruncate(fd, 8) == 0))
            m = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
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
    s->usage = usage_map(s->vfd);
    if (!s->usage)
        goto fail;
    *out = s;
    return 0;
fail:
    set_err(err, errlen, "cannot %s cache directory %s: %s", what, dir, strerror(errno));
    cache_store_close(s);
    return -1;
}

void cache_store_close(CacheStore *s)
{
    if (!s)
        return;
    if (s->usage)
        munmap(s->usage, 8);
    if (s->vfd >= 0)
        close(s->vfd);
    if (s->dfd >= 0)
        close(s->dfd);
    mem_free(s->dir);
    mem_free(s);
}

const char *cache_store_dir(const CacheStore *s) { return s->dir; }
uint64_t cache_store_max(const CacheStore *s) { return s->max; }
uint64_t cache_store_build_id(const CacheStore *s) { return s->build_id; }

uint64_t cache_store_estimate(const CacheStore *s)
{
    return __atomic_load_n(s->usage, __ATOMIC_RELAXED);
}

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

static uint64_t head_checksum(const EntryHeader *h, const uint64_t *lens)
{
    uint64_t c = hash_bytes(h, offsetof(EntryHeader, checksum));
    return hash_bytes_seed(lens, (size_t)h->count * 8u, c);
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
    uint64_t c = head_checksum(&e->h, e->lens);
    for (uint32_t i = 0; i < n; i++)
        c = hash_bytes_seed(secs[i].data, (size_t)secs[i].len, c);
    e->h.checksum = c;
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
    const uint64_t *lens = (const uint64_t *)(p + CACHE_HEADER_SIZE);
    uint64_t off = CACHE_HEADER_SIZE + (uint64_t)h->count * 8u;
    for (uint32_t i = 0; i < h->count; i++) {
        if (lens[i] > len - off || PAD8(lens[i]) > len - off)
            return false;
        out->sections[i].data = p + off;
        out->sections[i].len = lens[i];
        for (uint64_t k = lens[i]; k < PAD8(lens[i]); k++)
            if (p[off + k] != 0)
                return false;
        off += PAD8(lens[i]);
    }
    if (off != len)
        return false;
    uint64_t c = head_checksum(h, lens);
    for (uint32_t i = 0; i < h->count; i++)
        c = hash_bytes_seed(out->sections[i].data, (size_t)lens[i], c);
    if (c != h->checksum)
        return false;
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

void cache_entry_release(CacheEntry *e)
{
    if (e->map) {
        if (e->heap)
            mem_free(e->map);
        else
            munmap(e->map, e->map_len);
    }
    memset(e, 0, sizeof *e);
}

/* ---------------------------------------------------------------------------
 * Names. */

static const char hexdigits[] = "0123456789abcdef";

static void hex64(char *out, uint64_t v)
{
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = hexdigits[v & 15];
}

/* "kk/<32 hex>" and, with a variant, "kk/<32 hex>/<16 hex>". */
typedef struct KeyPath { char s[3 + 32 + 1 + 16 + 1]; } KeyPath;

static KeyPath key_path(CacheKey key, const uint64_t *variant)
{
    KeyPath k;
    char *p = k.s;
    hex64(p + 3, key.hi);
    hex64(p + 19, key.lo);
    p[0] = p[3];
    p[1] = p[4];
    p[2] = '/';
    p[35] = '\0';
    if (variant) {
        p[35] = '/';
        hex64(p + 36, *variant);
        p[52] = '\0';
    }
    return k;
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

static uint64_t parse_hex64(const char *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++)
        v = v << 4 | (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
    return v;
}

static bool is_tmp_name(const char *s) { return strncmp(s, ".tmp-", 5) == 0; }

/* ---------------------------------------------------------------------------
 * Loading. */

typedef struct Candidate {
    uint64_t variant;
    int64_t mtime_ns;
} Candidate;

static int candidate_cmp(const void *x, const void *y)
{
    const Candidate *a = x, *b = y;
    if (a->mtime_ns != b->mtime_ns)
        return a->mtime_ns > b->mtime_ns ? -1 : 1;   /* most recent first */
    return a->variant < b->variant ? -1 : a->variant > b->variant;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Removes a rejected file, unless it was replaced meanwhile (a concurrent
 * writer published a new entry under the same name). */
static void remove_rejected(int dfd, const char *name, const struct stat *seen)
{
    struct stat now;
    if (fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (seen && (now.st_ino != seen->st_ino || now.st_dev != seen->st_dev))
        return;
    if (S_ISDIR(now.st_mode))
        unlinkat(dfd, name, AT_REMOVEDIR);       /* only when empty */
    else
        unlinkat(dfd, name, 0);
}

/* Maps and validates one candidate; false (rejected and counted) when it is
 * not a valid entry. */
static bool load_one(CacheStore *s, int dfd, const char *name, CacheKey key, uint64_t variant,
                     CacheEntry *out, CacheCounters *c)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)             /* removed meanwhile: not corrupt */
            return false;
        c->corrupt++;
        remove_rejected(dfd, name, NULL);
        return false;
    }
    struct stat st;
    memset(&st, 0, sizeof st);
    void *m = MAP_FAILED;
    bool ok = false;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= CACHE_HEADER_SIZE &&
        (uint64_t)st.st_size <= SIZE_MAX) {
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED)
            ok = entry_validate(m, (size_t)st.st_size, s->build_id, key, &variant, out);
    }
    close(fd);
    if (!ok) {
        if (m != MAP_FAILED)
            munmap(m, (size_t)st.st_size);
        c->corrupt++;
        remove_rejected(dfd, name, S_ISREG(st.st_mode) ? &st : NULL);
        return false;
    }
    out->map = m;
    out->map_len = (size_t)st.st_size;
    out->heap = false;
    out->mtime = (int64_t)st.st_mtim.tv_sec;
    c->bytes_read += (uint64_t)st.st_size;
    return true;
}

uint32_t cache_store_load(CacheStore *s, CacheKey key, CacheEntry *out, uint32_t max,
                          CacheCounters *c)
{
    if (max == 0)
        return 0;
    KeyPath kp = key_path(key, NULL);
    int dfd = openat(s->vfd, kp.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0) {
        if (errno != ENOENT) {           /* a file where the key's folder should be */
            c->corrupt++;
            unlinkat(s->vfd, kp.s, 0);
        }
        return 0;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return 0;
    }
    Candidate *cand = NULL;
    uint32_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (!is_hex(name, 16))
            continue;                    /* ".", "..", .tmp- files, strangers */
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (n == cap) {
            uint32_t ncap = cap ? 2 * cap : 8;
            Candidate *nc = mem_realloc(cand, ncap * sizeof *nc);
            if (!nc)
                break;                   /* out of memory: use what we have */
            cand = nc;
            cap = ncap;
        }
        cand[n++] = (Candidate){ parse_hex64(name), mtime_ns(&st) };
    }
    if (n > 1)
        qsort(cand, n, sizeof *cand, candidate_cmp);
    uint32_t got = 0;
    for (uint32_t i = 0; i < n && got < max; i++) {
        char name[17];
        hex64(name, cand[i].variant);
        name[16] = '\0';
        if (load_one(s, dfd, name, key, cand[i].variant, &out[got], c))
            got++;
        else
            memset(&out[got], 0, sizeof out[got]);
    }
    mem_free(cand);
    closedir(d);
    return got;
}

void cache_store_touch(CacheStore *s, CacheKey key, uint64_t variant)
{
    KeyPath kp = key_path(key, &variant);
    struct stat st;
    struct timespec now;
    if (fstatat(s->vfd, kp.s, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        clock_gettime(CLOCK_REALTIME, &now) != 0)
        return;
    if (now.tv_sec - st.st_mtim.tv_sec > TOUCH_EVERY)
        utimensat(s->vfd, kp.s, NULL, AT_SYMLINK_NOFOLLOW);
}

/* ---------------------------------------------------------------------------
 * Writing. */

static int write_all(int fd, struct iovec *iov, int cnt)
{
    off_t off = 0;
    while (cnt > 0) {
        ssize_t w = pwritev(fd, iov, cnt, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0)
            return -1;
        off += w;
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

/* Creates the temporary file of one entry in the key's folder, creating the
 * folders (again, when a concurrent trim removed them; once more after
 * removing a file that sits where a folder should be). */
static int tmp_create(CacheStore *s, const KeyPath *kp, char *tmp, size_t tmplen)
{
    uint64_t seq = __atomic_fetch_add(&s->seq, 1, __ATOMIC_RELAXED);
    snprintf(tmp, tmplen, "%.35s/.tmp-%ld-%llu", kp->s, (long)getpid(), (unsigned long long)seq);
    char shard[3] = { kp->s[0], kp->s[1], '\0' };
    char keydir[36];
    memcpy(keydir, kp->s, 35);
    keydir[35] = '\0';
    for (int attempt = 0; attempt < 3; attempt++) {
        int fd = openat(s->vfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0 || (errno != ENOENT && errno != ENOTDIR))
            return fd;
        if (errno == ENOTDIR) {          /* a file where a folder should be */
            unlinkat(s->vfd, keydir, 0);
            unlinkat(s->vfd, shard, 0);
        }
        if (mkdirat(s->vfd, shard, 0777) != 0 && errno != EEXIST)
            return -1;
        if (mkdirat(s->vfd, keydir, 0777) != 0 && errno != EEXIST)
            return -1;
    }
    return -1;
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
    KeyPath kp = key_path(key, &variant);
    char tmp[96];
    int fd = tmp_create(s, &kp, tmp, sizeof tmp);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, iov, cnt);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0) {
        /* Counted before it is published: a kill in between over-counts. */
        __atomic_fetch_add(s->usage, (uint64_t)total, __ATOMIC_RELAXED);
        rc = renameat(s->vfd, tmp, s->vfd, kp.s);
        if (rc != 0 && (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) &&
            unlinkat(s->vfd, kp.s, AT_REMOVEDIR) == 0)   /* an empty folder in the way */
            rc = renameat(s->vfd, tmp, s->vfd, kp.s);
    }
    if (rc != 0) {
        unlinkat(s->vfd, tmp, 0);
        return -1;
    }
    c->written++;
    c->bytes_written += (uint64_t)total;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Walking: info, trim, clean.  The walk looks only at names the cache
 * creates: DIR/v<digits>/<2 hex>/<32 hex>/(<16 hex> | .tmp-*), plus each
 * version's usage file. */

typedef enum { FILE_ENTRY, FILE_TMP, FILE_FOREIGN } FileKind;

typedef struct WalkFile {
    int64_t mtime_ns;
    uint64_t size;
    FileKind kind;
    char path[104];              /* relative to DIR: v<n>/kk/<key>/<name> */
} WalkFile;

typedef struct Walk {
    WalkFile *files;
    size_t count, cap;
    bool failed;                 /* out of memory or an unreadable folder */
} Walk;

static bool is_version_name(const char *s)
{
    if (s[0] != 'v' || s[1] == '\0')
        return false;
    for (s++; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A fresh open of a folder: its own directory offset (a dup would share
 * one with every other walk running at the same time). */
static DIR *open_sub(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d)
        close(fd);
    return d;
}

static void walk_add(Walk *w, const char *path, const struct stat *st, FileKind kind)
{
    if (w->count == w->cap) {
        size_t ncap = w->cap ? 2 * w->cap : 64;
        WalkFile *nf = mem_realloc(w->files, ncap * sizeof *nf);
        if (!nf) {
            w->failed = true;
            return;
        }
        w->files = nf;
        w->cap = ncap;
    }
    WalkFile *f = &w->files[w->count++];
    f->mtime_ns = mtime_ns(st);
    f->size = (uint64_t)st->st_size;
    f->kind = kind;
    snprintf(f->path, sizeof f->path, "%s", path);
}

/* Visits the files of one key folder (vname/shard/key). */
static void walk_key(Walk *w, int kfd, const char *prefix, bool current)
{
    DIR *d = fdopendir(kfd);
    if (!d) {
        close(kfd);
        w->failed = true;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        bool entry = is_hex(name, 16);
        if (!entry && !is_tmp_name(name))
            continue;
        if (strlen(name) > 40)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
            continue;
        char path[104];
        snprintf(path, sizeof path, "%.56s/%.40s", prefix, name);
        walk_add(w, path, &st, !current ? FILE_FOREIGN : entry ? FILE_ENTRY : FILE_TMP);
    }
    closedir(d);
}

static void walk_version(Walk *w, int dfd, const char *vname)
{
    bool current = strcmp(vname, VERSION_DIR) == 0;
    DIR *vd = open_sub(dfd, vname);
    if (!vd)
        return;
    struct dirent *de;
    while ((de = readdir(vd))) {
        if (!is_hex(de->d_name, 2))
            continue;
        DIR *sd = open_sub(dirfd(vd), de->d_name);
        if (!sd)
            continue;
        struct dirent *ke;
        while ((ke = readdir(sd))) {
            if (!is_hex(ke->d_name, 32))
                continue;
            int kfd = openat(dirfd(sd), ke->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (kfd < 0)
                continue;
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%.20s/%.2s/%.32s", vname, de->d_name, ke->d_name);
            walk_key(w, kfd, prefix, current);
        }
        closedir(sd);
    }
    closedir(vd);
}

static void walk_all(CacheStore *s, Walk *w)
{
    memset(w, 0, sizeof *w);
    DIR *d = open_sub(s->dfd, ".");
    if (!d) {
        w->failed = true;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)))
        if (is_version_name(de->d_name) && strlen(de->d_name) <= 20)
            walk_version(w, s->dfd, de->d_name);
    closedir(d);
}

/* Removes empty key and shard folders, and every version folder but the
 * current one (with its usage file) once empty.  A writer that loses its
 * folder to this creates it again (tmp_create). */
static void prune_folders(CacheStore *s)
{
    DIR *d = open_sub(s->dfd, ".");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_version_name(de->d_name) || strlen(de->d_name) > 20)
            continue;
        bool current = strcmp(de->d_name, VERSION_DIR) == 0;
        DIR *vd = open_sub(s->dfd, de->d_name);
        if (!vd)
            continue;
        struct dirent *se;
        while ((se = readdir(vd))) {
            if (!is_hex(se->d_name, 2))
                continue;
            DIR *sd = open_sub(dirfd(vd), se->d_name);
            if (!sd)
                continue;
            struct dirent *ke;
            while ((ke = readdir(sd)))
                if (is_hex(ke->d_name, 32))
                    unlinkat(dirfd(sd), ke->d_name, AT_REMOVEDIR);
            closedir(sd);
            unlinkat(dirfd(vd), se->d_name, AT_REMOVEDIR);
        }
        closedir(vd);
        if (!current) {
            int vfd = openat(s->dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (vfd >= 0) {
                unlinkat(vfd, USAGE_FILE, 0);
                close(vfd);
            }
            unlinkat(s->dfd, de->d_name, AT_REMOVEDIR);
        }
    }
    closedir(d);
}

int cache_store_info(CacheStore *s, uint64_t *entries, uint64_t *bytes)
{
    Walk w;
    walk_all(s, &w);
    uint64_t e = 0, b = 0;
    for (size_t i = 0; i < w.count; i++) {
        e += w.files[i].kind == FILE_ENTRY;
        b += w.files[i].size;
    }
    bool failed = w.failed;
    mem_free(w.files);
    *entries = e;
    *bytes = b;
    return failed ? -1 : 0;
}

static int walk_file_cmp(const void *x, const void *y)
{
    const WalkFile *a = x, *b = y;
    if (a->mtime_ns != b->mtime_ns)
        return a->mtime_ns < b->mtime_ns ? -1 : 1;   /* least recently used first */
    return strcmp(a->path, b->path);
}

int cache_store_trim(CacheStore *s, uint64_t target, uint64_t *removed)
{
    uint64_t before = cache_store_estimate(s);
    Walk w;
    walk_all(s, &w);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t stale = ((int64_t)now.tv_sec - TMP_STALE) * 1000000000;
    uint64_t total = 0, nremoved = 0;
    size_t keep = 0;
    /* Other formats and dead writers' files go first, whatever the bound. */
    for (size_t i = 0; i < w.count; i++) {
        WalkFile *f = &w.files[i];
        if (f->kind == FILE_FOREIGN || (f->kind == FILE_TMP && f->mtime_ns < stale)) {
            if (unlinkat(s->dfd, f->path, 0) == 0 && f->kind == FILE_FOREIGN)
                nremoved++;
            continue;
        }
        total += f->size;
        w.files[keep++] = *f;
    }
    if (total > target) {
        qsort(w.files, keep, sizeof *w.files, walk_file_cmp);
        for (size_t i = 0; i < keep && total > target; i++) {
            WalkFile *f = &w.files[i];
            if (f->kind != FILE_ENTRY)
                continue;
            if (unlinkat(s->dfd, f->path, 0) == 0 || errno == ENOENT) {
                total -= f->size;
                nremoved++;
            }
        }
    }
    bool failed = w.failed;
    mem_free(w.files);
    prune_folders(s);
    /* What was written during the walk stays counted (maybe twice: safe). */
    __atomic_fetch_add(s->usage, total - before, __ATOMIC_RELAXED);
    if (removed)
        *removed = nremoved;
    return failed ? -1 : 0;
}

int cache_store_clean(CacheStore *s)
{
    Walk w;
    walk_all(s, &w);
    for (size_t i = 0; i < w.count; i++)
        unlinkat(s->dfd, w.files[i].path, 0);
    bool failed = w.failed;
    mem_free(w.files);
    prune_folders(s);
    __atomic_store_n(s->usage, 0, __ATOMIC_RELAXED);
    return failed ? -1 : 0;
}

int cache_store_maybe_trim(CacheStore *s, uint64_t *removed)
{
    if (removed)
        *removed = 0;
    if (cache_store_estimate(s) <= s->max)
        return 0;
    return cache_store_trim(s, s->max - s->max / 10, removed);
}
