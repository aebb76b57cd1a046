/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.h - what a store engine implements: struct store_engine, the
 * table of functions store.c calls. For engines (server/store/ENGINE/)
 * only; rampartd's modules use store.h.
 *
 * store.c owns what is the same for every engine: the spec, the
 * arguments (NULL and range checks: an engine is never called with a NULL
 * key, a NULL string where store.h allows NULL is passed as ""), the
 * clock (now is passed in), the transaction state (an engine's begin is
 * never called inside a transaction, its commit and rollback only inside
 * one) and the ingest policy (who may send what, the counters, one
 * transaction per batch). An engine stores and reads, with the semantics
 * store.h gives each function, and returns the errors it names there.
 * docs/store.md: how to add one.
 */
#ifndef RAMPARTD_STORE_ENGINE_H
#define RAMPARTD_STORE_ENGINE_H

#include <stddef.h>

#include "store/store.h"

/* One migration of an engine: its files are embedded at build time
 * (store_embed_migrations() in server/store/CMakeLists.txt) from
 * ENGINE/migrations/NNNN_name.sql, numbered 1, 2, ... without a gap. */
struct store_migration {
	int version;      /* NNNN */
	const char *name; /* "registry" for 0001_registry.sql */
	const char *sql;  /* the file's text */
};

/* What ingest needs to know of an item's serial (store.h: who may send
 * what); ingest_admit's answer. */
struct store_admit {
	int state;       /* enum store_dev_state */
	int quarantined; /* 0/1 */
	int certified;   /* a device certificate, not revoked, not_after > at */
};

/* e: the engine's connection, made by open, released by close. */
struct store_engine {
	const char *name; /* the spec's ENGINE */

	/* where: the spec after "ENGINE:"; o: complete. Creates and
	 * migrates (store.h store_open). *e owned by the caller (close). */
	rp_err (*open)(const char *where, const struct store_opts *o, void **e);
	void (*close)(void *e);
	rp_err (*begin)(void *e);
	/* On failure store.c calls rollback. */
	rp_err (*commit)(void *e);
	void (*rollback)(void *e);
	int (*schema_version)(void *e);
	rp_err (*check)(void *e);

	rp_err (*device_add)(void *e, const struct store_device *d,
	                     int64_t now);
	rp_err (*device_get)(void *e, const char *serial,
	                     struct store_device *out);
	rp_err (*device_remove)(void *e, const char *serial);
	rp_err (*device_set_state)(void *e, const char *serial, int state,
	                           int64_t now);
	/* allow, force: 0 or 1 */
	rp_err (*device_set_flags)(void *e, const char *serial, int allow,
	                           int force, int64_t now);
	/* cleared: on 0, reason "", at 0 */
	rp_err (*device_set_quarantine)(void *e, const char *serial, int on,
	                                const char *reason, int64_t at,
	                                int64_t now);
	rp_err (*device_each)(void *e, store_device_cb cb, void *arg);

	rp_err (*cert_add)(void *e, const struct store_cert *c,
	                   const char *pem);
	rp_err (*cert_get)(void *e, const char *serial, struct store_cert *out);
	rp_err (*cert_revoke)(void *e, const char *serial, int reason,
	                      int64_t at);
	rp_err (*cert_mark_used)(void *e, const char *serial, int64_t at);
	rp_err (*cert_each_kind)(void *e, const char *kind, store_cert_cb cb,
	                         void *arg);
	rp_err (*cert_each_of)(void *e, const char *subject, store_cert_cb cb,
	                       void *arg);
	rp_err (*cert_each_revoked)(void *e, const char *kind, int64_t now,
	                            store_cert_cb cb, void *arg);

	/* One refusal at time at, then the trim to refusals_keep; also
	 * called for the refusals of an ingest batch. */
	rp_err (*refusal_add)(void *e, int64_t at, const char *route,
	                      const char *peer, const char *subject,
	                      rp_err reason, const char *detail);
	rp_err (*refusal_each)(void *e, int limit, store_refusal_cb cb,
	                       void *arg);

	rp_err (*crl_next_number)(void *e, int64_t *out);
	rp_err (*crl_add)(void *e, int64_t number, int64_t this_update,
	                  int64_t next_update, const uint8_t *der, size_t len);

	/* Ingest, inside the batch's transaction. admit: RP_E_NOT_FOUND
	 * when serial is not a device. put: store one item of an admitted
	 * device (not NONE, not REFUSAL) as store_ingest_write says, with
	 * its status and trimming. counter_add: name's value + add. */
	rp_err (*ingest_admit)(void *e, const char *serial, int64_t at,
	                       struct store_admit *out);
	rp_err (*ingest_put)(void *e, const struct store_in *it,
	                     const struct store_retention *keep);
	rp_err (*counter_add)(void *e, const char *name, int64_t add);

	rp_err (*status_get)(void *e, const char *serial,
	                     struct store_status *out);
	rp_err (*device_status_each)(void *e, int64_t now,
	                             store_dev_status_cb cb, void *arg);
	rp_err (*event_each)(void *e, const char *serial, int limit,
	                     store_event_cb cb, void *arg);
	rp_err (*event_feed)(void *e, int64_t after, int limit,
	                     store_event_cb cb, void *arg);
	rp_err (*command_add)(void *e, const char *serial,
	                      const struct rp_command *c);
	rp_err (*command_each)(void *e, const char *serial, int limit,
	                       store_command_cb cb, void *arg);
	rp_err (*counter_each)(void *e, store_counter_cb cb, void *arg);

	rp_err (*meta_get)(void *e, const char *key, uint8_t *val, size_t *len);
	rp_err (*meta_set)(void *e, const char *key, const uint8_t *val,
	                   size_t len);

	/* Releases (store.h). keyset_install: RP_E_STATE unless the highest
	 * epoch installed is expect (STORE_KEYSET_NONE: none), checked and
	 * written in one statement under the write lock. release_each: hw
	 * "" for all. release_remove: RP_E_STATE while the engine's list of
	 * uses names the release. */
	rp_err (*keyset_install)(void *e, const uint8_t *rpks, size_t len,
	                         int64_t epoch, int64_t expect, int64_t now);
	rp_err (*keyset_get)(void *e, struct store_keyset *out);
	rp_err (*keyset_each)(void *e, store_keyset_cb cb, void *arg);
	rp_err (*release_add)(void *e, const struct store_release *r,
	                      const char *sbom, size_t sbom_len, int64_t now);
	rp_err (*release_get)(void *e, const char *id,
	                      struct store_release *out);
	rp_err (*release_sbom)(void *e, const char *id, char **text,
	                       size_t *len);
	rp_err (*release_each)(void *e, const char *hw, store_release_cb cb,
	                       void *arg);
	rp_err (*release_remove)(void *e, const char *id);

	/* Updates (store.h). update_add: RP_E_STATE when the serial has an
	 * update that is not final, checked and written in one statement.
	 * update_set: u's state, offset, size, code, detail and final, and
	 * updated_at = now, for u->cmd_id if it is not final
	 * (RP_E_NOT_FOUND otherwise); store.c decides the move. */
	rp_err (*update_add)(void *e, const struct store_update *u,
	                     int64_t now);
	rp_err (*update_get)(void *e, const char *cmd_id,
	                     struct store_update *out);
	rp_err (*update_current)(void *e, const char *serial,
	                         struct store_update *out);
	rp_err (*update_each)(void *e, const char *serial, int limit,
	                      store_update_cb cb, void *arg);
	rp_err (*update_set)(void *e, const struct store_update *u,
	                     int64_t now);

	/* Known vulnerabilities (store.h). vuln_put: *out always set. */
	rp_err (*vuln_put)(void *e, const char *id, int64_t modified_us,
	                   const char *rec, size_t len, int64_t now,
	                   enum store_vuln_put *out);
	rp_err (*vuln_each)(void *e, store_vuln_cb cb, void *arg);
	rp_err (*vuln_count)(void *e, int64_t *n);
};

/* The engines built in (store.c lists them). */
extern const struct store_engine store_engine_sqlite;

#endif
