#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab: CLOSE_WAIT piling up. Clients connect and close; the server application
reads the end of file but forgets to close() its sockets."""
import tcplab


def main():
    ap = tcplab.arguments(__doc__)
    ap.add_argument("-n", type=int, default=5, help="connections (default 5)")
    a = ap.parse_args()
    ls = tcplab.listener(port=a.port)
    port = ls.getsockname()[1]
    with tcplab.Capture(a.capture, port):
        pairs = [tcplab.pair(ls) for _ in range(a.n)]
        for c, s, _, _ in pairs:
            c.close()
            s.recv(100)            # b'': end of file... and no close()
        tcplab.show("first connection", pairs[0][2], pairs[0][3])
        print(tcplab.t("server sockets in CLOSE_WAIT: {cw}, client sockets in FIN_WAIT2: {fw}",
                       cw=tcplab.count(pairs, 'server', 'CLOSE_WAIT'), fw=tcplab.count(pairs, 'client', 'FIN_WAIT2')))
        for _, s, _, _ in pairs:
            s.close()              # the fix
        tcplab.show("after the server closes them", pairs[0][2], pairs[0][3])
        print(tcplab.t("server sockets in CLOSE_WAIT: {cw}, client sockets in TIME_WAIT: {tw}",
                       cw=tcplab.count(pairs, 'server', 'CLOSE_WAIT'), tw=tcplab.count(pairs, 'client', 'TIME_WAIT')))
        ls.close()


if __name__ == "__main__":
    main()
