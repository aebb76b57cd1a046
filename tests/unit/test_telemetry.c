/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_telemetry.c - the MQTT messages (lib/proto/telemetry.c): the test vector
 * of each kind in docs/telemetry.md decoded, checked field by field and
 * re-encoded byte for byte; every kind of malformed input refused with
 * *out zeroed (missing, wrong type, unknown, duplicate, out of range, bad
 * hex, non-printable, too long, too big, truncated, trailing bytes, not an
 * object, another version); the encoder refusing what the decoder would
 * refuse and short buffers; JSON escaping; the wire names. The update
 * command (its "update" member, the optional "delta") and the update
 * event (its "update" member) likewise, and the cancel command.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmocka_all.h"
#include "rampart/alloc.h"
#include "rampart/telemetry.h"

/* docs/telemetry.md, "Test vectors" (verbatim). */
#define FW_HASH \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define LOG_HEAD \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
static const char tel_vec[] =
    "{\"v\":1,\"seq\":42,\"ts\":1767225600,\"uptime_s\":86400,"
    "\"cpu_permille\":125,\"mem_total_kb\":1024000,\"mem_avail_kb\":512000,"
    "\"tcp\":[22,8883],\"udp\":[68,123],\"fw_version\":\"1.4.2\","
    "\"fw_sha256\":\"" FW_HASH "\",\"msgs_sent\":41,\"dropped\":0,"
    "\"interval_s\":60,\"log_seq\":3,\"log_head\":\"" LOG_HEAD "\"}";
static const char ev_vec[] =
    "{\"v\":1,\"seq\":43,\"ts\":1767225601,\"type\":\"auth_failure\","
    "\"severity\":\"warning\",\"count\":3,"
    "\"detail\":\"Failed password for root from 203.0.113.7 port 52144 "
    "ssh2\"}";
static const char cmd_vec[] =
    "{\"v\":1,\"id\":\"c-0001\",\"type\":\"ping\",\"ts\":1767225602,"
    "\"arg\":\"\"}";
static const char res_vec[] =
    "{\"v\":1,\"id\":\"c-0001\",\"status\":\"ok\",\"seq\":44,"
    "\"ts\":1767225603,\"detail\":\"pong\"}";
#define REL  "5f1d3ac2b7e04e9c8a6f2d1b0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
#define BASE "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
static const char upd_cmd_vec[] =
    "{\"v\":1,\"id\":\"upd-1\",\"type\":\"update\",\"ts\":1767225600,"
    "\"arg\":\"\",\"update\":{\"release\":\"" REL "\",\"hw\":\"devkit-a\","
    "\"version\":\"1.4.3\",\"counter\":10,\"size\":1048768,"
    "\"url\":\"https://127.0.0.1:8443/fw/v1/" REL "\","
    "\"delta\":{\"base\":\"" BASE "\","
    "\"url\":\"https://127.0.0.1:8443/fw/v1/patch/7\",\"size\":65536}}}";
static const char upd_ev_vec[] =
    "{\"v\":1,\"seq\":45,\"ts\":1767225604,\"type\":\"update\","
    "\"severity\":\"info\",\"count\":1,\"detail\":\"\","
    "\"update\":{\"release\":\"" REL "\",\"cmd\":\"upd-1\","
    "\"state\":\"downloading\",\"offset\":524288,\"size\":1048768,"
    "\"code\":\"\"}}";

enum kind { TEL, EV, CMD, RES, UCMD, UEV };
#define NKINDS 6

static const char *const vecs[] = {tel_vec, ev_vec,      cmd_vec,
                                   res_vec, upd_cmd_vec, upd_ev_vec};

union any {
	struct rp_telemetry t;
	struct rp_event e;
	struct rp_command c;
	struct rp_command_result r;
};

static size_t size_of(enum kind k)
{
	static const size_t s[] = {
	    sizeof(struct rp_telemetry), sizeof(struct rp_event),
	    sizeof(struct rp_command),   sizeof(struct rp_command_result),
	    sizeof(struct rp_command),   sizeof(struct rp_event)};
	return s[k];
}

static rp_err dec(enum kind k, const void *buf, size_t len, union any *out)
{
	switch (k) {
	case TEL:
		return rp_telemetry_decode(buf, len, &out->t);
	case EV:
	case UEV:
		return rp_event_decode(buf, len, &out->e);
	case CMD:
	case UCMD:
		return rp_command_decode(buf, len, &out->c);
	case RES:
		return rp_command_result_decode(buf, len, &out->r);
	}
	return RP_E_INTERNAL;
}

static rp_err enc(enum kind k, const union any *in, char *buf, size_t cap,
                  size_t *len)
{
	switch (k) {
	case TEL:
		return rp_telemetry_encode(&in->t, buf, cap, len);
	case EV:
	case UEV:
		return rp_event_encode(&in->e, buf, cap, len);
	case CMD:
	case UCMD:
		return rp_command_encode(&in->c, buf, cap, len);
	case RES:
		return rp_command_result_encode(&in->r, buf, cap, len);
	}
	return RP_E_INTERNAL;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != 0)
			return false;
	}
	return true;
}

/* Decode buf[0..len) as kind k and expect the refusal, *out zeroed. */
static void refuse_n(enum kind k, const void *buf, size_t len)
{
	union any out;
	rp_err want =
	    (k == CMD || k == RES || k == UCMD) ? RP_E_COMMAND : RP_E_TELEMETRY;
	rp_err rc;

	memset(&out, 0xa5, sizeof out);
	rc = dec(k, buf, len, &out);
	if (rc != want)
		fprintf(stderr, "accepted or wrong code %d: %.*s\n", rc,
		        (int)len, (const char *)buf);
	assert_int_equal(rc, want);
	assert_true(all_zero(&out, size_of(k)));
}

static void refuse(enum kind k, const char *s)
{
	refuse_n(k, s, strlen(s));
}

static void accept(enum kind k, const char *s)
{
	union any out;
	rp_err rc = dec(k, s, strlen(s), &out);

	if (rc != RP_OK)
		fprintf(stderr, "refused: %s\n", s);
	assert_int_equal(rc, RP_OK);
}

/* The vector of kind k with the first `from` replaced by `to`. */
static char *mutate(enum kind k, const char *from, const char *to)
{
	const char *v = vecs[k];
	const char *at = strstr(v, from);
	size_t n = strlen(v) - strlen(from) + strlen(to) + 1;
	char *s;

	if (at == NULL)
		fail_msg("'%s' not in vector %d", from, (int)k);
	s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(at - v), v, to, at + strlen(from));
	return s;
}

static void refuse_mut(enum kind k, const char *from, const char *to)
{
	char *s = mutate(k, from, to);

	refuse(k, s);
	free(s);
}

static void accept_mut(enum kind k, const char *from, const char *to)
{
	char *s = mutate(k, from, to);

	accept(k, s);
	free(s);
}

/* Decode, then encode again: the same bytes. */
static void roundtrip(enum kind k, const char *s)
{
	union any a;
	char buf[RP_MSG_MAX + 1];
	size_t len = 99;

	assert_int_equal(dec(k, s, strlen(s), &a), RP_OK);
	assert_int_equal(enc(k, &a, buf, sizeof buf, &len), RP_OK);
	assert_int_equal(len, strlen(s));
	assert_string_equal(buf, s);
}

static void test_vectors_decode(void **state)
{
	struct rp_telemetry t;
	struct rp_event e;
	struct rp_command c;
	struct rp_command_result r;

	(void)state;
	assert_int_equal(rp_telemetry_decode(tel_vec, strlen(tel_vec), &t),
	                 RP_OK);
	assert_int_equal(t.seq, 42);
	assert_int_equal(t.ts, 1767225600);
	assert_int_equal(t.uptime_s, 86400);
	assert_int_equal(t.cpu_permille, 125);
	assert_int_equal(t.mem_total_kb, 1024000);
	assert_int_equal(t.mem_avail_kb, 512000);
	assert_int_equal(t.n_tcp, 2);
	assert_int_equal(t.tcp[0], 22);
	assert_int_equal(t.tcp[1], 8883);
	assert_int_equal(t.n_udp, 2);
	assert_int_equal(t.udp[0], 68);
	assert_int_equal(t.udp[1], 123);
	assert_string_equal(t.fw_version, "1.4.2");
	assert_string_equal(t.fw_sha256, FW_HASH);
	assert_int_equal(t.msgs_sent, 41);
	assert_int_equal(t.dropped, 0);
	assert_int_equal(t.interval_s, 60);
	assert_int_equal(t.log_seq, 3);
	assert_string_equal(t.log_head, LOG_HEAD);

	assert_int_equal(rp_event_decode(ev_vec, strlen(ev_vec), &e), RP_OK);
	assert_int_equal(e.seq, 43);
	assert_int_equal(e.ts, 1767225601);
	assert_int_equal(e.type, RP_EVENT_AUTH_FAILURE);
	assert_int_equal(e.severity, RP_SEV_WARNING);
	assert_int_equal(e.count, 3);
	assert_string_equal(
	    e.detail,
	    "Failed password for root from 203.0.113.7 port 52144 ssh2");

	assert_int_equal(rp_command_decode(cmd_vec, strlen(cmd_vec), &c),
	                 RP_OK);
	assert_string_equal(c.id, "c-0001");
	assert_int_equal(c.type, RP_CMD_PING);
	assert_int_equal(c.ts, 1767225602);
	assert_string_equal(c.arg, "");

	assert_int_equal(rp_command_result_decode(res_vec, strlen(res_vec), &r),
	                 RP_OK);
	assert_string_equal(r.id, "c-0001");
	assert_int_equal(r.status, RP_CMD_OK);
	assert_int_equal(r.seq, 44);
	assert_int_equal(r.ts, 1767225603);
	assert_string_equal(r.detail, "pong");
}

/* The structs built by hand encode to the vectors. */
static void test_vectors_encode(void **state)
{
	struct rp_telemetry t = {0};
	struct rp_event e = {0};
	struct rp_command c = {0};
	struct rp_command_result r = {0};
	char buf[RP_MSG_MAX + 1];
	size_t len;

	(void)state;
	t.seq = 42;
	t.ts = 1767225600;
	t.uptime_s = 86400;
	t.cpu_permille = 125;
	t.mem_total_kb = 1024000;
	t.mem_avail_kb = 512000;
	t.n_tcp = 2;
	t.tcp[0] = 22;
	t.tcp[1] = 8883;
	t.n_udp = 2;
	t.udp[0] = 68;
	t.udp[1] = 123;
	strcpy(t.fw_version, "1.4.2");
	strcpy(t.fw_sha256, FW_HASH);
	t.msgs_sent = 41;
	t.interval_s = 60;
	t.log_seq = 3;
	strcpy(t.log_head, LOG_HEAD);
	assert_int_equal(rp_telemetry_encode(&t, buf, sizeof buf, &len), RP_OK);
	assert_string_equal(buf, tel_vec);
	assert_int_equal(len, strlen(tel_vec));

	e.seq = 43;
	e.ts = 1767225601;
	e.type = RP_EVENT_AUTH_FAILURE;
	e.severity = RP_SEV_WARNING;
	e.count = 3;
	strcpy(e.detail,
	       "Failed password for root from 203.0.113.7 port 52144 ssh2");
	assert_int_equal(rp_event_encode(&e, buf, sizeof buf, &len), RP_OK);
	assert_string_equal(buf, ev_vec);

	strcpy(c.id, "c-0001");
	c.type = RP_CMD_PING;
	c.ts = 1767225602;
	assert_int_equal(rp_command_encode(&c, buf, sizeof buf, &len), RP_OK);
	assert_string_equal(buf, cmd_vec);

	strcpy(r.id, "c-0001");
	r.status = RP_CMD_OK;
	r.seq = 44;
	r.ts = 1767225603;
	strcpy(r.detail, "pong");
	assert_int_equal(rp_command_result_encode(&r, buf, sizeof buf, &len),
	                 RP_OK);
	assert_string_equal(buf, res_vec);
}

static void test_roundtrip(void **state)
{
	int k;

	(void)state;
	for (k = TEL; k < NKINDS; k++)
		roundtrip((enum kind)k, vecs[k]);
	/* Other canonical forms. */
	roundtrip(TEL, "{\"v\":1,\"seq\":0,\"ts\":0,\"uptime_s\":0,"
	               "\"cpu_permille\":1000,\"mem_total_kb\":0,"
	               "\"mem_avail_kb\":0,\"tcp\":[],\"udp\":[65535],"
	               "\"fw_version\":\"\",\"fw_sha256\":\"\","
	               "\"msgs_sent\":9223372036854775807,\"dropped\":0,"
	               "\"interval_s\":86400,\"log_seq\":0,\"log_head\":\"\"}");
	roundtrip(EV, "{\"v\":1,\"seq\":1,\"ts\":0,\"type\":\"tamper\","
	              "\"severity\":\"critical\",\"count\":1,"
	              "\"detail\":\"q\\\" b\\\\ ~{}[]:,\"}");
	roundtrip(CMD, "{\"v\":1,\"id\":\"A.z_9-\",\"type\":\"wipe\",\"ts\":5,"
	               "\"arg\":\"x y\"}");
	roundtrip(RES, "{\"v\":1,\"id\":\"\",\"status\":\"rejected\","
	               "\"seq\":0,\"ts\":0,\"detail\":\"\"}");
}

/* Non-canonical spellings the decoder accepts (JSON allows them). */
static void test_noncanonical_accepted(void **state)
{
	(void)state;
	accept(CMD, " {\"arg\":\"\",\"ts\":1767225602,\"type\":\"ping\","
	            "\"id\":\"c-0001\",\"v\":1} \n");
	accept_mut(CMD, "\"c-0001\"", "\"\\u0063-0001\"");
	accept_mut(RES, "\"pong\"", "\"p\\/ng\"");
	accept_mut(TEL, "\"seq\":42", "\"seq\":9223372036854775807");
}

static void test_refuse_structure(void **state)
{
	static const char *const not_obj[] = {
	    "[]", "1", "\"s\"", "null", "true",      "",
	    " ",  "{", "}",     "{}",   "{\"v\":1}", "[{\"v\":1}]",
	};
	char big[RP_MSG_MAX + 2];
	size_t i, n;
	int k;

	(void)state;
	for (k = TEL; k <= RES; k++) {
		const char *v = vecs[k];

		for (i = 0; i < sizeof not_obj / sizeof not_obj[0]; i++)
			refuse((enum kind)k, not_obj[i]);
		/* Every prefix is truncated. */
		for (n = 0; n < strlen(v); n++)
			refuse_n((enum kind)k, v, n);
		refuse_n((enum kind)k, NULL, 0);
		/* Trailing bytes after the object. */
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":1,");
		n = strlen(v);
		memcpy(big, v, n);
		memcpy(big + n, "x", 2);
		refuse((enum kind)k, big);
		memcpy(big + n, "{}", 3);
		refuse((enum kind)k, big);
		memcpy(big + n, "\0", 1);
		refuse_n((enum kind)k, big, n + 1);
		/* Versions. */
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":2");
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":0");
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":1.0");
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":\"1\"");
		refuse_mut((enum kind)k, "\"v\":1,", "");
		/* Unknown and duplicate members. */
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":1,\"x\":1");
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":1,\"V\":1");
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":1,\"v\":1");
		refuse_mut((enum kind)k, "\"v\":1", "\"v\":1,\"ts\":1");
		/* Size: whitespace padding up to RP_MSG_MAX is still JSON. */
		memcpy(big, v, n);
		memset(big + n, ' ', RP_MSG_MAX - n);
		big[RP_MSG_MAX] = '\0';
		accept((enum kind)k, big);
		big[RP_MSG_MAX] = ' ';
		big[RP_MSG_MAX + 1] = '\0';
		refuse((enum kind)k, big);
		/* Bytes that are not (valid) UTF-8 JSON. */
		refuse_mut((enum kind)k, "{", "\xef\xbb\xbf{");
		refuse_mut((enum kind)k, "\"v\"", "\"v\xff\"");
		refuse_mut((enum kind)k, "\"v\"", "'v'");
	}
	refuse(TEL, ev_vec);
	refuse(EV, tel_vec);
	refuse(CMD, res_vec);
	refuse(RES, cmd_vec);
}

static void test_refuse_telemetry(void **state)
{
	static const char *const missing[] = {
	    "\"seq\":42,",
	    "\"ts\":1767225600,",
	    "\"uptime_s\":86400,",
	    "\"cpu_permille\":125,",
	    "\"mem_total_kb\":1024000,",
	    "\"mem_avail_kb\":512000,",
	    "\"tcp\":[22,8883],",
	    "\"udp\":[68,123],",
	    "\"fw_version\":\"1.4.2\",",
	    "\"fw_sha256\":\"" FW_HASH "\",",
	    "\"msgs_sent\":41,",
	    "\"dropped\":0,",
	    "\"interval_s\":60,",
	    "\"log_seq\":3,",
	    ",\"log_head\":\"" LOG_HEAD "\"",
	};
	static const char *const mut[][2] = {
	    /* wrong types */
	    {"\"seq\":42", "\"seq\":\"42\""},
	    {"\"seq\":42", "\"seq\":null"},
	    {"\"seq\":42", "\"seq\":true"},
	    {"\"seq\":42", "\"seq\":[42]"},
	    {"\"seq\":42", "\"seq\":{}"},
	    {"\"tcp\":[22,8883]", "\"tcp\":22"},
	    {"\"tcp\":[22,8883]", "\"tcp\":[\"22\",8883]"},
	    {"\"tcp\":[22,8883]", "\"tcp\":[[22],8883]"},
	    {"\"fw_version\":\"1.4.2\"", "\"fw_version\":142"},
	    {"\"fw_version\":\"1.4.2\"", "\"fw_version\":null"},
	    /* not integers */
	    {"\"seq\":42", "\"seq\":42.0"},
	    {"\"seq\":42", "\"seq\":4.2e1"},
	    {"\"seq\":42", "\"seq\":42e0"},
	    {"\"uptime_s\":86400", "\"uptime_s\":1e5"},
	    {"\"tcp\":[22,", "\"tcp\":[22.0,"},
	    {"\"seq\":42", "\"seq\":042"},
	    {"\"seq\":42", "\"seq\":+42"},
	    {"\"seq\":42", "\"seq\":0x2a"},
	    /* out of range */
	    {"\"seq\":42", "\"seq\":-1"},
	    {"\"seq\":42", "\"seq\":9223372036854775808"},
	    {"\"seq\":42", "\"seq\":18446744073709551615"},
	    {"\"ts\":1767225600", "\"ts\":-1"},
	    {"\"uptime_s\":86400", "\"uptime_s\":-86400"},
	    {"\"cpu_permille\":125", "\"cpu_permille\":1001"},
	    {"\"cpu_permille\":125", "\"cpu_permille\":-1"},
	    {"\"cpu_permille\":125", "\"cpu_permille\":4294967296"},
	    {"\"mem_avail_kb\":512000", "\"mem_avail_kb\":1024001"},
	    {"\"interval_s\":60", "\"interval_s\":0"},
	    {"\"interval_s\":60", "\"interval_s\":86401"},
	    {"\"dropped\":0", "\"dropped\":-0.0"},
	    {"\"dropped\":0", "\"dropped\":-0"},
	    {"\"ts\":1767225600", "\"ts\":-0"},
	    {"\"cpu_permille\":125", "\"cpu_permille\":-0"},
	    /* ports */
	    {"[22,8883]", "[0,8883]"},
	    {"[22,8883]", "[22,65536]"},
	    {"[22,8883]", "[22,-1]"},
	    {"[22,8883]", "[8883,22]"},
	    {"[22,8883]", "[22,22]"},
	    {"[68,123]", "[123,68]"},
	    {"[68,123]", "[68,123,]"},
	    /* hashes */
	    {FW_HASH, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B"
	              "7852B855"},
	    {FW_HASH, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	              "7852b85"},
	    {FW_HASH, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	              "7852b8555"},
	    {FW_HASH, "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	              "7852b855"},
	    {FW_HASH, " 3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	              "7852b855"},
	    {"\"log_head\":\"" LOG_HEAD "\"", "\"log_head\":\"\""},
	    {"\"log_seq\":3", "\"log_seq\":0"},
	    /* strings */
	    {"\"1.4.2\"", "\"1.4.\\u0001\""},
	    {"\"1.4.2\"", "\"1.4.\\t\""},
	    {"\"1.4.2\"", "\"1.4.\\n\""},
	    {"\"1.4.2\"", "\"1.4.\\u007f\""},
	    {"\"1.4.2\"", "\"1.4.\\u00e9\""},
	    {"\"1.4.2\"", "\"1.4.\xc3\xa9\""},
	    {"\"1.4.2\"", "\"1.4.\\u0000\""},
	    {"\"1.4.2\"", "\"1.4.\x01\""},
	    {"\"1.4.2\"", "\"1.4.\\x\""},
	    {"\"1.4.2\"", "\"123456789012345678901234567890123\""},
	};
	char ports[600];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof missing / sizeof missing[0]; i++)
		refuse_mut(TEL, missing[i], "");
	for (i = 0; i < sizeof mut / sizeof mut[0]; i++)
		refuse_mut(TEL, mut[i][0], mut[i][1]);
	/* Boundaries that are fine. */
	accept_mut(TEL, "\"1.4.2\"", "\"12345678901234567890123456789012\"");
	accept_mut(TEL, "\"1.4.2\"", "\" !~\\\"\\\\\"");
	accept_mut(TEL, "\"mem_avail_kb\":512000", "\"mem_avail_kb\":1024000");
	accept_mut(TEL, FW_HASH, "");
	/* RP_PORTS_MAX ports, then one more. */
	n = (size_t)snprintf(ports, sizeof ports, "[");
	for (i = 1; i <= RP_PORTS_MAX; i++)
		n += (size_t)snprintf(ports + n, sizeof ports - n, "%s%zu",
		                      i > 1 ? "," : "", i);
	snprintf(ports + n, sizeof ports - n, "]");
	accept_mut(TEL, "[22,8883]", ports);
	snprintf(ports + n, sizeof ports - n, ",65535]");
	refuse_mut(TEL, "[22,8883]", ports);
}

static void test_refuse_event(void **state)
{
	static const char *const mut[][2] = {
	    {"\"seq\":43,", ""},
	    {"\"ts\":1767225601,", ""},
	    {"\"type\":\"auth_failure\",", ""},
	    {"\"severity\":\"warning\",", ""},
	    {"\"count\":3,", ""},
	    {",\"detail\"", ",\"x\""},
	    {"\"auth_failure\"", "\"Auth_failure\""},
	    {"\"auth_failure\"", "\"auth_failure \""},
	    {"\"auth_failure\"", "\"\""},
	    {"\"auth_failure\"", "2"},
	    {"\"warning\"", "\"warn\""},
	    {"\"warning\"", "1"},
	    {"\"count\":3", "\"count\":0"},
	    {"\"count\":3", "\"count\":-3"},
	    {"\"count\":3", "\"count\":3.5"},
	    {"root", "r\\u0000t"},
	    {"root", "r\\u001bt"},
	    {"root", "r\\rt"},
	};
	char detail[RP_DETAIL_MAX + 4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof mut / sizeof mut[0]; i++)
		refuse_mut(EV, mut[i][0], mut[i][1]);
	memset(detail, 'd', sizeof detail);
	detail[0] = '"';
	detail[RP_DETAIL_MAX + 1] = '"';
	detail[RP_DETAIL_MAX + 2] = '\0';
	accept_mut(EV,
	           "\"Failed password for root from 203.0.113.7 port "
	           "52144 ssh2\"",
	           detail);
	detail[RP_DETAIL_MAX + 1] = 'd';
	detail[RP_DETAIL_MAX + 2] = '"';
	detail[RP_DETAIL_MAX + 3] = '\0';
	refuse_mut(EV,
	           "\"Failed password for root from 203.0.113.7 port "
	           "52144 ssh2\"",
	           detail);
	accept_mut(EV, "\"auth_failure\"", "\"agent_start\"");
	accept_mut(EV, "\"auth_failure\"", "\"config_change\"");
	accept_mut(EV, "\"auth_failure\"", "\"boot\"");
	accept_mut(EV, "\"auth_failure\"", "\"queue_drop\"");
	accept_mut(EV, "\"auth_failure\"", "\"command\"");
	accept_mut(EV, "\"warning\"", "\"info\"");
}

static void test_refuse_command(void **state)
{
	static const char *const cmut[][2] = {
	    {"\"id\":\"c-0001\",", ""},
	    {"\"type\":\"ping\",", ""},
	    {"\"ts\":1767225602,", ""},
	    {",\"arg\":\"\"", ""},
	    {"\"c-0001\"", "\"\""},
	    {"\"c-0001\"", "\"c/0001\""},
	    {"\"c-0001\"", "\"c 0001\""},
	    {"\"c-0001\"", "\"c+0001\""},
	    {"\"c-0001\"", "\"c#\""},
	    {"\"c-0001\"", "1"},
	    {"\"c-0001\"", "\"12345678901234567890123456789012345678901234"
	                   "567890123456789012345\""},
	    {"\"ping\"", "\"PING\""},
	    {"\"ping\"", "\"pong\""},
	    {"\"ping\"", "1"},
	    {"\"ts\":1767225602", "\"ts\":\"now\""},
	    {"\"arg\":\"\"", "\"arg\":null"},
	    {"\"arg\":\"\"", "\"arg\":\"\\u00ff\""},
	};
	static const char *const rmut[][2] = {
	    {"\"id\":\"c-0001\",", ""},
	    {"\"status\":\"ok\",", ""},
	    {"\"seq\":44,", ""},
	    {"\"ts\":1767225603,", ""},
	    {",\"detail\":\"pong\"", ""},
	    {"\"c-0001\"", "\"c:0001\""},
	    {"\"ok\"", "\"OK\""},
	    {"\"ok\"", "\"success\""},
	    {"\"ok\"", "0"},
	    {"\"seq\":44", "\"seq\":-44"},
	    {"\"pong\"", "\"po\\u0080ng\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cmut / sizeof cmut[0]; i++)
		refuse_mut(CMD, cmut[i][0], cmut[i][1]);
	for (i = 0; i < sizeof rmut / sizeof rmut[0]; i++)
		refuse_mut(RES, rmut[i][0], rmut[i][1]);
	accept_mut(CMD, "\"c-0001\"",
	           "\"1234567890123456789012345678901234"
	           "567890123456789012345678901234\"");
	/* update needs its "update" member (test_refuse_update). */
	refuse_mut(CMD, "\"ping\"", "\"update\"");
	accept_mut(CMD, "\"ping\"", "\"cancel\"");
	accept_mut(CMD, "\"ping\"", "\"lock\"");
	accept_mut(CMD, "\"ping\"", "\"reboot\"");
	accept_mut(RES, "\"c-0001\"", "\"\"");
	accept_mut(RES, "\"ok\"", "\"unsupported\"");
	accept_mut(RES, "\"ok\"", "\"failed\"");
}

/* The encoder refuses what the decoder would refuse. */
static void test_encode_inval(void **state)
{
	union any base[NKINDS], a;
	char buf[RP_MSG_MAX + 1];
	size_t len;
	int k;

	(void)state;
	for (k = TEL; k < NKINDS; k++)
		assert_int_equal(
		    dec((enum kind)k, vecs[k], strlen(vecs[k]), &base[k]),
		    RP_OK);

#define BAD(kind, stmt)                                                \
	do {                                                           \
		a = base[kind];                                        \
		stmt;                                                  \
		len = 7;                                               \
		assert_int_equal(enc(kind, &a, buf, sizeof buf, &len), \
		                 RP_E_INVAL);                          \
		assert_int_equal(len, 0);                              \
	} while (0)

	BAD(TEL, a.t.seq = (uint64_t)INT64_MAX + 1);
	BAD(TEL, a.t.uptime_s = UINT64_MAX);
	BAD(TEL, a.t.mem_total_kb = (uint64_t)INT64_MAX + 1);
	BAD(TEL, a.t.msgs_sent = (uint64_t)INT64_MAX + 1);
	BAD(TEL, a.t.dropped = (uint64_t)INT64_MAX + 1);
	BAD(TEL, a.t.ts = -1);
	BAD(TEL, a.t.cpu_permille = 1001);
	BAD(TEL, a.t.mem_avail_kb = a.t.mem_total_kb + 1);
	BAD(TEL, a.t.interval_s = 0);
	BAD(TEL, a.t.interval_s = 86401);
	BAD(TEL, a.t.n_tcp = RP_PORTS_MAX + 1);
	BAD(TEL, a.t.tcp[1] = 22);
	BAD(TEL, a.t.udp[0] = 0);
	BAD(TEL, a.t.udp[1] = 1);
	BAD(TEL, memset(a.t.fw_version, 'a', sizeof a.t.fw_version));
	BAD(TEL, a.t.fw_version[0] = '\t');
	BAD(TEL, a.t.fw_version[0] = (char)0xc3);
	BAD(TEL, a.t.fw_sha256[10] = 'A');
	BAD(TEL, a.t.fw_sha256[63] = '\0');
	BAD(TEL, memset(a.t.fw_sha256, 'a', sizeof a.t.fw_sha256));
	BAD(TEL, a.t.log_seq = 0);
	BAD(TEL, a.t.log_head[0] = '\0');
	BAD(EV, a.e.type = (enum rp_event_type)0);
	BAD(EV, a.e.type = (enum rp_event_type)9);
	BAD(EV, a.e.type = RP_EVENT_UPDATE); /* without its update member */
	BAD(EV, a.e.severity = (enum rp_severity)3);
	BAD(EV, a.e.severity = (enum rp_severity) - 1);
	BAD(EV, a.e.count = 0);
	BAD(EV, a.e.seq = UINT64_MAX);
	BAD(EV, a.e.detail[5] = '\n');
	BAD(EV, memset(a.e.detail, 'x', sizeof a.e.detail));
	BAD(CMD, a.c.id[0] = '\0');
	BAD(CMD, a.c.id[1] = '/');
	BAD(CMD, a.c.type = (enum rp_command_type)7);
	BAD(CMD, a.c.type = RP_CMD_UPDATE); /* without its update member */
	BAD(CMD, (a.c.type = RP_CMD_CANCEL, strcpy(a.c.arg, "x")));
	BAD(UCMD, a.c.type = RP_CMD_PING); /* update member on a ping */
	BAD(UCMD, a.c.update.release[0] = '\0');
	BAD(UCMD, a.c.update.release[3] = 'A');
	BAD(UCMD, a.c.update.hw[0] = '\0');
	BAD(UCMD, a.c.update.hw[2] = '\n');
	BAD(UCMD, memset(a.c.update.hw, 'h', sizeof a.c.update.hw));
	BAD(UCMD, a.c.update.size = 0);
	BAD(UCMD, a.c.update.size = (uint64_t)INT64_MAX + 1);
	BAD(UCMD, a.c.update.url[4] = ':');
	BAD(UCMD, strcpy(a.c.update.url, "https://"));
	BAD(UCMD, strcpy(a.c.update.url, "https://a b"));
	BAD(UCMD, a.c.update.delta_size = 0);
	BAD(UCMD, strcpy(a.c.update.delta_url, "http://x/p"));
	BAD(UCMD, a.c.update.delta_base[0] = '\0'); /* url, size left */
	BAD(UCMD, a.c.update.delta_base[63] = 'g');
	BAD(UEV, a.e.type = RP_EVENT_BOOT); /* update member on a boot */
	BAD(UEV, a.e.update.state = (enum rp_update_state)0);
	BAD(UEV, a.e.update.state = (enum rp_update_state)12);
	BAD(UEV, a.e.update.offset = a.e.update.size + 1);
	BAD(UEV, a.e.update.size = (uint64_t)INT64_MAX + 1);
	BAD(UEV, a.e.update.cmd[0] = '\0');
	BAD(UEV, a.e.update.cmd[1] = ' ');
	BAD(UEV, a.e.update.release[10] = '\0');
	BAD(UEV, strcpy(a.e.update.code, "Hw_mismatch"));
	BAD(UEV, strcpy(a.e.update.code, "hw-mismatch"));
	BAD(UEV, memset(a.e.update.code, 'a', sizeof a.e.update.code));
	BAD(CMD, a.c.ts = INT64_MIN);
	BAD(CMD, a.c.arg[0] = 0x7f);
	BAD(RES, a.r.id[0] = ' ');
	BAD(RES, a.r.status = (enum rp_command_status)4);
	BAD(RES, a.r.seq = (uint64_t)INT64_MAX + 1);
#undef BAD

	assert_int_equal(rp_telemetry_encode(NULL, buf, sizeof buf, &len),
	                 RP_E_INVAL);
	assert_int_equal(rp_telemetry_encode(&base[TEL].t, NULL, 10, &len),
	                 RP_E_INVAL);
	assert_int_equal(rp_event_encode(&base[EV].e, buf, sizeof buf, NULL),
	                 RP_E_INVAL);
	assert_int_equal(rp_telemetry_decode(tel_vec, strlen(tel_vec), NULL),
	                 RP_E_INVAL);
}

/* Every buffer shorter than the message and its NUL: RP_E_BUFFER. */
static void test_encode_buffer(void **state)
{
	union any a;
	char buf[RP_MSG_MAX + 1];
	size_t cap, len, n;
	int k;

	(void)state;
	for (k = TEL; k < NKINDS; k++) {
		n = strlen(vecs[k]);
		assert_int_equal(dec((enum kind)k, vecs[k], n, &a), RP_OK);
		for (cap = 0; cap <= n; cap++) {
			memset(buf, 'z', sizeof buf);
			len = 7;
			assert_int_equal(enc((enum kind)k, &a, buf, cap, &len),
			                 RP_E_BUFFER);
			assert_int_equal(len, 0);
			if (cap > 0)
				assert_int_equal(buf[0], '\0');
			assert_int_equal(buf[cap], 'z');
		}
		memset(buf, 'z', sizeof buf);
		assert_int_equal(enc((enum kind)k, &a, buf, n + 1, &len),
		                 RP_OK);
		assert_int_equal(len, n);
		assert_memory_equal(buf, vecs[k], n + 1);
	}
}

/* The largest messages fit in RP_MSG_MAX. */
static void test_encode_largest(void **state)
{
	struct rp_telemetry t = {0}, t2;
	struct rp_event e = {0}, e2;
	char buf[RP_MSG_MAX + 1];
	size_t len;
	unsigned i;

	(void)state;
	t.seq = t.uptime_s = t.mem_total_kb = t.mem_avail_kb = INT64_MAX;
	t.msgs_sent = t.dropped = t.log_seq = INT64_MAX;
	t.ts = INT64_MAX;
	t.cpu_permille = 1000;
	t.interval_s = 86400;
	t.n_tcp = t.n_udp = RP_PORTS_MAX;
	for (i = 0; i < RP_PORTS_MAX; i++)
		t.tcp[i] = t.udp[i] = (uint16_t)(65535 - RP_PORTS_MAX + 1 + i);
	memset(t.fw_version, '"', RP_FW_VERSION_MAX);
	memset(t.fw_sha256, 'f', 64);
	memset(t.log_head, '0', 64);
	assert_int_equal(rp_telemetry_encode(&t, buf, sizeof buf, &len), RP_OK);
	assert_true(len <= RP_MSG_MAX);
	assert_int_equal(rp_telemetry_decode(buf, len, &t2), RP_OK);
	assert_memory_equal(&t, &t2, sizeof t);

	e.seq = INT64_MAX;
	e.ts = INT64_MAX;
	e.type = RP_EVENT_TAMPER;
	e.severity = RP_SEV_CRITICAL;
	e.count = INT64_MAX;
	memset(e.detail, '\\', RP_DETAIL_MAX);
	assert_int_equal(rp_event_encode(&e, buf, sizeof buf, &len), RP_OK);
	assert_int_equal(rp_event_decode(buf, len, &e2), RP_OK);
	assert_memory_equal(&e, &e2, sizeof e);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(rp_event_type_name(RP_EVENT_AGENT_START),
	                    "agent_start");
	assert_string_equal(rp_event_type_name(RP_EVENT_AUTH_FAILURE),
	                    "auth_failure");
	assert_string_equal(rp_event_type_name(RP_EVENT_CONFIG_CHANGE),
	                    "config_change");
	assert_string_equal(rp_event_type_name(RP_EVENT_BOOT), "boot");
	assert_string_equal(rp_event_type_name(RP_EVENT_QUEUE_DROP),
	                    "queue_drop");
	assert_string_equal(rp_event_type_name(RP_EVENT_COMMAND), "command");
	assert_string_equal(rp_event_type_name(RP_EVENT_TAMPER), "tamper");
	assert_null(rp_event_type_name((enum rp_event_type)0));
	assert_string_equal(rp_event_type_name(RP_EVENT_UPDATE), "update");
	assert_null(rp_event_type_name((enum rp_event_type)9));
	assert_null(rp_event_type_name((enum rp_event_type) - 1));
	assert_string_equal(rp_severity_name(RP_SEV_INFO), "info");
	assert_string_equal(rp_severity_name(RP_SEV_WARNING), "warning");
	assert_string_equal(rp_severity_name(RP_SEV_CRITICAL), "critical");
	assert_null(rp_severity_name((enum rp_severity)3));
	assert_null(rp_severity_name((enum rp_severity) - 1));
	assert_string_equal(rp_command_type_name(RP_CMD_PING), "ping");
	assert_string_equal(rp_command_type_name(RP_CMD_UPDATE), "update");
	assert_string_equal(rp_command_type_name(RP_CMD_LOCK), "lock");
	assert_string_equal(rp_command_type_name(RP_CMD_REBOOT), "reboot");
	assert_string_equal(rp_command_type_name(RP_CMD_WIPE), "wipe");
	assert_null(rp_command_type_name((enum rp_command_type)0));
	assert_string_equal(rp_command_type_name(RP_CMD_CANCEL), "cancel");
	assert_null(rp_command_type_name((enum rp_command_type)7));
	assert_string_equal(rp_command_status_name(RP_CMD_OK), "ok");
	assert_string_equal(rp_command_status_name(RP_CMD_REJECTED),
	                    "rejected");
	assert_string_equal(rp_command_status_name(RP_CMD_UNSUPPORTED),
	                    "unsupported");
	assert_string_equal(rp_command_status_name(RP_CMD_FAILED), "failed");
	assert_null(rp_command_status_name((enum rp_command_status)4));
	assert_null(rp_command_status_name((enum rp_command_status) - 1));
}

/* The update command and event vectors, field by field and built by hand. */
static void test_update_vectors(void **state)
{
	struct rp_command c, c2 = {0};
	struct rp_event e, e2 = {0};
	char buf[RP_MSG_MAX + 1];
	size_t len;

	(void)state;
	assert_int_equal(
	    rp_command_decode(upd_cmd_vec, strlen(upd_cmd_vec), &c), RP_OK);
	assert_string_equal(c.id, "upd-1");
	assert_int_equal(c.type, RP_CMD_UPDATE);
	assert_string_equal(c.update.release, REL);
	assert_string_equal(c.update.hw, "devkit-a");
	assert_int_equal(c.update.ver_major, 1);
	assert_int_equal(c.update.ver_minor, 4);
	assert_int_equal(c.update.ver_patch, 3);
	assert_int_equal(c.update.counter, 10);
	assert_int_equal(c.update.size, 1048768);
	assert_string_equal(c.update.url, "https://127.0.0.1:8443/fw/v1/" REL);
	assert_string_equal(c.update.delta_base, BASE);
	assert_string_equal(c.update.delta_url,
	                    "https://127.0.0.1:8443/fw/v1/patch/7");
	assert_int_equal(c.update.delta_size, 65536);

	strcpy(c2.id, "upd-1");
	c2.type = RP_CMD_UPDATE;
	c2.ts = 1767225600;
	strcpy(c2.update.release, REL);
	strcpy(c2.update.hw, "devkit-a");
	c2.update.ver_major = 1;
	c2.update.ver_minor = 4;
	c2.update.ver_patch = 3;
	c2.update.counter = 10;
	c2.update.size = 1048768;
	strcpy(c2.update.url, "https://127.0.0.1:8443/fw/v1/" REL);
	strcpy(c2.update.delta_base, BASE);
	strcpy(c2.update.delta_url, "https://127.0.0.1:8443/fw/v1/patch/7");
	c2.update.delta_size = 65536;
	assert_int_equal(rp_command_encode(&c2, buf, sizeof buf, &len), RP_OK);
	assert_string_equal(buf, upd_cmd_vec);
	assert_memory_equal(&c, &c2, sizeof c);

	assert_int_equal(rp_event_decode(upd_ev_vec, strlen(upd_ev_vec), &e),
	                 RP_OK);
	assert_int_equal(e.type, RP_EVENT_UPDATE);
	assert_string_equal(e.update.release, REL);
	assert_string_equal(e.update.cmd, "upd-1");
	assert_int_equal(e.update.state, RP_UPD_DOWNLOADING);
	assert_int_equal(e.update.offset, 524288);
	assert_int_equal(e.update.size, 1048768);
	assert_string_equal(e.update.code, "");

	e2.seq = 45;
	e2.ts = 1767225604;
	e2.type = RP_EVENT_UPDATE;
	e2.severity = RP_SEV_INFO;
	e2.count = 1;
	strcpy(e2.update.release, REL);
	strcpy(e2.update.cmd, "upd-1");
	e2.update.state = RP_UPD_DOWNLOADING;
	e2.update.offset = 524288;
	e2.update.size = 1048768;
	assert_int_equal(rp_event_encode(&e2, buf, sizeof buf, &len), RP_OK);
	assert_string_equal(buf, upd_ev_vec);
	assert_memory_equal(&e, &e2, sizeof e);

	/* Without a delta; the largest version; a final state with a code;
	 * a cancel of one release and of whichever runs. */
	roundtrip(UCMD,
	          "{\"v\":1,\"id\":\"u\",\"type\":\"update\",\"ts\":0,"
	          "\"arg\":\"\",\"update\":{\"release\":\"" REL "\","
	          "\"hw\":\"h\",\"version\":\"4294967295.0.10\","
	          "\"counter\":4294967295,\"size\":1,\"url\":\"https://h\"}}");
	roundtrip(UEV, "{\"v\":1,\"seq\":1,\"ts\":2,\"type\":\"update\","
	               "\"severity\":\"warning\",\"count\":1,\"detail\":\"x\","
	               "\"update\":{\"release\":\"" REL "\",\"cmd\":\"u\","
	               "\"state\":\"rolled_back\",\"offset\":0,\"size\":0,"
	               "\"code\":\"health_failed_2\"}}");
	roundtrip(CMD, "{\"v\":1,\"id\":\"c\",\"type\":\"cancel\",\"ts\":0,"
	               "\"arg\":\"" REL "\"}");
	roundtrip(CMD, "{\"v\":1,\"id\":\"c\",\"type\":\"cancel\",\"ts\":0,"
	               "\"arg\":\"\"}");
	/* Member order does not matter inside the nested objects either. */
	accept(UCMD, "{\"update\":{\"delta\":{\"size\":1,\"url\":\"https://p\","
	             "\"base\":\"" BASE "\"},\"url\":\"https://i\",\"size\":9,"
	             "\"counter\":0,\"version\":\"0.0.0\",\"hw\":\"h\","
	             "\"release\":\"" REL "\"},\"arg\":\"\",\"ts\":0,"
	             "\"type\":\"update\",\"id\":\"u\",\"v\":1}");
}

static void test_refuse_update(void **state)
{
	static const char *const cmut[][2] = {
	    {",\"update\":{", ",\"update\":1,\"x\":{"},
	    {"\"release\":\"" REL "\",", ""},
	    {"\"hw\":\"devkit-a\",", ""},
	    {"\"version\":\"1.4.3\",", ""},
	    {"\"counter\":10,", ""},
	    {"\"size\":1048768,", ""},
	    {"\"url\":\"https://127.0.0.1:8443/fw/v1/" REL "\",", ""},
	    {"\"release\":", "\"release\":1,\"x\":"},
	    {"\"release\":\"5f", "\"release\":\"5F"},
	    {"\"release\":\"5f", "\"release\":\"5"},
	    {"\"release\":\"5f", "\"release\":\"5f0"},
	    {"\"release\":\"5f", "\"release\":\"5f\",\"release\":\"5f"},
	    {"\"hw\":\"devkit-a\"", "\"hw\":\"\""},
	    {"\"hw\":\"devkit-a\"", "\"hw\":\"devkit\\ta\""},
	    {"\"hw\":\"devkit-a\"",
	     "\"hw\":\"12345678901234567890123456789012\""},
	    {"\"hw\":\"devkit-a\"", "\"hw\":7"},
	    {"\"1.4.3\"", "\"1.4\""},
	    {"\"1.4.3\"", "\"1.4.3.0\""},
	    {"\"1.4.3\"", "\"1.04.3\""},
	    {"\"1.4.3\"", "\"1.4.3 \""},
	    {"\"1.4.3\"", "\"1..3\""},
	    {"\"1.4.3\"", "\"1.4.+3\""},
	    {"\"1.4.3\"", "\"1.4.4294967296\""},
	    {"\"1.4.3\"", "\"v1.4.3\""},
	    {"\"1.4.3\"", "\"1.4.3-rc1\""},
	    {"\"1.4.3\"", "143"},
	    {"\"counter\":10", "\"counter\":4294967296"},
	    {"\"counter\":10", "\"counter\":\"10\""},
	    {"\"size\":1048768", "\"size\":0"},
	    {"\"size\":1048768", "\"size\":9223372036854775808"},
	    {"\"url\":\"https://127", "\"url\":\"http://127"},
	    {"\"url\":\"https://127", "\"url\":\"HTTPS://127"},
	    {"\"url\":\"https://127", "\"url\":\"https:// 127"},
	    {"\"url\":\"https://127", "\"url\":\"ftp://127"},
	    {"\"delta\":{", "\"delta\":1,\"d\":{"},
	    {"\"delta\":{", "\"delta\":{\"x\":1,"},
	    {"\"base\":\"" BASE "\",", ""},
	    {"\"base\":\"" BASE "\"", "\"base\":\"\""},
	    {"\"base\":\"0a", "\"base\":\"0A"},
	    {"\"url\":\"https://127.0.0.1:8443/fw/v1/patch/7\",", ""},
	    {"\"url\":\"https://127.0.0.1:8443/fw/v1/patch/7\"",
	     "\"url\":\"http://127.0.0.1/7\""},
	    {",\"size\":65536}", "}"},
	    {"\"size\":65536", "\"size\":0"},
	    {"\"size\":65536", "\"size\":65536,\"size\":65536"},
	    {"\"type\":\"update\"", "\"type\":\"ping\""},
	    {"\"type\":\"update\"", "\"type\":\"cancel\""},
	    {"65536}}}", "65536}}"},
	};
	static const char *const emut[][2] = {
	    {",\"update\":{", ",\"x\":{"},
	    {"\"type\":\"update\"", "\"type\":\"boot\""},
	    {"\"release\":\"" REL "\",", ""},
	    {"\"cmd\":\"upd-1\",", ""},
	    {"\"state\":\"downloading\",", ""},
	    {"\"offset\":524288,", ""},
	    {"\"size\":1048768,", ""},
	    {",\"code\":\"\"", ""},
	    {"\"code\":\"\"", "\"code\":\"\",\"x\":0"},
	    {"\"release\":\"5f", "\"release\":\"\",\"r\":\"5f"},
	    {"\"cmd\":\"upd-1\"", "\"cmd\":\"\""},
	    {"\"cmd\":\"upd-1\"", "\"cmd\":\"upd 1\""},
	    {"\"downloading\"", "\"Downloading\""},
	    {"\"downloading\"", "\"sent\""},
	    {"\"downloading\"", "2"},
	    {"\"offset\":524288", "\"offset\":1048769"},
	    {"\"offset\":524288", "\"offset\":-1"},
	    {"\"size\":1048768", "\"size\":9223372036854775808"},
	    {"\"code\":\"\"", "\"code\":\"Bad\""},
	    {"\"code\":\"\"", "\"code\":\"a-b\""},
	    {"\"code\":\"\"", "\"code\":\"a b\""},
	    {"\"code\":\"\"", "\"code\":\"12345678901234567890123456789012\""},
	    {"\"code\":\"\"", "\"code\":null"},
	};
	static const char *const states[] = {
	    "accepted",  "downloaded",    "verified",  "trial_marked",
	    "rebooting", "trial_running", "confirmed", "rolled_back",
	    "failed",    "cancelled",
	};
	char to[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cmut / sizeof cmut[0]; i++)
		refuse_mut(UCMD, cmut[i][0], cmut[i][1]);
	for (i = 0; i < sizeof emut / sizeof emut[0]; i++)
		refuse_mut(UEV, emut[i][0], emut[i][1]);
	/* An update member on any other command or event type. */
	refuse_mut(UCMD, "\"type\":\"update\"", "\"type\":\"wipe\"");
	refuse_mut(UEV, "\"type\":\"update\"", "\"type\":\"command\"");
	/* A cancel's arg: a release id or "". */
	refuse(CMD, "{\"v\":1,\"id\":\"c\",\"type\":\"cancel\",\"ts\":0,"
	            "\"arg\":\"5f\"}");
	refuse(CMD, "{\"v\":1,\"id\":\"c\",\"type\":\"cancel\",\"ts\":0,"
	            "\"arg\":\"" BASE "0\"}");
	accept_mut(UCMD,
	           ",\"delta\":{\"base\":\"" BASE "\","
	           "\"url\":\"https://127.0.0.1:8443/fw/v1/patch/7\","
	           "\"size\":65536}",
	           "");
	accept_mut(UCMD, "\"1.4.3\"", "\"0.0.0\"");
	accept_mut(UCMD, "\"1.4.3\"", "\"10.20.4294967295\"");
	accept_mut(UCMD, "\"counter\":10", "\"counter\":0");
	accept_mut(UEV, "\"offset\":524288", "\"offset\":1048768");
	accept_mut(UEV, "\"code\":\"\"", "\"code\":\"hw_mismatch\"");
	accept_mut(UEV, "\"code\":\"\"",
	           "\"code\":\"1234567890123456789012345678901\"");
	for (i = 0; i < sizeof states / sizeof states[0]; i++) {
		snprintf(to, sizeof to, "\"%s\"", states[i]);
		accept_mut(UEV, "\"downloading\"", to);
	}
}

static void test_update_state_names(void **state)
{
	enum rp_update_state s = RP_UPD_ACCEPTED;
	int i;

	(void)state;
	for (i = RP_UPD_ACCEPTED; i <= RP_UPD_CANCELLED; i++) {
		const char *n = rp_update_state_name((enum rp_update_state)i);

		assert_non_null(n);
		assert_int_equal(rp_update_state_parse(n, &s), RP_OK);
		assert_int_equal(s, i);
	}
	assert_string_equal(rp_update_state_name(RP_UPD_ACCEPTED), "accepted");
	assert_string_equal(rp_update_state_name(RP_UPD_TRIAL_MARKED),
	                    "trial_marked");
	assert_string_equal(rp_update_state_name(RP_UPD_ROLLED_BACK),
	                    "rolled_back");
	assert_string_equal(rp_update_state_name(RP_UPD_CANCELLED),
	                    "cancelled");
	assert_null(rp_update_state_name((enum rp_update_state)0));
	assert_null(rp_update_state_name((enum rp_update_state)12));
	assert_null(rp_update_state_name((enum rp_update_state) - 1));
	s = RP_UPD_FAILED;
	assert_int_equal(rp_update_state_parse("sent", &s), RP_E_INVAL);
	assert_int_equal(rp_update_state_parse("", &s), RP_E_INVAL);
	assert_int_equal(rp_update_state_parse("Confirmed", &s), RP_E_INVAL);
	assert_int_equal(rp_update_state_parse(NULL, &s), RP_E_INVAL);
	assert_int_equal(rp_update_state_parse("failed", NULL), RP_E_INVAL);
	assert_int_equal(s, RP_UPD_FAILED);
}

/*
 * jansson's allocations, the n-th failing (persist: and every one after
 * it; n == 0: none). The inputs below have no token over 14 bytes, so
 * jansson's lexer buffer (16 bytes) never grows: jansson 2.14 ignores a
 * failed growth and cannot survive it (tests/fuzz/fuzz_jansson.h).
 */
static unsigned long j_count, j_fail_at, j_failed;
static bool j_persist;

static void *j_malloc(size_t n)
{
	j_count++;
	if (j_fail_at != 0 &&
	    (j_count == j_fail_at || (j_persist && j_count > j_fail_at))) {
		j_failed++;
		/* a NULL that rp_alloc_refused() counts, as a real failure of
		 * rp_malloc would be (rp_json_load_object tells memory so):
		 * a product that overflows is refused before calloc */
		return rp_calloc(SIZE_MAX, 2);
	}
	return malloc(n);
}

/* Every allocation of jansson's failing in turn while decoding s as kind
 * k: RP_E_NOMEM (out zeroed) when one failed, else what a decode without
 * a failure answers. Returns that answer. */
static rp_err nomem_each(enum kind k, const char *s)
{
	union any out;
	rp_err want, rc;
	unsigned long n, total;
	int p;

	json_set_alloc_funcs(j_malloc, free);
	j_count = j_fail_at = j_failed = 0;
	want = dec(k, s, strlen(s), &out);
	total = j_count;
	assert_true(total > 0);
	for (p = 0; p < 2; p++) {
		for (n = 1; n <= total; n++) {
			j_count = j_failed = 0;
			j_fail_at = n;
			j_persist = p != 0;
			memset(&out, 0xa5, sizeof out);
			rc = dec(k, s, strlen(s), &out);
			j_fail_at = 0;
			if (rc != (j_failed > 0 ? RP_E_NOMEM : want))
				fprintf(stderr, "allocation %lu%s: %d: %s\n", n,
				        p ? " on" : "", rc, s);
			assert_int_equal(rc, j_failed > 0 ? RP_E_NOMEM : want);
			if (rc != RP_OK)
				assert_true(all_zero(&out, size_of(k)));
		}
	}
	json_set_alloc_funcs(malloc, free);
	return want;
}

static void test_nomem(void **state)
{
	static const char ev[] =
	    "{\"v\":1,\"seq\":7,\"ts\":1,\"type\":\"boot\","
	    "\"severity\":\"info\",\"count\":1,\"detail\":\"x\"}";
	static const char cmd[] =
	    "{\"v\":1,\"id\":\"c1\",\"type\":\"ping\",\"ts\":1,\"arg\":\"\"}";
	static const char tel[] =
	    "{\"v\":1,\"seq\":1,\"ts\":1,\"uptime_s\":1,\"cpu_permille\":1,"
	    "\"mem_total_kb\":2,\"mem_avail_kb\":1,\"tcp\":[22,80],\"udp\":[],"
	    "\"fw_version\":\"1.0\",\"fw_sha256\":\"\",\"msgs_sent\":0,"
	    "\"dropped\":0,\"interval_s\":60,\"log_seq\":0,\"log_head\":\"\"}";

	(void)state;
	/* accepted: keys, integers, strings, enums and arrays */
	assert_int_equal(nomem_each(EV, ev), RP_OK);
	assert_int_equal(nomem_each(CMD, cmd), RP_OK);
	assert_int_equal(nomem_each(TEL, tel), RP_OK);
	/* refused without a failure: a member missing, an unknown one, bad
	 * syntax after a string */
	assert_int_equal(nomem_each(EV, "{\"v\":1,\"seq\":7}"), RP_E_TELEMETRY);
	assert_int_equal(
	    nomem_each(RES, "{\"v\":1,\"id\":\"c1\",\"what\":\"x\"}"),
	    RP_E_COMMAND);
	assert_int_equal(nomem_each(TEL, "{\"v\":1,\"seq\":\"a\" 1}"),
	                 RP_E_TELEMETRY);
}

/* The errors whose text jansson shares with a failed string copy, and
 * others ending on a '"', are refusals, never RP_E_NOMEM. */
static void test_nomem_not_syntax(void **state)
{
	(void)state;
	refuse(TEL, "{\"a\" \"b\"}");
	refuse(TEL, "\"abc\"");
	refuse(TEL, "{}\"x\"");
	refuse(TEL, "{\"v\":1}\"x\"");
	refuse(TEL, "{\"v\":1,\"a\":\"b\" 1}");
	refuse(TEL, "{\"v\":\"a\\q\"}");
	refuse(TEL, "{\"v\":\"abc");
	refuse(TEL, "{1:2}");
	refuse(TEL, "{\"v\":1,}");
	refuse(TEL, "{\"v\":1,\"");
	refuse(TEL, "{\"v\":tru\"}");
	refuse(TEL, "{\"v\":1.\"}");
	refuse(TEL, "{\"v\":1e\"}");
	refuse(TEL, "{\"v\":@\"}");
	refuse(TEL, "{\"v\":abcdefghijklmnopqrstuvwxyz\"}");
	refuse(TEL, "{\"v\":\"\xc3\"}");
	refuse(TEL, "{\"\x01\":1}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_decode),
	    cmocka_unit_test(test_vectors_encode),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_noncanonical_accepted),
	    cmocka_unit_test(test_refuse_structure),
	    cmocka_unit_test(test_refuse_telemetry),
	    cmocka_unit_test(test_refuse_event),
	    cmocka_unit_test(test_refuse_command),
	    cmocka_unit_test(test_encode_inval),
	    cmocka_unit_test(test_encode_buffer),
	    cmocka_unit_test(test_encode_largest),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_update_vectors),
	    cmocka_unit_test(test_refuse_update),
	    cmocka_unit_test(test_update_state_names),
	    cmocka_unit_test(test_nomem),
	    cmocka_unit_test(test_nomem_not_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
