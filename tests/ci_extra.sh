#!/bin/sh
# ci_extra.sh — the reduced issue-6 suites that `make test` runs after the
# unit and golden tests (a few minutes in total, on the asan build):
#   - stress: 500-module generated trees (two shapes, with errors, cycles and
#     missing imports) at -j1/-j2/-j8: identical, and equal to expected.txt;
#   - directory order: the same tree written in reverse order, same output;
#   - result cache: tests/cache/edits.sh (200 seeded edits, warm equals cold
#     at every step, exact re-check counts), tests/cache/names.sh (per-name
#     dependencies: a hub edited name by name, exact re-check counts per
#     step computed from the tree) and tests/cache/robust.sh
#     (corrupt entries, two processes, SIGKILL, unusable directory) and
#     tests/cache/cli.sh (coord cache info|trim|clean, directory and bound
#     resolution, the automatic trim) and tests/cache/manifest.sh (the stat
#     manifest: unread sources, same-size edits, racy records);
#   - bad input: every hostile file of tests/badinput/run.sh, and the
#     hostile environments of tests/badinput/io.sh;
#   - oom: a reduced allocation-failure walk (tests/oom/run.sh quick),
#     uncached, over a warm result cache and over a stale one;
#   - the chunk pool (base/pool.h), which ASan builds leave off: the quick
#     stress and allocation-failure walk again with the optimized testing
#     build (build/opt), whose arenas run on it;
#   - fuzz: plain replay of tests/fuzz/regressions/ and the example sources
#     through the fuzz target's phases, and of the cache entries of
#     tests/fuzz/cache_corpus/ and tests/fuzz/cache_regressions/ through
#     fuzz_cache's validation and result loading (no libFuzzer needed);
#   - install: make install into a temporary DESTDIR, the embedding example
#     built through pkg-config against the installed libcoord.so, uninstall;
#   - remote: the remote cache client against a private redis-server and
#     fake servers (tests/remote/run.sh), and coord with a remote cache end to
#     end: two machines, read-only, faults (tests/remote/e2e.sh).
# The full suites are `make stress`, `make oom`, `make fuzz`, `make badinput`.
# B (the build root) comes from make's command line when given, else build.
set -eu
export LC_ALL=C
cd "$(dirname "$0")/.."
B=${B:-build}
MAKE=${MAKE:-make}
coord=$B/asan/coord
gen=$B/asan/tools/gen
pool_coord=$B/opt/coord
"$MAKE" --no-print-directory B="$B" "$coord" "$gen" "$pool_coord" "$B/asan/fuzz_replay" "$B/asan/fuzz_cache_replay" \
    "$B/asan/remote/test_remote"

t0=$(date +%s)
echo "== ci_extra: stress (quick)"
tests/stress/run.sh quick "$coord" "$gen"
echo "== ci_extra: directory order"
tests/stress/order.sh "$coord" "$gen"
echo "== ci_extra: result cache (edit walk, corruption, concurrency)"
tests/cache/edits.sh "$coord" "$gen" 200 200
tests/cache/names.sh "$coord"
tests/cache/robust.sh "$coord" "$gen"
tests/cache/cli.sh "$coord"
tests/cache/manifest.sh "$coord" "$gen"
echo "== ci_extra: long lists (asan)"
tests/stress/long.sh "$coord"
echo "== ci_extra: bad input"
tests/badinput/run.sh "$coord"
tests/badinput/io.sh "$coord"
echo "== ci_extra: oom (quick)"
tests/oom/run.sh quick "$coord" "$gen"
OOM_CACHE=warm tests/oom/run.sh quick "$coord" "$gen"
OOM_CACHE=stale tests/oom/run.sh quick "$coord" "$gen"
echo "== ci_extra: the chunk pool (optimized testing build: stress, oom)"
tests/stress/run.sh quick "$pool_coord" "$gen"
tests/oom/run.sh quick "$pool_coord" "$gen"
echo "== ci_extra: fuzz regressions (replay)"
"$B/asan/fuzz_replay" tests/fuzz/regressions $(find examples tests/golden -type d 2>/dev/null | sort)
"$B/asan/fuzz_cache_replay" tests/fuzz/cache_corpus $(find tests/fuzz/cache_regressions -type f 2>/dev/null | sort)
echo "== ci_extra: make install / uninstall (tests/install.sh)"
tests/install.sh "$B"
echo "== ci_extra: remote cache client"
tests/remote/run.sh "$B/asan/remote/test_remote"
tests/remote/e2e.sh "$coord" "$gen"
echo "ci_extra: all passed in $(( $(date +%s) - t0 ))s"
