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
# Chains (LANGUAGE.md section 6: length is not nesting, no E0111), each
# also checked with --emit-types against its exact types:
#   sum100k    a 100 000-term `+` sum
#   sumerr100k the same with a string as its last term: one E0301, at it
#   concat100k a 100 000-term `++` chain (right associative)
#   mixed100k  100 000 terms of `+ * - / %` in a comparison, `&&` and `||`
#   unary100k  100 000 unary `-`, and 100 000 `!`
#   lets10k    10 000 chained `let ... in`
#   elseif10k  10 000 chained `else if`
#   lambdas10k 10 000 chained lambdas, applied by 10 000 call suffixes
#   calls10k   10 000 call suffixes `id(id)(id)...(5)`
# Every run has a 1 MB stack (ulimit -s 1024, the main thread and the
# workers alike), so a walk that recurses along a chain overflows.
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
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
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
gen_sum100k() {
    awk 'BEGIN { n = 100000; printf "module L exposing (x)\n\nlet x = 1";
        for (i = 1; i < n; i++) printf " + %d", i % 10; printf "\n" }' > "$1/L.kite"
}
types_sum100k='L.x : Int'
gen_sumerr100k() {
    awk 'BEGIN { n = 100000; printf "module L exposing (x)\n\nlet x = 1";
        for (i = 1; i < n - 1; i++) printf " + 1"; printf " + \"s\"\n" }' > "$1/L.kite"
}
types_sumerr100k='L.x : <error>'
gen_concat100k() {
    awk 'BEGIN { n = 100000; printf "module L exposing (x)\n\nlet x = \"a\"";
        for (i = 1; i < n; i++) printf " ++ \"b\""; printf "\n" }' > "$1/L.kite"
}
types_concat100k='L.x : Str'
gen_mixed100k() {
    awk 'BEGIN { n = 100000; split("+ * - / %", op, " "); printf "module L exposing (x)\n\nlet x = 1";
        for (i = 1; i < n; i++) printf " %s %d", op[i % 5 + 1], i % 9 + 1;
        printf " == 0 || 1 < 2 && true\n" }' > "$1/L.kite"
}
types_mixed100k='L.x : Bool'
gen_unary100k() {
    awk 'BEGIN { n = 100000; printf "module L exposing (x, b)\n\nlet x = ";
        for (i = 0; i < n; i++) printf "-"; printf "1\nlet b = ";
        for (i = 0; i < n; i++) printf "!"; printf "true\n" }' > "$1/L.kite"
}
types_unary100k='L.x : Int
L.b : Bool'
gen_lets10k() {
    awk 'BEGIN { n = 10000; printf "module L exposing (x)\n\nlet x =\n  let a0 = 0 in\n";
        for (i = 1; i < n; i++) printf "  let a%d = a%d + 1 in\n", i, i - 1; printf "  a%d\n", n - 1 }' > "$1/L.kite"
}
types_lets10k='L.x : Int'
gen_elseif10k() {
    awk 'BEGIN { n = 10000; printf "module L exposing (f)\n\nfn f(x) =\n";
        for (i = 0; i < n; i++) printf "  %sif x == %d then \"v%d\"\n", i ? "else " : "", i, i;
        printf "  else \"other\"\n" }' > "$1/L.kite"
}
types_elseif10k='L.f : Int -> Str'
gen_lambdas10k() {
    awk 'BEGIN { n = 10000; printf "module L exposing (y)\n\nlet y = (\n";
        for (i = 0; i < n; i++) printf "  fn(x%d) ->\n", i; printf "  x0 + x%d\n)", n - 1;
        for (i = 0; i < n; i++) printf "(%d)", i; printf "\n" }' > "$1/L.kite"
}
types_lambdas10k='L.y : Int'
gen_calls10k() {
    awk 'BEGIN { n = 10000; printf "module L exposing (id, y)\n\nfn id(x) = x\nlet y = id";
        for (i = 1; i < n; i++) printf "(id)"; printf "(5)\n" }' > "$1/L.kite"
}
types_calls10k='L.id : a -> a
L.y : Int'

# One run of coord with a 1 MB stack and the time limit: run ARGS...
run() {
    (ulimit -s 1024 && exec timeout "$timeout_s" "$coord" "$@")
}

# name: expected exit status and number of report lines (JSON)
for spec in "arms100k 0 0" "arms40k 0 0" "ctors20k 0 0" "imports30k 0 0" "params100k 0 0" "tuple40k 0 0" \
            "sum100k 0 0" "sumerr100k 1 1" "concat100k 0 0" "mixed100k 0 0" "unary100k 0 0" \
            "lets10k 0 0" "elseif10k 0 0" "lambdas10k 0 0" "calls10k 0 0"; do
    set -- $spec
    name=$1 want_rc=$2 want_reports=$3
    root=$work/$name
    mkdir -p "$root"
    "gen_$name" "$root"
    rc=0 bad=0
    t0=$(date +%s.%N)
    run check --no-cache --format json "$root" > "$work/out" 2> "$work/err" || rc=$?
    secs=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
    got=$(grep -c '^{' "$work/out" || true)
    if [ "$rc" != "$want_rc" ] || [ "$got" != "$want_reports" ] || [ -s "$work/err" ]; then
        echo "long: FAIL $name: exit $rc (want $want_rc), $got reports (want $want_reports), ${secs}s" >&2
        head -n 5 "$work/err" >&2
        fail=1
        rm -rf "$root"
        continue
    fi
    # The types, exactly (and the one report of sumerr100k, at its string).
    eval "want_types=\${types_$name:-}"
    if [ -n "$want_types" ]; then
        rc=0
        run check --no-cache --emit-types "$root" > "$work/types" 2> "$work/err" || rc=$?
        printf '%s\n' "$want_types" > "$work/want"
        if [ "$rc" != "$want_rc" ] || ! cmp -s "$work/types" "$work/want"; then
            echo "long: FAIL $name: --emit-types exit $rc (want $want_rc), types differ:" >&2
            diff "$work/want" "$work/types" | head -n 5 >&2
            bad=1
        fi
        if [ "$name" = sumerr100k ] &&
           ! grep -q '^.*/L.kite:3:400005: error\[E0301\]: type mismatch: expected Int, found Str$' "$work/err"; then
            echo "long: FAIL $name: the E0301 is not at the string:" >&2
            head -n 1 "$work/err" >&2
            bad=1
        fi
    fi
    if [ "$bad" = 0 ]; then echo "long: ok   $name (${secs}s)"; else fail=1; fi
    rm -rf "$root"
done
[ "$fail" = 0 ] || { echo "long: FAILED" >&2; exit 1; }
echo "long: every long list checked in time"
