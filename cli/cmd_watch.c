/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_watch.c - "rampart device watch": the fleet live. Every INTERVAL
 * seconds it asks rampartd for the inventory (GET /api/v1/devices) and
 * for the events that arrived since the last look (GET /api/v1/events,
 * following its "next"). On a terminal the screen is redrawn: state
 * counts, online, each device's last contact, the newest events. Not on
 * a terminal it writes plain lines for logs and pipes: the counts when
 * they change, and each new event once. Ctrl-C (or --count N refreshes)
 * ends it with exit 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "answer.h"
#include "cli.h"
#include "human.h"
#include "rampart/alloc.h"

#define EVENTS_SHOWN 10 /* newest events kept on the screen */
#define STATES       6

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The fleet in one line: "12 devices: 10 enrolled, 1 quarantined, 1
 * revoked; 9 online" ("no devices" for none). */
static void summary(json_t *devs, char *out, size_t cap)
{
	static const char *order[STATES] = {"allowlisted", "enrolled",
	                                    "quarantined", "revoked",
	                                    "expired",     "decommissioned"};
	size_t n[STATES + 1] = {0}, online = 0, i, k, used;

	for (k = 0; k < json_array_size(devs); k++) {
		json_t *d = json_array_get(devs, k);
		const char *st = answer_str(d, "inventory_state");

		for (i = 0; i < STATES && strcmp(st, order[i]) != 0; i++)
			;
		n[i]++;
		online += json_is_true(json_object_get(d, "online"));
	}
	if (json_array_size(devs) == 0) {
		snprintf(out, cap, "no devices");
		return;
	}
	used =
	    (size_t)snprintf(out, cap, "%zu device%s:", json_array_size(devs),
	                     json_array_size(devs) == 1 ? "" : "s");
	for (i = 0; i <= STATES && used < cap; i++) {
		if (n[i] == 0)
			continue;
		used += (size_t)snprintf(out + used, cap - used, "%s %zu %s",
		                         used > 0 && out[used - 1] == ':' ? ""
		                                                          : ",",
		                         n[i], i < STATES ? order[i] : "other");
	}
	if (used < cap)
		snprintf(out + used, cap - used, "; %zu online", online);
}

/* One event as a line (its strings tidied by look()). */
static void event_line(json_t *e, int64_t now, char *out, size_t cap)
{
	char when[64];

	snprintf(
	    out, cap, "%s  %s  %s %s x%lld  %s",
	    human_time(answer_num(e, "received_at"), now, when, sizeof when),
	    answer_str(e, "serial"), answer_str(e, "severity"),
	    answer_str(e, "type"), (long long)answer_num(e, "count"),
	    answer_str(e, "detail"));
}

struct screen {
	char events[EVENTS_SHOWN][1400];
	size_t n_events; /* kept (the newest EVENTS_SHOWN) */
	char last_summary[256];
	int64_t after; /* the events feed's next */
};

static void keep_event(struct screen *s, const char *line)
{
	if (s->n_events == EVENTS_SHOWN) {
		memmove(s->events[0], s->events[1],
		        (EVENTS_SHOWN - 1) * sizeof s->events[0]);
		s->n_events--;
	}
	snprintf(s->events[s->n_events++], sizeof s->events[0], "%s", line);
}

static void draw(const struct admin_opts *o, const struct screen *s,
                 json_t *devs, int interval, int64_t now)
{
	static const char *heads[] = {"SERIAL", "STATE", "ONLINE", "FIRMWARE",
	                              "LAST SEEN"};
	struct human_table *t = human_table_new(5, heads);
	char when[64], b[48];
	size_t k;

	/* home, clear: the whole screen is this view */
	printf("\033[H\033[2J");
	printf("rampart device watch  %s  every %d s  (Ctrl-C ends)\n",
	       o->server, interval);
	printf("%s  at %s\n\n", s->last_summary,
	       human_time(now, now, when, sizeof when));
	for (k = 0; k < json_array_size(devs); k++) {
		json_t *d = json_array_get(devs, k);
		json_t *ago = json_object_get(d, "last_seen_ago");
		const char *fw = answer_str(d, "fw_version");
		const char *row[] = {
		    answer_str(d, "serial"), answer_str(d, "inventory_state"),
		    json_is_true(json_object_get(d, "online")) ? "online"
		                                               : "offline",
		    fw[0] ? fw : "-",
		    json_is_integer(ago)
		        ? human_rel(
		              now - human_clamp(json_integer_value(ago), now),
		              now, b, sizeof b)
		        : "never"};

		(void)human_table_add(t, row);
	}
	human_table_print(t, NULL, stdout); /* the summary says "no devices" */
	human_table_free(t);
	printf("\nnewest events\n");
	if (s->n_events == 0)
		printf("  none yet\n");
	for (k = 0; k < s->n_events; k++)
		printf("  %s\n", s->events[k]);
	fflush(stdout);
}

/* True when stdout is a pipe or socket nobody reads any more. */
static bool reader_gone(void)
{
	struct pollfd p = {STDOUT_FILENO, 0, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

/* One look: inventory and new events. CLI_OK, or admin_call's code. */
static int look(const struct admin_opts *o, struct screen *s, bool tty,
                int interval, bool first)
{
	json_t *devs = NULL, *ev = NULL, *arr;
	char path[96], line[1400], sum[256];
	int64_t now = (int64_t)time(NULL);
	size_t k;
	int code;

	code = admin_call(o, "GET", "/api/v1/devices", NULL, NULL, 0, &devs);
	if (code != CLI_OK)
		goto out;
	if (first)
		snprintf(path, sizeof path, "/api/v1/events?limit=%d",
		         EVENTS_SHOWN);
	else
		snprintf(path, sizeof path,
		         "/api/v1/events?after=%lld&limit=1000",
		         (long long)s->after);
	code = admin_call(o, "GET", path, NULL, NULL, 0, &ev);
	if (code != CLI_OK)
		goto out;
	/* device text reaches the terminal escaped */
	answer_tidy(devs);
	answer_tidy(ev);
	summary(devs, sum, sizeof sum);
	if (!tty && strcmp(sum, s->last_summary) != 0)
		printf("%s\n", sum);
	snprintf(s->last_summary, sizeof s->last_summary, "%s", sum);
	arr = json_object_get(ev, "events");
	for (k = 0; k < json_array_size(arr); k++) {
		event_line(json_array_get(arr, k), now, line, sizeof line);
		if (tty)
			keep_event(s, line);
		else
			printf("%s\n", line);
	}
	s->after = answer_num(ev, "next");
	if (tty)
		draw(o, s, devs, interval, now);
	/* nobody reads any more (| head, a closed terminal): stop asking.
	 * A quiet fleet writes nothing, so also ask the descriptor: a pipe
	 * whose reader has gone polls POLLERR. */
	if (fflush(stdout) != 0 || ferror(stdout) || reader_gone())
		code = CLI_ERROR;
out:
	json_decref(devs);
	json_decref(ev);
	return code;
}

int device_watch(const struct admin_opts *o, int interval, int count)
{
	struct screen *s = rp_calloc(1, sizeof *s); /* ours */
	struct sigaction sa;
	bool tty = isatty(STDOUT_FILENO) == 1;
	int code = CLI_ERROR, n;

	if (s == NULL)
		return CLI_ERROR;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (n = 0; !stop && (count == 0 || n < count); n++) {
		struct timespec ts = {interval, 0};

		code = look(o, s, tty, interval, n == 0);
		if (code != CLI_OK)
			break;
		if (count != 0 && n + 1 == count)
			break;
		/* a signal cuts the wait short; the loop then ends */
		while (!stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	if (stop)
		code = CLI_OK; /* Ctrl-C is how a watch ends */
	free(s);
	return code;
}
