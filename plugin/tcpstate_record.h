/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_record.h — the per-frame record: one engine result packed into
 * 8 bytes (tcps_record), inside the 20-byte record the epan layer keeps for
 * every annotated frame (tcps_frame, in the flat store of tcpstate_store.h),
 * so that a capture of millions of segments stays cheap to keep.
 * Pure C, unit-tested.
 */
#ifndef TCPSTATE_RECORD_H
#define TCPSTATE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tcpstate_engine.h"

typedef struct {
    uint8_t  client;    /* prev << 4 | after */
    uint8_t  server;    /* prev << 4 | after */
    uint8_t  misc;      /* phase:3, handshake step:2, from_client:1,
                           midstream:1, lost:1 */
    uint8_t  teardown;  /* teardown step bits (bit n-1 = step n) */
    uint32_t events;    /* TCPS_EV_* */
} tcps_record;

#define TCPS_REC_LOST 0x80u

static inline void tcps_record_pack(tcps_record *rec, const tcps_result *r)
{
    rec->client = (uint8_t)((r->prev[0] << 4) | (r->state[0] & 0x0f));
    rec->server = (uint8_t)((r->prev[1] << 4) | (r->state[1] & 0x0f));
    rec->misc = (uint8_t)((r->phase & 0x07) | ((r->handshake_step & 0x03) << 3) |
                          (r->from_client ? 0x20 : 0) | (r->midstream ? 0x40 : 0));
    rec->teardown = r->teardown_steps & 0x0f;
    rec->events = r->events;
}

static inline void tcps_record_unpack(const tcps_record *rec, tcps_result *r)
{
    r->prev[0] = rec->client >> 4;
    r->state[0] = rec->client & 0x0f;
    r->prev[1] = rec->server >> 4;
    r->state[1] = rec->server & 0x0f;
    r->phase = rec->misc & 0x07;
    r->handshake_step = (rec->misc >> 3) & 0x03;
    r->from_client = (rec->misc & 0x20) != 0;
    r->midstream = (rec->misc & 0x40) != 0;
    r->teardown_steps = rec->teardown;
    r->events = rec->events;
    r->lost_frame = 0;
}

/* One field of a packed record, for a reader that needs no more: end e's
 * (0 client, 1 server) state right before and right after the frame, and
 * whether the client sent it. */
static inline unsigned tcps_record_prev(const tcps_record *rec, int e)
{
    return (e ? rec->server : rec->client) >> 4;
}

static inline unsigned tcps_record_state(const tcps_record *rec, int e)
{
    return (e ? rec->server : rec->client) & 0x0fu;
}

static inline bool tcps_record_from_client(const tcps_record *rec)
{
    return (rec->misc & 0x20) != 0;
}

static inline bool tcps_record_lost(const tcps_record *rec)
{
    return (rec->misc & TCPS_REC_LOST) != 0;
}

static inline void tcps_record_mark_lost(tcps_record *rec)
{
    rec->misc |= TCPS_REC_LOST;
}

/* Hindsight (docs/semantics.md, tcps_revision): rewrite the record of frame
 * `num`, from_frame <= num <= at, of the connection in which frame `at`
 * revised endpoint e. The phase follows the rewritten states; a segment
 * that never arrived loses the ACK steps it would have been (handshake 3,
 * teardown 2 and 4); the first frame of an ended or new connection gets
 * what it really was. Returns whether the record changed. */
static inline bool tcps_record_revise(tcps_record *rec, int e, const tcps_revision *rv,
                                      uint32_t num, uint32_t at)
{
    tcps_record old = *rec;
    uint8_t *b = e ? &rec->server : &rec->client;
    unsigned prev = *b >> 4, after = *b & 0x0f, c, s, hs, phase;

    if (num < at)
        after = rv->held;
    if (num > rv->from_frame) {
        /* a crossing segment keeps the state its sender entered by sending it */
        if (num < at || rv->cause != TCPS_REV_CROSSED_OWN)
            prev = rv->held;
    } else if (rv->before < TCPS_NUM_STATES) {
        prev = rv->before;
    }
    *b = (uint8_t)((prev << 4) | after);

    hs = (rec->misc >> 3) & 0x03;
    if (num == rv->from_frame) {
        if (rv->cause == TCPS_REV_LOST) {
            if (hs == 3)
                hs = 0;
            rec->teardown &= (uint8_t)~0x0au;
        } else if (rv->cause == TCPS_REV_ENDED) {
            rec->events |= TCPS_EV_ENDED_UNSEEN;
        } else if (rv->cause == TCPS_REV_NEW_CONN) {
            hs = 1;
            rec->events = (rec->events & ~TCPS_EV_SYN_IN_SYNCHRONIZED) | TCPS_EV_REUSE;
        }
    }
    phase = rec->misc & 0x07;
    c = rec->client & 0x0f;
    s = rec->server & 0x0f;
    /* The record keeps no connection flags: it was reset if its phase was
     * RESET, and a FIN was seen if the phase was TEARDOWN or CLOSED (a
     * conservative reading: a closed connection not yet opened again is
     * taken down). A handshake step still comes first: a SYN found to have
     * opened a new connection is in its handshake, reset or not. */
    phase = tcps_phase_of(c, s, hs, phase == TCPS_PHASE_RESET,
                          phase == TCPS_PHASE_TEARDOWN || phase == TCPS_PHASE_CLOSED);
    rec->misc = (uint8_t)((rec->misc & ~0x1fu) | phase | (hs << 3));
    return memcmp(&old, rec, sizeof old) != 0;
}

/* What the epan layer keeps per frame: 20 bytes, in the flat store
 * (tcpstate_store.h). Everything a frame shows of its connection as of that
 * frame is here or in the connection's since logs (tcpstate_conninfo.h), so
 * nothing per frame lives anywhere else. */
typedef struct {
    tcps_record core;          /* the states: see above */
    uint32_t    conn;          /* its connection's ordinal (conninfo index) */
    uint16_t    since[2];      /* client, server: index into the connection's
                                  since log; TCPS_SINCE_NONE past its cap */
    uint16_t    analysis : 12; /* TCPS_AN_* (tcpstate_conninfo.h) */
    uint16_t    zeek_state : 4;/* Zeek conn_state as of this frame */
    uint8_t     live;          /* live view: tcps_frame_live() */
    uint8_t     present : 1;   /* a record was stored for this frame */
    uint8_t     revised : 1;   /* hindsight differs from the live view */
    uint8_t     spare : 1;
    uint8_t     hist_len : 5;  /* Zeek history length as of this frame */
} tcps_frame;

#define TCPS_SINCE_NONE 0xffffu
#define TCPS_FRAME_HIST_MAX 31u

/* Both ends' states in one byte, client << 4 | server: the live view
 * below, and the census's current states. e: 0 client, 1 server. */
static inline uint8_t tcps_pair(unsigned client, unsigned server)
{
    return (uint8_t)((client << 4) | (server & 0x0f));
}

static inline unsigned tcps_pair_end(uint8_t pair, int e)
{
    return e ? pair & 0x0fu : (unsigned)pair >> 4;
}

/* The pair with end e's state replaced by s. */
static inline uint8_t tcps_pair_with(uint8_t pair, int e, unsigned s)
{
    return e ? tcps_pair(tcps_pair_end(pair, 0), s) : tcps_pair(s, tcps_pair_end(pair, 1));
}

/* The live view (tcps_frame.live): end e's state right after the frame, as
 * one pass showed it. */
static inline unsigned tcps_frame_live(const tcps_frame *fr, int e)
{
    return tcps_pair_end(fr->live, e);
}

static inline void tcps_frame_set_live(tcps_frame *fr, unsigned client, unsigned server)
{
    fr->live = tcps_pair(client, server);
}

/* Whether hindsight's states after the frame (its core record) differ from
 * the live view. */
static inline bool tcps_frame_live_differs(const tcps_frame *fr)
{
    return tcps_record_state(&fr->core, 0) != tcps_frame_live(fr, 0) ||
           tcps_record_state(&fr->core, 1) != tcps_frame_live(fr, 1);
}

#endif /* TCPSTATE_RECORD_H */
