/* worker — task and result messages, running one task, and the runners that
 * execute tasks (inline, on threads, or in a scripted order for tests).
 *
 * Ownership.  A Task carries read-only pointers to sealed inputs (the name
 * interfaces / checked artifacts of imports, the module's own AST or IR) and
 * hands the module's durable arenas (keep, ast, ir) to whoever runs it.  Until
 * the matching Result comes back, the coordinator neither reads nor writes
 * those arenas.  The pointer arrays a task points to (ifaces, artifacts) are
 * owned by the coordinator and stay untouched until the result arrives.
 * A Result hands the arenas back together with the outputs that live in them.
 *
 * worker_run_task is the one function that runs any task, on a worker thread
 * or inline; the scratch arena belongs to the caller and is reset after every
 * task, so nothing allocated there escapes.
 *
 * Runners (ninja's Plan/Builder/CommandRunner split): the coordinator submits
 * while runner_free_slots > 0 and otherwise waits for one result.
 * runner_submit never blocks and never fails then.  A submission may be a
 * sequence (Task.then) of at most runner_sequence_room tasks: they run in
 * order on one thread, each with its own result, handed back in order; every
 * task of it counts in runner_in_flight.  runner_capacity is how many
 * submissions can be in flight at once (inline and scripted: tasks, a
 * sequence's each counting; threads: submissions, whatever their length, so
 * a long sequence on one worker does not keep the others' inboxes empty).
 */
#ifndef COORD_WORKERS_WORKER_H
#define COORD_WORKERS_WORKER_H

#include "base/arena.h"
#include "base/spin.h"
#include "modules/artifact.h"
#include "modules/iface.h"
#include "modules/phases.h"
#include "modules/result.h"
#include "reports/report.h"
#include "workers/cache_store.h"
#include "workers/manifest.h"
#include "workers/remote.h"
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#define TASK_KINDS(X)              \
    X(PARSE, "parse")              \
    X(CANON, "canonicalize")       \
    X(CHECK, "typecheck")          \
    X(LOAD,  "load")               \
    X(STOP,  "stop")

typedef enum {
#define TASK_ENUM_(name, desc) TASK_##name,
    TASK_KINDS(TASK_ENUM_)
#undef TASK_ENUM_
} TaskKind;

#define RESULT_KINDS(X)                       \
    X(PARSED,        "parsed")                \
    X(CANONICALIZED, "canonicalized")         \
    X(CHECKED,       "checked")               \
    X(PARSE_FAILED,  "parse failed")          \
    X(TASK_FAILED,   "task failed")           \
    X(LOADED,        "loaded")

typedef enum {
#define RESULT_ENUM_(name, desc) RESULT_##name,
    RESULT_KINDS(RESULT_ENUM_)
#undef RESULT_ENUM_
} ResultKind;

/* FAIL_NOFILE: the process is out of file descriptors (EMFILE/ENFILE) and
 * stayed so for a while: the compiler's trouble, not the module's. */
typedef enum { FAIL_NONE, FAIL_OOM, FAIL_INTERNAL, FAIL_NOFILE } FailCause;

const char *task_kind_name(TaskKind k);     /* "parse" */

/* What a task saw of the source file it read (fstat of the descriptor it
 * read from), and when it began reading (CLOCK_REALTIME): the session tier's
 * racy-clean rule (coordinator/live.c) compares it with a later stat. */
typedef struct FileStamp {
    bool set;                           /* false: nothing read from a file */
    int64_t mtime_ns, ctime_ns, read_ns;
    uint64_t size, ino, dev;
} FileStamp;

typedef struct Task {
    TaskKind kind;
    uint32_t module;                    /* coordinator's module id, echoed back */
    /* parse */
    const char *path;                   /* the worker reads the file itself */
    const char *name;                   /* load: the module name the path implies */
    /* canonicalize */
    const Ast *ast;
    const NameIface *self;
    const NameIface *const *ifaces;     /* per import, NULL = poisoned */
    /* typecheck */
    const CanonModule *ir;
    const Artifact *const *artifacts;   /* per import, NULL = poisoned */
    uint32_t import_count;
    /* load: read `path`, hash it, look its results up in `cache`; with no
     * usable candidate, parse at once (a miss costs no second round trip).
     * canonicalize without `ast`: parse `src` first (a module whose cached
     * results all went stale: its source was read by the load task).
     * typecheck with `cache`: also publish the result under `key`: `result`
     * holds what the coordinator knows (interface, parse and canonicalize
     * reports, lines, the imports' part of the dependency record), the task
     * adds the artifact, its reports and the names it looked up. */
    CacheStore *cache;
    /* load: the previous run's stat data (NULL: none).  A source whose
     * record stands for it (workers/manifest.h) is not read: its key comes
     * from the record, and it is read later only if it must be parsed
     * (canonicalize without `src` reads `path`) or its reports printed. */
    const Manifest *manifest;
    /* load and typecheck with `cache`: a remote cache connection, owned by
     * the task until its result hands it back (NULL: no remote).  The
     * modules of a load whose local lookup finds nothing are asked for in
     * one request, and what is fetched is stored locally; a typecheck
     * queues its result's bytes on the connection (sent with a later
     * request on it, or by the coordinator's flush at the end of the run). */
    RemoteConn *remote;
    /* load: a batch of modules, loads[0..load_count) (load_count <=
     * LOAD_BATCH_MAX), each a load of one module (module, path, name,
     * cache, arenas).  Each gets its own result in load_results[i]: a
     * loaded or a parse result, exactly as a load of it alone would give.
     * Both arrays are the coordinator's, untouched until the result. */
    const struct Task *loads;
    struct Result *load_results;
    uint32_t load_count;
    const char *src;
    uint32_t src_len;
    CacheKey key;
    const ModuleResult *result;
    /* load with `live` (the session tier, coordinator/live.c): a source whose
     * key is live_key answers RESULT_LOADED with no candidates and
     * Result.same_bytes (the session holds its result); `cache` may then be
     * NULL (a different source is parsed at once). */
    bool live;
    CacheKey live_key;
    /* the module's durable arenas, handed over for the task */
    Arena *keep, *ast_arena, *ir_arena;
    /* When not NULL (a session that runs once: nothing of a module is ever
     * freed before the session ends), what the task keeps goes instead into
     * keep_by_worker[i].arena, i being the running thread's worker number
     * (0 for the coordinator's thread, 1..N for a worker thread;
     * worker_set_number): one arena per thread, used by it alone, packed
     * with the results of every module it ran, rather than a chunk per
     * module sized by a guess (a fifth of it unused). */
    struct WorkerKeep *keep_by_worker;
    bool measure_cpu;                   /* fill Result.cpu_nanos from the
                                         * thread CPU clock (a system call) */
    bool no_deps;                       /* canonicalize, typecheck: make no
                                         * dependency record (Result.deps
                                         * empty): nobody will reuse the result */
    bool deps_transient;                /* typecheck: the record only goes into
                                         * the result cache's entry (made in
                                         * scratch, Result.deps empty); parse,
                                         * load: the module's keep arena holds
                                         * no record (deps_kept in task.c) */
    bool src_transient;                 /* parse, load: a source read to be
                                         * parsed goes into ast_arena, which
                                         * canonicalize resets (the module
                                         * keeps none of it: the coordinator
                                         * reads it again if a report of it
                                         * is printed) */
    /* A sequence the coordinator chose (typecheck only): once this task's
     * result is made, `fill` receives its artifact (NULL unless it was
     * checked) — an import slot of `then`'s artifacts — and `then` runs
     * next, on the same thread, with a result of its own.  `then` and what
     * it points to belong to the coordinator and stay untouched until its
     * result arrives; the runner reads `then` only before sending this
     * task's result. */
    const struct Task *then;
    const Artifact **fill;
} Task;

/* How many results of one source a load task considers. */
#define LOAD_CANDIDATES 4u
/* The most modules one load task takes (one remote request at most). */
#define LOAD_BATCH_MAX REMOTE_GET_BATCH

typedef struct Result {
    ResultKind kind;
    TaskKind task;
    uint32_t module;
    FailCause cause;                    /* TASK_FAILED only */
    const char *src;                    /* parse: the bytes read (in keep), or NULL */
    uint32_t src_len;
    const Ast *ast;                     /* parsed */
    const NameIface *iface;             /* parsed */
    const CanonModule *ir;              /* canonicalized */
    const Artifact *artifact;           /* checked */
    DepList deps;                       /* checked: names looked up in imports */
    uint64_t art_digest;                /* checked and stored: artifact_deps_digest
                                         * of artifact (the entry holds it); else 0 */
    uint64_t iface_fp;                  /* parsed: iface_fingerprint(iface) */
    ReportSpan reports;                 /* in keep; also for failures */
    /* load (and a parse that a load turned into) */
    bool keyed;                         /* key is the source's */
    CacheKey key;
    uint32_t cand_count;                /* loaded: valid candidates, most recent first */
    const ModuleResult *cands;          /* in keep */
    CacheHold *entries;                 /* in keep: their mappings, released by the owner */
    CacheCounters cache;                /* load/typecheck: what the store counted */
    bool unread;                        /* load: keyed by the manifest; src is NULL */
    bool found_nothing;                 /* a load task's: nothing could be found (no disk
                                         * cache or an empty one, and no remote) and
                                         * every module of it was parsed */
    bool recordable;                    /* keyed: mstat may go into the manifest */
    ManifestStat mstat;                 /* keyed: the file's stat data */
    RemoteConn *remote;                 /* the task's connection, handed back */
    RemoteCounters remote_cnt;          /* what it counted */
    /* A load task's result: loaded[0..loaded_count) are its modules'
     * results (= Task.load_results); the batch's own fields are only
     * remote, remote_cnt and the timing. */
    struct Result *loaded;
    uint32_t loaded_count;
    bool write_failed;                  /* typecheck: the entry could not be written */
    bool same_bytes;                    /* load with `live`: the source is live_key's */
    FileStamp stamp;                    /* parse/load: the file as it was read */
    bool parsed_too;                    /* canonicalize: it parsed first (iface,
                                         * iface_fp and parse_reports are set;
                                         * src too when it read the file) */
    ReportSpan parse_reports;
    uint64_t nanos;                     /* measured task time (wall) */
    /* Observability: measuring never changes what a task produces. */
    uint64_t cpu_nanos;                 /* thread CPU time of the task
                                         * (measure_cpu), else = nanos */
    uint64_t start_nanos;               /* CLOCK_MONOTONIC when it began */
    uint32_t lines;                     /* parse: newlines in the source */
    uint32_t worker;                    /* set by the runner: 1..N for a worker
                                         * thread, 0 for the caller's thread */
} Result;

/* A thread's keep arena (Task.keep_by_worker), on cache lines of its own. */
typedef struct WorkerKeep {
    alignas(64) Arena arena;
} WorkerKeep;

/* Runs one task to its explicit result; resets `scratch` afterwards. */
void worker_run_task(Arena *scratch, const Task *t, Result *r);
/* The calling thread's worker number (Task.keep_by_worker): a worker thread
 * says it first; any other thread is 0. */
void worker_set_number(uint32_t number);
/* Reads a source the way a parse task does (into keep, NUL-terminated, a
 * leading byte-order mark skipped): for the reports of a module whose load
 * did not read it.  0; -1 when out of memory; another value when it cannot
 * be read now. */
int worker_read_source(const char *path, Arena *keep, const char **src, uint32_t *len);
/* CLOCK_MONOTONIC in nanoseconds (the clock of Result.start_nanos). */
static inline uint64_t worker_now_nanos(void) { return spin_now_ns(); }
/* The calling thread's CPU time in nanoseconds. */
uint64_t worker_thread_cpu_nanos(void);

/* ---- runners ---- */
typedef struct Runner Runner;

/* -j1: runs each task at once on the caller's thread; creates no thread. */
Runner  *runner_inline_create(void);
/* -jN (N >= 2): N - 1 worker threads, an inbox and an outbox channel each,
 * one doorbell for the coordinator, whose thread runs a share of the tasks
 * itself (inside runner_wait, when every inbox is full and no result is
 * waiting; runner.c).  NULL when a thread or channel cannot be had; then `why`
 * (why_size bytes) says which ("out of memory", or "cannot create worker
 * thread 3 of 8: <strerror>"). */
Runner  *runner_threads_create(uint32_t jobs, char *why, size_t why_size);
/* Tests: runs tasks inline at submission but hands the results back in a
 * seeded pseudo-random order, up to `capacity` pending at once. */
Runner  *runner_scripted_create(uint64_t seed, uint32_t capacity);

uint32_t runner_capacity(const Runner *r);
uint32_t runner_workers(const Runner *r);  /* threads running tasks, the
                                             * coordinator's included: -j */
uint32_t runner_in_flight(const Runner *r); /* tasks */
/* How many more submissions runner_submit takes now (0: wait first). */
uint32_t runner_free_slots(const Runner *r);
/* How many tasks one runner_submit may carry now (>= 1 with a free slot). */
uint32_t runner_sequence_room(const Runner *r);
/* The most tasks that can be in flight as the second or later tasks of
 * sequences, all submissions together. */
uint32_t runner_sequence_max(const Runner *r);
bool     runner_submit(Runner *r, const Task *t);
/* Runs t and the tasks of its sequence in order (filling each `fill`),
 * handing each result to emit; the caller's scratch arena. */
void     worker_run_sequence(Arena *scratch, const Task *t,
                             void (*emit)(void *ud, const Result *r), void *ud);
/* Blocks until a result is available; only with runner_in_flight > 0.  The
 * threads runner may run a task of the coordinator's own share meanwhile
 * (its result: worker 0, start_nanos after the call began). */
void     runner_wait(Runner *r, Result *out);
/* While the coordinator's thread is busy with something else (discovery,
 * which coord_run overlaps with the first tasks): how many submissions the
 * worker threads take now (never the coordinator's own share, which only
 * runner_wait runs; 0 for the inline and scripted runners, which have no
 * thread to overlap with), and one result if a worker has one ready
 * (false: none now; never blocks).  runner_poll also wakes the workers
 * that got tasks since the last call. */
uint32_t runner_worker_slots(const Runner *r);
bool     runner_poll(Runner *r, Result *out);
/* Stops and joins every thread (after all results were collected). */
void     runner_destroy(Runner *r);

#endif
