#!/bin/sh
# ThreadSanitizer end to end (called by `make tsan` with the tsan coord):
#
#   tests/tsan_e2e.sh path/to/tsan/coord [path/to/gen]
#
# Checks a generated 2000-module tree and a few error trees (cycles, missing
# and failed modules: the paths that release waiting modules early) with
# worker threads.  Any TSan report halts the run with exit code 66; the output
# must also equal the -j1 output.  Given tools/gen, it also runs the stress
# suite's tsan preset: 2000-module generated trees with injected errors,
# cycles and missing imports, two seeds, at -j1/-j2/-j8, whose reports must
# equal the generator's expected ones.
set -u
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 path/to/tsan/coord [path/to/gen]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
work=$(mktemp -d /tmp/coord_tsan.XXXXXX)
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap 'rm -rf "$work"' EXIT INT TERM
failed=0

check() {   # name dir expected-status
    "$coord" check -j1 --emit-types "$2" >"$work/ref.out" 2>"$work/ref.err"
    for j in 2 4 8; do
        "$coord" check -j "$j" --emit-types "$2" >"$work/out" 2>"$work/err"
        status=$?
        if [ $status -ne "$3" ] || ! cmp -s "$work/ref.out" "$work/out" ||
           ! cmp -s "$work/ref.err" "$work/err"; then
            echo "FAIL tsan $1 -j$j: exit $status (expected $3)"
            head -30 "$work/err"
            failed=$((failed + 1))
            return
        fi
    done
    echo "ok   tsan $1"
}

"$top/tests/e2e/gen_tree.sh" "$work/gen" 2000
check gen2000 "$work/gen" 0
for c in two_cycles e0401_missing syntax_deep type_error_dep json_format; do
    check "$c" "$top/tests/e2e/$c/src" 1
done
if [ $# -eq 2 ]; then
    "$top/tests/stress/run.sh" tsan "$coord" "$2" || failed=$((failed + 1))
fi
[ $failed -eq 0 ] && echo "tsan e2e: zero reports"
[ $failed -eq 0 ]
