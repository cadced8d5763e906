#!/bin/sh
# cli.sh COORD GEN — `coord cache info|trim|clean` and the automatic trim:
# info counts what a run wrote; trim brings the cache under --cache-max;
# a run that pushes the cache over its bound trims it; clean empties it;
# an unknown sub-command is a usage error (exit 2).
set -eu
export LC_ALL=C
coord=$1 gen=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-cache-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "cache cli: FAIL: $*" >&2; exit 1; }
"$gen" --out "$work/tree" --modules 60 --shape layered --fanout 3 --lines 20 --seed 3 >/dev/null
c=$work/cache
val() { sed -n "s/^$1: //p" "$work/info"; }
info() { "$coord" cache info --cache-dir "$c" "$@" >"$work/info" || fail "info: exit $?"; }
entries() { find "$c" -type f -name '????????????????' | wc -l; }

"$coord" check --cache-dir "$c" "$work/tree" >/dev/null 2>&1 || fail "check: exit $?"
info
[ "$(val entries)" = 60 ] && [ "$(entries)" = 60 ] || fail "info: $(val entries) entries, $(entries) files, expected 60"
[ "$(val directory)" = "$c" ] || fail "info: directory $(val directory)"
bytes=$(val bytes)
[ "$bytes" -gt 0 ] && [ "$(val bound)" = $((1 << 30)) ] || fail "info: bytes $bytes, bound $(val bound)"

half=$((bytes / 2))
"$coord" cache trim --cache-dir "$c" --cache-max "$half" >"$work/trim" || fail "trim: exit $?"
grep -q '^removed: [1-9]' "$work/trim" || fail "trim removed nothing: $(cat "$work/trim")"
info
[ "$(val bytes)" -le "$half" ] || fail "after trim: $(val bytes) bytes > $half"

# a run over the bound trims at its end
"$coord" check --cache-dir "$c" "$work/tree" >/dev/null 2>&1 || fail "check: exit $?"
info
[ "$(val bytes)" -ge "$half" ] || fail "the run did not fill the cache again"
quarter=$((bytes / 4))
rm -rf "$c"
"$coord" check --cache-dir "$c" --cache-max "$quarter" "$work/tree" >/dev/null 2>&1 || fail "check: exit $?"
info
[ "$(val bytes)" -le "$quarter" ] || fail "a run over its bound left $(val bytes) bytes > $quarter"

"$coord" cache clean --cache-dir "$c" || fail "clean: exit $?"
info
[ "$(val entries)" = 0 ] && [ "$(entries)" = 0 ] || fail "clean left $(val entries) entries"

st=0
"$coord" cache bogus --cache-dir "$c" >/dev/null 2>"$work/err" || st=$?
[ "$st" = 2 ] && grep -q "unknown cache command 'bogus'" "$work/err" || fail "cache bogus: exit $st"
st=0
"$coord" cache info --cache-max 12Q >/dev/null 2>"$work/err" || st=$?
[ "$st" = 2 ] && grep -q "invalid cache size '12Q'" "$work/err" || fail "--cache-max 12Q: exit $st"
echo "cache cli: info, trim, automatic trim, clean ok"
