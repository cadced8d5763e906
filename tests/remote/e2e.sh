#!/bin/sh
# e2e.sh COORD GEN — the remote cache end to end, against a private
# redis-server (tests/remote/redis.sh) and a fake one.  Every run is compared
# with a cold run (--no-cache, fresh process): same output, same exit status.
#   - two machines: two empty local caches, one server: the first run checks
#     cold and writes every module; the second computes nothing
#     (stats.typecheck.tasks: 0) and gets every module from the remote,
#     with its TTL renewed by GETEX; round trips: at most 1/2 per module on
#     machine A, 1/4 on machine B (batched reads and writes);
#   - read-only writes nothing (DBSIZE 0);
#   - corrupted values under valid keys: misses, one warning, cold output;
#   - maxmemory tiny with eviction: some hits, cold output;
#   - a server speaking another protocol, nothing listening: one warning,
#     cold output, at once;
#   - the server paused (SIGSTOP) and killed during a build: cold output
#     within a bounded time;
#   - a server without GETEX (renamed away): GET and EXPIRE, same hits.
set -eu
export LC_ALL=C
if [ $# -ne 2 ]; then
    echo "usage: e2e.sh COORD GEN" >&2
    exit 2
fi
coord=$1 gen=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/redis.sh"
redis_start
work=$REDIS_DIR/work
mkdir -p "$work"
fails=0
ok() { echo "ok   remote: $1"; }
bad() { echo "FAIL remote: $1"; fails=$((fails + 1)); }
cli() { redis-cli -s "$REDIS_SOCK" "$@"; }

modules=${REMOTE_MODULES:-120}
"$gen" --out "$work/tree" --modules "$modules" --shape layered --fanout 3 --seed 7 \
    --errors 4 --cycles 1 --missing 1 >/dev/null
# Runs coord on the tree: output (diagnostics and types) in $1.out, stats in
# $1.stats, exit status in $1.rc.
run() {
    name=$1; shift
    rc=0
    timeout 120 "$coord" check --emit-types --stats "$@" "$work/tree" \
        >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    echo $rc >"$work/$name.rc"
    grep '^stats\.' "$work/$name.err" >"$work/$name.stats" || true
    grep -v '^stats\.' "$work/$name.err" | grep -v '^coord: warning: remote cache' >>"$work/$name.out" || true
}
stat() { sed -n "s/^stats\.$2: //p" "$work/$1.stats"; }
same_as_cold() {
    if cmp -s "$work/cold.out" "$work/$1.out" && cmp -s "$work/cold.rc" "$work/$1.rc"; then
        ok "$2: output and exit status of the cold run"
    else
        bad "$2: differs from the cold run"
        diff "$work/cold.out" "$work/$1.out" | head -5
    fi
}
warnings() { grep -c '^coord: warning: remote cache' "$work/$1.err" || true; }

run cold --no-cache -j2
mods=$(stat cold modules)

# Two machines.
run a -j2 --cache-dir "$work/ca" --remote-cache "$REDIS_URL"
same_as_cold a "machine A (cold, remote empty)"
[ "$(stat a remote.written)" = "$mods" ] && ok "machine A wrote $mods entries" ||
    bad "machine A wrote $(stat a remote.written) entries, expected $mods"
[ "$(cli dbsize)" = "$mods" ] && ok "DBSIZE $mods" || bad "DBSIZE $(cli dbsize), expected $mods"
# A hit renews the entry's TTL (GETEX ... EX, in the same request).
key1=$(cli --scan --pattern 'coord:*' | head -1)
cli expire "$key1" 1000 >/dev/null
cli config resetstat >/dev/null
run b -j2 --cache-dir "$work/cb" --remote-cache "$REDIS_URL"
same_as_cold b "machine B (warm remote)"
[ "$(cli ttl "$key1")" -gt 1000 ] && ok "machine B: a hit renews the TTL" ||
    bad "machine B: TTL $(cli ttl "$key1") after a hit"
getex_calls() { cli info commandstats | sed -n 's/^cmdstat_getex:calls=\([0-9]*\),.*/\1/p'; }
[ "$(getex_calls)" -ge "$mods" ] && ok "machine B: GETEX used ($(getex_calls) calls)" ||
    bad "machine B: GETEX calls '$(getex_calls)'"
# Round trips: a load task asks for all its local misses at once, and
# computed results are written in batches (connects count too).
rt_a=$(stat a remote.round_trips) rt_b=$(stat b remote.round_trips)
[ $((rt_a * 2)) -le "$mods" ] && ok "machine A: $rt_a round trips for $mods modules (<= 1/2 each)" ||
    bad "machine A: $rt_a round trips for $mods modules"
[ $((rt_b * 4)) -le "$mods" ] && ok "machine B: $rt_b round trips for $mods modules (<= 1/4 each)" ||
    bad "machine B: $rt_b round trips for $mods modules"
[ "$(stat b typecheck.tasks)" = 0 ] && ok "machine B: typecheck.tasks 0" ||
    bad "machine B: typecheck.tasks $(stat b typecheck.tasks)"
[ "$(stat b remote.hits)" = "$mods" ] && ok "machine B: remote.hits $mods" ||
    bad "machine B: remote.hits $(stat b remote.hits), expected $mods"
[ "$(stat b remote.errors)" = 0 ] || bad "machine B: remote.errors $(stat b remote.errors)"
# What B fetched went into its local cache: a third run needs no remote.
run b2 -j1 --cache-dir "$work/cb" --remote-cache "$REDIS_URL"
same_as_cold b2 "machine B again, -j1"
[ "$(stat b2 remote.hits)" = 0 ] && [ "$(stat b2 cache.hits)" = "$mods" ] &&
    ok "machine B again: every module from its local cache" ||
    bad "machine B again: cache.hits $(stat b2 cache.hits) remote.hits $(stat b2 remote.hits)"
# The environment variable names the server too.
COORD_REMOTE_CACHE=$REDIS_UNIX_URL run c -j2 --cache-dir "$work/cc"
[ "$(stat c remote.hits)" = "$mods" ] && ok "COORD_REMOTE_CACHE (unix socket): remote.hits $mods" ||
    bad "COORD_REMOTE_CACHE: remote.hits $(stat c remote.hits)"

# Read-only writes nothing.
cli flushall >/dev/null
run ro -j2 --cache-dir "$work/cro" --remote-cache "$REDIS_URL" --remote-cache-readonly
same_as_cold ro "read-only"
[ "$(cli dbsize)" = 0 ] && [ "$(stat ro remote.written)" = 0 ] && ok "read-only: DBSIZE 0" ||
    bad "read-only: DBSIZE $(cli dbsize)"

# Corrupted values under valid keys.
run w -j2 --cache-dir "$work/cw" --remote-cache "$REDIS_URL"
for k in $(cli --scan --pattern 'coord:*'); do cli set "$k" garbage >/dev/null; done
run junk -j2 --cache-dir "$work/cj" --remote-cache "$REDIS_URL"
same_as_cold junk "corrupted values"
[ "$(stat junk remote.hits)" = 0 ] && [ "$(warnings junk)" = 1 ] &&
    ok "corrupted values: no hit, one warning" ||
    bad "corrupted values: hits $(stat junk remote.hits), $(warnings junk) warnings"
grep -q 'invalid entry: failed validation' "$work/junk.err" && ok "corrupted values: the warning says why" ||
    bad "corrupted values: warning: $(grep 'remote cache' "$work/junk.err")"

# maxmemory tiny with eviction.
# Writing into a server that is full: OOM replies are errors, the run goes on.
cli flushall >/dev/null
used=$(cli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
cli config set maxmemory $((used + $(stat a remote.bytes_written) / 2)) >/dev/null
cli config set maxmemory-policy allkeys-lru >/dev/null
run mm1 -j2 --cache-dir "$work/cm1" --remote-cache "$REDIS_URL"
run mm2 -j2 --cache-dir "$work/cm2" --remote-cache "$REDIS_URL"
same_as_cold mm1 "maxmemory: writer"
same_as_cold mm2 "maxmemory: reader"
[ "$(stat mm2 remote.hits)" -lt "$mods" ] && ok "maxmemory: $(stat mm2 remote.hits) of $mods hits" ||
    bad "maxmemory: $(stat mm2 remote.hits) hits, expected fewer than $mods"
# Evicted entries: a full set written, then some of it evicted.
cli config set maxmemory 0 >/dev/null
cli flushall >/dev/null
run mm3 -j2 --cache-dir "$work/cm3" --remote-cache "$REDIS_URL"
used=$(cli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
cli config set maxmemory $((used - 20000)) >/dev/null
cli set trigger-eviction 1 >/dev/null 2>&1 || true
run mm4 -j2 --cache-dir "$work/cm4" --remote-cache "$REDIS_URL" --remote-cache-readonly
same_as_cold mm4 "evicted entries"
h=$(stat mm4 remote.hits)
[ "$h" -gt 0 ] && [ "$h" -lt "$mods" ] && ok "evicted entries: $h of $mods hits" ||
    bad "evicted entries: $h hits, expected some but fewer than $mods"
cli config set maxmemory 0 >/dev/null
cli config set maxmemory-policy noeviction >/dev/null

# Another protocol on the port; nothing listening.
python3 "$here/junk_server.py" "$work/junk_port" &
junk_pid=$!
n=0; while [ ! -s "$work/junk_port" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
t0=$(date +%s)
run proto -j2 --cache-dir "$work/cp" --remote-cache "redis://127.0.0.1:$(cat "$work/junk_port")"
kill $junk_pid 2>/dev/null || true
wait $junk_pid 2>/dev/null || true
same_as_cold proto "a server speaking another protocol"
[ "$(warnings proto)" = 1 ] && ok "another protocol: one warning" || bad "another protocol: $(warnings proto) warnings"
run none -j2 --cache-dir "$work/cn" --remote-cache "redis://127.0.0.1:1" --remote-cache-timeout 200
same_as_cold none "nothing listening"
# One failed connect disables the remote; both workers may have tried at once.
e=$(stat none remote.errors)
[ "$e" -ge 1 ] && [ "$e" -le 2 ] && [ "$(warnings none)" = 1 ] &&
    ok "nothing listening: $e error(s) (one per worker at most), one warning" ||
    bad "nothing listening: $(stat none remote.errors) errors, $(warnings none) warnings"
[ $(( $(date +%s) - t0 )) -lt 30 ] || bad "protocol and unreachable runs took $(( $(date +%s) - t0 )) s"

# Paused mid-build, then killed mid-build (the server is gone after this).
cli flushall >/dev/null
"$gen" --out "$work/big" --modules 600 --shape layered --fanout 3 --seed 8 >/dev/null
"$coord" check --no-cache -j2 --emit-types "$work/big" >"$work/bigcold.out" 2>&1 || true
pause_case() {
    name=$1 sig=$2
    rm -rf "$work/c$name"
    t0=$(date +%s)
    ( sleep 0.3; kill -"$sig" "$REDIS_PID" ) &
    killer=$!
    rc=0
    timeout 120 "$coord" check -j2 --emit-types --cache-dir "$work/c$name" \
        --remote-cache "$REDIS_URL" --remote-cache-timeout 300 "$work/big" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    wait $killer || true
    grep -v '^coord: warning: remote cache' "$work/$name.err" >>"$work/$name.out" || true
    took=$(( $(date +%s) - t0 ))
    if cmp -s "$work/bigcold.out" "$work/$name.out" && [ $took -lt 60 ]; then
        ok "server $name mid-build: cold output in ${took}s ($(warnings $name) warning)"
    else
        bad "server $name mid-build: rc $rc, ${took}s"
        diff "$work/bigcold.out" "$work/$name.out" | head -5
    fi
}
pause_case paused STOP
kill -CONT "$REDIS_PID"
pause_case killed KILL

# A server without GETEX (as before Redis 6.2; here renamed away): GET and
# EXPIRE instead, same hits, TTL renewed, no error.
[ -n "${REMOTE_KEEP:-}" ] && cp -r "$work" "$REMOTE_KEEP"
redis_stop
REDIS_EXTRA_ARGS="--rename-command getex coord-test-no-getex" redis_start
work=$REDIS_DIR/work
mkdir -p "$work"
"$gen" --out "$work/tree" --modules "$modules" --shape layered --fanout 3 --seed 7 \
    --errors 4 --cycles 1 --missing 1 >/dev/null
run cold --no-cache -j2
run old_a -j2 --cache-dir "$work/oa" --remote-cache "$REDIS_URL"
key1=$(cli --scan --pattern 'coord:*' | head -1)
cli expire "$key1" 1000 >/dev/null
run old_b -j2 --cache-dir "$work/ob" --remote-cache "$REDIS_URL"
same_as_cold old_b "no GETEX: machine B"
[ "$(stat old_b remote.hits)" = "$mods" ] && [ "$(stat old_b remote.errors)" = 0 ] &&
    [ "$(cli ttl "$key1")" -gt 1000 ] &&
    ok "no GETEX: remote.hits $mods, no error, TTL renewed (GET and EXPIRE)" ||
    bad "no GETEX: hits $(stat old_b remote.hits) errors $(stat old_b remote.errors) TTL $(cli ttl "$key1")"
[ $fails -eq 0 ] && echo "remote e2e: all passed" || echo "remote e2e: $fails failed"
[ $fails -eq 0 ]
