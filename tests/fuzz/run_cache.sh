#!/bin/sh
# run_cache.sh FUZZER SECONDS [COORD]
#
# make fuzz, second target: cache entries (tests/fuzz/fuzz_cache.c).  First
# replays the saved regressions (tests/fuzz/cache_regressions/) and the
# committed corpus (tests/fuzz/cache_corpus/: entry files of the examples),
# then fuzzes for SECONDS, seeded with that corpus plus the entries a fresh
# `COORD check --cache-dir` writes for examples/ and the golden tests (when
# COORD is given).  A crash is saved under tests/fuzz/cache_regressions/ and
# replayed by every later run and by tests/ci_extra.sh; commit it with the fix.
set -eu
export LC_ALL=C
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: run_cache.sh FUZZER SECONDS [COORD]" >&2
    exit 2
fi
fuzzer=$1 secs=$2 coord=${3:-}
dir=$(dirname "$fuzzer")/cache
regs=tests/fuzz/cache_regressions
mkdir -p "$dir/corpus" "$regs"
rm -rf "$dir/seeds" "$dir/cachedir"
mkdir -p "$dir/seeds"
cp tests/fuzz/cache_corpus/* "$dir/seeds/"

saved=$(find "$regs" -type f ! -name '.*' | sort)
echo "fuzz_cache: replaying $(echo "$saved" | grep -c . || true) regression input(s) and the corpus"
# shellcheck disable=SC2086
"$fuzzer" $saved "$dir"/seeds/* || {
    echo "fuzz_cache: FAIL: a saved input fails (see above); fix it before fuzzing on" >&2
    exit 1
}
if [ -n "$coord" ] && [ -x "$coord" ]; then
    for d in examples $(find tests/golden -mindepth 1 -maxdepth 1 -type d | sort); do
        "$coord" check --cache-dir "$dir/cachedir" "$d" >/dev/null 2>&1 || true
    done
    i=0
    for f in $(find "$dir/cachedir" -type f -path '*/v*/*/*/*' ! -name '.*' ! -name usage 2>/dev/null | sort); do
        i=$((i + 1))
        cp "$f" "$dir/seeds/run$i.entry"
    done
fi
echo "fuzz_cache: $(ls "$dir/seeds" | wc -l) seed entries, fuzzing for ${secs}s"
"$fuzzer" -max_total_time="$secs" -timeout=10 -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix="$regs/" -print_final_stats=1 "$dir/corpus" "$dir/seeds"
echo "fuzz_cache: no crash in ${secs}s"
