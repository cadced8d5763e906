/* session — the helpers every coordinator file uses: allocation in the
 * session arena and the coordinator's own reports.  Below every other file
 * of coordinator/: it calls none of them.
 *
 * Invariants
 *   - Everything here runs inside a public entry point's protected call
 *   (api.c, base/protect.h) guarding the session arena: allocation never
 *   returns NULL, so neither this file nor its callers check it; co_oom
 *   ends the call for failures that are not the arena's own.
 *   - A growing array is re-allocated at double size and the old block is
 *   abandoned in the arena: the coordinator's total memory stays
 *   O(modules + edges).  (The edges themselves are not one array: they
 *   grow by fixed blocks during the loop, graph.c.)
 */
#include "coordinator/actor.h"

#include "base/protect.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

_Noreturn void co_oom(CoordSession *s)
{
    protect_throw(&s->arena);
}

void *co_alloc(CoordSession *s, size_t size)
{
    return arena_alloc(&s->arena, size ? size : 1, _Alignof(max_align_t));
}

void *co_grow(CoordSession *s, void *items, uint32_t count, uint32_t *cap, size_t elem,
              uint32_t first_cap)
{
    if (count < *cap)
        return items;
    uint32_t n = *cap ? *cap * 2 : first_cap;
    void *more = co_alloc(s, (size_t)n * elem);
    if (count)
        memcpy(more, items, (size_t)count * elem);
    *cap = n;
    return more;
}

char *co_strdup(CoordSession *s, const char *str)
{
    size_t n = strlen(str);
    char *p = co_alloc(s, n + 1);
    memcpy(p, str, n + 1);
    return p;
}

char *co_printf(CoordSession *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(&s->arena, fmt, ap);
    va_end(ap);
    return p;
}

void co_add_report(CoordSession *s, Module *m, ReportCode code, uint32_t start,
                   uint32_t end, const char *fmt, ...)
{
    OwnReport *o = co_alloc(s, sizeof *o);
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(&s->arena, fmt, ap);
    va_end(ap);
    o->r.code = code;
    o->r.start = start;
    o->r.end = end;
    o->r.message = msg;
    o->r.note = NULL;
    o->r.import = o->r.import2 = REPORT_NO_IMPORT;
    o->next = m->own;
    m->own = o;
}

/* LANGUAGE.md section 8: the declared name, or, for a file without a valid
 * header (none, or one recovered after a syntax error), the path's name. */
const char *co_display_name(const Module *m)
{
    return m->iface && !m->iface->header_broken ? iface_str(m->iface, m->iface->module) : m->name;
}
