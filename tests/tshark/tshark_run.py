# SPDX-License-Identifier: GPL-2.0-or-later
"""One tshark run that answers many questions: the batching helper of the
tshark tests (see tests/README.md).

A tshark start costs about 0.3 s of CPU, far more than dissecting one of the
bundled captures, so the tests ask everything they can of each run:

    run = tshark(wrapper, plugin, capture, FIELDS, extra=["-2"],
                 filters=["tcpstate.changed", "!tcpstate"])
    run.rows       {frame number: [value of each field]} (-T fields, all occurrences)
    run.experts    {frame number: sorted tcpstate.analysis.* names, prefix removed}
    run.matches    [set of frame numbers passing filter i]
    run.errors     {i: compiler message} for filters that do not compile

Experts and filters come from tests/tshark/probe.lua, loaded into the same
run; it costs nothing when not asked for (probe=False and no filters).
Python standard library only.
"""
import os
import subprocess
from collections import namedtuple

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe.lua")
EXPERT_PREFIX = "tcpstate.analysis."

Run = namedtuple("Run", "rows experts matches errors")


class TsharkError(SystemExit):
    pass


def boolean(v):
    """A boolean field as tshark -T fields prints it, the same on every
    version: 1/0 on 4.0, True/False on 4.2 and later -> "1"/"0" ("" when
    absent). Every test that reads a boolean field reads it through this."""
    return {"1": "1", "True": "1", "0": "0", "False": "0", "": ""}[v]


def tshark(wrapper, plugin, capture, fields, extra=(), filters=None, probe=False):
    """Run tshark once over capture with -T fields and return a Run.
    fields: field names, the first one keys the rows (normally
    frame.number). extra: more tshark options (-2, -R ..., -o ...).
    filters: display filters to evaluate on every frame (implies probe).
    probe: also report the expert items of every frame."""
    filters = list(filters or [])
    cmd = [wrapper, plugin] + list(extra)
    if probe or filters:
        cmd += ["-X", "lua_script:" + PROBE]
        for f in filters:
            cmd += ["-X", "lua_script1:" + f]
    cmd += ["-r", capture, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise TsharkError("tshark failed (%s) on %s: %s" % (" ".join(extra), capture, res.stderr))
    rows = {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows[cols[0]] = cols
    experts, matches, errors, probed = {}, [set() for _ in filters], {}, False
    for line in res.stderr.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "@X":
            frame, name = rest.split(" ", 1)
            experts.setdefault(frame, []).append(name[len(EXPERT_PREFIX):])
        elif tag == "@F":
            i, frame = rest.split(" ", 1)
            matches[int(i) - 1].add(frame)
        elif tag == "@E":
            i, msg = rest.split(" ", 1)
            errors[int(i) - 1] = msg
        elif tag == "@P":
            probed = True
    if (probe or filters) and not probed:
        raise TsharkError("probe.lua did not run (tshark without Lua?): %s" % res.stderr)
    for names in experts.values():
        names.sort()
    return Run(rows, experts, matches, errors)
