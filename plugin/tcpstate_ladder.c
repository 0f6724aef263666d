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
#include <epan/address.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-tcp.h>
#include <wsutil/report_message.h>

#include "ws_compat.h"
#include "tcpstate_ladder.h"
#include "tcpstate_conninfo.h"

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
    GHashTable *by_conn;       /* tcps_conn_info * -> ladder_conn * */
    ladder_pending pending;    /* not the first member: its address, the TCP
                                  listener's key, differs from the ladder's */
    funnel_text_window_t *tw;  /* GUI: where the ladder goes; NULL: stdout */
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

static char *
endpoint_str(const address *addr, guint32 port)
{
    char *a = address_to_str(NULL, addr);
    char *s = g_strdup_printf(addr->type == AT_IPv6 ? "[%s]:%u" : "%s:%u", a, port);

    wmem_free(NULL, a);
    return s;
}

static tap_packet_status
tcpstate_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                tap_flags_t flags _U_)
{
    ladder *l = (ladder *)tapdata;
    const tcps_frame *fr = (const tcps_frame *)data;
    tcps_conn_info *conn = tcps_conninfo_get(fr);
    ladder_conn *c;
    ladder_step step;

    if (!conn || !l->pending.set || l->pending.frame != pinfo->num)
        return TAP_PACKET_DONT_REDRAW;
    memset(&step, 0, sizeof step);
    tcps_record_unpack(&fr->core, &step.r);
    step.lost = tcps_record_lost(&fr->core);
    step.live[0] = fr->live >> 4;
    step.live[1] = fr->live & 0x0f;
    step.revised = fr->revised || step.live[0] != step.r.state[0] ||
                   step.live[1] != step.r.state[1];
    step.frame = pinfo->num;
    step.flags = l->pending.flags;
    step.seq = l->pending.seq;
    step.ack = l->pending.ack;
    step.len = l->pending.len;
    l->pending.set = FALSE;

    c = (ladder_conn *)g_hash_table_lookup(l->by_conn, conn);
    if (!c) {
        c = g_new0(ladder_conn, 1);
        c->steps = g_array_new(FALSE, FALSE, sizeof(ladder_step));
        if (step.r.from_client) {
            c->client = endpoint_str(&pinfo->src, pinfo->srcport);
            c->server = endpoint_str(&pinfo->dst, pinfo->destport);
        } else {
            c->client = endpoint_str(&pinfo->dst, pinfo->destport);
            c->server = endpoint_str(&pinfo->src, pinfo->srcport);
        }
        g_hash_table_insert(l->by_conn, conn, c);
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
        { TH_SYN, "SYN" }, { TH_FIN, "FIN" }, { TH_RST, "RST" }, { TH_PUSH, "PSH" },
        { TH_ACK, "ACK" }, { TH_URG, "URG" }, { TH_ECE, "ECE" }, { TH_CWR, "CWR" },
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
    if (s->flags & TH_ACK)
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

static GString *
ladder_text(const ladder *l, guint max_conns)
{
    GString *out = g_string_new(NULL);
    guint i, j;

    for (i = 0; i < l->conns->len; i++) {
        if (i == max_conns) {
            g_string_append_printf(out, "... and %u more connections: filter on the ones you "
                                   "want (e.g. tcp.stream == N), or use "
                                   "tshark -z tcpstate,ladder\n", l->conns->len - i);
            break;
        }
        const ladder_conn *c = (const ladder_conn *)g_ptr_array_index(l->conns, i);

        g_string_append_printf(out, "Connection %u: client %s, server %s\n", i + 1, c->client,
                               c->server);
        g_string_append_printf(out, "%6s  %-*s  %-*s  %s\n", "frame", STATE_WIDTH, "client",
                               ARROW_WIDTH, "", "server");
        for (j = 0; j < c->steps->len; j++)
            append_step(out, &g_array_index(c->steps, ladder_step, j));
        g_string_append_c(out, '\n');
    }
    if (!l->conns->len)
        g_string_append(out, "No TCP connection annotated by tcpstate.\n");
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
    text = ladder_text(l, l->tw ? GUI_MAX_CONNS : G_MAXUINT);
    if (l->tw && (ops = funnel_get_funnel_ops()) != NULL) {
        ops->set_text(l->tw, text->str);
    } else {
        /* tshark prints a tap's output on stdout (as ui/cli's taps do). */
        fputs("\n======================================== tcpstate ladder\n", stdout);
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
    g_free(l);
}

/* Both listeners on one ladder, with the same filter. NULL and the error
 * in *err if the filter does not compile. */
static ladder *
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
    return l;
}

/* 4.6 wants to know whether the -z argument was taken (ws_compat.h). */
static TCPS_STAT_INIT_RET
ladder_cli_init(const char *opt_arg, void *userdata _U_)
{
    const char *filter = NULL;
    char *err = NULL;

    if (strncmp(opt_arg, "tcpstate,ladder,", 16) == 0)
        filter = opt_arg + 16;
    if (!ladder_start(filter, &err)) {
        report_failure("Couldn't register tcpstate,ladder tap: %s", err);
        g_free(err);
        TCPS_STAT_INIT_RETURN(false);
    }
    TCPS_STAT_INIT_RETURN(true);
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

static void
ladder_menu_cb(gpointer data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    const char *filter;
    char *err = NULL;
    ladder *l;

    if (!ops)
        return;
    filter = ops->get_filter(ops->ops_id);
    if (filter && !*filter)
        filter = NULL;
    l = ladder_start(filter, &err);
    if (!l) {
        funnel_text_window_t *tw = ops->new_text_window(ops->ops_id, "TCP state ladder");
        ops->set_text(tw, err);
        g_free(err);
        return;
    }
    l->tw = ops->new_text_window(ops->ops_id, filter ? filter : "TCP state ladder");
    ops->set_close_cb(l->tw, ladder_window_closed, l);
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
