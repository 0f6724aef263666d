# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the GUI test and the screenshot script: a private Wireshark
# setup with exactly the tcpstate build under test and the "TCP States"
# profile, run as nobody (65534) when we are root, because Wireshark as root
# ignores WIRESHARK_PLUGIN_DIR (as tests/tshark-plugin.sh explains).
#
#   gui_setup PLUGIN.so PROFILE_DIR   -> $GUI_TMP, $GUI_HOME, $GUI_PLUGINS
#   gui_copy CAPTURE                  -> prints the copy's path
#   gui_run CMD...                    runs CMD as the GUI user with that setup
#   gui_start CMD...                  the same in the background; sets GUI_PID
#   gui_xvfb                          starts Xvfb on a free display: DISPLAY, GUI_XPID
#   gui_cleanup                       stops what gui_start and gui_xvfb started
gui_setup() {
  local so=$1 profile=$2 ver
  ver=$(tshark --version 2>/dev/null | sed -n '1s/.*(Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')
  [ -n "$ver" ] || { echo "gui-env: cannot tell the Wireshark version" >&2; return 2; }
  GUI_TMP=$(mktemp -d /tmp/tcpstate-gui.XXXXXX)
  GUI_HOME=$GUI_TMP/home
  GUI_PLUGINS=$GUI_TMP/plugins
  mkdir -p "$GUI_PLUGINS/$ver/epan" "$GUI_HOME/.config/wireshark/profiles"
  cp "$so" "$GUI_PLUGINS/$ver/epan/"
  cp -r "$profile" "$GUI_HOME/.config/wireshark/profiles/"
  # Start in the profile, without the welcome page's "recent files" noise.
  # A window that fills the 1600x1000 screen the scripts start.
  printf 'gui.last_used_profile: %s\ngui.geom.main.x: 0\ngui.geom.main.y: 0\ngui.geom.main.width: 1600\ngui.geom.main.height: 1000\ngui.geom.main.maximized: FALSE\n' \
    "$(basename "$profile")" > "$GUI_HOME/.config/wireshark/recent_common"
  chmod -R a+rwX "$GUI_TMP"
}

gui_copy() {
  cp -- "$1" "$GUI_TMP/" && chmod a+r "$GUI_TMP/$(basename -- "$1")" &&
    echo "$GUI_TMP/$(basename -- "$1")"
}

gui_run() {
  ( gui_exec "$@" )
}

# gui_start CMD...: gui_run in the background; GUI_PID is CMD's own pid.
gui_start() {
  ( gui_exec "$@" ) &
  GUI_PID=$!
}

gui_exec() {
  local run=(env HOME="$GUI_HOME" WIRESHARK_PLUGIN_DIR="$GUI_PLUGINS" XDG_RUNTIME_DIR="$GUI_TMP"
             QT_QPA_PLATFORM=xcb "$@")
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=65534 --regid=65534 --clear-groups "${run[@]}"
  else
    exec "${run[@]}"
  fi
}

# A 1600x1000 display of our own: Xvfb picks a free number, writes it to fd 3.
gui_xvfb() {
  exec 3> "$GUI_TMP/display"
  # -noreset: Xvfb otherwise resets when its last client leaves (one
  # Wireshark killed before the next starts), and a client connecting then
  # fails ("could not connect to display"), seen in screenshots.sh runs.
  Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp -ac -noreset >/dev/null 2>&1 &
  GUI_XPID=$!
  for _ in $(seq 50); do [ -s "$GUI_TMP/display" ] && break; sleep 0.1; done
  exec 3>&-
  [ -s "$GUI_TMP/display" ] || { echo "gui-env: Xvfb did not start" >&2; return 1; }
  export DISPLAY=":$(head -1 "$GUI_TMP/display")"
}

gui_cleanup() {
  [ -n "${GUI_PID:-}" ] && kill "$GUI_PID" 2>/dev/null
  [ -n "${GUI_XPID:-}" ] && kill "$GUI_XPID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${GUI_TMP:-}" ] && rm -rf "$GUI_TMP"
}
