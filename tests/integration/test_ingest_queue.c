/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ingest_queue.c - rampartd's ingest queue (server/mqtt/ingest.c) on
 * a real SQLite store, without a broker: messages are handed in as the
 * MQTT callback would. A batch is written when it reaches batch_max or
 * when the batch timer fires (the libevent loop runs it); malformed
 * payloads and bad topics are counted, never stored; messages of devices
 * that are not enrolled are dropped and counted; and while the store is
 * locked by another connection nothing is lost silently: the queue keeps
 * what it holds, telemetry gives way to events, the rest is counted, no
 * write is tried per message, and the retry timer writes everything kept
 * once the store is free again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "cmocka_all.h"
#include "mqtt/mqtt.h"
#include "rampart/broker.h"
#include "rampartd.h"
#include "rpt.h"

static char path[600];
static struct rampartd rd;
static struct ingest in;

static void setup_store(size_t queue_max, size_t batch_max, int batch_ms)
{
	char dir[512];
	struct store_device d;
	struct store_cert cert;
	struct ingest_conf c;

	memset(&rd, 0, sizeof rd);
	rpt_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/rampart.db", dir);
	assert_int_equal(store_open(path, &rd.store), RP_OK);
	memset(&d, 0, sizeof d);
	snprintf(d.serial, sizeof d.serial, "SN-1");
	snprintf(d.hw_type, sizeof d.hw_type, "tpm2");
	snprintf(d.group, sizeof d.group, "g");
	assert_int_equal(store_device_add(rd.store, &d), RP_OK);
	assert_int_equal(
	    store_device_set_state(rd.store, "SN-1", STORE_DEV_ENROLLED),
	    RP_OK);
	/* enrolled: a valid device certificate (in_allowed) */
	memset(&cert, 0, sizeof cert);
	snprintf(cert.serial, sizeof cert.serial, "0a01");
	snprintf(cert.subject, sizeof cert.subject, "SN-1");
	snprintf(cert.kind, sizeof cert.kind, "device");
	cert.not_before = 1;
	cert.not_after = 4102444800; /* 2100 */
	assert_int_equal(store_cert_add(rd.store, &cert, "-"), RP_OK);
	rd.base = event_base_new();
	assert_non_null(rd.base);
	memset(&c, 0, sizeof c);
	c.queue_max = queue_max;
	c.batch_max = batch_max;
	c.batch_ms = batch_ms;
	assert_int_equal(ingest_init(&in, &rd, rd.base, &c), RP_OK);
}

static void teardown_store(void)
{
	ingest_free(&in);
	event_base_free(rd.base);
	store_close(rd.store);
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

static void send_tel(const char *id, uint64_t seq)
{
	struct rp_telemetry t;
	char buf[RP_MSG_MAX], topic[128];
	size_t len = 0;

	memset(&t, 0, sizeof t);
	t.seq = seq;
	t.ts = 1767225600;
	t.mem_total_kb = 1024;
	t.interval_s = 10;
	snprintf(t.fw_version, sizeof t.fw_version, "1.0.%llu",
	         (unsigned long long)seq);
	memset(t.fw_sha256, 'a', 64);
	assert_int_equal(rp_telemetry_encode(&t, buf, sizeof buf, &len), RP_OK);
	snprintf(topic, sizeof topic, "rampart/v1/d/%s/telemetry", id);
	ingest_message(&in, topic, buf, len);
}

static void send_ev(const char *id, const char *detail)
{
	struct rp_event e;
	char buf[RP_MSG_MAX], topic[128];
	size_t len = 0;

	memset(&e, 0, sizeof e);
	e.seq = 1;
	e.ts = 1767225600;
	e.type = RP_EVENT_CONFIG_CHANGE;
	e.severity = RP_SEV_INFO;
	e.count = 1;
	snprintf(e.detail, sizeof e.detail, "%s", detail);
	assert_int_equal(rp_event_encode(&e, buf, sizeof buf, &len), RP_OK);
	snprintf(topic, sizeof topic, "rampart/v1/d/%s/events", id);
	ingest_message(&in, topic, buf, len);
}

static void test_batch_max_and_timer(void **state)
{
	(void)state;
	setup_store(8, 4, 20);
	send_tel("SN-1", 1);
	send_tel("SN-1", 2);
	send_tel("SN-1", 3);
	assert_int_equal(in.n, 3);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 0);
	/* the batch timer writes them: the loop ends when nothing is left */
	assert_true(event_base_dispatch(rd.base) >= 0);
	assert_int_equal(in.n, 0);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 3);
	/* batch_max reached: written at once, inside the "callback" */
	for (uint64_t i = 4; i <= 7; i++)
		send_tel("SN-1", i);
	assert_int_equal(in.n, 0);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 7);
	assert_int_equal(
	    count("SELECT seq FROM device_status WHERE serial='SN-1'"), 7);
	assert_int_equal(
	    count("SELECT value FROM ingest_counters WHERE name='received'"),
	    7);
	teardown_store();
}

static void test_rejected_and_misrouted(void **state)
{
	(void)state;
	setup_store(8, 8, 1000);
	ingest_message(&in, "rampart/v1/d/SN-1/telemetry", "{\"v\":1", 6);
	ingest_message(&in, "rampart/v1/d/SN-1/events", "\x01\xff", 2);
	ingest_message(&in, "rampart/v1/d/+/telemetry", "{}", 2);
	ingest_message(&in, "rampart/v1/d/SN-1/shadow/reported", "{}", 2);
	ingest_message(&in, "elsewhere", "", 0);
	send_tel("SN-X", 1); /* valid, but no such device */
	assert_int_equal(in.total[IC_REJECTED], 2);
	assert_int_equal(in.total[IC_BAD_TOPIC], 3);
	assert_int_equal(in.total[IC_RECEIVED], 3);
	assert_int_equal(ingest_flush(&in), RP_OK);
	assert_int_equal(in.stored.unknown, 1);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM events"), 0);
	assert_int_equal(
	    count("SELECT n_rejected FROM device_status WHERE serial='SN-1'"),
	    2);
	assert_int_equal(count("SELECT value FROM ingest_counters "
	                       "WHERE name='bad_topic'"),
	                 3);
	assert_int_equal(count("SELECT value FROM ingest_counters "
	                       "WHERE name='unknown_device'"),
	                 1);
	teardown_store();
}

static int last_refusal(void *arg, const struct store_refusal *r)
{
	memcpy(arg, r, sizeof *r);
	return 1; /* the newest only */
}

/* A refusal carries what the client chose (a topic, an id): stored as
 * printable ASCII, so the row stays valid UTF-8 (printable as JSON by
 * GET /api/v1/refusals) whatever size a column cuts it to. */
static void test_refusal_client_strings(void **state)
{
	char msg[1200], topic[600];
	struct store_refusal r;
	json_t *j;
	size_t i;
	int n;

	(void)state;
	setup_store(8, 8, 1000);
	n = snprintf(topic, sizeof topic, "rampart/v1/d/SN-1/");
	for (i = 0; i < 120; i++)
		n += snprintf(topic + n, sizeof topic - (size_t)n, "\u00e9");
	snprintf(msg, sizeof msg,
	         "{\"reason\":\"acl\",\"action\":\"publish\","
	         "\"id\":\"SN-1\",\"address\":\"127.0.0.1:5\","
	         "\"topic\":\"%s\"}",
	         topic);
	ingest_message(&in, RP_BROKER_TOPIC_REFUSALS, msg, strlen(msg));
	/* queued: written with its batch, one commit for many refusals */
	assert_int_equal(in.n, 1);
	assert_int_equal(count("SELECT COUNT(*) FROM refusals"), 0);
	assert_int_equal(ingest_flush(&in), RP_OK);
	assert_int_equal(count("SELECT COUNT(*) FROM refusals"), 1);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_refusal_each(rd.store, 1, last_refusal, &r),
	                 RP_OK);
	assert_string_equal(r.route, "mqtt/publish");
	assert_string_equal(r.subject, "SN-1");
	assert_non_null(strstr(r.detail, "broker: acl rampart/v1/d/SN-1/"
	                                 "\\xc3\\xa9\\xc3\\xa9"));
	for (i = 0; r.detail[i] != '\0'; i++)
		assert_true(r.detail[i] >= 0x20 && r.detail[i] < 0x7f);
	j = json_string(r.detail);
	assert_non_null(j);
	json_decref(j);
	/* an id with a control character: not a subject, escaped */
	snprintf(msg, sizeof msg,
	         "{\"reason\":\"bad_client_id\",\"action\":\"connect\","
	         "\"id\":\"a\\u001b[2Jb\",\"address\":\"127.0.0.1:6\"}");
	ingest_message(&in, RP_BROKER_TOPIC_REFUSALS, msg, strlen(msg));
	assert_int_equal(ingest_flush(&in), RP_OK);
	assert_int_equal(store_refusal_each(rd.store, 1, last_refusal, &r),
	                 RP_OK);
	assert_string_equal(r.subject, "");
	assert_string_equal(r.detail, "broker: bad_client_id id a\\x1b[2Jb");
	teardown_store();
}

/* The store is locked by someone else: the queue's policy. */
static void test_store_locked(void **state)
{
	struct store *other = NULL;
	struct store_opts o;

	(void)state;
	setup_store(4, 4, 1000);
	/* writes fail at once while the other connection holds the lock */
	store_opts_init(&o);
	o.lock_wait_ms = 0;
	store_close(rd.store);
	assert_int_equal(store_open_with(path, &o, &rd.store), RP_OK);
	assert_int_equal(store_open(path, &other), RP_OK);
	assert_int_equal(store_begin(other), RP_OK);

	for (uint64_t i = 1; i <= 4; i++)
		send_tel("SN-1", i); /* the 4th triggers a write that fails */
	assert_int_equal(in.n, 4);
	assert_int_equal(in.total[IC_STORE_FAILURES], 1);
	send_ev("SN-1", "e1"); /* takes the place of telemetry 1 */
	assert_int_equal(in.n, 4);
	assert_int_equal(in.total[IC_OVERFLOW_TEL], 1);
	send_tel("SN-1", 5); /* the queue is full: new telemetry dropped */
	assert_int_equal(in.total[IC_OVERFLOW_TEL], 2);
	send_ev("SN-1", "e2");
	send_ev("SN-1", "e3");
	send_ev("SN-1", "e4"); /* now the queue holds events only */
	assert_int_equal(in.total[IC_OVERFLOW_TEL], 5);
	assert_int_equal(in.n_tel, 0);
	send_ev("SN-1", "e5"); /* nothing left to give way: counted */
	assert_int_equal(in.total[IC_OVERFLOW_EV], 1);
	assert_int_equal(in.n, 4);
	assert_int_equal(count("SELECT COUNT(*) FROM events"), 0);
	/* no new write was tried per message: the retry timer does that */
	assert_int_equal(in.total[IC_STORE_FAILURES], 1);

	store_rollback(other);
	store_close(other);
	/* the retry timer writes what was kept; then nothing is left */
	assert_true(event_base_dispatch(rd.base) >= 0);
	assert_int_equal(in.n, 0);
	assert_int_equal(count("SELECT COUNT(*) FROM telemetry"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM events"), 4);
	assert_int_equal(count("SELECT COUNT(*) FROM events WHERE detail IN "
	                       "('e1','e2','e3','e4')"),
	                 4);
	assert_int_equal(count("SELECT value FROM ingest_counters "
	                       "WHERE name='overflow_telemetry'"),
	                 5);
	assert_int_equal(count("SELECT value FROM ingest_counters "
	                       "WHERE name='overflow_events'"),
	                 1);
	assert_true(count("SELECT value FROM ingest_counters "
	                  "WHERE name='store_failures'") >= 1);
	teardown_store();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_batch_max_and_timer),
	    cmocka_unit_test(test_rejected_and_misrouted),
	    cmocka_unit_test(test_refusal_client_strings),
	    cmocka_unit_test(test_store_locked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
