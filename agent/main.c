/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - rampart-agent, the device side: enroll (key born in the
 * keystore, CSR, EST simpleenroll with the claim certificate, certificate
 * and chain stored), renew (EST simplereenroll with the current
 * certificate inside the renewal window, retrying with exponential backoff
 * and jitter while the server is away), run (renew by itself, forever),
 * erase (cryptographic erase), csr and status. docs/agent.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "bootinfo.h"
#include "cmd_log.h"
#include "cmdline.h"
#include "human.h"
#include "enroll.h"
#include "evlog.h"
#include "rampart/backoff.h"
#include "rampart/enroll.h"
#include "rampart/crypto_host.h"
#include "rampart/http.h"
#include "rampart/keystore.h"
#include "rampart/log.h"
#include "rampart/mqloop.h"
#include "rampart/mem.h"
#include "rampart/agent.h"
#include "rampart/chainlog.h"
#include "rampart/sysinfo.h"

/* Renewal defaults (docs/agent.md): the SDK's window, 5 s first retry,
 * 1 h cap. */
#define AGENT_RENEW_WINDOW_S  RP_RENEW_WINDOW_S
#define AGENT_BACKOFF_BASE_MS 5000ULL
#define AGENT_BACKOFF_CAP_MS  3600000ULL

/* Exit codes as the rampart CLI: yes, no (the server refused), error. */

struct opts {
	const char *server;
	const char *claim; /* "CERT,KEY" */
	const char *keystore;
	const char *serial;
	const char *ca_file;
	const char *hw_token;
	const char *out;
	long long window_s;
	long retries;
	unsigned long long backoff_base_ms;
	unsigned long long backoff_cap_ms;
	int force;
	int hw_token_tpm;
	/* run: the MQTT session (docs/agent.md "run") */
	const char *broker; /* HOST:PORT, numeric host */
	const char *broker_ca;
	const char *log;
	const char *auth_log;
	const char *watch_config;
	const char *fw_version;
	const char *fw_image;
	const char *boot_flash; /* rampart-boot's flash file */
	long long boot_sector;
	long long telemetry_s;
	long long queue_max;
	long long reconnect_base_ms;
	long long reconnect_cap_ms;
};

#define S(n, v, h)                                                    \
	{                                                             \
		.name = n, .kind = TOOL_STRING, .value = v, .help = h \
	}
#define P(n, v, h)                                                  \
	{                                                           \
		.name = n, .kind = TOOL_PATH, .value = v, .help = h \
	}
#define U(n, v, lo, hi, u, h)                                        \
	{                                                            \
		.name = n, .kind = TOOL_UINT, .value = v, .min = lo, \
		.max = hi, .unit = u, .help = h                      \
	}
#define F(n, h)                                         \
	{                                               \
		.name = n, .kind = TOOL_FLAG, .help = h \
	}

/* Every command takes the same options (docs/agent.md says which one
 * reads which); the table gives their names, kinds and ranges. */
static const struct tool_opt agent_opts[] = {
    {.name = "config",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "read the options not given here from FILE (keys: the long "
             "options, '_' for '-'; rampart-agent.conf(5))",
     .flags = TOOL_CONFIG,
     .env = "RAMPART_AGENT_CONFIG"},
    S("server", "URL", "rampartd's EST URL, https://HOST:PORT"),
    S("claim", "CERT,KEY", "the claim certificate and key (enroll)"),
    S("keystore", "SPEC",
      "file:DIR | pkcs11:URI | tpm:handle=0x81......;dir=DIR[;tcti=CONF]"),
    S("serial", "ID", "the device's serial (enroll, csr)"),
    P("ca-file", "ROOT.pem", "the fleet root to trust"),
    S("hw-token", "T", "the hardware token the allowlist holds"),
    F("hw-token-from-tpm", "the TPM's EK hash as the hardware token"),
    P("out", "FILE", "where csr writes the request"),
    U("window", "SECONDS", 0, 10ULL * 365 * 86400, "seconds",
      "renew when the certificate expires within this"),
    U("retries", "N", 0, 1000, NULL, "renew: attempts before giving up"),
    U("backoff-base-ms", "MS", 0, 86400000, "milliseconds",
      "renew: the first retry's delay"),
    U("backoff-cap-ms", "MS", 0, 86400000, "milliseconds",
      "renew: the longest retry delay"),
    F("force", "renew now, whatever the window"),
    S("broker", "HOST:PORT", "run: the MQTT broker (numeric host)"),
    P("broker-ca", "FILE", "run: the broker's CA"),
    U("telemetry-interval", "SECONDS", 1, 86400, "seconds",
      "run: how often telemetry is sent"),
    U("queue-max", "N", 1, 100000, NULL, "run: messages kept while offline"),
    P("log", "FILE", "run: the hash-chained event log"),
    P("auth-log", "FILE", "run: the authentication log to watch"),
    P("watch-config", "FILE", "run: a configuration file to watch"),
    S("fw-version", "V", "run: the firmware version to report"),
    P("fw-image", "FILE", "run: the firmware image to report"),
    P("boot-flash", "FLASH", "run: rampart-boot's flash file"),
    U("boot-sector-size", "N", 64, 1 << 20, "bytes",
      "run: the flash's sector size (default 4096)"),
    U("reconnect-base-ms", "MS", 1, 3600000, "milliseconds",
      "run: the first reconnect delay"),
    U("reconnect-cap-ms", "MS", 1, 86400000, "milliseconds",
      "run: the longest reconnect delay"),
    {0},
};

static void get_opts(const struct tool_ctx *c, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->server = tool_str(c, "server");
	o->claim = tool_str(c, "claim");
	o->keystore = tool_str(c, "keystore");
	o->serial = tool_str(c, "serial");
	o->ca_file = tool_str(c, "ca-file");
	o->hw_token = tool_str(c, "hw-token");
	o->out = tool_str(c, "out");
	o->window_s = (long long)tool_uint(c, "window", AGENT_RENEW_WINDOW_S);
	o->retries = (long)tool_uint(c, "retries", 8);
	o->backoff_base_ms =
	    tool_uint(c, "backoff-base-ms", AGENT_BACKOFF_BASE_MS);
	o->backoff_cap_ms =
	    tool_uint(c, "backoff-cap-ms", AGENT_BACKOFF_CAP_MS);
	o->force = tool_flag(c, "force");
	o->hw_token_tpm = tool_flag(c, "hw-token-from-tpm");
	o->broker = tool_str(c, "broker");
	o->broker_ca = tool_str(c, "broker-ca");
	o->log = tool_str(c, "log");
	o->auth_log = tool_str(c, "auth-log");
	o->watch_config = tool_str(c, "watch-config");
	o->fw_version = tool_str(c, "fw-version");
	o->fw_image = tool_str(c, "fw-image");
	o->boot_flash = tool_str(c, "boot-flash");
	/* rampart-boot's default */
	o->boot_sector = (long long)tool_uint(c, "boot-sector-size", 4096);
	o->telemetry_s = (long long)tool_uint(c, "telemetry-interval", 0);
	o->queue_max = (long long)tool_uint(c, "queue-max", 0);
	o->reconnect_base_ms = (long long)tool_uint(c, "reconnect-base-ms", 0);
	o->reconnect_cap_ms = (long long)tool_uint(c, "reconnect-cap-ms", 0);
}

static int need(const char *val, const char *name)
{
	if (val != NULL)
		return 0;
	fprintf(stderr, "rampart-agent: --%s is required\n", name);
	return -1;
}

static int fail(rp_err rc, const char *what)
{
	fprintf(stderr, "rampart-agent: %s: %s\n", what, rp_strerror(rc));
	return rc == RP_E_EST_REFUSED ? TOOL_NO : TOOL_ERROR;
}

static rp_err open_store(const char *spec, rp_keystore **ks)
{
	rp_err rc = rp_keystore_open(spec, ks);

	if (rc != RP_OK)
		fprintf(stderr, "rampart-agent: keystore: %s\n",
		        rp_strerror(rc));
	return rc;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static rp_err cert_times(X509 *x, int64_t *nb, int64_t *na)
{
	struct tm t;

	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &t) != 1)
		return RP_E_KEYSTORE_CERT;
	*nb = (int64_t)timegm(&t);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &t) != 1)
		return RP_E_KEYSTORE_CERT;
	*na = (int64_t)timegm(&t);
	return RP_OK;
}

static int cmd_enroll(const struct opts *o)
{
	struct rp_enroll_opts eo;
	struct rp_enroll_result res;
	rp_keystore *ks = NULL;
	char cert[1024], *key;
	int ret = TOOL_ERROR;
	rp_err rc;

	if (need(o->server, "server") || need(o->claim, "claim") ||
	    need(o->keystore, "keystore") || need(o->serial, "serial"))
		return TOOL_ERROR;
	if (o->hw_token != NULL && o->hw_token_tpm) {
		fprintf(stderr, "rampart-agent: --hw-token or "
		                "--hw-token-from-tpm, not both\n");
		return TOOL_ERROR;
	}
	key = NULL;
	if (strlen(o->claim) < sizeof cert) {
		snprintf(cert, sizeof cert, "%s", o->claim);
		key = strchr(cert, ',');
	}
	if (key == NULL) {
		fprintf(stderr, "rampart-agent: --claim wants CERT,KEY\n");
		return TOOL_ERROR;
	}
	*key++ = '\0';
	if (open_store(o->keystore, &ks) != RP_OK)
		return TOOL_ERROR;
	memset(&eo, 0, sizeof eo);
	eo.server = o->server;
	eo.serial = o->serial;
	eo.ca_file = o->ca_file;
	eo.claim_cert = cert;
	eo.claim_key = key;
	eo.hw_token = o->hw_token;
	eo.hw_token_tpm = o->hw_token_tpm != 0;
	rc = rp_enroll(&eo, ks, &res);
	if (rc == RP_E_EXISTS) {
		fprintf(stderr, "rampart-agent: the keystore already holds a "
		                "certificate (renew, or erase first)\n");
	} else if (rc != RP_OK) {
		if (res.status != 0)
			fprintf(stderr, "rampart-agent: server answered %d\n",
			        res.status);
		if (res.detail[0] != '\0')
			fprintf(stderr, "rampart-agent: %s: %s\n", res.step,
			        res.detail);
		ret = fail(rc, res.step);
	} else {
		printf("enrolled %s\n", o->serial);
		ret = TOOL_OK;
	}
	rp_keystore_close(ks);
	return ret;
}

/* What rampart-agent's renewal asks of the SDK (rp_renew). */
static void renew_opts(const struct opts *o, struct rp_renew_opts *ro)
{
	memset(ro, 0, sizeof *ro);
	ro->server = o->server;
	ro->ca_file = o->ca_file;
	ro->hw_token = o->hw_token;
	ro->hw_token_tpm = o->hw_token_tpm != 0;
}

/*
 * One renewal: simplereenroll with the current certificate, retried with
 * backoff while the server cannot be reached (at most o->retries times).
 */
static rp_err renew_now(const struct opts *o, rp_keystore *ks)
{
	struct rp_renew_opts ro;
	long attempt;
	int status = 0;
	rp_err rc;

	renew_opts(o, &ro);
	for (attempt = 0;; attempt++) {
		rc = rp_renew(&ro, ks, &status);
		if (rc != RP_E_EST_UNREACHABLE || attempt >= o->retries)
			break;
		uint64_t ms =
		    rp_backoff_ms((unsigned)attempt, o->backoff_base_ms,
		                  o->backoff_cap_ms, randombytes_random());
		rp_log(RP_LOG_WARN,
		       "EST server unreachable; retry %ld of %ld in %llu ms",
		       attempt + 1, o->retries, (unsigned long long)ms);
		sleep_ms(ms);
	}
	if (rc != RP_OK && status != 0)
		rp_log(RP_LOG_ERROR, "server answered %d", status);
	return rc;
}

static int cmd_renew(const struct opts *o)
{
	rp_keystore *ks = NULL;
	X509 *cur = NULL;
	STACK_OF(X509) *chain = NULL;
	int64_t nb, na, wait_s = 0;
	enum rp_renew_state st;
	char span[48];
	int ret = TOOL_ERROR;
	rp_err rc;

	if (need(o->server, "server") || need(o->keystore, "keystore"))
		return TOOL_ERROR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return TOOL_ERROR;
	rc = rp_keystore_cert_load(ks, &cur, &chain);
	if (rc == RP_OK)
		rc = cert_times(cur, &nb, &na);
	if (rc != RP_OK) {
		ret = fail(rc, "current certificate");
		goto out;
	}
	st = rp_renew_due((int64_t)time(NULL), nb, na, o->window_s,
	                  randombytes_random(), &wait_s);
	if (st == RP_RENEW_EXPIRED) {
		fprintf(stderr, "rampart-agent: the certificate has expired: "
		                "enroll again\n");
		ret = TOOL_NO;
		goto out;
	}
	if (st == RP_RENEW_WAIT && !o->force) {
		printf("renewal not due for %s\n",
		       human_span(wait_s, span, sizeof span));
		ret = TOOL_OK;
		goto out;
	}
	rc = renew_now(o, ks);
	if (rc != RP_OK) {
		ret = fail(rc, "EST simplereenroll");
		goto out;
	}
	printf("renewed\n");
	ret = TOOL_OK;
out:
	X509_free(cur);
	sk_X509_pop_free(chain, X509_free);
	rp_keystore_close(ks);
	return ret;
}

/*
 * rampart-agent run: one libevent loop carries the certificate upkeep (a
 * timer: renew when due, waking at least hourly since clocks jump; after
 * a failed renewal retry with backoff), the MQTT session (rp_agent, when
 * --broker is given), the auth-log and configuration watches (polled
 * every RUN_WATCH_MS, with the offline queue's drops) and SIGTERM/SIGINT
 * (clean DISCONNECT, exit 0).
 */
#define RUN_WATCH_MS 1000

struct run {
	struct opts *o;
	struct event_base *base;
	struct event *renew_ev, *watch_ev, *sig_ev[2];
	rp_renew_call *est;    /* the renewal in flight, or NULL */
	rp_keystore *renew_ks; /* open while est is: its key signs the TLS */
	unsigned failures;
	int ret;
	rp_agent *agent;
	rp_sysinfo *si;
	rp_authwatch *aw;
	rp_chainlog *log;
	/* telemetry with --boot-flash */
	struct agent_boot_sys boot;
	char cfg_hash[65]; /* of --watch-config; "" when absent */
	uint64_t drops_logged;
};

static void run_quit(struct run *r, int ret)
{
	r->ret = ret;
	if (r->agent != NULL)
		rp_agent_stop(r->agent); /* DISCONNECT sent */
	event_base_loopbreak(r->base);
}

static void run_on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	rp_log(RP_LOG_INFO, "signal %d: stopping", (int)sig);
	run_quit(arg, ((struct run *)arg)->ret);
}

/* HOST:PORT ([V6]:PORT) into host and *port. */
/* The broker's TLS context from a freshly opened keystore. */
static rp_err run_tls(const struct opts *o, SSL_CTX **ctx)
{
	rp_keystore *ks = NULL;
	rp_err rc = rp_keystore_open(o->keystore, &ks);

	if (rc == RP_OK)
		rc = rp_agent_tls_ctx(ks, o->broker_ca, ctx);
	rp_keystore_close(ks);
	return rc;
}

static void run_arm(struct event *ev, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* The new certificate on the broker connection: reconnect. */
static void run_new_tls(struct run *r)
{
	SSL_CTX *ctx = NULL;
	rp_err rc;

	if (r->agent == NULL)
		return;
	rc = run_tls(r->o, &ctx);
	if (rc == RP_OK)
		rc = rp_agent_set_tls(r->agent, ctx);
	if (rc != RP_OK)
		rp_log(RP_LOG_WARN, "broker TLS after renewal: %s",
		       rp_strerror(rc));
	SSL_CTX_free(ctx);
}

/* A renewal's end: the next look after the backoff or the cap. */
static void run_renew_end(struct run *r, rp_err rc)
{
	uint64_t sleep_for;

	if (rc == RP_OK) {
		rp_log(RP_LOG_INFO, "renewed");
		r->failures = 0;
		/* A window as long as the lifetime must not renew in a
		 * loop. */
		sleep_for = r->o->backoff_cap_ms;
	} else {
		sleep_for =
		    rp_backoff_ms(r->failures++, r->o->backoff_base_ms,
		                  r->o->backoff_cap_ms, randombytes_random());
		rp_log(RP_LOG_WARN, "renewal: %s; next attempt in %llu ms",
		       rp_strerror(rc), (unsigned long long)sleep_for);
	}
	run_arm(r->renew_ev, sleep_for);
	if (rc == RP_OK)
		run_new_tls(r);
}

/* The renewal's end, on the loop (rp_renew_start): stored or not. */
static void run_renewed(void *arg, rp_err rc, int status)
{
	struct run *r = arg;

	r->est = NULL;
	rp_keystore_close(r->renew_ks);
	r->renew_ks = NULL;
	if (rc != RP_OK && status != 0)
		rp_log(RP_LOG_ERROR, "server answered %d", status);
	run_renew_end(r, rc);
}

/*
 * One look at the certificate; when due, starts the renewal on the loop
 * (run_renewed re-arms); otherwise re-arms itself.
 */
static void run_renew(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	struct opts *o = r->o;
	rp_keystore *ks = NULL;
	X509 *cur = NULL;
	STACK_OF(X509) *chain = NULL;
	int64_t nb, na, wait_s = 0;
	uint64_t sleep_for = 3600000;
	rp_err rc;

	(void)fd;
	(void)what;
	if (r->est != NULL)
		goto out; /* one renewal at a time */
	rc = rp_keystore_open(o->keystore, &ks);
	if (rc == RP_OK)
		rc = rp_keystore_cert_load(ks, &cur, &chain);
	if (rc == RP_OK)
		rc = cert_times(cur, &nb, &na);
	if (rc != RP_OK) {
		rp_log(RP_LOG_ERROR, "keystore: %s", rp_strerror(rc));
		run_quit(r, TOOL_ERROR);
		goto out;
	}
	enum rp_renew_state st =
	    rp_renew_due((int64_t)time(NULL), nb, na, o->window_s,
	                 randombytes_random(), &wait_s);
	if (st == RP_RENEW_EXPIRED) {
		rp_log(RP_LOG_ERROR, "certificate expired: enroll again");
		run_quit(r, TOOL_NO);
		goto out;
	}
	if (st == RP_RENEW_NOW) {
		struct rp_renew_opts ro;

		renew_opts(o, &ro);
		rc = rp_renew_start(r->base, &ro, ks, run_renewed, r, &r->est);
		if (rc != RP_OK) {
			run_renew_end(r, rc);
		} else {
			rp_log(RP_LOG_INFO, "renewal started");
			r->renew_ks = ks; /* closed by run_renewed */
			ks = NULL;
		}
		goto out;
	}
	if ((uint64_t)wait_s * 1000 < sleep_for)
		sleep_for = (uint64_t)wait_s * 1000;
	run_arm(r->renew_ev, sleep_for);
out:
	X509_free(cur);
	sk_X509_pop_free(chain, X509_free);
	rp_keystore_close(ks);
}

/* Lower-case hex SHA-256 of the file at path; "" when it is unreadable. */
static void file_sha256(const char *path, char out[65])
{
	if (rp_sha256_file_hex(path, out) != RP_OK)
		out[0] = '\0';
}

/* Failed logins and configuration changes become events. */
static void run_watch(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	char last[RP_DETAIL_MAX + 1], h[65], detail[RP_DETAIL_MAX + 1];
	struct rp_agent_stats st;
	uint64_t failures = 0;
	rp_err rc;

	(void)fd;
	(void)what;
	/* The offline queue's losses, in the program's log as they grow. */
	rp_agent_stats_get(r->agent, &st);
	if (st.dropped_telemetry + st.dropped_events != r->drops_logged) {
		r->drops_logged = st.dropped_telemetry + st.dropped_events;
		rp_log(RP_LOG_WARN,
		       "offline queue: %llu queued, dropped %llu telemetry, "
		       "%llu events",
		       (unsigned long long)st.queued,
		       (unsigned long long)st.dropped_telemetry,
		       (unsigned long long)st.dropped_events);
	}
	if (r->aw != NULL) {
		rc = rp_authwatch_poll(r->aw, &failures, last);
		if (rc != RP_OK)
			rp_log(RP_LOG_WARN, "auth log: %s", rp_strerror(rc));
		else if (failures > 0 &&
		         rp_agent_event(r->agent, RP_EVENT_AUTH_FAILURE,
		                        RP_SEV_WARNING, failures,
		                        last) != RP_OK)
			rp_log(RP_LOG_WARN, "auth_failure event not kept");
	}
	if (r->o->watch_config != NULL) {
		file_sha256(r->o->watch_config, h);
		if (strcmp(h, r->cfg_hash) != 0) {
			snprintf(detail, sizeof detail, "%.150s sha256 %s",
			         r->o->watch_config, h[0] ? h : "none");
			memcpy(r->cfg_hash, h, sizeof h);
			if (rp_agent_event(r->agent, RP_EVENT_CONFIG_CHANGE,
			                   RP_SEV_WARNING, 1, detail) != RP_OK)
				rp_log(RP_LOG_WARN,
				       "config_change event not kept");
		}
	}
}

/* The MQTT session and what feeds it; r->agent stays NULL on failure. */
static rp_err run_agent_start(struct run *r)
{
	struct opts *o = r->o;
	struct rp_agent_conf c;
	struct rp_sysinfo_conf sc = {NULL, o->fw_version, o->fw_image};
	struct agent_evlog_report lrep;
	struct agent_bootinfo bi;
	rp_keystore *ks = NULL;
	SSL_CTX *ctx = NULL;
	X509 *cur = NULL;
	char id[80], host[64], detail[RP_DETAIL_MAX + 1];
	enum rp_severity sev;
	int port = 0;
	rp_err rc = RP_E_INVAL;

	memset(&c, 0, sizeof c);
	if (o->broker_ca == NULL)
		o->broker_ca = o->ca_file;
	if (rp_mqloop_addr_parse(o->broker, host, sizeof host, &port) !=
	        RP_OK ||
	    o->broker_ca == NULL) {
		rp_log(RP_LOG_ERROR, "--broker HOST:PORT (numeric address) and "
		                     "--broker-ca (or --ca-file) are needed");
		goto out;
	}
	if (o->boot_flash != NULL &&
	    (o->fw_version != NULL || o->fw_image != NULL)) {
		rp_log(RP_LOG_ERROR,
		       "--boot-flash or --fw-version/--fw-image, not both");
		goto out;
	}
	rc = rp_keystore_open(o->keystore, &ks);
	if (rc == RP_OK)
		rc = rp_keystore_cert_load(ks, &cur, NULL);
	if (rc == RP_OK)
		rc = agent_cert_cn(cur, id, sizeof id);
	if (rc == RP_OK)
		rc = rp_agent_tls_ctx(ks, o->broker_ca, &ctx);
	if (rc != RP_OK) {
		rp_log(RP_LOG_ERROR, "broker credentials: %s", rp_strerror(rc));
		goto out;
	}
	memset(&lrep, 0, sizeof lrep);
	if (o->log != NULL) {
		/* A broken log is kept as evidence; a fresh one starts. */
		rc = agent_evlog_open(o->log, time(NULL), &r->log, &lrep);
		if (rc != RP_OK) {
			rp_log(RP_LOG_ERROR, "event log %s: %s", o->log,
			       rp_strerror(rc));
			goto out;
		}
		if (lrep.found == AGENT_EVLOG_SAVED)
			rp_log(RP_LOG_WARN,
			       "event log broken at line %llu (%s): saved as "
			       "%s, new log started",
			       (unsigned long long)lrep.bad_line, lrep.reason,
			       lrep.saved);
	}
	if (o->boot_flash != NULL) {
		rc = agent_bootinfo_load(o->boot_flash,
		                         (uint32_t)o->boot_sector, &bi);
		if (rc != RP_OK) {
			rp_log(RP_LOG_ERROR, "boot flash %s: %s", o->boot_flash,
			       rp_strerror(rc));
			goto out;
		}
	}
	rc = rp_sysinfo_new(&sc, &r->si);
	if (rc == RP_OK && o->auth_log != NULL)
		rc = rp_authwatch_open(o->auth_log, &r->aw);
	if (rc != RP_OK) {
		rp_log(RP_LOG_ERROR, "system facts: %s", rp_strerror(rc));
		goto out;
	}
	if (o->watch_config != NULL)
		file_sha256(o->watch_config, r->cfg_hash);
	c.id = id;
	c.host = host;
	c.port = port;
	c.tls = ctx;
	c.base = r->base;
	c.telemetry_ms = (uint32_t)(o->telemetry_s * 1000);
	c.jitter_pct = 10;
	c.backoff_base_ms = (uint32_t)o->reconnect_base_ms;
	c.backoff_cap_ms = (uint32_t)o->reconnect_cap_ms;
	c.queue_max = (uint32_t)o->queue_max;
	c.sys.collect = rp_sysinfo_collect;
	c.sys.ctx = r->si;
	if (o->boot_flash != NULL) {
		r->boot.si = r->si;
		memcpy(r->boot.version, bi.version, sizeof bi.version);
		memcpy(r->boot.sha256, bi.sha256, sizeof bi.sha256);
		c.sys.collect = agent_boot_collect;
		c.sys.ctx = &r->boot;
	}
	c.log = r->log;
	rc = rp_agent_new(&c, &r->agent);
	if (rc == RP_OK)
		rc = rp_agent_start(r->agent);
	if (rc == RP_OK && o->boot_flash != NULL) {
		sev = agent_boot_detail(&bi, detail);
		rp_log(sev == RP_SEV_INFO ? RP_LOG_INFO : RP_LOG_WARN,
		       "boot: %s", detail);
		rc = rp_agent_event(r->agent, RP_EVENT_BOOT, sev, 1, detail);
	}
	if (rc == RP_OK && agent_evlog_event(&lrep, &sev, detail))
		rc = rp_agent_event(r->agent, RP_EVENT_TAMPER, sev, 1, detail);
	if (rc != RP_OK) {
		rp_log(RP_LOG_ERROR, "MQTT session: %s", rp_strerror(rc));
		goto out;
	}
	rp_log(RP_LOG_INFO, "MQTT session %s to %s:%d%s", id, host, port,
	       lrep.found == AGENT_EVLOG_TORN ? " (torn log record cut)" : "");
out:
	X509_free(cur);
	SSL_CTX_free(ctx); /* the agent holds its own reference */
	rp_keystore_close(ks);
	return rc;
}

static int cmd_run(struct opts *o)
{
	struct run r;
	const int sigs[2] = {SIGTERM, SIGINT};
	int i;

	if (need(o->server, "server") || need(o->keystore, "keystore"))
		return TOOL_ERROR;
	memset(&r, 0, sizeof r);
	r.o = o;
	r.ret = TOOL_OK;
	o->retries = 0; /* the renewal timer does the retrying */
	r.base = event_base_new();
	if (r.base == NULL)
		return TOOL_ERROR;
	r.renew_ev = evtimer_new(r.base, run_renew, &r);
	for (i = 0; i < 2; i++)
		r.sig_ev[i] = evsignal_new(r.base, sigs[i], run_on_signal, &r);
	if (r.renew_ev == NULL || r.sig_ev[0] == NULL || r.sig_ev[1] == NULL ||
	    evsignal_add(r.sig_ev[0], NULL) != 0 ||
	    evsignal_add(r.sig_ev[1], NULL) != 0) {
		r.ret = TOOL_ERROR;
		goto out;
	}
	if (o->broker != NULL) {
		if (run_agent_start(&r) != RP_OK) {
			r.ret = TOOL_ERROR;
			goto out;
		}
		{
			struct timeval tv = {RUN_WATCH_MS / 1000,
			                     (RUN_WATCH_MS % 1000) * 1000};

			r.watch_ev =
			    event_new(r.base, -1, EV_PERSIST, run_watch, &r);
			if (r.watch_ev == NULL ||
			    event_add(r.watch_ev, &tv) != 0) {
				r.ret = TOOL_ERROR;
				goto out;
			}
		}
	}
	run_arm(r.renew_ev, 0);
	event_base_dispatch(r.base);
out:
	rp_renew_cancel(r.est);
	/* a cancelled name lookup frees itself in one more turn of the
	 * loop (rampart/http.h): give it that before the base goes */
	if (r.base != NULL)
		(void)event_base_loop(r.base, EVLOOP_NONBLOCK);
	rp_keystore_close(r.renew_ks);
	rp_agent_free(r.agent);
	rp_authwatch_free(r.aw);
	rp_sysinfo_free(r.si);
	rp_chainlog_close(r.log);
	if (r.watch_ev != NULL)
		event_free(r.watch_ev);
	for (i = 0; i < 2; i++)
		if (r.sig_ev[i] != NULL)
			event_free(r.sig_ev[i]);
	if (r.renew_ev != NULL)
		event_free(r.renew_ev);
	event_base_free(r.base);
	return r.ret;
}

static int cmd_erase(const struct opts *o)
{
	rp_keystore *ks = NULL;
	rp_err rc;

	if (need(o->keystore, "keystore"))
		return TOOL_ERROR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return TOOL_ERROR;
	rc = rp_keystore_erase(ks);
	rp_keystore_close(ks);
	if (rc != RP_OK)
		return fail(rc, "erase");
	printf("erased\n");
	return TOOL_OK;
}

static int cmd_csr(const struct opts *o)
{
	rp_keystore *ks = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	X509_REQ *req = NULL;
	FILE *f = stdout;
	int ret = TOOL_ERROR;
	rp_err rc;

	if (need(o->keystore, "keystore") || need(o->serial, "serial"))
		return TOOL_ERROR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return TOOL_ERROR;
	size_t len = 0;
	rc = rp_keystore_has_key(ks) ? RP_OK : rp_keystore_generate(ks);
	if (rc == RP_OK)
		rc = rp_keystore_csr(ks, o->serial, o->hw_token, &der, &len);
	if (rc != RP_OK) {
		ret = fail(rc, "certificate request");
		goto out;
	}
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (o->out != NULL)
		f = fopen(o->out, "w");
	if (req == NULL || f == NULL || !PEM_write_X509_REQ(f, req))
		goto out;
	ret = TOOL_OK;
out:
	if (f != NULL && f != stdout && fclose(f) != 0)
		ret = TOOL_ERROR;
	X509_REQ_free(req);
	free(der);
	rp_keystore_close(ks);
	return ret;
}

static int cmd_status(const struct opts *o)
{
	rp_keystore *ks = NULL;
	X509 *cur = NULL;
	int64_t nb, na, wait_s = 0, now = (int64_t)time(NULL);
	char cn[80], when[64];
	int ret = TOOL_NO;

	if (need(o->keystore, "keystore"))
		return TOOL_ERROR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return TOOL_ERROR;
	printf("key: %s\n", rp_keystore_has_key(ks) ? "present" : "absent");
	if (rp_keystore_cert_load(ks, &cur, NULL) == RP_OK &&
	    agent_cert_cn(cur, cn, sizeof cn) == RP_OK &&
	    cert_times(cur, &nb, &na) == RP_OK) {
		enum rp_renew_state st =
		    rp_renew_due(now, nb, na, o->window_s, 0, &wait_s);

		printf("certificate: CN=%s, expires %s\n", cn,
		       human_time(na, now, when, sizeof when));
		if (st == RP_RENEW_WAIT)
			printf(
			    "renewal: due %s\n",
			    human_time(now + wait_s, now, when, sizeof when));
		else
			printf("renewal: %s\n", st == RP_RENEW_NOW
			                            ? "due now"
			                            : "expired: enroll again");
		ret = st == RP_RENEW_EXPIRED ? TOOL_NO : TOOL_OK;
	} else {
		printf("certificate: none\n");
	}
	X509_free(cur);
	rp_keystore_close(ks);
	return ret;
}

static int cmd_hw_token(const struct opts *o)
{
	rp_keystore *ks = NULL;
	char token[65];
	rp_err rc;

	if (need(o->keystore, "keystore"))
		return TOOL_ERROR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return TOOL_ERROR;
	rc = rp_keystore_hw_token(ks, token, sizeof token);
	rp_keystore_close(ks);
	if (rc != RP_OK)
		return fail(rc, "hardware token");
	printf("%s\n", token);
	return TOOL_OK;
}

/* v as a configuration value (docs/config-format.md): quoted when blanks
 * at either end, a quote or a backslash would otherwise change it; false
 * for a byte the format cannot hold (a control character). */
static bool conf_value(const char *v, char *out, size_t cap)
{
	size_t n = strlen(v), o = 0;
	bool quote = n == 0 || v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' ||
	             v[n - 1] == '\t' || strpbrk(v, "\"\\") != NULL;

	if (quote)
		out[o++] = '"';
	for (; *v != '\0'; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f || o + 4 >= cap)
			return false;
		if (quote && (*v == '"' || *v == '\\'))
			out[o++] = '\\';
		out[o++] = *v;
	}
	if (quote)
		out[o++] = '"';
	out[o] = '\0';
	return true;
}

/* rampart-agent config: the options in effect, as a configuration file
 * that gives the same (the command line over the environment over
 * --config). A keystore spec holding a pin-value is not shown. */
static int run_config(const struct tool_ctx *c)
{
	char key[64], val[2 * RP_KEYSTORE_SPEC_MAX + 3];
	const char *v;

	printf("# rampart-agent: the options in effect\n");
	for (const struct tool_opt *o = agent_opts; o->name != NULL; o++) {
		if ((o->flags & TOOL_CONFIG) || tool_count(c, o->name) == 0 ||
		    !tool_config_key(o, key, sizeof key))
			continue;
		v = o->kind == TOOL_FLAG ? "true" : tool_str(c, o->name);
		if (strcmp(o->name, "keystore") == 0 &&
		    strstr(v, "pin-value=") != NULL) {
			printf("# %s = (not shown: it holds a pin-value; give "
			       "the PIN with pin-source=FILE)\n",
			       key);
			continue;
		}
		if (!conf_value(v, val, sizeof val))
			return tool_usage_error(c,
			                        "--%s cannot be written to a "
			                        "configuration file (a control "
			                        "character, or too long)",
			                        o->name);
		printf("%s = %s\n", key, val);
	}
	return TOOL_OK;
}

#define RUN(fn)                                       \
	static int run_##fn(const struct tool_ctx *c) \
	{                                             \
		struct opts o;                        \
		get_opts(c, &o);                      \
		return fn(&o);                        \
	}
RUN(cmd_enroll)
RUN(cmd_renew)
RUN(cmd_run)
RUN(cmd_erase)
RUN(cmd_csr)
RUN(cmd_status)
RUN(cmd_hw_token)

#define CMD(n, fn, s)                                                        \
	{                                                                    \
		.name = n, .summary = s, .opts = agent_opts, .run = run_##fn \
	}
static const struct tool_cmd agent_cmds[] = {
    CMD("enroll", cmd_enroll,
        "enroll over EST with the claim certificate (--server, --claim, "
        "--keystore, --serial)"),
    CMD("renew", cmd_renew,
        "renew the certificate when due (--server, --keystore)"),
    CMD("run", cmd_run,
        "the MQTT session: telemetry, events, commands, renewal"),
    CMD("erase", cmd_erase, "erase the keystore (--keystore)"),
    CMD("csr", cmd_csr, "write a certificate request (--keystore, --serial)"),
    CMD("status", cmd_status,
        "the certificate's state; exit 1 if expired (--keystore)"),
    CMD("hw-token", cmd_hw_token,
        "the TPM's EK hash for the allowlist (--keystore)"),
    {.name = "log",
     .summary = "the hash-chained event log (verify FILE)",
     .subs = agent_log_cmds},
    {.name = "config",
     .summary = "print the options in effect, as a configuration file",
     .opts = agent_opts,
     .run = run_config,
     .more = "Each option given on the command line, by the environment or "
             "by --config FILE, as 'key = value': save it as a file, and "
             "'--config FILE' gives the same."},
    {0},
};

static const struct tool_cmd agent_root = {
    .summary = "Rampart's device agent (docs/agent.md).",
    .subs = agent_cmds,
};

int main(int argc, char **argv)
{
	static const struct tool_prog prog = {.name = "rampart-agent",
	                                      .version = RP_VERSION_STRING,
	                                      .root = &agent_root};

	if (rp_init() != RP_OK) {
		fprintf(stderr, "rampart-agent: cannot initialise crypto\n");
		return TOOL_ERROR;
	}
	/* A peer that closes while we write (TLS through OpenSSL's socket
	 * BIO, libmosquitto) must be an error to handle, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	rp_log_init("rampart-agent", RP_LOG_STDERR, RP_LOG_INFO);
	return tool_main(&prog, argc, argv, NULL);
}
