/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_store.h — the per-frame records of one capture file, in one flat
 * store indexed by frame number.
 *
 * One 20-byte tcps_frame per frame number up to the highest stored, non-TCP
 * frames included, in fixed blocks that never move: a record's address
 * stays valid until tcps_store_clear(), and growing costs no copy and no
 * per-frame allocation. Pure C with GLib's allocator (checkAPIs bars malloc), no Wireshark
 * headers, unit-tested.
 *
 * Frame numbers start at 1. A record knows its connection (tcps_frame.conn),
 * so the frames [L, R) of one connection are found by scanning
 * (tcps_store_next). How the epan layer uses it: packet-tcpstate.c puts a
 * frame's record on its first pass, rewrites earlier records of the
 * connection in place when a later frame revises them (docs/semantics.md,
 * "One pass, two passes, the GUI: live and hindsight"), and builds every
 * later dissection's tree from the record; the census and the connection
 * list sweep the store. Its cost: docs/performance.md, "Storage".
 */
#ifndef TCPSTATE_STORE_H
#define TCPSTATE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpstate_record.h"

typedef struct tcps_store tcps_store;

/* An empty store; NULL when out of memory. */
tcps_store *tcps_store_new(void);


/* Drop every record (a new capture file), keeping nothing allocated. */
void tcps_store_clear(tcps_store *s);

/* The record of frame, or NULL if none was stored (never stored, erased,
 * frame 0, or past the highest stored). Writable: the caller may rewrite it
 * in place, e.g. when a later frame proves it wrong. */
tcps_frame *tcps_store_get(tcps_store *s, uint32_t frame);

/* A zeroed record for frame with present = 1, replacing any record the
 * frame had. NULL for frame 0 or when out of memory. */
tcps_frame *tcps_store_put(tcps_store *s, uint32_t frame);

/* One past the highest frame number the store could hold a record for:
 * every stored frame is below it (a bound for a sweep over all frames). */
uint32_t tcps_store_end(const tcps_store *s);

/* Remove frame's record, if any. */
void tcps_store_erase(tcps_store *s, uint32_t frame);

/* The first frame in [*frame, end) whose record belongs to connection conn:
 * its record, with *frame set to its number; NULL when there is none. For
 * visiting a connection's frames in order:
 *   for (f = L; (r = tcps_store_next(s, conn, &f, R)) != NULL; f++) ... */
tcps_frame *tcps_store_next(tcps_store *s, uint32_t conn, uint32_t *frame, uint32_t end);

#ifdef TCPSTATE_TEST_HOOKS
/* For the unit tests only (the plugin keeps its store for its lifetime):
 * free it and every record (NULL is fine); the bytes it has allocated
 * (records, block table). */
void tcps_store_free(tcps_store *s);
size_t tcps_store_bytes(const tcps_store *s);
#endif

#endif /* TCPSTATE_STORE_H */
