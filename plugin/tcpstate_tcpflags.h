/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_tcpflags.h — the TCP header's flag bits (RFC 9293 §3.1), as on
 * the wire in the 12 bits below the data offset: the one definition the
 * engine, the Zeek module, the epan layer, the views, the unit tests and the
 * fuzz harness share. Pure C, no headers needed.
 */
#ifndef TCPSTATE_TCPFLAGS_H
#define TCPSTATE_TCPFLAGS_H

#define TCPS_TH_FIN  0x001
#define TCPS_TH_SYN  0x002
#define TCPS_TH_RST  0x004
#define TCPS_TH_PSH  0x008
#define TCPS_TH_ACK  0x010
#define TCPS_TH_URG  0x020
#define TCPS_TH_ECE  0x040
#define TCPS_TH_CWR  0x080
#define TCPS_TH_MASK 0x0fff   /* the flag bits, reserved ones included */

#endif /* TCPSTATE_TCPFLAGS_H */
