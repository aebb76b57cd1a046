/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg.c - topic classification and the broker plugin's service messages
 * for rampartd's ingest (msg.h). The topic grammar is the fixed tree of
 * docs/transport.md; the plugin's JSON is read with jansson (size-capped
 * before parsing), taking only the members rampartd uses.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "mqtt/msg.h"
#include "rampart/json.h"

#define DEV_PFX "rampart/v1/d/"

enum mqtt_topic_kind mqtt_topic_parse(const char *topic,
                                      char id[RP_BROKER_ID_MAX + 1])
{
	static const struct {
		const char *suffix;
		enum mqtt_topic_kind kind;
	} kinds[] = {
	    {"telemetry", MQTT_T_TELEMETRY},
	    {"events", MQTT_T_EVENTS},
	    {"cmd/result", MQTT_T_RESULT},
	};
	const char *p, *slash;
	size_t n, i;

	id[0] = '\0';
	if (strcmp(topic, RP_BROKER_TOPIC_REFUSALS) == 0)
		return MQTT_T_REFUSALS;
	if (strcmp(topic, RP_BROKER_TOPIC_STATUS) == 0)
		return MQTT_T_STATUS;
	if (strncmp(topic, DEV_PFX, strlen(DEV_PFX)) != 0)
		return MQTT_T_OTHER;
	p = topic + strlen(DEV_PFX);
	slash = strchr(p, '/');
	if (slash == NULL)
		return MQTT_T_OTHER;
	n = (size_t)(slash - p);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(slash + 1, kinds[i].suffix) != 0)
			continue;
		/* a reserved id names no device: a bad id here */
		if (rp_broker_device_id_check(p, n, NULL, 0) != RP_OK)
			return MQTT_T_BAD_ID;
		memcpy(id, p, n);
		id[n] = '\0';
		return kinds[i].kind;
	}
	return MQTT_T_OTHER;
}

rp_err mqtt_topic_cmd(const char *id, char *buf, size_t cap)
{
	int n;

	if (id == NULL ||
	    rp_broker_device_id_check(id, strlen(id), NULL, 0) != RP_OK)
		return RP_E_INVAL;
	n = snprintf(buf, cap, DEV_PFX "%s/cmd", id);
	return n > 0 && (size_t)n < cap ? RP_OK : RP_E_BUFFER;
}

/* The plugin's messages are small: anything larger is not one of them. */
#define SVC_MSG_MAX 4096

/* The message as an object: RP_E_NOMEM when jansson ran out of memory,
 * RP_E_SYNTAX when it is not one of the plugin's messages. */
static rp_err load_object(const void *buf, size_t len, json_t **j)
{
	*j = NULL;
	if (buf == NULL || len == 0 || len > SVC_MSG_MAX)
		return RP_E_SYNTAX;
	return rp_json_load_object(buf, len, j, NULL);
}

static void get_str(json_t *o, const char *k, char *dst, size_t cap)
{
	json_t *v = json_object_get(o, k);
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	snprintf(dst, cap, "%s", s);
}

static int64_t get_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

rp_err mqtt_refusal_decode(const void *buf, size_t len,
                           struct mqtt_refusal *out)
{
	json_t *j;
	rp_err rc = load_object(buf, len, &j);

	memset(out, 0, sizeof *out);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_SYNTAX;
	if (!json_is_string(json_object_get(j, "reason")))
		goto out;
	get_str(j, "reason", out->reason, sizeof out->reason);
	get_str(j, "action", out->action, sizeof out->action);
	get_str(j, "id", out->id, sizeof out->id);
	get_str(j, "address", out->address, sizeof out->address);
	get_str(j, "topic", out->topic, sizeof out->topic);
	out->count = get_int(j, "count");
	rc = out->reason[0] != '\0' ? RP_OK : RP_E_SYNTAX;
out:
	if (rc != RP_OK)
		memset(out, 0, sizeof *out);
	json_decref(j);
	return rc;
}

rp_err mqtt_bstatus_decode(const void *buf, size_t len,
                           struct mqtt_bstatus *out)
{
	json_t *j;
	rp_err rc = load_object(buf, len, &j);
	int64_t seq;

	memset(out, 0, sizeof *out);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_SYNTAX;
	if (!json_is_string(json_object_get(j, "event")))
		goto out;
	get_str(j, "event", out->event, sizeof out->event);
	get_str(j, "trigger", out->trigger, sizeof out->trigger);
	seq = get_int(j, "seq");
	out->seq = seq > 0 ? (uint64_t)seq : 0;
	out->kicked = get_int(j, "kicked");
	out->sessions = get_int(j, "sessions");
	out->identities = get_int(j, "identities");
	rc = RP_OK;
out:
	json_decref(j);
	return rc;
}
