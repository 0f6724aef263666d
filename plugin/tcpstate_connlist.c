/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_connlist.c — the connection list: one row per connection (one
 * incarnation of a 4-tuple) with its stream, endpoints, first and last
 * frame, duration, final states, Zeek conn_state and history, who closed
 * first, handshake round trip, lost segments, 4-tuple reuse and upgrade.
 *
 * `-z tcpstate,conn,list[,filter]` in tshark; Tools → TCP Connection State →
 * List of connections in the GUI (a funnel text window over the displayed
 * packets), whose button applies `tcpstate.connection == N`: Wireshark
 * 4.0's plugin API has no table window whose rows a plugin can make
 * clickable, but a funnel window can ask for a number and set the display
 * filter.
 *
 * A connection is listed if one of its frames passes the filter; its
 * values are the whole connection's, from the stored records and the
 * connection analysis (final once the capture is read: the table is drawn
 * at the end). Three listeners: TCP's tap for the stream number, ours
 * without a filter for each connection's endpoints as its first frame
 * shows them, and ours with the filter to pick the connections.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <epan/funnel.h>
#include <epan/address.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-tcp.h>
#include <wsutil/report_message.h>

#include "ws_compat.h"
#include "packet-tcpstate.h"
#include "tcpstate_connlist.h"
#include "tcpstate_conninfo.h"
#include "tcpstate_stats.h"
#include "tcpstate_store.h"
#include "tcpstate_upgrade.h"
#include "tcpstate_view.h"

static int hf_connection = -1;

/* What the taps learn of one connection. */
typedef struct {
    guint32  stream;       /* tcp.stream of its first frame */
    char    *client;       /* "addr:port" */
    char    *server;
    gboolean picked;       /* a frame passed the filter */
} list_conn;

typedef struct conn_list conn_list;

typedef struct {
    conn_list *list;
} list_picker;

typedef struct {
    guint32 frame, stream;
} list_pending;

struct conn_list {
    GArray      *conns;        /* list_conn, by connection index */
    list_pending pending;      /* the TCP listener's key */
    list_picker  picker;       /* the filtered listener's key */
    char        *filter;
    funnel_text_window_t *tw;  /* GUI; NULL: stdout */
};

/* A text window of a huge capture's list is slow and of no use: the GUI
 * shows this many rows, tshark all. */
#define GUI_MAX_ROWS 5000
#define N_COLS 17
#define RULE "===================================================================" \
             "================================================="

static list_conn *
conn_at(conn_list *l, guint32 idx)
{
    if (idx >= l->conns->len) {
        guint old = l->conns->len;
        g_array_set_size(l->conns, idx + 1);
        memset(&g_array_index(l->conns, list_conn, old), 0,
               (idx + 1 - old) * sizeof(list_conn));
    }
    return &g_array_index(l->conns, list_conn, idx);
}

static void
list_clear(conn_list *l)
{
    guint i;

    for (i = 0; i < l->conns->len; i++) {
        g_free(g_array_index(l->conns, list_conn, i).client);
        g_free(g_array_index(l->conns, list_conn, i).server);
    }
    g_array_set_size(l->conns, 0);
}

static void
list_reset(void *tapdata)
{
    list_clear((conn_list *)tapdata);
}

static tap_packet_status
tcp_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
           tap_flags_t flags _U_)
{
    list_pending *p = (list_pending *)tapdata;

    p->frame = pinfo->num;
    p->stream = ((const struct tcpheader *)data)->th_stream;
    return TAP_PACKET_DONT_REDRAW;
}

static tap_packet_status
all_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
           tap_flags_t flags _U_)
{
    conn_list *l = (conn_list *)tapdata;
    const tcps_frame *fr = (const tcps_frame *)data;
    list_conn *c = conn_at(l, fr->conn);
    gboolean from_client = tcps_record_from_client(&fr->core);

    if (c->client)
        return TAP_PACKET_DONT_REDRAW;
    c->stream = l->pending.frame == pinfo->num ? l->pending.stream : G_MAXUINT32;
    c->client = tcps_endpoint_str(from_client ? &pinfo->src : &pinfo->dst,
                             from_client ? pinfo->srcport : pinfo->destport);
    c->server = tcps_endpoint_str(from_client ? &pinfo->dst : &pinfo->src,
                             from_client ? pinfo->destport : pinfo->srcport);
    if (!l->filter)
        c->picked = TRUE;
    return TAP_PACKET_REDRAW;
}

static tap_packet_status
picked_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
              tap_flags_t flags _U_)
{
    conn_list *l = ((list_picker *)tapdata)->list;

    conn_at(l, ((const tcps_frame *)data)->conn)->picked = TRUE;
    return TAP_PACKET_DONT_REDRAW;
}

typedef struct {
    guint32 first, last, lost;
    guint16 reuse;            /* TCPS_AN_REUSE_* of its first SYN */
} conn_frames;

static const char *
state_name(guint8 s)
{
    return tcps_state_name((tcps_state)s);
}

static void
append_secs(GString *s, gint64 ns)
{
    g_string_append_printf(s, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT, ns / 1000000000,
                           (ns % 1000000000) / 1000);
}

/* The cells of connection i's row (g_strfreev them), read through the
 * tracker's view (a flood's SYN-only connections stay compact); its
 * conn_state code in *code. */
static char **
row_cells(const conn_list *l, guint32 i, const conn_frames *cf, guint *code)
{
    const list_conn *c = &g_array_index(l->conns, list_conn, i);
    const tcps_conn_info *ci = tcps_conninfo_view_at(i);   /* until the next row's */
    const char *upgrade;
    guint32 upgrade_frame = 0;
    GString *dur, *rtt;
    char **cells;
    char hist[TCPS_ZEEK_HISTORY_BUF];

    *code = (guint)tcps_zeek_conn_state(&ci->zeek);
    dur = g_string_new(NULL);
    append_secs(dur, ci->last_ns - ci->start_ns);
    rtt = g_string_new(NULL);
    if (ci->hs_done)
        append_secs(rtt, ci->hs_server_ns + ci->hs_client_ns);
    else
        g_string_append_c(rtt, '-');
    upgrade = tcps_upgrade_of(ci, &upgrade_frame);
    cells = g_new0(char *, N_COLS + 1);
    cells[0] = g_strdup_printf("%u", i);
    cells[1] = c->stream == G_MAXUINT32 ? g_strdup("-") : g_strdup_printf("%u", c->stream);
    cells[2] = g_strdup(c->client);
    cells[3] = g_strdup(c->server);
    cells[4] = g_strdup_printf("%u", cf->first);
    cells[5] = g_strdup_printf("%u", cf->last);
    cells[6] = g_string_free(dur, FALSE);
    cells[7] = g_strdup(state_name(ci->final_state[0]));
    cells[8] = g_strdup(state_name(ci->final_state[1]));
    cells[9] = g_strdup(tcps_zeek_state_name((tcps_zeek_state)*code));
    cells[16] = g_strdup(tcps_zeek_meaning(*code));
    cells[10] = g_strdup(tcps_zeek_history(&ci->zeek, hist));
    cells[11] = g_strdup(val_to_str_const(ci->closer, tcpstate_closer_vals, "-"));
    cells[12] = g_string_free(rtt, FALSE);
    cells[13] = g_strdup_printf("%u", cf->lost);
    cells[14] = !ci->previous ? g_strdup("-")
              : g_strdup_printf("of %u%s", ci->previous->table_index,
                                (cf->reuse & TCPS_AN_REUSE_IN_TW) ? ", in TIME_WAIT"
                                : (cf->reuse & TCPS_AN_REUSE_AFTER_TW) ? ", after TIME_WAIT"
                                : "");
    cells[15] = upgrade ? g_strdup_printf("%s (frame %u)", *upgrade ? upgrade : "?",
                                          upgrade_frame)
                        : g_strdup("-");
    return cells;
}

static void
widen(int *width, char **cells, guint ncols)
{
    guint k;

    for (k = 0; k < ncols; k++)
        width[k] = MAX(width[k], (int)g_utf8_strlen(cells[k], -1));
}

static void
append_row(GString *out, const int *width, char **cells, guint ncols)
{
    guint k;

    for (k = 0; k < ncols; k++)
        g_string_append_printf(out, "%-*s |%s", width[k], cells[k], k + 1 < ncols ? " " : "\n");
}

/* The GUI's window is too narrow for the Meaning column: it gets a legend
 * of the codes listed instead (gui). Aligned columns, so that the GUI's
 * text window reads as a table: the rows are formatted twice, once for
 * the widths and once for the text, rather than all kept in between (on a
 * SYN flood, about 700 bytes a row). */
static GString *
list_text(conn_list *l, guint max_rows, gboolean gui)
{
    GString *out = g_string_new(NULL);
    struct tcps_store *store = tcpstate_store();
    guint32 n = tcps_conninfo_count(), i, f, shown = 0, top = 0;
    conn_frames *frames = g_new0(conn_frames, n ? n : 1);
    tcps_frame *fr;
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(guint32));   /* connections shown */
    char **header, **cells;
    int width[N_COLS] = { 0 };
    gboolean more = FALSE;
    guint32 codes_seen = 0;
    guint ncols = gui ? N_COLS - 1 : N_COLS, code;

    /* The whole connection's frames, lost ones and reuse, from the records
     * (hindsight: a loss is known once a later frame shows it). */
    for (i = 0; i < l->conns->len && i < n; i++)
        if (g_array_index(l->conns, list_conn, i).picked)
            top = i + 1;
    for (f = 1; top && f < tcps_store_end(store); f++) {
        if (!(fr = tcps_store_get(store, f)))
            continue;
        if (fr->conn < n) {
            conn_frames *cf = &frames[fr->conn];
            if (!cf->first)
                cf->first = f;
            cf->last = f;
            if (tcps_record_lost(&fr->core))
                cf->lost++;
            cf->reuse |= fr->analysis & (TCPS_AN_REUSE_IN_TW | TCPS_AN_REUSE_AFTER_TW);
        }
    }

    header = g_strsplit("Conn|Stream|Client|Server|First|Last|Duration|Client final|"
                        "Server final|conn_state|History|Closer|Handshake RTT|Lost|"
                        "Reuse|Upgrade|Meaning", "|", -1);
    widen(width, header, ncols);
    for (i = 0; i < l->conns->len && i < n; i++) {
        const list_conn *c = &g_array_index(l->conns, list_conn, i);

        if (!c->picked || !c->client)
            continue;
        if (shown++ == max_rows) {
            more = TRUE;
            break;
        }
        g_array_append_val(rows, i);
        cells = row_cells(l, i, &frames[i], &code);
        codes_seen |= 1u << code;
        widen(width, cells, ncols);
        g_strfreev(cells);
    }
    append_row(out, width, header, ncols);
    g_strfreev(header);
    for (f = 0; f < rows->len; f++) {
        i = g_array_index(rows, guint32, f);
        cells = row_cells(l, i, &frames[i], &code);
        append_row(out, width, cells, ncols);
        g_strfreev(cells);
    }
    g_array_free(rows, TRUE);
    if (gui && codes_seen) {
        g_string_append(out, "\nconn_state (Zeek):\n");
        for (code = 0; code < TCPS_ZEEK_NUM; code++)
            if (codes_seen & (1u << code))
                g_string_append_printf(out, "  %-6s %s\n", tcps_zeek_state_name((tcps_zeek_state)code),
                                       tcps_zeek_meaning(code));
    }
    if (more)
        g_string_append(out, "... more connections: filter on the ones you want, or use "
                             "tshark -z tcpstate,conn,list\n");
    if (!shown)
        g_string_append(out, "No TCP connection annotated by tcpstate.\n");
    g_free(frames);
    return out;
}

static void
list_draw(void *tapdata)
{
    conn_list *l = (conn_list *)tapdata;
    const funnel_ops_t *ops;
    GString *text;

    tcpstate_finish_first_pass();
    text = list_text(l, l->tw ? GUI_MAX_ROWS : G_MAXUINT, l->tw != NULL);
    if (l->tw && (ops = funnel_get_funnel_ops()) != NULL) {
        g_string_prepend(text, "One row per connection. To see a connection's packets, "
                               "click \"Show a connection's packets\" and give its Conn "
                               "number (filter tcpstate.connection == N).\n\n");
        ops->set_text(l->tw, text->str);
    } else {
        /* tshark prints a tap's output on stdout (as ui/cli's taps do),
         * the list as it is (not copied: on a flood, 100 bytes a row). */
        fputs("\n" RULE "\nTCP Connection State/Connection list\nFilter for statistics: ", stdout);
        fputs(l->filter ? l->filter : "", stdout);
        fputs("\n", stdout);
        fputs(text->str, stdout);
        fputs(RULE "\n", stdout);
    }
    g_string_free(text, TRUE);
}

static conn_list *
list_new(const char *filter)
{
    conn_list *l = g_new0(conn_list, 1);

    l->conns = g_array_new(FALSE, TRUE, sizeof(list_conn));
    l->filter = filter && *filter ? g_strdup(filter) : NULL;
    l->picker.list = l;
    return l;
}

static void
list_free(conn_list *l)
{
    list_clear(l);
    g_array_free(l->conns, TRUE);
    g_free(l->filter);
    g_free(l);
}

static void
list_stop(conn_list *l)
{
    remove_tap_listener(&l->pending);
    remove_tap_listener(l);
    remove_tap_listener(&l->picker);
}

/* The three listeners (tcps_view_start_fn); NULL and the error in *err
 * when the filter does not compile. */
static void *
list_start(const char *filter, char **err)
{
    conn_list *l = list_new(filter);
    GString *error;

    error = register_tap_listener("tcp", &l->pending, NULL, 0, NULL, tcp_packet, NULL, NULL);
    if (!error)
        error = register_tap_listener("tcpstate", l, NULL, 0, list_reset, all_packet, list_draw,
                                      NULL);
    if (!error && l->filter)
        error = register_tap_listener("tcpstate", &l->picker, l->filter, 0, NULL, picked_packet,
                                      NULL, NULL);
    if (error) {
        *err = g_string_free(error, FALSE);
        list_stop(l);
        list_free(l);
        return NULL;
    }
    return l;
}

/* 4.6 wants to know whether the -z argument was taken (ws_compat.h). */
static TCPS_STAT_INIT_RET
list_cli_init(const char *opt_arg, void *userdata _U_)
{
    TCPS_STAT_INIT_RETURN(tcps_view_cli_start(opt_arg, "tcpstate,conn,list", TRUE, list_start));
}

/* GUI: the list of the displayed packets' connections, and a button that
 * asks for a Conn number and filters on it. */
static void
goto_conn_cb(gchar **input, void *data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    char *end = NULL;
    guint64 n;
    char *filter;

    if (!ops || !input || !input[0])
        return;
    n = g_ascii_strtoull(input[0], &end, 10);
    if (end == input[0] || *end || n > G_MAXUINT32)
        return;
    filter = g_strdup_printf("tcpstate.connection == %" G_GUINT64_FORMAT, n);
    ops->set_filter(ops->ops_id, filter);
    ops->apply_filter(ops->ops_id);
    g_free(filter);
}

static TCPS_FUNNEL_BT_RET
goto_button_cb(funnel_text_window_t *tw _U_, void *data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    static const gchar *fields[] = { "Conn (tcpstate.connection)", NULL };

    if (ops)
        ops->new_dialog(ops->ops_id, "Show a connection's packets", fields, NULL, goto_conn_cb,
                        NULL, NULL);
    return TRUE;
}

static void
list_window_closed(void *data)
{
    conn_list *l = (conn_list *)data;

    list_stop(l);
    list_free(l);
}

static void
list_menu_cb(gpointer data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    void *view;
    funnel_text_window_t *tw = tcps_view_window("TCP connection list", list_start, &view);
    conn_list *l = (conn_list *)view;

    if (!tw)
        return;
    l->tw = tw;
    ops->set_close_cb(tw, list_window_closed, l);
    tcps_view_add_button(tw, goto_button_cb, NULL, "Show a connection's packets");
    ops->retap_packets(ops->ops_id);
}

void
tcps_connlist_items(proto_tree *tree, tvbuff_t *tvb, const tcps_frame *fr)
{
    proto_item *it;

    if (!tree)
        return;
    it = proto_tree_add_uint(tree, hf_connection, tvb, 0, 0, fr->conn);
    proto_item_set_generated(it);
}

void
tcps_connlist_register(int proto)
{
    static hf_register_info hf[] = {
        { &hf_connection,
          { "Connection", "tcpstate.connection", FT_UINT32, BASE_DEC, NULL, 0x0,
            "tcpstate's number for this connection (one incarnation of a 4-tuple), from 0 in "
            "order of first segment: the Conn column of -z tcpstate,conn,list. Unlike "
            "tcp.stream it parts a reused 4-tuple's incarnations", HFILL } },
    };

    proto_register_field_array(proto, hf, array_length(hf));
}

void
tcps_connlist_handoff(void)
{
    static stat_tap_ui ui = {
        REGISTER_STAT_GROUP_GENERIC,
        NULL,
        "tcpstate,conn,list",
        list_cli_init,
        0,
        NULL
    };

    register_stat_tap_ui(&ui, NULL);
    funnel_register_menu("TCP Connection State/List of connections",
                         REGISTER_TOOLS_GROUP_UNSORTED, list_menu_cb, NULL, NULL, TRUE);
}
