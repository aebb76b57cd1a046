/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_int.h - what the keystore front (keystore.c) and its back-ends
 * (keystore_file.c, keystore_pkcs11.c, keystore_tpm.c) share inside
 * librampart: the back-end operations table and file helpers.
 */
#ifndef RAMPART_KEYSTORE_INT_H
#define RAMPART_KEYSTORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rampart/keystore.h"

struct ks_ops {
	rp_err (*generate)(rp_keystore *ks);
	bool (*has_key)(rp_keystore *ks);
	rp_err (*key)(rp_keystore *ks, EVP_PKEY **out);
	rp_err (*erase)(rp_keystore *ks);
};

struct rp_keystore {
	struct rp_keystore_spec spec;
	const struct ks_ops *ops;
};

extern const struct ks_ops ks_file_ops;
extern const struct ks_ops ks_pkcs11_ops;
extern const struct ks_ops ks_tpm_ops;

/*
 * Write data[0..len) to path atomically with the given mode:
 * rp_file_write_atomic, or with excl rp_file_create_atomic (RP_E_EXISTS if
 * path exists), rampart/file.h.
 */
rp_err ks_write_file(const char *path, const void *data, size_t len, int mode,
                     bool excl);

/*
 * Read the whole file (at most max bytes) into buf; *len gets its size.
 * private: refuse (RP_E_KEYSTORE_MODE) a file that group or others may
 * access. RP_E_NOT_FOUND if absent, RP_E_TOO_BIG if larger than max.
 */
rp_err ks_read_file(const char *path, uint8_t *buf, size_t max, size_t *len,
                    bool private_file);

/*
 * Overwrite the file's bytes in place (random, then zeros, each fsynced),
 * then unlink it and fsync its folder. RP_OK if it did not exist.
 */
rp_err ks_shred(const char *path);

/* TPM: hex SHA-256 of the EK's SubjectPublicKeyInfo (keystore.h). */
rp_err ks_tpm_ek_hash(const struct rp_keystore_spec *sp, char *out, size_t cap);

/* DER SubjectPublicKeyInfo equality of two keys (any provider/engine). */
bool ks_pubkey_eq(EVP_PKEY *a, EVP_PKEY *b);

/*
 * The sealed key file (docs/keystore.md has the layout and a test vector):
 * a 12-byte header that is the AEAD's associated data, a 24-byte nonce,
 * the 32-byte P-256 scalar encrypted with XChaCha20-Poly1305, the tag.
 */
#define KS_SEALED_HDR   12
#define KS_SEALED_NONCE 24
#define KS_SCALAR       32
#define KS_KEK          32
#define KS_SEALED_SIZE  (KS_SEALED_HDR + KS_SEALED_NONCE + KS_SCALAR + 16)

/* Seal scalar under kek with the given nonce into out[KS_SEALED_SIZE]. */
void ks_file_seal(const uint8_t kek[KS_KEK], const uint8_t nonce[24],
                  const uint8_t scalar[KS_SCALAR], uint8_t out[KS_SEALED_SIZE]);

/*
 * Parse and open a sealed file's bytes. RP_E_KEYSTORE_FORMAT for a bad
 * layout, RP_E_KEYSTORE_SEALED when authentication fails (tampering or
 * the wrong KEK). scalar is wiped unless RP_OK.
 */
rp_err ks_file_unseal(const uint8_t *buf, size_t len, const uint8_t kek[KS_KEK],
                      uint8_t scalar[KS_SCALAR]) RP_WARN_UNUSED;

/* An OpenSSL P-256 key from a private scalar (caller frees). */
rp_err ks_p256_from_scalar(const uint8_t scalar[KS_SCALAR],
                           EVP_PKEY **out) RP_WARN_UNUSED;

#endif
