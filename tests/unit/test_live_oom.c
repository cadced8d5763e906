/* test_live_oom — allocation failure walk over a repeated run: for every N,
 * the Nth allocation of a session's second coord_run fails (wherever it
 * falls: absorbing the first run's results, rediscovery, the coordinator,
 * a task, the session tier's tables); the run ends with exit status 3 or
 * with its correct answer, and a third run over the same files prints
 * exactly what a cold run prints.  ASan also checks that nothing leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/unit/live_fixture.h"

#include "base/mem.h"

#define FILES 6

/* patch: the session has no_rescan, the second run's changes are body and
 * interface edits told by coord_notify and an overlay (a patch run:
 * coordinator/live.c, live_patch); else files are created and deleted too
 * (a full replay). */
static void failure_in_second_run(bool patch)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/coord_liveoom_XXXXXX");
    assert_non_null(mkdtemp(dir));
    uint64_t n;
    for (n = 1; n < 100000; n++) {
        LiveMod mods[FILES];
        for (int i = 0; i < FILES; i++) {
            mods[i] = (LiveMod){ .exists = i < FILES - 1, .body = i, .back = -1 };
            live_write(dir, &mods[i], i);
        }
        CoordSession *s = coord_session_create(&(CoordOptions){ .jobs = 1, .no_rescan = patch });
        assert_non_null(s);
        assert_int_equal(coord_add_root(s, dir), 0);
        assert_int_equal(coord_run(s), COORD_EXIT_OK);
        /* a body edit, an interface edit (its importers fail), a file
         * created, one deleted */
        mods[1].body += 10;
        mods[2].str = true;
        char path[512], text[1024];
        if (patch) {
            LiveMod o = mods[4];
            o.body += 100;
            live_text(&o, 4, text, sizeof text);
            live_path(path, sizeof path, dir, 4);
            assert_int_equal(coord_set_source(s, path, text, strlen(text)), 0);
        } else {
            mods[FILES - 1].exists = true;
            mods[3].exists = false;
        }
        for (int i = 1; i < FILES; i++) {
            live_write(dir, &mods[i], i);
            live_path(path, sizeof path, dir, i);
            if (patch && (i == 1 || i == 2))
                assert_int_equal(coord_notify(s, path), 0);
        }
        mem_fail_at(n);
        int second = coord_run(s);
        bool hit = mem_failpoint_hit();
        mem_fail_at(0);
        CoordStats st;
        assert_true(coord_stats(s, &st));
        if (patch && !hit && !st.session_patched)
            fail_msg("the second run was not a patch run");
        if (patch) {        /* the cold run sees the overlay as the file */
            live_path(path, sizeof path, dir, 4);
            assert_int_equal(coord_clear_source(s, path), 0);
        }
        if (second != COORD_EXIT_ERRORS && second != COORD_EXIT_INTERNAL &&
            (!patch || second != COORD_EXIT_OK))     /* (patch: no importer errs) */
            fail_msg("failing allocation %llu: the second run gave %d", (unsigned long long)n, second);
        int third = coord_run(s);
        char *got = live_output(s, third, NULL, NULL);
        char *cold = live_cold(dir, 1, dir);
        if (strcmp(got, cold) != 0)
            fail_msg("failing allocation %llu of the second run: the third differs:\n%s\n---\n%s",
                     (unsigned long long)n, cold, got);
        free(got);
        free(cold);
        coord_session_destroy(s);
        if (!hit)
            break;
    }
    printf("allocations of the second run (%s) walked: %llu\n",
           patch ? "a patch run" : "a full replay", (unsigned long long)(n - 1));
    assert_true(n > (patch ? 10u : 20u));   /* a patch run allocates little */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_failure_in_second_run(void **state) { failure_in_second_run(false); }
static void test_failure_in_patch_run(void **state) { failure_in_second_run(true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_in_second_run),
        cmocka_unit_test(test_failure_in_patch_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
