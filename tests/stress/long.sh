#!/bin/sh
# long.sh COORD
#
# Length is not nesting (LANGUAGE.md section 6): long lists must check in
# near-linear time.  Each case is one generated module (the imports case
# adds the modules it imports); every run is bounded by `timeout` (a
# quadratic or a stack overflow fails) and must end with the expected exit
# status and report count.  Prints each case's wall time (README table).
#   arms100k   a 100 000-arm match of integer literals (+ a wildcard)
#   arms40k    a 40 000-arm match of a 40 000-constructor type
#   ctors20k   a type of 20 000 constructors, matched arm by arm
#   imports30k 30 000 imports (30 000 one-line modules), each used qualified
#   params100k a function of 100 000 parameters, called once
#   tuple40k   a 40 000-element tuple pattern
# Environment: LONG_TIMEOUT (seconds per case, default 60).
set -eu
export LC_ALL=C
if [ $# -ne 1 ]; then
    echo "usage: long.sh COORD" >&2
    exit 2
fi
coord=$1
timeout_s=${LONG_TIMEOUT:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-long.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0

gen_arms100k() {
    awk 'BEGIN { n = 100000; printf "module L exposing (f)\n\nfn f(x) = match x {\n";
        for (i = 0; i < n; i++) printf "  %d -> %d,\n", i, i; printf "  _ -> 0,\n}\n" }' > "$1/L.kite"
}
gen_arms40k() {
    awk 'BEGIN { n = 40000; printf "module L exposing (f)\n\ntype T = ";
        for (i = 0; i < n; i++) printf "%sK%d", i ? " | " : "", i;
        printf "\nfn f(t) = match t {\n"; for (i = 0; i < n; i++) printf "  K%d -> %d,\n", i, i; printf "}\n" }' > "$1/L.kite"
}
gen_ctors20k() {
    awk 'BEGIN { n = 20000; printf "module L exposing (T(..), f)\n\ntype T = ";
        for (i = 0; i < n; i++) printf "%sK%d(Int)", i ? " | " : "", i;
        printf "\nfn f(t) = match t {\n"; for (i = 0; i < n; i++) printf "  K%d(x) -> x,\n", i; printf "}\n" }' > "$1/L.kite"
}
gen_imports30k() {
    awk -v dir="$1" 'BEGIN { n = 30000; f = dir "/L.kite";
        printf "module L exposing (x0)\n\n" > f;
        for (i = 0; i < n; i++) {
            printf "import M%d\n", i > f;
            printf "module M%d exposing (v)\n\nlet v = %d\n", i, i > (dir "/M" i ".kite");
            close(dir "/M" i ".kite");
        }
        for (i = 0; i < n; i++) printf "let x%d = M%d.v\n", i, i > f }'
}
gen_params100k() {
    awk 'BEGIN { n = 100000; printf "module L exposing (f, y)\n\nfn f(";
        for (i = 0; i < n; i++) printf "%sp%d", i ? ", " : "", i; printf ") = p0 + p%d\nlet y = f(", n - 1;
        for (i = 0; i < n; i++) printf "%s%d", i ? ", " : "", i; printf ")\n" }' > "$1/L.kite"
}
gen_tuple40k() {
    awk 'BEGIN { n = 40000; printf "module L exposing (f)\n\nfn f(t) = match t {\n  (";
        for (i = 0; i < n; i++) printf "%sx%d", i ? ", " : "", i; printf ") -> x0 + x%d,\n}\n", n - 1 }' > "$1/L.kite"
}

# name: expected exit status and number of report lines (JSON)
for spec in "arms100k 0 0" "arms40k 0 0" "ctors20k 0 0" "imports30k 0 0" "params100k 0 0" "tuple40k 0 0"; do
    set -- $spec
    name=$1 want_rc=$2 want_reports=$3
    root=$work/$name
    mkdir -p "$root"
    "gen_$name" "$root"
    rc=0
    t0=$(date +%s.%N)
    timeout "$timeout_s" "$coord" check --no-cache --format json "$root" > "$work/out" 2> "$work/err" || rc=$?
    secs=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
    got=$(grep -c '^{' "$work/out" || true)
    if [ "$rc" != "$want_rc" ] || [ "$got" != "$want_reports" ] || [ -s "$work/err" ]; then
        echo "long: FAIL $name: exit $rc (want $want_rc), $got reports (want $want_reports), ${secs}s" >&2
        head -n 5 "$work/err" >&2
        fail=1
    else
        echo "long: ok   $name (${secs}s)"
    fi
    rm -rf "$root"
done
[ "$fail" = 0 ] || { echo "long: FAILED" >&2; exit 1; }
echo "long: every long list checked in time"
