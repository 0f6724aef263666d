/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_counted.h — how a connection table (-z tcpstate,conn,
 * tcpstate_stats.c) or tree (Statistics → TCP Connection State →
 * Connections, tcpstate_menu.c) counted each connection, so that a
 * connection moves between rows as its values change and is counted once.
 *
 * Kept by connection index (tcps_frame.conn), 4 bytes a connection, and
 * read through tcps_tracker_conn_view: counting a SYN flood's connections
 * keeps them compact (tcpstate_tracker.h; docs/performance.md, "The SYN
 * flood"). Pure C11 with GLib, unit-tested in tests/unit/test_tracker.c.
 */
#ifndef TCPSTATE_COUNTED_H
#define TCPSTATE_COUNTED_H

#include <glib.h>

#include "tcpstate_tracker.h"

/* What a connection is counted under: its Zeek conn_state code and its
 * final client and server states as of its latest segment counted. */
typedef struct {
    guint  code;     /* tcps_zeek_state */
    guint8 client;   /* tcps_state */
    guint8 server;
} tcps_conn_counted;

/* Moves one connection's count: from was (NULL: not counted yet) to now. */
typedef void (*tcps_conn_move_fn)(void *ctx, const tcps_conn_counted *was,
                                  const tcps_conn_counted *now);

typedef struct tcps_counted tcps_counted;

tcps_counted *tcps_counted_new(void);
void tcps_counted_free(tcps_counted *c);   /* NULL is fine */
/* Nothing counted any more (the table was reset). */
void tcps_counted_clear(tcps_counted *c);

/* Count connection idx of tr under its current values, calling move if
 * they changed since it was last counted here; the same for its previous
 * incarnation if that was counted here, since a new SYN may have ended its
 * TIME_WAIT after its own last segment. FALSE: nothing changed (or no such
 * connection). Expands no compact connection. */
gboolean tcps_counted_conn(tcps_counted *c, tcps_tracker *tr, guint32 idx,
                           tcps_conn_move_fn move, void *ctx);

#endif /* TCPSTATE_COUNTED_H */
