/* test_live_mt — live sessions (coord_run again and again on one session,
 * coord_set_source, coord_clear_source, coord_notify; DESIGN.md section 7,
 * coordinator/live.c) against the oracle: after every step of a seeded edit
 * sequence, four live sessions (-j1 re-scanning, -j2 with no_rescan and
 * coord_notify, the same with a result cache, and the same again opened
 * after the first step on that cache: its modules start unread, keyed by
 * the stat manifest) print exactly what cold sessions at -j1 and -j2 print over
 * a copy of the same files with the overlays written out.  Steps: body
 * edits (then exactly one module is checked again), interface edits, type
 * and syntax errors injected and fixed, files created and deleted, import
 * cycles made and broken, overlays set (also for files not on disk) and
 * cleared, and runs with no change at all (then nothing is checked again;
 * with no_rescan not even a task runs).  Runs under `make tsan` too (the
 * name ends in _mt).
 * test_racy_rewrite can only fail on a file system whose timestamps are as
 * coarse as the kernel tick (without multigrain timestamps).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <unistd.h>

#include "tests/unit/live_fixture.h"

#include <time.h>

#define STEPS 520

static char dir_live[64], dir_cold[64], dir_cache[64];
static LiveMod mods[LIVE_N], overlay[LIVE_N];
static bool has_overlay[LIVE_N];
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rng(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void set_overlay(CoordSession *s, int i)
{
    char path[512], text[1024];
    live_path(path, sizeof path, dir_live, i);
    live_text(&overlay[i], i, text, sizeof text);
    assert_int_equal(coord_set_source(s, path, text, strlen(text)), 0);
}

static void notify(CoordSession *s, int i)
{
    char path[512];
    live_path(path, sizeof path, dir_live, i);
    assert_int_equal(coord_notify(s, path), 0);
}

/* The files as the cold sessions see them: overlays written out. */
static void materialize(void)
{
    for (int i = 0; i < LIVE_N; i++) {
        LiveMod m = has_overlay[i] ? overlay[i] : mods[i];
        if (has_overlay[i])
            m.exists = true;
        live_write(dir_cold, &m, i);
    }
}

static bool any_syntax_error(void)
{
    for (int i = 0; i < LIVE_N; i++) {
        const LiveMod *m = has_overlay[i] ? &overlay[i] : &mods[i];
        if ((has_overlay[i] || m->exists) && m->syntax_error)
            return true;
    }
    return false;
}

static void compare(CoordSession *s, int status, const char *cold, const char *what, int step)
{
    char *got = live_output(s, status, NULL, NULL);
    if (strcmp(got, cold) != 0)
        fail_msg("step %d: %s differs from the cold run:\n--- cold\n%s\n--- live\n%s", step, what,
                 cold, got);
    free(got);
}

static void test_edit_sequence(void **state)
{
    snprintf(dir_live, sizeof dir_live, "/tmp/coord_live_XXXXXX");
    snprintf(dir_cold, sizeof dir_cold, "/tmp/coord_cold_XXXXXX");
    snprintf(dir_cache, sizeof dir_cache, "/tmp/coord_lcache_XXXXXX");
    assert_non_null(mkdtemp(dir_live));
    assert_non_null(mkdtemp(dir_cold));
    assert_non_null(mkdtemp(dir_cache));
    for (int i = 0; i < LIVE_N; i++) {
        mods[i] = (LiveMod){ .exists = true, .body = i, .back = -1 };
        live_write(dir_live, &mods[i], i);
    }
    /* older than the stat manifest's racy margin (2 s) when c's first run
     * records them: d's first run then reads only what changed since */
    struct timespec age = { 2, 200000000 };
    nanosleep(&age, NULL);
    CoordOptions o1 = { .jobs = 1 }, o2 = { .jobs = 2, .no_rescan = true },
                 o3 = { .jobs = 2, .no_rescan = true, .cache = true, .cache_dir = dir_cache };
    CoordSession *a = coord_session_create(&o1), *b = coord_session_create(&o2),
                 *c = coord_session_create(&o3), *d = NULL;
    assert_int_equal(coord_add_root(a, dir_live), 0);
    assert_int_equal(coord_add_root(b, dir_live), 0);
    assert_int_equal(coord_add_root(c, dir_live), 0);
    uint32_t body_steps = 0, still_steps = 0, patched = 0, body_patched = 0, kinds[11] = { 0 };
    for (int step = 0; step <= STEPS; step++) {
        bool body_only = false;
        if (step == 1) {        /* the cache and its manifest are c's first run's */
            d = coord_session_create(&o3);
            assert_int_equal(coord_add_root(d, dir_live), 0);
        }
        int i = (int)rng(LIVE_N), kind = step == 0 ? -1 : (int)rng(14);
        kind = kind >= 6 ? kind - 3 : kind < 0 ? -1 : kind % 3;   /* 0..2: body edits */
        LiveMod *m = &mods[i];
        bool disk = true;
        switch (kind) {
        case 0: case 1: case 2:     /* a body edit */
            if (!m->exists) {
                m->exists = true;
                break;
            }
            m->body += 1 + (int)rng(5);
            body_only = !has_overlay[i] && !m->syntax_error;
            break;
        case 3: m->str = !m->str; break;                    /* interface */
        /* errors are fixed at once, made one time in three; a file is
         * created at once, deleted one time in three: most steps start
         * from a tree that checks */
        case 4: m->type_error = !m->type_error && rng(3) == 0; break;
        case 5: m->syntax_error = !m->syntax_error && rng(3) == 0; break;
        case 6: m->exists = !m->exists || rng(3) != 0; break;   /* created, deleted */
        case 7:                                             /* a cycle */
            m->back = m->back >= 0 || i == LIVE_N - 1 ? -1 : i + 1 + (int)rng((uint32_t)(LIVE_N - i - 1));
            break;
        case 8:                                             /* an overlay */
            overlay[i] = *m;
            overlay[i].body += 100;
            overlay[i].str = rng(2);
            overlay[i].type_error = rng(4) == 0;
            overlay[i].syntax_error = rng(6) == 0;
            has_overlay[i] = true;
            set_overlay(a, i);
            set_overlay(b, i);
            set_overlay(c, i);
            set_overlay(d, i);
            disk = false;
            break;
        case 9: {
            char path[512];
            for (int k = 0; k < LIVE_N && !has_overlay[i]; k++)
                i = (i + 1) % LIVE_N;           /* one that has an overlay */
            m = &mods[i];
            live_path(path, sizeof path, dir_live, i);
            has_overlay[i] = false;
            assert_int_equal(coord_clear_source(a, path), 0);
            assert_int_equal(coord_clear_source(b, path), 0);
            assert_int_equal(coord_clear_source(c, path), 0);
            assert_int_equal(coord_clear_source(d, path), 0);
            disk = false;
            break;
        }
        default:                    /* 10: no change at all */
            disk = false;
            break;
        }
        if (kind >= 0)
            kinds[kind]++;
        if (disk) {
            live_write(dir_live, m, i);
            notify(b, i);
            notify(c, i);
            if (d)
                notify(d, i);
        }
        int sa = coord_run(a), sb = coord_run(b), sc = coord_run(c), sd = d ? coord_run(d) : 0;
        materialize();
        char *cold1 = live_cold(dir_cold, 1, dir_live);
        char *cold2 = live_cold(dir_cold, 2, dir_live);
        if (strcmp(cold1, cold2) != 0)
            fail_msg("step %d: the cold runs differ at -j1 and -j2", step);
        compare(a, sa, cold1, "-j1 (re-scan)", step);
        compare(b, sb, cold1, "-j2 (no_rescan, notified)", step);
        compare(c, sc, cold1, "-j2 (no_rescan, notified, result cache)", step);
        if (d)
            compare(d, sd, cold1, "-j2 (no_rescan, notified, a warm result cache)", step);
        CoordStats sbst, scst;
        assert_true(coord_stats(b, &sbst));
        assert_true(coord_stats(c, &scst));
        if (sbst.session_patched != scst.session_patched)
            fail_msg("step %d: patched %d without the result cache, %d with it", step,
                     (int)sbst.session_patched, (int)scst.session_patched);
        CoordStats sdst;
        if (step == 1 && (!coord_stats(d, &sdst) || sdst.cache_unread == 0))
            fail_msg("the warm session's first run read every source");
        if (step >= 2 && coord_stats(d, &sdst) && sdst.session_patched != sbst.session_patched)
            fail_msg("step %d: patched %d without the result cache, %d with a warm one", step,
                     (int)sbst.session_patched, (int)sdst.session_patched);
        patched += (uint32_t)sbst.session_patched;
        body_patched += body_only && sbst.session_patched;
        if ((body_only || kind == 10) && !sbst.session_patched)
            fail_msg("step %d: a %s with no_rescan rebuilt the module table", step,
                     body_only ? "body edit" : "run with no change");
        if (kind == 10) {
            /* nothing changed: nothing is checked again; with no_rescan
             * and nothing notified, the last run's results stand: no task,
             * no kept result even revalidated */
            CoordStats st;
            for (int k = 0; k < 4; k++) {
                if (k == 3 && step < 2)
                    continue;       /* (d's first run is cold) */
                assert_true(coord_stats(k == 3 ? d : k == 2 ? c : k ? b : a, &st));
                if (st.rechecked != 0 || (k && (st.tasks != 0 || st.session_reused != 0)))
                    fail_msg("step %d: a run with no change ran %llu tasks (rechecked %llu, "
                             "revalidated %llu)", step, (unsigned long long)st.tasks,
                             (unsigned long long)st.rechecked,
                             (unsigned long long)st.session_reused);
            }
            still_steps++;
        }
        if (body_only) {
            CoordStats st;
            for (int k = 0; k < 4; k++) {
                if (k == 3 && step < 2)
                    continue;       /* (d's first run is cold) */
                assert_true(coord_stats(k == 3 ? d : k == 2 ? c : k ? b : a, &st));
                if (st.phase_tasks[COORD_PHASE_TYPECHECK] != 1 ||
                    (!any_syntax_error() && st.rechecked != 1))
                    fail_msg("step %d: a body edit of M%d checked %llu modules (rechecked %llu)",
                             step, i, (unsigned long long)st.phase_tasks[COORD_PHASE_TYPECHECK],
                             (unsigned long long)st.rechecked);
            }
            body_steps++;
        }
        free(cold1);
        free(cold2);
    }
    /* the sequence did what it says */
    printf("body-only steps: %u (%u patched), no-change steps: %u, patched runs: %u; steps by "
           "kind 3..10:", body_steps, body_patched, still_steps, patched);
    for (int k = 3; k < 11; k++)
        printf(" %u", kinds[k]);
    printf("\n");
    assert_true(body_steps >= 80);
    assert_true(patched >= STEPS / 2);
    for (int k = 3; k < 11; k++)
        assert_true(kinds[k] >= 20);
    coord_session_destroy(a);
    coord_session_destroy(b);
    coord_session_destroy(c);
    coord_session_destroy(d);
    /* the full replays of c and d wrote their manifest under their roots'
     * shape, as their first runs did: never under shape 0 (a reset run
     * state without the manifest reopened) */
    char zero[160];
    snprintf(zero, sizeof zero, "%s/v2/m-0000000000000000", dir_cache);
    assert_int_equal(access(zero, F_OK), -1);
    rm_rf(dir_live);
    rm_rf(dir_cold);
    rm_rf(dir_cache);
}

/* A root that goes away fails that run (exit 2, no results); once it is
 * back the session checks it again. */
static void test_root_gone_and_back(void **state)
{
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/coord_live_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char sub[96];
    snprintf(sub, sizeof sub, "%s/src", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    LiveMod m = { .exists = true, .body = 1, .back = -1, .type_error = true };
    live_write(sub, &m, 0);
    CoordSession *s = coord_session_create(&(CoordOptions){ .jobs = 1 });
    assert_int_equal(coord_add_root(s, sub), 0);
    assert_int_equal(coord_run(s), COORD_EXIT_ERRORS);
    assert_int_equal(coord_error_count(s), 1);
    char *first = live_output(s, 1, NULL, NULL);
    snprintf(path, sizeof path, "%s/gone", dir);
    assert_int_equal(rename(sub, path), 0);
    assert_int_equal(coord_run(s), COORD_EXIT_USAGE);
    assert_non_null(strstr(coord_error(s), "cannot access"));
    assert_int_equal(coord_report_count(s), 0);
    assert_int_equal(coord_module_count(s), 0);
    assert_int_equal(rename(path, sub), 0);
    assert_int_equal(coord_run(s), COORD_EXIT_ERRORS);
    char *again = live_output(s, 1, NULL, NULL);
    assert_string_equal(first, again);
    free(first);
    free(again);
    coord_session_destroy(s);
    rm_rf(dir);
}

/* Racy-clean: a file rewritten with bytes of the same length within the
 * clock tick of its last read has the same stat data; the re-scan must
 * read it again all the same. */
static void test_racy_rewrite(void **state)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/coord_live_XXXXXX");
    assert_non_null(mkdtemp(dir));
    LiveMod m = { .exists = true, .body = 1, .back = -1 };
    live_write(dir, &m, 0);
    CoordSession *s = coord_session_create(&(CoordOptions){ .jobs = 1 });
    assert_int_equal(coord_add_root(s, dir), 0);
    for (int round = 0; round < 50; round++) {
        m.str = round % 2;          /* "1" and "\"s\"": lengths differ by 2 */
        m.body = m.str ? 1 : 100;   /* ... made up here: the same length */
        live_write(dir, &m, 0);
        int status = coord_run(s);
        char *cold = live_cold(dir, 1, dir);
        char *got = live_output(s, status, NULL, NULL);
        if (strcmp(got, cold) != 0)
            fail_msg("round %d: a same-size rewrite went unseen:\n%s\n---\n%s", round, cold, got);
        free(cold);
        free(got);
    }
    coord_session_destroy(s);
    rm_rf(dir);
}

/* A session that runs once (single_run: its modules get their session-tier
 * fields only when an overlay needs them) with overlays, of a file on
 * disk and of a file that is not, at -j1 and -j2: what a session that may
 * run again prints, and what a cold session over the files written out
 * prints. */
static void test_single_run_overlays(void **state)
{
    char dir[64], cold[64];
    snprintf(dir, sizeof dir, "/tmp/coord_live_XXXXXX");
    snprintf(cold, sizeof cold, "/tmp/coord_live_XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(cold));
    LiveMod broken = { .exists = true, .body = 1, .back = -1, .type_error = true };
    LiveMod fixed = { .exists = true, .body = 2, .back = -1 };
    LiveMod next = { .exists = true, .body = 3, .back = -1, .str = true };
    LiveMod extra = { .exists = true, .body = 4, .back = -1 };
    live_write(dir, &broken, 0);
    live_write(dir, &next, 1);
    live_write(cold, &fixed, 0);
    live_write(cold, &next, 1);
    live_write(cold, &extra, 2);
    char *want = live_cold(cold, 1, dir);
    for (uint32_t jobs = 1; jobs <= 2; jobs++) {
        for (int once = 0; once < 2; once++) {
            CoordSession *s = coord_session_create(
                &(CoordOptions){ .jobs = jobs, .single_run = once == 1 });
            assert_int_equal(coord_add_root(s, dir), 0);
            char path[512], text[1024];
            live_path(path, sizeof path, dir, 0);
            live_text(&fixed, 0, text, sizeof text);
            assert_int_equal(coord_set_source(s, path, text, strlen(text)), 0);
            live_path(path, sizeof path, dir, 2);
            live_text(&extra, 2, text, sizeof text);
            assert_int_equal(coord_set_source(s, path, text, strlen(text)), 0);
            int status = coord_run(s);
            compare(s, status, want, once ? "a single_run session" : "a session", (int)jobs);
            coord_session_destroy(s);
        }
    }
    free(want);
    rm_rf(dir);
    rm_rf(cold);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_sequence),
        cmocka_unit_test(test_root_gone_and_back),
        cmocka_unit_test(test_racy_rewrite),
        cmocka_unit_test(test_single_run_overlays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
