/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prepare.c - everything a simulated device needs before its session,
 * done by K threads (--enroll-parallel): its file keystore
 * (DIR/devices/ID), its enrollment over EST with the claim certificate
 * through the SDK's rp_enroll (skipped when the keystore already
 * holds a certificate), its TLS client context (rp_agent_tls_ctx, with one
 * X509_STORE of the broker CA shared by every device), and its flash and
 * boot (firmware.c). Progress goes to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <sodium.h>

#include "est.h"
#include "rampart/alloc.h"
#include "rampart/backoff.h"
#include "rampart/enroll.h"
#include "rampart/http.h"
#include "rampart/keystore.h"
#include "rampart/log.h"
#include "sim.h"

#define ENROLL_TRIES   6  /* attempts while the EST server is away */
#define FAIL_LOG_LINES 10 /* failures logged one by one, then counted */

struct prep {
	const struct sim_conf *c;
	struct sim_dev *devs;
	const struct sim_fw *fw;
	struct sim_prep_stats *st;
	volatile sig_atomic_t *stop;
	atomic_uint next;
	atomic_uint logged;
	X509_STORE *broker_store; /* shared by every device's SSL_CTX */
	char cert[1024], *key;    /* the claim, split */
	pthread_mutex_t mu;       /* guards the lazy EST material below */
	bool est_tried;
	rp_err est_rc;
	SSL_CTX *claim_ctx;
	STACK_OF(X509) * cacerts;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static void dev_fail(struct prep *p, const struct sim_dev *d, const char *what,
                     rp_err rc, int status)
{
	unsigned n = atomic_fetch_add(&p->logged, 1);

	if (n < FAIL_LOG_LINES)
		rp_log(RP_LOG_WARN, "%s: %s: %s%s", d->id, what,
		       rp_strerror(rc), status == 403 ? " (allowlisted?)" : "");
	else if (n == FAIL_LOG_LINES)
		rp_log(RP_LOG_WARN, "more devices fail; counted in the "
		                    "progress lines");
}

/* The claim's TLS context and /cacerts, once for all devices. */
static rp_err est_material(struct prep *p)
{
	SSL_CTX *plain = NULL;
	rp_err rc;

	pthread_mutex_lock(&p->mu);
	if (p->est_tried) {
		rc = p->est_rc;
		goto out;
	}
	p->est_tried = true;
	rc = RP_E_INVAL;
	if (p->c->server == NULL || p->key == NULL) {
		rp_log(RP_LOG_ERROR, "devices need enrolling: --server and "
		                     "--claim CERT,KEY are required");
		goto done;
	}
	rc = rp_http_tls_ctx(p->c->ca_file, p->cert, p->key, &p->claim_ctx);
	if (rc != RP_OK) {
		rp_log(RP_LOG_ERROR, "claim certificate: %s", rp_strerror(rc));
		goto done;
	}
	rc = rp_http_tls_ctx(p->c->ca_file, NULL, NULL, &plain);
	if (rc == RP_OK)
		rc = est_cacerts(plain, p->c->server, &p->cacerts);
	if (rc != RP_OK)
		rp_log(RP_LOG_ERROR, "EST cacerts from %s: %s", p->c->server,
		       rp_strerror(rc));
done:
	p->est_rc = rc;
out:
	pthread_mutex_unlock(&p->mu);
	SSL_CTX_free(plain);
	return rc;
}

static rp_err enroll(struct prep *p, struct sim_dev *d, rp_keystore *ks)
{
	struct rp_enroll_opts eo;
	struct rp_enroll_result res;
	unsigned attempt;
	rp_err rc;

	rc = est_material(p);
	if (rc != RP_OK)
		return rc;
	memset(&eo, 0, sizeof eo);
	eo.server = p->c->server;
	eo.serial = d->id;
	eo.ca_file = p->c->ca_file;
	eo.claim_ctx = p->claim_ctx;
	eo.cacerts = p->cacerts;
	for (attempt = 0;; attempt++) {
		rc = rp_enroll(&eo, ks, &res);
		if (rc != RP_E_EST_UNREACHABLE || attempt + 1 >= ENROLL_TRIES ||
		    *p->stop)
			break;
		sleep_ms(
		    rp_backoff_ms(attempt, 500, 8000, randombytes_random()));
	}
	if (rc != RP_OK)
		dev_fail(p, d, res.step != NULL ? res.step : "enroll", rc,
		         res.status);
	return rc;
}

static void prepare_one(struct prep *p, struct sim_dev *d)
{
	char spec[RP_KEYSTORE_SPEC_MAX];
	rp_keystore *ks = NULL;
	X509 *cur = NULL;
	rp_err rc;
	int n;

	n = snprintf(spec, sizeof spec, "file:%s/devices/%s", p->c->dir, d->id);
	rc = n > 0 && (size_t)n < sizeof spec ? RP_OK : RP_E_TOO_BIG;
	if (rc == RP_OK)
		rc = rp_keystore_open(spec, &ks);
	if (rc != RP_OK) {
		dev_fail(p, d, "keystore", rc, 0);
		goto out;
	}
	if (rp_keystore_cert_load(ks, &cur, NULL) == RP_OK) {
		d->was_enrolled = true;
		atomic_fetch_add(&p->st->already, 1);
	} else {
		rc = enroll(p, d, ks);
		if (rc != RP_OK)
			goto out;
		atomic_fetch_add(&p->st->enrolled_now, 1);
	}
	d->enrolled = true;
	rc = rp_agent_tls_ctx(ks, p->c->broker_ca, &d->tls);
	if (rc == RP_OK) {
		SSL_CTX_set1_cert_store(d->tls, p->broker_store);
		/* An idle session gives its 2 x 17 KiB record buffers back:
		 * most devices are idle most of the time. */
		SSL_CTX_set_mode(d->tls, SSL_MODE_RELEASE_BUFFERS);
	} else
		dev_fail(p, d, "TLS context", rc, 0);
	if (rc == RP_OK) {
		rc = sim_dev_boot(d, p->fw);
		if (rc != RP_OK)
			dev_fail(p, d, "flash", rc, 0);
	}
out:
	if (rc != RP_OK) {
		d->failed = true;
		SSL_CTX_free(d->tls);
		d->tls = NULL;
		atomic_fetch_add(&p->st->failed, 1);
	}
	ERR_clear_error();
	X509_free(cur);
	rp_keystore_close(ks);
	atomic_fetch_add(&p->st->done, 1);
}

static void *worker(void *arg)
{
	struct prep *p = arg;
	unsigned i;

	while (!*p->stop) {
		i = atomic_fetch_add(&p->next, 1);
		if (i >= p->c->devices)
			break;
		prepare_one(p, &p->devs[i]);
	}
	return NULL;
}

static void progress(const struct prep *p, double t0, bool last)
{
	unsigned done = atomic_load(&p->st->done);
	double dt = now_s() - t0;

	fprintf(stderr,
	        "rampart-sim: prepare %u/%u (enrolled now %u, already %u, "
	        "failed %u) %.1f s, %.0f/s%s\n",
	        done, p->c->devices, atomic_load(&p->st->enrolled_now),
	        atomic_load(&p->st->already), atomic_load(&p->st->failed), dt,
	        dt > 0 ? done / dt : 0.0, last ? "" : " ...");
}

rp_err sim_prepare(const struct sim_conf *c, struct sim_dev *devs,
                   const struct sim_fw *fw, struct sim_prep_stats *st,
                   volatile sig_atomic_t *stop)
{
	struct prep *p = rp_calloc(1, sizeof *p);
	pthread_t th[64];
	unsigned i, nth = 0, want;
	double t0 = now_s(), last = t0;
	rp_err rc = RP_E_NOMEM;

	if (p == NULL)
		return RP_E_NOMEM;
	p->c = c;
	p->devs = devs;
	p->fw = fw;
	p->st = st;
	p->stop = stop;
	pthread_mutex_init(&p->mu, NULL);
	if (c->claim != NULL && strlen(c->claim) < sizeof p->cert) {
		snprintf(p->cert, sizeof p->cert, "%s", c->claim);
		p->key = strchr(p->cert, ',');
		if (p->key != NULL)
			*p->key++ = '\0';
	}
	p->broker_store = X509_STORE_new();
	if (p->broker_store == NULL)
		goto out;
	if (X509_STORE_load_file(p->broker_store, c->broker_ca) != 1) {
		rp_log(RP_LOG_ERROR,
		       "--broker-ca %s: not a PEM certificate "
		       "file",
		       c->broker_ca);
		rc = RP_E_IO;
		goto out;
	}
	want = c->enroll_parallel > 0 ? c->enroll_parallel : 1;
	if (want > sizeof th / sizeof th[0])
		want = sizeof th / sizeof th[0];
	for (nth = 0; nth < want; nth++)
		if (pthread_create(&th[nth], NULL, worker, p) != 0)
			break;
	rc = nth > 0 ? RP_OK : RP_E_NOMEM;
	/* Progress while the workers run (the join below is the wait). */
	while (nth > 0 && atomic_load(&st->done) < c->devices && !*stop) {
		sleep_ms(100);
		if (c->stats_s > 0 && now_s() - last >= c->stats_s) {
			last = now_s();
			progress(p, t0, false);
		}
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	progress(p, t0, true);
out:
	SSL_CTX_free(p->claim_ctx);
	sk_X509_pop_free(p->cacerts, X509_free);
	X509_STORE_free(p->broker_store);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return rc;
}
