/* golden.h — expected-output files for the golden test runners (header-only:
 * each test is its own program; include after cmocka.h).
 *
 *   bool update = golden_update_requested();      // COORD_UPDATE_GOLDEN=1
 *   bad += golden_compare("diagnostics", "tests/x/a.err", text, len, update);
 *
 * golden_compare reports a mismatch with both texts on standard error, or,
 * when updating, rewrites the expected file (for review before committing).
 */
#ifndef COORD_TESTS_GOLDEN_H
#define COORD_TESTS_GOLDEN_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool golden_update_requested(void)
{
    const char *u = getenv("COORD_UPDATE_GOLDEN");
    return u && strcmp(u, "1") == 0;
}

/* The whole file, NUL-terminated (malloc'd), its length in *len if len is
 * not NULL; NULL (and length 0) when it cannot be read. */
static inline char *golden_read(const char *path, size_t *len)
{
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* 1 when `actual` differs from the expected file at `path` (and no update
 * was asked for), else 0.  `what` names the output in the message. */
static inline int golden_compare(const char *what, const char *path, const char *actual,
                                 size_t alen, bool update)
{
    size_t elen = 0;
    char *expected = golden_read(path, &elen);
    int bad = 0;
    if (!expected || elen != alen || memcmp(expected, actual, alen) != 0) {
        if (update) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(actual, 1, alen, f), alen);
            fclose(f);
            fprintf(stderr, "golden: updated %s\n", path);
        } else {
            fprintf(stderr, "golden mismatch (%s): %s\n--- expected\n%s--- actual\n%s--- end\n",
                    what, path, expected ? expected : "(missing file)\n", actual);
            bad = 1;
        }
    }
    free(expected);
    return bad;
}

#endif
