#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input never crashes tcpstate. Every bundled capture is merged into one
# file, which editcap then damages at random with a fixed seed (byte errors
# at probability 0.02, and again with frames cut to 40 and 60 bytes). tshark
# must finish each in one pass and in two with the plugin loaded, and report
# no dissector bug. The undamaged merge must be annotated.
#
# usage: check_robustness.sh WRAPPER PLUGIN.so CAPTURE...
set -u
wrapper=$1 so=$2; shift 2
tmp=$(mktemp -d /tmp/tcpstate-fuzz.XXXXXX); chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
mergecap -F pcap -w "$tmp/all.pcap" "$@" 2>/dev/null || mergecap -w "$tmp/all.pcap" "$@"
runs=0 failed=0
check() {  # label, capture, extra args
  local label=$1 cap=$2; shift 2
  runs=$((runs + 1))
  if ! "$wrapper" "$so" "$@" -r "$cap" -T fields -e tcpstate.summary -e tcpstate.conn_state \
        -e tcpstate.final.history -e tcpstate.live.client -e tcpstate.live.server \
        > "$tmp/out" 2> "$tmp/err"; then
    echo "FAIL $label: tshark exited $(tail -1 "$tmp/err")"; failed=$((failed + 1)); return
  fi
  if grep -qi "dissector bug\|assert\|segmentation" "$tmp/err" "$tmp/out"; then
    echo "FAIL $label: $(grep -i 'dissector bug\|assert\|segmentation' "$tmp/err" "$tmp/out" | head -2)"
    failed=$((failed + 1)); return
  fi
  # the live view: the same in one pass and two (hindsight may differ)
  cut -f4,5 "$tmp/out" > "$tmp/states.$label"
  echo "ok   $label: $(wc -l < "$tmp/out") frames, $(grep -c 'C:' "$tmp/out") annotated"
}
same() {  # one pass and two passes print the same live states
  runs=$((runs + 1))
  if cmp -s "$tmp/states.$1" "$tmp/states.$1, -2"; then
    echo "ok   $1: one pass and two passes agree"
  else
    echo "FAIL $1: one pass and two passes differ"; failed=$((failed + 1))
  fi
}
check "merged" "$tmp/all.pcap"
check "merged, -2" "$tmp/all.pcap" -2
same "merged"
runs=$((runs + 1))
if [ "$(grep -c '[0-9]' "$tmp/states.merged")" -lt 400 ]; then
  echo "FAIL merged: fewer than 400 of $(wc -l < "$tmp/states.merged") frames annotated"; failed=$((failed + 1))
fi
for seed in 1 2 3 4 5; do
  editcap --seed "$seed" -E 0.02 "$tmp/all.pcap" "$tmp/fuzz$seed.pcap" 2>/dev/null
  check "byte errors, seed $seed" "$tmp/fuzz$seed.pcap"
  check "byte errors, seed $seed, -2" "$tmp/fuzz$seed.pcap" -2
  same "byte errors, seed $seed"
done
for snap in 40 60; do
  editcap -s "$snap" "$tmp/all.pcap" "$tmp/snap$snap.pcap" 2>/dev/null
  check "snaplen $snap" "$tmp/snap$snap.pcap" -2
done
chmod a+r "$tmp"/*.pcap
echo "$((runs - failed)) passed, $failed failed"
[ "$failed" = 0 ]
