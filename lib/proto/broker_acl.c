/* SPDX-License-Identifier: Apache-2.0 */
/*
 * broker_acl.c - the topic ACL of the Mosquitto plugin: the one table of
 * topic templates (mirrored in docs/transport.md, "ACL templates") and the
 * matcher that applies it, plus the id rules (valid, reserved, THE
 * device-id rule) and the serial rule shared with the snapshot and the
 * certificate reader. No allocation; cost proportional to the topic's
 * length.
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

_Static_assert(RP_BROKER_ID_MAX == RP_ID_MAX,
               "a broker id is an id (rampart/id.h)");

/* The broker's name for the one id rule (lib/core/id.c). */
bool rp_broker_id_valid(const char *s, size_t len)
{
	return rp_id_valid(s, len);
}

bool rp_broker_id_reserved(const char *s, size_t len)
{
	static const char prefix[] = RP_BROKER_RESERVED_PREFIX;
	size_t i;

	if (s == NULL || len < sizeof prefix - 1)
		return false;
	for (i = 0; i < sizeof prefix - 1; i++) {
		char c = s[i];

		/* ASCII only: no locale may fold another byte onto a letter */
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != prefix[i])
			return false;
	}
	return true;
}

/* s[0..len) for a message: at most 64 bytes, non-printable ones as '?'. */
static void id_show(char out[RP_BROKER_ID_MAX + 4], const char *s, size_t len)
{
	size_t i, n = len > RP_BROKER_ID_MAX ? RP_BROKER_ID_MAX : len;

	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

rp_err rp_broker_device_id_check(const char *s, size_t len, char *why,
                                 size_t cap)
{
	char shown[RP_BROKER_ID_MAX + 4];
	const char *what = NULL;
	rp_err rc = RP_E_SYNTAX;

	if (why != NULL && cap > 0)
		why[0] = '\0';
	if (s == NULL)
		len = 0;
	if (len == 0) {
		what = "is not a valid id: it is empty";
		goto out;
	}
	if (len > RP_BROKER_ID_MAX) {
		what = "is not a valid id: it is longer than 64 characters";
		goto out;
	}
	if (!rp_id_valid(s, len)) {
		what = "is not a valid id: only A-Z a-z 0-9 . _ - "
		       "may appear in one";
		goto out;
	}
	rc = RP_OK;
	if (!rp_broker_id_reserved(s, len))
		goto out;
	rc = RP_E_RESERVED;
	if (len == strlen(RP_BROKER_SERVICE_ID) &&
	    memcmp(s, RP_BROKER_SERVICE_ID, len) == 0)
		what = "is reserved for the server";
	else if (len == strlen(RP_BROKER_MONITOR_ID) &&
	         memcmp(s, RP_BROKER_MONITOR_ID, len) == 0)
		what = "is reserved for the monitor";
	else
		what = "is reserved";
out:
	if (rc != RP_OK && why != NULL && cap > 0) {
		id_show(shown, s, len);
		snprintf(
		    why, cap, "'%s' %s%s", shown, what,
		    rc == RP_E_RESERVED
		        ? " (ids beginning with \"" RP_BROKER_RESERVED_PREFIX
		          "\" name Rampart's own identities)"
		        : "");
	}
	return rc;
}

const char *rp_broker_state_name(enum rp_broker_state s)
{
	switch (s) {
	case RP_BROKER_ACTIVE:
		return "active";
	case RP_BROKER_QUARANTINED:
		return "quarantined";
	case RP_BROKER_REVOKED:
		return "revoked";
	case RP_BROKER_DECOMMISSIONED:
		return "decommissioned";
	case RP_BROKER_UNKNOWN:
		break;
	}
	return "unknown";
}

rp_err rp_broker_serial_hex(const uint8_t *be, size_t len,
                            char out[RP_BROKER_SERIAL_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (be == NULL && len > 0)
		return RP_E_INVAL;
	while (len > 0 && be[0] == 0) {
		be++;
		len--;
	}
	if (len > RP_BROKER_SERIAL_MAX / 2)
		return RP_E_RANGE;
	for (i = 0; i < len; i++) {
		if (i > 0 || be[i] >> 4)
			out[o++] = hex[be[i] >> 4];
		out[o++] = hex[be[i] & 15];
	}
	if (o == 0)
		out[o++] = '0';
	out[o] = '\0';
	return RP_OK;
}

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
