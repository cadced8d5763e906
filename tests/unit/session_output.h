/* session_output.h — what a session printed, as one string (header-only:
 * each test is its own program): its reports in `format`, then its checked
 * types (--emit-types).  The caller frees it. */
#ifndef COORD_TESTS_SESSION_OUTPUT_H
#define COORD_TESTS_SESSION_OUTPUT_H

#include "coord.h"

#include <stdio.h>

static char *session_output(CoordSession *s, CoordFormat format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    coord_print_reports(s, f, format, false);
    coord_print_types(s, f);
    fclose(f);
    return buf;
}

#endif
