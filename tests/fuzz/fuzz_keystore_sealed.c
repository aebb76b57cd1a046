/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_keystore_sealed.c - libFuzzer harness for the sealed key file
 * parser of the file keystore (lib/device/keystore_file.c): any input opens
 * under the test-vector KEK or is refused with a format or authentication
 * error, with the output wiped; and sealing input-chosen bytes always opens
 * again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/device/keystore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t kek[KS_KEK], scalar[KS_SCALAR], sealed[KS_SEALED_SIZE];
	size_t i;
	rp_err rc;

	for (i = 0; i < sizeof kek; i++)
		kek[i] = (uint8_t)i; /* docs/keystore.md test vector */
	memset(scalar, 0xaa, sizeof scalar);
	rc = ks_file_unseal(data, size, kek, scalar);
	if (rc == RP_OK) {
		EVP_PKEY *k = NULL;

		if (ks_p256_from_scalar(scalar, &k) == RP_OK)
			EVP_PKEY_free(k);
	} else {
		if (rc != RP_E_KEYSTORE_FORMAT && rc != RP_E_KEYSTORE_SEALED)
			abort();
		for (i = 0; i < sizeof scalar; i++)
			if (scalar[i] != 0)
				abort();
	}
	/* Round trip: nonce and scalar from the input. */
	if (size >= KS_SEALED_NONCE + KS_SCALAR) {
		uint8_t back[KS_SCALAR];

		ks_file_seal(kek, data, data + KS_SEALED_NONCE, sealed);
		if (ks_file_unseal(sealed, sizeof sealed, kek, back) != RP_OK ||
		    memcmp(back, data + KS_SEALED_NONCE, KS_SCALAR) != 0)
			abort();
	}
	return 0;
}
