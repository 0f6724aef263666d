/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_slab.c — see tcpstate_slab.h. */
#include <string.h>

#include "tcpstate_slab.h"

void
tcps_slab_init(tcps_slab *s, gsize size)
{
    s->blocks = g_ptr_array_new_with_free_func(g_free);
    s->size = size;
    s->count = 0;
}

void
tcps_slab_clear(tcps_slab *s)
{
    if (s->blocks)
        g_ptr_array_free(s->blocks, TRUE);
    s->blocks = NULL;
    s->count = 0;
}

void *
tcps_slab_new0(tcps_slab *s)
{
    if (s->count == s->blocks->len * TCPS_SLAB_BLOCK)
        g_ptr_array_add(s->blocks, g_malloc0(s->size * TCPS_SLAB_BLOCK));
    return tcps_slab_at(s, s->count++);
}

void
tcps_slab_pop(tcps_slab *s)
{
    s->count--;
    memset(tcps_slab_at(s, s->count), 0, s->size);
}

void
tcps_arena_init(tcps_arena *a)
{
    a->blocks = g_ptr_array_new_with_free_func(g_free);
    a->used = 0;
}

void
tcps_arena_clear(tcps_arena *a)
{
    if (a->blocks)
        g_ptr_array_free(a->blocks, TRUE);
    a->blocks = NULL;
    a->used = 0;
}

/* Laid out as a length byte, the type code, the bytes. */
guint32
tcps_arena_put(tcps_arena *a, int type, guint len, const guint8 *data)
{
    gsize n = 1 + sizeof type + len;
    guint8 *p;

    if (len > G_MAXUINT8)
        return TCPS_ARENA_NONE;
    if (!a->blocks->len || a->used + n > TCPS_ARENA_BLOCK) {
        if (a->blocks->len >= G_MAXUINT32 / TCPS_ARENA_BLOCK)
            return TCPS_ARENA_NONE;
        g_ptr_array_add(a->blocks, g_malloc(TCPS_ARENA_BLOCK));
        a->used = 0;
    }
    p = (guint8 *)g_ptr_array_index(a->blocks, a->blocks->len - 1) + a->used;
    p[0] = (guint8)len;
    memcpy(p + 1, &type, sizeof type);
    if (len)
        memcpy(p + 1 + sizeof type, data, len);
    a->used += (guint32)n;
    return (a->blocks->len - 1) * TCPS_ARENA_BLOCK + a->used - (guint32)n;
}

gboolean
tcps_arena_replace(tcps_arena *a, guint32 off, int type, guint len, const guint8 *data)
{
    guint8 *p = (guint8 *)g_ptr_array_index(a->blocks, off / TCPS_ARENA_BLOCK) +
                off % TCPS_ARENA_BLOCK;

    if (p[0] != len)
        return FALSE;
    memcpy(p + 1, &type, sizeof type);
    if (len)
        memcpy(p + 1 + sizeof type, data, len);
    return TRUE;
}

void
tcps_arena_get(const tcps_arena *a, guint32 off, int *type, guint *len, const guint8 **data)
{
    const guint8 *p = (const guint8 *)g_ptr_array_index(a->blocks, off / TCPS_ARENA_BLOCK) +
                      off % TCPS_ARENA_BLOCK;

    *len = p[0];
    memcpy(type, p + 1, sizeof *type);
    *data = p + 1 + sizeof *type;
}
