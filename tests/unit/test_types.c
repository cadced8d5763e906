/* Type store: the section 7 printer, union-find unification with levels,
 * occurs check, rigid variables, the error type, generalize/instantiate, and
 * the artifact: export/import round trip and the interface hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "modules/artifact.h"
#include "modules/types.h"

#include <stdlib.h>
#include <string.h>

typedef struct Fx {
    Arena scratch, keep;
    TyStore s;
} Fx;

static int setup(void **state)
{
    Fx *f = calloc(1, sizeof *f);
    arena_init(&f->scratch, 4096, 0);
    arena_init(&f->keep, 4096, 0);
    ty_store_init(&f->s, &f->scratch);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fx *f = *state;
    arena_free(&f->scratch);
    arena_free(&f->keep);
    free(f);
    return 0;
}

static const char *show(Fx *f, uint32_t t, const char *self)
{
    return ty_to_string(&f->s, t, self, &f->keep);
}

static uint32_t fn1(TyStore *s, uint32_t p, uint32_t r) { return ty_fn(s, &p, 1, r); }
static uint32_t fn2(TyStore *s, uint32_t p, uint32_t q, uint32_t r)
{
    uint32_t ps[2] = { p, q };
    return ty_fn(s, ps, 2, r);
}
static uint32_t pair(TyStore *s, uint32_t p, uint32_t q)
{
    uint32_t ps[2] = { p, q };
    return ty_tuple(s, ps, 2);
}

static void test_print_functions(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    assert_string_equal(show(f, fn2(s, s->t_int, s->t_str, s->t_bool), "M"), "(Int, Str) -> Bool");
    assert_string_equal(show(f, fn1(s, s->t_int, s->t_int), "M"), "Int -> Int");
    assert_string_equal(show(f, ty_fn(s, NULL, 0, s->t_unit), "M"), "() -> ()");
    assert_string_equal(show(f, fn1(s, s->t_unit, s->t_int), "M"), "(()) -> Int");
    assert_string_equal(show(f, fn1(s, pair(s, s->t_int, s->t_bool), s->t_int), "M"),
                        "((Int, Bool)) -> Int");
    uint32_t a = ty_var(s), b = ty_var(s), c = ty_var(s);
    /* (b -> c) -> a -> c, variables named by first appearance */
    uint32_t t = fn1(s, fn1(s, b, c), fn1(s, a, c));
    assert_string_equal(show(f, t, "M"), "(a -> b) -> c -> b");
    /* a function inside a tuple or a list of several parameters needs no parens */
    assert_string_equal(show(f, fn2(s, fn1(s, a, a), s->t_int, pair(s, fn1(s, a, b), a)), "M"),
                        "(a -> a, Int) -> (a -> b, a)");
}

static void test_print_named_and_error(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    uint32_t opt = ty_named(s, "Util.Option", "Option");
    uint32_t shape = ty_named(s, "Geometry.Shapes", "Shape");
    assert_int_equal(ty_named(s, "Util.Option", "Option"), opt);
    uint32_t arg = s->t_int;
    uint32_t o = ty_con(s, opt, &arg, 1);
    assert_string_equal(show(f, o, "Util.Option"), "Option(Int)");
    assert_string_equal(show(f, o, "Main"), "Util.Option.Option(Int)");
    assert_string_equal(show(f, ty_con(s, shape, NULL, 0), "Geometry"), "Geometry.Shapes.Shape");
    assert_string_equal(show(f, fn1(s, s->t_error, s->t_int), "M"), "<error> -> Int");
    /* after z come a1, b1, ... */
    uint32_t vars[28];
    for (int i = 0; i < 28; i++)
        vars[i] = ty_var(s);
    const char *txt = show(f, ty_tuple(s, vars, 28), "M");
    assert_non_null(strstr(txt, ", y, z, a1, b1)"));
    assert_int_equal(strncmp(txt, "(a, b, c,", 9), 0);
}

/* A type that doubles at each level is a small DAG but 2^40 leaves as a
 * tree: printing stops after `limit` bytes with "...", and export, hash,
 * import, instantiate and generalize visit each distinct node once. */
static void test_huge_dag(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    uint32_t t = s->t_int;
    for (int i = 0; i < 40; i++)
        t = pair(s, t, t);
    TyPrinter p;
    ty_printer_init(&p, ty_store_graph(s), "M", &f->scratch);
    p.limit = 20;
    ty_print(&p, t);
    /* 21 whole tokens "(" pass the bound of 20 bytes */
    assert_string_equal(ty_printer_take(&p, &f->keep), "(((((((((((((((((((((...");
    ty_print(&p, pair(s, s->t_int, s->t_bool));
    assert_string_equal(ty_printer_take(&p, &f->keep), "(Int, Bool)");

    /* deep rather than wide: 200 000 nested functions, no recursion */
    uint32_t a = ty_var(s), d = a;
    for (int i = 0; i < 200000; i++)
        d = fn1(s, s->t_int, d);
    uint32_t big = pair(s, t, d);
    s->level = 0;
    ty_generalize(s, big);
    uint32_t inst = ty_instantiate(s, big);
    assert_false(ty_is_error(s, inst));
    uint32_t ov, ot;
    assert_int_equal(ty_unify(s, inst, ty_instantiate(s, big), &ov, &ot), TY_OK);
    ArtBuilder b;
    art_builder_init(&b, s, "M", &f->scratch);
    art_begin_scheme(&b);
    uint32_t sch = art_export(&b, big);
    art_add_value(&b, "v", sch, true, false);
    const struct Artifact *art = art_seal(&b, &f->keep);
    assert_true(art->node_count < 200100);
    char *txt = artifact_value_type_string(art, 0, &f->keep);
    size_t len = strlen(txt);
    assert_true(len > TY_PRINT_LIMIT && len <= TY_PRINT_LIMIT + 8);
    assert_string_equal(txt + len - 3, "...");
    uint32_t *named_map = calloc(art->named_count + 1, sizeof(uint32_t));
    uint32_t *node_map = malloc(art->node_count * sizeof(uint32_t));
    memset(node_map, 0xff, art->node_count * sizeof(uint32_t));
    uint32_t back = art_import(s, art, art->values[0].scheme, named_map, node_map);
    assert_int_equal(ty_unify(s, ty_instantiate(s, back), inst, &ov, &ot), TY_OK);
    free(named_map);
    free(node_map);
}

/* 100 000 distinct variables print in linear time with the right names. */
static void test_print_many_vars(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    enum { N = 100000 };
    uint32_t *vars = calloc(N, sizeof *vars);
    for (int i = 0; i < N; i++)
        vars[i] = ty_var(s);
    const char *txt = show(f, ty_fn(s, vars, N, vars[N - 1]), "M");
    char tail[64];
    snprintf(tail, sizeof tail, ", %c%d) -> %c%d", 'a' + (N - 1) % 26, (N - 1) / 26,
             'a' + (N - 1) % 26, (N - 1) / 26);
    assert_string_equal(txt + strlen(txt) - strlen(tail), tail);
    free(vars);
}

static void test_unify_basics(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    uint32_t ov, ot;
    assert_int_equal(ty_unify(s, s->t_int, s->t_str, &ov, &ot), TY_MISMATCH);
    uint32_t a = ty_var(s), b = ty_var(s);
    assert_int_equal(ty_unify(s, fn1(s, a, b), fn1(s, s->t_int, a), &ov, &ot), TY_OK);
    assert_string_equal(show(f, b, "M"), "Int");
    /* different parameter counts never unify: functions are not curried */
    assert_int_equal(ty_unify(s, fn2(s, s->t_int, s->t_int, s->t_int),
                              fn1(s, s->t_int, fn1(s, s->t_int, s->t_int)), &ov, &ot),
                     TY_MISMATCH);
    /* the error type unifies with everything; a variable becomes it */
    uint32_t c = ty_var(s);
    assert_int_equal(ty_unify(s, c, s->t_error, &ov, &ot), TY_OK);
    assert_int_equal(ty_find(s, c), s->t_error);
    assert_int_equal(ty_unify(s, c, s->t_int, &ov, &ot), TY_OK);
    assert_int_equal(ty_unify(s, fn1(s, s->t_error, s->t_int), fn1(s, s->t_str, s->t_int), &ov, &ot),
                     TY_OK);
    /* named types compare by name */
    uint32_t n1 = ty_named(s, "A", "T"), n2 = ty_named(s, "B", "T");
    assert_int_equal(ty_unify(s, ty_con(s, n1, NULL, 0), ty_con(s, n1, NULL, 0), &ov, &ot), TY_OK);
    assert_int_equal(ty_unify(s, ty_con(s, n1, NULL, 0), ty_con(s, n2, NULL, 0), &ov, &ot),
                     TY_MISMATCH);
}

static void test_occurs_check(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    uint32_t ov = 0, ot = 0;
    uint32_t a = ty_var(s), r = ty_var(s);
    uint32_t t = fn1(s, a, r);
    assert_int_equal(ty_unify(s, a, t, &ov, &ot), TY_OCCURS);
    assert_int_equal(ov, a);
    assert_int_equal(ot, t);
    /* through a chain of variables */
    uint32_t b = ty_var(s), c = ty_var(s);
    assert_int_equal(ty_unify(s, b, c, &ov, &ot), TY_OK);
    assert_int_equal(ty_unify(s, pair(s, c, s->t_int), b, &ov, &ot), TY_OCCURS);
}

static void test_rigid(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    uint32_t ov, ot;
    uint32_t r1 = ty_rigid(s, 1), r2 = ty_rigid(s, 1);
    assert_int_equal(ty_unify(s, r1, s->t_int, &ov, &ot), TY_MISMATCH);
    assert_int_equal(ty_unify(s, r1, r2, &ov, &ot), TY_MISMATCH);
    assert_int_equal(ty_unify(s, r1, r1, &ov, &ot), TY_OK);
    /* a variable of an outer level would let the rigid one escape */
    uint32_t outer = ty_var(s);
    assert_int_equal(ty_unify(s, outer, r1, &ov, &ot), TY_MISMATCH);
    assert_int_equal(ty_unify(s, fn1(s, s->t_int, outer), fn1(s, s->t_int, r1), &ov, &ot),
                     TY_MISMATCH);
    s->level = 1;
    uint32_t v = ty_var(s);
    assert_int_equal(ty_unify(s, v, r1, &ov, &ot), TY_OK);
    assert_int_equal(ty_unify(s, v, s->t_int, &ov, &ot), TY_MISMATCH);
}

static void test_generalize_levels(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    uint32_t ov, ot;
    uint32_t outer = ty_var(s);            /* level 0: a lambda-bound variable */
    s->level = 1;
    uint32_t a = ty_var(s), b = ty_var(s);
    /* b escapes to level 0 through unification with outer */
    assert_int_equal(ty_unify(s, b, outer, &ov, &ot), TY_OK);
    uint32_t t = fn2(s, a, b, a);
    s->level = 0;
    ty_generalize(s, t);
    uint32_t i1 = ty_instantiate(s, t), i2 = ty_instantiate(s, t);
    /* a is fresh per instance, b stays shared */
    assert_int_equal(ty_unify(s, i1, fn2(s, s->t_int, s->t_str, s->t_int), &ov, &ot), TY_OK);
    assert_int_equal(ty_unify(s, i2, fn2(s, s->t_bool, s->t_str, s->t_bool), &ov, &ot), TY_OK);
    assert_string_equal(show(f, outer, "M"), "Str");
    assert_int_equal(ty_unify(s, i2, fn2(s, s->t_bool, s->t_int, s->t_bool), &ov, &ot), TY_MISMATCH);
    /* instantiating a type without generic variables shares it */
    uint32_t m = fn1(s, s->t_int, outer);
    assert_int_equal(ty_instantiate(s, m), m);
}

/* ---- artifacts ------------------------------------------------------------ */

/* Builds Mod's artifact: type Box(a) = Box(a) | Empty (exposed as given),
 * values id : a -> a (exposed), helper : Int (private, type varies). */
static const Artifact *build(Fx *f, bool box_ctors_exposed, uint32_t helper_type,
                             bool id_on_int, bool swap_order)
{
    TyStore *s = &f->s;
    ArtBuilder b;
    art_builder_init(&b, s, "Mod", &f->scratch);
    uint32_t box = ty_named(s, "Mod", "Box");
    uint32_t p = ty_generic_var(s);
    uint32_t boxp = ty_con(s, box, &p, 1);
    art_add_type(&b, "Box", 1, true, box_ctors_exposed, false);
    art_begin_scheme(&b);
    art_add_ctor(&b, "Box", 1, art_export(&b, fn1(s, p, boxp)));
    art_begin_scheme(&b);
    art_add_ctor(&b, "Empty", 0, art_export(&b, boxp));
    uint32_t v = id_on_int ? s->t_int : ty_generic_var(s);
    uint32_t idt = fn1(s, v, v);
    for (int k = 0; k < 2; k++) {
        if ((k == 0) != swap_order) {
            art_begin_scheme(&b);
            art_add_value(&b, "id", art_export(&b, idt), true, false);
        } else {
            art_begin_scheme(&b);
            art_add_value(&b, "helper", art_export(&b, helper_type), false, false);
        }
    }
    return art_seal(&b, &f->keep);
}

static void test_artifact_hash(void **state)
{
    Fx *f = *state;
    TyStore *s = &f->s;
    const Artifact *base = build(f, true, s->t_int, false, false);
    uint64_t h = artifact_interface_hash(base);
    /* private value changes its type: same interface */
    assert_true(build(f, true, s->t_str, false, false)->iface_hash == h);
    /* declaration order of values does not matter */
    assert_true(build(f, true, s->t_int, false, true)->iface_hash == h);
    /* exported type changes */
    assert_true(build(f, false, s->t_int, false, false)->iface_hash != h);
    /* exported value's scheme changes */
    assert_true(build(f, true, s->t_int, true, false)->iface_hash != h);

    assert_string_equal(artifact_module_name(base), "Mod");
    assert_int_equal(artifact_value_count(base), 2);
    assert_string_equal(artifact_value_name(base, 0), "id");
    assert_string_equal(artifact_value_type_string(base, 0, &f->keep), "a -> a");
    assert_string_equal(artifact_value_type_string(base, 1, &f->keep), "Int");
    assert_int_equal(artifact_find_value(base, "id"), 0);
    assert_int_equal(artifact_find_value(base, "helper"), UINT32_MAX);
    assert_int_equal(artifact_find_ctor(base, "Empty"), 1);
    assert_int_equal(artifact_find_type(base, "Box"), 0);
    assert_int_equal(artifact_find_type(base, "Nope"), UINT32_MAX);
}

static void test_artifact_import(void **state)
{
    Fx *f = *state;
    const Artifact *a = build(f, true, f->s.t_int, false, false);
    /* a fresh store, as in a dependent's check */
    TyStore t;
    ty_store_init(&t, &f->scratch);
    uint32_t *named = malloc(a->named_count * sizeof *named);
    uint32_t *nodes = malloc(a->node_count * sizeof *nodes);
    memset(named, 0xff, a->named_count * sizeof *named);
    memset(nodes, 0xff, a->node_count * sizeof *nodes);
    uint32_t ctor = art_import(&t, a, a->ctors[0].scheme, named, nodes);
    uint32_t i1 = ty_instantiate(&t, ctor);
    assert_string_equal(ty_to_string(&t, i1, "Main", &f->keep), "a -> Mod.Box(a)");
    assert_string_equal(ty_to_string(&t, i1, "Mod", &f->keep), "a -> Box(a)");
    uint32_t ov, ot, arg = t.t_int;
    uint32_t want = ty_fn(&t, &arg, 1, ty_con(&t, ty_named(&t, "Mod", "Box"), &arg, 1));
    assert_int_equal(ty_unify(&t, want, i1, &ov, &ot), TY_OK);
    /* the imported scheme stays generic */
    uint32_t i2 = ty_instantiate(&t, ctor);
    assert_string_equal(ty_to_string(&t, i2, "Mod", &f->keep), "a -> Box(a)");
    free(named);
    free(nodes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_print_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_named_and_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_dag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_many_vars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unify_basics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_occurs_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rigid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generalize_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_artifact_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_artifact_import, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
