/* deps — recording canonicalize's and typecheck's lookups and sealing them
 * with fingerprints (deps.h).  Pure: runs inside the canonicalize and
 * typecheck tasks, on their arenas, and in the coordinator's validation
 * (the fingerprints alone). */
#include "modules/deps.h"
#include "base/hash.h"
#include "modules/iface.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *dep_kind_name(DepKind k)
{
    static const char *const names[] = {
#define DEP_NAME_(name, desc) desc,
        DEP_KINDS(DEP_NAME_)
#undef DEP_NAME_
    };
    return names[k];
}

void dep_recorder_init(DepRecorder *r, Arena *scratch, bool on)
{
    BUILDER_INIT(&r->items, scratch, NameDep);
    BUILDER_INIT(&r->strings, scratch, char);
    r->on = on;
}

void dep_note(DepRecorder *r, uint32_t import, DepKind kind, const char *name)
{
    if (!r->on)
        return;
    NameDep d = { 0, import, (uint32_t)kind, r->strings.count, 0 };
    builder_push_n(&r->strings, name, (uint32_t)strlen(name) + 1);
    BUILDER_PUSH(&r->items, NameDep, d);
}

void dep_note_sealed(DepRecorder *r, const DepList *l)
{
    for (uint32_t i = 0; r->on && i < l->count; i++) {
        NameDep d = l->items[i];
        const char *name = l->strings + d.name;
        d.name = r->strings.count;
        builder_push_n(&r->strings, name, (uint32_t)strlen(name) + 1);
        BUILDER_PUSH(&r->items, NameDep, d);
    }
}

static int by_key(const void *x, const void *y, void *ctx)
{
    const char *strings = ctx;
    const NameDep *a = x, *b = y;
    if (a->import != b->import)
        return a->import < b->import ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return strcmp(strings + a->name, strings + b->name);
}

typedef uint64_t (*FingerprintFn)(const void *src, DepKind kind, const char *name);

static uint64_t fp_artifact(const void *src, DepKind kind, const char *name)
{
    return artifact_fingerprint(src, kind, name);
}

static uint64_t fp_iface(const void *src, DepKind kind, const char *name)
{
    return iface_dep_fingerprint(src, kind, name);
}

/* Items of the kinds `fp` covers (iface_kinds or not) get their
 * fingerprint from srcs[import]; the others keep theirs. */
static DepList seal(DepRecorder *r, const void *const *srcs, uint32_t count, bool iface_kinds,
                    FingerprintFn fp, Arena *keep, Arena *scratch)
{
    if (!r->on)
        return (DepList){ NULL, 0, NULL, 0 };
    NameDep *items = (NameDep *)r->items.data;
    const char *from = r->strings.data;
    uint32_t n = r->items.count;
    if (n > 1)
        qsort_r(items, n, sizeof *items, by_key, (void *)from);
    Builder out, strings;
    BUILDER_INIT(&out, scratch, NameDep);
    BUILDER_INIT(&strings, scratch, char);
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && by_key(&items[i - 1], &items[i], (void *)from) == 0)
            continue;
        NameDep d = items[i];
        const char *name = from + d.name;
        if ((dep_kind_reads_iface(d.kind) != 0) == iface_kinds)
            d.fp = d.import < count && srcs[d.import] ? fp(srcs[d.import], (DepKind)d.kind, name) : 0;
        d.name = strings.count;
        builder_push_n(&strings, name, (uint32_t)strlen(name) + 1);
        BUILDER_PUSH(&out, NameDep, d);
    }
    DepList l;
    l.items = builder_seal(&out, keep);
    l.count = out.count;
    l.strings = builder_seal(&strings, keep);
    l.strings_len = strings.count;
    return l;
}

DepList dep_seal(DepRecorder *r, const struct Artifact *const *arts, uint32_t art_count,
                 Arena *keep, Arena *scratch)
{
    return seal(r, (const void *const *)arts, art_count, false, fp_artifact, keep, scratch);
}

DepList dep_seal_ifaces(DepRecorder *r, const struct NameIface *const *ifaces, uint32_t count,
                        Arena *keep, Arena *scratch)
{
    return seal(r, (const void *const *)ifaces, count, true, fp_iface, keep, scratch);
}

uint64_t iface_deps_digest(uint64_t iface_fp)
{
    uint64_t d = hash_bytes_seed(&iface_fp, sizeof iface_fp, 0x69666469676573ull);
    return d ? d : 1;
}

/* What canonicalize reads of an interface's name (deps.h).  An absent name
 * hashes to a fixed value per kind (IF_CTOR: and the interface's
 * poisoned_types flag, which silences an unknown qualified constructor). */
uint64_t iface_dep_fingerprint(const struct NameIface *f, DepKind kind, const char *name)
{
    HashChain h;
    hash_chain_init(&h, 0x6966646570ull);
    hash_chain_u32(&h, (uint32_t)kind);
    uint32_t len = (uint32_t)strlen(name), i;
    switch (kind) {
    case DEP_IF_VALUE:
        i = iface_find_value(f, name, len);
        if (i != UINT32_MAX)
            hash_chain_u32(&h, 1u + f->values[i].poisoned);
        break;
    case DEP_IF_TYPE:
    case DEP_IF_TYPE_ALL: {
        i = iface_find_type(f, name, len);
        if (i == UINT32_MAX)
            break;
        const IfaceType *t = &f->types[i];
        hash_chain_u32(&h, 1u + t->poisoned);
        hash_chain_u32(&h, t->arity);
        if (kind == DEP_IF_TYPE || t->poisoned)
            break;
        hash_chain_u32(&h, t->ctors_exposed);
        if (!t->ctors_exposed)
            break;
        hash_chain_u32(&h, t->ctor_count);
        for (uint32_t k = 0; k < t->ctor_count; k++)
            hash_chain_str(&h, iface_str(f, f->ctors[t->ctor_first + k].name));
        break;
    }
    case DEP_IF_CTOR:
        i = iface_find_ctor(f, name, len);
        if (i == UINT32_MAX)
            hash_chain_u32(&h, f->poisoned_types ? 3u : 0u);
        else
            hash_chain_u32(&h, 1u + f->types[f->ctors[i].type].poisoned);
        break;
    default:
        break;
    }
    return hash_chain_end(&h);
}
