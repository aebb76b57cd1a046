/* SPDX-License-Identifier: Apache-2.0 */
/*
 * refusal.h - recording refused HTTP requests at a cost an attacker
 * cannot drive: each refusal row joins a batch written in ONE store
 * transaction (store_ingest_write, the writer the broker's refusals use),
 * and each peer address (an IPv6 one by its /64) may have at most burst
 * refusals, then rate a second, recorded and logged, and all peers
 * together total_burst, then total_rate a second; past that they are
 * counted, answered and neither stored nor logged, and every SUMMARY_S
 * seconds a summary row and log line per peer (and one for all peers,
 * REFUSAL_ALL_PEERS) say how many were not.
 *
 * A refused request whose row is queued gets its answer once the batch
 * is written (a few milliseconds), so that the row exists when the client
 * sees the refusal; a suppressed one is answered at once. Peers are kept
 * in a bounded table; an idle peer's entry is reused first, and an entry
 * that is reused while it has uncounted refusals writes its summary.
 */
#ifndef RAMPARTD_REFUSAL_H
#define RAMPARTD_REFUSAL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "rampart/err.h"
#include "store/store.h"

/* The summary row's route: it names no request. */
#define REFUSAL_SUMMARY_ROUTE "(rate limit)"

/* The summary row's peer for what all peers together sent past
 * refusal_conf.total_rate. */
#define REFUSAL_ALL_PEERS "(all peers)"

struct refusal_conf {
	int64_t rate;        /* refusals recorded per second and peer (>= 1) */
	int64_t burst;       /* ... and at once (>= 1) */
	int64_t total_rate;  /* ... per second, all peers together (>= 1) */
	int64_t total_burst; /* ... and at once, all peers together (>= 1) */
	/* The rates' clock in milliseconds (arg: clock_arg); NULL:
	 * CLOCK_MONOTONIC. A test sets its own, to hold the time still. */
	int64_t (*clock_ms)(void *arg);
	void *clock_arg;
};

/* One refusal: route (the path) and peer ("ADDR:PORT") required, subject
 * and detail may be NULL. Strings are copied (escaped to ASCII). */
struct refusal {
	const char *route, *peer, *subject, *detail;
	rp_err reason;
};

struct refusals;

/*
 * A recorder on base writing to store (borrowed: both must outlive it).
 * *out owned by the caller (refusals_free). RP_E_NOMEM, RP_E_INVAL.
 */
rp_err refusals_new(struct event_base *base, struct store *store,
                    const struct refusal_conf *conf,
                    struct refusals **out) RP_WARN_UNUSED;

/*
 * Record f and answer req with code (http_reply_refused; headers set on
 * req before stay). Within the peer's rate: logged, queued, and req is
 * answered when its batch is written (at once when the store is
 * failing); past it: counted and answered at once.
 */
void refusals_add(struct refusals *r, const struct refusal *f,
                  struct evhttp_request *req, int code);

/*
 * Record f for an answer that is being sent already (evhttp's own 413):
 * within the rates it is queued and written with its batch (within
 * BATCH_MS), so a client may see this answer a few milliseconds before
 * the row exists; a refusal answered after it (refusals_add) is answered
 * only once both are written.
 */
void refusals_add_now(struct refusals *r, const struct refusal *f);

/* The recorder's counters since start, for GET /api/v1/ingest (caller
 * json_decref). */
json_t *refusals_json(const struct refusals *r);

/* Write the summaries and the queue, answer every waiting request, free.
 * r may be NULL. */
void refusals_free(struct refusals *r);

#endif
