/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin.c - the admin API client shared by the allowlist, claim and device
 * subcommands (admin.h): options, the bearer token read from a file (never
 * from the command line, where ps would show it) and one HTTPS call
 * through librampart's client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "admin.h"
#include "cli.h"
#include "rampart/mem.h"

void admin_opts_init(struct admin_opts *o)
{
	memset(o, 0, sizeof *o);
	o->server = getenv("RAMPART_SERVER");
	o->token_file = getenv("RAMPART_TOKEN_FILE");
	o->ca = getenv("RAMPART_CA");
}

int admin_opt(struct admin_opts *o, int argc, char **argv, int *i)
{
	const char **dst = NULL;
	const char *a = argv[*i];

	if (strcmp(a, "--json") == 0) {
		o->json = 1;
		(*i)++;
		return 1;
	}
	if (strcmp(a, "--server") == 0)
		dst = &o->server;
	else if (strcmp(a, "--token-file") == 0)
		dst = &o->token_file;
	else if (strcmp(a, "--ca") == 0)
		dst = &o->ca;
	else
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "rampart: %s needs a value\n", a);
		return -1;
	}
	*dst = argv[*i + 1];
	*i += 2;
	return 1;
}

long long admin_duration(const char *s)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (*end == 's')
		mul = 1;
	else if (*end == 'm')
		mul = 60;
	else if (*end == 'h')
		mul = 3600;
	else if (*end == 'd')
		mul = 86400;
	else if (*end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > (long long)1e12 / mul)
		return -1;
	return v * mul;
}

/* The first line of the token file into tok (cap bytes). */
static int read_token(const char *path, char *tok, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "rampart: cannot read token file %s: %s\n",
		        path, strerror(errno));
		return -1;
	}
	if (fgets(tok, (int)cap, f) == NULL) {
		fclose(f);
		fprintf(stderr, "rampart: token file %s is empty\n", path);
		return -1;
	}
	fclose(f);
	n = strcspn(tok, "\r\n");
	tok[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "rampart: token file %s is empty\n", path);
		return -1;
	}
	return 0;
}

int admin_call(const struct admin_opts *o, const char *method, const char *path,
               const char *ctype, const void *body, size_t len, json_t **out)
{
	struct rp_http_request req;
	struct rp_http_response resp;
	SSL_CTX *ctx = NULL;
	char url[1024], tok[256];
	json_t *j = NULL, *err;
	json_error_t jerr;
	int code = CLI_ERROR;
	rp_err rc;

	*out = NULL;
	memset(&resp, 0, sizeof resp);
	if (o->server == NULL || o->token_file == NULL) {
		fprintf(stderr, "rampart: need --server URL and --token-file "
		                "FILE (or RAMPART_SERVER, "
		                "RAMPART_TOKEN_FILE)\n");
		return CLI_ERROR;
	}
	if (snprintf(url, sizeof url, "%s%s", o->server, path) >=
	    (int)sizeof url) {
		fprintf(stderr, "rampart: URL too long\n");
		return CLI_ERROR;
	}
	if (read_token(o->token_file, tok, sizeof tok) != 0)
		goto out;
	rc = rp_http_tls_ctx(o->ca, NULL, NULL, &ctx);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart: TLS setup: %s\n", rp_strerror(rc));
		goto out;
	}
	memset(&req, 0, sizeof req);
	req.method = method;
	req.url = url;
	req.content_type = ctype;
	req.body = body;
	req.body_len = len;
	req.bearer = tok;
	req.max_response = 64 * 1024 * 1024;
	rc = rp_http_request(ctx, &req, &resp);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart: %s %s: %s\n", method, url,
		        rp_strerror(rc));
		goto out;
	}
	j = json_loadb((const char *)resp.body, resp.body_len, 0, &jerr);
	if (resp.status >= 200 && resp.status < 300 && j != NULL) {
		*out = j;
		j = NULL;
		code = CLI_OK;
		goto out;
	}
	err = j ? json_object_get(j, "error") : NULL;
	fprintf(stderr, "rampart: server answered %d: %s\n", resp.status,
	        json_is_string(err) ? json_string_value(err)
	                            : (const char *)resp.body);
	code = resp.status >= 400 && resp.status < 500 ? CLI_NO : CLI_ERROR;
out:
	rp_wipe(tok, sizeof tok);
	json_decref(j);
	rp_http_response_free(&resp);
	SSL_CTX_free(ctx);
	return code;
}
