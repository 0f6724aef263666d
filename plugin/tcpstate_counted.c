/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_counted.c — how each connection was counted (tcpstate_counted.h). */
#include "tcpstate_counted.h"

/* One guint32 per connection index: what it was counted under, packed
 * (code << 16 | client << 8 | server, with bit 24 set), 0 not counted. A
 * hash keyed by connection would cost 20 to 40 bytes a connection and, keyed
 * by pointer, the connection's expansion (about 900 bytes on a SYN flood). */
struct tcps_counted {
    GArray *packed;
};

#define COUNTED_BIT 0x1000000u

tcps_counted *
tcps_counted_new(void)
{
    tcps_counted *c = g_new(tcps_counted, 1);

    c->packed = g_array_new(FALSE, TRUE, sizeof(guint32));
    return c;
}

void
tcps_counted_free(tcps_counted *c)
{
    if (!c)
        return;
    g_array_free(c->packed, TRUE);
    g_free(c);
}

void
tcps_counted_clear(tcps_counted *c)
{
    g_array_set_size(c->packed, 0);
}

static guint32
pack(const tcps_conn_counted *v)
{
    return COUNTED_BIT | ((v->code & 0xffu) << 16) | ((guint32)v->client << 8) | v->server;
}

static tcps_conn_counted
unpack(guint32 w)
{
    tcps_conn_counted v = { (w >> 16) & 0xff, (guint8)((w >> 8) & 0xff), (guint8)(w & 0xff) };

    return v;
}

static guint32
packed_at(const tcps_counted *c, guint32 idx)
{
    return idx < c->packed->len ? g_array_index(c->packed, guint32, idx) : 0;
}

/* Connection idx is counted under now (values copied out of a view, which
 * the next view call overwrites). */
static gboolean
count_one(tcps_counted *c, guint32 idx, const tcps_conn_counted *now, tcps_conn_move_fn move,
          void *ctx)
{
    guint32 was = packed_at(c, idx), is = pack(now);
    tcps_conn_counted before;

    if (was == is)
        return FALSE;
    if (was)
        before = unpack(was);
    move(ctx, was ? &before : NULL, now);
    if (idx >= c->packed->len)
        g_array_set_size(c->packed, idx + 1);   /* zero-filled: not counted */
    g_array_index(c->packed, guint32, idx) = is;
    return TRUE;
}

static tcps_conn_counted
values_of(const tcps_conn_info *ci)
{
    tcps_conn_counted v = { (guint)tcps_zeek_conn_state(&ci->zeek), ci->final_state[0],
                            ci->final_state[1] };

    return v;
}

gboolean
tcps_counted_conn(tcps_counted *c, tcps_tracker *tr, guint32 idx, tcps_conn_move_fn move,
                  void *ctx)
{
    const tcps_conn_info *ci = tcps_tracker_conn_view(tr, idx);
    tcps_conn_counted now;
    guint32 previous;
    gboolean changed;

    if (!ci)
        return FALSE;
    /* Copied out before the previous incarnation is viewed: the view has
     * one slot. */
    now = values_of(ci);
    previous = ci->previous ? ci->previous->table_index + 1 : 0;
    changed = count_one(c, idx, &now, move, ctx);
    if (previous && packed_at(c, previous - 1)) {
        ci = tcps_tracker_conn_view(tr, previous - 1);
        now = values_of(ci);
        changed |= count_one(c, previous - 1, &now, move, ctx);
    }
    return changed;
}
