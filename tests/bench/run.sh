#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: time and peak memory of tshark over N synthetic connections
# (11 segments each), with and without tcpstate, in three modes: one pass
# building no tree but a tap (the cheapest real dissection), one pass printing
# the tcpstate fields, and two passes printing them. Prints figures; it is not
# a test and asserts nothing.
#
# usage: tests/bench/run.sh PLUGIN.so [N...]      (default N: 10000 100000)
set -euo pipefail
so=$1; shift
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/tcpstate-bench.XXXXXX); chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
empty=$tmp/empty.so   # a stand-in "plugin dir" without tcpstate
ver=$(tshark --version | sed -n '1s/.*(Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')

measure() {  # label, with-plugin(0/1), tshark args...
  local label=$1 with=$2; shift 2
  local out=$tmp/time.txt
  if [ "$with" = 1 ]; then
    /usr/bin/time -f "%e %M" -o "$out" "$here/../tshark-plugin.sh" "$so" "$@" > /dev/null 2>&1
  else
    mkdir -p "$tmp/none/$ver/epan"; chmod -R a+rX "$tmp/none"
    /usr/bin/time -f "%e %M" -o "$out" setpriv --reuid=65534 --regid=65534 --clear-groups \
      env HOME="$tmp" WIRESHARK_PLUGIN_DIR="$tmp/none" tshark "$@" > /dev/null 2>&1
  fi
  read -r secs kb < "$out"
  printf "%-34s %8.2f s %9d KiB\n" "$label" "$secs" "$kb"
  echo "$kb" > "$tmp/last_kb"
}

for n in "${sizes[@]}"; do
  cap=$tmp/bench-$n.pcap
  python3 "$here/make_capture.py" "$n" "$cap"; chmod 644 "$cap"
  frames=$((n * 11))
  echo "== $n connections, $frames segments ($(du -h "$cap" | cut -f1))"
  measure "no tree, without tcpstate" 0 -q -r "$cap" -z rpc,programs; base=$(cat "$tmp/last_kb")
  measure "no tree, with tcpstate" 1 -q -r "$cap" -z rpc,programs; with=$(cat "$tmp/last_kb")
  measure "fields, without tcpstate" 0 -r "$cap" -T fields -e tcp.stream
  measure "fields, with tcpstate" 1 -r "$cap" -T fields -e tcpstate.summary -e tcpstate.conn_state
  measure "two passes, with tcpstate" 1 -2 -r "$cap" -T fields -e tcpstate.summary -e tcpstate.final.conn_state
  echo "   memory added by tcpstate (no tree): $(( (with - base) * 1024 / n )) bytes per connection, $(( (with - base) * 1024 / frames )) per segment"
done
