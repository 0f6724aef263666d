/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_zeek.c — Zeek's conn_state and history, segment by segment.
 *
 * Written from reading Zeek's source, not copied. Per segment, in Zeek's
 * order (TCPAnalyzer::DeliverPacket, then TCPSessionAdapter::Process in
 * src/packet_analysis/protocol/tcp/; docs/zeek.md, "Per segment", says
 * what each step does):
 *   0. ValidateChecksum     a bad checksum: 'c', and nothing else
 *      SetPartialStatus     whether the connection began without a SYN
 *   1. init_endpoint        sequence bases of the sender
 *   2. update_history       s h a d f r i q letters
 *   3. update_window        zero window 'w'
 *   4. FIN counted          (TCP_Endpoint::FIN_cnt, for Size())
 *   5. ACK bookkeeping      init_peer / update_ack_seq of the receiver
 *   6. update_last_seq      retransmission 't'
 *   7. UpdateStateMachine   the sender's (and maybe receiver's) state
 *   8. AckReceived          the receiver's reassembler: content gaps 'g'
 *   9. DataSent             the sender's reassembler takes the payload
 * Everything the per-packet code does besides this (events, weirds, timers,
 * content delivery) cannot change conn_state or history.
 */
#include "tcpstate_zeek.h"
#include "tcpstate_tcpflags.h"

#include <string.h>

_Static_assert(sizeof(tcps_zeek) == 120, "tcps_zeek is documented as 120 bytes");
_Static_assert(TCPS_ZEEK_HISTORY_MAX < 255, "history length is a uint8_t");
_Static_assert(sizeof TCPS_ZEEK_LETTERS - 1 < 32, "a history letter's code fits 5 bits");

/* TOO_LARGE_SEQ_DELTA in TCPSessionAdapter.cc: SYN and RST sequence numbers
 * further than this from last_seq are not trusted (update_last_seq), nor is
 * an ack of 0 that far ahead (update_ack_seq). */
#define TOO_LARGE_SEQ_DELTA 1048576

/* tcp_max_above_hole_without_any_acks (scripts/base/init-bare.zeek): data
 * buffered this far above a hole before any of the sender's data was
 * acked makes the reassembler give up on that direction
 * (TCP_Reassembler::DataSent, skip_deliveries): no more gaps from it. */
#define MAX_ABOVE_HOLE_WITHOUT_ACKS 16384

/* TCP_Endpoint::HistoryMasks, one bit per once-only letter class. Zeek keeps
 * the originator's in the low half of Connection::hist_seen and the
 * responder's shifted left by 16; we shift by 8. */
#define HIST_SYN_PKT        0x01  /* shared by 'S' and 'H' */
#define HIST_FIN_PKT        0x02
#define HIST_RST_PKT        0x04
#define HIST_FIN_RST_PKT    0x08  /* 'I' */
#define HIST_DATA_PKT       0x10  /* 'D' */
#define HIST_ACK_PKT        0x20  /* 'A' */
#define HIST_MULTI_FLAG_PKT 0x40  /* 'Q' */

/* tcps_zeek.flags */
#define ZF_SEEN     0x01  /* some segment was fed */
#define ZF_FLIPPED  0x02  /* Zeek's FlipRoles ran: its orig is our ep[1] */
#define ZF_RX_SHIFT 2     /* 3 bits: the RSTOS0 history matcher */
#define ZF_RX_MASK  (7u << ZF_RX_SHIFT)
#define ZF_ORIG_SEEN 0x20 /* TCPSessionAdapter::first_packet_seen, ORIG */
#define ZF_RESP_SEEN 0x40 /* ... RESP */
#define ZF_PARTIAL   0x80 /* TCPSessionAdapter::is_partial */

/* States of the RSTOS0 history matcher. */
enum { RX_START = 0, RX_CARET, RX_SCAN, RX_MATCH, RX_FAIL };

/* tcps_zeek.st[i] */
#define ST_STATE(b) ((unsigned)(b) & 7u)
#define ST_PREV(b)  (((unsigned)(b) >> 3) & 7u)
#define ST_FIN      0x40u  /* FIN_cnt > 0 */
#define ST_SKIP     0x80u  /* its reassembler gave up (skip_deliveries) */

enum {
    INACTIVE = TCPS_ZEEK_EP_INACTIVE,
    SYN_SENT = TCPS_ZEEK_EP_SYN_SENT,
    SYN_ACK_SENT = TCPS_ZEEK_EP_SYN_ACK_SENT,
    PARTIAL = TCPS_ZEEK_EP_PARTIAL,
    ESTABLISHED = TCPS_ZEEK_EP_ESTABLISHED,
    CLOSED = TCPS_ZEEK_EP_CLOSED,
    RESET = TCPS_ZEEK_EP_RESET
};

static int32_t seq_delta(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static unsigned state_of(const tcps_zeek *z, int i)
{
    return ST_STATE(z->st[i]);
}

static unsigned prev_of(const tcps_zeek *z, int i)
{
    return ST_PREV(z->st[i]);
}

/* TCP_Endpoint::SetState: prev_state changes only with a real change. */
static void set_state(tcps_zeek *z, int i, unsigned s)
{
    unsigned cur = ST_STATE(z->st[i]);

    if (s != cur)
        z->st[i] = (uint8_t)((z->st[i] & (ST_FIN | ST_SKIP)) | (cur << 3) | s);
}

/* Index into ep[] of Zeek's originator. */
static int zeek_orig(const tcps_zeek *z)
{
    return (z->flags & ZF_FLIPPED) ? 1 : 0;
}

/* Advance the matcher of conn_state's RSTOS0 pattern, which is
 * "\^?S[^HAFGIQ]*R.*" between slashes. A Zeek pattern compared with ==
 * must match the whole string, so it is anchored at the start. The matcher
 * sees every letter, kept or not. */
static unsigned rx_step(unsigned rx, char c)
{
    switch (rx) {
    case RX_START:
        return c == '^' ? RX_CARET : c == 'S' ? RX_SCAN : RX_FAIL;
    case RX_CARET:
        return c == 'S' ? RX_SCAN : RX_FAIL;
    case RX_SCAN:
        if (c == 'R')
            return RX_MATCH;
        if (c && strchr("HAFGIQ", c))
            return RX_FAIL;
        return RX_SCAN;
    default:
        return rx;
    }
}

/* A letter's code: its place in TCPS_ZEEK_LETTERS plus one, 0 for none. */
static unsigned letter_code(char c)
{
    const char *p = c ? strchr(TCPS_ZEEK_LETTERS, c) : NULL;

    return p ? (unsigned)(p - TCPS_ZEEK_LETTERS) + 1 : 0;
}

static char code_letter(unsigned code)
{
    return code >= 1 && code < sizeof TCPS_ZEEK_LETTERS ? TCPS_ZEEK_LETTERS[code - 1] : '\0';
}

/* The 5-bit code of letter i: bits 5i .. 5i+4 of hist, least significant
 * bit first; it may straddle two bytes. */
static unsigned hist_get(const tcps_zeek *z, unsigned i)
{
    unsigned bit = i * 5, v = z->hist[bit / 8];

    if (bit % 8 > 3)
        v |= (unsigned)z->hist[bit / 8 + 1] << 8;
    return (v >> (bit % 8)) & 31u;
}

static void hist_put(tcps_zeek *z, unsigned i, unsigned code)
{
    unsigned bit = i * 5;

    z->hist[bit / 8] |= (uint8_t)(code << (bit % 8));
    if (bit % 8 > 3)
        z->hist[bit / 8 + 1] |= (uint8_t)(code >> (8 - bit % 8));
}

/* Connection::AddHistory: append, up to the cap. Every letter the callers
 * add is in TCPS_ZEEK_LETTERS. */
static void add_history(tcps_zeek *z, char c)
{
    unsigned rx = (z->flags & ZF_RX_MASK) >> ZF_RX_SHIFT;

    rx = rx_step(rx, c);
    z->flags = (uint8_t)((z->flags & ~ZF_RX_MASK) | (rx << ZF_RX_SHIFT));
    if (z->len < TCPS_ZEEK_HISTORY_MAX)
        hist_put(z, z->len++, letter_code(c));
}

/* TCP_Endpoint::AddHistory: lower case for the responder. */
static char endpoint_code(bool is_orig, char code)
{
    if (!is_orig && code >= 'A' && code <= 'Z')
        code = (char)(code - 'A' + 'a');
    return code;
}

/* TCP_Endpoint::CheckHistory -> Connection::CheckHistory: the first time a
 * class is seen from this side its letter is added and false returned;
 * afterwards true ("already seen"). */
static bool check_history(tcps_zeek *z, bool is_orig, unsigned mask, char code)
{
    unsigned bit = is_orig ? mask : mask << 8;

    if (!(z->seen & bit)) {
        z->seen = (uint16_t)(z->seen | bit);
        add_history(z, endpoint_code(is_orig, code));
        return false;
    }
    return true;
}

/* Connection::ScaledHistoryEntry with scaling base 10: the letter is added
 * when the counter reaches 1, 10, 100, ... (thresholds that fit 32 bits). */
static void scaled_history(tcps_zeek *z, uint32_t *counter, bool is_orig, char code)
{
    uint32_t t;

    if (*counter < UINT32_MAX)
        ++*counter;
    for (t = 1; ; t *= 10) {
        if (*counter == t) {
            add_history(z, endpoint_code(is_orig, code));
            return;
        }
        if (t > UINT32_MAX / 10 || t > *counter)
            return;
    }
}

static bool no_data_acked(const tcps_zeek_endpoint *e);

/* The same for the 16-bit counters: letters at 1, 10, ... 10000. */
static void scaled_history16(tcps_zeek *z, uint16_t *counter, bool is_orig, char code)
{
    uint32_t c = *counter;

    if (c == UINT16_MAX)
        return;
    scaled_history(z, &c, is_orig, code);
    *counter = (uint16_t)c;
}

void tcps_zeek_init(tcps_zeek *z)
{
    memset(z, 0, sizeof *z);
    /* Reassembler(1): relative sequence numbers, 1 is the first data octet. */
    z->ep[0].reassem = z->ep[1].reassem = 1;
}

/* TCPSessionAdapter::SetPartialStatus: a connection whose originator's
 * first segment is not a bare SYN, or whose responder's first is no SYN. */
static void set_partial_status(tcps_zeek *z, bool is_orig, uint16_t flags)
{
    bool syn = flags & TCPS_TH_SYN, ack = flags & TCPS_TH_ACK;

    if (is_orig) {
        if (!(z->flags & ZF_ORIG_SEEN) && (!syn || ack))
            z->flags |= ZF_PARTIAL;
        else if (!(z->flags & ZF_ORIG_SEEN))
            z->flags &= (uint8_t)~ZF_PARTIAL;
        z->flags |= ZF_ORIG_SEEN;
    } else {
        if (!(z->flags & ZF_RESP_SEEN) && !(z->flags & ZF_PARTIAL) && !syn)
            z->flags |= ZF_PARTIAL;
        z->flags |= ZF_RESP_SEEN;
    }
}

/* is_clean in TCP_Reassembler.cc. */
static bool is_clean(const tcps_zeek *z, int i)
{
    return state_of(z, i) == ESTABLISHED ||
           (state_of(z, i) == CLOSED && prev_of(z, i) == ESTABLISHED);
}

/* TCP_Reassembler::Gap: endpoint i's data has a hole. It enters the
 * history (TCP_Endpoint::Gap) only while both ends are established or
 * cleanly closing: elsewhere gaps come from RSTs' sequence numbers or from
 * segments before a partial connection began. */
static void content_gap(tcps_zeek *z, int i)
{
    if (is_clean(z, i) && is_clean(z, 1 - i))
        scaled_history16(z, &z->ep[i].gaps, i == zeek_orig(z), 'G');
}

/* TCP_Reassembler::Undelivered: the peer acknowledged endpoint i's data up
 * to up_to, past what was delivered. Each hole below up_to is a gap. */
static void undelivered(tcps_zeek *z, int i, uint32_t up_to)
{
    tcps_zeek_endpoint *e = &z->ep[i];

    /* A partial connection's faked start: the first ack, or one octet
     * past it after a keep-alive, is no gap. */
    if (up_to <= 2 && (z->flags & ZF_PARTIAL))
        return;
    if (!(z->st[i] & ST_SKIP)) {
        if (e->blk_lo != e->blk_hi && e->blk_lo < up_to) {
            content_gap(z, i);              /* the hole below the block */
            e->reassem = e->blk_hi;         /* then the block is delivered */
        }
        if (up_to > e->reassem)
            content_gap(z, i);
    }
    if (up_to > e->reassem)
        e->reassem = up_to;                 /* "we've done our best" */
    if (e->blk_hi <= e->reassem)
        e->blk_lo = e->blk_hi = 0;          /* trimmed */
}

/* TCP_Reassembler::AckReceived for endpoint i's data, then
 * Reassembler::TrimToSeq, which calls Undelivered past last_reassem_seq. */
static void ack_received(tcps_zeek *z, int i, uint32_t seq)
{
    const tcps_zeek_endpoint *e = &z->ep[i];

    /* Its FIN octet is no data: an ack at or past FIN_seq counts up to
     * FIN_seq - 1, which is hist_fin (rel_seq + len of its FIN). */
    if ((z->st[i] & ST_FIN) && seq > e->hist_fin)
        seq = e->hist_fin;
    if (seq > e->reassem)
        undelivered(z, i, seq);
}

/* TCP_Reassembler::DataSent and Reassembler::NewBlock / BlockInserted:
 * endpoint i sent len octets at relative seq. Data it has not sent beyond
 * a hole is delivered at once; data above a hole waits in one range. */
static void data_sent(tcps_zeek *z, int i, uint32_t seq, uint32_t len)
{
    tcps_zeek_endpoint *e = &z->ep[i];
    uint32_t upper = seq + len, acked = e->ack - e->start;

    if (z->st[i] & ST_SKIP)
        return;
    if (seq < acked) {                      /* already acknowledged */
        if (upper <= acked)
            return;
        seq = acked;
    }
    if (upper <= e->reassem)
        return;                             /* already delivered */
    if (seq <= e->reassem) {
        e->reassem = upper;
        if (e->blk_lo != e->blk_hi && e->blk_lo <= e->reassem) {
            if (e->blk_hi > e->reassem)
                e->reassem = e->blk_hi;
            e->blk_lo = e->blk_hi = 0;
        }
    } else if (e->blk_lo == e->blk_hi) {
        e->blk_lo = seq;
        e->blk_hi = upper;
    } else {
        /* A second range above another hole: kept as one range, so the
         * hole between them will not count as a gap of its own. */
        if (seq < e->blk_lo)
            e->blk_lo = seq;
        if (upper > e->blk_hi)
            e->blk_hi = upper;
    }
    if (no_data_acked(e) && e->blk_lo != e->blk_hi &&
        e->blk_hi - e->reassem > MAX_ABOVE_HOLE_WITHOUT_ACKS) {
        e->blk_lo = e->blk_hi = 0;
        z->st[i] |= ST_SKIP;
    }
}

/* init_endpoint (TCPSessionAdapter.cc): set the sender's sequence bases. */
static void init_endpoint(tcps_zeek *z, int i, bool syn, uint32_t seq, uint32_t end)
{
    tcps_zeek_endpoint *e = &z->ep[i];

    switch (state_of(z, i)) {
    case INACTIVE:
        if (syn) {
            e->start = e->ack = seq;
            e->last = end;
        } else {
            /* Partial connection: numbered as though a SYN preceded it,
             * and last_seq at seq so the first segment is no rexmit. */
            e->start = e->ack = seq - 1;
            e->last = seq;
        }
        break;
    case SYN_SENT:
    case SYN_ACK_SENT:
        if (syn && seq != e->start) {       /* SYN_seq_jump */
            e->start = e->ack = seq;
            e->last = end;
        }
        break;
    case ESTABLISHED:
    case PARTIAL:
        if (syn) {                          /* SYN_inside_connection */
            e->start = e->ack = seq;
            e->last = end;
        }
        break;
    case RESET:
        /* Bases set by a RST from an unseen endpoint may be spoofed. */
        if (syn && prev_of(z, i) == INACTIVE) {
            e->start = e->ack = seq;
            e->last = end;
        }
        break;
    default:
        break;
    }
}

/* update_history (TCPSessionAdapter.cc). */
static void update_history(tcps_zeek *z, int i, bool is_orig, const tcps_zeek_segment *s,
                           uint32_t rel_seq)
{
    tcps_zeek_endpoint *e = &z->ep[i];
    bool syn = s->flags & TCPS_TH_SYN, fin = s->flags & TCPS_TH_FIN, rst = s->flags & TCPS_TH_RST;
    int bits = syn + fin + rst;

    if (bits > 1) {
        if (fin && rst)
            check_history(z, is_orig, HIST_FIN_RST_PKT, 'I');
        else
            check_history(z, is_orig, HIST_MULTI_FLAG_PKT, 'Q');
    } else if (bits == 1) {
        if (syn) {
            char code = (s->flags & TCPS_TH_ACK) ? 'H' : 'S';

            if (check_history(z, is_orig, HIST_SYN_PKT, code) && rel_seq != e->hist_syn)
                add_history(z, endpoint_code(is_orig, code));
            e->hist_syn = rel_seq;
        }
        if (fin) {
            /* A FIN's position is after the segment's data. */
            if (check_history(z, is_orig, HIST_FIN_PKT, 'F') && rel_seq + s->len != e->hist_fin)
                add_history(z, endpoint_code(is_orig, 'F'));
            e->hist_fin = rel_seq + s->len;
        }
        if (rst) {
            if (check_history(z, is_orig, HIST_RST_PKT, 'R') && rel_seq != e->hist_rst)
                add_history(z, endpoint_code(is_orig, 'R'));
            e->hist_rst = rel_seq;
        }
    } else if (s->len) {
        check_history(z, is_orig, HIST_DATA_PKT, 'D');
    } else if (s->flags & TCPS_TH_ACK) {
        check_history(z, is_orig, HIST_ACK_PKT, 'A');
    }
}

/* TCPSessionAdapter::UpdateInactiveState. */
static void update_inactive(tcps_zeek *z, int ei, int pi, bool is_orig,
                            const tcps_zeek_segment *s)
{
    bool syn = s->flags & TCPS_TH_SYN, ack = s->flags & TCPS_TH_ACK;

    if (syn) {
        if (is_orig) {
            set_state(z, ei, ack ? SYN_ACK_SENT : SYN_SENT);
        } else {
            if (!ack && state_of(z, pi) == SYN_ACK_SENT && s->seq == z->ep[ei].start) {
                /* SYN/SYN-ACK reversal: Zeek flips the roles
                 * (Connection::FlipRoles appends '^') and establishes the
                 * peer. Letters already recorded keep their case. */
                z->flags ^= ZF_FLIPPED;
                add_history(z, '^');
                set_state(z, pi, ESTABLISHED);
            }
            if (state_of(z, pi) == SYN_SENT)
                set_state(z, pi, ESTABLISHED);
            set_state(z, ei, ESTABLISHED);
        }
    }
    if (s->flags & TCPS_TH_FIN)
        set_state(z, ei, CLOSED);
    if (s->flags & TCPS_TH_RST)
        set_state(z, ei, RESET);

    if (state_of(z, ei) == INACTIVE) {
        if (!is_orig && s->len == 0 && state_of(z, zeek_orig(z)) == SYN_SENT)
            ;   /* an ACK of the SYN before the SYN/ACK forms no partial */
        else if (ack && state_of(z, pi) == ESTABLISHED)
            set_state(z, ei, ESTABLISHED);  /* SYN/ACK seen, SYN missed */
        else
            set_state(z, ei, PARTIAL);
    }
}

/* TCPSessionAdapter::UpdateStateMachine and the Update*State helpers. */
static void update_state_machine(tcps_zeek *z, int ei, int pi, bool is_orig,
                                 const tcps_zeek_segment *s)
{
    bool syn = s->flags & TCPS_TH_SYN, fin = s->flags & TCPS_TH_FIN, rst = s->flags & TCPS_TH_RST;

    switch (state_of(z, ei)) {
    case INACTIVE:
        update_inactive(z, ei, pi, is_orig, s);
        break;
    case SYN_SENT:
    case SYN_ACK_SENT:                      /* UpdateSYN_SentState */
        if (fin)
            set_state(z, ei, CLOSED);
        if (rst)
            set_state(z, ei, RESET);
        break;
    case ESTABLISHED:
    case PARTIAL:                           /* UpdateEstablishedState */
        if (syn && state_of(z, ei) == PARTIAL && state_of(z, pi) == INACTIVE &&
            !(s->flags & TCPS_TH_ACK))
            set_state(z, ei, SYN_SENT);     /* SYN_after_partial */
        if (fin && !rst) {
            set_state(z, ei, CLOSED);
            /* The peer's FIN then RST was a normal termination. */
            if (state_of(z, pi) == RESET && prev_of(z, pi) == CLOSED)
                set_state(z, pi, CLOSED);
        }
        if (rst)
            set_state(z, ei, RESET);
        break;
    case CLOSED:                            /* UpdateClosedState */
        if (rst && state_of(z, pi) != CLOSED)
            set_state(z, ei, RESET);
        break;
    default:                                /* UpdateResetState: nothing */
        break;
    }
}

void tcps_zeek_update(tcps_zeek *z, const tcps_zeek_segment *s)
{
    bool syn = s->flags & TCPS_TH_SYN, fin = s->flags & TCPS_TH_FIN, rst = s->flags & TCPS_TH_RST;
    int ei = s->from_orig ? 0 : 1, pi = 1 - ei;
    tcps_zeek_endpoint *e = &z->ep[ei], *p = &z->ep[pi];
    bool is_orig, acked = false, underflow;
    uint32_t seg_len, end, rel_seq, rel_ack = 0;
    int32_t delta_last;

    /* The first segment: if its sender is the responder, Zeek's
     * WantConnection flipped the roles when it created the connection, and
     * Connection::FlipRoles put '^' first. */
    if (!(z->flags & ZF_SEEN)) {
        z->flags |= ZF_SEEN;
        if (!s->from_orig)
            add_history(z, '^');
    }
    is_orig = s->from_orig != ((z->flags & ZF_FLIPPED) != 0);

    /* TCPAnalyzer::ValidateChecksum -> TCP_Endpoint::ChecksumError: the
     * letter, then the segment is dropped. */
    if (s->bad_checksum) {
        scaled_history16(z, &e->chk, is_orig, 'C');
        return;
    }
    set_partial_status(z, is_orig, s->flags);

    /* get_segment_len: SYN and FIN take one octet; a RST's payload is not
     * part of the stream. */
    seg_len = s->len + syn + fin;
    if (rst)
        seg_len -= s->len;
    end = s->seq + seg_len;

    init_endpoint(z, ei, syn, s->seq, end);
    rel_seq = s->seq - e->start;            /* get_relative_seq, mod 2^32 */
    underflow = seq_delta(s->seq, e->start) < 0;

    update_history(z, ei, is_orig, s, rel_seq);

    /* update_window: a zero window counts unless it rides on a RST, its
     * sender was reset, or the peer has closed (states before this
     * segment). Scaling cannot make a zero window nonzero. */
    if (s->window == 0 && !rst && state_of(z, pi) != CLOSED && state_of(z, ei) != RESET)
        scaled_history(z, &e->win0, is_orig, 'W');

    if (fin)
        z->st[ei] |= ST_FIN;

    if (s->flags & TCPS_TH_ACK) {
        acked = true;
        if (state_of(z, pi) == INACTIVE) {
            /* init_peer: number the peer as though its SYN was ack-1. */
            p->start = p->ack = p->last = s->ack - 1;
            rel_ack = 1;
        } else if (seq_delta(s->ack, p->start) >= 0) {
            rel_ack = s->ack - p->start;
            if (!rst) {
                /* update_ack_seq; acks below the peer's start (underflow,
                 * rel_ack 0) and acks on RSTs are not trusted. */
                int32_t delta_ack = seq_delta(s->ack, p->ack);

                if (!(s->ack == 0 && delta_ack > TOO_LARGE_SEQ_DELTA) && delta_ack > 0)
                    p->ack = s->ack;
            }
        }
    }

    /* update_last_seq: the sender's high-water mark, and retransmissions. */
    delta_last = seq_delta(end, e->last);
    if ((syn || rst) && (delta_last > TOO_LARGE_SEQ_DELTA || delta_last < -TOO_LARGE_SEQ_DELTA))
        ;
    else if (fin && e->last == e->start + 1)
        e->last = end;                      /* only SYN and FIN seen */
    else if (state_of(z, ei) == RESET)
        ;
    else if (delta_last > 0)
        e->last = end;
    else if (s->len > 0)
        scaled_history(z, &e->rxmt, is_orig, 'T');  /* TCP_Endpoint::DidRxmit */

    update_state_machine(z, ei, pi, is_orig, s);

    /* After the state machine, so that a gap revealed by the ack on a FIN
     * or RST is judged with the states it leaves. */
    if (acked)
        ack_received(z, pi, rel_ack);
    if (s->len > 0 && !s->truncated && !rst && !underflow)
        data_sent(z, ei, syn ? rel_seq + 1 : rel_seq, s->len);
}

/* TCP_Endpoint::NoDataAcked: at most the SYN octet acknowledged. */
static bool no_data_acked(const tcps_zeek_endpoint *e)
{
    return e->ack == e->start || e->ack == e->start + 1;
}

/* TCP_Endpoint::Size. */
static uint32_t endpoint_size(const tcps_zeek *z, int i)
{
    const tcps_zeek_endpoint *e = &z->ep[i];
    uint32_t top, size;

    /* A half-open connection discovered and aborted: its sequence numbers
     * say nothing about data. */
    if (prev_of(z, i) == SYN_SENT && state_of(z, i) == RESET &&
        state_of(z, 1 - i) == INACTIVE && !no_data_acked(e))
        return 0;

    /* The further of last_seq and ack_seq, from start_seq. */
    top = seq_delta(e->last, e->ack) > 0 ? e->last : e->ack;
    size = top - e->start;
    if (size != 0)
        --size;                             /* the SYN octet */
    if ((z->st[i] & ST_FIN) && size != 0)
        --size;                             /* the FIN octet */
    return size;
}

/* conn_state in scripts/base/protocols/conn/main.zeek. */
tcps_zeek_state tcps_zeek_conn_state(const tcps_zeek *z)
{
    int oi = zeek_orig(z), ri = 1 - oi;
    unsigned os = state_of(z, oi), rs = state_of(z, ri);
    bool o_inactive = os == INACTIVE || os == PARTIAL;
    bool r_inactive = rs == INACTIVE || rs == PARTIAL;

    if (rs == RESET) {
        if (os == SYN_SENT || os == SYN_ACK_SENT ||
            (os == RESET && endpoint_size(z, oi) == 0 && endpoint_size(z, ri) == 0))
            return TCPS_ZEEK_REJ;
        return o_inactive ? TCPS_ZEEK_RSTRH : TCPS_ZEEK_RSTR;
    }
    if (os == RESET) {
        if (r_inactive)
            return ((z->flags & ZF_RX_MASK) >> ZF_RX_SHIFT) == RX_MATCH ? TCPS_ZEEK_RSTOS0
                                                                       : TCPS_ZEEK_OTH;
        return TCPS_ZEEK_RSTO;
    }
    if (rs == CLOSED && os == CLOSED)
        return TCPS_ZEEK_SF;
    if (os == CLOSED)
        return r_inactive ? TCPS_ZEEK_SH : TCPS_ZEEK_S2;
    if (rs == CLOSED)
        return o_inactive ? TCPS_ZEEK_SHR : TCPS_ZEEK_S3;
    if (os == SYN_SENT && rs == INACTIVE)
        return TCPS_ZEEK_S0;
    if (os == ESTABLISHED && rs == ESTABLISHED)
        return TCPS_ZEEK_S1;
    return TCPS_ZEEK_OTH;
}

const char *tcps_zeek_state_name(tcps_zeek_state st)
{
    static const char *const names[TCPS_ZEEK_NUM] = {
        "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR",
        "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
    };

    if ((unsigned)st >= TCPS_ZEEK_NUM)
        return "?";
    return names[st];
}

const char *tcps_zeek_history(const tcps_zeek *z, char *buf)
{
    unsigned i;

    for (i = 0; i < z->len; i++)
        buf[i] = code_letter(hist_get(z, i));
    buf[i] = '\0';
    return buf;
}

size_t tcps_zeek_history_len(const tcps_zeek *z)
{
    return z->len;
}

#ifdef TCPSTATE_TEST_HOOKS
tcps_zeek_ep_state tcps_zeek_endpoint_state(const tcps_zeek *z, bool orig)
{
    int oi = zeek_orig(z);

    return (tcps_zeek_ep_state)state_of(z, orig ? oi : 1 - oi);
}

uint64_t tcps_zeek_size(const tcps_zeek *z, bool orig)
{
    int oi = zeek_orig(z);

    return endpoint_size(z, orig ? oi : 1 - oi);
}

bool tcps_zeek_flipped(const tcps_zeek *z)
{
    return (z->flags & ZF_FLIPPED) != 0;
}

unsigned tcps_zeek_letter_code(char c)
{
    return letter_code(c);
}

char tcps_zeek_code_letter(unsigned code)
{
    return code_letter(code);
}

void tcps_zeek_add_letter(tcps_zeek *z, char c)
{
    add_history(z, c);
}
#endif /* TCPSTATE_TEST_HOOKS */
