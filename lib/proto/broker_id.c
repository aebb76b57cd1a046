/* SPDX-License-Identifier: Apache-2.0 */
/*
 * broker_id.c - the broker's names (rampart/broker.h): the id rules
 * (valid, reserved, THE device-id rule, on rp_id_valid of lib/core/id.c),
 * the state names and the serial rule, shared by the ACL, the snapshot
 * and the certificate reader. Apart from the ACL so that the device SDK,
 * which checks its issued certificate with the certificate reader, holds
 * no ACL code. No allocation.
 */
#include <stdio.h>
#include <string.h>

#include "rampart/broker.h"
#include "rampart/id.h"

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
