/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle.c - every device lifecycle transition (lifecycle.h): each in
 * one store transaction, checked against the state table (state.c),
 * followed after its commit by one call of the audit hook per device
 * changed; and the start-up refusal of a store that holds a device with a
 * reserved id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rampart/alloc.h"
#include "rampart/broker.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "registry/csv.h"
#include "registry/lifecycle.h"

static registry_audit_fn audit_fn;
static void *audit_arg;

void registry_set_audit(registry_audit_fn fn, void *arg)
{
	audit_fn = fn;
	audit_arg = arg;
}

static void audit(const struct registry_actor *who, const char *id,
                  enum registry_transition t, enum registry_state from,
                  enum registry_state to, const char *detail, int64_t at)
{
	struct registry_audit a;

	if (audit_fn == NULL)
		return;
	a.actor = who;
	a.device = id;
	a.transition = t;
	a.from = from;
	a.to = to;
	a.detail = detail ? detail : "";
	a.at = at;
	audit_fn(audit_arg, &a);
}

void registry_audit_log(void *arg, const struct registry_audit *a)
{
	char id[4 * STORE_SERIAL_MAX + 1], name[4 * STORE_SERIAL_MAX + 1];
	char what[512];

	(void)arg;
	(void)rp_escape(id, sizeof id, a->device, strlen(a->device));
	(void)rp_escape(name, sizeof name, a->actor->name,
	                strlen(a->actor->name));
	switch (a->transition) {
	case REG_T_ADD:
		snprintf(what, sizeof what, "allowlisted %s%s", id, a->detail);
		break;
	case REG_T_REMOVE:
		snprintf(what, sizeof what, "removed %s from the allowlist",
		         id);
		break;
	case REG_T_ENROLL:
	case REG_T_RENEW:
		snprintf(what, sizeof what, "issued certificate %s to %s (%s)",
		         a->detail, id,
		         a->transition == REG_T_RENEW ? "renewal"
		                                      : "first enrollment");
		break;
	case REG_T_REPROVISION:
		snprintf(what, sizeof what, "allowed re-provisioning of %s",
		         id);
		break;
	case REG_T_FORCE_RENEW:
		snprintf(what, sizeof what, "forced renewal of %s", id);
		break;
	case REG_T_QUARANTINE:
		snprintf(what, sizeof what, "quarantined %s", id);
		break;
	case REG_T_RELEASE:
		snprintf(what, sizeof what, "released %s", id);
		break;
	case REG_T_REVOKE:
	case REG_T_DECOMMISSION:
		snprintf(what, sizeof what, "%s %s: %s",
		         a->transition == REG_T_DECOMMISSION ? "decommissioned"
		                                             : "revoked",
		         id, a->detail);
		break;
	default:
		snprintf(what, sizeof what, "%s %s",
		         registry_transition_name(a->transition), id);
	}
	rp_log_info("%s: %s [audit actor=%s:%s device=%s transition=%s "
	            "from=%s to=%s]",
	            name, what, registry_actor_kind_name(a->actor->kind), name,
	            id, registry_transition_name(a->transition),
	            registry_state_name(a->from), registry_state_name(a->to));
}

void lifecycle_done_free(struct lifecycle_done *done)
{
	if (done == NULL)
		return;
	free(done->serials);
	done->serials = NULL;
	done->n = 0;
}

/* The device and its displayed state, inside the caller's transaction:
 * RP_OK with *st REG_ABSENT when there is no such device. */
struct counts {
	int64_t now, valid, revoked;
};

static int count_one(void *arg, const struct store_cert *c)
{
	struct counts *k = arg;

	if (c->not_after <= k->now)
		return 0;
	if (c->revoked_at != 0)
		k->revoked++;
	else
		k->valid++;
	return 0;
}

static rp_err load(struct rampartd *rd, const char *id, int64_t now,
                   struct store_device *d, enum registry_state *st)
{
	struct counts k = {now, 0, 0};
	rp_err rc = store_device_get(rd->store, id, d);

	if (rc == RP_E_NOT_FOUND) {
		*st = REG_ABSENT;
		return RP_OK;
	}
	if (rc == RP_OK)
		rc = store_cert_each_of(rd->store, id, count_one, &k);
	if (rc == RP_OK)
		*st = registry_state(d, k.valid, k.revoked);
	return rc;
}

rp_err registry_get(struct rampartd *rd, const char *id, struct store_device *d,
                    enum registry_state *st)
{
	return load(rd, id, (int64_t)time(NULL), d, st);
}

/* Begin, load and check t against the table: RP_OK with the transaction
 * open, or an error with it rolled back (done->why set for RP_E_STATE). */
static rp_err open_checked(struct rampartd *rd, const char *id,
                           enum registry_transition t, int64_t now,
                           struct store_device *d, struct lifecycle_done *done)
{
	rp_err rc = store_begin(rd->store);

	if (rc != RP_OK)
		return rc;
	rc = load(rd, id, now, d, &done->from);
	if (rc == RP_OK)
		rc = registry_allows(done->from, t);
	if (rc == RP_E_STATE)
		registry_why(done->why, sizeof done->why, id, done->from, t);
	if (rc != RP_OK)
		store_rollback(rd->store);
	return rc;
}

/* Commit, read the new state and tell the hook; rolls back on failure. */
static rp_err close_audited(struct rampartd *rd,
                            const struct registry_actor *who, const char *id,
                            enum registry_transition t, int64_t now,
                            const char *detail, rp_err rc,
                            struct lifecycle_done *done)
{
	struct store_device d;

	if (rc == RP_OK)
		rc = load(rd, id, now, &d, &done->to);
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	if (rc != RP_OK) {
		store_rollback(rd->store);
		return rc;
	}
	audit(who, id, t, done->from, done->to, detail, now);
	return RP_OK;
}

static void done_init(struct lifecycle_done *done)
{
	memset(done, 0, sizeof *done);
}

/* --- revocation and decommissioning --------------------------------------- */

struct collect {
	const char *only; /* serial or NULL: all */
	int64_t now;
	struct lifecycle_done *done;
	size_t cap;
	int oom;
};

/* Collect a valid certificate's serial (they are revoked after the walk). */
static int collect_one(void *arg, const struct store_cert *c)
{
	struct collect *k = arg;
	struct lifecycle_done *d = k->done;

	if (c->revoked_at != 0 || c->not_after <= k->now)
		return 0;
	if (k->only != NULL && strcmp(k->only, c->serial) != 0)
		return 0;
	if (d->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		char(*s)[41] = rp_realloc(d->serials, cap * sizeof *s);

		if (s == NULL) {
			k->oom = 1;
			return 1;
		}
		d->serials = s;
		k->cap = cap;
	}
	snprintf(d->serials[d->n], sizeof d->serials[0], "%s", c->serial);
	d->n++;
	return 0;
}

rp_err lifecycle_revoke(struct rampartd *rd, const struct registry_actor *who,
                        const char *id, const char *only, int reason,
                        bool decommission, struct lifecycle_done *done)
{
	enum registry_transition t =
	    decommission ? REG_T_DECOMMISSION : REG_T_REVOKE;
	struct collect k;
	struct store_device d;
	char detail[96];
	size_t i;
	rp_err rc;

	done_init(done);
	memset(&k, 0, sizeof k);
	k.only = only;
	k.now = (int64_t)time(NULL);
	k.done = done;
	rc = open_checked(rd, id, t, k.now, &d, done);
	if (rc != RP_OK)
		return rc;
	rc = store_cert_each_of(rd->store, id, collect_one, &k);
	if (rc == RP_OK && k.oom)
		rc = RP_E_NOMEM;
	for (i = 0; rc == RP_OK && i < done->n; i++)
		rc = store_cert_revoke(rd->store, done->serials[i], reason,
		                       k.now);
	if (rc == RP_OK && !decommission && done->n == 0) {
		rc = RP_E_STATE;
		snprintf(done->why, sizeof done->why,
		         "no valid certificate to revoke");
	}
	if (rc == RP_OK && decommission)
		rc = store_device_set_state(rd->store, id,
		                            STORE_DEV_DECOMMISSIONED);
	snprintf(detail, sizeof detail, "revoked %zu certificate(s), reason %s",
	         done->n, ca_reason_name(reason));
	rc = close_audited(rd, who, id, t, k.now, detail, rc, done);
	if (rc != RP_OK)
		done->n = 0;
	return rc;
}

/* --- operator flags ------------------------------------------------------- */

rp_err registry_quarantine(struct rampartd *rd,
                           const struct registry_actor *who, const char *id,
                           bool on, const char *reason,
                           struct lifecycle_done *done)
{
	enum registry_transition t = on ? REG_T_QUARANTINE : REG_T_RELEASE;
	int64_t now = (int64_t)time(NULL);
	struct store_device d;
	rp_err rc;

	done_init(done);
	if (on && (reason == NULL || reason[0] == '\0' ||
	           strlen(reason) > STORE_QREASON_MAX))
		return RP_E_INVAL;
	rc = open_checked(rd, id, t, now, &d, done);
	if (rc != RP_OK)
		return rc;
	rc = store_device_set_quarantine(rd->store, id, on, reason, now);
	return close_audited(rd, who, id, t, now, "", rc, done);
}

rp_err registry_reprovision(struct rampartd *rd,
                            const struct registry_actor *who, const char *id,
                            struct lifecycle_done *done)
{
	int64_t now = (int64_t)time(NULL);
	struct store_device d;
	rp_err rc;

	done_init(done);
	rc = open_checked(rd, id, REG_T_REPROVISION, now, &d, done);
	if (rc != RP_OK)
		return rc;
	if (d.state == STORE_DEV_DECOMMISSIONED) /* a fresh approval */
		rc = store_device_set_state(rd->store, id,
		                            STORE_DEV_ALLOWLISTED);
	else
		rc = store_device_set_flags(rd->store, id, 1, d.force_renew);
	return close_audited(rd, who, id, REG_T_REPROVISION, now, "", rc, done);
}

rp_err registry_force_renew(struct rampartd *rd,
                            const struct registry_actor *who, const char *id,
                            struct lifecycle_done *done)
{
	int64_t now = (int64_t)time(NULL);
	struct store_device d;
	rp_err rc;

	done_init(done);
	rc = open_checked(rd, id, REG_T_FORCE_RENEW, now, &d, done);
	if (rc != RP_OK)
		return rc;
	rc = store_device_set_flags(rd->store, id, d.allow_reprovision, 1);
	return close_audited(rd, who, id, REG_T_FORCE_RENEW, now, "", rc, done);
}

/* --- the allowlist -------------------------------------------------------- */

struct import {
	struct rampartd *rd;
	char *why;
	size_t cap;
	char (*ids)[STORE_SERIAL_MAX + 1]; /* the rows added (owned) */
	unsigned *lines;                   /* ... their lines (owned) */
	size_t n, n_cap;
};

static int import_one(void *arg, unsigned line, const struct store_device *d)
{
	struct import *im = arg;
	rp_err rc;

	if (im->n == im->n_cap) {
		size_t cap = im->n_cap ? im->n_cap * 2 : 64;
		char(*ids)[STORE_SERIAL_MAX + 1] =
		    rp_realloc(im->ids, cap * sizeof *ids);
		unsigned *lines;

		if (ids != NULL)
			im->ids = ids;
		lines = ids ? rp_realloc(im->lines, cap * sizeof *lines) : NULL;
		if (lines == NULL) {
			snprintf(im->why, im->cap, "line %u: out of memory",
			         line);
			return 1;
		}
		im->lines = lines;
		im->n_cap = cap;
	}
	/* the table's add: a known serial is RP_E_EXISTS from the store */
	rc = store_device_add(im->rd->store, d);
	if (rc == RP_E_EXISTS)
		snprintf(im->why, im->cap,
		         "line %u: serial %s is already on the allowlist", line,
		         d->serial);
	else if (rc != RP_OK)
		snprintf(im->why, im->cap, "line %u: store failure", line);
	if (rc != RP_OK)
		return 1;
	snprintf(im->ids[im->n], sizeof im->ids[0], "%s", d->serial);
	im->lines[im->n++] = line;
	return 0;
}

rp_err registry_add_csv(struct rampartd *rd, const struct registry_actor *who,
                        const char *text, size_t len, size_t *rows, char *why,
                        size_t cap)
{
	struct import im;
	int64_t now = (int64_t)time(NULL);
	char detail[48];
	size_t i;
	rp_err rc;

	memset(&im, 0, sizeof im);
	im.rd = rd;
	im.why = why;
	im.cap = cap;
	*rows = 0;
	rc = store_begin(rd->store);
	if (rc != RP_OK)
		return rc;
	rc = allowlist_csv_parse(text, len, import_one, &im, rows, why, cap);
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	if (rc != RP_OK) {
		store_rollback(rd->store);
		*rows = 0;
		goto out;
	}
	for (i = 0; i < im.n; i++) {
		snprintf(detail, sizeof detail, " (CSV line %u)", im.lines[i]);
		audit(who, im.ids[i], REG_T_ADD, REG_ABSENT, REG_ALLOWLISTED,
		      detail, now);
	}
out:
	free(im.ids);
	free(im.lines);
	return rc;
}

rp_err registry_remove(struct rampartd *rd, const struct registry_actor *who,
                       const char *id, struct lifecycle_done *done)
{
	int64_t now = (int64_t)time(NULL);
	struct store_device d;
	rp_err rc;

	done_init(done);
	rc = open_checked(rd, id, REG_T_REMOVE, now, &d, done);
	if (rc != RP_OK)
		return rc;
	rc = store_device_remove(rd->store, id);
	return close_audited(rd, who, id, REG_T_REMOVE, now, "", rc, done);
}

/* --- EST ------------------------------------------------------------------ */

rp_err registry_enroll(struct rampartd *rd, const struct registry_actor *who,
                       const char *id, bool renew, const char *claim,
                       registry_issue_fn issue, void *arg, char *why,
                       size_t cap)
{
	enum registry_transition t = renew ? REG_T_RENEW : REG_T_ENROLL;
	struct lifecycle_done done;
	struct store_device d;
	struct store_cert sc;
	int64_t now = (int64_t)time(NULL);
	char *pem = NULL; /* ours, from issue */
	int tries;
	rp_err rc;

	done_init(&done);
	memset(&sc, 0, sizeof sc);
	why[0] = '\0';
	rc = store_begin(rd->store);
	if (rc != RP_OK)
		return rc;
	rc = load(rd, id, now, &d, &done.from);
	if (rc != RP_OK)
		goto out;
	rc = registry_allows(done.from, t);
	if (rc == RP_E_NOT_FOUND) {
		rc = RP_E_NOT_ALLOWLISTED;
		snprintf(why, cap, "serial %s is not on the allowlist", id);
	} else if (done.from == REG_DECOMMISSIONED) {
		rc = RP_E_DECOMMISSIONED;
		snprintf(why, cap, "serial %s is decommissioned", id);
	} else if (rc != RP_OK) {
		snprintf(why, cap, "serial %s is %s, not enrolled", id,
		         registry_state_name(done.from));
	} else if (!renew && done.from != REG_ALLOWLISTED &&
	           !d.allow_reprovision) {
		rc = RP_E_ENROLLED;
		snprintf(why, cap,
		         "serial %s is already enrolled and re-provisioning is "
		         "not allowed",
		         id);
	}
	/* Issue; a serial clash (2^-128) is issued again with a new serial. */
	for (tries = 0; rc == RP_OK && tries < 3; tries++) {
		free(pem);
		pem = NULL;
		memset(&sc, 0, sizeof sc);
		rc = issue(arg, &d, &sc, &pem, why, cap);
		if (rc != RP_OK)
			break;
		rc = store_cert_add(rd->store, &sc, pem);
		if (rc != RP_E_EXISTS)
			break;
	}
	if (rc == RP_OK)
		rc = store_device_set_state(rd->store, id, STORE_DEV_ENROLLED);
	if (rc == RP_OK && d.force_renew)
		rc = store_device_set_flags(rd->store, id, 0, 0);
	if (rc == RP_OK && claim != NULL)
		rc = store_cert_mark_used(rd->store, claim, now);
	if (rc == RP_OK) {
		rc = close_audited(rd, who, id, t, now, sc.serial, rc, &done);
		goto out_done;
	}
out:
	store_rollback(rd->store);
out_done:
	free(pem);
	return rc;
}

/* --- start-up ------------------------------------------------------------- */

struct reserved {
	size_t n;
	char cmd[1024]; /* the --decommission arguments, cut if long */
	int cut;
};

static int reserved_one(void *arg, const struct store_device *d)
{
	struct reserved *r = arg;
	char shown[4 * STORE_SERIAL_MAX + 1], arg1[STORE_SERIAL_MAX + 32];
	size_t len = strlen(r->cmd);
	int n;

	if (d->state == STORE_DEV_DECOMMISSIONED ||
	    rp_broker_device_id_check(d->serial, strlen(d->serial), NULL, 0) !=
	        RP_E_RESERVED)
		return 0;
	if (r->n++ == 0)
		rp_log_error("refusing to start: the store holds devices whose "
		             "ids are reserved for Rampart's own identities "
		             "(ids beginning with \"" RP_BROKER_RESERVED_PREFIX
		             "\"); no device may carry one, they could never "
		             "connect, and before this version such a device "
		             "could be granted the server's or the monitor's "
		             "rights at the broker:");
	(void)rp_escape(shown, sizeof shown, d->serial, strlen(d->serial));
	rp_log_error("  %s (%s)", shown, store_dev_state_name(d->state));
	/* an id of the valid charset is safe to paste into a shell */
	n = snprintf(arg1, sizeof arg1, " --decommission %s", d->serial);
	if (rp_broker_id_valid(d->serial, strlen(d->serial)) && n > 0 &&
	    len + (size_t)n < sizeof r->cmd)
		memcpy(r->cmd + len, arg1, (size_t)n + 1);
	else
		r->cut = 1;
	return 0;
}

rp_err lifecycle_check_reserved(struct rampartd *rd)
{
	struct reserved r;
	rp_err rc;

	memset(&r, 0, sizeof r);
	rc = store_device_each(rd->store, reserved_one, &r);
	if (rc != RP_OK)
		return rc;
	if (r.n == 0)
		return RP_OK;
	rp_log_error("to go on, start once with --decommission for each: it "
	             "is set decommissioned and its valid certificates are "
	             "revoked (reason cessationOfOperation; the rows stay for "
	             "the record), then rampartd starts as usual:");
	rp_log_error("  rampartd --data-dir %s%s%s", rd->data_dir, r.cmd,
	             r.cut ? " ... (one --decommission ID per device above)"
	                   : "");
	return RP_E_RESERVED;
}
