/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_range.c - the firmware route's Range and If-Range readers
 * (server/http/range.c, RFC 9110 14.2 and 13.1.5): the three forms of
 * one range and their cut to the length, what is unsatisfiable (416),
 * what is ignored (several ranges, other units, malformed: 200 whole),
 * saturation of long numbers, and the strong comparison of If-Range.
 */
#include <stdint.h>
#include <string.h>

#include "cmocka_all.h"
#include "http/range.h"

#define LEN 1000u

static void part(const char *v, uint64_t len, uint64_t first, uint64_t last)
{
	struct http_range r = {7, 7};

	if (http_range_parse(v, len, &r) != HTTP_RANGE_PART) {
		print_error("'%s' of %llu: not a part\n", v,
		            (unsigned long long)len);
		fail();
	}
	assert_int_equal(r.first, first);
	assert_int_equal(r.last, last);
}

static void kind(const char *v, uint64_t len, enum http_range_kind k)
{
	struct http_range r = {7, 7};

	if (http_range_parse(v, len, &r) != k) {
		print_error("'%s' of %llu: not kind %d\n", v ? v : "(null)",
		            (unsigned long long)len, (int)k);
		fail();
	}
	/* only a part writes the range */
	assert_int_equal(r.first, 7);
	assert_int_equal(r.last, 7);
}

static void test_forms(void **state)
{
	(void)state;
	part("bytes=0-499", LEN, 0, 499);
	part("bytes=500-999", LEN, 500, 999);
	part("bytes=999-999", LEN, 999, 999);
	part("bytes=0-0", LEN, 0, 0);
	part("bytes=500-", LEN, 500, 999);
	part("bytes=-1", LEN, 999, 999);
	part("bytes=-500", LEN, 500, 999);
	part("BYTES=1-2", LEN, 1, 2);
	part("Bytes=1-2", LEN, 1, 2);
	part(" bytes=1-2\t", LEN, 1, 2);
	part("bytes= 1-2 ", LEN, 1, 2);
	part("bytes=0-0", 1, 0, 0);
	part("bytes=-1", 1, 0, 0);
	part("bytes=0001-0002", LEN, 1, 2);
}

static void test_cut_and_saturate(void **state)
{
	(void)state;
	/* a last byte past the end means up to the end */
	part("bytes=0-1000", LEN, 0, 999);
	part("bytes=10-99999999999999999999999999", LEN, 10, 999);
	part("bytes=0-18446744073709551615", LEN, 0, 999);
	/* a suffix longer than the representation is all of it */
	part("bytes=-1000", LEN, 0, 999);
	part("bytes=-5000", LEN, 0, 999);
	part("bytes=-99999999999999999999999999", LEN, 0, 999);
	part("bytes=18446744073709551614-", UINT64_MAX, UINT64_MAX - 1,
	     UINT64_MAX - 1);
}

static void test_unsatisfiable(void **state)
{
	(void)state;
	kind("bytes=1000-", LEN, HTTP_RANGE_UNSATISFIABLE);
	kind("bytes=1000-2000", LEN, HTTP_RANGE_UNSATISFIABLE);
	kind("bytes=99999999999999999999999-", LEN, HTTP_RANGE_UNSATISFIABLE);
	kind("bytes=-0", LEN, HTTP_RANGE_UNSATISFIABLE);
	kind("bytes=-000", LEN, HTTP_RANGE_UNSATISFIABLE);
	kind("bytes=1-1", 1, HTTP_RANGE_UNSATISFIABLE);
}

static void test_ignored(void **state)
{
	static const char *const bad[] = {
	    "",
	    "bytes",
	    "bytes=",
	    "bytes=-",
	    "bytes=--1",
	    "bytes=a-b",
	    "bytes=1",
	    "bytes=1-2-3",
	    "bytes=5-4",     /* first after last: invalid */
	    "bytes=0-1,2-3", /* several ranges */
	    "bytes=0-1, 5-6",
	    "bytes=0-1,",
	    "bytes=,0-1",
	    "bytes=-1,-2",
	    "bytes=1 -2",
	    "bytes=1- 2",
	    "bytes=+1-2",
	    "bytes=1-+2",
	    "bytes=0x10-20",
	    "bytes=1.5-2",
	    "bytes =1-2",
	    "byte=1-2",
	    "bits=1-2",
	    "items=0-1",
	    "bytes:1-2",
	    "bytes=1-2;",
	    "bytes=1-2 x",
	};
	size_t i;

	(void)state;
	kind(NULL, LEN, HTTP_RANGE_WHOLE);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		kind(bad[i], LEN, HTTP_RANGE_WHOLE);
	/* an empty representation has no range to serve */
	kind("bytes=0-1", 0, HTTP_RANGE_WHOLE);
	kind("bytes=-1", 0, HTTP_RANGE_WHOLE);
}

static void test_if_range(void **state)
{
	const char *tag = "\"5f1d0000aa\"";

	(void)state;
	assert_true(http_if_range_holds(NULL, tag));
	assert_true(http_if_range_holds("\"5f1d0000aa\"", tag));
	assert_true(http_if_range_holds(" \"5f1d0000aa\"\t", tag));
	assert_false(http_if_range_holds("\"5f1d0000ab\"", tag));
	assert_false(http_if_range_holds("\"5f1d0000aa", tag));
	assert_false(http_if_range_holds("5f1d0000aa", tag));
	assert_false(http_if_range_holds("W/\"5f1d0000aa\"", tag));
	assert_false(http_if_range_holds("\"5F1D0000AA\"", tag));
	assert_false(http_if_range_holds("", tag));
	assert_false(http_if_range_holds("*", tag));
	assert_false(http_if_range_holds("Thu, 01 Jan 2026 00:00:00 GMT", tag));
	assert_false(http_if_range_holds("\"5f1d0000aa\", \"x\"", tag));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_cut_and_saturate),
	    cmocka_unit_test(test_unsatisfiable),
	    cmocka_unit_test(test_ignored),
	    cmocka_unit_test(test_if_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
