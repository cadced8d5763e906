/* Golden typecheck cases: tests/check/NAME.kite (one module) or
 * tests/check/NAME/ (a directory of modules), each with NAME.out = the
 * diagnostics followed by the emit-types lines (see harness.h).
 * COORD_UPDATE_GOLDEN=1 rewrites the .out files (review them by eye). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/harness.h"
#include "tests/unit/golden.h"

#define GOLDEN_DIR "tests/check"

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void **state)
{
    DIR *d = opendir(GOLDEN_DIR);
    assert_non_null(d);
    char *names[512];
    uint32_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || (l > 4 && strcmp(e->d_name + l - 4, ".out") == 0))
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_str);
    bool update = golden_update_requested();
    uint32_t failed = 0;
    for (uint32_t i = 0; i < n; i++) {
        char in[1024], outp[1024];
        snprintf(in, sizeof in, GOLDEN_DIR "/%s", names[i]);
        size_t l = strlen(names[i]);
        int stem = (int)(l > 5 && strcmp(names[i] + l - 5, ".kite") == 0 ? l - 5 : l);
        snprintf(outp, sizeof outp, GOLDEN_DIR "/%.*s.out", stem, names[i]);
        Harness h;
        harness_load(&h, in);
        harness_run(&h);
        char *got = harness_output(&h);
        harness_free(&h);
        failed += (uint32_t)golden_compare(in, outp, got, strlen(got), update);
        free(got);
        free(names[i]);
    }
    assert_true(n > 0);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
