/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_est_reply.c - libFuzzer harness for rampart-agent's parser of EST
 * answers (lib/device/est.c: base64 PKCS#7 certs-only, from the network): any
 * input yields a non-empty certificate list or RP_E_EST_REPLY and nothing.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../lib/device/est.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *certs = NULL;
	rp_err rc = est_parse_certs(data, size, &certs);

	if (rc == RP_OK) {
		if (certs == NULL || sk_X509_num(certs) < 1)
			abort();
		sk_X509_pop_free(certs, X509_free);
	} else if (certs != NULL ||
	           (rc != RP_E_EST_REPLY && rc != RP_E_NOMEM)) {
		abort();
	}
	return 0;
}
