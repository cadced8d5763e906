#!/bin/sh
# Golden end-to-end tests of `coord` (called by `make golden`):
#
#   tests/golden/run.sh path/to/coord
#
# 1. Every tests/e2e/<case>/ holds a source tree, `args` (the command line
#    after `coord`, run from the case directory) and `expected` (exit status,
#    stdout and stderr).  Each case runs at -j1, -j2 and -j8; the three outputs
#    must be identical and equal to `expected`.  Each case has a fresh
#    result cache: -j1 runs cold and fills it, -j2 and -j8 run warm.  COORD_UPDATE_GOLDEN=1
#    rewrites `expected` from the -j1 run instead (review every diff by eye).
# 2. A generated tree of 2000 modules (tests/e2e/gen_tree.sh) checks clean
#    at -j1, -j2 and -j8 with identical --emit-types output.
# 3. examples/driver.c, the README's embedding example, is compiled against
#    the same libcoord.a and run on examples/.
# 4. tests/golden/obs.sh: --stats, --trace and the terminal progress line.
# 5. tests/cli/toolchain.sh: --version and the build id, and the rest of
#    issue 16 that needs only the binary.
# 6. tests/cli/watch.sh: coord check --watch end to end.
set -u
[ $# -eq 1 ] || { echo "usage: $0 path/to/coord" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$coord" ] || { echo "golden: $coord is not executable" >&2; exit 2; }
work=$(mktemp -d /tmp/coord_golden.XXXXXX)
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap 'rm -rf "$work"' EXIT INT TERM
failed=0
cases=0

run_case() {   # dir jobs outfile cache-dir
    (
        cd "$1" || exit 1
        # shellcheck disable=SC2046
        COORD_CACHE_DIR=$4 "$coord" $(cat args) -j "$2" >"$work/stdout" 2>"$work/stderr"
        echo "exit: $?"
        echo "--- stdout"
        # SARIF logs name directories by absolute file: URI (the case's own
        # directory, spelled CASEDIR in expected files)
        sed "s|file://$(pwd -P)/|file://CASEDIR/|g" "$work/stdout"
        echo "--- stderr"
        cat "$work/stderr"
    ) >"$3"
}

for dir in "$top"/tests/e2e/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    [ -f "$dir/args" ] || continue
    cases=$((cases + 1))
    # a fresh cache per case: -j1 runs cold (and fills it), -j2 and -j8 warm
    for j in 1 2 8; do
        run_case "$dir" "$j" "$work/$name.j$j" "$work/cache.$name"
    done
    if [ "${COORD_UPDATE_GOLDEN:-}" = 1 ]; then
        cp "$work/$name.j1" "$dir/expected"
    fi
    ok=1
    for j in 2 8; do
        if ! cmp -s "$work/$name.j1" "$work/$name.j$j"; then
            echo "FAIL $name: -j$j differs from -j1"
            diff "$work/$name.j1" "$work/$name.j$j" | head -20
            ok=0
        fi
    done
    if [ ! -f "$dir/expected" ]; then
        echo "FAIL $name: no expected file (run with COORD_UPDATE_GOLDEN=1 and review it)"
        ok=0
    elif ! cmp -s "$dir/expected" "$work/$name.j1"; then
        echo "FAIL $name: output differs from expected"
        diff "$dir/expected" "$work/$name.j1" | head -40
        ok=0
    fi
    if [ $ok = 1 ]; then echo "ok   $name"; else failed=$((failed + 1)); fi
done

# ---- 2000 generated modules
"$top/tests/e2e/gen_tree.sh" "$work/gen" 2000
gen_ok=1
for j in 1 2 8; do
    COORD_CACHE_DIR=$work/cache.gen "$coord" check -j "$j" --emit-types "$work/gen" \
        >"$work/gen.out$j" 2>"$work/gen.err$j"
    status=$?
    if [ $status -ne 0 ] || [ -s "$work/gen.err$j" ]; then
        echo "FAIL gen2000: -j$j exit $status"
        head -5 "$work/gen.err$j"
        gen_ok=0
    fi
done
lines=$(wc -l <"$work/gen.out1")
if [ "$lines" -ne 6000 ]; then
    echo "FAIL gen2000: $lines type lines, expected 6000"
    gen_ok=0
fi
if ! cmp -s "$work/gen.out1" "$work/gen.out2" || ! cmp -s "$work/gen.out1" "$work/gen.out8"; then
    echo "FAIL gen2000: --emit-types differs between -j values"
    gen_ok=0
fi
cases=$((cases + 1))
if [ $gen_ok = 1 ]; then echo "ok   gen2000 (2000 modules, -j1/-j2/-j8 identical)"; else failed=$((failed + 1)); fi

# ---- the embedding example
cases=$((cases + 1))
libdir=$(dirname "$coord")
flags="-O1 -g"
case "$libdir" in
    */asan) flags="$flags -fsanitize=address,undefined -fno-sanitize-recover=all" ;;
    */tsan) flags="$flags -fsanitize=thread" ;;
esac
# shellcheck disable=SC2086
if ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $flags -I"$top/include" \
        "$top/examples/driver.c" "$libdir/libcoord.a" -lhiredis -lpthread -lm -o "$work/driver" &&
   (cd "$top" && "$work/driver" examples >"$work/driver.out" 2>"$work/driver.err") &&
   [ ! -s "$work/driver.err" ] &&
   grep -qx "Main: 5 values" "$work/driver.out" &&
   [ "$(wc -l <"$work/driver.out")" -eq 6 ]; then
    echo "ok   driver (examples/driver.c)"
else
    echo "FAIL driver (examples/driver.c)"
    cat "$work/driver.out" "$work/driver.err" 2>/dev/null | head -20
    failed=$((failed + 1))
fi

# ---- observability: --stats, --trace, the progress line (tests/golden/obs.sh)
cases=$((cases + 1))
if "$top/tests/golden/obs.sh" "$coord"; then echo "ok   obs"; else echo "FAIL obs"; failed=$((failed + 1)); fi

# ---- toolchain: --version and the build id, colour, summary line, SARIF
# (tests/cli/toolchain.sh)
cases=$((cases + 1))
if "$top/tests/cli/toolchain.sh" "$coord"; then echo "ok   toolchain"; else echo "FAIL toolchain"; failed=$((failed + 1)); fi

# ---- coord check --watch end to end (tests/cli/watch.sh)
cases=$((cases + 1))
if "$top/tests/cli/watch.sh" "$coord"; then echo "ok   watch"; else echo "FAIL watch"; failed=$((failed + 1)); fi

echo "golden: $((cases - failed))/$cases passed"
[ $failed -eq 0 ]
