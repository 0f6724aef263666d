/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_engine.c — the pure TCP connection state engine.
 *
 * Each endpoint keeps a handful of facts (sent a SYN, had its FIN acked, ...)
 * and its RFC 9293 state is derived from them. Deriving rather than storing
 * the state keeps corrections local: when a later segment proves that an
 * assumed arrival never happened, we drop that one fact and the state
 * follows, instead of unwinding a transition table.
 *
 * Where to look: tcps_conn_process (at the end) runs seven steps in order;
 * process_by_class is the one switch that sends each class of segment to
 * its handler (on_rst, on_syn, on_synack, on_ack_segment), and each handler
 * is a short list of named jobs, the sender's first, then the receiver's.
 * docs/transitions.md, generated from this file by
 * tests/transitions/gen_transitions.c, is the resulting table of (sender
 * state, receiver state, segment class) -> states after and events.
 *
 * Section numbers refer to RFC 9293 unless stated otherwise.
 */
#include "tcpstate_engine.h"

#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(tcps_endpoint) == 96, "tcps_endpoint is documented as 96 bytes");
_Static_assert(sizeof(tcps_conn) == 208, "tcps_conn is documented as 208 bytes");

/* Endpoint facts. */
#define F_SYN_SENT     (1u << 0)  /* it sent a SYN (bare or with ACK) */
#define F_SYNACK_SENT  (1u << 1)  /* it sent a SYN/ACK */
#define F_SYN_RCVD     (1u << 2)  /* it received the peer's SYN */
#define F_SYN_ACKED    (1u << 3)  /* its SYN was acknowledged */
#define F_FIN_SENT     (1u << 4)
#define F_FIN_ACKED    (1u << 5)  /* its FIN was acknowledged */
#define F_PEER_FIN     (1u << 6)  /* it received the peer's FIN */
#define F_ACTIVE_CLOSE (1u << 7)  /* it sent its FIN before taking the peer's */
#define F_CLOSED       (1u << 8)  /* reset, refused, or TIME_WAIT ran out */
#define F_PASSIVE      (1u << 9)  /* a listener: LISTEN before the SYN */
#define F_HAVE_ISN     (1u << 10)
#define F_HAVE_NXT     (1u << 11)
#define F_HAVE_ACK     (1u << 12)
#define F_HAVE_TX      (1u << 13)
#define F_HAVE_RTT     (1u << 14)
#define F_FIN_QUEUED   (1u << 15) /* the peer's FIN arrived out of order: queued */
#define F_FIN_RESENT   (1u << 16) /* its latest segment sent its FIN again */
#define F_SIMOPEN_SYN  (1u << 17) /* it took the peer's bare SYN in SYN_SENT */

#define F_SYNCHRONIZED (F_SYN_SENT | F_SYN_RCVD | F_SYN_ACKED)

/* Connection flags. */
#define C_STARTED      0x01
#define C_A_IS_CLIENT  0x02
#define C_MIDSTREAM    0x04
#define C_RESET        0x08
#define C_FIN_SEEN     0x10
#define C_LAST_SERVER  0x20  /* its latest segment came from the server */
#define C_SYN_KEPT     0x40  /* that segment is a challenged bare SYN, kept */

#define CLIENT 0
#define SERVER 1

#define MIN_NS(a, b) ((a) < (b) ? (a) : (b))

/* Sequence space is modulo 2^32 (§3.4): compare by signed difference. */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

#define STATE_NAME(NAME, num) [TCPS_##NAME] = #NAME,
static const char *const state_names[TCPS_NUM_STATES] = { TCPS_STATES(STATE_NAME) };
#undef STATE_NAME

/* TCPS_STATES numbers its states 0, 1, ... without a gap, so the table
 * above has no hole: as many states as the last number + 1. */
#define STATE_ONE(NAME, num) + 1
_Static_assert(0 TCPS_STATES(STATE_ONE) == TCPS_NUM_STATES, "TCPS_STATES numbers have a gap");
#undef STATE_ONE

const char *tcps_state_name(tcps_state s)
{
    return (unsigned)s < TCPS_NUM_STATES ? state_names[s] : "?";
}

/* The state an endpoint's facts put it in (§3.3.2, figure 5). */
static tcps_state ep_state(const tcps_endpoint *e)
{
    uint32_t f = e->facts;

    if (f & F_CLOSED)
        return TCPS_CLOSED;
    if (f & F_FIN_SENT) {
        if (!(f & F_PEER_FIN))
            return (f & F_FIN_ACKED) ? TCPS_FIN_WAIT_2 : TCPS_FIN_WAIT_1;
        if (f & F_ACTIVE_CLOSE)
            return (f & F_FIN_ACKED) ? TCPS_TIME_WAIT : TCPS_CLOSING;
        return (f & F_FIN_ACKED) ? TCPS_CLOSED : TCPS_LAST_ACK;
    }
    if (f & F_PEER_FIN)
        return TCPS_CLOSE_WAIT;
    if (f & F_SYN_RCVD)
        return (f & F_SYN_ACKED) ? TCPS_ESTABLISHED : TCPS_SYN_RCVD;
    if (f & F_SYN_SENT)
        return TCPS_SYN_SENT;
    return (f & F_PASSIVE) ? TCPS_LISTEN : TCPS_CLOSED;
}

bool tcps_conn_unanswered_syn(const tcps_conn *conn, tcps_revision *rv)
{
    const tcps_endpoint *srv = &conn->ep[1];

    /* SYN_RCVD from a segment that arrived, and the server never sent a
     * thing: a listener that took the SYN answers it (§3.10.7.2). */
    if (ep_state(srv) != TCPS_SYN_RCVD || !srv->rx_frame || srv->tx_frame)
        return false;
    rv->from_frame = srv->rx_frame;
    rv->held = TCPS_LISTEN;
    rv->before = TCPS_NUM_STATES;   /* it was LISTEN before the SYN already */
    rv->cause = TCPS_REV_UNANSWERED;
    return true;
}

bool tcps_state_is_idle(tcps_state s)
{
    return tcps_state_unconnected(s) || s == TCPS_TIME_WAIT;
}

bool tcps_state_unconnected(unsigned s)
{
    return s == TCPS_CLOSED || s == TCPS_LISTEN;
}

/* The pair of states phase summarises: tcpstate_engine.h. */
tcps_phase tcps_phase_of(unsigned client, unsigned server, unsigned handshake_step, bool reset,
                         bool fin_seen)
{
    /* A handshake segment belongs to the handshake even when it is the one
     * that leaves both ends ESTABLISHED. */
    if (handshake_step)
        return TCPS_PHASE_HANDSHAKE;
    if (reset)
        return TCPS_PHASE_RESET;
    if (tcps_state_unconnected(client) && tcps_state_unconnected(server))
        return TCPS_PHASE_CLOSED;
    if (fin_seen)
        return TCPS_PHASE_TEARDOWN;
    if (client == TCPS_ESTABLISHED && server == TCPS_ESTABLISHED)
        return TCPS_PHASE_DATA_TRANSFER;
    return TCPS_PHASE_HANDSHAKE;
}

/* Does an acknowledgment number `ack` cover the octet (or SYN, or FIN)
 * numbered `seq`: SEG.ACK > seq in sequence space (§3.4)? The one test of
 * "is its SYN / FIN / data acknowledged" in this file. */
static bool ack_covers(uint32_t ack, uint32_t seq)
{
    return seq_gt(ack, seq);
}

/* Is `ack` acceptable to an end with SND.UNA = una and SND.NXT = nxt:
 * SND.UNA < SEG.ACK =< SND.NXT (§3.10.7.3, §3.10.7.4)? SND.UNA < SEG.ACK:
 * it acknowledges something new; SEG.ACK =< SND.NXT: nothing that was not
 * sent ("acks something not yet sent"). */
static bool ack_acceptable(uint32_t una, uint32_t nxt, uint32_t ack)
{
    return ack_covers(ack, una) && !ack_covers(ack, nxt);
}

#ifdef TCPSTATE_TEST_HOOKS
bool tcps_ack_covers(uint32_t ack, uint32_t seq)
{
    return ack_covers(ack, seq);
}

bool tcps_ack_acceptable(uint32_t una, uint32_t nxt, uint32_t ack)
{
    return ack_acceptable(una, nxt, ack);
}
#endif /* TCPSTATE_TEST_HOOKS */

/* Does SEG.ACK acknowledge e's SYN, and nothing e has not sent? ISS <
 * SEG.ACK =< SND.NXT (§3.10.7.3 SYN-SENT; in SYN-RECEIVED SND.UNA is still
 * the ISS, §3.10.7.4). With e's SYN unseen there is nothing to judge by:
 * yes. Its sequence space is known whenever its SYN is (track_sequence_space
 * runs for every SYN that sets F_HAVE_ISN); without it, any ACK beyond the
 * ISS will do. */
static bool syn_acked(const tcps_endpoint *e, uint32_t ack)
{
    if (!(e->facts & F_HAVE_ISN))
        return true;
    if (!(e->facts & F_HAVE_NXT))
        return ack_covers(ack, e->isn);
    return ack_acceptable(e->isn, e->nxt, ack);
}

void tcps_conn_init(tcps_conn *conn)
{
    memset(conn, 0, sizeof *conn);
}

/* Time from `since` to `now`. Timestamps may go backwards (merged
 * captures): a negative span counts as none. 64-bit nanoseconds neither wrap
 * nor saturate. */
static int64_t elapsed(int64_t since, int64_t now)
{
    return now > since ? now - since : 0;
}

bool tcps_conn_unanswered_synack(const tcps_conn *conn, int64_t end_ns, tcps_revision *rv)
{
    const tcps_endpoint *cl = &conn->ep[0];

    /* ESTABLISHED by a segment that arrived (the SYN/ACK: nothing else
     * moves a SYN_SENT client there, and nothing since changed it), not in
     * a simultaneous open, and not a thing sent since, for a second. */
    if (ep_state(cl) != TCPS_ESTABLISHED || !cl->rx_frame || (cl->facts & F_SYNACK_SENT) ||
        !(conn->ep[1].facts & F_SYNACK_SENT) || cl->tx_frame > cl->rx_frame ||
        elapsed(cl->rx_ns, end_ns) < tcps_synack_timer_ns(0))
        return false;
    rv->from_frame = cl->rx_frame;
    rv->held = TCPS_SYN_SENT;
    rv->before = TCPS_NUM_STATES;   /* SYN_SENT before the SYN/ACK already */
    rv->cause = TCPS_REV_UNANSWERED;
    return true;
}

bool tcps_conn_passive_half_open(const tcps_conn *conn)
{
    const tcps_endpoint *srv = &conn->ep[1];

    return ep_state(srv) == TCPS_SYN_RCVD && (srv->facts & F_PASSIVE) &&
           (srv->facts & F_SYNACK_SENT) && !(conn->flags & C_RESET);
}

int64_t tcps_synack_timer_ns(unsigned timeouts)
{
    const int64_t init_ns = 1000000000;         /* TCP_TIMEOUT_INIT */
    const int64_t max_ns = 120 * init_ns;       /* TCP_RTO_MAX */

    return timeouts >= 7 ? max_ns : MIN_NS(init_ns << timeouts, max_ns);
}

/* Segment seg changed e by arriving: remember it, in case e later shows it
 * never arrived. */
static void received(tcps_endpoint *e, const tcps_segment *seg, tcps_result *out)
{
    e->rx_frame = seg->frame;
    e->rx_ns = seg->time_ns;
    out->rx_recorded = true;
}

/* The handshake gives the round trip from the capture point to each end and
 * back: SYN to SYN/ACK for the server, SYN/ACK to ACK for the client. */
static void sample_rtt(tcps_endpoint *responder, const tcps_endpoint *asker, int64_t now)
{
    int64_t rtt;

    if (!(asker->facts & F_HAVE_TX))
        return;
    rtt = elapsed(asker->tx_ns, now);
    if (!(responder->facts & F_HAVE_RTT) || rtt < responder->rtt_ns) {
        responder->rtt_ns = rtt;
        responder->facts |= F_HAVE_RTT;
    }
}

/* Was the segment that last changed e still in flight when e sent the one
 * now passing? Only if e sent it less than one round trip (capture point ->
 * e -> capture point) after that segment passed us: then the two crossed.
 * Without a measured round trip, a contradiction counts as a loss. */
static bool crossed(const tcps_endpoint *e, int64_t now)
{
    return (e->facts & F_HAVE_RTT) && elapsed(e->rx_ns, now) < e->rtt_ns;
}

/* Does an ACK of `ack` from `acker`, sent at `now`, show a hole? Only if the
 * segment that starts at `ack` passed the capture point at least one round
 * trip (capture point -> acker -> capture point) earlier: it had time to
 * arrive and did not. The ACK may cross the FIN, not that segment. */
static bool hole_shown(const tcps_endpoint *sender, uint32_t ack, const tcps_endpoint *acker,
                       int64_t now)
{
    int i;

    for (i = 0; i < 2; i++)
        if (sender->seg_ns[i] && sender->seg_seq[i] == ack &&
            elapsed(sender->seg_ns[i], now) >= acker->rtt_ns)
            return true;
    return false;
}

/* Hindsight: endpoint ei held `held` from frame `from` up to this segment
 * (tcps_revision in tcpstate_engine.h). */
static void revise(tcps_result *out, int ei, uint32_t from, tcps_state held,
                   tcps_state before, tcps_rev_cause cause)
{
    if (!from)
        return;
    out->revision[ei].from_frame = from;
    out->revision[ei].held = (uint8_t)held;
    out->revision[ei].before = (uint8_t)before;
    out->revision[ei].cause = (uint8_t)cause;
}

/* True once the engine has decided that endpoint A is the client. */
static bool a_is_client(const tcps_conn *conn)
{
    return (conn->flags & C_A_IS_CLIENT) != 0;
}

/* The endpoint that sent the latest segment. */
static int last_sender(const tcps_conn *conn)
{
    return (conn->flags & C_LAST_SERVER) ? SERVER : CLIENT;
}

/* The time of the latest segment: its sender's tx_ns (note_sent sets both;
 * 0 before any segment, as conn_start clears both). */
static int64_t last_ns(const tcps_conn *conn)
{
    return conn->ep[last_sender(conn)].tx_ns;
}

/* Which end of a connection first seen without a SYN is the server.
 * Zeek's rule (TCPAnalyzer::WantConnection): the sender is the server when its
 * port looks like a service port and the receiver's does not; when both do,
 * the lower one. Zeek asks its table of analyzer ports; we take the
 * well-known range, and for two unprivileged ports the lower port. */
static bool sender_looks_like_server(uint16_t sport, uint16_t dport)
{
    bool s_wk = sport < 1024, d_wk = dport < 1024;

    if (s_wk != d_wk)
        return s_wk;
    return sport < dport;
}

static void conn_start(tcps_conn *c, const tcps_segment *seg)
{
    bool syn = seg->flags & TCPS_TH_SYN, ack = seg->flags & TCPS_TH_ACK;
    bool rst = seg->flags & TCPS_TH_RST;
    bool sender_is_client;
    tcps_endpoint *cl, *sv;

    tcps_conn_init(c);
    if (syn && !ack && !rst)
        sender_is_client = true;             /* the active opener */
    else if (syn && ack && !rst)
        sender_is_client = false;            /* only a server answers a SYN */
    else
        sender_is_client = !sender_looks_like_server(seg->src_port, seg->dst_port);

    c->flags = C_STARTED | (sender_is_client == seg->from_a ? C_A_IS_CLIENT : 0);
    cl = &c->ep[CLIENT];
    sv = &c->ep[SERVER];
    sv->facts = F_PASSIVE;  /* before the SYN arrives, the server listens */

    if (syn && !ack && !rst)
        return;
    if (syn && ack && !rst) {
        /* The SYN went by unseen: the client is in SYN_SENT, and the
         * SYN/ACK's ACK field tells its ISN. */
        c->flags |= C_MIDSTREAM;
        cl->facts |= F_SYN_SENT | F_HAVE_ISN | F_HAVE_NXT;
        cl->isn = seg->ack - 1;
        cl->nxt = seg->ack;
        sv->facts |= F_SYN_RCVD;
        return;
    }
    if (ack || rst) {
        /* Midstream: whatever we see next happened on an open connection. */
        c->flags |= C_MIDSTREAM;
        cl->facts |= F_SYNCHRONIZED;
        sv->facts |= F_SYNCHRONIZED;
    }
    /* Anything else (no ACK, no SYN, no RST) belongs to no connection;
     * both ends keep their pre-connection states. */
}

/* Would the receiver act on this RST? §3.10.7 and RFC 5961 §3.2, judged from
 * the sequence space seen so far. */
static bool rst_acceptable(const tcps_endpoint *snd, const tcps_endpoint *rcv,
                           tcps_state rs, const tcps_segment *seg)
{
    uint32_t lo, hi;

    switch (rs) {
    case TCPS_CLOSED:
    case TCPS_LISTEN:
        return false;                        /* §3.10.7.1, §3.10.7.2 */
    case TCPS_SYN_SENT:
        /* §3.10.7.3: only with an ACK of our SYN, ISS < SEG.ACK =< SND.NXT. */
        return (seg->flags & TCPS_TH_ACK) && syn_acked(rcv, seg->ack);
    default:
        break;
    }
    /* Synchronized: RFC 5961 resets only when SEG.SEQ == RCV.NXT (an
     * in-window RST just draws a challenge ACK). The receiver's RCV.NXT lies
     * between the last ACK it sent and the end of what the sender sent. */
    if (!(snd->facts & F_HAVE_NXT) && !(rcv->facts & F_HAVE_ACK))
        return true;                         /* nothing to judge by */
    if ((snd->facts & F_HAVE_NXT) && (rcv->facts & F_HAVE_ACK)) {
        lo = rcv->last_ack;
        hi = snd->nxt;
        if (seq_gt(lo, hi)) {
            uint32_t t = lo;
            lo = hi;
            hi = t;
        }
    } else {
        lo = hi = (rcv->facts & F_HAVE_ACK) ? rcv->last_ack : snd->nxt;
    }
    /* Linux also honours RCV.NXT-1 once the peer's FIN is in
     * (tcp_reset_check): some stacks reset with their FIN's number. */
    if (rs == TCPS_CLOSE_WAIT || rs == TCPS_LAST_ACK || rs == TCPS_CLOSING)
        lo -= 1;
    return seq_ge(seg->seq, lo) && seq_le(seg->seq, hi);
}

/* The endpoint shows it never got the segment that last changed it:
 * drop the facts that segment gave it, and name the segment once. */
static void mark_lost(tcps_endpoint *e, uint32_t facts_to_drop, tcps_result *out)
{
    e->facts &= ~facts_to_drop;
    if (e->rx_frame) {
        out->events |= TCPS_EV_LOSS_REVEALED;
        out->lost_frame = e->rx_frame;
        e->rx_frame = 0;
    }
}

static void contradicted(tcps_conn *c, int si, uint32_t facts, int64_t now,
                         tcps_result *out);

/* RST segments (§3.10.7, RFC 5961 §3). The jobs below run in this order. */

/* RST job 1: keep-alive probes that the peer never answered (a live peer
 * answers each with an ACK, a closed one with a RST) show that nothing
 * reaches it: the RST with which the sender gives up does not either. */
static bool rst_unheard(const tcps_conn *c, int si, const tcps_segment *seg)
{
    const tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];

    return snd->probe_ns && elapsed(snd->probe_ns, seg->time_ns) >
                            ((rcv->facts & F_HAVE_RTT) ? rcv->rtt_ns : 0);
}

/* RST job 2: an abort carries SEG.ACK = RCV.NXT (§3.10.4 ABORT,
 * §3.10.7.4): below the peer's FIN, the sender had not taken that FIN; it
 * aborts from the state it held before. The FIN crossed the RST (it meets a
 * closed socket), or was lost. A RST the receiver rejects did not come from
 * the live connection (job 5) and tells nothing. Returns the sender's state
 * before the RST. */
static tcps_state rst_shows_fin_not_taken(tcps_conn *c, int si, const tcps_segment *seg,
                                          tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];

    if ((seg->flags & TCPS_TH_ACK) && out->prev[si] == TCPS_CLOSE_WAIT &&
        (rcv->facts & F_FIN_SENT) && snd->rx_frame && snd->rx_frame == rcv->fin_frame &&
        !ack_covers(seg->ack, rcv->fin_seq))
        contradicted(c, si, F_PEER_FIN, seg->time_ns, out);
    return (tcps_state)out->prev[si];
}

/* RST job 3: what an accepted RST proves about the sender's past. */
static void rst_revises_sender(tcps_conn *c, int si, const tcps_segment *seg, tcps_state ss,
                               bool accepted, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    tcps_state rs = (tcps_state)out->prev[!si];

    if (accepted && ss == TCPS_SYN_RCVD && !(snd->facts & F_SYNACK_SENT) &&
        rs == TCPS_SYN_SENT) {
        /* A RST, not a SYN/ACK, answers the SYN: no listener (§3.10.7.1).
         * The server was CLOSED all along, never LISTEN or SYN_RCVD. */
        revise(out, si, snd->rx_frame, TCPS_CLOSED, TCPS_CLOSED, TCPS_REV_REFUSED);
    } else if (!(seg->flags & TCPS_TH_ACK) && (snd->facts & F_PEER_FIN) &&
               !tcps_state_unconnected(ss) &&
               snd->rx_frame && snd->rx_frame == rcv->tx_frame &&
               snd->rx_frame == rcv->fin_frame &&
               (snd->facts & F_HAVE_NXT) && seg->seq == snd->nxt) {
        /* A bare RST at SEG.ACK of the peer's FIN: what a TCP with no
         * connection answers (§3.10.7.1). A live one acknowledges a FIN, so
         * the sender's socket was already gone when the FIN came: a timeout
         * the wire does not show (Linux's tcp_fin_timeout for an orphaned
         * FIN_WAIT_2) had closed it. */
        revise(out, si, snd->rx_frame, TCPS_CLOSED, TCPS_CLOSED, TCPS_REV_ENDED);
    }
}

/* RST job 4: the receiver, by its state (rst_acceptable decided whether it
 * takes the RST at all). */
static void rst_resets_receiver(tcps_conn *c, int si, const tcps_segment *seg, bool accepted,
                                bool unheard, tcps_result *out)
{
    tcps_endpoint *rcv = &c->ep[!si];
    tcps_state rs = (tcps_state)out->prev[!si];

    if (!accepted) {
        if (!tcps_state_unconnected(rs) && !unheard)
            out->events |= TCPS_EV_RST_IGNORED;
        return;
    }
    out->events |= TCPS_EV_RST_ACCEPTED;
    if (rs == TCPS_SYN_SENT)
        out->events |= TCPS_EV_REFUSED;
    if (rs == TCPS_TIME_WAIT)
        out->events |= TCPS_EV_TIME_WAIT_ASSASSINATED;
    if (rs == TCPS_SYN_RCVD && (rcv->facts & F_PASSIVE)) {
        /* §3.10.7.4: a passive open goes back to LISTEN and forgets the
         * half-open connection; figure 9 recovers from an old duplicate
         * SYN this way. The connection itself goes on: no reset. */
        rcv->facts &= ~(F_SYN_SENT | F_SYNACK_SENT | F_SYN_RCVD | F_SYN_ACKED |
                        F_HAVE_ISN | F_HAVE_NXT | F_HAVE_ACK);
    } else {
        rcv->facts |= F_CLOSED;
        c->flags |= C_RESET;
    }
    received(rcv, seg, out);
}

/* RST job 5: a sender that had a connection aborts it. From LISTEN, CLOSED
 * or SYN_SENT a RST only answers a stray segment (§3.10.7.1-3), and the
 * sender stays where it was. A real abort carries the sender's own SND.NXT,
 * so a RST the receiver rejects on sequence grounds did not come from the
 * sender's live connection (stale or injected): it closes nobody. */
static void rst_aborts_sender(tcps_conn *c, int si, tcps_state ss, bool accepted, bool unheard,
                              const tcps_result *out)
{
    tcps_state rs = (tcps_state)out->prev[!si];

    if (!tcps_state_unconnected(ss) && ss != TCPS_SYN_SENT &&
        (accepted || unheard || tcps_state_unconnected(rs))) {
        c->ep[si].facts |= F_CLOSED;
        c->flags |= C_RESET;
    }
}

static void on_rst(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    bool unheard = rst_unheard(c, si, seg);
    bool accepted = rst_acceptable(&c->ep[si], &c->ep[!si], (tcps_state)out->prev[!si], seg);
    tcps_state ss;

    if (unheard) {
        out->events |= TCPS_EV_PEER_SILENT;
        accepted = false;
    }
    ss = accepted ? rst_shows_fin_not_taken(c, si, seg, out) : (tcps_state)out->prev[si];
    rst_revises_sender(c, si, seg, ss, accepted, out);
    rst_resets_receiver(c, si, seg, accepted, unheard, out);
    rst_aborts_sender(c, si, ss, accepted, unheard, out);
}

/* Where a revision of what endpoint ei's last received segment gave it
 * starts: at that segment, or at ei's own segment that crossed it (a
 * simultaneous open or close), before which ei held its earlier state
 * (revised so by TCPS_REV_CROSSED_OWN). */
static uint32_t revised_from(const tcps_conn *c, int ei)
{
    uint32_t from = c->ep[ei].rx_frame;

    if (from && c->cross_frame > from && c->cross_ep == ei)
        return c->cross_frame;
    return from;
}

/* The sender's own segment contradicts facts that the segment which last
 * changed it gave it. Its state when sending is without those facts. If
 * that segment was still in flight (crossed), it arrives afterwards and the
 * facts stand; otherwise it was lost. */
static void contradicted(tcps_conn *c, int si, uint32_t facts, int64_t now,
                         tcps_result *out)
{
    tcps_endpoint *e = &c->ep[si];
    tcps_endpoint before = *e;
    tcps_state held;

    before.facts &= ~facts;
    held = ep_state(&before);
    out->prev[si] = (uint8_t)held;
    if (crossed(e, now)) {
        revise(out, si, revised_from(c, si), held, TCPS_NUM_STATES, TCPS_REV_CROSSED);
    } else {
        revise(out, si, revised_from(c, si), held, TCPS_NUM_STATES, TCPS_REV_LOST);
        mark_lost(e, facts, out);
    }
}

/* The receiver takes a SYN if it is waiting for one (§3.10.7.2 LISTEN,
 * §3.10.7.3 SYN_SENT: simultaneous open). */
static void receive_syn(tcps_endpoint *rcv, tcps_state rs, const tcps_segment *seg,
                        tcps_result *out)
{
    if ((rs == TCPS_LISTEN || rs == TCPS_SYN_SENT) && !(rcv->facts & F_SYN_RCVD)) {
        rcv->facts |= F_SYN_RCVD;
        if (rs == TCPS_SYN_SENT) {
            /* §3.10.7.3: SYN_SENT takes a bare SYN into SYN_RCVD and
             * answers with a SYN/ACK (simultaneous open, §3.5 figure 7). */
            rcv->facts |= F_SIMOPEN_SYN;
            rcv->fin_frame = seg->frame;      /* no FIN of its own yet */
        }
        received(rcv, seg, out);
    }
}

/* Bare SYNs (§3.10.7.2, §3.10.7.3, RFC 5961 §4). */

/* SYN job 1: the sender's SYN again, at its ISS: what the retransmission
 * proves one of the ends never received. */
static void syn_resent(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];

    out->handshake_step = 1;
    out->events |= TCPS_EV_SYN_RETRANSMIT;
    if ((snd->facts & F_SYN_RCVD) && !(snd->facts & F_SYNACK_SENT)) {
        /* It sends its bare SYN again, so it had not received the
         * SYN/ACK we took as received: it was still in SYN_SENT. */
        contradicted(c, si, F_SYN_RCVD | F_SYN_ACKED, seg->time_ns, out);
    } else if (out->prev[!si] == TCPS_SYN_RCVD && (rcv->facts & F_PASSIVE) &&
               !(rcv->facts & F_SYNACK_SENT) && !crossed(rcv, seg->time_ns)) {
        /* Sent again with no SYN/ACK since the first: the listener
         * never took the first (lost, or dropped by a full queue), for
         * a listener that has it answers each SYN. It was still LISTEN;
         * this one may be taken. A SYN/ACK lost between the listener
         * and the capture point would look the same. */
        contradicted(c, !si, F_SYN_RCVD, seg->time_ns, out);
    }
    receive_syn(rcv, (tcps_state)out->prev[!si], seg, out);
}

/* SYN job 2: the listener side sends a bare SYN of its own while the client
 * is in SYN_SENT: simultaneous open (§3.5, figure 7). Its SYN crossed the
 * client's, so it went SYN_SENT on sending and SYN_RCVD when the client's
 * SYN came in. We show that on this segment: prev SYN_SENT, after SYN_RCVD. */
static void syn_crosses_peer_syn(tcps_conn *c, int si, const tcps_segment *seg,
                                 tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si];

    out->events |= TCPS_EV_SIMULTANEOUS_OPEN;
    snd->facts &= ~F_PASSIVE;
    if ((snd->facts & F_SYN_RCVD) && snd->rx_frame) {
        /* The client's SYN, taken in SYN_SENT from now on (unless a
         * loss already revealed cleared its frame: named once). */
        snd->facts |= F_SIMOPEN_SYN;
        snd->fin_frame = snd->rx_frame;   /* no FIN of its own yet */
    }
    out->prev[si] = TCPS_SYN_SENT;
    /* Hindsight: it never listened, and its connect() shows only on
     * its own SYN, this one (an endpoint's own transition never shows
     * before its own next segment): CLOSED until now, when the
     * client's SYN passed too, which it takes only now. */
    revise(out, si, snd->rx_frame, TCPS_CLOSED, TCPS_CLOSED, TCPS_REV_CROSSED_OWN);
    c->cross_ep = (uint8_t)si;
    c->cross_frame = seg->frame;
}

static void on_syn(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];

    if ((snd->facts & F_SYN_SENT) && (snd->facts & F_HAVE_ISN) && snd->isn == seg->seq) {
        syn_resent(c, si, seg, out);
        return;
    }
    if (snd->facts & (F_SYN_SENT | F_FIN_SENT | F_SYN_ACKED)) {
        /* A new SYN on a live connection: RFC 5961 §4 has the receiver
         * answer with a challenge ACK; nobody changes state. */
        out->events |= TCPS_EV_SYN_IN_SYNCHRONIZED;
        return;
    }
    /* An open: CLOSED -> SYN_SENT (§3.10.1 OPEN), and the receiver takes
     * it if it waits for one. */
    out->handshake_step = 1;
    if (si == SERVER && out->prev[CLIENT] == TCPS_SYN_SENT)
        syn_crosses_peer_syn(c, si, seg, out);
    snd->facts |= F_SYN_SENT | F_HAVE_ISN;
    snd->isn = seg->seq;
    receive_syn(rcv, (tcps_state)out->prev[!si], seg, out);
}

/* Its own SYN/ACK or ACK answers the question F_SIMOPEN_SYN kept open. */
static void forget_simopen_syn(tcps_endpoint *e)
{
    if (e->facts & F_SIMOPEN_SYN) {
        e->facts &= ~F_SIMOPEN_SYN;
        e->fin_frame = 0;
    }
}

static void on_synack(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    tcps_state rs = (tcps_state)out->prev[!si];

    forget_simopen_syn(snd);

    out->handshake_step = 2;
    if (snd->facts & F_SYNACK_SENT) {
        out->events |= TCPS_EV_SYNACK_RETRANSMIT;
        if (snd->facts & F_SYN_ACKED) {
            /* It resends its SYN/ACK, so it had not received the ACK we
             * took as completing its handshake: it was still SYN_RCVD. */
            contradicted(c, si, F_SYN_ACKED, seg->time_ns, out);
        }
    } else {
        /* The first SYN/ACK answers the peer's SYN: a round-trip sample. */
        sample_rtt(snd, rcv, seg->time_ns);
        snd->facts |= F_SYN_SENT | F_SYNACK_SENT | F_SYN_RCVD;
        if (!(snd->facts & F_HAVE_ISN)) {
            snd->facts |= F_HAVE_ISN;
            snd->isn = seg->seq;
        }
    }

    if (rs == TCPS_SYN_SENT || rs == TCPS_SYN_RCVD) {
        /* §3.10.7.3: the SYN/ACK is acceptable if ISS < SEG.ACK =< SND.NXT. */
        if (syn_acked(rcv, seg->ack)) {
            rcv->facts |= F_SYN_RCVD | F_SYN_ACKED;
            received(rcv, seg, out);
        } else {
            out->events |= TCPS_EV_BAD_HANDSHAKE_ACK;
        }
    }
}

/* Segments with ACK set and no SYN or RST: data, bare ACKs, FINs (§3.10.7.4).
 * The jobs below run in this order, each deciding one thing; the sender's
 * come first (what its own segment proves about it), then the receiver's
 * (what the segment does to it, assuming it arrives: the reading rule). */

/* Sender, job 1: it sends a bare ACK where we had it answer the peer's bare
 * SYN with a SYN/ACK. We took that SYN as reaching it in SYN_SENT; then it
 * would have answered with a SYN/ACK from SYN_RCVD (§3.10.7.3). It sends a
 * bare ACK instead, never a SYN/ACK: the peer's SYN/ACK found it still in
 * SYN_SENT, which acknowledges it and goes ESTABLISHED (§3.10.7.3). The bare
 * SYN never reached it; the SYN/ACK carries the same SYN, so it stands. It
 * held SYN_SENT from when we showed it taking that SYN (or sending its own
 * SYN, if that crossed it) until now. */
static void ack_shows_simopen_syn_lost(tcps_conn *c, int si, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si];
    uint32_t from;

    if (!(snd->facts & F_SIMOPEN_SYN) || (snd->facts & F_SYNACK_SENT) ||
        out->prev[si] != TCPS_ESTABLISHED || !snd->fin_frame)
        return;
    from = snd->fin_frame;
    if (c->cross_ep == si && c->cross_frame > from)
        from = c->cross_frame;
    out->prev[si] = TCPS_SYN_SENT;
    revise(out, si, from, TCPS_SYN_SENT, TCPS_NUM_STATES, TCPS_REV_LOST);
    out->events |= TCPS_EV_LOSS_REVEALED;
    out->lost_frame = snd->fin_frame;
}

/* Sender, job 2: a SYN_SENT endpoint sends a plain ACK only after a SYN/ACK:
 * we missed it (§3.10.7.3), and it is ESTABLISHED. */
static void ack_shows_synack_missed(tcps_conn *c, int si, const tcps_result *out)
{
    if (out->prev[si] == TCPS_SYN_SENT)
        c->ep[si].facts |= F_SYN_RCVD | F_SYN_ACKED;
}

/* Sender, job 3: its FIN follows the peer's RST, which closed it, within one
 * round trip: it sent the FIN before the RST arrived, and a socket the RST
 * closed sends nothing (§3.10.7.4). The RST crossed its close(): it entered
 * FIN_WAIT_1 (or LAST_ACK) by sending this FIN, then CLOSED on the RST. In
 * hindsight it held its earlier state until now. */
static void fin_shows_rst_crossed(tcps_conn *c, int si, const tcps_segment *seg,
                                  tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si];
    tcps_endpoint before;

    if (out->prev[si] != TCPS_CLOSED || !(snd->facts & F_CLOSED) || !(c->flags & C_RESET) ||
        (snd->facts & F_FIN_SENT) || !snd->rx_frame || !(snd->facts & F_HAVE_NXT) ||
        seg->seq != snd->nxt || !crossed(snd, seg->time_ns))
        return;
    before = *snd;
    before.facts &= ~F_CLOSED;
    revise(out, si, snd->rx_frame, ep_state(&before), TCPS_NUM_STATES, TCPS_REV_CROSSED_OWN);
    before.facts |= F_FIN_SENT | ((before.facts & F_PEER_FIN) ? 0 : F_ACTIVE_CLOSE);
    out->prev[si] = (uint8_t)ep_state(&before);
    c->cross_ep = (uint8_t)si;
    c->cross_frame = seg->frame;
}

/* Sender, job 4: its ACK field tells whether it has taken the peer's FIN
 * (the peer has sent one). */
static void ack_field_shows_peer_fin(tcps_conn *c, int si, const tcps_segment *seg,
                                     tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    bool fin = seg->flags & TCPS_TH_FIN;

    if (ack_covers(seg->ack, rcv->fin_seq) && !(snd->facts & F_PEER_FIN)) {
        /* It has: the queued FIN, or one the capture shows a hole
         * before, was in sequence by then. */
        snd->facts = (snd->facts | F_PEER_FIN) & ~F_FIN_QUEUED;
        if (fin)
            out->prev[si] = (uint8_t)ep_state(snd);   /* took it, then closed */
    } else if (!fin && seq_lt(seg->ack, rcv->fin_seq) && (snd->facts & F_PEER_FIN) &&
               !(snd->facts & F_FIN_SENT) && snd->rx_frame == rcv->fin_frame &&
               (snd->facts & F_HAVE_RTT) &&
               (!crossed(snd, seg->time_ns) || hole_shown(rcv, seg->ack, snd, seg->time_ns))) {
        /* An ACK below the FIN, sent a round trip after the FIN passed:
         * data before the FIN is missing, so the FIN waits in its queue
         * and it is still ESTABLISHED (§3.10.7.4). The FIN was not lost:
         * it is taken once the hole is filled. */
        tcps_endpoint before = *snd;
        before.facts &= ~F_PEER_FIN;
        out->prev[si] = (uint8_t)ep_state(&before);
        revise(out, si, snd->rx_frame, (tcps_state)out->prev[si], TCPS_NUM_STATES,
               TCPS_REV_FIN_QUEUED);
        snd->facts = (snd->facts & ~F_PEER_FIN) | F_FIN_QUEUED;
        out->events |= TCPS_EV_FIN_OUT_OF_ORDER;
    }
}

/* Sender, job 5: its first FIN (§3.10.4 CLOSE), at sequence number `end`.
 * Which close it is: active (ESTABLISHED or SYN_RCVD -> FIN_WAIT_1),
 * passive (CLOSE_WAIT -> LAST_ACK), or simultaneous (FIN_WAIT_1, then
 * CLOSING when the peer's FIN comes in). */
static void fin_first(tcps_conn *c, int si, const tcps_segment *seg, uint32_t end,
                      tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];

    snd->facts |= F_FIN_SENT;
    snd->fin_seq = end;
    snd->fin_frame = seg->frame;
    if (!(c->flags & C_FIN_SEEN)) {
        c->flags |= C_FIN_SEEN;
        c->first_closer = (uint8_t)si;
    }
    if (!(snd->facts & F_PEER_FIN)) {
        /* §3.10.4 CLOSE: ESTABLISHED (or SYN_RCVD) -> FIN_WAIT_1. */
        snd->facts |= F_ACTIVE_CLOSE;
    } else if (!(rcv->facts & F_FIN_SENT) || !ack_covers(seg->ack, rcv->fin_seq)) {
        /* Its FIN does not acknowledge the peer's, so it was sent
         * before the peer's FIN arrived: the FINs crossed, a
         * simultaneous close (§3.6, figure 13). It went FIN_WAIT_1
         * on sending and CLOSING when the peer's FIN came in. */
        tcps_endpoint before = *snd;

        snd->facts |= F_ACTIVE_CLOSE;
        out->events |= TCPS_EV_SIMULTANEOUS_CLOSE;
        out->prev[si] = TCPS_FIN_WAIT_1;
        /* Hindsight: it takes the peer's FIN only now, and its
         * close() shows only on its own FIN, this one: until now it
         * held the state it had before the peer's FIN. */
        before.facts &= ~(F_PEER_FIN | F_FIN_SENT | F_ACTIVE_CLOSE);
        revise(out, si, snd->rx_frame, ep_state(&before), TCPS_NUM_STATES,
               TCPS_REV_CROSSED_OWN);
        c->cross_ep = (uint8_t)si;
        c->cross_frame = seg->frame;
    }
    /* Otherwise CLOSE_WAIT -> LAST_ACK. */
    out->teardown_steps |= (uint8_t)(c->first_closer == si ? 1u : 4u);
}

/* Sender, job 6: the same FIN again (§3.10.7.4 retransmission): what the
 * retransmission proves it never received. */
static void fin_resent(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];

    out->events |= TCPS_EV_FIN_RETRANSMIT;
    out->teardown_steps |= (uint8_t)(c->first_closer == si ? 1u : 4u);
    if (snd->facts & F_FIN_ACKED) {
        /* It sends its FIN again, so it had not received the ACK we
         * took as acknowledging it: typically the lost final ACK
         * that TIME_WAIT exists for (§3.6). */
        contradicted(c, si, F_FIN_ACKED, seg->time_ns, out);
    } else if ((snd->facts & F_PEER_FIN) && (rcv->facts & F_FIN_SENT) &&
               !ack_covers(seg->ack, rcv->fin_seq)) {
        /* A retransmission timeout after the peer's FIN, its ACK
         * field still does not cover that FIN: the FIN never
         * reached it; in hindsight it held FIN_WAIT_1 until now.
         * If the peer's latest segment, which passed before this
         * one, sent its FIN again, that one arrives (the reading
         * rule), so it is CLOSING by this segment. Otherwise it is
         * still FIN_WAIT_1, and the peer's next FIN brings CLOSING.
         * Two retransmission timers firing within one round trip
         * cannot be told apart from the wire before both FINs have
         * passed; the kernel (captures/kernel/simultaneous_close)
         * enters CLOSING on the FIN that reaches it, never before
         * that FIN passed the capture point. */
        if (!crossed(snd, seg->time_ns)) {
            tcps_endpoint before = *snd;
            bool resent = (rcv->facts & F_FIN_RESENT) && rcv->tx_frame > snd->rx_frame;
            before.facts &= ~F_PEER_FIN;
            revise(out, si, revised_from(c, si), ep_state(&before), TCPS_NUM_STATES,
                   TCPS_REV_LOST);
            mark_lost(snd, 0, out);
            if (!resent)
                snd->facts &= ~F_PEER_FIN;
        }
    }
}

/* Receiver, job 7: the ACK field (§3.10.7.4, fifth check). Returns whether
 * it changed the receiver. */
static bool receiver_takes_ack(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    bool changed = false;

    if ((rcv->facts & F_SYN_RCVD) && !(rcv->facts & F_SYN_ACKED)) {
        /* SYN_RCVD: an ACK that does not acknowledge the SYN is answered
         * with a RST and changes nothing. */
        if (syn_acked(rcv, seg->ack)) {
            /* SYN_RCVD -> ESTABLISHED: the handshake's third step, which
             * answers the SYN/ACK: a round-trip sample for the sender. */
            rcv->facts |= F_SYN_ACKED;
            sample_rtt(snd, rcv, seg->time_ns);
            if (!(rcv->facts & F_FIN_SENT))
                out->handshake_step = 3;
            changed = true;
        } else if (rcv->facts & F_SYNACK_SENT) {
            out->events |= TCPS_EV_BAD_HANDSHAKE_ACK;
        }
    }
    if ((rcv->facts & F_FIN_SENT) && !(rcv->facts & F_FIN_ACKED) &&
        ack_covers(seg->ack, rcv->fin_seq)) {
        /* FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT, LAST_ACK ->
         * CLOSED: its FIN is acknowledged. */
        rcv->facts |= F_FIN_ACKED;
        out->teardown_steps |= (uint8_t)(c->first_closer == si ? 8u : 2u);
        changed = true;
    }
    return changed;
}

/* Receiver, job 8: the FIN bit (eighth check); only a synchronized
 * receiver takes it, and only in sequence: with data before it missing,
 * it waits in the queue (§3.10.7.4). The capture shows such a hole when
 * the segment starts beyond everything its sender was seen to send; a hole
 * behind the capture point shows later, in the receiver's own ACKs.
 * Returns whether it changed the receiver. */
static bool receiver_takes_fin(tcps_conn *c, int si, const tcps_segment *seg, uint32_t end,
                               tcps_state rs, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    bool fin = seg->flags & TCPS_TH_FIN;

    if ((fin || (rcv->facts & F_FIN_QUEUED)) && (rcv->facts & (F_SYN_ACKED | F_FIN_SENT)) &&
        !(rcv->facts & F_PEER_FIN)) {
        bool hole = (snd->facts & F_HAVE_NXT) && seq_gt(seg->seq, snd->nxt);
        bool fills = !(rcv->facts & F_FIN_QUEUED) ||
                     ((rcv->facts & F_HAVE_ACK) && seq_le(seg->seq, rcv->last_ack) &&
                      seq_gt(end + (fin ? 1u : 0u), rcv->last_ack));
        if (fin && hole) {
            rcv->facts |= F_FIN_QUEUED;
            out->events |= TCPS_EV_FIN_OUT_OF_ORDER;
        } else if (fills) {
            /* ESTABLISHED -> CLOSE_WAIT, FIN_WAIT_1 -> CLOSING,
             * FIN_WAIT_2 -> TIME_WAIT. */
            rcv->facts = (rcv->facts | F_PEER_FIN) & ~F_FIN_QUEUED;
            return true;
        }
    } else if (fin && (rcv->facts & (F_SYN_ACKED | F_FIN_SENT)) && rs == TCPS_TIME_WAIT) {
        /* §3.10.7.4: a FIN in TIME_WAIT is acknowledged and restarts
         * the 2·MSL timeout. */
        rcv->tw_since_ns = seg->time_ns;
        out->events |= TCPS_EV_TIME_WAIT_RESTART;
    }
    return false;
}

static void on_ack_segment(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    bool fin = seg->flags & TCPS_TH_FIN;
    uint32_t end = seg->seq + seg->len;   /* where its FIN, if any, sits */
    tcps_state rs;
    bool changed;

    /* What the sender's own segment says about it. */
    ack_shows_simopen_syn_lost(c, si, out);
    forget_simopen_syn(snd);
    ack_shows_synack_missed(c, si, out);
    if (fin)
        fin_shows_rst_crossed(c, si, seg, out);
    if ((snd->facts & F_FIN_SENT) && seg->len > 0 && seq_gt(end, snd->fin_seq))
        out->events |= TCPS_EV_DATA_AFTER_FIN;
    if (rcv->facts & F_FIN_SENT)
        ack_field_shows_peer_fin(c, si, seg, out);
    if (fin && !(snd->facts & F_FIN_SENT))
        fin_first(c, si, seg, end, out);
    else if (fin && end == snd->fin_seq)
        fin_resent(c, si, seg, out);

    /* The receiver, assuming the segment arrives. */
    rs = (tcps_state)out->prev[!si];
    switch (rs) {
    case TCPS_CLOSED:
    case TCPS_LISTEN:     /* answers with a RST (§3.10.7.1, §3.10.7.2) */
    case TCPS_SYN_SENT:   /* drops it, or RST if it acks the wrong thing (§3.10.7.3) */
        return;
    default:
        break;
    }
    changed = receiver_takes_ack(c, si, seg, out);
    if (receiver_takes_fin(c, si, seg, end, rs, out))
        changed = true;
    if (changed)
        received(rcv, seg, out);
}

static void track_sequence_space(tcps_endpoint *snd, const tcps_segment *seg)
{
    uint16_t fl = seg->flags;
    uint32_t end;

    if (fl & TCPS_TH_RST)
        return;
    end = seg->seq + seg->len + ((fl & TCPS_TH_SYN) ? 1 : 0) + ((fl & TCPS_TH_FIN) ? 1 : 0);
    if (seg->len && seg->seq != snd->seg_seq[1]) {
        /* the starts of its last two data segments, for hole_shown() */
        snd->seg_seq[0] = snd->seg_seq[1];
        snd->seg_ns[0] = snd->seg_ns[1];
        snd->seg_seq[1] = seg->seq;
        snd->seg_ns[1] = seg->time_ns;
    }
    if (!(snd->facts & F_HAVE_NXT) || seq_gt(end, snd->nxt)) {
        snd->nxt = end;
        snd->facts |= F_HAVE_NXT;
    }
    if ((fl & TCPS_TH_ACK) &&
        (!(snd->facts & F_HAVE_ACK) || seq_gt(seg->ack, snd->last_ack))) {
        snd->last_ack = seg->ack;
        snd->facts |= F_HAVE_ACK;
    }
}

/* Is a bare SYN on a synchronized connection the first of a new one? The
 * old connection's close was not captured, but its ends are gone when the
 * 4-tuple has been silent for 2·MSL and the SYN's number lies outside the
 * old sequence space (further than TCPS_OLD_WINDOW from where the sender's
 * old data ended). A live connection would take such a SYN for an old
 * duplicate and answer it with a challenge ACK (RFC 5961 §4). */
#define TCPS_OLD_WINDOW (1u << 20)

static bool syn_opens_new_connection(const tcps_conn *c, const tcps_config *cfg,
                                     const tcps_segment *seg, int si)
{
    const tcps_endpoint *snd = &c->ep[si];
    int64_t two_msl_ns = (int64_t)cfg->msl_ms * 2 * 1000000;

    if (elapsed(last_ns(c), seg->time_ns) < two_msl_ns || !(snd->facts & F_HAVE_NXT))
        return false;
    return seq_ge(seg->seq, snd->nxt + TCPS_OLD_WINDOW) ||
           seq_lt(seg->seq, snd->nxt - TCPS_OLD_WINDOW);
}

/* A fresh start on the same 4-tuple, from this bare SYN. */
static void restart(tcps_conn *c, const tcps_segment *seg, tcps_result *out)
{
    bool progressed = (c->ep[CLIENT].facts | c->ep[SERVER].facts) &
                      (F_SYN_SENT | F_SYN_RCVD | F_FIN_SENT | F_CLOSED);

    conn_start(c, seg);
    if (progressed)
        out->events |= TCPS_EV_REUSE;
}

/* Step 1 of tcps_conn_process: which incarnation of the 4-tuple the segment
 * belongs to. The first segment starts one; a bare SYN once both ends are
 * gone starts a new one; a SYN/ACK answering a challenged SYN shows, in
 * hindsight, that the SYN started one. */
static void choose_incarnation(tcps_conn *c, const tcps_config *cfg, const tcps_segment *seg,
                               tcps_result *out)
{
    uint16_t fl = seg->flags;
    bool syn = fl & TCPS_TH_SYN, ack = fl & TCPS_TH_ACK;
    bool rst = fl & TCPS_TH_RST, fin = fl & TCPS_TH_FIN;
    int i;

    if (!(c->flags & C_STARTED)) {
        conn_start(c, seg);
        if (c->flags & C_MIDSTREAM)
            out->events |= TCPS_EV_MIDSTREAM;
    } else if (syn && !ack && !rst && !fin && !seg->bad_checksum &&
               ((tcps_state_is_idle(ep_state(&c->ep[CLIENT])) &&
                 tcps_state_is_idle(ep_state(&c->ep[SERVER]))) ||
                syn_opens_new_connection(c, cfg, seg,
                                         (seg->from_a == a_is_client(c)) ? CLIENT
                                                                                 : SERVER))) {
        /* A new SYN once both ends are gone (or in TIME_WAIT) opens a new
         * incarnation of the 4-tuple; Wireshark usually gives it a new
         * tcp.stream as well. */
        restart(c, seg, out);
    } else if (syn && ack && !rst && !fin && (c->flags & C_SYN_KEPT) &&
               seg->from_a != ((last_sender(c) == CLIENT) == a_is_client(c)) &&
               seg->ack == c->syn_seq + 1) {
        /* A SYN/ACK acknowledging a SYN that the old connection would have
         * answered with a challenge ACK: the peer had no old connection
         * either, so that SYN opened a new one (docs/semantics.md, 4-tuple
         * reuse). Start over from it; hindsight shows its frame as step 1.
         * The kept SYN is the latest segment: its sender's tx_frame and
         * tx_ns are its own. */
        const tcps_endpoint *kept = &c->ep[last_sender(c)];
        tcps_segment first = *seg;
        tcps_result at_syn;

        first.flags = TCPS_TH_SYN;
        first.seq = c->syn_seq;
        first.ack = 0;
        first.len = 0;
        first.from_a = !seg->from_a;
        first.time_ns = kept->tx_ns;
        first.frame = kept->tx_frame;
        first.src_port = seg->dst_port;
        first.dst_port = seg->src_port;
        c->flags &= (uint8_t)~C_STARTED;
        c->ep[CLIENT].facts |= F_CLOSED;   /* counts as a reuse */
        tcps_conn_process(c, cfg, &first, &at_syn);
        for (i = 0; i < 2; i++)
            revise(out, i, first.frame, (tcps_state)at_syn.state[i],
                   (tcps_state)at_syn.prev[i], TCPS_REV_NEW_CONN);
        out->events |= TCPS_EV_REUSE;
    }
    c->flags &= (uint8_t)~C_SYN_KEPT;
}

/* Step 2: both ends' states before the segment. TIME_WAIT ends 2·MSL after
 * it began (§3.10.7.4 TIME-WAIT). Fills was_tw for step 7. */
static void states_before(tcps_conn *c, const tcps_config *cfg, const tcps_segment *seg,
                          tcps_result *out, bool was_tw[2])
{
    int64_t two_msl_ns = (int64_t)cfg->msl_ms * 2 * 1000000;
    int i;

    for (i = 0; i < 2; i++) {
        tcps_endpoint *e = &c->ep[i];
        if (ep_state(e) == TCPS_TIME_WAIT && elapsed(e->tw_since_ns, seg->time_ns) >= two_msl_ns) {
            e->facts |= F_CLOSED;
            out->events |= TCPS_EV_TIME_WAIT_EXPIRED;
        }
        out->prev[i] = (uint8_t)ep_state(e);
        was_tw[i] = out->prev[i] == TCPS_TIME_WAIT;
    }
}

/* The segment classes the engine tells apart, by their control bits. */
typedef enum {
    SEG_DROPPED,    /* bad checksum: its receiver discards it (§3.1) */
    SEG_RST,        /* RST, whatever else is set (§3.10.7, RFC 5961 §3) */
    SEG_SYN_FIN,    /* SYN and FIN: meaningless */
    SEG_SYN,        /* bare SYN: an open (§3.10.7.2, §3.10.7.3) */
    SEG_SYNACK,     /* SYN/ACK: the answer to an open (§3.10.7.3) */
    SEG_NO_ACK,     /* neither SYN nor RST nor ACK */
    SEG_ACK,        /* ACK, with or without data or FIN (§3.10.7.4) */
} seg_class;

static seg_class classify(const tcps_segment *seg)
{
    uint16_t fl = seg->flags;

    if (seg->bad_checksum)
        return SEG_DROPPED;
    if (fl & TCPS_TH_RST)
        return SEG_RST;
    if ((fl & TCPS_TH_SYN) && (fl & TCPS_TH_FIN))
        return SEG_SYN_FIN;
    if (fl & TCPS_TH_SYN)
        return (fl & TCPS_TH_ACK) ? SEG_SYNACK : SEG_SYN;
    return (fl & TCPS_TH_ACK) ? SEG_ACK : SEG_NO_ACK;
}

/* Step 3: what the segment does to both ends: the one place that sends
 * each class of segment to its handler. Each handler decides first what
 * the segment proves about its sender, then what it does to its receiver
 * in that receiver's state (see docs/transitions.md for the resulting
 * table of state pairs). */
static void process_by_class(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    switch (classify(seg)) {
    case SEG_DROPPED:
        out->events |= TCPS_EV_BAD_CHECKSUM;
        break;
    case SEG_RST:
        on_rst(c, si, seg, out);
        break;
    case SEG_SYN_FIN:
        /* Stacks drop it (Linux: tcp_rcv_state_process). */
        out->events |= TCPS_EV_INVALID_FLAGS;
        break;
    case SEG_SYN:
        on_syn(c, si, seg, out);
        break;
    case SEG_SYNACK:
        on_synack(c, si, seg, out);
        break;
    case SEG_NO_ACK:
        /* §3.10.7.4: "if the ACK bit is off, drop the segment". */
        out->events |= TCPS_EV_INVALID_FLAGS;
        break;
    case SEG_ACK:
        on_ack_segment(c, si, seg, out);
        break;
    }
}

/* Step 4: a bare SYN on a live connection draws a challenge ACK (RFC 5961
 * §4); keep it in case a SYN/ACK shows it opened a new connection (step 1
 * of the next segment). */
static void remember_challenged_syn(tcps_conn *c, const tcps_segment *seg, const tcps_result *out)
{
    /* note_sent records its frame and time as the sender's latest; a
     * frame 0 keeps nothing. */
    if ((out->events & TCPS_EV_SYN_IN_SYNCHRONIZED) && seg->frame) {
        c->flags |= C_SYN_KEPT;
        c->syn_seq = seg->seq;
    }
}

/* Step 5: keep-alive probes (SEG.SEQ = SND.NXT-1, at most one octet): the
 * sender's first one not answered yet, for on_rst's PEER_SILENT. Any
 * segment answers the peer's. */
static void track_keepalive(tcps_conn *c, int si, const tcps_segment *seg, const tcps_result *out)
{
    uint16_t fl = seg->flags;

    if (out->events & TCPS_EV_BAD_CHECKSUM)   /* never arrives: no answer */
        return;
    c->ep[!si].probe_ns = 0;
    if ((fl & TCPS_TH_ACK) && !(fl & (TCPS_TH_SYN | TCPS_TH_FIN | TCPS_TH_RST)) &&
        seg->len <= 1 && (c->ep[si].facts & F_HAVE_NXT) && seg->seq == c->ep[si].nxt - 1) {
        if (!c->ep[si].probe_ns)
            c->ep[si].probe_ns = seg->time_ns;
    } else {
        c->ep[si].probe_ns = 0;
    }
}

/* Step 6: what the sender has now sent, for judging later segments. */
static void note_sent(tcps_conn *c, int si, const tcps_segment *seg, const tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si];

    /* A dropped segment, or a SYN from outside the connection's sequence
     * space, says nothing about what the sender has sent in it. */
    if (!(out->events & (TCPS_EV_INVALID_FLAGS | TCPS_EV_SYN_IN_SYNCHRONIZED |
                         TCPS_EV_BAD_CHECKSUM)))
        track_sequence_space(snd, seg);
    snd->tx_ns = seg->time_ns;
    snd->tx_frame = seg->frame;
    snd->facts |= F_HAVE_TX;
    if (out->events & TCPS_EV_FIN_RETRANSMIT)
        snd->facts |= F_FIN_RESENT;
    else
        snd->facts &= ~F_FIN_RESENT;
    c->flags = (uint8_t)((c->flags & ~C_LAST_SERVER) | (si == SERVER ? C_LAST_SERVER : 0));
}

/* Step 7: both ends' states after the segment, when a TIME_WAIT starts
 * (for step 2's 2·MSL), and the phase. A CLOSED sender of anything but a
 * RST or an opening SYN has no connection to send it on (§3.10.7.1). */
static void states_after(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out,
                         const bool was_tw[2])
{
    uint16_t fl = seg->flags;
    int i;

    if (out->prev[si] == TCPS_CLOSED && !(fl & TCPS_TH_RST) &&
        !((fl & TCPS_TH_SYN) && !(fl & TCPS_TH_ACK)) &&
        !(out->events & (TCPS_EV_INVALID_FLAGS | TCPS_EV_BAD_CHECKSUM)))
        out->events |= TCPS_EV_FROM_CLOSED;

    for (i = 0; i < 2; i++) {
        out->state[i] = (uint8_t)ep_state(&c->ep[i]);
        if (out->state[i] == TCPS_TIME_WAIT && !was_tw[i])
            c->ep[i].tw_since_ns = seg->time_ns;
    }
    out->phase = (uint8_t)tcps_phase_of(out->state[CLIENT], out->state[SERVER],
                                        out->handshake_step, (c->flags & C_RESET) != 0,
                                        (c->flags & C_FIN_SEEN) != 0);
    out->midstream = (c->flags & C_MIDSTREAM) != 0;
}

void tcps_conn_process(tcps_conn *c, const tcps_config *cfg,
                       const tcps_segment *seg, tcps_result *out)
{
    bool was_tw[2];
    int si;

    memset(out, 0, sizeof *out);
    choose_incarnation(c, cfg, seg, out);
    si = (seg->from_a == a_is_client(c)) ? CLIENT : SERVER;
    out->from_client = (si == CLIENT);
    states_before(c, cfg, seg, out, was_tw);
    process_by_class(c, si, seg, out);
    remember_challenged_syn(c, seg, out);
    track_keepalive(c, si, seg, out);
    note_sent(c, si, seg, out);
    states_after(c, si, seg, out, was_tw);
}

/* Append s at *at (the caller's buffer holds any summary). */
static char *put_str(char *at, const char *s)
{
    size_t n = strlen(s);

    memcpy(at, s, n);
    return at + n;
}

/* "C:ESTABLISHED>FIN_WAIT_1 S:ESTABLISHED", cut to size as snprintf would
 * cut it. Built with copies, not snprintf: a tree shows it on every
 * segment, and two snprintf calls were 2,000 instructions a frame. */
void tcps_result_summary(const tcps_result *r, char *buf, unsigned size)
{
    static const char tag[2] = { 'C', 'S' };
    /* the longest is 51 characters: two tags, four names of at most 11
     * (ESTABLISHED), two '>' and a space */
    char full[96], *at = full;
    size_t n;
    int i;

    if (size == 0)
        return;
    for (i = 0; i < 2; i++) {
        if (i)
            *at++ = ' ';
        *at++ = tag[i];
        *at++ = ':';
        if (r->prev[i] != r->state[i]) {
            at = put_str(at, tcps_state_name((tcps_state)r->prev[i]));
            *at++ = '>';
        }
        at = put_str(at, tcps_state_name((tcps_state)r->state[i]));
    }
    n = (size_t)(at - full);
    if (n >= size)
        n = size - 1;
    memcpy(buf, full, n);
    buf[n] = '\0';
}
