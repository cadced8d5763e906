#!/bin/sh
# io.sh COORD
#
# The command line against a hostile environment (issue 11, "silent loss,
# exit statuses, well-formed output"): FIFOs, full disks, unreadable and too
# deep directories, no file descriptors left, file names that are not UTF-8,
# odd arguments, an interrupted --trace.  Each case states the exact exit
# status and the exact lines it expects; all are bounded by `timeout`.
# Run by `make badinput` and by tests/ci_extra.sh (it takes a few seconds).
set -eu
export LC_ALL=C
if [ $# -ne 1 ]; then
    echo "usage: io.sh COORD" >&2
    exit 2
fi
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
timeout_s=${BADINPUT_TIMEOUT:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-io.XXXXXX")
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
fail=0
# A result cache of this run only: the user's (~/.cache/coord, where an
# earlier run left these very modules) would make the trace cases warm, with
# no parse task to trace.
export COORD_CACHE_DIR="$work/cache"

# A root with one good module.
good=$work/good
mkdir -p "$good/Good"
printf 'module Good.Main exposing (answer)\n\nfn answer(x: Int) -> Int = x + 1\n' \
    > "$good/Good/Main.kite"

# run ARGS...: runs coord from $work; exit status in $rc, output in
# $work/out and $work/err.
run() {
    rc=0
    (cd "$work" && timeout "$timeout_s" "$coord" "$@") > "$work/out" 2> "$work/err" || rc=$?
}

# check NAME WANT_RC: compares $rc, and $work/out and $work/err with
# $work/want_out and $work/want_err (each may be missing: then empty).
check() {
    name=$1 want_rc=$2 ok=1
    [ -f "$work/want_out" ] || : > "$work/want_out"
    [ -f "$work/want_err" ] || : > "$work/want_err"
    if [ "$rc" != "$want_rc" ]; then
        echo "io: FAIL $name: exit status $rc, expected $want_rc" >&2
        ok=0
    fi
    for f in out err; do
        if ! diff -u "$work/want_$f" "$work/$f" > "$work/diff"; then
            echo "io: FAIL $name: std$f differs (- expected, + actual):" >&2
            head -n 20 "$work/diff" >&2
            ok=0
        fi
    done
    rm -f "$work/want_out" "$work/want_err"
    if [ "$ok" = 1 ]; then
        echo "io: ok   $name"
    else
        fail=1
    fi
}

# ---- a FIFO named X.kite given alone: no blocking open, E0001
mkdir -p "$work/fifo"
mkfifo "$work/fifo/Lone.kite"
run check fifo/Lone.kite
printf '%s\n' 'fifo/Lone.kite:1:1: error[E0001]: cannot read source file: not a regular file' \
    'coord: 1 error in 1 module' > "$work/want_err"
check fifo-alone 1

# ---- a file argument that is not a .kite file: usage error
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$work/passwd"
run check passwd
cat > "$work/want_err" <<'EOF'
coord: 'passwd' is neither a directory nor a .kite file
EOF
check not-kite 2

# ---- a directory deeper than PATH_MAX below a root: its modules cannot be
# read, so the run fails (exit 2) instead of skipping them silently
mkdir -p "$work/deep/Good"
cp "$good/Good/Main.kite" "$work/deep/Good/"
python3 - "$work/deep" <<'PY'
import os, sys
os.chdir(sys.argv[1])
for i in range(42):        # relative steps: no path ever reaches PATH_MAX
    os.mkdir("d%099d" % i)
    os.chdir("d%099d" % i)
open("X.kite", "w").write('module X exposing (v)\nlet v = 1 + "s"\n')
PY
run check deep
# the first directory whose path reaches PATH_MAX (4096): deep/ + 40 levels
p=deep
i=0
while [ $i -lt 41 ]; do p=$p/$(printf 'd%099d' $i); i=$((i + 1)); done
head=$(printf '%s' "$p" | cut -c1-60)
tail=$(printf '%s' "$p" | awk '{ print substr($0, length($0) - 89) }')
echo "coord: cannot read directory '$head...$tail': File name too long" > "$work/want_err"
check deep-dir 2
# ---- an unreadable directory below a root: the same (root ignores
# permissions, so as root coord runs as nobody through setpriv)
as_user=
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
    as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
    $as_user test -x "$coord" || as_user=     # nobody cannot reach the binary
fi
if [ "$(id -u)" != 0 ] || [ -n "$as_user" ]; then
    mkdir -p "$work/locked/Good" "$work/locked/Hidden"
    cp "$good/Good/Main.kite" "$work/locked/Good/"
    cp "$good/Good/Main.kite" "$work/locked/Hidden/Main.kite"
    chmod 755 "$work" "$work/locked" "$work/locked/Good"
    chmod 644 "$work/locked/Good/Main.kite"
    chmod 000 "$work/locked/Hidden"
    rc=0
    (cd "$work" && timeout "$timeout_s" $as_user "$coord" check locked) \
        > "$work/out" 2> "$work/err" || rc=$?
    echo "coord: cannot read directory 'locked/Hidden': Permission denied" > "$work/want_err"
    check unreadable-dir 2
    chmod 755 "$work/locked/Hidden"
    chmod 700 "$work"
else
    echo "io: skip unreadable-dir (root without setpriv; deep-dir covers the same path)"
fi

# ---- output that cannot be written (a full disk): exit 2, one line
mkdir -p "$work/errs/E"
printf 'module E.M exposing (v)\n\nlet v = 1 + "s"\n' > "$work/errs/E/M.kite"
full_case() {   # NAME WANT_RC WANT_ERR ARGS... (stdout to /dev/full)
    name=$1 want_rc=$2 want_err=$3
    shift 3
    rc=0
    (cd "$work" && timeout "$timeout_s" "$coord" "$@") > /dev/full 2> "$work/err" || rc=$?
    : > "$work/out"
    printf '%s' "$want_err" > "$work/want_err"
    check "$name" "$want_rc"
}
full_case full-types 2 'coord: cannot write standard output: No space left on device
' check --emit-types good
full_case full-json 2 'coord: cannot write standard output: No space left on device
' check --format json errs
# text diagnostics to a full standard error: nothing can be said, exit 2
rc=0
(cd "$work" && timeout "$timeout_s" "$coord" check errs) 2> /dev/full > "$work/out" || rc=$?
: > "$work/err"
check full-stderr 2

# ---- running out of file descriptors: never output that varies.  COORD
# runs with only descriptors 0-2 inherited (python closes the rest) under
# RLIMIT_NOFILE = 4: exactly one free descriptor (and no result cache, which
# would need descriptors of its own).
nofile() {      # ARGS...: run coord from $work like run(), with that limit
    rc=0
    (cd "$work" && timeout "$timeout_s" python3 -c '
import resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (4, 4))
sys.exit(subprocess.call(sys.argv[1:], preexec_fn=limit))' "$coord" "$@") \
        > "$work/out" 2> "$work/err" || rc=$?
}
mkdir -p "$work/fds"
i=0
while [ $i -lt 300 ]; do
    printf 'module M%d exposing (v)\n\nlet v = %d + "s"\n' $i $i > "$work/fds/M$i.kite"
    i=$((i + 1))
done
run check -j 1 --emit-types fds
cp "$work/out" "$work/fds_out"
cp "$work/err" "$work/fds_err"
# eight workers share the one descriptor: each waits its turn, and the
# output is that of an unlimited run (before, a timing-dependent set of
# modules got E0001: several runs, so that shows almost surely)
n=0
for j in 8 8 8 2; do
    n=$((n + 1))
    nofile check --no-cache -j $j --emit-types fds
    cp "$work/fds_out" "$work/want_out"
    cp "$work/fds_err" "$work/want_err"
    check "nofile-shared-$n-j$j" 1
done
# none left for the walk (the trace file holds it): exit 3, one line
nofile check --no-cache --trace t2.json fds
echo 'coord: out of file descriptors while reading directories (Too many open files; raise the limit: ulimit -n)' > "$work/want_err"
check nofile-walk 3
# none left for reading a source: exit 3, one line, no reports
nofile check --no-cache -j 2 --trace t2.json --emit-types fds/M1.kite
echo 'coord: out of file descriptors while reading source files (Too many open files; raise the limit: ulimit -n)' > "$work/want_err"
check nofile-read 3

# ---- a worker thread that cannot be created says so (a huge stack limit
# makes every thread's stack allocation fail); -j1 creates no thread
rc=0
(cd "$work" && ulimit -s 1000000000 && exec timeout "$timeout_s" "$coord" check -j 2 good) \
    > "$work/out" 2> "$work/err" || rc=$?
echo 'coord: cannot start the worker pool: cannot create worker thread 1 of 1: Resource temporarily unavailable' > "$work/want_err"
check thread-create 3

# strict_json FILE...: every line of each FILE is UTF-8 and parses as JSON
# (the whole file for a trace).  Prints nothing on success.
strict_json() {
    python3 - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    text = open(path, "rb").read().decode("utf-8")      # strict: raises
    if path.endswith(".json"):
        json.loads(text)
    else:
        for line in text.splitlines():
            json.loads(line)
PY
}

# ---- file names that are not UTF-8: JSON reports and --trace stay valid
mkdir -p "$work/names/Bad"
printf 'module Bad.X exposing (v)\n\nlet v = 1 + "s"\n' > "$work/names/Bad/X$(printf '\377\300').kite"
run check --format json --trace names.json names
printf '%s\n' '{"severity":"error","code":"E0403","module":"Bad.X","file":"names/Bad/X\ufffd\ufffd.kite","line":1,"col":8,"end_line":1,"end_col":13,"message":"module name Bad.X does not match the file path names/Bad/X\ufffd\ufffd.kite (expected Bad.X\ufffd\ufffd)"}' \
    '{"severity":"error","code":"E0301","module":"Bad.X","file":"names/Bad/X\ufffd\ufffd.kite","line":3,"col":13,"end_line":3,"end_col":16,"message":"type mismatch: expected Int, found Str"}' \
    > "$work/want_out"
if ! strict_json "$work/out" "$work/names.json" 2> "$work/py"; then
    echo "io: FAIL names: not strict UTF-8 JSON: $(tail -n 1 "$work/py")" >&2
    fail=1
fi
grep -q '"name":"parse Bad.X"' "$work/names.json" ||
    { echo "io: FAIL names: no parse span in the trace" >&2; fail=1; }
check names-json 1

if ls "$work"/names.json.tmp.* > /dev/null 2>&1; then
    echo "io: FAIL names: a temporary trace file was left behind" >&2
    fail=1
fi

# ---- --trace FILE is replaced only once complete: a build stopped before
# the end (here: killed while its JSON output is stuck in a full pipe, which
# happens before the trace is written) leaves the old FILE as it was, and
# the signal (SIGTERM) removes the temporary file
mkdir -p "$work/many/M"
awk 'BEGIN { print "module M.Many exposing (v1)"; for (i = 1; i <= 5000; i++) printf "let v%d = 1 + \"s\"\n", i }' \
    > "$work/many/M/Many.kite"
echo 'old trace' > "$work/t.json"
mkfifo "$work/stuck"
exec 3<> "$work/stuck"          # a reader that never reads
(cd "$work" && exec "$coord" check -j 2 --format json --trace t.json many) > "$work/stuck" 2> /dev/null &
pid=$!
i=0
while [ $i -lt 200 ] && ! ls "$work"/t.json.tmp.* > /dev/null 2>&1; do
    sleep 0.1
    i=$((i + 1))
done
rc=0
if ! ls "$work"/t.json.tmp.* > /dev/null 2>&1; then
    echo "io: FAIL trace-rename: no temporary trace file while the build runs" >&2
    rc=1
fi
sleep 0.5
if ! kill -0 "$pid" 2> /dev/null; then
    echo "io: FAIL trace-rename: coord was not stuck on its output" >&2
    rc=1
fi
kill "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
exec 3<&-
if [ "$(cat "$work/t.json")" != 'old trace' ]; then
    echo "io: FAIL trace-rename: the trace file was changed by a build that did not finish" >&2
    rc=1
fi
if ls "$work"/t.json.tmp.* > /dev/null 2>&1; then
    echo "io: FAIL trace-rename: SIGTERM left the temporary trace file" >&2
    rc=1
fi
if [ "$rc" = 0 ]; then echo "io: ok   trace-rename"; else fail=1; fi

if [ "$fail" != 0 ]; then
    echo "io: FAILED" >&2
    exit 1
fi
echo "io: all cases passed"
