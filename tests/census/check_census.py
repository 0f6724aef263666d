#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The census and the connection list against a brute-force recount.

  check_census.py [--msl=SECONDS] WRAPPER PLUGIN CAPTURE...

One tshark -2 run per capture prints every frame's census fields
(tcpstate.census.*, with tcpstate.census_in_tree on), the per-frame fields
they are recounted from, `-z tcpstate,census,0.1` and `-z tcpstate,conn,list`. From the per-frame fields alone
(tcpstate.connection, tcpstate.client/.server, frame times, the
time_wait_restart expert field) this script recounts, at every frame and at
every interval's end, how many connections have an end in each state:

- a connection's ends are in the states of its latest frame so far;
- an end in TIME_WAIT leaves for CLOSED once 2*MSL (60 s, or --msl) has passed
  since the frame on which it entered TIME_WAIT or a retransmitted FIN
  restarted it (RFC 9293 3.10.7.4);
- a new incarnation of a 4-tuple (same client and server) ends the
  previous ones.

The recount is deliberately naive (every frame looks at every connection
again), so that it shares no code or shortcut with the plugin's sweep. The
connection list's rows are checked against the per-frame fields too: first
and last frame, stream, final states, conn_state, history, closer,
handshake RTT, lost segments, duration and upgrade.
"""
import os
import subprocess
import sys
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tcpstate_states import STATES  # noqa: E402

COUNTED = STATES[2:]
TW = STATES.index("TIME_WAIT")
TWO_MSL = 60 * 10**9
INTERVAL = Decimal("0.1")
# A filtered census counts only the connections with a frame that matches:
# here all but the first connection (it as if it were not there).
ONLY = "tcpstate.connection >= 1"
CENSUS = (["tcpstate.census.open"] + ["tcpstate.census." + s.lower() for s in COUNTED] +
          ["tcpstate.census.client." + s.lower() for s in COUNTED] +
          ["tcpstate.census.server." + s.lower() for s in COUNTED])
BASE = ["frame.number", "frame.time_epoch", "frame.time_relative", "tcpstate.connection",
        "tcpstate.client", "tcpstate.server", "tcpstate.from_client", "tcp.stream",
        "tcpstate.final.client", "tcpstate.final.server", "tcpstate.final.conn_state",
        "tcpstate.final.history", "tcpstate.closer", "tcpstate.handshake.rtt", "tcpstate.lost",
        "tcpstate.duration", "tcpstate.upgrade.protocol", "tcpstate.analysis.time_wait_restart"]
FIELDS = BASE + CENSUS
CLOSER = {"1": "CLIENT", "2": "SERVER"}

failures = []


def fail(capture, msg):
    failures.append("%s: %s" % (os.path.basename(capture), msg))


def ns(text):
    return int(Decimal(text) * 10**9)


def run(wrapper, plugin, capture):
    cmd = [wrapper, plugin, "-2", "-o", "tcpstate.census_in_tree:TRUE",
           "-o", "tcpstate.msl:%d" % (TWO_MSL // 2 // 10**9),
           "-r", capture,
           "-z", "tcpstate,census,%s" % INTERVAL, "-z", "tcpstate,conn,list",
           "-z", "tcpstate,census,%s,%s" % (INTERVAL, ONLY),
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("tshark failed on %s: %s" % (capture, res.stderr))
    rows, blocks, block = [], {}, None
    for line in res.stdout.splitlines():
        if line.startswith("====="):
            block = None if block is not None else []
            continue
        if block is not None:
            block.append(line)
            if len(block) == 3 and block[0].startswith("TCP Connection State/Census"):
                blocks["census " + block[2].rstrip()] = block
            elif len(block) == 3 and block[0].startswith("TCP Connection State/Connection list"):
                blocks["list"] = block
        elif "\t" in line or line.strip().isdigit():
            cols = line.split("\t")
            rows.append(cols + [""] * (len(FIELDS) - len(cols)))
    restarts = {int(r[0]) for r in rows if r[FIELDS.index("tcpstate.analysis.time_wait_restart")]}
    return rows, blocks, restarts


def recount(frames, upto, now, tuples, only=None):
    """The census after frame `upto` (index into frames) at time `now`,
    of the connections in `only` (all when None)."""
    latest, tw_start, first = {}, {}, {}
    for fr in frames[:upto + 1]:
        c = fr["conn"]
        if c is None or (only is not None and c not in only):
            continue
        first.setdefault(c, fr["num"])
        prev = latest.get(c, (0, 0))
        latest[c] = fr["states"]
        for e in (0, 1):
            restart = fr["restart"] and (1 if fr["from_client"] else 0) == e
            if fr["states"][e] == TW and (prev[e] != TW or restart):
                tw_start[(c, e)] = fr["t"]
    counts = {"open": 0}
    for k in ("any", "client", "server"):
        for s in COUNTED:
            counts[(k, s)] = 0
    for c, states in latest.items():
        if any(o != c and tuples.get(o) == tuples.get(c) and first[o] > first[c]
               for o in first):
            continue          # a later incarnation of its 4-tuple replaced it
        ends = []
        for e in (0, 1):
            s = states[e]
            if s == TW and now - tw_start[(c, e)] >= TWO_MSL:
                s = 0
            ends.append(s)
        for e, kind in ((0, "client"), (1, "server")):
            if ends[e] >= 2:
                counts[(kind, STATES[ends[e]])] += 1
        for s in set(ends):
            if s >= 2:
                counts[("any", STATES[s])] += 1
        if max(ends) >= 2:
            counts["open"] += 1
    return counts


def as_list(counts):
    return ([counts["open"]] + [counts[("any", s)] for s in COUNTED] +
            [counts[("client", s)] for s in COUNTED] + [counts[("server", s)] for s in COUNTED])


def parse_list(block):
    header = [h.strip() for h in block[2].split("|")[:-1]]
    out = {}
    for line in block[3:]:
        cols = [c.strip() for c in line.split("|")[:-1]]
        if len(cols) == len(header):
            out[int(cols[0])] = dict(zip(header, cols))
    return out


def check_table(capture, frames, tuples, census, only):
    start = frames[0]["t"] - ns(str(frames[0]["rel"])) if frames else 0
    table = [l for l in census[4:] if l and l[0].isdigit()]
    tcp = [i for i, fr in enumerate(frames) if fr["conn"] is not None]
    if tcp:
        last_rel = frames[tcp[-1]]["rel"]
        want_rows = int(last_rel / INTERVAL) + 1
        if len(table) != want_rows:
            fail(capture, "census table: %d rows, want %d" % (len(table), want_rows))
    for k, line in enumerate(table):
        cols = [c.strip() for c in line.split("|")[:-1]]
        end = INTERVAL * (k + 1)
        upto = max([i for i in tcp if frames[i]["rel"] < end], default=None)
        if upto is None:
            want = [0] * 14
        else:
            c = recount(frames, upto, start + ns(str(end)), tuples, only)
            want = ([c["open"]] + [c[("any", s)] for s in COUNTED] +
                    [c[("client", "TIME_WAIT")], c[("server", "TIME_WAIT")],
                     c[("client", "CLOSE_WAIT")], c[("server", "CLOSE_WAIT")]])
        got = [int(x) for x in cols[2:]]
        if got != want:
            fail(capture, "census row %d%s (%s): %s, recount %s" %
                 (k, " (%s)" % ONLY if only else "", line, got, want))


def check(wrapper, plugin, capture):
    rows, blocks, restarts = run(wrapper, plugin, capture)
    frames = []
    for r in rows:
        v = dict(zip(FIELDS, r))
        conn = int(v["tcpstate.connection"]) if v["tcpstate.connection"] else None
        frames.append({
            "num": int(v["frame.number"]), "t": ns(v["frame.time_epoch"]),
            "rel": Decimal(v["frame.time_relative"]), "conn": conn,
            "states": (int(v["tcpstate.client"] or 0), int(v["tcpstate.server"] or 0)),
            "from_client": v["tcpstate.from_client"] in ("1", "True"),
            "restart": int(v["frame.number"]) in restarts, "v": v,
            "census": [int(x) if x else None for x in r[len(BASE):]],
        })
    clist = blocks.get("list")
    census = blocks.get("census Filter for statistics:")
    census_only = blocks.get("census Filter for statistics: " + ONLY)
    if clist is None or census is None or census_only is None:
        fail(capture, "a -z table is missing: %s" % list(blocks))
        return 0
    listed = parse_list(clist)
    tuples = {c: (r["Client"], r["Server"]) for c, r in listed.items()}

    checked = 0
    for i, fr in enumerate(frames):
        if fr["conn"] is None:
            if any(x is not None for x in fr["census"]):
                fail(capture, "frame %d: census without a tcpstate record" % fr["num"])
            continue
        want = as_list(recount(frames, i, fr["t"], tuples))
        if fr["census"] != want:
            fail(capture, "frame %d: census %s, recount %s" % (fr["num"], fr["census"], want))
        checked += 1

    # -z tcpstate,census: each row at its interval's end, all connections
    # and, filtered, all but the first.
    later = {fr["conn"] for fr in frames if fr["conn"]}
    for block, only in ((census, None), (census_only, later)):
        check_table(capture, frames, tuples, block, only)

    # -z tcpstate,conn,list: every connection once, its values from its frames.
    by_conn = {}
    for fr in frames:
        if fr["conn"] is not None:
            by_conn.setdefault(fr["conn"], []).append(fr)
    if sorted(listed) != sorted(by_conn):
        fail(capture, "conn list %s, frames name %s" % (sorted(listed), sorted(by_conn)))
    for c, frs in by_conn.items():
        row = listed.get(c)
        if not row:
            continue
        v0, vl = frs[0]["v"], frs[-1]["v"]
        rtt = next((f["v"]["tcpstate.handshake.rtt"] for f in frs
                    if f["v"]["tcpstate.handshake.rtt"]), None)
        up = next((f["v"]["tcpstate.upgrade.protocol"] for f in frs
                   if f["v"]["tcpstate.upgrade.protocol"]), None)
        want = {
            "Stream": v0["tcp.stream"], "First": str(frs[0]["num"]), "Last": str(frs[-1]["num"]),
            "Client final": STATES[int(vl["tcpstate.final.client"])],
            "Server final": STATES[int(vl["tcpstate.final.server"])],
            "conn_state": vl["tcpstate.final.conn_state"], "History": vl["tcpstate.final.history"],
            "Closer": CLOSER.get(vl["tcpstate.closer"], "-"),
            "Handshake RTT": "%.6f" % Decimal(rtt) if rtt else "-",
            "Lost": str(sum(1 for f in frs if f["v"]["tcpstate.lost"] in ("1", "True"))),
            "Duration": "%.6f" % Decimal(vl["tcpstate.duration"]),
        }
        for k, w in want.items():
            got = row[k]
            if k in ("Handshake RTT", "Duration") and w != "-" and got != "-":
                ok = abs(Decimal(got) - Decimal(w)) <= Decimal("0.000001")
            else:
                ok = got == w
            if not ok:
                fail(capture, "conn %d: %s %r, frames say %r" % (c, k, got, w))
        if (row["Upgrade"] != "-") != bool(up) or (up and not row["Upgrade"].startswith(up)):
            fail(capture, "conn %d: Upgrade %r, frames say %r" % (c, row["Upgrade"], up))
    return checked


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    global TWO_MSL
    args = sys.argv[1:]
    if args[0].startswith("--msl="):
        TWO_MSL = 2 * int(args.pop(0)[6:]) * 10**9
    wrapper, plugin, captures = args[0], args[1], args[2:]
    total = 0
    for cap in captures:
        total += check(wrapper, plugin, cap)
    for f in failures[:60]:
        print("FAIL", f)
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("ok: census of %d frames on %d captures, the census tables and connection lists "
          "match the recount" % (total, len(captures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
