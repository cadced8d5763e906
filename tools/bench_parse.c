/* bench_parse — tokenize+parse throughput of parse_module on one core.
 *
 * Generates in memory a corpus of modules (>= 200,000 lines of valid Kite
 * using every syntax form), parses each module the way a worker does
 * (durable arenas per module, a scratch arena reset between tasks), and
 * prints lines/s, MB/s, bytes per token and per AST node.  Then parses one
 * generated 50 MB module to show size is no problem.  Prints figures; never
 * fails on a number, only on a wrong result (a report or a failed phase).
 *
 *   bench_parse [lines]      (default 240000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modules/phases.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One module of about `lines` lines; returns its text (malloc'd). */
static char *gen_module(unsigned id, unsigned lines, size_t *len, unsigned *out_lines)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    unsigned n = 0;
    fprintf(m, "module Bench.M%u exposing (f0, Shape(..), Option(..), total)\n\n", id);
    fprintf(m, "import Bench.Base as B exposing (fold, map)\nimport Util.Strings\n\n");
    fprintf(m, "type Option(a) = Some(a) | None\n");
    fprintf(m, "type Shape =\n  | Circle(Int)\n  | Rect(Int, Int)\n  | Poly(B.List((Int, Int)))\n\n");
    n += 11;
    for (unsigned i = 0; n < lines; i++) {
        fprintf(m,
                "# function %u computes something\n"
                "fn f%u(s: Shape, k: Int, xs) -> Option(Int) =\n"
                "  let base = k * %u + 1 in\n"
                "  match s {\n"
                "    Circle(r) -> Some(3 * r * r + base),\n"
                "    Rect(w, h) -> if w > 0 && h > 0 then Some(w * h) else None,\n"
                "    Poly(ps) -> Some(fold(ps, 0, fn(acc, p) -> acc + (match p { (x, _) -> x }))),\n"
                "  }\n"
                "\n"
                "let v%u: (Int, Str) = (-%u, \"value \\\"%u\\\"\\n\" ++ Util.Strings.show(%u))\n"
                "fn g%u(a, b) = a == b || (a < b && !(a - b >= 10)) || a %% 3 != 0\n\n",
                i, i, i, i, i, i, i, i);
        n += 12;
    }
    fprintf(m, "fn total(xs) = B.fold(xs, 0, fn(a, b) -> a + b)\n");
    n++;
    fclose(m);
    *out_lines = n;
    return buf;
}

int main(int argc, char **argv)
{
    unsigned want = argc > 1 ? (unsigned)atoi(argv[1]) : 240000;
    const unsigned per_module = 2400;
    unsigned nmod = (want + per_module - 1) / per_module;
    char **mods = malloc(sizeof *mods * nmod);
    size_t *lens = malloc(sizeof *lens * nmod);
    unsigned long long total_lines = 0, total_bytes = 0;
    for (unsigned i = 0; i < nmod; i++) {
        unsigned l;
        mods[i] = gen_module(i, per_module, &lens[i], &l);
        total_lines += l;
        total_bytes += lens[i];
    }

    Arena keep, ast, scratch;
    arena_init(&keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&ast, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, 8u << 20);
    unsigned long long tokens = 0, nodes = 0, extra = 0, ast_bytes = 0;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        for (unsigned i = 0; i < nmod; i++) {
            ParseOutput out;
            PhaseStatus st = parse_module(mods[i], (uint32_t)lens[i], &keep, &ast, &scratch, &out);
            if (st != PHASE_OK || out.reports.count != 0) {
                fprintf(stderr, "bench_parse: module %u did not parse cleanly (%u reports)\n", i,
                        out.reports.count);
                return 1;
            }
            if (rep == 0) {
                tokens += out.ast->tok_count;
                nodes += out.ast->node_count;
                extra += out.ast->extra_count;
                ast_bytes += arena_stats(&ast).in_use;
            }
            arena_reset(&keep);
            arena_reset(&ast);
            arena_reset(&scratch);
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("corpus: %u modules, %llu lines, %.1f MB, %llu tokens, %llu nodes\n", nmod, total_lines,
           (double)total_bytes / 1e6, tokens, nodes);
    printf("tokenize+parse (+ name interface), best of 5: %.3f s\n", best);
    printf("  %.2f M lines/s   %.1f MB/s   (target 2 M lines/s)\n", (double)total_lines / best / 1e6,
           (double)total_bytes / best / 1e6);
    printf("  tokens: 5 bytes each in the AST (kind 1 + start 4); %.2f source bytes per token\n",
           (double)total_bytes / (double)tokens);
    printf("  nodes: 13 bytes each + %.2f extra words per node = %.1f bytes per node;"
           " whole AST arena %.1f bytes per node\n",
           (double)extra / (double)nodes, 13.0 + 4.0 * (double)extra / (double)nodes,
           (double)ast_bytes / (double)nodes);

    /* One 50 MB module. */
    size_t big_len;
    unsigned big_lines;
    char *big = gen_module(9999, 1250000, &big_len, &big_lines);
    double t0 = now();
    ParseOutput out;
    PhaseStatus st = parse_module(big, (uint32_t)big_len, &keep, &ast, &scratch, &out);
    double dt = now() - t0;
    if (st != PHASE_OK || out.reports.count != 0) {
        fprintf(stderr, "bench_parse: the big module did not parse cleanly\n");
        return 1;
    }
    printf("one module of %.1f MB, %u lines, %u tokens, %u nodes: %.3f s (%.2f M lines/s);"
           " AST arena %.1f MB, scratch high water %.1f MB\n",
           (double)big_len / 1e6, big_lines, out.ast->tok_count, out.ast->node_count, dt,
           (double)big_lines / dt / 1e6, (double)arena_stats(&ast).in_use / 1e6,
           (double)arena_stats(&scratch).high_water / 1e6);

    arena_free(&keep);
    arena_free(&ast);
    arena_free(&scratch);
    free(big);
    for (unsigned i = 0; i < nmod; i++) free(mods[i]);
    free(mods);
    free(lens);
    return 0;
}
