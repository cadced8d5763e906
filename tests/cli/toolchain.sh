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
# 2. Colour: every combination of --color (absent, auto, always, never),
#    NO_COLOR (unset, empty, 1), CLICOLOR_FORCE (unset, empty, 0, 1) and the
#    terminal (none; stderr on a pseudo-terminal from script(1), stdout
#    elsewhere; stdout on one, stderr to a file) gives colour exactly as
#    coord_colour_wanted documents, and the text is the same with the
#    escapes removed.  The summary line ends the text in every case.
# 3. Every long option `coord --help` shows is described in man/coord.1 and
#    offered by completions/coord.bash, which completes commands, options,
#    option values and PATH arguments (directories and .kite files).
# 4. SARIF: for every golden tree of tests/e2e/ that has diagnostics, the
#    --format sarif log at -j1, -j2 and -j8 is identical and passes
#    tests/cli/sarif_check.py: the SARIF 2.1.0 schema's structure for every
#    object written, and field by field the same reports as --format json
#    (columns converted to UTF-16 code units).  --emit-types with sarif is a
#    usage error.
set -u
[ $# -eq 1 ] || { echo "usage: $0 path/to/coord" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d /tmp/coord_toolchain.XXXXXX)
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
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

# ---- 2. colour
tree="$top/tests/e2e/summary_mixed/src"
"$coord" check "$tree" >/dev/null 2>"$work/plain"
want_colour() {   # flag no_color force tty
    case $1 in always) return 0 ;; never) return 1 ;; esac
    [ "$2" != unset ] && [ -n "$2" ] && return 1
    [ "$3" != unset ] && [ -n "$3" ] && [ "$3" != 0 ] && return 0
    [ "$4" = stderr ]
}
if ! command -v script >/dev/null 2>&1; then
    bad "colour: script(1) (util-linux) is needed for the terminal cases"
else
    esc=$(printf '\033')
    combos=0 wrong=0
    for flag in none auto always never; do
        for nc in unset "" 1; do
            for force in unset "" 0 1; do
                for tty in none stderr stdout; do
                    combos=$((combos + 1))
                    set -- "$coord" check
                    [ $flag = none ] || set -- "$@" "--color=$flag"
                    set -- "$@" "$tree"
                    envs="-u NO_COLOR -u CLICOLOR_FORCE"
                    [ "$nc" = unset ] || envs="$envs NO_COLOR=$nc"
                    [ "$force" = unset ] || envs="$envs CLICOLOR_FORCE=$force"
                    # shellcheck disable=SC2086
                    case $tty in
                    none)   env $envs "$@" >/dev/null 2>"$work/err" </dev/null ;;
                    stderr) env $envs COORD_PROGRESS_AFTER_MS=600000 script -qec "$* >/dev/null" /dev/null \
                                </dev/null 2>&1 | tr -d '\r' >"$work/err" ;;
                    stdout) env $envs script -qec "$* 2>'$work/err'" /dev/null </dev/null >/dev/null 2>&1 ;;
                    esac
                    got=no
                    grep -q "$esc\\[" "$work/err" && got=yes
                    want=no
                    want_colour $flag "$nc" "$force" $tty && want=yes
                    sed "s/$esc\\[[0-9;]*m//g" "$work/err" >"$work/stripped"
                    if [ $got != $want ] || ! cmp -s "$work/stripped" "$work/plain"; then
                        wrong=$((wrong + 1))
                        [ $wrong -le 5 ] && echo "  colour: --color=$flag NO_COLOR=$nc CLICOLOR_FORCE=$force tty=$tty: colour $got, expected $want" &&
                            diff "$work/plain" "$work/stripped" | head -5
                    fi
                done
            done
        done
    done
    if [ $wrong -eq 0 ]; then ok "colour: $combos combinations of --color, NO_COLOR, CLICOLOR_FORCE and terminal"
    else bad "colour: $wrong of $combos combinations wrong"; fi
fi
for v in bogus ""; do
    "$coord" check --color="$v" "$tree" >/dev/null 2>"$work/err"
    status=$?
    if [ $status -ne 2 ] || ! grep -q "unknown colour mode '$v'" "$work/err"; then
        bad "--color='$v': exit $status, expected 2 with a message"
    fi
done

# ---- 3. the man page and the completion follow --help
"$coord" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$work/longopts"
noman="" nocomp=""
comp_opts=$(sed -n "s/^_coord_opts='\(.*\)'/\1/p" "$top/completions/coord.bash")
while read -r o; do
    grep -qE "^\.It .*Fl \\\\${o#-}( |$)" "$top/man/coord.1" || noman="$noman $o"
    case " $comp_opts " in *" $o "* | *" $o= "*) ;; *) nocomp="$nocomp $o" ;; esac
done <"$work/longopts"
if [ -n "$noman$nocomp" ]; then
    bad "options of --help missing from man/coord.1:${noman:- none}; from completions/coord.bash:${nocomp:- none}"
else
    ok "man/coord.1 and completions/coord.bash list every option of --help ($(wc -l <"$work/longopts"))"
fi
mkdir -p "$work/comp/src/A" "$work/comp/lib"
: >"$work/comp/Main.kite"; : >"$work/comp/notes.txt"
cat >"$work/comp.sh" <<'EOS'
. "$1"
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _coord
         printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '; echo; }
comp coord ""
comp coord check --fo
comp coord check --format ""
comp coord check --format = j
comp coord check --color=a
comp coord check --color ""
comp coord check -I ""
comp coord check ""
comp coord check -j ""
EOS
(cd "$work/comp" && bash "$work/comp.sh" "$top/completions/coord.bash") >"$work/comp.got" 2>&1
cat >"$work/comp.want" <<'EOS'
--help --version cache check 
--format= 
json sarif text 
json 
--color=always --color=auto 
always auto never 
lib src 
Main.kite lib src 
 
EOS
if cmp -s "$work/comp.got" "$work/comp.want"; then ok "bash completion of commands, options, values and paths"
else bad "bash completion"; diff "$work/comp.want" "$work/comp.got"; fi

# ---- 4. SARIF on the golden error trees
if ! command -v python3 >/dev/null 2>&1; then
    bad "sarif: python3 is needed for tests/cli/sarif_check.py (make deps)"
else
    checked=0 wrong=0
    for dir in "$top"/tests/e2e/*/; do
        [ -f "$dir/args" ] && [ -f "$dir/expected" ] || continue
        head -1 "$dir/expected" | grep -qx 'exit: 1' || continue
        # the case's command line without --emit-types and --format X
        args=$(sed -e 's/--emit-types//' -e 's/--format *[a-z]*//' "$dir/args")
        name=$(basename "$dir")
        # shellcheck disable=SC2086
        (cd "$dir" && for j in 1 2 8; do
             "$coord" $args -j $j --format sarif >"$work/$name.sarif$j" 2>"$work/$name.err$j"
         done
         "$coord" $args --format json >"$work/$name.jsonl" 2>/dev/null
         python3 "$top/tests/cli/sarif_check.py" "$work/$name.sarif1" "$work/$name.jsonl" "$version") \
            >"$work/$name.check" 2>&1
        rc=$?
        checked=$((checked + 1))
        if [ $rc -ne 0 ] || [ -s "$work/$name.err1" ] ||
           ! cmp -s "$work/$name.sarif1" "$work/$name.sarif2" || ! cmp -s "$work/$name.sarif1" "$work/$name.sarif8"; then
            wrong=$((wrong + 1))
            echo "  sarif $name: check exit $rc"; head -10 "$work/$name.check" "$work/$name.err1"
        fi
    done
    if [ $checked -lt 5 ]; then bad "sarif: only $checked golden error trees found"
    elif [ $wrong -eq 0 ]; then ok "sarif: $checked golden error trees valid, equal to their JSON reports, same at -j1/-j2/-j8"
    else bad "sarif: $wrong of $checked golden error trees"; fi
fi
"$coord" check --format sarif --emit-types "$tree" >"$work/out" 2>"$work/err"
status=$?
if [ $status -ne 2 ] || [ -s "$work/out" ] || ! grep -q "cannot be combined" "$work/err"; then
    bad "--format sarif --emit-types: exit $status, expected 2 and nothing on stdout"
fi

[ $failed -eq 0 ]
