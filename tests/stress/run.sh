#!/bin/sh
# run.sh PRESET COORD GEN
#
# Generates Kite trees with tools/gen, checks each with COORD at -j1, -j2 and
# -j8 (each run bounded by `timeout`: a hang fails), and requires
#   - (the first -j with an empty result cache, the others warm)
#   - the same exit status and byte-identical standard output (JSON reports
#     and --emit-types) at every -j, and nothing on standard error;
#   - the reports equal to the tree's expected.txt (tests/stress/compare.sh);
#   - exit status 1 when reports are expected, else 0.
#
# PRESET: full  (make stress: 20 000 modules, seven shapes, several seeds)
#         quick (tests/ci_extra.sh: 500 modules, five shapes, with errors)
#         tsan  (2 000 modules with errors and cycles, for a TSan coord)
# Environment: STRESS_TIMEOUT (seconds per run), STRESS_JOBS ("1 2 8"),
# STRESS_KEEP=1 keeps the work directory.
set -eu
export LC_ALL=C
if [ $# -ne 3 ]; then
    echo "usage: run.sh full|quick|tsan COORD GEN" >&2
    exit 2
fi
preset=$1 coord=$2 gen=$3
here=$(cd "$(dirname "$0")" && pwd)
jobs=${STRESS_JOBS:-"1 2 8"}

# shape modules fanout lines seed errors cycles missing
# (shape `topology`: modules names a file here, for gen --topology;
# shape `include-tiny`: gen --shape include --tiny)
case $preset in
full)
    timeout_s=${STRESS_TIMEOUT:-600}
    configs="layered 20000 4 40 1 0 0 0
random  20000 3 40 2 30 5 10
tree    20000 4 30 3 20 3 5
chain   20000 1 30 4 10 2 2
wide    20000 8 30 5 12 2 3
layered 20000 6 40 6 45 4 6
include 20000 4 30 7 20 3 5
include-tiny 20000 3 30 8 25 4 4"
    ;;
quick)
    timeout_s=${STRESS_TIMEOUT:-120}
    configs="layered 500 4 40 11 9 2 3
random  500 3 30 12 6 2 2
tree    500 3 30 13 5 2 1
topology topology.txt 1 40 14 3 1 1
include-tiny 500 4 30 15 6 2 2"
    ;;
tsan)
    timeout_s=${STRESS_TIMEOUT:-600}
    configs="layered 2000 4 30 21 12 3 3
random  2000 3 30 22 9 2 2"
    ;;
*)
    echo "run.sh: unknown preset '$preset'" >&2
    exit 2
    ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/coord-stress.XXXXXX")
if [ "${STRESS_KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
fail=0
now() { date +%s.%N; }

echo "$configs" | while read -r shape n fanout lines seed errors cycles missing; do
    tree=$work/tree
    rm -rf "$tree"
    if [ "$shape" = topology ]; then
        # n names the topology file
        set -- --topology "$here/$n"
    elif [ "$shape" = include-tiny ]; then
        set -- --shape include --tiny --modules "$n"
    else
        set -- --shape "$shape" --modules "$n"
    fi
    "$gen" --out "$tree" "$@" --fanout "$fanout" --lines "$lines" \
        --seed "$seed" --errors "$errors" --cycles "$cycles" --missing "$missing" > /dev/null
    nexp=$(wc -l < "$tree/expected.txt")
    want_rc=0
    [ "$nexp" -gt 0 ] && want_rc=1
    label="$shape n=$n fanout=$fanout seed=$seed errors=$errors cycles=$cycles missing=$missing"
    ref=""
    rm -rf "$work/cache"    # the first -j runs cold and fills it, the others warm
    for j in $jobs; do
        t0=$(now)
        rc=0
        COORD_CACHE_DIR=$work/cache timeout "$timeout_s" "$coord" check -j "$j" --format json --emit-types "$tree" \
            > "$work/out.$j" 2> "$work/err.$j" || rc=$?
        t1=$(now)
        secs=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
        echo "stress: $label -j$j: exit $rc, $(grep -c '^{' "$work/out.$j" || true) reports, ${secs}s"
        if [ "$rc" = 124 ]; then
            echo "stress: FAIL: timed out after ${timeout_s}s ($label -j$j)" >&2
            exit 1
        fi
        if [ "$rc" != "$want_rc" ]; then
            echo "stress: FAIL: exit status $rc, expected $want_rc ($label -j$j)" >&2
            head -n 20 "$work/err.$j" >&2
            exit 1
        fi
        if [ -s "$work/err.$j" ]; then
            echo "stress: FAIL: unexpected standard error ($label -j$j):" >&2
            head -n 20 "$work/err.$j" >&2
            exit 1
        fi
        if [ -z "$ref" ]; then
            ref=$j
            "$here/compare.sh" "$tree/expected.txt" "$work/out.$j" || {
                echo "stress: FAIL: reports differ from expected ($label -j$j)" >&2
                exit 1
            }
        elif ! cmp -s "$work/out.$ref" "$work/out.$j"; then
            echo "stress: FAIL: -j$j output differs from -j$ref ($label)" >&2
            diff "$work/out.$ref" "$work/out.$j" | head -n 20 >&2
            exit 1
        fi
    done
done || fail=1

if [ "$fail" != 0 ]; then
    [ "${STRESS_KEEP:-0}" = 1 ] && echo "stress: work directory kept: $work" >&2
    exit 1
fi
echo "stress ($preset): all runs identical and as expected"
