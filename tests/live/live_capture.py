#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tcpstate on a live interface: tshark -i, one pass, while a client and a server talk.

    sudo tests/live/live_capture.py PLUGIN.so

Needs root (network namespaces); without it, or without ip, setpriv or
tshark, it prints SKIP and exits 77.  Two private namespaces joined by a veth
pair (names carry the pid, so runs can overlap); in the client namespace two
tshark processes capture the veth at the same time:

  * all frames, as summary lines with the columns No., tcpstate.client,
    tcpstate.server and Info, which must carry the state annotation (-o tcpstate.info_column:first,
    the TCP States profile's; off by default; the
    Info column as shown: from 4.2 on, the `_ws.col.info` field of
    `-T fields` holds the text from before any post-dissector ran);
  * `-Y 'tcpstate.server == "CLOSE_WAIT"'`: only the frames after which the
    server is in CLOSE_WAIT, as one would watch an interface for it.

tshark as root ignores WIRESHARK_PLUGIN_DIR, so both run as nobody (65534)
with CAP_NET_RAW and CAP_NET_ADMIN as ambient capabilities (setpriv), inside
`ip netns exec`; dumpcap inherits them.  The client connects, sends, reads the
reply and closes; the server never closes until 0.3 s later: a CLOSE_WAIT.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tcpstate_states import STATES  # noqa: E402

PID = os.getpid()
NS = {"client": "tcpst_lc%d" % PID, "server": "tcpst_ls%d" % PID}
DEV = {"client": "tsl%dc" % (PID % 100000), "server": "tsl%ds" % (PID % 100000)}
ADDR = {"client": "10.203.0.1", "server": "10.203.0.2"}
PORT_C, PORT_S = 41000, 8080
CLONE_NEWNET = 0x40000000

# (client, server) after each frame, as one pass must say live
EXPECTED = [("SYN_SENT", "SYN_RCVD"), ("ESTABLISHED", "SYN_RCVD"), ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"), ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"), ("ESTABLISHED", "ESTABLISHED"),
            ("FIN_WAIT_1", "CLOSE_WAIT"), ("FIN_WAIT_2", "CLOSE_WAIT"),
            ("TIME_WAIT", "LAST_ACK"), ("TIME_WAIT", "CLOSED")]


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def netns_socket(name):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    finally:
        libc.setns(here, CLONE_NEWNET)
        os.close(here)
        os.close(there)
    return s


def setup():
    for side in ("client", "server"):
        sh("ip", "netns", "add", NS[side])
    sh("ip", "link", "add", DEV["client"], "type", "veth", "peer", "name", DEV["server"])
    for side in ("client", "server"):
        sh("ip", "link", "set", DEV[side], "netns", NS[side])
        sh("ip", "-n", NS[side], "addr", "add", ADDR[side] + "/24", "dev", DEV[side])
        sh("ip", "-n", NS[side], "link", "set", DEV[side], "up")
        sh("ip", "-n", NS[side], "link", "set", "lo", "up")


def teardown():
    for side in ("client", "server"):
        subprocess.run(["ip", "netns", "del", NS[side]], capture_output=True)


def tshark(plugdir, home, args):
    cmd = ["ip", "netns", "exec", NS["client"], "setpriv", "--reuid=65534", "--regid=65534",
           "--clear-groups", "--inh-caps=+net_raw,+net_admin", "--ambient-caps=+net_raw,+net_admin",
           "env", "HOME=" + home, "WIRESHARK_PLUGIN_DIR=" + plugdir,
           "tshark", "-i", DEV["client"], "-l", "-n", "-f", "tcp port %d" % PORT_S] + args
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err = []
    ready = threading.Event()

    def drain():
        for line in p.stderr:
            err.append(line)
            if line.startswith("Capturing on"):
                ready.set()
        ready.set()
    threading.Thread(target=drain, daemon=True).start()
    return p, ready, err


def talk():
    srv = netns_socket(NS["server"])
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ADDR["server"], PORT_S))
    srv.listen(1)
    c = netns_socket(NS["client"])
    c.bind((ADDR["client"], PORT_C))
    c.settimeout(5)
    c.connect((ADDR["server"], PORT_S))
    s, _ = srv.accept()
    s.settimeout(5)
    c.sendall(b"hello from the client\n")
    s.recv(4096)
    s.sendall(b"hello from the server\n")
    c.recv(4096)
    c.close()
    s.recv(4096)            # EOF; the server lingers in CLOSE_WAIT ...
    time.sleep(0.3)
    s.close()               # ... and closes at last
    time.sleep(0.3)
    srv.close()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        skip("needs root (network namespaces, capture capabilities)")
    for tool in ("ip", "setpriv", "tshark", "dumpcap"):
        if not shutil.which(tool):
            skip("%s not found" % tool)
    ver = re.search(r"\(Wireshark\) (\d+\.\d+)", sh("tshark", "--version").stdout)
    tmp = tempfile.mkdtemp(prefix="tcpstate-live-")
    plugdir = os.path.join(tmp, "plugins")
    os.makedirs(os.path.join(plugdir, ver.group(1), "epan"))
    os.makedirs(os.path.join(tmp, "home"))
    shutil.copy(sys.argv[1], os.path.join(plugdir, ver.group(1), "epan"))
    for root, dirs, files in os.walk(tmp):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    os.chmod(tmp, 0o755)
    os.chmod(os.path.join(tmp, "home"), 0o1777)
    procs = []
    try:
        setup()
        home = os.path.join(tmp, "home")
        procs.append(tshark(plugdir, home, ["-o", "tcpstate.info_column:first", "-o", 'gui.column.format:"No.","%m","Client",'
                                            '"%Cus:tcpstate.client","Server","%Cus:tcpstate.server",'
                                            '"Info","%i"']))
        procs.append(tshark(plugdir, home, ["-Y", 'tcpstate.server == "CLOSE_WAIT"', "-T", "fields",
                                            "-e", "frame.number"]))
        for p, ready, err in procs:
            if not ready.wait(20) or p.poll() is not None:
                print("tshark did not start:\n" + "".join(err))
                return 1
        time.sleep(0.3)
        talk()
        time.sleep(1.0)
        outs = []
        for p, _ready, err in procs:
            p.send_signal(signal.SIGINT)
            outs.append(p.communicate(timeout=20)[0])
    finally:
        for p, _r, _e in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)
    rows = [l.split(None, 3) for l in outs[0].splitlines() if l.strip()]
    fails = []
    got = [(STATES[int(r[1])] if r[1].isdigit() else r[1], STATES[int(r[2])] if r[2].isdigit() else r[2])
           for r in rows if len(r) >= 4]
    if got != EXPECTED:
        fails.append("states, frame by frame:\n  want %s\n  got  %s" % (EXPECTED, got))
    for r in rows:
        if len(r) < 4 or not re.match(r"\[[A-Z,]+ C:\S+ S:\S+\] ", r[3]):
            fails.append("frame %s: Info without the state annotation: %r" % (r[0], r[3] if len(r) > 3 else ""))
    filt = outs[1].split()
    if filt != ["8", "9"]:
        fails.append("-Y 'tcpstate.server == \"CLOSE_WAIT\"' matched frames %s, want 8 9" % filt)
    for r in rows:
        print("  " + "  ".join(r))
    print("CLOSE_WAIT filter matched frames: %s" % " ".join(filt))
    for f in fails:
        print("FAIL: " + f)
    print("live capture: %d frames, %d failure(s)" % (len(rows), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
