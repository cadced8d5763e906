/* intern — string intern table: open addressing, 32-bit ids, the bytes stored
 * in an arena, lookup without allocation.
 *
 * Ids are dense from 0 in insertion order.  INTERN_NONE is never an id.
 * The table (slots, the id->string index, and the bytes) lives in the arena
 * given to intern_init; growing abandons the old slot array in that arena.
 * Owner: one thread (tables are per module/per task, never shared while
 * being written).
 */
#ifndef COORD_BASE_INTERN_H
#define COORD_BASE_INTERN_H

#include "base/arena.h"
#include <stdbool.h>

#define INTERN_NONE UINT32_MAX


typedef struct InternTable {
    Arena *arena;
    uint32_t *slots;       /* id+1 per slot, 0 = empty */
    uint32_t *slot_hash;   /* low 32 bits of the hash, per slot */
    uint32_t slot_mask;    /* slot count - 1 (power of two) */
    const char **strs;     /* id -> NUL-terminated bytes (in arena) */
    uint32_t *lens;        /* id -> length */
    uint32_t count, cap;   /* ids in use / capacity of strs, lens */
} InternTable;

bool        intern_init(InternTable *t, Arena *arena, uint32_t expected);
uint32_t    intern(InternTable *t, const char *s, size_t len);       /* INTERN_NONE on failure */
uint32_t    intern_lookup(const InternTable *t, const char *s, size_t len); /* no allocation */
const char *intern_str(const InternTable *t, uint32_t id);
uint32_t    intern_len(const InternTable *t, uint32_t id);

#endif
