/* canon_dump — kind names and the debug dump of the canonical IR (golden
 * tests compare it byte for byte, so its format is part of those tests).
 *
 * Format: one header line per import, type, constructor and value; value
 * bodies as one-line s-expressions.  Locals print as `name#id`, type
 * variables as `name'id`, top-level values as `@name`, imported names as
 * `Qual.name` where Qual is the import's alias or module name.  Then the
 * locals that are captured, and the SCC order, one group per line.
 */
#include "modules/canon.h"

#include <inttypes.h>
#include <stdlib.h>

static const char *const expr_names[] = {
#define N_(name, desc) desc,
    CANON_EXPR_KINDS(N_)
#undef N_
};
static const char *const pat_names[] = {
#define N_(name, desc) desc,
    CANON_PAT_KINDS(N_)
#undef N_
};
static const char *const type_names[] = {
#define N_(name, desc) desc,
    CANON_TYPE_KINDS(N_)
#undef N_
};

const char *canon_expr_kind_name(CanonExprKind k) { return k < CE__COUNT ? expr_names[k] : "?"; }
const char *canon_pat_kind_name(CanonPatKind k) { return k < CP__COUNT ? pat_names[k] : "?"; }
const char *canon_type_kind_name(CanonTypeKind k) { return k < CT__COUNT ? type_names[k] : "?"; }

static void dump_local(FILE *out, const CanonModule *m, uint32_t l)
{
    fprintf(out, "%s#%u", canon_str(m, m->locals[l].name), l);
}

static void dump_qual(FILE *out, const CanonModule *m, uint32_t imp, uint32_t name)
{
    const CanonImport *I = &m->imports[imp];
    fprintf(out, "%s.%s", canon_str(m, I->alias != CANON_NONE ? I->alias : I->module), canon_str(m, name));
}

static void dump_bytes(FILE *out, const CanonModule *m, uint32_t off, uint32_t len)
{
    fputc('"', out);
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)m->strings[off + i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void dump_type(FILE *out, const CanonModule *m, uint32_t t);

static void dump_type_list(FILE *out, const CanonModule *m, uint32_t list)
{
    for (uint32_t i = 0; i < canon_list_len(m, list); i++) {
        fputc(' ', out);
        dump_type(out, m, canon_list_at(m, list, i));
    }
}

static void dump_type(FILE *out, const CanonModule *m, uint32_t t)
{
    const CanonNodes *n = &m->type;
    uint32_t a = n->a[t], b = n->b[t];
    switch ((CanonTypeKind)n->kind[t]) {
    case CT_VAR:   fprintf(out, "%s'%u", canon_str(m, b), a); break;
    case CT_PARAM: fprintf(out, "%s", canon_str(m, b)); break;
    case CT_INT: case CT_BOOL: case CT_STR: case CT_UNIT: case CT_ERROR:
        fputs(type_names[n->kind[t]], out);
        break;
    case CT_TUPLE:
        fputs("(tuple", out);
        dump_type_list(out, m, a);
        fputc(')', out);
        break;
    case CT_FN:
        fputs("(fn (", out);
        for (uint32_t i = 0; i < canon_list_len(m, a); i++) {
            if (i)
                fputc(' ', out);
            dump_type(out, m, canon_list_at(m, a, i));
        }
        fputs(") ", out);
        dump_type(out, m, b);
        fputc(')', out);
        break;
    case CT_CON:
        if (canon_list_len(m, b))
            fputc('(', out);
        fputs(canon_str(m, m->types[a].name), out);
        if (canon_list_len(m, b)) {
            dump_type_list(out, m, b);
            fputc(')', out);
        }
        break;
    case CT_IMPORTED_CON:
        if (canon_list_len(m, b))
            fputc('(', out);
        dump_qual(out, m, canon_type_import(m, t), canon_type_import_name(m, t));
        if (canon_list_len(m, b)) {
            dump_type_list(out, m, b);
            fputc(')', out);
        }
        break;
    default:
        fputs("?", out);
        break;
    }
}

static void dump_pat(FILE *out, const CanonModule *m, uint32_t p);

static void dump_subpats(FILE *out, const CanonModule *m, uint32_t list)
{
    for (uint32_t i = 0; i < canon_list_len(m, list); i++) {
        fputc(' ', out);
        dump_pat(out, m, canon_list_at(m, list, i));
    }
}

static void dump_pat(FILE *out, const CanonModule *m, uint32_t p)
{
    const CanonNodes *n = &m->pat;
    uint32_t a = n->a[p], b = n->b[p];
    switch ((CanonPatKind)n->kind[p]) {
    case CP_WILD: case CP_TRUE: case CP_FALSE:
        fputs(pat_names[n->kind[p]], out);
        break;
    case CP_UNIT:  fputs("()", out); break;
    case CP_BIND:  dump_local(out, m, a); break;
    case CP_INT:   fprintf(out, "%" PRId64, canon_int_value(n, p)); break;
    case CP_STR:   dump_bytes(out, m, a, b); break;
    case CP_CTOR:
    case CP_IMPORTED_CTOR:
    case CP_POISON:
        if (b != CANON_NONE)
            fputc('(', out);
        if (n->kind[p] == CP_CTOR)
            fputs(canon_str(m, m->ctors[a].name), out);
        else if (n->kind[p] == CP_IMPORTED_CTOR)
            dump_qual(out, m, canon_pat_import(m, p), canon_pat_import_name(m, p));
        else
            fputs("poison", out);
        if (b != CANON_NONE) {
            dump_subpats(out, m, b);
            fputc(')', out);
        }
        break;
    case CP_TUPLE:
        fputs("(tuple", out);
        dump_subpats(out, m, a);
        fputc(')', out);
        break;
    default:
        fputs("?", out);
        break;
    }
}

static void dump_locals(FILE *out, const CanonModule *m, uint32_t list)
{
    fputc('(', out);
    for (uint32_t i = 0; i < canon_list_len(m, list); i++) {
        uint32_t l = canon_list_at(m, list, i);
        if (i)
            fputs(", ", out);
        dump_local(out, m, l);
        if (m->locals[l].annot != CANON_NONE) {
            fputs(": ", out);
            dump_type(out, m, m->locals[l].annot);
        }
    }
    fputc(')', out);
}

static void dump_tvars(FILE *out, const CanonModule *m, uint32_t list)
{
    if (canon_list_len(m, list) == 0)
        return;
    fputs(" [tvars", out);
    for (uint32_t i = 0; i < canon_list_len(m, list); i++) {
        uint32_t tv = canon_list_at(m, list, i);
        fprintf(out, " %s'%u", canon_str(m, m->tvars[tv].name), tv);
    }
    fputc(']', out);
}

/* dump_expr's explicit stack: what is still to print, last first. */
typedef struct DumpAct { uint8_t what; const char *text; uint32_t e, i; } DumpAct;
enum { ACT_EXPR, ACT_TEXT, ACT_ARM };
typedef struct DumpStack { DumpAct *a; size_t n, cap; bool failed; } DumpStack;

static void act(DumpStack *st, uint8_t what, const char *text, uint32_t e, uint32_t i)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 64;
        DumpAct *a = realloc(st->a, cap * sizeof *a);
        if (!a) {
            st->failed = true;
            return;
        }
        st->a = a;
        st->cap = cap;
    }
    st->a[st->n++] = (DumpAct){ what, text, e, i };
}

/* Prints expression e as an s-expression on one line.  Length is not
 * nesting (LANGUAGE.md section 6): a chain of any length is printed with
 * an explicit stack, not recursion (patterns and types, bounded by the
 * parser's nesting limit, recurse). */
static void dump_expr(FILE *out, const CanonModule *m, uint32_t root)
{
    const CanonNodes *n = &m->expr;
    DumpStack st = { 0 };
    act(&st, ACT_EXPR, NULL, root, 0);
    while (st.n && !st.failed) {
        DumpAct x = st.a[--st.n];
        if (x.what == ACT_TEXT) {
            fputs(x.text, out);
            continue;
        }
        uint32_t e = x.e;
        if (x.what == ACT_ARM) {
            fputs(" [", out);
            dump_pat(out, m, canon_match_arm_pat(m, e, x.i));
            fputs(" -> ", out);
            continue;
        }
        uint32_t a = n->a[e], b = n->b[e];
        CanonExprKind k = (CanonExprKind)n->kind[e];
        /* the parts after the head, pushed last first */
        if (k >= CE_OR && k <= CE_MOD) {
            fprintf(out, "(%s ", expr_names[k]);
            act(&st, ACT_TEXT, ")", 0, 0);
            act(&st, ACT_EXPR, NULL, b, 0);
            act(&st, ACT_TEXT, " ", 0, 0);
            act(&st, ACT_EXPR, NULL, a, 0);
            continue;
        }
        switch (k) {
        case CE_INT:   fprintf(out, "%" PRId64, canon_int_value(n, e)); break;
        case CE_STR:   dump_bytes(out, m, a, b); break;
        case CE_TRUE: case CE_FALSE: case CE_POISON:
            fputs(expr_names[k], out);
            break;
        case CE_UNIT:  fputs("()", out); break;
        case CE_LOCAL: dump_local(out, m, a); break;
        case CE_TOP:   fprintf(out, "@%s", canon_str(m, m->values[a].name)); break;
        case CE_IMPORTED:
        case CE_IMPORTED_CTOR:
            dump_qual(out, m, a, b);
            break;
        case CE_CTOR:  fputs(canon_str(m, m->ctors[a].name), out); break;
        case CE_TUPLE:
        case CE_CALL: {
            uint32_t list = k == CE_TUPLE ? a : b;
            fputs(k == CE_TUPLE ? "(tuple" : "(", out);
            act(&st, ACT_TEXT, ")", 0, 0);
            for (uint32_t i = canon_list_len(m, list); i-- > 0;) {
                act(&st, ACT_EXPR, NULL, canon_list_at(m, list, i), 0);
                act(&st, ACT_TEXT, " ", 0, 0);
            }
            if (k == CE_CALL)
                act(&st, ACT_EXPR, NULL, a, 0);
            break;
        }
        case CE_NEG: case CE_NOT:
            fprintf(out, "(%s ", expr_names[k]);
            act(&st, ACT_TEXT, ")", 0, 0);
            act(&st, ACT_EXPR, NULL, a, 0);
            break;
        case CE_LAMBDA: {
            fputs("(lambda ", out);
            dump_locals(out, m, canon_lambda_params(m, e));
            uint32_t caps = canon_lambda_captures(m, e);
            if (canon_list_len(m, caps)) {
                fputs(" [captures", out);
                for (uint32_t i = 0; i < canon_list_len(m, caps); i++) {
                    fputc(' ', out);
                    dump_local(out, m, canon_list_at(m, caps, i));
                }
                fputc(']', out);
            }
            fputc(' ', out);
            act(&st, ACT_TEXT, ")", 0, 0);
            act(&st, ACT_EXPR, NULL, b, 0);
            break;
        }
        case CE_IF:
            fputs("(if ", out);
            act(&st, ACT_TEXT, ")", 0, 0);
            act(&st, ACT_EXPR, NULL, canon_if_else(m, e), 0);
            act(&st, ACT_TEXT, " ", 0, 0);
            act(&st, ACT_EXPR, NULL, canon_if_then(m, e), 0);
            act(&st, ACT_TEXT, " ", 0, 0);
            act(&st, ACT_EXPR, NULL, a, 0);
            break;
        case CE_LET: {
            uint32_t l = canon_let_local(m, e);
            fputs("(let ", out);
            dump_local(out, m, l);
            if (m->locals[l].annot != CANON_NONE) {
                fputs(": ", out);
                dump_type(out, m, m->locals[l].annot);
            }
            dump_tvars(out, m, canon_let_tvars(m, e));
            fputc(' ', out);
            act(&st, ACT_TEXT, ")", 0, 0);
            act(&st, ACT_EXPR, NULL, b, 0);
            act(&st, ACT_TEXT, " ", 0, 0);
            act(&st, ACT_EXPR, NULL, canon_let_value(m, e), 0);
            break;
        }
        case CE_MATCH:
            fputs("(match ", out);
            act(&st, ACT_TEXT, ")", 0, 0);
            for (uint32_t i = canon_match_arm_count(m, e); i-- > 0;) {
                act(&st, ACT_TEXT, "]", 0, 0);
                act(&st, ACT_EXPR, NULL, canon_match_arm_body(m, e, i), 0);
                act(&st, ACT_ARM, NULL, e, i);
            }
            act(&st, ACT_EXPR, NULL, a, 0);
            break;
        default:
            fputs("?", out);
            break;
        }
    }
    if (st.failed)
        fputs("<out of memory>", out);
    free(st.a);
}

void canon_dump(FILE *out, const CanonModule *m)
{
    fprintf(out, "module %s\n", m->name);
    for (uint32_t i = 0; i < m->import_count; i++) {
        const CanonImport *I = &m->imports[i];
        fprintf(out, "import %s", canon_str(m, I->module));
        if (I->alias != CANON_NONE)
            fprintf(out, " as %s", canon_str(m, I->alias));
        fprintf(out, "%s%s\n", I->poisoned ? " poisoned" : "", I->used ? " used" : "");
    }
    for (uint32_t t = 0; t < m->type_count; t++) {
        const CanonType *T = &m->types[t];
        fprintf(out, "type %s", canon_str(m, T->name));
        if (T->arity) {
            fputc('(', out);
            for (uint32_t i = 0; i < T->arity; i++)
                fprintf(out, "%s%s", i ? ", " : "", canon_str(m, canon_list_at(m, T->params, i)));
            fputc(')', out);
        }
        fprintf(out, "%s%s%s\n", T->exposed ? (T->ctors_exposed ? " exposed(..)" : " exposed") : "",
                T->poisoned ? " poisoned" : "", T->duplicate ? " duplicate" : "");
        for (uint32_t c = T->ctor_first; c < T->ctor_first + T->ctor_count; c++) {
            const CanonCtor *K = &m->ctors[c];
            fprintf(out, "  ctor %s", canon_str(m, K->name));
            if (K->payload != CANON_NONE) {
                fputs(" (", out);
                for (uint32_t i = 0; i < canon_list_len(m, K->payload); i++) {
                    if (i)
                        fputc(' ', out);
                    dump_type(out, m, canon_list_at(m, K->payload, i));
                }
                fputc(')', out);
            }
            fprintf(out, "%s\n", K->duplicate ? " duplicate" : "");
        }
    }
    static const char *const vkind[] = { "fn", "let", "broken" };
    for (uint32_t v = 0; v < m->value_count; v++) {
        const CanonValue *V = &m->values[v];
        fprintf(out, "%s %s%s%s%s", vkind[V->kind], canon_str(m, V->name), V->exposed ? " exposed" : "",
                V->poisoned ? " poisoned" : "", V->duplicate ? " duplicate" : "");
        if (V->poisoned) {
            fputc('\n', out);
            continue;
        }
        if (V->params != CANON_NONE) {
            fputc(' ', out);
            dump_locals(out, m, V->params);
        }
        if (V->ret != CANON_NONE) {
            fputs(" -> ", out);
            dump_type(out, m, V->ret);
        }
        if (V->annot != CANON_NONE) {
            fputs(" : ", out);
            dump_type(out, m, V->annot);
        }
        dump_tvars(out, m, V->tvars);
        fputs(" =\n  ", out);
        dump_expr(out, m, V->body);
        fputc('\n', out);
    }
    bool any = false;
    for (uint32_t l = 0; l < m->local_count; l++)
        if (m->locals[l].captured) {
            fputs(any ? " " : "captured:", out);
            if (!any)
                fputc(' ', out);
            dump_local(out, m, l);
            any = true;
        }
    if (any)
        fputc('\n', out);
    for (uint32_t g = 0; g < m->scc_count; g++) {
        fputs("scc", out);
        for (uint32_t i = m->scc_start[g]; i < m->scc_start[g + 1]; i++)
            fprintf(out, " %s", canon_str(m, m->values[m->scc_values[i]].name));
        fputs(m->scc_cyclic[g] ? " (cyclic)\n" : "\n", out);
    }
}
