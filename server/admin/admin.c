/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin.c - the admin REST API under /api/v1/ (docs/admin-api.md): JSON
 * with jansson, authenticated by the bearer setup token (its SHA-256 is
 * in the store; compared in constant time) until operator accounts exist.
 * Allowlist import/list/show/remove, device revoke/decommission/
 * reprovision/renew/quarantine/release/ping, the devices' inventory with
 * what they last reported (online, firmware, last seen, events), ingest
 * counters, claim certificates, refusals.
 * Changes that matter to the broker rewrite its fleet snapshot after the
 * commit (broker_sync).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "est/csr.h"
#include "http/http.h"
#include "lifecycle/lifecycle.h"
#include "mqtt/mqtt.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "rampartd.h"
#include "registry/csv.h"

static void reply_json(struct evhttp_request *req, int code, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s == NULL) {
		http_reply_text(req, 500, "internal error");
	} else {
		http_reply(req, code, "application/json", s, strlen(s));
		free(s);
	}
	json_decref(j);
}

static void reply_error(struct evhttp_request *req, int code, const char *msg)
{
	reply_json(req, code, json_pack("{s:s}", "error", msg));
}

/* RP_OK when the Authorization header carries the setup token. */
static rp_err check_token(struct rampartd *rd, struct evhttp_request *req,
                          const char **why)
{
	const char *h = http_header(req, "Authorization");
	uint8_t want[32], got[32];
	size_t wl = sizeof want;
	rp_err rc = RP_E_AUTH;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		*why = "no bearer token";
		return rc;
	}
	if (store_meta_get(rd->store, RD_META_SETUP_TOKEN, want, &wl) !=
	        RP_OK ||
	    wl != sizeof want) {
		*why = "no setup token is configured";
		return rc;
	}
	SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
	if (rp_memeq(want, got, sizeof want))
		rc = RP_OK;
	else
		*why = "wrong bearer token";
	rp_wipe(got, sizeof got);
	return rc;
}

static json_t *device_json(const struct store_device *d)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:b, s:s, s:I}",
	    "serial", d->serial, "hw_type", d->hw_type, "hw_token", d->hw_token,
	    "group", d->group, "tags", d->tags, "state",
	    store_dev_state_name(d->state), "allow_reprovision",
	    d->allow_reprovision, "force_renew", d->force_renew, "created_at",
	    (json_int_t)d->created_at, "updated_at", (json_int_t)d->updated_at,
	    "quarantined", d->quarantined, "quarantine_reason",
	    d->quarantine_reason, "quarantined_at",
	    (json_int_t)d->quarantined_at);
}

static int list_one(void *arg, const struct store_device *d)
{
	return json_array_append_new(arg, device_json(d)) != 0;
}

/* A device counts as online when it reported within this many of its
 * telemetry periods (DEFAULT_INTERVAL_S before its first telemetry). */
#define ONLINE_PERIODS     3
#define DEFAULT_INTERVAL_S 60

/*
 * The one state name of the inventory: allowlisted, enrolled,
 * quarantined, revoked (enrolled, no valid certificate, one revoked),
 * expired (enrolled, no valid certificate, none revoked), decommissioned.
 */
static const char *inventory_state(const struct store_device *d, int64_t valid,
                                   int64_t revoked)
{
	if (d->state != STORE_DEV_ENROLLED)
		return store_dev_state_name(d->state);
	if (valid == 0)
		return revoked > 0 ? "revoked" : "expired";
	return d->quarantined ? "quarantined" : "enrolled";
}

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
	json_t *j = device_json(d);

	status_json(j, inventory_state(d, st->certs_valid, st->certs_revoked),
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

struct import {
	struct rampartd *rd;
	char *why;
	size_t cap;
};

static int import_one(void *arg, unsigned line, const struct store_device *d)
{
	struct import *im = arg;
	rp_err rc = store_device_add(im->rd->store, d);

	if (rc == RP_E_EXISTS)
		snprintf(im->why, im->cap,
		         "line %u: serial %s is already on the allowlist", line,
		         d->serial);
	else if (rc != RP_OK)
		snprintf(im->why, im->cap, "line %u: store failure", line);
	return rc != RP_OK;
}

static void allowlist_import(struct rampartd *rd, struct evhttp_request *req)
{
	char *body = NULL, why[256] = "";
	size_t len = 0, rows = 0;
	struct import im = {rd, why, sizeof why};
	rp_err rc;

	rc = http_body(req, (size_t)rd->cfg.admin_max_body, &body, &len);
	if (rc != RP_OK) {
		reply_error(req, rc == RP_E_BODY_TOO_BIG ? 413 : 500,
		            rp_strerror(rc));
		goto out;
	}
	if (store_begin(rd->store) != RP_OK) {
		reply_error(req, 503, "store busy");
		goto out;
	}
	rc = allowlist_csv_parse(body, len, import_one, &im, &rows, why,
	                         sizeof why);
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	if (rc != RP_OK) {
		store_rollback(rd->store);
		rp_log_warn("admin: allowlist import refused: %s", why);
		reply_error(req, rc == RP_E_CSV ? 400 : 503,
		            why[0] ? why : rp_strerror(rc));
		goto out;
	}
	rp_log_info("admin: imported %zu allowlist entries", rows);
	reply_json(req, 200, json_pack("{s:I}", "imported", (json_int_t)rows));
out:
	free(body);
}

/*
 * Finish the transaction of a device change: commit it when rc is RP_OK,
 * else roll it back and answer 404 (no such device), 409 with state_msg
 * (the device's state forbids the change) or 503. True when committed.
 */
static bool device_commit(struct rampartd *rd, struct evhttp_request *req,
                          rp_err rc, const char *state_msg)
{
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	if (rc == RP_OK)
		return true;
	store_rollback(rd->store);
	reply_error(req,
	            rc == RP_E_NOT_FOUND ? 404
	            : rc == RP_E_STATE   ? 409
	                                 : 503,
	            rc == RP_E_STATE && state_msg != NULL ? state_msg
	                                                  : rp_strerror(rc));
	return false;
}

/* The newest events and commands shown by device_show. */
#define SHOW_EVENTS   20
#define SHOW_COMMANDS 10

static void device_show(struct rampartd *rd, struct evhttp_request *req,
                        const char *id)
{
	struct store_device d;
	struct store_status st;
	json_t *j, *certs = json_array(), *evs = json_array(),
	           *cmds = json_array();
	int64_t now = (int64_t)time(NULL), valid = 0, revoked = 0;
	rp_err rc = store_device_get(rd->store, id, &d);
	size_t i;

	if (rc != RP_OK) {
		json_decref(certs);
		json_decref(evs);
		json_decref(cmds);
		reply_error(req, rc == RP_E_NOT_FOUND ? 404 : 503,
		            rp_strerror(rc));
		return;
	}
	j = device_json(&d);
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
		json_decref(j);
		json_decref(certs);
		json_decref(evs);
		json_decref(cmds);
		reply_error(req, 503, "store failure");
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
	status_json(j, inventory_state(&d, valid, revoked), &st, 1);
	json_object_set_new(j, "certificates", certs);
	json_object_set_new(j, "events", evs);
	json_object_set_new(j, "commands", cmds);
	reply_json(req, 200, j);
}

/* POST devices/ID/ping: a ping command over MQTT; its result lands in
 * the store (device_show's "commands"). */
static void device_ping(struct rampartd *rd, struct evhttp_request *req,
                        const char *id)
{
	struct store_device d;
	struct rp_command c;
	rp_err rc = store_device_get(rd->store, id, &d);

	if (rc == RP_OK && (d.state != STORE_DEV_ENROLLED || d.quarantined)) {
		/* a quarantined device gets update and lock commands only */
		reply_error(req, 409,
		            d.quarantined ? "device is quarantined"
		                          : "device is not enrolled");
		return;
	}
	if (rc == RP_OK)
		rc = mqtt_command(rd, id, RP_CMD_PING, "", &c);
	if (rc != RP_OK) {
		reply_error(req,
		            rc == RP_E_NOT_FOUND ? 404
		            : rc == RP_E_STATE   ? 503
		                                 : 500,
		            rc == RP_E_STATE
		                ? "rampartd is not connected to the "
		                  "broker"
		                : rp_strerror(rc));
		return;
	}
	reply_json(req, 200,
	           json_pack("{s:s, s:s, s:s, s:I}", "device", id, "command",
	                     c.id, "type", "ping", "issued_at",
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
	if (http_body(req, 64 * 1024, &body, &len) != RP_OK) {
		reply_error(req, 413, "body too big");
		goto out;
	}
	if (len > 0) {
		in = json_loadb(body, len, 0, &jerr);
		if (in == NULL ||
		    json_unpack_ex(in, &jerr, 0, "{s?s, s?s}", "reason",
		                   &reason_name, "serial", &serial) != 0) {
			reply_error(req, 400,
			            "body must be a JSON object "
			            "with optional reason and serial");
			goto out;
		}
	}
	reason = reason_name ? ca_reason_code(reason_name)
	                     : (decommission ? LIFECYCLE_REASON_CESSATION : 0);
	if (reason < 0) {
		reply_error(req, 400,
		            "unknown revocation reason (RFC 5280 "
		            "names: keyCompromise, superseded, ...)");
		goto out;
	}
	rc = lifecycle_revoke(rd, id, serial, reason, decommission != 0,
	                      "admin", &done);
	if (rc != RP_OK) {
		reply_error(req,
		            rc == RP_E_NOT_FOUND ? 404
		            : rc == RP_E_STATE   ? 409
		                                 : 503,
		            rc == RP_E_STATE ? "no valid certificate to revoke"
		                             : rp_strerror(rc));
		goto out;
	}
	for (i = 0; i < done.n; i++)
		json_array_append_new(arr, json_string(done.serials[i]));
	broker_sync(rd, decommission ? "a decommission" : "a revocation");
	rc = crl_publish(rd);
	j = json_pack("{s:s, s:O, s:s, s:b}", "device", id, "revoked", arr,
	              "reason", ca_reason_name(reason), "crl_published",
	              rc == RP_OK);
	reply_json(req, 200, j);
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
	struct store_device d;
	rp_err rc;

	if (store_begin(rd->store) != RP_OK) {
		reply_error(req, 503, "store busy");
		return;
	}
	rc = store_device_get(rd->store, id, &d);
	if (rc == RP_OK && renew) {
		rc = d.state == STORE_DEV_ENROLLED
		         ? store_device_set_flags(rd->store, id,
		                                  d.allow_reprovision, 1)
		         : RP_E_STATE;
	} else if (rc == RP_OK && d.state == STORE_DEV_DECOMMISSIONED) {
		/* a fresh approval: back to the allowlist */
		rc = store_device_set_state(rd->store, id,
		                            STORE_DEV_ALLOWLISTED);
	} else if (rc == RP_OK) {
		rc = store_device_set_flags(rd->store, id, 1, d.force_renew);
	}
	if (!device_commit(rd, req, rc, "device is not enrolled"))
		return;
	rp_log_info("admin: %s %s",
	            renew ? "forced renewal of" : "allowed re-provisioning of",
	            id);
	if (!renew && d.state == STORE_DEV_DECOMMISSIONED)
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
	struct store_device d;
	json_t *in = NULL;
	json_error_t jerr;
	char *body = NULL;
	const char *reason = NULL, *why = NULL;
	size_t len = 0;
	rp_err rc;

	if (http_body(req, 64 * 1024, &body, &len) != RP_OK) {
		reply_error(req, 413, "body too big");
		goto out;
	}
	if (on) {
		in = len > 0 ? json_loadb(body, len, 0, &jerr) : NULL;
		if (in == NULL ||
		    json_unpack_ex(in, &jerr, 0, "{s:s}", "reason", &reason) !=
		        0 ||
		    reason[0] == '\0' || strlen(reason) > STORE_QREASON_MAX) {
			reply_error(req, 400,
			            "body must be {\"reason\": \"1..256 "
			            "characters\"}");
			goto out;
		}
	}
	if (store_begin(rd->store) != RP_OK) {
		reply_error(req, 503, "store busy");
		goto out;
	}
	rc = store_device_get(rd->store, id, &d);
	if (rc == RP_OK && on && d.state != STORE_DEV_ENROLLED) {
		rc = RP_E_STATE;
		why = "device is not enrolled";
	} else if (rc == RP_OK && on && d.quarantined) {
		rc = RP_E_STATE;
		why = "device is already quarantined";
	} else if (rc == RP_OK && !on && !d.quarantined) {
		rc = RP_E_STATE;
		why = "device is not quarantined";
	}
	if (rc == RP_OK)
		rc = store_device_set_quarantine(rd->store, id, on, reason,
		                                 (int64_t)time(NULL));
	if (!device_commit(rd, req, rc, why))
		goto out;
	rp_log_info("admin: %s %s", on ? "quarantined" : "released", id);
	broker_sync(rd, on ? "a quarantine" : "a release");
	device_show(rd, req, id);
out:
	json_decref(in);
	free(body);
}

/* POST claims {"group", "lifetime", "csr"}: a claim certificate. */
static void claim_create(struct rampartd *rd, struct evhttp_request *req)
{
	json_t *in = NULL;
	json_error_t jerr;
	char *body = NULL, *pem = NULL, why[256];
	const char *group = NULL, *csr_pem = NULL;
	json_int_t lifetime = 0;
	size_t len;
	BIO *b = NULL;
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	struct csr_info info;
	struct store_cert sc;
	rp_err rc;

	if (http_body(req, 64 * 1024, &body, &len) != RP_OK) {
		reply_error(req, 413, "body too big");
		goto out;
	}
	in = json_loadb(body, len, 0, &jerr);
	if (in == NULL ||
	    json_unpack_ex(in, &jerr, 0, "{s:s, s:I, s:s}", "group", &group,
	                   "lifetime", &lifetime, "csr", &csr_pem) != 0) {
		reply_error(req, 400,
		            "body must be {\"group\", \"lifetime\" "
		            "(seconds), \"csr\" (PEM)}");
		goto out;
	}
	if (!csr_id_valid(group)) {
		reply_error(req, 400, "group must be 1..64 of [A-Za-z0-9._-]");
		goto out;
	}
	if (lifetime < 60 || lifetime > rd->cfg.claim_max_lifetime) {
		reply_error(req, 400,
		            "lifetime out of range (claim_max_"
		            "lifetime)");
		goto out;
	}
	b = BIO_new_mem_buf(csr_pem, -1);
	csr = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	ERR_clear_error();
	if (csr == NULL) {
		reply_error(req, 400, "csr is not a PEM certificate request");
		goto out;
	}
	rc = csr_check(csr, &info, why, sizeof why);
	if (rc != RP_OK) {
		reply_error(req, 400, why);
		goto out;
	}
	rc = ca_issue_claim(rd->ca, X509_REQ_get0_pubkey(csr), group,
	                    (int64_t)lifetime, &cert);
	memset(&sc, 0, sizeof sc);
	if (rc == RP_OK)
		rc = ca_serial_hex(cert, sc.serial);
	pem = rc == RP_OK ? ca_cert_pem(cert) : NULL;
	if (pem == NULL) {
		reply_error(req, 500, "signing failed");
		goto out;
	}
	snprintf(sc.subject, sizeof sc.subject, "%s", group);
	snprintf(sc.kind, sizeof sc.kind, "%s", STORE_CERT_CLAIM);
	sc.not_before = ca_time(X509_get0_notBefore(cert));
	sc.not_after = ca_time(X509_get0_notAfter(cert));
	rc = store_cert_add(rd->store, &sc, pem);
	if (rc != RP_OK) {
		reply_error(req, 503, rp_strerror(rc));
		goto out;
	}
	rp_log_info("admin: issued claim certificate %s for group %s",
	            sc.serial, group);
	reply_json(req, 200,
	           json_pack("{s:s, s:s, s:s, s:I}", "cert", pem, "serial",
	                     sc.serial, "group", group, "not_after",
	                     (json_int_t)sc.not_after));
out:
	free(pem);
	X509_free(cert);
	X509_REQ_free(csr);
	BIO_free(b);
	json_decref(in);
	free(body);
}

static int claim_one(void *arg, const struct store_cert *c)
{
	return json_array_append_new(
	           arg, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
	                          "serial", c->serial, "group", c->subject,
	                          "not_before", (json_int_t)c->not_before,
	                          "not_after", (json_int_t)c->not_after,
	                          "revoked_at", (json_int_t)c->revoked_at,
	                          "uses", (json_int_t)c->uses, "last_used_at",
	                          (json_int_t)c->last_used_at)) != 0;
}

/* POST claims/SERIAL/revoke: rampartd refuses the claim from now on. */
static void claim_revoke(struct rampartd *rd, struct evhttp_request *req,
                         const char *rest)
{
	char serial[41];
	const char *slash = strchr(rest, '/');
	struct store_cert c;
	rp_err rc;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST ||
	    slash == NULL || strcmp(slash, "/revoke") != 0 ||
	    (size_t)(slash - rest) >= sizeof serial || slash == rest) {
		reply_error(req, 404, "no such API route");
		return;
	}
	snprintf(serial, sizeof serial, "%.*s", (int)(slash - rest), rest);
	rc = store_cert_get(rd->store, serial, &c);
	if (rc == RP_OK && strcmp(c.kind, STORE_CERT_CLAIM) != 0)
		rc = RP_E_NOT_FOUND;
	if (rc == RP_OK)
		rc = store_cert_revoke(rd->store, serial, 0,
		                       (int64_t)time(NULL));
	if (rc != RP_OK) {
		reply_error(req,
		            rc == RP_E_NOT_FOUND ? 404
		            : rc == RP_E_STATE   ? 409
		                                 : 503,
		            rc == RP_E_NOT_FOUND ? "no such claim"
		            : rc == RP_E_STATE   ? "claim already revoked"
		                                 : rp_strerror(rc));
		return;
	}
	rp_log_info("admin: revoked claim certificate %s", serial);
	reply_json(req, 200, json_pack("{s:s}", "revoked", serial));
}

/* A stored string as JSON; one that is not UTF-8 (a row cut inside a
 * multi-byte sequence) is replaced, so that one row cannot end the list
 * (and hide every older refusal). */
static json_t *row_string(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("(not UTF-8)");
}

static int refusal_one(void *arg, const struct store_refusal *r)
{
	return json_array_append_new(
	           arg, json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
	                          (json_int_t)r->id, "at", (json_int_t)r->at,
	                          "route", row_string(r->route), "peer",
	                          row_string(r->peer), "subject",
	                          row_string(r->subject), "reason",
	                          row_string(r->reason), "detail",
	                          row_string(r->detail))) != 0;
}

/* The POST devices/ID/ACTION routes that enroll, or act on, a working
 * device (revoke and decommission only retire one). */
static bool acts_on_device(const char *action)
{
	static const char *const acts[] = {"reprovision", "renew", "quarantine",
	                                   "release", "ping"};
	size_t i;

	for (i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		if (strcmp(action, acts[i]) == 0)
			return true;
	}
	return false;
}

void admin_handle(struct rampartd *rd, struct evhttp_request *req,
                  const char *path)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const char *why = "", *rest = path + strlen("/api/v1/");
	char id[CSR_ID_MAX + 1] = "", action[32] = "", why409[160];
	const char *slash;
	json_t *arr;

	if (check_token(rd, req, &why) != RP_OK) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "WWW-Authenticate", "Bearer");
		rd_refuse(rd, req, path, NULL, RP_E_AUTH, 401, why);
		return;
	}
	if (strcmp(rest, "allowlist") == 0 || strcmp(rest, "devices") == 0) {
		if (m == EVHTTP_REQ_POST && rest[0] == 'a') {
			allowlist_import(rd, req);
			return;
		}
		if (m != EVHTTP_REQ_GET)
			goto bad_method;
		arr = json_array();
		if (rest[0] == 'd' ? store_device_status_each(
		                         rd->store, inventory_one, arr) != RP_OK
		                   : store_device_each(rd->store, list_one,
		                                       arr) != RP_OK) {
			json_decref(arr);
			reply_error(req, 503, "store failure");
			return;
		}
		reply_json(req, 200, arr);
		return;
	}
	if (strcmp(rest, "claims") == 0) {
		if (m == EVHTTP_REQ_POST) {
			claim_create(rd, req);
			return;
		}
		if (m != EVHTTP_REQ_GET)
			goto bad_method;
		arr = json_array();
		if (store_cert_each_kind(rd->store, STORE_CERT_CLAIM, claim_one,
		                         arr) != RP_OK) {
			json_decref(arr);
			reply_error(req, 503, "store failure");
			return;
		}
		reply_json(req, 200, arr);
		return;
	}
	if (strcmp(rest, "ingest") == 0) {
		if (m != EVHTTP_REQ_GET)
			goto bad_method;
		reply_json(req, 200, mqtt_status_json(rd));
		return;
	}
	if (strncmp(rest, "claims/", 7) == 0) {
		claim_revoke(rd, req, rest + 7);
		return;
	}
	if (strcmp(rest, "refusals") == 0) {
		const char *q =
		    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
		int limit = 100;

		if (m != EVHTTP_REQ_GET)
			goto bad_method;
		if (q != NULL && strncmp(q, "limit=", 6) == 0)
			limit = atoi(q + 6);
		if (limit < 1 || limit > 10000)
			limit = 100;
		arr = json_array();
		if (store_refusal_each(rd->store, limit, refusal_one, arr) !=
		    RP_OK) {
			json_decref(arr);
			reply_error(req, 503, "store failure");
			return;
		}
		reply_json(req, 200, arr);
		return;
	}
	/* allowlist/ID, devices/ID, devices/ID/ACTION */
	if (strncmp(rest, "allowlist/", 10) == 0)
		rest += 10;
	else if (strncmp(rest, "devices/", 8) == 0)
		rest += 8;
	else
		goto not_found;
	slash = strchr(rest, '/');
	if ((size_t)(slash ? slash - rest : (long)strlen(rest)) >= sizeof id)
		goto not_found;
	snprintf(id, sizeof id, "%.*s",
	         (int)(slash ? slash - rest : (long)strlen(rest)), rest);
	if (slash != NULL)
		snprintf(action, sizeof action, "%s", slash + 1);
	if (!rp_broker_id_valid(id, strlen(id)))
		goto not_found;
	/* A reserved id is never a device's: what creates or acts on a
	 * device is refused; what shows, removes, revokes or decommissions
	 * one still works, so that operators can clean up (docs/rampartd.md)
	 */
	if (m == EVHTTP_REQ_POST && acts_on_device(action) &&
	    rp_broker_device_id_check(id, strlen(id), why409, sizeof why409) !=
	        RP_OK) {
		rp_log_warn("admin: POST %s refused: %s", path, why409);
		reply_error(req, 409, why409);
		return;
	}
	if (action[0] == '\0' && m == EVHTTP_REQ_GET) {
		device_show(rd, req, id);
	} else if (action[0] == '\0' && m == EVHTTP_REQ_DELETE) {
		rp_err rc = store_device_remove(rd->store, id);

		if (rc == RP_OK) {
			rp_log_info("admin: removed %s from the allowlist", id);
			reply_json(req, 200, json_pack("{s:s}", "removed", id));
		} else {
			reply_error(req,
			            rc == RP_E_NOT_FOUND ? 404
			            : rc == RP_E_STATE   ? 409
			                                 : 503,
			            rc == RP_E_STATE
			                ? "device is enrolled or "
			                  "decommissioned; decommission it "
			                  "instead"
			                : rp_strerror(rc));
		}
	} else if (m == EVHTTP_REQ_POST && strcmp(action, "revoke") == 0) {
		device_revoke(rd, req, id, 0);
	} else if (m == EVHTTP_REQ_POST &&
	           strcmp(action, "decommission") == 0) {
		device_revoke(rd, req, id, 1);
	} else if (m == EVHTTP_REQ_POST && strcmp(action, "reprovision") == 0) {
		device_flag(rd, req, id, 0);
	} else if (m == EVHTTP_REQ_POST && strcmp(action, "renew") == 0) {
		device_flag(rd, req, id, 1);
	} else if (m == EVHTTP_REQ_POST && strcmp(action, "quarantine") == 0) {
		device_quarantine(rd, req, id, 1);
	} else if (m == EVHTTP_REQ_POST && strcmp(action, "release") == 0) {
		device_quarantine(rd, req, id, 0);
	} else if (m == EVHTTP_REQ_POST && strcmp(action, "ping") == 0) {
		device_ping(rd, req, id);
	} else {
		goto not_found;
	}
	return;
bad_method:
	reply_error(req, 405, "method not allowed");
	return;
not_found:
	reply_error(req, 404, "no such API route");
}
