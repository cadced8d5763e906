/* report — one diagnostic, lists of them, and the code table.
 *
 * A phase appends reports to a ReportList (growing in its scratch arena; the
 * message strings go straight into the durable arena) and seals the list into
 * the module's durable arena at the end of the task.  Spans are byte offsets
 * into the module's source; line/column are computed only when rendering,
 * from the module's LineTable.  The module and file a report belongs to are
 * attached by whoever owns the list (the coordinator), not stored per report.
 */
#ifndef COORD_REPORTS_REPORT_H
#define COORD_REPORTS_REPORT_H

#include "base/arena.h"
#include "base/builder.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { SEV_ERROR, SEV_WARNING } Severity;

/* X(code, severity, title) — the one list of LANGUAGE.md section 10. */
#define REPORT_CODES(X)                                                        \
    X(E0001, SEV_ERROR,   "a source file cannot be read")                      \
    X(E0002, SEV_ERROR,   "NUL byte or invalid UTF-8")                         \
    X(E0101, SEV_ERROR,   "unexpected character")                              \
    X(E0102, SEV_ERROR,   "unterminated string")                               \
    X(E0103, SEV_ERROR,   "invalid escape")                                    \
    X(E0104, SEV_ERROR,   "integer literal out of range")                      \
    X(E0110, SEV_ERROR,   "syntax error")                                      \
    X(E0111, SEV_ERROR,   "nesting too deep")                                  \
    X(E0112, SEV_ERROR,   "missing module header")                             \
    X(E0201, SEV_ERROR,   "unknown name")                                      \
    X(E0202, SEV_ERROR,   "unknown type, or wrong number of type arguments")   \
    X(E0203, SEV_ERROR,   "duplicate definition")                              \
    X(E0204, SEV_ERROR,   "unknown constructor")                               \
    X(E0205, SEV_ERROR,   "exposing a name the module does not define")        \
    X(E0206, SEV_ERROR,   "name not exposed by the imported module")           \
    X(E0208, SEV_ERROR,   "cyclic value definition")                           \
    X(E0209, SEV_ERROR,   "name bound twice in one pattern or parameter list") \
    X(E0210, SEV_ERROR,   "unknown module qualifier")                          \
    X(W0201, SEV_WARNING, "unused import")                                     \
    X(E0301, SEV_ERROR,   "type mismatch")                                     \
    X(E0302, SEV_ERROR,   "wrong number of arguments")                         \
    X(E0303, SEV_ERROR,   "infinite type")                                     \
    X(E0304, SEV_ERROR,   "constructor pattern arity")                         \
    X(E0305, SEV_ERROR,   "non-exhaustive match")                              \
    X(W0306, SEV_WARNING, "redundant match arm")                               \
    X(E0401, SEV_ERROR,   "module not found")                                  \
    X(E0402, SEV_ERROR,   "import cycle")                                      \
    X(E0403, SEV_ERROR,   "module name does not match file path")              \
    X(E0404, SEV_ERROR,   "duplicate import")                                  \
    X(E0405, SEV_ERROR,   "module defined twice")                              \
    X(E0901, SEV_ERROR,   "out of memory while compiling a module")            \
    X(E0902, SEV_ERROR,   "internal compiler error in a task")

typedef enum {
#define REPORT_ENUM_(code, sev, title) RC_##code,
    REPORT_CODES(REPORT_ENUM_)
#undef REPORT_ENUM_
    RC__COUNT
} ReportCode;

const char *report_code_name(ReportCode c);    /* "E0301" */
Severity    report_code_severity(ReportCode c);
const char *report_code_title(ReportCode c);

typedef struct Report {
    ReportCode code;
    uint32_t start, end;    /* byte span [start, end) in the module source; end >= start */
    const char *message;    /* NUL-terminated, in a durable arena */
    const char *note;       /* NULL, or extra lines ("note: ...") */
    /* The import (index into the module's imports) the report arises from,
     * or REPORT_NO_IMPORT.  Set by canonicalize for W0201, E0206 and E0203
     * of imported names, so that the coordinator can drop them when that
     * import turns out to be inside an import cycle (LANGUAGE.md section 2:
     * no further reports arise from in-cycle imports), which is only known
     * once every module is parsed.  import2: a second such import (a clash
     * of two imports arises from both), or REPORT_NO_IMPORT. */
    uint32_t import, import2;
} Report;
#define REPORT_NO_IMPORT UINT32_MAX

/* A list being built during one task. */
typedef struct ReportList {
    Builder items;          /* of Report, in scratch */
    Arena *durable;         /* where messages are written */
    uint32_t errors;        /* count of SEV_ERROR reports added */
} ReportList;

void    report_list_init(ReportList *l, Arena *scratch, Arena *durable);
Report *report_add(ReportList *l, ReportCode code, uint32_t start, uint32_t end,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void    report_set_note(ReportList *l, Report *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A sealed list (exact size, durable). */
typedef struct ReportSpan {
    const Report *items;
    uint32_t count;
} ReportSpan;
/* An empty list seals into a non-NULL, allocation-free items pointer, so
 * items == NULL (with count 0) means the copy could not be allocated. */
ReportSpan report_list_seal(const ReportList *l, Arena *durable);

/* Line table: offsets of line starts, for line/column (1-based, columns in
 * bytes).  Built on demand when rendering. */
typedef struct LineTable {
    const uint32_t *starts;
    uint32_t count;
    uint32_t src_len;
} LineTable;
bool line_table_build(LineTable *t, const char *src, uint32_t len, Arena *arena);
void line_table_locate(const LineTable *t, uint32_t offset, uint32_t *line, uint32_t *col);

/* Rendering.  A RenderedFile gives a report its context. */
typedef struct ReportContext {
    const char *module;     /* declared name, or the name implied by the path */
    const char *path;       /* as given on the command line / discovered */
    const char *src;        /* may be NULL (E0001) */
    uint32_t src_len;
    const LineTable *lines; /* may be NULL when src is NULL */
} ReportContext;

/* Text form of LANGUAGE.md section 8 with source line and caret underline.
 * Only the span's first line is shown (carets cut at its end, at least one
 * caret), at most 60 bytes before the span's start and 100 after it (`...`
 * marks a cut); control characters, bidi controls and bytes that are not
 * UTF-8 are shown as <U+XXXX> / <XX>, as gcc and clang do (in the file name
 * and the message too); the underline
 * copies tabs from the source line and advances by each character's shown
 * width, so carets line up on a terminal.  A note is
 * printed after the snippet, each of its lines as "      = note: <line>".
 * Without source (ctx->src NULL) only the first line is printed, at 1:1.
 * colour: ANSI colours (only when the stream is a terminal). */
void report_render_text(FILE *out, const ReportContext *ctx, const Report *r, bool colour);
/* JSON form: one object per line. */
void report_render_json(FILE *out, const ReportContext *ctx, const Report *r);
/* The characters of a JSON string (no quotes) for str: `"` `\` and control
 * characters escaped, and every byte that is not part of valid UTF-8 (file
 * names need not be) written as \ufffd, so strict decoders accept it. */
void report_json_chars(FILE *out, const char *str);
/* The same between double quotes: one JSON string. */
void report_json_string(FILE *out, const char *str);

/* Ordering (LANGUAGE.md section 8): module name, line, column, code, message. */
typedef struct ReportRef {
    const ReportContext *ctx;
    const Report *report;
    uint32_t line, col;     /* filled by report_refs_sort */
} ReportRef;
void report_refs_sort(ReportRef *refs, uint32_t count);

#endif
