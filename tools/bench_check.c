/* bench_check — front-end throughput on a generated multi-module corpus.
 *
 * Generates MODULES modules of about LINES_PER_MODULE lines each in memory
 * (each imports the previous one and uses its exports: ADTs, matches,
 * lambdas, local lets, cross-module calls), runs parse, canonicalize and
 * typecheck of every module on one thread in dependency order (the test
 * harness), and prints lines/s per phase and for the three together.
 * Usage: bench_check [modules] [blocks-per-module].  Never fails on a figure;
 * exits 1 only if the corpus does not check cleanly (a generator bug).
 */
#include "tests/unit/harness.h"

#include <stdarg.h>

typedef struct Buf {
    char *p;
    size_t len, cap;
} Buf;

static void put(Buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 1024;
        b->p = realloc(b->p, b->cap);
    }
}

static void gen_module(Buf *b, uint32_t i, uint32_t blocks)
{
    b->len = 0;
    put(b, "module Gen.M%u exposing (List(..), Shape(..), map, len", i);
    for (uint32_t k = 0; k < blocks; k++)
        put(b, ", f%u, g%u", k, k);
    put(b, ")\n\n");
    if (i > 0)
        put(b, "import Gen.M%u as P\n\n", i - 1);
    put(b, "type List(a) = Cons(a, List(a)) | Nil\n"
           "type Shape = Circle(Int) | Rect(Int, Int) | Dot\n\n"
           "fn map(f, xs) =\n"
           "  match xs {\n"
           "    Nil -> Nil,\n"
           "    Cons(x, rest) -> Cons(f(x), map(f, rest)),\n"
           "  }\n\n"
           "fn len(xs) = match xs { Nil -> 0, Cons(_, rest) -> 1 + len(rest) }\n\n");
    for (uint32_t k = 0; k < blocks; k++) {
        put(b, "# block %u\n", k);
        put(b, "fn f%u(x, y) =\n", k);
        put(b, "  let a = x + y * %u in\n", k);
        put(b, "  let b = if a > 10 then a - 1 else a + 1 in\n");
        put(b, "  match Cons(a, Cons(b, Nil)) {\n");
        put(b, "    Cons(h, _) -> h + len(map(fn(v) -> v * 2, Cons(b, Nil))),\n");
        put(b, "    Nil -> 0,\n");
        put(b, "  }\n\n");
        put(b, "fn g%u(s: Shape) -> Int =\n", k);
        put(b, "  match s {\n");
        put(b, "    Circle(r) -> f%u(r, 1),\n", k);
        if (i > 0)
            put(b, "    Rect(w, h) -> w * h + P.f%u(w, h) + P.len(P.Cons(w, P.Nil)),\n", k);
        else
            put(b, "    Rect(w, h) -> w * h,\n");
        put(b, "    Dot -> 0,\n");
        put(b, "  }\n\n");
        put(b, "let v%u = (g%u(Rect(%u, 2)), \"item\" ++ \"%u\", fn(p) -> match p { (true, n) -> n, (false, _) -> 0 })\n\n",
            k, k, k, k);
    }
}

int main(int argc, char **argv)
{
    uint32_t modules = argc > 1 ? (uint32_t)atoi(argv[1]) : 240;
    uint32_t blocks = argc > 2 ? (uint32_t)atoi(argv[2]) : 55;
    Harness h;
    harness_init(&h);
    h.release_phase_data = true;   /* memory behaves as in coord */
    Buf b = { malloc(1 << 16), 0, 1 << 16 };
    uint64_t lines = 0, bytes = 0;
    for (uint32_t i = 0; i < modules; i++) {
        gen_module(&b, i, blocks);
        for (size_t k = 0; k < b.len; k++)
            lines += b.p[k] == '\n';
        bytes += b.len;
        char path[64];
        snprintf(path, sizeof path, "Gen/M%u.kite", i);
        harness_add_source(&h, path, b.p, (uint32_t)b.len);
    }
    free(b.p);
    harness_run(&h);
    uint32_t reports = 0;
    for (uint32_t i = 0; i < h.count; i++) {
        HModule *m = &h.mods[i];
        reports += m->po.reports.count + m->co.reports.count + m->ko.reports.count;
        if (m->ks != PHASE_OK || !m->checked)
            reports++;
    }
    printf("bench-check: %u modules, %llu lines, %.1f MB\n", modules,
           (unsigned long long)lines, bytes / 1e6);
    printf("  parse         %8.3f s  %12.0f lines/s\n", h.parse_s, lines / h.parse_s);
    printf("  canonicalize  %8.3f s  %12.0f lines/s\n", h.canon_s, lines / h.canon_s);
    printf("  typecheck     %8.3f s  %12.0f lines/s\n", h.check_s, lines / h.check_s);
    double all = h.parse_s + h.canon_s + h.check_s;
    printf("  all three     %8.3f s  %12.0f lines/s (target 1000000)\n", all, lines / all);
    if (reports) {
        char *out = harness_output(&h);
        fprintf(stderr, "bench-check: the corpus has %u reports (generator bug):\n%.2000s\n",
                reports, out);
        free(out);
    }
    harness_free(&h);
    return reports ? 1 : 0;
}
