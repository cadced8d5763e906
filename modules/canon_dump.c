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

static void dump_expr(FILE *out, const CanonModule *m, uint32_t e);

static void dump_exprs(FILE *out, const CanonModule *m, uint32_t list)
{
    for (uint32_t i = 0; i < canon_list_len(m, list); i++) {
        fputc(' ', out);
        dump_expr(out, m, canon_list_at(m, list, i));
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

static void dump_expr(FILE *out, const CanonModule *m, uint32_t e)
{
    const CanonNodes *n = &m->expr;
    uint32_t a = n->a[e], b = n->b[e];
    CanonExprKind k = (CanonExprKind)n->kind[e];
    if (k >= CE_OR && k <= CE_MOD) {
        fprintf(out, "(%s ", expr_names[k]);
        dump_expr(out, m, a);
        fputc(' ', out);
        dump_expr(out, m, b);
        fputc(')', out);
        return;
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
        fputs("(tuple", out);
        dump_exprs(out, m, a);
        fputc(')', out);
        break;
    case CE_CALL:
        fputc('(', out);
        dump_expr(out, m, a);
        dump_exprs(out, m, b);
        fputc(')', out);
        break;
    case CE_NEG: case CE_NOT:
        fprintf(out, "(%s ", expr_names[k]);
        dump_expr(out, m, a);
        fputc(')', out);
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
        dump_expr(out, m, b);
        fputc(')', out);
        break;
    }
    case CE_IF:
        fputs("(if ", out);
        dump_expr(out, m, a);
        fputc(' ', out);
        dump_expr(out, m, canon_if_then(m, e));
        fputc(' ', out);
        dump_expr(out, m, canon_if_else(m, e));
        fputc(')', out);
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
        dump_expr(out, m, canon_let_value(m, e));
        fputc(' ', out);
        dump_expr(out, m, b);
        fputc(')', out);
        break;
    }
    case CE_MATCH:
        fputs("(match ", out);
        dump_expr(out, m, a);
        for (uint32_t i = 0; i < canon_match_arm_count(m, e); i++) {
            fputs(" [", out);
            dump_pat(out, m, canon_match_arm_pat(m, e, i));
            fputs(" -> ", out);
            dump_expr(out, m, canon_match_arm_body(m, e, i));
            fputc(']', out);
        }
        fputc(')', out);
        break;
    default:
        fputs("?", out);
        break;
    }
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
