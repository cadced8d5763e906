#!/bin/sh
# robust.sh COORD GEN
#
# The result cache is untrusted input shared by processes (DESIGN.md
# section 7).  On a generated tree with errors, cycles and missing imports,
# whose cold --no-cache output is the reference:
#   - corruption: in the pack of a warm cache, every entry given a flipped
#     byte, replaced by another entry's bytes or an older format version
#     (stats.cache.corrupt counts every entry), or the pack truncated at a
#     pseudo-random offset, emptied, replaced by a directory or its index
#     damaged (counted once): the output equals the reference, and the next
#     run is served from the rewritten pack (no corruption left, the damaged
#     pack gone);
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
. "$(dirname "$0")/runs.sh"
same() { same_output "$1" "$work/ref" "$2"; }
run "$work/ref" -j1 --no-cache
grep -q '^status 1$' "$work/ref.out" || fail "the tree should have errors"

# ---- corruption
# The warm cache is one pack (workers/cache_store.h): a 64-byte header,
# the entries, an index of 40-byte records {key hi, key lo, variant,
# offset, length} and a 64-byte trailer {magic, count, index offset, ...}.
warm=$work/warm
run "$work/w" -j2 --cache-dir "$warm"
same "$work/w" "cold run with an empty cache"
packs=$(find "$warm/v2" -name '*.pack')
[ "$(echo "$packs" | wc -l)" = 1 ] || fail "a cold run should write one pack"
u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
size=$(wc -c <"$packs")
n=$(u64 "$packs" $((size - 56)))
ioff=$(u64 "$packs" $((size - 48)))
[ "$n" -gt 40 ] || fail "only $n entries in the warm cache"
k=0
: >"$work/entries"
while [ $k -lt "$n" ]; do
    r=$((ioff + 40 * k))
    echo "$(u64 "$packs" $((r + 24))) $(u64 "$packs" $((r + 32)))" >>"$work/entries"
    k=$((k + 1))
done
state=7
rand() { state=$(( (state * 1103515245 + 12345) % 2147483648 )); r=$(( (state / 65536) % $1 )); }
put_byte() { # put_byte FILE OFFSET: adds 1 to the byte there
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# Entry kinds damage every entry (each counted); pack kinds the pack (one).
for mode in flip replace version truncate empty directory index; do
    c=$work/c.$mode
    rm -rf "$c"
    cp -R "$warm" "$c"
    p=$(find "$c/v2" -name '*.pack')
    want=$n
    case $mode in
    flip|replace|version)
        k=0
        while read -r off len; do
            k=$((k + 1))
            case $mode in
            flip) rand "$len"; put_byte "$p" $((off + r)) ;;
            replace) # the next entry's bytes over this one (as many as fit)
                set -- $(sed -n "$((k % n + 1))p" "$work/entries")
                cnt=$len; [ "$2" -lt "$cnt" ] && cnt=$2
                dd if="$p" of="$p" bs=8 skip=$(($1 / 8)) seek=$((off / 8)) count=$((cnt / 8)) conv=notrunc 2>/dev/null ;;
            version) printf '\001\000\000\000' | dd of="$p" bs=1 seek=$((off + 8)) conv=notrunc 2>/dev/null ;;
            esac
        done <"$work/entries" ;;
    truncate) want=1; rand "$size"; truncate -s "$r" "$p" ;;
    empty) want=1; : >"$p" ;;
    directory) want=1; rm "$p"; mkdir "$p" ;;
    index) want=1; rand $((40 * n)); put_byte "$p" $((ioff + r)) ;;
    esac
    run "$work/o" -j2 --cache-dir "$c" --stats
    same "$work/o" "$mode"
    got=$(stat_of cache.corrupt "$work/o")
    [ "$got" = "$want" ] || fail "$mode: stats.cache.corrupt $got, expected $want"
    [ "$(stat_of cache.hits "$work/o")" = 0 ] || fail "$mode: a damaged entry was used"
    run "$work/o" -j1 --cache-dir "$c" --stats
    same "$work/o" "$mode, next run"
    [ "$(stat_of cache.corrupt "$work/o")" = 0 ] && [ "$(stat_of typecheck.tasks "$work/o")" = 0 ] ||
        fail "$mode: the next run was not served from rewritten entries"
    [ "$(find "$c/v2" -name '*.pack' | wc -l)" = 1 ] || fail "$mode: the damaged pack was not removed"
done
echo "cache robust: corruption ok ($n entries, 3 kinds of entry damage, 4 of pack damage)"

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
