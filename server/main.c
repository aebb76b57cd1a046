/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - rampartd: reads the configuration, opens the store and the
 * fleet CAs (creating them on first run, with a one-time setup token shown
 * on the console only), then serves HTTPS (and, with a broker configured,
 * its MQTT service client, mqtt/) from one libevent loop until
 * SIGTERM/SIGINT. SIGHUP re-reads the settings that are safe to change.
 * Periodic work runs as jobs on the same loop (jobs/rd_jobs.h); started
 * as root with --user it becomes that user first (priv/priv.h).
 * A store that holds a device with a reserved id is refused at start
 * until --decommission retires it (registry/). Before it creates
 * anything it checks that it can bind its address and that no live
 * rampartd holds its pidfile (start/start.h); detached, it logs to a file
 * (or syslog) and writes the pidfile. docs/rampartd.md describes flags,
 * keys and the data directory.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "cmdline.h"
#include "http/http.h"
#include "jobs/rd_jobs.h"
#include "mqtt/mqtt.h"
#include "priv/priv.h"
#include "start/start.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "rampartd.h"
#include "registry/lifecycle.h"
#include "release/release.h"

#define DECOMMISSION_MAX 1024 /* --decommission flags in one start */

struct opts {
	const char *config;
	const char *data_dir;
	const char *listen;
	int port;
	int foreground;
	const char *token_file;
	int new_token;
	const char *import_cert, *import_key;
	const char *log_level;
	const char *broker;
	const char *decommission[DECOMMISSION_MAX]; /* --decommission IDs */
	size_t n_decommission;
	const char *user;     /* --user NAME (priv/priv.h) */
	const char *pidfile;  /* --pidfile PATH (start/start.h) */
	const char *log_file; /* --log-file PATH */
	int syslog;           /* --syslog */
	int check_config;     /* --check-config */
};

static const struct tool_opt rd_opts[] = {
    {.name = "config",
     .shortname = 'c',
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the configuration file (rampartd.md: keys)"},
    {.name = "data-dir",
     .shortname = 'd',
     .kind = TOOL_PATH,
     .value = "DIR",
     .help = "the data directory; overrides [server] data_dir"},
    {.name = "listen",
     .kind = TOOL_STRING,
     .value = "ADDR",
     .help = "the address to listen on; overrides [server] listen"},
    {.name = "port",
     .kind = TOOL_UINT,
     .max = 65535,
     .help = "the HTTPS port; overrides [server] port; 0: a free one, "
             "logged"},
    {.name = "foreground",
     .shortname = 'f',
     .kind = TOOL_FLAG,
     .help = "stay in the foreground, log to stderr"},
    {.name = "log-level",
     .kind = TOOL_STRING,
     .value = "LEVEL",
     .help = "error, warn, info (default) or debug"},
    {.name = "setup-token-file",
     .kind = TOOL_PATH,
     .help = "write a new setup token to FILE (0600), not the console"},
    {.name = "new-setup-token",
     .kind = TOOL_FLAG,
     .help = "replace the setup token (the old one stops working)"},
    {.name = "import-root",
     .kind = TOOL_PATH,
     .value = "CERT",
     .help = "first run: sign the issuing CA with your own root (with "
             "--import-root-key)"},
    {.name = "import-root-key",
     .kind = TOOL_STRING,
     .value = "KEY",
     .help = "the imported root's key: a PEM file or a pkcs11: spec"},
    {.name = "broker",
     .kind = TOOL_STRING,
     .value = "HOST:PORT",
     .help = "the MQTT broker to ingest from; overrides [mqtt] broker"},
    {.name = "decommission",
     .kind = TOOL_STRING,
     .value = "ID",
     .flags = TOOL_REPEAT,
     .help = "decommission device ID before starting (up to 1024)"},
    {.name = "user",
     .kind = TOOL_STRING,
     .value = "NAME",
     .help = "root only: become NAME before the data directory is "
             "touched"},
    {.name = "pidfile",
     .kind = TOOL_PATH,
     .value = "PATH",
     .help = "the pidfile (detached: DATA_DIR/rampartd.pid)"},
    {.name = "log-file",
     .kind = TOOL_PATH,
     .value = "PATH",
     .help = "the log file (detached: DATA_DIR/rampartd.log)"},
    {.name = "syslog",
     .kind = TOOL_FLAG,
     .help = "log to syslog (daemon) instead of a file"},
    {.name = "check-config",
     .kind = TOOL_FLAG,
     .help = "check the configuration file and exit: 0 valid, 2 not"},
    {0}};

static int run_rampartd(const struct tool_ctx *c);

static const struct tool_cmd rd_root = {
    .summary = "Rampart's fleet server: device registry, fleet CAs with "
               "EST enrollment, admin API, MQTT ingest (docs/rampartd.md).",
    .opts = rd_opts,
    .run = run_rampartd,
    .more = "Signals: SIGTERM and SIGINT stop it cleanly (exit 0); SIGHUP "
            "re-reads the configuration file."};

static const struct tool_prog rd_prog = {
    .name = "rampartd", .version = RP_VERSION_STRING, .root = &rd_root};

/* The parsed command line as the rest of main wants it. */
static int get_opts(const struct tool_ctx *c, struct opts *o)
{
	size_t n = tool_count(c, "decommission");

	memset(o, 0, sizeof *o);
	o->config = tool_str(c, "config");
	o->data_dir = tool_str(c, "data-dir");
	o->listen = tool_str(c, "listen");
	o->port = tool_count(c, "port") ? (int)tool_uint(c, "port", 0) : -1;
	o->foreground = tool_flag(c, "foreground");
	o->log_level = tool_str(c, "log-level");
	o->token_file = tool_str(c, "setup-token-file");
	o->new_token = tool_flag(c, "new-setup-token");
	o->import_cert = tool_str(c, "import-root");
	o->import_key = tool_str(c, "import-root-key");
	o->broker = tool_str(c, "broker");
	o->user = tool_str(c, "user");
	o->pidfile = tool_str(c, "pidfile");
	o->log_file = tool_str(c, "log-file");
	o->syslog = tool_flag(c, "syslog");
	o->check_config = tool_flag(c, "check-config");
	if (n > DECOMMISSION_MAX)
		return tool_usage_error(c,
		                        "more than %d --decommission; start "
		                        "again for the rest",
		                        DECOMMISSION_MAX);
	for (size_t i = 0; i < n; i++)
		o->decommission[i] = tool_nth(c, "decommission", i);
	o->n_decommission = n;
	if (!o->import_cert != !o->import_key)
		return tool_usage_error(c,
		                        "--import-root and --import-root-key "
		                        "go together");
	if (o->log_file != NULL && o->syslog)
		return tool_usage_error(c, "--log-file or --syslog, not both");
	return TOOL_OK;
}

static rp_err set_level(const char *name)
{
	enum rp_log_level lvl;
	rp_err rc = rp_log_level_parse(name, &lvl);

	if (rc == RP_OK)
		rp_log_set_level(lvl);
	return rc;
}

/*
 * Make a setup token when none exists (or when asked): 32 random bytes,
 * base64url. Only its SHA-256 is stored; the token goes to token_file
 * (0600) or to stdout, never to the log.
 */
static rp_err setup_token(struct rampartd *rd, const struct opts *o)
{
	uint8_t raw[32], hash[32], have[32];
	char tok[64];
	size_t hl = sizeof have;
	rp_err rc = store_meta_get(rd->store, RD_META_SETUP_TOKEN, have, &hl);

	if (rc == RP_OK && !o->new_token)
		return RP_OK;
	if (rc != RP_OK && rc != RP_E_NOT_FOUND)
		return rc;
	if (RAND_bytes(raw, sizeof raw) != 1)
		return RP_E_CRYPTO;
	rc = rp_b64_encode(raw, sizeof raw, RP_B64_URL, tok, sizeof tok);
	if (rc != RP_OK)
		goto out;
	SHA256((const unsigned char *)tok, strlen(tok), hash);
	rc = store_meta_set(rd->store, RD_META_SETUP_TOKEN, hash, sizeof hash);
	if (rc != RP_OK)
		goto out;
	if (o->token_file != NULL) {
		char line[80];
		int n = snprintf(line, sizeof line, "%s\n", tok);

		rc = ca_write_file(o->token_file, line, (size_t)n, 0600);
		rp_wipe(line, sizeof line);
		if (rc == RP_OK)
			rp_log_info("wrote a new one-time setup token to %s",
			            o->token_file);
	} else {
		printf("\nrampartd: one-time setup token (shown once, never "
		       "logged; use it as the admin API bearer token):\n\n"
		       "    %s\n\n",
		       tok);
		fflush(stdout);
		rp_log_info("printed a new one-time setup token on the "
		            "console");
	}
out:
	rp_wipe(tok, sizeof tok);
	rp_wipe(raw, sizeof raw);
	return rc;
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct rampartd *rd = arg;

	(void)what;
	rp_log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(rd->base);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct rampartd *rd = arg;
	struct rd_config n;
	struct rp_config_diag diag;

	(void)sig;
	(void)what;
	memset(&n, 0, sizeof n);
	if (rp_log_reopen() != RP_OK) /* logrotate moved the log file */
		rp_log_error("SIGHUP: cannot reopen the log file (%s); "
		             "still writing the old one",
		             strerror(errno));
	if (rd->config_path == NULL) {
		rp_log_info("SIGHUP: no configuration file to re-read");
		return;
	}
	if (rd_config_load(rd->config_path, &n, &diag) != RP_OK) {
		rp_log_error("SIGHUP: keeping the old configuration: %s",
		             diag.text);
		return;
	}
	if (set_level(n.log_level) != RP_OK)
		rp_log_warn("SIGHUP: bad log_level '%s' ignored", n.log_level);
	if ((!rd->listen_flag && strcmp(n.listen, rd->cfg.listen) != 0) ||
	    (!rd->port_flag && n.port != rd->cfg.port) ||
	    strcmp(n.server_names, rd->cfg.server_names) != 0)
		rp_log_warn("SIGHUP: listen, port and server_names change "
		            "only on restart");
	if (strcmp(n.mqtt_broker, rd->cfg.mqtt_broker) != 0 ||
	    n.mqtt_queue_max != rd->cfg.mqtt_queue_max ||
	    n.mqtt_batch_max != rd->cfg.mqtt_batch_max ||
	    n.mqtt_batch_ms != rd->cfg.mqtt_batch_ms ||
	    n.mqtt_keepalive != rd->cfg.mqtt_keepalive ||
	    n.mqtt_telemetry_keep != rd->cfg.mqtt_telemetry_keep ||
	    n.mqtt_events_keep != rd->cfg.mqtt_events_keep)
		rp_log_warn("SIGHUP: [mqtt] settings change only on restart");
	rd->cfg.est_max_body = n.est_max_body;
	rd->cfg.admin_max_body = n.admin_max_body;
	rd->cfg.device_lifetime = n.device_lifetime;
	rd->cfg.renew_window = n.renew_window;
	rd->cfg.claim_max_lifetime = n.claim_max_lifetime;
	rd->cfg.crl_lifetime = n.crl_lifetime;
	jobs_reschedule(rd->jobs); /* a lifetime or window moves due times */
	rd_config_free(&n);
	rp_log_info("SIGHUP: configuration re-read");
}

/*
 * --decommission ID...: each named device decommissioned (its valid
 * certificates revoked, reason cessationOfOperation) in one transaction
 * per device, by lifecycle_revoke, the admin API's transition. Every id
 * is looked up first: an unknown one stops start-up before anything
 * changes. The CRL is published later in the start-up sequence, before
 * anything listens.
 */
static rp_err decommission_all(struct rampartd *rd, const struct opts *o)
{
	static const struct registry_actor cli = {REG_ACTOR_CLI,
	                                          "--decommission"};
	struct lifecycle_done done;
	struct store_device d;
	char shown[4 * STORE_SERIAL_MAX + 1];
	size_t i;
	rp_err rc = RP_OK;

	for (i = 0; rc == RP_OK && i < o->n_decommission; i++) {
		rc = store_device_get(rd->store, o->decommission[i], &d);
		if (rc != RP_OK) {
			(void)rp_escape(shown, sizeof shown, o->decommission[i],
			                strlen(o->decommission[i]));
			rp_log_error("--decommission %s: %s; nothing changed, "
			             "nothing started",
			             shown,
			             rc == RP_E_NOT_FOUND
			                 ? "no such device in the store"
			                 : rp_strerror(rc));
		}
	}
	for (i = 0; rc == RP_OK && i < o->n_decommission; i++) {
		rc = lifecycle_revoke(rd, &cli, o->decommission[i], NULL,
		                      LIFECYCLE_REASON_CESSATION, true, &done);
		lifecycle_done_free(&done);
		if (rc != RP_OK)
			rp_log_error("--decommission: %s; nothing started",
			             rp_strerror(rc));
	}
	return rc;
}

static int ensure_dir(const char *d)
{
	struct stat st;

	if (mkdir(d, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "rampartd: cannot create %s: %s\n", d,
		        strerror(errno));
		return -1;
	}
	if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "rampartd: %s is not a directory\n", d);
		return -1;
	}
	return 0;
}

/* path made absolute against the working directory, as daemon(3) moves
 * to /. 0, or -1 when it does not fit or the directory is unknown. */
static int absolute(const char *path, char *out, size_t cap)
{
	char cwd[4096];
	int n;

	if (path[0] == '/')
		n = snprintf(out, cap, "%s", path);
	else if (getcwd(cwd, sizeof cwd) == NULL)
		return -1;
	else
		n = snprintf(out, cap, "%s/%s", cwd, path);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/*
 * Where the pidfile and the log go (docs/rampartd.md "Pidfile and log"):
 * --pidfile, else DATA_DIR/rampartd.pid when detached, else none;
 * --log-file, else DATA_DIR/rampartd.log when detached without --syslog,
 * else none (stderr, or syslog). Both absolute. Empty: none.
 */
static int start_paths(const struct opts *o, const char *data_dir, char *pid,
                       char *log, size_t cap)
{
	int rc = 0;

	pid[0] = log[0] = '\0';
	if (o->pidfile != NULL)
		rc |= absolute(o->pidfile, pid, cap);
	else if (!o->foreground)
		rc |=
		    snprintf(pid, cap, "%s/rampartd.pid", data_dir) >= (int)cap;
	if (o->log_file != NULL)
		rc |= absolute(o->log_file, log, cap);
	else if (!o->foreground && !o->syslog)
		rc |=
		    snprintf(log, cap, "%s/rampartd.log", data_dir) >= (int)cap;
	if (rc != 0)
		fprintf(stderr, "rampartd: --pidfile or --log-file path too "
		                "long\n");
	return rc != 0 ? -1 : 0;
}

/* Can the log file be opened (made, when missing) as this user? */
static int log_file_ok(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		rp_log_error("cannot open log file %s: %s (see --log-file)",
		             path, strerror(errno));
		return -1;
	}
	(void)close(fd);
	return 0;
}

/* From here on the log goes to the file, or syslog, if asked. */
static rp_err log_switch(const struct opts *o, const struct rd_config *cfg,
                         const char *log)
{
	rp_err rc = RP_OK;

	if (o->syslog)
		rp_log_init("rampartd", RP_LOG_SYSLOG, RP_LOG_INFO);
	else if (log[0] != '\0')
		rc = rp_log_file(log);
	(void)set_level(o->log_level ? o->log_level : cfg->log_level);
	if (rc != RP_OK)
		rp_log_error("cannot open log file %s: %s", log,
		             strerror(errno));
	return rc;
}

int main(int argc, char **argv)
{
	return tool_main(&rd_prog, argc, argv, NULL);
}

static int run_rampartd(const struct tool_ctx *c)
{
	static struct rampartd rd;
	static struct opts o; /* 8 KiB of --decommission: not on the stack */
	struct rp_config_diag diag;
	struct ca_opts co;
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
	char dbpath[4200], pidpath[4200], logpath[4200];
	int created = 0, status = 1, bound = 0, pid_fd = -1;
	const char *listen;
	rp_err rc;

	if (get_opts(c, &o) != TOOL_OK)
		return TOOL_ERROR;
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	if (rp_init() != RP_OK) {
		fprintf(stderr, "rampartd: cannot initialise crypto\n");
		return 1;
	}
	rp_log_init("rampartd", RP_LOG_STDERR, RP_LOG_INFO);
	rd.config_path = o.config;
	if (rd_config_load(o.config, &rd.cfg, &diag) != RP_OK) {
		fprintf(stderr, "rampartd: %s\n", diag.text);
		return 2;
	}
	if (set_level(o.log_level ? o.log_level : rd.cfg.log_level) != RP_OK) {
		fprintf(stderr,
		        "rampartd: bad log level '%s' (error, warn, "
		        "info or debug)\n",
		        o.log_level ? o.log_level : rd.cfg.log_level);
		status = 2;
		goto out;
	}
	if (o.check_config) { /* parsed, every value in range: done */
		printf("rampartd: %s: configuration is valid\n",
		       o.config ? o.config : "(no file: the defaults)");
		status = 0;
		goto out;
	}
	if (o.port >= 0)
		rd.cfg.port = o.port; /* 0: any free port, logged */
	rd.port_flag = o.port >= 0;
	rd.listen_flag = o.listen != NULL;
	if (o.data_dir == NULL)
		o.data_dir = rd.cfg.data_dir;
	if (o.data_dir == NULL || o.data_dir[0] == '\0') {
		fprintf(stderr, "rampartd: no data directory (--data-dir or "
		                "[server] data_dir)\n");
		status = 2;
		goto out;
	}
	snprintf(rd.data_dir, sizeof rd.data_dir, "%s", o.data_dir);
	listen = o.listen ? o.listen : rd.cfg.listen;
	/* --listen 0.0.0.0 (the file's listen is checked with it) */
	if (rd_public_url(&rd.cfg, listen, 1, rd.public_url,
	                  sizeof rd.public_url) == RP_E_CONFIG_BAD_VALUE) {
		fprintf(stderr, "rampartd: listen is a wildcard address: set "
		                "[http] public_url to the URL devices reach "
		                "rampartd at\n");
		status = 2;
		goto out;
	}
	/* before anything is created: the port is free (start/start.h) */
	if (start_bind_check(listen, (int)rd.cfg.port) != RP_OK) {
		status = 2;
		goto out;
	}
	/* as the user that owns the data, before anything touches it */
	rc = priv_drop(o.user, rd.data_dir, (long long)rd.cfg.port);
	if (rc != RP_OK) {
		status = rc == RP_E_INVAL ? 2 : 1;
		goto out;
	}
	if (ensure_dir(rd.data_dir) != 0)
		goto out;
	if (!o.foreground) { /* daemon(3) moves to /: an absolute path */
		char *abs = realpath(rd.data_dir, NULL);

		if (abs == NULL || strlen(abs) >= sizeof rd.data_dir) {
			fprintf(stderr, "rampartd: %s: %s\n", rd.data_dir,
			        abs ? "path too long" : strerror(errno));
			free(abs);
			goto out;
		}
		snprintf(rd.data_dir, sizeof rd.data_dir, "%s", abs);
		free(abs);
	}
	if (start_paths(&o, rd.data_dir, pidpath, logpath, sizeof pidpath) !=
	    0) {
		status = 2;
		goto out;
	}
	if ((pidpath[0] != '\0' &&
	     start_pidfile_take(pidpath, &pid_fd) != RP_OK) ||
	    (logpath[0] != '\0' && log_file_ok(logpath) != 0)) {
		status = 2;
		goto out;
	}
	snprintf(dbpath, sizeof dbpath, "%s/rampart.db", rd.data_dir);
	if (store_open(dbpath, &rd.store) != RP_OK)
		goto out;
	/* Every lifecycle transition is told to one hook (registry/): today
	 * one log line each; the audit log (issue 15) is written there. */
	registry_set_audit(registry_audit_log, NULL);
	/* Before anything is created, listens or writes a snapshot: no
	 * device may carry a reserved id (docs/rampartd.md). */
	if (decommission_all(&rd, &o) != RP_OK)
		goto out;
	if (lifecycle_check_reserved(&rd) != RP_OK)
		goto out;
	memset(&co, 0, sizeof co);
	co.import_root_cert = o.import_cert;
	co.import_root_key = o.import_key;
	co.server_names = rd.cfg.server_names;
	co.server_lifetime = rd.cfg.server_cert_lifetime;
	if (ca_open(rd.data_dir, &co, &rd.ca, &created) != RP_OK)
		goto out;
	if (setup_token(&rd, &o) != RP_OK) {
		rp_log_error("cannot create the setup token");
		goto out;
	}
	if (!o.foreground) {
		rp_log_info("detaching: log in %s, pid in %s",
		            o.syslog ? "syslog" : logpath, pidpath);
		/* SQLite's POSIX locks do not survive fork(): reopen after. */
		store_close(rd.store);
		rd.store = NULL;
		if (daemon(0, 0) != 0) {
			rp_log_error("cannot daemonize: %s", strerror(errno));
			goto out;
		}
	}
	if (log_switch(&o, &rd.cfg, logpath) != RP_OK)
		goto out;
	if (pid_fd >= 0 && start_pidfile_write(pid_fd, pidpath) != RP_OK)
		goto out;
	if (rd.store == NULL && store_open(dbpath, &rd.store) != RP_OK)
		goto out;
	if (release_start(rd.store, rd.data_dir) != RP_OK) /* the sweep */
		goto out;
	rd.base = event_base_new();
	if (rd.base == NULL || http_tls_ctx(rd.ca, &rd.tls) != RP_OK)
		goto out;
	if (crl_publish(&rd) != RP_OK) /* with what --decommission revoked */
		goto out;
	if (broker_service_identity(&rd) != RP_OK)
		goto out;
	broker_sync(&rd, "start");
	rd.broker_flag = o.broker;
	if (mqtt_start(&rd) != RP_OK) {
		status = 2;
		goto out;
	}
	rc = routes_listen(&rd, listen, &bound);
	if (rc != RP_OK || priv_bound() != RP_OK)
		goto out;
	if (rd_public_url(&rd.cfg, listen, bound, rd.public_url,
	                  sizeof rd.public_url) != RP_OK) {
		rp_log_error("the download URL base https://%s:%d is too long "
		             "(set [http] public_url)",
		             listen, bound);
		goto out;
	}
	ev_term = evsignal_new(rd.base, SIGTERM, on_stop, &rd);
	ev_int = evsignal_new(rd.base, SIGINT, on_stop, &rd);
	ev_hup = evsignal_new(rd.base, SIGHUP, on_hup, &rd);
	if (!ev_term || !ev_int || !ev_hup || evsignal_add(ev_term, NULL) ||
	    evsignal_add(ev_int, NULL) || evsignal_add(ev_hup, NULL))
		goto out;
	/* periodic work: CRL, identities, snapshot (jobs/rd_jobs.h) */
	if (jobs_new(rd.base, NULL, &rd.jobs) != RP_OK ||
	    rd_jobs_add(rd.jobs, &rd) != RP_OK)
		goto out;
	rp_log_info("listening on https://%s:%d/ (data in %s, schema %d)",
	            listen, bound, rd.data_dir, store_schema_version(rd.store));
	if (event_base_dispatch(rd.base) != 0)
		goto out;
	status = 0;
out:
	/* before the store closes: what was received is written first */
	mqtt_stop(&rd);
	if (status == 0 && !o.check_config)
		rp_log_info("stopped");
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	if (ev_hup)
		event_free(ev_hup);
	jobs_free(rd.jobs);
	rd.jobs = NULL;
	routes_close(&rd); /* answers the refusals waiting for their batch */
	SSL_CTX_free(rd.tls);
	if (rd.base)
		event_base_free(rd.base);
	ca_free(rd.ca);
	store_close(rd.store);
	free(rd.crl_der);
	start_pidfile_remove(pid_fd, pidpath);
	rd_config_free(&rd.cfg);
	return status;
}
