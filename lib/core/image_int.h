/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_int.h - what image.c shares with keyset.c inside the freestanding
 * core: an aligned hash state and the signature-section verifier.
 */
#ifndef RAMPART_IMAGE_INT_H
#define RAMPART_IMAGE_INT_H

#include "rampart/image.h"

/* RP_HASH_STATE_MAX bytes, aligned for any state a port keeps. */
union rp_hash_state {
	uint8_t b[RP_HASH_STATE_MAX];
	uint64_t u64[RP_HASH_STATE_MAX / 8];
	void *p;
	long double ld;
};

rp_err image_sigsec_verify(const struct rp_image_src *src, uint64_t off,
                           const uint8_t *msg, size_t msglen,
                           const struct rp_keyset *signers,
                           const struct rp_keyset *also_revoked,
                           unsigned threshold, const struct rp_crypto *crypto,
                           struct rp_image_report *rep);

#endif
