#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Walk every frame of captures in Wireshark (Qt) itself with a sanitizer
# build of the plugin (-DTCPSTATE_SANITIZE=ON), under Xvfb as uid 65534
# (gui-env.sh), the ASan runtime preloaded as docs/robustness.md says:
# for each capture, expand every subtree of the packet details (View ->
# Expand All, kept from frame to frame), then step through the frames with
# Down in the packet list, scrolling the details with the mouse wheel on
# each. Reports a capture whose Wireshark died or whose log holds a
# sanitizer report. Too slow for ctest (about 8 s per capture): run by hand.
#
# usage: tests/gui/asan-walk.sh ASAN_PLUGIN.so CAPTURE...
# prints one line per capture; exit 1 if any failed; logs kept in $OUT
set -u
so=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gui-env.sh"
gui_setup "$so" "$here/../../profiles/TCP States" || exit 2
trap gui_cleanup EXIT
gui_xvfb || exit 2
OUT=${OUT:-$(mktemp -d /tmp/tcpstate-asan-walk.XXXXXX)}; mkdir -p "$OUT"; chmod a+rwx "$OUT"
asan=$(gcc -print-file-name=libasan.so)
failed=0
mkdir -p "$GUI_TMP/noextcap"
for capture in "$@"; do
  name=$(basename "$capture")
  cap=$(gui_copy "$capture")
  log=$OUT/$name.log
  frames=$(capinfos -c -M "$capture" 2>/dev/null | awk '/Number of packets/{print $NF}')
  # No extcap helpers: they would inherit the preload, and androiddump
  # then hangs Wireshark's start (seen with 4.0.17).
  # Every wmem block its own malloc, so that ASan sees each (as above).
  gui_start env WIRESHARK_EXTCAP_DIR="$GUI_TMP/noextcap" WIRESHARK_DEBUG_WMEM_OVERRIDE=simple LD_PRELOAD="$asan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1 wireshark -C "TCP States" -r "$cap" >"$log" 2>&1
  main=""
  for _ in $(seq 900); do
    main=$(xdotool search --onlyvisible --name "$name" 2>/dev/null | tail -1) && [ -n "$main" ] && break
    kill -0 "$GUI_PID" 2>/dev/null || break
    sleep 0.1
  done
  status=ok
  if [ -z "$main" ]; then
    status="no window"
  else
    grep -q libasan "/proc/$GUI_PID/maps" || { echo "asan-walk: ASan not loaded" >&2; exit 2; }
    xdotool windowmove "$main" 0 0 windowsize --sync "$main" 1600 1000 windowfocus --sync "$main"
    sleep 1
    xdotool mousemove 300 123 click 1; sleep 0.3      # frame 1 in the packet list
    xdotool key ctrl+Right; sleep 0.3                 # View -> Expand All
    for _ in $(seq "${frames:-1}"); do
      kill -0 "$GUI_PID" 2>/dev/null || break
      # down to the end of the details (tcpstate is the last subtree), back up
      xdotool mousemove 300 750 click --repeat 60 --delay 5 5 click --repeat 12 --delay 20 4
      xdotool mousemove 300 123 key Down
      sleep 0.05
    done
    sleep 0.5
  fi
  if ! kill -0 "$GUI_PID" 2>/dev/null; then
    status="wireshark died"
  else
    kill "$GUI_PID"; wait "$GUI_PID" 2>/dev/null
  fi
  GUI_PID=
  grep -qE "AddressSanitizer|runtime error|LeakSanitizer|Segmentation" "$log" && status="sanitizer report"
  [ "$status" = ok ] || failed=1
  echo "$name: $frames frames: $status"
done
echo "logs: $OUT"
exit $failed
