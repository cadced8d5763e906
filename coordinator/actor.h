/* actor — the coordinator's private data: the session, the module table, the
 * import graph, the ready queue and the report store.
 *
 * Ownership and threads
 *   Everything here is read and written by the session's thread only (the
 *   caller of coord_run).  Workers see a module only through a Task: while a
 *   task of module M is in flight, M's arenas (keep, ast, ir) belong to the
 *   worker and the coordinator touches neither them nor what the task is
 *   producing; it may read M's sealed outputs of earlier phases (source bytes,
 *   name interface), which are immutable.
 *
 * Memory
 *   The session arena `arena` holds all coordinator tables (growing arrays
 *   are re-allocated there at double size and the old block abandoned: the
 *   coordinator's total memory is O(modules + edges)).  While a public entry
 *   point runs, the arena's out-of-memory target is the entry point's jmp_buf,
 *   so coordinator code does not check each allocation: running out of memory
 *   in the coordinator itself ends the run with exit status 3 after all
 *   in-flight tasks are collected.  A module's durable data lives in its own
 *   arenas: ast is reset once the module is canonicalized, ir once checked;
 *   keep (source, name interface, artifact, reports) until the session ends.
 *
 * Module life (DESIGN.md section 3), states of ModState:
 *   DISCOVERED  known, its parse is in the ready queue
 *   PARSING     parse task in flight
 *   PARSED      imports resolved into edges; waits for waiting_parsed == 0
 *   CANONICALIZING, CANONICALIZED (waits for waiting_checked == 0), CHECKING
 *   DONE        finished; `failed` says whether it succeeded
 *   A module in the ready queue is DISCOVERED, PARSED or CANONICALIZED and
 *   its counter is zero; it is queued exactly once per state.
 *
 * Edges
 *   One Edge per import that resolved to a module (not for missing or
 *   duplicate imports).  waiting_parsed / waiting_checked of the importer count
 *   its edges whose parsed_done / checked_done flag is still clear.  A flag is
 *   set exactly once (asserted), when the target is parsed (or failed), when
 *   the target is done, or — checked_done only — when the cycle pass puts
 *   the edge in a cycle.
 */
#ifndef COORD_COORDINATOR_ACTOR_H
#define COORD_COORDINATOR_ACTOR_H

#include "coord.h"

#include "base/arena.h"
#include "base/intern.h"
#include "modules/artifact.h"
#include "modules/iface.h"
#include "modules/phases.h"
#include "reports/report.h"
#include "workers/worker.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NONE UINT32_MAX

#define MODULE_STATES(X)                     \
    X(DISCOVERED,     "discovered")          \
    X(PARSING,        "parsing")             \
    X(PARSED,         "parsed")              \
    X(CANONICALIZING, "canonicalizing")      \
    X(CANONICALIZED,  "canonicalized")       \
    X(CHECKING,       "checking")            \
    X(DONE,           "done")

typedef enum {
#define MODULE_STATE_ENUM_(name, desc) MS_##name,
    MODULE_STATES(MODULE_STATE_ENUM_)
#undef MODULE_STATE_ENUM_
} ModState;

const char *module_state_name(ModState s);

typedef struct Edge {
    uint32_t from, to;          /* importer, imported module */
    uint32_t import_index;      /* which import of `from` */
    uint32_t next_in;           /* next edge into `to`, or NONE */
    bool parsed_done, checked_done, in_cycle;
} Edge;

/* A report the coordinator made itself (E0001 discovery, E040x, E090x). */
typedef struct OwnReport {
    Report r;
    struct OwnReport *next;
} OwnReport;

typedef struct Module {
    uint32_t id;                /* discovery order */
    const char *name;           /* the name its path implies (table key) */
    const char *path;           /* as given / discovered */
    uint32_t root;              /* index into the session's roots; NONE for -I */
    uint32_t dup_of;            /* E0405: the module this file duplicates, or NONE */
    ModState state;
    bool failed;

    Arena keep, ast_arena, ir_arena;
    const char *src;
    uint32_t src_len;
    const Ast *ast;
    const NameIface *iface;
    const CanonModule *ir;
    const Artifact *artifact;
    ReportSpan phase_reports[3]; /* parse, canonicalize, typecheck */
    OwnReport *own;

    uint32_t import_count;      /* = iface->import_count once parsed */
    uint32_t *import_edge;      /* per import: edge id, or NONE (missing/duplicate) */
    uint32_t first_in;          /* edges into this module */
    uint32_t waiting_parsed, waiting_checked;
    uint64_t nanos;             /* total task time */
    /* stats.c: earliest finish of this module's parse / latest phase on an
     * ideal machine, from measured task CPU times (the critical path). */
    uint64_t cp_parsed, cp_end;
} Module;

/* trace.c: recorded spans, in blocks allocated in the session arena. */
typedef struct TraceSpan {
    uint64_t start, dur;        /* ns since the build began */
    uint32_t module;            /* NONE for a coordinator busy span */
    uint16_t worker;            /* tid */
    uint8_t  task;              /* TaskKind */
} TraceSpan;

typedef struct TraceBlock {
    struct TraceBlock *next;
    uint32_t count;
    TraceSpan spans[1024];
} TraceBlock;

/* Observability, coordinator-thread data like everything else here. */
typedef struct Obs {
    bool started;               /* t0 set */
    uint64_t t0, t_end;         /* CLOCK_MONOTONIC: build began / coord_run ended */
    uint64_t entry_ns;          /* time inside public entry points */
    uint64_t setup_ns;          /* of which adding roots (discovery) */
    uint64_t finish_ns;         /* of which collecting the results */
    uint64_t wait_ns;           /* of which blocked in runner_wait */
    uint64_t inline_ns;         /* of which running tasks inline */
    uint64_t entry_cpu_ns;      /* this thread's CPU time in entry points */
    uint64_t entry_cpu_begin;
    uint64_t inline_cpu_ns;     /* of which running tasks inline */
    uint64_t busy_since;        /* coordinator busy span began (trace) */
    uint64_t phase_tasks[3], phase_cpu[3];
    uint64_t lines;
    uint64_t critical;
    uint32_t jobs;
    TraceBlock *trace_head, *trace_tail;
    uint64_t trace_lost;        /* spans dropped for want of memory */
    /* progress line */
    uint64_t progress_next;     /* earliest time of the next redraw */
    bool progress_shown;
    uint64_t skipped;           /* tasks of failed modules that never run */
    uint32_t last_module;       /* most recent dispatch, NONE before any */
    uint8_t last_task;
} Obs;

typedef struct ReadyQueue {
    uint32_t *ids;              /* ring of module ids */
    uint32_t head, count, cap;
} ReadyQueue;

typedef struct Root {
    const char *dir;            /* without trailing '/' */
    bool walked;                /* a directory PATH: all its files are known */
    bool is_search;             /* -I */
} Root;

/* A value's printed type is built only when coord_value_get asks for it
 * (then kept in the session's types_arena); --emit-types streams it. */
typedef struct TypeLine { const char *name, *type; } TypeLine;
typedef struct CheckedModule {
    const char *name;
    const Artifact *artifact;
    TypeLine *values;
    uint32_t count;
} CheckedModule;

struct CoordSession {
    CoordOptions opts;
    Arena arena;
    jmp_buf *oom;               /* the running entry point's target, or NULL */
    char error[512];

    Root *roots;                /* PATH roots, in argument order */
    uint32_t root_count, root_cap;
    Root *search;               /* -I */
    uint32_t search_count, search_cap;

    Module **mods;
    uint32_t mod_count, mod_cap;
    InternTable names;          /* module names (the session arena) ... */
    uint32_t *module_of_name;   /* ... name id -> module id (first file) */
    uint32_t module_of_name_cap;
    struct SeenFile *seen;      /* files and directories already seen: */
    uint32_t seen_count, seen_mask; /* open addressing on (dev, inode) */

    Edge *edges;
    uint32_t edge_count, edge_cap;

    /* Ready modules, one FIFO per task they run next: [0] typecheck,
     * [1] canonicalize, [2] parse; dispatch takes the lowest non-empty one
     * (graph.c says why). */
    ReadyQueue ready[3];
    uint32_t ready_count;       /* over all three */
    uint32_t unparsed;          /* modules not yet past parsing */
    bool cycles_done;
    Runner *runner;             /* set by tests to use a scripted runner */
    /* Tests: the cost the stats count for a task instead of its measured CPU
     * time, so the critical path can be checked exactly; NULL otherwise. */
    uint64_t (*task_cost)(const struct CoordSession *s, const Result *r);
    bool ran;
    int status;

    /* results */
    ReportContext *ctxs;        /* per module */
    ReportRef *refs;
    uint32_t ref_count, errors, warnings;
    bool internal_failure;
    CheckedModule *checked;
    uint32_t checked_count;
    Arena *types_arena;         /* printed types asked for by coord_value_get */

    Obs obs;
};

/* session arena allocation (longjmps to s->oom on failure) */
void *co_alloc(CoordSession *s, size_t size);
/* Room for element `count` of a growing array of the coordinator: returns
 * `items`, or a copy of its first `count` elements at double capacity (the
 * old block stays in the session arena). */
void *co_grow(CoordSession *s, void *items, uint32_t count, uint32_t *cap, size_t elem,
              uint32_t first_cap);
_Noreturn void co_oom(CoordSession *s);
char *co_strdup(CoordSession *s, const char *str);
char *co_printf(CoordSession *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void  co_add_report(CoordSession *s, Module *m, ReportCode code, uint32_t start,
                    uint32_t end, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
const char *co_display_name(const Module *m);

/* discover.c */
int      discover_root(CoordSession *s, const char *path);
int      discover_search_dir(CoordSession *s, const char *dir);
uint32_t discover_lookup(CoordSession *s, const char *name);   /* known or found, else NONE */
Module  *discover_module(CoordSession *s, const char *name, const char *path, uint32_t root);

/* graph.c */
void graph_on_parsed(CoordSession *s, Module *m);
void graph_release_parsed(CoordSession *s, Module *m);
void graph_release_checked(CoordSession *s, Module *m);
void graph_release_edge_checked(CoordSession *s, Edge *e);
void graph_ready_push(CoordSession *s, uint32_t id);
uint32_t graph_ready_pop(CoordSession *s);     /* only with ready_count > 0 */

/* cycles.c */
void cycles_report(CoordSession *s);

/* stats.c: timing of public entry points and the coordinator's waits */
void stats_entry_begin(CoordSession *s, uint64_t *start);
/* Only the outermost entry point is timed; they do not nest. */
void stats_entry_end(CoordSession *s, uint64_t start);
void stats_on_result(CoordSession *s, Module *m, const Result *r);

/* trace.c (only with opts.trace) */
void trace_task(CoordSession *s, const Result *r);
void trace_busy(CoordSession *s, uint64_t from, uint64_t to);
void trace_free(CoordSession *s);

/* progress.c (only with opts.progress) */
void progress_update(CoordSession *s);
void progress_erase(CoordSession *s);

/* actor.c */
void actor_run(CoordSession *s);
void actor_drain(CoordSession *s);
/* Tests: run with this runner instead of the one -j selects (not owned). */
int  coord_run_with_runner(CoordSession *s, Runner *r);
ModState coord_module_state(const CoordSession *s, const char *name, bool *failed);

#endif
