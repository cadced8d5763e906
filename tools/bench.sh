#!/bin/sh
# tools/bench.sh — `make bench`: throughput, scaling and scheduler overhead of
# coord on four generated workloads, with two other schedulers of the same
# phase functions side by side, measured in the same run.
#
#   tools/bench.sh BUILD_ROOT        (make bench builds the binaries first)
#
# Workloads (tools/gen, 10 000 modules each, written once to build/bench/ and
# reused while the generator's options are unchanged):
#   wide  --shape wide  --fanout 4: 4 hub modules, every other module imports
#         all four (shallow and broad: after the hubs, everything is parallel)
#   deep  --shape chain: module i imports module i-1 (one 10 000-long chain:
#         every typecheck waits for the previous one)
#   include --shape include --fanout 4: shaped like a C include graph (1..7
#         imports of earlier modules each, power-law fan-in: the first few
#         modules imported by thousands, most by none), 58-line modules
#   tiny  --shape include --fanout 3 --tiny: the same graph shape of tiny
#         files (about 25 lines each, one definition per line)
# For each workload: coord check at -j1, -j2 and -jN (N = nproc), and
# sched_queue / sched_tbb (tools/sched/) at -jN.  Wall times are whole
# processes (start to exit, the same for all three), the median of
# BENCH_RUNS runs (default 3, after one untimed run of coord), the programs' runs alternated in each round;
# coord's timed runs are without --stats (which reads each thread's CPU
# clock, a system call, around every task: a cost the other two do not
# pay), and its counters (task CPU, lower bound, coordinator, peak RSS) come
# from one more run with --stats.  Nothing fails on a number; the script
# fails only when the three schedulers did not do the same work (module and
# report counts) or a program failed.
set -eu
B=${1:-build}
REL=$B/release
OUT=build/bench
RUNS=${BENCH_RUNS:-3}
MODULES=${BENCH_MODULES:-10000}
NPROC=$(nproc 2>/dev/null || echo 1)
for tool in "$REL/coord" "$REL/tools/gen" "$REL/tools/sched_queue" "$REL/tools/sched_tbb"; do
    [ -x "$tool" ] || { echo "bench: $tool is missing (run make bench)" >&2; exit 2; }
done
mkdir -p "$OUT"
tmp=$(mktemp -d /tmp/coord_bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

generate() {   # name, gen options...
    name=$1
    shift
    dir=$OUT/$name
    want="$* --modules $MODULES"
    if [ -f "$dir/.options" ] && [ "$(cat "$dir/.options")" = "$want" ]; then
        return
    fi
    rm -rf "$dir"
    # shellcheck disable=SC2086
    "$REL/tools/gen" --out "$dir" $want >/dev/null
    echo "$want" >"$dir/.options"
}

median() {   # numbers on stdin -> the median (lower middle)
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

now_us() { echo $(($(date +%s%N) / 1000)); }

# coord_time WORKLOAD JOBS: one timed run (whole process, no --stats), its
# wall ms appended to $tmp/walls.coord.WORKLOAD.JOBS
coord_time() {
    st=0
    t0=$(now_us)
    "$REL/coord" check -j "$2" --no-cache --format json "$OUT/$1" >/dev/null 2>"$tmp/err" || st=$?
    t1=$(now_us)
    if [ $st -ge 2 ]; then
        echo "bench: coord check -j$2 $OUT/$1 failed with status $st" >&2
        cat "$tmp/err" >&2
        exit 1
    fi
    echo "$(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))" >>"$tmp/walls.coord.$1.$2"
}

# coord_count WORKLOAD JOBS -> $tmp/coord.WORKLOAD.JOBS: the counters of one
# more run, with --stats, and stats.process_ms: the timed runs' median
coord_count() {
    st=0
    "$REL/coord" check -j "$2" --no-cache --stats --format json "$OUT/$1" \
        >"$tmp/reports" 2>"$tmp/coord.$1.$2" || st=$?
    if [ $st -ge 2 ]; then
        echo "bench: coord check -j$2 --stats $OUT/$1 failed with status $st" >&2
        cat "$tmp/coord.$1.$2" >&2
        exit 1
    fi
    echo "stats.reports: $(wc -l <"$tmp/reports")" >>"$tmp/coord.$1.$2"
    echo "stats.process_ms: $(median <"$tmp/walls.coord.$1.$2")" >>"$tmp/coord.$1.$2"
}

# sched_time TOOL WORKLOAD JOBS: one timed run (whole process), its wall ms
# appended to $tmp/walls.TOOL.WORKLOAD, its line (work counts) kept
sched_time() {
    t0=$(now_us)
    line=$("$REL/tools/$1" "$OUT/$2" "$3") || { echo "bench: $1 failed on $2" >&2; exit 1; }
    t1=$(now_us)
    echo "$(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))" >>"$tmp/walls.$1.$2"
    echo "$line" >"$tmp/$1.$2"
}

stat_of() { sed -n "s/^stats\\.$2: //p" "$1"; }
field()   { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }

generate wide --shape wide --fanout 4 --lines 20 --seed 1
generate deep --shape chain --fanout 1 --lines 20 --seed 1
generate include --shape include --fanout 4 --lines 20 --seed 1
generate tiny --shape include --tiny --fanout 3 --seed 1

JOBS="1 2"
[ "$NPROC" -gt 2 ] && JOBS="$JOBS $NPROC"
echo "coord bench: $MODULES modules per workload, $NPROC online CPUs, median of $RUNS runs"
echo "command: make bench   ($(uname -srm); $(${CC:-cc} --version | head -n 1))"
status=0
for w in wide deep include tiny; do
    # One untimed run first: the tree's files, unread since the last
    # workload or longer, may have left the page cache (a host that pages
    # out what was not touched for a minute made the first timed -j1 run
    # of a workload half again as slow as the others).
    "$REL/coord" check -j 1 --no-cache --format json "$OUT/$w" >/dev/null 2>&1 || true
    i=0
    while [ $i -lt "$RUNS" ]; do     # the programs alternated in each round
        i=$((i + 1))
        for j in $JOBS; do coord_time $w "$j"; done
        sched_time sched_queue $w "$NPROC"
        sched_time sched_tbb $w "$NPROC"
    done
    for j in $JOBS; do coord_count $w "$j"; done
    c1=$tmp/coord.$w.1
    cn=$tmp/coord.$w.$NPROC
    echo
    echo "== $w: $(stat_of "$c1" modules) modules, $(stat_of "$c1" lines) lines;" \
         "task CPU at -j1: parse $(stat_of "$c1" parse.cpu_ms) ms," \
         "canonicalize $(stat_of "$c1" canonicalize.cpu_ms) ms," \
         "typecheck $(stat_of "$c1" typecheck.cpu_ms) ms;" \
         "critical path $(stat_of "$c1" critical_path_ms) ms"
    printf '%-12s %4s %9s %11s %10s %8s %6s %7s %9s %8s %7s\n' \
        scheduler jobs wall_ms lines/s modules/s speedup bound effic coord_ns/t rss_MB B/line
    for j in $JOBS; do
        f=$tmp/coord.$w.$j
        awk -v j="$j" -v wall="$(stat_of "$f" process_ms)" -v wall1="$(stat_of "$c1" process_ms)" \
            -v lines="$(stat_of "$f" lines)" -v mods="$(stat_of "$f" modules)" \
            -v lb="$(stat_of "$f" lower_bound_ms)" -v eff="$(stat_of "$f" efficiency)" \
            -v nspt="$(stat_of "$f" coordinator.ns_per_task)" -v rss="$(stat_of "$f" peak_rss_kb)" \
            'BEGIN { printf "%-12s %4s %9.1f %11.0f %10.0f %7.2fx %6.0f %7.3f %9.0f %8.1f %7.1f\n",
                     "coord", "-j" j, wall, lines / (wall / 1000), mods / (wall / 1000),
                     wall1 / wall, lb, eff, nspt, rss / 1024, rss * 1024 / lines }'
    done
    for t in sched_queue sched_tbb; do
        f=$tmp/$t.$w
        awk -v t="$t" -v j="$NPROC" -v ms="$(median <"$tmp/walls.$t.$w")" -v wall1="$(stat_of "$c1" process_ms)" \
            -v lines="$(field "$f" lines)" -v mods="$(field "$f" modules)" \
            -v rss="$(field "$f" maxrss_kb)" \
            'BEGIN { printf "%-12s %4s %9.1f %11.0f %10.0f %7.2fx %6s %7s %9s %8.1f %7.1f\n",
                     t, "-j" j, ms, lines / (ms / 1000), mods / (ms / 1000), wall1 / ms, "-", "-", "-",
                     rss / 1024, rss * 1024 / lines }'
        # the same work: modules, lines and reports agree with coord's
        if [ "$(field "$f" modules)" != "$(stat_of "$cn" modules)" ] ||
           [ "$(field "$f" lines)" != "$(stat_of "$cn" lines)" ] ||
           [ "$(field "$f" reports)" != "$(stat_of "$cn" reports)" ] ||
           [ "$(field "$f" failed)" != 0 ]; then
            echo "bench: $t did different work on $w: $(cat "$f");" \
                 "coord: modules=$(stat_of "$cn" modules) lines=$(stat_of "$cn" lines)" \
                 "reports=$(stat_of "$cn" reports)" >&2
            status=1
        fi
    done
    awk -v c="$(stat_of "$cn" process_ms)" -v q="$(median <"$tmp/walls.sched_queue.$w")" \
        -v t="$(median <"$tmp/walls.sched_tbb.$w")" -v j="$NPROC" \
        -v busy="$(stat_of "$cn" coordinator.busy_ms)" -v cpu="$(stat_of "$cn" coordinator.cpu_ms)" \
        -v setup="$(stat_of "$cn" coordinator.setup_ms)" -v fin="$(stat_of "$cn" coordinator.finish_ms)" \
        -v r="$(stat_of "$cn" reports)" -v loop="$(stat_of "$cn" coordinator.loop_ns_per_task)" \
        -v disc="$(stat_of "$cn" coordinator.discovery_ns_per_file)" \
        'BEGIN { printf "same work: %s reports each.  wall time / coord -j%s wall: sched_queue %.2f, sched_tbb %.2f (> 1: coord is faster)\n",
                 r, j, q / c, t / c
                 printf "coord -j%s coordinator thread: busy %.1f ms (discovery %.1f, results %.1f, scheduling %.1f), CPU %.1f ms\n",
                 j, busy, setup, fin, busy - setup - fin, cpu
                 printf "coord -j%s coordinator loop: %.0f ns per task; discovery: %.0f ns per file\n", j, loop, disc }'
done
echo
echo "columns: wall_ms = whole process, start to exit (coord without --stats); speedup = coord -j1 wall / this wall;"
echo "bound = makespan lower bound (ms) = max(task CPU / jobs, critical path) and effic = bound / its build wall"
echo "(stats.efficiency: from loading the tree to the end of checking), both of the --stats run;"
echo "coord_ns/t = coordinator busy time per dispatched task; rss = peak RSS; B/line = peak RSS bytes per source line"
tools/bench_cache.sh "$B" "$OUT/wide"
exit $status
