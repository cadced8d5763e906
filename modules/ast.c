/* ast — node kind names, spans and the debug dump (ast.h).
 *
 * Nothing here allocates but ast_all_spans (its result and, briefly, its
 * work arrays, in the arena it is given).  Spans are computed from tokens:
 * the first and last token a node's own fields reach, widened until
 * parentheses and braces balance (grouping parentheses, a call's `)`, a
 * match's `}` have no node or field of their own).  The walks recurse along the tree; the parser bounds
 * its depth (E0111), so the recursion is bounded too.
 */
#include "modules/ast.h"
#include "modules/lex.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
#define AST_NAME_(name, desc) #name,
    AST_NODE_KINDS(AST_NAME_)
#undef AST_NAME_
};

const char *ast_kind_name(AstKind k)
{
    return (unsigned)k < AST__COUNT ? kind_names[k] : "?";
}

uint32_t ast_token_end(const Ast *ast, uint32_t tok)
{
    return lex_token_end(ast->src, ast->src_len, (TokKind)ast->tok_kind[tok], ast->tok_start[tok]);
}

/* ---- spans ------------------------------------------------------------------ */

static uint32_t list_last(const Ast *ast, uint32_t list)
{
    return ast_list_at(ast, list, ast_list_len(ast, list) - 1);
}

static uint32_t path_tokens(const Ast *ast, uint32_t path)
{
    return 2 * (ast_list_len(ast, path) - 1);
}

/* The first and last token a node's own fields reach.  `memo`, when not
 * NULL, holds the value already computed for some nodes (AST_NONE where
 * not); ast_node_span passes NULL and walks.  own_range (below) restates
 * these rules for ast_all_spans: keep the two in step. */
/* Both follow the node's first (last) child down while it decides, in a
 * loop: an operator chain or a let chain of any length takes constant C
 * stack (LANGUAGE.md section 6, "Length is not nesting"). */
static uint32_t first_tok(const Ast *ast, const uint32_t *memo, uint32_t n)
{
    for (;;) {
        uint32_t c;
        switch ((AstKind)ast->kind[n]) {
        case AST_DECL_FN: case AST_DECL_LET: case AST_DECL_TYPE:
            return ast->tok[n] - 1;                     /* the keyword */
        case AST_EXPR_CALL: case AST_MATCH_ARM:
        case AST_EXPR_OR: case AST_EXPR_AND: case AST_EXPR_EQ: case AST_EXPR_NE:
        case AST_EXPR_LT: case AST_EXPR_LE: case AST_EXPR_GT: case AST_EXPR_GE:
        case AST_EXPR_CONCAT: case AST_EXPR_ADD: case AST_EXPR_SUB:
        case AST_EXPR_MUL: case AST_EXPR_DIV: case AST_EXPR_MOD:
            c = ast->a[n];
            break;
        case AST_PAT_CTOR: case AST_TYPE_NAME:
            return ast->tok[n] - path_tokens(ast, ast->a[n]);
        case AST_TYPE_FN:
            if (ast_list_len(ast, ast->a[n]) == 0) return ast->tok[n] - 2;   /* `(` `)` `->` */
            c = ast_list_at(ast, ast->a[n], 0);
            break;
        default:
            return ast->tok[n];
        }
        if (memo && memo[c] != AST_NONE) return memo[c];
        n = c;
    }
}

static uint32_t last_tok(const Ast *ast, const uint32_t *memo, uint32_t n)
{
    for (;;) {
        uint32_t t = ast->tok[n], a = ast->a[n], b = ast->b[n], c;
        switch ((AstKind)ast->kind[n]) {
        case AST_IMPORT: {
            uint32_t e = b;
            t = ast->extra[e + 1] != AST_NONE ? ast->extra[e + 1] : t + 1 + path_tokens(ast, a);
            if (ast->extra[e + 2] != AST_NONE)
                while (t + 1 < ast->tok_count && ast->tok_kind[t] != TK_RPAREN) t++;
            return t;
        }
        case AST_EXPOSE_TYPE_ALL: return t + 1;
        case AST_DECL_FN: c = ast->extra[b + 2]; break;
        case AST_DECL_LET: c = ast->extra[b + 1]; break;
        case AST_DECL_TYPE: c = list_last(ast, ast->extra[b + 1]); break;
        case AST_CTOR_DEF: case AST_PAT_CTOR: case AST_TYPE_NAME:
            if (b == AST_NONE || ast_list_len(ast, b) == 0) return t;
            c = list_last(ast, b);
            break;
        case AST_PARAM:
            if (b == AST_NONE) return t;
            c = b;
            break;
        case AST_EXPR_QUALIFIED: return t + path_tokens(ast, a);
        case AST_EXPR_TUPLE: case AST_PAT_TUPLE: case AST_TYPE_TUPLE:
            c = list_last(ast, a);
            break;
        case AST_EXPR_CALL: case AST_EXPR_MATCH:
            if (ast_list_len(ast, b) == 0) return t;
            c = list_last(ast, b);
            break;
        case AST_EXPR_OR: case AST_EXPR_AND: case AST_EXPR_EQ: case AST_EXPR_NE:
        case AST_EXPR_LT: case AST_EXPR_LE: case AST_EXPR_GT: case AST_EXPR_GE:
        case AST_EXPR_CONCAT: case AST_EXPR_ADD: case AST_EXPR_SUB:
        case AST_EXPR_MUL: case AST_EXPR_DIV: case AST_EXPR_MOD:
        case AST_EXPR_LAMBDA: case AST_EXPR_LET: case AST_MATCH_ARM: case AST_TYPE_FN:
            c = b;
            break;
        case AST_EXPR_NEG: case AST_EXPR_NOT: c = a; break;
        case AST_EXPR_IF: c = ast->extra[b + 1]; break;
        case AST_PAT_INT: return ast->tok_kind[t] == TK_MINUS ? t + 1 : t;
        default: return t;
        }
        if (memo && memo[c] != AST_NONE) return memo[c];
        n = c;
    }
}

static bool is_open(uint8_t k) { return k == TK_LPAREN || k == TK_LBRACE; }
static bool is_close(uint8_t k) { return k == TK_RPAREN || k == TK_RBRACE; }

void ast_node_span(const Ast *ast, uint32_t node, uint32_t *start, uint32_t *end)
{
    uint32_t f = first_tok(ast, NULL, node), l = last_tok(ast, NULL, node);
    if (l < f) l = f;
    int64_t d = 0, mind = 0;
    for (uint32_t i = f; i <= l; i++) {
        if (is_open(ast->tok_kind[i])) d++;
        else if (is_close(ast->tok_kind[i])) d--;
        if (d < mind) mind = d;
    }
    for (int64_t need = -mind; need > 0 && f > 0;) {
        f--;
        if (is_open(ast->tok_kind[f])) need--;
        else if (is_close(ast->tok_kind[f])) need++;
    }
    for (int64_t need = d - mind; need > 0 && l + 1 < ast->tok_count;) {
        l++;
        if (is_open(ast->tok_kind[l])) need++;
        else if (is_close(ast->tok_kind[l])) need--;
    }
    *start = ast->tok_start[f];
    *end = ast_token_end(ast, l);
}

/* first_tok and last_tok of node n in one dispatch, for ast_all_spans: the
 * same rules (keep the two in step), reading the children's values from F
 * and L (done first, as children come before their parent; any that is not
 * is computed by the walk).  Test builds compare every span canonicalize
 * uses with ast_node_span, so a rule changed in one place only fails there. */
#define SPAN_F(c) ((c) < n && F[c] != AST_NONE ? F[c] : first_tok(ast, F, (c)))
#define SPAN_L(c) ((c) < n && L[c] != AST_NONE ? L[c] : last_tok(ast, L, (c)))
static inline void own_range(const Ast *ast, const uint32_t *F, const uint32_t *L, uint32_t n,
                             uint32_t *fo, uint32_t *lo)
{
    uint32_t t = ast->tok[n], a = ast->a[n], b = ast->b[n], f = t, l = t;
    switch ((AstKind)ast->kind[n]) {
    case AST_IMPORT:
        l = last_tok(ast, NULL, n);
        break;
    case AST_EXPOSE_TYPE_ALL: l = t + 1; break;
    case AST_DECL_FN: f = t - 1; l = SPAN_L(ast->extra[b + 2]); break;
    case AST_DECL_LET: f = t - 1; l = SPAN_L(ast->extra[b + 1]); break;
    case AST_DECL_TYPE: f = t - 1; l = SPAN_L(list_last(ast, ast->extra[b + 1])); break;
    case AST_PAT_CTOR: case AST_TYPE_NAME:
        f = t - path_tokens(ast, a);
        /* fall through */
    case AST_CTOR_DEF:
        if (b != AST_NONE && ast_list_len(ast, b) != 0) l = SPAN_L(list_last(ast, b));
        break;
    case AST_PARAM: if (b != AST_NONE) l = SPAN_L(b); break;
    case AST_EXPR_QUALIFIED: l = t + path_tokens(ast, a); break;
    case AST_EXPR_TUPLE: case AST_PAT_TUPLE: case AST_TYPE_TUPLE:
        l = SPAN_L(list_last(ast, a));
        break;
    case AST_EXPR_CALL:
        f = SPAN_F(a);
        /* fall through */
    case AST_EXPR_MATCH:
        if (ast_list_len(ast, b) != 0) l = SPAN_L(list_last(ast, b));
        break;
    case AST_EXPR_OR: case AST_EXPR_AND: case AST_EXPR_EQ: case AST_EXPR_NE:
    case AST_EXPR_LT: case AST_EXPR_LE: case AST_EXPR_GT: case AST_EXPR_GE:
    case AST_EXPR_CONCAT: case AST_EXPR_ADD: case AST_EXPR_SUB:
    case AST_EXPR_MUL: case AST_EXPR_DIV: case AST_EXPR_MOD: case AST_MATCH_ARM:
        f = SPAN_F(a);
        l = SPAN_L(b);
        break;
    case AST_EXPR_LAMBDA: case AST_EXPR_LET: l = SPAN_L(b); break;
    case AST_TYPE_FN:
        f = ast_list_len(ast, a) == 0 ? t - 2 : SPAN_F(ast_list_at(ast, a, 0));
        l = SPAN_L(b);
        break;
    case AST_EXPR_NEG: case AST_EXPR_NOT: l = SPAN_L(a); break;
    case AST_EXPR_IF: l = SPAN_L(ast->extra[b + 1]); break;
    case AST_PAT_INT: if (ast->tok_kind[t] == TK_MINUS) l = t + 1; break;
    default: break;
    }
    *fo = f;
    *lo = l;
}
#undef SPAN_F
#undef SPAN_L

/* All spans at once.  The widening of ast_node_span, restated so that it
 * needs no walk: pair every bracket with its partner by one stack pass over
 * the tokens (`(` and `{` alike, as above), giving an unpaired closer token 0
 * and an unpaired opener the last token — exactly where the walks of
 * ast_node_span stop.  Then the widened range of [f, l] is
 *   [min(f, partners of the closers in it), max(l, partners of the openers in it)]:
 * a closer paired inside the range has its partner inside too and changes
 * nothing, and among the unbalanced ones the outermost has the partner
 * farthest out, which is where the walk stops.  Those minima and maxima
 * (lo, hi) are computed children first (the parser appends a node after its
 * children): scanning a node's range, a stretch that is the range of a node
 * already done — the last one done that starts at that token, `cover` — is
 * taken from that node's lo and hi instead of being scanned again.  Any
 * such node will do, related or not: its lo and hi are exact for its own
 * range, and it is used only when that range lies inside what remains to
 * be scanned, so the result never depends on the tree's shape. */
bool ast_all_spans(const Ast *ast, Arena *arena, uint32_t **start_out, uint32_t **end_out)
{
    uint32_t nn = ast->node_count, nt = ast->tok_count;
    uint32_t *F = ARENA_ARRAY(arena, uint32_t, nn ? nn : 1);
    uint32_t *L = ARENA_ARRAY(arena, uint32_t, nn ? nn : 1);
    if (!F || !L) return false;
    ArenaMark mark = arena_mark(arena);
    uint32_t *partner = ARENA_ARRAY(arena, uint32_t, nt ? nt : 1);
    uint32_t *cover = ARENA_ARRAY(arena, uint32_t, nt ? nt : 1);
    uint32_t *lo = ARENA_ARRAY(arena, uint32_t, nn ? nn : 1);
    uint32_t *hi = ARENA_ARRAY(arena, uint32_t, nn ? nn : 1);
    if (!partner || !cover || !lo || !hi) {
        arena_rewind(arena, mark);
        return false;
    }
    const uint8_t *tk = ast->tok_kind;

    /* Bracket partners; `cover` (not in use yet) is the stack of openers. */
    uint32_t sp = 0;
    for (uint32_t t = 0; t < nt; t++) {
        if (is_open(tk[t])) {
            cover[sp++] = t;
        } else if (is_close(tk[t])) {
            if (sp) {
                uint32_t o = cover[--sp];
                partner[o] = t;
                partner[t] = o;
            } else {
                partner[t] = 0;
            }
        }
    }
    while (sp) partner[cover[--sp]] = nt - 1;
    for (uint32_t t = 0; t < nt; t++) cover[t] = AST_NONE;

    for (uint32_t n = 0; n < nn; n++) F[n] = L[n] = AST_NONE;
    for (uint32_t n = 0; n < nn; n++) {
        uint32_t f, l;
        own_range(ast, F, L, n, &f, &l);
        F[n] = f;
        L[n] = l;
        if (l < f) l = f;
        if (l >= nt) {                      /* not a parser-made node: walk later */
            hi[n] = UINT32_MAX;
            continue;
        }
        uint32_t min = UINT32_MAX, max = 0;
        for (uint32_t t = f; t <= l;) {
            uint32_t c = cover[t];
            if (c != AST_NONE) {
                uint32_t cl = L[c] < F[c] ? F[c] : L[c];
                if (cl <= l) {
                    if (lo[c] < min) min = lo[c];
                    if (hi[c] > max) max = hi[c];
                    t = cl + 1;
                    continue;
                }
            }
            if (is_close(tk[t])) {
                if (partner[t] < min) min = partner[t];
            } else if (is_open(tk[t])) {
                if (partner[t] > max) max = partner[t];
            }
            t++;
        }
        lo[n] = min;
        hi[n] = max;
        cover[f] = n;
    }

    for (uint32_t n = 0; n < nn; n++) {
        if (hi[n] == UINT32_MAX) {
            uint32_t s, e;
            ast_node_span(ast, n, &s, &e);
            F[n] = s;
            L[n] = e;
            continue;
        }
        uint32_t f = F[n], l = L[n] < f ? f : L[n];
        if (lo[n] < f) f = lo[n];
        if (hi[n] > l) l = hi[n];
        F[n] = ast->tok_start[f];
        uint8_t k = ast->tok_kind[l];
        if (k == TK_LOWER || k == TK_UPPER)      /* the usual last tokens, cheaply */
            L[n] = lex_ident_end(ast->src, ast->src_len, ast->tok_start[l]);
        else if (k == TK_RPAREN || k == TK_RBRACE)
            L[n] = ast->tok_start[l] + 1;
        else
            L[n] = ast_token_end(ast, l);
    }
    arena_rewind(arena, mark);
    *start_out = F;
    *end_out = L;
    return true;
}

/* ---- dump ------------------------------------------------------------------- */

typedef struct DumpAct DumpAct;
typedef struct Dumper {
    FILE *out;
    const Ast *ast;
    DumpAct *acts;      /* the explicit stack (see act) */
    size_t n, cap;
    bool failed;        /* it could not grow */
} Dumper;

static void open_line(Dumper *d, int ind, const char *label)
{
    fprintf(d->out, "\n%*s(%s", ind, "", label);
}

static void put_name(Dumper *d, uint32_t id)
{
    if (id == AST_NONE) fputs(" _", d->out);
    else fprintf(d->out, " %s", intern_str(&d->ast->names, id));
}

static void put_path(Dumper *d, uint32_t path)
{
    for (uint32_t i = 0; i < ast_list_len(d->ast, path); i++)
        fprintf(d->out, "%s%s", i ? "." : " ", intern_str(&d->ast->names, ast_list_at(d->ast, path, i)));
}

static void put_string(Dumper *d, uint32_t off, uint32_t len)
{
    fputs(" \"", d->out);
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)d->ast->strings[off + i];
        switch (c) {
        case '\n': fputs("\\n", d->out); break;
        case '\t': fputs("\\t", d->out); break;
        case '\r': fputs("\\r", d->out); break;
        case '\\': fputs("\\\\", d->out); break;
        case '"': fputs("\\\"", d->out); break;
        case 0: fputs("\\0", d->out); break;
        default:
            if (c < 0x20 || c == 0x7F) fprintf(d->out, "\\x%02X", c);
            else fputc(c, d->out);
        }
    }
    fputc('"', d->out);
}

/* The dump's explicit stack: what is still to print, last first.  Length
 * is not nesting (LANGUAGE.md section 6): a chain of any length is dumped
 * without recursion (the output, indented by depth, is still quadratic in
 * the length of a chain). */
enum { ACT_NODE, ACT_TEXT, ACT_GROUP, ACT_WRAPPED, ACT_ITEMS };
typedef struct DumpAct { uint8_t what; const char *text; uint32_t x; int ind; } DumpAct;

static void act(Dumper *d, uint8_t what, const char *text, uint32_t x, int ind)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        DumpAct *a = realloc(d->acts, cap * sizeof *a);
        if (!a) {
            d->failed = true;
            return;
        }
        d->acts = a;
        d->cap = cap;
    }
    d->acts[d->n++] = (DumpAct){ what, text, x, ind };
}

/* Opens node n's line and its fields that come before any child, and
 * pushes the rest (children and the closing parenthesis), last first. */
static void dump_node(Dumper *d, uint32_t n, int ind)
{
    const Ast *ast = d->ast;
    AstKind k = (AstKind)ast->kind[n];
    uint32_t a = ast->a[n], b = ast->b[n];
    int c = ind + 2;
    open_line(d, ind, ast_kind_name(k));
    act(d, ACT_TEXT, ")", 0, 0);
    switch (k) {
    case AST_IMPORT:
        put_path(d, a);
        if (ast->extra[b] != AST_NONE) {
            fputs(" as", d->out);
            put_name(d, ast->extra[b]);
        }
        if (ast->extra[b + 3]) act(d, ACT_TEXT, " broken", 0, 0);
        if (ast->extra[b + 2] != AST_NONE) act(d, ACT_GROUP, "exposing", ast->extra[b + 2], c);
        break;
    case AST_EXPOSE_VALUE: case AST_EXPOSE_TYPE: case AST_EXPOSE_TYPE_ALL:
    case AST_EXPR_NAME: case AST_EXPR_CTOR: case AST_PAT_BIND: case AST_TYPE_VAR:
        put_name(d, a);
        break;
    case AST_DECL_FN:
        put_name(d, a);
        act(d, ACT_NODE, NULL, ast->extra[b + 2], c);
        act(d, ACT_WRAPPED, "returns", ast->extra[b + 1], c);
        act(d, ACT_GROUP, "params", ast->extra[b], c);
        break;
    case AST_DECL_LET:
        put_name(d, a);
        act(d, ACT_NODE, NULL, ast->extra[b + 1], c);
        act(d, ACT_WRAPPED, "annot", ast->extra[b], c);
        break;
    case AST_DECL_TYPE:
        put_name(d, a);
        act(d, ACT_ITEMS, NULL, ast->extra[b + 1], c);
        act(d, ACT_GROUP, "params", ast->extra[b], c);
        break;
    case AST_DECL_BROKEN: {
        static const char *const what[] = { "fn", "let", "type", "unknown" };
        fprintf(d->out, " %s", b < 4 ? what[b] : "?");
        if (a != AST_NONE) put_name(d, a);
        break;
    }
    case AST_CTOR_DEF:
        put_name(d, a);
        act(d, ACT_ITEMS, NULL, b, c);
        break;
    case AST_PARAM:
        put_name(d, a);
        if (b != AST_NONE) act(d, ACT_NODE, NULL, b, c);
        break;
    case AST_EXPR_INT: case AST_PAT_INT:
        fprintf(d->out, " %lld", (long long)ast_int_value(ast, n));
        break;
    case AST_EXPR_STR: case AST_PAT_STR:
        put_string(d, a, b);
        break;
    case AST_EXPR_QUALIFIED:
        put_path(d, a);
        break;
    case AST_PAT_CTOR: case AST_TYPE_NAME:
        put_path(d, a);
        act(d, ACT_ITEMS, NULL, b, c);
        break;
    case AST_EXPR_TUPLE: case AST_PAT_TUPLE: case AST_TYPE_TUPLE:
        act(d, ACT_ITEMS, NULL, a, c);
        break;
    case AST_EXPR_CALL: case AST_EXPR_MATCH:
        act(d, ACT_ITEMS, NULL, b, c);
        act(d, ACT_NODE, NULL, a, c);
        break;
    case AST_EXPR_OR: case AST_EXPR_AND: case AST_EXPR_EQ: case AST_EXPR_NE:
    case AST_EXPR_LT: case AST_EXPR_LE: case AST_EXPR_GT: case AST_EXPR_GE:
    case AST_EXPR_CONCAT: case AST_EXPR_ADD: case AST_EXPR_SUB:
    case AST_EXPR_MUL: case AST_EXPR_DIV: case AST_EXPR_MOD: case AST_MATCH_ARM:
        act(d, ACT_NODE, NULL, b, c);
        act(d, ACT_NODE, NULL, a, c);
        break;
    case AST_EXPR_NEG: case AST_EXPR_NOT:
        act(d, ACT_NODE, NULL, a, c);
        break;
    case AST_EXPR_LAMBDA: case AST_TYPE_FN:
        act(d, ACT_NODE, NULL, b, c);
        act(d, ACT_GROUP, "params", a, c);
        break;
    case AST_EXPR_IF:
        act(d, ACT_NODE, NULL, ast->extra[b + 1], c);
        act(d, ACT_NODE, NULL, ast->extra[b], c);
        act(d, ACT_NODE, NULL, a, c);
        break;
    case AST_EXPR_LET:
        put_name(d, ast->extra[a]);
        act(d, ACT_NODE, NULL, b, c);
        act(d, ACT_NODE, NULL, ast->extra[a + 3], c);
        act(d, ACT_WRAPPED, "annot", ast->extra[a + 2], c);
        break;
    default:
        break;
    }
}

static void push_items(Dumper *d, uint32_t list, int ind)
{
    for (uint32_t i = ast_list_len(d->ast, list); i-- > 0;)
        act(d, ACT_NODE, NULL, ast_list_at(d->ast, list, i), ind);
}

/* Prints what is on the stack until it is empty. */
static void dump_run(Dumper *d)
{
    while (d->n && !d->failed) {
        DumpAct x = d->acts[--d->n];
        switch (x.what) {
        case ACT_NODE: dump_node(d, x.x, x.ind); break;
        case ACT_TEXT: fputs(x.text, d->out); break;
        case ACT_ITEMS: push_items(d, x.x, x.ind); break;
        case ACT_GROUP:
            open_line(d, x.ind, x.text);
            act(d, ACT_TEXT, ")", 0, 0);
            push_items(d, x.x, x.ind + 2);
            break;
        default:   /* ACT_WRAPPED */
            if (x.x == AST_NONE) break;
            open_line(d, x.ind, x.text);
            act(d, ACT_TEXT, ")", 0, 0);
            act(d, ACT_NODE, NULL, x.x, x.ind + 2);
            break;
        }
    }
    if (d->failed) fputs("<out of memory>", d->out);
}

void ast_dump(FILE *out, const Ast *ast)
{
    Dumper d = { out, ast, NULL, 0, 0, false };
    fputs("(module", out);
    if (ast->module_path != AST_NONE) put_path(&d, ast->module_path);
    if (ast->header_broken) fputs(" broken", out);
    act(&d, ACT_TEXT, ")\n", 0, 0);
    act(&d, ACT_ITEMS, NULL, ast->decls, 2);
    act(&d, ACT_ITEMS, NULL, ast->imports, 2);
    if (ast->exposing != AST_NONE) act(&d, ACT_GROUP, "exposing", ast->exposing, 2);
    dump_run(&d);
    free(d.acts);
}
