#!/bin/sh
# run.sh COORD
#
# Hostile inputs next to a good module.  Each case builds a source root with
# Good/Main.kite plus one bad file, runs `coord check --format json
# --emit-types` on it (bounded by `timeout`), and requires
#   - exactly the expected reports, as `CODE MODULE LINE` lines;
#   - the expected exit status (1 with errors, 0 without);
#   - the good module unaffected: its --emit-types line is printed;
#   - nothing from the sanitizers (ASan/LSan/UBSan) on standard error.
# Big inputs (50 MB file, a million parentheses) are generated here, never
# committed.  A last run puts every bad file in one root together.
set -eu
export LC_ALL=C
if [ $# -ne 1 ]; then
    echo "usage: run.sh COORD" >&2
    exit 2
fi
coord=$1
timeout_s=${BADINPUT_TIMEOUT:-120}
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-badinput.XXXXXX")
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap 'rm -rf "$work"' EXIT
all=$work/all
mkdir -p "$all/Good" "$all/Bad"
good_types="Good.Main.answer : Int -> Int"
cat > "$all/Good/Main.kite" <<'KITE'
module Good.Main exposing (answer)

fn answer(x: Int) -> Int = x + 1
KITE

# Each maker writes the bad file(s) under $1 (a root).  The expected reports
# of each case are in its expect_* function, one `CODE MODULE LINE` a line.
make_nul() {
    printf 'module Bad.Nul exposing (f)\n\nfn f(x: Int) -> Int = x\000 + 1\n' > "$1/Bad/Nul.kite"
}
expect_nul() { echo "E0002 Bad.Nul 3"; }

make_utf8() {
    printf 'module Bad.Utf exposing (s)\n\n# caf\303\251 is fine\nlet s = "\377\376"\n' > "$1/Bad/Utf.kite"
}
expect_utf8() { echo "E0002 Bad.Utf 4"; }

# 50 MB: 500 000 lines of about 100 bytes, a function every 1000 lines, and
# a type error on the very last line (so the whole file was read and checked).
big_lines=500000
make_big() {
    {
        echo 'module Bad.Big exposing (last)'
        awk -v n="$big_lines" 'BEGIN {
            pad = "# padding padding padding padding padding padding padding padding padding padding padding pad padding pad";
            for (i = 1; i <= n; i++) {
                if (i % 1000 == 0) printf "fn g%d(x: Int) -> Int = x + %d  # padding padding padding padding padding padding pad padding padding\n", i, i;
                else print pad;
            }
        }'
        echo 'fn last(x: Int) -> Int = x + "oops"'
    } > "$1/Bad/Big.kite"
}
expect_big() { echo "E0301 Bad.Big $((big_lines + 2))"; }

make_deep() {
    {
        printf 'module Bad.Deep exposing (x)\n\nlet x = '
        awk 'BEGIN { s = "(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("; for (i = 0; i < 10000; i++) printf "%s", s }'
        printf '1'
        awk 'BEGIN { s = "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))"; for (i = 0; i < 10000; i++) printf "%s", s }'
        printf '\n'
    } > "$1/Bad/Deep.kite"
}
expect_deep() { echo "E0111 Bad.Deep 3"; }

long_id=$(awk 'BEGIN { for (i = 0; i < 100000; i++) printf "a"; }')
make_long() {
    printf 'module Bad.Long exposing (%s, y)\n\nlet %s = 1\nlet y = %s + 1\n' \
        "$long_id" "$long_id" "$long_id" > "$1/Bad/Long.kite"
}
expect_long() { :; }
types_long="Bad.Long.y : Int"

make_empty() { : > "$1/Bad/Empty.kite"; }
expect_empty() { echo "E0112 Bad.Empty 1"; }

make_dir() { mkdir -p "$1/Bad/Dir.kite"; }
expect_dir() { echo "E0001 Bad.Dir 1"; }

make_dangling() { ln -s does-not-exist.kite "$1/Bad/Dangling.kite"; }
expect_dangling() { echo "E0001 Bad.Dangling 1"; }

# A file symlink loop (Loop.kite -> loop.b -> Loop.kite) and a directory
# symlink loop (Bad/again -> .): the walk must end, the file gives E0001.
make_loop() {
    ln -s loop.b "$1/Bad/Loop.kite"
    ln -s Loop.kite "$1/Bad/loop.b"
    ln -s . "$1/Bad/again"
}
expect_loop() { echo "E0001 Bad.Loop 1"; }

make_mismatch() {
    printf 'module Bad.Right exposing (z)\n\nlet z = 1\n' > "$1/Bad/Wrong.kite"
}
expect_mismatch() { echo "E0403 Bad.Right 1"; }

# A type whose depth doubles with each function (65 536 nested Box): every
# walk of a type (unify, export, hash, print) must not recurse that deep.
make_deeptype() {
    {
        printf 'module Bad.DeepType exposing (f16)\n\ntype Box(a) = Box(a)\nfn f0(x) = Box(x)\n'
        awk 'BEGIN { for (k = 0; k < 16; k++) printf "fn f%d(x) = f%d(f%d(x))\n", k + 1, k, k }'
    } > "$1/Bad/DeepType.kite"
}
expect_deeptype() { :; }
types_deeptype="Bad.DeepType.f2 : a -> Box(Box(Box(Box(a))))"

# A type that doubles with each line: 2^28 leaves as a tree, 29 nodes as a
# DAG.  Its printed form is cut at TY_PRINT_LIMIT bytes and ends with "...".
make_exptype() {
    {
        printf 'module Bad.Exp exposing (a28)\n\nlet a0 = 1\n'
        awk 'BEGIN { for (k = 0; k < 28; k++) printf "let a%d = (a%d, a%d)\n", k + 1, k, k }'
    } > "$1/Bad/Exp.kite"
}
expect_exptype() { :; }
types_exptype="Bad.Exp.a2 : ((Int, Int), (Int, Int))"

# A FIFO must not block the walk or the read (open with O_NONBLOCK).
make_fifo() { mkfifo "$1/Bad/Fifo.kite"; }
expect_fifo() { echo "E0001 Bad.Fifo 1"; }

# Length is not nesting: a 40 000-element tuple pattern (exhaustiveness and
# the bound-twice check walk it without recursion or quadratic time), and a
# 100 000-arm match of literals with one repeated arm (W0306 at its line).
make_widetuple() {
    awk 'BEGIN { n = 40000;
        printf "module Bad.Wide exposing (f)\n\nfn f(t) = match t {\n  (";
        for (i = 0; i < n; i++) printf "%sx%d", i ? ", " : "", i;
        printf ") -> x0,\n}\n" }' > "$1/Bad/Wide.kite"
}
expect_widetuple() { :; }
make_manyarms() {
    awk 'BEGIN { n = 100000;
        printf "module Bad.Arms exposing (f)\n\nfn f(x) = match x {\n";
        for (i = 0; i < n; i++) printf "  %d -> %d,\n", i == 50000 ? 7 : i, i;
        printf "}\n" }' > "$1/Bad/Arms.kite"
}
expect_manyarms() { echo "E0305 Bad.Arms 3"; echo "W0306 Bad.Arms 50004"; }

cases="nul utf8 big deep long empty dir dangling loop mismatch fifo deeptype exptype widetuple manyarms"
fail=0

# run_case NAME ROOT EXPECTED_FILE TYPES_LINE...
run_case() {
    name=$1 root=$2 expected=$3
    shift 3
    want_rc=0
    [ -s "$expected" ] && want_rc=1
    rc=0
    t0=$(date +%s.%N)
    timeout "$timeout_s" "$coord" check -j 2 --format json --emit-types "$root" \
        > "$work/out" 2> "$work/err" || rc=$?
    secs=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
    grep '^{' "$work/out" | jq -r '"\(.code) \(.module) \(.line)"' > "$work/got" || true
    ok=1
    if [ "$rc" != "$want_rc" ]; then
        echo "badinput: FAIL $name: exit status $rc, expected $want_rc" >&2
        ok=0
    fi
    if ! diff -u "$expected" "$work/got" > "$work/diff"; then
        echo "badinput: FAIL $name: reports differ (- expected, + actual):" >&2
        head -n 20 "$work/diff" >&2
        ok=0
    fi
    for line in "$good_types" "$@"; do
        if ! grep -qxF "$line" "$work/out"; then
            echo "badinput: FAIL $name: missing types line: $line" >&2
            ok=0
        fi
    done
    # printed types are bounded (TY_PRINT_LIMIT = 1 MiB, then "...")
    if awk 'length > 1048576 + 4096 { exit 1 }' "$work/out"; then :; else
        echo "badinput: FAIL $name: an output line is longer than the type print bound" >&2
        ok=0
    fi
    if grep -q 'Sanitizer\|runtime error' "$work/err"; then
        echo "badinput: FAIL $name: sanitizer report:" >&2
        head -n 30 "$work/err" >&2
        ok=0
    fi
    if [ "$ok" = 1 ]; then
        echo "badinput: ok   $name (${secs}s)"
    else
        fail=1
    fi
}

: > "$work/expected_all"
for c in $cases; do
    root=$work/case_$c
    mkdir -p "$root/Good" "$root/Bad"
    cp "$all/Good/Main.kite" "$root/Good/Main.kite"
    "make_$c" "$root"
    "expect_$c" > "$work/expected_$c"
    cat "$work/expected_$c" >> "$work/expected_all"
    if [ "$c" = long ]; then
        run_case "$c" "$root" "$work/expected_$c" "$types_long"
    elif [ "$c" = deeptype ]; then
        run_case "$c" "$root" "$work/expected_$c" "$types_deeptype"
    elif [ "$c" = exptype ]; then
        run_case "$c" "$root" "$work/expected_$c" "$types_exptype"
        if ! grep -q '^Bad\.Exp\.a28 : ((((((.*\.\.\.$' "$work/out"; then
            echo "badinput: FAIL exptype: Bad.Exp.a28 is not printed cut with ..." >&2
            fail=1
        fi
    else
        run_case "$c" "$root" "$work/expected_$c"
    fi
    rm -rf "$root"
    "make_$c" "$all"
done
# All together: reports in coord's order (module name, line, code).
sort -k2,2 -k3,3n -k1,1 "$work/expected_all" > "$work/expected_sorted"
run_case all "$all" "$work/expected_sorted" "$types_long" "$types_deeptype" "$types_exptype"

if [ "$fail" != 0 ]; then
    echo "badinput: FAILED" >&2
    exit 1
fi
echo "badinput: all cases gave exactly their reports"
