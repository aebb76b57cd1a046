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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "rampart/log.h"
#include "store.h"

/* Statements of the ingest path, prepared once and reused (cached[]). */
enum {
	ST_DEV_STATE,
	ST_TEL_STATUS,
	ST_TEL_ROW,
	ST_TOUCH,
	ST_EVENT_ROW,
	ST_RESULT_ROW,
	ST_RESULT_CMD,
	ST_TRIM_TEL,
	ST_TRIM_EV,
	ST_TRIM_RES,
	ST_COUNTER,
	ST_COUNT
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *cached[ST_COUNT];
	int64_t refusals_keep; /* store_refusals_keep */
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
    /* 4: ingest (docs/rampartd.md "Ingest"): per-device status and last
     * telemetry, bounded telemetry/event/result history, commands sent,
     * ingest counters */
    "CREATE TABLE device_status ("
    " serial TEXT PRIMARY KEY,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " telemetry_at INTEGER NOT NULL DEFAULT 0,"
    " seq INTEGER NOT NULL DEFAULT 0,"
    " ts INTEGER NOT NULL DEFAULT 0,"
    " uptime_s INTEGER NOT NULL DEFAULT 0,"
    " cpu_permille INTEGER NOT NULL DEFAULT 0,"
    " mem_total_kb INTEGER NOT NULL DEFAULT 0,"
    " mem_avail_kb INTEGER NOT NULL DEFAULT 0,"
    " tcp TEXT NOT NULL DEFAULT '',"
    " udp TEXT NOT NULL DEFAULT '',"
    " fw_version TEXT NOT NULL DEFAULT '',"
    " fw_sha256 TEXT NOT NULL DEFAULT '',"
    " msgs_sent INTEGER NOT NULL DEFAULT 0,"
    " dropped INTEGER NOT NULL DEFAULT 0,"
    " interval_s INTEGER NOT NULL DEFAULT 0,"
    " log_seq INTEGER NOT NULL DEFAULT 0,"
    " log_head TEXT NOT NULL DEFAULT '',"
    " n_telemetry INTEGER NOT NULL DEFAULT 0,"
    " n_events INTEGER NOT NULL DEFAULT 0,"
    " n_results INTEGER NOT NULL DEFAULT 0,"
    " n_rejected INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE telemetry ("
    " id INTEGER PRIMARY KEY,"
    " serial TEXT NOT NULL,"
    " received_at INTEGER NOT NULL,"
    " ts INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " uptime_s INTEGER NOT NULL,"
    " cpu_permille INTEGER NOT NULL,"
    " mem_total_kb INTEGER NOT NULL,"
    " mem_avail_kb INTEGER NOT NULL,"
    " n_tcp INTEGER NOT NULL,"
    " n_udp INTEGER NOT NULL,"
    " fw_version TEXT NOT NULL,"
    " msgs_sent INTEGER NOT NULL,"
    " dropped INTEGER NOT NULL);"
    "CREATE INDEX telemetry_serial ON telemetry (serial, id);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY,"
    " serial TEXT NOT NULL,"
    " received_at INTEGER NOT NULL,"
    " ts INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " severity TEXT NOT NULL,"
    " count INTEGER NOT NULL,"
    " detail TEXT NOT NULL);"
    "CREATE INDEX events_serial ON events (serial, id);"
    "CREATE TABLE command_results ("
    " id INTEGER PRIMARY KEY,"
    " serial TEXT NOT NULL,"
    " received_at INTEGER NOT NULL,"
    " cmd_id TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " ts INTEGER NOT NULL,"
    " detail TEXT NOT NULL);"
    "CREATE INDEX command_results_serial ON command_results (serial, id);"
    "CREATE TABLE commands ("
    " id TEXT PRIMARY KEY,"
    " serial TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " arg TEXT NOT NULL,"
    " issued_at INTEGER NOT NULL,"
    " result_at INTEGER NOT NULL DEFAULT 0,"
    " status TEXT NOT NULL DEFAULT '',"
    " result_seq INTEGER NOT NULL DEFAULT 0,"
    " result_ts INTEGER NOT NULL DEFAULT 0,"
    " detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX commands_serial ON commands (serial, issued_at);"
    "CREATE TABLE ingest_counters ("
    " name TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL);",
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
	s->refusals_keep = STORE_REFUSALS_KEEP;
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
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->cached[i]);
	sqlite3_close(s->db);
	free(s);
}

void store_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

void store_refusals_keep(struct store *s, int64_t keep)
{
	s->refusals_keep = keep > 0 ? keep : 0;
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

/* One refusal row at time at; trims the table to refusals_keep. */
static rp_err refusal_insert(struct store *s, int64_t at, const char *route,
                             const char *peer, const char *subject,
                             rp_err reason, const char *detail)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO refusals (at, route, peer, "
	                           "subject, reason, code, detail) "
	                           "VALUES (?,?,?,?,?,?,?)");
	int64_t id, every;
	rp_err rc;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, route, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, peer ? peer : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, subject ? subject : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, rp_errname(reason), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, (int)reason);
	sqlite3_bind_text(st, 7, detail ? detail : "", -1, SQLITE_TRANSIENT);
	rc = step_done(s, st);
	/* ids grow by one per row (AUTOINCREMENT): trim by id range */
	id = sqlite3_last_insert_rowid(s->db);
	every = s->refusals_keep < 64 ? s->refusals_keep : 64;
	if (rc != RP_OK || every == 0 || id % every != 0 ||
	    id <= s->refusals_keep)
		goto out;
	st = prep(s, "DELETE FROM refusals WHERE id <= ?");
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id - s->refusals_keep);
	/* the refusal is recorded; a failed trim is retried 64 rows on */
	(void)step_done(s, st);
out:
	return rc;
}

rp_err store_refusal_add(struct store *s, const char *route, const char *peer,
                         const char *subject, rp_err reason, const char *detail)
{
	return refusal_insert(s, now_s(), route, peer, subject, reason, detail);
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

/* --- ingest ------------------------------------------------------------ */

static const char *const cached_sql[ST_COUNT] = {
    [ST_DEV_STATE] =
        "SELECT d.state, d.quarantined, EXISTS (SELECT 1 FROM certs c "
        "WHERE c.subject = d.serial AND c.kind = 'device' AND "
        "c.revoked_at = 0 AND c.not_after > ?2) "
        "FROM devices d WHERE d.serial = ?1",
    [ST_TEL_STATUS] =
        "INSERT INTO device_status (serial, first_seen, last_seen, "
        "telemetry_at, seq, ts, uptime_s, cpu_permille, mem_total_kb, "
        "mem_avail_kb, tcp, udp, fw_version, fw_sha256, msgs_sent, dropped, "
        "interval_s, log_seq, log_head, n_telemetry) "
        "VALUES (?1,?2,?2,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
        "?16,?17,1) "
        "ON CONFLICT (serial) DO UPDATE SET "
        "last_seen = max(last_seen, ?2), telemetry_at = ?2, seq = ?3, "
        "ts = ?4, uptime_s = ?5, cpu_permille = ?6, mem_total_kb = ?7, "
        "mem_avail_kb = ?8, tcp = ?9, udp = ?10, fw_version = ?11, "
        "fw_sha256 = ?12, msgs_sent = ?13, dropped = ?14, interval_s = ?15, "
        "log_seq = ?16, log_head = ?17, n_telemetry = n_telemetry + 1 "
        "RETURNING n_telemetry",
    [ST_TEL_ROW] = "INSERT INTO telemetry (serial, received_at, ts, seq, "
                   "uptime_s, cpu_permille, mem_total_kb, mem_avail_kb, "
                   "n_tcp, n_udp, fw_version, msgs_sent, dropped) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_TOUCH] = "INSERT INTO device_status (serial, first_seen, last_seen, "
                 "n_events, n_results, n_rejected) "
                 "VALUES (?1,?2,?2,?3,?4,?5) "
                 "ON CONFLICT (serial) DO UPDATE SET "
                 "last_seen = max(last_seen, ?2), "
                 "n_events = n_events + ?3, n_results = n_results + ?4, "
                 "n_rejected = n_rejected + ?5 "
                 "RETURNING n_events, n_results",
    [ST_EVENT_ROW] = "INSERT INTO events (serial, received_at, ts, seq, "
                     "type, severity, count, detail) "
                     "VALUES (?,?,?,?,?,?,?,?)",
    [ST_RESULT_ROW] = "INSERT INTO command_results (serial, received_at, "
                      "cmd_id, status, seq, ts, detail) "
                      "VALUES (?,?,?,?,?,?,?)",
    [ST_RESULT_CMD] = "UPDATE commands SET result_at = ?, status = ?, "
                      "result_seq = ?, result_ts = ?, detail = ? "
                      "WHERE id = ? AND serial = ? AND result_at = 0",
    [ST_TRIM_TEL] = "DELETE FROM telemetry WHERE serial = ?1 AND id <= "
                    "(SELECT id FROM telemetry WHERE serial = ?1 "
                    "ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    [ST_TRIM_EV] = "DELETE FROM events WHERE serial = ?1 AND id <= "
                   "(SELECT id FROM events WHERE serial = ?1 "
                   "ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    [ST_TRIM_RES] = "DELETE FROM command_results WHERE serial = ?1 AND "
                    "id <= (SELECT id FROM command_results WHERE "
                    "serial = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    [ST_COUNTER] = "INSERT INTO ingest_counters (name, value) VALUES (?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET "
                   "value = value + excluded.value",
};

/* The cached statement i, reset and unbound; NULL (logged) on failure. */
static sqlite3_stmt *cached(struct store *s, int i)
{
	sqlite3_stmt *st = s->cached[i];

	if (st == NULL) {
		st = prep(s, cached_sql[i]);
		s->cached[i] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

/* Step a cached statement to its end; *col0 (if not NULL) gets the first
 * column of its row (RETURNING). The statement stays cached. */
static rp_err run_cached(struct store *s, sqlite3_stmt *st, int64_t *col0,
                         int64_t *col1)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_ROW) {
		if (col0 != NULL)
			*col0 = sqlite3_column_int64(st, 0);
		if (col1 != NULL)
			*col1 = sqlite3_column_int64(st, 1);
		r = sqlite3_step(st);
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? RP_OK : fail(s, "ingest step");
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* "22,80,443" from a port list (cap: 6 bytes per port is enough). */
static void ports_text(char *dst, size_t cap, const uint16_t *p, uint16_t n)
{
	size_t o = 0;

	dst[0] = '\0';
	for (uint16_t i = 0; i < n && i < RP_PORTS_MAX && o < cap; i++)
		o += (size_t)snprintf(dst + o, cap - o, "%s%u", i ? "," : "",
		                      (unsigned)p[i]);
}

static uint16_t ports_parse(const char *t, uint16_t *p)
{
	uint16_t n = 0;
	char *end;

	while (t != NULL && *t != '\0' && n < RP_PORTS_MAX) {
		unsigned long v = strtoul(t, &end, 10);

		if (end == t || v == 0 || v > 65535)
			break;
		p[n++] = (uint16_t)v;
		t = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* Trim statement trim to keep rows of serial when count says it is
 * time: every min(keep, 64) rows, so at most keep + 63 are kept. */
static rp_err trim(struct store *s, int which, const char *serial,
                   int64_t count, int64_t keep)
{
	int64_t every = keep < 64 ? keep : 64;
	sqlite3_stmt *st;

	if (keep <= 0 || count % every != 0)
		return RP_OK;
	st = cached(s, which);
	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, keep);
	return run_cached(s, st, NULL, NULL);
}

static rp_err in_telemetry(struct store *s, const struct store_in *it,
                           const struct store_retention *keep)
{
	const struct rp_telemetry *t = &it->u.tel;
	char tcp[RP_PORTS_MAX * 6 + 1], udp[RP_PORTS_MAX * 6 + 1];
	sqlite3_stmt *st = cached(s, ST_TEL_STATUS);
	int64_t n = 0;
	rp_err rc;

	if (st == NULL)
		return RP_E_STORE;
	ports_text(tcp, sizeof tcp, t->tcp, t->n_tcp);
	ports_text(udp, sizeof udp, t->udp, t->n_udp);
	sqlite3_bind_text(st, 1, it->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->received_at);
	bind_u64(st, 3, t->seq);
	sqlite3_bind_int64(st, 4, t->ts);
	bind_u64(st, 5, t->uptime_s);
	sqlite3_bind_int64(st, 6, t->cpu_permille);
	bind_u64(st, 7, t->mem_total_kb);
	bind_u64(st, 8, t->mem_avail_kb);
	sqlite3_bind_text(st, 9, tcp, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, udp, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, t->fw_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, t->fw_sha256, -1, SQLITE_STATIC);
	bind_u64(st, 13, t->msgs_sent);
	bind_u64(st, 14, t->dropped);
	sqlite3_bind_int64(st, 15, t->interval_s);
	bind_u64(st, 16, t->log_seq);
	sqlite3_bind_text(st, 17, t->log_head, -1, SQLITE_STATIC);
	rc = run_cached(s, st, &n, NULL);
	if (rc != RP_OK)
		return rc;
	st = cached(s, ST_TEL_ROW);
	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, it->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->received_at);
	sqlite3_bind_int64(st, 3, t->ts);
	bind_u64(st, 4, t->seq);
	bind_u64(st, 5, t->uptime_s);
	sqlite3_bind_int64(st, 6, t->cpu_permille);
	bind_u64(st, 7, t->mem_total_kb);
	bind_u64(st, 8, t->mem_avail_kb);
	sqlite3_bind_int(st, 9, t->n_tcp);
	sqlite3_bind_int(st, 10, t->n_udp);
	sqlite3_bind_text(st, 11, t->fw_version, -1, SQLITE_STATIC);
	bind_u64(st, 12, t->msgs_sent);
	bind_u64(st, 13, t->dropped);
	rc = run_cached(s, st, NULL, NULL);
	if (rc == RP_OK)
		rc = trim(s, ST_TRIM_TEL, it->serial, n, keep->telemetry_keep);
	return rc;
}

/* last_seen and one count of kind for it->serial; trims its history. */
static rp_err in_touch(struct store *s, const struct store_in *it,
                       const struct store_retention *keep)
{
	sqlite3_stmt *st = cached(s, ST_TOUCH);
	int64_t n_ev = 0, n_res = 0;
	rp_err rc;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, it->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->received_at);
	sqlite3_bind_int(st, 3, it->kind == STORE_IN_EVENT);
	sqlite3_bind_int(st, 4, it->kind == STORE_IN_RESULT);
	sqlite3_bind_int(st, 5, it->kind == STORE_IN_REJECT);
	rc = run_cached(s, st, &n_ev, &n_res);
	if (rc == RP_OK && it->kind == STORE_IN_EVENT)
		rc = trim(s, ST_TRIM_EV, it->serial, n_ev, keep->events_keep);
	if (rc == RP_OK && it->kind == STORE_IN_RESULT)
		rc =
		    trim(s, ST_TRIM_RES, it->serial, n_res, keep->results_keep);
	return rc;
}

static const char *name_or(const char *n)
{
	return n != NULL ? n : "?";
}

static rp_err in_event(struct store *s, const struct store_in *it)
{
	const struct rp_event *e = &it->u.ev;
	sqlite3_stmt *st = cached(s, ST_EVENT_ROW);

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, it->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->received_at);
	sqlite3_bind_int64(st, 3, e->ts);
	bind_u64(st, 4, e->seq);
	sqlite3_bind_text(st, 5, name_or(rp_event_type_name(e->type)), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 6, name_or(rp_severity_name(e->severity)), -1,
	                  SQLITE_STATIC);
	bind_u64(st, 7, e->count);
	sqlite3_bind_text(st, 8, e->detail, -1, SQLITE_STATIC);
	return run_cached(s, st, NULL, NULL);
}

static rp_err in_result(struct store *s, const struct store_in *it)
{
	const struct rp_command_result *r = &it->u.res;
	const char *status = name_or(rp_command_status_name(r->status));
	sqlite3_stmt *st = cached(s, ST_RESULT_ROW);
	rp_err rc;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, it->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->received_at);
	sqlite3_bind_text(st, 3, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	bind_u64(st, 5, r->seq);
	sqlite3_bind_int64(st, 6, r->ts);
	sqlite3_bind_text(st, 7, r->detail, -1, SQLITE_STATIC);
	rc = run_cached(s, st, NULL, NULL);
	if (rc != RP_OK)
		return rc;
	/* the first result of a command we sent completes it */
	st = cached(s, ST_RESULT_CMD);
	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int64(st, 1, it->received_at);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	bind_u64(st, 3, r->seq);
	sqlite3_bind_int64(st, 4, r->ts);
	sqlite3_bind_text(st, 5, r->detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, it->serial, -1, SQLITE_STATIC);
	return run_cached(s, st, NULL, NULL);
}

/*
 * May it->serial send this item now? RP_OK if it is enrolled with a
 * device certificate that is valid and not revoked, and (quarantined)
 * the item is an event or a rejection: what the broker's ACL lets it
 * publish (docs/transport.md), checked again here because the broker
 * enforces its last snapshot (a reload lags, or fails). RP_E_NOT_FOUND
 * if not enrolled, RP_E_PERM if enrolled but not allowed.
 */
static rp_err in_allowed(struct store *s, const struct store_in *it)
{
	sqlite3_stmt *st = cached(s, ST_DEV_STATE);
	rp_err rc = RP_E_NOT_FOUND;
	int r;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, it->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->received_at);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == STORE_DEV_ENROLLED) {
		bool quarantined = sqlite3_column_int(st, 1) != 0;
		bool certified = sqlite3_column_int(st, 2) != 0;

		rc = certified && (!quarantined || it->kind == STORE_IN_EVENT ||
		                   it->kind == STORE_IN_REJECT)
		         ? RP_OK
		         : RP_E_PERM;
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = fail(s, "ingest device");
	}
	sqlite3_reset(st);
	return rc;
}

static rp_err in_one(struct store *s, const struct store_in *it,
                     const struct store_retention *keep,
                     struct store_in_result *res)
{
	rp_err rc;

	if (it->kind == STORE_IN_NONE)
		return RP_OK;
	if (it->kind == STORE_IN_REFUSAL) {
		rc = refusal_insert(s, it->received_at, it->u.ref.route,
		                    it->u.ref.peer, it->u.ref.subject,
		                    it->u.ref.reason, it->u.ref.detail);
		res->refusals += rc == RP_OK;
		return rc;
	}
	rc = in_allowed(s, it);
	if (rc == RP_E_NOT_FOUND || rc == RP_E_PERM) {
		if (rc == RP_E_NOT_FOUND)
			res->unknown++;
		else
			res->not_allowed++;
		return RP_OK;
	}
	if (rc != RP_OK)
		return rc;
	switch (it->kind) {
	case STORE_IN_TELEMETRY:
		rc = in_telemetry(s, it, keep);
		res->telemetry += rc == RP_OK;
		return rc;
	case STORE_IN_EVENT:
		rc = in_event(s, it);
		res->events += rc == RP_OK;
		break;
	case STORE_IN_RESULT:
		rc = in_result(s, it);
		res->results += rc == RP_OK;
		break;
	case STORE_IN_REJECT:
		res->rejects++;
		break;
	default:
		return RP_E_INVAL;
	}
	return rc == RP_OK ? in_touch(s, it, keep) : rc;
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
	sqlite3_stmt *st;
	bool began;
	rp_err rc;
	size_t i;

	memset(&r, 0, sizeof r);
	memset(res, 0, sizeof *res);
	rc = store_begin(s);
	/* a failed BEGIN (busy, or a transaction already open) has nothing
	 * of ours to roll back: never roll back someone else's */
	began = rc == RP_OK;
	for (i = 0; rc == RP_OK && i < n; i++)
		rc = in_one(s, &items[i], keep, &r);
	own[0].add = (int64_t)r.telemetry;
	own[1].add = (int64_t)r.events;
	own[2].add = (int64_t)r.results;
	own[3].add = (int64_t)r.unknown;
	own[4].add = (int64_t)r.not_allowed;
	for (i = 0; rc == RP_OK && i < n_counters + NOWN; i++) {
		const struct store_counter *c =
		    i < NOWN ? &own[i] : &counters[i - NOWN];

		if (c->add == 0)
			continue;
		st = cached(s, ST_COUNTER);
		if (st == NULL) {
			rc = RP_E_STORE;
			break;
		}
		sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, c->add);
		rc = run_cached(s, st, NULL, NULL);
	}
	if (rc == RP_OK)
		rc = store_commit(s);
	if (rc == RP_OK)
		*res = r;
	else if (began)
		store_rollback(s);
	return rc;
}

#define STATUS_COLS                                                        \
	"first_seen, last_seen, telemetry_at, seq, ts, uptime_s, "         \
	"cpu_permille, mem_total_kb, mem_avail_kb, tcp, udp, fw_version, " \
	"fw_sha256, msgs_sent, dropped, interval_s, log_seq, log_head, "   \
	"n_telemetry, n_events, n_results, n_rejected"

/* The status columns starting at column c. */
static void read_status(sqlite3_stmt *st, int c, struct store_status *o)
{
	struct rp_telemetry *t = &o->tel;

	memset(o, 0, sizeof *o);
	o->first_seen = sqlite3_column_int64(st, c + 0);
	o->last_seen = sqlite3_column_int64(st, c + 1);
	o->telemetry_at = sqlite3_column_int64(st, c + 2);
	t->seq = (uint64_t)sqlite3_column_int64(st, c + 3);
	t->ts = sqlite3_column_int64(st, c + 4);
	t->uptime_s = (uint64_t)sqlite3_column_int64(st, c + 5);
	t->cpu_permille = (uint32_t)sqlite3_column_int64(st, c + 6);
	t->mem_total_kb = (uint64_t)sqlite3_column_int64(st, c + 7);
	t->mem_avail_kb = (uint64_t)sqlite3_column_int64(st, c + 8);
	t->n_tcp =
	    ports_parse((const char *)sqlite3_column_text(st, c + 9), t->tcp);
	t->n_udp =
	    ports_parse((const char *)sqlite3_column_text(st, c + 10), t->udp);
	copy_col(t->fw_version, sizeof t->fw_version, st, c + 11);
	copy_col(t->fw_sha256, sizeof t->fw_sha256, st, c + 12);
	t->msgs_sent = (uint64_t)sqlite3_column_int64(st, c + 13);
	t->dropped = (uint64_t)sqlite3_column_int64(st, c + 14);
	t->interval_s = (uint32_t)sqlite3_column_int64(st, c + 15);
	t->log_seq = (uint64_t)sqlite3_column_int64(st, c + 16);
	copy_col(t->log_head, sizeof t->log_head, st, c + 17);
	o->n_telemetry = sqlite3_column_int64(st, c + 18);
	o->n_events = sqlite3_column_int64(st, c + 19);
	o->n_results = sqlite3_column_int64(st, c + 20);
	o->n_rejected = sqlite3_column_int64(st, c + 21);
}

rp_err store_status_get(struct store *s, const char *serial,
                        struct store_status *out)
{
	sqlite3_stmt *st = prep(s, "SELECT " STATUS_COLS
	                           " FROM device_status WHERE serial = ?");
	rp_err rc;

	if (st == NULL)
		return RP_E_STORE;
	rc = step_row(s, st, serial, "status get");
	if (rc == RP_OK)
		read_status(st, 0, out);
	sqlite3_finalize(st);
	return rc;
}

rp_err store_device_status_each(struct store *s, store_dev_status_cb cb,
                                void *arg)
{
	/* DEV_COLS are columns 0..12 of devices d; the status follows. */
	sqlite3_stmt *st = prep(
	    s, "SELECT d.serial, d.hw_type, d.hw_token, d.grp, d.tags, "
	       "d.state, d.allow_reprovision, d.force_renew, d.created_at, "
	       "d.updated_at, d.quarantined, d.quarantine_reason, "
	       "d.quarantined_at, s.serial IS NOT NULL, "
	       "s.first_seen, s.last_seen, s.telemetry_at, s.seq, s.ts, "
	       "s.uptime_s, s.cpu_permille, s.mem_total_kb, s.mem_avail_kb, "
	       "s.tcp, s.udp, s.fw_version, s.fw_sha256, s.msgs_sent, "
	       "s.dropped, s.interval_s, s.log_seq, s.log_head, "
	       "s.n_telemetry, s.n_events, s.n_results, s.n_rejected, "
	       "(SELECT COUNT(*) FROM certs c WHERE c.subject = d.serial "
	       " AND c.kind = 'device' AND c.not_after > ?1 "
	       " AND c.revoked_at = 0), "
	       "(SELECT COUNT(*) FROM certs c WHERE c.subject = d.serial "
	       " AND c.kind = 'device' AND c.not_after > ?1 "
	       " AND c.revoked_at != 0) "
	       "FROM devices d LEFT JOIN device_status s "
	       "ON s.serial = d.serial ORDER BY d.serial");
	struct store_device d;
	struct store_status ss;
	rp_err rc = RP_OK;
	int r;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_int64(st, 1, now_s());
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		read_device(st, &d);
		if (sqlite3_column_int(st, 13))
			read_status(st, 14, &ss);
		else
			memset(&ss, 0, sizeof ss);
		ss.certs_valid = sqlite3_column_int64(st, 36);
		ss.certs_revoked = sqlite3_column_int64(st, 37);
		if (cb(arg, &d, &ss) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = fail(s, "device status list");
	sqlite3_finalize(st);
	return rc;
}

/* Wire name back to the enum, for rows written with rp_*_name(). */
static int enum_of(const char *(*name)(int), const char *t, int lo, int hi)
{
	for (int v = lo; v <= hi; v++) {
		const char *n = name(v);

		if (n != NULL && t != NULL && strcmp(n, t) == 0)
			return v;
	}
	return 0;
}

static const char *ev_type_name(int v)
{
	return rp_event_type_name((enum rp_event_type)v);
}

static const char *ev_sev_name(int v)
{
	return rp_severity_name((enum rp_severity)v);
}

static const char *cmd_type_name(int v)
{
	return rp_command_type_name((enum rp_command_type)v);
}

static const char *cmd_status_name(int v)
{
	return rp_command_status_name((enum rp_command_status)v);
}

rp_err store_event_each(struct store *s, const char *serial, int limit,
                        store_event_cb cb, void *arg)
{
	sqlite3_stmt *st = prep(s, "SELECT id, received_at, ts, seq, type, "
	                           "severity, count, detail FROM events "
	                           "WHERE serial = ? ORDER BY id DESC LIMIT ?");
	struct store_event e;
	rp_err rc = RP_OK;
	int r;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof e);
		e.id = sqlite3_column_int64(st, 0);
		e.received_at = sqlite3_column_int64(st, 1);
		e.ev.ts = sqlite3_column_int64(st, 2);
		e.ev.seq = (uint64_t)sqlite3_column_int64(st, 3);
		e.ev.type = (enum rp_event_type)enum_of(
		    ev_type_name, (const char *)sqlite3_column_text(st, 4), 1,
		    32);
		e.ev.severity = (enum rp_severity)enum_of(
		    ev_sev_name, (const char *)sqlite3_column_text(st, 5), 0,
		    8);
		e.ev.count = (uint64_t)sqlite3_column_int64(st, 6);
		copy_col(e.ev.detail, sizeof e.ev.detail, st, 7);
		if (cb(arg, &e) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = fail(s, "event list");
	sqlite3_finalize(st);
	return rc;
}

rp_err store_command_add(struct store *s, const char *serial,
                         const struct rp_command *c)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO commands (id, serial, type, "
	                           "arg, issued_at) VALUES (?,?,?,?,?)");

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, name_or(rp_command_type_name(c->type)), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->arg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, c->ts);
	return step_done(s, st);
}

rp_err store_command_each(struct store *s, const char *serial, int limit,
                          store_command_cb cb, void *arg)
{
	sqlite3_stmt *st = prep(s, "SELECT id, serial, type, arg, issued_at, "
	                           "result_at, status, result_seq, result_ts, "
	                           "detail FROM commands WHERE serial = ? "
	                           "ORDER BY issued_at DESC, rowid DESC "
	                           "LIMIT ?");
	struct store_command c;
	rp_err rc = RP_OK;
	int r;

	if (st == NULL)
		return RP_E_STORE;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof c);
		copy_col(c.cmd.id, sizeof c.cmd.id, st, 0);
		copy_col(c.serial, sizeof c.serial, st, 1);
		c.cmd.type = (enum rp_command_type)enum_of(
		    cmd_type_name, (const char *)sqlite3_column_text(st, 2), 1,
		    32);
		copy_col(c.cmd.arg, sizeof c.cmd.arg, st, 3);
		c.cmd.ts = sqlite3_column_int64(st, 4);
		c.result_at = sqlite3_column_int64(st, 5);
		snprintf(c.res.id, sizeof c.res.id, "%s", c.cmd.id);
		c.res.status = (enum rp_command_status)enum_of(
		    cmd_status_name, (const char *)sqlite3_column_text(st, 6),
		    0, 8);
		c.res.seq = (uint64_t)sqlite3_column_int64(st, 7);
		c.res.ts = sqlite3_column_int64(st, 8);
		copy_col(c.res.detail, sizeof c.res.detail, st, 9);
		if (cb(arg, &c) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = fail(s, "command list");
	sqlite3_finalize(st);
	return rc;
}

rp_err store_counter_each(struct store *s, store_counter_cb cb, void *arg)
{
	sqlite3_stmt *st =
	    prep(s, "SELECT name, value FROM ingest_counters ORDER BY name");
	rp_err rc = RP_OK;
	int r;

	if (st == NULL)
		return RP_E_STORE;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(arg, (const char *)sqlite3_column_text(st, 0),
		       sqlite3_column_int64(st, 1)) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = fail(s, "counter list");
	sqlite3_finalize(st);
	return rc;
}
