/* SPDX-License-Identifier: Apache-2.0 */
/*
 * refusals.c - the refusals resource of the admin API (api.h):
 * GET /refusals?limit=N (1..10000; else 400) lists the newest refused
 * requests (HTTP, the broker's, and the rate limit's summaries), newest
 * first.
 */
#include <event2/http.h>

#include "api/api.h"
#include "rampartd.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX     10000

/* A stored string as JSON; one that is not UTF-8 (a row cut inside a
 * multi-byte sequence) is replaced, so that one row cannot end the list
 * (and hide every older refusal). */
static json_t *row_string(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("(not UTF-8)");
}

static int refusal_one(void *arg, const struct store_refusal *r)
{
	return json_array_append_new(
	           arg, json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
	                          (json_int_t)r->id, "at", (json_int_t)r->at,
	                          "route", row_string(r->route), "peer",
	                          row_string(r->peer), "subject",
	                          row_string(r->subject), "reason",
	                          row_string(r->reason), "detail",
	                          row_string(r->detail))) != 0;
}

API_HANDLER(api_refusals_list)
{
	json_t *arr = json_array();
	int64_t limit = LIMIT_DEFAULT;
	char why[128];

	(void)rr;
	if (!api_query_int(req, "limit", 1, LIMIT_MAX, &limit, why,
	                   sizeof why)) {
		json_decref(arr);
		api_reply_error(req, 400, why);
		return;
	}
	if (store_refusal_each(rd->store, (int)limit, refusal_one, arr) !=
	    RP_OK) {
		json_decref(arr);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200, arr);
}
