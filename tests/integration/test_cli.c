/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cli.c - the rampart program: version, help, unknown commands, and
 * numbers on the command line (cli_uint: digits only, in range, else bad
 * usage, exit 2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "rpt.h"

static char bin[600];

static void test_version(void **state)
{
	char *out = NULL;

	(void)state;
	char *argv[] = {bin, "--version", NULL};
	assert_int_equal(rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS), 0);
	assert_non_null(strstr(out, "rampart 0."));
	free(out);
}

static void test_unknown_command(void **state)
{
	char *out = NULL;

	(void)state;
	char *argv[] = {bin, "frobnicate", NULL};
	assert_int_equal(rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS), 2);
	assert_non_null(strstr(out, "unknown command 'frobnicate'"));
	free(out);
	char *none[] = {bin, NULL};
	assert_int_equal(rpt_run(none, NULL, 0, &out, RPT_DEADLINE_MS), 2);
	assert_non_null(strstr(out, "usage: rampart"));
	free(out);
}

/* rampart ARGS... exits 2 saying why (or, why NULL: does not say bad). */
static void expect_usage(const char *why, const char *bad, char *a1, char *a2,
                         char *a3, char *a4, char *a5)
{
	char *out = NULL;
	char *argv[] = {bin, a1, a2, a3, a4, a5, NULL};

	assert_int_equal(rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS), 2);
	if (why != NULL && strstr(out, why) == NULL)
		fail_msg("%s %s %s %s %s: %s", a1, a2, a3, a4, a5 ? a5 : "",
		         out);
	if (why == NULL && strstr(out, bad) != NULL)
		fail_msg("%s %s %s %s: refused a good number: %s", a1, a2, a3,
		         a4, out);
	free(out);
}

static void test_numbers(void **state)
{
	static char *const limits[] = {"0",  "10001", "abc",
	                               "5x", " 5",    "+5",
	                               "-1", "",      "99999999999999999999"};
	const char *lw = "--limit wants a number from 1 to 10000";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof limits / sizeof limits[0]; i++)
		expect_usage(lw, NULL, "device", "refusals", "--limit",
		             limits[i], NULL);
	/* in range: parsed, then refused for the missing server */
	expect_usage(NULL, lw, "device", "refusals", "--limit", "10000", NULL);
	expect_usage(NULL, lw, "device", "refusals", "--limit", "1", NULL);
	expect_usage("--wait wants a number of seconds from 0 to 86400", NULL,
	             "device", "ping", "SN1", "--wait", "1s");
	expect_usage("--wait wants a number of seconds from 0 to 86400", NULL,
	             "device", "ping", "SN1", "--wait", "86401");
	expect_usage(NULL, "--wait wants", "device", "ping", "SN1", "--wait",
	             "86400");
	static const char pw[] = "--port wants a number from 1 to 65535";
	expect_usage(pw, NULL, "broker-config", "--port", "0", NULL, NULL);
	expect_usage(pw, NULL, "broker-config", "--port", "65536", NULL, NULL);
	expect_usage(pw, NULL, "broker-config", "--port", "+80", NULL, NULL);
	expect_usage("--refusal-burst wants a number from 1 to 1000000", NULL,
	             "broker-config", "--refusal-burst", "0", NULL, NULL);
	/* in range: parsed, then refused for the missing --data-dir */
	expect_usage("missing --data-dir", pw, "broker-config", "--port",
	             "65535", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_unknown_command),
	    cmocka_unit_test(test_numbers),
	};
	snprintf(bin, sizeof bin, "%s/rampart", rpt_bin_dir());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
