/* check — Hindley–Milner inference over the canonical IR, match
 * exhaustiveness, and sealing the checked artifact (check_module of
 * modules/phases.h).
 *
 * Invariants
 *   - Everything of the task lives in `scratch` (the type store, per-local
 *     and per-value types, caches of imported artifacts, exhaustiveness
 *     matrices) except the reports' messages and the sealed artifact, which
 *     go to `keep`.  Imported artifacts are only read.
 *   - Top-level values are inferred one SCC of canon's order at a time at
 *     level 1, then generalized at level 0; a value referred to inside its
 *     own SCC is monomorphic (instantiating a type without generic variables
 *     returns it unchanged).  A local `let` value is inferred one level
 *     deeper than its context and generalized when it ends.
 *   - Annotation variables are rigid from the start of the declaration that
 *     owns them (canon's tvars lists) and are generalized with it.
 *   - Orientation of every unification: expected = what the context
 *     requires (a parameter, an operator's operand, the first arm's type, an
 *     annotation, the scrutinee's type for a pattern), found = what the
 *     expression or pattern has.  The report spans the expression (pattern)
 *     whose type was found wanting.
 *   - One mistake, one report: a mismatch of an operand, of if-branches or
 *     of match arms makes the whole expression the error type; poisoned names have the error
 *     type; a match whose scrutinee type contains the error type, or one of
 *     whose patterns was in error, is not checked for exhaustiveness.
 *   - E0305 is reported at the scrutinee, W0306 at the redundant arm's
 *     pattern.
 *   - Failed definitions: a value with an error in its declaration (canon's
 *     `failed`, E0208's `bad_cycle`, or any error reported while its group's
 *     bodies are inferred, which fails the whole group) has the error type
 *     for every user; the artifact lists it as poisoned.  After E0303 both
 *     sides of the infinite type are the error type (ty_occurs_failed).
 *   - A duplicate value (E0203) is not in the artifact: the first
 *     definition is the name's.
 *   - check_module runs the phase inside the one protected call
 *     (base/protect.h) guarding keep and scratch: no allocation returns
 *     NULL here; running out of memory ends it with PHASE_OOM.
 */
#include "modules/canon.h"
#include "modules/deps.h"
#include "modules/exhaust.h"
#include "modules/phases.h"
#include "modules/types.h"

#include "base/protect.h"

#include <stdlib.h>
#include <string.h>

typedef struct ImportCache {
    const Artifact *art;        /* NULL: every name from it is poisoned */
    const char *module;
    uint32_t *named_map;        /* lazily: art named -> store named */
    uint32_t *node_map;         /* lazily: art node -> store node */
    uint32_t *sum_of_type;      /* lazily: art type -> exhaustiveness sum */
} ImportCache;

/* One artifact lookup made (Check.lookups): import, IR name, constructor
 * or value, and its answer (artifact_find_value / _ctor).  A hash table
 * rather than an array per import indexed by name: 30 000 imports used once
 * each would otherwise cost 30 000 arrays the size of the module's names. */
typedef struct Lookup { uint32_t imp, name, ctor, found; } Lookup;

typedef struct Check {
    const CanonModule *m;
    Arena *keep, *scratch;
    TyStore ts;
    ReportList rl;
    DepRecorder deps;           /* artifact lookups, after canonicalize's
                                 * interface lookups: the result's record */
    ExCtx ex;
    bool ex_untrusted;          /* this match has a constructor of a duplicate type */
    ImportCache *imp;
    Lookup *lookups;            /* open addressing; imp == UINT32_MAX: empty */
    uint32_t lookup_cap, lookup_count;
    uint32_t *local_ty;         /* per local: its type (let: generic) */
    uint32_t *value_ty;         /* per value: its type (generic after its SCC) */
    uint32_t *value_res;        /* per fn value: its result type while checked */
    uint32_t *tvar_ty;          /* per tvar: its rigid variable */
    uint32_t *type_named;       /* per local type: named id */
    uint32_t *type_sum;         /* per local type: exhaustiveness sum or TY_NONE */
    uint32_t *ctor_scheme;      /* per local ctor: generic scheme */
    Builder tasks;              /* InferTask: infer's explicit stack */
    Builder vals;               /* uint32: types infer's tasks hold (lists) */
} Check;

/* An expression being inferred by infer's explicit stack: its IR node, how
 * many steps it has taken, and words whose meaning depends on its kind (see
 * infer_step). */
typedef struct InferTask { uint32_t e, step, mark, x, y; } InferTask;

static uint32_t *fill_array(Arena *a, uint32_t n, uint32_t v)
{
    uint32_t *p = ARENA_ARRAY(a, uint32_t, n ? n : 1);
    for (uint32_t i = 0; i < n; i++)
        p[i] = v;
    return p;
}

/* ---- reports -------------------------------------------------------------- */

static bool unify_at(Check *c, uint32_t expected, uint32_t found, uint32_t start, uint32_t end)
{
    /* Most unifications meet types that are already one (an operand that is
     * an Int): answer those without starting the unifier. */
    if (ty_find(&c->ts, expected) == ty_find(&c->ts, found))
        return true;
    uint32_t ov = 0, ot = 0;
    TyResult r = ty_unify(&c->ts, expected, found, &ov, &ot);
    if (r == TY_OK)
        return true;
    TyPrinter p;
    ty_printer_init(&p, ty_store_graph(&c->ts), c->m->name, c->scratch);
    if (r == TY_OCCURS) {
        ty_print(&p, ov);
        char *v = ty_printer_take(&p, c->scratch);
        ty_print(&p, ot);
        char *t = ty_printer_take(&p, c->scratch);
        report_add(&c->rl, RC_E0303, start, end, "infinite type: %s = %s", v, t);
        ty_occurs_failed(&c->ts, ov, ot);
    } else {
        ty_print(&p, expected);
        char *e = ty_printer_take(&p, c->scratch);
        ty_print(&p, found);
        char *f = ty_printer_take(&p, c->scratch);
        report_add(&c->rl, RC_E0301, start, end, "type mismatch: expected %s, found %s", e, f);
    }
    return false;
}

static bool unify_expr(Check *c, uint32_t expected, uint32_t found, uint32_t e)
{
    return unify_at(c, expected, found, c->m->expr.start[e], c->m->expr.end[e]);
}

/* ---- imports -------------------------------------------------------------- */

static uint32_t import_type(Check *c, uint32_t imp, uint32_t node)
{
    ImportCache *ic = &c->imp[imp];
    if (!ic->node_map) {
        ic->named_map = fill_array(c->scratch, ic->art->named_count, TY_NONE);
        ic->node_map = fill_array(c->scratch, ic->art->node_count, TY_NONE);
    }
    return art_import(&c->ts, ic->art, node, ic->named_map, ic->node_map);
}

/* Index of an imported constructor, or UINT32_MAX when its import failed or
 * its type is poisoned (the error type, no report). */
/* artifact_find_value / artifact_find_ctor of an IR name (a binary search
 * by string), remembered per import: a module names the same imported
 * values over and over, and IR names are offsets, equal for equal names. */
static Lookup *lookup_slot(Lookup *t, uint32_t cap, uint32_t imp, uint32_t name, uint32_t ctor)
{
    uint32_t h = (imp * 2654435761u ^ name * 40503u ^ ctor) & (cap - 1);
    while (t[h].imp != UINT32_MAX && !(t[h].imp == imp && t[h].name == name && t[h].ctor == ctor))
        h = (h + 1) & (cap - 1);
    return &t[h];
}

static uint32_t find_by_name(Check *c, uint32_t imp, const Artifact *a, uint32_t name, bool ctor)
{
    if ((c->lookup_count + 1) * 2 > c->lookup_cap) {
        uint32_t ncap = c->lookup_cap ? c->lookup_cap * 2 : 64;
        Lookup *nt = ARENA_ARRAY(c->scratch, Lookup, ncap);
        memset(nt, 0xff, ncap * sizeof *nt);
        for (uint32_t i = 0; i < c->lookup_cap; i++) {
            const Lookup *o = &c->lookups[i];
            if (o->imp != UINT32_MAX)
                *lookup_slot(nt, ncap, o->imp, o->name, o->ctor) = *o;
        }
        c->lookups = nt;
        c->lookup_cap = ncap;
    }
    Lookup *slot = lookup_slot(c->lookups, c->lookup_cap, imp, name, ctor);
    if (slot->imp == UINT32_MAX) {
        slot->imp = imp;
        slot->name = name;
        slot->ctor = ctor;
        slot->found = ctor ? artifact_find_ctor(a, canon_str(c->m, name))
                           : artifact_find_value(a, canon_str(c->m, name));
        c->lookup_count++;
        dep_note(&c->deps, imp, ctor ? DEP_CTOR : DEP_VALUE, canon_str(c->m, name));
    }
    return slot->found;
}

static uint32_t imported_ctor(Check *c, uint32_t imp, uint32_t name)
{
    const Artifact *a = imp < c->m->import_count ? c->imp[imp].art : NULL;
    if (!a)
        return UINT32_MAX;
    uint32_t k = find_by_name(c, imp, a, name, true);
    if (k == UINT32_MAX || a->types[a->ctors[k].type].poisoned)
        return UINT32_MAX;
    return k;
}

/* ---- type expressions ------------------------------------------------------ */

static uint32_t conv_type(Check *c, uint32_t t, const uint32_t *params);

static uint32_t conv_list(Check *c, uint32_t list, const uint32_t *params, uint32_t *out)
{
    uint32_t n = canon_list_len(c->m, list);
    for (uint32_t i = 0; i < n; i++)
        out[i] = conv_type(c, canon_list_at(c->m, list, i), params);
    return n;
}

static uint32_t conv_type(Check *c, uint32_t t, const uint32_t *params)
{
    const CanonModule *m = c->m;
    TyStore *s = &c->ts;
    uint32_t a = m->type.a[t], b = m->type.b[t];
    switch ((CanonTypeKind)m->type.kind[t]) {
    case CT_VAR:
        if (c->tvar_ty[a] == TY_NONE)
            c->tvar_ty[a] = ty_rigid(s, s->level);
        return c->tvar_ty[a];
    case CT_PARAM: return params ? params[a] : s->t_error;
    case CT_INT: return s->t_int;
    case CT_BOOL: return s->t_bool;
    case CT_STR: return s->t_str;
    case CT_UNIT: return s->t_unit;
    case CT_TUPLE: {
        uint32_t *kids = ARENA_ARRAY(c->scratch, uint32_t, canon_list_len(m, a) + 1);
        uint32_t n = conv_list(c, a, params, kids);
        return ty_tuple(s, kids, n);
    }
    case CT_FN: {
        uint32_t *kids = ARENA_ARRAY(c->scratch, uint32_t, canon_list_len(m, a) + 1);
        uint32_t n = conv_list(c, a, params, kids);
        return ty_fn(s, kids, n, conv_type(c, b, params));
    }
    case CT_CON: {
        if (m->types[a].poisoned)
            return s->t_error;
        uint32_t *kids = ARENA_ARRAY(c->scratch, uint32_t, canon_list_len(m, b) + 1);
        uint32_t n = conv_list(c, b, params, kids);
        return ty_con(s, c->type_named[a], kids, n);
    }
    case CT_IMPORTED_CON: {
        uint32_t imp = canon_type_import(m, t);
        const Artifact *art = imp < m->import_count ? c->imp[imp].art : NULL;
        const char *name = canon_str(m, canon_type_import_name(m, t));
        uint32_t k = art ? artifact_find_type(art, name) : UINT32_MAX;
        if (art)
            dep_note(&c->deps, imp, DEP_TYPE, name);
        if (k == UINT32_MAX || art->types[k].poisoned)
            return s->t_error;
        uint32_t *kids = ARENA_ARRAY(c->scratch, uint32_t, canon_list_len(m, b) + 1);
        uint32_t n = conv_list(c, b, params, kids);
        return ty_con(s, ty_named(s, c->imp[imp].module, name), kids, n);
    }
    default:
        return s->t_error;
    }
}

/* ---- patterns -------------------------------------------------------------- */

static bool check_pat(Check *c, uint32_t p, uint32_t expected);

/* Sub-patterns of a constructor pattern against its payload types (NULL:
 * all error types). */
static bool check_subpats(Check *c, uint32_t list, const uint32_t *payload)
{
    bool err = false;
    uint32_t n = canon_list_len(c->m, list);
    for (uint32_t i = 0; i < n; i++)
        err |= check_pat(c, canon_list_at(c->m, list, i), payload ? payload[i] : c->ts.t_error);
    return err;
}

static bool check_ctor_pat(Check *c, uint32_t p, uint32_t expected, uint32_t scheme,
                           uint32_t arity, const char *name, uint32_t subs)
{
    const CanonModule *m = c->m;
    TyStore *s = &c->ts;
    uint32_t t = ty_find(s, ty_instantiate(s, scheme));
    uint32_t result = t, *payload = NULL;
    if (ty_node(s, t)->kind == TY_FN) {
        TyNode n = *ty_node(s, t);
        payload = ARENA_ARRAY(c->scratch, uint32_t, n.b + 1);
        memcpy(payload, ty_extra(s, n.a), n.b * sizeof(uint32_t));
        result = *ty_extra(s, n.a + n.b);
    }
    bool err = !unify_at(c, expected, result, m->pat.start[p], m->pat.end[p]);
    uint32_t found = canon_list_len(m, subs);
    if (found != arity) {
        report_add(&c->rl, RC_E0304, m->pat.start[p], m->pat.end[p],
                   "wrong number of arguments to constructor %s: expected %u, found %u",
                   name, arity, found);
        check_subpats(c, subs, NULL);
        return true;
    }
    return check_subpats(c, subs, payload) | err;
}

/* Types the pattern against `expected` and binds its locals.  Returns true
 * when the pattern is in error (then the match is not checked for
 * exhaustiveness). */
static bool check_pat(Check *c, uint32_t p, uint32_t expected)
{
    const CanonModule *m = c->m;
    TyStore *s = &c->ts;
    uint32_t a = m->pat.a[p], b = m->pat.b[p];
    uint32_t lit = TY_NONE;
    switch ((CanonPatKind)m->pat.kind[p]) {
    case CP_WILD: return false;
    case CP_BIND: c->local_ty[a] = expected; return false;
    case CP_INT: lit = s->t_int; break;
    case CP_STR: lit = s->t_str; break;
    case CP_TRUE:
    case CP_FALSE: lit = s->t_bool; break;
    case CP_UNIT: lit = s->t_unit; break;
    case CP_TUPLE: {
        uint32_t n = canon_list_len(m, a);
        uint32_t *elems = ARENA_ARRAY(c->scratch, uint32_t, n + 1);
        uint32_t e = ty_find(s, expected);
        if (ty_node(s, e)->kind == TY_TUPLE && ty_node(s, e)->b == n) {
            memcpy(elems, ty_extra(s, ty_node(s, e)->a), n * sizeof(uint32_t));
        } else {
            for (uint32_t i = 0; i < n; i++)
                elems[i] = ty_var(s);
        }
        bool err = !unify_at(c, expected, ty_tuple(s, elems, n), m->pat.start[p], m->pat.end[p]);
        if (err)
            for (uint32_t i = 0; i < n; i++)
                elems[i] = s->t_error;
        for (uint32_t i = 0; i < n; i++)
            err |= check_pat(c, canon_list_at(m, a, i), elems[i]);
        return err;
    }
    case CP_CTOR: {
        const CanonCtor *k = &m->ctors[a];
        return check_ctor_pat(c, p, expected, c->ctor_scheme[a], canon_list_len(m, k->payload),
                              canon_str(m, k->name), b);
    }
    case CP_IMPORTED_CTOR: {
        uint32_t imp = canon_pat_import(m, p);
        uint32_t k = imported_ctor(c, imp, canon_pat_import_name(m, p));
        if (k == UINT32_MAX) {
            check_subpats(c, b, NULL);
            return true;
        }
        const Artifact *art = c->imp[imp].art;
        return check_ctor_pat(c, p, expected, import_type(c, imp, art->ctors[k].scheme),
                              art->ctors[k].arity, art->strings + art->ctors[k].name, b);
    }
    case CP_POISON:
    default:
        check_subpats(c, b, NULL);
        return true;
    }
    return !unify_at(c, expected, lit, m->pat.start[p], m->pat.end[p]);
}

/* ---- exhaustiveness -------------------------------------------------------- */

static uint32_t local_sum(Check *c, uint32_t type)
{
    if (c->type_sum[type] != TY_NONE)
        return c->type_sum[type];
    const CanonType *t = &c->m->types[type];
    const char **names = ARENA_ARRAY(c->scratch, const char *, t->ctor_count + 1);
    uint32_t *ar = ARENA_ARRAY(c->scratch, uint32_t, t->ctor_count + 1);
    for (uint32_t i = 0; i < t->ctor_count; i++) {
        const CanonCtor *k = &c->m->ctors[t->ctor_first + i];
        names[k->index] = canon_str(c->m, k->name);
        ar[k->index] = canon_list_len(c->m, k->payload);
    }
    return c->type_sum[type] = ex_add_sum(&c->ex, t->ctor_count, names, ar);
}

static uint32_t imported_sum(Check *c, uint32_t imp, uint32_t type)
{
    ImportCache *ic = &c->imp[imp];
    if (!ic->sum_of_type)
        ic->sum_of_type = fill_array(c->scratch, ic->art->type_count, TY_NONE);
    if (ic->sum_of_type[type] != TY_NONE)
        return ic->sum_of_type[type];
    const ArtType *t = &ic->art->types[type];
    const char **names = ARENA_ARRAY(c->scratch, const char *, t->ctor_count + 1);
    uint32_t *ar = ARENA_ARRAY(c->scratch, uint32_t, t->ctor_count + 1);
    for (uint32_t i = 0; i < t->ctor_count; i++) {
        names[i] = ic->art->strings + ic->art->ctors[t->ctor_first + i].name;
        ar[i] = ic->art->ctors[t->ctor_first + i].arity;
    }
    return ic->sum_of_type[type] = ex_add_sum(&c->ex, t->ctor_count, names, ar);
}

/* Only called on patterns that checked without error. */
static uint32_t ex_pat(Check *c, uint32_t p)
{
    const CanonModule *m = c->m;
    uint32_t a = m->pat.a[p], b = m->pat.b[p];
    switch ((CanonPatKind)m->pat.kind[p]) {
    case CP_INT: return ex_int(&c->ex, canon_int_value(&m->pat, p));
    case CP_STR: return ex_str(&c->ex, m->strings + a, b);
    case CP_TRUE: return ex_bool(&c->ex, true);
    case CP_FALSE: return ex_bool(&c->ex, false);
    case CP_UNIT: return ex_unit(&c->ex);
    case CP_TUPLE:
    case CP_CTOR:
    case CP_IMPORTED_CTOR: {
        uint32_t list = m->pat.kind[p] == CP_TUPLE ? a : b;
        uint32_t n = canon_list_len(m, list);
        uint32_t *subs = ARENA_ARRAY(c->scratch, uint32_t, n + 1);
        for (uint32_t i = 0; i < n; i++)
            subs[i] = ex_pat(c, canon_list_at(m, list, i));
        if (m->pat.kind[p] == CP_TUPLE)
            return ex_tuple(&c->ex, subs, n);
        if (m->pat.kind[p] == CP_CTOR) {
            /* A constructor of a duplicate type declaration (E0203 already
             * reported) shares its name with the first declaration, so the
             * match cannot be judged without a cascaded report. */
            if (m->types[m->ctors[a].type].duplicate)
                c->ex_untrusted = true;
            return ex_ctor(&c->ex, local_sum(c, m->ctors[a].type), m->ctors[a].index, subs, n);
        }
        uint32_t imp = canon_pat_import(m, p);
        uint32_t k = imported_ctor(c, imp, canon_pat_import_name(m, p));
        const Artifact *art = c->imp[imp].art;
        uint32_t ty = art->ctors[k].type;
        return ex_ctor(&c->ex, imported_sum(c, imp, ty), k - art->types[ty].ctor_first, subs, n);
    }
    default:
        return ex_wild(&c->ex);
    }
}

static void check_exhaustive(Check *c, uint32_t e, uint32_t scrut)
{
    const CanonModule *m = c->m;
    uint32_t n = canon_match_arm_count(m, e);
    ex_reset_patterns(&c->ex);
    uint32_t *arms = ARENA_ARRAY(c->scratch, uint32_t, n + 1);
    bool *red = ARENA_ZARRAY(c->scratch, bool, n + 1);
    c->ex_untrusted = false;
    for (uint32_t i = 0; i < n; i++)
        arms[i] = ex_pat(c, canon_match_arm_pat(m, e, i));
    if (c->ex_untrusted)
        return;
    char *missing = ex_match(&c->ex, arms, n, red, c->scratch);
    for (uint32_t i = 0; i < n; i++) {
        if (!red[i])
            continue;
        uint32_t p = canon_match_arm_pat(m, e, i);
        report_add(&c->rl, RC_W0306, m->pat.start[p], m->pat.end[p], "redundant match arm");
    }
    if (missing)
        report_add(&c->rl, RC_E0305, m->expr.start[scrut], m->expr.end[scrut],
                   "non-exhaustive match: missing pattern %s", missing);
}

/* ---- expressions ----------------------------------------------------------- */

static uint32_t infer(Check *c, uint32_t e);

static void start_tvars(Check *c, uint32_t list)
{
    uint32_t n = canon_list_len(c->m, list);
    for (uint32_t i = 0; i < n; i++)
        c->tvar_ty[canon_list_at(c->m, list, i)] = ty_rigid(&c->ts, c->ts.level);
}

/* The type of a leaf expression (no sub-expression), or TY_NONE when e has
 * sub-expressions. */
static uint32_t infer_leaf(Check *c, uint32_t e)
{
    const CanonModule *m = c->m;
    TyStore *s = &c->ts;
    uint32_t a = m->expr.a[e], b = m->expr.b[e];
    switch ((CanonExprKind)m->expr.kind[e]) {
    case CE_INT: return s->t_int;
    case CE_STR: return s->t_str;
    case CE_TRUE:
    case CE_FALSE: return s->t_bool;
    case CE_UNIT: return s->t_unit;
    case CE_LOCAL: return ty_instantiate(s, c->local_ty[a]);
    case CE_TOP:
        return m->values[a].poisoned ? s->t_error : ty_instantiate(s, c->value_ty[a]);
    case CE_IMPORTED: {
        const Artifact *art = a < m->import_count ? c->imp[a].art : NULL;
        uint32_t k = art ? find_by_name(c, a, art, b, false) : UINT32_MAX;
        if (k == UINT32_MAX || art->values[k].poisoned)
            return s->t_error;
        return ty_instantiate(s, import_type(c, a, art->values[k].scheme));
    }
    case CE_CTOR: return ty_instantiate(s, c->ctor_scheme[a]);
    case CE_IMPORTED_CTOR: {
        uint32_t k = imported_ctor(c, a, b);
        if (k == UINT32_MAX)
            return s->t_error;
        return ty_instantiate(s, import_type(c, a, c->imp[a].art->ctors[k].scheme));
    }
    case CE_TUPLE: case CE_CALL:
    case CE_OR: case CE_AND: case CE_EQ: case CE_NE:
    case CE_LT: case CE_LE: case CE_GT: case CE_GE:
    case CE_CONCAT: case CE_ADD: case CE_SUB: case CE_MUL: case CE_DIV: case CE_MOD:
    case CE_NEG: case CE_NOT: case CE_LAMBDA: case CE_IF: case CE_LET: case CE_MATCH:
        return TY_NONE;
    case CE_POISON:
    default:
        return s->t_error;
    }
}

/* builder_push with the common case inline.  A failed push cannot return:
 * the scratch arena has an oom target. */
static inline void *push_slot(Builder *b)
{
    if (b->count < b->cap)
        return b->data + (size_t)b->count++ * b->elem_size;
    void *slot = builder_push(b);
    if (!slot)
        abort();   /* unreachable */
    return slot;
}

/* What an arithmetic, comparison (not == / !=), logical or `++` operator
 * takes and gives. */
static void operator_types(const TyStore *s, CanonExprKind k, uint32_t *operand, uint32_t *result)
{
    if (k == CE_OR || k == CE_AND) *operand = *result = s->t_bool;
    else if (k == CE_CONCAT) *operand = *result = s->t_str;
    else if (k >= CE_LT && k <= CE_GE) *operand = s->t_int, *result = s->t_bool;
    else *operand = *result = s->t_int;
}

static inline void vals_push(Check *c, uint32_t v)
{
    *(uint32_t *)push_slot(&c->vals) = v;
}

static uint32_t *vals_at(Check *c, uint32_t mark) { return &BUILDER_AT(&c->vals, uint32_t, mark); }

/* Call states (InferTask.x of a call, after its callee). */
enum { CALL_FN = 0, CALL_ARITY, CALL_NOT_FN };

/* One step of the expression on top of infer's stack, t; r is the type of
 * the sub-expression that just finished (meaningless at step 0).  Returns
 * the sub-expression to infer next, or CANON_NONE when t is done (its type
 * in *out).  The steps do exactly what a recursive walk does, in the same
 * order (type variables, unifications and reports alike). */
static uint32_t infer_step(Check *c, InferTask *t, uint32_t r, uint32_t *out)
{
    const CanonModule *m = c->m;
    TyStore *s = &c->ts;
    uint32_t e = t->e, a = m->expr.a[e], b = m->expr.b[e];
    uint32_t step = t->step++;
    CanonExprKind k = (CanonExprKind)m->expr.kind[e];
    switch (k) {
    case CE_TUPLE: {
        uint32_t n = canon_list_len(m, a);
        if (step == 0) t->mark = c->vals.count;
        else vals_push(c, r);
        if (step < n) return canon_list_at(m, a, step);
        *out = ty_tuple(s, vals_at(c, t->mark), n);
        builder_truncate(&c->vals, t->mark);
        return CANON_NONE;
    }
    case CE_CALL: {
        /* x: the call state; y: the callee's (function) type; mark: the
         * argument types (CALL_NOT_FN) */
        uint32_t argc = canon_list_len(m, b);
        if (step == 0) return a;
        if (step == 1) {
            uint32_t f = ty_find(s, r);
            TyNode n = *ty_node(s, f);
            if (n.kind == TY_VAR) {
                uint32_t *ps = ARENA_ARRAY(c->scratch, uint32_t, argc + 1);
                for (uint32_t i = 0; i < argc; i++)
                    ps[i] = ty_var(s);
                uint32_t fn = ty_fn(s, ps, argc, ty_var(s));
                unify_expr(c, fn, f, a);
                f = fn;
                n = *ty_node(s, f);
            }
            t->y = f;
            if (n.kind == TY_FN && n.b != argc) {
                report_add(&c->rl, RC_E0302, m->expr.start[e], m->expr.end[e],
                           "wrong number of arguments: expected %u, found %u", n.b, argc);
                t->x = CALL_ARITY;
            } else if (n.kind == TY_FN) {
                t->x = CALL_FN;
            } else {
                t->x = CALL_NOT_FN;
                t->mark = c->vals.count;
            }
        } else {
            uint32_t arg = canon_list_at(m, b, step - 2);
            if (t->x == CALL_FN)
                unify_expr(c, *ty_extra(s, ty_node(s, t->y)->a + step - 2), r, arg);
            else if (t->x == CALL_NOT_FN)
                vals_push(c, r);
        }
        if (step - 1 < argc) return canon_list_at(m, b, step - 1);
        if (t->x == CALL_ARITY) {
            *out = s->t_error;      /* the call failed, as a wrong operand does */
        } else if (t->x == CALL_FN) {
            *out = *ty_extra(s, ty_node(s, t->y)->a + argc);
        } else {
            /* Not a function: the error type, or a mismatch reported at the callee. */
            if (ty_node(s, t->y)->kind != TY_ERROR)
                unify_expr(c, ty_fn(s, vals_at(c, t->mark), argc, ty_var(s)), t->y, a);
            builder_truncate(&c->vals, t->mark);
            *out = s->t_error;
        }
        return CANON_NONE;
    }
    case CE_OR: case CE_AND: case CE_LT: case CE_LE: case CE_GT: case CE_GE:
    case CE_ADD: case CE_SUB: case CE_MUL: case CE_DIV: case CE_MOD: case CE_CONCAT: {
        uint32_t operand, result;
        operator_types(s, k, &operand, &result);
        if (step == 0) return a;
        if (step == 1) {
            t->x = unify_expr(c, operand, r, a);
            return b;
        }
        t->x &= unify_expr(c, operand, r, b);
        /* A wrong operand makes the operation the error type: its result
         * would only cause a second report about the same mistake. */
        *out = t->x ? result : s->t_error;
        return CANON_NONE;
    }
    case CE_EQ:
    case CE_NE:
        if (step == 0) return a;
        if (step == 1) {
            t->x = r;
            return b;
        }
        *out = unify_expr(c, t->x, r, b) ? s->t_bool : s->t_error;
        return CANON_NONE;
    case CE_NEG:
        if (step == 0) return a;
        *out = unify_expr(c, s->t_int, r, a) ? s->t_int : s->t_error;
        return CANON_NONE;
    case CE_NOT:
        if (step == 0) return a;
        *out = unify_expr(c, s->t_bool, r, a) ? s->t_bool : s->t_error;
        return CANON_NONE;
    case CE_LAMBDA: {
        uint32_t params = canon_lambda_params(m, e), n = canon_list_len(m, params);
        if (step == 0) {
            t->mark = c->vals.count;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t l = canon_list_at(m, params, i);
                uint32_t an = m->locals[l].annot;
                uint32_t p = an != CANON_NONE ? conv_type(c, an, NULL) : ty_var(s);
                vals_push(c, p);
                c->local_ty[l] = p;
            }
            return b;
        }
        *out = ty_fn(s, vals_at(c, t->mark), n, r);
        builder_truncate(&c->vals, t->mark);
        return CANON_NONE;
    }
    case CE_IF:
        if (step == 0) return a;
        if (step == 1) {
            unify_expr(c, s->t_bool, r, a);
            return canon_if_then(m, e);
        }
        if (step == 2) {
            t->x = r;
            return canon_if_else(m, e);
        }
        *out = unify_expr(c, t->x, r, canon_if_else(m, e)) ? t->x : s->t_error;
        return CANON_NONE;
    case CE_LET: {
        /* x: the annotation's type (TY_NONE: none), then the let's type */
        uint32_t x = canon_let_local(m, e), v = canon_let_value(m, e);
        if (step == 0) {
            s->level++;
            start_tvars(c, canon_let_tvars(m, e));
            uint32_t an = m->locals[x].annot;
            t->x = an != CANON_NONE ? conv_type(c, an, NULL) : TY_NONE;
            return v;
        }
        if (step == 1) {
            if (t->x != TY_NONE)
                unify_expr(c, t->x, r, v);
            else
                t->x = r;
            s->level--;
            ty_generalize(s, t->x);
            c->local_ty[x] = t->x;
            return b;
        }
        *out = r;
        return CANON_NONE;
    }
    case CE_MATCH: {
        /* x: the scrutinee's type; y: the arms' type (TY_NONE before the
         * first); mark: bit 0 a pattern was in error, bit 1 an arm's type */
        if (step == 0) return a;
        uint32_t n = canon_match_arm_count(m, e), i = step - 1;
        if (i == 0) {
            t->x = r;
            t->y = TY_NONE;
            t->mark = 0;
        } else {
            uint32_t body = canon_match_arm_body(m, e, i - 1);
            if (t->y == TY_NONE)
                t->y = r;
            else if (!(t->mark & 2) && !unify_expr(c, t->y, r, body))
                t->mark |= 2;
        }
        if (i < n) {
            if (check_pat(c, canon_match_arm_pat(m, e, i), t->x))
                t->mark |= 1;
            return canon_match_arm_body(m, e, i);
        }
        if (!(t->mark & 1) && !ty_is_error(s, t->x))
            check_exhaustive(c, e, a);
        if (t->mark & 2)
            *out = s->t_error;
        else
            *out = t->y == TY_NONE ? ty_var(s) : t->y;
        return CANON_NONE;
    }
    default:
        *out = s->t_error;
        return CANON_NONE;
    }
}

/* The type of expression root.  Length is not nesting (LANGUAGE.md section
 * 6): an expression of any depth (a 100 000-term sum, 10 000 chained lets
 * or lambdas) is walked with an explicit stack (c->tasks), not recursion. */
static uint32_t infer(Check *c, uint32_t root)
{
    uint32_t base = c->tasks.count, next = root, r = TY_NONE;
    for (;;) {
        if (next != CANON_NONE) {
            r = infer_leaf(c, next);
            if (r == TY_NONE) {
                InferTask *t = push_slot(&c->tasks);
                *t = (InferTask){ .e = next };
            }
        }
        if (c->tasks.count == base)
            return r;
        uint32_t out = TY_NONE;
        next = infer_step(c, &BUILDER_AT(&c->tasks, InferTask, c->tasks.count - 1), r, &out);
        if (next == CANON_NONE) {
            c->tasks.count--;
            r = out;
        }
    }
}

/* ---- declarations ------------------------------------------------------------ */

static void setup_types(Check *c)
{
    const CanonModule *m = c->m;
    TyStore *s = &c->ts;
    for (uint32_t i = 0; i < m->type_count; i++)
        c->type_named[i] = ty_named(s, m->name, canon_str(m, m->types[i].name));
    for (uint32_t i = 0; i < m->type_count; i++) {
        const CanonType *t = &m->types[i];
        uint32_t *params = ARENA_ARRAY(c->scratch, uint32_t, t->arity + 1);
        for (uint32_t k = 0; k < t->arity; k++)
            params[k] = ty_generic_var(s);
        uint32_t self = ty_con(s, c->type_named[i], params, t->arity);
        for (uint32_t k = 0; k < t->ctor_count; k++) {
            uint32_t ci = t->ctor_first + k;
            uint32_t payload = m->ctors[ci].payload;
            uint32_t n = canon_list_len(m, payload);
            if (n == 0) {
                c->ctor_scheme[ci] = self;
                continue;
            }
            uint32_t *ps = ARENA_ARRAY(c->scratch, uint32_t, n);
            conv_list(c, payload, params, ps);
            c->ctor_scheme[ci] = ty_fn(s, ps, n, self);
        }
    }
}

/* Canonicalize failed the value.  Not when its only errors were about an
 * import this check gets no artifact for: canonicalize saw that import's
 * interface, but it is in the module's import cycle, which counts as failed
 * (its names poisoned), and the coordinator drops those reports. */
static bool value_failed(const Check *c, const CanonValue *cv)
{
    if (!cv->failed)
        return false;
    uint32_t i = cv->failed_import;
    return i == CANON_NONE || i >= c->m->import_count || c->imp[i].art != NULL;
}

static void check_group(Check *c, uint32_t g)
{
    const CanonModule *m = c->m;
    TyStore *s = &c->ts;
    uint32_t from = m->scc_start[g], to = m->scc_start[g + 1];
    s->level = 1;
    for (uint32_t i = from; i < to; i++) {
        uint32_t v = m->scc_values[i];
        const CanonValue *cv = &m->values[v];
        if (cv->poisoned || cv->body == CANON_NONE || cv->kind == CANON_VALUE_UNKNOWN) {
            c->value_ty[v] = s->t_error;
            continue;
        }
        start_tvars(c, cv->tvars);
        if (cv->kind == CANON_VALUE_FN) {
            uint32_t n = canon_list_len(m, cv->params);
            uint32_t *ps = ARENA_ARRAY(c->scratch, uint32_t, n + 1);
            for (uint32_t k = 0; k < n; k++) {
                uint32_t l = canon_list_at(m, cv->params, k);
                uint32_t an = m->locals[l].annot;
                ps[k] = an != CANON_NONE ? conv_type(c, an, NULL) : ty_var(s);
                c->local_ty[l] = ps[k];
            }
            c->value_res[v] = cv->ret != CANON_NONE ? conv_type(c, cv->ret, NULL) : ty_var(s);
            c->value_ty[v] = ty_fn(s, ps, n, c->value_res[v]);
        } else {
            c->value_res[v] = cv->annot != CANON_NONE ? conv_type(c, cv->annot, NULL) : ty_var(s);
            c->value_ty[v] = c->value_res[v];
        }
        /* E0208 or an error canonicalize found in the declaration: the
         * definition failed.  Uses of it, inside its group too, have the
         * error type; the body is still checked on its own. */
        if (cv->bad_cycle || value_failed(c, cv))
            c->value_ty[v] = s->t_error;
    }
    uint32_t errors = c->rl.errors;
    for (uint32_t i = from; i < to; i++) {
        uint32_t v = m->scc_values[i];
        const CanonValue *cv = &m->values[v];
        if (cv->poisoned || cv->body == CANON_NONE || cv->kind == CANON_VALUE_UNKNOWN)
            continue;
        uint32_t body = m->values[v].body;
        unify_expr(c, c->value_res[v], infer(c, body), body);
    }
    /* An error in the group's bodies fails the whole group: its types were
     * inferred together, so every one of them may be wrong. */
    bool failed = c->rl.errors != errors;
    s->level = 0;
    for (uint32_t i = from; i < to; i++) {
        uint32_t v = m->scc_values[i];
        if (failed)
            c->value_ty[v] = s->t_error;
        else if (!m->values[v].bad_cycle && !value_failed(c, &m->values[v]))
            ty_generalize(s, c->value_ty[v]);
    }
}

static const Artifact *seal_artifact(Check *c)
{
    const CanonModule *m = c->m;
    ArtBuilder b;
    art_builder_init(&b, &c->ts, m->name, c->scratch);
    for (uint32_t i = 0; i < m->type_count; i++) {
        const CanonType *t = &m->types[i];
        art_add_type(&b, canon_str(m, t->name), t->arity, t->exposed, t->ctors_exposed,
                     t->poisoned);
        for (uint32_t k = 0; k < t->ctor_count; k++) {
            const CanonCtor *ct = &m->ctors[t->ctor_first + k];
            art_begin_scheme(&b);
            uint32_t sch = art_export(&b, c->ctor_scheme[t->ctor_first + k]);
            art_add_ctor(&b, canon_str(m, ct->name), canon_list_len(m, ct->payload), sch);
        }
    }
    for (uint32_t v = 0; v < m->value_count; v++) {
        const CanonValue *cv = &m->values[v];
        if (cv->duplicate)
            continue;   /* E0203: the name is the first definition's */
        art_begin_scheme(&b);
        uint32_t sch = art_export(&b, c->value_ty[v]);
        art_add_value(&b, canon_str(m, cv->name), sch, cv->exposed,
                      cv->poisoned || ty_find(&c->ts, c->value_ty[v]) == c->ts.t_error);
    }
    return art_seal(&b, c->keep);
}

/* check_module's arguments and results, for its protected body. */
typedef struct CheckCall {
    const CanonModule *ir;
    const Artifact *const *imports;
    uint32_t import_count;
    Arena *keep, *scratch;
    DepsMode deps_mode;
    CheckOutput *out;
} CheckCall;

static void check_body(void *ud)
{
    const CheckCall *call = ud;
    const CanonModule *ir = call->ir;
    Arena *scratch = call->scratch;
    Check *c = ARENA_NEW(scratch, Check);
    c->m = ir;
    c->keep = call->keep;
    c->scratch = scratch;
    ty_store_init(&c->ts, scratch);
    /* Measured: a store ends with about 0.75 nodes per IR expression. */
    ty_store_reserve(&c->ts, ir->expr.count + 64);
    report_list_init(&c->rl, scratch, call->keep);
    dep_recorder_init(&c->deps, scratch, call->deps_mode != DEPS_NONE);
    dep_note_sealed(&c->deps, &ir->deps);   /* canonicalize's part of the record */
    ex_init(&c->ex, scratch);
    c->imp = ARENA_ZARRAY(scratch, ImportCache, ir->import_count + 1);
    for (uint32_t i = 0; i < ir->import_count; i++) {
        c->imp[i].art = i < call->import_count ? call->imports[i] : NULL;
        c->imp[i].module = canon_str(ir, ir->imports[i].module);
    }
    c->local_ty = fill_array(scratch, ir->local_count, c->ts.t_error);
    c->value_ty = fill_array(scratch, ir->value_count, c->ts.t_error);
    c->value_res = fill_array(scratch, ir->value_count, c->ts.t_error);
    c->tvar_ty = fill_array(scratch, ir->tvar_count, TY_NONE);
    c->type_named = fill_array(scratch, ir->type_count, TY_NONE);
    c->type_sum = fill_array(scratch, ir->type_count, TY_NONE);
    c->ctor_scheme = fill_array(scratch, ir->ctor_count, c->ts.t_error);
    BUILDER_INIT(&c->tasks, scratch, InferTask);
    BUILDER_INIT(&c->vals, scratch, uint32_t);

    setup_types(c);
    for (uint32_t g = 0; g < ir->scc_count; g++)
        check_group(c, g);
    call->out->artifact = seal_artifact(c);
    call->out->reports = report_list_seal(&c->rl, call->keep);
    call->out->deps = dep_seal(&c->deps, call->imports, call->import_count,
                               call->deps_mode == DEPS_SCRATCH ? scratch : call->keep, scratch);
}

PhaseStatus check_module(const CanonModule *ir,
                         const Artifact *const *imports, uint32_t import_count,
                         Arena *keep, Arena *scratch,
                         DepsMode deps, CheckOutput *out)
{
    memset(out, 0, sizeof *out);
    CheckCall call = { ir, imports, import_count, keep, scratch, deps, out };
    Arena *const guarded[] = { keep, scratch };
    if (protect_call(guarded, 2, check_body, &call))
        return PHASE_OK;
    memset(out, 0, sizeof *out);
    return PHASE_OOM;
}
