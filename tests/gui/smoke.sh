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
  # open_menu KEY TITLE KEYS...: focus the main window (no window manager
  # gives it the focus), open menu KEY, press KEYS from its top; wait for a
  # window named TITLE.
  open_menu() {
    local menu=$1 title=$2 k; shift 2
    xdotool search --onlyvisible --name "$(basename "$cap")" windowfocus --sync >/dev/null 2>&1
    sleep 0.5
    xdotool key "$menu"; sleep 0.5
    for k in "$@"; do xdotool key "$k"; sleep 0.3; done
    wait_window "$title" || { echo "FAIL: no \"$title\" window"; fail=1; }
    sleep 1
  }
  # Statistics: on 4.0 the last entry is the TCP Connection State submenu
  # (Up, then its first item). 4.4 and 4.6 end the menu with each plugin
  # table again, flat under its full title (".../Connections" then
  # ".../Transitions"), the submenu sitting higher up: Up twice.
  case $(tshark --version 2>/dev/null | sed -n '1s/.*(Wireshark) \([0-9]*\.[0-9]*\).*/\1/p') in
    4.0) open_menu alt+s "Connections" Up Right Return ;;
    *)   open_menu alt+s "Connections" Up Up Return ;;
  esac
  open_menu alt+t "TCP state ladder" Up Right Return   # Tools -> ... -> Ladder (funnel window)
  # Tools -> TCP Connection State -> List of connections (the second entry),
  # and its button, which asks for the connection whose packets to show.
  open_menu alt+t "TCP connection list" Up Right Down Return
  if xdotool search --onlyvisible --name "TCP connection list" >/dev/null 2>&1; then
    xdotool search --onlyvisible --name "TCP connection list" windowfocus --sync >/dev/null 2>&1
    sleep 0.5
    for k in Tab Tab space; do xdotool key "$k"; sleep 0.3; done
    wait_window "Show a connection" || { echo "FAIL: the list's button opened no dialog"; fail=1; }
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
