/* SPDX-License-Identifier: Apache-2.0 */
/*
 * allowlist.c - the allowlist resource of the admin API (api.h):
 * POST /allowlist imports a CSV (registry/csv.c) in one transaction, all
 * or nothing; GET /allowlist lists the entries with the one displayed
 * state; DELETE /allowlist/ID removes one that is only allowlisted. The
 * changes are the registry's transitions (registry/lifecycle.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "http/http.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "registry/lifecycle.h"

/* The admin API's actor: the bearer token is the operator's. */
static const struct registry_actor admin = {REG_ACTOR_OPERATOR, "admin"};

API_HANDLER(api_allowlist_import)
{
	char *body = NULL, why[256] = ""; /* body: ours */
	size_t len = 0, rows = 0;
	rp_err rc;

	(void)rr;
	rc = http_body(req, (size_t)rd->cfg.admin_max_body, &body, &len);
	if (rc != RP_OK) {
		api_reply_error(req, rc == RP_E_BODY_TOO_BIG ? 413 : 500,
		                rp_strerror(rc));
		goto out;
	}
	rc = registry_add_csv(rd, &admin, body, len, &rows, why, sizeof why);
	if (rc != RP_OK) {
		rp_log_warn("admin: allowlist import refused: %s", why);
		api_reply_error(req, rc == RP_E_CSV ? 400 : 503,
		                why[0] ? why : rp_strerror(rc));
		goto out;
	}
	rp_log_info("admin: imported %zu allowlist entries", rows);
	api_reply_json(req, 200,
	               json_pack("{s:I}", "imported", (json_int_t)rows));
out:
	free(body);
}

static int list_one(void *arg, const struct store_device *d,
                    const struct store_status *st)
{
	return json_array_append_new(arg, api_device_json(d, st->certs_valid,
	                                                  st->certs_revoked)) !=
	       0;
}

API_HANDLER(api_allowlist_list)
{
	json_t *arr = json_array();

	(void)rr;
	if (store_device_status_each(rd->store, list_one, arr) != RP_OK) {
		json_decref(arr);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200, arr);
}

API_HANDLER(api_allowlist_remove)
{
	const char *id = rr->param[0];
	struct lifecycle_done done;
	rp_err rc = registry_remove(rd, &admin, id, &done);

	if (rc == RP_OK) {
		api_reply_json(req, 200, json_pack("{s:s}", "removed", id));
		return;
	}
	if (rc == RP_E_NOT_FOUND) {
		api_reply_no_device(req, id);
		return;
	}
	api_reply_error(req,
	                rc == RP_E_NOT_FOUND ? 404
	                : rc == RP_E_STATE   ? 409
	                                     : 503,
	                rc == RP_E_STATE ? done.why : rp_strerror(rc));
}
