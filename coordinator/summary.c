/* summary — the closing line after text diagnostics, like gcc's and rustc's:
 * `coord: 3 errors, 1 warning in 2 modules`.  Counts with a zero are left
 * out; "modules" counts the modules that have at least one report (reports
 * are sorted by module, so they are the runs of equal module names).  Built
 * on the public API only.
 */
#include "coord.h"

#include <string.h>

static void count(FILE *out, uint32_t n, const char *what)
{
    fprintf(out, "%u %s%s", n, what, n == 1 ? "" : "s");
}

void coord_print_summary(const CoordSession *s, FILE *out)
{
    uint32_t errors = coord_error_count(s), warnings = coord_warning_count(s);
    uint32_t n = coord_report_count(s), modules = 0;
    const char *last = NULL;
    for (uint32_t i = 0; i < n; i++) {
        CoordReport r;
        if (coord_report_get(s, i, &r) && (!last || strcmp(last, r.module) != 0)) {
            modules++;
            last = r.module;
        }
    }
    if (errors + warnings == 0)
        return;
    fputs("coord: ", out);
    if (errors)
        count(out, errors, "error");
    if (errors && warnings)
        fputs(", ", out);
    if (warnings)
        count(out, warnings, "warning");
    fputs(" in ", out);
    count(out, modules, "module");
    fputc('\n', out);
}
