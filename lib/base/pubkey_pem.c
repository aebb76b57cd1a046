/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pubkey_pem.c - release public keys on a host, the verify side: PEM
 * SubjectPublicKeyInfo files read into struct rp_pubkey (OpenSSL), and
 * the raw public key of an OpenSSL key, which the signing tools
 * (lib/sign/sign.c) share. Nothing here can sign: a verify-only device
 * build (RP_VERIFY_ONLY) keeps it.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pubkey_int.h"
#include "rampart/crypto_host.h"

rp_err pubkey_from_evp(EVP_PKEY *pkey, struct rp_pubkey *pub)
{
	uint8_t raw[RP_PUBKEY_MAX];
	char group[32];
	size_t n = sizeof raw;
	rp_err rc = RP_E_KEY_FORMAT;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) == 1)
			rc = rp_pubkey_init(pub, RP_ALG_ED25519, raw, n,
			                    rp_crypto_host());
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(
		        pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
		        NULL) != 1 ||
		    strcmp(group, "prime256v1") != 0)
			goto out;
		if (EVP_PKEY_set_utf8_string_param(
		        pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		        "uncompressed") != 1 ||
		    EVP_PKEY_get_octet_string_param(
		        pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw,
		        sizeof raw, &n) != 1)
			goto out;
		rc = rp_pubkey_init(pub, RP_ALG_P256_SHA256, raw, n,
		                    rp_crypto_host());
	}
out:
	return rc;
}

rp_err rp_pubkey_load_pem(const char *path, struct rp_pubkey *out, size_t max,
                          size_t *n)
{
	char text[65536], *p;
	EVP_PKEY *pkey;
	BIO *bio = NULL;
	FILE *f;
	size_t len, blocks = 0;
	rp_err rc = RP_OK;

	*n = 0;
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
	len = fread(text, 1, sizeof text - 1, f);
	if (ferror(f) || !feof(f))
		rc = ferror(f) ? RP_E_IO : RP_E_TOO_BIG;
	fclose(f);
	if (rc != RP_OK)
		goto out;
	text[len] = '\0';
	/* Every PEM block must be a public key we read: count them. */
	for (p = strstr(text, "-----BEGIN "); p != NULL;
	     p = strstr(p + 1, "-----BEGIN "))
		blocks++;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	while (rc == RP_OK) {
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		if (pkey == NULL)
			break;
		if (*n == max) {
			rc = RP_E_TOO_BIG;
		} else {
			rc = pubkey_from_evp(pkey, &out[*n]);
			(*n)++;
		}
		EVP_PKEY_free(pkey);
	}
	if (rc == RP_OK && (*n == 0 || *n != blocks))
		rc = RP_E_KEY_FORMAT;
out:
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}
