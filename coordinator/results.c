/* results — the frozen outcome of a run: every report of every module in
 * one sorted store, and the checked modules with their value types.
 *
 * Invariants
 *   - Runs once, after every module is DONE, on the session's thread.
 *   - refs holds every report of every module sorted by (module name, line,
 *     column, code, message) with report_refs_sort, except the reports
 *     canonicalize tagged with an import the cycle pass put in a cycle
 *     (LANGUAGE.md section 2); `checked` holds every module with an
 *     artifact, sorted by module name.  Nothing depends on module ids,
 *     hence on timing.
 */
#include "coordinator/actor.h"

#include <stdlib.h>
#include <string.h>

static int cmp_checked(const void *a, const void *b)
{
    return strcmp(((const CheckedModule *)a)->name, ((const CheckedModule *)b)->name);
}

/* A report canonicalize made about an import that the cycle pass later put
 * inside an import cycle: in-cycle imports count as failed, and no further
 * report may arise from them (LANGUAGE.md section 2). */
static bool import_in_cycle(const CoordSession *s, const Module *m, uint32_t i)
{
    if (i == REPORT_NO_IMPORT || i >= m->import_count)
        return false;
    uint32_t e = m->import_edge[i];
    return e != NONE && s->edges[e].in_cycle;
}

static bool from_cycle_import(const CoordSession *s, const Module *m, const Report *r)
{
    return import_in_cycle(s, m, r->import) || import_in_cycle(s, m, r->import2);
}

static void add_ref(CoordSession *s, const ReportContext *ctx, const Report *r)
{
    ReportRef *ref = &s->refs[s->ref_count++];
    memset(ref, 0, sizeof *ref);
    ref->ctx = ctx;
    ref->report = r;
    if (report_code_severity(r->code) == SEV_ERROR)
        s->errors++;
    else
        s->warnings++;
    if (r->code == RC_E0901 || r->code == RC_E0902)
        s->internal_failure = true;
}

void results_collect(CoordSession *s)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        for (OwnReport *o = m->own; o; o = o->next)
            total++;
        for (int k = 0; k < COORD_PHASE_COUNT; k++)
            total += m->phase_reports[k].count;
    }
    s->ctxs = co_alloc(s, (s->mod_count + 1) * sizeof *s->ctxs);
    s->refs = co_alloc(s, (total + 1) * sizeof *s->refs);
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        ReportContext *ctx = &s->ctxs[i];
        memset(ctx, 0, sizeof *ctx);
        ctx->module = co_display_name(m);
        ctx->path = m->path;
        uint32_t count = 0;
        for (OwnReport *o = m->own; o; o = o->next)
            count++;
        for (int k = 0; k < COORD_PHASE_COUNT; k++)
            count += m->phase_reports[k].count;
        /* A module whose load did not read its source (the manifest said it
         * is unchanged) reads it now, only when a report of it is printed
         * with its lines.  (Edited since the run's stat: the snippet shows
         * the new text, as any tool reading a file that changes under it.) */
        if (!m->src && m->keyed && count > 0 &&
            worker_read_source(m->path, &m->keep, &m->src, &m->src_len) == -1)
            co_oom(s);              /* never reports without their lines */
        ctx->src = m->src;
        ctx->src_len = m->src_len;
        /* a line table only serves this module's reports: skip the pass
         * over the source (and its memory) when there are none */
        if (m->src && count > 0) {
            LineTable *lt = co_alloc(s, sizeof *lt);
            line_table_build(lt, m->src, m->src_len, &s->arena);
            ctx->lines = lt;
        }
        for (OwnReport *o = m->own; o; o = o->next)
            add_ref(s, ctx, &o->r);
        for (int k = 0; k < COORD_PHASE_COUNT; k++)
            for (uint32_t j = 0; j < m->phase_reports[k].count; j++)
                if (!from_cycle_import(s, m, &m->phase_reports[k].items[j]))
                    add_ref(s, ctx, &m->phase_reports[k].items[j]);
    }
    report_refs_sort(s->refs, s->ref_count);

    s->checked = co_alloc(s, (s->mod_count + 1) * sizeof *s->checked);
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        if (!m->artifact)
            continue;
        CheckedModule *c = &s->checked[s->checked_count++];
        c->name = artifact_module_name(m->artifact);   /* its identity (graph.c) */
        c->artifact = m->artifact;
        c->count = artifact_value_count(m->artifact);
        /* names and printed types are filled when asked (coord_value_get):
         * reading every value's name here touched every artifact's strings,
         * most of them in the cache's mapped packs */
        TypeLine *lines = co_alloc(s, (c->count + 1) * sizeof *lines);
        memset(lines, 0, (c->count + 1) * sizeof *lines);
        c->values = lines;
    }
    /* Discovery order is mostly name order already: one pass tells. */
    uint32_t sorted = 1;
    while (sorted < s->checked_count && cmp_checked(&s->checked[sorted - 1], &s->checked[sorted]) <= 0)
        sorted++;
    if (sorted < s->checked_count)
        qsort(s->checked, s->checked_count, sizeof *s->checked, cmp_checked);
    s->types_arena = co_alloc(s, sizeof *s->types_arena);
    arena_init(s->types_arena, ARENA_DEFAULT_CHUNK, 0);
}
