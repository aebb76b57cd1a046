/* SPDX-License-Identifier: Apache-2.0 */
/*
 * est.c - the EST routes of RFC 7030 (cacerts 4.1, simpleenroll 4.2.1,
 * simplereenroll 4.2.2) and the CRL download, handlers of rampartd's
 * route table (routes.c). Who may enroll is decided here: the claim or
 * device certificate of the TLS connection (est_authenticate, the table's
 * claim and device permissions), the CSR checks of csr.c, then the
 * allowlist entry, all inside one store transaction with the issued
 * certificate, so a crash leaves either no trace or the whole enrollment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "http/http.h"
#include "http/router.h"
#include "rampart/alloc.h"
#include "rampart/broker.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "rampartd.h"
#include "registry/lifecycle.h"

#define P7_TYPE "application/pkcs7-mime; smime-type=certs-only"

static int has_claim_eku(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku =
	    X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	ASN1_OBJECT *oid = OBJ_txt2obj(RP_OID_CLAIM_EKU, 1);
	int i, found = 0;

	for (i = 0; eku && oid && i < sk_ASN1_OBJECT_num(eku); i++) {
		if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), oid) == 0)
			found = 1;
	}
	ASN1_OBJECT_free(oid);
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

int est_is_claim(struct ca *ca, X509 *cert)
{
	return X509_NAME_cmp(X509_get_issuer_name(cert),
	                     X509_get_subject_name(ca->claim)) == 0 ||
	       has_claim_eku(cert);
}

/* CN of cert into out; 0 if absent or invalid. */
static int cert_cn(X509 *cert, char *out, size_t cap)
{
	X509_NAME *n = X509_get_subject_name(cert);
	int len = X509_NAME_get_text_by_NID(n, NID_commonName, out, (int)cap);

	return len > 0 && (size_t)len < cap && csr_id_valid(out);
}

/*
 * Verify cert against store (untrusted intermediates chain, may be NULL).
 * RP_E_CERT_EXPIRED / RP_E_CERT_UNTRUSTED with why.
 */
static rp_err verify(X509_STORE *store, STACK_OF(X509) * chain, X509 *cert,
                     int purpose, char *why, size_t cap)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	rp_err rc = RP_E_CERT_UNTRUSTED;
	int err;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, store, cert, chain) != 1) {
		snprintf(why, cap, "cannot set up verification");
		rc = RP_E_CRYPTO;
		goto out;
	}
	if (purpose != 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	if (X509_verify_cert(ctx) == 1) {
		rc = RP_OK;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	snprintf(why, cap, "certificate check: %s",
	         X509_verify_cert_error_string(err));
	if (err == X509_V_ERR_CERT_HAS_EXPIRED ||
	    err == X509_V_ERR_CERT_NOT_YET_VALID)
		rc = RP_E_CERT_EXPIRED;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* base64 (64-char lines) of a certs-only PKCS#7 of certs; caller frees. */
static char *p7_b64(X509 *const *certs, size_t n, size_t *len)
{
	PKCS7 *p7 = NULL;
	BIO *mem = BIO_new(BIO_s_mem()), *b64 = BIO_new(BIO_f_base64());
	char *data, *out = NULL;
	long m;
	size_t i;

	if (mem == NULL || b64 == NULL) {
		BIO_free(mem);
		BIO_free(b64);
		return NULL;
	}
	b64 = BIO_push(b64, mem);
	p7 = PKCS7_new();
	if (p7 == NULL || PKCS7_set_type(p7, NID_pkcs7_signed) != 1 ||
	    PKCS7_content_new(p7, NID_pkcs7_data) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		if (PKCS7_add_certificate(p7, certs[i]) != 1)
			goto out;
	}
	if (i2d_PKCS7_bio(b64, p7) != 1 || BIO_flush(b64) != 1)
		goto out;
	m = BIO_get_mem_data(mem, &data);
	out = rp_malloc((size_t)m + 1);
	if (out != NULL) {
		memcpy(out, data, (size_t)m);
		out[m] = '\0';
		*len = (size_t)m;
	}
out:
	BIO_free_all(b64);
	PKCS7_free(p7);
	return out;
}

static void reply_p7(struct evhttp_request *req, X509 *const *certs, size_t n)
{
	size_t len = 0;
	char *b = p7_b64(certs, n, &len);

	if (b == NULL) {
		http_reply_text(req, 500, "internal error");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Transfer-Encoding", "base64");
	http_reply(req, 200, P7_TYPE, b, len);
	free(b);
}

/* RFC 7030 4.1.3: the current CA certificates. */
void est_cacerts(struct rampartd *rd, struct evhttp_request *req,
                 const struct router_req *rr)
{
	X509 *certs[2] = {rd->ca->issuing, rd->ca->root};

	(void)rr;
	reply_p7(req, certs, 2);
}

void est_crl(struct rampartd *rd, struct evhttp_request *req,
             const struct router_req *rr)
{
	(void)rr;
	if (rd->crl_der == NULL) {
		http_reply_text(req, 503, "no CRL yet");
		return;
	}
	http_reply(req, 200, "application/pkix-crl", rd->crl_der, rd->crl_len);
}

struct enroll {
	struct rampartd *rd;
	struct evhttp_request *req;
	const char *route;
	int re;
	char who[CSR_ID_MAX + 1]; /* claim group or current device id */
	char cur_serial[41]; /* serial of the claim or current device cert */
	int64_t cur_not_after;
	char why[256];
};

/*
 * A claim must also be one this server issued and did not revoke: the
 * claim CA key signing something on its own is not enough.
 */
static rp_err claim_known(struct enroll *e, X509 *peer)
{
	struct store_cert sc;
	rp_err rc = ca_serial_hex(peer, e->cur_serial);

	if (rc == RP_OK)
		rc = store_cert_get(e->rd->store, e->cur_serial, &sc);
	if (rc == RP_E_NOT_FOUND ||
	    (rc == RP_OK && strcmp(sc.kind, STORE_CERT_CLAIM) != 0)) {
		snprintf(e->why, sizeof e->why,
		         "claim certificate %s was not issued by this server",
		         e->cur_serial);
		return RP_E_CERT_UNTRUSTED;
	}
	if (rc == RP_OK && sc.revoked_at != 0) {
		snprintf(e->why, sizeof e->why,
		         "claim certificate %s is revoked", e->cur_serial);
		return RP_E_CERT_REVOKED;
	}
	if (rc != RP_OK)
		snprintf(e->why, sizeof e->why, "claim lookup failed");
	return rc;
}

/*
 * simplereenroll's certificate must be a device's: its CN a device id
 * (rp_broker_device_id_check, so never reserved) and its extensions the
 * device profile (rp_broker_peer_from_x509), so that no service or monitor
 * certificate, which chains to the same CA, renews as a device. e->who
 * holds its CN. RP_E_RESERVED / RP_E_CERT_SUBJECT / RP_E_CERT_PROFILE
 * with e->why.
 */
static rp_err device_profile(struct enroll *e, X509 *peer)
{
	struct rp_broker_peer p;
	const char *pwhy = NULL;
	char idwhy[160];
	rp_err rc = rp_broker_device_id_check(e->who, strlen(e->who), idwhy,
	                                      sizeof idwhy);

	if (rc != RP_OK) {
		snprintf(e->why, sizeof e->why, "device certificate %s: %s",
		         e->cur_serial, idwhy);
		return rc == RP_E_RESERVED ? RP_E_RESERVED : RP_E_CERT_SUBJECT;
	}
	rc = rp_broker_peer_from_x509(peer, &p, &pwhy);
	if (rc == RP_OK && p.profile != RP_BROKER_ROLE_DEVICE) {
		rc = RP_E_CERT_PROFILE;
		pwhy = "it has a service or monitor profile";
	}
	if (rc != RP_OK) {
		snprintf(e->why, sizeof e->why,
		         "certificate %s is not in the device profile (%s)",
		         e->cur_serial, pwhy ? pwhy : rp_strerror(rc));
		rc = RP_E_CERT_PROFILE;
	}
	return rc;
}

/* Authenticate the TLS client for the route; on failure refused. */
static rp_err authenticate(struct enroll *e)
{
	struct ca *ca = e->rd->ca;
	X509 *peer = http_peer_cert(e->req);
	struct store_cert sc;
	rp_err rc;

	if (peer == NULL) {
		rd_refuse(e->rd, e->req, e->route, NULL, RP_E_NO_CLIENT_CERT,
		          401, "no client certificate on the TLS connection");
		return RP_E_NO_CLIENT_CERT;
	}
	if (!e->re) {
		/* simpleenroll: a claim certificate from the claim CA */
		if (!est_is_claim(ca, peer)) {
			rd_refuse(e->rd, e->req, e->route, NULL,
			          RP_E_CERT_UNTRUSTED, 401,
			          "client certificate is not from the claim "
			          "CA");
			return RP_E_CERT_UNTRUSTED;
		}
		rc = verify(ca->claim_store, NULL, peer, 0, e->why,
		            sizeof e->why);
		if (rc == RP_E_CERT_EXPIRED)
			rc = RP_E_CLAIM_EXPIRED;
		if (rc == RP_OK && !has_claim_eku(peer)) {
			snprintf(e->why, sizeof e->why,
			         "claim certificate lacks the claim EKU");
			rc = RP_E_CLAIM;
		}
		if (rc == RP_OK && !cert_cn(peer, e->who, sizeof e->who)) {
			snprintf(e->why, sizeof e->why,
			         "claim certificate has no valid group CN");
			rc = RP_E_CLAIM;
		}
		if (rc == RP_OK) {
			rc = claim_known(e, peer);
		}
		if (rc != RP_OK) {
			rd_refuse(e->rd, e->req, e->route, NULL, rc, 401,
			          e->why);
			return rc;
		}
		return RP_OK;
	}
	/* simplereenroll: a current device certificate of ours */
	rc = verify(ca->device_store, ca->chain, peer, X509_PURPOSE_SSL_CLIENT,
	            e->why, sizeof e->why);
	if (rc == RP_OK && (!cert_cn(peer, e->who, sizeof e->who) ||
	                    ca_serial_hex(peer, e->cur_serial) != RP_OK)) {
		snprintf(e->why, sizeof e->why,
		         "device certificate has no valid CN");
		rc = RP_E_CERT_UNTRUSTED;
	}
	if (rc == RP_OK)
		rc = device_profile(e, peer);
	if (rc == RP_OK) {
		rc = store_cert_get(e->rd->store, e->cur_serial, &sc);
		if (rc == RP_E_NOT_FOUND) {
			snprintf(e->why, sizeof e->why,
			         "certificate %s was never issued by this "
			         "server",
			         e->cur_serial);
			rc = RP_E_CERT_UNTRUSTED;
		} else if (rc == RP_OK && sc.revoked_at != 0) {
			snprintf(e->why, sizeof e->why,
			         "certificate %s is revoked (%s)",
			         e->cur_serial, ca_reason_name(sc.reason));
			rc = RP_E_CERT_REVOKED;
		} else if (rc == RP_OK &&
		           (strcmp(sc.kind, STORE_CERT_DEVICE) != 0 ||
		            strcmp(sc.subject, e->who) != 0)) {
			snprintf(e->why, sizeof e->why,
			         "certificate %s is not a device certificate "
			         "of %s",
			         e->cur_serial, e->who);
			rc = RP_E_CERT_UNTRUSTED;
		}
		e->cur_not_after = sc.not_after;
	}
	if (rc != RP_OK) {
		rd_refuse(e->rd, e->req, e->route, e->who[0] ? e->who : NULL,
		          rc, 401, e->why);
		return rc;
	}
	return RP_OK;
}

/* What est_issue needs besides the device record. */
struct issuing {
	struct enroll *e;
	X509_REQ *csr;
	const struct csr_info *info;
	X509 *cert; /* the last one issued (ours) */
};

/*
 * The EST checks of an allowlisted device (registry_enroll calls it
 * inside its transaction, after the state checks): the claim's group, the
 * renewal window and the hardware token; then the issuance.
 */
static rp_err est_issue(void *arg, const struct store_device *d,
                        struct store_cert *sc, char **pem, char *why,
                        size_t cap)
{
	struct issuing *is = arg;
	struct enroll *e = is->e;
	const struct csr_info *info = is->info;
	int64_t now = (int64_t)time(NULL);
	rp_err rc;

	if (!e->re && strcmp(d->group, e->who) != 0) {
		snprintf(why, cap,
		         "claim is for group %s, serial %s is in group %s",
		         e->who, info->id, d->group);
		return RP_E_CLAIM_GROUP;
	}
	if (e->re && e->cur_not_after - now > e->rd->cfg.renew_window &&
	    !d->force_renew) {
		snprintf(why, cap,
		         "certificate %s expires in %lld s, renewal opens "
		         "%lld s before expiry",
		         e->cur_serial, (long long)(e->cur_not_after - now),
		         (long long)e->rd->cfg.renew_window);
		return RP_E_RENEW_EARLY;
	}
	if (d->hw_token[0] != '\0') {
		size_t a = strlen(d->hw_token), b = strlen(info->hwtoken);

		if (!info->has_hwtoken || a != b ||
		    !rp_memeq(d->hw_token, info->hwtoken, a)) {
			snprintf(why, cap, "%s hardware token for serial %s",
			         info->has_hwtoken ? "wrong" : "missing",
			         info->id);
			return RP_E_HWTOKEN;
		}
	}
	X509_free(is->cert);
	is->cert = NULL;
	rc = ca_issue_device(e->rd->ca, is->csr, info->id,
	                     e->rd->cfg.device_lifetime, &is->cert);
	if (rc != RP_OK)
		return rc;
	rc = ca_serial_hex(is->cert, sc->serial);
	*pem = ca_cert_pem(is->cert);
	if (rc != RP_OK || *pem == NULL)
		return RP_E_CRYPTO;
	snprintf(sc->subject, sizeof sc->subject, "%s", info->id);
	snprintf(sc->kind, sizeof sc->kind, "%s", STORE_CERT_DEVICE);
	sc->not_before = ca_time(X509_get0_notBefore(is->cert));
	sc->not_after = ca_time(X509_get0_notAfter(is->cert));
	return RP_OK;
}

/*
 * The allowlist decision and the issuance: the registry's enroll or renew
 * transition (registry/lifecycle.h), one transaction. Returns the HTTP
 * status to refuse with (0: issued, *cert set).
 */
static int decide_and_issue(struct enroll *e, X509_REQ *csr,
                            const struct csr_info *info, X509 **cert,
                            rp_err *reason)
{
	struct registry_actor who = {REG_ACTOR_DEVICE, info->id};
	struct issuing is = {e, csr, info, NULL};
	rp_err rc;

	*cert = NULL;
	rc = registry_enroll(e->rd, &who, info->id, e->re != 0,
	                     e->re ? NULL : e->cur_serial, est_issue, &is,
	                     e->why, sizeof e->why);
	*reason = rc;
	if (rc == RP_OK) {
		*cert = is.cert;
		broker_sync(e->rd, e->re ? "a renewal" : "an enrollment");
		return 0;
	}
	X509_free(is.cert);
	switch (rc) {
	case RP_E_NOT_ALLOWLISTED:
	case RP_E_DECOMMISSIONED:
	case RP_E_CLAIM_GROUP:
	case RP_E_ENROLLED:
	case RP_E_STATE:
	case RP_E_RENEW_EARLY:
	case RP_E_HWTOKEN:
		return 403;
	default:
		if (e->why[0] == '\0')
			snprintf(e->why, sizeof e->why, "issuance failed: %s",
			         rp_strerror(rc));
		return 503;
	}
}

static const char *const est_route[2] = {"/.well-known/est/simpleenroll",
                                         "/.well-known/est/simplereenroll"};

static void enroll_init(struct enroll *e, struct rampartd *rd,
                        struct evhttp_request *req, int re)
{
	memset(e, 0, sizeof *e);
	e->rd = rd;
	e->req = req;
	e->re = re;
	e->route = est_route[re != 0];
}

rp_err est_authenticate(struct rampartd *rd, struct evhttp_request *req, int re,
                        struct router_principal *who)
{
	struct enroll e;
	const char *route;
	rp_err rc;

	enroll_init(&e, rd, req, re);
	/* a refusal is recorded under the route asked (/fw/v1/..., ...) */
	route = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (route != NULL && route[0] != '\0')
		e.route = route;
	rc = authenticate(&e);
	if (rc == RP_OK) {
		_Static_assert(sizeof who->id >= sizeof e.who, "who");
		_Static_assert(sizeof who->serial >= sizeof e.cur_serial, "sn");
		who->perm = re ? ROUTER_PERM_DEVICE : ROUTER_PERM_CLAIM;
		snprintf(who->id, sizeof who->id, "%s", e.who);
		snprintf(who->serial, sizeof who->serial, "%s", e.cur_serial);
		who->not_after = e.cur_not_after;
	}
	return rc;
}

/* RFC 7030 4.2.1 (re = 0) and 4.2.2 (re = 1), for the principal that
 * est_authenticate proved. */
static void enroll(struct rampartd *rd, struct evhttp_request *req, int re,
                   const struct router_principal *who)
{
	struct enroll e;
	const char *ct;
	char *body = NULL;
	size_t len = 0;
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	struct csr_info info;
	rp_err rc;
	int code;

	enroll_init(&e, rd, req, re);
	snprintf(e.who, sizeof e.who, "%s", who->id);
	snprintf(e.cur_serial, sizeof e.cur_serial, "%s", who->serial);
	e.cur_not_after = who->not_after;
	ct = http_header(req, "Content-Type");
	if (ct == NULL || strncmp(ct, "application/pkcs10", 18) != 0 ||
	    (ct[18] != '\0' && ct[18] != ';')) {
		snprintf(e.why, sizeof e.why,
		         "content type %.64s, expected "
		         "application/pkcs10",
		         ct ? ct : "(none)");
		rd_refuse(rd, req, e.route, e.who, RP_E_CONTENT_TYPE, 415,
		          e.why);
		goto out;
	}
	rc = http_body(req, (size_t)rd->cfg.est_max_body, &body, &len);
	if (rc == RP_E_BODY_TOO_BIG) {
		snprintf(e.why, sizeof e.why, "body of %zu bytes, limit %lld",
		         len, (long long)rd->cfg.est_max_body);
		rd_refuse(rd, req, e.route, e.who, rc, 413, e.why);
		goto out;
	}
	if (rc != RP_OK) {
		http_reply_text(req, 500, "internal error");
		goto out;
	}
	rc = csr_decode(body, len, &csr, e.why, sizeof e.why);
	if (rc == RP_OK)
		rc = csr_check(csr, &info, e.why, sizeof e.why);
	if (rc != RP_OK) {
		rd_refuse(rd, req, e.route, e.who, rc,
		          rc == RP_E_TOO_BIG ? 413 : 400, e.why);
		goto out;
	}
	/* THE device-id rule on the CSR's CN: a reserved id is never a
	 * device's (the CA would refuse it too) */
	rc = rp_broker_device_id_check(info.id, strlen(info.id), e.why,
	                               sizeof e.why);
	if (rc != RP_OK) {
		rd_refuse(rd, req, e.route, info.id,
		          rc == RP_E_RESERVED ? rc : RP_E_CSR_SUBJECT, 403,
		          e.why);
		goto out;
	}
	if (re && strcmp(info.id, e.who) != 0) {
		snprintf(e.why, sizeof e.why,
		         "CSR subject %s differs from the certificate's %s",
		         info.id, e.who);
		rd_refuse(rd, req, e.route, e.who, RP_E_CSR_SUBJECT, 403,
		          e.why);
		goto out;
	}
	code = decide_and_issue(&e, csr, &info, &cert, &rc);
	if (code != 0) {
		rd_refuse(rd, req, e.route, info.id, rc, code, e.why);
		goto out;
	}
	reply_p7(req, &cert, 1);
out:
	X509_free(cert);
	X509_REQ_free(csr);
	free(body);
}

void est_simpleenroll(struct rampartd *rd, struct evhttp_request *req,
                      const struct router_req *rr)
{
	enroll(rd, req, 0, &rr->who);
}

void est_simplereenroll(struct rampartd *rd, struct evhttp_request *req,
                        const struct router_req *rr)
{
	enroll(rd, req, 1, &rr->who);
}
