/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli.c - the rampart program: version, help, unknown commands. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_unknown_command),
	};
	snprintf(bin, sizeof bin, "%s/rampart", rpt_bin_dir());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
