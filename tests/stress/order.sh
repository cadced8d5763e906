#!/bin/sh
# order.sh COORD GEN — the output of a build does not depend on the order of
# the files in its directories (LANGUAGE.md section 9).
#
# Writes one generated tree (with errors, a cycle and a missing import) twice:
# files created in sorted order, and in reverse order.  On tmpfs (/dev/shm,
# used when present) a directory lists its entries in reverse creation order,
# so the two copies list differently; the script checks that they do, then
# requires byte-identical JSON reports and --emit-types at -j1 and -j8.
set -eu
export LC_ALL=C
[ $# -eq 2 ] || { echo "usage: order.sh COORD GEN" >&2; exit 2; }
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
gen=$2
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/coord-order.XXXXXX")
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap 'rm -rf "$work"' EXIT INT TERM

"$gen" --out "$work/src" --modules 300 --shape random --fanout 3 --lines 25 --seed 7 \
    --errors 4 --cycles 1 --missing 1 >/dev/null
rm -f "$work/src/expected.txt"
copy() {   # copy() DEST sort-flags: recreate every file in the given order
    (cd "$work/src" && find . -name '*.kite' | sort $2) | while read -r f; do
        mkdir -p "$1/$(dirname "$f")"
        cp "$work/src/$f" "$1/$f"
    done
}
copy "$work/up" ""
copy "$work/down" "-r"
a=$(cd "$work/up" && find . -type f | head -20 | tr '\n' ' ')
b=$(cd "$work/down" && find . -type f | head -20 | tr '\n' ' ')
if [ "$a" = "$b" ]; then
    echo "order: note: this file system lists both copies alike; the check is weaker here"
fi
(cd "$work/up" && "$coord" check -j1 --format json --emit-types . >"$work/ref" 2>&1) || true
for j in 1 8; do
    (cd "$work/down" && "$coord" check -j"$j" --format json --emit-types . >"$work/out" 2>&1) || true
    if ! cmp -s "$work/ref" "$work/out"; then
        echo "FAIL order: output differs with reversed directory order at -j$j"
        diff "$work/ref" "$work/out" | head -20
        exit 1
    fi
done
[ -s "$work/ref" ] || { echo "FAIL order: empty output"; exit 1; }
echo "order: reversed directory order gives identical output at -j1 and -j8 ($(grep -c '"code"' "$work/ref") reports)"
