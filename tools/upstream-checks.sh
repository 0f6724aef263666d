#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Wireshark's own source checks, run on plugin/ with the scripts of the
# Wireshark release that tshark belongs to:
#   checkAPIs.pl (the in-tree plugins' groups), checkhf.pl, checkfiltername.pl,
#   check_typed_item_calls.py, check_static.py (on the built objects) and
#   checklicenses.py.
#
# usage: tools/upstream-checks.sh BUILD_DIR
#
# The scripts come from WS_SRC (an unpacked Wireshark source tree) if set;
# otherwise from the matching Debian source package (`apt-get source`; with
# no deb-src entry, through a private sources list made from the machine's
# deb entries), cached under BUILD_DIR/upstream-src. Exit 77 when neither is
# available, 1 when a check finds something, 0 when all are clean.
#
# The scripts expect Wireshark's layout: they are run in a scratch tree
# where plugin/ sits at epan/dissectors/ and the plugin's objects where an
# in-tree build would put them.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: upstream-checks.sh BUILD_DIR}" && pwd)

skip() { echo "SKIP: $*"; exit 77; }

# --- The Wireshark scripts ------------------------------------------------
if [ -n "${WS_SRC:-}" ]; then
  tools=$WS_SRC/tools
else
  command -v dpkg-query >/dev/null || skip "no WS_SRC and no dpkg to find the source package"
  # The source package of the installed tshark (libwireshark-dev must match):
  # its source version, without a binary rebuild's +bN (sid's 4.6.9-1+b1).
  ver=$(dpkg-query -W -f '${source:Version}' tshark 2>/dev/null) || skip "tshark is not a Debian package"
  src=$(dpkg-query -W -f '${source:Package}' tshark 2>/dev/null)
  cache=$build/upstream-src/$ver
  tools=$(ls -d "$cache"/*/tools 2>/dev/null | head -1)
  if [ -z "$tools" ] || [ ! -f "$tools/checkhf.pl" ]; then
    mkdir -p "$cache"
    # apt-get [OPTION...]: download the source package into the cache.
    get_source() { timeout 300 apt-get "$@" source --download-only "${src:-wireshark}=$ver"; }
    if ! ( cd "$cache" && get_source >apt.log 2>&1 ); then
      # No deb-src entry: a fresh machine has none, and CI must not go
      # without these checks. Ask apt for the sources of the machine's own
      # Debian entries through a private sources list and index, leaving the
      # system's apt configuration untouched.
      priv=$cache/apt
      mkdir -p "$priv/parts" "$priv/lists/partial"
      for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
      done > "$priv/parts/src.list"
      for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" > "$priv/parts/$(basename "$f")"
      done
      # Check-Valid-Until=false: a snapshot mirror's Release file expires
      # (the sid chroots of packaging/compat-test.sh use the same option).
      opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$priv/parts"
            -o "Dir::State::Lists=$priv/lists" -o "Acquire::Check-Valid-Until=false")
      ( cd "$cache" && timeout 300 apt-get "${opts[@]}" update >>apt.log 2>&1 &&
        get_source "${opts[@]}" >>apt.log 2>&1 ) || skip "apt-get source ${src:-wireshark}=$ver failed (offline, or not on this mirror?): $(grep -m1 '^E: Failed to fetch http' "$cache/apt.log" || tail -1 "$cache/apt.log")"
      rm -rf "$priv"
    fi
    orig=$(ls "$cache"/*.orig.tar.* 2>/dev/null | head -1)
    [ -n "$orig" ] || skip "no upstream tarball in the source package"
    # Only tools/ is needed: much faster than unpacking the whole tree.
    tar -xf "$orig" -C "$cache" --wildcards '*/tools/*' 2>/dev/null || skip "cannot unpack $orig"
    rm -f "$cache"/*.orig.tar.* "$cache"/*.debian.tar.* "$cache"/*.dsc
    tools=$(ls -d "$cache"/*/tools 2>/dev/null | head -1)
  fi
fi
[ -f "$tools/checkhf.pl" ] || skip "no Wireshark tools/ found ($tools)"
command -v perl >/dev/null && command -v python3 >/dev/null || skip "perl and python3 are needed"

# --- A scratch tree in Wireshark's layout ----------------------------------
tmp=$(mktemp -d /tmp/tcpstate-upstream.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/src
obj=$tmp/build
mkdir -p "$root/epan/dissectors" "$root/ui/qt" "$root/ui/cli" \
         "$obj/epan/dissectors/CMakeFiles/dissectors.dir" "$obj/ui/CMakeFiles/ui.dir"
ln -s "$tools" "$root/tools"
cp "$here"/plugin/*.c "$here"/plugin/*.h "$root/epan/dissectors/"
sources=$(cd "$here/plugin" && ls *.c)
# plugin.c only holds the symbols Wireshark's plugin loader looks up.
checked=$(echo "$sources" | grep -v '^plugin\.c$')

failed=0
report() {  # name, status, output
  if [ "$2" = 0 ]; then
    echo "ok   $1"
  else
    echo "FAIL $1"; echo "$3" | sed 's/^/     /'; failed=$((failed + 1))
  fi
}

cd "$root" || exit 2

# A Perl check run file by file: clean when silent and successful.
per_file() {  # name, files, command...
  local name=$1 files=$2 out= st=0 o f; shift 2
  for f in $files; do
    o=$("$@" "epan/dissectors/$f" 2>&1) || st=1
    [ -n "$o" ] && { out="$out$o"$'\n'; st=1; }
  done
  report "$name" "$st" "$out"
}
# checkAPIs.pl as Wireshark runs it on its plugins (plugins/epan/*/CMakeLists.txt),
# file by file: its shadow check reports only then.
per_file checkAPIs.pl "$sources $(cd "$here/plugin" && ls *.h)" \
  perl tools/checkAPIs.pl --group dissectors-prohibited --group dissectors-restricted
per_file checkhf.pl "$sources" perl tools/checkhf.pl
per_file checkfiltername.pl "$sources" perl tools/checkfiltername.pl

out= st=0
for f in $sources; do
  o=$(python3 tools/check_typed_item_calls.py --file "$f" --mask --label --consecutive \
      --missing-items 2>&1) || st=1
  echo "$o" | grep -q '^0 warnings$' || { out="$out$o"$'\n'; st=1; }
done
report check_typed_item_calls.py "$st" "$out"

# check_static.py reads symbols with nm: the objects go where an in-tree
# build keeps them, once as the dissectors checked and once under ui/ as
# callers (it counts callers only among dissectors and the UI).
# The newest object of each source: a build folder kept across a move of a
# source between the plugin and its pure library still holds the old one.
missing=0
for f in $sources; do
  o=$(find "$build/plugin/CMakeFiles/tcpstate.dir" "$build/plugin/CMakeFiles/tcpstate_engine.dir" \
        -name "$f.o" -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -1 | cut -d' ' -f2-)
  [ -n "$o" ] || { missing=1; continue; }
  cp "$o" "$obj/epan/dissectors/CMakeFiles/dissectors.dir/$f.o"
  cp "$o" "$obj/ui/CMakeFiles/ui.dir/$f.o"
  cp "$here/plugin/$f" "$root/ui/$f"
done
if [ "$missing" = 1 ]; then
  report check_static.py 1 "the plugin's objects are not in $build: build it first"
else
  mkdir -p "$obj/epan/dissectors/CMakeFiles/dissector-registration.dir"
  cp "$obj/ui/CMakeFiles/ui.dir/plugin.c.o" \
     "$obj/epan/dissectors/CMakeFiles/dissector-registration.dir/dissectors.c.o"
  : > epan/dissectors/dissectors.c
  o=$(python3 tools/check_static.py --build "$obj" $(for f in $checked; do echo "--file $f"; done) 2>&1)
  st=0; echo "$o" | grep -q '^0 issues found$' || st=1
  echo "$o" | grep -q 'does not exist' && st=1
  report check_static.py "$st" "$o"
  rm -f epan/dissectors/dissectors.c
fi

o=$(python3 tools/checklicenses.py --root="$root" epan 2>&1); st=$?
echo "$o" | grep -q '^SUCCESS$' || st=1
report checklicenses.py "$st" "$o"

echo "$((6 - failed)) of 6 checks clean (Wireshark tools from $tools)"
[ "$failed" = 0 ]
