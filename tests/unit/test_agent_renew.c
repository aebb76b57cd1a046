/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_agent_renew.c - the device SDK's retry backoff (rp_backoff_ms)
 * (exponential, capped, jittered within [e/2, e], no overflow) and its renewal
 * schedule (rp_renew_due: window, spread, expired, short-lived certificates).
 */
#include <stdint.h>

#include "rampart/backoff.h"
#include "rampart/enroll.h"
#include "cmocka_all.h"

static void test_backoff_schedule(void **state)
{
	/* The bounds, attempt by attempt, for base 5 s and cap 1 h. */
	static const uint64_t e[] = {5000,    10000,   20000,   40000,
	                             80000,   160000,  320000,  640000,
	                             1280000, 2560000, 3600000, 3600000};
	unsigned a;

	(void)state;
	for (a = 0; a < sizeof e / sizeof e[0]; a++) {
		uint64_t lo = rp_backoff_ms(a, 5000, 3600000, 0);
		uint64_t hi = rp_backoff_ms(a, 5000, 3600000, UINT32_MAX);
		uint64_t mid = rp_backoff_ms(a, 5000, 3600000, 12345);

		assert_int_equal(lo, e[a] - e[a] / 2);
		assert_true(hi <= e[a]);
		assert_true(hi >= lo);
		assert_true(mid >= lo && mid <= e[a]);
	}
	/* rnd % (e/2 + 1) reaches e exactly. */
	assert_int_equal(rp_backoff_ms(0, 5000, 3600000, 2500), 5000);
	assert_int_equal(rp_backoff_ms(0, 5000, 3600000, 2501), 2500);
}

static void test_backoff_jitter_spreads(void **state)
{
	uint64_t seen_lo = UINT64_MAX, seen_hi = 0;
	uint32_t r;

	(void)state;
	/* Different random inputs give different delays across the range. */
	for (r = 0; r < 100000; r += 7) {
		uint64_t d = rp_backoff_ms(3, 1000, 60000, r * 2654435761u);

		if (d < seen_lo)
			seen_lo = d;
		if (d > seen_hi)
			seen_hi = d;
	}
	assert_true(seen_lo >= 4000 && seen_lo < 4100);
	assert_true(seen_hi <= 8000 && seen_hi > 7900);
}

static void test_backoff_edges(void **state)
{
	(void)state;
	/* Huge attempt numbers and bases stay at the cap. */
	assert_true(rp_backoff_ms(1000000, 5000, 3600000, UINT32_MAX) <=
	            3600000);
	assert_true(rp_backoff_ms(70, UINT64_MAX / 3, UINT64_MAX, 0) >=
	            UINT64_MAX / 2);
	assert_int_equal(rp_backoff_ms(5, 0, 3600000, 99), 0);
	/* A cap below the base wins. */
	assert_true(rp_backoff_ms(0, 5000, 1000, UINT32_MAX) <= 1000);
}

#define DAY 86400LL

static void test_renew_due(void **state)
{
	int64_t nb = 1000000, na = nb + 90 * DAY, w = -1;

	(void)state;
	/* Early in life: wait until 30 days before expiry (no spread). */
	assert_int_equal(rp_renew_due(nb, nb, na, 30 * DAY, 0, &w),
	                 RP_RENEW_WAIT);
	assert_int_equal(w, 60 * DAY);
	assert_int_equal(
	    rp_renew_due(na - 30 * DAY - 1, nb, na, 30 * DAY, 0, &w),
	    RP_RENEW_WAIT);
	assert_int_equal(w, 1);
	assert_int_equal(rp_renew_due(na - 30 * DAY, nb, na, 30 * DAY, 0, &w),
	                 RP_RENEW_NOW);
	assert_int_equal(w, 0);
	/* The spread moves the start by at most a tenth of the window. */
	assert_int_equal(rp_renew_due(nb, nb, na, 30 * DAY, UINT32_MAX, &w),
	                 RP_RENEW_WAIT);
	assert_true(w >= 60 * DAY && w <= 63 * DAY);
	assert_int_equal(
	    rp_renew_due(na - 27 * DAY, nb, na, 30 * DAY, UINT32_MAX, &w),
	    RP_RENEW_NOW);
	/* Expired: renewal cannot help. */
	assert_int_equal(rp_renew_due(na, nb, na, 30 * DAY, 0, &w),
	                 RP_RENEW_EXPIRED);
	/* Shorter-lived than the window: due at once. */
	assert_int_equal(rp_renew_due(nb, nb, nb + DAY, 30 * DAY, 7, &w),
	                 RP_RENEW_NOW);
	/* Window 0: due only at the end. */
	assert_int_equal(rp_renew_due(na - 1, nb, na, 0, 7, &w), RP_RENEW_WAIT);
	assert_int_equal(w, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff_schedule),
	    cmocka_unit_test(test_backoff_jitter_spreads),
	    cmocka_unit_test(test_backoff_edges),
	    cmocka_unit_test(test_renew_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
