/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_zeek.c — unit tests of Zeek's conn_state and history (cmocka).
 *
 * Each test scripts a connection segment by segment and checks the running
 * conn_state and history. Every expectation comes from reading Zeek's source;
 * each test names the rule it checks:
 *   main.zeek          scripts/base/protocols/conn/main.zeek (conn_state,
 *                      the history letter documentation)
 *   Adapter::X         src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc
 *   Endpoint::X        src/analyzer/protocol/tcp/TCP_Endpoint.cc
 *   Connection::X      src/Conn.cc / Conn.h (Session.h in newer Zeek)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tcpstate_zeek.h"
#include "tcpstate_tcpflags.h"

#define FIN TCPS_TH_FIN
#define SYN TCPS_TH_SYN
#define RST TCPS_TH_RST
#define PSH TCPS_TH_PSH
#define ACK TCPS_TH_ACK

/* Originator ISN 1000, responder ISN 5000; windows nonzero unless said. */
enum { OISN = 1000, RISN = 5000, WIN = 65535 };

/* How a segment was captured: checksum bad, payload cut short. */
enum { GOOD = 0, BAD = 1, CUT = 2 };

/* The history as a string: one buffer, overwritten by each call. */
static const char *history(const tcps_zeek *z)
{
    static char buf[TCPS_ZEEK_HISTORY_BUF];

    return tcps_zeek_history(z, buf);
}

static void txc(tcps_zeek *z, char who, uint16_t flags, uint32_t seq, uint32_t ack,
                uint32_t len, uint32_t win, int how)
{
    tcps_zeek_segment s;
    char before[TCPS_ZEEK_HISTORY_MAX + 1];

    strcpy(before, history(z));
    memset(&s, 0, sizeof s);
    s.bad_checksum = (how & BAD) != 0;
    s.truncated = (how & CUT) != 0;
    s.from_orig = (who == 'O');
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.len = len;
    s.window = win;
    tcps_zeek_update(z, &s);
    /* Append-only, always. */
    assert_int_equal(strncmp(history(z), before, strlen(before)), 0);
    assert_int_equal(strlen(history(z)), tcps_zeek_history_len(z));
}

static void txw(tcps_zeek *z, char who, uint16_t flags, uint32_t seq, uint32_t ack,
                uint32_t len, uint32_t win)
{
    txc(z, who, flags, seq, ack, len, win, GOOD);
}

static void tx(tcps_zeek *z, char who, uint16_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
    txw(z, who, flags, seq, ack, len, WIN);
}

#define EXPECT(z, hist, code) do {                                         \
        assert_string_equal(history(z), (hist));                  \
        assert_string_equal(tcps_zeek_state_name(tcps_zeek_conn_state(z)),  \
                            tcps_zeek_state_name(code));                    \
    } while (0)

/* SYN, SYN/ACK, ACK. */
static void handshake(tcps_zeek *z)
{
    tx(z, 'O', SYN, OISN, 0, 0);
    EXPECT(z, "S", TCPS_ZEEK_S0);
    tx(z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    EXPECT(z, "Sh", TCPS_ZEEK_S1);
    tx(z, 'O', ACK, OISN + 1, RISN + 1, 0);
    EXPECT(z, "ShA", TCPS_ZEEK_S1);
}

/* Handshake, 100 octets from the originator, 50 from the responder. */
static void exchange(tcps_zeek *z)
{
    handshake(z);
    tx(z, 'O', ACK | PSH, OISN + 1, RISN + 1, 100);
    tx(z, 'R', ACK, RISN + 1, OISN + 101, 0);
    tx(z, 'R', ACK | PSH, RISN + 1, OISN + 101, 50);
    tx(z, 'O', ACK, OISN + 101, RISN + 51, 0);
    EXPECT(z, "ShADad", TCPS_ZEEK_S1);
}

/* main.zeek: S0 "attempt seen, no reply", S1, SF; the classic "ShADadFf".
 * update_history: 'S' bare SYN, 'h' SYN+ACK, 'A'/'a' pure ACK, 'D'/'d'
 * data, 'F'/'f' FIN; a/d once per direction (Connection::CheckHistory);
 * upper case for the originator (Endpoint::CheckHistory). */
static void test_normal_connection(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    EXPECT(&z, "", TCPS_ZEEK_OTH);
    exchange(&z);
    tx(&z, 'O', ACK | FIN, OISN + 101, RISN + 51, 0);
    EXPECT(&z, "ShADadF", TCPS_ZEEK_S2);
    tx(&z, 'R', ACK | FIN, RISN + 51, OISN + 102, 0);
    EXPECT(&z, "ShADadFf", TCPS_ZEEK_SF);
    tx(&z, 'O', ACK, OISN + 102, RISN + 52, 0);
    EXPECT(&z, "ShADadFf", TCPS_ZEEK_SF);
    /* Endpoint::Size(): from sequence numbers, SYN and FIN octets out. */
    assert_int_equal(tcps_zeek_size(&z, true), 100);
    assert_int_equal(tcps_zeek_size(&z, false), 50);
    assert_int_equal(tcps_zeek_endpoint_state(&z, true), TCPS_ZEEK_EP_CLOSED);
    assert_int_equal(tcps_zeek_endpoint_state(&z, false), TCPS_ZEEK_EP_CLOSED);
}

/* main.zeek REJ: rs == RESET and os == SYN_SENT. 'r' = RST from the
 * responder (Adapter::UpdateInactiveState: INACTIVE -> RESET). */
static void test_refused(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'R', RST | ACK, 0, OISN + 1, 0);
    EXPECT(&z, "Sr", TCPS_ZEEK_REJ);
}

/* SYN flood attempt: S0. A SYN sent again with the same ISN has the same
 * relative seq (0) as hist_last_SYN, so no second 'S' (update_history). */
static void test_syn_flood_and_repeated_syn(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'O', SYN, OISN, 0, 0);
    EXPECT(&z, "S", TCPS_ZEEK_S0);
    assert_int_equal(tcps_zeek_size(&z, true), 0);
}

/* A SYN with a new ISN in SYN_SENT: init_endpoint re-bases start_seq on it
 * (SYN_seq_jump), so its relative seq is 0 again: still no second 'S'.
 * (Zeek's IsReuse would start a new conn.log entry here; one connection
 * object cannot, see docs/zeek.md.) The same holds for a SYN/ACK sent again
 * with another ISN (ESTABLISHED also re-bases). */
static void test_repeated_syn_new_isn(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'O', SYN, OISN + 77777, 0, 0);
    EXPECT(&z, "S", TCPS_ZEEK_S0);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 77778, 0);
    tx(&z, 'R', SYN | ACK, RISN + 999, OISN + 77778, 0);
    EXPECT(&z, "Sh", TCPS_ZEEK_S1);
}

/* update_last_seq: payload at or below last_seq is a retransmission
 * (Endpoint::DidRxmit, 'T'/'t'), recorded by Connection::ScaledHistoryEntry
 * at the 1st, 10th, 100th ... occurrence (main.zeek: "logarithmic"). */
static void test_retransmissions(void **state)
{
    tcps_zeek z;
    int i;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 100);
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 100);       /* 1st */
    EXPECT(&z, "ShADT", TCPS_ZEEK_S1);
    tx(&z, 'R', ACK | PSH, RISN + 1, OISN + 101, 50);
    tx(&z, 'R', ACK | PSH, RISN + 1, OISN + 101, 50);      /* responder's 1st */
    EXPECT(&z, "ShADTdt", TCPS_ZEEK_S1);
    for (i = 2; i <= 9; i++)
        tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 51, 100);
    EXPECT(&z, "ShADTdt", TCPS_ZEEK_S1);
    tx(&z, 'O', ACK | PSH, OISN + 51, RISN + 51, 50);      /* 10th, partial */
    EXPECT(&z, "ShADTdtT", TCPS_ZEEK_S1);
    for (i = 11; i <= 99; i++)
        tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 51, 1);
    EXPECT(&z, "ShADTdtT", TCPS_ZEEK_S1);
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 51, 1);        /* 100th */
    EXPECT(&z, "ShADTdtTT", TCPS_ZEEK_S1);
}

/* update_last_seq: a keep-alive (seq = last_seq - 1, one octet) does not
 * advance last_seq, so Zeek counts it as a retransmission. New data never
 * does, nor a pure ACK or a FIN without payload. */
static void test_keepalive_counts_as_retransmission(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'O', ACK, OISN + 101, RISN + 51, 0);
    tx(&z, 'O', ACK | FIN, OISN + 101, RISN + 51, 0);
    tx(&z, 'O', ACK | FIN, OISN + 101, RISN + 51, 0);      /* FIN again: same spot */
    EXPECT(&z, "ShADadF", TCPS_ZEEK_S2);
    tx(&z, 'R', ACK, RISN + 50, OISN + 102, 1);            /* keep-alive */
    EXPECT(&z, "ShADadFt", TCPS_ZEEK_S2);
}

/* update_window: a zero window is Endpoint::ZeroWindow ('w'), scaled like
 * 't' (1st, 10th, ...); not counted on a RST, nor once the peer has sent a
 * FIN (peer CLOSED). The letter comes after the segment's a/d letter
 * (update_history runs first). */
static void test_zero_window(void **state)
{
    tcps_zeek z;
    int i;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    txw(&z, 'R', ACK, RISN + 1, OISN + 1, 0, 0);
    EXPECT(&z, "ShAaw", TCPS_ZEEK_S1);
    for (i = 2; i <= 9; i++)
        txw(&z, 'R', ACK, RISN + 1, OISN + 1, 0, 0);
    EXPECT(&z, "ShAaw", TCPS_ZEEK_S1);
    txw(&z, 'R', ACK, RISN + 1, OISN + 1, 0, 0);             /* 10th */
    EXPECT(&z, "ShAaww", TCPS_ZEEK_S1);
    txw(&z, 'O', ACK, OISN + 1, RISN + 1, 0, 0);             /* originator's 1st */
    EXPECT(&z, "ShAawwW", TCPS_ZEEK_S1);
    tx(&z, 'O', ACK | FIN, OISN + 1, RISN + 1, 0);
    for (i = 11; i <= 200; i++)                             /* peer closed: none */
        txw(&z, 'R', ACK, RISN + 1, OISN + 2, 0, 0);
    EXPECT(&z, "ShAawwWF", TCPS_ZEEK_S2);
    txw(&z, 'R', RST, RISN + 1, 0, 0, 0);                    /* RST: no 'w' */
    EXPECT(&z, "ShAawwWFr", TCPS_ZEEK_RSTR);
}

/* RST in the handshake, from each side (main.zeek conn_state):
 *  - originator after its SYN, no reply: os RESET, rs INACTIVE and the
 *    history matches the pattern "^?S[^HAFGIQ]*R.*": RSTOS0;
 *  - responder after the SYN: REJ (test_refused);
 *  - originator after the SYN/ACK: os RESET, rs ESTABLISHED: RSTO;
 *  - responder after its SYN/ACK: rs RESET, os ESTABLISHED: RSTR. */
static void test_rst_in_handshake(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'O', RST, OISN + 1, 0, 0);
    EXPECT(&z, "SR", TCPS_ZEEK_RSTOS0);

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    tx(&z, 'O', RST, OISN + 1, 0, 0);
    EXPECT(&z, "ShR", TCPS_ZEEK_RSTO);

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    tx(&z, 'R', RST | ACK, RISN + 1, OISN + 1, 0);
    EXPECT(&z, "Shr", TCPS_ZEEK_RSTR);
}

/* RST once established (Adapter::UpdateEstablishedState -> RESET):
 * RSTO from the originator, RSTR from the responder. */
static void test_rst_established(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'O', RST | ACK, OISN + 101, RISN + 51, 0);
    EXPECT(&z, "ShADadR", TCPS_ZEEK_RSTO);

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'R', RST | ACK, RISN + 51, OISN + 101, 0);
    EXPECT(&z, "ShADadr", TCPS_ZEEK_RSTR);
}

/* RST in the teardown (Adapter::UpdateClosedState, UpdateEstablishedState):
 *  - after the originator's FIN, the responder resets: RSTR;
 *  - the originator resets after its own FIN while the responder is open:
 *    CLOSED -> RESET: RSTO;
 *  - ...and the responder's FIN then turns that RESET (prev CLOSED) back to
 *    CLOSED, "actually normal termination": SF;
 *  - after both FINs a RST changes no state: SF. */
static void test_rst_in_teardown(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'O', ACK | FIN, OISN + 101, RISN + 51, 0);
    tx(&z, 'R', RST | ACK, RISN + 51, OISN + 102, 0);
    EXPECT(&z, "ShADadFr", TCPS_ZEEK_RSTR);

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'O', ACK | FIN, OISN + 101, RISN + 51, 0);
    tx(&z, 'O', RST, OISN + 102, 0, 0);
    EXPECT(&z, "ShADadFR", TCPS_ZEEK_RSTO);
    tx(&z, 'R', ACK | FIN, RISN + 51, OISN + 102, 0);
    EXPECT(&z, "ShADadFRf", TCPS_ZEEK_SF);

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'O', ACK | FIN, OISN + 101, RISN + 51, 0);
    tx(&z, 'R', ACK | FIN, RISN + 51, OISN + 102, 0);
    tx(&z, 'O', RST, OISN + 102, 0, 0);
    EXPECT(&z, "ShADadFfR", TCPS_ZEEK_SF);
    tx(&z, 'R', RST, RISN + 52, 0, 0);
    EXPECT(&z, "ShADadFfRr", TCPS_ZEEK_SF);
}

/* update_history: 'r' is recorded again only when the RST's relative seq
 * differs from the last RST's (hist_last_RST); likewise 'f' for the FIN's
 * position (end of its data). */
static void test_repeated_rst_and_fin(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'R', RST, RISN + 1, 0, 0);
    tx(&z, 'R', RST, RISN + 1, 0, 0);           /* same seq: no letter */
    EXPECT(&z, "ShAr", TCPS_ZEEK_RSTR);
    tx(&z, 'R', RST, RISN + 1000, 0, 0);        /* another seq */
    EXPECT(&z, "ShArr", TCPS_ZEEK_RSTR);

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', ACK | FIN, OISN + 1, RISN + 1, 0);
    tx(&z, 'O', ACK | FIN, OISN + 1, RISN + 1, 0);
    EXPECT(&z, "ShAF", TCPS_ZEEK_S2);
    tx(&z, 'O', ACK | FIN, OISN + 1, RISN + 1, 10);   /* FIN now after 10 octets */
    EXPECT(&z, "ShAFF", TCPS_ZEEK_S2);
}

/* update_history: SYN+FIN and SYN+RST are 'q' (multi-flag), FIN+RST is 'i'
 * (also with SYN), each once per direction. SYN+FIN from INACTIVE:
 * SYN_SENT then CLOSED, responder silent: main.zeek SH. */
static void test_multi_flag_packets(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN | FIN, OISN, 0, 0);
    EXPECT(&z, "Q", TCPS_ZEEK_SH);
    /* SYN+RST: same 'q' class, no letter. CLOSED + RST with the peer not
     * closed -> RESET (UpdateClosedState); r_inactive and the history does
     * not start with S: OTH. */
    tx(&z, 'O', SYN | RST, OISN, 0, 0);
    EXPECT(&z, "Q", TCPS_ZEEK_OTH);

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'R', FIN | RST | ACK, RISN + 1, OISN + 1, 0);
    EXPECT(&z, "ShAi", TCPS_ZEEK_RSTR);
    tx(&z, 'R', SYN | FIN | RST, RISN + 1, 0, 0);
    EXPECT(&z, "ShAi", TCPS_ZEEK_RSTR);
    tx(&z, 'R', SYN | RST, RISN + 1, 0, 0);
    EXPECT(&z, "ShAiq", TCPS_ZEEK_RSTR);
}

/* SH: the originator's SYN then FIN, no SYN/ACK (UpdateSYN_SentState:
 * FIN -> CLOSED; main.zeek: os CLOSED and r_inactive). */
static void test_sh(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'O', FIN, OISN + 1, 0, 0);
    EXPECT(&z, "SF", TCPS_ZEEK_SH);
}

/* S2 / S3: established, one side's FIN without the other's. */
static void test_s2_s3(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'O', ACK | FIN, OISN + 101, RISN + 51, 0);
    EXPECT(&z, "ShADadF", TCPS_ZEEK_S2);

    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'R', ACK | FIN, RISN + 51, OISN + 101, 0);
    EXPECT(&z, "ShADadf", TCPS_ZEEK_S3);
}

/* REJ's second form: both RESET and both sizes 0 (main.zeek), e.g. a
 * handshake torn down by RSTs from both sides before any data. */
static void test_rej_both_reset_without_data(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', RST, OISN + 1, 0, 0);
    EXPECT(&z, "ShAR", TCPS_ZEEK_RSTO);
    tx(&z, 'R', RST, RISN + 1, 0, 0);
    EXPECT(&z, "ShARr", TCPS_ZEEK_REJ);
    assert_int_equal(tcps_zeek_size(&z, true), 0);
    assert_int_equal(tcps_zeek_size(&z, false), 0);

    /* With data it is RSTR. */
    tcps_zeek_init(&z);
    exchange(&z);
    tx(&z, 'O', RST, OISN + 101, 0, 0);
    tx(&z, 'R', RST, RISN + 51, 0, 0);
    EXPECT(&z, "ShADadRr", TCPS_ZEEK_RSTR);
}

/* Midstream: no SYN, Zeek numbers the sender as though its SYN was seq-1
 * (init_endpoint) and the receiver from the ack (init_peer). Both sides
 * PARTIAL (UpdateInactiveState): main.zeek OTH. A FIN from a PARTIAL side
 * closes it (UpdateEstablishedState): SH, then SF. */
static void test_midstream(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 10);
    EXPECT(&z, "D", TCPS_ZEEK_OTH);
    tx(&z, 'R', ACK, RISN + 1, OISN + 11, 0);
    EXPECT(&z, "Da", TCPS_ZEEK_OTH);
    assert_int_equal(tcps_zeek_endpoint_state(&z, true), TCPS_ZEEK_EP_PARTIAL);
    assert_int_equal(tcps_zeek_endpoint_state(&z, false), TCPS_ZEEK_EP_PARTIAL);
    assert_int_equal(tcps_zeek_size(&z, true), 10);
    tx(&z, 'R', ACK | PSH, RISN + 1, OISN + 11, 20);
    tx(&z, 'O', ACK | FIN, OISN + 11, RISN + 21, 0);
    EXPECT(&z, "DadF", TCPS_ZEEK_SH);
    tx(&z, 'R', ACK | FIN, RISN + 21, OISN + 12, 0);
    EXPECT(&z, "DadFf", TCPS_ZEEK_SF);
    assert_int_equal(tcps_zeek_size(&z, false), 20);

    /* An originator RST on a partial connection: OTH (no leading S). */
    tcps_zeek_init(&z);
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 10);
    tx(&z, 'O', RST, OISN + 11, 0, 0);
    EXPECT(&z, "DR", TCPS_ZEEK_OTH);
}

/* First segment from the responder: Zeek's WantConnection flips the
 * roles when it creates the connection, and Connection::FlipRoles records
 * '^' before that segment's letters. */
static void test_midstream_responder_first(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'R', ACK | PSH, RISN + 1, OISN + 1, 10);
    EXPECT(&z, "^d", TCPS_ZEEK_OTH);
    tx(&z, 'O', ACK, OISN + 1, RISN + 11, 0);
    EXPECT(&z, "^dA", TCPS_ZEEK_OTH);
    assert_false(tcps_zeek_flipped(&z));

    /* A lone RST from the responder: rs RESET, os INACTIVE: RSTRH. */
    tcps_zeek_init(&z);
    tx(&z, 'R', RST, RISN + 1, 0, 0);
    EXPECT(&z, "^r", TCPS_ZEEK_RSTRH);
}

/* SYN/ACK seen first ("^h", responder ESTABLISHED, originator INACTIVE):
 *  - then the responder's RST: RSTRH (o_inactive);
 *  - then the responder's FIN: SHR;
 *  - then the originator's ACK: INACTIVE -> ESTABLISHED "we just missed
 *    that initial SYN" (UpdateInactiveState): S1. */
static void test_synack_first(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    EXPECT(&z, "^h", TCPS_ZEEK_OTH);
    tx(&z, 'R', RST, RISN + 1, 0, 0);
    EXPECT(&z, "^hr", TCPS_ZEEK_RSTRH);

    tcps_zeek_init(&z);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    tx(&z, 'R', FIN | ACK, RISN + 1, OISN + 1, 0);
    EXPECT(&z, "^hf", TCPS_ZEEK_SHR);

    tcps_zeek_init(&z);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    tx(&z, 'O', ACK, OISN + 1, RISN + 1, 0);
    EXPECT(&z, "^hA", TCPS_ZEEK_S1);
}

/* The SYN arriving after its SYN/ACK (capture reordering): the originator
 * goes INACTIVE -> SYN_SENT and UpdateSYN_SentState never establishes it:
 * OTH, until the FINs close both sides: SF. */
static void test_syn_after_synack(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    tx(&z, 'O', SYN, OISN, 0, 0);
    EXPECT(&z, "^hS", TCPS_ZEEK_OTH);
    tx(&z, 'O', ACK, OISN + 1, RISN + 1, 0);
    EXPECT(&z, "^hSA", TCPS_ZEEK_OTH);
    tx(&z, 'O', ACK | FIN, OISN + 1, RISN + 1, 0);
    tx(&z, 'R', ACK | FIN, RISN + 1, OISN + 2, 0);
    EXPECT(&z, "^hSAFf", TCPS_ZEEK_SF);
}

/* UpdateInactiveState: the responder's bare ACK of the SYN before any
 * SYN/ACK ("eccentric TCPs") leaves it INACTIVE: still S0. */
static void test_ack_before_synack_keeps_s0(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'R', ACK, RISN, OISN + 1, 0);
    EXPECT(&z, "Sa", TCPS_ZEEK_S0);
}

/* RSTOS0's pattern allows lower-case letters between S and R; Size()
 * returns 0 for a half-open endpoint aborted after some of its "data" was
 * acked (prev SYN_SENT, RESET, peer INACTIVE). */
static void test_rstos0_with_responder_ack(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'R', ACK, RISN, OISN + 500, 0);     /* acks 499 octets never sent */
    tx(&z, 'O', RST, OISN + 1, 0, 0);
    EXPECT(&z, "SaR", TCPS_ZEEK_RSTOS0);
    assert_int_equal(tcps_zeek_size(&z, true), 0);
}

/* Adapter::UpdateInactiveState, SYN/SYN-ACK reversal: the originator sent
 * a SYN/ACK ('H', SYN_ACK_SENT), then the silent responder a bare SYN
 * ('s'): Zeek flips the roles, appending '^' (Connection::FlipRoles) after
 * the letters already recorded, which keep their case. From then on Zeek's
 * originator is the caller's responder: its ACK is 'A'. */
static void test_syn_synack_reversal_flip(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN | ACK, RISN, OISN + 1, 0);
    EXPECT(&z, "H", TCPS_ZEEK_OTH);
    tx(&z, 'R', SYN, OISN, 0, 0);
    EXPECT(&z, "Hs^", TCPS_ZEEK_S1);
    assert_true(tcps_zeek_flipped(&z));
    tx(&z, 'R', ACK, OISN + 1, RISN + 1, 0);
    EXPECT(&z, "Hs^A", TCPS_ZEEK_S1);
    tx(&z, 'R', ACK | FIN, OISN + 1, RISN + 1, 0);     /* Zeek's orig closes */
    EXPECT(&z, "Hs^AF", TCPS_ZEEK_S2);
}

/* Sizes are from sequence numbers (Endpoint::Size) and survive wraparound. */
static void test_size_across_wrap(void **state)
{
    tcps_zeek z;
    const uint32_t isn = 0xFFFFFFF0u;
    (void)state;

    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, isn, 0, 0);
    tx(&z, 'R', SYN | ACK, RISN, isn + 1, 0);
    tx(&z, 'O', ACK, isn + 1, RISN + 1, 0);
    tx(&z, 'O', ACK | PSH, isn + 1, RISN + 1, 100);
    tx(&z, 'R', ACK, RISN + 1, isn + 101, 0);
    EXPECT(&z, "ShADa", TCPS_ZEEK_S1);
    assert_int_equal(tcps_zeek_size(&z, true), 100);
    assert_int_equal(tcps_zeek_size(&z, false), 0);
}

/* Letters past TCPS_ZEEK_HISTORY_MAX are dropped; the string stays
 * terminated and append-only. */
static void test_history_cap(void **state)
{
    tcps_zeek z;
    uint32_t i;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    for (i = 0; i < 40; i++)        /* 40 RSTs at different seqs: 'r' each */
        tx(&z, 'R', RST, RISN + 1 + i, 0, 0);
    assert_int_equal(tcps_zeek_history_len(&z), TCPS_ZEEK_HISTORY_MAX);
    assert_int_equal(strlen(history(&z)), TCPS_ZEEK_HISTORY_MAX);
    assert_int_equal(strncmp(history(&z), "ShArrr", 6), 0);
    assert_int_equal(tcps_zeek_conn_state(&z), TCPS_ZEEK_RSTR);
}

/* Append-only and always a valid code, over a long random mix of segments
 * (fixed-seed xorshift, so the run is reproducible). */
static uint32_t rng_state = 0x2545F491u;

static uint32_t rng(void)
{
    uint32_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void test_random_append_only(void **state)
{
    static const uint16_t flag_mix[] = {
        SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST, RST | ACK, SYN | FIN,
        SYN | RST, FIN | RST, SYN | FIN | RST, 0, FIN, PSH, 0x20, 0xFFF,
    };
    char prev[TCPS_ZEEK_HISTORY_MAX + 1];
    int conn, i;
    (void)state;

    for (conn = 0; conn < 200; conn++) {
        tcps_zeek z;
        uint32_t next[2] = { rng(), rng() };

        tcps_zeek_init(&z);
        for (i = 0; i < 300; i++) {
            tcps_zeek_segment s;
            int side = (int)(rng() & 1);
            tcps_zeek_state st;

            strcpy(prev, history(&z));
            memset(&s, 0, sizeof s);
            s.from_orig = side == 0;
            s.flags = flag_mix[rng() % (sizeof flag_mix / sizeof flag_mix[0])];
            s.len = (rng() & 3) ? rng() % 1500 : 0;
            /* Mostly in sequence, sometimes back (rexmit) or far off. */
            switch (rng() % 8) {
            case 0: s.seq = next[side] - rng() % 3000; break;
            case 1: s.seq = rng(); break;
            default: s.seq = next[side]; break;
            }
            s.ack = (rng() % 8) ? next[1 - side] : rng();
            s.window = (rng() % 5) ? 1 + rng() % 65535 : 0;
            next[side] = s.seq + s.len;
            tcps_zeek_update(&z, &s);

            assert_int_equal(strncmp(history(&z), prev, strlen(prev)), 0);
            assert_true(tcps_zeek_history_len(&z) >= strlen(prev));
            assert_true(tcps_zeek_history_len(&z) <= TCPS_ZEEK_HISTORY_MAX);
            assert_int_equal(strlen(history(&z)), tcps_zeek_history_len(&z));
            st = tcps_zeek_conn_state(&z);
            assert_true((unsigned)st < TCPS_ZEEK_NUM);
            assert_string_not_equal(tcps_zeek_state_name(st), "?");
            assert_true((unsigned)tcps_zeek_endpoint_state(&z, true) < TCPS_ZEEK_EP_NUM);
            assert_true((unsigned)tcps_zeek_endpoint_state(&z, false) < TCPS_ZEEK_EP_NUM);
        }
    }
}

static void test_names_and_size(void **state)
{
    static const char *const names[] = {
        "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR",
        "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
    };
    int i;
    (void)state;

    for (i = 0; i < TCPS_ZEEK_NUM; i++)
        assert_string_equal(tcps_zeek_state_name((tcps_zeek_state)i), names[i]);
    assert_string_equal(tcps_zeek_state_name(TCPS_ZEEK_NUM), "?");
    assert_string_equal(tcps_zeek_state_name((tcps_zeek_state)-1), "?");
    assert_int_equal(sizeof(tcps_zeek), 120);
}

/* The history is kept as 5-bit codes: every letter has its own code below
 * 32 and comes back as itself; anything else has none. */
static void test_letter_codes(void **state)
{
    const char *letters = TCPS_ZEEK_LETTERS;
    unsigned i, seen = 0;
    (void)state;

    for (i = 0; letters[i]; i++) {
        unsigned code = tcps_zeek_letter_code(letters[i]);

        assert_true(code >= 1 && code <= 31);   /* assert_in_range: deprecated in cmocka 2 (sid) */
        assert_false(seen & (1u << code));
        seen |= 1u << code;
        assert_int_equal(tcps_zeek_code_letter(code), letters[i]);
    }
    assert_int_equal(i, 25);
    assert_int_equal(tcps_zeek_letter_code('\0'), 0);
    assert_int_equal(tcps_zeek_letter_code('x'), 0);
    assert_int_equal(tcps_zeek_letter_code('B'), 0);
    assert_int_equal(tcps_zeek_code_letter(0), '\0');
    assert_int_equal(tcps_zeek_code_letter(26), '\0');
    assert_int_equal(tcps_zeek_code_letter(31), '\0');
}

/* Every letter at every place of the packed history (codes straddle byte
 * boundaries at most places), up to the cap, past which letters drop. */
static void test_history_packing(void **state)
{
    const char *letters = TCPS_ZEEK_LETTERS;
    unsigned n = (unsigned)strlen(letters), shift, i;
    char want[TCPS_ZEEK_HISTORY_BUF];
    (void)state;

    for (shift = 0; shift < n; shift++) {
        tcps_zeek z;

        tcps_zeek_init(&z);
        for (i = 0; i < TCPS_ZEEK_HISTORY_MAX + 3; i++) {
            char c = letters[(shift + i) % n];

            if (i < TCPS_ZEEK_HISTORY_MAX)
                want[i] = c;
            tcps_zeek_add_letter(&z, c);
            want[i < TCPS_ZEEK_HISTORY_MAX ? i + 1 : TCPS_ZEEK_HISTORY_MAX] = '\0';
            assert_string_equal(history(&z), want);
            assert_int_equal(tcps_zeek_history_len(&z), strlen(want));
        }
    }
}

/* TCPAnalyzer::ValidateChecksum: a segment with a bad TCP checksum adds
 * 'C'/'c' through TCP_Endpoint::ChecksumError (ScaledHistoryEntry: 1st,
 * 10th, 100th ...) and is then dropped: no other letter, no state. Zeek's
 * trace syn-bad (one SYN, bad checksum) logs OTH with history C. */
static void test_bad_checksum(void **state)
{
    tcps_zeek z;
    int i;
    (void)state;

    tcps_zeek_init(&z);
    txc(&z, 'O', SYN, OISN, 0, 0, WIN, BAD);
    EXPECT(&z, "C", TCPS_ZEEK_OTH);
    assert_int_equal(tcps_zeek_endpoint_state(&z, true), TCPS_ZEEK_EP_INACTIVE);
    /* The good SYN sent again: as though the first never came. */
    tx(&z, 'O', SYN, OISN, 0, 0);
    EXPECT(&z, "CS", TCPS_ZEEK_S0);
    txc(&z, 'R', SYN | ACK, RISN, OISN + 1, 0, WIN, BAD);
    EXPECT(&z, "CSc", TCPS_ZEEK_S0);
    assert_int_equal(tcps_zeek_endpoint_state(&z, false), TCPS_ZEEK_EP_INACTIVE);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 1, 0);
    tx(&z, 'O', ACK, OISN + 1, RISN + 1, 0);
    EXPECT(&z, "CSchA", TCPS_ZEEK_S1);
    /* A bad data segment neither delivers nor counts as sent: the good
     * copy is no retransmission ('t'), and its ack reveals no gap. */
    txc(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 100, WIN, BAD);
    EXPECT(&z, "CSchA", TCPS_ZEEK_S1);
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 100);
    tx(&z, 'R', ACK, RISN + 1, OISN + 101, 0);
    EXPECT(&z, "CSchADa", TCPS_ZEEK_S1);
    assert_int_equal(tcps_zeek_size(&z, true), 100);
    /* The 10th bad one from the originator adds 'C' again. */
    for (i = 3; i <= 9; i++)
        txc(&z, 'O', ACK, OISN + 101, RISN + 1, 0, WIN, BAD);
    EXPECT(&z, "CSchADa", TCPS_ZEEK_S1);
    txc(&z, 'O', ACK | FIN, OISN + 101, RISN + 1, 0, WIN, BAD);
    EXPECT(&z, "CSchADaC", TCPS_ZEEK_S1);
}

/* A first segment with a bad checksum still creates Zeek's connection,
 * roles flipped ('^') included (the connection exists before the checksum
 * is checked). */
static void test_bad_checksum_first_from_responder(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    txc(&z, 'R', SYN | ACK, RISN, OISN + 1, 0, WIN, BAD);
    EXPECT(&z, "^c", TCPS_ZEEK_OTH);
}

/* Zeek's trace tcp/miss_end_data.pcap (btest core/tcp/miss-end-data):
 * the responder's 2902 octets were never captured; the originator's ack of
 * the responder's FIN makes TCP_Reassembler::Undelivered report them
 * (content_gap F 1 2902), and with both ends established or cleanly
 * closing TCP_Endpoint::Gap adds 'g'. Zeek: SF, ShADafgF, resp_bytes 2902.
 * The ack of the FIN itself is no gap (AckReceived stops at FIN_seq - 1). */
static void test_gap_miss_end_data(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 538);
    tx(&z, 'R', ACK, RISN + 1, OISN + 539, 0);
    EXPECT(&z, "ShADa", TCPS_ZEEK_S1);
    tx(&z, 'R', ACK | FIN, RISN + 2903, OISN + 539, 0);
    EXPECT(&z, "ShADaf", TCPS_ZEEK_S3);
    tx(&z, 'O', ACK, OISN + 539, RISN + 2904, 0);
    EXPECT(&z, "ShADafg", TCPS_ZEEK_S3);
    tx(&z, 'O', ACK | FIN, OISN + 539, RISN + 2904, 0);
    tx(&z, 'R', ACK, RISN + 2904, OISN + 540, 0);
    EXPECT(&z, "ShADafgF", TCPS_ZEEK_SF);
    assert_int_equal(tcps_zeek_size(&z, true), 538);
    assert_int_equal(tcps_zeek_size(&z, false), 2902);
}

/* Zeek's trace tcp/retransmit-fast009.trace (btest core/tcp/rxmit-history):
 * every payload was cut short by the snap length (missed_bytes is all of
 * orig_bytes + resp_bytes), so the reassembler never gets any data and
 * every ack of new data is a gap, 'G' and 'g' at the 1st (then 10th ...).
 * A responder segment sent again is 't'; the originator's RST: RSTO.
 * Zeek: RSTO, ShADaGdgtR. */
static void test_gap_truncated_payloads(void **state)
{
    tcps_zeek z;
    uint32_t r = RISN + 1;
    int i;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    txc(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 474, WIN, CUT);
    tx(&z, 'R', ACK, RISN + 1, OISN + 475, 0);
    EXPECT(&z, "ShADaG", TCPS_ZEEK_S1);
    for (i = 0; i < 8; i++) {
        txc(&z, 'R', ACK, r, OISN + 475, 1448, WIN, CUT);
        r += 1448;
        if (i % 2)
            tx(&z, 'O', ACK, OISN + 475, r, 0);
    }
    EXPECT(&z, "ShADaGdg", TCPS_ZEEK_S1);
    txc(&z, 'R', ACK, r - 1448, OISN + 475, 1448, WIN, CUT);
    EXPECT(&z, "ShADaGdgt", TCPS_ZEEK_S1);
    tx(&z, 'O', RST | ACK, OISN + 475, r, 0);
    EXPECT(&z, "ShADaGdgtR", TCPS_ZEEK_RSTO);
}

/* Reassembly: data above a hole waits; the hole filled before the ack is
 * no gap (the late segment is 't' to update_last_seq); an ack over a hole
 * below a waiting range is one gap, and the range is then delivered
 * (TCP_Reassembler::Undelivered). The originator's data: 'G'. */
static void test_gap_reassembly(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', ACK | PSH, OISN + 101, RISN + 1, 100);    /* above [1, 101) */
    tx(&z, 'O', ACK | PSH, OISN + 1, RISN + 1, 100);      /* fills it */
    tx(&z, 'R', ACK, RISN + 1, OISN + 201, 0);
    EXPECT(&z, "ShADTa", TCPS_ZEEK_S1);
    tx(&z, 'O', ACK | PSH, OISN + 301, RISN + 1, 100);    /* [201, 301) missing */
    tx(&z, 'R', ACK, RISN + 1, OISN + 401, 0);
    EXPECT(&z, "ShADTaG", TCPS_ZEEK_S1);
    /* Delivered up to 401 now: an ack of it again, or of less, is none. */
    tx(&z, 'R', ACK, RISN + 1, OISN + 401, 0);
    EXPECT(&z, "ShADTaG", TCPS_ZEEK_S1);
    /* Nine more gaps, then the 10th letter. */
    {
        uint32_t o = OISN + 401;
        int i;
        for (i = 2; i <= 10; i++) {
            o += 100;                                     /* 100 missing */
            tx(&z, 'R', ACK, RISN + 1, o, 0);
        }
    }
    EXPECT(&z, "ShADTaGG", TCPS_ZEEK_S1);
}

/* Gaps enter the history only while both ends are ESTABLISHED, or CLOSED
 * from ESTABLISHED (is_clean): not during the handshake, not after a RST.
 * A partial connection's first ack is no gap (Undelivered, up_to <= 2). */
static void test_gap_only_when_clean(void **state)
{
    tcps_zeek z;
    (void)state;

    /* A bare ACK acks data the SYN never carried: the originator is
     * SYN_SENT, not clean. */
    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'R', ACK, RISN, OISN + 11, 0);
    EXPECT(&z, "Sa", TCPS_ZEEK_S0);
    /* The same on an established connection is a gap. */
    tcps_zeek_init(&z);
    tx(&z, 'O', SYN, OISN, 0, 0);
    tx(&z, 'R', SYN | ACK, RISN, OISN + 11, 0);
    EXPECT(&z, "ShG", TCPS_ZEEK_S1);
    /* After the originator's RST, no longer. */
    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', RST, OISN + 1, 0, 0);
    tx(&z, 'R', ACK, RISN + 1, OISN + 500, 0);            /* after the RST */
    EXPECT(&z, "ShARa", TCPS_ZEEK_RSTO);

    /* Midstream: the responder's first ack of the originator's data. */
    tcps_zeek_init(&z);
    tx(&z, 'O', ACK, OISN, RISN, 0);
    tx(&z, 'R', ACK, RISN, OISN + 1, 0);
    EXPECT(&z, "Aa", TCPS_ZEEK_OTH);
}

/* tcp_max_above_hole_without_any_acks (16384): more data than that above a
 * hole before any of it was acked, and the reassembler gives up on that
 * direction (skip_deliveries): its later holes are no gaps. */
static void test_gap_gives_up(void **state)
{
    tcps_zeek z;
    (void)state;

    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', ACK | PSH, OISN + 1001, RISN + 1, 16385);  /* [1, 1001) missing */
    tx(&z, 'R', ACK, RISN + 1, OISN + 17386, 0);
    EXPECT(&z, "ShADa", TCPS_ZEEK_S1);
    /* The same above 16384 is still a gap. */
    tcps_zeek_init(&z);
    handshake(&z);
    tx(&z, 'O', ACK | PSH, OISN + 1001, RISN + 1, 15384);
    tx(&z, 'R', ACK, RISN + 1, OISN + 16385, 0);
    EXPECT(&z, "ShADaG", TCPS_ZEEK_S1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_connection),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_syn_flood_and_repeated_syn),
        cmocka_unit_test(test_repeated_syn_new_isn),
        cmocka_unit_test(test_retransmissions),
        cmocka_unit_test(test_keepalive_counts_as_retransmission),
        cmocka_unit_test(test_zero_window),
        cmocka_unit_test(test_rst_in_handshake),
        cmocka_unit_test(test_rst_established),
        cmocka_unit_test(test_rst_in_teardown),
        cmocka_unit_test(test_repeated_rst_and_fin),
        cmocka_unit_test(test_multi_flag_packets),
        cmocka_unit_test(test_sh),
        cmocka_unit_test(test_s2_s3),
        cmocka_unit_test(test_rej_both_reset_without_data),
        cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_midstream_responder_first),
        cmocka_unit_test(test_synack_first),
        cmocka_unit_test(test_syn_after_synack),
        cmocka_unit_test(test_ack_before_synack_keeps_s0),
        cmocka_unit_test(test_rstos0_with_responder_ack),
        cmocka_unit_test(test_syn_synack_reversal_flip),
        cmocka_unit_test(test_size_across_wrap),
        cmocka_unit_test(test_history_cap),
        cmocka_unit_test(test_random_append_only),
        cmocka_unit_test(test_names_and_size),
        cmocka_unit_test(test_letter_codes),
        cmocka_unit_test(test_history_packing),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_bad_checksum_first_from_responder),
        cmocka_unit_test(test_gap_miss_end_data),
        cmocka_unit_test(test_gap_truncated_payloads),
        cmocka_unit_test(test_gap_reassembly),
        cmocka_unit_test(test_gap_only_when_clean),
        cmocka_unit_test(test_gap_gives_up),
    };
    return cmocka_run_group_tests_name("tcpstate zeek", tests, NULL, NULL);
}
