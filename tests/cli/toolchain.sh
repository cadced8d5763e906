#!/bin/sh
# Toolchain checks of the `coord` binary (issue 16; called by
# tests/golden/run.sh):
#
#   tests/cli/toolchain.sh path/to/coord
#
# 1. --version: `coord VERSION` (COORD_VERSION of include/coord.h),
#    `build id: <16 hex>` equal to `make build-id-MODE` for the mode the
#    binary was built in, and the ck / xxHash versions of the installed
#    headers.  The build id changes when any library source or header, or
#    the build flags, change (checked on a copy of the tree: hashing only,
#    nothing is compiled).
set -u
[ $# -eq 1 ] || { echo "usage: $0 path/to/coord" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d /tmp/coord_toolchain.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
failed=0
MAKE=${MAKE:-make}
CC=${CC:-cc}

ok()  { echo "ok   toolchain: $1"; }
bad() { echo "FAIL toolchain: $1"; failed=$((failed + 1)); }

# ---- 1. --version and the build id
mode=$(basename "$(dirname "$coord")")
version=$(sed -n 's/^#define COORD_VERSION "\(.*\)"$/\1/p' "$top/include/coord.h")
xxh=$(for k in MAJOR MINOR RELEASE; do
        sed -n "s/^#define XXH_VERSION_$k  *\([0-9]*\).*/\1/p" /usr/include/xxhash.h; done |
      paste -sd.)
ck=$(pkg-config --modversion ck 2>/dev/null || echo unknown)
build_id() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -s --no-print-directory -C "$1" CC="$CC" "build-id-$mode" $2; }
id=$(build_id "$top" "")
"$coord" --version >"$work/version" 2>"$work/version.err"
status=$?
printf 'coord %s\nbuild id: %s\nck %s\nxxHash %s\n' "$version" "$id" "$ck" "$xxh" >"$work/version.want"
if [ $status -ne 0 ] || [ -s "$work/version.err" ] || ! cmp -s "$work/version" "$work/version.want"; then
    bad "--version (exit $status)"
    diff "$work/version.want" "$work/version" | head
elif ! echo "$id" | grep -qx '[0-9a-f]\{16\}'; then
    bad "build id '$id' is not 16 hex digits"
else
    ok "--version: $(tr '\n' ' ' <"$work/version")"
fi
"$coord" check --version >"$work/version2" 2>&1
if ! cmp -s "$work/version" "$work/version2"; then bad "check --version differs from --version"; fi

# The id follows the library's sources, headers and flags.
mkdir "$work/tree"
(cd "$top" && cp -R Makefile include base channels reports modules workers coordinator "$work/tree/")
same=$(build_id "$work/tree" "")
printf '\n/* changed */\n' >>"$work/tree/modules/check.c"
src=$(build_id "$work/tree" "")
printf '\n/* changed */\n' >>"$work/tree/reports/report.h"
hdr=$(build_id "$work/tree" "")
flags=$(build_id "$work/tree" "EXTRA_CFLAGS=-DX")
if [ "$same" != "$id" ]; then
    bad "build id of an identical copy differs ($same vs $id)"
elif [ "$src" = "$same" ] || [ "$hdr" = "$src" ] || [ "$flags" = "$hdr" ]; then
    bad "build id unchanged by a source, header or flag change ($same $src $hdr $flags)"
else
    ok "build id changes with a source, a header and the flags"
fi

[ $failed -eq 0 ]
