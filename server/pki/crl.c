/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crl.c - publishes the issuing CA's CRL: every revoked device certificate
 * that has not yet expired, a CRL number from the store, recorded in the
 * crls table, written to DATA_DIR/pki/crl.pem (for the broker's crlfile)
 * and crl.der, and kept in memory for GET /pki/crl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/rd_jobs.h"
#include "rampart/alloc.h"
#include "rampart/log.h"
#include "rampartd.h"

struct collect {
	struct ca_revoked *r;
	char (*serials)[41];
	size_t n, cap;
	int oom;
};

static int add_one(void *arg, const struct store_cert *c)
{
	struct collect *k = arg;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct ca_revoked *r = rp_realloc(k->r, cap * sizeof *r);
		char(*s)[41];

		if (r == NULL) {
			k->oom = 1;
			return 1;
		}
		k->r = r;
		s = rp_realloc(k->serials, cap * sizeof *s);
		if (s == NULL) {
			k->oom = 1;
			return 1;
		}
		k->serials = s;
		k->cap = cap;
	}
	memcpy(k->serials[k->n], c->serial, sizeof c->serial);
	k->r[k->n].at = c->revoked_at;
	k->r[k->n].reason = c->reason;
	k->n++;
	return 0;
}

rp_err crl_publish(struct rampartd *rd)
{
	struct collect k;
	uint8_t *der = NULL;
	size_t der_len = 0, i;
	char *pem = NULL, path[4200];
	int64_t number = 0, now = (int64_t)time(NULL);
	rp_err rc;

	memset(&k, 0, sizeof k);
	rc = store_cert_each_revoked(rd->store, STORE_CERT_DEVICE, now, add_one,
	                             &k);
	if (rc == RP_OK && k.oom)
		rc = RP_E_NOMEM;
	if (rc != RP_OK)
		goto out;
	for (i = 0; i < k.n; i++)
		k.r[i].serial_hex = k.serials[i];
	rc = store_begin(rd->store);
	if (rc != RP_OK)
		goto out;
	rc = store_crl_next_number(rd->store, &number);
	if (rc == RP_OK)
		rc = ca_make_crl(rd->ca, k.r, k.n, number, rd->cfg.crl_lifetime,
		                 &der, &der_len, &pem);
	if (rc == RP_OK)
		rc = store_crl_add(rd->store, number, now,
		                   now + rd->cfg.crl_lifetime, der, der_len);
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	if (rc != RP_OK) {
		store_rollback(rd->store);
		goto out;
	}
	snprintf(path, sizeof path, "%s/crl.pem", rd->ca->dir);
	rc = ca_write_file(path, pem, strlen(pem), 0644);
	snprintf(path, sizeof path, "%s/crl.der", rd->ca->dir);
	if (rc == RP_OK)
		rc = ca_write_file(path, der, der_len, 0644);
	if (rc != RP_OK)
		goto out;
	free(rd->crl_der);
	rd->crl_der = der;
	rd->crl_len = der_len;
	rd->crl_next_update = now + rd->cfg.crl_lifetime;
	der = NULL;
	rp_log_info("pki: published CRL %lld with %zu revoked "
	            "certificate(s)",
	            (long long)number, k.n);
out:
	if (rc != RP_OK) {
		rp_log_error("pki: could not publish the CRL: %s",
		             rp_strerror(rc));
		jobs_trigger(rd->jobs, RD_JOB_CRL); /* retried with backoff */
	}
	free(der);
	free(pem);
	free(k.r);
	free(k.serials);
	return rc;
}
