/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devices.c - the devices resource of the admin API (api.h): the
 * inventory (GET /devices: each entry with what it last reported over
 * MQTT: online, firmware, last seen), one device with its certificates,
 * events and commands (GET /devices/ID, alias /allowlist/ID), and the
 * actions POST /devices/ID/{revoke, decommission, reprovision, renew,
 * quarantine, release, ping}. Every change of a device's lifecycle is
 * the registry's (registry/lifecycle.h): the handlers here parse the
 * request and translate the result to HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "http/http.h"
#include "mqtt/mqtt.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "registry/lifecycle.h"

/* The admin API's actor: the bearer token is the operator's. */
static const struct registry_actor admin = {REG_ACTOR_OPERATOR, "admin"};

json_t *api_device_json(const struct store_device *d, int64_t valid,
                        int64_t revoked)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:b, s:s, s:I}",
	    "serial", d->serial, "hw_type", d->hw_type, "hw_token", d->hw_token,
	    "group", d->group, "tags", d->tags, "state",
	    registry_state_name(registry_state(d, valid, revoked)),
	    "allow_reprovision", d->allow_reprovision, "force_renew",
	    d->force_renew, "created_at", (json_int_t)d->created_at,
	    "updated_at", (json_int_t)d->updated_at, "quarantined",
	    d->quarantined, "quarantine_reason", d->quarantine_reason,
	    "quarantined_at", (json_int_t)d->quarantined_at);
}

/* A device counts as online when it reported within this many of its
 * telemetry periods (DEFAULT_INTERVAL_S before its first telemetry). */
#define ONLINE_PERIODS     3
#define DEFAULT_INTERVAL_S 60

/* Add what the device last reported to its JSON object j. */
static void status_json(json_t *j, const char *state,
                        const struct store_status *st, int full)
{
	int64_t now = (int64_t)time(NULL);
	int64_t period =
	    st->tel.interval_s ? st->tel.interval_s : DEFAULT_INTERVAL_S;
	bool allowed =
	    strcmp(state, "enrolled") == 0 || strcmp(state, "quarantined") == 0;
	bool online = allowed && st->last_seen > 0 &&
	              now - st->last_seen <= ONLINE_PERIODS * period;
	const struct rp_telemetry *t = &st->tel;
	json_t *tcp, *udp;

	json_object_set_new(j, "inventory_state", json_string(state));
	json_object_set_new(j, "online", json_boolean(online));
	json_object_set_new(j, "last_seen", json_integer(st->last_seen));
	json_object_set_new(j, "last_seen_ago",
	                    st->last_seen ? json_integer(now - st->last_seen)
	                                  : json_null());
	json_object_set_new(j, "fw_version", json_string(t->fw_version));
	if (!full)
		return;
	tcp = json_array();
	udp = json_array();
	for (uint16_t i = 0; i < t->n_tcp; i++)
		json_array_append_new(tcp, json_integer(t->tcp[i]));
	for (uint16_t i = 0; i < t->n_udp; i++)
		json_array_append_new(udp, json_integer(t->udp[i]));
	json_object_set_new(j, "first_seen", json_integer(st->first_seen));
	json_object_set_new(
	    j, "telemetry",
	    st->telemetry_at == 0
	        ? json_null()
	        : json_pack("{s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:o, s:o, "
	                    "s:s, s:s, s:I, s:I, s:i, s:I, s:s}",
	                    "received_at", (json_int_t)st->telemetry_at, "seq",
	                    (json_int_t)t->seq, "ts", (json_int_t)t->ts,
	                    "uptime_s", (json_int_t)t->uptime_s, "cpu_permille",
	                    (int)t->cpu_permille, "mem_total_kb",
	                    (json_int_t)t->mem_total_kb, "mem_avail_kb",
	                    (json_int_t)t->mem_avail_kb, "tcp", tcp, "udp", udp,
	                    "fw_version", t->fw_version, "fw_sha256",
	                    t->fw_sha256, "msgs_sent", (json_int_t)t->msgs_sent,
	                    "dropped", (json_int_t)t->dropped, "interval_s",
	                    (int)t->interval_s, "log_seq",
	                    (json_int_t)t->log_seq, "log_head", t->log_head));
	if (st->telemetry_at == 0) {
		json_decref(tcp);
		json_decref(udp);
	}
	json_object_set_new(j, "counts",
	                    json_pack("{s:I, s:I, s:I, s:I}", "telemetry",
	                              (json_int_t)st->n_telemetry, "events",
	                              (json_int_t)st->n_events, "results",
	                              (json_int_t)st->n_results, "rejected",
	                              (json_int_t)st->n_rejected));
}

static int inventory_one(void *arg, const struct store_device *d,
                         const struct store_status *st)
{
	json_t *j = api_device_json(d, st->certs_valid, st->certs_revoked);

	status_json(j,
	            registry_state_name(
	                registry_state(d, st->certs_valid, st->certs_revoked)),
	            st, 0);
	return json_array_append_new(arg, j) != 0;
}

static int event_one(void *arg, const struct store_event *e)
{
	const char *type = rp_event_type_name(e->ev.type);
	const char *sev = rp_severity_name(e->ev.severity);

	return json_array_append_new(
	           arg,
	           json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:s}",
	                     "received_at", (json_int_t)e->received_at, "ts",
	                     (json_int_t)e->ev.ts, "seq", (json_int_t)e->ev.seq,
	                     "type", type ? type : "?", "severity",
	                     sev ? sev : "?", "count", (json_int_t)e->ev.count,
	                     "detail", e->ev.detail)) != 0;
}

static int command_one(void *arg, const struct store_command *c)
{
	const char *type = rp_command_type_name(c->cmd.type);
	const char *status = rp_command_status_name(c->res.status);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "id", c->cmd.id, "type",
	                      type ? type : "?", "arg", c->cmd.arg, "issued_at",
	                      (json_int_t)c->cmd.ts);

	if (j != NULL && c->result_at != 0)
		json_object_set_new(j, "result",
		                    json_pack("{s:I, s:s, s:s}", "received_at",
		                              (json_int_t)c->result_at,
		                              "status", status ? status : "?",
		                              "detail", c->res.detail));
	return json_array_append_new(arg, j) != 0;
}

static int cert_one(void *arg, const struct store_cert *c)
{
	return json_array_append_new(
	           arg,
	           json_pack("{s:s, s:I, s:I, s:I, s:s}", "serial", c->serial,
	                     "not_before", (json_int_t)c->not_before,
	                     "not_after", (json_int_t)c->not_after,
	                     "revoked_at", (json_int_t)c->revoked_at, "reason",
	                     c->revoked_at ? ca_reason_name(c->reason) : "")) !=
	       0;
}

/* Answer a transition the registry refused: 404 (no such device), 409
 * with the registry's message naming the state, 400, or 503. */
static void reply_refused(struct evhttp_request *req, rp_err rc, const char *id,
                          const struct lifecycle_done *done)
{
	if (rc == RP_E_NOT_FOUND) {
		api_reply_no_device(req, id);
		return;
	}
	api_reply_error(req,
	                rc == RP_E_NOT_FOUND ? 404
	                : rc == RP_E_STATE   ? 409
	                : rc == RP_E_INVAL   ? 400
	                                     : 503,
	                rc == RP_E_STATE && done->why[0] ? done->why
	                                                 : rp_strerror(rc));
}

/* The newest events and commands shown by device_show. */
#define SHOW_EVENTS   20
#define SHOW_COMMANDS 10

static void device_show(struct rampartd *rd, struct evhttp_request *req,
                        const char *id)
{
	struct store_device d;
	struct store_status st;
	struct store_update upd;
	json_t *j, *certs = json_array(), *evs = json_array(),
	           *cmds = json_array();
	int64_t now = (int64_t)time(NULL), valid = 0, revoked = 0;
	rp_err rc = store_device_get(rd->store, id, &d);
	size_t i;

	if (rc != RP_OK) {
		json_decref(certs);
		json_decref(evs);
		json_decref(cmds);
		if (rc == RP_E_NOT_FOUND)
			api_reply_no_device(req, id);
		else
			api_reply_error(req, 503, rp_strerror(rc));
		return;
	}
	rc = store_cert_each_of(rd->store, id, cert_one, certs);
	if (rc == RP_OK) {
		rc = store_status_get(rd->store, id, &st);
		if (rc == RP_E_NOT_FOUND) {
			memset(&st, 0, sizeof st);
			rc = RP_OK;
		}
	}
	if (rc == RP_OK)
		rc = store_event_each(rd->store, id, SHOW_EVENTS, event_one,
		                      evs);
	if (rc == RP_OK)
		rc = store_command_each(rd->store, id, SHOW_COMMANDS,
		                        command_one, cmds);
	if (rc != RP_OK) {
		json_decref(certs);
		json_decref(evs);
		json_decref(cmds);
		api_reply_error(req, 503, "store failure");
		return;
	}
	for (i = 0; i < json_array_size(certs); i++) {
		json_t *c = json_array_get(certs, i);

		if (json_integer_value(json_object_get(c, "not_after")) <= now)
			continue;
		if (json_integer_value(json_object_get(c, "revoked_at")) != 0)
			revoked++;
		else
			valid++;
	}
	j = api_device_json(&d, valid, revoked);
	status_json(j, registry_state_name(registry_state(&d, valid, revoked)),
	            &st, 1);
	json_object_set_new(j, "certificates", certs);
	json_object_set_new(j, "events", evs);
	json_object_set_new(j, "commands", cmds);
	/* the firmware update (updates.c): the current one, or null */
	json_object_set_new(j, "update",
	                    store_update_current(rd->store, id, &upd) == RP_OK
	                        ? api_update_json(rd->store, &upd)
	                        : json_null());
	api_reply_json(req, 200, j);
}

/* POST devices/ID/ping: a ping command over MQTT; its result lands in
 * the store (device_show's "commands"). */
static void device_ping(struct rampartd *rd, struct evhttp_request *req,
                        const char *id)
{
	struct store_device d;
	struct rp_command c;
	enum registry_state st;
	rp_err rc = registry_get(rd, id, &d, &st);

	if (rc == RP_OK && st == REG_ABSENT)
		rc = RP_E_NOT_FOUND;
	if (rc == RP_OK && st != REG_ENROLLED) {
		/* a quarantined device gets update and lock commands only;
		 * a revoked or expired one cannot connect */
		char why[128];

		snprintf(why, sizeof why, "device is %s, not enrolled",
		         registry_state_name(st));
		api_reply_error(req, 409,
		                st == REG_QUARANTINED ? "device is quarantined"
		                                      : why);
		return;
	}
	if (rc == RP_OK)
		rc = mqtt_command(rd, id, RP_CMD_PING, "", &c);
	if (rc == RP_E_NOT_FOUND) {
		api_reply_no_device(req, id);
		return;
	}
	if (rc != RP_OK) {
		api_reply_error(req,
		                rc == RP_E_NOT_FOUND ? 404
		                : rc == RP_E_STATE   ? 503
		                                     : 500,
		                rc == RP_E_STATE
		                    ? "rampartd is not connected to the "
		                      "broker"
		                    : rp_strerror(rc));
		return;
	}
	api_reply_json(req, 200,
	               json_pack("{s:s, s:s, s:s, s:I}", "device", id,
	                         "command", c.id, "type", "ping", "issued_at",
	                         (json_int_t)c.ts));
}

/* POST devices/ID/{revoke,decommission}: the transition is
 * lifecycle_revoke's (the same one rampartd --decommission makes). */
static void device_revoke(struct rampartd *rd, struct evhttp_request *req,
                          const char *id, int decommission)
{
	struct lifecycle_done done;
	json_t *in = NULL, *arr = json_array(), *j;
	json_error_t jerr;
	char *body = NULL;
	const char *reason_name = NULL, *serial = NULL;
	size_t len, i;
	int reason;
	rp_err rc;

	memset(&done, 0, sizeof done);
	if (http_body(req, API_JSON_MAX, &body, &len) != RP_OK) {
		api_reply_error(req, 413, "body too big");
		goto out;
	}
	if (len > 0) {
		in = json_loadb(body, len, 0, &jerr);
		if (in == NULL ||
		    json_unpack_ex(in, &jerr, 0, "{s?s, s?s}", "reason",
		                   &reason_name, "serial", &serial) != 0) {
			api_reply_error(req, 400,
			                "body must be a JSON object "
			                "with optional reason and serial");
			goto out;
		}
	}
	reason = reason_name ? ca_reason_code(reason_name)
	                     : (decommission ? LIFECYCLE_REASON_CESSATION : 0);
	if (reason < 0) {
		api_reply_error(req, 400,
		                "unknown revocation reason (RFC 5280 "
		                "names: keyCompromise, superseded, ...)");
		goto out;
	}
	rc = lifecycle_revoke(rd, &admin, id, serial, reason, decommission != 0,
	                      &done);
	if (rc != RP_OK) {
		reply_refused(req, rc, id, &done);
		goto out;
	}
	for (i = 0; i < done.n; i++)
		json_array_append_new(arr, json_string(done.serials[i]));
	broker_sync(rd, decommission ? "a decommission" : "a revocation");
	rc = crl_publish(rd);
	j = json_pack("{s:s, s:O, s:s, s:b}", "device", id, "revoked", arr,
	              "reason", ca_reason_name(reason), "crl_published",
	              rc == RP_OK);
	api_reply_json(req, 200, j);
out:
	lifecycle_done_free(&done);
	json_decref(in);
	json_decref(arr);
	free(body);
}

/* POST devices/ID/{reprovision,renew}. */
static void device_flag(struct rampartd *rd, struct evhttp_request *req,
                        const char *id, int renew)
{
	struct lifecycle_done done;
	rp_err rc = renew ? registry_force_renew(rd, &admin, id, &done)
	                  : registry_reprovision(rd, &admin, id, &done);

	if (rc != RP_OK) {
		reply_refused(req, rc, id, &done);
		return;
	}
	if (!renew && done.from == REG_DECOMMISSIONED)
		broker_sync(rd, "a re-provisioning");
	device_show(rd, req, id);
}

/*
 * POST devices/ID/quarantine {"reason"} and devices/ID/release: an
 * enrolled device in quarantine may only publish events and receive
 * commands at the broker (docs/transport.md).
 */
static void device_quarantine(struct rampartd *rd, struct evhttp_request *req,
                              const char *id, int on)
{
	struct lifecycle_done done;
	json_t *in = NULL;
	json_error_t jerr;
	char *body = NULL;
	const char *reason = NULL;
	size_t len = 0;
	rp_err rc;

	if (http_body(req, API_JSON_MAX, &body, &len) != RP_OK) {
		api_reply_error(req, 413, "body too big");
		goto out;
	}
	if (on) {
		in = len > 0 ? json_loadb(body, len, 0, &jerr) : NULL;
		if (in == NULL ||
		    json_unpack_ex(in, &jerr, 0, "{s:s}", "reason", &reason) !=
		        0 ||
		    reason[0] == '\0' || strlen(reason) > STORE_QREASON_MAX) {
			api_reply_error(req, 400,
			                "body must be {\"reason\": \"1..256 "
			                "characters\"}");
			goto out;
		}
	}
	rc = registry_quarantine(rd, &admin, id, on != 0, reason, &done);
	if (rc != RP_OK) {
		reply_refused(req, rc, id, &done);
		goto out;
	}
	broker_sync(rd, on ? "a quarantine" : "a release");
	device_show(rd, req, id);
out:
	json_decref(in);
	free(body);
}

API_HANDLER(api_devices_list)
{
	json_t *arr = json_array();

	(void)rr;
	if (store_device_status_each(rd->store, inventory_one, arr) != RP_OK) {
		json_decref(arr);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200, arr);
}

API_HANDLER(api_device_show)
{
	device_show(rd, req, rr->param[0]);
}

API_HANDLER(api_device_revoke)
{
	device_revoke(rd, req, rr->param[0], 0);
}

API_HANDLER(api_device_decommission)
{
	device_revoke(rd, req, rr->param[0], 1);
}

API_HANDLER(api_device_reprovision)
{
	device_flag(rd, req, rr->param[0], 0);
}

API_HANDLER(api_device_renew)
{
	device_flag(rd, req, rr->param[0], 1);
}

API_HANDLER(api_device_quarantine)
{
	device_quarantine(rd, req, rr->param[0], 1);
}

API_HANDLER(api_device_release)
{
	device_quarantine(rd, req, rr->param[0], 0);
}

API_HANDLER(api_device_ping)
{
	device_ping(rd, req, rr->param[0]);
}
