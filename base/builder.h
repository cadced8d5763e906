/* builder — a growable array that lives in a scratch arena and is sealed
 * once, at its exact size, into a durable arena (DESIGN.md section 4).
 *
 *   Builder b; builder_init(&b, scratch, sizeof(uint32_t), _Alignof(uint32_t));
 *   uint32_t *slot = builder_push(&b);   *slot = 7;
 *   BUILDER_PUSH(&b, uint32_t, 7);
 *   uint32_t *sealed = builder_seal(&b, durable);   // exact size copy
 *
 * Growth doubles into a fresh scratch allocation (the old block is abandoned
 * in scratch, which is reset after the task).  Allocation failure follows the
 * arena's rule: NULL, or longjmp when the arena has an oom target.
 */
#ifndef COORD_BASE_BUILDER_H
#define COORD_BASE_BUILDER_H

#include "base/arena.h"
#include <stdbool.h>

typedef struct Builder {
    Arena *arena;       /* where the growing array lives (scratch) */
    char *data;
    uint32_t count, cap;
    uint32_t elem_size, elem_align;
} Builder;

void  builder_init(Builder *b, Arena *scratch, size_t elem_size, size_t elem_align);
void *builder_push(Builder *b);                       /* NULL on failure */
bool  builder_push_n(Builder *b, const void *elems, uint32_t n);
bool  builder_reserve(Builder *b, uint32_t total);
void *builder_at(const Builder *b, uint32_t i);
void  builder_clear(Builder *b);                      /* count = 0 */
void  builder_truncate(Builder *b, uint32_t count);
/* Copies count elements into `durable` at the exact size.  An empty builder
 * seals into a non-NULL zero-length allocation-free pointer (a static). */
void *builder_seal(const Builder *b, Arena *durable);

#define BUILDER_INIT(b, scratch, T) builder_init((b), (scratch), sizeof(T), _Alignof(T))
#define BUILDER_PUSH(b, T, value) \
    do { T *slot_ = (T *)builder_push(b); if (slot_) *slot_ = (value); } while (0)
#define BUILDER_AT(b, T, i) (((T *)(b)->data)[i])

#endif
