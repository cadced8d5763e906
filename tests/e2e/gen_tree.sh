#!/bin/sh
# gen_tree.sh DIR N — writes N modules Gen.Dxx.Mnnnn under DIR that check
# clean: module i imports modules i-1, i/2 and i/3 (when distinct and > 0 is
# not required: index 0 imports nothing), defines a tagged union, a function
# matching on it and a value using every import.  Deterministic.
set -eu
dir=$1
n=$2
awk -v dir="$dir" -v n="$n" 'BEGIN {
    for (i = 0; i < n; i++) {
        d = sprintf("%s/Gen/D%02d", dir, i % 20)
        if (i < 20) system("mkdir -p " d)
        name = sprintf("Gen.D%02d.M%04d", i % 20, i)
        f = sprintf("%s/M%04d.kite", d, i)
        printf "module %s exposing (v, f, T%d(..))\n\n", name, i > f
        cnt = 0; delete seen
        split("", imps)
        if (i > 0) { imps[++cnt] = i - 1; seen[i - 1] = 1 }
        if (i > 1 && !(int(i / 2) in seen)) { imps[++cnt] = int(i / 2); seen[int(i / 2)] = 1 }
        if (i > 2 && !(int(i / 3) in seen)) { imps[++cnt] = int(i / 3); seen[int(i / 3)] = 1 }
        for (k = 1; k <= cnt; k++)
            printf "import Gen.D%02d.M%04d as I%d\n", imps[k] % 20, imps[k], k > f
        printf "\ntype T%d = A%d(Int) | B%d(Int, Int) | C%d\n\n", i, i, i, i > f
        printf "fn f(t: T%d) -> Int =\n  match t {\n    A%d(x) -> x + 1,\n    B%d(x, y) -> x * y,\n    C%d -> %d,\n  }\n\n", i, i, i, i, i > f
        printf "fn helper(g) = fn(x) -> g(x) + %d\n\n", i > f
        printf "let v = helper(f)(A%d(%d))", i, i > f
        for (k = 1; k <= cnt; k++) printf " + I%d.v + I%d.f(I%d.C%d)", k, k, k, imps[k] > f
        printf "\n" > f
        close(f)
    }
}'
