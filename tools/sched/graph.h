/* tools/sched/graph.h — the module graph the comparison schedulers share.
 *
 * `make bench` runs the same phase functions (parse_module, canon_module,
 * check_module) over the same module graph under three schedulers: coord's
 * actor, a plain pthread mutex + condition-variable work queue (queue.c) and
 * oneTBB's flow_graph (tbb.cpp).  This file is the part the two comparison
 * programs share: loading a source tree, and running one phase of one module.
 *
 * Unlike coord, which discovers imports while it parses and pipelines
 * canonicalize behind parse, these schedulers work in two steps (what a
 * simple build tool does): parse every module, link the imports, then run
 * canonicalize + typecheck as a dependency graph.  The tree must be free of
 * import cycles and missing modules (generated benchmark trees are).
 *
 * Threads: sgraph_load and sgraph_link run on one thread; sgraph_parse,
 * sgraph_canon and sgraph_check may run concurrently for different modules
 * once their inputs are complete (the scheduler provides the ordering).
 */
#ifndef COORD_TOOLS_SCHED_GRAPH_H
#define COORD_TOOLS_SCHED_GRAPH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SGraph SGraph;

/* Reads every *.kite under root.  NULL on failure (message on stderr). */
SGraph  *sgraph_load(const char *root);
void     sgraph_free(SGraph *g);
uint32_t sgraph_count(const SGraph *g);
uint64_t sgraph_lines(const SGraph *g);

/* Phase tasks; `scratch` is the calling thread's scratch arena, obtained with
 * sgraph_scratch_new and reset after every task.  Return 0 on success. */
void    *sgraph_scratch_new(void);
void     sgraph_scratch_free(void *scratch);
int      sgraph_parse(SGraph *g, uint32_t m, void *scratch);
/* After every parse: resolve imports by module name into edges.  0 on
 * success; -1 when an import is missing or the graph has a cycle. */
int      sgraph_link(SGraph *g);
uint32_t sgraph_dep_count(const SGraph *g, uint32_t m);
uint32_t sgraph_dep(const SGraph *g, uint32_t m, uint32_t i);
int      sgraph_canon(SGraph *g, uint32_t m, void *scratch);
int      sgraph_check(SGraph *g, uint32_t m, void *scratch);
/* Total reports over all modules (to show every scheduler did the same work). */
uint64_t sgraph_report_count(const SGraph *g);

#ifdef __cplusplus
}
#endif
#endif
