/* SPDX-License-Identifier: Apache-2.0 */
/*
 * est.c - the EST client (RFC 7030) of rampart-agent: base64 DER PKCS#10
 * out, base64 PKCS#7 certs-only in, over the librampart HTTPS client.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>

#include "est.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"
#include "rampart/http.h"
#include "rampart/log.h"

#define EST_PATH "/.well-known/est/"

rp_err est_parse_certs(const uint8_t *body, size_t len, STACK_OF(X509) * *certs)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t dlen = 0, start = 0, end = len;
	PKCS7 *p7 = NULL;
	STACK_OF(X509) *in = NULL, *out = NULL;
	int i;
	rp_err rc = RP_E_EST_REPLY;

	*certs = NULL;
	if (len == 0 || len > EST_MAX_REPLY)
		goto out;
	/* Surrounding white space is not part of the base64. */
	while (start < end && (body[start] == ' ' || body[start] == '\r' ||
	                       body[start] == '\n' || body[start] == '\t'))
		start++;
	while (end > start && (body[end - 1] == ' ' || body[end - 1] == '\r' ||
	                       body[end - 1] == '\n' || body[end - 1] == '\t'))
		end--;
	der = rp_malloc(len);
	if (der == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	if (rp_b64_decode((const char *)body + start, end - start, RP_B64_STD,
	                  " \r\n\t", der, len, &dlen) != RP_OK ||
	    dlen == 0 || dlen > INT_MAX)
		goto out;
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)dlen);
	/* certs-only: SignedData with certificates and nothing after it. */
	if (p7 == NULL || p != der + dlen || !PKCS7_type_is_signed(p7) ||
	    p7->d.sign == NULL)
		goto out;
	in = p7->d.sign->cert;
	if (in == NULL || sk_X509_num(in) < 1)
		goto out;
	out = sk_X509_new_null();
	if (out == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(in); i++) {
		X509 *x = sk_X509_value(in, i);

		if (!X509_up_ref(x))
			goto out;
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			goto out;
		}
	}
	*certs = out;
	out = NULL;
	rc = RP_OK;
out:
	if (rc != RP_OK)
		ERR_clear_error();
	sk_X509_pop_free(out, X509_free);
	PKCS7_free(p7);
	free(der);
	return rc;
}

/* base + EST_PATH + op, in out. Trailing '/' of base ignored. */
static rp_err est_url(const char *base, const char *op, char *out, size_t cap)
{
	size_t n = strlen(base);
	int w;

	while (n > 0 && base[n - 1] == '/')
		n--;
	w = snprintf(out, cap, "%.*s" EST_PATH "%s", (int)n, base, op);
	return w < 0 || (size_t)w >= cap ? RP_E_INVAL : RP_OK;
}

rp_err est_cacerts(SSL_CTX *ctx, const char *base, STACK_OF(X509) * *certs)
{
	struct rp_http_request req;
	struct rp_http_response resp;
	char url[1024];
	rp_err rc;

	*certs = NULL;
	memset(&resp, 0, sizeof resp);
	rc = est_url(base, "cacerts", url, sizeof url);
	if (rc != RP_OK)
		return rc;
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	req.max_response = EST_MAX_REPLY;
	rc = rp_http_request(ctx, &req, &resp);
	if (rc != RP_OK)
		rp_log(RP_LOG_WARN, "EST %s: %s", url, rp_strerror(rc));
	if (rc == RP_E_INVAL)
		return rc;
	if (rc != RP_OK)
		return RP_E_EST_UNREACHABLE;
	if (resp.status != 200)
		rc = RP_E_EST_REFUSED;
	else
		rc = est_parse_certs(resp.body, resp.body_len, certs);
	rp_http_response_free(&resp);
	return rc;
}

/* The answer to simple(re)enroll: one certificate in *cert. */
static rp_err enroll_answer(int status, const uint8_t *body, size_t len,
                            X509 **cert)
{
	STACK_OF(X509) *certs = NULL;
	rp_err rc = RP_E_EST_REFUSED;

	*cert = NULL;
	if (status != 200)
		goto out;
	rc = est_parse_certs(body, len, &certs);
	if (rc != RP_OK)
		goto out;
	/* RFC 7030 4.2.3: the answer holds the issued certificate only. */
	if (sk_X509_num(certs) != 1) {
		rc = RP_E_EST_REPLY;
		goto out;
	}
	*cert = sk_X509_shift(certs);
out:
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* The request of simple(re)enroll: *req's url in url, body in *b64
 * (malloc'd, the caller's). */
static rp_err enroll_request(const char *base, bool reenroll,
                             const uint8_t *csr, size_t csr_len, char *url,
                             size_t cap, char **b64,
                             struct rp_http_request *req)
{
	size_t blen;
	rp_err rc;

	*b64 = NULL;
	rc = est_url(base, reenroll ? "simplereenroll" : "simpleenroll", url,
	             cap);
	if (rc != RP_OK)
		return rc;
	/* RFC 7030 4.2.1: the body is the base64 of the DER PKCS#10. */
	blen = rp_b64_len(csr_len, RP_B64_STD);
	*b64 = rp_malloc(blen);
	if (*b64 == NULL)
		return RP_E_NOMEM;
	rc = rp_b64_encode(csr, csr_len, RP_B64_STD, *b64, blen);
	if (rc != RP_OK)
		return rc;
	memset(req, 0, sizeof *req);
	req->method = "POST";
	req->url = url;
	req->content_type = "application/pkcs10";
	req->body = *b64;
	req->body_len = strlen(*b64);
	req->max_response = EST_MAX_REPLY;
	return RP_OK;
}

rp_err est_enroll(SSL_CTX *ctx, const char *base, bool reenroll,
                  const uint8_t *csr, size_t csr_len, int timeout_ms,
                  X509 **cert, int *status)
{
	struct rp_http_request req;
	struct rp_http_response resp;
	char url[1024], *b64 = NULL;
	rp_err rc;

	*cert = NULL;
	*status = 0;
	memset(&resp, 0, sizeof resp);
	rc = enroll_request(base, reenroll, csr, csr_len, url, sizeof url, &b64,
	                    &req);
	if (rc != RP_OK)
		goto out;
	req.timeout_ms = timeout_ms;
	rc = rp_http_request(ctx, &req, &resp);
	if (rc != RP_OK) {
		rp_log(RP_LOG_WARN, "EST %s: %s", url, rp_strerror(rc));
		if (rc != RP_E_INVAL)
			rc = RP_E_EST_UNREACHABLE;
		goto out;
	}
	*status = resp.status;
	rc = enroll_answer(resp.status, resp.body, resp.body_len, cert);
out:
	rp_http_response_free(&resp);
	free(b64);
	return rc;
}

struct est_call {
	rp_http_call *http; /* owned by the HTTP client until it ends */
	est_enroll_cb cb;
	void *arg;
	uint8_t body[EST_MAX_REPLY];
	size_t len;
	char url[1024];
};

static rp_err call_body(void *arg, const void *data, size_t len)
{
	struct est_call *c = arg;

	/* the client bounds the body by max_response = sizeof body */
	if (len > sizeof c->body - c->len)
		return RP_E_TOO_BIG;
	memcpy(c->body + c->len, data, len);
	c->len += len;
	return RP_OK;
}

static void call_done(void *arg, rp_err rc, int status)
{
	struct est_call *c = arg;
	X509 *cert = NULL;

	if (rc != RP_OK) {
		rp_log(RP_LOG_WARN, "EST %s: %s", c->url, rp_strerror(rc));
		rc = RP_E_EST_UNREACHABLE;
	} else {
		rc = enroll_answer(status, c->body, c->len, &cert);
	}
	c->cb(c->arg, rc, cert, status);
	free(c);
}

rp_err est_enroll_start(struct event_base *evb, SSL_CTX *ctx, const char *base,
                        bool reenroll, const uint8_t *csr, size_t csr_len,
                        int timeout_ms, est_enroll_cb cb, void *arg,
                        struct est_call **out)
{
	struct est_call *c = NULL; /* owned here until started */
	struct rp_http_request req;
	struct rp_http_callbacks hc = {NULL, call_body, call_done, NULL};
	char *b64 = NULL;
	rp_err rc = RP_E_NOMEM;

	*out = NULL;
	c = rp_calloc(1, sizeof *c);
	if (c == NULL)
		goto out;
	c->cb = cb;
	c->arg = arg;
	hc.arg = c;
	rc = enroll_request(base, reenroll, csr, csr_len, c->url, sizeof c->url,
	                    &b64, &req);
	if (rc != RP_OK)
		goto out;
	req.timeout_ms = timeout_ms;
	rc = rp_http_start(evb, ctx, &req, NULL, &hc, &c->http);
	if (rc != RP_OK)
		goto out;
	*out = c;
	c = NULL; /* freed by call_done or est_enroll_cancel */
out:
	free(b64);
	free(c);
	return rc;
}

void est_enroll_cancel(struct est_call *c)
{
	if (c == NULL)
		return;
	rp_http_cancel(c->http);
	free(c);
}
