#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the tunnel and same-port captures and their expected values.

    /usr/bin/python3 tests/tshark/make_tunnels.py   # from the repo root

The connection in each is basic_client_close's (make_crafted.py), with the
same expected states and Zeek values on every frame; only its carriage
changes, so a tuple or a direction taken from the wrong layer shows:

- tunnel_ipip, tunnel_gre, tunnel_vxlan: the connection inside IP-in-IP,
  GRE and VXLAN (outer 203.0.113.1 <-> 203.0.113.2). The inner connection
  is the one tracked.
- tunnel_gtp_tcp: an outer TCP connection on port 2152 at both ends
  (Wireshark decodes GTP over it) whose data segments carry GTP-U with
  inner IP packets from one inner host, 10.9.9.9. The outer connection is
  the one tracked (the first TCP layer); its directions must come from the
  outer addresses, not from pinfo->src (the inner packet's).
- same_port_hash_collision: both ports 5000 and two addresses whose 32-bit
  address hashes collide (10.1.48.1 and 10.1.109.179): the directions must
  come from comparing the addresses.

Writes captures/crafted/<name>.pcap and tests/tshark/expected/<name>.tsv.
Deterministic: fixed timestamps and addresses.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_crafted as mc  # noqa: E402
from scapy.all import Ether, IP, TCP, UDP, Raw  # noqa: E402
from scapy.layers.l2 import GRE  # noqa: E402
from scapy.layers.vxlan import VXLAN  # noqa: E402
from scapy.contrib.gtp import GTP_U_Header  # noqa: E402

OUTER_A, OUTER_B = "203.0.113.1", "203.0.113.2"
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def outer(from_client):
    a, b = (OUTER_A, OUTER_B) if from_client else (OUTER_B, OUTER_A)
    return Ether(**MAC) / IP(src=a, dst=b)


class Tunnel(mc.Conv):
    """basic_client_close's segments, each wrapped by wrap(inner, from_client)."""

    def __init__(self, name, wrap, client=mc.CLIENT, server=mc.SERVER, **kw):
        super().__init__(name, **kw)
        self.wrap, self.client, self.server = wrap, client, server

    def _pkt(self, from_client, flags, seq, ack, data, cport=None):
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        sp, dp = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        inner = IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack,
                                           window=64240)
        if data:
            inner = inner / Raw(data)
        return self.wrap(inner, from_client)


def ipip(inner, fc):
    return outer(fc) / inner


def gre(inner, fc):
    return outer(fc) / GRE(proto=0x0800) / inner


def vxlan(inner, fc):
    return outer(fc) / UDP(sport=49152, dport=4789) / VXLAN(vni=42) / Ether(**MAC) / inner


def build(cv):
    """The segments of basic_client_close, in order, with its expectations."""
    orig = mc.Conv
    mc.Conv = lambda *a, **k: cv
    try:
        mc.basic_client_close()
    finally:
        mc.Conv = orig
    mc.ZEEK[cv.name] = mc.ZEEK["basic_client_close"]
    for (name, frame), experts in list(mc.EXPERTS.items()):
        if name == "basic_client_close":
            mc.EXPERTS[(cv.name, frame)] = experts
    return cv


def gtp(data):
    """A GTP-U T-PDU carrying an inner IP packet from 10.9.9.9."""
    tpdu = IP(src="10.9.9.9", dst="10.8.8.8") / UDP(sport=1234, dport=5678) / Raw(data)
    return bytes(GTP_U_Header(teid=7, gtp_type=255) / tpdu)


class GtpOverTcp(mc.Conv):
    """An outer TCP connection, both ports 2152, carrying GTP-U."""

    def _pkt(self, from_client, flags, seq, ack, data, cport=None):
        a, b = (OUTER_A, OUTER_B) if from_client else (OUTER_B, OUTER_A)
        p = Ether(**MAC) / IP(src=a, dst=b) / TCP(sport=2152, dport=2152, flags=flags, seq=seq,
                                                  ack=ack, window=64240)
        return p / Raw(data) if data else p


def gtp_over_tcp():
    """basic_client_close's exchange, with GTP-U payloads."""
    cv = GtpOverTcp("tunnel_gtp_tcp")
    req, resp = gtp(b"GET / HTTP/1.0\r\n\r\n"), gtp(b"HTTP/1.0 200 OK\r\n\r\n")
    c1, s1 = 1001 + len(req), 5001 + len(resp)
    mc.handshake(cv)
    cv.c("PA", 1001, 5001, req, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.s("A", 5001, c1, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.s("PA", 5001, c1, resp, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("A", c1, s1, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("FA", c1, s1, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("A", s1, c1 + 1, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    cv.s("FA", s1, c1 + 1, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", c1 + 1, s1 + 1, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    mc.ZEEK[cv.name] = mc.ZEEK["basic_client_close"]
    return cv


def main():
    captures = [
        build(Tunnel("tunnel_ipip", ipip)),
        build(Tunnel("tunnel_gre", gre)),
        build(Tunnel("tunnel_vxlan", vxlan)),
        build(Tunnel("same_port_hash_collision", ipip_none, client="10.1.48.1",
                     server="10.1.109.179", cport=5000, sport=5000)),
        gtp_over_tcp(),
    ]
    for cv in captures:
        cv.write()


def ipip_none(inner, fc):
    return Ether(**MAC) / inner


if __name__ == "__main__":
    main()
