/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_menu.h — Statistics → TCP Connection State in the GUI. */
#ifndef TCPSTATE_MENU_H
#define TCPSTATE_MENU_H

void tcps_menu_register(void);

#endif /* TCPSTATE_MENU_H */
