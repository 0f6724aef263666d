#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check `-z tcpstate,conn[,filter]` and `-z tcpstate,transitions[,filter]`
against counts written by hand.

usage: check_stats.py WRAPPER PLUGIN.so CAPTURES_DIR

close_wait_lingering.pcap holds two connections: on client port 40001 the
client closes and the server never does (Zeek S2; client FIN_WAIT_2, server
CLOSE_WAIT at the end), on 40000 a full close (SF; client TIME_WAIT, server
CLOSED). syn_flood.pcap holds ten handshakes to one server: eight answered,
of which one completes, and two unanswered.
"""
import subprocess
import sys


def run(wrapper, plugin, capture, args):
    res = subprocess.run([wrapper, plugin, "-q", "-r", capture] + args,
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit("tshark %s failed: %s" % (" ".join(args), res.stderr))
    return res.stdout


def rows(output):
    """{table title: {row key: count}} from tshark's stat-table printout.
    Keys are the text columns joined by '|', the count the numeric one."""
    tables, current = {}, None
    for line in output.splitlines():
        line = line.rstrip()
        if line and "|" not in line and not line.startswith(("=", "Filter")):
            current = tables.setdefault(line.rstrip(":"), {})
            continue
        if current is None or "|" not in line:
            continue
        cols = [c.strip() for c in line.split("|") if c.strip() != ""]
        if not cols or cols[0] in ("Key", "Endpoint"):
            continue
        nums = [c for c in cols if c.isdigit()]
        texts = [c for c in cols if not c.isdigit()]
        if nums:
            current["|".join(texts[:3] if len(texts) > 2 and texts[0] in ("client", "server")
                             else texts[:1])] = int(nums[0])
    return tables


def instances(output):
    """{-z argument: tables} for each tcpstate -z instance printed. tshark
    prints one block per instance, titled 'TCP Connection State/<table>:'
    and 'Filter for statistics: <filter>'."""
    out = {}
    for block in output.split("=" * 101):
        kind = flt = None
        for line in block.splitlines():
            if line.startswith("TCP Connection State/"):
                kind = KINDS[line.split("/", 1)[1].rstrip(":")]
            elif line.startswith("Filter for statistics:"):
                flt = line.split(":", 1)[1].strip()
        if kind:
            out[kind + ("," + flt if flt else "")] = rows(block)
    return out


KINDS = {"Connections": "tcpstate,conn", "Transitions": "tcpstate,transitions"}
CONN_BY_CODE = "Connections by Zeek conn_state"
CONN_BY_STATES = "Connections by final client and server state"
TRANSITIONS = "State transitions"

ZERO_CODES = {c: 0 for c in "S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH".split()}


def codes(**nonzero):
    out = dict(ZERO_CODES)
    out.update(nonzero)
    return out


# (capture, tshark arguments, table, expected rows). main() runs each
# capture once per set of options (-2 or not) with every -z of its cases, so
# each run also checks that several instances of one table count only what
# their own filter lets through (one set of rows per instance: see
# tcps_stat_instance in plugin/tcpstate_stats.c).
CASES = [
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn"], CONN_BY_CODE,
     codes(S2=1, SF=1)),
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn"], CONN_BY_STATES,
     {"C:FIN_WAIT_2 S:CLOSE_WAIT": 1, "C:TIME_WAIT S:CLOSED": 1}),
    # one pass: each connection as of its last segment, which here is final too
    ("close_wait_lingering.pcap", ["-z", "tcpstate,conn"], CONN_BY_CODE, codes(S2=1, SF=1)),
    # with a filter: only the connection that has packets matching it
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn,tcp.port == 40001"],
     CONN_BY_CODE, codes(S2=1)),
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn,tcp.port == 40001"],
     CONN_BY_STATES, {"C:FIN_WAIT_2 S:CLOSE_WAIT": 1}),
    # a filter matching only the first SYN: still the connection's final values in -2
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn,frame.number == 6"],
     CONN_BY_CODE, codes(SF=1)),
    # eight answered (S1, one of them completed) and two unanswered (S0):
    # under -2 nothing ever answered those, the server stayed in LISTEN; the
    # seven clients never answered their SYN/ACKs (SYN_SENT), and no server
    # sent its SYN/ACK again 1 s on: it gave up (LISTEN)
    ("syn_flood.pcap", ["-2", "-z", "tcpstate,conn"], CONN_BY_CODE, codes(S1=8, S0=2)),
    ("syn_flood.pcap", ["-2", "-z", "tcpstate,conn"], CONN_BY_STATES,
     {"C:ESTABLISHED S:ESTABLISHED": 1, "C:SYN_SENT S:LISTEN": 9}),
    # the new SYN (frame 7) ends the first connection's TIME_WAIT: CLOSED,
    # in one pass too, though none of that connection's own frames comes later
    ("port_reuse.pcap", ["-z", "tcpstate,conn"], CONN_BY_STATES,
     {"C:CLOSED S:CLOSED": 1, "C:ESTABLISHED S:ESTABLISHED": 1, "C:SYN_SENT S:SYN_RCVD": 0,
      "C:ESTABLISHED S:SYN_RCVD": 0, "C:FIN_WAIT_1 S:CLOSE_WAIT": 0,
      "C:TIME_WAIT S:LAST_ACK": 0, "C:TIME_WAIT S:CLOSED": 0}),
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,transitions"], TRANSITIONS, {
        "client|CLOSED|SYN_SENT": 2, "server|LISTEN|SYN_RCVD": 2,
        "client|SYN_SENT|ESTABLISHED": 2, "server|SYN_RCVD|ESTABLISHED": 2,
        "client|ESTABLISHED|FIN_WAIT_1": 2, "server|ESTABLISHED|CLOSE_WAIT": 2,
        "client|FIN_WAIT_1|FIN_WAIT_2": 2, "client|FIN_WAIT_2|TIME_WAIT": 1,
        "server|CLOSE_WAIT|LAST_ACK": 1, "server|LAST_ACK|CLOSED": 1}),
    ("close_wait_lingering.pcap", ["-z", "tcpstate,transitions,tcpstate.from_client == 0"],
     TRANSITIONS, {"server|CLOSE_WAIT|LAST_ACK": 1, "client|SYN_SENT|ESTABLISHED": 2,
                   "client|FIN_WAIT_1|FIN_WAIT_2": 2, "client|FIN_WAIT_2|TIME_WAIT": 1}),
    # the same tables again under other filters, in the same run
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn,tcp.port==40001"],
     CONN_BY_CODE, codes(S2=1)),
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn,tcp.port==40001"],
     CONN_BY_STATES, {"C:FIN_WAIT_2 S:CLOSE_WAIT": 1}),
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,conn,tcp.port==1"], CONN_BY_CODE,
     codes()),
    ("close_wait_lingering.pcap", ["-2", "-z", "tcpstate,transitions,tcp.port==40000"],
     TRANSITIONS, {
         "client|CLOSED|SYN_SENT": 1, "server|LISTEN|SYN_RCVD": 1,
         "client|SYN_SENT|ESTABLISHED": 1, "server|SYN_RCVD|ESTABLISHED": 1,
         "client|ESTABLISHED|FIN_WAIT_1": 1, "server|ESTABLISHED|CLOSE_WAIT": 1,
         "client|FIN_WAIT_1|FIN_WAIT_2": 1, "client|FIN_WAIT_2|TIME_WAIT": 1,
         "server|CLOSE_WAIT|LAST_ACK": 1, "server|LAST_ACK|CLOSED": 1}),
]

# tcpstate.half_open on each frame of syn_flood.pcap (SYNs only): eight
# handshakes, the third completes, a ninth SYN, a tenth after the window.
HALF_OPEN = ["1", "", "2", "", "3", "", "4", "", "5", "", "6", "", "7", "", "8", "",
             "", "8", "1"]


def main():
    wrapper, plugin, capdir = sys.argv[1:4]
    failures = 0
    got = subprocess.run([wrapper, plugin, "-o", "tcpstate.syn_flood_count:5", "-r",
                          capdir + "/syn_flood.pcap", "-T", "fields", "-e", "tcpstate.half_open"],
                         capture_output=True, text=True).stdout.split("\n")[:-1]
    if got != HALF_OPEN:
        failures += 1
        print("syn_flood.pcap tcpstate.half_open:\n  want %s\n  got  %s" % (HALF_OPEN, got))
    # The out-of-window RST (frame 4), which its receiver ignores, closes
    # nothing: the closer is the server's accepted RST, frame 6.
    got = subprocess.run([wrapper, plugin, "-2", "-r", capdir + "/rst_window.pcap", "-T", "fields",
                          "-e", "tcpstate.closer.frame"],
                         capture_output=True, text=True).stdout.split("\n")[:-1]
    if got != ["", "", "", "", "", "6"]:
        failures += 1
        print("rst_window.pcap tcpstate.closer.frame: got %s" % got)
    # The Info column annotation (on in the TCP States profile, off by
    # default) reaches the flow graph (Statistics -> Flow Graph in the GUI,
    # -z flow in tshark), one arrow per segment, the TCP flags first.
    flow = run(wrapper, plugin, capdir + "/three_segment_close.pcap",
               ["-o", "tcpstate.info_column:first", "-z", "flow,any,network"])
    want_flow = ["[SYN C:>SYN_SENT S:>SYN_RCVD]", "[FIN,ACK C:>TIME_WAIT S:>LAST_ACK]",
                 "[ACK C:TIME_WAIT S:>CLOSED]"]
    if not all(w in flow for w in want_flow):
        failures += 1
        print("flow graph lacks the states:\n%s" % flow)
    groups = {}   # (capture, options) -> -z arguments, each once
    for capture, args, _, _ in CASES:
        zs = groups.setdefault((capture, tuple(args[:-2])), [])
        if args[-1] not in zs:
            zs.append(args[-1])
    got_all = {}
    for (capture, options), zs in groups.items():
        args = list(options) + [a for z in zs for a in ("-z", z)]
        got_all[capture, options] = instances(run(wrapper, plugin, capdir + "/" + capture, args))
    for capture, args, table, want in CASES:
        got = got_all[capture, tuple(args[:-2])].get(args[-1], {}).get(table)
        if got != want:
            failures += 1
            print("%s %s [%s]:\n  want %s\n  got  %s" % (capture, " ".join(args), table,
                                                      sorted(want.items()),
                                                      sorted((got or {}).items())))
    print("%d statistics checks, %d failed, %d tshark runs" % (len(CASES) + 3, failures,
                                                              len(groups) + 3))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
