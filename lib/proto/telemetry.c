/* SPDX-License-Identifier: Apache-2.0 */
/*
 * telemetry.c - the four MQTT messages of include/rampart/telemetry.h
 * (schema and test vectors in docs/telemetry.md). One table per message
 * lists its members in wire order; the encoder walks it writing canonical
 * compact JSON into the caller's buffer (no allocation), the decoder walks
 * jansson's parse of the input against it. Both run the same checks on
 * the struct, so the encoder never writes what the decoder refuses and
 * encode(decode(x)) == x for every canonical x.
 *
 * An update command and an update event carry one nested object
 * ("update", and the command's optional "update"."delta"): a K_OBJ field
 * names the table of its members, and its presence rule (when()) says
 * when it must be there; absent, its members must be zero in the struct.
 *
 * Integers travel as JSON integers. jansson's json_int_t is a signed
 * 64-bit integer, so unsigned fields are limited to 0..INT64_MAX: the
 * decoder cannot see more and the encoder refuses more (RP_E_INVAL).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "rampart/id.h"
#include "rampart/json.h"
#include "rampart/telemetry.h"

enum kind {
	K_VERSION, /* "v": the integer RP_MSG_VERSION, no field */
	K_U64,     /* uint64_t, 0..INT64_MAX */
	K_I64,     /* int64_t, 0..INT64_MAX (timestamps) */
	K_U32,     /* uint32_t, lo..hi */
	K_STR,     /* char[], at most hi characters of class cls */
	K_PORTS,   /* uint16_t[RP_PORTS_MAX] with a uint16_t count at off2 */
	K_ENUM,    /* an enum (int) named by name(), lo..hi */
	K_SEMVER,  /* three uint32_t at off as the string "X.Y.Z" */
	K_OBJ,     /* a nested object: sub's members at off */
};

enum cls {
	C_PRINT,     /* printable ASCII 0x20..0x7e, may be empty */
	C_HEX64,     /* exactly 64 lower-case hex digits, or empty */
	C_ID,        /* 1.. characters of [A-Za-z0-9._-] */
	C_ID_OPT,    /* C_ID or empty */
	C_HEX64_REQ, /* exactly 64 lower-case hex digits */
	C_PRINT_REQ, /* C_PRINT, not empty */
	C_HTTPS,     /* "https://" and at least one more of 0x21..0x7e */
	C_CODE,      /* [a-z0-9_], may be empty */
};

struct field {
	const char *name;
	enum kind kind;
	size_t off, off2;
	uint32_t lo, hi; /* K_U64: lo is the minimum too */
	enum cls cls;
	const char *(*ename)(int);
	const struct msg *sub;         /* K_OBJ: its members */
	bool (*when)(const void *obj); /* K_OBJ: present iff when(obj) */
};

struct msg {
	const struct field *fields;
	size_t n;
	bool (*post)(const void *obj);
	size_t size;
	rp_err bad; /* the decoder's error code */
};

_Static_assert(sizeof(enum rp_event_type) == sizeof(int), "enum size");
_Static_assert(sizeof(enum rp_severity) == sizeof(int), "enum size");
_Static_assert(sizeof(enum rp_command_type) == sizeof(int), "enum size");
_Static_assert(sizeof(enum rp_command_status) == sizeof(int), "enum size");
_Static_assert(sizeof(enum rp_update_state) == sizeof(int), "enum size");
_Static_assert(offsetof(struct rp_update_ref, ver_minor) ==
                       offsetof(struct rp_update_ref, ver_major) +
                           sizeof(uint32_t) &&
                   offsetof(struct rp_update_ref, ver_patch) ==
                       offsetof(struct rp_update_ref, ver_major) +
                           2 * sizeof(uint32_t),
               "K_SEMVER reads three adjacent uint32_t");

static const char *const event_names[] = {
    NULL,         "agent_start", "auth_failure", "config_change", "boot",
    "queue_drop", "command",     "tamper",       "update",
};
static const char *const severity_names[] = {"info", "warning", "critical"};
static const char *const command_names[] = {NULL,     "ping", "update", "lock",
                                            "reboot", "wipe", "cancel"};
static const char *const update_state_names[] = {
    NULL,        "accepted",     "downloading", "downloaded",
    "verified",  "trial_marked", "rebooting",   "trial_running",
    "confirmed", "rolled_back",  "failed",      "cancelled"};
static const char *const status_names[] = {"ok", "rejected", "unsupported",
                                           "failed"};

#define NAME_OF(tab, v)                                                    \
	((unsigned)(v) < sizeof(tab) / sizeof(tab[0]) ? tab[(unsigned)(v)] \
	                                              : NULL)

const char *rp_event_type_name(enum rp_event_type t)
{
	return NAME_OF(event_names, t);
}

const char *rp_severity_name(enum rp_severity s)
{
	return NAME_OF(severity_names, s);
}

const char *rp_command_type_name(enum rp_command_type t)
{
	return NAME_OF(command_names, t);
}

const char *rp_command_status_name(enum rp_command_status s)
{
	return NAME_OF(status_names, s);
}

const char *rp_update_state_name(enum rp_update_state s)
{
	return NAME_OF(update_state_names, s);
}

rp_err rp_update_state_parse(const char *name, enum rp_update_state *out)
{
	unsigned i;

	if (name == NULL || out == NULL)
		return RP_E_INVAL;
	for (i = 1;
	     i < sizeof update_state_names / sizeof update_state_names[0];
	     i++) {
		if (strcmp(name, update_state_names[i]) == 0) {
			*out = (enum rp_update_state)i;
			return RP_OK;
		}
	}
	return RP_E_INVAL;
}

static const char *upd_name(int v)
{
	return rp_update_state_name((enum rp_update_state)v);
}

static const char *ev_name(int v)
{
	return rp_event_type_name((enum rp_event_type)v);
}

static const char *sev_name(int v)
{
	return rp_severity_name((enum rp_severity)v);
}

static const char *cmd_name(int v)
{
	return rp_command_type_name((enum rp_command_type)v);
}

static const char *st_name(int v)
{
	return rp_command_status_name((enum rp_command_status)v);
}

#define VER                                                           \
	{                                                             \
		"v", K_VERSION, 0, 0, 0, 0, C_PRINT, NULL, NULL, NULL \
	}
#define U64(s, m)                                                             \
	{                                                                     \
#m, K_U64, offsetof(s, m), 0, 0, 0, C_PRINT, NULL, NULL, NULL \
	}
#define I64(s, m)                                                             \
	{                                                                     \
#m, K_I64, offsetof(s, m), 0, 0, 0, C_PRINT, NULL, NULL, NULL \
	}
#define U32(s, m, lo, hi)                                                  \
	{                                                                  \
#m, K_U32, offsetof(s, m), 0, lo, hi, C_PRINT, NULL, NULL, \
		    NULL                                                   \
	}
#define STR(s, m, max, cls)                                                 \
	{                                                                   \
#m, K_STR, offsetof(s, m), 0, 0, max, cls, NULL, NULL, NULL \
	}
#define PORTS(s, m, n)                                                        \
	{                                                                     \
#m, K_PORTS, offsetof(s, m), offsetof(s, n), 0, RP_PORTS_MAX, \
		    C_PRINT, NULL, NULL, NULL                                 \
	}
#define ENUM(s, m, lo, hi, fn)                                                 \
	{                                                                      \
#m, K_ENUM, offsetof(s, m), 0, lo, hi, C_PRINT, fn, NULL, NULL \
	}
/* Members whose wire name is not the C member's name. */
#define U64N(name, s, m, lo)                                                \
	{                                                                   \
		name, K_U64, offsetof(s, m), 0, lo, 0, C_PRINT, NULL, NULL, \
		    NULL                                                    \
	}
#define STRN(name, s, m, max, cls)                                            \
	{                                                                     \
		name, K_STR, offsetof(s, m), 0, 0, max, cls, NULL, NULL, NULL \
	}
#define SEMVER(name, s, m)                                                    \
	{                                                                     \
		name, K_SEMVER, offsetof(s, m), 0, 0, 0, C_PRINT, NULL, NULL, \
		    NULL                                                      \
	}
#define OBJ(name, s, m, sub, when)                                             \
	{                                                                      \
		name, K_OBJ, offsetof(s, m), 0, 0, 0, C_PRINT, NULL, sub, when \
	}

#define T struct rp_telemetry
static const struct field telemetry_fields[] = {
    VER,
    U64(T, seq),
    I64(T, ts),
    U64(T, uptime_s),
    U32(T, cpu_permille, 0, 1000),
    U64(T, mem_total_kb),
    U64(T, mem_avail_kb),
    PORTS(T, tcp, n_tcp),
    PORTS(T, udp, n_udp),
    STR(T, fw_version, RP_FW_VERSION_MAX, C_PRINT),
    STR(T, fw_sha256, 64, C_HEX64),
    U64(T, msgs_sent),
    U64(T, dropped),
    U32(T, interval_s, 1, 86400),
    U64(T, log_seq),
    STR(T, log_head, 64, C_HEX64),
};
#undef T

/* The event's "update" member. */
#define U struct rp_update_report
static const struct field report_fields[] = {
    STR(U, release, 64, C_HEX64_REQ),
    STR(U, cmd, RP_CMD_ID_MAX, C_ID),
    ENUM(U, state, RP_UPD_ACCEPTED, RP_UPD_CANCELLED, upd_name),
    U64(U, offset),
    U64(U, size),
    STR(U, code, RP_UPD_CODE_MAX, C_CODE),
};
#undef U

/* The command's "update"."delta" member: fields of struct rp_update_ref. */
#define D struct rp_update_ref
static const struct field delta_fields[] = {
    STRN("base", D, delta_base, 64, C_HEX64_REQ),
    STRN("url", D, delta_url, RP_URL_MAX, C_HTTPS),
    U64N("size", D, delta_size, 1),
};

static bool report_post(const void *obj);
static bool has_delta(const void *obj);
static const struct msg report_msg;
static const struct msg delta_msg;

/* The command's "update" member. */
static const struct field ref_fields[] = {
    STR(D, release, 64, C_HEX64_REQ),
    STR(D, hw, 31, C_PRINT_REQ),
    SEMVER("version", D, ver_major),
    U32(D, counter, 0, UINT32_MAX),
    U64N("size", D, size, 1),
    STR(D, url, RP_URL_MAX, C_HTTPS),
    /* delta_fields hold offsets into the whole struct: off is 0. */
    {"delta", K_OBJ, 0, 0, 0, 0, C_PRINT, NULL, &delta_msg, has_delta},
};
#undef D
static const struct msg ref_msg;

static bool is_update_event(const void *obj)
{
	return ((const struct rp_event *)obj)->type == RP_EVENT_UPDATE;
}

static bool is_update_command(const void *obj)
{
	return ((const struct rp_command *)obj)->type == RP_CMD_UPDATE;
}

#define E struct rp_event
static const struct field event_fields[] = {
    VER,
    U64(E, seq),
    I64(E, ts),
    ENUM(E, type, RP_EVENT_AGENT_START, RP_EVENT_UPDATE, ev_name),
    ENUM(E, severity, RP_SEV_INFO, RP_SEV_CRITICAL, sev_name),
    U64(E, count),
    STR(E, detail, RP_DETAIL_MAX, C_PRINT),
    OBJ("update", E, update, &report_msg, is_update_event),
};
#undef E

#define C struct rp_command
static const struct field command_fields[] = {
    VER,
    STR(C, id, RP_CMD_ID_MAX, C_ID),
    ENUM(C, type, RP_CMD_PING, RP_CMD_CANCEL, cmd_name),
    I64(C, ts),
    STR(C, arg, RP_DETAIL_MAX, C_PRINT),
    OBJ("update", C, update, &ref_msg, is_update_command),
};
#undef C

#define R struct rp_command_result
static const struct field result_fields[] = {
    VER,
    STR(R, id, RP_CMD_ID_MAX, C_ID_OPT),
    ENUM(R, status, RP_CMD_OK, RP_CMD_FAILED, st_name),
    U64(R, seq),
    I64(R, ts),
    STR(R, detail, RP_DETAIL_MAX, C_PRINT),
};
#undef R

#define NFIELDS(tab) (sizeof(tab) / sizeof(tab[0]))
#define SEEN_MAX     32 /* decode() tracks members in a bool[SEEN_MAX] */
_Static_assert(NFIELDS(telemetry_fields) <= SEEN_MAX, "too many members");

/* Checks on the whole struct that no single member can make. */
static bool telemetry_post(const void *obj)
{
	const struct rp_telemetry *t = obj;

	if (t->mem_avail_kb > t->mem_total_kb)
		return false;
	/* An empty log has no head; a non-empty one has one. */
	return (t->log_seq == 0) == (t->log_head[0] == '\0');
}

static bool event_post(const void *obj)
{
	const struct rp_event *e = obj;

	return e->count >= 1;
}

static bool report_post(const void *obj)
{
	const struct rp_update_report *u = obj;

	return u->offset <= u->size;
}

static bool has_delta(const void *obj)
{
	return ((const struct rp_update_ref *)obj)->delta_base[0] != '\0';
}

static bool str_ok(const char *s, size_t len, enum cls cls);

/* A cancel names the release it stops ("" for whichever runs). */
static bool command_post(const void *obj)
{
	const struct rp_command *c = obj;

	return c->type != RP_CMD_CANCEL ||
	       str_ok(c->arg, strlen(c->arg), C_HEX64);
}

static const struct msg telemetry_msg = {
    telemetry_fields, NFIELDS(telemetry_fields), telemetry_post,
    sizeof(struct rp_telemetry), RP_E_TELEMETRY};
static const struct msg event_msg = {event_fields, NFIELDS(event_fields),
                                     event_post, sizeof(struct rp_event),
                                     RP_E_TELEMETRY};
static const struct msg command_msg = {command_fields, NFIELDS(command_fields),
                                       command_post, sizeof(struct rp_command),
                                       RP_E_COMMAND};
static const struct msg report_msg = {
    report_fields, NFIELDS(report_fields), report_post,
    sizeof(struct rp_update_report), RP_E_TELEMETRY};
static const struct msg ref_msg = {ref_fields, NFIELDS(ref_fields), NULL,
                                   sizeof(struct rp_update_ref), RP_E_COMMAND};
static const struct msg delta_msg = {delta_fields, NFIELDS(delta_fields), NULL,
                                     sizeof(struct rp_update_ref),
                                     RP_E_COMMAND};
static const struct msg result_msg = {result_fields, NFIELDS(result_fields),
                                      NULL, sizeof(struct rp_command_result),
                                      RP_E_COMMAND};

/* s[0..len) against its class. */
static bool str_ok(const char *s, size_t len, enum cls cls)
{
	size_t i;

	if (cls == C_HEX64 && len != 0 && len != 64)
		return false;
	if (cls == C_HEX64_REQ && len != 64)
		return false;
	if ((cls == C_ID || cls == C_PRINT_REQ) && len == 0)
		return false;
	if (cls == C_HTTPS && (len <= 8 || memcmp(s, "https://", 8) != 0))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		switch (cls) {
		case C_PRINT:
		case C_PRINT_REQ:
			if (c < 0x20 || c > 0x7e)
				return false;
			break;
		case C_HTTPS:
			if (c <= 0x20 || c > 0x7e)
				return false;
			break;
		case C_CODE:
			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '_'))
				return false;
			break;
		case C_HEX64:
		case C_HEX64_REQ:
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return false;
			break;
		case C_ID:
		case C_ID_OPT:
			if (!rp_id_char((unsigned char)c))
				return false;
			break;
		}
	}
	return true;
}

static bool ports_ok(const uint16_t *p, uint16_t n)
{
	uint16_t i;

	if (n > RP_PORTS_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] == 0 || (i > 0 && p[i] <= p[i - 1]))
			return false;
	}
	return true;
}

static int get_enum(const void *obj, const struct field *f)
{
	int v;

	memcpy(&v, (const char *)obj + f->off, sizeof v);
	return v;
}

static bool msg_ok(const struct msg *m, const void *obj);

/* The members of m at obj are all zero (an absent nested object). */
static bool fields_zero(const struct msg *m, const void *obj)
{
	static const char zero[sizeof(uint64_t) * 3];
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct field *f = &m->fields[i];
		const char *p = (const char *)obj + f->off;
		size_t n = 0;

		switch (f->kind) {
		case K_U64:
		case K_I64:
			n = sizeof(uint64_t);
			break;
		case K_U32:
		case K_ENUM:
			n = sizeof(uint32_t);
			break;
		case K_STR:
			n = 1;
			break;
		case K_SEMVER:
			n = 3 * sizeof(uint32_t);
			break;
		case K_OBJ:
			if (!fields_zero(f->sub, p))
				return false;
			break;
		case K_VERSION:
		case K_PORTS:
			break;
		}
		if (memcmp(p, zero, n) != 0)
			return false;
	}
	return true;
}

/* One member of the struct against its field's rules. */
static bool field_ok(const void *obj, const struct field *f)
{
	const char *p = (const char *)obj + f->off;
	uint64_t u;
	int64_t i;
	uint32_t w;
	uint16_t n;
	int e;

	switch (f->kind) {
	case K_VERSION:
		return true;
	case K_U64:
		memcpy(&u, p, sizeof u);
		return u >= f->lo && u <= INT64_MAX;
	case K_I64:
		memcpy(&i, p, sizeof i);
		return i >= 0;
	case K_U32:
		memcpy(&w, p, sizeof w);
		return w >= f->lo && w <= f->hi;
	case K_STR: {
		const char *nul = memchr(p, '\0', (size_t)f->hi + 1);

		return nul != NULL && str_ok(p, (size_t)(nul - p), f->cls);
	}
	case K_PORTS:
		memcpy(&n, (const char *)obj + f->off2, sizeof n);
		return ports_ok((const uint16_t *)(const void *)p, n);
	case K_ENUM:
		e = get_enum(obj, f);
		return e >= (int)f->lo && e <= (int)f->hi &&
		       f->ename(e) != NULL;
	case K_SEMVER:
		return true;
	case K_OBJ:
		return f->when(obj) ? msg_ok(f->sub, p)
		                    : fields_zero(f->sub, p);
	}
	return false;
}

static bool msg_ok(const struct msg *m, const void *obj)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (!field_ok(obj, &m->fields[i]))
			return false;
	}
	return m->post == NULL || m->post(obj);
}

/* ---- encoder ---------------------------------------------------------- */

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	/* Keep one byte for the NUL. */
	if (o->full || n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* A printable ASCII string as a JSON string: only '"' and '\' escaped. */
static void put_string(struct out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			put(o, "\\", 1);
		put(o, s, 1);
	}
	put(o, "\"", 1);
}

static void put_fmt_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);

	put(o, tmp, (size_t)n);
}

static void put_members(struct out *o, const struct msg *m, const void *obj);

static void put_field(struct out *o, const void *obj, const struct field *f)
{
	const char *p = (const char *)obj + f->off;
	uint64_t u;
	int64_t i;
	uint32_t w;
	uint16_t n, k, port;

	put_string(o, f->name);
	put(o, ":", 1);
	switch (f->kind) {
	case K_VERSION:
		put_fmt_u64(o, RP_MSG_VERSION);
		break;
	case K_U64:
		memcpy(&u, p, sizeof u);
		put_fmt_u64(o, u);
		break;
	case K_I64:
		memcpy(&i, p, sizeof i);
		put_fmt_u64(o, (uint64_t)i); /* field_ok: i >= 0 */
		break;
	case K_U32:
		memcpy(&w, p, sizeof w);
		put_fmt_u64(o, w);
		break;
	case K_STR:
		put_string(o, p);
		break;
	case K_PORTS:
		memcpy(&n, (const char *)obj + f->off2, sizeof n);
		put(o, "[", 1);
		for (k = 0; k < n; k++) {
			memcpy(&port, p + k * sizeof port, sizeof port);
			if (k > 0)
				put(o, ",", 1);
			put_fmt_u64(o, port);
		}
		put(o, "]", 1);
		break;
	case K_ENUM:
		put_string(o, f->ename(get_enum(obj, f)));
		break;
	case K_SEMVER: {
		uint32_t v[3];
		char tmp[3 * 11];
		int len;

		memcpy(v, p, sizeof v);
		len = snprintf(tmp, sizeof tmp,
		               "%" PRIu32 ".%" PRIu32 ".%" PRIu32, v[0], v[1],
		               v[2]);
		put(o, "\"", 1);
		put(o, tmp, (size_t)len);
		put(o, "\"", 1);
		break;
	}
	case K_OBJ:
		put_members(o, f->sub, p);
		break;
	}
}

/* {members of m}: an absent nested object is left out. */
static void put_members(struct out *o, const struct msg *m, const void *obj)
{
	bool first = true;
	size_t i;

	put(o, "{", 1);
	for (i = 0; i < m->n; i++) {
		const struct field *f = &m->fields[i];

		if (f->kind == K_OBJ && !f->when(obj))
			continue;
		if (!first)
			put(o, ",", 1);
		first = false;
		put_field(o, obj, f);
	}
	put(o, "}", 1);
}

static rp_err encode(const struct msg *m, const void *obj, char *buf,
                     size_t cap, size_t *len)
{
	struct out o = {buf, cap, 0, false};
	rp_err rc = RP_E_INVAL;

	if (len != NULL)
		*len = 0;
	if (obj == NULL || buf == NULL || len == NULL)
		goto out;
	if (!msg_ok(m, obj))
		goto out;
	put_members(&o, m, obj);
	rc = RP_E_BUFFER;
	if (o.full || o.len > RP_MSG_MAX)
		goto out;
	buf[o.len] = '\0';
	*len = o.len;
	rc = RP_OK;
out:
	if (rc != RP_OK && buf != NULL && cap > 0)
		buf[0] = '\0';
	return rc;
}

rp_err rp_telemetry_encode(const struct rp_telemetry *t, char *buf, size_t cap,
                           size_t *len)
{
	return encode(&telemetry_msg, t, buf, cap, len);
}

rp_err rp_event_encode(const struct rp_event *e, char *buf, size_t cap,
                       size_t *len)
{
	return encode(&event_msg, e, buf, cap, len);
}

rp_err rp_command_encode(const struct rp_command *c, char *buf, size_t cap,
                         size_t *len)
{
	return encode(&command_msg, c, buf, cap, len);
}

rp_err rp_command_result_encode(const struct rp_command_result *r, char *buf,
                                size_t cap, size_t *len)
{
	return encode(&result_msg, r, buf, cap, len);
}

/* ---- decoder ---------------------------------------------------------- */

static bool get_uint(json_t *v, json_int_t lo, json_int_t hi, json_int_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return false;
	i = json_integer_value(v);
	if (i < lo || i > hi)
		return false;
	*out = i;
	return true;
}

/* "X.Y.Z": decimal, no sign, no leading zero, each at most UINT32_MAX. */
static bool parse_semver(const char *s, size_t len, uint32_t v[3])
{
	size_t i = 0;
	int k;

	for (k = 0; k < 3; k++) {
		uint64_t n = 0;
		size_t start = i;

		while (i < len && s[i] >= '0' && s[i] <= '9') {
			n = n * 10 + (uint64_t)(s[i] - '0');
			if (n > UINT32_MAX)
				return false;
			i++;
		}
		if (i == start || (s[start] == '0' && i - start > 1))
			return false;
		v[k] = (uint32_t)n;
		if (k < 2) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

static bool decode_members(const struct msg *m, json_t *o, void *obj);

/* One JSON member into its struct field; the range checks of field_ok()
 * follow in msg_ok(). */
static bool decode_field(json_t *v, const struct field *f, void *obj)
{
	char *p = (char *)obj + f->off;
	json_int_t i;
	uint64_t u;
	int64_t s;
	uint32_t w;
	uint16_t n, port;
	size_t len, k;
	int e;

	switch (f->kind) {
	case K_VERSION:
		return get_uint(v, RP_MSG_VERSION, RP_MSG_VERSION, &i);
	case K_U64:
		if (!get_uint(v, 0, INT64_MAX, &i))
			return false;
		u = (uint64_t)i;
		memcpy(p, &u, sizeof u);
		return true;
	case K_I64:
		if (!get_uint(v, 0, INT64_MAX, &i))
			return false;
		s = (int64_t)i;
		memcpy(p, &s, sizeof s);
		return true;
	case K_U32:
		if (!get_uint(v, f->lo, f->hi, &i))
			return false;
		w = (uint32_t)i;
		memcpy(p, &w, sizeof w);
		return true;
	case K_STR:
		if (!json_is_string(v))
			return false;
		len = json_string_length(v);
		if (len > f->hi)
			return false;
		memcpy(p, json_string_value(v), len);
		p[len] = '\0';
		return true;
	case K_PORTS:
		if (!json_is_array(v) || json_array_size(v) > RP_PORTS_MAX)
			return false;
		for (k = 0; k < json_array_size(v); k++) {
			if (!get_uint(json_array_get(v, k), 1, 65535, &i))
				return false;
			port = (uint16_t)i;
			memcpy(p + k * sizeof port, &port, sizeof port);
		}
		n = (uint16_t)json_array_size(v);
		memcpy((char *)obj + f->off2, &n, sizeof n);
		return true;
	case K_ENUM:
		if (!json_is_string(v))
			return false;
		for (e = (int)f->lo; e <= (int)f->hi; e++) {
			if (strcmp(f->ename(e), json_string_value(v)) == 0 &&
			    strlen(f->ename(e)) == json_string_length(v)) {
				memcpy(p, &e, sizeof e);
				return true;
			}
		}
		return false;
	case K_SEMVER: {
		uint32_t ver[3];

		if (!json_is_string(v) ||
		    !parse_semver(json_string_value(v), json_string_length(v),
		                  ver))
			return false;
		memcpy(p, ver, sizeof ver);
		return true;
	}
	case K_OBJ:
		return json_is_object(v) && decode_members(f->sub, v, p);
	}
	return false;
}

/* The members of JSON object o into obj against m's table: each known,
 * once, and present exactly when its presence rule says. */
static bool decode_members(const struct msg *m, json_t *o, void *obj)
{
	bool seen[SEEN_MAX] = {false};
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v)
	{
		for (i = 0; i < m->n; i++) {
			if (strcmp(key, m->fields[i].name) == 0)
				break;
		}
		if (i == m->n || seen[i] ||
		    !decode_field(v, &m->fields[i], obj))
			return false;
		seen[i] = true;
	}
	for (i = 0; i < m->n; i++) {
		const struct field *f = &m->fields[i];

		if (seen[i] != (f->kind != K_OBJ || f->when(obj)))
			return false;
	}
	return true;
}

/*
 * A '-' outside every string: only a number can hold one there, and no
 * member takes a negative number. jansson reads "-0" as the integer 0, so
 * the sign is refused here, before the parse (docs/telemetry.md rule 4:
 * "no sign"). Unterminated strings are left to the parser.
 */
static bool has_minus(const char *s, size_t n)
{
	bool in_str = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = false;
		} else if (s[i] == '"') {
			in_str = true;
		} else if (s[i] == '-') {
			return true;
		}
	}
	return false;
}

/* RP_E_NOMEM when jansson failed for memory, else m->bad for a refusal. */
static rp_err decode(const struct msg *m, const void *buf, size_t len,
                     void *obj)
{
	json_t *root = NULL;
	rp_err rc = RP_E_INVAL;

	if (obj == NULL)
		goto out;
	memset(obj, 0, m->size);
	rc = m->bad;
	if (buf == NULL || len == 0 || len > RP_MSG_MAX || has_minus(buf, len))
		goto out;
	switch (rp_json_load_object(buf, len, &root, NULL)) {
	case RP_OK:
		break;
	case RP_E_NOMEM:
		rc = RP_E_NOMEM;
		goto out;
	default:
		goto out;
	}
	if (!decode_members(m, root, obj) || !msg_ok(m, obj))
		goto out;
	rc = RP_OK;
out:
	json_decref(root);
	if (rc != RP_OK && obj != NULL)
		memset(obj, 0, m->size);
	return rc;
}

rp_err rp_telemetry_decode(const void *buf, size_t len,
                           struct rp_telemetry *out)
{
	return decode(&telemetry_msg, buf, len, out);
}

rp_err rp_event_decode(const void *buf, size_t len, struct rp_event *out)
{
	return decode(&event_msg, buf, len, out);
}

rp_err rp_command_decode(const void *buf, size_t len, struct rp_command *out)
{
	return decode(&command_msg, buf, len, out);
}

rp_err rp_command_result_decode(const void *buf, size_t len,
                                struct rp_command_result *out)
{
	return decode(&result_msg, buf, len, out);
}
