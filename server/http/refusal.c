/* SPDX-License-Identifier: Apache-2.0 */
/*
 * refusal.c - the HTTP refusal recorder (refusal.h): a token bucket per
 * peer in a bounded open-addressing table, a bounded queue of refusal
 * rows written in batches by store_ingest_write, the requests waiting for
 * their batch, and the summaries of what was counted but not recorded;
 * one more bucket, of all peers together, bounds the rows written when
 * many peers each stay within their own rate.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "refusal.h"

#define PEERS_MAX 4096 /* a power of two */
#define PROBE     16   /* slots looked at for one peer */
#define QUEUE_MAX 4096 /* rows held while the store fails */
#define BATCH_MAX 256  /* a batch is written at this many rows ... */
#define BATCH_MS  20   /* ... or this long after its first */
#define RETRY_MS  1000 /* while the store fails */
#define SUMMARY_S 10   /* summaries of suppressed refusals, at most */
#define KEY_MAX   48

_Static_assert((PEERS_MAX & (PEERS_MAX - 1)) == 0, "PEERS_MAX: 2^n");

struct peer {
	char key[KEY_MAX];   /* "" while the slot is free */
	double tokens;       /* of the bucket, at last_ms */
	int64_t last_ms;     /* monotonic */
	uint64_t suppressed; /* counted since the last summary */
	int64_t since;       /* wall clock of the first of those */
};

struct waiting {
	struct evhttp_request *req;
	int code;
};

struct refusals {
	struct store *store;
	struct refusal_conf conf;
	struct event *timer; /* the batch, or the retry while failing */
	struct event *sweep; /* the summaries */
	struct store_in *q;  /* QUEUE_MAX rows (owned) */
	size_t n;
	struct waiting *w; /* requests answered with their batch (owned) */
	size_t n_w;
	struct peer *peers; /* PEERS_MAX (owned) */
	struct peer all;    /* the bucket of all peers together */
	bool failing;
	int64_t pend_rows, pend_suppressed; /* not yet added to the store */
	uint64_t recorded, suppressed, summaries, dropped, failures;
	int64_t drop_logged; /* wall clock of the last "dropped" line */
};

/* The rates' clock: conf.clock_ms, else CLOCK_MONOTONIC. */
static int64_t mono_ms(const struct refusals *r)
{
	struct timespec ts;

	if (r->conf.clock_ms != NULL)
		return r->conf.clock_ms(r->conf.clock_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bucket key of a peer address: an IPv6 address by its /64 (one
 * customer's network), an IPv4 (also v4-mapped) one whole. */
static void peer_key(const char *host, char *out, size_t cap)
{
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];

	if (strchr(host, ':') == NULL || inet_pton(AF_INET6, host, &a) != 1) {
		snprintf(out, cap, "%s", host);
		return;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a) &&
	    inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf) != NULL) {
		snprintf(out, cap, "%s", buf);
		return;
	}
	memset(&a.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &a, buf, sizeof buf) == NULL)
		snprintf(out, cap, "%s", host);
	else
		snprintf(out, cap, "%s/64", buf);
}

/* The host part of "ADDR:PORT" ("[v6]:PORT" is not what evhttp gives). */
static void peer_host(const char *peer, char *out, size_t cap)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);

	snprintf(out, cap, "%.*s", (int)n, peer);
}

static size_t key_hash(const char *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

static void refill_at(struct peer *p, int64_t now, int64_t rate, int64_t burst)
{
	double t =
	    p->tokens + (double)(now - p->last_ms) * (double)rate / 1000.0;

	p->tokens = t < (double)burst ? t : (double)burst;
	p->last_ms = now;
}

static void arm(struct event *ev, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (ev != NULL && !evtimer_pending(ev, NULL))
		evtimer_add(ev, &tv);
}

/* Queue one row; false (counted as dropped) when the queue is full. */
static bool queue_row(struct refusals *r, const struct refusal *f)
{
	struct store_in *it;
	struct store_in_refusal *q;
	int64_t now = (int64_t)time(NULL);

	if (r->n == QUEUE_MAX) {
		r->dropped++;
		if (now != r->drop_logged) {
			r->drop_logged = now;
			rp_log_error("refusals: queue full (the store is not "
			             "taking writes): %llu refusals not "
			             "recorded so far",
			             (unsigned long long)r->dropped);
		}
		return false;
	}
	it = &r->q[r->n++];
	memset(it, 0, sizeof *it);
	it->kind = STORE_IN_REFUSAL;
	it->received_at = now;
	q = &it->u.ref;
	(void)rp_escape(q->route, sizeof q->route, f->route, strlen(f->route));
	(void)rp_escape(q->peer, sizeof q->peer, f->peer, strlen(f->peer));
	if (f->subject != NULL)
		snprintf(q->subject, sizeof q->subject, "%s", f->subject);
	q->reason = f->reason;
	if (f->detail != NULL)
		(void)rp_escape(q->detail, sizeof q->detail, f->detail,
		                strlen(f->detail));
	if (r->n >= BATCH_MAX && !r->failing && r->timer != NULL)
		event_active(r->timer, EV_TIMEOUT, 0);
	else
		arm(r->timer, r->failing ? RETRY_MS : BATCH_MS);
	return true;
}

/* The summary of p's suppressed refusals: a row and a log line. */
static void summarize(struct refusals *r, struct peer *p)
{
	struct refusal f;
	char detail[200], since[32];
	time_t t = (time_t)p->since;
	struct tm tm;

	if (p->suppressed == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(since, sizeof since, "%lld", (long long)p->since);
	snprintf(
	    detail, sizeof detail,
	    "%llu refusals since %s not recorded (over %lld/s, burst "
	    "%lld%s)",
	    (unsigned long long)p->suppressed, since,
	    (long long)(p == &r->all ? r->conf.total_rate : r->conf.rate),
	    (long long)(p == &r->all ? r->conf.total_burst : r->conf.burst),
	    p == &r->all ? ", all peers together" : "");
	rp_log_warn("refused %llu more requests from %s since %s: not "
	            "recorded or logged (rate limit)",
	            (unsigned long long)p->suppressed, p->key, since);
	memset(&f, 0, sizeof f);
	f.route = REFUSAL_SUMMARY_ROUTE;
	f.peer = p->key;
	f.reason = RP_E_RATE_LIMITED;
	f.detail = detail;
	if (queue_row(r, &f))
		r->summaries++;
	p->suppressed = 0;
}

/*
 * The bucket of key: found, a free slot, or else (among PROBE slots) one
 * whose bucket has refilled (it holds nothing) or the least recently
 * used, whose suppressed count is summarized first. Slots are never
 * emptied, so a lookup may stop at the first free one.
 */
static struct peer *peer_get(struct refusals *r, const char *key, int64_t now)
{
	size_t h = key_hash(key), i;
	struct peer *victim = NULL, *p;
	bool victim_idle = false;

	for (i = 0; i < PROBE; i++) {
		bool idle;

		p = &r->peers[(h + i) & (PEERS_MAX - 1)];
		if (p->key[0] == '\0' || strcmp(p->key, key) == 0)
			break;
		idle = p->suppressed == 0 &&
		       p->tokens + (double)(now - p->last_ms) *
		                       (double)r->conf.rate / 1000.0 >=
		           (double)r->conf.burst;
		if (victim == NULL || (idle && !victim_idle) ||
		    (idle == victim_idle && p->last_ms < victim->last_ms)) {
			victim = p;
			victim_idle = idle;
		}
	}
	if (i == PROBE) {
		summarize(r, victim);
		p = victim;
		p->key[0] = '\0';
	}
	if (p->key[0] == '\0') {
		snprintf(p->key, sizeof p->key, "%s", key);
		p->tokens = (double)r->conf.burst;
		p->last_ms = now;
		p->suppressed = 0;
	}
	return p;
}

/* True when f may be recorded (its peer had a token); else counted. */
static bool admit(struct refusals *r, const struct refusal *f)
{
	char host[KEY_MAX], key[KEY_MAX];
	int64_t now = mono_ms(r);
	struct peer *p;

	peer_host(f->peer, host, sizeof host);
	peer_key(host, key, sizeof key);
	p = peer_get(r, key, now);
	refill_at(p, now, r->conf.rate, r->conf.burst);
	refill_at(&r->all, now, r->conf.total_rate, r->conf.total_burst);
	if (p->tokens >= 1.0 && r->all.tokens >= 1.0) {
		p->tokens -= 1.0;
		r->all.tokens -= 1.0;
		return true;
	}
	/* Within its own rate but not within all peers' together: counted
	 * in the summary of all peers, so that many peers each under their
	 * rate cannot make rampartd write a row each. */
	if (p->tokens >= 1.0)
		p = &r->all;
	if (p->suppressed++ == 0)
		p->since = (int64_t)time(NULL);
	r->suppressed++;
	r->pend_suppressed++;
	arm(r->sweep, SUMMARY_S * 1000);
	return false;
}

static void log_refusal(const struct store_in_refusal *q)
{
	rp_log_warn("refused %s from %s%s%s: %s (%s)", q->route, q->peer,
	            q->subject[0] ? " for " : "", q->subject,
	            rp_errname(q->reason), q->detail);
}

/* Write the queue and the counters in one transaction; answer every
 * waiting request whatever happened (the rows stay queued on failure). */
static rp_err flush(struct refusals *r)
{
	struct store_counter c[2] = {{"http_refusals", r->pend_rows},
	                             {"http_suppressed", r->pend_suppressed}};
	struct store_retention keep;
	struct store_in_result res;
	rp_err rc = RP_OK;
	size_t i;

	memset(&keep, 0, sizeof keep);
	if (r->n > 0 || r->pend_rows != 0 || r->pend_suppressed != 0)
		rc =
		    store_ingest_write(r->store, r->q, r->n, &keep, c, 2, &res);
	if (rc == RP_OK) {
		if (r->failing)
			rp_log_info("refusals: store writes resumed");
		r->recorded += (uint64_t)r->pend_rows;
		r->n = 0;
		r->pend_rows = 0;
		r->pend_suppressed = 0;
		r->failing = false;
	} else {
		if (!r->failing)
			rp_log_error("refusals: store write failed (%s): %zu "
			             "rows kept in memory, retrying",
			             rp_strerror(rc), r->n);
		r->failures++;
		r->failing = true;
	}
	for (i = 0; i < r->n_w; i++)
		http_reply_refused(r->w[i].req, r->w[i].code);
	r->n_w = 0;
	return rc;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct refusals *r = arg;

	(void)fd;
	(void)what;
	if (flush(r) != RP_OK && r->n > 0)
		arm(r->timer, RETRY_MS);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct refusals *r = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < PEERS_MAX; i++)
		summarize(r, &r->peers[i]);
	summarize(r, &r->all);
}

/* Queue f (within its peer's rate) and log it; true when queued. */
static bool record(struct refusals *r, const struct refusal *f)
{
	if (!admit(r, f))
		return false;
	if (!queue_row(r, f))
		return false;
	r->pend_rows++;
	log_refusal(&r->q[r->n - 1].u.ref);
	return true;
}

void refusals_add(struct refusals *r, const struct refusal *f,
                  struct evhttp_request *req, int code)
{
	if (record(r, f) && !r->failing) {
		r->w[r->n_w].req = req;
		r->w[r->n_w].code = code;
		r->n_w++;
		return;
	}
	http_reply_refused(req, code);
}

void refusals_add_now(struct refusals *r, const struct refusal *f)
{
	(void)record(r, f); /* written with its batch, like every other */
}

json_t *refusals_json(const struct refusals *r)
{
	size_t i, peers = 0;

	for (i = 0; i < PEERS_MAX; i++)
		peers += r->peers[i].key[0] != '\0';
	return json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "recorded",
	    (json_int_t)r->recorded, "suppressed", (json_int_t)r->suppressed,
	    "summaries", (json_int_t)r->summaries, "dropped",
	    (json_int_t)r->dropped, "queued", (json_int_t)r->n, "peers",
	    (json_int_t)peers, "rate", (json_int_t)r->conf.rate, "burst",
	    (json_int_t)r->conf.burst, "store_failures",
	    (json_int_t)r->failures, "failing", r->failing);
}

rp_err refusals_new(struct event_base *base, struct store *store,
                    const struct refusal_conf *conf, struct refusals **out)
{
	struct refusals *r = NULL; /* *out's */
	rp_err rc = RP_E_INVAL;

	*out = NULL;
	if (conf->rate < 1 || conf->burst < 1 || conf->total_rate < 1 ||
	    conf->total_burst < 1)
		goto out;
	rc = RP_E_NOMEM;
	r = rp_calloc(1, sizeof *r);
	if (r == NULL)
		goto out;
	r->store = store;
	r->conf = *conf;
	snprintf(r->all.key, sizeof r->all.key, "%s", REFUSAL_ALL_PEERS);
	r->all.tokens = (double)conf->total_burst;
	r->all.last_ms = mono_ms(r);
	r->q = rp_calloc(QUEUE_MAX, sizeof *r->q);
	r->w = rp_calloc(QUEUE_MAX, sizeof *r->w);
	r->peers = rp_calloc(PEERS_MAX, sizeof *r->peers);
	r->timer = evtimer_new(base, on_timer, r);
	r->sweep = evtimer_new(base, on_sweep, r);
	if (r->q == NULL || r->w == NULL || r->peers == NULL ||
	    r->timer == NULL || r->sweep == NULL)
		goto out;
	*out = r;
	r = NULL;
	rc = RP_OK;
out:
	refusals_free(r);
	return rc;
}

void refusals_free(struct refusals *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->peers != NULL && r->q != NULL) {
		for (i = 0; i < PEERS_MAX; i++)
			summarize(r, &r->peers[i]);
		summarize(r, &r->all);
	}
	if (r->q != NULL && r->w != NULL && flush(r) != RP_OK)
		rp_log_error("refusals: %zu refusals could not be recorded at "
		             "shutdown",
		             r->n);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->sweep != NULL)
		event_free(r->sweep);
	free(r->q);
	free(r->w);
	free(r->peers);
	free(r);
}
