/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - rampart-sim, a simulated fleet in one process (docs/sim.md):
 * `run` prepares N virtual devices (keystore, EST enrollment, flash and
 * boot: prepare.c, firmware.c) and runs their MQTT sessions on one loop
 * (fleet.c); `allowlist` prints the CSV that lets rampartd enroll them.
 * Exit codes: 0 done, 2 error.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "rampart/alloc.h"
#include "rampart/broker.h"
#include "rampart/log.h"
#include "rampart/mqloop.h"
#include "rampart/mem.h"
#include "sim.h"

enum { EXIT_DONE = 0, EXIT_ERR = 2 };

#define PROG "rampart-sim"

/* Descriptors per device: its socket (fleet.c keeps libmosquitto's
 * socket pair out). */
#define FDS_PER_DEVICE 1
#define FDS_SPARE      256

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min) ||
	    !(v <= max))
		return -1;
	*out = v;
	return 0;
}

struct opts {
	struct sim_conf c;
	const char *group;
	int verbose;
};

/* A number with a fraction (the table's numbers are whole): seconds,
 * rates. */
static int get_double(const struct tool_ctx *t, const char *name, double min,
                      double max, const char *unit, double *out)
{
	const char *v = tool_str(t, name);

	if (v == NULL || parse_double(v, min, max, out) == 0)
		return TOOL_OK;
	return tool_usage_error(
	    t,
	    "--%s wants a number of %s from %.15g to %.15g, "
	    "not '%s'",
	    name, unit, min, max, v);
}

static int get_opts(const struct tool_ctx *t, struct opts *o)
{
	char sample[SIM_ID_MAX + 16], why[160];
	struct sim_conf *c = &o->c;
	int rc = TOOL_OK;

	memset(o, 0, sizeof *o);
	c->server = tool_str(t, "server");
	c->ca_file = tool_str(t, "ca-file");
	c->claim = tool_str(t, "claim");
	c->broker = tool_str(t, "broker");
	c->broker_ca = tool_str(t, "broker-ca");
	c->devices = (unsigned)tool_uint(t, "devices", 10);
	c->first = (unsigned)tool_uint(t, "first", 1);
	c->prefix = tool_str(t, "prefix") ? tool_str(t, "prefix") : "SN-";
	c->dir = tool_str(t, "dir");
	c->enroll_parallel = (unsigned)tool_uint(t, "enroll-parallel", 4);
	c->jitter_pct = (unsigned)tool_uint(t, "jitter", 10);
	c->queue_max = (unsigned)tool_uint(t, "queue-max", 32);
	c->telemetry_s = 10;
	c->ramp_per_s = 100;
	c->stats_s = 10;
	o->group = tool_str(t, "group") ? tool_str(t, "group") : "sim";
	o->verbose = tool_flag(t, "verbose");
	rc = get_double(t, "telemetry-interval", 0.1, 86400, "seconds",
	                &c->telemetry_s);
	if (rc == TOOL_OK)
		rc = get_double(t, "churn", 0, 1e6, "devices per minute",
		                &c->churn_per_min);
	if (rc == TOOL_OK)
		rc = get_double(t, "auth-fail-rate", 0, 1e6,
		                "attempts per minute", &c->auth_fail_per_min);
	if (rc == TOOL_OK)
		rc = get_double(t, "ramp", 0.1, 1e6, "connections per second",
		                &c->ramp_per_s);
	if (rc == TOOL_OK)
		rc = get_double(t, "duration", 0, 1e9, "seconds",
		                &c->duration_s);
	if (rc == TOOL_OK)
		rc = get_double(t, "stats-interval", 0, 86400, "seconds",
		                &c->stats_s);
	if (rc != TOOL_OK)
		return rc;
	/* The ids must be device ids (the one rule, broker.h): check the
	 * first one; the others differ only in their digits. */
	if (strlen(c->prefix) > SIM_ID_MAX - 6)
		return tool_usage_error(t, "--prefix: at most %d characters",
		                        SIM_ID_MAX - 6);
	snprintf(sample, sizeof sample, "%s%05u", c->prefix, c->first);
	if (rp_broker_device_id_check(sample, strlen(sample), why,
	                              sizeof why) != RP_OK)
		return tool_usage_error(t,
		                        "--prefix: the device ids it makes "
		                        "break the device-id rule: %s",
		                        why);
	if ((unsigned long)c->first + c->devices > 100000)
		return tool_usage_error(t, "--first + --devices above 99999");
	return TOOL_OK;
}

void sim_dev_id(const struct sim_conf *c, unsigned i, char *out, size_t cap)
{
	snprintf(out, cap, "%s%05u", c->prefix, c->first + i);
}

static int cmd_allowlist(const struct opts *o)
{
	char id[SIM_ID_MAX];
	unsigned i;

	if (strchr(o->group, ',') != NULL || strchr(o->group, '\n') != NULL) {
		fprintf(stderr, PROG ": --group: no commas or newlines\n");
		return EXIT_ERR;
	}
	printf("serial,hw_type,hw_token,group,tags\n");
	for (i = 0; i < o->c.devices; i++) {
		sim_dev_id(&o->c, i, id, sizeof id);
		printf("%s,%s,,%s,sim\n", id, SIM_HW, o->group);
	}
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERR;
}

/* Room for every device's descriptors; says so when there is not. */
static int raise_nofile(unsigned devices)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)devices * FDS_PER_DEVICE + FDS_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need) {
		struct rlimit up = {need, need};

		/* Only a privileged process may raise the hard limit. */
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return 0;
		fprintf(stderr,
		        PROG ": %u devices need %llu file descriptors; the "
		             "hard limit is %llu (raise it: ulimit -Hn, or "
		             "LimitNOFILE=), or run fewer devices\n",
		        devices, (unsigned long long)need,
		        (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, PROG ": setrlimit(RLIMIT_NOFILE, %llu): %s\n",
		        (unsigned long long)need, strerror(errno));
		return -1;
	}
	return 0;
}

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int cmd_run(const struct opts *o)
{
	const struct sim_conf *c = &o->c;
	struct sim_prep_stats st;
	struct sigaction sa;
	struct sim_fw fw;
	struct sim_dev *devs = NULL;
	char path[1024];
	unsigned i, ready = 0;
	int ret = EXIT_ERR, n;
	rp_err rc;

	memset(&fw, 0, sizeof fw);
	/* before minutes of enrollment, not after */
	if (rp_mqloop_addr_parse(c->broker, path, sizeof path, &n) != RP_OK) {
		fprintf(stderr, PROG " run: --broker wants HOST:PORT or "
		                     "[V6]:PORT, a numeric address\n");
		return EXIT_ERR;
	}
	if (raise_nofile(c->devices) != 0)
		return EXIT_ERR;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	n = snprintf(path, sizeof path, "%s/devices", c->dir);
	if (n <= 0 || (size_t)n >= sizeof path ||
	    (mkdir(c->dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(path, 0700) != 0 && errno != EEXIST)) {
		fprintf(stderr, PROG ": %s: %s\n", c->dir, strerror(errno));
		return EXIT_ERR;
	}
	rc = sim_fw_prepare(c->dir, &fw);
	if (rc != RP_OK) {
		fprintf(stderr, PROG ": firmware in %s: %s\n", c->dir,
		        rp_strerror(rc));
		goto out;
	}
	devs = rp_calloc(c->devices, sizeof devs[0]);
	if (devs == NULL)
		goto out;
	for (i = 0; i < c->devices; i++)
		sim_dev_id(c, i, devs[i].id, sizeof devs[i].id);
	memset(&st, 0, sizeof st);
	rc = sim_prepare(c, devs, &fw, &st, &stop_flag);
	if (rc != RP_OK) {
		fprintf(stderr, PROG ": %s\n", rp_strerror(rc));
		goto out;
	}
	for (i = 0; i < c->devices; i++)
		ready += devs[i].tls != NULL;
	printf("enrolled %u, already enrolled %u, failed %u, ready %u\n",
	       atomic_load(&st.enrolled_now), atomic_load(&st.already),
	       atomic_load(&st.failed), ready);
	fflush(stdout);
	if (stop_flag) {
		ret = EXIT_DONE;
		goto out;
	}
	ret = sim_fleet_run(c, devs, &fw);
out:
	for (i = 0; devs != NULL && i < c->devices; i++) {
		SSL_CTX_free(devs[i].tls);
		sim_dev_flash_free(&devs[i]);
	}
	free(devs);
	sim_fw_free(&fw);
	return ret;
}

static const struct tool_opt id_opts[] = {
    {.name = "devices",
     .kind = TOOL_UINT,
     .min = 1,
     .max = SIM_MAX_DEVICES,
     .help = "how many devices (default 10)"},
    {.name = "prefix",
     .kind = TOOL_STRING,
     .value = "P",
     .help = "device ids are P and five digits (default SN-)"},
    {.name = "first",
     .kind = TOOL_UINT,
     .max = 99999,
     .help = "the first device's number (default 1)"},
    {0}};

static const struct tool_opt run_opts[] = {
    {.name = "broker",
     .kind = TOOL_STRING,
     .value = "HOST:PORT",
     .flags = TOOL_REQUIRED,
     .help = "the broker (numeric address; [V6]:PORT)"},
    {.name = "broker-ca",
     .kind = TOOL_PATH,
     .flags = TOOL_REQUIRED,
     .help = "the CA of the broker's certificate"},
    {.name = "dir",
     .kind = TOOL_PATH,
     .value = "STATE_DIR",
     .flags = TOOL_REQUIRED,
     .help = "keystores and flash files, kept across runs"},
    {.name = "server",
     .kind = TOOL_STRING,
     .value = "URL",
     .help = "rampartd's https://HOST:PORT, to enroll"},
    {.name = "ca-file",
     .kind = TOOL_PATH,
     .value = "ROOT.pem",
     .help = "the fleet root, to trust rampartd"},
    {.name = "claim",
     .kind = TOOL_STRING,
     .value = "CERT,KEY",
     .help = "the claim certificate and key to enroll with"},
    {.name = "enroll-parallel",
     .kind = TOOL_UINT,
     .min = 1,
     .max = 64,
     .help = "enrollments at once (default 4)"},
    {.name = "telemetry-interval",
     .kind = TOOL_STRING,
     .value = "S",
     .help = "seconds between telemetry (0.1 to 86400, default 10)"},
    {.name = "jitter",
     .kind = TOOL_UINT,
     .max = 50,
     .unit = "percent",
     .help = "telemetry timing jitter (default 10)"},
    {.name = "queue-max",
     .kind = TOOL_UINT,
     .min = 1,
     .max = 65536,
     .help = "messages a device queues while offline (default 32)"},
    {.name = "churn",
     .kind = TOOL_STRING,
     .value = "PER_MIN",
     .help = "devices that drop and reconnect per minute (default 0)"},
    {.name = "auth-fail-rate",
     .kind = TOOL_STRING,
     .value = "PER_MIN",
     .help = "connections with a bad certificate per minute (default 0)"},
    {.name = "ramp",
     .kind = TOOL_STRING,
     .value = "PER_S",
     .help = "connections started per second (default 100)"},
    {.name = "duration",
     .kind = TOOL_STRING,
     .value = "S",
     .help = "stop after S seconds (default 0: until SIGINT/SIGTERM)"},
    {.name = "stats-interval",
     .kind = TOOL_STRING,
     .value = "S",
     .help = "seconds between statistics lines (default 10; 0: none)"},
    {.name = "verbose", .kind = TOOL_FLAG, .help = "log at info level"},
    {0}};

static const struct tool_opt allow_opts[] = {
    {.name = "group",
     .kind = TOOL_STRING,
     .value = "G",
     .help = "the devices' group (default sim)"},
    {0}};

static int run_run(const struct tool_ctx *t)
{
	struct opts o;
	int rc = get_opts(t, &o);

	if (rc != TOOL_OK)
		return rc;
	if (rp_init() != RP_OK) {
		fprintf(stderr, PROG ": cannot initialise crypto\n");
		return EXIT_ERR;
	}
	/* A session whose peer went away must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	rp_log_init(PROG, RP_LOG_STDERR, o.verbose ? RP_LOG_INFO : RP_LOG_WARN);
	return cmd_run(&o);
}

static int run_allowlist(const struct tool_ctx *t)
{
	struct opts o;
	int rc = get_opts(t, &o);

	return rc != TOOL_OK ? rc : cmd_allowlist(&o);
}

static const struct tool_cmd sim_cmds[] = {
    {.name = "run",
     .summary = "enroll, boot and run the simulated devices",
     .opts = run_opts,
     .shared = id_opts,
     .run = run_run},
    {.name = "allowlist",
     .summary = "print the CSV for 'rampart allowlist import'",
     .opts = allow_opts,
     .shared = id_opts,
     .run = run_allowlist},
    {0}};

static const struct tool_cmd sim_root = {
    .summary = "a simulated fleet in one process (docs/sim.md).",
    .subs = sim_cmds,
    .more = "Devices are PREFIX and five digits from --first (default "
            "SN-00001 on); keystores are kept in STATE_DIR/devices/ID, so "
            "a second run does not enroll again."};

int main(int argc, char **argv)
{
	static const struct tool_prog prog = {
	    .name = PROG, .version = RP_VERSION_STRING, .root = &sim_root};

	return tool_main(&prog, argc, argv, NULL);
}
