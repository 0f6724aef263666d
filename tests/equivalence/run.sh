#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/equivalence/run.sh [REV] [SEQUENCES] [SEED] [DIR]
#
# Is the engine + Zeek module in DIR (default: this worktree's plugin/) a
# drop-in for the one at git revision REV (default main)? Builds both into
# one program (symbols renamed) and compares them on SEQUENCES random
# segment sequences (default 1000000, about 32M segments, ~20 s). Prints
# the figures; exits 1 on any difference. Point DIR at a copy with a
# deliberate mutation to see that it is caught.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rev=${1:-main}
n=${2:-1000000}
seed=${3:-1}
new=${4:-$top/plugin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/ref"
# the two modules and every plugin header (the pure ones include only each
# other)
for f in tcpstate_engine.c tcpstate_zeek.c $(git -C "$top" ls-tree --name-only "$rev" plugin/ |
                                              sed -n 's|^plugin/\(.*\.h\)$|\1|p'); do
    git -C "$top" show "$rev:plugin/$f" > "$work/ref/$f"
done
cflags="-O2 -std=c11 -Wall -Wextra -DTCPSTATE_TEST_HOOKS"
side() { # source dir, symbol prefix
    for m in engine zeek; do
        cc $cflags -I"$1" -c "$1/tcpstate_$m.c" -o "$work/$2$m.o"
    done
    cc $cflags -I"$1" -c "$here/side.c" -o "$work/${2}side.o"
    ld -r "$work/${2}engine.o" "$work/${2}zeek.o" "$work/${2}side.o" -o "$work/${2}all.o"
    nm --defined-only -g "$work/${2}all.o" | awk -v p="$2" '{ print $3 " " p $3 }' > "$work/${2}syms"
    objcopy --redefine-syms="$work/${2}syms" "$work/${2}all.o" "$work/${2}ren.o"
}
side "$work/ref" R_
side "$new" N_
# segments and results have the same layout on both sides: the reference's
# headers describe them
cc $cflags -I"$work/ref" "$here/equivalence.c" "$work/R_ren.o" "$work/N_ren.o" -o "$work/equivalence"
"$work/equivalence" "$n" "$seed"
