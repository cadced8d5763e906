#!/bin/sh
# make install / uninstall, used as a new user would (issue 16; called by
# tests/ci_extra.sh):
#
#   tests/install.sh [build-root]
#
# 1. `make install DESTDIR=<tmp> PREFIX=/opt/coord` puts every file where the
#    GNU directory variables say, with the soname links.
# 2. libcoord.so: soname libcoord.so.0; its dynamic symbols are exactly the
#    coord_* functions declared in the installed coord.h (hidden visibility
#    for everything else), and libcoord(3) names each of them.
# 3. examples/driver.c, built with `cc driver.c $(pkg-config --cflags --libs
#    coord)` (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR point into DESTDIR),
#    links against the installed libcoord.so.0 and runs on examples/.
# 4. The installed coord runs; the man pages are mandoc-clean (mandoc -T
#    lint, all levels; only the cross-references between coord(1) and
#    libcoord(3) are allowed to be "not found", as they are not in the
#    system's manual path); the installed bash completion loads.
# 5. `make uninstall` with the same variables leaves no file behind.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
MAKE=${MAKE:-make}
CC=${CC:-cc}
work=$(mktemp -d /tmp/coord_install.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
dest=$work/dest
prefix=/opt/coord
failed=0
ok()  { echo "ok   install: $1"; }
bad() { echo "FAIL install: $1"; failed=$((failed + 1)); }
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" --no-print-directory -C "$top" \
           B="$B" CC="$CC" DESTDIR="$dest" PREFIX="$prefix" "$@"; }

for tool in pkg-config mandoc readelf nm; do
    command -v $tool >/dev/null 2>&1 || { bad "$tool is needed (make deps)"; exit 1; }
done

# ---- 1. install
if ! mk -j2 install >"$work/install.log" 2>&1; then
    bad "make install failed"; tail -20 "$work/install.log"; exit 1
fi
version=$(sed -n 's/^#define COORD_VERSION "\(.*\)"$/\1/p' "$top/include/coord.h")
lib=$dest$prefix/lib
missing=""
for f in bin/coord lib/libcoord.a "lib/libcoord.so.$version" include/coord.h \
         lib/pkgconfig/coord.pc share/man/man1/coord.1 share/man/man3/libcoord.3 \
         share/bash-completion/completions/coord; do
    [ -f "$dest$prefix/$f" ] && [ ! -L "$dest$prefix/$f" ] || missing="$missing $f"
done
[ "$(readlink "$lib/libcoord.so.0")" = "libcoord.so.$version" ] || missing="$missing lib/libcoord.so.0"
[ "$(readlink "$lib/libcoord.so")" = "libcoord.so.0" ] || missing="$missing lib/libcoord.so"
[ -x "$dest$prefix/bin/coord" ] || missing="$missing bin/coord(executable)"
if [ -n "$missing" ]; then bad "not installed as expected:$missing"
else ok "every file under DESTDIR$prefix"; fi
other=$(cd "$dest" && find . ! -type d | grep -v "^\.$prefix/" || true)
[ -z "$other" ] || bad "files outside PREFIX: $other"

# ---- 2. the shared library's soname and exports
so=$lib/libcoord.so.$version
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libcoord.so.0 ] && ok "soname $soname" || bad "soname '$soname', expected libcoord.so.0"
nm -D --defined-only "$so" | awk '{ print $3 }' | sort >"$work/exported"
sed -n 's/^COORD_API .*[ *]\(coord_[a-z_0-9]*\)(.*/\1/p' "$dest$prefix/include/coord.h" | sort >"$work/declared"
if [ ! -s "$work/declared" ]; then
    bad "no COORD_API declarations found in coord.h"
elif ! cmp -s "$work/exported" "$work/declared"; then
    bad "libcoord.so exports (<) differ from coord.h's COORD_API functions (>)"
    diff "$work/exported" "$work/declared" | head -20
else
    ok "libcoord.so exports exactly the $(wc -l <"$work/declared") coord_* functions of coord.h"
fi
undecl=$(grep '^[A-Za-z_]' "$dest$prefix/include/coord.h" | grep -o '\bcoord_[a-z_0-9]*(' |
         tr -d '(' | sort -u | comm -23 - "$work/declared")
[ -z "$undecl" ] || bad "coord.h functions without COORD_API (not exported): $undecl"
unnamed=$(while read -r f; do grep -q "^\.Fn $f " "$top/man/libcoord.3" || echo "$f"; done <"$work/declared")
[ -z "$unnamed" ] && ok "libcoord(3) names every function" || bad "libcoord(3) lacks: $unnamed"

# ---- 3. the embedding example through pkg-config, against the shared library
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
pcv=$(pkg-config --modversion coord 2>&1)
[ "$pcv" = "$version" ] || bad "pkg-config --modversion coord: '$pcv', expected $version"
flags=$(pkg-config --cflags --libs coord)
# shellcheck disable=SC2086
if ! "$CC" -std=c11 -Wall -Wextra -Werror "$top/examples/driver.c" $flags -o "$work/driver" 2>"$work/cc.err"; then
    bad "cc driver.c \$(pkg-config --cflags --libs coord) failed (flags: $flags)"; cat "$work/cc.err"
else
    needed=$(readelf -d "$work/driver" | sed -n 's/.*(NEEDED).*\[\(libcoord[^]]*\)\]/\1/p')
    resolved=$(LD_LIBRARY_PATH=$lib ldd "$work/driver" | sed -n 's/.*libcoord.so.0 => \([^ ]*\) .*/\1/p')
    (cd "$top" && LD_LIBRARY_PATH=$lib "$work/driver" examples >"$work/driver.out" 2>"$work/driver.err")
    status=$?
    if [ "$needed" != libcoord.so.0 ]; then
        bad "driver needs '$needed', expected the shared libcoord.so.0"
    elif [ "$resolved" != "$lib/libcoord.so.0" ]; then
        bad "driver's libcoord.so.0 resolves to '$resolved', not the installed one"
    elif [ $status -ne 0 ] || [ -s "$work/driver.err" ] || ! grep -qx "Main: 5 values" "$work/driver.out" ||
         [ "$(wc -l <"$work/driver.out")" -ne 6 ]; then
        bad "driver on examples/: exit $status"; cat "$work/driver.out" "$work/driver.err" | head
    else
        ok "examples/driver.c built with pkg-config flags ($flags), runs on the installed libcoord.so.0"
    fi
fi

# ---- 4. the installed binary, man pages and completion
"$dest$prefix/bin/coord" --version >"$work/v" 2>&1 && head -1 "$work/v" | grep -qx "coord $version" ||
    bad "installed coord --version: $(head -1 "$work/v")"
mandoc -T lint -W style "$dest$prefix/share/man/man1/coord.1" "$dest$prefix/share/man/man3/libcoord.3" \
    >"$work/lint" 2>&1
grep -v -e 'STYLE: referenced manual not found: Xr libcoord 3' \
        -e 'STYLE: referenced manual not found: Xr coord 1' "$work/lint" >"$work/lint.rest"
if [ -s "$work/lint.rest" ]; then bad "mandoc -T lint:"; cat "$work/lint.rest"
else ok "man pages mandoc-clean"; fi
if bash -c '. "$1" && complete -p coord' sh "$dest$prefix/share/bash-completion/completions/coord" \
        >"$work/comp" 2>&1 && grep -q -- '-F _coord coord' "$work/comp"; then
    ok "bash completion loads"
else
    bad "bash completion: $(cat "$work/comp")"
fi

# ---- 5. uninstall
if ! mk uninstall >"$work/uninstall.log" 2>&1; then bad "make uninstall failed"; cat "$work/uninstall.log"; fi
left=$(find "$dest" ! -type d)
[ -z "$left" ] && ok "make uninstall leaves no file" || bad "left after uninstall: $left"

[ $failed -eq 0 ]
