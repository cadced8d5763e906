#!/usr/bin/env python3
"""Checks one SARIF log written by `coord check --format sarif`, field by field.

    sarif_check.py LOG.sarif REPORTS.jsonl VERSION

1. Structure: the SARIF 2.1.0 schema's rules for every object coord writes
   (required properties, types, enums, minimum values, and no property the
   schema does not define: its objects have "additionalProperties": false),
   transcribed below from the published schema (sarif-schema-2.1.0.json);
   the schema itself is not downloaded.
2. Content: the same reports as the JSON output of the same build
   (REPORTS.jsonl, one object per line), in the same order: ruleId = code,
   level = severity, message.text = message, the module as logical location,
   the file as uriBaseId + uri resolving to the same file, lines equal, and
   columns equal to the byte columns converted to UTF-16 code units of the
   source line (columnKind utf16CodeUnits, SARIF's default).
Run from the directory the build ran in.  Exit status 0 when all holds;
otherwise every failure is printed.
"""
import json
import os
import re
import sys
import urllib.parse

# property name -> (type check, required); per object kind, from the schema
LEVELS = {"none", "note", "warning", "error"}
ALLOWED = {
    "sarifLog": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "run": {"tool", "invocations", "conversion", "language", "versionControlProvenance",
            "originalUriBaseIds", "artifacts", "logicalLocations", "graphs", "results",
            "automationDetails", "runAggregates", "baselineGuid", "redactionTokens",
            "defaultEncoding", "defaultSourceLanguage", "newlineSequences", "columnKind",
            "externalPropertyFileReferences", "threadFlowLocations", "taxonomies", "addresses",
            "translations", "policies", "webRequests", "webResponses", "specialLocations",
            "properties"},
    "tool": {"driver", "extensions", "properties"},
    "toolComponent": {"guid", "name", "organization", "product", "productSuite",
                      "shortDescription", "fullDescription", "fullName", "version",
                      "semanticVersion", "dottedQuadFileVersion", "releaseDateUtc", "downloadUri",
                      "informationUri", "globalMessageStrings", "notifications", "rules", "taxa",
                      "locations", "language", "contents", "isComprehensive",
                      "localizedDataSemanticVersion",
                      "minimumRequiredLocalizedDataSemanticVersion", "associatedComponent",
                      "translationMetadata", "supportedTaxonomies", "properties"},
    "reportingDescriptor": {"id", "deprecatedIds", "guid", "deprecatedGuids", "name",
                            "deprecatedNames", "shortDescription", "fullDescription",
                            "messageStrings", "defaultConfiguration", "helpUri", "help",
                            "relationships", "properties"},
    "multiformatMessageString": {"text", "markdown", "properties"},
    "reportingConfiguration": {"enabled", "level", "rank", "parameters", "properties"},
    "artifactLocation": {"uri", "uriBaseId", "index", "description", "properties"},
    "message": {"text", "markdown", "id", "arguments", "properties"},
    "result": {"ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget",
               "locations", "guid", "correlationGuid", "occurrenceCount", "partialFingerprints",
               "fingerprints", "stacks", "codeFlows", "graphs", "graphTraversals",
               "relatedLocations", "suppressions", "baselineState", "rank", "attachments",
               "hostedViewerUri", "workItemUris", "provenance", "fixes", "taxa", "webRequest",
               "webResponse", "properties"},
    "location": {"id", "physicalLocation", "logicalLocations", "message", "annotations",
                 "relationships", "properties"},
    "physicalLocation": {"address", "artifactLocation", "region", "contextRegion", "properties"},
    "region": {"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength",
               "byteOffset", "byteLength", "snippet", "message", "sourceLanguage", "properties"},
    "logicalLocation": {"name", "index", "fullyQualifiedName", "decoratedName", "parentIndex",
                        "kind", "properties"},
}
# RFC 3986 URI-reference characters (after percent-decoding is not needed)
URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")

errors = []


def fail(where, what):
    errors.append(f"{where}: {what}")


def obj(v, kind, where, required=()):
    if not isinstance(v, dict):
        fail(where, f"{kind} is not an object")
        return False
    for k in v:
        if k not in ALLOWED[kind]:
            fail(where, f"property {k!r} is not defined for {kind}")
    for k in required:
        if k not in v:
            fail(where, f"{kind} lacks required {k!r}")
    return True


def is_int(v, minimum):
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def string(v, where, nonempty=True):
    if not isinstance(v, str) or (nonempty and not v):
        fail(where, f"expected a {'non-empty ' if nonempty else ''}string, got {v!r}")
        return False
    return True


def message(v, where):
    if obj(v, "message", where) and not ("text" in v or "id" in v):
        fail(where, "message has neither text nor id")
    if isinstance(v, dict) and "text" in v:
        string(v["text"], where + ".text", nonempty=False)


def utf16_col(path, line, byte_col):
    """The UTF-16 column of 1-based byte column byte_col on 1-based line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return byte_col            # unreadable file (E0001): reported at 1:1
    # coord's columns start after a byte-order mark, like an editor's
    lines = data[3:].split(b"\n") if data.startswith(b"\xef\xbb\xbf") else data.split(b"\n")
    if line > len(lines):
        return byte_col
    prefix = lines[line - 1][: byte_col - 1]
    # each byte that is not valid UTF-8 counts as one unit (coord's rule)
    text = prefix.decode("utf-8", errors="surrogateescape")
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2 + 1


def main():
    log_path, reports_path, version = sys.argv[1:4]
    with open(log_path, "rb") as f:
        raw = f.read()
    try:
        log = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        print(f"sarif_check: not UTF-8 JSON: {e}")
        return 1
    with open(reports_path, encoding="utf-8") as f:
        reports = [json.loads(line) for line in f if line.strip()]

    # ---- sarifLog
    if not obj(log, "sarifLog", "log", required=("version", "runs")):
        return report()
    if log.get("version") != "2.1.0":
        fail("log.version", f"{log.get('version')!r} is not \"2.1.0\"")
    if "$schema" in log and (not string(log["$schema"], "log.$schema")
                             or not log["$schema"].startswith("https://")):
        fail("log.$schema", "not an https URI")
    runs = log.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        fail("log.runs", "expected exactly one run")
        return report()
    run = runs[0]
    obj(run, "run", "run", required=("tool",))

    # ---- tool.driver and its rules
    tool = run.get("tool", {})
    obj(tool, "tool", "run.tool", required=("driver",))
    driver = tool.get("driver", {})
    obj(driver, "toolComponent", "driver", required=("name",))
    if driver.get("name") != "coord":
        fail("driver.name", f"{driver.get('name')!r} is not \"coord\"")
    if driver.get("version") != version:
        fail("driver.version", f"{driver.get('version')!r} is not {version!r}")
    rules = driver.get("rules")
    if not isinstance(rules, list) or not rules:
        fail("driver.rules", "missing or empty")
        rules = []
    rule_ids = []
    for i, r in enumerate(rules):
        w = f"rules[{i}]"
        if not obj(r, "reportingDescriptor", w, required=("id",)):
            continue
        if string(r.get("id"), w + ".id") and not re.fullmatch(r"[EW][0-9]{4}", r["id"]):
            fail(w + ".id", f"{r['id']!r} is not a report code")
        rule_ids.append(r.get("id"))
        sd = r.get("shortDescription")
        if obj(sd, "multiformatMessageString", w + ".shortDescription", required=("text",)):
            string(sd.get("text"), w + ".shortDescription.text")
        dc = r.get("defaultConfiguration")
        if obj(dc, "reportingConfiguration", w + ".defaultConfiguration", required=("level",)):
            want = "warning" if str(r.get("id", "")).startswith("W") else "error"
            if dc.get("level") != want:
                fail(w + ".defaultConfiguration.level", f"{dc.get('level')!r}, expected {want!r}")
    if len(set(rule_ids)) != len(rule_ids):
        fail("driver.rules", "duplicate rule ids")

    # ---- column kind and base URIs
    if run.get("columnKind") not in (None, "utf16CodeUnits"):
        fail("run.columnKind", f"{run.get('columnKind')!r}: columns are checked as UTF-16 units")
    bases = run.get("originalUriBaseIds", {})
    if not isinstance(bases, dict):
        fail("run.originalUriBaseIds", "not an object")
        bases = {}
    base_dirs = {}
    for name, loc in bases.items():
        w = f"originalUriBaseIds.{name}"
        if not obj(loc, "artifactLocation", w):
            continue
        if "uriBaseId" in loc:
            fail(w, "a top-level base has no uriBaseId")
        uri = loc.get("uri")
        if uri is None:
            if "description" not in loc:
                fail(w, "neither uri nor description")
            continue
        if not string(uri, w + ".uri") or not URI_CHARS.match(uri):
            fail(w + ".uri", f"{uri!r} is not a URI")
        elif not uri.startswith("file:///") or not uri.endswith("/"):
            fail(w + ".uri", f"{uri!r} is not an absolute file URI ending in '/'")
        else:
            base_dirs[name] = urllib.parse.unquote(uri[len("file://"):])

    # ---- results, against the JSON reports
    results = run.get("results")
    if not isinstance(results, list):
        fail("run.results", "missing")
        return report()
    if len(results) != len(reports):
        fail("run.results", f"{len(results)} results, {len(reports)} JSON reports")
    for i, (res, rep) in enumerate(zip(results, reports)):
        w = f"results[{i}]"
        if not obj(res, "result", w, required=("message",)):
            continue
        rid, ridx = res.get("ruleId"), res.get("ruleIndex")
        if rid != rep["code"]:
            fail(w + ".ruleId", f"{rid!r}, JSON has {rep['code']!r}")
        if not is_int(ridx, -1) or ridx >= len(rules) or rules[ridx].get("id") != rid:
            fail(w + ".ruleIndex", f"{ridx!r} does not index rule {rid!r}")
        if res.get("level") not in LEVELS or res.get("level") != rep["severity"]:
            fail(w + ".level", f"{res.get('level')!r}, JSON has {rep['severity']!r}")
        message(res.get("message"), w + ".message")
        if res.get("message", {}).get("text") != rep["message"]:
            fail(w + ".message.text", f"{res.get('message')!r} != {rep['message']!r}")
        locs = res.get("locations")
        if not isinstance(locs, list) or len(locs) != 1:
            fail(w + ".locations", "expected one location")
            continue
        loc = locs[0]
        obj(loc, "location", w + ".location")
        lls = loc.get("logicalLocations")
        if not isinstance(lls, list) or len(lls) != 1 or \
                not obj(lls[0], "logicalLocation", w + ".logicalLocation") or \
                lls[0].get("fullyQualifiedName") != rep["module"] or lls[0].get("kind") != "module":
            fail(w + ".logicalLocations", f"{lls!r} is not module {rep['module']!r}")
        pl = loc.get("physicalLocation")
        if not obj(pl, "physicalLocation", w + ".physicalLocation", required=("artifactLocation", "region")):
            continue
        al = pl.get("artifactLocation", {})
        if obj(al, "artifactLocation", w + ".artifactLocation", required=("uri", "uriBaseId")):
            uri, base = al.get("uri"), al.get("uriBaseId")
            if not string(uri, w + ".uri") or not URI_CHARS.match(uri) or uri.startswith("/") \
                    or ":" in uri.split("/")[0]:
                fail(w + ".uri", f"{uri!r} is not a relative URI reference")
            elif base not in bases:
                fail(w + ".uriBaseId", f"{base!r} is not in originalUriBaseIds")
            elif base in base_dirs:
                got = os.path.normpath(os.path.join(base_dirs[base], urllib.parse.unquote(uri)))
                # the file itself may be a dangling symbolic link (E0001)
                want = os.path.join(os.path.realpath(os.path.dirname(rep["file"]) or "."),
                                    os.path.basename(rep["file"]))
                if got != want:
                    fail(w + ".uri", f"{base}+{uri!r} is {got}, JSON file is {want}")
        rg = pl.get("region", {})
        if obj(rg, "region", w + ".region", required=("startLine", "startColumn", "endLine", "endColumn")):
            for k in ("startLine", "startColumn", "endLine", "endColumn"):
                if not is_int(rg.get(k), 1):
                    fail(w + ".region." + k, f"{rg.get(k)!r} is not an integer >= 1")
            want = {"startLine": rep["line"], "endLine": rep["end_line"],
                    "startColumn": utf16_col(rep["file"], rep["line"], rep["col"]),
                    "endColumn": utf16_col(rep["file"], rep["end_line"], rep["end_col"])}
            for k, v in want.items():
                if rg.get(k) != v:
                    fail(w + ".region." + k, f"{rg.get(k)!r}, expected {v} (JSON: line {rep['line']} "
                         f"col {rep['col']} end {rep['end_line']}:{rep['end_col']} bytes)")
            if rg.get("endLine", 0) < rg.get("startLine", 0) or (
                    rg.get("endLine") == rg.get("startLine") and rg.get("endColumn", 0) < rg.get("startColumn", 0)):
                fail(w + ".region", "ends before it starts")
    return report()


def report():
    for e in errors[:30]:
        print("sarif_check:", e)
    if len(errors) > 30:
        print(f"sarif_check: ... {len(errors) - 30} more")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
