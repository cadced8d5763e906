/* lex — the Kite tokenizer (LANGUAGE.md section 1).
 *
 * Tokens are two parallel arrays grown in builders (normally in scratch):
 * a uint8_t kind and a uint32_t start offset per token.  A token's end is not
 * stored; lex_token_end re-lexes it from its start (cheap: a token is short,
 * a string literal is re-scanned).  The last token is always TK_EOF with
 * start = len, so the parser can always look one token ahead.
 *
 * Lexical errors are reported here and only here:
 *   E0101  a byte that starts no token: a TK_ERROR token covering that one
 *          character (a whole UTF-8 sequence), which the parser treats as
 *          already reported;
 *   E0102  unterminated string: still a TK_STRING token (ending before the
 *          LF / at end of file), so parsing goes on normally;
 *   E0103  invalid escape: reported, the token stays a TK_STRING;
 *   E0104  integer out of range: reported, the token stays a TK_INT (its
 *          value reads as 0).
 * E0002 (NUL byte or invalid UTF-8) is checked before lexing by
 * lex_check_source; the caller stops there, so lex_tokens assumes valid
 * UTF-8 without NUL bytes.
 *
 * No mutable globals: all state is in the Lexer of one call.
 */
#ifndef COORD_MODULES_LEX_H
#define COORD_MODULES_LEX_H

#include "base/builder.h"
#include "reports/report.h"
#include <stdbool.h>
#include <stdint.h>

/* X(name, display) — display is what "expected X, found Y" messages show.
 * Tokens with variable text (identifiers, literals) show their text when
 * found, and the display when expected. */
#define LEX_TOKENS(X)                                   \
    X(EOF,        "end of file")                        \
    X(ERROR,      "invalid character")                  \
    X(LOWER,      "identifier")                         \
    X(UPPER,      "capitalized name")                   \
    X(UNDERSCORE, "`_`")                                \
    X(INT,        "integer")                            \
    X(STRING,     "string")                             \
    X(KW_MODULE,   "`module`")                          \
    X(KW_EXPOSING, "`exposing`")                        \
    X(KW_IMPORT,   "`import`")                          \
    X(KW_AS,       "`as`")                              \
    X(KW_TYPE,     "`type`")                            \
    X(KW_FN,       "`fn`")                              \
    X(KW_LET,      "`let`")                             \
    X(KW_IN,       "`in`")                              \
    X(KW_IF,       "`if`")                              \
    X(KW_THEN,     "`then`")                            \
    X(KW_ELSE,     "`else`")                            \
    X(KW_MATCH,    "`match`")                           \
    X(KW_TRUE,     "`true`")                            \
    X(KW_FALSE,    "`false`")                           \
    X(LPAREN,     "`(`")                                \
    X(RPAREN,     "`)`")                                \
    X(LBRACE,     "`{`")                                \
    X(RBRACE,     "`}`")                                \
    X(COMMA,      "`,`")                                \
    X(COLON,      "`:`")                                \
    X(DOT,        "`.`")                                \
    X(DOTS,       "`(..)`")                             \
    X(ARROW,      "`->`")                               \
    X(EQ,         "`=`")                                \
    X(BAR,        "`|`")                                \
    X(PLUS,       "`+`")                                \
    X(MINUS,      "`-`")                                \
    X(STAR,       "`*`")                                \
    X(SLASH,      "`/`")                                \
    X(PERCENT,    "`%`")                                \
    X(EQEQ,       "`==`")                               \
    X(NE,         "`!=`")                               \
    X(LT,         "`<`")                                \
    X(LE,         "`<=`")                               \
    X(GT,         "`>`")                                \
    X(GE,         "`>=`")                               \
    X(ANDAND,     "`&&`")                               \
    X(OROR,       "`||`")                               \
    X(BANG,       "`!`")                                \
    X(PLUSPLUS,   "`++`")

typedef enum {
#define LEX_ENUM_(name, disp) TK_##name,
    LEX_TOKENS(LEX_ENUM_)
#undef LEX_ENUM_
    TK__COUNT
} TokKind;

const char *lex_kind_name(TokKind k);      /* "LPAREN" */
const char *lex_kind_display(TokKind k);   /* "`(`" */

/* E0002 check: returns the offset of the first NUL byte or byte that is not
 * part of valid UTF-8 (overlong forms, surrogates and code points above
 * U+10FFFF are invalid), or UINT32_MAX when the source is clean. */
uint32_t lex_check_source(const char *src, uint32_t len);

/* Tokenizes src (valid UTF-8, no NUL) appending to `kinds` (uint8_t) and
 * `starts` (uint32_t), ending with TK_EOF; reports lexical errors to `rep`.
 * Allocation failure follows the builders' arena rule (NULL/false, or a
 * longjmp to the arena's oom target); returns false on failure. */
bool lex_tokens(const char *src, uint32_t len, Builder *kinds, Builder *starts,
                ReportList *rep);

/* End offset (exclusive) of the token of `kind` starting at `start`. */
uint32_t lex_token_end(const char *src, uint32_t len, TokKind kind, uint32_t start);
/* The same for a token known to be TK_LOWER, TK_UPPER or a keyword. */
uint32_t lex_ident_end(const char *src, uint32_t len, uint32_t start);

/* Whether the TK_STRING token starting at `start` has its closing quote
 * (false: E0102 was reported). */
bool lex_string_terminated(const char *src, uint32_t len, uint32_t start);

/* Value of the TK_INT token at [start, end): digits without `_`; 0 when the
 * value does not fit in int64 (E0104 was reported by the lexer). */
int64_t lex_int_value(const char *src, uint32_t start, uint32_t end);

/* Length of the UTF-8 sequence starting with byte c (1 for ASCII and for
 * bytes that cannot start a sequence). */
static inline uint32_t lex_utf8_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

#endif
