/* phases — the three pure phase functions of one module.
 *
 * A phase takes its inputs (read-only, possibly sealed data of other modules
 * shared with other threads) and allocators, and returns a status plus its
 * outputs.  It never touches threads, channels, globals or the coordinator
 * (DESIGN.md sections 1-3), so it runs the same inline (-j1) or on a worker.
 *
 * Allocators
 *   keep     the module's long-lived arena: name interface, checked artifact,
 *            report lists and their messages live here until the build ends.
 *   ast      (parse) the arena the AST is written to; the coordinator resets
 *            it once canonicalization is done.
 *   ir       (canonicalize) the arena of the canonical IR; reset once the
 *            module is checked.
 *   scratch  the worker's scratch arena; reset by the caller after the task.
 *            Nothing allocated there may escape.
 *
 * Failure.  PHASE_FAILED means the phase could not produce a usable result
 * (e.g. parse: no module header, invalid UTF-8); its reports explain why.
 * PHASE_OOM means an allocation failed (the phase set its arenas' oom jump
 * target and caught it); the caller reports E0901 and discards the phase's
 * partial durable output (it resets the ast/ir arenas; `keep` may hold
 * unreachable bytes, which is harmless).  Reports already made are still
 * returned when they could be sealed (else an empty span).
 */
#ifndef COORD_MODULES_PHASES_H
#define COORD_MODULES_PHASES_H

#include "base/arena.h"
#include "modules/ast.h"
#include "modules/deps.h"
#include "modules/iface.h"
#include "reports/report.h"

typedef enum {
    PHASE_OK = 0,
    PHASE_FAILED,      /* no usable result; reports say why */
    PHASE_OOM,         /* allocation failure: E0901 */
    PHASE_INTERNAL,    /* a compiler bug caught at run time: E0902 */
} PhaseStatus;

/* ---- parse: tokenize + parse + name interface ---------------------------- */
typedef struct ParseOutput {
    const Ast *ast;            /* in `ast`; NULL unless PHASE_OK */
    const NameIface *iface;    /* in `keep`; NULL unless PHASE_OK */
    ReportSpan reports;        /* in `keep` */
} ParseOutput;

PhaseStatus parse_module(const char *src, uint32_t len,
                         Arena *keep, Arena *ast, Arena *scratch,
                         ParseOutput *out);

/* ---- canonicalize ------------------------------------------------------- */
typedef struct CanonModule CanonModule;   /* canonical IR, see modules/canon.h */

typedef struct CanonOutput {
    const CanonModule *ir;     /* in `ir`; NULL unless PHASE_OK */
    ReportSpan reports;        /* in `keep` */
} CanonOutput;

/* imports[i] is the name interface of the module named by ast import i
 * (same order as ast->imports and self->imports), or NULL when that import
 * is failed, missing, a duplicate, or otherwise unusable: its names are then
 * poisoned (resolve silently to the error type).  `self` is the module's own
 * interface from its parse.  record_deps: the IR's deps record what was
 * looked up in the imports (modules/deps.h); false leaves it empty (for a
 * caller that never reuses the result: nothing else changes). */
PhaseStatus canon_module(const Ast *ast, const NameIface *self,
                         const NameIface *const *imports, uint32_t import_count,
                         Arena *keep, Arena *ir, Arena *scratch,
                         bool record_deps, CanonOutput *out);

/* ---- typecheck -------------------------------------------------------- */
typedef struct Artifact Artifact;         /* checked artifact, see modules/artifact.h */

typedef struct CheckOutput {
    const Artifact *artifact;  /* in `keep`; NULL unless PHASE_OK */
    ReportSpan reports;        /* in `keep` */
    DepList deps;              /* in `keep` or `scratch` (DepsMode): what
                                * canonicalize (ir->deps) and typecheck looked
                                * up in imports (deps.h) */
} CheckOutput;

/* Where check_module puts the dependency record (out->deps): nowhere (as
 * record_deps false for canon_module: out->deps empty), in `keep` (a later
 * run reuses the result: a session's next run), or in `scratch` (only the
 * task that made it writes it into the result cache: it lives until the
 * caller resets scratch, and keeps no memory of the module). */
typedef enum { DEPS_NONE, DEPS_KEEP, DEPS_SCRATCH } DepsMode;

/* imports[i]: the checked artifact of import i (same order as above), or NULL
 * when that import failed, is missing, or is inside an import cycle with this
 * module: its names have the error type and cause no reports. */
PhaseStatus check_module(const CanonModule *ir,
                         const Artifact *const *imports, uint32_t import_count,
                         Arena *keep, Arena *scratch,
                         DepsMode deps, CheckOutput *out);

#endif
