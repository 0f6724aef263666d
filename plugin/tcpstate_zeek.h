/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_zeek.h — Zeek's conn_state and history for one TCP connection.
 *
 * Plain C11, no Wireshark headers and no global state. The caller feeds the
 * segments of one connection in capture order, each marked with who sent it
 * (the caller decides the roles); after every segment the module answers
 * what Zeek's conn.log would say in `conn_state` and `history` if the
 * connection ended right after that segment ("running" values).
 *
 * The rules are Zeek's own, re-implemented from reading its source (never
 * copied); docs/zeek.md maps every value to the Zeek file and function it
 * comes from, and lists the deviations:
 *   - endpoint states: TCPSessionAdapter::UpdateStateMachine and its
 *     Update*State helpers (src/packet_analysis/protocol/tcp/
 *     TCPSessionAdapter.cc), TCP_Endpoint (src/analyzer/protocol/tcp/);
 *   - history letters: update_history, update_window (ZeroWindow),
 *     update_last_seq (DidRxmit) in TCPSessionAdapter.cc,
 *     Connection::CheckHistory / ScaledHistoryEntry / FlipRoles;
 *   - conn_state: function conn_state in
 *     scripts/base/protocols/conn/main.zeek.
 *
 * The history is append-only: every later value starts with every earlier
 * one, so a caller may store only its length per segment. (Zeek's own
 * history is append-only too: a role flip appends '^', it never rewrites
 * the letters already recorded.)
 */
#ifndef TCPSTATE_ZEEK_H
#define TCPSTATE_ZEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zeek's conn_state codes (scripts/base/protocols/conn/main.zeek). */
typedef enum {
    TCPS_ZEEK_S0,      /* connection attempt seen, no reply */
    TCPS_ZEEK_S1,      /* established, not terminated */
    TCPS_ZEEK_SF,      /* normal establishment and termination */
    TCPS_ZEEK_REJ,     /* connection attempt rejected */
    TCPS_ZEEK_S2,      /* established, close attempt by originator only */
    TCPS_ZEEK_S3,      /* established, close attempt by responder only */
    TCPS_ZEEK_RSTO,    /* established, originator aborted (RST) */
    TCPS_ZEEK_RSTR,    /* responder sent a RST */
    TCPS_ZEEK_RSTOS0,  /* originator sent a SYN then a RST, no SYN/ACK seen */
    TCPS_ZEEK_RSTRH,   /* responder sent a SYN/ACK then a RST, no SYN seen */
    TCPS_ZEEK_SH,      /* originator sent a SYN then a FIN, no SYN/ACK seen */
    TCPS_ZEEK_SHR,     /* responder sent a SYN/ACK then a FIN, no SYN seen */
    TCPS_ZEEK_OTH,     /* no SYN seen, midstream traffic */
    TCPS_ZEEK_NUM
} tcps_zeek_state;

/* Zeek's per-endpoint states, in Zeek's order (TCP_ENDPOINT_* in
 * src/analyzer/protocol/tcp/TCP_Endpoint.h; TCP_INACTIVE ... TCP_RESET in
 * scripts). conn_state is a function of these two and the two sizes. */
typedef enum {
    TCPS_ZEEK_EP_INACTIVE = 0,   /* nothing seen from this side */
    TCPS_ZEEK_EP_SYN_SENT,       /* SYN seen, no SYN/ACK */
    TCPS_ZEEK_EP_SYN_ACK_SENT,   /* the originator sent a SYN/ACK, no SYN */
    TCPS_ZEEK_EP_PARTIAL,        /* data seen, no SYN */
    TCPS_ZEEK_EP_ESTABLISHED,
    TCPS_ZEEK_EP_CLOSED,         /* FIN seen */
    TCPS_ZEEK_EP_RESET,          /* RST seen */
    TCPS_ZEEK_EP_NUM
} tcps_zeek_ep_state;

/* One segment. */
typedef struct {
    bool     from_orig;  /* sent by the originator (the caller's roles) */
    uint16_t flags;      /* raw TCP flags, 12 bits as on the wire:
                            TCPS_TH_* (tcpstate_tcpflags.h) */
    uint32_t seq, ack;   /* raw sequence / acknowledgment numbers */
    uint32_t len;        /* payload octets */
    uint32_t window;     /* raw window field (unscaled) */
    bool     bad_checksum; /* the TCP checksum was checked and is wrong:
                            Zeek records 'c'/'C' and drops the segment
                            (TCPAnalyzer::ValidateChecksum). A segment with
                            a bad IP checksum never reaches Zeek's TCP
                            analysis: do not feed it at all. */
    bool     truncated;  /* its payload was not all captured: Zeek's
                            reassembler never gets it, so an ACK of it
                            reveals a content gap ('g'/'G') */
} tcps_zeek_segment;

/* Letters kept in the history. Zeek's own string is unbounded, but grows
 * only by the a/d/i/q letters (once per direction), s/h/f/r (when the
 * sequence number changes) and the logarithmic t/w letters; real histories
 * rarely pass 20 letters. Letters past the cap are dropped (the
 * conn_state rule that reads the history, RSTOS0, still sees them). */
#define TCPS_ZEEK_HISTORY_MAX 25

/* What Zeek keeps per endpoint (TCP_Endpoint and its TCP_Reassembler),
 * reduced to what conn_state and history need. Sequence numbers are
 * absolute, compared modulo 2^32; the reassembler's are relative to start
 * (1 is the first data octet after the SYN). Treat as opaque. 48 bytes. */
typedef struct {
    uint32_t start;      /* start_seq: ISN, or first seq - 1 if no SYN seen */
    uint32_t last;       /* last_seq: one past the highest seq it sent */
    uint32_t ack;        /* ack_seq: highest ack the peer sent for it */
    uint32_t hist_syn;   /* hist_last_SYN / _FIN / _RST: relative seq of its */
    uint32_t hist_fin;   /* last SYN, FIN (end of data) and RST, to decide */
    uint32_t hist_rst;   /* whether s/h, f, r are recorded again */
    uint32_t rxmt;       /* retransmissions seen ('t'), saturating */
    uint32_t win0;       /* zero windows advertised ('w'), saturating */
    uint32_t reassem;    /* last_reassem_seq: its data delivered up to here */
    uint32_t blk_lo;     /* its data buffered above a hole, [blk_lo, blk_hi); */
    uint32_t blk_hi;     /* empty when equal (one range: see docs/zeek.md) */
    uint16_t gaps;       /* content gaps of its data ('g'), saturating */
    uint16_t chk;        /* its segments with a bad checksum ('c'), saturating */
} tcps_zeek_endpoint;

/* The history's letters: '^', and Zeek's twelve letters in the
 * originator's (upper) and responder's (lower) case. Each is kept in 5 bits
 * (its place in this string, plus one; 0 ends the history). */
#define TCPS_ZEEK_LETTERS "^SHADFRIQTWCGshadfriqtwcg"

/* One connection. Treat as opaque. Exactly 120 bytes (checked at compile
 * time in tcpstate_zeek.c), history included. */
typedef struct {
    tcps_zeek_endpoint ep[2];  /* [0] the caller's originator, [1] responder */
    uint16_t seen;             /* Connection::hist_seen: once-only letters */
    uint8_t  st[2];            /* state | prev_state << 3 | FIN seen << 6
                                  | reassembler gave up << 7 */
    uint8_t  flags;            /* private: first segment seen, roles flipped,
                                  RSTOS0 history matcher, partial status */
    uint8_t  len;              /* letters in the history */
    uint8_t  hist[(TCPS_ZEEK_HISTORY_MAX * 5 + 7) / 8]; /* 5-bit letter codes */
} tcps_zeek;

/* A connection that has seen nothing: state OTH, history "". */
void tcps_zeek_init(tcps_zeek *z);

/* Feed one segment. Never fails. */
void tcps_zeek_update(tcps_zeek *z, const tcps_zeek_segment *s);

/* conn_state as Zeek would log it if the connection ended now. */
tcps_zeek_state tcps_zeek_conn_state(const tcps_zeek *z);

/* "S0", "SF", ...; "?" for a value out of range. */
const char *tcps_zeek_state_name(tcps_zeek_state st);

/* The history so far, NUL-terminated, written into buf (at least
 * TCPS_ZEEK_HISTORY_BUF bytes), which it returns. Append-only. */
#define TCPS_ZEEK_HISTORY_BUF (TCPS_ZEEK_HISTORY_MAX + 1)
const char *tcps_zeek_history(const tcps_zeek *z, char *buf);
size_t tcps_zeek_history_len(const tcps_zeek *z);

#ifdef TCPSTATE_TEST_HOOKS
/* For the unit tests and the fuzz harness only (the plugin has no use for
 * them, so it is built without them): what conn_state is derived from. */

/* Zeek's endpoint state and payload size (TCP_Endpoint::Size(): derived
 * from sequence numbers, SYN and FIN octets excluded) of the originator
 * (orig true) or the responder, in Zeek's roles. These are what
 * conn_state reads; the sizes are also conn.log's orig_bytes/resp_bytes.
 * Sizes are computed modulo 2^32 (Zeek counts sequence wraps). */
tcps_zeek_ep_state tcps_zeek_endpoint_state(const tcps_zeek *z, bool orig);
uint64_t tcps_zeek_size(const tcps_zeek *z, bool orig);

/* True when Zeek's roles were flipped by its SYN/SYN-ACK reversal rule
 * (TCPSessionAdapter::UpdateInactiveState): from then on Zeek's originator
 * is the caller's responder. Unreachable when the caller follows tcpstate's
 * role rules (a SYN/ACK's sender is always the responder). */
bool tcps_zeek_flipped(const tcps_zeek *z);

/* The 5-bit code of a history letter (1..25; 0 for a character that is
 * not one), and the letter of a code (0 for a code that is none). */
unsigned tcps_zeek_letter_code(char c);
char tcps_zeek_code_letter(unsigned code);

/* Append a letter as Zeek's Connection::AddHistory would (up to the cap). */
void tcps_zeek_add_letter(tcps_zeek *z, char c);
#endif /* TCPSTATE_TEST_HOOKS */

#endif /* TCPSTATE_ZEEK_H */
