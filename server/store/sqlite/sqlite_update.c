/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_update.c - the SQLite engine's firmware updates: the table
 * updates of migration 7. The contract of each function is in store.h
 * and engine.h; store.c has checked the arguments, decides what a report
 * does and passes the clock.
 */
#include <string.h>

#include "rampart/alloc.h"
#include "sqlite_int.h"

#define UPDATE_COLS                                                        \
	"cmd_id, serial, release_id, base_id, state, offset, size, code, " \
	"detail, created_at, updated_at, final"

static void read_update(sqlite3_stmt *st, struct store_update *u)
{
	sq_text(u->cmd_id, sizeof u->cmd_id, st, 0);
	sq_text(u->serial, sizeof u->serial, st, 1);
	sq_text(u->release_id, sizeof u->release_id, st, 2);
	sq_text(u->base_id, sizeof u->base_id, st, 3);
	sq_text(u->state, sizeof u->state, st, 4);
	u->offset = sqlite3_column_int64(st, 5);
	u->size = sqlite3_column_int64(st, 6);
	sq_text(u->code, sizeof u->code, st, 7);
	sq_text(u->detail, sizeof u->detail, st, 8);
	u->created_at = sqlite3_column_int64(st, 9);
	u->updated_at = sqlite3_column_int64(st, 10);
	u->final = sqlite3_column_int(st, 11) != 0;
}

rp_err sq_update_add(void *e, const struct store_update *u, int64_t now)
{
	struct sq *q = e;
	/* one statement: inserted only when the device has no update that
	 * is not final (the index updates_one_open holds it too) */
	sqlite3_stmt *st = sq_prep(
	    q, "INSERT INTO updates (cmd_id, serial, release_id, base_id, "
	       "state, size, created_at, updated_at) "
	       "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7 WHERE NOT EXISTS "
	       "(SELECT 1 FROM updates WHERE serial = ?2 AND final = 0)");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, u->cmd_id);
	sq_bind_text(st, 2, u->serial);
	sq_bind_text(st, 3, u->release_id);
	sq_bind_text(st, 4, u->base_id);
	sq_bind_text(st, 5, STORE_UPD_SENT);
	sqlite3_bind_int64(st, 6, u->size);
	sqlite3_bind_int64(st, 7, now);
	rc = sq_change_one(q, st);
	if (rc == RP_E_NOT_FOUND) /* nothing inserted: one is running */
		rc = RP_E_STATE;
	return rc; /* RP_E_EXISTS: the cmd_id was used */
}

rp_err sq_update_get(void *e, const char *cmd_id, struct store_update *out)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT " UPDATE_COLS " FROM updates WHERE cmd_id = ?");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, cmd_id, "update get");
	if (rc == RP_OK)
		read_update(st, out);
	sqlite3_finalize(st);
	return rc;
}

/* newest first: by created_at, then the last added first */
#define UPDATE_ORDER " ORDER BY created_at DESC, rowid DESC"

rp_err sq_update_current(void *e, const char *serial, struct store_update *out)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT " UPDATE_COLS " FROM updates "
	                              "WHERE serial = ? ORDER BY final, "
	                              "created_at DESC, rowid DESC LIMIT 1");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, serial, "update current");
	if (rc == RP_OK)
		read_update(st, out);
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_update_each(void *e, const char *serial, int limit,
                      store_update_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT " UPDATE_COLS " FROM updates "
	               "WHERE serial = ?1" UPDATE_ORDER " LIMIT ?2");
	struct store_update *u = rp_malloc(sizeof *u); /* owned here */
	rp_err rc = RP_E_NOMEM;
	int last = SQLITE_DONE;

	if (st == NULL) {
		rc = sq_err(q);
		goto out;
	}
	if (u == NULL)
		goto out;
	sq_bind_text(st, 1, serial);
	sqlite3_bind_int(st, 2, limit);
	for (last = sqlite3_step(st); last == SQLITE_ROW;
	     last = sqlite3_step(st)) {
		read_update(st, u);
		if (cb(arg, u) != 0)
			break;
	}
	rc = sq_walk_end(q, last, "update list");
out:
	sqlite3_finalize(st);
	rp_free(u);
	return rc;
}

rp_err sq_update_set(void *e, const struct store_update *u, int64_t now)
{
	struct sq *q = e;
	/* only an update that is not final moves (store.c decided the move
	 * on what it read in this transaction; the condition keeps the
	 * rule in the table as well) */
	sqlite3_stmt *st =
	    sq_prep(q, "UPDATE updates SET state = ?2, offset = ?3, size = ?4, "
	               "code = ?5, detail = ?6, final = ?7, updated_at = ?8 "
	               "WHERE cmd_id = ?1 AND final = 0");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, u->cmd_id);
	sq_bind_text(st, 2, u->state);
	sqlite3_bind_int64(st, 3, u->offset);
	sqlite3_bind_int64(st, 4, u->size);
	sq_bind_text(st, 5, u->code);
	sq_bind_text(st, 6, u->detail);
	sqlite3_bind_int(st, 7, u->final ? 1 : 0);
	sqlite3_bind_int64(st, 8, now);
	return sq_change_one(q, st);
}
