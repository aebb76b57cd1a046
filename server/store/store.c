/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - the engine-neutral half of the store (store.h): picks the
 * engine named by the spec, checks arguments, keeps the clock and the
 * transaction state, and holds the ingest policy (who may send what, the
 * counters, one transaction per batch); every read and write goes to the
 * engine's table of functions (engine.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rampart/alloc.h"
#include "rampart/log.h"
#include "store/engine.h"

/* The engines built in; a new one is one line here (docs/store.md). */
static const struct store_engine *const engines[] = {
    &store_engine_sqlite,
};

struct store {
	const struct store_engine *eng;
	void *e;    /* the engine's connection: owned, eng->close */
	bool in_tx; /* between store_begin and commit/rollback */
};

/* The spec's engine, with where pointing after its "ENGINE:". */
static const struct store_engine *engine_of(const char *spec,
                                            const char **where)
{
	const char *colon = strchr(spec, ':');
	const char *slash = strchr(spec, '/');
	size_t n;

	if (colon == NULL || (slash != NULL && slash < colon)) {
		*where = spec; /* a bare path: the sqlite engine's */
		return &store_engine_sqlite;
	}
	n = (size_t)(colon - spec);
	*where = colon + 1;
	for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
		if (strlen(engines[i]->name) == n &&
		    memcmp(engines[i]->name, spec, n) == 0)
			return engines[i];
	return NULL;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static const char *or_empty(const char *t)
{
	return t != NULL ? t : "";
}

const char *store_dev_state_name(int state)
{
	switch (state) {
	case STORE_DEV_ALLOWLISTED:
		return "allowlisted";
	case STORE_DEV_ENROLLED:
		return "enrolled";
	case STORE_DEV_DECOMMISSIONED:
		return "decommissioned";
	default:
		return "unknown";
	}
}

void store_opts_init(struct store_opts *o)
{
	memset(o, 0, sizeof *o);
	o->lock_wait_ms = 5000;
	o->refusals_keep = STORE_REFUSALS_KEEP;
}

rp_err store_open(const char *spec, struct store **out)
{
	return store_open_with(spec, NULL, out);
}

rp_err store_open_with(const char *spec, const struct store_opts *opts,
                       struct store **out)
{
	struct store_opts o;
	struct store *s = NULL; /* owned here until *out */
	const char *where = NULL;
	rp_err rc = RP_E_INVAL;

	if (out == NULL)
		return RP_E_INVAL;
	*out = NULL;
	if (spec == NULL)
		goto out;
	if (opts != NULL)
		o = *opts;
	else
		store_opts_init(&o);
	if (o.lock_wait_ms < 0 || o.refusals_keep < 0)
		goto out;
	s = rp_calloc(1, sizeof *s);
	if (s == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	s->eng = engine_of(spec, &where);
	if (s->eng == NULL || where[0] == '\0') {
		rp_log_error("store: %s: no such engine or no place "
		             "(ENGINE:WHERE, e.g. sqlite:PATH)",
		             spec);
		goto out;
	}
	rc = s->eng->open(where, &o, &s->e);
	if (rc == RP_OK) {
		*out = s;
		s = NULL;
	}
out:
	free(s);
	return rc;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->in_tx)
		s->eng->rollback(s->e);
	s->eng->close(s->e);
	free(s);
}

const char *store_engine_name(const struct store *s)
{
	return s->eng->name;
}

rp_err store_begin(struct store *s)
{
	rp_err rc;

	if (s->in_tx)
		return RP_E_STATE;
	rc = s->eng->begin(s->e);
	s->in_tx = rc == RP_OK;
	return rc;
}

rp_err store_commit(struct store *s)
{
	rp_err rc;

	if (!s->in_tx)
		return RP_E_STATE;
	rc = s->eng->commit(s->e);
	if (rc != RP_OK)
		s->eng->rollback(s->e);
	s->in_tx = false;
	return rc;
}

void store_rollback(struct store *s)
{
	if (!s->in_tx)
		return;
	s->eng->rollback(s->e);
	s->in_tx = false;
}

int store_schema_version(struct store *s)
{
	return s->eng->schema_version(s->e);
}

rp_err store_check(struct store *s)
{
	return s->eng->check(s->e);
}

static bool state_valid(int state)
{
	return state == STORE_DEV_ALLOWLISTED || state == STORE_DEV_ENROLLED ||
	       state == STORE_DEV_DECOMMISSIONED;
}

static bool kind_valid(const char *kind)
{
	return kind != NULL && (strcmp(kind, STORE_CERT_DEVICE) == 0 ||
	                        strcmp(kind, STORE_CERT_CLAIM) == 0);
}

static bool key_valid(const char *key)
{
	return key != NULL && key[0] != '\0';
}

/* --- devices ------------------------------------------------------------ */

rp_err store_device_add(struct store *s, const struct store_device *d)
{
	if (d == NULL || !key_valid(d->serial) || !state_valid(d->state))
		return RP_E_INVAL;
	return s->eng->device_add(s->e, d, now_s());
}

rp_err store_device_get(struct store *s, const char *serial,
                        struct store_device *out)
{
	if (!key_valid(serial) || out == NULL)
		return RP_E_INVAL;
	return s->eng->device_get(s->e, serial, out);
}

rp_err store_device_remove(struct store *s, const char *serial)
{
	if (!key_valid(serial))
		return RP_E_INVAL;
	return s->eng->device_remove(s->e, serial);
}

rp_err store_device_set_state(struct store *s, const char *serial, int state)
{
	if (!key_valid(serial) || !state_valid(state))
		return RP_E_INVAL;
	return s->eng->device_set_state(s->e, serial, state, now_s());
}

rp_err store_device_set_flags(struct store *s, const char *serial,
                              int allow_reprovision, int force_renew)
{
	if (!key_valid(serial))
		return RP_E_INVAL;
	return s->eng->device_set_flags(s->e, serial, allow_reprovision != 0,
	                                force_renew != 0, now_s());
}

rp_err store_device_set_quarantine(struct store *s, const char *serial, int on,
                                   const char *reason, int64_t at)
{
	if (!key_valid(serial))
		return RP_E_INVAL;
	return s->eng->device_set_quarantine(s->e, serial, on != 0,
	                                     on ? or_empty(reason) : "",
	                                     on ? at : 0, now_s());
}

rp_err store_device_each(struct store *s, store_device_cb cb, void *arg)
{
	if (cb == NULL)
		return RP_E_INVAL;
	return s->eng->device_each(s->e, cb, arg);
}

/* --- certificates ------------------------------------------------------- */

rp_err store_cert_add(struct store *s, const struct store_cert *c,
                      const char *pem)
{
	if (c == NULL || !key_valid(c->serial) || !kind_valid(c->kind) ||
	    pem == NULL)
		return RP_E_INVAL;
	return s->eng->cert_add(s->e, c, pem);
}

rp_err store_cert_get(struct store *s, const char *serial,
                      struct store_cert *out)
{
	if (!key_valid(serial) || out == NULL)
		return RP_E_INVAL;
	return s->eng->cert_get(s->e, serial, out);
}

rp_err store_cert_revoke(struct store *s, const char *serial, int reason,
                         int64_t at)
{
	if (!key_valid(serial))
		return RP_E_INVAL;
	return s->eng->cert_revoke(s->e, serial, reason, at);
}

rp_err store_cert_mark_used(struct store *s, const char *serial, int64_t at)
{
	if (!key_valid(serial))
		return RP_E_INVAL;
	return s->eng->cert_mark_used(s->e, serial, at);
}

rp_err store_cert_each_kind(struct store *s, const char *kind, store_cert_cb cb,
                            void *arg)
{
	if (!kind_valid(kind) || cb == NULL)
		return RP_E_INVAL;
	return s->eng->cert_each_kind(s->e, kind, cb, arg);
}

rp_err store_cert_each_of(struct store *s, const char *subject,
                          store_cert_cb cb, void *arg)
{
	if (subject == NULL || cb == NULL)
		return RP_E_INVAL;
	return s->eng->cert_each_of(s->e, subject, cb, arg);
}

rp_err store_cert_each_revoked(struct store *s, const char *kind, int64_t now,
                               store_cert_cb cb, void *arg)
{
	if (!kind_valid(kind) || cb == NULL)
		return RP_E_INVAL;
	return s->eng->cert_each_revoked(s->e, kind, now, cb, arg);
}

/* --- refusals, CRLs, facts ---------------------------------------------- */

rp_err store_refusal_add(struct store *s, const char *route, const char *peer,
                         const char *subject, rp_err reason, const char *detail)
{
	if (route == NULL)
		return RP_E_INVAL;
	return s->eng->refusal_add(s->e, now_s(), route, or_empty(peer),
	                           or_empty(subject), reason, or_empty(detail));
}

rp_err store_refusal_each(struct store *s, int limit, store_refusal_cb cb,
                          void *arg)
{
	if (limit < 1 || cb == NULL)
		return RP_E_INVAL;
	return s->eng->refusal_each(s->e, limit, cb, arg);
}

rp_err store_crl_next_number(struct store *s, int64_t *out)
{
	if (out == NULL)
		return RP_E_INVAL;
	return s->eng->crl_next_number(s->e, out);
}

rp_err store_crl_add(struct store *s, int64_t number, int64_t this_update,
                     int64_t next_update, const uint8_t *der, size_t len)
{
	if (number < 1 || (der == NULL && len > 0) || len > INT32_MAX)
		return RP_E_INVAL;
	return s->eng->crl_add(s->e, number, this_update, next_update,
	                       der != NULL ? der : (const uint8_t *)"", len);
}

rp_err store_meta_get(struct store *s, const char *key, uint8_t *val,
                      size_t *len)
{
	if (!key_valid(key) || len == NULL || (val == NULL && *len > 0))
		return RP_E_INVAL;
	return s->eng->meta_get(s->e, key, val, len);
}

rp_err store_meta_set(struct store *s, const char *key, const uint8_t *val,
                      size_t len)
{
	if (!key_valid(key) || (val == NULL && len > 0) || len > INT32_MAX)
		return RP_E_INVAL;
	return s->eng->meta_set(s->e, key,
	                        val != NULL ? val : (const uint8_t *)"", len);
}

/* --- ingest ------------------------------------------------------------- */

/* Updates moved by what a device reports (the section at the end). */
static rp_err upd_report_tx(struct store *s, const char *serial,
                            const struct rp_update_report *r,
                            const char *detail, bool *applied);
static rp_err upd_result_tx(struct store *s, const char *serial,
                            const struct rp_command_result *res, bool *applied);

/* May this item of an admitted serial be counted (store.h)? */
static bool admitted(const struct store_admit *a, int kind)
{
	if (!a->certified)
		return false;
	return !a->quarantined || kind == STORE_IN_EVENT ||
	       kind == STORE_IN_REJECT;
}

static void tally(struct store_in_result *r, int kind)
{
	switch (kind) {
	case STORE_IN_TELEMETRY:
		r->telemetry++;
		break;
	case STORE_IN_EVENT:
		r->events++;
		break;
	case STORE_IN_RESULT:
		r->results++;
		break;
	default:
		r->rejects++;
		break;
	}
}

static rp_err ingest_one(struct store *s, const struct store_in *it,
                         const struct store_retention *keep,
                         struct store_in_result *r)
{
	const struct store_in_refusal *f = &it->u.ref;
	struct store_admit a;
	bool moved; /* an update's move: not reported per item */
	rp_err rc;

	if (it->kind < STORE_IN_NONE || it->kind > STORE_IN_REFUSAL)
		return RP_E_INVAL;
	if (it->kind == STORE_IN_NONE)
		return RP_OK;
	if (it->kind == STORE_IN_REFUSAL) {
		rc = s->eng->refusal_add(s->e, it->received_at, f->route,
		                         f->peer, f->subject, f->reason,
		                         f->detail);
		r->refusals += rc == RP_OK;
		return rc;
	}
	memset(&a, 0, sizeof a);
	rc = s->eng->ingest_admit(s->e, it->serial, it->received_at, &a);
	if (rc == RP_E_NOT_FOUND ||
	    (rc == RP_OK && a.state != STORE_DEV_ENROLLED)) {
		r->unknown++;
		return RP_OK;
	}
	if (rc != RP_OK)
		return rc;
	if (!admitted(&a, it->kind)) {
		r->not_allowed++;
		return RP_OK;
	}
	rc = s->eng->ingest_put(s->e, it, keep);
	if (rc == RP_OK)
		tally(r, it->kind);
	if (rc == RP_OK && it->kind == STORE_IN_EVENT &&
	    it->u.ev.type == RP_EVENT_UPDATE)
		rc = upd_report_tx(s, it->serial, &it->u.ev.update,
		                   it->u.ev.detail, &moved);
	else if (rc == RP_OK && it->kind == STORE_IN_RESULT)
		rc = upd_result_tx(s, it->serial, &it->u.res, &moved);
	return rc;
}

rp_err store_ingest_write(struct store *s, const struct store_in *items,
                          size_t n, const struct store_retention *keep,
                          const struct store_counter *counters,
                          size_t n_counters, struct store_in_result *res)
{
	struct store_counter own[] = {{"stored_telemetry", 0},
	                              {"stored_events", 0},
	                              {"stored_results", 0},
	                              {"unknown_device", 0},
	                              {"not_allowed", 0}};
	enum { NOWN = sizeof own / sizeof own[0] };
	struct store_in_result r;
	rp_err rc;
	size_t i;

	if (res == NULL)
		return RP_E_INVAL;
	memset(res, 0, sizeof *res);
	memset(&r, 0, sizeof r);
	if (keep == NULL || (items == NULL && n > 0) ||
	    (counters == NULL && n_counters > 0))
		return RP_E_INVAL;
	/* a transaction already open is the caller's: never touch it */
	rc = store_begin(s);
	if (rc != RP_OK)
		return rc;
	for (i = 0; rc == RP_OK && i < n; i++)
		rc = ingest_one(s, &items[i], keep, &r);
	own[0].add = (int64_t)r.telemetry;
	own[1].add = (int64_t)r.events;
	own[2].add = (int64_t)r.results;
	own[3].add = (int64_t)r.unknown;
	own[4].add = (int64_t)r.not_allowed;
	for (i = 0; rc == RP_OK && i < NOWN + n_counters; i++) {
		const struct store_counter *c =
		    i < NOWN ? &own[i] : &counters[i - NOWN];

		if (c->name == NULL)
			rc = RP_E_INVAL;
		else if (c->add != 0)
			rc = s->eng->counter_add(s->e, c->name, c->add);
	}
	if (rc == RP_OK)
		rc = store_commit(s);
	else
		store_rollback(s);
	if (rc == RP_OK)
		*res = r;
	return rc;
}

rp_err store_status_get(struct store *s, const char *serial,
                        struct store_status *out)
{
	if (!key_valid(serial) || out == NULL)
		return RP_E_INVAL;
	return s->eng->status_get(s->e, serial, out);
}

rp_err store_device_status_each(struct store *s, store_dev_status_cb cb,
                                void *arg)
{
	if (cb == NULL)
		return RP_E_INVAL;
	return s->eng->device_status_each(s->e, now_s(), cb, arg);
}

rp_err store_event_each(struct store *s, const char *serial, int limit,
                        store_event_cb cb, void *arg)
{
	if (!key_valid(serial) || limit < 1 || cb == NULL)
		return RP_E_INVAL;
	return s->eng->event_each(s->e, serial, limit, cb, arg);
}

rp_err store_event_feed(struct store *s, int64_t after, int limit,
                        store_event_cb cb, void *arg)
{
	if (limit < 1 || cb == NULL)
		return RP_E_INVAL;
	return s->eng->event_feed(s->e, after < 0 ? -1 : after, limit, cb, arg);
}

rp_err store_command_add(struct store *s, const char *serial,
                         const struct rp_command *c)
{
	if (!key_valid(serial) || c == NULL || c->id[0] == '\0')
		return RP_E_INVAL;
	return s->eng->command_add(s->e, serial, c);
}

rp_err store_command_each(struct store *s, const char *serial, int limit,
                          store_command_cb cb, void *arg)
{
	if (!key_valid(serial) || limit < 1 || cb == NULL)
		return RP_E_INVAL;
	return s->eng->command_each(s->e, serial, limit, cb, arg);
}

rp_err store_counter_each(struct store *s, store_counter_cb cb, void *arg)
{
	if (cb == NULL)
		return RP_E_INVAL;
	return s->eng->counter_each(s->e, cb, arg);
}

/* --- releases ----------------------------------------------------------- */

/* 64 lower-case hex digits: a SHA-256 as a release id. */
static bool release_id_valid(const char *id)
{
	size_t n = 0;

	if (id == NULL)
		return false;
	for (; id[n] != '\0'; n++)
		if (!((id[n] >= '0' && id[n] <= '9') ||
		      (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return n == STORE_RELEASE_ID_LEN;
}

rp_err store_keyset_install(struct store *s, const uint8_t *rpks, size_t len,
                            int64_t epoch, int64_t expect)
{
	if (rpks == NULL || len == 0 || len > STORE_KEYSET_MAX ||
	    epoch > (int64_t)UINT32_MAX || expect < STORE_KEYSET_NONE ||
	    epoch <= expect)
		return RP_E_INVAL;
	return s->eng->keyset_install(s->e, rpks, len, epoch, expect, now_s());
}

rp_err store_keyset_get(struct store *s, struct store_keyset *out)
{
	if (out == NULL)
		return RP_E_INVAL;
	return s->eng->keyset_get(s->e, out);
}

rp_err store_keyset_each(struct store *s, store_keyset_cb cb, void *arg)
{
	if (cb == NULL)
		return RP_E_INVAL;
	return s->eng->keyset_each(s->e, cb, arg);
}

rp_err store_release_add(struct store *s, const struct store_release *r,
                         const char *sbom, size_t sbom_len)
{
	if (r == NULL || !release_id_valid(r->id) || r->hw_type[0] == '\0' ||
	    (r->kind != 0 && r->kind != 1) || r->payload_size < 0 ||
	    r->file_size < 0 || r->build_time < 0 ||
	    (sbom != NULL && (sbom_len == 0 || sbom_len > INT32_MAX)))
		return RP_E_INVAL;
	return s->eng->release_add(s->e, r, sbom, sbom != NULL ? sbom_len : 0,
	                           now_s());
}

rp_err store_release_get(struct store *s, const char *id,
                         struct store_release *out)
{
	if (!key_valid(id) || out == NULL)
		return RP_E_INVAL;
	return s->eng->release_get(s->e, id, out);
}

rp_err store_release_sbom(struct store *s, const char *id, char **text,
                          size_t *len)
{
	if (text != NULL)
		*text = NULL;
	if (len != NULL)
		*len = 0;
	if (!key_valid(id) || text == NULL || len == NULL)
		return RP_E_INVAL;
	return s->eng->release_sbom(s->e, id, text, len);
}

rp_err store_release_each(struct store *s, const char *hw, store_release_cb cb,
                          void *arg)
{
	if (cb == NULL)
		return RP_E_INVAL;
	return s->eng->release_each(s->e, or_empty(hw), cb, arg);
}

rp_err store_release_remove(struct store *s, const char *id)
{
	if (!key_valid(id))
		return RP_E_INVAL;
	return s->eng->release_remove(s->e, id);
}

/* --- known vulnerabilities ---------------------------------------------- */

rp_err store_vuln_put(struct store *s, const char *id, int64_t modified_us,
                      const char *rec, size_t len, enum store_vuln_put *out)
{
	enum store_vuln_put o = STORE_VULN_UNCHANGED;
	rp_err rc;

	if (id == NULL || id[0] == '\0' || strlen(id) > STORE_VULN_ID_MAX ||
	    rec == NULL || len == 0 || len > STORE_VULN_REC_MAX)
		return RP_E_INVAL;
	rc = s->eng->vuln_put(s->e, id, modified_us, rec, len, now_s(), &o);
	if (rc == RP_OK && out != NULL)
		*out = o;
	return rc;
}

rp_err store_vuln_each(struct store *s, store_vuln_cb cb, void *arg)
{
	if (cb == NULL)
		return RP_E_INVAL;
	return s->eng->vuln_each(s->e, cb, arg);
}

rp_err store_vuln_count(struct store *s, int64_t *n)
{
	if (n == NULL)
		return RP_E_INVAL;
	return s->eng->vuln_count(s->e, n);
}

/* --- firmware updates --------------------------------------------------- */

/* Stored state names by number: 0 rampartd's, then enum rp_update_state
 * (docs/updates.md "States", in their order). */
static const char *const upd_states[] = {
    STORE_UPD_SENT, "accepted",     "downloading", "downloaded",
    "verified",     "trial_marked", "rebooting",   "trial_running",
    "confirmed",    "rolled_back",  "failed",      "cancelled"};
#define UPD_NSTATES ((int)(sizeof upd_states / sizeof upd_states[0]))

const char *store_update_state_name(int state)
{
	return state >= 0 && state < UPD_NSTATES ? upd_states[state] : NULL;
}

int store_update_state_num(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < UPD_NSTATES; i++)
		if (strcmp(upd_states[i], name) == 0)
			return i;
	return -1;
}

rp_err store_update_add(struct store *s, const struct store_update *u)
{
	if (u == NULL || !key_valid(u->cmd_id) || !key_valid(u->serial) ||
	    !release_id_valid(u->release_id) ||
	    (u->base_id[0] != '\0' && !release_id_valid(u->base_id)) ||
	    u->size < 0)
		return RP_E_INVAL;
	return s->eng->update_add(s->e, u, now_s());
}

rp_err store_update_current(struct store *s, const char *serial,
                            struct store_update *out)
{
	if (!key_valid(serial) || out == NULL)
		return RP_E_INVAL;
	return s->eng->update_current(s->e, serial, out);
}

rp_err store_update_get(struct store *s, const char *cmd_id,
                        struct store_update *out)
{
	if (!key_valid(cmd_id) || out == NULL)
		return RP_E_INVAL;
	return s->eng->update_get(s->e, cmd_id, out);
}

rp_err store_update_each(struct store *s, const char *serial, int limit,
                         store_update_cb cb, void *arg)
{
	if (!key_valid(serial) || limit < 1 || cb == NULL)
		return RP_E_INVAL;
	return s->eng->update_each(s->e, serial, limit, cb, arg);
}

/* Does a report in state nxt at offset move u (not final) forward
 * (store.h store_update_report)? */
static bool upd_forward(const struct store_update *u, int nxt, int64_t offset)
{
	int cur = store_update_state_num(u->state);

	if (nxt > cur)
		return true;
	if (nxt == cur && offset > u->offset)
		return true;
	/* the device starts its download again */
	return nxt == RP_UPD_DOWNLOADING && offset == 0 &&
	       cur >= RP_UPD_DOWNLOADING && cur <= RP_UPD_VERIFIED;
}

/* Is this update row the device's and still open to a report of
 * release (NULL: any)? Reads it into *u. RP_E_NOT_FOUND: no such row. */
static rp_err upd_open_row(struct store *s, const char *serial,
                           const char *cmd_id, const char *release,
                           struct store_update *u, bool *open)
{
	rp_err rc = s->eng->update_get(s->e, cmd_id, u);

	*open = rc == RP_OK && !u->final && strcmp(u->serial, serial) == 0 &&
	        (release == NULL || strcmp(u->release_id, release) == 0);
	return rc;
}

/* store_update_report inside a transaction; a report of no use (an
 * unknown or finished command, a move backwards) counted, not an error */
static rp_err upd_report_tx(struct store *s, const char *serial,
                            const struct rp_update_report *r,
                            const char *detail, bool *applied)
{
	struct store_update u;
	bool open = false;
	rp_err rc;

	*applied = false;
	if (r->cmd[0] == '\0' || (int)r->state < RP_UPD_ACCEPTED ||
	    (int)r->state >= UPD_NSTATES || r->offset > INT64_MAX ||
	    r->size > INT64_MAX)
		goto ignored;
	rc = upd_open_row(s, serial, r->cmd, r->release, &u, &open);
	if (rc != RP_OK && rc != RP_E_NOT_FOUND)
		return rc;
	if (!open || !upd_forward(&u, (int)r->state, (int64_t)r->offset))
		goto ignored;
	snprintf(u.state, sizeof u.state, "%s", upd_states[r->state]);
	u.offset = (int64_t)r->offset;
	u.size = (int64_t)r->size;
	snprintf(u.code, sizeof u.code, "%s", r->code);
	snprintf(u.detail, sizeof u.detail, "%s", or_empty(detail));
	u.final = r->state >= RP_UPD_CONFIRMED;
	rc = s->eng->update_set(s->e, &u, now_s());
	*applied = rc == RP_OK;
	return rc;
ignored:
	return s->eng->counter_add(s->e, "update_ignored", 1);
}

/* The reason code a rejected command's detail starts with, as
 * store_update_result says, into code; false when it has none. */
static bool upd_detail_code(const char *detail, char *code, size_t cap)
{
	size_t n = 0;

	while (n < cap - 1 &&
	       ((detail[n] >= 'a' && detail[n] <= 'z') ||
	        (detail[n] >= '0' && detail[n] <= '9') || detail[n] == '_'))
		n++;
	if (n == 0 || n > RP_UPD_CODE_MAX ||
	    (detail[n] != ':' && detail[n] != '\0'))
		return false;
	memcpy(code, detail, n);
	code[n] = '\0';
	return true;
}

static rp_err upd_result_tx(struct store *s, const char *serial,
                            const struct rp_command_result *res, bool *applied)
{
	const char *status = rp_command_status_name(res->status);
	struct store_update u;
	bool open = false;
	rp_err rc;

	*applied = false;
	if (res->id[0] == '\0')
		return RP_OK;
	rc = upd_open_row(s, serial, res->id, NULL, &u, &open);
	if (rc == RP_E_NOT_FOUND)
		return RP_OK; /* not an update command: not ours */
	if (rc != RP_OK)
		return rc;
	if (!open || strcmp(u.state, STORE_UPD_SENT) != 0)
		return s->eng->counter_add(s->e, "update_ignored", 1);
	if (res->status == RP_CMD_OK) {
		snprintf(u.state, sizeof u.state, "%s",
		         upd_states[RP_UPD_ACCEPTED]);
	} else {
		snprintf(u.state, sizeof u.state, "%s",
		         upd_states[RP_UPD_FAILED]);
		if (!upd_detail_code(res->detail, u.code, sizeof u.code))
			snprintf(u.code, sizeof u.code, "%s",
			         status != NULL ? status : "rejected");
		u.final = true;
	}
	snprintf(u.detail, sizeof u.detail, "%s", res->detail);
	rc = s->eng->update_set(s->e, &u, now_s());
	*applied = rc == RP_OK;
	return rc;
}

/* Run one of the two in a transaction of its own unless one is open. */
static rp_err upd_in_tx(struct store *s, const char *serial,
                        const struct rp_update_report *r, const char *detail,
                        const struct rp_command_result *res, bool *applied)
{
	bool own = !s->in_tx;
	bool done = false;
	rp_err rc = RP_OK;

	if (own)
		rc = store_begin(s);
	if (rc == RP_OK)
		rc = r != NULL ? upd_report_tx(s, serial, r, detail, &done)
		               : upd_result_tx(s, serial, res, &done);
	if (own && rc == RP_OK)
		rc = store_commit(s);
	else if (own && s->in_tx)
		store_rollback(s);
	if (applied != NULL)
		*applied = rc == RP_OK && done;
	return rc;
}

rp_err store_update_report(struct store *s, const char *serial,
                           const struct rp_update_report *r, const char *detail,
                           bool *applied)
{
	if (applied != NULL)
		*applied = false;
	if (!key_valid(serial) || r == NULL ||
	    (int)r->state < RP_UPD_ACCEPTED || (int)r->state >= UPD_NSTATES)
		return RP_E_INVAL;
	return upd_in_tx(s, serial, r, detail, NULL, applied);
}

rp_err store_update_result(struct store *s, const char *serial,
                           const struct rp_command_result *res, bool *applied)
{
	if (applied != NULL)
		*applied = false;
	if (!key_valid(serial) || res == NULL)
		return RP_E_INVAL;
	return upd_in_tx(s, serial, NULL, NULL, res, applied);
}
