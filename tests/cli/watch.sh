#!/bin/sh
# `coord check --watch` end to end (called by tests/golden/run.sh):
#
#   tests/cli/watch.sh path/to/coord
#
# A watch runs in the background while this script edits its tree and
# reads what it prints; every wait is a bounded wait for the expected
# summary line (`... (rechecked N of M modules in X ms); watching for
# changes`), never a sleep standing in for synchronization.
#   1. the first run; a body edit of a leaf (exactly one module checked
#      again); a save by rename over the original (a temporary file that is
#      not .kite, then mv);
#   2. a new directory with a module (then an edit inside it: it is
#      watched), the directory deleted;
#   3. a burst of edits to several files: the last run's diagnostics equal
#      a cold `coord check` of the same files;
#   4. SIGINT: exit status 130;
#   5. out of inotify watches (COORD_WATCH_MAX, read by testing builds):
#      the warning once, then changes are still found by the timed re-scan.
set -u
[ $# -eq 1 ] || { echo "usage: $0 path/to/coord" >&2; exit 2; }
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d /tmp/coord_watch.XXXXXX)
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
failed=0
ok()  { echo "ok   watch: $1"; }
bad() { echo "FAIL watch: $1"; failed=$((failed + 1)); }

runs() { grep -c 'watching for changes$' "$work/err"; }
# wait_for N PATTERN: until there are N summary lines and the last matches
# PATTERN (bounded: 30 s)
wait_for() {
    i=0
    while :; do
        if [ "$(runs)" -ge "$1" ] && grep 'watching for changes$' "$work/err" | tail -n 1 | grep -Eq "$2"; then
            return 0
        fi
        i=$((i + 1))
        [ $i -gt 600 ] && return 1
        sleep 0.05
    done
}
last() { grep 'watching for changes$' "$work/err" | tail -n 1; }

mkdir -p "$work/src/Sub"
cd "$work"
printf 'module A exposing (a)\nlet a = 1\n' >src/A.kite
printf 'module B exposing (b)\nimport A\nlet b = A.a + 1\n' >src/B.kite
printf 'module Sub.C exposing (c)\nimport B\nlet c = B.b\n' >src/Sub/C.kite

"$coord" check --watch --no-cache -j2 src >out 2>err &
pid=$!
if wait_for 1 '^coord: no errors \(rechecked 3 of 3 modules in [0-9]+\.[0-9] ms\); watching for changes$'; then
    ok "first run: $(last)"
else
    bad "first run: $(last)"
fi

printf 'module A exposing (a)\nlet a = 2\n' >src/A.kite
if wait_for 2 '^coord: no errors \(rechecked 1 of 3 modules in'; then
    ok "a body edit of a leaf checks one module: $(last)"
else
    bad "body edit: $(last)"
fi

printf 'module A exposing (a)\nlet a = 1 + "x"\n' >src/.A.kite.swp
mv src/.A.kite.swp src/A.kite
if wait_for 3 '^coord: 1 error \(rechecked [0-9]+ of 3 modules' && grep -q E0301 err; then
    ok "a save by rename over the file"
else
    bad "rename over: $(last)"
fi

mkdir src/New
printf 'module New.D exposing (d)\nlet d = 1\n' >src/New/D.kite
if wait_for 4 '^coord: 1 error \(rechecked [0-9]+ of 4 modules'; then
    ok "a new directory joins the build"
else
    bad "new directory: $(last)"
fi
n=$(runs)
printf 'module New.D exposing (d)\nlet d = "y" + 1\n' >src/New/D.kite
if wait_for $((n + 1)) '^coord: 2 errors \(rechecked 1 of 4 modules'; then
    ok "the new directory is watched"
else
    bad "edit in the new directory: $(last)"
fi
n=$(runs)
rm -r src/New
if wait_for $((n + 1)) '^coord: 1 error \(rechecked [0-9]+ of 3 modules'; then
    ok "a deleted directory leaves the build"
else
    bad "deleted directory: $(last)"
fi

n=$(runs)
printf 'module A exposing (a)\nlet a = "s"\n' >src/A.kite
printf 'module B exposing (b)\nimport A\nimport Gone\nlet b = A.a + 1\n' >src/B.kite
printf 'module Sub.C exposing (c)\nimport B\nlet c = B.b + True\n' >src/Sub/C.kite
if wait_for $((n + 1)) '^coord: 3 errors \(rechecked [0-9]+ of 3 modules'; then
    # the diagnostics of the last run: the lines after the previous summary
    awk '/watching for changes$/ { done = block; block = ""; next } { block = block $0 "\n" } END { printf "%s", done }' err >last.txt
    "$coord" check --no-cache src 2>cold.txt
    grep -v '^coord: 3 errors' cold.txt >cold.diag
    if cmp -s cold.diag last.txt; then
        ok "after a burst of edits the output equals a cold check"
    else
        bad "burst: the output differs from a cold check"
        diff cold.diag last.txt | head -10
    fi
else
    bad "burst: $(last)"
fi

kill -INT "$pid"
wait "$pid"
status=$?
pid=
if [ $status -eq 130 ]; then ok "SIGINT ends it with exit status 130"; else bad "SIGINT: exit $status"; fi

# out of watches: src and src/Sub need two
: >err
COORD_WATCH_MAX=1 "$coord" check --watch --no-cache -j1 src >out 2>err &
pid=$!
if wait_for 1 '^coord: 3 errors'; then
    printf 'module A exposing (a)\nlet a = 5\n' >src/A.kite
    if wait_for 2 '^coord: 2 errors \(rechecked [0-9]+ of 3 modules' &&
       [ "$(grep -c 'cannot watch for changes (inotify: No space left on device; raise fs.inotify.max_user_watches); re-scanning every 1000 ms instead' err)" -eq 1 ]; then
        ok "out of inotify watches: said once, then a timed re-scan finds changes"
    else
        bad "out of watches: $(cat err | head -5)"
    fi
else
    bad "out of watches, first run: $(last)"
fi
kill -INT "$pid"
wait "$pid"
status=$?
pid=
[ $status -eq 130 ] || bad "SIGINT in the timed re-scan: exit $status"

[ $failed -eq 0 ]
