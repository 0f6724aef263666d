#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The pure modules include no Wireshark header, directly or through a
# project header: the preprocessor lists every file each one pulls in, with
# Wireshark's include folders on the path so that a stray include resolves
# and is named. The unit tests link them without epan; this keeps them so.
#
# usage: check_pure.sh CC PLUGIN_DIR "GLIB_CFLAGS" "WIRESHARK_INCLUDE_FLAGS"
set -u
cc=$1 plugin=$2 glib=$3 ws=$4
pure="tcpstate_engine.c tcpstate_zeek.c tcpstate_store.c tcpstate_conninfo.c
      tcpstate_slab.c tcpstate_tracker.c tcpstate_counted.c tcpstate_record.h
      tcpstate_time.h tcpstate_engine.h tcpstate_zeek.h tcpstate_store.h
      tcpstate_conninfo.h tcpstate_slab.h tcpstate_tracker.h tcpstate_counted.h"
bad=0
for f in $pure; do
    # shellcheck disable=SC2086  # the flags are lists
    deps=$($cc -M -x c $glib $ws -I"$plugin" -DTCPSTATE_TEST_HOOKS "$plugin/$f" 2>&1) || {
        echo "$f: the preprocessor failed: $deps"; bad=1; continue; }
    hits=$(printf '%s\n' "$deps" | tr ' \\' '\n\n' | grep -E '/(wireshark|epan|wsutil|wiretap)/' | sort -u)
    if [ -n "$hits" ]; then
        echo "$f includes Wireshark headers:"; printf '    %s\n' $hits; bad=1
    else
        echo "$f: pure ($(printf '%s\n' "$deps" | tr ' \\' '\n\n' | grep -c '\.h$') headers, none of Wireshark)"
    fi
done
exit $bad
