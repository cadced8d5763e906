#!/bin/sh
# cli.sh COORD
#
# `coord cache info|trim|clean` and the cache directory and bound (issue 12;
# workers/cache_store.h):
#   - info on a directory that does not exist yet creates it and prints
#     directory, entries 0, bytes 0 and the bound (1 GiB by default,
#     COORD_CACHE_MAX, --cache-max, which wins);
#   - the directory: --cache-dir, else COORD_CACHE_DIR, else
#     XDG_CACHE_HOME/coord, else HOME/.cache/coord;
#   - after a cached check: entries and bytes equal what its packs hold;
#   - trim to a bound removes the least recently used entries (by their
#     pack's mtime) and nothing else; clean removes every entry but no file
#     of others;
#   - a run that pushes the cache over its bound trims it to 90% of it, with
#     the output of an uncached run;
#   - usage errors and an unusable directory exit 2 with one message.
set -eu
export LC_ALL=C
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-cache-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset COORD_CACHE_DIR COORD_CACHE_MAX XDG_CACHE_HOME
export HOME="$work/home"
fails=0
ok() { echo "ok   cache cli: $1"; }
bad() { echo "FAIL cache cli: $1"; fails=$((fails + 1)); }
expect() { # expect WHAT FILE: FILE equals the text on stdin
    cat >"$work/want"
    if cmp -s "$work/want" "$2"; then ok "$1"; else
        bad "$1"; echo "--- got:"; cat "$2"; fi
}
# entries of cache DIR (index records of its packs: the trailer's count,
# workers/cache_store.h) and bytes (its files but the lru table)
records_of() { size=$(wc -c <"$1"); od -An -tu8 -j $((size - 56)) -N8 "$1" | tr -d ' '; }
entries_of() {
    t=0
    for p in $(find "$1/v2" -name '*.pack'); do t=$((t + $(records_of "$p"))); done
    echo $t
}
bytes_of() { find "$1/v2" -type f ! -name lru -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
packs_of() { find "$1/v2" -name '*.pack' -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

c=$work/c
"$coord" cache info --cache-dir "$c" >"$work/out"
expect "info creates the directory" "$work/out" <<EOF
directory: $c
entries: 0
bytes: 0
bound: 1073741824
EOF
[ -d "$c/v2" ] && ok "info made $c/v2" || bad "no $c/v2"
COORD_CACHE_MAX=2K "$coord" cache info --cache-dir "$c" | grep '^bound' >"$work/out"
expect "COORD_CACHE_MAX=2K" "$work/out" <<EOF
bound: 2048
EOF
COORD_CACHE_MAX=2K "$coord" cache info --cache-dir="$c" --cache-max 3M | grep '^bound' >"$work/out"
expect "--cache-max wins over COORD_CACHE_MAX" "$work/out" <<EOF
bound: 3145728
EOF

for how in flag env xdg home; do
    case $how in
    flag) want=$work/d1; "$coord" cache info --cache-dir "$want" >"$work/all" ;;
    env) want=$work/d2; COORD_CACHE_DIR=$want XDG_CACHE_HOME=$work/x "$coord" cache info >"$work/all" ;;
    xdg) want=$work/x/coord; XDG_CACHE_HOME=$work/x "$coord" cache info >"$work/all" ;;
    home) want=$HOME/.cache/coord; "$coord" cache info >"$work/all" ;;
    esac
    head -n1 "$work/all" >"$work/out"
    expect "directory from $how" "$work/out" <<EOF
directory: $want
EOF
done

# A cached check fills it; info counts what is on disk.
tree=$work/tree
cp -r "$top/examples" "$tree"
"$coord" check --no-cache --emit-types "$tree" >"$work/ref.out" 2>"$work/ref.err" || true
"$coord" check --cache-dir "$c" --emit-types "$tree" >"$work/cold.out" 2>"$work/cold.err" || true
n=$(entries_of "$c") b=$(bytes_of "$c")
[ "$n" -gt 2 ] && ok "a cached check wrote $n entries" || bad "a cached check wrote $n entries"
"$coord" cache info --cache-dir "$c" >"$work/out"
expect "info after a check" "$work/out" <<EOF
directory: $c
entries: $n
bytes: $b
bound: 1073741824
EOF

# LRU: more packs (runs over parts of the tree: other module names, other
# entries), the packs aged one minute apart in name order; trim to all but
# the two oldest packs' entries.
for part in Data Util Geometry; do
    "$coord" check --cache-dir "$c" "$tree/$part" >/dev/null 2>&1 || true
done
npacks=$(find "$c/v2" -name '*.pack' | wc -l)
[ "$npacks" = 4 ] && ok "four runs wrote four packs" || bad "four runs wrote $npacks packs"
n=$(entries_of "$c") b=$(bytes_of "$c")
i=0
for f in $(find "$c/v2" -name '*.pack' | sort); do
    i=$((i + 1))
    touch -d "@$(( $(date +%s) - 10000 + i * 60 ))" "$f"
done
old1=$(find "$c/v2" -name '*.pack' | sort | sed -n 1p)
old2=$(find "$c/v2" -name '*.pack' | sort | sed -n 2p)
s1=$(stat -c %s "$old1") s2=$(stat -c %s "$old2")
r12=$(( $(records_of "$old1") + $(records_of "$old2") ))
bound=$((b - s1 - s2))
echo "keep me" >"$c/notes.txt"
"$coord" cache trim --cache-dir "$c" --cache-max "$bound" >"$work/out"
expect "trim to all but the two least recently used packs" "$work/out" <<EOF
removed: $r12
entries: $((n - r12))
bytes: $bound
EOF
[ ! -e "$old1" ] && [ ! -e "$old2" ] && [ "$(entries_of "$c")" -eq $((n - r12)) ] &&
    ok "trim removed exactly the two oldest packs" || bad "trim removed other entries"
"$coord" cache trim --cache-dir "$c" --cache-max "$bound" | head -n1 >"$work/out"
expect "trim again removes nothing" "$work/out" <<EOF
removed: 0
EOF

"$coord" cache clean --cache-dir "$c" >"$work/out"
[ ! -s "$work/out" ] && [ "$(entries_of "$c")" -eq 0 ] && [ -f "$c/notes.txt" ] &&
    ok "clean removes every entry and nothing else" || bad "clean"
"$coord" cache info --cache-dir "$c" | sed -n 2,3p >"$work/out"
expect "info after clean" "$work/out" <<EOF
entries: 0
bytes: 0
EOF

# A run over the bound trims to 90% of it, and prints what an uncached run
# prints.
"$coord" check --cache-dir "$c" "$tree" >/dev/null 2>&1 || true
b=$(bytes_of "$c")
"$coord" cache clean --cache-dir "$c"
half=$((b / 2))
"$coord" check --cache-dir "$c" --cache-max "$half" --emit-types "$tree" >"$work/auto.out" 2>"$work/auto.err" || true
cmp -s "$work/auto.out" "$work/ref.out" && cmp -s "$work/auto.err" "$work/ref.err" &&
    ok "a run over the bound prints the uncached output" || bad "output of a run over the bound differs"
# The bound is the packs' size (docs/DECISIONS.md): the trim brings them to
# 90% of it.  The run's stat manifest, written after the trim (64 bytes, or
# about 700 once the sources are 2 s old and their records can be trusted),
# is not part of it.
left_packs=$(packs_of "$c")
[ "$left_packs" -le $((half - half / 10)) ] && [ "$left_packs" -gt 0 ] &&
    ok "the automatic trim left $left_packs bytes of entries (bound $half)" ||
    bad "the automatic trim left $left_packs bytes of entries (bound $half, target $((half - half / 10)))"

# Errors.
status_of() { set +e; "$@" >"$work/out" 2>"$work/err"; echo $?; set -e; }
[ "$(status_of "$coord" cache)" = 2 ] && grep -q "missing cache command" "$work/err" &&
    ok "coord cache: usage error" || bad "coord cache without a command"
[ "$(status_of "$coord" cache frob)" = 2 ] && grep -q "unknown cache command 'frob'" "$work/err" &&
    ok "unknown cache command" || bad "unknown cache command"
[ "$(status_of "$coord" cache info --cache-max lots)" = 2 ] && grep -q "lots" "$work/err" &&
    ok "bad --cache-max" || bad "bad --cache-max"
[ "$(status_of "$coord" cache info --cache-dir)" = 2 ] && ok "--cache-dir without a value" ||
    bad "--cache-dir without a value"
[ "$(status_of "$coord" cache info --frob)" = 2 ] && ok "unknown option" || bad "unknown option"
st=$(status_of "$coord" cache info --cache-dir /dev/null/c)
if [ "$st" = 2 ] && [ ! -s "$work/out" ] &&
    [ "$(cat "$work/err")" = "coord: cannot create cache directory /dev/null/c: Not a directory" ]; then
    ok "an unusable directory: exit 2, one message"
else
    bad "an unusable directory: exit $st"; cat "$work/err"
fi

[ $fails -eq 0 ] && echo "cache cli: all passed" || { echo "cache cli: $fails failed"; exit 1; }
