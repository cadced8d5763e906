/* manifest — the format and the trust rule are described at the top of
 * workers/manifest.h, which owns them.
 *
 * Invariants kept here:
 * - A manifest is mapped once and never modified; a new one replaces it by
 *   rename, so a mapping stays valid.
 * - Records are sorted by (path hash, path) when written; a lookup is a
 *   search on the hash from where a uniform hash would sit (base/search.h),
 *   then compares the path's bytes, so a record is only ever used for its
 *   own path (a forged order only loses hits).
 */
#include "workers/manifest.h"

#include "base/hash.h"
#include "base/mem.h"
#include "base/search.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char manifest_magic[8] = { 'c', 'o', 'o', 'r', 'd', 'm', 'f', '\0' };

typedef struct MHeader {
    char magic[8];
    uint32_t version;
    uint32_t zero;
    uint64_t count;
    uint64_t strings_len;
    uint64_t reserved[3];
    uint64_t checksum;
} MHeader;

typedef struct MRec {
    uint64_t path_hash, size;
    int64_t mtime_ns, ctime_ns;
    uint64_t ino, dev, key_hi, key_lo;
    uint32_t path_off, path_len, src_len, lines;
} MRec;

_Static_assert(sizeof(MHeader) == 64 && sizeof(MRec) == 80, "manifest layout");

struct Manifest {
    void *map;
    size_t size;
    int64_t mtime_ns;               /* the manifest's own write time */
    const MRec *recs;
    uint64_t count;
    const char *strings;
};

static uint64_t tmp_seq;            /* temporary file names of this process (atomic) */

ManifestStat manifest_stat_of(const struct stat *st)
{
    ManifestStat m;
    m.size = (uint64_t)st->st_size;
    m.ino = (uint64_t)st->st_ino;
    m.dev = (uint64_t)st->st_dev;
    m.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    m.ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
    return m;
}

bool manifest_racy(const ManifestStat *st, int64_t read_ns)
{
    int64_t latest = st->mtime_ns > st->ctime_ns ? st->mtime_ns : st->ctime_ns;
    return latest > read_ns - MANIFEST_RACY_NS;
}

uint64_t manifest_shape(const char *cwd)
{
    return hash_bytes(cwd, strlen(cwd) + 1);
}

uint64_t manifest_shape_add(uint64_t shape, char kind, const char *arg)
{
    shape = hash_bytes_seed(&kind, 1, shape);
    return hash_bytes_seed(arg, strlen(arg) + 1, shape);
}

static void shape_name(char *out, uint64_t shape)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = 'm';
    out[1] = '-';
    for (int i = 17; i >= 2; i--, shape >>= 4)
        out[i] = hex[shape & 15];
    out[18] = '\0';
}

static uint64_t checksum_of(const MHeader *h, const void *recs, const void *strings)
{
    uint64_t c = hash_bytes(h, offsetof(MHeader, checksum));
    c = hash_bytes_seed(recs, (size_t)h->count * sizeof(MRec), c);
    return hash_bytes_seed(strings, (size_t)h->strings_len, c);
}

Manifest *manifest_open(int vfd, uint64_t shape)
{
    char name[20];
    shape_name(name, shape);
    int fd = openat(vfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(MHeader) &&
        (uint64_t)st.st_size <= SIZE_MAX)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return NULL;
    size_t size = (size_t)st.st_size;
    const MHeader *h = map;
    bool ok = memcmp(h->magic, manifest_magic, sizeof manifest_magic) == 0 &&
              h->version == MANIFEST_VERSION && h->zero == 0 &&
              (h->reserved[0] | h->reserved[1] | h->reserved[2]) == 0 &&
              h->count <= (size - sizeof *h) / sizeof(MRec) &&
              h->strings_len == size - sizeof *h - h->count * sizeof(MRec);
    const MRec *recs = (const MRec *)((const char *)map + sizeof *h);
    const char *strings = (const char *)(recs + (ok ? h->count : 0));
    ok = ok && checksum_of(h, recs, strings) == h->checksum;
    for (uint64_t i = 0; ok && i < h->count; i++)
        ok = recs[i].path_off <= h->strings_len && recs[i].path_len <= h->strings_len - recs[i].path_off;
    Manifest *m = ok ? mem_calloc(1, sizeof *m) : NULL;
    if (!m) {
        munmap(map, size);
        return NULL;
    }
    m->map = map;
    m->size = size;
    m->mtime_ns = manifest_stat_of(&st).mtime_ns;
    m->recs = recs;
    m->count = h->count;
    m->strings = strings;
    return m;
}

void manifest_close(Manifest *m)
{
    if (!m)
        return;
    munmap(m->map, m->size);
    mem_free(m);
}

uint64_t manifest_count(const Manifest *m)
{
    return m ? m->count : 0;
}

static uint64_t path_hash(const char *path, size_t len)
{
    return hash_bytes(path, len);
}

typedef struct HashBelow {
    const MRec *recs;
    uint64_t hash;
} HashBelow;

static bool hash_below(const void *ctx, uint64_t i)
{
    const HashBelow *b = ctx;
    return b->recs[i].path_hash < b->hash;
}

bool manifest_lookup(const Manifest *m, const char *path, const struct stat *st, ManifestRec *out)
{
    if (!m || !S_ISREG(st->st_mode))
        return false;
    size_t len = strlen(path);
    uint64_t h = path_hash(path, len);
    HashBelow below = { m->recs, h };
    uint64_t lo = search_from(m->count, search_guess(h, m->count), hash_below, &below);
    ManifestStat now = manifest_stat_of(st);
    for (; lo < m->count && m->recs[lo].path_hash == h; lo++) {
        const MRec *r = &m->recs[lo];
        if (r->path_len != len || memcmp(m->strings + r->path_off, path, len) != 0)
            continue;
        if (r->size != now.size || r->mtime_ns != now.mtime_ns || r->ctime_ns != now.ctime_ns ||
            r->ino != now.ino || r->dev != now.dev || now.mtime_ns >= m->mtime_ns)
            return false;
        out->path = path;
        out->st = now;
        out->key = (CacheKey){ r->key_hi, r->key_lo };
        out->src_len = r->src_len;
        out->lines = r->lines;
        return true;
    }
    return false;
}

typedef struct Sorted {
    uint64_t hash;
    size_t len;
    ManifestRec *rec;
} Sorted;

static int sorted_cmp(const void *x, const void *y)
{
    const Sorted *a = x, *b = y;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return strcmp(a->rec->path, b->rec->path);
}

int manifest_write(int vfd, uint64_t shape, ManifestRec *in, uint64_t n)
{
    Sorted *order = mem_alloc((size_t)(n + 1) * sizeof *order);
    MRec *recs = mem_alloc((size_t)(n + 1) * sizeof *recs);
    uint64_t strings_len = 0;
    for (uint64_t i = 0; order && i < n; i++) {
        order[i].len = strlen(in[i].path);
        order[i].hash = path_hash(in[i].path, order[i].len);
        order[i].rec = &in[i];
        strings_len += order[i].len;
    }
    char *strings = mem_alloc((size_t)strings_len + 1);
    int rc = -1;
    if (!order || !recs || !strings || strings_len > UINT32_MAX)
        goto out;
    qsort(order, (size_t)n, sizeof *order, sorted_cmp);
    uint64_t off = 0;
    for (uint64_t i = 0; i < n; i++) {
        const ManifestRec *r = order[i].rec;
        memcpy(strings + off, r->path, order[i].len);
        recs[i] = (MRec){ order[i].hash, r->st.size, r->st.mtime_ns, r->st.ctime_ns, r->st.ino,
                          r->st.dev, r->key.hi, r->key.lo, (uint32_t)off, (uint32_t)order[i].len,
                          r->src_len, r->lines };
        off += order[i].len;
    }
    MHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, manifest_magic, sizeof manifest_magic);
    h.version = MANIFEST_VERSION;
    h.count = n;
    h.strings_len = strings_len;
    h.checksum = checksum_of(&h, recs, strings);
    char tmp[64], name[20];
    snprintf(tmp, sizeof tmp, ".tmp-%ld-m%llu", (long)getpid(),
             (unsigned long long)__atomic_fetch_add(&tmp_seq, 1, __ATOMIC_RELAXED));
    shape_name(name, shape);
    int fd = openat(vfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        goto out;
    struct iovec iov[3] = {
        { &h, sizeof h },
        { recs, (size_t)n * sizeof *recs },
        { strings, (size_t)strings_len },
    };
    size_t total = sizeof h + (size_t)n * sizeof *recs + (size_t)strings_len;
    ssize_t w = pwritev(fd, iov, 3, 0);
    /* a short write of a small file: give up (the next run writes again) */
    bool ok = w >= 0 && (size_t)w == total;
    if (close(fd) != 0)
        ok = false;
    if (ok && renameat(vfd, tmp, vfd, name) == 0)
        rc = 0;
    else
        unlinkat(vfd, tmp, 0);
out:
    mem_free(order);
    mem_free(recs);
    mem_free(strings);
    return rc;
}
