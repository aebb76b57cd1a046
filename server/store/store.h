/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - rampartd's persistent state behind one engine-neutral
 * interface: the allowlist/device registry, issued certificates,
 * refusals, CRLs, what devices report over MQTT (status, history, events,
 * command results), a few key/value facts, and firmware releases with
 * their trusted release key sets.
 *
 * An engine (server/store/ENGINE/) implements it; store_open() picks one
 * from the spec, "ENGINE:WHERE" ("sqlite:/var/lib/rampart/rampart.db").
 * Every engine passes the conformance suite (tests/store/), which tests
 * this file's contract and nothing else; docs/store.md says how to add
 * one. Nothing here names an engine's mechanism (locks, row ids, upsert
 * syntax): where order matters it is stated in terms of the data.
 *
 * The contract that holds for every function below:
 *
 * - Durability: a write outside a transaction is atomic and durable when
 *   it returns RP_OK (it survives a crash of rampartd and a power loss);
 *   inside store_begin()/store_commit() nothing is durable before
 *   store_commit() returns RP_OK, and then all of it is.
 * - Isolation: one struct store is one connection, used by one thread at
 *   a time. Other connections (other processes) see a transaction's
 *   writes all at once, at commit.
 * - Errors: RP_OK, or RP_E_INVAL (a NULL, empty or out-of-range argument:
 *   nothing was done), RP_E_NOT_FOUND (no such key), RP_E_EXISTS (the key
 *   is taken), RP_E_STATE (the entity is not in a state that allows it),
 *   RP_E_NOMEM, RP_E_BUFFER (store_meta_get), or RP_E_STORE (the engine
 *   failed: I/O, a full disk, corruption, or another connection held the
 *   write lock for longer than store_opts.lock_wait_ms; the reason is
 *   logged). A failed write changed nothing, except inside a transaction,
 *   where the caller must store_rollback() (which undoes all of it).
 * - Strings: keys and fields are NUL-terminated text; results are copied
 *   into the caller's structs and cut to their fields' sizes.
 * - Callbacks (the _each functions): called in the stated order with a
 *   struct that is valid during the call only; a non-zero return stops
 *   the walk and the function returns RP_OK. A callback may not call the
 *   store.
 * - Time: created_at/updated_at and the "now" of status lists come from
 *   rampartd's clock, Unix seconds; every other time is the caller's.
 */
#ifndef RAMPARTD_STORE_H
#define RAMPARTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/telemetry.h"

struct store;

enum store_dev_state {
	STORE_DEV_ALLOWLISTED = 0,
	STORE_DEV_ENROLLED = 1,
	STORE_DEV_DECOMMISSIONED = 2,
};

#define STORE_SERIAL_MAX  64 /* device serial: chars, without the NUL */
#define STORE_TOKEN_MAX   128
#define STORE_FIELD_MAX   64
#define STORE_TAGS_MAX    256
#define STORE_QREASON_MAX 256

struct store_device {
	char serial[STORE_SERIAL_MAX + 1];
	char hw_type[STORE_FIELD_MAX + 1];
	char hw_token[STORE_TOKEN_MAX + 1]; /* "" when none registered */
	char group[STORE_FIELD_MAX + 1];
	char tags[STORE_TAGS_MAX + 1];
	int state;             /* enum store_dev_state */
	int allow_reprovision; /* operator allowed one more enrollment */
	int force_renew;       /* operator forced a renewal */
	int64_t created_at, updated_at;
	/* Quarantine (an enrolled device): the broker lets it publish only
	 * events and receive commands. Kept across re-provisioning. */
	int quarantined;
	char quarantine_reason[STORE_QREASON_MAX + 1];
	int64_t quarantined_at;
};

/* Certificate kinds (store_cert.kind): nothing else is stored. */
#define STORE_CERT_DEVICE "device"
#define STORE_CERT_CLAIM  "claim"

struct store_cert {
	char serial[41]; /* lower-case hex, no leading zeros stripped */
	char subject[STORE_SERIAL_MAX + 1]; /* device serial or claim group */
	char kind[8];                       /* STORE_CERT_* */
	int64_t not_before, not_after;
	int64_t revoked_at; /* 0: not revoked */
	int reason;         /* CRL reason code (RFC 5280 5.3.1) */
	int64_t uses;       /* claims: enrollments it was used for */
	int64_t last_used_at;
};

/* "allowlisted", "enrolled", "decommissioned"; "unknown" otherwise. */
const char *store_dev_state_name(int state);

/* --- opening ------------------------------------------------------------ */

/* Rows kept in refusals by default: the broker's refusal events come at
 * up to its refusal_rate (20/s by default) for as long as anyone keeps
 * dialling, so the table is bounded. */
#define STORE_REFUSALS_KEEP 1000000

/* Options every engine honours; store_opts_init() sets the defaults. */
struct store_opts {
	/* How long a write waits for another connection that holds the
	 * store's write lock before it fails with RP_E_STORE (default 5000;
	 * 0: fail at once). */
	int lock_wait_ms;
	/* Refusals kept: at least the newest refusals_keep (default
	 * STORE_REFUSALS_KEEP; 0: all). Older rows are deleted eventually,
	 * in batches of the engine's choosing: a few more than
	 * refusals_keep may be held for a while, never fewer. */
	int64_t refusals_keep;
};

void store_opts_init(struct store_opts *o);

/*
 * Open the store named by spec, creating it if needed, and bring its
 * schema up to date: the engine's migrations are applied in order, each
 * in its own transaction with its record, so a crash leaves the store at
 * one version or the next, never between. opts NULL: the defaults.
 *
 * spec: "ENGINE:WHERE"; ENGINE is an engine's name ("sqlite"; WHERE: a
 * file path). A spec without ':', or whose first '/' comes before its
 * first ':', is a path for the sqlite engine.
 *
 * *out is owned by the caller; release with store_close(). Errors:
 * RP_E_INVAL (an unknown engine, an empty WHERE), RP_E_STORE_VERSION (the
 * store was migrated by a newer program: it is left untouched, and the
 * versions are logged), RP_E_STORE, RP_E_NOMEM.
 */
rp_err store_open(const char *spec, struct store **out) RP_WARN_UNUSED;
rp_err store_open_with(const char *spec, const struct store_opts *opts,
                       struct store **out) RP_WARN_UNUSED;
/* Closes; an open transaction is rolled back. s may be NULL. */
void store_close(struct store *s);

/* The engine's name, as in the spec ("sqlite"). */
const char *store_engine_name(const struct store *s);

/*
 * Transactions: store_begin() takes the store's write lock (waiting up to
 * lock_wait_ms for another connection: RP_E_STORE after that) and starts
 * a transaction; RP_E_STATE if one is open already (they do not nest).
 * store_commit(): RP_OK when everything since store_begin() is durable;
 * RP_E_STATE without a transaction; on RP_E_STORE the transaction is
 * rolled back (nothing of it is stored). store_rollback() undoes
 * everything since store_begin(); without a transaction it does nothing.
 */
rp_err store_begin(struct store *s) RP_WARN_UNUSED;
rp_err store_commit(struct store *s) RP_WARN_UNUSED;
void store_rollback(struct store *s);

/* The number of migrations applied (1, 2, ...); -1 on failure. */
int store_schema_version(struct store *s);

/* The engine's own consistency check of everything stored: RP_OK when it
 * finds nothing wrong, RP_E_STORE (logged) otherwise. */
rp_err store_check(struct store *s) RP_WARN_UNUSED;

/* --- devices / allowlist ------------------------------------------------ */

/*
 * Add d->serial with d's hw_type, hw_token, group, tags and state;
 * allow_reprovision, force_renew and the quarantine start cleared,
 * created_at = updated_at = now. RP_E_EXISTS if the serial is known.
 */
rp_err store_device_add(struct store *s,
                        const struct store_device *d) RP_WARN_UNUSED;
/* RP_E_NOT_FOUND if serial is not known. */
rp_err store_device_get(struct store *s, const char *serial,
                        struct store_device *out) RP_WARN_UNUSED;
/* Removes the entry: RP_E_NOT_FOUND, or RP_E_STATE unless it is only
 * allowlisted (an enrolled device is decommissioned, never removed). */
rp_err store_device_remove(struct store *s, const char *serial) RP_WARN_UNUSED;
/* Sets the state (RP_E_INVAL: not an enum store_dev_state) and
 * updated_at; becoming STORE_DEV_ENROLLED consumes allow_reprovision.
 * RP_E_NOT_FOUND. */
rp_err store_device_set_state(struct store *s, const char *serial,
                              int state) RP_WARN_UNUSED;
/* Sets both flags (non-zero: set) and updated_at. RP_E_NOT_FOUND. */
rp_err store_device_set_flags(struct store *s, const char *serial,
                              int allow_reprovision,
                              int force_renew) RP_WARN_UNUSED;
/* Sets (on != 0: with reason, NULL for "", and time at) or clears (reason
 * "" and time 0) the quarantine, and updated_at. RP_E_NOT_FOUND. */
rp_err store_device_set_quarantine(struct store *s, const char *serial, int on,
                                   const char *reason,
                                   int64_t at) RP_WARN_UNUSED;
typedef int (*store_device_cb)(void *arg, const struct store_device *d);
/* Calls cb for each entry in serial order (bytewise). */
rp_err store_device_each(struct store *s, store_device_cb cb,
                         void *arg) RP_WARN_UNUSED;

/* --- certificates ------------------------------------------------------- */

/*
 * Record an issued certificate, not revoked, unused, with its PEM (copied;
 * kept for the record, never read back through this interface).
 * RP_E_EXISTS when the serial was recorded before; RP_E_INVAL when kind is
 * not a STORE_CERT_* kind. Each certificate takes its place in the order
 * of addition, which the listings below use (an explicit sequence kept by
 * the engine: never a physical row order).
 */
rp_err store_cert_add(struct store *s, const struct store_cert *c,
                      const char *pem) RP_WARN_UNUSED;
/* RP_E_NOT_FOUND. */
rp_err store_cert_get(struct store *s, const char *serial,
                      struct store_cert *out) RP_WARN_UNUSED;
/* Records revocation at time at with reason. RP_E_NOT_FOUND; RP_E_STATE if
 * it is revoked already (the first revocation stands). */
rp_err store_cert_revoke(struct store *s, const char *serial, int reason,
                         int64_t at) RP_WARN_UNUSED;
/* Count one use of a (claim) certificate: uses + 1, last_used_at = at.
 * RP_E_NOT_FOUND. */
rp_err store_cert_mark_used(struct store *s, const char *serial,
                            int64_t at) RP_WARN_UNUSED;
typedef int (*store_cert_cb)(void *arg, const struct store_cert *c);
/* Every certificate of a kind, in the order they were added. */
rp_err store_cert_each_kind(struct store *s, const char *kind, store_cert_cb cb,
                            void *arg) RP_WARN_UNUSED;
/* The device certificates of one subject (device serial), newest first:
 * by not_after, latest first, then the last added first. */
rp_err store_cert_each_of(struct store *s, const char *subject,
                          store_cert_cb cb, void *arg) RP_WARN_UNUSED;
/* Revoked certificates of a kind with not_after > now, in serial order
 * (bytewise). */
rp_err store_cert_each_revoked(struct store *s, const char *kind, int64_t now,
                               store_cert_cb cb, void *arg) RP_WARN_UNUSED;

/* --- refusals: what the detectors read ---------------------------------- */

/*
 * Record a refused request at now: route (required), peer, subject and
 * detail (NULL for ""), reason (its name and number are kept). Its id is
 * higher than that of every refusal recorded before (ids increase and
 * are never reused; they need not be consecutive). The table is then
 * kept to store_opts.refusals_keep as said there.
 */
rp_err store_refusal_add(struct store *s, const char *route, const char *peer,
                         const char *subject, rp_err reason,
                         const char *detail) RP_WARN_UNUSED;
struct store_refusal {
	int64_t id, at;
	char route[64], peer[64], subject[STORE_SERIAL_MAX + 1];
	char reason[48]; /* rp_errname() of the reason */
	char detail[256];
};
typedef int (*store_refusal_cb)(void *arg, const struct store_refusal *r);
/* The newest limit (>= 1) refusals, newest (highest id) first. */
rp_err store_refusal_each(struct store *s, int limit, store_refusal_cb cb,
                          void *arg) RP_WARN_UNUSED;

/* --- CRLs --------------------------------------------------------------- */

/* The next CRL number: 1 + the highest recorded, 1 for none. Take it and
 * record the CRL in one transaction, so that numbers only grow. */
rp_err store_crl_next_number(struct store *s, int64_t *out) RP_WARN_UNUSED;
/* Record a published CRL (der copied). RP_E_EXISTS if number was used. */
rp_err store_crl_add(struct store *s, int64_t number, int64_t this_update,
                     int64_t next_update, const uint8_t *der,
                     size_t len) RP_WARN_UNUSED;

/* --- ingest: what devices report over MQTT (server/mqtt/) --------------- */

/* One decoded message (or a rejection) from a device, as queued. */
enum store_in_kind {
	STORE_IN_NONE = 0,      /* an empty slot: skipped */
	STORE_IN_TELEMETRY = 1, /* u.tel */
	STORE_IN_EVENT = 2,     /* u.ev */
	STORE_IN_RESULT = 3,    /* u.res */
	STORE_IN_REJECT = 4,    /* a malformed message: counted only */
	STORE_IN_REFUSAL = 5,   /* u.ref: a broker refusal (serial unused) */
};

/* A refusal to record: store_refusal_add's arguments, as queued. */
struct store_in_refusal {
	char route[64], peer[64];
	char subject[STORE_SERIAL_MAX + 1]; /* "" for none */
	rp_err reason;
	char detail[256]; /* as store_refusal reads it back */
};

struct store_in {
	int kind; /* enum store_in_kind */
	char serial[STORE_SERIAL_MAX + 1];
	int64_t received_at; /* rampartd's clock, Unix seconds */
	union {
		struct rp_telemetry tel;
		struct rp_event ev;
		struct rp_command_result res;
		struct store_in_refusal ref;
	} u;
};

/* How much history is kept per device (0: keep everything). */
struct store_retention {
	int64_t telemetry_keep; /* newest telemetry rows per device */
	int64_t events_keep;    /* newest event rows per device */
	int64_t results_keep;   /* newest command results per device */
};

/* What one store_ingest_write stored, per kind, and what it skipped. */
struct store_in_result {
	uint64_t telemetry, events, results, rejects;
	uint64_t unknown; /* items of a device that is not enrolled */
	/* items of an enrolled device that may not send them now: no valid
	 * certificate that is not revoked, or quarantined and not an event */
	uint64_t not_allowed;
	uint64_t refusals; /* refusals recorded */
};

/* A named counter and the amount to add to it. */
struct store_counter {
	const char *name;
	int64_t add;
};

/*
 * Write n queued items and add the counters in ONE transaction, begun and
 * committed here: when it returns RP_OK all of it is durable; on any
 * error nothing is written and the caller keeps its items. RP_E_STATE
 * (nothing done, the open transaction untouched) when a transaction is
 * open; RP_E_INVAL when an item's kind is not an enum store_in_kind.
 *
 * For each item, in order: STORE_IN_NONE is skipped. A refusal is
 * recorded as by store_refusal_add (at = received_at), whatever its
 * subject (a storm of refusals costs one commit per batch, not one per
 * refusal, on rampartd's loop). Any other item counts only if its serial
 * is an enrolled device holding a device certificate that is not revoked
 * and has not_after > received_at, and, when the device is quarantined,
 * the item is an event or a rejection (what the broker's ACL allows,
 * checked again because the broker enforces its last snapshot); items of
 * a serial that is not enrolled are skipped and counted in res->unknown,
 * the others that may not be sent now in res->not_allowed. A counted item
 * adds a history row (telemetry, event or command result; a rejection
 * adds none) and updates the device's status (first_seen once, last_seen
 * = the latest received_at, the per-kind count; for telemetry its facts
 * and telemetry_at); a result also completes the device's command of
 * that id if it has no result yet. A counted update event (RP_EVENT_UPDATE)
 * moves the device's update as store_update_report says, and a counted
 * result as store_update_result says. Then that history is kept to keep:
 * at least the newest keep rows per device and kind stay; older ones are
 * deleted eventually, in batches of the engine's choosing (a few more
 * than keep may be held for a while, never fewer).
 *
 * The counters stored_telemetry, stored_events, stored_results,
 * unknown_device and not_allowed grow by *res, and counters[] by their
 * amounts, in the same transaction. counters may be NULL when n_counters
 * is 0; items may be NULL when n is 0. *res is zeroed on error.
 */
rp_err store_ingest_write(struct store *s, const struct store_in *items,
                          size_t n, const struct store_retention *keep,
                          const struct store_counter *counters,
                          size_t n_counters,
                          struct store_in_result *res) RP_WARN_UNUSED;

/* A device's ingest status: its last report and counts. */
struct store_status {
	int64_t first_seen, last_seen; /* rampartd's clock; 0: never */
	int64_t telemetry_at;          /* when the last telemetry came */
	struct rp_telemetry tel;       /* the last telemetry (zero: none) */
	int64_t n_telemetry, n_events, n_results, n_rejected;
	/* store_device_status_each only: device certificates with not_after
	 * > now, not revoked and revoked */
	int64_t certs_valid, certs_revoked;
};

/* RP_E_NOT_FOUND when the device never had an item counted. */
rp_err store_status_get(struct store *s, const char *serial,
                        struct store_status *out) RP_WARN_UNUSED;
typedef int (*store_dev_status_cb)(void *arg, const struct store_device *d,
                                   const struct store_status *st);
/* Every device in serial order with its status (the report and counts
 * zero when it never had an item counted; certs_* always). */
rp_err store_device_status_each(struct store *s, store_dev_status_cb cb,
                                void *arg) RP_WARN_UNUSED;

struct store_event {
	int64_t id;                        /* grows with each event stored */
	char serial[STORE_SERIAL_MAX + 1]; /* the device's */
	int64_t received_at;
	struct rp_event ev;
};
typedef int (*store_event_cb)(void *arg, const struct store_event *e);
/* A device's newest limit (>= 1) events, newest (highest id) first. */
rp_err store_event_each(struct store *s, const char *serial, int limit,
                        store_event_cb cb, void *arg) RP_WARN_UNUSED;
/*
 * Every device's events with an id above after (>= 0), oldest (lowest
 * id) first, at most limit (>= 1): a feed to follow by passing the last
 * id seen (rampart device watch, GET /api/v1/events). Events trimmed by
 * retention before they were read are not in it. after < 0: the newest
 * limit events, oldest first (where a follower starts).
 */
rp_err store_event_feed(struct store *s, int64_t after, int limit,
                        store_event_cb cb, void *arg) RP_WARN_UNUSED;

/* Record a command rampartd sent (rampart/v1/d/ID/cmd), issued at c->ts,
 * with no result. RP_E_EXISTS if its id was used. */
rp_err store_command_add(struct store *s, const char *serial,
                         const struct rp_command *c) RP_WARN_UNUSED;
struct store_command {
	struct rp_command cmd;
	char serial[STORE_SERIAL_MAX + 1];
	int64_t result_at; /* 0: no result yet */
	struct rp_command_result res;
};
typedef int (*store_command_cb)(void *arg, const struct store_command *c);
/* A device's newest limit (>= 1) commands with their results, newest
 * first: by issued time, latest first, then the last added first. */
rp_err store_command_each(struct store *s, const char *serial, int limit,
                          store_command_cb cb, void *arg) RP_WARN_UNUSED;

/* Every ingest counter (name, value) in name order (bytewise); a counter
 * exists once something was added to it. */
typedef int (*store_counter_cb)(void *arg, const char *name, int64_t value);
rp_err store_counter_each(struct store *s, store_counter_cb cb,
                          void *arg) RP_WARN_UNUSED;

/* --- small facts (setup-token hash, ...) -------------------------------- */

/* *len in: capacity of val, out: length. RP_E_NOT_FOUND if absent;
 * RP_E_BUFFER (*len unchanged) if the value is longer than *len. */
rp_err store_meta_get(struct store *s, const char *key, uint8_t *val,
                      size_t *len) RP_WARN_UNUSED;
/* Put: key holds val (copied) afterwards, whether it existed or not. */
rp_err store_meta_set(struct store *s, const char *key, const uint8_t *val,
                      size_t len) RP_WARN_UNUSED;

/* --- firmware releases (server/release/, docs/releases.md) -------------- */

/* The epoch of "no key set installed" (store_keyset_install's expect). */
#define STORE_KEYSET_NONE (-1)
/* The largest key set kept, in bytes (an RPKS file is at most ~3 KiB). */
#define STORE_KEYSET_MAX 4096

/* A trusted release key set as installed: its RPKS bytes, as given. */
struct store_keyset {
	int64_t epoch;        /* the set's epoch, 0..UINT32_MAX */
	int64_t installed_at; /* rampartd's clock */
	size_t len;
	uint8_t rpks[STORE_KEYSET_MAX];
};

/*
 * Install the key set rpks[0..len) of epoch as the current one, if the
 * current one is still the one the caller verified it against: its epoch
 * is expect (STORE_KEYSET_NONE: no set is installed). Compare and set in
 * one write, so that of two installs made against the same current set
 * exactly one wins; the other gets RP_E_STATE and changed nothing (it
 * must verify against the new current set and try again). Every set
 * installed is kept (store_keyset_each); installed_at = now. Checking
 * the set itself (signatures, epoch rules) is the caller's: the store
 * only requires epoch > expect (RP_E_INVAL otherwise, as for an epoch
 * outside 0..UINT32_MAX, len 0 or above STORE_KEYSET_MAX).
 */
rp_err store_keyset_install(struct store *s, const uint8_t *rpks, size_t len,
                            int64_t epoch, int64_t expect) RP_WARN_UNUSED;
/* The current key set (the highest epoch installed). RP_E_NOT_FOUND when
 * none was ever installed. */
rp_err store_keyset_get(struct store *s,
                        struct store_keyset *out) RP_WARN_UNUSED;
typedef int (*store_keyset_cb)(void *arg, const struct store_keyset *k);
/* Every key set installed, oldest (lowest epoch) first. */
rp_err store_keyset_each(struct store *s, store_keyset_cb cb,
                         void *arg) RP_WARN_UNUSED;

#define STORE_RELEASE_ID_LEN 64 /* SHA-256, lower-case hex */
#define STORE_HW_MAX         31 /* an image's hardware type */
#define STORE_NOTES_MAX      1024

/* A release: what the verified image's header says, and the operator's
 * notes. The SBOM is apart (store_release_sbom), too big for a listing. */
struct store_release {
	char id[STORE_RELEASE_ID_LEN + 1]; /* SHA-256 of the image file */
	char hw_type[STORE_HW_MAX + 1];
	uint32_t ver_major, ver_minor, ver_patch;
	uint32_t counter;                /* security counter */
	int kind;                        /* the image's: 0 full, 1 delta */
	int64_t payload_size, file_size; /* bytes, >= 0 */
	int64_t build_time;              /* the image's, Unix seconds */
	char notes[STORE_NOTES_MAX + 1];
	int64_t sbom_len; /* bytes of its SBOM; 0: none */
	int64_t created_at;
};

/*
 * Add release r (its sbom_len and created_at are ignored: created_at =
 * now) with the SBOM text sbom[0..sbom_len) (NULL: none; copied, stored
 * as given). RP_E_EXISTS if the id is taken; RP_E_INVAL for an id that is
 * not 64 lower-case hex digits, an empty hw_type, a kind other than 0 or
 * 1, a negative size or build time, an empty or over-long SBOM.
 */
rp_err store_release_add(struct store *s, const struct store_release *r,
                         const char *sbom, size_t sbom_len) RP_WARN_UNUSED;
/* RP_E_NOT_FOUND. */
rp_err store_release_get(struct store *s, const char *id,
                         struct store_release *out) RP_WARN_UNUSED;
/* The SBOM of release id: *text (allocated, NUL-terminated, the caller's
 * to rp_free) and *len, or NULL and 0 when it has none. RP_E_NOT_FOUND
 * for an unknown release. */
rp_err store_release_sbom(struct store *s, const char *id, char **text,
                          size_t *len) RP_WARN_UNUSED;
typedef int (*store_release_cb)(void *arg, const struct store_release *r);
/*
 * The releases of hardware type hw (NULL: all), by hardware type
 * (bytewise), then version, newest first (major, minor, patch, each
 * highest first), then security counter, highest first, then id
 * (bytewise).
 */
rp_err store_release_each(struct store *s, const char *hw, store_release_cb cb,
                          void *arg) RP_WARN_UNUSED;
/*
 * Remove release id (its row; its image file is the caller's).
 * RP_E_NOT_FOUND; RP_E_STATE while something uses it (a device assigned
 * it, a rollout of it: the engine's list of uses, which grows with those
 * tables; nothing is removed then).
 */
rp_err store_release_remove(struct store *s, const char *id) RP_WARN_UNUSED;

/* --- known vulnerabilities (docs/releases.md) --------------------------- */

/* The longest OSV id kept, and the largest record (its JSON text). */
#define STORE_VULN_ID_MAX  128
#define STORE_VULN_REC_MAX (1024 * 1024)

/* What store_vuln_put did. */
enum store_vuln_put {
	STORE_VULN_NEW,       /* no record had the id: added */
	STORE_VULN_REPLACED,  /* the stored one was older: replaced */
	STORE_VULN_UNCHANGED, /* the stored one is as new or newer: kept */
};

/*
 * Put the OSV record id, its JSON text rec[0..len) (copied, stored as
 * given), whose "modified" is modified_us (microseconds since the epoch,
 * UTC: the caller parsed it). A record with the same id is replaced only
 * when modified_us is above its own; the check and the write are one
 * statement. *out (may be NULL) says which happened. imported_at = now.
 * RP_E_INVAL for an empty or over-long id (STORE_VULN_ID_MAX), an empty
 * or over-long record (STORE_VULN_REC_MAX).
 */
rp_err store_vuln_put(struct store *s, const char *id, int64_t modified_us,
                      const char *rec, size_t len,
                      enum store_vuln_put *out) RP_WARN_UNUSED;
typedef int (*store_vuln_cb)(void *arg, const char *id, const char *rec,
                             size_t len);
/* Every record stored, by id (bytewise); cb's non-zero stops the walk. */
rp_err store_vuln_each(struct store *s, store_vuln_cb cb,
                       void *arg) RP_WARN_UNUSED;
/* How many records are stored. */
rp_err store_vuln_count(struct store *s, int64_t *n) RP_WARN_UNUSED;

/* --- firmware updates (docs/updates.md) --------------------------------- */

/* The states of an update as stored: rampartd's own first, then the
 * device's (enum rp_update_state, same numbers, same wire names). */
#define STORE_UPD_SENT      "sent" /* the command is published, no answer yet */
#define STORE_UPD_STATE_MAX 15

/* One update command and what became of it (the table updates). */
struct store_update {
	char cmd_id[RP_CMD_ID_MAX + 1];    /* the update command's id */
	char serial[STORE_SERIAL_MAX + 1]; /* the device's */
	char release_id[65];               /* the release installed */
	char base_id[65];               /* a delta's base release; "": full */
	char state[16];                 /* "sent", "accepted", ... */
	int64_t offset, size;           /* bytes durable / to download */
	char code[RP_UPD_CODE_MAX + 1]; /* the reason code, or "" */
	char detail[RP_DETAIL_MAX + 1]; /* the device's detail, or "" */
	int64_t created_at, updated_at; /* rampartd's clock */
	bool final;                     /* confirmed, rolled_back, failed,
	                                   cancelled: nothing moves it */
};

/* The wire name of a stored state number: 0 "sent", then the device's
 * enum rp_update_state names; NULL outside. store_update_state_num: the
 * number of a name, -1 for none. A state is final from RP_UPD_CONFIRMED
 * on. */
const char *store_update_state_name(int state);
int store_update_state_num(const char *name);

/*
 * Record an update command sent to u->serial: its cmd_id, release_id and
 * base_id ("" for a full image), and size (bytes the device is to
 * download); state "sent", offset 0, code and detail "", final false,
 * created_at = updated_at = now; the rest of *u is ignored. One at a time
 * per device: RP_E_STATE (nothing stored) when the device has an update
 * that is not final. RP_E_EXISTS when cmd_id was used. RP_E_INVAL for a
 * release or base id that is not 64 lower-case hex, a negative size. The
 * device and the release are the caller's to check.
 */
rp_err store_update_add(struct store *s,
                        const struct store_update *u) RP_WARN_UNUSED;
/* The device's newest update (the one not final, if any: there is at
 * most one, and it is the newest). RP_E_NOT_FOUND when none. */
rp_err store_update_current(struct store *s, const char *serial,
                            struct store_update *out) RP_WARN_UNUSED;
/* RP_E_NOT_FOUND for an unknown cmd_id. */
rp_err store_update_get(struct store *s, const char *cmd_id,
                        struct store_update *out) RP_WARN_UNUSED;
typedef int (*store_update_cb)(void *arg, const struct store_update *u);
/* A device's newest limit (>= 1) updates, newest first. */
rp_err store_update_each(struct store *s, const char *serial, int limit,
                         store_update_cb cb, void *arg) RP_WARN_UNUSED;

/*
 * A device's report r of its update r->cmd (an update event's member),
 * with the event's detail (NULL for ""). Applied when the update r->cmd
 * is the device serial's, is not final and is of release r->release,
 * and r moves it forward: r->state after the stored one (the order of
 * docs/updates.md "States"; every final state is after every other), or
 * the same state with an offset not lower than the stored one. One move
 * backwards is allowed: a "downloading" report with offset 0 while the
 * update is downloading, downloaded or verified (the device restarts its
 * download). Applied: state, offset, size, code, detail, final and
 * updated_at = now are r's. Anything else is ignored (a duplicate, a
 * late or reordered report, an unknown or finished command): nothing
 * changes but the counter update_ignored, + 1. *applied (may be NULL)
 * says which. RP_E_INVAL for a state outside enum rp_update_state.
 * Outside a transaction it is one (the row and the counter together).
 */
rp_err store_update_report(struct store *s, const char *serial,
                           const struct rp_update_report *r, const char *detail,
                           bool *applied) RP_WARN_UNUSED;
/*
 * The device's result res of a command, as for store_update_report:
 * for the device's update res->id that is still "sent", status ok moves
 * it to "accepted" and any other status to final "failed", with detail
 * res->detail and code the detail's first word before ':' when it is a
 * reason code ([a-z0-9_], 1 .. RP_UPD_CODE_MAX chars), else the status
 * name ("rejected", ...). A result of a command that is not an update
 * (a ping, a cancel) is no concern of it: *applied false, not counted.
 * A result for an update already answered is counted in update_ignored.
 */
rp_err store_update_result(struct store *s, const char *serial,
                           const struct rp_command_result *res,
                           bool *applied) RP_WARN_UNUSED;

#endif
