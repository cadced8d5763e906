/* cycles — the one pass over the complete import graph that reports every
 * import cycle (LANGUAGE.md section 2) and releases the modules waiting on
 * one.
 *
 * Invariants
 *   - Runs once, when nothing is left to read or parse (no module is
 *     DISCOVERED or PARSING), so the graph is complete and fixed; modules may
 *     still be canonicalizing or checking, which does not change edges.
 *   - Strongly connected components by Tarjan's algorithm with an explicit
 *     stack (thousands of modules must not overflow the C stack).  A component
 *     is a cycle when it has two or more modules or a self-import.
 *   - Per cycle: S = the smallest module name of the component; a breadth-
 *     first search from S inside the component, expanding each module's
 *     targets in name order, meets modules in (distance, name sequence)
 *     order, so the first module met that imports S closes the shortest
 *     cycle with the smallest names at each step.  One E0402 at S's import
 *     of the cycle's second module.
 *   - Every edge with both ends in the component is marked in_cycle and,
 *     unless already completed, returned for the actor to complete its
 *     checked_done (components in the order Tarjan pops them, members in
 *     stack order, imports in order): check then sees NULL for those
 *     imports.
 */
#include "coordinator/actor.h"

#include <stdlib.h>
#include <string.h>

typedef struct Frame { uint32_t node, next; } Frame;

static int cmp_by_name(const void *a, const void *b, void *arg)
{
    CoordSession *s = arg;
    return strcmp(s->mods[*(const uint32_t *)a]->name, s->mods[*(const uint32_t *)b]->name);
}

/* Targets of v inside component c, sorted by name, into out; returns count. */
static uint32_t targets_in(CoordSession *s, const uint32_t *comp, uint32_t v, uint32_t c,
                           uint32_t *out)
{
    Module *m = s->mods[v];
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        uint32_t e = m->import_edge ? m->import_edge[i] : NONE;
        if (e != NONE && comp[s->edges[e].to] == c)
            out[n++] = s->edges[e].to;
    }
    qsort_r(out, n, sizeof *out, cmp_by_name, s);
    return n;
}

static uint32_t edge_to(CoordSession *s, uint32_t from, uint32_t to)
{
    Module *m = s->mods[from];
    for (uint32_t i = 0; i < m->import_count; i++) {
        uint32_t e = m->import_edge[i];
        if (e != NONE && s->edges[e].to == to)
            return e;
    }
    return NONE;
}

static void report_cycle(CoordSession *s, const uint32_t *comp, uint32_t c,
                         const uint32_t *members, uint32_t count,
                         uint32_t *parent, uint32_t *queue, uint32_t *scratch)
{
    uint32_t smallest = members[0];
    for (uint32_t i = 1; i < count; i++)
        if (strcmp(s->mods[members[i]]->name, s->mods[smallest]->name) < 0)
            smallest = members[i];
    for (uint32_t i = 0; i < count; i++)
        parent[members[i]] = NONE;

    uint32_t head = 0, tail = 0, last = NONE;
    queue[tail++] = smallest;
    parent[smallest] = smallest;
    while (head < tail && last == NONE) {
        uint32_t v = queue[head++];
        uint32_t n = targets_in(s, comp, v, c, scratch);
        for (uint32_t i = 0; i < n; i++) {
            if (scratch[i] == smallest) {
                last = v;
                break;
            }
        }
        for (uint32_t i = 0; i < n && last == NONE; i++) {
            if (parent[scratch[i]] == NONE) {
                parent[scratch[i]] = v;
                queue[tail++] = scratch[i];
            }
        }
    }
    /* the path smallest -> ... -> last, then back to smallest */
    uint32_t len = 0;
    for (uint32_t v = last; v != smallest; v = parent[v])
        scratch[len++] = v;
    size_t bytes = strlen("import cycle: ") + 1;
    bytes += (strlen(s->mods[smallest]->name) + 4) * 2;
    for (uint32_t i = 0; i < len; i++)
        bytes += strlen(s->mods[scratch[i]]->name) + 4;
    char *msg = co_alloc(s, bytes);
    char *p = msg + sprintf(msg, "import cycle: %s", s->mods[smallest]->name);
    for (uint32_t i = len; i-- > 0;)
        p += sprintf(p, " -> %s", s->mods[scratch[i]]->name);
    sprintf(p, " -> %s", s->mods[smallest]->name);

    uint32_t second = len ? scratch[len - 1] : smallest;
    Module *sm = s->mods[smallest];
    const IfaceImport *imp = &sm->iface->imports[s->edges[edge_to(s, smallest, second)].import_index];
    co_add_report(s, sm, RC_E0402, imp->name_start, imp->name_end, "%s", msg);
}

uint32_t *cycles_report(CoordSession *s, uint32_t *release_count)
{
    uint32_t n = s->mod_count;
    *release_count = 0;
    if (n == 0)
        return NULL;
    uint32_t *index = co_alloc(s, n * sizeof *index);
    uint32_t *low = co_alloc(s, n * sizeof *low);
    uint32_t *comp = co_alloc(s, n * sizeof *comp);
    uint32_t *stack = co_alloc(s, n * sizeof *stack);
    bool *on_stack = co_alloc(s, n * sizeof *on_stack);
    Frame *frames = co_alloc(s, n * sizeof *frames);
    uint32_t *parent = co_alloc(s, n * sizeof *parent);
    uint32_t *queue = co_alloc(s, n * sizeof *queue);
    uint32_t max_imports = 1;
    for (uint32_t v = 0; v < n; v++) {
        index[v] = NONE;
        comp[v] = NONE;
        on_stack[v] = false;
        if (s->mods[v]->import_count > max_imports)
            max_imports = s->mods[v]->import_count;
    }
    uint32_t *scratch = co_alloc(s, (n > max_imports ? n : max_imports) * sizeof *scratch);
    uint32_t next_index = 0, sp = 0, comps = 0;
    uint32_t *release = NULL, release_cap = 0;

    for (uint32_t root = 0; root < n; root++) {
        if (index[root] != NONE)
            continue;
        uint32_t fp = 0;
        frames[fp++] = (Frame){root, 0};
        index[root] = low[root] = next_index++;
        stack[sp++] = root;
        on_stack[root] = true;
        while (fp > 0) {
            Frame *f = &frames[fp - 1];
            Module *m = s->mods[f->node];
            if (f->next < m->import_count) {
                uint32_t e = m->import_edge[f->next++];
                if (e == NONE)
                    continue;
                uint32_t w = s->edges[e].to;
                if (index[w] == NONE) {
                    index[w] = low[w] = next_index++;
                    stack[sp++] = w;
                    on_stack[w] = true;
                    frames[fp++] = (Frame){w, 0};
                } else if (on_stack[w] && index[w] < low[f->node]) {
                    low[f->node] = index[w];
                }
                continue;
            }
            uint32_t v = f->node;
            fp--;
            if (fp > 0 && low[v] < low[frames[fp - 1].node])
                low[frames[fp - 1].node] = low[v];
            if (low[v] != index[v])
                continue;
            /* v roots a component: pop it */
            uint32_t start = sp;
            do {
                start--;
                on_stack[stack[start]] = false;
                comp[stack[start]] = comps;
            } while (stack[start] != v);
            uint32_t count = sp - start;
            bool cyclic = count > 1 || edge_to(s, v, v) != NONE;
            if (cyclic) {
                uint32_t *members = co_alloc(s, count * sizeof *members);
                memcpy(members, &stack[start], count * sizeof *members);
                report_cycle(s, comp, comps, members, count, parent, queue, scratch);
                for (uint32_t i = 0; i < count; i++) {
                    Module *mm = s->mods[members[i]];
                    for (uint32_t k = 0; k < mm->import_count; k++) {
                        uint32_t e = mm->import_edge[k];
                        if (e != NONE && comp[s->edges[e].to] == comps) {
                            s->edges[e].in_cycle = true;
                            if (s->edges[e].checked_done)
                                continue;
                            release = co_grow(s, release, *release_count, &release_cap,
                                              sizeof *release, 16);
                            release[(*release_count)++] = e;
                        }
                    }
                }
            }
            sp = start;
            comps++;
        }
    }
    return release;
}
