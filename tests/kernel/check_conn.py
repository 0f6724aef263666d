#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection-level results on the kernel captures, under tshark -2:
each stream's final Zeek conn_state and history, final states and closer,
and every frame's expert infos, against tests/kernel/conn_expect.txt.

usage: check_conn.py WRAPPER PLUGIN.so CAPTURES_DIR EXPECT_FILE

Two tshark runs per capture (tests/tshark/tshark_run.py): one pass for its
expert infos, two passes for the connections and expert infos.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tshark"))
from check_capture import STATES, checked_experts  # noqa: E402
from tshark_run import tshark  # noqa: E402

CLOSERS = {"": "-", "1": "CLIENT", "2": "SERVER"}
STREAM_FIELDS = ["frame.number", "tcp.stream", "tcpstate.final.conn_state",
                 "tcpstate.final.history", "tcpstate.final.client", "tcpstate.final.server",
                 "tcpstate.closer"]


def streams(rows):
    """Each stream's final values, from the rows of a -2 run."""
    out = {}
    for frame in sorted(rows, key=int):
        s, code, hist, c, srv, closer = rows[frame][1:]
        if not code:
            continue
        got = (code, hist, STATES[int(c)], STATES[int(srv)])
        prev = out.get(s)
        # the closer is known from the first FIN or RST on: keep the last seen
        out[s] = got + (CLOSERS[closer] if closer else (prev[4] if prev else "-"),)
    return out


def main():
    wrapper, plugin, capdir, expect_path = sys.argv[1:5]
    want_streams, want_experts = {}, {}
    for line in open(expect_path):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if f[0] == "stream":
            want_streams.setdefault(f[1], {})[f[2]] = tuple(f[3:8])
        elif f[0] == "experts":
            want_experts.setdefault(f[1], {})[f[2]] = f[3:]
    failures = checks = 0
    for name in sorted(want_streams):
        cap = os.path.join(capdir, name + ".pcapng")
        runs = {False: tshark(wrapper, plugin, cap, ["frame.number"], probe=True),
                True: tshark(wrapper, plugin, cap, STREAM_FIELDS, ["-2"], probe=True)}
        got = streams(runs[True].rows)
        checks += 1
        if got != want_streams[name]:
            failures += 1
            print("%s streams:\n  want %s\n  got  %s" % (name, want_streams[name], got))
        for two_pass in (False, True):
            ex = dict((frame, checked_experts(names))
                      for frame, names in runs[two_pass].experts.items())
            frames = set(runs[two_pass].rows) | set(ex) | set(want_experts.get(name, {}))
            for frame in sorted(frames, key=int):
                spec = want_experts.get(name, {}).get(frame, [])
                names = []
                for part in spec:
                    if part.startswith("ex2:"):
                        if two_pass:
                            names += part[4:].split(",")
                    else:
                        names += part.split(",")
                checks += 1
                if sorted(names) != ex.get(frame, []):
                    failures += 1
                    print("%s frame %s%s experts: want %s, got %s" %
                          (name, frame, " (-2)" if two_pass else "", sorted(names),
                           ex.get(frame, [])))
    print("kernel captures: %d connection and expert checks, %d failed" % (checks, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
