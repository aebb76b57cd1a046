/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_client.c - the HTTPS client of librampart (rampart/http.h): one
 * private libevent base per request, evhttp over an OpenSSL bufferevent,
 * host name or IP checked by OpenSSL, body bounded by evhttp's
 * max_body_size.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rampart/http.h"

struct state {
	struct event_base *base;
	struct bufferevent *bev;
	struct rp_http_response *resp;
	rp_err rc;
	int done;
	unsigned long ssl_err;
	long verify; /* first certificate error seen in the handshake */
	int timed_out;
};

/* The whole request's deadline (evhttp's own timeout is per I/O). */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct state *st = arg;

	(void)fd;
	(void)what;
	st->timed_out = 1;
	event_base_loopexit(st->base, NULL);
}

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
	struct state *st = ssl ? SSL_get_ex_data(ssl, ex_index) : NULL;

	if (!ok && st != NULL && st->verify == X509_V_OK)
		st->verify = X509_STORE_CTX_get_error(x);
	return ok;
}

static void on_error(enum evhttp_request_error err, void *arg)
{
	struct state *st = arg;

	switch (err) {
	case EVREQ_HTTP_TIMEOUT:
		st->rc = RP_E_TIMEOUT;
		break;
	case EVREQ_HTTP_DATA_TOO_LONG:
		st->rc = RP_E_TOO_BIG;
		break;
	default:
		st->rc = RP_E_HTTP;
		break;
	}
}

static void on_done(struct evhttp_request *req, void *arg)
{
	struct state *st = arg;
	struct evbuffer *in;
	const char *ct;
	size_t n;

	st->done = 1;
	if (st->bev != NULL)
		st->ssl_err = bufferevent_get_openssl_error(st->bev);
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		if (st->rc == RP_OK)
			st->rc = RP_E_HTTP;
		goto out;
	}
	st->resp->status = evhttp_request_get_response_code(req);
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	                        "Content-Type");
	snprintf(st->resp->content_type, sizeof st->resp->content_type, "%s",
	         ct ? ct : "");
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	st->resp->body = malloc(n + 1);
	if (st->resp->body == NULL) {
		st->rc = RP_E_NOMEM;
		goto out;
	}
	if (evbuffer_remove(in, st->resp->body, n) != (int)n) {
		st->rc = RP_E_HTTP;
		goto out;
	}
	st->resp->body[n] = '\0';
	st->resp->body_len = n;
	st->rc = RP_OK;
out:
	event_base_loopexit(st->base, NULL);
}

static int method_of(const char *m, enum evhttp_cmd_type *out)
{
	if (strcmp(m, "GET") == 0)
		*out = EVHTTP_REQ_GET;
	else if (strcmp(m, "POST") == 0)
		*out = EVHTTP_REQ_POST;
	else if (strcmp(m, "DELETE") == 0)
		*out = EVHTTP_REQ_DELETE;
	else
		return 0;
	return 1;
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

rp_err rp_http_request(struct ssl_ctx_st *ctx, const struct rp_http_request *r,
                       struct rp_http_response *resp)
{
	struct state st;
	struct evhttp_uri *uri = NULL;
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct event *deadline = NULL;
	struct timeval tv;
	struct evkeyvalq *h;
	enum evhttp_cmd_type m;
	const char *host, *path, *query;
	char target[2048], hostport[300];
	SSL *ssl = NULL;
	int port, ms;

	memset(resp, 0, sizeof *resp);
	memset(&st, 0, sizeof st);
	st.resp = resp;
	st.rc = RP_OK;
	if (ctx == NULL || r == NULL || r->url == NULL || r->method == NULL ||
	    !method_of(r->method, &m))
		return RP_E_INVAL;
	uri = evhttp_uri_parse(r->url);
	host = uri != NULL ? evhttp_uri_get_host(uri) : NULL;
	if (uri == NULL || evhttp_uri_get_scheme(uri) == NULL ||
	    strcmp(evhttp_uri_get_scheme(uri), "https") != 0 || host == NULL ||
	    host[0] == '\0') {
		st.rc = RP_E_INVAL;
		goto out;
	}
	port = evhttp_uri_get_port(uri);
	if (port < 0)
		port = 443;
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	if (snprintf(target, sizeof target, "%s%s%s",
	             path && path[0] ? path : "/", query ? "?" : "",
	             query ? query : "") >= (int)sizeof target) {
		st.rc = RP_E_INVAL;
		goto out;
	}
	st.base = event_base_new();
	ssl = SSL_new(ctx);
	if (st.base == NULL || ssl == NULL) {
		st.rc = RP_E_NOMEM;
		goto out;
	}
	if (CRYPTO_THREAD_run_once(&once, init_index) != 1 || ex_index < 0 ||
	    SSL_set_ex_data(ssl, ex_index, &st) != 1) {
		st.rc = RP_E_NOMEM;
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, on_verify);
	if (!set_peer_name(ssl, host)) {
		st.rc = RP_E_TLS;
		goto out;
	}
	st.bev = bufferevent_openssl_socket_new(
	    st.base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (st.bev == NULL) {
		st.rc = RP_E_NOMEM;
		goto out;
	}
	ssl = NULL; /* owned by the bufferevent */
	bufferevent_openssl_set_allow_dirty_shutdown(st.bev, 1);
	conn = evhttp_connection_base_bufferevent_new(st.base, NULL, st.bev,
	                                              host, (ev_uint16_t)port);
	if (conn == NULL) {
		bufferevent_free(st.bev);
		st.bev = NULL;
		st.rc = RP_E_NOMEM;
		goto out;
	}
	ms = r->timeout_ms > 0 ? r->timeout_ms : 30000;
	/* evhttp's per-I/O timeout only backs up the deadline below. */
	evhttp_connection_set_timeout_tv(
	    conn, &(struct timeval){ms / 1000 + 1, (ms % 1000) * 1000});
	deadline = evtimer_new(st.base, on_deadline, &st);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (deadline == NULL || evtimer_add(deadline, &tv) != 0) {
		st.rc = RP_E_NOMEM;
		goto out;
	}
	evhttp_connection_set_max_body_size(
	    conn, (ev_ssize_t)(r->max_response ? r->max_response
	                                       : RP_HTTP_MAX_RESPONSE));
	evhttp_connection_set_retries(conn, 0);
	req = evhttp_request_new(on_done, &st);
	if (req == NULL) {
		st.rc = RP_E_NOMEM;
		goto out;
	}
	evhttp_request_set_error_cb(req, on_error);
	h = evhttp_request_get_output_headers(req);
	if (port == 443)
		snprintf(hostport, sizeof hostport, "%s", host);
	else
		snprintf(hostport, sizeof hostport, "%s:%d", host, port);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Connection", "close");
	evhttp_add_header(h, "User-Agent", "rampart");
	if (r->content_type != NULL)
		evhttp_add_header(h, "Content-Type", r->content_type);
	if (r->bearer != NULL) {
		char auth[512];

		if (snprintf(auth, sizeof auth, "Bearer %s", r->bearer) >=
		    (int)sizeof auth) {
			evhttp_request_free(req);
			st.rc = RP_E_INVAL;
			goto out;
		}
		evhttp_add_header(h, "Authorization", auth);
		OPENSSL_cleanse(auth, sizeof auth);
	}
	if (r->body != NULL && r->body_len > 0)
		evbuffer_add(evhttp_request_get_output_buffer(req), r->body,
		             r->body_len);
	if (evhttp_make_request(conn, req, m, target) != 0) {
		st.rc = RP_E_HTTP;
		goto out;
	}
	event_base_dispatch(st.base);
	if (st.timed_out && !st.done)
		st.rc = RP_E_TIMEOUT;
	if (!st.done && st.rc == RP_OK)
		st.rc = RP_E_HTTP;
	/* A refused connection also leaves a (system) error: only TLS ones
	 * and certificate verdicts make this a TLS failure. */
	if (st.rc == RP_E_HTTP &&
	    ((st.ssl_err != 0 && ERR_GET_LIB(st.ssl_err) == ERR_LIB_SSL) ||
	     st.verify != X509_V_OK))
		st.rc = RP_E_TLS;
out:
	if (deadline != NULL)
		event_free(deadline);
	if (conn != NULL)
		evhttp_connection_free(conn);
	SSL_free(ssl);
	if (st.base != NULL)
		event_base_free(st.base);
	if (uri != NULL)
		evhttp_uri_free(uri);
	ERR_clear_error();
	if (st.rc != RP_OK)
		rp_http_response_free(resp);
	return st.rc;
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
