#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write captures/crafted/websocket_upgrade.pcap: two HTTP/1.1 connections
to one server, each with a handshake, a request and a response.

  - connection 1 (client port 40001): `Upgrade: websocket`, answered by
    `101 Switching Protocols`, one WebSocket frame each way, then the
    *client* closes the TCP connection first (the opposite of what RFC 6455
    §7.1.1 asks for; the kernel capture websocket.pcapng has the server do it);
  - connection 2 (client port 40002): a plain GET answered by `200 OK`, no
    upgrade, the server closes first.

    /usr/bin/python3 tests/upgrade/make_crafted_upgrade.py   # from the repo root

Needs Debian's python3-scapy. Fixed timestamps and addresses: the output is
byte-for-byte reproducible.
"""
import os

from scapy.all import Ether, IP, TCP, Raw, wrpcap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "captures", "crafted", "websocket_upgrade.pcap")
CLIENT, SERVER, SPORT = "192.0.2.10", "198.51.100.20", 80

UPGRADE_REQ = (b"GET /chat HTTP/1.1\r\nHost: server.example\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
UPGRADE_RESP = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
PLAIN_REQ = b"GET / HTTP/1.1\r\nHost: server.example\r\n\r\n"
PLAIN_RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
WS_CLIENT = bytes([0x81, 0x82, 1, 2, 3, 4]) + bytes(a ^ b for a, b in zip(b"hi", b"\x01\x02"))
WS_SERVER = bytes([0x81, 0x02]) + b"ho"


def conversation(cport, t, req, resp, after, client_closes):
    """Packets of one connection from time t; after: (sender, payload) pairs."""
    pkts = []
    seq = {"c": 1000, "s": 5000}

    def send(who, flags, payload=b""):
        nonlocal t
        other = "s" if who == "c" else "c"
        src, dst = (CLIENT, SERVER) if who == "c" else (SERVER, CLIENT)
        sp, dp = (cport, SPORT) if who == "c" else (SPORT, cport)
        ack = seq[other] if "A" in flags else 0
        macs = ("02:00:00:00:00:0a", "02:00:00:00:00:14")
        esrc, edst = macs if who == "c" else macs[::-1]
        p = Ether(src=esrc, dst=edst) / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags,
                                                seq=seq[who], ack=ack, window=64240)
        if payload:
            p = p / Raw(payload)
        p.time = t
        t += 0.01
        pkts.append(p)
        seq[who] += len(payload) + (1 if ("S" in flags or "F" in flags) else 0)

    send("c", "S")
    send("s", "SA")
    send("c", "A")
    send("c", "PA", req)
    send("s", "PA", resp)
    for who, payload in after:
        send(who, "PA", payload)
    first, second = ("c", "s") if client_closes else ("s", "c")
    send(first, "FA")
    send(second, "A")
    send(second, "FA")
    send(first, "A")
    return pkts


def main():
    pkts = conversation(40001, 1.0, UPGRADE_REQ, UPGRADE_RESP,
                        [("c", WS_CLIENT), ("s", WS_SERVER)], client_closes=True)
    pkts += conversation(40002, 2.0, PLAIN_REQ, PLAIN_RESP, [], client_closes=False)
    wrpcap(OUT, pkts)
    print("wrote", os.path.relpath(OUT, ROOT), len(pkts), "packets")


if __name__ == "__main__":
    main()
