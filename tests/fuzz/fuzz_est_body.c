/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_est_body.c - libFuzzer harness for rampartd's EST request body:
 * base64 (with line breaks) -> DER -> PKCS#10, then the stateless CSR
 * checks. Any input must be accepted or refused cleanly, with a reason,
 * and an accepted request must carry a valid device serial.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "est/csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *req = NULL;
	struct csr_info info;
	char why[256] = "";
	rp_err rc;

	rc = csr_decode((const char *)data, size, &req, why, sizeof why);
	if (rc != RP_OK) {
		if (req != NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (req == NULL)
		abort();
	why[0] = '\0';
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
