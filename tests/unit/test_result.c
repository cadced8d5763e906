/* result and deps: a module's result laid out as sections, copied (as a
 * cache would), viewed back and printed gives the very same diagnostics and
 * --emit-types lines; damaged sections are rejected; typecheck records the
 * imported names it looked up, with fingerprints that change exactly when
 * what the name denotes changes. */
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
        imps[i] = (ImportDep){ 1000u + i, IMPORT_DEP_IFACE, 0 };
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
        assert_int_equal(v.iface->value_count, m->po.iface->value_count);
        assert_int_equal(v.deps.count, m->ko.deps.count);
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
    assert_int_equal(base.count, 4);   /* f, T, X, Y */
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
    free(c.buf);
    arena_free(&a);
    harness_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_deps_fingerprints),
        cmocka_unit_test(test_iface_fingerprint),
        cmocka_unit_test(test_view_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
