/* types — type store, union-find unification with levels, generalization,
 * instantiation, and the section 7 printer.  Invariants: see types.h. */
#include "modules/types.h"

#include <stdio.h>
#include <string.h>

const char *ty_kind_name(TyKind k)
{
    static const char *const names[] = {
#define TY_NAME_(k) #k,
        TY_KINDS(TY_NAME_)
#undef TY_NAME_
    };
    return (unsigned)k < TY__COUNT ? names[k] : "?";
}

/* ---- nodes ---------------------------------------------------------------- */

/* builder_push with the common case inline: the store grows by a node or a
 * stack entry at nearly every step of inference. */
static inline void *push_slot(Builder *b)
{
    return b->count < b->cap ? b->data + (size_t)b->count++ * b->elem_size : builder_push(b);
}

static inline void push_u32(Builder *b, uint32_t v)
{
    uint32_t *slot = push_slot(b);
    if (slot) *slot = v;
}

static TyNode *node_at(TyStore *s, uint32_t t)
{
    return &((TyNode *)s->nodes.data)[t];
}

static uint32_t *stamp_at(TyStore *s, uint32_t t)
{
    return &((uint32_t *)s->stamp.data)[t];
}

static uint32_t *copy_at(TyStore *s, uint32_t t)
{
    return &((uint32_t *)s->copy.data)[t];
}

static uint32_t new_node(TyStore *s, uint32_t kind, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t id = s->nodes.count;
    TyNode *n = push_slot(&s->nodes);
    n->kind = kind;
    n->a = a;
    n->b = b;
    n->c = c;
    push_u32(&s->stamp, 0);
    push_u32(&s->copy, 0);
    return id;
}

static uint32_t push_extra(TyStore *s, const uint32_t *v, uint32_t n)
{
    uint32_t at = s->extra.count;
    builder_push_n(&s->extra, v, n);
    return at;
}

void ty_store_init(TyStore *s, Arena *scratch)
{
    memset(s, 0, sizeof *s);
    s->arena = scratch;
    BUILDER_INIT(&s->nodes, scratch, TyNode);
    BUILDER_INIT(&s->extra, scratch, uint32_t);
    BUILDER_INIT(&s->stamp, scratch, uint32_t);
    BUILDER_INIT(&s->copy, scratch, uint32_t);
    BUILDER_INIT(&s->work, scratch, uint32_t);
    BUILDER_INIT(&s->occ, scratch, uint32_t);
    BUILDER_INIT(&s->pairs, scratch, UnifyPair);
    BUILDER_INIT(&s->named_modlen, scratch, uint32_t);
    builder_reserve(&s->nodes, 1024);
    builder_reserve(&s->stamp, 1024);
    builder_reserve(&s->copy, 1024);
    builder_reserve(&s->extra, 1024);
    intern_init(&s->named, scratch, 64);
    s->epoch = 1;
    s->t_error = new_node(s, TY_ERROR, 0, 0, 0);
    s->t_int = new_node(s, TY_INT, 0, 0, 0);
    s->t_bool = new_node(s, TY_BOOL, 0, 0, 0);
    s->t_str = new_node(s, TY_STR, 0, 0, 0);
    s->t_unit = new_node(s, TY_UNIT, 0, 0, 0);
}

void ty_store_reserve(TyStore *s, uint32_t nodes)
{
    /* Allocation failure jumps (check_module's arenas have an oom target). */
    builder_reserve(&s->nodes, nodes);
    builder_reserve(&s->stamp, nodes);
    builder_reserve(&s->copy, nodes);
    builder_reserve(&s->extra, nodes);
}

uint32_t ty_find(TyStore *s, uint32_t t)
{
    uint32_t root = t;
    for (;;) {
        const TyNode *n = node_at(s, root);
        if (n->kind != TY_VAR || n->a == TY_NONE)
            break;
        root = n->a;
    }
    /* Path compression: every variable on the chain points at the root. */
    while (t != root) {
        TyNode *n = node_at(s, t);
        uint32_t next = n->a;
        n->a = root;
        t = next;
    }
    return root;
}

uint32_t ty_var(TyStore *s) { return new_node(s, TY_VAR, TY_NONE, s->level, 0); }
uint32_t ty_generic_var(TyStore *s) { return new_node(s, TY_VAR, TY_NONE, TY_GENERIC, 0); }
uint32_t ty_rigid(TyStore *s, uint32_t level) { return new_node(s, TY_RIGID, 0, level, 0); }

uint32_t ty_fn(TyStore *s, const uint32_t *params, uint32_t n, uint32_t result)
{
    uint32_t at = push_extra(s, params, n);
    push_extra(s, &result, 1);
    return new_node(s, TY_FN, at, n, 0);
}

uint32_t ty_tuple(TyStore *s, const uint32_t *elems, uint32_t n)
{
    return new_node(s, TY_TUPLE, push_extra(s, elems, n), n, 0);
}

uint32_t ty_con(TyStore *s, uint32_t named, const uint32_t *args, uint32_t n)
{
    return new_node(s, TY_CON, push_extra(s, args, n), n, named);
}

uint32_t ty_named(TyStore *s, const char *module, const char *type)
{
    size_t ml = strlen(module), tl = strlen(type);
    char stackbuf[256];
    char *buf = ml + tl + 2 <= sizeof stackbuf ? stackbuf : arena_alloc(s->arena, ml + tl + 2, 1);
    memcpy(buf, module, ml);
    buf[ml] = '.';
    memcpy(buf + ml + 1, type, tl);
    uint32_t before = s->named.count;
    uint32_t id = intern(&s->named, buf, ml + 1 + tl);
    if (id != INTERN_NONE && id >= before)
        BUILDER_PUSH(&s->named_modlen, uint32_t, (uint32_t)ml);
    return id;
}

const char *ty_named_qname(const TyStore *s, uint32_t named, uint32_t *modlen)
{
    *modlen = ((const uint32_t *)s->named_modlen.data)[named];
    return intern_str(&s->named, named);
}

/* ---- unification ---------------------------------------------------------- */

/* Occurs check of v in t, lowering the levels of t's variables to v's level
 * on the way (so that generalization later sees where they escaped to).
 * A rigid variable deeper than v would escape its declaration: that binding
 * is refused (the annotation promised more polymorphism than there is). */
enum { ADJ_OK, ADJ_OCCURS, ADJ_ESCAPE };
static int occurs_adjust(TyStore *s, uint32_t v, uint32_t t)
{
    uint32_t level = node_at(s, v)->b;
    uint32_t epoch = ++s->epoch;
    builder_clear(&s->occ);
    push_u32(&s->occ, t);
    while (s->occ.count) {
        uint32_t x = ty_find(s, BUILDER_AT(&s->occ, uint32_t, --s->occ.count));
        if (*stamp_at(s, x) == epoch)
            continue;
        *stamp_at(s, x) = epoch;
        TyNode *n = node_at(s, x);
        switch (n->kind) {
        case TY_VAR:
            if (x == v)
                return ADJ_OCCURS;
            if (n->b != TY_GENERIC && n->b > level)
                n->b = level;
            break;
        case TY_RIGID:
            if (n->b != TY_GENERIC && n->b > level)
                return ADJ_ESCAPE;
            break;
        case TY_FN: {
            uint32_t at = n->a, cnt = n->b + 1;
            for (uint32_t i = 0; i < cnt; i++)
                push_u32(&s->occ, *ty_extra(s, at + i));
            break;
        }
        case TY_TUPLE:
        case TY_CON: {
            uint32_t at = n->a, cnt = n->b;
            for (uint32_t i = 0; i < cnt; i++)
                push_u32(&s->occ, *ty_extra(s, at + i));
            break;
        }
        default:
            break;
        }
    }
    return ADJ_OK;
}

/* Records that compound nodes e and f are being unified in this call; false
 * if they already were.  Two types that are equal DAGs but distinct nodes
 * (an imported scheme and a local one) may be exponentially large as trees:
 * each pair of nodes is unified once.  Open addressing, entries of older
 * calls are free (epoch). */
static bool pair_first(TyStore *s, uint32_t e, uint32_t f)
{
    uint32_t cap = s->pairs.count;
    if ((s->pairs_used + 1) * 2 > cap) {
        uint32_t ncap = cap ? cap * 2 : 256;
        UnifyPair *old = (UnifyPair *)s->pairs.data;
        Builder nb;
        BUILDER_INIT(&nb, s->arena, UnifyPair);
        if (!builder_reserve(&nb, ncap))
            return true;       /* no memory: unify without the shortcut */
        nb.count = ncap;
        memset(nb.data, 0, (size_t)ncap * sizeof(UnifyPair));
        UnifyPair *slots = (UnifyPair *)nb.data;
        for (uint32_t i = 0; i < cap; i++) {
            if (old[i].epoch != s->pair_epoch)
                continue;
            uint32_t h = ((old[i].e * 2654435761u) ^ (old[i].f * 40503u)) & (ncap - 1);
            while (slots[h].epoch == s->pair_epoch)
                h = (h + 1) & (ncap - 1);
            slots[h] = old[i];
        }
        s->pairs = nb;
        cap = ncap;
    }
    UnifyPair *slots = (UnifyPair *)s->pairs.data;
    uint32_t h = ((e * 2654435761u) ^ (f * 40503u)) & (cap - 1);
    while (slots[h].epoch == s->pair_epoch) {
        if (slots[h].e == e && slots[h].f == f)
            return false;
        h = (h + 1) & (cap - 1);
    }
    slots[h] = (UnifyPair){ e, f, s->pair_epoch };
    s->pairs_used++;
    return true;
}

TyResult ty_unify(TyStore *s, uint32_t expected, uint32_t found,
                  uint32_t *occ_var, uint32_t *occ_type)
{
    Builder *w = &s->work;
    builder_clear(w);
    if (++s->pair_epoch == 0) {           /* wrapped: forget every entry */
        memset(s->pairs.data, 0, (size_t)s->pairs.count * sizeof(UnifyPair));
        s->pair_epoch = 1;
    }
    s->pairs_used = 0;
    uint32_t compound = 0;    /* small unifications skip the pair table */
    push_u32(w, expected);
    push_u32(w, found);
    while (w->count) {
        uint32_t f = ty_find(s, BUILDER_AT(w, uint32_t, w->count - 1));
        uint32_t e = ty_find(s, BUILDER_AT(w, uint32_t, w->count - 2));
        w->count -= 2;
        if (e == f)
            continue;
        TyNode ne = *node_at(s, e), nf = *node_at(s, f);
        if (ne.kind == TY_ERROR || nf.kind == TY_ERROR) {
            /* A variable meeting the error type becomes it, so that what
             * depends on a failed name is in error too (and silent). */
            if (ne.kind == TY_VAR)
                node_at(s, e)->a = f;
            else if (nf.kind == TY_VAR)
                node_at(s, f)->a = e;
            continue;
        }
        if (ne.kind == TY_VAR || nf.kind == TY_VAR) {
            uint32_t v = ne.kind == TY_VAR ? e : f, t = v == e ? f : e;
            if (node_at(s, t)->kind == TY_VAR) {
                /* Keep the outer (smaller) level on the surviving root. */
                if (node_at(s, v)->b < node_at(s, t)->b)
                    node_at(s, t)->b = node_at(s, v)->b;
            } else {
                int adj = occurs_adjust(s, v, t);
                if (adj == ADJ_ESCAPE)
                    return TY_MISMATCH;
                if (adj == ADJ_OCCURS) {
                    *occ_var = v;
                    *occ_type = t;
                    return TY_OCCURS;
                }
            }
            node_at(s, v)->a = t;
            continue;
        }
        if (ne.kind != nf.kind)
            return TY_MISMATCH;
        switch (ne.kind) {
        case TY_RIGID:
        case TY_GEN:
            return TY_MISMATCH;    /* distinct rigid variables */
        case TY_CON:
            if (ne.c != nf.c)
                return TY_MISMATCH;
            /* fall through */
        case TY_TUPLE:
        case TY_FN: {
            if (ne.b != nf.b)
                return TY_MISMATCH;
            if (++compound > 32 && !pair_first(s, e, f))
                break;
            uint32_t cnt = ne.b + (ne.kind == TY_FN);
            for (uint32_t i = cnt; i-- > 0;) {
                push_u32(w, *ty_extra(s, ne.a + i));
                push_u32(w, *ty_extra(s, nf.a + i));
            }
            break;
        }
        default:
            break;             /* same primitive */
        }
    }
    return TY_OK;
}

/* ---- generalization and instantiation -------------------------------------- */

/* Pushes the children of compound node n (in reverse, so that they pop in
 * source order: the walk is a pre-order like the recursive one it replaces). */
static void push_kids(Builder *stack, const uint32_t *extra, TyNode n)
{
    if (n.kind != TY_FN && n.kind != TY_TUPLE && n.kind != TY_CON)
        return;
    uint32_t cnt = n.b + (n.kind == TY_FN);
    for (uint32_t i = cnt; i-- > 0;)
        push_u32(stack, extra[n.a + i]);
}

/* Every walk below works on the type DAG with an explicit stack and the
 * per-node epoch stamps, so its cost is the number of distinct nodes and its
 * C stack is constant, however deep or exponentially large (as a tree) the
 * type is. */
/* A pre-order visit of the distinct nodes reachable from t (walk_begin, then
 * walk_next until TY_NONE), on the store's `occ` stack. */
static uint32_t walk_begin(TyStore *s, uint32_t t)
{
    builder_clear(&s->occ);
    push_u32(&s->occ, t);
    return ++s->epoch;
}

static uint32_t walk_next(TyStore *s, uint32_t epoch)
{
    while (s->occ.count) {
        uint32_t x = ty_find(s, BUILDER_AT(&s->occ, uint32_t, --s->occ.count));
        if (*stamp_at(s, x) == epoch)
            continue;
        *stamp_at(s, x) = epoch;
        push_kids(&s->occ, ty_extra(s, 0), *node_at(s, x));
        return x;
    }
    return TY_NONE;
}

void ty_generalize(TyStore *s, uint32_t t)
{
    uint32_t epoch = walk_begin(s, t);
    for (uint32_t x; (x = walk_next(s, epoch)) != TY_NONE;) {
        TyNode *n = node_at(s, x);
        if ((n->kind == TY_VAR || n->kind == TY_RIGID) && n->b != TY_GENERIC && n->b > s->level)
            n->b = TY_GENERIC;
    }
}

void ty_occurs_failed(TyStore *s, uint32_t occ_var, uint32_t occ_type)
{
    /* occ_type is a compound node made in this task (it contains the
     * variable, so it is neither a shared constant nor an imported node) */
    TyNode *n = node_at(s, occ_type);
    n->kind = TY_ERROR;
    n->a = n->b = n->c = 0;
    node_at(s, occ_var)->a = s->t_error;
}

/* Post-order walks push a node twice: as `x` (open: push its children) and as
 * `x | TY_WALK_CLOSE` (its children are done: build it). */
#define TY_WALK_CLOSE 0x80000000u

static uint32_t inst_node(TyStore *s, uint32_t t, uint32_t epoch)
{
    TyNode n = *node_at(s, t);
    if (n.kind == TY_VAR || n.kind == TY_RIGID)
        return n.b == TY_GENERIC ? ty_var(s) : t;
    if (n.kind != TY_FN && n.kind != TY_TUPLE && n.kind != TY_CON)
        return t;
    uint32_t cnt = n.b + (n.kind == TY_FN);
    uint32_t small[8];
    uint32_t *kids = cnt <= 8 ? small : ARENA_ARRAY(s->arena, uint32_t, cnt);
    bool changed = false;
    for (uint32_t i = 0; i < cnt; i++) {
        uint32_t k = ty_find(s, *ty_extra(s, n.a + i));
        kids[i] = *stamp_at(s, k) == epoch ? *copy_at(s, k) : k;
        changed |= kids[i] != k;
    }
    if (!changed)
        return t;
    if (n.kind == TY_FN)
        return ty_fn(s, kids, n.b, kids[n.b]);
    if (n.kind == TY_TUPLE)
        return ty_tuple(s, kids, n.b);
    return ty_con(s, n.c, kids, n.b);
}

uint32_t ty_instantiate(TyStore *s, uint32_t t)
{
    /* A leaf that is not quantified is its own instance (most uses of
     * locals): no walk, no epoch. */
    t = ty_find(s, t);
    const TyNode *n = node_at(s, t);
    if (n->kind != TY_FN && n->kind != TY_TUPLE && n->kind != TY_CON &&
        !((n->kind == TY_VAR || n->kind == TY_RIGID) && n->b == TY_GENERIC))
        return t;
    uint32_t epoch = ++s->epoch;
    Builder *st = &s->occ;
    builder_clear(st);
    push_u32(st, t);
    while (st->count) {
        uint32_t x = BUILDER_AT(st, uint32_t, --st->count);
        bool close = x & TY_WALK_CLOSE;
        x = ty_find(s, x & ~TY_WALK_CLOSE);
        if (*stamp_at(s, x) == epoch)
            continue;
        if (!close) {
            push_u32(st, x | TY_WALK_CLOSE);
            push_kids(st, ty_extra(s, 0), *node_at(s, x));
            continue;
        }
        uint32_t r = inst_node(s, x, epoch);
        *stamp_at(s, x) = epoch;
        *copy_at(s, x) = r;
    }
    return *copy_at(s, t);
}

bool ty_is_error(TyStore *s, uint32_t t)
{
    uint32_t epoch = walk_begin(s, t);
    for (uint32_t x; (x = walk_next(s, epoch)) != TY_NONE;)
        if (node_at(s, x)->kind == TY_ERROR)
            return true;
    return false;
}

/* ---- printing ------------------------------------------------------------- */

static const char *store_qname(const void *ctx, uint32_t named, uint32_t *modlen)
{
    return ty_named_qname(ctx, named, modlen);
}

TyGraph ty_store_graph(const TyStore *s)
{
    TyGraph g = { (const TyNode *)s->nodes.data, (const uint32_t *)s->extra.data, store_qname, s };
    return g;
}

void ty_printer_init(TyPrinter *p, TyGraph g, const char *self_module, Arena *scratch)
{
    p->g = g;
    p->self_module = self_module;
    p->limit = TY_PRINT_LIMIT;
    p->var_count = 0;
    BUILDER_INIT(&p->out, scratch, char);
    BUILDER_INIT(&p->vars, scratch, uint32_t);
    BUILDER_INIT(&p->stack, scratch, uint32_t);
}

void ty_print_str(TyPrinter *p, const char *s)
{
    builder_push_n(&p->out, s, (uint32_t)strlen(s));
}

/* The variable-name table: open addressing over (key + 1, number) pairs in
 * `vars`, so that a type with 100 000 variables prints in linear time. */
static uint32_t var_number(TyPrinter *p, uint32_t key)
{
    uint32_t cap = p->vars.count / 2;
    if ((p->var_count + 1) * 2 > cap) {
        uint32_t ncap = cap ? cap * 2 : 64;
        uint32_t *old = (uint32_t *)p->vars.data;
        Builder nb;
        builder_init(&nb, p->vars.arena, sizeof(uint32_t), _Alignof(uint32_t));
        if (!builder_reserve(&nb, ncap * 2))
            return 0;
        nb.count = ncap * 2;
        memset(nb.data, 0, (size_t)ncap * 2 * sizeof(uint32_t));
        uint32_t *slots = (uint32_t *)nb.data;
        for (uint32_t i = 0; i < cap; i++) {
            if (!old[2 * i])
                continue;
            uint32_t h = (old[2 * i] * 2654435761u) & (ncap - 1);
            while (slots[2 * h])
                h = (h + 1) & (ncap - 1);
            slots[2 * h] = old[2 * i];
            slots[2 * h + 1] = old[2 * i + 1];
        }
        p->vars = nb;
        cap = ncap;
    }
    uint32_t *slots = (uint32_t *)p->vars.data;
    uint32_t h = ((key + 1) * 2654435761u) & (cap - 1);
    while (slots[2 * h] && slots[2 * h] != key + 1)
        h = (h + 1) & (cap - 1);
    if (!slots[2 * h]) {
        slots[2 * h] = key + 1;
        slots[2 * h + 1] = p->var_count++;
    }
    return slots[2 * h + 1];
}

static void print_var(TyPrinter *p, uint32_t key)
{
    uint32_t i = var_number(p, key);
    char buf[16];
    if (i < 26)
        snprintf(buf, sizeof buf, "%c", 'a' + (int)i);
    else
        snprintf(buf, sizeof buf, "%c%u", 'a' + (int)(i % 26), i / 26);
    ty_print_str(p, buf);
}

static uint32_t graph_find(const TyGraph *g, uint32_t t)
{
    while (g->nodes[t].kind == TY_VAR && g->nodes[t].a != TY_NONE)
        t = g->nodes[t].a;
    return t;
}

/* The printer's work stack holds node indices and punctuation
 * (TY_WALK_CLOSE | index into `punct`). */
static const char *const punct[] = { ", ", "(", ")", ") -> ", " -> " };
enum { P_COMMA, P_OPEN, P_CLOSE, P_ARROW_PAREN, P_ARROW };

static void push_punct(TyPrinter *p, uint32_t k) { push_u32(&p->stack, TY_WALK_CLOSE | k); }

/* Pushes "(" list ")" in reverse (the `close` string ends the list). */
static void push_list(TyPrinter *p, uint32_t at, uint32_t n, uint32_t close, bool open)
{
    push_punct(p, close);
    for (uint32_t i = n; i-- > 0;) {
        push_u32(&p->stack, p->g.extra[at + i]);
        if (i)
            push_punct(p, P_COMMA);
    }
    if (open)
        push_punct(p, P_OPEN);
}

static void print_node(TyPrinter *p, uint32_t t)
{
    t = graph_find(&p->g, t);
    TyNode n = p->g.nodes[t];
    switch ((TyKind)n.kind) {
    case TY_VAR:
    case TY_RIGID:
        print_var(p, t);
        break;
    case TY_GEN:
        print_var(p, TY_WALK_CLOSE | n.a);
        break;
    case TY_ERROR: ty_print_str(p, "<error>"); break;
    case TY_INT: ty_print_str(p, "Int"); break;
    case TY_BOOL: ty_print_str(p, "Bool"); break;
    case TY_STR: ty_print_str(p, "Str"); break;
    case TY_UNIT: ty_print_str(p, "()"); break;
    case TY_FN: {
        bool paren = true;
        if (n.b == 1) {
            uint32_t k = graph_find(&p->g, p->g.extra[n.a]);
            uint32_t kk = p->g.nodes[k].kind;
            paren = kk == TY_FN || kk == TY_TUPLE || kk == TY_UNIT;
        }
        push_u32(&p->stack, p->g.extra[n.a + n.b]);
        push_list(p, n.a, n.b, paren ? P_ARROW_PAREN : P_ARROW, paren);
        break;
    }
    case TY_TUPLE:
        push_list(p, n.a, n.b, P_CLOSE, true);
        break;
    case TY_CON: {
        uint32_t modlen;
        const char *q = p->g.qname(p->g.ctx, n.c, &modlen);
        if (p->self_module && strlen(p->self_module) == modlen &&
            memcmp(p->self_module, q, modlen) == 0)
            q += modlen + 1;
        ty_print_str(p, q);
        if (n.b)
            push_list(p, n.a, n.b, P_CLOSE, true);
        break;
    }
    default:
        ty_print_str(p, "?");
        break;
    }
}

void ty_print(TyPrinter *p, uint32_t t)
{
    uint32_t start = p->out.count;
    builder_clear(&p->stack);
    push_u32(&p->stack, t);
    while (p->stack.count) {
        if (p->out.count - start > p->limit) {
            ty_print_str(p, "...");
            break;
        }
        uint32_t x = BUILDER_AT(&p->stack, uint32_t, --p->stack.count);
        if (x & TY_WALK_CLOSE)
            ty_print_str(p, punct[x & ~TY_WALK_CLOSE]);
        else
            print_node(p, x);
    }
    builder_clear(&p->stack);
}

char *ty_printer_take(TyPrinter *p, Arena *arena)
{
    char *s = arena_strndup(arena, p->out.data ? p->out.data : "", p->out.count);
    builder_clear(&p->out);
    return s;
}

char *ty_to_string(TyStore *s, uint32_t t, const char *self_module, Arena *arena)
{
    TyPrinter p;
    ty_printer_init(&p, ty_store_graph(s), self_module, s->arena);
    ty_print(&p, t);
    return ty_printer_take(&p, arena);
}
