/* api — the public embedding API (include/coord.h) and the report store.
 *
 * Invariants
 *   - Every public entry point that may allocate in the session arena sets
 *     the arena's out-of-memory target to its own jmp_buf for the duration of
 *     the call and clears it before returning; coordinator code below it does
 *     not check allocations.
 *   - After coord_run the results are frozen: refs holds every report of
 *     every module sorted by (module name, line, column, code, message)
 *     with report_refs_sort, and `checked` every module with an artifact,
 *     sorted by module name; nothing depends on module ids, hence on timing.
 *   - coord_session_destroy frees every arena the session ever created; the
 *     runner is gone by then (coord_run joins its threads before returning).
 */
#include "coordinator/actor.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- session arena helpers --------------------------------------------- */

_Noreturn void co_oom(CoordSession *s)
{
    longjmp(*s->arena.oom, 1);
}

void *co_alloc(CoordSession *s, size_t size)
{
    void *p = arena_alloc(&s->arena, size ? size : 1, _Alignof(max_align_t));
    if (!p)
        co_oom(s);  /* only reachable with a target set; see the invariants */
    return p;
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
    if (!p)
        co_oom(s);
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
    if (!msg)
        co_oom(s);
    o->r.code = code;
    o->r.start = start;
    o->r.end = end;
    o->r.message = msg;
    o->r.note = NULL;
    o->r.import = REPORT_NO_IMPORT;
    o->next = m->own;
    m->own = o;
}

const char *co_display_name(const Module *m)
{
    return m->iface ? iface_str(m->iface, m->iface->module) : m->name;
}

/* ---- session ------------------------------------------------------------ */

CoordSession *coord_session_create(const CoordOptions *opts)
{
    CoordSession *s = mem_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (opts)
        s->opts = *opts;
    arena_init(&s->arena, ARENA_DEFAULT_CHUNK, 0);
    s->obs.last_module = NONE;
    return s;
}

void coord_session_destroy(CoordSession *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        arena_free(&m->keep);
        arena_free(&m->ast_arena);
        arena_free(&m->ir_arena);
    }
    if (s->types_arena)
        arena_free(s->types_arena);
    arena_free(&s->arena);
    trace_free(s);
    mem_free(s);
}

const char *coord_error(const CoordSession *s) { return s->error; }
int coord_exit_status(const CoordSession *s) { return s->status; }

#define GUARDED(s, oom_value, body)                                   \
    do {                                                              \
        jmp_buf jb_;                                                  \
        if (setjmp(jb_)) {                                            \
            arena_set_oom(&(s)->arena, NULL);                         \
            snprintf((s)->error, sizeof (s)->error, "out of memory"); \
            return (oom_value);                                       \
        }                                                             \
        arena_set_oom(&(s)->arena, &jb_);                             \
        body;                                                         \
        arena_set_oom(&(s)->arena, NULL);                             \
    } while (0)

int coord_add_root(CoordSession *s, const char *path)
{
    int rc = 0;
    s->error[0] = '\0';
    if (s->ran) {
        snprintf(s->error, sizeof s->error, "coord_add_root after coord_run");
        return COORD_EXIT_USAGE;
    }
    uint64_t t;
    stats_entry_begin(s, &t);
    GUARDED(s, COORD_EXIT_INTERNAL, rc = discover_root(s, path));
    stats_entry_end(s, t);
    s->obs.setup_ns += s->obs.t_end - t;
    return rc;
}

int coord_add_search_dir(CoordSession *s, const char *dir)
{
    int rc = 0;
    s->error[0] = '\0';
    uint64_t t;
    stats_entry_begin(s, &t);
    GUARDED(s, COORD_EXIT_INTERNAL, rc = discover_search_dir(s, dir));
    stats_entry_end(s, t);
    s->obs.setup_ns += s->obs.t_end - t;
    return rc;
}

/* ---- results ------------------------------------------------------------ */

static int cmp_checked(const void *a, const void *b)
{
    return strcmp(((const CheckedModule *)a)->name, ((const CheckedModule *)b)->name);
}

/* A report canonicalize made about an import that the cycle pass later put
 * inside an import cycle: in-cycle imports count as failed, and no further
 * report may arise from them (LANGUAGE.md section 2). */
static bool from_cycle_import(const CoordSession *s, const Module *m, const Report *r)
{
    if (r->import == REPORT_NO_IMPORT || r->import >= m->import_count)
        return false;
    uint32_t e = m->import_edge[r->import];
    return e != NONE && s->edges[e].in_cycle;
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

static void collect(CoordSession *s)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        for (OwnReport *o = m->own; o; o = o->next)
            total++;
        for (int k = 0; k < 3; k++)
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
        ctx->src = m->src;
        ctx->src_len = m->src_len;
        uint32_t own = 0;
        for (OwnReport *o = m->own; o; o = o->next)
            own++;
        /* a line table only serves this module's reports: skip the pass
         * over the source (and its memory) when there are none */
        if (m->src && own + m->phase_reports[0].count + m->phase_reports[1].count +
                          m->phase_reports[2].count > 0) {
            LineTable *lt = co_alloc(s, sizeof *lt);
            if (!line_table_build(lt, m->src, m->src_len, &s->arena))
                co_oom(s);
            ctx->lines = lt;
        }
        for (OwnReport *o = m->own; o; o = o->next)
            add_ref(s, ctx, &o->r);
        for (int k = 0; k < 3; k++)
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
        c->name = co_display_name(m);
        c->artifact = m->artifact;
        c->count = artifact_value_count(m->artifact);
        TypeLine *lines = co_alloc(s, (c->count + 1) * sizeof *lines);
        for (uint32_t v = 0; v < c->count; v++) {
            lines[v].name = artifact_value_name(m->artifact, v);
            lines[v].type = NULL;
        }
        c->values = lines;
    }
    qsort(s->checked, s->checked_count, sizeof *s->checked, cmp_checked);
    s->types_arena = co_alloc(s, sizeof *s->types_arena);
    arena_init(s->types_arena, ARENA_DEFAULT_CHUNK, 0);
}

static uint32_t online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

static int run_build(CoordSession *s, Runner *given)
{
    Runner *volatile own = NULL;     /* read again after a longjmp */
    if (!given) {
        uint32_t jobs = s->opts.jobs ? s->opts.jobs : online_cpus();
        own = jobs == 1 ? runner_inline_create() : runner_threads_create(jobs);
        if (!own) {
            snprintf(s->error, sizeof s->error, "cannot start the worker pool (out of memory)");
            return s->status = COORD_EXIT_INTERNAL;
        }
    }
    s->runner = given ? given : own;
    s->obs.jobs = runner_workers(s->runner);
    jmp_buf jb;
    if (setjmp(jb)) {
        /* the coordinator itself ran out of memory: collect what is in
         * flight, then give up on this build */
        arena_set_oom(&s->arena, NULL);
        actor_drain(s);
        runner_destroy(own);
        s->runner = NULL;
        s->ref_count = 0;
        s->checked_count = 0;
        s->errors = 0;
        s->warnings = 0;
        s->internal_failure = true;
        snprintf(s->error, sizeof s->error, "out of memory");
        return s->status = COORD_EXIT_INTERNAL;
    }
    arena_set_oom(&s->arena, &jb);
    actor_run(s);
    uint64_t collect_begin = worker_now_nanos();
    collect(s);
    s->obs.finish_ns = worker_now_nanos() - collect_begin;
    arena_set_oom(&s->arena, NULL);
    runner_destroy(own);
    s->runner = NULL;
    s->status = s->internal_failure ? COORD_EXIT_INTERNAL
              : s->errors ? COORD_EXIT_ERRORS : COORD_EXIT_OK;
    return s->status;
}

/* The build proper, between the clock readings of the stats. */
static int run_with(CoordSession *s, Runner *given)
{
    if (s->ran)
        return s->status;
    s->ran = true;
    uint64_t t;
    stats_entry_begin(s, &t);
    s->obs.busy_since = t;
    int status = run_build(s, given);
    if (s->opts.progress)
        progress_erase(s);
    stats_entry_end(s, t);
    if (s->opts.trace)
        trace_busy(s, s->obs.busy_since, s->obs.t_end);
    return status;
}

int coord_run(CoordSession *s) { return run_with(s, NULL); }
int coord_run_with_runner(CoordSession *s, Runner *r) { return run_with(s, r); }

ModState coord_module_state(const CoordSession *s, const char *name, bool *failed)
{
    for (uint32_t i = 0; i < s->mod_count; i++) {
        if (strcmp(s->mods[i]->name, name) == 0) {
            if (failed)
                *failed = s->mods[i]->failed;
            return s->mods[i]->state;
        }
    }
    if (failed)
        *failed = true;
    return MS_DISCOVERED;
}

uint32_t coord_report_count(const CoordSession *s) { return s->ref_count; }
uint32_t coord_error_count(const CoordSession *s) { return s->errors; }
uint32_t coord_warning_count(const CoordSession *s) { return s->warnings; }

static void locate(const ReportContext *ctx, uint32_t offset, uint32_t *line, uint32_t *col)
{
    if (!ctx->lines) {
        *line = 1;
        *col = 1;
        return;
    }
    line_table_locate(ctx->lines, offset, line, col);
}

bool coord_report_get(const CoordSession *s, uint32_t i, CoordReport *out)
{
    if (i >= s->ref_count)
        return false;
    const ReportRef *ref = &s->refs[i];
    const Report *r = ref->report;
    out->severity = report_code_severity(r->code) == SEV_ERROR ? COORD_ERROR : COORD_WARNING;
    out->code = report_code_name(r->code);
    out->module = ref->ctx->module;
    out->file = ref->ctx->path;
    locate(ref->ctx, r->start, &out->line, &out->col);
    locate(ref->ctx, r->end, &out->end_line, &out->end_col);
    out->message = r->message;
    return true;
}

void coord_print_reports(const CoordSession *s, FILE *out, CoordFormat format, bool colour)
{
    for (uint32_t i = 0; i < s->ref_count; i++) {
        const ReportRef *ref = &s->refs[i];
        if (format == COORD_FORMAT_JSON)
            report_render_json(out, ref->ctx, ref->report);
        else
            report_render_text(out, ref->ctx, ref->report, colour);
    }
}

uint32_t coord_module_count(const CoordSession *s) { return s->checked_count; }

const char *coord_module_name(const CoordSession *s, uint32_t m)
{
    return m < s->checked_count ? s->checked[m].name : NULL;
}

uint32_t coord_value_count(const CoordSession *s, uint32_t m)
{
    return m < s->checked_count ? s->checked[m].count : 0;
}

bool coord_value_get(const CoordSession *s, uint32_t m, uint32_t v,
                     const char **name, const char **type)
{
    if (m >= s->checked_count || v >= s->checked[m].count)
        return false;
    TypeLine *line = &s->checked[m].values[v];
    if (!line->type)
        line->type = artifact_value_type_string(s->checked[m].artifact, v, s->types_arena);
    if (!line->type)
        return false;
    *name = line->name;
    *type = line->type;
    return true;
}

void coord_print_types(const CoordSession *s, FILE *out)
{
    Arena scratch;
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 0);
    for (uint32_t m = 0; m < s->checked_count; m++)
        for (uint32_t v = 0; v < s->checked[m].count; v++) {
            fprintf(out, "%s.%s : ", s->checked[m].name, s->checked[m].values[v].name);
            artifact_value_type_write(s->checked[m].artifact, v, out, &scratch);
            fputc('\n', out);
        }
    arena_free(&scratch);
}
