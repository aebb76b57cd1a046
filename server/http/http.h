/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - rampartd's HTTPS listener: libevent's evhttp over OpenSSL
 * bufferevents, the TLS policy (TLS 1.3, TLS 1.2 ECDHE+AEAD as the floor),
 * optional client certificates, bounded bodies and reply helpers.
 *
 * The TLS layer asks every client for a certificate but accepts any (or
 * none): each route decides what it needs and checks the chain itself, so
 * that a refusal can be recorded with its precise reason instead of
 * vanishing in a failed handshake. Possession of the key is still proven
 * by the TLS handshake.
 */
#ifndef RAMPARTD_HTTP_H
#define RAMPARTD_HTTP_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "pki/ca.h"
#include "rampart/err.h"

/* Hard cap on any request body; routes set lower limits of their own. */
#define HTTP_MAX_BODY (16 * 1024 * 1024)

/* The server TLS context for ca's server certificate; caller frees. */
rp_err http_tls_ctx(struct ca *ca, SSL_CTX **out) RP_WARN_UNUSED;

/*
 * Listen on addr:port (0: any free port) with TLS; every request goes to
 * cb(req, arg). *out owned by the caller (evhttp_free); *bound gets the
 * port actually bound.
 */
rp_err http_listen(struct event_base *base, SSL_CTX *ctx, const char *addr,
                   int port, void (*cb)(struct evhttp_request *, void *),
                   void *arg, struct evhttp **out, int *bound) RP_WARN_UNUSED;

/* The client's certificate (borrowed; NULL when none was sent). */
X509 *http_peer_cert(struct evhttp_request *req);

/* "ADDR:PORT" of the client into out. */
void http_peer_addr(struct evhttp_request *req, char *out, size_t cap);

/*
 * The request body as a malloc'd NUL-terminated string (*out, caller
 * frees) and its length. RP_E_BODY_TOO_BIG when longer than max.
 */
rp_err http_body(struct evhttp_request *req, size_t max, char **out,
                 size_t *len) RP_WARN_UNUSED;

void http_reply(struct evhttp_request *req, int code, const char *ctype,
                const void *data, size_t len);

/* text/plain reply of msg plus a line end. */
void http_reply_text(struct evhttp_request *req, int code, const char *msg);

/* The value of header name, or NULL. */
const char *http_header(struct evhttp_request *req, const char *name);

#endif
