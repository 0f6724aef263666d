/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_upgrade.c — the HTTP/1.1 upgrade (RFC 9110 §7.8): a
 * `101 Switching Protocols` response hands the connection over to another
 * protocol, WebSocket most often (RFC 6455). TCP's states do not change; what
 * a reader wants to know is where the upgrade happened, to what, and then
 * who closed the connection first: RFC 6455 §7.1.1 has the server close the
 * TCP connection first, so that the server, not the client, holds TIME_WAIT.
 *
 * Fields, in the Connection subtree from the 101 on:
 *   tcpstate.upgrade           the frame of the 101 response
 *   tcpstate.upgrade.protocol  its Upgrade header ("websocket")
 *   tcpstate.upgrade.closer    who sent the first FIN or RST after it
 * and the expert tcpstate.analysis.upgrade on the 101 itself.
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/proto.h>

#include "ws_compat.h"
#include "packet-tcpstate.h"
#include "tcpstate_upgrade.h"

static int hf_upgrade = -1;
static int hf_upgrade_protocol = -1;
static int hf_upgrade_closer = -1;
static expert_field ei_tcpstate_upgrade = EI_INIT;

static int hf_http_response_code = -1;
static int hf_http_upgrade = -1;

typedef struct {
    guint32     frame;      /* the 101 response */
    const char *protocol;   /* file scope */
} tcps_upgrade;

static wmem_map_t *upgrades;   /* table_index + 1 -> tcps_upgrade (an index, not a
                                  pointer: a view's connection may be a copy) */

#define UPGRADE_KEY(idx) GUINT_TO_POINTER((idx) + 1)

static fvalue_t *
first_value(proto_tree *tree, int hf)
{
    GPtrArray *found = hf > 0 ? proto_get_finfo_ptr_array(tree, hf) : NULL;

    if (!found || found->len == 0)
        return NULL;
    return TCPS_FI_FVALUE((field_info *)g_ptr_array_index(found, 0));
}

void
tcps_upgrade_frame(proto_tree *tree, const packet_info *pinfo, guint32 conn)
{
    fvalue_t *code, *proto;
    tcps_upgrade *up;

    if (!tree || wmem_map_lookup(upgrades, UPGRADE_KEY(conn)))
        return;
    code = first_value(tree, hf_http_response_code);
    if (!code || fvalue_get_uinteger(code) != 101)
        return;
    proto = first_value(tree, hf_http_upgrade);
    up = wmem_new(wmem_file_scope(), tcps_upgrade);
    up->frame = pinfo->num;
    up->protocol = wmem_strdup(wmem_file_scope(),
                               proto ? fvalue_get_string(proto) : "(no Upgrade header)");
    wmem_map_insert(upgrades, UPGRADE_KEY(conn), up);
}

static const tcps_upgrade *
upgrade_as_of(const packet_info *pinfo, guint32 conn)
{
    const tcps_upgrade *up = (const tcps_upgrade *)wmem_map_lookup(upgrades, UPGRADE_KEY(conn));

    return up && up->frame <= pinfo->num ? up : NULL;
}

const char *
tcps_upgrade_of(const tcps_conn_info *conn, guint32 *frame)
{
    const tcps_upgrade *up =
        conn ? (const tcps_upgrade *)wmem_map_lookup(upgrades, UPGRADE_KEY(conn->table_index))
             : NULL;

    if (!up)
        return NULL;
    *frame = up->frame;
    return up->protocol ? up->protocol : "";
}

void
tcps_upgrade_items(proto_tree *ct, tvbuff_t *tvb, const packet_info *pinfo,
                   const tcps_conn_info *conn)
{
    const tcps_upgrade *up = upgrade_as_of(pinfo, conn->table_index);
    proto_item *it;

    if (!up)
        return;
    it = proto_tree_add_uint(ct, hf_upgrade, tvb, 0, 0, up->frame);
    proto_item_set_generated(it);
    it = proto_tree_add_string(ct, hf_upgrade_protocol, tvb, 0, 0, up->protocol);
    proto_item_set_generated(it);
    if (conn->closer && conn->closer_frame > up->frame && conn->closer_frame <= pinfo->num) {
        it = proto_tree_add_uint(ct, hf_upgrade_closer, tvb, 0, 0, conn->closer);
        proto_item_set_generated(it);
    }
}

void
tcps_upgrade_experts(packet_info *pinfo, proto_item *ti, guint32 conn)
{
    const tcps_upgrade *up = upgrade_as_of(pinfo, conn);

    if (up && up->frame == pinfo->num)
        expert_add_info_format(pinfo, ti, &ei_tcpstate_upgrade,
                               "Upgrade to %s (HTTP 101): TCP states unchanged", up->protocol);
}

void
tcps_upgrade_want(GArray *wanted)
{
    if (hf_http_response_code > 0)
        g_array_append_val(wanted, hf_http_response_code);
    if (hf_http_upgrade > 0)
        g_array_append_val(wanted, hf_http_upgrade);
}

void
tcps_upgrade_register(int proto, expert_module_t *expert)
{
    static hf_register_info hf[] = {
        { &hf_upgrade,
          { "Protocol upgrade", "tcpstate.upgrade", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The HTTP 101 Switching Protocols response that handed the connection over "
            "to another protocol (present from that frame on)", HFILL } },
        { &hf_upgrade_protocol,
          { "Upgraded to", "tcpstate.upgrade.protocol", FT_STRING, BASE_NONE, NULL, 0x0,
            "The Upgrade header of the 101 response, e.g. websocket", HFILL } },
        { &hf_upgrade_closer,
          { "Closed first after the upgrade by", "tcpstate.upgrade.closer", FT_UINT8, BASE_DEC,
            VALS(tcpstate_closer_vals), 0x0,
            "Which side sent the first FIN or RST after the upgrade (RFC 6455 7.1.1: the "
            "server should, so that it holds TIME_WAIT)", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_tcpstate_upgrade,
          { "tcpstate.analysis.upgrade", PI_SEQUENCE, PI_CHAT,
            "Protocol upgrade (HTTP 101)", EXPFILL } },
    };

    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
    upgrades = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(),
                                      g_direct_hash, g_direct_equal);
}

void
tcps_upgrade_handoff(void)
{
    hf_http_response_code = proto_registrar_get_id_byname("http.response.code");
    hf_http_upgrade = proto_registrar_get_id_byname("http.upgrade");
}
