#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write benchmark and hostile pcaps. Standard library only, so it is fast;
deterministic (fixed addresses, sequence numbers and timestamps).

usage: make_capture.py N OUT.pcap            N short connections (11 segments
                                             each: handshake, a request and a
                                             response, four-segment close),
                                             interleaved 64 at a time
       make_capture.py long C F OUT.pcap     C long connections, F frames in
                                             all (data and ACKs, round robin)
       make_capture.py reuse N OUT.pcap      N connections one after another on
                                             ONE 4-tuple (SYN, SYN/ACK, ACK, RST)
       make_capture.py synflood N OUT.pcap   N SYNs from N source ports and
                                             addresses to one server, no answer
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


class Writer:
    def __init__(self, out):
        self.f = open(out, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t = 1700000000.0

    def put(self, pkt, step=0.0001):
        self.t += step
        t = self.t
        self.f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)) % 1000000,
                                 len(pkt), len(pkt)))
        self.f.write(pkt)

    def close(self):
        self.f.close()


def long_connections(c, frames, out):
    """C connections that stay open: handshake, then data segments of 100
    bytes and their ACKs, round robin over the connections."""
    w = Writer(out)
    S, A, P = 0x02, 0x10, 0x08
    data = b"x" * 100
    seqs = []
    for i in range(c):
        cl, sv = bytes([10, 3, i >> 8 & 0xFF, i & 0xFF]), bytes([10, 4, 0, 1])
        cp, sp, a, b = 20000 + i, 443, i * 7919 + 1, i * 104729 + 1
        w.put(segment(cl, sv, cp, sp, a, 0, S))
        w.put(segment(sv, cl, sp, cp, b, a + 1, S | A))
        w.put(segment(cl, sv, cp, sp, a + 1, b + 1, A))
        seqs.append([cl, sv, cp, sp, a + 1, b + 1])
    n = 3 * c
    while n < frames:
        for st in seqs:
            cl, sv, cp, sp, a, b = st
            w.put(segment(cl, sv, cp, sp, a, b, P | A, data))
            st[4] = a = (a + len(data)) & 0xFFFFFFFF
            w.put(segment(sv, cl, sp, cp, b, a, A))
            n += 2
            if n >= frames:
                break
    w.close()


def reuse(n, out):
    """N connections, one after another, all on 10.5.0.1:4000 -> 10.6.0.1:80,
    each with a fresh ISN, ended by the client's RST."""
    w = Writer(out)
    cl, sv, S, A, R = bytes([10, 5, 0, 1]), bytes([10, 6, 0, 1]), 0x02, 0x10, 0x04
    for i in range(n):
        a, b = (i * 2654435761) & 0xFFFFFFFF, (i * 40503 + 7) & 0xFFFFFFFF
        w.put(segment(cl, sv, 4000, 80, a, 0, S))
        w.put(segment(sv, cl, 80, 4000, b, (a + 1) & 0xFFFFFFFF, S | A))
        w.put(segment(cl, sv, 4000, 80, (a + 1) & 0xFFFFFFFF, (b + 1) & 0xFFFFFFFF, A))
        w.put(segment(cl, sv, 4000, 80, (a + 1) & 0xFFFFFFFF, 0, R))
    w.close()


def synflood(n, out):
    """N bare SYNs to 10.7.0.1:80 from N different (address, port) pairs."""
    w = Writer(out)
    sv = bytes([10, 7, 0, 1])
    for i in range(n):
        cl = bytes([172, 16 + (i >> 16 & 0x0F), i >> 8 & 0xFF, i & 0xFF])
        w.put(segment(cl, sv, 1024 + (i % 60000), 80, (i * 2654435761) & 0xFFFFFFFF, 0, 0x02),
              step=0.00001)
    w.close()


def main():
    if sys.argv[1] == "long":
        return long_connections(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    if sys.argv[1] == "reuse":
        return reuse(int(sys.argv[2]), sys.argv[3])
    if sys.argv[1] == "synflood":
        return synflood(int(sys.argv[2]), sys.argv[3])
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
