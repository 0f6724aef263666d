/* SPDX-License-Identifier: GPL-2.0-or-later */
/* side.c — one side of tests/equivalence: compiled twice, once with the
 * reference revision's engine and Zeek module and once with the worktree's,
 * after which run.sh renames every symbol (R_ / N_) so that both link into
 * one program. Nothing here may depend on the layouts being compared. */
#include <string.h>
#include "tcpstate_engine.h"
#include "tcpstate_zeek.h"
#include "tcpstate_record.h"

unsigned w_conn_size(void) { return sizeof(tcps_conn); }
unsigned w_zeek_size(void) { return sizeof(tcps_zeek); }
void w_init(void *c, void *z) { tcps_conn_init(c); tcps_zeek_init(z); }
void w_process(void *c, unsigned msl_ms, const tcps_segment *seg, tcps_result *out)
{
    tcps_config cfg = { .msl_ms = msl_ms };
    tcps_conn_process(c, &cfg, seg, out);
}
/* hindsight queries: packs answers into an int, revisions into rv[3] */
unsigned w_queries(const void *c, long long end_ns, tcps_revision rv[3])
{
    unsigned m = 0;
    memset(rv, 0, 3 * sizeof *rv);
    if (tcps_conn_unanswered_syn(c, &rv[0])) m |= 1;
    if (tcps_conn_unanswered_synack(c, end_ns, &rv[1])) m |= 2;
    if (tcps_conn_passive_half_open(c)) m |= 4;
    return m;
}
void w_zeek(void *z, const tcps_zeek_segment *s, int *state, char *hist, unsigned *len)
{
    const char *h;
    tcps_zeek_update(z, s);
    *state = tcps_zeek_conn_state(z);
#ifdef TCPS_ZEEK_HISTORY_BUF
    char buf[TCPS_ZEEK_HISTORY_BUF];
    h = tcps_zeek_history(z, buf);
#else
    h = tcps_zeek_history(z);
#endif
    strcpy(hist, h);
    *len = (unsigned)tcps_zeek_history_len(z);
}
