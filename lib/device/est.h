/* SPDX-License-Identifier: Apache-2.0 */
/*
 * est.h - the EST client of rampart-agent (RFC 7030; docs/enrollment.md
 * has the server's side): /cacerts, /simpleenroll, /simplereenroll over
 * rp_http_request, and the parser of their base64 PKCS#7 certs-only
 * answers.
 */
#ifndef RAMPART_AGENT_EST_H
#define RAMPART_AGENT_EST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rampart/err.h"

/* Largest EST answer the agent accepts (a few certificates). */
#define EST_MAX_REPLY (64 * 1024)

/*
 * Parse an EST answer body: base64 (line breaks allowed, RFC 7030 4.1.3,
 * RFC 8951) of a DER PKCS#7 SignedData certs-only. *certs gets the
 * certificates in order, owned by the caller
 * (sk_X509_pop_free(.., X509_free)). RP_E_EST_REPLY for anything else,
 * including an empty certificate list.
 */
rp_err est_parse_certs(const uint8_t *body, size_t len,
                       STACK_OF(X509) * *certs) RP_WARN_UNUSED;

/*
 * GET base/.well-known/est/cacerts with ctx (server verified; no client
 * certificate needed). *certs as est_parse_certs.
 */
rp_err est_cacerts(SSL_CTX *ctx, const char *base,
                   STACK_OF(X509) * *certs) RP_WARN_UNUSED;

/*
 * POST the DER CSR to simpleenroll (reenroll false: ctx carries the claim
 * certificate) or simplereenroll (reenroll true: ctx carries the current
 * device certificate). *cert gets the issued certificate (caller frees).
 * *status gets the HTTP status (0 if none). RP_E_EST_REFUSED for a 4xx/5xx
 * answer, RP_E_EST_UNREACHABLE when no answer came (server away, TLS),
 * RP_E_EST_REPLY for an answer that is not one certificate.
 */
rp_err est_enroll(SSL_CTX *ctx, const char *base, bool reenroll,
                  const uint8_t *csr, size_t csr_len, X509 **cert,
                  int *status) RP_WARN_UNUSED;

#endif
