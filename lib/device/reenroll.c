/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reenroll.c - a device certificate's renewal over EST simplereenroll
 * (rampart/enroll.h rp_renew, rp_renew_start): a CSR for the same key,
 * mutual TLS with the current certificate, the new certificate checked
 * (same CN, device profile, the keystore's key) and stored with the
 * chain held before. Blocking, or on the caller's loop through
 * est_enroll_start. Prints nothing; a refused certificate is logged.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "enroll.h"
#include "est.h"
#include "rampart/alloc.h"
#include "rampart/enroll.h"
#include "rampart/http.h"
#include "rampart/log.h"

#define CN_MAX 80

struct rp_renew_call {
	rp_keystore *ks; /* borrowed */
	char cn[CN_MAX]; /* the current certificate's */
	rp_renew_cb cb;
	void *arg;
	struct est_call *est; /* the request in flight (the EST client's) */
};

/*
 * What a renewal sends: the current certificate's CN in cn, the CSR for
 * the keystore's key in *csr (malloc'd, the caller's) and the EST TLS
 * context carrying the current certificate in *ctx (the caller's).
 */
static rp_err prepare(const struct rp_renew_opts *o, rp_keystore *ks, char *cn,
                      size_t cn_cap, uint8_t **csr, size_t *csr_len,
                      SSL_CTX **ctx)
{
	EVP_PKEY *warm = NULL;
	X509 *cur = NULL;
	char token[65];
	rp_err rc;

	*csr = NULL;
	*ctx = NULL;
	rc = o == NULL || o->server == NULL
	         ? RP_E_INVAL
	         : rp_keystore_cert_load(ks, &cur, NULL);
	if (rc == RP_OK)
		rc = agent_cert_cn(cur, cn, cn_cap);
	/* Load the key (and, for a TPM, its provider) before the SSL_CTX. */
	if (rc == RP_OK)
		rc = rp_keystore_key(ks, &warm);
	if (rc == RP_OK && o->hw_token_tpm)
		rc = rp_keystore_hw_token(ks, token, sizeof token);
	if (rc == RP_OK)
		rc = rp_keystore_csr(ks, cn,
		                     o->hw_token_tpm ? token : o->hw_token, csr,
		                     csr_len);
	if (rc == RP_OK)
		rc = rp_http_tls_ctx(o->ca_file, NULL, NULL, ctx);
	if (rc == RP_OK)
		rc = rp_keystore_ssl_ctx_use(ks, *ctx);
	if (rc != RP_OK) {
		free(*csr);
		*csr = NULL;
		SSL_CTX_free(*ctx);
		*ctx = NULL;
	}
	ERR_clear_error();
	EVP_PKEY_free(warm);
	X509_free(cur);
	return rc;
}

/* The renewed certificate leaf (borrowed) checked and stored with the
 * chain ks holds. */
static rp_err accept(rp_keystore *ks, X509 *leaf, const char *cn)
{
	X509 *cur = NULL;
	STACK_OF(X509) *chain = NULL;
	char why[128];
	rp_err rc;

	/* The same device, still in the device profile; the key is checked
	 * by rp_keystore_cert_store. */
	if (agent_cert_is_device(leaf, cn, why, sizeof why) != RP_OK) {
		rp_log(RP_LOG_ERROR, "renewed certificate refused: %s", why);
		return RP_E_KEYSTORE_CERT;
	}
	rc = rp_keystore_cert_load(ks, &cur, &chain);
	if (rc == RP_OK)
		rc = agent_store_certs(ks, leaf, chain);
	X509_free(cur);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

rp_err rp_renew(const struct rp_renew_opts *o, rp_keystore *ks, int *status)
{
	SSL_CTX *ctx = NULL;
	X509 *leaf = NULL;
	uint8_t *csr = NULL; /* ours */
	size_t csr_len = 0;
	char cn[CN_MAX];
	int st = 0;
	rp_err rc = prepare(o, ks, cn, sizeof cn, &csr, &csr_len, &ctx);

	if (rc == RP_OK)
		rc = est_enroll(ctx, o->server, true, csr, csr_len,
		                o->timeout_ms, &leaf, &st);
	if (rc == RP_OK)
		rc = accept(ks, leaf, cn);
	if (status != NULL)
		*status = st;
	ERR_clear_error();
	X509_free(leaf);
	free(csr);
	SSL_CTX_free(ctx);
	return rc;
}

/* The EST answer, on the loop; leaf is ours. */
static void on_answer(void *arg, rp_err rc, X509 *leaf, int status)
{
	struct rp_renew_call *c = arg; /* ours from here */

	c->est = NULL;
	if (rc == RP_OK)
		rc = accept(c->ks, leaf, c->cn);
	X509_free(leaf);
	ERR_clear_error();
	c->cb(c->arg, rc, status);
	free(c);
}

rp_err rp_renew_start(struct event_base *base, const struct rp_renew_opts *o,
                      rp_keystore *ks, rp_renew_cb cb, void *arg,
                      rp_renew_call **out)
{
	struct rp_renew_call *c = NULL; /* *out's once started */
	SSL_CTX *ctx = NULL;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	rp_err rc = RP_E_INVAL;

	if (out != NULL)
		*out = NULL;
	if (base == NULL || ks == NULL || cb == NULL || out == NULL)
		goto out;
	rc = RP_E_NOMEM;
	c = rp_calloc(1, sizeof *c);
	if (c == NULL)
		goto out;
	c->ks = ks;
	c->cb = cb;
	c->arg = arg;
	rc = prepare(o, ks, c->cn, sizeof c->cn, &csr, &csr_len, &ctx);
	if (rc == RP_OK)
		rc = est_enroll_start(base, ctx, o->server, true, csr, csr_len,
		                      o->timeout_ms, on_answer, c, &c->est);
	if (rc == RP_OK) {
		*out = c;
		c = NULL;
	}
out:
	free(c);
	free(csr);         /* copied by the request */
	SSL_CTX_free(ctx); /* the request holds its own reference */
	return rc;
}

void rp_renew_cancel(rp_renew_call *call)
{
	if (call == NULL)
		return;
	est_enroll_cancel(call->est);
	free(call);
}
