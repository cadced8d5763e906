/* arena — chunked bump allocator.
 *
 * Owner: exactly one thread at a time (the coordinator hands a module's
 * durable arenas to a worker inside a task message and gets them back in the
 * result; a worker's scratch arena never leaves its worker).
 *
 * Chunks come from mem_alloc.  arena_alloc returns NULL when a chunk cannot be
 * had — unless the arena has an out-of-memory jump target (arena_set_oom),
 * in which case it longjmps there instead.  Phase functions use the jump
 * target so that every allocation need not be checked: everything a task
 * allocated lives in its arenas, so abandoning the task leaks nothing.
 *
 * reset keeps at most `keep` bytes of chunk capacity and frees the rest;
 * mark/rewind gives stack-like release inside one chunk list (chunks taken
 * after the mark are kept as spares, not freed).  A mark is invalid after
 * arena_reset.  An allocation larger than the chunk size gets a chunk of
 * its own.  Statistics are exact: in_use counts every byte handed out plus
 * alignment padding; capacity and chunks count every chunk the arena owns.
 */
#ifndef COORD_BASE_ARENA_H
#define COORD_BASE_ARENA_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ArenaChunk ArenaChunk;

typedef struct Arena {
    ArenaChunk *chunk;      /* current chunk (head of the list) */
    char *ptr, *end;        /* bump region of the current chunk */
    size_t chunk_size;      /* default size of a new chunk */
    size_t keep;            /* capacity kept across arena_reset */
    size_t in_use;          /* bytes handed out (incl. alignment padding) */
    size_t high_water;      /* max in_use ever seen */
    size_t capacity;        /* bytes in all chunks */
    size_t chunks;          /* number of chunks */
    jmp_buf *oom;           /* if set: longjmp(*oom, 1) instead of NULL */
    ArenaChunk *spare;      /* owned, unused chunks kept for reuse (counted
                               in capacity and chunks) */
} Arena;

typedef struct ArenaMark {
    ArenaChunk *chunk;
    char *ptr;
    size_t in_use;
} ArenaMark;

typedef struct ArenaStats {
    size_t in_use, high_water, capacity, chunks;
} ArenaStats;

#define ARENA_DEFAULT_CHUNK (64u * 1024u)

void  arena_init(Arena *a, size_t chunk_size, size_t keep);
void  arena_free(Arena *a);                 /* release every chunk */
void  arena_reset(Arena *a);                /* drop everything, keep <= keep bytes */
void *arena_alloc(Arena *a, size_t size, size_t align);
/* Makes sure `size` more bytes fit in the current chunk, starting a chunk of
 * at least that size if they do not: one chunk for data whose total is known
 * up front (a module's source and what is derived from it).  false on
 * failure (or longjmp with an oom target). */
bool  arena_reserve(Arena *a, size_t size);
/* The same, but a chunk it starts has exactly `size` bytes, however small:
 * for small data of known total whose memory should not be the default
 * chunk size (a loaded result's few structs: a fresh page per module costs
 * a page fault each). */
bool  arena_reserve_exact(Arena *a, size_t size);
void *arena_zalloc(Arena *a, size_t size, size_t align);
void *arena_memdup(Arena *a, const void *p, size_t size);
char *arena_strndup(Arena *a, const char *s, size_t len); /* NUL-terminated */
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);
ArenaMark arena_mark(Arena *a);
void  arena_rewind(Arena *a, ArenaMark m);
ArenaStats arena_stats(const Arena *a);
static inline void arena_set_oom(Arena *a, jmp_buf *target) { a->oom = target; }

#define ARENA_NEW(a, T)          ((T *)arena_zalloc((a), sizeof(T), _Alignof(T)))
#define ARENA_ARRAY(a, T, n)     ((T *)arena_alloc((a), sizeof(T) * (size_t)(n), _Alignof(T)))
#define ARENA_ZARRAY(a, T, n)    ((T *)arena_zalloc((a), sizeof(T) * (size_t)(n), _Alignof(T)))

#endif
