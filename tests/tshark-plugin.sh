#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run tshark with exactly one extra plugin: the tcpstate build under test.
#
# usage: tests/tshark-plugin.sh PLUGIN.so [tshark arguments...]
#
# Why the detour: tshark running as root ignores WIRESHARK_PLUGIN_DIR and the
# personal plugin folder, so as root we drop to nobody (65534). The plugin is
# copied into a private, world-readable folder laid out as D/<major.minor>/epan/,
# and HOME points to a scratch folder so no user profile leaks into results.
# The capture given with -r is copied there too: the checkout may sit in a
# folder nobody cannot read (mktemp -d makes them 0700), and -2 cannot read
# stdin. So is a Lua script given with -X lua_script:FILE.
#
# TCPSTATE_TSHARK_MM (e.g. 4.0) names the plugin folder's version. ctest sets
# it from the tshark found at configure time (tests/CMakeLists.txt), which
# saves a `tshark --version` on each of the suite's few hundred calls;
# without it the script asks tshark.
set -eu
so=$1; shift
ver=${TCPSTATE_TSHARK_MM:-$(tshark --version 2>/dev/null | sed -n '1s/.*(Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')}
[ -n "$ver" ] || { echo "tshark-plugin.sh: cannot tell the tshark version" >&2; exit 2; }
tmp=$(mktemp -d /tmp/tcpstate-ts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/plugins/$ver/epan" "$tmp/home"
cp "$so" "$tmp/plugins/$ver/epan/"

args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "-r" ] && [ $# -gt 1 ]; then
    base=$(basename -- "$2")
    cp -- "$2" "$tmp/$base"
    args+=("-r" "$tmp/$base")
    shift 2
  elif [ "$1" = "-X" ] && [ $# -gt 1 ] && [ "${2#lua_script:}" != "$2" ]; then
    base=$(basename -- "${2#lua_script:}")
    cp -- "${2#lua_script:}" "$tmp/$base"
    args+=("-X" "lua_script:$tmp/$base")
    shift 2
  else
    args+=("$1")
    shift
  fi
done

chmod -R a+rX "$tmp"
chmod 1777 "$tmp/home"
run=(env HOME="$tmp/home" WIRESHARK_PLUGIN_DIR="$tmp/plugins" tshark "${args[@]}")
if [ "$(id -u)" = 0 ]; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "${run[@]}"
else
  "${run[@]}"
fi
