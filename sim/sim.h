/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim.h - the parts of rampart-sim (docs/sim.md): N virtual devices in
 * one process, each with its own file keystore and EST-enrolled
 * certificate (enroll.c of rampart-agent), its own simulated NOR flash
 * booted by the real boot core (firmware.c), and an rp_agent session on
 * one shared libevent loop (fleet.c).
 */
#ifndef RAMPART_SIM_H
#define RAMPART_SIM_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "rampart/agent.h"
#include "rampart/flash.h"
#include "rampart/image.h"

#define SIM_MAX_DEVICES 10000
#define SIM_ID_MAX      48 /* prefix + 5 digits + NUL fits */
#define SIM_HW          "rampart-sim"

struct sim_conf {
	const char *server;    /* rampartd EST base URL */
	const char *ca_file;   /* fleet root (EST server verification) */
	const char *claim;     /* "CERT,KEY" */
	const char *broker;    /* "HOST:PORT" (numeric host) */
	const char *broker_ca; /* the broker's CA (PEM) */
	const char *dir;       /* state directory */
	const char *prefix;    /* device ids: prefix + %05u */
	unsigned devices;
	unsigned first;           /* number of the first device (1) */
	unsigned enroll_parallel; /* enrollments in flight */
	double telemetry_s;       /* period of each device */
	unsigned jitter_pct;      /* +- spread of each period */
	unsigned queue_max;       /* offline queue per device, messages */
	double churn_per_min;     /* devices that drop and come back */
	double auth_fail_per_min; /* failed local logins, fleet-wide */
	double ramp_per_s;        /* sessions started per second */
	double duration_s;        /* 0: until SIGINT/SIGTERM */
	double stats_s;           /* progress line period; 0: none */
};

/* The firmware every device is made with (firmware.c). */
struct sim_fw {
	uint8_t *img; /* the signed image, as in DIR/firmware.img (owned) */
	size_t len;
	struct rp_keyset trust; /* the simulator's release key */
	char version[RP_FW_VERSION_MAX + 1];
	uint32_t slot_size; /* bytes per slot of a device's flash */
	uint32_t sector;
};

/* A device's simulated NOR flash (memory only, lost at exit). */
struct sim_flash {
	struct rp_flash f;
	uint8_t *mem; /* f.size bytes (owned) */
};

struct sim_dev {
	char id[SIM_ID_MAX];
	SSL_CTX *tls;    /* its client context (owned), NULL until ready */
	rp_agent *agent; /* NULL while not running */
	struct sim_flash flash;
	/* What the boot core reported: telemetry's firmware fields. */
	char fw_version[RP_FW_VERSION_MAX + 1];
	char fw_sha256[65];
	char boot_detail[128];
	bool boot_ok;
	bool enrolled;      /* holds a certificate */
	bool failed;        /* could not be enrolled or prepared */
	bool was_enrolled;  /* already enrolled before this run */
	bool boot_reported; /* the boot event was queued */
	int64_t boot_time;  /* simulated: uptime counts from here */
	int64_t back_at;    /* churn: restart at this time (ms), 0 none */
	int64_t reboot_at; /* reboot command: reset at this time (ms), 0 none */
	uint32_t rng;
	uint16_t cpu; /* last simulated load, permille */
};

/* Firmware (firmware.c). */
rp_err sim_fw_prepare(const char *dir, struct sim_fw *fw) RP_WARN_UNUSED;
void sim_fw_free(struct sim_fw *fw);
/* Make d's flash, install fw into slot A, run the boot core; fills
 * d->fw_*, d->boot_*. RP_OK also for a boot into recovery (boot_ok
 * false); errors are memory and flash failures. */
rp_err sim_dev_boot(struct sim_dev *d, const struct sim_fw *fw) RP_WARN_UNUSED;
/* A reset of a booted device: the boot core runs again on its flash (now
 * with a boot state: "confirmed active slot"). RP_E_STATE if not booted. */
rp_err sim_dev_reboot(struct sim_dev *d,
                      const struct sim_fw *fw) RP_WARN_UNUSED;
void sim_dev_flash_free(struct sim_dev *d);

/* Enrollment and TLS contexts, K threads (prepare.c). */
struct sim_prep_stats {
	atomic_uint done, enrolled_now, already, failed;
};
rp_err sim_prepare(const struct sim_conf *c, struct sim_dev *devs,
                   const struct sim_fw *fw, struct sim_prep_stats *st,
                   volatile sig_atomic_t *stop) RP_WARN_UNUSED;

/* The running fleet (fleet.c): returns when the duration is over or a
 * signal came; 0 clean, 2 error. */
int sim_fleet_run(const struct sim_conf *c, struct sim_dev *devs,
                  const struct sim_fw *fw);

/* A device's id. */
void sim_dev_id(const struct sim_conf *c, unsigned i, char *out, size_t cap);

/* xorshift32 for the simulated facts (not for anything secret). */
uint32_t sim_rand(uint32_t *s);

#endif
