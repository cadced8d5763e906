/* hash — xxHash3 (libxxhash-dev), the only hash coord uses. */
#ifndef COORD_BASE_HASH_H
#define COORD_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *p, size_t len);
uint64_t hash_bytes_seed(const void *p, size_t len, uint64_t seed);
/* hash_bytes_seed over the concatenation of the pieces, without copying
 * them (no allocation). */
typedef struct HashPiece { const void *p; size_t len; } HashPiece;
uint64_t hash_pieces(const HashPiece *pieces, size_t n, uint64_t seed);
/* xxh3-128 (cache keys: what identifies a source). */
void     hash_bytes128(const void *p, size_t len, uint64_t seed, uint64_t *hi, uint64_t *lo);
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

/* Allocation-free chained hash for fingerprints: bytes collect in a small
 * buffer, and each full buffer is hashed with the previous value as seed.
 * Not the same value as hash_bytes over the concatenation; stable for one
 * build (fingerprints never leave a cache written by the same build). */
typedef struct HashChain {
    uint64_t h;
    uint32_t n;
    unsigned char buf[248];
} HashChain;
void     hash_chain_init(HashChain *c, uint64_t seed);
void     hash_chain_add(HashChain *c, const void *p, size_t len);
void     hash_chain_u32(HashChain *c, uint32_t v);
void     hash_chain_str(HashChain *c, const char *s);   /* length, then bytes */
uint64_t hash_chain_end(HashChain *c);

/* "0.8.1": the xxHash headers this library was compiled with. */
const char *hash_xxhash_version(void);

#endif
