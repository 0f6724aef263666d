/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_census.h — how many connections have an end in each state, at
 * each frame (tcpstate.census.*) and over time (-z tcpstate,census).
 *
 * Counted from the stored per-frame records, so in the hindsight view, and
 * following TIME_WAIT's 2·MSL timer between frames. Nothing is kept or
 * computed unless a census field or table is asked for.
 */
#ifndef TCPSTATE_CENSUS_H
#define TCPSTATE_CENSUS_H

#include <epan/packet.h>

#include "tcpstate_record.h"
#include "tcpstate_store.h"

/* Registration (from proto_register_tcpstate / handoff). */
void tcps_census_register(int proto, module_t *module);
void tcps_census_handoff(void);

/* A new capture file, or records changed (a first-pass frame was analysed):
 * whatever was counted must be counted again. */
void tcps_census_reset(void);

/* First pass: note a TIME_WAIT restart's time (its frame's time is not
 * kept anywhere else). Cheap for every other frame. */
void tcps_census_note(const tcps_frame *fr, guint32 num, gint64 time_ns);

/* The census subtree on a frame dissected after the first pass, if a
 * census field is wanted. */
void tcps_census_items(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcps_frame *fr);

#endif /* TCPSTATE_CENSUS_H */
