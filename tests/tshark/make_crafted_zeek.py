#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the crafted captures that hold tcpstate's Zeek history to Zeek's
own traces, and their expected values (same format as make_crafted.py,
whose helpers this reuses):

    /usr/bin/python3 tests/tshark/make_crafted_zeek.py   # from the repo root

Zeek's traces are binary files in zeek/zeek (testing/btest/Traces/); only
their baselines could be read here, so each capture re-creates the
segments that matter from the baseline conn.log and the btest:

- zeek_miss_end_data: tcp/miss_end_data.pcap (btest core/tcp/miss-end-data;
  conn.log SF ShADafgF, content_gap F 1 2902): the responder's 2902 octets
  were never captured, and the originator acks its FIN.
- zeek_rxmit_truncated: tcp/retransmit-fast009.trace (btest
  core/tcp/rxmit-history; conn.log RSTO ShADaGdgtR, missed_bytes =
  orig_bytes + resp_bytes): every payload cut by the snap length, one
  responder segment sent again, the originator resets.
- zeek_syn_bad: Zeek's "syn-bad" case, a lone SYN whose TCP checksum is
  wrong (conn.log OTH C, weird bad_TCP_checksum as in core/checksums).
- zeek_bad_checksum and zeek_bad_checksum_unchecked: the same packets,
  with a bad TCP checksum on the first SYN and on the first FIN and a bad
  IP checksum on the first SYN/ACK, checked with validation on and off.

The checks run with `-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE`
(the # options line of each expectation), except the _unchecked one.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_crafted as mc  # noqa: E402
from make_crafted import Conv, Ether, IP, TCP  # noqa: E402

CHECKED = "-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE"


def cut(cv):
    """Cut the last packet's payload off (snap length 54), as a capture
    with a short snaplen records it."""
    p, e, fc, live = cv.rows[-1]
    q = Ether(bytes(p)[:54])
    q.wirelen = len(p)
    q.time = p.time
    cv.rows[-1] = (q, e, fc, live)


def corrupt(cv, layer):
    """Give the last packet a wrong IP or TCP checksum."""
    p, e, fc, live = cv.rows[-1]
    p = Ether(bytes(p))
    good = p[layer].chksum
    p[layer].chksum = good ^ 0x5a5a
    p.time = cv.rows[-1][0].time
    cv.rows[-1] = (p, e, fc, live)


HS = ["C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1",
      "C:SYN_SENT>ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2",
      "C:ESTABLISHED S:SYN_RCVD>ESTABLISHED HANDSHAKE hs=3"]
EST = "C:ESTABLISHED S:ESTABLISHED DATA_TRANSFER"


def expect(cv, zeek, experts=None):
    """Zeek's values per frame ('CODE HISTORY CLOSER CONN') and the expert
    infos, into make_crafted's tables that Conv.write reads."""
    mc.ZEEK[cv.name] = zeek
    for frame, ex in (experts or {}).items():
        mc.EXPERTS[(cv.name, frame)] = ex
    return cv


def zeek_miss_end_data():
    cv = Conv("zeek_miss_end_data", cport=60648, options=CHECKED)
    mc.handshake(cv)
    cv.c("PA", 1001, 5001, b"G" * 538, expect=EST)
    cv.s("A", 5001, 1539, expect=EST)
    # The server's 2902 octets were never captured: its FIN is out of order
    # until the client's ACK shows it took everything.
    cv.s("FA", 5001 + 2902, 1539, expect="C:ESTABLISHED S:ESTABLISHED>FIN_WAIT_1 TEARDOWN td=1")
    cv.c("A", 1539, 5001 + 2903,
         expect="C:ESTABLISHED>CLOSE_WAIT S:FIN_WAIT_1>FIN_WAIT_2 TEARDOWN td=2")
    cv.c("FA", 1539, 5001 + 2903,
         expect="C:CLOSE_WAIT>LAST_ACK S:FIN_WAIT_2>TIME_WAIT TEARDOWN td=3")
    cv.s("A", 5001 + 2903, 1540, expect="C:LAST_ACK>CLOSED S:TIME_WAIT TEARDOWN td=4")
    return expect(cv, ["S0 S - 1", "S1 Sh - 1", "S1 ShA - 1", "S1 ShAD - 1", "S1 ShADa - 1",
                       "S3 ShADaf SERVER 1", "S3 ShADafg SERVER 1", "SF ShADafgF SERVER 1",
                       "SF ShADafgF SERVER 1"], {6: "ex=fin_out_of_order"})


def zeek_rxmit_truncated():
    cv = Conv("zeek_rxmit_truncated", cport=50368, options=CHECKED)
    mc.handshake(cv)
    zeek = ["S0 S - 1", "S1 Sh - 1", "S1 ShA - 1"]
    cv.c("PA", 1001, 5001, b"R" * 474, expect=EST)
    cut(cv)
    cv.s("A", 5001, 1475, expect=EST)
    zeek += ["S1 ShAD - 1", "S1 ShADaG - 1"]
    r = 5001
    for i in range(8):
        cv.s("A", r, 1475, b"r" * 1448, expect=EST)
        cut(cv)
        zeek.append("S1 ShADaGd - 1" if i < 2 else "S1 ShADaGdg - 1")
        r += 1448
        if i % 2:
            cv.c("A", 1475, r, expect=EST)
            zeek.append("S1 ShADaGdg - 1")
    cv.s("A", r - 1448, 1475, b"r" * 1448, expect=EST, gap=0.3)   # sent again
    cut(cv)
    cv.c("RA", 1475, r, expect="C:ESTABLISHED>CLOSED S:ESTABLISHED>CLOSED RESET")
    return expect(cv, zeek + ["S1 ShADaGdgt - 1", "RSTO ShADaGdgtR CLIENT 1"])


def zeek_syn_bad():
    cv = Conv("zeek_syn_bad", cport=30000, options=CHECKED)
    cv.c("S", 1000, expect="C:CLOSED S:LISTEN CLOSED")
    corrupt(cv, TCP)
    return expect(cv, ["OTH C - 1"], {1: "ex=bad_checksum"})


def bad_checksum(name, options):
    """Validation on: the three bad segments change nothing; the bad IP
    checksum gives Zeek nothing either. Off: every segment is good."""
    on = bool(options)
    cv = Conv(name, options=options)
    # Off: the SYN sent again a second later shows the first never arrived.
    cv.c("S", 1000, expect="C:CLOSED S:LISTEN CLOSED" if on else
         "C:CLOSED>SYN_SENT S:LISTEN HANDSHAKE hs=1 lost", live="" if on else HS[0])
    corrupt(cv, TCP)
    cv.c("S", 1000, expect=HS[0] if on else "C:SYN_SENT S:LISTEN>SYN_RCVD HANDSHAKE hs=1",
         gap=1.0)
    cv.s("SA", 5000, 1001, expect="C:SYN_SENT S:SYN_RCVD HANDSHAKE" if on else HS[1])
    corrupt(cv, IP)
    cv.s("SA", 5000, 1001, expect=HS[1] if on else "C:ESTABLISHED S:SYN_RCVD HANDSHAKE hs=2",
         gap=1.0)
    cv.c("A", 1001, 5001, expect=HS[2])
    fin = "C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT TEARDOWN td=1"
    cv.c("FA", 1001, 5001, expect=EST if on else fin)
    corrupt(cv, TCP)
    cv.c("FA", 1001, 5001, expect=fin if on else "C:FIN_WAIT_1 S:CLOSE_WAIT TEARDOWN td=1",
         gap=0.2)
    cv.s("FA", 5001, 1002, expect="C:FIN_WAIT_1>TIME_WAIT S:CLOSE_WAIT>LAST_ACK TEARDOWN td=2,3")
    cv.c("A", 1002, 5002, expect="C:TIME_WAIT S:LAST_ACK>CLOSED TEARDOWN td=4")
    if on:
        return expect(cv, ["OTH C - 1", "S0 CS - 1", "S0 CS - 1", "S1 CSh - 1", "S1 CShA - 1",
                           "S1 CShA - 1", "S2 CShAF CLIENT 1", "SF CShAFf CLIENT 1",
                           "SF CShAFf CLIENT 1"],
                      {1: "ex=bad_checksum", 3: "ex=bad_checksum", 6: "ex=bad_checksum"})
    return expect(cv, ["S0 S - 1", "S0 S - 1", "S1 Sh - 1", "S1 Sh - 1", "S1 ShA - 1",
                       "S2 ShAF CLIENT 1", "S2 ShAF CLIENT 1", "SF ShAFf CLIENT 1",
                       "SF ShAFf CLIENT 1"],
                  {1: "ex=lost", 2: "ex=loss_revealed,syn_retransmission",
                   4: "ex=synack_retransmission",
                   7: "ex=fin_retransmission"})


ALL = [zeek_miss_end_data, zeek_rxmit_truncated, zeek_syn_bad,
       lambda: bad_checksum("zeek_bad_checksum", CHECKED),
       lambda: bad_checksum("zeek_bad_checksum_unchecked", "")]


def main():
    for make in ALL:
        make().write()


if __name__ == "__main__":
    main()
