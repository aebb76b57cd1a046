/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.h - the admin REST API under /api/v1/ (docs/admin-api.md), one file
 * per resource: allowlist.c, devices.c, claims.c, refusals.c, events.c,
 * ingest.c, updates.c (a device's firmware update), firmware.c (the
 * device's download of a release, /fw/v1/, with its device certificate);
 * auth.c is the admin permission (the bearer setup token until operator
 * accounts exist) and reply.c the JSON answers. The handlers are entries
 * of rampartd's route table (routes.c), which has checked the permission,
 * the body limit and, for routes that name a device, its id, before they
 * run. Changes that matter to the broker rewrite its fleet snapshot after
 * the commit (broker_sync).
 */
#ifndef RAMPARTD_API_H
#define RAMPARTD_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "http/router.h"
#include "rampart/err.h"
#include "store/store.h"

struct rampartd;

/* Bodies of the JSON calls are at most this long (the route table's
 * limit for them). */
#define API_JSON_MAX (64 * 1024)

/* reply.c: j (consumed; NULL: 500) as application/json with code. */
void api_reply_json(struct evhttp_request *req, int code, json_t *j);
/* {"error": msg} with code. */
void api_reply_error(struct evhttp_request *req, int code, const char *msg);
/* 404 {"error": "no device 'ID'"} (id: a device id, checked by the
 * route table). */
void api_reply_no_device(struct evhttp_request *req, const char *id);
/* 404 {"error": "no such API route"}, 405 {"error": "method not allowed"}
 * with Allow: allow (EVHTTP_REQ_* bits). */
void api_not_found(struct evhttp_request *req);
void api_bad_method(struct evhttp_request *req, unsigned allow);
/*
 * The query parameter name of req as a decimal number from min to max
 * into *out (left as it is when the parameter is absent): true; false
 * when it is malformed or out of range, with why (cap bytes) saying so
 * for a 400 answer.
 */
bool api_query_int(struct evhttp_request *req, const char *name, int64_t min,
                   int64_t max, int64_t *out, char *why, size_t cap);

/* auth.c: RP_OK when the Authorization header carries the setup token;
 * else *why says what was wrong (RP_E_AUTH). */
rp_err api_auth_admin(struct rampartd *rd, struct evhttp_request *req,
                      const char **why) RP_WARN_UNUSED;

/* devices.c: an entry as the API shows it (caller json_decref); valid
 * and revoked: its unexpired device certificates, for the one displayed
 * state (registry_state). */
json_t *api_device_json(const struct store_device *d, int64_t valid,
                        int64_t revoked);

/* The handlers; rr->param[0] is the {id} or {serial} where the pattern
 * has one. */
#define API_HANDLER(name)                                          \
	void name(struct rampartd *rd, struct evhttp_request *req, \
	          const struct router_req *rr)

/* allowlist.c */
API_HANDLER(api_allowlist_import);
API_HANDLER(api_allowlist_list);
API_HANDLER(api_allowlist_remove);
/* devices.c */
API_HANDLER(api_devices_list);
API_HANDLER(api_device_show);
API_HANDLER(api_device_revoke);
API_HANDLER(api_device_decommission);
API_HANDLER(api_device_reprovision);
API_HANDLER(api_device_renew);
API_HANDLER(api_device_quarantine);
API_HANDLER(api_device_release);
API_HANDLER(api_device_ping);
/* claims.c */
API_HANDLER(api_claims_create);
API_HANDLER(api_claims_list);
API_HANDLER(api_claim_revoke);
/* refusals.c */
API_HANDLER(api_refusals_list);
/* events.c */
API_HANDLER(api_events_list);
/* ingest.c */
API_HANDLER(api_ingest_status);
/* updates.c: a device's firmware update (docs/updates.md);
 * api_update_json: one update as the API shows it (caller json_decref) */
json_t *api_update_json(struct store *s, const struct store_update *u);
API_HANDLER(api_device_update_start);
API_HANDLER(api_device_update_show);
API_HANDLER(api_device_update_cancel);
/* releases.c, uploads.c (docs/releases.md): the key set, uploads and
 * releases; api_rel_start makes rd->rel (the upload sessions and the adds
 * running) when the routes listen, api_rel_stop answers what runs and
 * frees it. */
rp_err api_rel_start(struct rampartd *rd) RP_WARN_UNUSED;
void api_rel_stop(struct rampartd *rd);
json_t *api_release_json(const struct store_release *r);
API_HANDLER(api_release_keys_set);
API_HANDLER(api_release_keys_show);
API_HANDLER(api_upload_open);
API_HANDLER(api_upload_put);
API_HANDLER(api_upload_show);
API_HANDLER(api_upload_cancel);
API_HANDLER(api_release_add);
API_HANDLER(api_releases_list);
API_HANDLER(api_release_show);
API_HANDLER(api_release_sbom);
API_HANDLER(api_release_remove);
/* firmware.c: a device downloads a release's image (docs/updates.md "The
 * download"); GET and HEAD */
API_HANDLER(api_fw_release);
/* vulns.c: known vulnerabilities (OSV records) */
API_HANDLER(api_vulns_import);
API_HANDLER(api_release_vulns);

#endif
