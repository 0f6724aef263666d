#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab: the three-way handshake and the four-way close on 127.0.0.1.
Prints both sockets' states (from /proc/net/tcp) after each step."""
import tcplab


def main():
    a = tcplab.arguments(__doc__).parse_args()
    ls = tcplab.listener(port=a.port)
    with tcplab.Capture(a.capture, ls.getsockname()[1]):
        c, s, cp, sp = tcplab.pair(ls)
        tcplab.show("after connect() and accept()", cp, sp)
        c.sendall(b"hello from the client\n")
        s.recv(100)
        s.sendall(b"hello from the server\n")
        c.recv(100)
        tcplab.show("after one message each way", cp, sp)
        c.close()
        tcplab.show("client close()", cp, sp)
        print(tcplab.t("server recv() returns {data} (end of file: the client's FIN)", data=repr(s.recv(100))))
        s.close()
        tcplab.show("server close()", cp, sp)
        ls.close()


if __name__ == "__main__":
    main()
