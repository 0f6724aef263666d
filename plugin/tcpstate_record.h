/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_record.h — the per-frame record: one engine result packed into
 * 8 bytes, so that a capture of millions of segments stays cheap to keep.
 * Pure C, unit-tested; the epan layer stores one per annotated frame.
 */
#ifndef TCPSTATE_RECORD_H
#define TCPSTATE_RECORD_H

#include <stdbool.h>
#include <stdint.h>

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

static inline bool tcps_record_lost(const tcps_record *rec)
{
    return (rec->misc & TCPS_REC_LOST) != 0;
}

static inline void tcps_record_mark_lost(tcps_record *rec)
{
    rec->misc |= TCPS_REC_LOST;
}

#endif /* TCPSTATE_RECORD_H */
