/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_store.c — flat per-frame store. See tcpstate_store.h. */
#include <string.h>

#include <glib.h>

#include "tcpstate_store.h"

/* 16384 records (320 KiB) per block: big enough that the block table stays
 * tiny, small enough that a short capture costs little. g_try_malloc0 (calloc)
 * hands blocks this size out as fresh zero pages, which cost memory only once written. */
#define BLOCK_SHIFT 14u
#define BLOCK_LEN   (1u << BLOCK_SHIFT)
#define BLOCK_MASK  (BLOCK_LEN - 1u)

_Static_assert(sizeof(tcps_frame) == 20, "the per-frame record is 20 bytes");

struct tcps_store {
    tcps_frame **blocks;    /* block b holds frames b*BLOCK_LEN .. +BLOCK_LEN-1 */
    uint32_t     nblocks;   /* entries of blocks[] in use (NULL = none yet) */
    uint32_t     cap;       /* entries allocated in blocks[] */
#ifdef TCPSTATE_TEST_HOOKS
    uint64_t     stepped;   /* frame numbers tcps_store_next looked at */
#endif
};

tcps_store *
tcps_store_new(void)
{
    return g_try_new0(tcps_store, 1);
}

static void
store_clear(tcps_store *s)
{
    uint32_t b;

    if (!s)
        return;
    for (b = 0; b < s->nblocks; b++)
        g_free(s->blocks[b]);
    g_free(s->blocks);
    s->blocks = NULL;
    s->nblocks = s->cap = 0;
}


tcps_frame *
tcps_store_get(tcps_store *s, uint32_t frame)
{
    uint32_t b = frame >> BLOCK_SHIFT;
    tcps_frame *r;

    if (frame == 0 || b >= s->nblocks || !s->blocks[b])
        return NULL;
    r = &s->blocks[b][frame & BLOCK_MASK];
    return r->present ? r : NULL;
}

uint32_t
tcps_store_end(const tcps_store *s)
{
    return s ? s->nblocks << BLOCK_SHIFT : 0;
}

tcps_frame *
tcps_store_put(tcps_store *s, uint32_t frame)
{
    uint32_t b = frame >> BLOCK_SHIFT;
    tcps_frame *r;

    if (frame == 0)
        return NULL;
    if (b >= s->cap) {
        uint32_t cap = s->cap ? s->cap : 16;
        tcps_frame **v;
        while (cap <= b)
            cap *= 2;
        v = g_try_realloc_n(s->blocks, cap, sizeof *v);
        if (!v)
            return NULL;
        memset(v + s->cap, 0, (cap - s->cap) * sizeof *v);
        s->blocks = v;
        s->cap = cap;
    }
    if (b >= s->nblocks)
        s->nblocks = b + 1;
    if (!s->blocks[b] && !(s->blocks[b] = g_try_new0(tcps_frame, BLOCK_LEN)))
        return NULL;
    r = &s->blocks[b][frame & BLOCK_MASK];
    memset(r, 0, sizeof *r);
    r->present = 1;
    return r;
}

void
tcps_store_erase(tcps_store *s, uint32_t frame)
{
    tcps_frame *r = tcps_store_get(s, frame);

    if (r)
        memset(r, 0, sizeof *r);
}

tcps_frame *
tcps_store_next(tcps_store *s, uint32_t conn, uint32_t *frame, uint32_t end)
{
    uint32_t f;

    for (f = *frame; f < end; f++) {
        uint32_t b = f >> BLOCK_SHIFT;
        tcps_frame *r;
        if (b >= s->nblocks)
            break;
        if (!s->blocks[b]) {            /* a whole block without records */
            f = ((b + 1) << BLOCK_SHIFT) - 1;
            continue;
        }
        r = &s->blocks[b][f & BLOCK_MASK];
#ifdef TCPSTATE_TEST_HOOKS
        s->stepped++;
#endif
        if (f && r->present && r->conn == conn) {
            *frame = f;
            return r;
        }
    }
    return NULL;
}

void
tcps_store_free(tcps_store *s)
{
    if (!s)
        return;
    store_clear(s);
    g_free(s);
}

#ifdef TCPSTATE_TEST_HOOKS
void
tcps_store_clear(tcps_store *s)
{
    store_clear(s);
}


size_t
tcps_store_bytes(const tcps_store *s)
{
    size_t n = (size_t)s->cap * sizeof(tcps_frame *);
    uint32_t b;

    for (b = 0; b < s->nblocks; b++)
        if (s->blocks[b])
            n += (size_t)BLOCK_LEN * sizeof(tcps_frame);
    return n;
}

uint64_t
tcps_store_stepped(const tcps_store *s)
{
    return s->stepped;
}
#endif /* TCPSTATE_TEST_HOOKS */
