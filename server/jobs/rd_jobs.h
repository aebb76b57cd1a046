/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rd_jobs.h - the periodic work rampartd registers on its scheduler
 * (jobs.h): the CRL at half its validity, the MQTT identities within
 * renew_window of expiry, the daily fleet-snapshot rewrite and the retry
 * of a failed one. docs/rampartd.md, "Periodic work".
 */
#ifndef RAMPARTD_RD_JOBS_H
#define RAMPARTD_RD_JOBS_H

#include "jobs/jobs.h"

struct rampartd;

/* Job names, for jobs_trigger and the log. */
#define RD_JOB_CRL        "crl"
#define RD_JOB_IDENTITIES "identities"
#define RD_JOB_SNAPSHOT   "snapshot"

/* Register the three jobs on j, each reading rd (which outlives j). */
rp_err rd_jobs_add(struct jobs *j, struct rampartd *rd) RP_WARN_UNUSED;

/* The due times of the jobs, in ms (exposed for the unit test). */
int64_t rd_jobs_crl_due(const struct rampartd *rd);
int64_t rd_jobs_identities_due(const struct rampartd *rd);
int64_t rd_jobs_snapshot_due(const struct rampartd *rd, int64_t now_ms);

#endif
