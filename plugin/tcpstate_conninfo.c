/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_conninfo.c — connection-level analysis in the epan layer.
 * See tcpstate_conninfo.h for what is kept and why.
 */
#include <epan/packet.h>
#include <epan/address.h>
#include <epan/to_str.h>
#include <wsutil/wmem/wmem.h>

#include "tcpstate_conninfo.h"

/* The 4-tuple, with the lower end first so both directions hash alike. */
typedef struct {
    address  a, b;
    guint16  a_port, b_port;
} tcps_tuple_key;

/* One server endpoint (address, port): its recent half-open handshakes. */
typedef struct {
    address  addr;
    guint16  port;
} tcps_endpoint_key;

/* A handshake toward a server endpoint, in SYN order; conn is NULL once
 * the handshake is no longer half-open (completed or reset). */
typedef struct tcps_pending {
    tcps_conn_info *conn;
    gint64          syn_ns;
} tcps_pending;

/* One server endpoint's handshakes within the SYN-flood window, and how many
 * of them are half-open now. Each SYN costs O(1) amortised, so a real flood
 * of millions of SYNs stays linear. */
typedef struct tcps_server {
    wmem_list_t *pending;
    guint        half_open;
} tcps_server;

static wmem_array_t *conns;    /* tcps_conn_info *, by index: frames keep 4 bytes */
static wmem_map_t *tuples;     /* tcps_tuple_key -> latest tcps_conn_info */
static wmem_map_t *servers;    /* tcps_endpoint_key -> tcps_server */
static gint64      capture_end_ns;
static gboolean    have_time_base;  /* frame times count from time_base s */
static gint64      time_base;

/* A frame's since index must fit in 16 bits, TCPS_SINCE_NONE excluded. */
G_STATIC_ASSERT(TCPS_SINCE_LOG_MAX < TCPS_SINCE_NONE);
/* A frame's history length and Zeek state must fit their bit fields. */
G_STATIC_ASSERT(TCPS_ZEEK_HISTORY_MAX <= TCPS_FRAME_HIST_MAX);
G_STATIC_ASSERT(TCPS_ZEEK_NUM <= 16);

static guint
tuple_hash(gconstpointer k)
{
    const tcps_tuple_key *t = (const tcps_tuple_key *)k;
    guint h = add_address_to_hash(t->a_port, &t->a);
    return add_address_to_hash(h ^ ((guint)t->b_port << 16), &t->b);
}

static gboolean
tuple_equal(gconstpointer x, gconstpointer y)
{
    const tcps_tuple_key *p = (const tcps_tuple_key *)x, *q = (const tcps_tuple_key *)y;
    return p->a_port == q->a_port && p->b_port == q->b_port &&
           addresses_equal(&p->a, &q->a) && addresses_equal(&p->b, &q->b);
}

static guint
endpoint_hash(gconstpointer k)
{
    const tcps_endpoint_key *e = (const tcps_endpoint_key *)k;
    return add_address_to_hash(e->port, &e->addr);
}

static gboolean
endpoint_equal(gconstpointer x, gconstpointer y)
{
    const tcps_endpoint_key *p = (const tcps_endpoint_key *)x;
    const tcps_endpoint_key *q = (const tcps_endpoint_key *)y;
    return p->port == q->port && addresses_equal(&p->addr, &q->addr);
}

void
tcps_conninfo_init(void)
{
    conns = wmem_array_new(wmem_file_scope(), sizeof(tcps_conn_info *));
    tuples = wmem_map_new(wmem_file_scope(), tuple_hash, tuple_equal);
    servers = wmem_map_new(wmem_file_scope(), endpoint_hash, endpoint_equal);
    capture_end_ns = TCPS_TIME_NONE;
    have_time_base = FALSE;
}

gint64
tcps_frame_time_ns(const packet_info *pinfo)
{
    /* Frames are analysed in order on the first pass, and the base stays
     * for the later passes: every pass gives a frame the same time. */
    if (!have_time_base) {
        time_base = (gint64)pinfo->abs_ts.secs;
        have_time_base = TRUE;
    }
    return tcps_time_ns(tcps_secs_sub((gint64)pinfo->abs_ts.secs, time_base),
                        pinfo->abs_ts.nsecs);
}

/* A key on the stack that points at pinfo's addresses, for lookups. */
static void
tuple_of(const address *src, const address *dst, guint16 sport, guint16 dport,
         tcps_tuple_key *k)
{
    int c = cmp_address(src, dst);

    if (c < 0 || (c == 0 && sport <= dport)) {
        copy_address_shallow(&k->a, src);
        copy_address_shallow(&k->b, dst);
        k->a_port = sport;
        k->b_port = dport;
    } else {
        copy_address_shallow(&k->a, dst);
        copy_address_shallow(&k->b, src);
        k->a_port = dport;
        k->b_port = sport;
    }
}

tcps_conn_info *
tcps_conninfo_lookup(const address *src, const address *dst, guint16 sport, guint16 dport)
{
    tcps_tuple_key probe;

    tuple_of(src, dst, sport, dport, &probe);
    return (tcps_conn_info *)wmem_map_lookup(tuples, &probe);
}

gboolean
tcps_conninfo_live(const tcps_conn_info *conn)
{
    /* The engine's own rule for a finished connection, so that a stream
     * joins exactly the connections the engine would go on with. */
    return !tcps_state_is_idle((tcps_state)conn->final_state[0]) ||
           !tcps_state_is_idle((tcps_state)conn->final_state[1]);
}

tcps_conn_info *
tcps_conninfo_new(const packet_info *pinfo, const address *src, const address *dst,
                  guint16 sport, guint16 dport)
{
    tcps_conn_info *conn = wmem_new0(wmem_file_scope(), tcps_conn_info);
    tcps_tuple_key probe, *key;
    const void *old_key;
    void *previous;

    tcps_zeek_init(&conn->zeek);
    conn->table_index = wmem_array_get_count(conns);
    wmem_array_append_one(conns, conn);
    conn->start_ns = tcps_frame_time_ns(pinfo);
    conn->last_syn_ns = TCPS_TIME_NONE;    /* 0 is a time like any other */
    tuple_of(src, dst, sport, dport, &probe);
    if (wmem_map_lookup_extended(tuples, &probe, &old_key, &previous)) {
        conn->previous = (tcps_conn_info *)previous;
        wmem_map_insert(tuples, old_key, conn);
    } else {
        key = wmem_new(wmem_file_scope(), tcps_tuple_key);
        copy_address_wmem(wmem_file_scope(), &key->a, &probe.a);
        copy_address_wmem(wmem_file_scope(), &key->b, &probe.b);
        key->a_port = probe.a_port;
        key->b_port = probe.b_port;
        wmem_map_insert(tuples, key, conn);
    }
    return conn;
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
        /* Six entries hold a whole ordinary connection's end (SYN_SENT,
         * ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT): one allocation. */
        guint32 cap = log->cap ? MIN(log->cap * 2u, TCPS_SINCE_LOG_MAX) : 6;
        log->v = (tcps_since *)wmem_realloc(wmem_file_scope(), log->v, cap * sizeof(tcps_since));
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

gint64
tcps_conninfo_capture_end_ns(void)
{
    return capture_end_ns;
}

gboolean
tcps_conninfo_synack_gave_up(tcps_conn_info *conn)
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

char *
tcps_endpoint_str(const address *addr, guint32 port)
{
    char *a = address_to_str(NULL, addr);
    char *s = g_strdup_printf(addr->type == AT_IPv6 ? "[%s]:%u" : "%s:%u", a, port);

    wmem_free(NULL, a);
    return s;
}

guint32
tcps_conninfo_count(void)
{
    return conns ? wmem_array_get_count(conns) : 0;
}

tcps_conn_info *
tcps_conninfo_at(guint32 idx)
{
    return *(tcps_conn_info **)wmem_array_index(conns, idx);
}

tcps_conn_info *
tcps_conninfo_get(const tcps_frame *fr)
{
    return *(tcps_conn_info **)wmem_array_index(conns, fr->conn);
}

const tcps_since *
tcps_conninfo_since(const tcps_conn_info *conn, const tcps_frame *fr, int e)
{
    const tcps_since_log *log = &conn->since[e];
    guint16 idx = fr->since[e];

    return idx < log->n ? &log->v[idx] : NULL;
}

gint64
tcps_conninfo_state_duration_ns(const tcps_conn_info *conn, int e, guint32 idx)
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
count_half_open(const address *dst, guint16 dport, tcps_conn_info *conn, gint64 now,
                const tcps_analysis_prefs *settings)
{
    tcps_endpoint_key probe, *key;
    tcps_server *srv;
    wmem_list_frame_t *head;
    tcps_pending *p;
    gint64 window = (gint64)settings->flood_seconds * 1000000000;

    copy_address_shallow(&probe.addr, dst);
    probe.port = dport;
    srv = (tcps_server *)wmem_map_lookup(servers, &probe);
    if (!srv) {
        key = wmem_new(wmem_file_scope(), tcps_endpoint_key);
        copy_address_wmem(wmem_file_scope(), &key->addr, dst);
        key->port = dport;
        srv = wmem_new0(wmem_file_scope(), tcps_server);
        srv->pending = wmem_list_new(wmem_file_scope());
        wmem_map_insert(servers, key, srv);
    }
    while ((head = wmem_list_head(srv->pending)) != NULL) {
        p = (tcps_pending *)wmem_list_frame_data(head);
        if (p->conn && now - p->syn_ns <= window)
            break;
        if (p->conn) {              /* still half-open, but out of the window */
            p->conn->pending = NULL;
            p->conn->server = NULL;
            srv->half_open--;
        }
        wmem_list_remove_frame(srv->pending, head);
        wmem_free(wmem_file_scope(), p);
    }
    p = wmem_new(wmem_file_scope(), tcps_pending);
    p->conn = conn;
    p->syn_ns = now;
    wmem_list_append(srv->pending, p);
    conn->pending = p;
    conn->server = srv;
    return ++srv->half_open;
}

static void
no_longer_half_open(tcps_conn_info *conn)
{
    conn->pending->conn = NULL;
    conn->server->half_open--;
    conn->pending = NULL;
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

void
tcps_conninfo_segment(tcps_conn_info *conn, tcps_frame *fr, const packet_info *pinfo,
                      const address *dst, guint16 dport, const tcps_zeek_segment *zseg,
                      const tcps_result *res, const tcps_analysis_prefs *settings)
{
    gint64 now = tcps_frame_time_ns(pinfo);
    guint16 flags = zseg ? zseg->flags : 0;
    gboolean corrected = (res->events & TCPS_EV_LOSS_REVEALED) != 0;
    size_t hist_len;
    int e;

    fr->analysis = 0;
    if (now > capture_end_ns)
        capture_end_ns = now;
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
        conn->closer_frame = pinfo->num;
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
        fr->since[e] = since_update(&conn->since[e], pinfo->num, res->state[e], now,
                                    corrected && (res->from_client ? 0 : 1) == e);
        conn->final_state[e] = res->state[e];
    }

    if (conn->pending && (conn->reset || conn->final_state[1] != TCPS_SYN_RCVD))
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

    /* A new incarnation's first SYN: reuse and SYN-flood checks. */
    if (res->handshake_step == 1 && res->from_client &&
        !(res->events & (TCPS_EV_SYN_RETRANSMIT | TCPS_EV_SIMULTANEOUS_OPEN)) &&
        res->prev[0] == TCPS_CLOSED) {
        fr->analysis |= reuse_check(conn->previous, now, settings);
        end_time_wait(conn->previous, pinfo->num, now, settings);
        guint half_open = count_half_open(dst, dport, conn, now, settings);
        conn->half_open_at_syn = half_open;
        fr->analysis |= TCPS_AN_HALF_OPEN_COUNTED;
        if (half_open > settings->flood_count)
            fr->analysis |= TCPS_AN_SYN_FLOOD;
    }

}
