/* SPDX-License-Identifier: Apache-2.0 */
/*
 * updates.c - a device's firmware update in the admin API (api.h,
 * docs/updates.md): POST /devices/ID/update {"release": ID} checks the
 * device and the release, records the update (store_update_add: one at
 * a time) with its command and publishes the update command; GET
 * /devices/ID/update is the current update and the history; POST
 * /devices/ID/update/cancel sends a cancel command. What the device
 * reports moves the update in the store (store_ingest_write).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "human.h"
#include "http/http.h"
#include "mqtt/mqtt.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "registry/lifecycle.h"

/* Updates of the history GET devices/ID/update shows. */
#define HISTORY_MAX 20

/* Set "version" of update j from its release (null once the release is
 * removed: a final update's may be). */
static void set_version(struct store *s, json_t *j)
{
	struct store_release r;
	char version[40] = "";
	const char *id = json_string_value(json_object_get(j, "release"));

	if (id != NULL && store_release_get(s, id, &r) == RP_OK)
		snprintf(version, sizeof version, "%u.%u.%u", r.ver_major,
		         r.ver_minor, r.ver_patch);
	json_object_set_new(j, "version",
	                    version[0] ? json_string(version) : json_null());
}

/* An update's JSON without its version (no store call: a walk's
 * callback makes these). */
static json_t *update_json(const struct store_update *u)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:s, s:s, s:I, "
	    "s:I}",
	    "command", u->cmd_id, "release", u->release_id, "base", u->base_id,
	    "state", u->state, "final", u->final, "offset",
	    (json_int_t)u->offset, "size", (json_int_t)u->size, "code", u->code,
	    "detail", u->detail, "created_at", (json_int_t)u->created_at,
	    "updated_at", (json_int_t)u->updated_at);
	if (j == NULL)
		return NULL;
	json_object_set_new(
	    j, "percent",
	    u->size > 0
	        ? json_integer((json_int_t)human_percent(u->offset, u->size))
	        : json_null());
	return j;
}

json_t *api_update_json(struct store *s, const struct store_update *u)
{
	json_t *j = update_json(u);

	if (j != NULL)
		set_version(s, j);
	return j;
}

/* The device id of a route, known and able to take an update: enrolled
 * (quarantined too: it still gets update commands); else the answer is
 * sent and false returned. */
static bool device_active(struct rampartd *rd, struct evhttp_request *req,
                          const char *id, struct store_device *d)
{
	enum registry_state st;
	char why[160];
	rp_err rc = registry_get(rd, id, d, &st);

	if (rc != RP_OK) {
		api_reply_error(req, 503, "store failure");
		return false;
	}
	if (st == REG_ABSENT) {
		api_reply_no_device(req, id);
		return false;
	}
	if (st != REG_ENROLLED && st != REG_QUARANTINED) {
		snprintf(why, sizeof why, "device is %s, not enrolled",
		         registry_state_name(st));
		api_reply_error(req, 409, why);
		return false;
	}
	return true;
}

/* An MQTT send's failure as an answer. */
static void reply_send_failed(struct evhttp_request *req, rp_err rc)
{
	api_reply_error(req, rc == RP_E_STATE ? 503 : 500,
	                rc == RP_E_STATE ? "rampartd is not connected to the "
	                                   "broker"
	                                 : rp_strerror(rc));
}

/* The body {"release": ID}: the id into id (65 bytes), or an answer. */
static bool body_release(struct evhttp_request *req, char *id)
{
	json_t *in = NULL;
	json_error_t jerr;
	const char *rel = NULL;
	char *body = NULL;
	size_t len = 0;
	bool ok = false;

	if (http_body(req, API_JSON_MAX, &body, &len) != RP_OK) {
		api_reply_error(req, 413, "body too big");
		goto out;
	}
	in = len > 0 ? json_loadb(body, len, 0, &jerr) : NULL;
	if (in == NULL ||
	    json_unpack_ex(in, &jerr, JSON_STRICT, "{s:s}", "release", &rel) !=
	        0 ||
	    strlen(rel) != STORE_RELEASE_ID_LEN ||
	    strspn(rel, "0123456789abcdef") != STORE_RELEASE_ID_LEN) {
		api_reply_error(req, 400,
		                "body must be {\"release\": \"ID\"} with the "
		                "release's id (64 lower-case hex digits: "
		                "rampart release list)");
		goto out;
	}
	memcpy(id, rel, STORE_RELEASE_ID_LEN + 1);
	ok = true;
out:
	json_decref(in);
	free(body);
	return ok;
}

/* What the update's record adds in the command's transaction. */
struct start {
	struct rampartd *rd;
	struct store_update u;
	bool busy; /* store_update_add said RP_E_STATE */
};

static rp_err start_record(void *arg, const struct rp_command *c)
{
	struct start *st = arg;
	rp_err rc;

	snprintf(st->u.cmd_id, sizeof st->u.cmd_id, "%s", c->id);
	rc = store_update_add(st->rd->store, &st->u);
	st->busy = rc == RP_E_STATE;
	return rc;
}

/* 409 for the device's update that is not final. */
static void reply_busy(struct evhttp_request *req, const struct store_update *u)
{
	char why[200];

	snprintf(why, sizeof why,
	         "the device has an unfinished update (command %s, state %s): "
	         "wait for it or cancel it",
	         u->cmd_id, u->state);
	api_reply_error(req, 409, why);
}

API_HANDLER(api_device_update_start)
{
	const char *id = rr->param[0];
	struct store_device d;
	struct store_release r;
	struct rp_update_report failed;
	struct start st;
	struct rp_command c;
	char rel[STORE_RELEASE_ID_LEN + 1], why[200];
	rp_err rc;
	int n;

	memset(&st, 0, sizeof st);
	memset(&c, 0, sizeof c);
	if (!body_release(req, rel) || !device_active(rd, req, id, &d))
		return;
	rc = store_release_get(rd->store, rel, &r);
	if (rc != RP_OK) {
		api_reply_error(req, rc == RP_E_NOT_FOUND ? 404 : 503,
		                rc == RP_E_NOT_FOUND ? "no such release "
		                                       "(rampart release list)"
		                                     : "store failure");
		return;
	}
	if (r.kind != 0 || strcmp(r.hw_type, d.hw_type) != 0) {
		snprintf(why, sizeof why,
		         r.kind != 0
		             ? "release is a delta image, not a full one"
		             : "release is for hardware '%s', the "
		               "device is '%s'",
		         r.hw_type, d.hw_type);
		api_reply_error(req, 409, why);
		return;
	}
	if (store_update_current(rd->store, id, &st.u) == RP_OK &&
	    !st.u.final) {
		reply_busy(req, &st.u);
		return;
	}
	c.type = RP_CMD_UPDATE;
	memcpy(c.update.release, r.id, sizeof c.update.release);
	snprintf(c.update.hw, sizeof c.update.hw, "%s", r.hw_type);
	c.update.ver_major = r.ver_major;
	c.update.ver_minor = r.ver_minor;
	c.update.ver_patch = r.ver_patch;
	c.update.counter = r.counter;
	c.update.size = (uint64_t)r.file_size;
	n = snprintf(c.update.url, sizeof c.update.url, "%s/fw/v1/%s",
	             rd->public_url, r.id);
	if (n < 0 || (size_t)n >= sizeof c.update.url) {
		api_reply_error(req, 500, "download URL too long");
		return;
	}
	memset(&st.u, 0, sizeof st.u);
	st.rd = rd;
	snprintf(st.u.serial, sizeof st.u.serial, "%s", id);
	memcpy(st.u.release_id, r.id, sizeof st.u.release_id);
	st.u.size = r.file_size;
	rc = mqtt_command_with(rd, id, &c, start_record, &st);
	if (rc == RP_E_MQTT) {
		/* recorded, not sent: the device will never answer it */
		memset(&failed, 0, sizeof failed);
		snprintf(failed.cmd, sizeof failed.cmd, "%s", c.id);
		memcpy(failed.release, r.id, sizeof failed.release);
		failed.state = RP_UPD_FAILED;
		failed.size = (uint64_t)r.file_size;
		snprintf(failed.code, sizeof failed.code, "not_sent");
		if (store_update_report(rd->store, id, &failed,
		                        "the broker refused the command",
		                        NULL) != RP_OK)
			rp_log_error("update %s of %s: not sent, and not "
			             "marked failed",
			             c.id, id);
	}
	if (st.busy && store_update_current(rd->store, id, &st.u) == RP_OK) {
		reply_busy(req, &st.u);
		return;
	}
	if (rc != RP_OK) {
		reply_send_failed(req, rc);
		return;
	}
	rp_log_info("update %s: release %s (%u.%u.%u) to %s", c.id, r.id,
	            r.ver_major, r.ver_minor, r.ver_patch, id);
	if (store_update_get(rd->store, c.id, &st.u) != RP_OK) {
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200,
	               json_pack("{s:s, s:o, s:s}", "device", id, "update",
	                         api_update_json(rd->store, &st.u), "url",
	                         c.update.url));
}

static int history_one(void *arg, const struct store_update *u)
{
	json_array_append_new(arg, update_json(u));
	return 0;
}

API_HANDLER(api_device_update_show)
{
	const char *id = rr->param[0];
	struct store_device d;
	struct store_update u;
	enum registry_state st;
	json_t *h = json_array();
	rp_err rc = registry_get(rd, id, &d, &st);
	size_t i;

	if (rc == RP_OK && st == REG_ABSENT) {
		json_decref(h);
		api_reply_no_device(req, id);
		return;
	}
	if (rc == RP_OK)
		rc = store_update_each(rd->store, id, HISTORY_MAX, history_one,
		                       h);
	/* after the walk: a callback may not call the store */
	for (i = 0; rc == RP_OK && i < json_array_size(h); i++)
		set_version(rd->store, json_array_get(h, i));
	if (rc == RP_OK) {
		rc = store_update_current(rd->store, id, &u);
		if (rc == RP_E_NOT_FOUND) {
			rc = RP_OK;
			u.cmd_id[0] = '\0';
		}
	}
	if (rc != RP_OK) {
		json_decref(h);
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(req, 200,
	               json_pack("{s:s, s:o, s:o}", "device", id, "current",
	                         u.cmd_id[0] ? api_update_json(rd->store, &u)
	                                     : json_null(),
	                         "history", h));
}

/* Make update u of device id final "cancelled" with detail why. */
static rp_err cancel_here(struct rampartd *rd, const char *id,
                          const struct store_update *u, const char *why)
{
	struct rp_update_report r;

	memset(&r, 0, sizeof r);
	snprintf(r.cmd, sizeof r.cmd, "%s", u->cmd_id);
	memcpy(r.release, u->release_id, sizeof r.release);
	r.state = RP_UPD_CANCELLED;
	r.offset = (uint64_t)u->offset;
	r.size = (uint64_t)u->size;
	return store_update_report(rd->store, id, &r, why, NULL);
}

/* Is the unfinished update u past the trial mark (trial_marked,
 * rebooting, trial_running)? A device honours a cancel only before it
 * marks the trial (docs/updates.md): from there on it ends confirmed or
 * rolled back. */
static bool past_trial_mark(const struct store_update *u)
{
	return store_update_state_num(u->state) >= RP_UPD_TRIAL_MARKED;
}

/*
 * POST devices/ID/update/cancel: a cancel command for the unfinished
 * update; the device ends it ("cancelled"). Two cases end it here: an
 * update still "sent" (the device never answered: if it gets the update
 * command later, the cancel command comes after it on the same topic),
 * and a device that cannot connect any more (revoked, expired,
 * decommissioned: no command is sent), whose update would otherwise hold
 * its release for ever. A device that can connect and has marked the
 * trial (past_trial_mark): 409, nothing sent.
 */
API_HANDLER(api_device_update_cancel)
{
	const char *id = rr->param[0];
	struct store_device d;
	struct store_update u;
	struct rp_command c;
	enum registry_state st;
	char why[160];
	rp_err rc = registry_get(rd, id, &d, &st);

	memset(&c, 0, sizeof c);
	if (rc == RP_OK && st == REG_ABSENT) {
		api_reply_no_device(req, id);
		return;
	}
	if (rc == RP_OK)
		rc = store_update_current(rd->store, id, &u);
	if (rc == RP_E_NOT_FOUND || (rc == RP_OK && u.final)) {
		api_reply_error(req, 409,
		                "the device has no unfinished update");
		return;
	}
	if (rc == RP_OK && st != REG_ENROLLED && st != REG_QUARANTINED) {
		snprintf(why, sizeof why,
		         "cancelled by the operator: the device is %s",
		         registry_state_name(st));
		rc = cancel_here(rd, id, &u, why);
	} else if (rc == RP_OK && past_trial_mark(&u)) {
		api_reply_error(
		    req, 409,
		    "the trial is marked: the update can no longer be "
		    "cancelled; it ends confirmed or rolled back");
		return;
	} else if (rc == RP_OK) {
		rc = mqtt_command(rd, id, RP_CMD_CANCEL, u.release_id, &c);
		if (rc != RP_OK) {
			reply_send_failed(req, rc);
			return;
		}
		if (strcmp(u.state, STORE_UPD_SENT) == 0)
			rc = cancel_here(rd, id, &u,
			                 "cancelled by the operator before the "
			                 "device answered");
	}
	if (rc == RP_OK)
		rc = store_update_get(rd->store, u.cmd_id, &u);
	if (rc != RP_OK) {
		api_reply_error(req, 503, "store failure");
		return;
	}
	api_reply_json(
	    req, 200,
	    json_pack("{s:s, s:o, s:s, s:s, s:I, s:s}", "device", id, "command",
	              c.id[0] ? json_string(c.id) : json_null(), "cancels",
	              u.cmd_id, "type", "cancel", "issued_at", (json_int_t)c.ts,
	              "state", u.state));
}
