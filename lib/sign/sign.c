/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.c - release keys and signing on a host: key generation into PEM
 * PKCS#8 files (OpenSSL; encrypted PKCS#8 with a passphrase), writing
 * public key PEM files (reading them is the verify side's, in
 * lib/base/pubkey_pem.c), signers over a key file or a PKCS#11 key
 * (pkcs11.c), and the builders of signed images and key sets
 * (docs/image-format.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "base/pubkey_int.h"
#include "rampart/alloc.h"
#include "rampart/bytes.h"
#include "rampart/crypto_host.h"
#include "rampart/file.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "rampart/sign.h"
#include "sign_int.h"

struct rp_signer {
	EVP_PKEY *pkey;      /* a key file, or NULL */
	struct p11_key *p11; /* a PKCS#11 key, or NULL */
	struct rp_pubkey pub;
};

/* An EVP_PKEY holding pub (public only); caller frees; NULL if bad. */
static EVP_PKEY *pub_to_pkey(const struct rp_pubkey *pub)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];

	if (pub->alg == RP_ALG_ED25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		                                   pub->key, pub->len);
	if (pub->alg != RP_ALG_P256_SHA256)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, (void *)pub->key, pub->len);
	params[2] = OSSL_PARAM_construct_end();
	pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pc);
	return pkey;
}

/* Open path for writing with mode; excl: refuse an existing file. */
static rp_err open_out(const char *path, int mode, bool excl, BIO **bio)
{
	int fd;

	fd = open(path,
	          O_WRONLY | O_CREAT | O_CLOEXEC | (excl ? O_EXCL : O_TRUNC),
	          mode);
	if (fd < 0)
		return errno == EEXIST   ? RP_E_EXISTS
		       : errno == EACCES ? RP_E_PERM
		                         : RP_E_IO;
	(void)fchmod(fd, (mode_t)mode);
	*bio = BIO_new_fd(fd, BIO_CLOSE);
	if (*bio == NULL) {
		close(fd);
		return RP_E_NOMEM;
	}
	return RP_OK;
}

rp_err rp_pubkey_write_pem(const struct rp_pubkey *pub, const char *path)
{
	EVP_PKEY *pkey;
	BIO *bio = NULL;
	rp_err rc;

	pkey = pub_to_pkey(pub);
	if (pkey == NULL) {
		rc = RP_E_KEY_FORMAT;
		goto out;
	}
	rc = open_out(path, 0644, false, &bio);
	if (rc != RP_OK)
		goto out;
	if (PEM_write_bio_PUBKEY(bio, pkey) != 1 || BIO_flush(bio) != 1)
		rc = RP_E_IO;
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}

/*
 * Encrypted PKCS#8 (RFC 5958) with PBES2: scrypt (N 2^14, r 8, p 1: 16 MiB,
 * a fraction of a second) and AES-256-CBC, rather than OpenSSL's default
 * PBKDF2 with 2048 iterations. openssl pkey reads it.
 */
static int write_encrypted(BIO *bio, EVP_PKEY *pkey, const char *pass)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *alg = NULL;
	X509_SIG *sig = NULL;
	int ok = 0;

	alg = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL,
	                            UINT64_C(1) << 14, 8, 1);
	p8 = EVP_PKEY2PKCS8(pkey);
	if (alg == NULL || p8 == NULL)
		goto out;
	sig = PKCS8_set0_pbe(pass, (int)strlen(pass), p8, alg);
	if (sig == NULL)
		goto out;
	alg = NULL; /* owned by sig now */
	ok = PEM_write_bio_PKCS8(bio, sig);
out:
	X509_SIG_free(sig);
	X509_ALGOR_free(alg);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return ok;
}

rp_err rp_key_generate(uint8_t alg, const char *path, const char *passphrase,
                       struct rp_pubkey *pub)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char pubpath[4096];
	rp_err rc;
	int ok;

	if (alg == RP_ALG_ED25519)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (alg == RP_ALG_P256_SHA256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else {
		rc = RP_E_SIG_ALG;
		goto out;
	}
	if (pkey == NULL) {
		rc = RP_E_CRYPTO;
		goto out;
	}
	rc = pubkey_from_evp(pkey, pub);
	if (rc != RP_OK)
		goto out;
	if ((size_t)snprintf(pubpath, sizeof pubpath, "%s.pub", path) >=
	    sizeof pubpath) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	rc = open_out(path, 0600, true, &bio);
	if (rc != RP_OK)
		goto out;
	if (passphrase != NULL)
		ok = write_encrypted(bio, pkey, passphrase);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0,
		                                   NULL, NULL);
	if (ok != 1 || BIO_flush(bio) != 1) {
		rc = RP_E_IO;
		unlink(path);
		goto out;
	}
	rc = rp_pubkey_write_pem(pub, pubpath);
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n;

	(void)rwflag;
	if (u == NULL)
		return -1;
	n = strlen(u);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

/* Load a private key file; RP_E_PASSPHRASE if encrypted and not opened. */
static rp_err load_key_file(const char *path, const char *passphrase,
                            EVP_PKEY **out)
{
	struct stat st;
	char head[64] = {0};
	BIO *bio = NULL;
	FILE *fp = NULL;
	rp_err rc = RP_OK;
	bool enc;

	bio = BIO_new_file(path, "r");
	if (bio == NULL) {
		rc = errno == ENOENT   ? RP_E_NOT_FOUND
		     : errno == EACCES ? RP_E_PERM
		                       : RP_E_IO;
		goto out;
	}
	(void)BIO_read(bio, head, (int)sizeof head - 1);
	enc = strstr(head, "ENCRYPTED") != NULL;
	(void)BIO_reset(bio);
	*out = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)passphrase);
	if (*out == NULL) {
		rc = enc ? RP_E_PASSPHRASE : RP_E_KEY_FORMAT;
		goto out;
	}
	/* only a private key is worth the warning (a .pub may be 0644) */
	if (BIO_get_fp(bio, &fp) == 1 && fp != NULL &&
	    fstat(fileno(fp), &st) == 0 && (st.st_mode & 077) != 0)
		rp_log(RP_LOG_WARN,
		       "key file %s is readable by others "
		       "(mode %03o); it should be 0600",
		       path, (unsigned)(st.st_mode & 0777));
out:
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

rp_err rp_signer_open(const char *spec, const char *passphrase, rp_signer **out)
{
	rp_signer *s;
	rp_err rc;

	*out = NULL;
	s = rp_calloc(1, sizeof *s);
	if (s == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	if (strncmp(spec, "pkcs11:", 7) == 0) {
		rc = p11_open(spec, passphrase, &s->p11, &s->pub);
	} else {
		rc = load_key_file(spec, passphrase, &s->pkey);
		if (rc == RP_OK)
			rc = pubkey_from_evp(s->pkey, &s->pub);
	}
	if (rc != RP_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	rp_signer_free(s);
	return rc;
}

const struct rp_pubkey *rp_signer_pubkey(const rp_signer *s)
{
	return &s->pub;
}

void rp_signer_free(rp_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	if (s->p11 != NULL)
		p11_close(s->p11);
	free(s);
}

static rp_err file_sign(EVP_PKEY *pkey, uint8_t alg, const uint8_t *msg,
                        size_t len, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *md;
	rp_err rc = RP_E_CRYPTO;

	md = EVP_MD_CTX_new();
	if (md == NULL)
		return RP_E_NOMEM;
	*siglen = RP_SIG_MAX;
	if (EVP_DigestSignInit(md, NULL,
	                       alg == RP_ALG_ED25519 ? NULL : EVP_sha256(),
	                       NULL, pkey) == 1 &&
	    EVP_DigestSign(md, sig, siglen, msg, len) == 1)
		rc = RP_OK;
	EVP_MD_CTX_free(md);
	return rc;
}

rp_err rp_signer_sign(rp_signer *s, const uint8_t *msg, size_t len,
                      uint8_t sig[RP_SIG_MAX], size_t *siglen)
{
	const struct rp_crypto *c = rp_crypto_host();
	rp_err rc;

	if (s->p11 != NULL)
		rc = p11_sign(s->p11, msg, len, sig, siglen);
	else
		rc = file_sign(s->pkey, s->pub.alg, msg, len, sig, siglen);
	if (rc != RP_OK)
		goto out;
	/* A signature that does not verify must never reach an image. */
	rc = c->verify(c->ctx, &s->pub, msg, len, sig, *siglen);
	if (rc != RP_OK)
		rc = RP_E_CRYPTO;
out:
	return rc;
}

rp_err rp_sigsec_append(uint8_t *sec, size_t *seclen, size_t cap, uint8_t alg,
                        const uint8_t keyid[RP_KEYID_LEN], const uint8_t *sig,
                        size_t siglen)
{
	size_t off, i, count, n;

	if (*seclen == 0) {
		if (cap < RP_SIGSEC_HDR_SIZE)
			return RP_E_BUFFER;
		memset(sec, 0, RP_SIGSEC_HDR_SIZE);
		rp_store_le32(sec, RP_SIGSEC_MAGIC);
		*seclen = RP_SIGSEC_HDR_SIZE;
	}
	if (*seclen < RP_SIGSEC_HDR_SIZE ||
	    rp_load_le32(sec) != RP_SIGSEC_MAGIC)
		return RP_E_IMAGE_SIGSECTION;
	count = rp_load_le16(sec + 4);
	if (count >= RP_IMAGE_MAX_SIGS)
		return RP_E_TOO_BIG;
	if (siglen > RP_SIG_MAX)
		return RP_E_INVAL;
	off = RP_SIGSEC_HDR_SIZE;
	for (i = 0; i < count; i++) {
		if (*seclen - off < RP_SIG_ENTRY_HDR)
			return RP_E_IMAGE_SIGSECTION;
		if (memcmp(sec + off + 4, keyid, RP_KEYID_LEN) == 0)
			return RP_E_EXISTS;
		n = RP_SIG_ENTRY_HDR + rp_load_le16(sec + off + 2);
		if (n > *seclen - off)
			return RP_E_IMAGE_SIGSECTION;
		off += n;
	}
	if (off != *seclen)
		return RP_E_IMAGE_SIGSECTION;
	if (cap - off < RP_SIG_ENTRY_HDR + siglen)
		return RP_E_BUFFER;
	sec[off] = alg;
	sec[off + 1] = 0;
	rp_store_le16(sec + off + 2, (uint16_t)siglen);
	memcpy(sec + off + 4, keyid, RP_KEYID_LEN);
	memcpy(sec + off + RP_SIG_ENTRY_HDR, sig, siglen);
	rp_store_le16(sec + 4, (uint16_t)(count + 1));
	*seclen = off + RP_SIG_ENTRY_HDR + siglen;
	return RP_OK;
}

/* Sign msg with every signer and append to sec. */
static rp_err sign_all(const uint8_t *msg, size_t len,
                       rp_signer *const *signers, size_t n, uint8_t *sec,
                       size_t *seclen, size_t cap)
{
	uint8_t sig[RP_SIG_MAX];
	size_t siglen, i;
	rp_err rc = RP_OK;

	for (i = 0; i < n && rc == RP_OK; i++) {
		rc = rp_signer_sign(signers[i], msg, len, sig, &siglen);
		if (rc == RP_OK)
			rc = rp_sigsec_append(sec, seclen, cap,
			                      signers[i]->pub.alg,
			                      signers[i]->pub.id, sig, siglen);
	}
	return rc;
}

rp_err rp_image_sign_file(const char *in_path, const char *out_path,
                          const struct rp_image_hdr *tmpl,
                          rp_signer *const *signers, size_t nsigners,
                          struct rp_image_hdr *hdr_out)
{
	uint8_t sec[RP_SIGSEC_MAX], hdr[RP_IMAGE_HDR_SIZE];
	struct rp_image_hdr h = *tmpl, chk;
	char tmp[PATH_MAX] = "";
	uint8_t *buf = NULL;
	EVP_MD_CTX *md = NULL;
	size_t seclen = 0;
	ssize_t r;
	int in = -1, out = -1;
	rp_err rc;

	if (nsigners == 0 || nsigners > RP_IMAGE_MAX_SIGS) {
		rc = RP_E_INVAL;
		goto out;
	}
	buf = rp_malloc(RP_IMAGE_HOST_WORK);
	md = EVP_MD_CTX_new();
	if (buf == NULL || md == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	in = open(in_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
		goto out;
	}
	rc = rp_file_temp_open(out_path, 0644, tmp, sizeof tmp, &out);
	if (rc != RP_OK) {
		if (rc == RP_E_RANGE)
			rc = RP_E_TOO_BIG; /* an output path too long */
		goto out;
	}
	/* Room for the header, then the payload copied and hashed at once:
	 * what is signed is what was written. */
	memset(hdr, 0, sizeof hdr);
	rc = rp_file_write_all(out, hdr, sizeof hdr);
	if (rc != RP_OK || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = rc != RP_OK ? rc : RP_E_CRYPTO;
		goto out;
	}
	h.payload_len = 0;
	for (;;) {
		r = read(in, buf, RP_IMAGE_HOST_WORK);
		if (r == 0)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = RP_E_IO;
			goto out;
		}
		if (EVP_DigestUpdate(md, buf, (size_t)r) != 1) {
			rc = RP_E_CRYPTO;
			goto out;
		}
		rc = rp_file_write_all(out, buf, (size_t)r);
		if (rc != RP_OK)
			goto out;
		h.payload_len += (uint64_t)r;
	}
	if (EVP_DigestFinal_ex(md, h.payload_sha256, NULL) != 1) {
		rc = RP_E_CRYPTO;
		goto out;
	}
	rp_image_hdr_encode(&h, hdr);
	rc = rp_image_hdr_parse(hdr, sizeof hdr, &chk);
	if (rc != RP_OK)
		goto out; /* e.g. an empty or too long hardware type */
	rc = sign_all(hdr, sizeof hdr, signers, nsigners, sec, &seclen,
	              sizeof sec);
	if (rc != RP_OK)
		goto out;
	rc = rp_file_write_all(out, sec, seclen);
	if (rc != RP_OK)
		goto out;
	if (pwrite(out, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
		rc = RP_E_IO;
		goto out;
	}
	rc = rp_file_temp_commit(out, tmp, out_path); /* closes out */
	out = -1;
	if (rc != RP_OK)
		goto out;
	if (hdr_out != NULL)
		*hdr_out = chk;
out:
	if (out >= 0)
		rp_file_temp_abort(out, tmp);
	if (in >= 0)
		close(in);
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

rp_err rp_keyset_sign(const struct rp_keyset *ks, rp_signer *const *signers,
                      size_t nsigners, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t body, seclen = 0;
	rp_err rc;

	rc = rp_keyset_encode_body(ks, out, cap, &body);
	if (rc != RP_OK)
		goto out;
	if (nsigners == 0) {
		rc = RP_E_INVAL;
		goto out;
	}
	rc = sign_all(out, body, signers, nsigners, out + body, &seclen,
	              cap - body);
	if (rc != RP_OK)
		goto out;
	*outlen = body + seclen;
out:
	return rc;
}

rp_err rp_keyset_cosign(uint8_t *buf, size_t *len, size_t cap,
                        rp_signer *const *signers, size_t nsigners)
{
	struct rp_keyset ks;
	size_t body = 0, seclen;
	rp_err rc;

	rc = rp_keyset_parse(buf, *len, rp_crypto_host(), &ks, &body);
	if (rc != RP_OK)
		goto out;
	seclen = *len - body;
	rc = sign_all(buf, body, signers, nsigners, buf + body, &seclen,
	              cap - body);
	if (rc != RP_OK)
		goto out;
	*len = body + seclen;
out:
	return rc;
}
