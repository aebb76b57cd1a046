/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sbom_version.c - version ordering (lib/sbom/version.c): Debian's
 * (Debian Policy 5.6.12 and its '~' example, epochs, revisions) with
 * every pair also put to dpkg --compare-versions, the reference; SemVer
 * 2.0.0's precedence list from semver.org section 11 and its grammar;
 * and what each refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cmocka_all.h"
#include "sbom.h"

/* a < b in every pair (and b > a, a == a). */
static const char *const deb_lt[][2] = {
    /* Policy 5.6.12: "~~" < "~~a" < "~" < "" < "a" */
    {"1.0~~", "1.0~~a"},
    {"1.0~~a", "1.0~"},
    {"1.0~", "1.0"},
    {"1.0", "1.0a"},
    {"1.0~rc1-1", "1.0-1"},
    {"1.0", "1.0-1"},
    {"1.0-1", "1.0-1+deb12u1"},
    {"3.0.11-1~deb12u1", "3.0.11-1~deb12u2"},
    {"3.0.11-1~deb12u2", "3.0.11-1"},
    {"7.88.1-10+deb12u5", "7.88.1-10+deb12u6"},
    {"1.9", "1.10"},
    {"2.4-1", "2.30-1"},
    {"1.0", "1.0.1"},
    {"1.0", "1.0+dfsg"},
    {"0.9", "0.9a"},
    {"1.2.3-1", "1.2.3-1.1"},
    {"9.9-9", "1:0.1-1"},
    {"1:2.4.47-2", "2:0"},
    {"1.0a", "1.0b"},
    {"1.0Z", "1.0a"}, /* letters sort by ASCII */
    {"1.0a", "1.0+"}, /* non-letters after letters */
    {"1.0-1", "1.0-a"},
    {"1.0-1", "1.0-1.0.1"},
    {"0:1.0-2", "1.0-10"},
};

static const char *const deb_eq[][2] = {
    {"1.0", "1.0-0"},
    {"0:1.0", "1.0"},
    {"1.001", "1.1"},
    {"00:1.0-01", "1.0-1"},
};

static const char *const deb_bad[] = {
    "",      "a1.0",  ":1.0",    "1.0-", "1:",      "x:1.0",
    "1.0 1", "1.0_1", "1.0-a_b", "-1",   "1.0-1:2", "1.0\n",
};

/* dpkg --compare-versions a op b: true when it says so. */
static bool dpkg_says(const char *a, const char *op, const char *b)
{
	char cmd[256];
	int st;

	snprintf(cmd, sizeof cmd, "dpkg --compare-versions '%s' %s '%s'", a, op,
	         b);
	st = system(cmd);
	assert_true(st != -1);
	assert_true(WIFEXITED(st));
	assert_true(WEXITSTATUS(st) <= 1); /* 2 would be a bad version */
	return WEXITSTATUS(st) == 0;
}

static void test_deb_order(void **state)
{
	size_t i;

	(void)state;
	/* the reference must be there: no silent skip */
	assert_int_equal(system("dpkg --version >/dev/null"), 0);
	for (i = 0; i < sizeof deb_lt / sizeof deb_lt[0]; i++) {
		const char *a = deb_lt[i][0], *b = deb_lt[i][1];

		assert_true(rp_ver_deb_valid(a));
		assert_true(rp_ver_deb_valid(b));
		if (rp_ver_deb_cmp(a, b) >= 0 || rp_ver_deb_cmp(b, a) <= 0 ||
		    rp_ver_deb_cmp(a, a) != 0)
			fail_msg("%s < %s", a, b);
		assert_true(dpkg_says(a, "lt", b));
	}
	for (i = 0; i < sizeof deb_eq / sizeof deb_eq[0]; i++) {
		const char *a = deb_eq[i][0], *b = deb_eq[i][1];

		if (rp_ver_deb_cmp(a, b) != 0)
			fail_msg("%s == %s", a, b);
		assert_true(dpkg_says(a, "eq", b));
	}
}

static void test_deb_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof deb_bad / sizeof deb_bad[0]; i++) {
		if (rp_ver_deb_valid(deb_bad[i]))
			fail_msg("'%s' accepted", deb_bad[i]);
	}
	assert_true(rp_ver_deb_valid("1:2.5.1-4+b1"));
	assert_true(rp_ver_deb_valid("2024a-0+deb12u1"));
	assert_true(rp_ver_deb_valid("1:9.18.24-1-2")); /* '-' in upstream */
	assert_true(rp_ver_deb_valid("2:1:0"));         /* ':' after epoch */
	assert_false(rp_ver_deb_valid(NULL));
}

/* semver.org section 11, in ascending order. */
static const char *const semver_asc[] = {
    "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
    "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
    "1.0.0-rc.1",  "1.0.0",         "2.0.0",
    "2.1.0",       "2.1.1",         "10.0.0",
};

static const char *const semver_bad[] = {
    "1",          "1.0",      "01.0.0",        "1.00.0",
    "1.0.0-",     "1.0.0-01", "1.0.0+",        "v1.0.0",
    "1.0.0-a..1", "1.0.0 ",   "1.0.0-alpha_1", "1.0.0+a+b",
    "",           "-1.0.0",   "1.0.0.0",       "1.0.0-beta+",
};

static void test_semver(void **state)
{
	size_t i, j, n = sizeof semver_asc / sizeof semver_asc[0];

	(void)state;
	for (i = 0; i < n; i++) {
		assert_true(rp_ver_semver_valid(semver_asc[i]));
		for (j = 0; j < n; j++) {
			int r = rp_ver_semver_cmp(semver_asc[i], semver_asc[j]);

			if ((i < j && r >= 0) || (i > j && r <= 0) ||
			    (i == j && r != 0))
				fail_msg("%s vs %s: %d", semver_asc[i],
				         semver_asc[j], r);
		}
	}
	/* build metadata is ignored; numbers of any size */
	assert_int_equal(rp_ver_semver_cmp("1.0.0+20130313144700", "1.0.0"), 0);
	assert_int_equal(
	    rp_ver_semver_cmp("1.0.0-beta+exp.sha.5114f85", "1.0.0-beta"), 0);
	assert_int_equal(rp_ver_semver_cmp("1.0.0-0.3.7", "1.0.0-x.7.z.92"),
	                 -1);
	assert_int_equal(rp_ver_semver_cmp("99999999999999999999.0.0",
	                                   "99999999999999999998.9.9"),
	                 1);
	assert_true(rp_ver_semver_valid("1.0.0-x-y-z.--"));
	assert_true(rp_ver_semver_valid("1.0.0+001"));
	for (i = 0; i < sizeof semver_bad / sizeof semver_bad[0]; i++) {
		if (rp_ver_semver_valid(semver_bad[i]))
			fail_msg("'%s' accepted", semver_bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deb_order),
	    cmocka_unit_test(test_deb_valid),
	    cmocka_unit_test(test_semver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
