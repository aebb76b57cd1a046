/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_keys.h - the fixed test keys of the image and key-set fuzzers:
 * Ed25519 keys from the seeds 0x01.. and 0x02.. (32 bytes each), the same
 * keys tests/fuzz/make-image-seeds.sh signs the seed corpora with.
 */
#ifndef RAMPART_FUZZ_KEYS_H
#define RAMPART_FUZZ_KEYS_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/crypto_host.h"
#include "rampart/mem.h"

/* A set of the two keys, threshold k, epoch 1. */
static inline void fuzz_keyset(struct rp_keyset *ks, uint8_t k)
{
	uint8_t seed[32], pk[32], sk[64];
	int i;

	memset(ks, 0, sizeof *ks);
	if (rp_init() != RP_OK)
		abort();
	for (i = 0; i < 2; i++) {
		memset(seed, i + 1, sizeof seed);
		crypto_sign_seed_keypair(pk, sk, seed);
		if (rp_pubkey_init(&ks->keys[i], RP_ALG_ED25519, pk, 32,
		                   rp_crypto_host()) != RP_OK)
			abort();
	}
	ks->nkeys = 2;
	ks->threshold = k;
	ks->epoch = 1;
	sodium_memzero(sk, sizeof sk);
}

#endif
