#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The numeric preferences are range-checked: a value outside its range is
# brought back into it, with a warning. time_wait_expiry.pcap: the client
# enters TIME_WAIT at 0.04 s; frames 7 and 8 come at 59.03 s and 61.03 s.
#
# usage: check_prefs.sh WRAPPER PLUGIN.so CAPTURES_DIR
set -u
wrapper=$1 plugin=$2 caps=$3
fail=0

# states OPTIONS...: the client's state on frames 7 and 8, and stderr.
states() {
  "$wrapper" "$plugin" "$@" -r "$caps/time_wait_expiry.pcap" -T fields -e tcpstate.client \
    2>"$err" | sed -n '7,8p' | tr '\n' ' '
}
err=$(mktemp); trap 'rm -f "$err"' EXIT

check() {  # check WANT_STATES WANT_WARNING OPTIONS...
  local want=$1 warn=$2; shift 2
  local got; got=$(states "$@")
  if [ "$got" != "$want" ]; then
    echo "$*: client on frames 7-8: want '$want', got '$got'"; fail=1
  fi
  if [ -n "$warn" ] && ! grep -qF "$warn" "$err"; then
    echo "$*: no warning '$warn' in: $(cat "$err")"; fail=1
  fi
  if [ -z "$warn" ] && grep -q "tcpstate\." "$err"; then
    echo "$*: unexpected warning: $(cat "$err")"; fail=1
  fi
}

# 8 = TIME_WAIT, 0 = CLOSED.
check "8 0 " "" -o tcpstate.msl:30
# 4294968 * 1000 wraps to 705 ms in 32 bits: TIME_WAIT would end at once.
check "8 8 " "tcpstate.msl: 4294968 is outside 1 to 3600; using 3600" -o tcpstate.msl:4294968
check "0 0 " "tcpstate.msl: 0 is outside 1 to 3600; using 1" -o tcpstate.msl:0
check "8 0 " "tcpstate.syn_flood_count: 0 is outside 1 to 10000000; using 1" \
  -o tcpstate.syn_flood_count:0
check "8 0 " "tcpstate.syn_flood_seconds: 4294967295 is outside 1 to 3600; using 3600" \
  -o tcpstate.syn_flood_seconds:4294967295
check "8 0 " "tcpstate.close_wait_seconds: 604801 is outside 1 to 604800; using 604800" \
  -o tcpstate.close_wait_seconds:604801
check "8 0 " "tcpstate.fin_wait_2_seconds: 0 is outside 1 to 604800; using 1" \
  -o tcpstate.fin_wait_2_seconds:0
[ $fail = 0 ] && echo "preferences: 7 checks passed"
exit $fail
