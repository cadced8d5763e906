/* actor — the coordinator's private data: the session, the module table, the
 * import graph, the ready queue and the report store; and the module state
 * machine, which actor.c alone moves.
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
 *   coordinator's total memory is O(modules + edges)).  A public entry point
 *   runs its work inside the protected call (base/protect.h) guarding that
 *   arena, so coordinator code does not check each allocation: running out
 *   of memory in the coordinator itself ends the run with exit status 3
 *   after all in-flight tasks are collected.  A module's durable data lives in its own
 *   arenas: ast is reset once the module is canonicalized, ir once checked;
 *   keep (source, name interface, artifact, reports) until the session ends.
 *   In a session that runs once (single_run) the tasks' kept outputs go
 *   into one arena per runner thread instead (worker_keeps,
 *   Task.keep_by_worker): nothing of a module is freed before the session
 *   ends there, and a chunk per module sized by a guess left a fifth of
 *   every chunk unused.
 *
 * Module life (DESIGN.md section 3), states of ModState:
 *   DISCOVERED  known (discover.c creates a module in this state); the actor
 *               admits it into the parse lane of the ready queue
 *   PARSING     parse task in flight
 *   PARSED      imports resolved into edges; waits for waiting_parsed == 0
 *   CANONICALIZING, CANONICALIZED (waits for waiting_checked == 0), CHECKING
 *   DONE        finished; `failed` says whether it succeeded
 *   With a result cache (coordinator/cache.c), a module is loaded instead:
 *   LOADING     load task in flight (one task loads up to LOAD_BATCH_MAX
 *               modules, each to its own result): it reads and hashes the
 *               source (or, when the manifest's stat data stand for the
 *               file, takes its key from there without reading it: src
 *               stays NULL until a canonicalize task or the reports need it)
 *               and looks up results of it (local cache, then the remote,
 *               asked once for all the task's local misses); with none it
 *               parses at once, and the module goes on as from PARSING
 *   LOADED      candidate results; interface and edges come from them, as
 *               after a parse (it counts as parsed); waits for
 *               waiting_checked == 0, then is validated on this thread:
 *               DONE with a reused result, or PARSED without an AST (its
 *               canonicalize task parses the source the load task read)
 *   Every transition is made in actor.c (its header comment lists them).  A
 *   module in the ready queue is DISCOVERED, PARSED or CANONICALIZED and its
 *   counter is zero (or LOADED, validated in its own lane); it is queued
 *   exactly once per state, in the lane of the task it runs next.
 *
 * Edges
 *   One Edge per import that resolved to a module (not for missing or
 *   duplicate imports), by id (edge_at), in blocks that never move.  waiting_parsed / waiting_checked of the importer count
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
#include "coordinator/obs.h"
#include "modules/phases.h"
#include "reports/report.h"
#include "workers/worker.h"

#include <setjmp.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NONE UINT32_MAX

#define MODULE_STATES(X)                     \
    X(DISCOVERED,     "discovered")          \
    X(LOADING,        "loading")             \
    X(PARSING,        "parsing")             \
    X(PARSED,         "parsed")              \
    X(LOADED,         "loaded")              \
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

#define MODULE_ALIGN 64u            /* a cache line */

typedef struct Module {
    /* What the loop reads or writes at every dispatch and result first, on
     * the struct's first two cache lines (this thread's working set is one
     * Module per task: a line missed is a line fetched from memory). */
    uint32_t id;                /* discovery order */
    ModState state;
    bool failed;
    bool ran_phase;             /* a phase task ran for it this run */
    bool in_patch;              /* in this patch run's affected set (live.c) */
    uint8_t task_imports_class; /* (task_imports' size class) */
    uint32_t first_in;          /* edges into this module */
    uint32_t waiting_parsed, waiting_checked;
    uint32_t import_count;      /* = iface->import_count once parsed */
    uint32_t *import_edge;      /* per import: edge id, or NONE (missing/duplicate) */
    uint32_t cp_after;          /* (see cp_begin) */
    uint32_t seq_slot;          /* its typecheck's sequence slot, or NONE */
    uint32_t dup_of;            /* E0405: the module this file duplicates, or NONE */
    uint32_t lines;
    /* The import array (ifaces or artifacts) of its canonicalize or
     * typecheck task in flight, from the actor's free lists (actor.c),
     * and its size class; NULL when none. */
    void **task_imports;
    uint64_t nanos;             /* total task time */
    /* stats.c: earliest finish of this module's parse / latest phase on an
     * ideal machine, from measured task CPU times (the critical path).
     * cp_begin: when its canonicalize or typecheck in flight could begin,
     * from its imports (actor.c computes it at dispatch, walking them
     * anyway); cp_after: the import whose typecheck precedes its own in a
     * sequence (not known at dispatch; NONE otherwise). */
    uint64_t cp_parsed, cp_end, cp_begin;
    const Ast *ast;
    const NameIface *iface;
    const CanonModule *ir;
    const Artifact *artifact;

    const char *name;           /* the name its path implies (table key) */
    const char *path;           /* as given / discovered */
    uint32_t root;              /* index into the session's roots; NONE for -I */
    const char *src;
    uint32_t src_len;
    const NameIface *self_iface; /* what its own canonicalize sees: iface, or after
                                  * E0403 a copy named by the path (graph.c) */
    ReportSpan phase_reports[COORD_PHASE_COUNT]; /* by TaskKind */
    OwnReport *own;

    /* The result cache (coordinator/cache.c). */
    bool keyed;                 /* key is set: the source was hashed */
    bool recordable;            /* keyed, and mstat may go into the manifest */
    CacheKey key;
    uint64_t iface_fp;          /* iface_fingerprint(iface), once parsed or loaded */
    uint32_t cand_count;        /* LOADED: candidate results, most recent first */
    const ModuleResult *cands;
    CacheHold *entries;         /* their mappings (released with the session) */
    uint32_t verify;            /* --cache-verify: the valid candidate to compare, or NONE */
    const ModuleResult *reused; /* DONE from LOADED: the candidate it reused */
    DepList deps;               /* checked: the names typecheck looked up */
    /* artifact_deps_digest of artifact digest_of (whose interface hash is
     * digest_tag), once an importer's record needed it (cache.c) */
    const Artifact *digest_of;
    uint64_t digest_tag, digest;
    FileStamp stamp;            /* the file as its bytes were read (or the
                                 * session tier's stamp of them) */

    /* The session tier (coordinator/live.c): classified at its first
     * dispatch.  A module that adopted its file's entry holds the entry's
     * keep arena (live_lent) until the next run gives it back. */
    uint8_t live_mode;          /* LIVE_* (live.c) */
    bool live_lent;
    bool released;              /* live.c released its keep arena at the end of a run */
    bool released_header_broken; /* then: whether its interface's header was broken */
    struct ModuleLive *lv;      /* the rest, NULL in a session that runs once */
    ManifestStat mstat;         /* keyed: the source's stat data (recordable) */

    /* The arenas of its AST and IR while it has tasks to run: from its
     * first dispatch to its end (module_phase_arenas, actor.c), then back to
     * the session's free list; NULL otherwise. */
    struct PhaseArenas *phase;

    /* Last, on a cache line of its own (a Module is MODULE_ALIGN-aligned):
     * a worker writes it while a task of the module runs, and this thread
     * reads the fields above (e.g. the state of an importer in flight)
     * meanwhile. */
    alignas(MODULE_ALIGN) Arena keep;
} Module;

/* A module's session-tier fields (coordinator/live.c) apart from it, in
 * the session arena: a session that runs once (CoordOptions.single_run,
 * `coord check`) makes none (Module.lv is NULL), and its Module is 128
 * bytes smaller (1.3 MB less fresh memory for 10 000 modules). */
typedef struct ModuleLive {
    struct LiveFile *file;      /* this path's entry, or NULL */
    uint64_t serial;            /* its result's serial (live.c), 0: none yet */
    uint64_t *dep_serials;      /* live_absorb's scratch */
    const char *overlay;        /* coord_set_source text for its path, or NULL */
    uint32_t overlay_len;
    /* A patch run of the session tier (live.c, live_patch): Module.in_patch, and */
    uint32_t patch_slot;        /* its candidate (live.c), while one is parsed */
    CacheKey overlay_key;       /* (of overlay) */
    Arena prev_keep;            /* the arena of the result it had before a
                                 * patch run computed it again (not lent);
                                 * freed when it is computed again or reset */
    CacheHold *prev_entries;    /* ... and the disk-cache mappings it pointed */
    uint32_t prev_entry_count;  /* into (released with prev_keep) */
    const ModuleResult *patch_res; /* its own result as a candidate (not lent),
                                    * in keep; NULL once computed again */
} ModuleLive;

/* A module's AST and IR arenas (Task.ast_arena, Task.ir_arena), each reset
 * (its chunks freed) by the task after which nothing reads it; only the
 * modules with tasks to run hold a pair (a window's worth, not one per
 * module: a Module is 256 bytes smaller). */
typedef struct PhaseArenas {
    Arena ast, ir;
    struct PhaseArenas *next;   /* on the session's free list */
} PhaseArenas;

typedef struct ReadyQueue {
    uint32_t *ids;              /* ring of module ids */
    uint32_t head, count, cap;
} ReadyQueue;

/* The ready queue's lanes, one FIFO per task a ready module runs next, in
 * the order dispatch serves them (actor.c says why). */
#define READY_LANES(X)                       \
    X(VALIDATE, MS_LOADED)                   \
    X(CHECK, MS_CANONICALIZED)               \
    X(CANON, MS_PARSED)                      \
    X(PARSE, MS_DISCOVERED)

typedef enum {
#define READY_LANE_ENUM_(name, state) LANE_##name,
    READY_LANES(READY_LANE_ENUM_)
#undef READY_LANE_ENUM_
    LANE_COUNT
} ReadyLane;

/* The modules of one load task and their results (Task.loads,
 * Task.load_results), in the session arena and reused: room for 1 << class
 * modules (LOAD_BATCH_CLASSES classes up to LOAD_BATCH_MAX), the results
 * right after this header (so a load task's result finds its batch), then
 * the items.  Sized by class, not all for LOAD_BATCH_MAX: the batches of
 * a walk (a few modules each) took 1.6 MB of fresh memory otherwise. */
typedef struct LoadBatch {
    struct LoadBatch *next;             /* on its class's free list */
    Task *items;
    alignas(16) uint32_t size_class;
} LoadBatch;
#define LOAD_BATCH_CLASSES 7u           /* 1 .. 64 = LOAD_BATCH_MAX */
_Static_assert((1u << (LOAD_BATCH_CLASSES - 1)) == LOAD_BATCH_MAX, "load batch classes");
_Static_assert(sizeof(LoadBatch) % _Alignof(Result) == 0, "load batch header");

typedef struct Root {
    const char *dir;            /* without trailing '/' */
    const char *real;           /* walked: realpath(dir), for nesting; else NULL */
    bool walked;                /* a directory PATH: all its files are known */
} Root;

/* A value of a checked module: its name and printed type, both filled the
 * first time coord_value_get asks (NULL until then), in the session's
 * types_arena; --emit-types streams them instead. */
typedef struct TypeLine { const char *name, *type; } TypeLine;
typedef struct CheckedModule {
    const char *name;
    uint32_t module;            /* its module's id */
    const Artifact *artifact;
    TypeLine *values;           /* count lines, made when the first is asked; NULL before */
    uint32_t count;
} CheckedModule;

struct CoordSession {
    CoordOptions opts;
    Arena arena;
    char error[512];

    Root *roots;                /* PATH roots, in argument order */
    uint32_t root_count, root_cap;
    Root *search;               /* -I */
    uint32_t search_count, search_cap;

    Module **mods;
    uint32_t mod_count, mod_cap;
    /* Module names -> the first module of that name (discover.c): open
     * addressing on the name's hash, linear probing, at most half full. */
    struct NameSlot *name_slots;
    uint32_t name_mask, name_count;
    /* Module names are packed into blocks (discover.c, name_copy): the
     * current block's free part. */
    char *names_at, *names_end;
    /* The walk's scratch (discover.c, walk): empty between walks. */
    Arena walk_tmp;
    /* A session that runs once: what its tasks keep, one arena per worker
     * number of the runner (Task.keep_by_worker; actor.c, actor_begin),
     * freed with the session; NULL otherwise. */
    WorkerKeep *worker_keeps;
    uint32_t worker_keep_count;
    struct SeenFile *seen;      /* files and directories already seen: */
    uint32_t seen_count, seen_mask; /* open addressing on (dev, inode) */

    /* Edges by id, in blocks of EDGE_BLOCK (edge_at): an edge never moves,
     * and a growing graph never copies its edges into fresh memory (fresh
     * pages are what costs on this thread: each is a page fault). */
    Edge **edge_blocks;
    uint32_t edge_count, edge_block_cap;

    ReadyQueue ready[LANE_COUNT];
    /* Import arrays of tasks (actor.c): free lists by size class (class k
     * holds 4 << k pointers), linked through their first element; in the
     * session arena, reused as results come back. */
    void **imports_free[32];
    /* graph.c's table of the imports seen so far, their names' hashes and
     * the modules they name,
     * reused by every parse */
    uint32_t *import_seen, *import_hash, *import_target;
    uint32_t import_seen_cap;
    uint32_t ready_count;       /* over all lanes */
    uint32_t admitted;          /* modules [0, admitted) were queued to parse */
    uint32_t unparsed;          /* admitted modules not yet past parsing */
    uint32_t open;              /* modules whose first task was dispatched, not DONE */
    uint32_t window;            /* the parse lane is served while open < window */
    bool cycles_done;
    bool loads_find_nothing;    /* a load task found nothing to look in (actor.c) */
    Runner *runner;             /* set by tests to use a scripted runner */
    /* Typecheck sequences (actor.c): the follow-up tasks of sequences in
     * flight, runner_sequence_max slots; seq_free[0, seq_slots - seq_busy)
     * are the free ones (a stack), a module holding one has it in seq_slot. */
    Task *seq_tasks;
    uint32_t *seq_free;
    uint32_t seq_slots, seq_busy;
    /* Tests: the cost the stats count for a task instead of its measured CPU
     * time, so the critical path can be checked exactly; NULL otherwise. */
    uint64_t (*task_cost)(const struct CoordSession *s, const Result *r);
    /* Tests: sees every task result before the coordinator applies it (what
     * the result points to is valid during the call); NULL otherwise. */
    void (*on_result)(void *ud, const struct CoordSession *s, const Result *r);
    void *on_result_ud;
    /* Discovery overlapped with the first tasks (coord check: single_run).
     * coord_add_root checks a directory root and registers it, and leaves
     * its walk to coord_run (pending_walks, in order; discover_pending),
     * which walks with the runner's threads started: actor_pump (the
     * walk's walk_pump) dispatches each module found to a worker at once,
     * its first task (a parse, or a load batch), while the walk goes on;
     * the results that come back meanwhile wait in `stashed` until the
     * walk is over (resolving an import needs every module known), and
     * actor_run applies them first.  actor_begun: actor_run's setup is
     * done (actor_pump does it before the first dispatch). */
    struct PendingWalk *pending_walks;
    uint32_t pending_count, pending_cap;
    void (*walk_pump)(struct CoordSession *s);
    Result *stashed;
    uint32_t stashed_count, stashed_cap;
    bool actor_begun;
    PhaseArenas *phase_free;    /* pairs no module holds (actor.c; heap) */
    bool ran;
    int status;
    uint64_t run_count;         /* coord_run calls so far */
    /* The session tier (coordinator/live.c): what outlives a run, NULL
     * until the first repeated coord_run / coord_set_source /
     * coord_notify.  Everything above `live` in this struct that is not
     * an option or a hook is run state, rebuilt by every run. */
    struct Live *live;

    /* results */
    ReportContext *ctxs;        /* per module */
    ReportRef *refs;
    uint32_t ref_count, errors, warnings;
    bool internal_failure;
    bool out_of_fds;            /* a task found no file descriptor: the run
                                 * fails (exit 3) with one message, no reports */
    CheckedModule *checked;
    uint32_t checked_count;
    /* Patch runs (results_patch): refs and checked rebuilt on the heap
     * (these own them, else NULL), and module id -> index in checked
     * (NONE: no artifact), heap, built by the first patch run. */
    ReportRef *refs_owned;
    CheckedModule *checked_owned;
    uint32_t *checked_of;
    Arena *types_arena;         /* printed types asked for by coord_value_get */

    Obs obs;

    /* The result cache: NULL when off or when it could not be opened. */
    CacheStore *cache;
    char cache_warning[600];
    /* The previous run's stat data for this run's shape (workers/manifest.h;
     * NULL: none), and whether this run must write it anew (it read a
     * source: a change, a new file, or a record too recent to trust). */
    Manifest *manifest;
    uint64_t manifest_shape;
    bool manifest_dirty;
    /* Fingerprints of the imports' artifact names that validating
     * dependency records computed this run (cache.c dep_artifact_fp):
     * direct-mapped by (artifact, kind, index), allocated by actor_run
     * when results may be reused, else NULL. */
    struct FpMemoSlot *fp_memo;
    /* The remote tier (coordinator/cache.c): NULL when off.  Its
     * connections belong to whoever holds them: the free ones here, the
     * others inside the load or typecheck task that carries them, until the
     * result brings them back (ownership moves with messages). */
    Remote *remote;
    RemoteConn **remote_free;
    uint32_t remote_free_count, remote_conn_count;
    RemoteCounters remote_obs;
    char remote_warning[400];
    /* Load tasks' module arrays (actor.c): one LoadBatch per load task in
     * flight, back on this free list when its result has been applied. */
    struct LoadBatch *load_free[LOAD_BATCH_CLASSES];
    struct {
        uint64_t hits, misses, stale, corrupt, written, bytes_read, bytes_written, unread;
    } cache_obs;
};

/* Edges are kept in blocks of this many (EDGE_BLOCK * sizeof(Edge) bytes:
 * within one chunk of the session arena). */
#define EDGE_BLOCK_SHIFT 10u
#define EDGE_BLOCK (1u << EDGE_BLOCK_SHIFT)

static inline Edge *edge_at(const CoordSession *s, uint32_t id)
{
    return &s->edge_blocks[id >> EDGE_BLOCK_SHIFT][id & (EDGE_BLOCK - 1)];
}

/* session.c: session arena allocation (longjmps to the arena's out-of-memory
 * target on failure) and the coordinator's own reports */
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
/* The walks discover_root left for later (CoordOptions.single_run: see
 * pending_walks above), in order, calling s->walk_pump as modules are found
 * when it is set.  0, or the exit status of a directory that cannot be read
 * (coord_error says which). */
int      discover_pending(CoordSession *s);
int      discover_search_dir(CoordSession *s, const char *dir);
uint32_t discover_lookup(CoordSession *s, const char *name);   /* known or found, else NONE */
/* The same with the name's hash (discover_name_hash), which a caller with
 * many names computes first, prefetching each one's slot (discover_prefetch)
 * so that their cache misses overlap. */
uint32_t discover_name_hash(const char *name);
void     discover_prefetch(const CoordSession *s, uint32_t hash);
uint32_t discover_lookup_hashed(CoordSession *s, const char *name, uint32_t hash);
Module  *discover_module(CoordSession *s, const char *name, const char *path, uint32_t root);

/* graph.c: the import edges of a module that was just parsed (its state is
 * PARSED), with E0401/E0403/E0404/E0405; new modules it discovers are left
 * for the actor to admit. */
void graph_resolve_imports(CoordSession *s, Module *m);

/* cycles.c: reports every import cycle and marks its edges in_cycle; returns
 * the marked edges whose checked_done is still clear, in a deterministic
 * order, for the actor to complete (*count of them). */
uint32_t *cycles_report(CoordSession *s, uint32_t *count);

/* results.c: the frozen report store and checked-module list (api.c's
 * invariants) from the finished modules. */
void results_collect(CoordSession *s);
/* After a patch run (live.c): the same store, brought up to date for the
 * modules of `list` that ran a phase (the rest are as they were). */
void results_patch(CoordSession *s, Module *const *list, uint32_t n);
/* The first patch run over a module table: checked_of. */
void results_index(CoordSession *s);
/* What results_patch put on the heap (before the run state goes). */
void results_free_owned(CoordSession *s);

/* cache.c: what import i of m gives its phases (NULL: poisoned names) */
const NameIface *import_iface(const CoordSession *s, const Module *m, uint32_t i);
const Artifact  *import_artifact(const CoordSession *s, const Module *m, uint32_t i);
/* How import i of m resolved, as a dependency record states it
 * (IMPORT_DEP_* of modules/result.h). */
uint32_t import_flags(const CoordSession *s, const Module *m, uint32_t i);
/* The same with the digests of what it gives (modules/deps.h), as a record
 * made now would hold them. */
ImportDep import_dep(const CoordSession *s, const Module *m, uint32_t i);
/* m's artifact a has artifact_deps_digest d (from its entry, or from the
 * task that wrote one): its importers are compared with d without hashing
 * a's exports again.  d 0: nothing known, nothing noted. */
void cache_note_digest(Module *m, const Artifact *a, uint64_t d);
void cache_open(CoordSession *s);               /* at the start of coord_run */
void cache_finish(CoordSession *s);             /* at its end: the automatic trim */
void cache_close(CoordSession *s);              /* with the session: every mapping */
void cache_count(CoordSession *s, const Result *r);
/* A keyed load or parse result: m's stat data for the manifest. */
void cache_note_stat(CoordSession *s, Module *m, const Result *r);
RemoteConn *cache_remote_take(CoordSession *s, bool write);
/* The first candidate of a LOADED module whose dependency record holds
 * against its imports now, or NONE. */
/* Clears what validation remembers (a new run; cache.c). */
void cache_memo_begin(CoordSession *s);
/* Opens the stat manifest again for a repeated run's replayed roots. */
void cache_manifest_reopen(CoordSession *s);
uint32_t cache_validate(const CoordSession *s, const Module *m);
/* Makes a typecheck task of a fresh module also publish its result. */
void cache_prepare_store(CoordSession *s, Module *m, Task *t);
bool cache_verify_matches(const Module *m);

/* live.c: the session tier (DESIGN.md section 7) */
enum { LIVE_FRESH = 1, LIVE_ADOPT, LIVE_PROBE, LIVE_OVERLAY };
int  live_record_add(CoordSession *s, const char *path, bool search); /* 0, or -1 (memory) */
/* Before a repeated run, outside the protected call: the last run's
 * modules hand their arenas to the session's entries. */
void live_absorb(CoordSession *s);
/* Inside the protected call of a repeated run, on the reset run state: the
 * recorded coord_add_root / coord_add_search_dir calls again, then the
 * overlay paths discovery did not find.  0 or an exit status (coord_error). */
int  live_rediscover(CoordSession *s);
int  live_add_overlays(CoordSession *s);
/* The run is over (ok: its results are complete). */
void live_end_run(CoordSession *s, bool ok);
/* A repeated run has nothing to look at: no_rescan, the last run completed,
 * without an internal failure (E0901/E0902), and nothing was notified
 * since (coord_set_source and coord_clear_source notify their path; roots
 * cannot be added after a run).  Its results, reports and exit status
 * stand. */
bool live_unchanged(const CoordSession *s);
void live_free(CoordSession *s);
/* The first dispatch of a DISCOVERED module: LIVE_ADOPT when it adopted its
 * entry's result (then it is to be LOADED, no task), LIVE_PROBE (a load
 * task with the entry's key), LIVE_OVERLAY (a parse of live_overlay_copy)
 * or LIVE_FRESH (as in a cold run). */
int  live_dispatch(CoordSession *s, Module *m);
/* True when the session tier holds nothing (no kept results, no overlays):
 * live_dispatch would answer LIVE_FRESH for every module, so load tasks
 * may take many modules at once. */
bool live_idle(const CoordSession *s);
const char *live_overlay_copy(CoordSession *s, Module *m);
CacheKey live_probe_key(const Module *m);    /* LIVE_PROBE: the entry's key */
/* cache_validate for an adopted result, O(imports) when no import changed. */
uint32_t live_validate(const CoordSession *s, const Module *m);
/* A repeated run may be a patch run: no_rescan, the last run completed
 * without an internal failure, something was notified, no result cache. */
bool live_patchable(const CoordSession *s);
/* A patch run (no_rescan, only modules whose headers stayed the same
 * changed): 0 when done (results in place), 1 when the run must be a full
 * replay (nothing of the run state changed).  In the protected call, with
 * the runner set. */
int  live_patch(CoordSession *s);
/* After a patch run failed as a whole: the parsed candidates' arenas. */
void live_patch_abandon(CoordSession *s);
/* A patch run's LOADED module whose imports of the run (in_patch) all
 * kept their results: its own holds as it did (early cutoff). */
bool live_patch_holds(const CoordSession *s, const Module *m);
/* A patch run's module (not lent) whose result no longer holds: a fresh
 * arena with a copy of its bytes; the old one is prev_keep. */
void live_patch_stale(CoordSession *s, Module *m);
/* prev_keep and prev_entries go (reset, session end). */
void live_retire(Module *m);
/* A new module's session-tier fields (discover.c): NULL in a session that
 * runs once, whose modules get them only if live_dispatch needs them (an
 * overlay); zeroed, in the session arena. */
ModuleLive *live_module_new(CoordSession *s);
/* A load task found the bytes of the entry's result: adopt it. */
void live_same_bytes(CoordSession *s, Module *m, const Result *r);
/* An adopted result about to be computed again (stale, or --cache-verify):
 * the module gets its own keep arena with a copy of the bytes. */
void live_stale(CoordSession *s, Module *m);
/* "./a//b/./c/" -> "a/b/c" into buf; false when it does not fit. */
bool live_normalize(const char *path, char *buf, size_t size);
/* discover.c asks: the overlay text of a path (NULL: none). */
const char *live_overlay(const CoordSession *s, const char *path, uint32_t *len);
/* discover.c: an overlay path that discovery did not find (normalized). */
void discover_overlay_path(CoordSession *s, const char *path);

/* sarif_log.c: coord_print_reports in COORD_FORMAT_SARIF (one SARIF log). */
void co_print_sarif(const CoordSession *s, FILE *out);

/* actor.c */
void actor_run(CoordSession *s);
/* m's pair of phase arenas, taken from the free list (or made) if it holds
 * none; module_phase_free frees the chunks of every pair (session end). */
PhaseArenas *module_phase_arenas(CoordSession *s, Module *m);
void module_phase_free(CoordSession *s);
/* Discovery overlapped with the first tasks (pending_walks above): the
 * modules found since the last call go to the workers while they can take
 * a submission, and what the workers finished goes to `stashed`. */
void actor_pump(CoordSession *s);
/* A patch run (live.c): every module of `list` (the changed modules, just
 * parsed, PARSED with their new interface, then the modules that import
 * them, directly or not) runs again from there: the others are DONE and
 * stay so; a module of the list waits for the modules of the list it
 * imports (not in a cycle with it), an importer is validated (LOADED) as
 * in any repeated run.  Then the loop, as actor_run. */
void actor_run_patch(CoordSession *s, Module *const *list, uint32_t n, uint32_t changed);
/* Ready queue rings that hold every module (a patch run allocates none). */
void actor_reserve_ready(CoordSession *s);
void actor_drain(CoordSession *s);
/* Tests: run with this runner instead of the one -j selects (not owned). */
int  coord_run_with_runner(CoordSession *s, Runner *r);
ModState coord_module_state(const CoordSession *s, const char *name, bool *failed);

#endif
