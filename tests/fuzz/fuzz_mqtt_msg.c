/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mqtt_msg.c - libFuzzer harness for rampartd's MQTT ingest parsers
 * (server/mqtt/msg.c): the input's first byte picks topic classification,
 * the plugin's refusal event or its status message; the rest is the
 * topic (NUL-terminated copy) or the JSON. Checks: a device kind always
 * comes with an id that rp_broker_device_id_check accepts (valid, not
 * reserved) and that rebuilds the topic exactly; decoded strings are
 * NUL-terminated within their fields; a failed decode leaves the output zeroed.
 * Under faultsim (tests/faultsim/) jansson's allocations fail too, but for
 * its lexer's buffer, whose failure jansson 2.14 cannot survive
 * (fuzz_jansson.h); a decode answers RP_E_NOMEM exactly when an
 * allocation failed during it (rp_faultsim_failures(): only json_loadb
 * allocates, and a failed allocation is never taken for a malformed
 * message), and a refusal for memory leaves the output zeroed like any
 * other.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../faultsim/faultsim.h"
#include "fuzz_jansson.h"
#include "mqtt/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void topic(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1), id[RP_BROKER_ID_MAX + 1], again[512];
	enum mqtt_topic_kind k;
	const char *sfx;

	if (t == NULL)
		return;
	memcpy(t, data, size);
	t[size] = '\0';
	k = mqtt_topic_parse(t, id);
	if (k == MQTT_T_TELEMETRY || k == MQTT_T_EVENTS || k == MQTT_T_RESULT) {
		/* a device id: valid and never reserved (issue 9) */
		if (rp_broker_device_id_check(id, strlen(id), NULL, 0) != RP_OK)
			abort();
		sfx = k == MQTT_T_TELEMETRY ? "telemetry"
		      : k == MQTT_T_EVENTS  ? "events"
		                            : "cmd/result";
		snprintf(again, sizeof again, "rampart/v1/d/%s/%s", id, sfx);
		if (strcmp(again, t) != 0)
			abort();
		if (mqtt_topic_cmd(id, again, sizeof again) != RP_OK)
			abort();
	} else if (id[0] != '\0') {
		abort();
	}
	free(t);
}

static int zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		if (b[i] != 0)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mqtt_refusal r;
	struct mqtt_bstatus st;
	unsigned long f0 = rp_faultsim_failures();
	rp_err rc;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		topic(data + 1, size - 1);
		break;
	case 1:
		fuzz_jansson_arm();
		rc = mqtt_refusal_decode(data + 1, size - 1, &r);
		if ((rc == RP_E_NOMEM) != (rp_faultsim_failures() != f0))
			abort();
		if (rc != RP_OK) {
			if (!zero(&r, sizeof r))
				abort();
		} else if (r.reason[0] == '\0' ||
		           memchr(r.id, 0, sizeof r.id) == NULL ||
		           memchr(r.topic, 0, sizeof r.topic) == NULL) {
			abort();
		}
		break;
	default:
		fuzz_jansson_arm();
		rc = mqtt_bstatus_decode(data + 1, size - 1, &st);
		if ((rc == RP_E_NOMEM) != (rp_faultsim_failures() != f0))
			abort();
		if (rc == RP_OK &&
		    (memchr(st.event, 0, sizeof st.event) == NULL ||
		     memchr(st.trigger, 0, sizeof st.trigger) == NULL))
			abort();
		break;
	}
	return 0;
}
