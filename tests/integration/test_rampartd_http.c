/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rampartd_http.c - librampart's HTTPS client (rampart/http.h)
 * against a real rampartd: answers with any status come back whole; the
 * server certificate and host name are checked; the response is bounded;
 * bad URLs and methods are refused before connecting; a closed port and a
 * server that never answers fail with their own codes. The name check on
 * its own: `openssl s_server` presents certificates that rampartd's own
 * issuing CA signed for other names (made with openssl x509), so the chain
 * is trusted and only the URL's host name or IP can make the handshake
 * fail; each server is also reached by the name it does carry, so a
 * failure cannot come from anything but the name. rampartd's own
 * certificate carries [pki] server_names after its fixed names.
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
static char issuing[600], issuing_key[600];
static int port;
static struct rpt_proc rd;

static int start(void **state)
{
	char bin[600], data[560], tokfile[560], log[560], portstr[16];
	char conf[560];
	char *tok;
	size_t n;
	/* extra names for rampartd's certificate (test_server_names) */
	static const char ini[] = "[pki]\n"
	                          "server_names = rampart-a.invalid,,"
	                          "rampart-b.invalid\n";

	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(bin, sizeof bin, "%s/rampartd", rpt_bin_dir());
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(tokfile, sizeof tokfile, "%s/token", dir);
	snprintf(log, sizeof log, "%s/rd.log", dir);
	snprintf(conf, sizeof conf, "%s/rampartd.conf", dir);
	if (rpt_write_file(conf, ini, strlen(ini), 0600) != 0)
		return -1;
	port = rpt_free_port();
	snprintf(portstr, sizeof portstr, "%d", port);
	char *argv[] = {
	    bin,     "--foreground",       "--data-dir", data,       "--port",
	    portstr, "--setup-token-file", tokfile,      "--config", conf,
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
	snprintf(issuing, sizeof issuing, "%s/pki/issuing.pem", data);
	snprintf(issuing_key, sizeof issuing_key, "%s/pki/issuing.key", data);
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
	assert_int_equal(get(other, url, 0, &r), RP_E_TLS_UNTRUSTED);
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
	q.method = "PATCH";
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

/* run argv (openssl) to completion; its output on failure. */
static void run(char *const argv[])
{
	char *out = NULL;
	int rc = rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS);

	if (rc != 0)
		fprintf(stderr, "%s %s: %s\n", argv[0], argv[1],
		        out ? out : "");
	free(out);
	assert_int_equal(rc, 0);
}

/*
 * A TLS server certificate NAME.pem (key NAME.key) from rampartd's issuing
 * CA with subject CN=cn and subjectAltName san, and `openssl s_server -www`
 * presenting it (with the issuing CA as its chain) on a free sport.
 */
static int serve_as(struct rpt_proc *p, const char *name, const char *cn,
                    const char *san)
{
	char cert[600], key[600], csr[600], ext[600], log[600], subj[128];
	char text[512], accept[32];
	int sport = rpt_free_port();

	snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
	snprintf(key, sizeof key, "%s/%s.key", dir, name);
	snprintf(csr, sizeof csr, "%s/%s.csr", dir, name);
	snprintf(ext, sizeof ext, "%s/%s.ext", dir, name);
	snprintf(log, sizeof log, "%s/%s.log", dir, name);
	snprintf(subj, sizeof subj, "/CN=%s", cn);
	snprintf(text, sizeof text,
	         "basicConstraints=critical,CA:FALSE\n"
	         "keyUsage=critical,digitalSignature\n"
	         "extendedKeyUsage=serverAuth\n"
	         "subjectAltName=%s\n",
	         san);
	assert_int_equal(rpt_write_file(ext, text, strlen(text), 0600), 0);
	char *req[] = {"openssl",
	               "req",
	               "-new",
	               "-newkey",
	               "ec",
	               "-pkeyopt",
	               "ec_paramgen_curve:P-256",
	               "-nodes",
	               "-keyout",
	               key,
	               "-subj",
	               subj,
	               "-out",
	               csr,
	               NULL};
	run(req);
	char *sign[] = {
	    "openssl", "x509",  "-req",     "-in",       csr,
	    "-CA",     issuing, "-CAkey",   issuing_key, "-CAcreateserial",
	    "-days",   "2",     "-extfile", ext,         "-out",
	    cert,      NULL};
	run(sign);
	snprintf(accept, sizeof accept, "127.0.0.1:%d", sport);
	char *srv[] = {"openssl",     "s_server", "-quiet", "-www", "-accept",
	               accept,        "-cert",    cert,     "-key", key,
	               "-cert_chain", issuing,    NULL};
	assert_int_equal(rpt_start(p, srv, log, NULL), 0);
	assert_true(rpt_wait_port(p, sport, RPT_DEADLINE_MS));
	return sport;
}

/* GET https://HOST:sport/ with rampartd's root as the only trust: the
 * verdict; on RP_OK, s_server's answer must be 200. */
static rp_err get_at(SSL_CTX *ctx, const char *host, int sport)
{
	struct rp_http_response r;
	char url[128];
	rp_err rc;

	snprintf(url, sizeof url, "https://%s:%d/", host, sport);
	rc = get(ctx, url, 0, &r);
	if (rc == RP_OK) {
		assert_int_equal(r.status, 200);
		rp_http_response_free(&r);
	}
	return rc;
}

/*
 * The client checks the certificate against the URL's host: a trusted
 * certificate for another name, or without the IP asked for, is refused
 * (RP_E_TLS_UNTRUSTED); the subject CN does not count where there is a
 * SAN.
 */
static void test_wrong_names(void **state)
{
	static const struct {
		const char *name, *cn, *san;
		rp_err by_name,
		    by_ip; /* https://localhost, https://127.0.0.1 */
	} cases[] = {
	    /* another host name; CN=localhost is ignored beside the SAN */
	    {"other-name", "localhost", "DNS:rampart.invalid",
	     RP_E_TLS_UNTRUSTED, RP_E_TLS_UNTRUSTED},
	    /* a host name only: localhost is fine, its IP is not in the SAN */
	    {"dns-only", "rampart", "DNS:localhost", RP_OK, RP_E_TLS_UNTRUSTED},
	    /* another IP (and a DNS SAN that is no host here) */
	    {"other-ip", "127.0.0.1", "IP:127.0.0.2,DNS:rampart.invalid",
	     RP_E_TLS_UNTRUSTED, RP_E_TLS_UNTRUSTED},
	    /* the IP only: 127.0.0.1 is fine, the name localhost is not in it
	     */
	    {"ip-only", "rampart", "IP:127.0.0.1", RP_E_TLS_UNTRUSTED, RP_OK},
	};
	SSL_CTX *ctx = NULL;
	struct rpt_proc p;
	size_t i;
	int sport;

	(void)state;
	assert_int_equal(rp_http_tls_ctx(root, NULL, NULL, &ctx), RP_OK);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sport = serve_as(&p, cases[i].name, cases[i].cn, cases[i].san);
		assert_int_equal(get_at(ctx, "localhost", sport),
		                 cases[i].by_name);
		assert_int_equal(get_at(ctx, "127.0.0.1", sport),
		                 cases[i].by_ip);
		rpt_stop(&p, 5000);
	}
	SSL_CTX_free(ctx);
}

/* rampartd's certificate: its fixed names, then [pki] server_names
 * (empty items skipped), as openssl reads them. */
static void test_server_names(void **state)
{
	char pem[600], *out = NULL;

	(void)state;
	snprintf(pem, sizeof pem, "%s/data/pki/server.pem", dir);
	char *argv[] = {"openssl", "x509",           "-in", pem, "-noout",
	                "-ext",    "subjectAltName", NULL};
	assert_int_equal(rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS), 0);
	assert_non_null(strstr(out, "DNS:localhost, IP Address:127.0.0.1, "
	                            "IP Address:0:0:0:0:0:0:0:1, "
	                            "DNS:rampart-a.invalid, "
	                            "DNS:rampart-b.invalid\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_and_bound),
	    cmocka_unit_test(test_bearer_post),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_wrong_names),
	    cmocka_unit_test(test_server_names),
	};
	return cmocka_run_group_tests(tests, start, stop);
}
