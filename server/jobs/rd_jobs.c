/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rd_jobs.c - rampartd's periodic work as jobs (rd_jobs.h): each job's
 * due time is read off the server's state (the CRL's nextUpdate, the
 * identities' notAfter, the last snapshot's sequence, which is its write
 * time in microseconds), so a change made elsewhere (an admin revocation
 * publishing a CRL, a snapshot written after an enrollment) moves the
 * next run without telling the scheduler. What makes a job due earlier
 * calls jobs_trigger or jobs_reschedule: a failed snapshot write or CRL
 * publication (broker/fleet.c, pki/crl.c) and SIGHUP (main.c).
 */
#include <string.h>

#include "jobs/rd_jobs.h"
#include "rampartd.h"

#define MS_PER_S            1000
#define SNAPSHOT_MAX_AGE_MS (86400 * 1000) /* revoked serials expire out */

/* Seconds to ms without overflow (the dates are far below the bound). */
static int64_t ms(int64_t s)
{
	if (s > JOBS_NEVER / MS_PER_S)
		return JOBS_NEVER;
	if (s < -(JOBS_NEVER / MS_PER_S))
		return -(JOBS_NEVER / MS_PER_S) * MS_PER_S;
	return s * MS_PER_S;
}

/* Re-publish when half of the CRL's validity has passed. */
int64_t rd_jobs_crl_due(const struct rampartd *rd)
{
	return ms(rd->crl_next_update - rd->cfg.crl_lifetime / 2);
}

/* Either identity within renew_window of its notAfter. */
int64_t rd_jobs_identities_due(const struct rampartd *rd)
{
	int64_t na = rd->service_not_after < rd->monitor_not_after
	                 ? rd->service_not_after
	                 : rd->monitor_not_after;

	return ms(na - rd->cfg.renew_window);
}

/* A failed write at once (the retry's backoff is the scheduler's), else
 * a day after the last one: revoked serials expire out of it. */
int64_t rd_jobs_snapshot_due(const struct rampartd *rd, int64_t now_ms)
{
	if (rd->snap_dirty)
		return now_ms;
	return (int64_t)(rd->snap_seq / 1000u) + SNAPSHOT_MAX_AGE_MS;
}

static int64_t crl_due(void *arg, int64_t now)
{
	(void)now;
	return rd_jobs_crl_due(arg);
}

static int64_t identities_due(void *arg, int64_t now)
{
	(void)now;
	return rd_jobs_identities_due(arg);
}

static int64_t snapshot_due(void *arg, int64_t now)
{
	return rd_jobs_snapshot_due(arg, now);
}

static rp_err crl_run(void *arg)
{
	return crl_publish(arg);
}

/*
 * Renew the service and monitor identities (broker_service_identity
 * renews only what is within renew_window, invalid or missing). A new
 * key has a new pin: the snapshot must list it before the renewed
 * certificate can connect, so it is rewritten at once.
 */
static rp_err identities_run(void *arg)
{
	struct rampartd *rd = arg;
	struct rp_broker_principal svc = rd->service, mon = rd->monitor;
	rp_err rc = broker_service_identity(rd);

	if (memcmp(svc.pin, rd->service.pin, sizeof svc.pin) != 0 ||
	    memcmp(mon.pin, rd->monitor.pin, sizeof mon.pin) != 0)
		broker_sync(rd, "a renewal of rampartd's MQTT identities");
	return rc;
}

static rp_err snapshot_run(void *arg)
{
	struct rampartd *rd = arg;

	broker_sync(rd, rd->snap_dirty ? "a failed write" : "a day");
	return rd->snap_dirty ? RP_E_IO : RP_OK;
}

rp_err rd_jobs_add(struct jobs *j, struct rampartd *rd)
{
	/* registration order = the order when due together, as on_tick
	 * had it: a renewal's snapshot comes before the daily one */
	const struct job_def defs[] = {
	    {.name = RD_JOB_CRL, .due = crl_due, .run = crl_run, .arg = rd},
	    {.name = RD_JOB_IDENTITIES,
	     .due = identities_due,
	     .run = identities_run,
	     .arg = rd},
	    {.name = RD_JOB_SNAPSHOT,
	     .due = snapshot_due,
	     .run = snapshot_run,
	     .arg = rd},
	};
	size_t i;
	rp_err rc = RP_OK;

	for (i = 0; rc == RP_OK && i < sizeof defs / sizeof defs[0]; i++)
		rc = jobs_add(j, &defs[i]);
	return rc;
}
