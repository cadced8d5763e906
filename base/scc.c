/* scc — Tarjan's components and shortest cycles (scc.h has the contract). */
#include "base/scc.h"

#include <assert.h>
#include <string.h>

static uint32_t *table(Arena *a, uint32_t n, uint32_t fill)
{
    uint32_t *t = ARENA_ARRAY(a, uint32_t, n + 1);
    for (uint32_t i = 0; i < n; i++)
        t[i] = fill;
    return t;
}

static bool has_edge(const SccGraph *g, uint32_t v, uint32_t w)
{
    for (uint32_t i = 0; i < g->len[v]; i++)
        if (g->adj[g->start[v] + i] == w)
            return true;
    return false;
}

void scc_tarjan(const SccGraph *g, Arena *arena, SccVisit *visit, void *ud)
{
    assert(arena->oom && "scc_tarjan needs a protected call");
    uint32_t n = g->n;
    Scc scc;
    memset(&scc, 0, sizeof scc);
    scc.g = g;
    scc.comp = table(arena, n, SCC_NONE);
    scc.index = table(arena, n, SCC_NONE);
    scc.low = table(arena, n, 0);
    scc.stack = table(arena, n, 0);
    scc.frame_v = table(arena, n, 0);
    scc.frame_i = table(arena, n, 0);
    scc.parent = table(arena, n, SCC_NONE);
    scc.queue = table(arena, n, 0);
    scc.path = table(arena, n, 0);
    scc.on_stack = ARENA_ZARRAY(arena, uint8_t, n + 1);
    uint32_t *index = scc.index, *low = scc.low, *stack = scc.stack;
    uint32_t *fv = scc.frame_v, *fi = scc.frame_i;
    uint8_t *on = scc.on_stack;
    uint32_t next_index = 0, sp = 0;

    for (uint32_t root = 0; root < n; root++) {
        if (index[root] != SCC_NONE)
            continue;
        uint32_t fp = 0;
        index[root] = low[root] = next_index++;
        stack[sp++] = root;
        on[root] = 1;
        fv[fp] = root;
        fi[fp++] = 0;
        while (fp > 0) {
            uint32_t v = fv[fp - 1];
            if (fi[fp - 1] < g->len[v]) {
                uint32_t w = g->adj[g->start[v] + fi[fp - 1]++];
                if (index[w] == SCC_NONE) {
                    index[w] = low[w] = next_index++;
                    stack[sp++] = w;
                    on[w] = 1;
                    fv[fp] = w;
                    fi[fp++] = 0;
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            fp--;
            if (fp > 0 && low[v] < low[fv[fp - 1]])
                low[fv[fp - 1]] = low[v];
            if (low[v] != index[v])
                continue;
            /* v roots a component: pop it */
            uint32_t start = sp;
            do {
                start--;
                on[stack[start]] = 0;
                scc.comp[stack[start]] = scc.count;
            } while (stack[start] != v);
            uint32_t count = sp - start;
            bool cyclic = count > 1 || has_edge(g, v, v);
            visit(&scc, ud, &stack[start], count, cyclic);
            sp = start;
            scc.count++;
        }
    }
}

const uint32_t *scc_shortest_cycle(Scc *scc, uint32_t from, uint32_t *len)
{
    const SccGraph *g = scc->g;
    uint32_t c = scc->comp[from];
    assert(c != SCC_NONE);
    uint32_t head = 0, tail = 0, last = SCC_NONE;
    scc->queue[tail++] = from;
    scc->parent[from] = from;
    while (head < tail && last == SCC_NONE) {
        uint32_t v = scc->queue[head++];
        for (uint32_t i = 0; i < g->len[v]; i++) {
            uint32_t w = g->adj[g->start[v] + i];
            if (scc->comp[w] != c)
                continue;
            if (w == from) {
                last = v;
                break;
            }
            if (scc->parent[w] == SCC_NONE) {
                scc->parent[w] = v;
                scc->queue[tail++] = w;
            }
        }
    }
    assert(last != SCC_NONE && "no cycle through the vertex");
    /* from -> ... -> last: walk back from last, then reverse */
    uint32_t n = 0;
    for (uint32_t v = last; v != from; v = scc->parent[v])
        scc->path[n++] = v;
    scc->path[n++] = from;
    for (uint32_t i = 0; i < n / 2; i++) {
        uint32_t t = scc->path[i];
        scc->path[i] = scc->path[n - 1 - i];
        scc->path[n - 1 - i] = t;
    }
    for (uint32_t i = 0; i < tail; i++)
        scc->parent[scc->queue[i]] = SCC_NONE;
    *len = n;
    return scc->path;
}
