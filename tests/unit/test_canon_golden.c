/* Golden tests of canonicalization.  A case is either
 *   tests/canon/NAME.kite            one module, parsed and canonicalized
 *                                    alone (its imports are poisoned), or
 *   tests/canon/NAME/ *.kite          several modules, checked through the
 *                                    real coordinator (coord_run with the
 *                                    scripted runner at -j1); the output is
 *                                    about the one in Main.kite, whose IR is
 *                                    taken from its canonicalize result;
 *                                    each file lies where its module name
 *                                    puts it (Geometry/Shapes.kite)
 *                                    (an import naming no module of the
 *                                    directory, or one whose parse failed,
 *                                    gets a NULL interface: poisoned).
 * and tests/canon/NAME.out holds the expected output: the main module's
 * diagnostics of parse and canonicalize (text form, no colour, sorted as the
 * driver sorts them), a line "----", then canon_dump of its IR.
 * COORD_UPDATE_GOLDEN=1 rewrites the .out files; review them by eye.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coordinator/actor.h"
#include "modules/canon.h"
#include "tests/unit/golden.h"

#define GOLDEN_DIR "tests/canon"
static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* What a case produced for its main module. */
typedef struct MainOut {
    const char *path, *src;
    uint32_t len;
    ReportSpan parse_reports, canon_reports;
    char *dump;                 /* canon_dump of its IR (malloc'd), or NULL */
    size_t dump_len;
    int status;                 /* PhaseStatus of canonicalize; PHASE_FAILED: not run */
} MainOut;

static void dump_ir(MainOut *o, const CanonModule *ir)
{
    FILE *f = open_memstream(&o->dump, &o->dump_len);
    canon_dump(f, ir);
    fclose(f);
}

/* The main module's diagnostics of parse and canonicalize (sorted as the
 * driver sorts them), "----", then its IR dump; compared with outpath. */
static int compare_case(const char *outpath, const MainOut *o, bool update)
{
    Arena scratch;
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 0);
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    LineTable lines;
    assert_true(line_table_build(&lines, o->src, o->len, &scratch));
    ReportContext ctx = { "Main", o->path, o->src, o->len, &lines };
    uint32_t nrep = o->parse_reports.count + o->canon_reports.count;
    ReportRef *refs = calloc(nrep + 1, sizeof *refs);
    for (uint32_t i = 0; i < nrep; i++) {
        const Report *r = i < o->parse_reports.count ? &o->parse_reports.items[i]
                                                     : &o->canon_reports.items[i - o->parse_reports.count];
        assert_true(r->start <= r->end && r->end <= o->len);
        refs[i].ctx = &ctx;
        refs[i].report = r;
    }
    report_refs_sort(refs, nrep);
    for (uint32_t i = 0; i < nrep; i++)
        report_render_text(out, &ctx, refs[i].report, false);
    fputs("----\n", out);
    if (o->dump)
        fwrite(o->dump, 1, o->dump_len, out);
    else
        fprintf(out, "canon not run or failed: status %d\n", o->status);
    fclose(out);
    int bad = golden_compare("diagnostics and dump", outpath, text, text_len, update);
    free(text);
    free(refs);
    arena_free(&scratch);
    return bad;
}

/* One module: its two phases alone. */
static int run_alone(const char *path, const char *outpath, bool update)
{
    size_t len;
    char *src = golden_read(path, &len);
    assert_non_null(src);
    Arena keep, ast, ir, scratch;
    arena_init(&keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ast, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ir, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 0);
    ParseOutput po;
    CanonOutput co = { 0 };
    MainOut o = { path, src, (uint32_t)len, { 0 }, { 0 }, NULL, 0, PHASE_FAILED };
    if (parse_module(src, (uint32_t)len, &keep, &ast, &scratch, &po) == PHASE_OK) {
        arena_reset(&scratch);
        o.status = canon_module(po.ast, po.iface, NULL, po.iface->import_count, &keep, &ir,
                                &scratch, true, &co);
        if (o.status == PHASE_OK)
            dump_ir(&o, co.ir);
    }
    o.parse_reports = po.reports;
    o.canon_reports = co.reports;
    int bad = compare_case(outpath, &o, update);
    free(o.dump);
    free(src);
    arena_free(&keep);
    arena_free(&ast);
    arena_free(&ir);
    arena_free(&scratch);
    return bad;
}

/* The coordinator's results for Main, taken as they arrive (its IR is
 * released once it is checked). */
static void capture_main(void *ud, const CoordSession *s, const Result *r)
{
    MainOut *o = ud;
    if (strcmp(s->mods[r->module]->name, "Main") != 0)
        return;
    if (r->task == TASK_PARSE) {
        o->src = r->src;
        o->len = r->src_len;
        o->parse_reports = r->reports;
    } else if (r->task == TASK_CANON) {
        o->canon_reports = r->reports;
        if (r->kind == RESULT_CANONICALIZED) {
            o->status = PHASE_OK;
            dump_ir(o, r->ir);
        } else {
            o->status = r->cause == FAIL_OOM ? PHASE_OOM : PHASE_INTERNAL;
        }
    }
}

/* Several modules: through the coordinator (coord_run with the scripted
 * runner at -j1), which resolves Main's imports to the interfaces it
 * canonicalizes against. */
static int run_coordinator(const char *dir, const char *outpath, bool update)
{
    char path[600];
    snprintf(path, sizeof path, "%s/Main.kite", dir);
    CoordOptions opts = { .jobs = 1 };
    CoordSession *s = coord_session_create(&opts);
    assert_non_null(s);
    assert_int_equal(coord_add_root(s, dir), 0);
    MainOut o = { path, NULL, 0, { 0 }, { 0 }, NULL, 0, PHASE_FAILED };
    s->on_result = capture_main;
    s->on_result_ud = &o;
    Runner *r = runner_scripted_create(1, 1);
    assert_non_null(r);
    int status = coord_run_with_runner(s, r);
    runner_destroy(r);
    assert_true(status == COORD_EXIT_OK || status == COORD_EXIT_ERRORS);
    assert_non_null(o.src);
    int bad = compare_case(outpath, &o, update);
    free(o.dump);
    coord_session_destroy(s);
    return bad;
}

static int run_case(const char *name, bool update)
{
    char path[520], outpath[530];
    snprintf(outpath, sizeof outpath, GOLDEN_DIR "/%s.out", name);
    snprintf(path, sizeof path, GOLDEN_DIR "/%s", name);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return run_coordinator(path, outpath, update);
    snprintf(path, sizeof path, GOLDEN_DIR "/%s.kite", name);
    return run_alone(path, outpath, update);
}

static void test_canon_golden(void **state)
{
    (void)state;
    bool update = golden_update_requested();
    DIR *dir = opendir(GOLDEN_DIR);
    assert_non_null(dir);
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < 512) {
        size_t l = strlen(e->d_name);
        char p[600];
        struct stat sb;
        snprintf(p, sizeof p, GOLDEN_DIR "/%s", e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".kite") == 0)
            names[n++] = strndup(e->d_name, l - 5);
        else if (e->d_name[0] != '.' && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, name_cmp);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad += run_case(names[i], update);
        free(names[i]);
    }
    assert_int_equal(bad, 0);
    assert_true(n >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canon_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
