#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the tcpstate .deb and check it WITHOUT installing it: the system, its
# plugin folders and any tcpstate already installed (package or by hand) are
# left alone. ctest runs this as packaging.deb.
#
#   1. cpack builds the .deb from BUILD_DIR into a temp folder;
#   2. its control fields, file name and contents are checked: the plugin sits
#      in the plugin folder of the installed tshark, with a DEP-5 copyright
#      and a changelog;
#   3. dpkg-deb -x unpacks it into a temp root, and tshark (as uid 65534,
#      WIRESHARK_PLUGIN_DIR pointing into that root, so no other plugin
#      folder counts) must list the plugin from there and annotate a capture;
#   4. lintian must report no error and no warning (no override is needed
#      today; the two "I:" hardening notes are informational).
#
# usage: packaging/test-deb.sh BUILD_DIR [CAPTURE]
#   BUILD_DIR  a configured and built tree (the plugin is not rebuilt)
#   CAPTURE    default: captures/kernel/basic_client_close.pcapng
# Exit: 0 pass, 1 fail, 2 usage, 77 every check passed but lintian is not
# installed (skipped). Installing, loading and removing the package for real
# happens in a chroot: packaging/compat-test.sh --deb.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:?usage: test-deb.sh BUILD_DIR [CAPTURE]}
capture=${2:-$src/captures/kernel/basic_client_close.pcapng}
want_first="C:CLOSED>SYN_SENT S:LISTEN>SYN_RCVD"   # frame 1 of the default capture
[ $# -lt 2 ] || want_first=""                        # another capture: any annotation
pkg=tcpstate

say()  { printf 'test-deb: %s\n' "$*"; }
fail() { printf 'test-deb: FAIL: %s\n' "$*" >&2; exit 1; }
for t in cpack tshark dpkg dpkg-deb; do
  command -v "$t" >/dev/null 2>&1 || { echo "test-deb.sh: $t not found" >&2; exit 2; }
done
[ -f "$build/CPackConfig.cmake" ] || { echo "test-deb.sh: $build is not a configured build" >&2; exit 2; }

tmp=$(mktemp -d /tmp/tcpstate-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
chmod 755 "$tmp"
mkdir -p "$tmp/home"; chmod 1777 "$tmp/home"

# ---- 1. build ---------------------------------------------------------------
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 \
  || { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$tmp/pkg"/${pkg}_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "cpack made no ${pkg}_*.deb"
say "package: $(basename "$deb")"
dpkg-deb -f "$deb" Package Version Architecture Depends Maintainer | sed 's/^/  /'

# ---- 2. fields and contents ---------------------------------------------------
case $(basename "$deb") in
  ${pkg}_*_"$(dpkg --print-architecture)".deb) ;;
  *) fail "unexpected file name $(basename "$deb")" ;;
esac
dpkg-deb -f "$deb" Depends | grep -q 'libwireshark[0-9]* (>= ' || fail "Depends names no libwireshark"
ver=$(tshark --version 2>/dev/null | sed -n '1s/.*(Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')
so_path=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed -n 's#^\./#/#; /\/epan\/tcpstate\.so$/p')
case $so_path in
  */plugins/"$ver"/epan/tcpstate.so) say "plugin: $so_path" ;;
  *) fail "the plugin is at '$so_path', not in the plugin folder of tshark $ver" ;;
esac
dpkg-deb -x "$deb" "$tmp/root"
chmod -R a+rX "$tmp/root"
copyright=$tmp/root/usr/share/doc/$pkg/copyright
head -n 1 "$copyright" 2>/dev/null | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  || fail "no machine-readable (DEP-5) /usr/share/doc/$pkg/copyright"
grep -qx 'License: GPL-2.0-or-later' "$copyright" || fail "copyright does not say GPL-2.0-or-later"
grep -q '/usr/share/common-licenses/GPL-2' "$copyright" || fail "copyright does not point to the license text"
[ -s "$tmp/root/usr/share/doc/$pkg/changelog.gz" ] || fail "no changelog.gz"

# ---- 3. tshark loads it from the unpacked tree --------------------------------
cp "$capture" "$tmp/capture"; chmod 644 "$tmp/capture"
ts() {  # tshark as nobody with an empty home, plugins from the unpacked tree only
  if [ "$(id -u)" = 0 ]; then set -- setpriv --reuid=65534 --regid=65534 --clear-groups tshark "$@"
  else set -- tshark "$@"; fi
  (cd "$tmp" && env HOME="$tmp/home" WIRESHARK_PLUGIN_DIR="$tmp/root${so_path%/"$ver"/epan/tcpstate.so}" "$@")
}
ts -G plugins >"$tmp/plugins.txt" 2>"$tmp/plugins.err" || true
grep -qF "$tmp/root$so_path" "$tmp/plugins.txt" \
  || { cat "$tmp/plugins.err" >&2; fail "tshark -G plugins does not list $tmp/root$so_path"; }
say "tshark lists the plugin from the unpacked package"
ts -r "$tmp/capture" -T fields -e tcpstate.summary >"$tmp/summary.txt" 2>"$tmp/summary.err" \
  || { cat "$tmp/summary.err" >&2; fail "tshark -r failed"; }
first=$(sed -n 1p "$tmp/summary.txt")
if [ -z "$first" ] || { [ -n "$want_first" ] && [ "$first" != "$want_first" ]; }; then
  fail "frame 1 of $(basename "$capture") reads '$first', want '${want_first:-any annotation}'"
fi
say "it annotates $(grep -c . "$tmp/summary.txt") of $(wc -l <"$tmp/summary.txt") frames; frame 1: $first"

# ---- 4. lintian -----------------------------------------------------------------
if ! command -v lintian >/dev/null 2>&1; then
  say "every check passed; lintian is not installed: SKIPPED (apt-get install lintian)"
  exit 77
fi
# As nobody: lintian warns when run as root.
if [ "$(id -u)" = 0 ]; then lint="setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$tmp/home lintian"
else lint=lintian; fi
chmod 644 "$deb"; chmod 755 "$tmp/pkg"
# From $tmp: nobody may not enter the current folder (mktemp -d makes 0700).
(cd "$tmp" && $lint --fail-on error,warning --info "$deb") >"$tmp/lintian.txt" 2>&1 || {
  cat "$tmp/lintian.txt" >&2; fail "lintian reports errors or warnings"; }
sed 's/^/  /' "$tmp/lintian.txt"
say "PASS ($(basename "$deb"), Wireshark $ver, lintian clean)"
