/* tools/sched/graph.c — loading a tree and running one phase of one module
 * for the comparison schedulers (see graph.h). */
#include "tools/sched/graph.h"

#include "base/arena.h"
#include "base/mem.h"
#include "modules/phases.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct SModule {
    char *name;
    char *path;
    Arena keep, ast, ir;
    char *src;
    uint32_t len;
    ParseOutput parsed;
    CanonOutput canon;
    CheckOutput checked;
    uint32_t *deps;         /* module index per import, aligned with iface->imports */
    uint32_t dep_count;
    const NameIface **dep_ifaces;
    const Artifact **dep_artifacts;
} SModule;

struct SGraph {
    SModule *mods;
    uint32_t count, cap;
    uint64_t lines;
};

static int add_file(SGraph *g, const char *root, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "sched: cannot read %s\n", path); return -1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (g->count == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->mods = realloc(g->mods, g->cap * sizeof *g->mods);
    }
    SModule *m = &g->mods[g->count++];
    memset(m, 0, sizeof *m);
    /* coord's chunk sizes (coordinator/discover.c): with the chunk pool
     * (base/pool.h) a chunk costs its whole size in memory, touched or not,
     * so 64 KiB chunks for a few KiB of results would compare allocators,
     * not schedulers */
    arena_init(&m->keep, 4u * 1024u, 0);
    arena_init(&m->ast, 16u * 1024u, 0);
    arena_init(&m->ir, 16u * 1024u, 0);
    m->path = strdup(path);
    /* Module name from the path relative to the root: A/B.kite -> A.B */
    const char *rel = path + strlen(root);
    while (*rel == '/') rel++;
    m->name = strdup(rel);
    size_t n = strlen(m->name);
    m->name[n - 5] = '\0';
    for (char *c = m->name; *c; c++) if (*c == '/') *c = '.';
    m->src = arena_alloc(&m->keep, (size_t)size + 1, 1);
    m->len = (uint32_t)fread(m->src, 1, (size_t)size, f);
    m->src[m->len] = '\0';
    fclose(f);
    for (uint32_t i = 0; i < m->len; i++) g->lines += m->src[i] == '\n';
    return 0;
}

static int walk(SGraph *g, const char *root, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "sched: cannot open %s\n", dir); return -1; }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        size_t n = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) rc = walk(g, root, path);
        else if (n > 5 && strcmp(e->d_name + n - 5, ".kite") == 0) rc = add_file(g, root, path);
    }
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const SModule *)a)->name, ((const SModule *)b)->name);
}

SGraph *sgraph_load(const char *root)
{
    SGraph *g = calloc(1, sizeof *g);
    if (walk(g, root, root) != 0) { sgraph_free(g); return NULL; }
    /* Sorted by name so imports resolve by binary search and runs are
     * independent of directory order. */
    qsort(g->mods, g->count, sizeof *g->mods, by_name);
    return g;
}

void sgraph_free(SGraph *g)
{
    if (!g) return;
    for (uint32_t i = 0; i < g->count; i++) {
        SModule *m = &g->mods[i];
        arena_free(&m->keep);
        arena_free(&m->ast);
        arena_free(&m->ir);
        free(m->name);
        free(m->path);
        free(m->deps);
        free(m->dep_ifaces);
        free(m->dep_artifacts);
    }
    free(g->mods);
    free(g);
}

uint32_t sgraph_count(const SGraph *g) { return g->count; }
uint64_t sgraph_lines(const SGraph *g) { return g->lines; }

void *sgraph_scratch_new(void)
{
    Arena *a = malloc(sizeof *a);
    arena_init(a, 1u << 20, 8u << 20);
    return a;
}

void sgraph_scratch_free(void *scratch)
{
    arena_free(scratch);
    free(scratch);
}

int sgraph_parse(SGraph *g, uint32_t i, void *scratch)
{
    SModule *m = &g->mods[i];
    PhaseStatus st = parse_module(m->src, m->len, &m->keep, &m->ast, scratch, &m->parsed);
    arena_reset(scratch);
    return st == PHASE_OK ? 0 : -1;
}

static uint32_t find(const SGraph *g, const char *name)
{
    uint32_t lo = 0, hi = g->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->mods[mid].name, name);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return UINT32_MAX;
}

int sgraph_link(SGraph *g)
{
    uint32_t *indegree = calloc(g->count, sizeof *indegree);
    for (uint32_t i = 0; i < g->count; i++) {
        SModule *m = &g->mods[i];
        if (!m->parsed.iface) { fprintf(stderr, "sched: %s did not parse\n", m->name); free(indegree); return -1; }
        const NameIface *f = m->parsed.iface;
        m->dep_count = f->import_count;
        m->deps = calloc(f->import_count + 1, sizeof *m->deps);
        m->dep_ifaces = calloc(f->import_count + 1, sizeof *m->dep_ifaces);
        m->dep_artifacts = calloc(f->import_count + 1, sizeof *m->dep_artifacts);
        for (uint32_t k = 0; k < f->import_count; k++) {
            uint32_t d = find(g, iface_str(f, f->imports[k].module));
            if (d == UINT32_MAX) {
                fprintf(stderr, "sched: %s imports a missing module %s\n", m->name,
                        iface_str(f, f->imports[k].module));
                free(indegree);
                return -1;
            }
            m->deps[k] = d;
            indegree[i]++;
        }
    }
    /* Kahn's algorithm: every module must be reachable in dependency order. */
    uint32_t *order = malloc((g->count + 1) * sizeof *order), head = 0, tail = 0;
    for (uint32_t i = 0; i < g->count; i++) if (indegree[i] == 0) order[tail++] = i;
    /* users are not stored; an O(modules * edges) scan would be too slow, so
     * build a reverse adjacency once. */
    uint32_t *ucount = calloc(g->count + 1, sizeof *ucount);
    for (uint32_t i = 0; i < g->count; i++)
        for (uint32_t k = 0; k < g->mods[i].dep_count; k++) ucount[g->mods[i].deps[k] + 1]++;
    for (uint32_t i = 0; i < g->count; i++) ucount[i + 1] += ucount[i];
    uint32_t *users = malloc((ucount[g->count] + 1) * sizeof *users);
    uint32_t *fill = calloc(g->count + 1, sizeof *fill);
    for (uint32_t i = 0; i < g->count; i++)
        for (uint32_t k = 0; k < g->mods[i].dep_count; k++) {
            uint32_t d = g->mods[i].deps[k];
            users[ucount[d] + fill[d]++] = i;
        }
    while (head < tail) {
        uint32_t d = order[head++];
        for (uint32_t u = ucount[d]; u < ucount[d + 1]; u++)
            if (--indegree[users[u]] == 0) order[tail++] = users[u];
    }
    int rc = tail == g->count ? 0 : -1;
    if (rc) fprintf(stderr, "sched: the tree has an import cycle\n");
    free(indegree); free(order); free(ucount); free(users); free(fill);
    return rc;
}

uint32_t sgraph_dep_count(const SGraph *g, uint32_t m) { return g->mods[m].dep_count; }
uint32_t sgraph_dep(const SGraph *g, uint32_t m, uint32_t i) { return g->mods[m].deps[i]; }

int sgraph_canon(SGraph *g, uint32_t i, void *scratch)
{
    SModule *m = &g->mods[i];
    for (uint32_t k = 0; k < m->dep_count; k++) m->dep_ifaces[k] = g->mods[m->deps[k]].parsed.iface;
    PhaseStatus st = canon_module(m->parsed.ast, m->parsed.iface, m->dep_ifaces, m->dep_count,
                                  &m->keep, &m->ir, scratch, false, &m->canon);
    arena_reset(scratch);
    arena_reset(&m->ast);   /* as coord does: the AST goes once canonicalized */
    return st == PHASE_OK ? 0 : -1;
}

int sgraph_check(SGraph *g, uint32_t i, void *scratch)
{
    SModule *m = &g->mods[i];
    if (!m->canon.ir) return -1;
    for (uint32_t k = 0; k < m->dep_count; k++) m->dep_artifacts[k] = g->mods[m->deps[k]].checked.artifact;
    PhaseStatus st = check_module(m->canon.ir, m->dep_artifacts, m->dep_count, &m->keep, scratch,
                                  DEPS_NONE, &m->checked);
    arena_reset(scratch);
    arena_reset(&m->ir);    /* the canonical IR goes once checked */
    return st == PHASE_OK ? 0 : -1;
}

uint64_t sgraph_report_count(const SGraph *g)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < g->count; i++)
        n += g->mods[i].parsed.reports.count + g->mods[i].canon.reports.count +
             g->mods[i].checked.reports.count;
    return n;
}
