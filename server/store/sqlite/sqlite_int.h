/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_int.h - what the files of the SQLite engine share: the
 * connection struct, the statement helpers, and the engine functions
 * each file defines for the table in sqlite_engine.c.
 */
#ifndef RAMPARTD_STORE_SQLITE_INT_H
#define RAMPARTD_STORE_SQLITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/engine.h"

/* Statements of the ingest path, prepared once and reused (cached[]). */
enum {
	SQ_DEV_STATE,
	SQ_TEL_STATUS,
	SQ_TEL_ROW,
	SQ_TOUCH,
	SQ_EVENT_ROW,
	SQ_RESULT_ROW,
	SQ_RESULT_CMD,
	SQ_TRIM_TEL,
	SQ_TRIM_EV,
	SQ_TRIM_RES,
	SQ_COUNTER,
	SQ_COUNT
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *cached[SQ_COUNT]; /* owned: finalized at close */
	/* ROLLBACK, prepared at open (owned): parsing it when it is needed
	 * allocates, and a failure there would leave the transaction open */
	sqlite3_stmt *rollback;
	int64_t refusals_keep; /* store_opts */
};

/* The migrations embedded from migrations/ (embed_migrations.cmake). */
extern const struct store_migration store_sqlite_migrations[];
extern const size_t store_sqlite_n_migrations;

/* The connection's last error as a store error: RP_E_NOMEM when SQLite
 * had no memory (SQLITE_NOMEM), RP_E_STORE otherwise. Not logged. */
rp_err sq_err(struct sq *q);
/* Log what failed with SQLite's message; sq_err(). */
rp_err sq_fail(struct sq *q, const char *what);
/* Run sql (no rows); RP_E_NOMEM or RP_E_STORE, logged, on failure. */
rp_err sq_exec(struct sq *q, const char *sql);
/* Prepare sql (logged on failure); NULL on failure (sq_err() says
 * which). Finalize it. */
sqlite3_stmt *sq_prep(struct sq *q, const char *sql);
/* Step a statement that returns no row and finalize it; RP_E_EXISTS on a
 * key clash. */
rp_err sq_done(struct sq *q, sqlite3_stmt *st);
/* sq_done, then RP_E_NOT_FOUND if no row changed. */
rp_err sq_change_one(struct sq *q, sqlite3_stmt *st);
/* Bind key to parameter 1 and step once: RP_OK with a row to read,
 * RP_E_NOT_FOUND without, RP_E_NOMEM or RP_E_STORE (logged with what).
 * The caller finalizes st. */
rp_err sq_row(struct sq *q, sqlite3_stmt *st, const char *key,
              const char *what);
/* Step a walk to its end: RP_OK, or RP_E_NOMEM or RP_E_STORE logged
 * with what. */
rp_err sq_walk_end(struct sq *q, int last_step, const char *what);
/* Column col as text into dst (cap bytes), "" for NULL. */
void sq_text(char *dst, size_t cap, sqlite3_stmt *st, int col);
/* Bind t, not copied: it must stay as it is until the statement is
 * stepped for the last time, reset or finalized (binding a copy would
 * allocate, and a failed bind leaves the parameter NULL). */
void sq_bind_text(sqlite3_stmt *st, int i, const char *t);
void sq_bind_u64(sqlite3_stmt *st, int i, uint64_t v);
/* The columns of a device, as sq_read_device reads them from column c
 * on (SQ_DEV_NCOLS of them). */
#define SQ_DEV_COLS                                                        \
	"serial, hw_type, hw_token, grp, tags, state, allow_reprovision, " \
	"force_renew, created_at, updated_at, quarantined, "               \
	"quarantine_reason, quarantined_at"
#define SQ_DEV_NCOLS 13
void sq_read_device(sqlite3_stmt *st, int c, struct store_device *d);

/* sqlite_registry.c */
rp_err sq_device_add(void *e, const struct store_device *d, int64_t now);
rp_err sq_device_get(void *e, const char *serial, struct store_device *out);
rp_err sq_device_remove(void *e, const char *serial);
rp_err sq_device_set_state(void *e, const char *serial, int state, int64_t now);
rp_err sq_device_set_flags(void *e, const char *serial, int allow, int force,
                           int64_t now);
rp_err sq_device_set_quarantine(void *e, const char *serial, int on,
                                const char *reason, int64_t at, int64_t now);
rp_err sq_device_each(void *e, store_device_cb cb, void *arg);
rp_err sq_cert_add(void *e, const struct store_cert *c, const char *pem);
rp_err sq_cert_get(void *e, const char *serial, struct store_cert *out);
rp_err sq_cert_revoke(void *e, const char *serial, int reason, int64_t at);
rp_err sq_cert_mark_used(void *e, const char *serial, int64_t at);
rp_err sq_cert_each_kind(void *e, const char *kind, store_cert_cb cb,
                         void *arg);
rp_err sq_cert_each_of(void *e, const char *subject, store_cert_cb cb,
                       void *arg);
rp_err sq_cert_each_revoked(void *e, const char *kind, int64_t now,
                            store_cert_cb cb, void *arg);
rp_err sq_refusal_add(void *e, int64_t at, const char *route, const char *peer,
                      const char *subject, rp_err reason, const char *detail);
rp_err sq_refusal_each(void *e, int limit, store_refusal_cb cb, void *arg);
rp_err sq_crl_next_number(void *e, int64_t *out);
rp_err sq_crl_add(void *e, int64_t number, int64_t this_update,
                  int64_t next_update, const uint8_t *der, size_t len);
rp_err sq_meta_get(void *e, const char *key, uint8_t *val, size_t *len);
rp_err sq_meta_set(void *e, const char *key, const uint8_t *val, size_t len);

/* sqlite_ingest.c */
rp_err sq_ingest_admit(void *e, const char *serial, int64_t at,
                       struct store_admit *out);
rp_err sq_ingest_put(void *e, const struct store_in *it,
                     const struct store_retention *keep);
rp_err sq_counter_add(void *e, const char *name, int64_t add);
rp_err sq_status_get(void *e, const char *serial, struct store_status *out);
rp_err sq_device_status_each(void *e, int64_t now, store_dev_status_cb cb,
                             void *arg);
rp_err sq_event_each(void *e, const char *serial, int limit, store_event_cb cb,
                     void *arg);
rp_err sq_event_feed(void *e, int64_t after, int limit, store_event_cb cb,
                     void *arg);
rp_err sq_command_add(void *e, const char *serial, const struct rp_command *c);
rp_err sq_command_each(void *e, const char *serial, int limit,
                       store_command_cb cb, void *arg);
rp_err sq_counter_each(void *e, store_counter_cb cb, void *arg);

/* sqlite_release.c */
rp_err sq_keyset_install(void *e, const uint8_t *rpks, size_t len,
                         int64_t epoch, int64_t expect, int64_t now);
rp_err sq_keyset_get(void *e, struct store_keyset *out);
rp_err sq_keyset_each(void *e, store_keyset_cb cb, void *arg);
rp_err sq_release_add(void *e, const struct store_release *r, const char *sbom,
                      size_t sbom_len, int64_t now);
rp_err sq_release_get(void *e, const char *id, struct store_release *out);
rp_err sq_release_sbom(void *e, const char *id, char **text, size_t *len);
rp_err sq_release_each(void *e, const char *hw, store_release_cb cb, void *arg);
rp_err sq_release_remove(void *e, const char *id);

/* sqlite_update.c */
rp_err sq_update_add(void *e, const struct store_update *u, int64_t now);
rp_err sq_update_get(void *e, const char *cmd_id, struct store_update *out);
rp_err sq_update_current(void *e, const char *serial, struct store_update *out);
rp_err sq_update_each(void *e, const char *serial, int limit,
                      store_update_cb cb, void *arg);
rp_err sq_update_set(void *e, const struct store_update *u, int64_t now);

/* sqlite_vuln.c */
rp_err sq_vuln_put(void *e, const char *id, int64_t modified_us,
                   const char *rec, size_t len, int64_t now,
                   enum store_vuln_put *out);
rp_err sq_vuln_each(void *e, store_vuln_cb cb, void *arg);
rp_err sq_vuln_count(void *e, int64_t *n);

#endif
