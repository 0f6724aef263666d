#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab (instructors): which setting lets a client reopen a 4-tuple its own
TIME_WAIT still holds? The client closes first, then a new client socket
connects to the same server from the same port, under each combination of
net.ipv4.tcp_timestamps, net.ipv4.tcp_tw_reuse and SO_REUSEADDR.

It writes sysctls, so run it in a network namespace of its own, where it
changes nothing else (no root needed where user namespaces are allowed):
    unshare -rn sh -c 'ip link set lo up && python3 docs/course/labs/tw_reuse.py'
"""
import errno
import socket
import sys
import time

HOST = "127.0.0.1"


def sysctl(name, value):
    with open("/proc/sys/net/ipv4/" + name, "w") as f:
        f.write(value)


def attempt(i, timestamps, tw_reuse, bind, reuseaddr):
    # A single ephemeral port, new for each attempt: a connect() with no bind()
    # must take the port its TIME_WAIT holds.
    sysctl("ip_local_port_range", "%d %d" % (40000 + i, 40000 + i))
    sysctl("tcp_timestamps", str(timestamps))
    sysctl("tcp_tw_reuse", str(tw_reuse))
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, 8080 + i))
    ls.listen()
    server = (HOST, ls.getsockname()[1])
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.connect(server)
    port = c.getsockname()[1]
    s, _ = ls.accept()
    c.sendall(b"x")
    s.recv(1)
    c.close()                  # the client closes first: its end goes to TIME_WAIT
    s.recv(1)
    s.close()
    time.sleep(1.1)            # tcp_tw_reuse wants the last timestamp over 1 s old
    n = socket.socket()
    if reuseaddr:
        n.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        if bind:
            n.bind((HOST, port))
        n.connect(server)
        result = "connect() succeeds" if n.getsockname()[1] == port else "another port?!"
    except OSError as e:
        result = f"{'bind()' if bind and e.errno == errno.EADDRINUSE else 'connect()'} fails: " \
                 f"{errno.errorcode[e.errno]}"
    n.close()
    ls.close()
    return result


def main():
    try:
        sysctl("tcp_tw_reuse", "0")
    except OSError as e:
        sys.exit(f"cannot write sysctls ({e.strerror}): run it in its own network namespace, "
                 "see --help")
    print("timestamps  tw_reuse  new socket                        result")
    for i, (ts, reuse, bind, reuseaddr) in enumerate([(1, 0, True, False), (1, 0, True, True),
                                       (0, 0, True, True), (0, 1, True, True),
                                       (1, 0, False, False), (1, 1, False, False)]):
        how = ("bind() to the port, " + ("SO_REUSEADDR" if reuseaddr else "no option")) \
            if bind else "no bind(): the kernel picks"
        print(f"{ts:<11} {reuse:<9} {how:33} {attempt(i, ts, reuse, bind, reuseaddr)}")


if __name__ == "__main__":
    main()
