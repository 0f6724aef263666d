/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_tracker.h — the connection tracker of one capture file.
 *
 * Everything kept per capture between frames lives in one tcps_tracker
 * object that the epan layer owns (one per file): which connection a
 * segment belongs to (tcp.stream, the 4-tuple, the server endpoint of a
 * SYN), the engine's per-stream state, the per-frame store
 * (tcpstate_store.h), the connections' analysis (tcpstate_conninfo.h), the
 * links between a lost frame and the frame showing it, hindsight
 * (revisions, and at the end of the first pass finalize; unfinalize when a
 * live capture goes on), forgetting a frame whose number a read filter
 * hands out again, and the time base.
 *
 * Input is a plain segment description, filled in by the epan layer from
 * the dissection tree; output is the frame's record. Pure C11 with GLib: no
 * Wireshark header, no file-scope state, unit-tested without epan
 * (tests/unit/test_tracker.c).
 *
 * Frame numbers and ids. The caller names frames by their number. In a
 * first pass under a read filter tshark gives a dropped frame's number to
 * the next frame; the tracker then gives each analysed frame an id of its
 * own (its number plus the count of numbers handed out again up to it), by
 * which the engine and hindsight name frames, so a revision never lands on
 * the frame that took a dropped frame's number.
 */
#ifndef TCPSTATE_TRACKER_H
#define TCPSTATE_TRACKER_H

#include <glib.h>

#include "tcpstate_conninfo.h"
#include "tcpstate_record.h"
#include "tcpstate_store.h"

typedef struct tcps_tracker tcps_tracker;

/* An address as the capture gives it: the caller's type code (e.g. IPv4,
 * IPv6), its length and bytes (borrowed for the call). Only identity
 * matters: two addresses are the same when type, length and bytes are. */
typedef struct {
    int           type;
    guint         len;
    const guint8 *data;
} tcps_addr;

/* One TCP segment, as the epan layer read it. */
typedef struct {
    tcps_addr src, dst;         /* of the IP layer directly carrying it */
    guint32   stream;           /* tcp.stream */
    guint32   frame;            /* frame number */
    gint64    secs;             /* capture time (secs since 1970, nsecs, */
    gint32    nsecs;            /*   as in nstime_t): the tracker applies its time base */
    guint32   seq, ack, len;
    guint16   sport, dport;
    guint16   flags;            /* 12 bits, as on the wire */
    guint16   window;
    gboolean  ip_bad_checksum;  /* validation on and it failed: Zeek never */
    gboolean  tcp_bad_checksum; /*   sees a bad IP checksum's segment */
    gboolean  truncated;        /* payload cut by the snap length */
} tcps_track_segment;

/* A tracker for a new capture file, with the analysis tunables. */
tcps_tracker *tcps_tracker_new(const tcps_analysis_prefs *prefs);
/* Free it and everything it holds (NULL is fine). */
void tcps_tracker_free(tcps_tracker *tr);
/* The tunables changed (the preferences): later frames use these. */
void tcps_tracker_set_prefs(tcps_tracker *tr, const tcps_analysis_prefs *prefs);

/* A capture time in nanoseconds from the whole second of the first time
 * asked for (tcpstate_time.h): every pass gives a frame the same time. */
gint64 tcps_tracker_time_ns(tcps_tracker *tr, gint64 secs, gint32 nsecs);

/* First pass, every frame (TCP or not), before tcps_tracker_segment: TRUE
 * when it is the frame begun last, again (same number, same file offset):
 * its record stands. Otherwise the number is handed out anew: whatever a
 * frame of that number left (its record, its lost links) is forgotten, and
 * the first pass is open again (a live capture goes on). */
gboolean tcps_tracker_begin_frame(tcps_tracker *tr, guint32 num, gint64 file_off);

/* First pass: analyse one segment (frame seg->frame, begun above) and
 * store its record, applying the revisions it reveals to earlier records.
 * NULL only when the record cannot be stored (frame 0). */
tcps_frame *tcps_tracker_segment(tcps_tracker *tr, const tcps_track_segment *seg);

/* The first pass is over (the first frame dissected again ends it):
 * hindsight that needs the whole capture (docs/semantics.md). Does nothing
 * when already done; the next tcps_tracker_begin_frame of a new frame opens
 * the pass again, and a live capture's answer puts back what it revised. */
void tcps_tracker_finish_first_pass(tcps_tracker *tr);
gboolean tcps_tracker_first_pass_done(const tcps_tracker *tr);

/* The frame's record, or NULL. */
tcps_frame *tcps_tracker_get(tcps_tracker *tr, guint32 num);
/* The store of records, for sweeps over every frame. */
tcps_store *tcps_tracker_store(tcps_tracker *tr);

/* Connections, by index (tcps_frame.conn, tcps_conn_info.table_index).
 *
 * A connection that never got past its first segment, a bare SYN (a SYN
 * flood's), is kept compact (issue 19: what it takes to analyse that SYN
 * again, not the engine's stream and the connection analysis) until its
 * stream or 4-tuple needs it in full. tcps_tracker_conn_view gives its
 * values without keeping anything: valid until the next call of
 * tcps_tracker_conn_view or anything that analyses a segment or finishes
 * the first pass. Every reader outside the tracker (a frame's dissection,
 * the statistics, census, ladder, connection list, menu) reads through it,
 * keys what it keeps by the index and copies out what it needs before the
 * next call, so that a SYN flood stays compact whatever is asked of it. */
guint32 tcps_tracker_conn_count(const tcps_tracker *tr);
const tcps_conn_info *tcps_tracker_conn_view(tcps_tracker *tr, guint32 idx);
/* conn_at(idx)->half_open_at_syn, expanding nothing. */
guint32 tcps_tracker_half_open_at_syn(const tcps_tracker *tr, guint32 idx);

/* The lost links: the frame showing that frame num was lost, and the lost
 * frame that frame num reveals; 0 none. */
guint32 tcps_tracker_lost_shown_by(const tcps_tracker *tr, guint32 num);
guint32 tcps_tracker_reveals_lost(const tcps_tracker *tr, guint32 num);

/* The time of the latest frame analysed so far (the end of the capture,
 * once the first pass is over); TCPS_TIME_NONE before any. */
gint64 tcps_tracker_capture_end_ns(const tcps_tracker *tr);

#ifdef TCPSTATE_TEST_HOOKS
/* Connection idx (or fr's) expanded for good if compact: the pointer stays
 * valid as long as the tracker (tests compare it with a view). */
tcps_conn_info *tcps_tracker_conn_at(tcps_tracker *tr, guint32 idx);
tcps_conn_info *tcps_tracker_conn_of(tcps_tracker *tr, const tcps_frame *fr);
/* The id frame num's current holder has (see above). */
guint32 tcps_tracker_frame_id(const tcps_tracker *tr, guint32 num);
/* Keep SYN-only connections compact (the default) or not: a differential
 * test compares the two. */
void tcps_tracker_set_compaction(tcps_tracker *tr, gboolean on);
/* How many connections are compact now. */
guint32 tcps_tracker_compact_count(const tcps_tracker *tr);
/* How many compact slots were ever made (expanded ones are taken again). */
guint32 tcps_tracker_compact_slots(const tcps_tracker *tr);
#endif

#endif /* TCPSTATE_TRACKER_H */
