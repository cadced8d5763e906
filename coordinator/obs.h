/* obs — observability of a build: the counters behind coord_stats
 * (stats.c), the Chrome trace spans (trace.c) and the progress line
 * (progress.c).
 *
 * Invariants
 *   - Coordinator-thread data like everything in the session: recorded from
 *     results and the clock on the session's thread only.
 *   - Observing never influences what is dispatched or reported: nothing
 *     outside stats.c, trace.c and progress.c reads these fields back.
 *   - Arrays over phases are indexed by TaskKind (TASK_PARSE, TASK_CANON,
 *     TASK_CHECK), the same indices as CoordPhase (asserted in stats.c).
 */
#ifndef COORD_COORDINATOR_OBS_H
#define COORD_COORDINATOR_OBS_H

#include "coord.h"

#include "workers/worker.h"

#include <stdbool.h>
#include <stdint.h>

struct Module;

/* trace.c: recorded spans, in blocks from mem_alloc (not the session arena:
 * recording never fails a build). */
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
    uint64_t loop_ns;           /* actor_run's dispatch/result loop: busy time */
    uint64_t pump_ns;           /* of which dispatching during discovery (actor_pump) */
    uint64_t pumped;            /* submissions actor_pump made (tests) */
    uint64_t loop_tasks;        /* results it handled */
    uint64_t setup_files;       /* source files adding roots found */
    bool measure_cpu;           /* opts.stats: read the thread CPU clock */
    uint64_t sequenced;         /* typechecks sent along in a sequence (actor.c) */
    uint64_t busy_since;        /* coordinator busy span began (trace) */
    uint64_t phase_tasks[COORD_PHASE_COUNT], phase_cpu[COORD_PHASE_COUNT]; /* by TaskKind */
    uint64_t lines;
    uint64_t critical;
    uint64_t rechecked;         /* modules that ran a phase task */
    uint64_t session_reused;    /* the session's results reused (live.c) */
    uint64_t session_stale;     /* ... whose dependency record no longer held */
    uint64_t session_patched;   /* 1: a patch run, or one with nothing to do */
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

/* stats.c: timing of public entry points and the coordinator's waits */
void stats_entry_begin(CoordSession *s, uint64_t *start);
/* Only the outermost entry point is timed; they do not nest. */
void stats_entry_end(CoordSession *s, uint64_t start);
void stats_on_result(CoordSession *s, struct Module *m, const Result *r);

/* trace.c (only with opts.trace) */
void trace_task(CoordSession *s, const Result *r);
void trace_busy(CoordSession *s, uint64_t from, uint64_t to);
void trace_free(CoordSession *s);

/* progress.c (only with opts.progress) */
void progress_update(CoordSession *s);
void progress_erase(CoordSession *s);

#endif
