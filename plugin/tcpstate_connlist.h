/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_connlist.h — one row per connection: `-z tcpstate,conn,list`
 * and Tools → TCP Connection State → List of connections; the field
 * tcpstate.connection that takes a row to its packets. */
#ifndef TCPSTATE_CONNLIST_H
#define TCPSTATE_CONNLIST_H

#include <epan/packet.h>

#include "tcpstate_record.h"

void tcps_connlist_register(int proto);
void tcps_connlist_handoff(void);

/* tcpstate.connection on a frame's tree. */
void tcps_connlist_items(proto_tree *tree, tvbuff_t *tvb, const tcps_frame *fr);

#endif /* TCPSTATE_CONNLIST_H */
