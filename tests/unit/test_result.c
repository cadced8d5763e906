/* result and deps: a module's result laid out as sections, copied (as a
 * cache would), viewed back and printed gives the very same diagnostics and
 * --emit-types lines; damaged sections are rejected; canonicalize and
 * typecheck record the imported names they looked up, with fingerprints
 * that change exactly when what the name denotes (to that phase) changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "modules/result.h"
#include "modules/types.h"
#include "tests/unit/harness.h"

/* One contiguous copy of the sections, each 8-byte aligned, like an entry. */
typedef struct Copy {
    char *buf;
    ResultSection secs[RS__COUNT];
} Copy;

static void copy_sections(const ResultSection *in, Copy *c)
{
    size_t total = 0;
    for (int i = 0; i < RS__COUNT; i++)
        total += (in[i].len + 7) & ~(size_t)7;
    c->buf = aligned_alloc(8, total + 8);
    size_t at = 0;
    for (int i = 0; i < RS__COUNT; i++) {
        if (in[i].len)
            memcpy(c->buf + at, in[i].data, in[i].len);
        c->secs[i].data = c->buf + at;
        c->secs[i].len = in[i].len;
        at += (in[i].len + 7) & ~(size_t)7;
    }
}

static ModuleResult result_of(HModule *m, ImportDep *imps)
{
    ModuleResult r;
    memset(&r, 0, sizeof r);
    r.iface = m->po.iface;
    r.artifact = m->ko.artifact;
    r.reports[0] = m->po.reports;
    r.reports[1] = m->co.reports;
    r.reports[2] = m->ko.reports;
    r.lines = 7;
    r.iface_fp = iface_fingerprint(m->po.iface);
    for (uint32_t i = 0; i < m->po.iface->import_count; i++)
        imps[i] = (ImportDep){ IMPORT_DEP_IFACE | (i % 3 == 1 ? IMPORT_DEP_ARTIFACT : 0u), 0,
                               0x1111u * (i + 1), i % 3 == 1 ? 0x2222u * (i + 1) : 0 };
    r.imports = imps;
    r.deps = m->ko.deps;
    return r;
}

static void round_trip(const char *path)
{
    Harness h;
    harness_load(&h, path);
    harness_run(&h);
    char *before = harness_output(&h);
    Copy copies[64];
    uint32_t ncopies = 0;
    Arena views;
    arena_init(&views, ARENA_DEFAULT_CHUNK, 0);
    for (uint32_t i = 0; i < h.count; i++) {
        HModule *m = &h.mods[i];
        if (!m->ko.artifact)
            continue;
        ImportDep imps[64];
        assert_true(m->po.iface->import_count < 64);
        ModuleResult r = result_of(m, imps);
        ResultSection secs[RS__COUNT];
        assert_true(result_sections(&r, &h.scratch, secs));
        assert_true(ncopies < 64);
        Copy *c = &copies[ncopies++];
        copy_sections(secs, c);
        arena_reset(&h.scratch);
        ModuleResult v;
        assert_true(result_view(c->secs, RS__COUNT, m->len, &views, &v));
        assert_true(result_digest(&v) == result_digest(&r));
        assert_true(result_variant(&v) == result_variant(&r));
        assert_int_equal(v.lines, 7);
        assert_true(v.iface_fp == iface_fingerprint(v.iface));
        /* the entry holds its own artifact's digest, hashed when written */
        assert_true(v.art_digest != 0 && v.art_digest == artifact_deps_digest(v.artifact));
        assert_int_equal(v.iface->value_count, m->po.iface->value_count);
        assert_int_equal(v.deps.count, m->ko.deps.count);
        assert_int_equal(v.iface->poisoned_types, m->po.iface->poisoned_types);
        for (uint32_t k = 0; k < v.iface->import_count; k++)
        {
            assert_int_equal(v.imports[k].flags, imps[k].flags);
            assert_true(v.imports[k].iface_digest == imps[k].iface_digest);
            assert_true(v.imports[k].art_digest == imps[k].art_digest);
        }
        /* print from the copy only */
        m->po.iface = v.iface;
        m->po.reports = v.reports[0];
        m->co.reports = v.reports[1];
        m->ko.reports = v.reports[2];
        m->ko.artifact = v.artifact;
        m->name = iface_str(v.iface, v.iface->module);
    }
    assert_true(ncopies > 0);
    char *after = harness_output(&h);
    assert_string_equal(before, after);
    free(before);
    free(after);
    for (uint32_t i = 0; i < ncopies; i++)
        free(copies[i].buf);
    arena_free(&views);
    harness_free(&h);
}

static void test_round_trip(void **state)
{
    static const char *const paths[] = {
        "tests/check/data.kite", "tests/check/e0301.kite", "tests/check/e0305.kite",
        "tests/check/hm_classics.kite", "tests/check/poison.kite", "tests/check/multi_types",
        "tests/check/multi_poison", "tests/check/multi_private", "tests/check/casc_syntax",
        "tests/check/w0306.kite", "tests/check/rigid.kite",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        round_trip(paths[i]);
}

static const char *const LIB =
    "module A exposing (f, g, T(..), U)\n"
    "type T = X | Y(Int)\n"
    "type U = U1\n"
    "fn f(x) = x + 1\n"
    "fn g(x) = x\n";
static const char *const USER =
    "module M exposing (h)\n"
    "import A exposing (T(..))\n"
    "fn h(t: T) -> Int = match t { X -> A.f(1), Y(n) -> n }\n";

/* Checks A (lib) and M (USER); returns M's deps fingerprints by name. */
typedef struct Fp { uint64_t f, T_type, X_ctor; uint32_t count; } Fp;

static Fp fps_of(const char *lib)
{
    Harness h;
    harness_init(&h);
    harness_add_source(&h, "A.kite", lib, (uint32_t)strlen(lib));
    harness_add_source(&h, "M.kite", USER, (uint32_t)strlen(USER));
    harness_run(&h);
    HModule *m = &h.mods[harness_find(&h, "M")];
    assert_int_equal(m->ks, PHASE_OK);
    assert_int_equal(m->ko.reports.count, 0);
    Fp r = { 0, 0, 0, m->ko.deps.count };
    const DepList *d = &m->ko.deps;
    for (uint32_t i = 0; i < d->count; i++) {
        const char *n = d->strings + d->items[i].name;
        assert_int_equal(d->items[i].import, 0);
        if (dep_kind_reads_iface(d->items[i].kind)) {
            r.count--;          /* canonicalize's: test_iface_deps */
            continue;
        }
        if (d->items[i].kind == DEP_VALUE && strcmp(n, "f") == 0)
            r.f = d->items[i].fp;
        else if (d->items[i].kind == DEP_TYPE && strcmp(n, "T") == 0)
            r.T_type = d->items[i].fp;
        else if (d->items[i].kind == DEP_CTOR && strcmp(n, "X") == 0)
            r.X_ctor = d->items[i].fp;
        /* g and U are never looked up */
        assert_true(strcmp(n, "g") != 0 && strcmp(n, "U") != 0);
    }
    harness_free(&h);
    return r;
}

static void test_deps_fingerprints(void **state)
{
    Fp base = fps_of(LIB);
    assert_int_equal(base.count, 4);   /* f, T, X, Y (typecheck's) */
    assert_true(base.f && base.T_type && base.X_ctor);
    /* a body edit, and a change of a name M never looked up: all equal */
    Fp same = fps_of("module A exposing (f, g, T(..), U)\n"
                     "type T = X | Y(Int)\n"
                     "type U = U1 | U2\n"
                     "fn f(x) = x * 3 - 2\n"
                     "fn g(x) = x > 0\n");
    assert_true(same.f == base.f && same.T_type == base.T_type && same.X_ctor == base.X_ctor);
    /* f's scheme changes: only f's fingerprint */
    Fp f2 = fps_of("module A exposing (f, g, T(..), U)\n"
                   "type T = X | Y(Int)\n"
                   "type U = U1\n"
                   "fn f(x) = 1\n"
                   "fn g(x) = x\n");
    assert_true(f2.f != base.f && f2.T_type == base.T_type && f2.X_ctor == base.X_ctor);
    /* a constructor's payload changes: the type's and its constructors' */
    Fp t2 = fps_of("module A exposing (f, g, T(..), U)\n"
                   "type T = Y(Int) | X\n"
                   "type U = U1\n"
                   "fn f(x) = x + 1\n"
                   "fn g(x) = x\n");
    assert_true(t2.f == base.f && t2.T_type != base.T_type && t2.X_ctor != base.X_ctor);
}

/* Canonicalize's part of the record: per name, as canonicalize sees it. */
static const char *const USER2 =
    "module M exposing (h, k)\n"
    "import A as Q exposing (f, T(..), U, zz)\n"
    "type Own = Z\n"
    "fn h(t: T, u: Q.U) -> Int = match t { X -> Q.f(1), Y(n) -> n }\n"
    "fn k() = Q.nope(Q.Y(2), Q.W, Q.Gone)\n";

/* M's canonicalize fingerprint of (kind, name) in import 0 (0 if none);
 * also asserts that M's record has no other interface entry than the
 * ones listed in want[] (NULL-terminated "kind:name" strings). */
static uint64_t cfp(const char *lib, DepKind kind, const char *name, const char *const *want)
{
    Harness h;
    harness_init(&h);
    harness_add_source(&h, "A.kite", lib, (uint32_t)strlen(lib));
    harness_add_source(&h, "M.kite", USER2, (uint32_t)strlen(USER2));
    harness_run(&h);
    HModule *m = &h.mods[harness_find(&h, "M")];
    assert_int_equal(m->cs, PHASE_OK);
    uint64_t fp = 0;
    uint32_t n = 0;
    const DepList *d = &m->ko.deps;
    for (uint32_t i = 0; i < d->count; i++) {
        if (!dep_kind_reads_iface(d->items[i].kind))
            continue;
        const char *nm = d->strings + d->items[i].name;
        char key[64];
        snprintf(key, sizeof key, "%s:%s", dep_kind_name((DepKind)d->items[i].kind), nm);
        bool listed = false;
        for (uint32_t w = 0; want && want[w]; w++)
            listed |= strcmp(want[w], key) == 0;
        if (want && !listed)
            fail_msg("unexpected dependency %s", key);
        n++;
        if (d->items[i].kind == (uint32_t)kind && strcmp(nm, name) == 0) {
            fp = d->items[i].fp;
            /* the fingerprint is the one validation computes afresh */
            assert_true(fp == iface_dep_fingerprint(h.mods[harness_find(&h, "A")].po.iface, kind, name));
        }
    }
    uint32_t nwant = 0;
    while (want && want[nwant])
        nwant++;
    if (want)
        assert_int_equal(n, nwant);
    harness_free(&h);
    return fp;
}

static void test_iface_deps(void **state)
{
    static const char *const LIB2 =
        "module A exposing (f, g, T(..), U, V(..))\n"
        "type T = X | Y(Int)\n"
        "type U = U1\n"
        "type V = W\n"
        "fn f(x) = x + 1\n"
        "fn g(x) = x\n";
    static const char *const want[] = {
        "exposed value:f", "exposed type with its constructors:T", "exposed type:U",
        "exposed value:zz", "exposed constructor:Y", "exposed constructor:W",
        "exposed value:nope", "exposed constructor:Gone", NULL,
    };
    const DepKind V = DEP_IF_VALUE, TY = DEP_IF_TYPE, ALL = DEP_IF_TYPE_ALL, C = DEP_IF_CTOR;
    uint64_t f = cfp(LIB2, V, "f", want), t = cfp(LIB2, ALL, "T", NULL), u = cfp(LIB2, TY, "U", NULL);
    uint64_t zz = cfp(LIB2, V, "zz", NULL), y = cfp(LIB2, C, "Y", NULL), w = cfp(LIB2, C, "W", NULL);
    uint64_t nope = cfp(LIB2, V, "nope", NULL), gone = cfp(LIB2, C, "Gone", NULL);
    assert_true(f && t && u && zz && y && w && nope && gone);
    /* names M never looked up change, and bodies and schemes (typecheck's
     * business): every canonicalize fingerprint stays */
    const char *other = "module A exposing (g, f, T(..), U, V(..), extra, E(..))\n"
                        "type T = X | Y(Int)\n"
                        "type U = U1 | U2\n"
                        "type V = W\n"
                        "type E = Z\n"
                        "fn f(x) = x > 1\n"
                        "fn g(x, y) = x\n"
                        "fn extra() = 1\n";
    assert_true(cfp(other, V, "f", want) == f && cfp(other, ALL, "T", NULL) == t &&
                cfp(other, TY, "U", NULL) == u && cfp(other, V, "zz", NULL) == zz &&
                cfp(other, C, "Y", NULL) == y && cfp(other, C, "W", NULL) == w &&
                cfp(other, V, "nope", NULL) == nope && cfp(other, C, "Gone", NULL) == gone);
    /* a looked-up absent name appears: only its own */
    const char *with_zz = "module A exposing (f, g, T(..), U, V(..), zz)\n"
                          "type T = X | Y(Int)\ntype U = U1\ntype V = W\n"
                          "fn f(x) = x + 1\nfn g(x) = x\nfn zz() = 0\n";
    assert_true(cfp(with_zz, V, "zz", want) != zz && cfp(with_zz, V, "f", NULL) == f &&
                cfp(with_zz, ALL, "T", NULL) == t);
    /* a constructor added to T (its names enter M's scope): T's entry and
     * not the others; U's arity: U's; V's constructors hidden: W's */
    const char *t3 = "module A exposing (f, g, T(..), U, V(..))\n"
                     "type T = X | Y(Int) | Z\ntype U = U1\ntype V = W\n"
                     "fn f(x) = x + 1\nfn g(x) = x\n";
    assert_true(cfp(t3, ALL, "T", want) != t && cfp(t3, C, "Y", NULL) == y && cfp(t3, TY, "U", NULL) == u);
    const char *t4 = "module A exposing (f, g, T(..), U, V(..))\n"
                     "type T = Xb | Y(Int)\ntype U = U1\ntype V = W\n"
                     "fn f(x) = x + 1\nfn g(x) = x\n";
    assert_true(cfp(t4, ALL, "T", want) != t && cfp(t4, C, "Y", NULL) == y);
    const char *u2 = "module A exposing (f, g, T(..), U, V(..))\n"
                     "type T = X | Y(Int)\ntype U(a) = U1\ntype V = W\n"
                     "fn f(x) = x + 1\nfn g(x) = x\n";
    assert_true(cfp(u2, TY, "U", want) != u && cfp(u2, ALL, "T", NULL) == t);
    const char *v2 = "module A exposing (f, g, T(..), U, V)\n"
                     "type T = X | Y(Int)\ntype U = U1\ntype V = W\n"
                     "fn f(x) = x + 1\nfn g(x) = x\n";
    assert_true(cfp(v2, C, "W", want) != w && cfp(v2, C, "Y", NULL) == y);
    /* a broken type: an absent constructor's entry changes (the lookup is
     * silent now), a present one's does not */
    const char *broken = "module A exposing (f, g, T(..), U, V(..), B(..))\n"
                         "type T = X | Y(Int)\ntype U = U1\ntype V = W\n"
                         "type B = (\n"
                         "fn f(x) = x + 1\nfn g(x) = x\n";
    assert_true(cfp(broken, C, "Gone", want) != gone && cfp(broken, C, "Y", NULL) == y &&
                cfp(broken, V, "f", NULL) == f);
}

/* A's import digests (deps.h) and, for a set of names M could look up
 * (present and absent, every kind), A's fingerprints of them. */
typedef struct Digests {
    uint64_t art, iface;
    uint64_t fps[12];
} Digests;

static Digests digests_of(const char *lib)
{
    static const struct { DepKind kind; const char *name; } names[] = {
        { DEP_VALUE, "f" }, { DEP_VALUE, "g" }, { DEP_VALUE, "zz" }, { DEP_TYPE, "T" },
        { DEP_TYPE, "U" }, { DEP_TYPE, "Nope" }, { DEP_CTOR, "X" }, { DEP_CTOR, "U1" },
        { DEP_CTOR, "Gone" }, { DEP_IF_VALUE, "f" }, { DEP_IF_TYPE_ALL, "T" }, { DEP_IF_CTOR, "Gone" },
    };
    Harness h;
    harness_init(&h);
    harness_add_source(&h, "A.kite", lib, (uint32_t)strlen(lib));
    harness_run(&h);
    HModule *a = &h.mods[harness_find(&h, "A")];
    assert_int_equal(a->ks, PHASE_OK);
    Digests d;
    memset(&d, 0, sizeof d);
    d.art = artifact_deps_digest(a->ko.artifact);
    d.iface = iface_deps_digest(iface_fingerprint(a->po.iface));
    assert_true(d.art != 0 && d.iface != 0);
    for (uint32_t i = 0; i < 12; i++)
        d.fps[i] = dep_kind_reads_iface(names[i].kind)
                       ? iface_dep_fingerprint(a->po.iface, names[i].kind, names[i].name)
                       : artifact_fingerprint(a->ko.artifact, names[i].kind, names[i].name);
    harness_free(&h);
    return d;
}

/* An import's digest stands for every name's fingerprint: equal digests
 * come with equal fingerprints; a change of any exported item changes it. */
static void test_import_digests(void **state)
{
    Digests base = digests_of(LIB);
    /* bodies and private items change: both digests and all names stay */
    Digests body = digests_of("module A exposing (f, g, T(..), U)\n"
                              "type T = X | Y(Int)\ntype U = U1\n"
                              "fn f(x) = x * 3 - 2\nfn g(x) = x\nfn priv() = true\n");
    assert_true(body.art == base.art && body.iface == base.iface);
    assert_memory_equal(body.fps, base.fps, sizeof base.fps);
    /* f's scheme: the artifact digest, not the interface's */
    Digests f2 = digests_of("module A exposing (f, g, T(..), U)\n"
                            "type T = X | Y(Int)\ntype U = U1\n"
                            "fn f(x) = x > 1\nfn g(x) = x\n");
    assert_true(f2.art != base.art && f2.iface == base.iface && f2.fps[0] != base.fps[0]);
    /* a new exported name (one nobody looked up yet): both digests */
    Digests more = digests_of("module A exposing (f, g, T(..), U, zz)\n"
                              "type T = X | Y(Int)\ntype U = U1\n"
                              "fn f(x) = x + 1\nfn g(x) = x\nfn zz() = 0\n");
    assert_true(more.art != base.art && more.iface != base.iface && more.fps[2] != base.fps[2]);
    /* U's constructors become visible: both digests */
    Digests ctors = digests_of("module A exposing (f, g, T(..), U(..))\n"
                               "type T = X | Y(Int)\ntype U = U1\n"
                               "fn f(x) = x + 1\nfn g(x) = x\n");
    assert_true(ctors.art != base.art && ctors.iface != base.iface && ctors.fps[7] != base.fps[7]);
    /* a broken exposed type: both (the absent constructor's lookup changes) */
    Digests broken = digests_of("module A exposing (f, g, T(..), U, B(..))\n"
                                "type T = X | Y(Int)\ntype U = U1\ntype B = (\n"
                                "fn f(x) = x + 1\nfn g(x) = x\n");
    assert_true(broken.art != base.art && broken.iface != base.iface &&
                broken.fps[11] != base.fps[11]);
}

static void test_iface_fingerprint(void **state)
{
    Harness h;
    harness_init(&h);
    const char *a = "module A exposing (f)\nfn f(x) = x\n";
    const char *b = "module A exposing (f)\n\nfn f(y) = y + 1\n";
    const char *c = "module A exposing (f, g)\nfn f(x) = x\nfn g(x) = x\n";
    harness_add_source(&h, "a/A.kite", a, (uint32_t)strlen(a));
    harness_add_source(&h, "b/A.kite", b, (uint32_t)strlen(b));
    harness_add_source(&h, "c/A.kite", c, (uint32_t)strlen(c));
    harness_run(&h);
    uint64_t fa = 0, fb = 0, fc = 0;
    for (uint32_t i = 0; i < h.count; i++) {
        uint64_t fp = iface_fingerprint(h.mods[i].po.iface);
        if (strcmp(h.mods[i].path, "a/A.kite") == 0) fa = fp;
        if (strcmp(h.mods[i].path, "b/A.kite") == 0) fb = fp;
        if (strcmp(h.mods[i].path, "c/A.kite") == 0) fc = fp;
    }
    assert_true(fa == fb);
    assert_true(fa != fc);
    harness_free(&h);
}

/* Every kind of damage a checksum would not catch (a writer bug, a foreign
 * layout) is a refusal, never a crash. */
static void test_view_rejects(void **state)
{
    Harness h;
    harness_load(&h, "tests/check/multi_types");
    harness_run(&h);
    HModule *m = NULL;
    for (uint32_t i = 0; i < h.count; i++)
        if (h.mods[i].ko.artifact && h.mods[i].po.iface->import_count > 0)
            m = &h.mods[i];
    assert_non_null(m);
    ImportDep imps[64];
    ModuleResult r = result_of(m, imps);
    ResultSection secs[RS__COUNT];
    assert_true(result_sections(&r, &h.scratch, secs));
    Copy c;
    copy_sections(secs, &c);
    Arena a;
    arena_init(&a, ARENA_DEFAULT_CHUNK, 0);
    ModuleResult v;
    assert_true(result_view(c.secs, RS__COUNT, m->len, &a, &v));
    assert_false(result_view(c.secs, RS__COUNT - 1, m->len, &a, &v));
    assert_false(result_view(c.secs, RS__COUNT, 0, &a, &v));   /* spans beyond the source */
    for (int i = 0; i < RS__COUNT; i++) {
        if (c.secs[i].len == 0)
            continue;
        uint64_t len = c.secs[i].len;
        c.secs[i].len = len - 1;            /* a partial element / unterminated blob */
        assert_false(result_view(c.secs, RS__COUNT, m->len, &a, &v));
        c.secs[i].len = len;
    }
    /* an index out of bounds: the first node's child, the head's layout */
    uint32_t *layout = (uint32_t *)c.secs[RS_HEAD].data;
    *layout += 1;
    assert_false(result_view(c.secs, RS__COUNT, m->len, &a, &v));
    *layout -= 1;
    if (c.secs[RS_ART_CTORS].len) {
        ArtCtor *k = (ArtCtor *)c.secs[RS_ART_CTORS].data;
        uint32_t keep = k->scheme;
        k->scheme = UINT32_MAX - 3;
        assert_false(result_view(c.secs, RS__COUNT, m->len, &a, &v));
        k->scheme = keep;
    }
    assert_true(result_view(c.secs, RS__COUNT, m->len, &a, &v));
    /* the stored digest of the artifact (the head's last field): 0 is no
     * digest, a refusal; another value is taken as stored, and the result
     * then differs from the same one with its digest hashed afresh, which
     * is what --cache-verify compares (cache_verify_matches) */
    uint64_t *stored = (uint64_t *)(void *)((char *)c.secs[RS_HEAD].data + c.secs[RS_HEAD].len - 8);
    uint64_t real = *stored;
    assert_true(real == artifact_deps_digest(v.artifact));
    *stored = 0;
    assert_false(result_view(c.secs, RS__COUNT, m->len, &a, &v));
    *stored = real ^ 1;
    assert_true(result_view(c.secs, RS__COUNT, m->len, &a, &v));
    assert_true(v.art_digest == (real ^ 1));
    ModuleResult afresh = v;
    afresh.art_digest = 0;
    assert_true(result_digest(&afresh) != result_digest(&v));
    *stored = real;
    free(c.buf);
    arena_free(&a);
    harness_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_deps_fingerprints),
        cmocka_unit_test(test_iface_deps),
        cmocka_unit_test(test_import_digests),
        cmocka_unit_test(test_iface_fingerprint),
        cmocka_unit_test(test_view_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
