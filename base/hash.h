/* hash — xxHash3 (libxxhash-dev), the only hash coord uses. */
#ifndef COORD_BASE_HASH_H
#define COORD_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *p, size_t len);
uint64_t hash_bytes_seed(const void *p, size_t len, uint64_t seed);
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* Streaming hash (for interface hashes over several arrays). */
typedef struct HashState { void *xxh; } HashState;  /* opaque XXH3 state */
int      hash_stream_begin(HashState *s);           /* 0 on allocation failure */
void     hash_stream_add(HashState *s, const void *p, size_t len);
uint64_t hash_stream_end(HashState *s);             /* frees the state */

/* "0.8.1": the xxHash headers this library was compiled with. */
const char *hash_xxhash_version(void);

#endif
