/* SPDX-License-Identifier: GPL-2.0-or-later */
/* equivalence.c — differential check of the pure engine and Zeek module:
 * feeds the same random segment sequences to a reference revision (R_) and
 * to the worktree (N_), and compares after every segment the tcps_result
 * (revisions included), its packed tcps_record, tcps_conn_unanswered_syn,
 * _unanswered_synack and _passive_half_open, and Zeek's conn_state, history
 * and history length. Built and run by run.sh; see tests/README.md.
 *
 * The sequences mix every segment class (SYN, SYN/ACK, ACK, data, FIN,
 * RST, odd flag sets, bad checksums), sequence numbers in order, repeated,
 * behind, ahead and random, ISNs near the 2^32 wrap, and time steps from 0
 * ns to days, backwards, past 2^32 us and to the int64 extremes, with the
 * MSL at 1 s, 30 s, 60 s, 1 h or random; frame numbers mostly increase but
 * also repeat, go back, jump and are 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "tcpstate_engine.h"   /* tcps_segment, tcps_result: same in both */
#include "tcpstate_zeek.h"
#include "tcpstate_record.h"

#define DECL(P) \
unsigned P##w_conn_size(void); unsigned P##w_zeek_size(void); \
void P##w_init(void *c, void *z); \
void P##w_process(void *c, unsigned msl, const tcps_segment *s, tcps_result *o); \
unsigned P##w_queries(const void *c, long long end_ns, tcps_revision rv[3]); \
void P##w_zeek(void *z, const tcps_zeek_segment *s, int *st, char *h, unsigned *len);
DECL(R_)
DECL(N_)

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static uint32_t r32(void) { return (uint32_t)(rnd() >> 16); }
static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }

static int64_t next_dt(void)
{
    unsigned p = pick(100);
    if (p < 10) return 0;
    if (p < 25) return pick(1000);                         /* ns */
    if (p < 50) return 1000 + pick(100000000);             /* us..100 ms */
    if (p < 65) return (int64_t)pick(3000) * 1000000;      /* ms, whole */
    if (p < 73) return (int64_t)pick(600) * 1000000000 + pick(1000000000); /* s..10 min */
    if (p < 78) return (int64_t)(3600 + pick(7200)) * 1000000000;          /* hours */
    if (p < 83) return ((int64_t)1 << 32) * 1000 + (int64_t)(rnd() % (1ull << 50)); /* > 2^32 us */
    if (p < 86) return (int64_t)(rnd() % 120000000001ull);  /* up to 2 min: 2MSL edges */
    if (p < 91) return -(int64_t)pick(1000000000);          /* backwards, small */
    if (p < 94) return -(int64_t)(rnd() % (1ull << 46));    /* backwards, hours */
    if (p < 96) return 999999999 + pick(3);                 /* around 1 s */
    if (p < 98) return 60000000000LL - 1 + pick(3);         /* around 2*30 s */
    return 0x7fffffff + (int64_t)pick(3) - 1;               /* around 2^31 ns */
}

int main(int argc, char **argv)
{
    unsigned long nseq = argc > 1 ? strtoul(argv[1], 0, 10) : 1000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], 0, 10) : 1;
    unsigned long s, segs = 0, diffs = 0, qtrue = 0, rev = 0, newconn = 0, twexp = 0, silent = 0;
    size_t cs = R_w_conn_size() > N_w_conn_size() ? R_w_conn_size() : N_w_conn_size();
    size_t zs = R_w_zeek_size() > N_w_zeek_size() ? R_w_zeek_size() : N_w_zeek_size();
    void *rc = malloc(cs), *nc = malloc(cs), *rz = malloc(zs), *nz = malloc(zs);
    static const unsigned msls[] = { 1000, 30000, 60000, 3600000, 1 };

    rs ^= seed * 0x9E3779B97F4A7C15ull;
    if (!rs) rs = 1;
    printf("sizes: ref conn %u zeek %u, new conn %u zeek %u\n", R_w_conn_size(), R_w_zeek_size(),
           N_w_conn_size(), N_w_zeek_size());
    for (s = 0; s < nseq; s++) {
        uint32_t isn[2], nxt[2], frame;
        uint16_t port[2];
        int64_t t;
        unsigned n = pick(20) ? 1 + pick(40) : 100 + pick(300), i, msl = msls[pick(5)];
        unsigned dir = pick(2);

        if (msl == 1) msl = r32() % 100000;
        for (i = 0; i < 2; i++) {
            isn[i] = pick(4) ? r32() : 0xffffffffu - pick(3000);   /* wraparound */
            nxt[i] = isn[i] + 1;
            port[i] = pick(3) ? (uint16_t)r32() : (uint16_t)pick(1100);
        }
        switch (pick(4)) {
        case 0: t = 0; break;
        case 1: t = (int64_t)(rnd() % (1ull << 62)) * (pick(2) ? 1 : -1); break;
        default: t = (int64_t)pick(1000000) * 1000; break;
        }
        frame = pick(5) ? 1 + pick(100) : r32();
        memset(rc, 0, cs); memset(nc, 0, cs); memset(rz, 0, zs); memset(nz, 0, zs);
        R_w_init(rc, rz);
        N_w_init(nc, nz);
        for (i = 0; i < n; i++) {
            tcps_segment g;
            tcps_zeek_segment zg;
            tcps_result ro, no;
            tcps_record rr, nr;
            tcps_revision rrv[3], nrv[3];
            unsigned p, rq, nq, rl, nl;
            int rst_, nst;
            char rh[64], nh[64];
            int64_t end_ns;
            unsigned snd;

            memset(&g, 0, sizeof g);
            if (pick(3) == 0) dir ^= 1;
            snd = dir;
            g.from_a = snd == 0;
            g.src_port = port[snd];
            g.dst_port = port[!snd];
            p = pick(100);
            if (p < 12) g.flags = TCPS_TH_SYN;
            else if (p < 22) g.flags = TCPS_TH_SYN | TCPS_TH_ACK;
            else if (p < 45) g.flags = TCPS_TH_ACK;
            else if (p < 62) g.flags = TCPS_TH_ACK | TCPS_TH_PSH;
            else if (p < 74) g.flags = TCPS_TH_FIN | TCPS_TH_ACK;
            else if (p < 80) g.flags = TCPS_TH_RST;
            else if (p < 86) g.flags = TCPS_TH_RST | TCPS_TH_ACK;
            else if (p < 88) g.flags = TCPS_TH_FIN;
            else if (p < 89) g.flags = TCPS_TH_SYN | TCPS_TH_FIN;
            else if (p < 91) g.flags = (uint16_t)(r32() & 0xfff);
            else g.flags = TCPS_TH_ACK;
            p = pick(100);
            g.len = p < 50 ? 0 : p < 65 ? 1 : p < 95 ? 1 + pick(1460) : r32();
            if (g.flags & TCPS_TH_SYN) {
                if (pick(3) == 0) { isn[snd] = pick(4) ? r32() : nxt[snd] + (r32() % 3000000); nxt[snd] = isn[snd] + 1; }
                g.seq = isn[snd];
                if (pick(4) == 0) g.len = 0;
            } else {
                p = pick(100);
                g.seq = p < 65 ? nxt[snd] : p < 77 ? nxt[snd] - 1 : p < 87 ? nxt[snd] - pick(3000)
                      : p < 92 ? isn[snd] + 1 : p < 96 ? nxt[snd] + pick(5000) : r32();
            }
            p = pick(100);
            g.ack = p < 70 ? nxt[!snd] : p < 80 ? nxt[!snd] - pick(3000) : p < 90 ? isn[!snd] + 1
                  : p < 95 ? isn[!snd] : r32();
            if (!(g.flags & TCPS_TH_RST)) {
                uint32_t end = g.seq + g.len + !!(g.flags & TCPS_TH_SYN) + !!(g.flags & TCPS_TH_FIN);
                if ((int32_t)(end - nxt[snd]) > 0) nxt[snd] = end;
            }
            t += next_dt();
            if (pick(200) == 0) t = (int64_t)(rnd() >> 1) * (pick(2) ? 1 : -1);  /* extreme */
            g.time_ns = t;
            p = pick(100);
            frame = p < 85 ? frame + 1 : p < 90 ? frame + pick(100000) : p < 94 ? frame
                  : p < 97 ? frame - pick(10) : p < 98 ? 0 : r32();
            g.frame = frame;
            g.bad_checksum = pick(33) == 0;

            R_w_process(rc, msl, &g, &ro);
            N_w_process(nc, msl, &g, &no);
            tcps_record_pack(&rr, &ro);
            tcps_record_pack(&nr, &no);
            end_ns = t + (pick(2) ? (int64_t)pick(3000000000u) : next_dt());
            rq = R_w_queries(rc, end_ns, rrv);
            nq = N_w_queries(nc, end_ns, nrv);
            memset(&zg, 0, sizeof zg);
            zg.from_orig = g.from_a;
            zg.flags = g.flags | (pick(10) ? 0 : 0x20);
            zg.seq = g.seq; zg.ack = g.ack; zg.len = g.len;
            zg.window = pick(5) ? 1 + pick(65535) : 0;
            zg.bad_checksum = g.bad_checksum;
            zg.truncated = pick(20) == 0;
            R_w_zeek(rz, &zg, &rst_, rh, &rl);
            N_w_zeek(nz, &zg, &nst, nh, &nl);
            segs++;
            qtrue += rq != 0;
            rev += ro.revision[0].from_frame || ro.revision[1].from_frame;
            newconn += ro.revision[0].cause == TCPS_REV_NEW_CONN;
            twexp += (ro.events & TCPS_EV_TIME_WAIT_EXPIRED) != 0;
            silent += (ro.events & TCPS_EV_PEER_SILENT) != 0;
            if (memcmp(&ro, &no, sizeof ro) || memcmp(&rr, &nr, sizeof rr) || rq != nq ||
                memcmp(rrv, nrv, sizeof rrv) || rst_ != nst || strcmp(rh, nh) || rl != nl) {
                if (diffs++ < 5)
                    printf("DIFF seq %lu seg %u: result %d record %d queries %u/%u rv %d zeek %d/%d '%s'/'%s'\n",
                           s, i, memcmp(&ro, &no, sizeof ro) != 0, memcmp(&rr, &nr, sizeof rr) != 0,
                           rq, nq, memcmp(rrv, nrv, sizeof rrv) != 0, rst_, nst, rh, nh);
            }
        }
    }
    printf("%lu sequences, %lu segments, %lu with a revision (%lu new-connection), %lu TIME_WAIT expiries, "
           "%lu peer-silent RSTs, %lu with a true query: %lu differences\n",
           nseq, segs, rev, newconn, twexp, silent, qtrue, diffs);
    return diffs != 0;
}
