/* sarif_log — coord_print_reports(COORD_FORMAT_SARIF): hands the frozen
 * reports to reports/sarif.c together with the session's directories.
 *
 * Bases: the PATH roots first (SRCROOT0, SRCROOT1, ... in the session's root
 * order, which includes the roots that lone files imply), then the -I
 * directories (INCLUDE0, ...).  A module's file is path = join(dir, rel) of
 * its root (discover.c; dir "." gives rel alone), so the relative path is a
 * suffix of the path and nothing is allocated.  A module found through -I
 * has no root index; its base is the first -I directory its path lies in.
 */
#include "coordinator/actor.h"

#include "reports/sarif.h"

#include <string.h>

/* rel when path lies in dir, else NULL. */
static const char *below(const char *dir, const char *path)
{
    if (strcmp(dir, ".") == 0)
        return strncmp(path, "./", 2) == 0 ? path + 2 : path;
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) != 0 || (path[n] != '/' && dir[n - 1] != '/'))
        return NULL;
    path += n;
    while (*path == '/')
        path++;
    return path;
}

static void base(const void *arg, uint32_t i, SarifBase *out)
{
    const CoordSession *s = arg;
    bool root = i < s->root_count;
    out->name = root ? "SRCROOT" : "INCLUDE";
    out->index = root ? i : i - s->root_count;
    out->dir = root ? s->roots[i].dir : s->search[i - s->root_count].dir;
}

static void artifact(const void *arg, const ReportContext *ctx, uint32_t *b, const char **rel)
{
    const CoordSession *s = arg;
    const Module *m = s->mods[ctx - s->ctxs];
    const char *r = NULL;
    *b = SARIF_NO_BASE;
    *rel = ctx->path;
    if (m->root != NONE) {
        if ((r = below(s->roots[m->root].dir, ctx->path)) != NULL)
            *b = m->root;
    } else {
        for (uint32_t k = 0; k < s->search_count && !r; k++)
            if ((r = below(s->search[k].dir, ctx->path)) != NULL)
                *b = s->root_count + k;
    }
    if (r)
        *rel = r;
}

void co_print_sarif(const CoordSession *s, FILE *out)
{
    SarifLog log = {
        .tool_version = coord_version(),
        .base_count = s->root_count + s->search_count,
        .base = base,
        .refs = s->refs,
        .ref_count = s->ref_count,
        .artifact = artifact,
        .arg = s,
    };
    sarif_render(out, &log);
}
