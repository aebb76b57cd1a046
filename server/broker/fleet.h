/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet.h - rampartd's side of the broker connection: the fleet-state
 * snapshot built from the store (the one place that maps rampartd's device
 * states to the broker's) and written for the Mosquitto plugin
 * (docs/transport.md), and rampartd's own service identity for MQTT.
 */
#ifndef RAMPARTD_FLEET_H
#define RAMPARTD_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/broker.h"
#include "rampart/err.h"
#include "store/store.h"

/* Where, under the data directory, and with which modes. */
#define FLEET_DIR       "broker"
#define FLEET_SNAPSHOT  "broker/fleet.snapshot"
#define FLEET_DIR_MODE  0750
#define FLEET_FILE_MODE 0640
/* rampartd's own client (the service role, id RP_BROKER_SERVICE_ID). */
#define FLEET_SVC_CERT "pki/service.pem"
#define FLEET_SVC_KEY  "pki/service.key"
/* The operator's read-only watcher (the monitor role, id
 * RP_BROKER_MONITOR_ID). */
#define FLEET_MON_CERT "pki/monitor.pem"
#define FLEET_MON_KEY  "pki/monitor.key"

/*
 * A fleet built from the store: f points into the arrays below, which the
 * structure owns (fleet_free). ids/serials hold the strings.
 */
struct fleet {
	struct rp_broker_fleet f;
	struct rp_broker_principal services[1];
	struct rp_broker_principal monitors[1];
	struct rp_broker_device *devs;
	char (*ids)[RP_BROKER_ID_MAX + 1];
	size_t n_devs, cap_devs;
	const char **revoked;
	char (*serials)[RP_BROKER_SERIAL_MAX + 1];
	size_t n_rev, cap_rev;
	size_t skipped; /* devices left out (id not a valid device id) */
};

/*
 * Build the fleet from the store: every enrolled device (active, or
 * quarantined when flagged), every decommissioned one, the canonical hex
 * serials of revoked device certificates not yet expired at now, service
 * as the one service and monitor (may be NULL: none) as the one monitor,
 * each with the pin of its current certificate (copied). A device whose
 * id fails rp_broker_device_id_check (a reserved id, from a data directory
 * of before that rule) is left out, counted in skipped and, unless it is
 * decommissioned, logged as an error: the plugin would never let its
 * certificate connect anyway.
 * Allowlisted-only devices are not listed (the plugin treats them as
 * unknown). On success *out holds the arrays (release with fleet_free,
 * also after a failure).
 */
rp_err fleet_build(struct store *s, const struct rp_broker_principal *service,
                   const struct rp_broker_principal *monitor, int64_t now,
                   uint64_t seq, struct fleet *out) RP_WARN_UNUSED;
void fleet_free(struct fleet *fl);

#endif
