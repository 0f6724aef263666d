/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_tcpstate.c — a libFuzzer harness for the engine, the Zeek module and
 * the connection analysis (tcpstate_conninfo.c), in the style of the
 * OSS-Fuzz harnesses of Zeek and Suricata.
 *
 * The input is a 16-byte header and then 16 bytes per segment (see
 * README.md in this folder). Segments belong to one of four connections
 * (4-tuples, one of them a land attack: same address and port both sides),
 * are fed in order as tshark's first pass would, and after every segment
 * the invariants below must hold; any failure aborts, and so does any
 * AddressSanitizer or UndefinedBehaviorSanitizer report.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined by
 * tests/fuzz/CMakeLists.txt; run by ctest (fuzz.short) for a few seconds.
 */
#define _POSIX_C_SOURCE 200809L  /* setenv */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/address.h>
#include <epan/wmem_scopes.h>

#include "tcpstate_engine.h"
#include "tcpstate_record.h"
#include "tcpstate_time.h"
#include "tcpstate_zeek.h"
#include "tcpstate_conninfo.h"

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

/* One connection as the epan layer keeps it (packet-tcpstate.c tcps_stream). */
typedef struct {
    tcps_conn       conn;
    tcps_conn_info *info;
    address         a_addr, b_addr;
    guint16         a_port, b_port;
    uint32_t        last_seq[2], last_ack[2], high[2];  /* by sender A, B */
} conn_slot;

static const guint8 addr_a[4] = { 10, 0, 0, 1 };
static const guint8 addr_b[4] = { 10, 0, 0, 2 };
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

static void check_result(const tcps_result *r, const tcps_segment *seg, uint32_t frame)
{
    uint16_t fl = seg->flags;
    tcps_record rec;
    tcps_result back;
    char buf[64];
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
    if (seg->bad_checksum)
        CHECK(r->events & TCPS_EV_BAD_CHECKSUM);
    if (r->events & (TCPS_EV_INVALID_FLAGS | TCPS_EV_SYN_IN_SYNCHRONIZED | TCPS_EV_BAD_CHECKSUM))
        CHECK(r->prev[0] == r->state[0] && r->prev[1] == r->state[1]);
    if (r->events & TCPS_EV_REFUSED)
        CHECK((fl & TCPS_TH_RST) && (r->events & TCPS_EV_RST_ACCEPTED));
    if (r->phase == TCPS_PHASE_DATA_TRANSFER)
        CHECK(r->state[0] == TCPS_ESTABLISHED && r->state[1] == TCPS_ESTABLISHED);

    /* A lost segment is an earlier one, named together with its event. */
    CHECK(!r->lost_frame == !(r->events & TCPS_EV_LOSS_REVEALED));
    if (r->lost_frame)
        CHECK(r->lost_frame < seg->frame);

    /* Hindsight revisions name an earlier frame and real states. */
    for (i = 0; i < 2; i++) {
        const tcps_revision *rv = &r->revision[i];
        if (!rv->from_frame)
            continue;
        CHECK(rv->from_frame < seg->frame);
        CHECK(rv->held < TCPS_NUM_STATES && rv->before <= TCPS_NUM_STATES);
        CHECK(rv->cause != TCPS_REV_NONE && rv->cause <= TCPS_REV_NEW_CONN);
    }

    /* The record keeps everything the tree is built from. */
    tcps_record_pack(&rec, r);
    tcps_record_unpack(&rec, &back);
    CHECK(memcmp(back.prev, r->prev, 2) == 0 && memcmp(back.state, r->state, 2) == 0);
    CHECK(back.phase == r->phase && back.handshake_step == r->handshake_step);
    CHECK(back.teardown_steps == r->teardown_steps && back.events == r->events);
    CHECK(back.from_client == r->from_client && back.midstream == r->midstream);

    tcps_result_summary(r, buf, sizeof buf);
    CHECK(memchr(buf, '\0', sizeof buf) != NULL && strchr(buf, '?') == NULL);
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

static void check_conninfo(const tcps_conn_info *info, const tcps_frame *fr,
                           const tcps_result *r, uint32_t frame)
{
    int e;

    CHECK(tcps_conninfo_get(fr) == info);
    CHECK(fr->zeek_state == (guint8)tcps_zeek_conn_state(&info->zeek));
    for (e = 0; e < 2; e++) {
        const tcps_since *since = tcps_conninfo_since(info, fr, e);
        /* NULL only once the log is full: never a wrong entry. */
        CHECK(since ? since->state == r->state[e] : info->since[e].full);
        CHECK(info->final_state[e] == r->state[e]);
        /* Memory stays bounded however the states flap. */
        CHECK(info->since[e].n <= TCPS_SINCE_LOG_MAX && info->since[e].n <= info->since[e].cap);
        (void)tcps_conninfo_state_duration_ns(info, e, info->since[e].n - 1);
    }
    CHECK(info->closer <= 2 && info->segments > 0);
    CHECK(tcps_conninfo_live(info) == (!tcps_state_is_idle((tcps_state)r->state[0]) ||
                                       !tcps_state_is_idle((tcps_state)r->state[1])));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialised;
    conn_slot slots[NUM_CONNS];
    tcps_analysis_prefs settings;
    tcps_config cfg;
    packet_info pinfo;
    int64_t t;
    uint32_t frame = 0;
    size_t off;
    int i;

    if (size < HEADER_LEN)
        return 0;
    if (!initialised) {
        /* One malloc per wmem allocation, so that AddressSanitizer sees
         * every block (as Wireshark's own fuzzing does). */
        setenv("WIRESHARK_DEBUG_WMEM_OVERRIDE", "simple", 0);
        wmem_init_scopes();
        initialised = 1;
    }
    /* A capture file opens (wmem_enter_file_scope() is not exported). */
    wmem_enter_scope(wmem_file_scope());
    tcps_conninfo_init();

    t = (int64_t)((uint64_t)le32(data) | (uint64_t)le32(data + 4) << 32);
    t = t > TCPS_TIME_MAX_NS ? TCPS_TIME_MAX_NS : t < TCPS_TIME_MIN_NS ? TCPS_TIME_MIN_NS : t;
    cfg.msl_ms = le32(data + 8);
    settings.msl_seconds = cfg.msl_ms / 1000;
    settings.flood_count = data[12];
    settings.flood_seconds = data[13];
    settings.close_wait_seconds = data[14];
    settings.fin_wait_2_seconds = data[15];

    memset(slots, 0, sizeof slots);
    for (i = 0; i < NUM_CONNS; i++) {
        tcps_conn_init(&slots[i].conn);
        set_address(&slots[i].a_addr, AT_IPv4, 4, addr_a);
        set_address(&slots[i].b_addr, AT_IPv4, 4, i == 3 ? addr_a : addr_b);
        slots[i].a_port = ports[i][0];
        slots[i].b_port = ports[i][1];
    }
    memset(&pinfo, 0, sizeof pinfo);

    for (off = HEADER_LEN; off + SEGMENT_LEN <= size; off += SEGMENT_LEN) {
        const uint8_t *p = data + off;
        conn_slot *sl = &slots[(p[0] >> 1) & 3];
        bool from_a = (p[0] & 1) == 0;
        int s = from_a ? 0 : 1;
        tcps_segment seg;
        tcps_zeek_segment zseg;
        tcps_result res;
        tcps_frame fr;
        char before[TCPS_ZEEK_HISTORY_MAX + 1];
        size_t before_len = 0;
        uint32_t len = (p[0] & 0x80) ? le16(p + 11) : p[11];
        bool ip_bad;

        frame++;
        t = step_time(t, p[15]);
        memset(&seg, 0, sizeof seg);
        memset(&zseg, 0, sizeof zseg);
        seg.flags = le16(p + 1) & TCPS_TH_MASK;
        /* The flag word's top bits: a bad IP checksum (Zeek never sees the
         * segment), a bad TCP checksum, a payload cut by the snap length. */
        ip_bad = (le16(p + 1) & 0x1000) != 0;
        zseg.bad_checksum = (le16(p + 1) & 0x2000) != 0;
        zseg.truncated = (le16(p + 1) & 0x4000) != 0;
        seg.bad_checksum = ip_bad || zseg.bad_checksum;
        seg.seq = pick((p[0] >> 3) & 3, le32(p + 3), sl->high[s], sl->last_seq[s]);
        seg.ack = pick((p[0] >> 5) & 3, le32(p + 7), sl->high[!s], sl->last_ack[s]);
        seg.len = len;
        seg.from_a = from_a;
        seg.src_port = from_a ? sl->a_port : sl->b_port;
        seg.dst_port = from_a ? sl->b_port : sl->a_port;
        seg.time_ns = t;
        seg.frame = frame;

        tcps_conn_process(&sl->conn, &cfg, &seg, &res);
        check_result(&res, &seg, frame);

        sl->last_seq[s] = seg.seq;
        sl->last_ack[s] = seg.ack;
        sl->high[s] = seg.seq + len + ((seg.flags & TCPS_TH_SYN) ? 1 : 0) +
                      ((seg.flags & TCPS_TH_FIN) ? 1 : 0);

        /* The connection analysis, as packet-tcpstate.c analyze_frame()
         * drives it. */
        pinfo.num = frame;
        pinfo.abs_ts.secs = (time_t)(t / 1000000000);
        pinfo.abs_ts.nsecs = (int)(t % 1000000000);
        copy_address_shallow(&pinfo.src, from_a ? &sl->a_addr : &sl->b_addr);
        copy_address_shallow(&pinfo.dst, from_a ? &sl->b_addr : &sl->a_addr);
        CHECK(tcps_frame_time_ns(&pinfo) >= TCPS_TIME_MIN_NS &&
              tcps_frame_time_ns(&pinfo) <= TCPS_TIME_MAX_NS);
        if (!sl->info || (res.events & TCPS_EV_REUSE)) {
            sl->info = tcps_conninfo_new(&pinfo, &pinfo.src, &pinfo.dst, seg.src_port, seg.dst_port);
            sl->info->owner = sl;
        }
        CHECK(tcps_conninfo_lookup(&pinfo.src, &pinfo.dst, seg.src_port, seg.dst_port) == sl->info);
        before_len = tcps_zeek_history_len(&sl->info->zeek);
        tcps_zeek_history(&sl->info->zeek, before);
        memset(&fr, 0, sizeof fr);
        tcps_record_pack(&fr.core, &res);
        zseg.from_orig = res.from_client;
        zseg.flags = seg.flags;
        zseg.seq = seg.seq;
        zseg.ack = seg.ack;
        zseg.len = len;
        zseg.window = le16(p + 13);
        tcps_conninfo_segment(sl->info, &fr, &pinfo, &pinfo.dst, seg.dst_port,
                              ip_bad ? NULL : &zseg, &res, &settings);
        check_zeek(&sl->info->zeek, before, before_len, frame);
        check_conninfo(sl->info, &fr, &res, frame);
    }

    wmem_leave_scope(wmem_file_scope());   /* frees everything */
    return 0;
}
