#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mutation fuzzing through tshark, after Wireshark's tools/fuzz-test.sh:
# editcap -E damages every capture given, at several rates, and tshark with
# the plugin reads the results in one pass and with -2 -V, each time with
# every -z tcpstate table. Flags sanitizer reports, dissector bugs, signals,
# failures and hangs.
#
# usage: tools/mutation-fuzz.sh [-n PER_CAPTURE] [-b BATCH] [-s FIRST_SEED]
#                               [-t TIMEOUT] [-k KEEP_DIR] PLUGIN.so CAPTURE...
#   -n  mutations of each capture (default 1); rates cycle 0.005, 0.02, 0.1
#   -b  mutated captures concatenated (mergecap -a) per tshark run
#       (default 20): tshark's start-up dominates otherwise. A failing batch
#       is read again capture by capture to name the culprit.
#   -s  first editcap seed (default 1): the same seeds give the same files
#   -t  seconds before a tshark run counts as a hang (default 120)
#   -k  where to keep the captures that fail (default: the current folder)
#
# A plugin built with -DTCPSTATE_SANITIZE=ON needs the ASan runtime first in
# the process: it is preloaded for tshark (only for reading captures:
# `tshark -G plugins` starts extcap helpers, which inherit the preload and
# hang). Exit 0 when every run is clean, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
wrapper=$here/tests/tshark-plugin.sh
per=1 batch=20 seed0=1 limit=120 keep=$PWD
while getopts n:b:s:t:k: opt; do
  case $opt in
    n) per=$OPTARG ;; b) batch=$OPTARG ;; s) seed0=$OPTARG ;;
    t) limit=$OPTARG ;; k) keep=$OPTARG ;; *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
so=${1:?usage: mutation-fuzz.sh [options] PLUGIN.so CAPTURE...}; shift
[ $# -gt 0 ] || { echo "no captures given" >&2; exit 2; }

# Only tshark's runs get the preload (editcap under it hangs at exit).
preload=
if ldd "$so" | grep -q 'libasan'; then
  preload=$(gcc -print-file-name=libasan.so)
  [ -f "$preload" ] || { echo "cannot find the ASan runtime" >&2; exit 2; }
  sanitizer=yes
else
  sanitizer=no
fi
# Every wmem block its own malloc, so ASan sees each (as Wireshark's fuzzing).
export WIRESHARK_DEBUG_WMEM_OVERRIDE=simple
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87

mkdir -p "$keep" || exit 2
tmp=$(mktemp -d /tmp/tcpstate-mutate.XXXXXX); chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
rates=(0.005 0.02 0.1)
bad='AddressSanitizer|runtime error|Dissector bug|assertion|Segmentation fault|Aborted|CRITICAL'

# One tshark run; prints nothing and returns 0 when clean.
run() {  # mode (one|two), capture
  local cap=$1 mode=$2 st out=$tmp/out err=$tmp/err
  local args=(-r "$cap" -z tcpstate,conn -z tcpstate,transitions -z "tcpstate,conn,tcp.port==80")
  [ "$mode" = two ] && args+=(-2 -V)
  LD_PRELOAD=$preload timeout -k 5 "$limit" "$wrapper" "$so" "${args[@]}" > "$out" 2> "$err"
  st=$?
  if [ "$st" = 124 ] || [ "$st" = 137 ]; then echo "hang (over $limit s)"; return 1; fi
  if [ "$st" != 0 ]; then echo "exit $st: $(grep -E "$bad" "$err" | head -1)"; return 1; fi
  if grep -qE "$bad" "$err" "$out"; then echo "$(grep -hE "$bad" "$err" "$out" | head -1)"; return 1; fi
  if ! grep -q 'Connections by Zeek conn_state' "$out"; then echo "no tcpstate table printed"; return 1; fi
  return 0
}

made=0 runs=0 failed=0 batches=0 n=0 files=()
flush() {
  local mode why f
  [ ${#files[@]} -gt 0 ] || return 0
  mergecap -a -w "$tmp/batch.pcapng" "${files[@]}" 2>/dev/null
  chmod a+r "$tmp/batch.pcapng"
  for mode in one two; do
    runs=$((runs + 1))
    why=$(run "$tmp/batch.pcapng" "$mode") && continue
    echo "FAIL batch of ${#files[@]} ($mode pass): $why"
    sed -n '1,60p' "$tmp/err" | grep -E "$bad|#[0-9]" | head -12 | sed 's/^/     /'
    found=0
    for f in "${files[@]}"; do              # name the culprit(s)
      why=$(run "$f" "$mode") && continue
      found=1; failed=$((failed + 1))
      cp "$f" "$keep/" && echo "FAIL $(basename "$f") ($mode pass): $why -> kept in $keep"
    done
    if [ "$found" = 0 ]; then               # only together: keep the batch
      failed=$((failed + 1)); batches=$((batches + 1))
      cp "$tmp/batch.pcapng" "$keep/failing-batch-$batches.pcapng"
      echo "FAIL only as a batch -> kept as $keep/failing-batch-$batches.pcapng"
    fi
  done
  rm -f "${files[@]}"; files=()
}

for cap in "$@"; do
  for ((i = 0; i < per; i++)); do
    seed=$((seed0 + n)); rate=${rates[$((n % 3))]}; n=$((n + 1))
    out="$tmp/$(basename "${cap%.*}")-E$rate-s$seed.pcapng"
    editcap -F pcapng --seed "$seed" -E "$rate" "$cap" "$out" 2>/dev/null || continue
    chmod a+r "$out"
    files+=("$out"); made=$((made + 1))
    [ ${#files[@]} -ge "$batch" ] && flush
  done
done
flush
echo "$made mutated captures, $runs tshark runs (sanitizers: $sanitizer), $failed failing captures"
[ "$failed" = 0 ] && [ "$made" -gt 0 ]
