/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ed25519_verify.h - a small freestanding Ed25519 signature check
 * (RFC 8032 section 5.1.7) with its own SHA-512, for boot ports without a
 * crypto library, and the signature function of the MCU's struct
 * rp_crypto built on it. No heap, no libc beyond memcpy/memset, no OS.
 */
#ifndef RAMPART_BOOT_ED25519_VERIFY_H
#define RAMPART_BOOT_ED25519_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/image.h"

struct rpb_sha512 {
	uint64_t h[8];
	uint64_t len; /* bytes hashed so far (messages < 2^61 bytes) */
	uint8_t buf[128];
	uint32_t n; /* bytes in buf */
};

void rpb_sha512_init(struct rpb_sha512 *s);
void rpb_sha512_update(struct rpb_sha512 *s, const uint8_t *p, size_t len);
void rpb_sha512_final(struct rpb_sha512 *s, uint8_t out[64]);

/*
 * RP_OK if sig (64 bytes, R || S) is a valid Ed25519 signature of msg by
 * the public key pub (32 bytes), else RP_E_SIG_BAD. The checks, as
 * libsodium 1.0.18's crypto_sign_verify_detached makes them, are listed
 * in ed25519_verify.c.
 */
rp_err rpb_ed25519_verify(const uint8_t sig[64], const uint8_t *msg,
                          size_t msglen, const uint8_t pub[32]);

/*
 * The verify function of struct rp_crypto for the MCU port (pass it to
 * rpb_crypto_init): Ed25519 with rpb_ed25519_verify; RP_E_SIG_ALG for
 * ECDSA P-256 (not implemented on the MCU) and any other algorithm;
 * RP_E_SIG_BAD for an Ed25519 key or signature of the wrong length.
 */
rp_err rpb_ed25519_rp_verify(void *ctx, const struct rp_pubkey *pub,
                             const uint8_t *msg, size_t msglen,
                             const uint8_t *sig, size_t siglen);

#endif
