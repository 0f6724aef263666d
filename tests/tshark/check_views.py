#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The views agree with the states shown (ctest tshark.views): `since` and
`time_in_state`, and the ladder.

    check_views.py WRAPPER PLUGIN CAPTURE_DIR...

For every capture in the directories, in one pass and with -2, for both ends
of every frame that has tcpstate.client.since / .server.since:

  * since is not after the frame itself;
  * the state shown for that end on the since frame is the state shown now;
  * time_in_state is the frame's time minus the since frame's time;
  * with -2 (every frame shows hindsight, so the path is final): the state
    did not change on any frame of the stream after since up to this one,
    and it was entered on since (not already held on the stream's frame
    before it).  In one pass a later frame may still correct an earlier one
    (docs/semantics.md, "live and hindsight"), so this is not asked there;
  * the ladder (-z tcpstate,ladder, in the same run) shows for every frame
    it draws the client and server states of tcpstate.summary, and draws
    every frame that has a summary.

Prints one line per capture and mode; exit status 1 on any failure.
"""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LADDER = re.compile(r"^\s+(\d+)\s+(\S+)\s+\|.*\|\s+(\S+)")
FIELDS = ["frame.number", "frame.time_epoch", "tcpstate.summary", "tcp.stream", "tcpstate.client.prev", "tcpstate.client",
          "tcpstate.server.prev", "tcpstate.server", "tcpstate.client.since", "tcpstate.server.since",
          "tcpstate.client.time_in_state", "tcpstate.server.time_in_state"]


def run(wrapper, plugin, cap, two):
    cmd = [wrapper, plugin] + (["-2"] if two else []) + ["-r", str(cap), "-T", "fields",
                                                         "-E", "occurrence=f", "-z", "tcpstate,ladder"]
    for f in FIELDS:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: tshark failed:\n%s" % (cap, r.stderr))
    rows, ladder = {}, {}
    for line in r.stdout.splitlines():
        m = LADDER.match(line)
        if m and "\t" not in line:
            ladder[int(m.group(1))] = (m.group(2), m.group(3))
            continue
        v = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        summary = v.pop(2)
        if not v[4]:
            continue
        rows[int(v[0])] = dict(t=float(v[1]), stream=v[2], summary=summary,
                               pn=[(v[3], v[4]), (v[5], v[6])],
                               since=[int(v[7]) if v[7] else None, int(v[8]) if v[8] else None],
                               tis=[float(v[9]) if v[9] else None, float(v[10]) if v[10] else None])
    return rows, ladder


def check(rows, ladder, two):
    bad = []
    for no, r in sorted(rows.items()):
        m = re.match(r"C:(\S+) S:(\S+)$", r["summary"])
        if m and ladder.get(no) != (m.group(1), m.group(2)):
            bad.append("frame %d: fields C:%s S:%s, ladder %s" % (
                no, m.group(1), m.group(2), "C:%s S:%s" % ladder[no] if no in ladder else "nothing"))
    bad += ["frame %d: in the ladder, no tcpstate.summary" % no for no in sorted(set(ladder) - set(rows))]
    times = [r["t"] for r in rows.values()]
    # hostile time stamps (captures/hostile/timestamps_far) beyond the +-292
    # years that 64-bit nanoseconds hold: the plugin saturates, skip the times
    timed = not times or max(times) - min(times) < 9e9
    by_stream = {}
    for no in sorted(rows):
        by_stream.setdefault(rows[no]["stream"], []).append(no)
    for no, r in sorted(rows.items()):
        for e, end in ((0, "client"), (1, "server")):
            s = r["since"][e]
            if s is None:
                continue
            cur = r["pn"][e][1]
            if s > no:
                bad.append("frame %d %s: since %d is after the frame" % (no, end, s))
                continue
            if s not in rows or rows[s]["pn"][e][1] != cur:
                bad.append("frame %d %s: %s now, %s on its since frame %d" % (
                    no, end, cur, rows[s]["pn"][e][1] if s in rows else "nothing", s))
                continue
            if timed and r["tis"][e] is not None and abs(r["tis"][e] - (r["t"] - rows[s]["t"])) > 2e-6:
                bad.append("frame %d %s: time_in_state %.6f, frame %d was %.6f s earlier" % (
                    no, end, r["tis"][e], s, r["t"] - rows[s]["t"]))
            if not two:
                continue
            frames = by_stream[r["stream"]]
            if s not in frames:     # several TCP layers (tunnels): the first one's stream
                continue
            between = [f for f in frames if s < f <= no]
            changed = [f for f in between if rows[f]["pn"][e] != (cur, cur)]
            if changed:
                bad.append("frame %d %s: since %d, but %s changed on frame %d" % (no, end, s, end, changed[0]))
            i = frames.index(s)
            if i and rows[s]["pn"][e][0] == cur and rows[frames[i - 1]]["pn"][e][1] == cur:
                bad.append("frame %d %s: since %d, but %s held %s on frame %d already" % (
                    no, end, s, end, cur, frames[i - 1]))
    return bad


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    wrapper, plugin, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    caps = sorted(p for d in dirs for p in Path(d).iterdir() if p.suffix in (".pcap", ".pcapng"))
    jobs = [(c, two) for c in caps for two in (False, True)]
    try:
        with ThreadPoolExecutor(max_workers=2) as ex:
            results = list(ex.map(lambda j: check(*run(wrapper, plugin, j[0], j[1]), j[1]), jobs))
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 2
    nbad = 0
    for (cap, two), bad in zip(jobs, results):
        print("%-4s %s/%s %s%s" % ("ok" if not bad else "FAIL", cap.parent.name, cap.name,
                                   "-2" if two else "one pass", ": " + bad[0] if bad else ""))
        for b in bad[1:5]:
            print("       " + b)
        nbad += bool(bad)
    print("%d captures x 2 modes, %d fail" % (len(caps), nbad))
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main())
