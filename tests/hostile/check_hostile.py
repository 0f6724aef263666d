#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Read one hostile capture with tshark and the plugin (two passes) and
compare every frame's values with tests/hostile/expected/<name>.tsv.

usage: check_hostile.py [--write] WRAPPER PLUGIN.so CAPTURE EXPECTED

The run must also be clean: exit 0, no dissector bug, and, when the plugin
is built with -DTCPSTATE_SANITIZE=ON (the ASan runtime is then preloaded
for tshark), no AddressSanitizer or UndefinedBehaviorSanitizer report.
--write prints the values instead of comparing (to review by hand before
they go into the expected file).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tshark"))
from tshark_run import boolean  # noqa: E402  (booleans read the same on every version)

FIELDS = ["frame.number", "tcp.stream", "tcpstate.summary", "tcpstate.phase",
          "tcpstate.midstream", "tcpstate.lost", "tcpstate.conn_state", "tcpstate.history",
          "tcpstate.duration", "tcpstate.handshake.rtt", "tcpstate.client.time_in_state"]
BOOLEANS = {FIELDS.index("tcpstate.midstream"), FIELDS.index("tcpstate.lost")}
BAD = re.compile(r"AddressSanitizer|runtime error|Dissector bug|assertion|Segmentation fault|CRITICAL")


def main():
    args = sys.argv[1:]
    write = args[:1] == ["--write"]
    if write:
        args = args[1:]
    wrapper, plugin, capture, expected = args
    env = dict(os.environ, WIRESHARK_DEBUG_WMEM_OVERRIDE="simple",
               ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="print_stacktrace=1")
    ldd = subprocess.run(["ldd", plugin], capture_output=True, text=True).stdout
    if "libasan" in ldd:
        env["LD_PRELOAD"] = subprocess.run(["gcc", "-print-file-name=libasan.so"],
                                           capture_output=True, text=True).stdout.strip()
    cmd = [wrapper, plugin, "-r", capture, "-2", "-T", "fields", "-E", "header=y",
           "-E", "occurrence=f"] + sum((["-e", f] for f in FIELDS), [])
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    except subprocess.TimeoutExpired:
        print("FAIL: tshark hangs (over 120 s)")
        return 1
    got = run.stdout.rstrip("\n").split("\n")
    got = got[:1] + ["\t".join(boolean(v) if i in BOOLEANS else v for i, v in enumerate(line.split("\t")))
                     for line in got[1:]]
    problems = [line for line in (run.stderr + run.stdout).splitlines() if BAD.search(line)]
    if run.returncode != 0 or problems:
        print(f"FAIL: tshark exit {run.returncode}")
        print("\n".join(problems[:20] or run.stderr.splitlines()[-10:]))
        return 1
    if write:
        print("\n".join(got))
        return 0
    with open(expected) as f:
        want = [line for line in f.read().rstrip("\n").split("\n") if not line.startswith("#")]
    # tcp.stream is Wireshark's: for a TCP header it does not dissect as a
    # segment (quoted in ICMP) 4.6 gives a stream and 4.0 none. Where
    # tcpstate leaves the frame alone, that difference is none of ours.
    stream, summary = FIELDS.index("tcp.stream"), FIELDS.index("tcpstate.summary")

    def ours(line):
        cols = line.split("\t")
        if len(cols) > summary and not cols[summary]:
            cols[stream] = ""
        return "\t".join(cols)
    got = got[:1] + [ours(line) for line in got[1:]]
    want = want[:1] + [ours(line) for line in want[1:]]
    if got == want:
        print(f"ok: {len(want) - 1} frames as expected")
        return 0
    print("FAIL: frames differ (-expected +got)")
    for i in range(max(len(got), len(want))):
        w = want[i] if i < len(want) else "<none>"
        g = got[i] if i < len(got) else "<none>"
        if w != g:
            print(f"- {w}\n+ {g}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
