#!/bin/sh
# compare.sh EXPECTED [JSON]
#
# Turns `coord check --format json` output (JSON, or standard input) into one
# line `CODE MODULE LINE` per report, in coord's own order (not re-sorted, so
# the order is checked too), and diffs it against EXPECTED (as written by
# tools/gen).  Exit 0 when equal; else the diff and exit 1.
set -eu
export LC_ALL=C
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: compare.sh EXPECTED [JSON]" >&2
    exit 2
fi
expected=$1
json=${2:--}
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
# Lines that are not JSON objects (e.g. --emit-types output) are skipped.
grep '^{' "$json" | jq -r '"\(.code) \(.module) \(.line)"' > "$actual" || true
if ! diff -u "$expected" "$actual" > "$actual.diff"; then
    echo "compare: reports differ from $expected (- expected, + actual):" >&2
    head -n 40 "$actual.diff" >&2
    rm -f "$actual.diff"
    exit 1
fi
rm -f "$actual.diff"
