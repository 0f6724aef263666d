#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run tshark with the plugin over one capture and compare every tcpstate
field and every tcpstate expert info on every frame with the hand-written
expectations, in one pass, in two passes (-2) and in two passes with a read
filter (-2 -R); and check that each display filter of FILTERS selects
exactly the frames it should, in one pass and in two.

usage: check_capture.py [--misspelt] WRAPPER PLUGIN.so CAPTURE EXPECTED.tsv
       check_capture.py --dump WRAPPER PLUGIN.so CAPTURE

Four tshark runs in all (see tshark_run.py): the filters and the expert
infos ride along the one-pass and two-pass runs. --misspelt adds three runs
that check `tshark -Y` refuses misspelt state names (the same for every
capture, so one test asks). WRAPPER is tests/tshark-plugin.sh. Exits
non-zero on any difference and prints each one. Python standard library only.
"""
import os
import subprocess
import sys

from tshark_run import boolean, tshark

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tcpstate_states import STATES  # noqa: E402

PHASES = ["HANDSHAKE", "DATA_TRANSFER", "TEARDOWN", "CLOSED", "RESET"]
FIELDS = ["frame.number", "tcpstate.summary", "tcpstate.client", "tcpstate.server",
          "tcpstate.client.prev", "tcpstate.server.prev", "tcpstate.sender",
          "tcpstate.receiver", "tcpstate.from_client", "tcpstate.phase",
          "tcpstate.handshake.step", "tcpstate.teardown.step", "tcpstate.changed",
          "tcpstate.midstream", "tcpstate.lost", "tcpstate.conn_state", "tcpstate.history",
          "tcpstate.closer", "tcpstate.final.conn_state", "tcpstate.final.history",
          "tcpstate.final.client", "tcpstate.final.server", "tcpstate.live.client",
          "tcpstate.live.server", "tcpstate.revised"]
CLOSERS = {"-": "", "CLIENT": "1", "SERVER": "2"}


def parse_summary(summary):
    """'C:A>B S:C' -> (client prev, client, server prev, server) names."""
    out = []
    for part in summary.split():
        names = part[2:].split(">")
        out.append((names[0], names[-1]))
    (cp, c), (sp, s) = out
    return cp, c, sp, s


def expected_row(frame, from_client, spec, two_pass, zeek="-", final=None, live=None):
    """The exact field values that frame must print. zeek: 'CODE HISTORY
    CLOSER CONN'; final: (code, history, client, server) of its connection,
    printed only in two passes. live: the frame's one-pass expectation when
    hindsight revises it (docs/semantics.md); spec is then the hindsight one,
    printed with -2, and the frame is tcpstate.revised there."""
    if spec == "none":
        return [frame] + [""] * (len(FIELDS) - 1)
    _, lc, _, ls = parse_summary(" ".join((live or spec).split()[:2]))
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
            "1" if ("lost" in opts and two_pass) else ""] + zeek_columns(zeek, two_pass, final) + \
        [num(lc), num(ls), "1" if (live and two_pass) else ""]


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
    """Connection number -> its values at the end of the capture, as the
    connection analysis recorded them: the live view after its last frame,
    except that the end-of-capture revision (a SYN nothing answered: the
    server stayed in LISTEN, docs/semantics.md) sets the final states too:
    on a last frame that one pass shows S:SYN_RCVD and hindsight S:LISTEN.
    A connection that ended after its last frame (a new SYN ended its
    TIME_WAIT; hindsight: the server gave up its handshake, the client
    never took the SYN/ACK) says so with a fifth word in the zeek column:
    final=CLIENT,SERVER."""
    out = {}
    for frame, from_client, spec, zeek, live in expected:
        if spec == "none" or zeek == "-":
            continue
        code, history, _, conn = zeek.split()[:4]
        _, c, _, s = parse_summary(" ".join((live or spec).split()[:2]))
        _, hc, _, hs = parse_summary(" ".join(spec.split()[:2]))
        if live and s == "SYN_RCVD" and hs == "LISTEN":
            c, s = hc, hs
        for word in zeek.split()[4:]:
            if word.startswith("final="):
                c, s = word[len("final="):].split(",")
        out[conn] = (code, history, c, s)
    return out


OPTIONS = []   # per-capture tshark options, from the expectations' header
EXPERTS_IGNORED = "transition."   # transition.<state>, one per state change: checked through the states
BOOLEANS = {"tcpstate.from_client", "tcpstate.changed", "tcpstate.midstream", "tcpstate.lost",
            "tcpstate.revised"}
# Each frame is compared as one row: the FIELDS, then the expert infos.
COLUMNS = FIELDS + ["experts"]


def checked_experts(names):
    return [n for n in names if not n.startswith(EXPERTS_IGNORED)]


def run(wrapper, plugin, capture, extra, filters=()):
    """One tshark run -> ({frame: row as in COLUMNS}, the Run)."""
    res = tshark(wrapper, plugin, capture, FIELDS, OPTIONS + extra, filters, probe=True)
    rows = {}
    for frame, cols in res.rows.items():
        cols = [boolean(v) if name in BOOLEANS else v for name, v in zip(FIELDS, cols)]
        rows[frame] = cols + [",".join(checked_experts(res.experts.get(frame, [])))]
    return rows, res


# Display filters checked on every capture: each with the rows it must select.
IDX = dict((name, i) for i, name in enumerate(COLUMNS))
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
REJECTED = "cannot be found among the possible values"


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
            for name, w, h in zip(COLUMNS, want, have or [""] * len(COLUMNS)):
                if w != h:
                    print("    %-24s want %-14r got %r" % (name, w, h))
    if len(got) != len(expected_rows):
        failures += 1
        print("%s: %d frames printed, %d expected" % (label, len(got), len(expected_rows)))
    return failures


def check_filters(label, expected_rows, res):
    """Each filter of FILTERS selected exactly the frames its predicate
    picks from the expected rows; each misspelt one failed to compile."""
    failures = 0
    for i, (flt, pred) in enumerate(FILTERS):
        want = sorted((r[0] for r in expected_rows if pred(r)), key=int)
        got = sorted(res.matches[i], key=int)
        if i in res.errors or got != want:
            failures += 1
            print("%s: filter %r selects %s, want %s %s" %
                  (label, flt, got, want, res.errors.get(i, "")))
    for i, flt in enumerate(MISSPELLED, len(FILTERS)):
        if REJECTED not in res.errors.get(i, ""):
            failures += 1
            print("%s: misspelt filter %r compiled (%r)" % (label, flt, res.errors.get(i)))
    return failures


def expected_experts(spec, two_pass):
    if spec == "none":
        return ""
    opts = dict((w.split("=") + [""])[:2] for w in spec.split()[3:])
    names = [n for n in opts.get("ex", "").split(",") if n]
    if two_pass:
        names += [n for n in opts.get("ex2", "").split(",") if n]
    return ",".join(sorted(names))


def misspelt(wrapper, plugin, capture):
    """tshark -Y must refuse a misspelt state name, with the reason."""
    failures = 0
    for flt in MISSPELLED:
        res = subprocess.run([wrapper, plugin] + OPTIONS + ["-r", capture, "-Y", flt],
                             capture_output=True, text=True)
        if res.returncode == 0 or REJECTED not in res.stderr:
            failures += 1
            print("misspelled filter %r was not rejected: rc=%d %s" %
                  (flt, res.returncode, res.stderr.strip()))
    return failures


def dump(wrapper, plugin, capture):
    """Print the plugin's expert infos per frame, to help write expectations."""
    one = tshark(wrapper, plugin, capture, ["frame.number"], probe=True)
    two = tshark(wrapper, plugin, capture, ["frame.number"], ["-2"], probe=True)
    for frame in sorted(two.rows, key=int):
        first = checked_experts(one.experts.get(frame, []))
        both = checked_experts(two.experts.get(frame, []))
        extra = sorted(set(both) - set(first))
        print(frame, "ex=" + ",".join(first), "ex2=" + ",".join(extra))


def main():
    args = sys.argv[1:]
    if args and args[0] == "--dump":
        dump(*args[1:4])
        return
    with_misspelt = "--misspelt" in args
    args = [a for a in args if a != "--misspelt"]
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
            # frame, from_client, spec, zeek, and on a frame that hindsight
            # revises, what one pass shows (the live view)
            expected.append(tuple((cols + ["-"])[:4] + (cols[4:5] or [""])))
    OPTIONS[:] = options
    fin = finals(expected)
    conn_of = lambda z: z.split()[3] if z != "-" else None
    one = [expected_row(fr, fc, live or spec, False, z, None, live or None) +
           [expected_experts(live or spec, False)]
           for fr, fc, spec, z, live in expected]
    two = [expected_row(fr, fc, spec, True, z, fin.get(conn_of(z)), live or None) +
           [expected_experts(spec, True)]
           for fr, fc, spec, z, live in expected]
    annotated = [r for r in two if r[1] != ""]
    # -R filters in the first pass, on what that pass shows
    in_close_wait = [t for o, t in zip(one, two) if o[IDX["tcpstate.server"]] == "9"]

    # label, tshark options, expected rows, renumbered by -R, filters checked
    checks = [("one pass", [], one, False, True),
              ("two passes", ["-2"], two, False, True),
              ("two passes, -R tcpstate", ["-2", "-R", "tcpstate"], annotated, True, False),
              ("two passes, -R server CLOSE_WAIT",
               ["-2", "-R", "tcpstate.server == CLOSE_WAIT"], in_close_wait, True, False)]
    failures = 0
    runs = 0
    for label, extra, rows, renumbered, filtered in checks:
        filters = [f for f, _ in FILTERS] + MISSPELLED if filtered else []
        got, res = run(wrapper, plugin, capture, extra, filters)
        runs += 1
        failures += compare(label, rows, got, renumbered)
        if filtered:
            failures += check_filters(label, rows, res)
    if with_misspelt:
        failures += misspelt(wrapper, plugin, capture)
        runs += len(MISSPELLED)
    print("%s: %d frames, %d filters, %d tshark runs, %d differences" %
          (capture.rsplit("/", 1)[-1], len(expected), len(FILTERS), runs, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
