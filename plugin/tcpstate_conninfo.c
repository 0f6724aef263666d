/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_conninfo.c — connection-level analysis, pure C with GLib.
 * See tcpstate_conninfo.h for what is kept and why.
 */
#include <string.h>

#include "tcpstate_conninfo.h"

/* A frame's since index must fit in 16 bits, TCPS_SINCE_NONE excluded. */
G_STATIC_ASSERT(TCPS_SINCE_LOG_MAX < TCPS_SINCE_NONE);
/* A frame's history length and Zeek state must fit their bit fields. */
G_STATIC_ASSERT(TCPS_ZEEK_HISTORY_MAX <= TCPS_FRAME_HIST_MAX);
G_STATIC_ASSERT(TCPS_ZEEK_NUM <= 16);

void
tcps_conninfo_init(tcps_conn_info *conn, guint32 table_index, gint64 start_ns)
{
    memset(conn, 0, sizeof *conn);
    tcps_zeek_init(&conn->zeek);
    conn->table_index = table_index;
    conn->start_ns = start_ns;
    conn->last_syn_ns = TCPS_TIME_NONE;    /* 0 is a time like any other */
}

void
tcps_conninfo_clear(tcps_conn_info *conn)
{
    g_free(conn->since[0].v);
    g_free(conn->since[1].v);
    g_free(conn->times.v);
    memset(&conn->since, 0, sizeof conn->since);
    memset(&conn->times, 0, sizeof conn->times);
}

gboolean
tcps_conninfo_live(const tcps_conn_info *conn)
{
    /* The engine's own rule for a finished connection, so that a stream
     * joins exactly the connections the engine would go on with. */
    return !tcps_state_is_idle((tcps_state)conn->final_state[0]) ||
           !tcps_state_is_idle((tcps_state)conn->final_state[1]);
}

static void
since_append(tcps_since_log *log, guint32 frame, guint8 state, gint64 t_ns)
{
    if (log->n == TCPS_SINCE_LOG_MAX) {
        /* Pathological flapping. Overwriting an entry would change what
         * earlier frames show: log nothing more, and later frames show no
         * "since". */
        log->full = 1;
        return;
    }
    if (log->n == log->cap) {
        /* First one entry: most connections of a SYN flood never log a
         * second (16 B instead of 96). Then six, which hold a whole
         * ordinary connection's end (SYN_SENT, ESTABLISHED, FIN_WAIT_1,
         * FIN_WAIT_2, TIME_WAIT), then doubling. */
        guint32 cap = log->cap > 1 ? MIN(log->cap * 2u, TCPS_SINCE_LOG_MAX) : log->cap ? 6 : 1;
        log->v = g_renew(tcps_since, log->v, cap);
        log->cap = (guint16)cap;
    }
    log->v[log->n].frame = frame;
    log->v[log->n].state = state;
    log->v[log->n].time_ns = t_ns;
    log->n++;
}

void
tcps_conninfo_note_time(tcps_conn_info *conn, guint32 frame, gint64 t_ns)
{
    if (!conn->times.n || conn->times.v[conn->times.n - 1].frame < frame)
        since_append(&conn->times, frame, 0, t_ns);
    else if (conn->times.v[conn->times.n - 1].frame == frame)
        conn->times.v[conn->times.n - 1].time_ns = t_ns;    /* a number handed out again */
}

gint64
tcps_conninfo_time_of(const tcps_conn_info *conn, guint32 frame)
{
    guint32 lo = 0, hi = conn->times.n;

    while (lo < hi) {                   /* appended in frame order */
        guint32 mid = lo + (hi - lo) / 2;
        if (conn->times.v[mid].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < conn->times.n && conn->times.v[lo].frame == frame ? conn->times.v[lo].time_ns
                                                                 : TCPS_TIME_NONE;
}

/* Where an endpoint's state changed, log it; the frame's index into the log.
 * When a later segment showed an arrival was lost and the endpoint is back
 * in the state it had before that arrival, it has been in that state since
 * the earlier entry, not since now: copy that entry rather than start anew. */
static guint16
since_update(tcps_since_log *log, guint32 frame, guint8 state, gint64 t_ns, gboolean corrected)
{
    if (log->full)
        return TCPS_SINCE_NONE;
    if (log->n && log->v[log->n - 1].state == state)
        return (guint16)(log->n - 1);
    if (corrected && log->n >= 2 && log->v[log->n - 2].state == state) {
        tcps_since back = log->v[log->n - 2];
        since_append(log, back.frame, back.state, back.time_ns);
    } else {
        since_append(log, frame, state, t_ns);
    }
    return log->full ? TCPS_SINCE_NONE : (guint16)(log->n - 1);
}

gboolean
tcps_conninfo_synack_gave_up(tcps_conn_info *conn, gint64 capture_end_ns)
{
    gint64 timer, at;

    if (!(conn->end_flags & TCPS_END_SYNACK_SEEN) || conn->final_state[1] != TCPS_SYN_RCVD)
        return FALSE;
    timer = tcps_synack_timer_ns(conn->synack_timeouts);
    at = conn->synack_ns + timer;
    /* Timers fire late by up to an eighth of their interval (the kernel's
     * timer wheel): a quarter leaves room for that. */
    if (conn->last_ns >= at || capture_end_ns < at + timer / 4)
        return FALSE;
    conn->end_flags |= TCPS_END_GAVE_UP;
    conn->final_state[1] = TCPS_LISTEN;
    return TRUE;
}

gint64
tcps_conninfo_gave_up_ns(const tcps_conn_info *conn)
{
    if (!(conn->end_flags & TCPS_END_GAVE_UP))
        return TCPS_TIME_NONE;
    return conn->synack_ns + tcps_synack_timer_ns(conn->synack_timeouts);
}

const tcps_since *
tcps_conninfo_since(const tcps_conn_info *conn, const tcps_frame *fr, int e)
{
    const tcps_since_log *log = &conn->since[e];
    guint16 idx = fr->since[e];

    return idx < log->n ? &log->v[idx] : NULL;
}

gint64
tcps_conninfo_state_duration_ns(const tcps_conn_info *conn, int e, guint32 idx,
                                gint64 capture_end_ns)
{
    const tcps_since_log *log = &conn->since[e];

    if (idx >= log->n)
        return 0;
    if (idx + 1 < log->n)
        return log->v[idx + 1].time_ns - log->v[idx].time_ns;
    return capture_end_ns - log->v[idx].time_ns;
}

/* The half-open handshakes toward the server endpoint of this new SYN begun
 * within the last T seconds, this one included. Entries fall off the head
 * when they leave the window; a connection that completes or is reset is
 * taken off the count at once (no_longer_half_open) and its entry dropped
 * when it reaches the head. */
static guint
count_half_open(tcps_server *srv, tcps_conn_info *conn, gint64 now,
                const tcps_analysis_prefs *settings)
{
    gint64 window = (gint64)settings->flood_seconds * 1000000000;
    tcps_pending *p;

    while (srv->count) {
        p = &srv->ring[srv->head];
        if (p->conn && now - p->syn_ns <= window)
            break;
        if (p->conn)                /* still half-open, but out of the window: */
            srv->half_open--;       /* its connection sees its entry gone */
        srv->head = (srv->head + 1) & (srv->cap - 1);
        srv->count--;
        srv->base++;
    }
    if (srv->count == srv->cap) {   /* full: twice the room, in order from 0 */
        guint32 cap = srv->cap ? srv->cap * 2 : 4, i;
        tcps_pending *ring = g_new(tcps_pending, cap);

        for (i = 0; i < srv->count; i++)
            ring[i] = srv->ring[(srv->head + i) & (srv->cap - 1)];
        g_free(srv->ring);
        srv->ring = ring;
        srv->cap = cap;
        srv->head = 0;
    }
    p = &srv->ring[(srv->head + srv->count) & (srv->cap - 1)];
    p->conn = conn->table_index + 1;
    p->syn_ns = now;
    conn->pending_seq = srv->base + srv->count;
    conn->server = srv;
    srv->count++;
    return ++srv->half_open;
}

/* Its entry in the server's ring, while the ring still holds it (entries
 * leave at the head once out of the window, and base counts them), else
 * NULL. */
static tcps_pending *
pending_entry(const tcps_conn_info *conn)
{
    const tcps_server *srv = conn->server;
    guint32 k;
    tcps_pending *p;

    if (!srv)
        return NULL;
    k = conn->pending_seq - srv->base;     /* an entry gone: beyond count */
    if (k >= srv->count)
        return NULL;
    p = &srv->ring[(srv->head + k) & (srv->cap - 1)];
    return p->conn == conn->table_index + 1 ? p : NULL;
}

#ifdef TCPSTATE_TEST_HOOKS
gboolean
tcps_conninfo_half_open(const tcps_conn_info *conn)
{
    return pending_entry(conn) != NULL;
}
#endif

static void
no_longer_half_open(tcps_conn_info *conn)
{
    pending_entry(conn)->conn = 0;
    conn->server->half_open--;
    conn->server = NULL;
}

/* A new incarnation begins with this SYN: was the previous one's TIME_WAIT
 * still holding? */
static guint16
reuse_check(const tcps_conn_info *prev, gint64 now, const tcps_analysis_prefs *settings)
{
    gint64 two_msl = (gint64)settings->msl_seconds * 2 * 1000000000;
    gboolean had_tw = FALSE;
    int e;
    guint32 i;

    if (!prev)
        return 0;
    for (e = 0; e < 2; e++) {
        const tcps_since_log *log = &prev->since[e];
        for (i = 0; i < log->n; i++) {
            if (log->v[i].state != TCPS_TIME_WAIT)
                continue;
            had_tw = TRUE;
            if (i + 1 == log->n && !log->full && now - log->v[i].time_ns < two_msl)
                return TCPS_AN_REUSE_IN_TW;
        }
    }
    return had_tw && !prev->reset ? TCPS_AN_REUSE_AFTER_TW : 0;
}

/* The new SYN on frame `frame` ends the previous incarnation's TIME_WAIT
 * (§3.10.7.4 TIME-WAIT, RFC 6191; Linux's tcp_timewait_state_process
 * replaces the timewait socket, and `ss` lists only the new one): that end
 * is CLOSED from this frame on, or from 2·MSL after its TIME_WAIT began if
 * that ran out before. Its final state and its since log say so; the
 * frames of the old connection keep the TIME_WAIT they showed. */
static void
end_time_wait(tcps_conn_info *prev, guint32 frame, gint64 now,
              const tcps_analysis_prefs *settings)
{
    gint64 two_msl = (gint64)settings->msl_seconds * 2 * 1000000000;
    int e;

    for (e = 0; prev && e < 2; e++) {
        tcps_since_log *log = &prev->since[e];
        gint64 at = now;

        if (prev->final_state[e] != TCPS_TIME_WAIT)
            continue;
        if (log->n && log->v[log->n - 1].state == TCPS_TIME_WAIT &&
            now - log->v[log->n - 1].time_ns >= two_msl)
            at = log->v[log->n - 1].time_ns + two_msl;
        prev->final_state[e] = TCPS_CLOSED;
        prev->end_flags |= TCPS_END_TW_ENDED;
        since_update(log, frame, TCPS_CLOSED, at, FALSE);
    }
}

gboolean
tcps_conninfo_segment(tcps_conn_info *conn, tcps_frame *fr, guint32 frame, gint64 now,
                      const tcps_zeek_segment *zseg, const tcps_result *res,
                      const tcps_analysis_prefs *settings)
{
    guint16 flags = zseg ? zseg->flags : 0;
    gboolean corrected = (res->events & TCPS_EV_LOSS_REVEALED) != 0;
    size_t hist_len;
    int e;

    fr->analysis = 0;
    fr->conn = conn->table_index;
    conn->segments++;
    conn->last_ns = now;
    conn->end_flags &= (guint8)~TCPS_END_GAVE_UP;   /* a live capture went on after all */

    /* Who closed first: the first FIN or RST a TCP would act on. A RST
     * outside the window is dropped by its receiver (RFC 9293 3.10.7.4,
     * RFC 5961 3.2): it closes nothing, nor does a segment with a bad
     * checksum (dropped too). A refused connection was never open: nobody
     * closes it. */
    if (!conn->closer && (flags & (TCPS_TH_FIN | TCPS_TH_RST)) &&
        !(res->events & (TCPS_EV_INVALID_FLAGS | TCPS_EV_RST_IGNORED | TCPS_EV_BAD_CHECKSUM |
                         TCPS_EV_REFUSED))) {
        conn->closer = res->from_client ? 1 : 2;
        conn->closer_frame = frame;
    }

    /* Handshake timing, from the capture point: SYN -> SYN/ACK is the
     * server's half of the round trip, SYN/ACK -> ACK the client's. */
    if (res->handshake_step == 1 && res->from_client)
        conn->last_syn_ns = now;
    if (res->handshake_step == 2 && !res->from_client && conn->last_syn_ns != TCPS_TIME_NONE) {
        conn->synack_ns = now;
        conn->syn_for_synack_ns = conn->last_syn_ns;
        conn->had_synack = TRUE;
    }
    /* The server's SYN/ACK timer (tcps_synack_timer_ns): a SYN/ACK sent
     * again with no SYN sent again since the last one was sent on a
     * timeout. */
    if (res->handshake_step == 1 && res->from_client)
        conn->end_flags |= TCPS_END_SYN_AGAIN;
    if (res->handshake_step == 2 && !res->from_client) {
        if ((conn->end_flags & (TCPS_END_SYNACK_SEEN | TCPS_END_SYN_AGAIN)) ==
                TCPS_END_SYNACK_SEEN && conn->synack_timeouts < G_MAXUINT8)
            conn->synack_timeouts++;
        conn->synack_ns = now;
        conn->end_flags = (guint8)((conn->end_flags | TCPS_END_SYNACK_SEEN) & ~TCPS_END_SYN_AGAIN);
    }
    if (res->handshake_step == 3 && res->from_client && conn->had_synack && !conn->hs_done) {
        conn->hs_done = TRUE;
        conn->hs_server_ns = conn->synack_ns - conn->syn_for_synack_ns;
        conn->hs_client_ns = now - conn->synack_ns;
    }

    if (res->events & TCPS_EV_RST_ACCEPTED)
        conn->reset = TRUE;
    if (res->events & TCPS_EV_REFUSED)
        conn->refused = TRUE;

    /* Ends lingering: the first segment at which an end has been in
     * CLOSE_WAIT or FIN_WAIT_2 for the threshold, once per stay. The stay
     * is measured up to this segment, so the segment on which it finally
     * leaves the state also counts. */
    for (e = 0; e < 2; e++) {
        const tcps_since_log *log = &conn->since[e];
        const tcps_since *cur;
        gint64 limit;
        guint16 flag;

        if (!log->n || log->full)
            continue;
        cur = &log->v[log->n - 1];
        limit = tcps_linger_limit_ns(settings, cur->state);
        if (!limit)
            continue;
        flag = cur->state == TCPS_CLOSE_WAIT ? TCPS_AN_CLOSE_WAIT_LONG : TCPS_AN_FIN_WAIT_2_LONG;
        if (now - cur->time_ns >= limit && conn->linger_fired[e] != log->n) {
            conn->linger_fired[e] = log->n;
            fr->analysis |= flag;
        }
    }

    for (e = 0; e < 2; e++) {
        fr->since[e] = since_update(&conn->since[e], frame, res->state[e], now,
                                    corrected && (res->from_client ? 0 : 1) == e);
        conn->final_state[e] = res->state[e];
    }

    if ((conn->reset || conn->final_state[1] != TCPS_SYN_RCVD) && pending_entry(conn))
        no_longer_half_open(conn);

    if (zseg)       /* NULL: a bad IP checksum, which Zeek never sees */
        tcps_zeek_update(&conn->zeek, zseg);
    hist_len = tcps_zeek_history_len(&conn->zeek);
    fr->hist_len = (guint8)MIN(hist_len, TCPS_FRAME_HIST_MAX);
    fr->zeek_state = (guint8)tcps_zeek_conn_state(&conn->zeek);

    if (conn->closer)
        fr->analysis |= TCPS_AN_CLOSER_KNOWN;
    if (conn->hs_done)
        fr->analysis |= TCPS_AN_HS_KNOWN;

    /* A new incarnation's first SYN: reuse and SYN-flood checks follow. */
    return res->handshake_step == 1 && res->from_client &&
           !(res->events & (TCPS_EV_SYN_RETRANSMIT | TCPS_EV_SIMULTANEOUS_OPEN)) &&
           res->prev[0] == TCPS_CLOSED;
}

/* The SYN-flood count at the first SYN, into the connection and its frame. */
static void
counted_half_open(tcps_conn_info *conn, tcps_frame *fr, guint32 half_open,
                  const tcps_analysis_prefs *settings)
{
    conn->half_open_at_syn = half_open;
    fr->analysis |= TCPS_AN_HALF_OPEN_COUNTED;
    if (half_open > settings->flood_count)
        fr->analysis |= TCPS_AN_SYN_FLOOD;
}

void
tcps_conninfo_first_syn(tcps_conn_info *conn, tcps_frame *fr, guint32 frame, gint64 now,
                        tcps_server *srv, const tcps_analysis_prefs *settings)
{
    fr->analysis |= reuse_check(conn->previous, now, settings);
    end_time_wait(conn->previous, frame, now, settings);
    counted_half_open(conn, fr, count_half_open(srv, conn, now, settings), settings);
}

void
tcps_conninfo_first_syn_again(tcps_conn_info *conn, tcps_frame *fr, tcps_server *srv,
                              guint32 pending_seq, guint32 half_open_at_syn,
                              const tcps_analysis_prefs *settings)
{
    /* A compact connection has no previous incarnation: no reuse checks. */
    conn->server = srv;
    conn->pending_seq = pending_seq;
    counted_half_open(conn, fr, half_open_at_syn, settings);
}
