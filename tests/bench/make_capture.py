#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a pcap of N complete TCP connections (11 segments each: handshake,
a request and a response, four-segment close), interleaved 64 at a time so
that many are open at once. Standard library only, so it is fast.

usage: make_capture.py N OUT.pcap
"""
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp) + len(payload))
    c = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6,
                     0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp + payload


def connection(i):
    """The 11 segments of connection i, as (from_client, bytes)."""
    c = bytes([10, 1, (i >> 16) & 0xFF, (i >> 8) & 0xFF])
    s = bytes([10, 2, 0, 1 + (i & 0x7F)])
    cp, sp = 1024 + (i % 60000), 80
    a, b = (i * 7919) & 0xFFFFFFFF, (i * 104729) & 0xFFFFFFFF
    S, A, F, P = 0x02, 0x10, 0x01, 0x08
    req, resp = b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\n"
    return [
        segment(c, s, cp, sp, a, 0, S),
        segment(s, c, sp, cp, b, a + 1, S | A),
        segment(c, s, cp, sp, a + 1, b + 1, A),
        segment(c, s, cp, sp, a + 1, b + 1, P | A, req),
        segment(s, c, sp, cp, b + 1, a + 1 + len(req), A),
        segment(s, c, sp, cp, b + 1, a + 1 + len(req), P | A, resp),
        segment(c, s, cp, sp, a + 1 + len(req), b + 1 + len(resp), A),
        segment(c, s, cp, sp, a + 1 + len(req), b + 1 + len(resp), F | A),
        segment(s, c, sp, cp, b + 1 + len(resp), a + 2 + len(req), A),
        segment(s, c, sp, cp, b + 1 + len(resp), a + 2 + len(req), F | A),
        segment(c, s, cp, sp, a + 2 + len(req), b + 2 + len(resp), A),
    ]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    t = 1700000000.0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for group in range(0, n, 64):
            conns = [connection(i) for i in range(group, min(n, group + 64))]
            for k in range(11):
                for segs in conns:
                    t += 0.0001
                    pkt = segs[k]
                    f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(pkt), len(pkt)))
                    f.write(pkt)


if __name__ == "__main__":
    main()
