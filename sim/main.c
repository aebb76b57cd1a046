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
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

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

enum {
	OPT_SERVER = 256,
	OPT_CA_FILE,
	OPT_CLAIM,
	OPT_BROKER,
	OPT_BROKER_CA,
	OPT_DEVICES,
	OPT_PREFIX,
	OPT_FIRST,
	OPT_DIR,
	OPT_PARALLEL,
	OPT_INTERVAL,
	OPT_JITTER,
	OPT_QUEUE_MAX,
	OPT_CHURN,
	OPT_AUTH_FAIL,
	OPT_RAMP,
	OPT_DURATION,
	OPT_STATS,
	OPT_GROUP,
	OPT_VERBOSE,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"claim", required_argument, NULL, OPT_CLAIM},
    {"broker", required_argument, NULL, OPT_BROKER},
    {"broker-ca", required_argument, NULL, OPT_BROKER_CA},
    {"devices", required_argument, NULL, OPT_DEVICES},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"first", required_argument, NULL, OPT_FIRST},
    {"dir", required_argument, NULL, OPT_DIR},
    {"enroll-parallel", required_argument, NULL, OPT_PARALLEL},
    {"telemetry-interval", required_argument, NULL, OPT_INTERVAL},
    {"jitter", required_argument, NULL, OPT_JITTER},
    {"queue-max", required_argument, NULL, OPT_QUEUE_MAX},
    {"churn", required_argument, NULL, OPT_CHURN},
    {"auth-fail-rate", required_argument, NULL, OPT_AUTH_FAIL},
    {"ramp", required_argument, NULL, OPT_RAMP},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"group", required_argument, NULL, OPT_GROUP},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " COMMAND [OPTIONS]\n\n"
	        "  run --broker HOST:PORT --broker-ca FILE --dir STATE_DIR\n"
	        "      [--server URL --ca-file ROOT.pem --claim CERT,KEY]\n"
	        "      [--devices N] [--prefix P] [--first K]\n"
	        "      [--enroll-parallel K] [--telemetry-interval S] "
	        "[--jitter PCT] [--queue-max N]\n"
	        "      [--churn PER_MIN] [--auth-fail-rate PER_MIN] "
	        "[--ramp PER_S]\n"
	        "      [--duration S] [--stats-interval S] [--verbose]\n"
	        "  allowlist [--devices N] [--prefix P] [--first K] "
	        "[--group G]\n"
	        "      the CSV for `rampart allowlist import`\n\n"
	        "Devices are PREFIX%%05u from --first (default SN-00001 on); "
	        "keystores\nare kept in STATE_DIR/devices/ID, so a second run "
	        "does not enroll again.\n(docs/sim.md)\n");
}

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

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	double v;

	if (parse_double(s, min, max, &v) != 0 || v != (double)(unsigned)v)
		return -1;
	*out = (unsigned)v;
	return 0;
}

struct opts {
	struct sim_conf c;
	const char *group;
	int verbose;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	char sample[SIM_ID_MAX + 16], why[160];
	struct sim_conf *c = &o->c;
	int ch, bad = 0;

	memset(o, 0, sizeof *o);
	c->devices = 10;
	c->first = 1;
	c->prefix = "SN-";
	c->enroll_parallel = 4;
	c->telemetry_s = 10;
	c->jitter_pct = 10;
	c->queue_max = 32;
	c->ramp_per_s = 100;
	c->stats_s = 10;
	o->group = "sim";
	optind = 1;
	while (!bad) {
		ch = getopt_long(argc, argv, "", long_opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case OPT_SERVER:
			c->server = optarg;
			break;
		case OPT_CA_FILE:
			c->ca_file = optarg;
			break;
		case OPT_CLAIM:
			c->claim = optarg;
			break;
		case OPT_BROKER:
			c->broker = optarg;
			break;
		case OPT_BROKER_CA:
			c->broker_ca = optarg;
			break;
		case OPT_DEVICES:
			bad =
			    parse_uint(optarg, 1, SIM_MAX_DEVICES, &c->devices);
			break;
		case OPT_PREFIX:
			c->prefix = optarg;
			break;
		case OPT_FIRST:
			bad = parse_uint(optarg, 0, 99999, &c->first);
			break;
		case OPT_DIR:
			c->dir = optarg;
			break;
		case OPT_PARALLEL:
			bad = parse_uint(optarg, 1, 64, &c->enroll_parallel);
			break;
		case OPT_INTERVAL:
			bad = parse_double(optarg, 0.1, 86400, &c->telemetry_s);
			break;
		case OPT_JITTER:
			bad = parse_uint(optarg, 0, 50, &c->jitter_pct);
			break;
		case OPT_QUEUE_MAX:
			bad = parse_uint(optarg, 1, 65536, &c->queue_max);
			break;
		case OPT_CHURN:
			bad = parse_double(optarg, 0, 1e6, &c->churn_per_min);
			break;
		case OPT_AUTH_FAIL:
			bad =
			    parse_double(optarg, 0, 1e6, &c->auth_fail_per_min);
			break;
		case OPT_RAMP:
			bad = parse_double(optarg, 0.1, 1e6, &c->ramp_per_s);
			break;
		case OPT_DURATION:
			bad = parse_double(optarg, 0, 1e9, &c->duration_s);
			break;
		case OPT_STATS:
			bad = parse_double(optarg, 0, 86400, &c->stats_s);
			break;
		case OPT_GROUP:
			o->group = optarg;
			break;
		case OPT_VERBOSE:
			o->verbose = 1;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(EXIT_DONE);
		default:
			return -1;
		}
	}
	if (bad)
		return -1;
	/* The ids must be device ids (the one rule, broker.h): check the
	 * first one; the others differ only in their digits. */
	if (strlen(c->prefix) > SIM_ID_MAX - 6) {
		fprintf(stderr, PROG ": --prefix: at most %d characters\n",
		        SIM_ID_MAX - 6);
		return -1;
	}
	snprintf(sample, sizeof sample, "%s%05u", c->prefix, c->first);
	if (rp_broker_device_id_check(sample, strlen(sample), why,
	                              sizeof why) != RP_OK) {
		fprintf(stderr,
		        PROG ": --prefix: the device ids it makes break the "
		             "device-id rule: %s\n",
		        why);
		return -1;
	}
	if ((unsigned long)c->first + c->devices > 100000) {
		fprintf(stderr, PROG ": --first + --devices above 99999\n");
		return -1;
	}
	return optind == argc ? 0 : -1;
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

static int need(const char *v, const char *name)
{
	if (v != NULL)
		return 0;
	fprintf(stderr, PROG " run: --%s is required\n", name);
	return -1;
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
	if (need(c->broker, "broker") || need(c->broker_ca, "broker-ca") ||
	    need(c->dir, "dir"))
		return EXIT_ERR;
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

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_ERR;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf(PROG " %s\n", RP_VERSION_STRING);
		return EXIT_DONE;
	}
	if (parse_opts(argc - 1, argv + 1, &o) != 0) {
		usage(stderr);
		return EXIT_ERR;
	}
	if (strcmp(cmd, "allowlist") == 0)
		return cmd_allowlist(&o);
	if (strcmp(cmd, "run") != 0) {
		fprintf(stderr, PROG ": unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_ERR;
	}
	if (rp_init() != RP_OK) {
		fprintf(stderr, PROG ": cannot initialise crypto\n");
		return EXIT_ERR;
	}
	/* A session whose peer went away must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	rp_log_init(PROG, RP_LOG_STDERR, o.verbose ? RP_LOG_INFO : RP_LOG_WARN);
	return cmd_run(&o);
}
