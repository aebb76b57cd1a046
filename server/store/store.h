/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - rampartd's persistent state behind one small interface: the
 * allowlist/device registry, issued certificates, refusals, CRLs, what
 * devices report over MQTT (status, history, events, command results) and
 * a few key/value facts. store_sqlite.c implements it on SQLite (WAL); a
 * PostgreSQL engine would implement the same functions.
 *
 * Writes that must survive a crash together are wrapped by the caller in
 * store_begin()/store_commit(); a single call outside a transaction is
 * atomic by itself. Every function returns RP_OK or an rp_err
 * (RP_E_NOT_FOUND, RP_E_EXISTS, RP_E_STORE).
 */
#ifndef RAMPARTD_STORE_H
#define RAMPARTD_STORE_H

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

/* Certificate kinds kept in the certs table. */
#define STORE_CERT_DEVICE "device"
#define STORE_CERT_CLAIM  "claim"

struct store_cert {
	char serial[41]; /* lower-case hex, no leading zeros stripped */
	char subject[STORE_SERIAL_MAX + 1]; /* device serial or claim group */
	char kind[8];
	int64_t not_before, not_after;
	int64_t revoked_at; /* 0: not revoked */
	int reason;         /* CRL reason code (RFC 5280 5.3.1) */
	int64_t uses;       /* claims: enrollments it was used for */
	int64_t last_used_at;
};

const char *store_dev_state_name(int state);

/*
 * Open (creating if needed) the database at path and apply the numbered
 * migrations. *out is owned by the caller; release with store_close().
 */
rp_err store_open(const char *path, struct store **out) RP_WARN_UNUSED;
void store_close(struct store *s);

/* How long a call waits for another connection's lock before it fails
 * with RP_E_STORE (store_open sets 5000 ms). */
void store_busy_timeout(struct store *s, int ms);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
rp_err store_begin(struct store *s) RP_WARN_UNUSED;
rp_err store_commit(struct store *s) RP_WARN_UNUSED;
void store_rollback(struct store *s);

/* Schema version after migrations. */
int store_schema_version(struct store *s);

/* PRAGMA integrity_check: RP_OK when "ok". */
rp_err store_check(struct store *s) RP_WARN_UNUSED;

/* --- devices / allowlist --- */
rp_err store_device_add(struct store *s,
                        const struct store_device *d) RP_WARN_UNUSED;
rp_err store_device_get(struct store *s, const char *serial,
                        struct store_device *out) RP_WARN_UNUSED;
/* Removes the entry; RP_E_STATE unless it is only allowlisted. */
rp_err store_device_remove(struct store *s, const char *serial) RP_WARN_UNUSED;
rp_err store_device_set_state(struct store *s, const char *serial,
                              int state) RP_WARN_UNUSED;
rp_err store_device_set_flags(struct store *s, const char *serial,
                              int allow_reprovision,
                              int force_renew) RP_WARN_UNUSED;
/* Set (on != 0, with reason and time) or clear the quarantine flag. */
rp_err store_device_set_quarantine(struct store *s, const char *serial, int on,
                                   const char *reason,
                                   int64_t at) RP_WARN_UNUSED;
typedef int (*store_device_cb)(void *arg, const struct store_device *d);
/* Calls cb for each entry in serial order; a non-zero return stops. */
rp_err store_device_each(struct store *s, store_device_cb cb,
                         void *arg) RP_WARN_UNUSED;

/* --- certificates --- */
/* RP_E_EXISTS when the serial was issued before. pem is copied. */
rp_err store_cert_add(struct store *s, const struct store_cert *c,
                      const char *pem) RP_WARN_UNUSED;
rp_err store_cert_get(struct store *s, const char *serial,
                      struct store_cert *out) RP_WARN_UNUSED;
/* RP_E_STATE if already revoked. */
rp_err store_cert_revoke(struct store *s, const char *serial, int reason,
                         int64_t at) RP_WARN_UNUSED;
/* Count one use of a (claim) certificate. */
rp_err store_cert_mark_used(struct store *s, const char *serial,
                            int64_t at) RP_WARN_UNUSED;
typedef int (*store_cert_cb)(void *arg, const struct store_cert *c);
/* Every certificate of a kind, oldest first. */
rp_err store_cert_each_kind(struct store *s, const char *kind, store_cert_cb cb,
                            void *arg) RP_WARN_UNUSED;
/* Certificates of one subject (device serial), newest first. */
rp_err store_cert_each_of(struct store *s, const char *subject,
                          store_cert_cb cb, void *arg) RP_WARN_UNUSED;
/* Revoked certificates of a kind that have not yet expired at now. */
rp_err store_cert_each_revoked(struct store *s, const char *kind, int64_t now,
                               store_cert_cb cb, void *arg) RP_WARN_UNUSED;

/* --- refusals: what the detectors read --- */
/* Rows kept: the broker's refusal events come at up to its refusal_rate
 * (20/s by default) for as long as anyone keeps dialling, so the table
 * is bounded. */
#define STORE_REFUSALS_KEEP 1000000
/* Keep the newest keep refusals (STORE_REFUSALS_KEEP at store_open, 0:
 * all); older rows are deleted every min(keep, 64) inserts, so at most
 * keep + 63 are held. */
void store_refusals_keep(struct store *s, int64_t keep);
rp_err store_refusal_add(struct store *s, const char *route, const char *peer,
                         const char *subject, rp_err reason,
                         const char *detail) RP_WARN_UNUSED;
struct store_refusal {
	int64_t id, at;
	char route[64], peer[64], subject[STORE_SERIAL_MAX + 1];
	char reason[48], detail[256];
};
typedef int (*store_refusal_cb)(void *arg, const struct store_refusal *r);
/* The newest limit refusals, newest first. */
rp_err store_refusal_each(struct store *s, int limit, store_refusal_cb cb,
                          void *arg) RP_WARN_UNUSED;

/* --- CRLs --- */
/* Next CRL number (1, 2, ...), recorded with the CRL in one call. */
rp_err store_crl_next_number(struct store *s, int64_t *out) RP_WARN_UNUSED;
rp_err store_crl_add(struct store *s, int64_t number, int64_t this_update,
                     int64_t next_update, const uint8_t *der,
                     size_t len) RP_WARN_UNUSED;

/* --- ingest: what devices report over MQTT (server/mqtt/) --- */

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
 * Write n queued items and add the counters in ONE transaction (begun and
 * committed here; rolled back on any failure, then nothing is written and
 * the caller keeps its items). For each item of an enrolled device: a
 * history row (telemetry, event or result), the device's status row
 * (last_seen, per-kind counts; for telemetry its latest facts) updated;
 * then each device's history trimmed to keep. Items of other serials are
 * skipped and counted in res->unknown; items of an enrolled device that
 * has no valid, unrevoked device certificate, or is quarantined and the
 * item is not an event (what the broker's ACL allows), are skipped and
 * counted in res->not_allowed. A refusal is recorded as by
 * store_refusal_add (at = received_at), whatever its subject, in the same
 * transaction: a storm of refusals costs one commit per batch, not one
 * per refusal, on rampartd's loop. The counters stored_telemetry,
 * stored_events, stored_results, unknown_device and not_allowed grow by
 * *res in the
 * same transaction. counters may be NULL when n_counters is 0.
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
	/* store_device_status_each only: device certificates valid now, and
	 * revoked ones not yet expired */
	int64_t certs_valid, certs_revoked;
};

/* RP_E_NOT_FOUND when the device never reported. */
rp_err store_status_get(struct store *s, const char *serial,
                        struct store_status *out) RP_WARN_UNUSED;
typedef int (*store_dev_status_cb)(void *arg, const struct store_device *d,
                                   const struct store_status *st);
/* Every device in serial order with its status (zeroed when none). */
rp_err store_device_status_each(struct store *s, store_dev_status_cb cb,
                                void *arg) RP_WARN_UNUSED;

struct store_event {
	int64_t id, received_at;
	struct rp_event ev;
};
typedef int (*store_event_cb)(void *arg, const struct store_event *e);
/* A device's newest limit events, newest first. */
rp_err store_event_each(struct store *s, const char *serial, int limit,
                        store_event_cb cb, void *arg) RP_WARN_UNUSED;

/* A command rampartd sent (rampart/v1/d/ID/cmd). */
rp_err store_command_add(struct store *s, const char *serial,
                         const struct rp_command *c) RP_WARN_UNUSED;
struct store_command {
	struct rp_command cmd;
	char serial[STORE_SERIAL_MAX + 1];
	int64_t result_at; /* 0: no result yet */
	struct rp_command_result res;
};
typedef int (*store_command_cb)(void *arg, const struct store_command *c);
/* A device's newest limit commands with their results, newest first. */
rp_err store_command_each(struct store *s, const char *serial, int limit,
                          store_command_cb cb, void *arg) RP_WARN_UNUSED;

/* Every ingest counter (name, value) in name order. */
typedef int (*store_counter_cb)(void *arg, const char *name, int64_t value);
rp_err store_counter_each(struct store *s, store_counter_cb cb,
                          void *arg) RP_WARN_UNUSED;

/* --- small facts (setup-token hash, ...) --- */
/* *len in: capacity of val, out: length. RP_E_NOT_FOUND if absent. */
rp_err store_meta_get(struct store *s, const char *key, uint8_t *val,
                      size_t *len) RP_WARN_UNUSED;
rp_err store_meta_set(struct store *s, const char *key, const uint8_t *val,
                      size_t len) RP_WARN_UNUSED;

#endif
