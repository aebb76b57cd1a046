/* SPDX-License-Identifier: Apache-2.0 */
/*
 * refusals.c - the refusals resource of the admin API (api.h):
 * GET /refusals?limit=N lists the newest refused requests (HTTP, the
 * broker's, and the rate limit's summaries), newest first.
 */
#include <errno.h>
#include <stdlib.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

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

/* The limit=N of the query: 1..LIMIT_MAX in decimal, else the default. */
static int query_limit(struct evhttp_request *req)
{
	const char *q =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq kv;
	const char *v;
	char *end = NULL;
	long n = LIMIT_DEFAULT;

	if (q == NULL || evhttp_parse_query_str(q, &kv) != 0)
		return LIMIT_DEFAULT;
	v = evhttp_find_header(&kv, "limit");
	if (v != NULL && *v >= '0' && *v <= '9') {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > LIMIT_MAX)
			n = LIMIT_DEFAULT;
	}
	evhttp_clear_headers(&kv);
	return (int)n;
}

API_HANDLER(api_refusals_list)
{
	json_t *arr = json_array();

	(void)rr;
	if (store_refusal_each(rd->store, query_limit(req), refusal_one, arr) !=
	    RP_OK) {
		json_decref(arr);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200, arr);
}
