/* packet-tcpstate.c — the epan layer of tcpstate.
 *
 * A post-dissector: it reads the TCP dissector's fields, runs the pure engine
 * (tcpstate_engine.c) on the first pass only, keeps one 8-byte record per
 * frame, and always builds the tree and the Info column from that record.
 * Computing once and replaying is what makes a single pass, `tshark -2` and
 * the GUI's random re-dissection print identical values: on later passes the
 * TCP fields we would read are not even primed.
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/address.h>
#include <epan/proto_data.h>

#include "ws_compat.h"
#include "packet-tcpstate.h"
#include "tcpstate_engine.h"
#include "tcpstate_record.h"

static int proto_tcpstate = -1;

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
static int hf_tcpstate_lost = -1;
static int hf_tcpstate_lost_shown_by = -1;
static int hf_tcpstate_reveals_lost = -1;

static gint ett_tcpstate = -1;

static expert_field ei_tcpstate_transition = EI_INIT;
static expert_field ei_tcpstate_midstream = EI_INIT;
static expert_field ei_tcpstate_syn_retransmit = EI_INIT;
static expert_field ei_tcpstate_synack_retransmit = EI_INIT;
static expert_field ei_tcpstate_fin_retransmit = EI_INIT;
static expert_field ei_tcpstate_simultaneous_open = EI_INIT;
static expert_field ei_tcpstate_simultaneous_close = EI_INIT;
static expert_field ei_tcpstate_refused = EI_INIT;
static expert_field ei_tcpstate_rst_ignored = EI_INIT;
static expert_field ei_tcpstate_time_wait_restart = EI_INIT;
static expert_field ei_tcpstate_time_wait_expired = EI_INIT;
static expert_field ei_tcpstate_loss_revealed = EI_INIT;
static expert_field ei_tcpstate_lost = EI_INIT;
static expert_field ei_tcpstate_reuse = EI_INIT;
static expert_field ei_tcpstate_data_after_fin = EI_INIT;
static expert_field ei_tcpstate_from_closed = EI_INIT;
static expert_field ei_tcpstate_syn_in_synchronized = EI_INIT;
static expert_field ei_tcpstate_bad_synack = EI_INIT;
static expert_field ei_tcpstate_invalid_flags = EI_INIT;
static expert_field ei_tcpstate_time_wait_assassinated = EI_INIT;

/* The TCP dissector's fields we read, and protocols we look for. */
static int hf_tcp_stream = -1;
static int hf_tcp_srcport = -1;
static int hf_tcp_dstport = -1;
static int hf_tcp_seq_raw = -1;
static int hf_tcp_ack_raw = -1;
static int hf_tcp_flags = -1;
static int hf_tcp_len = -1;
static int proto_tcp = -1;
static int proto_icmp = -1;
static int proto_icmpv6 = -1;

static dissector_handle_t tcpstate_handle;

/* Preferences. MSL 30 s matches Linux's fixed 60 s TIME_WAIT. */
static guint pref_msl_seconds = 30;
static tcps_pref_bool pref_info_column = TRUE;

/* File-scoped stores, emptied whenever a capture is closed or re-read.
 * Records hang off each frame (p_add_proto_data), never a frame-number map:
 * in a first pass with a read filter, tshark hands the number of a dropped
 * frame to the next one. */
static wmem_map_t *streams;        /* tcp.stream -> tcps_stream */
static wmem_map_t *lost_links;     /* tcps_record * -> frame number: for a lost
                                      segment, the frame showing it; for that
                                      frame, the lost one (rare events only) */

/* One TCP stream. A is the sender of the first segment we saw; the engine
 * decides which of A and B is the client. */
typedef struct {
    tcps_conn    conn;
    tcps_record *rx_rec[2];  /* client, server: the segment whose arrival
                                last changed that endpoint, to be marked
                                lost if the endpoint shows it never came */
    guint32      a_addr_hash;  /* only consulted when both ports are equal */
    guint16      a_port;
    guint16      b_port;
} tcps_stream;

static const value_string tcpstate_state_vals[] = {
    { TCPS_CLOSED,      "CLOSED" },
    { TCPS_LISTEN,      "LISTEN" },
    { TCPS_SYN_SENT,    "SYN_SENT" },
    { TCPS_SYN_RCVD,    "SYN_RCVD" },
    { TCPS_ESTABLISHED, "ESTABLISHED" },
    { TCPS_FIN_WAIT_1,  "FIN_WAIT_1" },
    { TCPS_FIN_WAIT_2,  "FIN_WAIT_2" },
    { TCPS_CLOSING,     "CLOSING" },
    { TCPS_TIME_WAIT,   "TIME_WAIT" },
    { TCPS_CLOSE_WAIT,  "CLOSE_WAIT" },
    { TCPS_LAST_ACK,    "LAST_ACK" },
    { 0, NULL }
};

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

/* Which event raises which expert info. */
typedef struct {
    guint32       event;
    expert_field *ei;
} event_expert;

static const event_expert event_experts[] = {
    { TCPS_EV_MIDSTREAM,              &ei_tcpstate_midstream },
    { TCPS_EV_SYN_RETRANSMIT,         &ei_tcpstate_syn_retransmit },
    { TCPS_EV_SYNACK_RETRANSMIT,      &ei_tcpstate_synack_retransmit },
    { TCPS_EV_FIN_RETRANSMIT,         &ei_tcpstate_fin_retransmit },
    { TCPS_EV_SIMULTANEOUS_OPEN,      &ei_tcpstate_simultaneous_open },
    { TCPS_EV_SIMULTANEOUS_CLOSE,     &ei_tcpstate_simultaneous_close },
    { TCPS_EV_REFUSED,                &ei_tcpstate_refused },
    { TCPS_EV_RST_IGNORED,            &ei_tcpstate_rst_ignored },
    { TCPS_EV_TIME_WAIT_RESTART,      &ei_tcpstate_time_wait_restart },
    { TCPS_EV_TIME_WAIT_EXPIRED,      &ei_tcpstate_time_wait_expired },
    { TCPS_EV_REUSE,                  &ei_tcpstate_reuse },
    { TCPS_EV_DATA_AFTER_FIN,         &ei_tcpstate_data_after_fin },
    { TCPS_EV_FROM_CLOSED,            &ei_tcpstate_from_closed },
    { TCPS_EV_SYN_IN_SYNCHRONIZED,    &ei_tcpstate_syn_in_synchronized },
    { TCPS_EV_BAD_HANDSHAKE_ACK,             &ei_tcpstate_bad_synack },
    { TCPS_EV_INVALID_FLAGS,          &ei_tcpstate_invalid_flags },
    { TCPS_EV_TIME_WAIT_ASSASSINATED, &ei_tcpstate_time_wait_assassinated },
};

static gboolean
first_uint(proto_tree *tree, int hf, guint32 *out)
{
    GPtrArray *found = proto_get_finfo_ptr_array(tree, hf);

    if (!found || found->len == 0)
        return FALSE;
    *out = fvalue_get_uinteger(TCPS_FI_FVALUE((field_info *)g_ptr_array_index(found, 0)));
    return TRUE;
}

/* A TCP header quoted inside an ICMP error is not a segment of the
 * connection: annotate only when the first TCP layer comes before any ICMP. */
static gboolean
tcp_is_a_segment(const packet_info *pinfo)
{
    wmem_list_frame_t *layer;

    for (layer = wmem_list_head(pinfo->layers); layer; layer = wmem_list_frame_next(layer)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(layer));
        if (id == proto_tcp)
            return TRUE;
        if (id == proto_icmp || id == proto_icmpv6)
            return FALSE;
    }
    return FALSE;
}

static tcps_stream *
stream_for(guint32 index, guint16 sport, guint16 dport, guint32 addr_hash)
{
    tcps_stream *st = (tcps_stream *)wmem_map_lookup(streams, GUINT_TO_POINTER(index));

    if (!st) {
        st = wmem_new0(wmem_file_scope(), tcps_stream);
        tcps_conn_init(&st->conn);
        st->a_port = sport;
        st->b_port = dport;
        st->a_addr_hash = addr_hash;
        wmem_map_insert(streams, GUINT_TO_POINTER(index), st);
    }
    return st;
}

/* First pass: run the engine and store the record. NULL: not a segment we
 * can annotate (no TCP, a quoted header, or fields missing from a header
 * cut short). */
static tcps_record *
analyze_frame(packet_info *pinfo, proto_tree *tree)
{
    guint32 stream, sport, dport, seq, ack = 0, flags, len;
    guint32 addr_hash;
    tcps_stream *st;
    tcps_segment seg;
    tcps_config cfg;
    tcps_result res;
    tcps_record *rec;

    if (!tree || !tcp_is_a_segment(pinfo))
        return NULL;
    if (!first_uint(tree, hf_tcp_stream, &stream) ||
        !first_uint(tree, hf_tcp_srcport, &sport) ||
        !first_uint(tree, hf_tcp_dstport, &dport) ||
        !first_uint(tree, hf_tcp_seq_raw, &seq) ||
        !first_uint(tree, hf_tcp_flags, &flags) ||
        !first_uint(tree, hf_tcp_len, &len))
        return NULL;
    first_uint(tree, hf_tcp_ack_raw, &ack);   /* absent without the ACK bit */

    addr_hash = add_address_to_hash(0, &pinfo->src);
    st = stream_for(stream, (guint16)sport, (guint16)dport, addr_hash);

    memset(&seg, 0, sizeof seg);
    seg.seq = seq;
    seg.ack = ack;
    seg.len = len;
    seg.flags = (uint16_t)flags;
    seg.src_port = (uint16_t)sport;
    seg.dst_port = (uint16_t)dport;
    if (st->a_port != st->b_port)
        seg.from_a = (sport == st->a_port);
    else
        seg.from_a = (addr_hash == st->a_addr_hash);
    seg.time_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    seg.frame = pinfo->num;

    cfg.msl_ms = pref_msl_seconds * 1000u;
    tcps_conn_process(&st->conn, &cfg, &seg, &res);

    rec = wmem_new(wmem_file_scope(), tcps_record);
    tcps_record_pack(rec, &res);
    p_add_proto_data(wmem_file_scope(), pinfo, proto_tcpstate, 0, rec);

    if (res.lost_frame) {
        /* The sender shows it never got the segment that last changed it. */
        int who = res.from_client ? 0 : 1;
        if (st->rx_rec[who]) {
            tcps_record_mark_lost(st->rx_rec[who]);
            wmem_map_insert(lost_links, st->rx_rec[who], GUINT_TO_POINTER(pinfo->num));
            wmem_map_insert(lost_links, rec, GUINT_TO_POINTER(res.lost_frame));
            st->rx_rec[who] = NULL;
        }
    }
    if (res.rx_recorded) {
        int who = res.from_client ? 1 : 0;
        st->rx_rec[who] = rec;
    }
    return rec;
}

static proto_item *
add_generated_uint(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 value)
{
    proto_item *it = proto_tree_add_uint(tree, hf, tvb, 0, 0, value);
    proto_item_set_generated(it);
    return it;
}

static proto_item *
add_generated_bool(proto_tree *tree, int hf, tvbuff_t *tvb, gboolean value)
{
    proto_item *it = proto_tree_add_boolean(tree, hf, tvb, 0, 0, value);
    proto_item_set_generated(it);
    return it;
}

static void
add_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const tcps_record *rec,
         const tcps_result *r, const char *summary)
{
    static const char *const who[2] = { "Client", "Server" };
    int sender = r->from_client ? 0 : 1;
    proto_item *ti, *it;
    proto_tree *st;
    guint32 link;
    unsigned i, step;

    ti = proto_tree_add_item(tree, proto_tcpstate, tvb, 0, 0, ENC_NA);
    proto_item_append_text(ti, ": %s", summary);
    proto_item_set_generated(ti);
    st = proto_item_add_subtree(ti, ett_tcpstate);

    it = proto_tree_add_string(st, hf_tcpstate_summary, tvb, 0, 0, summary);
    proto_item_set_generated(it);
    add_generated_uint(st, hf_tcpstate_client, tvb, r->state[0]);
    add_generated_uint(st, hf_tcpstate_server, tvb, r->state[1]);
    add_generated_uint(st, hf_tcpstate_client_prev, tvb, r->prev[0]);
    add_generated_uint(st, hf_tcpstate_server_prev, tvb, r->prev[1]);
    add_generated_uint(st, hf_tcpstate_sender, tvb, r->state[sender]);
    add_generated_uint(st, hf_tcpstate_receiver, tvb, r->state[!sender]);
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

    for (i = 0; i < 2; i++)
        if (r->prev[i] != r->state[i])
            expert_add_info_format(pinfo, ti, &ei_tcpstate_transition, "%s: %s -> %s", who[i],
                                   tcps_state_name((tcps_state)r->prev[i]),
                                   tcps_state_name((tcps_state)r->state[i]));
    for (i = 0; i < G_N_ELEMENTS(event_experts); i++)
        if (r->events & event_experts[i].event)
            expert_add_info(pinfo, ti, event_experts[i].ei);

    if (r->events & TCPS_EV_LOSS_REVEALED) {
        link = GPOINTER_TO_UINT(wmem_map_lookup(lost_links, rec));
        expert_add_info_format(pinfo, ti, &ei_tcpstate_loss_revealed,
                                    "The %s never received frame %u: it sends this again",
                                    r->from_client ? "client" : "server", link);
        if (link)
            add_generated_uint(st, hf_tcpstate_reveals_lost, tvb, link);
    }
    /* Known only once later frames are read (tshark -2, the GUI). */
    if (tcps_record_lost(rec)) {
        link = GPOINTER_TO_UINT(wmem_map_lookup(lost_links, rec));
        it = add_generated_bool(st, hf_tcpstate_lost, tvb, TRUE);
        expert_add_info_format(pinfo, it, &ei_tcpstate_lost,
                               "This segment never reached the %s (frame %u shows it); "
                               "its state here is what it would have been",
                               r->from_client ? "server" : "client", link);
        if (link)
            add_generated_uint(st, hf_tcpstate_lost_shown_by, tvb, link);
    }
}

static int
dissect_tcpstate(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    tcps_record *rec;
    tcps_result r;
    char summary[64];

    rec = (tcps_record *)p_get_proto_data(wmem_file_scope(), pinfo, proto_tcpstate, 0);
    if (!rec && !PINFO_FD_VISITED(pinfo))
        rec = analyze_frame(pinfo, tree);
    if (!rec)
        return 0;

    tcps_record_unpack(rec, &r);
    tcps_result_summary(&r, summary, sizeof summary);
    if (pref_info_column)
        col_append_fstr(pinfo->cinfo, COL_INFO, " [%s]", summary);
    if (tree)
        add_tree(tvb, pinfo, tree, rec, &r, summary);
    return tvb_captured_length(tvb);
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
        { &hf_tcpstate_midstream,
          { "Midstream", "tcpstate.midstream", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The states were inferred without seeing the handshake (present only then)", HFILL } },
        { &hf_tcpstate_lost,
          { "Never received", "tcpstate.lost", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
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
    };

    static gint *ett[] = { &ett_tcpstate };

    static ei_register_info ei[] = {
        { &ei_tcpstate_transition,
          { "tcpstate.analysis.transition", PI_SEQUENCE, PI_CHAT,
            "State transition", EXPFILL } },
        { &ei_tcpstate_midstream,
          { "tcpstate.analysis.midstream", PI_SEQUENCE, PI_NOTE,
            "Connection picked up midstream: states inferred without the handshake",
            EXPFILL } },
        { &ei_tcpstate_syn_retransmit,
          { "tcpstate.analysis.syn_retransmission", PI_SEQUENCE, PI_NOTE,
            "SYN retransmitted: no state change", EXPFILL } },
        { &ei_tcpstate_synack_retransmit,
          { "tcpstate.analysis.synack_retransmission", PI_SEQUENCE, PI_NOTE,
            "SYN/ACK retransmitted: no state change", EXPFILL } },
        { &ei_tcpstate_fin_retransmit,
          { "tcpstate.analysis.fin_retransmission", PI_SEQUENCE, PI_NOTE,
            "FIN retransmitted", EXPFILL } },
        { &ei_tcpstate_simultaneous_open,
          { "tcpstate.analysis.simultaneous_open", PI_SEQUENCE, PI_CHAT,
            "Simultaneous open: both ends sent a SYN (RFC 9293 3.5)", EXPFILL } },
        { &ei_tcpstate_simultaneous_close,
          { "tcpstate.analysis.simultaneous_close", PI_SEQUENCE, PI_CHAT,
            "Simultaneous close: the FINs crossed (RFC 9293 3.6)", EXPFILL } },
        { &ei_tcpstate_refused,
          { "tcpstate.analysis.refused", PI_SEQUENCE, PI_WARN,
            "Connection refused: RST answers the SYN", EXPFILL } },
        { &ei_tcpstate_rst_ignored,
          { "tcpstate.analysis.rst_ignored", PI_SECURITY, PI_WARN,
            "RST outside the sequence space seen: the receiver ignores it (RFC 5961)",
            EXPFILL } },
        { &ei_tcpstate_time_wait_restart,
          { "tcpstate.analysis.time_wait_restart", PI_SEQUENCE, PI_NOTE,
            "FIN retransmitted into TIME_WAIT: the 2MSL timer restarts", EXPFILL } },
        { &ei_tcpstate_time_wait_expired,
          { "tcpstate.analysis.time_wait_expired", PI_SEQUENCE, PI_CHAT,
            "TIME_WAIT ran out (2MSL) before this segment", EXPFILL } },
        { &ei_tcpstate_loss_revealed,
          { "tcpstate.analysis.loss_revealed", PI_SEQUENCE, PI_NOTE,
            "This segment shows an earlier one was never received", EXPFILL } },
        { &ei_tcpstate_lost,
          { "tcpstate.analysis.lost", PI_SEQUENCE, PI_WARN,
            "This segment never reached its receiver", EXPFILL } },
        { &ei_tcpstate_reuse,
          { "tcpstate.analysis.reuse", PI_SEQUENCE, PI_NOTE,
            "New SYN on a closed 4-tuple: a fresh connection starts", EXPFILL } },
        { &ei_tcpstate_data_after_fin,
          { "tcpstate.analysis.data_after_fin", PI_PROTOCOL, PI_WARN,
            "Data beyond the sender's own FIN", EXPFILL } },
        { &ei_tcpstate_from_closed,
          { "tcpstate.analysis.from_closed", PI_SEQUENCE, PI_WARN,
            "Segment from an endpoint that is CLOSED", EXPFILL } },
        { &ei_tcpstate_syn_in_synchronized,
          { "tcpstate.analysis.syn_in_synchronized", PI_PROTOCOL, PI_WARN,
            "SYN on a synchronized connection: the receiver answers with a challenge ACK (RFC 5961)",
            EXPFILL } },
        { &ei_tcpstate_bad_synack,
          { "tcpstate.analysis.bad_synack", PI_PROTOCOL, PI_WARN,
            "SYN/ACK does not acknowledge the SYN: the client rejects it", EXPFILL } },
        { &ei_tcpstate_invalid_flags,
          { "tcpstate.analysis.invalid_flags", PI_PROTOCOL, PI_WARN,
            "Flag combination a TCP drops (no ACK, or SYN with FIN): no state change",
            EXPFILL } },
        { &ei_tcpstate_time_wait_assassinated,
          { "tcpstate.analysis.time_wait_assassination", PI_SECURITY, PI_WARN,
            "RST closes an endpoint in TIME_WAIT (RFC 1337)", EXPFILL } },
    };

    module_t *module;
    expert_module_t *expert;

    proto_tcpstate = proto_register_protocol("TCP Connection State", "TCPSTATE", "tcpstate");
    proto_register_field_array(proto_tcpstate, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_tcpstate);
    expert_register_field_array(expert, ei, array_length(ei));

    module = prefs_register_protocol(proto_tcpstate, NULL);
    prefs_register_uint_preference(module, "msl", "Maximum segment lifetime (seconds)",
        "TIME_WAIT lasts 2*MSL. The default, 30 s, matches Linux's fixed 60 s TIME_WAIT.",
        10, &pref_msl_seconds);
    prefs_register_bool_preference(module, "info_column", "Show the states in the Info column",
        "Append both endpoints' states, e.g. [C:SYN_SENT>ESTABLISHED S:SYN_RCVD], to the "
        "Info column, so the packet list and the Flow Graph show them.",
        &pref_info_column);

    lost_links = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(),
                                        g_direct_hash, g_direct_equal);
    streams = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(),
                                     g_direct_hash, g_direct_equal);

    tcpstate_handle = register_dissector("tcpstate", dissect_tcpstate, proto_tcpstate);
    register_postdissector(tcpstate_handle);
}

void
proto_reg_handoff_tcpstate(void)
{
    static const char *const wanted_names[] = {
        "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
        "tcp.ack_raw", "tcp.flags", "tcp.len",
    };
    int *const ids[] = {
        &hf_tcp_stream, &hf_tcp_srcport, &hf_tcp_dstport, &hf_tcp_seq_raw,
        &hf_tcp_ack_raw, &hf_tcp_flags, &hf_tcp_len,
    };
    GArray *wanted;
    unsigned i;

    wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    for (i = 0; i < G_N_ELEMENTS(wanted_names); i++) {
        *ids[i] = proto_registrar_get_id_byname(wanted_names[i]);
        g_array_append_val(wanted, *ids[i]);
    }
    set_postdissector_wanted_hfids(tcpstate_handle, wanted);

    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
}
