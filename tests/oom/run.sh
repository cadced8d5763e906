#!/bin/sh
# run.sh full|quick COORD GEN
#
# Allocation-failure walk (DESIGN.md section 4).  COORD must be a
# COORD_TESTING build (asan): COORD_FAIL_ALLOC=N makes its Nth allocation
# fail.  On a generated tree of about 30 modules with errors and missing
# imports, for N = 1, 2, ... at -j1 (deterministic), every run must end
# cleanly:
#   - no sanitizer report (no crash, no leak: LSan runs at exit), no hang;
#   - either the failpoint hit nothing: exit status and output exactly as in
#     the clean run;
#   - or exit status 3 and either
#       * one or more E0901 reports, on the modules whose task failed; every
#         other report is an expected one, and every expected report of a
#         module without E0901 is there ("other modules' reports intact");
#       * or, when the coordinator's own memory ran out, no reports at all
#         and "out of memory" on standard error.
# The walk ends after OOM_TAIL consecutive runs equal to the clean run (the
# failpoint is then past the last allocation).  Then a sample of N at -j2,
# where which task fails depends on timing, with the same rules.
# quick: a 12-module tree (tests/ci_extra.sh).  OOM_STRIDE=k walks every
# k-th N only.
set -eu
export LC_ALL=C
if [ $# -ne 3 ]; then
    echo "usage: run.sh full|quick COORD GEN" >&2
    exit 2
fi
preset=$1 coord=$2 gen=$3
here=$(cd "$(dirname "$0")" && pwd)
case $preset in
full)  modules=30 stride=${OOM_STRIDE:-1} sample=${OOM_J2_SAMPLE:-60} ;;
quick) modules=12 stride=${OOM_STRIDE:-1} sample=${OOM_J2_SAMPLE:-15} ;;
*) echo "run.sh: unknown preset '$preset'" >&2; exit 2 ;;
esac
tail_len=${OOM_TAIL:-25}
timeout_s=${OOM_TIMEOUT:-60}
# Sanitizer findings must be told apart from exit status 1 (errors in the
# sources): give them their own exit status too.
export ASAN_OPTIONS="exitcode=86:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

work=$(mktemp -d "${TMPDIR:-/tmp}/coord-oom.XXXXXX")
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap 'rm -rf "$work"' EXIT
tree=$work/tree
"$gen" --out "$tree" --shape layered --modules "$modules" --fanout 3 --lines 25 \
    --seed 5 --errors 4 --missing 2 > /dev/null

# OOM_CACHE: none (default: --no-cache), cold (an empty result cache for
# every run: every lookup misses, every result is written), warm (a copy of
# a warm cache for every run: results are loaded, validated and reused) or
# stale (a copy of that warm cache after every source was edited: each is
# read for a lookup that finds nothing, then parsed).
# remote-cold and remote-warm: the same with a remote cache too (run under
# tests/remote/run.sh, whose server REDIS_URL / REDIS_SOCK name): an empty
# local cache and an empty server for every run (every result is written to
# both), or an empty local cache and a server filled once (machine B: every
# module fetched).
cache_mode=${OOM_CACHE:-none}
case $cache_mode in
remote-*)
    if [ -z "${REDIS_URL:-}" ] || [ -z "${REDIS_SOCK:-}" ]; then
        echo "run.sh: OOM_CACHE=$cache_mode needs a server: run me through tests/remote/run.sh" >&2
        exit 2
    fi ;;
esac
prepare_cache() {
    case $cache_mode in
    none) cache_args=--no-cache ;;
    cold) rm -rf "$work/cache"; cache_args="--cache-dir $work/cache" ;;
    warm|stale) rm -rf "$work/cache"; cp -R "$work/warm" "$work/cache"; cache_args="--cache-dir $work/cache" ;;
    remote-cold)
        rm -rf "$work/cache"
        redis-cli -s "$REDIS_SOCK" flushall >/dev/null
        cache_args="--cache-dir $work/cache --remote-cache $REDIS_URL" ;;
    remote-warm)
        rm -rf "$work/cache"
        cache_args="--cache-dir $work/cache --remote-cache $REDIS_URL" ;;
    *) echo "run.sh: unknown OOM_CACHE '$cache_mode'" >&2; exit 2 ;;
    esac
}
if [ "$cache_mode" = warm ] || [ "$cache_mode" = stale ]; then
    # Sources older than the stat manifest's racy window (workers/manifest.h),
    # so the warm runs take their keys from it and read a source only for
    # its reports: those reads fail too.
    find "$tree" -type f -exec touch -d '-1 hour' {} +
    sleep 3
    "$coord" check -j1 --cache-dir "$work/warm" "$tree" >/dev/null 2>&1 || true
fi
if [ "$cache_mode" = stale ]; then      # a comment more: new keys, no manifest hit
    find "$tree" -name '*.kite' -exec sh -c 'for f; do echo "# edited" >>"$f"; done' sh {} +
fi
if [ "$cache_mode" = remote-warm ]; then
    redis-cli -s "$REDIS_SOCK" flushall >/dev/null
    "$coord" check -j1 --cache-dir "$work/warm" --remote-cache "$REDIS_URL" "$tree" >/dev/null 2>&1 || true
fi

unset COORD_FAIL_ALLOC COORD_FAIL_ALLOC_STICKY || true
clean_rc=0
prepare_cache
timeout "$timeout_s" "$coord" check -j1 $cache_args --format json "$tree" > "$work/clean" 2> "$work/clean.err" || clean_rc=$?
if [ "$clean_rc" != 1 ] || [ -s "$work/clean.err" ]; then
    echo "oom: FAIL: the clean run exited $clean_rc (expected 1)" >&2
    cat "$work/clean.err" >&2
    exit 1
fi
"$here/../stress/compare.sh" "$tree/expected.txt" "$work/clean" || {
    echo "oom: FAIL: the clean run differs from expected" >&2
    exit 1
}

sort "$tree/expected.txt" > "$work/exp_sorted"

# check_run N JOBS: 0 = failpoint hit nothing, 3 = a clean failure; else
# prints why and returns 1.
check_run() {
    n=$1 j=$2
    rc=0
    prepare_cache
    COORD_FAIL_ALLOC=$n timeout "$timeout_s" "$coord" check -j "$j" $cache_args --format json "$tree" \
        > "$work/out" 2> "$work/err" || rc=$?
    if grep -q 'Sanitizer\|runtime error' "$work/err" || [ "$rc" = 86 ] || [ "$rc" = 87 ]; then
        echo "oom: FAIL: N=$n -j$j: sanitizer report (exit $rc):" >&2
        head -n 40 "$work/err" >&2
        return 1
    fi
    if [ "$rc" = 124 ]; then
        echo "oom: FAIL: N=$n -j$j: timed out" >&2
        return 1
    fi
    if [ "$rc" = "$clean_rc" ] && cmp -s "$work/out" "$work/clean"; then
        return 0
    fi
    if [ "$rc" != 3 ]; then
        echo "oom: FAIL: N=$n -j$j: exit status $rc, expected 3 or as the clean run" >&2
        head -n 20 "$work/out" "$work/err" >&2
        return 1
    fi
    grep '^{' "$work/out" | jq -r '"\(.code) \(.module) \(.line)"' > "$work/got" || true
    grep '^E090' "$work/got" | grep -v '^E0901 ' > "$work/other09" || true
    if [ -s "$work/other09" ]; then
        echo "oom: FAIL: N=$n -j$j: an E09xx other than E0901:" >&2
        cat "$work/other09" >&2
        return 1
    fi
    grep '^E0901 ' "$work/got" | cut -d' ' -f2 | sort -u > "$work/failed" || true
    if [ ! -s "$work/failed" ]; then
        if [ -s "$work/got" ] || ! grep -q 'out of memory' "$work/err"; then
            echo "oom: FAIL: N=$n -j$j: exit 3 without E0901 and not a clean coordinator OOM:" >&2
            head -n 20 "$work/out" "$work/err" >&2
            return 1
        fi
        return 3
    fi
    # one failing allocation at -j1 fails exactly one task
    if [ "$j" = 1 ] && [ "$(grep -c '^E0901 ' "$work/got")" != 1 ]; then
        echo "oom: FAIL: N=$n -j1: more than one E0901 for one failed allocation:" >&2
        grep '^E0901 ' "$work/got" >&2
        return 1
    fi
    # every non-E0901 report is expected
    grep -v '^E0901 ' "$work/got" | sort > "$work/got_other" || true
    extra=$(comm -23 "$work/got_other" "$work/exp_sorted")
    if [ -n "$extra" ]; then
        echo "oom: FAIL: N=$n -j$j: unexpected reports:" >&2
        echo "$extra" >&2
        return 1
    fi
    # every expected report of a module without E0901 is there
    lost=$(awk 'NR == FNR { failed[$1] = 1; next } !($2 in failed)' "$work/failed" "$work/exp_sorted" \
           | comm -23 - "$work/got_other")
    if [ -n "$lost" ]; then
        echo "oom: FAIL: N=$n -j$j: reports of intact modules lost (E0901 on $(tr '\n' ' ' < "$work/failed")):" >&2
        echo "$lost" >&2
        return 1
    fi
    return 3
}

t0=$(date +%s)
n=1 clean_streak=0 failures=0 coord_oom=0 last_fail=0
while [ "$clean_streak" -lt "$tail_len" ]; do
    r=0
    check_run "$n" 1 || r=$?
    case $r in
    0) clean_streak=$((clean_streak + 1)) ;;
    3) clean_streak=0; failures=$((failures + 1)); last_fail=$n
       [ -s "$work/failed" ] || coord_oom=$((coord_oom + 1)) ;;
    *) exit 1 ;;
    esac
    n=$((n + stride))
done
t1=$(date +%s)
echo "oom: -j1: $modules modules, about $last_fail allocations: $failures failing runs" \
     "($coord_oom in the coordinator itself), every N up to $((n - stride)) by $stride, $((t1 - t0))s"
if [ "$failures" = 0 ]; then
    echo "oom: FAIL: no run failed: is $coord a COORD_TESTING build?" >&2
    exit 1
fi

# -j2 sample: spread over 1 .. last_fail
step=$(( (last_fail + sample - 1) / sample ))
[ "$step" -ge 1 ] || step=1
n=1 count=0
while [ "$n" -le "$last_fail" ]; do
    r=0
    check_run "$n" 2 || r=$?
    case $r in 0|3) ;; *) exit 1 ;; esac
    count=$((count + 1))
    n=$((n + step))
done
echo "oom: -j2: $count sampled runs clean, $(( $(date +%s) - t1 ))s"
# Out of memory for good (COORD_FAIL_ALLOC_STICKY=1: every allocation from
# the Nth on fails): many tasks fail; the run must still end cleanly with
# exit status 3 (or as the clean run), only E0901 as E09xx, no unexpected
# report, no sanitizer report.
sticky=0
for n in 1 $((last_fail / 4 + 1)) $((last_fail / 2 + 1)) $((last_fail * 3 / 4 + 1)) "$last_fail"; do
    for j in 1 2; do
        rc=0
        prepare_cache
        COORD_FAIL_ALLOC=$n COORD_FAIL_ALLOC_STICKY=1 timeout "$timeout_s" \
            "$coord" check -j "$j" $cache_args --format json "$tree" > "$work/out" 2> "$work/err" || rc=$?
        if grep -q 'Sanitizer\|runtime error' "$work/err" || [ "$rc" = 86 ] || [ "$rc" = 87 ]; then
            echo "oom: FAIL: sticky N=$n -j$j: sanitizer report (exit $rc):" >&2
            head -n 40 "$work/err" >&2
            exit 1
        fi
        if [ "$rc" != 3 ] && ! { [ "$rc" = "$clean_rc" ] && cmp -s "$work/out" "$work/clean"; }; then
            echo "oom: FAIL: sticky N=$n -j$j: exit status $rc" >&2
            head -n 20 "$work/out" "$work/err" >&2
            exit 1
        fi
        grep '^{' "$work/out" | jq -r '"\(.code) \(.module) \(.line)"' | grep -v '^E0901 ' \
            | sort > "$work/got_other" || true
        extra=$(comm -23 "$work/got_other" "$work/exp_sorted")
        if [ -n "$extra" ]; then
            echo "oom: FAIL: sticky N=$n -j$j: unexpected reports:" >&2
            echo "$extra" >&2
            exit 1
        fi
        sticky=$((sticky + 1))
    done
done
echo "oom: sticky (out of memory for good): $sticky runs clean"
echo "oom ($preset): every run ended cleanly"
