/* progress — the `[done/total] checking Foo.Bar` line on a terminal.
 *
 * Invariants
 *   - Only with CoordOptions.progress set; the driver sets it only when
 *     standard error is a terminal, so redirected output never sees it.
 *   - Drawn from the session's thread after a result was handled: first
 *     once the build is progress_after_ms old (a quick build shows nothing),
 *     then at most every PROGRESS_INTERVAL_NS.  Each draw is "\r" + the line
 *     + erase-to-end-of-line, cut to the terminal's width so it never wraps
 *     (a wrapped line could not be rewritten in place).
 *   - progress_erase runs before coord_run returns, so the diagnostics the
 *     caller prints next start on a clean line.
 *   - The count is of tasks: done = results handled; total = three per
 *     module known so far (it grows while imports are discovered outside
 *     the roots) minus the tasks of failed modules that will never run.
 *     The module named is the one of the task dispatched last.
 */
#include "coordinator/actor.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PROGRESS_DEFAULT_AFTER_MS 300u
#define PROGRESS_INTERVAL_NS 50000000u      /* at most 20 draws a second */

static unsigned terminal_width(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        return ws.ws_col;
    return 80;
}

void progress_update(CoordSession *s)
{
    Obs *o = &s->obs;
    FILE *f = s->opts.progress;
    uint64_t now = worker_now_nanos();
    if (o->progress_next == 0) {
        uint32_t after = s->opts.progress_after_ms ? s->opts.progress_after_ms
                                                   : PROGRESS_DEFAULT_AFTER_MS;
        o->progress_next = o->t0 + (uint64_t)after * 1000000u;
    }
    if (now < o->progress_next || o->last_module == NONE)
        return;
    o->progress_next = now + PROGRESS_INTERVAL_NS;
    static const char *const verbs[] = { "parsing", "canonicalizing", "checking" };
    const char *verb = o->last_task <= TASK_CHECK ? verbs[o->last_task] : "running";
    char line[512];
    uint64_t done = 0;
    for (int k = 0; k < COORD_PHASE_COUNT; k++)
        done += o->phase_tasks[k];
    uint64_t total = 3u * (uint64_t)s->mod_count - o->skipped;
    int n = snprintf(line, sizeof line, "[%llu/%llu] %s %s", (unsigned long long)done,
                     (unsigned long long)total, verb, co_display_name(s->mods[o->last_module]));
    if (n < 0)
        return;
    unsigned width = terminal_width(f) - 1;
    if (width < sizeof line && (unsigned)n > width)
        line[width] = '\0';
    fprintf(f, "\r%s\033[K", line);
    fflush(f);
    o->progress_shown = true;
}

void progress_erase(CoordSession *s)
{
    if (!s->obs.progress_shown)
        return;
    fputs("\r\033[K", s->opts.progress);
    fflush(s->opts.progress);
    s->obs.progress_shown = false;
}
