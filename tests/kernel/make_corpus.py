#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Ground-truth corpus from the real Linux TCP stack.

For every scenario this script builds two network namespaces (client and
server) joined by a veth pair, drives a client and a server socket through a
scripted exchange, captures the link with tcpdump on the client's veth, and
records what the kernel itself says about both sockets:

  * the transition log of the `sock/inet_sock_set_state` trace event (tracefs,
    in a private tracing instance), plus a few tcp:* events for auditing;
  * `ss -tanoH` inside both namespaces at every checkpoint, taken only after the
    link has been quiet for a while.

The state at a checkpoint is the ss state (ss sees request sockets and
timewait sockets, which the trace event does not).  After the run every
checkpoint is mapped to the last captured frame before it, and written as

    captures/kernel/<scenario>.pcapng
    tests/kernel/truth/<scenario>.truth
    tests/kernel/logs/<scenario>.log

Usage (root, stdlib only):

    sudo python3 tests/kernel/make_corpus.py            # every scenario
    sudo python3 tests/kernel/make_corpus.py refused    # just some
    python3 tests/kernel/make_corpus.py --list

Only addresses inside the two namespaces are ever used (10.200.0.0/24 and
fd00:200::/64).  Namespaces, the tracing instance and tcpdump are always
removed again, also on failure or Ctrl-C.
"""

import argparse
import base64
import bisect
import ctypes
import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tcpstate_states import STATES  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CAPDIR = REPO / "captures" / "kernel"
TRUTHDIR = HERE / "truth"
# A truth file kept in pending/ instead of truth/ is one the plugin still
# contradicts at a knowable checkpoint (kernel.truth reads truth/ only); it
# moves to truth/ with the engine fix (see tests/kernel/README.md).
PENDINGDIR = HERE / "pending"


def truth_path(name):
    p = PENDINGDIR / (name + ".truth")
    return p if p.exists() else TRUTHDIR / (name + ".truth")
LOGDIR = HERE / "logs"

NS = {"client": "tcpstk_client", "server": "tcpstk_server"}
DEV = {"client": "tsk_c", "server": "tsk_s"}
ADDR = {4: {"client": "10.200.0.1", "server": "10.200.0.2"},
        6: {"client": "fd00:200::1", "server": "fd00:200::2"}}
CPORT = 40000          # client port (further clients use 40001, 40002, ...)
SPORT = 8080           # server port
QUIET = 0.3            # default: the link must be silent this long before a checkpoint
# The receiver of a FIN in ESTABLISHED goes CLOSE_WAIT in "pingpong" mode and
# delays its ACK by the delayed-ACK timer (>= 40 ms, TCP_ATO_MIN).  A checkpoint
# with this short quiet time lands inside that window.
QUIET_DELACK = 0.012

TRACEFS = Path("/sys/kernel/tracing")
INSTANCE = TRACEFS / "instances" / "tcpstate_kernel"
TRACE_EVENTS = ["sock/inet_sock_set_state", "tcp/tcp_retransmit_skb",
                "tcp/tcp_retransmit_synack", "tcp/tcp_send_reset",
                "tcp/tcp_receive_reset", "tcp/tcp_destroy_sock"]

SS_STATE = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RCVD",
            "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2",
            "TIME-WAIT": "TIME_WAIT", "CLOSE-WAIT": "CLOSE_WAIT",
            "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING",
            "UNCONN": "CLOSED", "CLOSE": "CLOSED", "CLOSED": "CLOSED"}

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr))
    return r


def clock_offset():
    """(CLOCK_MONOTONIC, CLOCK_REALTIME - CLOCK_MONOTONIC), read as closely together as we can"""
    best = None
    for _ in range(5):
        a = time.monotonic()
        r = time.time()
        b = time.monotonic()
        if best is None or b - a < best[0]:
            best = (b - a, (a + b) / 2, r - (a + b) / 2)
    return best[1], best[2]


def nsx(side, *cmd, **kw):
    return run(["ip", "netns", "exec", NS[side]] + list(cmd), **kw)


def setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


# --------------------------------------------------------------------------
# cleanup of anything this script may have created (also left-overs)

def cleanup_everything():
    if INSTANCE.exists():
        for ev in TRACE_EVENTS:
            p = INSTANCE / "events" / ev / "enable"
            try:
                p.write_text("0")
            except OSError:
                pass
        try:
            (INSTANCE / "tracing_on").write_text("0")
        except OSError:
            pass
        try:
            os.rmdir(INSTANCE)
        except OSError as e:
            log("warning: cannot remove tracing instance %s: %s" % (INSTANCE, e))
    for ns in NS.values():
        if Path("/run/netns", ns).exists():
            run(["ip", "netns", "del", ns], check=False)
    # a veth whose peer was in a deleted namespace disappears with it; be sure
    for dev in DEV.values():
        if Path("/sys/class/net", dev).exists():
            run(["ip", "link", "del", dev], check=False)


# --------------------------------------------------------------------------

class Lab:
    """One run of one scenario."""

    def __init__(self, name, workdir, family=4, sysctl=None, delay=None):
        self.name = name
        self.family = family
        # None: the veth pair; a number: TAP devices behind tap_forward.py
        # with this one-way delay (s), captured on both of them
        self.delay = delay
        self.forwarder = None
        self.fwd_stats = None
        self.workdir = Path(workdir)
        self.sysctl = sysctl or {}
        self.socks = []
        self.checkpoints = []
        self.steps = []
        self.drops = []          # (side, rulename, description)
        self.tcpdumps = {}
        self._orig_ns = None
        self._ns_fd = {}
        self.warnings = []
        self.next_cport = CPORT
        self.final_drops = {}
        self.dropped_frames = {}
        self.required = []       # (port, oldstate, newstate) the trace must show
        self.expect_frames = None  # the number of frames the capture must hold
        self.procs = []          # helper processes (killed at teardown)

    # ---- addresses
    def addr(self, side):
        return ADDR[self.family][side]

    @property
    def af(self):
        return socket.AF_INET if self.family == 4 else socket.AF_INET6

    def saddr(self, port=SPORT):
        return (self.addr("server"), port)

    # ---- setup / teardown
    @property
    def points(self):
        """the capture points: the client's device, and with the TAP link the
        server's too (the order of crossing segments differs between them)"""
        return ("client",) if self.delay is None else ("client", "server")

    def setup(self):
        cleanup_everything()
        for side in ("client", "server"):
            run(["ip", "netns", "add", NS[side]])
        if self.delay is not None:
            self.setup_tap()
            return
        run(["ip", "link", "add", DEV["client"], "type", "veth", "peer", "name", DEV["server"]])
        for side in ("client", "server"):
            run(["ip", "link", "set", DEV[side], "netns", NS[side]])
        for side in ("client", "server"):
            n, d = NS[side], DEV[side]
            nsx(side, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
            nsx(side, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
            nsx(side, "sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=0")
            for key, val in self.sysctl.get(side, {}).items():
                nsx(side, "sysctl", "-qw", "%s=%s" % (key, val))
            run(["ip", "-n", n, "link", "set", "lo", "up"])
            # one MSS per packet on the wire: no TSO/GSO super-packets in the capture
            run(["ip", "-n", n, "link", "set", d, "gso_max_segs", "1"])
            run(["ip", "-n", n, "addr", "add", ADDR[4][side] + "/24", "dev", d])
            run(["ip", "-n", n, "addr", "add", ADDR[6][side] + "/64", "dev", d, "nodad"])
            run(["ip", "-n", n, "link", "set", d, "up"])
        self.static_neighbours((4, 6))
        self.setup_rest()

    def static_neighbours(self, families):
        """no ARP/ND on the wire, no resolution delay"""
        self.mac = {}
        for side in ("client", "server"):
            m = re.search(r"link/ether ([0-9a-f:]+)",
                          run(["ip", "-n", NS[side], "link", "show", DEV[side]]).stdout)
            self.mac[side] = m.group(1)
        for side, other in (("client", "server"), ("server", "client")):
            for fam in families:
                run(["ip", "-n", NS[side], "neigh", "replace", ADDR[fam][other], "lladdr",
                     self.mac[other], "dev", DEV[side], "nud", "permanent"])

    def setup_rest(self):
        self._orig_ns = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        for side in ("client", "server"):
            self._ns_fd[side] = os.open("/run/netns/" + NS[side], os.O_RDONLY)
        self.start_trace()
        self.start_capture()
        self.clock_start = clock_offset()

    def setup_tap(self):
        """IPv4 over a TAP device in each namespace, joined by tap_forward.py
        with a one-way delay: segments sent by both ends at once cross in
        flight (on a veth nothing does: it delivers inside the sender's
        system call).  TAP, not TUN: Ethernet frames, the veth captures' link
        type."""
        if self.family != 4:
            raise RuntimeError("the TAP link is IPv4 only")
        self.forwarder = subprocess.Popen(
            [sys.executable, str(HERE / "tap_forward.py"), NS["client"], DEV["client"],
             NS["server"], DEV["server"], "%g" % self.delay],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.forwarder.stdout.readline().strip() != "ready":
            raise RuntimeError("tap_forward.py did not start")
        for side in ("client", "server"):
            n, d = NS[side], DEV[side]
            # no IPv6 on the link: nothing but our TCP crosses the forwarder
            nsx(side, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % d)
            for key, val in self.sysctl.get(side, {}).items():
                nsx(side, "sysctl", "-qw", "%s=%s" % (key, val))
            run(["ip", "-n", n, "link", "set", "lo", "up"])
            run(["ip", "-n", n, "addr", "add", ADDR[4][side] + "/24", "dev", d])
            run(["ip", "-n", n, "link", "set", d, "up"])
        self.static_neighbours((4,))
        self.setup_rest()

    def stop_forwarder(self):
        f, self.forwarder = self.forwarder, None
        if f is None:
            return
        if f.poll() is None:
            f.terminate()
        try:
            out = f.communicate(timeout=5)[0]
        except subprocess.TimeoutExpired:
            f.kill()
            out = f.communicate()[0]
        self.fwd_stats = out.strip().splitlines()[-1] if out.strip() else None

    def teardown(self):
        # stop the capture first: nothing of the teardown must be in it
        self.stop_capture()
        self.stop_forwarder()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        self.procs = []
        # kill every TCP socket in both namespaces (SOCK_DESTROY), so no orphan
        # keeps retransmitting into a dead namespace and shows up in the trace
        # of a later scenario
        for side in ("client", "server"):
            if Path("/run/netns", NS[side]).exists():
                nsx(side, "ss", "-K", "-tan", check=False)
        for s in self.socks:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        self.socks = []
        for fd in list(self._ns_fd.values()) + ([self._orig_ns] if self._orig_ns else []):
            os.close(fd)
        self._ns_fd = {}
        self._orig_ns = None
        cleanup_everything()

    # ---- tracing
    def start_trace(self):
        if not (TRACEFS / "events").exists():
            run(["mount", "-t", "tracefs", "nodev", str(TRACEFS)])
        os.mkdir(INSTANCE)
        (INSTANCE / "trace_clock").write_text("mono")   # == CLOCK_MONOTONIC
        for ev in TRACE_EVENTS:
            d = INSTANCE / "events" / ev
            if not d.exists():
                continue
            fmt = (TRACEFS / "events" / ev / "format").read_text()
            if "field:__u16 sport" in fmt:
                try:
                    (d / "filter").write_text("sport == %d || dport == %d" % (SPORT, SPORT))
                except OSError:
                    pass
            (d / "enable").write_text("1")
        (INSTANCE / "trace").write_text("")
        (INSTANCE / "tracing_on").write_text("1")

    def read_trace(self):
        # trace times are CLOCK_MONOTONIC, the capture's are CLOCK_REALTIME:
        # map with the offset interpolated between the start and the end
        m0, off0 = self.clock_start
        m1, off1 = self.clock_end = clock_offset()
        slope = (off1 - off0) / (m1 - m0) if m1 > m0 else 0.0
        txt = (INSTANCE / "trace").read_text()
        (INSTANCE / "tracing_on").write_text("0")
        events = []
        for line in txt.splitlines():
            if line.startswith("#"):
                continue
            m = re.match(r"\s*(.*?)\s+\[\d+\]\s+\S+\s+([\d.]+):\s+(\w+):\s+(.*)$", line)
            if not m:
                continue
            mono = float(m.group(2))
            events.append((mono + off0 + (mono - m0) * slope, m.group(3), m.group(4), m.group(1)))
        return events

    # ---- capture
    def start_capture(self):
        self.caps, self.tcpdumps = {}, {}
        self._cap_off, self._cap_n, self._tcpdump_err = {}, {}, []
        for side in self.points:
            cap = self.caps[side] = self.workdir / ("%s.%s.pcap" % (self.name, side))
            cmd = ["ip", "netns", "exec", NS[side], "tcpdump", "-i", DEV[side], "-n",
                   "-U", "--immediate-mode", "-Z", "root", "--time-stamp-precision=micro", "-w", str(cap),
                   "tcp"]
            p = self.tcpdumps[side] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                                       stderr=subprocess.PIPE, text=True)
            line = p.stderr.readline()
            if "listening on" not in line:
                raise RuntimeError("tcpdump did not start: " + line)
            threading.Thread(target=lambda p=p: self._tcpdump_err.extend(p.stderr), daemon=True).start()
            self._cap_off[side] = 0
            self._cap_n[side] = 0
        self.rawcap = self.caps["client"]
        time.sleep(0.1)

    def stop_capture(self):
        running = [p for p in self.tcpdumps.values() if p.poll() is None]
        if running and self.delay is not None:
            # tcpdump on a TAP device loses the last packets if stopped at once
            time.sleep(1.0)
        for p in running:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.tcpdumps = {}

    def link_packets(self, side="client"):
        """TCP packets captured so far at a capture point (parses the growing
        pcap file; tcpdump runs with -U --immediate-mode, so every packet is
        written at once)"""
        with open(self.caps[side], "rb") as f:
            f.seek(self._cap_off[side])
            buf = f.read()
        pos = 0
        if self._cap_off[side] == 0:
            if len(buf) < 24:
                return 0
            pos = 24
        while len(buf) - pos >= 16:
            incl = struct.unpack_from("<I", buf, pos + 8)[0]
            if len(buf) - pos < 16 + incl:
                break
            pos += 16 + incl
            self._cap_n[side] += 1
        self._cap_off[side] += pos
        return self._cap_n[side]

    def all_packets(self):
        """packets captured so far at every capture point (a tuple)"""
        return tuple(self.link_packets(side) for side in self.points)

    def wait_quiet(self, quiet=QUIET, timeout=8.0):
        t_end = time.time() + timeout
        last = self.all_packets()
        since = time.time()
        while True:
            time.sleep(min(0.01, quiet / 5))
            now = time.time()
            cur = self.all_packets()
            if cur != last:
                last, since = cur, now
            elif now - since >= quiet:
                return
            if now > t_end:
                self.warnings.append("link never quiet for %.2fs" % quiet)
                return

    def wait_packets(self, n, timeout=5.0, base=None):
        """wait until n more packets crossed the link (counted from base)"""
        base = self.link_packets() if base is None else base
        t_end = time.time() + timeout
        while self.link_packets() < base + n:
            if time.time() > t_end:
                self.warnings.append("timeout waiting for %d packets" % n)
                return False
            time.sleep(0.005)
        return True

    # ---- sockets
    def socket(self, side, family=None):
        fam = family or self.family
        setns(self._ns_fd[side])
        try:
            s = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6, socket.SOCK_STREAM)
        finally:
            setns(self._orig_ns)
        self.socks.append(s)
        return s

    def listener(self, backlog=8, port=SPORT, opts=()):
        s = self.socket("server")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for lvl, opt, val in opts:
            s.setsockopt(lvl, opt, val)
        s.bind((self.addr("server"), port))
        s.listen(backlog)
        self.step("server listen(backlog=%d) on port %d" % (backlog, port))
        return s

    def client(self, port=None, opts=()):
        s = self.socket("client")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for lvl, opt, val in opts:
            s.setsockopt(lvl, opt, val)
        if port is None:
            port = self.next_cport
            self.next_cport += 1
        s.bind((self.addr("client"), port))
        return s

    def connect(self, s, port=SPORT, block=True):
        self.step("client %d connect() to port %d%s" % (s.getsockname()[1], port,
                                                       "" if block else " (non-blocking)"))
        if block:
            s.settimeout(10)
            s.connect(self.saddr(port))
            s.settimeout(None)
        else:
            s.setblocking(False)
            err = s.connect_ex(self.saddr(port))
            if err not in (0, 115):  # EINPROGRESS
                raise OSError(err, os.strerror(err))

    def accept(self, lsock):
        lsock.settimeout(10)
        c, peer = lsock.accept()
        c.settimeout(None)
        self.socks.append(c)
        self.step("server accept() -> peer port %d" % peer[1])
        return c

    def step(self, what):
        self.steps.append((time.time(), what))

    # ---- nft drops (always in the input hook, i.e. after the capture point
    #      for the client side, and after the wire for the server side)
    def drop(self, side, rule, count=1, label="drop", hook="input"):
        """Drop the first `count` packets matching `rule` on input of `side`
        (count=None: all of them).  rule = (nft expression, python predicate
        on a frame dict, used afterwards to tell which captured frames were
        the dropped ones).  hook="prerouting" for packets not addressed to
        the namespace (they never reach input); hook="output" drops what the
        side sends before it reaches the wire (such packets are not in the
        capture, so they are not counted against it)."""
        match, pred = rule
        n = len(self.drops)
        lines = ["table inet tcpstate {",
                 "  chain %s { type filter hook %s priority 0; policy accept; }" % (hook, hook)]
        rules = []
        if count is None:
            rules.append("add rule inet tcpstate %s %s counter drop comment \"%s\"" % (hook, match, label))
        else:
            for k in range(count):
                setname = "once%d_%d" % (n, k)
                lines.append("  set %s { type inet_proto; flags dynamic; }" % setname)
                rules.append("add rule inet tcpstate %s %s meta l4proto != @%s add @%s { meta l4proto } "
                             "counter drop comment \"%s\"" % (hook, match, setname, setname, label))
        lines.append("}")
        script = "\n".join(lines + rules) + "\n"
        nsx(side, "nft", "-f", "-", input=script)
        if hook != "output":
            self.drops.append((side, label, "%s: %s (%s)" % (side, match,
                                                             "all" if count is None else "first %d" % count),
                               pred, count, time.time()))
        self.step("nft in %s ns (%s): drop %s of [%s] (%s)" % (side, hook, "all" if count is None else
                                                              "first %d" % count, match, label))

    def undrop(self, side):
        nsx(side, "nft", "flush", "chain", "inet", "tcpstate", "input")
        self.step("nft in %s ns: rules flushed" % side)

    def nft_counters(self):
        out = {}
        for side in ("client", "server"):
            r = nsx(side, "nft", "list", "ruleset", check=False)
            for line in r.stdout.splitlines():
                m = re.search(r"counter packets (\d+) .*comment \"([^\"]*)\"", line)
                if m:
                    key = "%s:%s" % (side, m.group(2))
                    out[key] = out.get(key, 0) + int(m.group(1))
        return out

    # ---- checkpoints
    def checkpoint(self, label, note=None, expect=None, quiet=QUIET):
        """note: free text; if it starts with '!' the state is unknowable from
        the wire at this frame (placeholders {frame}, {prev} are filled in)."""
        self.wait_quiet(quiet)
        t0 = time.time()
        procs = {side: subprocess.Popen(["ip", "netns", "exec", NS[side], "ss", "-tanoH"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for side in ("client", "server")}
        ss = {side: p.communicate()[0] for side, p in procs.items()}
        t1 = time.time()
        drops = self.nft_counters() if self.drops else {}
        self.checkpoints.append(dict(label=label, note=note, expect=expect, t0=t0, t1=t1,
                                     ss=ss, drops=drops))
        self.step("checkpoint: " + label)


# --------------------------------------------------------------------------
# post-processing

def parse_ep(s):
    host, port = s.rsplit(":", 1)
    host = host.strip("[]")
    if host.startswith("::ffff:"):
        host = host[7:]
    if "%" in host:
        host = host.split("%")[0]
    return (host, int(port) if port.isdigit() else 0)


def parse_ss(text):
    socks = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        socks.append(dict(state=SS_STATE.get(f[0], f[0]), local=parse_ep(f[3]),
                          peer=parse_ep(f[4]), raw=line.strip()))
    return socks


def read_frames(pcapng):
    fields = ["frame.number", "frame.time_epoch", "ip.src", "ipv6.src", "tcp.srcport",
              "ip.dst", "ipv6.dst", "tcp.dstport", "_ws.col.Info", "tcp.flags", "tcp.len"]
    cmd = ["tshark", "-r", str(pcapng), "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = run(cmd).stdout
    frames = []
    for line in out.splitlines():
        v = line.split("\t")
        src = v[2] or v[3]
        dst = v[5] or v[6]
        frames.append(dict(no=int(v[0]), t=float(v[1]), src=(src, int(v[4])),
                           dst=(dst, int(v[7])), info=v[8], flags=int(v[9], 16),
                           len=int(v[10])))
    return frames


def frame_before(frames, t):
    times = [f["t"] for f in frames]
    i = bisect.bisect_right(times, t)
    return frames[i - 1] if i else None


def lookup(socks, local, peer):
    found = [s for s in socks if s["local"] == local and s["peer"] == peer]
    if not found:
        return None
    found.sort(key=lambda s: s["state"] == "CLOSED")
    return found[0]


def postprocess(lab, scenario, pcapng, events):
    frames = read_frames(pcapng)
    problems = []
    cps = []
    # which captured frames were dropped after the capture point
    dropped = {}
    for (side, label, desc, pred, count, t_ins) in lab.drops:
        other = "server" if side == "client" else "client"
        # to this side: addressed to it, or (spoofed destinations) sent by the other
        hits = [f for f in frames if f["t"] > t_ins and pred(f) and
                (f["dst"][0] == lab.addr(side) or f["src"][0] == lab.addr(other))]
        if count is not None:
            hits = hits[:count]
        for f in hits:
            dropped[f["no"]] = "dropped on input in the %s namespace (%s)" % (side, label)
        final = lab.final_drops.get("%s:%s" % (side, label))
        if final is not None and final != len(hits):
            problems.append("nft dropped %d packets for %r, but %d captured frames match" %
                            (final, label, len(hits)))
    lab.dropped_frames = dropped
    # "{lost_dropped}" in a note: a {lost:N} mark for every dropped frame
    # (their numbers depend on the capture point)
    lost_dropped = " ".join("{lost:%d}" % no for no in sorted(dropped))
    seen_server = set()          # 4-tuples for which the server had a socket
    caddrs = {ADDR[4]["client"], ADDR[6]["client"]}
    # server-side full sockets in the trace count as "seen" from their time on
    trace_server = []
    for (t, ev, body, _task) in events:
        if ev != "inet_sock_set_state":
            continue
        d = dict(kv.split("=", 1) for kv in body.split() if "=" in kv)
        if int(d["sport"]) == SPORT and d["newstate"] != "TCP_LISTEN" and int(d["dport"]) != 0:
            trace_server.append((t, int(d["dport"])))
    for cp in lab.checkpoints:
        f = frame_before(frames, cp["t0"])
        inside = [x for x in frames if cp["t0"] < x["t"] <= cp["t1"]]
        if f is None:
            problems.append("checkpoint %r: no frame before it" % cp["label"])
            continue
        if inside:
            problems.append("checkpoint %r: frame %d arrived while ss was running" % (cp["label"], inside[0]["no"]))
            continue
        if f["src"][0] in caddrs:
            cep, sep = f["src"], f["dst"]
        else:
            cep, sep = f["dst"], f["src"]
        ssc = parse_ss(cp["ss"]["client"])
        sss = parse_ss(cp["ss"]["server"])
        for prev in lab.checkpoints:
            if prev["t0"] > cp["t0"]:
                break
            for s in parse_ss(prev["ss"]["server"]):
                if s["state"] != "LISTEN":
                    seen_server.add((s["local"], s["peer"]))
        c = lookup(ssc, cep, sep)
        s = lookup(sss, sep, cep)
        cstate = c["state"] if c else "CLOSED"
        if s:
            sstate = s["state"]
        elif (sep, cep) in seen_server or any(t < cp["t0"] and p == cep[1] for t, p in trace_server):
            sstate = "CLOSED"
        elif any(x["state"] == "LISTEN" and x["local"][1] == sep[1] for x in sss):
            sstate = "LISTEN"
        else:
            sstate = "CLOSED"
        for st in (cstate, sstate):
            if st not in STATES:
                problems.append("checkpoint %r: unmapped kernel state %r" % (cp["label"], st))
        nxt = [x for x in frames if x["t"] > cp["t1"]]
        note = cp["note"]
        if note:
            prevno = f["no"] - 1
            note = note.format(frame=f["no"], prev=prevno, lost_dropped=lost_dropped)
        if cp["expect"] and tuple(cp["expect"]) != (cstate, sstate):
            problems.append("checkpoint %r: expected %s, kernel says %s %s" %
                            (cp["label"], " ".join(cp["expect"]), cstate, sstate))
        cps.append(dict(cp, frame=f, client=cstate, server=sstate, c=c, s=s, cep=cep, sep=sep,
                        gap_before=cp["t0"] - f["t"],
                        gap_after=(nxt[0]["t"] - cp["t1"]) if nxt else None, note=note))
    if lab.expect_frames is not None and len(frames) != lab.expect_frames:
        problems.append("%d frames captured, the scenario makes %d" % (len(frames), lab.expect_frames))
    for port, old, new in lab.required:
        if not any(ev == "inet_sock_set_state" and ("sport=%d " % port) in body and
                   ("oldstate=%s " % old) in body and ("newstate=%s" % new) in body
                   for (_t, ev, body, _task) in events):
            problems.append("the trace shows no %s -> %s for port %d" % (old, new, port))
    # duplicate frames are legal only if the later one is marked unknowable
    seen = {}
    for cp in cps:
        no = cp["frame"]["no"]
        if no in seen and not (cp["note"] or "").startswith("!"):
            problems.append("frame %d has two checkpoints (%r, %r)" % (no, seen[no], cp["label"]))
        seen.setdefault(no, cp["label"])
    return frames, cps, problems


def frame_at(frames, t):
    f = frame_before(frames, t)
    return "after frame %d" % f["no"] if f else "before frame 1"


def write_outputs(lab, sc, frames, cps, events, problems, name=None, point="client"):
    """name: the output's name (the scenario's, or <scenario>_srv for the
    capture on the server's device); point: the side whose device was captured"""
    name = name or lab.name
    TRUTHDIR.mkdir(parents=True, exist_ok=True)
    LOGDIR.mkdir(parents=True, exist_ok=True)
    fam = "IPv%d" % lab.family
    drops = "; ".join(d[2] for d in lab.drops) or "nothing"
    if lab.delay is None:
        link = "veth"
    else:
        link = "TAP %s, one-way delay %g ms through tests/kernel/tap_forward.py" % (DEV[point], lab.delay * 1000)
    lines = ["# scenario: %s \u2014 %s; %s, capture on the %s's %s (%s %s <-> %s %s); dropped with nft on input: %s"
             % (name, sc.desc, fam, point, link, lab.addr("client"), DEV["client"], lab.addr("server"),
                DEV["server"], drops),
             "# frame client server [note]"]
    for cp in cps:
        line = "%d %s %s" % (cp["frame"]["no"], cp["client"], cp["server"])
        note = cp["note"] or cp["label"]
        line += " " + note
        lines.append(line)
    truth_path(name).write_text("\n".join(lines) + "\n")

    L = []
    L.append("scenario %s: %s" % (name, sc.desc))
    L.append("generated by tests/kernel/make_corpus.py on Linux %s" % os.uname().release)
    L.append("capture: tcpdump -i %s (%s namespace), filter 'tcp'" % (DEV[point], point))
    # machine-readable (the checkers read these two lines; a log without
    # them is from the veth, captured on the client's side)
    L.append("capture point: %s" % point)
    if lab.delay is None:
        L.append("link: veth, delay 0 s")
    else:
        L.append("link: tap, delay %.6f s (tests/kernel/tap_forward.py: %s)" % (lab.delay, lab.fwd_stats))
    L.append("sysctls: %s" % (lab.sysctl or "defaults"))
    L.append("drops: %s" % drops)
    if getattr(lab, "clock_end", None):
        L.append("clocks: CLOCK_REALTIME - CLOCK_MONOTONIC = %.6f s at the start, %.6f s at the end "
                 "(trace times mapped to the capture's clock by linear interpolation)"
                 % (lab.clock_start[1], lab.clock_end[1]))
    if problems or lab.warnings:
        L.append("")
        L.append("PROBLEMS: " + "; ".join(problems + lab.warnings))
    L.append("")
    L.append("== frames (time relative to frame 1)")
    t_base = frames[0]["t"] if frames else 0
    for f in frames:
        L.append("%3d %9.6f %s:%d -> %s:%d  %s%s" % (f["no"], f["t"] - t_base, f["src"][0], f["src"][1],
                                                   f["dst"][0], f["dst"][1], f["info"],
                                                   "  <-- DROPPED: " + lab.dropped_frames[f["no"]]
                                                   if f["no"] in lab.dropped_frames else ""))
    L.append("")
    L.append("== script steps, kernel trace events and checkpoints, in time order")
    items = []
    for t, what in lab.steps:
        items.append((t, "step   ", what))
    for t, ev, body, task in events:
        body = re.sub(r" (saddrv6|daddrv6)=\S+", "", body) if lab.family == 4 else body
        body = body.replace("family=AF_INET ", "").replace("family=AF_INET6 ", "")
        body = body.replace("protocol=IPPROTO_TCP ", "")
        items.append((t, "trace  ", "%s: %s  [%s]" % (ev, body, task)))
    for cp in cps:
        txt = ["checkpoint %r -> truth: frame %d client %s server %s" %
               (cp["label"], cp["frame"]["no"], cp["client"], cp["server"])]
        txt.append("    quiet for %.3fs before, next frame %s later; 4-tuple client %s:%d server %s:%d" %
                   (cp["gap_before"], "%.3fs" % cp["gap_after"] if cp["gap_after"] is not None else "never",
                    cp["cep"][0], cp["cep"][1], cp["sep"][0], cp["sep"][1]))
        if cp["note"]:
            txt.append("    note: " + cp["note"])
        for side in ("client", "server"):
            rel = [l for l in cp["ss"][side].splitlines()
                   if (":%d " % SPORT) in l + " " or ":%d" % SPORT in l]
            txt.append("    ss %s ns:" % side)
            txt += ["      " + l.strip() for l in rel] or ["      (no socket for port %d)" % SPORT]
        if cp["drops"]:
            txt.append("    nft drop counters: %s" % ", ".join("%s=%d" % kv for kv in sorted(cp["drops"].items())))
        items.append((cp["t0"], "CHECK  ", "\n".join(txt)))
    items.sort(key=lambda x: x[0])
    for t, kind, what in items:
        L.append("%s %-16s %s %s" % ("%+10.6f" % (t - t_base), frame_at(frames, t), kind, what))
    (LOGDIR / (name + ".log")).write_text("\n".join(L) + "\n")


# --------------------------------------------------------------------------
# scenarios

SCENARIOS = {}


class Scenario:
    def __init__(self, fn, name, desc, family=4, sysctl=None, delay=None):
        self.fn, self.name, self.desc, self.family, self.sysctl = fn, name, desc, family, sysctl
        self.delay = delay

    @property
    def outputs(self):
        """(output name, capture point): a scenario on the TAP link is
        captured on both devices, the server's as <name>_srv"""
        return [(self.name, "client")] + ([(self.name + SRV, "server")] if self.delay is not None else [])


SRV = "_srv"


def scenario(name, desc, family=4, sysctl=None, delay=None):
    """delay: run on TAP devices joined by tap_forward.py with this one-way
    delay (s) instead of the veth pair, captured on both ends"""
    def deco(fn):
        SCENARIOS[name] = Scenario(fn, name, desc, family, sysctl, delay)
        return fn
    return deco


EST = ("ESTABLISHED", "ESTABLISHED")
# drop rules: nft expression + the same test on a captured frame
R_FIN = ("tcp flags & fin == fin", lambda f: f["flags"] & 0x01)
R_SYN = ("tcp flags & (syn|ack) == syn", lambda f: f["flags"] & 0x12 == 0x02)
R_SYNACK = ("tcp flags & (syn|ack) == syn|ack", lambda f: f["flags"] & 0x12 == 0x12)
R_PUREACK = ("tcp flags == ack", lambda f: f["flags"] == 0x10)
R_ALL = ("tcp dport %d" % SPORT, lambda f: True)
CMSG = b"hello from the client\n"
SMSG = b"hello from the server\n"


def handshake(lab, backlog=8):
    ls = lab.listener(backlog)
    c = lab.client()
    lab.connect(c)
    s = lab.accept(ls)
    return ls, c, s


def exchange(lab, c, s):
    c.sendall(CMSG)
    lab.step("client send %d bytes" % len(CMSG))
    s.recv(4096)
    s.sendall(SMSG)
    lab.step("server send %d bytes" % len(SMSG))
    c.recv(4096)


def server_closes(lab, s, label, expect=("TIME_WAIT", "CLOSED"), step="server close()"):
    """the server reads what is left (EOF) and close()s; checkpoint"""
    s.recv(4096)
    s.close()
    lab.step(step)
    lab.checkpoint(label, expect=expect)


def basic(lab):
    ls, c, s = handshake(lab)
    lab.checkpoint("after the three-way handshake", expect=EST)
    c.sendall(CMSG)
    lab.step("client send")
    lab.checkpoint("client data acknowledged", expect=EST)
    s.recv(4096)
    s.sendall(SMSG)
    lab.step("server send")
    c.recv(4096)
    lab.checkpoint("server data acknowledged", expect=EST)
    c.close()
    lab.step("client close()")
    lab.checkpoint("client FIN sent, its ACK still delayed", quiet=QUIET_DELACK,
                   expect=("FIN_WAIT_1", "CLOSE_WAIT"))
    lab.checkpoint("client FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    server_closes(lab, s, "server FIN acknowledged: TIME_WAIT visible")


@scenario("basic_client_close", "connect, one message each way, client closes first (four-segment close)")
def sc_basic_client_close(lab):
    basic(lab)


@scenario("ipv6_basic", "basic_client_close over IPv6", family=6)
def sc_ipv6_basic(lab):
    basic(lab)


@scenario("server_close_first", "connect, one message each way, server closes first")
def sc_server_close_first(lab):
    ls, c, s = handshake(lab)
    lab.checkpoint("after the three-way handshake", expect=EST)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    s.close()
    lab.step("server close()")
    lab.checkpoint("server FIN sent, its ACK still delayed", quiet=QUIET_DELACK,
                   expect=("CLOSE_WAIT", "FIN_WAIT_1"))
    lab.checkpoint("server FIN acknowledged", expect=("CLOSE_WAIT", "FIN_WAIT_2"))
    c.recv(4096)
    c.close()
    lab.step("client close()")
    lab.checkpoint("client FIN acknowledged", expect=("CLOSED", "TIME_WAIT"))


@scenario("close_with_unread_data", "server close()s with unread data in its receive queue: the kernel sends RST instead of FIN")
def sc_close_with_unread_data(lab):
    ls, c, s = handshake(lab)
    lab.checkpoint("after the three-way handshake", expect=EST)
    c.sendall(CMSG)
    lab.step("client send (server never reads it)")
    lab.checkpoint("client data acknowledged, unread at the server", expect=EST)
    s.close()
    lab.step("server close() with unread data")
    lab.checkpoint("after the server's RST", expect=("CLOSED", "CLOSED"))


@scenario("linger_abort", "client sets SO_LINGER {on, 0} and close()s: abortive close with RST")
def sc_linger_abort(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    lab.step("client close() with SO_LINGER 0")
    lab.checkpoint("after the client's RST", expect=("CLOSED", "CLOSED"))


@scenario("refused", "SYN to a port without listener is answered by RST/ACK; then a listener appears and the same 4-tuple connects")
def sc_refused(lab):
    c = lab.client()
    try:
        lab.connect(c)
    except ConnectionRefusedError:
        lab.step("client connect() -> ECONNREFUSED")
    lab.checkpoint("after the RST/ACK", expect=("CLOSED", "CLOSED"))
    c.close()
    ls = lab.listener()
    c = lab.client(port=CPORT)
    lab.connect(c)
    s = lab.accept(ls)
    lab.checkpoint("same 4-tuple, handshake now succeeds", expect=EST)


@scenario("simultaneous_close", "both sides close() at the same time; each side's first incoming FIN is dropped so both FINs are in flight, retransmissions deliver them")
def sc_simultaneous_close(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    lab.drop("server", R_FIN, label="first FIN from client")
    lab.drop("client", R_FIN, label="first FIN from server")
    c.shutdown(socket.SHUT_WR)
    s.shutdown(socket.SHUT_WR)
    lab.step("client and server shutdown(SHUT_WR) back to back")
    lab.checkpoint("both FINs sent, both dropped", quiet=0.08,
                   note="! unknowable: both FINs (frames {prev} and {frame}) were dropped after the capture point; "
                        "neither side has seen the other's FIN yet; each retransmitted FIN's ACK field "
                        "later shows it {{lost:{prev}}} {{lost:{frame}}}",
                   expect=("FIN_WAIT_1", "FIN_WAIT_1"))
    lab.checkpoint("after the retransmissions", quiet=0.4)
    c.close()
    s.close()
    lab.step("both close()")


@scenario("half_close", "client shutdown(SHUT_WR); server keeps sending data into the half-closed connection, then closes")
def sc_half_close(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    c.shutdown(socket.SHUT_WR)
    lab.step("client shutdown(SHUT_WR)")
    lab.checkpoint("client FIN sent, its ACK still delayed", quiet=QUIET_DELACK,
                   expect=("FIN_WAIT_1", "CLOSE_WAIT"))
    lab.checkpoint("client FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    s.sendall(b"more data after your FIN\n")
    lab.step("server send")
    c.recv(4096)
    lab.checkpoint("server data in CLOSE_WAIT acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    s.sendall(b"and even more\n")
    lab.step("server send")
    c.recv(4096)
    lab.checkpoint("second server data acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    s.close()
    lab.step("server close()")
    lab.checkpoint("server FIN acknowledged", expect=("TIME_WAIT", "CLOSED"))


@scenario("lost_final_ack", "client closes first; the client's final ACK is dropped once at the server, which retransmits its FIN from LAST_ACK")
def sc_lost_final_ack(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    c.close()
    lab.step("client close()")
    lab.checkpoint("client FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    lab.drop("server", R_PUREACK, label="final ACK")
    s.close()
    lab.step("server close()")
    lab.checkpoint("final ACK dropped", quiet=0.1,
                   note="! unknowable: the final ACK (frame {frame}) was dropped after the capture point; "
                        "the server is still in LAST_ACK and will retransmit its FIN, which shows it {{lost:{frame}}}",
                   expect=("TIME_WAIT", "LAST_ACK"))
    lab.checkpoint("after the FIN retransmission and the second final ACK", quiet=0.4,
                   expect=("TIME_WAIT", "CLOSED"))


@scenario("lost_synack", "the server's SYN/ACK is dropped once at the client; handshake completes after retransmission")
def sc_lost_synack(lab):
    ls = lab.listener()
    lab.drop("client", R_SYNACK, label="first SYN/ACK")
    c = lab.client()
    lab.connect(c, block=False)
    lab.checkpoint("SYN/ACK dropped", quiet=0.3,
                   note="! unknowable: the SYN/ACK (frame {frame}) was dropped after the capture point; "
                        "the client is still in SYN_SENT; its SYN retransmission shows it {{lost:{frame}}}",
                   expect=("SYN_SENT", "SYN_RCVD"))
    lab.wait_packets(2, timeout=3)      # retransmissions come after the 1 s initial RTO
    lab.checkpoint("after retransmissions", quiet=0.4, expect=EST)
    s = lab.accept(ls)


@scenario("lost_syn", "the client's first SYN is dropped at the server; the retransmitted SYN gets through")
def sc_lost_syn(lab):
    ls = lab.listener()
    lab.drop("server", R_SYN, label="first SYN")
    c = lab.client()
    lab.connect(c, block=False)
    lab.checkpoint("SYN dropped", quiet=0.3,
                   note="! unknowable: the SYN (frame {frame}) was dropped after the capture point; "
                        "the server only has its listener; the retransmitted SYN, with no SYN/ACK in between, "
                        "shows it {{lost:{frame}}}",
                   expect=("SYN_SENT", "LISTEN"))
    lab.wait_packets(3, timeout=3)      # SYN retransmission after 1 s, SYN/ACK, ACK
    lab.checkpoint("after the retransmitted SYN", quiet=0.4, expect=EST)
    s = lab.accept(ls)


@scenario("data_before_final_ack", "the client's handshake ACK is dropped at the server; the client's first data segment completes the server's handshake")
def sc_data_before_final_ack(lab):
    ls = lab.listener()
    lab.drop("server", R_PUREACK, label="handshake ACK")
    c = lab.client()
    lab.connect(c)
    lab.checkpoint("handshake ACK dropped", quiet=0.3,
                   note="! unknowable: the handshake ACK (frame {frame}) was dropped after the capture point; "
                        "the server still holds a SYN_RCVD request socket",
                   expect=("ESTABLISHED", "SYN_RCVD"))
    c.sendall(CMSG)
    lab.step("client send")
    lab.checkpoint("data segment completed the handshake", expect=EST)
    s = lab.accept(ls)
    s.recv(4096)


@scenario("reuse_time_wait", "server closes first and sits in TIME_WAIT; a new SYN from the same client port reopens the same 4-tuple (accepted by the TIME_WAIT socket)")
def sc_reuse_time_wait(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    s.close()
    lab.step("server close()")
    c.recv(4096)
    c.close()
    lab.step("client close()")
    lab.checkpoint("server in TIME_WAIT", expect=("CLOSED", "TIME_WAIT"))
    c2 = lab.client(port=CPORT)
    lab.connect(c2)
    s2 = lab.accept(ls)
    lab.checkpoint("new connection on the same 4-tuple", expect=EST)
    exchange(lab, c2, s2)
    lab.checkpoint("data on the new connection", expect=EST)


@scenario("reuse_time_wait_client", "client closes first and sits in TIME_WAIT; with net.ipv4.tcp_tw_reuse=1 in the client namespace it reconnects from the same port after 1 s",
          sysctl={"client": {"net.ipv4.tcp_tw_reuse": 1}})
def sc_reuse_time_wait_client(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    c.close()
    lab.step("client close()")
    s.recv(4096)
    s.close()
    lab.step("server close()")
    lab.checkpoint("client in TIME_WAIT", expect=("TIME_WAIT", "CLOSED"))
    time.sleep(1.1)     # tcp_tw_reuse wants the last timestamp to be older than 1 s
    c2 = lab.client(port=CPORT)
    lab.connect(c2)
    s2 = lab.accept(ls)
    lab.checkpoint("new connection on the same 4-tuple", expect=EST)


@scenario("accept_queue_full", "listen(backlog=1), never accept(): two clients fill the accept queue, a third client's SYN is silently dropped until one connection is accepted")
def sc_accept_queue_full(lab):
    ls = lab.listener(backlog=1)
    a = lab.client()
    lab.connect(a)
    lab.checkpoint("client A established, not accepted", expect=EST)
    b = lab.client()
    lab.connect(b)
    lab.checkpoint("client B established, not accepted (accept queue now full)", expect=EST)
    cc = lab.client()
    lab.connect(cc, block=False)
    lab.checkpoint("client C's SYN dropped by the full accept queue", quiet=0.3,
                   note="! unknowable: the server received the SYN (frame {frame}) but dropped it "
                        "because its accept queue is full; only the retransmitted SYN, with no SYN/ACK in "
                        "between, shows it {{lost:{frame}}}",
                   expect=("SYN_SENT", "LISTEN"))
    base = lab.link_packets()
    sa = lab.accept(ls)
    lab.wait_packets(3, timeout=3, base=base)   # C's SYN retransmission (1 s), SYN/ACK, ACK
    lab.checkpoint("after accept() made room, C's retransmitted SYN is answered", expect=EST)


@scenario("accept_queue_overflow_ack", "listen(backlog=1), never accept(): client B's handshake ACK is lost, client C fills the accept queue, so when B's ACK finally arrives (after the server's SYN/ACK retransmission) the server ignores it (tcp_abort_on_overflow=0) until accept() makes room")
def sc_accept_queue_overflow_ack(lab):
    ls = lab.listener(backlog=1)
    a = lab.client()
    lab.connect(a)
    lab.checkpoint("client A established, not accepted", expect=EST)
    lab.drop("server", R_PUREACK, label="B's handshake ACK")
    b = lab.client()
    lab.connect(b)
    lab.checkpoint("B's handshake ACK dropped", quiet=0.15,
                   note="! unknowable: B's handshake ACK (frame {frame}) was dropped after the capture point; "
                        "the server still holds a SYN_RCVD request socket; its SYN/ACK retransmission "
                        "shows it {{lost:{frame}}}",
                   expect=("ESTABLISHED", "SYN_RCVD"))
    cc = lab.client()
    lab.connect(cc)
    lab.checkpoint("client C established, the accept queue is full", quiet=0.15, expect=EST)
    base = lab.link_packets()   # after a quiet checkpoint: tcpdump has written everything
    lab.wait_packets(2, timeout=3, base=base)   # B: SYN/ACK retransmission (1 s after the SYN), ACK
    lab.checkpoint("B's second ACK ignored by the full accept queue", quiet=0.3,
                   note="! unknowable: B's ACK (frame {frame}) reached the server, which ignored it "
                        "because the accept queue is full (tcp_abort_on_overflow=0); the request socket "
                        "stays SYN_RCVD and nothing on the wire says so until the next SYN/ACK retransmission, "
                        "which shows it {{lost:{frame}}}",
                   expect=("ESTABLISHED", "SYN_RCVD"))
    base = lab.link_packets()
    lab.accept(ls)
    lab.wait_packets(2, timeout=4, base=base)   # next SYN/ACK retransmission (3 s), ACK
    lab.checkpoint("after accept() made room, B's next ACK completes the handshake", expect=EST)


@scenario("syncookie", "net.ipv4.tcp_syncookies=2 in the server namespace: the server answers every SYN with a SYN cookie and keeps no state; the client's handshake ACK is dropped, the client's first data segment completes the handshake",
          sysctl={"server": {"net.ipv4.tcp_syncookies": 2}})
def sc_syncookie(lab):
    ls = lab.listener()
    lab.drop("server", R_PUREACK, label="handshake ACK")
    c = lab.client()
    lab.connect(c)
    lab.checkpoint("handshake ACK dropped; the server keeps no state with SYN cookies", quiet=0.3,
                   note="! unknowable: the handshake ACK (frame {frame}) was dropped after the capture "
                        "point, and with SYN cookies the server holds no request socket at all: only the "
                        "listener exists for this 4-tuple (and no SYN/ACK will be retransmitted)",
                   expect=("ESTABLISHED", "LISTEN"))
    c.sendall(CMSG)
    lab.step("client send")
    lab.checkpoint("data segment carrying a valid cookie ACK completed the handshake", expect=EST)
    s = lab.accept(ls)
    s.recv(4096)


@scenario("data_after_close", "client close()s; the server keeps writing; the orphaned client (FIN_WAIT_2) answers the data with RST")
def sc_data_after_close(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    c.close()
    lab.step("client close()")
    lab.checkpoint("client FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    s.sendall(b"data nobody will read\n")
    lab.step("server send")
    lab.checkpoint("client answered the data with RST", expect=("CLOSED", "CLOSED"))


@scenario("keepalive", "client SO_KEEPALIVE with TCP_KEEPIDLE=1 s, TCP_KEEPINTVL=1 s; the connection idles and keepalive probes are answered")
def sc_keepalive(lab):
    ls = lab.listener()
    c = lab.client(opts=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
                         (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1),
                         (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1),
                         (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)])
    lab.connect(c)
    s = lab.accept(ls)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    for i in range(2):
        lab.wait_packets(2, timeout=3)
        lab.checkpoint("after keepalive probe %d and its ACK" % (i + 1), expect=EST)


@scenario("keepalive_timeout", "like keepalive, but from some point all client segments are dropped at the server: after TCP_KEEPCNT=2 unanswered probes the client resets")
def sc_keepalive_timeout(lab):
    ls = lab.listener()
    c = lab.client(opts=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
                         (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1),
                         (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1),
                         (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)])
    lab.connect(c)
    s = lab.accept(ls)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    lab.drop("server", R_ALL, count=None,
             label="everything from the client")
    base = lab.link_packets()
    lab.wait_packets(3, timeout=6, base=base)
    lab.checkpoint("after the client's RST (dropped at the server)", quiet=0.3,
                   note="! unknowable: the client gave up after unanswered keepalive probes and sent "
                        "RST (frame {frame}), which was dropped after the capture point; the server "
                        "never learns and stays ESTABLISHED",
                   expect=("CLOSED", "ESTABLISHED"))


@scenario("zero_window", "server has a small SO_RCVBUF and does not read; the client fills the window, probes the zero window, then the server drains")
def sc_zero_window(lab):
    ls = lab.listener(opts=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)])
    c = lab.client()
    lab.connect(c)
    s = lab.accept(ls)
    lab.checkpoint("after the three-way handshake", expect=EST)
    data = bytes(range(256)) * 40       # 10240 bytes
    sent = {"n": 0}

    def writer():
        c.sendall(data)
        sent["n"] = len(data)
    c.setblocking(True)
    th = threading.Thread(target=writer, daemon=True)
    th.start()
    lab.step("client starts sending %d bytes" % len(data))
    lab.wait_quiet(0.15)
    lab.wait_packets(1, timeout=2)   # first zero-window probe
    lab.checkpoint("window full, zero-window probing", quiet=0.15, expect=EST)
    got = 0
    s.settimeout(5)
    while got < len(data):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    lab.step("server drained %d bytes" % got)
    th.join(5)
    lab.checkpoint("all data delivered", expect=EST)


@scenario("fin_wait2_timeout", "client closes first, server never closes; tcp_fin_timeout=2 in the client namespace removes the orphaned FIN_WAIT_2 socket, so the server's late FIN is answered by RST",
          sysctl={"client": {"net.ipv4.tcp_fin_timeout": 2}})
def sc_fin_wait2_timeout(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    c.close()
    lab.step("client close()")
    lab.checkpoint("client FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    time.sleep(2.6)
    lab.step("client FIN_WAIT_2 timeout should have expired")
    s.close()
    lab.step("server close()")
    lab.checkpoint("server's late FIN answered by RST", expect=("CLOSED", "CLOSED"))


@scenario("fin_with_data", "client writes its last message with MSG_MORE and close()s: the FIN rides on the data segment")
def sc_fin_with_data(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    c.send(b"last words", socket.MSG_MORE)
    c.close()
    lab.step("client send(MSG_MORE) + close()")
    lab.checkpoint("data+FIN sent, ACK still delayed", quiet=QUIET_DELACK,
                   expect=("FIN_WAIT_1", "CLOSE_WAIT"))
    lab.checkpoint("data+FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    s.recv(4096)
    s.close()
    lab.step("server close()")
    lab.checkpoint("server FIN acknowledged", expect=("TIME_WAIT", "CLOSED"))


@scenario("recv_timeout", "the client sets a receive timeout (SO_RCVTIMEO 0.5 s) and calls recv() when nothing comes: the call fails with EAGAIN, nothing is sent and both ends stay ESTABLISHED; then one message each way and a four-segment close")
def sc_recv_timeout(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    c.settimeout(0.5)   # SO_RCVTIMEO: bounds how long one call waits, nothing more
    try:
        c.recv(4096)
        raise RuntimeError("recv() returned although the server sent nothing")
    except socket.timeout:
        pass
    c.settimeout(None)
    lab.step("client recv() timed out (0.5 s)")
    lab.checkpoint("the client's recv() timed out: no segment, both still ESTABLISHED", expect=EST)
    exchange(lab, c, s)
    lab.checkpoint("one more message each way after the timeout", expect=EST)
    c.close()
    lab.step("client close()")
    lab.checkpoint("client FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    server_closes(lab, s, "server FIN acknowledged: TIME_WAIT visible")


@scenario("three_segment_close", "client closes; the server application closes as soon as it reads EOF, so its FIN carries the ACK of the client's FIN (FIN, FIN/ACK, ACK)")
def sc_three_segment_close(lab):
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    c.close()
    s.recv(4096)   # EOF
    s.close()
    lab.step("client close(); server reads EOF and close()s at once")
    lab.checkpoint("after the three-segment close", expect=("TIME_WAIT", "CLOSED"))


R_DATA = ("tcp flags & (psh|fin) == psh", lambda f: f["flags"] & 0x09 == 0x08)


@scenario("out_of_order_fin", "the client sends two messages and close()s; the first data segment is dropped at the server, so the second one and the FIN it carries arrive out of order: the server acknowledges only up to the hole (a duplicate ACK) and stays ESTABLISHED until the retransmission fills it (SACK, RACK and tail loss probes off in the client namespace, so one duplicate ACK triggers nothing and the retransmission waits for the RTO)",
          sysctl={"client": {"net.ipv4.tcp_sack": 0, "net.ipv4.tcp_early_retrans": 0, "net.ipv4.tcp_recovery": 0}})
def sc_out_of_order_fin(lab):
    ls = lab.listener()
    c = lab.client(opts=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    lab.connect(c)
    s = lab.accept(ls)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    lab.drop("server", R_DATA, label="first data segment")
    c.send(b"first part, lost once\n")
    c.send(b"second part", socket.MSG_MORE)
    c.close()
    lab.step("client send(), send(MSG_MORE), close()")
    lab.checkpoint("data+FIN arrived after a hole: duplicate ACK, the server is still ESTABLISHED",
                   quiet=0.08, expect=("FIN_WAIT_1", "ESTABLISHED"))
    lab.checkpoint("the retransmission filled the hole: data and FIN acknowledged", quiet=0.3,
                   expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    server_closes(lab, s, "server FIN acknowledged")


def simultaneous_connect(lab):
    """no listener: the client connect()s to the server's port, and right
    after it the server, bound to that port, connect()s to the client's
    (both non-blocking); returns the client socket"""
    c = lab.client()
    srv = lab.socket("server")
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((lab.addr("server"), SPORT))
    lab.connect(c, block=False)
    srv.setblocking(False)
    srv.connect_ex((lab.addr("client"), c.getsockname()[1]))
    lab.step("server %d connect() to port %d (non-blocking)" % (SPORT, c.getsockname()[1]))
    return c


@scenario("simultaneous_open", "no listener: both sides bind() and connect() to each other's port; each side's first SYN is dropped, so both are in SYN_SENT when the retransmitted SYNs cross: both go SYN_SENT -> SYN_RCVD -> ESTABLISHED (RFC 9293 figure 7)")
def sc_simultaneous_open(lab):
    lab.drop("server", R_SYN, label="first SYN from the client")
    lab.drop("client", R_SYN, label="first SYN from the server")
    c = simultaneous_connect(lab)
    lab.required += [(c.getsockname()[1], "TCP_SYN_SENT", "TCP_SYN_RECV"),
                     (SPORT, "TCP_SYN_SENT", "TCP_SYN_RECV")]
    lab.checkpoint("both first SYNs dropped", quiet=0.3,
                   note="! unknowable: both SYNs (frames {prev} and {frame}) were dropped after the capture "
                        "point; each side is still in SYN_SENT; the retransmitted SYNs show it "
                        "{{lost:{prev}}} {{lost:{frame}}}",
                   expect=("SYN_SENT", "SYN_SENT"))
    lab.wait_packets(4, timeout=3)      # two SYN retransmissions (1 s RTO), two SYN/ACKs
    lab.checkpoint("the retransmitted SYNs crossed, then the SYN/ACKs", quiet=0.4, expect=EST)


# Crossing segments need a link with a delay: on the veth every segment is
# delivered inside the sender's system call, so nothing is ever in flight.
# These run on TAP devices joined by tap_forward.py and are captured on both
# ends (<name> on the client's device, <name>_srv on the server's).
TAP_DELAY = 0.02


@scenario("crossing_fins", "after data both ways both sides shutdown(SHUT_WR) at the same moment on a link with a 20 ms one-way delay: the two FINs cross in flight and nothing is lost; each side receives the other's FIN in FIN_WAIT_1 (CLOSING), then the ACK of its own (TIME_WAIT); RFC 9293 figure 14",
          delay=TAP_DELAY)
def sc_crossing_fins(lab):
    crossing_fins(lab, data=False)


@scenario("crossing_fins_data", "like crossing_fins, but each side sends a message right before its FIN: a data segment and a FIN from each side cross in flight (20 ms one-way delay); each side receives data in FIN_WAIT_1, then the FIN (CLOSING), then the ACK of its own FIN (TIME_WAIT)",
          delay=TAP_DELAY)
def sc_crossing_fins_data(lab):
    crossing_fins(lab, data=True)


def crossing_fins(lab, data):
    """both sides shutdown(SHUT_WR) back to back (data: each sends a message
    right before); on the TAP link the segments cross in flight"""
    lab.expect_frames = 14 if data else 11
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    for side, sock in (("client", c), ("server", s)):
        if data:
            sock.send(("last words from the %s\n" % side).encode())
        sock.shutdown(socket.SHUT_WR)
    lab.step("client %sshutdown(SHUT_WR), server %sshutdown(SHUT_WR), back to back"
             % (("send() + ",) * 2 if data else ("", "")))
    lab.required += [(CPORT, "TCP_FIN_WAIT1", "TCP_CLOSING"), (SPORT, "TCP_FIN_WAIT1", "TCP_CLOSING")]
    lab.checkpoint("data and FINs crossed, each FIN acknowledged from CLOSING" if data else
                   "the FINs crossed, each was acknowledged from CLOSING", expect=("TIME_WAIT", "TIME_WAIT"))
    if data:
        c.recv(4096)
        s.recv(4096)
    c.close()
    s.close()
    lab.step("both close()")


@scenario("simultaneous_open_one_lost", "no listener: both sides connect() to each other's port at the same moment on a link with a 20 ms one-way delay; the client's SYN is dropped at the server, the server's SYN reaches the client in SYN_SENT: the client answers it with a SYN/ACK from SYN_RCVD, which the server, still in SYN_SENT, acknowledges (ESTABLISHED on both sides, with one SYN lost and nothing retransmitted)",
          delay=TAP_DELAY)
def sc_simultaneous_open_one_lost(lab):
    lab.expect_frames = 4
    lab.drop("server", R_SYN, label="the client's SYN")
    c = simultaneous_connect(lab)
    lab.required += [(c.getsockname()[1], "TCP_SYN_SENT", "TCP_SYN_RECV"),
                     (SPORT, "TCP_SYN_SENT", "TCP_ESTABLISHED")]
    lab.checkpoint("the server's SYN answered by the client's SYN/ACK, acknowledged", expect=EST,
                   note="the client's SYN never reached the server {lost_dropped}")


@scenario("fin_crosses_rst", "after data both ways the client close()s (FIN) while the server aborts (SO_LINGER 0: RST) at the same moment, on a link with a 20 ms one-way delay: the FIN and the RST cross in flight; the RST finds the client in FIN_WAIT_1 and closes it, the FIN finds no socket at the server (only the listener), which answers it with another RST",
          delay=TAP_DELAY)
def sc_fin_crosses_rst(lab):
    lab.expect_frames = 10
    ls, c, s = handshake(lab)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    s.close()
    lab.step("client close(), server close() with SO_LINGER 0, back to back")
    lab.required += [(CPORT, "TCP_FIN_WAIT1", "TCP_CLOSE")]
    lab.checkpoint("the RST closed the client in FIN_WAIT_1; the FIN was answered by RST",
                   expect=("CLOSED", "CLOSED"))


@scenario("peer_power_off", "after data both ways the server vanishes as if powered off: nft drops everything into and out of its namespace and its socket is destroyed (ss -K; its RST never leaves); the client's next message is retransmitted with exponential backoff until TCP_USER_TIMEOUT (3 s) makes it give up without a word on the wire")
def sc_peer_power_off(lab):
    ls = lab.listener()
    c = lab.client(opts=[(socket.IPPROTO_TCP, 18, 3000)])     # TCP_USER_TIMEOUT
    lab.connect(c)
    s = lab.accept(ls)
    exchange(lab, c, s)
    lab.checkpoint("after data both ways", expect=EST)
    lab.drop("server", R_ALL, count=None, label="everything to the powered-off server")
    lab.drop("server", ("meta l4proto tcp", None), count=None, label="everything from it", hook="output")
    nsx("server", "ss", "-K", "-tan", "state", "established")
    lab.step("server socket destroyed (ss -K)")
    c.send(b"anyone there?\n")
    lab.step("client send")
    time.sleep(3.5)
    lab.step("client TCP_USER_TIMEOUT should have expired")
    lab.checkpoint("the client gave up", quiet=0.3,
                   note="! unknowable: the client's retransmissions (up to frame {frame}) were dropped "
                        "after the capture point; the server's socket was destroyed in silence and the "
                        "client gave up after TCP_USER_TIMEOUT without sending anything",
                   expect=("CLOSED", "CLOSED"))


KILLED_CLIENT = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.connect((sys.argv[3], int(sys.argv[4])))
s.sendall(b"hello from the client\n")
s.recv(4096)
print("ready", flush=True)
time.sleep(60)
"""


def killed_client(lab, unread):
    ls = lab.listener()
    p = subprocess.Popen(["ip", "netns", "exec", NS["client"], sys.executable, "-c", KILLED_CLIENT,
                          lab.addr("client"), str(CPORT), lab.addr("server"), str(SPORT)],
                         stdout=subprocess.PIPE, text=True)
    lab.procs.append(p)
    s = lab.accept(ls)
    s.recv(4096)
    s.sendall(SMSG)
    if p.stdout.readline().strip() != "ready":
        raise RuntimeError("client process did not start")
    lab.step("client process %d connected, exchanged one message each way, sleeps" % p.pid)
    if unread:
        s.sendall(b"the client never reads this\n")
        lab.step("server send (the client never reads it)")
    lab.checkpoint("the client process is alive", expect=EST)
    p.kill()
    p.wait()
    lab.step("kill -9 of the client process")
    return s


@scenario("killed_process", "the client runs in its own process, exchanges one message each way and is killed with SIGKILL: the kernel closes its socket with an ordinary FIN (nothing was left unread); the server reads EOF and closes; the orphaned client socket ends in TIME_WAIT")
def sc_killed_process(lab):
    s = killed_client(lab, unread=False)
    lab.checkpoint("the kernel sent the dead process's FIN; FIN acknowledged", expect=("FIN_WAIT_2", "CLOSE_WAIT"))
    server_closes(lab, s, "server FIN acknowledged by the orphaned client", step="server reads EOF, close()")


@scenario("killed_process_unread", "like killed_process, but the server's second message is still unread in the client's receive queue when the process is killed: the kernel resets the connection instead of closing it")
def sc_killed_process_unread(lab):
    killed_client(lab, unread=True)
    lab.checkpoint("the kernel reset the dead process's connection", expect=("CLOSED", "CLOSED"))


def recv_until(sock, end):
    buf = b""
    sock.settimeout(5)
    while end not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    sock.settimeout(None)
    return buf


def ws_frame(opcode, payload, mask=False):
    """one unfragmented WebSocket frame (RFC 6455 section 5.2); client frames are masked"""
    head = bytes([0x80 | opcode, (0x80 if mask else 0) | len(payload)])
    if not mask:
        return head + payload
    key = b"\x37\xfa\x21\x3d"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


@scenario("websocket", "a WebSocket session (RFC 6455): HTTP/1.1 Upgrade request, 101 Switching Protocols, one text message each way, a Close frame each way (client first), then the server closes the TCP connection first (section 7.1.1), so the server holds TIME_WAIT")
def sc_websocket(lab):
    ls, c, s = handshake(lab)
    key = base64.b64encode(b"tcpstate-kernel!").decode()
    c.sendall(("GET /chat HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (lab.addr("server"), SPORT, key)).encode())
    lab.step("client: GET /chat with Upgrade: websocket")
    recv_until(s, b"\r\n\r\n")
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                           .encode()).digest()).decode()
    s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
    lab.step("server: 101 Switching Protocols")
    recv_until(c, b"\r\n\r\n")
    lab.checkpoint("after the upgrade", expect=EST)
    c.sendall(ws_frame(0x1, b"hello over websocket", mask=True))
    s.recv(4096)
    s.sendall(ws_frame(0x1, b"hello yourself"))
    c.recv(4096)
    lab.step("one text message each way")
    lab.checkpoint("after one message each way", expect=EST)
    c.sendall(ws_frame(0x8, struct.pack("!H", 1000), mask=True))
    s.recv(4096)
    s.sendall(ws_frame(0x8, struct.pack("!H", 1000)))
    c.recv(4096)
    lab.step("Close frame from the client, Close frame back from the server")
    lab.checkpoint("after the closing handshake", expect=EST)
    s.close()
    lab.step("server close() (RFC 6455 7.1.1: the server closes the TCP connection first)")
    lab.checkpoint("server FIN acknowledged", expect=("CLOSE_WAIT", "FIN_WAIT_2"))
    c.recv(4096)
    c.close()
    lab.step("client reads EOF, close()")
    lab.checkpoint("client FIN acknowledged: the server holds TIME_WAIT", expect=("CLOSED", "TIME_WAIT"))


def short_connections(lab, n):
    """n clients in turn connect, exchange one message each way and close();
    yields each one's number and the server's socket, still open"""
    ls = lab.listener()
    for i in range(n):
        c = lab.client()
        lab.connect(c)
        s = lab.accept(ls)
        exchange(lab, c, s)
        c.close()
        yield i, s


@scenario("close_wait_pileup", "a server that never calls close(): five clients in turn connect, exchange one message each way and close; every server socket stays in CLOSE_WAIT, every client in FIN_WAIT_2")
def sc_close_wait_pileup(lab):
    for i, _ in short_connections(lab, 5):
        lab.step("client %d close(); the server never closes" % (i + 1))
        lab.checkpoint("connection %d: client FIN acknowledged, the server socket stays in CLOSE_WAIT" % (i + 1),
                       expect=("FIN_WAIT_2", "CLOSE_WAIT"))


TW_PILEUP = 6


@scenario("time_wait_pileup", "a client that opens short connections one after another: %d clients in turn connect, exchange one message each way and close first, the server closes after it; every client socket stays in TIME_WAIT (60 s on Linux), a pile-up the census counts" % TW_PILEUP)
def sc_time_wait_pileup(lab):
    for i, s in short_connections(lab, TW_PILEUP):
        lab.step("client %d close()" % (i + 1))
        server_closes(lab, s, "connection %d: the server's FIN acknowledged, the client holds TIME_WAIT"
                      % (i + 1))


SYN_FLOOD = r"""
import random, sys
from scapy.all import Ether, IP, TCP, sendp, conf
conf.verb = 0
iface, smac, dmac, dst, dport, n = sys.argv[1:7]
rnd = random.Random(9293)
pkts = [Ether(src=smac, dst=dmac) /
        IP(src="10.201.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255)), dst=dst) /
        TCP(sport=rnd.randrange(1024, 65535), dport=int(dport), flags="S",
            seq=rnd.randrange(2 ** 32), window=64240)
        for _ in range(int(n))]
sendp(pkts, iface=iface)
"""
FLOOD_SYNS = 110


@scenario("syn_flood", "%d SYNs from spoofed sources (10.201.0.0/16, sent with scapy from the client namespace in one burst) to a listener with backlog 8, tcp_syncookies=0 and tcp_synack_retries=0: the server answers SYNs until its SYN queue is full and silently drops the rest (its SYN/ACKs go nowhere); a real client's SYN right after the flood is dropped too; the half-open entries expire after 1 s, and the client's retransmitted SYN gets through" % FLOOD_SYNS,
          sysctl={"server": {"net.ipv4.tcp_syncookies": 0, "net.ipv4.tcp_synack_retries": 0}})
def sc_syn_flood(lab):
    nsx("server", "ip", "route", "add", "10.201.0.0/16", "via", lab.addr("client"))
    lab.drop("client", ("ip daddr 10.201.0.0/16", lambda f: f["dst"][0].startswith("10.201.")),
             count=None, label="SYN/ACKs to the spoofed sources", hook="prerouting")
    ls = lab.listener(backlog=8)
    run(["ip", "netns", "exec", NS["client"], "/usr/bin/python3", "-c", SYN_FLOOD, DEV["client"],
         lab.mac["client"], lab.mac["server"], lab.addr("server"), str(SPORT), str(FLOOD_SYNS)])
    lab.step("scapy sent %d SYNs from spoofed sources" % FLOOD_SYNS)
    c = lab.client()
    lab.connect(c, block=False)
    lab.checkpoint("the real client's SYN dropped by the full SYN queue", quiet=0.3,
                   note="! unknowable: the server received the SYN (frame {frame}) but dropped it because "
                        "its SYN queue is full of half-open flood entries; only the retransmitted SYN, with no "
                        "SYN/ACK in between, shows it {{lost:{frame}}}",
                   expect=("SYN_SENT", "LISTEN"))
    lab.wait_packets(3, timeout=3)      # the SYN retransmission (1 s), SYN/ACK, ACK
    lab.checkpoint("the flood entries expired: the retransmitted SYN is answered", quiet=0.3, expect=EST)
    lab.accept(ls)


# --------------------------------------------------------------------------

README_HEAD = """\
# Kernel ground-truth captures

Generated by `sudo python3 tests/kernel/make_corpus.py` (see
`tests/kernel/README.md`); this file is rewritten by every run, do not edit it
by hand.  Every capture is real traffic between two Linux network namespaces
(client 10.200.0.1 / fd00:200::1 port 40000 and up, server 10.200.0.2 /
fd00:200::2 port 8080) joined by a veth pair, captured with tcpdump on the
**client's** veth (`tcp` only, so frame numbers count TCP segments only).
Segments are lost on purpose with nft in the *input* hook of a namespace, i.e.
after the capture point: a dropped segment is in the capture but never reached
its receiver.

A veth delivers inside the sender's system call, so nothing crosses in flight
there.  The scenarios with crossing segments (crossing_fins,
crossing_fins_data, simultaneous_open_one_lost, fin_crosses_rst) run instead
on two TAP devices joined by `tests/kernel/tap_forward.py` with a 20 ms
one-way delay, and each run is captured on both devices: `<name>` on the
client's, `<name>_srv` on the server's.  The capture point decides which of
two crossing segments is the earlier frame.

For each capture: what it shows, every frame (Info column shortened, `c>s`
client to server, `s>c` server to client), and the kernel's own states at the
checkpoints, copied from `tests/kernel/truth/<scenario>.truth`.  A state after
`!` could not be known from the wire at that frame (the reason is given).  The
raw evidence (tracefs transitions, `ss` output) is in
`tests/kernel/logs/<scenario>.log`.

Kernel: {kernel}.
"""

# What happens on which frames, for the captures the course cites (frame
# numbers are stable from run to run; checked after each regeneration).
SUMMARY = {
    "out_of_order_fin": "frame 8 (client data) is lost at the server; frame 9 brings the rest of the data "
                        "and the FIN out of order; the server's duplicate ACK (frame 10, Ack at the hole) "
                        "shows it still ESTABLISHED; the RTO retransmission (frame 11) fills the hole and "
                        "frame 12 acknowledges data and FIN at once (server CLOSE_WAIT); frames 13-14 "
                        "close the server side.",
    "simultaneous_open": "frames 1 and 2 are the two SYNs, both lost at their receiver; 1 s later the "
                         "retransmitted SYNs cross (frames 3, 4), each side answers from SYN_RCVD with a "
                         "SYN/ACK (5, 6), and frames 7, 8 are the ACKs: both ESTABLISHED, with no listener "
                         "anywhere.",
    "peer_power_off": "frames 1-7: handshake and one message each way; then the server vanishes; frame 8 "
                      "is the client's next message, frames 9-13 its retransmissions with the timeout "
                      "doubling each time; after frame 13 the client gives up (TCP_USER_TIMEOUT) and "
                      "nothing more is sent.",
    "killed_process": "frames 1-7: the client process connects and exchanges one message each way; it is "
                      "killed after frame 7; frame 8 is the FIN its kernel sends for it, frame 9 the ACK; "
                      "frames 10-11: the server's FIN and the orphaned socket's ACK (client TIME_WAIT).",
    "killed_process_unread": "frame 8 is the server's second message, which the client process never "
                             "reads (acknowledged by its kernel in frame 9); the process is killed and its "
                             "kernel sends RST (frame 10) instead of FIN.",
    "websocket": "frame 4: HTTP GET with Upgrade: websocket; frame 6: 101 Switching Protocols; frames 8-9: "
                 "a text message each way; frames 11-12: the Close frames (client first); frame 14: the "
                 "server's FIN (the server closes the TCP connection first); frame 16: the client's FIN; "
                 "frame 17: the last ACK, after which the server holds TIME_WAIT.",
    "close_wait_pileup": "five connections (client ports 40000-40004) of 9 frames each: handshake, one "
                         "message each way, the client's FIN and the server's ACK (frames 8-9, 17-18, 26-27, "
                         "35-36, 44-45); the server never sends a FIN, so all five server sockets end in "
                         "CLOSE_WAIT.",
    "crossing_fins": "frame 8: the client's FIN; frame 9: the server's FIN, sent before the client's reached "
                     "it (its Ack does not cover the client's FIN): they crossed; frame 10: the client, "
                     "now CLOSING, acknowledges it; frame 11: the server's ACK of the client's FIN, sent "
                     "from CLOSING when that FIN arrived: both end in TIME_WAIT.",
    "crossing_fins_srv": "the same run on the server's side: frame 8 is the server's FIN, frame 9 the "
                         "client's (crossed), frame 10 the server's ACK from CLOSING, frame 11 the "
                         "client's.",
    "crossing_fins_data": "frames 8-9: the client's last message and FIN; frame 10: the server's last "
                          "message, frame 12 its FIN, both sent before the client's segments arrived; "
                          "frame 11: the client, in FIN_WAIT_1, acknowledges the data; frame 13: the "
                          "client, now CLOSING, acknowledges the server's FIN; frame 14: the server's ACK "
                          "of the client's data and FIN, sent from CLOSING: both TIME_WAIT.",
    "crossing_fins_data_srv": "the same run on the server's side: frames 8-9 the server's message and "
                              "FIN, 10-11 the client's (crossed), 12 the server's ACK of both from "
                              "CLOSING, 13-14 the client's ACKs of the server's data and FIN.",
    "simultaneous_open_one_lost": "frame 1: the client's SYN, dropped at the server; frame 2: the "
                                  "server's SYN, sent before frame 1 could have arrived; it finds the "
                                  "client in SYN_SENT, which answers with a SYN/ACK (frame 3, the same "
                                  "sequence number as its SYN); the server, still in SYN_SENT, "
                                  "acknowledges it (frame 4): ESTABLISHED on both sides, nothing "
                                  "retransmitted.",
    "simultaneous_open_one_lost_srv": "the same run on the server's side: frame 1 is the server's SYN "
                                      "(so the plugin calls the server the client), frame 2 the "
                                      "client's SYN, dropped after the capture point, frames 3-4 the "
                                      "client's SYN/ACK and the server's ACK.",
    "fin_crosses_rst": "frame 8: the client's FIN; frame 9: the server's RST (SO_LINGER 0), sent before "
                       "the FIN arrived (its Ack does not cover the FIN): it closes the client in "
                       "FIN_WAIT_1; frame 10: the listener's RST answering the FIN, which found no "
                       "connection.",
    "fin_crosses_rst_srv": "the same run on the server's side: frame 8 is the server's RST, frame 9 the "
                           "client's FIN, sent before the RST reached it, frame 10 the RST answering it.",
    "time_wait_pileup": "six connections (client ports 40000-40005) of 10 frames each: handshake, one "
                        "message each way, the client's FIN, the server's ACK and FIN, the client's last "
                        "ACK; every client socket stays in TIME_WAIT to the end of the capture.",
    "syn_flood": "frames 1-119: 110 SYNs from spoofed 10.201.x.x sources; the first 9 are answered with "
                 "SYN/ACKs (frames 2-18, even numbers; they go nowhere), the other 101 are dropped by the "
                 "full SYN queue; frame 120: the real client's SYN, dropped too; its retransmission "
                 "(frame 121), sent after the half-open entries expired, gets the SYN/ACK (122) and "
                 "completes (123).  The syn_flood expert fires from frame 110 on (more than 100 half-open "
                 "handshakes in 10 s, the default).",
}


def short_info(info):
    info = re.sub(r" (TSval|TSecr|MSS|WS|Win)=\S+", "", info)
    info = info.replace(" SACK_PERM", "")
    info = re.sub(r"^(\[[^\]]*\] )*\d+ \u2192 \d+ ", lambda m: m.group(0).split("]")[0] + "] "
                  if m.group(0).startswith("[") else "", info)
    return info.strip()


def write_capture_readme():
    out = []
    kernel = None
    for name, point in [o for sc in SCENARIOS.values() for o in sc.outputs]:
        logp, truthp, capp = LOGDIR / (name + ".log"), truth_path(name), CAPDIR / (name + ".pcapng")
        if not (logp.exists() and truthp.exists() and capp.exists()):
            continue
        logtxt = logp.read_text().splitlines()
        m = re.search(r"on Linux (\S+)", logtxt[1] if len(logtxt) > 1 else "")
        kernel = kernel or (m.group(1) if m else None)
        truth = [l for l in truthp.read_text().splitlines() if l.strip()]
        header = truth[0][len("# scenario: "):] if truth and truth[0].startswith("# scenario:") else ""
        cps = {}
        for l in truth:
            if l.startswith("#"):
                continue
            no, c, srv, *rest = l.split(None, 3)
            cps.setdefault(int(no), []).append((c, srv, rest[0] if rest else ""))
        frames = []
        in_frames = False
        saddrs = {ADDR[4]["server"], ADDR[6]["server"]}
        for l in logtxt:
            if l.startswith("== frames"):
                in_frames = True
                continue
            if in_frames:
                if not l.strip():
                    break
                mm = re.match(r"\s*(\d+)\s+([\d.]+)\s+(\S+) -> (\S+)\s+(.*)$", l)
                if mm:
                    src = mm.group(3).rsplit(":", 1)[0]
                    info = mm.group(5)
                    drop = ""
                    if "  <-- DROPPED: " in info:
                        info, drop = info.split("  <-- DROPPED: ")
                    frames.append((int(mm.group(1)), float(mm.group(2)),
                                   "s>c" if src in saddrs else "c>s", short_info(info), drop))
        problems = [l for l in logtxt[:8] if l.startswith("PROBLEMS")]
        out.append("## %s.pcapng\n" % name)
        out.append("%s\n" % header)
        if name in SUMMARY:
            out.append("What happens: %s\n" % SUMMARY[name])
        if problems:
            out.append("**Warning:** %s\n" % problems[0])
        out.append("```")
        for no, t, d, info, drop in frames:
            line = "%3d %7.3fs %s %s" % (no, t, d, info)
            if drop:
                line += "   <- DROPPED after the capture point (%s)" % drop.split(" (")[0].replace("dropped on input in the ", "at the ").replace(" namespace", "")
            out.append(line)
            for c, srv, note in cps.get(no, []):
                out.append("      => kernel: client %s, server %s%s" % (c, srv, ("  " + note) if note else ""))
        out.append("```\n")
    CAPDIR.mkdir(parents=True, exist_ok=True)
    text = README_HEAD.format(kernel=kernel or "unknown") + "\n" + "\n".join(out)
    (CAPDIR / "README.md").write_text(text)


def run_scenario(sc, attempts):
    for attempt in range(1, attempts + 1):
        work = Path(tempfile.mkdtemp(prefix="tcpstk-"))
        os.chmod(work, 0o755)
        lab = Lab(sc.name, work, sc.family, sc.sysctl, sc.delay)
        try:
            lab.setup()
            sc.fn(lab)
            lab.wait_quiet(QUIET)
            events = lab.read_trace()
            lab.final_drops = lab.nft_counters() if lab.drops else {}
        finally:
            lab.teardown()
        try:
            CAPDIR.mkdir(parents=True, exist_ok=True)
            results, problems = [], []
            for name, point in sc.outputs:
                tmp = work / (name + ".pcapng")
                run(["editcap", "-F", "pcapng", str(lab.caps[point]), str(tmp)])
                frames, cps, probs = postprocess(lab, sc, tmp, events)
                results.append((name, point, tmp, frames, cps, dict(lab.dropped_frames)))
                problems += ["%s: %s" % (name, p) for p in probs] if len(sc.outputs) > 1 else probs
            if lab.delay is not None and len({len(r[3]) for r in results}) != 1:
                problems.append("the captures hold %s frames" % " and ".join(str(len(r[3])) for r in results))
            problems += lab.warnings
            if problems and attempt < attempts:
                log("  %s attempt %d: %s -- retrying" % (sc.name, attempt, "; ".join(problems)))
                continue
            for name, point, tmp, frames, cps, dropped in results:
                out = CAPDIR / (name + ".pcapng")
                shutil.copyfile(tmp, out)
                os.chmod(out, 0o644)
                lab.dropped_frames = dropped
                write_outputs(lab, sc, frames, cps, events, problems, name, point)
            return results[0][3], results[0][4], problems
        finally:
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*", help="scenario names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--readme", action="store_true",
                    help="only rewrite captures/kernel/README.md from the existing logs and truth files")
    ap.add_argument("--attempts", type=int, default=3,
                    help="retry a scenario whose run was not as expected (default 3)")
    args = ap.parse_args()
    if args.list:
        for sc in SCENARIOS.values():
            print("%-24s %s%s" % (sc.name, sc.desc, "; also captured on the server's side as %s%s"
                                 % (sc.name, SRV) if sc.delay is not None else ""))
        return 0
    if args.readme:
        write_capture_readme()
        return 0
    # <scenario>_srv is made by the run of <scenario>
    names = list(dict.fromkeys(n[:-len(SRV)] if n.endswith(SRV) and n[:-len(SRV)] in SCENARIOS else n
                               for n in args.scenarios)) or list(SCENARIOS)
    bad = [n for n in names if n not in SCENARIOS]
    if bad:
        ap.error("unknown scenario(s): %s (see --list)" % ", ".join(bad))
    if os.geteuid() != 0:
        ap.error("must run as root (namespaces, tracefs, tcpdump, nft)")

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    failed = []
    try:
        for n in names:
            t = time.time()
            frames, cps, problems = run_scenario(SCENARIOS[n], args.attempts)
            log("%-24s %3d frames, %2d checkpoints (%d unknowable)  %.1fs%s" %
                (n, len(frames), len(cps), sum(1 for c in cps if (c["note"] or "").startswith("!")),
                 time.time() - t, ("  PROBLEMS: " + "; ".join(problems)) if problems else ""))
            if problems:
                failed.append(n)
    finally:
        cleanup_everything()
    write_capture_readme()
    if failed:
        log("scenarios with problems (see their logs): " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
