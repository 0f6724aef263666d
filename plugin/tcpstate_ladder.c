/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_ladder.c — a textbook ladder (sequence diagram) per connection:
 * `-z tcpstate,ladder[,filter]` in tshark, and Tools → TCP Connection State
 * → Ladder in the GUI (a funnel text window over the displayed packets).
 *
 * Each step is one segment: its flags, relative seq, ack and length on an
 * arrow between the client's and the server's timelines, with both ends'
 * states beside it (PREV>NEW where one changed). A segment that a later one
 * shows never arrived ends in X short of its receiver, and a step whose
 * states hindsight revised says what one pass showed (both known with two
 * passes: tshark -2, the GUI).
 *
 * Two tap listeners per ladder: TCP's tap gives the header values, ours the
 * tcpstate record. Taps run once the frame is fully dissected, TCP's first,
 * so the TCP values wait in `pending` for the record of the same frame.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <epan/funnel.h>
#include <epan/plugin_if.h>
#include <epan/address.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-tcp.h>
#include <wsutil/report_message.h>
#include <wsutil/strtoi.h>

#include "ws_compat.h"
#include "tcpstate_ladder.h"
#include "packet-tcpstate.h"
#include "tcpstate_tcpflags.h"
#include "tcpstate_view.h"

#define STATE_WIDTH 22
#define ARROW_WIDTH 44
/* A text window holding a whole large capture's ladder is of no use and
 * slow to fill: the GUI shows this many connections, tshark all of them. */
#define GUI_MAX_CONNS 100

typedef struct {
    guint32     frame;
    guint16     flags;
    guint32     seq, ack, len;
    tcps_result r;
    gboolean    lost;
    gboolean    revised;   /* hindsight changed what one pass showed */
    guint8      live[2];   /* client, server: what one pass showed */
} ladder_step;

typedef struct {
    char   *client, *server;   /* "addr:port" */
    GArray *steps;             /* ladder_step */
    guint32 conn;              /* its index (tcps_frame.conn) */
} ladder_conn;

/* TCP's values for the frame being tapped; the TCP listener's tap data. */
typedef struct {
    guint32  frame;
    guint16  flags;
    guint32  seq, ack, len;
    gboolean set;
} ladder_pending;

typedef struct {
    GPtrArray  *conns;         /* ladder_conn *, in order of first segment */
    GHashTable *by_conn;       /* connection index -> ladder_conn * */
    ladder_pending pending;    /* not the first member: its address, the TCP
                                  listener's key, differs from the ladder's */
    funnel_text_window_t *tw;  /* GUI: where the ladder goes; NULL: stdout */
    char       *filter;        /* GUI: the display filter it was drawn for */
    guint32     selected;      /* GUI: frame of the step the buttons went to */
} ladder;

static void
free_conn(gpointer p)
{
    ladder_conn *c = (ladder_conn *)p;

    g_free(c->client);
    g_free(c->server);
    g_array_free(c->steps, TRUE);
    g_free(c);
}

static void
ladder_reset(void *tapdata)
{
    ladder *l = (ladder *)tapdata;

    g_ptr_array_set_size(l->conns, 0);
    g_hash_table_remove_all(l->by_conn);
    l->pending.set = FALSE;
}

static tap_packet_status
tcp_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
           tap_flags_t flags _U_)
{
    ladder_pending *p = (ladder_pending *)tapdata;
    const struct tcpheader *th = (const struct tcpheader *)data;

    p->frame = pinfo->num;
    p->flags = th->th_flags;
    p->seq = th->th_seq;
    p->ack = th->th_ack;
    p->len = th->th_have_seglen ? th->th_seglen : 0;
    p->set = TRUE;
    return TAP_PACKET_DONT_REDRAW;
}

static tap_packet_status
tcpstate_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                tap_flags_t flags _U_)
{
    ladder *l = (ladder *)tapdata;
    const tcps_frame *fr = (const tcps_frame *)data;
    ladder_conn *c;
    ladder_step step;

    if (!l->pending.set || l->pending.frame != pinfo->num)
        return TAP_PACKET_DONT_REDRAW;
    memset(&step, 0, sizeof step);
    tcps_record_unpack(&fr->core, &step.r);
    step.lost = tcps_record_lost(&fr->core);
    step.live[0] = (guint8)tcps_frame_live(fr, 0);
    step.live[1] = (guint8)tcps_frame_live(fr, 1);
    step.revised = fr->revised || tcps_frame_live_differs(fr);
    step.frame = pinfo->num;
    step.flags = l->pending.flags;
    step.seq = l->pending.seq;
    step.ack = l->pending.ack;
    step.len = l->pending.len;
    l->pending.set = FALSE;

    c = (ladder_conn *)g_hash_table_lookup(l->by_conn, GUINT_TO_POINTER(fr->conn));
    if (!c) {
        c = g_new0(ladder_conn, 1);
        c->steps = g_array_new(FALSE, FALSE, sizeof(ladder_step));
        if (step.r.from_client) {
            c->client = tcps_endpoint_str(&pinfo->src, pinfo->srcport);
            c->server = tcps_endpoint_str(&pinfo->dst, pinfo->destport);
        } else {
            c->client = tcps_endpoint_str(&pinfo->dst, pinfo->destport);
            c->server = tcps_endpoint_str(&pinfo->src, pinfo->srcport);
        }
        c->conn = fr->conn;
        g_hash_table_insert(l->by_conn, GUINT_TO_POINTER(fr->conn), c);
        g_ptr_array_add(l->conns, c);
    }
    g_array_append_val(c->steps, step);
    return TAP_PACKET_REDRAW;
}

/* "SYN,ACK": the flags a textbook writes, in their usual order. */
static void
append_flags(GString *s, guint16 flags)
{
    static const struct { guint16 bit; const char *name; } names[] = {
        { TCPS_TH_SYN, "SYN" }, { TCPS_TH_FIN, "FIN" }, { TCPS_TH_RST, "RST" },
        { TCPS_TH_PSH, "PSH" }, { TCPS_TH_ACK, "ACK" }, { TCPS_TH_URG, "URG" },
        { TCPS_TH_ECE, "ECE" }, { TCPS_TH_CWR, "CWR" },
    };
    gboolean first = TRUE;
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(names); i++)
        if (flags & names[i].bit) {
            g_string_append_printf(s, "%s%s", first ? "" : ",", names[i].name);
            first = FALSE;
        }
    if (first)
        g_string_append(s, "(none)");
}

static const char *
state_text(char *buf, size_t size, guint8 prev, guint8 now)
{
    if (prev == now)
        snprintf(buf, size, "%s", tcps_state_name((tcps_state)now));
    else
        snprintf(buf, size, "%s>%s", tcps_state_name((tcps_state)prev),
                 tcps_state_name((tcps_state)now));
    return buf;
}

/* One step: frame, client state, arrow with its label, server state, notes. */
static void
append_step(GString *out, const ladder_step *step)
{
    ladder_step copy = *step;
    ladder_step *s = &copy;
    const tcps_result had = step->r;
    int receiver;
    GString *label = g_string_new(NULL);
    GString *arrow = g_string_new(NULL);
    char cbuf[32], sbuf[32];
    int pad;

    append_flags(label, s->flags);
    g_string_append_printf(label, " seq=%u", s->seq);
    if (s->flags & TCPS_TH_ACK)
        g_string_append_printf(label, " ack=%u", s->ack);
    g_string_append_printf(label, " len=%u", s->len);

    pad = ARROW_WIDTH - 7 - (int)label->len;
    if (pad < 2)
        pad = 2;
    if (s->r.from_client) {
        g_string_append_printf(arrow, "--- %s ", label->str);
        while (pad-- > 0)
            g_string_append_c(arrow, '-');
        g_string_append(arrow, s->lost ? "X  " : "-->");
    } else {
        g_string_append(arrow, s->lost ? "  X" : "<--");
        while (pad-- > 0)
            g_string_append_c(arrow, '-');
        g_string_append_printf(arrow, " %s ---", label->str);
    }
    /* A lost segment changed nothing at its receiver: show the state it
     * kept, and the one the record holds (had it arrived) in the note. */
    receiver = s->r.from_client ? 1 : 0;
    if (s->lost)
        s->r.state[receiver] = s->r.prev[receiver];
    g_string_append_printf(out, "%6u  %-*s |%s| %s", s->frame, STATE_WIDTH,
                           state_text(cbuf, sizeof cbuf, s->r.prev[0], s->r.state[0]),
                           arrow->str, state_text(sbuf, sizeof sbuf, s->r.prev[1], s->r.state[1]));
    /* Had it arrived: what one pass showed (the live view), since the
     * record now holds the hindsight states. */
    if (s->lost)
        g_string_append_printf(out, "  [lost: the %s never got it, had it arrived: %s]",
                               receiver ? "server" : "client",
                               state_text(cbuf, sizeof cbuf, had.prev[receiver],
                                          s->live[receiver]));
    if (s->revised)
        g_string_append_printf(out, "  [revised in hindsight: one pass showed C:%s S:%s]",
                               tcps_state_name((tcps_state)s->live[0]),
                               tcps_state_name((tcps_state)s->live[1]));
    if (s->r.events & TCPS_EV_LOSS_REVEALED)
        g_string_append(out, "  [shows an earlier segment was lost]");
    if (s->r.events & TCPS_EV_RST_IGNORED)
        g_string_append(out, "  [RST ignored: out of window]");
    if (s->r.events & TCPS_EV_TIME_WAIT_RESTART)
        g_string_append(out, "  [TIME_WAIT restarts]");
    if (s->r.midstream)
        g_string_append(out, "  [midstream: states inferred]");
    g_string_append_c(out, '\n');
    g_string_free(label, TRUE);
    g_string_free(arrow, TRUE);
}

/* How the connection ended after its last segment, when that is known and
 * changed a state: a new SYN that ended its TIME_WAIT, or (hindsight) a
 * server that gave up its handshake. Only under the connection's last
 * segment: a ladder cut short by a filter would show a jump. */
static void
append_end(GString *out, const ladder_conn *c)
{
    const ladder_step *last = &g_array_index(c->steps, ladder_step, c->steps->len - 1);
    /* Read at the end through the view: a flood's SYNs stay compact. */
    const tcps_conn_info *info = tcps_conninfo_view_at(c->conn);
    guint8 shown[2] = { last->r.state[0], last->r.state[1] };
    gint64 gave_up;
    guint32 ended = 0;
    GString *what;
    char cbuf[32], sbuf[32];
    int e;

    if (!info || c->steps->len != info->segments)
        return;
    gave_up = tcps_conninfo_gave_up_ns(info);
    if (last->lost)   /* its receiver kept the state before it */
        shown[last->r.from_client ? 1 : 0] = last->r.prev[last->r.from_client ? 1 : 0];
    if (shown[0] == info->final_state[0] && shown[1] == info->final_state[1])
        return;
    /* The frame of the SYN that ended a TIME_WAIT: the CLOSED entry it
     * added to that end's since log. */
    for (e = 0; e < 2 && (info->end_flags & TCPS_END_TW_ENDED); e++)
        if (info->since[e].n && info->since[e].v[info->since[e].n - 1].state == TCPS_CLOSED &&
            shown[e] == TCPS_TIME_WAIT)
            ended = info->since[e].v[info->since[e].n - 1].frame;
    /* No frame number in the frame column: the row is no segment of this
     * connection (the SYN belongs to the next one). */
    what = g_string_new(NULL);
    if (ended)
        g_string_printf(what, " (frame %u, new SYN: TIME_WAIT ends)", ended);
    else if (gave_up != TCPS_TIME_NONE)
        g_string_printf(what, " (no SYN/ACK due: gives up)");
    else
        g_string_printf(what, " (end of capture)");
    g_string_append_printf(out, "%6s  %-*s |%-*s| %s", "-", STATE_WIDTH,
                           state_text(cbuf, sizeof cbuf, shown[0], info->final_state[0]),
                           ARROW_WIDTH + 1, what->str,   /* as wide as an arrow */
                           state_text(sbuf, sizeof sbuf, shown[1], info->final_state[1]));
    if (gave_up != TCPS_TIME_NONE)
        g_string_append_printf(out, "  [hindsight: no SYN/ACK %.3f s after the last one]",
                               (gave_up - info->synack_ns) / 1e9);
    g_string_append_c(out, '\n');
    g_string_free(what, TRUE);
}

static void
append_escaped(GString *out, const char *text)
{
    char *esc = g_markup_escape_text(text, -1);

    g_string_append(out, esc);
    g_free(esc);
}

static void
append_text(GString *out, const char *text, gboolean html)
{
    if (html)
        append_escaped(out, text);
    else
        g_string_append(out, text);
}

/* The ladder as text. In the GUI (html), a <pre> block: Wireshark 4.0's
 * text window wraps plain text at its width, which breaks every line of a
 * ladder; Qt draws <pre> unwrapped, with a horizontal scroll bar instead.
 * The step the buttons went to is marked with '>' and a background. With
 * a stream (tshark), each connection's text goes there as it is made
 * rather than the whole ladder kept (a SYN flood's is about 300 bytes a
 * connection). */
static GString *
ladder_text(const ladder *l, guint max_conns, gboolean html, FILE *stream)
{
    GString *out = g_string_new(NULL);
    GString *line = g_string_new(NULL);
    guint i, j;

    if (html) {
        g_string_append(out, "<pre>");
        g_string_append_printf(line, "Display filter: %s\n",
                               l->filter ? l->filter : "none (every connection)");
        g_string_append(line, "Buttons: Previous/Next step select that step's packet in the "
                        "packet list; Go to packet... selects any frame.\n\n");
        append_escaped(out, line->str);
    }
    for (i = 0; i < l->conns->len; i++) {
        if (i == max_conns) {
            g_string_printf(line, "... and %u more connections: filter on the ones you "
                            "want (e.g. tcp.stream == N), or use "
                            "tshark -z tcpstate,ladder\n", l->conns->len - i);
            append_text(out, line->str, html);
            break;
        }
        const ladder_conn *c = (const ladder_conn *)g_ptr_array_index(l->conns, i);

        g_string_printf(line, "Connection %u: client %s, server %s\n", i + 1, c->client,
                        c->server);
        g_string_append_printf(line, "%6s  %-*s  %-*s  %s\n", "frame", STATE_WIDTH, "client",
                               ARROW_WIDTH, "", "server");
        append_text(out, line->str, html);
        for (j = 0; j < c->steps->len; j++) {
            const ladder_step *step = &g_array_index(c->steps, ladder_step, j);
            gboolean mark = html && l->selected && step->frame == l->selected;

            g_string_truncate(line, 0);
            append_step(line, step);
            if (mark) {
                /* The marker replaces the frame number's leading space. */
                if (line->str[0] == ' ')
                    line->str[0] = '>';
                g_string_append(out, "<b style=\"background-color:#ffe680\">");
            }
            append_text(out, line->str, html);
            if (mark)
                g_string_append(out, "</b>");
        }
        g_string_truncate(line, 0);
        append_end(line, c);
        append_text(out, line->str, html);
        g_string_append_c(out, '\n');
        if (stream) {
            fputs(out->str, stream);
            g_string_truncate(out, 0);
        }
    }
    if (!l->conns->len)
        append_text(out, "No TCP connection annotated by tcpstate.\n", html);
    if (html)
        g_string_append(out, "</pre>");
    g_string_free(line, TRUE);
    return out;
}

static void
ladder_draw(void *tapdata)
{
    ladder *l = (ladder *)tapdata;
    const funnel_ops_t *ops;
    GString *text;

    /* The TCP listener has nothing to draw; ours draws once. */
    if (!l)
        return;
    if (l->tw && (ops = funnel_get_funnel_ops()) != NULL) {
        text = ladder_text(l, GUI_MAX_CONNS, TRUE, NULL);
        ops->set_text(l->tw, text->str);
    } else {
        /* tshark prints a tap's output on stdout (as ui/cli's taps do). */
        fputs("\n======================================== tcpstate ladder\n", stdout);
        text = ladder_text(l, l->tw ? GUI_MAX_CONNS : G_MAXUINT, l->tw != NULL,
                           l->tw ? NULL : stdout);
        fputs(text->str, stdout);
        fputs("========================================\n", stdout);
    }
    g_string_free(text, TRUE);
}

static ladder *
ladder_new(void)
{
    ladder *l = g_new0(ladder, 1);

    l->conns = g_ptr_array_new_with_free_func(free_conn);
    l->by_conn = g_hash_table_new(g_direct_hash, g_direct_equal);
    return l;
}

static void
ladder_free(ladder *l)
{
    g_ptr_array_free(l->conns, TRUE);
    g_hash_table_destroy(l->by_conn);
    g_free(l->filter);
    g_free(l);
}

/* Both listeners on one ladder, with the same filter (tcps_view_start_fn).
 * NULL and the error in *err if the filter does not compile. */
static void *
ladder_start(const char *filter, char **err)
{
    ladder *l = ladder_new();
    GString *error;

    error = register_tap_listener("tcp", &l->pending, filter, 0, NULL, tcp_packet, NULL, NULL);
    if (!error)
        error = register_tap_listener("tcpstate", l, filter, 0, ladder_reset, tcpstate_packet,
                                      ladder_draw, NULL);
    if (error) {
        *err = g_string_free(error, FALSE);
        remove_tap_listener(&l->pending);
        ladder_free(l);
        return NULL;
    }
    l->filter = g_strdup(filter);
    return l;
}

/* 4.6 wants to know whether the -z argument was taken (ws_compat.h). */
static TCPS_STAT_INIT_RET
ladder_cli_init(const char *opt_arg, void *userdata _U_)
{
    TCPS_STAT_INIT_RETURN(tcps_view_cli_start(opt_arg, "tcpstate,ladder", FALSE, ladder_start));
}

/* GUI: Tools → TCP Connection State → Ladder. The ladder of the packets the
 * display filter shows: filter on one connection (Conversation Filter → TCP)
 * for that connection's ladder. Each call opens a window of its own. */
static void
ladder_window_closed(void *data)
{
    ladder *l = (ladder *)data;

    remove_tap_listener(&l->pending);
    remove_tap_listener(l);
    ladder_free(l);
}

/* The frame of the step before (dir -1) or after (+1) the selected one,
 * in the ladder's order (connection by connection); the first step when
 * none is selected; 0 when there is none. */
static guint32
neighbour_step(const ladder *l, int dir)
{
    guint32 prev = 0;
    gboolean found = FALSE;
    guint i, j;

    for (i = 0; i < l->conns->len && i < GUI_MAX_CONNS; i++) {
        const ladder_conn *c = (const ladder_conn *)g_ptr_array_index(l->conns, i);

        for (j = 0; j < c->steps->len; j++) {
            guint32 f = g_array_index(c->steps, ladder_step, j).frame;

            if (!l->selected || found)
                return f;
            if (f == l->selected) {
                if (dir < 0)
                    return prev ? prev : f;
                found = TRUE;
            }
            prev = f;
        }
    }
    return found ? l->selected : 0;
}

/* Previous/Next step: mark the step in the ladder and select its packet in
 * the main window (plugin_if_goto_frame, as Go → Go to Packet does). */
static TCPS_FUNNEL_BT_RET
step_button(funnel_text_window_t *tw _U_, void *data, int dir)
{
    ladder *l = (ladder *)data;
    guint32 f = neighbour_step(l, dir);

    if (!f)
        return FALSE;
    l->selected = f;
    ladder_draw(l);
    plugin_if_goto_frame(f);
    return TRUE;
}

static TCPS_FUNNEL_BT_RET
prev_button(funnel_text_window_t *tw, void *data)
{
    return step_button(tw, data, -1);
}

static TCPS_FUNNEL_BT_RET
next_button(funnel_text_window_t *tw, void *data)
{
    return step_button(tw, data, 1);
}

static void
goto_dialog_done(gchar **input, void *data _U_)
{
    guint32 f;

    if (input && input[0] && ws_strtou32(input[0], NULL, &f) && f)
        plugin_if_goto_frame(f);
}

/* Go to packet...: the frame number read off the ladder. */
static TCPS_FUNNEL_BT_RET
goto_button(funnel_text_window_t *tw _U_, void *data _U_)
{
    static const gchar *names[] = { "Frame number", NULL };
    static const gchar *values[] = { "", NULL };
    const funnel_ops_t *ops = funnel_get_funnel_ops();

    if (ops && ops->new_dialog)
        ops->new_dialog(ops->ops_id, "Go to packet", names, values, goto_dialog_done, NULL, NULL);
    return TRUE;
}

/* The window's title is fixed, so that Wireshark keeps the size the user
 * gave it (recent_common: gui.geom.Funnel TCP state ladder.*); the filter
 * is named on the ladder's first line. */
#define LADDER_TITLE "TCP state ladder"

static void
ladder_menu_cb(gpointer data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    void *view;
    funnel_text_window_t *tw = tcps_view_window(LADDER_TITLE, ladder_start, &view);
    ladder *l = (ladder *)view;

    if (!tw)
        return;
    l->tw = tw;
    ops->set_close_cb(tw, ladder_window_closed, l);
    tcps_view_add_button(tw, prev_button, l, "Previous step");
    tcps_view_add_button(tw, next_button, l, "Next step");
    tcps_view_add_button(tw, goto_button, l, "Go to packet...");
    ops->retap_packets(ops->ops_id);
}

void
tcps_ladder_register(void)
{
    static stat_tap_ui ui = {
        REGISTER_STAT_GROUP_GENERIC,
        NULL,
        "tcpstate,ladder",
        ladder_cli_init,
        0,
        NULL
    };

    register_stat_tap_ui(&ui, NULL);
    funnel_register_menu("TCP Connection State/Ladder of the displayed packets",
                         REGISTER_TOOLS_GROUP_UNSORTED, ladder_menu_cb, NULL, NULL, TRUE);
}
