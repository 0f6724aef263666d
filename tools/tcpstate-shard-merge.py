#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of tools/tcpstate-shard (docs/sharding.md). Standard library only.

  tcpstate-shard-merge.py filter N K
      The BPF filter of shard K of N: a symmetric hash of the 4-tuple
      (addresses and ports added, so both directions agree), IPv4 and IPv6.
      Packets the hash cannot read (not TCP over IPv4/IPv6 right after the
      link layer, IP fragments, IPv6 extension headers, VLAN tags) all go
      to shard 0, so each connection still lands whole in one shard.

  tcpstate-shard-merge.py map N CAPTURE
      The shard of every frame of CAPTURE (pcap or pcapng), computed as the
      filter does, one byte per frame, written to stdout.

  tcpstate-shard-merge.py merge MAP OUT-0 OUT-1 ...
      Merge the outputs of `tshark -T fields -e frame.number -e ...` (and
      any -z tcpstate tables printed after them) run on each shard: the
      frame lines back in the original order, with frame.number and the
      frame references among the fields (named by --fields) translated to
      the original numbers and tcp.stream numbered again as Wireshark does
      (in the order of each stream's first frame); then the tables, each
      row summed over the shards, in tshark's layout.
"""
import struct
import sys

IPV4_WORDS = [(12, 4), (16, 4)]
IPV6_WORDS = [(8 + 4 * i, 4) for i in range(8)]

# Fields whose values are frame numbers (FT_FRAMENUM).
FRAME_FIELDS = {"frame.number", "tcpstate.closer.frame", "tcpstate.client.since",
                "tcpstate.server.since", "tcpstate.lost.shown_by", "tcpstate.reveals_lost"}


def bpf_filter(n, k):
    """The tcpdump filter of shard k of n."""
    v4 = "ip and ip[9] == 6 and (ip[6:2] & 0x3fff) == 0"
    v6 = "ip6 and ip6[6] == 6"
    h4 = "+".join("ip[%d:%d]" % w for w in IPV4_WORDS) + "+tcp[0:2]+tcp[2:2]"
    h6 = "+".join("ip6[%d:%d]" % w for w in IPV6_WORDS) + "+ip6[40:2]+ip6[42:2]"
    f = "(%s and (%s) %% %d == %d) or (%s and (%s) %% %d == %d)" % (v4, h4, n, k, v6, h6, n, k)
    if k == 0:
        f += " or not ((%s) or (%s))" % (v4, v6)
    return f


# Link types whose network layer we can find: offset of the protocol field
# and of the network header.
ETHERTYPE_IP, ETHERTYPE_IPV6 = 0x0800, 0x86DD


def network(linktype, data):
    """(version, offset of the IP header) as libpcap's `ip`/`ip6` see it,
    or (None, 0)."""
    if linktype == 1:                       # Ethernet: no VLAN parsing, as `ip`
        if len(data) < 14:
            return None, 0
        et = struct.unpack_from("!H", data, 12)[0]
        return {ETHERTYPE_IP: 4, ETHERTYPE_IPV6: 6}.get(et), 14
    if linktype == 113:                     # Linux cooked (SLL)
        if len(data) < 16:
            return None, 0
        et = struct.unpack_from("!H", data, 14)[0]
        return {ETHERTYPE_IP: 4, ETHERTYPE_IPV6: 6}.get(et), 16
    if linktype == 276:                     # SLL2
        if len(data) < 20:
            return None, 0
        et = struct.unpack_from("!H", data, 0)[0]
        return {ETHERTYPE_IP: 4, ETHERTYPE_IPV6: 6}.get(et), 20
    if linktype in (101, 12, 14, 228, 229):  # raw IP
        if not data:
            return None, 0
        v = data[0] >> 4
        return (v if v in (4, 6) else None), 0
    return None, 0


def shard_of(linktype, data, n):
    """The shard the filter gives this packet; None when the filter would
    drop it from every shard (its ports were not captured)."""
    v, off = network(linktype, data)
    ip = data[off:]
    if v == 4 and len(ip) >= 20 and ip[9] == 6 and \
            (struct.unpack_from("!H", ip, 6)[0] & 0x3FFF) == 0:
        hl = (ip[0] & 0x0F) * 4
        if len(ip) < hl + 4:
            return None
        words = [struct.unpack_from("!I", ip, o)[0] for o, _ in IPV4_WORDS]
        ports = struct.unpack_from("!HH", ip, hl)
    elif v == 6 and len(ip) >= 7 and ip[6] == 6:
        if len(ip) < 44:
            return None
        words = [struct.unpack_from("!I", ip, o)[0] for o, _ in IPV6_WORDS]
        ports = struct.unpack_from("!HH", ip, 40)
    else:
        return 0
    return ((sum(words) + sum(ports)) & 0xFFFFFFFF) % n


def packets(path):
    """(linktype, captured bytes) of every packet of a pcap or pcapng file."""
    with open(path, "rb") as f:
        buf = f.read()
    magic = buf[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack_from(e + "I", buf, 20)[0] & 0x0FFFFFFF
        pos = 24
        while pos + 16 <= len(buf):
            caplen = struct.unpack_from(e + "I", buf, pos + 8)[0]
            yield linktype, buf[pos + 16:pos + 16 + caplen]
            pos += 16 + caplen
        return
    if magic != b"\x0a\x0d\x0d\x0a":
        raise SystemExit("%s: neither pcap nor pcapng" % path)
    pos, e, links = 0, "<", []
    while pos + 12 <= len(buf):
        btype = struct.unpack_from("<I", buf, pos)[0]
        if btype == 0x0A0D0D0A:
            e = "<" if buf[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack_from(e + "I", buf, pos + 4)[0]
        btype = struct.unpack_from(e + "I", buf, pos)[0]
        if btype == 1:                                   # IDB
            links.append(struct.unpack_from(e + "H", buf, pos + 8)[0])
        elif btype == 6:                                 # EPB
            ifid, _, _, caplen = struct.unpack_from(e + "IIII", buf, pos + 8)
            yield links[ifid], buf[pos + 28:pos + 28 + caplen]
        elif btype == 3:                                 # SPB
            wire = struct.unpack_from(e + "I", buf, pos + 8)[0]
            yield links[0], buf[pos + 12:pos + 12 + min(wire, blen - 16)]
        pos += blen


def frame_map(n, path):
    out = bytearray()
    for linktype, data in packets(path):
        s = shard_of(linktype, data, n)
        out.append(255 if s is None else s)
    return bytes(out)


SEP = "=" * 101


def split_output(text):
    """(frame lines, table blocks) of one tshark output."""
    lines, blocks, cur = [], [], None
    for line in text.splitlines():
        if line == SEP:
            if cur is None:
                cur = []
            else:
                blocks.append(cur)
                cur = None
            continue
        if cur is not None:
            cur.append(line)
        elif line.strip():
            lines.append(line)
    return lines, blocks


def parse_block(block):
    """(title, filter, header, [(table, [(texts, count, meaning)])])."""
    title = block[0].rstrip(":")
    flt = block[1].split(":", 1)[1].strip() if len(block) > 1 else ""
    header = block[2] if len(block) > 2 else ""
    tables = []
    for line in block[3:]:
        if "|" not in line:
            tables.append((line, []))
            continue
        cols = [c.strip() for c in line.rstrip().rstrip("|").split("|")]
        tables[-1][1].append(cols)
    return title, flt, header, tables


def merge_blocks(all_blocks):
    """Sum the counts of blocks with the same title and filter."""
    merged = {}
    order = []
    for blocks in all_blocks:
        for block in blocks:
            title, flt, header, tables = parse_block(block)
            key = (title, flt)
            if key not in merged:
                merged[key] = (header, {})
                order.append(key)
            header, tabs = merged[key]
            for tname, rows in tables:
                rowmap = tabs.setdefault(tname, {})
                for cols in rows:
                    num = [i for i, c in enumerate(cols) if c.isdigit()]
                    if not num:
                        continue
                    i = num[0]
                    rk = tuple(cols[:i] + ["#"] + cols[i + 1:])
                    rowmap[rk] = rowmap.get(rk, 0) + int(cols[i])
    out = []
    for key in order:
        header, tabs = merged[key]
        out += ["", SEP, "%s:" % key[0], "Filter for statistics: %s" % key[1], header]
        for tname, rowmap in tabs.items():
            out.append(tname)
            for rk, count in rowmap.items():
                cols = [str(count) if c == "#" else c for c in rk]
                first = cols[0]
                if "Key" in header:                     # tshark's "%-24s"
                    first = "%-24s" % first
                out.append(" |".join([first] + cols[1:]) + " |")
        out.append(SEP)
    return out


def merge(argv):
    fields = []
    if argv and argv[0] == "--fields":
        fields = argv[1].split(",")
        argv = argv[2:]
    with open(argv[0], "rb") as f:
        shard_seq = f.read()
    outs = []
    for path in argv[1:]:
        with open(path) as f:
            outs.append(split_output(f.read()))
    # original frame number of each shard's local frame number
    orig = [[0] for _ in outs]
    for i, s in enumerate(shard_seq, 1):
        if s < len(outs):
            orig[s].append(i)
    frame_cols = [i for i, name in enumerate(fields) if name in FRAME_FIELDS] or [0]
    rows = []
    for s, (lines, _) in enumerate(outs):
        for line in lines:
            cols = line.split("\t")
            for c in frame_cols:
                if c < len(cols) and cols[c]:
                    cols[c] = ",".join(str(orig[s][int(v)]) for v in cols[c].split(","))
            rows.append((int(cols[0]), (s, cols)))
    rows.sort()
    # tcp.stream: Wireshark numbers streams in the order their first frame
    # comes, so numbering them again in the original order gives its values.
    if "tcp.stream" in fields:
        c, renum, merged = fields.index("tcp.stream"), {}, []
        for _, (s, cols) in rows:
            if c < len(cols) and cols[c] != "":
                vals = []
                for v in cols[c].split(","):
                    vals.append(str(renum.setdefault((s, v), len(renum))))
                cols[c] = ",".join(vals)
            merged.append("\t".join(cols))
    else:
        merged = ["\t".join(cols) for _, (_, cols) in rows]
    out = merged + merge_blocks([b for _, b in outs])
    sys.stdout.write("\n".join(out) + "\n")


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "filter":
        print(bpf_filter(int(args[1]), int(args[2])))
    elif len(args) == 3 and args[0] == "map":
        sys.stdout.buffer.write(frame_map(int(args[1]), args[2]))
    elif len(args) >= 3 and args[0] == "merge":
        merge(args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
