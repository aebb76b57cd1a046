/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_csr_check.c - libFuzzer harness for the CSR checks of rampartd
 * (key type, proof-of-possession signature, subject serial, hardware
 * token extension) fed raw DER, so that mutations reach past base64.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "est/csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *req;
	struct csr_info info;
	char why[256] = "";
	rp_err rc;

	if (size > CSR_DER_MAX)
		return 0;
	req = d2i_X509_REQ(NULL, &p, (long)size);
	if (req == NULL)
		return 0;
	rc = csr_check(req, &info, why, sizeof why);
	if (rc == RP_OK) {
		if (!csr_id_valid(info.id) ||
		    (info.has_hwtoken && !csr_token_valid(info.hwtoken)))
			abort();
	} else if (why[0] == '\0') {
		abort();
	}
	X509_REQ_free(req);
	return 0;
}
