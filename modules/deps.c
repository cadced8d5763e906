/* deps — recording typecheck's lookups and sealing them with fingerprints
 * (deps.h).  Pure: runs inside the typecheck task, on its arenas. */
#include "modules/deps.h"

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

void dep_recorder_init(DepRecorder *r, Arena *scratch)
{
    BUILDER_INIT(&r->items, scratch, NameDep);
    BUILDER_INIT(&r->strings, scratch, char);
}

void dep_note(DepRecorder *r, uint32_t import, DepKind kind, const char *name)
{
    NameDep d = { 0, import, (uint32_t)kind, r->strings.count, 0 };
    builder_push_n(&r->strings, name, (uint32_t)strlen(name) + 1);
    BUILDER_PUSH(&r->items, NameDep, d);
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

DepList dep_seal(DepRecorder *r, const struct Artifact *const *arts, uint32_t art_count,
                 Arena *keep, Arena *scratch)
{
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
        d.fp = d.import < art_count && arts[d.import]
                   ? artifact_fingerprint(arts[d.import], (DepKind)d.kind, name) : 0;
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
