/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plugin.c — the symbols Wireshark's plugin loader looks for. */
#include <gmodule.h>

#include <epan/packet.h>
#include <epan/proto.h>
#include <ws_symbol_export.h>

#include "ws_compat.h"
#include "packet-tcpstate.h"

#ifndef TCPSTATE_VERSION
#define TCPSTATE_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const char plugin_version[] = TCPSTATE_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
    static proto_plugin plug;

    plug.register_protoinfo = proto_register_tcpstate;
    plug.register_handoff = proto_reg_handoff_tcpstate;
    proto_register_plugin(&plug);
}

#ifdef TCPS_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t plugin_describe(void)
{
    return WS_PLUGIN_DESC_DISSECTOR;
}
#endif
