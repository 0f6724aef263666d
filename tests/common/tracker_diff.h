/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tracker_diff.h — what views read of a frame's record and of a connection,
 * compared between two trackers fed the same segments: one keeping SYN-only
 * connections compact (tcpstate_tracker.c, issue 19), one not. Shared by
 * tests/unit/test_tracker.c and the fuzz harness. Each function returns
 * NULL when the two agree, else the name of the first field that differs. */
#ifndef TCPSTATE_TRACKER_DIFF_H
#define TCPSTATE_TRACKER_DIFF_H

#include <string.h>

#include "tcpstate_tracker.h"

static inline const char *
tcps_diff_frame(const tcps_frame *a, const tcps_frame *b)
{
    if (!a || !b)
        return a == b ? NULL : "present";
    if (memcmp(&a->core, &b->core, sizeof a->core) != 0)
        return "core";
    if (a->conn != b->conn)
        return "conn";
    if (a->since[0] != b->since[0] || a->since[1] != b->since[1])
        return "since";
    if (a->analysis != b->analysis)
        return "analysis";
    if (a->zeek_state != b->zeek_state || a->hist_len != b->hist_len)
        return "zeek";
    if (a->live != b->live || a->present != b->present || a->revised != b->revised)
        return "live/present/revised";
    return NULL;
}

static inline const char *
tcps_diff_log(const tcps_since_log *a, const tcps_since_log *b)
{
    guint32 i;

    if (a->n != b->n || a->full != b->full)
        return "log length";
    for (i = 0; i < a->n; i++)
        if (a->v[i].frame != b->v[i].frame || a->v[i].state != b->v[i].state ||
            a->v[i].time_ns != b->v[i].time_ns)
            return "log entry";
    return NULL;
}

static inline const char *
tcps_diff_conn(const tcps_conn_info *a, const tcps_conn_info *b)
{
    const char *d;
    int e;

    if (!a || !b)
        return a == b ? NULL : "exists";
    if (a->table_index != b->table_index)
        return "table_index";
    if (a->start_ns != b->start_ns || a->last_ns != b->last_ns)
        return "start/last";
    for (e = 0; e < 2; e++) {
        if ((d = tcps_diff_log(&a->since[e], &b->since[e])) != NULL)
            return e ? "server since" : "client since";
        if (a->final_state[e] != b->final_state[e])
            return "final_state";
        if (a->linger_fired[e] != b->linger_fired[e])
            return "linger_fired";
    }
    if ((d = tcps_diff_log(&a->times, &b->times)) != NULL)
        return "times";
    if (a->segments != b->segments || a->closer != b->closer ||
        a->closer_frame != b->closer_frame)
        return "segments/closer";
    if (a->end_flags != b->end_flags || a->synack_timeouts != b->synack_timeouts)
        return "end_flags";
    if (a->reset != b->reset || a->refused != b->refused || a->hs_done != b->hs_done ||
        a->had_synack != b->had_synack)
        return "flags";
    if (a->half_open_at_syn != b->half_open_at_syn)
        return "half_open_at_syn";
    if (a->last_syn_ns != b->last_syn_ns || a->syn_for_synack_ns != b->syn_for_synack_ns ||
        a->synack_ns != b->synack_ns || a->hs_server_ns != b->hs_server_ns ||
        a->hs_client_ns != b->hs_client_ns)
        return "handshake times";
    if (memcmp(&a->zeek, &b->zeek, sizeof a->zeek) != 0)
        return "zeek";
    if ((a->previous ? (gint64)a->previous->table_index : -1) !=
        (b->previous ? (gint64)b->previous->table_index : -1))
        return "previous";
    if (a->rev_lo != b->rev_lo || a->rev_hi != b->rev_hi)
        return "rev_lo/hi";
    if (tcps_conninfo_half_open(a) != tcps_conninfo_half_open(b) ||
        (tcps_conninfo_half_open(a) &&
         (a->pending_seq != b->pending_seq || a->server->half_open != b->server->half_open)))
        return "half-open";
    if (tcps_conninfo_gave_up_ns(a) != tcps_conninfo_gave_up_ns(b))
        return "gave_up";
    return NULL;
}

/* Every record of frames 1 to last, every connection as a view sees it
 * (compact: tcps_tracker_conn_view, which keeps nothing), the lost links,
 * the capture's end. */
static inline const char *
tcps_diff_trackers(tcps_tracker *compact, tcps_tracker *full, guint32 last, guint32 *where)
{
    guint32 f, i;
    const char *d;

    for (f = 1; f <= last; f++) {
        *where = f;
        if ((d = tcps_diff_frame(tcps_tracker_get(compact, f), tcps_tracker_get(full, f))))
            return d;
        if (tcps_tracker_lost_shown_by(compact, f) != tcps_tracker_lost_shown_by(full, f) ||
            tcps_tracker_reveals_lost(compact, f) != tcps_tracker_reveals_lost(full, f))
            return "lost links";
    }
    *where = 0;
    if (tcps_tracker_conn_count(compact) != tcps_tracker_conn_count(full))
        return "connection count";
    if (tcps_tracker_capture_end_ns(compact) != tcps_tracker_capture_end_ns(full))
        return "capture end";
    for (i = 0; i < tcps_tracker_conn_count(full); i++) {
        *where = i;
        if (tcps_tracker_half_open_at_syn(compact, i) != tcps_tracker_half_open_at_syn(full, i))
            return "half_open_at_syn (accessor)";
        if ((d = tcps_diff_conn(tcps_tracker_conn_view(compact, i),
                                tcps_tracker_conn_at(full, i))))
            return d;
    }
    return NULL;
}

#endif /* TCPSTATE_TRACKER_DIFF_H */
