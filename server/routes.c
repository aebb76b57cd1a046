/* SPDX-License-Identifier: Apache-2.0 */
/*
 * routes.c - the one request callback of rampartd: maps a path to its
 * handler and fences claim certificates, which are good for
 * /.well-known/est/simpleenroll and refused on every other route.
 */
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "http/http.h"
#include "rampart/log.h"
#include "rampartd.h"

#define EST "/.well-known/est/"

void rd_refuse(struct rampartd *rd, struct evhttp_request *req,
               const char *route, const char *subject, rp_err reason, int code,
               const char *detail)
{
	char peer[80];
	const char *msg;

	http_peer_addr(req, peer, sizeof peer);
	rp_log_warn("refused %s from %s%s%s: %s (%s)", route, peer,
	            subject ? " for " : "", subject ? subject : "",
	            rp_errname(reason), detail ? detail : "");
	if (store_refusal_add(rd->store, route, peer, subject, reason,
	                      detail) != RP_OK)
		rp_log_error("could not record the refusal above");
	switch (code) {
	case 400:
		msg = "bad request";
		break;
	case 401:
		msg = "authentication required";
		break;
	case 413:
		msg = "request too large";
		break;
	case 415:
		msg = "unsupported media type";
		break;
	case 404:
		msg = "not found";
		break;
	default:
		msg = "request refused";
		break;
	}
	http_reply_text(req, code, msg);
}

void routes_dispatch(struct evhttp_request *req, void *arg)
{
	struct rampartd *rd = arg;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	char path[512];
	size_t n;
	X509 *peer;

	/* the path without a query */
	n = strcspn(uri ? uri : "", "?");
	if (uri == NULL || n >= sizeof path) {
		http_reply_text(req, 414, "request URI too long");
		return;
	}
	memcpy(path, uri, n);
	path[n] = '\0';
	peer = http_peer_cert(req);
	if (peer != NULL && est_is_claim(rd->ca, peer) &&
	    strcmp(path, EST "simpleenroll") != 0) {
		rd_refuse(rd, req, path, NULL, RP_E_CLAIM, 403,
		          "claim certificate used outside simpleenroll");
		return;
	}
	if (strcmp(path, EST "cacerts") == 0 && m == EVHTTP_REQ_GET) {
		est_cacerts(rd, req);
	} else if (strcmp(path, EST "simpleenroll") == 0 &&
	           m == EVHTTP_REQ_POST) {
		est_enroll(rd, req, 0);
	} else if (strcmp(path, EST "simplereenroll") == 0 &&
	           m == EVHTTP_REQ_POST) {
		est_enroll(rd, req, 1);
	} else if (strcmp(path, "/pki/crl") == 0 && m == EVHTTP_REQ_GET) {
		est_crl(rd, req);
	} else if (strncmp(path, "/api/v1/", 8) == 0) {
		admin_handle(rd, req, path);
	} else {
		http_reply_text(req, 404, "not found");
	}
}
