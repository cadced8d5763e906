/* artifact — building, sealing, hashing and reading a checked artifact.
 *
 * Invariants
 *   - A sealed artifact (layout in modules/types.h) is written once into the
 *     module's keep arena by check_module and never changed after: any number
 *     of workers may read it.  It holds no pointer but the bases of its own
 *     arrays and string blob; types are node indices, strings offsets, and
 *     types of other modules are named by qualified name ("Mod.Type").
 *   - Export numbers a scheme's variables GEN 0, 1, ... in order of first
 *     appearance in a pre-order walk, so equal schemes have equal bytes.
 *   - The interface hash covers exactly the exported interface (module name,
 *     exposed types with their constructors when exposed T(..), exposed
 *     values with their schemes), each list sorted by name: bodies, private
 *     declarations and declaration order do not change it.
 */
#include "modules/artifact.h"
#include "base/hash.h"
#include "modules/deps.h"
#include "modules/types.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ------------------------------------------------------------- */

void art_builder_init(ArtBuilder *b, TyStore *store, const char *module, Arena *scratch)
{
    memset(b, 0, sizeof *b);
    b->scratch = scratch;
    b->store = store;
    BUILDER_INIT(&b->strings, scratch, char);
    BUILDER_INIT(&b->nodes, scratch, TyNode);
    BUILDER_INIT(&b->extra, scratch, uint32_t);
    BUILDER_INIT(&b->named, scratch, ArtNamed);
    BUILDER_INIT(&b->types, scratch, ArtType);
    BUILDER_INIT(&b->ctors, scratch, ArtCtor);
    BUILDER_INIT(&b->values, scratch, ArtValue);
    BUILDER_INIT(&b->stroff, scratch, uint32_t);
    intern_init(&b->strtab, scratch, 64);
    intern_init(&b->namedtab, scratch, 16);
    b->module = art_string(b, module, (uint32_t)strlen(module));
}

uint32_t art_string(ArtBuilder *b, const char *s, uint32_t len)
{
    uint32_t before = b->strtab.count;
    uint32_t id = intern(&b->strtab, s, len);
    if (id >= before) {
        BUILDER_PUSH(&b->stroff, uint32_t, b->strings.count);
        builder_push_n(&b->strings, s, len);
        BUILDER_PUSH(&b->strings, char, 0);
    }
    return BUILDER_AT(&b->stroff, uint32_t, id);
}

static uint32_t art_node(ArtBuilder *b, uint32_t kind, uint32_t a, uint32_t n, uint32_t c)
{
    uint32_t id = b->nodes.count;
    TyNode *t = builder_push(&b->nodes);
    t->kind = kind;
    t->a = a;
    t->b = n;
    t->c = c;
    return id;
}

static uint32_t art_named(ArtBuilder *b, uint32_t store_named)
{
    uint32_t modlen;
    const char *q = ty_named_qname(b->store, store_named, &modlen);
    uint32_t len = (uint32_t)strlen(q);
    uint32_t before = b->namedtab.count;
    uint32_t id = intern(&b->namedtab, q, len);
    if (id >= before) {
        ArtNamed *n = builder_push(&b->named);
        n->qname = art_string(b, q, len);
        n->modlen = modlen;
    }
    return id;
}

void art_begin_scheme(ArtBuilder *b)
{
    b->gen_count = 0;
    b->store->epoch++;
}

/* Copies store node t, whose children are already exported. */
static uint32_t export_node(ArtBuilder *b, uint32_t t)
{
    TyStore *s = b->store;
    TyNode n = *ty_node(s, t);
    switch ((TyKind)n.kind) {
    case TY_VAR:
    case TY_RIGID:
        return art_node(b, TY_GEN, b->gen_count++, 0, 0);
    case TY_FN:
    case TY_TUPLE:
    case TY_CON: {
        uint32_t cnt = n.b + (n.kind == TY_FN);
        uint32_t at = b->extra.count;
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t k = ty_find(s, *ty_extra(s, n.a + i));
            BUILDER_PUSH(&b->extra, uint32_t, ((uint32_t *)s->copy.data)[k]);
        }
        return art_node(b, n.kind, at, n.b, n.kind == TY_CON ? art_named(b, n.c) : 0);
    }
    default:
        return art_node(b, n.kind, 0, 0, 0);
    }
}

/* Store nodes exported in this scheme carry stamp == epoch and their
 * artifact copy in `copy` (the store's per-node scratch slots).  The walk is
 * iterative over the DAG (explicit stack, each distinct node once): a leaf is
 * exported when first popped, so GEN numbers follow the pre-order of the
 * recursive definition; a compound node is pushed again under
 * EXPORT_CLOSE and exported once its children are.  Children are therefore
 * always exported before their parents: artifact node indices are a
 * topological order (interface_hash relies on it). */
#define EXPORT_CLOSE 0x80000000u
static uint32_t export_dag(ArtBuilder *b, uint32_t t)
{
    TyStore *s = b->store;
    Builder *st = &s->occ;
    uint32_t epoch = s->epoch;
    t = ty_find(s, t);
    builder_clear(st);
    BUILDER_PUSH(st, uint32_t, t);
    while (st->count) {
        uint32_t x = BUILDER_AT(st, uint32_t, --st->count);
        bool close = x & EXPORT_CLOSE;
        x = ty_find(s, x & ~EXPORT_CLOSE);
        if (((uint32_t *)s->stamp.data)[x] == epoch)
            continue;
        TyNode n = *ty_node(s, x);
        if (!close && (n.kind == TY_FN || n.kind == TY_TUPLE || n.kind == TY_CON)) {
            BUILDER_PUSH(st, uint32_t, x | EXPORT_CLOSE);
            uint32_t cnt = n.b + (n.kind == TY_FN);
            for (uint32_t i = cnt; i-- > 0;)
                BUILDER_PUSH(st, uint32_t, *ty_extra(s, n.a + i));
            continue;
        }
        uint32_t r = export_node(b, x);
        ((uint32_t *)s->stamp.data)[x] = epoch;
        ((uint32_t *)s->copy.data)[x] = r;
    }
    return ((uint32_t *)s->copy.data)[t];
}

uint32_t art_export(ArtBuilder *b, uint32_t t) { return export_dag(b, t); }

uint32_t art_add_type(ArtBuilder *b, const char *name, uint32_t arity,
                      bool exposed, bool ctors_exposed, bool poisoned)
{
    ArtType *t = builder_push(&b->types);
    memset(t, 0, sizeof *t);
    t->name = art_string(b, name, (uint32_t)strlen(name));
    const char *mod = b->strings.data + b->module;
    size_t ml = strlen(mod), nl = strlen(name);
    char *q = arena_alloc(b->scratch, ml + nl + 2, 1);
    memcpy(q, mod, ml);
    q[ml] = '.';
    memcpy(q + ml + 1, name, nl + 1);
    uint32_t before = b->namedtab.count;
    uint32_t id = intern(&b->namedtab, q, (uint32_t)(ml + 1 + nl));
    if (id >= before) {
        ArtNamed *n = builder_push(&b->named);
        n->qname = art_string(b, q, (uint32_t)(ml + 1 + nl));
        n->modlen = (uint32_t)ml;
    }
    t = &BUILDER_AT(&b->types, ArtType, b->types.count - 1);
    t->named = id;
    t->arity = arity;
    t->ctor_first = b->ctors.count;
    t->exposed = exposed;
    t->ctors_exposed = ctors_exposed;
    t->poisoned = poisoned;
    return b->types.count - 1;
}

void art_add_ctor(ArtBuilder *b, const char *name, uint32_t arity, uint32_t scheme)
{
    uint32_t nm = art_string(b, name, (uint32_t)strlen(name));
    ArtCtor *c = builder_push(&b->ctors);
    c->name = nm;
    c->type = b->types.count - 1;
    c->arity = arity;
    c->scheme = scheme;
    BUILDER_AT(&b->types, ArtType, b->types.count - 1).ctor_count++;
}

void art_add_value(ArtBuilder *b, const char *name, uint32_t scheme,
                   bool exposed, bool poisoned)
{
    uint32_t nm = art_string(b, name, (uint32_t)strlen(name));
    ArtValue *v = builder_push(&b->values);
    v->name = nm;
    v->scheme = scheme;
    v->gen_count = b->gen_count;
    v->exposed = exposed;
    v->poisoned = poisoned;
}

/* ---- sealing and the interface hash ---------------------------------------- */

typedef struct SortCtx {
    const char *strings;
    const uint32_t *names;   /* name offset per item, stride in words */
    size_t stride;
} SortCtx;

static int by_name(const void *x, const void *y, void *ctx)
{
    const SortCtx *c = ctx;
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    int r = strcmp(c->strings + c->names[i * c->stride], c->strings + c->names[j * c->stride]);
    return r ? r : (i > j) - (i < j);
}

static uint32_t *sorted_index(Arena *keep, const char *strings, const void *items,
                              size_t stride_bytes, uint32_t count,
                              bool (*keep_item)(const void *item, const void *ctx),
                              const void *ctx, uint32_t *out_count)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++)
        n += keep_item((const char *)items + i * stride_bytes, ctx);
    uint32_t *idx = ARENA_ARRAY(keep, uint32_t, n ? n : 1);
    n = 0;
    for (uint32_t i = 0; i < count; i++)
        if (keep_item((const char *)items + i * stride_bytes, ctx))
            idx[n++] = i;
    SortCtx sc = { strings, items, stride_bytes / sizeof(uint32_t) };
    qsort_r(idx, n, sizeof *idx, by_name, &sc);
    *out_count = n;
    return idx;
}

static bool value_exposed(const void *item, const void *ctx)
{
    return ((const ArtValue *)item)->exposed;
}

static bool type_exposed(const void *item, const void *ctx)
{
    return ((const ArtType *)item)->exposed;
}

static bool ctor_exposed(const void *item, const void *ctx)
{
    const ArtType *types = ctx;
    const ArtType *t = &types[((const ArtCtor *)item)->type];
    return t->exposed && t->ctors_exposed;
}

/* A scheme enters hashes and fingerprints as the Merkle hash of its root
 * (ArtValue/ArtCtor.fp): a type is a DAG that may be exponentially large as
 * a tree, and walking its tree would cost that much.  Schemes are exported
 * with their variables numbered GEN 0, 1, ... in pre-order (see the top of
 * this file), so equal schemes have equal Merkle hashes whatever their
 * sharing. */
static void fp_type(HashChain *h, const uint32_t fp[2]) { hash_chain_add(h, fp, 2 * sizeof *fp); }

/* Node hashes in one forward pass: export writes children before parents. */
static uint64_t *node_hashes(const ArtBuilder *b, Arena *scratch)
{
    const TyNode *nodes = (const TyNode *)b->nodes.data;
    const uint32_t *extra = (const uint32_t *)b->extra.data;
    const ArtNamed *named = (const ArtNamed *)b->named.data;
    uint64_t *nh = ARENA_ARRAY(scratch, uint64_t, b->nodes.count ? b->nodes.count : 1);
    for (uint32_t t = 0; t < b->nodes.count; t++) {
        TyNode n = nodes[t];
        uint64_t head[3] = { n.kind, n.kind == TY_GEN ? n.a : n.b, 0 };
        if (n.kind == TY_CON) {
            const char *q = b->strings.data + named[n.c].qname;
            head[2] = hash_bytes(q, strlen(q));
        }
        uint64_t x = hash_bytes(head, sizeof head);
        if (n.kind == TY_FN || n.kind == TY_TUPLE || n.kind == TY_CON) {
            uint32_t cnt = n.b + (n.kind == TY_FN);
            for (uint32_t i = 0; i < cnt; i++)
                x = hash_bytes_seed(&nh[extra[n.a + i]], sizeof(uint64_t), x);
        }
        nh[t] = x;
    }
    return nh;
}

static void set_fp(uint32_t fp[2], uint64_t x)
{
    fp[0] = (uint32_t)x;
    fp[1] = (uint32_t)(x >> 32);
}

static uint64_t interface_hash(const struct Artifact *a)
{
    HashChain h;
    hash_chain_init(&h, 0);
    hash_chain_str(&h, a->strings + a->module);
    hash_chain_u32(&h, a->exp_type_count);
    for (uint32_t i = 0; i < a->exp_type_count; i++) {
        const ArtType *t = &a->types[a->exp_types[i]];
        hash_chain_str(&h, a->strings + t->name);
        hash_chain_u32(&h, t->arity);
        hash_chain_u32(&h, t->poisoned | (uint32_t)t->ctors_exposed << 1);
        if (!t->ctors_exposed)
            continue;
        /* Declaration order of constructors is part of the interface (it is
         * the order exhaustiveness messages and printers follow). */
        hash_chain_u32(&h, t->ctor_count);
        for (uint32_t k = 0; k < t->ctor_count; k++) {
            const ArtCtor *c = &a->ctors[t->ctor_first + k];
            hash_chain_str(&h, a->strings + c->name);
            hash_chain_u32(&h, c->arity);
            fp_type(&h, c->fp);
        }
    }
    hash_chain_u32(&h, a->exp_value_count);
    for (uint32_t i = 0; i < a->exp_value_count; i++) {
        const ArtValue *v = &a->values[a->exp_values[i]];
        hash_chain_str(&h, a->strings + v->name);
        hash_chain_u32(&h, v->poisoned);
        if (!v->poisoned)
            fp_type(&h, v->fp);
    }
    return hash_chain_end(&h);
}

struct Artifact *art_seal(ArtBuilder *b, Arena *keep)
{
    const uint64_t *nh = node_hashes(b, b->scratch);
    for (uint32_t i = 0; i < b->ctors.count; i++) {
        ArtCtor *c = &BUILDER_AT(&b->ctors, ArtCtor, i);
        set_fp(c->fp, nh[c->scheme]);
    }
    for (uint32_t i = 0; i < b->values.count; i++) {
        ArtValue *v = &BUILDER_AT(&b->values, ArtValue, i);
        set_fp(v->fp, v->poisoned ? 0 : nh[v->scheme]);
    }
    struct Artifact *a = ARENA_NEW(keep, struct Artifact);
    a->module = b->module;
    a->strings = builder_seal(&b->strings, keep);
    a->strings_len = b->strings.count;
    a->nodes = builder_seal(&b->nodes, keep);
    a->node_count = b->nodes.count;
    a->extra = builder_seal(&b->extra, keep);
    a->extra_count = b->extra.count;
    a->named = builder_seal(&b->named, keep);
    a->named_count = b->named.count;
    a->types = builder_seal(&b->types, keep);
    a->type_count = b->types.count;
    a->ctors = builder_seal(&b->ctors, keep);
    a->ctor_count = b->ctors.count;
    a->values = builder_seal(&b->values, keep);
    a->value_count = b->values.count;
    a->exp_values = sorted_index(keep, a->strings, a->values, sizeof(ArtValue), a->value_count,
                                 value_exposed, NULL, &a->exp_value_count);
    a->exp_types = sorted_index(keep, a->strings, a->types, sizeof(ArtType), a->type_count,
                                type_exposed, NULL, &a->exp_type_count);
    a->exp_ctors = sorted_index(keep, a->strings, a->ctors, sizeof(ArtCtor), a->ctor_count,
                                ctor_exposed, a->types, &a->exp_ctor_count);
    a->iface_hash = interface_hash(a);
    return a;
}

/* ---- reading ---------------------------------------------------------------- */

static const char *art_qname(const void *ctx, uint32_t named, uint32_t *modlen)
{
    const struct Artifact *a = ctx;
    *modlen = a->named[named].modlen;
    return a->strings + a->named[named].qname;
}

TyGraph artifact_graph(const struct Artifact *a)
{
    TyGraph g = { a->nodes, a->extra, art_qname, a };
    return g;
}

static uint32_t find_sorted(const struct Artifact *a, const uint32_t *idx, uint32_t n,
                            const void *items, size_t stride, const char *name)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t off = *(const uint32_t *)((const char *)items + idx[mid] * stride);
        int r = strcmp(a->strings + off, name);
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n) {
        uint32_t off = *(const uint32_t *)((const char *)items + idx[lo] * stride);
        if (strcmp(a->strings + off, name) == 0)
            return idx[lo];
    }
    return UINT32_MAX;
}

/* Every Art* struct starts with its name offset. */
uint32_t artifact_find_value(const struct Artifact *a, const char *name)
{
    return find_sorted(a, a->exp_values, a->exp_value_count, a->values, sizeof(ArtValue), name);
}

uint32_t artifact_find_type(const struct Artifact *a, const char *name)
{
    return find_sorted(a, a->exp_types, a->exp_type_count, a->types, sizeof(ArtType), name);
}

uint32_t artifact_find_ctor(const struct Artifact *a, const char *name)
{
    return find_sorted(a, a->exp_ctors, a->exp_ctor_count, a->ctors, sizeof(ArtCtor), name);
}

const char *artifact_module_name(const Artifact *a) { return a->strings + a->module; }
uint32_t artifact_value_count(const Artifact *a) { return a->value_count; }
const char *artifact_value_name(const Artifact *a, uint32_t i) { return a->strings + a->values[i].name; }
uint64_t artifact_interface_hash(const Artifact *a) { return a->iface_hash; }

static void print_value(TyPrinter *p, const Artifact *a, uint32_t i, Arena *arena)
{
    const ArtValue *v = &a->values[i];
    ty_printer_init(p, artifact_graph(a), a->strings + a->module, arena);
    if (v->poisoned)
        ty_print_str(p, "<error>");
    else
        ty_print(p, v->scheme);
}

char *artifact_value_type_string(const Artifact *a, uint32_t i, Arena *arena)
{
    /* The printer's working arrays are abandoned in `arena`. */
    TyPrinter p;
    print_value(&p, a, i, arena);
    return ty_printer_take(&p, arena);
}

bool artifact_value_type_write(const Artifact *a, uint32_t i, FILE *out, Arena *scratch)
{
    ArenaMark mark = arena_mark(scratch);
    TyPrinter p;
    print_value(&p, a, i, scratch);
    bool ok = p.out.data && fwrite(p.out.data, 1, p.out.count, out) == p.out.count;
    arena_rewind(scratch, mark);
    return ok;
}

/* Brings artifact node `node`, whose children are mapped, into the store. */
static uint32_t import_node(TyStore *s, const struct Artifact *a, uint32_t node,
                            uint32_t *named_map, const uint32_t *node_map)
{
    TyNode n = a->nodes[node];
    switch ((TyKind)n.kind) {
    case TY_GEN: return ty_generic_var(s);
    case TY_INT: return s->t_int;
    case TY_BOOL: return s->t_bool;
    case TY_STR: return s->t_str;
    case TY_UNIT: return s->t_unit;
    case TY_FN:
    case TY_TUPLE:
    case TY_CON: {
        uint32_t cnt = n.b + (n.kind == TY_FN);
        uint32_t small[8];
        uint32_t *kids = cnt <= 8 ? small : ARENA_ARRAY(s->arena, uint32_t, cnt);
        for (uint32_t i = 0; i < cnt; i++)
            kids[i] = node_map[a->extra[n.a + i]];
        if (n.kind == TY_FN)
            return ty_fn(s, kids, n.b, kids[n.b]);
        if (n.kind == TY_TUPLE)
            return ty_tuple(s, kids, n.b);
        if (named_map[n.c] == TY_NONE) {
            const ArtNamed *an = &a->named[n.c];
            const char *q = a->strings + an->qname;
            char *mod = arena_strndup(s->arena, q, an->modlen);
            named_map[n.c] = ty_named(s, mod, q + an->modlen + 1);
        }
        return ty_con(s, named_map[n.c], kids, n.b);
    }
    default:
        return s->t_error;
    }
}

/* Artifact node indices are a topological order (children first, see
 * export_dag), so the nodes `node` reaches are all below it: an explicit
 * stack finds the unmapped ones and maps them children first. */
uint32_t art_import(TyStore *s, const struct Artifact *a, uint32_t node,
                    uint32_t *named_map, uint32_t *node_map)
{
    if (node_map[node] != TY_NONE)
        return node_map[node];
    Builder *st = &s->occ;
    builder_clear(st);
    BUILDER_PUSH(st, uint32_t, node);
    while (st->count) {
        uint32_t x = BUILDER_AT(st, uint32_t, --st->count);
        bool close = x & EXPORT_CLOSE;
        x &= ~EXPORT_CLOSE;
        if (node_map[x] != TY_NONE)
            continue;
        TyNode n = a->nodes[x];
        if (!close && (n.kind == TY_FN || n.kind == TY_TUPLE || n.kind == TY_CON)) {
            BUILDER_PUSH(st, uint32_t, x | EXPORT_CLOSE);
            uint32_t cnt = n.b + (n.kind == TY_FN);
            for (uint32_t i = cnt; i-- > 0;)
                BUILDER_PUSH(st, uint32_t, a->extra[n.a + i]);
            continue;
        }
        node_map[x] = import_node(s, a, x, named_map, node_map);
    }
    return node_map[node];
}

/* ---- fingerprints of looked-up names (modules/deps.h) ------------------------ */

/* A type's whole definition: every constructor counts, exposed or not,
 * since exhaustiveness reads them all. */
static void fp_typedef(HashChain *h, const struct Artifact *a, const ArtType *t)
{
    hash_chain_str(h, a->strings + t->name);
    hash_chain_u32(h, t->arity);
    hash_chain_u32(h, t->poisoned | (uint32_t)t->ctors_exposed << 1 | (uint32_t)t->exposed << 2);
    hash_chain_u32(h, t->ctor_count);
    for (uint32_t k = 0; k < t->ctor_count; k++) {
        const ArtCtor *c = &a->ctors[t->ctor_first + k];
        hash_chain_str(h, a->strings + c->name);
        hash_chain_u32(h, c->arity);
        fp_type(h, c->fp);
    }
}

uint32_t artifact_dep_index(const struct Artifact *a, DepKind kind, const char *name)
{
    switch (kind) {
    case DEP_VALUE:
        return artifact_find_value(a, name);
    case DEP_TYPE:
        return artifact_find_type(a, name);
    case DEP_CTOR:
        return artifact_find_ctor(a, name);
    default:
        return UINT32_MAX;
    }
}

/* One kind's exported items into a deps digest: each name with its
 * fingerprint (idx: the exported indices, names: the items' name offsets,
 * stride apart). */
static void digest_kind(HashChain *h, const struct Artifact *a, DepKind kind, const uint32_t *idx,
                        uint32_t count, const void *items, size_t stride)
{
    hash_chain_u32(h, count);
    for (uint32_t k = 0; k < count; k++) {
        uint64_t fp = artifact_fingerprint_at(a, kind, idx[k]);
        uint32_t name;
        memcpy(&name, (const char *)items + (size_t)idx[k] * stride, sizeof name);
        hash_chain_str(h, a->strings + name);
        hash_chain_add(h, &fp, sizeof fp);
    }
}

uint64_t artifact_deps_digest(const struct Artifact *a)
{
    _Static_assert(offsetof(ArtValue, name) == 0 && offsetof(ArtType, name) == 0 &&
                   offsetof(ArtCtor, name) == 0, "digest_kind reads the name first");
    HashChain h;
    hash_chain_init(&h, 0x6469676573747321ull);
    hash_chain_str(&h, a->strings + a->module);
    digest_kind(&h, a, DEP_VALUE, a->exp_values, a->exp_value_count, a->values, sizeof(ArtValue));
    digest_kind(&h, a, DEP_TYPE, a->exp_types, a->exp_type_count, a->types, sizeof(ArtType));
    digest_kind(&h, a, DEP_CTOR, a->exp_ctors, a->exp_ctor_count, a->ctors, sizeof(ArtCtor));
    uint64_t d = hash_chain_end(&h);
    return d ? d : 1;
}

uint64_t artifact_fingerprint_at(const struct Artifact *a, DepKind kind, uint32_t i)
{
    HashChain h;
    hash_chain_init(&h, 0x6465707321ull);
    hash_chain_u32(&h, (uint32_t)kind);
    hash_chain_str(&h, a->strings + a->module);
    if (i == UINT32_MAX)
        return hash_chain_end(&h);
    switch (kind) {
    case DEP_VALUE:
        hash_chain_u32(&h, 1u + a->values[i].poisoned);
        hash_chain_u32(&h, a->values[i].gen_count);
        if (!a->values[i].poisoned)
            fp_type(&h, a->values[i].fp);
        break;
    case DEP_TYPE:
        fp_typedef(&h, a, &a->types[i]);
        break;
    case DEP_CTOR:
        hash_chain_str(&h, a->strings + a->ctors[i].name);
        fp_typedef(&h, a, &a->types[a->ctors[i].type]);
        break;
    default:
        break;
    }
    return hash_chain_end(&h);
}

uint64_t artifact_fingerprint(const struct Artifact *a, DepKind kind, const char *name)
{
    return artifact_fingerprint_at(a, kind, artifact_dep_index(a, kind, name));
}
