/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capture times (plugin/tcpstate_time.h): exact within ±146 years of the
 * base second, bounded beyond, and any two of them differ by less than
 * 2^63 ns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tcpstate_time.h"

/* b - a computed without overflow, for checking that it would not. */
static int fits_difference(int64_t a, int64_t b)
{
    int64_t d;
    return !__builtin_sub_overflow(b, a, &d);
}

static void test_ordinary_times_are_exact(void **state)
{
    (void)state;
    assert_true(tcps_time_ns(0, 0) == 0);
    assert_true(tcps_time_ns(1, 500) == 1000000500);
    assert_true(tcps_time_ns(1700000000, 999999999) == INT64_C(1700000000999999999));
    assert_true(tcps_time_ns(-1, 0) == -1000000000);
    /* The largest pcap timestamp, 2106-02-07 06:28:15. */
    assert_true(tcps_time_ns(UINT32_MAX, 999999999) == INT64_C(4294967295999999999));
}

/* pcapng after 2262 (microseconds), or with if_tsresol=0 and a value past
 * 2^63 (a negative time_t): seconds * 10^9 used to overflow. */
static void test_far_times_are_bounded(void **state)
{
    static const int64_t far[] = {
        INT64_C(9223372037),           /* 2262-04-11 23:47:17: just past int64 ns */
        INT64_C(10413792000),          /* 2300-01-01 */
        INT64_C(4611686019),           /* first second past the bound */
        INT64_MAX,
    };
    unsigned i;
    (void)state;

    for (i = 0; i < sizeof far / sizeof far[0]; i++) {
        assert_true(tcps_time_ns(far[i], 0) == TCPS_TIME_MAX_NS);
        assert_true(tcps_time_ns(far[i], 999999999) == TCPS_TIME_MAX_NS);
        assert_true(tcps_time_ns(-far[i], 0) == TCPS_TIME_MIN_NS);
        assert_true(tcps_time_ns(-far[i], -999999999) == TCPS_TIME_MIN_NS);
    }
    assert_true(tcps_time_ns(INT64_MIN, 0) == TCPS_TIME_MIN_NS);
    assert_true(tcps_time_ns(4611686018, 427387903) == TCPS_TIME_MAX_NS);
    assert_true(tcps_time_ns(4611686018, 427387902) == TCPS_TIME_MAX_NS - 1);
    assert_true(tcps_time_ns(4611686018, INT32_MAX) == TCPS_TIME_MAX_NS);
}

/* Every duration is a difference of two capture times: it must fit. */
static void test_differences_fit(void **state)
{
    static const int64_t secs[] = {
        INT64_MIN, -INT64_C(9223372037), -1, 0, UINT32_MAX, INT64_C(9223372037), INT64_MAX,
    };
    unsigned i, j;
    (void)state;

    for (i = 0; i < sizeof secs / sizeof secs[0]; i++)
        for (j = 0; j < sizeof secs / sizeof secs[0]; j++)
            assert_true(fits_difference(tcps_time_ns(secs[i], 0), tcps_time_ns(secs[j], 0)));
}

/* Seconds counted from the capture's first: exact whatever the dates. */
static void test_seconds_from_a_base(void **state)
{
    (void)state;
    assert_true(tcps_secs_sub(INT64_C(10413792001), INT64_C(10413792000)) == 1);
    assert_true(tcps_time_ns(tcps_secs_sub(INT64_C(10413792001), INT64_C(10413792000)), 5) ==
                1000000005);
    assert_true(tcps_secs_sub(INT64_MIN, 1) == INT64_MIN);
    assert_true(tcps_secs_sub(INT64_MAX, -1) == INT64_MAX);
    assert_true(tcps_secs_sub(INT64_MIN, INT64_MIN) == 0);
    assert_true(tcps_secs_sub(-5, INT64_MIN) == INT64_MAX - 4);
    assert_true(tcps_secs_sub(5, INT64_MIN) == INT64_MAX);
    assert_true(tcps_secs_sub(INT64_MAX, INT64_MAX) == 0);
    assert_true(tcps_time_ns(tcps_secs_sub(INT64_MAX, INT64_MIN), 0) == TCPS_TIME_MAX_NS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_times_are_exact),
        cmocka_unit_test(test_far_times_are_bounded),
        cmocka_unit_test(test_differences_fit),
        cmocka_unit_test(test_seconds_from_a_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
