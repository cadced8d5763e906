#!/bin/sh
# Observability checks of `coord check` (called at the end of run.sh):
#
#   tests/golden/obs.sh path/to/coord
#
# 1. --stats prints every `stats.key: value` line, in order, after all other
#    output, with exact module / line / task counts, efficiency <= 1, and
#    the rest of the output (exit status, stdout, diagnostics) unchanged.
# 2. --trace writes valid JSON (python3 -m json.tool when python3 exists,
#    else a strict line-by-line check of the format coord writes) holding one
#    complete event per task, named "<phase> <Module>", on known threads.
#    A trace path that cannot be opened is a usage error (2), before any build.
# 3. The progress line: on a terminal (script(1) from util-linux gives the
#    build a pty) it appears, `[done/total] verb Module` (tasks) drawn with \r and
#    erase-to-end-of-line, and is erased before the diagnostics; removing it
#    leaves exactly what a non-terminal run prints.  A quick build shows none.
#    COORD_PROGRESS_AFTER_MS=1 (read by testing builds only) makes it appear
#    at once, so the check does not depend on the machine's speed.
set -u
[ $# -eq 1 ] || { echo "usage: $0 path/to/coord" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d /tmp/coord_obs.XXXXXX)
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap 'rm -rf "$work"' EXIT INT TERM
failed=0
have_py=0
command -v python3 >/dev/null 2>&1 && have_py=1
[ "${OBS_NO_PYTHON:-}" = 1 ] && have_py=0     # exercise the fallback checks

ok()   { echo "ok   obs: $1"; }
bad()  { echo "FAIL obs: $1"; failed=$((failed + 1)); }

# A tree of 400 generated modules plus one with a type error.
n=400
"$top/tests/e2e/gen_tree.sh" "$work/src" $n
printf 'module Gen.Bad exposing (w)\n\nlet w = 3 + "wide"\n' >"$work/src/Gen/Bad.kite"
modules=$((n + 1))
lines=$(find "$work/src" -name '*.kite' -exec cat {} + | wc -l)

# ---- 1. --stats
"$coord" check -j2 "$work/src" >"$work/plain.out" 2>"$work/plain.err"
plain_status=$?
"$coord" check -j2 --no-cache --stats --trace "$work/trace.json" "$work/src" >"$work/stats.out" 2>"$work/stats.err"
stats_status=$?
grep -v '^stats\.' "$work/stats.err" >"$work/stats.rest"
if [ $plain_status -ne 1 ] || [ $stats_status -ne 1 ]; then
    bad "--stats: exit status $stats_status (plain $plain_status), expected 1"
elif ! cmp -s "$work/plain.out" "$work/stats.out" || ! cmp -s "$work/plain.err" "$work/stats.rest"; then
    bad "--stats/--trace changed the other output"
    diff "$work/plain.err" "$work/stats.rest" | head -10
else
    ok "--stats and --trace leave the other output unchanged"
fi
keys="jobs modules lines parse.tasks parse.cpu_ms canonicalize.tasks canonicalize.cpu_ms
typecheck.tasks typecheck.cpu_ms tasks task_cpu_ms coordinator.busy_ms
coordinator.ns_per_task coordinator.cpu_ms coordinator.setup_ms coordinator.finish_ms
coordinator.loop_ns_per_task coordinator.discovery_ns_per_file peak_rss_kb critical_path_ms work_per_worker_ms lower_bound_ms
wall_ms efficiency rechecked"
# the stats block is the tail of stderr, one key per line, in this order
nkeys=$(echo $keys | wc -w)
tail -n "$nkeys" "$work/stats.err" | sed 's/: .*//; s/^stats\.//' | tr '\n' ' ' >"$work/keys.got"
echo $keys | tr '\n' ' ' | sed 's/ *$/ /' >"$work/keys.want"
stat_of() { sed -n "s/^stats\\.$1: //p" "$work/stats.err"; }
if ! cmp -s "$work/keys.got" "$work/keys.want"; then
    bad "--stats keys: got '$(cat "$work/keys.got")'"
elif [ "$(stat_of jobs)" != 2 ] || [ "$(stat_of modules)" != $modules ] || [ "$(stat_of lines)" != "$lines" ] ||
     [ "$(stat_of parse.tasks)" != $modules ] || [ "$(stat_of canonicalize.tasks)" != $modules ] ||
     [ "$(stat_of typecheck.tasks)" != $modules ] || [ "$(stat_of tasks)" != $((3 * modules)) ]; then
    bad "--stats counts: $(grep -E 'stats\.(jobs|modules|lines|[a-z]*\.?tasks):' "$work/stats.err" | tr '\n' ' ')"
elif ! awk -v e="$(stat_of efficiency)" -v lb="$(stat_of lower_bound_ms)" -v w="$(stat_of wall_ms)" \
        -v cp="$(stat_of critical_path_ms)" -v wk="$(stat_of work_per_worker_ms)" \
        'BEGIN { exit !(e > 0 && e <= 1.0005 && lb <= w && (lb == cp || lb == wk) && lb >= cp && lb >= wk) }'; then
    bad "--stats bound: $(grep -E 'stats\.(critical|work_per|lower|wall|eff)' "$work/stats.err" | tr '\n' ' ')"
else
    ok "--stats ($modules modules, $lines lines, $((3 * modules)) tasks)"
fi

# ---- 2. --trace
check_trace() {   # file jobs
    if [ $have_py = 1 ]; then
        python3 -m json.tool "$1" >/dev/null 2>"$work/json.err" || { cat "$work/json.err"; return 1; }
        python3 - "$1" "$2" "$modules" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
jobs, modules = int(sys.argv[2]), int(sys.argv[3])
ev = doc["traceEvents"]
names = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
tasks = [e for e in ev if e["ph"] == "X" and e["cat"] != "coordinator"]
per = {}
for e in ev:
    if e["ph"] != "X":
        continue
    assert e["pid"] == 1 and e["tid"] in names, e
    assert e["ts"] >= 0 and e["dur"] >= 0, e
for e in tasks:
    phase, module = e["name"].split(" ", 1)
    assert phase == e["cat"] and phase in ("parse", "canonicalize", "typecheck"), e
    assert module.startswith("Gen."), e
    assert e["tid"] < jobs, e
    per[phase] = per.get(phase, 0) + 1
assert sorted(names) == list(range(jobs)), names
assert per == {"parse": modules, "canonicalize": modules, "typecheck": modules}, per
EOF
    else
        # strict check of the exact shape coord writes: one event per line,
        # separated by commas at the line ends, none after the last
        ev='\{"name":"[^"\\]*",("cat":"[a-z]+","ph":"X","ts":[0-9]+\.[0-9]{3},"dur":[0-9]+\.[0-9]{3},"pid":1,"tid":[0-9]+\}|"ph":"M","pid":1,"tid":[0-9]+,"args":\{"name":"[^"\\]*"\}\})'
        [ "$(head -n 1 "$1")" = '{"traceEvents":[' ] || return 1
        [ "$(tail -n 1 "$1")" = '],"displayTimeUnit":"ms","otherData":{"spans_dropped":0}}' ] || return 1
        sed '1d;$d' "$1" >"$work/body"
        [ -z "$(sed '$d' "$work/body" | grep -v ',$')" ] || return 1
        [ -z "$(tail -n 1 "$work/body" | grep ',$')" ] || return 1
        [ -z "$(sed 's/,$//' "$work/body" | grep -Ev "^$ev\$")" ] || return 1
        [ "$(grep -c '"cat":"typecheck"' "$1")" -eq "$modules" ]
    fi
}
if check_trace "$work/trace.json" 2; then ok "--trace -j2 is valid JSON, one event per task"
else bad "--trace -j2"; fi
"$coord" check -j1 --no-cache --trace "$work/trace1.json" "$work/src" >/dev/null 2>&1
if check_trace "$work/trace1.json" 1; then ok "--trace -j1 (tasks on the coordinator's thread)"
else bad "--trace -j1"; fi
"$coord" check --trace "$work/no/such/dir/t.json" "$work/src" >"$work/o" 2>"$work/e"
st=$?
if [ $st -eq 2 ] && [ ! -s "$work/o" ] &&
   grep -qx "coord: cannot open trace file '$work/no/such/dir/t.json': No such file or directory" "$work/e"; then
    ok "--trace to an impossible path: exit 2"
else
    bad "--trace to an impossible path: exit $st: $(cat "$work/e")"
fi

# ---- 3. the progress line
if ! command -v script >/dev/null 2>&1 || [ $have_py = 0 ]; then
    echo "skip obs: progress line (needs script(1) and python3)"
else
    # the reference: the same build, stderr not a terminal, both streams in one file
    "$coord" check -j2 --emit-types "$work/src" >"$work/ref" 2>&1
    COORD_PROGRESS_AFTER_MS=1 script -qfec "'$coord' check -j2 --no-cache --emit-types '$work/src'" /dev/null \
        </dev/null >"$work/tty" 2>&1
    if python3 - "$work/tty" "$work/ref" "$modules" <<'EOF'
import re, sys
tty = open(sys.argv[1], "rb").read().decode()
ref = open(sys.argv[2], "rb").read().decode()
modules = int(sys.argv[3])
draw = re.compile(r"\r\[(\d+)/(\d+)\] (parsing|canonicalizing|checking) (Gen\.[A-Za-z0-9.]+)\x1b\[K")
draws = draw.findall(tty)
assert draws, "no progress line drawn"
for done, total, verb, mod in draws:
    assert int(done) <= int(total) <= 3 * modules, (done, total)
assert all(int(a[0]) <= int(b[0]) for a, b in zip(draws, draws[1:])), "count went back"
last = list(draw.finditer(tty))[-1]
erase = tty.find("\r\x1b[K", last.end())
assert erase >= 0, "the progress line is never erased"
rest = tty[erase + 4:]
assert "\x1b[K" not in rest, "progress drawn after the erase"
assert "error" not in tty[:last.start()], "diagnostics printed while the line was up"
plain = draw.sub("", tty).replace("\r\x1b[K", "", 1)
plain = re.sub(r"\x1b\[[0-9;]*m", "", plain).replace("\r\n", "\n")
assert plain == ref, "output differs from the non-terminal run:\n%r\n---\n%r" % (plain[:300], ref[:300])
EOF
    then ok "progress line on a terminal: drawn, erased before the diagnostics"
    else bad "progress line on a terminal"; fi
    # a quick build (well under 300 ms) on a terminal shows no progress line
    script -qfec "'$coord' check -j2 '$top/tests/e2e/chain/src'" /dev/null </dev/null >"$work/quick" 2>&1
    if grep -q "$(printf '\033')\[K" "$work/quick"; then bad "progress line on a quick build"
    else ok "no progress line on a quick build"; fi
fi

[ $failed -eq 0 ]
