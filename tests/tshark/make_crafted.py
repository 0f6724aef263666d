#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the crafted test captures and, beside each, the expected tcpstate
values for every frame, authored by hand here next to the packets.

    /usr/bin/python3 tests/tshark/make_crafted.py   # from the repo root

Writes captures/crafted/<name>.pcap and tests/tshark/expected/<name>.tsv.
Needs Debian's python3-scapy. Timestamps and addresses are fixed, so the
output is byte-for-byte reproducible.

Each expectation is one string:
    "C:PREV>NEW S:STATE  PHASE  [hs=N] [td=N[,N]] [mid] [lost] [none]"
The summary part is exactly tcpstate.summary; `lost` means tcpstate.lost
is set under `tshark -2` (it cannot be known in a single pass); `none`
means the frame must carry no tcpstate annotation at all.
"""
import os
import sys

from scapy.all import (Ether, IP, IPv6, TCP, ICMP, Raw, wrpcap)  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPS = os.path.join(ROOT, "captures", "crafted")
EXPECTED = os.path.join(ROOT, "tests", "tshark", "expected")

CLIENT, SERVER = "192.0.2.10", "198.51.100.20"
CLIENT6, SERVER6 = "2001:db8::10", "2001:db8::20"
CPORT, SPORT = 40000, 80

# Zeek's conn_state, history and tcpstate.closer after each frame (reviewed
# against Zeek's rules, docs/zeek.md), and the connection each frame belongs
# to: the final.* values are those of the connection's last frame, unless
# its last frame says "final=CLIENT,SERVER" (it ended after that frame: a
# new SYN ended its TIME_WAIT, or hindsight shows the server gave up or
# the client never took the SYN/ACK; docs/semantics.md).
ZEEK = {
    "out_of_order_fin": [
        "S0 S - 1", "S1 Sh - 1", "S1 ShA - 1", "S1 ShAD - 1", "S2 ShADF CLIENT 1",
        "S2 ShADFa CLIENT 1", "S2 ShADFaT CLIENT 1", "S2 ShADFaT CLIENT 1",
        "SF ShADFaTf CLIENT 1", "SF ShADFaTf CLIENT 1",
    ],
    # The SYN found by its SYN/ACK to open a new connection stays in the old
    # one's Zeek record: the connection analysis starts at the SYN/ACK.
    "reuse_unseen_close": [
        "S0 S - 1", "S1 Sh - 1", "S1 ShA - 1", "S1 ShAD - 1", "S1 ShADa - 1",
        "S1 ShADa - 1", "OTH ^h - 2", "S1 ^hA - 2", "S0 S - 3", "S1 Sh - 3",
    ],
    "old_lost_final_ack": [
        "S0 S - 1", "S1 Sh - 1", "S1 ShA - 1", "S2 ShAF CLIENT 1", "S2 ShAFa CLIENT 1",
        "SF ShAFaf CLIENT 1", "SF ShAFaf CLIENT 1", "SF ShAFaf CLIENT 1", "SF ShAFaf CLIENT 1",
    ],
    "basic_client_close": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S1 ShAD - 1",
        "S1 ShADa - 1",
        "S1 ShADad - 1",
        "S1 ShADad - 1",
        "S2 ShADadF CLIENT 1",
        "S2 ShADadF CLIENT 1",
        "SF ShADadFf CLIENT 1",
        "SF ShADadFf CLIENT 1",
    ],
    "fin_with_data_half_close": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S2 ShAF CLIENT 1",
        "S2 ShAFa CLIENT 1",
        "S2 ShAFad CLIENT 1",
        "S2 ShAFad CLIENT 1",
        "S2 ShAFad CLIENT 1",
        "SF ShAFadf CLIENT 1",
        "SF ShAFadf CLIENT 1",
    ],
    "icmp_quoted": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "-",
        "S1 ShAD - 1",
    ],
    "ipv6_basic": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S2 ShAF CLIENT 1",
        "SF ShAFf CLIENT 1",
        "SF ShAFf CLIENT 1",
    ],
    "lost_final_ack": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S2 ShAF CLIENT 1",
        "S2 ShAFa CLIENT 1",
        "SF ShAFaf CLIENT 1",
        "SF ShAFaf CLIENT 1",
        "SF ShAFaf CLIENT 1",
        "SF ShAFaf CLIENT 1",
    ],
    "lost_synack": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 Sh - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
    ],
    "midstream": [
        "OTH ^d - 1",
        "OTH ^dA - 1",
        "SH ^dAF CLIENT 1",
        "SF ^dAFf CLIENT 1",
        "SF ^dAFf CLIENT 1",
    ],
    "port_reuse": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S2 ShAF CLIENT 1",
        "SF ShAFf CLIENT 1",
        "SF ShAFf CLIENT 1 final=CLOSED,CLOSED",   # frame 7's SYN ends the TIME_WAIT
        "S0 S - 2",
        "S1 Sh - 2",
        "S1 ShA - 2",
    ],
    "refused": [
        "S0 S - 1",
        "REJ Sr - 1",   # refused: never open, nobody closed it
    ],
    "retransmitted_syn_synack": [
        "S0 S - 1",
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "RSTO ShAR CLIENT 1",
    ],
    "rst_window": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "RSTR ShAr - 1",
        "RSTR ShArD - 1",
        "RSTR ShArDr SERVER 1",
    ],
    "server_close_first": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShD - 1",
        "S3 ShDf SERVER 1",
        "S3 ShDfA SERVER 1",
        "SF ShDfAF SERVER 1",
        "SF ShDfAFa SERVER 1",
    ],
    "simultaneous_close": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S2 ShAF CLIENT 1",
        "SF ShAFf CLIENT 1",
        "SF ShAFf CLIENT 1",
        "SF ShAFfa CLIENT 1",
    ],
    "simultaneous_open": [
        "S0 S - 1",
        "S1 Ss - 1",
        "S1 Ss - 1",
        "S1 Ss - 1",
        "S1 SsD - 1",
    ],
    "three_segment_close": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S2 ShAF CLIENT 1",
        "SF ShAFf CLIENT 1",
        "SF ShAFf CLIENT 1",
    ],
    "time_wait_expiry": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S2 ShAF CLIENT 1",
        "SF ShAFf CLIENT 1",
        "SF ShAFf CLIENT 1",
        "SF ShAFfa CLIENT 1",
        "SF ShAFfa CLIENT 1",
    ],
    "truncated": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "-",
        "S1 ShAD - 1",
    ],
    "wraparound": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S1 ShAd - 1",
        "S3 ShAdf SERVER 1",
        "SF ShAdfF SERVER 1",
        "SF ShAdfFa SERVER 1",
    ],
    # Hindsight: the clients never answer their SYN/ACKs (SYN_SENT), and no
    # server retransmits one 1 s on: it gave up (LISTEN).
    "syn_flood": [
        "S0 S - 1",
        "S1 Sh - 1 final=SYN_SENT,LISTEN",
        "S0 S - 2",
        "S1 Sh - 2 final=SYN_SENT,LISTEN",
        "S0 S - 3",
        "S1 Sh - 3",
        "S0 S - 4",
        "S1 Sh - 4 final=SYN_SENT,LISTEN",
        "S0 S - 5",
        "S1 Sh - 5 final=SYN_SENT,LISTEN",
        "S0 S - 6",
        "S1 Sh - 6 final=SYN_SENT,LISTEN",
        "S0 S - 7",
        "S1 Sh - 7 final=SYN_SENT,LISTEN",
        "S0 S - 8",
        "S1 Sh - 8 final=SYN_SENT,LISTEN",
        "S1 ShA - 3",
        "S0 S - 9",
        "S0 S - 10",
    ],
    "close_wait_lingering": [
        "S0 S - 1",  # ··········S·
        "S1 Sh - 1",  # ·······A··S·
        "S1 ShA - 1",  # ·······A····
        "S2 ShAF CLIENT 1",  # ·······A···F
        "S2 ShAFa CLIENT 1",  # ·······A····
        "S0 S - 2",  # ··········S·
        "S1 Sh - 2",  # ·······A··S·
        "S1 ShA - 2",  # ·······A····
        "S2 ShAF CLIENT 2",  # ·······A···F
        "S2 ShAFa CLIENT 2",  # ·······A····
        "S2 ShAFa CLIENT 2",  # ·······A····
        "SF ShAFaf CLIENT 2",  # ·······A···F
        "SF ShAFaf CLIENT 2",  # ·······A····
    ],
    "fin_wait_2_lingering": [
        "S0 S - 1",  # ··········S·
        "S1 Sh - 1",  # ·······A··S·
        "S1 ShA - 1",  # ·······A····
        "S2 ShAF CLIENT 1",  # ·······A···F
        "S2 ShAFa CLIENT 1",  # ·······A····
        "S2 ShAFad CLIENT 1",  # ·······AP···
        "S2 ShAFad CLIENT 1",  # ·······A····
        "S2 ShAFad CLIENT 1",  # ·······AP···
        "SF ShAFadf CLIENT 1",  # ·······A···F
        "SF ShAFadf CLIENT 1",  # ·······A····
    ],
    "reuse_after_time_wait": [
        "S0 S - 1",  # ··········S·
        "S1 Sh - 1",  # ·······A··S·
        "S1 ShA - 1",  # ·······A····
        "S2 ShAF CLIENT 1",  # ·······A···F
        "SF ShAFf CLIENT 1",  # ·······A···F
        "SF ShAFf CLIENT 1 final=CLOSED,CLOSED",  # ·······A····  (TIME_WAIT ran out)
        "S0 S - 2",  # ··········S·
        "S1 Sh - 2",  # ·······A··S·
        "S1 ShA - 2",  # ·······A····
    ],
    "time_wait_assassination": [
        "S0 S - 1",  # ··········S·
        "S1 Sh - 1",  # ·······A··S·
        "S1 ShA - 1",  # ·······A····
        "S2 ShAF CLIENT 1",  # ·······A···F
        "SF ShAFf CLIENT 1",  # ·······A···F
        "SF ShAFf CLIENT 1",  # ·······A····
        "SF ShAFfr CLIENT 1",  # ·········R··
    ],
    "data_after_fin": [
        "S0 S - 1",  # ··········S·
        "S1 Sh - 1",  # ·······A··S·
        "S1 ShA - 1",  # ·······A····
        "S2 ShAF CLIENT 1",  # ·······A···F
        "S2 ShAFD CLIENT 1",  # ·······AP···
    ],
    "bad_handshake_ack": [
        "S0 S - 1",  # ··········S·
        "S1 Sh - 1",  # ·······A··S·
        "RSTO ShR CLIENT 1",  # ·········R··
        "RSTO ShR CLIENT 1",  # ··········S·
        "RSTO ShR CLIENT 1",  # ·······A··S·
        "RSTO ShRA CLIENT 1",  # ·······A····
        "RSTO ShRA CLIENT 1",  # ·······A····
    ],
    "syn_on_established": [
        "S0 S - 1",
        "S1 Sh - 1",
        "S1 ShA - 1",
        "S1 ShA - 1",  # a SYN inside the connection: Zeek rebases, no second S
        "S1 ShAa - 1",
        "RSTO ShAaR CLIENT 1",
        "S0 S - 2",
        "S1 Sh - 2",
        "S1 ShA - 2",
    ],
    "missing_syn": [
        "OTH ^h - 1",  # ·······A··S·
        "S1 ^hA - 1",  # ·······A····
        "S1 ^hAD - 1",  # ·······AP···
        "S3 ^hADf SERVER 1",  # ·······A···F
        "SF ^hADfF SERVER 1",  # ·······A···F
        "SF ^hADfFa SERVER 1",  # ·······A····
    ],
    "synack_backscatter": [
        "OTH ^h - 1",  # ·······A··S·
        "RSTO ^hR CLIENT 1",  # ·········R··
    ],
    "roles_flipped": [
        "OTH ^d - 1",  # ·······AP···
        "OTH ^dA - 1",  # ·······A····
        "OTH ^dAR CLIENT 1",  # ·······A·R··
    ],
}

# Expert infos per frame, other than the per-transition chat: `ex` in one
# pass and two, `ex2` only once the whole capture has been read.
EXPERTS = {
    ("lost_final_ack", 7): "ex=lost",
    ("lost_final_ack", 8): "ex=fin_retransmission,loss_revealed,time_wait_restart",
    ("lost_synack", 2): "ex=lost",
    ("lost_synack", 3): "ex=loss_revealed,syn_retransmission",
    ("lost_synack", 4): "ex=synack_retransmission",
    ("midstream", 1): "ex=midstream",
    ("port_reuse", 7): "ex=reuse_in_time_wait",
    ("refused", 2): "ex=refused",
    ("reuse_unseen_close", 9): "ex2=half_open",
    ("retransmitted_syn_synack", 1): "ex=lost",
    ("retransmitted_syn_synack", 2): "ex=loss_revealed,syn_retransmission",
    ("retransmitted_syn_synack", 4): "ex=synack_retransmission",
    ("rst_window", 4): "ex=rst_out_of_window",
    ("simultaneous_close", 5): "ex=simultaneous_close",
    ("simultaneous_open", 2): "ex=simultaneous_open",
    ("time_wait_expiry", 7): "ex=from_closed",
    ("time_wait_expiry", 8): "ex=from_closed,time_wait_expired",
}


class Conv:
    """Builds one capture: a list of (packet, expectation)."""

    def __init__(self, name, t0=1700000000.0, v6=False, cport=CPORT, sport=SPORT, options=""):
        self.name, self.t, self.v6 = name, t0, v6
        self.cport, self.sport = cport, sport
        self.options = options    # tshark options the checks run with
        self.rows = []

    def _pkt(self, from_client, flags, seq, ack, data, cport=None):
        src, dst = (CLIENT6, SERVER6) if self.v6 else (CLIENT, SERVER)
        if not from_client:
            src, dst = dst, src
        ip = IPv6(src=src, dst=dst) if self.v6 else IP(src=src, dst=dst)
        cport = cport or self.cport
        sp = cport if from_client else self.sport
        dp = self.sport if from_client else cport
        tcp = TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=64240)
        p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip / tcp
        if data:
            p = p / Raw(data)
        return p

    def add(self, pkt, expect, gap=0.01, from_client=None, live=""):
        """live: on a frame that hindsight revises, what one pass shows
        (with its experts); expect is then what -2 shows."""
        self.t += gap
        pkt.time = self.t
        self.rows.append((pkt, expect, from_client, live))

    def c(self, flags, seq, ack=0, data=b"", expect="", gap=0.01, port=None, live=""):
        self.add(self._pkt(True, flags, seq, ack, data, port), expect, gap, True, live)

    def s(self, flags, seq, ack=0, data=b"", expect="", gap=0.01, port=None, live=""):
        self.add(self._pkt(False, flags, seq, ack, data, port), expect, gap, False, live)

    def write(self, doc=""):
        os.makedirs(CAPS, exist_ok=True)
        os.makedirs(EXPECTED, exist_ok=True)
        path = os.path.join(CAPS, self.name + ".pcap")
        wrpcap(path, [p for p, _, _, _ in self.rows])
        os.chmod(path, 0o644)
        zeek = ZEEK.get(self.name, [])
        with open(os.path.join(EXPECTED, self.name + ".tsv"), "w") as f:
            if self.options:
                f.write("# options: %s\n" % self.options)
            f.write("# frame\tfrom_client\texpectation\tzeek conn_state, history, closer, connection"
                    "\t[one pass, where hindsight revises the frame]\n")
            for i, (p, e, from_client, live) in enumerate(self.rows, 1):
                fc = "-" if from_client is None or e == "none" else ("1" if from_client else "0")
                if (self.name, i) in EXPERTS:
                    e += " " + EXPERTS[(self.name, i)]
                f.write("%d\t%s\t%s\t%s%s\n" % (i, fc, e, zeek[i - 1] if i <= len(zeek) else "-",
                                                  "\t" + live if live else ""))


def handshake(cv, data_on_third=False):
    cv.c("S", 1000, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("SA", 5000, 1001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    if data_on_third:
        cv.c("PA", 1001, 5001, b"hello",
             expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    else:
        cv.c("A", 1001, 5001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")


def basic_client_close():
    """Handshake, one request and response, the client closes first: the four-segment teardown."""
    cv = Conv("basic_client_close")
    handshake(cv)
    cv.c("PA", 1001, 5001, b"GET / HTTP/1.0\r\n\r\n", expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.s("A", 5001, 1019, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.s("PA", 5001, 1019, b"HTTP/1.0 200 OK\r\n\r\n", expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("A", 1019, 5020, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("FA", 1019, 5020, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("A", 5020, 1020, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    cv.s("FA", 5020, 1020, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", 1020, 5021, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def server_close_first():
    """Data on the third handshake segment; the server closes first."""
    cv = Conv("server_close_first")
    handshake(cv, data_on_third=True)
    cv.s("FA", 5001, 1006, expect="C:ESTABLISHED>CLOSE_WAIT S:ESTABLISHED>FIN_WAIT_1 TEARDOWN td=1")
    cv.c("A", 1006, 5002, expect="C:CLOSE_WAIT S:FIN_WAIT_1>FIN_WAIT_2 TEARDOWN td=2")
    cv.c("FA", 1006, 5002, expect="C:CLOSE_WAIT>LAST_ACK S:FIN_WAIT_2>TIME_WAIT TEARDOWN td=3")
    cv.s("A", 5002, 1007, expect="C:LAST_ACK>CLOSED S:TIME_WAIT TEARDOWN td=4")
    return cv


def refused():
    """A SYN to a closed port answered by RST/ACK: a refused connection."""
    cv = Conv("refused", sport=7)
    # Hindsight: the RST, not a SYN/ACK, shows nothing listened.
    cv.c("S", 1000, expect="C:CLOSED>SYN_SENT S:CLOSED HANDSHAKE hs=1",
         live="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("RA", 0, 1001, expect="C:SYN_SENT>CLOSED S:CLOSED RESET")
    return cv


def retransmitted_syn_synack():
    """The SYN and the SYN/ACK each sent twice: no repeated transitions; then the client aborts with RST."""
    cv = Conv("retransmitted_syn_synack")
    # The SYN sent again with no SYN/ACK since: the first was never taken.
    cv.c("S", 1000, expect="C:CLOSED>SYN_SENT S:LISTEN HANDSHAKE hs=1 lost",
         live="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.c("S", 1000, expect="C:SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1", gap=1.0)
    cv.s("SA", 5000, 1001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.s("SA", 5000, 1001, expect="C:ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2", gap=1.0)
    cv.c("A", 1001, 5001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    cv.c("RA", 1001, 5001, expect="C:ESTABLISHED>CLOSED S:ESTABLISHED>CLOSED RESET")
    return cv


def lost_synack():
    """The SYN/ACK is on the wire but never reaches the client."""
    cv = Conv("lost_synack")
    cv.c("S", 1000, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("SA", 5000, 1001, expect="C:SYN_SENT S:SYN_RCVD HANDSHAKE hs=2 lost",
         live="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("S", 1000, expect="C:SYN_SENT S:SYN_RCVD HANDSHAKE hs=1", gap=1.0)
    cv.s("SA", 5000, 1001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 1001, 5001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    return cv


def three_segment_close():
    """The second FIN rides on the ACK of the first (teardown steps 2 and 3 on one segment)."""
    cv = Conv("three_segment_close")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def fin_with_data_half_close():
    """A FIN riding on data, then a half-close: the passive side keeps sending before it closes."""
    cv = Conv("fin_with_data_half_close")
    handshake(cv)
    cv.c("FPA", 1001, 5001, b"last words", expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("A", 5001, 1012, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    cv.s("PA", 5001, 1012, b"x" * 100, expect="C:FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN")
    cv.c("A", 1012, 5101, expect="C:FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN")
    cv.s("PA", 5101, 1012, b"y" * 100, expect="C:FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN")
    cv.s("FA", 5201, 1012, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", 1012, 5202, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def simultaneous_close():
    """Both FINs cross (RFC 9293 figure 13): both ends go through CLOSING to TIME_WAIT."""
    cv = Conv("simultaneous_close")
    handshake(cv)
    # Hindsight: the server takes the client's FIN only after sending its own,
    # and its close() shows on its own FIN (prev FIN_WAIT_1: the state it
    # entered by sending it, the crossing-segment rule).
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED TEARDOWN td=1",
         live="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("FA", 5001, 1001, expect="C:FIN_WAIT_1>CLOSING S:FIN_WAIT_1>CLOSING TEARDOWN td=3", gap=0.0001)
    cv.c("A", 1002, 5002, expect="C:CLOSING S:CLOSING>TIME_WAIT TEARDOWN td=4")
    cv.s("A", 5002, 1002, expect="C:CLOSING>TIME_WAIT S:TIME_WAIT TEARDOWN td=2")
    return cv


def simultaneous_open():
    """Both ends send a bare SYN (RFC 9293 figure 7): SYN_SENT, SYN_RCVD, ESTABLISHED on both sides."""
    cv = Conv("simultaneous_open", cport=5001, sport=5002)
    # Hindsight: nothing listened, and the server's connect() shows on its own
    # SYN (prev SYN_SENT: the state it entered by sending it).
    cv.c("S", 1000, expect="C:CLOSED>SYN_SENT S:CLOSED HANDSHAKE hs=1",
         live="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("S", 5000, expect="C:SYN_SENT>SYN_RCVD S:SYN_SENT>SYN_RCVD HANDSHAKE hs=1", gap=0.0001)
    cv.c("SA", 1000, 5001, expect="C:SYN_RCVD S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=2")
    cv.s("SA", 5000, 1001, expect="C:SYN_RCVD>ESTABLISHED S:ESTABLISHED HANDSHAKE hs=2", gap=0.0001)
    cv.c("PA", 1001, 5001, b"hi", expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    return cv


def lost_final_ack():
    """The client's final ACK never reaches the server: the server sends its
    FIN again, which restarts the client's TIME_WAIT."""
    cv = Conv("lost_final_ack")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("A", 5001, 1002, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK TEARDOWN lost",
         live="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    cv.s("FA", 5001, 1002, expect="C:TIME_WAIT S:LAST_ACK TEARDOWN td=3", gap=0.2)
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def time_wait_expiry():
    """TIME_WAIT still holds 59 s after it began and has expired 61 s after (MSL 30 s)."""
    cv = Conv("time_wait_expiry")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    # 59 s after TIME_WAIT began: it still holds
    cv.s("A", 5002, 1002, expect="C:TIME_WAIT S:CLOSED TEARDOWN", gap=58.98)
    # 61 s after: both CLOSED
    cv.s("A", 5002, 1002, expect="C:CLOSED S:CLOSED CLOSED", gap=2.0)
    return cv


def rst_window():
    """An in-window RST ends the connection; one far outside is ignored."""
    cv = Conv("rst_window")
    handshake(cv)
    cv.s("R", 900000, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("PA", 1001, 5001, b"still here", expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.s("R", 5001, expect="C:ESTABLISHED>CLOSED S:ESTABLISHED>CLOSED RESET")
    return cv


def midstream():
    """The capture starts after the handshake; roles from the ports."""
    cv = Conv("midstream", sport=443)
    cv.s("PA", 7000, 3000, b"z" * 50, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER mid")
    cv.c("A", 3000, 7050, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER mid")
    cv.c("FA", 3000, 7050, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1 mid")
    cv.s("FA", 7050, 3001, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3 mid")
    cv.c("A", 3001, 7051, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4 mid")
    return cv


def port_reuse():
    """A new SYN on the same 4-tuple while the client's TIME_WAIT holds."""
    cv = Conv("port_reuse")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    cv.c("S", 80000, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1", gap=1.0)
    cv.s("SA", 90000, 80001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 80001, 90001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    return cv


def icmp_quoted():
    """A TCP header inside an ICMP error is not a segment of the connection."""
    cv = Conv("icmp_quoted")
    handshake(cv)
    inner = IP(src=CLIENT, dst=SERVER) / TCP(sport=CPORT, dport=SPORT, flags="FA", seq=1001, ack=5001)
    err = (Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:01") /
           IP(src="203.0.113.1", dst=CLIENT) / ICMP(type=3, code=4, nexthopmtu=1400) / inner)
    cv.add(err, "none")
    cv.c("PA", 1001, 5001, b"after", expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    return cv


def wraparound():
    """Sequence numbers that wrap past 2^32 during the connection."""
    cv = Conv("wraparound")
    cv.c("S", 0xFFFFFFFF, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("SA", 0xFFFFFFF0, 0, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 0, 0xFFFFFFF1, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    cv.s("PA", 0xFFFFFFF1, 0, b"w" * 100, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.s("FA", 0x55, 0, expect="C:ESTABLISHED>CLOSE_WAIT S:ESTABLISHED>FIN_WAIT_1 TEARDOWN td=1")
    cv.c("FA", 0, 0x56, expect="C:CLOSE_WAIT>LAST_ACK S:FIN_WAIT_1>TIME_WAIT TEARDOWN td=2,3")
    cv.s("A", 0x56, 1, expect="C:LAST_ACK>CLOSED S:TIME_WAIT TEARDOWN td=4")
    return cv


def ipv6_basic():
    """The three-segment close over IPv6."""
    cv = Conv("ipv6_basic", v6=True)
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def truncated():
    """A header cut by the snaplen gets no annotation; the rest still do."""
    cv = Conv("truncated")
    handshake(cv)
    cut = cv._pkt(True, "PA", 1001, 5001, b"q" * 40)
    raw = bytes(cut)[:14 + 20 + 10]            # Ethernet + IP + 10 bytes of TCP
    cv.add(Ether(raw), "none")
    cv.c("PA", 1001, 5001, b"q" * 40, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    return cv


def syn_flood():
    """Eight handshakes to one server endpoint within a second, answered and not
    completed. With syn_flood_count 5, the sixth SYN onward is a suspected
    flood. Then the third handshake completes, so a ninth SYN counts eight
    half-open (still a flood); a tenth, 11 s later, finds the window empty.
    Under -2 every answered SYN whose handshake never completed is half-open;
    its client never answered the SYN/ACK, so it stays SYN_SENT, and its
    server, which sends no SYN/ACK again 1 s on, gave up (final state
    LISTEN). The last two SYNs, which nothing answers, leave the server in
    LISTEN."""
    cv = Conv("syn_flood", options="-o tcpstate.syn_flood_count:5")
    for i in range(8):
        port = 41000 + i
        flood = " ex=syn_flood" if i >= 5 else ""
        half = "" if i == 2 else " ex2=half_open"
        cv.c("S", 1000 + i, port=port, gap=0.05,
             expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1" + flood + half)
        if i == 2:      # this client answers (below)
            cv.s("SA", 9000 + i, 1001 + i, port=port, gap=0.001,
                 expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
        else:
            cv.s("SA", 9000 + i, 1001 + i, port=port, gap=0.001,
                 expect="C:SYN_SENT S:SYN_RCVD HANDSHAKE hs=2",
                 live="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 1003, 9003, port=41002, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    # Hindsight: no SYN/ACK ever answers these two (the end of the capture).
    cv.c("S", 1008, port=41008, gap=0.05,
         expect="C:CLOSED>SYN_SENT S:LISTEN HANDSHAKE hs=1 ex=syn_flood",
         live="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1 ex=syn_flood")
    cv.c("S", 1009, port=41009, gap=11.0,
         expect="C:CLOSED>SYN_SENT S:LISTEN HANDSHAKE hs=1",
         live="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    return cv


def close_wait_lingering():
    """The server takes the client's FIN and does not close for 70 s (a keep-alive
    of its own shows it alive after 65 s); a second connection's server never
    closes before the capture ends. CLOSE_WAIT threshold 60 s."""
    cv = Conv("close_wait_lingering", options="-o tcpstate.fin_wait_2_seconds:1000")
    p2 = 40001
    cv.c("S", 3000, port=p2, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("SA", 7000, 3001, port=p2, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 3001, 7001, port=p2, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    cv.c("FA", 3001, 7001, port=p2, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1 ex2=close_wait_lingering")
    cv.s("A", 7001, 3002, port=p2, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1 ex2=close_wait_lingering")
    cv.s("A", 5001, 1002, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    cv.s("A", 5000, 1002, gap=65.0, expect="C:FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN ex=close_wait_lingering")
    cv.s("FA", 5001, 1002, gap=5.0, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def fin_wait_2_lingering():
    """The client half-closes; the server keeps sending for 66 s before its FIN,
    so the client sits in FIN_WAIT_2. FIN_WAIT_2 threshold 60 s."""
    cv = Conv("fin_wait_2_lingering", options="-o tcpstate.close_wait_seconds:1000")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("A", 5001, 1002, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2 ex2=fin_wait_2_lingering")
    cv.s("PA", 5001, 1002, b"a" * 10, gap=30.0, expect="C:FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN")
    cv.c("A", 1002, 5011, expect="C:FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN")
    cv.s("PA", 5011, 1002, b"b" * 10, gap=35.0, expect="C:FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN ex=fin_wait_2_lingering")
    cv.s("FA", 5021, 1002, gap=1.0, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", 1002, 5022, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def reuse_after_time_wait():
    """The same 4-tuple opens again 61 s after the client entered TIME_WAIT."""
    cv = Conv("reuse_after_time_wait")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    cv.c("S", 70000, gap=61.0, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1 ex=reuse_after_time_wait")
    cv.s("SA", 80000, 70001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 70001, 80001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    return cv


def time_wait_assassination():
    """A RST from the closed server reaches the client in TIME_WAIT (RFC 1337)."""
    cv = Conv("time_wait_assassination")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    cv.s("R", 5002, gap=1.0, expect="C:TIME_WAIT>CLOSED S:CLOSED RESET ex=time_wait_assassination")
    return cv


def data_after_fin():
    """The client sends data beyond its own FIN."""
    cv = Conv("data_after_fin")
    handshake(cv)
    cv.c("FA", 1001, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.c("PA", 1002, 5001, b"too late", expect="C:FIN_WAIT_1 S:CLOSE_WAIT TEARDOWN ex=data_after_fin")
    return cv


def bad_handshake_ack():
    """RFC 9293 figure 9: the server answers an old duplicate SYN, so its SYN/ACK
    acknowledges the wrong number; the client's RST (SEQ = that ACK) sends the
    server back to LISTEN; the client's SYN again, a fresh SYN/ACK, a third
    ACK for the old ISN (rejected) and the right one."""
    cv = Conv("bad_handshake_ack")
    cv.c("S", 1000, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("SA", 5000, 91, expect="C:SYN_SENT S:SYN_RCVD HANDSHAKE hs=2 ex=bad_handshake_ack")
    cv.c("R", 91, expect="C:SYN_SENT S:SYN_RCVD>LISTEN HANDSHAKE")
    cv.c("S", 1000, gap=1.0, expect="C:SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1 ex=syn_retransmission")
    cv.s("SA", 6000, 1001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 1001, 5001, expect="C:ESTABLISHED S:SYN_RCVD HANDSHAKE ex=bad_handshake_ack")
    cv.c("A", 1001, 6001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    return cv


def syn_on_established():
    """A client that lost its connection sends a SYN with a new ISN on the live
    4-tuple. It changes no state: the server answers with a challenge ACK
    (RFC 5961), the client's RST answering that resets the old connection,
    and the client's SYN again opens a fresh one. (Wireshark may put the new
    SYN in a new tcp.stream; tcpstate keeps it with the live connection.)"""
    cv = Conv("syn_on_established")
    handshake(cv)
    cv.c("S", 777777, gap=1.0, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER ex=syn_in_synchronized")
    cv.s("A", 5001, 1001, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("R", 1001, expect="C:ESTABLISHED>CLOSED S:ESTABLISHED>CLOSED RESET")
    cv.c("S", 777777, gap=1.0, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("SA", 9000, 777778, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 777778, 9001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    return cv


def missing_syn():
    """The capture misses the SYN: it begins with the SYN/ACK."""
    cv = Conv("missing_syn")
    cv.s("SA", 5000, 1001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2 mid ex=midstream")
    cv.c("A", 1001, 5001, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3 mid")
    cv.c("PA", 1001, 5001, b"hello", expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER mid")
    cv.s("FA", 5001, 1006, expect="C:ESTABLISHED>CLOSE_WAIT S:ESTABLISHED>FIN_WAIT_1 TEARDOWN td=1 mid")
    cv.c("FA", 1006, 5002, expect="C:CLOSE_WAIT>LAST_ACK S:FIN_WAIT_1>TIME_WAIT TEARDOWN td=2,3 mid")
    cv.s("A", 5002, 1007, expect="C:LAST_ACK>CLOSED S:TIME_WAIT TEARDOWN td=4 mid")
    return cv


def synack_backscatter():
    """A lone SYN/ACK answered by a RST: backscatter of a SYN flood with a spoofed
    source, seen at the spoofed host."""
    cv = Conv("synack_backscatter")
    cv.s("SA", 5000, 1001, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2 mid ex=midstream")
    cv.c("R", 1001, expect="C:ESTABLISHED>CLOSED S:SYN_RCVD>LISTEN RESET mid")
    return cv


def roles_flipped():
    """Midstream on two unprivileged ports; the server (8080) speaks first, so
    the first segment is the responder's."""
    cv = Conv("roles_flipped", cport=50000, sport=8080)
    cv.s("PA", 7000, 3000, b"x" * 20, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER mid ex=midstream")
    cv.c("A", 3000, 7020, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER mid")
    cv.c("RA", 3000, 7020, expect="C:ESTABLISHED>CLOSED S:ESTABLISHED>CLOSED RESET mid")
    return cv


def out_of_order_fin():
    """Data before the FIN never reaches the server (lost after the capture
    point): its duplicate ACK below the FIN shows the FIN waits in its queue
    (RFC 9293 3.10.7.4), so it stays ESTABLISHED until the data is sent again."""
    cv = Conv("out_of_order_fin")
    handshake(cv)
    cv.c("PA", 1001, 5001, b"x" * 100, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("FA", 1101, 5001, expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED TEARDOWN td=1",
         live="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("A", 5001, 1001, gap=0.2,
         expect="C:FIN_WAIT_1 S:ESTABLISHED TEARDOWN ex=fin_out_of_order")
    cv.c("PA", 1001, 5001, b"x" * 100, expect="C:FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN")
    cv.s("A", 5001, 1102, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    cv.s("FA", 5001, 1102, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", 1102, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


def reuse_unseen_close():
    """The 4-tuple is reused though its close was never captured. After 5 s a
    SYN proves nothing yet (a live connection answers it with a challenge
    ACK), but the SYN/ACK acknowledging it shows both old ends were gone:
    with -2 the SYN is the new connection's first step. Ten minutes later a
    SYN far outside the old sequence space starts one at once."""
    cv = Conv("reuse_unseen_close")
    handshake(cv)
    cv.c("PA", 1001, 5001, b"hi", expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.s("A", 5001, 1003, expect="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER")
    cv.c("S", 777777, gap=5.0, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1",
         live="C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER ex=syn_in_synchronized")
    cv.s("SA", 99999, 777778, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    cv.c("A", 777778, 100000, expect="C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3")
    cv.c("S", 88888888, gap=600.0, expect="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1")
    cv.s("SA", 55555, 88888889, expect="C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2")
    return cv


def old_lost_final_ack():
    """A lost final ACK in a connection 72 minutes old: times no longer
    saturate after 71.6 minutes, so the retransmitted FIN still shows it."""
    cv = Conv("old_lost_final_ack")
    handshake(cv)
    cv.c("FA", 1001, 5001, gap=4320.0,
         expect="C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1")
    cv.s("A", 5001, 1002, expect="C:FIN_WAIT_1>FIN_WAIT_2 S:CLOSE_WAIT TEARDOWN td=2")
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_2>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK TEARDOWN lost ex=lost",
         live="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    cv.s("FA", 5001, 1002, gap=0.2, expect="C:TIME_WAIT S:LAST_ACK TEARDOWN td=3 "
         "ex=fin_retransmission,loss_revealed,time_wait_restart")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    return cv


ALL = [basic_client_close, server_close_first, refused, retransmitted_syn_synack,
       lost_synack, three_segment_close, fin_with_data_half_close, simultaneous_close,
       simultaneous_open, lost_final_ack, time_wait_expiry, rst_window, midstream,
       port_reuse, icmp_quoted, wraparound, ipv6_basic, truncated, syn_flood,
       close_wait_lingering, fin_wait_2_lingering, reuse_after_time_wait,
       time_wait_assassination, data_after_fin, bad_handshake_ack, syn_on_established,
       missing_syn, synack_backscatter, roles_flipped, out_of_order_fin,
       reuse_unseen_close, old_lost_final_ack]


def describe(cv, doc):
    """One capture's section of captures/crafted/README.md."""
    out = ["## %s.pcap" % cv.name, "", " ".join(doc.split()), ""]
    if cv.options:
        out += ["Checked with `%s`." % cv.options, ""]
    out += ["```"]
    for i, (p, e, from_client, live) in enumerate(cv.rows, 1):
        if TCP in p and ICMP not in p and e != "none":
            who = "c>s" if from_client else "s>c"
            flags = str(p[TCP].flags)
            out.append("%3d %s %-4s %s" % (i, who, flags, e))
            if live:
                out.append("             (one pass: %s)" % live)
        else:
            out.append("%3d  -  %-4s %s" % (i, "", "(no annotation: %s)" %
                                           ("ICMP error" if ICMP in p else "cut short")))
    out += ["```", ""]
    return "\n".join(out)


def main():
    only = set(sys.argv[1:])
    sections = []
    for make in ALL:
        cv = make()
        sections.append(describe(cv, make.__doc__ or ""))
        if only and make.__name__ not in only:
            continue
        cv.write()
    with open(os.path.join(CAPS, "README.md"), "w") as f:
        f.write(README_HEAD + "\n".join(sections))


README_HEAD = """# Crafted captures

Written by `/usr/bin/python3 tests/tshark/make_crafted.py` (scapy), which
also writes the expected values of every frame to
`tests/tshark/expected/<name>.tsv`; this file is generated too. Client
192.0.2.10 (2001:db8::10) port 40000, server 198.51.100.20 (2001:db8::20)
port 80 unless stated. These cases are hard or impossible to make the
kernel produce on demand; `../kernel/` holds the real-stack captures.

Each frame line: number, direction, TCP flags, then the expected values:
`tcpstate.summary`, the phase, `hs=` handshake step, `td=` teardown
step(s), `mid` midstream, `lost` marked `tcpstate.lost` under `tshark -2`.

"""


if __name__ == "__main__":
    main()
