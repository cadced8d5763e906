/* sarif — one SARIF 2.1.0 log for the reports of a build.
 *
 * The log has one run: tool.driver is coord with its version and a `rules`
 * array holding the whole report code table (REPORT_CODES order, so a
 * result's ruleIndex is its ReportCode), each with its id, the title as
 * shortDescription and its severity as defaultConfiguration.level.  The run
 * declares columnKind "utf16CodeUnits" (SARIF's default) and lists the
 * source roots and import directories in originalUriBaseIds, each as the
 * absolute file: URI of the directory, ending in '/', or, when the directory
 * cannot be resolved any more, with a description only.  Every report
 * becomes one result, in the reports' final order: ruleId, ruleIndex, level,
 * message.text, and one location: the module as a logical location (kind
 * "module") and a physical location whose artifactLocation.uri is the file's
 * path relative to its base (percent-encoded) with that base's uriBaseId,
 * and whose region has 1-based startLine/startColumn/endLine/endColumn,
 * columns in UTF-16 code units (the reports count bytes: converted here from
 * the source line) and endColumn just after the last character.
 *
 * The output depends only on the reports and the directories, never on
 * timing: the same at every -j.  One result per line, so diffs stay small.
 */
#include "reports/sarif.h"

#include "base/utf8.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void sarif_locate(const ReportContext *ctx, uint32_t offset, uint32_t *line, uint32_t *col)
{
    bool src = ctx->src && ctx->lines && ctx->lines->count > 0;
    uint32_t byte_col;
    line_table_locate(src ? ctx->lines : NULL, offset, line, &byte_col);
    *col = byte_col;
    if (!src || byte_col <= 1)
        return;
    const unsigned char *p = (const unsigned char *)ctx->src + (offset - (byte_col - 1));
    uint32_t left = byte_col - 1, units = 0;
    while (left > 0) {
        uint32_t cp, n = utf8_decode(p, left, &cp);
        if (n == 0)
            n = 1;                      /* an invalid byte: one U+FFFD */
        units += n == 4 ? 2 : 1;        /* beyond the BMP: a surrogate pair */
        p += n;
        left -= n;
    }
    *col = units + 1;
}

/* RFC 3986: unreserved characters and '/' stay, every other byte is %XX. */
static void uri_chars(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/')
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

static void render_rules(FILE *out)
{
    fputs("          \"rules\": [", out);
    for (int c = 0; c < RC__COUNT; c++) {
        fprintf(out, "%s\n            {\"id\": \"%s\", \"shortDescription\": {\"text\": ",
                c ? "," : "", report_code_name((ReportCode)c));
        report_json_string(out, report_code_title((ReportCode)c));
        fprintf(out, "}, \"defaultConfiguration\": {\"level\": \"%s\"}}",
                report_code_severity((ReportCode)c) == SEV_ERROR ? "error" : "warning");
    }
    fputs("\n          ]\n", out);
}

static void base_id(FILE *out, const SarifBase *b)
{
    fputc('"', out);
    report_json_chars(out, b->name);
    fprintf(out, "%u\"", b->index);
}

static void render_bases(FILE *out, const SarifLog *log)
{
    fputs("      \"originalUriBaseIds\": {", out);
    for (uint32_t i = 0; i < log->base_count; i++) {
        SarifBase b;
        char abs[PATH_MAX];
        log->base(log->arg, i, &b);
        fputs(i ? ",\n        " : "\n        ", out);
        base_id(out, &b);
        if (realpath(b.dir, abs)) {
            fputs(": {\"uri\": \"file://", out);
            uri_chars(out, abs);
            fputs(strcmp(abs, "/") == 0 ? "\"}" : "/\"}", out);
        } else {
            fputs(": {\"description\": {\"text\": ", out);
            report_json_string(out, b.dir);
            fputs("}}", out);
        }
    }
    fputs(log->base_count ? "\n      },\n" : "},\n", out);
}

static void render_result(FILE *out, const SarifLog *log, const ReportRef *ref)
{
    const Report *r = ref->report;
    uint32_t base, line, col, end_line, end_col;
    const char *rel;
    log->artifact(log->arg, ref->ctx, &base, &rel);
    sarif_locate(ref->ctx, r->start, &line, &col);
    sarif_locate(ref->ctx, r->end, &end_line, &end_col);
    fprintf(out, "        {\"ruleId\": \"%s\", \"ruleIndex\": %d, \"level\": \"%s\", \"message\": {\"text\": ",
            report_code_name(r->code), (int)r->code,
            report_code_severity(r->code) == SEV_ERROR ? "error" : "warning");
    report_json_string(out, r->message);
    fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": \"", out);
    uri_chars(out, rel);
    fputc('"', out);
    if (base != SARIF_NO_BASE) {
        SarifBase b;
        log->base(log->arg, base, &b);
        fputs(", \"uriBaseId\": ", out);
        base_id(out, &b);
    }
    fprintf(out, "}, \"region\": {\"startLine\": %u, \"startColumn\": %u, \"endLine\": %u, "
                 "\"endColumn\": %u}}, \"logicalLocations\": [{\"fullyQualifiedName\": ",
            line, col, end_line, end_col);
    report_json_string(out, ref->ctx->module);
    fputs(", \"kind\": \"module\"}]}]}", out);
}

void sarif_render(FILE *out, const SarifLog *log)
{
    fputs("{\n"
          "  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
          "  \"version\": \"2.1.0\",\n"
          "  \"runs\": [\n"
          "    {\n"
          "      \"tool\": {\n"
          "        \"driver\": {\n"
          "          \"name\": \"coord\",\n"
          "          \"version\": ", out);
    report_json_string(out, log->tool_version);
    fputs(",\n", out);
    render_rules(out);
    fputs("        }\n      },\n", out);
    render_bases(out, log);
    fputs("      \"columnKind\": \"utf16CodeUnits\",\n      \"results\": [", out);
    for (uint32_t i = 0; i < log->ref_count; i++) {
        fputs(i ? ",\n" : "\n", out);
        render_result(out, log, &log->refs[i]);
    }
    fputs(log->ref_count ? "\n      ]\n" : "]\n", out);
    fputs("    }\n  ]\n}\n", out);
}
