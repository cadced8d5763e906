/* canon — the canonical IR of one module: every name resolved, closure
 * captures computed, top-level values ordered into strongly connected
 * components.  Produced by canon_module (modules/phases.h), consumed by the
 * typechecker.
 *
 * Memory.  Everything below lives in the module's `ir` arena and is immutable
 * once canon_module returns.  The IR holds no pointer into the AST (whose
 * arena is reset after canonicalization) nor into any import's interface;
 * the only pointers are the array bases, `strings`, `deps` (its own arrays),
 * and `src` (the module's source bytes, owned by the module and alive as
 * long as the IR).
 *
 * Ids.  Every id is a 32-bit index into one of the flat arrays below;
 * CANON_NONE (UINT32_MAX) marks an absent optional child.  Spans are byte
 * offsets [start, end) into `src`.
 *
 * Strings.  `strings` is one blob.  A "name" is an offset into it of a
 * NUL-terminated identifier; equal names have equal offsets (names are
 * deduplicated), so the typechecker may compare names by offset.  String
 * literal bytes (which may contain NUL) are stored as offset + length.
 *
 * Lists.  A "list" is an index L into `extra`: extra[L] = n, extra[L+1 ..
 * L+n] the items.  The empty list is a real list with n = 0.  Where a field
 * says "list or CANON_NONE", CANON_NONE means the source had no parenthesized
 * list at all (e.g. a constructor written `None`, not `None()`).
 *
 * Node arrays.  Expressions, patterns and type expressions each have their
 * own CanonNodes (struct of arrays: kind, a, b, start, end).  The meaning of
 * a and b per kind is given next to each X-macro entry.  Children always have
 * smaller ids than their parent (nodes are written in post-order).
 *
 * Poison.  A name whose definition failed (a DECL_BROKEN declaration of this
 * module, a name marked poisoned in an import's interface, any name of an
 * import whose interface is NULL) resolves to a POISON expression/pattern or
 * an ERROR type: the typechecker gives it the error type and reports nothing
 * about it.  Names that were reported (E0201, E0202, E0204, E0206, E0210)
 * also resolve to POISON / ERROR, so that one mistake gives one report.
 */
#ifndef COORD_MODULES_CANON_H
#define COORD_MODULES_CANON_H

#include "modules/phases.h"
#include <stdint.h>
#include <stdio.h>

#define CANON_NONE UINT32_MAX

/* ---- expressions ------------------------------------------------------- */
#define CANON_EXPR_KINDS(X)                                                              \
    X(INT,      "int")     /* a = low 32 bits, b = high 32 bits of the int64 value */    \
    X(STR,      "str")     /* a = offset into strings of the bytes, b = their length */  \
    X(TRUE,     "true")                                                                  \
    X(FALSE,    "false")                                                                 \
    X(UNIT,     "unit")                                                                  \
    X(LOCAL,    "local")   /* a = local id */                                            \
    X(TOP,      "top")     /* a = value index in this module */                          \
    /* IMPORTED: the value named b (a name) exported by import a (import index). */      \
    X(IMPORTED, "imported")                                                              \
    X(CTOR,     "ctor")    /* a = constructor index in this module (ctors[]) */          \
    /* IMPORTED_CTOR: the constructor named b (a name) exported by import a. */          \
    X(IMPORTED_CTOR, "imported-ctor")                                                    \
    X(POISON,   "poison")  /* error type, no reports */                                  \
    X(TUPLE,    "tuple")   /* a = list of >= 2 element expressions */                    \
    X(CALL,     "call")    /* a = callee expression; b = list of argument expressions */ \
    /* Binary operators: a = left, b = right. */                                         \
    X(OR, "||") X(AND, "&&")                                                             \
    X(EQ, "==") X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=")                \
    X(CONCAT, "++") X(ADD, "+") X(SUB, "-") X(MUL, "*") X(DIV, "/") X(MOD, "%")          \
    /* Unary operators: a = operand. */                                                  \
    X(NEG, "neg") X(NOT, "!")                                                            \
    /* LAMBDA: a = extra index E: extra[E] = list of parameter local ids,                \
     *   extra[E+1] = list of captured local ids (outer locals used inside the            \
     *   lambda, in order of first use; includes the captures of nested lambdas that      \
     *   are bound outside this one); b = body expression. */                            \
    X(LAMBDA,   "lambda")                                                                \
    /* IF: a = condition; b = extra index E: extra[E] = then, extra[E+1] = else. */      \
    X(IF,       "if")                                                                    \
    /* LET `let x [: T] = v in body`: a = extra index E: extra[E] = local id of x         \
     *   (its annotation, if any, is locals[x].annot), extra[E+1] = value expression,     \
     *   extra[E+2] = list of the type variables (tvar ids) this let owns (see           \
     *   CanonTvar); b = body expression.  x is in scope in body only, not in v. */       \
    X(LET,      "let")                                                                   \
    /* MATCH: a = scrutinee; b = extra index E: extra[E] = n arms, then per arm i         \
     *   extra[E+1+2i] = pattern id, extra[E+2+2i] = body expression. */                  \
    X(MATCH,    "match")

typedef enum {
#define CANON_ENUM_(name, desc) CE_##name,
    CANON_EXPR_KINDS(CANON_ENUM_)
#undef CANON_ENUM_
    CE__COUNT
} CanonExprKind;

/* ---- patterns ---------------------------------------------------------- */
#define CANON_PAT_KINDS(X)                                                               \
    X(WILD,   "_")                                                                       \
    X(BIND,   "bind")      /* a = local id */                                            \
    X(INT,    "int")       /* a/b = low/high 32 bits of the int64 value (negated) */     \
    X(STR,    "str")       /* a = offset into strings, b = length */                     \
    X(TRUE,   "true")                                                                    \
    X(FALSE,  "false")                                                                   \
    X(UNIT,   "unit")                                                                    \
    /* CTOR: a = constructor index in this module; b = list of sub-patterns or           \
     *   CANON_NONE when written without parentheses.  Arity is NOT checked here          \
     *   (E0304 belongs to the typechecker). */                                          \
    X(CTOR,   "ctor")                                                                    \
    /* IMPORTED_CTOR: a = extra index E: extra[E] = import index, extra[E+1] = the        \
     *   constructor's name; b = list of sub-patterns or CANON_NONE. */                  \
    X(IMPORTED_CTOR, "imported-ctor")                                                    \
    X(TUPLE,  "tuple")     /* a = list of >= 2 sub-patterns */                           \
    /* POISON: a constructor that could not be resolved (reported, or from a failed      \
     *   import); b = list of sub-patterns or CANON_NONE (their binders are real          \
     *   locals and still in scope in the arm). */                                       \
    X(POISON, "poison")

typedef enum {
#define CANON_ENUM_(name, desc) CP_##name,
    CANON_PAT_KINDS(CANON_ENUM_)
#undef CANON_ENUM_
    CP__COUNT
} CanonPatKind;

/* ---- type expressions (annotations and constructor payloads) ------------ */
#define CANON_TYPE_KINDS(X)                                                              \
    /* VAR: an annotation type variable: a = tvar id (module-wide, see CanonTvar),       \
     *   b = its name. */                                                                \
    X(VAR,    "var")                                                                     \
    /* PARAM: a type parameter inside a type declaration's constructor payloads:         \
     *   a = parameter number 0..arity-1 of that type, b = its name. */                  \
    X(PARAM,  "param")                                                                   \
    X(INT,    "Int")                                                                     \
    X(BOOL,   "Bool")                                                                    \
    X(STR,    "Str")                                                                     \
    X(UNIT,   "()")                                                                      \
    X(TUPLE,  "tuple")     /* a = list of >= 2 element types */                          \
    X(FN,     "fn")        /* a = list of parameter types (0, 1, more); b = result */    \
    /* CON: a type of this module: a = type index; b = list of argument types (always    \
     *   a list; its length equals the type's arity). */                                 \
    X(CON,    "con")                                                                     \
    /* IMPORTED_CON: a type exported by an import: a = extra index E: extra[E] =         \
     *   import index, extra[E+1] = the type's name; b = list of argument types          \
     *   (length = the arity in the import's interface). */                              \
    X(IMPORTED_CON, "imported-con")                                                      \
    X(ERROR,  "error")     /* unknown (reported) or poisoned type: the error type */

typedef enum {
#define CANON_ENUM_(name, desc) CT_##name,
    CANON_TYPE_KINDS(CANON_ENUM_)
#undef CANON_ENUM_
    CT__COUNT
} CanonTypeKind;

const char *canon_expr_kind_name(CanonExprKind k);
const char *canon_pat_kind_name(CanonPatKind k);
const char *canon_type_kind_name(CanonTypeKind k);

/* One node array (struct of arrays); the meaning of a/b depends on kind. */
typedef struct CanonNodes {
    const uint8_t  *kind;
    const uint32_t *a;
    const uint32_t *b;
    const uint32_t *start;    /* span [start, end) in src */
    const uint32_t *end;
    uint32_t        count;
} CanonNodes;

/* ---- declarations -------------------------------------------------------- */
typedef enum {
    CANON_VALUE_FN = 0,       /* fn name(params) [-> T] = body */
    CANON_VALUE_LET = 1,      /* let name [: T] = body */
    CANON_VALUE_UNKNOWN = 2,  /* a broken declaration whose kind is unknown (poisoned) */
} CanonValueKind;

/* A top-level value declaration.  values[] lists every fn and let of the
 * module in source order, including broken declarations that have a name
 * (poisoned = 1: the typechecker gives them the error type and does not look
 * at anything else) and duplicates (duplicate = 1, E0203 was reported at
 * them; references to the name resolve to the first definition, but the
 * duplicate's body is still resolved and should still be checked). */
typedef struct CanonValue {
    uint32_t name;               /* name */
    uint8_t  kind;               /* CanonValueKind */
    uint8_t  exposed;            /* listed in the module's exposing list */
    uint8_t  poisoned;
    uint8_t  duplicate;
    uint8_t  bad_cycle;          /* in a group that got E0208: its body is
                                  * checked, its type is the error type */
    uint8_t  failed;             /* canonicalize reported an error in its
                                  * declaration: likewise (LANGUAGE.md 6) */
    uint32_t failed_import;      /* failed only by reports about this import
                                  * (E0206), else CANON_NONE: not failed when
                                  * the typechecker gets no artifact for it */
    uint32_t name_start, name_end;   /* span of the name token */
    uint32_t decl_start, decl_end;   /* span of the whole declaration */
    uint32_t params;             /* FN: list of parameter local ids (annotations in
                                    locals[p].annot); CANON_NONE otherwise */
    uint32_t ret;                /* FN: return annotation type node or CANON_NONE */
    uint32_t annot;              /* LET: annotation type node or CANON_NONE */
    uint32_t body;               /* expression (LET: the value); CANON_NONE if poisoned */
    uint32_t tvars;              /* list of the tvar ids this declaration owns */
} CanonValue;

/* A constructor of a type of this module. */
typedef struct CanonCtor {
    uint32_t name;               /* name */
    uint32_t type;               /* index into types */
    uint32_t index;              /* position among its type's constructors */
    uint32_t payload;            /* list of payload type nodes (CT_PARAM for the type's
                                    parameters), or CANON_NONE: no payload, a value */
    uint32_t start, end;         /* span of the constructor's name */
    uint8_t  duplicate;          /* E0203 reported here; lookups find the first */
} CanonCtor;

/* A type declaration.  Its constructors are ctors[ctor_first .. +ctor_count),
 * in source order.  A broken type declaration with a name is listed with
 * poisoned = 1 and no constructors; uses of it are CT_ERROR. */
typedef struct CanonType {
    uint32_t name;               /* name */
    uint32_t arity;              /* number of type parameters */
    uint32_t params;             /* list of the parameters' names (CT_PARAM b) */
    uint32_t ctor_first, ctor_count;
    uint32_t start, end;         /* span of the type's name */
    uint8_t  exposed;            /* exposed as T or T(..) */
    uint8_t  ctors_exposed;      /* exposed as T(..) */
    uint8_t  poisoned;
    uint8_t  duplicate;          /* E0203 reported here; lookups find the first */
} CanonType;

/* An import line, same order as the AST's imports and the `imports` argument
 * of canon_module / check_module. */
typedef struct CanonImport {
    uint32_t module;             /* name: "Util.Lists" */
    uint32_t alias;              /* name, or CANON_NONE */
    uint32_t start, end;         /* span of the module name in the import line */
    uint8_t  poisoned;           /* its interface was NULL: every name is POISON */
    uint8_t  used;               /* some name resolved through it */
} CanonImport;

typedef enum {
    CANON_LOCAL_PARAM = 0,       /* fn or lambda parameter (`_` too, named "_") */
    CANON_LOCAL_LET = 1,         /* let x = ... in ... */
    CANON_LOCAL_PATTERN = 2,     /* a binder in a match pattern */
} CanonLocalKind;

/* A local variable: one per binder occurrence. */
typedef struct CanonLocal {
    uint32_t name;               /* name ("_" for a wildcard parameter) */
    uint32_t start, end;         /* span of the binder */
    uint32_t annot;              /* PARAM / LET: annotation type node or CANON_NONE */
    uint8_t  kind;               /* CanonLocalKind */
    uint8_t  captured;           /* 1: some lambda captures it (CanonExpr LAMBDA) */
} CanonLocal;

/* An annotation type variable.  Rule (LANGUAGE.md section 6): a type variable
 * named in an annotation is scoped to the declaration (top-level value or
 * local `let`) whose annotation names it first: inside that declaration's
 * annotations and body the same name is the same variable (rigid there);
 * a name not yet in scope starts a new variable owned by the innermost
 * enclosing declaration (annotations on lambda parameters belong to the
 * innermost enclosing let or top-level value).  Each declaration lists the
 * variables it owns (CanonValue.tvars, LET extra[E+2]); the typechecker makes
 * them rigid while checking that declaration and generalizes them after. */
typedef struct CanonTvar {
    uint32_t name;               /* name */
    uint32_t start, end;         /* span of its first occurrence */
} CanonTvar;

struct CanonModule {
    const char *name;            /* module name, NUL-terminated ("Geometry.Shapes") */
    const char *src;             /* the module's source (not copied) */
    uint32_t    src_len;

    const char *strings;         /* names and string literal bytes */
    uint32_t    strings_len;

    const CanonImport *imports;  uint32_t import_count;
    const CanonValue  *values;   uint32_t value_count;
    const CanonType   *types;    uint32_t type_count;
    const CanonCtor   *ctors;    uint32_t ctor_count;
    const CanonLocal  *locals;   uint32_t local_count;
    const CanonTvar   *tvars;    uint32_t tvar_count;

    CanonNodes expr;             /* CanonExprKind nodes */
    CanonNodes pat;              /* CanonPatKind nodes */
    CanonNodes type;             /* CanonTypeKind nodes */

    const uint32_t *extra;       /* lists and extra words */
    uint32_t        extra_count;

    /* Declaration order: scc_count groups of value indices; group g is
     * scc_values[scc_start[g] .. scc_start[g+1]) (values in source order
     * inside a group).  Every value (poisoned ones too) is in exactly one
     * group, and a group comes after every group it uses (dependency order).
     * scc_start has scc_count + 1 entries.  scc_cyclic[g] = 1 when the group
     * is recursive (more than one value, or one value referring to itself). */
    const uint32_t *scc_values;
    const uint32_t *scc_start;
    const uint8_t  *scc_cyclic;
    uint32_t        scc_count;

    /* What was read of the imports' name interfaces: every name looked up,
     * with the fingerprint of what the lookup found (modules/deps.h,
     * interface kinds).  check_module merges it into its own record.  Empty
     * when canon_module was told not to record. */
    DepList deps;
};

/* ---- accessors ------------------------------------------------------------ */
static inline const char *canon_str(const CanonModule *m, uint32_t name)
{
    return name == CANON_NONE ? 0 : m->strings + name;
}
static inline uint32_t canon_list_len(const CanonModule *m, uint32_t list)
{
    return list == CANON_NONE ? 0 : m->extra[list];
}
static inline uint32_t canon_list_at(const CanonModule *m, uint32_t list, uint32_t i)
{
    return m->extra[list + 1 + i];
}
static inline int64_t canon_int_value(const CanonNodes *n, uint32_t node)
{
    return (int64_t)(((uint64_t)n->b[node] << 32) | n->a[node]);
}
/* LAMBDA */
static inline uint32_t canon_lambda_params(const CanonModule *m, uint32_t e)   { return m->extra[m->expr.a[e]]; }
static inline uint32_t canon_lambda_captures(const CanonModule *m, uint32_t e) { return m->extra[m->expr.a[e] + 1]; }
/* IF */
static inline uint32_t canon_if_then(const CanonModule *m, uint32_t e) { return m->extra[m->expr.b[e]]; }
static inline uint32_t canon_if_else(const CanonModule *m, uint32_t e) { return m->extra[m->expr.b[e] + 1]; }
/* LET */
static inline uint32_t canon_let_local(const CanonModule *m, uint32_t e) { return m->extra[m->expr.a[e]]; }
static inline uint32_t canon_let_value(const CanonModule *m, uint32_t e) { return m->extra[m->expr.a[e] + 1]; }
static inline uint32_t canon_let_tvars(const CanonModule *m, uint32_t e) { return m->extra[m->expr.a[e] + 2]; }
/* MATCH */
static inline uint32_t canon_match_arm_count(const CanonModule *m, uint32_t e) { return m->extra[m->expr.b[e]]; }
static inline uint32_t canon_match_arm_pat(const CanonModule *m, uint32_t e, uint32_t i)  { return m->extra[m->expr.b[e] + 1 + 2 * i]; }
static inline uint32_t canon_match_arm_body(const CanonModule *m, uint32_t e, uint32_t i) { return m->extra[m->expr.b[e] + 2 + 2 * i]; }
/* Pattern IMPORTED_CTOR and type IMPORTED_CON: the import index and name. */
static inline uint32_t canon_pat_import(const CanonModule *m, uint32_t p)       { return m->extra[m->pat.a[p]]; }
static inline uint32_t canon_pat_import_name(const CanonModule *m, uint32_t p)  { return m->extra[m->pat.a[p] + 1]; }
static inline uint32_t canon_type_import(const CanonModule *m, uint32_t t)      { return m->extra[m->type.a[t]]; }
static inline uint32_t canon_type_import_name(const CanonModule *m, uint32_t t) { return m->extra[m->type.a[t] + 1]; }

/* Debug dump (golden tests): imports, types with constructors, locals with
 * their captured flags, every value with its resolved body as an
 * s-expression, and the SCC order. */
void canon_dump(FILE *out, const CanonModule *m);

#endif
