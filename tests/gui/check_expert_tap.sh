#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Expert Info without a tree: `tshark -q -z expert` dissects with no tree,
# as the GUI's Expert Information dialog does, and must list every tcpstate
# expert (experts added only under `if (tree)` would be missing), with its
# exact summary, in one pass and in two.
#
# usage: tests/gui/check_expert_tap.sh WRAPPER PLUGIN.so CAPTURE EXPECTED
# EXPECTED holds "<pass>|<line>" for every TCPSTATE line of the output.
set -u
wrapper=$1 so=$2 capture=$3 expected=$4
got=$(for pass in 1 2; do
  opt=""; [ $pass = 2 ] && opt=-2
  "$wrapper" "$so" $opt -q -z expert -r "$capture" 2>&1 | grep TCPSTATE |
    sed "s/^ */$pass|/; s/  */ /g"
done)
if diff -u "$expected" <(printf '%s\n' "$got"); then
  echo "expert tap OK: $(printf '%s\n' "$got" | wc -l) lines"
else
  echo "FAIL: tcpstate experts in -z expert differ"; exit 1
fi
