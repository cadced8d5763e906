/* live_fixture — a small generated Kite tree whose files a test edits step
 * by step, and the oracle of DESIGN.md section 7: a cold session over a
 * copy of the same files (overlays written out as files) must print what
 * the live session prints.  Header-only (each test is its own program).
 *
 * Module i of LIVE_N (M0 .. M<N-1>) is generated from LiveMod: it imports
 * M<i-1> and M<i/2> (when they differ and exist), optionally a module above
 * it (a back edge: an import cycle), exposes f (its body: `body`, a body-only
 * edit) and v (Int or String: an interface edit), uses each import's v, and
 * may carry a type error or a syntax error.
 */
#ifndef COORD_TESTS_LIVE_FIXTURE_H
#define COORD_TESTS_LIVE_FIXTURE_H

#include "coord.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIVE_N 12

typedef struct LiveMod {
    bool exists;
    int body;           /* the constant in f's body */
    bool str;           /* v : String instead of Int */
    bool type_error;
    bool syntax_error;
    int back;           /* a module above it it imports too, or -1 */
} LiveMod;

static void live_text(const LiveMod *m, int i, char *out, size_t size)
{
    int n = snprintf(out, size, "module M%d exposing (v, f)\n", i);
    int deps[3] = { i - 1, i / 2, m->back };
    for (int k = 0; k < 3; k++) {
        bool dup = deps[k] < 0 || deps[k] == i;
        for (int j = 0; j < k; j++)
            dup |= deps[j] == deps[k];
        if (!dup)
            n += snprintf(out + n, size - (size_t)n, "import M%d as D%d\n", deps[k], k);
        else
            deps[k] = -1;
    }
    n += snprintf(out + n, size - (size_t)n, "fn f(x) = x + %d\n", m->body);
    n += snprintf(out + n, size - (size_t)n, "let v = %s\n", m->str ? "\"s\"" : "1");
    for (int k = 0; k < 3; k++)
        if (deps[k] >= 0)
            n += snprintf(out + n, size - (size_t)n, "let u%d = D%d.v\n", k, k);
    if (m->type_error)
        n += snprintf(out + n, size - (size_t)n, "let bad = 1 + \"x\"\n");
    if (m->syntax_error)
        snprintf(out + n, size - (size_t)n, "let = (\n");
}

static void live_path(char *buf, size_t size, const char *dir, int i)
{
    snprintf(buf, size, "%s/M%d.kite", dir, i);
}

/* Writes the file of module i in dir (or removes it). */
static void live_write(const char *dir, const LiveMod *m, int i)
{
    char path[512], text[1024];
    live_path(path, sizeof path, dir, i);
    if (!m->exists) {
        unlink(path);
        return;
    }
    live_text(m, i, text, sizeof text);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

/* Everything a session shows: exit status, reports as JSON and as text
 * (with source lines), types, counts; `from` replaced by `to` in paths. */
static char *live_output(CoordSession *s, int status, const char *from, const char *to)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "status %d\n", status);
    coord_print_reports(s, f, COORD_FORMAT_JSON, false);
    coord_print_reports(s, f, COORD_FORMAT_TEXT, false);
    coord_print_types(s, f);
    /* the same through the getters (made when first asked, again after a
     * patch run) */
    for (uint32_t m = 0; m < coord_module_count(s); m++)
        for (uint32_t v = 0; v < coord_value_count(s, m); v++) {
            const char *name, *type;
            if (coord_value_get(s, m, v, &name, &type))
                fprintf(f, "%s.%s : %s\n", coord_module_name(s, m), name, type);
            else
                fprintf(f, "%s value %u: not available\n", coord_module_name(s, m), v);
        }
    fprintf(f, "modules %u errors %u warnings %u reports %u\n", coord_module_count(s),
            coord_error_count(s), coord_warning_count(s), coord_report_count(s));
    for (uint32_t i = 0; i < coord_report_count(s); i++) {
        CoordReport r;
        coord_report_get(s, i, &r);
        fprintf(f, "%s %s %s %u:%u-%u:%u %s\n", r.code, r.module, r.file, r.line, r.col,
                r.end_line, r.end_col, r.message);
    }
    fclose(f);
    if (!from)
        return buf;
    /* replace every occurrence of from by to */
    size_t fl = strlen(from), tl = strlen(to), count = 0;
    for (const char *p = buf; (p = strstr(p, from)) != NULL; p += fl)
        count++;
    char *out = malloc(len + count * (tl > fl ? tl - fl : 0) + 1);
    char *w = out;
    const char *p = buf, *q;
    while ((q = strstr(p, from)) != NULL) {
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, to, tl);
        w += tl;
        p = q + fl;
    }
    strcpy(w, p);
    free(buf);
    return out;
}

/* A cold session over dir at -j jobs, its output with dir shown as `as`. */
static char *live_cold(const char *dir, uint32_t jobs, const char *as)
{
    CoordOptions o = { .jobs = jobs };
    CoordSession *s = coord_session_create(&o);
    if (!s || coord_add_root(s, dir) != 0)
        abort();
    int status = coord_run(s);
    char *out = live_output(s, status, dir, as);
    coord_session_destroy(s);
    return out;
}

#endif
