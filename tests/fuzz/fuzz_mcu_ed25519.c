/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mcu_ed25519.c - libFuzzer harness for the MCU's Ed25519 verifier
 * (boot/mcu/ed25519_verify.c), differential against libsodium 1.0.18:
 * whatever the signature, key and message, both give the same verdict.
 * Input: a mode byte, then
 *  - even mode: signature (64) || public key (32) || message;
 *  - odd mode: seed (32) || mask (96) || message: libsodium makes the key
 *    from the seed and signs the message, then signature || key are
 *    XORed with the mask, so the inputs stay near valid ones.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sig[64], pk[32], sk[64];
	const uint8_t *msg;
	size_t mlen, i;
	int ours, theirs;

	if (sodium_init() < 0)
		abort();
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		if (size < 97)
			return 0;
		memcpy(sig, data + 1, 64);
		memcpy(pk, data + 65, 32);
		msg = data + 97;
		mlen = size - 97;
	} else {
		if (size < 129)
			return 0;
		msg = data + 129;
		mlen = size - 129;
		crypto_sign_seed_keypair(pk, sk, data + 1);
		crypto_sign_detached(sig, NULL, msg, mlen, sk);
		for (i = 0; i < 64; i++)
			sig[i] ^= data[33 + i];
		for (i = 0; i < 32; i++)
			pk[i] ^= data[97 + i];
	}
	ours = rpb_ed25519_verify(sig, msg, mlen, pk) == RP_OK;
	theirs = crypto_sign_verify_detached(sig, msg, mlen, pk) == 0;
	if (ours != theirs)
		abort();
	return 0;
}
