/* iface — building and searching a module's name interface (iface.h).
 *
 * Built once, at the end of the parse task, from the AST alone; sealed into
 * the module's keep arena and never written again.  Rules (iface.h, task
 * brief): only names the module defines are listed; the first definition of
 * a name wins; a name whose first definition is a DECL_BROKEN is listed
 * poisoned (a poisoned type has no constructors even when exposed as T(..)).
 * Values and types are sorted by name bytes; constructors are grouped by
 * their type, in the types' sorted order, each group in declaration order.
 */
#include "modules/iface.h"
#include "modules/ast.h"
#include "base/builder.h"
#include "base/hash.h"

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

/* ---- lookups --------------------------------------------------------------- */

static int name_cmp(const char *a, const char *b, uint32_t blen)
{
    size_t alen = strlen(a);
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Binary search over an array sorted by name whose elements (IfaceValue,
 * IfaceType) each begin with their IStr name. */
_Static_assert(offsetof(IfaceValue, name) == 0 && offsetof(IfaceType, name) == 0,
               "find_sorted reads the name at the start of each element");
static uint32_t find_sorted(const NameIface *f, const void *items, uint32_t count, size_t stride,
                            const char *name, uint32_t len)
{
    uint32_t lo = 0, hi = count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        IStr at;
        memcpy(&at, (const char *)items + (size_t)mid * stride, sizeof at);
        int c = name_cmp(f->strings + at, name, len);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return UINT32_MAX;
}

uint32_t iface_find_value(const NameIface *f, const char *name, uint32_t len)
{
    return find_sorted(f, f->values, f->value_count, sizeof *f->values, name, len);
}

uint32_t iface_find_type(const NameIface *f, const char *name, uint32_t len)
{
    return find_sorted(f, f->types, f->type_count, sizeof *f->types, name, len);
}

/* Constructors are grouped by type, not sorted by name; a module exposes few,
 * so a scan is as fast as anything cleverer. */
uint32_t iface_find_ctor(const NameIface *f, const char *name, uint32_t len)
{
    for (uint32_t i = 0; i < f->ctor_count; i++)
        if (name_cmp(f->strings + f->ctors[i].name, name, len) == 0) return i;
    return UINT32_MAX;
}

uint64_t iface_fingerprint(const NameIface *f)
{
    HashChain h;
    hash_chain_init(&h, 0x6966616365ull);
    hash_chain_str(&h, iface_str(f, f->module));
    hash_chain_u32(&h, f->header_broken);
    hash_chain_u32(&h, f->value_count);
    for (uint32_t i = 0; i < f->value_count; i++) {
        hash_chain_str(&h, iface_str(f, f->values[i].name));
        hash_chain_u32(&h, f->values[i].poisoned);
    }
    hash_chain_u32(&h, f->type_count);
    for (uint32_t i = 0; i < f->type_count; i++) {
        const IfaceType *t = &f->types[i];
        hash_chain_str(&h, iface_str(f, t->name));
        hash_chain_u32(&h, t->arity);
        hash_chain_u32(&h, t->ctor_first);
        hash_chain_u32(&h, t->ctor_count);
        hash_chain_u32(&h, t->ctors_exposed | (uint32_t)t->poisoned << 1);
    }
    hash_chain_u32(&h, f->ctor_count);
    for (uint32_t i = 0; i < f->ctor_count; i++) {
        hash_chain_str(&h, iface_str(f, f->ctors[i].name));
        hash_chain_u32(&h, f->ctors[i].arity);
        hash_chain_u32(&h, f->ctors[i].type);
    }
    return hash_chain_end(&h);
}

/* ---- building -------------------------------------------------------------- */

typedef struct IfaceBuild {
    const Ast *ast;
    Builder strings;        /* char */
    bool failed;
} IfaceBuild;

static IStr add_str(IfaceBuild *b, const char *s, uint32_t len)
{
    IStr at = b->strings.count;
    if (!builder_push_n(&b->strings, s, len) || !builder_push_n(&b->strings, "", 1)) {
        b->failed = true;
        return 0;
    }
    return at;
}

static IStr add_name(IfaceBuild *b, uint32_t id)
{
    return add_str(b, intern_str(&b->ast->names, id), intern_len(&b->ast->names, id));
}

/* "A.B.C" from a path list. */
static IStr add_path(IfaceBuild *b, uint32_t path)
{
    const Ast *ast = b->ast;
    IStr at = b->strings.count;
    uint32_t n = ast_list_len(ast, path);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = ast_list_at(ast, path, i);
        if ((i && !builder_push_n(&b->strings, ".", 1)) ||
            !builder_push_n(&b->strings, intern_str(&ast->names, id), intern_len(&ast->names, id))) {
            b->failed = true;
            return 0;
        }
    }
    if (!builder_push_n(&b->strings, "", 1)) b->failed = true;
    return at;
}

/* Sorting needs the names' bytes without a global: each entry carries a
 * pointer to them (into the AST's intern table). */
typedef struct SortEntry {
    const char *name;
    uint32_t index;
} SortEntry;

static int entry_cmp(const void *x, const void *y)
{
    const SortEntry *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c) return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

const NameIface *iface_build(const Ast *ast, Arena *keep, Arena *scratch)
{
    IfaceBuild b = { .ast = ast };
    BUILDER_INIT(&b.strings, scratch, char);
    NameIface *f = ARENA_NEW(keep, NameIface);
    if (!f) return NULL;

    /* Module name and its span. */
    f->module = ISTR_NONE;
    if (ast->module_path != AST_NONE) {
        f->module = add_path(&b, ast->module_path);
        uint32_t last = ast->module_tok + 2 * (ast_list_len(ast, ast->module_path) - 1);
        f->module_start = ast->tok_start[ast->module_tok];
        f->module_end = ast_token_end(ast, last);
    }

    f->header_broken = ast->header_broken;

    /* Imports, in source order. */
    uint32_t nimp = ast_list_len(ast, ast->imports);
    IfaceImport *imports = ARENA_ZARRAY(keep, IfaceImport, nimp ? nimp : 1);
    if (!imports) return NULL;
    for (uint32_t i = 0; i < nimp; i++) {
        uint32_t n = ast_list_at(ast, ast->imports, i);
        uint32_t path = ast->a[n], e = ast->b[n];
        IfaceImport *im = &imports[i];
        im->module = add_path(&b, path);
        im->alias = ast->extra[e] == AST_NONE ? ISTR_NONE : add_name(&b, ast->extra[e]);
        im->has_exposing = ast->extra[e + 2] != AST_NONE;
        im->broken = (uint8_t)ast->extra[e + 3];
        uint32_t first = ast->tok[n] + 1;
        im->name_start = ast->tok_start[first];
        im->name_end = ast_token_end(ast, first + 2 * (ast_list_len(ast, path) - 1));
        ast_node_span(ast, n, &im->import_start, &im->import_end);
    }

    /* First definition of every name: by identifier id (ids are dense). */
    uint32_t nid = ast->names.count;
    uint32_t *value_def = ARENA_ARRAY(scratch, uint32_t, nid ? nid : 1);
    uint32_t *type_def = ARENA_ARRAY(scratch, uint32_t, nid ? nid : 1);
    uint8_t *exposed = ARENA_ZARRAY(scratch, uint8_t, nid ? nid : 1);  /* 1 value, 2 type, 4 T(..) */
    if (!value_def || !type_def || !exposed) return NULL;
    memset(value_def, 0xff, sizeof(uint32_t) * nid);
    memset(type_def, 0xff, sizeof(uint32_t) * nid);
    uint32_t ndecl = ast_list_len(ast, ast->decls);
    for (uint32_t i = 0; i < ndecl; i++) {
        uint32_t d = ast_list_at(ast, ast->decls, i);
        uint32_t id = ast->a[d];
        if (id == AST_NONE) continue;
        bool is_type = ast->kind[d] == AST_DECL_TYPE ||
                       (ast->kind[d] == AST_DECL_BROKEN && ast->b[d] == 2);
        uint32_t *def = is_type ? type_def : value_def;
        if (def[id] == AST_NONE) def[id] = d;
    }

    /* Exposed names (each once). */
    Builder vals, typs;
    BUILDER_INIT(&vals, scratch, SortEntry);
    BUILDER_INIT(&typs, scratch, SortEntry);
    uint32_t nexp = ast_list_len(ast, ast->exposing);
    for (uint32_t i = 0; i < nexp; i++) {
        uint32_t x = ast_list_at(ast, ast->exposing, i);
        uint32_t id = ast->a[x];
        if (ast->kind[x] == AST_EXPOSE_VALUE) {
            if (value_def[id] == AST_NONE || (exposed[id] & 1)) continue;
            exposed[id] |= 1;
            SortEntry *s = builder_push(&vals);
            if (!s) return NULL;
            *s = (SortEntry){ intern_str(&ast->names, id), id };
        } else {
            if (type_def[id] == AST_NONE) continue;
            if (ast->kind[x] == AST_EXPOSE_TYPE_ALL) exposed[id] |= 4;
            if (exposed[id] & 2) continue;
            exposed[id] |= 2;
            SortEntry *s = builder_push(&typs);
            if (!s) return NULL;
            *s = (SortEntry){ intern_str(&ast->names, id), id };
        }
    }
    if (vals.count) qsort(vals.data, vals.count, sizeof(SortEntry), entry_cmp);
    if (typs.count) qsort(typs.data, typs.count, sizeof(SortEntry), entry_cmp);

    IfaceValue *values = ARENA_ZARRAY(keep, IfaceValue, vals.count ? vals.count : 1);
    if (!values) return NULL;
    for (uint32_t i = 0; i < vals.count; i++) {
        uint32_t id = BUILDER_AT(&vals, SortEntry, i).index;
        values[i].name = add_name(&b, id);
        values[i].poisoned = ast->kind[value_def[id]] == AST_DECL_BROKEN;
    }

    IfaceType *types = ARENA_ZARRAY(keep, IfaceType, typs.count ? typs.count : 1);
    Builder ctors;
    BUILDER_INIT(&ctors, scratch, IfaceCtor);
    if (!types) return NULL;
    for (uint32_t i = 0; i < typs.count; i++) {
        uint32_t id = BUILDER_AT(&typs, SortEntry, i).index;
        uint32_t d = type_def[id];
        IfaceType *t = &types[i];
        t->name = add_name(&b, id);
        t->ctor_first = ctors.count;
        if (ast->kind[d] == AST_DECL_BROKEN) {
            t->poisoned = 1;
            f->poisoned_types = 1;
            continue;
        }
        uint32_t e = ast->b[d];
        t->arity = ast_list_len(ast, ast->extra[e]);
        if (!(exposed[id] & 4)) continue;
        t->ctors_exposed = 1;
        uint32_t cl = ast->extra[e + 1];
        for (uint32_t k = 0; k < ast_list_len(ast, cl); k++) {
            uint32_t c = ast_list_at(ast, cl, k);
            IfaceCtor *ic = builder_push(&ctors);
            if (!ic) return NULL;
            ic->name = add_name(&b, ast->a[c]);
            ic->arity = ast_list_len(ast, ast->b[c]);
            ic->type = i;
        }
        t->ctor_count = ctors.count - t->ctor_first;
    }
    if (b.failed) return NULL;

    f->imports = imports;
    f->import_count = nimp;
    f->values = values;
    f->value_count = vals.count;
    f->types = types;
    f->type_count = typs.count;
    f->ctors = builder_seal(&ctors, keep);
    f->ctor_count = ctors.count;
    f->strings = builder_seal(&b.strings, keep);
    f->strings_len = b.strings.count;
    if (!f->ctors || !f->strings) return NULL;
    return f;
}
