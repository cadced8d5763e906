/* graph — import resolution after a parse, the import edges, the waiting
 * counters and the ready queue.
 *
 * Invariants
 *   - Edges are created only when their importer is parsed, once per import
 *     line that names a module found somewhere (E0401 otherwise) and not
 *     named by an earlier import line of the same module (E0404 otherwise).
 *   - At creation an edge counts in waiting_parsed of its importer unless its
 *     target is already parsed (or done), and in waiting_checked unless its
 *     target is already done.  Each flag is completed exactly once; the
 *     importer becomes ready when its counter reaches zero in the matching
 *     state — there is no scan over waiting modules.
 *   - A module enters the ready queue once per waiting state.  The queue is
 *     three FIFOs by the task the module runs next, and typecheck goes
 *     before canonicalize before parse: a later phase is closer to
 *     releasing dependents (a long import chain starts checking while the
 *     rest is still being parsed instead of after it) and to freeing its
 *     AST and IR arenas.  Which task runs first never changes what is
 *     reported, only when.
 */
#include "coordinator/actor.h"

#include <assert.h>
#include <string.h>

void graph_ready_push(CoordSession *s, uint32_t id)
{
    ModState st = s->mods[id]->state;
    assert(st == MS_DISCOVERED || st == MS_PARSED || st == MS_CANONICALIZED);
    ReadyQueue *q = &s->ready[st == MS_CANONICALIZED ? 0 : st == MS_PARSED ? 1 : 2];
    if (q->count == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : 64;
        uint32_t *ring = co_alloc(s, cap * sizeof *ring);
        for (uint32_t i = 0; i < q->count; i++)
            ring[i] = q->ids[(q->head + i) % q->cap];
        q->ids = ring;
        q->cap = cap;
        q->head = 0;
    }
    q->ids[(q->head + q->count) % q->cap] = id;
    q->count++;
    s->ready_count++;
}

uint32_t graph_ready_pop(CoordSession *s)
{
    assert(s->ready_count > 0);
    ReadyQueue *q = s->ready;
    while (q->count == 0)
        q++;
    uint32_t id = q->ids[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    s->ready_count--;
    return id;
}

static Edge *new_edge(CoordSession *s, Module *from, Module *to, uint32_t import_index)
{
    s->edges = co_grow(s, s->edges, s->edge_count, &s->edge_cap, sizeof *s->edges, 256);
    uint32_t id = s->edge_count++;
    Edge *e = &s->edges[id];
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
    return e;
}

void graph_on_parsed(CoordSession *s, Module *m)
{
    const NameIface *f = m->iface;
    const char *declared = iface_str(f, f->module);
    m->state = MS_PARSED;
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
    if (strcmp(declared, m->name) != 0)
        co_add_report(s, m, RC_E0403, f->module_start, f->module_end,
                      "module name %s does not match the file path %s (expected %s)",
                      declared, m->path, m->name);

    for (uint32_t i = 0; i < f->import_count; i++) {
        const IfaceImport *imp = &f->imports[i];
        const char *name = iface_str(f, imp->module);
        if (imp->broken)
            continue;   /* poisoned by its syntax error: no edge, no E0401/E0404 */
        bool duplicate = false;
        for (uint32_t j = 0; j < i && !duplicate; j++)
            duplicate = !f->imports[j].broken && strcmp(iface_str(f, f->imports[j].module), name) == 0;
        if (duplicate) {
            co_add_report(s, m, RC_E0404, imp->name_start, imp->name_end,
                          "module %s is imported twice", name);
            continue;
        }
        uint32_t target = discover_lookup(s, name);
        if (target == NONE) {
            co_add_report(s, m, RC_E0401, imp->name_start, imp->name_end,
                          "module %s not found", name);
            continue;
        }
        new_edge(s, m, s->mods[target], i);
    }
    graph_release_parsed(s, m);
    if (m->waiting_parsed == 0)
        graph_ready_push(s, m->id);
}

void graph_release_parsed(CoordSession *s, Module *m)
{
    for (uint32_t id = m->first_in; id != NONE; id = s->edges[id].next_in) {
        Edge *e = &s->edges[id];
        if (e->parsed_done)
            continue;
        e->parsed_done = true;
        Module *from = s->mods[e->from];
        assert(from->state == MS_PARSED && from->waiting_parsed > 0);
        if (--from->waiting_parsed == 0)
            graph_ready_push(s, from->id);
    }
}

void graph_release_edge_checked(CoordSession *s, Edge *e)
{
    assert(!e->checked_done && "import edge completed twice");
    e->checked_done = true;
    Module *from = s->mods[e->from];
    assert(from->waiting_checked > 0);
    if (--from->waiting_checked == 0 && from->state == MS_CANONICALIZED)
        graph_ready_push(s, from->id);
}

void graph_release_checked(CoordSession *s, Module *m)
{
    for (uint32_t id = m->first_in; id != NONE; id = s->edges[id].next_in)
        if (!s->edges[id].checked_done)
            graph_release_edge_checked(s, &s->edges[id]);
}
