/* intern — string intern table (see base/intern.h).
 *
 * Invariants:
 *  - slots has slot_mask+1 entries (a power of two); slots[i] is 0 (empty)
 *    or id+1, and slot_hash[i] the low 32 bits of hash_bytes of that string.
 *  - a string with hash h lives in the first slot of the probe sequence
 *    h & mask, h+1 & mask, ... that is not occupied by another string, and
 *    no empty slot lies between the start and it (linear probing, no
 *    deletion).
 *  - load: count <= 5/8 of the slots (grows before crossing that), so
 *    probing always reaches an empty slot.
 *  - strs/lens hold cap entries; ids 0..count-1 are valid.
 */
#include "base/intern.h"
#include "base/hash.h"

#include <assert.h>

static bool over_load(uint32_t count, uint32_t slots)
{
    return (uint64_t)count * 8 > (uint64_t)slots * 5;
}

bool intern_init(InternTable *t, Arena *arena, uint32_t expected)
{
    memset(t, 0, sizeof *t);
    t->arena = arena;
    uint64_t nslots = 16;
    while (over_load(expected, (uint32_t)nslots) && nslots < (1ull << 31))
        nslots *= 2;
    uint32_t cap = expected > 8 ? expected : 8;
    t->slots = ARENA_ZARRAY(arena, uint32_t, nslots);
    t->slot_hash = ARENA_ARRAY(arena, uint32_t, nslots);
    t->strs = ARENA_ARRAY(arena, const char *, cap);
    t->lens = ARENA_ARRAY(arena, uint32_t, cap);
    if (!t->slots || !t->slot_hash || !t->strs || !t->lens)
        return false;
    t->slot_mask = (uint32_t)(nslots - 1);
    t->cap = cap;
    return true;
}

static bool grow_slots(InternTable *t)
{
    uint64_t nslots = ((uint64_t)t->slot_mask + 1) * 2;
    if (nslots > (1ull << 31))
        return false;
    uint32_t *slots = ARENA_ZARRAY(t->arena, uint32_t, nslots);
    uint32_t *hashes = ARENA_ARRAY(t->arena, uint32_t, nslots);
    if (!slots || !hashes)
        return false;
    uint32_t mask = (uint32_t)(nslots - 1);
    for (uint32_t i = 0; i <= t->slot_mask; i++) {
        if (!t->slots[i])
            continue;
        uint32_t j = t->slot_hash[i] & mask;
        while (slots[j])
            j = (j + 1) & mask;
        slots[j] = t->slots[i];
        hashes[j] = t->slot_hash[i];
    }
    t->slots = slots;
    t->slot_hash = hashes;
    t->slot_mask = mask;
    return true;
}

static bool grow_ids(InternTable *t)
{
    uint64_t cap = (uint64_t)t->cap * 2;
    if (cap >= INTERN_NONE)
        cap = INTERN_NONE - 1;
    if (cap <= t->cap)
        return false;
    const char **strs = ARENA_ARRAY(t->arena, const char *, cap);
    uint32_t *lens = ARENA_ARRAY(t->arena, uint32_t, cap);
    if (!strs || !lens)
        return false;
    memcpy(strs, t->strs, sizeof *strs * t->count);
    memcpy(lens, t->lens, sizeof *lens * t->count);
    t->strs = strs;
    t->lens = lens;
    t->cap = (uint32_t)cap;
    return true;
}

/* The slot holding s, or the empty slot where it would go. */
static uint32_t find_slot(const InternTable *t, const char *s, size_t len, uint32_t h)
{
    uint32_t i = h & t->slot_mask;
    for (;;) {
        uint32_t v = t->slots[i];
        if (!v)
            return i;
        if (t->slot_hash[i] == h && t->lens[v - 1] == len && memcmp(t->strs[v - 1], s, len) == 0)
            return i;
        i = (i + 1) & t->slot_mask;
    }
}

uint32_t intern(InternTable *t, const char *s, size_t len)
{
    if (len > UINT32_MAX)
        return INTERN_NONE;
    uint32_t h = (uint32_t)hash_bytes(s, len);
    uint32_t i = find_slot(t, s, len, h);
    if (t->slots[i])
        return t->slots[i] - 1;
    /* Make room first, so a failure leaves the table as it was. */
    if (over_load(t->count + 1, t->slot_mask + 1)) {
        if (!grow_slots(t))
            return INTERN_NONE;
        i = find_slot(t, s, len, h);
    }
    if (t->count == t->cap && !grow_ids(t))
        return INTERN_NONE;
    char *copy = arena_strndup(t->arena, s, len);
    if (!copy)
        return INTERN_NONE;
    uint32_t id = t->count++;
    t->strs[id] = copy;
    t->lens[id] = (uint32_t)len;
    t->slots[i] = id + 1;
    t->slot_hash[i] = h;
    return id;
}

uint32_t intern_lookup(const InternTable *t, const char *s, size_t len)
{
    if (len > UINT32_MAX)
        return INTERN_NONE;
    uint32_t i = find_slot(t, s, len, (uint32_t)hash_bytes(s, len));
    return t->slots[i] ? t->slots[i] - 1 : INTERN_NONE;
}

const char *intern_str(const InternTable *t, uint32_t id)
{
    assert(id < t->count);
    return t->strs[id];
}

uint32_t intern_len(const InternTable *t, uint32_t id)
{
    assert(id < t->count);
    return t->lens[id];
}
