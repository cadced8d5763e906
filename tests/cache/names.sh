#!/bin/sh
# names.sh COORD
#
# Per-name dependencies of canonicalize and typecheck (DESIGN.md section 7,
# modules/deps.h): a hub module and importers that use its names in every
# way Kite has — an exposing item `x`, `T`, `T(..)`; qualified `Hub.x`,
# `H.T` in a type, `Hub.C` as a constructor; a name the hub does not expose
# (yet: E0206); a name of another import or of the importer itself that an
# added hub name clashes with (E0203); an import that uses nothing (W0201);
# a module two imports away (cutoff).  Then a sequence of edits to the hub
# alone: a body, adding and removing an exposed value, adding and removing a
# constructor, a changed scheme, `T` to `T(..)` and back, a new type, a
# name that collides with another import's, a private helper.  After every
# step a warm run must print exactly what a cold --no-cache run prints, and
# re-check exactly the modules whose view of the hub changed:
#
#   typecheck.tasks = canonicalize.tasks = [the hub's source is new]
#                     + #{importers M of Hub : view(M) never seen before}
#
# where view(M) is computed from the tree: for every word of M that names a
# hub declaration, that declaration as an importer sees it — a function's
# signature (every hub function is fully annotated, so its signature is its
# scheme) when it is exposed; a type's whole line (its constructors) and how
# it is exposed (`T` or `T(..)`) when it is.  A view seen before has a
# result in the cache already (results of one source coexist), so it costs
# nothing.  The importers are built so that each word they share with the
# hub is a lookup (no unused exposing item), and the module two imports away
# uses nothing of the hub: its count is 0 at every step.
set -eu
export LC_ALL=C
coord=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/coord-names.XXXXXX")
# Never the user's result cache, also when this script is run by hand (make
# exports a test cache of its own).
export COORD_CACHE_DIR="${COORD_CACHE_DIR:-$work/cache}"
trap '[ -n "${NAMES_KEEP:-}" ] || rm -rf "$work"' EXIT
tree=$work/tree cache=$work/cache seen=$work/seen
mkdir -p "$tree" "$seen"
cd "$tree"

fail() { echo "names: FAIL: $*" >&2; exit 1; }

# ---- the tree ----
cat >Hub.kite <<'EOF'
module Hub exposing (alpha, beta, gamma, delta, Color(..), Shape(..), Box, Pair(..))
type Color = Red | Green | Blue
type Shape = Circle(Int) | Square(Int)
type Box = Box(Int)
type Pair(a) = Pair(a, a)
fn alpha(x: Int) -> Int = x + 1
fn beta(x: Int) -> Int = x * 2
fn gamma(x: Int) -> Bool = x > 0
fn delta(s: Str) -> Str = s ++ "!"
EOF
cat >Side.kite <<'EOF'
module Side exposing (zeta)
fn zeta(n: Int) -> Int = n
EOF
cat >I01.kite <<'EOF'
module I01 exposing (a1)
import Hub exposing (alpha)
fn a1(n: Int) -> Int = alpha(n)
EOF
cat >I02.kite <<'EOF'
module I02 exposing (a2)
import Hub
fn a2(n: Int) -> Int = Hub.beta(n)
EOF
cat >I03.kite <<'EOF'
module I03 exposing (a3)
import Hub as H
fn a3(n: Int) -> Bool = H.gamma(n)
EOF
cat >I04.kite <<'EOF'
module I04 exposing (a4)
import Hub exposing (Color(..))
fn a4(c: Color) -> Int = match c { Red -> 1, Green -> 2, Blue -> 3 }
EOF
cat >I05.kite <<'EOF'
module I05 exposing (a5)
import Hub
fn a5(n: Int) -> Int = match Hub.Circle(n) { Hub.Circle(r) -> r, _ -> 0 }
EOF
cat >I06.kite <<'EOF'
module I06 exposing (a6)
import Hub exposing (Box)
fn a6(b: Box) -> Box = b
EOF
cat >I07.kite <<'EOF'
module I07 exposing (a7)
import Hub as H
fn a7(p: H.Pair(Int)) -> H.Pair(Int) = p
EOF
cat >I08.kite <<'EOF'
module I08 exposing (a8, b8)
import Side exposing (zeta)
import Hub exposing (delta, zeta)
fn a8(s: Str) -> Str = delta(s)
fn b8(n: Int) -> Int = zeta(n)
EOF
cat >I09.kite <<'EOF'
module I09 exposing (a9)
import Hub exposing (Shape(..))
fn a9(s: Shape) -> Int = match s { Circle(r) -> r, Square(w) -> w }
EOF
cat >I10.kite <<'EOF'
module I10 exposing (omega)
import Hub exposing (omega)
fn omega(x: Int) -> Int = x
EOF
cat >I11.kite <<'EOF'
module I11 exposing (a11)
import Hub
fn a11(n: Int) -> Int = Hub.epsilon(n)
EOF
cat >I12.kite <<'EOF'
module I12 exposing (a12, Mark(..))
import Hub exposing (Shape(..))
type Mark = Tri | Dot
fn a12(n: Int) -> Int = match Circle(n) { Circle(r) -> r, _ -> 0 }
EOF
cat >I13.kite <<'EOF'
module I13 exposing (a13)
import Hub as H
fn a13(e: H.Extra) -> H.Extra = e
EOF
cat >I14.kite <<'EOF'
module I14 exposing (base, useBeta)
import Hub
fn base(x: Int) -> Int = x
fn useBeta(x: Int) -> Int = Hub.beta(x) + 1
EOF
cat >I15.kite <<'EOF'
module I15 exposing (a15)
import Hub
fn a15(n: Int) -> Int = n
EOF
cat >I16.kite <<'EOF'
module I16 exposing (a16)
import Hub exposing (Color)
fn a16(c: Color) -> Color = c
EOF
cat >Top.kite <<'EOF'
module Top exposing (main)
import I14
fn main(n: Int) -> Int = I14.base(n)
EOF
cp Hub.kite "$work/Hub.orig"
files=$(ls ./*.kite | sed 's|^\./||' | grep -vx Hub.kite)
importers=$(grep -l '^import Hub\( \|$\)' $files)

# ---- views ----
# The hub's declarations, one a line: KEY-WORDS<TAB>RECORD.
hub_decls() {
    exposing=$(sed -n '1s/^module Hub exposing (\(.*\))$/\1/p' Hub.kite | tr -d ' ' | tr ',' '\n')
    grep -E '^(fn|type) ' Hub.kite | while IFS= read -r line; do
        case $line in
        fn*)
            name=$(echo "$line" | sed 's/^fn \([a-zA-Z0-9_]*\)(.*/\1/')
            sig=${line%% = *}
            # not exposed: no importer can see it
            if echo "$exposing" | grep -qx "$name"; then printf '%s\t%s\n' "$name" "$sig"; fi ;;
        type*)
            name=$(echo "$line" | sed 's/^type \([A-Za-z0-9_]*\).*/\1/')
            ctors=$(echo "${line#* = }" | tr '|' '\n' | sed 's/^ *\([A-Za-z0-9_]*\).*/\1/' | tr '\n' ' ')
            exp=
            echo "$exposing" | grep -qx "$name" && exp=type
            echo "$exposing" | grep -qx "$name(..)" && exp=all
            if [ -n "$exp" ]; then printf '%s %s\t%s exposed=%s\n' "$name" "$ctors" "$line" "$exp"; fi ;;
        esac
    done
}
view() { # view FILE: the hub declarations ($work/decls) FILE names, as it sees them
    grep -o '[A-Za-z_][A-Za-z0-9_]*' "$1" | sort -u >"$work/words"
    awk -F '\t' 'NR == FNR { w[$0] = 1; next }
        { n = split($1, k, " "); for (i = 1; i <= n; i++) if (k[i] in w) { print $2; break } }' \
        "$work/words" "$work/decls"
}
# expected_rechecks: counts (and records) the hub source and the importers'
# views that were never seen before
expected_rechecks() {
    n=0
    h=$(cksum <Hub.kite)
    if ! grep -qxF "$h" "$seen/Hub" 2>/dev/null; then n=$((n + 1)); echo "$h" >>"$seen/Hub"; fi
    hub_decls >"$work/decls"
    for m in $importers; do
        v=$(view "$m" | cksum)
        if ! grep -qxF "$v" "$seen/$m" 2>/dev/null; then n=$((n + 1)); echo "$v" >>"$seen/$m"; fi
    done
    echo "$n"
}

run() { # run OUT ARGS...: stdout (+ status) and stderr into OUT.out, OUT.err
    out=$1
    shift
    set +e
    "$coord" check -j2 --emit-types "$@" . >"$out.out" 2>"$out.err"
    echo "status $?" >>"$out.out"
    set -e
}
stat_of() { sed -n "s/^stats\.$1: //p" "$2"; }

step=0
check_step() { # check_step WHAT [MORE]: MORE modules that import no Hub
    step=$((step + 1))
    want=$(($(expected_rechecks) + ${2:-0}))
    run "$work/warm" --cache-dir "$cache" --stats
    run "$work/cold" --no-cache
    grep -v '^stats\.' "$work/warm.err" >"$work/warm.err2" || true
    if ! cmp -s "$work/warm.out" "$work/cold.out" || ! cmp -s "$work/warm.err2" "$work/cold.err"; then
        diff "$work/cold.out" "$work/warm.out" | head -20 >&2 || true
        diff "$work/cold.err" "$work/warm.err2" | head -20 >&2 || true
        fail "step $step ($1): warm output differs from cold"
    fi
    tc=$(stat_of typecheck.tasks "$work/warm.err")
    cn=$(stat_of canonicalize.tasks "$work/warm.err")
    [ "$tc" = "$want" ] && [ "$cn" = "$want" ] ||
        fail "step $step ($1): typecheck.tasks $tc, canonicalize.tasks $cn, expected $want"
    echo "ok   names: step $step ($1): $want re-checked"
}
hub() { sed -i "$1" Hub.kite; }

# the cold fill: every module is new
others=$(($(echo "$files" | wc -w) - $(echo "$importers" | wc -w)))
check_step "first run: everything" "$others"
check_step "no edit"
hub 's/^fn alpha(x: Int) -> Int = x + 1$/fn alpha(x: Int) -> Int = x + 2/'
check_step "a body in the hub"
hub '1s/exposing (alpha,/exposing (epsilon, alpha,/; $a fn epsilon(x: Int) -> Int = x'
check_step "add an exposed value (used qualified by one importer, E0206 before)"
hub '1s/ beta,//'
check_step "remove an exposed value (used qualified, and two imports away)"
hub 's/^type Shape = .*/& | Tri/'
check_step "add a constructor (clashes with an importer's own constructor)"
hub 's/^type Shape = Circle(Int) | Square(Int) | Tri$/type Shape = Circle(Int) | Tri/'
check_step "remove a constructor"
hub '1s/exposing (/exposing (zeta, /; $a fn zeta(n: Int) -> Int = n'
check_step "add a value another import exposes (E0203 in its importer)"
hub '1s/exposing (/exposing (omega, /; $a fn omega(x: Int) -> Int = x'
check_step "add a value an importer defines itself (E0203)"
hub 's/^fn gamma(x: Int) -> Bool = x > 0$/fn gamma(x: Int) -> Int = x/'
check_step "change the scheme of a value"
hub '1s/ Box,/ Box(..),/'
check_step "expose the constructors of a type"
hub '1s/exposing (/exposing (Extra, /; $a type Extra = Extra(Int)'
check_step "add an exposed type (used qualified in a type, E0206 before)"
hub '1s/ Box(..),/ Box,/'
check_step "hide the constructors again (views seen before)"
hub 's/^type Color = Red | Green | Blue$/type Color = Red | Green | Blue | Yellow/'
check_step "add a constructor to a type used with and without (..)"
hub '1s/, Pair(..))$/)/'
check_step "remove an exposed type"
hub '$a fn helper(x: Int) -> Int = x'
check_step "add a private value"
hub '1s/ zeta,//'
check_step "stop exposing the colliding value (its importer's view was seen)"
cp "$work/Hub.orig" Hub.kite
check_step "the hub as it was (every view was seen)"
echo "names: $step steps: warm equals cold, exact re-checks at every step"
