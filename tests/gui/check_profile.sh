#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The "TCP States" profile: its columns print the expected names, and every
# filter it holds (buttons and colouring rules) compiles with the plugin.
#
# usage: tests/gui/check_profile.sh PLUGIN.so PROFILE_DIR CAPTURE EXPECTED_COLUMNS
set -eu
so=$1 profile=$2 capture=$3 expected=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gui-env.sh"
gui_setup "$so" "$profile"
trap gui_cleanup EXIT
cap=$(gui_copy "$capture")
fail=0

# The profile's own columns (No., Time, Source, Destination, Client, Server,
# Phase, step, Lost, Length, Info), in two passes.
got=$(gui_run tshark -C "$(basename "$profile")" -2 -r "$cap" 2>&1)
if ! diff -u "$expected" <(printf '%s\n' "$got" | sed 's/ *$//'); then
  echo "FAIL: columns differ from $expected"; fail=1
fi

# Every filter of the profile compiles: one tshark run per file, on the
# filters joined by "||" (which compiles only if each one does).
buttons=$(grep -v '^#' "$profile/dfilter_buttons" | awk -F'","' 'NF {print $3}')
colours=$(grep -v '^#' "$profile/colorfilters" | awk -F'@' 'NF {print $3}')
for set in buttons colours; do
  n=$(printf '%s\n' "${!set}" | grep -c .)
  expr=$(printf '%s\n' "${!set}" | awk 'NF {printf "%s(%s)", (k++ ? " || " : ""), $0}')
  [ "$n" -ge 6 ] || { echo "FAIL: only $n $set"; fail=1; }
  if ! out=$(gui_run tshark -r "$cap" -c 1 -Y "$expr" 2>&1 >/dev/null); then
    echo "FAIL: a $set filter does not compile:"; echo "$out"; fail=1
  fi
done
# Wireshark's Bad TCP colouring stays visible: its rule comes before every
# tcpstate rule (the first matching rule colours the row).
first_tcps=$(grep -n '^@tcpstate' "$profile/colorfilters" | head -1 | cut -d: -f1)
bad_tcp=$(grep -n '^@Bad TCP@' "$profile/colorfilters" | cut -d: -f1)
if [ -z "$bad_tcp" ] || [ "$bad_tcp" -gt "$first_tcps" ]; then
  echo "FAIL: Bad TCP (line ${bad_tcp:-none}) is not before tcpstate's rules (line $first_tcps)"; fail=1
fi

# Outside the profile, Info is Wireshark's own: no state prefix by default.
if gui_run tshark -r "$cap" -c 3 2>&1 | grep -q 'C:'; then
  echo "FAIL: the Default profile's Info column shows tcpstate's states"; fail=1
fi

# The details pane: names without Wireshark's "(8)", one item per fact
# (the summary, states before, sender and receiver hidden, still filterable),
# the lost flag named Lost as the column is.
details=$(gui_run tshark -2 -r "$cap" -O tcpstate -Y 'frame.number == 11 && tcpstate.summary && tcpstate.sender && tcpstate.client.prev' 2>&1)
for want in '    [Client state: TIME_WAIT]' '    [Lost: True]'; do
  grep -qF -- "$want" <<<"$details" || { echo "FAIL: details lack \"$want\":"; echo "$details"; fail=1; }
done
if grep -qE '\([0-9]+\)\]$|Summary:|Sender state|Client state before' <<<"$details"; then
  echo "FAIL: details show a number or a hidden duplicate:"; echo "$details"; fail=1
fi

[ $fail = 0 ] && echo "profile OK: columns, $(echo "$buttons" | wc -l) buttons, $(echo "$colours" | wc -l) colouring rules"
exit $fail
