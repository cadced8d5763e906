/* cycles — the one pass over the complete import graph that reports every
 * import cycle (LANGUAGE.md section 2) and releases the modules waiting on
 * one.
 *
 * Invariants
 *   - Runs once, when nothing is left to read or parse (no module is
 *     DISCOVERED or PARSING), so the graph is complete and fixed; modules may
 *     still be canonicalizing or checking, which does not change edges.
 *   - Strongly connected components and shortest cycles by base/scc.h
 *     (iterative: thousands of modules must not overflow the C stack), over
 *     the graph whose adjacency lists each module's import targets in name
 *     order.  A component is a cycle when it has two or more modules or a
 *     self-import.
 *   - Per cycle: S = the smallest module name of the component; the
 *     breadth-first search from S inside the component, expanding targets in
 *     name order, meets modules in (distance, name sequence) order, so the
 *     first module met that imports S closes the shortest cycle with the
 *     smallest names at each step.  One E0402 at S's import of the cycle's
 *     second module.
 *   - Every edge with both ends in the component is marked in_cycle and,
 *     unless already completed, returned for the actor to complete its
 *     checked_done (components in the order base/scc.h completes them,
 *     members in the order it reached them, imports in order): check then sees NULL for those
 *     imports.
 */
#include "coordinator/actor.h"

#include "base/scc.h"

#include <stdlib.h>
#include <string.h>

static int cmp_by_name(const void *a, const void *b, void *arg)
{
    CoordSession *s = arg;
    return strcmp(s->mods[*(const uint32_t *)a]->name, s->mods[*(const uint32_t *)b]->name);
}

static uint32_t edge_to(CoordSession *s, uint32_t from, uint32_t to)
{
    Module *m = s->mods[from];
    for (uint32_t i = 0; i < m->import_count; i++) {
        uint32_t e = m->import_edge[i];
        if (e != NONE && edge_at(s, e)->to == to)
            return e;
    }
    return NONE;
}

typedef struct CycleWalk {
    CoordSession *s;
    uint32_t *release, release_count, release_cap;
} CycleWalk;

static void report_cycle(CoordSession *s, Scc *scc, const uint32_t *members, uint32_t count)
{
    uint32_t smallest = members[0];
    for (uint32_t i = 1; i < count; i++)
        if (strcmp(s->mods[members[i]]->name, s->mods[smallest]->name) < 0)
            smallest = members[i];
    uint32_t len;
    const uint32_t *path = scc_shortest_cycle(scc, smallest, &len);
    size_t bytes = strlen("import cycle: ") + 1;
    bytes += (strlen(s->mods[smallest]->name) + 4) * 2;
    for (uint32_t i = 1; i < len; i++)
        bytes += strlen(s->mods[path[i]]->name) + 4;
    char *msg = co_alloc(s, bytes);
    char *p = msg + sprintf(msg, "import cycle: %s", s->mods[smallest]->name);
    for (uint32_t i = 1; i < len; i++)
        p += sprintf(p, " -> %s", s->mods[path[i]]->name);
    sprintf(p, " -> %s", s->mods[smallest]->name);

    uint32_t second = len > 1 ? path[1] : smallest;
    Module *sm = s->mods[smallest];
    const IfaceImport *imp = &sm->iface->imports[edge_at(s, edge_to(s, smallest, second))->import_index];
    co_add_report(s, sm, RC_E0402, imp->name_start, imp->name_end, "%s", msg);
}

static void on_component(Scc *scc, void *ud, const uint32_t *members, uint32_t count, bool cyclic)
{
    if (!cyclic)
        return;
    CycleWalk *w = ud;
    CoordSession *s = w->s;
    report_cycle(s, scc, members, count);
    uint32_t c = scc->comp[members[0]];
    for (uint32_t i = 0; i < count; i++) {
        Module *m = s->mods[members[i]];
        for (uint32_t k = 0; k < m->import_count; k++) {
            uint32_t e = m->import_edge[k];
            if (e == NONE || scc->comp[edge_at(s, e)->to] != c)
                continue;
            edge_at(s, e)->in_cycle = true;
            if (edge_at(s, e)->checked_done)
                continue;
            w->release = co_grow(s, w->release, w->release_count, &w->release_cap,
                                 sizeof *w->release, 16);
            w->release[w->release_count++] = e;
        }
    }
}

uint32_t *cycles_report(CoordSession *s, uint32_t *release_count)
{
    uint32_t n = s->mod_count;
    uint32_t *start = co_alloc(s, (n + 1) * sizeof *start);
    uint32_t *len = co_alloc(s, (n + 1) * sizeof *len);
    uint32_t total = 0;
    for (uint32_t v = 0; v < n; v++)
        total += s->mods[v]->import_count;
    uint32_t *adj = co_alloc(s, (total + 1) * sizeof *adj);
    uint32_t k = 0;
    for (uint32_t v = 0; v < n; v++) {
        Module *m = s->mods[v];
        start[v] = k;
        for (uint32_t i = 0; i < m->import_count; i++)
            if (m->import_edge[i] != NONE)
                adj[k++] = edge_at(s, m->import_edge[i])->to;
        len[v] = k - start[v];
        qsort_r(adj + start[v], len[v], sizeof *adj, cmp_by_name, s);
    }
    SccGraph g = { n, start, len, adj };
    CycleWalk walk = { s, NULL, 0, 0 };
    scc_tarjan(&g, &s->arena, on_component, &walk);
    *release_count = walk.release_count;
    return walk.release;
}
