/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet.c - the running simulated fleet (docs/sim.md): one libevent loop
 * carries every device's rp_agent session (lib/device/agent.c, the code of
 * rampart-agent run). A 50 ms tick starts sessions at the ramp rate,
 * drops and brings back devices (churn), injects failed local logins,
 * prints the progress line and ends the run (duration, SIGINT, SIGTERM)
 * with a clean DISCONNECT of every session.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/event.h>

#include "rampart/alloc.h"
#include "rampart/log.h"
#include "rampart/mqloop.h"
#include "sim.h"

#define TICK_MS      50
#define STOP_WAIT_MS 3000 /* for the DISCONNECTs to leave */

struct fleet {
	const struct sim_conf *c;
	struct sim_dev *devs;
	const struct sim_fw *fw;
	struct event_base *base;
	struct event *tick, *sigint, *sigterm;
	char host[INET6_ADDRSTRLEN];
	int port;
	unsigned *order; /* indices of the ready devices, start order */
	unsigned nready, started, running, away;
	int64_t t0, last_tick, next_stats, stop_deadline;
	double churn_acc, auth_acc;
	uint64_t churned, auth_events, start_failures, reboots;
	struct rp_agent_stats retired; /* sums over sessions freed */
	uint32_t rng;
	bool stopping;
	bool warned_fds;
	int ret;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t sim_rand(uint32_t *s)
{
	uint32_t x = *s != 0 ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* ---- simulated facts (struct rp_agent_sys) ---- */

static rp_err collect(void *ctx, struct rp_telemetry *t)
{
	struct sim_dev *d = ctx;
	int64_t now = (int64_t)time(NULL);
	int step = (int)(sim_rand(&d->rng) % 101) - 50;
	int cpu = (int)d->cpu + step;

	/* A load that wanders, as a real one does. */
	d->cpu = (uint16_t)(cpu < 20 ? 20 : cpu > 900 ? 900 : cpu);
	t->uptime_s = (uint64_t)(now > d->boot_time ? now - d->boot_time : 0);
	t->cpu_permille = d->cpu;
	t->mem_total_kb = 262144;
	t->mem_avail_kb = 120000 + sim_rand(&d->rng) % 60000;
	t->n_tcp = 0;
	t->tcp[t->n_tcp++] = 22;
	if (d->rng % 7 == 0) /* now and then a debug port opens */
		t->tcp[t->n_tcp++] = 8080;
	t->n_udp = 1;
	t->udp[0] = 123;
	snprintf(t->fw_version, sizeof t->fw_version, "%s", d->fw_version);
	snprintf(t->fw_sha256, sizeof t->fw_sha256, "%s", d->fw_sha256);
	return RP_OK;
}

/* ---- sessions ---- */

static void add_stats(struct rp_agent_stats *sum,
                      const struct rp_agent_stats *s)
{
	sum->connects += s->connects;
	sum->connect_failures += s->connect_failures;
	sum->sent += s->sent;
	sum->dropped_telemetry += s->dropped_telemetry;
	sum->dropped_events += s->dropped_events;
	sum->commands += s->commands;
}

/*
 * rp_agent_new without libmosquitto's socket pair. libmosquitto 2.0 makes
 * one in every mosquitto_new() to wake its own select() loop, which the
 * agent never runs (libevent drives the socket, rp_mqloop_kick the
 * writes); when making the pair fails it only logs a warning and goes
 * without. So the pair is made to fail: for the duration of the call no
 * descriptor can be opened (soft RLIMIT_NOFILE 0; the loop is single-
 * threaded and rp_agent_new opens nothing else). One descriptor per
 * device instead of three: 10 000 devices fit a 20 000 hard limit.
 */
static rp_err agent_new(struct fleet *f, const struct rp_agent_conf *ac,
                        rp_agent **out)
{
	struct rlimit rl, none;
	bool lowered = false;
	rp_err rc;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		none = rl;
		none.rlim_cur = 0;
		lowered = setrlimit(RLIMIT_NOFILE, &none) == 0;
	}
	rc = rp_agent_new(ac, out);
	if (lowered && setrlimit(RLIMIT_NOFILE, &rl) != 0)
		lowered = false;
	if (!lowered && !f->warned_fds) {
		f->warned_fds = true;
		rp_log(RP_LOG_WARN, "cannot keep libmosquitto's socket pair "
		                    "out: three descriptors per device");
	}
	return rc;
}

/*
 * Commands other than ping (which the agent answers itself): reboot is
 * simulated (the session drops a second later, the boot core runs again
 * on the device's flash, the device comes back a second after that and
 * reports the new boot); the rest are not.
 */
static void on_command(void *arg, rp_agent *a, const struct rp_command *cmd,
                       struct rp_command_result *res)
{
	struct sim_dev *d = arg;

	(void)a;
	if (cmd->type == RP_CMD_REBOOT && d->reboot_at == 0) {
		d->reboot_at = now_ms() + 1000; /* the result leaves first */
		res->status = RP_CMD_OK;
		snprintf(res->detail, sizeof res->detail, "rebooting");
	} else if (cmd->type == RP_CMD_REBOOT) {
		res->status = RP_CMD_REJECTED;
		snprintf(res->detail, sizeof res->detail, "already rebooting");
	} else {
		res->status = RP_CMD_UNSUPPORTED;
		snprintf(res->detail, sizeof res->detail,
		         "not simulated by rampart-sim");
	}
}

static rp_err start_dev(struct fleet *f, struct sim_dev *d)
{
	struct rp_agent_conf ac;
	rp_err rc;

	memset(&ac, 0, sizeof ac);
	ac.id = d->id;
	ac.host = f->host;
	ac.port = f->port;
	ac.tls = d->tls;
	ac.base = f->base;
	ac.telemetry_ms = (uint32_t)(f->c->telemetry_s * 1000.0);
	ac.jitter_pct = f->c->jitter_pct;
	ac.queue_max = f->c->queue_max;
	ac.sys.collect = collect;
	ac.sys.ctx = d;
	ac.on_command = on_command;
	ac.arg = d;
	rc = agent_new(f, &ac, &d->agent);
	if (rc != RP_OK)
		goto out;
	/* The boot result, once per (simulated) power-on. */
	if (!d->boot_reported) {
		rc = rp_agent_event(d->agent, RP_EVENT_BOOT,
		                    d->boot_ok ? RP_SEV_INFO : RP_SEV_CRITICAL,
		                    1, d->boot_detail);
		if (rc != RP_OK)
			goto out;
		d->boot_reported = true;
	}
	rc = rp_agent_start(d->agent);
out:
	if (rc != RP_OK) {
		rp_agent_free(d->agent);
		d->agent = NULL;
		f->start_failures++;
		rp_log(RP_LOG_WARN, "%s: session: %s", d->id, rp_strerror(rc));
	} else {
		f->running++;
	}
	return rc;
}

static void end_dev(struct fleet *f, struct sim_dev *d)
{
	struct rp_agent_stats s;

	if (d->agent == NULL)
		return;
	rp_agent_stats_get(d->agent, &s);
	add_stats(&f->retired, &s);
	rp_agent_free(d->agent);
	d->agent = NULL;
	f->running--;
}

/* A random running device (a few tries), or NULL. */
static struct sim_dev *pick(struct fleet *f)
{
	unsigned i, k;

	for (k = 0; k < 16 && f->started > 0; k++) {
		i = f->order[sim_rand(&f->rng) % f->started];
		if (f->devs[i].agent != NULL && f->devs[i].reboot_at == 0)
			return &f->devs[i];
	}
	return NULL;
}

static void churn(struct fleet *f, double dt_s, int64_t now)
{
	struct sim_dev *d;
	unsigned i;

	for (i = 0; i < f->started; i++) {
		d = &f->devs[f->order[i]];
		if (d->reboot_at != 0 && d->reboot_at <= now) {
			d->reboot_at = 0;
			end_dev(f, d);
			if (sim_dev_reboot(d, f->fw) != RP_OK)
				continue; /* no flash: stays off */
			d->boot_reported = false;
			d->boot_time = (int64_t)time(NULL);
			if (d->back_at == 0)
				f->away++;
			d->back_at = now + 1000;
			f->reboots++;
		} else if (d->back_at != 0 && d->back_at <= now) {
			d->back_at = 0;
			f->away--;
			(void)start_dev(f, d);
		}
	}
	f->churn_acc += f->c->churn_per_min * dt_s / 60.0;
	while (f->churn_acc >= 1.0) {
		f->churn_acc -= 1.0;
		d = pick(f);
		if (d == NULL)
			break;
		/* Drop the session without a DISCONNECT (the socket just
		 * closes, as when a device loses power or its link) and come
		 * back 1 to 10 s later with a new session. */
		end_dev(f, d);
		d->back_at = now + 1000 + sim_rand(&f->rng) % 9000;
		f->away++;
		f->churned++;
	}
}

static void auth_failures(struct fleet *f, double dt_s)
{
	struct sim_dev *d;

	f->auth_acc += f->c->auth_fail_per_min * dt_s / 60.0;
	while (f->auth_acc >= 1.0) {
		f->auth_acc -= 1.0;
		d = pick(f);
		if (d == NULL)
			break;
		if (rp_agent_event(d->agent, RP_EVENT_AUTH_FAILURE,
		                   RP_SEV_WARNING, 1 + sim_rand(&f->rng) % 5,
		                   "simulated: failed password for root "
		                   "(sshd)") == RP_OK)
			f->auth_events++;
	}
}

static void stats_line(struct fleet *f, int64_t now, const char *tag)
{
	struct rp_agent_stats sum = f->retired, s;
	uint64_t connected = 0, queued = 0;
	unsigned i;

	for (i = 0; i < f->started; i++) {
		struct sim_dev *d = &f->devs[f->order[i]];

		if (d->agent == NULL)
			continue;
		rp_agent_stats_get(d->agent, &s);
		add_stats(&sum, &s);
		connected += s.connected;
		queued += s.queued;
	}
	fprintf(stderr,
	        "rampart-sim: %s t=%.1fs ready=%u started=%u connected=%" PRIu64
	        " sent=%" PRIu64 " queued=%" PRIu64 " dropped=%" PRIu64
	        " connects=%" PRIu64 " connect_failures=%" PRIu64
	        " churned=%" PRIu64 " reboots=%" PRIu64
	        " away=%u auth_events=%" PRIu64 "\n",
	        tag, (double)(now - f->t0) / 1000.0, f->nready, f->started,
	        connected, sum.sent, queued,
	        sum.dropped_telemetry + sum.dropped_events, sum.connects,
	        sum.connect_failures, f->churned, f->reboots, f->away,
	        f->auth_events);
}

static bool all_disconnected(struct fleet *f)
{
	struct rp_agent_stats s;
	unsigned i;

	for (i = 0; i < f->started; i++) {
		struct sim_dev *d = &f->devs[f->order[i]];

		if (d->agent == NULL)
			continue;
		rp_agent_stats_get(d->agent, &s);
		if (s.connected)
			return false;
	}
	return true;
}

static void begin_stop(struct fleet *f, const char *why)
{
	unsigned i;

	if (f->stopping)
		return;
	f->stopping = true;
	f->stop_deadline = now_ms() + STOP_WAIT_MS;
	rp_log(RP_LOG_INFO, "stopping (%s): disconnecting %u sessions", why,
	       f->running);
	stats_line(f, now_ms(), "final");
	for (i = 0; i < f->started; i++)
		if (f->devs[f->order[i]].agent != NULL)
			rp_agent_stop(f->devs[f->order[i]].agent);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	int64_t now = now_ms();
	double dt_s = (double)(now - f->last_tick) / 1000.0;
	uint64_t want;

	(void)fd;
	(void)what;
	f->last_tick = now;
	if (f->stopping) {
		if (all_disconnected(f) || now >= f->stop_deadline)
			event_base_loopbreak(f->base);
		return;
	}
	if (f->c->duration_s > 0 &&
	    (double)(now - f->t0) >= f->c->duration_s * 1000.0) {
		begin_stop(f, "duration");
		return;
	}
	/* The ramp: sessions started so far = elapsed * rate (+1). */
	want =
	    (uint64_t)((double)(now - f->t0) / 1000.0 * f->c->ramp_per_s) + 1;
	while (f->started < f->nready && f->started < want) {
		(void)start_dev(f, &f->devs[f->order[f->started]]);
		f->started++;
	}
	churn(f, dt_s, now);
	auth_failures(f, dt_s);
	if (f->c->stats_s > 0 && now >= f->next_stats) {
		f->next_stats = now + (int64_t)(f->c->stats_s * 1000.0);
		stats_line(f, now, "run");
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	begin_stop(arg, sig == SIGINT ? "SIGINT" : "SIGTERM");
}

int sim_fleet_run(const struct sim_conf *c, struct sim_dev *devs,
                  const struct sim_fw *fw)
{
	struct fleet f;
	struct timeval tv = {0, TICK_MS * 1000};
	unsigned i;
	int64_t wall = (int64_t)time(NULL);

	memset(&f, 0, sizeof f);
	f.c = c;
	f.devs = devs;
	f.fw = fw;
	f.ret = 2;
	f.rng = (uint32_t)wall | 1;
	if (rp_mqloop_addr_parse(c->broker, f.host, sizeof f.host, &f.port) !=
	    RP_OK) {
		rp_log(RP_LOG_ERROR, "--broker wants HOST:PORT (numeric host)");
		return 2;
	}
	f.order = rp_calloc(c->devices > 0 ? c->devices : 1, sizeof f.order[0]);
	f.base = event_base_new();
	if (f.order == NULL || f.base == NULL)
		goto out;
	for (i = 0; i < c->devices; i++) {
		struct sim_dev *d = &devs[i];

		if (d->failed || d->tls == NULL)
			continue;
		f.order[f.nready++] = i;
		d->rng = sim_rand(&f.rng) | 1;
		d->cpu = (uint16_t)(50 + d->rng % 300);
		/* Powered on some time in the last day. */
		d->boot_time = wall - (int64_t)(d->rng % 86400);
	}
	if (f.nready == 0) {
		rp_log(RP_LOG_ERROR, "no device is ready to run");
		goto out;
	}
	f.tick = event_new(f.base, -1, EV_PERSIST, on_tick, &f);
	f.sigint = evsignal_new(f.base, SIGINT, on_signal, &f);
	f.sigterm = evsignal_new(f.base, SIGTERM, on_signal, &f);
	if (f.tick == NULL || f.sigint == NULL || f.sigterm == NULL ||
	    event_add(f.tick, &tv) != 0 || event_add(f.sigint, NULL) != 0 ||
	    event_add(f.sigterm, NULL) != 0)
		goto out;
	f.t0 = f.last_tick = now_ms();
	f.next_stats = f.t0 + (int64_t)(c->stats_s * 1000.0);
	rp_log(RP_LOG_INFO, "running %u devices against %s:%d (%.0f/s ramp)",
	       f.nready, f.host, f.port, c->ramp_per_s);
	on_tick(-1, 0, &f);
	if (event_base_dispatch(f.base) < 0)
		goto out;
	f.ret = 0;
out:
	for (i = 0; i < f.started; i++)
		end_dev(&f, &devs[f.order[i]]);
	if (f.tick != NULL)
		event_free(f.tick);
	if (f.sigint != NULL)
		event_free(f.sigint);
	if (f.sigterm != NULL)
		event_free(f.sigterm);
	if (f.base != NULL)
		event_base_free(f.base);
	free(f.order);
	return f.ret;
}
