/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.c - the device's MQTT session (agent.h; docs/agent.md "run"):
 * libmosquitto (MQTT v5, clean start, client id = certificate CN) over the
 * caller's SSL_CTX, moved by rp_mqloop on the caller's libevent base;
 * reconnect with rp_backoff_ms (reset by a CONNACK); periodic telemetry
 * with jitter; events and command results through the bounded offline
 * queue of agent_queue.c; commands from rampart/v1/d/<id>/cmd answered on
 * cmd/result. Every event (commands included) is appended to the
 * hash-chained log when there is one, and telemetry carries its head.
 *
 * Trust: only the service role (rampartd) may publish to a device's cmd
 * topic (the broker plugin's ACL, docs/transport.md), so the agent does
 * not authenticate commands itself; it still decodes them strictly.
 *
 * Memory: per agent, this struct, libmosquitto's client and the queued
 * messages (each one allocation of its own size); message buffers are on
 * the stack while a message is built. No thread, no lock: everything runs
 * in the base's callbacks.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sodium.h>

#include "agent_queue.h"
#include "rampart/agent.h"
#include "rampart/alloc.h"
#include "rampart/backoff.h"
#include "rampart/id.h"
#include "rampart/log.h"
#include "rampart/mqloop.h"

#ifndef RP_VERSION_STR
#define RP_VERSION_STR "0"
#endif

#define TOPIC_MAX 128 /* "rampart/v1/d/" + 64-char id + "/cmd/result" */

enum agent_state {
	ST_IDLE,       /* not started */
	ST_CONNECTING, /* connect issued, no CONNACK yet */
	ST_CONNECTED,  /* CONNACK accepted */
	ST_WAITING,    /* backoff timer armed */
	ST_STOPPED,
};

struct rp_agent {
	struct rp_agent_conf c; /* copied; c.id, c.host point below */
	char id[RP_CMD_ID_MAX + 1];
	char host[INET6_ADDRSTRLEN];
	SSL_CTX *tls; /* our reference */
	struct mosquitto *m;
	rp_mqloop *loop;
	struct event *tel_timer, *retry_timer;
	struct agentq q;
	enum agent_state st;
	unsigned attempt;        /* reconnect attempts since the last CONNACK */
	uint64_t seq;            /* last message sequence number used */
	uint64_t drops_told;     /* drops already reported in a QUEUE_DROP */
	struct rp_agent_stats s; /* queued/dropped filled on read */
};

static void topic(const rp_agent *a, const char *leaf, char out[TOPIC_MAX])
{
	snprintf(out, TOPIC_MAX, "rampart/v1/d/%s/%s", a->id, leaf);
}

_Static_assert(RP_CMD_ID_MAX == RP_ID_MAX, "a command id is an id");

static bool id_valid(const char *id)
{
	return rp_id_valid(id, strlen(id));
}

/*
 * A numeric IPv4 or IPv6 address: a name would make libmosquitto's
 * connect run a blocking getaddrinfo() on the caller's loop at every
 * (re)connect, stalling every agent on it (mqloop.h).
 */
static bool host_numeric(const char *host)
{
	unsigned char bin[16];

	return inet_pton(AF_INET, host, bin) == 1 ||
	       inet_pton(AF_INET6, host, bin) == 1;
}

/*
 * The broker's address (numeric) is what its certificate must carry, as
 * an IP SAN: libmosquitto checks no name when it is given its SSL_CTX
 * without defaults, so the context's verify parameters do.
 */
static rp_err pin_host(SSL_CTX *ctx, const char *host)
{
	X509_VERIFY_PARAM *p = SSL_CTX_get0_param(ctx);
	int ok;

	ok = X509_VERIFY_PARAM_set1_ip_asc(p, host);
	/* An idle session keeps no TLS record buffers (about 34 KiB each
	 * otherwise): what thousands of agents in one process need. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	ERR_clear_error();
	return ok == 1 ? RP_OK : RP_E_TLS;
}

rp_err rp_agent_tls_ctx(rp_keystore *ks, const char *cafile, SSL_CTX **out)
{
	SSL_CTX *ctx = NULL;
	rp_err rc = RP_E_INVAL;

	*out = NULL;
	if (ks == NULL || cafile == NULL)
		goto out;
	rc = RP_E_NOMEM;
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		goto out;
	rc = RP_E_TLS;
	/* TLS 1.2 only with ECDHE and an AEAD; TLS 1.3's AEAD suites. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:"
	                                  "TLS_CHACHA20_POLY1305_SHA256:"
	                                  "TLS_AES_128_GCM_SHA256") != 1)
		goto out;
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
		rc = RP_E_IO;
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	rc = rp_keystore_ssl_ctx_use(ks, ctx);
	if (rc != RP_OK)
		goto out;
	*out = ctx;
	ctx = NULL;
out:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return rc;
}

static void flush_queue(rp_agent *a);
static void schedule_telemetry(rp_agent *a);

static int qos_of(enum agentq_kind k)
{
	return k == AGENTQ_TELEMETRY ? 0 : 1;
}

static const char *leaf_of(enum agentq_kind k)
{
	return k == AGENTQ_TELEMETRY ? "telemetry"
	       : k == AGENTQ_EVENT   ? "events"
	                             : "cmd/result";
}

/*
 * Hand one message to libmosquitto; MOSQ_ERR_*. A message libmosquitto
 * refuses for good (larger than the broker's maximum packet size from its
 * CONNACK) is dropped and counted as the queue's drops are (so the next
 * queue_drop event reports it): kept, it would block every message
 * queued behind it for the whole session.
 */
static int publish(rp_agent *a, enum agentq_kind k, const char *data,
                   size_t len)
{
	char t[TOPIC_MAX];
	int mrc;

	topic(a, leaf_of(k), t);
	mrc =
	    mosquitto_publish(a->m, NULL, t, (int)len, data, qos_of(k), false);
	if (mrc == MOSQ_ERR_SUCCESS) {
		a->s.sent++;
	} else if (mrc == MOSQ_ERR_OVERSIZE_PACKET ||
	           mrc == MOSQ_ERR_PAYLOAD_SIZE) {
		if (k == AGENTQ_TELEMETRY)
			a->q.dropped_telemetry++;
		else
			a->q.dropped_events++;
		rp_log(RP_LOG_WARN, "agent %s: %s message dropped: %s", a->id,
		       leaf_of(k), mosquitto_strerror(mrc));
		mrc = MOSQ_ERR_SUCCESS;
	}
	return mrc;
}

/* Send now when connected (queue empty), else queue by the policy. */
static rp_err send_or_queue(rp_agent *a, enum agentq_kind k, const char *data,
                            size_t len)
{
	if (a->st == ST_CONNECTED && a->q.n == 0 &&
	    publish(a, k, data, len) == MOSQ_ERR_SUCCESS) {
		rp_mqloop_kick(a->loop);
		return RP_OK;
	}
	return agentq_push(&a->q, k, data, len);
}

static uint64_t dropped(const rp_agent *a)
{
	return a->q.dropped_telemetry + a->q.dropped_events;
}

rp_err rp_agent_event(rp_agent *a, enum rp_event_type type,
                      enum rp_severity sev, uint64_t count, const char *detail)
{
	struct rp_event e;
	char buf[RP_MSG_MAX];
	size_t len = 0, i;
	rp_err rc, lrc = RP_OK;

	memset(&e, 0, sizeof e);
	e.seq = ++a->seq;
	e.ts = (int64_t)time(NULL);
	e.type = type;
	e.severity = sev;
	e.count = count > 0 ? count : 1;
	if (detail != NULL) {
		/* Printable ASCII or the encoder refuses it, and a security
		 * event (a log line, a path) must not be lost for a byte. */
		for (i = 0; detail[i] != '\0' && i < RP_DETAIL_MAX; i++)
			e.detail[i] = detail[i] >= 0x20 && detail[i] <= 0x7e
			                  ? detail[i]
			                  : '?';
		e.detail[i] = '\0';
	}
	rc = rp_event_encode(&e, buf, sizeof buf, &len);
	if (rc != RP_OK)
		goto out;
	if (a->c.log != NULL)
		lrc = rp_chainlog_append(a->c.log, e.ts, buf, len);
	rc = send_or_queue(a, AGENTQ_EVENT, buf, len);
	if (rc == RP_OK)
		rc = lrc;
out:
	return rc;
}

rp_err rp_agent_telemetry_now(rp_agent *a)
{
	struct rp_telemetry t;
	char buf[RP_MSG_MAX];
	size_t len = 0;
	uint32_t iv = a->c.telemetry_ms / 1000;
	rp_err rc;

	memset(&t, 0, sizeof t);
	if (a->c.sys.collect != NULL) {
		rc = a->c.sys.collect(a->c.sys.ctx, &t);
		if (rc != RP_OK) {
			rp_log(RP_LOG_DEBUG, "agent %s: telemetry facts: %s",
			       a->id, rp_strerror(rc));
			memset(&t, 0, sizeof t);
		}
	}
	t.seq = ++a->seq;
	t.ts = (int64_t)time(NULL);
	t.msgs_sent = a->s.sent;
	t.dropped = dropped(a);
	t.interval_s = iv < 1 ? 1 : iv > 86400 ? 86400 : iv;
	if (a->c.log != NULL)
		rp_chainlog_head(a->c.log, &t.log_seq, t.log_head);
	rc = rp_telemetry_encode(&t, buf, sizeof buf, &len);
	if (rc == RP_OK)
		rc = send_or_queue(a, AGENTQ_TELEMETRY, buf, len);
	return rc;
}

static void on_telemetry(evutil_socket_t fd, short what, void *arg)
{
	rp_agent *a = arg;
	rp_err rc;

	(void)fd;
	(void)what;
	rc = rp_agent_telemetry_now(a);
	if (rc != RP_OK)
		rp_log(RP_LOG_WARN, "agent %s: telemetry: %s", a->id,
		       rp_strerror(rc));
	schedule_telemetry(a);
}

/* The next period: telemetry_ms +- jitter_pct, uniformly. */
static void schedule_telemetry(rp_agent *a)
{
	uint64_t p = a->c.telemetry_ms, j = p * a->c.jitter_pct / 100;
	uint64_t ms = p - j + randombytes_uniform((uint32_t)(2 * j + 1));
	struct timeval tv;

	if (ms == 0)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->tel_timer, &tv);
}

static void connect_now(rp_agent *a);

static void schedule_retry(rp_agent *a)
{
	uint64_t ms = rp_backoff_ms(a->attempt++, a->c.backoff_base_ms,
	                            a->c.backoff_cap_ms, randombytes_random());
	struct timeval tv;

	a->st = ST_WAITING;
	a->s.backoff_ms = (uint32_t)ms;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->retry_timer, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_now(arg);
}

static void connect_now(rp_agent *a)
{
	rp_err rc;

	a->st = ST_CONNECTING;
	rc = rp_mqloop_connect(a->loop, a->host, a->c.port,
	                       (int)a->c.keepalive_s);
	if (rc != RP_OK) {
		a->s.connect_failures++;
		schedule_retry(a);
	}
}

/* From rp_mqloop, outside libmosquitto's callbacks. */
static void on_lost(void *arg, int mosq_rc)
{
	rp_agent *a = arg;

	a->s.connected = false;
	if (a->st == ST_STOPPED || a->st == ST_IDLE)
		return;
	if (a->st == ST_CONNECTED)
		rp_log(RP_LOG_INFO, "agent %s: connection lost: %s", a->id,
		       mosquitto_strerror(mosq_rc));
	else
		a->s.connect_failures++;
	schedule_retry(a);
}

static void flush_queue(rp_agent *a)
{
	struct agentq_msg *m;

	for (m = agentq_pop(&a->q); m != NULL; m = agentq_pop(&a->q)) {
		if (publish(a, m->kind, m->data, m->len) != MOSQ_ERR_SUCCESS) {
			agentq_unpop(&a->q, m);
			break;
		}
		free(m);
	}
}

static void on_connect(struct mosquitto *m, void *arg, int rc, int flags,
                       const mosquitto_property *props)
{
	rp_agent *a = arg;
	char t[TOPIC_MAX], detail[96];
	uint64_t d;

	(void)m;
	(void)flags;
	(void)props;
	if (rc != 0) {
		/* Refused (e.g. not authorised): the broker closes, on_lost
		 * then backs off. */
		rp_log(RP_LOG_WARN, "agent %s: broker refused: %s", a->id,
		       mosquitto_reason_string(rc));
		return;
	}
	a->st = ST_CONNECTED;
	a->s.connected = true;
	a->s.connects++;
	a->s.backoff_ms = 0;
	a->attempt = 0;
	topic(a, "cmd", t);
	if (mosquitto_subscribe(a->m, NULL, t, 1) != MOSQ_ERR_SUCCESS)
		rp_log(RP_LOG_WARN, "agent %s: cannot subscribe", a->id);
	flush_queue(a);
	d = dropped(a);
	if (d > a->drops_told) {
		snprintf(detail, sizeof detail, "telemetry %llu events %llu",
		         (unsigned long long)a->q.dropped_telemetry,
		         (unsigned long long)a->q.dropped_events);
		if (rp_agent_event(a, RP_EVENT_QUEUE_DROP, RP_SEV_WARNING,
		                   d - a->drops_told, detail) != RP_OK)
			rp_log(RP_LOG_WARN, "agent %s: queue drop event",
			       a->id);
		a->drops_told = d;
	}
}

static void on_publish(struct mosquitto *m, void *arg, int mid, int reason,
                       const mosquitto_property *props)
{
	rp_agent *a = arg;

	(void)m;
	(void)mid;
	(void)props;
	/* MQTT v5 PUBACK >= 0x80: refused, e.g. by the broker's ACL. */
	if (reason >= 0x80)
		a->s.refused++;
}

/* Answer one command message; malformed ones are answered too. A
 * retained one is refused: the broker would replay it at every subscribe,
 * i.e. after every reconnect (rampartd never retains a command). */
static void handle_command(rp_agent *a, const void *payload, size_t len,
                           bool retained)
{
	struct rp_command cmd;
	struct rp_command_result res;
	char buf[RP_MSG_MAX], detail[RP_DETAIL_MAX + 1];
	size_t n = 0;
	bool bad;
	rp_err rc;

	memset(&res, 0, sizeof res);
	a->s.commands++;
	bad = rp_command_decode(payload, len, &cmd) != RP_OK;
	if (bad) {
		a->s.commands_rejected++;
		res.status = RP_CMD_REJECTED;
		snprintf(res.detail, sizeof res.detail, "malformed command");
	} else {
		snprintf(res.id, sizeof res.id, "%s", cmd.id);
		if (retained) {
			a->s.commands_rejected++;
			res.status = RP_CMD_REJECTED;
			snprintf(res.detail, sizeof res.detail,
			         "retained command");
		} else if (cmd.type == RP_CMD_PING) {
			res.status = RP_CMD_OK;
			snprintf(res.detail, sizeof res.detail, "pong");
		} else if (a->c.on_command != NULL) {
			res.status = RP_CMD_UNSUPPORTED;
			a->c.on_command(a->c.arg, a, &cmd, &res);
			snprintf(res.id, sizeof res.id, "%s", cmd.id);
		} else {
			res.status = RP_CMD_UNSUPPORTED;
		}
	}
	res.seq = ++a->seq;
	res.ts = (int64_t)time(NULL);
	rc = rp_command_result_encode(&res, buf, sizeof buf, &n);
	if (rc != RP_OK) {
		/* A handler's detail the decoder would refuse. */
		res.status = RP_CMD_FAILED;
		res.detail[0] = '\0';
		rc = rp_command_result_encode(&res, buf, sizeof buf, &n);
	}
	if (rc == RP_OK)
		rc = send_or_queue(a, AGENTQ_RESULT, buf, n);
	if (rc != RP_OK)
		rp_log(RP_LOG_WARN, "agent %s: command result: %s", a->id,
		       rp_strerror(rc));
	snprintf(detail, sizeof detail, "%s %s %s",
	         bad ? "malformed" : rp_command_type_name(cmd.type),
	         res.id[0] != '\0' ? res.id : "-",
	         rp_command_status_name(res.status));
	if (rp_agent_event(a, RP_EVENT_COMMAND,
	                   bad || retained ? RP_SEV_WARNING : RP_SEV_INFO, 1,
	                   detail) != RP_OK)
		rp_log(RP_LOG_WARN, "agent %s: command event", a->id);
}

static void on_message(struct mosquitto *m, void *arg,
                       const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
	rp_agent *a = arg;
	char t[TOPIC_MAX];

	(void)m;
	(void)props;
	topic(a, "cmd", t);
	if (msg->topic == NULL || strcmp(msg->topic, t) != 0 ||
	    msg->payloadlen < 0) {
		a->s.commands_rejected++;
		return;
	}
	handle_command(a, msg->payload, (size_t)msg->payloadlen, msg->retain);
}

/* The libmosquitto client of an agent, with a's TLS context. */
static rp_err make_client(rp_agent *a)
{
	rp_err rc = RP_E_NOMEM;

	a->m = rp_mqloop_client_new(a->id, true, a);
	if (a->m == NULL)
		goto out;
	rc = RP_E_MQTT;
	if (mosquitto_int_option(a->m, MOSQ_OPT_PROTOCOL_VERSION,
	                         MQTT_PROTOCOL_V5) != MOSQ_ERR_SUCCESS ||
	    mosquitto_int_option(a->m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) !=
	        MOSQ_ERR_SUCCESS ||
	    mosquitto_void_option(a->m, MOSQ_OPT_SSL_CTX, a->tls) !=
	        MOSQ_ERR_SUCCESS)
		goto out;
	mosquitto_connect_v5_callback_set(a->m, on_connect);
	mosquitto_publish_v5_callback_set(a->m, on_publish);
	mosquitto_message_v5_callback_set(a->m, on_message);
	rc = RP_OK;
out:
	return rc;
}

rp_err rp_agent_new(const struct rp_agent_conf *conf, rp_agent **out)
{
	rp_agent *a = NULL;
	rp_err rc = RP_E_INVAL;

	*out = NULL;
	if (conf == NULL || conf->id == NULL || !id_valid(conf->id) ||
	    conf->host == NULL || conf->base == NULL || conf->tls == NULL ||
	    strlen(conf->host) >= INET6_ADDRSTRLEN ||
	    !host_numeric(conf->host) || conf->port <= 0 ||
	    conf->port > 65535 || conf->jitter_pct > 50 ||
	    (conf->keepalive_s > 0 && conf->keepalive_s < 5) ||
	    conf->keepalive_s > 65535)
		goto out;
	rc = RP_E_NOMEM;
	a = rp_calloc(1, sizeof *a);
	if (a == NULL)
		goto out;
	a->c = *conf;
	snprintf(a->id, sizeof a->id, "%s", conf->id);
	snprintf(a->host, sizeof a->host, "%s", conf->host);
	a->c.id = a->id;
	a->c.host = a->host;
	if (a->c.telemetry_ms == 0)
		a->c.telemetry_ms = 10000;
	if (a->c.backoff_base_ms == 0)
		a->c.backoff_base_ms = 1000;
	if (a->c.backoff_cap_ms == 0)
		a->c.backoff_cap_ms = 60000;
	if (a->c.keepalive_s == 0)
		a->c.keepalive_s = 60;
	if (a->c.queue_max == 0)
		a->c.queue_max = 256;
	agentq_init(&a->q, a->c.queue_max);
	SSL_CTX_up_ref(conf->tls);
	a->tls = conf->tls;
	rc = pin_host(a->tls, a->host);
	if (rc == RP_OK)
		rc = make_client(a);
	if (rc == RP_OK)
		rc = rp_mqloop_new(conf->base, a->m, on_lost, a, &a->loop);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_NOMEM;
	a->tel_timer = evtimer_new(conf->base, on_telemetry, a);
	a->retry_timer = evtimer_new(conf->base, on_retry, a);
	if (a->tel_timer == NULL || a->retry_timer == NULL)
		goto out;
	*out = a;
	a = NULL;
	rc = RP_OK;
out:
	rp_agent_free(a);
	return rc;
}

rp_err rp_agent_start(rp_agent *a)
{
	rp_err rc;

	if (a->st != ST_IDLE)
		return RP_E_STATE;
	a->st = ST_CONNECTING;
	rc = rp_agent_event(a, RP_EVENT_AGENT_START, RP_SEV_INFO, 1,
	                    "rampart " RP_VERSION_STR);
	schedule_telemetry(a);
	connect_now(a);
	return rc;
}

rp_err rp_agent_set_tls(rp_agent *a, SSL_CTX *tls)
{
	rp_err rc = pin_host(tls, a->host);

	if (rc != RP_OK)
		return rc;
	if (mosquitto_void_option(a->m, MOSQ_OPT_SSL_CTX, tls) !=
	    MOSQ_ERR_SUCCESS)
		return RP_E_MQTT;
	SSL_CTX_up_ref(tls);
	/* libmosquitto 2.0.11 took a reference on the old context and
	 * forgets it here without a free (options.c): release it for it,
	 * then ours. Its SSL of an open connection holds its own. */
	SSL_CTX_free(a->tls);
	SSL_CTX_free(a->tls);
	a->tls = tls;
	if (a->st == ST_CONNECTED || a->st == ST_CONNECTING) {
		/* A clean DISCONNECT; on_lost then reconnects after the
		 * first backoff step, with the new context. */
		if (mosquitto_disconnect(a->m) == MOSQ_ERR_SUCCESS) {
			rp_mqloop_kick(a->loop);
		} else {
			rp_mqloop_detach(a->loop);
			a->s.connected = false;
			schedule_retry(a);
		}
	}
	return RP_OK;
}

void rp_agent_stop(rp_agent *a)
{
	enum agent_state was;

	if (a == NULL || a->st == ST_STOPPED)
		return;
	was = a->st;
	a->st = ST_STOPPED;
	if (a->tel_timer != NULL)
		evtimer_del(a->tel_timer);
	if (a->retry_timer != NULL)
		evtimer_del(a->retry_timer);
	if (was == ST_CONNECTED &&
	    mosquitto_disconnect(a->m) == MOSQ_ERR_SUCCESS)
		rp_mqloop_kick(a->loop); /* the DISCONNECT goes out */
	rp_mqloop_detach(a->loop);
	a->s.connected = false;
	a->s.backoff_ms = 0;
}

void rp_agent_stats_get(const rp_agent *a, struct rp_agent_stats *s)
{
	*s = a->s;
	s->queued = a->q.n;
	s->dropped_telemetry = a->q.dropped_telemetry;
	s->dropped_events = a->q.dropped_events;
}

void rp_agent_free(rp_agent *a)
{
	if (a == NULL)
		return;
	rp_agent_stop(a);
	rp_mqloop_free(a->loop);
	if (a->m != NULL)
		mosquitto_destroy(a->m);
	if (a->tel_timer != NULL)
		event_free(a->tel_timer);
	if (a->retry_timer != NULL)
		event_free(a->retry_timer);
	agentq_clear(&a->q);
	SSL_CTX_free(a->tls);
	free(a);
}
