/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkcs11.c - release keys inside a PKCS#11 token, used through the
 * PKCS#11 API directly: the key is named by an RFC 7512 URI, which
 * p11-kit parses and whose module p11-kit loads (lib/base/p11.c, shared
 * with the device keystore). Not the libp11 engine: it finds no key at all on a
 * token holding an Ed25519 key, and softhsm2 2.6 lacks CKM_ECDSA_SHA256 anyway
 * (platform-facts.md). So: P-256 signs with CKM_ECDSA over a SHA-256
 * computed here, the raw r||s converted to DER; Ed25519 signs with
 * CKM_EDDSA in one C_Sign (softhsm2 signs single-part only, and our
 * messages are small). The private key never leaves the token.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/sha.h>

#include "rampart/alloc.h"
#include "base/p11_int.h"
#include "rampart/crypto_host.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "sign_int.h"

/* Without module-path or RAMPART_PKCS11_MODULE: p11-kit's proxy module
 * (every module p11-kit is configured with), RP_P11_PROXY from CMake. */
#define DEFAULT_MODULE RP_P11_PROXY

/* The query attributes a signing key's URI may have. */
static const char *const uri_query[] = {"pin-value", "pin-source",
                                        "module-path", NULL};

struct p11_key {
	struct rp_p11 p;
	CK_OBJECT_HANDLE key;
	uint8_t alg;
};

/* Find exactly one object of class cls matching u's object and id. */
static rp_err find_one(struct p11_key *k, P11KitUri *u, CK_OBJECT_CLASS cls,
                       CK_OBJECT_HANDLE *obj)
{
	CK_ATTRIBUTE t[3], *a;
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0, nt = 0;
	rp_err rc;

	t[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
	a = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (a != NULL)
		t[nt++] = *a;
	a = p11_kit_uri_get_attribute(u, CKA_ID);
	if (a != NULL)
		t[nt++] = *a;
	rc = rp_p11_find(&k->p, t, nt, found, 2, &n);
	if (rc == RP_OK && n != 1)
		rc = RP_E_PKCS11_NO_KEY; /* none, or ambiguous */
	if (rc == RP_OK)
		*obj = found[0];
	return rc;
}

/* DER OCTET STRING (short or 1-byte long form) → contents; else NULL. */
static const uint8_t *der_octets(const uint8_t *p, size_t n, size_t *len)
{
	if (n >= 2 && p[0] == 0x04 && p[1] < 0x80 && (size_t)p[1] == n - 2) {
		*len = p[1];
		return p + 2;
	}
	if (n >= 3 && p[0] == 0x04 && p[1] == 0x81 && (size_t)p[2] == n - 3) {
		*len = p[2];
		return p + 3;
	}
	return NULL;
}

/* Read the public key object's CKA_EC_POINT matching the private key. */
static rp_err read_pub(struct p11_key *k, P11KitUri *u, CK_KEY_TYPE kt,
                       struct rp_pubkey *pub)
{
	CK_OBJECT_HANDLE obj;
	uint8_t pt[128];
	CK_ATTRIBUTE a = {CKA_EC_POINT, pt, sizeof pt};
	const uint8_t *raw = pt;
	size_t rawlen;
	rp_err rc;

	rc = find_one(k, u, CKO_PUBLIC_KEY, &obj);
	if (rc != RP_OK)
		goto out;
	if (k->p.f->C_GetAttributeValue(k->p.s, obj, &a, 1) != CKR_OK) {
		rc = RP_E_PKCS11;
		goto out;
	}
	/* Usually a DER OCTET STRING; some tokens store the raw point. */
	rawlen = a.ulValueLen;
	if (!((kt == CKK_EC && rawlen == RP_P256_KEY_LEN && pt[0] == 0x04) ||
	      (kt == CKK_EC_EDWARDS && rawlen == RP_ED25519_KEY_LEN))) {
		raw = der_octets(pt, a.ulValueLen, &rawlen);
		if (raw == NULL) {
			rc = RP_E_KEY_FORMAT;
			goto out;
		}
	}
	rc = rp_pubkey_init(pub,
	                    kt == CKK_EC ? RP_ALG_P256_SHA256 : RP_ALG_ED25519,
	                    raw, rawlen, rp_crypto_host());
out:
	return rc;
}

rp_err p11_open(const char *uri, const char *pin, struct p11_key **out,
                struct rp_pubkey *pub)
{
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof kt};
	P11KitUri *u = NULL;
	struct p11_key *k = NULL;
	const char *module, *src;
	char *pinbuf = NULL; /* a pin-source's PIN, secret memory */
	const char *pv;
	rp_err rc;

	*out = NULL;
	k = rp_calloc(1, sizeof *k);
	if (k == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	rc = rp_p11_uri_parse(uri, uri_query, &u);
	if (rc == RP_OK && p11_kit_uri_get_attribute(u, CKA_LABEL) == NULL &&
	    p11_kit_uri_get_attribute(u, CKA_ID) == NULL)
		rc = RP_E_INVAL; /* never "whatever key is there" */
	if (rc != RP_OK) {
		rc = rc == RP_E_NOMEM ? rc : RP_E_KEY_FORMAT;
		goto out;
	}
	pv = p11_kit_uri_get_pin_value(u);
	src = p11_kit_uri_get_pin_source(u);
	if (pv == NULL && src != NULL) {
		pinbuf = rp_secret_alloc(RP_P11_PIN_MAX);
		if (pinbuf == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
		rc = rp_p11_pin_file(src, pinbuf, RP_P11_PIN_MAX);
		if (rc != RP_OK)
			goto out;
		pv = pinbuf;
	}
	if (pv == NULL)
		pv = pin;
	module = p11_kit_uri_get_module_path(u);
	if (module == NULL || module[0] == '\0')
		module = getenv("RAMPART_PKCS11_MODULE");
	if (module == NULL || module[0] == '\0')
		module = DEFAULT_MODULE;
	rc = rp_p11_open(module, u, NULL, false, &k->p);
	if (rc != RP_OK)
		goto out;
	if (pv != NULL) {
		rc = rp_p11_login(&k->p, pv);
		if (rc != RP_OK)
			goto out;
	}
	rc = find_one(k, u, CKO_PRIVATE_KEY, &k->key);
	if (rc == RP_E_PKCS11_NO_KEY && pv == NULL &&
	    (k->p.token.flags & CKF_LOGIN_REQUIRED))
		rp_log(RP_LOG_ERROR, "pkcs11: the token wants a PIN to show "
		                     "its private keys (pin-value, pin-source "
		                     "or --passphrase-file)");
	if (rc != RP_OK)
		goto out;
	if (k->p.f->C_GetAttributeValue(k->p.s, k->key, &a, 1) != CKR_OK) {
		rc = RP_E_PKCS11;
		goto out;
	}
	if (kt != CKK_EC && kt != CKK_EC_EDWARDS) {
		rc = RP_E_KEY_FORMAT;
		goto out;
	}
	rc = read_pub(k, u, kt, pub);
	if (rc != RP_OK)
		goto out;
	k->alg = pub->alg;
	*out = k;
	k = NULL;
out:
	if (k != NULL)
		p11_close(k);
	if (pinbuf != NULL)
		rp_secret_free(pinbuf);
	rp_p11_uri_free(u);
	return rc;
}

/* Raw r||s (64 bytes) → DER ECDSA-Sig-Value. */
static rp_err rs_to_der(const uint8_t rs[64], uint8_t *sig, size_t *siglen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	unsigned char *p = sig;
	int n;
	rp_err rc = RP_E_CRYPTO;

	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	if (i2d_ECDSA_SIG(es, NULL) > RP_SIG_MAX)
		goto out;
	n = i2d_ECDSA_SIG(es, &p);
	if (n <= 0)
		goto out;
	*siglen = (size_t)n;
	rc = RP_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

rp_err p11_sign(struct p11_key *k, const uint8_t *msg, size_t len,
                uint8_t sig[RP_SIG_MAX], size_t *siglen)
{
	CK_MECHANISM mech = {0};
	uint8_t digest[SHA256_DIGEST_LENGTH], raw[64];
	const uint8_t *in = msg;
	CK_ULONG inlen = len, rawlen = sizeof raw;
	CK_RV rv;
	rp_err rc = RP_E_PKCS11;

	if (k->alg == RP_ALG_P256_SHA256) {
		SHA256(msg, len, digest);
		in = digest;
		inlen = sizeof digest;
		mech.mechanism = CKM_ECDSA;
	} else {
		mech.mechanism = CKM_EDDSA;
	}
	rv = k->p.f->C_SignInit(k->p.s, &mech, k->key);
	if (rv == CKR_OK)
		rv = k->p.f->C_Sign(k->p.s, (CK_BYTE *)in, inlen, raw, &rawlen);
	if (rv != CKR_OK || rawlen != 64) {
		rp_log(RP_LOG_ERROR, "pkcs11: signing failed (0x%lx)", rv);
		goto out;
	}
	if (k->alg == RP_ALG_P256_SHA256) {
		rc = rs_to_der(raw, sig, siglen);
	} else {
		memcpy(sig, raw, 64);
		*siglen = 64;
		rc = RP_OK;
	}
out:
	return rc;
}

void p11_close(struct p11_key *k)
{
	rp_p11_close(&k->p);
	free(k);
}
