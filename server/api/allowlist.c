/* SPDX-License-Identifier: Apache-2.0 */
/*
 * allowlist.c - the allowlist resource of the admin API (api.h):
 * POST /allowlist imports a CSV (registry/csv.c) in one transaction, all
 * or nothing; GET /allowlist lists the entries; DELETE /allowlist/ID
 * removes one that is only allowlisted.
 */
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "http/http.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "registry/csv.h"

struct import {
	struct rampartd *rd;
	char *why;
	size_t cap;
};

static int import_one(void *arg, unsigned line, const struct store_device *d)
{
	struct import *im = arg;
	rp_err rc = store_device_add(im->rd->store, d);

	if (rc == RP_E_EXISTS)
		snprintf(im->why, im->cap,
		         "line %u: serial %s is already on the allowlist", line,
		         d->serial);
	else if (rc != RP_OK)
		snprintf(im->why, im->cap, "line %u: store failure", line);
	return rc != RP_OK;
}

API_HANDLER(api_allowlist_import)
{
	char *body = NULL, why[256] = ""; /* body: ours */
	size_t len = 0, rows = 0;
	struct import im = {rd, why, sizeof why};
	rp_err rc;

	(void)rr;
	rc = http_body(req, (size_t)rd->cfg.admin_max_body, &body, &len);
	if (rc != RP_OK) {
		api_reply_error(req, rc == RP_E_BODY_TOO_BIG ? 413 : 500,
		                rp_strerror(rc));
		goto out;
	}
	if (store_begin(rd->store) != RP_OK) {
		api_reply_error(req, 503, "store busy");
		goto out;
	}
	rc = allowlist_csv_parse(body, len, import_one, &im, &rows, why,
	                         sizeof why);
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	if (rc != RP_OK) {
		store_rollback(rd->store);
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

static int list_one(void *arg, const struct store_device *d)
{
	return json_array_append_new(arg, api_device_json(d)) != 0;
}

API_HANDLER(api_allowlist_list)
{
	json_t *arr = json_array();

	(void)rr;
	if (store_device_each(rd->store, list_one, arr) != RP_OK) {
		json_decref(arr);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200, arr);
}

API_HANDLER(api_allowlist_remove)
{
	const char *id = rr->param[0];
	rp_err rc = store_device_remove(rd->store, id);

	if (rc == RP_OK) {
		rp_log_info("admin: removed %s from the allowlist", id);
		api_reply_json(req, 200, json_pack("{s:s}", "removed", id));
		return;
	}
	api_reply_error(req,
	                rc == RP_E_NOT_FOUND ? 404
	                : rc == RP_E_STATE   ? 409
	                                     : 503,
	                rc == RP_E_STATE ? "device is enrolled or "
	                                   "decommissioned; decommission it "
	                                   "instead"
	                                 : rp_strerror(rc));
}
