#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tcpstate.upgrade*: on the crafted capture (client closes first after a
# WebSocket upgrade; a second connection without one) and on the kernel's
# real WebSocket session (server closes first, RFC 6455 7.1.1), every frame,
# in one pass and in two, against expected/<capture>.txt.
#
# usage: tests/upgrade/check_upgrade.sh WRAPPER PLUGIN.so SOURCE_DIR
set -u
wrapper=$1 so=$2 src=$3
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for cap in captures/crafted/websocket_upgrade.pcap captures/kernel/websocket.pcapng; do
  name=$(basename "${cap%.*}")
  for pass in "" -2; do
    got=$("$wrapper" "$so" $pass -r "$src/$cap" -T fields -e frame.number -e http.response.code \
            -e tcpstate.upgrade -e tcpstate.upgrade.protocol -e tcpstate.upgrade.closer \
            -e tcpstate.closer -e tcpstate.summary 2>&1)
    if ! diff -u "$here/expected/$name.txt" <(printf '%s\n' "$got"); then
      echo "FAIL: $cap ${pass:-one pass}"; fail=1
    fi
  done
  # The expert, once, on the 101.
  n=$("$wrapper" "$so" -2 -r "$src/$cap" -Y tcpstate.analysis.upgrade -T fields -e frame.number)
  want=$(awk -F'\t' '$2 == "101" {print $1}' "$here/expected/$name.txt")
  [ "$n" = "$want" ] || { echo "FAIL: $cap: expert upgrade on frame(s) '$n', want '$want'"; fail=1; }
done
[ $fail = 0 ] && echo "upgrade OK"
exit $fail
