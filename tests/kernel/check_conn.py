#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection-level results on the kernel captures, under tshark -2:
each stream's final Zeek conn_state and history, final states and closer,
and every frame's expert infos, against tests/kernel/conn_expect.txt.

usage: check_conn.py WRAPPER PLUGIN.so CAPTURES_DIR EXPECT_FILE
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tshark"))
from check_capture import STATES, experts  # noqa: E402

CLOSERS = {"": "-", "1": "CLIENT", "2": "SERVER"}


def streams(wrapper, plugin, capture):
    cmd = [wrapper, plugin, "-2", "-r", capture, "-T", "fields", "-E", "separator=/t",
           "-e", "tcp.stream", "-e", "tcpstate.final.conn_state", "-e", "tcpstate.final.history",
           "-e", "tcpstate.final.client", "-e", "tcpstate.final.server", "-e", "tcpstate.closer"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit("tshark failed on %s: %s" % (capture, res.stderr))
    out = {}
    for line in res.stdout.splitlines():
        s, code, hist, c, srv, closer = (line.split("\t") + [""] * 6)[:6]
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
        got = streams(wrapper, plugin, cap)
        checks += 1
        if got != want_streams[name]:
            failures += 1
            print("%s streams:\n  want %s\n  got  %s" % (name, want_streams[name], got))
        for two_pass in (False, True):
            ex = experts(wrapper, plugin, cap, ["-2"] if two_pass else [])
            for frame in sorted(set(ex) | set(want_experts.get(name, {})), key=int):
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
