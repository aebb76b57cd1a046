/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_registry.c - the SQLite engine's registry: devices, certificates,
 * refusals, CRLs and small facts (tables of migrations 1-3 and 5). The
 * contract of each function is in store.h; store.c has checked the
 * arguments and passes the clock.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

/* --- devices ------------------------------------------------------------ */

rp_err sq_device_add(void *e, const struct store_device *d, int64_t now)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO devices (serial, hw_type, "
	                              "hw_token, grp, tags, state, "
	                              "allow_reprovision, force_renew, "
	                              "created_at, updated_at) "
	                              "VALUES (?,?,?,?,?,?,0,0,?,?)");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, d->serial);
	sq_bind_text(st, 2, d->hw_type);
	sq_bind_text(st, 3, d->hw_token);
	sq_bind_text(st, 4, d->group);
	sq_bind_text(st, 5, d->tags);
	sqlite3_bind_int(st, 6, d->state);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	return sq_done(q, st);
}

rp_err sq_device_get(void *e, const char *serial, struct store_device *out)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT " SQ_DEV_COLS " FROM devices WHERE serial = ?");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, serial, "device get");
	if (rc == RP_OK)
		sq_read_device(st, 0, out);
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_device_remove(void *e, const char *serial)
{
	struct sq *q = e;
	sqlite3_stmt *st;
	rp_err rc;

	/* one statement: deleted only while allowlisted; if nothing was,
	 * the device is either unknown or in another state */
	st = sq_prep(q, "DELETE FROM devices WHERE serial = ? AND state = 0");
	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, serial);
	rc = sq_change_one(q, st);
	if (rc == RP_E_NOT_FOUND) {
		struct store_device d;

		rc = sq_device_get(e, serial, &d);
		if (rc == RP_OK)
			rc = RP_E_STATE;
	}
	return rc;
}

rp_err sq_device_set_state(void *e, const char *serial, int state, int64_t now)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "UPDATE devices SET state = ?1, "
	                              "allow_reprovision = CASE WHEN ?1 = 1 "
	                              "THEN 0 ELSE allow_reprovision END, "
	                              "updated_at = ?2 WHERE serial = ?3");

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, now);
	sq_bind_text(st, 3, serial);
	return sq_change_one(q, st);
}

rp_err sq_device_set_flags(void *e, const char *serial, int allow, int force,
                           int64_t now)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "UPDATE devices SET allow_reprovision = ?, "
	               "force_renew = ?, updated_at = ? "
	               "WHERE serial = ?");

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int(st, 1, allow);
	sqlite3_bind_int(st, 2, force);
	sqlite3_bind_int64(st, 3, now);
	sq_bind_text(st, 4, serial);
	return sq_change_one(q, st);
}

rp_err sq_device_set_quarantine(void *e, const char *serial, int on,
                                const char *reason, int64_t at, int64_t now)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "UPDATE devices SET quarantined = ?, "
	                              "quarantine_reason = ?, "
	                              "quarantined_at = ?, updated_at = ? "
	                              "WHERE serial = ?");

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int(st, 1, on);
	sq_bind_text(st, 2, reason);
	sqlite3_bind_int64(st, 3, at);
	sqlite3_bind_int64(st, 4, now);
	sq_bind_text(st, 5, serial);
	return sq_change_one(q, st);
}

rp_err sq_device_each(void *e, store_device_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT " SQ_DEV_COLS " FROM devices ORDER BY serial");
	struct store_device d;
	rp_err rc;
	int r;

	if (st == NULL)
		return sq_err(q);
	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		sq_read_device(st, 0, &d);
		if (cb(arg, &d) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "device list");
	sqlite3_finalize(st);
	return rc;
}

/* --- certificates ------------------------------------------------------- */

#define CERT_COLS                                                            \
	"serial, subject, kind, not_before, not_after, revoked_at, reason, " \
	"uses, last_used_at"

static void read_cert(sqlite3_stmt *st, struct store_cert *c)
{
	memset(c, 0, sizeof *c);
	sq_text(c->serial, sizeof c->serial, st, 0);
	sq_text(c->subject, sizeof c->subject, st, 1);
	sq_text(c->kind, sizeof c->kind, st, 2);
	c->not_before = sqlite3_column_int64(st, 3);
	c->not_after = sqlite3_column_int64(st, 4);
	c->revoked_at = sqlite3_column_int64(st, 5);
	c->reason = sqlite3_column_int(st, 6);
	c->uses = sqlite3_column_int64(st, 7);
	c->last_used_at = sqlite3_column_int64(st, 8);
}

rp_err sq_cert_add(void *e, const struct store_cert *c, const char *pem)
{
	struct sq *q = e;
	/* added_seq: the order of addition (migration 5), under the write
	 * lock this statement holds */
	sqlite3_stmt *st =
	    sq_prep(q, "INSERT INTO certs (serial, subject, kind, "
	               "not_before, not_after, pem, added_seq) "
	               "VALUES (?,?,?,?,?,?, (SELECT COALESCE(MAX(added_seq), "
	               "0) + 1 FROM certs))");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, c->serial);
	sq_bind_text(st, 2, c->subject);
	sq_bind_text(st, 3, c->kind);
	sqlite3_bind_int64(st, 4, c->not_before);
	sqlite3_bind_int64(st, 5, c->not_after);
	sq_bind_text(st, 6, pem);
	return sq_done(q, st);
}

rp_err sq_cert_get(void *e, const char *serial, struct store_cert *out)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT " CERT_COLS " FROM certs WHERE serial = ?");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, serial, "cert get");
	if (rc == RP_OK)
		read_cert(st, out);
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_cert_revoke(void *e, const char *serial, int reason, int64_t at)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "UPDATE certs SET revoked_at = ?, "
	                              "reason = ? WHERE serial = ? "
	                              "AND revoked_at = 0");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int(st, 2, reason);
	sq_bind_text(st, 3, serial);
	rc = sq_change_one(q, st);
	if (rc == RP_E_NOT_FOUND) {
		struct store_cert c;

		/* unknown, or revoked already */
		rc = sq_cert_get(e, serial, &c);
		if (rc == RP_OK)
			rc = RP_E_STATE;
	}
	return rc;
}

rp_err sq_cert_mark_used(void *e, const char *serial, int64_t at)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "UPDATE certs SET uses = uses + 1, "
	                              "last_used_at = ? WHERE serial = ?");

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, at);
	sq_bind_text(st, 2, serial);
	return sq_change_one(q, st);
}

/* Walk the rows of st through cb, then finalize st. */
static rp_err cert_walk(struct sq *q, sqlite3_stmt *st, store_cert_cb cb,
                        void *arg)
{
	struct store_cert c;
	rp_err rc;
	int r;

	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		read_cert(st, &c);
		if (cb(arg, &c) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "cert list");
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_cert_each_kind(void *e, const char *kind, store_cert_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT " CERT_COLS " FROM certs "
	                              "WHERE kind = ? "
	                              "ORDER BY added_seq, serial");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, kind);
	return cert_walk(q, st, cb, arg);
}

rp_err sq_cert_each_of(void *e, const char *subject, store_cert_cb cb,
                       void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT " CERT_COLS " FROM certs "
	                              "WHERE subject = ? AND kind = 'device' "
	                              "ORDER BY not_after DESC, "
	                              "added_seq DESC, serial DESC");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, subject);
	return cert_walk(q, st, cb, arg);
}

rp_err sq_cert_each_revoked(void *e, const char *kind, int64_t now,
                            store_cert_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT " CERT_COLS " FROM certs "
	                              "WHERE kind = ? AND revoked_at != 0 "
	                              "AND not_after > ? ORDER BY serial");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, kind);
	sqlite3_bind_int64(st, 2, now);
	return cert_walk(q, st, cb, arg);
}

/* --- refusals ----------------------------------------------------------- */

rp_err sq_refusal_add(void *e, int64_t at, const char *route, const char *peer,
                      const char *subject, rp_err reason, const char *detail)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO refusals (at, route, peer, "
	                              "subject, reason, code, detail) "
	                              "VALUES (?,?,?,?,?,?,?)");
	int64_t id, every;
	bool in_tx = !sqlite3_get_autocommit(q->db);
	rp_err rc, trimmed;

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, at);
	sq_bind_text(st, 2, route);
	sq_bind_text(st, 3, peer);
	sq_bind_text(st, 4, subject);
	sqlite3_bind_text(st, 5, rp_errname(reason), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, (int)reason);
	sq_bind_text(st, 7, detail);
	rc = sq_done(q, st);
	/* ids grow by one per row (AUTOINCREMENT, never reused, rolled
	 * back with their transaction): trim by id range */
	id = sqlite3_last_insert_rowid(q->db);
	every = q->refusals_keep < 64 ? q->refusals_keep : 64;
	if (rc != RP_OK || every == 0 || id % every != 0 ||
	    id <= q->refusals_keep)
		goto out;
	st = sq_prep(q, "DELETE FROM refusals WHERE id <= ?");
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id - q->refusals_keep);
	/* the refusal is recorded; a failed trim is retried 64 rows on,
	 * unless SQLite rolled the caller's transaction back with it (a full
	 * disk, an I/O error): then the row is gone too, and what the caller
	 * writes next would go out on its own */
	trimmed = sq_done(q, st);
	if (trimmed != RP_OK && in_tx && sqlite3_get_autocommit(q->db))
		rc = trimmed;
out:
	return rc;
}

rp_err sq_refusal_each(void *e, int limit, store_refusal_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT id, at, route, peer, subject, "
	                              "reason, detail FROM refusals "
	                              "ORDER BY id DESC LIMIT ?");
	struct store_refusal f;
	rp_err rc;
	int r;

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int(st, 1, limit);
	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		memset(&f, 0, sizeof f);
		f.id = sqlite3_column_int64(st, 0);
		f.at = sqlite3_column_int64(st, 1);
		sq_text(f.route, sizeof f.route, st, 2);
		sq_text(f.peer, sizeof f.peer, st, 3);
		sq_text(f.subject, sizeof f.subject, st, 4);
		sq_text(f.reason, sizeof f.reason, st, 5);
		sq_text(f.detail, sizeof f.detail, st, 6);
		if (cb(arg, &f) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "refusal list");
	sqlite3_finalize(st);
	return rc;
}

/* --- CRLs and facts ----------------------------------------------------- */

rp_err sq_crl_next_number(void *e, int64_t *out)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT COALESCE(MAX(number), 0) + 1 FROM crls");
	rp_err rc = RP_OK;

	if (st == NULL)
		return sq_err(q);
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = sq_fail(q, "crl number");
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_crl_add(void *e, int64_t number, int64_t this_update,
                  int64_t next_update, const uint8_t *der, size_t len)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO crls (number, this_update, "
	                              "next_update, der) VALUES (?,?,?,?)");

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, number);
	sqlite3_bind_int64(st, 2, this_update);
	sqlite3_bind_int64(st, 3, next_update);
	sqlite3_bind_blob(st, 4, der, (int)len, SQLITE_STATIC);
	return sq_done(q, st);
}

rp_err sq_meta_get(void *e, const char *key, uint8_t *val, size_t *len)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT val FROM meta WHERE key = ?");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, key, "meta get");
	if (rc == RP_OK) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (n > *len) {
			rc = RP_E_BUFFER;
		} else {
			if (n > 0)
				memcpy(val, p, n);
			*len = n;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_meta_set(void *e, const char *key, const uint8_t *val, size_t len)
{
	struct sq *q = e;
	/* put: the value replaces any other, in one statement */
	sqlite3_stmt *st =
	    sq_prep(q, "INSERT INTO meta (key, val) VALUES (?, ?) "
	               "ON CONFLICT (key) DO UPDATE SET val = excluded.val");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, key);
	sqlite3_bind_blob(st, 2, val, (int)len, SQLITE_STATIC);
	return sq_done(q, st);
}
