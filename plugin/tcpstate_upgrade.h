/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_upgrade.h — an application-layer upgrade on a connection (HTTP
 * 101 Switching Protocols, e.g. to WebSocket), and who closes first after it. */
#ifndef TCPSTATE_UPGRADE_H
#define TCPSTATE_UPGRADE_H

#include <epan/packet.h>
#include <epan/expert.h>

#include "tcpstate_conninfo.h"

void tcps_upgrade_register(int proto, expert_module_t *expert);
void tcps_upgrade_handoff(void);
/* Appends the HTTP fields it reads to a postdissector's wanted list. */
void tcps_upgrade_want(GArray *wanted);
/* First pass: note a 101 on this frame for its connection (table_index). */
void tcps_upgrade_frame(proto_tree *tree, const packet_info *pinfo, guint32 conn);
/* Tree (ct: the Connection subtree) and experts as of this frame. */
void tcps_upgrade_items(proto_tree *ct, tvbuff_t *tvb, const packet_info *pinfo,
                        const tcps_conn_info *conn);
void tcps_upgrade_experts(packet_info *pinfo, proto_item *ti, guint32 conn);
/* The connection's upgrade, if any: the 101's frame and the protocol; NULL
 * when there was none. */
const char *tcps_upgrade_of(const tcps_conn_info *conn, guint32 *frame);

#endif /* TCPSTATE_UPGRADE_H */
