#!/bin/sh
# bench_remote.sh COORD GEN — the remote cache on a 10 000-module generated
# tree (make bench-remote; needs the server of tests/remote/redis.sh, whose
# variables it reads).  Prints wall time and stats.remote.* of:
#   cold      --no-cache
#   local     an empty local cache, no remote
#   remote    an empty local cache and an empty remote (machine A: the
#             write cost of the remote)
#   warm      another empty local cache, the remote A filled (machine B)
# Each run twice, interleaved; the figures to compare are ratios in one run.
set -eu
coord=$1 gen=$2
work=$REDIS_DIR/bench
mkdir -p "$work"
"$gen" --out "$work/tree" --modules 10000 --shape layered --fanout 4 --seed 5 >/dev/null
wall() { sed -n 's/^stats.wall_ms: //p' "$work/err"; }
stat() { sed -n "s/^stats.$1: //p" "$work/err"; }
for round in 1 2; do
    rm -rf "$work/l" "$work/a" "$work/b"
    redis-cli -s "$REDIS_SOCK" flushall >/dev/null
    "$coord" check -j2 --stats --no-cache "$work/tree" >/dev/null 2>"$work/err" || true
    cold=$(wall)
    "$coord" check -j2 --stats --cache-dir "$work/l" "$work/tree" >/dev/null 2>"$work/err" || true
    local_ms=$(wall)
    "$coord" check -j2 --stats --cache-dir "$work/a" --remote-cache "$REDIS_URL" "$work/tree" >/dev/null 2>"$work/err" || true
    remote_ms=$(wall) remote_wait=$(stat remote.wait_ms) written=$(stat remote.written)
    "$coord" check -j2 --stats --cache-dir "$work/b" --remote-cache "$REDIS_URL" "$work/tree" >/dev/null 2>"$work/err" || true
    warm_ms=$(wall) warm_wait=$(stat remote.wait_ms) hits=$(stat remote.hits) checks=$(stat typecheck.tasks)
    echo "round $round: cold $cold ms; local cache cold $local_ms ms; + remote (A) $remote_ms ms" \
         "(written $written, wait $remote_wait ms); machine B $warm_ms ms (remote hits $hits," \
         "typecheck tasks $checks, wait $warm_wait ms)"
    awk -v c="$cold" -v l="$local_ms" -v r="$remote_ms" -v w="$warm_ms" 'BEGIN {
        printf "  machine B / cold: %.1f%%   remote write cost over local only: %+.1f%%\n",
               100 * w / c, 100 * (r - l) / l }'
done
