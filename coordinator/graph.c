/* graph — import resolution after a parse and the import edges.
 *
 * Invariants
 *   - Edges are created only when their importer is parsed, once per import
 *     line that names a module found somewhere (E0401 otherwise) and not
 *     named by an earlier import line of the same module (E0404 otherwise).
 *   - At creation an edge counts in waiting_parsed of its importer unless its
 *     target is already parsed (or done), and in waiting_checked unless its
 *     target is already done.  Completing the flags (and with them the
 *     counters) is the actor's: actor.c.
 *   - No module state changes here; a module that resolution discovers is
 *     created DISCOVERED and admitted to the ready queue by the actor.
 */
#include "coordinator/actor.h"
#include "base/hash.h"

#include <assert.h>
#include <string.h>

static void new_edge(CoordSession *s, Module *from, Module *to, uint32_t import_index)
{
    uint32_t id = s->edge_count;
    if ((id & (EDGE_BLOCK - 1)) == 0) {
        uint32_t block = id >> EDGE_BLOCK_SHIFT;
        s->edge_blocks = co_grow(s, s->edge_blocks, block, &s->edge_block_cap,
                                 sizeof *s->edge_blocks, 16);
        s->edge_blocks[block] = co_alloc(s, EDGE_BLOCK * sizeof(Edge));
    }
    s->edge_count++;
    Edge *e = edge_at(s, id);
    memset(e, 0, sizeof *e);
    e->from = from->id;
    e->to = to->id;
    e->import_index = import_index;
    e->next_in = to->first_in;
    to->first_in = id;
    from->import_edge[import_index] = id;
    /* a target is parsed from state PARSED on, or done after a failed parse
     * (then it has no interface and its names are poisoned) */
    if (to->state >= MS_PARSED)
        e->parsed_done = true;
    else
        from->waiting_parsed++;
    if (to->state == MS_DONE)
        e->checked_done = true;
    else
        from->waiting_checked++;
}

/* E0403 causes nothing further: the module keeps one identity, the name its
 * path implies, which importers use to find it (and E0402 to name it).  Its
 * own canonicalize sees this copy of its interface with that name, so its
 * types, its artifact and its --emit-types lines are named like its
 * importers name them; only its own reports keep the declared name as their
 * `module` key (LANGUAGE.md section 8, co_display_name). */
static const NameIface *renamed_iface(CoordSession *s, const NameIface *f, const char *name)
{
    size_t len = strlen(name) + 1;
    NameIface *copy = co_alloc(s, sizeof *copy);
    char *strings = co_alloc(s, f->strings_len + len);
    *copy = *f;
    memcpy(strings, f->strings, f->strings_len);
    memcpy(strings + f->strings_len, name, len);
    copy->strings = strings;
    copy->module = f->strings_len;
    copy->strings_len = f->strings_len + (uint32_t)len;
    return copy;
}

/* Whether an earlier unbroken import of f names the same module as import
 * i (whose name hashes to `hash`); `seen` is an open-addressing table (cap a
 * power of two, entries import index + 1) of the imports checked so far:
 * 30 000 imports take linear time. */
static bool imported_before(const NameIface *f, uint32_t i, uint32_t hash, uint32_t *seen,
                            uint32_t cap)
{
    const char *name = iface_str(f, f->imports[i].module);
    uint32_t h = hash & (cap - 1);
    while (seen[h]) {
        if (strcmp(iface_str(f, f->imports[seen[h] - 1].module), name) == 0)
            return true;
        h = (h + 1) & (cap - 1);
    }
    seen[h] = i + 1;
    return false;
}

void graph_resolve_imports(CoordSession *s, Module *m)
{
    const NameIface *f = m->iface;
    const char *declared = iface_str(f, f->module);
    assert(m->state == MS_PARSED || m->state == MS_LOADED);
    m->import_count = f->import_count;
    m->import_edge = co_alloc(s, (f->import_count ? f->import_count : 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < f->import_count; i++)
        m->import_edge[i] = NONE;

    if (m->dup_of != NONE) {
        co_add_report(s, m, RC_E0405, f->module_start, f->module_end,
                      "module %s is defined twice (also in %s)", m->name,
                      s->mods[m->dup_of]->path);
        return;     /* the caller finishes it as failed; nobody imports it */
    }
    if (strcmp(declared, m->name) != 0) {
        co_add_report(s, m, RC_E0403, f->module_start, f->module_end,
                      "module name %s does not match the file path %s (expected %s)",
                      declared, m->path, m->name);
        m->self_iface = renamed_iface(s, f, m->name);
    }

    uint32_t cap = 16;
    while (cap < 2 * f->import_count)
        cap *= 2;
    if (cap > s->import_seen_cap) {     /* tables reused by every parse */
        s->import_seen = co_alloc(s, cap * sizeof *s->import_seen);
        s->import_hash = co_alloc(s, cap * sizeof *s->import_hash);
        s->import_target = co_alloc(s, cap * sizeof *s->import_target);
        s->import_seen_cap = cap;
    }
    uint32_t *seen = s->import_seen, *hash = s->import_hash, *target = s->import_target;
    memset(seen, 0, cap * sizeof *seen);
    /* every name's hash first, and its slot in the module table on its way
     * into the cache while the others are hashed */
    for (uint32_t i = 0; i < f->import_count; i++) {
        hash[i] = discover_name_hash(iface_str(f, f->imports[i].module));
        discover_prefetch(s, hash[i]);
    }
    /* the imported modules, each on its way into the cache while the others
     * are looked up (new_edge then writes the first line of each) */
    for (uint32_t i = 0; i < f->import_count; i++) {
        const IfaceImport *imp = &f->imports[i];
        const char *name = iface_str(f, imp->module);
        target[i] = NONE;
        if (imp->broken)
            continue;   /* poisoned by its syntax error: no edge, no E0401/E0404 */
        if (imported_before(f, i, hash[i], seen, cap)) {
            co_add_report(s, m, RC_E0404, imp->name_start, imp->name_end,
                          "module %s is imported twice", name);
            continue;
        }
        target[i] = discover_lookup_hashed(s, name, hash[i]);
        if (target[i] == NONE) {
            co_add_report(s, m, RC_E0401, imp->name_start, imp->name_end,
                          "module %s not found", name);
            continue;
        }
        __builtin_prefetch(s->mods[target[i]], 1);
    }
    for (uint32_t i = 0; i < f->import_count; i++)
        if (target[i] != NONE)
            new_edge(s, m, s->mods[target[i]], i);
}
