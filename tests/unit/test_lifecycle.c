/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lifecycle.c - the device state model (server/registry/state.c,
 * docs/lifecycle.md), pure logic: the displayed state of every
 * combination of stored facts, every (state, transition) pair of the
 * table against the one written out here (docs/lifecycle.md's), the names,
 * the refusal messages, and the broker's mapping.
 */
#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "registry/lifecycle.h"

static struct store_device dev(int state, int quarantined)
{
	struct store_device d;

	memset(&d, 0, sizeof d);
	snprintf(d.serial, sizeof d.serial, "SN-1");
	d.state = state;
	d.quarantined = quarantined;
	return d;
}

/* Every combination of stored state, quarantine flag, valid and revoked
 * certificates. */
static void test_derivation(void **state)
{
	static const struct {
		int stored, quarantined;
		int64_t valid, revoked;
		enum registry_state want;
	} cases[] = {
	    {STORE_DEV_ALLOWLISTED, 0, 0, 0, REG_ALLOWLISTED},
	    {STORE_DEV_ALLOWLISTED, 1, 1, 1, REG_ALLOWLISTED},
	    {STORE_DEV_ENROLLED, 0, 1, 0, REG_ENROLLED},
	    {STORE_DEV_ENROLLED, 0, 2, 5, REG_ENROLLED},
	    {STORE_DEV_ENROLLED, 1, 1, 0, REG_QUARANTINED},
	    {STORE_DEV_ENROLLED, 1, 1, 3, REG_QUARANTINED},
	    {STORE_DEV_ENROLLED, 0, 0, 1, REG_REVOKED},
	    {STORE_DEV_ENROLLED, 1, 0, 1, REG_REVOKED},
	    {STORE_DEV_ENROLLED, 0, 0, 0, REG_EXPIRED},
	    {STORE_DEV_ENROLLED, 1, 0, 0, REG_EXPIRED},
	    {STORE_DEV_DECOMMISSIONED, 0, 0, 0, REG_DECOMMISSIONED},
	    {STORE_DEV_DECOMMISSIONED, 1, 1, 0, REG_DECOMMISSIONED},
	    {STORE_DEV_DECOMMISSIONED, 0, 0, 2, REG_DECOMMISSIONED},
	    {99, 0, 1, 0, REG_DECOMMISSIONED}, /* unknown: allows least */
	};
	size_t i;

	(void)state;
	assert_int_equal(registry_state(NULL, 1, 1), REG_ABSENT);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct store_device d =
		    dev(cases[i].stored, cases[i].quarantined);

		if (registry_state(&d, cases[i].valid, cases[i].revoked) !=
		    cases[i].want)
			fail_msg("case %zu: got %s, want %s", i,
			         registry_state_name(registry_state(
			             &d, cases[i].valid, cases[i].revoked)),
			         registry_state_name(cases[i].want));
	}
}

/* docs/lifecycle.md's table, written out independently of state.c:
 * Y allowed, N refused (RP_E_STATE), F no such device, E exists. */
static const char *const table[REG_STATE_COUNT] = {
    /*                   add rm enr ren rep frn qua rel rev dec */
    [REG_ABSENT] = "YFFFFFFFFF",         [REG_ALLOWLISTED] = "EYYNYNNNNY",
    [REG_ENROLLED] = "ENYYYYYNYY",       [REG_QUARANTINED] = "ENYYYYNYYY",
    [REG_REVOKED] = "ENYNYNNNNY",        [REG_EXPIRED] = "ENYNYNNNNY",
    [REG_DECOMMISSIONED] = "ENNNYNNNNY",
};

static void test_table(void **state)
{
	int s, t;

	(void)state;
	for (s = 0; s < REG_STATE_COUNT; s++) {
		assert_int_equal(strlen(table[s]), REG_TRANSITION_COUNT);
		for (t = 0; t < REG_TRANSITION_COUNT; t++) {
			rp_err want = table[s][t] == 'Y'   ? RP_OK
			              : table[s][t] == 'F' ? RP_E_NOT_FOUND
			              : table[s][t] == 'E' ? RP_E_EXISTS
			                                   : RP_E_STATE;
			rp_err got =
			    registry_allows((enum registry_state)s,
			                    (enum registry_transition)t);

			if (got != want)
				fail_msg(
				    "%s from %s: got %s, want %s",
				    registry_transition_name(
				        (enum registry_transition)t),
				    registry_state_name((enum registry_state)s),
				    rp_errname(got), rp_errname(want));
		}
	}
	assert_int_equal(registry_allows(REG_STATE_COUNT, REG_T_ADD),
	                 RP_E_INVAL);
	assert_int_equal(registry_allows(REG_ENROLLED, REG_TRANSITION_COUNT),
	                 RP_E_INVAL);
}

static void test_names(void **state)
{
	static const char *const st[] = {
	    "absent",  "allowlisted", "enrolled",      "quarantined",
	    "revoked", "expired",     "decommissioned"};
	static const char *const tr[] = {
	    "add",         "remove",     "enroll",  "renew",  "reprovision",
	    "force-renew", "quarantine", "release", "revoke", "decommission"};
	int i;

	(void)state;
	for (i = 0; i < REG_STATE_COUNT; i++)
		assert_string_equal(registry_state_name((enum registry_state)i),
		                    st[i]);
	for (i = 0; i < REG_TRANSITION_COUNT; i++)
		assert_string_equal(
		    registry_transition_name((enum registry_transition)i),
		    tr[i]);
	assert_string_equal(registry_state_name(REG_STATE_COUNT), "unknown");
	assert_string_equal(registry_actor_kind_name(REG_ACTOR_OPERATOR),
	                    "operator");
	assert_string_equal(registry_actor_kind_name(REG_ACTOR_CLI), "cli");
}

/* Every refusal names the device and its state; the id is escaped. */
static void test_why(void **state)
{
	char buf[256];
	int s, t;

	(void)state;
	registry_why(buf, sizeof buf, "SN-1", REG_REVOKED, REG_T_QUARANTINE);
	assert_string_equal(buf, "device SN-1 is revoked; re-provision it "
	                         "first");
	registry_why(buf, sizeof buf, "SN-1", REG_ENROLLED, REG_T_REMOVE);
	assert_string_equal(buf,
	                    "device SN-1 is enrolled; decommission it instead");
	registry_why(buf, sizeof buf, "a\nb", REG_QUARANTINED,
	             REG_T_QUARANTINE);
	assert_string_equal(buf, "device a\\x0ab is quarantined; it is "
	                         "quarantined already");
	for (s = REG_ALLOWLISTED; s < REG_STATE_COUNT; s++)
		for (t = 0; t < REG_TRANSITION_COUNT; t++) {
			char want[64];

			if (registry_allows((enum registry_state)s,
			                    (enum registry_transition)t) !=
			    RP_E_STATE)
				continue;
			registry_why(buf, sizeof buf, "X",
			             (enum registry_state)s,
			             (enum registry_transition)t);
			snprintf(want, sizeof want, "device X is %s; ",
			         registry_state_name((enum registry_state)s));
			assert_memory_equal(buf, want, strlen(want));
			assert_true(strlen(buf) > strlen(want));
		}
}

static void test_broker(void **state)
{
	struct store_device d;
	enum rp_broker_state b;

	(void)state;
	d = dev(STORE_DEV_ALLOWLISTED, 0);
	assert_false(registry_broker_state(&d, &b));
	d = dev(STORE_DEV_ENROLLED, 0);
	assert_true(registry_broker_state(&d, &b));
	assert_int_equal(b, RP_BROKER_ACTIVE);
	d = dev(STORE_DEV_ENROLLED, 1);
	assert_true(registry_broker_state(&d, &b));
	assert_int_equal(b, RP_BROKER_QUARANTINED);
	d = dev(STORE_DEV_DECOMMISSIONED, 1);
	assert_true(registry_broker_state(&d, &b));
	assert_int_equal(b, RP_BROKER_DECOMMISSIONED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_derivation), cmocka_unit_test(test_table),
	    cmocka_unit_test(test_names),      cmocka_unit_test(test_why),
	    cmocka_unit_test(test_broker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
