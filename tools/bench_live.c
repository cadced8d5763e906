/* bench_live — the live session (coordinator/live.c) on a generated tree, in
 * one process (`make bench-live`, part of `make bench`; tools/bench_live.sh
 * generates the tree):
 *
 *   bench_live TREE [JOBS] [REPS] [EDITS]
 *
 * Two sessions over TREE: one with no_rescan (each edit is told with
 * coord_notify), one re-scanning stat data every run.  For each: the cold
 * first run, then REPS rounds (default 9) of four runs, interleaved: a body
 * edit of a leaf (a module nobody imports), a body edit of the hub (the
 * module most others import), an interface edit of a widely used name (the
 * type of the hub's ident<i>: `fn identI(x) = x` <-> `fn identI(x: Int) ->
 * Int = x`), and a run with no change.  Body edits toggle `let base = n + 1
 * in` <-> `n + 2` in value<i> (same length).  Every figure is the median wall
 * time of coord_run; `rechecked` is CoordStats.rechecked of the median run.
 * Then EDITS (default 1000) more leaf edits on the no_rescan session, and its
 * resident set size (VmRSS) after them against after its first run.  The
 * tree is left as it was.
 */
#include "coord.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

typedef struct File {
    char *path, *name, *text;
    int importers;
} File;

static File *files;
static int nfiles, capfiles;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p)
        p[n] = '\0';
    fclose(f);
    return p;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "bench_live: cannot write %s\n", path);
        exit(2);
    }
}

static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path);
            continue;
        }
        size_t n = strlen(path);
        if (n < 5 || strcmp(path + n - 5, ".kite") != 0)
            continue;
        if (nfiles == capfiles) {
            capfiles = capfiles ? capfiles * 2 : 1024;
            files = realloc(files, (size_t)capfiles * sizeof *files);
        }
        File *f = &files[nfiles++];
        f->path = strdup(path);
        f->text = slurp(path);
        f->importers = 0;
        char name[256] = "";
        if (f->text)
            sscanf(f->text, "module %255s", name);
        f->name = strdup(name);
    }
    closedir(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const File *)a)->name, ((const File *)b)->name);
}

static int find(const char *name)
{
    File key = { .name = (char *)name };
    File *f = bsearch(&key, files, (size_t)nfiles, sizeof *files, by_name);
    return f ? (int)(f - files) : -1;
}

/* Replaces the first `from` in file i by `to` (on disk and in memory). */
static bool swap_text(int i, const char *from, const char *to)
{
    char *at = strstr(files[i].text, from);
    if (!at)
        return false;
    size_t fl = strlen(from), tl = strlen(to), n = strlen(files[i].text);
    char *t = malloc(n - fl + tl + 1);
    memcpy(t, files[i].text, (size_t)(at - files[i].text));
    memcpy(t + (at - files[i].text), to, tl);
    strcpy(t + (at - files[i].text) + tl, at + fl);
    free(files[i].text);
    files[i].text = t;
    spit(files[i].path, t);
    return true;
}

static void toggle(int i, const char *a, const char *b)
{
    if (!swap_text(i, a, b) && !swap_text(i, b, a)) {
        fprintf(stderr, "bench_live: %s holds neither '%s' nor '%s'\n", files[i].path, a, b);
        exit(2);
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { LEAF, HUB, IFACE, NONE_, SCEN };
static const char *const scen_name[SCEN] = {
    "leaf body edit", "hub body edit", "interface edit", "no change",
};

static int leaf, hub, hub_index;
static char ident_plain[64], ident_typed[64];

static void edit(CoordSession *s, bool notify, int scen)
{
    int i = scen == LEAF ? leaf : hub;
    if (scen == LEAF || scen == HUB)
        toggle(i, "let base = n + 1 in", "let base = n + 2 in");
    else if (scen == IFACE)
        toggle(i, ident_plain, ident_typed);
    else
        return;
    if (notify)
        coord_notify(s, files[i].path);
}

static double timed_run(CoordSession *s, uint64_t *rechecked)
{
    double t = now_ms();
    int status = coord_run(s);
    t = now_ms() - t;
    if (status > COORD_EXIT_ERRORS) {
        fprintf(stderr, "bench_live: a run failed (%d): %s\n", status, coord_error(s));
        exit(1);
    }
    CoordStats st;
    coord_stats(s, &st);
    *rechecked = st.rechecked;
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_live TREE [JOBS] [REPS] [EDITS]\n");
        return 2;
    }
    const char *tree = argv[1];
    uint32_t jobs = argc > 2 ? (uint32_t)atoi(argv[2]) : 2;
    int reps = argc > 3 ? atoi(argv[3]) : 9;
    int edits = argc > 4 ? atoi(argv[4]) : 1000;
    walk(tree);
    if (nfiles == 0) {
        fprintf(stderr, "bench_live: no .kite files under %s\n", tree);
        return 2;
    }
    qsort(files, (size_t)nfiles, sizeof *files, by_name);
    for (int i = 0; i < nfiles; i++)
        for (char *p = files[i].text; p && (p = strstr(p, "\nimport ")) != NULL; p++) {
            char name[256];
            if (sscanf(p + 8, "%255s", name) == 1 && find(name) >= 0)
                files[find(name)].importers++;
        }
    leaf = hub = -1;
    for (int i = 0; i < nfiles; i++) {
        bool body = strstr(files[i].text, "let base = n + 1 in") != NULL;
        if (!body)
            continue;
        if (leaf < 0 && files[i].importers == 0)
            leaf = i;
        if (hub < 0 || files[i].importers > files[hub].importers)
            hub = i;
    }
    const char *m = hub >= 0 ? strrchr(files[hub].name, 'M') : NULL;
    if (leaf < 0 || !m) {
        fprintf(stderr, "bench_live: no leaf or hub with a value<i> body in %s\n", tree);
        return 2;
    }
    hub_index = atoi(m + 1);
    snprintf(ident_plain, sizeof ident_plain, "fn ident%d(x) = x\n", hub_index);
    snprintf(ident_typed, sizeof ident_typed, "fn ident%d(x: Int) -> Int = x\n", hub_index);
    int users = 0;
    char use[64];
    snprintf(use, sizeof use, "ident%d(", hub_index);
    for (int i = 0; i < nfiles; i++)
        users += i != hub && strstr(files[i].text, use) != NULL;
    printf("live: %d modules, -j%u, %d rounds; leaf %s, hub %s (%d importers, %d use ident%d)\n",
           nfiles, jobs, reps, files[leaf].name, files[hub].name, files[hub].importers, users,
           hub_index);

    double cold[2] = { 0, 0 };
    double med[2][SCEN];
    uint64_t med_rc[2][SCEN];
    long rss_first = 0, rss_after = 0;
    for (int mode = 0; mode < 2; mode++) {
        bool notify = mode == 0;
        CoordOptions o = { .jobs = jobs, .no_rescan = notify };
        CoordSession *s = coord_session_create(&o);
        if (!s || coord_add_root(s, tree) != 0) {
            fprintf(stderr, "bench_live: cannot set up the session\n");
            return 2;
        }
        uint64_t rc;
        cold[mode] = timed_run(s, &rc);
        if (notify)
            rss_first = rss_kb();
        double *t = malloc((size_t)reps * SCEN * sizeof *t);
        uint64_t *r = malloc((size_t)reps * SCEN * sizeof *r);
        for (int k = 0; k < reps; k++)
            for (int c = 0; c < SCEN; c++) {
                edit(s, notify, c);
                t[c * reps + k] = timed_run(s, &r[c * reps + k]);
            }
        for (int c = 0; c < SCEN; c++) {
            double sorted[256];
            int n = reps < 256 ? reps : 256;
            memcpy(sorted, t + c * reps, (size_t)n * sizeof *sorted);
            qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
            med[mode][c] = sorted[n / 2];
            med_rc[mode][c] = 0;
            for (int k = 0; k < n; k++)
                if (t[c * reps + k] == sorted[n / 2])
                    med_rc[mode][c] = r[c * reps + k];
        }
        if (notify) {
            for (int k = 0; k < edits; k++) {
                edit(s, true, LEAF);
                timed_run(s, &rc);
            }
            rss_after = rss_kb();
        }
        /* back as generated: an even number of toggles of each */
        if (reps % 2) {
            edit(s, notify, LEAF);
            edit(s, notify, HUB);
            edit(s, notify, IFACE);
        }
        if (notify && edits % 2)
            edit(s, true, LEAF);
        free(t);
        free(r);
        coord_session_destroy(s);
    }
    printf("%-22s %26s %26s\n", "", "no_rescan + coord_notify", "re-scan (stat every file)");
    printf("%-22s %20.1f ms      %20.1f ms\n", "cold first run", cold[0], cold[1]);
    for (int c = 0; c < SCEN; c++)
        printf("%-22s %11.2f ms (rechecked %4llu) %9.2f ms (rechecked %4llu)\n", scen_name[c],
               med[0][c], (unsigned long long)med_rc[0][c], med[1][c],
               (unsigned long long)med_rc[1][c]);
    printf("leaf body edit / cold first run: %.2f%% (no_rescan), %.2f%% (re-scan)\n",
           100.0 * med[0][LEAF] / cold[0], 100.0 * med[1][LEAF] / cold[1]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("RSS of the no_rescan session: %.1f MB after its first run, %.1f MB after %d more "
           "leaf edits (process peak %.1f MB)\n", rss_first / 1024.0, rss_after / 1024.0, edits,
           ru.ru_maxrss / 1024.0);
    return 0;
}
