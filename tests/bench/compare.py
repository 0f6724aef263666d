#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: plain tshark against tshark with tcpstate, interleaved.

usage: compare.py PLUGIN.so [--frames N] [--rounds R] [--only NAME...]

Generates two captures deterministically (make_capture.py): frame-heavy
(10 long connections, N frames) and connection-heavy (N/11 short
connections of 11 segments), then, for each, runs plain and plugin tshark
alternately, R rounds, in three modes:
  tree     -T fields -e frame.number -e tcp.stream -e tcp.flags
           -e tcpstate.client -e tcpstate.server (plain tshark: without the
           two tcpstate fields, which it does not know)
  no tree  -q -z rpc,programs (a tap, so that tshark dissects)
  2 passes -2 and the tree mode's fields
It prints, per capture and mode, the median of the per-round ratios of
user+sys CPU time (plugin / plain; CPU time, not wall time, because the
machine may be shared), and the extra peak RSS per frame and per
connection (median over rounds of plugin RSS - plain RSS, no-tree mode).
Prints figures; asserts nothing. tshark runs as uid 65534 when root (root
ignores WIRESHARK_PLUGIN_DIR).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ["-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.flags",
          "-e", "tcpstate.client", "-e", "tcpstate.server"]
MODES = [("tree", FIELDS), ("no tree", ["-q", "-z", "rpc,programs"]), ("2 passes", ["-2"] + FIELDS)]


def tshark_version():
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    return out.split("(Wireshark) ")[1].split(".")[0:2] if "(Wireshark) " in out else ["4", "0"]


def run(plugdir, home, capture, args):
    """-> (user+sys seconds, peak RSS KiB) of one tshark run.

    The figures come from the kernel (wait4's rusage of the child, which
    setpriv and env exec into tshark), not from parsing /usr/bin/time's
    output: no extra package, and nothing tshark prints on stderr can get
    in the way (issue 20)."""
    cmd = ["env", "HOME=" + home, "WIRESHARK_PLUGIN_DIR=" + plugdir, "tshark", "-r", capture] + args
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d" % (" ".join(cmd), p.returncode))
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def setup(tmp, so):
    """Plugin folders without and with tcpstate, and a HOME, under tmp ->
    ({"plain": dir, "plugin": dir}, home)."""
    os.chmod(tmp, 0o755)
    ver = ".".join(tshark_version())
    dirs = {}
    for name, lib in (("plain", None), ("plugin", so)):
        d = os.path.join(tmp, name, ver, "epan")
        os.makedirs(d)
        if lib:
            shutil.copy(lib, d)
        dirs[name] = os.path.join(tmp, name)
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    os.chmod(home, 0o1777)
    return dirs, home


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plugin")
    ap.add_argument("--frames", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tcpstate-bench.")
    try:
        dirs, home = setup(tmp, a.plugin)
        n_short = max(1, a.frames // 11)
        caps = [("frame-heavy", ["long", "10", str(a.frames)], a.frames, 10),
                ("connection-heavy", [str(n_short)], n_short * 11, n_short)]
        for label, gen, frames, conns in caps:
            if a.only and label not in a.only:
                continue
            cap = os.path.join(tmp, label + ".pcap")
            subprocess.run([sys.executable, os.path.join(HERE, "make_capture.py")] + gen
                           + [cap], check=True)
            os.chmod(cap, 0o644)
            for root, _, files in os.walk(tmp):
                os.chmod(root, 0o755)
            print("== %s: %d frames, %d connections" % (label, frames, conns), flush=True)
            for mode, args in MODES:
                ratios, extra = [], []
                for r in range(a.rounds):
                    order = ("plain", "plugin") if r % 2 == 0 else ("plugin", "plain")
                    res = {}
                    for v in order:
                        # plain tshark knows no tcpstate.* field: it prints the rest
                        argv = [x for x in args if v == "plugin" or not x.startswith("tcpstate.")]
                        argv = [x for i, x in enumerate(argv)
                                if not (x == "-e" and i + 1 < len(argv) and argv[i + 1] == "-e")
                                and not (x == "-e" and i + 1 == len(argv))]
                        res[v] = run(dirs[v], home, cap, argv)
                    ratios.append(res["plugin"][0] / res["plain"][0])
                    extra.append((res["plugin"][1] - res["plain"][1]) * 1024)
                    print("   %-8s round %d: plain %.2f s %d KiB, plugin %.2f s %d KiB" %
                          (mode, r + 1, res["plain"][0], res["plain"][1], res["plugin"][0],
                           res["plugin"][1]), flush=True)
                e = statistics.median(extra)
                print("%-18s %-8s x%.2f (%.2f to %.2f)  extra RSS %.1f MiB: %.1f B/frame, "
                      "%.0f B/connection" % (label, mode, statistics.median(ratios), min(ratios),
                                             max(ratios), e / 2**20, e / frames, e / conns),
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
