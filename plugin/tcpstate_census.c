/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_census.c — connections in each state: the tcpstate.census.*
 * fields on every frame, and `-z tcpstate,census,INTERVAL[,filter]`.
 *
 * A census is a sweep over the stored records in frame order. It keeps,
 * per connection, the state of both ends as of the frame reached (1 byte)
 * and when each end's TIME_WAIT began (16 bytes), plus one heap entry per
 * end in TIME_WAIT, so that a TIME_WAIT whose 2·MSL ran out between frames
 * has left the count at the next frame (RFC 9293 §3.10.7.4, the same rule
 * and start time as the engine's). The records hold the hindsight states,
 * so the census is counted in the hindsight view; it is therefore given
 * only once the first pass is over (tshark -2, the GUI), like the final
 * fields.
 *
 * A new incarnation of a 4-tuple replaces the previous one (a SYN taking
 * over a TIME_WAIT, RFC 9293 §3.10.7.4 and RFC 6191): the previous
 * incarnation's ends leave the count at its first frame.
 *
 * Nothing is allocated and nothing swept unless a census field is wanted
 * (a filter, column, colouring rule, I/O Graph or Lua field names one; or
 * the preference tcpstate.census_in_tree with a visible tree) or the table
 * runs. Random access (the GUI's details pane) sweeps forward from the last
 * frame asked for, or from the start when going back.
 */
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <wsutil/report_message.h>

#include "ws_compat.h"
#include "packet-tcpstate.h"
#include "tcpstate_census.h"
#include "tcpstate_conninfo.h"

/* The states a socket exists in: CLOSED and LISTEN are not counted. */
#define FIRST_COUNTED TCPS_SYN_SENT
#define N_COUNTED (TCPS_NUM_STATES - FIRST_COUNTED)

enum { ANY, CLIENT, SERVER, N_KINDS };

typedef struct {
    gint64  at;        /* when it expires */
    guint32 who;       /* connection << 1 | end */
} tw_entry;

typedef struct {
    guint8  *st;       /* per connection: tcps_pair(client, server); UNSEEN */
    gint64  *tw;       /* per connection: [2] TIME_WAIT start */
    GArray  *heap;     /* tw_entry, a min-heap on `at` */
    guint32  n;        /* connections allocated */
    guint32  cursor;   /* the last frame swept */
    gboolean dirty;    /* records changed since: sweep again */
    guint32  count[N_KINDS][TCPS_NUM_STATES];
    guint32  open;
    const guint8 *only;   /* bitset of connections counted; NULL: all */
    guint32  only_n;      /* its bytes */
} census;

#define UNSEEN 0xffu

static int hf_open = -1;
static int hf_census[N_KINDS][TCPS_NUM_STATES];
static gint ett_census = -1;
static tcps_pref_bool pref_in_tree = FALSE;
static census fields_census;           /* the one the fields use */
static wmem_map_t *restarts;           /* frame -> its time (gint64 *) */

static gboolean
idle(unsigned s)
{
    return tcps_state_unconnected(s);
}

static void
census_free(census *c)
{
    g_free(c->st);
    g_free(c->tw);
    if (c->heap)
        g_array_free(c->heap, TRUE);
    memset(c, 0, sizeof *c);
}

/* Back to frame 0: nothing seen. */
static void
census_restart(census *c)
{
    if (c->st)
        memset(c->st, UNSEEN, c->n);
    if (c->heap)
        g_array_set_size(c->heap, 0);
    memset(c->count, 0, sizeof c->count);
    c->open = 0;
    c->cursor = 0;
    c->dirty = FALSE;
}

/* Room for every connection the file has (more come in a live capture). */
static void
census_grow(census *c)
{
    guint32 n = tcps_conninfo_count();

    if (!c->heap)
        c->heap = g_array_new(FALSE, FALSE, sizeof(tw_entry));
    if (n <= c->n)
        return;
    c->st = (guint8 *)g_realloc(c->st, n);
    c->tw = (gint64 *)g_realloc(c->tw, (gsize)n * 2 * sizeof(gint64));
    memset(c->st + c->n, UNSEEN, n - c->n);
    c->n = n;
}

static void
count(census *c, guint8 cs, int delta)
{
    unsigned cl = tcps_pair_end(cs, 0), sv = tcps_pair_end(cs, 1);

    if (cs == UNSEEN)
        return;
    if (!idle(cl) && cl < TCPS_NUM_STATES) {
        c->count[CLIENT][cl] += (guint32)delta;
        c->count[ANY][cl] += (guint32)delta;
    }
    if (!idle(sv) && sv < TCPS_NUM_STATES) {
        c->count[SERVER][sv] += (guint32)delta;
        if (sv != cl)
            c->count[ANY][sv] += (guint32)delta;
    }
    if (!idle(cl) || !idle(sv))
        c->open += (guint32)delta;
}

static void
set_state(census *c, guint32 conn, guint8 cs)
{
    count(c, c->st[conn], -1);
    count(c, cs, 1);
    c->st[conn] = cs;
}

static void
heap_push(GArray *h, gint64 at, guint32 who)
{
    tw_entry e = { at, who };
    guint i;

    g_array_append_val(h, e);
    for (i = h->len - 1; i > 0; ) {
        guint p = (i - 1) / 2;
        tw_entry *a = &g_array_index(h, tw_entry, p), *b = &g_array_index(h, tw_entry, i);
        if (a->at <= b->at)
            break;
        e = *a; *a = *b; *b = e;
        i = p;
    }
}

static tw_entry
heap_pop(GArray *h)
{
    tw_entry top = g_array_index(h, tw_entry, 0), t;
    guint i = 0, n;

    g_array_index(h, tw_entry, 0) = g_array_index(h, tw_entry, h->len - 1);
    g_array_set_size(h, h->len - 1);
    n = h->len;
    for (;;) {
        guint l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && g_array_index(h, tw_entry, l).at < g_array_index(h, tw_entry, m).at)
            m = l;
        if (r < n && g_array_index(h, tw_entry, r).at < g_array_index(h, tw_entry, m).at)
            m = r;
        if (m == i)
            break;
        t = g_array_index(h, tw_entry, m);
        g_array_index(h, tw_entry, m) = g_array_index(h, tw_entry, i);
        g_array_index(h, tw_entry, i) = t;
        i = m;
    }
    return top;
}

static gint64
two_msl_ns(void)
{
    return (gint64)tcpstate_msl_seconds() * 2 * 1000000000;
}

/* When end e entered TIME_WAIT on frame num: the time its since log
 * recorded (the frame's own time); a restart's time was noted. */
static gint64
tw_start(const tcps_conn_info *ci, const tcps_frame *fr, guint32 num, int e, gboolean restart)
{
    const tcps_since *since;
    gint64 *t;

    if (restart && (t = (gint64 *)wmem_map_lookup(restarts, GUINT_TO_POINTER(num))) != NULL)
        return *t;
    since = tcps_conninfo_since(ci, fr, e);
    return since ? since->time_ns : ci->last_ns;
}

/* One stored frame: its connection's ends take the record's states. */
static void
census_frame(census *c, guint32 num, const tcps_frame *fr)
{
    guint32 conn = fr->conn;
    const tcps_conn_info *ci;
    guint8 old, now;
    int e;

    if (conn >= c->n)
        return;
    if (c->only && ((conn >> 3) >= c->only_n || !(c->only[conn >> 3] & (1u << (conn & 7)))))
        return;
    ci = tcps_conninfo_view(fr);      /* a SYN flood's stay compact */
    old = c->st[conn];
    if (old == UNSEEN && ci->previous && ci->previous->table_index < c->n &&
        c->st[ci->previous->table_index] != UNSEEN)
        set_state(c, ci->previous->table_index, tcps_pair(TCPS_CLOSED, TCPS_CLOSED));
    now = tcps_pair(tcps_record_state(&fr->core, 0), tcps_record_state(&fr->core, 1));
    for (e = 0; e < 2; e++) {
        unsigned was = old == UNSEEN ? TCPS_CLOSED : tcps_pair_end(old, e);
        unsigned is = tcps_record_state(&fr->core, e);
        /* A FIN retransmitted into TIME_WAIT restarts it at its receiver. */
        gboolean restart = (fr->core.events & TCPS_EV_TIME_WAIT_RESTART) &&
                           tcps_record_from_client(&fr->core) == (e == 1);
        if (is != TCPS_TIME_WAIT || (was == TCPS_TIME_WAIT && !restart))
            continue;
        c->tw[conn * 2 + e] = tw_start(ci, fr, num, e, restart);
        if (was != TCPS_TIME_WAIT)   /* a restart keeps its one entry */
            heap_push(c->heap, c->tw[conn * 2 + e] + two_msl_ns(), conn << 1 | (guint32)e);
    }
    set_state(c, conn, now);
}

/* TIME_WAITs whose 2·MSL has run out by `now` leave for CLOSED. */
static void
census_expire(census *c, gint64 now)
{
    while (c->heap->len && g_array_index(c->heap, tw_entry, 0).at <= now) {
        tw_entry t = heap_pop(c->heap);
        guint32 conn = t.who >> 1;
        int e = (int)(t.who & 1);
        guint8 cs = c->st[conn];
        gint64 due = c->tw[conn * 2 + e] + two_msl_ns();

        if (cs == UNSEEN || tcps_pair_end(cs, e) != TCPS_TIME_WAIT)
            continue;               /* left TIME_WAIT some other way */
        if (due > now) {            /* restarted since: wait again */
            heap_push(c->heap, due, t.who);
            continue;
        }
        set_state(c, conn, tcps_pair_with(cs, e, TCPS_CLOSED));
    }
}

/* The census right after frame `frame`, at time `now`. */
static void
census_advance(census *c, guint32 frame, gint64 now)
{
    struct tcps_store *store = tcpstate_store();
    guint32 f;
    tcps_frame *fr;

    census_grow(c);
    if (c->dirty || frame < c->cursor)
        census_restart(c);
    for (f = c->cursor + 1; f <= frame; f++)
        if ((fr = tcps_store_get(store, f)) != NULL)
            census_frame(c, f, fr);
    if (frame > c->cursor)
        c->cursor = frame;
    census_expire(c, now);
}

void
tcps_census_reset(void)
{
    if (fields_census.cursor)
        fields_census.dirty = TRUE;
}

void
tcps_census_note(const tcps_frame *fr, guint32 num, gint64 time_ns)
{
    gint64 *t;

    if (!(fr->core.events & TCPS_EV_TIME_WAIT_RESTART))
        return;
    t = wmem_new(wmem_file_scope(), gint64);
    *t = time_ns;
    wmem_map_insert(restarts, GUINT_TO_POINTER(num), t);
}

/* The census fields' registrations, looked up once: whether one is wanted
 * is asked on every frame whose tcpstate tree is built. */
static header_field_info *census_hfinfo[1 + N_KINDS * N_COUNTED];

/* Wireshark marks the fields a filter, column, colouring rule, I/O Graph
 * or Lua field extractor names (ref_type, reset after each frame). */
static gboolean
census_wanted(proto_tree *tree)
{
    unsigned i;

    if (pref_in_tree && PTREE_DATA(tree)->visible)
        return TRUE;
    for (i = 0; i < G_N_ELEMENTS(census_hfinfo); i++)
        if (census_hfinfo[i]->ref_type != HF_REF_TYPE_NONE)
            return TRUE;
    return FALSE;
}

void
tcps_census_items(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcps_frame *fr _U_)
{
    proto_tree *ct;
    proto_item *it;
    int k, s;

    if (!tree || !census_wanted(tree))
        return;
    census_advance(&fields_census, pinfo->num, tcps_frame_time_ns(pinfo));
    ct = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_census, &it,
                                       "Census: %u connections open after this frame",
                                       fields_census.open);
    proto_item_set_generated(it);
    it = proto_tree_add_uint(ct, hf_open, tvb, 0, 0, fields_census.open);
    proto_item_set_generated(it);
    for (k = 0; k < N_KINDS; k++)
        for (s = FIRST_COUNTED; s < TCPS_NUM_STATES; s++) {
            it = proto_tree_add_uint(ct, hf_census[k][s], tvb, 0, 0, fields_census.count[k][s]);
            proto_item_set_generated(it);
        }
}

/* ---- -z tcpstate,census,INTERVAL[,filter] ---- */

typedef struct census_table census_table;

/* The filtered listener's key (it must differ from the table's). */
typedef struct {
    census_table *table;
} census_marker;

struct census_table {
    gint64   interval_ns;
    int      decimals;        /* for printing interval bounds */
    char    *filter;
    GArray  *bounds;          /* guint32: the last frame before each interval's end */
    gint64   start_ns;        /* the capture's first frame, tcpstate time */
    gboolean have_start;
    guint32  last_frame;
    gboolean truncated;       /* too many intervals: stopped */
    guint8  *marks;           /* connections with a frame passing the filter */
    guint32  marks_n;         /* bytes */
    census_marker marker;
};

/* A bad timestamp must not make a billion intervals. */
#define MAX_INTERVALS 1000000u

static void
table_reset(void *tapdata)
{
    census_table *t = (census_table *)tapdata;

    g_array_set_size(t->bounds, 0);
    t->have_start = FALSE;
    t->last_frame = 0;
    t->truncated = FALSE;
    if (t->marks)
        memset(t->marks, 0, t->marks_n);
}

static tap_packet_status
table_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data _U_,
             tap_flags_t flags _U_)
{
    census_table *t = (census_table *)tapdata;
    gint64 now = tcps_frame_time_ns(pinfo);
    gint64 k;
    guint32 last = t->last_frame;

    if (!t->have_start) {
        /* Intervals count from the capture's first frame, as -z io,stat's. */
        t->start_ns = now - ((gint64)pinfo->rel_ts.secs * 1000000000 + pinfo->rel_ts.nsecs);
        t->have_start = TRUE;
    }
    k = now > t->start_ns ? (now - t->start_ns) / t->interval_ns : 0;
    if (k >= (gint64)MAX_INTERVALS) {
        t->truncated = TRUE;
        k = MAX_INTERVALS - 1;
    }
    while ((gint64)t->bounds->len < k)
        g_array_append_val(t->bounds, last);
    t->last_frame = pinfo->num;
    return TAP_PACKET_DONT_REDRAW;
}

static tap_packet_status
marker_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
              tap_flags_t flags _U_)
{
    census_table *t = ((census_marker *)tapdata)->table;
    guint32 conn = ((const tcps_frame *)data)->conn;

    if ((conn >> 3) >= t->marks_n) {
        guint32 n = MAX((conn >> 3) + 1, t->marks_n * 2);
        t->marks = (guint8 *)g_realloc(t->marks, n);
        memset(t->marks + t->marks_n, 0, n - t->marks_n);
        t->marks_n = n;
    }
    t->marks[conn >> 3] |= (guint8)(1u << (conn & 7));
    return TAP_PACKET_DONT_REDRAW;
}

static void
table_draw(void *tapdata)
{
    census_table *t = (census_table *)tapdata;
    census c;
    GString *out = g_string_new(NULL);
    guint i, rows;
    int s;

    memset(&c, 0, sizeof c);
    tcpstate_finish_first_pass();
    rows = t->bounds->len + (t->have_start ? 1 : 0);
    c.only = t->filter ? t->marks : NULL;
    c.only_n = t->marks_n;
    if (t->filter && !t->marks) {
        c.only = (const guint8 *)"";   /* nothing matched */
        c.only_n = 0;
    }

    g_string_append(out, "\n=================================================================="
                         "==================================================\n");
    g_string_append(out, "TCP Connection State/Census: connections with an end in each state\n");
    g_string_append_printf(out, "Interval: %.*f s; each row counts at the interval's end\n",
                           t->decimals, t->interval_ns / 1e9);
    g_string_append_printf(out, "Filter for statistics: %s\n", t->filter ? t->filter : "");
    g_string_append(out, "Start | End | Open");
    for (s = FIRST_COUNTED; s < TCPS_NUM_STATES; s++)
        g_string_append_printf(out, " | %s", tcps_state_name((tcps_state)s));
    g_string_append(out, " | C:TIME_WAIT | S:TIME_WAIT | C:CLOSE_WAIT | S:CLOSE_WAIT |\n");
    for (i = 0; i < rows; i++) {
        gint64 end = t->interval_ns * (gint64)(i + 1);

        /* The last interval ends after the last frame. */
        census_advance(&c, i < t->bounds->len ? g_array_index(t->bounds, guint32, i)
                                              : t->last_frame, t->start_ns + end);
        g_string_append_printf(out, "%.*f | %.*f | %u", t->decimals,
                               (end - t->interval_ns) / 1e9, t->decimals, end / 1e9, c.open);
        for (s = FIRST_COUNTED; s < TCPS_NUM_STATES; s++)
            g_string_append_printf(out, " | %u", c.count[ANY][s]);
        g_string_append_printf(out, " | %u | %u | %u | %u |\n",
                               c.count[CLIENT][TCPS_TIME_WAIT], c.count[SERVER][TCPS_TIME_WAIT],
                               c.count[CLIENT][TCPS_CLOSE_WAIT], c.count[SERVER][TCPS_CLOSE_WAIT]);
    }
    if (t->truncated)
        g_string_append_printf(out, "(stopped after %u intervals: a timestamp lies far ahead)\n",
                               MAX_INTERVALS);
    g_string_append(out, "=================================================================="
                         "==================================================\n");
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
    census_free(&c);
}

/* 4.6 wants to know whether the -z argument was taken (ws_compat.h). */
static TCPS_STAT_INIT_RET
table_cli_init(const char *opt_arg, void *userdata _U_)
{
    const char *args = opt_arg + strlen("tcpstate,census");
    census_table *t;
    char *end = NULL;
    double interval;
    GString *error;
    const char *filter = NULL;

    if (*args == ',')
        args++;
    interval = g_ascii_strtod(args, &end);
    if (end == args || !(interval >= 1e-6 && interval <= 1e9) || (*end && *end != ',')) {
        report_failure("tcpstate,census: want -z tcpstate,census,INTERVAL[,FILTER], "
                       "INTERVAL in seconds (e.g. 1 or 0.1), not \"%s\"", opt_arg);
        TCPS_STAT_INIT_RETURN(false);
    }
    if (*end == ',' && end[1])
        filter = end + 1;
    t = g_new0(census_table, 1);
    t->interval_ns = (gint64)(interval * 1e9 + 0.5);
    t->decimals = t->interval_ns % 1000000000 == 0 ? 0 : t->interval_ns % 1000000 == 0 ? 3 : 6;
    t->bounds = g_array_new(FALSE, FALSE, sizeof(guint32));
    t->filter = g_strdup(filter);
    t->marker.table = t;
    error = register_tap_listener("tcpstate", t, NULL, 0, table_reset, table_packet, table_draw,
                                  NULL);
    if (!error && filter)
        error = register_tap_listener("tcpstate", &t->marker, filter, 0, NULL, marker_packet,
                                      NULL, NULL);
    if (error) {
        report_failure("Couldn't register tcpstate,census tap: %s", error->str);
        g_string_free(error, TRUE);
        remove_tap_listener(t);
        g_array_free(t->bounds, TRUE);
        g_free(t->filter);
        g_free(t);
        TCPS_STAT_INIT_RETURN(false);
    }
    TCPS_STAT_INIT_RETURN(true);
}

void
tcps_census_register(int proto, module_t *module)
{
    static const char *const kind_abbrev[N_KINDS] = { "", "client.", "server." };
    static const char *const kind_name[N_KINDS] = { "Connections", "Clients", "Servers" };
    static const char *const kind_blurb[N_KINDS] = {
        "Connections with at least one end in %s right after this frame",
        "Connections whose client is in %s right after this frame",
        "Connections whose server is in %s right after this frame",
    };
    static hf_register_info hf_open_info[] = {
        { &hf_open,
          { "Connections open", "tcpstate.census.open", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Connections with an end in any state but CLOSED and LISTEN right after this "
            "frame (TIME_WAIT included until its 2*MSL runs out; two passes, GUI)", HFILL } },
    };
    static gint *ett[] = { &ett_census };
    hf_register_info *hf = g_new0(hf_register_info, N_KINDS * N_COUNTED);
    int k, s, i = 0;

    for (k = 0; k < N_KINDS; k++)
        for (s = FIRST_COUNTED; s < TCPS_NUM_STATES; s++, i++) {
            const char *name = tcps_state_name((tcps_state)s);
            char *lower = g_ascii_strdown(name, -1);

            hf_census[k][s] = -1;
            hf[i].p_id = &hf_census[k][s];
            hf[i].hfinfo.name = g_strdup_printf("%s in %s", kind_name[k], name);
            hf[i].hfinfo.abbrev = g_strdup_printf("tcpstate.census.%s%s", kind_abbrev[k], lower);
            hf[i].hfinfo.type = FT_UINT32;
            hf[i].hfinfo.display = BASE_DEC;
            hf[i].hfinfo.blurb = g_strdup_printf(kind_blurb[k], name);
            hf[i].hfinfo.id = -1;
            hf[i].hfinfo.parent = 0;
            hf[i].hfinfo.ref_type = HF_REF_TYPE_NONE;
            hf[i].hfinfo.same_name_prev_id = -1;
            g_free(lower);
        }
    proto_register_field_array(proto, hf_open_info, array_length(hf_open_info));
    proto_register_field_array(proto, hf, N_KINDS * N_COUNTED);
    proto_register_subtree_array(ett, array_length(ett));
    prefs_register_bool_preference(module, "census_in_tree", "Census in every packet tree",
        "Add the tcpstate.census.* fields (connections in each state) to every tree that is "
        "shown or printed: the packet details, tshark -V and tshark -T fields -e, whose "
        "fields Wireshark 4.0 does not tell a plugin. Without it the census is counted only "
        "when a filter, column, colouring rule or I/O Graph names one of its fields.",
        &pref_in_tree);
    restarts = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                      g_direct_equal);
}

void
tcps_census_handoff(void)
{
    int k, s;
    unsigned i = 0;

    static stat_tap_ui ui = {
        REGISTER_STAT_GROUP_GENERIC,
        NULL,
        "tcpstate,census",
        table_cli_init,
        0,
        NULL
    };

    census_hfinfo[i++] = proto_registrar_get_nth(hf_open);
    for (k = 0; k < N_KINDS; k++)
        for (s = FIRST_COUNTED; s < TCPS_NUM_STATES; s++)
            census_hfinfo[i++] = proto_registrar_get_nth(hf_census[k][s]);
    register_stat_tap_ui(&ui, NULL);
}
