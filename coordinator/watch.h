/* watch — `coord check --watch` (coordinator/watch.c), part of the driver. */
#ifndef COORD_COORDINATOR_WATCH_H
#define COORD_COORDINATOR_WATCH_H

#include "coord.h"

#include <stdbool.h>

typedef struct WatchSetup {
    const CoordOptions *opts;   /* as for a single check (no_rescan and
                                 * progress are the watcher's) */
    const char *const *paths;
    int npaths;
    const char *const *incs;    /* -I */
    int nincs;
    CoordFormat format;
    bool colour, emit_types, stats;
    bool clear;                 /* the diagnostics go to a terminal */
} WatchSetup;

/* Checks, then checks again on every change until SIGINT or SIGTERM:
 * returns 128 + that signal, or the exit status of a session that could
 * not be set up. */
int watch_run(const WatchSetup *ws);

#endif
