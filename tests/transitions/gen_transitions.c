/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gen_transitions.c — prints docs/transitions.md: what the pure engine
 * (plugin/tcpstate_engine.c, linked alone) does with each class of segment
 * in each pair of endpoint states it can reach, as a Markdown table in the
 * spirit of netfilter's tcp_conntracks comment table.
 *
 * It drives the engine with scripted segment sequences only. Reachability is
 * a breadth-first search over (client state, server state) pairs, seeded
 * with the pairs the textbook exchanges pass through (seeds[] below); the
 * first script that reaches a pair is kept as that pair's history. A second
 * search from a first segment of each class (a capture started midstream)
 * adds the pairs the first one cannot reach, and search_fine() checks for
 * pairs that only other histories reach. Each table cell replays a pair's
 * history and applies one segment.
 *
 * Run by ctest (docs.transitions), which fails if its output differs from
 * docs/transitions.md. Regenerate with:
 *   build/tests/transitions/gen_transitions > docs/transitions.md
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_engine.h"

/* ---- Segment classes --------------------------------------------------- */

typedef enum {
    K_SYN,          /* bare SYN at the sender's ISS (first, or again) */
    K_SYN_NEW,      /* bare SYN at a new ISS, 2^30 away */
    K_SYN_LATER,    /* bare SYN at a new ISS, 2·MSL after the last segment */
    K_SYNACK,       /* SYN/ACK at the sender's ISS, ACK = peer's SND.NXT */
    K_ACK,          /* bare ACK, ACK = peer's SND.NXT */
    K_ACK_SHORT,    /* bare ACK, ACK = peer's SND.NXT - 1 */
    K_DATA,         /* 100 octets with ACK = peer's SND.NXT */
    K_FIN,          /* FIN without ACK */
    K_FINACK,       /* FIN/ACK at the sender's FIN (first, or again) */
    K_FINACK_SHORT, /* the same with ACK = peer's SND.NXT - 1 */
    K_RST,          /* bare RST at the sender's SND.NXT */
    K_RST_OUT,      /* bare RST 2^28 beyond the sender's SND.NXT */
    K_RSTACK,       /* RST/ACK at SND.NXT, ACK = peer's SND.NXT */
    K_NUM
} seg_kind;

static const struct {
    const char *name, *what;
} kinds[K_NUM] = {
    { "SYN", "bare SYN at the sender's ISS: its first SYN, or the same one again" },
    { "SYN new", "bare SYN at a new ISS, 2^30 from the old one, 10 ms later" },
    { "SYN 2MSL", "bare SYN at a new ISS, 2·MSL (120 s) after the latest segment" },
    { "SYN/ACK", "SYN at the sender's ISS with ACK = the peer's SND.NXT" },
    { "ACK", "bare ACK of everything the peer sent (SEG.SEQ = SND.NXT, SEG.ACK = the "
             "peer's SND.NXT): acceptable" },
    { "ACK-1", "bare ACK one short of that (the peer's SND.NXT - 1): it leaves the peer's "
               "SYN, FIN or last octet unacknowledged" },
    { "data", "100 octets at SND.NXT with the acceptable ACK" },
    { "FIN", "FIN without ACK" },
    { "FIN/ACK", "FIN at SND.NXT (or at its FIN's number, if it sent one: a retransmission) "
                 "with the acceptable ACK" },
    { "FIN/ACK-1", "the same FIN with the ACK one short: it does not acknowledge the peer's "
                   "FIN (as in a simultaneous close)" },
    { "RST", "bare RST at the sender's SND.NXT: in the window" },
    { "RST out", "bare RST 2^28 beyond the sender's SND.NXT: out of the window" },
    { "RST/ACK", "RST at SND.NXT with the acceptable ACK" },
};

#define STEP_NS   INT64_C(10000000)          /* 10 ms between segments */
#define MSL_MS    60000u
#define LATER_NS  (INT64_C(2) * MSL_MS * 1000000 + STEP_NS)

/* ---- A scripted connection ---------------------------------------------- */

/* What each end has sent, as the script tracks it: endpoint A sends the
 * first segment, from port 40000 to port 80. */
typedef struct {
    uint32_t isn, nxt, fin_seq;
    bool fin_sent;
} script_end;

typedef struct {
    tcps_conn conn;
    script_end end[2];      /* [0] A, [1] B */
    bool started;
    bool a_is_client;
    int64_t now;
    uint32_t frame;
} script;

static const tcps_config cfg = { MSL_MS };

static void script_init(script *s)
{
    memset(s, 0, sizeof *s);
    tcps_conn_init(&s->conn);
    s->end[0].isn = s->end[0].nxt = 1000;
    s->end[1].isn = s->end[1].nxt = 5000;
}

/* Sends a segment of class k from the client (from_client) or the server;
 * before the first segment, from A. */
static void script_send(script *s, bool from_client, seg_kind k, tcps_result *out)
{
    bool from_a = !s->started || from_client == s->a_is_client;
    script_end *me = &s->end[from_a ? 0 : 1], *peer = &s->end[from_a ? 1 : 0];
    tcps_segment seg;
    uint32_t seq = me->nxt;

    memset(&seg, 0, sizeof seg);
    seg.from_a = from_a;
    seg.src_port = from_a ? 40000 : 80;
    seg.dst_port = from_a ? 80 : 40000;
    seg.ack = peer->nxt;
    s->now += (k == K_SYN_LATER) ? LATER_NS : STEP_NS;
    seg.time_ns = s->now;
    seg.frame = ++s->frame;
    switch (k) {
    case K_SYN:
        seg.flags = TCPS_TH_SYN;
        seg.ack = 0;
        seq = me->isn;
        break;
    case K_SYN_NEW:
    case K_SYN_LATER:
        seg.flags = TCPS_TH_SYN;
        seg.ack = 0;
        me->isn += 0x40000000u;
        me->nxt = me->isn;
        me->fin_sent = false;
        seq = me->isn;
        break;
    case K_SYNACK:
        seg.flags = TCPS_TH_SYN | TCPS_TH_ACK;
        seq = me->isn;
        break;
    case K_ACK:
        seg.flags = TCPS_TH_ACK;
        break;
    case K_ACK_SHORT:
        seg.flags = TCPS_TH_ACK;
        seg.ack = peer->nxt - 1;
        break;
    case K_DATA:
        seg.flags = TCPS_TH_ACK | TCPS_TH_PSH;
        seg.len = 100;
        break;
    case K_FIN:
        seg.flags = TCPS_TH_FIN;
        seg.ack = 0;
        break;
    case K_FINACK:
    case K_FINACK_SHORT:
        seg.flags = TCPS_TH_FIN | TCPS_TH_ACK;
        if (k == K_FINACK_SHORT)
            seg.ack = peer->nxt - 1;
        if (me->fin_sent)
            seq = me->fin_seq;
        break;
    case K_RST:
        seg.flags = TCPS_TH_RST;
        seg.ack = 0;
        break;
    case K_RST_OUT:
        seg.flags = TCPS_TH_RST;
        seg.ack = 0;
        seq = me->nxt + 0x10000000u;
        break;
    case K_RSTACK:
        seg.flags = TCPS_TH_RST | TCPS_TH_ACK;
        break;
    case K_NUM:
        break;
    }
    seg.seq = seq;
    tcps_conn_process(&s->conn, &cfg, &seg, out);
    if (!s->started) {
        s->started = true;
        s->a_is_client = out->from_client;
    }
    /* What it has now sent (RSTs and dropped segments occupy nothing). */
    if (!(seg.flags & TCPS_TH_RST) && (seg.flags & (TCPS_TH_ACK | TCPS_TH_SYN))) {
        uint32_t end = seq + seg.len + ((seg.flags & TCPS_TH_SYN) ? 1 : 0);
        if (seg.flags & TCPS_TH_FIN) {
            me->fin_sent = true;
            me->fin_seq = end;
            end++;
        }
        if ((int32_t)(end - me->nxt) > 0)
            me->nxt = end;
    }
}

/* ---- Breadth-first search over state pairs ------------------------------ */

#define MAX_SCRIPT 24
#define NPAIRS (TCPS_NUM_STATES * TCPS_NUM_STATES)

typedef struct {
    uint8_t len;
    uint8_t step[MAX_SCRIPT];   /* kind << 1 | from_client */
} history;

static history found[NPAIRS];
static bool reached[NPAIRS];

static int pair_of(const tcps_result *r)
{
    return r->state[0] * TCPS_NUM_STATES + r->state[1];
}

static void replay(script *s, const history *h)
{
    tcps_result r;
    int i;

    script_init(s);
    for (i = 0; i < h->len; i++)
        script_send(s, h->step[i] & 1, (seg_kind)(h->step[i] >> 1), &r);
}

/* Extends every pair in the queue by every segment from either end; returns
 * the new end of the queue. */
static int search(int *queue, int head, int tail)
{
    while (head < tail) {
        int p = queue[head++], k, fc;

        if (found[p].len >= MAX_SCRIPT)
            continue;
        for (k = 0; k < K_NUM; k++)
            for (fc = 1; fc >= 0; fc--) {
                script s;
                tcps_result r;
                int q;

                replay(&s, &found[p]);
                script_send(&s, fc, (seg_kind)k, &r);
                q = pair_of(&r);
                if (reached[q])
                    continue;
                reached[q] = true;
                found[q] = found[p];
                found[q].step[found[q].len++] = (uint8_t)(k << 1 | fc);
                queue[tail++] = q;
            }
    }
    return tail;
}

/* The textbook exchanges, tried first so that the pairs they pass through get
 * these histories rather than odd shortcuts: RFC 9293 §3.5 figure 6 (and
 * §3.6 figure 12, with data) closed by the client, then by the server; §3.6
 * figure 13 (simultaneous close); §3.5 figure 7 (simultaneous open); a
 * refused SYN; a reset. C: the client sends, S: the server. */
#define C(k) ((uint8_t)((k) << 1 | 1))
#define S(k) ((uint8_t)((k) << 1))
static const history seeds[] = {
    { 9, { C(K_SYN), S(K_SYNACK), C(K_ACK), C(K_DATA), S(K_ACK), C(K_FINACK), S(K_ACK),
           S(K_FINACK), C(K_ACK) } },
    { 7, { C(K_SYN), S(K_SYNACK), C(K_ACK), S(K_FINACK), C(K_ACK), C(K_FINACK), S(K_ACK) } },
    { 7, { C(K_SYN), S(K_SYNACK), C(K_ACK), C(K_FINACK), S(K_FINACK_SHORT), C(K_ACK),
           S(K_ACK) } },
    { 4, { C(K_SYN), S(K_SYN), C(K_SYNACK), S(K_SYNACK) } },
    { 2, { C(K_SYN), S(K_RSTACK) } },
    { 4, { C(K_SYN), S(K_SYNACK), C(K_ACK), C(K_RST) } },
};
#undef C
#undef S

static void find_pairs(void)
{
    static int queue[NPAIRS];
    int tail = 0, k, p;
    size_t i;
    script s;
    tcps_result r;

    for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        history h = { 0, { 0 } };
        int j;

        script_init(&s);
        for (j = 0; j < seeds[i].len; j++) {
            script_send(&s, seeds[i].step[j] & 1, (seg_kind)(seeds[i].step[j] >> 1), &r);
            h.step[h.len++] = seeds[i].step[j];
            p = pair_of(&r);
            if (!reached[p]) {
                reached[p] = true;
                found[p] = h;
                queue[tail++] = p;
            }
        }
    }
    tail = search(queue, 0, tail);

    /* From a first segment of any other class (a capture started midstream):
     * the pairs the search from the client's SYN cannot reach. */
    for (k = 0; k < K_NUM; k++) {
        int head = tail;

        script_init(&s);
        script_send(&s, true, (seg_kind)k, &r);
        p = pair_of(&r);
        if (reached[p])
            continue;
        reached[p] = true;
        found[p].len = 1;
        found[p].step[0] = (uint8_t)(k << 1 | (r.from_client ? 1 : 0));
        queue[tail++] = p;
        tail = search(queue, head, tail);
    }
}

/* The completeness check: the search above keys on the pair alone, so it
 * extends only one history per pair, and a pair reachable only through
 * another history of a pair already found would be missed. This search keys
 * on what the engine keeps beyond the pair (each end's facts and the
 * connection's flags; tcps_conn is opaque, so the key is read, never
 * interpreted) and runs until no new key appears, from a first segment of
 * each class. Sequence numbers and times are not in the key: histories
 * that differ only in those count as one. Pairs it finds that the first
 * search missed get the history it found. */
typedef struct {
    uint32_t facts[2];
    uint8_t flags, st[2];
} fine_key;

#define FINE_SLOTS (1u << 19)

static fine_key *fine_set;
static bool *fine_used;
static unsigned fine_keys, fine_cut, fine_extra;

static bool fine_insert(const script *s, const tcps_result *r)
{
    fine_key k;
    uint32_t h;

    memset(&k, 0, sizeof k);
    k.facts[0] = s->conn.ep[0].facts;
    k.facts[1] = s->conn.ep[1].facts;
    /* The low five bits: started, roles, midstream, reset, FIN seen. The
     * bits above say which end sent last and whether a challenged SYN is
     * kept; like times and sequence numbers, they are not in the key. */
    k.flags = s->conn.flags & 0x1f;
    k.st[0] = r->state[0];
    k.st[1] = r->state[1];
    h = (k.facts[0] * 2654435761u) ^ (k.facts[1] * 40503u) ^ ((uint32_t)k.flags << 24) ^
        ((uint32_t)k.st[0] << 8) ^ k.st[1];
    for (h &= FINE_SLOTS - 1; fine_used[h]; h = (h + 1) & (FINE_SLOTS - 1))
        if (!memcmp(&fine_set[h], &k, sizeof k))
            return false;
    if (fine_keys + 1 >= FINE_SLOTS / 2) {
        fprintf(stderr, "gen_transitions: FINE_SLOTS too small\n");
        exit(1);
    }
    fine_used[h] = true;
    fine_set[h] = k;
    fine_keys++;
    return true;
}

static void fine_reach(const history *h, const tcps_result *r)
{
    int p = pair_of(r);

    if (!reached[p]) {
        reached[p] = true;
        found[p] = *h;
        fine_extra++;
    }
}

static void search_fine(void)
{
    history *queue = malloc(sizeof *queue * (FINE_SLOTS / 2));
    unsigned head = 0, tail = 0;
    int k, fc;

    fine_set = calloc(FINE_SLOTS, sizeof *fine_set);
    fine_used = calloc(FINE_SLOTS, sizeof *fine_used);
    if (!queue || !fine_set || !fine_used) {
        fprintf(stderr, "gen_transitions: out of memory\n");
        exit(1);
    }
    for (k = 0; k < K_NUM; k++) {
        script s;
        tcps_result r;

        script_init(&s);
        script_send(&s, true, (seg_kind)k, &r);
        if (fine_insert(&s, &r)) {
            queue[tail].len = 1;
            queue[tail].step[0] = (uint8_t)(k << 1 | (r.from_client ? 1 : 0));
            fine_reach(&queue[tail], &r);
            tail++;
        }
    }
    while (head < tail) {
        history h = queue[head++];

        if (h.len >= MAX_SCRIPT) {
            fine_cut++;
            continue;
        }
        for (k = 0; k < K_NUM; k++)
            for (fc = 1; fc >= 0; fc--) {
                script s;
                tcps_result r;

                replay(&s, &h);
                script_send(&s, fc, (seg_kind)k, &r);
                if (!fine_insert(&s, &r))
                    continue;
                queue[tail] = h;
                queue[tail].step[queue[tail].len++] = (uint8_t)(k << 1 | fc);
                fine_reach(&queue[tail], &r);
                tail++;
            }
    }
    free(queue);
    free(fine_set);
    free(fine_used);
}

/* ---- Printing ----------------------------------------------------------- */

static const struct {
    uint32_t bit;
    const char *name;
} event_names[] = {
#define EV(x) { TCPS_EV_##x, #x }
    EV(SYN_RETRANSMIT), EV(SYNACK_RETRANSMIT), EV(FIN_RETRANSMIT), EV(SIMULTANEOUS_OPEN),
    EV(SIMULTANEOUS_CLOSE), EV(RST_ACCEPTED), EV(RST_IGNORED), EV(REFUSED),
    EV(TIME_WAIT_RESTART), EV(TIME_WAIT_EXPIRED), EV(LOSS_REVEALED), EV(REUSE),
    EV(MIDSTREAM), EV(DATA_AFTER_FIN), EV(FROM_CLOSED), EV(SYN_IN_SYNCHRONIZED),
    EV(BAD_HANDSHAKE_ACK), EV(INVALID_FLAGS), EV(TIME_WAIT_ASSASSINATED), EV(FIN_OUT_OF_ORDER),
    EV(PEER_SILENT), EV(ENDED_UNSEEN), EV(BAD_CHECKSUM),
#undef EV
};

static const char *const cause_names[] = {
    "", "lost", "crossed", "crossed", "refused", "ended", "FIN queued", "new connection",
    "unanswered",
};

static const char *sn(unsigned s)
{
    return tcps_state_name((tcps_state)s);
}

static void print_history(const history *h)
{
    int i;

    for (i = 0; i < h->len; i++)
        printf("%s%s %s", i ? ", " : "", (h->step[i] & 1) ? "C" : "S",
               kinds[h->step[i] >> 1].name);
}

/* Events, then what the engine says beyond the states: the sender shown in
 * another state before this segment than the history left it in, and the
 * hindsight revisions (tcps_revision) of earlier frames. */
static void print_notes(const tcps_result *r, int si, unsigned sender_before)
{
    bool any = false;
    size_t i;
    int e;

    for (i = 0; i < sizeof event_names / sizeof event_names[0]; i++)
        if (r->events & event_names[i].bit) {
            printf("%s%s", any ? ", " : "", event_names[i].name);
            any = true;
        }
    if (r->prev[si] != sender_before) {
        printf("%sshown %s before", any ? "; " : "", sn(r->prev[si]));
        any = true;
    }
    for (e = 0; e < 2; e++)
        if (r->revision[e].from_frame) {
            printf("%s%s held %s (%s)", any ? "; " : "", e ? "S" : "C", sn(r->revision[e].held),
                   cause_names[r->revision[e].cause]);
            any = true;
        }
}

static void print_intro(int npairs, int ncells)
{
    int k;

    printf("<!-- Generated by tests/transitions/gen_transitions.c: do not edit. -->\n"
           "# The engine's transitions, as a table\n\n"
           "What tcpstate's engine (`plugin/tcpstate_engine.c`) does with each class of\n"
           "segment in each pair of endpoint states it can reach: the sender's and the\n"
           "receiver's state after the segment, and the events it raises. It plays the\n"
           "part of netfilter's `tcp_conntracks` table, but it is generated from the\n"
           "engine, so it cannot drift from it: ctest's `docs.transitions` regenerates it\n"
           "and fails if this file differs.\n\n"
           "## How to read it\n\n"
           "The states follow [the reading rule](semantics.md#the-reading-rule): a state\n"
           "is the endpoint's state right after its sender sent the segment, and right\n"
           "after its receiver processed it, assuming it arrives. C is the client, S the\n"
           "server. There is one section per sender state; a row is (sender, receiver\n"
           "state, segment class) -> (sender after, receiver after, events and notes).\n"
           "Notes: \"shown X before\" means the segment proves its sender was in X, not in\n"
           "the state the history left it in (so the segment's `prev` shows X); \"C held X\n"
           "(lost)\" is a hindsight revision: earlier frames are rewritten to show X\n"
           "(docs/semantics.md, \"When a later segment proves an assumption wrong\").\n\n"
           "The engine derives states from what each end is known to have done, not\n"
           "from the pair alone, and it times segments against measured round trips. So\n"
           "a cell is what the engine does after one particular history that reaches\n"
           "the pair, the shortest found (listed under [Histories](#histories)), with\n"
           "segments 10 ms apart (no segment crosses another) and MSL = 60 s. Another\n"
           "history reaching the same pair may end elsewhere.\n\n"
           "## Segment classes\n\n"
           "Numbers are those of a script that tracks what each end has sent (SND.NXT);\n"
           "the sender's ACK field is the peer's SND.NXT unless said otherwise.\n\n"
           "| class | segment |\n|---|---|\n");
    for (k = 0; k < K_NUM; k++)
        printf("| %s | %s |\n", kinds[k].name, kinds[k].what);
    printf("\nA segment whose checksum is wrong changes nothing (`BAD_CHECKSUM`); it is\n"
           "not in the table.\n\n"
           "## How it is generated\n\n"
           "`tests/transitions/gen_transitions.c`, linked with the engine alone, finds\n"
           "the reachable pairs by a breadth-first search over (client state, server\n"
           "state). It starts from the pairs that the textbook exchanges pass through\n"
           "(RFC 9293 figures 6, 7, 12 and 13, a refused SYN, a reset), each with the\n"
           "textbook script that first reaches it as its history; every pair found is\n"
           "extended by every segment class sent by either end, and the first script\n"
           "that reaches a new pair becomes its history. A second search from a first\n"
           "segment of each class (a capture that starts midstream) adds the pairs the\n"
           "first cannot reach. Both key on the pair alone, so they extend one history\n"
           "per pair; a third search keys on what the engine keeps beyond the\n"
           "pair (each end's facts and the connection's flags, but not sequence numbers\n"
           "or times) and runs from a first segment of each class until no new key\n"
           "appears: %u keys, %s. It found %u more pairs, with the history it reached\n"
           "them by. Each cell replays its pair's history and sends one more segment.\n"
           "This run reached %d pairs: %d cells (each pair, either sender, %d classes,\n"
           "and the first segment of a connection).\n\n"
           "To regenerate after changing the engine:\n\n"
           "<!-- doc-test: not run: needs the build folder -->\n"
           "```sh\n"
           "cmake --build build --target gen_transitions\n"
           "build/tests/transitions/gen_transitions > docs/transitions.md\n"
           "```\n",
           fine_keys, fine_cut ? "cut short at the longest history kept" : "exhausted",
           fine_extra, npairs, ncells, K_NUM);
}

static void print_row(const char *sender, unsigned rs_before, seg_kind k, const tcps_result *r,
                      int si, unsigned ss_before, bool first)
{
    if (first)
        printf("| %s | — | %s | ", sender, kinds[k].name);
    else
        printf("| %s | %s | %s | ", sender, sn(rs_before), kinds[k].name);
    printf("%s | %s | ", sn(r->state[si]), sn(r->state[!si]));
    print_notes(r, si, ss_before);
    printf(" |\n");
}

int main(void)
{
    int npairs = 0, ncells = 0, p, k, ss;

    find_pairs();
    search_fine();
    for (p = 0; p < NPAIRS; p++)
        if (reached[p])
            npairs++;
    ncells = npairs * 2 * K_NUM + K_NUM;
    print_intro(npairs, ncells);

    /* The first segment of a connection: roles come from it (docs/semantics.md,
     * Roles); A sends it from port 40000 to port 80. */
    printf("\n## First segment\n\n"
           "Nothing seen yet; endpoint A sends from port 40000 to port 80 and becomes\n"
           "the client or the server by the segment's class. Sender after is A's state.\n\n"
           "| sender | receiver state | segment | sender after | receiver after "
           "| events, notes |\n"
           "|---|---|---|---|---|---|\n");
    for (k = 0; k < K_NUM; k++) {
        script s;
        tcps_result r;
        int si;

        script_init(&s);
        script_send(&s, true, (seg_kind)k, &r);
        si = r.from_client ? 0 : 1;
        print_row(si ? "A (S)" : "A (C)", 0, (seg_kind)k, &r, si, r.prev[si], true);
    }

    for (ss = 0; ss < TCPS_NUM_STATES; ss++) {
        bool header = false;
        int rs, fc;

        for (rs = 0; rs < TCPS_NUM_STATES; rs++)
            for (fc = 1; fc >= 0; fc--) {
                int si = fc ? 0 : 1;
                int pair = si == 0 ? ss * TCPS_NUM_STATES + rs : rs * TCPS_NUM_STATES + ss;

                if (!reached[pair])
                    continue;
                if (!header) {
                    printf("\n## Sender in %s\n\n"
                           "| sender | receiver state | segment | sender after | receiver after "
                           "| events, notes |\n|---|---|---|---|---|---|\n",
                           sn((unsigned)ss));
                    header = true;
                }
                for (k = 0; k < K_NUM; k++) {
                    script s;
                    tcps_result r;

                    replay(&s, &found[pair]);
                    script_send(&s, fc, (seg_kind)k, &r);
                    print_row(fc ? "C" : "S", (unsigned)rs, (seg_kind)k, &r, si, (unsigned)ss,
                              false);
                }
            }
    }

    printf("\n## Histories\n\n"
           "The script that first reached each pair (C: the client sends, S: the server).\n"
           "A history that does not start with the client's SYN starts midstream.\n\n"
           "| client | server | history |\n|---|---|---|\n");
    for (p = 0; p < NPAIRS; p++)
        if (reached[p]) {
            printf("| %s | %s | ", sn((unsigned)(p / TCPS_NUM_STATES)),
                   sn((unsigned)(p % TCPS_NUM_STATES)));
            print_history(&found[p]);
            printf(" |\n");
        }
    return 0;
}
