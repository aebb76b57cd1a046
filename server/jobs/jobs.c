/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.c - the scheduler of jobs.h: a table of jobs, each with its due
 * rule and failure streak, and one libevent timer armed for the earliest
 * due time. The due-time, ordering and backoff rules are plain functions
 * of the clock the scheduler was given, so the unit test drives them
 * with a fake one (tests/unit/test_jobs.c). Relies on rp_backoff_ms
 * (rampart/backoff.h) and rp_log.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "jobs/jobs.h"
#include "rampart/alloc.h"
#include "rampart/backoff.h"
#include "rampart/log.h"

struct job {
	struct job_def def;
	int64_t last_run;  /* start of the last run (period jobs: or added) */
	int64_t retry_at;  /* while failures > 0: when to try again */
	unsigned failures; /* consecutive failed runs */
	rp_err last_err;   /* of the last failed run */
	bool triggered;    /* jobs_trigger: due now */
	bool running;      /* inside def.run */
	bool ran;          /* ran in the current jobs_run_due pass */
};

struct jobs {
	struct event_base *base;
	struct event *timer; /* NULL without a base */
	struct jobs_clock clk;
	struct job job[JOBS_MAX];
	size_t n;
	int64_t armed_ms;
};

static int64_t wall_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t sodium_rnd(void *arg)
{
	(void)arg;
	return randombytes_random();
}

static int64_t now_ms(const struct jobs *j)
{
	return j->clk.now_ms(j->clk.arg);
}

/*
 * When job b is due at now: a pending retry first (neither a trigger nor
 * the job's own rule brings it forward), then a trigger, then its rule.
 * A trigger stays set until a run succeeds: a failed triggered run is
 * retried even when the rule no longer says due.
 */
static int64_t job_due(const struct job *b, int64_t now)
{
	if (b->failures > 0)
		return b->retry_at;
	if (b->triggered)
		return now;
	if (b->def.due != NULL)
		return b->def.due(b->def.arg, now);
	if (b->last_run > JOBS_NEVER - b->def.period_ms)
		return JOBS_NEVER;
	return b->last_run + b->def.period_ms;
}

/* The earliest due job (ties: the first registered); skip those that
 * ran in this pass when skip_ran. -1 when none. */
static long earliest(const struct jobs *j, int64_t now, bool skip_ran,
                     int64_t *due)
{
	long best = -1;
	int64_t d, bd = JOBS_NEVER;
	size_t i;

	for (i = 0; i < j->n; i++) {
		if (skip_ran && j->job[i].ran)
			continue;
		d = job_due(&j->job[i], now);
		if (d < bd) {
			bd = d;
			best = (long)i;
		}
	}
	*due = bd;
	return best;
}

static void arm(struct jobs *j)
{
	int64_t due, now = now_ms(j), ms;
	struct timeval tv;

	j->armed_ms = -1;
	if (j->timer != NULL)
		evtimer_del(j->timer);
	if (earliest(j, now, false, &due) < 0 || due == JOBS_NEVER)
		return;
	ms = due > now ? due - now : 0;
	if (ms > JOBS_MAX_SLEEP_MS)
		ms = JOBS_MAX_SLEEP_MS;
	j->armed_ms = ms;
	if (j->timer == NULL)
		return;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (evtimer_add(j->timer, &tv) != 0)
		rp_log_error("jobs: cannot arm the timer: periodic work "
		             "stops until the next change");
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)jobs_run_due(arg);
}

rp_err jobs_new(struct event_base *base, const struct jobs_clock *clk,
                struct jobs **out)
{
	struct jobs *j = rp_calloc(1, sizeof *j); /* owned by the caller */
	rp_err rc = RP_E_NOMEM;

	*out = NULL;
	if (j == NULL)
		goto out;
	j->base = base;
	j->armed_ms = -1;
	if (clk != NULL)
		j->clk = *clk;
	if (j->clk.now_ms == NULL)
		j->clk.now_ms = wall_ms;
	if (j->clk.rnd == NULL)
		j->clk.rnd = sodium_rnd;
	if (base != NULL) {
		j->timer = evtimer_new(base, on_timer, j);
		if (j->timer == NULL)
			goto out;
	}
	*out = j;
	j = NULL;
	rc = RP_OK;
out:
	free(j);
	return rc;
}

void jobs_free(struct jobs *j)
{
	if (j == NULL)
		return;
	if (j->timer != NULL)
		event_free(j->timer);
	free(j);
}

static struct job *find(const struct jobs *j, const char *name)
{
	size_t i;

	for (i = 0; j != NULL && name != NULL && i < j->n; i++)
		if (strcmp(j->job[i].def.name, name) == 0)
			return (struct job *)&j->job[i];
	return NULL;
}

rp_err jobs_add(struct jobs *j, const struct job_def *def)
{
	struct job *b;

	if (def->name == NULL || def->name[0] == '\0' || def->run == NULL ||
	    (def->period_ms > 0) == (def->due != NULL) || def->period_ms < 0 ||
	    find(j, def->name) != NULL || j->n == JOBS_MAX)
		return RP_E_INVAL;
	b = &j->job[j->n++];
	memset(b, 0, sizeof *b);
	b->def = *def;
	if (b->def.retry_base_ms == 0)
		b->def.retry_base_ms = JOBS_RETRY_BASE_MS;
	if (b->def.retry_cap_ms == 0)
		b->def.retry_cap_ms = JOBS_RETRY_CAP_MS;
	b->last_run = now_ms(j);
	arm(j);
	return RP_OK;
}

void jobs_trigger(struct jobs *j, const char *name)
{
	struct job *b = find(j, name);

	if (b == NULL || b->running)
		return;
	b->triggered = true;
	arm(j);
}

void jobs_reschedule(struct jobs *j)
{
	if (j != NULL)
		arm(j);
}

/* After a run of b that started at t: its streak, its log lines. */
static void finish(struct jobs *j, struct job *b, int64_t t, rp_err rc)
{
	int64_t after = now_ms(j);
	uint64_t ms;
	bool spin = false;

	b->last_run = t;
	/* A job whose rule still says "due" after a successful run would
	 * run again at once, for ever: count it as a failure instead. */
	if (rc == RP_OK && b->def.due != NULL &&
	    b->def.due(b->def.arg, after) <= after) {
		rc = RP_E_STATE;
		spin = true;
	}
	if (rc == RP_OK) {
		b->triggered = false;
		if (b->failures > 0)
			rp_log_info("jobs: %s succeeded again after %u failed "
			            "attempt(s)",
			            b->def.name, b->failures);
		b->failures = 0;
		return;
	}
	ms = rp_backoff_ms(b->failures, b->def.retry_base_ms,
	                   b->def.retry_cap_ms, j->clk.rnd(j->clk.arg));
	if (b->failures < UINT32_MAX)
		b->failures++;
	b->last_err = rc;
	b->retry_at = ms > (uint64_t)(JOBS_NEVER - after) ? JOBS_NEVER
	                                                  : after + (int64_t)ms;
	if (b->failures == 1)
		rp_log_error("jobs: %s failed (%s%s); retrying with backoff "
		             "(first in %llu ms, up to %llu ms apart); logged "
		             "again when it succeeds",
		             b->def.name, rp_strerror(rc),
		             spin ? ": still due after it ran" : "",
		             (unsigned long long)ms,
		             (unsigned long long)b->def.retry_cap_ms);
	else
		rp_log_debug("jobs: %s failed again (%s), attempt %u; next try "
		             "in %llu ms",
		             b->def.name, rp_strerror(rc), b->failures,
		             (unsigned long long)ms);
}

size_t jobs_run_due(struct jobs *j)
{
	size_t i, ran = 0;
	int64_t due, t;
	long k;
	struct job *b;
	rp_err rc;

	for (i = 0; i < j->n; i++)
		j->job[i].ran = false;
	for (;;) {
		t = now_ms(j);
		k = earliest(j, t, true, &due);
		if (k < 0 || due > t)
			break;
		b = &j->job[k];
		b->ran = true;
		if (b->failures > 0 && !b->triggered && b->def.due != NULL &&
		    b->def.due(b->def.arg, t) > t) {
			/* what made it due was done meanwhile (e.g. the next
			 * change wrote the snapshot): no retry needed */
			rp_log_info("jobs: %s is no longer due after %u failed "
			            "attempt(s): done meanwhile",
			            b->def.name, b->failures);
			b->failures = 0;
			continue;
		}
		b->running = true;
		rp_log_debug("jobs: running %s", b->def.name);
		rc = b->def.run(b->def.arg);
		b->running = false;
		finish(j, b, t, rc);
		ran++;
	}
	arm(j);
	return ran;
}

int64_t jobs_next(const struct jobs *j, const char **name)
{
	int64_t due;
	long k = earliest(j, now_ms(j), false, &due);

	if (name != NULL)
		*name = k >= 0 && due != JOBS_NEVER ? j->job[k].def.name : NULL;
	return k >= 0 ? due : JOBS_NEVER;
}

int64_t jobs_armed_ms(const struct jobs *j)
{
	return j->armed_ms;
}

int jobs_failures(const struct jobs *j, const char *name)
{
	const struct job *b = find(j, name);

	if (b == NULL)
		return -1;
	return b->failures > INT32_MAX ? INT32_MAX : (int)b->failures;
}
