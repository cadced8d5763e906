#!/bin/sh
# run.sh FUZZER SECONDS
#
# make fuzz: first replays every saved regression (tests/fuzz/regressions/),
# then fuzzes for SECONDS, seeded with examples/ and the golden tests' .kite
# files (plus a few generated modules, and the result-cache entries of the
# examples when COORD names a coord binary).  A crash, leak or sanitizer report is
# saved under tests/fuzz/regressions/ by libFuzzer (-artifact_prefix) and
# replayed by every later run and by tests/ci_extra.sh; commit it with the fix.
set -eu
export LC_ALL=C
if [ $# -ne 2 ]; then
    echo "usage: run.sh FUZZER SECONDS" >&2
    exit 2
fi
fuzzer=$1 secs=$2
dir=$(dirname "$fuzzer")
regs=tests/fuzz/regressions
mkdir -p "$dir/corpus" "$dir/seeds" "$regs"

saved=$(find "$regs" -type f ! -name '.*' | sort)
if [ -n "$saved" ]; then
    echo "fuzz: replaying $(echo "$saved" | wc -l) regression input(s)"
    # shellcheck disable=SC2086
    "$fuzzer" $saved || {
        echo "fuzz: FAIL: a saved regression input still fails (see above); fix it before fuzzing on" >&2
        exit 1
    }
fi

rm -rf "$dir/seeds"
mkdir -p "$dir/seeds"
i=0
for f in $(find examples tests/golden -name '*.kite' 2>/dev/null | sort); do
    i=$((i + 1))
    cp "$f" "$dir/seeds/seed$i.kite"
done
gen=${GEN:-}
if [ -n "$gen" ] && [ -x "$gen" ]; then
    "$gen" --out "$dir/seeds/gen" --modules 4 --shape layered --fanout 2 --lines 40 \
        --seed 9 --errors 3 > /dev/null
    find "$dir/seeds/gen" -name '*.kite' | sort | while read -r f; do
        i=$((i + 1))
        cp "$f" "$dir/seeds/gen_$(basename "$f")"
    done
    rm -rf "$dir/seeds/gen"
fi
# result-cache entries of the examples (the target takes an input that
# starts with an entry's magic as one)
coord=${COORD:-}
if [ -n "$coord" ] && [ -x "$coord" ]; then
    "$coord" check --cache-dir "$dir/seeds/cache" examples >/dev/null 2>&1 || true
    # each entry out of its pack: the index records {key hi, key lo,
    # variant, offset, length} end 64 bytes before the end (cache_store.h)
    u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
    find "$dir/seeds/cache" -type f -name '*.pack' | sort | while read -r p; do
        size=$(wc -c <"$p")
        n=$(u64 "$p" $((size - 56))) ioff=$(u64 "$p" $((size - 48))) k=0
        while [ "$k" -lt "$n" ]; do
            r=$((ioff + 40 * k))
            dd if="$p" of="$dir/seeds/entry_$(basename "$p" .pack)_$k" bs=8 \
                skip=$(( $(u64 "$p" $((r + 24))) / 8 )) count=$(( $(u64 "$p" $((r + 32))) / 8 )) 2>/dev/null
            k=$((k + 1))
        done
    done
    rm -rf "$dir/seeds/cache"
fi
echo "fuzz: $(ls "$dir/seeds" | wc -l) seed files, fuzzing for ${secs}s"
"$fuzzer" -max_total_time="$secs" -timeout=10 -max_len=8192 -rss_limit_mb=2048 \
    -dict=tests/fuzz/kite.dict -artifact_prefix="$regs/" -print_final_stats=1 \
    "$dir/corpus" "$dir/seeds"
echo "fuzz: no crash in ${secs}s"
