#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Turn captures into inputs for the libFuzzer harness (fuzz_tcpstate.c).

usage: make_seeds.py OUTDIR CAPTURE...

One input per capture: the harness header (first frame's time, MSL 30 s,
SYN flood 100 in 10 s, lingering 60 s) and one 16-byte record per TCP
segment with its raw flags, sequence and acknowledgment numbers, length
and window. tcp.stream picks one of the harness's four connections and the
first sender of each stream is its side A. Time steps are the closest the
harness's step codes can come to the capture's times. Needs tshark.
"""
import os
import struct
import subprocess
import sys

FIELDS = ["frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport",
          "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len", "tcp.window_size_value"]
NS = {0: 1000, 1: 1000000, 2: 1000000000, 3: 60 * 10**9, 4: 3600 * 10**9}


def step_code(delta):
    """The harness step (mode << 5 | amount) closest to delta ns."""
    if delta < 0:
        if -delta < 32 * NS[1]:
            return 5 << 5 | round(-delta / NS[1])
        return 6 << 5 | min(31, round(-delta / NS[4]))
    for mode in range(5):
        if delta < 31.5 * NS[mode]:
            return mode << 5 | round(delta / NS[mode])
    return 4 << 5 | 31


def seed(capture):
    out = subprocess.run(["tshark", "-r", capture, "-Y", "tcp && !icmp && !icmpv6", "-T", "fields",
                          "-E", "occurrence=f"] + sum((["-e", f] for f in FIELDS), []),
                         check=True, capture_output=True, text=True).stdout
    # Headers cut short lack some fields: the plugin skips them too.
    rows = [r for r in (line.split("\t") for line in out.splitlines())
            if len(r) == len(FIELDS) and r[1] and r[5] and r[7]]
    if not rows:
        return None
    t0 = int(rows[0][0].replace(".", "")) if "." in rows[0][0] else int(rows[0][0]) * 10**9
    bound = 2**62 - 1                   # the harness's (and the plugin's) time range
    data = bytearray(struct.pack("<qIBBBB", max(-bound, min(bound, t0)), 30000, 100, 10, 60, 60))
    first_sender = {}
    emu = t0
    for r in rows:
        t = int(r[0].replace(".", "")) if "." in r[0] else int(r[0]) * 10**9
        stream = int(r[1])
        sender = (r[2] or r[3], r[4])
        first_sender.setdefault(stream, sender)
        b = 0 if first_sender[stream] == sender else 1
        code = step_code(t - emu)
        mode, amount = code >> 5, code & 31
        emu += -amount * NS[1] if mode == 5 else -amount * NS[4] if mode == 6 else amount * NS[mode]
        flags = int(r[7], 16) & 0x0FFF
        data += struct.pack("<BHIIHHB", b | (stream % 4) << 1 | 0x80, flags,
                            int(r[5] or 0), int(r[6] or 0), min(int(r[8] or 0), 65535),
                            min(int(r[9] or 0), 65535), code)
    return bytes(data)


def main():
    outdir, captures = sys.argv[1], sys.argv[2:]
    os.makedirs(outdir, exist_ok=True)
    for cap in captures:
        data = seed(cap)
        if data:
            name = os.path.splitext(os.path.basename(cap))[0]
            kind = os.path.basename(os.path.dirname(cap))
            with open(os.path.join(outdir, f"{kind}-{name}"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
