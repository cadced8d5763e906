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

/* Store nodes visited in this export carry stamp == epoch and their
 * artifact copy in `copy` (the store's per-node scratch slots). */
static uint32_t export_rec(ArtBuilder *b, uint32_t t)
{
    TyStore *s = b->store;
    t = ty_find(s, t);
    uint32_t *stamp = &((uint32_t *)s->stamp.data)[t];
    if (*stamp == s->epoch)
        return ((uint32_t *)s->copy.data)[t];
    TyNode n = *ty_node(s, t);
    uint32_t r;
    switch ((TyKind)n.kind) {
    case TY_VAR:
    case TY_RIGID:
        r = art_node(b, TY_GEN, b->gen_count++, 0, 0);
        break;
    case TY_FN:
    case TY_TUPLE:
    case TY_CON: {
        uint32_t cnt = n.b + (n.kind == TY_FN);
        uint32_t small[8];
        uint32_t *kids = cnt <= 8 ? small : ARENA_ARRAY(b->scratch, uint32_t, cnt);
        for (uint32_t i = 0; i < cnt; i++)
            kids[i] = export_rec(b, *ty_extra(s, n.a + i));
        uint32_t at = b->extra.count;
        builder_push_n(&b->extra, kids, cnt);
        r = art_node(b, n.kind, at, n.b, n.kind == TY_CON ? art_named(b, n.c) : 0);
        break;
    }
    default:
        r = art_node(b, n.kind, 0, 0, 0);
        break;
    }
    /* The store may have grown while exporting the children. */
    ((uint32_t *)s->stamp.data)[t] = s->epoch;
    ((uint32_t *)s->copy.data)[t] = r;
    return r;
}

uint32_t art_export(ArtBuilder *b, uint32_t t) { return export_rec(b, t); }

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

/* Schemes are exported with their variables numbered GEN 0, 1, ... in
 * pre-order (see the top of this file), so equal schemes walk alike. */
static void fp_type(HashChain *h, const struct Artifact *a, uint32_t t)
{
    TyNode n = a->nodes[t];
    hash_chain_u32(h, n.kind);
    switch ((TyKind)n.kind) {
    case TY_GEN:
        hash_chain_u32(h, n.a);
        break;
    case TY_CON:
        hash_chain_str(h, a->strings + a->named[n.c].qname);
        /* fall through */
    case TY_FN:
    case TY_TUPLE: {
        uint32_t cnt = n.b + (n.kind == TY_FN);
        hash_chain_u32(h, n.b);
        for (uint32_t i = 0; i < cnt; i++)
            fp_type(h, a, a->extra[n.a + i]);
        break;
    }
    default:
        break;
    }
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
            fp_type(&h, a, c->scheme);
        }
    }
    hash_chain_u32(&h, a->exp_value_count);
    for (uint32_t i = 0; i < a->exp_value_count; i++) {
        const ArtValue *v = &a->values[a->exp_values[i]];
        hash_chain_str(&h, a->strings + v->name);
        hash_chain_u32(&h, v->poisoned);
        if (!v->poisoned)
            fp_type(&h, a, v->scheme);
    }
    return hash_chain_end(&h);
}

struct Artifact *art_seal(ArtBuilder *b, Arena *keep)
{
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

char *artifact_value_type_string(const Artifact *a, uint32_t i, Arena *arena)
{
    const ArtValue *v = &a->values[i];
    if (v->poisoned)
        return arena_strndup(arena, "<error>", 7);
    /* The printer's working arrays are abandoned in `arena` (tiny). */
    TyPrinter p;
    ty_printer_init(&p, artifact_graph(a), a->strings + a->module, arena);
    ty_print(&p, v->scheme);
    return ty_printer_take(&p, arena);
}

uint32_t art_import(TyStore *s, const struct Artifact *a, uint32_t node,
                    uint32_t *named_map, uint32_t *node_map)
{
    if (node_map[node] != TY_NONE)
        return node_map[node];
    TyNode n = a->nodes[node];
    uint32_t r;
    switch ((TyKind)n.kind) {
    case TY_GEN: r = ty_generic_var(s); break;
    case TY_ERROR: r = s->t_error; break;
    case TY_INT: r = s->t_int; break;
    case TY_BOOL: r = s->t_bool; break;
    case TY_STR: r = s->t_str; break;
    case TY_UNIT: r = s->t_unit; break;
    case TY_FN:
    case TY_TUPLE:
    case TY_CON: {
        uint32_t cnt = n.b + (n.kind == TY_FN);
        uint32_t small[8];
        uint32_t *kids = cnt <= 8 ? small : ARENA_ARRAY(s->arena, uint32_t, cnt);
        for (uint32_t i = 0; i < cnt; i++)
            kids[i] = art_import(s, a, a->extra[n.a + i], named_map, node_map);
        if (n.kind == TY_FN) {
            r = ty_fn(s, kids, n.b, kids[n.b]);
        } else if (n.kind == TY_TUPLE) {
            r = ty_tuple(s, kids, n.b);
        } else {
            if (named_map[n.c] == TY_NONE) {
                const ArtNamed *an = &a->named[n.c];
                const char *q = a->strings + an->qname;
                char *mod = arena_strndup(s->arena, q, an->modlen);
                named_map[n.c] = ty_named(s, mod, q + an->modlen + 1);
            }
            r = ty_con(s, named_map[n.c], kids, n.b);
        }
        break;
    }
    default:
        r = s->t_error;
        break;
    }
    node_map[node] = r;
    return r;
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
        fp_type(h, a, c->scheme);
    }
}

uint64_t artifact_fingerprint(const struct Artifact *a, DepKind kind, const char *name)
{
    HashChain h;
    hash_chain_init(&h, 0x6465707321ull);
    hash_chain_u32(&h, (uint32_t)kind);
    hash_chain_str(&h, a->strings + a->module);
    uint32_t i;
    switch (kind) {
    case DEP_VALUE:
        i = artifact_find_value(a, name);
        if (i == UINT32_MAX)
            break;
        hash_chain_u32(&h, 1u + a->values[i].poisoned);
        hash_chain_u32(&h, a->values[i].gen_count);
        if (!a->values[i].poisoned)
            fp_type(&h, a, a->values[i].scheme);
        break;
    case DEP_TYPE:
        i = artifact_find_type(a, name);
        if (i != UINT32_MAX)
            fp_typedef(&h, a, &a->types[i]);
        break;
    case DEP_CTOR:
        i = artifact_find_ctor(a, name);
        if (i == UINT32_MAX)
            break;
        hash_chain_str(&h, a->strings + a->ctors[i].name);
        fp_typedef(&h, a, &a->types[a->ctors[i].type]);
        break;
    default:
        break;
    }
    return hash_chain_end(&h);
}
