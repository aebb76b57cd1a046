/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_device.c - "rampart device ...": the inventory (list: state,
 * online, firmware, last seen, group; show: everything the device last
 * reported, its counts, newest events and commands), revoke certificates
 * (a fresh CRL is published at once), decommission, allow
 * re-provisioning, force a renewal, quarantine and release, ping over
 * MQTT, start, follow and cancel a firmware update, rampartd's ingest
 * status, and the refusals table.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "answer.h"
#include "human.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"
#include "cli.h"

/* How long ago the "..._ago" seconds v were, "never" for null. */
static const char *ago(json_t *v, int64_t now, char *buf, size_t cap)
{
	if (!json_is_integer(v)) {
		snprintf(buf, cap, "never");
		return buf;
	}
	return human_rel(now - human_clamp(json_integer_value(v), now), now,
	                 buf, cap);
}

static void print_list(json_t *j)
{
	static const char *heads[] = {"SERIAL",   "STATE",     "ONLINE",
	                              "FIRMWARE", "LAST SEEN", "GROUP"};
	struct human_table *t = human_table_new(6, heads);
	int64_t now = (int64_t)time(NULL);
	char b[48];

	for (size_t k = 0; k < json_array_size(j); k++) {
		json_t *e = json_array_get(j, k);
		const char *fw = answer_str(e, "fw_version");
		const char *row[] = {
		    answer_str(e, "serial"),
		    answer_str(e, "inventory_state"),
		    json_is_true(json_object_get(e, "online")) ? "online"
		                                               : "offline",
		    fw[0] ? fw : "-",
		    ago(json_object_get(e, "last_seen_ago"), now, b, sizeof b),
		    answer_str(e, "group")};

		(void)human_table_add(t, row);
	}
	human_table_print(t, "no devices", stdout);
	human_table_free(t);
}

static void print_ports(const char *name, json_t *a)
{
	printf(" %s ", name);
	if (json_array_size(a) == 0)
		printf("-");
	for (size_t i = 0; i < json_array_size(a); i++)
		printf("%s%lld", i ? "," : "",
		       (long long)json_integer_value(json_array_get(a, i)));
}

static void print_update(json_t *u, int64_t now);

void cli_device_print(json_t *j)
{
	json_t *t = json_object_get(j, "telemetry");
	json_t *c = json_object_get(j, "counts");
	json_t *a;
	char u[64];
	int64_t now = (int64_t)time(NULL);
	size_t i;

	answer_tidy(j);
	printf("device %s\n", answer_str(j, "serial"));
	printf(
	    "  state         %s, %s%s%s\n", answer_str(j, "inventory_state"),
	    json_is_true(json_object_get(j, "online")) ? "online" : "offline",
	    json_is_true(json_object_get(j, "quarantined")) ? "; quarantined: "
	                                                    : "",
	    answer_str(j, "quarantine_reason"));
	printf("  group         %s (hw_type %s%s%s)\n", answer_str(j, "group"),
	       answer_str(j, "hw_type"),
	       answer_str(j, "tags")[0] ? ", tags " : "",
	       answer_str(j, "tags"));
	printf("  last seen     %s\n",
	       answer_num(j, "last_seen") > 0
	           ? human_time(answer_num(j, "last_seen"), now, u, sizeof u)
	           : "never");
	if (json_is_object(t)) {
		printf("  firmware      %s\n", answer_str(t, "fw_version")[0]
		                                   ? answer_str(t, "fw_version")
		                                   : "-");
		printf("  fw sha256     %s\n", answer_str(t, "fw_sha256"));
		printf("  telemetry     seq %lld, up %s, cpu %.1f %%, memory "
		       "%lld of %lld kB free, every %llds\n",
		       answer_num(t, "seq"),
		       human_span(answer_num(t, "uptime_s"), u, sizeof u),
		       (double)answer_num(t, "cpu_permille") / 10.0,
		       answer_num(t, "mem_avail_kb"),
		       answer_num(t, "mem_total_kb"),
		       answer_num(t, "interval_s"));
		printf("  ports        ");
		print_ports("tcp", json_object_get(t, "tcp"));
		print_ports(" udp", json_object_get(t, "udp"));
		printf("\n");
		printf("  agent         %lld messages sent, %lld dropped "
		       "offline; event log %lld records, head %s\n",
		       answer_num(t, "msgs_sent"), answer_num(t, "dropped"),
		       answer_num(t, "log_seq"),
		       answer_str(t, "log_head")[0] ? answer_str(t, "log_head")
		                                    : "-");
	} else {
		printf("  telemetry     none yet\n");
	}
	if (json_is_object(c))
		printf("  received      %lld telemetry, %lld events, %lld "
		       "command results; %lld rejected (malformed)\n",
		       answer_num(c, "telemetry"), answer_num(c, "events"),
		       answer_num(c, "results"), answer_num(c, "rejected"));
	a = json_object_get(j, "certificates");
	printf("  certificates  %zu\n", json_array_size(a));
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);

		printf("    %s until %s%s%s\n", answer_str(e, "serial"),
		       human_time(answer_num(e, "not_after"), now, u, sizeof u),
		       answer_num(e, "revoked_at") ? ", revoked: " : "",
		       answer_str(e, "reason"));
	}
	a = json_object_get(j, "events");
	printf("  events        %zu newest\n", json_array_size(a));
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);

		printf(
		    "    %s  %-8s %-14s x%lld  %s\n",
		    human_time(answer_num(e, "received_at"), now, u, sizeof u),
		    answer_str(e, "severity"), answer_str(e, "type"),
		    answer_num(e, "count"), answer_str(e, "detail"));
	}
	if (json_is_object(json_object_get(j, "update")))
		print_update(json_object_get(j, "update"), now);
	else
		printf("  update        none\n");
	a = json_object_get(j, "commands");
	printf("  commands      %zu newest\n", json_array_size(a));
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		json_t *r = json_object_get(e, "result");

		printf("    %s  %s %s: %s%s%s\n",
		       human_time(answer_num(e, "issued_at"), now, u, sizeof u),
		       answer_str(e, "type"), answer_str(e, "id"),
		       r ? answer_str(r, "status") : "no result yet",
		       r && answer_str(r, "detail")[0] ? " " : "",
		       r ? answer_str(r, "detail") : "");
	}
}

/* "rolled_back at 35 % (1234 of 3525 bytes)": an update's state and
 * progress into buf. */
static const char *update_progress(json_t *u, char *buf, size_t cap)
{
	json_t *pct = json_object_get(u, "percent");
	const char *code = answer_str(u, "code");

	if (json_is_integer(pct))
		snprintf(buf, cap, "%s, %lld %% (%lld of %lld bytes)%s%s",
		         answer_str(u, "state"),
		         (long long)json_integer_value(pct),
		         answer_num(u, "offset"), answer_num(u, "size"),
		         code[0] ? ": " : "", code);
	else
		snprintf(buf, cap, "%s%s%s", answer_str(u, "state"),
		         code[0] ? ": " : "", code);
	return buf;
}

/* The update block of device show (u: its "update", an object). */
static void print_update(json_t *u, int64_t now)
{
	const char *ver = answer_str(u, "version");
	char p[200], t[64];

	printf("  update        %s %s%s\n", ver[0] ? ver : "(removed)",
	       update_progress(u, p, sizeof p),
	       json_is_true(json_object_get(u, "final")) ? ", final" : "");
	printf("    release %s, command %s, since %s\n",
	       answer_str(u, "release"), answer_str(u, "command"),
	       human_time(answer_num(u, "updated_at"), now, t, sizeof t));
	if (answer_str(u, "detail")[0])
		printf("    detail  %s\n", answer_str(u, "detail"));
}

/* device refusals, for a person: newest first, one row a refusal. */
static void print_refusals(json_t *j)
{
	static const char *heads[] = {"AT",      "ROUTE",  "PEER",
	                              "SUBJECT", "REASON", "DETAIL"};
	struct human_table *t = human_table_new(6, heads);
	int64_t now = (int64_t)time(NULL);
	json_t *a = json_is_array(j) ? j : json_object_get(j, "refusals");
	size_t k;

	for (k = 0; k < json_array_size(a); k++) {
		json_t *e = json_array_get(a, k);
		char at[64];
		const char *row[] = {
		    human_time(answer_num(e, "at"), now, at, sizeof at),
		    answer_str(e, "route"),
		    answer_str(e, "peer"),
		    answer_str(e, "subject")[0] ? answer_str(e, "subject")
		                                : "-",
		    answer_str(e, "reason"),
		    answer_str(e, "detail")};

		(void)human_table_add(t, row);
	}
	human_table_print(t, "no refusals", stdout);
	human_table_free(t);
}

/* What a revoke, decommission, reprovision, renew, quarantine or release
 * did, in one line (the API's answer: docs/admin-api.md). */
static void print_action(const char *sub, const char *id, json_t *j)
{
	json_t *rev = json_object_get(j, "revoked");
	size_t i;

	if (json_is_array(rev)) {
		printf("%s %s: %zu certificate%s revoked (%s)", sub, id,
		       json_array_size(rev),
		       json_array_size(rev) == 1 ? "" : "s",
		       answer_str(j, "reason"));
		for (i = 0; i < json_array_size(rev); i++)
			printf("%s%s", i ? ", " : ": ",
			       json_is_string(json_array_get(rev, i))
			           ? json_string_value(json_array_get(rev, i))
			           : "?");
		printf("; %s\n",
		       json_is_true(json_object_get(j, "crl_published"))
		           ? "new CRL published"
		           : "the CRL was NOT published: see rampartd's "
		             "log");
		return;
	}
	if (strcmp(sub, "quarantine") == 0)
		printf("%s quarantined: %s (events only; commands still reach "
		       "it)\n",
		       id, answer_str(j, "quarantine_reason"));
	else if (strcmp(sub, "release") == 0)
		printf("%s released: %s\n", id,
		       answer_str(j, "inventory_state"));
	else if (strcmp(sub, "reprovision") == 0)
		printf("%s may enroll once more (now %s)\n", id,
		       answer_str(j, "inventory_state"));
	else if (strcmp(sub, "update-cancel") == 0 &&
	         strcmp(answer_str(j, "state"), "cancelled") == 0)
		printf("update %s of %s cancelled%s%s\n",
		       answer_str(j, "cancels"), id,
		       json_is_string(json_object_get(j, "command"))
		           ? "; a cancel command was sent: "
		           : " (no command: the device cannot connect)",
		       answer_str(j, "command"));
	else if (strcmp(sub, "update-cancel") == 0)
		printf("cancel %s sent to %s for update %s (the device "
		       "answers with state cancelled)\n",
		       answer_str(j, "command"), id, answer_str(j, "cancels"));
	else if (strcmp(sub, "renew") == 0)
		printf("%s must renew its certificate at its next connection "
		       "(now %s)\n",
		       id, answer_str(j, "inventory_state"));
	else
		printf("%s %s: done\n", sub, id);
}

/* The result of command cid in a device_show answer, or NULL. */
static json_t *result_of(json_t *show, const char *cid)
{
	json_t *a = json_object_get(show, "commands");

	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);

		if (strcmp(answer_str(e, "id"), cid) == 0)
			return json_object_get(e, "result");
	}
	return NULL;
}

/* POST ping; with wait > 0 poll the device until its result is there. */
static int ping(const struct admin_opts *o, const char *id, int wait)
{
	char path[256];
	json_t *j = NULL, *show = NULL, *r;
	long long end = (long long)time(NULL) + wait;
	int code;

	snprintf(path, sizeof path, "/api/v1/devices/%s/ping", id);
	code = admin_call(o, "POST", path, NULL, NULL, 0, &j);
	if (code != CLI_OK || wait <= 0) {
		if (code == CLI_OK && o->json)
			answer_print_json(j);
		else if (code == CLI_OK)
			printf("ping %s sent to %s (add --wait SECONDS to wait "
			       "for the answer)\n",
			       answer_str(j, "command"), id);
		goto out;
	}
	snprintf(path, sizeof path, "/api/v1/devices/%s", id);
	for (;;) {
		json_decref(show);
		show = NULL;
		code = admin_call(o, "GET", path, NULL, NULL, 0, &show);
		if (code != CLI_OK)
			goto out;
		r = result_of(show, answer_str(j, "command"));
		if (r != NULL) {
			answer_tidy(r);
			printf("%s: %s %s\n", id, answer_str(r, "status"),
			       answer_str(r, "detail"));
			code = strcmp(answer_str(r, "status"), "ok") == 0
			           ? CLI_OK
			           : CLI_NO;
			goto out;
		}
		if ((long long)time(NULL) >= end) {
			fprintf(stderr,
			        "rampart: no answer from %s within "
			        "%d s\n",
			        id, wait);
			code = CLI_NO;
			goto out;
		}
		/* a person waiting for an answer: poll 5 times a second */
		nanosleep(&(struct timespec){0, 200000000}, NULL);
	}
out:
	json_decref(show);
	json_decref(j);
	return code;
}

/* The exit code of a final update state: 0 confirmed, 1 any other. */
static int update_exit(json_t *u)
{
	return strcmp(answer_str(u, "state"), "confirmed") == 0 ? CLI_OK
	                                                        : CLI_NO;
}

/* Follow update cmd of device id until it is final (or timeout seconds
 * passed, 0: no limit), a line for each change of state or percent. */
static int update_follow(const struct admin_opts *o, const char *id,
                         const char *cmd, int timeout)
{
	char path[256], line[240], last[240] = "";
	long long end = (long long)time(NULL) + timeout;
	json_t *j = NULL, *u;
	int code;

	snprintf(path, sizeof path, "/api/v1/devices/%s/update", id);
	for (;;) {
		json_decref(j);
		j = NULL;
		code = admin_call(o, "GET", path, NULL, NULL, 0, &j);
		if (code != CLI_OK)
			goto out;
		answer_tidy(j);
		u = json_object_get(j, "current");
		if (!json_is_object(u) ||
		    strcmp(answer_str(u, "command"), cmd) != 0) {
			fprintf(stderr,
			        "rampart: update %s of %s is no longer the "
			        "device's current one\n",
			        cmd, id);
			code = CLI_ERROR;
			goto out;
		}
		update_progress(u, line, sizeof line);
		if (strcmp(line, last) != 0 && !o->json) {
			printf("%s: %s\n", id, line);
			fflush(stdout);
			snprintf(last, sizeof last, "%s", line);
		}
		if (json_is_true(json_object_get(u, "final"))) {
			if (o->json)
				answer_print_json(u);
			code = update_exit(u);
			goto out;
		}
		if (timeout > 0 && (long long)time(NULL) >= end) {
			fprintf(stderr,
			        "rampart: update %s of %s not final within %d "
			        "s (still %s; rampart device show %s)\n",
			        cmd, id, timeout, answer_str(u, "state"), id);
			code = CLI_ERROR;
			goto out;
		}
		/* a person watching a download: once a second */
		nanosleep(&(struct timespec){1, 0}, NULL);
	}
out:
	json_decref(j);
	return code;
}

/* POST update {"release"}; with wait, follow it until it is final. */
static int update_start(const struct admin_opts *o, const char *id,
                        const char *release, bool wait, int timeout)
{
	char path[256];
	json_t *in = json_pack("{s:s}", "release", release), *j = NULL, *u;
	char *body = in ? json_dumps(in, JSON_COMPACT) : NULL;
	int code = CLI_ERROR;

	if (body == NULL)
		goto out;
	snprintf(path, sizeof path, "/api/v1/devices/%s/update", id);
	code = admin_call(o, "POST", path, "application/json", body,
	                  strlen(body), &j);
	if (code != CLI_OK)
		goto out;
	answer_tidy(j);
	u = json_object_get(j, "update");
	if (o->json && !wait)
		answer_print_json(j);
	else if (!o->json)
		printf("update %s sent to %s: release %s (%s)%s\n",
		       answer_str(u, "command"), id, answer_str(u, "release"),
		       answer_str(u, "version"),
		       wait ? "" : "; follow it with rampart device show");
	if (wait)
		code = update_follow(o, id, answer_str(u, "command"), timeout);
out:
	free(body);
	json_decref(in);
	json_decref(j);
	return code;
}

/* --server, --token-file, --ca, --json: every admin command's. */
const struct tool_opt cli_admin_opts[] = {
    {.name = "server",
     .kind = TOOL_STRING,
     .value = "URL",
     .help = "rampartd's https://HOST:PORT",
     .env = "RAMPART_SERVER"},
    {.name = "token-file",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the admin token's file",
     .env = "RAMPART_TOKEN_FILE"},
    {.name = "ca",
     .kind = TOOL_PATH,
     .value = "ROOT.pem",
     .help = "the fleet root to trust",
     .env = "RAMPART_CA"},
    {.name = "json", .kind = TOOL_FLAG, .help = "print the API's JSON"},
    {0},
};

void cli_admin_opts_get(const struct tool_ctx *c, struct admin_opts *o)
{
	/* the environment's values are the table's (tool_opt.env) */
	memset(o, 0, sizeof *o);
	o->server = tool_str(c, "server");
	o->token_file = tool_str(c, "token-file");
	o->ca = tool_str(c, "ca");
	o->json = tool_flag(c, "json");
}

static int device_run(const struct tool_ctx *c);

static const struct tool_arg id_arg[] = {{"ID", TOOL_REQUIRED}, {0}};
static const struct tool_opt revoke_opts[] = {
    {.name = "reason",
     .kind = TOOL_STRING,
     .value = "REASON",
     .help = "an RFC 5280 name (keyCompromise, superseded, "
             "cessationOfOperation, ...)",
     .flags = TOOL_REQUIRED},
    {.name = "serial",
     .kind = TOOL_STRING,
     .value = "HEX",
     .help = "only this certificate"},
    {0},
};
static const struct tool_opt decom_opts[] = {
    {.name = "reason",
     .kind = TOOL_STRING,
     .value = "REASON",
     .help = "an RFC 5280 name (default cessationOfOperation)"},
    {0},
};
static const struct tool_opt quar_opts[] = {
    {.name = "reason",
     .kind = TOOL_STRING,
     .value = "TEXT",
     .help = "why, kept with the device",
     .flags = TOOL_REQUIRED},
    {0},
};
static const struct tool_opt ping_opts[] = {
    {.name = "wait",
     .kind = TOOL_UINT,
     .value = "SECONDS",
     .help = "wait for the answer",
     .max = 86400,
     .unit = "seconds"},
    {0},
};
static const struct tool_arg update_args[] = {
    {"ID", TOOL_REQUIRED}, {"RELEASE", TOOL_REQUIRED}, {0}};
static const struct tool_opt update_opts[] = {
    {.name = "wait",
     .kind = TOOL_FLAG,
     .help = "follow the update until it is final; exit 0 confirmed, "
             "1 failed, rolled back or cancelled"},
    {.name = "timeout",
     .kind = TOOL_UINT,
     .value = "SECONDS",
     .help = "with --wait: give up after SECONDS (exit 2; the update "
             "goes on)",
     .min = 1,
     .max = 30 * 86400,
     .unit = "seconds"},
    {0},
};
static const struct tool_opt watch_opts[] = {
    {.name = "interval",
     .kind = TOOL_UINT,
     .value = "SECONDS",
     .help = "refresh every SECONDS (default 2)",
     .min = 1,
     .max = 3600,
     .unit = "seconds"},
    {.name = "count",
     .kind = TOOL_UINT,
     .help = "stop after N refreshes (default: until Ctrl-C)",
     .min = 1,
     .max = 1000000},
    {0},
};
static const struct tool_opt refusals_opts[] = {
    /* what rampartd serves (server/api/refusals.c) */
    {.name = "limit",
     .kind = TOOL_UINT,
     .help = "the newest N (default 100)",
     .min = 1,
     .max = 10000},
    {0},
};

#define DEV(n, s, o, a)                                                       \
	{                                                                     \
		.name = n, .summary = s, .opts = o, .shared = cli_admin_opts, \
		.args = a, .run = device_run                                  \
	}
const struct tool_cmd device_cmds[] = {
    DEV("list", "the inventory, one line per device", NULL, NULL),
    DEV("show", "everything a device last reported", NULL, id_arg),
    DEV("revoke", "revoke a device's certificates (a new CRL at once)",
        revoke_opts, id_arg),
    DEV("decommission", "retire a device for good", decom_opts, id_arg),
    DEV("reprovision", "let a device enroll once more", NULL, id_arg),
    DEV("renew", "make a device renew at its next connection", NULL, id_arg),
    DEV("quarantine", "isolate a device (events only)", quar_opts, id_arg),
    DEV("release", "end a quarantine", NULL, id_arg),
    DEV("ping", "ask a device to answer over MQTT", ping_opts, id_arg),
    DEV("update", "install a release on a device", update_opts, update_args),
    DEV("update-cancel", "stop a device's running update", NULL, id_arg),
    DEV("watch", "a live view of the fleet", watch_opts, NULL),
    DEV("ingest", "rampartd's MQTT ingest status", NULL, NULL),
    DEV("refusals", "the newest refused requests and why", refusals_opts, NULL),
    {0},
};

static int device_run(const struct tool_ctx *c)
{
	struct admin_opts o;
	const char *sub = c->cmd->name, *id = c->argc ? c->argv[0] : NULL;
	const char *reason = tool_str(c, "reason");
	const char *serial = tool_str(c, "serial");
	uint64_t limit = tool_uint(c, "limit", 100);
	uint64_t wait = tool_uint(c, "wait", 0);
	uint64_t interval = tool_uint(c, "interval", 2);
	uint64_t count = tool_uint(c, "count", 0);
	char path[256];
	char *body = NULL;
	json_t *j = NULL, *in = NULL;
	int code = CLI_ERROR;

	cli_admin_opts_get(c, &o);
	if (strcmp(sub, "list") == 0 && id == NULL) {
		code =
		    admin_call(&o, "GET", "/api/v1/devices", NULL, NULL, 0, &j);
		if (code == CLI_OK && o.json)
			answer_print_json(j);
		else if (code == CLI_OK) {
			print_list(j); /* the table escapes its cells */
		}
		goto out;
	}
	if (strcmp(sub, "watch") == 0 && id == NULL) {
		code = device_watch(&o, (int)interval, (int)count);
		goto out;
	}
	if (strcmp(sub, "ingest") == 0 && id == NULL) {
		code =
		    admin_call(&o, "GET", "/api/v1/ingest", NULL, NULL, 0, &j);
		if (code == CLI_OK)
			answer_print_json(j);
		goto out;
	}
	if (strcmp(sub, "refusals") == 0 && id == NULL) {
		snprintf(path, sizeof path, "/api/v1/refusals?limit=%d",
		         (int)limit);
		code = admin_call(&o, "GET", path, NULL, NULL, 0, &j);
		if (code == CLI_OK && o.json)
			answer_print_json(j);
		else if (code == CLI_OK)
			print_refusals(j);
		goto out;
	}
	if (id == NULL || strlen(id) > 64) {
		code = tool_usage_error(c, "a device ID has 1 to 64 "
		                           "characters");
		goto out;
	}
	if (strcmp(sub, "show") == 0) {
		snprintf(path, sizeof path, "/api/v1/devices/%s", id);
		code = admin_call(&o, "GET", path, NULL, NULL, 0, &j);
		if (code == CLI_OK && !o.json)
			cli_device_print(j);
		else if (code == CLI_OK)
			answer_print_json(j);
		goto out;
	} else if (strcmp(sub, "ping") == 0) {
		code = ping(&o, id, (int)wait);
		goto out;
	} else if (strcmp(sub, "update") == 0) {
		code = update_start(&o, id, c->argv[1], tool_flag(c, "wait"),
		                    (int)tool_uint(c, "timeout", 0));
		goto out;
	} else if (strcmp(sub, "update-cancel") == 0) {
		snprintf(path, sizeof path, "/api/v1/devices/%s/update/cancel",
		         id);
		code = admin_call(&o, "POST", path, NULL, NULL, 0, &j);
	} else if (strcmp(sub, "revoke") == 0 ||
	           strcmp(sub, "decommission") == 0) {
		if (sub[0] == 'r' && reason == NULL) {
			fprintf(stderr, "rampart: revoke needs --reason\n");
			goto out;
		}
		in = json_object();
		if (reason != NULL)
			json_object_set_new(in, "reason", json_string(reason));
		if (serial != NULL)
			json_object_set_new(in, "serial", json_string(serial));
		body = json_dumps(in, JSON_COMPACT);
		snprintf(path, sizeof path, "/api/v1/devices/%s/%s", id, sub);
		code = admin_call(&o, "POST", path, "application/json", body,
		                  body ? strlen(body) : 0, &j);
	} else if (strcmp(sub, "reprovision") == 0 ||
	           strcmp(sub, "renew") == 0 || strcmp(sub, "release") == 0) {
		snprintf(path, sizeof path, "/api/v1/devices/%s/%s", id, sub);
		code = admin_call(&o, "POST", path, NULL, NULL, 0, &j);
	} else if (strcmp(sub, "quarantine") == 0) {
		if (reason == NULL) {
			fprintf(stderr, "rampart: quarantine needs --reason\n");
			goto out;
		}
		in = json_pack("{s:s}", "reason", reason);
		body = in ? json_dumps(in, JSON_COMPACT) : NULL;
		snprintf(path, sizeof path, "/api/v1/devices/%s/%s", id, sub);
		code = admin_call(&o, "POST", path, "application/json", body,
		                  body ? strlen(body) : 0, &j);
	} else {
		code = tool_usage_error(c, "unknown command '%s'", sub);
		goto out;
	}
	if (code == CLI_OK && o.json)
		answer_print_json(j);
	else if (code == CLI_OK) {
		answer_tidy(j);
		print_action(sub, id, j);
	}
out:
	free(body);
	json_decref(in);
	json_decref(j);
	return code;
}
