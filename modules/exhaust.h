/* exhaust — exhaustiveness and redundancy of match arms by the usefulness
 * algorithm (Maranget, "Warnings for pattern matching"), over the checker's
 * own small pattern representation.
 *
 * The checker registers the sum types it meets (constructor count, names,
 * payload arities) and builds one ExPat per pattern node; ex_match then
 * answers which arms are redundant and, when the arms do not cover their
 * type, one missing pattern in Kite syntax.  Every array lives in the scratch
 * arena given to ex_init; nothing escapes but the witness string, which goes
 * where the caller says.
 *
 * The missing pattern is the simplest informative one: a constructor the
 * arms never mention is printed with `_` payloads (`Some(_)`, `Rect(_, _)`);
 * a value of an infinite domain (Int, Str) not covered is `_`; so is a
 * position that no arm inspects; Bool and unit positions print `true`,
 * `false`, `()`; tuples print `(p, q)`.  Constructors print unqualified.
 */
#ifndef COORD_MODULES_EXHAUST_H
#define COORD_MODULES_EXHAUST_H

#include "base/arena.h"
#include "base/builder.h"
#include <stdbool.h>
#include <stdint.h>

#define EX_KINDS(X) \
    X(WILD)         \
    X(CTOR)         \
    X(INT)          \
    X(STR)          \
    X(BOOL)         \
    X(UNIT)         \
    X(TUPLE)

typedef enum {
#define EX_ENUM_(k) EX_##k,
    EX_KINDS(EX_ENUM_)
#undef EX_ENUM_
    EX__COUNT
} ExKind;

/* CTOR: sum = sum id, tag = constructor index, n = arity, sub = first of n
 * sub-pattern ids in `subs`.  TUPLE: n, sub.  INT: ival.  BOOL: ival 0/1.
 * STR: sval/slen. */
typedef struct ExPat {
    uint32_t kind;
    uint32_t sum, tag;
    uint32_t n, sub;
    uint32_t slen;
    int64_t ival;
    const char *sval;
} ExPat;

typedef struct ExSum {
    uint32_t ctor_first, ctor_count;   /* into names/arities */
} ExSum;

/* A list cell of pattern ids (rows, witnesses); EX_NIL ends a list. */
#define EX_NIL UINT32_MAX
typedef struct ExCell { uint32_t pat, next; } ExCell;
typedef struct ExFrame ExFrame;

typedef struct ExCtx {
    Arena *scratch;
    Builder pats;        /* ExPat */
    Builder subs;        /* uint32_t */
    Builder sums;        /* ExSum */
    Builder names;       /* const char * */
    Builder arities;     /* uint32_t */
    Builder out;         /* char: witness being printed */
    Builder cells;       /* ExCell: rows and witnesses as shared lists */
    Builder frames;      /* the explicit stack of the usefulness search */
    Builder buckets;     /* ex_match: arms grouped by head */
} ExCtx;

void     ex_init(ExCtx *x, Arena *scratch);
uint32_t ex_add_sum(ExCtx *x, uint32_t ctor_count, const char *const *names,
                    const uint32_t *arities);
uint32_t ex_wild(ExCtx *x);
uint32_t ex_ctor(ExCtx *x, uint32_t sum, uint32_t tag, const uint32_t *subs, uint32_t n);
uint32_t ex_tuple(ExCtx *x, const uint32_t *subs, uint32_t n);
uint32_t ex_int(ExCtx *x, int64_t v);
uint32_t ex_str(ExCtx *x, const char *s, uint32_t len);
uint32_t ex_bool(ExCtx *x, bool v);
uint32_t ex_unit(ExCtx *x);

/* arms[0..n): one pattern per arm.  redundant[i] is set for every arm that
 * is not useful after the arms before it.  Returns NULL when the arms are
 * exhaustive, else one missing pattern (NUL-terminated, in `out`). */
char *ex_match(ExCtx *x, const uint32_t *arms, uint32_t n, bool *redundant, Arena *out);

/* Drops every pattern (keeps registered sums): call between matches. */
void ex_reset_patterns(ExCtx *x);

#endif
