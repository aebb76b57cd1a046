/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet.c - the fleet-state snapshot rampartd writes for the Mosquitto
 * plugin (docs/transport.md): built from the store after each committed
 * change that matters to the broker and at start, written atomically to
 * DATA_DIR/broker/fleet.snapshot; a failed write is logged as an error and
 * retried at the next change or tick, never undoing the committed change;
 * each write is announced to the broker on its reload topic (mqtt/).
 * Also rampartd's own MQTT service identity (DATA_DIR/pki/service.*) and
 * the operator's read-only monitor identity (DATA_DIR/pki/monitor.*),
 * each issued in its role's certificate profile and pinned (the SHA-256
 * of its public key) in the snapshot, so that only that key gets the
 * role (rampart/broker.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "broker/fleet.h"
#include "jobs/rd_jobs.h"
#include "mqtt/mqtt.h"
#include "rampart/alloc.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "rampartd.h"
#include "registry/lifecycle.h"

void fleet_free(struct fleet *fl)
{
	if (fl == NULL)
		return;
	free(fl->devs);
	free(fl->ids);
	free(fl->revoked);
	free(fl->serials);
	memset(fl, 0, sizeof *fl);
}

struct build {
	struct fleet *fl;
	rp_err rc;
};

/* Grow an array of elements of size sz to hold one more; 0 on success. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t nc = *cap ? *cap * 2 : 64;
	void *q;

	if (n < *cap)
		return 0;
	q = rp_realloc(*p, nc * sz);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

/* The mapping of rampartd's device states to the broker's: the
 * registry's (registry/lifecycle.h, docs/lifecycle.md). */
static int device_one(void *arg, const struct store_device *d)
{
	struct build *b = arg;
	struct fleet *fl = b->fl;
	enum rp_broker_state st;
	char why[160];
	size_t cap;

	if (!registry_broker_state(d, &st))
		return 0; /* allowlisted only: unknown to the broker */
	/* THE device-id rule; the plugin decides by the certificate's
	 * profile, and a device profile never carries such an id */
	if (rp_broker_device_id_check(d->serial, strlen(d->serial), why,
	                              sizeof why) != RP_OK) {
		/* a decommissioned one is retired already: no noise */
		if (st != RP_BROKER_DECOMMISSIONED)
			rp_log_error("broker: a device left out of the fleet "
			             "snapshot: %s; it cannot connect "
			             "(decommission it: docs/rampartd.md)",
			             why);
		fl->skipped++;
		return 0;
	}
	cap = fl->cap_devs;
	if (grow((void **)&fl->devs, &cap, fl->n_devs, sizeof *fl->devs) ||
	    grow((void **)&fl->ids, &fl->cap_devs, fl->n_devs,
	         sizeof *fl->ids)) {
		b->rc = RP_E_NOMEM;
		return 1;
	}
	snprintf(fl->ids[fl->n_devs], sizeof fl->ids[0], "%s", d->serial);
	fl->devs[fl->n_devs].state = st;
	fl->n_devs++;
	return 0;
}

/* Revoked serials in the snapshot's canonical form: no leading zeros. */
static int revoked_one(void *arg, const struct store_cert *c)
{
	struct build *b = arg;
	struct fleet *fl = b->fl;
	const char *h = c->serial;
	size_t cap = fl->cap_rev;

	while (h[0] == '0' && h[1] != '\0')
		h++;
	if (grow((void **)&fl->revoked, &cap, fl->n_rev, sizeof *fl->revoked) ||
	    grow((void **)&fl->serials, &fl->cap_rev, fl->n_rev,
	         sizeof *fl->serials)) {
		b->rc = RP_E_NOMEM;
		return 1;
	}
	snprintf(fl->serials[fl->n_rev], sizeof fl->serials[0], "%s", h);
	fl->n_rev++;
	return 0;
}

rp_err fleet_build(struct store *s, const struct rp_broker_principal *service,
                   const struct rp_broker_principal *monitor, int64_t now,
                   uint64_t seq, struct fleet *out)
{
	struct build b = {out, RP_OK};
	rp_err rc;
	size_t i;

	memset(out, 0, sizeof *out);
	rc = store_device_each(s, device_one, &b);
	if (rc == RP_OK)
		rc = b.rc;
	if (rc == RP_OK)
		rc = store_cert_each_revoked(s, STORE_CERT_DEVICE, now,
		                             revoked_one, &b);
	if (rc == RP_OK)
		rc = b.rc;
	if (rc != RP_OK)
		return rc;
	/* Pointers last: the arrays no longer move. */
	for (i = 0; i < out->n_devs; i++)
		out->devs[i].id = out->ids[i];
	for (i = 0; i < out->n_rev; i++)
		out->revoked[i] = out->serials[i];
	out->services[0] = *service;
	out->f.seq = seq;
	out->f.services = out->services;
	out->f.n_services = 1;
	out->f.devices = out->devs;
	out->f.n_devices = out->n_devs;
	out->f.revoked = out->revoked;
	out->f.n_revoked = out->n_rev;
	if (monitor != NULL)
		out->monitors[0] = *monitor;
	out->f.monitors = out->monitors;
	out->f.n_monitors = monitor != NULL ? 1 : 0;
	return RP_OK;
}

/* Microseconds of wall time: a sequence that also grows across restarts. */
static uint64_t next_seq(uint64_t last)
{
	struct timeval tv;
	uint64_t us;

	gettimeofday(&tv, NULL);
	us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	return us > last ? us : last + 1;
}

void broker_sync(struct rampartd *rd, const char *why)
{
	struct fleet fl;
	char dir[4200], path[4200];
	uint64_t seq = next_seq(rd->snap_seq);
	rp_err rc;

	memset(&fl, 0, sizeof fl);
	if (!rd->service_pinned) {
		/* a snapshot without the service would shut rampartd out */
		rd->snap_dirty = 1;
		rp_log_error("broker: FLEET SNAPSHOT NOT WRITTEN after %s: "
		             "rampartd's MQTT service identity (%s) could not "
		             "be issued or loaded, and a snapshot without its "
		             "pin would lock rampartd out of the broker; the "
		             "broker keeps enforcing the previous state; "
		             "retrying at the next change or with backoff",
		             why, FLEET_SVC_CERT);
		jobs_trigger(rd->jobs, RD_JOB_SNAPSHOT);
		return;
	}
	if (!rd->monitor_pinned)
		rp_log_warn("broker: the monitor identity (%s) could not be "
		            "issued or loaded: the snapshot lists no monitor",
		            FLEET_MON_CERT);
	snprintf(dir, sizeof dir, "%s/" FLEET_DIR, rd->data_dir);
	snprintf(path, sizeof path, "%s/" FLEET_SNAPSHOT, rd->data_dir);
	if (mkdir(dir, FLEET_DIR_MODE) == 0)
		(void)chmod(dir, FLEET_DIR_MODE); /* past rampartd's umask */
	rc = fleet_build(rd->store, &rd->service,
	                 rd->monitor_pinned ? &rd->monitor : NULL,
	                 (int64_t)time(NULL), seq, &fl);
	if (rc == RP_OK)
		rc = rp_broker_snapshot_write(path, &fl.f, FLEET_FILE_MODE);
	if (rc != RP_OK) {
		rd->snap_dirty = 1;
		rp_log_error("broker: FLEET SNAPSHOT NOT WRITTEN after %s: %s "
		             "(%s); the broker keeps enforcing the previous "
		             "state; retrying at the next change or with "
		             "backoff",
		             why, path, rp_strerror(rc));
		jobs_trigger(rd->jobs, RD_JOB_SNAPSHOT);
	} else {
		rd->snap_dirty = 0;
		rd->snap_seq = seq;
		rp_log_info("broker: fleet snapshot seq %llu written after %s: "
		            "%zu devices, %zu revoked serials",
		            (unsigned long long)seq, why, fl.n_devs, fl.n_rev);
		/* the broker reloads at once (its file poll is the backup) */
		mqtt_notify_reload(rd);
	}
	fleet_free(&fl);
}

/* The private key at path matches cert; 0 when not (or unreadable). */
static int key_matches(const char *path, X509 *cert)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	int ok = k != NULL && X509_check_private_key(cert, k) == 1;

	if (f != NULL)
		fclose(f);
	EVP_PKEY_free(k);
	return ok;
}

static const char *role_name(enum rp_broker_role role)
{
	return role == RP_BROKER_ROLE_SERVICE ? "service" : "monitor";
}

/*
 * The certificate at cert_path if it is usable until past the renewal
 * window AND presents role's profile with id (what the plugin will read,
 * rp_broker_peer_from_x509):
 * *peer gets what it presents, with its pin. Otherwise NULL and *why says
 * why a fresh identity is needed; *old_profile is set when the only
 * fault is the profile (a data directory from before the role profiles,
 * whose certificate was issued in the device profile).
 */
static X509 *svc_load(struct rampartd *rd, const char *cert_path,
                      const char *key_path, enum rp_broker_role role,
                      const char *id, struct rp_broker_peer *peer,
                      const char **why, int *old_profile)
{
	FILE *f = fopen(cert_path, "r");
	X509 *c = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	const char *pwhy = NULL;
	int64_t now = (int64_t)time(NULL);
	rp_err rc;

	*old_profile = 0;
	if (f != NULL)
		fclose(f);
	ERR_clear_error();
	if (c == NULL) {
		*why = f ? "the certificate cannot be read" : "none yet";
		goto bad;
	}
	if (X509_verify(c, X509_get0_pubkey(rd->ca->issuing)) != 1) {
		*why = "the certificate is not signed by the issuing CA";
		goto bad;
	}
	if (ca_time(X509_get0_notAfter(c)) - now <= rd->cfg.renew_window) {
		*why = "the certificate is within renew_window of its expiry";
		goto bad;
	}
	if (!key_matches(key_path, c)) {
		*why = "the key is missing or does not match the certificate";
		goto bad;
	}
	rc = rp_broker_peer_from_x509(c, peer, &pwhy);
	if (rc != RP_OK || peer->profile != role || strcmp(peer->id, id) != 0) {
		*old_profile = 1;
		*why =
		    rc != RP_OK ? pwhy : "the certificate is for another role";
		goto bad;
	}
	return c;
bad:
	ERR_clear_error();
	X509_free(c);
	return NULL;
}

/*
 * One MQTT identity of rampartd's (role SERVICE or MONITOR, its reserved
 * id): keep the certificate at cert_rel (under the data directory) while
 * svc_load accepts it, else issue a fresh key (0600) and certificate in
 * role's profile (ca_issue_principal). *not_after: the certificate's end;
 * pin: the SHA-256 of its public key, for the snapshot.
 */
static rp_err identity(struct rampartd *rd, const char *cert_rel,
                       const char *key_rel, enum rp_broker_role role,
                       const char *id, int64_t *not_after,
                       uint8_t pin[RP_BROKER_PIN_LEN])
{
	char cp[4200], kp[4200];
	const char *what = role_name(role), *why = "", *pwhy = NULL;
	struct rp_broker_peer peer;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *b = NULL;
	char *pem = NULL, *kdata = NULL;
	long klen = 0;
	int64_t life;
	int old_profile = 0;
	rp_err rc = RP_E_CRYPTO;

	snprintf(cp, sizeof cp, "%s/%s", rd->data_dir, cert_rel);
	snprintf(kp, sizeof kp, "%s/%s", rd->data_dir, key_rel);
	cert = svc_load(rd, cp, kp, role, id, &peer, &why, &old_profile);
	if (cert != NULL) {
		*not_after = ca_time(X509_get0_notAfter(cert));
		memcpy(pin, peer.pin, RP_BROKER_PIN_LEN);
		rc = RP_OK;
		goto out;
	}
	if (old_profile)
		rp_log_warn("broker: %s does not have the %s profile (%s): a "
		            "certificate from before the role profiles; "
		            "reissuing the %s identity with a new key",
		            cp, what, why, what);
	key = EVP_EC_gen("P-256");
	if (key == NULL)
		goto out;
	/* Never born inside its renewal window: else every tick would make
	 * a new key, a new pin and a reconnect (renew_window set at or past
	 * device_lifetime). */
	life = rd->cfg.device_lifetime;
	if (life <= rd->cfg.renew_window) {
		life = rd->cfg.renew_window + rd->cfg.device_lifetime;
		rp_log_warn("broker: renew_window (%llds) is not shorter than "
		            "device_lifetime (%llds): the MQTT %s certificate "
		            "is issued for %llds",
		            (long long)rd->cfg.renew_window,
		            (long long)rd->cfg.device_lifetime, what,
		            (long long)life);
	}
	rc = ca_issue_principal(rd->ca, key, role, id, life, &cert);
	if (rc != RP_OK)
		goto out;
	/* what the plugin will read, checked before anything is written */
	rc = rp_broker_peer_from_x509(cert, &peer, &pwhy);
	if (rc == RP_OK && (peer.profile != role || strcmp(peer.id, id) != 0))
		rc = RP_E_CERT_PROFILE;
	if (rc != RP_OK) {
		rp_log_error("broker: the issued %s certificate does not read "
		             "as the %s profile: %s",
		             what, what, pwhy ? pwhy : "another role");
		goto out;
	}
	rc = RP_E_CRYPTO;
	pem = ca_cert_pem(cert);
	b = BIO_new(BIO_s_mem());
	if (pem == NULL || b == NULL ||
	    !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	klen = BIO_get_mem_data(b, &kdata);
	/* Key first: a crash in between leaves a certificate that does not
	 * match its key, so the next start issues a fresh pair. */
	rc = ca_write_file(kp, kdata, (size_t)klen, 0600);
	if (rc == RP_OK)
		rc = ca_write_file(cp, pem, strlen(pem), 0644);
	if (rc == RP_OK) {
		*not_after = ca_time(X509_get0_notAfter(cert));
		memcpy(pin, peer.pin, RP_BROKER_PIN_LEN);
		rp_log_info("broker: %s the MQTT %s certificate (CN %s, %s "
		            "profile) in %s (%s)",
		            old_profile ? "reissued" : "issued", what, id, what,
		            cp, why);
	}
out:
	if (rc != RP_OK)
		rp_log_error("broker: cannot issue the MQTT %s certificate: "
		             "%s",
		             what, rp_strerror(rc));
	ERR_clear_error();
	if (kdata != NULL)
		rp_wipe(kdata, (size_t)klen);
	BIO_free(b);
	free(pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

rp_err broker_service_identity(struct rampartd *rd)
{
	int64_t svc = rd->service_not_after, mon = rd->monitor_not_after;
	uint8_t spin[RP_BROKER_PIN_LEN], mpin[RP_BROKER_PIN_LEN];
	rp_err rc, rc2;

	rc = identity(rd, FLEET_SVC_CERT, FLEET_SVC_KEY, RP_BROKER_ROLE_SERVICE,
	              RP_BROKER_SERVICE_ID, &svc, spin);
	rc2 =
	    identity(rd, FLEET_MON_CERT, FLEET_MON_KEY, RP_BROKER_ROLE_MONITOR,
	             RP_BROKER_MONITOR_ID, &mon, mpin);
	/* Set only what was (re)issued or loaded: the MQTT client
	 * reconnects when service_not_after changes, and a failed renewal
	 * keeps the pin of the certificate still in use. */
	rd->service.id = RP_BROKER_SERVICE_ID;
	rd->monitor.id = RP_BROKER_MONITOR_ID;
	if (rc == RP_OK) {
		memcpy(rd->service.pin, spin, sizeof spin);
		rd->service_pinned = 1;
		rd->service_not_after = svc;
	}
	if (rc2 == RP_OK) {
		memcpy(rd->monitor.pin, mpin, sizeof mpin);
		rd->monitor_pinned = 1;
		rd->monitor_not_after = mon;
	}
	return rc != RP_OK ? rc : rc2;
}
