#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Zeek's own traces (captures/zeek/): tcpstate's final conn_state and
history against the values Zeek's btest baselines give.

    check_zeek_traces.py WRAPPER PLUGIN CAPTURES_ZEEK_DIR

The expectations are the table of captures/zeek/README.md (copied from
Zeek's baselines): trace, btest, checksums, 4-tuple, conn_state, history.
"validated" runs tshark with ip.check_checksum and tcp.check_checksum on,
as Zeek validates by default; "-C" leaves them off, as the btest did. One
tshark -2 run per trace. Every frame of the 4-tuple must carry Zeek's
values as tcpstate.final.conn_state / .final.history, and the originator
must be tcpstate's client.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tshark_run import tshark  # noqa: E402

CHECKED = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
FIELDS = ["frame.number", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport",
          "tcpstate.from_client", "tcpstate.final.conn_state", "tcpstate.final.history"]


def expectations(readme):
    rows = []
    with open(readme, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 6 and cells[0].endswith(".pcap"):
                rows.append(cells)
    return rows


def endpoint(s):
    addr, _, port = s.rpartition(":")
    return addr, port


def main():
    wrapper, plugin, folder = sys.argv[1:4]
    rows = expectations(os.path.join(folder, "README.md"))
    if len(rows) != 3:
        print("expected 3 traces in %s/README.md, found %d" % (folder, len(rows)))
        return 1
    bad = 0
    for trace, _btest, checksums, tup, code, history in rows:
        if checksums not in ("validated", "`-C`"):
            print("%s: unknown checksum mode %r" % (trace, checksums))
            return 1
        extra = ["-2"] + (CHECKED if checksums == "validated" else [])
        run = tshark(wrapper, plugin, os.path.join(folder, trace), FIELDS, extra=extra)
        orig = resp = None
        if " > " in tup:
            orig, resp = (endpoint(x) for x in tup.split(" > "))
        seen = 0
        problems = []
        for no, v in sorted(run.rows.items(), key=lambda x: int(x[0])):
            src, dst = (v[1], v[2]), (v[3], v[4])
            if orig and {src, dst} != {orig, resp}:
                continue
            seen += 1
            if (v[6], v[7]) != (code, history):
                problems.append("frame %s: %s %s" % (no, v[6] or "-", v[7] or "-"))
            if orig and (v[5] in ("1", "True")) != (src == orig):
                problems.append("frame %s: originator %s:%s is not tcpstate's client" %
                                (no, orig[0], orig[1]))
        if not seen:
            problems.append("no frame of %s" % tup)
        verdict = "FAIL" if problems else "ok"
        print("%-4s %-24s %-9s Zeek %s %s; tcpstate %s" % (
            verdict, trace, checksums.strip("`"), code, history,
            "; ".join(problems[:3]) if problems else "the same on all %d frames" % seen))
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
