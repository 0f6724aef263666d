/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the connection tracker (tcpstate_tracker.c) and the
 * connection analysis (tcpstate_conninfo.c): the orchestration the epan
 * layer hands every segment to, linked with no Wireshark library. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tcpstate_counted.h"
#include "tcpstate_slab.h"
#include "tcpstate_tracker.h"
#include "../common/tracker_diff.h"

#define SYN TCPS_TH_SYN
#define ACK TCPS_TH_ACK
#define FIN TCPS_TH_FIN
#define RST TCPS_TH_RST

static const guint8 client_ip[4] = { 192, 0, 2, 1 };
static const guint8 server_ip[4] = { 192, 0, 2, 2 };
enum { CPORT = 40000, SPORT = 80, CISN = 1000, SISN = 5000 };

static const tcps_analysis_prefs prefs = {
    .msl_seconds = 30, .flood_count = 2, .flood_seconds = 10,
    .close_wait_seconds = 60, .fin_wait_2_seconds = 60,
};

/* Feed frame num (file offset num * 100 unless off is given) as tshark's
 * first pass would: begin it, then analyse it. */
static tcps_frame *
feed_at(tcps_tracker *tr, guint32 num, gint64 off, guint32 stream, int from_client,
        guint16 flags, guint32 seq, guint32 ack, gint64 ms, guint16 cport)
{
    tcps_track_segment s;

    memset(&s, 0, sizeof s);
    s.src.type = s.dst.type = 2;   /* any code: only identity matters */
    s.src.len = s.dst.len = 4;
    s.src.data = from_client ? client_ip : server_ip;
    s.dst.data = from_client ? server_ip : client_ip;
    s.sport = from_client ? cport : SPORT;
    s.dport = from_client ? SPORT : cport;
    s.stream = stream;
    s.frame = num;
    s.secs = 1700000000 + ms / 1000;
    s.nsecs = (gint32)(ms % 1000) * 1000000;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.window = 1000;
    if (tcps_tracker_begin_frame(tr, num, off))
        return tcps_tracker_get(tr, num);
    return tcps_tracker_segment(tr, &s);
}

static tcps_frame *
feed(tcps_tracker *tr, guint32 num, guint32 stream, int from_client, guint16 flags,
     guint32 seq, guint32 ack, gint64 ms)
{
    return feed_at(tr, num, (gint64)num * 100, stream, from_client, flags, seq, ack, ms, CPORT);
}

static unsigned client_of(const tcps_frame *fr) { return fr->core.client & 0x0f; }
static unsigned server_of(const tcps_frame *fr) { return fr->core.server & 0x0f; }

/* The handshake and a client-first close on stream 0, frames 1 to 6; the
 * client's final ACK is frame 7 unless last_ack is FALSE. */
static void
handshake_and_close(tcps_tracker *tr, gboolean last_ack)
{
    feed(tr, 1, 0, 1, SYN, CISN, 0, 0);
    feed(tr, 2, 0, 0, SYN | ACK, SISN, CISN + 1, 10);
    feed(tr, 3, 0, 1, ACK, CISN + 1, SISN + 1, 20);
    feed(tr, 4, 0, 1, FIN | ACK, CISN + 1, SISN + 1, 30);
    feed(tr, 5, 0, 0, ACK, SISN + 1, CISN + 2, 40);
    feed(tr, 6, 0, 0, FIN | ACK, SISN + 1, CISN + 2, 50);
    if (last_ack)
        feed(tr, 7, 0, 1, ACK, CISN + 2, SISN + 2, 60);
}

/* The same frame dissected again before the pass is over keeps its record;
 * frames get the time base of the first one. */
static void test_same_frame_again(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_frame *fr;
    (void)state;

    fr = feed(tr, 1, 0, 1, SYN, CISN, 0, 1500);
    assert_non_null(fr);
    assert_int_equal(client_of(fr), TCPS_SYN_SENT);
    assert_true(tcps_tracker_begin_frame(tr, 1, 100));
    assert_ptr_equal(tcps_tracker_get(tr, 1), fr);
    assert_int_equal(tcps_tracker_time_ns(tr, 1700000002, 0), 1000000000);  /* base: 1700000001 s */
    assert_int_equal(tcps_tracker_capture_end_ns(tr), 500000000);
    assert_int_equal(tcps_tracker_conn_count(tr), 1);
    assert_ptr_equal(tcps_tracker_conn_of(tr, fr), tcps_tracker_conn_at(tr, 0));
    assert_null(tcps_tracker_conn_at(tr, 1));
    tcps_tracker_free(tr);
}

/* A live capture re-dissected: the unanswered SYN leaves the server in
 * LISTEN; then the server answers, and the SYN shows its live view again. */
static void test_finalize_unfinalize(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_conn_info *conn;
    tcps_frame *syn;
    (void)state;

    syn = feed(tr, 1, 0, 1, SYN, CISN, 0, 0);
    conn = tcps_tracker_conn_of(tr, syn);
    assert_int_equal(server_of(syn), TCPS_SYN_RCVD);
    assert_int_equal(conn->final_state[1], TCPS_SYN_RCVD);
    assert_false(tcps_tracker_first_pass_done(tr));

    tcps_tracker_finish_first_pass(tr);
    assert_true(tcps_tracker_first_pass_done(tr));
    assert_int_equal(server_of(syn), TCPS_LISTEN);
    assert_int_equal(tcps_frame_live(syn, 1), TCPS_SYN_RCVD);
    assert_true(syn->revised);
    assert_int_equal(conn->final_state[1], TCPS_LISTEN);
    assert_int_equal(conn->since[1].v[conn->since[1].n - 1].state, TCPS_LISTEN);
    tcps_tracker_finish_first_pass(tr);             /* once only */
    assert_int_equal(server_of(syn), TCPS_LISTEN);

    /* The capture goes on: the SYN/ACK. */
    feed(tr, 2, 0, 0, SYN | ACK, SISN, CISN + 1, 10);
    assert_false(tcps_tracker_first_pass_done(tr));
    assert_int_equal(server_of(syn), TCPS_SYN_RCVD);
    assert_false(syn->revised);
    assert_int_equal(conn->since[1].v[conn->since[1].n - 1].state, TCPS_SYN_RCVD);
    feed(tr, 3, 0, 1, ACK, CISN + 1, SISN + 1, 20);
    assert_int_equal(conn->final_state[0], TCPS_ESTABLISHED);
    assert_int_equal(conn->final_state[1], TCPS_ESTABLISHED);
    tcps_tracker_finish_first_pass(tr);
    assert_int_equal(server_of(syn), TCPS_SYN_RCVD);   /* answered: nothing to revise */
    assert_int_equal(conn->final_state[1], TCPS_ESTABLISHED);
    tcps_tracker_free(tr);
}

/* A new tcp.stream on a 4-tuple whose connection is still live joins it
 * (Wireshark's stream index is not where a connection begins). */
static void test_stream_join(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_frame *fr;
    (void)state;

    feed(tr, 1, 0, 1, SYN, CISN, 0, 0);
    feed(tr, 2, 0, 0, SYN | ACK, SISN, CISN + 1, 10);
    feed(tr, 3, 0, 1, ACK, CISN + 1, SISN + 1, 20);
    fr = feed(tr, 4, 7, 1, FIN | ACK, CISN + 1, SISN + 1, 30);
    assert_int_equal(tcps_tracker_conn_count(tr), 1);
    assert_int_equal(fr->conn, 0);
    assert_false(fr->core.misc & 0x40);             /* not midstream */
    assert_int_equal(client_of(fr), TCPS_FIN_WAIT_1);
    assert_int_equal(server_of(fr), TCPS_CLOSE_WAIT);
    tcps_tracker_free(tr);
}

/* The 4-tuple used again after a close: a new incarnation, which knows the
 * previous one and ends its TIME_WAIT; a new stream on a finished
 * connection does not join it. */
static void test_reuse(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_conn_info *old, *now;
    tcps_frame *fr;
    (void)state;

    handshake_and_close(tr, TRUE);
    old = tcps_tracker_conn_at(tr, 0);
    assert_int_equal(old->final_state[0], TCPS_TIME_WAIT);
    assert_int_equal(old->final_state[1], TCPS_CLOSED);
    fr = feed(tr, 8, 1, 1, SYN, CISN + 100000, 0, 1000);
    assert_int_equal(tcps_tracker_conn_count(tr), 2);
    now = tcps_tracker_conn_of(tr, fr);
    assert_ptr_equal(now->previous, old);
    assert_int_equal(now->table_index, 1);
    assert_true(fr->analysis & TCPS_AN_REUSE_IN_TW);
    assert_int_equal(old->final_state[0], TCPS_CLOSED);   /* the SYN ended TIME_WAIT */
    assert_true(old->end_flags & TCPS_END_TW_ENDED);
    assert_int_equal(client_of(fr), TCPS_SYN_SENT);
    tcps_tracker_free(tr);
}

/* tcp.stream numbers far beyond the streams seen (not Wireshark's, which
 * are dense) are kept apart from the array of dense ones; a number kept
 * so is found again after the array has grown over it. Each connection
 * uses its own client port. */
static void test_sparse_stream_numbers(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    const guint32 far = 5000, huge = 0xfffffff0u;
    tcps_frame *fr;
    guint32 i, num = 1;
    (void)state;

    feed_at(tr, num, num * 100, far, 1, SYN, CISN, 0, 0, CPORT);
    num++;
    feed_at(tr, num, num * 100, huge, 1, SYN, CISN, 0, 0, CPORT + 1);
    num++;
    assert_int_equal(tcps_tracker_conn_count(tr), 2);
    /* Dense streams 0, 1, ... until the array reaches past `far`. */
    for (i = 0; i <= far + 1; i++) {
        if (i == far)
            continue;
        feed_at(tr, num, num * 100, i, 1, SYN, CISN, 0, 10, (guint16)(CPORT + 2 + i));
        num++;
    }
    assert_int_equal(tcps_tracker_conn_count(tr), far + 3);
    /* The answers to the first two SYNs find their connections. */
    fr = feed_at(tr, num, num * 100, far, 0, SYN | ACK, SISN, CISN + 1, 20, CPORT);
    num++;
    assert_int_equal(fr->conn, 0);
    assert_int_equal(server_of(fr), TCPS_SYN_RCVD);
    fr = feed_at(tr, num, num * 100, huge, 0, SYN | ACK, SISN, CISN + 1, 20, CPORT + 1);
    assert_int_equal(fr->conn, 1);
    assert_int_equal(client_of(fr), TCPS_ESTABLISHED);
    tcps_tracker_free(tr);
}

/* A since log starts with room for one entry (a SYN-only connection's) and
 * grows: every state change of a whole connection is logged in order. */
static void test_since_log_growth(void **state)
{
    static const guint8 client_path[] = { TCPS_SYN_SENT, TCPS_ESTABLISHED, TCPS_FIN_WAIT_1,
                                          TCPS_FIN_WAIT_2, TCPS_TIME_WAIT };
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    const tcps_conn_info *conn;
    unsigned i;
    (void)state;

    feed(tr, 1, 0, 1, SYN, CISN, 0, 0);
    conn = tcps_tracker_conn_at(tr, 0);
    assert_int_equal(conn->since[0].n, 1);
    assert_int_equal(conn->since[0].cap, 1);
    handshake_and_close(tr, TRUE);      /* frame 1 is the same frame again */
    assert_int_equal(conn->since[0].n, G_N_ELEMENTS(client_path));
    for (i = 0; i < G_N_ELEMENTS(client_path); i++)
        assert_int_equal(conn->since[0].v[i].state, client_path[i]);
    assert_int_equal(conn->since[0].v[4].frame, 6);
    tcps_tracker_free(tr);
}

/* The lost final ACK (frame 7), shown by the FIN sent again (frame 8). */
static void test_lost_links(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_frame *lost, *fin;
    (void)state;

    handshake_and_close(tr, TRUE);
    lost = tcps_tracker_get(tr, 7);
    assert_int_equal(server_of(lost), TCPS_CLOSED);
    fin = feed(tr, 8, 0, 0, FIN | ACK, SISN + 1, CISN + 2, 260);
    assert_true(tcps_record_lost(&lost->core));
    assert_false(tcps_record_lost(&fin->core));
    assert_true(fin->core.events & TCPS_EV_LOSS_REVEALED);
    assert_int_equal(tcps_tracker_lost_shown_by(tr, 7), 8);
    assert_int_equal(tcps_tracker_reveals_lost(tr, 8), 7);
    assert_int_equal(tcps_tracker_lost_shown_by(tr, 8), 0);
    /* Hindsight: the server never left LAST_ACK on frame 7. */
    assert_int_equal(server_of(lost), TCPS_LAST_ACK);
    assert_true(lost->revised);
    assert_int_equal(tcps_frame_live(lost, 1), TCPS_CLOSED);
    tcps_tracker_free(tr);
}

/* A read filter drops frame 7 (the lost ACK) after it was analysed: the FIN
 * sent again takes number 7. It must not be marked lost by itself, nor be
 * revised as the lost frame (the bug of -2 -R). */
static void test_number_reused_by_read_filter(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_frame *fin;
    (void)state;

    handshake_and_close(tr, TRUE);
    assert_int_equal(tcps_tracker_frame_id(tr, 7), 7);
    fin = feed_at(tr, 7, 800, 0, 0, FIN | ACK, SISN + 1, CISN + 2, 260, CPORT);
    assert_non_null(fin);
    assert_true(fin->core.events & TCPS_EV_LOSS_REVEALED);
    assert_false(tcps_record_lost(&fin->core));
    assert_int_equal(tcps_tracker_lost_shown_by(tr, 7), 0);
    assert_int_equal(tcps_tracker_reveals_lost(tr, 7), 0);
    assert_int_equal(fin->core.teardown, 0x04);           /* the second FIN, kept */
    assert_int_equal(server_of(fin), TCPS_LAST_ACK);
    /* Frame 6 kept what it showed (the revision begins at the dropped 7). */
    assert_false(tcps_tracker_get(tr, 6)->revised);
    assert_int_equal(tcps_tracker_frame_id(tr, 7), 8);
    assert_int_equal(tcps_tracker_frame_id(tr, 6), 6);
    tcps_tracker_free(tr);
}

/* Frame 8 reveals frame 7 lost, then a read filter drops frame 8: its
 * number's links and record are forgotten before the next frame takes it. */
static void test_forget_frame(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_frame *fr;
    (void)state;

    handshake_and_close(tr, TRUE);
    feed(tr, 8, 0, 0, FIN | ACK, SISN + 1, CISN + 2, 260);
    assert_int_equal(tcps_tracker_reveals_lost(tr, 8), 7);
    assert_false(tcps_tracker_begin_frame(tr, 8, 12345));
    assert_null(tcps_tracker_get(tr, 8));
    assert_int_equal(tcps_tracker_reveals_lost(tr, 8), 0);
    /* A non-TCP frame takes the number: nothing stored, nothing analysed. */
    assert_null(tcps_tracker_get(tr, 8));
    fr = feed_at(tr, 8, 13000, 0, 1, ACK, CISN + 2, SISN + 2, 270, CPORT);
    assert_non_null(fr);
    assert_int_equal(tcps_tracker_frame_id(tr, 8), 9);
    assert_int_equal(tcps_tracker_reveals_lost(tr, 8), 0);
    assert_int_equal(server_of(fr), TCPS_CLOSED);
    tcps_tracker_free(tr);
}

/* The SYN-flood count per server endpoint: half-open handshakes within the
 * window, a completed one taken off at once. */
static void test_half_open_count(void **state)
{
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    tcps_frame *fr;
    (void)state;

    fr = feed_at(tr, 1, 100, 0, 1, SYN, CISN, 0, 0, 40001);
    assert_int_equal(tcps_tracker_conn_of(tr, fr)->half_open_at_syn, 1);
    feed_at(tr, 2, 200, 0, 0, SYN | ACK, SISN, CISN + 1, 10, 40001);
    feed_at(tr, 3, 300, 0, 1, ACK, CISN + 1, SISN + 1, 20, 40001);   /* complete */
    fr = feed_at(tr, 4, 400, 1, 1, SYN, CISN, 0, 30, 40002);
    assert_int_equal(tcps_tracker_conn_of(tr, fr)->half_open_at_syn, 1);
    fr = feed_at(tr, 5, 500, 2, 1, SYN, CISN, 0, 40, 40003);
    assert_int_equal(tcps_tracker_conn_of(tr, fr)->half_open_at_syn, 2);
    assert_false(fr->analysis & TCPS_AN_SYN_FLOOD);
    fr = feed_at(tr, 6, 600, 3, 1, SYN, CISN, 0, 50, 40004);
    assert_int_equal(tcps_tracker_conn_of(tr, fr)->half_open_at_syn, 3);
    assert_true(fr->analysis & TCPS_AN_SYN_FLOOD);     /* more than 2 */
    /* Past the 10 s window the old ones fall off. */
    fr = feed_at(tr, 7, 700, 4, 1, SYN, CISN, 0, 20000, 40005);
    assert_int_equal(tcps_tracker_conn_of(tr, fr)->half_open_at_syn, 1);
    tcps_tracker_free(tr);
}

/* The connection analysis alone: since logs, closer, durations. */
/* Finalizing rewrites each unanswered SYN's frames up to its connection's
 * last frame, not to the end of the capture: a flood of N SYNs costs O(N)
 * steps, not O(N^2) (it took 2M steps for 2,000 SYNs before the fix). */
static void test_finalize_flood_is_linear(void **state)
{
    enum { N = 2000 };
    tcps_tracker *tr = tcps_tracker_new(&prefs);
    guint32 i;

    (void)state;
    for (i = 1; i <= N; i++)
        feed_at(tr, i, (gint64)i * 100, i, 1, SYN, CISN + i, 0, i, (guint16)(1024 + i));
    tcps_tracker_finish_first_pass(tr);
    assert_int_equal(server_of(tcps_tracker_get(tr, 1)), TCPS_LISTEN);
    assert_int_equal(server_of(tcps_tracker_get(tr, N)), TCPS_LISTEN);
    assert_true(tcps_store_stepped(tcps_tracker_store(tr)) <= 4 * N);
    tcps_tracker_free(tr);
}

static void test_conninfo(void **state)
{
    tcps_conn_info conn;
    tcps_frame fr;
    tcps_result res;
    (void)state;

    tcps_conninfo_init(&conn, 3, 1000);
    assert_int_equal(conn.table_index, 3);
    assert_int_equal(conn.last_syn_ns, TCPS_TIME_NONE);
    memset(&fr, 0, sizeof fr);
    memset(&res, 0, sizeof res);
    res.from_client = true;
    res.prev[0] = TCPS_ESTABLISHED;
    res.state[0] = TCPS_FIN_WAIT_1;
    res.prev[1] = TCPS_ESTABLISHED;
    res.state[1] = TCPS_CLOSE_WAIT;
    assert_false(tcps_conninfo_segment(&conn, &fr, 9, 5000, NULL, &res, &prefs));
    assert_int_equal(fr.conn, 3);
    assert_int_equal(conn.closer, 0);                   /* NULL zseg: no flags seen */
    assert_int_equal(conn.since[1].n, 1);
    assert_int_equal(tcps_conninfo_since(&conn, &fr, 1)->frame, 9);
    assert_int_equal(tcps_conninfo_state_duration_ns(&conn, 1, 0, 8000), 3000);
    assert_true(tcps_conninfo_live(&conn));
    tcps_conninfo_note_time(&conn, 9, 5000);
    tcps_conninfo_note_time(&conn, 9, 6000);           /* a number handed out again */
    assert_int_equal(tcps_conninfo_time_of(&conn, 9), 6000);
    assert_int_equal(tcps_conninfo_time_of(&conn, 8), TCPS_TIME_NONE);
    tcps_conninfo_clear(&conn);
    assert_null(conn.since[0].v);
}

/* Compact SYN-only connections (issue 19): a tracker keeping them compact
 * and one that does not, fed the same steps, must agree on every record and
 * on every connection as views read it, after every step, after the first
 * pass, and once every compact connection is expanded for good. */
typedef struct {
    guint32  num;
    gint64   off;           /* 0: num * 100 */
    guint32  stream;
    int      from_client;   /* -1: finish the first pass instead */
    guint16  flags;
    guint32  seq, ack;
    gint64   ms;
    guint16  cport;
} step;

#define FINISH { 0, 0, 0, -1, 0, 0, 0, 0, 0 }

static tcps_frame *
feed_step(tcps_tracker *tr, const step *s)
{
    return feed_at(tr, s->num, s->off ? s->off : (gint64)s->num * 100, s->stream, s->from_client,
                   s->flags, s->seq, s->ack, s->ms, s->cport);
}

static void
check_same(tcps_tracker *c, tcps_tracker *f, guint32 last, const char *when, size_t i)
{
    guint32 where;
    const char *d = tcps_diff_trackers(c, f, last, &where);

    if (d)
        fail_msg("%s %zu: %s differs (frame or connection %u)", when, i, d, where);
}

/* Runs the steps; at least min_compact connections were compact at once. */
static guint32
run_diff(const step *steps, size_t n, guint32 min_compact)
{
    tcps_tracker *c = tcps_tracker_new(&prefs), *f = tcps_tracker_new(&prefs);
    guint32 last = 0, most = 0, i, slots;

    tcps_tracker_set_compaction(f, FALSE);
    for (i = 0; i < n; i++) {
        if (steps[i].from_client < 0) {
            tcps_tracker_finish_first_pass(c);
            tcps_tracker_finish_first_pass(f);
        } else {
            tcps_frame *a = feed_step(c, &steps[i]), *b = feed_step(f, &steps[i]);
            assert_true((a == NULL) == (b == NULL));
            last = MAX(last, steps[i].num);
        }
        most = MAX(most, tcps_tracker_compact_count(c));
        check_same(c, f, last, "step", i);
    }
    assert_int_equal(tcps_tracker_compact_count(f), 0);
    assert_true(most >= min_compact);
    tcps_tracker_finish_first_pass(c);
    tcps_tracker_finish_first_pass(f);
    check_same(c, f, last, "finished after step", n);
    slots = tcps_tracker_compact_slots(c);
    /* Expanded for good (a view that keeps connections). */
    for (i = 0; i < tcps_tracker_conn_count(c); i++)
        assert_non_null(tcps_tracker_conn_at(c, i));
    assert_int_equal(tcps_tracker_compact_count(c), 0);
    check_same(c, f, last, "expanded after step", n);
    tcps_tracker_free(c);
    tcps_tracker_free(f);
    return slots;
}

#define RUN_DIFF(steps, min) run_diff(steps, G_N_ELEMENTS(steps), min)

/* SYNs nothing answers, to one server: the SYN-flood count and flag (more
 * than 2 in 10 s), the window moving on, finalize (LISTEN). */
static void test_compact_syn_only(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, 100, 0, 0, 40001 },
        { 2, 0, 1, 1, SYN, 200, 0, 10, 40002 },
        { 3, 0, 2, 1, SYN, 300, 0, 20, 40003 },
        { 4, 0, 3, 1, SYN, 400, 0, 30, 40004 },
        { 5, 0, 4, 1, SYN | 0x40 | 0x80, 500, 0, 9000, 40005 },   /* ECE, CWR */
        { 6, 0, 5, 1, SYN, 600, 7, 20000, 40006 },    /* out of the window; an ack value */
        FINISH,
    };
    (void)state;
    RUN_DIFF(steps, 6);
}

/* A SYN, then its SYN/ACK and ACK: expanded at the SYN/ACK. */
static void test_compact_then_synack(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, CISN, 0, 0, CPORT },
        { 2, 0, 1, 1, SYN, CISN, 0, 5, 40002 },
        { 3, 0, 0, 0, SYN | ACK, SISN, CISN + 1, 10, CPORT },
        { 4, 0, 0, 1, ACK, CISN + 1, SISN + 1, 20, CPORT },
        { 5, 0, 2, 1, SYN, CISN, 0, 25, 40003 },
        FINISH,
        { 6, 0, 1, 0, SYN | ACK, SISN, CISN + 1, 3000, 40002 },    /* late: unfinalize */
    };
    (void)state;
    RUN_DIFF(steps, 2);
}

/* Connections that get past their SYN, one after the other (the SYN of
 * the next before the handshake of the last is over): each is compact
 * from its SYN to its SYN/ACK, and the next takes the slot (and the
 * address's room) the last one left; the records and connections are the
 * same as without compaction throughout. Two slots ever, not one a
 * connection (a 5% regression per connection before slots were taken
 * again: 1,154 against 1,092 B at 90,909 connections). */
static void test_compact_slots_taken_again(void **state)
{
    step steps[3 * 40 + 1];
    guint32 i, n = 0, num = 1;

    (void)state;
    for (i = 0; i < 40; i++) {
        guint16 port = (guint16)(41000 + i);
        gint64 ms = (gint64)i * 100;

        steps[n++] = (step){ num++, 0, i, 1, SYN, CISN + i, 0, ms, port };
        if (i)      /* the last one's handshake ends after this SYN */
            steps[n++] = (step){ num++, 0, i - 1, 1, ACK, CISN + i, SISN + 1, ms + 2,
                                 (guint16)(port - 1) };
        steps[n++] = (step){ num++, 0, i, 0, SYN | ACK, SISN, CISN + i + 1, ms + 1, port };
    }
    steps[n++] = (step)FINISH;
    assert_true(n <= G_N_ELEMENTS(steps));
    assert_true(run_diff(steps, n, 1) <= 2);
}

/* A SYN refused by a RST. */
static void test_compact_refused(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, CISN, 0, 0, CPORT },
        { 2, 0, 1, 1, SYN, CISN, 0, 1, 40002 },
        { 3, 0, 2, 1, SYN, CISN, 0, 2, 40003 },
        { 4, 0, 0, 0, RST | ACK, 0, CISN + 1, 10, CPORT },
        { 5, 0, 3, 1, SYN, CISN, 0, 20, 40004 },   /* the count without the refused one */
        FINISH,
    };
    (void)state;
    RUN_DIFF(steps, 3);
}

/* A SYN sent again on its stream, and on a new tcp.stream (a new ISN, as
 * Wireshark splits it): both join the compact connection. */
static void test_compact_syn_again(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, CISN, 0, 0, CPORT },
        { 2, 0, 0, 1, SYN, CISN, 0, 1000, CPORT },
        { 3, 0, 1, 1, SYN, CISN, 0, 1500, 40002 },
        { 4, 0, 2, 1, SYN, CISN + 777, 0, 4000, 40002 },
        { 5, 0, 2, 0, SYN | ACK, SISN, CISN + 778, 4010, 40002 },
        FINISH,
    };
    (void)state;
    RUN_DIFF(steps, 1);
}

/* The 4-tuple used again after a SYN-only incarnation: after a whole
 * handshake and close (TIME_WAIT), after a SYN-only one finalized, and a
 * third incarnation of a compact one's 4-tuple much later. */
static void test_compact_reuse(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, CISN, 0, 0, CPORT },
        { 2, 0, 0, 0, SYN | ACK, SISN, CISN + 1, 10, CPORT },
        { 3, 0, 0, 1, ACK, CISN + 1, SISN + 1, 20, CPORT },
        { 4, 0, 0, 1, FIN | ACK, CISN + 1, SISN + 1, 30, CPORT },
        { 5, 0, 0, 0, FIN | ACK, SISN + 1, CISN + 2, 40, CPORT },
        { 6, 0, 0, 1, ACK, CISN + 2, SISN + 2, 50, CPORT },
        { 7, 0, 1, 1, SYN, CISN + 5000, 0, 1000, CPORT },     /* in TIME_WAIT */
        { 8, 0, 2, 1, SYN, 9000, 0, 1100, 40002 },
        FINISH,
        { 9, 0, 3, 1, SYN, 19000, 0, 200000, 40002 },         /* 200 s later */
        { 10, 0, 4, 1, RST, 19001, 0, 200100, 40002 },
        { 11, 0, 5, 1, SYN, 29000, 0, 300000, 40002 },
        FINISH,
    };
    (void)state;
    RUN_DIFF(steps, 1);
}

/* A live capture: the first pass finished with unanswered SYNs (LISTEN),
 * then goes on with the late SYN/ACK of one of them. */
static void test_compact_finalize_unfinalize(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, CISN, 0, 0, CPORT },
        { 2, 0, 1, 1, SYN, CISN, 0, 1, 40002 },
        FINISH,
        FINISH,
        { 3, 0, 0, 0, SYN | ACK, SISN, CISN + 1, 500, CPORT },
        FINISH,
        { 4, 0, 0, 1, ACK, CISN + 1, SISN + 1, 600, CPORT },
        { 5, 0, 2, 1, SYN, CISN, 0, 700, 40003 },
        FINISH,
        { 6, 0, 1, 0, SYN | ACK, SISN, CISN + 1, 800, 40002 },
    };
    (void)state;
    RUN_DIFF(steps, 2);
}

/* A read filter drops a compact connection's SYN frame after it was
 * analysed: its number goes to the next frame (another connection's SYN,
 * then the dropped SYN's own SYN/ACK). */
static void test_compact_number_reused(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, CISN, 0, 0, CPORT },
        { 2, 0, 1, 1, SYN, CISN, 0, 10, 40002 },
        { 2, 250, 2, 1, SYN, CISN, 0, 20, 40003 },     /* frame 2 again */
        { 3, 0, 3, 1, SYN, CISN, 0, 30, 40004 },
        { 3, 350, 1, 0, SYN | ACK, SISN, CISN + 1, 40, 40002 },
        { 4, 0, 1, 1, ACK, CISN + 1, SISN + 1, 50, 40002 },
        FINISH,
    };
    (void)state;
    RUN_DIFF(steps, 3);
}

/* The first pass finalizes a compact SYN (revising its record), then a
 * live capture goes on and a read filter drops that SYN: its number goes to
 * the SYN/ACK. Expanded then, the connection keeps what finalize noted
 * (found by the fuzz harness: rev_lo/hi differed). */
static void test_compact_finalized_then_dropped(void **state)
{
    static const step steps[] = {
        { 1, 0, 0, 1, SYN, CISN, 0, 0, CPORT },
        { 2, 0, 1, 1, SYN, CISN, 0, 1, 40002 },
        FINISH,
        { 1, 150, 0, 0, SYN | ACK, SISN, CISN + 1, 10, CPORT },
        { 2, 250, 0, 1, ACK, CISN + 1, SISN + 1, 20, CPORT },
        FINISH,
    };
    (void)state;
    RUN_DIFF(steps, 2);
}

/* A flood against one server mixed with handshakes that complete, are
 * reset or leave the window, before and after the first pass ends. */
static void test_compact_flood_mix(void **state)
{
    step steps[64];
    size_t n = 0;
    guint32 i, num = 1;

    for (i = 0; i < 20; i++) {
        guint16 cport = (guint16)(41000 + i);
        gint64 ms = (gint64)i * 900;

        steps[n++] = (step){ num++, 0, i, 1, SYN, CISN + i, 0, ms, cport };
        if (i % 5 == 1)
            steps[n++] = (step){ num++, 0, i, 0, SYN | ACK, SISN, CISN + i + 1, ms + 5, cport };
        if (i % 5 == 1)
            steps[n++] = (step){ num++, 0, i, 1, ACK, CISN + i + 1, SISN + 1, ms + 9, cport };
        if (i % 7 == 3)
            steps[n++] = (step){ num++, 0, i, 1, RST, CISN + i + 1, 0, ms + 7, cport };
        if (i == 12)
            steps[n++] = (step)FINISH;
    }
    steps[n++] = (step){ num++, 0, 4, 0, SYN | ACK, SISN, CISN + 5, 30000, 41004 };
    (void)state;
    assert_true(n <= G_N_ELEMENTS(steps));
    run_diff(steps, n, 10);
}

/* The slab keeps objects where they were put across block boundaries, and
 * pop zeroes the last one for its next user; the arena gives back each
 * string as put, across blocks, and refuses one too long for its length
 * byte. */
static void
test_slab_and_arena(void **state)
{
    tcps_slab s;
    tcps_arena a;
    guint8 big[300], addr[16];
    guint32 i, off[5000];

    (void)state;
    tcps_slab_init(&s, sizeof(guint32));
    for (i = 0; i < 3 * TCPS_SLAB_BLOCK + 7; i++)
        *(guint32 *)tcps_slab_new0(&s) = i * 3u;
    assert_int_equal(s.count, 3 * TCPS_SLAB_BLOCK + 7);
    for (i = 0; i < s.count; i++)
        assert_int_equal(*(guint32 *)tcps_slab_at(&s, i), i * 3u);
    tcps_slab_pop(&s);
    assert_int_equal(*(guint32 *)tcps_slab_new0(&s), 0);
    tcps_slab_clear(&s);

    tcps_arena_init(&a);
    memset(big, 7, sizeof big);
    assert_int_equal(tcps_arena_put(&a, 4, sizeof big, big), TCPS_ARENA_NONE);
    for (i = 0; i < G_N_ELEMENTS(off); i++) {     /* 5000 x 21 B: two blocks */
        memset(addr, (int)(i & 0xff), sizeof addr);
        off[i] = tcps_arena_put(&a, (int)(i % 3), i % 2 ? 16u : 4u, addr);
        assert_int_not_equal(off[i], TCPS_ARENA_NONE);
    }
    assert_true(a.blocks->len >= 2);
    for (i = 0; i < G_N_ELEMENTS(off); i++) {
        int type;
        guint len, k;
        const guint8 *data;

        tcps_arena_get(&a, off[i], &type, &len, &data);
        assert_int_equal(type, (int)(i % 3));
        assert_int_equal(len, i % 2 ? 16u : 4u);
        for (k = 0; k < len; k++)
            assert_int_equal(data[k], i & 0xff);
    }
    tcps_arena_clear(&a);
}

/* The connection tables' and trees' counting (tcpstate_counted.h): moves
 * logged as "conn:was>now" (was "-" when not counted yet). */
typedef struct {
    GString *log;
    guint32  conn;
} count_log;

static void
log_move(void *ctx, const tcps_conn_counted *was, const tcps_conn_counted *now)
{
    count_log *l = (count_log *)ctx;

    if (was)
        g_string_append_printf(l->log, "%u:%u/%u/%u>", l->conn, was->code, was->client,
                               was->server);
    else
        g_string_append_printf(l->log, "%u:->", l->conn);
    g_string_append_printf(l->log, "%u/%u/%u ", now->code, now->client, now->server);
}

static gboolean
count_conn(tcps_counted *k, tcps_tracker *tr, guint32 idx, count_log *l)
{
    l->conn = idx;
    return tcps_counted_conn(k, tr, idx, log_move, l);
}

/* Counting reads connections through the view: a SYN flood's stay compact,
 * and the moves are those of a tracker without compaction. A reuse moves
 * the previous incarnation too (its TIME_WAIT ended), once. */
static void test_counted_keeps_compact(void **state)
{
    tcps_tracker *tr[2] = { tcps_tracker_new(&prefs), tcps_tracker_new(&prefs) };
    tcps_counted *k[2] = { tcps_counted_new(), tcps_counted_new() };
    count_log l[2] = { { g_string_new(NULL), 0 }, { g_string_new(NULL), 0 } };
    char want[64];
    int t;
    guint32 i;
    (void)state;

    tcps_tracker_set_compaction(tr[1], FALSE);
    for (t = 0; t < 2; t++) {
        tcps_frame *fr;
        handshake_and_close(tr[t], TRUE);
        for (i = 1; i <= 7; i++)
            count_conn(k[t], tr[t], tcps_tracker_get(tr[t], i)->conn, &l[t]);
        for (i = 0; i < 3; i++) {   /* the flood: new ports, new streams */
            fr = feed_at(tr[t], 8 + i, (8 + i) * 100, 1 + i, 1, SYN, CISN + i, 0, 100 + i,
                         CPORT + 1 + i);
            assert_true(count_conn(k[t], tr[t], fr->conn, &l[t]));
            assert_false(count_conn(k[t], tr[t], fr->conn, &l[t]));   /* unchanged */
        }
        fr = feed(tr[t], 11, 4, 1, SYN, CISN + 100000, 0, 1000);   /* reuses conn 0's */
        g_string_append(l[t].log, "| ");
        assert_true(count_conn(k[t], tr[t], fr->conn, &l[t]));
        tcps_tracker_finish_first_pass(tr[t]);
        g_string_append(l[t].log, "| ");
        for (i = 0; i < tcps_tracker_conn_count(tr[t]); i++)
            count_conn(k[t], tr[t], i, &l[t]);
    }
    assert_string_equal(l[0].log->str, l[1].log->str);
    assert_int_equal(tcps_tracker_compact_count(tr[0]), 3);
    /* Frame 11: counting conn 4, the new incarnation, also moved conn 0
     * (logged under 4: the connection counted) from TIME_WAIT to CLOSED. */
    g_snprintf(want, sizeof want, "| 4:->%u/%u/%u 4:%u/%u/%u>%u/%u/%u |", (guint)TCPS_ZEEK_S0,
               TCPS_SYN_SENT, TCPS_SYN_RCVD, (guint)TCPS_ZEEK_SF, TCPS_TIME_WAIT, TCPS_CLOSED,
               (guint)TCPS_ZEEK_SF, TCPS_CLOSED, TCPS_CLOSED);
    if (!strstr(l[0].log->str, want))
        fail_msg("\"%s\" not in \"%s\"", want, l[0].log->str);
    /* A reset table counts from scratch. */
    tcps_counted_clear(k[0]);
    assert_true(count_conn(k[0], tr[0], 1, &l[0]));
    assert_false(count_conn(k[0], tr[0], 5, &l[0]));   /* no such connection */
    assert_int_equal(tcps_tracker_compact_count(tr[0]), 3);
    for (t = 0; t < 2; t++) {
        g_string_free(l[t].log, TRUE);
        tcps_counted_free(k[t]);
        tcps_tracker_free(tr[t]);
    }
    tcps_counted_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slab_and_arena),
        cmocka_unit_test(test_same_frame_again),
        cmocka_unit_test(test_finalize_unfinalize),
        cmocka_unit_test(test_stream_join),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_lost_links),
        cmocka_unit_test(test_number_reused_by_read_filter),
        cmocka_unit_test(test_forget_frame),
        cmocka_unit_test(test_half_open_count),
        cmocka_unit_test(test_finalize_flood_is_linear),
        cmocka_unit_test(test_conninfo),
        cmocka_unit_test(test_sparse_stream_numbers),
        cmocka_unit_test(test_since_log_growth),
        cmocka_unit_test(test_compact_syn_only),
        cmocka_unit_test(test_compact_then_synack),
        cmocka_unit_test(test_compact_refused),
        cmocka_unit_test(test_compact_slots_taken_again),
        cmocka_unit_test(test_compact_syn_again),
        cmocka_unit_test(test_compact_reuse),
        cmocka_unit_test(test_compact_finalize_unfinalize),
        cmocka_unit_test(test_compact_number_reused),
        cmocka_unit_test(test_compact_flood_mix),
        cmocka_unit_test(test_compact_finalized_then_dropped),
        cmocka_unit_test(test_counted_keeps_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
