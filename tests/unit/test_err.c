/* SPDX-License-Identifier: Apache-2.0 */
/* test_err.c - every error code has its own message and name. */
#include <string.h>

#include "cmocka_all.h"
#include "rampart/err.h"

static const rp_err all[] = {
#define X(name, value, msg) name,
    RP_ERR_LIST(X)
#undef X
};

static void test_messages_distinct(void **state)
{
	size_t i, j, n = sizeof all / sizeof all[0];

	(void)state;
	assert_true(n > 20);
	for (i = 0; i < n; i++) {
		assert_non_null(rp_strerror(all[i]));
		assert_true(strlen(rp_strerror(all[i])) > 0);
		assert_string_not_equal(rp_strerror(all[i]), "unknown error");
		for (j = i + 1; j < n; j++) {
			assert_int_not_equal(all[i], all[j]);
			assert_string_not_equal(rp_strerror(all[i]),
			                        rp_strerror(all[j]));
		}
	}
}

static void test_known_values(void **state)
{
	(void)state;
	/* Codes are part of the CLI's JSON output: they must not move. */
	assert_int_equal(RP_OK, 0);
	assert_int_equal(RP_E_SIG_BAD, 209);
	assert_string_equal(rp_errname(RP_E_SIG_BAD), "RP_E_SIG_BAD");
	assert_string_equal(rp_strerror(RP_E_NOMEM), "out of memory");
	assert_string_equal(rp_strerror((rp_err)9999), "unknown error");
	assert_string_equal(rp_errname((rp_err)-1), "RP_E_?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_messages_distinct),
	    cmocka_unit_test(test_known_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
