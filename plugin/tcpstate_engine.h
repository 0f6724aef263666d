/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_engine.h — the pure TCP connection state engine.
 *
 * Plain C11, no Wireshark headers and no global state: a connection object
 * goes in with a segment, both endpoints' before/after RFC 9293 states, the
 * connection phase and a set of events come out. The epan layer feeds it the
 * segments of one tcp.stream in capture order; the unit tests feed it
 * hand-made segments.
 *
 * Reading rule (docs/semantics.md): a state printed for a segment is that
 * endpoint's state right after the sender sent the segment and right after
 * the receiver processed it, assuming it arrives. Later segments may prove
 * an assumption wrong (a retransmitted FIN shows the final ACK was lost);
 * the engine then corrects the endpoint and names the segment that never
 * arrived in tcps_result.lost_frame.
 */
#ifndef TCPSTATE_ENGINE_H
#define TCPSTATE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "tcpstate_tcpflags.h"   /* TCPS_TH_*: tcps_segment.flags */

/* The RFC 9293 §3.3.2 states, the one list: X(NAME, number) gives the
 * enum (TCPS_NAME) and the name that tcps_state_name() and the fields'
 * value_string print (NAME). The numbering is part of the interface:
 * tshark -T fields prints these numbers. They run from 0 without a gap
 * (checked in tcpstate_engine.c). */
#define TCPS_STATES(X)      \
    X(CLOSED,      0)       \
    X(LISTEN,      1)       \
    X(SYN_SENT,    2)       \
    X(SYN_RCVD,    3)       \
    X(ESTABLISHED, 4)       \
    X(FIN_WAIT_1,  5)       \
    X(FIN_WAIT_2,  6)       \
    X(CLOSING,     7)       \
    X(TIME_WAIT,   8)       \
    X(CLOSE_WAIT,  9)       \
    X(LAST_ACK,    10)

typedef enum {
#define TCPS_STATE_ENUM(NAME, num) TCPS_##NAME = num,
    TCPS_STATES(TCPS_STATE_ENUM)
#undef TCPS_STATE_ENUM
    TCPS_NUM_STATES
} tcps_state;

/* Where the connection as a whole stands. */
typedef enum {
    TCPS_PHASE_HANDSHAKE = 0,   /* some endpoint is in SYN_SENT or SYN_RCVD */
    TCPS_PHASE_DATA_TRANSFER,   /* both ESTABLISHED */
    TCPS_PHASE_TEARDOWN,        /* a FIN has been sent and not both are CLOSED */
    TCPS_PHASE_CLOSED,          /* no connection exists: both CLOSED (or client
                                 * CLOSED and server LISTEN) without a reset */
    TCPS_PHASE_RESET,           /* ended by an accepted RST */
    TCPS_NUM_PHASES
} tcps_phase;


/* Events: what happened on a segment beyond plain state changes. */
#define TCPS_EV_SYN_RETRANSMIT      (1u << 0)  /* a SYN sent again */
#define TCPS_EV_SYNACK_RETRANSMIT   (1u << 1)  /* a SYN/ACK sent again */
#define TCPS_EV_FIN_RETRANSMIT      (1u << 2)  /* a FIN sent again */
#define TCPS_EV_SIMULTANEOUS_OPEN   (1u << 3)  /* both sides sent a bare SYN */
#define TCPS_EV_SIMULTANEOUS_CLOSE  (1u << 4)  /* both FINs crossed */
#define TCPS_EV_RST_ACCEPTED        (1u << 5)  /* the receiver accepts the RST */
#define TCPS_EV_RST_IGNORED         (1u << 6)  /* RST outside the sequence space seen */
#define TCPS_EV_REFUSED             (1u << 7)  /* RST answering a SYN: refused */
#define TCPS_EV_TIME_WAIT_RESTART   (1u << 8)  /* a retransmitted FIN restarted 2·MSL */
#define TCPS_EV_TIME_WAIT_EXPIRED   (1u << 9)  /* a TIME_WAIT ran out before this segment */
#define TCPS_EV_LOSS_REVEALED       (1u << 10) /* the sender never got an earlier segment */
#define TCPS_EV_REUSE               (1u << 11) /* a new SYN started a fresh connection */
#define TCPS_EV_MIDSTREAM           (1u << 12) /* first segment seen was not a bare SYN */
#define TCPS_EV_DATA_AFTER_FIN      (1u << 13) /* payload beyond the sender's FIN */
#define TCPS_EV_FROM_CLOSED         (1u << 14) /* sent by an endpoint that is CLOSED */
#define TCPS_EV_SYN_IN_SYNCHRONIZED (1u << 15) /* new SYN on a synchronized connection */
#define TCPS_EV_BAD_HANDSHAKE_ACK   (1u << 16) /* SYN/ACK or third ACK not acking ISN+1 */
#define TCPS_EV_INVALID_FLAGS       (1u << 17) /* e.g. SYN+FIN, or no ACK: dropped by RFC 9293 */
#define TCPS_EV_TIME_WAIT_ASSASSINATED (1u << 18) /* a RST closed a TIME_WAIT (RFC 1337) */
#define TCPS_EV_FIN_OUT_OF_ORDER    (1u << 19) /* the receiver has not taken the peer's FIN:
                                                  data before it is missing (§3.10.7.4) */
#define TCPS_EV_PEER_SILENT         (1u << 20) /* RST after unanswered keep-alive probes:
                                                  the receiver is taken not to get it */
#define TCPS_EV_ENDED_UNSEEN        (1u << 21) /* hindsight only: the endpoint's socket had
                                                  ended (a timeout) before this segment */
#define TCPS_EV_BAD_CHECKSUM        (1u << 22) /* its receiver drops it: bad checksum */

/* One segment, as the engine needs it. */
typedef struct {
    uint32_t seq;        /* sequence number as on the wire */
    uint32_t ack;        /* acknowledgment number as on the wire */
    uint32_t len;        /* payload octets */
    uint16_t flags;      /* TCPS_TH_* */
    uint16_t src_port;   /* only used to guess roles on a midstream start */
    uint16_t dst_port;
    bool     from_a;     /* sent by endpoint A: the sender of the first
                            segment this connection object was given */
    int64_t  time_ns;    /* capture time */
    uint32_t frame;      /* caller's identifier of the segment (frame number),
                            echoed back in tcps_result.lost_frame */
    bool     bad_checksum; /* its IP or TCP checksum was checked and is
                            wrong: its receiver drops it, no state changes */
} tcps_segment;

/* Tunables; passed in, never global. */
typedef struct {
    uint32_t msl_ms;     /* maximum segment lifetime; TIME_WAIT lasts 2·MSL;
                            a SYN after 2·MSL of silence, outside the old
                            sequence space, opens a new connection */
} tcps_config;

/* What one endpoint is known to have done: the state is derived from these
 * facts (ep_state() in tcpstate_engine.c), which lets a later segment correct a single
 * assumption without replaying history. Times are capture times in
 * nanoseconds (64 bits: no wrap, no saturation). Treat as opaque. */
typedef struct {
    uint32_t isn;         /* sequence number of its SYN */
    uint32_t nxt;         /* one past the highest sequence number it sent */
    uint32_t fin_seq;     /* sequence number its FIN occupies */
    uint32_t last_ack;    /* last acknowledgment number it sent */
    uint32_t rx_frame;    /* segment whose arrival last changed its state */
    uint32_t tx_frame;    /* its latest segment */
    uint32_t fin_frame;   /* its first FIN; before it sends one, while it may
                             have taken the peer's bare SYN in SYN_SENT
                             (simultaneous open), that SYN */
    uint32_t facts;       /* F_* (private) */
    int64_t  rx_ns;       /* when that segment passed the capture point */
    int64_t  tx_ns;       /* when it last sent a segment */
    int64_t  rtt_ns;      /* round trip capture point -> it -> capture point */
    int64_t  tw_since_ns; /* when its current TIME_WAIT (re)started */
    int64_t  probe_ns;    /* its first keep-alive probe not answered yet, 0 none */
    int64_t  seg_ns[2];   /* when its last two data segments passed, */
    uint32_t seg_seq[2];  /* and where they start (older first) */
} tcps_endpoint;

/* One connection (one incarnation of a 4-tuple). Treat as opaque. Holds
 * nothing that the rest derives: the time of its latest segment is its
 * sender's tx_ns, and a bare SYN kept for a challenge ACK (RFC 5961 §4) is
 * always that latest segment (it is forgotten on the next one), so only its
 * sequence number is kept. 208 bytes (checked at compile time). */
typedef struct {
    tcps_endpoint ep[2];  /* [0] = client, [1] = server */
    uint32_t syn_seq;     /* that SYN's sequence number, while kept */
    uint32_t cross_frame; /* the segment of endpoint cross_ep that crossed
                             the segment which last changed it (a
                             simultaneous open or close), 0 none: it held its
                             earlier state until then, so a later revision of
                             that endpoint starts there */
    uint8_t  flags;       /* TCPS_C_* (private) */
    uint8_t  first_closer;/* 0 client, 1 server; valid once a FIN was seen */
    uint8_t  cross_ep;
} tcps_conn;

/* Hindsight (docs/semantics.md): a segment proves that one endpoint did not
 * hold, from an earlier frame on, the states the earlier frames show for it.
 * The caller rewrites its stored records of frames [from_frame, this frame):
 * the endpoint's state after each is `held`, its state before each is `held`
 * too except on from_frame, where it is `before` (or unchanged when `before`
 * is TCPS_NUM_STATES); on this frame its state before is `held`. */
typedef enum {
    TCPS_REV_NONE = 0,
    TCPS_REV_LOST,        /* from_frame never reached the endpoint */
    TCPS_REV_CROSSED,     /* from_frame reached it only after it sent this one */
    TCPS_REV_CROSSED_OWN, /* the same, and it held `held` until it sent this
                             one, whose state before (the state it entered by
                             sending it) is kept */
    TCPS_REV_REFUSED,     /* no listener: RST answers the SYN, no SYN/ACK */
    TCPS_REV_ENDED,       /* a bare RST answers from_frame: the socket was gone */
    TCPS_REV_FIN_QUEUED,  /* from_frame's FIN arrived out of order, not taken */
    TCPS_REV_NEW_CONN,    /* from_frame was the SYN of a new connection */
    TCPS_REV_UNANSWERED,  /* end of capture: nothing ever answered from_frame's
                             SYN (the server never left LISTEN) or SYN/ACK
                             (the client never left SYN_SENT) */
} tcps_rev_cause;

typedef struct {
    uint32_t from_frame;  /* 0: no revision */
    uint8_t  held;
    uint8_t  before;
    uint8_t  cause;       /* tcps_rev_cause */
} tcps_revision;

/* The engine's answer for one segment. */
typedef struct {
    uint8_t  prev[2];          /* [0] client, [1] server: right before */
    uint8_t  state[2];         /* right after */
    uint8_t  phase;            /* tcps_phase */
    uint8_t  handshake_step;   /* 0 none, 1 SYN, 2 SYN/ACK, 3 completing ACK */
    uint8_t  teardown_steps;   /* bit n-1 set for step n (1..4) */
    bool     from_client;
    bool     midstream;        /* states inferred without the handshake */
    uint32_t events;           /* TCPS_EV_* */
    uint32_t lost_frame;       /* nonzero: this earlier segment evidently
                                  never reached its receiver */
    bool     rx_recorded;      /* this segment changed its receiver by
                                  arriving: if the receiver later shows it
                                  never got it, lost_frame will name it */
    tcps_revision revision[2]; /* [0] client, [1] server: see tcps_revision */
} tcps_result;

/* A connection that has seen nothing yet. */
void tcps_conn_init(tcps_conn *conn);

/* Feed one segment; fills *out. Never fails: odd input yields events. */
void tcps_conn_process(tcps_conn *conn, const tcps_config *cfg,
                       const tcps_segment *seg, tcps_result *out);

/* Hindsight once the whole capture is known (docs/semantics.md): a bare
 * SYN that nothing from the server ever answered (no SYN/ACK, no RST, no
 * segment at all) was dropped or ignored, e.g. by a full SYN queue, so the
 * server held LISTEN from that SYN's frame on. Fills *rv for the server
 * (revision[1]) and returns true if so. */
bool tcps_conn_unanswered_syn(const tcps_conn *conn, tcps_revision *rv);

/* The mirror image, for the client: a SYN/ACK that made it ESTABLISHED,
 * after which the client never sent a thing (no ACK, no data, no SYN, no
 * RST) up to end_ns, the end of the capture, at least TCP_TIMEOUT_INIT
 * (1 s, RFC 6298 §2.1) later. A client that took the SYN/ACK answers it
 * (§3.10.7.3), and one still waiting for it sends its SYN again within
 * that second, so it never took it: spoofed, gone, or the SYN/ACK was lost.
 * It held SYN_SENT from that SYN/ACK's frame on. Fills *rv for the client
 * (revision[0]) and returns true if so. */
bool tcps_conn_unanswered_synack(const tcps_conn *conn, int64_t end_ns, tcps_revision *rv);

/* A server that took a SYN as a listener (passive open), answered it with
 * a SYN/ACK and is still in SYN_RCVD: it is waiting for the third ACK,
 * retransmitting its SYN/ACK on a timer. */
bool tcps_conn_passive_half_open(const tcps_conn *conn);

/* Linux's give-up rule for such a server (docs/semantics.md): its request
 * timer fires TCP_TIMEOUT_INIT (1 s) after the first SYN/ACK and doubles
 * at each timeout, up to TCP_RTO_MAX (120 s); each firing retransmits the
 * SYN/ACK until tcp_synack_retries are spent, and the firing after the
 * last one drops the request. A SYN/ACK that answers a retransmitted SYN
 * re-arms the timer with the same interval. So after `timeouts`
 * timer-driven retransmissions, the next firing, which either retransmits
 * or gives up, is due this long after the latest SYN/ACK. */
int64_t tcps_synack_timer_ns(unsigned timeouts);

/* CLOSED or LISTEN: the end has no connection (RFC 9293 §3.3.2; a
 * listener waits for one). Both ends so: the phase is CLOSED. */
bool tcps_state_unconnected(unsigned s);

/* CLOSED, LISTEN or TIME_WAIT: an end with no connection left to run. A
 * new SYN finds both ends of a finished connection idle; unlike
 * tcps_state_unconnected, a TIME_WAIT end counts, since a new SYN may end
 * it (RFC 9293 §3.10.7.4 TIME-WAIT, RFC 6191). */
bool tcps_state_is_idle(tcps_state s);

/* The phase of a connection whose ends are in states client and server
 * after a segment that was handshake step handshake_step (0: none), on a
 * connection that an accepted RST ended (reset) or on which a FIN was seen
 * (fin_seen). The one definition of tcps_phase: the engine uses it for
 * each segment, tcps_record_revise for each revised record. */
tcps_phase tcps_phase_of(unsigned client, unsigned server, unsigned handshake_step, bool reset,
                         bool fin_seen);

#ifdef TCPSTATE_TEST_HOOKS
/* For the unit tests only: the engine's one ACK test (the plugin has no use
 * for them, so it is built without them). Does an acknowledgment number
 * `ack` cover the octet (or SYN, or FIN) numbered `seq`, i.e. SEG.ACK > seq
 * in sequence space (RFC 9293 §3.4)? Is `ack` acceptable to an end that has
 * SND.UNA = una and SND.NXT = nxt: SND.UNA < SEG.ACK =< SND.NXT (RFC 9293
 * §3.10.7.3, §3.10.7.4)? */
bool tcps_ack_covers(uint32_t ack, uint32_t seq);
bool tcps_ack_acceptable(uint32_t una, uint32_t nxt, uint32_t ack);
#endif /* TCPSTATE_TEST_HOOKS */

/* The name, exactly as the value_string and docs spell it. */
const char *tcps_state_name(tcps_state s);

/* "C:SYN_SENT>ESTABLISHED S:SYN_RCVD" into buf (at least 64 bytes). */
void tcps_result_summary(const tcps_result *r, char *buf, unsigned size);

#endif /* TCPSTATE_ENGINE_H */
