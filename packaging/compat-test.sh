#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build tcpstate and run its test suite against several Wireshark releases:
#   4.0  the host (Debian 12 bookworm)
#   4.4  Debian 13 trixie chroot   /var/tmp/tcpstate-chroots/trixie
#   4.6  Debian sid chroot         /var/tmp/tcpstate-chroots/sid
#   (--deb: the 4.0 .deb is installed in /var/tmp/tcpstate-chroots/bookworm)
# Chroots that are missing are created with debootstrap. Existing ones are
# reused. Each run copies the current work tree (without .git and build dirs)
# into the chroot's /tmp/src. The host repo is never mounted into a chroot.
# Then it configures with -DTCPSTATE_WERROR=ON (a warning fails the build:
# a call a newer Wireshark deprecates is caught here, not by users), builds
# and runs `ctest --output-on-failure --no-tests=error` there. The chroots get
# everything the suite needs (GUI, clang/libFuzzer, scapy, GNU parallel,
# iproute2 ...), so every test runs; a test that skips says why in the
# summary line.
#
# usage: packaging/compat-test.sh [--only 4.4[,4.6,...]] [--deb] [--src DIR]
#                                 [--update] [--jobs N] [--prepare]
#   --only LIST  run only these (4.0|host|bookworm, 4.4|trixie, 4.6|sid)
#   --deb        also run packaging/test-deb-install.sh (install the .deb,
#                load it, remove it) in each chroot; for 4.0 in a Debian 12
#                bookworm chroot, never on the host itself
#   --src DIR    source tree to test (default: this repo)
#   --update     apt-get update/upgrade the chroots before building
#   --jobs N     build parallelism (default: nproc)
#   --prepare    only create the chroots and install their packages (network
#                bound: .ci/run does it while the host suite runs)
# Environment: TCPSTATE_CHROOTS (default /var/tmp/tcpstate-chroots),
#              TCPSTATE_MIRROR (default: the Debian mirror in the host's apt sources).
# Prints one line per Wireshark version, naming the failed tests:
#   wireshark 4.4.18: PASS (57 tests; 1 skipped: x (why)) in 412 s
#   wireshark 4.6.9: FAIL (2 of 57 tests failed: foo, bar; log: ...) in 398 s
# and exits non-zero if any of them failed. Needs root (chroot, mount, debootstrap).
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
root=${TCPSTATE_CHROOTS:-/var/tmp/tcpstate-chroots}
only=""
do_deb=0
do_update=0
do_prepare=0
jobs=$(nproc 2>/dev/null || echo 2)
# What building and packaging need (the bookworm chroot of --deb only builds
# and installs the .deb) ...
PKGS_BUILD="wireshark-dev libwireshark-dev tshark cmake build-essential pkg-config libglib2.0-dev python3 util-linux dpkg-dev file lintian"
# ... and what the whole suite needs, as README command 2 installs on the
# host (trixie and later have no wireshark-qt: the Qt GUI is "wireshark";
# libclang-rt-dev is libFuzzer's runtime for clang's version).
PKGS_SUITE="$PKGS_BUILD libcmocka-dev wireshark clang libclang-rt-dev xvfb xauth xdotool imagemagick python3-scapy tcpdump iproute2 nftables parallel"

while [ $# -gt 0 ]; do
  case $1 in
    --only) only=$2; shift 2 ;;
    --only=*) only=${1#--only=}; shift ;;
    --deb) do_deb=1; shift ;;
    --src) src=$(cd "$2" && pwd); shift 2 ;;
    --update) do_update=1; shift ;;
    --prepare) do_prepare=1; shift ;;
    --jobs|-j) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "compat-test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "compat-test.sh: must run as root (chroot/mount/debootstrap)" >&2; exit 2; }

# label suite
targets="4.0:host 4.4:trixie 4.6:sid"
want() { # $1 label, $2 suite
  [ -z "$only" ] && return 0
  local w
  for w in ${only//,/ }; do
    case $w in
      "$1"|"$2") return 0 ;;
      host|bookworm) [ "$2" = host ] && return 0 ;;
    esac
  done
  return 1
}
for w in ${only//,/ }; do
  case $w in 4.0|host|bookworm|4.4|trixie|4.6|sid) ;; *) echo "compat-test.sh: unknown version '$w' (use 4.0, 4.4, 4.6)" >&2; exit 2 ;; esac
done

logdir=$root/logs
mkdir -p "$logdir"
stage=$(mktemp -d /tmp/tcpstate-compat.XXXXXX)
chmod 755 "$stage"   # tests read captures as uid 65534
MOUNTED=()
cleanup() {
  local i
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do
    mountpoint -q "${MOUNTED[$i]}" || continue
    umount -R "${MOUNTED[$i]}" 2>/dev/null || umount -R -l "${MOUNTED[$i]}" 2>/dev/null || true
  done
  rm -rf "$stage"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf 'compat-test: %s\n' "$*" >&2; }

mirror() {
  if [ -n "${TCPSTATE_MIRROR:-}" ]; then echo "$TCPSTATE_MIRROR"; return; fi
  local m
  m=$(grep -h -A3 -E '^Types:.*deb' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -B3 -E '^Suites:.*\b(bookworm|trixie|sid|stable|unstable)\b' | sed -n 's/^URIs:[[:space:]]*//p' \
        | tr ' ' '\n' | grep -v -- '-security' | head -n 1)
  [ -n "$m" ] || m=$(grep -h -E '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | grep -v -- '-security' | awk '{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -i debian | head -n 1)
  echo "${m:-http://deb.debian.org/debian}"
}

mount_chroot() { # $1 chroot dir
  local c=$1 d
  # The chroot's / must be a mount point of its own: `ip -n`/`ip netns exec`
  # (live.capture) remount / as a slave there, which fails on a plain
  # directory. Private, so that nothing mounted inside (ip netns's
  # /run/netns) shows up on the host; cleanup unmounts it all with -R.
  # A fresh self-bind holds no submount, whatever mountpoint(1) says
  # (it goes by path, and may see a stale mount under the same path).
  local fresh=0
  if ! mountpoint -q "$c"; then
    mount --bind "$c" "$c" && mount --make-rprivate "$c" || return 1
    MOUNTED+=("$c")
    fresh=1
  fi
  for d in proc dev dev/pts; do
    mkdir -p "$c/$d"
    if [ "$fresh" = 1 ] || ! mountpoint -q "$c/$d"; then
      case $d in
        proc) mount -t proc proc "$c/proc" ;;
        *) mount --bind "/$d" "$c/$d" ;;
      esac || return 1
      MOUNTED+=("$c/$d")
    fi
  done
}

in_chroot() { # $1 chroot dir, rest: command
  local c=$1; shift
  chroot "$c" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

apt_setup() { # $1 chroot dir, $2 packages
  local c=$1 pkgs=$2
  in_chroot "$c" sh -ec "
    apt-get -o Acquire::Check-Valid-Until=false update
    $( [ "$do_update" = 1 ] && echo 'apt-get -o Acquire::Check-Valid-Until=false -y dist-upgrade' )
    apt-get install -y --no-install-recommends $pkgs || true
    apt-get -f install -y
    apt-get install -y --no-install-recommends $pkgs
    dpkg --configure -a
    apt-get clean"
}

ensure_chroot() { # $1 suite, $2 packages
  local suite=$1 c=$root/$1 pkgs=$2
  if [ ! -x "$c/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || { log "debootstrap not installed (apt-get install debootstrap)"; return 1; }
    log "creating $suite chroot in $c (debootstrap, mirror $(mirror))"
    rm -rf "$c"
    debootstrap --variant=minbase "$suite" "$c" "$(mirror)" || return 1
  fi
  # No service starts inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$c/usr/sbin/policy-rc.d"; chmod 755 "$c/usr/sbin/policy-rc.d"
  [ -e "$c/etc/resolv.conf" ] || cp /etc/resolv.conf "$c/etc/resolv.conf" 2>/dev/null || true
  chmod 1777 "$c/tmp"
  mount_chroot "$c" || return 1
  local stamp=$c/.tcpstate-ready
  if [ "$do_update" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$pkgs" ] \
     || ! in_chroot "$c" sh -c 'command -v tshark && command -v cmake && command -v setpriv' >/dev/null 2>&1; then
    log "installing packages in $suite"
    apt_setup "$c" "$pkgs" || return 1
    echo "$pkgs" >"$stamp"
  fi
}

# Copy the source tree (no VCS data, no in-tree build dirs).
copy_src() { # $1 destination dir
  local dst=$1
  rm -rf "$dst"; mkdir -p "$dst"
  tar -C "$src" --exclude=./.git --exclude='./build' --exclude='./build-*' --exclude='./_build' \
      --exclude='./cmake-build-*' --exclude='./.cache' -cf - . | tar -C "$dst" -xf -
  # Tests drop to uid 65534, which must be able to read captures and scripts.
  chmod -R a+rX "$dst"
}

# The build and test steps, the same on the host and in a chroot.
# $1 = src dir, $2 = build dir, $3 = 1 to run test-deb-install.sh too,
# deb-only to build and run only that (the 4.0 .deb in the bookworm chroot).
build_script='
set -u
s=$1; b=$2; deb=$3; j=$4
rm -rf "$b"
if [ "$deb" = deb-only ]; then
  echo "### test-deb-install (Wireshark $(tshark --version 2>/dev/null | sed -n "1s/.*(Wireshark) \([0-9.]*[0-9]\).*/\1/p"))"
  { cmake -S "$s" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPSTATE_BUILD_TESTS=OFF &&
    "$s/packaging/test-deb-install.sh" "$b"; }
  echo "@@DEB_RC $?"
  exit 0
fi
echo "### tshark: $(tshark --version 2>/dev/null | head -n 1)"
echo "### libwireshark: $(dpkg -l "libwireshark[0-9]*" 2>/dev/null | awk "/^ii/ {print \$2\" \"\$3}" | tr "\n" " ")"
echo "### configure"
cmake -S "$s" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPSTATE_BUILD_TESTS=ON -DTCPSTATE_WERROR=ON \
  || { echo "@@RESULT configure"; exit 1; }
echo "### build"
cmake --build "$b" -j "$j" || { echo "@@RESULT build"; exit 1; }
echo "### ctest"
cd "$b" || exit 1
ctest --output-on-failure --no-tests=error -j "$j" --timeout 600 2>&1 | tee ctest.out
echo "@@CTEST_RC ${PIPESTATUS[0]}"
# Why each skipped test skipped: the last line it printed (awk program: $5).
sed -n "s/^[[:space:]]*[0-9]* - \(.*\) (Skipped)\$/\1/p" ctest.out >skipped.txt
[ -s skipped.txt ] && awk "$5" skipped.txt Testing/Temporary/LastTest.log
if [ "$deb" = 1 ]; then
  echo "### test-deb-install"
  "$s/packaging/test-deb-install.sh" "$b"
  echo "@@DEB_RC $?"
fi
exit 0
'

# For build_script: "@@SKIP name reason" for each test named in the first
# file (skipped.txt), the reason being the last line of its output in the
# second (ctest's LastTest.log, which logs a skipped test as passed).
skip_awk='
  FNR == NR { want[$0] = 1; next }
  /^[0-9]+\/[0-9]+ Test: / { name = $3; last = ""; next }
  /^<end of output>$/ { if (name in want) print "@@SKIP " name " " last; name = ""; next }
  name != "" && NF && !/^-+$/ && !/^Output:$/ && !/^Command: / && !/^Directory: / && !/ start time: / { last = $0 }
'

summary=()
overall=0

report() { # $1 label, $2 log, $3 wsver, $4 seconds
  local label=$1 lf=$2 ws=$3 secs=$4 line ntot nfail names skips
  if grep -q '^@@RESULT configure' "$lf"; then
    line="FAIL (configure; log: $lf)"
  elif grep -q '^@@RESULT build' "$lf"; then
    local errs
    errs=$(grep -E 'error:' "$lf" | head -n 5 | sed 's/^/    /')
    line="FAIL (build; log: $lf)"
    [ -n "$errs" ] && line="$line"$'\n'"$errs"
  elif ! grep -q '^@@CTEST_RC' "$lf"; then
    line="FAIL (did not finish; log: $lf)"
  else
    ntot=$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\2/p' "$lf" | tail -n 1)
    nfail=$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$lf" | tail -n 1)
    if [ -z "$ntot" ]; then
      line="FAIL (no tests ran; log: $lf)"
    elif [ "$nfail" = 0 ] && grep -q '^@@CTEST_RC 0' "$lf"; then
      line="PASS ($ntot tests)"
      skips=$(sed -n 's/^@@SKIP \([^ ]*\) \(.*\)/\1 (\2)/p' "$lf")
      [ -n "$skips" ] && line="PASS ($ntot tests; $(printf '%s\n' "$skips" | wc -l) skipped: $(printf '%s\n' "$skips" | paste -sd';' - | sed 's/;/; /g'))"
    else
      names=$(sed -n '/The following tests FAILED:/,/^Errors while running/p' "$lf" \
               | sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\).*/\1/p' | paste -sd, - | sed 's/,/, /g')
      line="FAIL (${nfail:-?} of $ntot tests failed: ${names:-see log}; log: $lf)"
    fi
  fi
  if grep -q '^@@DEB_RC' "$lf"; then
    if grep -q '^@@DEB_RC 0' "$lf"; then line="$line; deb PASS"; else line="$line; deb FAIL (log: $lf)"; fi
  fi
  case $line in PASS*deb\ FAIL*|FAIL*) overall=1 ;; esac
  # The time goes on the first line (a build failure adds its errors below).
  summary+=("wireshark ${ws:-$label}: ${line%%$'\n'*} in $secs s${line#"${line%%$'\n'*}"}")
}

if [ "$do_prepare" = 1 ]; then
  for t in $targets; do
    label=${t%%:*}; suite=${t#*:}
    want "$label" "$suite" || continue
    if [ "$suite" = host ]; then
      [ "$do_deb" = 1 ] || continue
      suite=bookworm; pkgs=$PKGS_BUILD
    else
      pkgs=$PKGS_SUITE
    fi
    lf=$logdir/prepare-$suite.log
    t0=$SECONDS
    if ensure_chroot "$suite" "$pkgs" >"$lf" 2>&1; then
      summary+=("chroot $suite: ready in $((SECONDS - t0)) s")
    else
      summary+=("chroot $suite: FAIL (setup; log: $lf)"); overall=1
    fi
  done
  [ ${#summary[@]} -gt 0 ] || { echo "compat-test.sh: nothing to prepare" >&2; exit 2; }
  printf '%s\n' "${summary[@]}"
  exit $overall
fi

for t in $targets; do
  label=${t%%:*}; suite=${t#*:}
  want "$label" "$suite" || continue
  lf=$logdir/compat-$label.log
  : >"$lf"
  t0=$SECONDS
  if [ "$suite" = host ]; then
    log "host ($label): building in $stage/host"
    copy_src "$stage/host/src"
    bash -c "$build_script" _ "$stage/host/src" "$stage/host/build" 0 "$jobs" "$skip_awk" >"$lf" 2>&1
    if [ "$do_deb" = 1 ]; then
      # Installing changes the system: a bookworm chroot stands in for the host.
      c=$root/bookworm
      if ensure_chroot bookworm "$PKGS_BUILD" >>"$lf" 2>&1; then
        log "bookworm ($label): the .deb install test in $c"
        copy_src "$c/tmp/src"
        in_chroot "$c" bash -c "$build_script" _ /tmp/src /tmp/tcpstate-build deb-only "$jobs" "$skip_awk" >>"$lf" 2>&1
      else
        echo "@@DEB_RC chroot setup failed" >>"$lf"
      fi
    fi
  else
    c=$root/$suite
    if ! ensure_chroot "$suite" "$PKGS_SUITE" >>"$lf" 2>&1; then
      summary+=("wireshark $label ($suite): FAIL (chroot setup; log: $lf) in $((SECONDS - t0)) s")
      overall=1
      continue
    fi
    log "$suite ($label): building in $c/tmp/tcpstate-build"
    copy_src "$c/tmp/src"
    in_chroot "$c" bash -c "$build_script" _ /tmp/src /tmp/tcpstate-build "$do_deb" "$jobs" "$skip_awk" >>"$lf" 2>&1
  fi
  ws=$(sed -n 's/^### tshark: .*(Wireshark) \([0-9.]*[0-9]\).*/\1/p' "$lf" | head -n 1)
  report "$label" "$lf" "$ws" "$((SECONDS - t0))"
done

[ ${#summary[@]} -gt 0 ] || { echo "compat-test.sh: nothing selected" >&2; exit 2; }
printf '%s\n' "${summary[@]}"
exit $overall
