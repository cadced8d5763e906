/* Reports: the code table, lists and sealing, line tables (empty file, no
 * final newline, span at EOF), text and JSON rendering of exact strings,
 * and the total order of report_refs_sort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "reports/report.h"

typedef struct Fixture {
    Arena scratch, durable;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    arena_init(&f->scratch, 4096, 0);
    arena_init(&f->durable, 4096, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    arena_free(&f->scratch);
    arena_free(&f->durable);
    free(f);
    return 0;
}

/* Renders into a string (malloc'd; the caller frees). */
typedef struct Capture { char *buf; size_t len; FILE *f; } Capture;
static FILE *cap_open(Capture *c) { c->f = open_memstream(&c->buf, &c->len); return c->f; }
static char *cap_close(Capture *c) { fclose(c->f); return c->buf; }

static ReportContext make_ctx(Fixture *f, LineTable *lt, const char *module,
                              const char *path, const char *src)
{
    uint32_t len = src ? (uint32_t)strlen(src) : 0;
    if (src)
        assert_true(line_table_build(lt, src, len, &f->durable));
    return (ReportContext){ module, path, src, len, src ? lt : NULL };
}

static void expect_text(const ReportContext *ctx, const Report *r, bool colour, const char *want)
{
    Capture c;
    report_render_text(cap_open(&c), ctx, r, colour);
    char *got = cap_close(&c);
    assert_string_equal(got, want);
    free(got);
}

static void expect_json(const ReportContext *ctx, const Report *r, const char *want)
{
    Capture c;
    report_render_json(cap_open(&c), ctx, r);
    char *got = cap_close(&c);
    assert_string_equal(got, want);
    free(got);
}

static void test_codes(void **state)
{
    assert_string_equal(report_code_name(RC_E0301), "E0301");
    assert_string_equal(report_code_name(RC_W0201), "W0201");
    assert_int_equal(report_code_severity(RC_W0306), SEV_WARNING);
    assert_int_equal(report_code_severity(RC_E0001), SEV_ERROR);
    assert_string_equal(report_code_title(RC_E0402), "import cycle");
    assert_string_equal(report_code_name(RC_E0902), "E0902");
}

static void test_list_and_seal(void **state)
{
    Fixture *f = *state;
    ReportList l;
    report_list_init(&l, &f->scratch, &f->durable);
    ReportSpan empty = report_list_seal(&l, &f->durable);
    assert_non_null(empty.items);
    assert_int_equal(empty.count, 0);

    Report *r = report_add(&l, RC_E0201, 4, 7, "unknown name `%s`", "foo");
    report_set_note(&l, r, "did you mean `%s`?", "for");
    report_add(&l, RC_W0201, 0, 0, "unused import `%s`", "List");
    report_add(&l, RC_E0110, 9, 3, "syntax error");   /* end < start clamps */
    assert_int_equal(l.errors, 2);

    Arena other;
    arena_init(&other, 1024, 0);
    ReportSpan s = report_list_seal(&l, &other);
    arena_reset(&f->scratch);  /* the sealed copy does not depend on scratch */
    assert_int_equal(s.count, 3);
    assert_int_equal(s.items[0].code, RC_E0201);
    assert_string_equal(s.items[0].message, "unknown name `foo`");
    assert_string_equal(s.items[0].note, "did you mean `for`?");
    assert_null(s.items[1].note);
    assert_int_equal(s.items[2].start, 9);
    assert_int_equal(s.items[2].end, 9);
    arena_free(&other);
}

static void test_line_table(void **state)
{
    Fixture *f = *state;
    LineTable t;
    uint32_t line, col;

    /* empty file: one line, EOF at 1:1 */
    assert_true(line_table_build(&t, "", 0, &f->durable));
    assert_int_equal(t.count, 1);
    line_table_locate(&t, 0, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);

    /* no final newline: EOF is just after the last byte of the last line */
    assert_true(line_table_build(&t, "ab\ncd", 5, &f->durable));
    assert_int_equal(t.count, 2);
    line_table_locate(&t, 2, &line, &col);     /* the '\n' */
    assert_int_equal(line, 1);
    assert_int_equal(col, 3);
    line_table_locate(&t, 3, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 1);
    line_table_locate(&t, 5, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 3);
    line_table_locate(&t, 99, &line, &col);    /* clamped to EOF */
    assert_int_equal(line, 2);
    assert_int_equal(col, 3);

    /* final newline: EOF starts an empty last line */
    assert_true(line_table_build(&t, "ab\n\ncd\n", 7, &f->durable));
    assert_int_equal(t.count, 4);
    line_table_locate(&t, 3, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 1);
    line_table_locate(&t, 7, &line, &col);
    assert_int_equal(line, 4);
    assert_int_equal(col, 1);
}

static const char SHAPES[] =
    "module Geometry.Shapes exposing (area)\n"
    "\n"
    "area w =\n"
    "  w * \"x\"\n";

static void test_text_basic(void **state)
{
    Fixture *f = *state;
    LineTable lt;
    ReportContext ctx = make_ctx(f, &lt, "Geometry.Shapes", "src/Geometry/Shapes.kite", SHAPES);
    uint32_t at = (uint32_t)(strstr(SHAPES, "\"x\"") - SHAPES);
    Report r = { RC_E0301, at, at + 3, "type mismatch: expected Int, found Str", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx, &r, false,
        "src/Geometry/Shapes.kite:4:7: error[E0301]: type mismatch: expected Int, found Str\n"
        "    4 |   w * \"x\"\n"
        "      |       ^^^\n");
    expect_json(&ctx, &r,
        "{\"severity\":\"error\",\"code\":\"E0301\",\"module\":\"Geometry.Shapes\","
        "\"file\":\"src/Geometry/Shapes.kite\",\"line\":4,\"col\":7,\"end_line\":4,"
        "\"end_col\":10,\"message\":\"type mismatch: expected Int, found Str\"}\n");

    /* colour: bold red severity, bold blue gutter */
    expect_text(&ctx, &r, true,
        "src/Geometry/Shapes.kite:4:7: \x1b[1;31merror\x1b[0m[E0301]: type mismatch: expected Int, found Str\n"
        "\x1b[1;34m    4 |\x1b[0m   w * \"x\"\n"
        "\x1b[1;34m      |\x1b[0m       ^^^\n");

    Report w = { RC_W0201, 0, 6, "unused import `List`", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx, &w, false,
        "src/Geometry/Shapes.kite:1:1: warning[W0201]: unused import `List`\n"
        "    1 | module Geometry.Shapes exposing (area)\n"
        "      | ^^^^^^\n");
    expect_text(&ctx, &w, true,
        "src/Geometry/Shapes.kite:1:1: \x1b[1;33mwarning\x1b[0m[W0201]: unused import `List`\n"
        "\x1b[1;34m    1 |\x1b[0m module Geometry.Shapes exposing (area)\n"
        "\x1b[1;34m      |\x1b[0m ^^^^^^\n");
    expect_json(&ctx, &w,
        "{\"severity\":\"warning\",\"code\":\"W0201\",\"module\":\"Geometry.Shapes\","
        "\"file\":\"src/Geometry/Shapes.kite\",\"line\":1,\"col\":1,\"end_line\":1,"
        "\"end_col\":7,\"message\":\"unused import `List`\"}\n");
}

static void test_text_edges(void **state)
{
    Fixture *f = *state;
    LineTable lt;

    /* a span across lines is cut at the end of its first line; JSON keeps
     * the real end */
    ReportContext ctx = make_ctx(f, &lt, "M", "m.kite", "f x =\n  x +\n    1");
    Report multi = { RC_E0110, 8, 17, "syntax error", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx, &multi, false,
        "m.kite:2:3: error[E0110]: syntax error\n"
        "    2 |   x +\n"
        "      |   ^^^\n");
    expect_json(&ctx, &multi,
        "{\"severity\":\"error\",\"code\":\"E0110\",\"module\":\"M\",\"file\":\"m.kite\","
        "\"line\":2,\"col\":3,\"end_line\":3,\"end_col\":6,\"message\":\"syntax error\"}\n");

    /* empty span at EOF without a final newline: one caret after the text */
    Report eof = { RC_E0110, 17, 17, "unexpected end of file", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx, &eof, false,
        "m.kite:3:6: error[E0110]: unexpected end of file\n"
        "    3 |     1\n"
        "      |      ^\n");

    /* span at EOF after a final newline: the empty last line */
    ReportContext ctx2 = make_ctx(f, &lt, "M", "m.kite", "x =\n");
    Report eof2 = { RC_E0110, 4, 4, "unexpected end of file", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx2, &eof2, false,
        "m.kite:2:1: error[E0110]: unexpected end of file\n"
        "    2 | \n"
        "      | ^\n");

    /* empty file */
    ReportContext ctx3 = make_ctx(f, &lt, "Empty", "e.kite", "");
    Report hdr = { RC_E0112, 0, 0, "missing module header", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx3, &hdr, false,
        "e.kite:1:1: error[E0112]: missing module header\n"
        "    1 | \n"
        "      | ^\n");

    /* tabs are kept, and the underline copies them; CR of CRLF is dropped */
    ReportContext ctx4 = make_ctx(f, &lt, "T", "t.kite", "a =\r\n\tb\t+ \"s\"\r\n");
    Report tab = { RC_E0301, 10, 13, "type mismatch", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx4, &tab, false,
        "t.kite:2:6: error[E0301]: type mismatch\n"
        "    2 | \tb\t+ \"s\"\n"
        "      | \t \t  ^^^\n");

    /* a span ending in the CR is cut before it */
    Report cr = { RC_E0101, 3, 5, "unexpected character", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx4, &cr, false,
        "t.kite:1:4: error[E0101]: unexpected character\n"
        "    1 | a =\n"
        "      |    ^\n");

    /* notes follow the snippet, one prefix per line */
    ReportContext ctx5 = make_ctx(f, &lt, "N", "n.kite", "import A\n");
    Report note = { RC_E0402, 0, 8, "import cycle: A -> N -> A", "A imports N\nN imports A", REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx5, &note, false,
        "n.kite:1:1: error[E0402]: import cycle: A -> N -> A\n"
        "    1 | import A\n"
        "      | ^^^^^^^^\n"
        "      = note: A imports N\n"
        "      = note: N imports A\n");

    /* line numbers wider than the field push the gutter right */
    char *big = malloc(100001 + 2);
    memset(big, '\n', 100001);
    big[100001] = 'z';
    big[100002] = '\0';
    ReportContext ctx6 = make_ctx(f, &lt, "B", "b.kite", big);
    Report far = { RC_E0201, 100001, 100002, "unknown name `z`", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx6, &far, false,
        "b.kite:100002:1: error[E0201]: unknown name `z`\n"
        "100002 | z\n"
        "      | ^\n");
    free(big);
}

static void test_no_source_and_escaping(void **state)
{
    Fixture *f = *state;
    LineTable lt;
    ReportContext ctx = make_ctx(f, &lt, "Gone", "src/Gone.kite", NULL);
    Report r = { RC_E0001, 0, 0, "cannot read src/Gone.kite: No such file or directory", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx, &r, false,
        "src/Gone.kite:1:1: error[E0001]: cannot read src/Gone.kite: No such file or directory\n");
    expect_json(&ctx, &r,
        "{\"severity\":\"error\",\"code\":\"E0001\",\"module\":\"Gone\",\"file\":\"src/Gone.kite\","
        "\"line\":1,\"col\":1,\"end_line\":1,\"end_col\":1,"
        "\"message\":\"cannot read src/Gone.kite: No such file or directory\"}\n");

    ReportContext q = { "M\"q", "dir\\f.kite", NULL, 0, NULL };
    Report e = { RC_E0102, 0, 0, "bad \"str\"\n\ttab\r\x01\x1f caf\xc3\xa9", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_json(&q, &e,
        "{\"severity\":\"error\",\"code\":\"E0102\",\"module\":\"M\\\"q\",\"file\":\"dir\\\\f.kite\","
        "\"line\":1,\"col\":1,\"end_line\":1,\"end_col\":1,"
        "\"message\":\"bad \\\"str\\\"\\n\\ttab\\r\\u0001\\u001f caf\xc3\xa9\"}\n");
}

/* Source bytes never reach the terminal raw: controls, bidi controls and
 * bytes that are not UTF-8 are escaped as gcc >= 10 and clang do, and the
 * underline counts their shown width. */
static void test_snippet_escapes(void **state)
{
    Fixture *f = *state;
    LineTable lt;
    ReportContext ctx = make_ctx(f, &lt, "E", "e.kite", "a\x1b[2Jb + 1\r\n");
    Report esc = { RC_E0301, 7, 8, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx, &esc, false,
        "e.kite:1:8: error[E0301]: m\n"
        "    1 | a<U+001B>[2Jb + 1\n"
        "      |               ^\n");
    /* the escaped character itself underlined over its width; a CR inside
     * the line is escaped (only the CR of CRLF is dropped) */
    ReportContext ctx2 = make_ctx(f, &lt, "E", "e.kite", "x = \xe2\x80\xae" "1\rz \xff\xc2\x9b\n");
    Report bidi = { RC_E0101, 4, 7, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx2, &bidi, false,
        "e.kite:1:5: error[E0101]: m\n"
        "    1 | x = <U+202E>1<U+000D>z <FF><U+009B>\n"
        "      |     ^^^^^^^^\n");
    Report bad = { RC_E0002, 11, 12, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&ctx2, &bad, false,
        "e.kite:1:12: error[E0002]: m\n"
        "    1 | x = <U+202E>1<U+000D>z <FF><U+009B>\n"
        "      | " "                       ^^^^\n");
}

/* The file name and the message (which may quote source text) are shown
 * with the same escapes as the snippet. */
static void test_header_escapes(void **state)
{
    (void)state;
    ReportContext q = { "M", "a\x1b[2J.kite", NULL, 0, NULL };
    Report e = { RC_E0101, 0, 0, "unexpected character `\x1b` \xe2\x80\xae\xff", NULL,
                 REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_text(&q, &e, false,
        "a<U+001B>[2J.kite:1:1: error[E0101]: unexpected character `<U+001B>` <U+202E><FF>\n");
}

/* A long line is cut to SNIPPET_BEFORE (60) bytes before the span's start
 * and SNIPPET_AFTER (100) after it, each cut side marked with `...`; the
 * carets are cut with it. */
static void test_snippet_long_line(void **state)
{
    Fixture *f = *state;
    LineTable lt;
    char *line = malloc(1002);
    memset(line, 'x', 1000);
    line[1000] = '\n';
    line[1001] = '\0';
    ReportContext ctx = make_ctx(f, &lt, "L", "l.kite", line);
    char want[1024], xs[200];
    memset(xs, 'x', 160);
    xs[160] = '\0';
    Report mid = { RC_E0301, 500, 900, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    snprintf(want, sizeof want,
             "l.kite:1:501: error[E0301]: m\n    1 | ...%s...\n      |    %60s%.100s\n",
             xs, "", "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
                     "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
    expect_text(&ctx, &mid, false, want);
    /* near the start: nothing cut on the left */
    Report head = { RC_E0301, 10, 11, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    snprintf(want, sizeof want, "l.kite:1:11: error[E0301]: m\n    1 | %.110s...\n      | %10s^\n",
             line, "");
    expect_text(&ctx, &head, false, want);
    /* at the end: nothing cut on the right */
    Report tail = { RC_E0301, 1000, 1000, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    snprintf(want, sizeof want, "l.kite:1:1001: error[E0301]: m\n    1 | ...%.60s\n      |    %60s^\n",
             line, "");
    expect_text(&ctx, &tail, false, want);
    free(line);
}

/* File names need not be UTF-8: every invalid byte becomes \ufffd, valid
 * sequences (2, 3 and 4 bytes) pass unchanged; overlong forms, surrogates,
 * truncated sequences and lone continuation bytes are invalid. */
static void test_json_invalid_utf8(void **state)
{
    (void)state;
    ReportContext q = { "Bad\xff", "src/Bad\xff.kite", NULL, 0, NULL };
    Report e = { RC_E0001, 0, 0, "x", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT };
    expect_json(&q, &e,
        "{\"severity\":\"error\",\"code\":\"E0001\",\"module\":\"Bad\\ufffd\","
        "\"file\":\"src/Bad\\ufffd.kite\",\"line\":1,\"col\":1,\"end_line\":1,"
        "\"end_col\":1,\"message\":\"x\"}\n");

    Capture c;
    report_json_chars(cap_open(&c),
                      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"   /* é € 😀 */
                      "|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\x80|\xf5\x80\x80\x80|\x7f");
    char *got = cap_close(&c);
    assert_string_equal(got,
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
        "|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd"
        "|\\ufffd\\ufffd\\ufffd\\ufffd|\x7f");
    free(got);
}

static void test_sort(void **state)
{
    Fixture *f = *state;
    LineTable la, lb, lb2;
    const char *src = "aaaa\nbbbb\ncccc\n";
    ReportContext a = make_ctx(f, &la, "Alpha", "src/Alpha.kite", src);
    ReportContext b = make_ctx(f, &lb, "Beta", "src/Beta.kite", src);
    /* a second file claiming the same module name (E0405) */
    ReportContext b2 = make_ctx(f, &lb2, "Beta", "lib/Beta.kite", src);
    ReportContext up = { "Zeta", "z.kite", NULL, 0, NULL };
    ReportContext lower = { "alpha", "x.kite", NULL, 0, NULL };
    Report rs[] = {
        { RC_E0301, 5, 6, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 0: Beta 2:1 E0301 */
        { RC_E0201, 5, 6, "m", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 1: Beta 2:1 E0201 */
        { RC_E0201, 5, 6, "a", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 2: Beta 2:1 E0201 "a" */
        { RC_E0201, 1, 2, "z", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 3: Beta 1:2 */
        { RC_E0201, 10, 11, "z", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },  /* 4: Alpha 3:1 */
        { RC_E0001, 0, 0, "z", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 5: Zeta */
        { RC_E0001, 0, 0, "z", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 6: alpha (lowercase sorts after Z) */
        { RC_E0201, 5, 8, "a", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 7: Beta 2:1 E0201 "a", longer span */
        { RC_E0201, 5, 6, "a", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 8: lib/Beta 2:1 E0201 "a" */
        { RC_W0201, 0, 1, "a", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 9: Alpha 1:1 W0201 */
        { RC_E0401, 0, 1, "a", NULL, REPORT_NO_IMPORT, REPORT_NO_IMPORT },    /* 10: Alpha 1:1 E0401 */
    };
    const ReportContext *ctxs[] = { &b, &b, &b, &b, &a, &up, &lower, &b, &b2, &a, &a };
    enum { N = sizeof rs / sizeof *rs };
    ReportRef refs[N];
    for (int i = 0; i < N; i++)
        refs[i] = (ReportRef){ ctxs[i], &rs[i], 0, 0 };
    report_refs_sort(refs, N);
    int want[N] = { 10, 9, 4, 3, 8, 2, 7, 1, 0, 5, 6 };
    for (int i = 0; i < N; i++)
        assert_ptr_equal(refs[i].report, &rs[want[i]]);
    assert_int_equal(refs[0].line, 1);
    assert_int_equal(refs[0].col, 1);
    assert_int_equal(refs[3].line, 1);
    assert_int_equal(refs[3].col, 2);
    assert_int_equal(refs[4].line, 2);

    /* every input permutation sorts to the same order (a few rotations and
     * a reversal) */
    for (int rot = 1; rot < N; rot += 3) {
        ReportRef p[N];
        for (int i = 0; i < N; i++)
            p[i] = (ReportRef){ ctxs[(i + rot) % N], &rs[(i + rot) % N], 0, 0 };
        report_refs_sort(p, N);
        for (int i = 0; i < N; i++)
            assert_ptr_equal(p[i].report, &rs[want[i]]);
        for (int i = 0; i < N; i++)
            p[i] = (ReportRef){ ctxs[N - 1 - i], &rs[N - 1 - i], 0, 0 };
        report_refs_sort(p, N);
        for (int i = 0; i < N; i++)
            assert_ptr_equal(p[i].report, &rs[want[i]]);
    }
#ifdef COORD_TESTING
    /* without a temporary buffer the fallback gives the same order */
    ReportRef p[N];
    for (int i = 0; i < N; i++)
        p[i] = (ReportRef){ ctxs[N - 1 - i], &rs[N - 1 - i], 0, 0 };
    mem_fail_at(1);
    report_refs_sort(p, N);
    assert_true(mem_failpoint_hit());
    mem_fail_at(0);
    for (int i = 0; i < N; i++)
        assert_ptr_equal(p[i].report, &rs[want[i]]);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes),
        cmocka_unit_test_setup_teardown(test_list_and_seal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_source_and_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sort, setup, teardown),
        cmocka_unit_test(test_json_invalid_utf8),
        cmocka_unit_test_setup_teardown(test_snippet_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snippet_long_line, setup, teardown),
        cmocka_unit_test(test_header_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
