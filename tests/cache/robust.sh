#!/bin/sh
# robust.sh COORD GEN
#
# The result cache is untrusted input shared by processes (DESIGN.md
# section 7).  On a generated tree with errors, cycles and missing imports,
# whose cold --no-cache output is the reference:
#   - corruption: every entry of a warm cache truncated at a pseudo-random
#     offset, a byte flipped, replaced by another entry, given an older
#     format version, emptied, or replaced by a directory: the output equals
#     the reference, stats.cache.corrupt counts every entry, and the next run
#     is served from the rewritten entries (no corruption left);
#   - two processes warming one empty cache at once, repeated: both print
#     the reference and leave a cache that a third run uses whole
#     (typecheck.tasks: 0, nothing corrupt);
#   - a run killed with SIGKILL while it fills the cache, then normal runs;
#   - a cache directory that cannot be created: the reference output and
#     exit status, plus one `coord: warning:` line.
set -eu
export LC_ALL=C
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") gen=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-cache-robust.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
"$gen" --out "$tree" --modules 80 --shape random --fanout 3 --lines 20 --seed 5 \
    --errors 4 --cycles 1 --missing 1 >/dev/null
rm -f "$tree/expected.txt"

fail() { echo "cache robust: FAIL: $*" >&2; exit 1; }
run() { # run OUT ARGS...: stdout+status into OUT.out, stderr without stats into OUT.err
    o=$1
    shift
    set +e
    "$coord" check --emit-types "$@" "$tree" >"$o.out" 2>"$o.all"
    echo "status $?" >>"$o.out"
    set -e
    grep -v '^stats\.' "$o.all" >"$o.err" || true
}
stat_of() { sed -n "s/^stats\.$1: //p" "$2.all"; }
same() { # same OUT WHAT
    cmp -s "$1.out" "$work/ref.out" && cmp -s "$1.err" "$work/ref.err" || {
        diff "$work/ref.out" "$1.out" | head -10 >&2 || true
        diff "$work/ref.err" "$1.err" | head -10 >&2 || true
        fail "$2: output differs from the cold run"
    }
}
run "$work/ref" -j1 --no-cache
grep -q '^status 1$' "$work/ref.out" || fail "the tree should have errors"

# ---- corruption
warm=$work/warm
run "$work/w" -j2 --cache-dir "$warm"
same "$work/w" "cold run with an empty cache"
entries=$(find "$warm" -type f -name '????????????????' | sort)
n=$(echo "$entries" | wc -l)
[ "$n" -gt 40 ] || fail "only $n entries in the warm cache"
state=7
rand() { state=$(( (state * 1103515245 + 12345) % 2147483648 )); r=$(( (state / 65536) % $1 )); }
for mode in truncate flip replace version empty directory; do
    c=$work/c.$mode
    rm -rf "$c"
    cp -R "$warm" "$c"
    k=0
    for e in $(find "$c" -type f -name '????????????????' | sort); do
        size=$(wc -c <"$e")
        case $mode in
        truncate) rand "$size"; truncate -s "$r" "$e" ;;
        flip) rand "$size"
            b=$(od -An -tu1 -j "$r" -N1 "$e" | tr -d ' ')
            printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" | dd of="$e" bs=1 seek="$r" conv=notrunc 2>/dev/null ;;
        replace) k=$((k + 1)); cp "$(echo "$entries" | sed -n "$((k % n + 1))p")" "$e" ;;
        version) printf '\000\000\000\000' | dd of="$e" bs=1 seek=8 conv=notrunc 2>/dev/null ;;
        empty) : >"$e" ;;
        directory) rm "$e"; mkdir "$e" ;;
        esac
    done
    run "$work/o" -j2 --cache-dir "$c" --stats
    same "$work/o" "$mode"
    got=$(stat_of cache.corrupt "$work/o")
    [ "$got" = "$n" ] || fail "$mode: stats.cache.corrupt $got, expected $n"
    [ "$(stat_of cache.hits "$work/o")" = 0 ] || fail "$mode: a damaged entry was used"
    if [ "$mode" != directory ]; then
        run "$work/o" -j1 --cache-dir "$c" --stats
        same "$work/o" "$mode, next run"
        [ "$(stat_of cache.corrupt "$work/o")" = 0 ] && [ "$(stat_of typecheck.tasks "$work/o")" = 0 ] ||
            fail "$mode: the next run was not served from rewritten entries"
    fi
done
echo "cache robust: corruption ok ($n entries, 6 kinds)"

# ---- two processes at once
for round in 1 2 3; do
    c=$work/both.$round
    set +e
    "$coord" check -j2 --cache-dir "$c" --emit-types "$tree" >"$work/q1.out" 2>"$work/q1.err" &
    q1=$!
    "$coord" check -j2 --cache-dir "$c" --emit-types "$tree" >"$work/q2.out" 2>"$work/q2.err"
    s2=$?
    wait "$q1"
    s1=$?
    set -e
    echo "status $s1" >>"$work/q1.out"
    echo "status $s2" >>"$work/q2.out"
    for q in q1 q2; do
        cmp -s "$work/$q.out" "$work/ref.out" && cmp -s "$work/$q.err" "$work/ref.err" ||
            fail "round $round: $q of two processes on one cache differs from the cold run"
    done
    run "$work/q3" -j1 --cache-dir "$c" --stats
    same "$work/q3" "third run, round $round"
    [ "$(stat_of cache.corrupt "$work/q3")" = 0 ] && [ "$(stat_of typecheck.tasks "$work/q3")" = 0 ] ||
        fail "round $round: the cache two processes filled is not whole"
done
echo "cache robust: two processes on one cache ok"

# ---- SIGKILL while filling
for delay in 0.05 0.2 0.5; do
    c=$work/killed.$delay
    "$coord" check -j2 --cache-dir "$c" "$tree" >/dev/null 2>&1 &
    k=$!
    sleep "$delay"
    kill -9 "$k" 2>/dev/null || true
    wait "$k" 2>/dev/null || true
    run "$work/k" -j2 --cache-dir "$c"
    same "$work/k" "after a SIGKILL at ${delay}s"
    run "$work/k" -j1 --cache-dir "$c" --stats
    same "$work/k" "second run after a SIGKILL at ${delay}s"
    [ "$(stat_of typecheck.tasks "$work/k")" = 0 ] || fail "SIGKILL at ${delay}s: the cache was not completed"
done
echo "cache robust: SIGKILL ok"

# ---- a cache directory that cannot be created
: >"$work/file"
run "$work/u" -j2 --cache-dir "$work/file/cache"
cmp -s "$work/u.out" "$work/ref.out" || fail "unusable cache: output differs"
[ "$(grep -c '^coord: warning: ' "$work/u.err")" = 1 ] || fail "unusable cache: not one warning line"
grep -v '^coord: warning: ' "$work/u.err" >"$work/u.err2" || true
cmp -s "$work/u.err2" "$work/ref.err" || fail "unusable cache: diagnostics differ"
echo "cache robust: unusable directory ok"
