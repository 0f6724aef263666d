/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_tracker.c — the connection tracker of one capture file, pure C
 * with GLib. See tcpstate_tracker.h.
 */
#include <string.h>

#include "tcpstate_tracker.h"
#include "tcpstate_time.h"

/* One TCP stream. A is the sender of the first segment we saw; the engine
 * decides which of A and B is the client. */
typedef struct {
    tcps_conn       conn;
    tcps_conn_info *info;      /* the current incarnation */
    guint32         unanswered;/* the SYN (id) finalize_stream() revised, while
                                  nothing from the server came after it */
    guint32         unanswered_synack; /* the same for the client's SYN/ACK, */
    tcps_since      synack_since;      /* and the since entry it replaced */
    gboolean        a_is_lower;   /* A's address sorts first (used only when
                                     both ports are equal) */
    guint16         a_port;
    guint16         b_port;
    guint32         last_num;     /* the number of its latest frame: a sweep
                                     "to its last frame" stops there, not at
                                     the store's end (which made finalizing
                                     a SYN flood quadratic) */
} tcps_stream;

/* Objects that live as long as the tracker, in blocks that never move: no
 * allocation (nor its overhead) per object, and an index finds one. */
typedef struct {
    GPtrArray *blocks;
    gsize      size;       /* of one object */
    guint      per_block;
    guint32    count;
} tcps_slab;

#define SLAB_BLOCK 256u

/* The 4-tuple, with the lower end first so both directions hash alike; the
 * addresses' bytes follow (a's, then b's). */
typedef struct {
    guint16 a_port, b_port;
    gint    a_type, b_type;
    guint   a_len, b_len;
    guint8  data[];
} tuple_key;

/* A server endpoint: its address's bytes follow. */
typedef struct {
    guint16 port;
    gint    type;
    guint   len;
    guint8  data[];
} endpoint_key;

/* Lookup keys up to this many address bytes are built on the stack. */
#define KEY_STACK 64u

struct tcps_tracker {
    tcps_analysis_prefs prefs;
    tcps_store *store;
    tcps_slab   conns;          /* tcps_conn_info, by index: frames keep 4 bytes */
    tcps_slab   streams_slab;   /* tcps_stream, in creation order */
    /* tcp.stream -> tcps_stream. Wireshark numbers streams densely from 0,
     * so an array indexed by the number finds one (8 bytes a stream rather
     * than a hash entry and its hashing); a number far beyond the streams
     * seen so far (not Wireshark's, e.g. a fuzzer's; or a read filter's
     * that drops most streams) goes to the map, so that the array stays
     * within twice the streams seen plus 4096 entries whatever the input. */
    GPtrArray  *stream_index;
    guint32     streams_seen;   /* tcp.stream numbers given a stream */
    GHashTable *streams;
    GHashTable *tuples;         /* tuple_key -> latest tcps_conn_info (keys owned) */
    GHashTable *servers;        /* endpoint_key -> tcps_server (both owned) */
    GHashTable *lost_shown_by;  /* lost frame -> the frame showing it */
    GHashTable *lost_revealed;  /* that frame -> the lost one (rare events) */
    /* Frame numbers handed out again (tcps_tracker.h, "ids"), one entry per
     * reuse, non-decreasing; empty without a read filter. */
    GArray     *reused;
    gint64      capture_end_ns;
    gboolean    have_time_base;  /* frame times count from time_base s */
    gint64      time_base;
    /* The frame begun last, to tell a frame dissected again before the pass
     * is over from a new frame given the same number. */
    guint32     last_num;
    gint64      last_file_off;
    gboolean    first_pass_done;
};

static void
slab_init(tcps_slab *s, gsize size)
{
    s->blocks = g_ptr_array_new_with_free_func(g_free);
    s->size = size;
    s->per_block = SLAB_BLOCK;
    s->count = 0;
}

static void *
slab_at(const tcps_slab *s, guint32 i)
{
    return (char *)g_ptr_array_index(s->blocks, i / s->per_block) + (i % s->per_block) * s->size;
}

static void *
slab_new0(tcps_slab *s)
{
    if (s->count == s->blocks->len * s->per_block)
        g_ptr_array_add(s->blocks, g_malloc0(s->size * s->per_block));
    return slab_at(s, s->count++);
}

/* FNV-1a, over the bytes that make a key. */
static guint
hash_bytes(guint h, const void *p, gsize n)
{
    const guint8 *b = (const guint8 *)p;

    while (n--)
        h = (h ^ *b++) * 16777619u;
    return h;
}

static guint
tuple_hash(gconstpointer k)
{
    const tuple_key *t = (const tuple_key *)k;
    guint h = hash_bytes(2166136261u, t, offsetof(tuple_key, data));

    return hash_bytes(h, t->data, (gsize)t->a_len + t->b_len);
}

static gboolean
tuple_equal(gconstpointer x, gconstpointer y)
{
    const tuple_key *p = (const tuple_key *)x, *q = (const tuple_key *)y;

    return memcmp(p, q, offsetof(tuple_key, data)) == 0 &&
           memcmp(p->data, q->data, (gsize)p->a_len + p->b_len) == 0;
}

static guint
endpoint_hash(gconstpointer k)
{
    const endpoint_key *e = (const endpoint_key *)k;
    guint h = hash_bytes(2166136261u, e, offsetof(endpoint_key, data));

    return hash_bytes(h, e->data, e->len);
}

static gboolean
endpoint_equal(gconstpointer x, gconstpointer y)
{
    const endpoint_key *p = (const endpoint_key *)x, *q = (const endpoint_key *)y;

    return memcmp(p, q, offsetof(endpoint_key, data)) == 0 &&
           memcmp(p->data, q->data, p->len) == 0;
}

/* Type, then length, then bytes. */
static int
addr_cmp(const tcps_addr *a, const tcps_addr *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->len ? memcmp(a->data, b->data, a->len) : 0;
}

/* The key of a 4-tuple into buf (KEY_STACK bytes past the header) or, when
 * longer, a new allocation; the caller frees it if it is not buf. The
 * header is zeroed first: its padding is hashed and compared too. */
static tuple_key *
tuple_of(const tcps_addr *src, const tcps_addr *dst, guint16 sport, guint16 dport, void *buf)
{
    int c = addr_cmp(src, dst);
    gboolean src_first = c < 0 || (c == 0 && sport <= dport);
    const tcps_addr *a = src_first ? src : dst, *b = src_first ? dst : src;
    gsize n = (gsize)a->len + b->len;
    tuple_key *k = n <= KEY_STACK ? (tuple_key *)buf : (tuple_key *)g_malloc(sizeof *k + n);

    memset(k, 0, sizeof *k);
    k->a_port = src_first ? sport : dport;
    k->b_port = src_first ? dport : sport;
    k->a_type = a->type;
    k->b_type = b->type;
    k->a_len = a->len;
    k->b_len = b->len;
    if (a->len)
        memcpy(k->data, a->data, a->len);
    if (b->len)
        memcpy(k->data + a->len, b->data, b->len);
    return k;
}

static endpoint_key *
endpoint_of(const tcps_addr *addr, guint16 port, void *buf)
{
    endpoint_key *k = addr->len <= KEY_STACK ? (endpoint_key *)buf
                                              : (endpoint_key *)g_malloc(sizeof *k + addr->len);

    memset(k, 0, sizeof *k);
    k->port = port;
    k->type = addr->type;
    k->len = addr->len;
    if (addr->len)
        memcpy(k->data, addr->data, addr->len);
    return k;
}

tcps_tracker *
tcps_tracker_new(const tcps_analysis_prefs *prefs)
{
    tcps_tracker *tr = g_new0(tcps_tracker, 1);

    tr->prefs = *prefs;
    tr->store = tcps_store_new();
    slab_init(&tr->conns, sizeof(tcps_conn_info));
    slab_init(&tr->streams_slab, sizeof(tcps_stream));
    tr->stream_index = g_ptr_array_new();
    tr->streams = g_hash_table_new(g_direct_hash, g_direct_equal);
    tr->tuples = g_hash_table_new_full(tuple_hash, tuple_equal, g_free, NULL);
    tr->servers = g_hash_table_new_full(endpoint_hash, endpoint_equal, g_free,
                                        (GDestroyNotify)tcps_server_free);
    tr->lost_shown_by = g_hash_table_new(g_direct_hash, g_direct_equal);
    tr->lost_revealed = g_hash_table_new(g_direct_hash, g_direct_equal);
    tr->reused = g_array_new(FALSE, FALSE, (guint)sizeof(guint32));
    tr->capture_end_ns = TCPS_TIME_NONE;
    return tr;
}

void
tcps_tracker_free(tcps_tracker *tr)
{
    guint32 i;

    if (!tr)
        return;
    for (i = 0; i < tr->conns.count; i++)
        tcps_conninfo_clear((tcps_conn_info *)slab_at(&tr->conns, i));
    g_ptr_array_free(tr->conns.blocks, TRUE);
    g_ptr_array_free(tr->streams_slab.blocks, TRUE);
    g_ptr_array_free(tr->stream_index, TRUE);
    g_hash_table_destroy(tr->streams);
    g_hash_table_destroy(tr->tuples);
    g_hash_table_destroy(tr->servers);
    g_hash_table_destroy(tr->lost_shown_by);
    g_hash_table_destroy(tr->lost_revealed);
    g_array_free(tr->reused, TRUE);
    tcps_store_free(tr->store);
    g_free(tr);
}

void
tcps_tracker_set_prefs(tcps_tracker *tr, const tcps_analysis_prefs *prefs)
{
    tr->prefs = *prefs;
}

gint64
tcps_tracker_time_ns(tcps_tracker *tr, gint64 secs, gint32 nsecs)
{
    /* Frames are analysed in order on the first pass, and the base stays
     * for the later passes: every pass gives a frame the same time. */
    if (!tr->have_time_base) {
        tr->time_base = secs;
        tr->have_time_base = TRUE;
    }
    return tcps_time_ns(tcps_secs_sub(secs, tr->time_base), nsecs);
}

/* The id of the frame that holds number num now. */
static guint32
frame_id(const tcps_tracker *tr, guint32 num)
{
    const guint32 *r = (const guint32 *)(void *)tr->reused->data;
    guint lo = 0, hi = tr->reused->len;

    while (lo < hi) {                   /* the count of reuses <= num */
        guint mid = lo + (hi - lo) / 2;
        if (r[mid] <= num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return num + lo;
}

/* The number of the first frame with an id >= id: that frame itself when
 * *exact, else the frame that took the number of the dropped frame id was. */
static guint32
frame_of_id(const tcps_tracker *tr, guint32 id, gboolean *exact)
{
    guint32 lo = id > tr->reused->len ? id - tr->reused->len : 1, hi = id;

    while (lo < hi) {                   /* frame_id grows with num */
        guint32 mid = lo + (hi - lo) / 2;
        if (frame_id(tr, mid) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *exact = frame_id(tr, lo) == id;
    return lo;
}

#ifdef TCPSTATE_TEST_HOOKS
guint32
tcps_tracker_frame_id(const tcps_tracker *tr, guint32 num)
{
    return frame_id(tr, num);
}
#endif

tcps_frame *
tcps_tracker_get(tcps_tracker *tr, guint32 num)
{
    return tcps_store_get(tr->store, num);
}

tcps_store *
tcps_tracker_store(tcps_tracker *tr)
{
    return tr->store;
}

guint32
tcps_tracker_conn_count(const tcps_tracker *tr)
{
    return tr->conns.count;
}

tcps_conn_info *
tcps_tracker_conn_at(const tcps_tracker *tr, guint32 idx)
{
    return idx < tr->conns.count ? (tcps_conn_info *)slab_at(&tr->conns, idx) : NULL;
}

tcps_conn_info *
tcps_tracker_conn_of(const tcps_tracker *tr, const tcps_frame *fr)
{
    return tcps_tracker_conn_at(tr, fr->conn);
}

guint32
tcps_tracker_lost_shown_by(const tcps_tracker *tr, guint32 num)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(tr->lost_shown_by, GUINT_TO_POINTER(num)));
}

guint32
tcps_tracker_reveals_lost(const tcps_tracker *tr, guint32 num)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(tr->lost_revealed, GUINT_TO_POINTER(num)));
}

gint64
tcps_tracker_capture_end_ns(const tcps_tracker *tr)
{
    return tr->capture_end_ns;
}

gboolean
tcps_tracker_first_pass_done(const tcps_tracker *tr)
{
    return tr->first_pass_done;
}

/* A new incarnation of the 4-tuple src:sport <-> dst:dport. */
static tcps_conn_info *
conn_new(tcps_tracker *tr, const tcps_track_segment *seg, gint64 now)
{
    tcps_conn_info *conn = (tcps_conn_info *)slab_new0(&tr->conns);
    guint8 buf[sizeof(tuple_key) + KEY_STACK];
    tuple_key *probe;

    tcps_conninfo_init(conn, tr->conns.count - 1, now);
    probe = tuple_of(&seg->src, &seg->dst, seg->sport, seg->dport, buf);
    conn->previous = (tcps_conn_info *)g_hash_table_lookup(tr->tuples, probe);
    /* A key already there stays (GLib frees the copy). */
    g_hash_table_insert(tr->tuples, g_memdup2(probe, sizeof *probe + probe->a_len + probe->b_len),
                        conn);
    if ((void *)probe != (void *)buf)
        g_free(probe);
    return conn;
}

/* The server endpoint a new SYN is sent to. */
static tcps_server *
server_of(tcps_tracker *tr, const tcps_addr *dst, guint16 dport)
{
    guint8 buf[sizeof(endpoint_key) + KEY_STACK];
    endpoint_key *probe = endpoint_of(dst, dport, buf);
    tcps_server *srv = (tcps_server *)g_hash_table_lookup(tr->servers, probe);

    if (!srv) {
        srv = tcps_server_new();
        g_hash_table_insert(tr->servers, g_memdup2(probe, sizeof *probe + probe->len), srv);
    }
    if ((void *)probe != (void *)buf)
        g_free(probe);
    return srv;
}

/* Whether tcp.stream n belongs in the array (see stream_index). */
static gboolean
stream_dense(const tcps_tracker *tr, guint32 n)
{
    return n < tr->stream_index->len || (guint64)n < 2u * (guint64)tr->streams_seen + 4096u;
}

static tcps_stream *
stream_lookup(const tcps_tracker *tr, guint32 n)
{
    tcps_stream *st = n < tr->stream_index->len
                      ? (tcps_stream *)g_ptr_array_index(tr->stream_index, n) : NULL;

    /* The array may have grown over a number put in the map before. */
    if (!st && g_hash_table_size(tr->streams))
        st = (tcps_stream *)g_hash_table_lookup(tr->streams, GUINT_TO_POINTER(n));
    return st;
}

static void
stream_insert(tcps_tracker *tr, guint32 n, tcps_stream *st)
{
    tr->streams_seen++;
    if (!stream_dense(tr, n)) {
        g_hash_table_insert(tr->streams, GUINT_TO_POINTER(n), st);
        return;
    }
    if (n >= tr->stream_index->len)
        g_ptr_array_set_size(tr->stream_index, (guint)n + 1);   /* NULL-filled */
    g_ptr_array_index(tr->stream_index, n) = st;
}

/* The stream object for this tcp.stream. The engine, not Wireshark's
 * stream index, decides where a connection begins: Wireshark starts a new
 * stream for a SYN after a RST (from 4.2 on) or for a SYN with a new ISN,
 * while the TCPs at both ends may still hold the old connection. A new
 * stream on a 4-tuple whose connection is still live joins it, so that
 * every Wireshark release gives the same states. */
static tcps_stream *
stream_for(tcps_tracker *tr, const tcps_track_segment *seg)
{
    tcps_stream *st = stream_lookup(tr, seg->stream);
    guint8 buf[sizeof(tuple_key) + KEY_STACK];
    tuple_key *probe;
    tcps_conn_info *latest;

    if (st)
        return st;
    probe = tuple_of(&seg->src, &seg->dst, seg->sport, seg->dport, buf);
    latest = (tcps_conn_info *)g_hash_table_lookup(tr->tuples, probe);
    if ((void *)probe != (void *)buf)
        g_free(probe);
    if (latest && latest->owner && tcps_conninfo_live(latest)) {
        st = (tcps_stream *)latest->owner;
    } else {
        st = (tcps_stream *)slab_new0(&tr->streams_slab);
        tcps_conn_init(&st->conn);
        st->a_port = seg->sport;
        st->b_port = seg->dport;
        st->a_is_lower = addr_cmp(&seg->src, &seg->dst) < 0;
    }
    stream_insert(tr, seg->stream, st);
    return st;
}

/* Remember which frames of a connection hindsight rewrote: outside them the
 * since log (kept as the frames were analysed) is right. */
static void
note_revised(tcps_conn_info *conn, guint32 f)
{
    if (!conn)
        return;
    if (!conn->rev_lo || f < conn->rev_lo)
        conn->rev_lo = f;
    if (f > conn->rev_hi)
        conn->rev_hi = f;
}

static tcps_conn_info *
conn_of_frame(tcps_tracker *tr, guint32 num)
{
    tcps_frame *r = tcps_store_get(tr->store, num);

    return r ? tcps_tracker_conn_of(tr, r) : NULL;
}

/* Hindsight (docs/semantics.md): frame `num` proves that an endpoint did not
 * hold, from an earlier frame on, the states stored for it. Rewrite those
 * frames of the connection (and this one's state before), and mark the
 * earlier ones revised: their hindsight now differs from the live view. A
 * SYN found to have opened a new connection belongs to the old one's
 * records (old_conn). Revisions name frames by id. */
static void
apply_revisions(tcps_tracker *tr, const tcps_result *res, guint32 num, guint32 conn,
                guint32 old_conn)
{
    int e;

    for (e = 0; e < 2; e++) {
        const tcps_revision *rv = &res->revision[e];
        guint32 f, id, at = frame_id(tr, num);
        gboolean exact;
        tcps_frame *r;

        if (!rv->from_frame || rv->from_frame > at)
            continue;
        for (f = frame_of_id(tr, rv->from_frame, &exact);
             (r = tcps_store_next(tr->store, rv->cause == TCPS_REV_NEW_CONN ? old_conn : conn,
                                  &f, num + 1)) != NULL; f++) {
            id = frame_id(tr, f);
            note_revised(tcps_tracker_conn_of(tr, r), f);
            if (tcps_record_revise(&r->core, e, rv, id, at) && id < at)
                r->revised = 1;
            /* A refused SYN was never a half-open handshake. */
            if (rv->cause == TCPS_REV_NEW_CONN && id == rv->from_frame)
                note_revised(conn_of_frame(tr, num), num);
            if (rv->cause == TCPS_REV_REFUSED && id == rv->from_frame &&
                (r->analysis & TCPS_AN_HALF_OPEN_COUNTED)) {
                r->analysis &= ~TCPS_AN_HALF_OPEN_COUNTED;
                r->revised = 1;
            }
        }
    }
}

/* Rewrite endpoint e's records of the stream's current connection from
 * rv->from_frame (an id, tcps_revision) up to, not including, frame
 * `until`; with `until` G_MAXUINT32, its last frame too. Live: back to the
 * live view. */
static void
revise_to_end(tcps_tracker *tr, tcps_stream *st, int e, const tcps_revision *rv, guint32 until,
              gboolean live)
{
    guint32 until_id = until == G_MAXUINT32 ? until : frame_id(tr, until);
    guint32 end = until == G_MAXUINT32 && st->last_num < G_MAXUINT32 ? st->last_num + 1 : until;
    tcps_frame *r;
    guint32 f;
    gboolean exact;

    for (f = frame_of_id(tr, rv->from_frame, &exact);
         (r = tcps_store_next(tr->store, st->info->table_index, &f, end)) != NULL; f++) {
        gboolean changed = tcps_record_revise(&r->core, e, rv, frame_id(tr, f), until_id);
        note_revised(st->info, f);
        if (live)
            r->revised = tcps_frame_live_differs(r);
        else if (changed)
            r->revised = 1;
    }
}

/* Hindsight that needs the whole capture (docs/semantics.md):
 * - a SYN nothing ever answered left the server in LISTEN
 *   (tcps_conn_unanswered_syn), from that SYN to the connection's last
 *   frame;
 * - a SYN/ACK the client never answered in the second after it left it
 *   in SYN_SENT (tcps_conn_unanswered_synack), likewise;
 * - a server whose SYN/ACK retransmissions stopped gave up its handshake
 *   (tcps_conninfo_synack_gave_up): after the last frame, so only its final
 *   state says so. */
static void
finalize_stream(tcps_tracker *tr, tcps_stream *st)
{
    tcps_revision rv;
    tcps_since_log *log;

    if (!st->info)
        return;
    if (tcps_conn_unanswered_syn(&st->conn, &rv)) {
        /* It ends in LISTEN, and has been there since before the SYN: no
         * "half-open to the end" either. The SYN-flood count at the SYN
         * (tcpstate.half_open, the syn_flood expert) stays: it measures the
         * attack, SYNs the server was sent and never saw completed. */
        st->info->final_state[1] = TCPS_LISTEN;
        log = &st->info->since[1];
        if (log->n && log->v[log->n - 1].state == TCPS_SYN_RCVD)
            log->v[log->n - 1].state = TCPS_LISTEN;
        revise_to_end(tr, st, 1, &rv, G_MAXUINT32, FALSE);
        st->unanswered = rv.from_frame;
    }
    if (tcps_conn_unanswered_synack(&st->conn, tr->capture_end_ns, &rv)) {
        /* It ends in SYN_SENT, where it has been since its SYN: the since
         * entry of ESTABLISHED becomes the one before it. */
        st->info->final_state[0] = TCPS_SYN_SENT;
        log = &st->info->since[0];
        if (log->n && log->v[log->n - 1].state == TCPS_ESTABLISHED) {
            st->synack_since = log->v[log->n - 1];
            if (log->n >= 2 && log->v[log->n - 2].state == TCPS_SYN_SENT)
                log->v[log->n - 1] = log->v[log->n - 2];
            else
                log->v[log->n - 1].state = TCPS_SYN_SENT;
        }
        revise_to_end(tr, st, 0, &rv, G_MAXUINT32, FALSE);
        st->unanswered_synack = rv.from_frame;
    }
    if (tcps_conn_passive_half_open(&st->conn))
        tcps_conninfo_synack_gave_up(st->info, tr->capture_end_ns);
}

/* A live capture that was re-dissected (the first pass looked over) goes on,
 * and the endpoint answers the SYN or SYN/ACK finalize_stream() took as
 * unanswered: give its frames back the state they showed (the live view),
 * before frame num, the answer, is analysed. */
static void
unfinalize_stream(tcps_tracker *tr, tcps_stream *st, int e, guint32 num)
{
    tcps_revision rv = { e ? st->unanswered : st->unanswered_synack,
                         e ? TCPS_SYN_RCVD : TCPS_ESTABLISHED, TCPS_NUM_STATES,
                         TCPS_REV_UNANSWERED };
    tcps_since_log *log = &st->info->since[e];

    revise_to_end(tr, st, e, &rv, num, TRUE);
    if (e && log->n && log->v[log->n - 1].state == TCPS_LISTEN)
        log->v[log->n - 1].state = TCPS_SYN_RCVD;
    if (!e && log->n && st->synack_since.state == TCPS_ESTABLISHED)
        log->v[log->n - 1] = st->synack_since;
    st->info->final_state[e] = rv.held;
    if (e)
        st->unanswered = 0;
    else
        st->unanswered_synack = 0;
}

void
tcps_tracker_finish_first_pass(tcps_tracker *tr)
{
    guint32 i;

    if (tr->first_pass_done)
        return;
    tr->first_pass_done = TRUE;
    for (i = 0; i < tr->streams_slab.count; i++)
        finalize_stream(tr, (tcps_stream *)slab_at(&tr->streams_slab, i));
}

/* A frame number the first pass hands out again: the frame that had it was
 * dropped by a read filter. Nothing may keep pointing at it. */
static void
forget_frame(tcps_tracker *tr, guint32 num)
{
    if (!tcps_store_get(tr->store, num))
        return;
    /* Its frame was analysed: the id stays that frame's, the next holder's
     * is one more. */
    g_array_append_val(tr->reused, num);
    g_hash_table_remove(tr->lost_shown_by, GUINT_TO_POINTER(num));
    g_hash_table_remove(tr->lost_revealed, GUINT_TO_POINTER(num));
    tcps_store_erase(tr->store, num);
}

gboolean
tcps_tracker_begin_frame(tcps_tracker *tr, guint32 num, gint64 file_off)
{
    if (num == tr->last_num && file_off == tr->last_file_off)
        return TRUE;
    forget_frame(tr, num);
    /* More frames (a live capture): look again once they are re-dissected. */
    tr->first_pass_done = FALSE;
    tr->last_num = num;
    tr->last_file_off = file_off;
    return FALSE;
}

/* An endpoint shows it never got the segment that last changed it (the
 * engine names it, by id): mark it lost and link the two frames, unless a
 * read filter dropped it. */
static void
mark_lost(tcps_tracker *tr, guint32 lost_id, guint32 num)
{
    gboolean exact;
    guint32 lost_num = frame_of_id(tr, lost_id, &exact);
    tcps_frame *lost = exact ? tcps_store_get(tr->store, lost_num) : NULL;

    if (!lost)
        return;
    tcps_record_mark_lost(&lost->core);
    g_hash_table_insert(tr->lost_shown_by, GUINT_TO_POINTER(lost_num), GUINT_TO_POINTER(num));
    g_hash_table_insert(tr->lost_revealed, GUINT_TO_POINTER(num), GUINT_TO_POINTER(lost_num));
}

tcps_frame *
tcps_tracker_segment(tcps_tracker *tr, const tcps_track_segment *in)
{
    tcps_stream *st = stream_for(tr, in);
    gint64 now = tcps_tracker_time_ns(tr, in->secs, in->nsecs);
    guint32 num = in->frame;
    tcps_segment seg;
    tcps_zeek_segment zseg;
    tcps_config cfg;
    tcps_result res;
    tcps_frame *fr;
    guint32 old_conn;

    memset(&seg, 0, sizeof seg);
    seg.seq = in->seq;
    seg.ack = in->ack;
    seg.len = in->len;
    seg.flags = in->flags;
    seg.src_port = in->sport;
    seg.dst_port = in->dport;
    /* With both ports equal, the addresses themselves tell the directions
     * apart (a hash could collide). */
    if (st->a_port != st->b_port)
        seg.from_a = (in->sport == st->a_port);
    else
        seg.from_a = ((addr_cmp(&in->src, &in->dst) < 0) == st->a_is_lower);
    seg.time_ns = now;
    seg.frame = frame_id(tr, num);
    /* A bad IP checksum keeps the segment from Zeek too. */
    zseg.bad_checksum = in->tcp_bad_checksum;
    seg.bad_checksum = in->ip_bad_checksum || in->tcp_bad_checksum;
    /* Payload cut by the snap length: Zeek's reassembler never gets it. */
    zseg.truncated = in->truncated;

    cfg.msl_ms = tr->prefs.msl_seconds * 1000u;
    tcps_conn_process(&st->conn, &cfg, &seg, &res);
    if (st->unanswered && st->info && (!res.from_client || (res.events & TCPS_EV_REUSE)))
        unfinalize_stream(tr, st, 1, num);
    if (st->unanswered_synack && st->info && (res.from_client || (res.events & TCPS_EV_REUSE)))
        unfinalize_stream(tr, st, 0, num);

    fr = tcps_store_put(tr->store, num);
    if (!fr)
        return NULL;
    st->last_num = MAX(st->last_num, num);
    tcps_record_pack(&fr->core, &res);
    /* The live view: what the segments so far show (one pass). */
    tcps_frame_set_live(fr, res.state[0], res.state[1]);

    /* The engine names the lost frame: usually the endpoint's last change,
     * but a simultaneous open's SYN can be an earlier one. */
    if (res.lost_frame)
        mark_lost(tr, res.lost_frame, num);

    /* A new incarnation: the stream's first segment, or a SYN that made the
     * engine start over on the same stream. */
    old_conn = st->info ? st->info->table_index : 0;
    if (!st->info || (res.events & TCPS_EV_REUSE)) {
        st->info = conn_new(tr, in, now);
        st->info->owner = st;
    }
    zseg.from_orig = res.from_client;     /* bad_checksum, truncated: above */
    zseg.flags = in->flags;
    zseg.seq = in->seq;
    zseg.ack = in->ack;
    zseg.len = in->len;
    zseg.window = in->window;
    if (res.revision[0].from_frame || res.revision[1].from_frame ||
        (res.events & TCPS_EV_SYN_IN_SYNCHRONIZED))     /* may open the next one */
        tcps_conninfo_note_time(st->info, num, now);
    if (now > tr->capture_end_ns)
        tr->capture_end_ns = now;
    if (tcps_conninfo_segment(st->info, fr, num, now, in->ip_bad_checksum ? NULL : &zseg, &res,
                              &tr->prefs))
        tcps_conninfo_first_syn(st->info, fr, num, now, server_of(tr, &in->dst, in->dport),
                                &tr->prefs);
    apply_revisions(tr, &res, num, fr->conn, old_conn);
    return fr;
}
