#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab: what SO_REUSEADDR is for. The server closes a connection first, so its
port is held by a socket in TIME_WAIT; a restarted server then binds the same
port without and with SO_REUSEADDR. (Both runs of the server set it on their
listener, as servers do: Linux lets a bind() through only if the socket in
TIME_WAIT had it too.)"""
import socket
import tcplab


def main():
    a = tcplab.arguments(__doc__).parse_args()
    ls = tcplab.listener(reuse=True, port=a.port)
    port = ls.getsockname()[1]
    with tcplab.Capture(a.capture, port):
        c, s, cp, sp = tcplab.pair(ls)
        s.close()                  # the server closes first: it will hold TIME_WAIT
        c.recv(100)
        c.close()
        ls.close()                 # the server stops
        tcplab.show("server closed first, then exited", cp, sp)
        for reuse in (False, True):
            new = socket.socket()
            if reuse:
                new.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                new.bind((tcplab.HOST, port))
                new.listen()
                result = tcplab.t("bind() and listen() succeed")
            except OSError as e:
                result = tcplab.t("bind() fails: {err}", err=tcplab.err(e))
            print(tcplab.t("restart with SO_REUSEADDR: {result}" if reuse else
                           "restart without SO_REUSEADDR: {result}", result=result))
            new.close()


if __name__ == "__main__":
    main()
