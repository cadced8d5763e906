/* gen — the synthetic Kite module generator (issue 6).
 *
 *   gen --out DIR --modules N --shape layered|random|chain|wide|tree|include
 *       --fanout K --lines L --seed S [--errors K] [--cycles K] [--missing K]
 *       [--topology FILE] [--tiny]
 *
 * writes a source tree of N modules under DIR (module A.B.C at DIR/A/B/C.kite)
 * and DIR/expected.txt: one line `CODE MODULE LINE` per report `coord check`
 * must give, sorted like coord sorts (module name bytes, line, code).
 *
 * Invariants the expected reports rest on:
 * - Every top-level name carries its module's index as a suffix (`value42`,
 *   `Shape42`), so names imported through `exposing` never clash with each
 *   other or with the importer's own names, and a module's API is known from
 *   its index alone.
 * - Every import is used (no W0201): the body of `value<i>` uses each import.
 * - Injected errors live in one private, one-line declaration `broken<i>` at
 *   the very end of the file, so the report's line is that line, a syntax
 *   error has nothing after it to resynchronise on, and dependents only see
 *   exported names whose types are annotated (they report nothing).  Half of
 *   them are called from `value<i>`, so a poisoned name is used in the module
 *   itself too (and must cause no second report).
 * - Modules with several imports pick a style per import: qualified
 *   (`M.f`), aliased (`import M as Q1`, aliases shadow no module name) or
 *   `exposing (value<d>, fold<d>, Shape<d>(..), Lst<d>(..))`, all used.
 * - Shapes (deps of module i): layered (layers of about sqrt(N) modules, K
 *   imports mostly from the layer below), random (K of the modules before
 *   i), chain (i - 1), wide (K hubs imported by every other module), tree
 *   (a K-ary tree: i imports K*i+1 .. K*i+K), include (shaped like a C
 *   include graph: module i imports 1..2K-1 of the modules before it, each
 *   pick floor(i * u^3) for u uniform in [0, 1), so the fan-in of module j
 *   falls off as a power law, about j^(-2/3): the first few modules are
 *   imported by thousands, most by none).  --topology FILE takes the
 *   graph from `name: dep dep ...` lines instead (names made valid by
 *   capitalising and replacing bad characters, duplicates get _2, _3, ...;
 *   deps never declared become modules without imports).
 * - Imports inside an import cycle (and imports of missing modules) are
 *   qualified and only call `value<d>`: their names are poisoned, so they give
 *   no report besides the one E0402 / E0401.
 * - E0402 is computed from the final graph exactly as LANGUAGE.md section 2
 *   says: one per strongly connected component (or self-import), on the
 *   smallest module S, at S's import of the first module of the shortest
 *   cycle back to S, ties broken by the smaller name.
 * - --tiny writes the same API with each definition on one line and no
 *   padding helpers (about 20 lines a module, whatever --lines says): a tree
 *   of many tiny files.
 * - Everything is a function of the options: one splitmix64 stream drives
 *   every choice, in a fixed order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---- small utilities ---------------------------------------------------- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

typedef struct IntVec { int *v; int n, cap; } IntVec;

static void iv_push(IntVec *a, int x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4;
        a->v = xrealloc(a->v, sizeof(int) * (size_t)a->cap);
    }
    a->v[a->n++] = x;
}

static int iv_has(const IntVec *a, int x)
{
    for (int i = 0; i < a->n; i++)
        if (a->v[i] == x) return 1;
    return 0;
}

/* A growable text buffer that counts the lines it holds. */
typedef struct Text { char *s; size_t n, cap; int lines; } Text;

static void tx_vprintf(Text *t, const char *fmt, va_list ap0)
{
    if (!t->s) {
        t->cap = 256;
        t->s = xrealloc(NULL, t->cap);
    }
    for (;;) {
        va_list ap;
        va_copy(ap, ap0);
        size_t room = t->cap - t->n;
        int k = vsnprintf(t->s + t->n, room, fmt, ap);
        va_end(ap);
        if (k < 0) die("formatting failed");
        if ((size_t)k < room) {
            for (int i = 0; i < k; i++)
                if (t->s[t->n + (size_t)i] == '\n') t->lines++;
            t->n += (size_t)k;
            return;
        }
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->s = xrealloc(t->s, t->cap);
    }
}

static void tx_printf(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tx_printf(Text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tx_vprintf(t, fmt, ap);
    va_end(ap);
}

/* The line the next text will start on (1-based). */
static int tx_line(const Text *t) { return t->lines + 1; }

/* ---- PRNG: splitmix64 ----------------------------------------------------- */

typedef struct Rng { uint64_t s; } Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1 (rejection keeps it unbiased). */
static int rng_below(Rng *r, int n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % (uint64_t)n;
    uint64_t x;
    do x = rng_next(r); while (x >= lim);
    return (int)(x % (uint64_t)n);
}

/* ---- the build being generated ------------------------------------------ */

typedef enum { ST_QUAL, ST_ALIAS, ST_EXPOSE } ImportStyle;
typedef enum { ERR_NONE, ERR_TYPE, ERR_SYNTAX, ERR_UNKNOWN } ErrKind;

typedef struct Module {
    char *name;          /* A.B.C */
    IntVec deps;         /* imports of generated modules, in file order */
    int *style;          /* per dep */
    int *import_line;    /* per dep: line of its `import` */
    char **missing;      /* imports of modules that do not exist */
    int nmissing;
    int *missing_line;
    ErrKind err;
    int err_line;
    int err_called;      /* value<i> calls broken<i> */
    int comp;            /* SCC id */
} Module;

typedef struct Gen {
    Module *m;
    int n;
    Rng rng;
    int fanout, lines;
    int tiny;            /* --tiny: one line per definition, no helpers */
    int ncomp;
    int *comp_size;
    char **first_parts;  /* sorted first components of module names */
    int nfirst;
} Gen;

typedef struct Expect { const char *code; const char *module; int line; } Expect;

/* ---- module names ------------------------------------------------------- */

static int digits(int x)
{
    int d = 1;
    while (x >= 10) { x /= 10; d++; }
    return d;
}

static char *fmt_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_name(const char *fmt, ...)
{
    Text t = {0};
    va_list ap;
    va_start(ap, fmt);
    tx_vprintf(&t, fmt, ap);
    va_end(ap);
    return t.s;
}

/* One component of a topology name -> an upper identifier. */
static void sanitize_part(Text *out, const char *p, size_t len)
{
    if (len == 0) { tx_printf(out, "X"); return; }
    if (isupper((unsigned char)p[0])) {
        tx_printf(out, "%c", p[0]);
    } else if (islower((unsigned char)p[0])) {
        tx_printf(out, "%c", toupper((unsigned char)p[0]));
    } else {
        tx_printf(out, "M");
        tx_printf(out, "%c", isalnum((unsigned char)p[0]) || p[0] == '_' ? p[0] : '_');
    }
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        tx_printf(out, "%c", (c < 128 && (isalnum(c) || c == '_')) ? (char)c : '_');
    }
}

/* Any string -> a valid module name: components split at '.' and '/'. */
static char *sanitize_name(const char *raw)
{
    Text t = {0};
    const char *p = raw;
    int first = 1;
    for (;;) {
        size_t len = strcspn(p, "./");
        if (len > 0 || (p[len] == '\0' && first)) {
            if (!first) tx_printf(&t, ".");
            sanitize_part(&t, p, len);
            first = 0;
        }
        if (p[len] == '\0') break;
        p += len + 1;
    }
    return t.s;
}

/* ---- graph shapes --------------------------------------------------------- */

static void add_dep(Module *m, int d)
{
    if (!iv_has(&m->deps, d)) iv_push(&m->deps, d);
}

/* k distinct random picks from [lo, hi) added as deps of m. */
static void pick_deps(Gen *g, Module *m, int lo, int hi, int k)
{
    int span = hi - lo;
    if (span <= 0) return;
    if (k > span) k = span;
    int added = 0, tries = 0;
    while (added < k && tries < 64 * k) {
        int d = lo + rng_below(&g->rng, span);
        tries++;
        if (iv_has(&m->deps, d)) continue;
        iv_push(&m->deps, d);
        added++;
    }
}

static void build_shape(Gen *g, const char *shape)
{
    int n = g->n, k = g->fanout;
    int w = digits(n - 1) < 4 ? 4 : digits(n - 1);
    if (strcmp(shape, "layered") == 0) {
        int width = 1;
        while (width * width < n) width++;
        if (width < k) width = k;
        for (int i = 0; i < n; i++) {
            int layer = i / width;
            g->m[i].name = fmt_name("Gen.L%d.M%0*d", layer, w, i);
            if (layer == 0) continue;
            int prev_lo = (layer - 1) * width, prev_hi = layer * width;
            for (int j = 0; j < k; j++) {
                /* mostly the previous layer, sometimes any lower one */
                if (rng_below(&g->rng, 4) == 0) pick_deps(g, &g->m[i], 0, prev_hi, 1);
                else pick_deps(g, &g->m[i], prev_lo, prev_hi, 1);
            }
        }
    } else if (strcmp(shape, "random") == 0) {
        for (int i = 0; i < n; i++) {
            g->m[i].name = fmt_name("Gen.B%0*d.M%0*d", digits((n - 1) / 100), i / 100, w, i);
            pick_deps(g, &g->m[i], 0, i, k);
        }
    } else if (strcmp(shape, "chain") == 0) {
        for (int i = 0; i < n; i++) {
            g->m[i].name = fmt_name("Gen.B%0*d.M%0*d", digits((n - 1) / 100), i / 100, w, i);
            if (i > 0) add_dep(&g->m[i], i - 1);
        }
    } else if (strcmp(shape, "wide") == 0) {
        /* k hubs; every other module imports all of them: fan-in n - k */
        int hubs = k < n ? k : n;
        for (int i = 0; i < n; i++) {
            g->m[i].name = fmt_name("Gen.B%0*d.M%0*d", digits((n - 1) / 100), i / 100, w, i);
            if (i >= hubs)
                for (int h = 0; h < hubs; h++) add_dep(&g->m[i], h);
        }
    } else if (strcmp(shape, "tree") == 0) {
        /* k-ary tree: module i imports its children k*i+1 .. k*i+k */
        int kk = k < 1 ? 1 : k;
        for (int i = 0; i < n; i++) {
            int depth = 0;
            for (int p = i; p > 0; p = (p - 1) / kk) depth++;
            g->m[i].name = fmt_name("Gen.T%d.M%0*d", depth, w, i);
            for (int c = 1; c <= kk; c++) {
                long child = (long)kk * i + c;
                if (child < n) add_dep(&g->m[i], (int)child);
            }
        }
    } else if (strcmp(shape, "include") == 0) {
        /* power-law fan-in: picks floor(i * u^3), u uniform in [0, 1) */
        for (int i = 0; i < n; i++) {
            g->m[i].name = fmt_name("Gen.I%0*d.M%0*d", digits((n - 1) / 100), i / 100, w, i);
            if (i == 0) continue;
            int want = 1 + rng_below(&g->rng, 2 * k - 1);
            if (want > i) want = i;
            for (int tries = 0; g->m[i].deps.n < want && tries < 64 * want; tries++) {
                double u = (double)(rng_next(&g->rng) >> 11) / 9007199254740992.0;
                int d = (int)((double)i * u * u * u);
                if (d >= i) d = i - 1;
                add_dep(&g->m[i], d);
            }
        }
    } else {
        die("unknown shape '%s' (layered|random|chain|wide|tree|include)", shape);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct NameIdx { const char *name; int idx; } NameIdx;

static int cmp_nameidx(const void *a, const void *b)
{
    return strcmp(((const NameIdx *)a)->name, ((const NameIdx *)b)->name);
}

static int find_name(const NameIdx *tab, int n, const char *name)
{
    if (n == 0) return -1;
    NameIdx key = { name, -1 };
    const NameIdx *hit = bsearch(&key, tab, (size_t)n, sizeof *tab, cmp_nameidx);
    return hit ? hit->idx : -1;
}

/* --topology FILE: `name: dep dep ...` per line; '#' starts a comment. */
static void build_topology(Gen *g, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open %s: %s", path, strerror(errno));
    char **raw = NULL;        /* distinct raw names, first appearance order */
    int nraw = 0, capraw = 0;
    IntVec *rawdeps = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    /* raw names are looked up by binary search in `tab`, kept sorted by
     * insertion (fine for topologies of tens of thousands of lines) */
    NameIdx *tab = NULL;
    int ntab = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *colon = strchr(line, ':');
        char *deps = colon ? colon + 1 : NULL;
        if (colon) *colon = '\0';
        int owner = -1;
        char *save = NULL;
        for (int part = 0; part < 2; part++) {
            char *s = part == 0 ? line : deps;
            if (!s) break;
            for (char *tok = strtok_r(s, " \t\r\n,", &save); tok;
                 tok = strtok_r(NULL, " \t\r\n,", &save)) {
                int idx = find_name(tab, ntab, tok);
                if (idx < 0) {
                    if (nraw == capraw) {
                        capraw = capraw ? capraw * 2 : 64;
                        raw = xrealloc(raw, sizeof *raw * (size_t)capraw);
                        rawdeps = xrealloc(rawdeps, sizeof *rawdeps * (size_t)capraw);
                        tab = xrealloc(tab, sizeof *tab * (size_t)capraw);
                    }
                    idx = nraw;
                    raw[nraw] = xstrdup(tok);
                    rawdeps[nraw] = (IntVec){0};
                    nraw++;
                    /* keep tab sorted: insertion */
                    int pos = ntab;
                    while (pos > 0 && strcmp(tab[pos - 1].name, raw[idx]) > 0) {
                        tab[pos] = tab[pos - 1];
                        pos--;
                    }
                    tab[pos] = (NameIdx){ raw[idx], idx };
                    ntab++;
                }
                if (part == 0) {
                    if (owner >= 0) die("%s: more than one name before ':'", path);
                    owner = idx;
                } else if (!iv_has(&rawdeps[owner], idx)) {
                    iv_push(&rawdeps[owner], idx);
                }
            }
            save = NULL;
            if (owner < 0) break;
        }
    }
    free(line);
    fclose(f);
    if (nraw == 0) die("%s: no modules", path);
    g->n = nraw;
    g->m = xrealloc(NULL, sizeof *g->m * (size_t)nraw);
    memset(g->m, 0, sizeof *g->m * (size_t)nraw);
    /* sanitize, then dedupe in first-appearance order by appending _2, _3 */
    NameIdx *seen = xrealloc(NULL, sizeof *seen * (size_t)nraw);
    int nseen = 0;
    for (int i = 0; i < nraw; i++) {
        char *base = sanitize_name(raw[i]);
        char *name = xstrdup(base);
        for (int k = 2; find_name(seen, nseen, name) >= 0; k++) {
            free(name);
            name = fmt_name("%s_%d", base, k);
        }
        free(base);
        int pos = nseen;
        while (pos > 0 && strcmp(seen[pos - 1].name, name) > 0) {
            seen[pos] = seen[pos - 1];
            pos--;
        }
        seen[pos] = (NameIdx){ name, i };
        nseen++;
        g->m[i].name = name;
        g->m[i].deps = rawdeps[i];
        free(raw[i]);
    }
    free(seen);
    free(raw);
    free(rawdeps);
    free(tab);
}

/* ---- injections ---------------------------------------------------------- */

static int *permutation(Gen *g)
{
    int *p = xrealloc(NULL, sizeof(int) * (size_t)g->n);
    for (int i = 0; i < g->n; i++) p[i] = i;
    for (int i = g->n - 1; i > 0; i--) {
        int j = rng_below(&g->rng, i + 1);
        int t = p[i]; p[i] = p[j]; p[j] = t;
    }
    return p;
}

static void compute_sccs(Gen *g);

/* Components that hold a cycle (size > 1 or a self-import). */
static int count_cycles(Gen *g)
{
    compute_sccs(g);
    int count = 0;
    for (int c = 0; c < g->ncomp; c++)
        if (g->comp_size[c] > 1) count++;
    for (int i = 0; i < g->n; i++)
        if (g->comp_size[g->m[i].comp] == 1 && iv_has(&g->m[i].deps, i)) count++;
    free(g->comp_size);
    g->comp_size = NULL;
    return count;
}

/* Each cycle is a back edge z -> a after a walk of 1..3 imports from a.  A
 * new cycle should be its own component (one more E0402); when 200 tries
 * find none (e.g. every walk ends in the hubs of the wide shape), it becomes
 * a self-import, which always is. */
static void inject_cycles(Gen *g, int k)
{
    int have = k > 0 ? count_cycles(g) : 0;
    for (int c = 0; c < k; c++) {
        int done = 0;
        for (int tries = 0; tries < 200 && !done; tries++) {
            int a = rng_below(&g->rng, g->n);
            if (g->m[a].deps.n == 0) continue;
            int z = a, steps = 1 + rng_below(&g->rng, 3);
            for (int s = 0; s < steps && g->m[z].deps.n > 0; s++)
                z = g->m[z].deps.v[rng_below(&g->rng, g->m[z].deps.n)];
            if (z == a || iv_has(&g->m[z].deps, a)) continue;
            iv_push(&g->m[z].deps, a);
            int now = count_cycles(g);
            if (now == have + 1) {
                have = now;
                done = 1;
            } else {
                g->m[z].deps.n--;        /* merged with another cycle: undo */
            }
        }
        for (int tries = 0; tries < 200 && !done; tries++) {
            int a = rng_below(&g->rng, g->n);
            if (iv_has(&g->m[a].deps, a)) continue;
            iv_push(&g->m[a].deps, a);
            int now = count_cycles(g);
            if (now == have + 1) {
                have = now;
                done = 1;
            } else {
                g->m[a].deps.n--;
            }
        }
        if (!done) die("could not place cycle %d", c + 1);
    }
}

/* Tarjan's SCC, iterative (chains of 20 000 modules). */
static void compute_sccs(Gen *g)
{
    int n = g->n;
    int *index = xrealloc(NULL, sizeof(int) * (size_t)n);
    int *low = xrealloc(NULL, sizeof(int) * (size_t)n);
    int *onstack = xrealloc(NULL, sizeof(int) * (size_t)n);
    int *stack = xrealloc(NULL, sizeof(int) * (size_t)n);
    int *cs_node = xrealloc(NULL, sizeof(int) * (size_t)n);
    int *cs_edge = xrealloc(NULL, sizeof(int) * (size_t)n);
    int sp = 0, next = 0;
    g->ncomp = 0;
    g->comp_size = xrealloc(NULL, sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) { index[i] = -1; onstack[i] = 0; }
    for (int root = 0; root < n; root++) {
        if (index[root] >= 0) continue;
        int csp = 0;
        cs_node[csp] = root; cs_edge[csp] = 0; csp++;
        index[root] = low[root] = next++;
        stack[sp++] = root; onstack[root] = 1;
        while (csp > 0) {
            int v = cs_node[csp - 1];
            if (cs_edge[csp - 1] < g->m[v].deps.n) {
                int w = g->m[v].deps.v[cs_edge[csp - 1]++];
                if (index[w] < 0) {
                    index[w] = low[w] = next++;
                    stack[sp++] = w; onstack[w] = 1;
                    cs_node[csp] = w; cs_edge[csp] = 0; csp++;
                } else if (onstack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                int c = g->ncomp++, size = 0, w;
                do {
                    w = stack[--sp];
                    onstack[w] = 0;
                    g->m[w].comp = c;
                    size++;
                } while (w != v);
                g->comp_size[c] = size;
            }
            csp--;
            if (csp > 0) {
                int u = cs_node[csp - 1];
                if (low[v] < low[u]) low[u] = low[v];
            }
        }
    }
    free(index); free(low); free(onstack); free(stack); free(cs_node); free(cs_edge);
}

static int in_cycle(const Gen *g, int i, int d)
{
    return g->m[i].comp == g->m[d].comp &&
           (g->comp_size[g->m[i].comp] > 1 || i == d);
}

static int has_alias_clash(const Gen *g, const char *alias)
{
    const char *key = alias;
    return bsearch(&key, g->first_parts, (size_t)g->nfirst, sizeof(char *), cmp_str) != NULL;
}

/* ---- writing one module --------------------------------------------------- */

static char *alias_name(const Gen *g, int j)
{
    char *a = fmt_name("Q%d", j);
    while (has_alias_clash(g, a)) {
        char *b = fmt_name("%s_", a);
        free(a);
        a = b;
    }
    return a;
}

static int value_lines(const Gen *g, const Module *m)
{
    int lines = g->tiny ? 6 : 7;
    for (int j = 0; j < m->deps.n; j++)
        lines += m->style[j] == ST_EXPOSE ? 2 : 1;
    return lines + m->nmissing;
}

/* One padding helper, helper_lines[j % 4] lines long (blank line included). */
static void write_helper(Text *t, int s, int j)
{
    char prev[64];
    if (j == 0) snprintf(prev, sizeof prev, "ident%d(n)", s);
    else snprintf(prev, sizeof prev, "step%dx%d(n)", s, j - 1);
    switch (j % 4) {
    case 0:
        tx_printf(t,
            "fn step%dx%d(n: Int) -> Int =\n"
            "  let k = n + %d in\n"
            "  let g = fn(x) -> x * k in\n"
            "  match Some%d(g(n)) {\n"
            "    Some%d(v) -> if v > 100 then v - 1 else v + %s,\n"
            "    None%d -> k,\n"
            "  }\n\n", s, j, j, s, s, prev, s);
        break;
    case 1:
        tx_printf(t,
            "fn step%dx%d(n: Int) -> Int =\n"
            "  let i = ident%d in\n"
            "  let label = i(\"n\") ++ \"-\" ++ \"%d\" in\n"
            "  if i(true) && label != \"\" then i(n) + %d else %s\n\n",
            s, j, s, j, j, prev);
        break;
    case 2:
        tx_printf(t,
            "fn step%dx%d(n: Int) -> Int =\n"
            "  let pair = (n, \"x\") in\n"
            "  let ys = map%d(fn(p) -> match p { (a, _) -> a + %d, }, Cons%d(pair, Nil%d)) in\n"
            "  fold%d(fn(acc, y) -> acc + y, %s, ys)\n\n",
            s, j, s, j, s, s, s, prev);
        break;
    default:
        tx_printf(t,
            "fn step%dx%d(n: Int) -> Int =\n"
            "  let o = if n > %d then Some%d(Rect%d(n, %d)) else None%d in\n"
            "  area%d(get%d(o, Circle%d(n))) + (match n %% 3 { 0 -> 1, 1 -> 2, _ -> %s, })\n\n",
            s, j, j, s, s, j, s, s, s, s, prev);
        break;
    }
}

static const int helper_lines[4] = { 8, 5, 5, 4 };

static void write_module(Gen *g, int i, const char *dir)
{
    Module *m = &g->m[i];
    Text t = {0};
    int s = i;
    tx_printf(&t, "module %s exposing (Opt%d(..), Lst%d(..), Shape%d(..), ident%d, "
                  "map%d, fold%d, area%d, get%d, build%d, origin%d, value%d)\n\n",
              m->name, s, s, s, s, s, s, s, s, s, s, s);
    char **qual = xrealloc(NULL, sizeof(char *) * (size_t)(m->deps.n + 1));
    for (int j = 0; j < m->deps.n; j++) {
        int d = m->deps.v[j];
        m->import_line[j] = tx_line(&t);
        switch (m->style[j]) {
        case ST_QUAL:
            tx_printf(&t, "import %s\n", g->m[d].name);
            qual[j] = xstrdup(g->m[d].name);
            break;
        case ST_ALIAS:
            qual[j] = alias_name(g, j);
            tx_printf(&t, "import %s as %s\n", g->m[d].name, qual[j]);
            break;
        default:
            tx_printf(&t, "import %s exposing (value%d, fold%d, Shape%d(..), Lst%d(..))\n",
                      g->m[d].name, d, d, d, d);
            qual[j] = NULL;
            break;
        }
    }
    for (int j = 0; j < m->nmissing; j++) {
        m->missing_line[j] = tx_line(&t);
        tx_printf(&t, "import %s\n", m->missing[j]);
    }
    if (m->deps.n + m->nmissing > 0) tx_printf(&t, "\n");
    tx_printf(&t, "# generated by tools/gen\n");
    int helpers = 0;
    if (g->tiny) {
        tx_printf(&t, "type Opt%d(a) = Some%d(a) | None%d\n", s, s, s);
        tx_printf(&t, "type Lst%d(a) = | Nil%d | Cons%d(a, Lst%d(a))\n", s, s, s, s);
        tx_printf(&t, "type Shape%d = Circle%d(Int) | Rect%d(Int, Int)\n", s, s, s);
        tx_printf(&t, "fn ident%d(x) = x\n", s);
        tx_printf(&t, "fn map%d(f, xs) = match xs { Nil%d -> Nil%d, "
                      "Cons%d(h, t) -> Cons%d(f(h), map%d(f, t)), }\n", s, s, s, s, s, s);
        tx_printf(&t, "fn fold%d(f, acc, xs) = match xs { Nil%d -> acc, "
                      "Cons%d(h, t) -> fold%d(f, f(acc, h), t), }\n", s, s, s, s);
        tx_printf(&t, "fn area%d(s: Shape%d) -> Int = match s { Circle%d(r) -> 3 * r * r, "
                      "Rect%d(w, h) -> w * h, }\n", s, s, s, s);
        tx_printf(&t, "fn get%d(o, d) = match o { Some%d(v) -> v, None%d -> d, }\n", s, s, s);
        tx_printf(&t, "fn build%d(n: Int) -> Lst%d(Int) = Cons%d(n, Cons%d(n + 1, Nil%d))\n",
                  s, s, s, s, s);
        tx_printf(&t, "let origin%d: Shape%d = Rect%d(0, 0)\n", s, s, s);
    } else {
        tx_printf(&t, "type Opt%d(a) = Some%d(a) | None%d\n", s, s, s);
        tx_printf(&t, "type Lst%d(a) = | Nil%d | Cons%d(a, Lst%d(a))\n", s, s, s, s);
        tx_printf(&t, "type Shape%d = Circle%d(Int) | Rect%d(Int, Int)\n\n", s, s, s);
        tx_printf(&t, "fn ident%d(x) = x\n\n", s);
        tx_printf(&t,
            "fn map%d(f, xs) =\n"
            "  match xs {\n"
            "    Nil%d -> Nil%d,\n"
            "    Cons%d(h, t) -> Cons%d(f(h), map%d(f, t)),\n"
            "  }\n\n", s, s, s, s, s, s);
        tx_printf(&t,
            "fn fold%d(f, acc, xs) =\n"
            "  match xs {\n"
            "    Nil%d -> acc,\n"
            "    Cons%d(h, t) -> fold%d(f, f(acc, h), t),\n"
            "  }\n\n", s, s, s, s);
        tx_printf(&t,
            "fn area%d(s: Shape%d) -> Int =\n"
            "  match s {\n"
            "    Circle%d(r) -> 3 * r * r,\n"
            "    Rect%d(w, h) -> w * h,\n"
            "  }\n\n", s, s, s, s);
        tx_printf(&t,
            "fn get%d(o, d) =\n"
            "  match o {\n"
            "    Some%d(v) -> v,\n"
            "    None%d -> d,\n"
            "  }\n\n", s, s, s);
        tx_printf(&t, "fn build%d(n: Int) -> Lst%d(Int) = Cons%d(n, Cons%d(n + 1, Nil%d))\n\n",
                  s, s, s, s, s);
        tx_printf(&t, "let origin%d: Shape%d = Rect%d(0, 0)\n\n", s, s, s);
        tx_printf(&t, "fn isEven%d(n: Int) -> Bool = if n == 0 then true else isOdd%d(n - 1)\n\n", s, s);
        tx_printf(&t, "fn isOdd%d(n: Int) -> Bool = if n == 0 then false else isEven%d(n - 1)\n\n", s, s);

        /* padding helpers up to about L lines, leaving room for value and broken */
        int tail = value_lines(g, m) + 1 + (m->err != ERR_NONE ? 1 : 0);
        while (tx_line(&t) + tail + helper_lines[helpers % 4] <= g->lines) {
            write_helper(&t, s, helpers);
            helpers++;
        }
    }

    tx_printf(&t, "fn value%d(n: Int) -> Int =\n", s);
    tx_printf(&t, "  let base = n + 1 in\n");
    tx_printf(&t, "  let scale = fn(x) -> x * base in\n");
    tx_printf(&t, "  let xs = map%d(scale, build%d(n)) in\n", s, s);
    tx_printf(&t, "  let own = fold%d(fn(a, b) -> a + b, 0, xs) + get%d(Some%d(n), 0) in\n",
              s, s, s);
    if (!g->tiny)
        tx_printf(&t, "  let par = if isEven%d(n) then area%d(origin%d) else 0 in\n", s, s, s);
    for (int j = 0; j < m->deps.n; j++) {
        int d = m->deps.v[j];
        if (in_cycle(g, i, d)) {
            tx_printf(&t, "  let u%d = %s.value%d(n) in\n", j, qual[j], d);
        } else if (m->style[j] == ST_EXPOSE) {
            tx_printf(&t, "  let sh%d: Shape%d = Rect%d(n, %d) in\n", j, d, d, j + 1);
            tx_printf(&t, "  let u%d = value%d(fold%d(fn(a, b) -> a + b, 0, Cons%d(n, Nil%d))) + "
                          "(match sh%d { Circle%d(r) -> r, Rect%d(w, h) -> w + h, }) in\n",
                      j, d, d, d, d, j, d, d);
        } else {
            const char *q = qual[j];
            tx_printf(&t, "  let u%d = %s.value%d(n) + %s.area%d(%s.Rect%d(n, 2)) + "
                          "%s.fold%d(fn(a, b) -> a + b, 0, %s.build%d(n)) + "
                          "%s.get%d(%s.Some%d(n), %s.ident%d(0)) + %s.area%d(%s.origin%d) in\n",
                      j, q, d, q, d, q, d, q, d, q, d, q, d, q, d, q, d, q, d, q, d);
        }
    }
    for (int j = 0; j < m->nmissing; j++)
        tx_printf(&t, "  let x%d = %s.value(n) in\n", j, m->missing[j]);
    tx_printf(&t, g->tiny ? "  own" : "  own + par");
    for (int j = 0; j < m->deps.n; j++) tx_printf(&t, " + u%d", j);
    for (int j = 0; j < m->nmissing; j++) tx_printf(&t, " + x%d", j);
    if (helpers > 0) tx_printf(&t, " + step%dx%d(n)", s, helpers - 1);
    if (m->err_called) tx_printf(&t, " + broken%d(n)", s);
    tx_printf(&t, "\n");

    if (m->err != ERR_NONE) {
        tx_printf(&t, "\n");
        m->err_line = tx_line(&t);
        switch (m->err) {
        case ERR_TYPE:
            tx_printf(&t, "fn broken%d(x: Int) -> Int = x + \"oops\"\n", s);
            break;
        case ERR_SYNTAX:
            tx_printf(&t, "fn broken%d(x: Int) -> Int = x + * 2\n", s);
            break;
        default:
            tx_printf(&t, "fn broken%d(x: Int) -> Int = x + nosuch%d(x)\n", s, s);
            break;
        }
    }
    for (int j = 0; j < m->deps.n; j++) free(qual[j]);
    free(qual);

    /* path: DIR/A/B/C.kite, directories made on the way */
    size_t plen = strlen(dir) + strlen(m->name) + 8;
    char *path = xrealloc(NULL, plen);
    snprintf(path, plen, "%s/%s", dir, m->name);
    char *rel = path + strlen(dir) + 1;
    for (char *c = rel; *c; c++) {
        if (*c != '.') continue;
        *c = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            die("cannot create %s: %s", path, strerror(errno));
        *c = '/';
    }
    strcat(path, ".kite");
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write %s: %s", path, strerror(errno));
    if (fwrite(t.s, 1, t.n, f) != t.n || fclose(f) != 0)
        die("write error on %s", path);
    free(path);
    free(t.s);
}

/* ---- expected reports ----------------------------------------------------- */

static int cmp_expect(const void *a, const void *b)
{
    const Expect *x = a, *y = b;
    int c = strcmp(x->module, y->module);
    if (c) return c;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return strcmp(x->code, y->code);
}

/* The E0402 of one component: S = smallest name; first step X of the
 * shortest cycle S -> ... -> S, ties broken by the smaller name. */
static Expect cycle_report(const Gen *g, int comp)
{
    int n = g->n, S = -1;
    for (int i = 0; i < n; i++)
        if (g->m[i].comp == comp && (S < 0 || strcmp(g->m[i].name, g->m[S].name) < 0))
            S = i;
    /* dist[v]: import steps from v to S inside the component, by a BFS over
     * the reversed edges of the component. */
    int *dist = xrealloc(NULL, sizeof(int) * (size_t)n);
    int *queue = xrealloc(NULL, sizeof(int) * (size_t)n);
    IntVec *rev = xrealloc(NULL, sizeof(IntVec) * (size_t)n);
    for (int i = 0; i < n; i++) {
        dist[i] = -1;
        rev[i] = (IntVec){0};
    }
    for (int u = 0; u < n; u++) {
        if (g->m[u].comp != comp) continue;
        for (int k = 0; k < g->m[u].deps.n; k++) {
            int w = g->m[u].deps.v[k];
            if (g->m[w].comp == comp) iv_push(&rev[w], u);
        }
    }
    int qh = 0, qt = 0;
    dist[S] = 0;
    queue[qt++] = S;
    while (qh < qt) {
        int v = queue[qh++];
        for (int k = 0; k < rev[v].n; k++) {
            int u = rev[v].v[k];
            if (dist[u] >= 0) continue;
            dist[u] = dist[v] + 1;
            queue[qt++] = u;
        }
    }
    const Module *ms = &g->m[S];
    int best = -1;
    for (int j = 0; j < ms->deps.n; j++) {
        int x = ms->deps.v[j];
        if (g->m[x].comp != comp || dist[x] < 0) continue;
        if (best < 0 || dist[x] < dist[ms->deps.v[best]] ||
            (dist[x] == dist[ms->deps.v[best]] &&
             strcmp(g->m[x].name, g->m[ms->deps.v[best]].name) < 0))
            best = j;
    }
    if (best < 0) die("internal: cycle without an edge");
    Expect e = { "E0402", ms->name, ms->import_line[best] };
    for (int i = 0; i < n; i++) free(rev[i].v);
    free(dist); free(queue); free(rev);
    return e;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
        "usage: gen --out DIR [--modules N]\n"
        "           [--shape layered|random|chain|wide|tree|include]\n"
        "           [--fanout K] [--lines L] [--seed S] [--errors K] [--cycles K]\n"
        "           [--missing K] [--topology FILE] [--tiny]\n");
    exit(2);
}

static long num_arg(const char *opt, const char *v)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || x < 0) die("%s: not a number: %s", opt, v);
    return x;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *shape = "layered", *topo = NULL;
    long modules = 100, fanout = 3, lines = 40, seed = 1, errors = 0, cycles = 0, missing = 0;
    int tiny = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) usage();
        if (strcmp(a, "--tiny") == 0) {
            tiny = 1;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (strcmp(a, "--out") == 0) out = v;
        else if (strcmp(a, "--modules") == 0) modules = num_arg(a, v);
        else if (strcmp(a, "--shape") == 0) shape = v;
        else if (strcmp(a, "--fanout") == 0) fanout = num_arg(a, v);
        else if (strcmp(a, "--lines") == 0) lines = num_arg(a, v);
        else if (strcmp(a, "--seed") == 0) seed = num_arg(a, v);
        else if (strcmp(a, "--errors") == 0) errors = num_arg(a, v);
        else if (strcmp(a, "--cycles") == 0) cycles = num_arg(a, v);
        else if (strcmp(a, "--missing") == 0) missing = num_arg(a, v);
        else if (strcmp(a, "--topology") == 0) topo = v;
        else usage();
    }
    if (!out) usage();
    if (!topo && (modules < 1 || modules > 10000000)) die("--modules must be 1..10000000");
    if (fanout < 1 || fanout > 1000) die("--fanout must be 1..1000");

    Gen g = {0};
    g.rng.s = (uint64_t)seed * 0x2545F4914F6CDD1Dull + 1;
    g.fanout = (int)fanout;
    g.lines = (int)lines;
    g.tiny = tiny;
    if (topo) {
        build_topology(&g, topo);
    } else {
        g.n = (int)modules;
        g.m = xrealloc(NULL, sizeof *g.m * (size_t)g.n);
        memset(g.m, 0, sizeof *g.m * (size_t)g.n);
        build_shape(&g, shape);
    }
    if (errors > g.n) die("--errors %ld: more than the %d modules", errors, g.n);
    if (missing > g.n) die("--missing %ld: more than the %d modules", missing, g.n);

    /* first name components, for aliases that shadow no module */
    g.first_parts = xrealloc(NULL, sizeof(char *) * (size_t)g.n);
    for (int i = 0; i < g.n; i++) {
        size_t len = strcspn(g.m[i].name, ".");
        g.first_parts[i] = fmt_name("%.*s", (int)len, g.m[i].name);
    }
    qsort(g.first_parts, (size_t)g.n, sizeof(char *), cmp_str);
    g.nfirst = g.n;

    inject_cycles(&g, (int)cycles);

    int *perm = permutation(&g);
    for (int k = 0; k < errors; k++) {
        Module *m = &g.m[perm[k]];
        m->err = (ErrKind)(ERR_TYPE + k % 3);
        m->err_called = rng_below(&g.rng, 2);
    }
    free(perm);

    /* missing imports: names checked against the generated ones */
    NameIdx *names = xrealloc(NULL, sizeof *names * (size_t)g.n);
    for (int i = 0; i < g.n; i++) names[i] = (NameIdx){ g.m[i].name, i };
    qsort(names, (size_t)g.n, sizeof *names, cmp_nameidx);
    perm = permutation(&g);
    for (int k = 0; k < missing; k++) {
        Module *m = &g.m[perm[k]];
        char *nm = fmt_name("Nowhere.Missing.X%d", k);
        while (find_name(names, g.n, nm) >= 0) {
            char *b = fmt_name("%s_", nm);
            free(nm);
            nm = b;
        }
        m->missing = xrealloc(NULL, sizeof(char *));
        m->missing[0] = nm;
        m->nmissing = 1;
        m->missing_line = xrealloc(NULL, sizeof(int));
    }
    free(perm);

    compute_sccs(&g);
    for (int i = 0; i < g.n; i++) {
        Module *m = &g.m[i];
        m->style = xrealloc(NULL, sizeof(int) * (size_t)(m->deps.n + 1));
        m->import_line = xrealloc(NULL, sizeof(int) * (size_t)(m->deps.n + 1));
        for (int j = 0; j < m->deps.n; j++)
            m->style[j] = in_cycle(&g, i, m->deps.v[j]) ? ST_QUAL : rng_below(&g.rng, 3);
    }

    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        die("cannot create %s: %s", out, strerror(errno));
    for (int i = 0; i < g.n; i++) write_module(&g, i, out);

    /* expected reports */
    Expect *ex = NULL;
    int nex = 0, capex = 0;
#define PUSH_EXPECT(e) do { \
        if (nex == capex) { capex = capex ? capex * 2 : 64; \
                            ex = xrealloc(ex, sizeof *ex * (size_t)capex); } \
        ex[nex++] = (e); } while (0)
    for (int i = 0; i < g.n; i++) {
        Module *m = &g.m[i];
        static const char *codes[] = { "", "E0301", "E0110", "E0201" };
        if (m->err != ERR_NONE) PUSH_EXPECT(((Expect){ codes[m->err], m->name, m->err_line }));
        for (int j = 0; j < m->nmissing; j++)
            PUSH_EXPECT(((Expect){ "E0401", m->name, m->missing_line[j] }));
    }
    int *comp_done = xrealloc(NULL, sizeof(int) * (size_t)g.ncomp);
    memset(comp_done, 0, sizeof(int) * (size_t)g.ncomp);
    int ncycles = 0;
    for (int i = 0; i < g.n; i++) {
        int c = g.m[i].comp;
        if (comp_done[c]) continue;
        if (g.comp_size[c] > 1 || iv_has(&g.m[i].deps, i)) {
            comp_done[c] = 1;
            PUSH_EXPECT(cycle_report(&g, c));
            ncycles++;
        }
    }
#undef PUSH_EXPECT
    if (nex > 0) qsort(ex, (size_t)nex, sizeof *ex, cmp_expect);
    size_t plen = strlen(out) + 16;
    char *epath = xrealloc(NULL, plen);
    snprintf(epath, plen, "%s/expected.txt", out);
    FILE *f = fopen(epath, "w");
    if (!f) die("cannot write %s: %s", epath, strerror(errno));
    for (int k = 0; k < nex; k++) fprintf(f, "%s %s %d\n", ex[k].code, ex[k].module, ex[k].line);
    if (fclose(f) != 0) die("write error on %s", epath);
    printf("gen: %d modules, %d expected reports (%d cycles) in %s\n", g.n, nex, ncycles, out);

    /* tidy up so that LeakSanitizer stays quiet when gen runs in asan mode */
    for (int i = 0; i < g.n; i++) {
        Module *m = &g.m[i];
        free(m->name); free(m->deps.v); free(m->style); free(m->import_line);
        for (int j = 0; j < m->nmissing; j++) free(m->missing[j]);
        free(m->missing); free(m->missing_line);
    }
    for (int i = 0; i < g.nfirst; i++) free(g.first_parts[i]);
    free(g.first_parts); free(g.m); free(g.comp_size); free(comp_done);
    free(names); free(ex); free(epath);
    return 0;
}
