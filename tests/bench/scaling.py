#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: does tcpstate cost the same per frame at every size?

usage: scaling.py PLUGIN.so [--sizes N...] [--rounds R] [--mode tree|no-tree|two-pass]
                  [--only NAME...] [--keep DIR]

For each size N (frames) and each capture kind (frame-heavy: 10 long
connections; connection-heavy: N/11 short connections, make_capture.py),
runs plain and plugin tshark alternately, R rounds, and prints the medians
of: the extra user+sys CPU time per frame (plugin - plain, in microseconds),
the ratio, and the extra peak RSS per frame and per connection. Linear
scaling means these figures do not grow with N. With --keep DIR the
captures are written to (and reused from) DIR: the 10M-frame ones take a
minute each to write. Prints figures; asserts nothing.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  (run(), setup(): the same measurement as compare.py)

FIELDS = ["-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.flags"]
MODES = {"no-tree": ["-q", "-z", "rpc,programs"], "tree": FIELDS, "two-pass": ["-2"] + FIELDS}


def capture(folder, kind, n):
    """-> (path, frames, connections); written once."""
    if kind == "frame-heavy":
        gen, frames, conns = ["long", "10", str(n)], n, 10
    else:
        short = max(1, n // 11)
        gen, frames, conns = [str(short)], short * 11, short
    path = os.path.join(folder, "%s-%d.pcap" % (kind, n))
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "make_capture.py")] + gen + [path],
                       check=True)
    os.chmod(path, 0o644)
    return path, frames, conns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plugin")
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000000, 10000000])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mode", choices=sorted(MODES), default="no-tree")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--keep", default=None)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tcpstate-scaling.")
    try:
        dirs, home = compare.setup(tmp, a.plugin)
        folder = a.keep or tmp
        os.makedirs(folder, exist_ok=True)
        for kind in ("frame-heavy", "connection-heavy"):
            if a.only and kind not in a.only:
                continue
            for n in a.sizes:
                cap, frames, conns = capture(folder, kind, n)
                for root, _, _ in os.walk(tmp):
                    os.chmod(root, 0o755)
                os.chmod(folder, 0o755)
                cpu, ratio, mem = [], [], []
                for r in range(a.rounds):
                    order = ("plain", "plugin") if r % 2 == 0 else ("plugin", "plain")
                    res = {v: None for v in order}
                    for v in order:
                        res[v] = compare.run(dirs[v], home, cap, MODES[a.mode])
                    cpu.append(res["plugin"][0] - res["plain"][0])
                    ratio.append(res["plugin"][0] / res["plain"][0])
                    mem.append((res["plugin"][1] - res["plain"][1]) * 1024)
                    print("   %s %d round %d: plain %.2f s %d KiB, plugin %.2f s %d KiB" %
                          (kind, frames, r + 1, res["plain"][0], res["plain"][1],
                           res["plugin"][0], res["plugin"][1]), flush=True)
                c, m = statistics.median(cpu), statistics.median(mem)
                print("%-16s %-8s %10d frames %7d conns: x%.2f, +%.2f us/frame, "
                      "+%.1f B/frame, +%.0f B/connection" %
                      (kind, a.mode, frames, conns, statistics.median(ratio),
                       c / frames * 1e6, m / frames, m / conns), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
