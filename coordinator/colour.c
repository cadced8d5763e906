/* colour — whether diagnostics get ANSI colours (coord --color=WHEN).
 *
 * ALWAYS and NEVER decide alone: a flag on the command line beats the
 * environment (no-color.org: "per-instance command-line arguments should
 * override NO_COLOR").  AUTO, in this order:
 *   1. NO_COLOR set and not empty: no colour (no-color.org);
 *   2. CLICOLOR_FORCE set, not empty and not "0": colour even when the
 *      stream is not a terminal (bixense.com/clicolors);
 *   3. otherwise colour exactly when the stream is a terminal.
 * NO_COLOR wins over CLICOLOR_FORCE because it is the reader's own opt-out,
 * while CLICOLOR_FORCE is typically set for a whole CI job.
 */
#include "coord.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v && v[0];
}

bool coord_colour_wanted(CoordColour when, int fd)
{
    switch (when) {
    case COORD_COLOUR_ALWAYS:
        return true;
    case COORD_COLOUR_NEVER:
        return false;
    case COORD_COLOUR_AUTO:
        break;
    }
    if (env_set("NO_COLOR"))
        return false;
    if (env_set("CLICOLOR_FORCE") && strcmp(getenv("CLICOLOR_FORCE"), "0") != 0)
        return true;
    return isatty(fd) == 1;
}
