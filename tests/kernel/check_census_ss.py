#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The census against the kernel's own counts.

  check_census_ss.py WRAPPER PLUGIN CAPDIR LOGDIR KNOWN SCENARIO...

At every checkpoint of a kernel scenario, make_corpus.py ran `ss -tanoH` in
both namespaces (tests/kernel/logs/<scenario>.log, "ss client ns:" and
"ss server ns:", every socket on the server port) and mapped the checkpoint
to the last frame before it. This counts the sockets in each state on each
side and compares them with the census at that frame under tshark -2:
tcpstate.census.client.<state> with the client namespace's sockets,
tcpstate.census.server.<state> with the server's (LISTEN sockets aside).

KNOWN lists the disagreements understood and still open, one per line:
    SCENARIO FRAME client|server STATE PLUGIN SS  reason...
An unlisted disagreement fails; a listed one that no longer occurs is
reported (the list should shrink with the fix), without failing.
"""
import os
import re
import subprocess
import sys

STATES = ["SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING",
          "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK"]
SS = {"SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RCVD", "ESTAB": "ESTABLISHED",
      "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2", "CLOSING": "CLOSING",
      "TIME-WAIT": "TIME_WAIT", "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK"}
SIDES = ("client", "server")


def checkpoints(log):
    """[(frame, {side: {state: count}})] from a make_corpus.py log."""
    out, cur, side = [], None, None
    for line in open(log):
        m = re.search(r"CHECK\s+checkpoint .* -> truth: frame (\d+) ", line)
        if m:
            cur = (int(m.group(1)), {s: dict.fromkeys(STATES, 0) for s in SIDES})
            out.append(cur)
            side = None
            continue
        if cur is None:
            continue
        m = re.match(r"\s+ss (client|server) ns:", line)
        if m:
            side = m.group(1)
            continue
        if side and line.startswith("      "):
            word = line.split()[0]
            if word in SS:
                cur[1][side][SS[word]] += 1
            elif word not in ("LISTEN", "(no"):
                sys.exit("%s: unknown ss state %r" % (log, word))
        elif not line.startswith("    "):
            cur, side = None, None
    return out


def census(wrapper, plugin, capture, frames):
    fields = ["frame.number"] + ["tcpstate.census.%s.%s" % (side, s.lower())
                                 for side in SIDES for s in STATES]
    cmd = [wrapper, plugin, "-2", "-o", "tcpstate.census_in_tree:TRUE", "-r", capture,
           "-Y", "frame.number in {%s}" % ", ".join(str(f) for f in frames),
           "-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("tshark failed on %s: %s" % (capture, res.stderr))
    got = {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        vals = [int(x) if x else None for x in cols[1:]]
        got[int(cols[0])] = {side: dict(zip(STATES, vals[i * len(STATES):(i + 1) * len(STATES)]))
                             for i, side in enumerate(SIDES)}
    return got


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    wrapper, plugin, capdir, logdir, known_path = sys.argv[1:6]
    known = {}
    for line in open(known_path):
        f = line.split(None, 6)
        if f and not f[0].startswith("#"):
            known[tuple(f[:6])] = f[6].strip() if len(f) > 6 else ""
    seen, problems, compared = set(), [], 0
    for name in sys.argv[6:]:
        cps = checkpoints(os.path.join(logdir, name + ".log"))
        if not cps:
            problems.append("%s: no checkpoint in the log" % name)
            continue
        got = census(wrapper, plugin, os.path.join(capdir, name + ".pcapng"), [f for f, _ in cps])
        for frame, ss in cps:
            for side in SIDES:
                for s in STATES:
                    plugin_n = got.get(frame, {}).get(side, {}).get(s)
                    compared += 1
                    if plugin_n == ss[side][s]:
                        continue
                    key = (name, str(frame), side, s, str(plugin_n), str(ss[side][s]))
                    if key in known:
                        seen.add(key)
                    else:
                        problems.append("%s frame %d: %s %s: census %s, ss %d" %
                                        (name, frame, side, s, plugin_n, ss[side][s]))
    for key in sorted(set(known) - seen):
        if key[0] in sys.argv[6:]:
            print("note: no longer disagrees, remove it from %s: %s" % (known_path, " ".join(key)))
    for key in sorted(seen):
        print("known: %s  (%s)" % (" ".join(key), known[key]))
    for p in problems:
        print("FAIL", p)
    if problems:
        return 1
    print("ok: %d counts at the checkpoints of %s agree with ss, %d known disagreements" %
          (compared - len(seen), ", ".join(sys.argv[6:]), len(seen)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
