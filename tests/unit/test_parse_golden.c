/* Golden tests of the parse phase: every tests/parse/NAME.kite is parsed;
 *   NAME.err  the expected diagnostics (text form, no colour, sorted); when
 *             absent, the file must parse without any report;
 *   NAME.ast  the expected ast_dump (only checked when present; the phase
 *             must then return PHASE_OK).
 * COORD_UPDATE_GOLDEN=1 rewrites the expected files from the actual output
 * (.err when there are reports, else it is removed; .ast when the phase is
 * OK and the file exists or there are no reports).  Review them by eye.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/phases.h"
#include "tests/unit/golden.h"

#define GOLDEN_DIR "tests/parse"

static int run_one(const char *base, bool update)
{
    char path[512], err_path[512], ast_path[512];
    snprintf(path, sizeof path, GOLDEN_DIR "/%s.kite", base);
    snprintf(err_path, sizeof err_path, GOLDEN_DIR "/%s.err", base);
    snprintf(ast_path, sizeof ast_path, GOLDEN_DIR "/%s.ast", base);
    size_t len;
    char *src = golden_read(path, &len);
    assert_non_null(src);

    Arena keep, ast_arena, scratch;
    arena_init(&keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ast_arena, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 0);
    ParseOutput out;
    PhaseStatus st = parse_module(src, (uint32_t)len, &keep, &ast_arena, &scratch, &out);
    assert_true(st == PHASE_OK || st == PHASE_FAILED);

    /* Diagnostics, sorted as the driver sorts them. */
    LineTable lines;
    assert_true(line_table_build(&lines, src, (uint32_t)len, &scratch));
    ReportContext ctx = { "M", path, src, (uint32_t)len, &lines };
    ReportRef *refs = calloc(out.reports.count + 1, sizeof *refs);
    for (uint32_t i = 0; i < out.reports.count; i++) {
        const Report *r = &out.reports.items[i];
        assert_true(r->start <= r->end && r->end <= len);
        refs[i].ctx = &ctx;
        refs[i].report = r;
    }
    report_refs_sort(refs, out.reports.count);
    char *errs = NULL;
    size_t errs_len = 0;
    FILE *m = open_memstream(&errs, &errs_len);
    for (uint32_t i = 0; i < out.reports.count; i++)
        report_render_text(m, &ctx, refs[i].report, false);
    fclose(m);

    int bad = 0;
    if (errs_len > 0 || access(err_path, F_OK) == 0) {
        if (update && errs_len == 0) {
            unlink(err_path);
            fprintf(stderr, "golden: removed %s\n", err_path);
        } else {
            bad += golden_compare("diagnostics", err_path, errs, errs_len, update);
        }
    }

    bool have_ast = access(ast_path, F_OK) == 0;
    if (have_ast || (update && st == PHASE_OK && errs_len == 0)) {
        if (st != PHASE_OK) {
            fprintf(stderr, "golden: %s has %s.ast but the parse failed\n", path, base);
            bad++;
        } else {
            char *dump = NULL;
            size_t dump_len = 0;
            FILE *d = open_memstream(&dump, &dump_len);
            ast_dump(d, out.ast);
            fclose(d);
            bad += golden_compare("ast", ast_path, dump, dump_len, update);
            free(dump);
        }
    }

    free(errs);
    free(refs);
    free(src);
    arena_free(&keep);
    arena_free(&ast_arena);
    arena_free(&scratch);
    return bad;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden_files(void **state)
{
    (void)state;
    bool update = golden_update_requested();
    DIR *dir = opendir(GOLDEN_DIR);
    assert_non_null(dir);
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".kite") == 0 && n < 1024)
            names[n++] = strndup(e->d_name, l - 5);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, name_cmp);
    assert_true(n >= 20);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad += run_one(names[i], update);
        free(names[i]);
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
