/* hash — thin wrappers over xxHash3 (header-only use: XXH_INLINE_ALL). */
#include "base/hash.h"
#include "base/mem.h"

#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t hash_bytes(const void *p, size_t len)
{
    return XXH3_64bits(p, len);
}

uint64_t hash_bytes_seed(const void *p, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, len, seed);
}

uint64_t hash_pieces(const HashPiece *pieces, size_t n, uint64_t seed)
{
    XXH3_state_t st;            /* aligned by its type */
    XXH3_INITSTATE(&st);
    XXH3_64bits_reset_withSeed(&st, seed);
    for (size_t i = 0; i < n; i++)
        if (pieces[i].len)
            XXH3_64bits_update(&st, pieces[i].p, pieces[i].len);
    return XXH3_64bits_digest(&st);
}

void hash_bytes128(const void *p, size_t len, uint64_t seed, uint64_t *hi, uint64_t *lo)
{
    XXH128_hash_t h = XXH3_128bits_withSeed(p, len, seed);
    *hi = h.high64;
    *lo = h.low64;
}

/* XXH3_state_t wants 64-byte alignment, more than malloc promises, and its
 * memory must come from the choke point: over-allocate, align, and keep the
 * raw pointer just below the aligned state. */
enum { STATE_ALIGN = 64 };

int hash_stream_begin(HashState *s)
{
    size_t raw_size = sizeof(XXH3_state_t) + STATE_ALIGN + sizeof(void *);
    char *raw = mem_alloc(raw_size);
    if (!raw) {
        s->xxh = NULL;
        return 0;
    }
    uintptr_t at = ((uintptr_t)raw + sizeof(void *) + STATE_ALIGN - 1) & ~(uintptr_t)(STATE_ALIGN - 1);
    XXH3_state_t *st = (XXH3_state_t *)at;
    ((void **)st)[-1] = raw;
    XXH3_INITSTATE(st);
    XXH3_64bits_reset(st);
    s->xxh = st;
    return 1;
}

void hash_stream_add(HashState *s, const void *p, size_t len)
{
    if (len)
        XXH3_64bits_update((XXH3_state_t *)s->xxh, p, len);
}

uint64_t hash_stream_end(HashState *s)
{
    XXH3_state_t *st = s->xxh;
    uint64_t h = XXH3_64bits_digest(st);
    mem_free(((void **)st)[-1]);
    s->xxh = NULL;
    return h;
}

void hash_chain_init(HashChain *c, uint64_t seed)
{
    c->h = seed;
    c->n = 0;
}

static void chain_flush(HashChain *c)
{
    c->h = XXH3_64bits_withSeed(c->buf, c->n, c->h);
    c->n = 0;
}

void hash_chain_add(HashChain *c, const void *p, size_t len)
{
    const unsigned char *b = p;
    while (len > 0) {
        if (c->n == sizeof c->buf)
            chain_flush(c);
        size_t k = sizeof c->buf - c->n;
        if (k > len)
            k = len;
        memcpy(c->buf + c->n, b, k);
        c->n += (uint32_t)k;
        b += k;
        len -= k;
    }
}

void hash_chain_u32(HashChain *c, uint32_t v)
{
    hash_chain_add(c, &v, sizeof v);
}

void hash_chain_str(HashChain *c, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    hash_chain_u32(c, (uint32_t)len);
    hash_chain_add(c, s, len);
}

uint64_t hash_chain_end(HashChain *c)
{
    chain_flush(c);
    return c->h;
}

#define HASH_STR_(x) #x
#define HASH_STR(x) HASH_STR_(x)

const char *hash_xxhash_version(void)
{
    return HASH_STR(XXH_VERSION_MAJOR) "." HASH_STR(XXH_VERSION_MINOR) "." HASH_STR(XXH_VERSION_RELEASE);
}
