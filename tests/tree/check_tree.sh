#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every value tcpstate computes is the same whether or not a tree is built,
# in one pass and with -2, on every bundled capture (issue 10).
#
# Without a tree, what tcpstate yields is seen through its taps and experts:
# -z tcpstate,conn, -z tcpstate,transitions, -z tcpstate,ladder, the two
# stats trees, and the TCPSTATE lines of -z expert. Run A is `-q -z ...`:
# the taps register no filter and no flags, so tshark builds no tree.
# Run B adds `-T fields -e tcpstate.*`: the wanted fields make tshark build
# a tree and tcpstate its own (proto_field_is_referenced). Their tap
# outputs must be equal. Each capture set (crafted, kernel, hostile) is
# concatenated into one file (mergecap -a), so that the whole test is
# twelve tshark runs.
#
# usage: tests/tree/check_tree.sh WRAPPER PLUGIN.so REPO
set -u
wrapper=$1 so=$2 repo=$3
tmp=$(mktemp -d /tmp/tcpstate-tree.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The stats trees (tcpstate_conn,tree ...) are left out on the hostile set:
# Wireshark 4.0.17's stats_tree crashes on timestamps_far.pcapng (a frame
# before 1970), even plain tshark's own `-z plen,tree`.
taps=(-z tcpstate,conn -z tcpstate,transitions -z tcpstate,ladder -z expert)
trees=(-z tcpstate_conn,tree -z tcpstate_transitions,tree)
fields=(-T fields -E quote=d -e frame.number -e tcpstate.summary -e tcpstate.client
        -e tcpstate.server -e tcpstate.conn_state -e tcpstate.history)
# Run B's per-frame lines all begin with "<frame number>" (quote=d); the
# rest is tap output. -z expert also counts other protocols' experts, some
# of which exist only with a tree: keep its TCPSTATE lines only.
taps_only() {
  grep -Ev '^"[0-9]+"' | awk '
    /^(Errors|Warns|Notes|Chats|Comments) \([0-9]+\)$/ { expert = 1; next }
    expert && /^$/ { expert = 0 }
    !expert || /TCPSTATE/'
}
fail=0 checked=0
for set in crafted kernel hostile; do
  mergecap -a -F pcapng -w "$tmp/$set.pcapng" "$repo"/captures/$set/*.pcap* || exit 2
  z=("${taps[@]}")
  [ $set = hostile ] || z+=("${trees[@]}")
  for passes in "" -2; do
    # shellcheck disable=SC2086
    "$wrapper" "$so" $passes -q -r "$tmp/$set.pcapng" "${z[@]}" 2>&1 |
      taps_only > "$tmp/notree.txt"
    # shellcheck disable=SC2086
    "$wrapper" "$so" $passes -r "$tmp/$set.pcapng" "${fields[@]}" "${z[@]}" 2>&1 |
      tee "$tmp/fields.txt" | taps_only > "$tmp/tree.txt"
    frames=$(grep -cE '^"[0-9]+"' "$tmp/fields.txt")
    states=$(grep -cP '^"[0-9]+"\t"[^"]' "$tmp/fields.txt")
    lines=$(wc -l < "$tmp/notree.txt")
    experts=$(grep -c TCPSTATE "$tmp/notree.txt")
    # A vacuous comparison (a tap printing nothing) must fail too.
    if [ "$frames" = 0 ] || [ "$states" = 0 ] || [ "$experts" = 0 ] ||
       ! grep -q 'Ladder\|ladder' "$tmp/notree.txt"; then
      echo "FAIL: $set ${passes:-1 pass}: empty output ($frames frames, $states with a state," \
           "$experts expert lines)"
      fail=1
    elif ! diff -u "$tmp/notree.txt" "$tmp/tree.txt" > "$tmp/diff.txt"; then
      echo "FAIL: $set ${passes:-1 pass}: the taps differ without a tree (-) and with one (+)"
      head -40 "$tmp/diff.txt"
      fail=1
    else
      echo "$set ${passes:-1 pass}: $frames frames ($states with a state), $lines tap lines" \
           "($experts tcpstate experts): equal"
    fi
    checked=$((checked + 1))
  done
done
[ $fail = 0 ] && echo "tree OK: $checked comparisons"
exit $fail
