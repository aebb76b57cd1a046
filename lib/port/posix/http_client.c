/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_client.c - the HTTPS client of librampart (rampart/http.h): one
 * request on the caller's libevent base (rp_http_start), evhttp over an
 * OpenSSL bufferevent, host name or IP checked by OpenSSL, the body
 * streamed to the caller in the order it arrives, an overall and an idle
 * deadline, Range with its 206 checked. A host name is resolved with
 * evdns on the same loop (never a blocking getaddrinfo on the caller's
 * loop), under the same deadline. rp_http_request is the blocking
 * wrapper on a private base over the same code.
 */
#define _POSIX_C_SOURCE 200809L /* getaddrinfo's struct addrinfo */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rampart/alloc.h"
#include "http_range.h"
#include "rampart/http.h"

struct lookup;

struct rp_http_call {
	struct event_base *base;        /* borrowed */
	struct bufferevent *bev;        /* owned by conn, by this until conn */
	struct evhttp_connection *conn; /* owned */
	struct evhttp_request *req;     /* owned until made on conn */
	struct lookup *lookup; /* the host name's, while it runs; its own */
	enum evhttp_cmd_type method;
	int port;
	struct timeval io_tv; /* evhttp's per-I/O timeout */
	char target[2048];
	char host[256];         /* the URL's, an IPv6 literal without its [] */
	struct evhttp_uri *uri; /* owned */
	struct event *deadline; /* owned */
	struct event *finish;   /* owned: runs on_done off evhttp's stack */
	struct rp_http_callbacks cb;
	void (*on_meta)(void *arg, const struct rp_http_meta *m);
	uint64_t range_start;
	uint64_t range_len; /* a 206's END - START + 1: the body's bound */
	size_t max_body, got;
	int status;
	int ended; /* the result is decided; finish is active */
	rp_err rc;
	unsigned long ssl_err;
	long verify; /* first certificate error seen in the handshake */
};

static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
static int ex_index = -1;

static void init_index(void)
{
	ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* Keep OpenSSL's verdict, and remember why it said no. */
static int on_verify(int ok, X509_STORE_CTX *x)
{
	SSL *ssl =
	    X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct rp_http_call *c = ssl ? SSL_get_ex_data(ssl, ex_index) : NULL;

	if (!ok && c != NULL && c->verify == X509_V_OK)
		c->verify = X509_STORE_CTX_get_error(x);
	return ok;
}

/* Decide the result once; on_done runs from the finish event. */
static void call_end(struct rp_http_call *c, rp_err rc)
{
	if (c->ended)
		return;
	c->ended = 1;
	c->rc = rc;
	if (c->bev != NULL)
		c->ssl_err = bufferevent_get_openssl_error(c->bev);
	event_active(c->finish, EV_TIMEOUT, 1);
}

/*
 * One host name's resolution with evdns on the call's base. Owned by
 * itself: evdns answers exactly once (EVUTIL_EAI_CANCEL after
 * evdns_getaddrinfo_cancel), and then lookup_done, an event of its own on
 * the base outside evdns's stack, frees the evdns_base and it. c is NULL
 * once the call has gone (rp_http_cancel); while c is there, c->lookup
 * is this, and on_done waits for lookup_done.
 */
struct lookup {
	struct event_base *base;                   /* borrowed */
	struct evdns_base *dns;                    /* owned */
	struct evdns_getaddrinfo_request *pending; /* evdns's; NULL: answered */
	struct rp_http_call *c;                    /* borrowed; NULL: gone */
};

static void lookup_done(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *lk = arg;
	struct rp_http_call *c = lk->c;

	(void)fd;
	(void)what;
	evdns_base_free(lk->dns, 0); /* nothing of it pending any more */
	free(lk);
	if (c != NULL) {
		c->lookup = NULL;
		if (c->ended) /* on_finish waited for this */
			event_active(c->finish, EV_TIMEOUT, 1);
	}
}

static void call_free(struct rp_http_call *c)
{
	if (c == NULL)
		return;
	if (c->lookup != NULL) {
		c->lookup->c = NULL; /* it now only frees itself */
		if (c->lookup->pending != NULL)
			evdns_getaddrinfo_cancel(c->lookup->pending);
		c->lookup = NULL;
	}
	if (c->req != NULL)
		evhttp_request_free(c->req);
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->finish != NULL)
		event_free(c->finish);
	if (c->conn != NULL)
		evhttp_connection_free(c->conn); /* and bev, and its SSL */
	else if (c->bev != NULL)
		bufferevent_free(c->bev); /* and its SSL */
	if (c->uri != NULL)
		evhttp_uri_free(c->uri);
	ERR_clear_error();
	free(c);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct rp_http_call *c = arg;
	struct rp_http_callbacks cb = c->cb;
	rp_err rc = c->rc;
	int status = c->status;

	(void)fd;
	(void)what;
	if (c->lookup != NULL) {
		/* ended during the name's resolution (the deadline): evdns's
		 * answer and lookup_done first, then on_done, so that nothing
		 * of the call is left on the base when on_done runs */
		if (c->lookup->pending != NULL)
			evdns_getaddrinfo_cancel(c->lookup->pending);
		return;
	}
	/* A refused connection also leaves a (system) error: only TLS ones
	 * make this a TLS failure, and a certificate verdict (the chain, the
	 * host name or IP) the one a user fixes with a trust anchor. */
	if (rc == RP_E_HTTP && c->verify != X509_V_OK)
		rc = RP_E_TLS_UNTRUSTED;
	else if (rc == RP_E_HTTP && c->ssl_err != 0 &&
	         ERR_GET_LIB(c->ssl_err) == ERR_LIB_SSL)
		rc = RP_E_TLS;
	call_free(c);
	if (cb.on_done != NULL)
		cb.on_done(cb.arg, rc, status);
}

/* The whole request's deadline (evhttp's own timeout is the idle one). */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	call_end(arg, RP_E_TIMEOUT);
}

static void on_error(enum evhttp_request_error err, void *arg)
{
	struct rp_http_call *c = arg;

	switch (err) {
	case EVREQ_HTTP_TIMEOUT:
		call_end(c, RP_E_TIMEOUT);
		break;
	case EVREQ_HTTP_DATA_TOO_LONG: /* the body */
		call_end(c, RP_E_TOO_BIG);
		break;
	default:
		call_end(c, RP_E_HTTP);
		break;
	}
}

/*
 * A 206 answers the Range asked: a Content-Range (http_range.c) starting
 * at want, a Content-Length (if any) of exactly END - START + 1; the body
 * is then held to that length (on_chunk).
 */
static int range_matches(struct rp_http_call *c, struct evkeyvalq *h)
{
	const char *cl = evhttp_find_header(h, "Content-Length");
	uint64_t start, end, total;
	char len[24];

	if (c->range_start == 0 ||
	    rp_http_content_range_parse(evhttp_find_header(h, "Content-Range"),
	                                &start, &end, &total) != RP_OK ||
	    start != c->range_start || end - start == UINT64_MAX)
		return 0;
	c->range_len = end - start + 1;
	snprintf(len, sizeof len, "%llu", (unsigned long long)c->range_len);
	return cl == NULL || strcmp(cl, len) == 0;
}

/* Printable ASCII and short enough to keep: else "". */
static void meta_etag(const char *v, char out[RP_HTTP_ETAG_MAX + 1])
{
	size_t i;

	out[0] = '\0';
	if (v == NULL || strlen(v) > RP_HTTP_ETAG_MAX)
		return;
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < 0x20 || v[i] > 0x7e)
			return;
	}
	memcpy(out, v, i + 1);
}

/* Retry-After as delta-seconds (1*DIGIT), capped at a day; -1 else. */
static int64_t meta_retry_after(const char *v)
{
	int64_t n = 0;
	size_t i;

	if (v == NULL || v[0] == '\0')
		return -1;
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n < 86400)
			n = n * 10 + (v[i] - '0');
	}
	return n > 86400 ? 86400 : n;
}

static int on_header(struct evhttp_request *req, void *arg)
{
	struct rp_http_call *c = arg;
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *ct = evhttp_find_header(h, "Content-Type");
	uint64_t offset = 0;
	rp_err rc = RP_OK;

	if (c->ended)
		return -1;
	c->status = evhttp_request_get_response_code(req);
	/* A final status only: a 1xx is interim (RFC 9110 15.2), and
	 * anything outside 200..599 is no HTTP status at all. */
	if (c->status < 200 || c->status > 599) {
		rc = RP_E_HTTP;
		goto out;
	}
	if (c->status == 206) { /* and none unasked for */
		if (!range_matches(c, h)) {
			rc = RP_E_HTTP;
			goto out;
		}
		offset = c->range_start;
	}
	if (c->on_meta != NULL) {
		struct rp_http_meta m;

		meta_etag(evhttp_find_header(h, "ETag"), m.etag);
		m.retry_after_s =
		    meta_retry_after(evhttp_find_header(h, "Retry-After"));
		c->on_meta(c->cb.arg, &m);
	}
	if (c->cb.on_head != NULL)
		rc = c->cb.on_head(c->cb.arg, c->status, ct ? ct : "", offset);
out:
	if (rc != RP_OK) {
		call_end(c, rc);
		return -1;
	}
	return 0;
}

static void on_chunk(struct evhttp_request *req, void *arg)
{
	struct rp_http_call *c = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer_iovec v[8];
	int i, n;
	rp_err rc = RP_OK;

	while (!c->ended && evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, v, 8);
		if (n > 8)
			n = 8;
		for (i = 0; i < n && rc == RP_OK; i++) {
			if (v[i].iov_len > c->max_body - c->got) {
				rc = RP_E_TOO_BIG;
				break;
			}
			if (c->range_len > 0 &&
			    v[i].iov_len > c->range_len - c->got) {
				rc = RP_E_HTTP; /* past the 206's END */
				break;
			}
			c->got += v[i].iov_len;
			if (c->cb.on_body != NULL)
				rc = c->cb.on_body(c->cb.arg, v[i].iov_base,
				                   v[i].iov_len);
			evbuffer_drain(in, v[i].iov_len);
		}
		if (rc != RP_OK)
			call_end(c, rc);
	}
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void on_done(struct evhttp_request *req, void *arg)
{
	struct rp_http_call *c = arg;
	char *auth;

	/* the bearer token's copy in the request's headers: evhttp frees
	 * them without wiping (its serialised copy in the output buffer is
	 * beyond reach) */
	if (req != NULL) {
		auth = (char *)evhttp_find_header(
		    evhttp_request_get_output_headers(req), "Authorization");
		if (auth != NULL)
			OPENSSL_cleanse(auth, strlen(auth));
	}
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		call_end(c, RP_E_HTTP);
		return;
	}
	on_chunk(req, c); /* whatever evhttp kept for the end */
	c->status = evhttp_request_get_response_code(req);
	call_end(c, RP_OK);
}

static int method_of(const char *m, enum evhttp_cmd_type *out)
{
	if (strcmp(m, "GET") == 0)
		*out = EVHTTP_REQ_GET;
	else if (strcmp(m, "POST") == 0)
		*out = EVHTTP_REQ_POST;
	else if (strcmp(m, "DELETE") == 0)
		*out = EVHTTP_REQ_DELETE;
	else if (strcmp(m, "PUT") == 0)
		*out = EVHTTP_REQ_PUT;
	else
		return 0;
	return 1;
}

static int is_ip(const char *host)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, host, addr) == 1 ||
	       inet_pton(AF_INET6, host, addr) == 1;
}

/* Check the host name, or the IP address when host is one. */
static int set_peer_name(SSL *ssl, const char *host)
{
	unsigned char addr[16];
	X509_VERIFY_PARAM *p = SSL_get0_param(ssl);

	if (inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(p, host) == 1;
	return SSL_set_tlsext_host_name(ssl, host) == 1 &&
	       SSL_set1_host(ssl, host) == 1;
}

static struct timeval tv_ms(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* The request's headers and body on req. */
static rp_err fill_request(struct evhttp_request *req,
                           const struct rp_http_request *r,
                           const struct rp_http_opts *opts, const char *host,
                           int port)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char hostport[300], range[48], auth[512];
	rp_err rc = RP_E_INVAL;

	if (port == 443)
		snprintf(hostport, sizeof hostport, "%s", host);
	else
		snprintf(hostport, sizeof hostport, "%s:%d", host, port);
	if (evhttp_add_header(h, "Host", hostport) != 0 ||
	    evhttp_add_header(h, "Connection", "close") != 0 ||
	    evhttp_add_header(h, "User-Agent", "rampart") != 0)
		goto out;
	if (r->content_type != NULL &&
	    evhttp_add_header(h, "Content-Type", r->content_type) != 0)
		goto out;
	if (opts != NULL && opts->range_start > 0) {
		snprintf(range, sizeof range, "bytes=%llu-",
		         (unsigned long long)opts->range_start);
		if (evhttp_add_header(h, "Range", range) != 0)
			goto out;
		if (opts->if_range != NULL && opts->if_range[0] != '\0' &&
		    evhttp_add_header(h, "If-Range", opts->if_range) != 0)
			goto out;
	}
	if (r->bearer != NULL) {
		if (snprintf(auth, sizeof auth, "Bearer %s", r->bearer) >=
		        (int)sizeof auth ||
		    evhttp_add_header(h, "Authorization", auth) != 0)
			goto out;
	}
	if (r->body != NULL && r->body_len > 0 &&
	    evbuffer_add(evhttp_request_get_output_buffer(req), r->body,
	                 r->body_len) != 0) {
		rc = RP_E_NOMEM;
		goto out;
	}
	rc = RP_OK;
out:
	OPENSSL_cleanse(auth, sizeof auth);
	return rc;
}

/* The connection to addr (numeric) and the request made on it. */
static rp_err connect_to(struct rp_http_call *c, const char *addr)
{
	struct evhttp_request *req = c->req;

	c->conn = evhttp_connection_base_bufferevent_new(
	    c->base, NULL, c->bev, addr, (ev_uint16_t)c->port);
	if (c->conn == NULL)
		return RP_E_NOMEM; /* bev still ours: call_free frees it */
	evhttp_connection_set_timeout_tv(c->conn, &c->io_tv);
	/* One over the limit: on_chunk is the one that says RP_E_TOO_BIG
	 * for a body of unknown length; evhttp for a Content-Length. */
	evhttp_connection_set_max_body_size(c->conn, (ev_ssize_t)c->max_body);
	/* libevent's default is no bound: a server's endless headers would
	 * be gathered in memory. Past this (libevent says
	 * EVREQ_HTTP_INVALID_HEADER, as for a malformed one): RP_E_HTTP before
	 * on_head. */
	evhttp_connection_set_max_headers_size(c->conn, RP_HTTP_MAX_HEADERS);
	evhttp_connection_set_retries(c->conn, 0);
	c->req = NULL; /* owned by conn, or freed by evhttp on failure */
	if (evhttp_make_request(c->conn, req, c->method, c->target) != 0)
		return RP_E_HTTP;
	return RP_OK;
}

/* evdns's answer: connect to its first address, or fail the call. */
static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct lookup *lk = arg;
	struct rp_http_call *c = lk->c;
	struct timeval zero = {0, 0};
	char addr[64];
	const void *a = NULL;
	rp_err rc = RP_E_HTTP;

	lk->pending = NULL;
	if (c == NULL || c->ended)
		goto out; /* cancelled, or the deadline passed */
	if (result != 0 || res == NULL)
		goto out;
	if (res->ai_family == AF_INET)
		a = &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
	else if (res->ai_family == AF_INET6)
		a = &((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr;
	if (a != NULL &&
	    evutil_inet_ntop(res->ai_family, a, addr, sizeof addr) != NULL)
		rc = connect_to(c, addr);
out:
	if (c != NULL && !c->ended && rc != RP_OK)
		call_end(c, rc);
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (event_base_once(lk->base, -1, EV_TIMEOUT, lookup_done, lk, &zero) !=
	    0)
		lookup_done(-1, 0, lk); /* no event: here, as a last resort */
}

/* host, a name, resolved on c's base; connect_to once it is. */
static rp_err resolve(struct rp_http_call *c, const char *host)
{
	struct evutil_addrinfo hints;
	struct lookup *lk = rp_calloc(1, sizeof *lk); /* its own once started */
	struct evdns_getaddrinfo_request *p;
	char port[8];

	if (lk == NULL)
		return RP_E_NOMEM;
	lk->base = c->base;
	lk->c = c;
	/* resolv.conf's name servers and /etc/hosts, read here, at once */
	lk->dns = evdns_base_new(c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (lk->dns == NULL) {
		free(lk);
		return RP_E_HTTP;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	snprintf(port, sizeof port, "%d", c->port);
	c->lookup = lk;
	/* may answer at once (a name in /etc/hosts): on_resolved has then
	 * run (lookup_done is to come) and p is NULL */
	p = evdns_getaddrinfo(lk->dns, host, port, &hints, on_resolved, lk);
	if (p != NULL && c->lookup == lk)
		lk->pending = p;
	return RP_OK;
}

rp_err rp_http_start(struct event_base *base, struct ssl_ctx_st *ctx,
                     const struct rp_http_request *r,
                     const struct rp_http_opts *opts,
                     const struct rp_http_callbacks *cb, rp_http_call **out)
{
	struct rp_http_call *c = NULL; /* owned here until started */
	struct timeval tv;
	enum evhttp_cmd_type m;
	const char *host, *path, *query;
	SSL *ssl = NULL;
	int port, ms;
	rp_err rc = RP_E_INVAL;

	if (out != NULL)
		*out = NULL;
	if (base == NULL || ctx == NULL || r == NULL || r->url == NULL ||
	    r->method == NULL || cb == NULL || !method_of(r->method, &m))
		goto out;
	c = rp_calloc(1, sizeof *c);
	if (c == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	c->base = base;
	c->cb = *cb;
	c->method = m;
	c->range_start = opts != NULL ? opts->range_start : 0;
	c->on_meta = opts != NULL ? opts->on_meta : NULL;
	if (opts != NULL && opts->if_range != NULL) {
		char tmp[RP_HTTP_ETAG_MAX + 1];

		meta_etag(opts->if_range, tmp);
		if (strcmp(tmp, opts->if_range) != 0)
			goto out; /* too long or not printable: RP_E_INVAL */
	}
	c->max_body = r->max_response ? r->max_response : RP_HTTP_MAX_RESPONSE;
	c->uri = evhttp_uri_parse(r->url);
	host = c->uri != NULL ? evhttp_uri_get_host(c->uri) : NULL;
	if (c->uri == NULL || evhttp_uri_get_scheme(c->uri) == NULL ||
	    strcmp(evhttp_uri_get_scheme(c->uri), "https") != 0 ||
	    host == NULL || host[0] == '\0' || strlen(host) >= sizeof c->host)
		goto out;
	/* "[::1]": the address is what is inside (the IP check, the
	 * connection); the brackets stay only in the Host header */
	if (host[0] == '[' && host[strlen(host) - 1] == ']' && strlen(host) > 2)
		snprintf(c->host, sizeof c->host, "%.*s", (int)strlen(host) - 2,
		         host + 1);
	else
		snprintf(c->host, sizeof c->host, "%s", host);
	port = evhttp_uri_get_port(c->uri);
	if (port < 0)
		port = 443;
	path = evhttp_uri_get_path(c->uri);
	query = evhttp_uri_get_query(c->uri);
	c->port = port;
	if (snprintf(c->target, sizeof c->target, "%s%s%s",
	             path && path[0] ? path : "/", query ? "?" : "",
	             query ? query : "") >= (int)sizeof c->target)
		goto out;
	rc = RP_E_NOMEM;
	c->finish = event_new(base, -1, 0, on_finish, c);
	c->deadline = evtimer_new(base, on_deadline, c);
	ssl = SSL_new(ctx);
	if (c->finish == NULL || c->deadline == NULL || ssl == NULL)
		goto out;
	if (CRYPTO_THREAD_run_once(&once, init_index) != 1 || ex_index < 0 ||
	    SSL_set_ex_data(ssl, ex_index, c) != 1)
		goto out;
	SSL_set_verify(ssl, SSL_VERIFY_PEER, on_verify);
	/* The floor and the name rules whatever the caller's own SSL_CTX
	 * says (rp_http_tls_ctx's already do): TLS 1.2 at least, no partial
	 * wildcards ("f*.example"). A higher floor of ctx is kept. */
	if (SSL_get_min_proto_version(ssl) < TLS1_2_VERSION &&
	    SSL_set_min_proto_version(ssl, TLS1_2_VERSION) != 1) {
		rc = RP_E_TLS;
		goto out;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (!set_peer_name(ssl, c->host)) {
		rc = RP_E_TLS;
		goto out;
	}
	c->bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL)
		goto out;
	ssl = NULL; /* owned by the bufferevent */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	ms = r->timeout_ms > 0 ? r->timeout_ms : 30000;
	/* evhttp's per-I/O timeout is the idle deadline; without one it
	 * only backs up the overall deadline. */
	if (opts != NULL && opts->idle_ms > 0)
		c->io_tv = tv_ms(opts->idle_ms);
	else
		c->io_tv = (struct timeval){ms / 1000 + 1, (ms % 1000) * 1000};
	tv = tv_ms(ms);
	if (evtimer_add(c->deadline, &tv) != 0)
		goto out;
	c->req = evhttp_request_new(on_done, c);
	if (c->req == NULL)
		goto out;
	evhttp_request_set_error_cb(c->req, on_error);
	evhttp_request_set_header_cb(c->req, on_header);
	evhttp_request_set_chunked_cb(c->req, on_chunk);
	rc = fill_request(c->req, r, opts, host, port);
	if (rc != RP_OK)
		goto out;
	/* the deadline runs from here: through the name's resolution too */
	if (is_ip(c->host))
		rc = connect_to(c, c->host);
	else
		rc = resolve(c, c->host);
	if (rc != RP_OK)
		goto out;
	if (out != NULL)
		*out = c;
	c = NULL; /* owned by the running request: freed before on_done */
	rc = RP_OK;
out:
	SSL_free(ssl);
	call_free(c);
	return rc;
}

void rp_http_cancel(rp_http_call *call)
{
	call_free(call);
}

/* The blocking wrapper's gatherer. */
struct gather {
	struct event_base *base;
	struct rp_http_response *resp;
	size_t cap;
	rp_err rc;
	int done;
};

static rp_err gather_head(void *arg, int status, const char *ct,
                          uint64_t offset)
{
	struct gather *g = arg;

	(void)offset;
	g->resp->status = status;
	snprintf(g->resp->content_type, sizeof g->resp->content_type, "%s", ct);
	return RP_OK;
}

static rp_err gather_body(void *arg, const void *data, size_t len)
{
	struct gather *g = arg;
	struct rp_http_response *r = g->resp;
	uint8_t *nb;
	size_t cap;

	if (r->body_len + len + 1 > g->cap) {
		cap = g->cap ? g->cap : 4096;
		while (cap < r->body_len + len + 1)
			cap *= 2;
		nb = rp_realloc(r->body, cap);
		if (nb == NULL)
			return RP_E_NOMEM;
		r->body = nb;
		g->cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	return RP_OK;
}

static void gather_done(void *arg, rp_err rc, int status)
{
	struct gather *g = arg;

	g->rc = rc;
	g->done = 1;
	g->resp->status = status;
	event_base_loopbreak(g->base);
}

rp_err rp_http_request(struct ssl_ctx_st *ctx, const struct rp_http_request *r,
                       struct rp_http_response *resp)
{
	struct gather g;
	struct rp_http_callbacks cb = {gather_head, gather_body, gather_done,
	                               &g};
	rp_err rc;

	memset(resp, 0, sizeof *resp);
	memset(&g, 0, sizeof g);
	g.resp = resp;
	g.base = event_base_new(); /* owned here */
	if (g.base == NULL)
		return RP_E_NOMEM;
	rc = rp_http_start(g.base, ctx, r, NULL, &cb, NULL);
	if (rc == RP_OK) {
		while (!g.done)
			if (event_base_dispatch(g.base) != 0)
				break;
		rc = g.done ? g.rc : RP_E_HTTP;
	}
	if (rc == RP_OK && resp->body == NULL) {
		resp->body = rp_malloc(1);
		if (resp->body == NULL)
			rc = RP_E_NOMEM;
	}
	if (rc == RP_OK)
		resp->body[resp->body_len] = '\0';
	event_base_free(g.base);
	if (rc != RP_OK)
		rp_http_response_free(resp);
	return rc;
}

void rp_http_response_free(struct rp_http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

rp_err rp_http_tls_ctx(const char *cafile, const char *certfile,
                       const char *keyfile, struct ssl_ctx_st **out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	rp_err rc = RP_E_TLS;

	*out = NULL;
	if (ctx == NULL)
		return RP_E_NOMEM;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
		goto out;
	if (cafile != NULL
	        ? SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1
	        : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		rc = RP_E_IO;
		goto out;
	}
	if ((certfile == NULL) != (keyfile == NULL)) {
		rc = RP_E_INVAL;
		goto out;
	}
	if (certfile != NULL &&
	    (SSL_CTX_use_certificate_chain_file(ctx, certfile) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, keyfile, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(ctx) != 1))
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	*out = ctx;
	ctx = NULL;
	rc = RP_OK;
out:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return rc;
}
