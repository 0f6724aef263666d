/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the flat per-frame store (tcpstate_store.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tcpstate_store.h"

static void test_record_size(void **state)
{
    (void)state;
    assert_int_equal(sizeof(tcps_frame), 20);
}

static void test_put_get_erase(void **state)
{
    tcps_store *s = tcps_store_new();
    tcps_frame *r;
    (void)state;

    assert_null(tcps_store_get(s, 1));
    assert_null(tcps_store_put(s, 0));           /* frame numbers start at 1 */
    r = tcps_store_put(s, 5);
    assert_non_null(r);
    r->conn = 7;
    r->live = 0x43;
    assert_ptr_equal(tcps_store_get(s, 5), r);
    assert_null(tcps_store_get(s, 4));
    assert_null(tcps_store_get(s, 6));
    /* Far frames: new blocks, and earlier records do not move. */
    assert_non_null(tcps_store_put(s, 3000000));
    assert_ptr_equal(tcps_store_get(s, 5), r);
    assert_int_equal(tcps_store_get(s, 5)->conn, 7);
    assert_null(tcps_store_get(s, 2999999));
    /* put replaces: a zeroed record (a first-pass frame reusing a number). */
    r = tcps_store_put(s, 5);
    assert_int_equal(r->conn, 0);
    assert_int_equal(r->live, 0);
    tcps_store_erase(s, 5);
    assert_null(tcps_store_get(s, 5));
    tcps_store_clear(s);
    assert_null(tcps_store_get(s, 3000000));
    assert_int_equal(tcps_store_bytes(s), 0);
    tcps_store_free(s);
}

static void test_record_fields(void **state)
{
    tcps_frame fr;
    (void)state;

    memset(&fr, 0, sizeof fr);
    tcps_frame_set_live(&fr, TCPS_LAST_ACK, TCPS_FIN_WAIT_2);
    assert_int_equal(tcps_frame_live(&fr, 0), TCPS_LAST_ACK);
    assert_int_equal(tcps_frame_live(&fr, 1), TCPS_FIN_WAIT_2);
    /* the core record says CLOSED/CLOSED: hindsight differs */
    assert_true(tcps_frame_live_differs(&fr));
    fr.core.client = (uint8_t)(TCPS_CLOSE_WAIT << 4 | TCPS_LAST_ACK);  /* prev does not count */
    fr.core.server = TCPS_FIN_WAIT_2;
    assert_false(tcps_frame_live_differs(&fr));
    fr.core.server = TCPS_TIME_WAIT;
    assert_true(tcps_frame_live_differs(&fr));
    /* the record's own fields */
    assert_int_equal(tcps_record_prev(&fr.core, 0), TCPS_CLOSE_WAIT);
    assert_int_equal(tcps_record_state(&fr.core, 0), TCPS_LAST_ACK);
    assert_int_equal(tcps_record_prev(&fr.core, 1), TCPS_CLOSED);
    assert_int_equal(tcps_record_state(&fr.core, 1), TCPS_TIME_WAIT);
    assert_false(tcps_record_from_client(&fr.core));
    fr.core.misc = 0x20;
    assert_true(tcps_record_from_client(&fr.core));
    /* a pair: replacing one end keeps the other */
    assert_int_equal(tcps_pair(TCPS_TIME_WAIT, TCPS_CLOSE_WAIT), 0x89);
    assert_int_equal(tcps_pair_with(0x89, 0, TCPS_CLOSED), 0x09);
    assert_int_equal(tcps_pair_with(0x89, 1, TCPS_CLOSED), 0x80);
    assert_int_equal(tcps_pair_end(0x89, 0), TCPS_TIME_WAIT);
    assert_int_equal(tcps_pair_end(0x89, 1), TCPS_CLOSE_WAIT);
}

static void test_next_of_connection(void **state)
{
    tcps_store *s = tcps_store_new();
    uint32_t f, seen[8], n = 0;
    tcps_frame *r;
    (void)state;

    tcps_store_put(s, 2)->conn = 1;
    tcps_store_put(s, 3)->conn = 2;
    tcps_store_put(s, 4)->conn = 1;
    tcps_store_put(s, 100000)->conn = 1;    /* blocks in between stay empty */
    tcps_store_put(s, 100001)->conn = 1;
    for (f = 1; (r = tcps_store_next(s, 1, &f, 100001)) != NULL; f++) {
        r->revised = 1;
        seen[n++] = f;
    }
    assert_int_equal(n, 3);                   /* [1, 100001): end excluded */
    assert_int_equal(seen[0], 2);
    assert_int_equal(seen[1], 4);
    assert_int_equal(seen[2], 100000);
    assert_int_equal(tcps_store_get(s, 3)->revised, 0);
    assert_int_equal(tcps_store_get(s, 4)->revised, 1);
    f = 5;
    assert_null(tcps_store_next(s, 2, &f, 200000));
    tcps_store_free(s);
}

static void test_bytes_per_frame(void **state)
{
    tcps_store *s = tcps_store_new();
    uint32_t f;
    (void)state;

    for (f = 1; f <= 1000000; f++)
        tcps_store_put(s, f);
    /* 20 bytes a frame, plus at most one partly used block. */
    assert_true(tcps_store_bytes(s) <= 1000000u * 20 + 16384u * 20 + 4096);
    tcps_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_size),
        cmocka_unit_test(test_put_get_erase),
        cmocka_unit_test(test_record_fields),
        cmocka_unit_test(test_next_of_connection),
        cmocka_unit_test(test_bytes_per_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
