/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.c - rampartd's MQTT service connection (mqtt.h): libmosquitto on
 * rampartd's libevent loop through rp_mqloop, mutual TLS with rampartd's
 * service identity (DATA_DIR/pki/service.{pem,key}, CN = client id = the
 * snapshot's `service` line), the broker verified against the fleet CA
 * (DATA_DIR/pki/root.pem + issuing.pem) and its address. We build the
 * SSL_CTX ourselves and hand it over with MOSQ_OPT_SSL_CTX (no
 * libmosquitto defaults), so the same TLS policy as everywhere else
 * applies. Reconnects with exponential backoff and jitter; a persistent
 * session (clean_session false) lets the broker hold QoS 1 messages while
 * rampartd reconnects. Subscribes to what the service role may read
 * (docs/transport.md), hands messages to ingest.c, keeps the plugin's
 * last status, and publishes the reload notification and commands.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <mosquitto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "broker/fleet.h"
#include "mqtt/mqtt.h"
#include "mqtt/msg.h"
#include "rampart/alloc.h"
#include "rampart/backoff.h"
#include "rampart/log.h"
#include "rampart/mqloop.h"
#include "rampartd.h"

#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS  30000
#define STABLE_S        10 /* a connection this old resets the backoff */

struct mqtt {
	struct rampartd *rd;
	struct mosquitto *m;
	rp_mqloop *loop;
	SSL_CTX *tls;
	int64_t tls_not_after; /* of the service certificate in tls */
	char host[INET6_ADDRSTRLEN];
	int port;
	bool connected;
	unsigned attempt; /* attempts since a connection that lasted */
	int64_t connected_at;
	uint64_t wait_ms; /* the current reconnect wait */
	struct event *retry;
	uint64_t connects, losses, reloads_sent, commands_sent, cmd_seq;
	uint64_t subs_refused; /* topics the broker refused in a SUBACK */
	bool reload_pending;
	struct mqtt_bstatus last; /* the plugin's last status message */
	int64_t last_at;
	struct ingest in;
};

static const char *const topics[] = {
    "rampart/v1/d/+/telemetry",  "rampart/v1/d/+/events",
    "rampart/v1/d/+/cmd/result", RP_BROKER_TOPIC_REFUSALS,
    RP_BROKER_TOPIC_STATUS,
};

/*
 * The wait before reconnect attempt n: librampart's schedule (backoff.h),
 * exponential with equal jitter, the same rule as the agent's.
 */
static uint64_t backoff_ms(unsigned attempt)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (uint32_t)time(NULL);
	return rp_backoff_ms(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS, r);
}

/* TLS 1.2 (ECDHE + AEAD) or 1.3, our key and certificate, the broker
 * checked against the fleet CA and the address we dial. */
static rp_err tls_load(struct mqtt *mq)
{
	struct rampartd *rd = mq->rd;
	char cert[4200], key[4200], root[4200], issuing[4200];
	SSL_CTX *ctx = mq->tls;
	X509_VERIFY_PARAM *vp;
	rp_err rc = RP_E_TLS;

	snprintf(cert, sizeof cert, "%s/" FLEET_SVC_CERT, rd->data_dir);
	snprintf(key, sizeof key, "%s/" FLEET_SVC_KEY, rd->data_dir);
	snprintf(root, sizeof root, "%s/pki/root.pem", rd->data_dir);
	snprintf(issuing, sizeof issuing, "%s/pki/issuing.pem", rd->data_dir);
	if (ctx == NULL) {
		ctx = SSL_CTX_new(TLS_client_method());
		if (ctx == NULL)
			goto out;
		mq->tls = ctx;
		if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
		    !SSL_CTX_set_cipher_list(ctx,
		                             "ECDHE-ECDSA-AES128-GCM-SHA256:"
		                             "ECDHE-ECDSA-AES256-GCM-SHA384:"
		                             "ECDHE-ECDSA-CHACHA20-POLY1305:"
		                             "ECDHE-RSA-AES128-GCM-SHA256:"
		                             "ECDHE-RSA-AES256-GCM-SHA384:"
		                             "ECDHE-RSA-CHACHA20-POLY1305") ||
		    SSL_CTX_load_verify_locations(ctx, root, NULL) != 1 ||
		    SSL_CTX_load_verify_locations(ctx, issuing, NULL) != 1)
			goto out;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		vp = SSL_CTX_get0_param(ctx);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, mq->host) != 1)
			goto out;
	}
	/* (again) after a renewal of the service certificate */
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto out;
	mq->tls_not_after = rd->service_not_after;
	rc = RP_OK;
out:
	if (rc != RP_OK) {
		unsigned long e = ERR_peek_last_error();

		rp_log_error("mqtt: TLS setup with %s failed: %s", cert,
		             e ? ERR_reason_error_string(e) : "?");
	}
	ERR_clear_error();
	return rc;
}

static void connect_now(struct mqtt *mq);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_now(arg);
}

static void schedule_retry(struct mqtt *mq)
{
	struct timeval tv;

	mq->wait_ms = backoff_ms(mq->attempt);
	if (mq->attempt < 32)
		mq->attempt++;
	tv.tv_sec = (time_t)(mq->wait_ms / 1000);
	tv.tv_usec = (suseconds_t)(mq->wait_ms % 1000) * 1000;
	evtimer_add(mq->retry, &tv);
}

static void connect_now(struct mqtt *mq)
{
	rp_err rc = RP_OK;

	mq->wait_ms = 0;
	if (mq->tls_not_after != mq->rd->service_not_after)
		rc = tls_load(mq);
	if (rc == RP_OK)
		rc = rp_mqloop_connect(mq->loop, mq->host, mq->port,
		                       (int)mq->rd->cfg.mqtt_keepalive);
	if (rc != RP_OK) {
		schedule_retry(mq);
		rp_log_warn("mqtt: cannot connect to %s:%d: %s; retrying in "
		            "%llu ms",
		            mq->host, mq->port, rp_strerror(rc),
		            (unsigned long long)mq->wait_ms);
	}
}

static void publish_reload(struct mqtt *mq)
{
	int r = mosquitto_publish(mq->m, NULL, RP_BROKER_TOPIC_RELOAD, 0, NULL,
	                          1, false);

	if (r == MOSQ_ERR_SUCCESS) {
		mq->reloads_sent++;
		mq->reload_pending = false;
		rp_log_debug("mqtt: reload notification sent (snapshot seq "
		             "%llu)",
		             (unsigned long long)mq->rd->snap_seq);
	} else {
		mq->reload_pending = true;
		rp_log_warn("mqtt: reload notification not sent: %s",
		            mosquitto_strerror(r));
	}
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct mqtt *mq = arg;
	char *const *subs = (char *const *)topics;
	int r;

	if (rc != 0) {
		rp_log_error("mqtt: the broker at %s:%d refused rampartd's "
		             "connection: %s",
		             mq->host, mq->port, mosquitto_connack_string(rc));
		return; /* libmosquitto drops it: on_lost follows */
	}
	mq->connected = true;
	mq->connected_at = (int64_t)time(NULL);
	mq->connects++;
	rp_log_info("mqtt: connected to the broker at %s:%d as %s", mq->host,
	            mq->port, RP_BROKER_SERVICE_ID);
	r = mosquitto_subscribe_multiple(
	    m, NULL, (int)(sizeof topics / sizeof *topics), subs, 1, 0, NULL);
	if (r != MOSQ_ERR_SUCCESS) {
		/* connected but deaf: drop it, on_lost reconnects */
		rp_log_error("mqtt: subscribe failed: %s; reconnecting",
		             mosquitto_strerror(r));
		mosquitto_disconnect(m);
		return;
	}
	/* A snapshot may have been written while we were away. */
	publish_reload(mq);
}

/* A SUBACK: the broker refuses a topic with 0x80 (MQTT 3.1.1) and the
 * session stays up, receiving nothing on it: say so loudly. */
static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n,
                         const int *granted)
{
	struct mqtt *mq = arg;
	const size_t nt = sizeof topics / sizeof *topics;

	(void)m;
	(void)mid;
	for (int i = 0; i < n; i++) {
		if (granted[i] >= 0 && granted[i] <= 2)
			continue;
		mq->subs_refused++;
		rp_log_error("mqtt: the broker refused rampartd's subscription "
		             "to %s: nothing on it is ingested (is rampartd's "
		             "id the snapshot's service identity?)",
		             (size_t)i < nt ? topics[i] : "?");
	}
}

static void broker_status(struct mqtt *mq, const void *payload, size_t len)
{
	struct mqtt_bstatus st;
	rp_err rc = mqtt_bstatus_decode(payload, len, &st);

	if (rc != RP_OK) {
		rp_log_warn("mqtt: %s status message from the broker (%zu "
		            "bytes)",
		            rc == RP_E_NOMEM ? "no memory to read a"
		                             : "unreadable",
		            len);
		return;
	}
	mq->last = st;
	mq->last_at = (int64_t)time(NULL);
	if (strcmp(st.event, "reloaded") == 0)
		rp_log_info("broker: reloaded snapshot seq %llu (trigger %s, "
		            "%lld identities, %lld sessions, %lld kicked)%s",
		            (unsigned long long)st.seq, st.trigger,
		            (long long)st.identities, (long long)st.sessions,
		            (long long)st.kicked,
		            st.seq < mq->rd->snap_seq ? "; an older one than "
		                                        "rampartd wrote"
		                                      : "");
	else if (strcmp(st.event, "reload_failed") == 0)
		rp_log_error("broker: SNAPSHOT RELOAD FAILED (trigger %s): "
		             "the broker keeps enforcing seq %llu, rampartd "
		             "wrote %llu",
		             st.trigger, (unsigned long long)st.seq,
		             (unsigned long long)mq->rd->snap_seq);
	else
		rp_log_warn("broker: status %s (trigger %s, seq %llu)",
		            st.event, st.trigger, (unsigned long long)st.seq);
}

static void on_message(struct mosquitto *m, void *arg,
                       const struct mosquitto_message *msg)
{
	struct mqtt *mq = arg;
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;

	(void)m;
	if (msg->topic != NULL &&
	    strcmp(msg->topic, RP_BROKER_TOPIC_STATUS) == 0)
		broker_status(mq, msg->payload, len);
	else if (msg->topic != NULL)
		ingest_message(&mq->in, msg->topic, msg->payload, len);
}

static void on_lost(void *arg, int mosq_rc)
{
	struct mqtt *mq = arg;
	bool was = mq->connected;

	if (was)
		mq->losses++;
	/* A connection that lasted resets the backoff; one the broker drops
	 * at once (refused, kicked) does not, so rampartd cannot flap. */
	if (was && (int64_t)time(NULL) - mq->connected_at >= STABLE_S)
		mq->attempt = 0;
	mq->connected = false;
	schedule_retry(mq);
	rp_log_warn("mqtt: %s %s:%d: %s; retrying in %llu ms",
	            was ? "connection lost to" : "cannot connect to", mq->host,
	            mq->port, mosquitto_strerror(mosq_rc),
	            (unsigned long long)mq->wait_ms);
}

static void client_free(struct mqtt *mq)
{
	if (mq == NULL)
		return;
	if (mq->loop != NULL) {
		rp_mqloop_detach(mq->loop);
		rp_mqloop_free(mq->loop);
	}
	if (mq->m != NULL)
		mosquitto_destroy(mq->m);
	SSL_CTX_free(mq->tls);
	if (mq->retry != NULL)
		event_free(mq->retry);
	ingest_free(&mq->in);
	free(mq);
}

rp_err mqtt_start(struct rampartd *rd)
{
	const char *b = rd->broker_flag ? rd->broker_flag : rd->cfg.mqtt_broker;
	struct ingest_conf ic;
	struct mqtt *mq;
	rp_err rc;

	rd->mqtt = NULL;
	if (b == NULL || b[0] == '\0')
		return RP_OK;
	mq = rp_calloc(1, sizeof *mq);
	if (mq == NULL)
		return RP_E_NOMEM;
	mq->rd = rd;
	rc = rp_mqloop_addr_parse(b, mq->host, sizeof mq->host, &mq->port);
	if (rc != RP_OK) {
		rc = RP_E_CONFIG_BAD_VALUE;
		rp_log_error("mqtt: broker '%s' is not a numeric HOST:PORT", b);
		goto out;
	}
	memset(&ic, 0, sizeof ic);
	ic.queue_max = (size_t)rd->cfg.mqtt_queue_max;
	ic.batch_max = (size_t)rd->cfg.mqtt_batch_max;
	if (ic.batch_max > ic.queue_max)
		ic.batch_max = ic.queue_max;
	ic.batch_ms = (int)rd->cfg.mqtt_batch_ms;
	ic.keep.telemetry_keep = rd->cfg.mqtt_telemetry_keep;
	ic.keep.events_keep = rd->cfg.mqtt_events_keep;
	ic.keep.results_keep = rd->cfg.mqtt_events_keep;
	rc = ingest_init(&mq->in, rd, rd->base, &ic);
	if (rc == RP_OK)
		rc = tls_load(mq);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_MQTT;
	mq->retry = evtimer_new(rd->base, on_retry, mq);
	mq->m = rp_mqloop_client_new(RP_BROKER_SERVICE_ID, false, mq);
	if (mq->retry == NULL || mq->m == NULL ||
	    mosquitto_int_option(mq->m, MOSQ_OPT_PROTOCOL_VERSION,
	                         MQTT_PROTOCOL_V311) != MOSQ_ERR_SUCCESS ||
	    mosquitto_int_option(mq->m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) !=
	        MOSQ_ERR_SUCCESS ||
	    mosquitto_void_option(mq->m, MOSQ_OPT_SSL_CTX, mq->tls) !=
	        MOSQ_ERR_SUCCESS)
		goto out;
	mosquitto_connect_callback_set(mq->m, on_connect);
	mosquitto_message_callback_set(mq->m, on_message);
	mosquitto_subscribe_callback_set(mq->m, on_subscribe);
	rc = rp_mqloop_new(rd->base, mq->m, on_lost, mq, &mq->loop);
	if (rc != RP_OK)
		goto out;
	rd->mqtt = mq;
	rp_log_info("mqtt: ingesting from the broker at %s:%d (queue %zu, "
	            "batch %zu or %d ms)",
	            mq->host, mq->port, ic.queue_max, ic.batch_max,
	            ic.batch_ms);
	connect_now(mq);
	return RP_OK;
out:
	client_free(mq);
	return rc;
}

void mqtt_notify_reload(struct rampartd *rd)
{
	struct mqtt *mq = rd->mqtt;

	if (mq == NULL)
		return;
	if (!mq->connected) {
		mq->reload_pending = true; /* sent after the next CONNACK */
		return;
	}
	publish_reload(mq);
	rp_mqloop_kick(mq->loop);
}

rp_err mqtt_command(struct rampartd *rd, const char *serial,
                    enum rp_command_type type, const char *arg,
                    struct rp_command *out)
{
	memset(out, 0, sizeof *out);
	out->type = type;
	snprintf(out->arg, sizeof out->arg, "%s", arg ? arg : "");
	return mqtt_command_with(rd, serial, out, NULL, NULL);
}

/* Record c (and what record adds) in one transaction. */
static rp_err command_record(struct rampartd *rd, const char *serial,
                             const struct rp_command *c, mqtt_record_fn record,
                             void *arg)
{
	rp_err rc = store_begin(rd->store);

	if (rc != RP_OK)
		return rc;
	rc = store_command_add(rd->store, serial, c);
	if (rc == RP_OK && record != NULL)
		rc = record(arg, c);
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	else
		store_rollback(rd->store);
	return rc;
}

rp_err mqtt_command_with(struct rampartd *rd, const char *serial,
                         struct rp_command *c, mqtt_record_fn record, void *arg)
{
	struct mqtt *mq = rd->mqtt;
	enum rp_command_type type = c->type;
	char topic[128], buf[RP_MSG_MAX];
	struct timeval tv;
	size_t len = 0;
	rp_err rc;
	int r;

	rc = mqtt_topic_cmd(serial, topic, sizeof topic);
	if (rc == RP_OK && (mq == NULL || !mq->connected))
		rc = RP_E_STATE;
	if (rc != RP_OK)
		goto out;
	gettimeofday(&tv, NULL);
	snprintf(c->id, sizeof c->id, "c%lld.%06ld-%llu", (long long)tv.tv_sec,
	         (long)tv.tv_usec, (unsigned long long)++mq->cmd_seq);
	c->ts = (int64_t)tv.tv_sec;
	rc = rp_command_encode(c, buf, sizeof buf, &len);
	/* recorded first: a fast result must find its command */
	if (rc == RP_OK)
		rc = command_record(rd, serial, c, record, arg);
	if (rc != RP_OK)
		goto out;
	r = mosquitto_publish(mq->m, NULL, topic, (int)len, buf, 1, false);
	if (r != MOSQ_ERR_SUCCESS) {
		rp_log_error("mqtt: command %s to %s not sent: %s", c->id,
		             serial, mosquitto_strerror(r));
		rc = RP_E_MQTT;
		goto out;
	}
	rp_mqloop_kick(mq->loop);
	mq->commands_sent++;
	rp_log_info("mqtt: sent %s command %s to %s",
	            rp_command_type_name(type), c->id, serial);
out:
	return rc;
}

json_t *mqtt_status_json(struct rampartd *rd)
{
	struct mqtt *mq = rd->mqtt;
	json_t *j = json_object();
	char addr[INET6_ADDRSTRLEN + 16];

	json_object_set_new(j, "snapshot_seq",
	                    json_integer((json_int_t)rd->snap_seq));
	if (mq == NULL) {
		json_object_set_new(j, "broker", json_null());
		json_object_set_new(j, "connected", json_false());
		json_object_set_new(
		    j, "ingest",
		    json_pack("{s:o}", "counters",
		              ingest_store_counters(rd->store)));
		return j;
	}
	snprintf(addr, sizeof addr, "%s:%d", mq->host, mq->port);
	json_object_set_new(j, "broker", json_string(addr));
	json_object_set_new(j, "client_id", json_string(RP_BROKER_SERVICE_ID));
	json_object_set_new(j, "connected", json_boolean(mq->connected));
	json_object_set_new(j, "connects",
	                    json_integer((json_int_t)mq->connects));
	json_object_set_new(j, "losses", json_integer((json_int_t)mq->losses));
	json_object_set_new(j, "reconnect_wait_ms",
	                    json_integer((json_int_t)mq->wait_ms));
	json_object_set_new(j, "reloads_sent",
	                    json_integer((json_int_t)mq->reloads_sent));
	json_object_set_new(j, "commands_sent",
	                    json_integer((json_int_t)mq->commands_sent));
	json_object_set_new(j, "subscriptions_refused",
	                    json_integer((json_int_t)mq->subs_refused));
	if (mq->last_at != 0)
		json_object_set_new(
		    j, "broker_status",
		    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "event",
		              mq->last.event, "trigger", mq->last.trigger,
		              "seq", (json_int_t)mq->last.seq, "identities",
		              (json_int_t)mq->last.identities, "sessions",
		              (json_int_t)mq->last.sessions, "kicked",
		              (json_int_t)mq->last.kicked, "at",
		              (json_int_t)mq->last_at));
	else
		json_object_set_new(j, "broker_status", json_null());
	json_object_set_new(j, "ingest", ingest_json(&mq->in));
	return j;
}

void mqtt_stop(struct rampartd *rd)
{
	struct mqtt *mq = rd->mqtt;

	if (mq == NULL)
		return;
	rd->mqtt = NULL;
	/* Everything received (and acknowledged) is stored before we go. */
	if (ingest_flush(&mq->in) != RP_OK)
		rp_log_error("mqtt: %zu received messages could not be stored "
		             "at shutdown",
		             mq->in.n);
	else
		rp_log_info("mqtt: ingest queue flushed");
	if (mq->connected) {
		mosquitto_disconnect(mq->m);
		rp_log_info("mqtt: disconnected from the broker");
	}
	client_free(mq);
}
