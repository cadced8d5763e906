/* Golden tests of canonicalization.  A case is either
 *   tests/canon/NAME.kite            one module, or
 *   tests/canon/NAME/ *.kite          several modules; the one in Main.kite is
 *                                    canonicalized, the others only parsed
 *                                    so that their name interfaces serve as
 *                                    its imports (an import naming no module
 *                                    of the directory, or one whose parse
 *                                    failed, gets a NULL interface: poisoned).
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

#include "modules/canon.h"
#include "tests/unit/golden.h"

#define GOLDEN_DIR "tests/canon"
#define MAX_MODULES 16

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct Mod {
    char path[1100];
    char *src;
    size_t len;
    Arena ast;
    ParseOutput out;
    PhaseStatus st;
} Mod;

static int run_case(const char *name, bool update)
{
    char dirpath[520], outpath[530];
    snprintf(dirpath, sizeof dirpath, GOLDEN_DIR "/%s", name);
    snprintf(outpath, sizeof outpath, GOLDEN_DIR "/%s.out", name);
    Mod mods[MAX_MODULES];
    uint32_t nmods = 0, main_ix = 0;
    struct stat sb;
    if (stat(dirpath, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(dirpath);
        assert_non_null(d);
        char *files[MAX_MODULES];
        uint32_t nf = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l > 5 && strcmp(e->d_name + l - 5, ".kite") == 0 && nf < MAX_MODULES)
                files[nf++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(files, nf, sizeof *files, name_cmp);
        for (uint32_t i = 0; i < nf; i++) {
            snprintf(mods[nmods].path, sizeof mods[nmods].path, "%s/%s", dirpath, files[i]);
            if (strcmp(files[i], "Main.kite") == 0)
                main_ix = nmods;
            nmods++;
            free(files[i]);
        }
    } else {
        snprintf(mods[0].path, sizeof mods[0].path, "%s.kite", dirpath);
        nmods = 1;
    }
    assert_true(nmods > 0);

    Arena keep, ir, scratch;
    arena_init(&keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ir, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 0);
    for (uint32_t i = 0; i < nmods; i++) {
        Mod *m = &mods[i];
        m->src = golden_read(m->path, &m->len);
        assert_non_null(m->src);
        arena_init(&m->ast, ARENA_DEFAULT_CHUNK, 0);
        m->st = parse_module(m->src, (uint32_t)m->len, &keep, &m->ast, &scratch, &m->out);
        arena_reset(&scratch);
    }

    Mod *mm = &mods[main_ix];
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    CanonOutput co = { 0 };
    PhaseStatus cst = PHASE_FAILED;
    if (mm->st == PHASE_OK) {
        const NameIface *self = mm->out.iface;
        const NameIface *imps[MAX_MODULES];
        assert_true(self->import_count <= MAX_MODULES);
        for (uint32_t i = 0; i < self->import_count; i++) {
            const char *want = iface_str(self, self->imports[i].module);
            imps[i] = NULL;
            for (uint32_t j = 0; j < nmods; j++)
                if (j != main_ix && mods[j].st == PHASE_OK &&
                    strcmp(iface_str(mods[j].out.iface, mods[j].out.iface->module), want) == 0)
                    imps[i] = mods[j].out.iface;
        }
        cst = canon_module(mm->out.ast, self, imps, self->import_count, &keep, &ir, &scratch, &co);
    }

    LineTable lines;
    assert_true(line_table_build(&lines, mm->src, (uint32_t)mm->len, &scratch));
    ReportContext ctx = { "Main", mm->path, mm->src, (uint32_t)mm->len, &lines };
    uint32_t nrep = mm->out.reports.count + co.reports.count;
    ReportRef *refs = calloc(nrep + 1, sizeof *refs);
    for (uint32_t i = 0; i < nrep; i++) {
        const Report *r = i < mm->out.reports.count ? &mm->out.reports.items[i]
                                                    : &co.reports.items[i - mm->out.reports.count];
        assert_true(r->start <= r->end && r->end <= mm->len);
        refs[i].ctx = &ctx;
        refs[i].report = r;
    }
    report_refs_sort(refs, nrep);
    for (uint32_t i = 0; i < nrep; i++)
        report_render_text(out, &ctx, refs[i].report, false);
    fputs("----\n", out);
    if (cst == PHASE_OK)
        canon_dump(out, co.ir);
    else
        fprintf(out, "canon not run or failed: status %d\n", (int)cst);
    fclose(out);

    int bad = golden_compare("diagnostics and dump", outpath, text, text_len, update);
    free(text);
    free(refs);
    for (uint32_t i = 0; i < nmods; i++) {
        free(mods[i].src);
        arena_free(&mods[i].ast);
    }
    arena_free(&keep);
    arena_free(&ir);
    arena_free(&scratch);
    return bad;
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
