/* lex — the Kite tokenizer.  Invariants and error policy: see lex.h.
 *
 * Speed matters (the parse benchmark wants millions of lines per second), so
 * the token arrays are appended through a local fast path that touches the
 * builder only when it must grow, and keywords are recognised by length and
 * first byte without any table lookup or allocation.
 */
#include "modules/lex.h"

#include <string.h>

static const char *const kind_names[] = {
#define LEX_NAME_(name, disp) #name,
    LEX_TOKENS(LEX_NAME_)
#undef LEX_NAME_
};
static const char *const kind_display[] = {
#define LEX_DISP_(name, disp) disp,
    LEX_TOKENS(LEX_DISP_)
#undef LEX_DISP_
};

const char *lex_kind_name(TokKind k)
{
    return (unsigned)k < TK__COUNT ? kind_names[k] : "?";
}

const char *lex_kind_display(TokKind k)
{
    return (unsigned)k < TK__COUNT ? kind_display[k] : "?";
}

/* ---- E0002 ------------------------------------------------------------- */

uint32_t lex_check_source(const char *src, uint32_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    uint32_t i = 0;
    while (i < len) {
        /* Eight ASCII bytes at a time: none has its high bit set and none
         * is NUL (the usual "has a zero byte" test on the word). */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ull) ||
                ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                break;
            i += 8;
        }
        if (i >= len) break;
        unsigned char c = s[i];
        if (c >= 0x01 && c < 0x80) { i++; continue; }
        if (c == 0) return i;
        uint32_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
        else return i;                       /* continuation byte, C0/C1, F5+ */
        if (len - i < n) return i;
        for (uint32_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return i;
        i += n;
    }
    return UINT32_MAX;
}

/* ---- character classes ------------------------------------------------- */

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* [A-Za-z0-9_] by table: one load per byte in the tokenizer's hottest loop. */
static const bool ident_byte[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['_'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
};

static inline uint32_t ident_end(const char *src, uint32_t len, uint32_t pos)
{
    while (pos < len && ident_byte[(unsigned char)src[pos]]) pos++;
    return pos;
}

uint32_t lex_ident_end(const char *src, uint32_t len, uint32_t start)
{
    return ident_end(src, len, start);
}

/* End of the digits of an integer literal: [0-9]+(_[0-9]+)*. */
static uint32_t int_end(const char *src, uint32_t len, uint32_t pos)
{
    for (;;) {
        while (pos < len && is_digit((unsigned char)src[pos])) pos++;
        if (pos + 1 < len && src[pos] == '_' && is_digit((unsigned char)src[pos + 1]))
            pos++;
        else
            return pos;
    }
}

/* Scans a string literal starting at the opening quote.  Returns its end
 * (after the closing quote, or at the LF / end of file when unterminated) and
 * sets *closed. */
static uint32_t string_end(const char *src, uint32_t len, uint32_t pos, bool *closed)
{
    pos++;
    while (pos < len) {
        char c = src[pos];
        if (c == '"') { *closed = true; return pos + 1; }
        if (c == '\n') break;
        if (c == '\\' && pos + 1 < len && src[pos + 1] != '\n') pos += 2;
        else pos++;
    }
    *closed = false;
    return pos;
}

static TokKind keyword(const char *s, uint32_t n)
{
#define KW_(text, kind) if (memcmp(s, text, n) == 0) return kind
    switch (n) {
    case 2:
        if (s[0] == 'f') { KW_("fn", TK_KW_FN); }
        else if (s[0] == 'i') { KW_("if", TK_KW_IF); KW_("in", TK_KW_IN); }
        else if (s[0] == 'a') { KW_("as", TK_KW_AS); }
        break;
    case 3:
        if (s[0] == 'l') { KW_("let", TK_KW_LET); }
        break;
    case 4:
        switch (s[0]) {
        case 't': KW_("type", TK_KW_TYPE); KW_("then", TK_KW_THEN); KW_("true", TK_KW_TRUE); break;
        case 'e': KW_("else", TK_KW_ELSE); break;
        }
        break;
    case 5:
        if (s[0] == 'm') { KW_("match", TK_KW_MATCH); }
        else if (s[0] == 'f') { KW_("false", TK_KW_FALSE); }
        break;
    case 6:
        if (s[0] == 'm') { KW_("module", TK_KW_MODULE); }
        else if (s[0] == 'i') { KW_("import", TK_KW_IMPORT); }
        break;
    case 8:
        if (s[0] == 'e') { KW_("exposing", TK_KW_EXPOSING); }
        break;
    }
#undef KW_
    return TK_LOWER;
}

/* ---- the token end, re-lexed ------------------------------------------- */

uint32_t lex_token_end(const char *src, uint32_t len, TokKind kind, uint32_t start)
{
    bool closed;
    switch (kind) {
    case TK_EOF: return start;
    case TK_ERROR: {
        uint32_t n = lex_utf8_len((unsigned char)src[start]);
        return start + n <= len ? start + n : len;
    }
    case TK_LOWER: case TK_UPPER: return ident_end(src, len, start);
    case TK_INT: return int_end(src, len, start);
    case TK_STRING: return string_end(src, len, start, &closed);
    case TK_DOTS: return start + 4;
    case TK_ARROW: case TK_EQEQ: case TK_NE: case TK_LE: case TK_GE:
    case TK_ANDAND: case TK_OROR: case TK_PLUSPLUS:
        return start + 2;
    default:
        if (kind >= TK_KW_MODULE && kind <= TK_KW_FALSE) return ident_end(src, len, start);
        return start + 1;
    }
}

bool lex_string_terminated(const char *src, uint32_t len, uint32_t start)
{
    bool closed;
    string_end(src, len, start, &closed);
    return closed;
}

int64_t lex_int_value(const char *src, uint32_t start, uint32_t end)
{
    uint64_t v = 0;
    for (uint32_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '_') continue;
        unsigned d = c - '0';
        if (v > (UINT64_C(9223372036854775807) - d) / 10) return 0;
        v = v * 10 + d;
    }
    return (int64_t)v;
}

/* ---- the tokenizer ----------------------------------------------------- */

typedef struct Lexer {
    const char *src;
    uint32_t len;
    Builder *kinds, *starts;
    ReportList *rep;
    /* Cached views of the builders, refreshed when they grow. */
    uint8_t *kd;
    uint32_t *st;
    uint32_t count, cap;
} Lexer;

static bool lex_grow(Lexer *lx)
{
    lx->kinds->count = lx->count;
    lx->starts->count = lx->count;
    if (lx->count == UINT32_MAX) return false;
    uint32_t want = lx->cap < 1024 ? 1024 : lx->cap >= UINT32_MAX / 2 ? UINT32_MAX : lx->cap * 2;
    if (!builder_reserve(lx->kinds, want) || !builder_reserve(lx->starts, want)) return false;
    lx->kd = (uint8_t *)lx->kinds->data;
    lx->st = (uint32_t *)lx->starts->data;
    lx->cap = lx->kinds->cap < lx->starts->cap ? lx->kinds->cap : lx->starts->cap;
    return true;
}

static inline bool emit(Lexer *lx, TokKind k, uint32_t start)
{
    if (lx->count == lx->cap && !lex_grow(lx)) return false;
    lx->kd[lx->count] = (uint8_t)k;
    lx->st[lx->count] = start;
    lx->count++;
    return true;
}

static void report_unexpected(Lexer *lx, uint32_t pos, uint32_t n)
{
    unsigned char c = (unsigned char)lx->src[pos];
    if (c >= 0x21 && c < 0x7F)
        report_add(lx->rep, RC_E0101, pos, pos + n, "unexpected character `%c`", c);
    else if (c >= 0x80)
        report_add(lx->rep, RC_E0101, pos, pos + n, "unexpected character `%.*s`",
                   (int)n, lx->src + pos);
    else
        report_add(lx->rep, RC_E0101, pos, pos + n, "unexpected character U+%04X", c);
}

/* Reports the escapes of a string token and, if it is unterminated, E0102. */
static uint32_t lex_string(Lexer *lx, uint32_t start)
{
    const char *src = lx->src;
    uint32_t len = lx->len, pos = start + 1;
    while (pos < len) {
        char c = src[pos];
        if (c == '"') return pos + 1;
        if (c == '\n') break;
        if (c == '\\' && pos + 1 < len && src[pos + 1] != '\n') {
            unsigned char e = (unsigned char)src[pos + 1];
            uint32_t n = lex_utf8_len(e);
            if (pos + 1 + n > len) n = len - pos - 1;
            switch (e) {
            case 'n': case 't': case 'r': case '\\': case '"': case '0':
                break;
            default:
                if (e >= 0x21 && e < 0x7F)
                    report_add(lx->rep, RC_E0103, pos, pos + 1 + n,
                               "invalid escape `\\%c` (valid: \\n \\t \\r \\\\ \\\" \\0)", e);
                else
                    report_add(lx->rep, RC_E0103, pos, pos + 1 + n,
                               "invalid escape (valid: \\n \\t \\r \\\\ \\\" \\0)");
            }
            pos += 2;      /* continuation bytes of e never look like `"` or `\` */
            continue;
        }
        pos++;
    }
    report_add(lx->rep, RC_E0102, start, pos,
               "unterminated string: missing closing `\"` before end of line");
    return pos;
}

bool lex_tokens(const char *src, uint32_t len, Builder *kinds, Builder *starts,
                ReportList *rep)
{
    Lexer lx = { src, len, kinds, starts, rep,
                 (uint8_t *)kinds->data, (uint32_t *)starts->data, kinds->count, 0 };
    lx.cap = kinds->cap < starts->cap ? kinds->cap : starts->cap;
    if (kinds->count != starts->count) return false;

    uint32_t pos = 0;
    for (;;) {
        /* whitespace and comments */
        for (;;) {
            if (pos >= len) goto done;
            char c = src[pos];
            if (c == ' ' || c == '\n' || c == '\t' || c == '\r') { pos++; continue; }
            if (c == '#') {
                const char *nl = memchr(src + pos, '\n', len - pos);
                pos = nl ? (uint32_t)(nl - src) + 1 : len;
                continue;
            }
            break;
        }
        uint32_t start = pos;
        unsigned char c = (unsigned char)src[pos];
        TokKind k;
        uint32_t n2 = pos + 1 < len ? (unsigned char)src[pos + 1] : 0;   /* next byte or 0 */
        switch (c) {
        case 'a': case 'b': case 'c': case 'd': case 'e': case 'f': case 'g': case 'h':
        case 'i': case 'j': case 'k': case 'l': case 'm': case 'n': case 'o': case 'p':
        case 'q': case 'r': case 's': case 't': case 'u': case 'v': case 'w': case 'x':
        case 'y': case 'z':
            pos = ident_end(src, len, pos + 1);
            k = keyword(src + start, pos - start);
            break;
        case 'A': case 'B': case 'C': case 'D': case 'E': case 'F': case 'G': case 'H':
        case 'I': case 'J': case 'K': case 'L': case 'M': case 'N': case 'O': case 'P':
        case 'Q': case 'R': case 'S': case 'T': case 'U': case 'V': case 'W': case 'X':
        case 'Y': case 'Z':
            pos = ident_end(src, len, pos + 1);
            k = TK_UPPER;
            break;
        case '_':
            pos = ident_end(src, len, pos + 1);
            k = pos - start == 1 ? TK_UNDERSCORE : TK_LOWER;
            break;
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            pos = int_end(src, len, pos);
            k = TK_INT;
            if (pos - start >= 19 && lex_int_value(src, start, pos) == 0) {
                /* 0 is also the value of "000...0"; tell them apart. */
                bool all_zero = true;
                for (uint32_t i = start; i < pos; i++)
                    if (src[i] != '0' && src[i] != '_') { all_zero = false; break; }
                if (!all_zero)
                    report_add(rep, RC_E0104, start, pos,
                               "integer literal out of range (the largest is 9223372036854775807)");
            }
            break;
        case '"':
            pos = lex_string(&lx, start);
            k = TK_STRING;
            break;
        case '(':
            if (n2 == '.' && pos + 3 < len && src[pos + 2] == '.' && src[pos + 3] == ')') {
                k = TK_DOTS; pos += 4;
            } else { k = TK_LPAREN; pos++; }
            break;
        case ')': k = TK_RPAREN; pos++; break;
        case '{': k = TK_LBRACE; pos++; break;
        case '}': k = TK_RBRACE; pos++; break;
        case ',': k = TK_COMMA; pos++; break;
        case ':': k = TK_COLON; pos++; break;
        case '.': k = TK_DOT; pos++; break;
        case '*': k = TK_STAR; pos++; break;
        case '/': k = TK_SLASH; pos++; break;
        case '%': k = TK_PERCENT; pos++; break;
        case '-':
            if (n2 == '>') { k = TK_ARROW; pos += 2; } else { k = TK_MINUS; pos++; }
            break;
        case '+':
            if (n2 == '+') { k = TK_PLUSPLUS; pos += 2; } else { k = TK_PLUS; pos++; }
            break;
        case '=':
            if (n2 == '=') { k = TK_EQEQ; pos += 2; } else { k = TK_EQ; pos++; }
            break;
        case '!':
            if (n2 == '=') { k = TK_NE; pos += 2; } else { k = TK_BANG; pos++; }
            break;
        case '<':
            if (n2 == '=') { k = TK_LE; pos += 2; } else { k = TK_LT; pos++; }
            break;
        case '>':
            if (n2 == '=') { k = TK_GE; pos += 2; } else { k = TK_GT; pos++; }
            break;
        case '|':
            if (n2 == '|') { k = TK_OROR; pos += 2; } else { k = TK_BAR; pos++; }
            break;
        case '&':
            if (n2 == '&') { k = TK_ANDAND; pos += 2; break; }
            goto unexpected;            /* a lone `&` starts no token */
        default:
        unexpected: {
            uint32_t n = lex_utf8_len(c);
            if (pos + n > len) n = len - pos;
            report_unexpected(&lx, pos, n);
            k = TK_ERROR;
            pos += n;
            break;
        }
        }
        if (!emit(&lx, k, start)) return false;
    }
done:
    if (!emit(&lx, TK_EOF, len)) return false;
    kinds->count = lx.count;
    starts->count = lx.count;
    return true;
}
