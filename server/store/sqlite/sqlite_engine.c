/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_engine.c - the SQLite engine of the store (engine.h): opening a
 * database file in WAL mode with synchronous=FULL (a committed enrollment
 * survives power loss, not only a crash of rampartd), its migrations,
 * transactions, and the statement helpers the engine's other files use
 * (sqlite_registry.c, sqlite_ingest.c).
 *
 * The migrations are migrations/NNNN_name.sql, embedded at build time;
 * PRAGMA user_version holds the number applied, and each runs in its own
 * transaction with the version bump, so a crash leaves the database at
 * one version or the next. A released migration is never edited.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/alloc.h"
#include "rampart/log.h"
#include "sqlite_int.h"

/* SQLite's result code r (extended or not) as a store error: its
 * allocation failing is RP_E_NOMEM (store.h), anything else RP_E_STORE. */
static rp_err sq_code(int r)
{
	return (r & 0xff) == SQLITE_NOMEM || r == SQLITE_IOERR_NOMEM
	           ? RP_E_NOMEM
	           : RP_E_STORE;
}

rp_err sq_err(struct sq *q)
{
	return sq_code(sqlite3_errcode(q->db));
}

rp_err sq_fail(struct sq *q, const char *what)
{
	rp_log_error("store: %s: %s", what, sqlite3_errmsg(q->db));
	return sq_err(q);
}

rp_err sq_exec(struct sq *q, const char *sql)
{
	char *msg = NULL; /* sqlite3_malloc'd by sqlite3_exec: freed here */
	rp_err rc = RP_OK;
	int r = sqlite3_exec(q->db, sql, NULL, NULL, &msg);

	if (r != SQLITE_OK) {
		/* no message when SQLite had no memory to copy it */
		rp_log_error("store: %s",
		             msg != NULL ? msg : sqlite3_errstr(r));
		rc = sq_code(r);
	}
	sqlite3_free(msg);
	return rc;
}

sqlite3_stmt *sq_prep(struct sq *q, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		(void)sq_fail(q, "prepare");
		sqlite3_finalize(st);
		st = NULL;
	}
	return st;
}

rp_err sq_done(struct sq *q, sqlite3_stmt *st)
{
	int r = sqlite3_step(st);
	rp_err rc = RP_OK;

	if (r == SQLITE_CONSTRAINT) {
		int ext = sqlite3_extended_errcode(q->db);

		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    ext == SQLITE_CONSTRAINT_UNIQUE)
			rc = RP_E_EXISTS;
		else
			rc = sq_fail(q, "constraint");
	} else if (r != SQLITE_DONE) {
		rc = sq_fail(q, "step");
	}
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_change_one(struct sq *q, sqlite3_stmt *st)
{
	rp_err rc = sq_done(q, st);

	if (rc == RP_OK && sqlite3_changes(q->db) == 0)
		rc = RP_E_NOT_FOUND;
	return rc;
}

rp_err sq_row(struct sq *q, sqlite3_stmt *st, const char *key, const char *what)
{
	int r;

	sq_bind_text(st, 1, key);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		return RP_OK;
	return r == SQLITE_DONE ? RP_E_NOT_FOUND : sq_fail(q, what);
}

rp_err sq_walk_end(struct sq *q, int last_step, const char *what)
{
	if (last_step == SQLITE_ROW || last_step == SQLITE_DONE)
		return RP_OK;
	return sq_fail(q, what);
}

void sq_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *t)
{
	/* not copied (a copy allocates, and a failed bind would leave the
	 * parameter NULL and the statement running with it) */
	sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

void sq_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

void sq_read_device(sqlite3_stmt *st, int c, struct store_device *d)
{
	memset(d, 0, sizeof *d);
	sq_text(d->serial, sizeof d->serial, st, c + 0);
	sq_text(d->hw_type, sizeof d->hw_type, st, c + 1);
	sq_text(d->hw_token, sizeof d->hw_token, st, c + 2);
	sq_text(d->group, sizeof d->group, st, c + 3);
	sq_text(d->tags, sizeof d->tags, st, c + 4);
	d->state = sqlite3_column_int(st, c + 5);
	d->allow_reprovision = sqlite3_column_int(st, c + 6);
	d->force_renew = sqlite3_column_int(st, c + 7);
	d->created_at = sqlite3_column_int64(st, c + 8);
	d->updated_at = sqlite3_column_int64(st, c + 9);
	d->quarantined = sqlite3_column_int(st, c + 10);
	sq_text(d->quarantine_reason, sizeof d->quarantine_reason, st, c + 11);
	d->quarantined_at = sqlite3_column_int64(st, c + 12);
}

/* PRAGMA user_version into *v; SQLite's result code (SQLITE_OK when *v
 * was read): the step's own, since under out-of-memory a PRAGMA can end
 * without its row and leave the connection's error code clean. */
static int read_version(struct sq *q, int *v)
{
	sqlite3_stmt *st = NULL;
	int r = sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL);

	*v = -1;
	if (r == SQLITE_OK) {
		r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			*v = sqlite3_column_int(st, 0);
			r = SQLITE_OK;
		} else if (r == SQLITE_DONE) {
			r = SQLITE_NOMEM; /* a PRAGMA that has a row gave none
			                   */
		}
	}
	sqlite3_finalize(st);
	return r;
}

static int sq_schema_version(void *e)
{
	int v;

	(void)read_version(e, &v);
	return v;
}

/* Apply the migrations above version v, each in its own transaction. */
static rp_err migrate(struct sq *q, int v)
{
	const int n = (int)store_sqlite_n_migrations;
	rp_err rc = RP_OK;
	char bump[64];

	for (; rc == RP_OK && v < n; v++) {
		const struct store_migration *m = &store_sqlite_migrations[v];
		int now, r;

		rc = sq_exec(q, "BEGIN IMMEDIATE");
		if (rc != RP_OK)
			break;
		/* under the write lock: another process may have applied it
		 * since we looked (two programs opening an old store) */
		r = read_version(q, &now);
		if (r != SQLITE_OK || now > v) {
			(void)sq_exec(q, "ROLLBACK");
			if (r != SQLITE_OK) {
				rp_log_error("store: reading the schema "
				             "version: %s",
				             sqlite3_errstr(r));
				rc = sq_code(r);
				break;
			}
			v = now - 1; /* the loop goes on after it */
			continue;
		}
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d",
		         m->version);
		rc = sq_exec(q, m->sql);
		if (rc == RP_OK)
			rc = sq_exec(q, bump);
		if (rc == RP_OK)
			rc = sq_exec(q, "COMMIT");
		if (rc != RP_OK) {
			rp_log_error("store: migration %d (%s) failed",
			             m->version, m->name);
			(void)sq_exec(q, "ROLLBACK");
			break;
		}
		rp_log_info("store: applied migration %d (%s)", m->version,
		            m->name);
	}
	return rc;
}

/* The text of one-row PRAGMA name into out ("" when none); SQLite's
 * result code (SQLITE_OK when it was read). */
static int pragma_text(struct sq *q, const char *name, char *out, size_t cap)
{
	char sql[64];
	sqlite3_stmt *st = NULL;
	int r;

	out[0] = '\0';
	snprintf(sql, sizeof sql, "PRAGMA %s", name);
	r = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	if (r == SQLITE_OK) {
		r = sqlite3_step(st);
		if (r == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
			snprintf(out, cap, "%s",
			         (const char *)sqlite3_column_text(st, 0));
			r = SQLITE_OK;
		} else if (r == SQLITE_ROW || r == SQLITE_DONE) {
			/* a PRAGMA that has a row gave none: its memory */
			r = SQLITE_NOMEM;
		}
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * store.h's durability is WAL with synchronous=FULL: SQLite answers a
 * journal_mode it cannot set with the mode it kept (a file system without
 * shared memory, a read-only folder), so read both back. Not being able
 * to read them is that failure's own (out of memory), not a verdict.
 */
static rp_err check_durable(struct sq *q, const char *where)
{
	char mode[16], sync[16];
	int r = pragma_text(q, "journal_mode", mode, sizeof mode);

	if (r == SQLITE_OK)
		r = pragma_text(q, "synchronous", sync, sizeof sync);
	if (r != SQLITE_OK) {
		rp_log_error("store: %s: reading the journal mode: %s", where,
		             sqlite3_errstr(r));
		return sq_code(r);
	}
	if (strcmp(mode, "wal") == 0 && strcmp(sync, "2") == 0)
		return RP_OK;
	rp_log_error("store: %s runs with journal_mode %s, synchronous %s; "
	             "rampartd needs wal and 2 (FULL) so that what it "
	             "acknowledges survives a power loss (is the data "
	             "directory on a local file system?)",
	             where, mode[0] ? mode : "?", sync[0] ? sync : "?");
	return RP_E_STORE;
}

static void sq_close(void *e)
{
	struct sq *q = e;

	if (q == NULL)
		return;
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(q->cached[i]);
	sqlite3_finalize(q->rollback);
	sqlite3_close(q->db);
	free(q);
}

/*
 * SQLite's process-wide settings, made once before the first connection
 * (sqlite3_config works only before SQLite initializes; if something in
 * the process initialized it first, the defaults stay, which is only
 * slower).
 *
 * The statement journal: an ingest batch is one transaction of several
 * statements each, and each statement that may abort half-way (an
 * upsert, an insert into an indexed table) keeps its own journal in
 * memory. By default that journal grows in 64 KiB chunks (the spill
 * size, SQLITE_STMTJRNL_SPILL) and is freed when the statement ends; a
 * 64 KiB block at the top of the heap, taken and given back per
 * statement, made glibc move the program break twice per telemetry
 * message (brk, then page faults on fresh zeroed pages), which cost a
 * quarter of the ingest rate (bench/50-ingest.sh). A spill size of -1
 * keeps statement journals in memory in 1 KiB chunks, which malloc
 * serves from its free lists. Our statements change a few pages; the
 * largest is a migration's, on a database of this size.
 */
static void sq_configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1);
}

static rp_err sq_open(const char *where, const struct store_opts *o, void **e)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	struct sq *q = rp_calloc(1, sizeof *q); /* owned until *e */
	rp_err rc = RP_E_STORE;
	int v, r;

	*e = NULL;
	if (q == NULL)
		return RP_E_NOMEM;
	(void)pthread_once(&configured, sq_configure);
	q->refusals_keep = o->refusals_keep;
	r = sqlite3_open_v2(where, &q->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_FULLMUTEX,
	                    NULL);
	if (r != SQLITE_OK) {
		rp_log_error("store: cannot open %s: %s", where,
		             q->db != NULL ? sqlite3_errmsg(q->db)
		                           : sqlite3_errstr(r));
		rc = sq_code(r);
		goto out;
	}
	sqlite3_busy_timeout(q->db, o->lock_wait_ms);
	/* before anything is written: a newer schema stays as it is */
	r = read_version(q, &v);
	if (r != SQLITE_OK) {
		rp_log_error("store: %s: reading the schema version: %s", where,
		             sqlite3_errstr(r));
		rc = sq_code(r);
		goto out;
	}
	if (v > (int)store_sqlite_n_migrations) {
		rp_log_error("store: %s has schema version %d, newer than this "
		             "program's %d: run the rampartd that wrote it (or "
		             "a newer one)",
		             where, v, (int)store_sqlite_n_migrations);
		rc = RP_E_STORE_VERSION;
		goto out;
	}
	rc = sq_exec(q, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                "PRAGMA foreign_keys = ON;");
	if (rc == RP_OK)
		rc = check_durable(q, where);
	if (rc == RP_OK)
		rc = migrate(q, v);
	if (rc == RP_OK) {
		q->rollback = sq_prep(q, "ROLLBACK");
		if (q->rollback == NULL)
			rc = sq_err(q);
	}
out:
	if (rc != RP_OK) {
		sq_close(q);
		return rc;
	}
	*e = q;
	return RP_OK;
}

static void sq_rollback(void *e)
{
	struct sq *q = e;
	int r;

	/* SQLite may have rolled back already (an I/O error, a full disk) */
	if (sqlite3_get_autocommit(q->db))
		return;
	r = sqlite3_step(q->rollback);
	sqlite3_reset(q->rollback);
	/* re-prepared by the step after a schema change, which allocates */
	if (r != SQLITE_DONE && !sqlite3_get_autocommit(q->db))
		(void)sq_exec(q, "ROLLBACK");
	if (!sqlite3_get_autocommit(q->db))
		rp_log_error("store: rollback failed: the transaction stays "
		             "open until the store is closed");
}

static rp_err sq_begin(void *e)
{
	struct sq *q = e;
	rp_err rc = sq_exec(q, "BEGIN IMMEDIATE");

	/* BEGIN leaves autocommit before it takes the write lock: when
	 * that fails (no memory for the WAL index) the connection would
	 * stay in a transaction nobody commits, and every later write go
	 * into it */
	if (rc != RP_OK)
		sq_rollback(q);
	return rc;
}

static rp_err sq_commit(void *e)
{
	return sq_exec(e, "COMMIT");
}

static rp_err sq_check(void *e)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "PRAGMA integrity_check");
	const unsigned char *t;
	rp_err rc = RP_E_STORE;

	if (st == NULL)
		return sq_err(q);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		if (t != NULL && strcmp((const char *)t, "ok") == 0)
			rc = RP_OK;
		else
			rp_log_error("store: integrity_check: %s",
			             t != NULL ? (const char *)t : "?");
	} else {
		rc = sq_fail(q, "integrity_check");
	}
	sqlite3_finalize(st);
	return rc;
}

const struct store_engine store_engine_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .schema_version = sq_schema_version,
    .check = sq_check,
    .device_add = sq_device_add,
    .device_get = sq_device_get,
    .device_remove = sq_device_remove,
    .device_set_state = sq_device_set_state,
    .device_set_flags = sq_device_set_flags,
    .device_set_quarantine = sq_device_set_quarantine,
    .device_each = sq_device_each,
    .cert_add = sq_cert_add,
    .cert_get = sq_cert_get,
    .cert_revoke = sq_cert_revoke,
    .cert_mark_used = sq_cert_mark_used,
    .cert_each_kind = sq_cert_each_kind,
    .cert_each_of = sq_cert_each_of,
    .cert_each_revoked = sq_cert_each_revoked,
    .refusal_add = sq_refusal_add,
    .refusal_each = sq_refusal_each,
    .crl_next_number = sq_crl_next_number,
    .crl_add = sq_crl_add,
    .ingest_admit = sq_ingest_admit,
    .ingest_put = sq_ingest_put,
    .counter_add = sq_counter_add,
    .status_get = sq_status_get,
    .device_status_each = sq_device_status_each,
    .event_each = sq_event_each,
    .event_feed = sq_event_feed,
    .command_add = sq_command_add,
    .command_each = sq_command_each,
    .counter_each = sq_counter_each,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .keyset_install = sq_keyset_install,
    .keyset_get = sq_keyset_get,
    .keyset_each = sq_keyset_each,
    .release_add = sq_release_add,
    .release_get = sq_release_get,
    .release_sbom = sq_release_sbom,
    .release_each = sq_release_each,
    .release_remove = sq_release_remove,
    .update_add = sq_update_add,
    .update_get = sq_update_get,
    .update_current = sq_update_current,
    .update_each = sq_update_each,
    .update_set = sq_update_set,
    .vuln_put = sq_vuln_put,
    .vuln_each = sq_vuln_each,
    .vuln_count = sq_vuln_count,
};
