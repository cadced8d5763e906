/* watch — `coord check --watch PATH...`: check, then wait for changes on
 * inotify and check again, printing the full current diagnostics each time
 * and a summary line on standard error:
 *
 *   coord: 3 errors, 1 warning (rechecked 2 of 7417 modules in 4.1 ms); watching for changes
 *
 * Part of the driver (linked into `coord`, not libcoord): it uses only the
 * public API of include/coord.h, one live session (coordinator/live.c) for
 * the whole watch.
 *
 * Invariants
 *   - Every directory below a PATH directory and every -I directory is
 *     watched (IN_CREATE, IN_DELETE, IN_MOVED_*, IN_CLOSE_WRITE, IN_MODIFY,
 *     IN_ATTRIB); a lone file PATH's directory too.  A directory created or
 *     moved in is watched at once (with everything below it); one deleted or
 *     moved away stops being watched.  An editor's save by rename over the
 *     original is IN_MOVED_TO: a change like any other.
 *   - A burst of events is one run: after an event the watcher keeps
 *     reading until QUIET_MS pass without one (at most BURST_MS in all), then
 *     tells the session every path that changed (coord_notify) and runs it.
 *     The session runs with CoordOptions.no_rescan: only notified files are
 *     read again.
 *   - inotify out of watches (ENOSPC) or instances (EMFILE): one warning,
 *     then the watcher re-scans on a timer (every POLL_MS) with a session
 *     that compares stat data (no_rescan off), printing only when a run
 *     changed something (a module checked again, the module count or the
 *     exit status).
 *   - SIGINT and SIGTERM are blocked (the worker threads inherit the mask)
 *     and read from a signalfd: a run in progress finishes, then everything
 *     is released and the watch ends with 128 + the signal (130 for
 *     Ctrl-C).  The previous mask is restored before returning.
 *   - On a terminal (the diagnostics' stream) the screen is cleared before
 *     each run's output, like tsc --watch.
 */
#include "coordinator/watch.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#define QUIET_MS 30
#define BURST_MS 500
#define POLL_MS 1000

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | \
                    IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR)

typedef struct Watcher {
    int fd;                     /* inotify, or -1 (timed re-scan) */
    char **dir_of;              /* wd -> directory path (malloc'd), NULL when free */
    int cap;
    long max_watches;           /* tests: fail like ENOSPC beyond this many (0: no bound) */
    int count;
    bool exhausted;             /* ENOSPC seen: switch to the timer */
    char reason[160];
    /* the paths of one burst */
    char **changed;
    int changed_count, changed_cap;
} Watcher;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static bool is_kite(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".kite") == 0;
}

/* Watches dir; with recurse, every directory below it too.  false: out of
 * watches (w->exhausted) or of memory. */
static bool watch_dir(Watcher *w, const char *dir, bool recurse)
{
    if (w->fd < 0)
        return false;
    int wd;
    if (w->max_watches && w->count >= w->max_watches) {
        wd = -1;
        errno = ENOSPC;
    } else {
        wd = inotify_add_watch(w->fd, dir, WATCH_MASK);
    }
    if (wd < 0) {
        if (errno == ENOSPC) {
            w->exhausted = true;
            snprintf(w->reason, sizeof w->reason, "inotify: %s; raise fs.inotify.max_user_watches",
                     strerror(ENOSPC));
            return false;
        }
        return true;    /* gone meanwhile, or not a directory: nothing to watch */
    }
    if (wd >= w->cap) {
        int cap = w->cap ? w->cap : 64;
        while (cap <= wd)
            cap *= 2;
        char **more = realloc(w->dir_of, (size_t)cap * sizeof *more);
        if (!more)
            return false;
        memset(more + w->cap, 0, (size_t)(cap - w->cap) * sizeof *more);
        w->dir_of = more;
        w->cap = cap;
    }
    if (!w->dir_of[wd]) {
        w->dir_of[wd] = strdup(dir);
        if (!w->dir_of[wd])
            return false;
        w->count++;
    }
    if (!recurse)
        return true;
    DIR *d = opendir(dir);
    if (!d)
        return true;
    struct dirent *de;
    bool ok = true;
    while (ok && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
            continue;
        char *sub = join(dir, de->d_name);
        struct stat st;
        if (!sub) {
            ok = false;
            break;
        }
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            ok = watch_dir(w, sub, true);
        free(sub);
    }
    closedir(d);
    return ok;
}

/* Stops watching `dir` and everything below it (moved away). */
static void unwatch_below(Watcher *w, const char *dir)
{
    size_t n = strlen(dir);
    for (int wd = 0; wd < w->cap; wd++) {
        const char *p = w->dir_of[wd];
        if (p && strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/')) {
            inotify_rm_watch(w->fd, wd);
            free(w->dir_of[wd]);
            w->dir_of[wd] = NULL;
            w->count--;
        }
    }
}

static void note_changed(Watcher *w, char *path)
{
    if (w->changed_count == w->changed_cap) {
        int cap = w->changed_cap ? w->changed_cap * 2 : 16;
        char **more = realloc(w->changed, (size_t)cap * sizeof *more);
        if (!more) {
            free(path);
            return;
        }
        w->changed = more;
        w->changed_cap = cap;
    }
    w->changed[w->changed_count++] = path;
}

/* Reads what is there; true when something relevant changed. */
static bool read_events(Watcher *w)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n <= 0)
            return any;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {     /* events lost: re-read it all */
                for (int wd = 0; wd < w->cap; wd++)
                    if (w->dir_of[wd]) {
                        char *d = strdup(w->dir_of[wd]);
                        if (d)
                            note_changed(w, d);
                    }
                any = true;
                continue;
            }
            if (ev->wd < 0 || ev->wd >= w->cap || !w->dir_of[ev->wd])
                continue;
            if (ev->mask & IN_IGNORED) {        /* the directory is gone */
                free(w->dir_of[ev->wd]);
                w->dir_of[ev->wd] = NULL;
                w->count--;
                continue;
            }
            if (ev->len == 0)
                continue;                       /* IN_DELETE_SELF: IN_IGNORED follows */
            bool dir = (ev->mask & IN_ISDIR) != 0;
            if (!dir && !is_kite(ev->name))
                continue;
            char *path = join(w->dir_of[ev->wd], ev->name);
            if (!path)
                continue;
            if (dir && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
                watch_dir(w, path, true);
            if (dir && (ev->mask & IN_MOVED_FROM))
                unwatch_below(w, path);
            note_changed(w, path);
            any = true;
        }
    }
}

static void forget_changed(Watcher *w)
{
    for (int i = 0; i < w->changed_count; i++)
        free(w->changed[i]);
    w->changed_count = 0;
}

static void watcher_close(Watcher *w)
{
    forget_changed(w);
    free(w->changed);
    for (int wd = 0; wd < w->cap; wd++)
        free(w->dir_of[wd]);
    free(w->dir_of);
    if (w->fd >= 0)
        close(w->fd);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

/* The directory a lone file PATH lives in. */
static char *dir_of_file(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Every PATH and -I directory watched; false when inotify cannot serve
 * (w->reason says why). */
static bool watcher_open(Watcher *w, const WatchSetup *ws)
{
    memset(w, 0, sizeof *w);
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
        snprintf(w->reason, sizeof w->reason, "inotify: %s", strerror(errno));
        return false;
    }
#ifdef COORD_TESTING
    const char *max = getenv("COORD_WATCH_MAX");
    if (max)
        w->max_watches = strtol(max, NULL, 10);
#endif
    for (int i = 0; i < ws->npaths + ws->nincs; i++) {
        const char *p = i < ws->npaths ? ws->paths[i] : ws->incs[i - ws->npaths];
        struct stat st;
        bool ok;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            ok = watch_dir(w, p, true);
        } else {
            char *d = dir_of_file(p);
            ok = d && watch_dir(w, d, false);
            free(d);
        }
        if (!ok) {
            if (!w->reason[0])
                snprintf(w->reason, sizeof w->reason, "out of memory");
            return false;
        }
    }
    return true;
}

/* ---- one run and its output ---------------------------------------------- */

static CoordSession *session_new(const WatchSetup *ws, bool rescan, int *status)
{
    CoordOptions o = *ws->opts;
    o.no_rescan = !rescan;
    o.progress = NULL;          /* the summary line says how it went */
    CoordSession *s = coord_session_create(&o);
    if (!s) {
        fputs("coord: out of memory\n", stderr);
        *status = COORD_EXIT_INTERNAL;
        return NULL;
    }
    for (int i = 0; i < ws->nincs; i++) {
        int rc = coord_add_search_dir(s, ws->incs[i]);
        if (rc) {
            fprintf(stderr, "coord: %s\n", coord_error(s));
            *status = rc;
            coord_session_destroy(s);
            return NULL;
        }
    }
    for (int i = 0; i < ws->npaths; i++) {
        int rc = coord_add_root(s, ws->paths[i]);
        if (rc) {
            fprintf(stderr, "coord: %s\n", coord_error(s));
            *status = rc;
            coord_session_destroy(s);
            return NULL;
        }
    }
    return s;
}

static void plural(FILE *out, uint32_t n, const char *what, bool *first)
{
    if (!n)
        return;
    fprintf(out, "%s%u %s%s", *first ? "" : ", ", n, what, n == 1 ? "" : "s");
    *first = false;
}

static void print_run(CoordSession *s, const WatchSetup *ws, int status, double ms)
{
    if (ws->clear) {
        FILE *term = ws->format == COORD_FORMAT_TEXT ? stderr : stdout;
        fputs("\033[H\033[2J\033[3J", term);
        fflush(term);
    }
    if (coord_cache_warning(s)[0])
        fprintf(stderr, "coord: warning: %s\n", coord_cache_warning(s));
    if (coord_remote_warning(s)[0])
        fprintf(stderr, "coord: warning: remote cache %s\n", coord_remote_warning(s));
    if (ws->format != COORD_FORMAT_TEXT)
        coord_print_reports(s, stdout, ws->format, false);
    else
        coord_print_reports(s, stderr, COORD_FORMAT_TEXT, ws->colour);
    if (ws->emit_types)
        coord_print_types(s, stdout);
    if (coord_error(s)[0])
        fprintf(stderr, "coord: %s\n", coord_error(s));
    fflush(stdout);
    if (ws->stats)
        coord_print_stats(s, stderr);
    CoordStats st;
    coord_stats(s, &st);
    bool first = true;
    fputs("coord: ", stderr);
    plural(stderr, coord_error_count(s), "error", &first);
    plural(stderr, coord_warning_count(s), "warning", &first);
    if (first)
        fputs(status == COORD_EXIT_OK ? "no errors" : "failed", stderr);
    fprintf(stderr, " (rechecked %llu of %u modules in %.1f ms); watching for changes\n",
            (unsigned long long)st.rechecked, st.modules, ms);
    fflush(stderr);
}

/* ---- the loop ------------------------------------------------------------ */

/* Waits up to ms (-1: forever) for an event or a signal.  Returns the
 * signal number when one came, else 0. */
static int wait_for(int ifd, int sfd, int ms, bool *event)
{
    struct pollfd p[2] = { { sfd, POLLIN, 0 }, { ifd, POLLIN, 0 } };
    int n = poll(p, ifd >= 0 ? 2 : 1, ms);
    *event = false;
    if (n <= 0)
        return 0;
    if (p[0].revents & POLLIN) {
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
            return (int)si.ssi_signo;
    }
    *event = ifd >= 0 && (p[1].revents & POLLIN);
    return 0;
}

int watch_run(const WatchSetup *ws)
{
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, &old);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0) {
        fprintf(stderr, "coord: cannot watch: signalfd: %s\n", strerror(errno));
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return COORD_EXIT_INTERNAL;
    }
    Watcher w;
    bool timed = !watcher_open(&w, ws);
    if (timed) {
        fprintf(stderr, "coord: warning: cannot watch for changes (%s); re-scanning every %d ms "
                        "instead\n", w.reason, POLL_MS);
        watcher_close(&w);
    }
    int status = COORD_EXIT_OK;
    CoordSession *s = session_new(ws, timed, &status);
    int sig = 0;
    int last_status = -1;
    uint32_t last_modules = 0;
    while (s) {
        for (int i = 0; i < w.changed_count; i++)
            if (coord_notify(s, w.changed[i]) != 0)
                break;
        forget_changed(&w);
        double t0 = now_ms();
        status = coord_run(s);
        double ms = now_ms() - t0;
        CoordStats st;
        coord_stats(s, &st);
        if (!timed || last_status < 0 || st.rechecked > 0 || st.modules != last_modules ||
            status != last_status)
            print_run(s, ws, status, ms);
        last_status = status;
        last_modules = st.modules;
        if (!timed && w.exhausted) {    /* a new directory found the limit */
            fprintf(stderr, "coord: warning: cannot watch for changes (%s); re-scanning every "
                            "%d ms instead\n", w.reason, POLL_MS);
            watcher_close(&w);
            timed = true;
            coord_session_destroy(s);
            s = session_new(ws, true, &status);
            continue;
        }
        /* wait for the first event, then for the burst to end */
        bool event = false;
        if (timed) {
            sig = wait_for(-1, sfd, POLL_MS, &event);
        } else {
            bool relevant = false;
            while (!sig && !relevant && !w.exhausted) {
                event = false;
                while (!sig && !event)
                    sig = wait_for(w.fd, sfd, -1, &event);
                if (sig)
                    break;
                relevant = read_events(&w);
                double begin = now_ms();
                while (!sig && now_ms() - begin < BURST_MS) {
                    sig = wait_for(w.fd, sfd, QUIET_MS, &event);
                    if (!event)
                        break;
                    relevant |= read_events(&w);
                }
            }
        }
        if (sig)
            break;
    }
    coord_session_destroy(s);
    watcher_close(&w);
    close(sfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return sig ? 128 + sig : status;
}
