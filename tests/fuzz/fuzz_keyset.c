/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_keyset.c - libFuzzer harness for the key-set parser and the
 * rotation check on arbitrary bytes. Invariants: a set that parses passes
 * rp_keyset_check and encodes back to the same body bytes; an accepted
 * rotation has a higher epoch and keeps the current revocations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_keys.h"
#include "rampart/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_keyset cur;
	static int ready;
	static struct rp_keyset ks, next;
	static uint8_t body[RP_KEYSET_BODY_MAX];
	size_t bodylen = 0, n = 0;
	unsigned i;
	rp_err rc;

	if (!ready) {
		fuzz_keyset(&cur, 1);
		memset(cur.revoked[0], 0xab, RP_KEYID_LEN);
		cur.nrevoked = 1;
		ready = 1;
	}
	if (rp_keyset_parse(data, size, rp_crypto_host(), &ks, &bodylen) ==
	    RP_OK) {
		if (rp_keyset_check(&ks) != RP_OK ||
		    rp_keyset_encode_body(&ks, body, sizeof body, &n) !=
		        RP_OK ||
		    n != bodylen || memcmp(body, data, n) != 0)
			abort();
	}
	if (rp_keyset_accept(&cur, data, size, rp_crypto_host(), &next, NULL) ==
	    RP_OK) {
		if (next.epoch <= cur.epoch)
			abort();
		for (i = 0; i < cur.nrevoked; i++)
			if (!rp_keyset_is_revoked(&next, cur.revoked[i]))
				abort();
	}
	/* Without a current set: must not crash, any verdict is fine. */
	rc = rp_keyset_accept(NULL, data, size, rp_crypto_host(), &next, NULL);
	(void)rc;
	return 0;
}
