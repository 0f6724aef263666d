/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet-tcpstate.h — registration entry points of the epan layer, and its
 * view of the capture file's one tracker (tcpstate_tracker.h) for the
 * statistics, menu, ladder, census, connection list and upgrade code. */
#ifndef PACKET_TCPSTATE_H
#define PACKET_TCPSTATE_H

#include <epan/packet.h>

#include "tcpstate_conninfo.h"

void proto_register_tcpstate(void);
void proto_reg_handoff_tcpstate(void);

/* For the census and the connection list, which read the stored records. */
struct tcps_store;
struct tcps_store *tcpstate_store(void);
/* The MSL preference, in seconds (TIME_WAIT lasts 2·MSL). */
guint tcpstate_msl_seconds(void);
/* Apply the hindsight that needs the whole capture, if not done yet (a
 * table drawn at the end of a single pass). */
void tcpstate_finish_first_pass(void);

/* Who closed first (tcps_conn_info.closer: 1 client, 2 server), as
 * tcpstate.closer, tcpstate.upgrade.closer and the connection list print
 * it. */
extern const value_string tcpstate_closer_vals[];

/* The frame's capture time in nanoseconds from the whole second of the
 * first frame analysed in this file, bounded so that any two differ by less
 * than 2^63 (tcpstate_time.h). */
gint64 tcps_frame_time_ns(const packet_info *pinfo);

/* The file's tracker (NULL before any), for views that read connections
 * through it (tcpstate_counted.h). */
struct tcps_tracker;
struct tcps_tracker *tcpstate_tracker(void);

/* How many connections the file has so far. */
guint32 tcps_conninfo_count(void);

/* A connection by its index (tcps_frame.conn, table_index), or a frame's,
 * through the tracker's view (tcps_tracker_conn_view): valid until the
 * next call of either, or the next frame analysed; a compact SYN-only
 * connection stays compact, so a tree, tap or table over a SYN flood costs
 * no memory per SYN. Views key what they keep by the index, never by this
 * pointer, and copy out what they need before the next call. */
const tcps_conn_info *tcps_conninfo_view_at(guint32 idx);
const tcps_conn_info *tcps_conninfo_view(const tcps_frame *fr);

/* "addr:port" ("[addr]:port" for IPv6), g_free() it. */
char *tcps_endpoint_str(const address *addr, guint32 port);

#endif
