/* fuzz_cache — libFuzzer target over a cache entry's validation and the
 * loading of the result it holds (workers/cache_store.h, modules/result.h).
 *
 * One input is the bytes of one cache entry file.  It is taken as an entry
 * of the key and build id its own header names (so mutations reach past
 * those checks) and adopted twice: as it is, and once more with its checksum
 * recomputed (so mutations of lengths and sections reach the section checks
 * and result_view instead of stopping at the checksum).  Any input must be
 * rejected or accepted, never crash, leak or trip a sanitizer; and when
 * accepted:
 *   - every section lies inside the entry, 8-byte aligned;
 *   - encoding the accepted sections again gives exactly the input bytes
 *     (the format has one encoding per entry);
 *   - result_view either rejects the sections or gives a view whose digest
 *     and variant can be computed (every array it points to is readable).
 *
 * Built like fuzz_module.c (see the fuzz block of the Makefile): with
 * libFuzzer for `make fuzz`, and with -DFUZZ_REPLAY as a plain replayer of
 * tests/fuzz/cache_regressions/ for tests/ci_extra.sh.
 */
#include "base/arena.h"
#include "base/mem.h"
#include "modules/result.h"
#include "tests/unit/cache_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_cache: %s\n", what);
        abort();
    }
}

static void try_entry(const uint8_t *data, size_t size, bool reseal)
{
    uint64_t build = 0;
    CacheKey key = { 0, 0 };
    if (size >= 40) {
        memcpy(&build, data + 16, 8);
        memcpy(&key.hi, data + 24, 8);
        memcpy(&key.lo, data + 32, 8);
    }
    unsigned char *buf = mem_alloc(size);
    if (!buf)
        return;
    if (size)
        memcpy(buf, data, size);
    if (reseal)
        fix_reseal(buf, size);
    CacheEntry e;
    if (cache_entry_adopt(build, key, buf, size, &e, NULL) != 0) {
        mem_free(buf);
        return;
    }
    fuzz_check(e.section_count <= CACHE_MAX_SECTIONS, "too many sections accepted");
    for (uint32_t i = 0; i < e.section_count; i++) {
        const unsigned char *d = e.sections[i].data;
        fuzz_check(d >= buf && d <= buf + size && e.sections[i].len <= (uint64_t)(buf + size - d),
                   "a section outside the entry");
        fuzz_check(((uintptr_t)d & 7u) == 0, "a misaligned section");
    }
    void *again;
    size_t again_len;
    if (cache_entry_encode(build, key, e.variant, e.sections, e.section_count, &again, &again_len) == 0) {
        fuzz_check(again_len == size && memcmp(again, buf, size) == 0,
                   "encoding an accepted entry again gives other bytes");
        mem_free(again);
    }
    ResultSection rs[CACHE_MAX_SECTIONS];
    for (uint32_t i = 0; i < e.section_count; i++)
        rs[i] = (ResultSection){ e.sections[i].data, e.sections[i].len };
    Arena arena;
    arena_init(&arena, ARENA_DEFAULT_CHUNK, 0);
    ModuleResult r;
    if (result_view(rs, e.section_count, 1u << 20, &arena, &r)) {
        volatile uint64_t sink = result_digest(&r) ^ result_variant(&r);
        (void)sink;
    }
    arena_free(&arena);
    cache_entry_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64u << 20))
        return 0;
    try_entry(data, size, false);
    try_entry(data, size, true);
    return 0;
}

#define FUZZ_NAME "fuzz_cache"
#include "tests/fuzz/replay.h"
