/* types — the type store of one typecheck task, unification, the type
 * printer of LANGUAGE.md section 7, and the private layout of the sealed
 * checked artifact.
 *
 * Invariants
 *   - A type is a 32-bit index into a flat array of TyNode.  Compound types
 *     (FN, TUPLE, CON) keep their children in the store's `extra` array:
 *     FN:    extra[a .. a+b-1] the b parameters, extra[a+b] the result;
 *     TUPLE: extra[a .. a+b-1] the b elements;
 *     CON:   extra[a .. a+b-1] the b type arguments, c = named-type id.
 *   - VAR: a = link (TY_NONE while unbound), b = level.  Union-find: a bound
 *     variable is followed (ty_find) and its chain compressed.  A variable
 *     whose level is TY_GENERIC is quantified (generalized) and is copied by
 *     ty_instantiate; every other node is shared.
 *   - RIGID: an annotation variable (a skolem), b = level; unifies only with
 *     itself and with flexible variables of its level or deeper (a variable
 *     of an outer level would let it escape its declaration: a mismatch).
 *     Generalized like VAR.
 *   - GEN: a = quantifier index; appears only in sealed artifacts.
 *   - ERROR unifies with everything without a report, and a variable that
 *     meets it is bound to it: it is how one mistake gives one report.
 *   - Named types (CON) are identified by their qualified name "Mod.Type",
 *     interned in the store (`named`: id = intern id), never by pointer into
 *     another module's data.
 *   - The store lives in the task's scratch arena; nothing in it escapes the
 *     task: check_module copies what it exports into the artifact.
 *
 * Unification orientation: ty_unify(expected, found): `expected` is what the
 * context requires, `found` what the expression has.  Messages say
 * "expected X, found Y" in that order.
 */
#ifndef COORD_MODULES_TYPES_H
#define COORD_MODULES_TYPES_H

#include "base/arena.h"
#include "base/builder.h"
#include "base/intern.h"
#include <stdbool.h>
#include <stdint.h>

#define TY_KINDS(X) \
    X(VAR)          \
    X(RIGID)        \
    X(GEN)          \
    X(ERROR)        \
    X(INT)          \
    X(BOOL)         \
    X(STR)          \
    X(UNIT)         \
    X(FN)           \
    X(TUPLE)        \
    X(CON)

typedef enum {
#define TY_ENUM_(k) TY_##k,
    TY_KINDS(TY_ENUM_)
#undef TY_ENUM_
    TY__COUNT
} TyKind;

const char *ty_kind_name(TyKind k);

#define TY_NONE    UINT32_MAX
#define TY_GENERIC UINT32_MAX   /* level of a quantified variable */

typedef struct TyNode {
    uint32_t kind;
    uint32_t a, b, c;
} TyNode;

/* ---- the store --------------------------------------------------------- */
typedef struct UnifyPair { uint32_t e, f, epoch; } UnifyPair;

typedef struct TyStore {
    Arena *arena;           /* scratch */
    Builder nodes;          /* TyNode */
    Builder extra;          /* uint32_t */
    Builder stamp;          /* uint32_t per node: epoch of the last copy visit */
    Builder copy;           /* uint32_t per node: its copy in that visit */
    uint32_t epoch;
    Builder work;           /* uint32_t: explicit stack of unify */
    Builder occ;            /* uint32_t: explicit stack of occurs/levels */
    Builder pairs;          /* UnifyPair: compound pairs one ty_unify met */
    uint32_t pairs_used;    /* entries of the current call (pair_epoch) */
    uint32_t pair_epoch;
    InternTable named;      /* "Mod.Type" -> named id */
    Builder named_modlen;   /* uint32_t per named id: bytes of "Mod" */
    uint32_t level;         /* current let level (0 = top level) */
    uint32_t t_int, t_bool, t_str, t_unit, t_error;
} TyStore;

void     ty_store_init(TyStore *s, Arena *scratch);
/* Room for about `nodes` type nodes (and as many extra words), so that a
 * store of the expected size is never copied while it grows. */
void     ty_store_reserve(TyStore *s, uint32_t nodes);
static inline const TyNode *ty_node(const TyStore *s, uint32_t t)
{
    return &((const TyNode *)s->nodes.data)[t];
}
static inline const uint32_t *ty_extra(const TyStore *s, uint32_t i)
{
    return &((const uint32_t *)s->extra.data)[i];
}
uint32_t ty_find(TyStore *s, uint32_t t);            /* follows VAR links */
uint32_t ty_var(TyStore *s);                         /* fresh VAR at s->level */
uint32_t ty_generic_var(TyStore *s);                 /* fresh quantified VAR */
uint32_t ty_rigid(TyStore *s, uint32_t level);
uint32_t ty_fn(TyStore *s, const uint32_t *params, uint32_t n, uint32_t result);
uint32_t ty_tuple(TyStore *s, const uint32_t *elems, uint32_t n);
uint32_t ty_con(TyStore *s, uint32_t named, const uint32_t *args, uint32_t n);
/* Named types: "Mod" + "." + "Type". */
uint32_t ty_named(TyStore *s, const char *module, const char *type);
const char *ty_named_qname(const TyStore *s, uint32_t named, uint32_t *modlen);

typedef enum { TY_OK, TY_MISMATCH, TY_OCCURS } TyResult;
/* On TY_OCCURS, *occ_var / *occ_type say which variable would contain
 * which type. */
TyResult ty_unify(TyStore *s, uint32_t expected, uint32_t found,
                  uint32_t *occ_var, uint32_t *occ_type);
/* After TY_OCCURS: the infinite type does not exist, so both sides become
 * the error type (the variable is bound to it, the type's node turns into
 * it), and what was built on them is silent from then on (E0303 is the one
 * report). */
void     ty_occurs_failed(TyStore *s, uint32_t occ_var, uint32_t occ_type);

/* Generalization with levels: variables (and rigid ones) of t whose level
 * is deeper than s->level become TY_GENERIC. */
void     ty_generalize(TyStore *s, uint32_t t);
/* Copy of t with fresh variables (at s->level) for its generic ones.  All
 * generic variables of one call map consistently. */
uint32_t ty_instantiate(TyStore *s, uint32_t t);
bool     ty_is_error(TyStore *s, uint32_t t);       /* contains ERROR anywhere */

/* ---- printing ---------------------------------------------------------- */
/* A read-only view of a type graph: a store or an artifact. */
typedef struct TyGraph {
    const TyNode *nodes;
    const uint32_t *extra;
    /* qualified name of a named type and the length of its module part */
    const char *(*qname)(const void *ctx, uint32_t named, uint32_t *modlen);
    const void *ctx;
} TyGraph;

TyGraph ty_store_graph(const TyStore *s);

/* One printer per printed line/message: variable names are consistent
 * across every type printed with it (a, b, ... z, a1, b1, ...). */
typedef struct TyPrinter {
    TyGraph g;
    const char *self_module;  /* types of this module print unqualified */
    Builder out;              /* char */
    Builder vars;             /* uint32_t: hash table of variable -> name number */
    uint32_t var_count;
    Builder stack;            /* uint32_t: work stack of ty_print */
    uint32_t limit;           /* TY_PRINT_LIMIT unless a test lowers it */
} TyPrinter;

/* A printed type is bounded: once one ty_print has written more than
 * `limit` bytes it stops after the current token and appends "..."
 * (docs/DECISIONS.md "Huge types").  A type is a DAG and may be exponentially
 * large as a tree; printing costs O(limit), whatever its size. */
#define TY_PRINT_LIMIT (1u << 20)

void  ty_printer_init(TyPrinter *p, TyGraph g, const char *self_module, Arena *scratch);
void  ty_print(TyPrinter *p, uint32_t t);              /* appends to out */
void  ty_print_str(TyPrinter *p, const char *s);
/* NUL-terminated copy of what was printed, in `arena`; clears out. */
char *ty_printer_take(TyPrinter *p, Arena *arena);
/* Convenience for messages: prints t into a fresh string in `arena`. */
char *ty_to_string(TyStore *s, uint32_t t, const char *self_module, Arena *arena);

/* ---- the sealed artifact (private layout of modules/artifact.h) ----------
 * Every string is an offset into `strings`; every type a node index into
 * `nodes` (kinds GEN, ERROR, INT, BOOL, STR, UNIT, FN, TUPLE, CON only; CON's
 * c indexes `named`).  A scheme's quantified variables are GEN 0..n-1. */
typedef struct ArtNamed {
    uint32_t qname;          /* "Mod.Type" */
    uint32_t modlen;
} ArtNamed;

typedef struct ArtType {
    uint32_t name;           /* "Type" */
    uint32_t named;          /* index into named */
    uint32_t arity;
    uint32_t ctor_first, ctor_count;
    uint8_t exposed, ctors_exposed, poisoned;
} ArtType;

typedef struct ArtCtor {
    uint32_t name;
    uint32_t type;           /* index into types */
    uint32_t arity;          /* payload count */
    uint32_t scheme;         /* (P1, ..) -> T(GEN 0..) or T(GEN 0..) */
    uint32_t fp[2];          /* the scheme's Merkle hash (artifact.c) */
} ArtCtor;

typedef struct ArtValue {
    uint32_t name;
    uint32_t scheme;         /* node index; meaningless when poisoned */
    uint32_t gen_count;
    uint32_t fp[2];          /* the scheme's Merkle hash; 0 when poisoned */
    uint8_t exposed, poisoned;
} ArtValue;

struct Artifact {
    uint32_t module;         /* offset of the module name */
    const char *strings;
    uint32_t strings_len;
    const TyNode *nodes;
    uint32_t node_count;
    const uint32_t *extra;
    uint32_t extra_count;
    const ArtNamed *named;
    uint32_t named_count;
    const ArtType *types;    /* every type declaration, source order */
    uint32_t type_count;
    const ArtCtor *ctors;    /* grouped by type, declaration order */
    uint32_t ctor_count;
    const ArtValue *values;  /* every top-level value, source order */
    uint32_t value_count;
    /* The exported interface, sorted by name bytes (ties: source order) for
     * lookups by importers and for the hash: exposed values, exposed types,
     * constructors of T(..)-exposed types (indices into values/types/ctors). */
    const uint32_t *exp_values;
    uint32_t exp_value_count;
    const uint32_t *exp_types;
    uint32_t exp_type_count;
    const uint32_t *exp_ctors;
    uint32_t exp_ctor_count;
    uint64_t iface_hash;
};

/* Lookups in the exported interface; UINT32_MAX when absent. */
uint32_t artifact_find_value(const struct Artifact *a, const char *name);
uint32_t artifact_find_type(const struct Artifact *a, const char *name);
uint32_t artifact_find_ctor(const struct Artifact *a, const char *name);

TyGraph artifact_graph(const struct Artifact *a);
static inline const char *artifact_str(const struct Artifact *a, uint32_t off)
{
    return a->strings + off;
}

/* Building an artifact: check_module collects into an ArtBuilder (scratch),
 * exporting types from its store, then seals it into `keep`. */
typedef struct ArtBuilder {
    Arena *scratch;
    TyStore *store;
    Builder strings;         /* char */
    Builder nodes, extra, named, types, ctors, values;
    InternTable strtab;      /* dedups strings: id -> offset */
    Builder stroff;          /* uint32_t: intern id -> offset in strings */
    InternTable namedtab;    /* qualified name -> index into named */
    uint32_t module;
    uint32_t gen_count;      /* quantifiers numbered so far in the current export */
} ArtBuilder;

void     art_builder_init(ArtBuilder *b, TyStore *store, const char *module, Arena *scratch);
uint32_t art_string(ArtBuilder *b, const char *s, uint32_t len);
/* Copies store type t (after generalization) into the artifact; generic and
 * still-free variables become GEN 0, 1, ... by first appearance from the
 * last art_begin_scheme. */
void     art_begin_scheme(ArtBuilder *b);
uint32_t art_export(ArtBuilder *b, uint32_t t);
uint32_t art_add_type(ArtBuilder *b, const char *name, uint32_t arity,
                      bool exposed, bool ctors_exposed, bool poisoned);
/* Ctors of the type most recently added; scheme from art_export. */
void     art_add_ctor(ArtBuilder *b, const char *name, uint32_t arity, uint32_t scheme);
void     art_add_value(ArtBuilder *b, const char *name, uint32_t scheme,
                       bool exposed, bool poisoned);
struct Artifact *art_seal(ArtBuilder *b, Arena *keep);

/* Bringing an imported artifact's type (a scheme, a ctor's scheme) into a
 * store as a generic type, ready for ty_instantiate.  The caller keeps two
 * caches per imported artifact, both filled with TY_NONE before first use:
 * named_map (a->named_count entries: artifact named -> store named id) and
 * node_map (a->node_count entries: artifact node -> store node).  A GEN node
 * belongs to exactly one scheme, so mapping it once is consistent. */
uint32_t art_import(TyStore *s, const struct Artifact *a, uint32_t node,
                    uint32_t *named_map, uint32_t *node_map);

#endif
