#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the hostile captures: malformed or extreme input that tcpstate must
read without crashing, hanging or reporting nonsense.

    /usr/bin/python3 tests/hostile/make_hostile.py   # from the repo root

Writes captures/hostile/<name>.pcap (or .pcapng). Packets are built with
Debian's python3-scapy; the files are written here byte by byte with fixed
timestamps, so the output is reproducible. What tshark with tcpstate must
print for each is in tests/hostile/expected/<name>.tsv, reviewed by hand
(see captures/hostile/README.md); check_hostile.py compares.
"""
import os
import struct

from scapy.all import Ether, IP, IPv6, TCP, ICMP, ICMPv6DestUnreach, Raw  # noqa: E402
from scapy.layers.inet6 import (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,  # noqa: E402
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "captures", "hostile")

C, S = "192.0.2.10", "198.51.100.20"
C6, S6 = "2001:db8::10", "2001:db8::20"
MAC_C, MAC_S = "02:00:00:00:00:0a", "02:00:00:00:00:14"
T0 = 1700000000  # 2023-11-14 22:13:20 UTC


def eth(src_is_client=True):
    return Ether(src=MAC_C if src_is_client else MAC_S, dst=MAC_S if src_is_client else MAC_C)


def v4(src_is_client, flags, seq, ack=0, sport=40000, dport=80, payload=b"", **kw):
    a, b = (C, S) if src_is_client else (S, C)
    sp, dp = (sport, dport) if src_is_client else (dport, sport)
    p = eth(src_is_client) / IP(src=a, dst=b, id=1) / TCP(sport=sp, dport=dp, flags=flags,
                                                          seq=seq, ack=ack, window=64240, **kw)
    return p / Raw(payload) if payload else p


def handshake_and_close(sport=40000, dport=80, isn_c=1000, isn_s=5000, mk=None):
    """A whole connection: handshake, 10 bytes each way, client closes."""
    mk = mk or (lambda c, f, s, a, **kw: v4(c, f, s, a, sport=sport, dport=dport, **kw))
    c, s = isn_c, isn_s
    return [
        mk(True, "S", c, 0),
        mk(False, "SA", s, c + 1),
        mk(True, "A", c + 1, s + 1),
        mk(True, "PA", c + 1, s + 1, payload=b"0123456789"),
        mk(False, "PA", s + 1, c + 11, payload=b"abcdefghij"),
        mk(True, "FA", c + 11, s + 11),
        mk(False, "FA", s + 11, c + 12),
        mk(True, "A", c + 12, s + 12),
    ]


def write_pcap(name, frames):
    """frames: (seconds, microseconds, bytes, original length or None)."""
    with open(os.path.join(OUT, name + ".pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for sec, usec, data, orig in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data) if orig is None else orig))
            f.write(data)


def timed(pkts, start=T0, step_us=10000):
    """Frames step_us apart from start."""
    return [(start + (i * step_us) // 1000000, (i * step_us) % 1000000, bytes(p), None)
            for i, p in enumerate(pkts)]


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def write_pcapng(name, interfaces, frames):
    """interfaces: if_tsresol byte per interface; frames: (interface, 64-bit ts, bytes)."""
    out = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for tsresol in interfaces:
        opts = struct.pack("<HHB", 9, 1, tsresol) + b"\0\0\0" + struct.pack("<HH", 0, 0)
        out += pcapng_block(1, struct.pack("<HHI", 1, 0, 65535) + opts)
    for ifc, ts, data in frames:
        pad = data + b"\0" * (-len(data) % 4)
        out += pcapng_block(6, struct.pack("<IIIII", ifc, ts >> 32, ts & 0xFFFFFFFF,
                                           len(data), len(data)) + pad)
    with open(os.path.join(OUT, name + ".pcapng"), "wb") as f:
        f.write(out)


# --- the captures -----------------------------------------------------------

def data_offset_below_5():
    """A connection with, after its handshake, segments whose data offset is
    0 and 4 (16 bytes): Wireshark stops at the bogus header length, so
    tcpstate has no flags to read and must skip them."""
    pkts = handshake_and_close()
    bad0 = v4(True, "PA", 1001, 5001, payload=b"xxxxxxxxxx")
    bad0[TCP].dataofs = 0
    bad4 = v4(False, "FA", 5001, 1001)
    bad4[TCP].dataofs = 4
    write_pcap("data_offset_below_5", timed(pkts[:3] + [bad0, bad4] + pkts[3:]))


def options_overrun():
    """Options that claim more than the header holds: an MSS option of
    length 40 in a 24-byte header (on the SYN), a window-scale option with
    length 0 (SYN/ACK), and a header length of 60 bytes in a 40-byte
    segment (third ACK). The flags are still readable, so the states go on."""
    pkts = handshake_and_close()
    syn = v4(True, "S", 1000, 0, options=[("MSS", 1460)])
    raw = bytearray(bytes(syn))
    raw[14 + 20 + 20 + 1] = 40            # MSS option length 40 > header
    synack = v4(False, "SA", 5000, 1001, options=[("NOP", None), ("NOP", None),
                                                  ("NOP", None), ("NOP", None)])
    raw2 = bytearray(bytes(synack))
    raw2[14 + 20 + 20:14 + 20 + 24] = bytes([3, 0, 1, 1])   # WS option, length 0
    ack = v4(True, "A", 1001, 5001, payload=b"\x01" * 20)
    raw3 = bytearray(bytes(ack))
    raw3[14 + 20 + 12] = 15 << 4          # header length 60 > 40 bytes present
    write_pcap("options_overrun", timed([bytes(raw), bytes(raw2), bytes(raw3)] + pkts[3:]))


def zero_length_frames():
    """Frames of 0 bytes (captured and on the wire), a lone Ethernet header,
    and an IPv4 header announcing TCP with no TCP bytes, between the
    segments of a normal connection."""
    pkts = timed(handshake_and_close())
    empty = (T0, 15000, b"", 0)
    empty_cut = (T0, 25000, b"", 60)
    lone_eth = (T0, 35000, bytes(eth())[:14], None)
    ip_only = (T0, 45000, bytes(eth() / IP(src=C, dst=S, proto=6, id=1)), None)
    frames = pkts[:2] + [empty] + pkts[2:3] + [empty_cut] + pkts[3:4] + [lone_eth] + \
        pkts[4:5] + [ip_only] + pkts[5:]
    write_pcap("zero_length_frames", frames)


def icmp_truncated_tcp():
    """ICMP errors quoting a segment of the live connection cut short: 8
    bytes of TCP (ports and seq only), 4 bytes (ports only), and 13 bytes
    (up to the flags). None of them is a segment; the connection's states
    must not move."""
    pkts = handshake_and_close()
    quoted = bytes(IP(src=C, dst=S, id=1) / TCP(sport=40000, dport=80, flags="FA",
                                                  seq=1011, ack=5011))
    icmps = []
    for cut in (20 + 8, 20 + 4, 20 + 14):
        icmps.append(eth(False) / IP(src=S, dst=C, id=2) / ICMP(type=3, code=3) / Raw(quoted[:cut]))
    v6q = bytes(IPv6(src=C6, dst=S6) / TCP(sport=40000, dport=80, flags="FA", seq=1011, ack=5011))
    icmps.append(Ether(src=MAC_S, dst=MAC_C) / IPv6(src=S6, dst=C6) /
                 ICMPv6DestUnreach(code=4) / Raw(v6q[:40 + 8]))
    write_pcap("icmp_truncated_tcp", timed(pkts[:5] + icmps + pkts[5:]))


def ipv6_extension_headers():
    """A whole IPv6 connection whose every segment carries Hop-by-Hop,
    Routing (type 0, no segments left), Destination Options and an atomic
    Fragment header before TCP."""
    def mk(client, flags, seq, ack, payload=b""):
        a, b = (C6, S6) if client else (S6, C6)
        sp, dp = (40000, 80) if client else (80, 40000)
        p = (eth(client) / IPv6(src=a, dst=b) / IPv6ExtHdrHopByHop() /
             IPv6ExtHdrRouting(addresses=[], segleft=0) / IPv6ExtHdrDestOpt() /
             IPv6ExtHdrFragment(id=7, m=0, offset=0) /
             TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=64240))
        return p / Raw(payload) if payload else p
    write_pcap("ipv6_extension_headers", timed(handshake_and_close(mk=mk)))


def port_0_and_65535():
    """Two whole connections: port 0 to port 65535, and 65535 to 0, then a
    midstream segment between ports 0 and 0."""
    a = handshake_and_close(sport=0, dport=65535)
    b = handshake_and_close(sport=65535, dport=0, isn_c=70000, isn_s=90000)
    mid = v4(True, "A", 42, 43, sport=0, dport=0, payload=b"z")
    write_pcap("port_0_and_65535", timed(a + b + [mid]))


def land_attack():
    """A land attack: SYNs from 192.0.2.10:139 to itself, repeated, then an
    ACK and a RST on the same 4-tuple. Both ends are one socket; tcpstate
    must give them consistent states and not loop or crash."""
    def me(flags, seq, ack=0):
        return (Ether(src=MAC_C, dst=MAC_C) / IP(src=C, dst=C, id=1) /
                TCP(sport=139, dport=139, flags=flags, seq=seq, ack=ack, window=64240))
    write_pcap("land_attack", timed([me("S", 7777), me("S", 7777), me("SA", 7777, 7778),
                                     me("A", 7778, 7778), me("R", 7778)]))


def syn_fin_rst_urg():
    """SYN+FIN+RST+URG together: first as the opening segment of a 4-tuple,
    then inside an established connection (in window), then SYN+FIN+URG
    and FIN+URG+PSH without ACK (a Christmas tree)."""
    first = v4(True, "SFRU", 100, 0, sport=41000, urgptr=1)
    pkts = handshake_and_close()
    xmas_in = v4(True, "SFRU", 1001, 5001, urgptr=1)
    synfin = v4(True, "SFU", 1001, 0, sport=42000, urgptr=1)
    xmas = v4(True, "FPU", 1001, 0, sport=43000, urgptr=1)
    write_pcap("syn_fin_rst_urg", timed([first] + pkts[:4] + [xmas_in] + pkts[4:] + [synfin, xmas]))


def timestamps_backwards():
    """A connection whose capture times run backwards: the SYN/ACK 0.5 s
    before the SYN, the data an hour before, the close in order again."""
    pkts = handshake_and_close()
    times = [(T0 + 10, 0), (T0 + 9, 500000), (T0 + 10, 20000), (T0 - 3590, 0),
             (T0 - 3590, 10000), (T0 + 11, 0), (T0 + 11, 10000), (T0 + 11, 20000)]
    write_pcap("timestamps_backwards", [(s, u, bytes(p), None) for (s, u), p in zip(times, pkts)])


def timestamps_2106():
    """A connection at the very end of pcap's time range: the last frame at
    2106-02-07 06:28:15.999999 (2^32 - 1 seconds), the largest time a pcap
    can hold."""
    pkts = handshake_and_close()
    start = 2**32 - 6
    write_pcap("timestamps_2106", timed(pkts, start=start, step_us=857142))


def timestamps_far_pcapng():
    """pcapng times far beyond int64 nanoseconds: interface 0 counts
    microseconds (if_tsresol=6) and its frames are in 2300; interface 1
    counts seconds (if_tsresol=0) and its frames are 2^63 s and 2^64-1 s
    after 1970 (Wireshark reads them as 1970 - 292 billion years and just
    before 1970). Seconds x 10^9 overflowed int64 here (undefined
    behaviour) before frame times were counted from the first frame and
    bounded (plugin/tcpstate_time.h): the 2300 connection is exact; the
    other, billions of years from the first frame, reads as at the bound
    and its durations as 0."""
    a = handshake_and_close()
    b = handshake_and_close(sport=40001, isn_c=2000, isn_s=6000)
    us2300 = 10413792000 * 10**6
    frames = [(0, us2300 + i * 10000, bytes(p)) for i, p in enumerate(a)]
    far = [2**63, 2**63 + 1, 2**63 + 2, 2**64 - 5, 2**64 - 4, 2**64 - 3, 2**64 - 2, 2**64 - 1]
    frames += [(1, t, bytes(p)) for t, p in zip(far, b)]
    write_pcapng("timestamps_far", [6, 0], frames)


def timestamps_epoch_zero():
    """A connection captured at 1970-01-01 00:00:00 exactly (text2pcap's
    default time): a SYN at time 0 used to count as no SYN, and the
    handshake round trip went missing."""
    write_pcap("timestamps_epoch_zero", timed(handshake_and_close(), start=0))


def main():
    os.makedirs(OUT, exist_ok=True)
    for make in (data_offset_below_5, options_overrun, zero_length_frames, icmp_truncated_tcp,
                 ipv6_extension_headers, port_0_and_65535, land_attack, syn_fin_rst_urg,
                 timestamps_backwards, timestamps_2106, timestamps_far_pcapng,
                 timestamps_epoch_zero):
        make()


if __name__ == "__main__":
    main()
