/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_broker.c - the broker plugin's pure parts (lib/broker_acl.c,
 * lib/broker_snapshot.c): every ACL template, in and out, per role and
 * state; the snapshot test vectors of docs/transport.md both ways; every
 * kind of malformed snapshot refused with its line; the atomic writer.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/broker.h"

#define D   RP_BROKER_ROLE_DEVICE
#define S   RP_BROKER_ROLE_SERVICE
#define M   RP_BROKER_ROLE_MONITOR
#define R   RP_BROKER_READ
#define W   RP_BROKER_WRITE
#define SUB RP_BROKER_SUBSCRIBE

/* docs/transport.md, "Test vector". */
static const char vector[] = "rampart-broker-snapshot 1\n"
                             "seq 7\n"
                             "service rampartd\n"
                             "device SN-0001 active\n"
                             "device SN-0002 quarantined\n"
                             "device SN-0003 revoked\n"
                             "device SN-0004 decommissioned\n"
                             "revoked-serial 1f3a\n"
                             "end 6\n";

/* docs/transport.md, "Test vector" (second: with a monitor). */
static const char vector_monitor[] = "rampart-broker-snapshot 1\n"
                                     "seq 8\n"
                                     "service rampartd\n"
                                     "monitor rampart-monitor\n"
                                     "device SN-0001 active\n"
                                     "end 3\n";

static bool dev(const char *topic, int access)
{
	return rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "SN1", topic, access);
}

static bool quar(const char *topic, int access)
{
	return rp_broker_acl_allows(D, RP_BROKER_QUARANTINED, "SN1", topic,
	                            access);
}

static bool svc(const char *topic, int access)
{
	return rp_broker_acl_allows(S, RP_BROKER_ACTIVE, "rampartd", topic,
	                            access);
}

static bool mon(const char *topic, int access)
{
	return rp_broker_acl_allows(M, RP_BROKER_ACTIVE, "rampart-monitor",
	                            topic, access);
}

static void test_acl_device(void **state)
{
	static const char *const pub[] = {
	    "rampart/v1/d/SN1/telemetry", "rampart/v1/d/SN1/events",
	    "rampart/v1/d/SN1/shadow/reported", "rampart/v1/d/SN1/cmd/result"};
	static const char *const sub[] = {"rampart/v1/d/SN1/cmd",
	                                  "rampart/v1/d/SN1/shadow/desired"};
	static const char *const never[] = {"#",
	                                    "+",
	                                    "$SYS/#",
	                                    "$SYS/broker/version",
	                                    "rampart/#",
	                                    "rampart/v1/d/+/cmd",
	                                    "rampart/v1/d/+/telemetry",
	                                    "rampart/v1/d/SN1/#",
	                                    "rampart/v1/d/SN1/+",
	                                    "rampart/v1/d/#",
	                                    "rampart/v1/d/SN2/telemetry",
	                                    "rampart/v1/d/SN2/cmd",
	                                    "rampart/v1/d/SN1",
	                                    "rampart/v1/d/SN1/",
	                                    "rampart/v1/d/SN11/cmd",
	                                    "rampart/v1/d/SN/cmd",
	                                    "rampart/v1/d/SN1/telemetry/x",
	                                    "rampart/v1/d/SN1/telemetryx",
	                                    "rampart/v1/d/SN1//telemetry",
	                                    "/rampart/v1/d/SN1/telemetry",
	                                    "rampart/v1/svc/broker/reload",
	                                    "rampart/v1/svc/broker/refusals",
	                                    "rampart/v1/d/SN1/cmd/#",
	                                    ""};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof pub / sizeof pub[0]; i++) {
		assert_true(dev(pub[i], W));
		assert_false(dev(pub[i], SUB));
		assert_false(dev(pub[i], R));
	}
	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		assert_true(dev(sub[i], SUB));
		assert_true(dev(sub[i], R));
		assert_false(dev(sub[i], W));
	}
	for (i = 0; i < sizeof never / sizeof never[0]; i++) {
		assert_false(dev(never[i], W));
		assert_false(dev(never[i], SUB));
		assert_false(dev(never[i], R));
	}
	/* Another device's own topics are its own, not SN1's. */
	assert_true(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "SN2",
	                                 "rampart/v1/d/SN2/telemetry", W));
	assert_true(dev("anything", RP_BROKER_UNSUBSCRIBE));
	assert_false(dev("rampart/v1/d/SN1/telemetry", 3));
	assert_false(dev("rampart/v1/d/SN1/telemetry", 0));
}

static void test_acl_states(void **state)
{
	static const enum rp_broker_state refused[] = {
	    RP_BROKER_UNKNOWN, RP_BROKER_REVOKED, RP_BROKER_DECOMMISSIONED, 9};
	size_t i;

	(void)state;
	/* Quarantined: publish events, receive commands; nothing else. */
	assert_true(quar("rampart/v1/d/SN1/events", W));
	assert_true(quar("rampart/v1/d/SN1/cmd", SUB));
	assert_true(quar("rampart/v1/d/SN1/cmd", R));
	assert_false(quar("rampart/v1/d/SN1/telemetry", W));
	assert_false(quar("rampart/v1/d/SN1/shadow/reported", W));
	assert_false(quar("rampart/v1/d/SN1/cmd/result", W));
	assert_false(quar("rampart/v1/d/SN1/shadow/desired", SUB));
	assert_false(quar("rampart/v1/d/SN1/shadow/desired", R));
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		assert_false(rp_broker_acl_allows(
		    D, refused[i], "SN1", "rampart/v1/d/SN1/events", W));
		assert_false(rp_broker_acl_allows(D, refused[i], "SN1",
		                                  "rampart/v1/d/SN1/cmd", R));
		assert_false(rp_broker_acl_allows(D, refused[i], "SN1", "x",
		                                  RP_BROKER_UNSUBSCRIBE));
	}
	assert_false(rp_broker_acl_allows(RP_BROKER_ROLE_NONE, RP_BROKER_ACTIVE,
	                                  "SN1", "rampart/v1/d/SN1/events", W));
	/* An id that could be a wildcard never gets anything. */
	assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "+",
	                                  "rampart/v1/d/+/events", W));
	assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "#",
	                                  "rampart/v1/d/#/cmd", SUB));
	assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "a/b",
	                                  "rampart/v1/d/a/b/cmd", SUB));
	assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "",
	                                  "rampart/v1/d//cmd", SUB));
	assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, NULL,
	                                  "rampart/v1/d//cmd", SUB));
	assert_false(
	    rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "SN1", NULL, SUB));
}

static void test_acl_service(void **state)
{
	(void)state;
	assert_true(svc("rampart/v1/d/+/telemetry", SUB));
	assert_true(svc("rampart/v1/d/+/events", SUB));
	assert_true(svc("rampart/v1/d/+/shadow/reported", SUB));
	assert_true(svc("rampart/v1/d/+/cmd/result", SUB));
	assert_true(svc("rampart/v1/d/SN9/telemetry", SUB));
	assert_true(svc("rampart/v1/d/SN9/telemetry", R));
	assert_false(svc("rampart/v1/d/+/telemetry", R));
	assert_true(svc("rampart/v1/d/SN9/cmd", W));
	assert_true(svc("rampart/v1/d/SN9/shadow/desired", W));
	assert_false(svc("rampart/v1/d/+/cmd", W));
	assert_false(svc("rampart/v1/d/SN9/telemetry", W));
	assert_false(svc("rampart/v1/d/SN9/cmd", SUB));
	assert_true(svc(RP_BROKER_TOPIC_RELOAD, W));
	assert_false(svc(RP_BROKER_TOPIC_RELOAD, SUB));
	assert_true(svc(RP_BROKER_TOPIC_REFUSALS, SUB));
	assert_true(svc(RP_BROKER_TOPIC_REFUSALS, R));
	assert_false(svc(RP_BROKER_TOPIC_REFUSALS, W));
	assert_true(svc(RP_BROKER_TOPIC_STATUS, SUB));
	assert_false(svc("#", SUB));
	assert_false(svc("$SYS/#", SUB));
	assert_false(svc("rampart/v1/d/#", SUB));
	assert_false(svc("rampart/v1/d/+/#", SUB));
	assert_false(svc("rampart/v1/d/+/+", SUB));
	assert_false(svc("rampart/v1/d/a+/telemetry", SUB));
	assert_false(svc("rampart/v1/d//telemetry", SUB));
	/* A quarantined or revoked service has no access at all. */
	assert_false(rp_broker_acl_allows(S, RP_BROKER_REVOKED, "rampartd",
	                                  "rampart/v1/d/+/telemetry", SUB));
}

static void test_acl_monitor(void **state)
{
	static const char *const sub[] = {
	    "rampart/v1/d/+/telemetry",         "rampart/v1/d/+/events",
	    "rampart/v1/d/+/shadow/reported",   "rampart/v1/d/+/cmd/result",
	    "rampart/v1/d/SN9/telemetry",       "rampart/v1/d/SN9/events",
	    "rampart/v1/d/SN9/shadow/reported", "rampart/v1/d/SN9/cmd/result",
	    RP_BROKER_TOPIC_REFUSALS,           RP_BROKER_TOPIC_STATUS};
	static const char *const never[] = {"#",
	                                    "+",
	                                    "$SYS/#",
	                                    "$SYS/broker/version",
	                                    "rampart/#",
	                                    "rampart/v1/d/#",
	                                    "rampart/v1/d/+/#",
	                                    "rampart/v1/d/+/+",
	                                    "rampart/v1/d/+/cmd",
	                                    "rampart/v1/d/SN9/cmd",
	                                    "rampart/v1/d/+/shadow/desired",
	                                    "rampart/v1/d/SN9/shadow/desired",
	                                    "rampart/v1/d/rampart-monitor/cmd",
	                                    "rampart/v1/d/a+/telemetry",
	                                    "rampart/v1/d//telemetry",
	                                    "rampart/v1/svc/#",
	                                    "rampart/v1/svc/broker/+",
	                                    RP_BROKER_TOPIC_RELOAD,
	                                    ""};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		assert_true(mon(sub[i], SUB));
		assert_false(mon(sub[i], W));
	}
	/* Received messages carry a concrete topic, never "+". */
	assert_true(mon("rampart/v1/d/SN9/telemetry", R));
	assert_true(mon(RP_BROKER_TOPIC_STATUS, R));
	assert_false(mon("rampart/v1/d/+/telemetry", R));
	/* Never publishes anything, not even where the service may. */
	assert_false(mon("rampart/v1/d/SN9/cmd", W));
	assert_false(mon("rampart/v1/d/SN9/shadow/desired", W));
	assert_false(mon(RP_BROKER_TOPIC_RELOAD, W));
	assert_false(mon("rampart/v1/d/rampart-monitor/telemetry", W));
	for (i = 0; i < sizeof never / sizeof never[0]; i++) {
		assert_false(mon(never[i], W));
		assert_false(mon(never[i], SUB));
		assert_false(mon(never[i], R));
	}
	assert_true(mon("anything", RP_BROKER_UNSUBSCRIBE));
	/* Only an active monitor has access. */
	assert_false(rp_broker_acl_allows(M, RP_BROKER_REVOKED,
	                                  "rampart-monitor",
	                                  "rampart/v1/d/+/telemetry", SUB));
	assert_false(rp_broker_acl_allows(M, RP_BROKER_UNKNOWN,
	                                  "rampart-monitor",
	                                  "rampart/v1/d/+/telemetry", SUB));
}

static void test_id_and_serial(void **state)
{
	static const uint8_t s1[] = {0x00, 0x00, 0x1f, 0x3a};
	static const uint8_t s2[] = {0x0a, 0xbc};
	uint8_t big[21];
	char hex[RP_BROKER_SERIAL_MAX + 1];
	char id65[66];

	(void)state;
	assert_true(rp_broker_id_valid("SN-0001_a.b", 11));
	assert_false(rp_broker_id_valid("SN 1", 4));
	assert_false(rp_broker_id_valid("SN/1", 4));
	assert_false(rp_broker_id_valid("SN+", 3));
	assert_false(rp_broker_id_valid("SN#", 3));
	assert_false(rp_broker_id_valid("", 0));
	assert_false(rp_broker_id_valid("\xc3\xa9", 2));
	memset(id65, 'a', sizeof id65);
	assert_true(rp_broker_id_valid(id65, 64));
	assert_false(rp_broker_id_valid(id65, 65));

	assert_int_equal(rp_broker_serial_hex(s1, sizeof s1, hex), RP_OK);
	assert_string_equal(hex, "1f3a");
	assert_int_equal(rp_broker_serial_hex(s2, sizeof s2, hex), RP_OK);
	assert_string_equal(hex, "abc");
	assert_int_equal(rp_broker_serial_hex(s1, 2, hex), RP_OK);
	assert_string_equal(hex, "0");
	memset(big, 0xff, sizeof big);
	assert_int_equal(rp_broker_serial_hex(big, 20, hex), RP_OK);
	assert_int_equal(strlen(hex), 40);
	assert_int_equal(rp_broker_serial_hex(big, 21, hex), RP_E_RANGE);
	assert_string_equal(rp_broker_state_name(RP_BROKER_QUARANTINED),
	                    "quarantined");
	assert_string_equal(rp_broker_state_name(99), "unknown");
}

static void lookup(const rp_broker_snapshot *s, const char *id,
                   enum rp_broker_role role, enum rp_broker_state st)
{
	enum rp_broker_role r;
	enum rp_broker_state x;

	rp_broker_snapshot_lookup(s, id, &r, &x);
	assert_int_equal(r, role);
	assert_int_equal(x, st);
}

static void test_snapshot_vector(void **state)
{
	static const char *const services[] = {"rampartd"};
	static const struct rp_broker_device devices[] = {
	    {"SN-0001", RP_BROKER_ACTIVE},
	    {"SN-0002", RP_BROKER_QUARANTINED},
	    {"SN-0003", RP_BROKER_REVOKED},
	    {"SN-0004", RP_BROKER_DECOMMISSIONED}};
	static const char *const revoked[] = {"1f3a"};
	struct rp_broker_fleet f = {7,       services, 1,    devices, 4,
	                            revoked, 1,        NULL, 0};
	rp_broker_snapshot *s = NULL;
	char *text = NULL;
	size_t len = 0, line = 99;

	(void)state;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len), RP_OK);
	assert_int_equal(len, strlen(vector));
	assert_memory_equal(text, vector, len);
	free(text);

	assert_int_equal(
	    rp_broker_snapshot_parse(vector, strlen(vector), NULL, &s, &line),
	    RP_OK);
	assert_int_equal(line, 0);
	assert_int_equal(rp_broker_snapshot_seq(s), 7);
	assert_int_equal(rp_broker_snapshot_count(s, false), 5);
	assert_int_equal(rp_broker_snapshot_count(s, true), 1);
	lookup(s, "rampartd", S, RP_BROKER_ACTIVE);
	lookup(s, "SN-0001", D, RP_BROKER_ACTIVE);
	lookup(s, "SN-0002", D, RP_BROKER_QUARANTINED);
	lookup(s, "SN-0003", D, RP_BROKER_REVOKED);
	lookup(s, "SN-0004", D, RP_BROKER_DECOMMISSIONED);
	lookup(s, "SN-0005", RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	lookup(s, "sn-0001", RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	lookup(s, "", RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	assert_true(rp_broker_snapshot_serial_revoked(s, "1f3a"));
	assert_false(rp_broker_snapshot_serial_revoked(s, "1f3b"));
	assert_false(rp_broker_snapshot_serial_revoked(s, "01f3a"));
	rp_broker_snapshot_free(s);
	/* A NULL snapshot knows nobody. */
	lookup(NULL, "SN-0001", RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
}

static void test_snapshot_vector_monitor(void **state)
{
	static const char *const services[] = {"rampartd"};
	static const char *const monitors[] = {"rampart-monitor"};
	static const struct rp_broker_device devices[] = {
	    {"SN-0001", RP_BROKER_ACTIVE}};
	static const char *const dup[] = {"rampartd"};
	static const char *const bad[] = {"a/b"};
	struct rp_broker_fleet f = {.seq = 8,
	                            .services = services,
	                            .n_services = 1,
	                            .devices = devices,
	                            .n_devices = 1,
	                            .monitors = monitors,
	                            .n_monitors = 1};
	rp_broker_snapshot *s = NULL;
	char *text = NULL;
	size_t len = 0, line = 99;

	(void)state;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len), RP_OK);
	assert_int_equal(len, strlen(vector_monitor));
	assert_memory_equal(text, vector_monitor, len);
	free(text);
	assert_int_equal(rp_broker_snapshot_parse(vector_monitor,
	                                          strlen(vector_monitor), NULL,
	                                          &s, &line),
	                 RP_OK);
	assert_int_equal(line, 0);
	assert_int_equal(rp_broker_snapshot_seq(s), 8);
	assert_int_equal(rp_broker_snapshot_count(s, false), 3);
	lookup(s, "rampartd", S, RP_BROKER_ACTIVE);
	lookup(s, "rampart-monitor", M, RP_BROKER_ACTIVE);
	lookup(s, "SN-0001", D, RP_BROKER_ACTIVE);
	rp_broker_snapshot_free(s);

	/* An id appears once across service, monitor and device lines. */
	f.monitors = dup;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_EXISTS);
	f.monitors = bad;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
	f.monitors = NULL;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
}

/* Replace the first occurrence of from by to in the vector; parse it. */
static rp_err parse_edit(const char *from, const char *to, size_t *line)
{
	char buf[1024];
	const char *at = strstr(vector, from);
	rp_broker_snapshot *s = (rp_broker_snapshot *)1;
	rp_err rc;

	assert_non_null(at);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - vector), vector, to,
	         at + strlen(from));
	rc = rp_broker_snapshot_parse(buf, strlen(buf), NULL, &s, line);
	if (rc != RP_OK)
		assert_null(s);
	rp_broker_snapshot_free(s);
	return rc;
}

static void test_snapshot_malformed(void **state)
{
	static const struct {
		const char *from, *to;
		rp_err rc;
		size_t line;
	} cases[] = {
	    {"snapshot 1", "snapshot 2", RP_E_SYNTAX, 1},
	    {"seq 7", "seq 07", RP_E_SYNTAX, 2},
	    {"seq 7", "seq -7", RP_E_SYNTAX, 2},
	    {"seq 7", "seq 99999999999999999999", RP_E_SYNTAX, 2},
	    {"seq 7\n", "", RP_E_SYNTAX, 2},
	    {"SN-0001 active", "SN-0001 Active", RP_E_SYNTAX, 4},
	    {"SN-0001 active", "SN-0001  active", RP_E_SYNTAX, 4},
	    {"SN-0001 active", "SN-0001 active ", RP_E_SYNTAX, 4},
	    {"SN-0001 active", "SN+1 active", RP_E_SYNTAX, 4},
	    {"SN-0001 active", "SN/1 active", RP_E_SYNTAX, 4},
	    {"SN-0001 active", "SN-0001", RP_E_SYNTAX, 4},
	    {"SN-0001 active", "SN-0002 active", RP_E_EXISTS, 5},
	    {"SN-0001 active", "rampartd active", RP_E_EXISTS, 4},
	    {"device SN-0001 active\n", "\n", RP_E_SYNTAX, 4},
	    {"device SN-0001 active\n", "# comment\n", RP_E_SYNTAX, 4},
	    {"active\n", "active\r\n", RP_E_SYNTAX, 4},
	    {"service rampartd", "service ramp artd", RP_E_SYNTAX, 3},
	    {"1f3a", "1F3A", RP_E_SYNTAX, 8},
	    {"1f3a", "01f3a", RP_E_SYNTAX, 8},
	    {"1f3a", "", RP_E_SYNTAX, 8},
	    {"1f3a", "1f3g", RP_E_SYNTAX, 8},
	    {"end 6\n", "end 5\n", RP_E_TRUNCATED, 0},
	    {"end 6\n", "end 7\n", RP_E_TRUNCATED, 0},
	    {"end 6\n", "", RP_E_TRUNCATED, 0},
	    {"end 6\n", "end 6", RP_E_TRUNCATED, 0},
	    {"end 6\n", "end 6\nend 6\n", RP_E_SYNTAX, 10},
	    {"end 6\n", "end 6\ndevice X active\n", RP_E_SYNTAX, 10},
	    {"end 6\n", "end six\n", RP_E_SYNTAX, 9},
	};
	size_t i, line;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rp_err rc = parse_edit(cases[i].from, cases[i].to, &line);

		if (rc != cases[i].rc || line != cases[i].line)
			fail_msg("case %zu (%s -> %s): got %s line %zu", i,
			         cases[i].from, cases[i].to, rp_errname(rc),
			         line);
	}
	{
		rp_broker_snapshot *s = NULL;
		char nul[] = "rampart-broker-snapshot 1\nseq 1\nend 0\n";

		nul[5] = '\0';
		assert_int_equal(rp_broker_snapshot_parse(nul, sizeof nul - 1,
		                                          NULL, &s, NULL),
		                 RP_E_SYNTAX);
		assert_int_equal(
		    rp_broker_snapshot_parse("", 0, NULL, &s, NULL),
		    RP_E_TRUNCATED);
		assert_int_equal(
		    rp_broker_snapshot_parse(vector, RP_BROKER_SNAPSHOT_MAX + 1,
		                             NULL, &s, NULL),
		    RP_E_TOO_BIG);
		assert_int_equal(
		    rp_broker_snapshot_parse(
		        "rampart-broker-snapshot 1\nseq 0\nend 0\n", 38, NULL,
		        &s, NULL),
		    RP_OK);
		assert_int_equal(rp_broker_snapshot_count(s, false), 0);
		rp_broker_snapshot_free(s);
	}
}

static int n_alloc, n_free;

static void *count_calloc(size_t n, size_t sz)
{
	n_alloc++;
	return calloc(n, sz);
}

static void count_free(void *p)
{
	if (p != NULL)
		n_free++;
	free(p);
}

static void test_snapshot_allocator(void **state)
{
	struct rp_broker_alloc a = {count_calloc, count_free};
	rp_broker_snapshot *s = NULL;

	(void)state;
	assert_int_equal(
	    rp_broker_snapshot_parse(vector, strlen(vector), &a, &s, NULL),
	    RP_OK);
	assert_true(n_alloc > 0);
	rp_broker_snapshot_free(s);
	assert_int_equal(n_alloc, n_free);
	/* Failure paths give back everything too. */
	assert_int_equal(
	    rp_broker_snapshot_parse(vector, strlen(vector) - 1, &a, &s, NULL),
	    RP_E_TRUNCATED);
	assert_int_equal(n_alloc, n_free);
}

static void test_snapshot_write(void **state)
{
	char dir[] = "/tmp/rampart-test-broker-XXXXXX", path[128], *tmpl;
	static const char *const services[] = {"rampartd"};
	struct rp_broker_device devices[1000];
	char ids[1000][16];
	static const char *const bad_serial[] = {"00ff"};
	struct rp_broker_fleet f = {1,    services, 1,    devices, 1000,
	                            NULL, 0,        NULL, 0};
	rp_broker_snapshot *s = NULL;
	struct stat st;
	size_t i, line;
	char *text;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/fleet.snapshot", dir);
	for (i = 0; i < 1000; i++) {
		snprintf(ids[i], sizeof ids[i], "dev%04zu", i);
		devices[i].id = ids[i];
		devices[i].state = (enum rp_broker_state)(1 + i % 4);
	}
	assert_int_equal(rp_broker_snapshot_write(path, &f, 0640), RP_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(rp_broker_snapshot_load(path, NULL, &s, &line), RP_OK);
	for (i = 0; i < 1000; i++)
		lookup(s, ids[i], D, (enum rp_broker_state)(1 + i % 4));
	rp_broker_snapshot_free(s);

	/* Invalid input: refused, the old file stays as it was. */
	devices[10].id = "bad/id";
	assert_int_equal(rp_broker_snapshot_write(path, &f, 0640), RP_E_INVAL);
	devices[10].id = ids[11]; /* duplicate */
	assert_int_equal(rp_broker_snapshot_write(path, &f, 0640), RP_E_EXISTS);
	devices[10].id = ids[10];
	devices[10].state = RP_BROKER_UNKNOWN;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
	devices[10].state = RP_BROKER_ACTIVE;
	f.revoked = bad_serial;
	f.n_revoked = 1;
	assert_int_equal(rp_broker_snapshot_write(path, &f, 0640), RP_E_INVAL);
	assert_int_equal(rp_broker_snapshot_load(path, NULL, &s, &line), RP_OK);
	lookup(s, ids[10], D, (enum rp_broker_state)(1 + 10 % 4));
	rp_broker_snapshot_free(s);
	assert_int_equal(rp_broker_snapshot_write(path, &f, 01777), RP_E_INVAL);
	/* No temporary file is left behind. */
	assert_int_equal(asprintf(&tmpl, "ls %s | grep -q tmp", dir) > 0, 1);
	assert_int_not_equal(system(tmpl), 0);
	free(tmpl);
	assert_int_equal(
	    rp_broker_snapshot_load("/nonexistent/x", NULL, &s, NULL),
	    RP_E_NOT_FOUND);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acl_device),
	    cmocka_unit_test(test_acl_states),
	    cmocka_unit_test(test_acl_service),
	    cmocka_unit_test(test_acl_monitor),
	    cmocka_unit_test(test_id_and_serial),
	    cmocka_unit_test(test_snapshot_vector),
	    cmocka_unit_test(test_snapshot_vector_monitor),
	    cmocka_unit_test(test_snapshot_malformed),
	    cmocka_unit_test(test_snapshot_allocator),
	    cmocka_unit_test(test_snapshot_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
