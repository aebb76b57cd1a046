/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rampartd_http.c - librampart's HTTPS client (rampart/http.h)
 * against a real rampartd: answers with any status come back whole; the
 * server certificate and host name are checked; the response is bounded;
 * bad URLs and methods are refused before connecting; a closed port and a
 * server that never answers fail with their own codes.
 */
#define _POSIX_C_SOURCE 200809L
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "cmocka_all.h"
#include "rampart/http.h"
#include "rpt.h"

static char dir[512], root[600], claim_ca[600], token[128], base[64];
static int port;
static struct rpt_proc rd;

static int start(void **state)
{
	char bin[600], data[560], tokfile[560], log[560], portstr[16];
	char *tok;
	size_t n;

	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(bin, sizeof bin, "%s/rampartd", rpt_bin_dir());
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(tokfile, sizeof tokfile, "%s/token", dir);
	snprintf(log, sizeof log, "%s/rd.log", dir);
	port = rpt_free_port();
	snprintf(portstr, sizeof portstr, "%d", port);
	char *argv[] = {bin,      "--foreground", "--data-dir",         data,
	                "--port", portstr,        "--setup-token-file", tokfile,
	                NULL};
	if (rpt_start(&rd, argv, log, NULL) != 0 ||
	    !rpt_wait_port(&rd, port, RPT_DEADLINE_MS))
		return -1;
	tok = rpt_read_file(tokfile, &n);
	if (tok == NULL)
		return -1;
	tok[strcspn(tok, "\n")] = '\0';
	snprintf(token, sizeof token, "%s", tok);
	free(tok);
	snprintf(root, sizeof root, "%s/pki/root.pem", data);
	snprintf(claim_ca, sizeof claim_ca, "%s/pki/claim-ca.pem", data);
	snprintf(base, sizeof base, "https://127.0.0.1:%d", port);
	return 0;
}

static int stop(void **state)
{
	(void)state;
	rpt_stop(&rd, 5000);
	return 0;
}

static rp_err get(SSL_CTX *ctx, const char *url, size_t max,
                  struct rp_http_response *r)
{
	struct rp_http_request q;

	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = url;
	q.max_response = max;
	q.timeout_ms = 10000;
	return rp_http_request(ctx, &q, r);
}

static void test_get_and_bound(void **state)
{
	SSL_CTX *ctx = NULL;
	struct rp_http_response r;
	char url[128];

	(void)state;
	assert_int_equal(rp_http_tls_ctx(root, NULL, NULL, &ctx), RP_OK);
	snprintf(url, sizeof url, "%s/.well-known/est/cacerts", base);
	assert_int_equal(get(ctx, url, 0, &r), RP_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.content_type, "application/pkcs7-mime"));
	assert_true(r.body_len > 500);
	assert_int_equal(r.body[r.body_len], '\0');
	rp_http_response_free(&r);
	/* the same answer above a 100-byte ceiling */
	assert_int_equal(get(ctx, url, 100, &r), RP_E_TOO_BIG);
	assert_null(r.body);
	/* by host name: rampartd's certificate names localhost */
	snprintf(url, sizeof url, "https://localhost:%d/pki/crl", port);
	assert_int_equal(get(ctx, url, 0, &r), RP_OK);
	assert_int_equal(r.status, 200);
	rp_http_response_free(&r);
	/* an error status is an answer, with its body */
	snprintf(url, sizeof url, "%s/nowhere", base);
	assert_int_equal(get(ctx, url, 0, &r), RP_OK);
	assert_int_equal(r.status, 404);
	rp_http_response_free(&r);
	SSL_CTX_free(ctx);
}

static void test_bearer_post(void **state)
{
	SSL_CTX *ctx = NULL;
	struct rp_http_request q;
	struct rp_http_response r;
	char url[128];
	static const char csv[] = "SN-H1,tpm2,,g,\n";

	(void)state;
	assert_int_equal(rp_http_tls_ctx(root, NULL, NULL, &ctx), RP_OK);
	snprintf(url, sizeof url, "%s/api/v1/allowlist", base);
	memset(&q, 0, sizeof q);
	q.method = "POST";
	q.url = url;
	q.content_type = "text/csv";
	q.body = csv;
	q.body_len = strlen(csv);
	q.bearer = token;
	assert_int_equal(rp_http_request(ctx, &q, &r), RP_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr((char *)r.body, "\"imported\":1"));
	rp_http_response_free(&r);
	q.bearer = "wrong";
	assert_int_equal(rp_http_request(ctx, &q, &r), RP_OK);
	assert_int_equal(r.status, 401);
	rp_http_response_free(&r);
	SSL_CTX_free(ctx);
}

static void test_refusals(void **state)
{
	SSL_CTX *ctx = NULL, *other = NULL;
	struct rp_http_request q;
	struct rp_http_response r;
	char url[128];
	int fd;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;

	(void)state;
	assert_int_equal(rp_http_tls_ctx(root, NULL, NULL, &ctx), RP_OK);
	/* a server certificate outside the trusted CA */
	assert_int_equal(rp_http_tls_ctx(claim_ca, NULL, NULL, &other), RP_OK);
	snprintf(url, sizeof url, "%s/pki/crl", base);
	assert_int_equal(get(other, url, 0, &r), RP_E_TLS);
	/* a key that does not match the certificate */
	SSL_CTX_free(other);
	other = NULL;
	assert_int_equal(rp_http_tls_ctx(root, root, claim_ca, &other),
	                 RP_E_TLS);
	assert_null(other);
	/* URL and method checked before connecting */
	assert_int_equal(get(ctx, "http://127.0.0.1/", 0, &r), RP_E_INVAL);
	assert_int_equal(get(ctx, "https:///x", 0, &r), RP_E_INVAL);
	assert_int_equal(get(ctx, "not a url", 0, &r), RP_E_INVAL);
	memset(&q, 0, sizeof q);
	q.method = "PUT";
	q.url = url;
	assert_int_equal(rp_http_request(ctx, &q, &r), RP_E_INVAL);
	/* nobody listening */
	snprintf(url, sizeof url, "https://127.0.0.1:%d/", rpt_free_port());
	assert_int_equal(get(ctx, url, 0, &r), RP_E_HTTP);
	/* a peer that accepts the connection and never answers */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof url, "https://127.0.0.1:%d/", ntohs(sa.sin_port));
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = url;
	q.timeout_ms = 300;
	assert_int_equal(rp_http_request(ctx, &q, &r), RP_E_TIMEOUT);
	close(fd);
	SSL_CTX_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_and_bound),
	    cmocka_unit_test(test_bearer_post),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, start, stop);
}
