#!/bin/sh
# tools/bench_cache.sh — the result cache's figures for `make bench`
# (called by tools/bench.sh after its own; also runnable alone):
#
#   tools/bench_cache.sh BUILD_ROOT TREE
#
# On TREE (a generated tree; bench.sh passes its 10 000-module `wide` one),
# whole-process wall time and CPU time (user + system, which other load on a
# shared machine disturbs less) of `coord check -j2`, each the median of
# BENCH_RUNS runs, side by side in one run:
#   nocache   --no-cache
#   cold      an empty cache (it is filled)
#   warm      nothing changed
#   leaf      one function body of a module nobody imports changed
#   hub       one function body of the module imported by the most changed
#   iface     the type of ident<i> of that hub changed (its users re-check)
# Each edit run starts from a copy of the warm cache and the unedited tree.  Also
# peak RSS (of the median run, /usr/bin/time) warm vs cold, modules re-checked
# (typecheck.tasks), sources not read (cache.unread: the manifest) and the
# cache's bytes per module.
set -eu
B=${1:-build}
TREE=$2
REL=$B/release
RUNS=${BENCH_RUNS:-3}
tmp=$(mktemp -d /tmp/coord_bench_cache.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
cp -R "$TREE" "$tmp/tree"
tree=$tmp/tree cache=$tmp/cache
now() { date +%s%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure NAME PREP ARGS...: PREP (a shell function) runs before each run,
# untimed; the figures of the median run go to $tmp/NAME.*.  The timed runs
# are what a user runs (no --stats: it reads each thread's CPU clock, a
# system call, twice per task, which costs a warm run about a fifth of its
# CPU here); one more run after PREP, untimed, with --stats, gives the
# counts (modules re-checked, hits, sources not read).
measure() {
    name=$1 prep=$2
    shift 2
    : >"$tmp/walls"
    i=0
    while [ $i -lt "$RUNS" ]; do
        i=$((i + 1))
        $prep
        t0=$(now)
        /usr/bin/time -f 'cpu %U %S %M' -o "$tmp/cpu.$i" \
            "$REL/coord" check -j2 "$@" "$tree" >/dev/null 2>&1 || true
        t1=$(now)
        echo "$(( (t1 - t0) / 1000 )) $i" >>"$tmp/walls"
        awk '/^cpu / { print 1000 * ($2 + $3) }' "$tmp/cpu.$i" >>"$tmp/cpus.$name"
    done
    pick=$(sort -g "$tmp/walls" | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }')
    awk -v p="$pick" '$2 == p { print $1 / 1000 }' "$tmp/walls" >"$tmp/$name.ms"
    median <"$tmp/cpus.$name" >"$tmp/$name.cpu"
    awk '/^cpu / { print $4 }' "$tmp/cpu.$pick" >"$tmp/$name.rss"
    $prep
    "$REL/coord" check -j2 --stats "$@" "$tree" >/dev/null 2>"$tmp/$name.stats" || true
}
stat_of() { sed -n "s/^stats\\.$2: //p" "$tmp/$1.stats"; }

files=$(cd "$tree" && find . -name '*.kite' | sort)
hub= best=-1 leaf=
for f in $(echo "$files" | head -50); do
    name=$(sed -n 's/^module \([^ ]*\) .*/\1/p' "$tree/$f")
    n=$(grep -rl "^import $name\( \|\$\)" "$tree" | wc -l)
    [ "$n" -gt "$best" ] && best=$n hub=$f
done
for f in $(echo "$files" | tail -50); do
    name=$(sed -n 's/^module \([^ ]*\) .*/\1/p' "$tree/$f")
    [ "$(grep -rl "^import $name\( \|\$\)" "$tree" | wc -l)" -eq 0 ] && { leaf=$f; break; }
done
hi=$(sed -n 's/^module [^ ]*M0*\([0-9][0-9]*\) .*/\1/p' "$tree/$hub")

nothing() { :; }
empty() { rm -rf "$cache"; }
# An edit run starts from the cache as a warm run left it and the tree
# before the edit, then makes the edit (untimed).
restore() { rm -rf "$cache"; cp -R "$tmp/snap" "$cache"; cp "$tmp/hub.orig" "$tree/$hub"; cp "$tmp/leaf.orig" "$tree/$leaf"; }
edit_leaf() { restore; sed -i 's/let base = n + 1 in/let base = n + 2 in/' "$tree/$leaf"; }
edit_hub() { restore; sed -i 's/let base = n + 1 in/let base = n + 2 in/' "$tree/$hub"; }
edit_iface() { restore; sed -i "s/^fn ident$hi(x) = x\$/fn ident$hi(x: Int) -> Int = x/" "$tree/$hub"; }
cp "$tree/$hub" "$tmp/hub.orig"
cp "$tree/$leaf" "$tmp/leaf.orig"

measure nocache nothing --no-cache
measure cold empty --cache-dir "$cache"
"$REL/coord" check -j2 --cache-dir "$cache" "$tree" >/dev/null 2>&1 || true
measure warm nothing --cache-dir "$cache"
cp -R "$cache" "$tmp/snap"
measure leaf edit_leaf --cache-dir "$cache"
measure hub edit_hub --cache-dir "$cache"
measure iface edit_iface --cache-dir "$cache"
modules=$(stat_of nocache modules)
bytes=$(du -sb "$tmp/snap" | cut -f1)     # the warm cache (one pack, lru, manifest)
echo
echo "== result cache: $modules modules ($(basename "$TREE")), coord check -j2, whole process, median of $RUNS"
printf '%-9s %9s %9s %9s %9s %9s %9s %9s %8s\n' run wall_ms vs_nocache cpu_ms vs_nocache rechecked hits unread rss_MB
for r in nocache cold warm leaf hub iface; do
    awk -v r="$r" -v ms="$(cat "$tmp/$r.ms")" -v base="$(cat "$tmp/nocache.ms")" \
        -v cpu="$(cat "$tmp/$r.cpu")" -v cbase="$(cat "$tmp/nocache.cpu")" \
        -v tc="$(stat_of "$r" typecheck.tasks)" -v hits="$(stat_of "$r" cache.hits)" \
        -v unread="$(stat_of "$r" cache.unread)" -v rss="$(cat "$tmp/$r.rss")" \
        'BEGIN { printf "%-9s %9.1f %8.1f%% %9.0f %8.1f%% %9s %9s %9s %8.1f\n", r, ms, 100 * ms / base,
                 cpu, 100 * cpu / cbase, tc, (hits == "" ? "-" : hits), (unread == "" ? "-" : unread),
                 rss / 1024 }'
done
echo "leaf: $leaf; hub: $hub (imported by $best of the first 50 files' importers; iface edit: ident$hi)"
awk -v b="$bytes" -v m="$modules" 'BEGIN { printf "cache: %d bytes, %.0f bytes per module\n", b, b / m }'
