#!/bin/sh
# bench_remote.sh COORD GEN — the remote cache on a 10 000-module generated
# tree (make bench-remote; needs the server of tests/remote/redis.sh, whose
# variables it reads).  Prints whole-process wall time (runs without
# --stats) and, from one more run of A and B with --stats, stats.remote.* of:
#   cold      --no-cache
#   local     an empty local cache, no remote
#   floor     that local cache again, warm, without its stat manifest: what
#             machine B does besides the remote (every source read and
#             hashed, every entry looked up and validated), its floor
#   remote    an empty local cache and an empty remote (machine A: the
#             write cost of the remote)
#   warm      another empty local cache, the remote A filled (machine B)
# BENCH_ROUNDS rounds (default 3), the five runs interleaved in each; then
# the medians of the ratios, which are what to compare (timings on a shared
# machine are noisy; ratios of neighbouring runs much less so).  Run it on a
# quiet machine (uptime) and give the load with the figures.
set -eu
coord=$1 gen=$2
rounds=${BENCH_ROUNDS:-3}
modules=${BENCH_MODULES:-10000}
work=$REDIS_DIR/bench
mkdir -p "$work"
"$gen" --out "$work/tree" --modules "$modules" --shape layered --fanout 4 --seed 5 >/dev/null
# timed ARGS...: coord check -j2 ARGS on the tree, whole process, without
# --stats (what users run: --stats reads each thread's CPU clock, a system
# call, around every task); its wall time in ms into $ms.
now() { date +%s%N; }
timed() {
    t0=$(now)
    "$coord" check -j2 "$@" "$work/tree" >/dev/null 2>&1 || true
    ms=$(( ($(now) - t0) / 1000000 ))
}
# The server's CPU time so far in ms (user + system, /proc/PID/stat; the
# server shares the machine's cores with coord, so what it spends storing
# and serving entries is time the build's threads do not run).
server_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(1000 * ($14 + $15) / hz) }' "/proc/$REDIS_PID/stat"; }
# counted ARGS...: the same, untimed, with --stats for stat() to read.
counted() { "$coord" check -j2 --stats "$@" "$work/tree" >/dev/null 2>"$work/err" || true; }
stat() { sed -n "s/^stats.$1: //p" "$work/err"; }
: >"$work/ratios"
round=0
while [ $round -lt "$rounds" ]; do
    round=$((round + 1))
    rm -rf "$work/l" "$work/a" "$work/b"
    redis-cli -s "$REDIS_SOCK" flushall >/dev/null
    timed --no-cache
    cold=$ms
    timed --cache-dir "$work/l"
    local_ms=$ms
    rm -f "$work/l"/v2/m-*
    timed --cache-dir "$work/l"
    floor_ms=$ms
    s0=$(server_ms)
    timed --cache-dir "$work/a" --remote-cache "$REDIS_URL"
    remote_ms=$ms server_a=$(( $(server_ms) - s0 ))
    rm -rf "$work/a"            # machine A again, counted (it writes the same entries)
    redis-cli -s "$REDIS_SOCK" flushall >/dev/null
    counted --cache-dir "$work/a" --remote-cache "$REDIS_URL"
    remote_wait=$(stat remote.wait_ms) written=$(stat remote.written) rt_a=$(stat remote.round_trips)
    s0=$(server_ms)
    timed --cache-dir "$work/b" --remote-cache "$REDIS_URL"
    warm_ms=$ms server_b=$(( $(server_ms) - s0 ))
    rm -rf "$work/b"            # machine B again, counted
    counted --cache-dir "$work/b" --remote-cache "$REDIS_URL"
    warm_wait=$(stat remote.wait_ms) hits=$(stat remote.hits) checks=$(stat typecheck.tasks)
    rt_b=$(stat remote.round_trips)
    echo "round $round: cold $cold ms; local cache cold $local_ms ms; local warm without manifest $floor_ms ms;" \
         "+ remote (A) $remote_ms ms" \
         "(written $written, wait $remote_wait ms, $rt_a round trips, server CPU $server_a ms);" \
         "machine B $warm_ms ms" \
         "(remote hits $hits, typecheck tasks $checks, wait $warm_wait ms, $rt_b round trips," \
         "server CPU $server_b ms)"
    awk -v c="$cold" -v l="$local_ms" -v f="$floor_ms" -v r="$remote_ms" -v w="$warm_ms" \
        -v m="$modules" -v ra="$rt_a" -v rb="$rt_b" -v sa="$server_a" 'BEGIN {
        printf "  machine B / cold: %.1f%%   floor / cold: %.1f%%   machine B / floor: %.2f" \
               "   remote write cost over local only: %+.1f%%" \
               "   round trips a module: A %.4f, B %.4f\n",
               100 * w / c, 100 * f / c, w / f, 100 * (r - l) / l, ra / m, rb / m
        printf "  server CPU while A ran / local-only cold wall: %.1f%%\n", 100 * sa / l
        printf "%f %f %f %f %f\n", 100 * w / c, 100 * (r - l) / l, 100 * f / c, w / f,
               100 * sa / l >> "'"$work/ratios"'" }'
done
med() { sort -n -k"$1" "$work/ratios" | awk -v k="$1" -v fmt="$2" '{ v[NR] = $k } END { printf fmt, v[int((NR + 1) / 2)] }'; }
med 1 "median machine B / cold: %.1f%%\n"
med 3 "median floor (warm local cache, no manifest) / cold: %.1f%%\n"
med 4 "median machine B / floor: %.2f\n"
med 2 "median remote write cost: %+.1f%%\n"
med 5 "median server CPU while A ran / local-only cold wall: %.1f%%\n"
