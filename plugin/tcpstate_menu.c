/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_menu.c — Statistics → TCP Connection State → Connections and
 * → Transitions in the GUI.
 *
 * Why stats trees and not the stat-tap tables of tcpstate_stats.c: in
 * Wireshark 4.0 a plugin gets a Statistics submenu only as a stats tree
 * registered by stats_tree_register_plugin() with a "Menu/Item" name
 * (ui/qt/wireshark_main_window_slots.cpp, addStatsPluginsToMenu). A stat-tap
 * table shows in no menu from REGISTER_STAT_GROUP_GENERIC and as a literal
 * "TCP Connection State/Connections" item from the unsorted group. The
 * tables stay for tshark (`-z tcpstate,conn`); these trees count the same
 * things, and tshark prints them too (`-z tcpstate_conn,tree`).
 *
 * Connections are counted once each, under their values as of their latest
 * segment that matched the filter: the final values in the GUI, which has
 * read the whole capture before any statistics run.
 */
#include <epan/packet.h>
#include <epan/stats_tree.h>

#include "tcpstate_menu.h"
#include "packet-tcpstate.h"
#include "tcpstate_stats.h"
#include "tcpstate_counted.h"

#define NODE_BY_CODE   "By Zeek conn_state (meaning)"
#define NODE_BY_STATES "By final states"
#define NODE_CLIENT    "Client"
#define NODE_SERVER    "Server"

/* Per open tree: how each connection was counted, so that it moves when
 * its values change. stats_tree has no user pointer, hence the map. */
static GHashTable *counted_by_tree;   /* stats_tree * -> tcps_counted * */

/* Transitions sorted by name, descending: in lifecycle order (state_rank).
 * Wireshark 4.0's GUI sorts a stats tree's rows descending whatever the
 * flags say (seen under Xvfb); ST_FLG_SORT_DESC makes tshark do the same. */
#define TRANSITIONS_SORT ((ST_SORT_COL_NAME << ST_FLG_SRTCOL_SHIFT) | ST_FLG_SORT_DESC)

static int node_by_code, node_by_states, node_client, node_server;

static void
conn_tree_init(stats_tree *st)
{
    if (!counted_by_tree)
        counted_by_tree = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                (GDestroyNotify)tcps_counted_free);
    g_hash_table_insert(counted_by_tree, st, tcps_counted_new());
    node_by_code = stats_tree_create_node(st, NODE_BY_CODE, 0, STAT_DT_INT, TRUE);
    node_by_states = stats_tree_create_node(st, NODE_BY_STATES, 0, STAT_DT_INT, TRUE);
}

static void
conn_tree_cleanup(stats_tree *st)
{
    if (counted_by_tree)
        g_hash_table_remove(counted_by_tree, st);
}

/* "SF: Normal establishment and termination": the code with Zeek's
 * meaning, as tshark's table prints them. */
static const char *
code_name(packet_info *pinfo, guint code)
{
    return wmem_strdup_printf(pinfo->pool, "%s: %s", tcps_zeek_state_name((tcps_zeek_state)code),
                              tcps_zeek_meaning(code));
}

static const char *
states_name(packet_info *pinfo, guint client, guint server)
{
    return wmem_strdup_printf(pinfo->pool, "C:%s S:%s", tcps_state_name((tcps_state)client),
                              tcps_state_name((tcps_state)server));
}

/* A connection moves between the nodes of one tree. */
typedef struct {
    stats_tree  *st;
    packet_info *pinfo;
} conn_tree_ctx;

static void
conn_tree_move(void *ctx, const tcps_conn_counted *was, const tcps_conn_counted *now)
{
    const conn_tree_ctx *t = (const conn_tree_ctx *)ctx;

    if (was) {
        increase_stat_node(t->st, code_name(t->pinfo, was->code), node_by_code, FALSE, -1);
        increase_stat_node(t->st, states_name(t->pinfo, was->client, was->server),
                           node_by_states, FALSE, -1);
    } else {
        tick_stat_node(t->st, NODE_BY_CODE, 0, TRUE);
        tick_stat_node(t->st, NODE_BY_STATES, 0, TRUE);
    }
    tick_stat_node(t->st, code_name(t->pinfo, now->code), node_by_code, FALSE);
    tick_stat_node(t->st, states_name(t->pinfo, now->client, now->server), node_by_states, FALSE);
}

static tap_packet_status
conn_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                 tap_flags_t flags _U_)
{
    const tcps_frame *fr = (const tcps_frame *)data;
    tcps_counted *counted = counted_by_tree ? g_hash_table_lookup(counted_by_tree, st) : NULL;
    conn_tree_ctx ctx = { st, pinfo };

    if (!counted || !tcpstate_tracker())
        return TAP_PACKET_DONT_REDRAW;
    return tcps_counted_conn(counted, tcpstate_tracker(), fr->conn, conn_tree_move, &ctx)
               ? TAP_PACKET_REDRAW : TAP_PACKET_DONT_REDRAW;
}

/* Lifecycle rank of a state (RFC 9293 §3.3.2 figure 5, top to bottom), and
 * of a transition: by the state left, then the state entered, CLOSED last
 * (a reset or the end of a close). A sort key counting down from 199
 * prefixes the node's name ("146 ESTABLISHED -> FIN_WAIT_1") because
 * stats_tree sorts its nodes (by name, descending: TRANSITIONS_SORT); its
 * 4.0 API has no other order. */
static guint
state_rank(guint s)
{
    static const guint8 rank[TCPS_NUM_STATES] = {
        [TCPS_CLOSED] = 0, [TCPS_LISTEN] = 1, [TCPS_SYN_SENT] = 2, [TCPS_SYN_RCVD] = 3,
        [TCPS_ESTABLISHED] = 4, [TCPS_FIN_WAIT_1] = 5, [TCPS_FIN_WAIT_2] = 6,
        [TCPS_CLOSING] = 7, [TCPS_TIME_WAIT] = 8, [TCPS_CLOSE_WAIT] = 9, [TCPS_LAST_ACK] = 10,
    };
    return s < TCPS_NUM_STATES ? rank[s] : TCPS_NUM_STATES;
}

static const char *
transition_name(packet_info *pinfo, guint from, guint to)
{
    guint key = state_rank(from) * (TCPS_NUM_STATES + 1) +
                (to == TCPS_CLOSED ? TCPS_NUM_STATES : state_rank(to));

    return wmem_strdup_printf(pinfo->pool, "%03u %s -> %s", 199 - key,
                              tcps_state_name((tcps_state)from), tcps_state_name((tcps_state)to));
}

static void
transitions_tree_init(stats_tree *st)
{
    node_client = stats_tree_create_node(st, NODE_CLIENT, 0, STAT_DT_INT, TRUE);
    node_server = stats_tree_create_node(st, NODE_SERVER, 0, STAT_DT_INT, TRUE);
}

static tap_packet_status
transitions_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_,
                        const void *data, tap_flags_t flags _U_)
{
    static const char *const end_names[2] = { NODE_CLIENT, NODE_SERVER };
    const int nodes[2] = { node_client, node_server };
    tcps_result r;
    tap_packet_status status = TAP_PACKET_DONT_REDRAW;
    int e;

    tcps_record_unpack(&((const tcps_frame *)data)->core, &r);
    for (e = 0; e < 2; e++) {
        if (r.prev[e] == r.state[e])
            continue;
        tick_stat_node(st, end_names[e], 0, TRUE);
        tick_stat_node(st, transition_name(pinfo, r.prev[e], r.state[e]), nodes[e], FALSE);
        status = TAP_PACKET_REDRAW;
    }
    return status;
}

void
tcps_menu_register(void)
{
    /* The last part of the name is the menu item and the window's title. */
    stats_tree_register_plugin("tcpstate", "tcpstate_conn",
                               "TCP Connection State/Connections by Zeek conn_state and final states",
                               0, conn_tree_packet, conn_tree_init, conn_tree_cleanup);
    stats_tree_register_plugin("tcpstate", "tcpstate_transitions",
                               "TCP Connection State/State transitions of each end, in lifecycle order",
                               TRANSITIONS_SORT, transitions_tree_packet, transitions_tree_init,
                               NULL);
}
