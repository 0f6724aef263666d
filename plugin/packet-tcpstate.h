/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet-tcpstate.h — registration entry points of the epan layer. */
#ifndef PACKET_TCPSTATE_H
#define PACKET_TCPSTATE_H

#include <epan/proto.h>   /* value_string (epan/ or wsutil/: ws_compat.h) */

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

#endif
