/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle.h - the owner of a device's lifecycle in rampartd
 * (docs/lifecycle.md). Two halves:
 *
 * - Pure logic (state.c): the ONE displayed state of a device derived
 *   from the stored facts (registry_state), its name, and the table of
 *   which transition each state allows (registry_allows). The admin API,
 *   the CLI's lists (through the API) and the broker snapshot use these.
 * - The transitions (lifecycle.c): EVERY change of a device's lifecycle
 *   is one function here, called by the admin API, EST and the command
 *   line. Each takes the actor, runs in one store transaction (begun and
 *   committed here, rolled back on any failure) and, after a successful
 *   commit, calls the one audit hook (registry_set_audit) once per
 *   device it changed. A transition the device's state does not allow is
 *   refused with RP_E_STATE and a message naming the state
 *   (registry_why).
 */
#ifndef RAMPARTD_LIFECYCLE_H
#define RAMPARTD_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rampart/broker.h"
#include "rampart/err.h"
#include "store/store.h"

struct rampartd;

/* --- the state model (pure) ----------------------------------------------- */

/* The displayed states; REG_ABSENT: no such device (only an allowlist
 * add starts there). Order is the table's, not a progression. */
enum registry_state {
	REG_ABSENT = 0,
	REG_ALLOWLISTED,
	REG_ENROLLED,    /* enrolled, a valid certificate, not quarantined */
	REG_QUARANTINED, /* enrolled, a valid certificate, quarantined */
	REG_REVOKED,     /* enrolled, no valid certificate, one revoked */
	REG_EXPIRED,     /* enrolled, no valid certificate, none revoked */
	REG_DECOMMISSIONED,
	REG_STATE_COUNT
};

enum registry_transition {
	REG_T_ADD = 0,      /* allowlist add (API, CSV import row) */
	REG_T_REMOVE,       /* allowlist remove */
	REG_T_ENROLL,       /* EST simpleenroll accepted */
	REG_T_RENEW,        /* EST simplereenroll accepted */
	REG_T_REPROVISION,  /* allow one more enrollment */
	REG_T_FORCE_RENEW,  /* renewal before the window opens */
	REG_T_QUARANTINE,   /* events only at the broker */
	REG_T_RELEASE,      /* end of a quarantine */
	REG_T_REVOKE,       /* its valid certificates revoked */
	REG_T_DECOMMISSION, /* retired, valid certificates revoked */
	REG_TRANSITION_COUNT
};

/*
 * The displayed state of d: valid = its device certificates that are not
 * revoked and not expired, revoked = those revoked and not expired. d
 * NULL: REG_ABSENT. The one derivation everything shows.
 */
enum registry_state registry_state(const struct store_device *d, int64_t valid,
                                   int64_t revoked);
/* "absent", "allowlisted", "enrolled", "quarantined", "revoked",
 * "expired", "decommissioned"; "unknown" otherwise. */
const char *registry_state_name(enum registry_state s);
/* "add", "remove", "enroll", "renew", "reprovision", "force-renew",
 * "quarantine", "release", "revoke", "decommission"; "unknown". */
const char *registry_transition_name(enum registry_transition t);

/*
 * The transition table: RP_OK when state s allows transition t, else
 * RP_E_NOT_FOUND (s is REG_ABSENT and t is not an add), RP_E_EXISTS (an
 * add of a known device) or RP_E_STATE. An enroll from a state other than
 * allowlisted needs the device's allow_reprovision as well (checked by
 * registry_enroll, not here).
 */
rp_err registry_allows(enum registry_state s, enum registry_transition t);

/*
 * What the person is told when registry_allows refuses: "device ID is
 * STATE; WHAT TO DO" (e.g. "device SN-1 is revoked; re-provision it
 * first"), into buf (cap bytes; the id escaped).
 */
void registry_why(char *buf, size_t cap, const char *id, enum registry_state s,
                  enum registry_transition t);

/*
 * The broker's view of stored state (server/broker/fleet.c): false when
 * the device is not in the snapshot (allowlisted only), else *out gets
 * active, quarantined or decommissioned. Certificates do not enter it:
 * the snapshot lists revoked serials and TLS refuses expired ones.
 */
bool registry_broker_state(const struct store_device *d,
                           enum rp_broker_state *out);

/* --- who, and the audit hook ---------------------------------------------- */

enum registry_actor_kind {
	REG_ACTOR_OPERATOR = 0, /* the admin API's bearer token */
	REG_ACTOR_DEVICE,       /* the device itself (EST) */
	REG_ACTOR_SYSTEM,       /* rampartd itself (start-up) */
	REG_ACTOR_CLI,          /* the command line, offline (--decommission) */
};

struct registry_actor {
	enum registry_actor_kind kind;
	const char *name; /* "admin", the device serial, "start", ... */
};

/* "operator", "device", "system", "cli". */
const char *registry_actor_kind_name(enum registry_actor_kind k);

/* One committed transition, as the audit hook receives it (valid during
 * the call only). */
struct registry_audit {
	const struct registry_actor *actor;
	const char *device; /* the serial */
	enum registry_transition transition;
	enum registry_state from, to;
	const char *detail; /* what else was done; "" for nothing */
	int64_t at;         /* rampartd's clock, Unix seconds */
};

typedef void (*registry_audit_fn)(void *arg, const struct registry_audit *a);

/* Install the one audit hook (NULL: none). rampartd sets it before the
 * first transition; issue 15's tamper-evident log is written there. */
void registry_set_audit(registry_audit_fn fn, void *arg);

/* The hook rampartd installs today: one log line per transition, in the
 * wording earlier versions logged, ending in a fixed-form
 * "[audit actor=KIND:NAME device=ID transition=T from=S to=S]". */
void registry_audit_log(void *arg, const struct registry_audit *a);

/* Read device id and its displayed state (outside a transition): RP_OK
 * with *st REG_ABSENT when there is no such device; RP_E_STORE. */
rp_err registry_get(struct rampartd *rd, const char *id, struct store_device *d,
                    enum registry_state *st) RP_WARN_UNUSED;

/* --- the transitions ------------------------------------------------------ */

/* CRL reason of a decommission (RFC 5280 5.3.1). */
#define LIFECYCLE_REASON_CESSATION 5 /* cessationOfOperation */

/* What a transition did, for the caller's answer. serials: those revoked
 * (owned; lifecycle_done_free). why: the refusal's message when it
 * returned RP_E_STATE. */
struct lifecycle_done {
	char (*serials)[41];
	size_t n;
	enum registry_state from, to;
	char why[256];
};
void lifecycle_done_free(struct lifecycle_done *done);

/*
 * Revoke the valid (unrevoked, unexpired) device certificates of device
 * id, all of them or, with only non-NULL, the one of that serial, with
 * CRL reason; with decommission also set the device decommissioned.
 * RP_E_NOT_FOUND: no such device; RP_E_STATE: the state refuses it, or
 * nothing to revoke (revocation only; a decommission with no valid
 * certificate just sets the state); RP_E_STORE. The caller then
 * publishes what changed: crl_publish() and broker_sync() (at start, the
 * start-up sequence does both).
 */
rp_err lifecycle_revoke(struct rampartd *rd, const struct registry_actor *who,
                        const char *id, const char *only, int reason,
                        bool decommission,
                        struct lifecycle_done *done) RP_WARN_UNUSED;

/* Quarantine (on, with reason 1..STORE_QREASON_MAX) or release. */
rp_err registry_quarantine(struct rampartd *rd,
                           const struct registry_actor *who, const char *id,
                           bool on, const char *reason,
                           struct lifecycle_done *done) RP_WARN_UNUSED;

/* Allow one more enrollment (a decommissioned device goes back to the
 * allowlist: a fresh approval), or force a renewal (renew). */
rp_err registry_reprovision(struct rampartd *rd,
                            const struct registry_actor *who, const char *id,
                            struct lifecycle_done *done) RP_WARN_UNUSED;
rp_err registry_force_renew(struct rampartd *rd,
                            const struct registry_actor *who, const char *id,
                            struct lifecycle_done *done) RP_WARN_UNUSED;

/* Allowlist: add one device (state allowlisted; RP_E_EXISTS when known),
 * or n rows of a CSV import in ONE transaction (all or nothing; the
 * hook is called once per row after the commit), or remove one that is
 * only allowlisted. add_csv: RP_E_CSV with why (cap bytes) naming the
 * line; *rows the entries imported. */
rp_err registry_add_csv(struct rampartd *rd, const struct registry_actor *who,
                        const char *text, size_t len, size_t *rows, char *why,
                        size_t cap) RP_WARN_UNUSED;
rp_err registry_remove(struct rampartd *rd, const struct registry_actor *who,
                       const char *id,
                       struct lifecycle_done *done) RP_WARN_UNUSED;

/*
 * EST: enroll (simpleenroll, renew false) or renew (simplereenroll). The
 * registry checks the state (RP_E_NOT_ALLOWLISTED, RP_E_DECOMMISSIONED,
 * RP_E_ENROLLED without re-provisioning, RP_E_STATE for a renewal of a
 * device that is not enrolled or quarantined: why set), then calls issue
 * with the device record inside the transaction: it checks what EST
 * checks (claim group, renewal window, hardware token) and issues the
 * certificate, filling *cert and *pem (owned by the registry after the
 * call; free()d), or returns a refusal (its why in why). On RP_E_EXISTS
 * from recording the certificate (a serial clash) issue is called again,
 * up to three times. Then the device is set enrolled, force_renew
 * cleared, and claim (non-NULL: the claim certificate's serial) counted
 * as used, and it commits.
 */
typedef rp_err (*registry_issue_fn)(void *arg, const struct store_device *d,
                                    struct store_cert *cert, char **pem,
                                    char *why, size_t cap);
rp_err registry_enroll(struct rampartd *rd, const struct registry_actor *who,
                       const char *id, bool renew, const char *claim,
                       registry_issue_fn issue, void *arg, char *why,
                       size_t cap) RP_WARN_UNUSED;

/*
 * The start-up check: RP_OK when no device in the store has a reserved id
 * (rp_broker_device_id_check) in a state other than decommissioned. Else
 * RP_E_RESERVED, and each such id is logged as an error with its state,
 * followed by the command that clears them (rampartd --data-dir DIR
 * --decommission ID ...). RP_E_STORE when the store cannot be read.
 */
rp_err lifecycle_check_reserved(struct rampartd *rd) RP_WARN_UNUSED;

#endif
