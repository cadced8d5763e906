/* scc — strongly connected components of a directed graph and the shortest
 * cycle through a vertex inside its component: the one implementation
 * behind canonicalize's value order (E0208, modules/canon.c) and the
 * coordinator's import cycles (E0402, coordinator/cycles.c).
 *
 * Invariants
 *   - Deterministic: Tarjan's algorithm with roots in vertex order 0..n-1
 *     and each vertex's neighbours in adjacency order.  A component is
 *     handed to `visit` when it is complete, which is after every component
 *     reachable from it (dependency order); its members in the order they
 *     were first reached.  Component ids count up from 0 in that order.
 *   - Iterative (an explicit stack): no recursion, whatever the graph.
 *   - A component is cyclic when it has two or more vertices or a vertex
 *     with an edge to itself.
 *   - scc_shortest_cycle(from): breadth-first search from `from` inside its
 *     component, visiting neighbours in adjacency order; the first vertex
 *     met that has an edge back to `from` closes the cycle.  So the cycle
 *     is a shortest one, and among those the one whose vertices come first
 *     in adjacency order at each step.
 *   - Work arrays (O(n)) come from the arena given to scc_tarjan, which must
 *     have an out-of-memory target (run inside base/protect.h's protected
 *     call): allocation here never returns NULL.
 */
#ifndef COORD_BASE_SCC_H
#define COORD_BASE_SCC_H

#include "base/arena.h"

#include <stdbool.h>
#include <stdint.h>

#define SCC_NONE UINT32_MAX

/* Adjacency of v: adj[start[v] .. start[v] + len[v]). */
typedef struct SccGraph {
    uint32_t n;
    const uint32_t *start, *len, *adj;
} SccGraph;

typedef struct Scc {
    const SccGraph *g;
    uint32_t *comp;             /* component id per vertex, SCC_NONE until complete */
    uint32_t *index, *low, *stack, *frame_v, *frame_i;
    uint8_t *on_stack;
    uint32_t *parent, *queue, *path;    /* scc_shortest_cycle; parent all NONE between calls */
    uint32_t count;             /* components completed */
} Scc;

/* members: the component's vertices (valid during the call only). */
typedef void SccVisit(Scc *scc, void *ud, const uint32_t *members, uint32_t count, bool cyclic);

void scc_tarjan(const SccGraph *g, Arena *arena, SccVisit *visit, void *ud);

/* Only inside `visit`, for a vertex of the cyclic component visited.
 * Returns the cycle as path[0] = from, path[1..len) the vertices after it;
 * the edge path[len-1] -> from closes it.  Valid until the next call. */
const uint32_t *scc_shortest_cycle(Scc *scc, uint32_t from, uint32_t *len);

#endif
