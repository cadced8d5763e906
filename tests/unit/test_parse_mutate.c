/* Robustness of the parse phase: seeded random mutations of the golden
 * inputs (byte flips, deletions, duplications and insertions of ranges and
 * of token fragments) must never crash, leak, or produce a report whose span
 * is outside [0, len] or reversed, and no token may be reported twice with
 * the same code.  COORD_PARSE_MUTATIONS sets the count (default 5000; `make
 * fuzz-parse` runs 100000); COORD_PARSE_SEED the seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules/phases.h"

typedef struct Input {
    char *data;
    size_t len;
} Input;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic for a given seed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static size_t load_inputs(Input *in, size_t max)
{
    DIR *dir = opendir("tests/parse");
    assert_non_null(dir);
    char *names[512];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && nn < 512) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".kite") == 0) names[nn++] = strdup(e->d_name);
    }
    closedir(dir);
    /* Sorted, so a seed means the same run everywhere. */
    for (size_t i = 1; i < nn; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t;
        }
    size_t n = 0;
    for (size_t i = 0; i < nn; i++) {
        char path[600], err[600];
        snprintf(path, sizeof path, "tests/parse/%s", names[i]);
        snprintf(err, sizeof err, "tests/parse/%.*s.err", (int)(strlen(names[i]) - 5), names[i]);
        FILE *ef = fopen(err, "rb");
        if (ef) { fclose(ef); free(names[i]); continue; }       /* valid files only */
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        in[n].data = malloc((size_t)len + 1);
        assert_int_equal(fread(in[n].data, 1, (size_t)len, f), (size_t)len);
        in[n].len = (size_t)len;
        fclose(f);
        free(names[i]);
        if (++n == max) break;
    }
    return n;
}

static const char *const fragments[] = {
    "(", ")", "{", "}", ",", "->", "=", "|", "fn", "let", "in", "if", "then", "else", "match",
    "type", "import", "module", "exposing", "(..)", "\"", "\\", "#", "\n", "\nfn ", "\nlet ",
    "-", "_", "9223372036854775808", "A.", ".", "\xc3\xa9", "\xff", "$", "&&", "<", "<",
};

static size_t mutate(char *buf, size_t len, size_t cap)
{
    int steps = 1 + (int)below(4);
    for (int s = 0; s < steps; s++) {
        switch (below(5)) {
        case 0:   /* flip a byte: mostly printable, sometimes anything (NUL, invalid UTF-8) */
            if (len) buf[below(len)] = below(8) ? (char)(0x20 + below(95)) : (char)rnd();
            break;
        case 1: { /* delete a range */
            if (!len) break;
            size_t at = below(len), n = 1 + below(len - at < 16 ? len - at : 16);
            memmove(buf + at, buf + at + n, len - at - n);
            len -= n;
            break;
        }
        case 2: { /* duplicate a range */
            if (!len) break;
            size_t at = below(len), n = 1 + below(len - at < 32 ? len - at : 32);
            if (len + n > cap) break;
            size_t to = below(len + 1);
            char tmp[32];
            memcpy(tmp, buf + at, n);
            memmove(buf + to + n, buf + to, len - to);
            memcpy(buf + to, tmp, n);
            len += n;
            break;
        }
        default: { /* insert a token fragment */
            const char *f = fragments[below(sizeof fragments / sizeof *fragments)];
            size_t n = strlen(f), to = below(len + 1);
            if (len + n > cap) break;
            memmove(buf + to + n, buf + to, len - to);
            memcpy(buf + to, f, n);
            len += n;
            break;
        }
        }
    }
    return len;
}

static void test_mutations(void **state)
{
    (void)state;
    const char *env = getenv("COORD_PARSE_MUTATIONS");
    long total = env ? atol(env) : 5000;
    const char *seed = getenv("COORD_PARSE_SEED");
    rng_state = seed ? strtoull(seed, NULL, 10) * 2 + 1 : 0x9E3779B97F4A7C15ull;

    Input in[256];
    size_t nin = load_inputs(in, 256);
    assert_true(nin >= 5);
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);

    Arena keep, ast, scratch;
    arena_init(&keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ast, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, ARENA_DEFAULT_CHUNK);
    long ok = 0, failed = 0, reports = 0;
    for (long i = 0; i < total; i++) {
        const Input *src = &in[below(nin)];
        size_t len = src->len < cap ? src->len : cap;
        memcpy(buf, src->data, len);
        len = mutate(buf, len, cap);

        ParseOutput out;
        PhaseStatus st = parse_module(buf, (uint32_t)len, &keep, &ast, &scratch, &out);
        if (st != PHASE_OK && st != PHASE_FAILED) {
            fprintf(stderr, "mutation %ld: status %d\n", i, (int)st);
            fail();
        }
        for (uint32_t r = 0; r < out.reports.count; r++) {
            const Report *rp = &out.reports.items[r];
            if (!(rp->start <= rp->end && rp->end <= len)) {
                fprintf(stderr, "mutation %ld: bad span %u-%u (len %zu): %s\n", i, rp->start,
                        rp->end, len, rp->message);
                fail();
            }
            for (uint32_t q = 0; q < r; q++)
                if (out.reports.items[q].start == rp->start && out.reports.items[q].code == rp->code) {
                    fprintf(stderr, "mutation %ld: reported twice at %u: %s\n", i, rp->start, rp->message);
                    if (getenv("COORD_PARSE_SHOW")) fprintf(stderr, "%.*s\n", (int)len, buf);
                    fail();
                }
        }
        reports += out.reports.count;
        if (st == PHASE_OK) {
            ok++;
            assert_non_null(out.ast);
            assert_non_null(out.iface);
            ast_dump(sink, out.ast);
            for (uint32_t d = 0; d < ast_list_len(out.ast, out.ast->decls); d++) {
                uint32_t s, e;
                ast_node_span(out.ast, ast_list_at(out.ast, out.ast->decls, d), &s, &e);
                assert_true(s <= e && e <= len);
            }
        } else {
            failed++;
            assert_null(out.ast);
            assert_true(out.reports.count > 0);
        }
        arena_reset(&keep);
        arena_reset(&ast);
        arena_reset(&scratch);
    }
    fprintf(stderr, "mutations: %ld parsed (%ld ok, %ld failed), %ld reports\n", total, ok, failed,
            reports);
    arena_free(&keep);
    arena_free(&ast);
    arena_free(&scratch);
    fclose(sink);
    free(buf);
    for (size_t i = 0; i < nin; i++) free(in[i].data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
