/* SPDX-License-Identifier: Apache-2.0 */
/*
 * renew.c - when a device renews its certificate (rampart/enroll.h
 * rp_renew_due, rp_renew_when): a pure schedule, the clock and the random
 * number come in as arguments; the retry backoff is rp_backoff_ms
 * (lib/base/backoff.c). The renewal itself is reenroll.c.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "rampart/enroll.h"

enum rp_renew_state rp_renew_due(int64_t now, int64_t not_before,
                                 int64_t not_after, int64_t window_s,
                                 uint32_t rnd, int64_t *wait_s)
{
	int64_t start, spread;

	*wait_s = 0;
	if (now >= not_after)
		return RP_RENEW_EXPIRED;
	if (window_s < 0)
		window_s = 0;
	if (window_s >= not_after - not_before) {
		start = not_before;
		spread = 0;
	} else {
		start = not_after - window_s;
		spread = window_s / 10;
	}
	if (spread > 0)
		start += (int64_t)(rnd % (uint64_t)(spread + 1));
	if (now >= start)
		return RP_RENEW_NOW;
	*wait_s = start - now;
	return RP_RENEW_WAIT;
}

static rp_err asn1_unix(const ASN1_TIME *a, int64_t *out)
{
	struct tm t;

	if (a == NULL || ASN1_TIME_to_tm(a, &t) != 1)
		return RP_E_KEYSTORE_CERT;
	*out = (int64_t)timegm(&t);
	return RP_OK;
}

rp_err rp_renew_when(rp_keystore *ks, int64_t now, int64_t window_s,
                     uint32_t rnd, enum rp_renew_state *state, int64_t *wait_s,
                     int64_t *not_after)
{
	X509 *cur = NULL;
	int64_t nb = 0, na = 0;
	rp_err rc = rp_keystore_cert_load(ks, &cur, NULL);

	if (rc == RP_OK)
		rc = asn1_unix(X509_get0_notBefore(cur), &nb);
	if (rc == RP_OK)
		rc = asn1_unix(X509_get0_notAfter(cur), &na);
	if (rc == RP_OK) {
		*state = rp_renew_due(now, nb, na, window_s, rnd, wait_s);
		if (not_after != NULL)
			*not_after = na;
	}
	X509_free(cur);
	return rc;
}
