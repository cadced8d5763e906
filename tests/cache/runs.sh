# tests/cache/runs.sh — sourced by the cache suites that compare runs of
# one tree (robust.sh, manifest.sh).  Needs $coord, $tree and a fail()
# that names the suite.
#
# run OUT ARGS...: coord check --emit-types ARGS TREE; stdout and the exit
# status into OUT.out, standard error into OUT.all, and without the
# stats lines into OUT.err
run() {
    o=$1
    shift
    set +e
    "$coord" check --emit-types "$@" "$tree" >"$o.out" 2>"$o.all"
    echo "status $?" >>"$o.out"
    set -e
    grep -v '^stats\.' "$o.all" >"$o.err" || true
}
# stat_of KEY OUT: the value of stats.KEY in OUT.all
stat_of() { sed -n "s/^stats\.$1: //p" "$2.all"; }
# same_output OUT REF WHAT: OUT printed what REF printed, else fail (with
# the first lines of the differences)
same_output() {
    cmp -s "$1.out" "$2.out" && cmp -s "$1.err" "$2.err" || {
        diff "$2.out" "$1.out" | head -10 >&2 || true
        diff "$2.err" "$1.err" | head -10 >&2 || true
        fail "$3: output differs from the cold run"
    }
}
