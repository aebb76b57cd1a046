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
#define FLEET_SVC_CERT  "pki/service.pem"
#define FLEET_SVC_KEY   "pki/service.key"
#define FLEET_SVC_CN    "rampartd"
/* The operator's read-only watcher (the monitor role). */
#define FLEET_MON_CERT "pki/monitor.pem"
#define FLEET_MON_KEY  "pki/monitor.key"
#define FLEET_MON_CN   "rampart-monitor"

/*
 * A fleet built from the store: f points into the arrays below, which the
 * structure owns (fleet_free). ids/serials hold the strings.
 */
struct fleet {
	struct rp_broker_fleet f;
	const char *services[1];
	const char *monitors[1];
	struct rp_broker_device *devs;
	char (*ids)[RP_BROKER_ID_MAX + 1];
	size_t n_devs, cap_devs;
	const char **revoked;
	char (*serials)[RP_BROKER_SERIAL_MAX + 1];
	size_t n_rev, cap_rev;
	size_t skipped; /* devices left out (id clashes with a service's) */
};

/*
 * Build the fleet from the store: every enrolled device (active, or
 * quarantined when flagged), every decommissioned one, the canonical hex
 * serials of revoked device certificates not yet expired at now, and
 * service_cn as the one service, FLEET_MON_CN as the one monitor.
 * Allowlisted-only devices are not listed
 * (the plugin treats them as unknown). On success *out holds the arrays
 * (release with fleet_free, also after a failure).
 */
rp_err fleet_build(struct store *s, const char *service_cn, int64_t now,
                   uint64_t seq, struct fleet *out) RP_WARN_UNUSED;
void fleet_free(struct fleet *fl);

#endif
