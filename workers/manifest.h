/* manifest — stat data of the sources a run hashed, so that the next run of
 * the same shape decides "unchanged" with one stat per file, without
 * reading or hashing it (issue 12; DESIGN.md section 7's keys stay the
 * source bytes: the manifest only remembers which bytes a file held).
 *
 * A manifest belongs to a run's shape (the working directory, the roots and
 * the -I directories, hashed: manifest_shape) and lives in the cache's
 * version folder as DIR/v2/m-<16 hex shape>.  It is written at the end of a
 * run that read any source (one pwritev into a .tmp- file, one rename) and
 * holds one record per source that run hashed:
 *
 *     0    header (64): magic "coordmf\0", u32 version, u32 0, u64 count,
 *          u64 strings length, 0 x3, u64 checksum
 *     64   records [count], 80 bytes each: path hash, size, mtime ns,
 *          ctime ns, inode, device, key hi, key lo, u32 path offset,
 *          u32 path length, u32 source length (after a byte-order mark),
 *          u32 lines
 *     ...  the paths' bytes
 *
 * checksum: xxh3-64 of the header's first 56 bytes, chained through the
 * records and the paths.  A manifest that fails its check is ignored (and
 * rewritten by the run): it only ever saves reads.
 *
 * The trust rule (manifest_lookup): a record stands for the file when the
 * path is the same string, the file is regular and its size, mtime, ctime
 * (nanoseconds), inode and device are the recorded ones, and — git's
 * racy-clean rule — its mtime is older than the manifest's own mtime (the
 * manifest was written after every read it records, so a file modified in
 * the same timestamp tick as the manifest's write is read again).  And a
 * record is only written for a file whose mtime and ctime were at least
 * MANIFEST_RACY_NS older than the moment the run read it (manifest_racy):
 * a same-size edit in the same tick as an earlier one, after the read, leaves
 * size and times unchanged, and only the read's distance from the file's
 * times tells it apart.  Such a file is simply read again by the next run.
 *
 * Threads: a Manifest is read-only after manifest_open; lookups may run on
 * several threads at once.  Allocation goes through base/mem.h; running out
 * means no manifest (every source is read), never a crash.
 */
#ifndef COORD_WORKERS_MANIFEST_H
#define COORD_WORKERS_MANIFEST_H

#include "workers/cache_store.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define MANIFEST_VERSION 1u
#define MANIFEST_RACY_NS 2000000000ll      /* 2 s: covers 1-s timestamp file systems */

typedef struct Manifest Manifest;

/* What a run recorded of one source. */
typedef struct ManifestStat {
    uint64_t size, ino, dev;
    int64_t mtime_ns, ctime_ns;
} ManifestStat;

typedef struct ManifestRec {
    const char *path;
    ManifestStat st;
    CacheKey key;
    uint32_t src_len, lines;
} ManifestRec;

ManifestStat manifest_stat_of(const struct stat *st);
/* True when a file with these times, read at read_ns (CLOCK_REALTIME), must
 * not be recorded (its times are too close to the read, or in the future). */
bool manifest_racy(const ManifestStat *st, int64_t read_ns);

/* The shape of a run: manifest_shape of the working directory, then
 * manifest_shape_add of each root and -I argument in order (kind tells them
 * apart: 'R' a walked root, 'F' a file, 'I' a search directory). */
uint64_t manifest_shape(const char *cwd);
uint64_t manifest_shape_add(uint64_t shape, char kind, const char *arg);

/* The manifest of `shape` in the version folder vfd, or NULL (none, not
 * valid, or out of memory). */
Manifest *manifest_open(int vfd, uint64_t shape);
void manifest_close(Manifest *m);                        /* NULL is fine */
uint64_t manifest_count(const Manifest *m);              /* 0 for NULL */
/* When path's record stands for a file with stat data st (the rule above),
 * its key, source length and lines; else false.  m may be NULL. */
bool manifest_lookup(const Manifest *m, const char *path, const struct stat *st, ManifestRec *out);
/* Writes the manifest of `shape` from recs[0..n) (reordered) and publishes
 * it; 0, or -1 (the old one, if any, stays). */
int manifest_write(int vfd, uint64_t shape, ManifestRec *recs, uint64_t n);

#endif
