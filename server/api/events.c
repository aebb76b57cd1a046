/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events.c - the events resource of the admin API (api.h): GET
 * /events?after=ID&limit=N, every device's events with an id above
 * after (without after: the newest N), oldest first, and the id to ask
 * after next: a feed to follow (rampart device watch; docs/admin-api.md).
 */
#include <event2/http.h>

#include "api/api.h"
#include "rampart/telemetry.h"
#include "rampartd.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX     1000

struct feed {
	json_t *arr;
	int64_t last;
};

static int event_one(void *arg, const struct store_event *e)
{
	struct feed *f = arg;
	json_t *j = json_pack(
	    "{s:I, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:s}", "id",
	    (json_int_t)e->id, "serial", e->serial, "received_at",
	    (json_int_t)e->received_at, "ts", (json_int_t)e->ev.ts, "seq",
	    (json_int_t)e->ev.seq, "type", rp_event_type_name(e->ev.type),
	    "severity", rp_severity_name(e->ev.severity), "count",
	    (json_int_t)e->ev.count, "detail", e->ev.detail);

	f->last = e->id;
	/* a row that is not UTF-8 (cut inside a character) is skipped, not
	 * the end of the feed: the next page goes on after it */
	return j != NULL ? json_array_append_new(f->arr, j) != 0 : 0;
}

API_HANDLER(api_events_list)
{
	struct feed f = {json_array(), 0};
	int64_t after = -1, limit = LIMIT_DEFAULT;
	char why[128];

	(void)rr;
	if (!api_query_int(req, "after", 0, INT64_MAX, &after, why,
	                   sizeof why) ||
	    !api_query_int(req, "limit", 1, LIMIT_MAX, &limit, why,
	                   sizeof why)) {
		json_decref(f.arr);
		api_reply_error(req, 400, why);
		return;
	}
	f.last = after < 0 ? 0 : after;
	if (f.arr == NULL || store_event_feed(rd->store, after, (int)limit,
	                                      event_one, &f) != RP_OK) {
		json_decref(f.arr);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200,
	               json_pack("{s:o, s:I}", "events", f.arr, "next",
	                         (json_int_t)f.last));
}
