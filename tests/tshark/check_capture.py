#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run tshark with the plugin over one capture and compare every tcpstate
field on every frame with the hand-written expectations, in one pass, in
two passes (-2) and in two passes with a read filter (-2 -R).

usage: check_capture.py WRAPPER PLUGIN.so CAPTURE EXPECTED.tsv

WRAPPER is tests/tshark-plugin.sh. Exits non-zero on any difference and
prints each one. Python standard library only.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET

STATES = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
          "FIN_WAIT_2", "CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK"]
PHASES = ["HANDSHAKE", "DATA_TRANSFER", "TEARDOWN", "CLOSED", "RESET"]
FIELDS = ["frame.number", "tcpstate.summary", "tcpstate.client", "tcpstate.server",
          "tcpstate.client.prev", "tcpstate.server.prev", "tcpstate.sender",
          "tcpstate.receiver", "tcpstate.from_client", "tcpstate.phase",
          "tcpstate.handshake.step", "tcpstate.teardown.step", "tcpstate.changed",
          "tcpstate.midstream", "tcpstate.lost", "tcpstate.conn_state", "tcpstate.history",
          "tcpstate.closer", "tcpstate.final.conn_state", "tcpstate.final.history",
          "tcpstate.final.client", "tcpstate.final.server"]
CLOSERS = {"-": "", "CLIENT": "1", "SERVER": "2"}


def boolean(v):
    """tshark prints booleans as 1/0 (4.0) or True/False (4.2+)."""
    return {"1": "1", "True": "1", "0": "0", "False": "0", "": ""}[v]


def parse_summary(summary):
    """'C:A>B S:C' -> (client prev, client, server prev, server) names."""
    out = []
    for part in summary.split():
        names = part[2:].split(">")
        out.append((names[0], names[-1]))
    (cp, c), (sp, s) = out
    return cp, c, sp, s


def expected_row(frame, from_client, spec, two_pass, zeek="-", final=None):
    """The exact field values that frame must print. zeek: 'CODE HISTORY
    CLOSER CONN'; final: (code, history, client, server) of its connection,
    printed only in two passes."""
    if spec == "none":
        return [frame] + [""] * (len(FIELDS) - 1)
    words = spec.split()
    summary = " ".join(words[:2])
    phase = words[2]
    opts = dict((w.split("=") + [""])[:2] for w in words[3:])
    cp, c, sp, s = parse_summary(summary)
    num = lambda name: str(STATES.index(name))
    fc = from_client == "1"
    sender, receiver = (c, s) if fc else (s, c)
    return [frame, summary, num(c), num(s), num(cp), num(sp), num(sender), num(receiver),
            "1" if fc else "0", str(PHASES.index(phase)), opts.get("hs", ""),
            opts.get("td", ""), "1" if (cp != c or sp != s) else "",
            "1" if "mid" in opts else "",
            "1" if ("lost" in opts and two_pass) else ""] + zeek_columns(zeek, two_pass, final)


def zeek_columns(zeek, two_pass, final):
    if zeek == "-":
        return [""] * 7
    code, history, closer = zeek.split()[:3]
    cols = [code, history, CLOSERS[closer]]
    if two_pass and final:
        cols += [final[0], final[1], str(STATES.index(final[2])), str(STATES.index(final[3]))]
    else:
        cols += [""] * 4
    return cols


def finals(expected):
    """Connection number -> its values after its last frame."""
    out = {}
    for frame, from_client, spec, zeek in expected:
        if spec == "none" or zeek == "-":
            continue
        code, history, _, conn = zeek.split()
        _, c, _, s = parse_summary(" ".join(spec.split()[:2]))
        out[conn] = (code, history, c, s)
    return out


OPTIONS = []   # per-capture tshark options, from the expectations' header


def run(wrapper, plugin, capture, extra):
    cmd = [wrapper, plugin] + OPTIONS + extra + ["-r", capture, "-T", "fields",
                                       "-E", "separator=/t", "-E", "occurrence=a",
                                       "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit("tshark failed (%s): %s" % (" ".join(extra), res.stderr))
    rows = {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        for i, name in enumerate(FIELDS):
            if name in ("tcpstate.from_client", "tcpstate.changed", "tcpstate.midstream",
                        "tcpstate.lost"):
                cols[i] = boolean(cols[i])
        rows[cols[0]] = cols
    return rows


# Display filters checked with --filters: each with the rows it must select.
IDX = dict((name, i) for i, name in enumerate(FIELDS))
FILTERS = [
    ("tcpstate.server == CLOSE_WAIT", lambda r: r[IDX["tcpstate.server"]] == "9"),
    ("tcpstate.client == TIME_WAIT", lambda r: r[IDX["tcpstate.client"]] == "8"),
    ("tcpstate.server.prev == LAST_ACK && tcpstate.server == CLOSED",
     lambda r: r[IDX["tcpstate.server.prev"]] == "10" and r[IDX["tcpstate.server"]] == "0"),
    ("tcpstate.sender == FIN_WAIT_1", lambda r: r[IDX["tcpstate.sender"]] == "5"),
    ("tcpstate.receiver == close_wait", lambda r: r[IDX["tcpstate.receiver"]] == "9"),
    ("tcpstate.changed", lambda r: r[IDX["tcpstate.changed"]] == "1"),
    ("tcpstate.phase == TEARDOWN", lambda r: r[IDX["tcpstate.phase"]] == "2"),
    ("tcpstate.handshake.step == 3", lambda r: r[IDX["tcpstate.handshake.step"]] == "3"),
    ("tcpstate.teardown.step == 2",
     lambda r: "2" in r[IDX["tcpstate.teardown.step"]].split(",")),
    ("tcpstate.teardown.step == 2 && tcpstate.teardown.step == 3",
     lambda r: set(["2", "3"]) <= set(r[IDX["tcpstate.teardown.step"]].split(","))),
    ("tcpstate.from_client == 1 && tcpstate.changed",
     lambda r: r[IDX["tcpstate.from_client"]] == "1" and r[IDX["tcpstate.changed"]] == "1"),
    ("tcpstate.from_client == False", lambda r: r[IDX["tcpstate.from_client"]] == "0"),
    ("tcpstate.midstream", lambda r: r[IDX["tcpstate.midstream"]] == "1"),
    ("tcpstate.lost", lambda r: r[IDX["tcpstate.lost"]] == "1"),
    ("!tcpstate", lambda r: r[IDX["tcpstate.summary"]] == ""),
]
MISSPELLED = ["tcpstate.server == CLOSE_WAT", "tcpstate.client == ESTABLISH",
              "tcpstate.phase == TEARDWON"]


def compare(label, expected_rows, got, renumbered):
    """Rows must match exactly; under a read filter tshark renumbers the
    frames that pass, so only their order is compared then."""
    failures = 0
    if renumbered:
        pairs = zip(expected_rows, [got[k] for k in sorted(got, key=int)])
    else:
        pairs = [(w, got.get(w[0])) for w in expected_rows]
    for want, have in pairs:
        if have is not None and renumbered:
            want = [have[0]] + want[1:]
        if have != want:
            failures += 1
            print("%s: frame %s" % (label, want[0]))
            for name, w, h in zip(FIELDS, want, have or [""] * len(FIELDS)):
                if w != h:
                    print("    %-24s want %-14r got %r" % (name, w, h))
    if len(got) != len(expected_rows):
        failures += 1
        print("%s: %d frames printed, %d expected" % (label, len(got), len(expected_rows)))
    return failures


EXPERT_PREFIX = "tcpstate.analysis."
EXPERTS_IGNORED = "transition."   # transition.<state>, one per state change: checked through the states


def experts(wrapper, plugin, capture, extra):
    """frame number -> sorted expert names (without the prefix), from PDML."""
    cmd = [wrapper, plugin] + OPTIONS + extra + ["-r", capture, "-T", "pdml"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit("tshark failed (%s): %s" % (" ".join(extra), res.stderr))
    out = {}
    for packet in ET.fromstring(res.stdout).iter("packet"):
        num = None
        names = []
        for field in packet.iter("field"):
            name = field.get("name", "")
            if name == "frame.number":
                num = field.get("show")
            elif name.startswith(EXPERT_PREFIX):
                short = name[len(EXPERT_PREFIX):]
                if not short.startswith(EXPERTS_IGNORED):
                    names.append(short)
        out[num] = sorted(names)
    return out


def expected_experts(spec, two_pass):
    if spec == "none":
        return []
    opts = dict((w.split("=") + [""])[:2] for w in spec.split()[3:])
    names = [n for n in opts.get("ex", "").split(",") if n]
    if two_pass:
        names += [n for n in opts.get("ex2", "").split(",") if n]
    return sorted(names)


def check_experts(wrapper, plugin, capture, expected):
    failures = 0
    for label, extra, two_pass in (("one pass", [], False), ("two passes", ["-2"], True)):
        got = experts(wrapper, plugin, capture, extra)
        for frame, _, spec, _ in expected:
            want = expected_experts(spec, two_pass)
            if got.get(frame, []) != want:
                failures += 1
                print("%s: frame %s experts: want %s, got %s" %
                      (label, frame, ",".join(want) or "-", ",".join(got.get(frame, [])) or "-"))
    return failures


def main():
    args = sys.argv[1:]
    if args and args[0] == "--dump":
        # Print the plugin's expert infos per frame, to help write expectations.
        wrapper, plugin, capture = args[1:4]
        one = experts(wrapper, plugin, capture, [])
        two = experts(wrapper, plugin, capture, ["-2"])
        for frame in sorted(two, key=int):
            extra = sorted(set(two[frame]) - set(one.get(frame, [])))
            print(frame, "ex=" + ",".join(one.get(frame, [])), "ex2=" + ",".join(extra))
        return
    with_filters = "--filters" in args
    args = [a for a in args if a != "--filters"]
    wrapper, plugin, capture, expected_path = args[:4]
    expected = []
    options = []
    with open(expected_path) as f:
        for line in f:
            if line.startswith("# options:"):
                options = line.split(":", 1)[1].split()
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            expected.append((cols + ["-"])[:4])
    OPTIONS[:] = options
    fin = finals(expected)
    conn_of = lambda z: z.split()[3] if z != "-" else None
    one = [expected_row(fr, fc, spec, False, z) for fr, fc, spec, z in expected]
    two = [expected_row(fr, fc, spec, True, z, fin.get(conn_of(z))) for fr, fc, spec, z in expected]
    annotated = [r for r in two if r[1] != ""]
    in_close_wait = [r for r in two if r[IDX["tcpstate.server"]] == "9"]

    checks = [("one pass", [], one, False),
              ("two passes", ["-2"], two, False),
              ("two passes, -R tcpstate", ["-2", "-R", "tcpstate"], annotated, True),
              ("two passes, -R server CLOSE_WAIT",
               ["-2", "-R", "tcpstate.server == CLOSE_WAIT"], in_close_wait, True)]
    failures = 0
    runs = 0
    for label, extra, rows, renumbered in checks:
        failures += compare(label, rows, run(wrapper, plugin, capture, extra), renumbered)
        runs += 1
    failures += check_experts(wrapper, plugin, capture, expected)
    runs += 2
    if with_filters:
        for flt, pred in FILTERS:
            for passes in ([], ["-2"]):
                want = [r for r in (two if passes else one) if pred(r)]
                got = run(wrapper, plugin, capture, passes + ["-Y", flt])
                failures += compare("-Y %r %s" % (flt, " ".join(passes)), want, got, False)
                runs += 1
        for flt in MISSPELLED:
            res = subprocess.run([wrapper, plugin] + OPTIONS + ["-r", capture, "-Y", flt],
                                 capture_output=True, text=True)
            runs += 1
            if res.returncode == 0 or "cannot be found among the possible values" not in res.stderr:
                failures += 1
                print("misspelled filter %r was not rejected: rc=%d %s" %
                      (flt, res.returncode, res.stderr.strip()))
    print("%s: %d frames, %d tshark runs, %d differences" %
          (capture.rsplit("/", 1)[-1], len(expected), runs, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
