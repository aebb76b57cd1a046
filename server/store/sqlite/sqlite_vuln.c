/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_vuln.c - the SQLite engine's known vulnerabilities: the OSV
 * records of migration 8, each as its JSON text keyed by its id. The
 * contract of each function is in store.h; store.c has checked the
 * arguments and passes the clock.
 */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

rp_err sq_vuln_put(void *e, const char *id, int64_t modified_us,
                   const char *rec, size_t len, int64_t now,
                   enum store_vuln_put *out)
{
	struct sq *q = e;
	/* one statement: a new id is inserted (versions 0), an older
	 * record replaced (versions + 1), a newer or equal one left alone
	 * (no row returned) */
	sqlite3_stmt *st = sq_prep(
	    q, "INSERT INTO vulns (id, modified_us, record, imported_at) "
	       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
	       "modified_us = excluded.modified_us, record = excluded.record, "
	       "imported_at = excluded.imported_at, versions = versions + 1 "
	       "WHERE excluded.modified_us > vulns.modified_us "
	       "RETURNING versions");
	rp_err rc = RP_OK;
	int r;

	*out = STORE_VULN_UNCHANGED;
	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, modified_us);
	sqlite3_bind_text(st, 3, rec, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0) == 0 ? STORE_VULN_NEW
		                                        : STORE_VULN_REPLACED;
		r = sqlite3_step(st);
	}
	if (r != SQLITE_DONE)
		rc = sq_fail(q, "vuln put");
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_vuln_each(void *e, store_vuln_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT id, record FROM vulns ORDER BY id");
	rp_err rc;
	int r;

	if (st == NULL)
		return sq_err(q);
	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *rec = (const char *)sqlite3_column_text(st, 1);

		if (id == NULL || rec == NULL) {
			r = SQLITE_NOMEM; /* NOT NULL columns: no memory */
			break;
		}
		if (cb(arg, id, rec, (size_t)sqlite3_column_bytes(st, 1)) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "vuln list");
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_vuln_count(void *e, int64_t *n)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT count(*) FROM vulns");
	rp_err rc = RP_OK;

	if (st == NULL)
		return sq_err(q);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = sq_fail(q, "vuln count");
	sqlite3_finalize(st);
	return rc;
}
