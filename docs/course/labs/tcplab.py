# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers for the course labs: sockets on 127.0.0.1, states read from
/proc/net/tcp (no root, no ss), and an optional capture with dumpcap or tcpdump.
Linux only."""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata

HOST = "127.0.0.1"
SETTLE = 0.25  # s: Linux may delay an ACK by up to ~40 ms (200 ms at most)

# /proc/net/tcp "st" column: include/net/tcp_states.h
PROC_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1",
               5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT",
               9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}


# Output language: --lang, else the locale (LC_ALL, LC_MESSAGES, LANG).
# Labels are looked up as written in the scripts; {names} are filled in after.
LANG = "en"
ZH = {
    "client": "客户端", "server": "服务器", "(gone)": "（已不在）",
    "after connect() and accept()": "connect() 和 accept() 之后",
    "after one message each way": "双方各发一条消息之后",
    "client close()": "客户端 close()",
    "server close()": "服务器 close()",
    "server recv() returns {data} (end of file: the client's FIN)":
        "服务器 recv() 返回 {data}（文件结束：客户端的 FIN）",
    "client shutdown(SHUT_WR)": "客户端 shutdown(SHUT_WR)",
    "server recv() returns {first} then {second}": "服务器 recv() 先返回 {first}，再返回 {second}",
    "server sends {n} bytes": "服务器发送 {n} 字节",
    "client recv() returns {data}": "客户端 recv() 返回 {data}",
    "first connection": "第一条连接",
    "server sockets in CLOSE_WAIT: {cw}, client sockets in FIN_WAIT2: {fw}":
        "处于 CLOSE_WAIT 的服务器 socket：{cw} 个，处于 FIN_WAIT2 的客户端 socket：{fw} 个",
    "after the server closes them": "服务器关闭它们之后",
    "server sockets in CLOSE_WAIT: {cw}, client sockets in TIME_WAIT: {tw}":
        "处于 CLOSE_WAIT 的服务器 socket：{cw} 个，处于 TIME_WAIT 的客户端 socket：{tw} 个",
    "connected?! something listens on port {port}": "连上了？！端口 {port} 上有程序在监听",
    "connect() failed: {err}: the SYN was answered by a RST": "connect() 失败：{err}：SYN 得到的回应是 RST",
    "server closed first, then exited": "服务器先关闭，然后退出",
    "restart without SO_REUSEADDR: {result}": "不设 SO_REUSEADDR 重启：{result}",
    "restart with SO_REUSEADDR: {result}": "设了 SO_REUSEADDR 重启：{result}",
    "bind() and listen() succeed": "bind() 和 listen() 成功",
    "bind() fails: {err}": "bind() 失败：{err}",
    "client process running": "客户端进程在运行",
    "client process killed": "客户端进程被杀死",
    "server recv() returns {data}": "服务器 recv() 返回 {data}",
    "server recv() fails: {err}": "服务器 recv() 失败：{err}",
    "captured to {path}; annotate it with:": "已抓包到 {path}；用下面的命令标注状态：",
}
# strerror() under the C locale is English: the errors the labs meet, in Chinese
ZH_ERRNO = {98: "地址已被占用", 104: "连接被对端重置", 111: "连接被拒绝"}


def t(text, **kw):
    """text in the output language, with {names} filled in"""
    if LANG == "zh-CN":
        text = ZH.get(text, text)
    return text.format(**kw) if kw else text


def err(e):
    """an OSError as 'strerror (errno N)', in the output language"""
    what = ZH_ERRNO.get(e.errno, e.strerror) if LANG == "zh-CN" else e.strerror
    return f"{what} (errno {e.errno})"


def pad(text, width):
    """text padded to width terminal columns (a Chinese character takes two)"""
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - cols, 0)


def locale_lang():
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh-CN" if value.startswith("zh") else "en"
    return "en"


# States that a pending ACK ends within milliseconds on loopback.
TRANSIENT = {"SYN_SENT", "SYN_RECV", "FIN_WAIT1", "LAST_ACK", "CLOSING"}


def sockets():
    """Every TCP socket of this network namespace: (local port, remote port, state)."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            lport = int(cols[1].rsplit(":", 1)[1], 16)
            rport = int(cols[2].rsplit(":", 1)[1], 16)
            out.append((lport, rport, PROC_STATES.get(int(cols[3], 16), cols[3])))
    return out


def state(lport, rport):
    """The state of the socket with these ports, or "(gone)" when there is none."""
    found = [st for lp, rp, st in sockets() if lp == lport and rp == rport]
    return found[0] if found else "(gone)"


def count(pairs, role, st):
    """How many of this lab's connections (pair() results) have their client
    or server socket in state st. Counting by the pairs' own port pairs, not
    by the server port alone: a listener's port may be one an earlier run
    left TIME_WAIT sockets on (SO_REUSEADDR lets it bind there)."""
    now = sockets()
    i = 2 if role == "client" else 3
    return sum(1 for p in pairs
               if any(lp == p[i][0] and rp == p[i][1] and s == st for lp, rp, s in now))


def show(label, client, server):
    """Print both ends' states after a pause for delayed ACKs.
    client: (client port, server port); server is the same pair seen from the server."""
    time.sleep(SETTLE)
    deadline = time.time() + 3
    c, s = state(*client), state(*server)
    while (c in TRANSIENT or s in TRANSIENT) and time.time() < deadline:
        time.sleep(0.05)   # a delayed ACK, on a loaded machine
        c, s = state(*client), state(*server)
    if LANG == "zh-CN":
        print(f"{pad(t(label) + '：', 34)} {t('client')} {pad(t(c), 12)} {t('server')} {t(s)}")
    else:
        print(f"{label + ':':34} client {c:12} server {s}")


def listener(reuse=True, port=0):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if reuse:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, port))
    ls.listen(16)
    return ls


def pair(ls):
    """Connect a client to listener ls; return (client, server, client ports, server ports)."""
    port = ls.getsockname()[1]
    c = socket.create_connection((HOST, port))
    s, _ = ls.accept()
    cport = c.getsockname()[1]
    return c, s, (cport, port), (port, cport)


class _Parser(argparse.ArgumentParser):
    def parse_args(self, *args, **kw):
        global LANG
        ns = super().parse_args(*args, **kw)
        LANG = ns.lang
        return ns


def arguments(description):
    ap = _Parser(description=description)
    ap.add_argument("--lang", choices=("en", "zh-CN"), default=locale_lang(),
                    help="output language (default: from the locale)")
    ap.add_argument("--port", type=int, default=0,
                    help="server port (default: any free port)")
    ap.add_argument("--capture", metavar="FILE.pcapng",
                    help="also capture the lab's traffic on the loopback interface "
                         "(needs capture permission, see the labs' README)")
    return ap


class Capture:
    """dumpcap (or tcpdump) on lo, filtered to one port, for the duration of a with block."""

    def __init__(self, path, port):
        self.path, self.port, self.proc = path, port, None

    def __enter__(self):
        if not self.path:
            return self
        filt = f"tcp port {self.port}"
        if shutil.which("dumpcap"):
            cmd = ["dumpcap", "-q", "-i", "lo", "-f", filt, "-w", self.path]
        elif shutil.which("tcpdump"):
            cmd = ["tcpdump", "-q", "-i", "lo", "-U", "--immediate-mode", "-w", self.path, filt]
        else:
            sys.exit("neither dumpcap nor tcpdump found")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(100):  # until the capture file exists: the capture has started
            if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
                break
            if self.proc.poll() is not None:
                sys.exit("capture failed: " + self.proc.stderr.read().decode().strip())
            time.sleep(0.05)
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        if self.proc:
            time.sleep(1)  # let the last segments reach the capture
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=10)
            print(t("captured to {path}; annotate it with:", path=self.path) + "\n"
                  f"  tshark -2 -r {self.path} -T fields -e frame.number -e tcp.srcport "
                  f"-e tcp.flags.str -e tcpstate.summary")
        return False
