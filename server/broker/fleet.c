/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet.c - the fleet-state snapshot rampartd writes for the Mosquitto
 * plugin (docs/transport.md): built from the store after each committed
 * change that matters to the broker and at start, written atomically to
 * DATA_DIR/broker/fleet.snapshot; a failed write is logged as an error and
 * retried at the next change or tick, never undoing the committed change;
 * each write is announced to the broker on its reload topic (mqtt/).
 * Also rampartd's own MQTT service identity (DATA_DIR/pki/service.*) and
 * the operator's read-only monitor identity (DATA_DIR/pki/monitor.*).
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
#include "mqtt/mqtt.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "rampartd.h"

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
	const char *service_cn;
	rp_err rc;
};

/* Grow an array of elements of size sz to hold one more; 0 on success. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t nc = *cap ? *cap * 2 : 64;
	void *q;

	if (n < *cap)
		return 0;
	q = realloc(*p, nc * sz);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

/* The mapping of rampartd's device states to the broker's. */
static int device_one(void *arg, const struct store_device *d)
{
	struct build *b = arg;
	struct fleet *fl = b->fl;
	enum rp_broker_state st;
	size_t cap;

	if (d->state == STORE_DEV_ENROLLED)
		st = d->quarantined ? RP_BROKER_QUARANTINED : RP_BROKER_ACTIVE;
	else if (d->state == STORE_DEV_DECOMMISSIONED)
		st = RP_BROKER_DECOMMISSIONED;
	else
		return 0; /* allowlisted only: unknown to the broker */
	if (strcmp(d->serial, b->service_cn) == 0 ||
	    strcmp(d->serial, FLEET_MON_CN) == 0 ||
	    !rp_broker_id_valid(d->serial, strlen(d->serial))) {
		rp_log_error("broker: device %s left out of the fleet snapshot "
		             "(its id is the service's or the monitor's, or "
		             "not a valid MQTT identity): it cannot connect",
		             d->serial);
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

rp_err fleet_build(struct store *s, const char *service_cn, int64_t now,
                   uint64_t seq, struct fleet *out)
{
	struct build b = {out, service_cn, RP_OK};
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
	out->services[0] = service_cn;
	out->f.seq = seq;
	out->f.services = out->services;
	out->f.n_services = 1;
	out->f.devices = out->devs;
	out->f.n_devices = out->n_devs;
	out->f.revoked = out->revoked;
	out->f.n_revoked = out->n_rev;
	out->monitors[0] = FLEET_MON_CN;
	out->f.monitors = out->monitors;
	out->f.n_monitors = 1;
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

	snprintf(dir, sizeof dir, "%s/" FLEET_DIR, rd->data_dir);
	snprintf(path, sizeof path, "%s/" FLEET_SNAPSHOT, rd->data_dir);
	if (mkdir(dir, FLEET_DIR_MODE) == 0)
		(void)chmod(dir, FLEET_DIR_MODE); /* past rampartd's umask */
	rc = fleet_build(rd->store, rd->service_cn, (int64_t)time(NULL), seq,
	                 &fl);
	if (rc == RP_OK)
		rc = rp_broker_snapshot_write(path, &fl.f, FLEET_FILE_MODE);
	if (rc != RP_OK) {
		rd->snap_dirty = 1;
		rp_log_error("broker: FLEET SNAPSHOT NOT WRITTEN after %s: %s "
		             "(%s); the broker keeps enforcing the previous "
		             "state; retrying at the next change or tick",
		             why, path, rp_strerror(rc));
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

/* The certificate at cert_path, if it is usable until past the window. */
static X509 *svc_load(struct rampartd *rd, const char *cert_path,
                      const char *key_path)
{
	FILE *f = fopen(cert_path, "r");
	X509 *c = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	struct stat st;
	int64_t now = (int64_t)time(NULL);

	if (f != NULL)
		fclose(f);
	ERR_clear_error();
	if (c == NULL || stat(key_path, &st) != 0)
		goto bad;
	if (X509_verify(c, X509_get0_pubkey(rd->ca->issuing)) != 1 ||
	    ca_time(X509_get0_notAfter(c)) - now <= rd->cfg.renew_window)
		goto bad;
	return c;
bad:
	ERR_clear_error();
	X509_free(c);
	return NULL;
}

/*
 * One MQTT identity of rampartd's: keep the certificate at cert_rel (under
 * the data directory) while it is usable past the renewal window, else
 * issue a fresh key (0600) and certificate with CN cn. *not_after: the
 * certificate's end. what names it in logs.
 */
static rp_err identity(struct rampartd *rd, const char *cert_rel,
                       const char *key_rel, const char *cn, const char *what,
                       int64_t *not_after)
{
	char cp[4200], kp[4200];
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	X509 *cert = NULL;
	BIO *b = NULL;
	char *pem = NULL, *kdata = NULL;
	long klen = 0;
	rp_err rc = RP_E_CRYPTO;

	snprintf(cp, sizeof cp, "%s/%s", rd->data_dir, cert_rel);
	snprintf(kp, sizeof kp, "%s/%s", rd->data_dir, key_rel);
	cert = svc_load(rd, cp, kp);
	if (cert != NULL) {
		*not_after = ca_time(X509_get0_notAfter(cert));
		rc = RP_OK;
		goto out;
	}
	key = EVP_EC_gen("P-256");
	req = X509_REQ_new();
	if (key == NULL || req == NULL || !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_sign(req, key, EVP_sha256()))
		goto out;
	rc = ca_issue_device(rd->ca, req, cn, rd->cfg.device_lifetime, &cert);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_CRYPTO;
	pem = ca_cert_pem(cert);
	b = BIO_new(BIO_s_mem());
	if (pem == NULL || b == NULL ||
	    !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	klen = BIO_get_mem_data(b, &kdata);
	/* Key first: a crash in between leaves no certificate, so the
	 * next start issues a fresh pair. */
	rc = ca_write_file(kp, kdata, (size_t)klen, 0600);
	if (rc == RP_OK)
		rc = ca_write_file(cp, pem, strlen(pem), 0644);
	if (rc == RP_OK) {
		*not_after = ca_time(X509_get0_notAfter(cert));
		rp_log_info("broker: issued the MQTT %s certificate (CN %s) "
		            "in %s",
		            what, cn, cp);
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
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}

rp_err broker_service_identity(struct rampartd *rd)
{
	int64_t svc = rd->service_not_after, mon = rd->monitor_not_after;
	rp_err rc;

	snprintf(rd->service_cn, sizeof rd->service_cn, "%s", FLEET_SVC_CN);
	rc = identity(rd, FLEET_SVC_CERT, FLEET_SVC_KEY, FLEET_SVC_CN,
	              "service", &svc);
	if (rc == RP_OK)
		rc = identity(rd, FLEET_MON_CERT, FLEET_MON_KEY, FLEET_MON_CN,
		              "monitor", &mon);
	/* Set only what was (re)issued or loaded: the MQTT client
	 * reconnects when service_not_after changes. */
	rd->service_not_after = svc;
	rd->monitor_not_after = mon;
	return rc;
}
