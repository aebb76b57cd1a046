/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.c - the ingest status of the admin API (api.h): GET /ingest
 * answers the MQTT client's state and counters (mqtt_status_json) and,
 * under "http_refusals", the HTTP refusal recorder's (http/refusal.h).
 */
#include "api/api.h"
#include "http/refusal.h"
#include "mqtt/mqtt.h"
#include "rampartd.h"

API_HANDLER(api_ingest_status)
{
	json_t *j = mqtt_status_json(rd);

	(void)rr;
	if (j != NULL && rd->refusals != NULL)
		json_object_set_new(j, "http_refusals",
		                    refusals_json(rd->refusals));
	api_reply_json(req, 200, j);
}
