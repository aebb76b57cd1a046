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
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "cmd_log.h"
#include "enroll.h"
#include "est.h"
#include "renew.h"
#include "rampart/http.h"
#include "rampart/keystore.h"
#include "rampart/log.h"
#include "rampart/mem.h"

/* Exit codes as the rampart CLI: yes, no (the server refused), error. */
enum { EXIT_YES = 0, EXIT_NO = 1, EXIT_ERR = 2 };

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
};

enum {
	OPT_SERVER = 256,
	OPT_CLAIM,
	OPT_KEYSTORE,
	OPT_SERIAL,
	OPT_CA_FILE,
	OPT_HW_TOKEN,
	OPT_OUT,
	OPT_WINDOW,
	OPT_RETRIES,
	OPT_BACKOFF_BASE,
	OPT_BACKOFF_CAP,
	OPT_FORCE,
	OPT_HW_TOKEN_TPM,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"claim", required_argument, NULL, OPT_CLAIM},
    {"keystore", required_argument, NULL, OPT_KEYSTORE},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"hw-token", required_argument, NULL, OPT_HW_TOKEN},
    {"out", required_argument, NULL, OPT_OUT},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"backoff-base-ms", required_argument, NULL, OPT_BACKOFF_BASE},
    {"backoff-cap-ms", required_argument, NULL, OPT_BACKOFF_CAP},
    {"force", no_argument, NULL, OPT_FORCE},
    {"hw-token-from-tpm", no_argument, NULL, OPT_HW_TOKEN_TPM},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: rampart-agent COMMAND [OPTIONS]\n\n"
	        "  enroll --server URL --claim CERT,KEY --keystore SPEC "
	        "--serial ID\n"
	        "         [--ca-file ROOT.pem] [--hw-token T | "
	        "--hw-token-from-tpm]\n"
	        "  renew  --server URL --keystore SPEC [--ca-file ROOT.pem]\n"
	        "         [--window SECONDS] [--force] [--retries N]\n"
	        "         [--hw-token T | --hw-token-from-tpm]\n"
	        "  run    --server URL --keystore SPEC [--ca-file ROOT.pem]\n"
	        "         [--window SECONDS]\n"
	        "  erase  --keystore SPEC\n"
	        "  csr    --keystore SPEC --serial ID [--hw-token T] "
	        "[--out FILE]\n"
	        "  status --keystore SPEC [--window SECONDS]\n"
	        "  hw-token --keystore SPEC   (TPM: the EK hash for the "
	        "allowlist)\n"
	        "  log verify FILE   (the hash-chained event log; exit 1 if "
	        "broken)\n\n"
	        "SPEC: file:DIR | pkcs11:URI | tpm:handle=0x81......;dir=DIR"
	        "[;tcti=CONF]\n(docs/keystore.md, docs/agent.md)\n");
}

static int parse_num(const char *s, long long min, long long max,
                     long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	long long v;
	int c;

	memset(o, 0, sizeof *o);
	o->window_s = AGENT_RENEW_WINDOW_S;
	o->retries = 8;
	o->backoff_base_ms = AGENT_BACKOFF_BASE_MS;
	o->backoff_cap_ms = AGENT_BACKOFF_CAP_MS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_SERVER:
			o->server = optarg;
			break;
		case OPT_CLAIM:
			o->claim = optarg;
			break;
		case OPT_KEYSTORE:
			o->keystore = optarg;
			break;
		case OPT_SERIAL:
			o->serial = optarg;
			break;
		case OPT_CA_FILE:
			o->ca_file = optarg;
			break;
		case OPT_HW_TOKEN:
			o->hw_token = optarg;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_WINDOW:
			if (parse_num(optarg, 0, 10LL * 365 * 86400, &v) != 0)
				return -1;
			o->window_s = v;
			break;
		case OPT_RETRIES:
			if (parse_num(optarg, 0, 1000, &v) != 0)
				return -1;
			o->retries = (long)v;
			break;
		case OPT_BACKOFF_BASE:
			if (parse_num(optarg, 0, 86400000, &v) != 0)
				return -1;
			o->backoff_base_ms = (unsigned long long)v;
			break;
		case OPT_BACKOFF_CAP:
			if (parse_num(optarg, 0, 86400000, &v) != 0)
				return -1;
			o->backoff_cap_ms = (unsigned long long)v;
			break;
		case OPT_FORCE:
			o->force = 1;
			break;
		case OPT_HW_TOKEN_TPM:
			o->hw_token_tpm = 1;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(EXIT_YES);
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
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
	return rc == RP_E_EST_REFUSED ? EXIT_NO : EXIT_ERR;
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
	struct agent_enroll_opts eo;
	struct agent_enroll_result res;
	rp_keystore *ks = NULL;
	char cert[1024], *key;
	int ret = EXIT_ERR;
	rp_err rc;

	if (need(o->server, "server") || need(o->claim, "claim") ||
	    need(o->keystore, "keystore") || need(o->serial, "serial"))
		return EXIT_ERR;
	if (o->hw_token != NULL && o->hw_token_tpm) {
		fprintf(stderr, "rampart-agent: --hw-token or "
		                "--hw-token-from-tpm, not both\n");
		return EXIT_ERR;
	}
	if (strlen(o->claim) >= sizeof cert ||
	    (key = strchr(strcpy(cert, o->claim), ',')) == NULL) {
		fprintf(stderr, "rampart-agent: --claim wants CERT,KEY\n");
		return EXIT_ERR;
	}
	*key++ = '\0';
	if (open_store(o->keystore, &ks) != RP_OK)
		return EXIT_ERR;
	memset(&eo, 0, sizeof eo);
	eo.server = o->server;
	eo.serial = o->serial;
	eo.ca_file = o->ca_file;
	eo.claim_cert = cert;
	eo.claim_key = key;
	eo.hw_token = o->hw_token;
	eo.hw_token_tpm = o->hw_token_tpm != 0;
	rc = agent_enroll(&eo, ks, &res);
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
		ret = EXIT_YES;
	}
	rp_keystore_close(ks);
	return ret;
}

/*
 * One renewal: simplereenroll with the current certificate, retried with
 * backoff while the server cannot be reached (at most o->retries times).
 */
static rp_err renew_now(const struct opts *o, rp_keystore *ks, X509 *cur,
                        STACK_OF(X509) * chain)
{
	SSL_CTX *ctx = NULL;
	EVP_PKEY *warm = NULL;
	X509 *leaf = NULL;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	char cn[80], token[65];
	long attempt;
	int status = 0;
	rp_err rc;

	rc = agent_cert_cn(cur, cn, sizeof cn);
	if (rc != RP_OK)
		goto out;
	/* Load the key (and, for a TPM, its provider) before the SSL_CTX. */
	rc = rp_keystore_key(ks, &warm);
	if (rc == RP_OK && o->hw_token_tpm)
		rc = rp_keystore_hw_token(ks, token, sizeof token);
	if (rc == RP_OK)
		rc = rp_keystore_csr(ks, cn,
		                     o->hw_token_tpm ? token : o->hw_token,
		                     &csr, &csr_len);
	if (rc == RP_OK)
		rc = rp_http_tls_ctx(o->ca_file, NULL, NULL, &ctx);
	if (rc == RP_OK)
		rc = rp_keystore_ssl_ctx_use(ks, ctx);
	if (rc != RP_OK)
		goto out;
	for (attempt = 0;; attempt++) {
		rc = est_enroll(ctx, o->server, true, csr, csr_len, &leaf,
		                &status);
		if (rc != RP_E_EST_UNREACHABLE || attempt >= o->retries)
			break;
		uint64_t ms =
		    agent_backoff_ms((unsigned)attempt, o->backoff_base_ms,
		                     o->backoff_cap_ms, randombytes_random());
		rp_log(RP_LOG_WARN,
		       "EST server unreachable; retry %ld of %ld in %llu ms",
		       attempt + 1, o->retries, (unsigned long long)ms);
		sleep_ms(ms);
	}
	if (rc != RP_OK) {
		if (status != 0)
			rp_log(RP_LOG_ERROR, "server answered %d", status);
		goto out;
	}
	/* The same device; the key is checked by rp_keystore_cert_store. */
	char got[80];
	if (agent_cert_cn(leaf, got, sizeof got) != RP_OK ||
	    strcmp(got, cn) != 0) {
		rc = RP_E_KEYSTORE_CERT;
		goto out;
	}
	rc = agent_store_certs(ks, leaf, chain);
out:
	ERR_clear_error();
	EVP_PKEY_free(warm);
	X509_free(leaf);
	free(csr);
	SSL_CTX_free(ctx);
	return rc;
}

static int cmd_renew(const struct opts *o)
{
	rp_keystore *ks = NULL;
	X509 *cur = NULL;
	STACK_OF(X509) *chain = NULL;
	int64_t nb, na, wait_s = 0;
	enum agent_renew_state st;
	int ret = EXIT_ERR;
	rp_err rc;

	if (need(o->server, "server") || need(o->keystore, "keystore"))
		return EXIT_ERR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return EXIT_ERR;
	rc = rp_keystore_cert_load(ks, &cur, &chain);
	if (rc == RP_OK)
		rc = cert_times(cur, &nb, &na);
	if (rc != RP_OK) {
		ret = fail(rc, "current certificate");
		goto out;
	}
	st = agent_renew_due((int64_t)time(NULL), nb, na, o->window_s,
	                     randombytes_random(), &wait_s);
	if (st == AGENT_RENEW_EXPIRED) {
		fprintf(stderr, "rampart-agent: the certificate has expired: "
		                "enroll again\n");
		ret = EXIT_NO;
		goto out;
	}
	if (st == AGENT_RENEW_WAIT && !o->force) {
		printf("renewal not due for %lld s\n", (long long)wait_s);
		ret = EXIT_YES;
		goto out;
	}
	rc = renew_now(o, ks, cur, chain);
	if (rc != RP_OK) {
		ret = fail(rc, "EST simplereenroll");
		goto out;
	}
	printf("renewed\n");
	ret = EXIT_YES;
out:
	X509_free(cur);
	sk_X509_pop_free(chain, X509_free);
	rp_keystore_close(ks);
	return ret;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * The running agent's certificate upkeep: sleep until the renewal is due
 * (waking at least hourly, the clock may jump), renew, and after a failed
 * renewal wait with backoff before the next try.
 */
static int cmd_run(struct opts *o)
{
	struct sigaction sa;
	unsigned failures = 0;
	int ret = EXIT_YES;

	if (need(o->server, "server") || need(o->keystore, "keystore"))
		return EXIT_ERR;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	o->retries = 0; /* the loop below does the retrying */
	while (!stop) {
		rp_keystore *ks = NULL;
		X509 *cur = NULL;
		STACK_OF(X509) *chain = NULL;
		int64_t nb, na, wait_s = 0;
		uint64_t sleep_for = 3600000;
		rp_err rc;

		rc = rp_keystore_open(o->keystore, &ks);
		if (rc == RP_OK)
			rc = rp_keystore_cert_load(ks, &cur, &chain);
		if (rc == RP_OK)
			rc = cert_times(cur, &nb, &na);
		if (rc == RP_OK) {
			enum agent_renew_state st = agent_renew_due(
			    (int64_t)time(NULL), nb, na, o->window_s,
			    randombytes_random(), &wait_s);

			if (st == AGENT_RENEW_EXPIRED) {
				rp_log(RP_LOG_ERROR, "certificate expired: "
				                     "enroll again");
				ret = EXIT_NO;
				stop = 1;
			} else if (st == AGENT_RENEW_NOW) {
				rc = renew_now(o, ks, cur, chain);
				if (rc == RP_OK) {
					rp_log(RP_LOG_INFO, "renewed");
					failures = 0;
					/* A window as long as the lifetime
					 * must not renew in a loop. */
					sleep_for = o->backoff_cap_ms;
				} else {
					rp_log(RP_LOG_WARN, "renewal: %s",
					       rp_strerror(rc));
					sleep_for = agent_backoff_ms(
					    failures++, o->backoff_base_ms,
					    o->backoff_cap_ms,
					    randombytes_random());
				}
			} else if ((uint64_t)wait_s * 1000 < sleep_for) {
				sleep_for = (uint64_t)wait_s * 1000;
			}
		} else {
			rp_log(RP_LOG_ERROR, "keystore: %s", rp_strerror(rc));
			ret = EXIT_ERR;
			stop = 1;
		}
		X509_free(cur);
		sk_X509_pop_free(chain, X509_free);
		rp_keystore_close(ks);
		while (!stop && sleep_for > 0) {
			uint64_t step = sleep_for > 1000 ? 1000 : sleep_for;

			sleep_ms(step);
			sleep_for -= step;
		}
	}
	return ret;
}

static int cmd_erase(const struct opts *o)
{
	rp_keystore *ks = NULL;
	rp_err rc;

	if (need(o->keystore, "keystore"))
		return EXIT_ERR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return EXIT_ERR;
	rc = rp_keystore_erase(ks);
	rp_keystore_close(ks);
	if (rc != RP_OK)
		return fail(rc, "erase");
	printf("erased\n");
	return EXIT_YES;
}

static int cmd_csr(const struct opts *o)
{
	rp_keystore *ks = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	X509_REQ *req = NULL;
	FILE *f = stdout;
	int ret = EXIT_ERR;
	rp_err rc;

	if (need(o->keystore, "keystore") || need(o->serial, "serial"))
		return EXIT_ERR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return EXIT_ERR;
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
	ret = EXIT_YES;
out:
	if (f != NULL && f != stdout && fclose(f) != 0)
		ret = EXIT_ERR;
	X509_REQ_free(req);
	free(der);
	rp_keystore_close(ks);
	return ret;
}

static int cmd_status(const struct opts *o)
{
	rp_keystore *ks = NULL;
	X509 *cur = NULL;
	int64_t nb, na, wait_s = 0;
	char cn[80];
	int ret = EXIT_NO;

	if (need(o->keystore, "keystore"))
		return EXIT_ERR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return EXIT_ERR;
	printf("key: %s\n", rp_keystore_has_key(ks) ? "present" : "absent");
	if (rp_keystore_cert_load(ks, &cur, NULL) == RP_OK &&
	    agent_cert_cn(cur, cn, sizeof cn) == RP_OK &&
	    cert_times(cur, &nb, &na) == RP_OK) {
		enum agent_renew_state st = agent_renew_due(
		    (int64_t)time(NULL), nb, na, o->window_s, 0, &wait_s);

		printf("certificate: CN=%s notAfter=%lld\n", cn, (long long)na);
		printf("renewal: %s", st == AGENT_RENEW_NOW ? "due now\n"
		                      : st == AGENT_RENEW_EXPIRED
		                          ? "expired: enroll again\n"
		                          : "in ");
		if (st == AGENT_RENEW_WAIT)
			printf("%lld s\n", (long long)wait_s);
		ret = st == AGENT_RENEW_EXPIRED ? EXIT_NO : EXIT_YES;
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
		return EXIT_ERR;
	if (open_store(o->keystore, &ks) != RP_OK)
		return EXIT_ERR;
	rc = rp_keystore_hw_token(ks, token, sizeof token);
	rp_keystore_close(ks);
	if (rc != RP_OK)
		return fail(rc, "hardware token");
	printf("%s\n", token);
	return EXIT_YES;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	if (rp_init() != RP_OK) {
		fprintf(stderr, "rampart-agent: cannot initialise crypto\n");
		return EXIT_ERR;
	}
	rp_log_init("rampart-agent", RP_LOG_STDERR, RP_LOG_INFO);
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERR;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_YES;
	}
	if (strcmp(cmd, "log") == 0)
		return agent_cmd_log(argc - 1, argv + 1);
	if (parse_opts(argc - 1, argv + 1, &o) != 0) {
		usage(stderr);
		return EXIT_ERR;
	}
	if (strcmp(cmd, "enroll") == 0)
		return cmd_enroll(&o);
	if (strcmp(cmd, "renew") == 0)
		return cmd_renew(&o);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&o);
	if (strcmp(cmd, "erase") == 0)
		return cmd_erase(&o);
	if (strcmp(cmd, "csr") == 0)
		return cmd_csr(&o);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&o);
	if (strcmp(cmd, "hw-token") == 0)
		return cmd_hw_token(&o);
	fprintf(stderr, "rampart-agent: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_ERR;
}
