#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check that every edge of docs/course/tcp-states.svg is shown by the frame it names.

Each edge is a <g class="edge ..."> with data-from and data-to, and either
data-end (client or server), data-capture and data-frame, or data-why (a
transition no segment can show, such as a local call). For each capture one
two-pass tshark run gives both endpoints' states before and after every frame;
an edge holds if on its frame that endpoint goes from data-from to data-to,
either on the frame itself or since the previous frame of the same TCP stream
(a timer, such as the end of TIME_WAIT, acts between frames).

The Chinese diagram (tcp-states.zh-CN.svg, made by docs/course/make_zh_diagram.py)
must carry the same edges with the same keys, and is checked the same way.

usage: check_diagram.py WRAPPER PLUGIN.so REPO_ROOT [SVG...]
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tcpstate_states import STATES  # noqa: E402

FIELDS = ["frame.number", "tcp.stream", "tcpstate.client.prev", "tcpstate.client",
          "tcpstate.server.prev", "tcpstate.server"]


def state(v):
    return STATES[int(v)] if v.isdigit() else v


def frames(wrapper, plugin, capture):
    """frame -> {'stream', 'client': (before, after), 'server': (before, after), 'last': ...}"""
    cmd = [wrapper, plugin, "-2", "-r", capture, "-T", "fields"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True,
                         env=dict(os.environ, LC_ALL="C.UTF-8")).stdout.decode()
    rows, last = {}, {}
    for line in out.splitlines():
        num, stream, cp, c, sp, s = (line.split("\t") + [""] * 6)[:6]
        if not c:
            continue
        row = {"client": (state(cp), state(c)), "server": (state(sp), state(s)),
               "last": last.get(stream)}
        rows[int(num)] = row
        last[stream] = {"client": state(c), "server": state(s)}
    return rows


def edge_keys(g):
    return tuple(sorted((k, v) for k, v in g.attrib.items() if k.startswith("data-") or k == "class"))


def check(svg, wrapper, plugin, root, cache):
    edges = [g for g in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}g")
             if "edge" in g.get("class", "").split()]
    bad, checked, local = 0, 0, 0
    print(f"== {os.path.relpath(svg, root)}")
    for g in edges:
        frm, to = g.get("data-from"), g.get("data-to")
        label = f"{frm} -> {to}"
        if frm not in STATES or to not in STATES:
            print(f"FAIL {label}: unknown state")
            bad += 1
            continue
        if g.get("data-why"):
            local += 1
            print(f"ok   {label}: not on the wire ({g.get('data-why')})")
            continue
        end, cap, num = g.get("data-end"), g.get("data-capture"), g.get("data-frame")
        if end not in ("client", "server") or not cap or not (num or "").isdigit():
            print(f"FAIL {label}: needs data-end, data-capture and data-frame, or data-why")
            bad += 1
            continue
        if cap not in cache:
            cache[cap] = frames(wrapper, plugin, os.path.join(root, cap))
        row = cache[cap].get(int(num))
        checked += 1
        before, after = row[end] if row else (None, None)
        since_last = row and row["last"] and row["last"][end]
        if row and after == to and (before == frm or since_last == frm):
            print(f"ok   {label}: {cap} frame {num} ({end} {before}>{after})")
        else:
            print(f"FAIL {label}: {cap} frame {num} shows the {end} {before}>{after}"
                  + (f", after {since_last} on the stream's previous frame" if since_last else ""))
            bad += 1
    print(f"{len(edges)} edges: {checked} checked on captures, {local} not on the wire, {bad} failed")
    return bad + (0 if checked else 1), sorted(edge_keys(g) for g in edges)


def main():
    wrapper, plugin, root = sys.argv[1:4]
    course = os.path.join(root, "docs", "course")
    svgs = sys.argv[4:] or [os.path.join(course, "tcp-states.svg"), os.path.join(course, "tcp-states.zh-CN.svg")]
    cache, bad, keys = {}, 0, []
    for svg in svgs:
        b, k = check(svg, wrapper, plugin, root, cache)
        bad += b
        keys.append(k)
    for svg, k in zip(svgs[1:], keys[1:]):
        if k != keys[0]:
            print(f"FAIL {os.path.relpath(svg, root)}: its edges differ from {os.path.relpath(svgs[0], root)}'s")
            bad += 1
    if not sys.argv[4:]:
        stale = subprocess.run([sys.executable, os.path.join(course, "make_zh_diagram.py"), "--check"])
        bad += stale.returncode != 0
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
