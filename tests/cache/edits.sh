#!/bin/sh
# edits.sh COORD GEN [STEPS] [MODULES] [SEED]
#
# The result cache's oracle (DESIGN.md section 7) over a seeded random walk
# of edits to a generated tree: after every edit a warm run (the cache as the
# walk left it, --cache-verify on: every reused result is also recomputed and
# compared) must print exactly what a cold --no-cache run prints (standard
# output, standard error, exit status).  -j alternates between 1 and 2 on
# both sides.  Edits (each a toggle: applied, or undone when present):
#   body       a function body (value<i>'s `n + 1` <-> `n + 2`)
#   scheme     an exported value's type (ident<i>: a -> a <-> Int -> Int)
#   expose     add / remove an exposed value
#   ctor       add / remove a constructor (importers' matches go E0305)
#   collide    add / remove a constructor Circle<k> of Shape<i> where an
#              importer of Shape<i>(..) gets Circle<k> from another import
#              or defines it itself (E0203 there)
#   import     add / remove an unused import (W0201) of another module
#   missing    add / remove an import of a module that does not exist (E0401)
#   cycle      an import from the module to one that imports it (E0402)
#   syntax     inject / fix a syntax error; typeerr: a type error
#   delete     delete / restore a file; rename: move it elsewhere and back
#   newfile    create the missing module an import names / delete it
# Before the walk, exact re-check counts on the warm tree: a body edit
# re-checks that module only (typecheck.tasks: 1, for a leaf and for a hub);
# changing the type of ident<i> of a hub re-checks it and exactly the
# modules that use ident<i>, not the other importers; undoing it re-checks
# nothing (every earlier result is still in the cache); adding an exposed
# value no importer names re-checks the hub alone.
set -eu
export LC_ALL=C
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") gen=$2 steps=${3:-200} modules=${4:-200} seed=${5:-12}
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-edits.XXXXXX")
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap '[ -n "${EDITS_KEEP:-}" ] || rm -rf "$work"' EXIT
tree=$work/tree cache=$work/cache
"$gen" --out "$tree" --modules "$modules" --shape layered --fanout 3 --lines 20 --seed "$seed" >/dev/null
rm -f "$tree/expected.txt"
cd "$tree"
files=$(find Gen -name '*.kite' | sort)
nfiles=$(echo "$files" | wc -l)

fail() { echo "edits: FAIL: $*" >&2; exit 1; }

run() { # run OUT JOBS ARGS...: stdout, stderr and status into OUT
    out=$1 j=$2
    shift 2
    set +e
    "$coord" check -j"$j" --emit-types "$@" . >"$out.out" 2>"$out.err"
    echo "status $?" >>"$out.out"
    set -e
}

stat_of() { # stat_of KEY FILE
    sed -n "s/^stats\.$1: //p" "$2"
}

# ---- exact re-check counts ----
run "$work/w" 2 --cache-dir "$cache"
index_of() { sed -n 's/^module Gen\.L[0-9]*\.M0*\([0-9][0-9]*\) .*/\1/p' "$1"; }
# the hub: the module imported by the most others, among those with
# importers that use its ident<i> and importers that do not; the leaf: a
# module imported by none
hub= leaf= best=-1
for f in $files; do
    name=$(sed -n 's/^module \([^ ]*\) .*/\1/p' "$f")
    n=$(grep -l "^import $name\( \|\$\)" $files | wc -l)
    u=$(grep -l "ident$(index_of "$f")(" $files | grep -vx "$f" | wc -l)
    if [ "$n" -gt "$best" ] && [ "$u" -gt 0 ] && [ "$u" -lt "$n" ]; then best=$n hub=$f; fi
    if [ "$n" -eq 0 ] && [ -z "$leaf" ]; then leaf=$f; fi
done
[ -n "$hub" ] && [ -n "$leaf" ] || fail "no hub or leaf in the tree"

count_check() { # count_check WHAT EXPECTED
    run "$work/c" 2 --cache-dir "$cache" --stats
    got=$(stat_of typecheck.tasks "$work/c.err")
    [ "$got" = "$2" ] || fail "$1: typecheck.tasks $got, expected $2"
    run "$work/cold" 1 --no-cache
    grep -v "^stats\." "$work/c.err" >"$work/c.err2" || true
    cmp -s "$work/c.out" "$work/cold.out" && cmp -s "$work/c.err2" "$work/cold.err" ||
        fail "$1: warm output differs from cold"
}
for f in "$leaf" "$hub"; do
    sed -i 's/let base = n + 1 in/let base = n + 2 in/' "$f"
    count_check "body edit of $f" 1
done
i=$(index_of "$hub")
users=$(grep -l "ident$i(" $files | grep -vx "$hub" | wc -l)
importers=$(grep -l "^import $(sed -n 's/^module \([^ ]*\) .*/\1/p' "$hub")\( \|\$\)" $files | wc -l)
[ "$users" -gt 0 ] && [ "$users" -lt "$importers" ] ||
    fail "the hub $hub should have importers that use ident$i and some that do not ($users of $importers)"
sed -i "s/^fn ident$i(x) = x\$/fn ident$i(x: Int) -> Int = x/" "$hub"
count_check "scheme of ident$i in $hub ($users users of $importers importers)" $((users + 1))
sed -i "s/^fn ident$i(x: Int) -> Int = x\$/fn ident$i(x) = x/" "$hub"
count_check "undoing it" 0
! grep -q "extra$i" $files || fail "extra$i is named in the tree already"
sed -i "1s/ exposing (/ exposing (extra$i, /; \$a fn extra$i(x) = x" "$hub"
count_check "a new exposed value extra$i in $hub" 1
sed -i "1s/ exposing (extra$i, / exposing (/; /^fn extra$i/d" "$hub"
count_check "undoing it" 0
echo "edits: counts ok (hub $hub: $importers importers, $users use ident$i)"

# ---- the walk ----
state=$seed
rand() { # rand N: next pseudo-random number in [0, N)
    state=$(( (state * 1103515245 + 12345) % 2147483648 ))
    r=$(( (state / 65536) % $1 ))
}
pick() { rand "$nfiles"; f=$(echo "$files" | sed -n "$((r + 1))p"); }
kinds="body scheme expose ctor collide import missing cycle syntax typeerr delete rename newfile"
nkinds=13
toggle() { # toggle FILE PRESENT-PATTERN APPLY-SED UNDO-SED
    if grep -q "$2" "$1"; then sed -i "$4" "$1"; else sed -i "$3" "$1"; fi
}
step=0
while [ "$step" -lt "$steps" ]; do
    step=$((step + 1))
    rand $nkinds
    kind=$(echo $kinds | cut -d' ' -f$((r + 1)))
    pick
    [ -f "$f" ] || { mkdir -p "$(dirname "$f")"; mv "$work/gone.kite" "$f" 2>/dev/null || true; }
    [ -f "$f" ] || continue
    i=$(index_of "$f")
    name=$(sed -n 's/^module \([^ ]*\) .*/\1/p' "$f")
    case $kind in
    body) toggle "$f" 'n + 2 in' 's/let base = n + 1 in/let base = n + 2 in/' 's/let base = n + 2 in/let base = n + 1 in/' ;;
    scheme) toggle "$f" "^fn ident$i(x: Int)" "s/^fn ident$i(x) = x\$/fn ident$i(x: Int) -> Int = x/" \
                "s/^fn ident$i(x: Int) -> Int = x\$/fn ident$i(x) = x/" ;;
    expose) toggle "$f" "^fn extra$i" "s/ exposing (/ exposing (extra$i, /; \$a fn extra$i(x) = x" \
                "s/ exposing (extra$i, / exposing (/; /^fn extra$i/d" ;;
    ctor) toggle "$f" "| Tri$i\$" "s/^\\(type Shape$i = .*\\)\$/\\1 | Tri$i/" "s/ | Tri$i\$//" ;;
    collide) g=$(grep -l "^import $name exposing (.*Shape$i(\.\.)" $files 2>/dev/null | head -1)
        [ -n "$g" ] || continue
        c=$(sed -n "s/^import .* exposing (.*Shape\([0-9]*\)(\.\.).*/\1/p" "$g" | grep -vx "$i" | head -1)
        [ -n "$c" ] || c=$(index_of "$g")
        toggle "$f" "^type Shape$i = Circle[0-9]*(Int) |" "s/^type Shape$i = /type Shape$i = Circle$c(Int) | /" \
            "s/^type Shape$i = Circle[0-9]*(Int) | /type Shape$i = /" ;;
    import) pick; other=$(sed -n 's/^module \([^ ]*\) .*/\1/p' "$f" 2>/dev/null || true)
        f=$(echo "$files" | sed -n "$(( (r + 7) % nfiles + 1 ))p"); [ -f "$f" ] || continue
        [ -n "$other" ] || continue
        toggle "$f" "^import $other as Extra\$" "/^module /a import $other as Extra" "/^import $other as Extra\$/d" ;;
    missing) toggle "$f" "^import Gen.Nowhere.N$i\$" "/^module /a import Gen.Nowhere.N$i" "/^import Gen.Nowhere.N$i\$/d" ;;
    cycle) imp=$(sed -n 's/^import \(Gen[^ ]*\).*/\1/p' "$f" | head -1)
        [ -n "$imp" ] || continue
        g=$(echo "$imp" | tr . /).kite
        [ -f "$g" ] || continue
        toggle "$g" "^import $name as Back\$" "/^module /a import $name as Back" "/^import $name as Back\$/d" ;;
    syntax) toggle "$f" "^let broken_syntax" "\$a let broken_syntax = (1 +" "/^let broken_syntax/d" ;;
    typeerr) toggle "$f" "^let broken_type" "\$a let broken_type: Int = true" "/^let broken_type/d" ;;
    delete) if [ -f "$work/gone.kite" ]; then continue; fi; mv "$f" "$work/gone.kite" ;;
    rename) if [ -f "$f.moved" ]; then continue; fi
        mkdir -p Moved; if [ -f "Moved/$(basename "$f")" ]; then mv "Moved/$(basename "$f")" "$f"; else mv "$f" Moved/; fi ;;
    newfile) g=Gen/Nowhere/N$i.kite
        if [ -f "$g" ]; then rm -f "$g"; else mkdir -p Gen/Nowhere; printf 'module Gen.Nowhere.N%s exposing (v)\nfn v(x) = x\n' "$i" >"$g"; fi ;;
    esac
    j=$((1 + step % 2))
    run "$work/warm" "$j" --cache-dir "$cache" --cache-verify
    run "$work/cold" $((3 - j)) --no-cache
    if ! cmp -s "$work/warm.out" "$work/cold.out" || ! cmp -s "$work/warm.err" "$work/cold.err"; then
        diff "$work/cold.out" "$work/warm.out" | head -20 >&2 || true
        diff "$work/cold.err" "$work/warm.err" | head -20 >&2 || true
        fail "step $step ($kind on $f): warm -j$j differs from cold -j$((3 - j))"
    fi
done
echo "edits: $steps edits over $nfiles modules: warm equals cold at every step"
