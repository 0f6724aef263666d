#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every socket's path, frame by frame, against the kernel's (ctest kernel.path).

    tests/kernel/check_path.py --plugin build/plugin/tcpstate.so \
        --tshark-wrapper tests/tshark-plugin.sh --captures captures/kernel \
        --logs tests/kernel/logs [--markdown] [SCENARIO ...]

For every capture with a log in --logs, in one pass and with -2, and for every
socket (one end of one tcp.stream whose address is a namespace's), the states
the plugin shows the socket entering, in order, must be the states the kernel
took (sock/inet_sock_set_state in the log, completed for request and timewait
sockets exactly as check_quiet.py does), and each must show on a frame no
earlier than its cause:

  receipt  the transition is caused by a segment the socket received (the
           latest segment to it before the transition, not dropped, of the
           kind that causes it: a bare SYN, a SYN/ACK, a FIN, an RST, an ACK):
           shown on that segment or later;
  own      the socket did it by itself (connect, close, shutdown, abort):
           shown on the socket's own next segment or later (an abort on its
           RST, which Linux may send just before it logs CLOSE);
  timer    a timer (tcp_fin_timeout, request sock expiry): shown on a frame
           captured after the timer fired.

The Linux specifics (tests/kernel/README.md, "The path of every socket"):
the server's child socket appears only on the final ACK (its LISTEN ->
SYN_RECV continues the request sock's SYN_RCVD); an orphaned FIN_WAIT2 or
CLOSING socket is handed to an untraced timewait socket (TIME_WAIT, or an
orphaned FIN_WAIT_2); transitions of one socket with no frame captured
between them were made while one segment was processed, and the plugin may
show only the last of them.  Transitions after the stream's last frame have
no frame to show them and may be absent.

What a reader sees as a path: a state entered on a frame is `prev>new` of
that frame; a `prev` that differs from the state shown on the socket's
previous frame (a timer the wire does not show, or, in one pass, a
correction) is a state entered on that frame too.  In one pass a correction
withdraws what was shown from the lost segment on (`tcpstate.reveals_lost`,
else the last state shown): the path the one-pass reader ends with must be
the kernel's, and no state it keeps may show early.

One line per socket; exit status 1 if any socket fails, 2 on usage or
environment problems.
"""

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_quiet import (DELTA, FLAG, TAIL, Kernel, corpus_args, corpus_paths,  # noqa: E402
                         parse_log, side_of, state_name, tshark_fields)

SYN, FIN, ACK, RST = FLAG["SYN"], FLAG["FIN"], FLAG["ACK"], FLAG["RST"]
OWN = {("CLOSED", "SYN_SENT"), ("ESTABLISHED", "FIN_WAIT_1"), ("SYN_RCVD", "FIN_WAIT_1"),
       ("CLOSE_WAIT", "LAST_ACK"), ("CLOSED", "LISTEN"), ("LISTEN", "CLOSED")}
# the segment that makes a receiver take the transition
RECEIPT = {("LISTEN", "SYN_RCVD"): "bare SYN", ("CLOSED", "SYN_RCVD"): "bare SYN",
           ("SYN_SENT", "SYN_RCVD"): "bare SYN", ("SYN_SENT", "ESTABLISHED"): "SYN/ACK",
           ("SYN_RCVD", "ESTABLISHED"): "ACK", ("FIN_WAIT_1", "FIN_WAIT_2"): "ACK of FIN",
           ("FIN_WAIT_1", "CLOSING"): "FIN", ("ESTABLISHED", "CLOSE_WAIT"): "FIN",
           ("FIN_WAIT_1", "TIME_WAIT"): "FIN", ("FIN_WAIT_2", "TIME_WAIT"): "FIN",
           ("CLOSING", "TIME_WAIT"): "ACK of FIN", ("LAST_ACK", "CLOSED"): "ACK of FIN",
           ("SYN_RCVD", "CLOSE_WAIT"): "FIN"}
KIND = {"bare SYN": lambda fl: fl & (SYN | ACK) == SYN, "SYN/ACK": lambda fl: fl & (SYN | ACK) == SYN | ACK,
        "FIN": lambda fl: fl & FIN, "ACK": lambda fl: fl & ACK, "ACK of FIN": lambda fl: fl & ACK,
        "RST": lambda fl: fl & RST}

FIELDS = ["frame.number", "frame.time_relative", "tcp.stream", "tcp.flags", "tcpstate.from_client",
          "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
          "tcpstate.client.prev", "tcpstate.client", "tcpstate.server.prev", "tcpstate.server",
          "tcpstate.reveals_lost", "tcp.seq_raw", "tcp.ack_raw", "tcp.len", "tcpstate.lost"]


def plugin_rows(wrapper, plugin, capture, two_pass):
    rows = []
    for v in tshark_fields(wrapper, plugin, capture, FIELDS, two_pass):
        src, dst = (v[5] or v[6], int(v[7])), (v[8] or v[9], int(v[10]))
        fc = v[4] in ("1", "True")
        rows.append(dict(no=int(v[0]), t=float(v[1]), stream=int(v[2]), flags=int(v[3], 16),
                         src=src, dst=dst, client=src if fc else dst, server=dst if fc else src,
                         client_pn=(state_name(v[11]), state_name(v[12])),
                         server_pn=(state_name(v[13]), state_name(v[14])),
                         reveals=int(v[15]) if v[15] else None,
                         seq=int(v[16] or 0), ack=int(v[17] or 0), len=int(v[18] or 0),
                         lost=v[19] in ("1", "True")))
    return rows


# ----------------------------------------------------------------------------
# the kernel's path of one socket over one stream

def kernel_path(k, frames, key, start, end, first_t, last_t, later_stream):
    """[(state, t, why)] of key from start to end, with the initial state first"""
    side, local, _peer = key
    init = "LISTEN" if k.listening(side, local[1], first_t) else "CLOSED"
    path = [(init, None, "no socket" + (", listener" if init == "LISTEN" else ""))]
    for t, st, why in k.tl.get(key, []):
        if not (start < t <= end):
            continue
        if later_stream and len(path) == 1 and st == "CLOSED":
            continue            # the previous socket of the 4-tuple going away
        if st != path[-1][0]:
            path.append((st, t, why))
    return path


SLACK = 0.0003          # trace and capture clocks agree within 150 us (check_quiet.py checks it)


def fin_end(frames, local, peer):
    """sequence number just after local's FIN, or None"""
    fin = [f for f in frames if f["src"] == local and f["dst"] == peer and f["flags"] & FIN]
    return (fin[0]["seq"] + fin[0]["len"] + 1) & 0xffffffff if fin else None


def covers(ack, end):
    return end is not None and ((ack - end) & 0xffffffff) < 0x80000000


def cause(k, frames, key, prev, cur, t, tprev, why):
    """(kind, lower bound frame or None, text) of one kernel transition at t;
    tprev: the time of the socket's transition before it"""
    side, local, peer = key
    to = [f for f in frames if f["src"] == peer and f["dst"] == local and not f["dropped"]
          and (tprev is None or f["t"] > tprev - SLACK) and f["t"] <= t + SLACK]
    own = [f for f in frames if f["src"] == local and f["dst"] == peer]

    def own_next(text, flag=0):
        nxt = [f for f in own if f["t"] > t - SLACK and (not flag or f["flags"] & flag)]
        return "own", nxt[0]["no"] if nxt else None, text
    if why.startswith("timer"):
        nxt = [f for f in frames if f["t"] > t]
        return "timer", nxt[0]["no"] if nxt else None, why
    for tag in ("timewait sock ended by frame ", "request sock reset (frame ",
                "peer's FIN in orphaned FIN_WAIT_2 (frame "):
        if why.startswith(tag):
            no = int(why[len(tag):].split(")")[0].split()[0])
            f = next(x for x in frames if x["no"] == no)
            return ("own" if f["src"] == local else "receipt"), no, why
    if why.startswith("timewait sock replaced by a new connect()"):
        return own_next(why)
    if why == "timewait sock":
        want = "ACK of FIN" if prev == "CLOSING" else "FIN"
    elif why.startswith("request sock: SYN/ACK"):
        want = "bare SYN"
    else:
        want = RECEIPT.get((prev, cur))
    if cur in ("CLOSED", "LISTEN") and prev not in ("CLOSED", "LISTEN"):
        rst = [f for f in to if f["flags"] & RST]
        if rst:
            return "receipt", rst[0]["no"], "RST received (frame %d)" % rst[0]["no"]
        mine = [f for f in own if f["flags"] & RST and abs(f["t"] - t) <= DELTA]
        if mine:
            return "own", mine[0]["no"], "abort: its RST (frame %d)" % mine[0]["no"]
        if want is None:
            return own_next("closed by itself, no RST received (abort or timeout)")
    if (prev, cur) in OWN:
        return own_next(why, SYN if cur == "SYN_SENT" else FIN if cur in ("FIN_WAIT_1", "LAST_ACK") else 0)
    if want:
        mine = fin_end(frames, local, peer)
        got = [f for f in to if KIND[want](f["flags"]) and
               (want != "ACK of FIN" or covers(f["ack"], mine))]
        if got:
            return "receipt", got[0]["no"], "%s received (frame %d)" % (want, got[0]["no"])
        return "receipt", None, "no %s received before it" % want
    return "unknown", None, why


# ----------------------------------------------------------------------------
# the plugin's path of one socket over one stream

def shown_path(rows, idx, one_pass):
    """[(state, frame, how)]: the states shown entered, initial state first"""
    pn = "client_pn" if idx == 0 else "server_pn"
    path = [(rows[0][pn][0], rows[0]["no"], "initial")]
    for r in rows:
        prev, new = r[pn]
        if prev != path[-1][0]:
            timer = prev == "CLOSED" and path[-1][0] in ("TIME_WAIT", "FIN_WAIT_2")
            if one_pass and not timer:
                # a correction: what was shown since the socket was last
                # shown in `prev` (or, if never, the last state shown) was not so
                if any(p[0] == prev for p in path):
                    while path[-1][0] != prev:
                        path.pop()
                elif len(path) > 1:
                    path.pop()
            if prev != path[-1][0]:
                path.append((prev, r["no"], "before"))
        if new != prev:
            path.append((new, r["no"], "on"))
    return path


def compare(kp, sp, k, frames, key, strict, last_t):
    """None if the shown path sp agrees with the kernel's kp, else why not.
    strict (-2): the paths must be equal; a kernel transition may be missing
    only if it is not the last of its group (no segment reached the socket
    between it and the next one: both made while one segment was processed)
    or no frame can show it.  Not strict (one pass): states shown that the
    kernel's path does not have next are passed over (a later frame shows them
    wrong); the others must not show early."""
    side, local, peer = key
    to_t = [f["t"] for f in frames if f["src"] == peer and f["dst"] == local and not f["dropped"]]

    def group(t):
        return sum(1 for x in to_t if x < t - SLACK)

    def text():
        return "path %s, kernel %s" % (" > ".join(p[0] for p in sp), " > ".join(p[0] for p in kp))
    if strict and kp[0][0] != sp[0][0]:
        return "starts %s, kernel %s" % (sp[0][0], kp[0][0])
    lows = [None] + [cause(k, frames, key, kp[j - 1][0], kp[j][0], kp[j][1], kp[j - 1][1], kp[j][2])
                     for j in range(1, len(kp))]
    j = 1
    for i in range(1, len(sp)):
        st, fno, _how = sp[i]
        m = next((x for x in range(j, len(kp)) if kp[x][0] == st), None)
        if m is None:
            if strict:
                return text()
            continue
        if strict:
            for x in range(j, m):
                last = x + 1 == len(kp) or group(kp[x + 1][1]) != group(kp[x][1])
                if last and lows[x][1] is not None and kp[x][1] <= last_t:
                    return text()
        kind, low, why = lows[m]
        if low is not None and fno < low and unrevealed(k, frames, fno, local, peer):
            low = fno           # a loss the wire never shows: it may count as arrived
        if low is None or fno < low:
            return "%s>%s on frame %d, before its cause (%s: %s%s)" % (
                kp[m - 1][0], st, fno, kind, why, ", earliest frame %d" % low if low is not None else "")
        j = m + 1
    if strict:
        for x in range(j, len(kp)):
            last = x + 1 == len(kp) or group(kp[x + 1][1]) != group(kp[x][1])
            if last and lows[x][1] is not None and kp[x][1] <= last_t:
                return text()
    return None


def unrevealed(k, frames, no, local, peer):
    """frame no is a segment to this socket dropped after the capture point
    that nothing in the capture reveals (check_quiet.py's rule)"""
    f = next(x for x in frames if x["no"] == no)
    return f["dropped"] and f["dst"] == local and f["src"] == peer and k.unrevealed(no)


def check_capture(name, logdir, capdir, wrapper, plugin):
    frames, events, sysctls, link = parse_log(logdir / (name + ".log"))
    results = []
    for mode in ("one pass", "-2"):
        rows = plugin_rows(wrapper, plugin, capdir / (name + ".pcapng"), mode == "-2")
        if len(rows) != len(frames) or any(abs(r["t"] - f["t"]) > 2e-6 for r, f in zip(rows, frames)):
            raise RuntimeError("%s: the log's frames do not match the capture" % name)
        fr = [dict(f) for f in frames]
        for r, f in zip(rows, fr):
            f.update(flags=r["flags"], seq=r["seq"], ack=r["ack"], len=r["len"], lost_flag=r["lost"])
        k = Kernel(fr, events, sysctls, link)
        streams = {}
        for r in rows:
            streams.setdefault(r["stream"], []).append(r)
        end_t = fr[-1]["t"] + TAIL
        for s, srows in sorted(streams.items()):
            tup = (srows[0]["client"], srows[0]["server"])
            others = [x[0]["t"] for x in streams.values()
                      if (x[0]["client"], x[0]["server"]) in (tup, tup[::-1])]
            before = [t for t in others if t < srows[0]["t"]]
            after = [t for t in others if t > srows[0]["t"]]
            start = srows[0]["t"] - DELTA if before else -1e9
            end = min(after) - DELTA if after else end_t
            for idx, side_name in ((0, "client"), (1, "server")):
                local = tup[idx]
                peer = tup[1 - idx]
                ks = side_of(local[0])
                if ks is None:
                    continue
                key = (ks, local, peer)
                kp = kernel_path(k, fr, key, start, end, srows[0]["t"], srows[-1]["t"], bool(before))
                sp = shown_path(srows, idx, mode == "one pass")
                bad = compare(kp, sp, k, fr, key, mode == "-2", srows[-1]["t"])
                results.append(dict(capture=name, mode=mode, stream=s, side=side_name,
                                    local="%s:%d" % local, bad=bad,
                                    shown=" ".join("%s@%d" % (p[0], p[1]) for p in sp)))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_args(ap)
    ap.add_argument("--markdown", action="store_true", help="print the counts per capture as a table")
    ap.add_argument("scenarios", nargs="*")
    args = ap.parse_args()
    paths = corpus_paths(args, "check_path")
    if not paths:
        return 2
    plugin, wrapper, capdir, logdir = paths
    names = args.scenarios or sorted(p.stem for p in logdir.glob("*.log")
                                     if (capdir / (p.stem + ".pcapng")).exists())
    try:
        with ThreadPoolExecutor(max_workers=2) as ex:
            allres = list(ex.map(lambda n: check_capture(n, logdir, capdir, wrapper, plugin), names))
    except (RuntimeError, OSError) as e:
        print("check_path: %s" % e, file=sys.stderr)
        return 2
    nbad = 0
    table = []
    for name, res in zip(names, allres):
        counts = {}
        for r in res:
            ok = r["bad"] is None
            nbad += not ok
            c = counts.setdefault(r["mode"], [0, 0])
            c[0 if ok else 1] += 1
            if not args.markdown:
                print("%-4s %-26s %-8s stream %-3d %-6s %-22s %s" % (
                    "ok" if ok else "FAIL", name, r["mode"], r["stream"], r["side"], r["local"],
                    r["shown"] if ok else r["bad"] + "  [shown: " + r["shown"] + "]"))
        table.append((name, counts))
    tot = {m: [sum(c.get(m, [0, 0])[i] for _n, c in table) for i in (0, 1)] for m in ("one pass", "-2")}
    if args.markdown:
        print("| capture | sockets | one pass: kernel's path / not | -2: kernel's path / not |")
        print("|---|---|---|---|")
        for name, c in table + [("**all**", tot)]:
            print("| %s | %d | %d / %d | %d / %d |" % (name, sum(c["-2"]), *c["one pass"], *c["-2"]))
    for m in ("one pass", "-2"):
        print("%s: %d sockets, %d follow the kernel's path, %d do not" % (m, sum(tot[m]), tot[m][0], tot[m][1]))
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main())
