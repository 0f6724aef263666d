/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_time.h — capture times as signed 64-bit nanoseconds, kept within
 * ±(2^62 - 1) ns of the epoch (years 1823 to 2116).
 *
 * Why a bound: seconds × 10^9 overflows int64 (undefined behaviour) after
 * the year 2262, and pcapng can say far more than that (if_tsresol=0 gives
 * whole seconds up to 2^64 - 1, read as a negative time_t past 2^63). Within
 * the bound, the difference of any two times fits in int64, so every
 * duration, age and offset computed from them is defined. A pcap
 * timestamp's largest value, 2^32 - 1 s (2106-02-07), is kept exactly;
 * later (or earlier) times all read as the bound.
 *
 * Pure C, no Wireshark headers: unit-tested in tests/unit/test_time.c.
 */
#ifndef TCPSTATE_TIME_H
#define TCPSTATE_TIME_H

#include <stdint.h>

#define TCPS_TIME_MAX_NS (((int64_t)1 << 62) - 1)
#define TCPS_TIME_MIN_NS (-TCPS_TIME_MAX_NS)

/* secs and nsecs as in nstime_t (nsecs need not be normalised). */
static inline int64_t
tcps_time_ns(int64_t secs, int32_t nsecs)
{
    const int64_t max_secs = TCPS_TIME_MAX_NS / 1000000000;
    int64_t t;

    if (secs > max_secs)
        return TCPS_TIME_MAX_NS;
    if (secs < -max_secs)
        return TCPS_TIME_MIN_NS;
    t = secs * 1000000000 + nsecs;                    /* |t| < 2^62 + 2^31 */
    return t > TCPS_TIME_MAX_NS ? TCPS_TIME_MAX_NS : t < TCPS_TIME_MIN_NS ? TCPS_TIME_MIN_NS : t;
}

#endif /* TCPSTATE_TIME_H */
