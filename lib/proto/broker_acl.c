/* SPDX-License-Identifier: Apache-2.0 */
/*
 * broker_acl.c - the topic ACL of the Mosquitto plugin: the one table of
 * topic templates (mirrored in docs/transport.md, "ACL templates") and the
 * matcher that applies it (the id rules it uses: broker_id.c). No
 * allocation; cost proportional to the topic's length.
 */
#include <stdio.h>
#include <string.h>

#include "rampart/broker.h"
#include "rampart/id.h"

#define ST(s)       (1u << (s))
#define ACTIVE      ST(RP_BROKER_ACTIVE)
#define QUARANTINED ST(RP_BROKER_QUARANTINED)
#define PUB         RP_BROKER_WRITE
#define SUB         (RP_BROKER_SUBSCRIBE | RP_BROKER_READ)

struct acl_rule {
	unsigned char role;   /* enum rp_broker_role */
	unsigned char states; /* ST(state) bits that get this rule */
	unsigned char access; /* RP_BROKER_* bits this rule grants */
	const char *tmpl;
};

/*
 * THE ACL. Placeholders: ${id} = the client's own id (its certificate CN),
 * matched literally, so a "+" or "#" never stands for it; ${any} = one
 * valid device id, or, in a service's or a monitor's subscription filter
 * only, "+".
 * Nothing else is allowed: no "#", no $SYS, no other subtree. SUB grants
 * subscribing with exactly this filter and receiving messages on it.
 * Change it only together with docs/transport.md.
 */
static const struct acl_rule acl_rules[] = {
    /* devices: their own subtree, nothing else */
    {RP_BROKER_ROLE_DEVICE, ACTIVE, PUB, "rampart/v1/d/${id}/telemetry"},
    {RP_BROKER_ROLE_DEVICE, ACTIVE | QUARANTINED, PUB,
     "rampart/v1/d/${id}/events"},
    {RP_BROKER_ROLE_DEVICE, ACTIVE, PUB, "rampart/v1/d/${id}/shadow/reported"},
    {RP_BROKER_ROLE_DEVICE, ACTIVE, PUB, "rampart/v1/d/${id}/cmd/result"},
    {RP_BROKER_ROLE_DEVICE, ACTIVE | QUARANTINED, SUB,
     "rampart/v1/d/${id}/cmd"},
    {RP_BROKER_ROLE_DEVICE, ACTIVE, SUB, "rampart/v1/d/${id}/shadow/desired"},
    /* the service (rampartd): what the devices send, commands to them */
    {RP_BROKER_ROLE_SERVICE, ACTIVE, SUB, "rampart/v1/d/${any}/telemetry"},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, SUB, "rampart/v1/d/${any}/events"},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, SUB,
     "rampart/v1/d/${any}/shadow/reported"},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, SUB, "rampart/v1/d/${any}/cmd/result"},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, PUB, "rampart/v1/d/${any}/cmd"},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, PUB, "rampart/v1/d/${any}/shadow/desired"},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, PUB, RP_BROKER_TOPIC_RELOAD},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, SUB, RP_BROKER_TOPIC_REFUSALS},
    {RP_BROKER_ROLE_SERVICE, ACTIVE, SUB, RP_BROKER_TOPIC_STATUS},
    /* a monitor (an operator watching): what the service reads, no PUB */
    {RP_BROKER_ROLE_MONITOR, ACTIVE, SUB, "rampart/v1/d/${any}/telemetry"},
    {RP_BROKER_ROLE_MONITOR, ACTIVE, SUB, "rampart/v1/d/${any}/events"},
    {RP_BROKER_ROLE_MONITOR, ACTIVE, SUB,
     "rampart/v1/d/${any}/shadow/reported"},
    {RP_BROKER_ROLE_MONITOR, ACTIVE, SUB, "rampart/v1/d/${any}/cmd/result"},
    {RP_BROKER_ROLE_MONITOR, ACTIVE, SUB, RP_BROKER_TOPIC_REFUSALS},
    {RP_BROKER_ROLE_MONITOR, ACTIVE, SUB, RP_BROKER_TOPIC_STATUS},
};

/* One topic level at *t, up to '/' or the end: its length. */
static size_t level_len(const char *t)
{
	const char *e = strchr(t, '/');

	return e ? (size_t)(e - t) : strlen(t);
}

/*
 * Match topic against one template (see acl_rules). sub: the topic is a
 * subscription filter of a service or monitor, where ${any} may be "+".
 */
static bool tmpl_match(const char *tmpl, const char *id, size_t idlen,
                       const char *topic, bool sub)
{
	while (*tmpl != '\0') {
		if (strncmp(tmpl, "${id}", 5) == 0) {
			if (strncmp(topic, id, idlen) != 0)
				return false;
			topic += idlen;
			tmpl += 5;
		} else if (strncmp(tmpl, "${any}", 6) == 0) {
			size_t n = level_len(topic);

			if (!(sub && n == 1 && topic[0] == '+') &&
			    !rp_broker_id_valid(topic, n))
				return false;
			topic += n;
			tmpl += 6;
		} else {
			if (*tmpl != *topic)
				return false;
			tmpl++;
			topic++;
		}
	}
	return *topic == '\0';
}

bool rp_broker_acl_allows(enum rp_broker_role role, enum rp_broker_state state,
                          const char *id, const char *topic, int access)
{
	size_t i, idlen;
	unsigned st;

	if (id == NULL || topic == NULL || (unsigned)state > 31)
		return false;
	if (role != RP_BROKER_ROLE_DEVICE && role != RP_BROKER_ROLE_SERVICE &&
	    role != RP_BROKER_ROLE_MONITOR)
		return false;
	st = ST(state);
	if (!(st & (ACTIVE | QUARANTINED)))
		return false;
	idlen = strlen(id);
	if (!rp_broker_id_valid(id, idlen))
		return false;
	/*
	 * Defence in depth: the snapshot and the certificate reader already
	 * keep the namespaces apart; a device with a reserved id, or a
	 * service or monitor without one, gets nothing even if they failed.
	 */
	if ((role == RP_BROKER_ROLE_DEVICE) == rp_broker_id_reserved(id, idlen))
		return false;
	if (access == RP_BROKER_UNSUBSCRIBE)
		return true;
	if (access != RP_BROKER_READ && access != RP_BROKER_WRITE &&
	    access != RP_BROKER_SUBSCRIBE)
		return false;
	for (i = 0; i < sizeof acl_rules / sizeof acl_rules[0]; i++) {
		const struct acl_rule *r = &acl_rules[i];

		if (r->role != role || !(r->states & st) ||
		    !(r->access & access))
			continue;
		if (tmpl_match(r->tmpl, id, idlen, topic,
		               role != RP_BROKER_ROLE_DEVICE &&
		                   access == RP_BROKER_SUBSCRIBE))
			return true;
	}
	return false;
}
