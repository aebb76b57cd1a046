/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin.c - the admin API client shared by the allowlist, claim and device
 * subcommands (admin.h): options, the bearer token read from a file (never
 * from the command line, where ps would show it) and one HTTPS call
 * through librampart's client.
 */
#define _GNU_SOURCE /* SOCK_NONBLOCK */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "admin.h"
#include "cli.h"
#include "rampart/encode.h"
#include "rampart/mem.h"

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

/* A connection attempt to ai on the non-blocking fd, at most 3 s: why
 * it failed, in connect()'s words. */
static const char *probe(int fd, const struct evutil_addrinfo *ai)
{
	struct pollfd pfd = {fd, POLLOUT, 0};
	int e = 0;
	socklen_t len = sizeof e;

	if (fd < 0)
		return strerror(errno);
	if (connect(fd, ai->ai_addr, (socklen_t)ai->ai_addrlen) == 0)
		e = 0;
	else if (errno != EINPROGRESS)
		e = errno;
	else if (poll(&pfd, 1, 3000) != 1)
		return "no answer to the connection: a firewall?";
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e != 0)
		return strerror(e);
	return "it takes connections but gave no HTTPS answer: is it "
	       "rampartd, and is this its port?";
}

/*
 * Why the server at url could not be asked, in words a user can act on:
 * for a failed connection the reason connect() gives now (the HTTP
 * client reports only that no answer came), for TLS what to trust.
 */
static void explain_transport(const struct admin_opts *o, const char *url,
                              rp_err rc)
{
	struct evhttp_uri *u = evhttp_uri_parse(o->server);
	struct evutil_addrinfo hints, *ai = NULL;
	char port[8];
	const char *why = "no answer";
	int fd = -1, p = u ? evhttp_uri_get_port(u) : -1;

	if (rc == RP_E_TLS_UNTRUSTED) {
		if (o->ca == NULL)
			fprintf(stderr,
			        "rampart: TLS with %s failed: the server's "
			        "certificate is not trusted; give the fleet "
			        "root (rampartd's DATA_DIR/pki/root.pem) with "
			        "--ca or RAMPART_CA\n",
			        o->server);
		else
			fprintf(
			    stderr,
			    "rampart: TLS with %s failed: the server's "
			    "certificate does not verify against %s (another "
			    "fleet's root? a host name not in the "
			    "certificate: see [pki] server_names)\n",
			    o->server, o->ca);
		goto out;
	}
	if (rc == RP_E_TIMEOUT) {
		fprintf(stderr,
		        "rampart: %s did not answer in time (is rampartd "
		        "overloaded or stopped?)\n",
		        url);
		goto out;
	}
	if (u != NULL && evhttp_uri_get_host(u) != NULL) {
		snprintf(port, sizeof port, "%d", p > 0 ? p : 443);
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = EVUTIL_AI_NUMERICSERV;
		if (evutil_getaddrinfo(evhttp_uri_get_host(u), port, &hints,
		                       &ai) != 0 ||
		    ai == NULL) {
			why = "its host name does not resolve";
		} else {
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK,
			            0);
			why = probe(fd, ai);
		}
	}
	fprintf(stderr,
	        "rampart: cannot reach rampartd at %s: is it running? "
	        "(%s)\n",
	        o->server, why);
out:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	if (u != NULL)
		evhttp_uri_free(u);
}

/* RP_OK when server is an https:// URL with a host; else says why. */
static int check_server(const char *server)
{
	struct evhttp_uri *u = evhttp_uri_parse(server);
	const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
	int ok =
	    scheme != NULL && evutil_ascii_strcasecmp(scheme, "https") == 0 &&
	    evhttp_uri_get_host(u) != NULL && evhttp_uri_get_host(u)[0] != '\0';

	if (!ok && scheme != NULL &&
	    evutil_ascii_strcasecmp(scheme, "http") == 0)
		fprintf(stderr,
		        "rampart: --server %s: rampartd speaks HTTPS "
		        "only; use https://\n",
		        server);
	else if (!ok)
		fprintf(stderr,
		        "rampart: --server wants a URL such as "
		        "https://rampart.example:8443, not '%s'\n",
		        server);
	if (u != NULL)
		evhttp_uri_free(u);
	return ok ? 0 : -1;
}

/* The server's message: its JSON "error", or its text without the line
 * end; "" when there is none. */
static void server_message(const json_t *j, const struct rp_http_response *r,
                           char *out, size_t cap)
{
	const json_t *err = j ? json_object_get(j, "error") : NULL;
	const char *m;
	size_t n;

	/* what the server says reaches a terminal: escaped (rp_escape), so
	 * a control sequence in it cannot rewrite the screen */
	if (json_is_string(err)) {
		m = json_string_value(err);
		n = json_string_length(err);
	} else {
		m = r->body != NULL ? (const char *)r->body : "";
		n = strcspn(m, "\r\n");
	}
	(void)rp_escape(out, cap, m, n);
}

/* RAMPART_HTTP_TIMEOUT_MS, when a positive number; else 0 (the
 * client's default). */
static int timeout_ms(void)
{
	const char *e = getenv("RAMPART_HTTP_TIMEOUT_MS");
	char *end;
	long v;

	if (e == NULL)
		return 0;
	errno = 0;
	v = strtol(e, &end, 10);
	if (errno != 0 || end == e || *end != '\0' || v <= 0 || v > 86400000)
		return 0;
	return (int)v;
}

int admin_call(const struct admin_opts *o, const char *method, const char *path,
               const char *ctype, const void *body, size_t len, json_t **out)
{
	struct rp_http_request req;
	struct rp_http_response resp;
	SSL_CTX *ctx = NULL;
	char url[1024], tok[256];
	json_t *j = NULL;
	char msg[512];
	json_error_t jerr;
	int code = CLI_ERROR;
	rp_err rc;

	*out = NULL;
	memset(&resp, 0, sizeof resp);
	if (o->status != NULL)
		*o->status = 0;
	if (o->server == NULL || o->token_file == NULL) {
		fprintf(stderr, "rampart: need --server URL and --token-file "
		                "FILE (or RAMPART_SERVER, "
		                "RAMPART_TOKEN_FILE)\n");
		return CLI_ERROR;
	}
	if (check_server(o->server) != 0)
		return CLI_ERROR;
	if (snprintf(url, sizeof url, "%s%s", o->server, path) >=
	    (int)sizeof url) {
		fprintf(stderr, "rampart: URL too long\n");
		return CLI_ERROR;
	}
	if (read_token(o->token_file, tok, sizeof tok) != 0)
		goto out;
	rc = rp_http_tls_ctx(o->ca, NULL, NULL, &ctx);
	if (rc != RP_OK) {
		if (o->ca != NULL)
			fprintf(stderr, "rampart: --ca %s: %s\n", o->ca,
			        rc == RP_E_IO ? "cannot read it"
			                      : "not a PEM certificate");
		else
			fprintf(stderr, "rampart: TLS setup: %s\n",
			        rp_strerror(rc));
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
	req.timeout_ms = timeout_ms();
	rc = rp_http_request(ctx, &req, &resp);
	if (rc == RP_E_HTTP || rc == RP_E_TLS || rc == RP_E_TLS_UNTRUSTED ||
	    rc == RP_E_TIMEOUT) {
		explain_transport(o, url, rc);
		goto out;
	}
	if (rc != RP_OK) {
		fprintf(stderr, "rampart: %s %s: %s\n", method, url,
		        rp_strerror(rc));
		goto out;
	}
	if (o->status != NULL)
		*o->status = resp.status;
	j = json_loadb((const char *)resp.body, resp.body_len, 0, &jerr);
	if (resp.status >= 200 && resp.status < 300 && j != NULL) {
		*out = j;
		j = NULL;
		code = CLI_OK;
		goto out;
	}
	server_message(j, &resp, msg, sizeof msg);
	if (o->quiet && resp.status >= 400 && resp.status < 500)
		; /* the caller says what it means */
	else if (resp.status == 401)
		fprintf(stderr,
		        "rampart: rampartd refused the token in %s (401): "
		        "is it this rampartd's setup token?\n",
		        o->token_file);
	else
		fprintf(stderr, "rampart: %s%s(%d)\n", msg, msg[0] ? " " : "",
		        resp.status);
	code = resp.status >= 400 && resp.status < 500 ? CLI_NO : CLI_ERROR;
out:
	rp_wipe(tok, sizeof tok);
	json_decref(j);
	rp_http_response_free(&resp);
	SSL_CTX_free(ctx);
	return code;
}
