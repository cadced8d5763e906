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

static void test_failure_in_second_run(void **state)
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
        CoordSession *s = coord_session_create(&(CoordOptions){ .jobs = 1 });
        assert_non_null(s);
        assert_int_equal(coord_add_root(s, dir), 0);
        assert_int_equal(coord_run(s), COORD_EXIT_OK);
        /* a body edit, an interface edit (its importers fail), a file
         * created, one deleted */
        mods[1].body += 10;
        mods[2].str = true;
        mods[FILES - 1].exists = true;
        mods[3].exists = false;
        for (int i = 1; i < FILES; i++)
            live_write(dir, &mods[i], i);
        mem_fail_at(n);
        int second = coord_run(s);
        bool hit = mem_failpoint_hit();
        mem_fail_at(0);
        assert_true(second == COORD_EXIT_ERRORS || second == COORD_EXIT_INTERNAL);
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
    printf("allocations of the second run walked: %llu\n", (unsigned long long)(n - 1));
    assert_true(n > 20);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_in_second_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
