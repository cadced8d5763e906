/* harness — runs the three phases of one module, or of a few modules on one
 * thread in dependency order, without the coordinator (header-only, for
 * unit tests of the phases and the phase benchmark).  Golden tests of
 * several modules do not use it: they run through coord_run
 * (test_check_golden.c), which also makes the coordinator's own reports.
 *
 *   Harness h;
 *   harness_load(&h, "tests/check/multi");      // a directory or one .kite file
 *   harness_run(&h);                            // parse, canonicalize, check
 *   char *text = harness_output(&h);            // diagnostics, then emit-types
 *   harness_free(&h);
 *
 * Order: modules are parsed first (file order does not matter); the import
 * graph (by declared module name) is split into strongly connected
 * components by base/scc.h, checked in its (dependency) order.  Canonicalize sees the name
 * interfaces of every import found; check sees the artifact of each import,
 * except NULL for imports inside the module's own import cycle or whose
 * module is missing or failed.  The harness reports no E04xx itself.
 *
 * Output: every report of every phase, sorted with report_refs_sort and
 * rendered with report_render_text (no colour), then one line per top-level
 * value `Module.name : type`, modules by name, values in source order.
 */
#ifndef COORD_TESTS_HARNESS_H
#define COORD_TESTS_HARNESS_H

#include "base/protect.h"
#include "base/scc.h"
#include "modules/artifact.h"
#include "modules/canon.h"
#include "modules/phases.h"
#include "reports/report.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct HModule {
    char *path;
    char *src;
    uint32_t len;
    const char *name;            /* declared, else the file's base name */
    Arena keep, ast, ir;
    ParseOutput po;
    CanonOutput co;
    CheckOutput ko;
    PhaseStatus ps, cs, ks;
    bool checked;
    uint32_t *imp;               /* per import: module index or UINT32_MAX */
    uint32_t imp_count;
    uint32_t scc;                /* component id (base/scc.h), imports first */
    LineTable lines;
    ReportContext ctx;
} HModule;

typedef struct Harness {
    HModule *mods;
    uint32_t count, cap;
    Arena scratch;
    double parse_s, canon_s, check_s;
    /* Release each module's AST once canonicalized and its IR once checked,
     * as the coordinator does (benchmarks); tests keep them to inspect. */
    bool release_phase_data;
} Harness;

static inline void harness_add_file(Harness *h, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *src = malloc((size_t)n + 1);
    size_t got = fread(src, 1, (size_t)n, f);
    fclose(f);
    src[got] = 0;
    if (h->count == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->mods = realloc(h->mods, h->cap * sizeof *h->mods);
    }
    HModule *m = &h->mods[h->count++];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    m->src = src;
    m->len = (uint32_t)got;
}

static inline void harness_add_source(Harness *h, const char *path, const char *src, uint32_t len)
{
    if (h->count == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->mods = realloc(h->mods, h->cap * sizeof *h->mods);
    }
    HModule *m = &h->mods[h->count++];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    m->src = malloc(len + 1);
    memcpy(m->src, src, len);
    m->src[len] = 0;
    m->len = len;
}

static inline void harness_scan(Harness *h, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t l = strlen(e->d_name);
        if (S_ISDIR(st.st_mode))
            harness_scan(h, path);
        else if (l > 5 && strcmp(e->d_name + l - 5, ".kite") == 0)
            harness_add_file(h, path);
    }
    closedir(d);
}

static inline void harness_init(Harness *h)
{
    memset(h, 0, sizeof *h);
    arena_init(&h->scratch, ARENA_DEFAULT_CHUNK, 1u << 20);
}

static inline void harness_load(Harness *h, const char *path)
{
    harness_init(h);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        harness_scan(h, path);
    else
        harness_add_file(h, path);
}

static inline uint32_t harness_find(const Harness *h, const char *name)
{
    for (uint32_t i = 0; i < h->count; i++)
        if (h->mods[i].name && strcmp(h->mods[i].name, name) == 0)
            return i;
    return UINT32_MAX;
}

static inline int harness_by_name_(const void *x, const void *y)
{
    const HModule *a = x, *b = y;
    return strcmp(a->name, b->name);
}

static inline void harness_component_(Scc *scc, void *ud, const uint32_t *members,
                                      uint32_t count, bool cyclic)
{
    Harness *h = ud;
    for (uint32_t i = 0; i < count; i++)
        h->mods[members[i]].scc = scc->count;
}

typedef struct HOrder { Harness *h; const SccGraph *g; } HOrder;

static inline void harness_order_body_(void *ud)
{
    HOrder *o = ud;
    scc_tarjan(o->g, &o->h->scratch, harness_component_, o->h);
}

/* Component ids (imports first) into mods[].scc; returns their count. */
static inline uint32_t harness_order_(Harness *h)
{
    uint32_t n = h->count, total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += h->mods[i].imp_count;
    uint32_t *start = calloc(n + 1, sizeof *start), *len = calloc(n + 1, sizeof *len);
    uint32_t *adj = calloc(total + 1, sizeof *adj);
    uint32_t k = 0;
    for (uint32_t v = 0; v < n; v++) {
        start[v] = k;
        for (uint32_t i = 0; i < h->mods[v].imp_count; i++)
            if (h->mods[v].imp[i] != UINT32_MAX)
                adj[k++] = h->mods[v].imp[i];
        len[v] = k - start[v];
    }
    SccGraph g = { n, start, len, adj };
    HOrder o = { h, &g };
    Arena *const guarded[] = { &h->scratch };
    if (!protect_call(guarded, 1, harness_order_body_, &o))
        abort();
    arena_reset(&h->scratch);
    free(start);
    free(len);
    free(adj);
    uint32_t comps = 0;
    for (uint32_t v = 0; v < n; v++)
        if (h->mods[v].scc + 1 > comps)
            comps = h->mods[v].scc + 1;
    return comps;
}

static inline double harness_now_(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline void harness_run(Harness *h)
{
    double t0 = harness_now_();
    for (uint32_t i = 0; i < h->count; i++) {
        HModule *m = &h->mods[i];
        arena_init(&m->keep, ARENA_DEFAULT_CHUNK, 0);
        arena_init(&m->ast, ARENA_DEFAULT_CHUNK, 0);
        arena_init(&m->ir, ARENA_DEFAULT_CHUNK, 0);
        m->ps = parse_module(m->src, m->len, &m->keep, &m->ast, &h->scratch, &m->po);
        arena_reset(&h->scratch);
        if (m->po.iface) {
            m->name = iface_str(m->po.iface, m->po.iface->module);
        } else {
            const char *base = strrchr(m->path, '/');
            base = base ? base + 1 : m->path;
            m->name = arena_strndup(&m->keep, base, strlen(base) - 5);
        }
    }
    h->parse_s += harness_now_() - t0;
    if (h->count > 1)
        qsort(h->mods, h->count, sizeof *h->mods, harness_by_name_);
    for (uint32_t i = 0; i < h->count; i++) {
        HModule *m = &h->mods[i];
        m->imp_count = m->po.iface ? m->po.iface->import_count : 0;
        m->imp = calloc(m->imp_count + 1, sizeof *m->imp);
        for (uint32_t k = 0; k < m->imp_count; k++)
            m->imp[k] = m->po.iface->imports[k].broken
                            ? UINT32_MAX
                            : harness_find(h, iface_str(m->po.iface, m->po.iface->imports[k].module));
    }
    uint32_t comps = harness_order_(h);
    /* Canonicalize every parsed module (needs only interfaces). */
    t0 = harness_now_();
    for (uint32_t i = 0; i < h->count; i++) {
        HModule *m = &h->mods[i];
        if (m->ps != PHASE_OK)
            continue;
        const NameIface **ifs = calloc(m->imp_count + 1, sizeof *ifs);
        for (uint32_t k = 0; k < m->imp_count; k++)
            ifs[k] = m->imp[k] == UINT32_MAX ? NULL : h->mods[m->imp[k]].po.iface;
        m->cs = canon_module(m->po.ast, m->po.iface, ifs, m->imp_count, &m->keep, &m->ir,
                             &h->scratch, true, &m->co);
        arena_reset(&h->scratch);
        if (h->release_phase_data) {
            m->po.ast = NULL;
            arena_reset(&m->ast);
        }
        free(ifs);
    }
    h->canon_s += harness_now_() - t0;
    /* Check component by component, imports first. */
    t0 = harness_now_();
    for (uint32_t comp = 0; comp < comps; comp++) {
        for (uint32_t i = 0; i < h->count; i++) {
            HModule *m = &h->mods[i];
            if (m->scc != comp || m->ps != PHASE_OK || m->cs != PHASE_OK)
                continue;
            const Artifact **arts = calloc(m->imp_count + 1, sizeof *arts);
            for (uint32_t k = 0; k < m->imp_count; k++) {
                uint32_t w = m->imp[k];
                arts[k] = w == UINT32_MAX || h->mods[w].scc == comp ? NULL : h->mods[w].ko.artifact;
            }
            m->ks = check_module(m->co.ir, arts, m->imp_count, &m->keep, &h->scratch, DEPS_KEEP, &m->ko);
            m->checked = true;
            arena_reset(&h->scratch);
            if (h->release_phase_data) {
                m->co.ir = NULL;
                arena_reset(&m->ir);
            }
            free(arts);
        }
    }
    h->check_s += harness_now_() - t0;
}

/* Diagnostics then emit-types lines; malloc'd, NUL-terminated. */
static inline char *harness_output(Harness *h)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    uint32_t total = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        HModule *m = &h->mods[i];
        line_table_build(&m->lines, m->src, m->len, &m->keep);
        m->ctx = (ReportContext){ m->name, m->path, m->src, m->len, &m->lines };
        total += m->po.reports.count + m->co.reports.count + m->ko.reports.count;
    }
    ReportRef *refs = calloc(total + 1, sizeof *refs);
    uint32_t n = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        HModule *m = &h->mods[i];
        const ReportSpan spans[3] = { m->po.reports, m->co.reports, m->ko.reports };
        for (int s = 0; s < 3; s++)
            for (uint32_t k = 0; k < spans[s].count; k++)
                refs[n++] = (ReportRef){ &m->ctx, &spans[s].items[k], 0, 0 };
    }
    report_refs_sort(refs, n);
    for (uint32_t k = 0; k < n; k++)
        report_render_text(out, refs[k].ctx, refs[k].report, false);
    free(refs);
    for (uint32_t i = 0; i < h->count; i++) {
        HModule *m = &h->mods[i];
        const Artifact *a = m->ko.artifact;
        if (!a)
            continue;
        for (uint32_t v = 0; v < artifact_value_count(a); v++)
            fprintf(out, "%s.%s : %s\n", m->name, artifact_value_name(a, v),
                    artifact_value_type_string(a, v, &m->keep));
    }
    fclose(out);
    return buf;
}

static inline void harness_free(Harness *h)
{
    for (uint32_t i = 0; i < h->count; i++) {
        HModule *m = &h->mods[i];
        arena_free(&m->keep);
        arena_free(&m->ast);
        arena_free(&m->ir);
        free(m->path);
        free(m->src);
        free(m->imp);
    }
    free(h->mods);
    arena_free(&h->scratch);
    memset(h, 0, sizeof *h);
}

#endif
