/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_stats.h — -z tcpstate,conn and -z tcpstate,transitions. */
#ifndef TCPSTATE_STATS_H
#define TCPSTATE_STATS_H

#include <glib.h>

#include "tcpstate_conninfo.h"

void tcps_stats_register(void);

/* How the connection tables (here) and trees (tcpstate_menu.c) count a
 * connection: once, under its Zeek conn_state code and its final client
 * and server states as of its latest segment counted. */
typedef struct {
    guint  code;     /* tcps_zeek_state */
    guint8 client;   /* tcps_state */
    guint8 server;
} tcps_conn_counted;

/* Moves one connection's count: from was (NULL: not counted yet) to now. */
typedef void (*tcps_conn_move_fn)(void *ctx, const tcps_conn_counted *was,
                                  const tcps_conn_counted *now);

/* Count conn under its current values in counted (a table's or tree's
 * tcps_conn_info * -> what it was counted under), calling move for it if
 * they changed; the same for its previous incarnation if that was counted
 * there, since a new SYN may have ended its TIME_WAIT after its own last
 * segment. FALSE: nothing changed. */
gboolean tcps_stats_count_conn(GHashTable *counted, tcps_conn_info *conn,
                               tcps_conn_move_fn move, void *ctx);

/* Zeek's meaning of a conn_state code (tcps_zeek_state), "" if unknown. */
const char *tcps_zeek_meaning(unsigned code);

#endif
