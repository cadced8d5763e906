/* result — a finished module's result as flat sections, and back
 * (DESIGN.md section 7: results that outlive a run).
 *
 * A ModuleResult is everything the coordinator keeps of a module that
 * succeeded: its name interface, its checked artifact (with every value's
 * scheme, which --emit-types prints), the reports of its three phases (spans
 * and messages, never a file path: the path is attached when printing),
 * its number of lines, and its dependency record (modules/deps.h): per
 * import how it resolved (an interface given or not, with a broken header
 * or not; an artifact given or not), plus every name canonicalize looked up
 * in an import's interface and every name typecheck looked up in its
 * artifact, each with its fingerprint.
 *
 * result_sections lays a result out as RS__COUNT sections without copying
 * the sealed arrays (the interface and artifact are pointer-free already);
 * only the head and the reports (whose structs hold message pointers) are
 * flattened into scratch.  result_view does the reverse on sections that
 * live in a read-only mapping: it validates every length, offset and index
 * (the cache is untrusted input: a bad section is a miss, never a crash),
 * then sets the view structs' array pointers into the sections.  The only
 * per-item work is turning the flat reports back into Report structs.
 *
 * Pure: no I/O, no threads; allocation through the given arenas (their
 * out-of-memory rule applies).
 */
#ifndef COORD_MODULES_RESULT_H
#define COORD_MODULES_RESULT_H

#include "base/arena.h"
#include "modules/artifact.h"
#include "modules/deps.h"
#include "modules/iface.h"
#include "reports/report.h"

#include <stdbool.h>
#include <stdint.h>

/* Bump when any section's layout or meaning changes. */
#define RESULT_LAYOUT 5u

#define RESULT_SECTIONS(X) \
    X(HEAD)                \
    X(IF_IMPORTS)          \
    X(IF_VALUES)           \
    X(IF_TYPES)            \
    X(IF_CTORS)            \
    X(IF_STRINGS)          \
    X(ART_STRINGS)         \
    X(ART_NODES)           \
    X(ART_EXTRA)           \
    X(ART_NAMED)           \
    X(ART_TYPES)           \
    X(ART_CTORS)           \
    X(ART_VALUES)          \
    X(ART_EXP_VALUES)      \
    X(ART_EXP_TYPES)       \
    X(ART_EXP_CTORS)       \
    X(REPORTS)             \
    X(REPORT_STRINGS)      \
    X(IMPORT_DEPS)         \
    X(NAME_DEPS)           \
    X(DEP_STRINGS)

typedef enum {
#define RESULT_SECTION_ENUM_(name) RS_##name,
    RESULT_SECTIONS(RESULT_SECTION_ENUM_)
#undef RESULT_SECTION_ENUM_
    RS__COUNT
} ResultSectionId;

/* How import i was given to the phases when the result was computed: an
 * interface (to canonicalize), one whose header failed to parse (every name
 * poisoned), an artifact (to typecheck).  What was read of them is in the
 * name deps; the digests (deps.h) of what was given stand for all of them
 * at once (0: not known, then the names decide). */
enum { IMPORT_DEP_IFACE = 1u, IMPORT_DEP_ARTIFACT = 2u, IMPORT_DEP_HEADER_BROKEN = 4u };
typedef struct ImportDep {
    uint32_t flags;         /* IMPORT_DEP_* */
    uint32_t pad;           /* 0 */
    uint64_t iface_digest;  /* iface_deps_digest of the interface given, or 0 */
    uint64_t art_digest;    /* artifact_deps_digest of the artifact given, or 0 */
} ImportDep;

typedef struct ModuleResult {
    const NameIface *iface;
    const Artifact *artifact;
    /* artifact_deps_digest(artifact) (deps.h), which the importers' records
     * are compared with: stored in the entry, so a loaded module's
     * importers do not hash its exports again; 0: not known (computed when
     * an entry is written, or an importer asks) */
    uint64_t art_digest;
    ReportSpan reports[3];  /* parse, canonicalize, typecheck */
    uint32_t lines;
    uint64_t iface_fp;      /* iface_fingerprint(iface) */
    const ImportDep *imports;   /* iface->import_count entries */
    DepList deps;
} ModuleResult;

typedef struct ResultSection {
    const void *data;
    uint64_t len;
} ResultSection;

/* false when scratch ran out (with no oom target set). */
bool result_sections(const ModuleResult *r, Arena *scratch, ResultSection out[RS__COUNT]);
/* false when the sections are not a valid result of RESULT_LAYOUT for a
 * source of src_len bytes.  The view points into the sections, which must
 * outlive it; its own structs and reports go to `arena`. */
bool result_view(const ResultSection *secs, uint32_t n, uint32_t src_len,
                 Arena *arena, ModuleResult *out);
/* An upper bound of what result_view allocates in its arena for these
 * sections (0: they cannot be a result), so a caller can reserve it as one
 * small chunk. */
size_t result_view_bytes(const ResultSection *secs, uint32_t n);
/* Which result of one source this is: a hash of the dependency record. */
uint64_t result_variant(const ModuleResult *r);
/* A hash of everything but the dependency record, field by field (never
 * padding bytes): equal for equal results (--cache-verify). */
uint64_t result_digest(const ModuleResult *r);

#endif
