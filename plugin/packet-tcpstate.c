/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet-tcpstate.c — the epan layer of tcpstate.
 *
 * A post-dissector: it reads the TCP dissector's fields into a segment
 * description, hands it to the tracker (tcpstate_tracker.c: the pure engine
 * and the connection analysis, per-frame records, hindsight) on the first
 * pass only, and always builds the tree and the Info column from the
 * frame's record. Computing once and replaying is
 * what makes a single pass, `tshark -2` and the GUI's random re-dissection
 * print identical values: on later passes the TCP fields we would read are
 * not even primed.
 */
#define WS_LOG_DOMAIN "tcpstate"
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h>
#include <epan/address.h>
#include <epan/proto_data.h>
#include <epan/to_str.h>
#include <epan/tap.h>
#include <wsutil/wslog.h>
#include <wsutil/utf8_entities.h>

#include "ws_compat.h"
#include "packet-tcpstate.h"
#include "tcpstate_engine.h"
#include "tcpstate_record.h"
#include "tcpstate_conninfo.h"
#include "tcpstate_stats.h"
#include "tcpstate_store.h"
#include "tcpstate_tracker.h"
#include "tcpstate_menu.h"
#include "tcpstate_ladder.h"
#include "tcpstate_upgrade.h"
#include "tcpstate_census.h"
#include "tcpstate_connlist.h"

static int proto_tcpstate = -1;
static int tcpstate_tap = -1;

static int hf_tcpstate_summary = -1;
static int hf_tcpstate_client = -1;
static int hf_tcpstate_server = -1;
static int hf_tcpstate_client_prev = -1;
static int hf_tcpstate_server_prev = -1;
static int hf_tcpstate_sender = -1;
static int hf_tcpstate_receiver = -1;
static int hf_tcpstate_from_client = -1;
static int hf_tcpstate_phase = -1;
static int hf_tcpstate_handshake_step = -1;
static int hf_tcpstate_teardown_step = -1;
static int hf_tcpstate_changed = -1;
static int hf_tcpstate_midstream = -1;
static int hf_tcpstate_live_client = -1;
static int hf_tcpstate_live_server = -1;
static int hf_tcpstate_revised = -1;
static int hf_tcpstate_lost = -1;
static int hf_tcpstate_lost_shown_by = -1;
static int hf_tcpstate_reveals_lost = -1;
static int hf_tcpstate_conn_state = -1;
static int hf_tcpstate_history = -1;
static int hf_tcpstate_closer = -1;
static int hf_tcpstate_closer_frame = -1;
static int hf_tcpstate_hs_rtt = -1;
static int hf_tcpstate_hs_rtt_server = -1;
static int hf_tcpstate_hs_rtt_client = -1;
static int hf_tcpstate_client_since = -1;
static int hf_tcpstate_server_since = -1;
static int hf_tcpstate_client_time = -1;
static int hf_tcpstate_server_time = -1;
static int hf_tcpstate_duration = -1;
static int hf_tcpstate_half_open = -1;
static int hf_tcpstate_final_conn_state = -1;
static int hf_tcpstate_final_history = -1;
static int hf_tcpstate_final_client = -1;
static int hf_tcpstate_final_server = -1;
static int hf_tcpstate_explanation = -1;

static gint ett_tcpstate = -1;
static gint ett_tcpstate_conn = -1;
static gint ett_tcpstate_final = -1;

/* One transition expert per end and state entered, so that Expert Info
 * groups them informatively ("Server enters CLOSE_WAIT") instead of one
 * "State transition" row. [0] client, [1] server. */
#define STATE_EI_INIT(NAME, num) EI_INIT,
static expert_field ei_tcpstate_enter[2][TCPS_NUM_STATES] = {
    { TCPS_STATES(STATE_EI_INIT) },
    { TCPS_STATES(STATE_EI_INIT) },
};
#undef STATE_EI_INIT
static expert_field ei_tcpstate_midstream = EI_INIT;
static expert_field ei_tcpstate_syn_retransmit = EI_INIT;
static expert_field ei_tcpstate_synack_retransmit = EI_INIT;
static expert_field ei_tcpstate_fin_retransmit = EI_INIT;
static expert_field ei_tcpstate_simultaneous_open = EI_INIT;
static expert_field ei_tcpstate_simultaneous_close = EI_INIT;
static expert_field ei_tcpstate_refused = EI_INIT;
static expert_field ei_tcpstate_rst_out_of_window = EI_INIT;
static expert_field ei_tcpstate_time_wait_restart = EI_INIT;
static expert_field ei_tcpstate_time_wait_expired = EI_INIT;
static expert_field ei_tcpstate_loss_revealed = EI_INIT;
static expert_field ei_tcpstate_lost = EI_INIT;
static expert_field ei_tcpstate_data_after_fin = EI_INIT;
static expert_field ei_tcpstate_from_closed = EI_INIT;
static expert_field ei_tcpstate_syn_in_synchronized = EI_INIT;
static expert_field ei_tcpstate_bad_handshake_ack = EI_INIT;
static expert_field ei_tcpstate_invalid_flags = EI_INIT;
static expert_field ei_tcpstate_time_wait_assassinated = EI_INIT;
static expert_field ei_tcpstate_fin_out_of_order = EI_INIT;
static expert_field ei_tcpstate_peer_silent = EI_INIT;
static expert_field ei_tcpstate_ended_unseen = EI_INIT;
static expert_field ei_tcpstate_bad_checksum = EI_INIT;
static expert_field ei_tcpstate_half_open = EI_INIT;
static expert_field ei_tcpstate_syn_flood = EI_INIT;
static expert_field ei_tcpstate_close_wait_lingering = EI_INIT;
static expert_field ei_tcpstate_fin_wait_2_lingering = EI_INIT;
static expert_field ei_tcpstate_reuse_in_time_wait = EI_INIT;
static expert_field ei_tcpstate_reuse_after_time_wait = EI_INIT;

/* The TCP dissector's fields we read, and protocols we look for. */
static int hf_tcp_stream = -1;
static int hf_tcp_len = -1;
static int proto_ip = -1;
static int proto_ipv6 = -1;
static int hf_tcp_checksum_status = -1;
static int hf_ip_checksum_status = -1;
static int proto_tcp = -1;
static int proto_icmp = -1;
static int proto_icmpv6 = -1;

static dissector_handle_t tcpstate_handle;

/* Preferences. MSL 30 s matches Linux's fixed 60 s TIME_WAIT; 60 s of
 * FIN_WAIT_2 is Linux's tcp_fin_timeout. */
static tcps_analysis_prefs tcps_prefs = {
    .msl_seconds = 30,
    .flood_count = 100,
    .flood_seconds = 10,
    .close_wait_seconds = 60,
    .fin_wait_2_seconds = 60,
};
/* What the Info column gets, and where. The default is short and first so
 * that the Flow Graph's arrow labels, which Wireshark 4.0 cuts at about 40
 * characters, show both states on every arrow: the full summary of a
 * teardown segment, [C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT], is
 * 51 characters; the short form, [C:>FIN_WAIT_1 S:>CLOSE_WAIT], at most 31. */
enum { TCPS_INFO_OFF, TCPS_INFO_FIRST, TCPS_INFO_FULL, TCPS_INFO_LAST };
static const enum_val_t info_column_vals[] = {
    { "first", "Short, before the TCP summary, flags first: [FIN,ACK C:>FIN_WAIT_1 S:>CLOSE_WAIT]",
      TCPS_INFO_FIRST },
    { "full",  "Full, before the TCP summary: [C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED>CLOSE_WAIT]",
      TCPS_INFO_FULL },
    { "last",  "Full, after the TCP summary",  TCPS_INFO_LAST },
    { "off",   "Not at all",             TCPS_INFO_OFF },
    { NULL, NULL, 0 }
};
/* Off by default: installing the plugin leaves everyone's Info column as
 * Wireshark writes it; the "TCP States" profile turns it on (first). */
static gint pref_info_column = TCPS_INFO_OFF;

/* The numeric preferences and their valid ranges. Wireshark's uint
 * preferences take any 32-bit value, so tcpstate_prefs_apply brings each
 * back into its range (and says so): an MSL of 4294968 s would otherwise
 * wrap msl * 1000 to a TIME_WAIT of 1.4 s. The ranges are in the
 * descriptions and in README.md. */
typedef struct {
    const char *name, *title, *description;
    guint *var;
    guint min, max;
} tcps_uint_pref;

static const tcps_uint_pref uint_prefs[] = {
    { "msl", "Maximum segment lifetime (seconds)",
      "TIME_WAIT lasts 2*MSL. The default, 30 s, matches Linux's fixed 60 s TIME_WAIT. "
      "Valid: 1 to 3600.",
      &tcps_prefs.msl_seconds, 1, 3600 },
    { "syn_flood_count", "SYN flood: half-open connections",
      "Flag a suspected SYN flood when more than this many handshakes to one server "
      "endpoint are half-open within the window below. Valid: 1 to 10000000.",
      &tcps_prefs.flood_count, 1, 10000000 },
    { "syn_flood_seconds", "SYN flood: window (seconds)",
      "The window in which half-open handshakes to one server endpoint are counted. "
      "Valid: 1 to 3600.",
      &tcps_prefs.flood_seconds, 1, 3600 },
    { "close_wait_seconds", "CLOSE_WAIT lingering threshold (seconds)",
      "Flag an endpoint that stays in CLOSE_WAIT this long: its application has not closed. "
      "Valid: 1 to 604800 (a week).",
      &tcps_prefs.close_wait_seconds, 1, 604800 },
    { "fin_wait_2_seconds", "FIN_WAIT_2 lingering threshold (seconds)",
      "Flag an endpoint that stays in FIN_WAIT_2 this long (Linux's tcp_fin_timeout is 60 s). "
      "Valid: 1 to 604800 (a week).",
      &tcps_prefs.fin_wait_2_seconds, 1, 604800 },
};

/* The tracker of the capture file being read (tcpstate_tracker.h): one per
 * file, made anew by tcpstate_init. */
static tcps_tracker *tracker;

#define STATE_VAL(NAME, num) { TCPS_##NAME, #NAME },
static const value_string tcpstate_state_vals[] = {
    TCPS_STATES(STATE_VAL)
    { 0, NULL }
};
#undef STATE_VAL

static const value_string tcpstate_phase_vals[] = {
    { TCPS_PHASE_HANDSHAKE,     "HANDSHAKE" },
    { TCPS_PHASE_DATA_TRANSFER, "DATA_TRANSFER" },
    { TCPS_PHASE_TEARDOWN,      "TEARDOWN" },
    { TCPS_PHASE_CLOSED,        "CLOSED" },
    { TCPS_PHASE_RESET,         "RESET" },
    { 0, NULL }
};

static const value_string tcpstate_handshake_step_vals[] = {
    { 1, "SYN" },
    { 2, "SYN/ACK" },
    { 3, "ACK" },
    { 0, NULL }
};

static const value_string tcpstate_teardown_step_vals[] = {
    { 1, "first FIN" },
    { 2, "ACK of the first FIN" },
    { 3, "second FIN" },
    { 4, "ACK of the second FIN" },
    { 0, NULL }
};

const value_string tcpstate_closer_vals[] = {
    { 1, "CLIENT" },
    { 2, "SERVER" },
    { 0, NULL }
};

/* Which engine event raises which expert info, and the detail the tree
 * shows under it (the summary stays short: Expert Info cuts long ones). */
typedef struct {
    guint32       event;
    expert_field *ei;
    const char   *explanation;
} event_expert;

static const event_expert event_experts[] = {
    { TCPS_EV_MIDSTREAM,              &ei_tcpstate_midstream,
      "The capture starts after the handshake: the states are inferred from this segment" },
    { TCPS_EV_SYN_RETRANSMIT,         &ei_tcpstate_syn_retransmit,
      "The client sends its SYN again: it has received no SYN/ACK and is still in SYN_SENT" },
    { TCPS_EV_SYNACK_RETRANSMIT,      &ei_tcpstate_synack_retransmit,
      "The server sends its SYN/ACK again: it has not received the handshake's ACK" },
    { TCPS_EV_FIN_RETRANSMIT,         &ei_tcpstate_fin_retransmit,
      "A FIN sent again: its first copy, or the ACK of it, was lost" },
    { TCPS_EV_SIMULTANEOUS_OPEN,      &ei_tcpstate_simultaneous_open,
      "Both ends sent a SYN: each goes SYN_SENT -> SYN_RCVD (RFC 9293 3.5)" },
    { TCPS_EV_SIMULTANEOUS_CLOSE,     &ei_tcpstate_simultaneous_close,
      "The FINs crossed: each end goes FIN_WAIT_1 -> CLOSING (RFC 9293 3.6)" },
    { TCPS_EV_REFUSED,                &ei_tcpstate_refused,
      "A RST answers the SYN: no socket listens on that port (or a firewall rejects)" },
    { TCPS_EV_RST_IGNORED,            &ei_tcpstate_rst_out_of_window,
      "RST outside the sequence space seen: the receiver ignores it (RFC 5961); "
      "stale or injected" },
    { TCPS_EV_TIME_WAIT_RESTART,      &ei_tcpstate_time_wait_restart,
      "A FIN retransmitted into TIME_WAIT: the ACK of it is sent again and the 2MSL timer "
      "restarts (RFC 9293 3.10.7.4)" },
    { TCPS_EV_TIME_WAIT_EXPIRED,      &ei_tcpstate_time_wait_expired,
      "The TIME_WAIT before this segment lasted 2MSL: the endpoint was CLOSED when it came" },
    { TCPS_EV_DATA_AFTER_FIN,         &ei_tcpstate_data_after_fin,
      "Payload beyond the sequence number of the sender's own FIN" },
    { TCPS_EV_FROM_CLOSED,            &ei_tcpstate_from_closed,
      "The sender is CLOSED: a stray or late segment" },
    { TCPS_EV_SYN_IN_SYNCHRONIZED,    &ei_tcpstate_syn_in_synchronized,
      "SYN on a synchronized connection: the receiver answers with a challenge ACK "
      "(RFC 5961)" },
    { TCPS_EV_BAD_HANDSHAKE_ACK,      &ei_tcpstate_bad_handshake_ack,
      "The handshake's ACK number is not the peer's ISN+1: the receiver rejects the segment" },
    { TCPS_EV_INVALID_FLAGS,          &ei_tcpstate_invalid_flags,
      "A flag combination a TCP drops (no ACK, or SYN with FIN): no state change" },
    { TCPS_EV_TIME_WAIT_ASSASSINATED, &ei_tcpstate_time_wait_assassinated,
      "A RST closes an endpoint in TIME_WAIT before 2MSL (RFC 1337 hazard)" },
    { TCPS_EV_FIN_OUT_OF_ORDER,       &ei_tcpstate_fin_out_of_order,
      "Data before the FIN is missing: the FIN waits in the receiver's queue and the "
      "receiver stays where it was until the hole is filled (RFC 9293 3.10.7.4)" },
    { TCPS_EV_PEER_SILENT,            &ei_tcpstate_peer_silent,
      "The sender's keep-alive probes went unanswered, so nothing reaches the peer: "
      "this RST does not either, and the peer keeps its state" },
    { TCPS_EV_ENDED_UNSEEN,           &ei_tcpstate_ended_unseen,
      "A bare RST answers this segment: the receiver's connection had already ended, "
      "by a timeout the wire does not show (e.g. Linux's tcp_fin_timeout)" },
    { TCPS_EV_BAD_CHECKSUM,           &ei_tcpstate_bad_checksum,
      "The IP or TCP checksum is wrong (ip.check_checksum, tcp.check_checksum): the "
      "receiver drops the segment, nothing changes" },
};

/* The layer number (pinfo->curr_layer_num when it was dissected) of the
 * first TCP layer, or 0. A TCP header quoted inside an ICMP error is not a
 * segment of the connection: only a TCP layer before any ICMP counts. */
static int
segment_layer(const packet_info *pinfo)
{
    wmem_list_frame_t *layer;
    int num = 0;

    for (layer = wmem_list_head(pinfo->layers); layer; layer = wmem_list_frame_next(layer)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(layer));
        num++;
        if (id == proto_tcp)
            return num;
        if (id == proto_icmp || id == proto_icmpv6)
            return 0;
    }
    return 0;
}

/* The value of the first child of node with field hf. */
static gboolean
child_uint(proto_node *node, int hf, guint32 *out)
{
    proto_node *c;

    for (c = node->first_child; c; c = c->next)
        if (PNODE_FINFO(c) && PNODE_FINFO(c)->hfinfo->id == hf) {
            *out = fvalue_get_uinteger(TCPS_FI_FVALUE(PNODE_FINFO(c)));
            return TRUE;
        }
    return FALSE;
}

static gboolean
is_ip_item(const proto_node *n)
{
    return PNODE_FINFO(n) && (PNODE_FINFO(n)->hfinfo->id == proto_ip ||
                              PNODE_FINFO(n)->hfinfo->id == proto_ipv6);
}

/* The last IPv4 or IPv6 protocol item before the tcp item in tree order:
 * the IP layer that carries it, also in IP-in-IP, GRE or VXLAN (the outer
 * layers come first). The IP dissectors hand their payload the tree they
 * were given, so that item is among the tcp item's earlier siblings (the
 * ICMP error's quoted IP header and TCP header both sit in the ICMP
 * subtree; with a fake tree, at the top). Only if none is, look one level
 * up. Walking every earlier item instead cost 2,600 instructions a frame
 * with a visible tree. */
static proto_node *
carrier_ip(proto_node *tcp)
{
    proto_node *level, *c, *last = NULL;

    for (level = tcp; level->parent && !last; level = level->parent) {
        for (c = level->parent->first_child; c && c != level; c = c->next)
            if (is_ip_item(c))
                last = c;
        if (!last && is_ip_item(level->parent))
            last = level->parent;
    }
    return last;
}

/* The addresses in an IP header, as the IP dissectors set pinfo->src/dst
 * before handing the payload to TCP. */
static gboolean
ip_addresses(const field_info *fi, address *src, address *dst)
{
    tvbuff_t *tvb = fi->ds_tvb;
    gint at = fi->start;

    if (fi->hfinfo->id == proto_ip && tvb_bytes_exist(tvb, at + 12, 8)) {
        set_address(src, AT_IPv4, 4, tvb_get_ptr(tvb, at + 12, 4));
        set_address(dst, AT_IPv4, 4, tvb_get_ptr(tvb, at + 16, 4));
        return TRUE;
    }
    if (fi->hfinfo->id == proto_ipv6 && tvb_bytes_exist(tvb, at + 8, 32)) {
        set_address(src, AT_IPv6, 16, tvb_get_ptr(tvb, at + 8, 16));
        set_address(dst, AT_IPv6, 16, tvb_get_ptr(tvb, at + 24, 16));
        return TRUE;
    }
    return FALSE;
}

/* Read the segment without asking Wireshark to build the TCP tree. We want
 * only the `tcp` protocol item, tcp.stream, tcp.len and the ip/ipv6 protocol
 * items (proto_reg_handoff_tcpstate): the TCP dissector keeps its tree per
 * layer (p_add_proto_data, key curr_layer_num), the item says where the
 * header lies, and the header gives ports, seq, ack, flags and window
 * exactly as dissect_tcp read them. tcp.stream and tcp.len exist exactly
 * when the TCP dissector found them (a conversation; a complete header, not
 * in a fragment or an error packet). FALSE: not a segment we annotate. */
static gboolean
read_segment(packet_info *pinfo, proto_tree *tree, tcps_track_segment *in, address *src,
             address *dst)
{
    int layer = segment_layer(pinfo);
    proto_node *tcp, *ip;
    const field_info *fi;
    tvbuff_t *tvb;
    gint at;

    if (!tree || !layer)
        return FALSE;
    tcp = (proto_node *)p_get_proto_data(pinfo->pool, pinfo, proto_tcp, layer);
    if (!tcp || !(fi = PNODE_FINFO(tcp)) || !fi->ds_tvb)
        return FALSE;
    if (!child_uint(tcp, hf_tcp_stream, &in->stream) || !child_uint(tcp, hf_tcp_len, &in->len))
        return FALSE;
    tvb = fi->ds_tvb;
    at = fi->start;
    if (!tvb_bytes_exist(tvb, at, 16) || (tcps_tvb_get_uint8(tvb, at + 12) >> 4) * 4 < 20)
        return FALSE;   /* the TCP dissector gives up before the flags */
    in->sport = tvb_get_ntohs(tvb, at);
    in->dport = tvb_get_ntohs(tvb, at + 2);
    in->seq = tvb_get_ntohl(tvb, at + 4);
    in->ack = tvb_get_ntohl(tvb, at + 8);
    in->flags = tvb_get_ntohs(tvb, at + 12) & TCPS_TH_MASK;
    in->window = tvb_get_ntohs(tvb, at + 14);
    if (!(ip = carrier_ip(tcp)) || !ip_addresses(PNODE_FINFO(ip), src, dst)) {
        copy_address_shallow(src, &pinfo->src);   /* TCP over something else */
        copy_address_shallow(dst, &pinfo->dst);
    }
    in->src.type = src->type;
    in->src.len = (guint)src->len;
    in->src.data = (const guint8 *)src->data;
    in->dst.type = dst->type;
    in->dst.len = (guint)dst->len;
    in->dst.data = (const guint8 *)dst->data;
    return TRUE;
}

/* The fields and protocol items every segment needs, ending in 0. */
static const int *
tcp_wanted_hfids(void)
{
    static int ids[6];

    /* What read_segment() reads: the protocol items locate the headers, so
     * that Wireshark need not build the TCP tree (nor IP's) for us. */
    ids[0] = proto_tcp;
    ids[1] = hf_tcp_stream;
    ids[2] = hf_tcp_len;
    ids[3] = proto_ip;
    ids[4] = proto_ipv6;
    ids[5] = 0;
    return ids;
}

/* Whether Wireshark validates a protocol's checksums (its check_checksum
 * preference; off by default, because of checksum offload). */
static gboolean
validating(const char *proto)
{
    module_t *module = prefs_find_module(proto);
    pref_t *pref = module ? prefs_find_preference(module, "check_checksum") : NULL;

    return pref && prefs_get_bool_value(pref, pref_current);
}

/* Any occurrence of a checksum status field says "bad". */
static gboolean
checksum_bad(proto_tree *tree, int hf)
{
    GPtrArray *found = hf > 0 ? proto_get_finfo_ptr_array(tree, hf) : NULL;
    guint i;

    for (i = 0; found && i < found->len; i++)
        if (fvalue_get_uinteger(TCPS_FI_FVALUE((field_info *)g_ptr_array_index(found, i))) ==
            PROTO_CHECKSUM_E_BAD)
            return TRUE;
    return FALSE;
}

/* The checksum status fields are wanted only while their validation is on,
 * so that by default they cost nothing (docs/zeek.md). Set at every file's
 * start, after the preferences are read. Nothing is wanted while tcpstate
 * is disabled: Wireshark builds the wanted fields' trees even for a
 * disabled post-dissector (TRANSUM does the same; docs/robustness.md). */
static gboolean validating_tcp, validating_ip;

static void
want_checksum_status(void)
{
    GArray *wanted;
    const int *base = tcp_wanted_hfids();
    unsigned i;

    validating_tcp = validating("tcp");
    validating_ip = validating("ip");
    if (proto_tcpstate > 0 && !proto_is_protocol_enabled(find_protocol_by_id(proto_tcpstate))) {
        set_postdissector_wanted_hfids(tcpstate_handle, NULL);
        return;
    }
    wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    for (i = 0; base[i] > 0; i++)
        g_array_append_val(wanted, base[i]);
    if (validating_tcp)
        g_array_append_val(wanted, hf_tcp_checksum_status);
    if (validating_ip)
        g_array_append_val(wanted, hf_ip_checksum_status);
    tcps_upgrade_want(wanted);
    set_postdissector_wanted_hfids(tcpstate_handle, wanted);
}

/* The first frame dissected again (tshark -2's second pass, the GUI's
 * re-dissection) ends the first pass: a post-dissector has no end-of-pass
 * callback. */
static void
finalize_first_pass(void)
{
    tcps_tracker_finish_first_pass(tracker);
    tcps_census_reset();
}

void
tcpstate_finish_first_pass(void)
{
    if (tracker && !tcps_tracker_first_pass_done(tracker))
        finalize_first_pass();
}

struct tcps_store *
tcpstate_store(void)
{
    return tracker ? tcps_tracker_store(tracker) : NULL;
}

guint
tcpstate_msl_seconds(void)
{
    return tcps_prefs.msl_seconds;
}

/* The epan layer's view of its one tracker (packet-tcpstate.h). */
gint64
tcps_frame_time_ns(const packet_info *pinfo)
{
    return tcps_tracker_time_ns(tracker, (gint64)pinfo->abs_ts.secs, pinfo->abs_ts.nsecs);
}

guint32
tcps_conninfo_count(void)
{
    return tracker ? tcps_tracker_conn_count(tracker) : 0;
}

struct tcps_tracker *
tcpstate_tracker(void)
{
    return tracker;
}

const tcps_conn_info *
tcps_conninfo_view_at(guint32 idx)
{
    return tracker ? tcps_tracker_conn_view(tracker, idx) : NULL;
}

const tcps_conn_info *
tcps_conninfo_view(const tcps_frame *fr)
{
    return tcps_tracker_conn_view(tracker, fr->conn);
}

char *
tcps_endpoint_str(const address *addr, guint32 port)
{
    char *a = address_to_str(NULL, addr);
    char *s = g_strdup_printf(addr->type == AT_IPv6 ? "[%s]:%u" : "%s:%u", a, port);

    wmem_free(NULL, a);
    return s;
}

/* First pass: read the segment and hand it to the tracker. NULL: not a
 * segment we can annotate (no TCP, a quoted header, or fields missing from
 * a header cut short). */
static tcps_frame *
analyze_frame(packet_info *pinfo, proto_tree *tree)
{
    tcps_track_segment seg;
    address src, dst;

    if (!read_segment(pinfo, tree, &seg, &src, &dst))
        return NULL;
    seg.frame = pinfo->num;
    seg.secs = (gint64)pinfo->abs_ts.secs;
    seg.nsecs = pinfo->abs_ts.nsecs;
    /* Checksums: FALSE unless validation is on (their fields are wanted
     * only then; without it no status is ever bad, so we do not look). */
    seg.ip_bad_checksum = validating_ip && checksum_bad(tree, hf_ip_checksum_status);
    seg.tcp_bad_checksum = validating_tcp && checksum_bad(tree, hf_tcp_checksum_status);
    seg.truncated = pinfo->fd->cap_len < pinfo->fd->pkt_len;
    return tcps_tracker_segment(tracker, &seg);
}

/* First pass: the frame's record, computed unless this very frame was
 * analysed already. */
static tcps_frame *
first_pass_frame(packet_info *pinfo, proto_tree *tree)
{
    tcps_frame *fr;

    if (tcps_tracker_begin_frame(tracker, pinfo->num, pinfo->fd->file_off))
        return tcps_tracker_get(tracker, pinfo->num);
    fr = analyze_frame(pinfo, tree);
    if (fr)
        tcps_upgrade_frame(tree, pinfo, fr->conn);
    /* Records changed: a census counted before must count again. */
    tcps_census_reset();
    if (fr)
        tcps_census_note(fr, pinfo->num, tcps_frame_time_ns(pinfo));
    return fr;
}

/* The labels of the value-string fields' items, "Phase: DATA_TRANSFER", for
 * each of our fields and each value its table names, formatted once
 * (item_labels_init). A visible tree (the GUI, -V, and -T fields, which
 * tshark gives one) labels every item as it is added: with the field's name
 * and then the value formatted on each call, that was 1,400 instructions an
 * item beyond adding it, ten items a frame; one copy of a ready label is
 * about half. [slot][value], slot = hf - item_label_hf0. */
#define ITEM_LABEL_FIELDS 64
#define ITEM_LABEL_VALUES 16
static char *item_labels[ITEM_LABEL_FIELDS][ITEM_LABEL_VALUES];
static int item_label_hf[ITEM_LABEL_FIELDS];   /* whose labels a slot holds */
static int item_label_hf0 = -1;
/* The end states' items, "Client state: FIN_WAIT_1 (was ESTABLISHED)":
 * [0 client, 1 server][before][after]. */
static char *state_labels[2][TCPS_NUM_STATES][TCPS_NUM_STATES];

/* Whether a field's strings are a plain value_string a label can name
 * (not a frame number's, nor a range, extended, 64-bit, unit or custom
 * table). */
static gboolean
plain_value_string(const header_field_info *hfi)
{
    return hfi->strings && hfi->type != FT_FRAMENUM &&
           !(hfi->display & (BASE_RANGE_STRING | BASE_EXT_STRING | BASE_VAL64_STRING |
                             BASE_UNIT_STRING | BASE_CUSTOM));
}

static void
item_labels_init(const hf_register_info *hf, unsigned n)
{
    wmem_allocator_t *scope = wmem_epan_scope();
    unsigned i, v, a, b;

    item_label_hf0 = *hf[0].p_id;
    for (i = 0; i < n; i++) {
        const header_field_info *hfi = &hf[i].hfinfo;
        unsigned slot = (unsigned)(*hf[i].p_id - item_label_hf0);

        if (slot >= ITEM_LABEL_FIELDS || hfi->type == FT_BOOLEAN || !plain_value_string(hfi))
            continue;
        item_label_hf[slot] = *hf[i].p_id;
        for (v = 0; v < ITEM_LABEL_VALUES; v++) {
            const char *name = try_val_to_str(v, (const value_string *)hfi->strings);
            if (name)
                item_labels[slot][v] = wmem_strdup_printf(scope, "%s: %s", hfi->name, name);
        }
    }
    for (i = 0; i < 2; i++) {
        const char *field = proto_registrar_get_name(i ? hf_tcpstate_server : hf_tcpstate_client);

        for (a = 0; a < TCPS_NUM_STATES; a++)
            for (b = 0; b < TCPS_NUM_STATES; b++)
                state_labels[i][a][b] = a == b ?
                    wmem_strdup_printf(scope, "%s: %s", field, tcps_state_name((tcps_state)b)) :
                    wmem_strdup_printf(scope, "%s: %s (was %s)", field,
                                       tcps_state_name((tcps_state)b),
                                       tcps_state_name((tcps_state)a));
    }
}

/* A value-string field shows its name alone ("TIME_WAIT", not Wireshark's
 * "TIME_WAIT (8)"): the value stays the number, so filters still take the
 * names (tcpstate.client == TIME_WAIT) and columns with :R resolve them. */
static proto_item *
add_generated_uint(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 value)
{
    unsigned slot = (unsigned)(hf - item_label_hf0);
    header_field_info *hfi;
    proto_item *it;

    if (slot < ITEM_LABEL_FIELDS && item_label_hf[slot] == hf && value < ITEM_LABEL_VALUES &&
        item_labels[slot][value])
        it = proto_tree_add_uint_format(tree, hf, tvb, 0, 0, value, "%s",
                                        item_labels[slot][value]);
    else if (plain_value_string(hfi = proto_registrar_get_nth(hf)))
        it = proto_tree_add_uint_format_value(tree, hf, tvb, 0, 0, value, "%s",
                                              val_to_str_const(value,
                                                               (const value_string *)hfi->strings,
                                                               "Unknown"));
    else
        it = proto_tree_add_uint(tree, hf, tvb, 0, 0, value);
    proto_item_set_generated(it);
    return it;
}

/* Filterable, but not shown: the fact is shown elsewhere in the subtree
 * (docs/semantics.md keeps these fields; one place for each in the pane). */
static void
add_hidden_uint(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 value)
{
    proto_item_set_hidden(add_generated_uint(tree, hf, tvb, value));
}

/* An end's state, with the one it left on this segment: "FIN_WAIT_1 (was
 * ESTABLISHED)". */
static void
add_state_item(proto_tree *tree, int hf, tvbuff_t *tvb, guint8 prev, guint8 now)
{
    proto_item *it;

    if (prev < TCPS_NUM_STATES && now < TCPS_NUM_STATES)
        it = proto_tree_add_uint_format(tree, hf, tvb, 0, 0, now, "%s",
                                        state_labels[hf == hf_tcpstate_server][prev][now]);
    else if (prev == now)
        it = proto_tree_add_uint_format_value(tree, hf, tvb, 0, 0, now, "%s",
                                              tcps_state_name((tcps_state)now));
    else
        it = proto_tree_add_uint_format_value(tree, hf, tvb, 0, 0, now, "%s (was %s)",
                                              tcps_state_name((tcps_state)now),
                                              tcps_state_name((tcps_state)prev));
    proto_item_set_generated(it);
}

static proto_item *
add_generated_bool(proto_tree *tree, int hf, tvbuff_t *tvb, gboolean value)
{
    proto_item *it = proto_tree_add_boolean(tree, hf, tvb, 0, 0, value);
    proto_item_set_generated(it);
    return it;
}

static proto_item *
add_generated_string(proto_tree *tree, int hf, tvbuff_t *tvb, const char *value)
{
    proto_item *it = proto_tree_add_string(tree, hf, tvb, 0, 0, value);
    proto_item_set_generated(it);
    return it;
}

static proto_item *
add_generated_time(proto_tree *tree, int hf, tvbuff_t *tvb, gint64 ns)
{
    nstime_t t;
    proto_item *it;

    t.secs = (time_t)(ns / 1000000000);
    t.nsecs = (int)(ns % 1000000000);
    it = proto_tree_add_time(tree, hf, tvb, 0, 0, &t);
    proto_item_set_generated(it);
    return it;
}

static const char *
endpoint_name(int e)
{
    return e == 0 ? "client" : "server";
}

/* The same, as an expert summary starts: "Client: CLOSED -> SYN_SENT". */
static const char *
endpoint_label(int e)
{
    return e == 0 ? "Client" : "Server";
}

/* The detail behind a short expert summary, shown in the tree as
 * tcpstate.explanation: Expert Info and the status bar cut long texts. */
static void
add_explanation(proto_tree *st, tvbuff_t *tvb, const char *text)
{
    if (st)
        add_generated_string(st, hf_tcpstate_explanation, tvb, text);
}

/* The states, steps and per-segment flags. Tree only. */
static proto_tree *
add_state_items(tvbuff_t *tvb, proto_tree *tree, guint32 num, const tcps_frame *fr,
                const tcps_result *r, const char *summary, proto_item **ti)
{
    int sender = r->from_client ? 0 : 1;
    proto_tree *st;
    guint32 link;
    unsigned step;

    /* Added, then the summary appended: 1,500 instructions. Formatting the
     * whole label in proto_tree_add_protocol_format costs 2,800. */
    *ti = proto_tree_add_item(tree, proto_tcpstate, tvb, 0, 0, ENC_NA);
    proto_item_append_text(*ti, ": %s", summary);
    proto_item_set_generated(*ti);
    st = proto_item_add_subtree(*ti, ett_tcpstate);

    /* One visible item per fact: each end's state with the one it left.
     * The summary (the subtree's own line), the states before, the
     * sender's and receiver's, and the live view where it equals the
     * hindsight one stay filterable, hidden. */
    proto_item_set_hidden(add_generated_string(st, hf_tcpstate_summary, tvb, summary));
    add_state_item(st, hf_tcpstate_client, tvb, r->prev[0], r->state[0]);
    add_state_item(st, hf_tcpstate_server, tvb, r->prev[1], r->state[1]);
    add_hidden_uint(st, hf_tcpstate_client_prev, tvb, r->prev[0]);
    add_hidden_uint(st, hf_tcpstate_server_prev, tvb, r->prev[1]);
    add_hidden_uint(st, hf_tcpstate_sender, tvb, r->state[sender]);
    add_hidden_uint(st, hf_tcpstate_receiver, tvb, r->state[!sender]);
    /* The live view, as the first pass computed it; a revision rewrites
     * only the hindsight values above (docs/semantics.md). */
    if (fr->revised) {
        add_generated_bool(st, hf_tcpstate_revised, tvb, TRUE);
        add_generated_uint(st, hf_tcpstate_live_client, tvb, tcps_frame_live(fr, 0));
        add_generated_uint(st, hf_tcpstate_live_server, tvb, tcps_frame_live(fr, 1));
    } else {
        add_hidden_uint(st, hf_tcpstate_live_client, tvb, tcps_frame_live(fr, 0));
        add_hidden_uint(st, hf_tcpstate_live_server, tvb, tcps_frame_live(fr, 1));
    }
    add_generated_bool(st, hf_tcpstate_from_client, tvb, r->from_client);
    add_generated_uint(st, hf_tcpstate_phase, tvb, r->phase);
    if (r->handshake_step)
        add_generated_uint(st, hf_tcpstate_handshake_step, tvb, r->handshake_step);
    /* A segment can be two teardown steps at once (a FIN riding on the ACK
     * of the first FIN is steps 2 and 3): the field then occurs twice. */
    for (step = 1; step <= 4; step++)
        if (r->teardown_steps & (1u << (step - 1)))
            add_generated_uint(st, hf_tcpstate_teardown_step, tvb, step);
    /* Flags appear only when true, as Wireshark's analysis flags do, so
     * that a bare `tcpstate.changed` in a filter selects what it says. */
    if (r->prev[0] != r->state[0] || r->prev[1] != r->state[1])
        add_generated_bool(st, hf_tcpstate_changed, tvb, TRUE);
    if (r->midstream)
        add_generated_bool(st, hf_tcpstate_midstream, tvb, TRUE);

    if (r->events & TCPS_EV_LOSS_REVEALED) {
        link = tcps_tracker_reveals_lost(tracker, num);
        if (link)
            add_generated_uint(st, hf_tcpstate_reveals_lost, tvb, link);
    }
    /* Known only once later frames are read (tshark -2, the GUI). */
    if (tcps_record_lost(&fr->core)) {
        link = tcps_tracker_lost_shown_by(tracker, num);
        add_generated_bool(st, hf_tcpstate_lost, tvb, TRUE);
        if (link)
            add_generated_uint(st, hf_tcpstate_lost_shown_by, tvb, link);
    }
    return st;
}

/* The text of each "entered a state" expert, "Client: CLOSED -> SYN_SENT"
 * for [endpoint][before][after], formatted once (enter_texts_init): every
 * segment that changes a state raises one, and formatting three strings
 * into it per call was most of a SYN flood's expert cost (the expert is
 * then raised with "%s", the same text). */
#define ENTER_TEXT_LEN 48
static char enter_texts[2][TCPS_NUM_STATES][TCPS_NUM_STATES][ENTER_TEXT_LEN];

static void
enter_texts_init(void)
{
    unsigned i, a, b;

    for (i = 0; i < 2; i++)
        for (a = 0; a < TCPS_NUM_STATES; a++)
            for (b = 0; b < TCPS_NUM_STATES; b++)
                snprintf(enter_texts[i][a][b], ENTER_TEXT_LEN, "%s: %s -> %s",
                         endpoint_label((int)i), tcps_state_name((tcps_state)a),
                         tcps_state_name((tcps_state)b));
}

/* The per-segment experts. Built whether or not there is a tree: Expert
 * Info and `-z expert` dissect without one. ti and st are NULL then. */
static void
add_state_experts(tvbuff_t *tvb, packet_info *pinfo, proto_item *ti, proto_tree *st,
                  const tcps_frame *fr, const tcps_result *r)
{
    int sender = r->from_client ? 0 : 1;
    guint32 link;
    unsigned i;

    for (i = 0; i < 2; i++)
        if (r->prev[i] != r->state[i] && r->state[i] < TCPS_NUM_STATES) {
            if (r->prev[i] < TCPS_NUM_STATES)
                expert_add_info_format(pinfo, ti, &ei_tcpstate_enter[i][r->state[i]], "%s",
                                       enter_texts[i][r->prev[i]][r->state[i]]);
            else
                expert_add_info_format(pinfo, ti, &ei_tcpstate_enter[i][r->state[i]],
                                       "%s: %s -> %s", endpoint_label((int)i),
                                       tcps_state_name((tcps_state)r->prev[i]),
                                       tcps_state_name((tcps_state)r->state[i]));
        }
    for (i = 0; i < G_N_ELEMENTS(event_experts); i++)
        if (r->events & event_experts[i].event) {
            expert_add_info(pinfo, ti, event_experts[i].ei);
            add_explanation(st, tvb, event_experts[i].explanation);
        }

    if (r->events & TCPS_EV_LOSS_REVEALED) {
        link = tcps_tracker_reveals_lost(tracker, pinfo->num);
        expert_add_info_format(pinfo, ti, &ei_tcpstate_loss_revealed,
                               "Frame %u never reached its receiver", link);
        add_explanation(st, tvb, "This segment repeats or answers as if an earlier segment "
                        "had never arrived: that one was lost on the way");
    }
    if (tcps_record_lost(&fr->core)) {
        link = tcps_tracker_lost_shown_by(tracker, pinfo->num);
        expert_add_info_format(pinfo, ti, &ei_tcpstate_lost,
                               "Lost: never reached the %s (frame %u shows it)",
                               endpoint_name(!sender), link);
        add_explanation(st, tvb, "The states on this segment are what they would have been "
                        "had it arrived; the later segment shows the receiver never changed");
    }
}

/* The stay a lingering flag on this frame is about: the endpoint's current
 * state, or the one it left on this very frame. */
static const tcps_since *
lingering_stay(const tcps_conn_info *conn, const tcps_frame *fr, int e, guint32 num)
{
    const tcps_since_log *log = &conn->since[e];
    guint32 idx = fr->since[e];

    if (idx >= log->n)
        return NULL;
    if (tcps_linger_limit_ns(&tcps_prefs, log->v[idx].state))
        return &log->v[idx];
    if (idx > 0 && log->v[idx].frame == num)
        return &log->v[idx - 1];
    return NULL;
}

/* When endpoint e entered the state this frame shows for it, as the stored
 * records show it (hindsight, once later frames revised earlier ones): the
 * frame where that state began, walking back over the connection's frames
 * that hindsight rewrote; before and outside them the since log is right. */
static gboolean state_since_walk(packet_info *pinfo, const tcps_conn_info *conn,
                                 const tcps_frame *fr, int e, guint slot, guint32 *frame,
                                 gint64 *t_ns);

/* The last answers of state_since(), so that dissecting a connection's
 * frames in order walks back one frame each, not the whole stay. */
#define SINCE_MEMO 64
static struct {
    guint32 conn, num, since;
    gint64  ns;
    gint    e;
} since_memo[SINCE_MEMO];

static gboolean
state_since(packet_info *pinfo, const tcps_conn_info *conn, const tcps_frame *fr, int e,
            guint32 *frame, gint64 *t_ns)
{
    guint slot = (fr->conn * 2u + (guint)e) % SINCE_MEMO;
    gboolean found = state_since_walk(pinfo, conn, fr, e, slot, frame, t_ns);

    if (found) {
        since_memo[slot].conn = fr->conn;
        since_memo[slot].e = e;
        since_memo[slot].num = pinfo->num;
        since_memo[slot].since = *frame;
        since_memo[slot].ns = *t_ns;
    }
    return found;
}

static gboolean
state_since_walk(packet_info *pinfo, const tcps_conn_info *conn, const tcps_frame *fr, int e,
                 guint slot, guint32 *frame, gint64 *t_ns)
{
    const tcps_since *live = tcps_conninfo_since(conn, fr, e);
    const tcps_frame *r = fr;
    guint32 f = pinfo->num, g;
    unsigned cur = tcps_record_state(&fr->core, e);
    /* the connection's first frame: its since log starts there */
    guint32 first = conn->since[e].n ? conn->since[e].v[0].frame : 1;

    if (!live)
        return FALSE;   /* the log is full (pathological flapping): no since */
    if (!conn->rev_lo || pinfo->num < conn->rev_lo || live->frame > conn->rev_hi) {
        *frame = live->frame;
        *t_ns = live->time_ns;
        return TRUE;
    }
    for (;;) {
        const tcps_frame *p = NULL;

        if (tcps_record_prev(&r->core, e) != cur)
            break;                      /* entered on f */
        for (g = f; g > first; ) {
            p = tcps_tracker_get(tracker, --g);
            if (p && p->conn == fr->conn)
                break;
            p = NULL;
        }
        /* a SYN found to open this connection is stored with the previous
         * one (TCPS_REV_NEW_CONN): it is the frame before the first */
        if (!p && f == first && conn->previous && first > 1 && PINFO_FD_VISITED(pinfo)) {
            for (g = first; g > 1; ) {
                p = tcps_tracker_get(tracker, --g);
                if (p && (p->conn == fr->conn || p->conn == conn->previous->table_index))
                    break;
                p = NULL;
            }
            if (p && (p->conn != conn->previous->table_index || !p->revised))
                p = NULL;
            if (p && tcps_record_state(&p->core, e) == cur) {
                f = g;          /* the connection began there */
                break;
            }
        }
        if (!p || tcps_record_state(&p->core, e) != cur)
            break;                      /* entered before f: a timer, a crossing */
        if (since_memo[slot].num == g && since_memo[slot].conn == fr->conn &&
            since_memo[slot].e == e && PINFO_FD_VISITED(pinfo)) {
            *frame = since_memo[slot].since;    /* the same stay, answered for g */
            *t_ns = since_memo[slot].ns;
            return TRUE;
        }
        if (!PINFO_FD_VISITED(pinfo) && p->revised)
            break;      /* one pass: it was shown before the revision, otherwise */
        if (g < conn->rev_lo) {         /* not rewritten: the log is right there */
            live = tcps_conninfo_since(conn, p, e);
            if (live && live->state == cur) {
                *frame = live->frame;
                *t_ns = live->time_ns;
                return TRUE;
            }
            break;
        }
        f = g;
        r = p;
    }
    *frame = f;
    if (f == pinfo->num) {
        *t_ns = tcps_frame_time_ns(pinfo);
        return TRUE;
    }
    /* f's time: a plugin cannot ask epan for another frame's time stamp
     * (epan_get_frame_ts is not exported by 4.0). Hindsight puts a state's
     * start on a frame that revised (conn->times), or on one where some
     * end's state changed as the frames were analysed (the since logs) */
    *t_ns = tcps_conninfo_time_of(conn, f);
    if (*t_ns == TCPS_TIME_NONE && conn->previous)
        *t_ns = tcps_conninfo_time_of(conn->previous, f);
    for (g = 0; g < 2 && *t_ns == TCPS_TIME_NONE; g++) {
        const tcps_since_log *log = &conn->since[g];
        guint32 i;
        for (i = log->n; i-- > 0; ) {
            if (log->v[i].frame == f) {
                *t_ns = log->v[i].time_ns;
                break;
            }
        }
    }
    if (*t_ns != TCPS_TIME_NONE)
        return TRUE;
    live = tcps_conninfo_since(conn, fr, e);
    if (!live)
        return FALSE;
    *frame = live->frame;
    *t_ns = live->time_ns;
    return TRUE;
}

/* The connection as known at this segment. Tree only. */
static void
add_connection_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *st, const tcps_frame *fr)
{
    const tcps_conn_info *conn = tcps_conninfo_view(fr);
    gint64 now = tcps_frame_time_ns(pinfo);
    char history[TCPS_ZEEK_HISTORY_BUF];
    proto_item *ci;
    proto_tree *ct;
    int e;

    ct = proto_tree_add_subtree(st, tvb, 0, 0, ett_tcpstate_conn, &ci, "Connection");
    proto_item_set_generated(ci);

    add_generated_string(ct, hf_tcpstate_conn_state, tvb,
                         tcps_zeek_state_name((tcps_zeek_state)fr->zeek_state));
    /* The history as it was at this frame: its first hist_len letters, cut
     * in place (the item copies the string). */
    tcps_zeek_history(&conn->zeek, history);
    if (fr->hist_len < tcps_zeek_history_len(&conn->zeek))
        history[fr->hist_len] = '\0';
    add_generated_string(ct, hf_tcpstate_history, tvb, history);
    if (fr->analysis & TCPS_AN_CLOSER_KNOWN) {
        add_generated_uint(ct, hf_tcpstate_closer, tvb, conn->closer);
        add_generated_uint(ct, hf_tcpstate_closer_frame, tvb, conn->closer_frame);
    }
    if (fr->analysis & TCPS_AN_HS_KNOWN) {
        add_generated_time(ct, hf_tcpstate_hs_rtt, tvb, conn->hs_server_ns + conn->hs_client_ns);
        add_generated_time(ct, hf_tcpstate_hs_rtt_server, tvb, conn->hs_server_ns);
        add_generated_time(ct, hf_tcpstate_hs_rtt_client, tvb, conn->hs_client_ns);
    }
    for (e = 0; e < 2; e++) {
        guint32 since;
        gint64 since_ns;
        if (!state_since(pinfo, conn, fr, e, &since, &since_ns))
            continue;
        add_generated_uint(ct, e ? hf_tcpstate_server_since : hf_tcpstate_client_since, tvb,
                           since);
        add_generated_time(ct, e ? hf_tcpstate_server_time : hf_tcpstate_client_time, tvb,
                           now - since_ns);
    }
    add_generated_time(ct, hf_tcpstate_duration, tvb, now - conn->start_ns);
    if (fr->analysis & TCPS_AN_HALF_OPEN_COUNTED)
        add_generated_uint(ct, hf_tcpstate_half_open, tvb, conn->half_open_at_syn);
    tcps_upgrade_items(ct, tvb, pinfo, conn);
}

/* The flood expert's explanation, formatted when the preferences it names
 * apply (tcpstate_prefs_apply), not on each of a flood's SYNs. */
static char flood_text[192];

static void
flood_text_init(void)
{
    snprintf(flood_text, sizeof flood_text,
             "More than %u handshakes to this server endpoint began within %u s "
             "and are not complete (preference tcpstate.syn_flood_count)",
             tcps_prefs.flood_count, tcps_prefs.flood_seconds);
}

/* The connection-level experts as of this segment, tree or not. */
static void
add_connection_experts(tvbuff_t *tvb, packet_info *pinfo, proto_item *ti, proto_tree *st,
                       const tcps_frame *fr)
{
    const tcps_conn_info *conn;
    gint64 now = tcps_frame_time_ns(pinfo);
    int e;

    tcps_upgrade_experts(pinfo, ti, fr->conn);
    if (fr->analysis & TCPS_AN_SYN_FLOOD) {
        /* A flood's every SYN comes here: its count without expanding a
         * compact connection. */
        expert_add_info_format(pinfo, ti, &ei_tcpstate_syn_flood,
                               "SYN flood? %u half-open to this server in %u s",
                               tcps_tracker_half_open_at_syn(tracker, fr->conn),
                               tcps_prefs.flood_seconds);
        add_explanation(st, tvb, flood_text);
    }
    if (fr->analysis & TCPS_AN_REUSE_IN_TW)
        expert_add_info(pinfo, ti, &ei_tcpstate_reuse_in_time_wait);
    if (fr->analysis & TCPS_AN_REUSE_AFTER_TW)
        expert_add_info(pinfo, ti, &ei_tcpstate_reuse_after_time_wait);
    if (!(fr->analysis & (TCPS_AN_CLOSE_WAIT_LONG | TCPS_AN_FIN_WAIT_2_LONG)))
        return;
    conn = tcps_conninfo_view(fr);
    for (e = 0; e < 2; e++) {
        const tcps_since *stay = lingering_stay(conn, fr, e, pinfo->num);
        if (!stay)
            continue;
        if ((fr->analysis & TCPS_AN_CLOSE_WAIT_LONG) && stay->state == TCPS_CLOSE_WAIT) {
            expert_add_info_format(pinfo, ti, &ei_tcpstate_close_wait_lingering,
                                   "%s in CLOSE_WAIT for %.1f s (since frame %u)",
                                   endpoint_label(e), (now - stay->time_ns) / 1e9,
                                   stay->frame);
            add_explanation(st, tvb, "The peer has closed, but this end's application has "
                            "not called close(): its socket stays in CLOSE_WAIT");
        }
        if ((fr->analysis & TCPS_AN_FIN_WAIT_2_LONG) && stay->state == TCPS_FIN_WAIT_2) {
            expert_add_info_format(pinfo, ti, &ei_tcpstate_fin_wait_2_lingering,
                                   "%s in FIN_WAIT_2 for %.1f s (since frame %u)",
                                   endpoint_label(e), (now - stay->time_ns) / 1e9,
                                   stay->frame);
            add_explanation(st, tvb, "This end has closed and its FIN was acknowledged, "
                            "but the peer has not sent its own FIN");
        }
    }
}

/* Final values: only once the whole capture has been read, i.e. when the
 * frame is dissected again (tshark -2, the GUI). Tree only. */
static void
add_final_items(tvbuff_t *tvb, proto_tree *st, const tcps_frame *fr)
{
    const tcps_conn_info *conn = tcps_conninfo_view(fr);
    char history[TCPS_ZEEK_HISTORY_BUF];
    proto_item *fi;
    proto_tree *ft;

    ft = proto_tree_add_subtree(st, tvb, 0, 0, ett_tcpstate_final, &fi, "Final (end of capture)");
    proto_item_set_generated(fi);
    add_generated_string(ft, hf_tcpstate_final_conn_state, tvb,
                         tcps_zeek_state_name(tcps_zeek_conn_state(&conn->zeek)));
    add_generated_string(ft, hf_tcpstate_final_history, tvb,
                         tcps_zeek_history(&conn->zeek, history));
    add_generated_uint(ft, hf_tcpstate_final_client, tvb, conn->final_state[0]);
    add_generated_uint(ft, hf_tcpstate_final_server, tvb, conn->final_state[1]);
}

/* Where a stay began that turned out too long or never ended well: known
 * once the whole capture has been read. Tree or not. */
static void
add_final_experts(tvbuff_t *tvb, packet_info *pinfo, proto_item *ti, proto_tree *st,
                  const tcps_frame *fr)
{
    const tcps_conn_info *conn = tcps_conninfo_view(fr);
    int e;

    for (e = 0; e < 2; e++) {
        const tcps_since_log *log = &conn->since[e];
        guint32 idx = fr->since[e];
        const tcps_since *since;
        const char *until;
        gint64 stay, limit;

        if (idx >= log->n)
            continue;
        since = &log->v[idx];
        if (since->frame != pinfo->num)
            continue;
        stay = tcps_conninfo_state_duration_ns(conn, e, idx, tcps_tracker_capture_end_ns(tracker));
        until = idx + 1 == log->n ? " to the end" : "";
        limit = tcps_linger_limit_ns(&tcps_prefs, since->state);
        if (limit && stay >= limit && since->state == TCPS_CLOSE_WAIT) {
            expert_add_info_format(pinfo, ti, &ei_tcpstate_close_wait_lingering,
                                   "%s stays in CLOSE_WAIT %.1f s from here%s",
                                   endpoint_label(e), stay / 1e9, until);
            add_explanation(st, tvb, "The peer has closed, but this end's application does "
                            "not call close() for a long time");
        }
        if (limit && stay >= limit && since->state == TCPS_FIN_WAIT_2) {
            expert_add_info_format(pinfo, ti, &ei_tcpstate_fin_wait_2_lingering,
                                   "%s stays in FIN_WAIT_2 %.1f s from here%s",
                                   endpoint_label(e), stay / 1e9, until);
            add_explanation(st, tvb, "This end has closed; its peer does not send its own "
                            "FIN for a long time");
        }
        /* RFC 9293 §3.5: a server that answered and never got the ACK. */
        if (e == 1 && since->state == TCPS_SYN_RCVD && idx + 1 == log->n && !conn->reset) {
            gint64 gave_up = tcps_conninfo_gave_up_ns(conn);
            if (gave_up != TCPS_TIME_NONE) {
                expert_add_info_format(pinfo, ti, &ei_tcpstate_half_open,
                                       "Half-open: server in SYN_RCVD %.1f s, then gave up",
                                       (gave_up - since->time_ns) / 1e9);
                add_explanation(st, tvb, "The server answered the SYN and never saw the ACK "
                                "that completes the handshake; its next SYN/ACK "
                                "retransmission never came, so it dropped the handshake "
                                "(Linux: tcp_synack_retries)");
            } else {
                expert_add_info_format(pinfo, ti, &ei_tcpstate_half_open,
                                       "Half-open: server in SYN_RCVD to the end (%.1f s)",
                                       stay / 1e9);
                add_explanation(st, tvb, "The server answered the SYN and never saw the ACK "
                                "that completes the handshake");
            }
        }
    }
}

/* The TCP flags as TCP wrote them in Info ("40000 → 8080 [FIN, ACK] Seq=…"),
 * without spaces: "FIN,ACK". The record keeps no flags (20 bytes a frame),
 * and the second pass reads no header; TCP has just written them. "" when
 * Info holds no such bracket (a protocol above TCP rewrote it). */
static const char *
info_flags(packet_info *pinfo)
{
    const char *info = col_get_text(pinfo->cinfo, COL_INFO);
    const char *arrow, *lb, *rb, *c;
    char *flags, *out;

    if (!info || !(arrow = strstr(info, " " UTF8_RIGHTWARDS_ARROW " ")))
        return "";
    lb = strstr(arrow + 1 + strlen(UTF8_RIGHTWARDS_ARROW), " [");
    if (!lb || !(rb = strchr(lb, ']')))
        return "";
    /* Only the destination port between the arrow and the bracket. */
    for (c = arrow + 1 + strlen(UTF8_RIGHTWARDS_ARROW) + 1; c < lb; c++)
        if (*c == ' ')
            return "";
    flags = out = wmem_strndup(pinfo->pool, lb + 2, (size_t)(rb - lb - 2));
    for (c = flags; *c; c++)
        if (*c != ' ')
            *out++ = *c;
    *out = '\0';
    return flags;
}

static int
dissect_tcpstate(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    tcps_frame *fr;
    tcps_result r;
    proto_tree *st = NULL;
    proto_item *ti = NULL;
    char summary[64];
    gboolean build;

    if (PINFO_FD_VISITED(pinfo)) {
        if (!tcps_tracker_first_pass_done(tracker))
            finalize_first_pass();
        fr = tcps_tracker_get(tracker, pinfo->num);
    } else
        fr = first_pass_frame(pinfo, tree);
    if (!fr)
        return 0;

    tcps_record_unpack(&fr->core, &r);
    /* The tree tshark builds because we want TCP fields is no reason to
     * build ours: only when it is shown, or a field of ours is wanted (a
     * filter, -e, a column). Experts and taps need no tree. */
    build = tree && proto_field_is_referenced(tree, proto_tcpstate);
    if (build || pref_info_column == TCPS_INFO_FULL || pref_info_column == TCPS_INFO_LAST)
        tcps_result_summary(&r, summary, sizeof summary);
    /* Before the TCP summary by default, so that the Flow Graph's arrow
     * labels and comments, which cut the Info text short, keep the states. */
    if (pref_info_column == TCPS_INFO_FIRST) {
        const char *flags = info_flags(pinfo);

        col_prepend_fstr(pinfo->cinfo, COL_INFO, "[%s%sC:%s%s S:%s%s] ", flags, *flags ? " " : "",
                         r.prev[0] != r.state[0] ? ">" : "", tcps_state_name((tcps_state)r.state[0]),
                         r.prev[1] != r.state[1] ? ">" : "", tcps_state_name((tcps_state)r.state[1]));
    } else if (pref_info_column == TCPS_INFO_FULL)
        col_prepend_fstr(pinfo->cinfo, COL_INFO, "[%s] ", summary);
    else if (pref_info_column == TCPS_INFO_LAST)
        col_append_fstr(pinfo->cinfo, COL_INFO, " [%s]", summary);
    if (build) {
        st = add_state_items(tvb, tree, pinfo->num, fr, &r, summary, &ti);
        add_connection_items(tvb, pinfo, st, fr);
        if (PINFO_FD_VISITED(pinfo))
            add_final_items(tvb, st, fr);
        tcps_connlist_items(st, tvb, fr);
        if (PINFO_FD_VISITED(pinfo))
            tcps_census_items(st, tvb, pinfo, fr);
    }
    add_state_experts(tvb, pinfo, ti, st, fr, &r);
    add_connection_experts(tvb, pinfo, ti, st, fr);
    if (PINFO_FD_VISITED(pinfo))
        add_final_experts(tvb, pinfo, ti, st, fr);
    tap_queue_packet(tcpstate_tap, pinfo, fr);
    return tvb_captured_length(tvb);
}

/* Called whenever preferences change (GUI, -o, the preferences file). */
static void
tcpstate_prefs_apply(void)
{
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(uint_prefs); i++) {
        const tcps_uint_pref *p = &uint_prefs[i];
        guint v = CLAMP(*p->var, p->min, p->max);

        if (v != *p->var) {
            ws_warning("tcpstate.%s: %u is outside %u to %u; using %u",
                       p->name, *p->var, p->min, p->max, v);
            *p->var = v;
        }
    }
    flood_text_init();
    if (tracker)
        tcps_tracker_set_prefs(tracker, &tcps_prefs);
}

static void
register_uint_pref(module_t *module, const tcps_uint_pref *p)
{
    prefs_register_uint_preference(module, p->name, p->title, p->description, 10, p->var);
}

static void
tcpstate_init(void)
{
    tcps_tracker_free(tracker);
    tracker = tcps_tracker_new(&tcps_prefs);
    want_checksum_status();
    tcps_census_reset();
    memset(since_memo, 0, sizeof since_memo);
}

/* The file is closed: free what it held. An empty tracker stays, so that
 * a table or dialog drawn afterwards finds no connection rather than none
 * of the tracker at all. */
static void
tcpstate_cleanup(void)
{
    tcps_tracker_free(tracker);
    tracker = tcps_tracker_new(&tcps_prefs);
}

void
proto_register_tcpstate(void)
{
    static hf_register_info hf[] = {
        { &hf_tcpstate_summary,
          { "Summary", "tcpstate.summary", FT_STRING, BASE_NONE, NULL, 0x0,
            "Both endpoints' states, PREV>NEW where one changed", HFILL } },
        { &hf_tcpstate_client,
          { "Client state", "tcpstate.client", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The client's RFC 9293 state right after this segment", HFILL } },
        { &hf_tcpstate_server,
          { "Server state", "tcpstate.server", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The server's RFC 9293 state right after this segment", HFILL } },
        { &hf_tcpstate_client_prev,
          { "Client state before", "tcpstate.client.prev", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The client's state right before this segment", HFILL } },
        { &hf_tcpstate_server_prev,
          { "Server state before", "tcpstate.server.prev", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The server's state right before this segment", HFILL } },
        { &hf_tcpstate_sender,
          { "Sender state", "tcpstate.sender", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The state of this segment's sender right after sending it", HFILL } },
        { &hf_tcpstate_receiver,
          { "Receiver state", "tcpstate.receiver", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The state of this segment's receiver right after processing it", HFILL } },
        { &hf_tcpstate_from_client,
          { "From client", "tcpstate.from_client", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The client sent this segment", HFILL } },
        { &hf_tcpstate_phase,
          { "Phase", "tcpstate.phase", FT_UINT8, BASE_DEC,
            VALS(tcpstate_phase_vals), 0x0,
            "Where the connection as a whole stands", HFILL } },
        { &hf_tcpstate_handshake_step,
          { "Handshake step", "tcpstate.handshake.step", FT_UINT8, BASE_DEC,
            VALS(tcpstate_handshake_step_vals), 0x0,
            "1 SYN, 2 SYN/ACK, 3 the ACK that completes the handshake", HFILL } },
        { &hf_tcpstate_teardown_step,
          { "Teardown step", "tcpstate.teardown.step", FT_UINT8, BASE_DEC,
            VALS(tcpstate_teardown_step_vals), 0x0,
            "1 first FIN, 2 its ACK, 3 second FIN, 4 its ACK", HFILL } },
        { &hf_tcpstate_changed,
          { "State changed", "tcpstate.changed", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Some endpoint's state changed on this segment (present only then)", HFILL } },
        { &hf_tcpstate_live_client,
          { "Client state (live)", "tcpstate.live.client", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The client's state right after this segment as the segments so far show it, "
            "as in a live capture: the same in one pass, with -2 and in the GUI", HFILL } },
        { &hf_tcpstate_live_server,
          { "Server state (live)", "tcpstate.live.server", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The server's state right after this segment as the segments so far show it, "
            "as in a live capture: the same in one pass, with -2 and in the GUI", HFILL } },
        { &hf_tcpstate_revised,
          { "Revised in hindsight", "tcpstate.revised", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "A later segment proves what one pass showed here wrong: the hindsight values "
            "(tcpstate.client, .server, .phase, steps, experts) differ from the live view "
            "(present only then; -2 and the GUI)", HFILL } },
        { &hf_tcpstate_midstream,
          { "Midstream", "tcpstate.midstream", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The states were inferred without seeing the handshake (present only then)", HFILL } },
        { &hf_tcpstate_lost,
          { "Lost", "tcpstate.lost", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "A later segment shows that this one never reached its receiver "
            "(known only once later frames are read: tshark -2, the GUI)", HFILL } },
        { &hf_tcpstate_lost_shown_by,
          { "Loss shown by", "tcpstate.lost.shown_by", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0,
            "The later segment that shows this one was never received", HFILL } },
        { &hf_tcpstate_reveals_lost,
          { "Shows lost segment", "tcpstate.reveals_lost", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0,
            "The earlier segment that this one shows was never received", HFILL } },
        { &hf_tcpstate_conn_state,
          { "Connection state (Zeek)", "tcpstate.conn_state", FT_STRING, BASE_NONE, NULL, 0x0,
            "Zeek's conn_state code as of this segment: S0 S1 SF REJ S2 S3 RSTO RSTR "
            "RSTOS0 RSTRH SH SHR OTH", HFILL } },
        { &hf_tcpstate_history,
          { "History (Zeek)", "tcpstate.history", FT_STRING, BASE_NONE, NULL, 0x0,
            "Zeek's history letters as of this segment; upper case for the client", HFILL } },
        { &hf_tcpstate_closer,
          { "Closed first by", "tcpstate.closer", FT_UINT8, BASE_DEC,
            VALS(tcpstate_closer_vals), 0x0,
            "Which side sent the first FIN or RST its receiver acts on (present once one has been seen)", HFILL } },
        { &hf_tcpstate_closer_frame,
          { "First FIN or RST", "tcpstate.closer.frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0,
            "The segment carrying the connection's first FIN or RST that its receiver acts on", HFILL } },
        { &hf_tcpstate_hs_rtt,
          { "Handshake RTT", "tcpstate.handshake.rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "From the SYN to the ACK that completes the handshake (present once it has)", HFILL } },
        { &hf_tcpstate_hs_rtt_server,
          { "Server half", "tcpstate.handshake.rtt.server", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "From the SYN to the SYN/ACK answering it, at the capture point", HFILL } },
        { &hf_tcpstate_hs_rtt_client,
          { "Client half", "tcpstate.handshake.rtt.client", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "From the SYN/ACK to the ACK that completes the handshake, at the capture point",
            HFILL } },
        { &hf_tcpstate_client_since,
          { "Client state since", "tcpstate.client.since", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0,
            "The segment on which the client entered its current state", HFILL } },
        { &hf_tcpstate_server_since,
          { "Server state since", "tcpstate.server.since", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0,
            "The segment on which the server entered its current state", HFILL } },
        { &hf_tcpstate_client_time,
          { "Client time in state", "tcpstate.client.time_in_state", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0, "How long the client has been in its current state", HFILL } },
        { &hf_tcpstate_server_time,
          { "Server time in state", "tcpstate.server.time_in_state", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0, "How long the server has been in its current state", HFILL } },
        { &hf_tcpstate_duration,
          { "Connection duration", "tcpstate.duration", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time since the connection's first segment", HFILL } },
        { &hf_tcpstate_half_open,
          { "Half-open to this server", "tcpstate.half_open", FT_UINT32, BASE_DEC, NULL, 0x0,
            "On a new SYN: the handshakes to the same server endpoint begun within the SYN "
            "flood window and not completed, this one included", HFILL } },
        { &hf_tcpstate_final_conn_state,
          { "Final connection state (Zeek)", "tcpstate.final.conn_state", FT_STRING, BASE_NONE,
            NULL, 0x0, "Zeek's conn_state at the end of the capture (two passes, GUI)", HFILL } },
        { &hf_tcpstate_final_history,
          { "Final history (Zeek)", "tcpstate.final.history", FT_STRING, BASE_NONE, NULL, 0x0,
            "Zeek's history at the end of the capture (two passes, GUI)", HFILL } },
        { &hf_tcpstate_final_client,
          { "Final client state", "tcpstate.final.client", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The client's state after the connection's last segment (two passes, GUI)", HFILL } },
        { &hf_tcpstate_final_server,
          { "Final server state", "tcpstate.final.server", FT_UINT8, BASE_DEC,
            VALS(tcpstate_state_vals), 0x0,
            "The server's state after the connection's last segment (two passes, GUI)", HFILL } },

        { &hf_tcpstate_explanation,
          { "Explanation", "tcpstate.explanation", FT_STRING, BASE_NONE, NULL, 0x0,
            "The detail behind an expert info on this segment", HFILL } },
    };

    static gint *ett[] = { &ett_tcpstate, &ett_tcpstate_conn, &ett_tcpstate_final };

    /* tcpstate.analysis.transition.<end>.<state>: one per end and state entered. */
    static ei_register_info ei[] = {
        { &ei_tcpstate_enter[0][0],
          { "tcpstate.analysis.transition.client.closed", PI_SEQUENCE, PI_CHAT,
            "Client enters CLOSED", EXPFILL } },
        { &ei_tcpstate_enter[0][1],
          { "tcpstate.analysis.transition.client.listen", PI_SEQUENCE, PI_CHAT,
            "Client enters LISTEN", EXPFILL } },
        { &ei_tcpstate_enter[0][2],
          { "tcpstate.analysis.transition.client.syn_sent", PI_SEQUENCE, PI_CHAT,
            "Client enters SYN_SENT", EXPFILL } },
        { &ei_tcpstate_enter[0][3],
          { "tcpstate.analysis.transition.client.syn_rcvd", PI_SEQUENCE, PI_CHAT,
            "Client enters SYN_RCVD", EXPFILL } },
        { &ei_tcpstate_enter[0][4],
          { "tcpstate.analysis.transition.client.established", PI_SEQUENCE, PI_CHAT,
            "Client enters ESTABLISHED", EXPFILL } },
        { &ei_tcpstate_enter[0][5],
          { "tcpstate.analysis.transition.client.fin_wait_1", PI_SEQUENCE, PI_CHAT,
            "Client enters FIN_WAIT_1", EXPFILL } },
        { &ei_tcpstate_enter[0][6],
          { "tcpstate.analysis.transition.client.fin_wait_2", PI_SEQUENCE, PI_CHAT,
            "Client enters FIN_WAIT_2", EXPFILL } },
        { &ei_tcpstate_enter[0][7],
          { "tcpstate.analysis.transition.client.closing", PI_SEQUENCE, PI_CHAT,
            "Client enters CLOSING", EXPFILL } },
        { &ei_tcpstate_enter[0][8],
          { "tcpstate.analysis.transition.client.time_wait", PI_SEQUENCE, PI_CHAT,
            "Client enters TIME_WAIT", EXPFILL } },
        { &ei_tcpstate_enter[0][9],
          { "tcpstate.analysis.transition.client.close_wait", PI_SEQUENCE, PI_CHAT,
            "Client enters CLOSE_WAIT", EXPFILL } },
        { &ei_tcpstate_enter[0][10],
          { "tcpstate.analysis.transition.client.last_ack", PI_SEQUENCE, PI_CHAT,
            "Client enters LAST_ACK", EXPFILL } },
        { &ei_tcpstate_enter[1][0],
          { "tcpstate.analysis.transition.server.closed", PI_SEQUENCE, PI_CHAT,
            "Server enters CLOSED", EXPFILL } },
        { &ei_tcpstate_enter[1][1],
          { "tcpstate.analysis.transition.server.listen", PI_SEQUENCE, PI_CHAT,
            "Server enters LISTEN", EXPFILL } },
        { &ei_tcpstate_enter[1][2],
          { "tcpstate.analysis.transition.server.syn_sent", PI_SEQUENCE, PI_CHAT,
            "Server enters SYN_SENT", EXPFILL } },
        { &ei_tcpstate_enter[1][3],
          { "tcpstate.analysis.transition.server.syn_rcvd", PI_SEQUENCE, PI_CHAT,
            "Server enters SYN_RCVD", EXPFILL } },
        { &ei_tcpstate_enter[1][4],
          { "tcpstate.analysis.transition.server.established", PI_SEQUENCE, PI_CHAT,
            "Server enters ESTABLISHED", EXPFILL } },
        { &ei_tcpstate_enter[1][5],
          { "tcpstate.analysis.transition.server.fin_wait_1", PI_SEQUENCE, PI_CHAT,
            "Server enters FIN_WAIT_1", EXPFILL } },
        { &ei_tcpstate_enter[1][6],
          { "tcpstate.analysis.transition.server.fin_wait_2", PI_SEQUENCE, PI_CHAT,
            "Server enters FIN_WAIT_2", EXPFILL } },
        { &ei_tcpstate_enter[1][7],
          { "tcpstate.analysis.transition.server.closing", PI_SEQUENCE, PI_CHAT,
            "Server enters CLOSING", EXPFILL } },
        { &ei_tcpstate_enter[1][8],
          { "tcpstate.analysis.transition.server.time_wait", PI_SEQUENCE, PI_CHAT,
            "Server enters TIME_WAIT", EXPFILL } },
        { &ei_tcpstate_enter[1][9],
          { "tcpstate.analysis.transition.server.close_wait", PI_SEQUENCE, PI_CHAT,
            "Server enters CLOSE_WAIT", EXPFILL } },
        { &ei_tcpstate_enter[1][10],
          { "tcpstate.analysis.transition.server.last_ack", PI_SEQUENCE, PI_CHAT,
            "Server enters LAST_ACK", EXPFILL } },
        { &ei_tcpstate_midstream,
          { "tcpstate.analysis.midstream", PI_SEQUENCE, PI_NOTE,
            "Picked up midstream: states inferred",
            EXPFILL } },
        { &ei_tcpstate_syn_retransmit,
          { "tcpstate.analysis.syn_retransmission", PI_SEQUENCE, PI_NOTE,
            "SYN retransmitted", EXPFILL } },
        { &ei_tcpstate_synack_retransmit,
          { "tcpstate.analysis.synack_retransmission", PI_SEQUENCE, PI_NOTE,
            "SYN/ACK retransmitted", EXPFILL } },
        { &ei_tcpstate_fin_retransmit,
          { "tcpstate.analysis.fin_retransmission", PI_SEQUENCE, PI_NOTE,
            "FIN retransmitted", EXPFILL } },
        { &ei_tcpstate_simultaneous_open,
          { "tcpstate.analysis.simultaneous_open", PI_SEQUENCE, PI_CHAT,
            "Simultaneous open (RFC 9293 3.5)", EXPFILL } },
        { &ei_tcpstate_simultaneous_close,
          { "tcpstate.analysis.simultaneous_close", PI_SEQUENCE, PI_CHAT,
            "Simultaneous close (RFC 9293 3.6)", EXPFILL } },
        { &ei_tcpstate_refused,
          { "tcpstate.analysis.refused", PI_SEQUENCE, PI_WARN,
            "Connection refused: RST answers the SYN", EXPFILL } },
        { &ei_tcpstate_rst_out_of_window,
          { "tcpstate.analysis.rst_out_of_window", PI_SECURITY, PI_WARN,
            "RST out of window: ignored (RFC 5961)", EXPFILL } },
        { &ei_tcpstate_time_wait_restart,
          { "tcpstate.analysis.time_wait_restart", PI_SEQUENCE, PI_NOTE,
            "FIN into TIME_WAIT: 2MSL restarts", EXPFILL } },
        { &ei_tcpstate_time_wait_expired,
          { "tcpstate.analysis.time_wait_expired", PI_SEQUENCE, PI_CHAT,
            "TIME_WAIT ran out before this segment", EXPFILL } },
        { &ei_tcpstate_loss_revealed,
          { "tcpstate.analysis.loss_revealed", PI_SEQUENCE, PI_NOTE,
            "Shows an earlier segment was lost", EXPFILL } },
        { &ei_tcpstate_lost,
          { "tcpstate.analysis.lost", PI_SEQUENCE, PI_WARN,
            "Lost: never reached its receiver", EXPFILL } },
        { &ei_tcpstate_data_after_fin,
          { "tcpstate.analysis.data_after_fin", PI_PROTOCOL, PI_WARN,
            "Data beyond the sender's own FIN", EXPFILL } },
        { &ei_tcpstate_from_closed,
          { "tcpstate.analysis.from_closed", PI_SEQUENCE, PI_WARN,
            "Segment from a CLOSED endpoint", EXPFILL } },
        { &ei_tcpstate_syn_in_synchronized,
          { "tcpstate.analysis.syn_in_synchronized", PI_PROTOCOL, PI_WARN,
            "SYN on a synchronized connection (RFC 5961)", EXPFILL } },
        { &ei_tcpstate_bad_handshake_ack,
          { "tcpstate.analysis.bad_handshake_ack", PI_PROTOCOL, PI_WARN,
            "Handshake ACK is not ISN+1: rejected", EXPFILL } },
        { &ei_tcpstate_invalid_flags,
          { "tcpstate.analysis.invalid_flags", PI_PROTOCOL, PI_WARN,
            "Flags a TCP drops (no ACK, or SYN+FIN)",
            EXPFILL } },
        { &ei_tcpstate_time_wait_assassinated,
          { "tcpstate.analysis.time_wait_assassination", PI_SECURITY, PI_WARN,
            "RST kills TIME_WAIT (RFC 1337)", EXPFILL } },
        { &ei_tcpstate_fin_out_of_order,
          { "tcpstate.analysis.fin_out_of_order", PI_SEQUENCE, PI_NOTE,
            "FIN out of order: not taken yet", EXPFILL } },
        { &ei_tcpstate_peer_silent,
          { "tcpstate.analysis.peer_silent", PI_SEQUENCE, PI_NOTE,
            "RST after unanswered keep-alives: not taken", EXPFILL } },
        { &ei_tcpstate_ended_unseen,
          { "tcpstate.analysis.ended_unseen", PI_SEQUENCE, PI_NOTE,
            "Receiver's connection had already ended", EXPFILL } },
        { &ei_tcpstate_bad_checksum,
          { "tcpstate.analysis.bad_checksum", PI_CHECKSUM, PI_WARN,
            "Bad checksum: dropped by its receiver", EXPFILL } },
        { &ei_tcpstate_half_open,
          { "tcpstate.analysis.half_open", PI_SEQUENCE, PI_WARN,
            "Half-open: the handshake never completes", EXPFILL } },
        { &ei_tcpstate_syn_flood,
          { "tcpstate.analysis.syn_flood", PI_SECURITY, PI_WARN,
            "Suspected SYN flood", EXPFILL } },
        { &ei_tcpstate_close_wait_lingering,
          { "tcpstate.analysis.close_wait_lingering", PI_SEQUENCE, PI_WARN,
            "CLOSE_WAIT lingering: application not closing", EXPFILL } },
        { &ei_tcpstate_fin_wait_2_lingering,
          { "tcpstate.analysis.fin_wait_2_lingering", PI_SEQUENCE, PI_NOTE,
            "FIN_WAIT_2 lingering: peer not closing", EXPFILL } },
        { &ei_tcpstate_reuse_in_time_wait,
          { "tcpstate.analysis.reuse_in_time_wait", PI_SEQUENCE, PI_NOTE,
            "4-tuple reused during TIME_WAIT", EXPFILL } },
        { &ei_tcpstate_reuse_after_time_wait,
          { "tcpstate.analysis.reuse_after_time_wait", PI_SEQUENCE, PI_CHAT,
            "4-tuple reused after TIME_WAIT", EXPFILL } },
    };

    module_t *module;
    unsigned i;
    expert_module_t *expert;

    proto_tcpstate = proto_register_protocol("TCP Connection State", "TCPSTATE", "tcpstate");
    proto_register_field_array(proto_tcpstate, hf, array_length(hf));
    item_labels_init(hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_tcpstate);
    expert_register_field_array(expert, ei, array_length(ei));
    enter_texts_init();
    flood_text_init();
    tcps_upgrade_register(proto_tcpstate, expert);

    module = prefs_register_protocol(proto_tcpstate, tcpstate_prefs_apply);
    register_uint_pref(module, &uint_prefs[0]);
    prefs_register_enum_preference(module, "info_column", "States in the Info column",
        "What the Info column shows of both endpoints' states, and where (default: off; "
        "the TCP States profile: first). The short form, before the TCP summary, gives "
        "the segment's TCP flags and the state of each end after it, \">\" marking one "
        "entered on it: [SYN,ACK C:>ESTABLISHED S:SYN_RCVD]. It fits on the Flow Graph's "
        "arrows, which cut labels at about 40 characters.",
        &pref_info_column, info_column_vals, FALSE);
    for (i = 1; i < G_N_ELEMENTS(uint_prefs); i++)
        register_uint_pref(module, &uint_prefs[i]);
    tcps_census_register(proto_tcpstate, module);
    tcps_connlist_register(proto_tcpstate);

    register_init_routine(tcpstate_init);
    register_cleanup_routine(tcpstate_cleanup);

    tcpstate_handle = register_dissector("tcpstate", dissect_tcpstate, proto_tcpstate);
    register_postdissector(tcpstate_handle);
    tcpstate_tap = register_tap("tcpstate");
    tcps_stats_register();
}

void
proto_reg_handoff_tcpstate(void)
{

    /* Assigned one by one, as checkhf.pl expects of fields looked up by name. */
    hf_tcp_stream = proto_registrar_get_id_byname("tcp.stream");
    hf_tcp_len = proto_registrar_get_id_byname("tcp.len");
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_ip = proto_get_id_by_filter_name("ip");
    proto_ipv6 = proto_get_id_by_filter_name("ipv6");

    hf_tcp_checksum_status = proto_registrar_get_id_byname("tcp.checksum.status");
    hf_ip_checksum_status = proto_registrar_get_id_byname("ip.checksum.status");
    want_checksum_status();

    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
    tcps_upgrade_handoff();
    tcps_menu_register();
    tcps_ladder_register();
    tcps_census_handoff();
    tcps_connlist_handoff();
}
