#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the GUI screenshots in docs/img/: Wireshark 4.0 (Qt) under
# Xvfb with the tcpstate build and the "TCP States" profile, driven by
# xdotool (keyboard: there is no window manager to place the mouse for).
# Look at every picture before citing it: a menu that moved between
# Wireshark releases shows the wrong thing, silently.
#
# usage: tests/gui/screenshots.sh [BUILD_DIR]     (default: build)
# needs: wireshark (Qt), Xvfb, xdotool, ImageMagick's import
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
img=$src/docs/img
for t in wireshark Xvfb xdotool import; do
  command -v "$t" >/dev/null || { echo "screenshots.sh: $t not installed" >&2; exit 2; }
done
. "$here/gui-env.sh"
gui_setup "$build/plugin/tcpstate.so" "$src/profiles/TCP States"
trap gui_cleanup EXIT
gui_xvfb

win() {   # win TITLE-PART: wait for it, print its id
  local id=""
  for _ in $(seq 200); do
    id=$(xdotool search --onlyvisible --name "$1" 2>/dev/null | tail -1) && [ -n "$id" ] && break
    sleep 0.1
  done
  [ -n "$id" ] || { echo "screenshots.sh: no window \"$1\"" >&2; exit 1; }
  echo "$id"
}
place() { # place ID X Y W H: move, resize and focus a window
  xdotool windowmove "$1" "$2" "$3" windowsize --sync "$1" "$4" "$5" windowfocus --sync "$1"
  sleep 1.5
}
start() { # start CAPTURE: a fresh Wireshark on it, full screen
  [ -n "${GUI_PID:-}" ] && kill "$GUI_PID" 2>/dev/null && sleep 1
  local cap; cap=$(gui_copy "$1")
  gui_start wireshark -C "TCP States" -r "$cap" >>"$GUI_TMP/wireshark.log" 2>&1
  MAIN=$(win "$(basename "$1")")
  place "$MAIN" 0 0 1600 1000
}
keys() { for k in "$@"; do xdotool key "$k"; sleep 0.3; done; }
shot() { sleep 1; import -window root "$img/$1"; echo "wrote docs/img/$1"; }
crop() { sleep 1; import -window root -crop "$2" +repage "$img/$1"; echo "wrote docs/img/$1"; }

# The profile's columns and colours; frame 11 (the lost final ACK) selected.
start "$src/captures/kernel/lost_final_ack.pcapng"
keys ctrl+g; xdotool type 11; keys Return
shot gui-lost-final-ack.png

# Statistics -> TCP Connection State (the last entry) -> its submenu.
keys alt+s Up Right
shot gui-menu.png
keys Escape Escape

# Statistics -> TCP Connection State -> State transitions: lifecycle order.
keys alt+s Up Right Down Return
sleep 1.5; import -window "$(win "transitions")" "$img/gui-transitions.png"; echo "wrote docs/img/gui-transitions.png"
xdotool windowfocus --sync "$MAIN"

# Statistics -> TCP Connection State -> Connections, on the SYN flood capture.
start "$src/captures/crafted/syn_flood.pcap"
keys alt+s Up Right Return
place "$(win "Connections")" 100 150 900 400
crop gui-stats-conn.png 900x400+100+150

# Analyze -> Expert Information (the last entry), no filter.
start "$src/captures/kernel/lost_final_ack.pcapng"
keys alt+a Up Return
place "$(win "Expert Information")" 0 0 1400 700
keys ctrl+a KP_Multiply
crop gui-expert-info.png 1400x700+0+0
xdotool key Escape

# Statistics -> Flow Graph (the 17th entry in 4.0): states on every arrow.
start "$src/captures/kernel/three_segment_close.pcapng"
keys alt+s; for _ in $(seq 16); do xdotool key Down; done; keys Return
place "$(win "Flow")" 0 0 1500 760
crop gui-flow-graph.png 1500x760+0+0

# Tools -> TCP Connection State -> Ladder of the displayed packets, as it
# opens (Wireshark 4.0 gives a plugin's text window 620x450; the lines do not
# wrap), after Next step three times: step 3 marked, its packet selected.
start "$src/captures/kernel/lost_final_ack.pcapng"
keys alt+t Up Right Return
LADDER=$(win "TCP state ladder")
sleep 1.5
eval "$(xdotool getwindowgeometry --shell "$LADDER")"
sleep 1; import -window "$LADDER" "$img/gui-ladder.png"; echo "wrote docs/img/gui-ladder.png"
# Next step: the second of the three buttons left of Close, bottom right.
for _ in 1 2 3; do xdotool mousemove $((X + WIDTH - 290)) $((Y + HEIGHT - 24)) click 1; sleep 0.7; done
crop gui-ladder-next-step.png 1600x700+0+0

# The profile's colours on the kernel SYN flood and CLOSE_WAIT pile-up.
start "$src/captures/kernel/syn_flood.pcapng"
crop gui-profile-syn-flood.png 1600x560+0+0
start "$src/captures/kernel/close_wait_pileup.pcapng"
crop gui-profile-close-wait-pileup.png 1600x560+0+0

# The HTTP 101 upgrade (kernel websocket capture): the upgrade fields as
# columns; the server closes first after the upgrade (RFC 6455 7.1.1).
[ -n "${GUI_PID:-}" ] && kill "$GUI_PID" 2>/dev/null && sleep 1
cap=$(gui_copy "$src/captures/kernel/websocket.pcapng")
gui_start wireshark -C "TCP States" -r "$cap" \
  -o 'gui.column.format:"No.","%m","Client","%Cus:tcpstate.client","Server","%Cus:tcpstate.server","Upgrade frame","%Cus:tcpstate.upgrade","Upgraded to","%Cus:tcpstate.upgrade.protocol","Closed first after upgrade","%Cus:tcpstate.upgrade.closer","Info","%i"' \
  >>"$GUI_TMP/wireshark.log" 2>&1
MAIN=$(win websocket.pcapng)
place "$MAIN" 0 0 1600 1000
keys ctrl+g; xdotool type 14; keys Return
crop gui-upgrade.png 1600x420+0+0

# Statistics -> I/O Graphs (the 7th entry in 4.0) with the profile's census
# presets (io_graphs): connections in ESTABLISHED, CLOSE_WAIT, TIME_WAIT and
# SYN_RCVD, at 100 ms (the Interval box, from 1 s, three entries up).
census_graph() { # census_graph CAPTURE PNG
  start "$1"
  keys alt+s; for _ in $(seq 6); do xdotool key Down; done; keys Return
  local w; w=$(win "I/O Graphs")
  place "$w" 0 0 1400 800
  xdotool mousemove 582 744 click 1; sleep 0.5
  keys Up Up Up Return
  sleep 2
  crop "$2" 1400x800+0+0
  xdotool key Escape
}
census_graph "$src/captures/kernel/close_wait_pileup.pcapng" gui-census-close-wait.png
census_graph "$src/captures/kernel/syn_flood.pcapng" gui-census-syn-flood.png

# Tools -> TCP Connection State -> List of connections (the second entry),
# on a capture that reuses a 4-tuple during TIME_WAIT.
start "$src/captures/kernel/reuse_time_wait.pcapng"
keys alt+t Up Right Down Return
place "$(win "TCP connection list")" 0 0 1600 330
crop gui-conn-list.png 1600x330+0+0

# For the 90-minute lab (docs/course/*/lab-90min.md): the profile chooser
# (Edit -> Configuration Profiles, Ctrl+Shift+A) with "TCP States" selected,
# and the CLOSE_WAIT filter button applied (its filter in the filter bar) on
# the CLOSE_WAIT pile-up; the buttons sit right of the filter bar.
start "$src/captures/kernel/close_wait_pileup.pcapng"
keys ctrl+shift+a
place "$(win "Configuration Profiles")" 0 0 900 560
crop gui-profile-chooser.png 900x560+0+0
xdotool key Escape; sleep 1
xdotool mousemove 1075 77 click 1; sleep 2
crop gui-filter-button.png 1600x560+0+0
