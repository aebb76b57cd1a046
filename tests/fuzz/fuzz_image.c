/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_image.c - libFuzzer harness for the image header parser, the
 * signature-section scanner and the streaming verifier on arbitrary bytes,
 * with a fixed trusted set (fuzz_keys.h). Invariants: a header that parses
 * encodes back to the same 192 bytes; a verified image is exactly as long
 * as the verifier says, and was also accepted by the structural checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_keys.h"
#include "rampart/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_keyset ks1, ks2;
	static int ready;
	struct rp_image_policy exact = {"fuzz", 1, true};
	struct rp_image_policy slot = {NULL, 0, false};
	struct rp_image_report rep;
	struct rp_image_src src;
	struct rp_mem_src mem;
	struct rp_image_hdr h;
	uint8_t enc[RP_IMAGE_HDR_SIZE], work[64];
	uint64_t end;
	rp_err rc, rc2;

	if (!ready) {
		fuzz_keyset(&ks1, 1);
		fuzz_keyset(&ks2, 2);
		ready = 1;
	}
	if (rp_image_hdr_parse(data, size, &h) == RP_OK) {
		rp_image_hdr_encode(&h, enc);
		if (memcmp(enc, data, RP_IMAGE_HDR_SIZE) != 0)
			abort();
	}
	rp_image_src_mem(&src, &mem, data, size);
	rc = rp_image_verify(&src, &ks1, rp_crypto_host(), &exact, work,
	                     sizeof work, &rep);
	if (rc == RP_OK) {
		if (rep.total_len != size || rep.nvalid < 1)
			abort();
		if (rp_sigsec_scan(&src,
		                   RP_IMAGE_HDR_SIZE + rep.hdr.payload_len,
		                   &end) != RP_OK ||
		    end != size)
			abort();
	}
	rc2 = rp_image_verify(&src, &ks2, rp_crypto_host(), &slot, work,
	                      sizeof work, &rep);
	/* Needing more signatures never turns a refusal into a yes. */
	if (rc2 == RP_OK && rc != RP_OK && rc != RP_E_IMAGE_TRAILING &&
	    rc != RP_E_IMAGE_HW && rc != RP_E_IMAGE_COUNTER)
		abort();
	return 0;
}
