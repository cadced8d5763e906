/* trace — a Chrome trace-event record of every task (coord check --trace).
 *
 * Invariants
 *   - Spans are recorded on the session's thread only, from the results the
 *     workers send back (start and duration measured on the worker) and from
 *     the coordinator's own clock around runner_wait (its busy spans).  At
 *     -jN the tasks run on N - 1 worker threads (tid 1 .. N-1) and on the
 *     coordinator's (tid 0, between its busy spans: workers/runner.c).
 *   - Recording never fails a build: the blocks come from mem_alloc, not the
 *     session arena (whose out-of-memory target ends the run), and a span
 *     that finds no memory is dropped and counted in the document's metadata.
 *   - Times are nanoseconds since the build began (Obs.t0); the document
 *     gives microseconds with three decimals, as the format expects.
 *   - The output is one JSON object {"traceEvents":[...]}: every string is
 *     escaped by report_json_chars, so any module name (they come from file
 *     names, which need not be UTF-8) is safe.
 */
#include "coordinator/actor.h"

#include "base/mem.h"

#include <inttypes.h>

static void record(CoordSession *s, uint64_t start, uint64_t end, uint32_t module,
                   uint32_t worker, TaskKind task)
{
    Obs *o = &s->obs;
    TraceBlock *b = o->trace_tail;
    if (!b || b->count == sizeof b->spans / sizeof b->spans[0]) {
        TraceBlock *nb = mem_alloc(sizeof *nb);
        if (!nb) {
            o->trace_lost++;
            return;
        }
        nb->next = NULL;
        nb->count = 0;
        if (b)
            b->next = nb;
        else
            o->trace_head = nb;
        o->trace_tail = b = nb;
    }
    TraceSpan *sp = &b->spans[b->count++];
    sp->start = start > o->t0 ? start - o->t0 : 0;
    sp->dur = end > start ? end - start : 0;
    sp->module = module;
    sp->worker = (uint16_t)(worker > UINT16_MAX ? UINT16_MAX : worker);
    sp->task = (uint8_t)task;
}

void trace_task(CoordSession *s, const Result *r)
{
    record(s, r->start_nanos, r->start_nanos + r->nanos, r->module, r->worker, r->task);
}

void trace_busy(CoordSession *s, uint64_t from, uint64_t to)
{
    if (to > from)
        record(s, from, to, NONE, 0, TASK_STOP);
}

void trace_free(CoordSession *s)
{
    TraceBlock *b = s->obs.trace_head;
    while (b) {
        TraceBlock *next = b->next;
        mem_free(b);
        b = next;
    }
    s->obs.trace_head = s->obs.trace_tail = NULL;
}

static void put_time(FILE *out, const char *key, uint64_t ns)
{
    fprintf(out, "\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / 1000u, ns % 1000u);
}

/* Events are separated, not terminated, by commas: strict JSON. */
static void begin_event(FILE *out, bool *first)
{
    fputs(*first ? "\n{" : ",\n{", out);
    *first = false;
}

static void thread_name(FILE *out, bool *first, uint32_t tid, const char *name)
{
    begin_event(out, first);
    fprintf(out, "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"name\":\"", tid);
    report_json_chars(out, name);
    fputs("\"}}", out);
}

int coord_write_trace(const CoordSession *s, FILE *out)
{
    const Obs *o = &s->obs;
    uint32_t jobs = o->jobs ? o->jobs : 1;
    bool first = true;
    fputs("{\"traceEvents\":[", out);
    begin_event(out, &first);
    fputs("\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"coord\"}}", out);
    thread_name(out, &first, 0, jobs == 1 ? "coordinator (runs the tasks)"
                                          : "coordinator (and a share of the tasks)");
    for (uint32_t w = 1; jobs > 1 && w < jobs; w++) {
        char name[32];
        snprintf(name, sizeof name, "worker %u", w);
        thread_name(out, &first, w, name);
    }
    for (const TraceBlock *b = o->trace_head; b; b = b->next) {
        for (uint32_t i = 0; i < b->count; i++) {
            const TraceSpan *sp = &b->spans[i];
            begin_event(out, &first);
            if (sp->module == NONE) {
                fputs("\"name\":\"coordinator\",\"cat\":\"coordinator\"", out);
            } else {
                const char *phase = task_kind_name((TaskKind)sp->task);
                fprintf(out, "\"name\":\"%s ", phase);
                report_json_chars(out, co_display_name(s->mods[sp->module]));
                fprintf(out, "\",\"cat\":\"%s\"", phase);
            }
            fputs(",\"ph\":\"X\",", out);
            put_time(out, "ts", sp->start);
            fputc(',', out);
            put_time(out, "dur", sp->dur);
            fprintf(out, ",\"pid\":1,\"tid\":%u}", sp->worker);
        }
    }
    fprintf(out, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"spans_dropped\":%" PRIu64 "}}\n",
            o->trace_lost);
    fflush(out);
    return ferror(out) ? -1 : 0;
}
