/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.c - what rampartd does with a message from the broker (mqtt.h):
 * the topic names the device and the kind (msg.c), the payload is decoded
 * strictly by librampart (telemetry.h), and a valid message joins a
 * bounded in-memory queue that is written to the store in ONE transaction
 * when it holds batch_max items or batch_ms after its first item
 * (store_ingest_write). Nothing is dropped silently: a malformed message
 * is counted (total and per device) and logged at a limited rate; when the
 * queue is full because the store is failing, telemetry is dropped first
 * (the oldest queued telemetry makes room for an event or a result) and
 * every drop is counted. The broker's refusal events join the same queue
 * (kept like events) and go to the store's refusals table (route
 * "mqtt/ACTION") with their batch, where the detectors read them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqtt/mqtt.h"
#include "mqtt/msg.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "rampartd.h"

/* Names in the store's ingest_counters table (enum ingest_counter). */
static const char *const counter_names[IC_COUNT] = {
    [IC_RECEIVED] = "received",
    [IC_REJECTED] = "rejected",
    [IC_BAD_TOPIC] = "bad_topic",
    [IC_OVERFLOW_TEL] = "overflow_telemetry",
    [IC_OVERFLOW_EV] = "overflow_events",
    [IC_STORE_FAILURES] = "store_failures",
    [IC_BATCHES] = "batches",
    [IC_BROKER_REFUSALS] = "broker_refusals",
    [IC_BROKER_SUPPRESSED] = "broker_suppressed",
};

/* The topic's id is the store's serial: never cut to another id. */
_Static_assert(STORE_SERIAL_MAX >= RP_BROKER_ID_MAX,
               "a device id must fit a store serial");

/* At most this many "malformed" lines per window, then one summary. */
#define LOG_LINES  5
#define LOG_WINDOW 10

static void count(struct ingest *in, enum ingest_counter c, uint64_t n)
{
	in->total[c] += n;
	in->pending[c] += (int64_t)n;
}

/* True if one more line may be logged now (rate limit); says how many
 * were held back when a new window opens. */
static bool may_log(struct ingest *in)
{
	int64_t now = (int64_t)time(NULL);

	if (now >= in->log_window + LOG_WINDOW) {
		if (in->log_suppressed > 0)
			rp_log_warn("ingest: %llu more malformed, misrouted or "
			            "dropped messages were not logged",
			            (unsigned long long)in->log_suppressed);
		in->log_window = now;
		in->log_lines = 0;
		in->log_suppressed = 0;
	}
	if (in->log_lines < LOG_LINES) {
		in->log_lines++;
		return true;
	}
	in->log_suppressed++;
	return false;
}

/* While the store fails, retry this often (not at every message: each
 * try may wait for the store's busy timeout and holds the loop). */
#define RETRY_MS 1000

/* Arm the batch timer (the retry timer while the store fails). */
static void arm(struct ingest *in)
{
	int ms = in->conf.batch_ms;
	struct timeval tv;

	if (in->failing && ms < RETRY_MS)
		ms = RETRY_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (!evtimer_pending(in->timer, NULL))
		evtimer_add(in->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ingest *in = arg;

	(void)fd;
	(void)what;
	/* a failure is logged and keeps the items for the next try */
	if (ingest_flush(in) != RP_OK && in->n > 0)
		arm(in);
}

rp_err ingest_init(struct ingest *in, struct rampartd *rd,
                   struct event_base *base, const struct ingest_conf *conf)
{
	memset(in, 0, sizeof *in);
	in->rd = rd;
	in->conf = *conf;
	if (in->conf.queue_max == 0 || in->conf.batch_max == 0 ||
	    in->conf.batch_max > in->conf.queue_max)
		return RP_E_INVAL;
	in->q = rp_calloc(in->conf.queue_max, sizeof *in->q);
	in->timer = evtimer_new(base, on_timer, in);
	if (in->q == NULL || in->timer == NULL) {
		ingest_free(in);
		return RP_E_NOMEM;
	}
	return RP_OK;
}

/* Make room for one item of kind: RP_OK with in->q[in->n] free, or
 * RP_E_QUEUE_FULL (counted) when the item must be dropped. */
static rp_err make_room(struct ingest *in, int kind, const char *id)
{
	bool tel = kind == STORE_IN_TELEMETRY || kind == STORE_IN_REJECT;
	size_t i;

	if (in->n < in->conf.queue_max)
		return RP_OK;
	if (tel || in->n_tel == 0) {
		count(in, tel ? IC_OVERFLOW_TEL : IC_OVERFLOW_EV, 1);
		if (may_log(in))
			rp_log_error("ingest: queue full (%zu, the store is "
			             "not taking writes): %s from %s dropped",
			             in->n, tel ? "telemetry" : "an event", id);
		return RP_E_QUEUE_FULL;
	}
	/* an event or a result displaces the oldest queued telemetry */
	for (i = 0; i < in->n; i++) {
		if (in->q[i].kind == STORE_IN_TELEMETRY)
			break;
	}
	memmove(&in->q[i], &in->q[i + 1], (in->n - i - 1) * sizeof *in->q);
	in->n--;
	in->n_tel--;
	count(in, IC_OVERFLOW_TEL, 1);
	return RP_OK;
}

/* Queue in->q[in->n] (already filled); flush at batch_max (unless the
 * store is failing: then the retry timer does), else arm the timer. */
static void push(struct ingest *in)
{
	if (in->q[in->n].kind == STORE_IN_TELEMETRY)
		in->n_tel++;
	in->n++;
	if (in->n >= in->conf.batch_max && !in->failing &&
	    ingest_flush(in) == RP_OK)
		return;
	arm(in);
}

/* Map a broker refusal reason to the store's reason code. */
static rp_err refusal_code(const char *reason)
{
	static const struct {
		const char *name;
		rp_err code;
	} map[] = {
	    {"tls", RP_E_TLS},
	    {"no_cert", RP_E_NO_CLIENT_CERT},
	    {"bad_cn", RP_E_AUTH},
	    {"bad_client_id", RP_E_AUTH},
	    {"cert_revoked", RP_E_CERT_REVOKED},
	    {"unknown", RP_E_NOT_ALLOWLISTED},
	    {"revoked", RP_E_CERT_REVOKED},
	    {"decommissioned", RP_E_DECOMMISSIONED},
	    {"acl", RP_E_PERM},
	    {"bad_profile", RP_E_CERT_PROFILE},
	    {"unpinned", RP_E_CERT_UNTRUSTED},
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(map[i].name, reason) == 0)
			return map[i].code;
	}
	return RP_E_PERM;
}

/*
 * Append src to dst (cap bytes, kept NUL-terminated) with every byte
 * outside printable ASCII, and the backslash, as \xNN (as rampartd's log
 * writes them). A refusal carries what a client chose (its id, a topic);
 * stored as ASCII, no later cut to a column's size can split a UTF-8
 * sequence and make the row unprintable as JSON (GET /api/v1/refusals).
 * An escape is never cut in half.
 */
static void put_ascii(char *dst, size_t cap, const char *src)
{
	size_t o = strlen(dst);

	(void)rp_escape(dst + o, cap - o, src, strlen(src));
}

/* A refusal event joins the queue as a security event (kept over
 * telemetry when the queue is full) and is written with its batch. */
static void broker_refusal(struct ingest *in, const void *payload, size_t len)
{
	struct mqtt_refusal r;
	struct store_in_refusal *f;
	struct store_in *it;
	bool subject;

	switch (mqtt_refusal_decode(payload, len, &r)) {
	case RP_OK:
		break;
	case RP_E_NOMEM:
		/* dropped, as when the queue is full: counted with those */
		count(in, IC_OVERFLOW_EV, 1);
		if (may_log(in))
			rp_log_warn("ingest: no memory to read a refusal "
			            "event from the broker (%zu bytes): "
			            "dropped",
			            len);
		return;
	default:
		count(in, IC_BAD_TOPIC, 1);
		if (may_log(in))
			rp_log_warn("ingest: unreadable refusal event from the "
			            "broker (%zu bytes)",
			            len);
		return;
	}
	if (strcmp(r.reason, "suppressed") == 0) {
		count(in, IC_BROKER_SUPPRESSED,
		      r.count > 0 ? (uint64_t)r.count : 0);
		rp_log_warn("broker: %lld refusals were counted but not "
		            "published (rate limit)",
		            (long long)r.count);
		return;
	}
	count(in, IC_BROKER_REFUSALS, 1);
	if (make_room(in, STORE_IN_REFUSAL, "the broker") != RP_OK)
		return;
	it = &in->q[in->n];
	memset(it, 0, sizeof *it);
	it->kind = STORE_IN_REFUSAL;
	it->received_at = (int64_t)time(NULL);
	f = &it->u.ref;
	snprintf(f->route, sizeof f->route, "mqtt/");
	put_ascii(f->route, sizeof f->route, r.action[0] ? r.action : "?");
	put_ascii(f->peer, sizeof f->peer, r.address);
	subject = rp_broker_id_valid(r.id, strlen(r.id));
	if (subject)
		snprintf(f->subject, sizeof f->subject, "%s", r.id);
	f->reason = refusal_code(r.reason);
	snprintf(f->detail, sizeof f->detail, "broker: ");
	put_ascii(f->detail, sizeof f->detail, r.reason);
	if (r.topic[0] != '\0') {
		put_ascii(f->detail, sizeof f->detail, " ");
		put_ascii(f->detail, sizeof f->detail, r.topic);
	}
	if (!subject && r.id[0] != '\0') {
		put_ascii(f->detail, sizeof f->detail, " id ");
		put_ascii(f->detail, sizeof f->detail, r.id);
	}
	rp_log_warn("broker refused %s from %s%s%s: %s", f->route,
	            f->peer[0] ? f->peer : "?", subject ? " for " : "",
	            f->subject, f->detail);
	push(in);
}

void ingest_message(struct ingest *in, const char *topic, const void *payload,
                    size_t len)
{
	char id[RP_BROKER_ID_MAX + 1];
	enum mqtt_topic_kind k = mqtt_topic_parse(topic, id);
	struct store_in *it;
	rp_err rc = RP_OK;
	int kind;

	if (k == MQTT_T_REFUSALS) {
		broker_refusal(in, payload, len);
		return;
	}
	if (k != MQTT_T_TELEMETRY && k != MQTT_T_EVENTS && k != MQTT_T_RESULT) {
		count(in, IC_BAD_TOPIC, 1);
		if (may_log(in))
			rp_log_warn("ingest: message on unexpected topic %.*s "
			            "dropped",
			            200, topic);
		return;
	}
	count(in, IC_RECEIVED, 1);
	kind = k == MQTT_T_TELEMETRY ? STORE_IN_TELEMETRY
	       : k == MQTT_T_EVENTS  ? STORE_IN_EVENT
	                             : STORE_IN_RESULT;
	if (make_room(in, kind, id) != RP_OK)
		return;
	it = &in->q[in->n];
	memset(it, 0, sizeof *it);
	snprintf(it->serial, sizeof it->serial, "%s", id);
	it->received_at = (int64_t)time(NULL);
	if (kind == STORE_IN_TELEMETRY)
		rc = rp_telemetry_decode(payload, len, &it->u.tel);
	else if (kind == STORE_IN_EVENT)
		rc = rp_event_decode(payload, len, &it->u.ev);
	else
		rc = rp_command_result_decode(payload, len, &it->u.res);
	if (rc != RP_OK) {
		count(in, IC_REJECTED, 1);
		if (may_log(in))
			rp_log_warn("ingest: malformed %s from %s rejected "
			            "(%zu bytes): %s; starts: %.*s",
			            k == MQTT_T_TELEMETRY ? "telemetry"
			            : k == MQTT_T_EVENTS  ? "event"
			                                  : "command result",
			            id, len, rp_strerror(rc),
			            (int)(len < 48 ? len : 48),
			            len > 0 ? (const char *)payload : "");
		memset(&it->u, 0, sizeof it->u);
		it->kind = STORE_IN_REJECT; /* counted for the device */
	} else {
		it->kind = kind;
	}
	push(in);
}

rp_err ingest_flush(struct ingest *in)
{
	struct store_counter c[IC_COUNT];
	struct store_in_result res;
	bool any = in->n > 0;
	rp_err rc = RP_OK;
	size_t i;

	for (i = 0; i < IC_COUNT; i++)
		any = any || in->pending[i] != 0;
	if (!any)
		goto out;
	in->pending[IC_BATCHES]++;
	for (i = 0; i < IC_COUNT; i++) {
		c[i].name = counter_names[i];
		c[i].add = in->pending[i];
	}
	rc = store_ingest_write(in->rd->store, in->q, in->n, &in->conf.keep, c,
	                        IC_COUNT, &res);
	if (rc != RP_OK) {
		in->pending[IC_BATCHES]--;
		/* logged at the first failure, and again after a success */
		if (in->total[IC_STORE_FAILURES]++ == 0 ||
		    in->pending[IC_STORE_FAILURES] == 0)
			rp_log_error("ingest: store write failed (%s): %zu "
			             "messages kept in memory, retrying",
			             rp_strerror(rc), in->n);
		in->pending[IC_STORE_FAILURES]++;
		in->failing = true;
		goto out;
	}
	in->failing = false;
	if (in->pending[IC_STORE_FAILURES] > 0)
		rp_log_info("ingest: store writes resumed");
	in->total[IC_BATCHES]++;
	memset(in->pending, 0, sizeof in->pending);
	in->stored.telemetry += res.telemetry;
	in->stored.events += res.events;
	in->stored.results += res.results;
	in->stored.rejects += res.rejects;
	in->stored.unknown += res.unknown;
	in->stored.not_allowed += res.not_allowed;
	if (res.not_allowed > 0)
		rp_log_warn("ingest: %llu messages of revoked or quarantined "
		            "devices that their state does not allow dropped",
		            (unsigned long long)res.not_allowed);
	if (res.unknown > 0)
		rp_log_warn("ingest: %llu messages from devices that are not "
		            "enrolled dropped",
		            (unsigned long long)res.unknown);
	in->n = 0;
	in->n_tel = 0;
out:
	return rc;
}

static int counter_one(void *arg, const char *name, int64_t value)
{
	json_object_set_new(arg, name, json_integer((json_int_t)value));
	return 0;
}

json_t *ingest_store_counters(struct store *s)
{
	json_t *all = json_object();

	if (store_counter_each(s, counter_one, all) != RP_OK)
		json_object_set_new(all, "error", json_string("store failure"));
	return all;
}

json_t *ingest_json(const struct ingest *in)
{
	json_t *j = json_object(), *since = json_object(),
	       *all = ingest_store_counters(in->rd->store);
	size_t i;

	for (i = 0; i < IC_COUNT; i++)
		json_object_set_new(since, counter_names[i],
		                    json_integer((json_int_t)in->total[i]));
	json_object_set_new(since, "stored_telemetry",
	                    json_integer((json_int_t)in->stored.telemetry));
	json_object_set_new(since, "stored_events",
	                    json_integer((json_int_t)in->stored.events));
	json_object_set_new(since, "stored_results",
	                    json_integer((json_int_t)in->stored.results));
	json_object_set_new(since, "unknown_device",
	                    json_integer((json_int_t)in->stored.unknown));
	json_object_set_new(since, "not_allowed",
	                    json_integer((json_int_t)in->stored.not_allowed));
	/* all time: the store's counters plus what is not yet written */
	for (i = 0; i < IC_COUNT; i++) {
		json_t *v = json_object_get(all, counter_names[i]);
		json_int_t have =
		    json_is_integer(v) ? json_integer_value(v) : 0;

		json_object_set_new(all, counter_names[i],
		                    json_integer(have + in->pending[i]));
	}
	json_object_set_new(j, "queued", json_integer((json_int_t)in->n));
	json_object_set_new(j, "queue_max",
	                    json_integer((json_int_t)in->conf.queue_max));
	json_object_set_new(j, "batch_max",
	                    json_integer((json_int_t)in->conf.batch_max));
	json_object_set_new(j, "batch_ms", json_integer(in->conf.batch_ms));
	json_object_set_new(j, "since_start", since);
	json_object_set_new(j, "counters", all);
	return j;
}

void ingest_free(struct ingest *in)
{
	if (in->q != NULL && ingest_flush(in) != RP_OK)
		rp_log_error("ingest: %zu queued messages could not be stored "
		             "at shutdown",
		             in->n);
	if (in->timer != NULL)
		event_free(in->timer);
	free(in->q);
	in->q = NULL;
	in->timer = NULL;
}
