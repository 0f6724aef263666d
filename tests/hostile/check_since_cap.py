#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A server end that flaps past the since log's cap (TCPS_SINCE_LOG_MAX,
65,520 entries): what a frame shows must not change once later frames are
read.

usage: check_since_cap.py WRAPPER PLUGIN.so

The capture is made here (about 70,000 frames, no scapy: raw bytes): a
handshake, the client closes, the server closes, and then the server
retransmits its FIN 33,000 times, each time answered by the client's ACK
from TIME_WAIT. Every retransmitted FIN shows the previous ACK never
arrived (LAST_ACK again), every ACK takes the server to CLOSED (as far as
the capture shows): two entries in the server's since log per round, about
66,000 in all.

Checked, in one pass and with -2:
- the same frames show tcpstate.server.since in both (before the fix, the
  log's last entry was overwritten at the cap; the values may differ: with
  -2 a since follows the hindsight states, checked by tshark.views);
- frames show a since up to the cap and none once the log is full;
- a since never names a later frame.
"""
import os
import struct
import subprocess
import sys
import tempfile

ROUNDS = 33000
CAP = 0xFFF0
C_IP, S_IP = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20])
CPORT, SPORT = 40000, 80


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(from_client, flags, seq, ack):
    src, dst = (C_IP, S_IP) if from_client else (S_IP, C_IP)
    sp, dp = (CPORT, SPORT) if from_client else (SPORT, CPORT)
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, 20) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    mac = b"\x02\0\0\0\0\x0a", b"\x02\0\0\0\0\x14"
    eth = (mac[1] + mac[0]) if from_client else (mac[0] + mac[1])
    return eth + b"\x08\x00" + ip + tcp


def make(path):
    SYN, ACK, FIN = 0x02, 0x10, 0x01
    c, s = 1000, 5000
    pkts = [segment(True, SYN, c, 0), segment(False, SYN | ACK, s, c + 1),
            segment(True, ACK, c + 1, s + 1),
            segment(True, FIN | ACK, c + 1, s + 1), segment(False, ACK, s + 1, c + 2),
            segment(False, FIN | ACK, s + 1, c + 2), segment(True, ACK, c + 2, s + 2)]
    for _ in range(ROUNDS):
        pkts.append(segment(False, FIN | ACK, s + 1, c + 2))
        pkts.append(segment(True, ACK, c + 2, s + 2))
    t0 = 1700000000
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            us = i * 1000   # 1 ms apart: the whole capture lasts 66 s, within 2 MSL
            f.write(struct.pack("<IIII", t0 + us // 1000000, us % 1000000, len(p), len(p)))
            f.write(p)
    return len(pkts)


def run(wrapper, plugin, capture, two_pass):
    cmd = [wrapper, plugin, "-r", capture] + (["-2"] if two_pass else []) + [
        "-T", "fields", "-e", "frame.number", "-e", "tcpstate.server",
        "-e", "tcpstate.server.since"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300).stdout
    return [line.split("\t") for line in out.rstrip("\n").split("\n")]


def main():
    wrapper, plugin = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "since_flapping.pcap")
        os.chmod(tmp, 0o755)
        n = make(capture)
        one = run(wrapper, plugin, capture, False)
        two = run(wrapper, plugin, capture, True)
    problems = []
    if len(one) != n or len(two) != n:
        problems.append(f"frames: {len(one)} in one pass, {len(two)} with -2, {n} in the capture")
    # With -2 a since follows the hindsight states (every ACK here was lost:
    # LAST_ACK all along), so it may differ from one pass; tshark.views holds
    # both to the states shown. Here: the same frames show a since.
    differ = [(a, b) for a, b in zip(one, two) if bool(a[2]) != bool(b[2])]
    if differ:
        problems.append(f"{len(differ)} frames show a server since in one view and not the other, "
                        f"first: frame {differ[0][0][0]}: {differ[0][0][2] or '-'} vs {differ[0][1][2] or '-'}")
    for rows, mode in ((one, "one pass"), (two, "-2")):
        later = [r for r in rows if r[2] and int(r[2]) > int(r[0])]
        if later:
            problems.append(f"{mode}: frame {later[0][0]} names a later frame as its since ({later[0][2]})")
        with_since = [int(r[0]) for r in rows if r[2]]
        without = [int(r[0]) for r in rows if not r[2]]
        if not without:
            problems.append(f"{mode}: every frame shows a since: the log never filled")
        elif with_since and max(with_since) > min(without):
            problems.append(f"{mode}: frame {max(with_since)} shows a since after frame "
                            f"{min(without)} showed none")
        # Each round adds two entries: the log fills near frame 7 + CAP.
        elif not CAP - 10 < min(without) < CAP + 20:
            problems.append(f"{mode}: the first frame without a since is {min(without)}, "
                            f"expected near {CAP}")
    if problems:
        print("FAIL:\n  " + "\n  ".join(problems))
        return 1
    last = [r for r in one if r[2]][-1]
    print(f"ok: {n} frames; the server's since is shown up to frame {last[0]} "
          f"(since frame {last[2]}), on the same frames in one pass and with -2, and on no later frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
