/* builder — growable arrays in scratch, sealed once into a durable arena.
 *
 * Invariants: data holds cap elements of elem_size bytes (data is NULL while
 * cap is 0); the first count are live.  Growing allocates a fresh block in
 * b->arena and copies; the old block is abandoned there until the scratch
 * arena is reset (DESIGN.md section 4: never allocate-copy-free).
 */
#include "base/builder.h"

#include <assert.h>

void builder_init(Builder *b, Arena *scratch, size_t elem_size, size_t elem_align)
{
    assert(elem_size > 0 && elem_size <= UINT32_MAX && elem_align <= UINT32_MAX);
    b->arena = scratch;
    b->data = NULL;
    b->count = b->cap = 0;
    b->elem_size = (uint32_t)elem_size;
    b->elem_align = (uint32_t)(elem_align ? elem_align : 1);
}

bool builder_reserve(Builder *b, uint32_t total)
{
    if (total <= b->cap)
        return true;
    uint64_t cap = b->cap ? b->cap : 8;
    while (cap < total)
        cap *= 2;
    if (cap > UINT32_MAX)
        cap = UINT32_MAX;
    char *data = arena_alloc(b->arena, (size_t)cap * b->elem_size, b->elem_align);
    if (!data)
        return false;
    if (b->count)
        memcpy(data, b->data, (size_t)b->count * b->elem_size);
    b->data = data;
    b->cap = (uint32_t)cap;
    return true;
}

void *builder_push(Builder *b)
{
    if (b->count == UINT32_MAX)
        return NULL;
    if (b->count == b->cap && !builder_reserve(b, b->count + 1))
        return NULL;
    return b->data + (size_t)b->count++ * b->elem_size;
}

bool builder_push_n(Builder *b, const void *elems, uint32_t n)
{
    if (n > UINT32_MAX - b->count)
        return false;
    if (!builder_reserve(b, b->count + n))
        return false;
    if (n)
        memcpy(b->data + (size_t)b->count * b->elem_size, elems, (size_t)n * b->elem_size);
    b->count += n;
    return true;
}

void *builder_at(const Builder *b, uint32_t i)
{
    assert(i < b->count);
    return b->data + (size_t)i * b->elem_size;
}

void builder_clear(Builder *b)
{
    b->count = 0;
}

void builder_truncate(Builder *b, uint32_t count)
{
    assert(count <= b->count);
    b->count = count;
}

/* What an empty builder seals into: aligned for any element type. */
static const max_align_t empty_seal;

void *builder_seal(const Builder *b, Arena *durable)
{
    if (b->count == 0)
        return (void *)&empty_seal;
    size_t size = (size_t)b->count * b->elem_size;
    void *r = arena_alloc(durable, size, b->elem_align);
    if (r)
        memcpy(r, b->data, size);
    return r;
}
