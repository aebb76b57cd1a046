/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite.c - the store interface (store.h) on SQLite 3 in WAL mode.
 *
 * The schema is a list of numbered migrations; PRAGMA user_version holds the
 * number applied, and each migration runs in its own transaction with the
 * version bump, so a crash leaves the database at one version or the next.
 * synchronous=FULL: a committed enrollment survives power loss, not only a
 * crash of rampartd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "rampart/log.h"
#include "store.h"

struct store {
	sqlite3 *db;
};

/* Append only: a released migration is never edited. */
static const char *const migrations[] = {
    /* 1: registry, certificates, refusals, CRLs, facts */
    "CREATE TABLE devices ("
    " serial TEXT PRIMARY KEY,"
    " hw_type TEXT NOT NULL,"
    " hw_token TEXT NOT NULL DEFAULT '',"
    " grp TEXT NOT NULL,"
    " tags TEXT NOT NULL DEFAULT '',"
    " state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
    " allow_reprovision INTEGER NOT NULL DEFAULT 0,"
    " force_renew INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE certs ("
    " serial TEXT PRIMARY KEY,"
    " subject TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('device', 'claim')),"
    " not_before INTEGER NOT NULL,"
    " not_after INTEGER NOT NULL,"
    " revoked_at INTEGER NOT NULL DEFAULT 0,"
    " reason INTEGER NOT NULL DEFAULT 0,"
    " pem TEXT NOT NULL);"
    "CREATE INDEX certs_subject ON certs (subject, not_after);"
    "CREATE TABLE refusals ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " at INTEGER NOT NULL,"
    " route TEXT NOT NULL,"
    " peer TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " code INTEGER NOT NULL,"
    " detail TEXT NOT NULL);"
    "CREATE TABLE crls ("
    " number INTEGER PRIMARY KEY,"
    " this_update INTEGER NOT NULL,"
    " next_update INTEGER NOT NULL,"
    " der BLOB NOT NULL);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, val BLOB NOT NULL);",
    /* 2: claim use accounting */
    "ALTER TABLE certs ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE certs ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;",
    /* 3: quarantine (a flag on an enrolled device, with why and when) */
    "ALTER TABLE devices ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE devices ADD COLUMN quarantine_reason TEXT NOT NULL "
    "DEFAULT '';"
    "ALTER TABLE devices ADD COLUMN quarantined_at INTEGER NOT NULL "
    "DEFAULT 0;",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

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

static rp_err fail(struct store *s, const char *what)
{
	rp_log_error("store: %s: %s", what, sqlite3_errmsg(s->db));
	return RP_E_STORE;
}

/*
 * Bind key to the first parameter of the one-row SELECT st and step once:
 * RP_OK with a row to read, RP_E_NOT_FOUND without, RP_E_STORE on an
 * error (logged with what). The caller still finalizes st.
 */
static rp_err step_row(struct store *s, sqlite3_stmt *st, const char *key,
                       const char *what)
{
	int r;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		return RP_OK;
	return r == SQLITE_DONE ? RP_E_NOT_FOUND : fail(s, what);
}

static rp_err exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		rp_log_error("store: %s", msg ? msg : "exec failed");
		sqlite3_free(msg);
		return RP_E_STORE;
	}
	return RP_OK;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static rp_err migrate(struct store *s)
{
	rp_err rc = RP_OK;
	int v = store_schema_version(s);
	char bump[64];

	if (v < 0)
		return fail(s, "user_version");
	if (v > NMIGRATIONS) {
		rp_log_error("store: schema version %d is newer than this "
		             "rampartd (%d)",
		             v, NMIGRATIONS);
		return RP_E_STORE;
	}
	for (; v < NMIGRATIONS; v++) {
		rc = exec(s, "BEGIN IMMEDIATE");
		if (rc != RP_OK)
			break;
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
		rc = exec(s, migrations[v]);
		if (rc == RP_OK)
			rc = exec(s, bump);
		if (rc == RP_OK)
			rc = exec(s, "COMMIT");
		if (rc != RP_OK) {
			(void)exec(s, "ROLLBACK");
			break;
		}
		rp_log_info("store: applied migration %d", v + 1);
	}
	return rc;
}

rp_err store_open(const char *path, struct store **out)
{
	struct store *s = calloc(1, sizeof *s);
	rp_err rc = RP_E_STORE;

	*out = NULL;
	if (s == NULL)
		return RP_E_NOMEM;
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_FULLMUTEX,
	                    NULL) != SQLITE_OK) {
		rp_log_error("store: cannot open %s: %s", path,
		             s->db ? sqlite3_errmsg(s->db) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	rc = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	             "PRAGMA foreign_keys = ON;");
	if (rc == RP_OK)
		rc = migrate(s);
out:
	if (rc != RP_OK) {
		store_close(s);
		return rc;
	}
	*out = s;
	return RP_OK;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s);
}

rp_err store_begin(struct store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

rp_err store_commit(struct store *s)
{
	return exec(s, "COMMIT");
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)exec(s, "ROLLBACK");
}

rp_err store_check(struct store *s)
{
	sqlite3_stmt *st = NULL;
	rp_err rc = RP_E_STORE;

	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st,
	                       NULL) != SQLITE_OK)
		return fail(s, "integrity_check");
	if (sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0)
		rc = RP_OK;
	sqlite3_finalize(st);
	return rc;
}

/* Prepare sql or log why; NULL on failure. */
static sqlite3_stmt *prep(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		(void)fail(s, "prepare");
		return NULL;
	}
	return st;
}

/* Step a statement that returns no row; RP_E_EXISTS on a key clash. */
static rp_err step_done(struct store *s, sqlite3_stmt *st)
{
	int r = sqlite3_step(st);
	rp_err rc = RP_OK;

	if (r == SQLITE_CONSTRAINT) {
		int ext = sqlite3_extended_errcode(s->db);

		rc = (ext == SQLITE_CONSTRAINT_PRIMARYKEY ||
		      ext == SQLITE_CONSTRAINT_UNIQUE)
		         ? RP_E_EXISTS
		         : fail(s, "constraint");
	} else if (r != SQLITE_DONE) {
		rc = fail(s, "step");
	}
	sqlite3_finalize(st);
	return rc;
}

#define DEV_COLS                                                           \
	"serial, hw_type, hw_token, grp, tags, state, allow_reprovision, " \
	"force_renew, created_at, updated_at, quarantined, "               \
	"quarantine_reason, quarantined_at"

static void read_device(sqlite3_stmt *st, struct store_device *d)
{
	memset(d, 0, sizeof *d);
	copy_col(d->serial, sizeof d->serial, st, 0);
	copy_col(d->hw_type, sizeof d->hw_type, st, 1);
	copy_col(d->hw_token, sizeof d->hw_token, st, 2);
	copy_col(d->group, sizeof d->group, st, 3);
	copy_col(d->tags, sizeof d->tags, st, 4);
	d->state = sqlite3_column_int(st, 5);
	d->allow_reprovision = sqlite3_column_int(st, 6);
	d->force_renew = sqlite3_column_int(st, 7);
	d->created_at = sqlite3_column_int64(st, 8);
	d->updated_at = sqlite3_column_int64(st, 9);
	d->quarantined = sqlite3_column_int(st, 10);
	copy_col(d->quarantine_reason, sizeof d->quarantine_reason, st, 11);
	d->quarantined_at = sqlite3_column_int64(st, 12);
}

rp_err store_device_add(struct store *s, const struct store_device *d)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO devices (serial, hw_type, "
	                           "hw_token, grp, tags, state, "
	                           "allow_reprovision, force_renew, "
	                           "created_at, updated_at) "
	                           "VALUES (?,?,?,?,?,?,0,0,?,?)");
	int64_t now = now_s();

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, d->serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, d->hw_type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, d->hw_token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, d->group, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, d->tags, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 6, d->state);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	return step_done(s, st);
}

rp_err store_device_get(struct store *s, const char *serial,
                        struct store_device *out)
{
	sqlite3_stmt *st =
	    prep(s, "SELECT " DEV_COLS " FROM devices WHERE serial = ?");
	rp_err rc = RP_E_NOT_FOUND;

	if (st == NULL)
		return RP_E_STORE;
	rc = step_row(s, st, serial, "device get");
	if (rc == RP_OK)
		read_device(st, out);
	sqlite3_finalize(st);
	return rc;
}

/* Run an UPDATE/DELETE bound to serial; RP_E_NOT_FOUND if no row changed. */
static rp_err change_one(struct store *s, sqlite3_stmt *st)
{
	rp_err rc = step_done(s, st);

	if (rc == RP_OK && sqlite3_changes(s->db) == 0)
		rc = RP_E_NOT_FOUND;
	return rc;
}

rp_err store_device_remove(struct store *s, const char *serial)
{
	struct store_device d;
	sqlite3_stmt *st;
	rp_err rc = store_device_get(s, serial, &d);

	if (rc != RP_OK)
		return rc;
	if (d.state != STORE_DEV_ALLOWLISTED)
		return RP_E_STATE;
	st = prep(s, "DELETE FROM devices WHERE serial = ? AND state = 0");
	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
	return change_one(s, st);
}

rp_err store_device_set_state(struct store *s, const char *serial, int state)
{
	sqlite3_stmt *st = prep(s, "UPDATE devices SET state = ?, "
	                           "allow_reprovision = CASE WHEN ? = 1 THEN 0 "
	                           "ELSE allow_reprovision END, "
	                           "updated_at = ? WHERE serial = ?");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int64(st, 3, now_s());
	sqlite3_bind_text(st, 4, serial, -1, SQLITE_TRANSIENT);
	return change_one(s, st);
}

rp_err store_device_set_flags(struct store *s, const char *serial,
                              int allow_reprovision, int force_renew)
{
	sqlite3_stmt *st = prep(s, "UPDATE devices SET allow_reprovision = ?, "
	                           "force_renew = ?, updated_at = ? "
	                           "WHERE serial = ?");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int(st, 1, allow_reprovision);
	sqlite3_bind_int(st, 2, force_renew);
	sqlite3_bind_int64(st, 3, now_s());
	sqlite3_bind_text(st, 4, serial, -1, SQLITE_TRANSIENT);
	return change_one(s, st);
}

rp_err store_device_set_quarantine(struct store *s, const char *serial, int on,
                                   const char *reason, int64_t at)
{
	sqlite3_stmt *st = prep(s, "UPDATE devices SET quarantined = ?, "
	                           "quarantine_reason = ?, quarantined_at = ?, "
	                           "updated_at = ? WHERE serial = ?");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int(st, 1, on ? 1 : 0);
	sqlite3_bind_text(st, 2, on && reason ? reason : "", -1,
	                  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, on ? at : 0);
	sqlite3_bind_int64(st, 4, now_s());
	sqlite3_bind_text(st, 5, serial, -1, SQLITE_TRANSIENT);
	return change_one(s, st);
}

rp_err store_device_each(struct store *s, store_device_cb cb, void *arg)
{
	sqlite3_stmt *st =
	    prep(s, "SELECT " DEV_COLS " FROM devices ORDER BY serial");
	struct store_device d;
	rp_err rc = RP_OK;
	int r;

	if (st == NULL)
		return RP_E_STORE;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		read_device(st, &d);
		if (cb(arg, &d) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = fail(s, "device list");
	sqlite3_finalize(st);
	return rc;
}

#define CERT_COLS                                                            \
	"serial, subject, kind, not_before, not_after, revoked_at, reason, " \
	"uses, last_used_at"

static void read_cert(sqlite3_stmt *st, struct store_cert *c)
{
	memset(c, 0, sizeof *c);
	copy_col(c->serial, sizeof c->serial, st, 0);
	copy_col(c->subject, sizeof c->subject, st, 1);
	copy_col(c->kind, sizeof c->kind, st, 2);
	c->not_before = sqlite3_column_int64(st, 3);
	c->not_after = sqlite3_column_int64(st, 4);
	c->revoked_at = sqlite3_column_int64(st, 5);
	c->reason = sqlite3_column_int(st, 6);
	c->uses = sqlite3_column_int64(st, 7);
	c->last_used_at = sqlite3_column_int64(st, 8);
}

rp_err store_cert_add(struct store *s, const struct store_cert *c,
                      const char *pem)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO certs (serial, subject, kind, "
	                           "not_before, not_after, pem) "
	                           "VALUES (?,?,?,?,?,?)");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, c->serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, c->subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, c->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, c->not_before);
	sqlite3_bind_int64(st, 5, c->not_after);
	sqlite3_bind_text(st, 6, pem, -1, SQLITE_TRANSIENT);
	return step_done(s, st);
}

rp_err store_cert_get(struct store *s, const char *serial,
                      struct store_cert *out)
{
	sqlite3_stmt *st =
	    prep(s, "SELECT " CERT_COLS " FROM certs WHERE serial = ?");
	rp_err rc = RP_E_NOT_FOUND;

	if (st == NULL)
		return RP_E_STORE;
	rc = step_row(s, st, serial, "cert get");
	if (rc == RP_OK)
		read_cert(st, out);
	sqlite3_finalize(st);
	return rc;
}

rp_err store_cert_revoke(struct store *s, const char *serial, int reason,
                         int64_t at)
{
	struct store_cert c;
	sqlite3_stmt *st;
	rp_err rc = store_cert_get(s, serial, &c);

	if (rc != RP_OK)
		return rc;
	if (c.revoked_at != 0)
		return RP_E_STATE;
	st = prep(s, "UPDATE certs SET revoked_at = ?, reason = ? "
	             "WHERE serial = ? AND revoked_at = 0");
	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int(st, 2, reason);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_TRANSIENT);
	return change_one(s, st);
}

static rp_err cert_loop(struct store *s, sqlite3_stmt *st, store_cert_cb cb,
                        void *arg);

rp_err store_cert_mark_used(struct store *s, const char *serial, int64_t at)
{
	sqlite3_stmt *st = prep(s, "UPDATE certs SET uses = uses + 1, "
	                           "last_used_at = ? WHERE serial = ?");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
	return change_one(s, st);
}

rp_err store_cert_each_kind(struct store *s, const char *kind, store_cert_cb cb,
                            void *arg)
{
	sqlite3_stmt *st = prep(s, "SELECT " CERT_COLS " FROM certs "
	                           "WHERE kind = ? ORDER BY rowid");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
	return cert_loop(s, st, cb, arg);
}

static rp_err cert_loop(struct store *s, sqlite3_stmt *st, store_cert_cb cb,
                        void *arg)
{
	struct store_cert c;
	rp_err rc = RP_OK;
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		read_cert(st, &c);
		if (cb(arg, &c) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = fail(s, "cert list");
	sqlite3_finalize(st);
	return rc;
}

rp_err store_cert_each_of(struct store *s, const char *subject,
                          store_cert_cb cb, void *arg)
{
	sqlite3_stmt *st = prep(s, "SELECT " CERT_COLS " FROM certs "
	                           "WHERE subject = ? AND kind = 'device' "
	                           "ORDER BY not_after DESC, rowid DESC");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, subject, -1, SQLITE_TRANSIENT);
	return cert_loop(s, st, cb, arg);
}

rp_err store_cert_each_revoked(struct store *s, const char *kind, int64_t now,
                               store_cert_cb cb, void *arg)
{
	sqlite3_stmt *st = prep(s, "SELECT " CERT_COLS " FROM certs "
	                           "WHERE kind = ? AND revoked_at != 0 "
	                           "AND not_after > ? ORDER BY serial");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	return cert_loop(s, st, cb, arg);
}

rp_err store_refusal_add(struct store *s, const char *route, const char *peer,
                         const char *subject, rp_err reason, const char *detail)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO refusals (at, route, peer, "
	                           "subject, reason, code, detail) "
	                           "VALUES (?,?,?,?,?,?,?)");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int64(st, 1, now_s());
	sqlite3_bind_text(st, 2, route, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, peer ? peer : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, subject ? subject : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, rp_errname(reason), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, (int)reason);
	sqlite3_bind_text(st, 7, detail ? detail : "", -1, SQLITE_TRANSIENT);
	return step_done(s, st);
}

rp_err store_refusal_each(struct store *s, int limit, store_refusal_cb cb,
                          void *arg)
{
	sqlite3_stmt *st = prep(s, "SELECT id, at, route, peer, subject, "
	                           "reason, detail FROM refusals "
	                           "ORDER BY id DESC LIMIT ?");
	struct store_refusal r;
	rp_err rc = RP_OK;
	int x;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int(st, 1, limit);
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		r.id = sqlite3_column_int64(st, 0);
		r.at = sqlite3_column_int64(st, 1);
		copy_col(r.route, sizeof r.route, st, 2);
		copy_col(r.peer, sizeof r.peer, st, 3);
		copy_col(r.subject, sizeof r.subject, st, 4);
		copy_col(r.reason, sizeof r.reason, st, 5);
		copy_col(r.detail, sizeof r.detail, st, 6);
		if (cb(arg, &r) != 0)
			break;
	}
	if (x != SQLITE_ROW && x != SQLITE_DONE)
		rc = fail(s, "refusal list");
	sqlite3_finalize(st);
	return rc;
}

rp_err store_crl_next_number(struct store *s, int64_t *out)
{
	sqlite3_stmt *st =
	    prep(s, "SELECT COALESCE(MAX(number), 0) + 1 FROM crls");
	rp_err rc = RP_OK;

	if (st == NULL)
		return RP_E_STORE;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = fail(s, "crl number");
	sqlite3_finalize(st);
	return rc;
}

rp_err store_crl_add(struct store *s, int64_t number, int64_t this_update,
                     int64_t next_update, const uint8_t *der, size_t len)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO crls (number, this_update, "
	                           "next_update, der) VALUES (?,?,?,?)");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int64(st, 1, number);
	sqlite3_bind_int64(st, 2, this_update);
	sqlite3_bind_int64(st, 3, next_update);
	sqlite3_bind_blob(st, 4, der, (int)len, SQLITE_TRANSIENT);
	return step_done(s, st);
}

rp_err store_meta_get(struct store *s, const char *key, uint8_t *val,
                      size_t *len)
{
	sqlite3_stmt *st = prep(s, "SELECT val FROM meta WHERE key = ?");
	rp_err rc = RP_E_NOT_FOUND;

	if (st == NULL)
		return RP_E_STORE;
	rc = step_row(s, st, key, "meta get");
	if (rc == RP_OK) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const void *p = sqlite3_column_blob(st, 0);

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

rp_err store_meta_set(struct store *s, const char *key, const uint8_t *val,
                      size_t len)
{
	sqlite3_stmt *st =
	    prep(s, "INSERT OR REPLACE INTO meta (key, val) VALUES (?, ?)");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, val, (int)len, SQLITE_TRANSIENT);
	return step_done(s, st);
}
