/* artifact — a module's sealed checked artifact: everything a dependent's
 * typecheck needs (exported type declarations, constructor signatures, value
 * type schemes) in flat arrays without pointers, plus every top-level value's
 * scheme for --emit-types, and the interface hash (xxHash3 over the canonical
 * bytes of the exported interface: equal interfaces give equal hashes,
 * whatever the bodies).
 *
 * Written once by check_module into the module's keep arena; immutable after
 * the check task returns; read by any number of workers.
 * The struct layout is private to modules/ (see modules/types.h); the
 * coordinator and the public API use only these functions.
 */
#ifndef COORD_MODULES_ARTIFACT_H
#define COORD_MODULES_ARTIFACT_H

#include "base/arena.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct Artifact Artifact;

const char *artifact_module_name(const Artifact *a);
/* All top-level values of the module, in source order (exposed or not). */
uint32_t    artifact_value_count(const Artifact *a);
const char *artifact_value_name(const Artifact *a, uint32_t i);
/* The value's type printed as LANGUAGE.md section 7 says (variables renamed
 * a, b, ... per line; types of other modules qualified; <error> where the
 * type is in error).  NUL-terminated, allocated in `arena`; NULL on failure. */
char       *artifact_value_type_string(const Artifact *a, uint32_t i, Arena *arena);
/* The same, written to `out` with working memory from `scratch` (released
 * before returning): --emit-types builds no string that outlives a line.
 * false if the memory or the write failed. */
bool        artifact_value_type_write(const Artifact *a, uint32_t i, FILE *out, Arena *scratch);
uint64_t    artifact_interface_hash(const Artifact *a);

#endif
