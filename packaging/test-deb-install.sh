#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the tcpstate .deb, install it, check that tshark loads the plugin and
# that it annotates a capture, then remove the package and check that it is
# really gone. Exits non-zero on any failure. This installs a system package,
# so it must run as root, and it is meant for a throwaway system:
# packaging/compat-test.sh --deb runs it in debootstrap chroots. (ctest's
# packaging.deb, packaging/test-deb.sh, checks the .deb without installing it.)
#
# usage: packaging/test-deb-install.sh [--field NAME] [BUILD_DIR [CAPTURE]]
#   BUILD_DIR  an already configured build dir. It is (re)built and packaged.
#              Without one, the script configures a fresh build in a temp dir.
#   CAPTURE    pcap/pcapng to dissect (default: first file under captures/,
#              or a generated TCP handshake if captures/ has none)
#   --field    field that must get values (default: tcpstate.client)
#
# tshark runs as uid 65534 with HOME set to an empty temp folder and
# WIRESHARK_PLUGIN_DIR unset, so only the system plugin folder can supply the
# plugin.
set -eu

field=tcpstate.client
while [ $# -gt 0 ]; do
  case $1 in
    --field) field=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "test-deb-install.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
build=${1:-}
capture=${2:-}

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
pkg=tcpstate

say()  { printf 'test-deb: %s\n' "$*"; }
fail() { printf 'test-deb: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "test-deb-install.sh: must run as root (it installs a package)" >&2; exit 2; }
for t in cmake tshark dpkg dpkg-deb setpriv; do
  command -v "$t" >/dev/null 2>&1 || { echo "test-deb-install.sh: $t not found" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/tcpstate-debtest.XXXXXX)
installed_by_us=0
cleanup() {
  rc=$?
  if [ "$installed_by_us" = 1 ] && dpkg -s "$pkg" >/dev/null 2>&1; then
    say "cleanup: removing $pkg"
    dpkg -r "$pkg" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$tmp"
mkdir -p "$tmp/home"; chmod 1777 "$tmp/home"

# Run tshark as nobody with an empty home and no plugin dir override.
ts() {
  (cd "$tmp" && setpriv --reuid=65534 --regid=65534 --clear-groups \
     env -u WIRESHARK_PLUGIN_DIR -u WIRESHARK_CONFIG_DIR HOME="$tmp/home" tshark "$@")
}

if dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
  fail "package $pkg is already installed; remove it first (dpkg -r $pkg) so the test starts clean"
fi

# ---- 1. build the .deb -------------------------------------------------------
if [ -z "$build" ]; then
  build=$tmp/build
  say "configuring $src in $build"
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/configure.log" 2>&1 \
    || { cat "$tmp/configure.log" >&2; fail "configure failed"; }
fi
[ -f "$build/CPackConfig.cmake" ] || fail "$build has no CPackConfig.cmake (not configured with packaging/?)"
say "building and packaging in $build"
rm -f "$build"/${pkg}_*.deb
cmake --build "$build" --target tcpstate >"$tmp/build.log" 2>&1 \
  || { tail -n 50 "$tmp/build.log" >&2; fail "build failed"; }
cmake --build "$build" --target package >"$tmp/package.log" 2>&1 \
  || { tail -n 50 "$tmp/package.log" >&2; fail "cpack failed"; }
deb=$(ls "$build"/${pkg}_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no ${pkg}_*.deb in $build"
say "package: $(basename "$deb")"
dpkg-deb -f "$deb" Package Version Architecture Depends | sed 's/^/  /'
case $(basename "$deb") in
  ${pkg}_*_"$(dpkg --print-architecture)".deb) ;;
  *) fail "unexpected file name $(basename "$deb")" ;;
esac
so_path=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed -n 's#^\./#/#; /\/epan\/tcpstate\.so$/p')
[ -n "$so_path" ] || fail "the .deb has no */epan/tcpstate.so"
ver=$(tshark --version 2>/dev/null | sed -n '1s/.*(Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')
case $so_path in
  */plugins/"$ver"/epan/tcpstate.so) ;;
  *) fail "$so_path is not in the plugin folder of the installed tshark ($ver)" ;;
esac
say "plugin path in package: $so_path"

# ---- 2. capture ---------------------------------------------------------------
if [ -z "$capture" ]; then
  capture=$(find "$src/captures" -type f \( -name '*.pcap' -o -name '*.pcapng' \) 2>/dev/null | sort | head -n 1)
fi
if [ -z "$capture" ]; then
  command -v python3 >/dev/null 2>&1 || fail "no capture given, none in captures/, and no python3 to make one"
  capture=$tmp/handshake.pcap
  python3 - "$capture" <<'EOF'
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def pkt(src, dst, sp, dp, seq, ack, flags):
    tcp = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    c = csum(bytes(src) + bytes(dst) + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\0\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00' + ip + tcp
C, S = [10, 0, 0, 1], [10, 0, 0, 2]
p = [pkt(C, S, 40000, 80, 100, 0, 0x02), pkt(S, C, 80, 40000, 500, 101, 0x12),
     pkt(C, S, 40000, 80, 101, 501, 0x10), pkt(C, S, 40000, 80, 101, 501, 0x11),
     pkt(S, C, 80, 40000, 501, 102, 0x11), pkt(C, S, 40000, 80, 102, 502, 0x10)]
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, d in enumerate(p):
        f.write(struct.pack('<IIII', 1700000000, i * 1000, len(d), len(d)) + d)
EOF
fi
[ -f "$capture" ] || fail "capture $capture not found"
cp "$capture" "$tmp/capture"; chmod 644 "$tmp/capture"
say "capture: $capture"

# ---- 3. before: the plugin must not be visible yet ----------------------------
[ ! -e "$so_path" ] || fail "$so_path exists before installing (left over from a manual install?)"
if ts -G plugins 2>/dev/null | grep -q 'tcpstate\.so'; then
  fail "tshark already lists tcpstate before the package is installed"
fi

# ---- 4. install ------------------------------------------------------------------
say "installing $(basename "$deb")"
installed_by_us=1
if command -v apt-get >/dev/null 2>&1; then
  # apt-get needs a path with a slash to treat the argument as a file.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")" >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log" >&2; fail "apt-get install failed"; }
else
  dpkg -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "dpkg -i failed"; }
fi
dpkg -s "$pkg" | grep -q '^Status: install ok installed' || fail "$pkg not installed after install"
[ -f "$so_path" ] || fail "$so_path missing after install"
dpkg -L "$pkg" | grep -qx "$so_path" || fail "dpkg -L $pkg does not list $so_path"

# ---- 5. tshark must list and use it ------------------------------------------
ts -G plugins >"$tmp/plugins.txt" 2>"$tmp/plugins.err" || true
grep 'tcpstate\.so' "$tmp/plugins.txt" | sed 's/^/  /' || true
grep -qF "$so_path" "$tmp/plugins.txt" \
  || { cat "$tmp/plugins.err" >&2; fail "tshark -G plugins (uid 65534) does not list $so_path"; }
say "tshark lists the plugin from the system folder"

ts -G fields 2>/dev/null | awk -F'\t' -v f="$field" '$1=="F" && $3==f {found=1} END {exit !found}' \
  || fail "tshark does not know the field $field"
ts -r "$tmp/capture" -T fields -e "$field" >"$tmp/fields.txt" 2>"$tmp/fields.err" \
  || { cat "$tmp/fields.err" >&2; fail "tshark -r failed"; }
n_pkts=$(wc -l <"$tmp/fields.txt")
n_vals=$(grep -c . "$tmp/fields.txt" || true)
say "$field has a value in $n_vals of $n_pkts packets; first: $(grep -m1 . "$tmp/fields.txt" || true)"
[ "$n_vals" -gt 0 ] || { cat "$tmp/fields.err" >&2; fail "$field has no value in any packet"; }

# ---- 6. remove ---------------------------------------------------------------------
say "removing $pkg"
if command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get remove -y "$pkg" >"$tmp/remove.log" 2>&1 \
    || { cat "$tmp/remove.log" >&2; fail "apt-get remove failed"; }
else
  dpkg -r "$pkg" >"$tmp/remove.log" 2>&1 || { cat "$tmp/remove.log" >&2; fail "dpkg -r failed"; }
fi
installed_by_us=0
if dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
  fail "$pkg still installed after removal"
fi
[ ! -e "$so_path" ] || fail "$so_path still present after removal"
if ts -G plugins 2>/dev/null | grep -q 'tcpstate\.so'; then
  fail "tshark still lists tcpstate after removal"
fi
say "PASS ($(basename "$deb"), Wireshark $ver)"
