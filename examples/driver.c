/* A compiler driver on the coord API: checks a source tree, prints the
 * diagnostics and every module's types, exits with coord's status. */
#include "coord.h"

int main(int argc, char **argv)
{
    CoordOptions opts = { .jobs = 2 };
    CoordSession *s = coord_session_create(&opts);
    if (!s || coord_add_root(s, argc > 1 ? argv[1] : "examples") != 0)
        return 2;
    int status = coord_run(s);
    coord_print_reports(s, stderr, COORD_FORMAT_TEXT, false);
    for (uint32_t m = 0; m < coord_module_count(s); m++)
        printf("%s: %u values\n", coord_module_name(s, m), coord_value_count(s, m));
    coord_session_destroy(s);
    return status;
}
