#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ladder, frame by frame: `tshark -2 -q -z tcpstate,ladder[,filter]` on
# each case of cases.txt against expected/<name>.txt, exactly.
#
# usage: tests/ladder/check_ladder.sh WRAPPER PLUGIN.so SOURCE_DIR [--update]
set -u
wrapper=$1 so=$2 src=$3 update=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
fail=0 n=0
while read -r name capture filter; do
  case $name in ''|'#'*) continue ;; esac
  n=$((n + 1))
  z=tcpstate,ladder${filter:+,$filter}
  got=$("$wrapper" "$so" -2 -q -r "$src/$capture" -z "$z" 2>&1)
  if [ "$update" = --update ]; then
    printf '%s\n' "$got" > "$here/expected/$name.txt"
  elif ! diff -u "$here/expected/$name.txt" <(printf '%s\n' "$got"); then
    echo "FAIL: $name ($capture, -z $z)"; fail=1
  fi
done < "$here/cases.txt"
[ $fail = 0 ] && echo "ladder OK: $n cases"
exit $fail
