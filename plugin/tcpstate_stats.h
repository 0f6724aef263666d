/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_stats.h — -z tcpstate,conn and -z tcpstate,transitions. */
#ifndef TCPSTATE_STATS_H
#define TCPSTATE_STATS_H

void tcps_stats_register(void);

/* Zeek's own wording of a conn_state code. */
const char *tcps_stats_zeek_meaning(guint code);

#endif
