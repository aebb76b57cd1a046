/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - the HTTPS listener of rampartd (http.h) on libevent 2.1 evhttp
 * and bufferevent_openssl.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http.h"
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

/* evhttp asks for one bufferevent per accepted connection. */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	SSL_CTX *ctx = arg;
	SSL *ssl = SSL_new(ctx);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

rp_err http_listen(struct event_base *base, SSL_CTX *ctx, const char *addr,
                   int port, void (*cb)(struct evhttp_request *, void *),
                   void *arg, struct evhttp **out, int *bound)
{
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *h;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	*out = NULL;
	if (http == NULL)
		return RP_E_NOMEM;
	evhttp_set_bevcb(http, make_bev, ctx);
	evhttp_set_gencb(http, cb, arg);
	evhttp_set_max_body_size(http, HTTP_MAX_BODY);
	evhttp_set_max_headers_size(http, 16 * 1024);
	evhttp_set_timeout(http, 30);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                                     EVHTTP_REQ_DELETE);
	h = evhttp_bind_socket_with_handle(http, addr, (ev_uint16_t)port);
	if (h == NULL) {
		rp_log_error("http: cannot listen on %s:%d", addr, port);
		evhttp_free(http);
		return RP_E_IO;
	}
	*bound = port;
	if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&ss,
	                &sl) == 0) {
		if (ss.ss_family == AF_INET)
			*bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			*bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	*out = http;
	return RP_OK;
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
	b = malloc(n + 1);
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

	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
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
