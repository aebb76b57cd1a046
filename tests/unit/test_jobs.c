/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_jobs.c - rampartd's scheduler (server/jobs/jobs.c) on a fake
 * clock: due times of period and rule jobs, the order of jobs due
 * together, backoff after failures (the delays rp_backoff_ms gives for
 * the fake random number), one log line per failure streak, triggers,
 * the guard against a job that stays due, the longest sleep; one real
 * libevent timer; and the due rules of rampartd's own jobs (rd_jobs.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmocka_all.h"
#include "jobs/jobs.h"
#include "jobs/rd_jobs.h"
#include "rampart/backoff.h"
#include "rampart/log.h"
#include "rampartd.h"

struct fake {
	int64_t now;
	uint32_t rnd;
};

static int64_t fake_now(void *arg)
{
	return ((struct fake *)arg)->now;
}

static uint32_t fake_rnd(void *arg)
{
	return ((struct fake *)arg)->rnd;
}

/* A job whose rule is a field, with a log of runs in order. */
struct tjob {
	const char *name;
	int64_t due;   /* what its rule answers */
	int64_t step;  /* a successful run moves due by this much */
	rp_err result; /* what run returns */
	int runs;
	struct jobs *j;   /* for a trigger from inside its run */
	int self_trigger; /* run calls jobs_trigger on itself */
	char *order;      /* shared, 64 bytes: names appended here */
};

static int64_t tjob_due(void *arg, int64_t now)
{
	(void)now;
	return ((struct tjob *)arg)->due;
}

static rp_err tjob_run(void *arg)
{
	struct tjob *t = arg;

	t->runs++;
	if (t->order != NULL) {
		size_t n = strlen(t->order);

		snprintf(t->order + n, 64 - n, "%s ", t->name);
	}
	if (t->self_trigger)
		jobs_trigger(t->j, t->name);
	if (t->result == RP_OK)
		t->due += t->step;
	return t->result;
}

static struct jobs *fake_jobs(struct fake *f)
{
	struct jobs_clock clk = {fake_now, fake_rnd, f};
	struct jobs *j = NULL;

	assert_int_equal(jobs_new(NULL, &clk, &j), RP_OK);
	return j;
}

static void add_rule(struct jobs *j, struct tjob *t)
{
	struct job_def d = {
	    .name = t->name, .due = tjob_due, .run = tjob_run, .arg = t};

	t->j = j;
	assert_int_equal(jobs_add(j, &d), RP_OK);
}

static void test_add_refuses_bad_defs(void **state)
{
	struct fake f = {1000, 0};
	struct jobs *j = fake_jobs(&f);
	struct tjob t = {.name = "a"};
	struct job_def d = {.name = "a", .period_ms = 10, .run = tjob_run};
	char names[JOBS_MAX][8];
	size_t i;

	(void)state;
	d.due = tjob_due; /* both a period and a rule */
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	d.due = NULL;
	d.period_ms = 0; /* neither */
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	d.period_ms = -5;
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	d.period_ms = 10;
	d.run = NULL;
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	d.run = tjob_run;
	d.name = "";
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	d.name = NULL;
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	add_rule(j, &t);
	d.name = "a"; /* taken */
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	for (i = 1; i < JOBS_MAX; i++) {
		snprintf(names[i], sizeof names[i], "p%zu", i);
		d.name = names[i];
		assert_int_equal(jobs_add(j, &d), RP_OK);
	}
	d.name = "one-too-many";
	assert_int_equal(jobs_add(j, &d), RP_E_INVAL);
	assert_int_equal(jobs_failures(j, "nope"), -1);
	jobs_free(j);
	jobs_free(NULL);
}

static void test_period_job(void **state)
{
	struct fake f = {1000, 0};
	struct jobs *j = fake_jobs(&f);
	struct tjob t = {.name = "tick"};
	struct job_def d = {
	    .name = "tick", .period_ms = 500, .run = tjob_run, .arg = &t};
	const char *name = NULL;

	(void)state;
	assert_int_equal(jobs_next(j, &name), JOBS_NEVER);
	assert_null(name);
	assert_int_equal(jobs_armed_ms(j), -1);
	assert_int_equal(jobs_add(j, &d), RP_OK);
	assert_int_equal(jobs_next(j, &name), 1500);
	assert_string_equal(name, "tick");
	assert_int_equal(jobs_armed_ms(j), 500);
	f.now = 1499;
	assert_int_equal(jobs_run_due(j), 0);
	assert_int_equal(jobs_armed_ms(j), 1);
	f.now = 1500;
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(jobs_next(j, NULL), 2000);
	/* late (the loop was busy): one run, the next a period after it,
	 * no burst to catch up */
	f.now = 3700;
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(t.runs, 2);
	assert_int_equal(jobs_next(j, NULL), 4200);
	assert_int_equal(jobs_armed_ms(j), 500);
	jobs_free(j);
}

static void test_order_when_due_together(void **state)
{
	struct fake f = {0, 0};
	struct jobs *j = fake_jobs(&f);
	char order[64] = "";
	struct tjob a = {.name = "a", .due = 30, .step = 1000, .order = order};
	struct tjob b = {.name = "b", .due = 10, .step = 1000, .order = order};
	struct tjob c = {.name = "c", .due = 20, .step = 1000, .order = order};
	struct tjob d = {.name = "d", .due = 10, .step = 1000, .order = order};
	const char *name;

	(void)state;
	add_rule(j, &a);
	add_rule(j, &b);
	add_rule(j, &c);
	add_rule(j, &d);
	assert_int_equal(jobs_next(j, &name), 10);
	assert_string_equal(name, "b"); /* ties: the first registered */
	assert_int_equal(jobs_armed_ms(j), 10);
	f.now = 25; /* a is not due yet */
	assert_int_equal(jobs_run_due(j), 3);
	assert_string_equal(order, "b d c ");
	assert_int_equal(jobs_next(j, &name), 30);
	assert_string_equal(name, "a");
	order[0] = '\0';
	f.now = 5000; /* all due again: earliest due first, each once */
	assert_int_equal(jobs_run_due(j), 4);
	assert_string_equal(order, "a b d c ");
	jobs_free(j);
}

/* Send stderr (the log) to an unlinked temporary file until
 * capture_end, which returns what was written. */
static void capture_begin(int *saved, int *fd)
{
	char path[] = "/tmp/rampart-jobs-XXXXXX";

	*fd = mkstemp(path);
	assert_true(*fd >= 0);
	unlink(path);
	fflush(stderr);
	*saved = dup(2);
	assert_true(*saved >= 0);
	dup2(*fd, 2);
}

static char *capture_end(int saved, int fd)
{
	static char buf[16384];
	ssize_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof buf - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (hay = strstr(hay, needle); hay != NULL;
	     hay = strstr(hay + 1, needle))
		n++;
	return n;
}

static void test_backoff_and_one_log_line_per_streak(void **state)
{
	struct fake f = {100000, 12345};
	struct jobs *j;
	struct tjob t = {.name = "flaky",
	                 .due = 100000,
	                 .step = 100000000,
	                 .result = RP_E_IO};
	int64_t expect, prev_delay = 0;
	int saved, fd;
	unsigned attempt;
	char *out;

	(void)state;
	rp_log_init("unit", RP_LOG_STDERR, RP_LOG_INFO);
	capture_begin(&saved, &fd);
	j = fake_jobs(&f);
	add_rule(j, &t);
	for (attempt = 0; attempt < 12; attempt++) {
		assert_int_equal(jobs_run_due(j), 1);
		assert_int_equal(jobs_failures(j, "flaky"), (int)attempt + 1);
		expect =
		    f.now + (int64_t)rp_backoff_ms(attempt, JOBS_RETRY_BASE_MS,
		                                   JOBS_RETRY_CAP_MS, f.rnd);
		assert_int_equal(jobs_next(j, NULL), expect);
		/* the delay grows, then stays within the cap */
		assert_true(expect - f.now >= prev_delay / 2);
		assert_true(expect - f.now <= (int64_t)JOBS_RETRY_CAP_MS);
		prev_delay = expect - f.now;
		/* not before its time, although its rule says due */
		f.now = expect - 1;
		assert_int_equal(jobs_run_due(j), 0);
		f.now = expect;
	}
	assert_true(prev_delay >= (int64_t)JOBS_RETRY_CAP_MS / 2);
	t.result = RP_OK;
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(jobs_failures(j, "flaky"), 0);
	assert_int_equal(jobs_next(j, NULL), 100100000);
	/* a second streak is logged again, once */
	t.result = RP_E_STORE;
	f.now = t.due;
	assert_int_equal(jobs_run_due(j), 1);
	f.now = jobs_next(j, NULL);
	assert_int_equal(jobs_run_due(j), 1);
	out = capture_end(saved, fd);
	assert_int_equal(count(out, "jobs: flaky failed ("), 2);
	assert_non_null(strstr(out, "jobs: flaky failed (input/output error)"));
	assert_non_null(strstr(out, "jobs: flaky failed (store (database)"));
	assert_int_equal(count(out, "succeeded again after 12 failed"), 1);
	assert_int_equal(count(out, "\n"), 3);
	assert_int_equal(t.runs, 15);
	jobs_free(j);
}

static void test_custom_backoff(void **state)
{
	struct fake f = {0, 0};
	struct jobs *j = fake_jobs(&f);
	struct tjob t = {.name = "x", .result = RP_E_IO};
	struct job_def d = {.name = "x",
	                    .due = tjob_due,
	                    .run = tjob_run,
	                    .arg = &t,
	                    .retry_base_ms = 100,
	                    .retry_cap_ms = 400};

	(void)state;
	assert_int_equal(jobs_add(j, &d), RP_OK);
	f.rnd = 0; /* the short end of each window: e/2 */
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(jobs_next(j, NULL), 50);
	f.now = 50;
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(jobs_next(j, NULL), 150);
	f.rnd = UINT32_MAX;
	f.now = 150;
	assert_int_equal(jobs_run_due(j), 1);
	f.now = 150 + (int64_t)rp_backoff_ms(2, 100, 400, UINT32_MAX);
	assert_int_equal(jobs_next(j, NULL), f.now);
	assert_int_equal(jobs_run_due(j), 1);
	assert_true(jobs_next(j, NULL) - f.now <= 400); /* capped */
	jobs_free(j);
}

static void test_trigger(void **state)
{
	struct fake f = {1000, 0};
	struct jobs *j = fake_jobs(&f);
	struct tjob t = {.name = "snap", .due = 900000000, .step = 0};
	struct tjob o = {.name = "other", .due = 800000000, .step = 0};
	const char *name;

	(void)state;
	add_rule(j, &t);
	add_rule(j, &o);
	assert_int_equal(jobs_next(j, &name), 800000000);
	jobs_trigger(j, "nope");
	jobs_trigger(NULL, "snap");
	assert_int_equal(jobs_next(j, NULL), 800000000);
	jobs_trigger(j, "snap");
	assert_int_equal(jobs_next(j, &name), 1000);
	assert_string_equal(name, "snap");
	assert_int_equal(jobs_armed_ms(j), 0);
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(t.runs, 1);
	assert_int_equal(o.runs, 0);
	/* the trigger is spent: back to the rule */
	assert_int_equal(jobs_next(j, &name), 800000000);
	assert_int_equal(jobs_run_due(j), 0);

	/* a trigger from inside its own run is dropped: a run its rule
	 * made due that fails and triggers itself (as broker_sync does in
	 * the snapshot job) is not retried once the rule says "done" */
	t.self_trigger = 1;
	t.result = RP_E_IO;
	t.due = f.now;
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(jobs_failures(j, "snap"), 1);
	t.self_trigger = 0;
	t.due = 900000000;
	f.now = jobs_next(j, NULL);
	assert_true(f.now < 800000000);
	assert_int_equal(jobs_run_due(j), 0);
	assert_int_equal(jobs_failures(j, "snap"), 0);

	/* a triggered run that fails is retried although the rule says
	 * "not due", until it succeeds */
	t.result = RP_E_IO;
	jobs_trigger(j, "snap");
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(jobs_failures(j, "snap"), 1);
	assert_int_equal(jobs_next(j, NULL),
	                 f.now + (int64_t)rp_backoff_ms(0, JOBS_RETRY_BASE_MS,
	                                                JOBS_RETRY_CAP_MS, 0));
	/* in the streak a trigger does not defeat the backoff */
	jobs_trigger(j, "snap");
	assert_int_equal(jobs_run_due(j), 0);
	f.now = jobs_next(j, NULL);
	t.result = RP_OK;
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(t.runs, 4);
	assert_int_equal(jobs_failures(j, "snap"), 0);
	assert_int_equal(jobs_next(j, NULL), 800000000);
	jobs_free(j);
}

static void test_streak_ends_when_done_meanwhile(void **state)
{
	struct fake f = {1000, 0};
	struct jobs *j = fake_jobs(&f);
	struct tjob t = {.name = "crl", .due = 1000, .result = RP_E_IO};

	(void)state;
	add_rule(j, &t);
	assert_int_equal(jobs_run_due(j), 1);
	assert_int_equal(jobs_failures(j, "crl"), 1);
	t.due = 50000000; /* someone else did the work */
	f.now = jobs_next(j, NULL);
	assert_int_equal(jobs_run_due(j), 0);
	assert_int_equal(t.runs, 1);
	assert_int_equal(jobs_failures(j, "crl"), 0);
	assert_int_equal(jobs_next(j, NULL), 50000000);
	jobs_free(j);
}

static void test_still_due_after_success_is_a_failure(void **state)
{
	struct fake f = {1000, 0};
	struct jobs *j;
	struct tjob t = {.name = "spin", .due = 0, .step = 0};
	int saved, fd;
	char *out;

	(void)state;
	rp_log_init("unit", RP_LOG_STDERR, RP_LOG_INFO);
	capture_begin(&saved, &fd);
	j = fake_jobs(&f);
	add_rule(j, &t);
	assert_int_equal(jobs_run_due(j), 1);
	out = capture_end(saved, fd);
	assert_int_equal(t.runs, 1); /* not again in the same pass */
	assert_int_equal(jobs_failures(j, "spin"), 1);
	assert_true(jobs_next(j, NULL) > f.now);
	assert_non_null(strstr(out, "still due after it ran"));
	jobs_free(j);
}

static void test_longest_sleep(void **state)
{
	struct fake f = {0, 0};
	struct jobs *j = fake_jobs(&f);
	struct tjob t = {.name = "daily", .due = 86400000, .step = 86400000};

	(void)state;
	add_rule(j, &t);
	assert_int_equal(jobs_armed_ms(j), JOBS_MAX_SLEEP_MS);
	f.now = JOBS_MAX_SLEEP_MS; /* woken early: nothing due, re-armed */
	assert_int_equal(jobs_run_due(j), 0);
	assert_int_equal(jobs_armed_ms(j), JOBS_MAX_SLEEP_MS);
	f.now = 86400000 - 5;
	assert_int_equal(jobs_run_due(j), 0);
	assert_int_equal(jobs_armed_ms(j), 5);
	t.due = JOBS_NEVER;
	jobs_reschedule(j);
	assert_int_equal(jobs_armed_ms(j), -1);
	assert_int_equal(jobs_next(j, NULL), JOBS_NEVER);
	jobs_free(j);
}

struct loop_job {
	struct event_base *base;
	int runs;
};

static rp_err loop_run(void *arg)
{
	struct loop_job *l = arg;

	if (++l->runs == 3)
		event_base_loopbreak(l->base);
	return RP_OK;
}

/* The real timer on a real loop (the wall clock): three runs of a 10 ms
 * job, then the loop is broken; the deadline only ends a broken test. */
static void test_real_timer(void **state)
{
	struct event_base *base = event_base_new();
	struct loop_job l = {base, 0};
	struct job_def d = {
	    .name = "fast", .period_ms = 10, .run = loop_run, .arg = &l};
	struct timeval deadline = {30, 0};
	struct jobs *j = NULL;

	(void)state;
	assert_non_null(base);
	assert_int_equal(jobs_new(base, NULL, &j), RP_OK);
	assert_int_equal(jobs_add(j, &d), RP_OK);
	assert_int_equal(event_base_loopexit(base, &deadline), 0);
	assert_int_equal(event_base_dispatch(base), 0);
	assert_int_equal(l.runs, 3);
	jobs_free(j);
	event_base_free(base);
}

static void test_rampartd_due_rules(void **state)
{
	static struct rampartd rd;
	struct fake f = {1700000000000, 0};
	struct jobs *j = fake_jobs(&f);
	const char *name;

	(void)state;
	memset(&rd, 0, sizeof rd);
	rd.cfg.crl_lifetime = 7 * 86400;
	rd.cfg.renew_window = 30 * 86400;
	rd.crl_next_update = 1700000000 + 7 * 86400;
	rd.service_not_after = 1700000000 + 90 * 86400;
	rd.monitor_not_after = 1700000000 + 80 * 86400;
	rd.snap_seq = 1700000000123456u;
	/* half the CRL's validity */
	assert_int_equal(rd_jobs_crl_due(&rd),
	                 (1700000000 + 7 * 86400 - 7 * 86400 / 2) * 1000LL);
	/* the identity that expires first, renew_window before */
	assert_int_equal(rd_jobs_identities_due(&rd),
	                 (1700000000 + 50 * 86400) * 1000LL);
	/* a day after the last snapshot, at once when the last write
	 * failed */
	assert_int_equal(rd_jobs_snapshot_due(&rd, f.now),
	                 1700000000123LL + 86400000LL);
	rd.snap_dirty = 1;
	assert_int_equal(rd_jobs_snapshot_due(&rd, f.now), f.now);
	rd.snap_dirty = 0;
	/* registered in on_tick's order, each with its rule */
	assert_int_equal(rd_jobs_add(j, &rd), RP_OK);
	assert_int_equal(jobs_next(j, &name), 1700000000123LL + 86400000LL);
	assert_string_equal(name, RD_JOB_SNAPSHOT);
	rd.crl_next_update = 1700000000; /* past half-life */
	jobs_reschedule(j);
	assert_int_equal(jobs_next(j, &name), rd_jobs_crl_due(&rd));
	assert_string_equal(name, RD_JOB_CRL);
	assert_int_equal(jobs_armed_ms(j), 0);
	rd.crl_next_update = 1700000000 + 7 * 86400;
	rd.service_not_after = 1700000000; /* expired: renew at once */
	jobs_reschedule(j);
	(void)jobs_next(j, &name);
	assert_string_equal(name, RD_JOB_IDENTITIES);
	jobs_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_refuses_bad_defs),
	    cmocka_unit_test(test_period_job),
	    cmocka_unit_test(test_order_when_due_together),
	    cmocka_unit_test(test_backoff_and_one_log_line_per_streak),
	    cmocka_unit_test(test_custom_backoff),
	    cmocka_unit_test(test_trigger),
	    cmocka_unit_test(test_streak_ends_when_done_meanwhile),
	    cmocka_unit_test(test_still_due_after_success_is_a_failure),
	    cmocka_unit_test(test_longest_sleep),
	    cmocka_unit_test(test_real_timer),
	    cmocka_unit_test(test_rampartd_due_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
