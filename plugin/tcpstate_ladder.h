/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_ladder.h — `-z tcpstate,ladder[,filter]` and the GUI's ladder window. */
#ifndef TCPSTATE_LADDER_H
#define TCPSTATE_LADDER_H

void tcps_ladder_register(void);

#endif /* TCPSTATE_LADDER_H */
