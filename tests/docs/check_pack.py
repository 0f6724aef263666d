#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The student pack and its answer key.

1. The pack (docs/course/pack/make_pack.py) gives nothing away: it holds only
   the neutral captures and the worksheets; no truth file, log or README; no
   file name or text (capture bytes included) holding a capture name from
   captures/kernel/ (with _, - or space between its words), the word "truth",
   an answer block (<details>) or a heading saying answer.
2. Every answer in docs/course/<lang>/answer-key.md is held to tcpstate's
   output and to the kernel's own record (tests/kernel/truth, and the state
   trace in tests/kernel/logs). An answer is written as an HTML comment
   the reader does not see, the same in both languages:
     <!-- key: LAB state frame=N client=S server=S -->  after frame N (truth line N must exist)
     <!-- key: LAB path end=client|server states=S,S,... --> the end's states in order
     <!-- key: LAB fin frame=N from=client|server -->    the capture's first FIN
     <!-- key: LAB acks seg=N by=M -->                   M is the first ACK of segment N (its data, SYN, FIN)
     <!-- key: LAB bytes from=client|server after=N value=V --> payload sent after frame N
     <!-- key: LAB syns value=V -->                      segments with SYN set
     <!-- key: LAB lost frame=N shown_by=M -->           a segment lost after the capture point
   Nothing is written by hand that the test can take from tshark: it runs
   tcpstate (two-pass) once per capture and compares.

usage: check_pack.py WRAPPER PLUGIN.so REPO_ROOT"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tcpstate_states import STATES  # noqa: E402

KERNEL = {"SYN_RECV": "SYN_RCVD", "FIN_WAIT1": "FIN_WAIT_1", "FIN_WAIT2": "FIN_WAIT_2",
          "CLOSE": "CLOSED"}
FIELDS = ["frame.number", "tcp.srcport", "tcp.flags.syn", "tcp.flags.fin", "tcp.seq", "tcp.ack",
          "tcp.len", "tcpstate.client", "tcpstate.server", "tcpstate.lost.shown_by"]
SERVER_PORT = "8080"


def tshark(wrapper, plugin, capture):
    cmd = [wrapper, plugin, "-2", "-r", capture, "-T", "fields"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True,
                         env=dict(os.environ, LC_ALL="C.UTF-8")).stdout.decode()
    rows = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]))
        rows.append({"n": int(v["frame.number"]),
                     "end": "server" if v["tcp.srcport"] == SERVER_PORT else "client",
                     "port": v["tcp.srcport"],
                     "syn": v["tcp.flags.syn"] in ("1", "True"), "fin": v["tcp.flags.fin"] in ("1", "True"),
                     "seq": int(v["tcp.seq"] or 0), "ack": int(v["tcp.ack"] or 0),
                     "len": int(v["tcp.len"] or 0),
                     "client": STATES[int(v["tcpstate.client"])] if v["tcpstate.client"] else None,
                     "server": STATES[int(v["tcpstate.server"])] if v["tcpstate.server"] else None,
                     "shown_by": v["tcpstate.lost.shown_by"]})
    return rows


def truth(root, name):
    lines = {}
    with open(os.path.join(root, "tests", "kernel", "truth", name + ".truth"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split(None, 3)
            lines[int(parts[0])] = (parts[1], parts[2], parts[3] if len(parts) > 3 else "")
    return lines


def kernel_trace(root, name, port):
    """the states the kernel's trace shows for the socket with this local port, in order"""
    seq = []
    with open(os.path.join(root, "tests", "kernel", "logs", name + ".log"), encoding="utf-8") as f:
        for line in f:
            m = re.search(r"inet_sock_set_state: sport=(\d+) .*oldstate=TCP_(\w+) newstate=TCP_(\w+)", line)
            if m and m.group(1) == port:
                for st in m.group(2, 3):
                    st = KERNEL.get(st, st)
                    if not seq or seq[-1] != st:
                        seq.append(st)
    return seq


def subsequence(want, have):
    it = iter(have)
    return all(w in it for w in want)


def check_key(kind, args, rows, tr, trace_of):
    """None if the answer holds, else why not"""
    by_n = {r["n"]: r for r in rows}
    if kind == "state":
        n = int(args["frame"])
        want = (args["client"], args["server"])
        got = (by_n[n]["client"], by_n[n]["server"]) if n in by_n else None
        if got != want:
            return f"tcpstate shows {got} after frame {n}"
        if n not in tr:
            return f"the kernel truth has no line for frame {n}"
        if tr[n][:2] != want:
            return f"the kernel truth says {tr[n][:2]} after frame {n}"
    elif kind == "path":
        end = args["end"]
        want = args["states"].split(",")
        got = []
        for r in rows:
            if r[end] and (not got or got[-1] != r[end]):
                got.append(r[end])
        if got != want:
            return f"tcpstate shows the {end} going {','.join(got)}"
        port = next((r["port"] for r in rows if r["end"] == end), None)
        trace = trace_of(port)
        # the trace shows full sockets only: request socks (a listener's
        # SYN_RCVD) and TIME_WAIT are taken from the truth lines instead
        seen = [s for s in want if s in trace]
        if not subsequence(seen, trace) or any(s not in trace and s not in ("SYN_RCVD", "TIME_WAIT", "CLOSED")
                                               for s in want):
            return f"the kernel trace shows the {end} going {','.join(trace)}"
        last = tr[max(tr)]
        if want[-1] == "TIME_WAIT" and last[0 if end == "client" else 1] != "TIME_WAIT":
            return f"the last kernel truth line has the {end} in {last[:2]}"
    elif kind == "fin":
        first = next((r for r in rows if r["fin"]), None)
        if not first or first["n"] != int(args["frame"]) or first["end"] != args["from"]:
            return f"the first FIN is {first and (first['n'], first['end'])}"
    elif kind == "acks":
        seg = by_n[int(args["seg"])]
        # RFC 9293 section 3.4: SYN and FIN each take one sequence number, an ACK none
        edge = seg["seq"] + seg["len"] + seg["syn"] + seg["fin"]
        by = next((r for r in rows if r["n"] > seg["n"] and r["end"] != seg["end"] and r["ack"] >= edge), None)
        if edge == seg["seq"] or not by or by["n"] != int(args["by"]) or by["ack"] != edge:
            return f"the first ACK of frame {seg['n']} (ack {edge}) is {by and by['n']}"
        m = int(args["by"])
        if seg["fin"] and m in tr and tr[m][0 if seg["end"] == "client" else 1] in ("FIN_WAIT_1", "LAST_ACK", "CLOSING"):
            return f"the kernel truth after frame {m} still waits for the FIN's ACK: {tr[m][:2]}"
    elif kind == "bytes":
        got = sum(r["len"] for r in rows if r["end"] == args["from"] and r["n"] > int(args["after"]))
        if got != int(args["value"]):
            return f"{got} bytes"
    elif kind == "syns":
        got = sum(1 for r in rows if r["syn"])
        if got != int(args["value"]):
            return f"{got} segments with SYN"
    elif kind == "lost":
        n = int(args["frame"])
        if by_n[n]["shown_by"] != args["shown_by"]:
            return f"tcpstate marks frame {n} lost, shown by {by_n[n]['shown_by'] or 'nothing'}"
        if not any(f"{{lost:{n}}}" in note for _, _, note in tr.values()):
            return f"the kernel truth does not record frame {n} as dropped"
    else:
        return "unknown kind of answer"
    return None


def keys(path):
    with open(path, encoding="utf-8") as f:
        return re.findall(r"<!-- key: (lab-\w+) (\w+)((?: \w+=\S+)*) -->", f.read())


def leaks(pack, names):
    """everything in the pack that gives an answer away"""
    bad = []
    words = set()
    for n in names:
        parts = n.split("_")
        for sep in ("_", "-", " "):
            words.add(sep.join(parts).lower())
    words |= {"truth", "<details", "answer key", "答案"}
    for f in sorted(os.listdir(pack)):
        if not re.fullmatch(r"lab-[a-z]\.pcapng|worksheet\.(en|zh-CN)\.md", f):
            bad.append(f"unexpected file {f}")
        with open(os.path.join(pack, f), "rb") as fh:
            text = fh.read().decode("utf-8", "replace").lower()
        for w in sorted(words):
            if w in text or w in f.lower():
                bad.append(f"{f} holds '{w}'")
    return bad


def main():
    wrapper, plugin, root = sys.argv[1:4]
    names = sorted(os.path.basename(p)[:-len(".pcapng")]
                   for p in glob.glob(os.path.join(root, "captures", "kernel", "*.pcapng")))
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        pack = os.path.join(tmp, "pack")
        out = subprocess.run([sys.executable, os.path.join(root, "docs", "course", "pack", "make_pack.py"), pack],
                             stdout=subprocess.PIPE, check=True).stdout.decode()
        mapping = dict(re.findall(r"^(lab-\w+)\.pcapng  captures/kernel/(\w+)\.pcapng$", out, re.M))
        for why in leaks(pack, names):
            print(f"FAIL pack: {why}")
            bad += 1
        print(f"pack: {len(os.listdir(pack))} files, {len(mapping)} captures, checked for give-aways")
        # the checker itself: a truth file and a capture name slipped into the pack are found
        shutil.copyfile(os.path.join(root, "tests", "kernel", "truth", names[0] + ".truth"),
                        os.path.join(pack, "lab-z.truth"))
        with open(os.path.join(pack, "worksheet.en.md"), "a", encoding="utf-8") as f:
            f.write("\nhint: " + names[-1].replace("_", " ") + "\n")
        if len(leaks(pack, names)) < 3:
            print("FAIL the give-away check misses a truth file or a capture name")
            bad += 1
    per_lang = {lang: keys(os.path.join(root, "docs", "course", lang, "answer-key.md")) for lang in ("en", "zh-CN")}
    if per_lang["en"] != per_lang["zh-CN"]:
        print("FAIL the answer keys differ between en and zh-CN:",
              sorted(set(per_lang["en"]) ^ set(per_lang["zh-CN"])))
        bad += 1
    cache = {}
    for lab, kind, rest in per_lang["en"]:
        label = f"{lab} {kind}{rest}"
        if lab not in mapping:
            print(f"FAIL {label}: {lab} is not in the pack")
            bad += 1
            continue
        name = mapping[lab]
        if name not in cache:
            cache[name] = (tshark(wrapper, plugin, os.path.join(root, "captures", "kernel", name + ".pcapng")),
                           truth(root, name))
        rows, tr = cache[name]
        args = dict(a.split("=", 1) for a in rest.split())
        why = check_key(kind, args, rows, tr, lambda port, name=name: kernel_trace(root, name, port))
        if why:
            print(f"FAIL {label}: {why}")
            bad += 1
        else:
            print(f"ok   {label}")
    if not per_lang["en"]:
        print("FAIL no answers found")
        bad += 1
    unused = set(mapping) - {k[0] for k in per_lang["en"]}
    for lab in sorted(unused):
        print(f"FAIL {lab} has no checked answer")
        bad += 1
    print(f"{len(per_lang['en'])} answers, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
