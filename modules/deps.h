/* deps — what a module consumed from its imports: the dependency record of
 * a result that outlives a run (DESIGN.md section 7).
 *
 * Two levels, matching what the phases read:
 *   - canonicalize reads an import's whole name interface (it scans it for
 *     poisoned types and walks T(..) constructor lists): the record keeps,
 *     per import, whether an interface was given and its fingerprint
 *     (iface_fingerprint, over names, arities, constructors, poison flags).
 *   - typecheck reads an import's checked artifact only through lookups by
 *     name: check_module notes each (import, kind, name) it looks up, and
 *     the sealed list carries the fingerprint of what the lookup found
 *     (artifact_fingerprint): a value's scheme, a type's definition with all
 *     its constructors' schemes, a constructor's type definition; a fixed
 *     value per kind for an absent name.  So a changed scheme of A.f touches
 *     only the modules that looked A.f up.
 * Fingerprints are computed from the imports' current data and compared,
 * never by re-running a phase.
 */
#ifndef COORD_MODULES_DEPS_H
#define COORD_MODULES_DEPS_H

#include "base/arena.h"
#include "base/builder.h"
#include <stdint.h>

#define DEP_KINDS(X)          \
    X(VALUE, "value")         \
    X(TYPE,  "type")          \
    X(CTOR,  "constructor")

typedef enum {
#define DEP_ENUM_(name, desc) DEP_##name,
    DEP_KINDS(DEP_ENUM_)
#undef DEP_ENUM_
    DEP__COUNT
} DepKind;

const char *dep_kind_name(DepKind k);

/* One looked-up name.  No pointer (written to disk as is). */
typedef struct NameDep {
    uint64_t fp;            /* artifact_fingerprint at the time of the lookup */
    uint32_t import;        /* index into the module's imports */
    uint32_t kind;          /* DepKind */
    uint32_t name;          /* offset of a NUL-terminated name in strings */
    uint32_t pad;           /* 0 */
} NameDep;

/* Sealed: sorted by (import, kind, name bytes), no duplicates. */
typedef struct DepList {
    const NameDep *items;
    uint32_t count;
    const char *strings;
    uint32_t strings_len;
} DepList;

/* Collects lookups during one typecheck (in scratch). */
typedef struct DepRecorder {
    Builder items;          /* NameDep, fp not set yet */
    Builder strings;        /* char */
} DepRecorder;

void dep_recorder_init(DepRecorder *r, Arena *scratch);
/* Notes a lookup of `name` in import `import`'s artifact. */
void dep_note(DepRecorder *r, uint32_t import, DepKind kind, const char *name);
/* Sorts, removes duplicates, fingerprints each name in arts[import] (never
 * NULL for a noted import) and copies the list into `keep`.  Allocation
 * failure follows the arenas' rule (longjmp to their oom target). */
struct Artifact;
DepList dep_seal(DepRecorder *r, const struct Artifact *const *arts, uint32_t art_count,
                 Arena *keep, Arena *scratch);

/* The fingerprint of what a lookup of `name` (kind) in `a` finds. */
uint64_t artifact_fingerprint(const struct Artifact *a, DepKind kind, const char *name);

#endif
