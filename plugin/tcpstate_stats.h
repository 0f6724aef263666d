/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_stats.h — -z tcpstate,conn and -z tcpstate,transitions. */
#ifndef TCPSTATE_STATS_H
#define TCPSTATE_STATS_H

#include <glib.h>

void tcps_stats_register(void);

/* Zeek's meaning of a conn_state code (tcps_zeek_state), "" if unknown. */
const char *tcps_zeek_meaning(unsigned code);

#endif
