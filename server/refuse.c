/* SPDX-License-Identifier: Apache-2.0 */
/*
 * refuse.c - the one way rampartd refuses a request (rampartd.h
 * rd_refuse, rd_refused): the refusal goes to the batched, rate-limited
 * recorder (http/refusal.h) and the client gets the generic answer. Apart
 * from the route table so that the handlers below it (EST, the API) and
 * the table itself all call down to it.
 */
#include <event2/http.h>

#include "http/http.h"
#include "http/refusal.h"
#include "rampart/log.h"
#include "rampartd.h"

/* A core linked without a listener (tests) has no recorder: logged. */
static void log_refusal(const struct refusal *f)
{
	rp_log_warn("refused %s from %s%s%s: %s (%s)", f->route, f->peer,
	            f->subject ? " for " : "", f->subject ? f->subject : "",
	            rp_errname(f->reason), f->detail ? f->detail : "");
}

void rd_refuse(struct rampartd *rd, struct evhttp_request *req,
               const char *route, const char *subject, rp_err reason, int code,
               const char *detail)
{
	char peer[80];
	struct refusal f = {route, peer, subject, detail, reason};

	http_peer_addr(req, peer, sizeof peer);
	if (rd->refusals != NULL) {
		refusals_add(rd->refusals, &f, req, code);
		return;
	}
	log_refusal(&f);
	http_reply_refused(req, code);
}

void rd_refused(struct rampartd *rd, const struct refusal *f)
{
	if (rd->refusals != NULL)
		refusals_add_now(rd->refusals, f);
	else
		log_refusal(f);
}
