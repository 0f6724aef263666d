/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_slab.h — storage for objects that live as long as a capture's
 * tracker: fixed-size objects in blocks that never move (tcps_slab), and
 * short byte strings back to back (tcps_arena).
 *
 * A flood keeps a million small objects; allocating each alone would cost
 * malloc's header and a pointer to find it. Here an object costs its size,
 * and a 32-bit index or offset finds it. Pure C11 with GLib.
 */
#ifndef TCPSTATE_SLAB_H
#define TCPSTATE_SLAB_H

#include <glib.h>

/* Objects of one size, by index (0, 1, ... in creation order). */
typedef struct {
    GPtrArray *blocks;
    gsize      size;       /* of one object */
    guint32    count;
} tcps_slab;

#define TCPS_SLAB_BLOCK 256u   /* objects per block */

void tcps_slab_init(tcps_slab *s, gsize size);
/* Free every block (the objects' own allocations are the caller's). */
void tcps_slab_clear(tcps_slab *s);
/* A new zeroed object, number s->count - 1 afterwards. */
void *tcps_slab_new0(tcps_slab *s);
/* Take back the object tcps_slab_new0 gave last (zeroed for the next one). */
void tcps_slab_pop(tcps_slab *s);

static inline void *
tcps_slab_at(const tcps_slab *s, guint32 i)
{
    return (char *)g_ptr_array_index(s->blocks, i / TCPS_SLAB_BLOCK) +
           (gsize)(i % TCPS_SLAB_BLOCK) * s->size;
}

/* Typed byte strings (an address: its type code, length and bytes) back to
 * back, each found by its offset. */
typedef struct {
    GPtrArray *blocks;
    guint32    used;       /* bytes used in the last block */
} tcps_arena;

#define TCPS_ARENA_BLOCK 65536u
#define TCPS_ARENA_NONE  G_MAXUINT32

void tcps_arena_init(tcps_arena *a);
void tcps_arena_clear(tcps_arena *a);
/* Keep a copy; its offset, or TCPS_ARENA_NONE when it does not fit (longer
 * than 255 bytes, or the arena's offsets are used up). */
guint32 tcps_arena_put(tcps_arena *a, int type, guint len, const guint8 *data);
/* Overwrite the string at off with one as long (the type may differ);
 * FALSE, leaving it, when the lengths differ. */
gboolean tcps_arena_replace(tcps_arena *a, guint32 off, int type, guint len,
                            const guint8 *data);
/* The string at off; data points into the arena. */
void tcps_arena_get(const tcps_arena *a, guint32 off, int *type, guint *len, const guint8 **data);

#endif /* TCPSTATE_SLAB_H */
