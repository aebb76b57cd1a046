/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - a small HTTPS client for the rampart CLI and rampart-agent:
 * one request per call, TLS 1.2+ with the server certificate and host name
 * always checked, optional client certificate (mutual TLS), a bounded
 * response. The caller may pass its own SSL_CTX (e.g. with a TPM or
 * PKCS#11 key loaded through an OpenSSL provider); rp_http_tls_ctx() makes
 * one from PEM files. Built on libevent's evhttp and OpenSSL bufferevents.
 */
#ifndef RAMPART_HTTP_H
#define RAMPART_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

struct ssl_ctx_st; /* OpenSSL's SSL_CTX */

#define RP_HTTP_MAX_RESPONSE (1024 * 1024) /* default response ceiling */

struct rp_http_request {
	const char *method;       /* "GET", "POST" or "DELETE" */
	const char *url;          /* "https://host[:port]/path[?query]" */
	const char *content_type; /* of body; NULL if none */
	const void *body;         /* NULL if none */
	size_t body_len;
	const char *bearer;  /* "Authorization: Bearer ..." or NULL */
	size_t max_response; /* 0: RP_HTTP_MAX_RESPONSE */
	int timeout_ms;      /* 0: 30 s */
};

struct rp_http_response {
	int status;             /* HTTP status code */
	char content_type[128]; /* "" when absent */
	uint8_t *body;          /* malloc'd, NUL-terminated; owned */
	size_t body_len;        /* without the NUL */
};

/*
 * An SSL_CTX for rp_http_request: trusts the CA certificates in cafile
 * (PEM; NULL: the system store), and presents certfile/keyfile (PEM; both
 * NULL for none). *out is owned by the caller (SSL_CTX_free).
 * RP_E_IO (unreadable file), RP_E_TLS (bad certificate or key).
 */
RP_API rp_err rp_http_tls_ctx(const char *cafile, const char *certfile,
                              const char *keyfile,
                              struct ssl_ctx_st **out) RP_WARN_UNUSED;

/*
 * Send req over TLS using ctx (borrowed; the server certificate is
 * verified against ctx's trust store and the URL's host name or IP) and
 * wait for the response. RP_OK when a response arrived, whatever its
 * status; resp->body must then be freed with rp_http_response_free().
 * RP_E_INVAL (bad URL or method), RP_E_TLS (handshake or server
 * certificate), RP_E_TOO_BIG (response above max_response), RP_E_TIMEOUT,
 * RP_E_HTTP (connection or protocol failure).
 */
RP_API rp_err rp_http_request(struct ssl_ctx_st *ctx,
                              const struct rp_http_request *req,
                              struct rp_http_response *resp) RP_WARN_UNUSED;

RP_API void rp_http_response_free(struct rp_http_response *resp);

#endif
