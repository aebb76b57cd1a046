/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg.h - the parts of rampartd's MQTT ingest that read outside input and
 * need no connection: the topic a message came on (which device, which
 * kind) and the broker plugin's JSON on its service topics (refusal
 * events, status). Pure functions, fuzzed (tests/fuzz/fuzz_mqtt_msg.c).
 * Device payloads themselves are decoded by librampart (telemetry.h).
 */
#ifndef RAMPARTD_MQTT_MSG_H
#define RAMPARTD_MQTT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/broker.h"
#include "rampart/err.h"

enum mqtt_topic_kind {
	MQTT_T_OTHER = 0,     /* not a topic rampartd ingests */
	MQTT_T_TELEMETRY = 1, /* rampart/v1/d/<id>/telemetry */
	MQTT_T_EVENTS = 2,    /* rampart/v1/d/<id>/events */
	MQTT_T_RESULT = 3,    /* rampart/v1/d/<id>/cmd/result */
	MQTT_T_REFUSALS = 4,  /* rampart/v1/svc/broker/refusals */
	MQTT_T_STATUS = 5,    /* rampart/v1/svc/broker/status */
	MQTT_T_BAD_ID = 6,    /* a device topic whose id is no device id */
};

/*
 * Classify a topic (NUL-terminated, any bytes). For the device kinds, id
 * gets the device id, checked with rp_broker_device_id_check (else
 * MQTT_T_BAD_ID and id is "": a reserved id is no device's). Nothing
 * else is accepted: no extra levels, no prefixes.
 */
enum mqtt_topic_kind mqtt_topic_parse(const char *topic,
                                      char id[RP_BROKER_ID_MAX + 1]);

/* The device command topic of id into buf; RP_E_INVAL for an id that
 * rp_broker_device_id_check refuses (a reserved one included). */
rp_err mqtt_topic_cmd(const char *id, char *buf, size_t cap) RP_WARN_UNUSED;

/* One refusal event of the plugin (docs/transport.md "Refusal events").
 * Strings are cut to their buffers; absent or null members are "". */
struct mqtt_refusal {
	char reason[32];
	char action[16];
	char id[RP_BROKER_ID_MAX * 4 + 1]; /* client-chosen for bad_* */
	char address[64];
	char topic[257];
	int64_t count;
};

/* RP_E_SYNTAX unless buf is a JSON object with a string "reason";
 * RP_E_NOMEM when there was no memory to read it. */
rp_err mqtt_refusal_decode(const void *buf, size_t len,
                           struct mqtt_refusal *out) RP_WARN_UNUSED;

/* A status message of the plugin (docs/transport.md "Reload protocol"). */
struct mqtt_bstatus {
	char event[32];   /* "reloaded", "reload_failed", ... */
	char trigger[16]; /* "notify", "poll", "sighup", "" */
	uint64_t seq;     /* snapshot seq now in force (0: absent) */
	int64_t kicked, sessions, identities;
};

/* RP_E_SYNTAX unless buf is a JSON object with a string "event";
 * RP_E_NOMEM when there was no memory to read it. */
rp_err mqtt_bstatus_decode(const void *buf, size_t len,
                           struct mqtt_bstatus *out) RP_WARN_UNUSED;

#endif
