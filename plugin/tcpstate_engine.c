/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_engine.c — the pure TCP connection state engine.
 *
 * Each endpoint keeps a handful of facts (sent a SYN, had its FIN acked, ...)
 * and its RFC 9293 state is derived from them. Deriving rather than storing
 * the state keeps corrections local: when a later segment proves that an
 * assumed arrival never happened, we drop that one fact and the state
 * follows, instead of unwinding a transition table.
 *
 * Section numbers refer to RFC 9293 unless stated otherwise.
 */
#include "tcpstate_engine.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

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

#define F_SYNCHRONIZED (F_SYN_SENT | F_SYN_RCVD | F_SYN_ACKED)

/* Connection flags. */
#define C_STARTED      0x01
#define C_A_IS_CLIENT  0x02
#define C_MIDSTREAM    0x04
#define C_RESET        0x08
#define C_FIN_SEEN     0x10

#define CLIENT 0
#define SERVER 1

/* Sequence space is modulo 2^32 (§3.4): compare by signed difference. */
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

static const char *const state_names[TCPS_NUM_STATES] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
    "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT", "CLOSE_WAIT",
    "LAST_ACK",
};

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

bool tcps_state_is_idle(tcps_state s)
{
    return s == TCPS_CLOSED || s == TCPS_LISTEN || s == TCPS_TIME_WAIT;
}

void tcps_conn_init(tcps_conn *conn)
{
    memset(conn, 0, sizeof *conn);
}

/* Offsets from the connection's first segment, so one endpoint fits in 40
 * bytes: microseconds for round trips, milliseconds for TIME_WAIT. */
static uint32_t offset(const tcps_conn *c, int64_t t_ns, int64_t unit_ns)
{
    int64_t d = t_ns - c->t0_ns;

    if (d <= 0)
        return 0;
    d /= unit_ns;
    return d > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static uint32_t now_us(const tcps_conn *c, const tcps_segment *seg)
{
    return offset(c, seg->time_ns, 1000);
}

/* Segment seg changed e by arriving: remember it, in case e later shows it
 * never arrived. */
static void received(tcps_endpoint *e, const tcps_conn *c, const tcps_segment *seg,
                     tcps_result *out)
{
    e->rx_frame = seg->frame;
    e->rx_us = now_us(c, seg);
    out->rx_recorded = true;
}

/* The handshake gives the round trip from the capture point to each end and
 * back: SYN to SYN/ACK for the server, SYN/ACK to ACK for the client. */
static void sample_rtt(tcps_endpoint *responder, const tcps_endpoint *asker, uint32_t now)
{
    uint32_t rtt;

    if (!(asker->facts & F_HAVE_TX))
        return;
    rtt = now - asker->tx_us;
    if (!(responder->facts & F_HAVE_RTT) || rtt < responder->rtt_us) {
        responder->rtt_us = rtt;
        responder->facts |= F_HAVE_RTT;
    }
}

/* Was the segment that last changed e still in flight when e sent the one
 * now passing? Only if e sent it less than one round trip (capture point ->
 * e -> capture point) after that segment passed us: then the two crossed.
 * Without a measured round trip, a contradiction counts as a loss. */
static bool crossed(const tcps_endpoint *e, uint32_t now)
{
    return (e->facts & F_HAVE_RTT) && now - e->rx_us < e->rtt_us;
}

/* True once the engine has decided that endpoint A is the client. */
static bool a_is_client(const tcps_conn *conn)
{
    return (conn->flags & C_A_IS_CLIENT) != 0;
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
    c->t0_ns = seg->time_ns;
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
        if (!(seg->flags & TCPS_TH_ACK))
            return false;
        if (!(rcv->facts & F_HAVE_ISN))
            return true;
        return seq_gt(seg->ack, rcv->isn) && seq_le(seg->ack, rcv->nxt);
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
    e->facts = (uint16_t)(e->facts & ~facts_to_drop);
    if (e->rx_frame) {
        out->events |= TCPS_EV_LOSS_REVEALED;
        out->lost_frame = e->rx_frame;
        e->rx_frame = 0;
    }
}

static void on_rst(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    tcps_state ss = (tcps_state)out->prev[si], rs = (tcps_state)out->prev[!si];
    bool accepted = rst_acceptable(snd, rcv, rs, seg);

    if (accepted) {
        out->events |= TCPS_EV_RST_ACCEPTED;
        if (rs == TCPS_SYN_SENT)
            out->events |= TCPS_EV_REFUSED;
        if (rs == TCPS_TIME_WAIT)
            out->events |= TCPS_EV_TIME_WAIT_ASSASSINATED;
        if (rs == TCPS_SYN_RCVD && (rcv->facts & F_PASSIVE)) {
            /* §3.10.7.4: a passive open goes back to LISTEN and forgets the
             * half-open connection; figure 9 recovers from an old duplicate
             * SYN this way. The connection itself goes on: no reset. */
            rcv->facts = (uint16_t)(rcv->facts &
                                    ~(F_SYN_SENT | F_SYNACK_SENT | F_SYN_RCVD | F_SYN_ACKED |
                                      F_HAVE_ISN | F_HAVE_NXT | F_HAVE_ACK));
        } else {
            rcv->facts |= F_CLOSED;
            c->flags |= C_RESET;
        }
        received(rcv, c, seg, out);
    } else if (rs != TCPS_CLOSED && rs != TCPS_LISTEN) {
        out->events |= TCPS_EV_RST_IGNORED;
    }

    /* A sender that had a connection aborts it. From LISTEN, CLOSED or
     * SYN_SENT a RST only answers a stray segment (§3.10.7.1-3), and the
     * sender stays where it was. A real abort carries the sender's own
     * SND.NXT, so a RST the receiver rejects on sequence grounds did not
     * come from the sender's live connection (stale or injected): it closes
     * nobody. */
    if (ss != TCPS_CLOSED && ss != TCPS_LISTEN && ss != TCPS_SYN_SENT &&
        (accepted || rs == TCPS_CLOSED || rs == TCPS_LISTEN)) {
        snd->facts |= F_CLOSED;
        c->flags |= C_RESET;
    }
}

/* The sender's own segment contradicts facts that the segment which last
 * changed it gave it. Its state when sending is without those facts. If
 * that segment was still in flight (crossed), it arrives afterwards and the
 * facts stand; otherwise it was lost. */
static void contradicted(tcps_endpoint *e, int si, uint32_t facts, uint32_t now,
                         tcps_result *out)
{
    tcps_endpoint before = *e;

    before.facts = (uint16_t)(before.facts & ~facts);
    out->prev[si] = (uint8_t)ep_state(&before);
    if (!crossed(e, now))
        mark_lost(e, facts, out);
}

/* The receiver takes a SYN if it is waiting for one (§3.10.7.2 LISTEN,
 * §3.10.7.3 SYN_SENT: simultaneous open). */
static void receive_syn(const tcps_conn *c, tcps_endpoint *rcv, tcps_state rs,
                        const tcps_segment *seg, tcps_result *out)
{
    if ((rs == TCPS_LISTEN || rs == TCPS_SYN_SENT) && !(rcv->facts & F_SYN_RCVD)) {
        rcv->facts |= F_SYN_RCVD;
        received(rcv, c, seg, out);
    }
}

static void on_syn(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];

    if ((snd->facts & F_SYN_SENT) && (snd->facts & F_HAVE_ISN) && snd->isn == seg->seq) {
        out->handshake_step = 1;
        out->events |= TCPS_EV_SYN_RETRANSMIT;
        if ((snd->facts & F_SYN_RCVD) && !(snd->facts & F_SYNACK_SENT)) {
            /* It sends its bare SYN again, so it had not received the
             * SYN/ACK we took as received: it was still in SYN_SENT. */
            contradicted(snd, si, F_SYN_RCVD | F_SYN_ACKED, now_us(c, seg), out);
        }
        receive_syn(c, rcv, (tcps_state)out->prev[!si], seg, out);
        return;
    }
    if (snd->facts & (F_SYN_SENT | F_FIN_SENT | F_SYN_ACKED)) {
        /* A new SYN on a live connection: RFC 5961 §4 has the receiver
         * answer with a challenge ACK; nobody changes state. */
        out->events |= TCPS_EV_SYN_IN_SYNCHRONIZED;
        return;
    }
    out->handshake_step = 1;
    if (si == SERVER && out->prev[CLIENT] == TCPS_SYN_SENT) {
        /* The listener side sends a bare SYN of its own: simultaneous open
         * (§3.5, figure 7). Its SYN crossed the client's, so it went
         * SYN_SENT on sending and SYN_RCVD when the client's SYN came in.
         * We show that on this segment: prev SYN_SENT, after SYN_RCVD. */
        out->events |= TCPS_EV_SIMULTANEOUS_OPEN;
        snd->facts = (uint16_t)(snd->facts & ~F_PASSIVE);
        out->prev[si] = TCPS_SYN_SENT;
    }
    snd->facts |= F_SYN_SENT | F_HAVE_ISN;
    snd->isn = seg->seq;
    receive_syn(c, rcv, (tcps_state)out->prev[!si], seg, out);
}

static void on_synack(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    tcps_state rs = (tcps_state)out->prev[!si];

    out->handshake_step = 2;
    if (snd->facts & F_SYNACK_SENT) {
        out->events |= TCPS_EV_SYNACK_RETRANSMIT;
        if (snd->facts & F_SYN_ACKED) {
            /* It resends its SYN/ACK, so it had not received the ACK we
             * took as completing its handshake: it was still SYN_RCVD. */
            contradicted(snd, si, F_SYN_ACKED, now_us(c, seg), out);
        }
    } else {
        /* The first SYN/ACK answers the peer's SYN: a round-trip sample. */
        sample_rtt(snd, rcv, now_us(c, seg));
        snd->facts |= F_SYN_SENT | F_SYNACK_SENT | F_SYN_RCVD;
        if (!(snd->facts & F_HAVE_ISN)) {
            snd->facts |= F_HAVE_ISN;
            snd->isn = seg->seq;
        }
    }

    if (rs == TCPS_SYN_SENT || rs == TCPS_SYN_RCVD) {
        /* §3.10.7.3: the SYN/ACK is acceptable if ISS < SEG.ACK =< SND.NXT. */
        bool ok = !(rcv->facts & F_HAVE_ISN) ||
                  (seq_gt(seg->ack, rcv->isn) &&
                   (!(rcv->facts & F_HAVE_NXT) || seq_le(seg->ack, rcv->nxt)));
        if (ok) {
            rcv->facts |= F_SYN_RCVD | F_SYN_ACKED;
            received(rcv, c, seg, out);
        } else {
            out->events |= TCPS_EV_BAD_HANDSHAKE_ACK;
        }
    }
}

static void on_ack_segment(tcps_conn *c, int si, const tcps_segment *seg, tcps_result *out)
{
    tcps_endpoint *snd = &c->ep[si], *rcv = &c->ep[!si];
    bool fin = seg->flags & TCPS_TH_FIN;
    uint32_t end = seg->seq + seg->len;
    tcps_state rs;
    bool changed = false;

    /* What the sender's own segment says about it. */
    if (out->prev[si] == TCPS_SYN_SENT) {
        /* A SYN_SENT endpoint sends a plain ACK only after a SYN/ACK: we
         * missed it (§3.10.7.3). */
        snd->facts |= F_SYN_RCVD | F_SYN_ACKED;
    }
    if ((snd->facts & F_FIN_SENT) && seg->len > 0 && seq_gt(end, snd->fin_seq))
        out->events |= TCPS_EV_DATA_AFTER_FIN;
    if (fin) {
        if (!(snd->facts & F_FIN_SENT)) {
            snd->facts |= F_FIN_SENT;
            snd->fin_seq = end;
            if (!(c->flags & C_FIN_SEEN)) {
                c->flags |= C_FIN_SEEN;
                c->first_closer = (uint8_t)si;
            }
            if (!(snd->facts & F_PEER_FIN)) {
                /* §3.10.4 CLOSE: ESTABLISHED (or SYN_RCVD) -> FIN_WAIT_1. */
                snd->facts |= F_ACTIVE_CLOSE;
            } else if (!(rcv->facts & F_FIN_SENT) || !seq_gt(seg->ack, rcv->fin_seq)) {
                /* Its FIN does not acknowledge the peer's, so it was sent
                 * before the peer's FIN arrived: the FINs crossed, a
                 * simultaneous close (§3.6, figure 13). It went FIN_WAIT_1
                 * on sending and CLOSING when the peer's FIN came in. */
                snd->facts |= F_ACTIVE_CLOSE;
                out->events |= TCPS_EV_SIMULTANEOUS_CLOSE;
                out->prev[si] = TCPS_FIN_WAIT_1;
            }
            /* Otherwise CLOSE_WAIT -> LAST_ACK. */
            out->teardown_steps |= (uint8_t)(c->first_closer == si ? 1u : 4u);
        } else if (end == snd->fin_seq) {
            out->events |= TCPS_EV_FIN_RETRANSMIT;
            out->teardown_steps |= (uint8_t)(c->first_closer == si ? 1u : 4u);
            if (snd->facts & F_FIN_ACKED) {
                /* It sends its FIN again, so it had not received the ACK we
                 * took as acknowledging it: typically the lost final ACK
                 * that TIME_WAIT exists for (§3.6). */
                contradicted(snd, si, F_FIN_ACKED, now_us(c, seg), out);
            } else if ((snd->facts & F_PEER_FIN) && (rcv->facts & F_FIN_SENT) &&
                       !seq_gt(seg->ack, rcv->fin_seq)) {
                /* A retransmission timeout after the peer's FIN, its ACK
                 * field still does not cover that FIN: the FIN never
                 * reached it. The states stand: its FIN crosses the peer's
                 * retransmission as the first ones crossed (figure 13), so
                 * it still ends in CLOSING. Only the loss is reported. */
                if (!crossed(snd, now_us(c, seg)))
                    mark_lost(snd, 0, out);
            }
        }
    }

    /* The receiver, assuming the segment arrives. CLOSED and LISTEN answer
     * with a RST, SYN_SENT drops it (§3.10.7.1-3). */
    rs = (tcps_state)out->prev[!si];
    if (rs == TCPS_CLOSED || rs == TCPS_LISTEN || rs == TCPS_SYN_SENT)
        return;

    /* The ACK field (§3.10.7.4, fifth check). In SYN_RCVD an ACK that does
     * not acknowledge the SYN is answered with a RST and changes nothing. */
    if ((rcv->facts & F_SYN_RCVD) && !(rcv->facts & F_SYN_ACKED) &&
        (rcv->facts & F_HAVE_ISN) && (rcv->facts & F_SYNACK_SENT) &&
        !(seq_gt(seg->ack, rcv->isn) &&
          (!(rcv->facts & F_HAVE_NXT) || seq_le(seg->ack, rcv->nxt))))
        out->events |= TCPS_EV_BAD_HANDSHAKE_ACK;
    if ((rcv->facts & F_SYN_RCVD) && !(rcv->facts & F_SYN_ACKED) &&
        (!(rcv->facts & F_HAVE_ISN) ||
         (seq_gt(seg->ack, rcv->isn) &&
          (!(rcv->facts & F_HAVE_NXT) || seq_le(seg->ack, rcv->nxt))))) {
        /* SYN_RCVD -> ESTABLISHED: the handshake's third step, which
         * answers the SYN/ACK: a round-trip sample for the sender. */
        rcv->facts |= F_SYN_ACKED;
        sample_rtt(snd, rcv, now_us(c, seg));
        if (!(rcv->facts & F_FIN_SENT))
            out->handshake_step = 3;
        changed = true;
    }
    if ((rcv->facts & F_FIN_SENT) && !(rcv->facts & F_FIN_ACKED) &&
        seq_gt(seg->ack, rcv->fin_seq)) {
        rcv->facts |= F_FIN_ACKED;
        out->teardown_steps |= (uint8_t)(c->first_closer == si ? 8u : 2u);
        changed = true;
    }

    /* The FIN bit (eighth check); only a synchronized receiver takes it. */
    if (fin && (rcv->facts & (F_SYN_ACKED | F_FIN_SENT))) {
        if (!(rcv->facts & F_PEER_FIN)) {
            rcv->facts |= F_PEER_FIN;
            changed = true;
        } else if (rs == TCPS_TIME_WAIT) {
            /* §3.10.7.4: a FIN in TIME_WAIT is acknowledged and restarts
             * the 2·MSL timeout. */
            rcv->tw_since_ms = offset(c, seg->time_ns, 1000000);
            out->events |= TCPS_EV_TIME_WAIT_RESTART;
        }
    }
    if (changed)
        received(rcv, c, seg, out);
}

static tcps_phase conn_phase(const tcps_conn *c, const uint8_t st[2])
{
    bool idle0 = st[CLIENT] == TCPS_CLOSED || st[CLIENT] == TCPS_LISTEN;
    bool idle1 = st[SERVER] == TCPS_CLOSED || st[SERVER] == TCPS_LISTEN;

    if (c->flags & C_RESET)
        return TCPS_PHASE_RESET;
    if (idle0 && idle1)
        return TCPS_PHASE_CLOSED;
    if (c->flags & C_FIN_SEEN)
        return TCPS_PHASE_TEARDOWN;
    if (st[CLIENT] == TCPS_ESTABLISHED && st[SERVER] == TCPS_ESTABLISHED)
        return TCPS_PHASE_DATA_TRANSFER;
    return TCPS_PHASE_HANDSHAKE;
}

static void track_sequence_space(tcps_endpoint *snd, const tcps_segment *seg)
{
    uint16_t fl = seg->flags;
    uint32_t end;

    if (fl & TCPS_TH_RST)
        return;
    end = seg->seq + seg->len + ((fl & TCPS_TH_SYN) ? 1 : 0) + ((fl & TCPS_TH_FIN) ? 1 : 0);
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

void tcps_conn_process(tcps_conn *c, const tcps_config *cfg,
                       const tcps_segment *seg, tcps_result *out)
{
    uint16_t fl = seg->flags;
    bool syn = fl & TCPS_TH_SYN, ack = fl & TCPS_TH_ACK;
    bool rst = fl & TCPS_TH_RST, fin = fl & TCPS_TH_FIN;
    int64_t two_msl_ms = (int64_t)cfg->msl_ms * 2;
    bool was_tw[2];
    int si, i;

    memset(out, 0, sizeof *out);

    if (!(c->flags & C_STARTED)) {
        conn_start(c, seg);
        if (c->flags & C_MIDSTREAM)
            out->events |= TCPS_EV_MIDSTREAM;
    } else if (syn && !ack && !rst && !fin &&
               tcps_state_is_idle(ep_state(&c->ep[CLIENT])) &&
               tcps_state_is_idle(ep_state(&c->ep[SERVER]))) {
        /* A new SYN once both ends are gone (or in TIME_WAIT) opens a new
         * incarnation of the 4-tuple; Wireshark usually gives it a new
         * tcp.stream as well. */
        bool progressed = (c->ep[CLIENT].facts | c->ep[SERVER].facts) &
                          (F_SYN_SENT | F_SYN_RCVD | F_FIN_SENT | F_CLOSED);
        conn_start(c, seg);
        if (progressed)
            out->events |= TCPS_EV_REUSE;
    }

    si = (seg->from_a == a_is_client(c)) ? CLIENT : SERVER;
    out->from_client = (si == CLIENT);

    /* TIME_WAIT ends 2·MSL after it began (§3.10.7.4 TIME-WAIT). */
    for (i = 0; i < 2; i++) {
        tcps_endpoint *e = &c->ep[i];
        if (ep_state(e) == TCPS_TIME_WAIT &&
            (int64_t)offset(c, seg->time_ns, 1000000) - e->tw_since_ms >= two_msl_ms) {
            e->facts |= F_CLOSED;
            out->events |= TCPS_EV_TIME_WAIT_EXPIRED;
        }
        out->prev[i] = (uint8_t)ep_state(e);
        was_tw[i] = out->prev[i] == TCPS_TIME_WAIT;
    }

    if (rst) {
        on_rst(c, si, seg, out);
    } else if (syn && fin) {
        /* Meaningless; stacks drop it (Linux: tcp_rcv_state_process). */
        out->events |= TCPS_EV_INVALID_FLAGS;
    } else if (syn && !ack) {
        on_syn(c, si, seg, out);
    } else if (syn) {
        on_synack(c, si, seg, out);
    } else if (!ack) {
        /* §3.10.7.4: "if the ACK bit is off, drop the segment". */
        out->events |= TCPS_EV_INVALID_FLAGS;
    } else {
        on_ack_segment(c, si, seg, out);
    }
    /* A dropped segment, or a SYN from outside the connection's sequence
     * space, says nothing about what the sender has sent in it. */
    if (!(out->events & (TCPS_EV_INVALID_FLAGS | TCPS_EV_SYN_IN_SYNCHRONIZED)))
        track_sequence_space(&c->ep[si], seg);
    c->ep[si].tx_us = now_us(c, seg);
    c->ep[si].facts |= F_HAVE_TX;

    if (out->prev[si] == TCPS_CLOSED && !rst && !(syn && !ack) &&
        !(out->events & TCPS_EV_INVALID_FLAGS))
        out->events |= TCPS_EV_FROM_CLOSED;

    for (i = 0; i < 2; i++) {
        out->state[i] = (uint8_t)ep_state(&c->ep[i]);
        if (out->state[i] == TCPS_TIME_WAIT && !was_tw[i])
            c->ep[i].tw_since_ms = offset(c, seg->time_ns, 1000000);
    }
    /* A handshake segment belongs to the handshake even when it is the one
     * that leaves both ends ESTABLISHED. */
    out->phase = (uint8_t)(out->handshake_step ? TCPS_PHASE_HANDSHAKE
                                               : conn_phase(c, out->state));
    out->midstream = (c->flags & C_MIDSTREAM) != 0;
}

void tcps_result_summary(const tcps_result *r, char *buf, unsigned size)
{
    static const char tag[2] = { 'C', 'S' };
    unsigned used = 0;
    int i;

    if (size == 0)
        return;
    buf[0] = '\0';
    for (i = 0; i < 2 && used < size; i++) {
        int n;
        if (r->prev[i] != r->state[i])
            n = snprintf(buf + used, size - used, "%s%c:%s>%s", i ? " " : "", tag[i],
                         tcps_state_name((tcps_state)r->prev[i]),
                         tcps_state_name((tcps_state)r->state[i]));
        else
            n = snprintf(buf + used, size - used, "%s%c:%s", i ? " " : "", tag[i],
                         tcps_state_name((tcps_state)r->state[i]));
        if (n < 0)
            break;
        used += (unsigned)n;
    }
}
