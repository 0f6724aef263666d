#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab: half-close. The client calls shutdown(SHUT_WR) and keeps reading while
the server, in CLOSE_WAIT, goes on sending."""
import socket
import tcplab


def main():
    a = tcplab.arguments(__doc__).parse_args()
    ls = tcplab.listener(port=a.port)
    with tcplab.Capture(a.capture, ls.getsockname()[1]):
        c, s, cp, sp = tcplab.pair(ls)
        c.sendall(b"request\n")
        c.shutdown(socket.SHUT_WR)
        tcplab.show("client shutdown(SHUT_WR)", cp, sp)
        first = repr(s.recv(100))
        print(tcplab.t("server recv() returns {first} then {second}", first=first, second=repr(s.recv(100))))
        for part in (b"first part of the answer\n", b"second part\n"):
            s.sendall(part)
            tcplab.show(tcplab.t("server sends {n} bytes", n=len(part)), cp, sp)
            print(tcplab.t("client recv() returns {data}", data=repr(c.recv(100))))
        s.close()
        tcplab.show("server close()", cp, sp)
        c.close()
        ls.close()


if __name__ == "__main__":
    main()
