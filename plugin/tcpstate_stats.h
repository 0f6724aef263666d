/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_stats.h — -z tcpstate,conn and -z tcpstate,transitions. */
#ifndef TCPSTATE_STATS_H
#define TCPSTATE_STATS_H

void tcps_stats_register(void);

#endif
