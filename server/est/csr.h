/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csr.h - the EST request body and the checks on a PKCS#10 request that
 * need no state (docs/enrollment.md): base64 -> DER -> X509_REQ, the
 * signature, the key type (P-256), the subject serial and the hardware
 * token extension. Every input here comes from the network; the fuzz
 * targets tests/fuzz/fuzz_est_body.c and fuzz_csr_check.c drive it.
 */
#ifndef RAMPARTD_CSR_H
#define RAMPARTD_CSR_H

#include <stddef.h>

#include <openssl/x509.h>

#include "rampart/err.h"

#define CSR_ID_MAX    64
#define CSR_TOKEN_MAX 128
#define CSR_DER_MAX   (8 * 1024)

struct csr_info {
	char id[CSR_ID_MAX + 1];         /* subject CN = device serial */
	char hwtoken[CSR_TOKEN_MAX + 1]; /* "" when the extension is absent */
	int has_hwtoken;
};

/*
 * Decode an EST body (base64 of DER, CR/LF/space/tab ignored; RFC 7030
 * 4.2.1, RFC 8951) into a PKCS#10 request. The DER must be consumed
 * exactly. *out is owned by the caller (X509_REQ_free). why (cap bytes)
 * gets the precise reason on failure: RP_E_ENCODING, RP_E_CSR,
 * RP_E_TOO_BIG, RP_E_NOMEM.
 */
rp_err csr_decode(const char *body, size_t len, X509_REQ **out, char *why,
                  size_t cap) RP_WARN_UNUSED;

/*
 * Check req and fill *info: RP_E_CSR_SIG (signature does not verify with
 * its own key), RP_E_CSR_KEY (not EC P-256), RP_E_CSR_SUBJECT (not exactly
 * one CN of 1..64 chars from [A-Za-z0-9._-]), RP_E_CSR (malformed hardware
 * token extension or extension request), RP_E_NOMEM (no memory, OpenSSL's
 * included: not the request's fault). why gets the precise reason.
 */
rp_err csr_check(X509_REQ *req, struct csr_info *info, char *why,
                 size_t cap) RP_WARN_UNUSED;

/*
 * True if s (NUL-terminated) has the id charset and length of
 * rp_broker_id_valid: the rule for group names and hw_type. A device
 * serial must also pass rp_broker_device_id_check (not reserved).
 */
int csr_id_valid(const char *s);

/* True if s is a valid hardware token (1..128 of [A-Za-z0-9:+/=._-]). */
int csr_token_valid(const char *s);

#endif
