/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_refusal.c - rampartd's HTTP refusal recorder (server/http/
 * refusal.c) on a real SQLite store in a scratch folder and a real
 * libevent loop: a 413 that evhttp answers itself (refusals_add_now) is
 * written with its batch, not in a store transaction of its own; many
 * peers each within their own rate are bounded by the bucket of all
 * peers together, whose suppressed refusals get one summary row; the
 * recorder's clock is the test's, so the budget is exact.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmocka_all.h"
#include "http/refusal.h"
#include "rampart/log.h"
#include "store/store.h"

struct fix {
	char dir[64];
	char spec[128];
	struct store *store;
	struct event_base *base;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/rp-refusal-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->spec, sizeof f->spec, "sqlite:%s/rampart.db", f->dir);
	assert_int_equal(store_open(f->spec, &f->store), RP_OK);
	f->base = event_base_new();
	assert_non_null(f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char path[128];

	store_close(f->store);
	event_base_free(f->base);
	snprintf(path, sizeof path, "%s/rampart.db", f->dir);
	(void)unlink(path);
	snprintf(path, sizeof path, "%s/rampart.db-wal", f->dir);
	(void)unlink(path);
	snprintf(path, sizeof path, "%s/rampart.db-shm", f->dir);
	(void)unlink(path);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

struct rows {
	int n, summaries_all;
	char detail[256];
};

static int count_row(void *arg, const struct store_refusal *r)
{
	struct rows *k = arg;

	k->n++;
	if (strcmp(r->route, REFUSAL_SUMMARY_ROUTE) == 0 &&
	    strcmp(r->peer, REFUSAL_ALL_PEERS) == 0) {
		k->summaries_all++;
		snprintf(k->detail, sizeof k->detail, "%s", r->detail);
	}
	return 0;
}

/* Rows as a second connection sees them (what is committed). */
static struct rows committed(const struct fix *f)
{
	struct store *s = NULL;
	struct rows k;

	memset(&k, 0, sizeof k);
	assert_int_equal(store_open(f->spec, &s), RP_OK);
	assert_int_equal(store_refusal_each(s, 100000, count_row, &k), RP_OK);
	store_close(s);
	return k;
}

static void add_413(struct refusals *r, int i)
{
	char peer[40];
	struct refusal f = {"/.well-known/est/simpleenroll", peer, NULL,
	                    "body over the route's limit", RP_E_BODY_TOO_BIG};

	snprintf(peer, sizeof peer, "10.0.%d.%d:4433", i / 250, i % 250 + 1);
	refusals_add_now(r, &f);
}

/* evhttp's own 413s: queued, one batch, one transaction. */
static void test_413_batched(void **state)
{
	struct fix *f = *state;
	struct refusal_conf c = {10, 100, 1000, 1000, NULL, NULL};
	struct refusals *r = NULL;
	int i;

	assert_int_equal(refusals_new(f->base, f->store, &c, &r), RP_OK);
	for (i = 0; i < 50; i++)
		add_413(r, i);
	/* nothing written yet: no store transaction per 413 */
	assert_int_equal(committed(f).n, 0);
	/* the batch timer writes all of them at once */
	assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	assert_int_equal(committed(f).n, 50);
	refusals_free(r);
}

/* The recorder's clock: held still, moved by the test. */
static int64_t test_clock(void *arg)
{
	return *(const int64_t *)arg;
}

static int64_t counter(struct refusals *r, const char *name)
{
	json_t *j = refusals_json(r);
	int64_t v;

	assert_non_null(j);
	v = json_integer_value(json_object_get(j, name));
	json_decref(j);
	return v;
}

/* n refusals from n peers not seen before (from *next on): how many of
 * them the bucket of all peers let through. */
static int64_t admitted(struct refusals *r, int *next, int n)
{
	int64_t before = counter(r, "suppressed");
	int i;

	for (i = 0; i < n; i++)
		add_413(r, (*next)++);
	return n - (counter(r, "suppressed") - before);
}

/*
 * 500 peers, one refusal each: each within its own rate, together not.
 * The clock stands still, so the budget is exact: the burst (40) at once,
 * then 5/s: one refusal 200 ms later, none 199 ms after that, and the
 * burst again (not more) after a long pause.
 */
static void test_all_peers_bounded(void **state)
{
	struct fix *f = *state;
	int64_t now = 1000000;
	struct refusal_conf c = {10, 100, 5, 40, test_clock, &now};
	struct refusals *r = NULL;
	struct rows k;
	int next = 0;

	assert_int_equal(refusals_new(f->base, f->store, &c, &r), RP_OK);
	assert_int_equal(admitted(r, &next, 500), 40);
	assert_int_equal(counter(r, "suppressed"), 460);
	now += 200; /* 5/s: exactly one token */
	assert_int_equal(admitted(r, &next, 10), 1);
	now += 199; /* 0.995 of one */
	assert_int_equal(admitted(r, &next, 10), 0);
	now += 3600 * 1000; /* refilled to the burst, not beyond */
	assert_int_equal(admitted(r, &next, 100), 40);
	assert_int_equal(counter(r, "suppressed"), 460 + 9 + 10 + 60);
	refusals_free(r); /* writes the queue and the summaries */
	k = committed(f);
	assert_int_equal(k.n, 40 + 1 + 40 + 1);
	assert_int_equal(k.summaries_all, 1);
	assert_non_null(strstr(k.detail, "all peers together"));
	assert_non_null(strstr(k.detail, "over 5/s, burst 40"));
}

/* A bad configuration is refused. */
static void test_conf(void **state)
{
	struct fix *f = *state;
	struct refusal_conf c = {10, 100, 0, 40, NULL, NULL};
	struct refusals *r = NULL;

	assert_int_equal(refusals_new(f->base, f->store, &c, &r), RP_E_INVAL);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_413_batched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_peers_bounded, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_conf, setup, teardown),
	};

	rp_log_init("test_refusal", RP_LOG_STDERR, RP_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
