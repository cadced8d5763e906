/* exhaust — the usefulness algorithm.  See exhaust.h for the contract.
 *
 * A matrix is an array of rows; a row is an array of `w` pattern ids.  The
 * vector q is useful with respect to matrix P when some value matches q and
 * no row of P.  Arm i is redundant when its pattern is not useful after arms
 * 0..i-1; the match is exhaustive when the wildcard is not useful after all
 * arms, and the witness of its usefulness is the missing pattern.
 * All arrays are bump-allocated in scratch and abandoned there (never
 * rewound: the builders grow in the same arena).
 */
#include "modules/exhaust.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static ExPat *pat(ExCtx *x, uint32_t id) { return &((ExPat *)x->pats.data)[id]; }
static uint32_t sub(ExCtx *x, uint32_t i) { return ((uint32_t *)x->subs.data)[i]; }

static uint32_t add_pat(ExCtx *x, ExPat p)
{
    BUILDER_PUSH(&x->pats, ExPat, p);
    return x->pats.count - 1;
}

void ex_init(ExCtx *x, Arena *scratch)
{
    memset(x, 0, sizeof *x);
    x->scratch = scratch;
    BUILDER_INIT(&x->pats, scratch, ExPat);
    BUILDER_INIT(&x->subs, scratch, uint32_t);
    BUILDER_INIT(&x->sums, scratch, ExSum);
    BUILDER_INIT(&x->names, scratch, const char *);
    BUILDER_INIT(&x->arities, scratch, uint32_t);
    BUILDER_INIT(&x->out, scratch, char);
    ex_reset_patterns(x);
}

void ex_reset_patterns(ExCtx *x)
{
    builder_clear(&x->pats);
    builder_clear(&x->subs);
    ExPat w = { .kind = EX_WILD };
    add_pat(x, w);              /* id 0: the shared wildcard */
}

uint32_t ex_add_sum(ExCtx *x, uint32_t ctor_count, const char *const *names,
                    const uint32_t *arities)
{
    ExSum s = { x->names.count, ctor_count };
    builder_push_n(&x->names, names, ctor_count);
    builder_push_n(&x->arities, arities, ctor_count);
    BUILDER_PUSH(&x->sums, ExSum, s);
    return x->sums.count - 1;
}

uint32_t ex_wild(ExCtx *x) { return 0; }

uint32_t ex_ctor(ExCtx *x, uint32_t sum, uint32_t tag, const uint32_t *subs, uint32_t n)
{
    ExPat p = { .kind = EX_CTOR, .sum = sum, .tag = tag, .n = n, .sub = x->subs.count };
    builder_push_n(&x->subs, subs, n);
    return add_pat(x, p);
}

uint32_t ex_tuple(ExCtx *x, const uint32_t *subs, uint32_t n)
{
    ExPat p = { .kind = EX_TUPLE, .n = n, .sub = x->subs.count };
    builder_push_n(&x->subs, subs, n);
    return add_pat(x, p);
}

uint32_t ex_int(ExCtx *x, int64_t v)
{
    ExPat p = { .kind = EX_INT, .ival = v };
    return add_pat(x, p);
}

uint32_t ex_str(ExCtx *x, const char *s, uint32_t len)
{
    ExPat p = { .kind = EX_STR, .sval = s, .slen = len };
    return add_pat(x, p);
}

uint32_t ex_bool(ExCtx *x, bool v)
{
    ExPat p = { .kind = EX_BOOL, .ival = v };
    return add_pat(x, p);
}

uint32_t ex_unit(ExCtx *x)
{
    ExPat p = { .kind = EX_UNIT };
    return add_pat(x, p);
}

/* ---- the algorithm -------------------------------------------------------- */

static bool same_head(const ExPat *a, const ExPat *b)
{
    if (a->kind != b->kind)
        return false;
    switch ((ExKind)a->kind) {
    case EX_CTOR: return a->sum == b->sum && a->tag == b->tag;
    case EX_INT:
    case EX_BOOL: return a->ival == b->ival;
    case EX_STR: return a->slen == b->slen && (a->slen == 0 || memcmp(a->sval, b->sval, a->slen) == 0);
    default: return true;   /* UNIT, TUPLE (same type, same arity) */
    }
}

/* Arity of a head constructor. */
static uint32_t head_arity(const ExPat *p)
{
    return p->kind == EX_CTOR || p->kind == EX_TUPLE ? p->n : 0;
}

/* Rows of P specialized by head c (arity a): rows whose head is c or a
 * wildcard, with the head replaced by its a sub-patterns. */
static uint32_t specialize(ExCtx *x, uint32_t **rows, uint32_t nrows, uint32_t w,
                           const ExPat *c, uint32_t a, uint32_t ***out)
{
    uint32_t **res = ARENA_ARRAY(x->scratch, uint32_t *, nrows ? nrows : 1);
    uint32_t n = 0;
    for (uint32_t r = 0; r < nrows; r++) {
        const ExPat *h = pat(x, rows[r][0]);
        if (h->kind != EX_WILD && !same_head(h, c))
            continue;
        uint32_t *row = ARENA_ARRAY(x->scratch, uint32_t, a + w - 1 + 1);
        for (uint32_t i = 0; i < a; i++)
            row[i] = h->kind == EX_WILD ? 0 : sub(x, h->sub + i);
        memcpy(row + a, rows[r] + 1, (w - 1) * sizeof(uint32_t));
        res[n++] = row;
    }
    *out = res;
    return n;
}

static bool useful(ExCtx *x, uint32_t **rows, uint32_t nrows, const uint32_t *q, uint32_t w,
                   uint32_t *wit);

/* Usefulness after specializing by head c; rebuilds the witness. */
static bool useful_spec(ExCtx *x, uint32_t **rows, uint32_t nrows, const uint32_t *q,
                        uint32_t w, const ExPat *c, uint32_t *wit)
{
    ExPat head = *c;
    uint32_t a = head_arity(&head);
    uint32_t **srows;
    uint32_t sn = specialize(x, rows, nrows, w, &head, a, &srows);
    uint32_t *sq = ARENA_ARRAY(x->scratch, uint32_t, a + w);
    const ExPat *qh = pat(x, q[0]);
    for (uint32_t i = 0; i < a; i++)
        sq[i] = qh->kind == EX_WILD ? 0 : sub(x, qh->sub + i);
    memcpy(sq + a, q + 1, (w - 1) * sizeof(uint32_t));
    uint32_t *swit = wit ? ARENA_ARRAY(x->scratch, uint32_t, a + w) : NULL;
    if (!useful(x, srows, sn, sq, a + w - 1, swit))
        return false;
    if (wit) {
        if (head.kind == EX_CTOR)
            wit[0] = ex_ctor(x, head.sum, head.tag, swit, a);
        else if (head.kind == EX_TUPLE)
            wit[0] = ex_tuple(x, swit, a);
        else
            wit[0] = add_pat(x, head);
        memcpy(wit + 1, swit + a, (w - 1) * sizeof(uint32_t));
    }
    return true;
}

static bool useful(ExCtx *x, uint32_t **rows, uint32_t nrows, const uint32_t *q, uint32_t w,
                   uint32_t *wit)
{
    if (w == 0)
        return nrows == 0;
    const ExPat *qh = pat(x, q[0]);
    if (qh->kind != EX_WILD) {
        ExPat c = *qh;
        return useful_spec(x, rows, nrows, q, w, &c, wit);
    }
    /* The constructors heading column 0, and whether they cover the type. */
    const ExPat *first = NULL;
    bool seen_bool[2] = { false, false };
    bool *seen_tag = NULL;
    uint32_t distinct = 0;
    for (uint32_t r = 0; r < nrows; r++) {
        const ExPat *h = pat(x, rows[r][0]);
        if (h->kind == EX_WILD)
            continue;
        if (!first) {
            first = h;
            if (h->kind == EX_CTOR) {
                uint32_t cnt = ((ExSum *)x->sums.data)[h->sum].ctor_count;
                seen_tag = ARENA_ZARRAY(x->scratch, bool, cnt ? cnt : 1);
            }
        }
        /* Rows of another sum can only come from a duplicate type declaration
         * (E0203, already reported) that shares the first one's name. */
        if (h->kind == EX_CTOR && first->kind == EX_CTOR && h->sum == first->sum &&
            !seen_tag[h->tag]) {
            seen_tag[h->tag] = true;
            distinct++;
        } else if (h->kind == EX_BOOL && !seen_bool[h->ival != 0]) {
            seen_bool[h->ival != 0] = true;
            distinct++;
        }
    }
    bool complete = false;
    uint32_t ctor_count = 0;
    if (first) {
        switch ((ExKind)first->kind) {
        case EX_CTOR:
            ctor_count = ((ExSum *)x->sums.data)[first->sum].ctor_count;
            complete = distinct == ctor_count;
            break;
        case EX_BOOL: complete = distinct == 2; break;
        case EX_UNIT:
        case EX_TUPLE: complete = true; break;
        default: complete = false; break;   /* Int, Str: infinite */
        }
    }
    if (complete) {
        ExPat c = *first;
        uint32_t alts = first->kind == EX_CTOR ? ctor_count : first->kind == EX_BOOL ? 2 : 1;
        for (uint32_t k = 0; k < alts; k++) {
            if (first->kind == EX_CTOR) {
                c.tag = k;
                c.n = ((uint32_t *)x->arities.data)[((ExSum *)x->sums.data)[c.sum].ctor_first + k];
            } else if (first->kind == EX_BOOL) {
                c.ival = k == 0;     /* true first, then false */
            }
            if (useful_spec(x, rows, nrows, q, w, &c, wit))
                return true;
        }
        return false;
    }
    /* Incomplete: only the rows with a wildcard head matter. */
    uint32_t **drows = ARENA_ARRAY(x->scratch, uint32_t *, nrows ? nrows : 1);
    uint32_t dn = 0;
    for (uint32_t r = 0; r < nrows; r++)
        if (pat(x, rows[r][0])->kind == EX_WILD)
            drows[dn++] = rows[r] + 1;
    if (!useful(x, drows, dn, q + 1, w - 1, wit ? wit + 1 : NULL))
        return false;
    if (wit) {
        wit[0] = 0;
        if (first && first->kind == EX_CTOR) {
            uint32_t k = 0;
            while (seen_tag[k])
                k++;
            const ExSum *s = &((ExSum *)x->sums.data)[first->sum];
            uint32_t a = ((uint32_t *)x->arities.data)[s->ctor_first + k];
            uint32_t *wild = ARENA_ZARRAY(x->scratch, uint32_t, a ? a : 1);
            wit[0] = ex_ctor(x, first->sum, k, wild, a);
        } else if (first && first->kind == EX_BOOL) {
            wit[0] = ex_bool(x, !seen_bool[1]);
        }
    }
    return true;
}

/* ---- printing the witness ------------------------------------------------- */

static void put(ExCtx *x, const char *s) { builder_push_n(&x->out, s, (uint32_t)strlen(s)); }

static void print_pat(ExCtx *x, uint32_t id)
{
    ExPat p = *pat(x, id);
    switch ((ExKind)p.kind) {
    case EX_WILD: put(x, "_"); break;
    case EX_UNIT: put(x, "()"); break;
    case EX_BOOL: put(x, p.ival ? "true" : "false"); break;
    case EX_INT: {
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, p.ival);
        put(x, buf);
        break;
    }
    case EX_STR:
        put(x, "\"");
        builder_push_n(&x->out, p.sval, p.slen);
        put(x, "\"");
        break;
    case EX_CTOR:
    case EX_TUPLE:
        if (p.kind == EX_CTOR) {
            const ExSum *s = &((ExSum *)x->sums.data)[p.sum];
            put(x, ((const char **)x->names.data)[s->ctor_first + p.tag]);
            if (p.n == 0)
                break;
        }
        put(x, "(");
        for (uint32_t i = 0; i < p.n; i++) {
            if (i)
                put(x, ", ");
            print_pat(x, sub(x, p.sub + i));
        }
        put(x, ")");
        break;
    default:
        break;
    }
}

char *ex_match(ExCtx *x, const uint32_t *arms, uint32_t n, bool *redundant, Arena *out)
{
    uint32_t **rows = ARENA_ARRAY(x->scratch, uint32_t *, n ? n : 1);
    for (uint32_t i = 0; i < n; i++) {
        rows[i] = ARENA_ARRAY(x->scratch, uint32_t, 1);
        rows[i][0] = arms[i];
        redundant[i] = !useful(x, rows, i, rows[i], 1, NULL);
    }
    uint32_t q = 0, wit = 0;
    if (!useful(x, rows, n, &q, 1, &wit))
        return NULL;
    builder_clear(&x->out);
    print_pat(x, wit);
    return arena_strndup(out, x->out.data, x->out.count);
}
