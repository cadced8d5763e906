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

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* c shows m's artifact.  Its value names and printed types, and the array
 * of them, are made when asked (coord_value_get): reading every value's
 * name here touched every artifact's strings, most of them in the cache's
 * mapped packs, and the arrays were fresh memory for every module. */
static void checked_fill(CheckedModule *c, const Module *m)
{
    c->module = m->id;
    c->name = artifact_module_name(m->artifact);   /* its identity (graph.c) */
    c->artifact = m->artifact;
    c->count = artifact_value_count(m->artifact);
    c->values = NULL;
}

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
    return e != NONE && edge_at(s, e)->in_cycle;
}

static bool from_cycle_import(const CoordSession *s, const Module *m, const Report *r)
{
    return import_in_cycle(s, m, r->import) || import_in_cycle(s, m, r->import2);
}

static void add_ref_to(CoordSession *s, ReportRef *refs, const ReportContext *ctx,
                       const Report *r)
{
    ReportRef *ref = &refs[s->ref_count++];
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

static void add_ref(CoordSession *s, const ReportContext *ctx, const Report *r)
{
    add_ref_to(s, s->refs, ctx, r);
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
        checked_fill(&s->checked[s->checked_count++], m);
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

/* ---- after a patch run (coordinator/live.c) ------------------------------- */

void results_free_owned(CoordSession *s)
{
    mem_free(s->refs_owned);
    mem_free(s->checked_owned);
    mem_free(s->checked_of);
    s->refs_owned = NULL;
    s->checked_owned = NULL;
    s->checked_of = NULL;
}

void results_index(CoordSession *s)
{
    mem_free(s->checked_of);
    s->checked_of = mem_alloc((s->mod_count + 1) * sizeof *s->checked_of);
    if (!s->checked_of)
        co_oom(s);
    for (uint32_t i = 0; i < s->mod_count; i++)
        s->checked_of[i] = NONE;
    for (uint32_t j = 0; j < s->checked_count; j++)
        s->checked_of[s->checked[j].module] = j;
}

/* m's reports as results_collect counts them. */
static uint32_t report_count(const Module *m)
{
    uint32_t count = 0;
    for (OwnReport *o = m->own; o; o = o->next)
        count++;
    for (int k = 0; k < COORD_PHASE_COUNT; k++)
        count += m->phase_reports[k].count;
    return count;
}

static bool recomputed(const CoordSession *s, const ReportContext *ctx)
{
    const Module *m = s->mods[ctx - s->ctxs];
    return m->in_patch && m->ran_phase;
}

void results_patch(CoordSession *s, Module *const *list, uint32_t n)
{
    bool reports = false, membership = false;
    for (uint32_t k = 0; k < n; k++) {
        Module *m = list[k];
        if (!m->ran_phase)
            continue;       /* its result stands, and so does what shows it */
        ReportContext *ctx = &s->ctxs[m->id];
        uint32_t count = report_count(m);
        reports |= count > 0;
        ctx->module = co_display_name(m);
        ctx->src = m->src;
        ctx->src_len = m->src_len;
        ctx->lines = NULL;
        if (m->src && count > 0) {
            LineTable *lt = arena_alloc(&m->keep, sizeof *lt, _Alignof(LineTable));
            if (!lt || !line_table_build(lt, m->src, m->src_len, &m->keep))
                co_oom(s);
            ctx->lines = lt;
        }
        uint32_t j = s->checked_of[m->id];
        if ((j != NONE) != (m->artifact != NULL))
            membership = true;
        else if (j != NONE)
            checked_fill(&s->checked[j], m);
    }
    for (uint32_t i = 0; !reports && i < s->ref_count; i++)
        reports = recomputed(s, s->refs[i].ctx);
    if (reports) {
        uint32_t total = 0;
        for (uint32_t i = 0; i < s->ref_count; i++)
            total += !recomputed(s, s->refs[i].ctx);
        for (uint32_t k = 0; k < n; k++)
            if (list[k]->ran_phase)
                total += report_count(list[k]);
        ReportRef *refs = mem_alloc((total + 1) * sizeof *refs);
        if (!refs)
            co_oom(s);
        uint32_t old = s->ref_count;
        s->ref_count = s->errors = s->warnings = 0;
        s->internal_failure = false;
        for (uint32_t i = 0; i < old; i++)
            if (!recomputed(s, s->refs[i].ctx))
                add_ref_to(s, refs, s->refs[i].ctx, s->refs[i].report);
        for (uint32_t k = 0; k < n; k++) {
            Module *m = list[k];
            if (!m->ran_phase)
                continue;
            const ReportContext *ctx = &s->ctxs[m->id];
            for (OwnReport *o = m->own; o; o = o->next)
                add_ref_to(s, refs, ctx, &o->r);
            for (int p = 0; p < COORD_PHASE_COUNT; p++)
                for (uint32_t j = 0; j < m->phase_reports[p].count; j++)
                    if (!from_cycle_import(s, m, &m->phase_reports[p].items[j]))
                        add_ref_to(s, refs, ctx, &m->phase_reports[p].items[j]);
        }
        report_refs_sort(refs, s->ref_count);
        mem_free(s->refs_owned);
        s->refs = s->refs_owned = refs;
    }
    if (membership) {       /* a module gained or lost its artifact: all again */
        CheckedModule *checked = mem_alloc((s->mod_count + 1) * sizeof *checked);
        if (!checked)
            co_oom(s);
        uint32_t count = 0;
        for (uint32_t i = 0; i < s->mod_count; i++) {
            Module *m = s->mods[i];
            if (!m->artifact)
                continue;
            if (m->in_patch && m->ran_phase) {
                checked_fill(&checked[count++], m);
            } else {
                checked[count++] = s->checked[s->checked_of[i]];
            }
        }
        qsort(checked, count, sizeof *checked, cmp_checked);
        mem_free(s->checked_owned);
        s->checked = s->checked_owned = checked;
        s->checked_count = count;
        for (uint32_t i = 0; i < s->mod_count; i++)
            s->checked_of[i] = NONE;
        for (uint32_t j = 0; j < count; j++)
            s->checked_of[checked[j].module] = j;
    }
    /* printed types asked for: printed again when asked */
    if (s->types_arena && arena_stats(s->types_arena).in_use > 0) {
        arena_reset(s->types_arena);    /* the value arrays were there too */
        for (uint32_t j = 0; j < s->checked_count; j++)
            s->checked[j].values = NULL;
    }
}
