#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hours of idle time inside an ESTABLISHED connection change nothing.

    tests/kernel/check_idle.py WRAPPER PLUGIN.so CAPTURES_DIR [--known-failing CAPTURE/MODE ...]

For each case below the kernel capture is cut after a frame where both ends
are ESTABLISHED (editcap -r), the rest is shifted HOURS later (editcap -t)
and the two parts are joined again (mergecap -a).  Single pass and -2, every
frame's tcpstate.client, .server, .lost and .reveals_lost (and, when the
plugin has them, tcpstate.live.client/.server) must be the same as on the
original capture.  A connection idle for 3 h is normal (no keepalive); 32-bit
microsecond offsets, for instance, would saturate after 71.6 minutes.

--known-failing CAPTURE/MODE (MODE "1" or "2" passes) marks a case that is
known to fail: it is reported and does not fail the run, but it fails the run
once it passes (then drop it from the list in tests/kernel/CMakeLists.txt).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

# (capture, last frame before the idle time, hours of idle time); both ends
# are ESTABLISHED after that frame in the kernel's truth file
CASES = [("lost_final_ack", 7, 3), ("simultaneous_close", 7, 3), ("out_of_order_fin", 7, 3)]
FIELDS = ["frame.number", "tcpstate.client", "tcpstate.server", "tcpstate.lost", "tcpstate.reveals_lost"]
LIVE = ["tcpstate.live.client", "tcpstate.live.server"]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr))
    return r.stdout


def shifted(capture, after, hours, tmp):
    name = os.path.basename(capture).replace(".pcapng", "")
    head, tail, late = (os.path.join(tmp, "%s.%s.pcapng" % (name, p)) for p in ("head", "tail", "late"))
    out = os.path.join(tmp, "%s.idle%dh.pcapng" % (name, hours))
    run(["editcap", "-r", capture, head, "1-%d" % after])
    run(["editcap", "-r", capture, tail, "%d-1000000" % (after + 1)])
    run(["editcap", "-t", str(hours * 3600), tail, late])
    run(["mergecap", "-a", "-F", "pcapng", "-w", out, head, late])
    return out


def fields_of(wrapper, plugin, capture, two_pass, fields):
    cmd = [wrapper, plugin] + (["-2"] if two_pass else []) + ["-r", capture, "-T", "fields",
                                                              "-E", "separator=/t"]
    for f in fields:
        cmd += ["-e", f]
    return run(cmd).splitlines()


def main():
    wrapper, plugin, capdir = sys.argv[1:4]
    known = set(a for k, a in zip(sys.argv[4:], sys.argv[5:]) if k == "--known-failing")
    have = run([wrapper, plugin, "-G", "fields"])
    fields = FIELDS + [f for f in LIVE if "\t%s\t" % f in have]
    tmp = tempfile.mkdtemp(prefix="tcpstate-idle-")
    os.chmod(tmp, 0o755)
    try:
        jobs = []
        for name, after, hours in CASES:
            orig = os.path.join(capdir, name + ".pcapng")
            idle = shifted(orig, after, hours, tmp)
            for two in (False, True):
                jobs.append((name, after, hours, two, orig, idle))
        with ThreadPoolExecutor(max_workers=2) as ex:
            outs = list(ex.map(lambda j: (fields_of(wrapper, plugin, j[4], j[3], fields),
                                          fields_of(wrapper, plugin, j[5], j[3], fields)), jobs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failures, unexpected = 0, 0
    for (name, after, hours, two, _o, _i), (a, b) in zip(jobs, outs):
        mode = "-2" if two else "one pass"
        case = "%s/%d" % (name, 2 if two else 1)
        diff = [(x, y) for x, y in zip(a, b) if x != y]
        bad = bool(diff) or len(a) != len(b) or not a
        if len(a) != len(b) or not a:
            print("%s (%s): %d frames before, %d after the shift" % (name, mode, len(a), len(b)))
        for x, y in diff[:5]:
            print("%s (%s), %d h idle after frame %d: %s\n    original %s\n    shifted  %s" %
                  (name, mode, hours, after, " ".join(fields), x, y))
        failures += bad
        if bad and case in known:
            print("  (known to fail: %s)" % case)
        elif bad:
            unexpected += 1
        elif case in known:
            unexpected += 1
            print("%s passes now: drop it from --known-failing" % case)
    print("idle time: %d captures x 2 modes compared on %s: %d failed (%d known), %d unexpected" %
          (len(CASES), ", ".join(fields[1:]), failures, len(known), unexpected))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
