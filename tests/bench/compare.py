#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: plain tshark against tshark with tcpstate, interleaved.

usage: compare.py PLUGIN.so [--frames N] [--rounds R] [--only NAME...]
                  [--instructions K]

Generates three captures deterministically (make_capture.py): frame-heavy
(10 long connections, N frames), connection-heavy (N/11 short
connections of 11 segments) and syn-flood (N bare SYNs to one server,
each its own connection), then, for each, runs plain and plugin tshark
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
With --instructions K it also counts instructions (valgrind's callgrind:
this machine's perf has no hardware counters) for each mode on the same
kind of capture cut to K frames, plain and plugin, and on a one-frame
capture for tshark's start-up: it prints the ratio of the instructions
spent on the K frames (start-up subtracted) and the extra per frame.
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


def instructions(plugdir, home, capture, args):
    """-> instructions (callgrind's Ir) of one tshark run."""
    os.chmod(home, 0o1777)      # writable by uid 65534 (the folder walks make it 755)
    out = os.path.join(home, "callgrind.out")
    cmd = ["env", "HOME=" + home, "WIRESHARK_PLUGIN_DIR=" + plugdir, "valgrind",
           "--tool=callgrind", "--callgrind-out-file=" + out, "tshark", "-r", capture] + args
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr.splitlines():
        if "I   refs:" in line:
            return int(line.split(":")[-1].strip().replace(",", ""))
    raise RuntimeError("%s: no instruction count (exit %d): %s" % (" ".join(cmd), p.returncode,
                                                                   p.stderr[-500:]))


def mode_args(args, v):
    """The mode's arguments for v: plain tshark knows no tcpstate.* field, so
    it prints the rest."""
    argv = [x for x in args if v == "plugin" or not x.startswith("tcpstate.")]
    return [x for i, x in enumerate(argv)
            if not (x == "-e" and i + 1 < len(argv) and argv[i + 1] == "-e")
            and not (x == "-e" and i + 1 == len(argv))]


def make(tmp, label, gen, frames):
    """Write the capture gen describes, cut to frames frames -> its path."""
    cap = os.path.join(tmp, "%s-%d.pcap" % (label, frames))
    subprocess.run([sys.executable, os.path.join(HERE, "make_capture.py")] + gen + [cap],
                   check=True)
    os.chmod(cap, 0o644)
    return cap


def generators(frames):
    """(label, make_capture.py arguments, frames, connections) per capture."""
    n_short = max(1, frames // 11)
    return [("frame-heavy", ["long", "10", str(frames)], frames, 10),
            ("connection-heavy", [str(n_short)], n_short * 11, n_short),
            ("syn-flood", ["synflood", str(frames)], frames, frames)]


def count_instructions(tmp, dirs, home, label, k):
    """Print the instruction counts of each mode on label's capture cut to
    k frames, start-up (a one-frame capture) subtracted."""
    small = [g for g in generators(k) if g[0] == label][0]
    one = [g for g in generators(11) if g[0] == label][0]
    cap = make(tmp, label, small[1], small[2])
    cap1 = make(tmp, label, one[1], 1 if label != "connection-heavy" else 11)
    for root, _, _ in os.walk(tmp):
        os.chmod(root, 0o755)
    for mode, args in MODES:
        net = {}
        for v in ("plain", "plugin"):
            total = instructions(dirs[v], home, cap, mode_args(args, v))
            start = instructions(dirs[v], home, cap1, mode_args(args, v))
            net[v] = total - start
        print("%-18s %-8s instructions on %d frames: plain %.0f, plugin %.0f per frame: "
              "x%.2f, +%.0f per frame" % (label, mode, small[2], net["plain"] / small[2],
                                          net["plugin"] / small[2], net["plugin"] / net["plain"],
                                          (net["plugin"] - net["plain"]) / small[2]), flush=True)


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
    ap.add_argument("--instructions", type=int, default=0, metavar="K")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tcpstate-bench.")
    try:
        dirs, home = setup(tmp, a.plugin)
        for label, gen, frames, conns in generators(a.frames):
            if a.only and label not in a.only:
                continue
            cap = make(tmp, label, gen, frames)
            for root, _, _ in os.walk(tmp):
                os.chmod(root, 0o755)
            print("== %s: %d frames, %d connections" % (label, frames, conns), flush=True)
            for mode, args in MODES:
                ratios, extra = [], []
                for r in range(a.rounds):
                    order = ("plain", "plugin") if r % 2 == 0 else ("plugin", "plain")
                    res = {}
                    for v in order:
                        res[v] = run(dirs[v], home, cap, mode_args(args, v))
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
            os.remove(cap)
            if a.instructions:
                count_instructions(tmp, dirs, home, label, a.instructions)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
