/* test_manifest — the stat manifest (workers/manifest.h): a round trip, the
 * trust rule field by field (path, size, mtime, ctime, inode, device, not a
 * regular file), git's racy-clean rule against the manifest's own mtime, the
 * record-time rule (manifest_racy), shapes, a damaged manifest (every
 * truncation, bit flips: never a record that was not written), and every
 * allocation failing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "workers/manifest.h"
#include "tests/unit/cache_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEC 1000000000ll

typedef struct MFix {
    char dir[256];
    int vfd;
    char path[320];             /* the manifest of shape 7 */
} MFix;

static MFix *mfix_new(const char *tag)
{
    MFix *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/coord_manifest_%s_%ld", tag, (long)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", f->dir, f->dir);
    assert_int_equal(system(cmd), 0);
    f->vfd = open(f->dir, O_RDONLY | O_DIRECTORY);
    assert_true(f->vfd >= 0);
    snprintf(f->path, sizeof f->path, "%s/m-0000000000000007", f->dir);
    return f;
}

static void mfix_free(MFix *f)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    close(f->vfd);
    free(f);
}

/* Stat data as a file would have them: regular, times at `t` seconds. */
static struct stat file_st(uint64_t size, int64_t t, uint64_t ino)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_mode = S_IFREG | 0644;
    st.st_size = (off_t)size;
    st.st_mtim.tv_sec = (time_t)t;
    st.st_mtim.tv_nsec = 123;
    st.st_ctim.tv_sec = (time_t)t;
    st.st_ctim.tv_nsec = 456;
    st.st_ino = (ino_t)ino;
    st.st_dev = 9;
    return st;
}

static void set_mtime(const char *path, int64_t t)
{
    struct timespec ts[2] = { { (time_t)t, 0 }, { (time_t)t, 0 } };
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Writes records for paths a/0 .. a/<n-1> (file i: size 100 + i, times
 * t0, inode 1000 + i, key {i, ~i}); the manifest's mtime is then set to
 * t_manifest. */
static void write_n(MFix *f, uint64_t n, int64_t t0, int64_t t_manifest)
{
    ManifestRec *r = calloc(n + 1, sizeof *r);
    char (*names)[32] = calloc(n + 1, sizeof *names);
    for (uint64_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "a/%llu.kite", (unsigned long long)i);
        struct stat st = file_st(100 + i, t0, 1000 + i);
        r[i] = (ManifestRec){ names[i], manifest_stat_of(&st), { i, ~i }, (uint32_t)(90 + i), (uint32_t)i };
    }
    assert_int_equal(manifest_write(f->vfd, 7, r, n), 0);
    set_mtime(f->path, t_manifest);
    free(r);
    free(names);
}

static void test_round_trip_and_rule(void **state)
{
    MFix *f = mfix_new("rule");
    int64_t t0 = 1700000000;
    assert_null(manifest_open(f->vfd, 7));          /* none yet */
    write_n(f, 50, t0, t0 + 10);
    assert_null(manifest_open(f->vfd, 8));          /* another shape */
    Manifest *m = manifest_open(f->vfd, 7);
    assert_non_null(m);
    assert_int_equal(manifest_count(m), 50);
    ManifestRec out;
    for (uint64_t i = 0; i < 50; i++) {
        char p[32];
        snprintf(p, sizeof p, "a/%llu.kite", (unsigned long long)i);
        struct stat st = file_st(100 + i, t0, 1000 + i);
        assert_true(manifest_lookup(m, p, &st, &out));
        assert_int_equal(out.key.hi, i);
        assert_int_equal(out.key.lo, ~i);
        assert_int_equal(out.src_len, 90 + i);
        assert_int_equal(out.lines, i);
    }
    struct stat good = file_st(103, t0, 1003), st;
    assert_false(manifest_lookup(m, "a/3.kit", &good, &out));        /* another path */
    assert_false(manifest_lookup(m, "a/3.kite2", &good, &out));
    assert_false(manifest_lookup(m, "a/99.kite", &good, &out));
    st = good; st.st_size++;
    assert_false(manifest_lookup(m, "a/3.kite", &st, &out));         /* size */
    st = good; st.st_mtim.tv_nsec++;
    assert_false(manifest_lookup(m, "a/3.kite", &st, &out));         /* mtime, 1 ns */
    st = good; st.st_ctim.tv_nsec++;
    assert_false(manifest_lookup(m, "a/3.kite", &st, &out));         /* ctime, 1 ns */
    st = good; st.st_ino++;
    assert_false(manifest_lookup(m, "a/3.kite", &st, &out));         /* inode */
    st = good; st.st_dev++;
    assert_false(manifest_lookup(m, "a/3.kite", &st, &out));         /* device */
    st = good; st.st_mode = S_IFDIR | 0755;
    assert_false(manifest_lookup(m, "a/3.kite", &st, &out));         /* not a file */
    assert_true(manifest_lookup(m, "a/3.kite", &good, &out));
    assert_false(manifest_lookup(NULL, "a/3.kite", &good, &out));
    manifest_close(m);
    manifest_close(NULL);

    /* git's rule: a file whose mtime is not older than the manifest's own
     * is read again, even when every field matches. */
    write_n(f, 50, t0, t0);                 /* written in the same second */
    m = manifest_open(f->vfd, 7);
    assert_non_null(m);
    assert_false(manifest_lookup(m, "a/3.kite", &good, &out));
    manifest_close(m);
    write_n(f, 50, t0, t0 - 5);             /* older than the file */
    m = manifest_open(f->vfd, 7);
    assert_false(manifest_lookup(m, "a/3.kite", &good, &out));
    manifest_close(m);
    write_n(f, 50, t0, t0 + 1);             /* one second later: trusted */
    m = manifest_open(f->vfd, 7);
    assert_true(manifest_lookup(m, "a/3.kite", &good, &out));
    manifest_close(m);
    /* An empty manifest is valid and holds nothing. */
    write_n(f, 0, t0, t0 + 1);
    m = manifest_open(f->vfd, 7);
    assert_non_null(m);
    assert_int_equal(manifest_count(m), 0);
    assert_false(manifest_lookup(m, "a/3.kite", &good, &out));
    manifest_close(m);
    mfix_free(f);
}

/* The record-time rule: times within MANIFEST_RACY_NS of the read, or after
 * it, are not recorded. */
static void test_racy(void **state)
{
    int64_t now = 1700000000 * SEC;
    ManifestStat st = { 1, 2, 3, now - 10 * SEC, now - 10 * SEC };
    assert_false(manifest_racy(&st, now));
    st.mtime_ns = now - MANIFEST_RACY_NS;
    assert_false(manifest_racy(&st, now));
    st.mtime_ns = now - MANIFEST_RACY_NS + 1;
    assert_true(manifest_racy(&st, now));
    st.mtime_ns = now - 10 * SEC;
    st.ctime_ns = now - 1;                   /* a touch -d that kept an old mtime */
    assert_true(manifest_racy(&st, now));
    st.ctime_ns = now + SEC;                 /* in the future */
    assert_true(manifest_racy(&st, now));
    /* Shapes tell the directory, the arguments and their kinds apart. */
    uint64_t a = manifest_shape_add(manifest_shape("/w"), 'R', "src");
    assert_true(a != manifest_shape_add(manifest_shape("/x"), 'R', "src"));
    assert_true(a != manifest_shape_add(manifest_shape("/w"), 'I', "src"));
    assert_true(a != manifest_shape_add(manifest_shape("/w"), 'R', "sr"));
    assert_true(manifest_shape_add(a, 'I', "lib") != manifest_shape_add(manifest_shape_add(manifest_shape("/w"), 'I', "lib"), 'R', "src"));
    assert_int_equal(a, manifest_shape_add(manifest_shape("/w"), 'R', "src"));
}

static void put_all(const char *path, const void *p, size_t len, int64_t mtime)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, len, fp), len);
    fclose(fp);
    set_mtime(path, mtime);
}

/* Every truncation and every bit flip: no manifest (the run reads). */
static void test_damaged(void **state)
{
    MFix *f = mfix_new("damage");
    int64_t t0 = 1700000000;
    write_n(f, 3, t0, t0 + 10);
    size_t len;
    unsigned char *good = fix_read(f->path, &len);
    for (size_t n = 0; n < len; n++) {
        put_all(f->path, good, n, t0 + 10);
        Manifest *m = manifest_open(f->vfd, 7);
        if (m)
            fail_msg("a manifest truncated to %zu bytes was accepted", n);
    }
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            good[i] ^= (unsigned char)(1u << bit);
            put_all(f->path, good, len, t0 + 10);
            good[i] ^= (unsigned char)(1u << bit);
            Manifest *m = manifest_open(f->vfd, 7);
            if (m)
                fail_msg("flip of bit %d at %zu was accepted", bit, i);
        }
    }
    put_all(f->path, good, len, t0 + 10);
    Manifest *m = manifest_open(f->vfd, 7);
    assert_non_null(m);
    manifest_close(m);
    /* A directory or a symlink where it should be. */
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(mkdir(f->path, 0777), 0);
    assert_null(manifest_open(f->vfd, 7));
    assert_int_equal(rmdir(f->path), 0);
    assert_int_equal(symlink("/etc/passwd", f->path), 0);
    assert_null(manifest_open(f->vfd, 7));
    free(good);
    mfix_free(f);
}

static void test_allocation_failures(void **state)
{
    MFix *f = mfix_new("oom");
    int64_t t0 = 1700000000;
    int fired = 1;
    for (uint64_t n = 1; fired; n++) {
        ManifestRec r[2];
        struct stat st = file_st(5, t0, 77);
        r[0] = (ManifestRec){ "x.kite", manifest_stat_of(&st), { 1, 2 }, 5, 1 };
        r[1] = (ManifestRec){ "y.kite", manifest_stat_of(&st), { 3, 4 }, 5, 1 };
        unlink(f->path);
        mem_fail_at(n);
        int rc = manifest_write(f->vfd, 7, r, 2);
        Manifest *m = rc == 0 ? (set_mtime(f->path, t0 + 10), manifest_open(f->vfd, 7)) : NULL;
        fired = mem_failpoint_hit();
        mem_fail_at(0);
        if (rc == 0 && !fired)
            assert_non_null(m);
        if (m) {
            ManifestRec out;
            assert_true(manifest_lookup(m, "y.kite", &st, &out));
            assert_int_equal(out.key.hi, 3);
        }
        manifest_close(m);
    }
    mfix_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_rule),
        cmocka_unit_test(test_racy),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
