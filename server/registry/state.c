/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.c - the device state model (lifecycle.h, docs/lifecycle.md),
 * pure logic: the displayed state derived from the stored facts, the
 * transition table, the refusal messages and the broker's mapping. No
 * store, no I/O: tests/unit/test_lifecycle.c walks every pair.
 */
#include <stdio.h>
#include <string.h>

#include "rampart/encode.h"
#include "registry/lifecycle.h"

enum registry_state registry_state(const struct store_device *d, int64_t valid,
                                   int64_t revoked)
{
	if (d == NULL)
		return REG_ABSENT;
	switch (d->state) {
	case STORE_DEV_ALLOWLISTED:
		return REG_ALLOWLISTED;
	case STORE_DEV_DECOMMISSIONED:
		return REG_DECOMMISSIONED;
	case STORE_DEV_ENROLLED:
		break;
	default:
		return REG_DECOMMISSIONED; /* unknown: allow nothing but it */
	}
	if (valid == 0)
		return revoked > 0 ? REG_REVOKED : REG_EXPIRED;
	return d->quarantined ? REG_QUARANTINED : REG_ENROLLED;
}

const char *registry_state_name(enum registry_state s)
{
	static const char *const names[REG_STATE_COUNT] = {
	    "absent",  "allowlisted", "enrolled",      "quarantined",
	    "revoked", "expired",     "decommissioned"};

	return (unsigned)s < REG_STATE_COUNT ? names[s] : "unknown";
}

const char *registry_transition_name(enum registry_transition t)
{
	static const char *const names[REG_TRANSITION_COUNT] = {
	    "add",         "remove",     "enroll",  "renew",  "reprovision",
	    "force-renew", "quarantine", "release", "revoke", "decommission"};

	return (unsigned)t < REG_TRANSITION_COUNT ? names[t] : "unknown";
}

/* The table (docs/lifecycle.md): 1 where the state allows the transition.
 * Columns in enum registry_transition order: add, remove, enroll, renew,
 * reprovision, force-renew, quarantine, release, revoke, decommission. */
static const unsigned char allowed[REG_STATE_COUNT][REG_TRANSITION_COUNT] = {
    [REG_ABSENT] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    [REG_ALLOWLISTED] = {0, 1, 1, 0, 1, 0, 0, 0, 0, 1},
    [REG_ENROLLED] = {0, 0, 1, 1, 1, 1, 1, 0, 1, 1},
    [REG_QUARANTINED] = {0, 0, 1, 1, 1, 1, 0, 1, 1, 1},
    [REG_REVOKED] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 1},
    [REG_EXPIRED] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 1},
    [REG_DECOMMISSIONED] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
};

rp_err registry_allows(enum registry_state s, enum registry_transition t)
{
	if ((unsigned)s >= REG_STATE_COUNT ||
	    (unsigned)t >= REG_TRANSITION_COUNT)
		return RP_E_INVAL;
	if (allowed[s][t])
		return RP_OK;
	if (s == REG_ABSENT)
		return RP_E_NOT_FOUND;
	if (t == REG_T_ADD)
		return RP_E_EXISTS;
	return RP_E_STATE;
}

/* What to do instead, for a refused (state, transition). */
static const char *advice(enum registry_state s, enum registry_transition t)
{
	switch (s) {
	case REG_ALLOWLISTED:
		return "it has not enrolled yet";
	case REG_ENROLLED:
		if (t == REG_T_REMOVE)
			return "decommission it instead";
		return "it is not quarantined";
	case REG_QUARANTINED:
		if (t == REG_T_REMOVE)
			return "decommission it instead";
		return "it is quarantined already";
	case REG_REVOKED:
	case REG_EXPIRED:
		if (t == REG_T_REMOVE)
			return "decommission it instead";
		return "re-provision it first";
	case REG_DECOMMISSIONED:
		if (t == REG_T_REMOVE)
			return "a decommissioned device stays for the record";
		return "re-provision it first";
	default:
		return "";
	}
}

void registry_why(char *buf, size_t cap, const char *id, enum registry_state s,
                  enum registry_transition t)
{
	char shown[4 * STORE_SERIAL_MAX + 1];

	if (cap == 0)
		return;
	(void)rp_escape(shown, sizeof shown, id, strlen(id));
	snprintf(buf, cap, "device %s is %s; %s", shown, registry_state_name(s),
	         advice(s, t));
}

bool registry_broker_state(const struct store_device *d,
                           enum rp_broker_state *out)
{
	if (d->state == STORE_DEV_ENROLLED)
		*out =
		    d->quarantined ? RP_BROKER_QUARANTINED : RP_BROKER_ACTIVE;
	else if (d->state == STORE_DEV_DECOMMISSIONED)
		*out = RP_BROKER_DECOMMISSIONED;
	else
		return false; /* allowlisted only: unknown to the broker */
	return true;
}

const char *registry_actor_kind_name(enum registry_actor_kind k)
{
	switch (k) {
	case REG_ACTOR_OPERATOR:
		return "operator";
	case REG_ACTOR_DEVICE:
		return "device";
	case REG_ACTOR_SYSTEM:
		return "system";
	case REG_ACTOR_CLI:
		return "cli";
	}
	return "unknown";
}
