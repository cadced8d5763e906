#!/bin/sh
# manifest.sh COORD GEN
#
# The stat manifest (workers/manifest.h): a warm run decides "unchanged"
# from stat data without reading sources, and never misses an edit.  On a
# generated tree with errors (so reports need source lines), its files aged
# an hour:
#   - a cold run, then a warm one: stats.cache.unread counts every module,
#     the output equals the cold --no-cache output (snippets read lazily);
#   - a same-size edit with the old mtime put back (touch -d): seen (ctime);
#   - same-size edits right before a run, many times in a row, alternating
#     two texts with different diagnostics: each run prints what a cold run
#     of that text prints, and the run after an edit reads the edited file
#     again (its record was too recent to trust: the racy-clean rule);
#   - the warm cache without its manifest: every source read, every result
#     reused, reports printed with their lines (read again);
#   - another shape (other roots) does not use this shape's manifest;
#   - a damaged manifest: ignored, the output is right, and it is rewritten.
set -eu
export LC_ALL=C
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") gen=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-cache-manifest.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
"$gen" --out "$tree" --modules 60 --shape random --fanout 3 --lines 20 --seed 8 \
    --errors 3 --missing 1 >/dev/null
rm -f "$tree/expected.txt"
find "$tree" -type f -exec touch -d '-1 hour' {} +
sleep 3                         # and their ctime (now) old enough to be recorded
n=$(find "$tree" -name '*.kite' | wc -l)
cache=$work/cache

fail() { echo "cache manifest: FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/runs.sh"

run "$work/ref" -j1 --no-cache
grep -q '^status 1$' "$work/ref.out" || fail "the tree should have errors"
run "$work/cold" -j2 --cache-dir "$cache" --stats
same_output "$work/cold" "$work/ref" "cold"
[ "$(stat_of cache.unread "$work/cold")" = 0 ] || fail "a cold run left sources unread"
ls "$cache"/v2/m-* >/dev/null 2>&1 || fail "no manifest written"
run "$work/warm" -j2 --cache-dir "$cache" --stats
same_output "$work/warm" "$work/ref" "warm"
[ "$(stat_of cache.unread "$work/warm")" = "$n" ] ||
    fail "warm: $(stat_of cache.unread "$work/warm") of $n sources unread"
[ "$(stat_of typecheck.tasks "$work/warm")" = 0 ] || fail "warm: modules re-checked"
echo "cache manifest: warm run reads no source ($n unread, reports printed with their lines)"

# The warm cache without its manifest (a fresh checkout: new mtimes): every
# source is read for its key, and a module whose result is found keeps none
# of it (workers/task.c, load_read_key): the lines of its reports are read
# again when they are printed.
cp -R "$cache" "$work/nomf"
rm -f "$work/nomf"/v2/m-*
run "$work/nomf_run" -j2 --cache-dir "$work/nomf" --stats
same_output "$work/nomf_run" "$work/ref" "warm without manifest"
[ "$(stat_of cache.unread "$work/nomf_run")" = 0 ] || fail "without manifest: sources unread"
[ "$(stat_of cache.hits "$work/nomf_run")" = "$n" ] ||
    fail "without manifest: $(stat_of cache.hits "$work/nomf_run") of $n hits"
[ "$(stat_of typecheck.tasks "$work/nomf_run")" = 0 ] || fail "without manifest: modules re-checked"
echo "cache manifest: without the manifest every source is read, reused, reports printed with their lines"

# Two texts of the same size for one module: the second turns "n + 1 in"
# into "n +"1"in" (a type error, so its report needs its lines).
victim=$(grep -l 'let base = n + 1 in' $(find "$tree" -name '*.kite' | sort) | head -1)
[ -n "$victim" ] || fail "no body to edit"
cp "$victim" "$work/a.kite"
sed '0,/let base = n + 1 in/s//let base = n +"1"in/' "$work/a.kite" >"$work/b.kite"
[ "$(wc -c <"$work/a.kite")" = "$(wc -c <"$work/b.kite")" ] || fail "the two texts differ in size"
cmp -s "$work/a.kite" "$work/b.kite" && fail "the two texts are the same"
for t in a b; do
    cp "$work/$t.kite" "$victim"
    run "$work/ref_$t" -j1 --no-cache
done
cmp -s "$work/ref_a.err" "$work/ref_b.err" && fail "the two texts give the same diagnostics"

# Same size, old mtime put back: ctime tells.
cp "$work/a.kite" "$victim"
touch -d '-1 hour' "$victim"
sleep 3                         # its ctime old enough to be recorded
run "$work/o" -j2 --cache-dir "$cache" --stats
run "$work/o" -j2 --cache-dir "$cache" --stats
[ "$(stat_of cache.unread "$work/o")" = "$n" ] || fail "the restored file was not recorded"
mt=$(stat -c %Y "$victim")
cat "$work/b.kite" >"$victim"
touch -d "@$mt" "$victim"
run "$work/o" -j2 --cache-dir "$cache" --stats
same_output "$work/o" "$work/ref_b" "same-size edit, mtime put back"
[ "$(stat_of cache.unread "$work/o")" = $((n - 1)) ] || fail "mtime put back: the edited file was not read"
echo "cache manifest: a same-size edit with its old mtime put back is seen"

# Same-size edits right before each run.
for round in 1 2 3 4 5 6; do
    for t in a b; do
        cat "$work/$t.kite" >"$victim"
        run "$work/o" -j2 --cache-dir "$cache" --stats
        same_output "$work/o" "$work/ref_$t" "same-size edit $round$t"
        run "$work/o" -j1 --cache-dir "$cache" --stats
        same_output "$work/o" "$work/ref_$t" "the run after same-size edit $round$t"
        [ "$(stat_of cache.unread "$work/o")" = $((n - 1)) ] ||
            fail "round $round$t: a file edited just before a run was trusted by the next ($(stat_of cache.unread "$work/o") unread)"
    done
done
echo "cache manifest: same-size edits just before runs are seen (racy records are not trusted)"

# Another shape: the tree given as ./tree from its parent.
(cd "$work" && "$coord" check --emit-types --cache-dir "$cache" --stats tree >"$work/s.out" 2>"$work/s.all") || true
[ "$(sed -n 's/^stats\.cache\.unread: //p' "$work/s.all")" = 0 ] || fail "another shape used this shape's manifest"

# A damaged manifest is ignored and rewritten.
touch -d '-1 hour' "$victim"
sleep 3
run "$work/o" -j2 --cache-dir "$cache"
for m in "$cache"/v2/m-*; do
    printf 'X' | dd of="$m" bs=1 seek=100 conv=notrunc 2>/dev/null
done
run "$work/o" -j2 --cache-dir "$cache" --stats
same_output "$work/o" "$work/ref_b" "damaged manifest"
[ "$(stat_of cache.unread "$work/o")" = 0 ] || fail "a damaged manifest was used"
run "$work/o" -j2 --cache-dir "$cache" --stats
[ "$(stat_of cache.unread "$work/o")" = "$n" ] || fail "the damaged manifest was not rewritten"
echo "cache manifest: another shape and a damaged manifest are not trusted"
