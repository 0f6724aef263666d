/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_tcpstate.c — a libFuzzer harness for the tracker (tcpstate_tracker.c)
 * and, through it, the engine, the Zeek module, the connection analysis and
 * the store, in the style of the OSS-Fuzz harnesses of Zeek and Suricata.
 *
 * The input is a 16-byte header and then 16 bytes per segment or control
 * record (see README.md in this folder). Segments belong to one of four
 * connections (4-tuples, one of them a land attack: same address and port
 * both sides) and are fed to the tracker as the epan layer feeds it on
 * tshark's first pass; control records split a connection's tcp.stream,
 * let a read filter drop a frame (the next frame takes its number), or end
 * the first pass (hindsight) before the capture goes on, as a live capture
 * re-dissected does. After every segment, and after the final hindsight,
 * the invariants below must hold; any failure aborts, and so does any
 * AddressSanitizer or UndefinedBehaviorSanitizer report.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined by
 * tests/fuzz/CMakeLists.txt; run by ctest (fuzz.short) for a few seconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "tcpstate_engine.h"
#include "tcpstate_record.h"
#include "tcpstate_time.h"
#include "tcpstate_zeek.h"
#include "tcpstate_conninfo.h"
#include "tcpstate_tracker.h"
#include "../common/tracker_diff.h"

#define HEADER_LEN  16
#define SEGMENT_LEN 16
#define NUM_CONNS   4

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "invariant failed at segment %u: %s (%s:%d)\n",      \
                    frame, #cond, __FILE__, __LINE__);                           \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* What the harness keeps of each of its four connections. */
typedef struct {
    guint32         stream;         /* its tcp.stream now */
    guint32         last_frame;     /* its latest frame, 0 none */
    guint16         a_port, b_port;
    uint32_t        last_seq[2], last_ack[2], high[2];  /* by sender A, B */
} conn_slot;

static const guint8 addr_a[4] = { 10, 0, 0, 1 };
static const guint8 addr_b[4] = { 10, 0, 0, 2 };

/* A record whose flag word has bit 15 set is a control record; byte 3 says
 * which (modulo 3). */
#define CONTROL_BIT      0x8000
enum { CTL_NEW_STREAM, CTL_DROP, CTL_FINISH, CTL_NUM };

/* Port pairs: an ephemeral client to a service, the reverse, the extreme
 * ports, and a land attack (same address and port on both sides). */
static const guint16 ports[NUM_CONNS][2] = {
    { 40000, 80 }, { 443, 50000 }, { 0, 65535 }, { 1234, 1234 },
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Time steps: small and large, backwards, and jumps of hours or to the
 * bounds of tcps_time_ns, always kept within those bounds as the plugin
 * keeps frame times. */
static int64_t step_time(int64_t t, uint8_t code)
{
    int64_t amount = code & 0x1f, d;

    switch (code >> 5) {
    case 0: d = amount * 1000; break;                       /* microseconds */
    case 1: d = amount * 1000000; break;                    /* milliseconds */
    case 2: d = amount * 1000000000; break;                 /* seconds */
    case 3: d = amount * 60 * INT64_C(1000000000); break;   /* minutes */
    case 4: d = amount * 3600 * INT64_C(1000000000); break; /* hours */
    case 5: d = -amount * 1000000; break;                   /* back, ms */
    case 6: d = -amount * 3600 * INT64_C(1000000000); break;/* back, hours */
    default:                                                /* to the bounds */
        d = (amount & 0x10) ? -(INT64_C(1) << (47 + (amount & 0x0f)))
                            : (INT64_C(1) << (47 + (amount & 0x0f)));
        break;
    }
    /* |t| <= 2^62 - 1 and |d| <= 2^62: the sum cannot overflow. */
    t += d;
    return t > TCPS_TIME_MAX_NS ? TCPS_TIME_MAX_NS : t < TCPS_TIME_MIN_NS ? TCPS_TIME_MIN_NS : t;
}

/* A sequence or acknowledgment number: raw, or near what the connection
 * has seen so far, so that handshakes and closes actually happen. */
static uint32_t pick(unsigned mode, uint32_t raw, uint32_t near1, uint32_t near2)
{
    int8_t delta = (int8_t)(raw & 0xff);

    switch (mode) {
    case 0: return raw;
    case 1: return near1;
    case 2: return near1 + (uint32_t)(int32_t)delta;
    default: return near2 + (uint32_t)(int32_t)delta;
    }
}

/* The engine's result as the record keeps it (the live view: as analysed,
 * before any later frame revised it). */
static void check_result(const tcps_result *r, uint16_t fl, bool bad_checksum, uint32_t frame)
{
    int i;

    for (i = 0; i < 2; i++) {
        CHECK(r->prev[i] < TCPS_NUM_STATES);
        CHECK(r->state[i] < TCPS_NUM_STATES);
    }
    CHECK(r->phase < TCPS_NUM_PHASES);
    CHECK(r->teardown_steps < 16);

    /* Steps agree with the flags that make them. */
    CHECK(r->handshake_step <= 3);
    if (r->handshake_step == 1)
        CHECK((fl & TCPS_TH_SYN) && !(fl & TCPS_TH_ACK) && !(fl & TCPS_TH_RST));
    if (r->handshake_step == 2)
        CHECK((fl & TCPS_TH_SYN) && (fl & TCPS_TH_ACK) && !(fl & TCPS_TH_RST));
    if (r->handshake_step == 3)
        CHECK(!(fl & TCPS_TH_SYN) && (fl & TCPS_TH_ACK) && !(fl & TCPS_TH_RST));
    if (r->teardown_steps & (1u | 4u))          /* a FIN step */
        CHECK((fl & TCPS_TH_FIN) && !(fl & TCPS_TH_RST));
    if (r->teardown_steps & (2u | 8u))          /* an ACK of a FIN */
        CHECK((fl & TCPS_TH_ACK) && !(fl & TCPS_TH_RST));
    if (r->handshake_step)
        CHECK(r->phase == TCPS_PHASE_HANDSHAKE);

    /* Segments a TCP drops change nobody's state. */
    if (bad_checksum)
        CHECK(r->events & TCPS_EV_BAD_CHECKSUM);
    if (r->events & (TCPS_EV_INVALID_FLAGS | TCPS_EV_SYN_IN_SYNCHRONIZED | TCPS_EV_BAD_CHECKSUM))
        CHECK(r->prev[0] == r->state[0] && r->prev[1] == r->state[1]);
    if (r->events & TCPS_EV_REFUSED)
        CHECK((fl & TCPS_TH_RST) && (r->events & TCPS_EV_RST_ACCEPTED));
    if (r->phase == TCPS_PHASE_DATA_TRANSFER)
        CHECK(r->state[0] == TCPS_ESTABLISHED && r->state[1] == TCPS_ESTABLISHED);
}

/* Any stored record, whatever hindsight did to it since. */
static void check_record(const tcps_tracker *tr, const tcps_frame *fr, uint32_t frame)
{
    tcps_result r;
    char buf[64];

    tcps_record_unpack(&fr->core, &r);
    CHECK(r.prev[0] < TCPS_NUM_STATES && r.state[0] < TCPS_NUM_STATES);
    CHECK(r.prev[1] < TCPS_NUM_STATES && r.state[1] < TCPS_NUM_STATES);
    CHECK(r.phase < TCPS_NUM_PHASES && r.handshake_step <= 3);
    CHECK(tcps_frame_live(fr, 0) < TCPS_NUM_STATES && tcps_frame_live(fr, 1) < TCPS_NUM_STATES);
    CHECK(fr->present && fr->conn < tcps_tracker_conn_count(tr));
    /* Hindsight that moved a state from the live view says so. */
    if (r.state[0] != tcps_frame_live(fr, 0) || r.state[1] != tcps_frame_live(fr, 1))
        CHECK(fr->revised);
    tcps_result_summary(&r, buf, sizeof buf);
    CHECK(memchr(buf, '\0', sizeof buf) != NULL && strchr(buf, '?') == NULL);
}

/* Every stored record (frames 1 to the latest, frame), the lost links both
 * ways, the live views kept. */
static void check_store(tcps_tracker *tr, const uint8_t *live, uint32_t frame)
{
    tcps_store *st = tcps_tracker_store(tr);
    uint32_t f;

    CHECK(tcps_store_get(st, frame + 1) == NULL);
    for (f = 1; f <= frame; f++) {
        const tcps_frame *fr = tcps_store_get(st, f);
        guint32 by = tcps_tracker_lost_shown_by(tr, f), lost = tcps_tracker_reveals_lost(tr, f);

        if (!fr)
            continue;
        check_record(tr, fr, frame);
        /* One pass shows what two passes keep as the live view. */
        CHECK(fr->live == live[f]);
        if (by) {
            CHECK(by > f && tcps_record_lost(&fr->core));
            /* a link can outlive its frame number's reuse, not point back */
        }
        if (lost)
            CHECK(lost < f);
    }
}

static void check_zeek(const tcps_zeek *z, const char *before, size_t before_len,
                       uint32_t frame)
{
    size_t len = tcps_zeek_history_len(z);
    char buf[TCPS_ZEEK_HISTORY_BUF];
    const char *h = tcps_zeek_history(z, buf);

    CHECK((unsigned)tcps_zeek_conn_state(z) < TCPS_ZEEK_NUM);
    CHECK(strcmp(tcps_zeek_state_name(tcps_zeek_conn_state(z)), "?") != 0);
    CHECK((unsigned)tcps_zeek_endpoint_state(z, true) < TCPS_ZEEK_EP_NUM);
    CHECK((unsigned)tcps_zeek_endpoint_state(z, false) < TCPS_ZEEK_EP_NUM);
    CHECK(len <= TCPS_ZEEK_HISTORY_MAX && strlen(h) == len);
    /* Append-only: the plugin stores only a length per frame. */
    CHECK(len >= before_len && memcmp(h, before, before_len) == 0);
}

static void check_conninfo(tcps_tracker *tr, const tcps_conn_info *info,
                           const tcps_frame *fr, const tcps_result *r, uint32_t frame)
{
    int e;

    CHECK(tcps_tracker_conn_view(tr, fr->conn) == info && info->table_index == fr->conn);
    CHECK(fr->zeek_state == (guint8)tcps_zeek_conn_state(&info->zeek));
    CHECK(fr->hist_len == MIN(tcps_zeek_history_len(&info->zeek), TCPS_FRAME_HIST_MAX));
    for (e = 0; e < 2; e++) {
        const tcps_since *since = tcps_conninfo_since(info, fr, e);
        /* NULL only once the log is full: never a wrong entry. */
        CHECK(since ? since->state == r->state[e] : info->since[e].full);
        CHECK(info->final_state[e] == r->state[e]);
        /* Memory stays bounded however the states flap. */
        CHECK(info->since[e].n <= TCPS_SINCE_LOG_MAX && info->since[e].n <= info->since[e].cap);
        (void)tcps_conninfo_state_duration_ns(info, e, info->since[e].n - 1,
                                              tcps_tracker_capture_end_ns(tr));
    }
    CHECK(info->closer <= 2 && info->segments > 0);
    CHECK(tcps_conninfo_live(info) == (!tcps_state_is_idle((tcps_state)r->state[0]) ||
                                       !tcps_state_is_idle((tcps_state)r->state[1])));
    if (tcps_conninfo_half_open(info))
        CHECK(info->server->half_open > 0 && info->server->half_open <= info->server->count);
}

/* The tracker keeping SYN-only connections compact and the one that does
 * not agree on every record and every connection (tracker_diff.h). */
static void check_same(tcps_tracker *tr, tcps_tracker *full, uint32_t frame)
{
    guint32 where;
    const char *d = tcps_diff_trackers(tr, full, frame, &where);

    if (d)
        fprintf(stderr, "compact and full differ: %s at %u\n", d, where);
    CHECK(d == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    conn_slot slots[NUM_CONNS];
    tcps_analysis_prefs settings;
    tcps_tracker *tr, *full;    /* full: SYN-only connections not kept compact */
    uint8_t *live;            /* by frame number: the live view as analysed */
    guint32 next_stream = NUM_CONNS;
    uint32_t msl_ms;
    int64_t t;
    uint32_t frame = 0;
    gboolean reuse_number = FALSE;
    size_t off;
    int i;

    if (size < HEADER_LEN)
        return 0;
    t = (int64_t)((uint64_t)le32(data) | (uint64_t)le32(data + 4) << 32);
    t = t > TCPS_TIME_MAX_NS ? TCPS_TIME_MAX_NS : t < TCPS_TIME_MIN_NS ? TCPS_TIME_MIN_NS : t;
    /* The tracker takes the MSL in seconds (the preference's range is
     * 1 to 3600; the engine gets it in ms). */
    msl_ms = le32(data + 8);
    settings.msl_seconds = msl_ms / 1000;
    settings.flood_count = data[12];
    settings.flood_seconds = data[13];
    settings.close_wait_seconds = data[14];
    settings.fin_wait_2_seconds = data[15];
    tr = tcps_tracker_new(&settings);
    full = tcps_tracker_new(&settings);
    tcps_tracker_set_compaction(full, FALSE);
    live = (uint8_t *)calloc(size / SEGMENT_LEN + 2, 1);
    if (!live) {
        tcps_tracker_free(tr);
        tcps_tracker_free(full);
        return 0;
    }

    memset(slots, 0, sizeof slots);
    for (i = 0; i < NUM_CONNS; i++) {
        slots[i].stream = (guint32)i;
        slots[i].a_port = ports[i][0];
        slots[i].b_port = ports[i][1];
    }

    for (off = HEADER_LEN; off + SEGMENT_LEN <= size; off += SEGMENT_LEN) {
        const uint8_t *p = data + off;
        conn_slot *sl = &slots[(p[0] >> 1) & 3];
        bool from_a = (p[0] & 1) == 0;
        int s = from_a ? 0 : 1;
        uint16_t word = le16(p + 1);
        tcps_track_segment seg;
        tcps_result res;
        tcps_frame *fr;
        const tcps_frame *before_fr;
        const tcps_conn_info *before_conn = NULL, *info;
        guint32 before_idx = G_MAXUINT32;
        const char *diff;
        tcps_frame *full_fr;
        char before[TCPS_ZEEK_HISTORY_MAX + 1];
        size_t before_len = 0;
        uint32_t len = (p[0] & 0x80) ? le16(p + 11) : p[11];
        int64_t now;

        if (word & CONTROL_BIT) {
            switch (p[3] % CTL_NUM) {
            case CTL_NEW_STREAM:    /* Wireshark splits the stream (a new ISN, SYN after RST) */
                sl->stream = next_stream++;
                /* or a new client port: a new 4-tuple, whose first SYN
                 * the tracker may keep compact */
                if ((p[4] & 1) && sl != &slots[3])
                    sl->a_port = (guint16)(20000 + sl->stream);
                break;
            case CTL_DROP:          /* a read filter drops the frame just analysed */
                reuse_number = frame > 0;
                break;
            default:                /* re-dissected: hindsight; a live capture goes on */
                tcps_tracker_finish_first_pass(tr);
                tcps_tracker_finish_first_pass(full);
                CHECK(tcps_tracker_first_pass_done(tr));
                check_store(tr, live, frame);
                check_same(tr, full, frame);
                break;
            }
            continue;
        }
        if (!reuse_number)
            frame++;
        reuse_number = FALSE;
        t = step_time(t, p[15]);
        memset(&seg, 0, sizeof seg);
        seg.flags = word & TCPS_TH_MASK;
        /* The flag word's top bits: a bad IP checksum (Zeek never sees the
         * segment), a bad TCP checksum, a payload cut by the snap length. */
        seg.ip_bad_checksum = (word & 0x1000) != 0;
        seg.tcp_bad_checksum = (word & 0x2000) != 0;
        seg.truncated = (word & 0x4000) != 0;
        seg.seq = pick((p[0] >> 3) & 3, le32(p + 3), sl->high[s], sl->last_seq[s]);
        seg.ack = pick((p[0] >> 5) & 3, le32(p + 7), sl->high[!s], sl->last_ack[s]);
        seg.len = len;
        seg.src.type = seg.dst.type = 1;
        seg.src.len = seg.dst.len = 4;
        seg.src.data = from_a ? addr_a : (sl == &slots[3] ? addr_a : addr_b);
        seg.dst.data = from_a ? (sl == &slots[3] ? addr_a : addr_b) : addr_a;
        seg.sport = from_a ? sl->a_port : sl->b_port;
        seg.dport = from_a ? sl->b_port : sl->a_port;
        seg.stream = sl->stream;
        seg.frame = frame;
        /* t is already within the bounds: secs from 0, the base 0 */
        seg.secs = t / 1000000000;
        seg.nsecs = (gint32)(t % 1000000000);
        seg.window = le16(p + 13);

        before_fr = sl->last_frame ? tcps_tracker_get(tr, sl->last_frame) : NULL;
        if (before_fr && sl->last_frame != frame) {
            /* a view: a compact connection stays compact until this segment */
            before_conn = tcps_tracker_conn_view(tr, before_fr->conn);
            before_idx = before_fr->conn;
            before_len = tcps_zeek_history_len(&before_conn->zeek);
            tcps_zeek_history(&before_conn->zeek, before);
        }
        CHECK(!tcps_tracker_begin_frame(full, frame, (gint64)off));
        full_fr = tcps_tracker_segment(full, &seg);
        CHECK(!tcps_tracker_begin_frame(tr, frame, (gint64)off));
        fr = tcps_tracker_segment(tr, &seg);
        /* Compact or not, the same record and connection. */
        diff = tcps_diff_frame(fr, full_fr);
        if (!diff)
            diff = tcps_diff_conn(tcps_tracker_conn_view(tr, fr->conn),
                                  tcps_tracker_conn_at(full, fr->conn));
        if (diff)
            fprintf(stderr, "compact and full differ: %s\n", diff);
        CHECK(diff == NULL);
        CHECK(fr != NULL && tcps_tracker_get(tr, frame) == fr);
        CHECK(tcps_tracker_begin_frame(tr, frame, (gint64)off));   /* the same frame again */
        now = tcps_tracker_time_ns(tr, seg.secs, seg.nsecs);
        CHECK(now >= TCPS_TIME_MIN_NS && now <= TCPS_TIME_MAX_NS);
        CHECK(tcps_tracker_capture_end_ns(tr) >= now);
        tcps_record_unpack(&fr->core, &res);
        check_result(&res, seg.flags, seg.ip_bad_checksum || seg.tcp_bad_checksum, frame);
        CHECK(fr->live == ((res.state[0] << 4) | res.state[1]));
        live[frame] = fr->live;

        sl->last_seq[s] = seg.seq;
        sl->last_ack[s] = seg.ack;
        sl->high[s] = seg.seq + len + ((seg.flags & TCPS_TH_SYN) ? 1 : 0) +
                      ((seg.flags & TCPS_TH_FIN) ? 1 : 0);
        sl->last_frame = frame;

        info = tcps_tracker_conn_view(tr, fr->conn);
        if (fr->conn == before_idx)
            check_zeek(&info->zeek, before, before_len, frame);
        else
            check_zeek(&info->zeek, "", 0, frame);
        check_conninfo(tr, info, fr, &res, frame);
        /* The reveal links name this frame and an earlier one. */
        if (res.events & TCPS_EV_LOSS_REVEALED) {
            guint32 lost = tcps_tracker_reveals_lost(tr, frame);
            if (lost)
                CHECK(lost < frame && tcps_tracker_lost_shown_by(tr, lost) == frame);
        } else {
            CHECK(tcps_tracker_reveals_lost(tr, frame) == 0);
        }
    }
    /* The whole capture read: the second pass's hindsight. */
    tcps_tracker_finish_first_pass(tr);
    tcps_tracker_finish_first_pass(full);
    check_store(tr, live, frame);
    check_same(tr, full, frame);
    /* Every connection expanded for good, as a view that keeps them. */
    for (off = 0; off < tcps_tracker_conn_count(tr); off++)
        CHECK(tcps_tracker_conn_at(tr, (guint32)off) != NULL);
    CHECK(tcps_tracker_compact_count(tr) == 0);
    check_same(tr, full, frame);
    free(live);
    tcps_tracker_free(tr);
    tcps_tracker_free(full);
    return 0;
}
