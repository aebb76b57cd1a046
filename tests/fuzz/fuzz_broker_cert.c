/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_broker_cert.c - libFuzzer harness for the broker's client
 * certificate reader (lib/proto/broker_cert.c, rp_broker_peer_from_der, and
 * rp_broker_peer_from_x509, which must agree with it) and the
 * connect decision on what it reads. Any input is refused cleanly
 * (profile NONE, id and serial strings, a reason) or read into a
 * consistent peer: a valid id, a canonical serial, a device profile only
 * for an unreserved id and a service or monitor profile only for a
 * reserved one. Then, against a fixed snapshot (service rampartd, monitor
 * rampart-monitor, a few devices): a device-profile peer is never granted
 * the service or monitor role, whatever its key, even the pinned ones; a
 * service or monitor peer is granted its role exactly when the snapshot
 * pins its id and key under that role. Seeds: make-broker-cert-seeds.sh.
 * Under faultsim (tests/faultsim/) a call may refuse with RP_E_NOMEM only
 * when an allocation failed during it; one that had an allocation fail
 * may refuse (cleanly), never answer otherwise than the other entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "../faultsim/faultsim.h"
#include "rampart/broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The snapshot's pins: 0x11.. (service) and 0x22.. (monitor). */
static uint8_t pin_s[RP_BROKER_PIN_LEN], pin_m[RP_BROKER_PIN_LEN];

/* Built once (the harness's for the whole run). */
static rp_broker_snapshot *fixed(void)
{
	static rp_broker_snapshot *s;
	static struct rp_broker_principal svc[1] = {
	    {RP_BROKER_SERVICE_ID, {0}}};
	static struct rp_broker_principal mon[1] = {
	    {RP_BROKER_MONITOR_ID, {0}}};
	static const struct rp_broker_device devs[] = {
	    {"SN-0001", RP_BROKER_ACTIVE},
	    {"SN-0002", RP_BROKER_QUARANTINED},
	    {"SN-0003", RP_BROKER_REVOKED},
	    {"xrampartd", RP_BROKER_ACTIVE}};
	struct rp_broker_fleet f = {.seq = 1,
	                            .services = svc,
	                            .n_services = 1,
	                            .devices = devs,
	                            .n_devices = 4,
	                            .monitors = mon,
	                            .n_monitors = 1};
	char *text = NULL;
	size_t len = 0;

	if (s != NULL)
		return s;
	memset(pin_s, 0x11, sizeof pin_s);
	memset(pin_m, 0x22, sizeof pin_m);
	memcpy(svc[0].pin, pin_s, sizeof pin_s);
	memcpy(mon[0].pin, pin_m, sizeof pin_m);
	if (rp_broker_snapshot_encode(&f, &text, &len) != RP_OK ||
	    rp_broker_snapshot_parse(text, len, NULL, &s, NULL) != RP_OK)
		abort();
	free(text);
	return s;
}

static bool serial_canonical(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > RP_BROKER_SERIAL_MAX || (s[0] == '0' && n > 1))
		return false;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static enum rp_broker_role decide(const rp_broker_snapshot *s,
                                  const struct rp_broker_peer *p)
{
	enum rp_broker_role role;
	enum rp_broker_state st;

	rp_broker_snapshot_decide(s, p, &role, &st);
	if (role != RP_BROKER_ROLE_NONE && role != p->profile)
		abort(); /* a profile earns its own role or nothing */
	if ((role == RP_BROKER_ROLE_NONE) != (st == RP_BROKER_UNKNOWN))
		abort();
	return role;
}

/* An allocation failed since failed, and rc is the refusal for it. */
static bool no_memory(rp_err rc, unsigned long failed)
{
	return rc == RP_E_NOMEM && rp_faultsim_failures() != failed;
}

/*
 * The peer's id and pin listed under role in a snapshot of its own; -1
 * when that snapshot could not be made for memory (faultsim).
 */
static int decide_listed(const struct rp_broker_peer *p,
                         enum rp_broker_role role)
{
	unsigned long failed = rp_faultsim_failures();
	struct rp_broker_principal one[1];
	struct rp_broker_fleet f = {.seq = 2};
	rp_broker_snapshot *s = NULL;
	enum rp_broker_role got;
	char *text = NULL;
	size_t len = 0;
	rp_err rc;

	one[0].id = p->id;
	memcpy(one[0].pin, p->pin, sizeof one[0].pin);
	if (role == RP_BROKER_ROLE_SERVICE) {
		f.services = one;
		f.n_services = 1;
	} else {
		f.monitors = one;
		f.n_monitors = 1;
	}
	rc = rp_broker_snapshot_encode(&f, &text, &len);
	if (rc == RP_OK)
		rc = rp_broker_snapshot_parse(text, len, NULL, &s, NULL);
	free(text);
	if (no_memory(rc, failed))
		return -1;
	if (rc != RP_OK)
		abort(); /* a reserved id always goes in */
	got = decide(s, p);
	rp_broker_snapshot_free(s);
	return got;
}

/*
 * When the input parses as one certificate, the plugin's entry
 * (rp_broker_peer_from_x509, on the parsed certificate) reads exactly what
 * rp_broker_peer_from_der read: the same result, peer and reason; but
 * where one of them had an allocation fail (faulted) and refused.
 */
static void same_from_x509(const uint8_t *data, size_t size, rp_err rc,
                           const struct rp_broker_peer *p, const char *why,
                           bool faulted)
{
	const unsigned char *q = data;
	unsigned long failed;
	X509 *x = d2i_X509(NULL, &q, (long)size); /* ours */
	struct rp_broker_peer o;
	const char *owhy = NULL;
	rp_err orc;

	if (x != NULL && q == data + size) {
		memset(&o, 0x5a, sizeof o);
		failed = rp_faultsim_failures();
		orc = rp_broker_peer_from_x509(x, &o, &owhy);
		if ((orc == RP_E_NOMEM && rp_faultsim_failures() == failed) ||
		    (orc != RP_OK &&
		     (o.profile != RP_BROKER_ROLE_NONE || owhy == NULL)))
			abort();
		if ((faulted && rc != RP_OK) ||
		    (orc != RP_OK && rp_faultsim_failures() != failed)) {
			/* one refused for memory: nothing to compare */
		} else if (orc != rc || o.profile != p->profile ||
		           strcmp(o.id, p->id) != 0 ||
		           strcmp(o.serial, p->serial) != 0 ||
		           memcmp(o.pin, p->pin, sizeof o.pin) != 0 ||
		           (owhy == NULL) != (why == NULL) ||
		           (owhy != NULL && strcmp(owhy, why) != 0))
			abort();
	}
	X509_free(x);
	ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const rp_broker_snapshot *s = fixed();
	struct rp_broker_peer p, q;
	const char *why = (const char *)1;
	enum rp_broker_role role;
	unsigned long failed = rp_faultsim_failures();
	bool reserved, faulted;
	int got;
	rp_err rc;

	memset(&p, 0xa5, sizeof p);
	rc = rp_broker_peer_from_der(data, size, &p, &why);
	faulted = rp_faultsim_failures() != failed;
	if (rc == RP_E_NOMEM && !faulted)
		abort();
	same_from_x509(data, size, rc, &p, why, faulted);
	if (memchr(p.id, '\0', sizeof p.id) == NULL ||
	    memchr(p.serial, '\0', sizeof p.serial) == NULL)
		abort();
	if (p.id[0] != '\0' && !rp_broker_id_valid(p.id, strlen(p.id)))
		abort();
	if (p.serial[0] != '\0' && !serial_canonical(p.serial))
		abort();
	if (rc != RP_OK) {
		if (p.profile != RP_BROKER_ROLE_NONE || why == NULL ||
		    why == (const char *)1 || strlen(why) == 0)
			abort();
		if (decide(s, &p) != RP_BROKER_ROLE_NONE)
			abort();
		return 0;
	}
	if (why != NULL || p.id[0] == '\0' || p.serial[0] == '\0')
		abort();
	reserved = rp_broker_id_reserved(p.id, strlen(p.id));
	switch (p.profile) {
	case RP_BROKER_ROLE_DEVICE:
		if (reserved)
			abort();
		/* never the service or monitor, on any key, pinned or not */
		q = p;
		if (decide(s, &q) > RP_BROKER_ROLE_DEVICE)
			abort();
		memcpy(q.pin, pin_s, sizeof q.pin);
		if (decide(s, &q) > RP_BROKER_ROLE_DEVICE)
			abort();
		memcpy(q.pin, pin_m, sizeof q.pin);
		if (decide(s, &q) > RP_BROKER_ROLE_DEVICE)
			abort();
		break;
	case RP_BROKER_ROLE_SERVICE:
	case RP_BROKER_ROLE_MONITOR:
		if (!reserved)
			abort();
		/* the fixed snapshot: only with exactly its pin */
		role = decide(s, &p);
		if (role != RP_BROKER_ROLE_NONE &&
		    memcmp(p.pin,
		           p.profile == RP_BROKER_ROLE_SERVICE ? pin_s : pin_m,
		           RP_BROKER_PIN_LEN) != 0)
			abort();
		/* listed with this key: granted under its own role only
		 * (-1: the snapshot was refused for memory) */
		got = decide_listed(&p, p.profile);
		if (got != -1 && got != (int)p.profile)
			abort();
		got = decide_listed(&p, p.profile == RP_BROKER_ROLE_SERVICE
		                            ? RP_BROKER_ROLE_MONITOR
		                            : RP_BROKER_ROLE_SERVICE);
		if (got != -1 && got != RP_BROKER_ROLE_NONE)
			abort();
		/* the same id and key presented as a device: nothing */
		q = p;
		q.profile = RP_BROKER_ROLE_DEVICE;
		got = decide_listed(&q, p.profile);
		if (got != -1 && got != RP_BROKER_ROLE_NONE)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
