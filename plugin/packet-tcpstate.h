/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet-tcpstate.h — registration entry points of the epan layer. */
#ifndef PACKET_TCPSTATE_H
#define PACKET_TCPSTATE_H

void proto_register_tcpstate(void);
void proto_reg_handoff_tcpstate(void);

#endif
