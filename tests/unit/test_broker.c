/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_broker.c - the broker plugin's pure parts (lib/proto/broker_acl.c,
 * lib/proto/broker_snapshot.c, lib/proto/broker_cert.c): every ACL template, in
 * and out, per role and state, and the namespaces kept apart; reserved ids and
 * the device-id rule; the snapshot test vectors of docs/transport.md both
 * ways; every kind of malformed snapshot refused with its line; the
 * connect decision (profile, table, pin); client certificates made here
 * with OpenSSL (a test CA, leaves with chosen extensions) read into their
 * profile or refused; the atomic writer.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmocka_all.h"
#include "rampart/broker.h"
#include "rampart/id.h"

#define D   RP_BROKER_ROLE_DEVICE
#define S   RP_BROKER_ROLE_SERVICE
#define M   RP_BROKER_ROLE_MONITOR
#define R   RP_BROKER_READ
#define W   RP_BROKER_WRITE
#define SUB RP_BROKER_SUBSCRIBE

#define PIN0 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define PIN1 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

/* docs/transport.md, "Test vector". */
static const char vector[] = "rampart-broker-snapshot 2\n"
                             "seq 7\n"
                             "service rampartd " PIN0 "\n"
                             "device SN-0001 active\n"
                             "device SN-0002 quarantined\n"
                             "device SN-0003 revoked\n"
                             "device SN-0004 decommissioned\n"
                             "revoked-serial 1f3a\n"
                             "end 6\n";

/* docs/transport.md, "Test vector" (second: with a monitor). */
static const char vector_monitor[] = "rampart-broker-snapshot 2\n"
                                     "seq 8\n"
                                     "service rampartd " PIN0 "\n"
                                     "monitor rampart-monitor " PIN1 "\n"
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

/* Reserved ids: services and monitors only; devices never. */
static void test_acl_namespaces(void **state)
{
	static const char *const topics[] = {"rampart/v1/d/rampartd/telemetry",
	                                     "rampart/v1/d/rampartd/cmd",
	                                     "rampart/v1/d/+/telemetry",
	                                     "rampart/v1/d/SN1/cmd",
	                                     RP_BROKER_TOPIC_RELOAD,
	                                     RP_BROKER_TOPIC_REFUSALS};
	static const int acc[] = {R, W, SUB, RP_BROKER_UNSUBSCRIBE};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof topics / sizeof topics[0]; i++) {
		for (j = 0; j < sizeof acc / sizeof acc[0]; j++) {
			assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE,
			                                  "rampartd", topics[i],
			                                  acc[j]));
			assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE,
			                                  "RAMPART-x",
			                                  topics[i], acc[j]));
			assert_false(rp_broker_acl_allows(
			    S, RP_BROKER_ACTIVE, "SN1", topics[i], acc[j]));
			assert_false(rp_broker_acl_allows(
			    M, RP_BROKER_ACTIVE, "SN1", topics[i], acc[j]));
		}
	}
	/* the device's own subtree, were its id reserved: still nothing */
	assert_false(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "rampartd",
	                                  "rampart/v1/d/rampartd/telemetry",
	                                  W));
	assert_true(rp_broker_acl_allows(D, RP_BROKER_ACTIVE, "xrampartd",
	                                 "rampart/v1/d/xrampartd/telemetry",
	                                 W));
	/* any reserved id may hold the service or monitor role */
	assert_true(rp_broker_acl_allows(S, RP_BROKER_ACTIVE, "Rampart-2",
	                                 "rampart/v1/d/SN1/cmd", W));
	assert_true(rp_broker_acl_allows(M, RP_BROKER_ACTIVE, "rampart",
	                                 "rampart/v1/d/+/events", SUB));
}

/*
 * The one id rule (rampart/id.h), byte by byte: exactly A-Z a-z 0-9 . _ -
 * pass, every other byte value (NUL and >= 0x80 included) fails, alone and
 * inside an id, through rp_id_valid and the broker's names for it.
 */
static void test_id_rule_bytes(void **state)
{
	char id65[66];
	char why[160];
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		char one[1] = {(char)b};
		char mid[3] = {'a', (char)b, 'z'};
		bool want = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
		            (b >= '0' && b <= '9') || b == '.' || b == '_' ||
		            b == '-';

		assert_int_equal(rp_id_char(b), want);
		assert_int_equal(rp_id_valid(one, 1), want);
		assert_int_equal(rp_id_valid(mid, 3), want);
		assert_int_equal(rp_broker_id_valid(mid, 3), want);
		assert_int_equal(
		    rp_broker_device_id_check(mid, 3, why, sizeof why) == RP_OK,
		    want);
	}
	memset(id65, 'a', sizeof id65);
	assert_true(rp_id_valid(id65, RP_ID_MAX));
	assert_false(rp_id_valid(id65, RP_ID_MAX + 1));
	assert_false(rp_id_valid(id65, 0));
	assert_false(rp_id_valid(NULL, 1));
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

/* rp_broker_device_id_check on a NUL-terminated id; *why its sentence. */
static rp_err devcheck(const char *id, char *why, size_t cap)
{
	return rp_broker_device_id_check(id, strlen(id), why, cap);
}

#define EXPLAIN \
	" (ids beginning with \"rampart\" name Rampart's own identities)"

static void test_id_reserved(void **state)
{
	static const char *const reserved[] = {
	    "rampart",         "rampartd",  "Rampartd", "RAMPART-x",
	    "rampart-monitor", "rAmPaRt.9", "rampart_"};
	static const char *const free_ids[] = {
	    "rampar", "xrampartd", "ramp",    "SN-0001",
	    "r",      "_rampart",  "rampa-rt"};
	char why[256], id[70];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		assert_true(
		    rp_broker_id_reserved(reserved[i], strlen(reserved[i])));
		assert_int_equal(devcheck(reserved[i], why, sizeof why),
		                 RP_E_RESERVED);
		assert_non_null(strstr(why, EXPLAIN));
	}
	for (i = 0; i < sizeof free_ids / sizeof free_ids[0]; i++) {
		assert_false(
		    rp_broker_id_reserved(free_ids[i], strlen(free_ids[i])));
		why[0] = 'x';
		assert_int_equal(devcheck(free_ids[i], why, sizeof why), RP_OK);
		assert_string_equal(why, "");
	}
	/* the length is the caller's: "rampartd" cut to 6 is "rampar" */
	assert_false(rp_broker_id_reserved("rampartd", 6));
	assert_true(rp_broker_id_reserved("rampartd", 7));
	assert_false(rp_broker_id_reserved(NULL, 0));
	assert_false(rp_broker_id_reserved("ramp\0rt", 7));
	/* ASCII folding only: no other byte stands for a letter */
	assert_false(rp_broker_id_reserved("r\xc3\xa1mpart", 8));
	assert_false(rp_broker_id_reserved("rampar\xd4", 7));

	assert_int_equal(devcheck("rampartd", why, sizeof why), RP_E_RESERVED);
	assert_string_equal(why,
	                    "'rampartd' is reserved for the server" EXPLAIN);
	assert_int_equal(devcheck("rampart-monitor", why, sizeof why),
	                 RP_E_RESERVED);
	assert_string_equal(
	    why, "'rampart-monitor' is reserved for the monitor" EXPLAIN);
	assert_int_equal(devcheck("Rampartd", why, sizeof why), RP_E_RESERVED);
	assert_string_equal(why, "'Rampartd' is reserved" EXPLAIN);

	assert_int_equal(devcheck("", why, sizeof why), RP_E_SYNTAX);
	assert_non_null(strstr(why, "''"));
	assert_non_null(strstr(why, "empty"));
	assert_int_equal(rp_broker_device_id_check(NULL, 3, why, sizeof why),
	                 RP_E_SYNTAX);
	assert_int_equal(devcheck("SN 1", why, sizeof why), RP_E_SYNTAX);
	assert_non_null(strstr(why, "'SN 1' is not a valid id"));
	assert_int_equal(devcheck("SN\x01\xc3\xa9\n", why, sizeof why),
	                 RP_E_SYNTAX);
	assert_non_null(strstr(why, "'SN\?\?\?\?'"));
	assert_int_equal(rp_broker_device_id_check("a\0b", 3, why, sizeof why),
	                 RP_E_SYNTAX);
	assert_non_null(strstr(why, "'a?b'"));
	assert_null(strstr(why, "rampart"));

	memset(id, 'a', sizeof id);
	id[64] = '\0';
	assert_int_equal(devcheck(id, why, sizeof why), RP_OK);
	id[64] = 'b';
	id[65] = '\0';
	assert_int_equal(devcheck(id, why, sizeof why), RP_E_SYNTAX);
	assert_non_null(strstr(why, "longer than 64"));
	/* the id is shown cut at 64: the 65th byte never appears */
	assert_null(strchr(why, 'b'));
	assert_non_null(strstr(why, "aaaaaaaa"));
	id[0] = 'r';
	memcpy(id, "rampart", 7);
	assert_int_equal(devcheck(id, why, sizeof why), RP_E_SYNTAX);

	/* no room for the sentence: the verdict still holds */
	assert_int_equal(devcheck("rampartd", NULL, 0), RP_E_RESERVED);
	assert_int_equal(devcheck("SN 1", NULL, 0), RP_E_SYNTAX);
	assert_int_equal(devcheck("SN1", NULL, 0), RP_OK);
	why[0] = 'x';
	assert_int_equal(devcheck("rampartd", why, 0), RP_E_RESERVED);
	assert_int_equal(why[0], 'x');
	memset(why, 'x', sizeof why);
	assert_int_equal(devcheck("rampartd", why, 8), RP_E_RESERVED);
	assert_string_equal(why, "'rampar");
	assert_int_equal(why[8], 'x');
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

/* The vectors' pins: PIN0 is 00..1f, PIN1 is 20..3f. */
static void pins(uint8_t p0[RP_BROKER_PIN_LEN], uint8_t p1[RP_BROKER_PIN_LEN])
{
	for (size_t i = 0; i < RP_BROKER_PIN_LEN; i++) {
		p0[i] = (uint8_t)i;
		p1[i] = (uint8_t)(0x20 + i);
	}
}

static void test_snapshot_vector(void **state)
{
	struct rp_broker_principal services[1] = {{"rampartd", {0}}};
	static const struct rp_broker_device devices[] = {
	    {"SN-0001", RP_BROKER_ACTIVE},
	    {"SN-0002", RP_BROKER_QUARANTINED},
	    {"SN-0003", RP_BROKER_REVOKED},
	    {"SN-0004", RP_BROKER_DECOMMISSIONED}};
	static const char *const revoked[] = {"1f3a"};
	struct rp_broker_fleet f = {7,       services, 1,    devices, 4,
	                            revoked, 1,        NULL, 0};
	rp_broker_snapshot *s = NULL;
	uint8_t other[RP_BROKER_PIN_LEN];
	char *text = NULL;
	size_t len = 0, line = 99;

	(void)state;
	pins(services[0].pin, other);
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
	struct rp_broker_principal services[1] = {{"rampartd", {0}}};
	struct rp_broker_principal monitors[1] = {{"rampart-monitor", {0}}};
	static const struct rp_broker_device devices[] = {
	    {"SN-0001", RP_BROKER_ACTIVE}};
	struct rp_broker_principal dup[1] = {{"rampartd", {0}}};
	struct rp_broker_principal bad[1] = {{"a/b", {0}}};
	struct rp_broker_principal unreserved[1] = {{"SN-0009", {0}}};
	static const struct rp_broker_device dev_reserved[] = {
	    {"RAMPART-x", RP_BROKER_ACTIVE}};
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
	pins(services[0].pin, monitors[0].pin);
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
	text = (char *)1;
	f.monitors = dup;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_EXISTS);
	assert_null(text);
	f.monitors = bad;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
	/* the namespaces: a monitor, a service unreserved; a device not */
	f.monitors = unreserved;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
	f.monitors = monitors;
	f.services = unreserved;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
	f.services = services;
	f.devices = dev_reserved;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
	f.devices = devices;
	f.monitors = NULL;
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &len),
	                 RP_E_INVAL);
	assert_null(text);
}

/* Replace the first occurrence of from by to in base; parse it. */
static rp_err parse_edit(const char *base, const char *from, const char *to,
                         size_t *line)
{
	char buf[1024];
	const char *at = strstr(base, from);
	rp_broker_snapshot *s = (rp_broker_snapshot *)1;
	rp_err rc;

	assert_non_null(at);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - base), base, to,
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
		const char *base, *from, *to;
		rp_err rc;
		size_t line;
	} cases[] = {
	    /* line 1: format 2 only; another version is a format we refuse */
	    {vector, "snapshot 2", "snapshot 1", RP_E_UNSUPPORTED, 1},
	    {vector, "snapshot 2", "snapshot 3", RP_E_UNSUPPORTED, 1},
	    {vector, "snapshot 2", "snapshot 10", RP_E_UNSUPPORTED, 1},
	    {vector, "snapshot 2", "snapshot 2x", RP_E_SYNTAX, 1},
	    {vector, "snapshot 2", "snapshot  2", RP_E_SYNTAX, 1},
	    {vector, "snapshot 2", "snapshot ", RP_E_SYNTAX, 1},
	    {vector, "snapshot 2", "snapshot", RP_E_SYNTAX, 1},
	    {vector, "snapshot 2", "snapshot -2", RP_E_SYNTAX, 1},
	    {vector, "rampart-broker", "Rampart-broker", RP_E_SYNTAX, 1},
	    {vector, "seq 7", "seq 07", RP_E_SYNTAX, 2},
	    {vector, "seq 7", "seq -7", RP_E_SYNTAX, 2},
	    {vector, "seq 7", "seq 99999999999999999999", RP_E_SYNTAX, 2},
	    {vector, "seq 7\n", "", RP_E_SYNTAX, 2},
	    {vector, "SN-0001 active", "SN-0001 Active", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "SN-0001  active", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "SN-0001 active ", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "SN+1 active", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "SN/1 active", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "SN-0001", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "SN-0002 active", RP_E_EXISTS, 5},
	    /* a device never holds a reserved id, even one no service has */
	    {vector, "SN-0001 active", "rampartd active", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "RAMPART-x active", RP_E_SYNTAX, 4},
	    {vector, "SN-0001 active", "Rampart active", RP_E_SYNTAX, 4},
	    {vector, "device SN-0001 active\n", "\n", RP_E_SYNTAX, 4},
	    {vector, "device SN-0001 active\n", "# comment\n", RP_E_SYNTAX, 4},
	    {vector, "active\n", "active\r\n", RP_E_SYNTAX, 4},
	    /* service lines: a reserved id and exactly 64 lower-case hex */
	    {vector, "service rampartd", "service ramp artd", RP_E_SYNTAX, 3},
	    {vector, "rampartd " PIN0, "rampartd", RP_E_SYNTAX, 3},
	    {vector, "rampartd " PIN0, "rampartd ", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1\n", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e\n", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1f0\n", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1f00\n", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1F\n", RP_E_SYNTAX, 3},
	    {vector, "0a0b", "0A0B", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1g\n", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1 \n", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1f \n", RP_E_SYNTAX, 3},
	    {vector, "1e1f\n", "1e1f x\n", RP_E_SYNTAX, 3},
	    {vector, "rampartd " PIN0, "rampartd  " PIN0, RP_E_SYNTAX, 3},
	    {vector, "service rampartd", "service SN-0009", RP_E_SYNTAX, 3},
	    {vector, "service rampartd", "service xrampartd", RP_E_SYNTAX, 3},
	    {vector, "service rampartd", "service rampart/d", RP_E_SYNTAX, 3},
	    {vector, "service rampartd", "service", RP_E_SYNTAX, 3},
	    {vector_monitor, "monitor rampart-monitor", "monitor SN-0009",
	     RP_E_SYNTAX, 4},
	    {vector_monitor, "monitor rampart-monitor " PIN1,
	     "monitor rampart-monitor", RP_E_SYNTAX, 4},
	    {vector_monitor, "3e3f\n", "3e3F\n", RP_E_SYNTAX, 4},
	    /* one id, one role: across service, monitor and device lines */
	    {vector_monitor, "monitor rampart-monitor", "monitor rampartd",
	     RP_E_EXISTS, 4},
	    {vector_monitor, "device SN-0001", "device rampartd", RP_E_SYNTAX,
	     5},
	    {vector_monitor, "device SN-0001",
	     "service rampart-monitor " PIN0 "\ndevice SN-0001", RP_E_EXISTS,
	     5},
	    {vector, "1f3a", "1F3A", RP_E_SYNTAX, 8},
	    {vector, "1f3a", "01f3a", RP_E_SYNTAX, 8},
	    {vector, "1f3a", "", RP_E_SYNTAX, 8},
	    {vector, "1f3a", "1f3g", RP_E_SYNTAX, 8},
	    {vector, "end 6\n", "end 5\n", RP_E_TRUNCATED, 0},
	    {vector, "end 6\n", "end 7\n", RP_E_TRUNCATED, 0},
	    {vector, "end 6\n", "", RP_E_TRUNCATED, 0},
	    {vector, "end 6\n", "end 6", RP_E_TRUNCATED, 0},
	    {vector, "end 6\n", "end 6\nend 6\n", RP_E_SYNTAX, 10},
	    {vector, "end 6\n", "end 6\ndevice X active\n", RP_E_SYNTAX, 10},
	    {vector, "end 6\n", "end six\n", RP_E_SYNTAX, 9},
	};
	size_t i, line;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rp_err rc = parse_edit(cases[i].base, cases[i].from,
		                       cases[i].to, &line);

		if (rc != cases[i].rc || line != cases[i].line)
			fail_msg("case %zu (%s -> %s): got %s line %zu", i,
			         cases[i].from, cases[i].to, rp_errname(rc),
			         line);
	}
	{
		rp_broker_snapshot *s = NULL;
		char nul[] = "rampart-broker-snapshot 2\nseq 1\nend 0\n";
		/* format 1, as rampartd wrote it before: refused whole */
		static const char v1[] = "rampart-broker-snapshot 1\n"
		                         "seq 7\n"
		                         "service rampartd\n"
		                         "device SN-0001 active\n"
		                         "end 2\n";

		line = 0;
		assert_int_equal(rp_broker_snapshot_parse(v1, sizeof v1 - 1,
		                                          NULL, &s, &line),
		                 RP_E_UNSUPPORTED);
		assert_null(s);
		assert_int_equal(line, 1);
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
		        "rampart-broker-snapshot 2\nseq 0\nend 0\n", 38, NULL,
		        &s, NULL),
		    RP_OK);
		assert_int_equal(rp_broker_snapshot_count(s, false), 0);
		rp_broker_snapshot_free(s);
	}
}

/* What rp_broker_snapshot_decide grants a peer of this profile, id, pin. */
static void decide(const rp_broker_snapshot *s, enum rp_broker_role profile,
                   const char *id, const uint8_t *pin,
                   enum rp_broker_role want_role,
                   enum rp_broker_state want_state)
{
	struct rp_broker_peer p;
	enum rp_broker_role r = 99;
	enum rp_broker_state x = 99;

	memset(&p, 0, sizeof p);
	p.profile = profile;
	snprintf(p.id, sizeof p.id, "%s", id);
	snprintf(p.serial, sizeof p.serial, "1");
	if (pin != NULL)
		memcpy(p.pin, pin, sizeof p.pin);
	rp_broker_snapshot_decide(s, &p, &r, &x);
	if (r != want_role || x != want_state)
		fail_msg("decide(profile %d, %s): got role %d state %d, want "
		         "%d %d",
		         (int)profile, id, (int)r, (int)x, (int)want_role,
		         (int)want_state);
}

static void test_snapshot_decide(void **state)
{
	static const char with_devs[] = "rampart-broker-snapshot 2\n"
	                                "seq 9\n"
	                                "service rampartd " PIN0 "\n"
	                                "monitor rampart-monitor " PIN1 "\n"
	                                "device SN-0001 active\n"
	                                "device SN-0002 quarantined\n"
	                                "device SN-0003 revoked\n"
	                                "end 5\n";
	rp_broker_snapshot *s = NULL;
	uint8_t p0[RP_BROKER_PIN_LEN], p1[RP_BROKER_PIN_LEN];
	uint8_t wrong[RP_BROKER_PIN_LEN];
	struct rp_broker_peer p;
	enum rp_broker_role r;
	enum rp_broker_state x;

	(void)state;
	pins(p0, p1);
	memcpy(wrong, p0, sizeof wrong);
	wrong[31] ^= 1;
	assert_int_equal(rp_broker_snapshot_parse(with_devs, strlen(with_devs),
	                                          NULL, &s, NULL),
	                 RP_OK);
	/* the right profile, id and key */
	decide(s, S, "rampartd", p0, S, RP_BROKER_ACTIVE);
	decide(s, M, "rampart-monitor", p1, M, RP_BROKER_ACTIVE);
	decide(s, D, "SN-0001", NULL, D, RP_BROKER_ACTIVE);
	decide(s, D, "SN-0002", p0, D, RP_BROKER_QUARANTINED);
	decide(s, D, "SN-0003", NULL, D, RP_BROKER_REVOKED);
	/* issue 9: a device certificate named rampartd is not the service,
	 * not even holding the service's pin */
	decide(s, D, "rampartd", NULL, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, D, "rampartd", p0, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, D, "rampart-monitor", p1, RP_BROKER_ROLE_NONE,
	       RP_BROKER_UNKNOWN);
	/* the right id but another key */
	decide(s, S, "rampartd", wrong, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, S, "rampartd", p1, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, M, "rampart-monitor", p0, RP_BROKER_ROLE_NONE,
	       RP_BROKER_UNKNOWN);
	/* one role's id and key under the other role's profile */
	decide(s, S, "rampart-monitor", p1, RP_BROKER_ROLE_NONE,
	       RP_BROKER_UNKNOWN);
	decide(s, M, "rampartd", p0, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	/* a device's id under a service or monitor profile */
	decide(s, S, "SN-0001", p0, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, M, "SN-0001", p1, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	/* ids the snapshot does not list, and no profile at all */
	decide(s, D, "SN-0009", NULL, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, S, "rampart-2", p0, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, D, "Rampartd", NULL, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(s, RP_BROKER_ROLE_NONE, "rampartd", p0, RP_BROKER_ROLE_NONE,
	       RP_BROKER_UNKNOWN);
	decide(s, RP_BROKER_ROLE_NONE, "SN-0001", NULL, RP_BROKER_ROLE_NONE,
	       RP_BROKER_UNKNOWN);
	decide(s, (enum rp_broker_role)(256 + S), "rampartd", p0,
	       RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	decide(NULL, S, "rampartd", p0, RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	/* a peer whose id is not a string is nobody */
	memset(&p, 'a', sizeof p);
	p.profile = D;
	rp_broker_snapshot_decide(s, &p, &r, &x);
	assert_int_equal(r, RP_BROKER_ROLE_NONE);
	rp_broker_snapshot_decide(s, NULL, &r, &x);
	assert_int_equal(r, RP_BROKER_ROLE_NONE);
	assert_int_equal(x, RP_BROKER_UNKNOWN);
	rp_broker_snapshot_free(s);
}

/* ---- client certificates, made here --------------------------------- */

/* The leaf to make: subject, extensions (OpenSSL config syntax; NULL for
 * none), serial (hex), issuer key. */
struct leaf {
	const char *cn, *cn2; /* a second CN when not NULL */
	const char *eku, *san, *bc;
	const char *serial;
};

static EVP_PKEY *ca_key, *leaf_key, *leaf_key2;

static int certs_setup(void **state)
{
	(void)state;
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf_key2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return ca_key && leaf_key && leaf_key2 ? 0 : -1;
}

static int certs_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(leaf_key2);
	return 0;
}

static void add_ext(X509 *x, X509 *ca, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	if (value == NULL)
		return;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

/* DER of a leaf signed by the test CA with key k; *len its length. */
static uint8_t *make_leaf(const struct leaf *l, EVP_PKEY *k, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new(), *issuer = X509_NAME_new();
	BIGNUM *bn = NULL;
	uint8_t *der = NULL;
	int dlen;

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(BN_hex2bn(&bn, l->serial ? l->serial : "1f3a"));
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	assert_true(X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC,
	                                       (const unsigned char *)"Test CA",
	                                       -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(
	    n, "O", MBSTRING_ASC, (const unsigned char *)"Rampart test", -1, -1,
	    0));
	/* raw UTF8String bytes: an empty CN too */
	if (l->cn != NULL)
		assert_true(X509_NAME_add_entry_by_NID(
		    n, NID_commonName, V_ASN1_UTF8STRING,
		    (const unsigned char *)l->cn, (int)strlen(l->cn), -1, 0));
	if (l->cn2 != NULL)
		assert_true(X509_NAME_add_entry_by_NID(
		    n, NID_commonName, V_ASN1_UTF8STRING,
		    (const unsigned char *)l->cn2, (int)strlen(l->cn2), -1, 0));
	assert_true(X509_set_subject_name(x, n));
	assert_true(X509_set_issuer_name(x, issuer));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_true(X509_set_pubkey(x, k));
	add_ext(x, NULL, NID_basic_constraints, l->bc);
	add_ext(x, NULL, NID_ext_key_usage, l->eku);
	add_ext(x, NULL, NID_subject_alt_name, l->san);
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	dlen = i2d_X509(x, &der);
	assert_true(dlen > 0);
	*len = (size_t)dlen;
	X509_NAME_free(n);
	X509_NAME_free(issuer);
	X509_free(x);
	return der;
}

/* The pin computed apart from the code under test: SHA-256 of
 * i2d_PUBKEY of the key itself. */
static void key_pin(EVP_PKEY *k, uint8_t pin[RP_BROKER_PIN_LEN])
{
	unsigned char *spki = NULL;
	unsigned int n = 0;
	int len = i2d_PUBKEY(k, &spki);

	assert_true(len > 0);
	assert_int_equal(
	    EVP_Digest(spki, (size_t)len, pin, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, RP_BROKER_PIN_LEN);
	OPENSSL_free(spki);
}

#define OID_SVC RP_BROKER_OID_SERVICE
#define OID_MON RP_BROKER_OID_MONITOR

/*
 * rp_broker_peer_from_x509 (the plugin's entry) on the parsed DER gives
 * what rp_broker_peer_from_der gave: want_rc, *want, the same reason.
 */
static void same_from_x509(const uint8_t *der, size_t len, rp_err want_rc,
                           const struct rp_broker_peer *want,
                           const char *want_why)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len); /* ours */
	struct rp_broker_peer p;
	const char *why = "x";

	assert_non_null(x);
	memset(&p, 0x55, sizeof p);
	assert_int_equal(rp_broker_peer_from_x509(x, &p, &why), want_rc);
	assert_int_equal(p.profile, want->profile);
	assert_string_equal(p.id, want->id);
	assert_string_equal(p.serial, want->serial);
	assert_memory_equal(p.pin, want->pin, sizeof p.pin);
	if (want_why == NULL)
		assert_null(why);
	else
		assert_string_equal(why, want_why);
	X509_free(x);
}

static void test_peer_profiles(void **state)
{
	static const struct {
		struct leaf l;
		enum rp_broker_role profile;
		const char *serial;
	} ok[] = {
	    {{"SN-0001", NULL, "clientAuth", "URI:urn:rampart:device:SN-0001",
	      NULL, "1f3a"},
	     D,
	     "1f3a"},
	    {{"SN-0001", NULL, "clientAuth", "URI:urn:rampart:device:SN-0001",
	      "critical,CA:FALSE", "00ff"},
	     D,
	     "ff"},
	    {{"xrampartd", NULL, "critical,clientAuth",
	      "critical,URI:urn:rampart:device:xrampartd", NULL,
	      "0102030405060708090a0b0c0d0e0f1011121314"},
	     D,
	     "102030405060708090a0b0c0d0e0f1011121314"},
	    {{"rampartd", NULL, "clientAuth," OID_SVC,
	      "URI:urn:rampart:service:rampartd", NULL, "2"},
	     S,
	     "2"},
	    {{"rampartd", NULL, OID_SVC ",clientAuth",
	      "URI:urn:rampart:service:rampartd", "CA:FALSE", "abc"},
	     S,
	     "abc"},
	    {{"rampart-monitor", NULL, "clientAuth," OID_MON,
	      "URI:urn:rampart:monitor:rampart-monitor", NULL, "3"},
	     M,
	     "3"},
	    {{"Rampart-2", NULL, "clientAuth," OID_MON,
	      "URI:urn:rampart:monitor:Rampart-2", NULL, "3"},
	     M,
	     "3"},
	};
	struct rp_broker_peer p;
	uint8_t pin[RP_BROKER_PIN_LEN], pin2[RP_BROKER_PIN_LEN], *der;
	const char *why;
	size_t i, len;

	(void)state;
	key_pin(leaf_key, pin);
	key_pin(leaf_key2, pin2);
	assert_memory_not_equal(pin, pin2, sizeof pin);
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		EVP_PKEY *k = i % 2 ? leaf_key2 : leaf_key;

		der = make_leaf(&ok[i].l, k, &len);
		why = "x";
		memset(&p, 0xaa, sizeof p);
		if (rp_broker_peer_from_der(der, len, &p, &why) != RP_OK)
			fail_msg("case %zu: refused: %s", i, why);
		assert_null(why);
		assert_int_equal(p.profile, ok[i].profile);
		assert_string_equal(p.id, ok[i].l.cn);
		assert_string_equal(p.serial, ok[i].serial);
		assert_memory_equal(p.pin, i % 2 ? pin2 : pin, sizeof pin);
		same_from_x509(der, len, RP_OK, &p, NULL);
		/* why may be NULL */
		assert_int_equal(rp_broker_peer_from_der(der, len, &p, NULL),
		                 RP_OK);
		OPENSSL_free(der);
	}
}

/* A leaf that must be refused with rc; the id and serial read anyway. */
static void refused(const struct leaf *l, rp_err rc, const char *id,
                    const char *serial)
{
	struct rp_broker_peer p;
	const char *why = NULL;
	size_t len;
	uint8_t *der = make_leaf(l, leaf_key, &len);
	rp_err got;

	memset(&p, 0xaa, sizeof p);
	got = rp_broker_peer_from_der(der, len, &p, &why);
	if (got != rc)
		fail_msg("CN %s EKU %s SAN %s: got %s (%s), want %s",
		         l->cn ? l->cn : "-", l->eku ? l->eku : "-",
		         l->san ? l->san : "-", rp_errname(got),
		         why ? why : "no reason", rp_errname(rc));
	assert_int_equal(p.profile, RP_BROKER_ROLE_NONE);
	assert_non_null(why);
	assert_true(strlen(why) > 5);
	assert_string_equal(p.id, id);
	assert_string_equal(p.serial, serial);
	same_from_x509(der, len, rc, &p, why);
	OPENSSL_free(der);
}

#define DEV_URI(cn) "URI:urn:rampart:device:" cn

static void test_peer_refused(void **state)
{
	static const char *const bad_eku[] = {
	    "serverAuth",
	    "clientAuth,serverAuth",
	    "clientAuth,clientAuth",
	    "clientAuth,anyExtendedKeyUsage",
	    "clientAuth,2.25.137553760100012191238587036453560585111.1",
	    "clientAuth,2.25.137553760100012191238587036453560585111.5",
	    "clientAuth,2.25.137553760100012191238587036453560585111",
	    "clientAuth,2.25.1375537601000121912385870364535605851113",
	    OID_SVC,
	    "clientAuth," OID_SVC "," OID_SVC,
	};
	size_t i;

	(void)state;
	/* the attack certificate of issue 9: a device profile named
	 * rampartd (as rampartd's CA issued it to a device so enrolled) */
	refused(&(struct leaf){"rampartd", NULL, "clientAuth",
	                       DEV_URI("rampartd"), NULL, "1f3a"},
	        RP_E_CERT_PROFILE, "rampartd", "1f3a");
	refused(&(struct leaf){"rampart-monitor", NULL, "clientAuth",
	                       DEV_URI("rampart-monitor"), NULL, "1f3a"},
	        RP_E_CERT_PROFILE, "rampart-monitor", "1f3a");
	refused(&(struct leaf){"RAMPARTd", NULL, "clientAuth",
	                       DEV_URI("RAMPARTd"), NULL, "1f3a"},
	        RP_E_CERT_PROFILE, "RAMPARTd", "1f3a");
	/* no EKU, or one that is not exactly a profile's */
	refused(&(struct leaf){"SN-0001", NULL, NULL, DEV_URI("SN-0001"), NULL,
	                       "1f3a"},
	        RP_E_CERT_PROFILE, "SN-0001", "1f3a");
	for (i = 0; i < sizeof bad_eku / sizeof bad_eku[0]; i++)
		refused(&(struct leaf){"SN-0001", NULL, bad_eku[i],
		                       DEV_URI("SN-0001"), NULL, "1f3a"},
		        RP_E_CERT_PROFILE, "SN-0001", "1f3a");
	refused(&(struct leaf){"rampartd", NULL,
	                       "clientAuth," OID_SVC "," OID_MON,
	                       "URI:urn:rampart:service:rampartd", NULL, "5"},
	        RP_E_CERT_PROFILE, "rampartd", "5");
	/* a role's EKU with another role's URI */
	refused(&(struct leaf){"rampartd", NULL, "clientAuth," OID_SVC,
	                       DEV_URI("rampartd"), NULL, "5"},
	        RP_E_CERT_PROFILE, "rampartd", "5");
	refused(&(struct leaf){"rampartd", NULL, "clientAuth," OID_MON,
	                       "URI:urn:rampart:service:rampartd", NULL, "5"},
	        RP_E_CERT_PROFILE, "rampartd", "5");
	refused(&(struct leaf){"rampartd", NULL, "clientAuth",
	                       "URI:urn:rampart:service:rampartd", NULL, "5"},
	        RP_E_CERT_PROFILE, "rampartd", "5");
	/* a service or monitor profile for an unreserved id */
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth," OID_SVC,
	                       "URI:urn:rampart:service:SN-0001", NULL, "5"},
	        RP_E_CERT_PROFILE, "SN-0001", "5");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth," OID_MON,
	                       "URI:urn:rampart:monitor:SN-0001", NULL, "5"},
	        RP_E_CERT_PROFILE, "SN-0001", "5");
	/* SAN: missing, two names, not a URI, another CN's, not exact */
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth", NULL, NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-0001") "," DEV_URI("SN-0001"), NULL,
	                       "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-0001") ",DNS:sn-0001.example", NULL,
	                       "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       "DNS:urn:rampart:device:SN-0001", NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       "email:urn:rampart:device:SN-0001", NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-0002"), NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-00011"), NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth", DEV_URI("SN-000"),
	                       NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("sn-0001"), NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       "URI:URN:rampart:device:SN-0001", NULL, "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	/* a CA certificate */
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-0001"), "critical,CA:TRUE", "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-0001"), "CA:TRUE,pathlen:0", "7"},
	        RP_E_CERT_PROFILE, "SN-0001", "7");
	/* the subject: no CN, two CNs, a CN that is not an id */
	refused(&(struct leaf){NULL, NULL, "clientAuth", DEV_URI("SN-0001"),
	                       NULL, "7"},
	        RP_E_CERT_SUBJECT, "", "7");
	refused(&(struct leaf){"SN-0001", "SN-0002", "clientAuth",
	                       DEV_URI("SN-0001"), NULL, "7"},
	        RP_E_CERT_SUBJECT, "", "7");
	refused(&(struct leaf){"SN-0001", "SN-0001", "clientAuth",
	                       DEV_URI("SN-0001"), NULL, "7"},
	        RP_E_CERT_SUBJECT, "", "7");
	refused(
	    &(struct leaf){"SN 1", NULL, "clientAuth", "URI:urn:x", NULL, "7"},
	    RP_E_CERT_SUBJECT, "", "7");
	refused(&(struct leaf){"", NULL, "clientAuth", DEV_URI(""), NULL, "7"},
	        RP_E_CERT_SUBJECT, "", "7");
	refused(&(struct leaf){"SN/1", NULL, "clientAuth", DEV_URI("SN/1"),
	                       NULL, "7"},
	        RP_E_CERT_SUBJECT, "", "7");
	/* a serial over 20 octets (the CN is still read) */
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-0001"), NULL,
	                       "0102030405060708090a0b0c0d0e0f101112131415"},
	        RP_E_RANGE, "SN-0001", "");
	refused(&(struct leaf){"SN-0001", NULL, "clientAuth",
	                       DEV_URI("SN-0001"), NULL, "-5"},
	        RP_E_RANGE, "SN-0001", "");
}

/* A CN of another string type or with an embedded NUL; raw DER faults. */
static void test_peer_der(void **state)
{
	static const struct leaf dev = {"SN-0001",          NULL, "clientAuth",
	                                DEV_URI("SN-0001"), NULL, "1f3a"};
	static const unsigned char bmp[] = {0, 'S', 0, 'N', 0, '1'};
	static const unsigned char nul[] = {'S', 'N', '1', 0, 'x'};
	struct rp_broker_peer p;
	const char *why = NULL;
	uint8_t *der, *buf;
	X509 *x;
	const unsigned char *q;
	X509_NAME *n;
	size_t len;

	(void)state;
	der = make_leaf(&dev, leaf_key, &len);
	assert_int_equal(rp_broker_peer_from_der(der, len, &p, &why), RP_OK);
	/* trailing bytes, truncated, empty, NULL */
	buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, der, len);
	buf[len] = 0;
	memset(&p, 0xaa, sizeof p);
	assert_int_equal(rp_broker_peer_from_der(buf, len + 1, &p, &why),
	                 RP_E_SYNTAX);
	assert_int_equal(p.profile, RP_BROKER_ROLE_NONE);
	assert_string_equal(p.id, "");
	assert_non_null(why);
	for (size_t cut = 1; cut < len; cut += cut < 16 ? 1 : 37) {
		assert_int_equal(
		    rp_broker_peer_from_der(der, len - cut, &p, &why),
		    RP_E_SYNTAX);
		assert_int_equal(p.profile, RP_BROKER_ROLE_NONE);
	}
	assert_int_equal(rp_broker_peer_from_der(der, 0, &p, &why),
	                 RP_E_SYNTAX);
	assert_int_equal(rp_broker_peer_from_der(NULL, 10, &p, &why),
	                 RP_E_SYNTAX);
	assert_int_equal(rp_broker_peer_from_der(der, len, NULL, &why),
	                 RP_E_INVAL);
	free(buf);

	/* the CN re-encoded: a BMPString and a UTF8String holding a NUL */
	for (int k = 0; k < 2; k++) {
		q = der;
		x = d2i_X509(NULL, &q, (long)len);
		assert_non_null(x);
		n = X509_NAME_new();
		assert_true(X509_NAME_add_entry_by_NID(
		    n, NID_commonName, k ? V_ASN1_UTF8STRING : V_ASN1_BMPSTRING,
		    k ? nul : bmp, k ? (int)sizeof nul : (int)sizeof bmp, -1,
		    0));
		assert_true(X509_set_subject_name(x, n));
		X509_NAME_free(n);
		assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
		buf = NULL;
		assert_true(i2d_X509(x, &buf) > 0);
		assert_int_equal(rp_broker_peer_from_der(
		                     buf, (size_t)i2d_X509(x, NULL), &p, &why),
		                 RP_E_CERT_SUBJECT);
		assert_int_equal(p.profile, RP_BROKER_ROLE_NONE);
		assert_string_equal(p.id, "");
		assert_string_equal(p.serial, "1f3a");
		OPENSSL_free(buf);
		X509_free(x);
	}
	OPENSSL_free(der);
}

/* A certificate read, then decided against a snapshot: the whole path. */
static void test_peer_decide(void **state)
{
	static const struct leaf svc_leaf = {"rampartd",
	                                     NULL,
	                                     "clientAuth," OID_SVC,
	                                     "URI:urn:rampart:service:rampartd",
	                                     NULL,
	                                     "9"};
	static const struct leaf dev_leaf = {
	    "SN-0001", NULL, "clientAuth", DEV_URI("SN-0001"), NULL, "8"};
	struct rp_broker_principal services[1] = {{"rampartd", {0}}};
	struct rp_broker_device devices[1] = {{"SN-0001", RP_BROKER_ACTIVE}};
	struct rp_broker_fleet f = {.seq = 1,
	                            .services = services,
	                            .n_services = 1,
	                            .devices = devices,
	                            .n_devices = 1};
	struct rp_broker_peer p;
	rp_broker_snapshot *s = NULL;
	enum rp_broker_role r;
	enum rp_broker_state x;
	uint8_t *der;
	char *text = NULL;
	size_t len, tlen;

	(void)state;
	key_pin(leaf_key, services[0].pin);
	assert_int_equal(rp_broker_snapshot_encode(&f, &text, &tlen), RP_OK);
	assert_int_equal(rp_broker_snapshot_parse(text, tlen, NULL, &s, NULL),
	                 RP_OK);
	free(text);
	/* the service's certificate on the pinned key */
	der = make_leaf(&svc_leaf, leaf_key, &len);
	assert_int_equal(rp_broker_peer_from_der(der, len, &p, NULL), RP_OK);
	rp_broker_snapshot_decide(s, &p, &r, &x);
	assert_int_equal(r, S);
	assert_int_equal(x, RP_BROKER_ACTIVE);
	OPENSSL_free(der);
	/* the same profile and id on another key: nothing */
	der = make_leaf(&svc_leaf, leaf_key2, &len);
	assert_int_equal(rp_broker_peer_from_der(der, len, &p, NULL), RP_OK);
	rp_broker_snapshot_decide(s, &p, &r, &x);
	assert_int_equal(r, RP_BROKER_ROLE_NONE);
	OPENSSL_free(der);
	/* a device on the service's own key is still only a device */
	der = make_leaf(&dev_leaf, leaf_key, &len);
	assert_int_equal(rp_broker_peer_from_der(der, len, &p, NULL), RP_OK);
	rp_broker_snapshot_decide(s, &p, &r, &x);
	assert_int_equal(r, D);
	assert_int_equal(x, RP_BROKER_ACTIVE);
	OPENSSL_free(der);
	rp_broker_snapshot_free(s);
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
	static const struct rp_broker_principal services[] = {
	    {"rampartd", {1}}};
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
	    cmocka_unit_test(test_acl_namespaces),
	    cmocka_unit_test(test_id_and_serial),
	    cmocka_unit_test(test_id_rule_bytes),
	    cmocka_unit_test(test_id_reserved),
	    cmocka_unit_test(test_snapshot_vector),
	    cmocka_unit_test(test_snapshot_vector_monitor),
	    cmocka_unit_test(test_snapshot_malformed),
	    cmocka_unit_test(test_snapshot_decide),
	    cmocka_unit_test(test_peer_profiles),
	    cmocka_unit_test(test_peer_refused),
	    cmocka_unit_test(test_peer_der),
	    cmocka_unit_test(test_peer_decide),
	    cmocka_unit_test(test_snapshot_allocator),
	    cmocka_unit_test(test_snapshot_write),
	};

	return cmocka_run_group_tests(tests, certs_setup, certs_teardown);
}
