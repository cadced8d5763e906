/* result — laying a ModuleResult out as sections and viewing it back
 * (result.h).
 *
 * Invariants
 *   - Section i holds an array of the element type listed in elem_size[];
 *     its length is an exact multiple of it.  The head records what is not
 *     an array length (lines, fingerprints, string offsets, report counts
 *     per phase).
 *   - result_view trusts nothing: every string offset must fall inside a
 *     blob that ends in NUL, every index inside its array, every type node's
 *     children before the node itself (as export writes them: no cycle, so
 *     walks over a viewed artifact end), report spans inside the source.
 */
#include "modules/result.h"
#include "base/builder.h"
#include "base/hash.h"
#include "modules/types.h"

#include <string.h>

typedef struct ResultHead {
    uint32_t layout;
    uint32_t lines;
    uint64_t iface_fp;
    uint64_t art_iface_hash;
    uint32_t if_module, if_module_start, if_module_end;
    uint32_t art_module;
    uint32_t report_count[3];
    uint32_t if_header_broken;
    uint64_t art_digest;        /* artifact_deps_digest of the artifact (never 0) */
} ResultHead;

/* The head holds the scalar fields of these structs by name: a new field
 * there must be added to the head, the view and result_digest (and
 * iface_dep_fingerprint when importers read it), and RESULT_LAYOUT bumped.
 * A field derived from others (NameIface.poisoned_types) is computed by the
 * view instead of stored. */
_Static_assert(sizeof(void *) != 8 || (sizeof(NameIface) == 96 && sizeof(struct Artifact) == 176 && sizeof(Report) == 40),
               "a result's struct changed: update modules/result.c");

typedef struct ResultReport {
    uint32_t code, start, end, import, import2;
    uint32_t message, note;     /* offsets into REPORT_STRINGS; note UINT32_MAX = none */
} ResultReport;

static const uint32_t elem_size[RS__COUNT] = {
    [RS_HEAD] = sizeof(ResultHead),
    [RS_IF_IMPORTS] = sizeof(IfaceImport),
    [RS_IF_VALUES] = sizeof(IfaceValue),
    [RS_IF_TYPES] = sizeof(IfaceType),
    [RS_IF_CTORS] = sizeof(IfaceCtor),
    [RS_IF_STRINGS] = 1,
    [RS_ART_STRINGS] = 1,
    [RS_ART_NODES] = sizeof(TyNode),
    [RS_ART_EXTRA] = sizeof(uint32_t),
    [RS_ART_NAMED] = sizeof(ArtNamed),
    [RS_ART_TYPES] = sizeof(ArtType),
    [RS_ART_CTORS] = sizeof(ArtCtor),
    [RS_ART_VALUES] = sizeof(ArtValue),
    [RS_ART_EXP_VALUES] = sizeof(uint32_t),
    [RS_ART_EXP_TYPES] = sizeof(uint32_t),
    [RS_ART_EXP_CTORS] = sizeof(uint32_t),
    [RS_REPORTS] = sizeof(ResultReport),
    [RS_REPORT_STRINGS] = 1,
    [RS_IMPORT_DEPS] = sizeof(ImportDep),
    [RS_NAME_DEPS] = sizeof(NameDep),
    [RS_DEP_STRINGS] = 1,
};

static void put(ResultSection *s, const void *data, uint64_t count, uint32_t size)
{
    s->data = data;
    s->len = count * size;
}

static uint32_t add_string(Builder *b, const char *s, bool *ok)
{
    uint32_t at = b->count;
    *ok &= builder_push_n(b, s, (uint32_t)strlen(s) + 1);
    return at;
}

bool result_sections(const ModuleResult *r, Arena *scratch, ResultSection out[RS__COUNT])
{
    const NameIface *f = r->iface;
    const struct Artifact *a = r->artifact;
    ResultHead *h = ARENA_NEW(scratch, ResultHead);
    if (!h)
        return false;
    h->layout = RESULT_LAYOUT;
    h->lines = r->lines;
    h->iface_fp = r->iface_fp;
    h->art_iface_hash = a->iface_hash;
    h->art_digest = r->art_digest ? r->art_digest : artifact_deps_digest(a);
    h->if_module = f->module;
    h->if_module_start = f->module_start;
    h->if_module_end = f->module_end;
    h->if_header_broken = f->header_broken;
    h->art_module = a->module;

    Builder reps, strs;
    bool ok = true;
    BUILDER_INIT(&reps, scratch, ResultReport);
    BUILDER_INIT(&strs, scratch, char);
    for (int p = 0; p < 3; p++) {
        h->report_count[p] = r->reports[p].count;
        for (uint32_t i = 0; i < r->reports[p].count; i++) {
            const Report *rp = &r->reports[p].items[i];
            ResultReport *o = builder_push(&reps);
            if (!o)
                return false;
            o->code = (uint32_t)rp->code;
            o->start = rp->start;
            o->end = rp->end;
            o->import = rp->import;
            o->import2 = rp->import2;
            o->message = add_string(&strs, rp->message ? rp->message : "", &ok);
            o->note = rp->note ? add_string(&strs, rp->note, &ok) : UINT32_MAX;
        }
    }
    if (!ok)
        return false;
    if (reps.count != h->report_count[0] + h->report_count[1] + h->report_count[2])
        return false;

    put(&out[RS_HEAD], h, 1, sizeof *h);
    put(&out[RS_IF_IMPORTS], f->imports, f->import_count, sizeof *f->imports);
    put(&out[RS_IF_VALUES], f->values, f->value_count, sizeof *f->values);
    put(&out[RS_IF_TYPES], f->types, f->type_count, sizeof *f->types);
    put(&out[RS_IF_CTORS], f->ctors, f->ctor_count, sizeof *f->ctors);
    put(&out[RS_IF_STRINGS], f->strings, f->strings_len, 1);
    put(&out[RS_ART_STRINGS], a->strings, a->strings_len, 1);
    put(&out[RS_ART_NODES], a->nodes, a->node_count, sizeof *a->nodes);
    put(&out[RS_ART_EXTRA], a->extra, a->extra_count, sizeof *a->extra);
    put(&out[RS_ART_NAMED], a->named, a->named_count, sizeof *a->named);
    put(&out[RS_ART_TYPES], a->types, a->type_count, sizeof *a->types);
    put(&out[RS_ART_CTORS], a->ctors, a->ctor_count, sizeof *a->ctors);
    put(&out[RS_ART_VALUES], a->values, a->value_count, sizeof *a->values);
    put(&out[RS_ART_EXP_VALUES], a->exp_values, a->exp_value_count, sizeof(uint32_t));
    put(&out[RS_ART_EXP_TYPES], a->exp_types, a->exp_type_count, sizeof(uint32_t));
    put(&out[RS_ART_EXP_CTORS], a->exp_ctors, a->exp_ctor_count, sizeof(uint32_t));
    put(&out[RS_REPORTS], reps.data, reps.count, sizeof(ResultReport));
    put(&out[RS_REPORT_STRINGS], strs.data, strs.count, 1);
    put(&out[RS_IMPORT_DEPS], r->imports, f->import_count, sizeof(ImportDep));
    put(&out[RS_NAME_DEPS], r->deps.items, r->deps.count, sizeof(NameDep));
    put(&out[RS_DEP_STRINGS], r->deps.strings, r->deps.strings_len, 1);
    return true;
}

/* ---- viewing ---------------------------------------------------------------- */

typedef struct View {
    const ResultSection *s;
} View;

static uint32_t count_of(const ResultSection *s, ResultSectionId id)
{
    return (uint32_t)(s[id].len / elem_size[id]);
}

static bool blob_ok(const ResultSection *s, ResultSectionId id)
{
    return s[id].len == 0 || ((const char *)s[id].data)[s[id].len - 1] == '\0';
}

static bool str_ok(const ResultSection *s, ResultSectionId id, uint32_t off)
{
    return off < s[id].len;
}

static bool iface_ok(const ResultSection *s, NameIface *f)
{
    if (!str_ok(s, RS_IF_STRINGS, f->module))
        return false;
    for (uint32_t i = 0; i < f->import_count; i++) {
        const IfaceImport *m = &f->imports[i];
        if (!str_ok(s, RS_IF_STRINGS, m->module) ||
            (m->alias != ISTR_NONE && !str_ok(s, RS_IF_STRINGS, m->alias)))
            return false;
    }
    for (uint32_t i = 0; i < f->value_count; i++)
        if (!str_ok(s, RS_IF_STRINGS, f->values[i].name))
            return false;
    for (uint32_t i = 0; i < f->type_count; i++) {
        const IfaceType *t = &f->types[i];
        if (!str_ok(s, RS_IF_STRINGS, t->name))
            return false;
        f->poisoned_types |= t->poisoned != 0;   /* derived, not stored */
        if (t->ctors_exposed && (t->ctor_first > f->ctor_count ||
                                 t->ctor_count > f->ctor_count - t->ctor_first))
            return false;
    }
    for (uint32_t i = 0; i < f->ctor_count; i++)
        if (!str_ok(s, RS_IF_STRINGS, f->ctors[i].name) || f->ctors[i].type >= f->type_count)
            return false;
    return true;
}

static bool indices_ok(const uint32_t *idx, uint32_t n, uint32_t bound)
{
    for (uint32_t i = 0; i < n; i++)
        if (idx[i] >= bound)
            return false;
    return true;
}

static bool artifact_ok(const ResultSection *s, const struct Artifact *a)
{
    if (!str_ok(s, RS_ART_STRINGS, a->module))
        return false;
    for (uint32_t t = 0; t < a->node_count; t++) {
        TyNode n = a->nodes[t];
        if (n.kind >= TY__COUNT || n.kind == TY_VAR || n.kind == TY_RIGID)
            return false;
        if (n.kind != TY_FN && n.kind != TY_TUPLE && n.kind != TY_CON)
            continue;
        uint64_t cnt = (uint64_t)n.b + (n.kind == TY_FN);
        if ((uint64_t)n.a + cnt > a->extra_count)
            return false;
        if (n.kind == TY_CON && n.c >= a->named_count)
            return false;
        for (uint32_t i = 0; i < cnt; i++)
            if (a->extra[n.a + i] >= t)
                return false;   /* children come first: no cycles */
    }
    for (uint32_t i = 0; i < a->named_count; i++) {
        const ArtNamed *n = &a->named[i];
        if (!str_ok(s, RS_ART_STRINGS, n->qname) ||
            n->modlen >= strlen(a->strings + n->qname))
            return false;
    }
    for (uint32_t i = 0; i < a->type_count; i++) {
        const ArtType *t = &a->types[i];
        if (!str_ok(s, RS_ART_STRINGS, t->name) || t->named >= a->named_count ||
            t->ctor_first > a->ctor_count || t->ctor_count > a->ctor_count - t->ctor_first)
            return false;
    }
    for (uint32_t i = 0; i < a->ctor_count; i++) {
        const ArtCtor *c = &a->ctors[i];
        if (!str_ok(s, RS_ART_STRINGS, c->name) || c->type >= a->type_count ||
            c->scheme >= a->node_count)
            return false;
    }
    for (uint32_t i = 0; i < a->value_count; i++) {
        const ArtValue *v = &a->values[i];
        if (!str_ok(s, RS_ART_STRINGS, v->name) || (!v->poisoned && v->scheme >= a->node_count))
            return false;
    }
    return indices_ok(a->exp_values, a->exp_value_count, a->value_count) &&
           indices_ok(a->exp_types, a->exp_type_count, a->type_count) &&
           indices_ok(a->exp_ctors, a->exp_ctor_count, a->ctor_count);
}

#define AT(s, id, T) ((const T *)(s)[id].data)

/* What result_view puts in its arena, alignment included (16 bytes of
 * slack per allocation); 0 when the sections cannot be a result. */
size_t result_view_bytes(const ResultSection *s, uint32_t n)
{
    if (n != RS__COUNT || s[RS_HEAD].len != sizeof(ResultHead) || !s[RS_HEAD].data ||
        ((uintptr_t)s[RS_HEAD].data & 7u) != 0)
        return 0;
    const ResultHead *h = AT(s, RS_HEAD, ResultHead);
    size_t bytes = sizeof(NameIface) + 16 + sizeof(struct Artifact) + 16;
    for (int p = 0; p < 3; p++) {
        uint32_t cnt = h->report_count[p];
        if (cnt > UINT32_MAX / sizeof(Report))
            return 0;
        bytes += cnt ? (size_t)cnt * sizeof(Report) + 16 : 0;
    }
    return bytes;
}

bool result_view(const ResultSection *s, uint32_t n, uint32_t src_len,
                 Arena *arena, ModuleResult *out)
{
    memset(out, 0, sizeof *out);
    if (n != RS__COUNT)
        return false;
    for (uint32_t i = 0; i < RS__COUNT; i++) {
        if (s[i].len % elem_size[i] != 0 || s[i].len >= UINT32_MAX || (s[i].len && !s[i].data))
            return false;
        if (((uintptr_t)s[i].data & 7u) != 0)
            return false;
    }
    if (s[RS_HEAD].len != sizeof(ResultHead))
        return false;
    const ResultHead *h = AT(s, RS_HEAD, ResultHead);
    if (h->layout != RESULT_LAYOUT || !blob_ok(s, RS_IF_STRINGS) || !blob_ok(s, RS_ART_STRINGS) ||
        !blob_ok(s, RS_REPORT_STRINGS) || !blob_ok(s, RS_DEP_STRINGS))
        return false;

    NameIface *f = ARENA_NEW(arena, NameIface);
    struct Artifact *a = ARENA_NEW(arena, struct Artifact);
    if (!f || !a)
        return false;
    f->module = h->if_module;
    f->module_start = h->if_module_start;
    f->module_end = h->if_module_end;
    f->header_broken = h->if_header_broken != 0;
    f->imports = AT(s, RS_IF_IMPORTS, IfaceImport);
    f->import_count = count_of(s, RS_IF_IMPORTS);
    f->values = AT(s, RS_IF_VALUES, IfaceValue);
    f->value_count = count_of(s, RS_IF_VALUES);
    f->types = AT(s, RS_IF_TYPES, IfaceType);
    f->type_count = count_of(s, RS_IF_TYPES);
    f->ctors = AT(s, RS_IF_CTORS, IfaceCtor);
    f->ctor_count = count_of(s, RS_IF_CTORS);
    f->strings = AT(s, RS_IF_STRINGS, char);
    f->strings_len = count_of(s, RS_IF_STRINGS);
    if (!iface_ok(s, f) || f->module_start > f->module_end || f->module_end > src_len)
        return false;

    a->module = h->art_module;
    a->strings = AT(s, RS_ART_STRINGS, char);
    a->strings_len = count_of(s, RS_ART_STRINGS);
    a->nodes = AT(s, RS_ART_NODES, TyNode);
    a->node_count = count_of(s, RS_ART_NODES);
    a->extra = AT(s, RS_ART_EXTRA, uint32_t);
    a->extra_count = count_of(s, RS_ART_EXTRA);
    a->named = AT(s, RS_ART_NAMED, ArtNamed);
    a->named_count = count_of(s, RS_ART_NAMED);
    a->types = AT(s, RS_ART_TYPES, ArtType);
    a->type_count = count_of(s, RS_ART_TYPES);
    a->ctors = AT(s, RS_ART_CTORS, ArtCtor);
    a->ctor_count = count_of(s, RS_ART_CTORS);
    a->values = AT(s, RS_ART_VALUES, ArtValue);
    a->value_count = count_of(s, RS_ART_VALUES);
    a->exp_values = AT(s, RS_ART_EXP_VALUES, uint32_t);
    a->exp_value_count = count_of(s, RS_ART_EXP_VALUES);
    a->exp_types = AT(s, RS_ART_EXP_TYPES, uint32_t);
    a->exp_type_count = count_of(s, RS_ART_EXP_TYPES);
    a->exp_ctors = AT(s, RS_ART_EXP_CTORS, uint32_t);
    a->exp_ctor_count = count_of(s, RS_ART_EXP_CTORS);
    a->iface_hash = h->art_iface_hash;
    if (!artifact_ok(s, a))
        return false;

    /* reports: the only structs rebuilt (a Report points at its message) */
    const ResultReport *rr = AT(s, RS_REPORTS, ResultReport);
    uint32_t nrep = count_of(s, RS_REPORTS);
    uint64_t want = (uint64_t)h->report_count[0] + h->report_count[1] + h->report_count[2];
    if (want != nrep)
        return false;
    const char *rs = AT(s, RS_REPORT_STRINGS, char);
    uint32_t at = 0;
    for (int p = 0; p < 3; p++) {
        uint32_t cnt = h->report_count[p];
        Report *items = NULL;   /* most results have no reports: no memory */
        if (cnt && !(items = ARENA_ARRAY(arena, Report, cnt)))
            return false;
        for (uint32_t i = 0; i < cnt; i++, at++) {
            const ResultReport *o = &rr[at];
            if (o->code >= RC__COUNT || o->start > o->end || o->end > src_len ||
                !str_ok(s, RS_REPORT_STRINGS, o->message) ||
                (o->note != UINT32_MAX && !str_ok(s, RS_REPORT_STRINGS, o->note)))
                return false;
            items[i].code = (ReportCode)o->code;
            items[i].start = o->start;
            items[i].end = o->end;
            items[i].import = o->import;
            items[i].import2 = o->import2;
            items[i].message = rs + o->message;
            items[i].note = o->note == UINT32_MAX ? NULL : rs + o->note;
        }
        out->reports[p].items = items;
        out->reports[p].count = cnt;
    }

    if (count_of(s, RS_IMPORT_DEPS) != f->import_count)
        return false;
    const NameDep *nd = AT(s, RS_NAME_DEPS, NameDep);
    uint32_t ndc = count_of(s, RS_NAME_DEPS);
    for (uint32_t i = 0; i < ndc; i++)
        if (nd[i].import >= f->import_count || nd[i].kind >= DEP__COUNT ||
            !str_ok(s, RS_DEP_STRINGS, nd[i].name))
            return false;

    if (h->art_digest == 0)     /* (a digest is never 0) */
        return false;
    out->iface = f;
    out->artifact = a;
    out->art_digest = h->art_digest;
    out->lines = h->lines;
    out->iface_fp = h->iface_fp;
    out->imports = AT(s, RS_IMPORT_DEPS, ImportDep);
    out->deps.items = nd;
    out->deps.count = ndc;
    out->deps.strings = AT(s, RS_DEP_STRINGS, char);
    out->deps.strings_len = count_of(s, RS_DEP_STRINGS);
    return true;
}

/* ---- hashes ------------------------------------------------------------------- */

uint64_t result_variant(const ModuleResult *r)
{
    HashChain h;
    hash_chain_init(&h, 0x76617269616e74ull);
    uint32_t n = r->iface->import_count;
    hash_chain_u32(&h, n);
    for (uint32_t i = 0; i < n; i++)
        hash_chain_u32(&h, r->imports[i].flags);
    hash_chain_u32(&h, r->deps.count);
    for (uint32_t i = 0; i < r->deps.count; i++) {
        const NameDep *d = &r->deps.items[i];
        hash_chain_add(&h, &d->fp, sizeof d->fp);
        hash_chain_u32(&h, d->import);
        hash_chain_u32(&h, d->kind);
        hash_chain_str(&h, r->deps.strings + d->name);
    }
    return hash_chain_end(&h);
}

static void digest_u32s(HashChain *h, const uint32_t *p, uint32_t n)
{
    hash_chain_u32(h, n);
    hash_chain_add(h, p, (size_t)n * sizeof *p);
}

uint64_t result_digest(const ModuleResult *r)
{
    HashChain h;
    hash_chain_init(&h, 0x646967657374ull);
    const NameIface *f = r->iface;
    hash_chain_u32(&h, r->lines);
    hash_chain_add(&h, &r->iface_fp, sizeof r->iface_fp);
    hash_chain_str(&h, iface_str(f, f->module));
    hash_chain_u32(&h, f->module_start);
    hash_chain_u32(&h, f->module_end);
    hash_chain_u32(&h, f->header_broken);
    hash_chain_u32(&h, f->import_count);
    for (uint32_t i = 0; i < f->import_count; i++) {
        const IfaceImport *m = &f->imports[i];
        hash_chain_str(&h, iface_str(f, m->module));
        hash_chain_str(&h, m->alias == ISTR_NONE ? "\x01" : iface_str(f, m->alias));
        uint32_t v[6] = { m->name_start, m->name_end, m->import_start, m->import_end,
                          m->has_exposing, m->broken };
        hash_chain_add(&h, v, sizeof v);
    }
    const struct Artifact *a = r->artifact;
    hash_chain_u32(&h, a->strings_len);
    hash_chain_add(&h, a->strings, a->strings_len);
    hash_chain_u32(&h, a->module);
    digest_u32s(&h, (const uint32_t *)a->nodes, a->node_count * 4);
    digest_u32s(&h, a->extra, a->extra_count);
    digest_u32s(&h, (const uint32_t *)a->named, a->named_count * 2);
    digest_u32s(&h, (const uint32_t *)a->ctors, a->ctor_count * 4);
    hash_chain_u32(&h, a->type_count);
    for (uint32_t i = 0; i < a->type_count; i++) {
        const ArtType *t = &a->types[i];
        uint32_t v[8] = { t->name, t->named, t->arity, t->ctor_first, t->ctor_count,
                          t->exposed, t->ctors_exposed, t->poisoned };
        hash_chain_add(&h, v, sizeof v);
    }
    hash_chain_u32(&h, a->value_count);
    for (uint32_t i = 0; i < a->value_count; i++) {
        const ArtValue *v = &a->values[i];
        uint32_t w[5] = { v->name, v->poisoned ? 0 : v->scheme, v->gen_count, v->exposed, v->poisoned };
        hash_chain_add(&h, w, sizeof w);
    }
    digest_u32s(&h, a->exp_values, a->exp_value_count);
    digest_u32s(&h, a->exp_types, a->exp_type_count);
    digest_u32s(&h, a->exp_ctors, a->exp_ctor_count);
    hash_chain_add(&h, &a->iface_hash, sizeof a->iface_hash);
    uint64_t art_digest = r->art_digest ? r->art_digest : artifact_deps_digest(a);
    hash_chain_add(&h, &art_digest, sizeof art_digest);
    for (int p = 0; p < 3; p++) {
        hash_chain_u32(&h, r->reports[p].count);
        for (uint32_t i = 0; i < r->reports[p].count; i++) {
            const Report *rp = &r->reports[p].items[i];
            uint32_t v[5] = { (uint32_t)rp->code, rp->start, rp->end, rp->import, rp->import2 };
            hash_chain_add(&h, v, sizeof v);
            hash_chain_str(&h, rp->message);
            hash_chain_str(&h, rp->note ? rp->note : "\x01");
        }
    }
    return hash_chain_end(&h);
}
