/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http_stream.c - rp_http_start, the HTTPS client on the caller's
 * event loop, against a real TLS server (http_stream_server.py, python3's
 * http.server over ssl): Content-Length and chunked bodies arrive in
 * order and whole; the body bound; Range resumed with a 206, started over
 * on a 200, refused on a 206 for another offset; the idle and the overall
 * deadline; cancellation in flight (ASan sees every byte freed). Each
 * wait is on the loop until on_done, with the test's deadline as a guard.
 * The same server at an IP its certificate does not name:
 * RP_E_TLS_UNTRUSTED. A host name is resolved without the C library's
 * blocking getaddrinfo (this program's own getaddrinfo counts the calls
 * for names). Only a final status (200..599) is an answer.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "cmocka_all.h"
#include "rampart/http.h"
#include "rpt.h"

#define BODY_LEN 100000

static char dir[512], cert[600], key[600];
static int port;
static struct rpt_proc srv;
static SSL_CTX *ctx;

/* Calls of the blocking resolver for a name (not a numeric address): a
 * caller's loop stops for as long as one takes. The client must make
 * none. Interposed on libc's for the whole process. */
static int blocking_lookups;

__attribute__((visibility("default"))) int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
            struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *,
	            struct addrinfo **);
	unsigned char a[16];
	void *sym = dlsym(RTLD_NEXT, "getaddrinfo");

	if (node != NULL && inet_pton(AF_INET, node, a) != 1 &&
	    inet_pton(AF_INET6, node, a) != 1)
		blocking_lookups++;
	memcpy(&real, &sym, sizeof real);
	return real(node, service, hints, res);
}

struct got {
	struct event_base *base;
	uint8_t *buf; /* BODY_LEN, owned by the test */
	size_t len;
	uint64_t offset;
	int heads, done, status, pieces;
	rp_err rc;
	char etag[RP_HTTP_ETAG_MAX + 1]; /* on_meta's */
	int64_t retry_after;
	int metas;
};

static const char *fetch_if_range; /* fetch_url's If-Range, NULL none */

static int start(void **state)
{
	char log[600], ps[16], script[600];

	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(cert, sizeof cert, "%s/srv.pem", dir);
	snprintf(key, sizeof key, "%s/srv.key", dir);
	snprintf(log, sizeof log, "%s/srv.log", dir);
	snprintf(script, sizeof script,
	         "%s/tests/integration/http_stream_server.py", rpt_src_dir());
	assert_int_equal(rpt_server_cert(cert, key), 0);
	port = rpt_free_port();
	snprintf(ps, sizeof ps, "%d", port);
	char *argv[] = {"python3", script, ps, cert, key, NULL};
	if (rpt_start(&srv, argv, log, NULL) != 0 ||
	    !rpt_wait_port(&srv, port, RPT_DEADLINE_MS))
		return -1;
	return rp_http_tls_ctx(cert, NULL, NULL, &ctx) == RP_OK ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	SSL_CTX_free(ctx);
	return rpt_stop(&srv, 2000);
}

static rp_err on_head(void *arg, int status, const char *ct, uint64_t off)
{
	struct got *g = arg;

	(void)ct;
	g->heads++;
	g->status = status;
	g->offset = off;
	g->len = 0;
	return RP_OK;
}

static rp_err on_body(void *arg, const void *data, size_t len)
{
	struct got *g = arg;

	if (g->offset + g->len + len > BODY_LEN)
		return RP_E_TOO_BIG;
	memcpy(g->buf + g->offset + g->len, data, len);
	g->len += len;
	g->pieces++;
	return RP_OK;
}

static void on_meta(void *arg, const struct rp_http_meta *m)
{
	struct got *g = arg;

	g->metas++;
	memcpy(g->etag, m->etag, sizeof g->etag);
	g->retry_after = m->retry_after_s;
}

static void on_done(void *arg, rp_err rc, int status)
{
	struct got *g = arg;

	g->done++;
	g->rc = rc;
	g->status = status;
	event_base_loopbreak(g->base);
}

/* url on the loop until on_done; the loop's guard is the deadline. */
static void fetch_url(struct got *g, const char *url, size_t max,
                      uint64_t range, int idle_ms, int timeout_ms)
{
	struct rp_http_request q;
	struct rp_http_opts o = {idle_ms, range, fetch_if_range, on_meta};
	struct rp_http_callbacks cb = {on_head, on_body, on_done, g};
	long long until = rpt_now_ms() + RPT_DEADLINE_MS;

	memset(g, 0, sizeof *g);
	g->base = event_base_new();
	g->buf = calloc(1, BODY_LEN);
	assert_non_null(g->base);
	assert_non_null(g->buf);
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = url;
	q.max_response = max;
	q.timeout_ms = timeout_ms;
	assert_int_equal(rp_http_start(g->base, ctx, &q, &o, &cb, NULL), RP_OK);
	while (!g->done && rpt_now_ms() < until)
		event_base_loop(g->base, EVLOOP_ONCE);
	assert_int_equal(g->done, 1);
}

static void fetch(struct got *g, const char *path, size_t max, uint64_t range,
                  int idle_ms, int timeout_ms)
{
	char url[128];

	snprintf(url, sizeof url, "https://127.0.0.1:%d%s", port, path);
	fetch_url(g, url, max, range, idle_ms, timeout_ms);
}

static void end(struct got *g)
{
	event_base_free(g->base);
	free(g->buf);
}

static void check_pattern(const struct got *g, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		assert_int_equal(g->buf[i], i % 251);
}

static void test_bodies(void **state)
{
	static const char *const paths[] = {"/cl", "/chunked"};
	struct got g;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		fetch(&g, paths[i], BODY_LEN, 0, 0, 0);
		assert_int_equal(g.rc, RP_OK);
		assert_int_equal(g.status, 200);
		assert_int_equal(g.heads, 1);
		assert_int_equal(g.len, BODY_LEN);
		/* streamed: more than one piece for 100 kB */
		assert_true(g.pieces > 1);
		check_pattern(&g, 0, BODY_LEN);
		end(&g);
	}
}

static void test_max_body(void **state)
{
	static const char *const paths[] = {"/cl", "/chunked"};
	struct got g;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		fetch(&g, paths[i], BODY_LEN - 1, 0, 0, 0);
		assert_int_equal(g.rc, RP_E_TOO_BIG);
		assert_true(g.len <= BODY_LEN - 1);
		end(&g);
	}
}

static void test_range(void **state)
{
	struct got g;

	(void)state;
	fetch(&g, "/range", 0, 40000, 0, 0);
	assert_int_equal(g.rc, RP_OK);
	assert_int_equal(g.status, 206);
	assert_int_equal(g.offset, 40000);
	assert_int_equal(g.len, BODY_LEN - 40000);
	check_pattern(&g, 40000, BODY_LEN);
	end(&g);
	/* a server without Range (here: /cl) answers 200: a fresh body */
	fetch(&g, "/cl", 0, 40000, 0, 0);
	assert_int_equal(g.rc, RP_OK);
	assert_int_equal(g.status, 200);
	assert_int_equal(g.offset, 0);
	assert_int_equal(g.len, BODY_LEN);
	check_pattern(&g, 0, BODY_LEN);
	end(&g);
	/* a 206 from elsewhere is refused before any byte is delivered */
	fetch(&g, "/badrange", 0, 40000, 0, 0);
	assert_int_equal(g.rc, RP_E_HTTP);
	assert_int_equal(g.heads, 0);
	assert_int_equal(g.len, 0);
	end(&g);
}

/* If-Range sent with the Range, the ETag and Retry-After handed up
 * (/etag: 206 only while If-Range is the current "\"v1\"", 503 with a
 * Retry-After on /busy). */
static void test_if_range(void **state)
{
	struct got g;

	(void)state;
	fetch_if_range = "\"v1\"";
	fetch(&g, "/etag", 0, 40000, 0, 0);
	assert_int_equal(g.rc, RP_OK);
	assert_int_equal(g.status, 206);
	assert_int_equal(g.offset, 40000);
	assert_int_equal(g.metas, 1);
	assert_string_equal(g.etag, "\"v1\"");
	assert_int_equal(g.retry_after, -1);
	check_pattern(&g, 40000, BODY_LEN);
	end(&g);
	/* another version now: the whole new body from 0 */
	fetch_if_range = "\"v0\"";
	fetch(&g, "/etag", 0, 40000, 0, 0);
	assert_int_equal(g.rc, RP_OK);
	assert_int_equal(g.status, 200);
	assert_int_equal(g.offset, 0);
	assert_int_equal(g.len, BODY_LEN);
	end(&g);
	/* not printable: refused before anything is sent */
	fetch_if_range = "\"v\n\"";
	{
		struct rp_http_request q = {0};
		struct rp_http_opts o = {0, 5, fetch_if_range, NULL};
		struct rp_http_callbacks cb = {on_head, on_body, on_done, NULL};
		struct event_base *b = event_base_new();
		char url[128];

		snprintf(url, sizeof url, "https://127.0.0.1:%d/etag", port);
		q.method = "GET";
		q.url = url;
		assert_int_equal(rp_http_start(b, ctx, &q, &o, &cb, NULL),
		                 RP_E_INVAL);
		event_base_free(b);
	}
	fetch_if_range = NULL;
	fetch(&g, "/busy", 0, 0, 0, 0);
	assert_int_equal(g.rc, RP_OK);
	assert_int_equal(g.status, 503);
	assert_int_equal(g.retry_after, 7);
	assert_string_equal(g.etag, "");
	end(&g);
}

/* A 206 must be the Range asked, all of it: refused when its
 * Content-Length is not END-START+1, its END is below START, its body
 * runs past END, or no Range was asked at all. */
static void test_bad_206(void **state)
{
	static const char *const paths[] = {"/shortrange", "/backwards",
	                                    "/overrange"};
	struct got g;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		fetch(&g, paths[i], 0, 40000, 0, 0);
		assert_int_equal(g.rc, RP_E_HTTP);
		assert_true(g.len <= 10);
		end(&g);
	}
	fetch(&g, "/unsolicited", 0, 0, 0, 0);
	assert_int_equal(g.rc, RP_E_HTTP);
	assert_int_equal(g.heads, 0);
	end(&g);
}

static void test_deadlines(void **state)
{
	struct got g;

	(void)state;
	/* idle: 10 bytes then silence; the overall deadline is far */
	fetch(&g, "/stall", 0, 0, 300, 60000);
	assert_int_equal(g.rc, RP_E_TIMEOUT);
	assert_int_equal(g.len, 10);
	end(&g);
	/* overall: a byte every 200 ms never idles 2 s but passes 1 s */
	fetch(&g, "/drip", 0, 0, 2000, 1000);
	assert_int_equal(g.rc, RP_E_TIMEOUT);
	assert_true(g.len > 0 && g.len < BODY_LEN);
	end(&g);
}

static void test_cancel(void **state)
{
	struct rp_http_request q;
	struct rp_http_callbacks cb = {on_head, on_body, on_done, NULL};
	struct got g;
	rp_http_call *call = NULL;
	char url[128];
	long long until = rpt_now_ms() + RPT_DEADLINE_MS;

	(void)state;
	memset(&g, 0, sizeof g);
	cb.arg = &g;
	g.base = event_base_new();
	g.buf = calloc(1, BODY_LEN);
	assert_non_null(g.buf);
	snprintf(url, sizeof url, "https://127.0.0.1:%d/drip", port);
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = url;
	assert_int_equal(rp_http_start(g.base, ctx, &q, NULL, &cb, &call),
	                 RP_OK);
	assert_non_null(call);
	/* mid-body: the first byte has come */
	while (g.len == 0 && rpt_now_ms() < until)
		event_base_loop(g.base, EVLOOP_ONCE);
	assert_true(g.len > 0);
	rp_http_cancel(call);
	/* nothing of it is left on the loop, and on_done never comes */
	assert_int_equal(event_base_loop(g.base, EVLOOP_NONBLOCK), 1);
	assert_int_equal(g.done, 0);
	end(&g);
	/* before any byte, too */
	memset(&g, 0, sizeof g);
	g.base = event_base_new();
	assert_int_equal(rp_http_start(g.base, ctx, &q, NULL, &cb, &call),
	                 RP_OK);
	rp_http_cancel(call);
	assert_int_equal(event_base_loop(g.base, EVLOOP_NONBLOCK), 1);
	assert_int_equal(g.done, 0);
	event_base_free(g.base);
}

/* Only a final status in 200..599 is an answer: a 100 Continue before a
 * 200, a negative and a 999 status fail before on_head. */
static void test_status(void **state)
{
	static const char *const paths[] = {"/cont", "/neg", "/big"};
	struct got g;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		fetch(&g, paths[i], 0, 0, 0, 0);
		assert_int_equal(g.rc, RP_E_HTTP);
		assert_int_equal(g.heads, 0);
		end(&g);
	}
}

/* 1 MB of headers: refused at RP_HTTP_MAX_HEADERS, not gathered. */
static void test_big_headers(void **state)
{
	struct got g;

	(void)state;
	fetch(&g, "/bigheaders", 0, 0, 0, 0);
	assert_int_equal(g.rc, RP_E_HTTP);
	assert_int_equal(g.heads, 0);
	end(&g);
}

/* localhost (/etc/hosts) works as before, resolved on the loop; a name
 * no resolver here knows fails through on_done (the deadline, or the
 * resolver's no) and a cancel with its lookup in flight leaves nothing
 * once the loop has run (ASan). No blocking getaddrinfo for either. */
static void test_names(void **state)
{
	struct rp_http_request q;
	struct rp_http_callbacks cb = {on_head, on_body, on_done, NULL};
	struct got g;
	rp_http_call *call = NULL;
	char url[128];

	(void)state;
	blocking_lookups = 0;
	snprintf(url, sizeof url, "https://localhost:%d/cl", port);
	fetch_url(&g, url, 0, 0, 0, 0);
	assert_int_equal(g.rc, RP_OK);
	assert_int_equal(g.status, 200);
	assert_int_equal(g.len, BODY_LEN);
	check_pattern(&g, 0, BODY_LEN);
	end(&g);
	snprintf(url, sizeof url, "https://rampart-test.invalid:%d/cl", port);
	fetch_url(&g, url, 0, 0, 0, 300);
	assert_true(g.rc == RP_E_TIMEOUT || g.rc == RP_E_HTTP);
	assert_int_equal(g.heads, 0);
	end(&g);
	memset(&g, 0, sizeof g);
	cb.arg = &g;
	g.base = event_base_new();
	assert_non_null(g.base);
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = url;
	assert_int_equal(rp_http_start(g.base, ctx, &q, NULL, &cb, &call),
	                 RP_OK);
	rp_http_cancel(call);
	while (event_base_loop(g.base, EVLOOP_NONBLOCK) == 0)
		; /* evdns's answer to the cancel frees the lookup */
	assert_int_equal(g.done, 0);
	event_base_free(g.base);
	assert_int_equal(blocking_lookups, 0);
}

/* A caller's bare SSL_CTX (no floor of its own, TLS 1.1 allowed by its
 * ciphers' security level) against openssl s_server speaking TLS 1.1
 * only: the client's own floor, TLS 1.2, refuses it. */
static void test_tls_floor(void **state)
{
	struct rpt_proc old;
	struct got g;
	SSL_CTX *bare = SSL_CTX_new(TLS_client_method()), *keep = ctx;
	char url[128], ps[32], log[600];
	int p = rpt_free_port();

	(void)state;
	assert_non_null(bare);
	assert_int_equal(SSL_CTX_set_min_proto_version(bare, 0), 1);
	assert_int_equal(SSL_CTX_set_cipher_list(bare, "DEFAULT@SECLEVEL=0"),
	                 1);
	assert_int_equal(SSL_CTX_load_verify_locations(bare, cert, NULL), 1);
	snprintf(ps, sizeof ps, "127.0.0.1:%d", p);
	snprintf(log, sizeof log, "%s/tls11.log", dir);
	char *argv[] = {"openssl",
	                "s_server",
	                "-accept",
	                ps,
	                "-cert",
	                cert,
	                "-key",
	                key,
	                "-tls1_1",
	                "-cipher",
	                "DEFAULT@SECLEVEL=0",
	                "-quiet",
	                NULL};
	assert_int_equal(rpt_start(&old, argv, log, NULL), 0);
	assert_true(rpt_wait_port(&old, p, RPT_DEADLINE_MS));
	snprintf(url, sizeof url, "https://127.0.0.1:%d/", p);
	ctx = bare;
	fetch_url(&g, url, 0, 0, 0, 0);
	ctx = keep;
	assert_int_equal(g.rc, RP_E_TLS); /* the handshake, not HTTP after it */
	assert_int_equal(g.heads, 0);
	end(&g);
	SSL_CTX_free(bare);
	rpt_stop(&old, 2000); /* s_server ends on the signal */
}

/* An IPv6 literal URL (::1 is on this machine's loopback; the server
 * listens there too): the address inside the brackets is connected to
 * and checked against the certificate's IP:::1. */
static void test_ipv6(void **state)
{
	struct got g;
	char url[128];

	(void)state;
	snprintf(url, sizeof url, "https://[::1]:%d/cl", port);
	fetch_url(&g, url, 0, 0, 0, 0);
	assert_int_equal(g.rc, RP_OK);
	assert_int_equal(g.len, BODY_LEN);
	end(&g);
}

/* The same server at 127.0.0.2: its certificate names 127.0.0.1 only. */
static void test_wrong_ip(void **state)
{
	struct got g;
	char url[128];

	(void)state;
	snprintf(url, sizeof url, "https://127.0.0.2:%d/cl", port);
	fetch_url(&g, url, 0, 0, 0, 0);
	assert_int_equal(g.rc, RP_E_TLS_UNTRUSTED);
	assert_int_equal(g.heads, 0);
	end(&g);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_max_body),
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_if_range),
	    cmocka_unit_test(test_deadlines),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_wrong_ip),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_big_headers),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_bad_206),
	    cmocka_unit_test(test_tls_floor),
	    cmocka_unit_test(test_ipv6),
	};

	return cmocka_run_group_tests(t, start, stop);
}
