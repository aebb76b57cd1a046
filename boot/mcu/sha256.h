/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.h - a small freestanding SHA-256 (FIPS 180-4) for boot ports
 * without a crypto library, and the struct rp_crypto built on it.
 */
#ifndef RAMPART_BOOT_SHA256_H
#define RAMPART_BOOT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/image.h"

struct rpb_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	uint8_t buf[64];
	uint32_t n; /* bytes in buf */
};

void rpb_sha256_init(struct rpb_sha256 *s);
void rpb_sha256_update(struct rpb_sha256 *s, const uint8_t *p, size_t len);
void rpb_sha256_final(struct rpb_sha256 *s, uint8_t out[32]);

/*
 * A struct rp_crypto with this SHA-256 and the signature check given
 * (NULL: every signature is refused with RP_E_SIG_ALG, i.e. no image
 * verifies: a port must supply one).
 */
void rpb_crypto_init(struct rp_crypto *c,
                     rp_err (*verify)(void *ctx, const struct rp_pubkey *pub,
                                      const uint8_t *msg, size_t msglen,
                                      const uint8_t *sig, size_t siglen));

#endif
