#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab: connect() to a port where nothing listens. The kernel answers the SYN
with a RST, and connect() fails with ECONNREFUSED."""
import socket
import tcplab


def main():
    a = tcplab.arguments(__doc__).parse_args()
    port = a.port
    if not port:                   # a free port: bound, then released, so nothing listens
        probe = socket.socket()
        probe.bind((tcplab.HOST, 0))
        port = probe.getsockname()[1]
        probe.close()
    with tcplab.Capture(a.capture, port):
        c = socket.socket()
        try:
            c.connect((tcplab.HOST, port))
            print(tcplab.t("connected?! something listens on port {port}", port=port))
        except ConnectionRefusedError as e:
            print(tcplab.t("connect() failed: {err}: the SYN was answered by a RST", err=tcplab.err(e)))
        c.close()


if __name__ == "__main__":
    main()
