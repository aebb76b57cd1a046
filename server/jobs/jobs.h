/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.h - rampartd's periodic work on one scheduler (docs/rampartd.md,
 * "Periodic work"). A job is registered with a name, when it is due (a
 * fixed period, or a function that reads the next due time off the
 * server's state, e.g. a CRL's half-life) and what it runs. One libevent
 * timer is armed for the earliest due job; jobs due together run in
 * registration order. A job that fails is retried with backoff
 * (rp_backoff_ms, equal jitter) and logged once per failure streak, and
 * once more when it succeeds again. A job can be triggered to run at once
 * (jobs_trigger: "the snapshot write failed elsewhere").
 *
 * Times are milliseconds on the scheduler's clock: the wall clock by
 * default, because the due times come from certificate and CRL dates;
 * a fake one in tests. The timer never sleeps longer than
 * JOBS_MAX_SLEEP_MS, so a wall clock that jumps (or a host that was
 * suspended) delays a job by that much at most.
 */
#ifndef RAMPARTD_JOBS_H
#define RAMPARTD_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "rampart/err.h"

#define JOBS_NEVER         INT64_MAX      /* a due time: not due */
#define JOBS_MAX           16             /* jobs on one scheduler */
#define JOBS_RETRY_BASE_MS 5000u          /* first retry after 2.5..5 s */
#define JOBS_RETRY_CAP_MS  (600u * 1000u) /* then doubling up to 5..10 min */
#define JOBS_MAX_SLEEP_MS  (600 * 1000)   /* longest timer: re-read the clock */

/* The scheduler's clock and random source; NULL members: the defaults
 * (wall clock, libsodium's randombytes_random). */
struct jobs_clock {
	int64_t (*now_ms)(void *arg);
	uint32_t (*rnd)(void *arg);
	void *arg;
};

struct job_def {
	const char *name; /* not copied: a string that outlives the jobs */
	/* exactly one of: */
	int64_t period_ms; /* > 0: due period_ms after its last run
	                    * (the first time: after jobs_add) */
	int64_t (*due)(
	    void *arg,
	    int64_t now_ms); /* the next due time
	                      * (absolute ms; <= now: due; JOBS_NEVER) */
	/* the work: RP_OK, or why it failed (then retried with backoff) */
	rp_err (*run)(void *arg);
	void *arg;
	/* backoff after a failure; 0: JOBS_RETRY_BASE_MS, JOBS_RETRY_CAP_MS */
	uint64_t retry_base_ms, retry_cap_ms;
};

struct jobs;

/*
 * A scheduler on base (NULL: no timer; the caller runs jobs_run_due, as
 * the unit test does). clk may be NULL (the defaults); it is copied.
 * *out is owned by the caller: jobs_free. RP_E_NOMEM.
 */
rp_err jobs_new(struct event_base *base, const struct jobs_clock *clk,
                struct jobs **out) RP_WARN_UNUSED;

/* Cancels the timer and frees j (NULL is fine). Runs nothing. */
void jobs_free(struct jobs *j);

/*
 * Register a job (def is copied) and re-arm the timer. RP_E_INVAL: no
 * name or run, not exactly one of period_ms/due, a name already taken,
 * or JOBS_MAX jobs already.
 */
rp_err jobs_add(struct jobs *j, const struct job_def *def) RP_WARN_UNUSED;

/*
 * Ask for one successful run of job name: it is due now and the timer is
 * re-armed, so it runs once the loop is back (never inside this call).
 * A triggered run that fails is retried with backoff until one succeeds,
 * even if the job's rule no longer says due. While the job is in a
 * failure streak its pending retry stands (a trigger does not defeat the
 * backoff); a trigger from inside the job's own run is dropped (that
 * run's result decides). Unknown name, or j NULL: nothing happens.
 *
 * A job in a failure streak that was not triggered is not run at its
 * retry when its rule says it is no longer due (what made it due was
 * done meanwhile): the streak ends there.
 */
void jobs_trigger(struct jobs *j, const char *name);

/* Due times may have moved (e.g. SIGHUP changed a lifetime): re-arm. */
void jobs_reschedule(struct jobs *j);

/*
 * Run every job due now, earliest due first (ties: registration order),
 * each at most once, then re-arm the timer. The timer calls this; tests
 * call it with their fake clock. Returns how many jobs ran.
 */
size_t jobs_run_due(struct jobs *j);

/*
 * The earliest due time (JOBS_NEVER when nothing is due ever) and, when
 * name is not NULL, that job's name (NULL when none).
 */
int64_t jobs_next(const struct jobs *j, const char **name);

/* How long the timer was armed for last time (ms; -1: not armed). */
int64_t jobs_armed_ms(const struct jobs *j);

/* Consecutive failures of job name (0: its last run succeeded; -1: no
 * such job). */
int jobs_failures(const struct jobs *j, const char *name);

#endif
