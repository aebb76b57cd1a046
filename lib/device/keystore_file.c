/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_file.c - the file keystore: the P-256 private scalar sealed with
 * XChaCha20-Poly1305 (libsodium) under a 32-byte key-encryption key (KEK)
 * kept in its own 0600 file. Shredding the KEK is the cryptographic erase:
 * any copy of the sealed file is then noise. Layout in docs/keystore.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "keystore_int.h"
#include "rampart/bytes.h"
#include "rampart/mem.h"

#define SEALED_FILE "key.sealed"

static const uint8_t magic[4] = {'R', 'P', 'K', 'S'};

enum {
	SEAL_VERSION = 1,
	SEAL_AEAD_XCHACHA20POLY1305 = 1,
	SEAL_KEY_P256_SCALAR = 1,
};

_Static_assert(KS_SEALED_SIZE == 84, "sealed file layout changed");
_Static_assert(KS_SEALED_NONCE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "nonce size");
_Static_assert(KS_KEK == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
               "KEK size");

static void header(uint8_t h[KS_SEALED_HDR])
{
	memcpy(h, magic, 4);
	h[4] = SEAL_VERSION;
	h[5] = SEAL_AEAD_XCHACHA20POLY1305;
	h[6] = SEAL_KEY_P256_SCALAR;
	h[7] = 0;
	rp_store_le32(h + 8,
	              KS_SCALAR + crypto_aead_xchacha20poly1305_ietf_ABYTES);
}

void ks_file_seal(const uint8_t kek[KS_KEK], const uint8_t nonce[24],
                  const uint8_t scalar[KS_SCALAR], uint8_t out[KS_SEALED_SIZE])
{
	unsigned long long clen;

	header(out);
	memcpy(out + KS_SEALED_HDR, nonce, KS_SEALED_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out + KS_SEALED_HDR + KS_SEALED_NONCE, &clen, scalar, KS_SCALAR,
	    out, KS_SEALED_HDR, NULL, nonce, kek);
}

rp_err ks_file_unseal(const uint8_t *buf, size_t len, const uint8_t kek[KS_KEK],
                      uint8_t scalar[KS_SCALAR])
{
	uint8_t want[KS_SEALED_HDR];
	unsigned long long mlen = 0;
	rp_err rc = RP_OK;

	/* Every header byte is fixed in version 1: compare it whole. */
	header(want);
	if (len != KS_SEALED_SIZE || memcmp(buf, want, KS_SEALED_HDR) != 0) {
		rc = RP_E_KEYSTORE_FORMAT;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        scalar, &mlen, NULL, buf + KS_SEALED_HDR + KS_SEALED_NONCE,
	        KS_SCALAR + crypto_aead_xchacha20poly1305_ietf_ABYTES, buf,
	        KS_SEALED_HDR, buf + KS_SEALED_HDR, kek) != 0 ||
	    mlen != KS_SCALAR)
		rc = RP_E_KEYSTORE_SEALED;
out:
	if (rc != RP_OK)
		rp_wipe(scalar, KS_SCALAR);
	return rc;
}

rp_err ks_p256_from_scalar(const uint8_t scalar[KS_SCALAR], EVP_PKEY **out)
{
	EC_GROUP *group = NULL;
	EC_POINT *pub = NULL;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char pubbuf[65];
	rp_err rc = RP_E_CRYPTO;

	*out = NULL;
	group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	d = BN_secure_new();
	if (group == NULL || d == NULL ||
	    BN_bin2bn(scalar, KS_SCALAR, d) == NULL)
		goto out;
	/* 0 < d < n, or it is no key (a damaged or forged file). */
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) {
		rc = RP_E_KEYSTORE_FORMAT;
		goto out;
	}
	pub = EC_POINT_new(group);
	if (pub == NULL || !EC_POINT_mul(group, pub, d, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED,
	                       pubbuf, sizeof pubbuf, NULL) != sizeof pubbuf)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	                                     "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	                                      pubbuf, sizeof pubbuf))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider=default");
	if (params == NULL || pctx == NULL ||
	    EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) <= 0)
		goto out;
	rc = RP_OK;
out:
	if (rc != RP_OK)
		ERR_clear_error();
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(pub);
	BN_clear_free(d);
	EC_GROUP_free(group);
	return rc;
}

static rp_err sealed_path(const rp_keystore *ks, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/" SEALED_FILE, ks->spec.dir);

	return n < 0 || (size_t)n >= cap ? RP_E_INVAL : RP_OK;
}

/* The sealed file is the key; a KEK alone is what a crash left behind. */
static bool file_has_key(rp_keystore *ks)
{
	char path[PATH_MAX];

	if (sealed_path(ks, path, sizeof path) != RP_OK)
		return false;
	return access(path, F_OK) == 0;
}

/* A fresh P-256 scalar from OpenSSL's key generation. */
static rp_err new_scalar(uint8_t scalar[KS_SCALAR])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIGNUM *d = NULL;
	rp_err rc = RP_E_CRYPTO;

	if (k == NULL ||
	    !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
	    BN_bn2binpad(d, scalar, KS_SCALAR) != KS_SCALAR)
		goto out;
	rc = RP_OK;
out:
	if (rc != RP_OK)
		ERR_clear_error();
	BN_clear_free(d);
	EVP_PKEY_free(k);
	return rc;
}

static rp_err file_generate(rp_keystore *ks)
{
	char path[PATH_MAX];
	uint8_t kek[KS_KEK], scalar[KS_SCALAR], nonce[KS_SEALED_NONCE];
	uint8_t sealed[KS_SEALED_SIZE];
	rp_err rc;

	rc = sealed_path(ks, path, sizeof path);
	if (rc != RP_OK)
		goto out;
	if (file_has_key(ks)) {
		rc = RP_E_KEYSTORE_HAS_KEY;
		goto out;
	}
	/* A KEK without a sealed key: generation stopped between the two
	 * writes. It protects nothing; destroy it and start again. */
	rc = ks_shred(ks->spec.kek);
	if (rc != RP_OK)
		goto out;
	rc = new_scalar(scalar);
	if (rc != RP_OK)
		goto out;
	crypto_aead_xchacha20poly1305_ietf_keygen(kek);
	randombytes_buf(nonce, sizeof nonce);
	ks_file_seal(kek, nonce, scalar, sealed);
	rc = ks_write_file(ks->spec.kek, kek, sizeof kek, 0600, true);
	if (rc == RP_E_EXISTS)
		rc = RP_E_KEYSTORE_HAS_KEY;
	if (rc != RP_OK)
		goto out;
	rc = ks_write_file(path, sealed, sizeof sealed, 0600, true);
	if (rc != RP_OK) {
		(void)ks_shred(ks->spec.kek);
		if (rc == RP_E_EXISTS)
			rc = RP_E_KEYSTORE_HAS_KEY;
	}
out:
	rp_wipe(kek, sizeof kek);
	rp_wipe(scalar, sizeof scalar);
	return rc;
}

static rp_err file_key(rp_keystore *ks, EVP_PKEY **out)
{
	char path[PATH_MAX];
	uint8_t kek[KS_KEK + 1], scalar[KS_SCALAR];
	uint8_t sealed[KS_SEALED_SIZE + 1];
	size_t klen = 0, slen = 0;
	rp_err rc;

	rc = sealed_path(ks, path, sizeof path);
	if (rc != RP_OK)
		goto out;
	rc = ks_read_file(ks->spec.kek, kek, sizeof kek, &klen, true);
	if (rc == RP_OK)
		rc = ks_read_file(path, sealed, sizeof sealed, &slen, true);
	if (rc == RP_E_NOT_FOUND)
		rc = RP_E_KEYSTORE_NO_KEY;
	else if (rc == RP_E_TOO_BIG || (rc == RP_OK && klen != KS_KEK))
		rc = RP_E_KEYSTORE_FORMAT;
	if (rc != RP_OK)
		goto out;
	rc = ks_file_unseal(sealed, slen, kek, scalar);
	if (rc == RP_OK)
		rc = ks_p256_from_scalar(scalar, out);
out:
	rp_wipe(kek, sizeof kek);
	rp_wipe(scalar, sizeof scalar);
	return rc;
}

static rp_err file_erase(rp_keystore *ks)
{
	char path[PATH_MAX];
	rp_err rc, rc2;

	/* The KEK first: once it is gone every copy of the seal is noise. */
	rc = ks_shred(ks->spec.kek);
	rc2 = sealed_path(ks, path, sizeof path);
	if (rc2 == RP_OK)
		rc2 = ks_shred(path);
	return rc != RP_OK ? rc : rc2;
}

const struct ks_ops ks_file_ops = {
    .generate = file_generate,
    .has_key = file_has_key,
    .key = file_key,
    .erase = file_erase,
};
