/* test_live_memory — a session that runs 10 000 edits does not grow
 * (coordinator/live.c: a replaced result is freed; the run state is rebuilt
 * each run, or, with no_rescan and coord_notify, patched in place: every
 * such run here is a patch run).  The heap in use after run 10 000 must be within a small
 * margin of what it was after run 100, while every run replaced at least
 * one module's result (body edits, interface edits, overlays set and
 * cleared).  The output of the last run is compared with a cold run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/unit/live_fixture.h"
#include "base/pool.h"

#include <malloc.h>

#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
/* malloc's heap and the arena chunks of base/pool.h */
static size_t heap_in_use(void) { return mallinfo2().uordblks + pool_stats().in_use; }
#endif

#define RUNS 10000
#define FILES 4

static void ten_thousand_runs(bool patch)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/coord_livemem_XXXXXX");
    assert_non_null(mkdtemp(dir));
    LiveMod mods[FILES];
    for (int i = 0; i < FILES; i++) {
        mods[i] = (LiveMod){ .exists = true, .body = i, .back = -1 };
        live_write(dir, &mods[i], i);
    }
    CoordSession *s = coord_session_create(&(CoordOptions){ .jobs = 1, .no_rescan = patch });
    assert_int_equal(coord_add_root(s, dir), 0);
    size_t at_100 = 0;
    uint64_t rechecked = 0;
    char path[512], text[1024];
    for (int run = 1; run <= RUNS; run++) {
        int i = run % FILES;
        if (run % 7 == 0) {             /* an overlay, cleared next time */
            live_path(path, sizeof path, dir, i);
            LiveMod o = mods[i];
            o.body += 1000;
            live_text(&o, i, text, sizeof text);
            assert_int_equal(coord_set_source(s, path, text, strlen(text)), 0);
        } else if (run % 7 == 1) {
            live_path(path, sizeof path, dir, (run - 1) % FILES);
            assert_int_equal(coord_clear_source(s, path), 0);
        } else {
            mods[i].body++;
            if (run % 10 == 0)
                mods[i].str = !mods[i].str;     /* an interface edit */
            live_write(dir, &mods[i], i);
            if (patch) {
                live_path(path, sizeof path, dir, i);
                assert_int_equal(coord_notify(s, path), 0);
            }
        }
        assert_true(coord_run(s) <= COORD_EXIT_ERRORS);
        CoordStats st;
        assert_true(coord_stats(s, &st));
        assert_int_equal(st.run, (uint64_t)run);
        if (patch && run > 1 && !st.session_patched)
            fail_msg("run %d was not a patch run", run);
        rechecked += st.rechecked;
        if (run == 100)
            at_100 = heap_in_use();
    }
    size_t at_end = heap_in_use();
    printf("%s: heap after run 100: %zu bytes, after run %d: %zu\n",
           patch ? "no_rescan, patch runs" : "re-scan", at_100, RUNS, at_end);
    assert_true(rechecked >= RUNS);     /* every run replaced a result */
    if (at_end > at_100 + 256 * 1024)
        fail_msg("the heap grew from %zu bytes after run 100 to %zu after run %d", at_100,
                 at_end, RUNS);
    char *got = live_output(s, coord_exit_status(s), NULL, NULL);
    coord_session_destroy(s);
    /* the last overlay was cleared by run RUNS (RUNS % 7 == 4): the files
     * are what a cold run sees */
    char *cold = live_cold(dir, 1, dir);
    assert_string_equal(got, cold);
    free(got);
    free(cold);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_ten_thousand_runs(void **state) { ten_thousand_runs(false); }
static void test_ten_thousand_patches(void **state) { ten_thousand_runs(true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_thousand_runs),
        cmocka_unit_test(test_ten_thousand_patches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
