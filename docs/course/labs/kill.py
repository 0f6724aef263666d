#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab: a killed process. A child process holds the client socket and is killed
with SIGKILL. The kernel closes its socket as close() would: a FIN, or a RST if
data it never read was left in its receive buffer (--unread)."""
import os
import signal
import time
import tcplab


def main():
    ap = tcplab.arguments(__doc__)
    ap.add_argument("--unread", action="store_true",
                    help="the server sends data the child never reads before it dies")
    a = ap.parse_args()
    ls = tcplab.listener(port=a.port)
    with tcplab.Capture(a.capture, ls.getsockname()[1]):
        c, s, cp, sp = tcplab.pair(ls)
        pid = os.fork()
        if pid == 0:               # the child: holds the client socket, does nothing
            time.sleep(60)
            os._exit(0)
        c.close()                  # now only the child holds the client socket
        if a.unread:
            s.sendall(b"data the client never reads\n")
        tcplab.show("client process running", cp, sp)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        tcplab.show("client process killed", cp, sp)
        try:
            print(tcplab.t("server recv() returns {data}", data=repr(s.recv(100))))
        except ConnectionResetError as e:
            print(tcplab.t("server recv() fails: {err}", err=e.strerror if tcplab.LANG == "en" else tcplab.err(e)))
        s.close()
        ls.close()


if __name__ == "__main__":
    main()
