/* parse — the Kite parser and the parse phase (parse_module, phases.h).
 *
 * Recursive descent, one function per grammar rule (LANGUAGE.md sections
 * 2-6), all state in a Parser passed first.  The token arrays come from lex.c
 * and are sealed into the AST arena before parsing starts; nodes, `extra`
 * words, unescaped string bytes and the identifier table are built in
 * scratch and sealed into the AST arena at their exact size at the end.
 * Memory: every builder is reserved once from the token count (or, for the
 * tokens, the source length), so a typical module never copies an array
 * while it grows, and a big one holds no doubled copies (measured on a 49 MB
 * module: scratch 632 -> 213 MB, AST 324 -> 272 MB).
 *
 * Invariants
 *   - Every syntax error is reported at most once per declaration: the
 *     reporting function longjmps to the declaration loop (`recover`), which
 *     drops the nodes the broken declaration had written, appends one
 *     DECL_BROKEN node (carrying the name if it was parsed) and skips tokens.
 *     A declaration ends where a declaration keyword (or EOF) follows it:
 *     anything else after it is its skipped text, and it fails.  A broken
 *     import line becomes an IMPORT node marked broken with what parsed.
 *     An unterminated string (E0102, the lexer's report) fails silently.
 *   - Recovery rule: resume at the first token, from the failing one on, that
 *     is `fn`, `let`, `type` or `import` *at the start of a line* (column 1).
 *     Kite has no layout rule, so a well-formed file never depends on
 *     columns; only recovery after an error uses them, because a declaration
 *     keyword at column 1 is almost always a new top-level declaration.
 *   - A TK_ERROR token was already reported by the lexer (E0101): an error
 *     found at such a token fails the declaration without a second report.
 *   - Nesting: a counter rises on every descent into an expression nested
 *     inside another — inside brackets `(` (grouping, tuples, arguments),
 *     `{` (match arms), or as a let's bound value, an if's condition or
 *     then branch, a match's scrutinee — and into every pattern and type
 *     (a type's `->` result counts too).  Past PARSE_MAX_DEPTH the parser
 *     reports E0111 once and recovers.  Chains do not count (LANGUAGE.md
 *     section 6, "Length is not nesting"): operator chains, unary prefixes
 *     and call suffixes are loops (binary, unary, postfix), and a let's
 *     body, an if's else branch and a lambda's body are parsed by expr's
 *     loop; the C recursion of the parser is bounded by the counter.  The
 *     AST of a chain is as deep as the chain is long: every later pass
 *     walks expressions with an explicit stack (canon.c, check.c) or follows
 *     the spine in a loop (ast.c's spans), never by recursion along it.
 *   - `fn`, `if`, `let`, `match` never appear as an unparenthesized operand
 *     of a binary or unary operator (E0110): they are parsed only by `expr`.
 *   - The stack builder holds list items while a list is being parsed; a
 *     rule leaves it as it found it (recovery truncates it).
 *   - Out of memory: parse_module runs the phase inside the one protected
 *     call (base/protect.h) guarding keep, ast and scratch, so no allocation
 *     returns NULL here; out_of_memory is for the failures that are not an
 *     arena's own.  The syntax-error `recover` jump stays the parser's own
 *     mechanism, on purpose: it is control flow inside one protected body,
 *     not an out-of-memory target — it resumes parsing (with parser state
 *     to roll back) instead of ending the call, targets a frame of header()
 *     or module_file() that is live while the jump can happen, and is
 *     cleared (NULL) when that frame returns.
 */
#include "modules/phases.h"
#include "modules/lex.h"

#include "base/protect.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PARSE_MAX_DEPTH 256

/* DECL_BROKEN's b: what the broken declaration was. */
enum { BROKEN_FN = 0, BROKEN_LET = 1, BROKEN_TYPE = 2, BROKEN_UNKNOWN = 3, BROKEN_IMPORT = 4 };

#define IDENT_CACHE_BITS 10

typedef struct IdentSlot {
    uint64_t word;              /* the name's bytes, zero-padded */
    uint32_t len, id;           /* len 0: empty slot */
} IdentSlot;

typedef struct Parser {
    const char *src;
    uint32_t len;
    const uint8_t *tk;          /* token kinds */
    const uint32_t *ts;         /* token starts */
    uint32_t ntok;
    uint32_t pos;               /* current token */

    Builder nkind, ntok_, na, nb;   /* nodes: uint8 kind, uint32 tok/a/b */
    Builder extra;              /* uint32 */
    Builder strings;            /* char */
    Builder stack;              /* uint32: list items being collected */
    InternTable *names;
    IdentSlot *icache;          /* 1 << IDENT_CACHE_BITS slots, see ident() */
    ReportList *rep;

    uint32_t depth;
    jmp_buf *recover;           /* declaration-level recovery, or NULL */
    Arena *scratch;             /* guarded by parse_module's protected call */
    uint32_t broken_name;       /* name of the declaration being parsed */
    uint32_t broken_kind;
    uint32_t reported_tok;      /* token of the last syntax report, or UINT32_MAX */
    /* The import line being parsed, kept for its recovery: its module path
     * (AST_NONE until parsed), alias, the stack base of its exposing items
     * (AST_NONE until its list opened) and the list once complete. */
    uint32_t imp_path, imp_alias, imp_alias_tok, imp_items, imp_list;
} Parser;

/* ---- building ------------------------------------------------------------ */

/* A failure that is not an arena's own (a builder at its maximum count):
 * ends the protected call like running out of memory. */
static _Noreturn void out_of_memory(Parser *p)
{
    protect_throw(p->scratch);
}

static void grow(Parser *p, Builder *b)
{
    uint32_t want = b->cap < 256 ? 256 : b->cap >= UINT32_MAX / 2 ? UINT32_MAX : b->cap * 2;
    if (b->count == UINT32_MAX)
        out_of_memory(p);
    builder_reserve(b, want);
}

static inline void push32(Parser *p, Builder *b, uint32_t v)
{
    if (b->count == b->cap) grow(p, b);
    ((uint32_t *)b->data)[b->count++] = v;
}

static inline uint32_t node(Parser *p, AstKind k, uint32_t tok, uint32_t a, uint32_t b)
{
    uint32_t id = p->nkind.count;
    if (id < p->nkind.cap && id < p->ntok_.cap && id < p->na.cap && id < p->nb.cap) {
        /* The four arrays are reserved alike and always hold id items. */
        ((uint8_t *)p->nkind.data)[id] = (uint8_t)k;
        ((uint32_t *)p->ntok_.data)[id] = tok;
        ((uint32_t *)p->na.data)[id] = a;
        ((uint32_t *)p->nb.data)[id] = b;
        p->nkind.count = p->ntok_.count = p->na.count = p->nb.count = id + 1;
        return id;
    }
    if (p->nkind.count == p->nkind.cap) grow(p, &p->nkind);
    ((uint8_t *)p->nkind.data)[p->nkind.count++] = (uint8_t)k;
    push32(p, &p->ntok_, tok);
    push32(p, &p->na, a);
    push32(p, &p->nb, b);
    return p->nkind.count - 1;
}

/* Writes the items stack[base..] as a list into extra and pops them. */
static uint32_t list_from_stack(Parser *p, uint32_t base)
{
    uint32_t n = p->stack.count - base;
    uint32_t at = p->extra.count;
    push32(p, &p->extra, n);
    if (n == 0) return at;
    builder_reserve(&p->extra, p->extra.count + n);
    memcpy((uint32_t *)p->extra.data + p->extra.count,
           (uint32_t *)p->stack.data + base, (size_t)n * sizeof(uint32_t));
    p->extra.count += n;
    p->stack.count = base;
    return at;
}

static uint32_t single_list(Parser *p, uint32_t item)
{
    uint32_t at = p->extra.count;
    push32(p, &p->extra, 1);
    push32(p, &p->extra, item);
    return at;
}

/* ---- tokens ---------------------------------------------------------------- */

static inline TokKind peek(const Parser *p) { return (TokKind)p->tk[p->pos]; }
static inline bool at(const Parser *p, TokKind k) { return p->tk[p->pos] == k; }

static inline uint32_t advance(Parser *p)
{
    uint32_t t = p->pos;
    if (p->tk[t] != TK_EOF) p->pos++;
    return t;
}

static uint32_t tok_end(const Parser *p, uint32_t t)
{
    return lex_token_end(p->src, p->len, (TokKind)p->tk[t], p->ts[t]);
}

/* The bytes of a short identifier (1..8 bytes) as one word, zero-padded. */
static inline uint64_t short_word(const Parser *p, uint32_t s, uint32_t n)
{
    uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (p->len - s >= 8) {
        memcpy(&w, p->src + s, 8);
        return n == 8 ? w : w & ((UINT64_C(1) << (8 * n)) - 1);
    }
#endif
    for (uint32_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)p->src[s + i] << (8 * i);
    return w;
}

/* t is TK_LOWER or TK_UPPER (every caller checked).  Short names go
 * through a small direct-mapped cache in front of the intern table: most
 * identifiers are short and repeat, and a hit costs one multiply and one
 * compare instead of hashing and probing.  It returns the id intern would. */
static uint32_t ident(Parser *p, uint32_t t)
{
    uint32_t s = p->ts[t];
    uint32_t n = lex_ident_end(p->src, p->len, s) - s;
    IdentSlot *slot = NULL;
    uint64_t w = 0;
    if (n <= 8) {
        w = short_word(p, s, n);
        slot = &p->icache[((w + n) * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - IDENT_CACHE_BITS)];
        if (slot->len == n && slot->word == w) return slot->id;
    }
    uint32_t id = intern(p->names, p->src + s, n);
    if (id == INTERN_NONE) out_of_memory(p);
    if (slot) {
        slot->word = w;
        slot->len = n;
        slot->id = id;
    }
    return id;
}

static bool at_line_start(const Parser *p, uint32_t t)
{
    uint32_t s = p->ts[t];
    return s == 0 || p->src[s - 1] == '\n';
}

/* ---- errors ---------------------------------------------------------------- */

static _Noreturn void fail(Parser *p)
{
    longjmp(*p->recover, 1);
}

/* A string token the lexer reported as unterminated (E0102). */
static bool unterminated_string(const Parser *p, uint32_t t)
{
    return p->tk[t] == TK_STRING && !lex_string_terminated(p->src, p->len, p->ts[t]);
}

/* Reports at token t and fails.  No report when the lexer already rejected
 * that token, when it follows an unterminated string (whose missing quote is
 * the real mistake, reported as E0102), or when the parser reported at that
 * token already (a declaration failing at the keyword that starts the next
 * one, which then fails at once too). */
static _Noreturn __attribute__((format(printf, 4, 5)))
void error_at(Parser *p, uint32_t t, ReportCode code, const char *fmt, ...)
{
    if (p->tk[t] != TK_ERROR && !(t > 0 && unterminated_string(p, t - 1)) &&
        t != p->reported_tok) {
        p->reported_tok = t;
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        report_add(p->rep, code, p->ts[t], tok_end(p, t), "%s", msg);
    }
    fail(p);
}

/* How a found token is named in "found Y": its text when it has variable
 * text (shortened), else its display. */
static void describe(const Parser *p, uint32_t t, char *buf, size_t size)
{
    TokKind k = (TokKind)p->tk[t];
    if (k == TK_LOWER || k == TK_UPPER || k == TK_INT) {
        uint32_t s = p->ts[t], n = tok_end(p, t) - s;
        if (n > 24) snprintf(buf, size, "`%.24s...`", p->src + s);
        else snprintf(buf, size, "`%.*s`", (int)n, p->src + s);
    } else if (k == TK_STRING) {
        snprintf(buf, size, "string literal");
    } else {
        snprintf(buf, size, "%s", lex_kind_display(k));
    }
}

static _Noreturn void expected(Parser *p, const char *what)
{
    char found[64];
    describe(p, p->pos, found, sizeof found);
    error_at(p, p->pos, RC_E0110, "expected %s, found %s", what, found);
}

static uint32_t expect(Parser *p, TokKind k)
{
    if (!at(p, k)) expected(p, lex_kind_display(k));
    return advance(p);
}

/* item (',' item)*: the items go on the stack (the caller makes the list). */
static void comma_items(Parser *p, uint32_t (*item)(Parser *))
{
    for (;;) {
        push32(p, &p->stack, item(p));
        if (!at(p, TK_COMMA)) break;
        advance(p);
    }
}

/* '(' item (',' item)* ')' as a list: type arguments, constructor payloads
 * and sub-patterns, none of which may be empty. */
static uint32_t paren_list(Parser *p, uint32_t (*item)(Parser *))
{
    expect(p, TK_LPAREN);
    uint32_t base = p->stack.count;
    comma_items(p, item);
    expect(p, TK_RPAREN);
    return list_from_stack(p, base);
}

static void enter(Parser *p)
{
    if (++p->depth > PARSE_MAX_DEPTH)
        error_at(p, p->pos, RC_E0111, "nesting too deep (more than %d levels)", PARSE_MAX_DEPTH);
}

static inline void leave(Parser *p) { p->depth--; }

/* ---- names ------------------------------------------------------------------ */

/* module_name: UPPER ('.' UPPER)*  -> path list */
static uint32_t module_name(Parser *p)
{
    uint32_t base = p->stack.count;
    if (!at(p, TK_UPPER)) expected(p, "module name");
    push32(p, &p->stack, ident(p, advance(p)));
    while (at(p, TK_DOT)) {
        advance(p);
        if (!at(p, TK_UPPER)) expected(p, "capitalized name after `.`");
        push32(p, &p->stack, ident(p, advance(p)));
    }
    return list_from_stack(p, base);
}

/* upper_path: UPPER ('.' UPPER)*, for constructors in patterns and type
 * names; *last gets the last segment's token. */
static uint32_t upper_path(Parser *p, uint32_t *last)
{
    uint32_t base = p->stack.count;
    *last = advance(p);
    push32(p, &p->stack, ident(p, *last));
    while (at(p, TK_DOT)) {
        advance(p);
        if (!at(p, TK_UPPER)) expected(p, "capitalized name after `.`");
        *last = advance(p);
        push32(p, &p->stack, ident(p, *last));
    }
    return list_from_stack(p, base);
}

/* ---- types ------------------------------------------------------------------ */

static uint32_t type_(Parser *p);

/* type_name: upper_path ['(' type (',' type)* ')'] | LOWER */
static uint32_t type_atom(Parser *p)
{
    if (at(p, TK_LOWER)) {
        uint32_t t = advance(p);
        return node(p, AST_TYPE_VAR, t, ident(p, t), 0);
    }
    if (!at(p, TK_UPPER)) expected(p, "type");
    uint32_t last;
    uint32_t path = upper_path(p, &last);
    uint32_t args = at(p, TK_LPAREN) ? paren_list(p, type_) : AST_NONE;
    return node(p, AST_TYPE_NAME, last, path, args);
}

/* type: '(' [type (',' type)*] ')' ['->' type] | type_atom ['->' type]
 * A parenthesized list before `->` is the parameter list: `() -> C`,
 * `(A, B) -> C`, `((A, B)) -> C`.  Without `->` it is unit, grouping or a
 * tuple.  `->` is right associative (the result is parsed by recursion). */
static uint32_t type_(Parser *p)
{
    enter(p);
    uint32_t t;
    if (at(p, TK_LPAREN)) {
        uint32_t open = advance(p);
        uint32_t base = p->stack.count;
        if (!at(p, TK_RPAREN)) {
            for (;;) {
                push32(p, &p->stack, type_(p));
                if (!at(p, TK_COMMA)) break;
                advance(p);
            }
        }
        expect(p, TK_RPAREN);
        uint32_t n = p->stack.count - base;
        if (at(p, TK_ARROW)) {
            uint32_t params = list_from_stack(p, base);
            uint32_t arrow = advance(p);
            uint32_t result = type_(p);
            t = node(p, AST_TYPE_FN, arrow, params, result);
        } else if (n == 0) {
            t = node(p, AST_TYPE_UNIT, open, 0, 0);
        } else if (n == 1) {
            t = ((uint32_t *)p->stack.data)[base];
            p->stack.count = base;
        } else {
            t = node(p, AST_TYPE_TUPLE, open, list_from_stack(p, base), 0);
        }
    } else {
        t = type_atom(p);
        if (at(p, TK_ARROW)) {
            uint32_t params = single_list(p, t);
            uint32_t arrow = advance(p);
            uint32_t result = type_(p);
            t = node(p, AST_TYPE_FN, arrow, params, result);
        }
    }
    leave(p);
    return t;
}

/* ---- literals ---------------------------------------------------------------- */

/* Appends the unescaped bytes of string token t to `strings`; invalid
 * escapes (E0103, already reported) are dropped.  An unterminated string
 * (E0102, reported by the lexer) fails its declaration like any skipped text
 * (LANGUAGE.md section 6). */
static void string_literal(Parser *p, uint32_t t, uint32_t *off, uint32_t *len)
{
    uint32_t s = p->ts[t] + 1, e = tok_end(p, t);
    if (!lex_string_terminated(p->src, p->len, p->ts[t])) fail(p);
    e--;   /* the closing quote */
    *off = p->strings.count;
    *len = 0;
    if (e == s) return;     /* "" — the builder may not have storage yet */
    builder_reserve(&p->strings, p->strings.count + (e - s));
    char *out = p->strings.data + p->strings.count;
    uint32_t n = 0;
    for (uint32_t i = s; i < e; i++) {
        char c = p->src[i];
        if (c != '\\' || i + 1 >= e) { out[n++] = c; continue; }
        char x = p->src[++i];
        switch (x) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case '\\': out[n++] = '\\'; break;
        case '"': out[n++] = '"'; break;
        case '0': out[n++] = '\0'; break;
        default: break;
        }
    }
    p->strings.count += n;
    *len = n;
}

static void int_literal(Parser *p, uint32_t t, bool negate, uint32_t *lo, uint32_t *hi)
{
    int64_t v = lex_int_value(p->src, p->ts[t], tok_end(p, t));
    uint64_t u = negate ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *lo = (uint32_t)u;
    *hi = (uint32_t)(u >> 32);
}

/* ---- patterns ------------------------------------------------------------- */

static uint32_t pattern(Parser *p)
{
    enter(p);
    uint32_t r, t = p->pos, lo, hi;
    switch (peek(p)) {
    case TK_UNDERSCORE:
        advance(p);
        r = node(p, AST_PAT_WILD, t, 0, 0);
        break;
    case TK_LOWER:
        advance(p);
        r = node(p, AST_PAT_BIND, t, ident(p, t), 0);
        break;
    case TK_MINUS:
        advance(p);
        if (!at(p, TK_INT)) expected(p, "integer after `-` in a pattern");
        int_literal(p, advance(p), true, &lo, &hi);
        r = node(p, AST_PAT_INT, t, lo, hi);
        break;
    case TK_INT:
        int_literal(p, advance(p), false, &lo, &hi);
        r = node(p, AST_PAT_INT, t, lo, hi);
        break;
    case TK_STRING:
        string_literal(p, advance(p), &lo, &hi);
        r = node(p, AST_PAT_STR, t, lo, hi);
        break;
    case TK_KW_TRUE:
        advance(p);
        r = node(p, AST_PAT_TRUE, t, 0, 0);
        break;
    case TK_KW_FALSE:
        advance(p);
        r = node(p, AST_PAT_FALSE, t, 0, 0);
        break;
    case TK_LPAREN: {
        advance(p);
        if (at(p, TK_RPAREN)) {
            advance(p);
            r = node(p, AST_PAT_UNIT, t, 0, 0);
            break;
        }
        uint32_t base = p->stack.count;
        comma_items(p, pattern);
        expect(p, TK_RPAREN);
        if (p->stack.count - base == 1) {
            r = ((uint32_t *)p->stack.data)[base];
            p->stack.count = base;
        } else {
            r = node(p, AST_PAT_TUPLE, t, list_from_stack(p, base), 0);
        }
        break;
    }
    case TK_UPPER: {
        uint32_t last;
        uint32_t path = upper_path(p, &last);
        uint32_t subs = at(p, TK_LPAREN) ? paren_list(p, pattern) : AST_NONE;
        r = node(p, AST_PAT_CTOR, last, path, subs);
        break;
    }
    default:
        expected(p, "pattern");
    }
    leave(p);
    return r;
}

/* ---- expressions ------------------------------------------------------------ */

static uint32_t expr(Parser *p);

/* param: (LOWER | '_') [':' type] */
static uint32_t param(Parser *p)
{
    uint32_t t = p->pos, id;
    if (at(p, TK_LOWER)) id = ident(p, advance(p));
    else if (at(p, TK_UNDERSCORE)) { advance(p); id = AST_NONE; }
    else expected(p, "parameter name");
    uint32_t ty = AST_NONE;
    if (at(p, TK_COLON)) {
        advance(p);
        ty = type_(p);
    }
    return node(p, AST_PARAM, t, id, ty);
}

/* params: '(' [param (',' param)*] ')' -> list */
static uint32_t params(Parser *p)
{
    expect(p, TK_LPAREN);
    uint32_t base = p->stack.count;
    if (!at(p, TK_RPAREN)) {
        for (;;) {
            push32(p, &p->stack, param(p));
            if (!at(p, TK_COMMA)) break;
            advance(p);
        }
    }
    expect(p, TK_RPAREN);
    return list_from_stack(p, base);
}

/* qualified: UPPER ('.' UPPER)* ['.' LOWER]  (a value or a constructor) */
static uint32_t qualified(Parser *p)
{
    uint32_t first = advance(p);
    if (!at(p, TK_DOT)) return node(p, AST_EXPR_CTOR, first, ident(p, first), 0);
    uint32_t base = p->stack.count;
    push32(p, &p->stack, ident(p, first));
    while (at(p, TK_DOT)) {
        advance(p);
        if (at(p, TK_UPPER)) {
            push32(p, &p->stack, ident(p, advance(p)));
        } else if (at(p, TK_LOWER)) {
            push32(p, &p->stack, ident(p, advance(p)));
            break;
        } else {
            expected(p, "name after `.`");
        }
    }
    return node(p, AST_EXPR_QUALIFIED, first, list_from_stack(p, base), 0);
}

/* primary: INT | STRING | true | false | LOWER | qualified
 *        | '(' ')' | '(' expr ')' | '(' expr (',' expr)+ ')' */
static uint32_t primary(Parser *p)
{
    uint32_t t = p->pos, lo, hi;
    switch (peek(p)) {
    case TK_INT:
        int_literal(p, advance(p), false, &lo, &hi);
        return node(p, AST_EXPR_INT, t, lo, hi);
    case TK_STRING:
        string_literal(p, advance(p), &lo, &hi);
        return node(p, AST_EXPR_STR, t, lo, hi);
    case TK_KW_TRUE:
        advance(p);
        return node(p, AST_EXPR_TRUE, t, 0, 0);
    case TK_KW_FALSE:
        advance(p);
        return node(p, AST_EXPR_FALSE, t, 0, 0);
    case TK_LOWER:
        advance(p);
        return node(p, AST_EXPR_NAME, t, ident(p, t), 0);
    case TK_UPPER:
        return qualified(p);
    case TK_LPAREN: {
        advance(p);
        if (at(p, TK_RPAREN)) {
            advance(p);
            return node(p, AST_EXPR_UNIT, t, 0, 0);
        }
        uint32_t base = p->stack.count;
        comma_items(p, expr);
        expect(p, TK_RPAREN);
        if (p->stack.count - base == 1) {
            uint32_t e = ((uint32_t *)p->stack.data)[base];
            p->stack.count = base;
            return e;
        }
        return node(p, AST_EXPR_TUPLE, t, list_from_stack(p, base), 0);
    }
    case TK_KW_FN: case TK_KW_IF: case TK_KW_LET: case TK_KW_MATCH:
        error_at(p, t, RC_E0110, "%s expression used as an operand must be in parentheses",
                 lex_kind_display(peek(p)));
    default:
        expected(p, "expression");
    }
}

/* postfix: primary ('(' [expr (',' expr)*] ')')*
 * A chain of call suffixes `f(a)(b)...` is a loop: it adds no nesting
 * level (LANGUAGE.md section 6, "Length is not nesting"); each argument is
 * an expression inside brackets and counts one level (in expr). */
static uint32_t postfix(Parser *p)
{
    uint32_t e = primary(p);
    while (at(p, TK_LPAREN)) {
        uint32_t open = advance(p);
        uint32_t base = p->stack.count;
        if (!at(p, TK_RPAREN))
            comma_items(p, expr);
        expect(p, TK_RPAREN);
        e = node(p, AST_EXPR_CALL, open, e, list_from_stack(p, base));
    }
    return e;
}

/* unary: ('-' | '!')* postfix.  The prefix operators are collected on the
 * stack and applied innermost first (the nodes come out in the order the
 * recursive rule made them); they add no nesting level. */
static uint32_t unary(Parser *p)
{
    uint32_t base = p->stack.count;
    while (at(p, TK_MINUS) || at(p, TK_BANG))
        push32(p, &p->stack, advance(p));
    uint32_t e = postfix(p);
    while (p->stack.count > base) {
        uint32_t op = ((uint32_t *)p->stack.data)[--p->stack.count];
        e = node(p, p->tk[op] == TK_MINUS ? AST_EXPR_NEG : AST_EXPR_NOT, op, e, 0);
    }
    return e;
}

/* The binary operators, loosest first (LANGUAGE.md section 4):
 *   1 '||'   2 '&&'   3 comparisons (non-associative)   4 '++' (right)
 *   5 '+' '-'   6 '*' '/' '%'   (the others left associative) */
enum { PREC_OR = 1, PREC_AND, PREC_CMP, PREC_CONCAT, PREC_ADD, PREC_MUL, PREC__COUNT };

static bool comparison(TokKind k, AstKind *out)
{
    switch (k) {
    case TK_EQEQ: *out = AST_EXPR_EQ; return true;
    case TK_NE: *out = AST_EXPR_NE; return true;
    case TK_LT: *out = AST_EXPR_LT; return true;
    case TK_LE: *out = AST_EXPR_LE; return true;
    case TK_GT: *out = AST_EXPR_GT; return true;
    case TK_GE: *out = AST_EXPR_GE; return true;
    default: return false;
    }
}

/* Precedence of binary operator k (0: not one) and its node kind. */
static int binary_op(TokKind k, AstKind *out)
{
    switch (k) {
    case TK_OROR: *out = AST_EXPR_OR; return PREC_OR;
    case TK_ANDAND: *out = AST_EXPR_AND; return PREC_AND;
    case TK_PLUSPLUS: *out = AST_EXPR_CONCAT; return PREC_CONCAT;
    case TK_PLUS: *out = AST_EXPR_ADD; return PREC_ADD;
    case TK_MINUS: *out = AST_EXPR_SUB; return PREC_ADD;
    case TK_STAR: *out = AST_EXPR_MUL; return PREC_MUL;
    case TK_SLASH: *out = AST_EXPR_DIV; return PREC_MUL;
    case TK_PERCENT: *out = AST_EXPR_MOD; return PREC_MUL;
    default: return comparison(k, out) ? PREC_CMP : 0;
    }
}

/* binary: unary (op binary)* by precedence climbing (one loop for the five
 * levels, like cproc's binaryexpr): operators of precedence >= min are
 * taken here; a left-associative operator's right operand takes only
 * tighter ones, and a comparison followed by another is E0110.  A run of
 * '++' (right associative) is collected on the stack and folded from the
 * right, so the C recursion is bounded by the number of levels whatever
 * the length of the chain, and no operator adds a nesting level (E0111 is
 * for brackets only: LANGUAGE.md section 6, "Length is not nesting"). */
static uint32_t binary(Parser *p, int min)
{
    uint32_t l = unary(p);
    for (;;) {
        AstKind k;
        int prec = binary_op(peek(p), &k);
        if (prec == 0 || prec < min)
            break;
        uint32_t op = advance(p);
        uint32_t r;
        if (prec == PREC_CONCAT) {
            /* op0 r0 op1 r1 ... : r = r0 ++ (r1 ++ (...)) */
            uint32_t base = p->stack.count;
            r = binary(p, PREC_CONCAT + 1);
            while (at(p, TK_PLUSPLUS)) {
                push32(p, &p->stack, r);
                push32(p, &p->stack, advance(p));
                r = binary(p, PREC_CONCAT + 1);
            }
            while (p->stack.count > base) {
                uint32_t *st = (uint32_t *)p->stack.data + p->stack.count - 2;
                r = node(p, AST_EXPR_CONCAT, st[1], st[0], r);
                p->stack.count -= 2;
            }
        } else if (prec == PREC_CMP) {
            r = binary(p, PREC_CONCAT);   /* '++' and tighter */
            AstKind k2;
            if (comparison(peek(p), &k2))
                error_at(p, p->pos, RC_E0110,
                         "comparison operators do not chain: parenthesize one comparison, found %s",
                         lex_kind_display(peek(p)));
        } else {
            r = binary(p, prec + 1);
        }
        l = node(p, k, op, l, r);
    }
    return l;
}

/* match: 'match' expr '{' arm (',' arm)* [','] '}'   arm: pattern '->' expr */
static uint32_t match_expr(Parser *p)
{
    uint32_t t = advance(p);
    uint32_t scrutinee = expr(p);
    expect(p, TK_LBRACE);
    uint32_t base = p->stack.count;
    for (;;) {
        uint32_t pat = pattern(p);
        uint32_t arrow = expect(p, TK_ARROW);
        uint32_t body = expr(p);
        push32(p, &p->stack, node(p, AST_MATCH_ARM, arrow, pat, body));
        if (at(p, TK_COMMA)) {
            advance(p);
            if (at(p, TK_RBRACE)) break;
            continue;
        }
        if (at(p, TK_RBRACE)) break;
        expected(p, "`,` or `}`");
    }
    advance(p);
    return node(p, AST_EXPR_MATCH, t, scrutinee, list_from_stack(p, base));
}

static bool binary_operator(TokKind k)
{
    switch (k) {
    case TK_OROR: case TK_ANDAND: case TK_EQEQ: case TK_NE: case TK_LT: case TK_LE:
    case TK_GT: case TK_GE: case TK_PLUSPLUS: case TK_PLUS: case TK_MINUS: case TK_STAR:
    case TK_SLASH: case TK_PERCENT:
        return true;
    default:
        return false;
    }
}

/* What expr has parsed of a chain and not yet built: the frames on the
 * stack, innermost last, each ending with its tag. */
enum { PEND_LAMBDA = 1, PEND_IF, PEND_LET };

/* expr: lambda | if | let | match | or
 *   lambda: 'fn' params '->' expr
 *   if:     'if' expr 'then' expr 'else' expr
 *   let:    'let' LOWER [':' type] '=' expr 'in' expr
 *
 * Length is not nesting (LANGUAGE.md section 6): the last operand of a
 * lambda (its body), of an if (its else branch) and of a let (its body) is
 * parsed by this loop, not by recursion, so `let ... in let ... in ...`,
 * `else if` chains and `fn(x) -> fn(y) -> ...` of any length take constant
 * C stack and one nesting level.  What precedes the last operand (a let's
 * annotation and bound value, an if's condition and then branch, a match's
 * scrutinee and arms) is an expression nested inside this one: it is
 * parsed by a recursive expr and counts one level more (E0111).  The nodes
 * come out in the order the recursive grammar made them (the body's nodes,
 * then the extra words and node of the form around it). */
static uint32_t expr(Parser *p)
{
    enter(p);
    uint32_t base = p->stack.count;
    uint32_t e;
    for (;;) {
        TokKind k = peek(p);
        if (k == TK_KW_FN) {
            uint32_t t = advance(p);
            uint32_t ps = params(p);
            expect(p, TK_ARROW);
            push32(p, &p->stack, t);
            push32(p, &p->stack, ps);
            push32(p, &p->stack, PEND_LAMBDA);
            continue;
        }
        if (k == TK_KW_IF) {
            uint32_t t = advance(p);
            uint32_t c = expr(p);
            expect(p, TK_KW_THEN);
            uint32_t a = expr(p);
            expect(p, TK_KW_ELSE);
            push32(p, &p->stack, t);
            push32(p, &p->stack, c);
            push32(p, &p->stack, a);
            push32(p, &p->stack, PEND_IF);
            continue;
        }
        if (k == TK_KW_LET) {
            uint32_t t = advance(p);
            if (!at(p, TK_LOWER)) expected(p, "name");
            uint32_t name_tok = advance(p);
            uint32_t id = ident(p, name_tok);
            uint32_t ty = AST_NONE;
            if (at(p, TK_COLON)) {
                advance(p);
                ty = type_(p);
            }
            expect(p, TK_EQ);
            uint32_t value = expr(p);
            expect(p, TK_KW_IN);
            push32(p, &p->stack, t);
            push32(p, &p->stack, id);
            push32(p, &p->stack, name_tok);
            push32(p, &p->stack, ty);
            push32(p, &p->stack, value);
            push32(p, &p->stack, PEND_LET);
            continue;
        }
        if (k == TK_KW_MATCH) {
            e = match_expr(p);
            /* Only `match` can end before an operator (at its `}`); the
             * other forms extend as far right as they can. */
            if (binary_operator(peek(p)))
                error_at(p, p->pos, RC_E0110,
                         "%s expression used as an operand must be in parentheses",
                         lex_kind_display(k));
        } else {
            e = binary(p, PREC_OR);
        }
        break;
    }
    while (p->stack.count > base) {
        uint32_t *top = (uint32_t *)p->stack.data + p->stack.count;
        switch (top[-1]) {
        case PEND_LAMBDA:
            e = node(p, AST_EXPR_LAMBDA, top[-3], top[-2], e);
            p->stack.count -= 3;
            break;
        case PEND_IF: {
            uint32_t x = p->extra.count;
            push32(p, &p->extra, top[-2]);
            push32(p, &p->extra, e);
            e = node(p, AST_EXPR_IF, top[-4], top[-3], x);
            p->stack.count -= 4;
            break;
        }
        default: {   /* PEND_LET */
            uint32_t x = p->extra.count;
            push32(p, &p->extra, top[-5]);
            push32(p, &p->extra, top[-4]);
            push32(p, &p->extra, top[-3]);
            push32(p, &p->extra, top[-2]);
            e = node(p, AST_EXPR_LET, top[-6], x, e);
            p->stack.count -= 6;
            break;
        }
        }
    }
    leave(p);
    return e;
}

/* ---- declarations ------------------------------------------------------------ */

/* fn_decl: 'fn' LOWER params ['->' type] '=' expr */
static uint32_t fn_decl(Parser *p)
{
    p->broken_kind = BROKEN_FN;
    advance(p);
    if (!at(p, TK_LOWER)) expected(p, "function name");
    uint32_t name_tok = advance(p);
    uint32_t id = ident(p, name_tok);
    p->broken_name = id;
    uint32_t ps = params(p);
    uint32_t ret = AST_NONE;
    if (at(p, TK_ARROW)) {
        advance(p);
        ret = type_(p);
    }
    expect(p, TK_EQ);
    uint32_t body = expr(p);
    uint32_t e = p->extra.count;
    push32(p, &p->extra, ps);
    push32(p, &p->extra, ret);
    push32(p, &p->extra, body);
    return node(p, AST_DECL_FN, name_tok, id, e);
}

/* let_decl: 'let' LOWER [':' type] '=' expr */
static uint32_t let_decl(Parser *p)
{
    p->broken_kind = BROKEN_LET;
    advance(p);
    if (!at(p, TK_LOWER)) expected(p, "name");
    uint32_t name_tok = advance(p);
    uint32_t id = ident(p, name_tok);
    p->broken_name = id;
    uint32_t ty = AST_NONE;
    if (at(p, TK_COLON)) {
        advance(p);
        ty = type_(p);
    }
    expect(p, TK_EQ);
    uint32_t value = expr(p);
    uint32_t e = p->extra.count;
    push32(p, &p->extra, ty);
    push32(p, &p->extra, value);
    return node(p, AST_DECL_LET, name_tok, id, e);
}

/* ctor_def: UPPER ['(' type (',' type)* ')'] */
static uint32_t ctor_def(Parser *p)
{
    if (!at(p, TK_UPPER)) expected(p, "constructor name");
    uint32_t t = advance(p);
    uint32_t id = ident(p, t);
    uint32_t payload = at(p, TK_LPAREN) ? paren_list(p, type_) : AST_NONE;
    return node(p, AST_CTOR_DEF, t, id, payload);
}

/* type_decl: 'type' UPPER ['(' LOWER (',' LOWER)* ')'] '=' ['|'] ctor_def ('|' ctor_def)* */
static uint32_t type_decl(Parser *p)
{
    p->broken_kind = BROKEN_TYPE;
    advance(p);
    if (!at(p, TK_UPPER)) expected(p, "type name");
    uint32_t name_tok = advance(p);
    uint32_t id = ident(p, name_tok);
    p->broken_name = id;
    uint32_t base = p->stack.count;
    if (at(p, TK_LPAREN)) {
        advance(p);
        for (;;) {
            if (!at(p, TK_LOWER)) expected(p, "type variable");
            uint32_t v = advance(p);
            push32(p, &p->stack, node(p, AST_TYPE_VAR, v, ident(p, v), 0));
            if (!at(p, TK_COMMA)) break;
            advance(p);
        }
        expect(p, TK_RPAREN);
    }
    uint32_t tparams = list_from_stack(p, base);
    expect(p, TK_EQ);
    if (at(p, TK_BAR)) advance(p);
    for (;;) {
        push32(p, &p->stack, ctor_def(p));
        if (!at(p, TK_BAR)) break;
        advance(p);
    }
    uint32_t ctors = list_from_stack(p, base);
    uint32_t e = p->extra.count;
    push32(p, &p->extra, tparams);
    push32(p, &p->extra, ctors);
    return node(p, AST_DECL_TYPE, name_tok, id, e);
}

/* expose_list: '(' [expose (',' expose)*] ')'
 * expose: LOWER | UPPER | UPPER '(..)' */
static uint32_t expose_list(Parser *p)
{
    expect(p, TK_LPAREN);
    uint32_t base = p->stack.count;
    if (!at(p, TK_RPAREN)) {
        for (;;) {
            uint32_t t = p->pos, n;
            if (at(p, TK_LOWER)) {
                advance(p);
                n = node(p, AST_EXPOSE_VALUE, t, ident(p, t), 0);
            } else if (at(p, TK_UPPER)) {
                advance(p);
                AstKind k = AST_EXPOSE_TYPE;
                if (at(p, TK_DOTS)) { advance(p); k = AST_EXPOSE_TYPE_ALL; }
                n = node(p, k, t, ident(p, t), 0);
            } else {
                expected(p, "name to expose");
            }
            push32(p, &p->stack, n);
            if (!at(p, TK_COMMA)) break;
            advance(p);
        }
    }
    expect(p, TK_RPAREN);
    return list_from_stack(p, base);
}

static uint32_t import_node(Parser *p, uint32_t t, uint32_t path, uint32_t alias,
                            uint32_t alias_tok, uint32_t exposing, uint32_t broken)
{
    uint32_t e = p->extra.count;
    push32(p, &p->extra, alias);
    push32(p, &p->extra, alias_tok);
    push32(p, &p->extra, exposing);
    push32(p, &p->extra, broken);
    return node(p, AST_IMPORT, t, path, e);
}

/* import_decl: 'import' module_name ['as' UPPER] ['exposing' expose_list] */
static uint32_t import_decl(Parser *p)
{
    p->broken_kind = BROKEN_IMPORT;
    p->imp_path = p->imp_alias = p->imp_alias_tok = p->imp_items = p->imp_list = AST_NONE;
    uint32_t t = advance(p);
    uint32_t path = p->imp_path = module_name(p);
    uint32_t alias = AST_NONE, alias_tok = AST_NONE, exposing = AST_NONE;
    if (at(p, TK_KW_AS)) {
        advance(p);
        if (!at(p, TK_UPPER)) expected(p, "module alias");
        alias_tok = p->imp_alias_tok = advance(p);
        alias = p->imp_alias = ident(p, alias_tok);
    }
    if (at(p, TK_KW_EXPOSING)) {
        advance(p);
        p->imp_items = p->stack.count;   /* expose_list's items start here */
        exposing = p->imp_list = expose_list(p);
    }
    return import_node(p, t, path, alias, alias_tok, exposing, 0);
}

/* The IMPORT node of a broken import line (skipped text in it): its module
 * name, alias and the exposing items parsed before the error, so that its
 * qualifier and those names are poisoned rather than unknown (LANGUAGE.md
 * section 6).  AST_NONE when not even the module name parsed. */
static uint32_t broken_import(Parser *p, uint32_t t)
{
    if (p->imp_path == AST_NONE) return AST_NONE;
    uint32_t exposing = p->imp_list;
    if (exposing == AST_NONE && p->imp_items != AST_NONE && p->imp_items <= p->stack.count)
        exposing = list_from_stack(p, p->imp_items);
    return import_node(p, t, p->imp_path, p->imp_alias, p->imp_alias_tok, exposing, 1);
}

/* ---- the module --------------------------------------------------------------- */

static bool is_sync(const Parser *p, uint32_t t)
{
    TokKind k = (TokKind)p->tk[t];
    return (k == TK_KW_FN || k == TK_KW_LET || k == TK_KW_TYPE || k == TK_KW_IMPORT) &&
           at_line_start(p, t);
}

static void skip_to_sync(Parser *p)
{
    while (!at(p, TK_EOF) && !is_sync(p, p->pos)) p->pos++;
}

typedef struct ModuleParts {
    bool has_header;
    bool skipped_text;            /* a declaration, import line or header failed */
    bool header_broken;           /* the header failed after the module name */
    uint32_t module_path, module_tok, exposing;
    Builder imports, decls;       /* uint32 node indices */
} ModuleParts;

/* header: 'module' module_name 'exposing' expose_list.  Returns false (after
 * reporting) when there is no usable header.  A header that fails after its
 * module name is recovered as far as it went (header_broken, no exposing
 * list): its imports and declarations are still parsed and checked. */
static bool header(Parser *p, ModuleParts *m)
{
    jmp_buf jb;
    p->recover = &jb;
    if (setjmp(jb)) {
        p->recover = NULL;
        p->depth = 0;
        p->stack.count = 0;
        skip_to_sync(p);
        if (m->module_path == AST_NONE) return false;
        m->header_broken = m->skipped_text = true;
        m->exposing = AST_NONE;
        return true;
    }
    if (!at(p, TK_KW_MODULE)) {
        char found[64];
        describe(p, p->pos, found, sizeof found);
        report_add(p->rep, RC_E0112, p->ts[p->pos], tok_end(p, p->pos),
                   "missing module header: expected `module Name exposing (...)`, found %s", found);
        fail(p);
    }
    advance(p);
    m->module_tok = p->pos;
    m->module_path = module_name(p);
    expect(p, TK_KW_EXPOSING);
    m->exposing = expose_list(p);
    p->recover = NULL;
    return true;
}

/* A declaration ends where the next one starts: text after it that starts
 * no declaration is skipped text of that declaration, which then fails
 * (LANGUAGE.md section 6: `let a = 1 $ 2` is broken, its name poisoned). */
static void end_of_decl(Parser *p)
{
    TokKind k = peek(p);
    if (k != TK_EOF && k != TK_KW_FN && k != TK_KW_LET && k != TK_KW_TYPE && k != TK_KW_IMPORT)
        expected(p, "declaration (`fn`, `let` or `type`)");
}

/* module_file: header import* decl*  (imports after declarations are
 * reported once each but still recorded, so their names resolve). */
static void module_file(Parser *p, ModuleParts *m)
{
    m->has_header = header(p, m);
    volatile bool seen_decl = false;   /* kept across longjmp */
    while (!at(p, TK_EOF)) {
        uint32_t start = p->pos;
        uint32_t save_nodes = p->nkind.count, save_extra = p->extra.count;
        uint32_t save_strings = p->strings.count;
        p->broken_name = AST_NONE;
        p->broken_kind = BROKEN_UNKNOWN;
        jmp_buf jb;
        p->recover = &jb;
        if (setjmp(jb)) {
            p->depth = 0;
            m->skipped_text = true;
            if (p->broken_kind == BROKEN_IMPORT) {
                /* its nodes so far stay: the broken IMPORT node refers to them */
                uint32_t imp = broken_import(p, start);
                if (imp != AST_NONE) push32(p, &m->imports, imp);
                p->stack.count = 0;
                skip_to_sync(p);
                continue;
            }
            p->nkind.count = p->ntok_.count = p->na.count = p->nb.count = save_nodes;
            p->extra.count = save_extra;
            p->strings.count = save_strings;
            p->stack.count = 0;
            seen_decl = true;
            uint32_t kind = p->broken_kind, from = p->pos;
            skip_to_sync(p);
            /* skipped text with a `type` keyword may have held a type
             * declaration: its constructors are lost too (unknown kind) */
            for (uint32_t t = from; t < p->pos && kind != BROKEN_TYPE; t++)
                if (p->tk[t] == TK_KW_TYPE) kind = BROKEN_UNKNOWN;
            push32(p, &m->decls, node(p, AST_DECL_BROKEN, start, p->broken_name, kind));
            continue;
        }
        uint32_t d;
        switch (peek(p)) {
        case TK_KW_IMPORT:
            if (seen_decl && start != p->reported_tok) {
                p->reported_tok = start;
                report_add(p->rep, RC_E0110, p->ts[start], tok_end(p, start),
                           "imports must come before declarations");
            }
            d = import_decl(p);
            end_of_decl(p);
            push32(p, &m->imports, d);
            break;
        case TK_KW_FN:
            seen_decl = true;
            d = fn_decl(p);
            end_of_decl(p);
            push32(p, &m->decls, d);
            break;
        case TK_KW_LET:
            seen_decl = true;
            d = let_decl(p);
            end_of_decl(p);
            push32(p, &m->decls, d);
            break;
        case TK_KW_TYPE:
            seen_decl = true;
            d = type_decl(p);
            end_of_decl(p);
            push32(p, &m->decls, d);
            break;
        default:
            expected(p, "declaration (`fn`, `let` or `type`)");
        }
    }
    p->recover = NULL;
}

static uint32_t list_from_builder(Parser *p, const Builder *b)
{
    uint32_t at = p->extra.count;
    push32(p, &p->extra, b->count);
    for (uint32_t i = 0; i < b->count; i++) push32(p, &p->extra, ((uint32_t *)b->data)[i]);
    return at;
}



/* Gives b room for exactly n elements.  builder_reserve rounds up to a
 * power of two, which for the big arrays of a big module leaves up to half
 * of a large block unused; these reservations come from estimates that
 * usually hold, so the arrays are allocated once and never copied while
 * growing (if an estimate is exceeded, push32/node grow them as usual). */
static void reserve_exact(Builder *b, uint32_t n)
{
    if (n <= b->cap) return;
    char *data = arena_alloc(b->arena, (size_t)n * b->elem_size, b->elem_align);
    if (b->count) memcpy(data, b->data, (size_t)b->count * b->elem_size);
    b->data = data;
    b->cap = n;
}

/* Copies the identifier table, built in scratch while parsing, into the AST
 * arena at its exact size: slots for count names at the table's load limit
 * (5/8, as intern.c keeps it), the id arrays and one block of the names'
 * bytes.  Ids and hashes are kept, so lookups and ids are as they were. */
static void seal_names(const InternTable *from, Arena *dst, InternTable *to)
{
    uint32_t n = from->count, cap = n ? n : 1;
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) bytes += (size_t)from->lens[i] + 1;
    uint64_t nslots = 16;
    while ((uint64_t)n * 8 > nslots * 5) nslots *= 2;
    memset(to, 0, sizeof *to);
    to->arena = dst;
    to->slots = ARENA_ZARRAY(dst, uint32_t, nslots);
    to->slot_hash = ARENA_ARRAY(dst, uint32_t, nslots);
    to->strs = ARENA_ARRAY(dst, const char *, cap);
    to->lens = ARENA_ARRAY(dst, uint32_t, cap);
    char *blob = ARENA_ARRAY(dst, char, bytes ? bytes : 1);
    for (uint32_t i = 0; i < n; i++) {
        memcpy(blob, from->strs[i], (size_t)from->lens[i] + 1);
        to->strs[i] = blob;
        to->lens[i] = from->lens[i];
        blob += from->lens[i] + 1;
    }
    uint32_t mask = (uint32_t)(nslots - 1);
    for (uint32_t i = 0; i <= from->slot_mask; i++) {
        if (!from->slots[i]) continue;
        uint32_t j = from->slot_hash[i] & mask;
        while (to->slots[j]) j = (j + 1) & mask;
        to->slots[j] = from->slots[i];
        to->slot_hash[j] = from->slot_hash[i];
    }
    to->slot_mask = mask;
    to->count = n;
    to->cap = cap;
}

/* parse_module's arguments and results, for its protected body. */
typedef struct ParseCall {
    const char *src;
    uint32_t len;
    Arena *keep, *ast_arena, *scratch;
    ParseOutput *out;
    ReportList rep;
    PhaseStatus status;
} ParseCall;

/* The work of parse_module, inside its protected call. */
static PhaseStatus parse_run(const char *src, uint32_t len, Arena *keep, Arena *ast_arena,
                             Arena *scratch, ParseOutput *out, ReportList *rep)
{
    Parser p;
    memset(&p, 0, sizeof p);
    p.src = src;
    p.len = len;
    p.rep = rep;
    p.scratch = scratch;
    p.reported_tok = UINT32_MAX;

    uint32_t bad = lex_check_source(src, len);
    if (bad != UINT32_MAX) {
        report_add(rep, RC_E0002, bad, bad + 1,
                   src[bad] == 0 ? "NUL byte in source" : "invalid UTF-8 in source");
        return PHASE_FAILED;
    }

    /* Sizes from measurements of typical code (2.4-2.7 source bytes per
     * token, 0.57-0.61 nodes and extra words per token), slightly above. */
    Builder kinds, starts;
    ArenaMark before_tokens = arena_mark(scratch);
    const char *rep_storage = rep->items.data;
    BUILDER_INIT(&kinds, scratch, uint8_t);
    BUILDER_INIT(&starts, scratch, uint32_t);
    reserve_exact(&kinds, len / 2 + 64);
    reserve_exact(&starts, len / 2 + 64);
    if (!lex_tokens(src, len, &kinds, &starts, rep)) out_of_memory(&p);
    /* The tokens are final: seal them now and parse from the sealed copy,
     * so that their scratch space is reused for the node arrays (a big
     * module's peak memory is its scratch plus its AST).  Not when the
     * lexer's reports took new storage after the mark (that must live on),
     * nor when a caller shares one arena between scratch and the others. */
    p.tk = builder_seal(&kinds, ast_arena);
    p.ts = builder_seal(&starts, ast_arena);
    p.ntok = kinds.count;
    if (rep->items.data == rep_storage && scratch != ast_arena && scratch != keep)
        arena_rewind(scratch, before_tokens);

    BUILDER_INIT(&p.nkind, scratch, uint8_t);
    BUILDER_INIT(&p.ntok_, scratch, uint32_t);
    BUILDER_INIT(&p.na, scratch, uint32_t);
    BUILDER_INIT(&p.nb, scratch, uint32_t);
    BUILDER_INIT(&p.extra, scratch, uint32_t);
    BUILDER_INIT(&p.strings, scratch, char);
    BUILDER_INIT(&p.stack, scratch, uint32_t);
    uint32_t guess = (uint32_t)((uint64_t)p.ntok * 5 / 8) + 64;
    reserve_exact(&p.nkind, guess);
    reserve_exact(&p.ntok_, guess);
    reserve_exact(&p.na, guess);
    reserve_exact(&p.nb, guess);
    reserve_exact(&p.extra, guess);

    /* Identifiers are interned in scratch and sealed at the end: a module
     * has far fewer names than tokens, and a table sized for the worst case
     * would sit in the AST arena until canonicalization is done. */
    Ast *ast = ARENA_NEW(ast_arena, Ast);
    InternTable names;
    intern_init(&names, scratch, p.ntok / 32 + 64);
    p.names = &names;
    p.icache = ARENA_ZARRAY(scratch, IdentSlot, 1u << IDENT_CACHE_BITS);

    node(&p, AST_INVALID, 0, 0, 0);
    ModuleParts m;
    memset(&m, 0, sizeof m);
    m.module_path = m.module_tok = m.exposing = AST_NONE;
    BUILDER_INIT(&m.imports, scratch, uint32_t);
    BUILDER_INIT(&m.decls, scratch, uint32_t);
    module_file(&p, &m);

    if (!m.has_header) return PHASE_FAILED;

    ast->has_header = true;
    ast->skipped_text = m.skipped_text;
    ast->header_broken = m.header_broken;
    ast->module_path = m.module_path;
    ast->module_tok = m.module_tok;
    ast->exposing = m.exposing;
    ast->imports = list_from_builder(&p, &m.imports);
    ast->decls = list_from_builder(&p, &m.decls);

    ast->tok_kind = p.tk;
    ast->tok_start = p.ts;
    ast->tok_count = p.ntok;
    ast->kind = builder_seal(&p.nkind, ast_arena);
    ast->tok = builder_seal(&p.ntok_, ast_arena);
    ast->a = builder_seal(&p.na, ast_arena);
    ast->b = builder_seal(&p.nb, ast_arena);
    ast->node_count = p.nkind.count;
    ast->extra = builder_seal(&p.extra, ast_arena);
    ast->extra_count = p.extra.count;
    ast->strings = builder_seal(&p.strings, ast_arena);
    ast->strings_len = p.strings.count;
    ast->src = src;
    ast->src_len = len;
    seal_names(&names, ast_arena, &ast->names);

    out->ast = ast;
    out->iface = iface_build(ast, keep, scratch);
    return PHASE_OK;
}

static void parse_body(void *ud)
{
    ParseCall *c = ud;
    report_list_init(&c->rep, c->scratch, c->keep);
    c->status = parse_run(c->src, c->len, c->keep, c->ast_arena, c->scratch, c->out, &c->rep);
    if (c->status != PHASE_OK) {
        c->out->ast = NULL;
        c->out->iface = NULL;
    }
    c->out->reports = report_list_seal(&c->rep, c->keep);
}

PhaseStatus parse_module(const char *src, uint32_t len,
                         Arena *keep, Arena *ast, Arena *scratch,
                         ParseOutput *out)
{
    memset(out, 0, sizeof *out);
    ParseCall call = { .src = src, .len = len, .keep = keep, .ast_arena = ast,
                       .scratch = scratch, .out = out };
    Arena *const guarded[] = { keep, ast, scratch };
    if (protect_call(guarded, 3, parse_body, &call))
        return call.status;
    memset(out, 0, sizeof *out);
    return PHASE_OOM;
}
