/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_tracker.c — the connection tracker of one capture file, pure C
 * with GLib. See tcpstate_tracker.h.
 */
#include <string.h>

#include "tcpstate_tracker.h"
#include "tcpstate_slab.h"
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
    guint32         slab_index;   /* in streams_slab */
} tcps_stream;

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

/* A server endpoint's SYN-flood count, with its key (a compact connection
 * finds its destination here) and its place in the tracker's list. */
typedef struct {
    tcps_server   srv;
    endpoint_key *key;          /* owned by the servers map */
    guint32       ordinal;      /* in server_list */
} server_slot;

/* A connection that never got past its first segment, a bare SYN (issue
 * 19: a SYN flood's every connection): instead of the engine's stream and
 * the connection analysis (about 570 bytes and two since logs), what it
 * takes to analyse that SYN again exactly as the first time (its
 * description, frame id and time, the SYN-flood entry it was given) is
 * kept, and the connection is expanded by that replay when it is needed
 * in full (its next segment, hindsight, a view). */
typedef struct {
    gint64  time_ns;
    guint32 seq, ack, len;
    guint32 frame;              /* number and id (tcps_tracker.h) */
    guint32 id;
    guint32 conn;               /* its table_index */
    guint32 src;                /* the source address, in the arena */
    guint32 server;             /* server_slot index: destination address and port */
    guint32 pending_seq;        /* its SYN-flood entry */
    guint32 half_open_at_syn;
    guint16 sport, window, flags;
    guint8  bits;               /* SO_* */
} syn_only;

#define SO_IP_BAD_CHECKSUM  0x01
#define SO_TCP_BAD_CHECKSUM 0x02
#define SO_TRUNCATED        0x04
#define SO_FINALIZED        0x08   /* finalize_stream() ran on it, */
#define SO_REVISED          0x10   /*   and revised its SYN's record (rev_lo/hi) */

/* A connection's place (tcps_tracker.conn_loc) and a tcp.stream's
 * (stream_index): an index into the full objects' slab, or with COMPACT
 * set, a compact connection's. In stream_index, 0 is none and the value
 * is one more: a full stream's slab index, or (COMPACT) a compact
 * connection's table index. */
#define COMPACT 0x80000000u

/* The 4-tuples, each naming its latest incarnation (table_index + 1, 0 for
 * an empty slot), with open addressing: the key is the connection's own
 * (a full one's tuple_key, a compact one's addresses), not a copy. */
typedef struct {
    guint32 *slot;
    guint32  cap;               /* a power of two, or 0 */
    guint32  used;
} tuple_table;

/* The tuple lookup of the segment being analysed: stream_for() looks, and
 * conn_new() of the same segment uses its answer. */
typedef struct {
    gboolean valid;
    guint32  found;             /* table_index + 1, 0 none */
    guint32  pos;               /* its slot, or the empty one to fill */
} tuple_probe;

struct tcps_tracker {
    tcps_analysis_prefs prefs;
    tcps_store *store;
    /* Connections by table_index: where each is (COMPACT above). Frames
     * keep the 4-byte index. */
    GArray     *conn_loc;
    tcps_slab   conns;          /* full tcps_conn_info */
    GPtrArray  *conn_keys;      /* per full one: its tuple_key (in keys) */
    GPtrArray  *keys;           /* the tuple_keys, owned */
    tcps_slab   streams_slab;   /* full tcps_stream, in creation order */
    tcps_slab   compact;        /* syn_only */
    GArray     *compact_free;   /* slots of compact connections since expanded,
                                   for the next ones (with their addresses'
                                   room in the arena): a connection that gets
                                   past its SYN leaves nothing compact behind */
    tcps_arena  arena;          /* compact connections' source addresses */
    gboolean    compaction;     /* on, unless a test turns it off */
    /* tcp.stream -> stream (stream_index's values above). Wireshark numbers
     * streams densely from 0, so an array indexed by the number finds one
     * (4 bytes a stream rather than a hash entry and its hashing); a number
     * far beyond the streams seen so far (not Wireshark's, e.g. a fuzzer's;
     * or a read filter's that drops most streams) goes to the map, so that
     * the array stays within twice the streams seen plus 4096 entries
     * whatever the input. */
    GArray     *stream_index;
    guint32     streams_seen;   /* tcp.stream numbers given a stream */
    GHashTable *streams;
    tuple_table tuples;
    tuple_probe probe;
    GHashTable *servers;        /* endpoint_key -> server_slot (keys owned) */
    GPtrArray  *server_list;    /* server_slot by index (owned) */
    /* A compact connection expanded for a view (tcps_tracker_conn_view),
     * until the next one: table_index + 1, 0 none. */
    guint32         view_conn;
    tcps_stream     view_stream;
    tcps_conn_info  view_info;
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

/* A compact connection's source address, in the arena. */
static void
arena_addr(const tcps_tracker *tr, guint32 off, tcps_addr *a)
{
    tcps_arena_get(&tr->arena, off, &a->type, &a->len, &a->data);
}

static server_slot *
server_at(const tcps_tracker *tr, guint32 i)
{
    return (server_slot *)g_ptr_array_index(tr->server_list, i);
}

/* A compact connection's SYN, as the epan layer described it. */
static void
syn_only_segment(const tcps_tracker *tr, const syn_only *so, tcps_track_segment *in)
{
    const endpoint_key *dst = server_at(tr, so->server)->key;

    memset(in, 0, sizeof *in);
    arena_addr(tr, so->src, &in->src);
    in->dst.type = dst->type;
    in->dst.len = dst->len;
    in->dst.data = dst->data;
    in->frame = so->frame;
    in->seq = so->seq;
    in->ack = so->ack;
    in->len = so->len;
    in->sport = so->sport;
    in->dport = dst->port;
    in->flags = so->flags;
    in->window = so->window;
    in->ip_bad_checksum = (so->bits & SO_IP_BAD_CHECKSUM) != 0;
    in->tcp_bad_checksum = (so->bits & SO_TCP_BAD_CHECKSUM) != 0;
    in->truncated = (so->bits & SO_TRUNCATED) != 0;
}

static syn_only *
compact_at(const tcps_tracker *tr, guint32 loc)
{
    return (syn_only *)tcps_slab_at(&tr->compact, loc & ~COMPACT);
}

static guint32
conn_loc(const tcps_tracker *tr, guint32 idx)
{
    return g_array_index(tr->conn_loc, guint32, idx);
}

/* Connection idx's 4-tuple key: a full one's own, a compact one's built in
 * buf (its addresses fit KEY_STACK bytes). */
static const tuple_key *
conn_key(const tcps_tracker *tr, guint32 idx, void *buf)
{
    guint32 loc = conn_loc(tr, idx);
    tcps_track_segment in;

    if (!(loc & COMPACT))
        return (const tuple_key *)g_ptr_array_index(tr->conn_keys, loc);
    syn_only_segment(tr, compact_at(tr, loc), &in);
    return tuple_of(&in.src, &in.dst, in.sport, in.dport, buf);
}

/* The slot of key k (hash h): the one naming its connection, or the empty
 * one where it goes. */
static guint32
tuple_find(const tcps_tracker *tr, const tuple_key *k, guint h)
{
    const tuple_table *t = &tr->tuples;
    guint32 mask = t->cap - 1, pos = h & mask;
    guint8 buf[sizeof(tuple_key) + KEY_STACK];

    for (; t->slot[pos]; pos = (pos + 1) & mask) {
        guint32 loc = conn_loc(tr, t->slot[pos] - 1);
        const tuple_key *q;

        if (loc & COMPACT) {
            /* Its ports first: a flood's 4-tuples differ there mostly,
             * and building its key costs more. */
            const syn_only *so = compact_at(tr, loc);
            guint16 dport = server_at(tr, so->server)->key->port;

            if (!((so->sport == k->a_port && dport == k->b_port) ||
                  (so->sport == k->b_port && dport == k->a_port)))
                continue;
        }
        q = conn_key(tr, t->slot[pos] - 1, buf);
        if (q->a_port == k->a_port && q->b_port == k->b_port && tuple_equal(q, k))
            return pos;
    }
    return pos;
}

/* Room for one more 4-tuple: at most half full, so that a lookup of a new
 * one (every SYN of a flood) probes about 2.5 slots (linear probing). */
static void
tuple_reserve(tcps_tracker *tr)
{
    tuple_table *t = &tr->tuples, old = *t;
    guint8 buf[sizeof(tuple_key) + KEY_STACK];
    guint32 i;

    if ((guint64)(t->used + 1) * 2 <= (guint64)t->cap)
        return;
    t->cap = old.cap ? old.cap * 2 : 1024;
    t->slot = g_new0(guint32, t->cap);
    for (i = 0; i < old.cap; i++) {
        if (old.slot[i]) {
            const tuple_key *k = conn_key(tr, old.slot[i] - 1, buf);
            guint32 pos = tuple_hash(k) & (t->cap - 1);

            while (t->slot[pos])
                pos = (pos + 1) & (t->cap - 1);
            t->slot[pos] = old.slot[i];
        }
    }
    g_free(old.slot);
}

/* Look a segment's 4-tuple up, remembering the answer for conn_new(). */
static guint32
tuple_lookup(tcps_tracker *tr, const tcps_track_segment *seg)
{
    guint8 buf[sizeof(tuple_key) + KEY_STACK];
    tuple_key *probe = tuple_of(&seg->src, &seg->dst, seg->sport, seg->dport, buf);

    tuple_reserve(tr);
    tr->probe.pos = tuple_find(tr, probe, tuple_hash(probe));
    tr->probe.found = tr->tuples.slot[tr->probe.pos];
    tr->probe.valid = TRUE;
    if ((void *)probe != (void *)buf)
        g_free(probe);
    return tr->probe.found;
}

static void
server_slot_free(gpointer p)
{
    server_slot *sl = (server_slot *)p;

    g_free(sl->srv.ring);
    g_free(sl);
}

tcps_tracker *
tcps_tracker_new(const tcps_analysis_prefs *prefs)
{
    tcps_tracker *tr = g_new0(tcps_tracker, 1);

    tr->prefs = *prefs;
    tr->store = tcps_store_new();
    tr->conn_loc = g_array_new(FALSE, FALSE, (guint)sizeof(guint32));
    tcps_slab_init(&tr->conns, sizeof(tcps_conn_info));
    tr->conn_keys = g_ptr_array_new();
    tr->keys = g_ptr_array_new_with_free_func(g_free);
    tcps_slab_init(&tr->streams_slab, sizeof(tcps_stream));
    tcps_slab_init(&tr->compact, sizeof(syn_only));
    tr->compact_free = g_array_new(FALSE, FALSE, (guint)sizeof(guint32));
    tcps_arena_init(&tr->arena);
    tr->compaction = TRUE;
    tr->stream_index = g_array_new(FALSE, TRUE, (guint)sizeof(guint32));
    tr->streams = g_hash_table_new(g_direct_hash, g_direct_equal);
    tr->servers = g_hash_table_new_full(endpoint_hash, endpoint_equal, g_free, NULL);
    tr->server_list = g_ptr_array_new_with_free_func(server_slot_free);
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
        tcps_conninfo_clear((tcps_conn_info *)tcps_slab_at(&tr->conns, i));
    tcps_conninfo_clear(&tr->view_info);
    g_array_free(tr->conn_loc, TRUE);
    tcps_slab_clear(&tr->conns);
    g_ptr_array_free(tr->conn_keys, TRUE);
    g_ptr_array_free(tr->keys, TRUE);
    tcps_slab_clear(&tr->streams_slab);
    tcps_slab_clear(&tr->compact);
    g_array_free(tr->compact_free, TRUE);
    tcps_arena_clear(&tr->arena);
    g_array_free(tr->stream_index, TRUE);
    g_hash_table_destroy(tr->streams);
    g_free(tr->tuples.slot);
    g_hash_table_destroy(tr->servers);
    g_ptr_array_free(tr->server_list, TRUE);
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

static tcps_stream *expand(tcps_tracker *tr, guint32 idx);
static void replay(tcps_tracker *tr, const syn_only *so, tcps_stream *st, tcps_conn_info *info);

guint32
tcps_tracker_conn_count(const tcps_tracker *tr)
{
    return tr->conn_loc->len;
}

/* Connection idx in full: a compact one is expanded for good (a new
 * segment of its stream or 4-tuple, hindsight that changes it). */
static tcps_conn_info *
conn_full(tcps_tracker *tr, guint32 idx)
{
    if (idx >= tr->conn_loc->len)
        return NULL;
    if (conn_loc(tr, idx) & COMPACT)
        expand(tr, idx);
    return (tcps_conn_info *)tcps_slab_at(&tr->conns, conn_loc(tr, idx));
}

static tcps_conn_info *
conn_full_of(tcps_tracker *tr, const tcps_frame *fr)
{
    return conn_full(tr, fr->conn);
}

#ifdef TCPSTATE_TEST_HOOKS
tcps_conn_info *
tcps_tracker_conn_at(tcps_tracker *tr, guint32 idx)
{
    return conn_full(tr, idx);
}

tcps_conn_info *
tcps_tracker_conn_of(tcps_tracker *tr, const tcps_frame *fr)
{
    return conn_full_of(tr, fr);
}
#endif

/* The view's compact connection is gone. */
static void
view_clear(tcps_tracker *tr)
{
    tcps_conninfo_clear(&tr->view_info);
    tr->view_conn = 0;
}

const tcps_conn_info *
tcps_tracker_conn_view(tcps_tracker *tr, guint32 idx)
{
    guint32 loc;

    if (idx >= tr->conn_loc->len)
        return NULL;
    loc = conn_loc(tr, idx);
    if (!(loc & COMPACT))
        return (const tcps_conn_info *)tcps_slab_at(&tr->conns, loc);
    if (tr->view_conn != idx + 1) {
        view_clear(tr);
        replay(tr, compact_at(tr, loc), &tr->view_stream, &tr->view_info);
        tr->view_conn = idx + 1;
    }
    return &tr->view_info;
}

guint32
tcps_tracker_half_open_at_syn(const tcps_tracker *tr, guint32 idx)
{
    guint32 loc;

    if (idx >= tr->conn_loc->len)
        return 0;
    loc = conn_loc(tr, idx);
    return loc & COMPACT ? compact_at(tr, loc)->half_open_at_syn
                         : ((const tcps_conn_info *)tcps_slab_at(&tr->conns, loc))->half_open_at_syn;
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

#ifdef TCPSTATE_TEST_HOOKS
void
tcps_tracker_set_compaction(tcps_tracker *tr, gboolean on)
{
    tr->compaction = on;
}

guint32
tcps_tracker_compact_slots(const tcps_tracker *tr)
{
    return tr->compact.count;
}

guint32
tcps_tracker_compact_count(const tcps_tracker *tr)
{
    guint32 i, n = 0;

    for (i = 0; i < tr->conn_loc->len; i++)
        n += (conn_loc(tr, i) & COMPACT) != 0;
    return n;
}
#endif

/* A new incarnation of the 4-tuple src:sport <-> dst:dport: the latest
 * one there before it is its previous, and it becomes the latest. */
static tcps_conn_info *
conn_new(tcps_tracker *tr, const tcps_track_segment *seg, gint64 now)
{
    guint32 found = tr->probe.valid ? tr->probe.found : tuple_lookup(tr, seg);
    guint32 idx = tr->conn_loc->len, loc;
    /* First: the previous one may be expanded, which takes a full slot. */
    tcps_conn_info *prev = found ? conn_full(tr, found - 1) : NULL, *conn;
    void *key;

    loc = tr->conns.count;
    conn = (tcps_conn_info *)tcps_slab_new0(&tr->conns);
    g_array_append_val(tr->conn_loc, loc);
    tcps_conninfo_init(conn, idx, now);
    conn->previous = prev;
    /* The same 4-tuple: the previous one's key serves. */
    if (prev) {
        key = g_ptr_array_index(tr->conn_keys, conn_loc(tr, found - 1));
    } else {
        guint8 buf[sizeof(tuple_key) + KEY_STACK];
        tuple_key *k = tuple_of(&seg->src, &seg->dst, seg->sport, seg->dport, buf);

        key = g_memdup2(k, sizeof *k + k->a_len + k->b_len);
        g_ptr_array_add(tr->keys, key);
        if ((void *)k != (void *)buf)
            g_free(k);
        tr->tuples.used++;
    }
    g_ptr_array_add(tr->conn_keys, key);
    tr->tuples.slot[tr->probe.pos] = idx + 1;
    tr->probe.valid = FALSE;
    return conn;
}

/* The server endpoint a new SYN is sent to. */
static server_slot *
server_of(tcps_tracker *tr, const tcps_addr *dst, guint16 dport)
{
    guint8 buf[sizeof(endpoint_key) + KEY_STACK];
    endpoint_key *probe = endpoint_of(dst, dport, buf);
    server_slot *sl = (server_slot *)g_hash_table_lookup(tr->servers, probe);

    if (!sl) {
        sl = g_new0(server_slot, 1);
        sl->key = (endpoint_key *)g_memdup2(probe, sizeof *probe + probe->len);
        sl->ordinal = tr->server_list->len;
        g_ptr_array_add(tr->server_list, sl);
        g_hash_table_insert(tr->servers, sl->key, sl);
    }
    if ((void *)probe != (void *)buf)
        g_free(probe);
    return sl;
}

/* Whether tcp.stream n belongs in the array (see stream_index). */
static gboolean
stream_dense(const tcps_tracker *tr, guint32 n)
{
    return n < tr->stream_index->len || (guint64)n < 2u * (guint64)tr->streams_seen + 4096u;
}

/* tcp.stream n's value in stream_index (above), 0 none. */
static guint32
stream_lookup(const tcps_tracker *tr, guint32 n)
{
    guint32 v = n < tr->stream_index->len ? g_array_index(tr->stream_index, guint32, n) : 0;

    /* The array may have grown over a number put in the map before. */
    if (!v && g_hash_table_size(tr->streams))
        v = GPOINTER_TO_UINT(g_hash_table_lookup(tr->streams, GUINT_TO_POINTER(n)));
    return v;
}

static void
stream_insert(tcps_tracker *tr, guint32 n, guint32 v)
{
    tr->streams_seen++;
    if (!stream_dense(tr, n)) {
        g_hash_table_insert(tr->streams, GUINT_TO_POINTER(n), GUINT_TO_POINTER(v));
        return;
    }
    if (n >= tr->stream_index->len)
        g_array_set_size(tr->stream_index, (guint)n + 1);   /* zero-filled */
    g_array_index(tr->stream_index, guint32, n) = v;
}

/* tcp.stream n, already there, has another value (where it was put). */
static void
stream_update(tcps_tracker *tr, guint32 n, guint32 v)
{
    if (n < tr->stream_index->len && g_array_index(tr->stream_index, guint32, n))
        g_array_index(tr->stream_index, guint32, n) = v;
    else
        g_hash_table_insert(tr->streams, GUINT_TO_POINTER(n), GUINT_TO_POINTER(v));
}

/* A stream's state before its first segment; A sends that segment. */
static void
stream_init(tcps_stream *st, const tcps_track_segment *seg)
{
    memset(st, 0, sizeof *st);
    tcps_conn_init(&st->conn);
    st->a_port = seg->sport;
    st->b_port = seg->dport;
    st->a_is_lower = addr_cmp(&seg->src, &seg->dst) < 0;
}

static tcps_stream *
stream_new(tcps_tracker *tr, const tcps_track_segment *seg)
{
    tcps_stream *st = (tcps_stream *)tcps_slab_new0(&tr->streams_slab);

    stream_init(st, seg);
    st->slab_index = tr->streams_slab.count - 1;
    return st;
}

/* The stream object for this tcp.stream. The engine, not Wireshark's
 * stream index, decides where a connection begins: Wireshark starts a new
 * stream for a SYN after a RST (from 4.2 on) or for a SYN with a new ISN,
 * while the TCPs at both ends may still hold the old connection. A new
 * stream on a 4-tuple whose connection is still live joins it, so that
 * every Wireshark release gives the same states. *fresh: a new stream,
 * joining nothing. A compact connection met on the way is expanded. */
static tcps_stream *
stream_for(tcps_tracker *tr, const tcps_track_segment *seg, gboolean *fresh)
{
    guint32 v = stream_lookup(tr, seg->stream), found;
    tcps_conn_info *latest;
    tcps_stream *st;

    *fresh = FALSE;
    tr->probe.valid = FALSE;
    if (v && !(v & COMPACT))
        return (tcps_stream *)tcps_slab_at(&tr->streams_slab, v - 1);
    if (v) {
        latest = conn_full(tr, (v & ~COMPACT) - 1);
        st = (tcps_stream *)latest->owner;
        stream_update(tr, seg->stream, st->slab_index + 1);
        return st;
    }
    found = tuple_lookup(tr, seg);
    latest = found ? conn_full(tr, found - 1) : NULL;
    if (latest && latest->owner && tcps_conninfo_live(latest)) {
        st = (tcps_stream *)latest->owner;
    } else {
        st = stream_new(tr, seg);
        *fresh = TRUE;
    }
    stream_insert(tr, seg->stream, st->slab_index + 1);
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

    return r ? conn_full_of(tr, r) : NULL;
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
            note_revised(conn_full_of(tr, r), f);
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
        finalize_stream(tr, (tcps_stream *)tcps_slab_at(&tr->streams_slab, i));
    /* A compact connection stays compact: finalize runs on it expanded for
     * the moment (its records are revised as any), and again whenever it
     * is expanded later (SO_FINALIZED), which changes no record again. */
    for (i = 0; i < tr->compact.count; i++) {
        syn_only *so = (syn_only *)tcps_slab_at(&tr->compact, i);

        if (conn_loc(tr, so->conn) != (i | COMPACT) || (so->bits & SO_FINALIZED))
            continue;
        view_clear(tr);
        replay(tr, so, &tr->view_stream, &tr->view_info);
        finalize_stream(tr, &tr->view_stream);
        so->bits |= SO_FINALIZED | (tr->view_info.rev_lo ? SO_REVISED : 0);
    }
    view_clear(tr);
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

/* Analyse one segment of stream st: frame in->frame, id `id`, at now. The
 * first time (again NULL) its record is stored and everything it changes
 * follows. Again (expanding compact connection `again` into st and
 * again_info), the same path gives st and again_info what the first time
 * gave, into a record of its own (scratch): nothing else changes, and the
 * SYN-flood count is not taken twice. *first_syn: it was a new
 * incarnation's first SYN. */
static tcps_frame *
analyse(tcps_tracker *tr, tcps_stream *st, const tcps_track_segment *in, gint64 now, guint32 id,
        const syn_only *again, tcps_conn_info *again_info, tcps_frame *scratch,
        tcps_result *res, gboolean *first_syn)
{
    guint32 num = in->frame;
    tcps_segment seg;
    tcps_zeek_segment zseg;
    tcps_config cfg;
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
    seg.frame = id;
    /* A bad IP checksum keeps the segment from Zeek too. */
    zseg.bad_checksum = in->tcp_bad_checksum;
    seg.bad_checksum = in->ip_bad_checksum || in->tcp_bad_checksum;
    /* Payload cut by the snap length: Zeek's reassembler never gets it. */
    zseg.truncated = in->truncated;

    cfg.msl_ms = tr->prefs.msl_seconds * 1000u;
    tcps_conn_process(&st->conn, &cfg, &seg, res);
    if (st->unanswered && st->info && (!res->from_client || (res->events & TCPS_EV_REUSE)))
        unfinalize_stream(tr, st, 1, num);
    if (st->unanswered_synack && st->info && (res->from_client || (res->events & TCPS_EV_REUSE)))
        unfinalize_stream(tr, st, 0, num);

    if (again) {
        memset(scratch, 0, sizeof *scratch);
        fr = scratch;
    } else {
        fr = tcps_store_put(tr->store, num);
        if (!fr)
            return NULL;
    }
    st->last_num = MAX(st->last_num, num);
    tcps_record_pack(&fr->core, res);
    /* The live view: what the segments so far show (one pass). */
    tcps_frame_set_live(fr, res->state[0], res->state[1]);

    /* The engine names the lost frame: usually the endpoint's last change,
     * but a simultaneous open's SYN can be an earlier one. */
    if (res->lost_frame)
        mark_lost(tr, res->lost_frame, num);

    /* A new incarnation: the stream's first segment, or a SYN that made the
     * engine start over on the same stream. */
    old_conn = st->info ? st->info->table_index : 0;
    if (!st->info || (res->events & TCPS_EV_REUSE)) {
        if (again) {
            tcps_conninfo_init(again_info, again->conn, now);
            st->info = again_info;
        } else {
            st->info = conn_new(tr, in, now);
        }
        st->info->owner = st;
    }
    zseg.from_orig = res->from_client;    /* bad_checksum, truncated: above */
    zseg.flags = in->flags;
    zseg.seq = in->seq;
    zseg.ack = in->ack;
    zseg.len = in->len;
    zseg.window = in->window;
    if (res->revision[0].from_frame || res->revision[1].from_frame ||
        (res->events & TCPS_EV_SYN_IN_SYNCHRONIZED))     /* may open the next one */
        tcps_conninfo_note_time(st->info, num, now);
    if (now > tr->capture_end_ns)
        tr->capture_end_ns = now;
    *first_syn = tcps_conninfo_segment(st->info, fr, num, now,
                                       in->ip_bad_checksum ? NULL : &zseg, res, &tr->prefs);
    if (*first_syn && again)
        tcps_conninfo_first_syn_again(st->info, fr, &server_at(tr, again->server)->srv,
                                      again->pending_seq, again->half_open_at_syn, &tr->prefs);
    else if (*first_syn)
        tcps_conninfo_first_syn(st->info, fr, num, now, &server_of(tr, &in->dst, in->dport)->srv,
                                &tr->prefs);
    apply_revisions(tr, res, num, fr->conn, old_conn);
    return fr;
}

/* Analyse compact connection so's SYN again into st and info, and what
 * finalize did to it. */
static void
replay(tcps_tracker *tr, const syn_only *so, tcps_stream *st, tcps_conn_info *info)
{
    tcps_track_segment in;
    tcps_frame scratch;
    tcps_result res;
    gboolean first_syn;

    syn_only_segment(tr, so, &in);
    stream_init(st, &in);
    analyse(tr, st, &in, so->time_ns, so->id, so, info, &scratch, &res, &first_syn);
    if (so->bits & SO_FINALIZED) {
        finalize_stream(tr, st);
        /* What it noted then stands, though a read filter may have dropped
         * the record since (the frame's number handed out again). */
        if (so->bits & SO_REVISED)
            info->rev_lo = info->rev_hi = so->frame;
    }
}

/* Compact connection idx in full, for good: its next segment came, or a
 * view keeps it. */
static tcps_stream *
expand(tcps_tracker *tr, guint32 idx)
{
    guint32 slot = conn_loc(tr, idx) & ~COMPACT;
    syn_only *so = compact_at(tr, slot);
    guint8 buf[sizeof(tuple_key) + KEY_STACK];
    const tuple_key *k = conn_key(tr, idx, buf);
    void *key = g_memdup2(k, sizeof *k + k->a_len + k->b_len);
    tcps_stream *st = (tcps_stream *)tcps_slab_new0(&tr->streams_slab);
    tcps_conn_info *info = (tcps_conn_info *)tcps_slab_new0(&tr->conns);

    g_ptr_array_add(tr->keys, key);
    g_ptr_array_add(tr->conn_keys, key);
    replay(tr, so, st, info);
    st->slab_index = tr->streams_slab.count - 1;
    g_array_index(tr->conn_loc, guint32, idx) = tr->conns.count - 1;
    /* Its slot stays as it is (finalize skips it: its connection is no
     * longer there) until the next compact connection takes it. */
    g_array_append_val(tr->compact_free, slot);
    return st;
}

/* Keep a new stream whose first segment was a bare SYN (issue 19: a SYN
 * flood) as a compact connection, when replaying that SYN gives exactly
 * what analysing it gave: a new incarnation's first SYN with no previous
 * one on its 4-tuple, nothing revised, lost or timed, the client's end
 * live (so a later segment of the 4-tuple joins it, as it would the full
 * one), addresses that fit a key on the stack. */
static void
compact(tcps_tracker *tr, tcps_stream *st, const tcps_track_segment *in, gint64 now,
        const tcps_result *res)
{
    tcps_conn_info *info = st->info;
    guint32 idx = info->table_index, src, slot;
    syn_only *so;

    if (info->previous || res->lost_frame || res->revision[0].from_frame ||
        res->revision[1].from_frame || info->times.n || info->segments != 1 ||
        tcps_state_is_idle((tcps_state)info->final_state[0]) || !info->server ||
        idx + 1 >= COMPACT || tr->compact.count >= COMPACT ||
        (gsize)in->src.len + in->dst.len > KEY_STACK ||
        st->slab_index + 1 != tr->streams_slab.count ||
        conn_loc(tr, idx) + 1 != tr->conns.count)
        return;
    if (tr->compact_free->len) {
        /* An expanded one's slot, and its address's room when as long. */
        slot = g_array_index(tr->compact_free, guint32, tr->compact_free->len - 1);
        so = compact_at(tr, slot);
        src = so->src;
        if (!tcps_arena_replace(&tr->arena, src, in->src.type, in->src.len, in->src.data))
            src = tcps_arena_put(&tr->arena, in->src.type, in->src.len, in->src.data);
        if (src == TCPS_ARENA_NONE)
            return;
        g_array_set_size(tr->compact_free, tr->compact_free->len - 1);
        memset(so, 0, sizeof *so);
    } else {
        src = tcps_arena_put(&tr->arena, in->src.type, in->src.len, in->src.data);
        if (src == TCPS_ARENA_NONE)
            return;
        so = (syn_only *)tcps_slab_new0(&tr->compact);
        slot = tr->compact.count - 1;
    }
    so->time_ns = now;
    so->seq = in->seq;
    so->ack = in->ack;
    so->len = in->len;
    so->frame = in->frame;
    so->id = frame_id(tr, in->frame);
    so->conn = idx;
    so->src = src;
    so->server = ((server_slot *)info->server)->ordinal;    /* its first member */
    so->pending_seq = info->pending_seq;
    so->half_open_at_syn = info->half_open_at_syn;
    so->sport = in->sport;
    so->window = in->window;
    so->flags = in->flags;
    so->bits = (guint8)((in->ip_bad_checksum ? SO_IP_BAD_CHECKSUM : 0) |
                        (in->tcp_bad_checksum ? SO_TCP_BAD_CHECKSUM : 0) |
                        (in->truncated ? SO_TRUNCATED : 0));
    /* Its key was made for it (no previous one): the compact one's serves. */
    g_ptr_array_remove_index(tr->keys, tr->keys->len - 1);
    g_ptr_array_set_size(tr->conn_keys, tr->conn_keys->len - 1);
    tcps_conninfo_clear(info);
    tcps_slab_pop(&tr->conns);
    tcps_slab_pop(&tr->streams_slab);
    g_array_index(tr->conn_loc, guint32, idx) = slot | COMPACT;
    stream_update(tr, in->stream, (idx + 1) | COMPACT);
}

tcps_frame *
tcps_tracker_segment(tcps_tracker *tr, const tcps_track_segment *in)
{
    gboolean fresh, first_syn;
    tcps_stream *st = stream_for(tr, in, &fresh);
    gint64 now = tcps_tracker_time_ns(tr, in->secs, in->nsecs);
    tcps_result res;
    tcps_frame *fr = analyse(tr, st, in, now, frame_id(tr, in->frame), NULL, NULL, NULL, &res,
                             &first_syn);

    tr->probe.valid = FALSE;
    if (fr && fresh && first_syn && tr->compaction)
        compact(tr, st, in, now, &res);
    return fr;
}
