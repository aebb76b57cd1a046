/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - rampartd's HTTPS listener: libevent's evhttp over OpenSSL
 * bufferevents, the TLS policy (TLS 1.3, TLS 1.2 ECDHE+AEAD as the floor),
 * optional client certificates, per-route body limits and reply helpers.
 *
 * The TLS layer asks every client for a certificate but accepts any (or
 * none): each route decides what it needs and checks the chain itself, so
 * that a refusal can be recorded with its precise reason instead of
 * vanishing in a failed handshake. Possession of the key is still proven
 * by the TLS handshake.
 *
 * Body limits are enforced before evhttp buffers a body: when a request
 * line has arrived (and before evhttp reads the headers after it) the
 * listener asks the route table for that method and path's limit and
 * sets it on the connection, so that evhttp answers 413 from the headers
 * when Content-Length is over it, and counts a chunked body against it
 * chunk by chunk. libevent 2.1 has no per-request hook before the body
 * (evhttp_set_newreqcb is 2.2's): the request line is read, without being
 * consumed, from the connection's input buffer, where evhttp leaves the
 * next request at the front once it has answered the previous one.
 */
#ifndef RAMPARTD_HTTP_H
#define RAMPARTD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "pki/ca.h"
#include "rampart/err.h"

/* The server TLS context for ca's server certificate; caller frees. */
rp_err http_tls_ctx(struct ca *ca, SSL_CTX **out) RP_WARN_UNUSED;

/* What the listener asks of the route table's owner (all with arg). */
struct http_hooks {
	/* every request, once evhttp has read it (headers and body) */
	void (*request)(struct evhttp_request *req, void *arg);
	/* the body limit in bytes of a request line's method (EVHTTP_REQ_*,
	 * 0 for an unknown one) and path (no query; possibly cut) */
	size_t (*body_limit)(void *arg, unsigned method, const char *path);
	/* evhttp refused a request from its headers with 413 (its body over
	 * limit): path and peer ("ADDR:PORT") as above; called before the
	 * answer is written */
	void (*too_big)(void *arg, const char *path, const char *peer,
	                size_t limit);
	void *arg;
	size_t max_body; /* the largest limit body_limit gives */
};

struct http_server;

/*
 * Listen on addr:port (0: any free port) with TLS (ctx, borrowed: it
 * must outlive the server); every request goes to hooks->request. *out
 * owned by the caller (http_free); *bound gets the port actually bound.
 */
rp_err http_listen(struct event_base *base, SSL_CTX *ctx, const char *addr,
                   int port, const struct http_hooks *hooks,
                   struct http_server **out, int *bound) RP_WARN_UNUSED;

/* Close the listener and every connection (a request still waiting for
 * its answer is freed unanswered: answer first). srv may be NULL. */
void http_free(struct http_server *srv);

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

/* The generic text/plain answer of a refusal with code (401 "authentication
 * required", ...): it never says why. */
void http_reply_refused(struct evhttp_request *req, int code);

/* The value of header name, or NULL. */
const char *http_header(struct evhttp_request *req, const char *name);

/* Bytes of a file a stream reads and queues at a time. */
#define HTTP_STREAM_PIECE (64 * 1024)

/* How a stream ended (http_stream_fd's done). */
enum http_stream_end {
	HTTP_STREAM_DONE,   /* every byte was handed to the connection */
	HTTP_STREAM_GONE,   /* the client went away, stalled for the write
	                       timeout, or the server closed meanwhile */
	HTTP_STREAM_FAILED, /* a read of the file failed or came short: the
	                       connection was closed */
};

typedef void (*http_stream_done)(void *arg, enum http_stream_end end,
                                 uint64_t sent);

/*
 * Answer req with code, the headers set on it so far plus Content-Length:
 * len, and bytes [offset, offset + len) of the open file fd as the body,
 * in bounded memory whatever len: pieces of HTTP_STREAM_PIECE bytes read
 * with pread, the next one only once the connection's output is down to
 * one piece (its write low-water mark: at most two are queued; libevent's
 * evhttp_send_reply_chunk_with_cb; with the Content-Length set libevent
 * 2.1 sends no chunked encoding). A download
 * may take longer than the listener's 30 s timeout (checked: one of 64 s
 * at 500 KiB/s completes); a client that takes nothing for 30 s is
 * dropped (the write timeout). A HEAD request gets the headers only.
 *
 * fd is the stream's from the call (closed when it ends, whatever
 * happens): a file removed meanwhile is read to the end. done(arg, end,
 * sent) is called exactly once when the stream ends (sent: the body's
 * bytes handed to the connection), at once for a HEAD; req must not be
 * used after the call. RP_E_IO (the first piece could not be read) or
 * RP_E_NOMEM: nothing was sent, fd is closed, done is not called: answer
 * req yourself.
 */
rp_err http_stream_fd(struct evhttp_request *req, int code, int fd,
                      uint64_t offset, uint64_t len, http_stream_done done,
                      void *arg) RP_WARN_UNUSED;

#endif
