/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_release.c - the SQLite engine's releases: the trusted release
 * key sets and the releases (tables of migration 6). The contract of each
 * function is in store.h; store.c has checked the arguments and passes
 * the clock.
 */
#include <stdio.h>
#include <string.h>

#include "rampart/alloc.h"
#include "sqlite_int.h"

/* --- key sets ----------------------------------------------------------- */

rp_err sq_keyset_install(void *e, const uint8_t *rpks, size_t len,
                         int64_t epoch, int64_t expect, int64_t now)
{
	struct sq *q = e;
	/* compare and set in one statement: it holds the write lock from
	 * the read of the highest epoch to the insert, so of two installs
	 * made against the same current set only the first inserts */
	sqlite3_stmt *st = sq_prep(
	    q, "INSERT INTO release_keysets (epoch, rpks, installed_at) "
	       "SELECT ?1, ?2, ?3 WHERE (SELECT COALESCE(MAX(epoch), -1) "
	       "FROM release_keysets) = ?4");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, epoch);
	sqlite3_bind_blob(st, 2, rpks, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, expect);
	rc = sq_change_one(q, st);
	/* no row inserted: the current set is not the one expected */
	if (rc == RP_E_NOT_FOUND || rc == RP_E_EXISTS)
		rc = RP_E_STATE;
	return rc;
}

#define KEYSET_COLS "epoch, rpks, installed_at"

static void read_keyset(sqlite3_stmt *st, struct store_keyset *k)
{
	const void *p = sqlite3_column_blob(st, 1);
	size_t n = (size_t)sqlite3_column_bytes(st, 1);

	k->epoch = sqlite3_column_int64(st, 0);
	k->installed_at = sqlite3_column_int64(st, 2);
	if (n > sizeof k->rpks)
		n = sizeof k->rpks; /* store.h: cut to the field's size */
	if (p != NULL && n > 0)
		memcpy(k->rpks, p, n);
	k->len = n;
}

rp_err sq_keyset_get(void *e, struct store_keyset *out)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT " KEYSET_COLS " FROM "
	                              "release_keysets ORDER BY epoch DESC "
	                              "LIMIT 1");
	rp_err rc = RP_OK;
	int r;

	if (st == NULL)
		return sq_err(q);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		read_keyset(st, out);
	else
		rc = r == SQLITE_DONE ? RP_E_NOT_FOUND
		                      : sq_fail(q, "key set get");
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_keyset_each(void *e, store_keyset_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT " KEYSET_COLS " FROM "
	                              "release_keysets ORDER BY epoch");
	struct store_keyset *k = rp_malloc(sizeof *k); /* owned here */
	rp_err rc = RP_E_NOMEM;
	int r = SQLITE_DONE;

	if (st == NULL) {
		rc = sq_err(q);
		goto out;
	}
	if (k == NULL)
		goto out;
	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		read_keyset(st, k);
		if (cb(arg, k) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "key set list");
out:
	sqlite3_finalize(st);
	rp_free(k);
	return rc;
}

/* --- releases ----------------------------------------------------------- */

#define RELEASE_COLS                                                    \
	"id, hw_type, ver_major, ver_minor, ver_patch, counter, kind, " \
	"payload_size, file_size, build_time, notes, "                  \
	"COALESCE(length(CAST(sbom AS BLOB)), 0), created_at"

static void read_release(sqlite3_stmt *st, struct store_release *r)
{
	memset(r, 0, sizeof *r);
	sq_text(r->id, sizeof r->id, st, 0);
	sq_text(r->hw_type, sizeof r->hw_type, st, 1);
	r->ver_major = (uint32_t)sqlite3_column_int64(st, 2);
	r->ver_minor = (uint32_t)sqlite3_column_int64(st, 3);
	r->ver_patch = (uint32_t)sqlite3_column_int64(st, 4);
	r->counter = (uint32_t)sqlite3_column_int64(st, 5);
	r->kind = sqlite3_column_int(st, 6);
	r->payload_size = sqlite3_column_int64(st, 7);
	r->file_size = sqlite3_column_int64(st, 8);
	r->build_time = sqlite3_column_int64(st, 9);
	sq_text(r->notes, sizeof r->notes, st, 10);
	r->sbom_len = sqlite3_column_int64(st, 11);
	r->created_at = sqlite3_column_int64(st, 12);
}

rp_err sq_release_add(void *e, const struct store_release *r, const char *sbom,
                      size_t sbom_len, int64_t now)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(
	    q, "INSERT INTO releases (id, hw_type, ver_major, ver_minor, "
	       "ver_patch, counter, kind, payload_size, file_size, "
	       "build_time, notes, sbom, created_at) "
	       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, r->id);
	sq_bind_text(st, 2, r->hw_type);
	sqlite3_bind_int64(st, 3, r->ver_major);
	sqlite3_bind_int64(st, 4, r->ver_minor);
	sqlite3_bind_int64(st, 5, r->ver_patch);
	sqlite3_bind_int64(st, 6, r->counter);
	sqlite3_bind_int(st, 7, r->kind);
	sqlite3_bind_int64(st, 8, r->payload_size);
	sqlite3_bind_int64(st, 9, r->file_size);
	sqlite3_bind_int64(st, 10, r->build_time);
	sq_bind_text(st, 11, r->notes);
	if (sbom != NULL) /* else parameter 12 stays NULL: no SBOM */
		sqlite3_bind_text(st, 12, sbom, (int)sbom_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, now);
	return sq_done(q, st);
}

rp_err sq_release_get(void *e, const char *id, struct store_release *out)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT " RELEASE_COLS " FROM releases WHERE id = ?");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, id, "release get");
	if (rc == RP_OK)
		read_release(st, out);
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_release_sbom(void *e, const char *id, char **text, size_t *len)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT sbom FROM releases WHERE id = ?");
	const unsigned char *t;
	size_t n;
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, id, "release sbom");
	if (rc != RP_OK || sqlite3_column_type(st, 0) == SQLITE_NULL)
		goto out;
	t = sqlite3_column_text(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (t == NULL) { /* not NULL in the table: SQLite had no memory */
		rc = sq_fail(q, "release sbom");
		goto out;
	}
	*text = rp_malloc(n + 1); /* the caller's (store.h) */
	if (*text == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	memcpy(*text, t, n);
	(*text)[n] = '\0';
	*len = n;
out:
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_release_each(void *e, const char *hw, store_release_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT " RELEASE_COLS " FROM releases "
	               "WHERE ?1 = '' OR hw_type = ?1 "
	               "ORDER BY hw_type, ver_major DESC, ver_minor DESC, "
	               "ver_patch DESC, counter DESC, id");
	struct store_release *r = rp_malloc(sizeof *r); /* owned here */
	rp_err rc = RP_E_NOMEM;
	int last = SQLITE_DONE;

	if (st == NULL) {
		rc = sq_err(q);
		goto out;
	}
	if (r == NULL)
		goto out;
	sq_bind_text(st, 1, hw);
	for (last = sqlite3_step(st); last == SQLITE_ROW;
	     last = sqlite3_step(st)) {
		read_release(st, r);
		if (cb(arg, r) != 0)
			break;
	}
	rc = sq_walk_end(q, last, "release list");
out:
	sqlite3_finalize(st);
	rp_free(r);
	return rc;
}

rp_err sq_release_remove(void *e, const char *id)
{
	struct sq *q = e;
	struct store_release r;
	sqlite3_stmt *st;
	rp_err rc;

	/* one statement: deleted only while nothing uses it. The uses are
	 * the view release_uses (migration 6): the migrations that add
	 * device assignments and rollouts define it again over their
	 * tables, and this statement stays as it is */
	st = sq_prep(q, "DELETE FROM releases WHERE id = ?1 AND NOT EXISTS "
	                "(SELECT 1 FROM release_uses WHERE release_id = ?1)");
	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, id);
	rc = sq_change_one(q, st);
	if (rc == RP_E_NOT_FOUND) {
		/* unknown, or in use */
		rc = sq_release_get(e, id, &r);
		if (rc == RP_OK)
			rc = RP_E_STATE;
	}
	return rc;
}
