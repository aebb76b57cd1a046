/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle.h - the owner of a device's lifecycle transitions in rampartd
 * (docs/rampartd.md): each transition is ONE function that both the admin
 * API and the command line call, one store transaction that commits the
 * whole change or nothing. Today: revocation and decommissioning, and the
 * start-up check for devices that carry a reserved id. The other
 * transitions (enroll in est/est.c, quarantine and re-provisioning in
 * server/api/devices.c) are to move here.
 */
#ifndef RAMPARTD_LIFECYCLE_H
#define RAMPARTD_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include "rampart/err.h"

struct rampartd;

/* CRL reason of a decommission (RFC 5280 5.3.1). */
#define LIFECYCLE_REASON_CESSATION 5 /* cessationOfOperation */

/* What a revocation did: the serials it revoked (owned; lifecycle_done_
 * free). */
struct lifecycle_done {
	char (*serials)[41];
	size_t n;
};

/*
 * Revoke the valid (unrevoked, unexpired) device certificates of device
 * id, all of them or, with only non-NULL, the one of that serial, with
 * CRL reason; with decommission also set the device decommissioned. ONE
 * transaction, begun and committed here (rolled back on any failure), and
 * one log line naming who (e.g. "admin", "start"). RP_E_NOT_FOUND: no
 * such device; RP_E_STATE: nothing to revoke (revocation only; a
 * decommission with no valid certificate just sets the state);
 * RP_E_STORE. *done gets the revoked serials (release with
 * lifecycle_done_free, also after a failure). The caller then publishes
 * what changed: crl_publish() and broker_sync() (at start, the start-up
 * sequence does both).
 */
rp_err lifecycle_revoke(struct rampartd *rd, const char *id, const char *only,
                        int reason, bool decommission, const char *who,
                        struct lifecycle_done *done) RP_WARN_UNUSED;
void lifecycle_done_free(struct lifecycle_done *done);

/*
 * The start-up check: RP_OK when no device in the store has a reserved id
 * (rp_broker_device_id_check) in a state other than decommissioned. Else
 * RP_E_RESERVED, and each such id is logged as an error with its state,
 * followed by the command that clears them (rampartd --data-dir DIR
 * --decommission ID ...). RP_E_STORE when the store cannot be read.
 */
rp_err lifecycle_check_reserved(struct rampartd *rd) RP_WARN_UNUSED;

#endif
