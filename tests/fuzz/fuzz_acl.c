/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_acl.c - libFuzzer harness for the broker's topic ACL. Input: one
 * byte of role/state/access, then "id\0topic". Checks the properties the
 * ACL promises whatever the topic: a device never gets a topic outside
 * rampart/v1/d/<its id>/, never a wildcard; nobody gets $SYS or "#"; a
 * refused state gets nothing; a monitor never publishes anything and only
 * reads device data and the broker's refusals and status, when active; a
 * device with a reserved id, or a service or monitor without one, gets
 * nothing at all, not even an unsubscribe.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* rampart/v1/d/<one level>/ then only what a device sends. */
static bool monitor_device_topic(const char *topic)
{
	static const char *const tails[] = {"telemetry", "events",
	                                    "shadow/reported", "cmd/result"};
	const char *t;
	size_t i;

	if (strncmp(topic, "rampart/v1/d/", 13) != 0)
		return false;
	t = strchr(topic + 13, '/');
	if (t == NULL || t == topic + 13)
		return false;
	for (i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		if (strcmp(t + 1, tails[i]) == 0)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int access[] = {RP_BROKER_READ, RP_BROKER_WRITE,
	                             RP_BROKER_SUBSCRIBE,
	                             RP_BROKER_UNSUBSCRIBE};
	enum rp_broker_role role;
	enum rp_broker_state st;
	char *buf, *id, *topic, prefix[RP_BROKER_ID_MAX + 32];
	int acc;
	bool ok;

	if (size < 1)
		return 0;
	role = (enum rp_broker_role)(data[0] & 3);
	st = (enum rp_broker_state)((data[0] >> 2) & 7);
	acc = access[(data[0] >> 5) & 3];
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	id = buf;
	topic = buf + strlen(buf);
	if (topic < buf + size - 1)
		topic++; /* after the id's NUL */
	ok = rp_broker_acl_allows(role, st, id, topic, acc);
	/* The namespaces: reserved ids for services and monitors only. */
	if (ok && (role == RP_BROKER_ROLE_DEVICE) ==
	              rp_broker_id_reserved(id, strlen(id)))
		abort();
	if (ok && acc != RP_BROKER_UNSUBSCRIBE) {
		if (st != RP_BROKER_ACTIVE && st != RP_BROKER_QUARANTINED)
			abort();
		if (!rp_broker_id_valid(id, strlen(id)))
			abort();
		if (topic[0] == '$' || strchr(topic, '#') != NULL)
			abort();
		if (role == RP_BROKER_ROLE_DEVICE) {
			size_t n = (size_t)snprintf(prefix, sizeof prefix,
			                            "rampart/v1/d/%s/", id);
			if (strncmp(topic, prefix, n) != 0 ||
			    strchr(topic, '+') != NULL)
				abort();
			if (st == RP_BROKER_QUARANTINED &&
			    strcmp(topic + n, "events") != 0 &&
			    strcmp(topic + n, "cmd") != 0)
				abort();
		} else if (role == RP_BROKER_ROLE_MONITOR) {
			if (acc == RP_BROKER_WRITE || st != RP_BROKER_ACTIVE)
				abort();
			if (strcmp(topic, RP_BROKER_TOPIC_REFUSALS) != 0 &&
			    strcmp(topic, RP_BROKER_TOPIC_STATUS) != 0 &&
			    !monitor_device_topic(topic))
				abort();
			/* never more than the service gets */
			if (!rp_broker_acl_allows(RP_BROKER_ROLE_SERVICE, st,
			                          id, topic, acc))
				abort();
		} else if (role != RP_BROKER_ROLE_SERVICE) {
			abort();
		}
	}
	free(buf);
	return 0;
}
