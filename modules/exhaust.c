/* exhaust — the usefulness algorithm.  See exhaust.h for the contract.
 *
 * A matrix is an array of rows; a row is an array of `w` pattern ids.  The
 * vector q is useful with respect to matrix P when some value matches q and
 * no row of P.  Arm i is redundant when its pattern is not useful after arms
 * 0..i-1; the match is exhaustive when the wildcard is not useful after all
 * arms, and the witness of its usefulness is the missing pattern.
 * All arrays are bump-allocated in scratch and abandoned there (never
 * rewound: the builders grow in the same arena).
 *
 * Length is not nesting: a row (and a witness) is a list of cells that share
 * their tails, so specializing a row by a head of arity a costs O(a), not
 * O(width); the search runs on an explicit stack of frames, so a
 * 40 000-element tuple pattern costs no C stack; and ex_match groups the
 * arms by head, so arm i is compared only with the earlier arms of the same
 * head or a wildcard head (a 100 000-arm match of literals is linear), and a
 * complete signature splits its rows by constructor once, not once per
 * constructor.
 */
#include "modules/exhaust.h"

#include "base/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One call of useful(rows, q, w) waiting for the answer of its sub-call. */
enum { M_SPEC, M_ALTS, M_DEFAULT };
struct ExFrame {
    uint32_t mode;
    const uint32_t *rows;
    uint32_t nrows, q, w;
    ExPat head;            /* M_SPEC, M_ALTS: the head specialized by */
    uint32_t k, alts;      /* M_ALTS: alternative being tried */
    const uint32_t *split; /* M_ALTS: rows grouped by alternative */
    const uint32_t *split_at;  /* alts + 1 offsets into split */
    ExPat first;           /* M_DEFAULT: a head of column 0 (kind WILD: none) */
    const bool *seen_tag;
    bool seen_bool[2];
};

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
    BUILDER_INIT(&x->cells, scratch, ExCell);
    BUILDER_INIT(&x->frames, scratch, ExFrame);
    BUILDER_INIT(&x->buckets, scratch, uint32_t);
    ex_reset_patterns(x);
}

void ex_reset_patterns(ExCtx *x)
{
    builder_clear(&x->pats);
    builder_clear(&x->subs);
    builder_clear(&x->cells);
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

static void print_pat(ExCtx *x, uint32_t id);

/* Arity of a head constructor. */
static uint32_t head_arity(const ExPat *p)
{
    return p->kind == EX_CTOR || p->kind == EX_TUPLE ? p->n : 0;
}

static ExCell *cell(ExCtx *x, uint32_t c) { return &((ExCell *)x->cells.data)[c]; }

static uint32_t cons(ExCtx *x, uint32_t pat_id, uint32_t next)
{
    ExCell *c = builder_push(&x->cells);
    if (!c)
        return EX_NIL;     /* only without an oom target (never in check) */
    c->pat = pat_id;
    c->next = next;
    return x->cells.count - 1;
}

/* The list `rest` with the a sub-patterns of head h in front (wildcards
 * when h is the wildcard). */
static uint32_t push_subs(ExCtx *x, const ExPat *h, uint32_t a, uint32_t rest)
{
    for (uint32_t i = a; i-- > 0;)
        rest = cons(x, h->kind == EX_WILD ? 0 : sub(x, h->sub + i), rest);
    return rest;
}

/* Rows (cell lists) specialized by head c of arity a: rows whose head is c
 * or a wildcard, with the head replaced by its a sub-patterns. */
static uint32_t specialize(ExCtx *x, const uint32_t *rows, uint32_t nrows, const ExPat *c,
                           uint32_t a, uint32_t **out)
{
    uint32_t *res = ARENA_ARRAY(x->scratch, uint32_t, nrows ? nrows : 1);
    uint32_t n = 0;
    for (uint32_t r = 0; r < nrows; r++) {
        ExCell rc = *cell(x, rows[r]);
        const ExPat *h = pat(x, rc.pat);
        if (h->kind != EX_WILD && !same_head(h, c))
            continue;
        res[n++] = push_subs(x, h, a, rc.next);
    }
    *out = res;
    return n;
}

typedef struct Call {
    const uint32_t *rows;
    uint32_t nrows, q, w;
} Call;

/* Alternative k of a complete signature headed like `first`. */
static ExPat alternative(ExCtx *x, const ExPat *first, uint32_t k)
{
    ExPat c = *first;
    if (first->kind == EX_CTOR) {
        c.tag = k;
        c.n = ((uint32_t *)x->arities.data)[((ExSum *)x->sums.data)[c.sum].ctor_first + k];
    } else if (first->kind == EX_BOOL) {
        c.ival = k == 0;     /* true first, then false */
    }
    return c;
}

/* The sub-call of frame f for head c: its rows, and q specialized. */
static Call spec_call(ExCtx *x, const ExFrame *f, const uint32_t *rows, uint32_t nrows,
                      const ExPat *c)
{
    uint32_t a = head_arity(c);
    Call sc;
    uint32_t *srows;
    sc.nrows = specialize(x, rows, nrows, c, a, &srows);
    sc.rows = srows;
    ExCell qc = *cell(x, f->q);
    sc.q = push_subs(x, pat(x, qc.pat), a, qc.next);
    sc.w = a + f->w - 1;
    return sc;
}

/* Rows of alternative k of an M_ALTS frame (grouped once, source order). */
static Call alt_call(ExCtx *x, ExFrame *f)
{
    f->head = alternative(x, &f->first, f->k);
    return spec_call(x, f, f->split + f->split_at[f->k], f->split_at[f->k + 1] - f->split_at[f->k],
                     &f->head);
}

/* Sets up frame f for call c (whose w > 0 and rows non-empty); returns the
 * sub-call to make. */
static Call open_frame(ExCtx *x, ExFrame *f, Call c)
{
    memset(f, 0, sizeof *f);
    f->rows = c.rows;
    f->nrows = c.nrows;
    f->q = c.q;
    f->w = c.w;
    const ExPat *qh = pat(x, cell(x, c.q)->pat);
    if (qh->kind != EX_WILD) {
        f->mode = M_SPEC;
        f->head = *qh;
        return spec_call(x, f, c.rows, c.nrows, &f->head);
    }
    /* The constructors heading column 0, and whether they cover the type. */
    const ExPat *first = NULL;
    bool *seen_tag = NULL;
    uint32_t distinct = 0, ctor_count = 0;
    for (uint32_t r = 0; r < c.nrows; r++) {
        const ExPat *h = pat(x, cell(x, c.rows[r])->pat);
        if (h->kind == EX_WILD)
            continue;
        if (!first) {
            first = h;
            if (h->kind == EX_CTOR) {
                ctor_count = ((ExSum *)x->sums.data)[h->sum].ctor_count;
                seen_tag = ARENA_ZARRAY(x->scratch, bool, ctor_count ? ctor_count : 1);
            }
        }
        /* Rows of another sum can only come from a duplicate type declaration
         * (E0203, already reported) that shares the first one's name. */
        if (h->kind == EX_CTOR && first->kind == EX_CTOR && h->sum == first->sum &&
            !seen_tag[h->tag]) {
            seen_tag[h->tag] = true;
            distinct++;
        } else if (h->kind == EX_BOOL && !f->seen_bool[h->ival != 0]) {
            f->seen_bool[h->ival != 0] = true;
            distinct++;
        }
    }
    bool complete = false;
    if (first) {
        switch ((ExKind)first->kind) {
        case EX_CTOR: complete = distinct == ctor_count; break;
        case EX_BOOL: complete = distinct == 2; break;
        case EX_UNIT:
        case EX_TUPLE: complete = true; break;
        default: complete = false; break;   /* Int, Str: infinite */
        }
    }
    f->first = first ? *first : *pat(x, 0);
    f->seen_tag = seen_tag;
    if (complete && (first->kind == EX_UNIT || first->kind == EX_TUPLE)) {
        f->mode = M_SPEC;
        f->head = *first;
        return spec_call(x, f, c.rows, c.nrows, &f->head);
    }
    if (complete) {
        /* Group the rows by alternative once (wildcard rows go to every
         * one): a counting sort keeps each group in source order. */
        f->mode = M_ALTS;
        f->alts = first->kind == EX_CTOR ? ctor_count : 2;
        uint32_t *at = ARENA_ZARRAY(x->scratch, uint32_t, f->alts + 1);
        uint32_t wild = 0;
        for (uint32_t r = 0; r < c.nrows; r++) {
            const ExPat *h = pat(x, cell(x, c.rows[r])->pat);
            if (h->kind == EX_WILD)
                wild++;
            else if (h->kind == EX_CTOR && h->sum == first->sum)
                at[h->tag + 1]++;
            else if (h->kind == EX_BOOL)
                at[(h->ival == 0) + 1]++;
        }
        for (uint32_t k = 0; k < f->alts; k++)
            at[k + 1] += at[k] + wild;
        uint32_t *split = ARENA_ARRAY(x->scratch, uint32_t, at[f->alts] ? at[f->alts] : 1);
        uint32_t *fill = ARENA_ARRAY(x->scratch, uint32_t, f->alts);
        memcpy(fill, at, f->alts * sizeof *fill);
        for (uint32_t r = 0; r < c.nrows; r++) {
            const ExPat *h = pat(x, cell(x, c.rows[r])->pat);
            if (h->kind == EX_WILD) {
                for (uint32_t k = 0; k < f->alts; k++)
                    split[fill[k]++] = c.rows[r];
            } else if (h->kind == EX_CTOR && h->sum == first->sum) {
                split[fill[h->tag]++] = c.rows[r];
            } else if (h->kind == EX_BOOL) {
                split[fill[h->ival == 0]++] = c.rows[r];
            }
        }
        f->split = split;
        f->split_at = at;
        f->k = 0;
        return alt_call(x, f);
    }
    /* Incomplete: only the rows with a wildcard head matter. */
    f->mode = M_DEFAULT;
    uint32_t *drows = ARENA_ARRAY(x->scratch, uint32_t, c.nrows ? c.nrows : 1);
    uint32_t dn = 0;
    for (uint32_t r = 0; r < c.nrows; r++) {
        ExCell rc = *cell(x, c.rows[r]);
        if (pat(x, rc.pat)->kind == EX_WILD)
            drows[dn++] = rc.next;
    }
    Call d = { drows, dn, cell(x, c.q)->next, c.w - 1 };
    return d;
}

/* The witness of frame f's head: its a sub-witnesses in front of `wit`
 * become one pattern. */
static uint32_t wrap_witness(ExCtx *x, const ExPat *head, uint32_t wit)
{
    uint32_t a = head_arity(head);
    uint32_t small[8];
    uint32_t *kids = a <= 8 ? small : ARENA_ARRAY(x->scratch, uint32_t, a);
    for (uint32_t i = 0; i < a; i++) {
        kids[i] = cell(x, wit)->pat;
        wit = cell(x, wit)->next;
    }
    uint32_t p;
    if (head->kind == EX_CTOR)
        p = ex_ctor(x, head->sum, head->tag, kids, a);
    else if (head->kind == EX_TUPLE)
        p = ex_tuple(x, kids, a);
    else
        p = add_pat(x, *head);
    return cons(x, p, wit);
}

/* The pattern a default frame's witness starts with: a constructor or Bool
 * the column does not mention, else the wildcard. */
static uint32_t missing_head(ExCtx *x, const ExFrame *f)
{
    if (f->first.kind == EX_CTOR) {
        uint32_t k = 0;
        while (f->seen_tag[k])
            k++;
        const ExSum *s = &((ExSum *)x->sums.data)[f->first.sum];
        uint32_t a = ((uint32_t *)x->arities.data)[s->ctor_first + k];
        uint32_t *wild = ARENA_ZARRAY(x->scratch, uint32_t, a ? a : 1);
        return ex_ctor(x, f->first.sum, k, wild, a);
    }
    if (f->first.kind == EX_BOOL)
        return ex_bool(x, !f->seen_bool[1]);
    return 0;
}

/* useful(rows, q, w) on an explicit stack.  With want_wit, *wit receives the
 * witness: a list of w patterns that some value matches and no row does
 * (when nothing remains to compare, that is q itself). */
static bool useful(ExCtx *x, Call c, bool want_wit, uint32_t *wit)
{
    uint32_t base = x->frames.count;
    bool res;
    uint32_t w_out = EX_NIL;
    for (;;) {
        /* descend until a call answers by itself */
        while (c.w > 0 && c.nrows > 0) {
            ExFrame *f = builder_push(&x->frames);
            if (!f)
                return true;   /* only without an oom target */
            c = open_frame(x, f, c);
        }
        res = c.w == 0 ? c.nrows == 0 : true;
        w_out = c.w == 0 ? EX_NIL : c.q;
        /* return through the frames until one tries another alternative */
        bool resumed = false;
        while (x->frames.count > base) {
            ExFrame *f = &BUILDER_AT(&x->frames, ExFrame, x->frames.count - 1);
            if (f->mode == M_ALTS && !res && ++f->k < f->alts) {
                c = alt_call(x, f);
                resumed = true;
                break;
            }
            if (res && want_wit)
                w_out = f->mode == M_DEFAULT ? cons(x, missing_head(x, f), w_out)
                                             : wrap_witness(x, &f->head, w_out);
            x->frames.count--;
        }
        if (!resumed)
            break;
    }
    if (wit)
        *wit = w_out;
    return res;
}

/* ---- arms grouped by head ---------------------------------------------------
 * A table from head (kind and constructor, literal or string) to the list
 * of arms with that head, in source order; wildcard-headed arms form their
 * own list.  Arm i is then compared with those two lists only. */
typedef struct Groups {
    uint32_t *slot;        /* open addressing: group id + 1, 0 = empty */
    uint32_t cap;
    uint32_t *rep;         /* group -> its first arm's pattern */
    uint32_t *head, *tail; /* group -> first / last arm */
    uint32_t *next;        /* arm -> next arm of its group */
    uint32_t groups;
    uint32_t wild_head, wild_tail;
} Groups;

static uint64_t head_hash(const ExPat *h)
{
    uint64_t v[3] = { h->kind, 0, 0 };
    if (h->kind == EX_CTOR) {
        v[1] = h->sum;
        v[2] = h->tag;
    } else if (h->kind == EX_INT || h->kind == EX_BOOL) {
        v[1] = (uint64_t)h->ival;
    } else if (h->kind == EX_STR) {
        v[1] = h->slen;
        v[2] = hash_bytes(h->sval, h->slen);
    }
    return hash_bytes(v, sizeof v);
}

static void append(Groups *g, uint32_t *head, uint32_t *tail, uint32_t arm)
{
    g->next[arm] = EX_NIL;
    if (*head == EX_NIL)
        *head = arm;
    else
        g->next[*tail] = arm;
    *tail = arm;
}

/* The group of arm `arm`'s head h (created when new). */
static uint32_t group_of(ExCtx *x, Groups *g, const ExPat *h, uint32_t pat_id)
{
    uint32_t i = (uint32_t)head_hash(h) & (g->cap - 1);
    while (g->slot[i]) {
        uint32_t k = g->slot[i] - 1;
        if (same_head(pat(x, g->rep[k]), h))
            return k;
        i = (i + 1) & (g->cap - 1);
    }
    uint32_t k = g->groups++;
    g->slot[i] = k + 1;
    g->rep[k] = pat_id;
    g->head[k] = g->tail[k] = EX_NIL;
    return k;
}

char *ex_match(ExCtx *x, const uint32_t *arms, uint32_t n, bool *redundant, Arena *out)
{
    uint32_t *rows = ARENA_ARRAY(x->scratch, uint32_t, n ? n : 1);
    for (uint32_t i = 0; i < n; i++)
        rows[i] = cons(x, arms[i], EX_NIL);
    Groups g;
    g.cap = 16;
    while (g.cap < 2 * n + 2)
        g.cap *= 2;
    g.slot = ARENA_ZARRAY(x->scratch, uint32_t, g.cap);
    g.rep = ARENA_ARRAY(x->scratch, uint32_t, n + 1);
    g.head = ARENA_ARRAY(x->scratch, uint32_t, n + 1);
    g.tail = ARENA_ARRAY(x->scratch, uint32_t, n + 1);
    g.next = ARENA_ARRAY(x->scratch, uint32_t, n + 1);
    g.groups = 0;
    g.wild_head = g.wild_tail = EX_NIL;
    uint32_t *cand = ARENA_ARRAY(x->scratch, uint32_t, n ? n : 1);
    for (uint32_t i = 0; i < n; i++) {
        const ExPat *h = pat(x, arms[i]);
        Call c = { rows, i, rows[i], 1 };
        uint32_t grp = EX_NIL;
        if (h->kind != EX_WILD) {
            /* the earlier arms of the same head or a wildcard head, merged
             * in source order */
            grp = group_of(x, &g, h, arms[i]);
            uint32_t a = g.head[grp], b = g.wild_head, cn = 0;
            while (a != EX_NIL || b != EX_NIL) {
                if (b == EX_NIL || (a != EX_NIL && a < b)) {
                    cand[cn++] = rows[a];
                    a = g.next[a];
                } else {
                    cand[cn++] = rows[b];
                    b = g.next[b];
                }
            }
            c.rows = cand;
            c.nrows = cn;
        }
        redundant[i] = !useful(x, c, false, NULL);
        if (grp == EX_NIL)
            append(&g, &g.wild_head, &g.wild_tail, i);
        else
            append(&g, &g.head[grp], &g.tail[grp], i);
    }
    uint32_t wit = EX_NIL;
    Call all = { rows, n, cons(x, 0, EX_NIL), 1 };
    if (!useful(x, all, true, &wit))
        return NULL;
    builder_clear(&x->out);
    print_pat(x, cell(x, wit)->pat);
    return arena_strndup(out, x->out.data, x->out.count);
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

