/* deps — what a module consumed from its imports: the dependency record of
 * a result that outlives a run (DESIGN.md section 7).
 *
 * One sorted list of looked-up names, each with the fingerprint of what the
 * lookup found, per import, at two levels matching what the phases read:
 *   - canonicalize reads an import's name interface only by name (deps
 *     noted by canon_module, fingerprinted by iface_dep_fingerprint):
 *       IF_VALUE     a value of an exposing item or of a qualified `A.x`:
 *                    present or not, poisoned or not;
 *       IF_TYPE      a type of an exposing item `T` or of a qualified `A.T`
 *                    in a type: present or not, poisoned, arity;
 *       IF_TYPE_ALL  a type of an exposing item `T(..)`: the same plus
 *                    whether its constructors are exposed and their names
 *                    (they enter the importer's scope, where they may clash
 *                    with its own constructors or another import's: E0203);
 *       IF_CTOR      a qualified constructor `A.C`: present or not, its
 *                    type poisoned or not; when absent, whether the
 *                    interface has a poisoned type (then the lookup is
 *                    silent instead of E0206).
 *     An import's names that a module never looked up are no part of its
 *     record: Kite brings names into unqualified scope only through
 *     explicit exposing items, so a name an import adds or drops can change
 *     the module's canonicalization (a resolution, an E0206, an E0203
 *     clash) only if the module looked it up.
 *   - typecheck reads an import's checked artifact only through lookups by
 *     name: check_module notes each (import, kind, name) it looks up, and
 *     the sealed list carries the fingerprint of what the lookup found
 *     (artifact_fingerprint): a value's scheme, a type's definition with all
 *     its constructors' schemes, a constructor's type definition; a fixed
 *     value per kind for an absent name.  So a changed scheme of A.f touches
 *     only the modules that looked A.f up.
 * The canonical IR carries canonicalize's sealed list; check_module merges
 * it into its own (CheckOutput.deps is the whole record).  How each import
 * resolved (given an interface, an artifact, a broken header) is kept next
 * to it by the coordinator (result.h ImportDep).  Fingerprints are computed
 * from the imports' current data and compared, never by re-running a phase.
 */
#ifndef COORD_MODULES_DEPS_H
#define COORD_MODULES_DEPS_H

#include "base/arena.h"
#include "base/builder.h"
#include <stdbool.h>
#include <stdint.h>

#define DEP_KINDS(X)                                      \
    X(VALUE,       "value")                               \
    X(TYPE,        "type")                                \
    X(CTOR,        "constructor")                         \
    X(IF_VALUE,    "exposed value")                       \
    X(IF_TYPE,     "exposed type")                        \
    X(IF_TYPE_ALL, "exposed type with its constructors")  \
    X(IF_CTOR,     "exposed constructor")

typedef enum {
#define DEP_ENUM_(name, desc) DEP_##name,
    DEP_KINDS(DEP_ENUM_)
#undef DEP_ENUM_
    DEP__COUNT
} DepKind;

const char *dep_kind_name(DepKind k);

/* Kinds fingerprinted against the import's name interface (canonicalize),
 * the others against its checked artifact (typecheck). */
static inline int dep_kind_reads_iface(uint32_t k)
{
    return k >= DEP_IF_VALUE && k < DEP__COUNT;
}

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

/* Collects lookups during one canonicalize or typecheck (in scratch).  One
 * that is off (nobody will use the record: a session that runs once,
 * without a result cache) notes nothing and seals an empty list. */
typedef struct DepRecorder {
    Builder items;          /* NameDep, fp not set yet */
    Builder strings;        /* char */
    bool on;
} DepRecorder;

void dep_recorder_init(DepRecorder *r, Arena *scratch, bool on);
/* Notes a lookup of `name` in import `import`'s interface or artifact
 * (by kind). */
void dep_note(DepRecorder *r, uint32_t import, DepKind kind, const char *name);
/* Notes every item of a sealed list with its fingerprint as it is
 * (typecheck takes canonicalize's record over). */
void dep_note_sealed(DepRecorder *r, const DepList *l);

/* Sorts, removes duplicates and copies the list into `keep`.  dep_seal
 * fingerprints each artifact kind's name in arts[import] (never NULL for a
 * noted import) and leaves the interface kinds' fingerprints as noted
 * (dep_note_sealed); dep_seal_ifaces fingerprints each interface kind's name
 * in ifaces[import] (never NULL for a noted import).  Allocation failure
 * follows the arenas' rule (longjmp to their oom target). */
struct Artifact;
struct NameIface;
DepList dep_seal(DepRecorder *r, const struct Artifact *const *arts, uint32_t art_count,
                 Arena *keep, Arena *scratch);
DepList dep_seal_ifaces(DepRecorder *r, const struct NameIface *const *ifaces, uint32_t count,
                        Arena *keep, Arena *scratch);

/* The fingerprint of what a lookup of `name` (an artifact kind) in `a`
 * finds. */
uint64_t artifact_fingerprint(const struct Artifact *a, DepKind kind, const char *name);
/* The same in two steps, so a caller can remember the second: where `name`
 * of that kind is in the artifact (UINT32_MAX: absent; any other kind:
 * UINT32_MAX), and the fingerprint of what is there (UINT32_MAX: of the
 * absence).  artifact_fingerprint(a, k, n) ==
 * artifact_fingerprint_at(a, k, artifact_dep_index(a, k, n)). */
uint32_t artifact_dep_index(const struct Artifact *a, DepKind kind, const char *name);
uint64_t artifact_fingerprint_at(const struct Artifact *a, DepKind kind, uint32_t index);
/* The fingerprint of what a lookup of `name` (an interface kind) in `f`
 * finds, as canonicalize sees it (see the list above).  No allocation;
 * O(log names), IF_CTOR O(exposed constructors). */
uint64_t iface_dep_fingerprint(const struct NameIface *f, DepKind kind, const char *name);

/* Import digests: one hash per import that stands for every fingerprint a
 * record could hold of it, so a record whose import shows the digest it was
 * made against holds for all that import's names without looking one up
 * (the early cutoff per import; the names decide only when it differs).
 *   artifact_deps_digest: the module's name and every exported value,
 *     type and constructor with its artifact_fingerprint_at (an absent
 *     name's fingerprint is a function of the kind and the module's name);
 *   iface_deps_digest: from iface_fingerprint(f), which covers every field
 *     iface_dep_fingerprint reads (poisoned_types is whether a type of the
 *     interface is poisoned, each of which it hashes).
 * Never 0: a record's digest 0 means "not known" and never matches. */
uint64_t artifact_deps_digest(const struct Artifact *a);
uint64_t iface_deps_digest(uint64_t iface_fp);

#endif
