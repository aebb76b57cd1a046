/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claims.c - the claims resource of the admin API (api.h): POST /claims
 * signs a claim certificate for an operator's CSR (the key never leaves
 * the operator's machine), GET /claims lists them with their use, and
 * POST /claims/SERIAL/revoke makes rampartd refuse one from now on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "api/api.h"
#include "est/csr.h"
#include "http/http.h"
#include "rampart/log.h"
#include "rampartd.h"

/* POST claims {"group", "lifetime", "csr"}: a claim certificate. */
API_HANDLER(api_claims_create)
{
	json_t *in = NULL;
	json_error_t jerr;
	char *body = NULL, *pem = NULL, why[256];
	const char *group = NULL, *csr_pem = NULL;
	json_int_t lifetime = 0;
	size_t len;
	BIO *b = NULL;
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	struct csr_info info;
	struct store_cert sc;
	rp_err rc;

	(void)rr;
	if (http_body(req, API_JSON_MAX, &body, &len) != RP_OK) {
		api_reply_error(req, 413, "body too big");
		goto out;
	}
	in = json_loadb(body, len, 0, &jerr);
	if (in == NULL ||
	    json_unpack_ex(in, &jerr, 0, "{s:s, s:I, s:s}", "group", &group,
	                   "lifetime", &lifetime, "csr", &csr_pem) != 0) {
		api_reply_error(req, 400,
		                "body must be {\"group\", \"lifetime\" "
		                "(seconds), \"csr\" (PEM)}");
		goto out;
	}
	if (!csr_id_valid(group)) {
		api_reply_error(req, 400,
		                "group must be 1..64 of [A-Za-z0-9._-]");
		goto out;
	}
	if (lifetime < 60 || lifetime > rd->cfg.claim_max_lifetime) {
		api_reply_error(req, 400,
		                "lifetime out of range (claim_max_"
		                "lifetime)");
		goto out;
	}
	b = BIO_new_mem_buf(csr_pem, -1);
	csr = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	ERR_clear_error();
	if (csr == NULL) {
		api_reply_error(req, 400,
		                "csr is not a PEM certificate request");
		goto out;
	}
	rc = csr_check(csr, &info, why, sizeof why);
	if (rc != RP_OK) {
		api_reply_error(req, 400, why);
		goto out;
	}
	rc = ca_issue_claim(rd->ca, X509_REQ_get0_pubkey(csr), group,
	                    (int64_t)lifetime, &cert);
	memset(&sc, 0, sizeof sc);
	if (rc == RP_OK)
		rc = ca_serial_hex(cert, sc.serial);
	pem = rc == RP_OK ? ca_cert_pem(cert) : NULL;
	if (pem == NULL) {
		api_reply_error(req, 500, "signing failed");
		goto out;
	}
	snprintf(sc.subject, sizeof sc.subject, "%s", group);
	snprintf(sc.kind, sizeof sc.kind, "%s", STORE_CERT_CLAIM);
	sc.not_before = ca_time(X509_get0_notBefore(cert));
	sc.not_after = ca_time(X509_get0_notAfter(cert));
	rc = store_cert_add(rd->store, &sc, pem);
	if (rc != RP_OK) {
		api_reply_error(req, 503, rp_strerror(rc));
		goto out;
	}
	rp_log_info("admin: issued claim certificate %s for group %s",
	            sc.serial, group);
	api_reply_json(req, 200,
	               json_pack("{s:s, s:s, s:s, s:I}", "cert", pem, "serial",
	                         sc.serial, "group", group, "not_after",
	                         (json_int_t)sc.not_after));
out:
	free(pem);
	X509_free(cert);
	X509_REQ_free(csr);
	BIO_free(b);
	json_decref(in);
	free(body);
}

static int claim_one(void *arg, const struct store_cert *c)
{
	return json_array_append_new(
	           arg, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
	                          "serial", c->serial, "group", c->subject,
	                          "not_before", (json_int_t)c->not_before,
	                          "not_after", (json_int_t)c->not_after,
	                          "revoked_at", (json_int_t)c->revoked_at,
	                          "uses", (json_int_t)c->uses, "last_used_at",
	                          (json_int_t)c->last_used_at)) != 0;
}

API_HANDLER(api_claims_list)
{
	json_t *arr = json_array();

	(void)rr;
	if (store_cert_each_kind(rd->store, STORE_CERT_CLAIM, claim_one, arr) !=
	    RP_OK) {
		json_decref(arr);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200, arr);
}

/* The serial of a certificate: at most 40 hex digits (ca_serial_hex). */
#define SERIAL_MAX 40

API_HANDLER(api_claim_revoke)
{
	const char *serial = rr->param[0];
	struct store_cert c;
	rp_err rc = RP_E_NOT_FOUND;

	if (strlen(serial) <= SERIAL_MAX)
		rc = store_cert_get(rd->store, serial, &c);
	if (rc == RP_OK && strcmp(c.kind, STORE_CERT_CLAIM) != 0)
		rc = RP_E_NOT_FOUND;
	if (rc == RP_OK)
		rc = store_cert_revoke(rd->store, serial, 0,
		                       (int64_t)time(NULL));
	if (rc != RP_OK) {
		api_reply_error(req,
		                rc == RP_E_NOT_FOUND ? 404
		                : rc == RP_E_STATE   ? 409
		                                     : 503,
		                rc == RP_E_NOT_FOUND ? "no such claim"
		                : rc == RP_E_STATE   ? "claim already revoked"
		                                     : rp_strerror(rc));
		return;
	}
	rp_log_info("admin: revoked claim certificate %s", serial);
	api_reply_json(req, 200, json_pack("{s:s}", "revoked", serial));
}
