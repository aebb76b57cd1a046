/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enroll.c - a device's first enrollment over EST (rampart/enroll.h
 * rp_enroll; enroll.h has the certificate helpers): the key is
 * made inside the keystore, the CSR signed by it, simpleenroll done with
 * the claim certificate, the issued certificate checked against the trust
 * anchor and stored with its chain. Prints nothing: the caller reports
 * from struct rp_enroll_result. Shared by rampart-agent and
 * rampart-sim.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "enroll.h"
#include "rampart/enroll.h"
#include "rampart/broker.h"
#include "est.h"
#include "rampart/http.h"
#include "rampart/log.h"

rp_err agent_cert_cn(X509 *x, char *out, size_t cap)
{
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	                                  NID_commonName, out, (int)cap);

	return n > 0 && (size_t)n < cap ? RP_OK : RP_E_KEYSTORE_CERT;
}

rp_err agent_cert_is_device(X509 *x, const char *serial, char *detail,
                            size_t cap)
{
	struct rp_broker_peer peer;
	unsigned char *der = NULL;
	const char *why = NULL;
	int len = i2d_X509(x, &der);
	rp_err rc = RP_E_KEYSTORE_CERT;

	if (len <= 0) {
		snprintf(detail, cap, "it cannot be encoded");
		goto out;
	}
	if (rp_broker_peer_from_der(der, (size_t)len, &peer, &why) != RP_OK ||
	    peer.profile != RP_BROKER_ROLE_DEVICE) {
		snprintf(detail, cap, "it is not a device certificate (%s)",
		         why != NULL ? why : "another profile");
		goto out;
	}
	if (strcmp(peer.id, serial) != 0) {
		snprintf(detail, cap, "its CN is not the serial");
		goto out;
	}
	rc = RP_OK;
out:
	OPENSSL_free(der);
	return rc;
}

/*
 * Check the issued certificate: it chains to a trust anchor (ca_file,
 * else the self-signed certificates of /cacerts) through the /cacerts
 * intermediates, it is for TLS clients, and it is this device's in the
 * device profile (agent_cert_is_device). Why it does not verify goes into
 * res->detail.
 */
static rp_err check_issued(X509 *leaf, STACK_OF(X509) * cacerts,
                           const char *ca_file, const char *serial,
                           struct rp_enroll_result *res)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	int i;
	rp_err rc = RP_E_KEYSTORE_CERT;

	if (store == NULL || vctx == NULL)
		goto out;
	if (ca_file != NULL) {
		if (X509_STORE_load_file(store, ca_file) != 1)
			goto out;
	} else {
		for (i = 0; i < sk_X509_num(cacerts); i++) {
			X509 *x = sk_X509_value(cacerts, i);

			if (X509_check_issued(x, x) == X509_V_OK &&
			    X509_STORE_add_cert(store, x) != 1)
				goto out;
		}
	}
	if (X509_STORE_CTX_init(vctx, store, leaf, cacerts) != 1)
		goto out;
	X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_CLIENT);
	if (X509_verify_cert(vctx) != 1) {
		snprintf(res->detail, sizeof res->detail, "%s",
		         X509_verify_cert_error_string(
		             X509_STORE_CTX_get_error(vctx)));
		goto out;
	}
	rc =
	    agent_cert_is_device(leaf, serial, res->detail, sizeof res->detail);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	return rc;
}

rp_err agent_store_certs(rp_keystore *ks, X509 *leaf, STACK_OF(X509) * chain)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int i;
	rp_err rc = RP_E_CRYPTO;

	if (b == NULL || !PEM_write_bio_X509(b, leaf))
		goto out;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (X509_check_issued(x, x) == X509_V_OK)
			continue;
		if (!PEM_write_bio_X509(b, x))
			goto out;
	}
	n = BIO_get_mem_data(b, &data);
	rc = rp_keystore_cert_store(ks, data, (size_t)n);
out:
	BIO_free(b);
	return rc;
}

rp_err rp_enroll(const struct rp_enroll_opts *o, rp_keystore *ks,
                 struct rp_enroll_result *res)
{
	struct rp_enroll_result dummy;
	SSL_CTX *ctx = NULL, *plain = NULL;
	STACK_OF(X509) *fetched = NULL, *cacerts = o->cacerts;
	X509 *leaf = NULL, *old = NULL;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	char token[65];
	rp_err rc;

	if (res == NULL)
		res = &dummy;
	memset(res, 0, sizeof *res);
	/* The device-id rule first: a reserved id is refused here, with
	 * the reason, rather than by the server with a generic answer. */
	res->step = "serial";
	rc = rp_broker_device_id_check(o->serial, strlen(o->serial),
	                               res->detail, sizeof res->detail);
	if (rc != RP_OK)
		goto out;
	res->step = "keystore";
	if (rp_keystore_cert_load(ks, &old, NULL) == RP_OK) {
		rc = RP_E_EXISTS;
		goto out;
	}
	/* A key left by an enrollment that failed midway is reused. */
	if (!rp_keystore_has_key(ks)) {
		res->step = "key generation";
		rc = rp_keystore_generate(ks);
		if (rc != RP_OK)
			goto out;
		rp_log(RP_LOG_INFO, "new P-256 key in the keystore");
	}
	if (o->hw_token_tpm) {
		res->step = "hardware token";
		rc = rp_keystore_hw_token(ks, token, sizeof token);
		if (rc != RP_OK)
			goto out;
	}
	res->step = "certificate request";
	rc = rp_keystore_csr(ks, o->serial,
	                     o->hw_token_tpm ? token : o->hw_token, &csr,
	                     &csr_len);
	if (rc != RP_OK)
		goto out;
	/* A TPM key made the tpm2 provider preferred (keystore.h); the
	 * claim key is a file key that the TPM cannot use: back to the
	 * plain defaults for the claim's TLS. */
	if (rp_keystore_kind(ks) == RP_KEYSTORE_TPM)
		EVP_set_default_properties(NULL, "");
	if (o->claim_ctx == NULL) {
		res->step = "claim certificate";
		rc = rp_http_tls_ctx(o->ca_file, o->claim_cert, o->claim_key,
		                     &ctx);
		if (rc != RP_OK)
			goto out;
	}
	if (cacerts == NULL) {
		res->step = "EST cacerts";
		rc = rp_http_tls_ctx(o->ca_file, NULL, NULL, &plain);
		if (rc == RP_OK)
			rc = est_cacerts(plain, o->server, &fetched);
		if (rc != RP_OK)
			goto out;
		cacerts = fetched;
	}
	res->step = "EST simpleenroll";
	rc = est_enroll(o->claim_ctx != NULL ? o->claim_ctx : ctx, o->server,
	                false, csr, csr_len, 0, &leaf, &res->status);
	if (rc != RP_OK)
		goto out;
	res->step = "issued certificate";
	rc = check_issued(leaf, cacerts, o->ca_file, o->serial, res);
	if (rc == RP_OK)
		rc = agent_store_certs(ks, leaf, cacerts);
	if (rc != RP_OK)
		goto out;
	res->step = NULL;
out:
	free(csr);
	X509_free(leaf);
	X509_free(old);
	sk_X509_pop_free(fetched, X509_free);
	SSL_CTX_free(ctx);
	SSL_CTX_free(plain);
	return rc;
}
