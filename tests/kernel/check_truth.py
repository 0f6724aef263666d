#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare the tcpstate plugin with the Linux kernel's own TCP states.

    tests/kernel/check_truth.py --plugin build/plugin/tcpstate.so \
        --tshark-wrapper tests/tshark-plugin.sh \
        --captures captures/kernel --truth tests/kernel/truth [SCENARIO ...]

For every tests/kernel/truth/<scenario>.truth the capture
captures/kernel/<scenario>.pcapng is dissected twice through the wrapper
(single pass and `-2`: two tshark runs), printing frame.number,
tcpstate.client, tcpstate.server, tcpstate.lost and the live view
(tcpstate.live.*).  The truth's client is the endpoint in the client
namespace; where the plugin calls the other endpoint client (it takes the
sender of the first SYN, the server in a simultaneous open captured on the
server's side), the two columns are swapped before comparing.  The live view under -2 must equal what the single pass
shows on every frame (docs/semantics.md: hindsight may differ).  At every
checkpoint of the truth file the plugin's states are compared with the
kernel's:

  agreed      plugin == kernel
  disagreed   plugin != kernel (listed with frame, expected, got)
  explained   the truth line is marked `!`: the kernel state cannot be known
              from the wire at that frame; the explanation, what the plugin
              said and (if the plugin has it) tcpstate.lost from the
              two-pass run are printed, but nothing is counted against it.

Exit status: 0 all good, 1 a disagreement or the two passes differ,
2 usage or environment problem.  Needs no root.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_quiet import corpus_args, corpus_paths  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tcpstate_states import STATES  # noqa: E402

BY_NUMBER = {str(i): s for i, s in enumerate(STATES)}
# tolerate value strings too, in whatever spelling the plugin chose
BY_NAME = {s.replace("_", "").replace("-", "").replace(" ", "").upper(): s for s in STATES}
BY_NAME["SYNRECEIVED"] = "SYN_RCVD"
BY_NAME["SYNRECV"] = "SYN_RCVD"


def state_name(v):
    v = v.strip()
    if v == "":
        return "-"
    v = v.split(",")[0]          # several occurrences: take the first
    if v in BY_NUMBER:
        return BY_NUMBER[v]
    key = v.replace("_", "").replace("-", "").replace(" ", "").upper()
    return BY_NAME.get(key, v)


class TruthError(Exception):
    pass


def parse_truth(path):
    header, lines = "", []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("# scenario:"):
                header = line[len("# scenario:"):].strip()
            continue
        parts = line.split(None, 3)
        if len(parts) < 3 or not parts[0].isdigit():
            raise TruthError("%s:%d: malformed line: %r" % (path, n, raw))
        frame, client, server = int(parts[0]), parts[1], parts[2]
        for s in (client, server):
            if s not in STATES:
                raise TruthError("%s:%d: unknown state %r" % (path, n, s))
        note = parts[3] if len(parts) > 3 else ""
        lines.append(dict(frame=frame, client=client, server=server, note=note,
                          unknowable=note.startswith("!"), lineno=n,
                          lost=[int(x) for x in re.findall(r"\{lost:(\d+)\}", note)]))
    return header, lines


# Both passes print the same fields, so one run of each answers every check.
# The last three tell which endpoint the plugin calls the client.
FIELDS = ["frame.number", "tcpstate.client", "tcpstate.server", "tcpstate.lost",
          "tcpstate.live.client", "tcpstate.live.server",
          "tcpstate.from_client", "ip.src", "ipv6.src"]
# the truth's client is the endpoint in the client namespace (make_corpus.py)
SERVER_NS_ADDRS = {"10.200.0.2", "fd00:200::2"}


def plugin_client_is_server_ns(row):
    """True if the plugin's client is the truth's server: it calls client the
    sender of the first SYN it saw, and in a simultaneous open captured on
    the server's side that is the server's SYN"""
    from_client = row[5] in ("1", "True")
    src = row[6] or row[7]
    return from_client == (src in SERVER_NS_ADDRS)


def run_tshark(wrapper, plugin, capture, fields, two_pass):
    cmd = [wrapper, plugin]
    if two_pass:
        cmd.append("-2")
    cmd += ["-r", str(capture), "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stderr))
    rows = {}
    for line in r.stdout.splitlines():
        v = line.split("\t")
        v += [""] * (len(fields) - len(v))
        if v[0].isdigit():
            rows[int(v[0])] = v[1:]
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_args(ap, logs=False)
    ap.add_argument("--truth", required=True, help="folder with <scenario>.truth")
    ap.add_argument("scenarios", nargs="*", help="only these scenarios (default: every truth file)")
    args = ap.parse_args()

    paths = corpus_paths(args, "check_truth")
    if not paths:
        return 2
    plugin, wrapper, capdir, _ = paths
    truthdir = Path(args.truth)
    truths = sorted(truthdir.glob("*.truth"))
    if args.scenarios:
        truths = [truthdir / (s + ".truth") for s in args.scenarios]
    if not truths:
        print("check_truth: no truth files in %s" % truthdir, file=sys.stderr)
        return 2

    total = dict(checked=0, agreed=0, explained=0, disagreed=0, lost_marked=0)
    failed = False
    for tpath in truths:
        name = tpath.stem
        cap = capdir / (name + ".pcapng")
        try:
            header, lines = parse_truth(tpath)
        except (OSError, TruthError) as e:
            print("check_truth: %s" % e, file=sys.stderr)
            return 2
        if not cap.exists():
            print("check_truth: missing capture %s" % cap, file=sys.stderr)
            return 2
        try:
            one = run_tshark(wrapper, plugin, cap, FIELDS, False)
            two = run_tshark(wrapper, plugin, cap, FIELDS, True)
        except RuntimeError as e:
            print("check_truth: %s" % e, file=sys.stderr)
            return 2

        print("== %s: %s" % (name, header))
        # the live view under -2 is what the single pass shows
        diff = [n for n in sorted(set(one) | set(two))
                if one.get(n, ["?", "?"])[:2] != two.get(n, ["?"] * 5)[3:5]]
        if diff:
            failed = True
            print("  PASSES DIFFER on %d frame(s):" % len(diff))
            for n in diff[:10]:
                a = one.get(n, ["?", "?"])
                b = two.get(n, ["?"] * 5)
                print("    frame %d: single pass %s %s, live view under -2 %s %s" %
                      (n, state_name(a[0]), state_name(a[1]), state_name(b[3]), state_name(b[4])))
        c = dict(checked=0, agreed=0, explained=0, disagreed=0)
        for t in lines:
            c["checked"] += 1
            row = one.get(t["frame"])
            if row is None:
                got = ("(no such frame)", "")
            else:
                got = (state_name(row[0]), state_name(row[1]))
                if plugin_client_is_server_ns(row):
                    got = got[::-1]
            exp = (t["client"], t["server"])
            if t["unknowable"]:
                c["explained"] += 1
                r2 = two.get(t["frame"])
                unc = "; tcpstate.lost(-2)=%s" % (r2[2] if r2 and r2[2] != "" else "absent")
                print("  explained  frame %d: kernel %s %s, plugin %s %s%s\n             %s" %
                      (t["frame"], exp[0], exp[1], got[0], got[1], unc, t["note"]))
            elif got == exp:
                c["agreed"] += 1
            else:
                c["disagreed"] += 1
                print("  DISAGREED  frame %d: expected %s %s, got %s %s%s" %
                      (t["frame"], exp[0], exp[1], got[0], got[1],
                       ("  (" + t["note"] + ")") if t["note"] else ""))
        # tcpstate.lost (two passes) must mark exactly the frames that the
        # truth says later segments show were never received: {lost:N}
        want_lost = sorted(set(n for t in lines for n in t["lost"]))
        got_lost = sorted(n for n, r in two.items() if r[2] in ("1", "True"))
        c["lost_marked"] = len(want_lost)
        if want_lost != got_lost:
            failed = True
            print("  LOST MARKS DIFFER: truth {lost:} %s, plugin tcpstate.lost (-2) on %s" %
                  (want_lost, got_lost))
        print("  checkpoints: %(checked)d checked, %(agreed)d agreed, %(explained)d explained, "
              "%(disagreed)d disagreed" % c)
        for k in total:
            total[k] += c.get(k, 0)
    print("== overall")
    print("checkpoints: %(checked)d checked, %(agreed)d agreed, %(explained)d explained, "
          "%(disagreed)d disagreed" % total)
    print("lost segments the plugin must mark under -2: %(lost_marked)d" % total)
    if failed:
        print("single-pass and two-pass output differ (see above)")
    return 1 if failed or total["disagreed"] else 0


if __name__ == "__main__":
    sys.exit(main())
