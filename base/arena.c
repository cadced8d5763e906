/* arena — chunked bump allocator (see base/arena.h).
 *
 * Invariants:
 *  - a->chunk is the chunk being bumped (NULL when the arena holds no active
 *    chunk); chunk->prev links to the older active chunks.  [a->ptr, a->end)
 *    is the free tail of a->chunk.
 *  - a->spare lists chunks the arena owns but does not use (left over by
 *    reset or rewind); they are reused before new ones are allocated.
 *  - capacity and chunks count active and spare chunks alike; in_use counts
 *    the bytes handed out since the last reset, padding included.
 *  - every chunk's data starts at a 16-byte boundary.
 *  - chunks come from base/pool.h (huge-page regions in size classes) and
 *    go back there; an arena uses `size` bytes of a chunk, what it asked
 *    for, so its figures do not depend on the pool.
 */
#include "base/arena.h"
#include "base/mem.h"
#include "base/pool.h"

#include <stdbool.h>
#include <stdio.h>

struct ArenaChunk {
    ArenaChunk *prev;
    size_t size;                    /* bytes in data */
    size_t alloc;                   /* bytes pool_alloc gave (base/pool.h) */
    _Alignas(16) char data[];
};

void arena_init(Arena *a, size_t chunk_size, size_t keep)
{
    memset(a, 0, sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : ARENA_DEFAULT_CHUNK;
    a->keep = keep;
}

static void chunk_release(Arena *a, ArenaChunk *c)
{
    a->capacity -= c->size;
    a->chunks--;
    pool_free(c, c->alloc);
}

void arena_free(Arena *a)
{
    ArenaChunk *lists[2] = { a->chunk, a->spare };
    for (int i = 0; i < 2; i++) {
        for (ArenaChunk *c = lists[i]; c;) {
            ArenaChunk *prev = c->prev;
            chunk_release(a, c);
            c = prev;
        }
    }
    a->chunk = a->spare = NULL;
    a->ptr = a->end = NULL;
    a->in_use = 0;
}

void arena_reset(Arena *a)
{
    /* Gather every chunk, then keep as many as fit the budget. */
    ArenaChunk *all = a->spare;
    for (ArenaChunk *c = a->chunk; c;) {
        ArenaChunk *prev = c->prev;
        c->prev = all;
        all = c;
        c = prev;
    }
    size_t kept = 0;
    ArenaChunk *spare = NULL;
    for (ArenaChunk *c = all; c;) {
        ArenaChunk *next = c->prev;
        if (c->size <= a->keep - kept) {
            kept += c->size;
            c->prev = spare;
            spare = c;
        } else {
            chunk_release(a, c);
        }
        c = next;
    }
    a->spare = spare;
    a->chunk = NULL;
    a->ptr = a->end = NULL;
    a->in_use = 0;
}

static void *oom(Arena *a)
{
    if (a->oom)
        longjmp(*a->oom, 1);
    return NULL;
}

/* Makes a chunk with at least `need` data bytes the current chunk: a spare
 * one if any fits, else a fresh one of the arena's chunk size (of exactly
 * `need` bytes when `exact`). */
static bool chunk_push(Arena *a, size_t need, bool exact)
{
    ArenaChunk **link = &a->spare;
    for (ArenaChunk *c = a->spare; c; link = &c->prev, c = c->prev) {
        if (c->size >= need) {
            *link = c->prev;
            c->prev = a->chunk;
            a->chunk = c;
            a->ptr = c->data;
            a->end = c->data + c->size;
            return true;
        }
    }
    size_t size = need > a->chunk_size || exact ? need : a->chunk_size;
    if (size > SIZE_MAX - sizeof(ArenaChunk))
        return false;
    size_t got;
    ArenaChunk *c = pool_alloc(sizeof(ArenaChunk) + size, &got);
    if (!c)
        return false;
    c->size = size;
    c->alloc = got;
    c->prev = a->chunk;
    a->chunk = c;
    a->ptr = c->data;
    a->end = c->data + size;
    a->capacity += size;
    a->chunks++;
    return true;
}

static bool reserve(Arena *a, size_t size, bool exact)
{
    if (a->chunk && size <= (size_t)(a->end - a->ptr))
        return true;
    if (size > SIZE_MAX / 2 || !chunk_push(a, size, exact)) {
        oom(a);
        return false;
    }
    return true;
}

bool arena_reserve(Arena *a, size_t size) { return reserve(a, size, false); }

bool arena_reserve_exact(Arena *a, size_t size) { return reserve(a, size, true); }

void *arena_alloc(Arena *a, size_t size, size_t align)
{
    if (align == 0)
        align = 1;
    if (a->chunk) {
        uintptr_t p = (uintptr_t)a->ptr;
        size_t pad = (size_t)(-p & (align - 1));
        if (pad <= (size_t)(a->end - a->ptr) && size <= (size_t)(a->end - a->ptr) - pad) {
            char *r = a->ptr + pad;
            a->ptr = r + size;
            a->in_use += pad + size;
            if (a->in_use > a->high_water)
                a->high_water = a->in_use;
            return r;
        }
    }
    /* Chunk data is 16-aligned, so only larger alignments need slack. */
    size_t slack = align > 16 ? align - 1 : 0;
    if (size > SIZE_MAX / 2 || slack > SIZE_MAX / 2 || !chunk_push(a, size + slack, false))
        return oom(a);
    return arena_alloc(a, size, align);
}

void *arena_zalloc(Arena *a, size_t size, size_t align)
{
    void *p = arena_alloc(a, size, align);
    if (p)
        memset(p, 0, size);
    return p;
}

void *arena_memdup(Arena *a, const void *p, size_t size)
{
    void *r = arena_alloc(a, size, 1);
    if (r && size)
        memcpy(r, p, size);
    return r;
}

char *arena_strndup(Arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return oom(a);
    char *r = arena_alloc(a, len + 1, 1);
    if (r) {
        if (len)
            memcpy(r, s, len);
        r[len] = '\0';
    }
    return r;
}

char *arena_vprintf(Arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *r = arena_alloc(a, (size_t)n + 1, 1);
    if (r)
        vsnprintf(r, (size_t)n + 1, fmt, ap);
    return r;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return r;
}

ArenaMark arena_mark(Arena *a)
{
    return (ArenaMark){ a->chunk, a->ptr, a->in_use };
}

void arena_rewind(Arena *a, ArenaMark m)
{
    while (a->chunk != m.chunk) {
        ArenaChunk *c = a->chunk;
        a->chunk = c->prev;
        c->prev = a->spare;
        a->spare = c;
    }
    a->ptr = m.ptr;
    a->end = m.chunk ? m.chunk->data + m.chunk->size : NULL;
    a->in_use = m.in_use;
}

ArenaStats arena_stats(const Arena *a)
{
    return (ArenaStats){ a->in_use, a->high_water, a->capacity, a->chunks };
}
