/* canon — canonicalize one module: resolve every name, compute closure
 * captures, order top-level values into strongly connected components
 * (LANGUAGE.md sections 2-6).  The IR it produces is described in canon.h.
 *
 * Ownership.  canon_module runs on one thread with a context (Canon) on its
 * stack.  Everything growing lives in `scratch` (builders, lookup tables);
 * the finished IR is sealed once, at exact sizes, into `ir`; report messages
 * go to `keep`.  canon_module runs the phase inside the one protected call
 * (base/protect.h) guarding keep, ir and scratch: no allocation returns NULL
 * here, and an allocation failure ends the call with PHASE_OOM (canon_oom
 * does the same for failures that are not an arena's own).
 *
 * Name tables are arrays indexed by the AST's identifier ids (the AST intern
 * table), so every lookup is O(1) and nothing depends on hash order.  Local
 * scopes are a binding array plus a save stack (bind pushes the old binding,
 * leaving a scope pops back to a mark); shadowing falls out of that.
 *
 * Resolution rules (decisions where LANGUAGE.md is silent are marked *):
 *   - Unqualified value: innermost local, else this module's top-level
 *     value, else a value imported through an `exposing` list.
 *   - Unqualified constructor: this module's, else imported through T(..).
 *   - Unqualified type: Int/Bool/Str (builtin, never shadowed), else this
 *     module's, else imported through an `exposing` list.
 *   - Qualified `A.B.x`: the qualifier is the longest proper prefix of the
 *     path that equals an import's qualifier (its alias if it has one, else
 *     its module name; the first such import in source order wins).  *If no
 *     prefix matches, or the longest match leaves more than one name after
 *     it, the report is E0210 naming the whole qualifier (`A.B` in `A.B.x`).
 *     The name after the qualifier must be exposed by that module, else
 *     E0206 ("module M does not expose x").
 *   - Top-level names of this module win over unqualified imports; a clash is
 *     E0203 at this module's definition (it comes later in the file).  Two
 *     imports exposing the same name: E0203 at the later exposing item; the
 *     first wins.  *Two imports with the same qualifier (alias or module
 *     name) but different modules: E0203 at the later import (which then
 *     counts as used: no W0201 on top).
 *   - *`import M exposing (x)` where M does not expose x: E0206 at the item;
 *     `import M exposing (T(..))` where M exposes T without constructors:
 *     E0206 at the item.  In both cases the names involved then resolve to
 *     POISON without further reports (unknown unqualified constructors are
 *     silent after a failed T(..)), and the import counts as used.
 *   - Poison: names of an import whose interface is NULL (qualified uses,
 *     and unqualified names listed in its exposing list), names poisoned in
 *     an interface, and names of this module's broken declarations resolve
 *     to POISON / ERROR without reports.  A qualified constructor unknown to
 *     an interface that has a poisoned type is POISON, not E0206.  *After a broken declaration that
 *     may have been a type (or a poisoned T(..) import), an unknown
 *     unqualified constructor is POISON instead of E0204: it may have been
 *     one of the lost constructors.  Clashes involving a NULL import are not
 *     reported.
 *   - W0201 at the module name of an import (with a non-NULL interface) of
 *     which no name was used, qualified or unqualified, in values, patterns
 *     or types; an unknown constructor silenced by a poisoned T(..) import
 *     uses that import.  None at all in a module where the parser skipped
 *     text after a syntax error (the skipped text may have used any import).
 *   - An import line that failed to parse (ast extra[E+3]) is poisoned: its
 *     interface is taken as NULL whatever the caller passed.
 *   - E0209: a name bound twice in one fn/lambda parameter list, one match
 *     pattern, or one type declaration's parameter list, at the later one.
 *   - *Type variables in a type declaration's payloads must be its
 *     parameters, else E0202 ("unknown type variable: b").
 *   - Type arity: a named type with the wrong number of arguments is E0202
 *     (`Option` alone has 0 arguments).  Arguments are resolved first, so
 *     errors inside them are reported too; the whole type becomes ERROR.
 *   - E0208: in every strongly connected component of the value dependency
 *     graph that is cyclic (two or more values, or one that uses itself) and
 *     contains a `let`, one report at the name of the component's first
 *     `let` in source order, L.  The message lists the shortest cycle from L
 *     back to L inside the component ("cyclic value definition: a -> b ->
 *     a"); among equally short cycles, the one a breadth-first search finds
 *     first when it visits a value's uses in source order of the used value.
 *
 * Recursion: expressions, patterns and types are walked recursively; the
 * depth is the AST's, which the parser bounds (E0111, 256 levels, operator
 * chains included).  The value graph, which is not bounded, is ordered by
 * base/scc.h's iterative Tarjan.
 *
 * Captures: a reference at lambda depth d to a local bound at depth dl < d
 * is a capture of every enclosing lambda at depths dl+1 .. d.  Each lambda's
 * capture list is in order of first use; if the lambda at depth j already
 * holds the local then so do all lambdas between dl+1 and j (they were given
 * it at the same time), which lets the walk stop early.
 */
#include "modules/canon.h"
#include "base/hash.h"

#include "base/builder.h"
#include "base/intern.h"
#include "base/protect.h"
#include "base/scc.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define NONE CANON_NONE

typedef struct NodeBuf { Builder kind, a, b, start, end; } NodeBuf;

typedef struct ImportInfo {
    const NameIface *f;      /* NULL: every name is POISON */
    const char *qual;        /* alias, else the module name */
    uint32_t qual_len;
    uint32_t qual_segs;      /* number of dotted segments in qual */
    const char *module;      /* module name bytes */
    uint8_t ctor_wild;       /* a poisoned T(..) type: unknown ctors are silent */
    uint8_t wild_source;     /* exposes a poisoned T(..): may define the silent ctors */
} ImportInfo;

/* A lambda being canonicalized: the captures found so far. */
typedef struct Frame { Builder caps; } Frame;

/* An expression being canonicalized by expr's explicit stack: its AST node,
 * how many steps it has taken, its span, and words whose meaning depends on
 * its kind (see expr_step). */
typedef struct ExprTask { uint32_t n, step, s, e, mark, x, y; } ExprTask;

typedef struct Canon {
    const Ast *ast;
    Arena *keep, *ir, *scratch;
    ReportList rep;
    bool internal;           /* an AST shape this code does not know: E0902 */

    InternTable strtab;      /* ir strings: intern id -> str_off[id] */
    Builder blob;            /* char */
    Builder str_off;         /* uint32 */
    uint32_t *name_cache;    /* AST name id -> ir name, NONE until used */
    uint32_t *span_start, *span_end;   /* per AST node (ast_all_spans) */

    NodeBuf ex, pa, ty;
    Builder extra, stack;    /* uint32; stack holds list items being built */

    Builder values, types, ctors, locals, tvars, imports;
    Builder local_depth;     /* uint32 per local: lambda depth of its binder */
    Builder value_decl;      /* uint32 per value: its AST declaration node */
    Builder type_decl;       /* uint32 per type: its AST declaration node */
    ImportInfo *imp;
    uint32_t nimp;

    uint32_t nnames;
    uint32_t *top_value, *top_type, *top_ctor;
    uint32_t *imp_value, *imp_type, *imp_ctor;  /* (import << 1) | poisoned */
    uint8_t *own_clash;      /* bits 1 value, 2 type, 4 ctor: E0203 already made */
    bool ctor_wild;
    bool wild_used;          /* an unknown ctor was silenced: wild sources are used */

    uint32_t *binding;  Builder saved;   /* locals: name -> local id; save stack */
    uint32_t *param_seen;    /* per name: the params() call that saw it last */
    uint32_t *quals, qcap;   /* qualifier -> first import with it (setup_imports) */
    uint32_t param_epoch;
    uint32_t *tbinding; Builder tsaved;  /* annotation type variables */
    Builder owned;           /* tvar ids owned by the open declarations */
    uint32_t pat_first_local; /* locals from here on are the current pattern's */

    Builder frames;          /* Frame, index depth-1 */
    Builder tasks;           /* ExprTask: expr's explicit stack */
    uint32_t depth;

    bool in_typedecl;        /* TYPE_VAR means a parameter of decl_params */
    uint32_t decl_params;    /* AST list of TYPE_VAR nodes */

    uint32_t cur_value;      /* value whose body is being resolved, or NONE */
    Builder edges;           /* uint32 pairs (user, used) */
    DepRecorder deps;        /* every name looked up in an import's interface */
    bool record_deps;        /* (deps is off otherwise) */
    uint32_t *dep_last;      /* per AST name: (import << 2 | kind) noted last */
} Canon;

static _Noreturn void canon_oom(Canon *C) { protect_throw(C->scratch); }

/* builder_push with the common case inline (canon pushes a few words per
 * AST node).  A failed push cannot return: the arena has an oom target. */
static inline void *push_slot(Builder *b)
{
    if (b->count < b->cap)
        return b->data + (size_t)b->count++ * b->elem_size;
    void *slot = builder_push(b);
    if (!slot)
        abort();   /* unreachable: the arena has an oom target */
    return slot;
}
static inline uint32_t push32(Builder *b, uint32_t v)
{
    uint32_t i = b->count;
    *(uint32_t *)push_slot(b) = v;
    return i;
}
static uint32_t at32(const Builder *b, uint32_t i) { return BUILDER_AT(b, uint32_t, i); }

static uint32_t *table(Canon *C, uint32_t n)
{
    uint32_t *t = ARENA_ARRAY(C->scratch, uint32_t, n ? n : 1);
    memset(t, 0xff, sizeof(uint32_t) * (n ? n : 1));
    return t;
}

/* ---- strings ----------------------------------------------------------- */
static uint32_t str_name(Canon *C, const char *s, uint32_t len)
{
    uint32_t id = intern(&C->strtab, s, len);
    if (id == INTERN_NONE)
        canon_oom(C);
    if (id < C->str_off.count)
        return at32(&C->str_off, id);
    uint32_t off = C->blob.count;
    if (!builder_push_n(&C->blob, s, len) || !builder_push_n(&C->blob, "", 1))
        canon_oom(C);
    push32(&C->str_off, off);
    return off;
}
static uint32_t str_bytes(Canon *C, const char *s, uint32_t len)
{
    uint32_t off = C->blob.count;
    if ((len && !builder_push_n(&C->blob, s, len)) || !builder_push_n(&C->blob, "", 1))
        canon_oom(C);
    return off;
}
static const char *canon_str_blob(Canon *C, uint32_t name) { return C->blob.data + name; }
static const char *ast_str(Canon *C, uint32_t id) { return intern_str(&C->ast->names, id); }
static uint32_t ast_name(Canon *C, uint32_t id)
{
    if (C->name_cache[id] == NONE)
        C->name_cache[id] = str_name(C, ast_str(C, id), intern_len(&C->ast->names, id));
    return C->name_cache[id];
}
static bool is_upper(Canon *C, uint32_t id) { char c = ast_str(C, id)[0]; return c >= 'A' && c <= 'Z'; }

/* Joins the segments of an AST path (first n of them) with '.' in scratch. */
static const char *join_path(Canon *C, uint32_t path, uint32_t n, uint32_t *len_out)
{
    size_t len = 0;
    for (uint32_t i = 0; i < n; i++)
        len += intern_len(&C->ast->names, ast_list_at(C->ast, path, i)) + (i ? 1 : 0);
    char *s = arena_alloc(C->scratch, len + 1, 1), *p = s;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = ast_list_at(C->ast, path, i);
        if (i)
            *p++ = '.';
        memcpy(p, ast_str(C, id), intern_len(&C->ast->names, id));
        p += intern_len(&C->ast->names, id);
    }
    *p = 0;
    if (len_out)
        *len_out = (uint32_t)len;
    return s;
}

/* ---- nodes ------------------------------------------------------------- */
static void nodebuf_init(NodeBuf *n, Arena *s)
{
    BUILDER_INIT(&n->kind, s, uint8_t);
    BUILDER_INIT(&n->a, s, uint32_t);
    BUILDER_INIT(&n->b, s, uint32_t);
    BUILDER_INIT(&n->start, s, uint32_t);
    BUILDER_INIT(&n->end, s, uint32_t);
}
static uint32_t node_add(NodeBuf *n, unsigned kind, uint32_t a, uint32_t b, uint32_t s, uint32_t e)
{
    uint32_t id = n->a.count;
    if (id < n->kind.cap && id < n->a.cap && id < n->b.cap && id < n->start.cap && id < n->end.cap) {
        ((uint8_t *)n->kind.data)[id] = (uint8_t)kind;
        ((uint32_t *)n->a.data)[id] = a;
        ((uint32_t *)n->b.data)[id] = b;
        ((uint32_t *)n->start.data)[id] = s;
        ((uint32_t *)n->end.data)[id] = e;
        n->kind.count = n->a.count = n->b.count = n->start.count = n->end.count = id + 1;
        return id;
    }
    *(uint8_t *)push_slot(&n->kind) = (uint8_t)kind;
    push32(&n->a, a);
    push32(&n->b, b);
    push32(&n->start, s);
    push32(&n->end, e);
    return id;
}
static CanonNodes nodebuf_seal(NodeBuf *n, Arena *ir)
{
    CanonNodes c;
    c.kind = builder_seal(&n->kind, ir);
    c.a = builder_seal(&n->a, ir);
    c.b = builder_seal(&n->b, ir);
    c.start = builder_seal(&n->start, ir);
    c.end = builder_seal(&n->end, ir);
    c.count = n->a.count;
    return c;
}
#define EXPR(C, k, a, b, s, e) node_add(&(C)->ex, CE_##k, (a), (b), (s), (e))
#define PAT(C, k, a, b, s, e)  node_add(&(C)->pa, CP_##k, (a), (b), (s), (e))
#define TYPE(C, k, a, b, s, e) node_add(&(C)->ty, CT_##k, (a), (b), (s), (e))

/* Moves src[mark..] into a new extra list and truncates src to mark. */
static uint32_t list_from(Canon *C, Builder *src, uint32_t mark)
{
    uint32_t n = src->count - mark;
    uint32_t at = push32(&C->extra, n);
    if (n && !builder_push_n(&C->extra, &BUILDER_AT(src, uint32_t, mark), n))
        canon_oom(C);
    builder_truncate(src, mark);
    return at;
}
static uint32_t extra2(Canon *C, uint32_t x, uint32_t y)
{
    uint32_t at = push32(&C->extra, x);
    push32(&C->extra, y);
    return at;
}

/* Spans come from ast_all_spans, computed once per module (ast_node_span
 * per node walks the node's tokens, which made spans a tenth of the whole
 * front end).  Test builds check every span against the walk, in modules
 * of up to SPAN_CHECK_TOKENS tokens: the walk is linear in a node's depth
 * and size, so checking every node of a long chain would be quadratic. */
#define SPAN_CHECK_TOKENS 50000
static void node_span(Canon *C, uint32_t n, uint32_t *s, uint32_t *e)
{
    *s = C->span_start[n];
    *e = C->span_end[n];
#ifdef COORD_TESTING
    if (C->ast->tok_count <= SPAN_CHECK_TOKENS) {
        uint32_t ws, we;
        ast_node_span(C->ast, n, &ws, &we);
        assert(ws == *s && we == *e);
    }
#endif
}

static void tok_span(Canon *C, uint32_t tok, uint32_t *s, uint32_t *e)
{
    *s = C->ast->tok_start[tok];
    *e = ast_token_end(C->ast, tok);
}

/* ---- scopes ------------------------------------------------------------ */
static CanonLocal *local_at(Canon *C, uint32_t l) { return &BUILDER_AT(&C->locals, CanonLocal, l); }

static uint32_t local_new(Canon *C, uint32_t id, CanonLocalKind kind, uint32_t s, uint32_t e, uint32_t annot)
{
    uint32_t l = C->locals.count;
    CanonLocal *loc = push_slot(&C->locals);
    loc->name = id == AST_NONE ? str_name(C, "_", 1) : ast_name(C, id);
    loc->start = s;
    loc->end = e;
    loc->annot = annot;
    loc->kind = (uint8_t)kind;
    loc->captured = 0;
    push32(&C->local_depth, C->depth);
    return l;
}
static void bind(Canon *C, uint32_t id, uint32_t local)
{
    push32(&C->saved, id);
    push32(&C->saved, C->binding[id]);
    C->binding[id] = local;
}
static void unbind_to(Canon *C, uint32_t mark)
{
    while (C->saved.count > mark) {
        uint32_t old = at32(&C->saved, C->saved.count - 1);
        uint32_t id = at32(&C->saved, C->saved.count - 2);
        C->binding[id] = old;
        builder_truncate(&C->saved, C->saved.count - 2);
    }
}
static void tunbind_to(Canon *C, uint32_t mark)
{
    while (C->tsaved.count > mark) {
        uint32_t old = at32(&C->tsaved, C->tsaved.count - 1);
        uint32_t id = at32(&C->tsaved, C->tsaved.count - 2);
        C->tbinding[id] = old;
        builder_truncate(&C->tsaved, C->tsaved.count - 2);
    }
}

static void capture(Canon *C, uint32_t local)
{
    uint32_t dl = at32(&C->local_depth, local);
    for (uint32_t j = C->depth; j > dl; j--) {
        Builder *caps = &BUILDER_AT(&C->frames, Frame, j - 1).caps;
        for (uint32_t i = 0; i < caps->count; i++)
            if (at32(caps, i) == local)
                return;
        push32(caps, local);
        local_at(C, local)->captured = 1;
    }
}

/* ---- the dependency record ------------------------------------------------ */
/* Notes a lookup of AST name `id` in import i's interface (modules/deps.h).
 * A repeat of the name's last lookup is not noted again (a name used 10 000
 * times costs one entry; dep_seal removes the other duplicates). */
static void dep_lookup(Canon *C, uint32_t i, DepKind kind, uint32_t id)
{
    if (!C->dep_last)
        C->dep_last = table(C, C->nnames);
    uint32_t key = i << 2 | (uint32_t)(kind - DEP_IF_VALUE);
    if (C->dep_last[id] == key)
        return;
    C->dep_last[id] = key;
    dep_note(&C->deps, i, kind, ast_str(C, id));
}

/* ---- qualifiers ---------------------------------------------------------- */
/* The import a qualified path goes through, or NONE after reporting E0210.
 * Marks the import used. */
static uint32_t qual_lookup(Canon *C, const char *q);

static uint32_t qualifier(Canon *C, uint32_t path, uint32_t s, uint32_t e)
{
    uint32_t n = ast_list_len(C->ast, path);
    /* the longest prefix that is a qualifier, by hash (the first import
     * with it, as a scan in import order would find) */
    for (uint32_t k = n - 1; k >= 1; k--) {
        uint32_t i = qual_lookup(C, join_path(C, path, k, NULL));
        if (i == NONE)
            continue;
        if (k != n - 1)
            break;
        BUILDER_AT(&C->imports, CanonImport, i).used = 1;
        return i;
    }
    report_add(&C->rep, RC_E0210, s, e, "unknown module qualifier: %s", join_path(C, path, n - 1, NULL));
    return NONE;
}

/* ---- constructor references ------------------------------------------------ */
typedef struct Ref { enum { REF_LOCAL, REF_IMPORTED, REF_POISON } kind; uint32_t a, b; } Ref;

static Ref ref_imported(Canon *C, uint32_t packed, uint32_t id)
{
    Ref r = { REF_POISON, 0, 0 };
    uint32_t i = packed >> 1;
    if (C->imp[i].f)
        BUILDER_AT(&C->imports, CanonImport, i).used = 1;
    if (packed & 1)
        return r;
    r.kind = REF_IMPORTED;
    r.a = i;
    r.b = ast_name(C, id);
    return r;
}

static Ref ctor_unqualified(Canon *C, uint32_t id, uint32_t s, uint32_t e)
{
    Ref r = { REF_POISON, 0, 0 };
    if (C->top_ctor[id] != NONE) {
        r.kind = REF_LOCAL;
        r.a = C->top_ctor[id];
        return r;
    }
    if (C->imp_ctor[id] != NONE)
        return ref_imported(C, C->imp_ctor[id], id);
    if (!C->ctor_wild) {
        report_add(&C->rep, RC_E0204, s, e, "unknown constructor: %s", ast_str(C, id));
    } else if (!C->wild_used) {
        /* it may be one of the lost constructors of a poisoned T(..): that
         * import is used (no W0201 for names that were used but poisoned) */
        C->wild_used = true;
        for (uint32_t i = 0; i < C->nimp; i++)
            if (C->imp[i].wild_source)
                BUILDER_AT(&C->imports, CanonImport, i).used = 1;
    }
    return r;
}


/* A report that arises from import i (E0206, W0201, E0203) names it, so that the
 * coordinator can drop it when import i turns out to be inside an import
 * cycle (known only once every module is parsed; see reports/report.h). */
static Report *tag_import(Report *r, uint32_t i)
{
    if (r)
        r->import = i;
    return r;
}
#define IMPORT_REPORT(C, i, code, start, end, ...) \
    tag_import(report_add(&(C)->rep, (code), (start), (end), __VA_ARGS__), (i))

static Ref ctor_ref(Canon *C, uint32_t path, uint32_t s, uint32_t e)
{
    Ref r = { REF_POISON, 0, 0 };
    uint32_t n = ast_list_len(C->ast, path);
    uint32_t id = ast_list_at(C->ast, path, n - 1);
    if (n == 1)
        return ctor_unqualified(C, id, s, e);
    uint32_t i = qualifier(C, path, s, e);
    if (i == NONE || !C->imp[i].f)
        return r;
    const NameIface *f = C->imp[i].f;
    dep_lookup(C, i, DEP_IF_CTOR, id);
    uint32_t x = iface_find_ctor(f, ast_str(C, id), intern_len(&C->ast->names, id));
    if (x == UINT32_MAX) {
        if (!C->imp[i].ctor_wild)
            IMPORT_REPORT(C, i, RC_E0206, s, e, "module %s does not expose constructor %s",
                       C->imp[i].module, ast_str(C, id));
        return r;
    }
    if (f->types[f->ctors[x].type].poisoned)
        return r;
    r.kind = REF_IMPORTED;
    r.a = i;
    r.b = ast_name(C, id);
    return r;
}

/* ---- types --------------------------------------------------------------- */
static uint32_t type_expr(Canon *C, uint32_t n);

static uint32_t type_list(Canon *C, uint32_t list)
{
    uint32_t mark = C->stack.count;
    for (uint32_t i = 0; i < ast_list_len(C->ast, list); i++)
        push32(&C->stack, type_expr(C, ast_list_at(C->ast, list, i)));
    return list_from(C, &C->stack, mark);
}

static bool arity_ok(Canon *C, const char *name, uint32_t want, uint32_t got, uint32_t s, uint32_t e)
{
    if (want == got)
        return true;
    report_add(&C->rep, RC_E0202, s, e,
               "wrong number of type arguments: %s expects %u, found %u", name, want, got);
    return false;
}

static uint32_t type_name(Canon *C, uint32_t n, uint32_t s, uint32_t e)
{
    const Ast *A = C->ast;
    uint32_t path = A->a[n];
    uint32_t np = ast_list_len(A, path);
    uint32_t id = ast_list_at(A, path, np - 1);
    const char *nm = ast_str(C, id);
    uint32_t args = type_list(C, A->b[n]);
    uint32_t nargs = at32(&C->extra, args);

    if (np == 1) {
        static const char *const builtin[3] = { "Int", "Bool", "Str" };
        static const CanonTypeKind bkind[3] = { CT_INT, CT_BOOL, CT_STR };
        for (int k = 0; k < 3; k++)
            if (strcmp(nm, builtin[k]) == 0) {
                if (!arity_ok(C, nm, 0, nargs, s, e))
                    return TYPE(C, ERROR, 0, 0, s, e);
                return node_add(&C->ty, bkind[k], 0, 0, s, e);
            }
        uint32_t t = C->top_type[id];
        if (t != NONE) {
            const CanonType *T = &BUILDER_AT(&C->types, CanonType, t);
            if (T->poisoned || !arity_ok(C, nm, T->arity, nargs, s, e))
                return TYPE(C, ERROR, 0, 0, s, e);
            return TYPE(C, CON, t, args, s, e);
        }
        if (C->imp_type[id] != NONE) {
            Ref r = ref_imported(C, C->imp_type[id], id);
            if (r.kind == REF_POISON)
                return TYPE(C, ERROR, 0, 0, s, e);
            const NameIface *f = C->imp[r.a].f;
            uint32_t x = iface_find_type(f, nm, intern_len(&A->names, id));
            if (!arity_ok(C, nm, f->types[x].arity, nargs, s, e))
                return TYPE(C, ERROR, 0, 0, s, e);
            return TYPE(C, IMPORTED_CON, extra2(C, r.a, r.b), args, s, e);
        }
        report_add(&C->rep, RC_E0202, s, e, "unknown type: %s", nm);
        return TYPE(C, ERROR, 0, 0, s, e);
    }
    uint32_t i = qualifier(C, path, s, e);
    if (i == NONE || !C->imp[i].f)
        return TYPE(C, ERROR, 0, 0, s, e);
    const NameIface *f = C->imp[i].f;
    dep_lookup(C, i, DEP_IF_TYPE, id);
    uint32_t x = iface_find_type(f, nm, intern_len(&A->names, id));
    if (x == UINT32_MAX) {
        IMPORT_REPORT(C, i, RC_E0206, s, e, "module %s does not expose type %s", C->imp[i].module, nm);
        return TYPE(C, ERROR, 0, 0, s, e);
    }
    if (f->types[x].poisoned || !arity_ok(C, nm, f->types[x].arity, nargs, s, e))
        return TYPE(C, ERROR, 0, 0, s, e);
    return TYPE(C, IMPORTED_CON, extra2(C, i, ast_name(C, id)), args, s, e);
}

static uint32_t type_expr(Canon *C, uint32_t n)
{
    const Ast *A = C->ast;
    uint32_t s, e;
    node_span(C, n, &s, &e);
    switch ((AstKind)A->kind[n]) {
    case AST_TYPE_VAR: {
        uint32_t id = A->a[n];
        if (C->in_typedecl) {
            for (uint32_t i = 0; i < ast_list_len(A, C->decl_params); i++)
                if (A->a[ast_list_at(A, C->decl_params, i)] == id)
                    return TYPE(C, PARAM, i, ast_name(C, id), s, e);
            report_add(&C->rep, RC_E0202, s, e, "unknown type variable: %s", ast_str(C, id));
            return TYPE(C, ERROR, 0, 0, s, e);
        }
        if (C->tbinding[id] == NONE) {
            uint32_t tv = C->tvars.count;
            CanonTvar *t = push_slot(&C->tvars);
            t->name = ast_name(C, id);
            t->start = s;
            t->end = e;
            push32(&C->tsaved, id);
            push32(&C->tsaved, NONE);
            C->tbinding[id] = tv;
            push32(&C->owned, tv);
        }
        return TYPE(C, VAR, C->tbinding[id], ast_name(C, id), s, e);
    }
    case AST_TYPE_UNIT:
        return TYPE(C, UNIT, 0, 0, s, e);
    case AST_TYPE_TUPLE: {
        uint32_t l = type_list(C, A->a[n]);
        return TYPE(C, TUPLE, l, 0, s, e);
    }
    case AST_TYPE_FN: {
        uint32_t l = type_list(C, A->a[n]);
        uint32_t r = type_expr(C, A->b[n]);
        return TYPE(C, FN, l, r, s, e);
    }
    case AST_TYPE_NAME:
        return type_name(C, n, s, e);
    default:
        C->internal = true;
        return TYPE(C, ERROR, 0, 0, s, e);
    }
}

static uint32_t opt_type(Canon *C, uint32_t n) { return n == AST_NONE ? NONE : type_expr(C, n); }

/* ---- expressions ------------------------------------------------------------ */
static uint32_t expr(Canon *C, uint32_t n);

static uint32_t value_ref(Canon *C, uint32_t id, uint32_t s, uint32_t e)
{
    uint32_t l = C->binding[id];
    if (l != NONE) {
        capture(C, l);
        return EXPR(C, LOCAL, l, 0, s, e);
    }
    uint32_t v = C->top_value[id];
    if (v != NONE) {
        if (BUILDER_AT(&C->values, CanonValue, v).poisoned)
            return EXPR(C, POISON, 0, 0, s, e);
        if (C->cur_value != NONE) {
            push32(&C->edges, C->cur_value);
            push32(&C->edges, v);
        }
        return EXPR(C, TOP, v, 0, s, e);
    }
    if (C->imp_value[id] != NONE) {
        Ref r = ref_imported(C, C->imp_value[id], id);
        if (r.kind == REF_POISON)
            return EXPR(C, POISON, 0, 0, s, e);
        return EXPR(C, IMPORTED, r.a, r.b, s, e);
    }
    report_add(&C->rep, RC_E0201, s, e, "unknown name: %s", ast_str(C, id));
    return EXPR(C, POISON, 0, 0, s, e);
}

static uint32_t qualified_ref(Canon *C, uint32_t path, uint32_t s, uint32_t e)
{
    uint32_t n = ast_list_len(C->ast, path);
    uint32_t id = ast_list_at(C->ast, path, n - 1);
    if (is_upper(C, id)) {
        Ref r = ctor_ref(C, path, s, e);
        if (r.kind == REF_IMPORTED)
            return EXPR(C, IMPORTED_CTOR, r.a, r.b, s, e);
        return EXPR(C, POISON, 0, 0, s, e);
    }
    uint32_t i = qualifier(C, path, s, e);
    if (i == NONE || !C->imp[i].f)
        return EXPR(C, POISON, 0, 0, s, e);
    const NameIface *f = C->imp[i].f;
    dep_lookup(C, i, DEP_IF_VALUE, id);
    uint32_t x = iface_find_value(f, ast_str(C, id), intern_len(&C->ast->names, id));
    if (x == UINT32_MAX) {
        IMPORT_REPORT(C, i, RC_E0206, s, e, "module %s does not expose %s", C->imp[i].module, ast_str(C, id));
        return EXPR(C, POISON, 0, 0, s, e);
    }
    if (f->values[x].poisoned)
        return EXPR(C, POISON, 0, 0, s, e);
    return EXPR(C, IMPORTED, i, ast_name(C, id), s, e);
}

/* Creates the locals of a PARAM list (pushing their ids on the stack, from
 * `mark`), reporting E0209; binding happens in bind_params. */
static void params(Canon *C, uint32_t list)
{
    const Ast *A = C->ast;
    uint32_t n = ast_list_len(A, list);
    uint32_t epoch = ++C->param_epoch;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = ast_list_at(A, list, i);
        uint32_t id = A->a[p], s, e;
        tok_span(C, A->tok[p], &s, &e);
        uint32_t annot = opt_type(C, A->b[p]);
        /* bound twice: a stamp per name, so 100 000 parameters are linear */
        if (id != AST_NONE) {
            if (C->param_seen[id] == epoch)
                report_add(&C->rep, RC_E0209, s, e, "%s is bound twice in this parameter list",
                           ast_str(C, id));
            C->param_seen[id] = epoch;
        }
        push32(&C->stack, local_new(C, id, CANON_LOCAL_PARAM, s, e, annot));
    }
}
static void bind_params(Canon *C, uint32_t list, uint32_t mark)
{
    for (uint32_t i = 0; i < ast_list_len(C->ast, list); i++) {
        uint32_t id = C->ast->a[ast_list_at(C->ast, list, i)];
        if (id != AST_NONE)
            bind(C, id, at32(&C->stack, mark + i));
    }
}

static uint32_t pattern(Canon *C, uint32_t n);

static uint32_t pattern_list(Canon *C, uint32_t list)
{
    if (list == AST_NONE)
        return NONE;
    uint32_t mark = C->stack.count;
    for (uint32_t i = 0; i < ast_list_len(C->ast, list); i++)
        push32(&C->stack, pattern(C, ast_list_at(C->ast, list, i)));
    return list_from(C, &C->stack, mark);
}

static uint32_t pattern(Canon *C, uint32_t n)
{
    const Ast *A = C->ast;
    uint32_t s, e;
    node_span(C, n, &s, &e);
    uint32_t a = A->a[n], b = A->b[n];
    switch ((AstKind)A->kind[n]) {
    case AST_PAT_WILD:  return PAT(C, WILD, 0, 0, s, e);
    case AST_PAT_INT:   return PAT(C, INT, a, b, s, e);
    case AST_PAT_STR:   return PAT(C, STR, str_bytes(C, A->strings + a, b), b, s, e);
    case AST_PAT_TRUE:  return PAT(C, TRUE, 0, 0, s, e);
    case AST_PAT_FALSE: return PAT(C, FALSE, 0, 0, s, e);
    case AST_PAT_UNIT:  return PAT(C, UNIT, 0, 0, s, e);
    case AST_PAT_BIND: {
        /* bound twice: its binding is already a local of this pattern
         * (constant time, so 100 000 binders cost linear time) */
        if (C->binding[a] != NONE && C->binding[a] >= C->pat_first_local)
            report_add(&C->rep, RC_E0209, s, e, "%s is bound twice in this pattern", ast_str(C, a));
        uint32_t l = local_new(C, a, CANON_LOCAL_PATTERN, s, e, NONE);
        bind(C, a, l);
        return PAT(C, BIND, l, 0, s, e);
    }
    case AST_PAT_TUPLE: {
        uint32_t l = pattern_list(C, a);
        return PAT(C, TUPLE, l, 0, s, e);
    }
    case AST_PAT_CTOR: {
        uint32_t ts, te;
        tok_span(C, A->tok[n], &ts, &te);
        /* Report at the whole constructor name (qualifier included). */
        if (ast_list_len(A, a) > 1)
            ts = s;
        Ref r = ctor_ref(C, a, ts, te);
        uint32_t subs = pattern_list(C, b);
        if (r.kind == REF_LOCAL)
            return PAT(C, CTOR, r.a, subs, s, e);
        if (r.kind == REF_IMPORTED)
            return PAT(C, IMPORTED_CTOR, extra2(C, r.a, r.b), subs, s, e);
        return PAT(C, POISON, 0, subs, s, e);
    }
    default:
        C->internal = true;
        return PAT(C, POISON, 0, NONE, s, e);
    }
}

_Static_assert(AST_EXPR_MOD - AST_EXPR_OR == CE_MOD - CE_OR, "binary operators in the same order");
_Static_assert(AST_EXPR_NOT - AST_EXPR_NEG == CE_NOT - CE_NEG, "unary operators in the same order");

/* A leaf expression (no sub-expression): its canonical node, or NONE when
 * n has sub-expressions. */
static uint32_t expr_leaf(Canon *C, uint32_t n, uint32_t s, uint32_t e)
{
    const Ast *A = C->ast;
    uint32_t a = A->a[n], b = A->b[n];
    switch ((AstKind)A->kind[n]) {
    case AST_EXPR_INT:   return EXPR(C, INT, a, b, s, e);
    case AST_EXPR_STR:   return EXPR(C, STR, str_bytes(C, A->strings + a, b), b, s, e);
    case AST_EXPR_TRUE:  return EXPR(C, TRUE, 0, 0, s, e);
    case AST_EXPR_FALSE: return EXPR(C, FALSE, 0, 0, s, e);
    case AST_EXPR_UNIT:  return EXPR(C, UNIT, 0, 0, s, e);
    case AST_EXPR_NAME:  return value_ref(C, a, s, e);
    case AST_EXPR_CTOR: {
        Ref r = ctor_unqualified(C, a, s, e);
        if (r.kind == REF_LOCAL)
            return EXPR(C, CTOR, r.a, 0, s, e);
        if (r.kind == REF_IMPORTED)
            return EXPR(C, IMPORTED_CTOR, r.a, r.b, s, e);
        return EXPR(C, POISON, 0, 0, s, e);
    }
    case AST_EXPR_QUALIFIED: return qualified_ref(C, a, s, e);
    default: return NONE;
    }
}

static inline uint32_t pop32(Builder *b)
{
    return ((uint32_t *)b->data)[--b->count];
}

/* One step of the expression on top of expr's stack, t.  Returns the AST
 * node of the sub-expression to canonicalize next (its result will be
 * pushed on C->stack), or NONE when t is done (its result pushed on
 * C->stack).  Sub-expression results wait on C->stack; t->mark is where a
 * list of them starts.  The steps do exactly what a recursive walk does, in
 * the same order (nodes, reports, locals and scopes alike). */
static uint32_t expr_step(Canon *C, ExprTask *t)
{
    const Ast *A = C->ast;
    uint32_t n = t->n, a = A->a[n], b = A->b[n], s = t->s, e = t->e;
    uint32_t step = t->step++;
    AstKind k = (AstKind)A->kind[n];
    if (k >= AST_EXPR_OR && k <= AST_EXPR_MOD) {
        if (step == 0) return a;
        if (step == 1) return b;
        uint32_t r = pop32(&C->stack), l = pop32(&C->stack);
        push32(&C->stack, node_add(&C->ex, CE_OR + (k - AST_EXPR_OR), l, r, s, e));
        return NONE;
    }
    switch (k) {
    case AST_EXPR_TUPLE:
        if (step == 0) t->mark = C->stack.count;
        if (step < ast_list_len(A, a)) return ast_list_at(A, a, step);
        push32(&C->stack, EXPR(C, TUPLE, list_from(C, &C->stack, t->mark), 0, s, e));
        return NONE;
    case AST_EXPR_CALL:
        if (step == 0) return a;
        if (step == 1) t->mark = C->stack.count;
        if (step - 1 < ast_list_len(A, b)) return ast_list_at(A, b, step - 1);
        {
            uint32_t l = list_from(C, &C->stack, t->mark);
            uint32_t f = pop32(&C->stack);
            push32(&C->stack, EXPR(C, CALL, f, l, s, e));
        }
        return NONE;
    case AST_EXPR_NEG:
    case AST_EXPR_NOT:
        if (step == 0) return a;
        push32(&C->stack, node_add(&C->ex, CE_NEG + (k - AST_EXPR_NEG), pop32(&C->stack), 0, s, e));
        return NONE;
    case AST_EXPR_IF:
        if (step == 0) return a;
        if (step == 1) return A->extra[b];
        if (step == 2) return A->extra[b + 1];
        {
            uint32_t f = pop32(&C->stack), th = pop32(&C->stack), c = pop32(&C->stack);
            push32(&C->stack, EXPR(C, IF, c, extra2(C, th, f), s, e));
        }
        return NONE;
    case AST_EXPR_LAMBDA:
        /* mark: its parameters' locals on C->stack; x: saved mark */
        if (step == 0) {
            C->depth++;
            if (C->frames.count < C->depth) {
                Frame *f = push_slot(&C->frames);
                BUILDER_INIT(&f->caps, C->scratch, uint32_t);
            }
            builder_clear(&BUILDER_AT(&C->frames, Frame, C->depth - 1).caps);
            t->mark = C->stack.count;
            params(C, a);
            t->x = C->saved.count;
            bind_params(C, a, t->mark);
            return b;
        }
        {
            uint32_t body = pop32(&C->stack);
            unbind_to(C, t->x);
            uint32_t plist = list_from(C, &C->stack, t->mark);
            uint32_t caps = list_from(C, &BUILDER_AT(&C->frames, Frame, C->depth - 1).caps, 0);
            C->depth--;
            push32(&C->stack, EXPR(C, LAMBDA, extra2(C, plist, caps), body, s, e));
        }
        return NONE;
    case AST_EXPR_LET: {
        /* mark: the local; x: owned mark, then its tvars list; y: tsaved
         * mark, then saved mark */
        uint32_t E = a;
        if (step == 0) {
            uint32_t ls, le;
            tok_span(C, A->extra[E + 1], &ls, &le);
            t->x = C->owned.count;
            t->y = C->tsaved.count;
            uint32_t annot = opt_type(C, A->extra[E + 2]);
            t->mark = local_new(C, A->extra[E], CANON_LOCAL_LET, ls, le, annot);
            return A->extra[E + 3];
        }
        if (step == 1) {
            tunbind_to(C, t->y);
            t->x = list_from(C, &C->owned, t->x);
            t->y = C->saved.count;
            bind(C, A->extra[E], t->mark);
            return b;
        }
        uint32_t body = pop32(&C->stack), value = pop32(&C->stack);
        unbind_to(C, t->y);
        uint32_t x = push32(&C->extra, t->mark);
        push32(&C->extra, value);
        push32(&C->extra, t->x);
        push32(&C->stack, EXPR(C, LET, x, body, s, e));
        return NONE;
    }
    case AST_EXPR_MATCH: {
        /* mark: the arms' (pattern, body) pairs on C->stack; y: saved mark
         * of the arm being done */
        if (step == 0) return a;
        uint32_t narms = ast_list_len(A, b), i = step - 1;
        if (i == 0) t->mark = C->stack.count;
        else unbind_to(C, t->y);
        if (i < narms) {
            uint32_t arm = ast_list_at(A, b, i);
            t->y = C->saved.count;
            C->pat_first_local = C->locals.count;
            push32(&C->stack, pattern(C, A->a[arm]));
            return A->b[arm];
        }
        uint32_t x = push32(&C->extra, narms);
        if (narms && !builder_push_n(&C->extra, &BUILDER_AT(&C->stack, uint32_t, t->mark), 2 * narms))
            canon_oom(C);
        builder_truncate(&C->stack, t->mark);
        push32(&C->stack, EXPR(C, MATCH, pop32(&C->stack), x, s, e));
        return NONE;
    }
    default:
        C->internal = true;
        push32(&C->stack, EXPR(C, POISON, 0, 0, s, e));
        return NONE;
    }
}

/* Canonicalizes expression n.  Length is not nesting (LANGUAGE.md section
 * 6): an expression of any depth (a 100 000-term sum, 10 000 chained lets
 * or lambdas) is walked with an explicit stack (C->tasks), not recursion. */
static uint32_t expr(Canon *C, uint32_t root)
{
    uint32_t base = C->tasks.count;
    uint32_t next = root;
    for (;;) {
        if (next != NONE) {
            uint32_t s, e;
            node_span(C, next, &s, &e);
            uint32_t leaf = expr_leaf(C, next, s, e);
            if (leaf != NONE) {
                push32(&C->stack, leaf);
            } else {
                ExprTask *t = push_slot(&C->tasks);
                *t = (ExprTask){ .n = next, .s = s, .e = e };
            }
        }
        if (C->tasks.count == base)
            break;
        next = expr_step(C, &BUILDER_AT(&C->tasks, ExprTask, C->tasks.count - 1));
        if (next == NONE)
            C->tasks.count--;
    }
    return pop32(&C->stack);
}

/* ---- declarations ------------------------------------------------------------ */
static CanonValue *value_at(Canon *C, uint32_t v) { return &BUILDER_AT(&C->values, CanonValue, v); }
static CanonType *type_at(Canon *C, uint32_t t) { return &BUILDER_AT(&C->types, CanonType, t); }
static CanonCtor *ctor_at(Canon *C, uint32_t c) { return &BUILDER_AT(&C->ctors, CanonCtor, c); }
static uint32_t empty_list(Canon *C) { return push32(&C->extra, 0); }

static void add_value(Canon *C, uint32_t decl, uint32_t id, CanonValueKind kind, bool poisoned)
{
    const Ast *A = C->ast;
    uint32_t v = C->values.count, name = ast_name(C, id);
    uint32_t ds, de, ns, ne;
    node_span(C, decl, &ds, &de);
    if (poisoned) {
        ns = ds;
        ne = de;
    } else {
        tok_span(C, A->tok[decl], &ns, &ne);
    }
    CanonValue *V = push_slot(&C->values);
    memset(V, 0, sizeof *V);
    V->name = name;
    V->kind = (uint8_t)kind;
    V->poisoned = poisoned;
    V->name_start = ns;
    V->name_end = ne;
    V->decl_start = ds;
    V->decl_end = de;
    V->params = V->ret = V->annot = V->body = V->tvars = NONE;
    push32(&C->value_decl, decl);
    if (C->top_value[id] != NONE) {
        report_add(&C->rep, RC_E0203, ns, ne, "duplicate definition of value %s", ast_str(C, id));
        V->duplicate = 1;
    } else {
        C->top_value[id] = v;
    }
}

static void add_type(Canon *C, uint32_t decl, uint32_t id, bool poisoned)
{
    const Ast *A = C->ast;
    uint32_t t = C->types.count, s, e;
    if (poisoned)
        node_span(C, decl, &s, &e);
    else
        tok_span(C, A->tok[decl], &s, &e);
    uint32_t pl = AST_NONE, cl = AST_NONE;
    if (!poisoned) {
        pl = A->extra[A->b[decl]];
        cl = A->extra[A->b[decl] + 1];
    }
    uint32_t mark = C->stack.count;
    for (uint32_t i = 0; i < ast_list_len(A, pl); i++)
        push32(&C->stack, ast_name(C, A->a[ast_list_at(A, pl, i)]));
    uint32_t params = list_from(C, &C->stack, mark);
    uint32_t name = ast_name(C, id);
    CanonType *T = push_slot(&C->types);
    memset(T, 0, sizeof *T);
    T->name = name;
    T->arity = ast_list_len(A, pl);
    T->params = params;
    T->ctor_first = C->ctors.count;
    T->ctor_count = ast_list_len(A, cl);
    T->start = s;
    T->end = e;
    T->poisoned = poisoned;
    push32(&C->type_decl, decl);
    const char *nm = ast_str(C, id);
    if (strcmp(nm, "Int") == 0 || strcmp(nm, "Bool") == 0 || strcmp(nm, "Str") == 0) {
        report_add(&C->rep, RC_E0203, s, e, "duplicate definition of type %s: it is a builtin type", nm);
        type_at(C, t)->duplicate = 1;
    } else if (C->top_type[id] != NONE) {
        report_add(&C->rep, RC_E0203, s, e, "duplicate definition of type %s", nm);
        type_at(C, t)->duplicate = 1;
    } else {
        C->top_type[id] = t;
    }
    for (uint32_t i = 0; i < ast_list_len(A, cl); i++) {
        uint32_t cd = ast_list_at(A, cl, i), cid = A->a[cd], cs, ce;
        tok_span(C, A->tok[cd], &cs, &ce);
        uint32_t c = C->ctors.count, cname = ast_name(C, cid);
        CanonCtor *K = push_slot(&C->ctors);
        memset(K, 0, sizeof *K);
        K->name = cname;
        K->type = t;
        K->index = i;
        K->payload = NONE;
        K->start = cs;
        K->end = ce;
        if (C->top_ctor[cid] != NONE) {
            report_add(&C->rep, RC_E0203, cs, ce, "duplicate definition of constructor %s", ast_str(C, cid));
            ctor_at(C, c)->duplicate = 1;
        } else {
            C->top_ctor[cid] = c;
        }
    }
}

static void declare_all(Canon *C)
{
    const Ast *A = C->ast;
    for (uint32_t i = 0; i < ast_list_len(A, A->decls); i++) {
        uint32_t d = ast_list_at(A, A->decls, i);
        switch ((AstKind)A->kind[d]) {
        case AST_DECL_FN:   add_value(C, d, A->a[d], CANON_VALUE_FN, false); break;
        case AST_DECL_LET:  add_value(C, d, A->a[d], CANON_VALUE_LET, false); break;
        case AST_DECL_TYPE: add_type(C, d, A->a[d], false); break;
        case AST_DECL_BROKEN: {
            uint32_t id = A->a[d], b = A->b[d];
            if (b == 2 || b == 3)
                C->ctor_wild = true;   /* its constructors are lost */
            if (id == AST_NONE)
                break;
            if (is_upper(C, id))
                add_type(C, d, id, true);
            else
                add_value(C, d, id, b == 0 ? CANON_VALUE_FN : b == 1 ? CANON_VALUE_LET : CANON_VALUE_UNKNOWN,
                          true);
            break;
        }
        default:
            C->internal = true;
            break;
        }
    }
}

static void module_exposing(Canon *C)
{
    const Ast *A = C->ast;
    for (uint32_t i = 0; i < ast_list_len(A, A->exposing); i++) {
        uint32_t x = ast_list_at(A, A->exposing, i), id = A->a[x], s, e;
        node_span(C, x, &s, &e);
        if (A->kind[x] == AST_EXPOSE_VALUE) {
            if (C->top_value[id] == NONE)
                report_add(&C->rep, RC_E0205, s, e, "exposing undefined value: %s", ast_str(C, id));
            else
                value_at(C, C->top_value[id])->exposed = 1;
        } else {
            if (C->top_type[id] == NONE) {
                report_add(&C->rep, RC_E0205, s, e, "exposing undefined type: %s", ast_str(C, id));
            } else {
                CanonType *T = type_at(C, C->top_type[id]);
                T->exposed = 1;
                if (A->kind[x] == AST_EXPOSE_TYPE_ALL)
                    T->ctors_exposed = 1;
            }
        }
    }
}

/* ---- imports ---------------------------------------------------------------- */
enum { NS_VALUE = 1, NS_TYPE = 2, NS_CTOR = 4 };

/* Registers `id` as imported unqualified through import `imp` in one
 * namespace.  `real`: the name exists in a non-NULL interface (clashes are
 * reported only between real names). */
static void import_name(Canon *C, int ns, uint32_t id, uint32_t imp, bool poison, bool real,
                        uint32_t s, uint32_t e)
{
    uint32_t *own = ns == NS_VALUE ? C->top_value : ns == NS_TYPE ? C->top_type : C->top_ctor;
    uint32_t *tab = ns == NS_VALUE ? C->imp_value : ns == NS_TYPE ? C->imp_type : C->imp_ctor;
    const char *what = ns == NS_VALUE ? "value" : ns == NS_TYPE ? "type" : "constructor";
    if (own[id] != NONE) {
        if (real && !(C->own_clash[id] & ns)) {
            uint32_t os, oe;
            if (ns == NS_VALUE) {
                os = value_at(C, own[id])->name_start;
                oe = value_at(C, own[id])->name_end;
            } else if (ns == NS_TYPE) {
                os = type_at(C, own[id])->start;
                oe = type_at(C, own[id])->end;
            } else {
                os = ctor_at(C, own[id])->start;
                oe = ctor_at(C, own[id])->end;
            }
            IMPORT_REPORT(C, imp, RC_E0203, os, oe, "duplicate definition of %s %s: also imported from %s",
                          what, ast_str(C, id), C->imp[imp].module);
            C->own_clash[id] |= (uint8_t)ns;
        }
        /* the clash is the import's mistake: W0201 would repeat it */
        BUILDER_AT(&C->imports, CanonImport, imp).used = 1;
        return;
    }
    if (tab[id] != NONE) {
        uint32_t prev = tab[id] >> 1;
        if (real && C->imp[prev].f) {
            Report *r = IMPORT_REPORT(C, imp, RC_E0203, s, e,
                                      "duplicate definition of %s %s: already imported from %s",
                                      what, ast_str(C, id), C->imp[prev].module);
            if (r)
                r->import2 = prev;
        }
        BUILDER_AT(&C->imports, CanonImport, imp).used = 1;
        BUILDER_AT(&C->imports, CanonImport, prev).used = 1;
        return;
    }
    tab[id] = imp << 1 | (poison ? 1u : 0u);
}

static void import_exposing(Canon *C, uint32_t i, uint32_t list)
{
    const Ast *A = C->ast;
    const NameIface *f = C->imp[i].f;
    CanonImport *ci = &BUILDER_AT(&C->imports, CanonImport, i);
    for (uint32_t k = 0; k < ast_list_len(A, list); k++) {
        uint32_t x = ast_list_at(A, list, k), id = A->a[x], s, e;
        uint32_t len = intern_len(&A->names, id);
        node_span(C, x, &s, &e);
        if (A->kind[x] == AST_EXPOSE_VALUE) {
            bool poison = true, real = false;
            if (f) {
                dep_lookup(C, i, DEP_IF_VALUE, id);
                uint32_t v = iface_find_value(f, ast_str(C, id), len);
                if (v == UINT32_MAX) {
                    IMPORT_REPORT(C, i, RC_E0206, s, e, "module %s does not expose %s", C->imp[i].module,
                               ast_str(C, id));
                    ci->used = 1;
                } else {
                    poison = f->values[v].poisoned;
                    real = true;
                }
            }
            import_name(C, NS_VALUE, id, i, poison, real, s, e);
            continue;
        }
        bool all = A->kind[x] == AST_EXPOSE_TYPE_ALL;
        bool poison = true, real = false;
        if (f)
            dep_lookup(C, i, all ? DEP_IF_TYPE_ALL : DEP_IF_TYPE, id);
        uint32_t t = f ? iface_find_type(f, ast_str(C, id), len) : UINT32_MAX;
        if (!f) {
            if (all)
                C->ctor_wild = true;
        } else if (t == UINT32_MAX) {
            IMPORT_REPORT(C, i, RC_E0206, s, e, "module %s does not expose type %s", C->imp[i].module,
                       ast_str(C, id));
            ci->used = 1;
            if (all)
                C->ctor_wild = true;
        } else {
            const IfaceType *T = &f->types[t];
            poison = T->poisoned;
            real = true;
            if (all && T->poisoned) {
                C->ctor_wild = true;
                C->imp[i].wild_source = 1;
            } else if (all && !T->ctors_exposed) {
                IMPORT_REPORT(C, i, RC_E0206, s, e, "module %s does not expose the constructors of %s",
                           C->imp[i].module, ast_str(C, id));
                ci->used = 1;
                C->ctor_wild = true;
            } else if (all) {
                for (uint32_t c = T->ctor_first; c < T->ctor_first + T->ctor_count; c++) {
                    const char *cn = iface_str(f, f->ctors[c].name);
                    uint32_t cid = intern_lookup(&A->names, cn, strlen(cn));
                    if (cid != INTERN_NONE)
                        import_name(C, NS_CTOR, cid, i, false, true, s, e);
                }
            }
        }
        import_name(C, NS_TYPE, id, i, poison, real, s, e);
    }
}

/* The first import before i with import i's qualifier (NONE if none), from
 * an open-addressing table of first imports per qualifier (entries index +
 * 1, cap a power of two): 30 000 imports cost linear time. */
static uint32_t first_with_qual(Canon *C, uint32_t *quals, uint32_t cap, uint32_t i)
{
    const char *q = C->imp[i].qual;
    uint32_t h = (uint32_t)hash_bytes(q, strlen(q)) & (cap - 1);
    while (quals[h]) {
        if (strcmp(C->imp[quals[h] - 1].qual, q) == 0)
            return quals[h] - 1;
        h = (h + 1) & (cap - 1);
    }
    quals[h] = i + 1;
    return NONE;
}

static uint32_t qual_lookup(Canon *C, const char *q)
{
    if (!C->quals)
        return NONE;
    uint32_t h = (uint32_t)hash_bytes(q, strlen(q)) & (C->qcap - 1);
    while (C->quals[h]) {
        if (strcmp(C->imp[C->quals[h] - 1].qual, q) == 0)
            return C->quals[h] - 1;
        h = (h + 1) & (C->qcap - 1);
    }
    return NONE;
}

static void setup_imports(Canon *C, const NameIface *self, const NameIface *const *imports, uint32_t count)
{
    const Ast *A = C->ast;
    uint32_t list = A->imports;
    C->nimp = ast_list_len(A, list);
    C->imp = ARENA_ZARRAY(C->scratch, ImportInfo, C->nimp ? C->nimp : 1);
    uint32_t qcap = 16;
    while (qcap < 2 * C->nimp)
        qcap *= 2;
    uint32_t *quals = ARENA_ZARRAY(C->scratch, uint32_t, qcap);
    C->quals = quals;
    C->qcap = qcap;
    for (uint32_t i = 0; i < C->nimp; i++) {
        uint32_t node = ast_list_at(A, list, i), path = A->a[node], E = A->b[node];
        ImportInfo *I = &C->imp[i];
        uint32_t mlen;
        I->f = i < count && !A->extra[E + 3] ? imports[i] : NULL;   /* a broken line is poisoned */
        if (I->f && I->f->header_broken)
            I->f = NULL;   /* its exposing list is lost: every name is poisoned */
        I->module = join_path(C, path, ast_list_len(A, path), &mlen);
        uint32_t alias = A->extra[E];
        if (alias != AST_NONE) {
            I->qual = ast_str(C, alias);
            I->qual_len = intern_len(&A->names, alias);
            I->qual_segs = 1;
        } else {
            I->qual = I->module;
            I->qual_len = mlen;
            I->qual_segs = ast_list_len(A, path);
        }
        if (I->f && I->f->poisoned_types)
            I->ctor_wild = 1;   /* its constructors are unknown */
        uint32_t s, e;
        if (self && i < self->import_count) {
            s = self->imports[i].name_start;
            e = self->imports[i].name_end;
        } else {
            node_span(C, node, &s, &e);
        }
        uint32_t mname = str_name(C, I->module, mlen);
        uint32_t aname = alias == AST_NONE ? NONE : ast_name(C, alias);
        CanonImport *ci = push_slot(&C->imports);
        memset(ci, 0, sizeof *ci);
        ci->module = mname;
        ci->alias = aname;
        ci->start = s;
        ci->end = e;
        ci->poisoned = I->f == NULL;
        uint32_t j = first_with_qual(C, quals, qcap, i);
        if (j != NONE && strcmp(C->imp[j].module, I->module) != 0) {
            report_add(&C->rep, RC_E0203, s, e, "duplicate definition of module qualifier %s: already used by %s",
                       I->qual, C->imp[j].module);
            ci->used = 1;   /* unreachable by name: W0201 would repeat this report */
        }
    }
    for (uint32_t i = 0; i < C->nimp; i++) {
        uint32_t node = ast_list_at(A, list, i);
        import_exposing(C, i, A->extra[A->b[node] + 2]);
    }
}

/* ---- bodies ------------------------------------------------------------------ */
static void type_payloads(Canon *C, uint32_t t)
{
    const Ast *A = C->ast;
    uint32_t decl = at32(&C->type_decl, t);
    if (type_at(C, t)->poisoned)
        return;
    uint32_t pl = A->extra[A->b[decl]], cl = A->extra[A->b[decl] + 1];
    for (uint32_t i = 0; i < ast_list_len(A, pl); i++)
        for (uint32_t j = 0; j < i; j++)
            if (A->a[ast_list_at(A, pl, i)] == A->a[ast_list_at(A, pl, j)]) {
                uint32_t s, e;
                node_span(C, ast_list_at(A, pl, i), &s, &e);
                report_add(&C->rep, RC_E0209, s, e, "%s is bound twice in this parameter list",
                           ast_str(C, A->a[ast_list_at(A, pl, i)]));
                break;
            }
    C->in_typedecl = true;
    C->decl_params = pl;
    uint32_t first = type_at(C, t)->ctor_first;
    for (uint32_t i = 0; i < ast_list_len(A, cl); i++) {
        uint32_t cd = ast_list_at(A, cl, i);
        uint32_t payload = A->b[cd] == AST_NONE ? NONE : type_list(C, A->b[cd]);
        ctor_at(C, first + i)->payload = payload;
    }
    C->in_typedecl = false;
}

/* A definition with an error is failed (LANGUAGE.md section 6).  When all
 * its errors arose from one import (E0206, tagged), that import is noted:
 * should it turn out to be in an import cycle, those reports are dropped
 * and the typechecker does not fail the definition either. */
static void mark_failed(Canon *C, CanonValue *V, uint32_t first_report)
{
    uint32_t imp = NONE;
    bool one_import = true;
    V->failed = 0;
    for (uint32_t k = first_report; k < C->rep.items.count; k++) {
        const Report *r = &BUILDER_AT(&C->rep.items, Report, k);
        if (report_code_severity(r->code) != SEV_ERROR)
            continue;
        V->failed = 1;
        if (r->import == REPORT_NO_IMPORT || (imp != NONE && imp != r->import))
            one_import = false;
        imp = r->import;
    }
    V->failed_import = V->failed && one_import ? imp : NONE;
}

static void value_body(Canon *C, uint32_t v)
{
    const Ast *A = C->ast;
    uint32_t decl = at32(&C->value_decl, v);
    if (value_at(C, v)->poisoned) {
        value_at(C, v)->tvars = empty_list(C);
        return;
    }
    C->cur_value = v;
    C->depth = 0;
    uint32_t first_report = C->rep.items.count;
    uint32_t omark = C->owned.count, tmark = C->tsaved.count;
    uint32_t E = A->b[decl];
    if (A->kind[decl] == AST_DECL_FN) {
        uint32_t plist = A->extra[E];
        uint32_t mark = C->stack.count;
        params(C, plist);
        uint32_t ret = opt_type(C, A->extra[E + 1]);
        uint32_t smark = C->saved.count;
        bind_params(C, plist, mark);
        uint32_t body = expr(C, A->extra[E + 2]);
        unbind_to(C, smark);
        uint32_t pl = list_from(C, &C->stack, mark);
        CanonValue *V = value_at(C, v);
        V->params = pl;
        V->ret = ret;
        V->body = body;
    } else {
        uint32_t annot = opt_type(C, A->extra[E]);
        uint32_t body = expr(C, A->extra[E + 1]);
        value_at(C, v)->annot = annot;
        value_at(C, v)->body = body;
    }
    tunbind_to(C, tmark);
    uint32_t tv = list_from(C, &C->owned, omark);
    value_at(C, v)->tvars = tv;
    mark_failed(C, value_at(C, v), first_report);
    C->cur_value = NONE;
}

/* ---- declaration order --------------------------------------------------------- */
static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

typedef struct Graph {
    uint32_t n;
    uint32_t *start, *len, *adj;   /* adjacency of v: adj[start[v] .. + len[v]), sorted, unique */
} Graph;

static void graph_build(Canon *C, Graph *g)
{
    uint32_t n = C->values.count, ne = C->edges.count / 2;
    g->n = n;
    g->start = ARENA_ZARRAY(C->scratch, uint32_t, n + 1);
    g->len = ARENA_ZARRAY(C->scratch, uint32_t, n + 1);
    g->adj = ARENA_ARRAY(C->scratch, uint32_t, ne + 1);
    for (uint32_t i = 0; i < ne; i++)
        g->start[at32(&C->edges, 2 * i) + 1]++;
    for (uint32_t v = 0; v < n; v++)
        g->start[v + 1] += g->start[v];
    for (uint32_t i = 0; i < ne; i++) {
        uint32_t from = at32(&C->edges, 2 * i);
        g->adj[g->start[from] + g->len[from]++] = at32(&C->edges, 2 * i + 1);
    }
    for (uint32_t v = 0; v < n; v++) {
        uint32_t *a = g->adj + g->start[v], k = 0;
        qsort(a, g->len[v], sizeof *a, cmp_u32);
        for (uint32_t i = 0; i < g->len[v]; i++)
            if (k == 0 || a[k - 1] != a[i])
                a[k++] = a[i];
        g->len[v] = k;
    }
}

/* E0208 for one cyclic group, its values in source order (see the rule at
 * the top of this file). */
static void cycle_report(Canon *C, Scc *scc, const uint32_t *group, uint32_t gn)
{
    uint32_t L = NONE;
    for (uint32_t i = 0; i < gn && L == NONE; i++)
        if (value_at(C, group[i])->kind == CANON_VALUE_LET)
            L = group[i];
    if (L == NONE)
        return;
    for (uint32_t i = 0; i < gn; i++)
        value_at(C, group[i])->bad_cycle = 1;
    uint32_t np;
    const uint32_t *path = scc_shortest_cycle(scc, L, &np);
    Builder msg;
    BUILDER_INIT(&msg, C->scratch, char);
    const char *head = "cyclic value definition: ";
    builder_push_n(&msg, head, (uint32_t)strlen(head));
    const char *ln = canon_str_blob(C, value_at(C, L)->name);
    builder_push_n(&msg, ln, (uint32_t)strlen(ln));
    for (uint32_t i = 1; i < np; i++) {
        const char *nm = canon_str_blob(C, value_at(C, path[i])->name);
        builder_push_n(&msg, " -> ", 4);
        builder_push_n(&msg, nm, (uint32_t)strlen(nm));
    }
    builder_push_n(&msg, " -> ", 4);
    builder_push_n(&msg, ln, (uint32_t)strlen(ln));
    builder_push_n(&msg, "", 1);
    report_add(&C->rep, RC_E0208, value_at(C, L)->name_start, value_at(C, L)->name_end, "%s", msg.data);
}

typedef struct Order {
    Canon *C;
    Builder vals, starts, cyc;
} Order;

static void order_group(Scc *scc, void *ud, const uint32_t *members, uint32_t count, bool cyclic)
{
    Order *o = ud;
    uint32_t first = o->vals.count;
    push32(&o->starts, first);
    for (uint32_t i = 0; i < count; i++)
        push32(&o->vals, members[i]);
    uint32_t *grp = &BUILDER_AT(&o->vals, uint32_t, first);
    qsort(grp, count, sizeof *grp, cmp_u32);
    uint8_t *slot = push_slot(&o->cyc);
    *slot = cyclic;
    if (cyclic)
        cycle_report(o->C, scc, grp, count);
}

/* Components of the value graph (base/scc.h), roots in source order, uses in
 * source order: deterministic, and a group is emitted only after every group
 * reachable from it, which is dependency order. */
static void order(Canon *C, CanonModule *M)
{
    Graph g;
    graph_build(C, &g);
    SccGraph sg = { g.n, g.start, g.len, g.adj };
    Order o;
    o.C = C;
    BUILDER_INIT(&o.vals, C->scratch, uint32_t);
    BUILDER_INIT(&o.starts, C->scratch, uint32_t);
    BUILDER_INIT(&o.cyc, C->scratch, uint8_t);
    scc_tarjan(&sg, C->scratch, order_group, &o);
    M->scc_count = o.starts.count;
    push32(&o.starts, o.vals.count);
    M->scc_values = builder_seal(&o.vals, C->ir);
    M->scc_start = builder_seal(&o.starts, C->ir);
    M->scc_cyclic = builder_seal(&o.cyc, C->ir);
}

/* Reserves the growing arrays from the AST's node counts: one IR node per
 * AST expression, pattern and type node, and about as many extra words as
 * the AST has, so that they rarely grow (each growth copies in scratch). */
static void presize(Canon *C)
{
    const Ast *A = C->ast;
    uint32_t ne = 0, np = 0, nt = 0, nl = 0;
    for (uint32_t n = 0; n < A->node_count; n++) {
        uint8_t k = A->kind[n];
        if (k >= AST_EXPR_INT && k <= AST_EXPR_MATCH)
            ne++;
        else if (k >= AST_PAT_WILD && k <= AST_PAT_TUPLE)
            np++;
        else if (k >= AST_TYPE_NAME)
            nt++;
        nl += k == AST_PARAM || k == AST_PAT_BIND || k == AST_EXPR_LET;
    }
    NodeBuf *bufs[3] = { &C->ex, &C->pa, &C->ty };
    uint32_t want[3] = { ne + 1, np + 1, nt + 1 };
    for (int i = 0; i < 3; i++) {
        builder_reserve(&bufs[i]->kind, want[i]);
        builder_reserve(&bufs[i]->a, want[i]);
        builder_reserve(&bufs[i]->b, want[i]);
        builder_reserve(&bufs[i]->start, want[i]);
        builder_reserve(&bufs[i]->end, want[i]);
    }
    builder_reserve(&C->extra, A->extra_count + 16);
    builder_reserve(&C->locals, nl + 1);
    builder_reserve(&C->local_depth, nl + 1);
}

/* ---- entry ------------------------------------------------------------------- */
static CanonModule *canon_run(Canon *C, const NameIface *self, const NameIface *const *imports,
                              uint32_t import_count)
{
    const Ast *A = C->ast;
    Arena *s = C->scratch;
    intern_init(&C->strtab, s, 256);
    BUILDER_INIT(&C->blob, s, char);
    BUILDER_INIT(&C->str_off, s, uint32_t);
    nodebuf_init(&C->ex, s);
    nodebuf_init(&C->pa, s);
    nodebuf_init(&C->ty, s);
    BUILDER_INIT(&C->extra, s, uint32_t);
    BUILDER_INIT(&C->stack, s, uint32_t);
    BUILDER_INIT(&C->tasks, s, ExprTask);
    BUILDER_INIT(&C->values, s, CanonValue);
    BUILDER_INIT(&C->types, s, CanonType);
    BUILDER_INIT(&C->ctors, s, CanonCtor);
    BUILDER_INIT(&C->locals, s, CanonLocal);
    BUILDER_INIT(&C->tvars, s, CanonTvar);
    BUILDER_INIT(&C->imports, s, CanonImport);
    BUILDER_INIT(&C->local_depth, s, uint32_t);
    BUILDER_INIT(&C->value_decl, s, uint32_t);
    BUILDER_INIT(&C->type_decl, s, uint32_t);
    BUILDER_INIT(&C->saved, s, uint32_t);
    BUILDER_INIT(&C->tsaved, s, uint32_t);
    BUILDER_INIT(&C->owned, s, uint32_t);
    BUILDER_INIT(&C->frames, s, Frame);
    BUILDER_INIT(&C->edges, s, uint32_t);
    dep_recorder_init(&C->deps, s, C->record_deps);
    report_list_init(&C->rep, s, C->keep);
    ast_all_spans(A, s, &C->span_start, &C->span_end);
    presize(C);
    C->nnames = A->names.count;
    C->name_cache = table(C, C->nnames);
    C->top_value = table(C, C->nnames);
    C->top_type = table(C, C->nnames);
    C->top_ctor = table(C, C->nnames);
    C->imp_value = table(C, C->nnames);
    C->imp_type = table(C, C->nnames);
    C->imp_ctor = table(C, C->nnames);
    C->binding = table(C, C->nnames);
    C->param_seen = table(C, C->nnames);
    C->tbinding = table(C, C->nnames);
    C->own_clash = ARENA_ZARRAY(s, uint8_t, C->nnames + 1);
    C->cur_value = NONE;

    declare_all(C);
    module_exposing(C);
    setup_imports(C, self, imports, import_count);
    for (uint32_t t = 0; t < C->types.count; t++)
        type_payloads(C, t);
    for (uint32_t v = 0; v < C->values.count; v++)
        value_body(C, v);
    for (uint32_t i = 0; i < C->nimp; i++) {
        const CanonImport *ci = &BUILDER_AT(&C->imports, CanonImport, i);
        /* no W0201 after a syntax error: the skipped text may have used
         * any import (LANGUAGE.md section 6) */
        if (C->imp[i].f && !ci->used && !C->ast->skipped_text)
            IMPORT_REPORT(C, i, RC_W0201, ci->start, ci->end, "unused import: %s", C->imp[i].module);
    }

    CanonModule *M = ARENA_NEW(C->ir, CanonModule);
    order(C, M);
    const char *name;
    uint32_t nlen;
    if (self && self->module != ISTR_NONE) {
        name = iface_str(self, self->module);
        nlen = (uint32_t)strlen(name);
    } else if (A->module_path != AST_NONE) {
        name = join_path(C, A->module_path, ast_list_len(A, A->module_path), &nlen);
    } else {
        name = "";
        nlen = 0;
    }
    M->name = arena_strndup(C->ir, name, nlen);
    M->src = A->src;
    M->src_len = A->src_len;
    M->strings = builder_seal(&C->blob, C->ir);
    M->strings_len = C->blob.count;
    M->imports = builder_seal(&C->imports, C->ir);
    M->import_count = C->imports.count;
    M->values = builder_seal(&C->values, C->ir);
    M->value_count = C->values.count;
    M->types = builder_seal(&C->types, C->ir);
    M->type_count = C->types.count;
    M->ctors = builder_seal(&C->ctors, C->ir);
    M->ctor_count = C->ctors.count;
    M->locals = builder_seal(&C->locals, C->ir);
    M->local_count = C->locals.count;
    M->tvars = builder_seal(&C->tvars, C->ir);
    M->tvar_count = C->tvars.count;
    M->expr = nodebuf_seal(&C->ex, C->ir);
    M->pat = nodebuf_seal(&C->pa, C->ir);
    M->type = nodebuf_seal(&C->ty, C->ir);
    M->extra = builder_seal(&C->extra, C->ir);
    M->extra_count = C->extra.count;
    const NameIface **given = ARENA_ARRAY(s, const NameIface *, C->nimp + 1);
    for (uint32_t i = 0; i < C->nimp; i++)
        given[i] = C->imp[i].f;
    M->deps = dep_seal_ifaces(&C->deps, given, C->nimp, C->ir, s);
    return M;
}

/* canon_module's arguments and results, for its protected body. */
typedef struct CanonCall {
    Canon ctx;
    const NameIface *self;
    const NameIface *const *imports;
    uint32_t import_count;
    CanonOutput *out;
} CanonCall;

static void canon_body(void *ud)
{
    CanonCall *c = ud;
    c->out->ir = canon_run(&c->ctx, c->self, c->imports, c->import_count);
    c->out->reports = report_list_seal(&c->ctx.rep, c->ctx.keep);
}

PhaseStatus canon_module(const Ast *ast, const NameIface *self,
                         const NameIface *const *imports, uint32_t import_count,
                         Arena *keep, Arena *ir, Arena *scratch,
                         bool record_deps, CanonOutput *out)
{
    CanonCall call;
    memset(&call, 0, sizeof call);
    memset(out, 0, sizeof *out);
    call.ctx.ast = ast;
    call.ctx.keep = keep;
    call.ctx.ir = ir;
    call.ctx.scratch = scratch;
    call.ctx.record_deps = record_deps;
    call.self = self;
    call.imports = imports;
    call.import_count = import_count;
    call.out = out;
    Arena *const guarded[] = { keep, ir, scratch };
    if (!protect_call(guarded, 3, canon_body, &call)) {
        memset(out, 0, sizeof *out);
        return PHASE_OOM;
    }
    if (call.ctx.internal) {
        out->ir = NULL;
        return PHASE_INTERNAL;
    }
    return PHASE_OK;
}
