/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_conninfo.h — connection-level analysis.
 *
 * The engine answers "which state is each end in after this segment". This
 * layer keeps what users ask of a whole connection: when each end entered
 * its state, who closed first, how long the handshake took, whether the
 * 4-tuple was reused while TIME_WAIT held, half-open handshakes piling up
 * on one server endpoint, ends lingering in CLOSE_WAIT or FIN_WAIT_2, and
 * the connection's final values once the whole capture has been read.
 *
 * Pure C11 with GLib, no Wireshark header: the tracker (tcpstate_tracker.h)
 * finds a segment's connection and calls this with the frame's number and
 * time; unit-tested in tests/unit/test_tracker.c.
 */
#ifndef TCPSTATE_CONNINFO_H
#define TCPSTATE_CONNINFO_H

#include <glib.h>

#include "tcpstate_engine.h"
#include "tcpstate_record.h"
#include "tcpstate_time.h"
#include "tcpstate_zeek.h"

/* When an endpoint entered a state. */
typedef struct {
    guint32 frame;
    guint8  state;
    gint64  time_ns;
} tcps_since;

/* The states an endpoint went through, in order. Entries are never removed
 * or changed, so a frame can keep a 16-bit index into it; past
 * TCPS_SINCE_LOG_MAX entries (pathological flapping) frames get
 * TCPS_SINCE_NONE and show no "since" rather than a wrong one. */
typedef struct {
    tcps_since *v;
    guint32     n;
    guint16     cap;
    guint16     full;      /* a change was not logged: no later "since" */
} tcps_since_log;

/* One incarnation of a 4-tuple: a connection from its SYN (or first segment)
 * to the next SYN that reuses the 4-tuple. */
typedef struct tcps_conn_info {
    gint64          start_ns;          /* first segment */
    gint64          last_ns;           /* latest segment so far */
    tcps_since_log  since[2];          /* client, server */
    guint32         segments;
    guint32         closer_frame;      /* first FIN or RST, 0 none */
    guint8          closer;            /* 0 none, 1 client, 2 server */
    guint8          final_state[2];    /* at the end of the capture: after the
                                          latest segment, unless it ended later
                                          (end_flags) */
    guint8          end_flags;         /* TCPS_END_* */
    guint8          synack_timeouts;   /* SYN/ACKs sent again on a timer (not
                                          answering a SYN sent again) */
    /* Flags as bytes, in the room the bytes above leave before the next
     * 8-byte field: a connection is kept per SYN of a flood. */
    guint8          reset;             /* ended by an accepted RST */
    guint8          refused;
    guint8          hs_done;           /* the handshake completed */
    guint8          had_synack;
    guint32         half_open_at_syn;  /* the SYN-flood count at its first SYN */
    gint64          last_syn_ns;       /* latest bare SYN from the client */
    gint64          syn_for_synack_ns; /* the SYN the latest SYN/ACK answered */
    gint64          synack_ns;         /* latest SYN/ACK (TCPS_END_SYNACK_SEEN) */
    gint64          hs_server_ns;      /* handshake halves, once complete */
    gint64          hs_client_ns;
    guint32         linger_fired[2];   /* since-log length when a linger fired */
    tcps_zeek       zeek;
    struct tcps_conn_info *previous;   /* the 4-tuple's previous incarnation */
    void           *owner;             /* the tracker's stream object */
    struct tcps_server  *server;       /* its first SYN's server endpoint: half-open
                                          while its entry there (pending_seq) is
                                          still its own (pending_entry() in
                                          tcpstate_conninfo.c) */
    guint32         pending_seq;       /* its entry there (tcps_server) */
    guint32         table_index;       /* in the file's table of connections */
    guint32         rev_lo, rev_hi;    /* frames hindsight rewrote: [lo, hi],
                                          0 none (the since log is live) */
    tcps_since_log  times;             /* the time of each frame that revised
                                          earlier ones or may open the next
                                          incarnation (state unused): where
                                          hindsight may put a "since" the live
                                          logs do not have; empty for most */
} tcps_conn_info;

/* How a connection ended after its latest segment, and what tells it. */
#define TCPS_END_SYNACK_SEEN   0x01  /* synack_ns holds the server's latest SYN/ACK */
#define TCPS_END_SYN_AGAIN     0x02  /* the client sent a SYN since that SYN/ACK */
#define TCPS_END_GAVE_UP       0x04  /* hindsight: the server gave up its handshake
                                        (tcps_conninfo_synack_gave_up) */
#define TCPS_END_TW_ENDED      0x08  /* the next incarnation's SYN ended its
                                        TIME_WAIT: that end is CLOSED, its since
                                        log's last entry says from which frame */

/* Analysis flags kept per frame, beyond the engine's events. */
#define TCPS_AN_CLOSER_KNOWN      0x0001  /* the closer is known at this frame */
#define TCPS_AN_HS_KNOWN          0x0002  /* the handshake RTT is known */
#define TCPS_AN_SYN_FLOOD         0x0004  /* > N half-open to this server in T s */
#define TCPS_AN_REUSE_IN_TW       0x0008  /* 4-tuple reused while TIME_WAIT held */
#define TCPS_AN_REUSE_AFTER_TW    0x0010  /* reused after TIME_WAIT had ended */
#define TCPS_AN_CLOSE_WAIT_LONG   0x0020  /* an end has been in CLOSE_WAIT >= threshold */
#define TCPS_AN_FIN_WAIT_2_LONG   0x0040  /* an end has been in FIN_WAIT_2 >= threshold */
#define TCPS_AN_HALF_OPEN_COUNTED 0x0100  /* the first SYN: half_open_at_syn applies */
/* (tcps_frame.analysis has 12 bits) */

#define TCPS_SINCE_LOG_MAX 0xfff0u       /* entries per since log */

/* Tunables from the preferences. */
typedef struct {
    guint msl_seconds;
    guint flood_count;           /* N */
    guint flood_seconds;         /* T */
    guint close_wait_seconds;
    guint fin_wait_2_seconds;
} tcps_analysis_prefs;

/* How long an end may stay in state s before it is lingering (the
 * lingering thresholds, in ns): CLOSE_WAIT's or FIN_WAIT_2's preference;
 * 0 for every other state, which never lingers. */
static inline gint64 tcps_linger_limit_ns(const tcps_analysis_prefs *p, guint s)
{
    guint secs = s == TCPS_CLOSE_WAIT ? p->close_wait_seconds
               : s == TCPS_FIN_WAIT_2 ? p->fin_wait_2_seconds : 0;

    return (gint64)secs * 1000000000;
}

/* A time no frame has: "not seen". */
#define TCPS_TIME_NONE G_MININT64

/* One server endpoint's handshakes within the SYN-flood window, in SYN
 * order (a ring), and how many of them are half-open now. An entry names
 * its connection by table_index + 1 (not a pointer: the tracker may keep a
 * SYN-only connection in a compact form and expand it later), 0 once that
 * handshake is no longer half-open (completed or reset). Each SYN costs
 * O(1) amortised, so a flood of millions of SYNs stays linear. The tracker
 * keeps one per server endpoint. */
typedef struct {
    guint32 conn;
    gint64  syn_ns;
} tcps_pending;

typedef struct tcps_server {
    tcps_pending *ring;
    guint32       cap, head, count;   /* cap: a power of two, or 0 */
    guint32       base;               /* pending_seq of ring[head] */
    guint         half_open;
} tcps_server;

/* The tracker keeps one per server endpoint, zeroed when new (no handshake
 * yet); g_free its ring. */

/* A new connection, number `table_index` in its file, whose first segment came
 * at start_ns; tcps_conninfo_clear frees what it holds (not conn). */
void tcps_conninfo_init(tcps_conn_info *conn, guint32 table_index, gint64 start_ns);
void tcps_conninfo_clear(tcps_conn_info *conn);

/* Whether a connection is still live: either end is in a state other than
 * CLOSED, LISTEN and TIME_WAIT. */
gboolean tcps_conninfo_live(const tcps_conn_info *conn);

/* Account for one analysed segment, frame `frame` at now: fills in fr
 * (whose core is already packed) and updates conn. zseg is NULL for a
 * segment Zeek never sees (a bad IP checksum under ip.check_checksum).
 * TRUE: it is a new incarnation's first SYN, and the caller goes on with
 * tcps_conninfo_first_syn and the server endpoint it is sent to. */
gboolean tcps_conninfo_segment(tcps_conn_info *conn, tcps_frame *fr, guint32 frame, gint64 now,
                               const tcps_zeek_segment *zseg, const tcps_result *res,
                               const tcps_analysis_prefs *settings);

/* A new incarnation's first SYN: the reuse checks against conn->previous
 * and the SYN-flood count at srv, the SYN's server endpoint. */
void tcps_conninfo_first_syn(tcps_conn_info *conn, tcps_frame *fr, guint32 frame, gint64 now,
                             tcps_server *srv, const tcps_analysis_prefs *settings);

/* The same for a SYN analysed before, replayed (the tracker expanding a
 * compact SYN-only connection): the SYN-flood count is not taken again; its
 * entry at srv (pending_seq) and the count it gave come back as they were. */
void tcps_conninfo_first_syn_again(tcps_conn_info *conn, tcps_frame *fr, tcps_server *srv,
                                   guint32 pending_seq, guint32 half_open_at_syn,
                                   const tcps_analysis_prefs *settings);

#ifdef TCPSTATE_TEST_HOOKS
/* Whether the connection is a half-open handshake its server endpoint still
 * counts (within the SYN-flood window, not completed, not reset). */
gboolean tcps_conninfo_half_open(const tcps_conn_info *conn);
#endif

/* Hindsight once the whole capture is known, for a server the engine finds
 * in a passive open's SYN_RCVD at the end (tcps_conn_passive_half_open):
 * if the SYN/ACK the server's timer had due next (tcps_synack_timer_ns)
 * never came, and the capture went on a quarter of that interval beyond
 * it with no segment of the connection, the server gave up then: its final
 * state is LISTEN (TCPS_END_GAVE_UP). Returns whether it did. */
gboolean tcps_conninfo_synack_gave_up(tcps_conn_info *conn, gint64 capture_end_ns);

/* When the server gave up its handshake (TCPS_END_GAVE_UP), else
 * TCPS_TIME_NONE. */
gint64 tcps_conninfo_gave_up_ns(const tcps_conn_info *conn);

/* The entry a frame's since index points to for endpoint e; NULL when
 * there is none (the log was full). */
const tcps_since *tcps_conninfo_since(const tcps_conn_info *conn, const tcps_frame *fr, int e);
/* Keep frame's time (in conn->times); the time kept for frame, or
 * TCPS_TIME_NONE. */
void tcps_conninfo_note_time(tcps_conn_info *conn, guint32 frame, gint64 t_ns);
gint64 tcps_conninfo_time_of(const tcps_conn_info *conn, guint32 frame);

/* How long that entry's state lasted: until the next entry, or until
 * capture_end_ns, the end of the capture read so far. */
gint64 tcps_conninfo_state_duration_ns(const tcps_conn_info *conn, int e, guint32 idx,
                                       gint64 capture_end_ns);

#endif /* TCPSTATE_CONNINFO_H */
