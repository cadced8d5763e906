/* Golden typecheck cases: tests/check/NAME.kite (one module) or
 * tests/check/NAME/ (a directory of modules), each with NAME.out = the
 * diagnostics followed by the emit-types lines.  One module runs its three
 * phases alone (harness.h); a directory runs through the real coordinator
 * (coord_run with the scripted runner at -j1: one task at a time, on this
 * thread), so its reports include the coordinator's own (E040x) and follow
 * its rules for import cycles.
 * COORD_UPDATE_GOLDEN=1 rewrites the .out files (review them by eye). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coordinator/actor.h"
#include "tests/unit/harness.h"
#include "tests/unit/golden.h"
#include "tests/unit/session_output.h"

#define GOLDEN_DIR "tests/check"

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reports (text, no colour) then `Module.value : type` lines, as harness_output
 * prints them; malloc'd. */
static char *run_coordinator(const char *dir)
{
    CoordOptions opts = { .jobs = 1 };
    CoordSession *s = coord_session_create(&opts);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, dir), 0);
    Runner *r = runner_scripted_create(1, 1);
    assert_non_null(r);
    int status = coord_run_with_runner(s, r);
    runner_destroy(r);
    assert_true(status == COORD_EXIT_OK || status == COORD_EXIT_ERRORS);
    char *buf = session_output(s, COORD_FORMAT_TEXT);
    coord_session_destroy(s);
    return buf;
}

static char *run_alone(const char *path)
{
    Harness h;
    harness_load(&h, path);
    harness_run(&h);
    char *got = harness_output(&h);
    harness_free(&h);
    return got;
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
        struct stat st;
        assert_int_equal(stat(in, &st), 0);
        char *got = S_ISDIR(st.st_mode) ? run_coordinator(in) : run_alone(in);
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
