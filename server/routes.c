/* SPDX-License-Identifier: Apache-2.0 */
/*
 * routes.c - rampartd's route table and its one request callback: every
 * route with its method, path, permission, body limit and handler (EST in
 * est/est.c, the admin API in api/). A request is first fenced (a claim
 * certificate is good for simpleenroll and refused on every other route),
 * then matched (404, or 405 with Allow), then its permission is checked
 * (and a refusal recorded with the precise reason), then a device id in
 * its path, then the handler runs. The listener asks this table for a
 * request's body limit before evhttp reads its body (http/http.h), and
 * refusals go to the batched, rate-limited recorder (http/refusal.h).
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api/api.h"
#include "api/uploads.h"
#include "http/http.h"
#include "http/refusal.h"
#include "http/router.h"
#include "rampart/broker.h"
#include "rampart/log.h"
#include "rampartd.h"

#define EST "/.well-known/est/"
#define API "/api/v1/"
#define FW  "/fw/v1/"

#define GET    EVHTTP_REQ_GET
#define POST   EVHTTP_REQ_POST
#define DELETE EVHTTP_REQ_DELETE
#define PUT    EVHTTP_REQ_PUT
#define HEAD   EVHTTP_REQ_HEAD

/* Body classes of the routes (route.body). */
enum body {
	BODY_NONE,  /* no body is read */
	BODY_EST,   /* [est] max_body: a PKCS#10 request */
	BODY_CSV,   /* [admin] max_body: an allowlist import */
	BODY_JSON,  /* API_JSON_MAX: the other admin calls */
	BODY_CHUNK, /* UPLOAD_CHUNK_MAX: an upload's chunk, a release's SBOM */
};

/* Route flags (route.flags). */
#define F_DEVICE 1u /* {id} must be a device id's characters: else 404 */
#define F_ACTS   2u /* acts on a working device: a reserved id is 409 */

#define P_NONE   ROUTER_PERM_NONE
#define P_CLAIM  ROUTER_PERM_CLAIM
#define P_DEVICE ROUTER_PERM_DEVICE
#define P_ADMIN  ROUTER_PERM_ADMIN

/* A device's routes, under /api/v1/devices/ and (the older name, kept
 * for every action) /api/v1/allowlist/. */
#define DEVICE_ROUTES(c)                                                     \
	{GET, API c "/{id}", P_ADMIN, BODY_NONE, F_DEVICE, api_device_show}, \
	    {DELETE,    API c "/{id}", P_ADMIN,                              \
	     BODY_NONE, F_DEVICE,      api_allowlist_remove},                \
	    {POST,     API c "/{id}/revoke", P_ADMIN, BODY_JSON,             \
	     F_DEVICE, api_device_revoke},                                   \
	    {POST,     API c "/{id}/decommission", P_ADMIN, BODY_JSON,       \
	     F_DEVICE, api_device_decommission},                             \
	    {POST,      API c "/{id}/reprovision", P_ADMIN,                  \
	     BODY_JSON, F_DEVICE | F_ACTS,         api_device_reprovision},  \
	    {POST,      API c "/{id}/renew", P_ADMIN,                        \
	     BODY_JSON, F_DEVICE | F_ACTS,   api_device_renew},              \
	    {POST,      API c "/{id}/quarantine", P_ADMIN,                   \
	     BODY_JSON, F_DEVICE | F_ACTS,        api_device_quarantine},    \
	    {POST,      API c "/{id}/release", P_ADMIN,                      \
	     BODY_JSON, F_DEVICE | F_ACTS,     api_device_release},          \
	    {POST,      API c "/{id}/ping", P_ADMIN,                         \
	     BODY_JSON, F_DEVICE | F_ACTS,  api_device_ping},                \
	    {POST,      API c "/{id}/update", P_ADMIN,                       \
	     BODY_JSON, F_DEVICE | F_ACTS,    api_device_update_start},      \
	    {GET,      API c "/{id}/update",  P_ADMIN, BODY_NONE,            \
	     F_DEVICE, api_device_update_show},                              \
	{                                                                    \
		POST, API c "/{id}/update/cancel", P_ADMIN, BODY_JSON,       \
		    F_DEVICE | F_ACTS, api_device_update_cancel              \
	}

/* clang-format off */
static const struct route table[] = {
	/* EST, RFC 7030 */
	{GET,  EST "cacerts",        P_NONE,   BODY_NONE, 0, est_cacerts},
	{POST, EST "simpleenroll",   P_CLAIM,  BODY_EST,  0, est_simpleenroll},
	{POST, EST "simplereenroll", P_DEVICE, BODY_EST,  0, est_simplereenroll},
	{GET,  "/pki/crl",           P_NONE,   BODY_NONE, 0, est_crl},
	/* the admin API, docs/admin-api.md */
	{POST, API "allowlist", P_ADMIN, BODY_CSV,  0, api_allowlist_import},
	{GET,  API "allowlist", P_ADMIN, BODY_NONE, 0, api_allowlist_list},
	{GET,  API "devices",   P_ADMIN, BODY_NONE, 0, api_devices_list},
	DEVICE_ROUTES("devices"),
	DEVICE_ROUTES("allowlist"),
	{POST, API "claims",    P_ADMIN, BODY_JSON, 0, api_claims_create},
	{GET,  API "claims",    P_ADMIN, BODY_NONE, 0, api_claims_list},
	{POST, API "claims/{serial}/revoke", P_ADMIN, BODY_JSON, 0,
	 api_claim_revoke},
	{GET,  API "ingest",    P_ADMIN, BODY_NONE, 0, api_ingest_status},
	{GET,  API "refusals",  P_ADMIN, BODY_NONE, 0, api_refusals_list},
	{GET,  API "events",    P_ADMIN, BODY_NONE, 0, api_events_list},
	/* releases (docs/releases.md) */
	{PUT,  API "release-keys", P_ADMIN, BODY_JSON, 0, api_release_keys_set},
	{GET,  API "release-keys", P_ADMIN, BODY_NONE, 0, api_release_keys_show},
	{POST, API "uploads",      P_ADMIN, BODY_JSON, 0, api_upload_open},
	{PUT,  API "uploads/{id}", P_ADMIN, BODY_CHUNK, 0, api_upload_put},
	{GET,  API "uploads/{id}", P_ADMIN, BODY_NONE, 0, api_upload_show},
	{DELETE, API "uploads/{id}", P_ADMIN, BODY_NONE, 0, api_upload_cancel},
	{POST, API "releases",     P_ADMIN, BODY_CHUNK, 0, api_release_add},
	{GET,  API "releases",     P_ADMIN, BODY_NONE, 0, api_releases_list},
	{GET,  API "releases/{id}", P_ADMIN, BODY_NONE, 0, api_release_show},
	{DELETE, API "releases/{id}", P_ADMIN, BODY_NONE, 0, api_release_remove},
	{GET,  API "releases/{id}/sbom", P_ADMIN, BODY_NONE, 0, api_release_sbom},
	{GET,  API "releases/{id}/vulns", P_ADMIN, BODY_NONE, 0, api_release_vulns},
	{POST, API "vulns",        P_ADMIN, BODY_CHUNK, 0, api_vulns_import},
	/* firmware downloads (docs/updates.md "The download"); a delta
	 * patch's GET "/fw/v1/patch/{id}" goes here */
	{GET,  FW "{id}",          P_DEVICE, BODY_NONE, 0, api_fw_release},
	{HEAD, FW "{id}",          P_DEVICE, BODY_NONE, 0, api_fw_release},
};
/* clang-format on */

#define N_ROUTES (sizeof table / sizeof table[0])

static size_t class_limit(const struct rampartd *rd, unsigned body)
{
	switch (body) {
	case BODY_EST:
		return (size_t)rd->cfg.est_max_body;
	case BODY_CSV:
		return (size_t)rd->cfg.admin_max_body;
	case BODY_JSON:
		return API_JSON_MAX;
	case BODY_CHUNK:
		return UPLOAD_CHUNK_MAX;
	default:
		return 0;
	}
}

/* http_hooks.body_limit: a method and path without a route take none. */
static size_t body_limit(void *arg, unsigned method, const char *path)
{
	const struct route *r =
	    router_find(table, N_ROUTES, method, path, NULL, NULL);

	return r != NULL ? class_limit(arg, r->body) : 0;
}

/* http_hooks.too_big: evhttp answers 413 from the headers. */
static void too_big(void *arg, const char *path, const char *peer, size_t limit)
{
	struct rampartd *rd = arg;
	char detail[128];
	struct refusal f = {path[0] ? path : "?", peer, NULL, detail,
	                    RP_E_BODY_TOO_BIG};

	snprintf(detail, sizeof detail,
	         "body over the route's limit of %zu bytes, refused from its "
	         "headers",
	         limit);
	rd_refused(rd, &f);
}

/* The permission of r: true when proved (rr->who filled); else the
 * refusal is recorded and answered. */
static bool authorize(struct rampartd *rd, struct evhttp_request *req,
                      const struct route *r, struct router_req *rr)
{
	const char *why = "";

	switch (r->perm) {
	case ROUTER_PERM_NONE:
		return true;
	case ROUTER_PERM_CLAIM:
	case ROUTER_PERM_DEVICE:
		return est_authenticate(rd, req, r->perm == ROUTER_PERM_DEVICE,
		                        &rr->who) == RP_OK;
	case ROUTER_PERM_ADMIN:
		if (api_auth_admin(rd, req, &why) == RP_OK) {
			rr->who.perm = ROUTER_PERM_ADMIN;
			return true;
		}
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "WWW-Authenticate", "Bearer");
		rd_refuse(rd, req, rr->path, NULL, RP_E_AUTH, 401, why);
		return false;
	}
	return false;
}

/*
 * A device id in the path: 404 unless it has a device id's characters;
 * a reserved one is never a device's, so what creates or acts on a device
 * is refused (409 with why) while what shows, removes, revokes or
 * decommissions one still works, for operators to clean up
 * (docs/admin-api.md).
 */
static bool check_device(struct evhttp_request *req, const struct route *r,
                         const struct router_req *rr)
{
	const char *id = rr->param[0];
	char why[160];

	if ((r->flags & F_DEVICE) == 0)
		return true;
	if (!rp_broker_id_valid(id, strlen(id))) {
		api_not_found(req);
		return false;
	}
	if ((r->flags & F_ACTS) != 0 &&
	    rp_broker_device_id_check(id, strlen(id), why, sizeof why) !=
	        RP_OK) {
		rp_log_warn("admin: POST %s refused: %s", rr->path, why);
		api_reply_error(req, 409, why);
		return false;
	}
	return true;
}

static void no_route(struct evhttp_request *req, const char *path,
                     unsigned allow)
{
	bool api = strncmp(path, API, strlen(API)) == 0;
	char list[64];

	if (api && allow == 0) {
		api_not_found(req);
	} else if (api) {
		api_bad_method(req, allow);
	} else if (allow == 0) {
		http_reply_text(req, 404, "not found");
	} else {
		router_allow_list(allow, list, sizeof list);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Allow", list);
		http_reply_text(req, 405, "method not allowed");
	}
}

/* http_hooks.request: every request, its body read. */
static void dispatch(struct evhttp_request *req, void *arg)
{
	struct rampartd *rd = arg;
	const char *uri = evhttp_request_get_uri(req);
	char path[ROUTER_PATH_MAX + 1], detail[96];
	struct router_req rr;
	const struct route *r;
	unsigned allow = 0;
	size_t n, body, limit;
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
	r = router_find(table, N_ROUTES, evhttp_request_get_command(req), path,
	                &rr, &allow);
	if (r == NULL) {
		no_route(req, path, allow);
		return;
	}
	/* evhttp held the body to the limit the listener set from the
	 * request line; a pipelined request after another may have come
	 * in under the previous one's */
	body = evbuffer_get_length(evhttp_request_get_input_buffer(req));
	limit = class_limit(rd, r->body);
	if (body > limit) {
		snprintf(detail, sizeof detail,
		         "body of %zu bytes, the route's limit is %zu", body,
		         limit);
		rd_refuse(rd, req, path, NULL, RP_E_BODY_TOO_BIG, 413, detail);
		return;
	}
	if (!authorize(rd, req, r, &rr) || !check_device(req, r, &rr))
		return;
	r->handler(rd, req, &rr);
}

rp_err routes_listen(struct rampartd *rd, const char *addr, int *bound)
{
	struct refusal_conf rc = {rd->cfg.refusal_rate,
	                          rd->cfg.refusal_burst,
	                          rd->cfg.refusal_total_rate,
	                          rd->cfg.refusal_total_burst,
	                          NULL,
	                          NULL};
	struct http_hooks h;
	size_t i, max = 0;
	rp_err err;

	for (i = 0; i < N_ROUTES; i++) {
		size_t l = class_limit(rd, table[i].body);

		max = l > max ? l : max;
	}
	err = refusals_new(rd->base, rd->store, &rc, &rd->refusals);
	if (err == RP_OK)
		err = api_rel_start(rd);
	if (err != RP_OK)
		return err;
	memset(&h, 0, sizeof h);
	h.request = dispatch;
	h.body_limit = body_limit;
	h.too_big = too_big;
	h.arg = rd;
	h.max_body = max;
	return http_listen(rd->base, rd->tls, addr, (int)rd->cfg.port, &h,
	                   &rd->http, bound);
}

void routes_close(struct rampartd *rd)
{
	/* the refusals waiting for their batch are answered first */
	refusals_free(rd->refusals);
	rd->refusals = NULL;
	api_rel_stop(rd); /* the adds running are answered, then joined */
	http_free(rd->http);
	rd->http = NULL;
}
