#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Speed-up of tools/tcpstate-shard over one tshark, on a generated capture
# (tests/bench/make_capture.py). A benchmark that prints figures, not a test.
#
# usage: tests/shard/bench.sh PLUGIN.so [CONNECTIONS [SHARDS [ROUNDS]]]
set -eu
plugin=$1 conns=${2:-20000} shards=${3:-2} rounds=${4:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/tcpstate-shard-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TSHARK="$repo/tests/tshark-plugin.sh $plugin"
python3 "$repo/tests/bench/make_capture.py" "$conns" "$tmp/cap.pcap"
echo "capture: $conns connections, $(capinfos -c -M "$tmp/cap.pcap" | awk '/Number of packets/ {print $NF}') frames; $shards shards; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
# timed OUT CMD...: "wall cpu" seconds (cpu = user + system of CMD and all
# its children), CMD's stdout to OUT.
timed() {
  local out=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" > "$out"
  awk '{ printf "%.2f %.2f", $1, $2 + $3 }' "$tmp/time"
}
for mode in tables fields; do
  if [ $mode = tables ]; then args=(-q -z tcpstate,conn -z tcpstate,transitions)
  else args=(-T fields -e tcp.stream -e tcpstate.summary -e tcpstate.history -z tcpstate,conn); fi
  for r in $(seq "$rounds"); do
    # shellcheck disable=SC2086
    read -r w1 c1 <<< "$(timed "$tmp/one.txt" $TSHARK -r "$tmp/cap.pcap" "${args[@]}")"
    read -r w2 c2 <<< "$(timed "$tmp/sharded.txt" "$repo/tools/tcpstate-shard" -n "$shards" \
                         "$tmp/cap.pcap" "$tmp/w" -- "${args[@]}")"
    printf '%-6s round %d: one tshark %6.2f s (cpu %6.2f s), %d shards %6.2f s (cpu %6.2f s), speed-up x%.2f\n' \
      $mode "$r" "$w1" "$c1" "$shards" "$w2" "$c2" "$(echo "$w1 / $w2" | bc -l)"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
