/* version — what this build of libcoord is: its version, its build id and the
 * versions of the libraries compiled into it.
 *
 * The build id is the one key that says "results computed by this build":
 * the Makefile hashes every library source and header, the compiler's
 * version line and the build mode's flags (sha256, first 64 bits) and passes
 * the value as COORD_BUILD_ID to this file alone; this object depends on all
 * of them, so any change to the library rebuilds it with a new id.  A build
 * without it fails here rather than share another build's id.
 * ck and xxHash are header-only here, so their versions are the ones of the
 * headers this library was compiled with (COORD_CK_VERSION from pkg-config
 * when the Makefile found it; xxHash's from its XXH_VERSION_* macros, in
 * base/hash.c).
 */
#include "coord.h"

#include "base/hash.h"

#ifndef COORD_BUILD_ID
#error "COORD_BUILD_ID is not defined: build libcoord with its Makefile"
#endif
#ifndef COORD_CK_VERSION
#define COORD_CK_VERSION "unknown"
#endif

uint64_t coord_build_id(void)
{
    return (uint64_t)COORD_BUILD_ID;
}

const char *coord_version(void)
{
    return COORD_VERSION;
}

void coord_print_version(FILE *out)
{
    fprintf(out, "coord %s\n", COORD_VERSION);
    fprintf(out, "build id: %016llx\n", (unsigned long long)coord_build_id());
    fprintf(out, "ck %s\n", COORD_CK_VERSION);
    fprintf(out, "xxHash %s\n", hash_xxhash_version());
}
