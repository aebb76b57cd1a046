/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_csr_check.c - libFuzzer harness for the CSR checks of rampartd
 * (key type, proof-of-possession signature, subject serial, hardware
 * token extension) fed raw DER, so that mutations reach past base64.
 * The request is checked twice and both answers must be the same, but
 * under faultsim (tests/faultsim/): there a check may refuse with
 * RP_E_NOMEM only when an allocation failed during it, and one that had
 * an allocation fail may refuse; every refusal says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../faultsim/faultsim.h"
#include "est/csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One check; *faulted: an allocation failed during it. */
static rp_err check(X509_REQ *req, struct csr_info *info, bool *faulted)
{
	unsigned long failed = rp_faultsim_failures();
	char why[256] = "";
	rp_err rc;

	rc = csr_check(req, info, why, sizeof why);
	*faulted = rp_faultsim_failures() != failed;
	if (rc == RP_OK) {
		if (!csr_id_valid(info->id) ||
		    (info->has_hwtoken && !csr_token_valid(info->hwtoken)))
			abort();
	} else if (why[0] == '\0' || (rc == RP_E_NOMEM && !*faulted)) {
		abort();
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *req;
	struct csr_info a, b;
	bool fa, fb;
	rp_err ra, rb;

	if (size > CSR_DER_MAX)
		return 0;
	req = d2i_X509_REQ(NULL, &p, (long)size);
	if (req == NULL)
		return 0;
	ra = check(req, &a, &fa);
	rb = check(req, &b, &fb);
	/* a refusal for memory is the one difference allowed */
	if (!((fa && ra != RP_OK) || (fb && rb != RP_OK)) &&
	    (ra != rb || (ra == RP_OK && memcmp(&a, &b, sizeof a) != 0)))
		abort();
	X509_REQ_free(req);
	return 0;
}
