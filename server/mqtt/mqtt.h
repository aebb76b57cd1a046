/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mqtt.h - rampartd's MQTT service client (docs/rampartd.md "Ingest"):
 * one connection to the broker with rampartd's service identity, driven
 * by rampartd's libevent loop (rampart/mqloop.h). It ingests what devices
 * send (telemetry, events, command results) into the store in batches
 * through a bounded queue, records the broker's refusal events, tells the
 * broker to reload after every snapshot write, and publishes commands.
 *
 * client.c: connection, TLS, reconnect, publish. ingest.c: decoding, the
 * queue, the batch timer, counters.
 */
#ifndef RAMPARTD_MQTT_H
#define RAMPARTD_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "rampart/err.h"
#include "rampart/telemetry.h"
#include "store/store.h"

struct rampartd;

/* ---- ingest.c --------------------------------------------------------- */

/* Counters since start (in memory) and what is not yet in the store. */
enum ingest_counter {
	IC_RECEIVED,          /* device messages that arrived */
	IC_REJECTED,          /* malformed: decoding failed */
	IC_BAD_TOPIC,         /* a device topic with an invalid id, or other */
	IC_OVERFLOW_TEL,      /* telemetry dropped because the queue was full */
	IC_OVERFLOW_EV,       /* events/results/refusals dropped: queue full */
	IC_STORE_FAILURES,    /* batch writes that failed (kept, retried) */
	IC_BATCHES,           /* batch writes that committed */
	IC_BROKER_REFUSALS,   /* refusal events from the broker plugin */
	IC_BROKER_SUPPRESSED, /* refusals the plugin counted, not sent */
	IC_COUNT
};

struct ingest_conf {
	size_t queue_max; /* items held at most (store slow or failing) */
	size_t batch_max; /* a batch is written once it has this many */
	int batch_ms;     /* ... or this long after its first item */
	struct store_retention keep;
};

struct ingest {
	struct rampartd *rd;
	struct ingest_conf conf;
	struct store_in *q; /* queue_max slots (owned) */
	size_t n, n_tel;    /* queued; of which telemetry */
	struct event *timer;
	uint64_t total[IC_COUNT];      /* since start */
	int64_t pending[IC_COUNT];     /* not yet added to the store */
	struct store_in_result stored; /* since start */
	bool failing;                  /* the last write failed */
	/* rate limit of the "malformed message" log lines */
	int64_t log_window;
	unsigned log_lines;
	uint64_t log_suppressed;
};

/* Allocate the queue and the timer on base. */
rp_err ingest_init(struct ingest *in, struct rampartd *rd,
                   struct event_base *base,
                   const struct ingest_conf *conf) RP_WARN_UNUSED;
/* Handle one message from the broker (any topic; copied as needed). */
void ingest_message(struct ingest *in, const char *topic, const void *payload,
                    size_t len);
/* Write the queue and the pending counters in one transaction. */
rp_err ingest_flush(struct ingest *in) RP_WARN_UNUSED;
/* The counters as JSON (caller json_decref). */
json_t *ingest_json(const struct ingest *in);
/* The store's all-time ingest counters as a JSON object (caller
 * json_decref); {"error": ...} added when the store fails. */
json_t *ingest_store_counters(struct store *s);
/* Flush what is queued (logged if that fails) and free. */
void ingest_free(struct ingest *in);

/* ---- client.c --------------------------------------------------------- */

/*
 * Start the client if [mqtt] broker (or --broker) names one: connects in
 * the background and keeps reconnecting. rd->mqtt stays NULL otherwise.
 * RP_E_CONFIG_BAD_VALUE for an unusable broker address.
 */
rp_err mqtt_start(struct rampartd *rd) RP_WARN_UNUSED;

/* After a snapshot write: publish the reload notification (QoS 1) now,
 * or right after the next connect. No-op without a client. */
void mqtt_notify_reload(struct rampartd *rd);

/*
 * Send a command to a device (QoS 1 on rampart/v1/d/ID/cmd) and record it
 * in the store. *out gets the command as sent (its id). RP_E_STATE when
 * not connected (or no client), RP_E_INVAL for a bad id.
 */
rp_err mqtt_command(struct rampartd *rd, const char *serial,
                    enum rp_command_type type, const char *arg,
                    struct rp_command *out) RP_WARN_UNUSED;
/*
 * The same for a command the caller filled (type, arg, update): its id
 * and ts are set here. record (may be NULL) is called with the command
 * as it will be sent, in the transaction that records it, before it is
 * published: an error from it stores nothing and sends nothing (e.g.
 * store_update_add's RP_E_STATE). A failed publish (RP_E_MQTT) leaves
 * both recorded.
 */
typedef rp_err (*mqtt_record_fn)(void *arg, const struct rp_command *c);
rp_err mqtt_command_with(struct rampartd *rd, const char *serial,
                         struct rp_command *c, mqtt_record_fn record,
                         void *arg) RP_WARN_UNUSED;

/* Connection state and ingest counters, for GET /api/v1/ingest. */
json_t *mqtt_status_json(struct rampartd *rd);

/* Flush the ingest queue to the store, disconnect, free. */
void mqtt_stop(struct rampartd *rd);

#endif
