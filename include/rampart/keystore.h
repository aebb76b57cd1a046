/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore.h - where a device keeps its identity: one ECDSA P-256 private
 * key, born inside the store, and the certificate chain issued for it.
 *
 * Three back-ends sit behind one interface (docs/keystore.md):
 *   file:DIR[;kek=PATH]          key sealed with XChaCha20-Poly1305 under a
 *                                key-encryption key (KEK) in a 0600 file
 *   pkcs11:token=T;object=O?module-path=M&pin-value=P&x-dir=DIR
 *                                key generated in a PKCS#11 token
 *                                (CKA_SENSITIVE, not extractable)
 *   tpm:handle=0x81000010;dir=DIR[;tcti=CONF]
 *                                key generated in a TPM 2.0 and made
 *                                persistent at the handle
 * The key is used through OpenSSL (EVP_PKEY) for CSR signing and TLS client
 * authentication; the PKCS#11 and TPM keys never leave their hardware.
 * rp_keystore_erase() is the cryptographic erase.
 */
#ifndef RAMPART_KEYSTORE_H
#define RAMPART_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/types.h>
#include <openssl/x509.h>

#include "rampart/err.h"
#include "rampart/export.h"

/* Longest spec string accepted, and size of each path field. */
#define RP_KEYSTORE_SPEC_MAX 2048
#define RP_KEYSTORE_PATH_MAX 512

enum rp_keystore_kind {
	RP_KEYSTORE_FILE = 1,
	RP_KEYSTORE_PKCS11 = 2,
	RP_KEYSTORE_TPM = 3,
};

/*
 * A parsed spec string. Empty strings mean "not given". pin holds a secret
 * when pin-value was given: wipe the struct (rp_wipe) when done with it.
 */
struct rp_keystore_spec {
	enum rp_keystore_kind kind;
	char dir[RP_KEYSTORE_PATH_MAX];    /* certificates; file: sealed key */
	char kek[RP_KEYSTORE_PATH_MAX];    /* file: KEK path (DIR/kek) */
	char module[RP_KEYSTORE_PATH_MAX]; /* pkcs11: module-path */
	char token[33];                    /* pkcs11: token label */
	char object[65];                   /* pkcs11: key label */
	char pin[65];                      /* pkcs11: pin-value (secret) */
	char pin_source[RP_KEYSTORE_PATH_MAX]; /* pkcs11: file with the PIN */
	char tcti[256];  /* tpm: TCTI config; "" = default */
	uint32_t handle; /* tpm: persistent handle */
};

/*
 * Parse spec[0..len) (no NUL needed) into *out. Pure: touches no file.
 * RP_E_KEYSTORE_SPEC on any syntax error, unknown or repeated attribute,
 * missing required attribute, value too long, or a handle outside the
 * TPM's persistent range 0x81000000..0x81ffffff.
 */
RP_API rp_err rp_keystore_spec_parse(
    const char *spec, size_t len, struct rp_keystore_spec *out) RP_WARN_UNUSED;

typedef struct rp_keystore rp_keystore;

/*
 * Open the keystore named by a NUL-terminated spec string. Touches no key
 * yet (a pin-source file is read here). *out is owned by the caller and
 * released with rp_keystore_close().
 */
RP_API rp_err rp_keystore_open(const char *spec,
                               rp_keystore **out) RP_WARN_UNUSED;
RP_API void rp_keystore_close(rp_keystore *ks);

RP_API enum rp_keystore_kind rp_keystore_kind(const rp_keystore *ks);

/*
 * Create a fresh P-256 key inside the store. RP_E_KEYSTORE_HAS_KEY if it
 * already holds one (erase first), RP_E_KEYSTORE_BACKEND if the token or
 * TPM refuses, RP_E_IO for files.
 */
RP_API rp_err rp_keystore_generate(rp_keystore *ks) RP_WARN_UNUSED;

/* True when the store holds a key (without unsealing or using it). */
RP_API bool rp_keystore_has_key(rp_keystore *ks);

/*
 * The store's key as an OpenSSL key, for X509_REQ_sign / SSL_CTX. *out is
 * owned by the caller (EVP_PKEY_free). For PKCS#11 and TPM it is a handle:
 * the private key stays inside. RP_E_KEYSTORE_NO_KEY when there is none,
 * RP_E_KEYSTORE_SEALED when the sealed key fails authentication,
 * RP_E_KEYSTORE_FORMAT when the sealed file is malformed,
 * RP_E_KEYSTORE_MODE when a key file is readable by others.
 *
 * TPM: this loads the tpm2 and default OpenSSL providers into the default
 * library context and sets its default properties to
 * "?provider=tpm2,tpm2.digest!=yes" (what TLS with a TPM key needs).
 */
RP_API rp_err rp_keystore_key(rp_keystore *ks, EVP_PKEY **out) RP_WARN_UNUSED;

/*
 * Store the certificate (leaf first) and its chain, PEM, pem[0..len).
 * The leaf's public key must be the store's key (RP_E_KEYSTORE_CERT).
 * Replaces what was stored before, atomically.
 */
RP_API rp_err rp_keystore_cert_store(rp_keystore *ks, const char *pem,
                                     size_t len) RP_WARN_UNUSED;

/*
 * Load the stored leaf certificate and chain (may be empty). Both owned by
 * the caller: X509_free, sk_X509_pop_free(chain, X509_free) (chain may be NULL
 * if the caller does not want it). RP_E_KEYSTORE_NO_CERT when none is stored.
 */
RP_API rp_err rp_keystore_cert_load(rp_keystore *ks, X509 **leaf,
                                    STACK_OF(X509) * *chain) RP_WARN_UNUSED;

/*
 * A PKCS#10 certificate request (DER) for the store's key, signed by it
 * with ECDSA-SHA256: subject CN=cn (1..64 of A-Z a-z 0-9 . _ -, the device
 * serial as docs/enrollment.md says) and, when hwtoken is not NULL, an
 * extension request carrying it as a UTF8String under
 * 2.25.137553760100012191238587036453560585111.2. *der is malloc'd, owned
 * by the caller (free). RP_E_INVAL for a bad cn or hwtoken.
 */
RP_API rp_err rp_keystore_csr(rp_keystore *ks, const char *cn,
                              const char *hwtoken, uint8_t **der,
                              size_t *len) RP_WARN_UNUSED;

/*
 * The hardware token the allowlist may hold for this device
 * (docs/enrollment.md, docs/keystore.md): for a TPM, the lower-case hex
 * SHA-256 of the DER SubjectPublicKeyInfo of its ECC P-256 endorsement
 * key (TCG EK template L-2, as `tpm2_createek -G ecc` makes it), 64
 * characters + NUL into out (cap >= 65, else RP_E_BUFFER).
 * RP_E_UNSUPPORTED for the file and PKCS#11 back-ends.
 */
RP_API rp_err rp_keystore_hw_token(rp_keystore *ks, char *out,
                                   size_t cap) RP_WARN_UNUSED;

/*
 * Put the key, certificate and chain into an SSL_CTX for TLS client
 * authentication. The SSL_CTX keeps its own references.
 */
RP_API rp_err rp_keystore_ssl_ctx_use(rp_keystore *ks,
                                      SSL_CTX *ctx) RP_WARN_UNUSED;

/*
 * Cryptographic erase: destroy the key so that it cannot be used or
 * recovered (file: overwrite, fsync and unlink the KEK and the sealed key;
 * PKCS#11: C_DestroyObject; TPM: evict the persistent handle), then remove
 * the stored certificates. Succeeds on an empty store. docs/keystore.md
 * says what it does not guarantee (flash wear-levelling, copies).
 */
RP_API rp_err rp_keystore_erase(rp_keystore *ks) RP_WARN_UNUSED;

#endif
