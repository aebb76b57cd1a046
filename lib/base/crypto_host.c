/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_host.c - the host struct rp_crypto: SHA-256 from OpenSSL (its
 * SHA-NI code runs about six times faster than libsodium's here, see
 * platform-facts.md), Ed25519 verify from libsodium, ECDSA P-256 verify
 * from OpenSSL. The low-level SHA256_* calls are deprecated in OpenSSL 3
 * but keep the whole state in the caller's buffer (no allocation that an
 * early exit could leak) and skip EVP's per-call dispatch. Also the
 * SHA-256 of a whole file (firmware images, watched configuration).
 */
#define _POSIX_C_SOURCE 200809L
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "rampart/crypto_host.h"
#include "rampart/encode.h"

_Static_assert(sizeof(SHA256_CTX) <= RP_HASH_STATE_MAX, "SHA256_CTX size");

static rp_err h_init(void *ctx, void *state)
{
	(void)ctx;
	return SHA256_Init(state) == 1 ? RP_OK : RP_E_CRYPTO;
}

static rp_err h_update(void *ctx, void *state, const uint8_t *data, size_t len)
{
	(void)ctx;
	return SHA256_Update(state, data, len) == 1 ? RP_OK : RP_E_CRYPTO;
}

static rp_err h_final(void *ctx, void *state, uint8_t out[RP_SHA256_LEN])
{
	int ok;

	(void)ctx;
	ok = SHA256_Final(out, state);
	OPENSSL_cleanse(state, sizeof(SHA256_CTX));
	return ok == 1 ? RP_OK : RP_E_CRYPTO;
}

/* An EVP_PKEY for an uncompressed P-256 point; caller frees; NULL if bad. */
static EVP_PKEY *p256_pkey(const uint8_t *pt, size_t len)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              (void *)pt, len);
	params[2] = OSSL_PARAM_construct_end();
	pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pc);
	return pkey;
}

static rp_err p256_verify(const struct rp_pubkey *pub, const uint8_t *msg,
                          size_t msglen, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pkey;
	rp_err rc = RP_E_SIG_BAD;

	pkey = p256_pkey(pub->key, pub->len);
	if (pkey == NULL)
		goto out; /* not a point on the curve: nothing verifies */
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1) {
		rc = RP_E_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(md, sig, siglen, msg, msglen) == 1)
		rc = RP_OK;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return rc;
}

static rp_err h_verify(void *ctx, const struct rp_pubkey *pub,
                       const uint8_t *msg, size_t msglen, const uint8_t *sig,
                       size_t siglen)
{
	(void)ctx;
	if (pub->alg == RP_ALG_ED25519) {
		if (pub->len != crypto_sign_PUBLICKEYBYTES ||
		    siglen != crypto_sign_BYTES)
			return RP_E_SIG_BAD;
		return crypto_sign_verify_detached(sig, msg, msglen,
		                                   pub->key) == 0
		           ? RP_OK
		           : RP_E_SIG_BAD;
	}
	if (pub->alg == RP_ALG_P256_SHA256)
		return p256_verify(pub, msg, msglen, sig, siglen);
	return RP_E_SIG_ALG;
}

static const struct rp_crypto host = {
    .ctx = NULL,
    .sha256_init = h_init,
    .sha256_update = h_update,
    .sha256_final = h_final,
    .verify = h_verify,
};

const struct rp_crypto *rp_crypto_host(void)
{
	return &host;
}

/* The low-level calls, like h_init: OpenSSL 3's one-shot SHA256() goes
 * through EVP_Q_digest, which allocates, and would report a failed
 * allocation as RP_E_CRYPTO. */
rp_err rp_sha256(const void *data, size_t len, uint8_t out[RP_SHA256_LEN])
{
	SHA256_CTX c;
	rp_err rc = RP_E_CRYPTO;

	if (SHA256_Init(&c) == 1 && SHA256_Update(&c, data, len) == 1 &&
	    SHA256_Final(out, &c) == 1)
		rc = RP_OK;
	OPENSSL_cleanse(&c, sizeof c);
	return rc;
}

rp_err rp_sha256_fd_hex(int fd, char hex[65])
{
	unsigned char chunk[65536], md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = NULL;
	unsigned int mdlen = 0;
	ssize_t got;
	off_t off = 0;
	rp_err rc = RP_E_CRYPTO;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (;;) {
		got = pread(fd, chunk, sizeof chunk, off);
		if (got < 0 && errno == EINTR)
			continue;
		rc = RP_E_IO;
		if (got < 0)
			goto out;
		if (got == 0)
			break;
		off += got;
		rc = RP_E_CRYPTO;
		if (EVP_DigestUpdate(ctx, chunk, (size_t)got) != 1)
			goto out;
	}
	rc = RP_E_CRYPTO;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	rc = rp_hex_encode(md, mdlen, hex, 65);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

rp_err rp_sha256_file_hex(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	rp_err rc;

	if (fd < 0)
		return RP_E_IO;
	rc = rp_sha256_fd_hex(fd, hex);
	close(fd);
	return rc;
}
