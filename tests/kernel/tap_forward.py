#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A link with a one-way delay between two network namespaces, for
tests/kernel/make_corpus.py (root, Python 3 stdlib only).

    tap_forward.py NS_A DEV_A NS_B DEV_B DELAY_S

Creates a TAP device DEV_A in namespace NS_A and DEV_B in NS_B (Ethernet
frames, no packet-info header: captures on them have the veth captures' link
type, so they merge into one pcap file), prints "ready" and then copies
every frame read from one device to the other, DELAY_S seconds later.  Why: a veth pair delivers
inside the sender's system call, so two segments sent "at the same time" by
both ends never cross in flight on a veth; behind this forwarder they do
(both FINs of a simultaneous close, a FIN and an RST, two SYNs).

The devices live as long as this process; configure them (addresses, up)
after "ready".  It also ends when its standard input reaches end of file, so
it does not outlive a driver that was killed.  On SIGTERM or SIGINT it prints one line of statistics,
"forwarded N packets, delay MIN .. MAX s" (the delay each packet really got,
select() wakes up late by some 0.1 ms), and exits; the devices go with it.
"""

import ctypes
import fcntl
import heapq
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454ca
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000


def open_tun(ns, dev, libc):
    """the TAP device is created in the network namespace of the caller"""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", dev.encode(), IFF_TAP | IFF_NO_PI))
    finally:
        libc.setns(own, CLONE_NEWNET)
        os.close(own)
        os.close(target)
    return fd


def main():
    ns_a, dev_a, ns_b, dev_b, delay = sys.argv[1:6]
    delay = float(delay)
    libc = ctypes.CDLL(None, use_errno=True)
    fa = open_tun(ns_a, dev_a, libc)
    fb = open_tun(ns_b, dev_b, libc)
    other = {fa: fb, fb: fa}
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    try:
        # on a busy machine a normal process wakes up milliseconds late; the
        # loop sleeps in select(), so real-time priority costs nothing
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (AttributeError, OSError):
        pass
    print("ready", flush=True)
    queue = []          # (due, n, fd, packet)
    n = 0
    got = []            # delays really given
    while not stop:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 0.5
        try:
            ready, _, _ = select.select([fa, fb, 0], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        if 0 in ready:
            if not os.read(0, 4096):
                break       # the driver is gone
            ready.remove(0)
        for fd in ready:
            pkt = os.read(fd, 65536)
            heapq.heappush(queue, (now + delay, n, other[fd], pkt, now))
            n += 1
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, fd, pkt, t_in = heapq.heappop(queue)
            try:
                os.write(fd, pkt)
            except OSError:
                pass        # device down: nothing to deliver to
            got.append(time.monotonic() - t_in)
    print("forwarded %d packets, delay %.6f .. %.6f s" %
          (len(got), min(got) if got else 0, max(got) if got else 0), flush=True)


if __name__ == "__main__":
    main()
