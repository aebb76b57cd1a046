/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_ingest.c - the ingest part of rampartd's store interface
 * (server/store/store.h) on the SQLite engine, read back with SQL too: one
 * batch is one transaction (all or nothing), the device status carries the last
 * telemetry facts and the per-kind counts, items of devices that are not
 * enrolled are skipped and counted, history is trimmed to its bound,
 * events come back newest first, a command result completes its command,
 * counters add up across batches and reopen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cmocka_all.h"
#include "rpt.h"
#include "items.h"
#include "store/store.h"

static char path[600];

/* An enrolled device holds a valid device certificate. */
static void add_cert(struct store *s, const char *subject, const char *serial)
{
	struct store_cert c;

	memset(&c, 0, sizeof c);
	snprintf(c.serial, sizeof c.serial, "%s", serial);
	snprintf(c.subject, sizeof c.subject, "%s", subject);
	snprintf(c.kind, sizeof c.kind, "device");
	c.not_before = 1;
	c.not_after = 4102444800; /* 2100 */
	assert_int_equal(store_cert_add(s, &c, "-"), RP_OK);
}

static struct store *open_fresh(void)
{
	char dir[512];
	struct store *s = NULL;
	struct store_device d;
	const char *serials[] = {"SN-1", "SN-2", "SN-ALLOW"};

	rpt_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/rampart.db", dir);
	assert_int_equal(store_open(path, &s), RP_OK);
	for (size_t i = 0; i < 3; i++) {
		memset(&d, 0, sizeof d);
		snprintf(d.serial, sizeof d.serial, "%s", serials[i]);
		snprintf(d.hw_type, sizeof d.hw_type, "tpm2");
		snprintf(d.group, sizeof d.group, "line-a");
		assert_int_equal(store_device_add(s, &d), RP_OK);
		if (i < 2) {
			assert_int_equal(store_device_set_state(
			                     s, d.serial, STORE_DEV_ENROLLED),
			                 RP_OK);
			add_cert(s, d.serial, i == 0 ? "0a01" : "0a02");
		}
	}
	return s;
}

static struct store_in ev(const char *serial, uint64_t seq, const char *d)
{
	struct store_in it;

	memset(&it, 0, sizeof it);
	it.kind = STORE_IN_EVENT;
	snprintf(it.serial, sizeof it.serial, "%s", serial);
	it.received_at = 2000;
	it.u.ev.seq = seq;
	it.u.ev.ts = 1999;
	it.u.ev.type = RP_EVENT_AUTH_FAILURE;
	it.u.ev.severity = RP_SEV_WARNING;
	it.u.ev.count = 4;
	snprintf(it.u.ev.detail, sizeof it.u.ev.detail, "%s", d);
	return it;
}

static long long count(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static const struct store_retention keep_all = {0, 0, 0};

static void test_batch_and_status(void **state)
{
	struct store *s = open_fresh();
	struct store_in items[6];
	struct store_in_result r;
	struct store_status st;
	struct store_counter c[] = {{"received", 6}, {"rejected", 1}};

	(void)state;
	items[0] = store_test_tel("SN-1", 1, 1000);
	items[1] = store_test_tel("SN-1", 2, 1010);
	items[2] = ev("SN-1", 3, "sshd: 4 failures");
	items[3] = store_test_tel("SN-ALLOW", 1, 1000); /* not enrolled */
	items[4] = store_test_tel("SN-NONE", 1, 1000); /* not in the registry */
	memset(&items[5], 0, sizeof items[5]);
	items[5].kind = STORE_IN_REJECT;
	snprintf(items[5].serial, sizeof items[5].serial, "SN-2");
	items[5].received_at = 1005;
	assert_int_equal(store_ingest_write(s, items, 6, &keep_all, c, 2, &r),
	                 RP_OK);
	assert_int_equal(r.telemetry, 2);
	assert_int_equal(r.events, 1);
	assert_int_equal(r.rejects, 1);
	assert_int_equal(r.unknown, 2);

	assert_int_equal(store_status_get(s, "SN-1", &st), RP_OK);
	assert_int_equal(st.first_seen, 1000);
	assert_int_equal(st.last_seen, 2000);
	assert_int_equal(st.telemetry_at, 1010);
	assert_int_equal(st.n_telemetry, 2);
	assert_int_equal(st.n_events, 1);
	assert_string_equal(st.tel.fw_version, "1.4.2");
	assert_int_equal(st.tel.n_tcp, 2);
	assert_int_equal(st.tel.tcp[1], 8883);
	assert_int_equal(st.tel.n_udp, 1);
	assert_int_equal(st.tel.udp[0], 53);
	assert_int_equal(st.tel.interval_s, 10);
	assert_int_equal(st.tel.fw_sha256[63], 'a');
	assert_int_equal(st.tel.log_head[0], 'b');
	assert_int_equal(store_status_get(s, "SN-2", &st), RP_OK);
	assert_int_equal(st.n_rejected, 1);
	assert_int_equal(st.n_telemetry, 0);
	assert_int_equal(store_status_get(s, "SN-ALLOW", &st), RP_E_NOT_FOUND);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 2);
	assert_int_equal(
	    count("SELECT value FROM ingest_counters WHERE name='received'"),
	    6);
	assert_int_equal(count("SELECT value FROM ingest_counters "
	                       "WHERE name='stored_telemetry'"),
	                 2);
	assert_int_equal(count("SELECT value FROM ingest_counters "
	                       "WHERE name='unknown_device'"),
	                 2);
	/* counters add up */
	assert_int_equal(store_ingest_write(s, NULL, 0, &keep_all, c, 1, &r),
	                 RP_OK);
	assert_int_equal(
	    count("SELECT value FROM ingest_counters WHERE name='received'"),
	    12);
	store_close(s);
}

/* A batch that fails midway leaves nothing behind. */
static void test_batch_atomic(void **state)
{
	struct store *s = open_fresh();
	struct store *other = NULL;
	struct store_opts o;
	struct store_in items[2];
	struct store_in_result r;

	(void)state;
	items[0] = store_test_tel("SN-1", 1, 1000);
	items[1] = store_test_tel("SN-1", 2, 1000);
	items[1].kind = 99; /* not a kind: the write fails */
	assert_int_not_equal(
	    store_ingest_write(s, items, 2, &keep_all, NULL, 0, &r), RP_OK);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM device_status"), 0);
	/* and the store is usable afterwards (no transaction left open) */
	items[1].kind = STORE_IN_TELEMETRY;
	assert_int_equal(
	    store_ingest_write(s, items, 2, &keep_all, NULL, 0, &r), RP_OK);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 2);
	/* a second connection holding the write lock: RP_E_STORE, no row
	 * (at once: this connection does not wait for the lock) */
	store_opts_init(&o);
	o.lock_wait_ms = 0;
	store_close(s);
	assert_int_equal(store_open_with(path, &o, &s), RP_OK);
	assert_int_equal(store_open(path, &other), RP_OK);
	assert_int_equal(store_begin(other), RP_OK);
	assert_int_equal(
	    store_ingest_write(s, items, 1, &keep_all, NULL, 0, &r),
	    RP_E_STORE);
	store_rollback(other);
	store_close(other);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 2);
	store_close(s);
}

static void test_retention(void **state)
{
	struct store *s = open_fresh();
	struct store_retention keep = {10, 5, 5};
	struct store_in it;
	struct store_in_result r;
	long long n;

	(void)state;
	for (uint64_t i = 1; i <= 200; i++) {
		it = store_test_tel("SN-1", i, 1000 + (int64_t)i);
		assert_int_equal(
		    store_ingest_write(s, &it, 1, &keep, NULL, 0, &r), RP_OK);
		it = ev("SN-1", i, "e");
		assert_int_equal(
		    store_ingest_write(s, &it, 1, &keep, NULL, 0, &r), RP_OK);
		n = count("SELECT COUNT(*) FROM telemetry");
		assert_true(n <= 10 + 9);
		n = count("SELECT COUNT(*) FROM events");
		assert_true(n <= 5 + 4);
		memset(&it, 0, sizeof it);
		it.kind = STORE_IN_RESULT;
		snprintf(it.serial, sizeof it.serial, "SN-1");
		it.received_at = 1000 + (int64_t)i;
		it.u.res.seq = i;
		snprintf(it.u.res.id, sizeof it.u.res.id, "c-%llu",
		         (unsigned long long)i);
		assert_int_equal(
		    store_ingest_write(s, &it, 1, &keep, NULL, 0, &r), RP_OK);
		n = count("SELECT COUNT(*) FROM command_results");
		assert_true(n <= 5 + 4);
	}
	/* the newest rows are the ones kept */
	assert_int_equal(count("SELECT MAX(seq) FROM telemetry"), 200);
	assert_true(count("SELECT MIN(seq) FROM telemetry") >= 200 - 18);
	assert_int_equal(count("SELECT MAX(seq) FROM command_results"), 200);
	assert_true(count("SELECT MIN(seq) FROM command_results") >= 200 - 8);
	assert_true(count("SELECT COUNT(*) FROM command_results") >= 5);
	store_close(s);
}

struct evs {
	char seen[256];
};

static int ev_cb(void *arg, const struct store_event *e)
{
	struct evs *x = arg;

	assert_int_equal(e->ev.type, RP_EVENT_AUTH_FAILURE);
	assert_int_equal(e->ev.severity, RP_SEV_WARNING);
	assert_int_equal(e->ev.count, 4);
	snprintf(x->seen + strlen(x->seen), sizeof x->seen - strlen(x->seen),
	         "%s;", e->ev.detail);
	return 0;
}

static int cmd_cb(void *arg, const struct store_command *c)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s:%s:%s:%lld;",
	         c->cmd.id, c->result_at ? "done" : "open", c->res.detail,
	         (long long)c->result_at);
	return 0;
}

static int dev_cb(void *arg, const struct store_device *d,
                  const struct store_status *st)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s:%s:%lld;", d->serial,
	         st->tel.fw_version, (long long)st->last_seen);
	return 0;
}

static void test_events_commands_list(void **state)
{
	struct store *s = open_fresh();
	struct store_in items[3];
	struct store_in_result r;
	struct rp_command c;
	struct evs x;
	char out[256] = "";

	(void)state;
	items[0] = ev("SN-1", 1, "first");
	items[1] = ev("SN-1", 2, "second");
	memset(&items[2], 0, sizeof items[2]);
	items[2].kind = STORE_IN_RESULT;
	snprintf(items[2].serial, sizeof items[2].serial, "SN-1");
	items[2].received_at = 3000;
	snprintf(items[2].u.res.id, sizeof items[2].u.res.id, "c-1");
	items[2].u.res.status = RP_CMD_OK;
	snprintf(items[2].u.res.detail, sizeof items[2].u.res.detail, "pong");

	memset(&c, 0, sizeof c);
	snprintf(c.id, sizeof c.id, "c-1");
	c.type = RP_CMD_PING;
	c.ts = 2500;
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_OK);
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_E_EXISTS);
	snprintf(c.id, sizeof c.id, "c-2");
	c.ts = 2600;
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_OK);

	assert_int_equal(
	    store_ingest_write(s, items, 3, &keep_all, NULL, 0, &r), RP_OK);
	assert_int_equal(r.results, 1);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-1", 10, ev_cb, &x), RP_OK);
	assert_string_equal(x.seen, "second;first;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-1", 1, ev_cb, &x), RP_OK);
	assert_string_equal(x.seen, "second;");
	assert_int_equal(store_command_each(s, "SN-1", 10, cmd_cb, out), RP_OK);
	assert_string_equal(out, "c-2:open::0;c-1:done:pong:3000;");
	assert_int_equal(count("SELECT COUNT(*) FROM command_results"), 1);

	out[0] = '\0';
	items[0] = store_test_tel("SN-2", 5, 4000);
	assert_int_equal(
	    store_ingest_write(s, items, 1, &keep_all, NULL, 0, &r), RP_OK);
	assert_int_equal(store_device_status_each(s, dev_cb, out), RP_OK);
	assert_string_equal(out, "SN-1::3000;SN-2:1.4.5:4000;SN-ALLOW::0;");
	store_close(s);
}

static int count_refusal(void *arg, const struct store_refusal *r);

/* What the broker's ACL allows is checked again at the store (the broker
 * enforces its last snapshot): a device whose certificates are all
 * revoked sends nothing that is kept; a quarantined one only events. */
static void test_state_allows(void **state)
{
	struct store *s = open_fresh();
	struct store_in items[3];
	struct store_retention keep = {0, 0, 0};
	struct store_in_result res;
	struct store_status st;

	(void)state;
	assert_int_equal(store_cert_revoke(s, "0a02", 1, 1767225600), RP_OK);
	assert_int_equal(
	    store_device_set_quarantine(s, "SN-1", 1, "odd", 1767225600),
	    RP_OK);
	items[0] = store_test_tel("SN-2", 1, 1767225601); /* revoked: dropped */
	items[1] =
	    store_test_tel("SN-1", 1, 1767225601); /* quarantined: dropped */
	items[2] = ev("SN-1", 2, "while quarantined");
	assert_int_equal(store_ingest_write(s, items, 3, &keep, NULL, 0, &res),
	                 RP_OK);
	assert_int_equal(res.not_allowed, 2);
	assert_int_equal(res.telemetry, 0);
	assert_int_equal(res.events, 1);
	assert_int_equal(store_status_get(s, "SN-2", &st), RP_E_NOT_FOUND);
	assert_int_equal(store_status_get(s, "SN-1", &st), RP_OK);
	assert_int_equal(st.n_telemetry, 0);
	assert_int_equal(st.n_events, 1);
	store_close(s);
}

/* A batch that cannot begin (a transaction is already open on the
 * connection) fails without rolling back the transaction it found. */
static void test_batch_nested(void **state)
{
	struct store *s = open_fresh();
	struct store_in it = store_test_tel("SN-1", 1, 1767225600);
	struct store_in_result res;
	int64_t n[2];

	(void)state;
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_refusal_add(s, "est/simpleenroll", "", NULL,
	                                   RP_E_AUTH, "mine"),
	                 RP_OK);
	assert_int_equal(store_ingest_write(s, &it, 1,
	                                    &(struct store_retention){0}, NULL,
	                                    0, &res),
	                 RP_E_STATE);
	assert_int_equal(store_commit(s), RP_OK);
	memset(n, 0, sizeof n);
	assert_int_equal(store_refusal_each(s, 10, count_refusal, n), RP_OK);
	assert_int_equal(n[0], 1);
	store_close(s);
}

static int count_refusal(void *arg, const struct store_refusal *r)
{
	int64_t *n = arg;

	if (n[0]++ == 0)
		n[1] = r->id;
	return 0;
}

/* The refusals table is bounded (the broker feeds it at its rate for as
 * long as anyone keeps dialling): the newest keep rows stay. */
static void test_refusals_bounded(void **state)
{
	struct store *s = open_fresh();
	struct store_opts o;
	int64_t n[2];

	(void)state;
	store_opts_init(&o);
	o.refusals_keep = 10;
	store_close(s);
	assert_int_equal(store_open_with(path, &o, &s), RP_OK);
	for (int i = 0; i < 100; i++)
		assert_int_equal(store_refusal_add(s, "mqtt/connect",
		                                   "127.0.0.1:1", NULL,
		                                   RP_E_TLS, "broker: tls"),
		                 RP_OK);
	memset(n, 0, sizeof n);
	assert_int_equal(store_refusal_each(s, 1000, count_refusal, n), RP_OK);
	assert_int_equal(n[0], 10);
	assert_int_equal(n[1], 100); /* the newest kept */
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_refusal_add(s, "mqtt/connect",
		                                   "127.0.0.1:1", NULL,
		                                   RP_E_TLS, "broker: tls"),
		                 RP_OK);
	memset(n, 0, sizeof n);
	assert_int_equal(store_refusal_each(s, 1000, count_refusal, n), RP_OK);
	assert_int_equal(n[0], 15); /* keep + up to every - 1 */
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_batch_and_status),
	    cmocka_unit_test(test_batch_atomic),
	    cmocka_unit_test(test_retention),
	    cmocka_unit_test(test_events_commands_list),
	    cmocka_unit_test(test_refusals_bounded),
	    cmocka_unit_test(test_batch_nested),
	    cmocka_unit_test(test_state_allows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
