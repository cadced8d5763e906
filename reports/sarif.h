/* sarif — the reports of a build as one SARIF 2.1.0 log (coord check
 * --format sarif).  The layout of the log is described in sarif.c. */
#ifndef COORD_REPORTS_SARIF_H
#define COORD_REPORTS_SARIF_H

#include "reports/report.h"

#include <stdint.h>
#include <stdio.h>

#define SARIF_NO_BASE UINT32_MAX

/* A directory that file URIs are relative to: a source root or an import
 * directory.  Its id in the log is the name followed by the index
 * ("SRCROOT0"); dir is the directory as given, resolved to an absolute file:
 * URI when the log is written. */
typedef struct SarifBase {
    const char *name;
    uint32_t index;
    const char *dir;
} SarifBase;

/* Fills base i (0 <= i < base_count). */
typedef void SarifBaseFn(const void *arg, uint32_t i, SarifBase *out);
/* Where a report's file lies: *base is an index below base_count (or
 * SARIF_NO_BASE) and *rel the path relative to it (a suffix of ctx->path, or
 * ctx->path itself without a base). */
typedef void SarifArtifactFn(const void *arg, const ReportContext *ctx, uint32_t *base,
                             const char **rel);

/* Everything the log is made of; the callbacks keep rendering free of
 * allocation. */
typedef struct SarifLog {
    const char *tool_version;
    uint32_t base_count;
    SarifBaseFn *base;
    const ReportRef *refs;      /* in their final order */
    uint32_t ref_count;
    SarifArtifactFn *artifact;
    const void *arg;
} SarifLog;

void sarif_render(FILE *out, const SarifLog *log);

/* The 1-based column, in UTF-16 code units (SARIF's default columnKind), of
 * byte offset `offset` of ctx's source, with the line; 1:1 without source.
 * Each byte that is not part of valid UTF-8 counts as one unit (it would be
 * decoded as one U+FFFD). */
void sarif_locate(const ReportContext *ctx, uint32_t offset, uint32_t *line, uint32_t *col);

#endif
