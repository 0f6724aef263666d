#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# GUI smoke test: Wireshark (Qt) under Xvfb with the tcpstate build under
# test and the "TCP States" profile, on a capture. It opens
# Statistics -> TCP Connection State -> Connections, Tools -> TCP
# Connection State -> Ladder and -> List of connections (and the list's
# button), then fails if Wireshark crashed, never showed
# the capture or one of those windows, or logged a critical message. Skipped (77) without wireshark, Xvfb or xdotool.
#
# usage: tests/gui/smoke.sh PLUGIN.so PROFILE_DIR CAPTURE
set -u
so=$1 profile=$2 capture=$3
for t in wireshark Xvfb xdotool tshark; do
  command -v "$t" >/dev/null 2>&1 || { echo "$t not installed: skipped"; exit 77; }
done
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gui-env.sh"
gui_setup "$so" "$profile" || exit 2
cap=$(gui_copy "$capture")
log=$GUI_TMP/wireshark.log
trap gui_cleanup EXIT
gui_xvfb || { echo "FAIL: Xvfb did not start"; exit 1; }

gui_start wireshark -C "$(basename "$profile")" -r "$cap" >"$log" 2>&1
wpid=$GUI_PID

# wait_window NAME: up to 15 s for a visible window whose title holds NAME.
wait_window() {
  for _ in $(seq 150); do
    kill -0 "$wpid" 2>/dev/null || return 2
    xdotool search --onlyvisible --name "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
fail=0
if ! wait_window "$(basename "$cap")"; then
  echo "FAIL: no main window showing $(basename "$cap")"; fail=1
else
  # open_last_submenu KEY TITLE: focus the main window (no window manager
  # gives it the focus), open menu KEY, its last entry (TCP Connection
  # State) and that submenu's first item; wait for a window named TITLE.
  open_last_submenu() {
    xdotool search --onlyvisible --name "$(basename "$cap")" windowfocus --sync >/dev/null 2>&1
    sleep 0.5
    xdotool key "$1"; sleep 0.5; xdotool key Up; sleep 0.3; xdotool key Right; sleep 0.3
    xdotool key Return
    wait_window "$2" || { echo "FAIL: no \"$2\" window"; fail=1; }
    sleep 1
  }
  open_last_submenu alt+s "Connections"        # Statistics -> ... -> Connections
  open_last_submenu alt+t "TCP state ladder"   # Tools -> ... -> Ladder (funnel window)
  # Tools -> TCP Connection State -> List of connections (the second entry),
  # and its button, which asks for the connection whose packets to show.
  xdotool search --onlyvisible --name "$(basename "$cap")" windowfocus --sync >/dev/null 2>&1
  sleep 0.5
  for k in alt+t Up Right Down Return; do xdotool key "$k"; sleep 0.3; done
  if wait_window "TCP connection list"; then
    xdotool search --onlyvisible --name "TCP connection list" windowfocus --sync >/dev/null 2>&1
    sleep 0.5
    for k in Tab Tab space; do xdotool key "$k"; sleep 0.3; done
    wait_window "Show a connection" || { echo "FAIL: the list's button opened no dialog"; fail=1; }
  else
    echo "FAIL: no \"TCP connection list\" window"; fail=1
  fi
fi
if ! kill -0 "$wpid" 2>/dev/null; then
  wait "$wpid"; echo "FAIL: wireshark exited (status $?)"; fail=1
fi
if grep -E "CRITICAL|ERROR|Segmentation fault|Aborted|core dumped" "$log"; then
  echo "FAIL: critical messages above"; fail=1
fi
[ $fail = 0 ] && echo "GUI OK: $(basename "$cap") loaded; Connections statistics, the ladder and the connection list opened"
exit $fail
