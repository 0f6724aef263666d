/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_time.h — capture times as signed 64-bit nanoseconds, counted
 * from a base second (the epan layer takes the first frame's) and kept
 * within ±(2^62 - 1) ns, about 146 years, of it.
 *
 * Why: seconds since 1970 × 10^9 overflows int64 (undefined behaviour)
 * after the year 2262, and pcapng can say far more than that (if_tsresol=0
 * gives whole seconds up to 2^64 - 1, read as a negative time_t past 2^63).
 * Counted from the capture's own start, every time of a capture spanning
 * less than 146 years is exact, whatever its dates; beyond that, times read
 * as the bound. Within the bound, the difference of any two times fits in
 * int64, so every duration, age and offset computed from them is defined.
 *
 * Pure C, no Wireshark headers: unit-tested in tests/unit/test_time.c.
 */
#ifndef TCPSTATE_TIME_H
#define TCPSTATE_TIME_H

#include <stdint.h>

#define TCPS_TIME_MAX_NS (((int64_t)1 << 62) - 1)
#define TCPS_TIME_MIN_NS (-TCPS_TIME_MAX_NS)

/* a - b, or the int64 bound it would pass. */
static inline int64_t
tcps_secs_sub(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* secs and nsecs as in nstime_t (nsecs need not be normalised), secs
 * already counted from the base. */
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
