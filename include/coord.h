/* coord.h — the embedding API of the Kite compile coordinator.
 *
 * A compiler driver creates a session, tells it where the sources are, runs
 * it once, then reads the results: the diagnostics in their final order
 * (module name, line, column, code, message — identical for every `jobs`
 * value) and the checked types of every module.  Destroying the session frees
 * everything it allocated, including the strings handed out below.
 *
 *   CoordOptions o = { .jobs = 4 };
 *   CoordSession *s = coord_session_create(&o);
 *   if (coord_add_root(s, "src") != 0) puts(coord_error(s));
 *   int status = coord_run(s);             // 0 ok, 1 errors, 3 compiler failure
 *   coord_print_reports(s, stderr, COORD_FORMAT_TEXT, false);
 *   coord_session_destroy(s);
 *
 * Threads: a session belongs to the thread that created it; coord_run starts
 * and joins its worker threads itself.  Sessions are independent of each
 * other.
 *
 * Signals: coord never changes the process's signal dispositions.  The remote
 * cache client writes to a socket through hiredis, which can raise SIGPIPE
 * when the server went away; it blocks SIGPIPE on the writing thread around
 * those writes and discards a SIGPIPE they raised, so the embedding program
 * need not ignore SIGPIPE (and may keep its default).
 */
#ifndef COORD_H
#define COORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define COORD_VERSION "0.1.0"

/* Marks the library's API: libcoord.so exports these functions and nothing
 * else (the library is compiled with -fvisibility=hidden).  Every function
 * declared here carries it. */
#if defined(__GNUC__) || defined(__clang__)
#define COORD_API __attribute__((visibility("default")))
#else
#define COORD_API
#endif

typedef struct CoordSession CoordSession;

/* TEXT: diagnostics with source snippets; JSON: one object per line; SARIF:
 * one SARIF 2.1.0 log (columns in UTF-16 code units, see reports/sarif.c). */
typedef enum { COORD_FORMAT_TEXT, COORD_FORMAT_JSON, COORD_FORMAT_SARIF } CoordFormat;

typedef struct CoordOptions {
    uint32_t jobs;          /* tasks at once: jobs - 1 worker threads and the caller's
                             * thread, which runs a share of them; 1 = all inline
                             * on the caller; 0 = online CPUs */
    bool trace;             /* record every task for coord_write_trace */
    /* A progress line (`[tasks done/total] checking Foo.Bar`, rewritten in place
     * with \r and erase-to-end-of-line) on this stream, which should be a
     * terminal; NULL for none.  It first appears progress_after_ms into the
     * build (0 = 300 ms), is redrawn at most 20 times a second, and is erased
     * before coord_run returns. */
    FILE *progress;
    uint32_t progress_after_ms;
    /* The result cache (DESIGN.md section 7): off unless `cache` is set.
     * Then cache_dir (NULL: $COORD_CACHE_DIR, else $XDG_CACHE_HOME/coord,
     * else ~/.cache/coord) bounded by cache_max bytes (0: $COORD_CACHE_MAX,
     * else 1 GiB).  A directory that cannot be used leaves the run uncached
     * with coord_cache_warning saying why.  cache_verify: every reused
     * result is also computed afresh and compared; a difference is an E0902
     * naming the module. */
    bool cache;
    const char *cache_dir;
    uint64_t cache_max;
    bool cache_verify;
    /* The remote tier (with the cache only): a Redis server at remote_cache,
     * redis://HOST[:PORT][/DB] or unix:///path (NULL: $COORD_REMOTE_CACHE,
     * unset or empty: none).  Looked up after the local cache misses; a
     * result fetched is validated like a local one and stored locally; a
     * result computed is also written there unless remote_readonly.
     * remote_timeout_ms bounds the connect (0: 500 ms; each later socket
     * wait half of it); entries live remote_ttl_s seconds (0: 7 days),
     * refreshed on a hit.  A remote that fails costs misses, never the
     * build: coord_remote_warning says what happened. */
    const char *remote_cache;
    bool remote_readonly;
    uint32_t remote_timeout_ms;
    uint32_t remote_ttl_s;
    /* Measure each task's thread CPU time (a system call before and after
     * every task) for coord_stats; without it the stats count each task's
     * wall time instead (a vDSO clock read). */
    bool stats;
    /* Repeated runs (coord_run more than once): by default each run
     * re-scans the roots, comparing every file's stat data with what it was
     * when its bytes were last read, and reads again only where they differ
     * or are racy (git's racy-clean rule).  no_rescan: a run looks only at
     * the paths given to coord_notify and the overlays of coord_set_source
     * (files created or deleted are still found: the directories of the
     * roots are listed again); a change nobody notified goes unseen. */
    bool no_rescan;
    /* The session runs once: a second coord_run fails with COORD_EXIT_USAGE
     * (coord_error says why).  Without a result cache nothing is then kept
     * for a later run: no dependency records (what each module looked up in
     * its imports) are made: measured, a fifth less CPU time and a tenth
     * less peak memory for a cold check (README, Performance).  And
     * coord_add_root checks a directory and registers it but leaves its walk
     * to coord_run, which walks with the worker threads started and hands
     * each module found to a worker at once (discovery overlapped with the
     * first tasks): coord_run then returns COORD_EXIT_USAGE for a directory
     * below a root that cannot be read, with nothing checked (coord_error
     * says which), and the modules are known after coord_run only.  The
     * modules' results are packed in one arena per thread of the run (a
     * session that runs once frees none before it is destroyed).  coord
     * check sets it (not --watch). */
    bool single_run;
} CoordOptions;

/* Exit statuses (LANGUAGE.md section 8). */
enum {
    COORD_EXIT_OK = 0,          /* no errors (warnings allowed) */
    COORD_EXIT_ERRORS = 1,      /* errors in the sources */
    COORD_EXIT_USAGE = 2,       /* usage or I/O error of the invocation */
    COORD_EXIT_INTERNAL = 3,    /* the compiler failed (E09xx, out of memory) */
};

/* NULL when out of memory.  opts may be NULL (defaults). */
COORD_API CoordSession *coord_session_create(const CoordOptions *opts);
COORD_API void          coord_session_destroy(CoordSession *s);

/* Adds a PATH: a directory (a source root: every *.kite below it is checked)
 * or a single .kite file (its root follows from its module name).  Returns 0,
 * or COORD_EXIT_USAGE when the path does not exist, is a file not named
 * *.kite, or holds a directory that cannot be read (message: coord_error;
 * part of the tree may have been added: give up on the session; with
 * CoordOptions.single_run, coord_run reads below the root and says so),
 * or COORD_EXIT_INTERNAL when out of memory.  Call before coord_run (after
 * it: COORD_EXIT_USAGE). */
COORD_API int coord_add_root(CoordSession *s, const char *path);
/* Adds an import search directory (-I), searched after the source roots, in
 * the order added.  Same return values as coord_add_root (COORD_EXIT_USAGE
 * after coord_run). */
COORD_API int coord_add_search_dir(CoordSession *s, const char *dir);
/* The message of the last failed call, or "" (owned by the session). */
COORD_API const char *coord_error(const CoordSession *s);

/* Checks the build; returns its exit status (COORD_EXIT_*).  May be called
 * any number of times: each call brings the results up to date with the
 * files (and the overlays below) and returns what a cold run over them
 * would return; the getters below then show exactly that run's state (the
 * strings of the previous run's reports and types are freed).  A repeated
 * run reuses the session's result of every module whose source and whose
 * imports' fingerprints are unchanged (DESIGN.md section 7), in memory;
 * a replaced result is freed, so a session's memory follows its current
 * files, not the number of runs.  The roots are discovered again each run
 * (new files join, deleted ones leave); a root that can no longer be read
 * fails that run with COORD_EXIT_USAGE (coord_error) and no results. */
COORD_API int coord_run(CoordSession *s);

/* ---- live sessions (editors, coord check --watch) ----
 * Check `path` with `text` (len bytes) instead of the file's contents, from
 * the next coord_run on: an unsaved editor buffer.  Also for a path that is
 * not on disk: below a directory root it joins the build as that root's
 * file would; below a lone file's root or an -I directory it is found when
 * imported; anywhere else it is checked like a lone file argument.  Paths
 * are compared after lexical normalization ("./src//A.kite" is
 * "src/A.kite"; no symbolic links are resolved), so name a file as the
 * roots do.  Returns 0, COORD_EXIT_USAGE (not a .kite path) or
 * COORD_EXIT_INTERNAL (out of memory); coord_error says why. */
COORD_API int coord_set_source(CoordSession *s, const char *path, const char *text, size_t len);
/* Back to the file's contents (nothing when path has no overlay).  0, or
 * COORD_EXIT_INTERNAL when out of memory. */
COORD_API int coord_clear_source(CoordSession *s, const char *path);
/* The file (or every file below the directory) at path was created,
 * changed or deleted: the next coord_run reads it again.  Needed with
 * CoordOptions.no_rescan; harmless otherwise.  0, or COORD_EXIT_INTERNAL
 * when out of memory. */
COORD_API int coord_notify(CoordSession *s, const char *path);
COORD_API int coord_exit_status(const CoordSession *s);

/* ---- reports, in their final order (valid after coord_run) ---- */
typedef enum { COORD_ERROR, COORD_WARNING } CoordSeverity;

typedef struct CoordReport {
    CoordSeverity severity;
    const char *code;           /* "E0301" */
    const char *module;         /* the module's declared name (or the path's) */
    const char *file;           /* path of the source file */
    uint32_t line, col;         /* 1-based; columns count bytes */
    uint32_t end_line, end_col; /* just after the last byte */
    const char *message;
} CoordReport;

COORD_API uint32_t coord_report_count(const CoordSession *s);
/* Fills *out for report i (0 <= i < count); false when out of range. */
COORD_API bool     coord_report_get(const CoordSession *s, uint32_t i, CoordReport *out);
COORD_API uint32_t coord_error_count(const CoordSession *s);
COORD_API uint32_t coord_warning_count(const CoordSession *s);
/* Prints every report: text (with the source line and a caret underline;
 * colour: ANSI colours), JSON (one object per line) or one SARIF log. */
COORD_API void     coord_print_reports(const CoordSession *s, FILE *out, CoordFormat format, bool colour);
/* Prints `coord: 3 errors, 1 warning in 2 modules` (zero counts left out;
 * modules: distinct module names with reports), or nothing without reports.
 * The coord CLI prints it after text diagnostics only. */
COORD_API void     coord_print_summary(const CoordSession *s, FILE *out);

/* Colour for text diagnostics (coord --color=WHEN). */
typedef enum { COORD_COLOUR_AUTO, COORD_COLOUR_ALWAYS, COORD_COLOUR_NEVER } CoordColour;
/* ALWAYS / NEVER decide alone.  AUTO: no colour when NO_COLOR is set and not
 * empty; else colour when CLICOLOR_FORCE is set, not empty and not "0"; else
 * colour when fd is a terminal. */
COORD_API bool     coord_colour_wanted(CoordColour when, int fd);

/* ---- this build of the library ---- */
/* COORD_VERSION of the library actually linked (a shared library may be
 * newer than the header a driver was compiled with). */
COORD_API const char *coord_version(void);
/* A 64-bit id that changes whenever any source or header of the library,
 * the compiler or the build flags change: a result computed by one build is
 * reusable by another exactly when their ids are equal.  Printed as 16
 * lowercase hex digits. */
COORD_API uint64_t    coord_build_id(void);
/* Prints `coord VERSION`, `build id: <16 hex digits>`, `ck VERSION` and
 * `xxHash VERSION` lines (coord --version). */
COORD_API void        coord_print_version(FILE *out);

/* ---- checked types (valid after coord_run) ---- */
/* Modules of the build that were checked, sorted by name (byte order). */
COORD_API uint32_t    coord_module_count(const CoordSession *s);
COORD_API const char *coord_module_name(const CoordSession *s, uint32_t m);
/* Top-level values of module m in source order, with their printed types
 * (LANGUAGE.md section 7).  coord_value_get is false when m or v is out of
 * range or memory ran out; the strings stay until the next coord_run. */
COORD_API uint32_t    coord_value_count(const CoordSession *s, uint32_t m);
COORD_API bool        coord_value_get(const CoordSession *s, uint32_t m, uint32_t v,
                            const char **name, const char **type);
/* Prints `Module.name : type` lines for every module (--emit-types). */
COORD_API void        coord_print_types(const CoordSession *s, FILE *out);

/* ---- observability (valid after coord_run) ----
 * Task times are thread CPU times measured on the worker around the phase
 * function when CoordOptions.stats is set (the modules of one load task
 * share its CPU time in proportion to their wall times), else the tasks'
 * wall times.  The build's wall time runs from the session's first
 * coord_add_root / coord_add_search_dir / coord_run call to the end of
 * coord_run.  Measuring never changes any other result. */
typedef enum { COORD_PHASE_PARSE, COORD_PHASE_CANONICALIZE, COORD_PHASE_TYPECHECK,
               COORD_PHASE_COUNT } CoordPhase;

typedef struct CoordStats {
    uint32_t jobs;                  /* workers the tasks ran on (1 = inline) */
    uint32_t modules;               /* source files of the build */
    uint64_t lines;                 /* newline characters in their sources */
    uint64_t phase_tasks[COORD_PHASE_COUNT];
    uint64_t phase_cpu_ns[COORD_PHASE_COUNT];
    uint64_t tasks;                 /* dispatched tasks (sum of phase_tasks) */
    uint64_t task_cpu_ns;           /* sum of phase_cpu_ns */
    uint64_t coordinator_busy_ns;   /* coordinator thread outside waiting for
                                     * results (inline task time excluded) */
    double   coordinator_ns_per_task;
    uint64_t coordinator_cpu_ns;    /* thread CPU time of the same (busy minus
                                     * time the thread was runnable but not
                                     * running, e.g. cores shared with workers) */
    uint64_t coordinator_setup_ns;  /* of busy: adding roots (discovery) */
    uint64_t coordinator_finish_ns; /* of busy: collecting and sorting the
                                     * results after the last task */
    uint64_t peak_rss_bytes;        /* getrusage ru_maxrss of the process */
    /* makespan lower bound = max(task_cpu_ns / jobs, critical_path_ns), where
     * the critical path runs through measured task times along
     * parse(m) -> canonicalize(m) -> typecheck(m), parse(import) ->
     * canonicalize(m) and typecheck(import) -> typecheck(m) */
    uint64_t critical_path_ns;
    uint64_t lower_bound_ns;
    uint64_t wall_ns;
    double   efficiency;            /* lower_bound_ns / wall_ns */
    /* The result cache (all 0 without one).  phase_tasks count only phases
     * that ran: a module whose result was reused runs none. */
    bool     cache;                 /* a cache was in use */
    uint64_t cache_hits;            /* results reused */
    uint64_t cache_misses;          /* modules with no candidate result */
    uint64_t cache_stale;           /* candidates there, none whose dependencies held */
    uint64_t cache_corrupt;         /* entries rejected by validation */
    uint64_t cache_written;
    uint64_t cache_bytes_read;
    uint64_t cache_bytes_written;
    uint64_t cache_unread;          /* sources not read: their stat data matched the manifest */
    /* The remote cache (all 0 without one).  remote_hits are results
     * fetched that passed validation; remote_wait_ns is the time tasks spent
     * waiting on the network (connects, writes, reads); remote_round_trips
     * counts the requests (each a pipeline of many commands: a load task's
     * reads for all its modules, a batch of queued writes, a connect). */
    bool     remote;
    uint64_t remote_hits;
    uint64_t remote_misses;
    uint64_t remote_errors;
    uint64_t remote_written;
    uint64_t remote_bytes_read;
    uint64_t remote_bytes_written;
    uint64_t remote_wait_ns;
    uint64_t remote_round_trips;
    /* The coordinator's per-task and per-file costs: loop_ns is its busy
     * time in the dispatch/result loop (from the first dispatch to the last
     * result; discovery before it and collecting results after it left
     * out), loop_ns_per_task that over every task result the loop handled
     * (load tasks included); discovery_ns_per_file is setup_ns over the
     * source files that adding roots and search directories found. */
    uint64_t coordinator_loop_ns;
    double   coordinator_loop_ns_per_task;
    double   coordinator_discovery_ns_per_file;
    /* Live sessions.  run: which coord_run of the session this was (1 for
     * the first); rechecked: modules that ran a phase task (parse,
     * canonicalize or typecheck) in it; session_reused / session_stale:
     * modules whose result the session held from the previous run, reused /
     * checked again because a fingerprint of an import changed;
     * session_patched: 1 when the run kept the previous run's module table
     * and graph (no_rescan: only modules whose headers stayed the same
     * changed, or nothing at all), 0 when it rebuilt them. */
    uint64_t run;
    uint64_t rechecked;
    uint64_t session_reused;
    uint64_t session_stale;
    uint64_t session_patched;
} CoordStats;

/* Why the run went on without its cache ("" when it did not): the
 * directory could not be created, or an entry could not be written. */
COORD_API const char *coord_cache_warning(const CoordSession *s);
/* What went wrong with the remote cache ("" when nothing did), for one
 * `coord: warning: remote cache ...` line: e.g. "redis://h:6379/0: timed
 * out (3 errors; not used for the rest of this run)", or a bad URL. */
COORD_API const char *coord_remote_warning(const CoordSession *s);
/* `coord cache info|trim|clean` on the cache that CoordOptions would use
 * with these cache_dir / cache_max: prints to out, errors as "coord: ..."
 * to err; returns an exit status (COORD_EXIT_USAGE for an unknown command). */
COORD_API int coord_cache_command(const char *cmd, const char *dir_or_null, uint64_t max_or_0,
                        FILE *out, FILE *err);
/* "123", "512M", "1G", "2GiB": 0 and *out in bytes, or -1. */
COORD_API int coord_parse_size(const char *s, uint64_t *out);

COORD_API const char *coord_phase_name(CoordPhase p);     /* "parse", "canonicalize", "typecheck" */
/* Fills *out; false (and *out zeroed) before coord_run. */
COORD_API bool coord_stats(const CoordSession *s, CoordStats *out);
/* Prints the stats as `stats.key: value` lines (coord check --stats). */
COORD_API void coord_print_stats(const CoordSession *s, FILE *out);
/* Writes a Chrome trace-event JSON document of every task (needs
 * CoordOptions.trace; otherwise only the thread names): complete events
 * named "<phase> <Module>", ts/dur in microseconds since the build began,
 * pid 1, tid 0 for the coordinator thread (which also runs the tasks at
 * jobs = 1) and 1..jobs for the workers.  0, or -1 on a write error. */
COORD_API int  coord_write_trace(const CoordSession *s, FILE *out);

#endif
