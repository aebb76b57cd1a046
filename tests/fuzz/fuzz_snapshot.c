/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_snapshot.c - libFuzzer harness for the broker's fleet-state snapshot
 * parser and the connect decision on it. Any input parses or fails cleanly
 * (no leak, *out NULL on failure). In what parses: every "device" line is
 * found again; every service and monitor id is reserved and no device id
 * is; each service or monitor is granted its role on its own profile and
 * pin and on nothing else; and a device-profile certificate with any id
 * named in the file, whatever its key (32 bytes of the input, zeros, or
 * the pin a line lists), is never granted the service or monitor role,
 * nor, with the role it does get, another device's commands or a "+"
 * subscription.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	                              : -1;
}

/* What the snapshot grants this profile, id and pin. */
static enum rp_broker_role grant(const rp_broker_snapshot *s,
                                 enum rp_broker_role profile, const char *id,
                                 const uint8_t *pin, enum rp_broker_state *st)
{
	struct rp_broker_peer p;
	enum rp_broker_role role;

	memset(&p, 0, sizeof p);
	p.profile = profile;
	snprintf(p.id, sizeof p.id, "%s", id);
	memcpy(p.pin, pin, RP_BROKER_PIN_LEN);
	rp_broker_snapshot_decide(s, &p, &role, st);
	return role;
}

/* A device-profile peer named id with this pin gets no more than a
 * device's own rights. */
static void device_bounded(const rp_broker_snapshot *s, const char *id,
                           const uint8_t *pin)
{
	enum rp_broker_state st;
	enum rp_broker_role role =
	    grant(s, RP_BROKER_ROLE_DEVICE, id, pin, &st);
	const char *other =
	    strcmp(id, "SN-other") == 0 ? "SN-other2" : "SN-other";
	char topic[128];

	if (role != RP_BROKER_ROLE_NONE && role != RP_BROKER_ROLE_DEVICE)
		abort();
	if (role == RP_BROKER_ROLE_DEVICE &&
	    rp_broker_id_reserved(id, strlen(id)))
		abort();
	snprintf(topic, sizeof topic, "rampart/v1/d/%s/cmd", other);
	if (rp_broker_acl_allows(role, st, id, topic, RP_BROKER_WRITE) ||
	    rp_broker_acl_allows(role, st, id, topic, RP_BROKER_SUBSCRIBE) ||
	    rp_broker_acl_allows(role, st, id, "+", RP_BROKER_SUBSCRIBE) ||
	    rp_broker_acl_allows(role, st, id, "rampart/v1/d/+/telemetry",
	                         RP_BROKER_SUBSCRIBE) ||
	    rp_broker_acl_allows(role, st, id, "rampart/v1/d/+/cmd",
	                         RP_BROKER_SUBSCRIBE))
		abort();
}

/* One record line of a snapshot that parsed: check what it names. */
static void check_line(const rp_broker_snapshot *s, const char *line, size_t n,
                       const uint8_t *fuzz_pin)
{
	static const uint8_t zero[RP_BROKER_PIN_LEN];
	char buf[256], *kw = buf, *id, *arg;
	uint8_t pin[RP_BROKER_PIN_LEN], wrong[RP_BROKER_PIN_LEN];
	enum rp_broker_role role, want;
	enum rp_broker_state st;
	bool principal;
	size_t i;

	if (n >= sizeof buf)
		return; /* no record line is that long */
	memcpy(buf, line, n);
	buf[n] = '\0';
	id = strchr(buf, ' ');
	if (id == NULL)
		return;
	*id++ = '\0';
	arg = strchr(id, ' ');
	if (arg != NULL)
		*arg++ = '\0';
	if (strcmp(kw, "end") == 0 || strcmp(kw, "seq") == 0 ||
	    strcmp(kw, "revoked-serial") == 0)
		return;
	principal = strcmp(kw, "service") == 0 || strcmp(kw, "monitor") == 0;
	if (!principal && strcmp(kw, "device") != 0)
		abort(); /* the parser took a line it does not know */
	if (principal != rp_broker_id_reserved(id, strlen(id)))
		abort();
	if (arg == NULL)
		abort();
	memset(pin, 0, sizeof pin);
	if (principal) {
		if (strlen(arg) != 2 * RP_BROKER_PIN_LEN)
			abort();
		for (i = 0; i < RP_BROKER_PIN_LEN; i++) {
			int hi = hexval(arg[2 * i]),
			    lo = hexval(arg[2 * i + 1]);

			if (hi < 0 || lo < 0)
				abort();
			pin[i] = (uint8_t)(hi << 4 | lo);
		}
		/* its own profile and pin: its role; another pin: nothing */
		want = kw[0] == 's' ? RP_BROKER_ROLE_SERVICE
		                    : RP_BROKER_ROLE_MONITOR;
		if (grant(s, want, id, pin, &st) != want ||
		    st != RP_BROKER_ACTIVE)
			abort();
		memcpy(wrong, pin, sizeof wrong);
		wrong[fuzz_pin[0] % RP_BROKER_PIN_LEN] ^= 1;
		if (grant(s, want, id, wrong, &st) != RP_BROKER_ROLE_NONE)
			abort();
		role = grant(s,
		             want == RP_BROKER_ROLE_SERVICE
		                 ? RP_BROKER_ROLE_MONITOR
		                 : RP_BROKER_ROLE_SERVICE,
		             id, pin, &st);
		if (role != RP_BROKER_ROLE_NONE)
			abort();
		rp_broker_snapshot_lookup(s, id, &role, &st);
		if (role != want || st != RP_BROKER_ACTIVE)
			abort();
	} else {
		/* a device is only ever a device, on any key */
		if (grant(s, RP_BROKER_ROLE_SERVICE, id, fuzz_pin, &st) !=
		        RP_BROKER_ROLE_NONE ||
		    grant(s, RP_BROKER_ROLE_MONITOR, id, fuzz_pin, &st) !=
		        RP_BROKER_ROLE_NONE)
			abort();
	}
	device_bounded(s, id, zero);
	device_bounded(s, id, fuzz_pin);
	device_bounded(s, id, pin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rp_broker_snapshot *s = (rp_broker_snapshot *)1;
	enum rp_broker_role role;
	enum rp_broker_state st;
	uint8_t fuzz_pin[RP_BROKER_PIN_LEN] = {0};
	char id[RP_BROKER_ID_MAX + 1];
	size_t line = 0, i, n, start;
	rp_err rc;

	rc =
	    rp_broker_snapshot_parse((const char *)data, size, NULL, &s, &line);
	if (rc != RP_OK) {
		if (s != NULL)
			abort();
		return 0;
	}
	if (size < 3 || line != 0)
		abort();
	/* Every "device X STATE" line of the input is found with STATE. */
	for (i = 0; i + 7 < size; i++) {
		if ((i > 0 && data[i - 1] != '\n') ||
		    memcmp(data + i, "device ", 7) != 0)
			continue;
		for (n = 0; n < RP_BROKER_ID_MAX && i + 7 + n < size &&
		            data[i + 7 + n] != ' ';
		     n++)
			id[n] = (char)data[i + 7 + n];
		id[n] = '\0';
		rp_broker_snapshot_lookup(s, id, &role, &st);
		if (role != RP_BROKER_ROLE_DEVICE || st == RP_BROKER_UNKNOWN)
			abort();
	}
	/* A key from the input: its last 32 bytes (all of it if shorter). */
	memcpy(fuzz_pin,
	       data + (size > sizeof fuzz_pin ? size - sizeof fuzz_pin : 0),
	       size > sizeof fuzz_pin ? sizeof fuzz_pin : size);
	/* Every line after the magic (the parse took it, so it is text). */
	for (start = 0, i = 0; i < size; i++) {
		if (data[i] != '\n')
			continue;
		if (start > 0)
			check_line(s, (const char *)data + start, i - start,
			           fuzz_pin);
		start = i + 1;
	}
	rp_broker_snapshot_free(s);
	return 0;
}
