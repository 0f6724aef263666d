#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/tcpstate-shard gives what one tshark gives: on the kernel captures
# and the IPv6 crafted one merged into one file, split into 3 shards, the
# per-frame fields (frame references and tcp.stream translated) and the
# -z tcpstate tables must equal a single run's, in one pass and with -2.
# tcpstate.half_open is left out: it counts handshakes of other
# connections to the same server, which other shards hold (docs/sharding.md).
#
# usage: check_shard.sh WRAPPER PLUGIN.so REPO
set -u
wrapper=$1 plugin=$2 repo=$3
tmp=$(mktemp -d /tmp/tcpstate-shard.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TSHARK="$wrapper $plugin"
# Not syn_flood: hindsight past a connection's last frame (a client that
# never answered its SYN/ACK, a server that gave up) needs the capture to go
# on, and a shard ends sooner than the whole (docs/sharding.md).
kernel=()
for c in "$repo"/captures/kernel/*.pcapng; do
  case $c in */syn_flood.pcapng) ;; *) kernel+=("$c") ;; esac
done
mergecap -F pcap -w "$tmp/all.pcap" "${kernel[@]}" \
  "$repo/captures/crafted/ipv6_basic.pcap" "$repo/captures/crafted/midstream.pcap"
fields=(tcp.stream tcpstate.summary tcpstate.phase tcpstate.handshake.step
        tcpstate.teardown.step tcpstate.lost tcpstate.lost.shown_by tcpstate.reveals_lost
        tcpstate.conn_state tcpstate.history tcpstate.closer tcpstate.closer.frame
        tcpstate.client.since tcpstate.server.since tcpstate.final.conn_state
        tcpstate.final.history tcpstate.final.client tcpstate.final.server)
eargs=()
for f in "${fields[@]}"; do eargs+=(-e "$f"); done
fail=0
for passes in "" "-2"; do
  # shellcheck disable=SC2086
  $TSHARK $passes -r "$tmp/all.pcap" -T fields -e frame.number "${eargs[@]}" \
    -z tcpstate,conn -z tcpstate,transitions > "$tmp/single.txt"
  "$repo/tools/tcpstate-shard" -n 3 "$tmp/all.pcap" "$tmp/work" -- $passes -T fields \
    "${eargs[@]}" -z tcpstate,conn -z tcpstate,transitions > "$tmp/sharded.txt"
  if ! python3 - "$tmp/single.txt" "$tmp/sharded.txt" "$tmp/work" "$repo" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(sys.argv[4], "tools"))
merge = __import__("tcpstate-shard-merge")
def load(path):
    lines, blocks = merge.split_output(open(path).read())
    tables = {}
    for b in blocks:
        title, flt, _, tabs = merge.parse_block(b)
        for tname, rows in tabs:
            tables[(title, flt, tname)] = sorted("|".join(r) for r in rows)
    return lines, tables
one, shard = load(sys.argv[1]), load(sys.argv[2])
sizes = [sum(1 for _ in open(os.path.join(sys.argv[3], "out-%d.txt" % k))) for k in range(3)]
bad = 0
if one[0] != shard[0]:
    bad = 1
    for a, b in zip(one[0], shard[0]):
        if a != b:
            print("single : %s\nsharded: %s" % (a, b))
            break
    print("frame lines: %d single, %d sharded" % (len(one[0]), len(shard[0])))
if one[1] != shard[1] or not one[1]:
    bad = 1
    print("tables differ:\n%s\n%s" % (one[1], shard[1]))
if min(sizes) == 0:
    bad = 1
    print("a shard is empty: %s" % sizes)
print("%d frames, %d table rows, shard outputs of %s lines: %s" % (
    len(one[0]), sum(len(v) for v in one[1].values()), sizes, "differ" if bad else "equal"))
sys.exit(bad)
PY
  then
    echo "FAILED with passes '$passes'"; fail=1
  fi
done
exit $fail
