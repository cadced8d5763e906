/* fuzz_module — libFuzzer target over one module's phases.
 *
 * One input is the source of one module.  It goes through parse_module
 * (tokenize + parse) -> canon_module -> check_module, with every import
 * treated as unavailable (a NULL interface / artifact: poisoned names, as for
 * a failed or missing import), exactly as the coordinator would run a module
 * whose imports all failed.  Any input must give a status and reports, never
 * a crash, a sanitizer report, a leak or a compiler bug:
 *   - PHASE_INTERNAL (E0902) is a bug: abort so libFuzzer keeps the input;
 *   - every report's span lies inside the source.
 * Inputs that start with a result-cache entry's magic are cache entries
 * instead (fuzz_cache_entry below); make fuzz seeds them from a warm cache.
 *
 * Built two ways (see the fuzz block at the end of the Makefile):
 *   clang -fsanitize=fuzzer,...    the libFuzzer binary (make fuzz);
 *   cc -DFUZZ_REPLAY ...           a plain main() that replays the files or
 *                                  directories given as arguments, for CI
 *                                  (tests/ci_extra.sh) without libFuzzer.
 */
#include "base/arena.h"
#include "modules/phases.h"
#include "modules/result.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_span(ReportSpan r, size_t len, const char *phase)
{
    for (uint32_t i = 0; i < r.count; i++) {
        const Report *x = &r.items[i];
        if (x->start > x->end || x->end > len || !x->message) {
            fprintf(stderr, "fuzz_module: %s report %u has a bad span [%u, %u) (len %zu)\n",
                    phase, i, x->start, x->end, len);
            abort();
        }
    }
}

static void bug_if_internal(PhaseStatus st, const char *phase)
{
    if (st == PHASE_INTERNAL) {
        fprintf(stderr, "fuzz_module: %s returned PHASE_INTERNAL\n", phase);
        abort();
    }
}

/* ASan fills only the first 4 KiB of a fresh malloc block with 0xbe; arena
 * chunks are bigger, so a phase reading arena memory it never wrote would see
 * whatever the previous input left there, and a crash would not replay.
 * Filling whole chunks makes such reads deterministic (0xbe is not a valid
 * bool, an unlikely index, ...). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "max_malloc_fill_size=16777216";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An input that starts like a result-cache entry (workers/cache_store.h:
 * magic, version, section count, ..., the section lengths at 64, then the
 * sections 8-byte aligned) is one: its sections go through result_view
 * (checksum and build id are deliberately not checked, so mutations reach
 * the view), and a view it accepts is used the way a run would: every
 * value's type printed, every exported name fingerprinted, the digests. */
static void fuzz_cache_entry(const uint8_t *data, size_t size)
{
    uint64_t *buf = malloc((size / 8 + 1) * 8);     /* 8-byte aligned */
    if (!buf) return;
    memcpy(buf, data, size);
    const char *bytes = (const char *)buf;
    uint32_t n;
    memcpy(&n, bytes + 12, sizeof n);
    ResultSection secs[64];
    size_t at = 64 + (size_t)n * 8;
    if (n > 64 || at > size) {
        free(buf);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t len;
        memcpy(&len, bytes + 64 + i * 8, sizeof len);
        if (len > size - at) {
            free(buf);
            return;
        }
        secs[i].data = bytes + at;
        secs[i].len = len;
        at += (size_t)((len + 7) & ~(uint64_t)7);
        if (at > size) at = size;
    }
    Arena a;
    arena_init(&a, ARENA_DEFAULT_CHUNK, 0);
    ModuleResult r;
    if (result_view(secs, n, 1u << 24, &a, &r)) {
        for (uint32_t v = 0; v < artifact_value_count(r.artifact); v++) {
            const char *name = artifact_value_name(r.artifact, v);
            if (!artifact_value_type_string(r.artifact, v, &a)) abort();
            (void)artifact_fingerprint(r.artifact, DEP_VALUE, name);
        }
        for (uint32_t t = 0; t < r.iface->type_count; t++)
            (void)artifact_fingerprint(r.artifact, DEP_TYPE, iface_str(r.iface, r.iface->types[t].name));
        for (uint32_t c = 0; c < r.iface->ctor_count; c++)
            (void)artifact_fingerprint(r.artifact, DEP_CTOR, iface_str(r.iface, r.iface->ctors[c].name));
        (void)iface_fingerprint(r.iface);
        (void)result_digest(&r);
        (void)result_variant(&r);
    }
    arena_free(&a);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 64 && memcmp(data, "coordce", 8) == 0) {
        fuzz_cache_entry(data, size);
        return 0;
    }
    if (size > UINT32_MAX - 1) return 0;
    /* The coordinator hands phases a NUL-terminated copy of the file. */
    char *src = malloc(size + 1);
    if (!src) return 0;
    if (size) memcpy(src, data, size);
    src[size] = '\0';

    Arena keep, ast, ir, scratch;
    arena_init(&keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ast, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ir, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 0);

    ParseOutput po;
    memset(&po, 0, sizeof po);
    PhaseStatus st = parse_module(src, (uint32_t)size, &keep, &ast, &scratch, &po);
    bug_if_internal(st, "parse_module");
    check_span(po.reports, size, "parse");
    arena_reset(&scratch);

    if (st == PHASE_OK) {
        uint32_t n = ast_list_len(po.ast, po.ast->imports);
        const NameIface **ifaces = calloc((size_t)n + 1, sizeof *ifaces);
        const Artifact **arts = calloc((size_t)n + 1, sizeof *arts);
        if (!ifaces || !arts) abort();
        CanonOutput co;
        memset(&co, 0, sizeof co);
        st = canon_module(po.ast, po.iface, (const NameIface *const *)ifaces, n,
                          &keep, &ir, &scratch, true, &co);
        bug_if_internal(st, "canon_module");
        check_span(co.reports, size, "canon");
        arena_reset(&scratch);
        if (st == PHASE_OK) {
            CheckOutput ck;
            memset(&ck, 0, sizeof ck);
            st = check_module(co.ir, (const Artifact *const *)arts, n, &keep, &scratch, DEPS_KEEP, &ck);
            bug_if_internal(st, "check_module");
            check_span(ck.reports, size, "check");
        }
        free(ifaces);
        free(arts);
    }

    arena_free(&scratch);
    arena_free(&ir);
    arena_free(&ast);
    arena_free(&keep);
    free(src);
    return 0;
}

#define FUZZ_NAME "fuzz_module"
#include "tests/fuzz/replay.h"
