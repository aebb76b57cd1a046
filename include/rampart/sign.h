/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.h - the host side of signed images: release keys (PEM PKCS#8 files,
 * optionally passphrase-encrypted, or keys inside a PKCS#11 token named by
 * an RFC 7512 "pkcs11:" URI), public key files, and building signed images
 * and key sets (docs/image-format.md). Hosted only: OpenSSL, libsodium,
 * dlopen. The tools' header (lib/sign/, not in the device SDK); reading
 * public key files is the verify side's, in crypto_host.h.
 */
#ifndef RAMPART_SIGN_H
#define RAMPART_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* rp_pubkey_load_pem, which the tools use with the signers */
#include "rampart/crypto_host.h"
#include "rampart/image.h"

typedef struct rp_signer rp_signer;

/*
 * Generate a key pair (alg RP_ALG_ED25519 or RP_ALG_P256_SHA256), write
 * the private key to path as PEM PKCS#8 (mode 0600, never overwriting:
 * RP_E_EXISTS), encrypted with passphrase when it is not NULL, and the
 * public key to "path.pub" (PEM SubjectPublicKeyInfo, 0644). OUT: *pub.
 */
RP_API rp_err rp_key_generate(uint8_t alg, const char *path,
                              const char *passphrase,
                              struct rp_pubkey *pub) RP_WARN_UNUSED;

/* Write pub to path as a PEM public key (mode 0644, replacing path). */
RP_API rp_err rp_pubkey_write_pem(const struct rp_pubkey *pub,
                                  const char *path) RP_WARN_UNUSED;

/*
 * Open a signing key: a PEM private key file (passphrase: NULL if not
 * encrypted) or a "pkcs11:" URI (docs/image-format.md "PKCS#11 keys";
 * the PIN comes from pin-value or pin-source in the URI, else passphrase).
 * OUT: *out, owned by the caller, freed with rp_signer_free().
 * Errors: RP_E_NOT_FOUND, RP_E_KEY_FORMAT, RP_E_PASSPHRASE, RP_E_PKCS11,
 * RP_E_PKCS11_NO_KEY, RP_E_NOMEM.
 */
RP_API rp_err rp_signer_open(const char *spec, const char *passphrase,
                             rp_signer **out) RP_WARN_UNUSED;
RP_API const struct rp_pubkey *rp_signer_pubkey(const rp_signer *s);
/*
 * Sign msg (Ed25519: the message itself; P-256: ECDSA over its SHA-256,
 * DER). The result is verified with the public key before it is returned.
 * OUT: sig, *siglen.
 */
RP_API rp_err rp_signer_sign(rp_signer *s, const uint8_t *msg, size_t len,
                             uint8_t sig[RP_SIG_MAX],
                             size_t *siglen) RP_WARN_UNUSED;
RP_API void rp_signer_free(rp_signer *s);

/*
 * Append a signature entry to the signature section sec (*seclen bytes,
 * cap bytes of room); *seclen 0 starts a new section. RP_E_TOO_BIG past
 * RP_IMAGE_MAX_SIGS, RP_E_BUFFER, RP_E_EXISTS if keyid already signed.
 */
RP_API rp_err rp_sigsec_append(uint8_t *sec, size_t *seclen, size_t cap,
                               uint8_t alg, const uint8_t keyid[RP_KEYID_LEN],
                               const uint8_t *sig,
                               size_t siglen) RP_WARN_UNUSED;

/*
 * Build the signed image out_path from the payload in_path: header from
 * tmpl (its payload_len and payload_sha256 are computed here), the
 * payload streamed, and a signature section with one signature per
 * signer (distinct keys). Writes out_path.tmp and renames it.
 * OUT: hdr (may be NULL), the header written.
 */
RP_API rp_err rp_image_sign_file(const char *in_path, const char *out_path,
                                 const struct rp_image_hdr *tmpl,
                                 rp_signer *const *signers, size_t nsigners,
                                 struct rp_image_hdr *hdr) RP_WARN_UNUSED;

/*
 * Encode ks and sign its body with each signer into out (cap bytes, at
 * most RP_KEYSET_MAX_SIZE needed). OUT: *outlen.
 */
RP_API rp_err rp_keyset_sign(const struct rp_keyset *ks,
                             rp_signer *const *signers, size_t nsigners,
                             uint8_t *out, size_t cap,
                             size_t *outlen) RP_WARN_UNUSED;

/*
 * Add signatures by signers to the signed key set in buf (*len bytes,
 * cap bytes of room), e.g. a second key holder co-signing a rotation.
 */
RP_API rp_err rp_keyset_cosign(uint8_t *buf, size_t *len, size_t cap,
                               rp_signer *const *signers,
                               size_t nsigners) RP_WARN_UNUSED;

#endif
