/* ast — node kind names, spans and the debug dump (ast.h).
 *
 * Nothing here allocates.  Spans are computed from tokens: the first and
 * last token a node's own fields reach, widened until parentheses and braces
 * balance (grouping parentheses, a call's `)`, a match's `}` have no node or
 * field of their own).  The walks recurse along the tree; the parser bounds
 * its depth (E0111), so the recursion is bounded too.
 */
#include "modules/ast.h"
#include "modules/lex.h"

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

static uint32_t first_tok(const Ast *ast, uint32_t n)
{
    switch ((AstKind)ast->kind[n]) {
    case AST_DECL_FN: case AST_DECL_LET: case AST_DECL_TYPE:
        return ast->tok[n] - 1;                     /* the keyword */
    case AST_EXPR_CALL: case AST_MATCH_ARM:
    case AST_EXPR_OR: case AST_EXPR_AND: case AST_EXPR_EQ: case AST_EXPR_NE:
    case AST_EXPR_LT: case AST_EXPR_LE: case AST_EXPR_GT: case AST_EXPR_GE:
    case AST_EXPR_CONCAT: case AST_EXPR_ADD: case AST_EXPR_SUB:
    case AST_EXPR_MUL: case AST_EXPR_DIV: case AST_EXPR_MOD:
        return first_tok(ast, ast->a[n]);
    case AST_PAT_CTOR: case AST_TYPE_NAME:
        return ast->tok[n] - path_tokens(ast, ast->a[n]);
    case AST_TYPE_FN:
        if (ast_list_len(ast, ast->a[n]) == 0) return ast->tok[n] - 2;   /* `(` `)` `->` */
        return first_tok(ast, ast_list_at(ast, ast->a[n], 0));
    default:
        return ast->tok[n];
    }
}

static uint32_t last_tok(const Ast *ast, uint32_t n)
{
    uint32_t t = ast->tok[n], a = ast->a[n], b = ast->b[n];
    switch ((AstKind)ast->kind[n]) {
    case AST_IMPORT: {
        uint32_t e = b;
        t = ast->extra[e + 1] != AST_NONE ? ast->extra[e + 1] : t + 1 + path_tokens(ast, a);
        if (ast->extra[e + 2] != AST_NONE)
            while (t + 1 < ast->tok_count && ast->tok_kind[t] != TK_RPAREN) t++;
        return t;
    }
    case AST_EXPOSE_TYPE_ALL: return t + 1;
    case AST_DECL_FN: return last_tok(ast, ast->extra[b + 2]);
    case AST_DECL_LET: return last_tok(ast, ast->extra[b + 1]);
    case AST_DECL_TYPE: return last_tok(ast, list_last(ast, ast->extra[b + 1]));
    case AST_CTOR_DEF: case AST_PAT_CTOR: case AST_TYPE_NAME:
        return b == AST_NONE || ast_list_len(ast, b) == 0 ? t : last_tok(ast, list_last(ast, b));
    case AST_PARAM: return b == AST_NONE ? t : last_tok(ast, b);
    case AST_EXPR_QUALIFIED: return t + path_tokens(ast, a);
    case AST_EXPR_TUPLE: case AST_PAT_TUPLE: case AST_TYPE_TUPLE:
        return last_tok(ast, list_last(ast, a));
    case AST_EXPR_CALL: case AST_EXPR_MATCH:
        return ast_list_len(ast, b) == 0 ? t : last_tok(ast, list_last(ast, b));
    case AST_EXPR_OR: case AST_EXPR_AND: case AST_EXPR_EQ: case AST_EXPR_NE:
    case AST_EXPR_LT: case AST_EXPR_LE: case AST_EXPR_GT: case AST_EXPR_GE:
    case AST_EXPR_CONCAT: case AST_EXPR_ADD: case AST_EXPR_SUB:
    case AST_EXPR_MUL: case AST_EXPR_DIV: case AST_EXPR_MOD:
    case AST_EXPR_LAMBDA: case AST_EXPR_LET: case AST_MATCH_ARM: case AST_TYPE_FN:
        return last_tok(ast, b);
    case AST_EXPR_NEG: case AST_EXPR_NOT:
        return last_tok(ast, a);
    case AST_EXPR_IF: return last_tok(ast, ast->extra[b + 1]);
    case AST_PAT_INT: return ast->tok_kind[t] == TK_MINUS ? t + 1 : t;
    default: return t;
    }
}

static bool is_open(uint8_t k) { return k == TK_LPAREN || k == TK_LBRACE; }
static bool is_close(uint8_t k) { return k == TK_RPAREN || k == TK_RBRACE; }

void ast_node_span(const Ast *ast, uint32_t node, uint32_t *start, uint32_t *end)
{
    uint32_t f = first_tok(ast, node), l = last_tok(ast, node);
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

/* ---- dump ------------------------------------------------------------------- */

typedef struct Dumper {
    FILE *out;
    const Ast *ast;
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

static void dump_node(Dumper *d, uint32_t n, int ind);

static void dump_items(Dumper *d, uint32_t list, int ind)
{
    for (uint32_t i = 0; i < ast_list_len(d->ast, list); i++)
        dump_node(d, ast_list_at(d->ast, list, i), ind);
}

static void dump_group(Dumper *d, const char *label, uint32_t list, int ind)
{
    open_line(d, ind, label);
    dump_items(d, list, ind + 2);
    fputc(')', d->out);
}

static void dump_wrapped(Dumper *d, const char *label, uint32_t node, int ind)
{
    if (node == AST_NONE) return;
    open_line(d, ind, label);
    dump_node(d, node, ind + 2);
    fputc(')', d->out);
}

static void dump_node(Dumper *d, uint32_t n, int ind)
{
    const Ast *ast = d->ast;
    AstKind k = (AstKind)ast->kind[n];
    uint32_t a = ast->a[n], b = ast->b[n];
    int c = ind + 2;
    open_line(d, ind, ast_kind_name(k));
    switch (k) {
    case AST_IMPORT:
        put_path(d, a);
        if (ast->extra[b] != AST_NONE) {
            fputs(" as", d->out);
            put_name(d, ast->extra[b]);
        }
        if (ast->extra[b + 2] != AST_NONE) dump_group(d, "exposing", ast->extra[b + 2], c);
        break;
    case AST_EXPOSE_VALUE: case AST_EXPOSE_TYPE: case AST_EXPOSE_TYPE_ALL:
    case AST_EXPR_NAME: case AST_EXPR_CTOR: case AST_PAT_BIND: case AST_TYPE_VAR:
        put_name(d, a);
        break;
    case AST_DECL_FN:
        put_name(d, a);
        dump_group(d, "params", ast->extra[b], c);
        dump_wrapped(d, "returns", ast->extra[b + 1], c);
        dump_node(d, ast->extra[b + 2], c);
        break;
    case AST_DECL_LET:
        put_name(d, a);
        dump_wrapped(d, "annot", ast->extra[b], c);
        dump_node(d, ast->extra[b + 1], c);
        break;
    case AST_DECL_TYPE:
        put_name(d, a);
        dump_group(d, "params", ast->extra[b], c);
        dump_items(d, ast->extra[b + 1], c);
        break;
    case AST_DECL_BROKEN: {
        static const char *const what[] = { "fn", "let", "type", "unknown" };
        fprintf(d->out, " %s", b < 4 ? what[b] : "?");
        if (a != AST_NONE) put_name(d, a);
        break;
    }
    case AST_CTOR_DEF:
        put_name(d, a);
        dump_items(d, b, c);
        break;
    case AST_PARAM:
        put_name(d, a);
        if (b != AST_NONE) dump_node(d, b, c);
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
        dump_items(d, b, c);
        break;
    case AST_EXPR_TUPLE: case AST_PAT_TUPLE: case AST_TYPE_TUPLE:
        dump_items(d, a, c);
        break;
    case AST_EXPR_CALL:
        dump_node(d, a, c);
        dump_items(d, b, c);
        break;
    case AST_EXPR_OR: case AST_EXPR_AND: case AST_EXPR_EQ: case AST_EXPR_NE:
    case AST_EXPR_LT: case AST_EXPR_LE: case AST_EXPR_GT: case AST_EXPR_GE:
    case AST_EXPR_CONCAT: case AST_EXPR_ADD: case AST_EXPR_SUB:
    case AST_EXPR_MUL: case AST_EXPR_DIV: case AST_EXPR_MOD: case AST_MATCH_ARM:
        dump_node(d, a, c);
        dump_node(d, b, c);
        break;
    case AST_EXPR_NEG: case AST_EXPR_NOT:
        dump_node(d, a, c);
        break;
    case AST_EXPR_LAMBDA: case AST_TYPE_FN:
        dump_group(d, "params", a, c);
        dump_node(d, b, c);
        break;
    case AST_EXPR_IF:
        dump_node(d, a, c);
        dump_node(d, ast->extra[b], c);
        dump_node(d, ast->extra[b + 1], c);
        break;
    case AST_EXPR_LET:
        put_name(d, ast->extra[a]);
        dump_wrapped(d, "annot", ast->extra[a + 2], c);
        dump_node(d, ast->extra[a + 3], c);
        dump_node(d, b, c);
        break;
    case AST_EXPR_MATCH:
        dump_node(d, a, c);
        dump_items(d, b, c);
        break;
    default:
        break;
    }
    fputc(')', d->out);
}

void ast_dump(FILE *out, const Ast *ast)
{
    Dumper d = { out, ast };
    fputs("(module", out);
    if (ast->module_path != AST_NONE) put_path(&d, ast->module_path);
    if (ast->exposing != AST_NONE) dump_group(&d, "exposing", ast->exposing, 2);
    dump_items(&d, ast->imports, 2);
    dump_items(&d, ast->decls, 2);
    fputs(")\n", out);
}
