/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - the HTTPS listener of rampartd (http.h) on libevent 2.1 evhttp
 * and bufferevent_openssl: the TLS context, one bufferevent per
 * connection with the state that sets each request's body limit from its
 * request line, the reply helpers, and the streaming of a file range as
 * an answer's body (http_stream_fd).
 */
#define _POSIX_C_SOURCE 200809L /* pread, O_CLOEXEC */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http.h"
#include "router.h"
#include "rampart/alloc.h"
#include "rampart/log.h"

/* TLS 1.2 floor: ECDHE key exchange and AEAD ciphers only. */
static const char tls12_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305";

/* Accept any client certificate at the TLS layer; routes check. */
static int accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

rp_err http_tls_ctx(struct ca *ca, SSL_CTX **out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	STACK_OF(X509_NAME) *names = NULL;
	rp_err rc = RP_E_CRYPTO;

	*out = NULL;
	if (ctx == NULL)
		goto out;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1)
		goto out;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate(ctx, ca->server) != 1 ||
	    SSL_CTX_add1_chain_cert(ctx, ca->issuing) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, ca->server_key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"rampartd",
	                               8);
	names = sk_X509_NAME_new_null();
	if (names == NULL)
		goto out;
	sk_X509_NAME_push(names,
	                  X509_NAME_dup(X509_get_subject_name(ca->claim)));
	sk_X509_NAME_push(names,
	                  X509_NAME_dup(X509_get_subject_name(ca->root)));
	sk_X509_NAME_push(names,
	                  X509_NAME_dup(X509_get_subject_name(ca->issuing)));
	SSL_CTX_set_client_CA_list(ctx, names);
	*out = ctx;
	ctx = NULL;
	rc = RP_OK;
out:
	if (rc != RP_OK) {
		unsigned long e = ERR_get_error();
		char buf[256];

		ERR_error_string_n(e, buf, sizeof buf);
		rp_log_error("http: TLS setup failed: %s", buf);
	}
	SSL_CTX_free(ctx);
	return rc;
}

/* The listener's read and write timeout of a connection (seconds). */
#define HTTP_TIMEOUT_S 30

/* The request line is looked for in this many bytes (method, path). */
#define LINE_PEEK 600

struct http_server {
	struct evhttp *evhttp;
	SSL_CTX *ctx; /* borrowed */
	struct http_hooks hooks;
	int ex_idx; /* of struct conn in each connection's SSL */
};

/*
 * One connection's view of the request evhttp is reading. Owned by the
 * connection's SSL (ex_data, freed with it by conn_free).
 */
struct conn {
	struct http_server *srv;
	struct bufferevent *bev;
	bool nodelay;    /* TCP_NODELAY set on the socket */
	bool line_seen;  /* this request's line was read: limit set */
	bool dispatched; /* ... and the request reached the route table */
	size_t limit;
	size_t scanned; /* input bytes already searched for the line's end */
	char path[65];  /* of this request (cut), for a 413's refusal row */
};

static void conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                      long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

/*
 * The evhttp connection of bev: evhttp registers its bufferevent
 * callbacks with the connection as their argument (libevent 2.1 http.c,
 * every bufferevent_setcb); checked against evhttp's own accessor. NULL
 * before evhttp has set them.
 */
static struct evhttp_connection *conn_evcon(const struct conn *c)
{
	void *arg = NULL;
	struct evhttp_connection *evcon;

	bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
	evcon = arg;
	if (evcon == NULL || evhttp_connection_get_bufferevent(evcon) != c->bev)
		return NULL;
	return evcon;
}

static void conn_set_limit(struct conn *c, size_t limit)
{
	struct evhttp_connection *evcon = conn_evcon(c);

	c->limit = limit;
	if (evcon != NULL)
		evhttp_connection_set_max_body_size(evcon, (ev_ssize_t)limit);
}

/*
 * If the request line of the request evhttp reads next is complete at
 * the front of in, set the connection's body limit for its route.
 */
static void conn_scan_line(struct conn *c, struct evbuffer *in)
{
	char line[LINE_PEEK + 1];
	size_t eol_len = 0, n, ml, pl;
	struct evbuffer_ptr start, eol;
	char *target;
	ev_ssize_t got;

	/* Search only what arrived since the last look (one byte back, for
	 * a CR whose LF came later): a line sent a byte a record costs its
	 * length, not its length squared. */
	if (evbuffer_ptr_set(in, &start, c->scanned > 0 ? c->scanned - 1 : 0,
	                     EVBUFFER_PTR_SET) != 0)
		eol =
		    evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	else
		eol = evbuffer_search_eol(in, &start, &eol_len,
		                          EVBUFFER_EOL_CRLF);
	if (eol.pos < 0) {
		/* evhttp refuses a line longer than its header limit; until
		 * then nothing after it can be a body */
		c->scanned = evbuffer_get_length(in);
		return;
	}
	c->scanned = 0;
	n = (size_t)eol.pos < LINE_PEEK ? (size_t)eol.pos : LINE_PEEK;
	got = evbuffer_copyout(in, line, n);
	if (got < 0)
		got = 0;
	line[got] = '\0';
	ml = strcspn(line, " ");
	target = line[ml] == ' ' ? line + ml + 1 : line + ml;
	pl = strcspn(target, "? ");
	/* a path cut by LINE_PEEK is refused (414) by the route table */
	snprintf(c->path, sizeof c->path, "%.*s", (int)pl, target);
	c->line_seen = true;
	c->dispatched = false;
	line[ml] = '\0';
	target[pl] = '\0';
	conn_set_limit(c, c->srv->hooks.body_limit(c->srv->hooks.arg,
	                                           router_method(line, ml),
	                                           target));
}

/* Input callback: bytes arrived (before evhttp's read callback runs). */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info,
                     void *arg)
{
	struct conn *c = arg;
	int one = 1;

	/* evhttp drains from the front: what was searched moves with it */
	if (info->n_deleted > 0)
		c->scanned = c->scanned > info->n_deleted
		                 ? c->scanned - info->n_deleted
		                 : 0;
	if (info->n_added == 0)
		return;
	if (!c->nodelay) {
		/* an answer goes out as several TLS records: without this,
		 * Nagle holds the second for the client's delayed ACK (40 ms
		 * a request on a kept-alive connection) */
		c->nodelay = true;
		(void)setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP,
		                 TCP_NODELAY, &one, sizeof one);
	}
	if (!c->line_seen)
		conn_scan_line(c, in);
}

/*
 * Output callback: evhttp writing an answer that no route produced is
 * its own refusal of the request. A 413 is reported, before the loop
 * sends the bytes (the TLS bufferevent writes from its write event).
 */
static void on_output(struct evbuffer *out, const struct evbuffer_cb_info *info,
                      void *arg)
{
	struct conn *c = arg;
	struct evhttp_connection *evcon;
	char head[16], peer[80];
	char *host = NULL;
	ev_uint16_t port = 0;
	ev_ssize_t got;

	if (info->n_added == 0 || info->orig_size != 0 || c->dispatched ||
	    !c->line_seen)
		return;
	got = evbuffer_copyout(out, head, sizeof head - 1);
	if (got < 12)
		return;
	head[got] = '\0';
	if (strncmp(head, "HTTP/1.", 7) != 0 || strncmp(head + 8, " 413", 4))
		return;
	c->dispatched = true; /* reported once */
	evcon = conn_evcon(c);
	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(peer, sizeof peer, "%s:%u", host ? host : "?", (unsigned)port);
	c->srv->hooks.too_big(c->srv->hooks.arg, c->path, peer, c->limit);
}

/* evhttp asks for one bufferevent per accepted connection. */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct http_server *srv = arg;
	SSL *ssl = SSL_new(srv->ctx);
	struct conn *c = rp_calloc(1, sizeof *c); /* owned by ssl, then */
	struct bufferevent *bev = NULL;

	if (ssl == NULL || c == NULL ||
	    SSL_set_ex_data(ssl, srv->ex_idx, c) != 1) {
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	c->srv = srv;
	bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl); /* and c */
		return NULL;
	}
	c->bev = bev;
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	if (evbuffer_add_cb(bufferevent_get_input(bev), on_input, c) == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(bev), on_output, c) ==
	        NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	return bev;
}

static struct conn *req_conn(struct http_server *srv,
                             struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev =
	    c ? evhttp_connection_get_bufferevent(c) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl ? SSL_get_ex_data(ssl, srv->ex_idx) : NULL;
}

/* The answer to the connection's request is written: evhttp reads the
 * next request, whose line may be at the front of the input already. */
static void on_complete(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;

	(void)req;
	c->line_seen = false;
	c->dispatched = false;
	c->scanned = 0;
	conn_set_limit(c, 0);
	conn_scan_line(c, bufferevent_get_input(c->bev));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct http_server *srv = arg;
	struct conn *c = req_conn(srv, req);

	if (c != NULL) {
		c->dispatched = true;
		evhttp_request_set_on_complete_cb(req, on_complete, c);
	}
	srv->hooks.request(req, srv->hooks.arg);
}

rp_err http_listen(struct event_base *base, SSL_CTX *ctx, const char *addr,
                   int port, const struct http_hooks *hooks,
                   struct http_server **out, int *bound)
{
	struct http_server *srv = rp_calloc(1, sizeof *srv); /* *out's */
	struct evhttp_bound_socket *h;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	rp_err rc = RP_E_NOMEM;

	*out = NULL;
	if (srv == NULL)
		goto out;
	srv->ctx = ctx;
	srv->hooks = *hooks;
	srv->ex_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free);
	srv->evhttp = srv->ex_idx >= 0 ? evhttp_new(base) : NULL;
	if (srv->evhttp == NULL)
		goto out;
	evhttp_set_bevcb(srv->evhttp, make_bev, srv);
	evhttp_set_gencb(srv->evhttp, on_request, srv);
	/* the default of a connection before its first request line */
	evhttp_set_max_body_size(srv->evhttp, (ev_ssize_t)hooks->max_body);
	evhttp_set_max_headers_size(srv->evhttp, 16 * 1024);
	evhttp_set_timeout(srv->evhttp, HTTP_TIMEOUT_S);
	/* HEAD, PUT and PATCH reach the route table, which answers 405 or
	 * 404 (a HEAD's answer without its body: http_reply) */
	evhttp_set_allowed_methods(srv->evhttp,
	                           EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	                               EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
	                               EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH);
	h = evhttp_bind_socket_with_handle(srv->evhttp, addr,
	                                   (ev_uint16_t)port);
	if (h == NULL) {
		rp_log_error("http: cannot listen on %s:%d", addr, port);
		rc = RP_E_IO;
		goto out;
	}
	*bound = port;
	if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&ss,
	                &sl) == 0) {
		if (ss.ss_family == AF_INET)
			*bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			*bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	*out = srv;
	srv = NULL;
	rc = RP_OK;
out:
	http_free(srv);
	return rc;
}

void http_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->evhttp != NULL)
		evhttp_free(srv->evhttp);
	free(srv);
}

static SSL *req_ssl(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev =
	    c ? evhttp_connection_get_bufferevent(c) : NULL;

	return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

X509 *http_peer_cert(struct evhttp_request *req)
{
	SSL *ssl = req_ssl(req);

	return ssl ? SSL_get0_peer_certificate(ssl) : NULL;
}

void http_peer_addr(struct evhttp_request *req, char *out, size_t cap)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &host, &port);
	snprintf(out, cap, "%s:%u", host ? host : "?", (unsigned)port);
}

rp_err http_body(struct evhttp_request *req, size_t max, char **out,
                 size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *b;

	*out = NULL;
	*len = n;
	if (n > max)
		return RP_E_BODY_TOO_BIG;
	b = rp_malloc(n + 1);
	if (b == NULL)
		return RP_E_NOMEM;
	if (evbuffer_copyout(in, b, n) != (ev_ssize_t)n) {
		free(b);
		return RP_E_IO;
	}
	b[n] = '\0';
	*out = b;
	return RP_OK;
}

const char *http_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

void http_reply(struct evhttp_request *req, int code, const char *ctype,
                const void *data, size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	char n[24];

	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* the length a GET's body would have, and no body (evhttp
		 * 2.1 would send it) */
		snprintf(n, sizeof n, "%zu", len);
		if (evhttp_find_header(h, "Content-Length") == NULL)
			evhttp_add_header(h, "Content-Length", n);
		len = 0;
	}
	if (buf != NULL && len > 0)
		evbuffer_add(buf, data, len);
	evhttp_send_reply(req, code, NULL, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

void http_reply_text(struct evhttp_request *req, int code, const char *msg)
{
	char line[256];
	int n = snprintf(line, sizeof line, "%s\n", msg);

	http_reply(req, code, "text/plain; charset=utf-8", line,
	           n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

void http_reply_refused(struct evhttp_request *req, int code)
{
	const char *msg;

	switch (code) {
	case 400:
		msg = "bad request";
		break;
	case 401:
		msg = "authentication required";
		break;
	case 404:
		msg = "not found";
		break;
	case 413:
		msg = "request too large";
		break;
	case 415:
		msg = "unsupported media type";
		break;
	default:
		msg = "request refused";
		break;
	}
	http_reply_text(req, code, msg);
}

/*
 * One answer streaming a file range (http_stream_fd). Owned by itself
 * from the call: freed by stream_end, once, when the last piece has
 * drained or the connection goes (its close callback).
 */
struct http_stream {
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct evbuffer *piece; /* the piece being queued (moved out) */
	int fd;
	uint64_t next, end; /* file offsets: the next byte to read, the end */
	uint64_t sent;
	bool failed; /* a read failed: the connection is being closed */
	http_stream_done done;
	void *arg;
};

static void stream_end(struct http_stream *s, enum http_stream_end end)
{
	s->done(s->arg, end, s->sent);
	close(s->fd);
	if (s->piece != NULL)
		evbuffer_free(s->piece);
	free(s);
}

/* The next piece into s->piece: true when it holds 1 .. PIECE bytes. */
static bool stream_read(struct http_stream *s)
{
	uint64_t left = s->end - s->next;
	size_t want =
	    left < HTTP_STREAM_PIECE ? (size_t)left : (size_t)HTTP_STREAM_PIECE;
	struct evbuffer_iovec v;
	ssize_t got;

	if (evbuffer_reserve_space(s->piece, (ev_ssize_t)want, &v, 1) < 1)
		return false;
	do
		got = pread(s->fd, v.iov_base, want, (off_t)s->next);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		rp_log_error("http: reading the file streamed at offset %llu: "
		             "%s",
		             (unsigned long long)s->next,
		             got == 0 ? "it ends early" : strerror(errno));
		return false;
	}
	v.iov_len = (size_t)got;
	if (evbuffer_commit_space(s->piece, &v, 1) != 0)
		return false;
	s->next += (uint64_t)got;
	return true;
}

/* evhttp_connection_set_closecb: the connection goes with the stream
 * running. When the client went away evhttp has detached the request
 * (evhttp_connection_incoming_fail: it is not done) and leaves it to us;
 * when the server closes (evhttp_free) it frees the request itself. */
static void stream_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_stream *s = arg;
	struct evhttp_request *req = s->req;
	bool detached = evhttp_request_get_connection(req) == NULL;

	(void)evcon;
	stream_end(s, s->failed ? HTTP_STREAM_FAILED : HTTP_STREAM_GONE);
	if (detached)
		evhttp_request_free(req);
}

/* The previous piece has drained (evhttp's write callback): the next. */
static void stream_more(struct evhttp_connection *evcon, void *arg)
{
	struct http_stream *s = arg;
	struct evhttp_request *req = s->req;

	if (s->next == s->end) {
		evhttp_connection_set_closecb(evcon, NULL, NULL);
		/* evhttp's end of the answer waits for an empty output */
		bufferevent_setwatermark(
		    evhttp_connection_get_bufferevent(evcon), EV_WRITE, 0, 0);
		stream_end(s, HTTP_STREAM_DONE);
		evhttp_send_reply_end(req);
		return;
	}
	if (!stream_read(s)) {
		s->failed = true;
		evhttp_connection_free(evcon); /* stream_closed ends s */
		return;
	}
	s->sent += evbuffer_get_length(s->piece);
	evhttp_send_reply_chunk_with_cb(req, s->piece, stream_more, s);
}

rp_err http_stream_fd(struct evhttp_request *req, int code, int fd,
                      uint64_t offset, uint64_t len, http_stream_done done,
                      void *arg)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct http_stream *s = NULL;
	char n[24];
	rp_err rc = RP_E_NOMEM;

	snprintf(n, sizeof n, "%llu", (unsigned long long)len);
	evhttp_remove_header(evhttp_request_get_output_headers(req),
	                     "Content-Length");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Length", n);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD || len == 0) {
		evhttp_send_reply(req, code, NULL, NULL);
		close(fd);
		done(arg, HTTP_STREAM_DONE, 0);
		return RP_OK;
	}
	s = rp_calloc(1, sizeof *s); /* its own, from here: stream_end */
	if (s == NULL || evcon == NULL)
		goto out;
	s->piece = evbuffer_new();
	if (s->piece == NULL)
		goto out;
	s->req = req;
	s->evcon = evcon;
	s->fd = fd;
	s->next = offset;
	s->end = offset + len;
	s->done = done;
	s->arg = arg;
	/* the first piece before anything is sent, so that a failure can
	 * still be answered */
	if (!stream_read(s)) {
		rc = RP_E_IO;
		goto out;
	}
	evhttp_connection_set_closecb(evcon, stream_closed, s);
	/* the next piece is read when the output is down to one piece, not
	 * empty: the socket never waits for the file */
	bufferevent_setwatermark(evhttp_connection_get_bufferevent(evcon),
	                         EV_WRITE, HTTP_STREAM_PIECE, 0);
	evhttp_send_reply_start(req, code, NULL);
	s->sent = evbuffer_get_length(s->piece);
	evhttp_send_reply_chunk_with_cb(req, s->piece, stream_more, s);
	return RP_OK;
out:
	evhttp_remove_header(evhttp_request_get_output_headers(req),
	                     "Content-Length");
	if (s != NULL && s->piece != NULL)
		evbuffer_free(s->piece);
	free(s);
	close(fd);
	return rc;
}
