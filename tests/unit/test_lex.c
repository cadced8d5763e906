/* Unit tests of the tokenizer (modules/lex.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "modules/lex.h"

typedef struct Lexed {
    Arena scratch, keep;
    Builder kinds, starts;
    ReportList rep;
    ReportSpan reports;
    const char *src;
    uint32_t len;
} Lexed;

static void lex(Lexed *l, const char *src)
{
    arena_init(&l->scratch, ARENA_DEFAULT_CHUNK, 0);
    arena_init(&l->keep, ARENA_DEFAULT_CHUNK, 0);
    BUILDER_INIT(&l->kinds, &l->scratch, uint8_t);
    BUILDER_INIT(&l->starts, &l->scratch, uint32_t);
    report_list_init(&l->rep, &l->scratch, &l->keep);
    l->src = src;
    l->len = (uint32_t)strlen(src);
    assert_true(lex_tokens(src, l->len, &l->kinds, &l->starts, &l->rep));
    l->reports = report_list_seal(&l->rep, &l->keep);
}

static void done(Lexed *l)
{
    arena_free(&l->scratch);
    arena_free(&l->keep);
}

static TokKind kind_at(const Lexed *l, uint32_t i)
{
    assert_true(i < l->kinds.count);
    return (TokKind)((uint8_t *)l->kinds.data)[i];
}

static uint32_t start_at(const Lexed *l, uint32_t i)
{
    return ((uint32_t *)l->starts.data)[i];
}

/* Renders "KIND@start-end" for every token, space separated. */
static void render(const Lexed *l, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < l->kinds.count; i++) {
        TokKind k = kind_at(l, i);
        uint32_t s = start_at(l, i);
        n += (size_t)snprintf(buf + n, size - n, "%s%s@%u-%u", i ? " " : "", lex_kind_name(k), s,
                              lex_token_end(l->src, l->len, k, s));
    }
}

static void expect_tokens(const char *src, const char *want)
{
    Lexed l;
    char buf[4096];
    lex(&l, src);
    render(&l, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(l.reports.count, 0);
    done(&l);
}

static void test_keywords_and_names(void **state)
{
    (void)state;
    expect_tokens("module exposing import as type fn let in if then else match true false",
                  "KW_MODULE@0-6 KW_EXPOSING@7-15 KW_IMPORT@16-22 KW_AS@23-25 KW_TYPE@26-30 "
                  "KW_FN@31-33 KW_LET@34-37 KW_IN@38-40 KW_IF@41-43 KW_THEN@44-48 "
                  "KW_ELSE@49-53 KW_MATCH@54-59 KW_TRUE@60-64 KW_FALSE@65-70 EOF@70-70");
    /* Near-keywords are identifiers; `_` alone is the wildcard. */
    expect_tokens("modules fnx iff As Type _ _x _1 x_Y9 Foo.bar",
                  "LOWER@0-7 LOWER@8-11 LOWER@12-15 UPPER@16-18 UPPER@19-23 UNDERSCORE@24-25 "
                  "LOWER@26-28 LOWER@29-31 LOWER@32-36 UPPER@37-40 DOT@40-41 LOWER@41-44 EOF@44-44");
}

static void test_punctuation(void **state)
{
    (void)state;
    expect_tokens("( ) { } , : . -> = | + - * / % == != < <= > >= && || ! ++ (..)",
                  "LPAREN@0-1 RPAREN@2-3 LBRACE@4-5 RBRACE@6-7 COMMA@8-9 COLON@10-11 DOT@12-13 "
                  "ARROW@14-16 EQ@17-18 BAR@19-20 PLUS@21-22 MINUS@23-24 STAR@25-26 SLASH@27-28 "
                  "PERCENT@29-30 EQEQ@31-33 NE@34-36 LT@37-38 LE@39-41 GT@42-43 GE@44-46 "
                  "ANDAND@47-49 OROR@50-52 BANG@53-54 PLUSPLUS@55-57 DOTS@58-62 EOF@62-62");
    /* Maximal munch without spaces; `( ..)` is not the `(..)` token. */
    expect_tokens("a->b==c<=d+++e( ..)",
                  "LOWER@0-1 ARROW@1-3 LOWER@3-4 EQEQ@4-6 LOWER@6-7 LE@7-9 LOWER@9-10 "
                  "PLUSPLUS@10-12 PLUS@12-13 LOWER@13-14 LPAREN@14-15 DOT@16-17 DOT@17-18 "
                  "RPAREN@18-19 EOF@19-19");
}

static void test_literals_comments_whitespace(void **state)
{
    (void)state;
    expect_tokens("1_000 007 \"a\\\"b\" \"\" # comment \"x\n\t\r\n42#c",
                  "INT@0-5 INT@6-9 STRING@10-16 STRING@17-19 INT@36-38 EOF@40-40");
    /* `1_` is the integer 1 followed by `_`; `1__2` likewise splits. */
    expect_tokens("1_ 1__2", "INT@0-1 UNDERSCORE@1-2 INT@3-4 LOWER@4-7 EOF@7-7");
    expect_tokens("", "EOF@0-0");
    expect_tokens("# only a comment", "EOF@16-16");
}

static void test_int_values(void **state)
{
    (void)state;
    const char *s = "9223372036854775807 1_000_000 0";
    assert_int_equal(lex_int_value(s, 0, 19), INT64_MAX);
    assert_int_equal(lex_int_value(s, 20, 29), 1000000);
    assert_int_equal(lex_int_value(s, 30, 31), 0);
    assert_int_equal(lex_int_value("9223372036854775808", 0, 19), 0);
}

static void expect_reports(const char *src, const char *want)
{
    Lexed l;
    char buf[2048];
    size_t n = 0;
    lex(&l, src);
    buf[0] = 0;
    for (uint32_t i = 0; i < l.reports.count; i++) {
        const Report *r = &l.reports.items[i];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s@%u-%u %s", i ? "\n" : "",
                              report_code_name(r->code), r->start, r->end, r->message);
    }
    assert_string_equal(buf, want);
    done(&l);
}

static void test_errors(void **state)
{
    (void)state;
    expect_reports("a $ b & c", "E0101@2-3 unexpected character `$`\nE0101@6-7 unexpected character `&`");
    expect_reports("x \xc3\xa9 y", "E0101@2-4 unexpected character `\xc3\xa9`");
    expect_reports("\x01", "E0101@0-1 unexpected character U+0001");
    expect_reports("\"abc\nx", "E0102@0-4 unterminated string: missing closing `\"` before end of line");
    expect_reports("\"abc\\", "E0102@0-5 unterminated string: missing closing `\"` before end of line");
    expect_reports("\"a\\qb\\\xc3\xa9\"",
                   "E0103@2-4 invalid escape `\\q` (valid: \\n \\t \\r \\\\ \\\" \\0)\n"
                   "E0103@5-8 invalid escape (valid: \\n \\t \\r \\\\ \\\" \\0)");
    expect_reports("9223372036854775807 9223372036854775808 -99999999999999999999 00000000000000000000",
                   "E0104@20-39 integer literal out of range (the largest is 9223372036854775807)\n"
                   "E0104@41-61 integer literal out of range (the largest is 9223372036854775807)");

    /* The rejected character is one TK_ERROR token; lexing goes on. */
    Lexed l;
    lex(&l, "a $ b");
    assert_int_equal(kind_at(&l, 1), TK_ERROR);
    assert_int_equal(kind_at(&l, 2), TK_LOWER);
    done(&l);
}

static void test_check_source(void **state)
{
    (void)state;
    assert_int_equal(lex_check_source("abc", 3), UINT32_MAX);
    assert_int_equal(lex_check_source("a\0c", 3), 1);
    assert_int_equal(lex_check_source("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12), UINT32_MAX);
    assert_int_equal(lex_check_source("ab\xc3", 3), 2);             /* truncated */
    assert_int_equal(lex_check_source("a\x80", 2), 1);              /* lone continuation */
    assert_int_equal(lex_check_source("\xc0\xaf", 2), 0);           /* overlong */
    assert_int_equal(lex_check_source("\xe0\x80\xaf", 3), 0);       /* overlong */
    assert_int_equal(lex_check_source("x\xed\xa0\x80", 4), 1);      /* surrogate */
    assert_int_equal(lex_check_source("\xf4\x90\x80\x80", 4), 0);   /* > U+10FFFF */
    assert_int_equal(lex_check_source("\xc3\x28", 2), 0);           /* bad continuation */
}

static void test_kind_tables(void **state)
{
    (void)state;
    assert_string_equal(lex_kind_name(TK_RPAREN), "RPAREN");
    assert_string_equal(lex_kind_display(TK_RPAREN), "`)`");
    assert_string_equal(lex_kind_display(TK_EOF), "end of file");
    assert_string_equal(lex_kind_display(TK_KW_EXPOSING), "`exposing`");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keywords_and_names),
        cmocka_unit_test(test_punctuation),
        cmocka_unit_test(test_literals_comments_whitespace),
        cmocka_unit_test(test_int_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_check_source),
        cmocka_unit_test(test_kind_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
