/* Unit tests of parse_module beyond the golden files: the name interface,
 * spans, deep nesting, big inputs, allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "modules/lex.h"
#include "modules/phases.h"

typedef struct Parsed {
    Arena keep, ast, scratch;
    ParseOutput out;
    PhaseStatus st;
} Parsed;

static void parse(Parsed *p, const char *src, uint32_t len)
{
    arena_init(&p->keep, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&p->ast, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&p->scratch, ARENA_DEFAULT_CHUNK, 0);
    p->st = parse_module(src, len, &p->keep, &p->ast, &p->scratch, &p->out);
}

static void parse_str(Parsed *p, const char *src)
{
    parse(p, src, (uint32_t)strlen(src));
}

static void release(Parsed *p)
{
    arena_free(&p->keep);
    arena_free(&p->ast);
    arena_free(&p->scratch);
}

/* ---- name interface ------------------------------------------------------- */

static void test_iface(void **state)
{
    (void)state;
    Parsed p;
    parse_str(&p,
              "module Geo.Shapes exposing (zeta, area, Shape(..), Box, missing, Gone(..), f, area,"
              " Shape, dup, broken, Opt(..))\n"
              "import Math\n"
              "import Util.Lists as L exposing (fold)\n"
              "type Shape = Circle(Int) | Rect(Int, Int) | Empty\n"
              "type Box(a, b) = Box(a)\n"
              "type Opt(a) = Some(a) | None\n"
              "let zeta = 1\n"
              "fn area(s) = 0\n"
              "fn f() = 1\n"
              "fn broken(x) = x +\n"
              "let dup = 1\n"
              "fn dup() = 2\n"
              "type Gone = A | b\n"
              "fn broken() = 3\n");
    assert_int_equal(p.st, PHASE_OK);
    const NameIface *f = p.out.iface;
    assert_non_null(f);
    assert_string_equal(iface_str(f, f->module), "Geo.Shapes");
    assert_int_equal(f->module_start, 7);
    assert_int_equal(f->module_end, 17);

    assert_int_equal(f->import_count, 2);
    assert_string_equal(iface_str(f, f->imports[0].module), "Math");
    assert_null(iface_str(f, f->imports[0].alias));
    assert_int_equal(f->imports[0].has_exposing, 0);
    const char *src = "module Geo.Shapes exposing (zeta, area, Shape(..), Box, missing, Gone(..), f, area,"
                      " Shape, dup, broken, Opt(..))\n";
    uint32_t line2 = (uint32_t)strlen(src);
    assert_int_equal(f->imports[0].import_start, line2);
    assert_int_equal(f->imports[0].import_end, line2 + 11);
    assert_int_equal(f->imports[0].name_start, line2 + 7);
    assert_int_equal(f->imports[0].name_end, line2 + 11);
    assert_string_equal(iface_str(f, f->imports[1].module), "Util.Lists");
    assert_string_equal(iface_str(f, f->imports[1].alias), "L");
    assert_int_equal(f->imports[1].has_exposing, 1);
    uint32_t line3 = line2 + 12;
    assert_int_equal(f->imports[1].name_start, line3 + 7);
    assert_int_equal(f->imports[1].name_end, line3 + 17);
    assert_int_equal(f->imports[1].import_start, line3);
    assert_int_equal(f->imports[1].import_end, line3 + 38);

    /* Values: sorted, each once, only defined ones; broken first def poisons. */
    assert_int_equal(f->value_count, 5);
    const char *vals[] = { "area", "broken", "dup", "f", "zeta" };
    const uint8_t poisoned[] = { 0, 1, 0, 0, 0 };
    for (uint32_t i = 0; i < 5; i++) {
        assert_string_equal(iface_str(f, f->values[i].name), vals[i]);
        assert_int_equal(f->values[i].poisoned, poisoned[i]);
        assert_int_equal(iface_find_value(f, vals[i], (uint32_t)strlen(vals[i])), i);
    }
    assert_int_equal(iface_find_value(f, "missing", 7), UINT32_MAX);
    assert_int_equal(iface_find_value(f, "are", 3), UINT32_MAX);
    assert_int_equal(iface_find_value(f, "areas", 5), UINT32_MAX);

    /* Types: Box, Gone (poisoned), Opt, Shape (T and T(..) both: ctors). */
    assert_int_equal(f->type_count, 4);
    const char *types[] = { "Box", "Gone", "Opt", "Shape" };
    for (uint32_t i = 0; i < 4; i++) {
        assert_string_equal(iface_str(f, f->types[i].name), types[i]);
        assert_int_equal(iface_find_type(f, types[i], (uint32_t)strlen(types[i])), i);
    }
    assert_int_equal(f->types[0].arity, 2);
    assert_int_equal(f->types[0].ctors_exposed, 0);
    assert_int_equal(f->types[0].ctor_count, 0);
    assert_int_equal(f->types[1].poisoned, 1);
    assert_int_equal(f->types[1].ctor_count, 0);
    assert_int_equal(f->types[2].arity, 1);
    assert_int_equal(f->types[2].ctors_exposed, 1);
    assert_int_equal(f->types[3].ctors_exposed, 1);
    assert_int_equal(f->types[3].arity, 0);

    assert_int_equal(f->ctor_count, 5);
    const char *ctors[] = { "Some", "None", "Circle", "Rect", "Empty" };
    const uint32_t arity[] = { 1, 0, 1, 2, 0 };
    const uint32_t owner[] = { 2, 2, 3, 3, 3 };
    for (uint32_t i = 0; i < 5; i++) {
        assert_string_equal(iface_str(f, f->ctors[i].name), ctors[i]);
        assert_int_equal(f->ctors[i].arity, arity[i]);
        assert_int_equal(f->ctors[i].type, owner[i]);
        assert_int_equal(iface_find_ctor(f, ctors[i], (uint32_t)strlen(ctors[i])), i);
    }
    assert_int_equal(f->types[2].ctor_first, 0);
    assert_int_equal(f->types[2].ctor_count, 2);
    assert_int_equal(f->types[3].ctor_first, 2);
    assert_int_equal(f->types[3].ctor_count, 3);
    assert_int_equal(iface_find_ctor(f, "Box", 3), UINT32_MAX);
    assert_int_equal(iface_find_ctor(f, "A", 1), UINT32_MAX);

    /* Two syntax errors, one report each. */
    assert_int_equal(p.out.reports.count, 2);
    release(&p);
}

/* ---- spans ------------------------------------------------------------------ */

static void span_text(const Ast *ast, uint32_t node, char *buf, size_t size)
{
    uint32_t s, e;
    ast_node_span(ast, node, &s, &e);
    assert_true(s <= e && e <= ast->src_len);
    snprintf(buf, size, "%.*s", (int)(e - s), ast->src + s);
}

static uint32_t decl_value(const Ast *ast, uint32_t i)
{
    uint32_t d = ast_list_at(ast, ast->decls, i);
    assert_int_equal(ast->kind[d], AST_DECL_LET);
    return ast->extra[ast->b[d] + 1];
}

static void test_spans(void **state)
{
    (void)state;
    Parsed p;
    parse_str(&p, "module S exposing ()\n"
                  "let a = (1 + 2) * 3\n"
                  "let b = match x { A -> (1), B -> 2, }\n"
                  "let c = f(g(x), (y))\n"
                  "let d = M.N.x\n"
                  "let e: ((Int, Int)) -> Int = 1\n"
                  "fn f(x: Int) -> Int = -x\n"
                  "type T(a) = | A(a) | B\n"
                  "let g = ()\n");
    assert_int_equal(p.st, PHASE_OK);
    assert_int_equal(p.out.reports.count, 0);
    const Ast *ast = p.out.ast;
    char buf[256];
    span_text(ast, decl_value(ast, 0), buf, sizeof buf);
    assert_string_equal(buf, "(1 + 2) * 3");
    span_text(ast, decl_value(ast, 1), buf, sizeof buf);
    assert_string_equal(buf, "match x { A -> (1), B -> 2, }");
    span_text(ast, decl_value(ast, 2), buf, sizeof buf);
    assert_string_equal(buf, "f(g(x), (y))");
    span_text(ast, decl_value(ast, 3), buf, sizeof buf);
    assert_string_equal(buf, "M.N.x");
    uint32_t e = ast_list_at(ast, ast->decls, 4);
    span_text(ast, ast->extra[ast->b[e]], buf, sizeof buf);
    assert_string_equal(buf, "((Int, Int)) -> Int");
    for (uint32_t i = 0; i < 8; i++) {
        static const char *const whole[] = {
            "let a = (1 + 2) * 3", "let b = match x { A -> (1), B -> 2, }",
            "let c = f(g(x), (y))", "let d = M.N.x", "let e: ((Int, Int)) -> Int = 1",
            "fn f(x: Int) -> Int = -x", "type T(a) = | A(a) | B", "let g = ()",
        };
        span_text(ast, ast_list_at(ast, ast->decls, i), buf, sizeof buf);
        assert_string_equal(buf, whole[i]);
    }
    release(&p);
}

/* ---- failures ----------------------------------------------------------------- */

static void test_failed_phases(void **state)
{
    (void)state;
    Parsed p;
    parse(&p, "module M exposing ()\nlet a = \"\0\"\n", 32);
    assert_int_equal(p.st, PHASE_FAILED);
    assert_null(p.out.ast);
    assert_null(p.out.iface);
    assert_int_equal(p.out.reports.count, 1);
    assert_int_equal(p.out.reports.items[0].code, RC_E0002);
    assert_int_equal(p.out.reports.items[0].start, 30);
    release(&p);

    parse_str(&p, "let a = 1\n");
    assert_int_equal(p.st, PHASE_FAILED);
    assert_null(p.out.ast);
    assert_int_equal(p.out.reports.count, 1);
    assert_int_equal(p.out.reports.items[0].code, RC_E0112);
    release(&p);

    /* Syntax errors alone do not fail the phase. */
    parse_str(&p, "module M exposing ()\nlet a = )\nlet b = 2\n");
    assert_int_equal(p.st, PHASE_OK);
    assert_int_equal(p.out.reports.count, 1);
    assert_int_equal(ast_list_len(p.out.ast, p.out.ast->decls), 2);
    release(&p);
}

/* ---- size and depth ------------------------------------------------------------ */

static void test_million_parens(void **state)
{
    (void)state;
    const char *head = "module M exposing ()\nlet x = ";
    size_t hl = strlen(head), n = 1000000;
    char *src = malloc(hl + n + 32);
    memcpy(src, head, hl);
    memset(src + hl, '(', n);
    strcpy(src + hl + n, "\nlet y = 1\n");
    Parsed p;
    parse(&p, src, (uint32_t)strlen(src));
    assert_int_equal(p.st, PHASE_OK);
    assert_int_equal(p.out.reports.count, 1);
    assert_int_equal(p.out.reports.items[0].code, RC_E0111);
    assert_string_equal(p.out.reports.items[0].message, "nesting too deep (more than 256 levels)");
    assert_int_equal(ast_list_len(p.out.ast, p.out.ast->decls), 2);
    assert_int_equal(p.out.ast->kind[ast_list_at(p.out.ast, p.out.ast->decls, 0)], AST_DECL_BROKEN);
    assert_int_equal(p.out.ast->kind[ast_list_at(p.out.ast, p.out.ast->decls, 1)], AST_DECL_LET);
    release(&p);

    /* Without a following declaration, and inside a type and a pattern. */
    strcpy(src + hl + n, "");
    parse(&p, src, (uint32_t)(hl + n));
    assert_int_equal(p.out.reports.count, 1);
    release(&p);
    free(src);
}

static void test_generated_file(void **state)
{
    (void)state;
    /* ~2 MB of valid code: no report, one decl per function. */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    fputs("module Big exposing (f0)\nimport Other as O exposing (g)\n", m);
    uint32_t n = 20000;
    for (uint32_t i = 0; i < n; i++)
        fprintf(m, "fn f%u(x: Int, y) -> Int =\n  match O.g(x, \"s%u\") {\n    Some((a, _)) -> a * %u + y,"
                   "\n    None -> if x < 0 then -x else let z = x in z,\n  }\n", i, i, i);
    fclose(m);
    Parsed p;
    parse(&p, buf, (uint32_t)len);
    assert_int_equal(p.st, PHASE_OK);
    assert_int_equal(p.out.reports.count, 0);
    assert_int_equal(ast_list_len(p.out.ast, p.out.ast->decls), n);
    release(&p);
    free(buf);
}

/* ---- allocation failure ------------------------------------------------------------ */

static void test_out_of_memory(void **state)
{
    (void)state;
    const char *src = "module M exposing (f, T(..))\nimport A as B exposing (x)\n"
                      "type T(a) = A(a) | B\nfn f(x) = match x { A(y) -> \"str\" ++ y, B -> $ }\n"
                      "let g = (1, 2)\n";
    int oom = 0;
    for (uint64_t n = 1; n < 200; n++) {
        Parsed p;
        arena_init(&p.keep, 256, 0);
        arena_init(&p.ast, 256, 0);
        arena_init(&p.scratch, 256, 0);
        jmp_buf outer;
        arena_set_oom(&p.ast, &outer);     /* must be restored after the call */
        mem_fail_at(n);
        p.st = parse_module(src, (uint32_t)strlen(src), &p.keep, &p.ast, &p.scratch, &p.out);
        int hit = mem_failpoint_hit();
        mem_fail_at(0);
        assert_ptr_equal(p.ast.oom, &outer);
        assert_null(p.keep.oom);
        assert_null(p.scratch.oom);
        if (hit) {
            assert_int_equal(p.st, PHASE_OOM);
            assert_null(p.out.ast);
            oom++;
        } else {
            assert_int_equal(p.st, PHASE_OK);
            assert_int_equal(p.out.reports.count, 1);
        }
        release(&p);
        if (!hit) break;
    }
    assert_true(oom >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iface),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_failed_phases),
        cmocka_unit_test(test_million_parens),
        cmocka_unit_test(test_generated_file),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
