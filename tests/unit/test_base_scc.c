/* base/scc.h: components in dependency order with their members, the
 * cyclic flag (self-loops too), shortest cycles with the adjacency-order
 * tie-break, and a long chain (iterative: no deep recursion). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/arena.h"
#include "base/protect.h"
#include "base/scc.h"

typedef struct Run {
    const SccGraph *g;
    char log[512];          /* "{members}c|" per component, c = cyclic */
    size_t used;
    uint32_t from;          /* vertex to start a shortest cycle from, or SCC_NONE */
    char cycle[128];
} Run;

static void visit(Scc *scc, void *ud, const uint32_t *members, uint32_t count, bool cyclic)
{
    Run *r = ud;
    r->used += (size_t)snprintf(r->log + r->used, sizeof r->log - r->used, "{");
    for (uint32_t i = 0; i < count; i++) {
        assert_int_equal(scc->comp[members[i]], scc->count);
        r->used += (size_t)snprintf(r->log + r->used, sizeof r->log - r->used, "%s%u",
                                    i ? " " : "", members[i]);
    }
    r->used += (size_t)snprintf(r->log + r->used, sizeof r->log - r->used, "}%s",
                                cyclic ? "c" : "");
    for (uint32_t i = 0; i < count; i++) {
        if (members[i] != r->from)
            continue;
        uint32_t len;
        const uint32_t *path = scc_shortest_cycle(scc, r->from, &len);
        size_t u = 0;
        for (uint32_t k = 0; k < len; k++)
            u += (size_t)snprintf(r->cycle + u, sizeof r->cycle - u, "%u ", path[k]);
        snprintf(r->cycle + u, sizeof r->cycle - u, "%u", path[0]);
        /* a second search from the same vertex finds the same cycle:
         * the BFS work arrays were cleared */
        uint32_t len2;
        const uint32_t *again = scc_shortest_cycle(scc, r->from, &len2);
        assert_int_equal(len2, len);
        assert_int_equal(again[len - 1], path[len - 1]);
    }
}

typedef struct Call { Arena *a; Run *r; } Call;

static void body(void *ud)
{
    Call *c = ud;
    scc_tarjan(c->r->g, c->a, visit, c->r);
}

/* edges as "from to" pairs, each vertex's list in the order given */
static void run_graph(uint32_t n, const uint32_t (*edges)[2], uint32_t ne, uint32_t from, Run *r)
{
    static uint32_t start[64], len[64], adj[256];
    assert_true(n <= 64 && ne <= 256);
    uint32_t k = 0;
    for (uint32_t v = 0; v < n; v++) {
        start[v] = k;
        for (uint32_t i = 0; i < ne; i++)
            if (edges[i][0] == v)
                adj[k++] = edges[i][1];
        len[v] = k - start[v];
    }
    SccGraph g = { n, start, len, adj };
    memset(r, 0, sizeof *r);
    r->g = &g;
    r->from = from;
    Arena a;
    arena_init(&a, 4096, 0);
    Call c = { &a, r };
    Arena *const guarded[] = { &a };
    assert_true(protect_call(guarded, 1, body, &c));
    arena_free(&a);
}

static void test_components_in_dependency_order(void **state)
{
    /* 0 -> 1 -> 2 -> 1, 0 -> 3, 3 -> 3, 4 alone */
    const uint32_t e[][2] = { {0, 1}, {1, 2}, {2, 1}, {0, 3}, {3, 3} };
    Run r;
    run_graph(5, e, 5, SCC_NONE, &r);
    assert_string_equal(r.log, "{1 2}c{3}c{0}{4}");
}

static void test_shortest_cycle_and_tie_break(void **state)
{
    /* from 0: 0 -> 1 -> 2 -> 3 -> 0 (length 4) and 0 -> 4 -> 0 (length 2);
     * from 5: two cycles of length 3, 5 -> 6 -> 8 -> 5 and 5 -> 7 -> 8 -> 5:
     * 6 comes first in 5's adjacency */
    const uint32_t e[][2] = { {0, 1}, {1, 2}, {2, 3}, {3, 0}, {0, 4}, {4, 0} };
    Run r;
    run_graph(5, e, 6, 0, &r);
    assert_string_equal(r.cycle, "0 4 0");
    const uint32_t f[][2] = { {5, 6}, {5, 7}, {6, 8}, {7, 8}, {8, 5} };
    run_graph(9, f, 5, 5, &r);
    assert_string_equal(r.cycle, "5 6 8 5");
    const uint32_t h[][2] = { {5, 7}, {5, 6}, {6, 8}, {7, 8}, {8, 5} };
    run_graph(9, h, 5, 5, &r);
    assert_string_equal(r.cycle, "5 7 8 5");
    const uint32_t self[][2] = { {0, 1}, {1, 1} };
    run_graph(2, self, 2, 1, &r);
    assert_string_equal(r.cycle, "1 1");
    assert_string_equal(r.log, "{1}c{0}");
}

typedef struct Chain { uint32_t count; bool cyclic; } Chain;

static void count_visit(Scc *scc, void *ud, const uint32_t *members, uint32_t count, bool cyclic)
{
    Chain *c = ud;
    c->count++;
    c->cyclic = cyclic;
    if (cyclic) {
        uint32_t len;
        scc_shortest_cycle(scc, members[0], &len);
        assert_int_equal(len, count);
    }
}

typedef struct ChainCall { const SccGraph *g; Arena *a; Chain *c; } ChainCall;

static void chain_body(void *ud)
{
    ChainCall *cc = ud;
    scc_tarjan(cc->g, cc->a, count_visit, cc->c);
}

static void test_long_chain_is_iterative(void **state)
{
    /* 500 000 vertices in one ring: a recursive Tarjan would need 500 000
     * frames */
    enum { N = 500000 };
    Arena a;
    arena_init(&a, 1 << 20, 0);
    uint32_t *start = ARENA_ARRAY(&a, uint32_t, N), *len = ARENA_ARRAY(&a, uint32_t, N);
    uint32_t *adj = ARENA_ARRAY(&a, uint32_t, N);
    for (uint32_t v = 0; v < N; v++) {
        start[v] = v;
        len[v] = 1;
        adj[v] = (v + 1) % N;
    }
    SccGraph g = { N, start, len, adj };
    Chain c = { 0, false };
    ChainCall cc = { &g, &a, &c };
    Arena *const guarded[] = { &a };
    assert_true(protect_call(guarded, 1, chain_body, &cc));
    assert_int_equal(c.count, 1);
    assert_true(c.cyclic);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_components_in_dependency_order),
        cmocka_unit_test(test_shortest_cycle_and_tie_break),
        cmocka_unit_test(test_long_chain_is_iterative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
