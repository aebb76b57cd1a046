/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - a small HTTPS client for the rampart CLI and rampart-agent:
 * one request per call, TLS 1.2+ with the server certificate and host name
 * always checked, optional client certificate (mutual TLS), a bounded
 * response. The caller may pass its own SSL_CTX (e.g. with a TPM or
 * PKCS#11 key loaded through an OpenSSL provider); rp_http_tls_ctx() makes
 * one from PEM files. Built on libevent's evhttp and OpenSSL bufferevents.
 *
 * Two ways in, one code path: rp_http_start() runs a request on the
 * caller's event_base and streams the body to a callback (docs/
 * http-client.md); rp_http_request() is the blocking wrapper around it
 * (its own private event_base, the body gathered in memory).
 */
#ifndef RAMPART_HTTP_H
#define RAMPART_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

struct ssl_ctx_st; /* OpenSSL's SSL_CTX */
struct event_base; /* libevent's */

#define RP_HTTP_MAX_RESPONSE (1024 * 1024) /* default response ceiling */
#define RP_HTTP_MAX_HEADERS  (16 * 1024)   /* status line and headers */

struct rp_http_request {
	const char *method;       /* "GET", "POST", "PUT" or "DELETE" */
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
 * RP_E_INVAL (bad URL or method), RP_E_TLS (handshake),
 * RP_E_TLS_UNTRUSTED (329: the server certificate's verdict: its chain,
 * host name or IP; fixed with a trust anchor), RP_E_TOO_BIG (response above
 * max_response), RP_E_TIMEOUT, RP_E_HTTP (connection or protocol failure).
 */
RP_API rp_err rp_http_request(struct ssl_ctx_st *ctx,
                              const struct rp_http_request *req,
                              struct rp_http_response *resp) RP_WARN_UNUSED;

RP_API void rp_http_response_free(struct rp_http_response *resp);

#define RP_HTTP_ETAG_MAX 128 /* chars of an ETag kept, without the NUL */

/* Headers of a response a resuming downloader needs (on_meta). */
struct rp_http_meta {
	char etag[RP_HTTP_ETAG_MAX + 1]; /* the ETag as sent; "" when absent,
	                                    longer or not printable ASCII */
	int64_t retry_after_s; /* Retry-After in delta-seconds (RFC 9110
	                          10.2.3), at most 86400 (larger: 86400); -1
	                          when absent or an HTTP-date */
};

/* Options of rp_http_start beyond struct rp_http_request. */
struct rp_http_opts {
	int idle_ms;          /* no byte in either direction for this long:
	                         RP_E_TIMEOUT; 0: only the overall deadline */
	uint64_t range_start; /* > 0: "Range: bytes=N-" (see on_head) */
	/* With range_start > 0 (else ignored): "If-Range: VALUE", the strong
	 * ETag the caller saw before (e.g. "\"<sha256>\"": printable ASCII,
	 * at most RP_HTTP_ETAG_MAX). The server then answers 206 only if the
	 * resource is still that one, else 200 with the whole new body.
	 * NULL or "": none. Copied. */
	const char *if_range;
	/* Optional, just before the callbacks' on_head, with their arg: the
	 * response's ETag and Retry-After (m valid during the call). */
	void (*on_meta)(void *arg, const struct rp_http_meta *m);
};

/*
 * The caller's side of one streamed request. Every callback runs on the
 * event_base the request was started on, never inside rp_http_start.
 */
struct rp_http_callbacks {
	/*
	 * The status line and headers arrived (optional). offset is where
	 * the body that follows starts in the resource: range_start when a
	 * Range was asked and the server answered 206 with a Content-Range
	 * starting there, 0 otherwise (a 200 is a fresh, whole body: the
	 * caller starts over). A 206 whose Content-Range does not start at
	 * range_start fails the request with RP_E_HTTP before on_head.
	 * Anything but RP_OK stops the request with that code.
	 */
	rp_err (*on_head)(void *arg, int status, const char *content_type,
	                  uint64_t offset);
	/* The next piece of the body, in order (optional: NULL discards).
	 * data is valid during the call. Anything but RP_OK stops the
	 * request with that code. */
	rp_err (*on_body)(void *arg, const void *data, size_t len);
	/*
	 * Called exactly once unless the request is cancelled: rc as
	 * rp_http_request's (RP_OK: the whole body was delivered), status
	 * the HTTP status (0 if none arrived). The request's handle is
	 * already freed when this runs; the callback may start another
	 * request or free arg.
	 */
	void (*on_done)(void *arg, rp_err rc, int status);
	void *arg;
};

typedef struct rp_http_call rp_http_call;

/*
 * Start req on base (borrowed; must outlive the request) with ctx
 * (borrowed, up-referenced for the request's lifetime). req's strings and
 * body are copied: they may be freed when this returns; opts may be NULL.
 * req->max_response bounds the body delivered (0: RP_HTTP_MAX_RESPONSE),
 * RP_E_TOO_BIG beyond it; req->timeout_ms is the overall deadline from
 * this call (0: 30 s). *out (may be NULL) gets the handle, owned by the
 * library: valid until on_done runs or rp_http_cancel is called. A host
 * name is resolved with evdns on base, under the deadline (never a
 * blocking getaddrinfo; docs/http-client.md). Errors
 * found before anything is sent (RP_E_INVAL, RP_E_NOMEM, RP_E_TLS for a
 * host name that cannot be set) are returned here and on_done is then
 * never called.
 */
RP_API rp_err rp_http_start(struct event_base *base, struct ssl_ctx_st *ctx,
                            const struct rp_http_request *req,
                            const struct rp_http_opts *opts,
                            const struct rp_http_callbacks *cb,
                            rp_http_call **out) RP_WARN_UNUSED;

/*
 * Stop a started request and free everything it holds; on_done is not
 * called (during a name's resolution, evdns's answer still runs once on
 * base to free the lookup: run the loop before freeing base). Not from
 * inside the request's own callbacks (return an error
 * from on_head/on_body instead). NULL is a no-op.
 */
RP_API void rp_http_cancel(rp_http_call *call);

#endif
