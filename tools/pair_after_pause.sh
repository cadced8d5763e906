#!/bin/sh
# tools/pair_after_pause.sh — two commands timed in pairs, each run after a
# pause, as a user runs coord after editing rather than as a benchmark runs
# it back to back:
#
#   tools/pair_after_pause.sh 'COMMAND A' 'COMMAND B' [PAIRS [PAUSE_S]]
#
# A and B alternate (A B A B ...), PAIRS pairs (default 8), each run after
# PAUSE_S seconds of sleep (default 3).  On a virtual machine whose host
# takes back memory a guest has freed within seconds, the pause makes every
# run pay for fresh memory again (README, Performance); back to back, a run
# reuses what the run before it freed.  Prints each command's median wall
# time (whole process, output discarded) and the median and range of the
# per-pair ratios A/B; it never fails on a number.
set -eu
a=$1
b=$2
pairs=${3:-8}
pause=${4:-3}

now_us() { echo $(($(date +%s%N) / 1000)); }

run_us() {
    sleep "$pause"
    t0=$(now_us)
    sh -c "$1" >/dev/null 2>&1 || true
    t1=$(now_us)
    echo $((t1 - t0))
}

out=$(i=0; while [ "$i" -lt "$pairs" ]; do
    echo "$(run_us "$a") $(run_us "$b")"
    i=$((i + 1))
done)

echo "$out" | awk -v pairs="$pairs" -v pause="$pause" '
function median(v, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ n++; A[n] = $1; B[n] = $2; R[n] = $1 / $2; if (n == 1 || R[n] < lo) lo = R[n]; if (n == 1 || R[n] > hi) hi = R[n] }
END {
    printf "%d pairs, %s s pause before each run\n", n, pause
    printf "A wall ms (median)   %.1f\n", median(A, n) / 1000
    printf "B wall ms (median)   %.1f\n", median(B, n) / 1000
    printf "A/B (median of pairs) %.3f   (%.3f - %.3f)\n", median(R, n), lo, hi
}'
