/* SPDX-License-Identifier: Apache-2.0 */
/*
 * est.h - the EST client of rampart-agent (RFC 7030; docs/enrollment.md
 * has the server's side): /cacerts, /simpleenroll, /simplereenroll over
 * rp_http_request, and the parser of their base64 PKCS#7 certs-only
 * answers; est_enroll_start runs simple(re)enroll on the caller's
 * event loop.
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
 * RP_E_EST_REPLY for an answer that is not one certificate. timeout_ms
 * bounds the whole request (0: the HTTP client's 30 s).
 */
rp_err est_enroll(SSL_CTX *ctx, const char *base, bool reenroll,
                  const uint8_t *csr, size_t csr_len, int timeout_ms,
                  X509 **cert, int *status) RP_WARN_UNUSED;

struct event_base;
struct est_call;

/* est_enroll's result: cert owned by the callee (NULL unless RP_OK). */
typedef void (*est_enroll_cb)(void *arg, rp_err rc, X509 *cert, int status);

/*
 * est_enroll on the caller's event loop (rp_http_start): cb runs exactly
 * once on evb with est_enroll's codes, unless est_enroll_cancel is called
 * first; csr is copied. timeout_ms: the whole request (0: 30 s). *out is
 * the handle, owned by the EST client, valid until cb has run or
 * est_enroll_cancel; not to be cancelled from inside cb. On an error
 * returned here cb is never called.
 */
rp_err est_enroll_start(struct event_base *evb, SSL_CTX *ctx, const char *base,
                        bool reenroll, const uint8_t *csr, size_t csr_len,
                        int timeout_ms, est_enroll_cb cb, void *arg,
                        struct est_call **out) RP_WARN_UNUSED;

/* Stop a started enrollment and free it; cb is not called. NULL: no-op. */
void est_enroll_cancel(struct est_call *c);

#endif
