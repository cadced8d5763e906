/* ast — the compact syntax tree of one module.
 *
 * Flat arrays of 32-bit indices, struct-of-arrays: per node a kind (1 byte),
 * a main token and two data words (4 bytes each) = 13 bytes per node, plus a
 * shared `extra` array for lists and for nodes that need more than two words.
 * Everything lives in the module's AST arena (durable until canonicalization
 * is done; then the coordinator resets that arena).  Nothing here is a
 * pointer into another module.
 *
 * Conventions
 *   - AST_NONE (UINT32_MAX) marks an absent optional child / identifier.
 *   - A "list" is an index L into extra: extra[L] = n, extra[L+1 .. L+n] the
 *     items (node indices, or identifier ids where said).  The empty list is
 *     a real list with n = 0; AST_NONE means "no list written at all" (e.g. a
 *     constructor without parentheses).
 *   - A "path" is a list of identifier ids: the segments of a dotted name
 *     (`Geometry.Shapes.area` -> [Geometry, Shapes, area]).  The last segment
 *     is the name itself; the qualifier (if any) is resolved by canonicalize
 *     with the longest-prefix rule.
 *   - Identifiers are ids of the module's intern table `names` (bytes in the
 *     AST arena).
 *   - Node 0 is a dummy (kind AST_INVALID) so that 0 can never be a real child.
 *   - Parenthesized expressions/patterns/types do not get a node of their own.
 *
 * Node kinds — X(name, "description"), with the meaning of tok / a / b:
 */
#ifndef COORD_MODULES_AST_H
#define COORD_MODULES_AST_H

#include "base/arena.h"
#include "base/intern.h"
#include <stdbool.h>
#include <stdint.h>

#define AST_NONE UINT32_MAX

#define AST_NODE_KINDS(X)                                                                 \
    X(INVALID,      "invalid")                                                           \
    /* ---- module header ---- */                                                        \
    /* IMPORT: tok `import`; a = path of the module name; b = extra index E:            \
     *   extra[E] = alias identifier id or AST_NONE, extra[E+1] = alias token or         \
     *   AST_NONE, extra[E+2] = list of EXPOSE_* nodes or AST_NONE (no exposing),        \
     *   extra[E+3] = 1 when the line failed to parse (what parsed before the error:      \
     *   its qualifier and those names are poisoned, the module is not looked up). */     \
    X(IMPORT,       "import")                                                            \
    /* EXPOSE_VALUE `x` / EXPOSE_TYPE `T` / EXPOSE_TYPE_ALL `T(..)`:                      \
     *   tok = the name's token, a = identifier id, b unused. */                         \
    X(EXPOSE_VALUE, "exposed value")                                                     \
    X(EXPOSE_TYPE,  "exposed type")                                                      \
    X(EXPOSE_TYPE_ALL, "exposed type with constructors")                                 \
    /* ---- declarations ---- */                                                         \
    /* DECL_FN: tok = name token; a = identifier id; b = extra index E:                  \
     *   extra[E] = list of PARAM nodes, extra[E+1] = return type node or AST_NONE,      \
     *   extra[E+2] = body expression. */                                                \
    X(DECL_FN,      "fn declaration")                                                    \
    /* DECL_LET: tok = name token; a = identifier id; b = extra index E:                 \
     *   extra[E] = type annotation node or AST_NONE, extra[E+1] = value expression. */  \
    X(DECL_LET,     "let declaration")                                                   \
    /* DECL_TYPE: tok = name token; a = identifier id; b = extra index E:                \
     *   extra[E] = list of TYPE_VAR nodes (parameters, maybe empty),                    \
     *   extra[E+1] = list of CTOR_DEF nodes (at least one). */                          \
    X(DECL_TYPE,    "type declaration")                                                  \
    /* DECL_BROKEN: a declaration that failed to parse.  tok = its first token;          \
     *   a = identifier id of its name if the parser got that far, else AST_NONE;        \
     *   b = 0 for fn, 1 for let, 2 for type, 3 unknown.  Its name is poisoned. */       \
    X(DECL_BROKEN,  "broken declaration")                                                \
    /* CTOR_DEF: tok = name token; a = identifier id; b = list of payload type           \
     *   nodes, or AST_NONE when written without parentheses. */                         \
    X(CTOR_DEF,     "constructor definition")                                            \
    /* PARAM: tok = name token (or `_` token); a = identifier id or AST_NONE for `_`;    \
     *   b = type annotation node or AST_NONE. */                                        \
    X(PARAM,        "parameter")                                                         \
    /* ---- expressions ---- */                                                          \
    /* EXPR_INT: tok = literal; a = low 32 bits, b = high 32 bits of the value           \
     *   (as uint64; always fits int64 — E0104 otherwise, and then value 0). */          \
    X(EXPR_INT,     "integer")                                                           \
    /* EXPR_STR: tok = literal; a = offset into `strings` of the unescaped bytes,        \
     *   b = their length. */                                                            \
    X(EXPR_STR,     "string")                                                            \
    X(EXPR_TRUE,    "true")                                                              \
    X(EXPR_FALSE,   "false")                                                             \
    X(EXPR_UNIT,    "unit")                   /* tok = `(` */                            \
    /* EXPR_NAME: lower identifier `x`; tok = it; a = identifier id. */                  \
    X(EXPR_NAME,    "name")                                                              \
    /* EXPR_CTOR: unqualified constructor `Foo`; tok = it; a = identifier id. */         \
    X(EXPR_CTOR,    "constructor")                                                       \
    /* EXPR_QUALIFIED: `A.B.x` or `A.B.Ctor`; tok = first segment; a = path              \
     *   (>= 2 segments).  The last segment is lower (value) or upper (ctor). */         \
    X(EXPR_QUALIFIED, "qualified name")                                                  \
    /* EXPR_TUPLE: tok = `(`; a = list of >= 2 element expressions. */                   \
    X(EXPR_TUPLE,   "tuple")                                                             \
    /* EXPR_CALL: tok = `(` of the argument list; a = callee; b = list of args. */       \
    X(EXPR_CALL,    "call")                                                              \
    /* Binary operators: tok = the operator token; a = left, b = right. */               \
    X(EXPR_OR,      "||") X(EXPR_AND, "&&")                                              \
    X(EXPR_EQ,      "==") X(EXPR_NE,  "!=")                                              \
    X(EXPR_LT,      "<")  X(EXPR_LE,  "<=") X(EXPR_GT, ">") X(EXPR_GE, ">=")             \
    X(EXPR_CONCAT,  "++")                                                                \
    X(EXPR_ADD,     "+")  X(EXPR_SUB, "-")                                               \
    X(EXPR_MUL,     "*")  X(EXPR_DIV, "/")  X(EXPR_MOD, "%")                             \
    /* Unary: tok = operator; a = operand. */                                            \
    X(EXPR_NEG,     "unary -") X(EXPR_NOT, "!")                                          \
    /* EXPR_LAMBDA: tok = `fn`; a = list of PARAM nodes; b = body. */                    \
    X(EXPR_LAMBDA,  "lambda")                                                            \
    /* EXPR_IF: tok = `if`; a = condition; b = extra index E: extra[E] = then,           \
     *   extra[E+1] = else. */                                                           \
    X(EXPR_IF,      "if")                                                                \
    /* EXPR_LET: tok = `let`; a = extra index E: extra[E] = identifier id of the         \
     *   bound name, extra[E+1] = its token, extra[E+2] = annotation or AST_NONE,        \
     *   extra[E+3] = value; b = body (after `in`). */                                   \
    X(EXPR_LET,     "let")                                                               \
    /* EXPR_MATCH: tok = `match`; a = scrutinee; b = list of MATCH_ARM nodes. */         \
    X(EXPR_MATCH,   "match")                                                             \
    /* MATCH_ARM: tok = `->`; a = pattern; b = body. */                                  \
    X(MATCH_ARM,    "match arm")                                                         \
    /* ---- patterns ---- */                                                             \
    X(PAT_WILD,     "wildcard pattern")       /* tok = `_` */                            \
    X(PAT_BIND,     "binding pattern")        /* a = identifier id */                    \
    /* PAT_INT: tok = first token (`-` or literal); a/b = low/high 32 bits of the        \
     *   int64 value, already negated for `-`. */                                        \
    X(PAT_INT,      "integer pattern")                                                   \
    X(PAT_STR,      "string pattern")         /* a/b as EXPR_STR */                      \
    X(PAT_TRUE,     "true pattern")                                                      \
    X(PAT_FALSE,    "false pattern")                                                     \
    X(PAT_UNIT,     "unit pattern")                                                      \
    /* PAT_CTOR: tok = the constructor's (last segment's) token; a = path (1 segment     \
     *   when unqualified); b = list of sub-patterns, or AST_NONE without parens. */     \
    X(PAT_CTOR,     "constructor pattern")                                               \
    X(PAT_TUPLE,    "tuple pattern")          /* a = list of >= 2 patterns */            \
    /* ---- types ---- */                                                                \
    /* TYPE_NAME: `Int`, `Option(a)`, `M.Shape`; tok = last segment's token;             \
     *   a = path; b = list of argument types or AST_NONE without parens. */             \
    X(TYPE_NAME,    "named type")                                                        \
    X(TYPE_VAR,     "type variable")          /* a = identifier id */                    \
    X(TYPE_UNIT,    "unit type")                                                         \
    X(TYPE_TUPLE,   "tuple type")             /* a = list of >= 2 types */               \
    /* TYPE_FN: tok = `->`; a = list of parameter types (0, 1 or more: `() -> C`,        \
     *   `A -> B`, `(A, B) -> C`, `((A, B)) -> C` has one TYPE_TUPLE parameter);         \
     *   b = result type. */                                                             \
    X(TYPE_FN,      "function type")

typedef enum {
#define AST_ENUM_(name, desc) AST_##name,
    AST_NODE_KINDS(AST_ENUM_)
#undef AST_ENUM_
    AST__COUNT
} AstKind;

const char *ast_kind_name(AstKind k);   /* "EXPR_CALL" */

typedef struct Ast {
    /* Tokens (from the tokenizer, kept for spans): kind and start offset. */
    const uint8_t  *tok_kind;
    const uint32_t *tok_start;
    uint32_t        tok_count;

    /* Nodes. */
    const uint8_t  *kind;
    const uint32_t *tok;
    const uint32_t *a;
    const uint32_t *b;
    uint32_t        node_count;

    const uint32_t *extra;
    uint32_t        extra_count;

    const char     *strings;       /* unescaped string literal bytes */
    uint32_t        strings_len;

    InternTable     names;         /* identifiers; bytes in the AST arena */

    /* Header. */
    bool            has_header;    /* false: E0112 was reported */
    bool            skipped_text;  /* text was skipped after a syntax error (a
                                    * DECL_BROKEN, a broken import line or
                                    * header): it may have used any import */
    bool            header_broken; /* the header failed after its module name
                                    * (E0110): no exposing list, the module's
                                    * names are poisoned for its importers */
    uint32_t        module_path;   /* path (list) of the declared module name, or AST_NONE */
    uint32_t        module_tok;    /* first token of the module name */
    uint32_t        exposing;      /* list of EXPOSE_* nodes, or AST_NONE */
    uint32_t        imports;       /* list of IMPORT nodes */
    uint32_t        decls;         /* list of DECL_* nodes, in source order */

    const char     *src;           /* the source bytes (owned by the module) */
    uint32_t        src_len;
} Ast;

/* Lists. */
static inline uint32_t ast_list_len(const Ast *ast, uint32_t list)
{
    return list == AST_NONE ? 0 : ast->extra[list];
}
static inline uint32_t ast_list_at(const Ast *ast, uint32_t list, uint32_t i)
{
    return ast->extra[list + 1 + i];
}

static inline int64_t ast_int_value(const Ast *ast, uint32_t node)
{
    return (int64_t)(((uint64_t)ast->b[node] << 32) | ast->a[node]);
}

/* Spans (byte offsets into src, [start, end)): */
uint32_t ast_token_end(const Ast *ast, uint32_t tok);      /* re-lexes the token */
void     ast_node_span(const Ast *ast, uint32_t node, uint32_t *start, uint32_t *end);
/* The spans of every node at once, equal to ast_node_span's, in time linear
 * in tokens + nodes (ast_node_span walks the node's tokens): (*start)[n],
 * (*end)[n] for n < node_count, allocated in `arena` (work arrays are taken
 * and given back there too).  False when the arena fails (an arena with an
 * oom target jumps instead). */
bool     ast_all_spans(const Ast *ast, Arena *arena, uint32_t **start, uint32_t **end);

/* Debug printer (golden tests): an indented s-expression dump. */
#include <stdio.h>
void ast_dump(FILE *out, const Ast *ast);

#endif
