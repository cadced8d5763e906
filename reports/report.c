/* report — the code table, report lists, line tables, rendering and
 * ordering (see reports/report.h and LANGUAGE.md section 8).
 *
 * Invariants:
 *  - a ReportList's items live in the scratch arena given to
 *    report_list_init; every message and note string is written straight
 *    into the durable arena, so sealing copies only the Report structs.
 *  - a LineTable has one start per line: 0, then the offset after every
 *    '\n'.  So a file of n newlines has n+1 lines, and the offset src_len
 *    (end of file) is on the last line, which is empty when the file ends
 *    with a newline.
 *  - rendering never allocates: it reads the source and the table only.
 */
#include "reports/report.h"
#include "base/mem.h"
#include "base/utf8.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- codes */

static const char *const code_names[] = {
#define NAME_(code, sev, title) #code,
    REPORT_CODES(NAME_)
#undef NAME_
};
static const Severity code_sevs[] = {
#define SEV_(code, sev, title) sev,
    REPORT_CODES(SEV_)
#undef SEV_
};
static const char *const code_titles[] = {
#define TITLE_(code, sev, title) title,
    REPORT_CODES(TITLE_)
#undef TITLE_
};

const char *report_code_name(ReportCode c)
{
    return (unsigned)c < RC__COUNT ? code_names[c] : "E????";
}

Severity report_code_severity(ReportCode c)
{
    return (unsigned)c < RC__COUNT ? code_sevs[c] : SEV_ERROR;
}

const char *report_code_title(ReportCode c)
{
    return (unsigned)c < RC__COUNT ? code_titles[c] : "unknown report code";
}

/* ---------------------------------------------------------------- lists */

void report_list_init(ReportList *l, Arena *scratch, Arena *durable)
{
    BUILDER_INIT(&l->items, scratch, Report);
    l->durable = durable;
    l->errors = 0;
}

Report *report_add(ReportList *l, ReportCode code, uint32_t start, uint32_t end,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(l->durable, fmt, ap);
    va_end(ap);
    if (!msg)
        return NULL;
    Report *r = builder_push(&l->items);
    if (!r)
        return NULL;
    *r = (Report){ code, start, end >= start ? end : start, msg, NULL, REPORT_NO_IMPORT,
                   REPORT_NO_IMPORT };
    if (report_code_severity(code) == SEV_ERROR)
        l->errors++;
    return r;
}

void report_set_note(ReportList *l, Report *r, const char *fmt, ...)
{
    if (!r)
        return;
    va_list ap;
    va_start(ap, fmt);
    r->note = arena_vprintf(l->durable, fmt, ap);
    va_end(ap);
}

ReportSpan report_list_seal(const ReportList *l, Arena *durable)
{
    const Report *items = builder_seal(&l->items, durable);
    if (!items)
        return (ReportSpan){ NULL, 0 };
    return (ReportSpan){ items, l->items.count };
}

/* ----------------------------------------------------------- line table */

bool line_table_build(LineTable *t, const char *src, uint32_t len, Arena *arena)
{
    uint32_t lines = 1;
    for (const char *p = src, *end = src + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        lines++;
    uint32_t *starts = ARENA_ARRAY(arena, uint32_t, lines);
    if (!starts)
        return false;
    uint32_t n = 0;
    starts[n++] = 0;
    for (uint32_t i = 0; i < len; i++)
        if (src[i] == '\n')
            starts[n++] = i + 1;
    t->starts = starts;
    t->count = lines;
    t->src_len = len;
    return true;
}

/* Index (0-based) of the line holding offset. */
static uint32_t line_index(const LineTable *t, uint32_t offset)
{
    uint32_t lo = 0, hi = t->count;   /* answer in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void line_table_locate(const LineTable *t, uint32_t offset, uint32_t *line, uint32_t *col)
{
    if (!t || t->count == 0) {
        *line = 1;
        *col = 1;
        return;
    }
    if (offset > t->src_len)
        offset = t->src_len;
    uint32_t i = line_index(t, offset);
    *line = i + 1;
    *col = offset - t->starts[i] + 1;
}

/* ------------------------------------------------------------ rendering */

#define ANSI_RESET  "\x1b[0m"
#define ANSI_RED    "\x1b[1;31m"
#define ANSI_YELLOW "\x1b[1;33m"
#define ANSI_BLUE   "\x1b[1;34m"

static bool has_source(const ReportContext *ctx)
{
    return ctx->src && ctx->lines && ctx->lines->count > 0;
}

static void locate(const ReportContext *ctx, uint32_t offset, uint32_t *line, uint32_t *col)
{
    line_table_locate(has_source(ctx) ? ctx->lines : NULL, offset, line, col);
}

static bool utf8_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* A snippet shows at most this many source bytes before the span's start
 * and after it: a report on a 10 MB line prints a bounded line. */
#define SNIPPET_BEFORE 60u
#define SNIPPET_AFTER 100u

/* Characters a source must not send to the terminal as they are: controls
 * (which could move the cursor or inject escapes), C1 controls, bidi
 * controls (which reorder what is shown), line separators and the BOM. */
static bool escaped_char(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp < 0xA0) || cp == 0x061C ||
           cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

/* One character of a snippet line at src[i] (avail bytes to the line's
 * end): writes it (to out, unless NULL) as a terminal should show it and
 * returns its width in columns; *len gets its length in bytes.  As gcc >= 10
 * and clang: an escaped character is <U+XXXX>, a byte that is not UTF-8
 * <XX>; a tab stays a tab (width 1 here: the underline copies it). */
static uint32_t snippet_char(FILE *out, const char *src, uint32_t i, uint32_t avail,
                             uint32_t *len)
{
    uint32_t cp, n = utf8_decode((const unsigned char *)src + i, avail, &cp);
    char esc[16];
    if (n == 0) {
        *len = 1;
        snprintf(esc, sizeof esc, "<%02X>", (unsigned char)src[i]);
    } else if (escaped_char(cp)) {
        *len = n;
        snprintf(esc, sizeof esc, "<U+%04X>", (unsigned)cp);
    } else {
        *len = n;
        if (out)
            fwrite(src + i, 1, n, out);
        return 1;
    }
    if (out)
        fputs(esc, out);
    return (uint32_t)strlen(esc);
}

/* The snippet: the span's first line, and an underline that starts under
 * the span's first byte.  Padding copies tabs and advances by each
 * character's shown width, so carets line up with what a terminal shows.
 * A long line is cut to a window around the span's start, marked `...` on
 * each side that was cut. */
static void render_snippet(FILE *out, const ReportContext *ctx, const Report *r, bool colour)
{
    const LineTable *t = ctx->lines;
    const char *src = ctx->src;
    uint32_t start = r->start < ctx->src_len ? r->start : ctx->src_len;
    uint32_t end = r->end < ctx->src_len ? r->end : ctx->src_len;
    if (end < start)
        end = start;
    uint32_t li = line_index(t, start);
    uint32_t ls = t->starts[li];
    uint32_t le = li + 1 < t->count ? t->starts[li + 1] - 1 : ctx->src_len;  /* at '\n' or EOF */
    if (le > ls && src[le - 1] == '\r')
        le--;
    if (start > le)
        start = le;                     /* a span starting on a '\r' */
    if (end > le)
        end = le;                       /* cut at the end of the line */

    /* the window [ws, we), on character boundaries */
    uint32_t ws = start - ls > SNIPPET_BEFORE ? start - SNIPPET_BEFORE : ls;
    while (ws < start && utf8_continuation(src[ws]))
        ws++;
    uint32_t we = le - start > SNIPPET_AFTER ? start + SNIPPET_AFTER : le;
    while (we > start && we < le && utf8_continuation(src[we]))
        we--;
    if (end > we)
        end = we;
    const char *cut_left = ws > ls ? "..." : "", *cut_right = we < le ? "..." : "";

    const char *gutter_on = colour ? ANSI_BLUE : "", *gutter_off = colour ? ANSI_RESET : "";
    fprintf(out, "%s%5u |%s %s", gutter_on, li + 1, gutter_off, cut_left);
    for (uint32_t i = ws, n; i < we; i += n)
        snippet_char(out, src, i, le - i, &n);
    fprintf(out, "%s\n", cut_right);

    fprintf(out, "%s      |%s %s", gutter_on, gutter_off, ws > ls ? "   " : "");
    uint32_t n;
    for (uint32_t i = ws; i < start; i += n) {
        uint32_t w = snippet_char(NULL, src, i, le - i, &n);
        if (src[i] == '\t')
            fputc('\t', out);
        else
            fprintf(out, "%*s", (int)w, "");
    }
    uint32_t carets = 0;
    for (uint32_t i = start; i < end; i += n)
        carets += snippet_char(NULL, src, i, le - i, &n);
    if (carets == 0)
        carets = 1;
    for (uint32_t i = 0; i < carets; i++)
        fputc('^', out);
    fputc('\n', out);
}

/* str as a terminal should show it (see snippet_char): a file name or a
 * message quoting source text must not send escapes either. */
static void put_shown(FILE *out, const char *str)
{
    uint32_t n = (uint32_t)strlen(str ? str : "");
    for (uint32_t i = 0, len; i < n; i += len)
        snippet_char(out, str, i, n - i, &len);
}

void report_render_text(FILE *out, const ReportContext *ctx, const Report *r, bool colour)
{
    uint32_t line, col;
    locate(ctx, r->start, &line, &col);
    bool warn = report_code_severity(r->code) == SEV_WARNING;
    const char *sev = warn ? "warning" : "error";
    put_shown(out, ctx->path);
    if (colour)
        fprintf(out, ":%u:%u: %s%s%s[%s]: ", line, col, warn ? ANSI_YELLOW : ANSI_RED, sev,
                ANSI_RESET, report_code_name(r->code));
    else
        fprintf(out, ":%u:%u: %s[%s]: ", line, col, sev, report_code_name(r->code));
    put_shown(out, r->message);
    fputc('\n', out);
    if (!has_source(ctx))
        return;
    render_snippet(out, ctx, r, colour);
    if (r->note) {
        const char *p = r->note;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            fprintf(out, "      = note: %.*s\n", (int)n, p);
            p += n + (nl ? 1 : 0);
        }
    }
}

void report_json_chars(FILE *out, const char *str)
{
    const unsigned char *p = (const unsigned char *)(str ? str : "");
    size_t left = strlen((const char *)p);
    while (left > 0) {
        uint32_t cp, n = 1;
        switch (*p) {
        case '"':  fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else if ((n = utf8_decode(p, left, &cp)) != 0)
                fwrite(p, 1, n, out);
            else {
                fputs("\\ufffd", out);     /* one per invalid byte */
                n = 1;
            }
        }
        p += n;
        left -= n;
    }
}

void report_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    report_json_chars(out, s);
    fputc('"', out);
}

void report_render_json(FILE *out, const ReportContext *ctx, const Report *r)
{
    uint32_t line, col, end_line, end_col;
    locate(ctx, r->start, &line, &col);
    locate(ctx, r->end > r->start ? r->end : r->start, &end_line, &end_col);
    bool warn = report_code_severity(r->code) == SEV_WARNING;
    fprintf(out, "{\"severity\":\"%s\",\"code\":\"%s\",\"module\":",
            warn ? "warning" : "error", report_code_name(r->code));
    report_json_string(out, ctx->module);
    fputs(",\"file\":", out);
    report_json_string(out, ctx->path);
    fprintf(out, ",\"line\":%u,\"col\":%u,\"end_line\":%u,\"end_col\":%u,\"message\":",
            line, col, end_line, end_col);
    report_json_string(out, r->message);
    fputs("}\n", out);
}

/* ------------------------------------------------------------- ordering */

static int cmp_u32(uint32_t a, uint32_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");  /* strcmp compares unsigned bytes */
}

/* Total order: the LANGUAGE.md keys, then the end of the span, the path and
 * the note, so equal keys from different files still sort the same way on
 * every run. */
static int ref_cmp(const ReportRef *x, const ReportRef *y)
{
    int c;
    if ((c = cmp_str(x->ctx->module, y->ctx->module)))
        return c;
    if ((c = cmp_u32(x->line, y->line)) || (c = cmp_u32(x->col, y->col)))
        return c;
    if ((c = strcmp(report_code_name(x->report->code), report_code_name(y->report->code))))
        return c;
    if ((c = cmp_str(x->report->message, y->report->message)))
        return c;
    uint32_t xl, xc, yl, yc;
    locate(x->ctx, x->report->end, &xl, &xc);
    locate(y->ctx, y->report->end, &yl, &yc);
    if ((c = cmp_u32(xl, yl)) || (c = cmp_u32(xc, yc)))
        return c;
    if ((c = cmp_str(x->ctx->path, y->ctx->path)))
        return c;
    return cmp_str(x->report->note, y->report->note);
}

/* Stable merge sort; refs that compare equal keep their input order.  If
 * the temporary buffer cannot be had, a stable insertion sort does it in
 * place. */
static void merge_sort(ReportRef *a, ReportRef *tmp, uint32_t n)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    merge_sort(a, tmp, h);
    merge_sort(a + h, tmp, n - h);
    if (ref_cmp(&a[h - 1], &a[h]) <= 0)
        return;
    memcpy(tmp, a, sizeof *a * n);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        a[k++] = ref_cmp(&tmp[j], &tmp[i]) < 0 ? tmp[j++] : tmp[i++];
    while (i < h)
        a[k++] = tmp[i++];
    while (j < n)
        a[k++] = tmp[j++];
}

void report_refs_sort(ReportRef *refs, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        locate(refs[i].ctx, refs[i].report->start, &refs[i].line, &refs[i].col);
    if (count < 2)
        return;
    ReportRef *tmp = mem_alloc(sizeof *tmp * count);
    if (tmp) {
        merge_sort(refs, tmp, count);
        mem_free(tmp);
        return;
    }
    for (uint32_t i = 1; i < count; i++) {
        ReportRef r = refs[i];
        uint32_t j = i;
        while (j > 0 && ref_cmp(&r, &refs[j - 1]) < 0) {
            refs[j] = refs[j - 1];
            j--;
        }
        refs[j] = r;
    }
}
