/* SPDX-License-Identifier: Apache-2.0 */
/* test_mem.c - wipe, constant-time compare, secret allocation. */
#include <string.h>

#include "cmocka_all.h"
#include "rampart/mem.h"

static void test_wipe(void **state)
{
	unsigned char buf[64];
	size_t i;

	(void)state;
	memset(buf, 0xa5, sizeof buf);
	rp_wipe(buf + 8, 32);
	for (i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], (i >= 8 && i < 40) ? 0 : 0xa5);
	rp_wipe(NULL, 10); /* harmless */
}

static void test_memeq(void **state)
{
	unsigned char a[33], b[33];
	size_t i;

	(void)state;
	memset(a, 7, sizeof a);
	memcpy(b, a, sizeof b);
	assert_true(rp_memeq(a, b, sizeof a));
	assert_true(rp_memeq(a, b, 0));
	/* A difference at any position is seen, first and last included. */
	for (i = 0; i < sizeof a; i++) {
		b[i] ^= 0x80;
		assert_false(rp_memeq(a, b, sizeof a));
		b[i] ^= 0x80;
	}
}

static void test_secret_alloc(void **state)
{
	unsigned char *s;

	(void)state;
	s = rp_secret_alloc(48);
	assert_non_null(s);
	memset(s, 0x11, 48);
	assert_int_equal(s[47], 0x11);
	rp_secret_free(s);
	rp_secret_free(NULL);
}

static int setup(void **state)
{
	(void)state;
	return rp_init() == RP_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wipe),
	    cmocka_unit_test(test_memeq),
	    cmocka_unit_test(test_secret_alloc),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
