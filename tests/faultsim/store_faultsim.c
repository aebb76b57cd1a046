/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_faultsim.c - the store (server/store/store.h) with allocation N
 * failing, for every N: SQLite allocates through rampart/alloc.h here
 * (rp_faultsim_hook_sqlite), so its allocations count and fail like the
 * store's own. Two sequences of store calls, through store.h only
 * (steps[] below): a new store's open (its migrations), and on a copy of
 * a store opened before the operations (open, allowlist, an enrollment's
 * transaction, a command, an ingest batch of telemetry, events, a
 * result, a rejection and a refusal, a batch of refusals only, a
 * refusal, release key sets installed and rotated, releases added and
 * removed, an update with its result, events and a report, every
 * listing, a transaction rolled back, a CRL's
 * transaction, a quarantine, a second batch, close). Each is run once
 * clean to count its K allocations, with what the store holds after each
 * step recorded (a dump through the listings of store.h), then for
 * N = 1..K (every STRIDE-th N with -o, -e) twice in a forked child
 * (run.c):
 *
 * - allocation N failing once: a step that fails is tried again (the
 *   fault is over, so it must work now: the connection survived) and the
 *   sequence goes on; the store must then hold exactly what the clean run
 *   left (a failed step that half-wrote shows twice);
 * - allocation N and every later one failing: the sequence stops at the
 *   first failed step and closes the store; it must then hold exactly
 *   what the clean run held after the steps that returned RP_OK (what
 *   was reported committed is there, the failed step left nothing).
 *
 * A failed step must answer RP_E_NOMEM, and only when an allocation
 * failed during it: a failure for memory reported as another error (the
 * store's RP_E_STORE, "not durable", "not found") would send an operator
 * after the wrong cause. The
 * child must not crash or leak (LeakSanitizer); the parent reopens the
 * store without faults, checks it (store_check) and compares the dump.
 * usage: store_faultsim [-k] [-o STRIDE] [-e STRIDE]: every STRIDE-th N
 * of the new store's open (-o) and of the operations (-e), default 1;
 * -k: go on after 5 failed runs. Prints the allocations and runs; exit 1
 * on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultsim.h"
#include "items.h"
#include "rampart/alloc.h"
#include "rampart/log.h"
#include "store/store.h"

#define Y2100 4102444800LL

/* Small enough that every trim of the sequence runs. */
static const struct store_retention keep = {1, 2, 1};
#define REFUSALS_KEEP 3

struct ctx {
	const char *spec;
	struct store *s;
};

/* --- the items of the sequence ----------------------------------------- */

static struct store_device dev(const char *serial, const char *token)
{
	struct store_device d = store_test_dev(serial, "line-1");

	snprintf(d.hw_token, sizeof d.hw_token, "%s", token);
	snprintf(d.tags, sizeof d.tags, "site=a,row=3");
	d.state = STORE_DEV_ALLOWLISTED;
	return d;
}

static struct store_cert cert(const char *serial, const char *subject,
                              const char *kind)
{
	return store_test_cert(serial, subject, kind, 1000, Y2100);
}

static struct store_in event(const char *serial, int64_t at, const char *what)
{
	return store_test_event(serial, at, (uint64_t)at, 2, what);
}

static struct store_in refusal(int64_t at, const char *peer)
{
	struct store_in it = store_test_item(STORE_IN_REFUSAL, "", at);

	snprintf(it.u.ref.route, sizeof it.u.ref.route, "mqtt/connect");
	snprintf(it.u.ref.peer, sizeof it.u.ref.peer, "%s", peer);
	snprintf(it.u.ref.subject, sizeof it.u.ref.subject, "dev-x");
	it.u.ref.reason = RP_E_STATE;
	snprintf(it.u.ref.detail, sizeof it.u.ref.detail, "no cert");
	return it;
}

/* --- what the store holds ----------------------------------------------- */

struct dump {
	size_t len;
	bool full;
	int refusals; /* dump_store: how many are kept */
	char buf[16384];
};

static void put(struct dump *d, const char *fmt, ...) RP_PRINTF(2, 3);

static void put(struct dump *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(d->buf + d->len, sizeof d->buf - d->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof d->buf - d->len)
		d->full = true;
	else
		d->len += (size_t)n;
}

/* Every field but the clock's (created_at, updated_at, a refusal's at
 * from store_refusal_add): they differ from run to run. */
static int dump_dev(void *arg, const struct store_device *v,
                    const struct store_status *s)
{
	const struct rp_telemetry *t = &s->tel;

	put(arg,
	    "device %s %s %s %s %s state %d allow %d force %d q %d %s %lld\n"
	    "  status %lld %lld %lld n %lld %lld %lld %lld certs %lld %lld\n"
	    "  tel %llu %lld %llu %u %llu/%llu tcp %u udp %u %s %s %llu "
	    "%llu %u %llu %s\n",
	    v->serial, v->hw_type, v->hw_token, v->group, v->tags, v->state,
	    v->allow_reprovision, v->force_renew, v->quarantined,
	    v->quarantine_reason, (long long)v->quarantined_at,
	    (long long)s->first_seen, (long long)s->last_seen,
	    (long long)s->telemetry_at, (long long)s->n_telemetry,
	    (long long)s->n_events, (long long)s->n_results,
	    (long long)s->n_rejected, (long long)s->certs_valid,
	    (long long)s->certs_revoked, (unsigned long long)t->seq,
	    (long long)t->ts, (unsigned long long)t->uptime_s, t->cpu_permille,
	    (unsigned long long)t->mem_avail_kb,
	    (unsigned long long)t->mem_total_kb, t->n_tcp, t->n_udp,
	    t->fw_version, t->fw_sha256, (unsigned long long)t->msgs_sent,
	    (unsigned long long)t->dropped, t->interval_s,
	    (unsigned long long)t->log_seq, t->log_head);
	return 0;
}

static int dump_device(void *arg, const struct store_device *v)
{
	put(arg,
	    "device %s %s %s %s %s state %d allow %d force %d q %d %s %lld\n",
	    v->serial, v->hw_type, v->hw_token, v->group, v->tags, v->state,
	    v->allow_reprovision, v->force_renew, v->quarantined,
	    v->quarantine_reason, (long long)v->quarantined_at);
	return 0;
}

static int dump_cert(void *arg, const struct store_cert *k)
{
	put(arg, "cert %s %s %s %lld %lld revoked %lld %d uses %lld %lld\n",
	    k->serial, k->subject, k->kind, (long long)k->not_before,
	    (long long)k->not_after, (long long)k->revoked_at, k->reason,
	    (long long)k->uses, (long long)k->last_used_at);
	return 0;
}

static int dump_refusal(void *arg, const struct store_refusal *f)
{
	put(arg, "refusal %lld %s %s %s %s %s\n", (long long)f->id, f->route,
	    f->peer, f->subject, f->reason, f->detail);
	return 0;
}

static int dump_event(void *arg, const struct store_event *e)
{
	put(arg, "event %lld %s %lld %lld %llu %d %d %llu %s\n",
	    (long long)e->id, e->serial, (long long)e->received_at,
	    (long long)e->ev.ts, (unsigned long long)e->ev.seq, (int)e->ev.type,
	    (int)e->ev.severity, (unsigned long long)e->ev.count, e->ev.detail);
	return 0;
}

static int dump_command(void *arg, const struct store_command *k)
{
	put(arg, "command %s %s %d %lld %s result %lld %d %llu %lld %s\n",
	    k->cmd.id, k->serial, (int)k->cmd.type, (long long)k->cmd.ts,
	    k->cmd.arg, (long long)k->result_at, (int)k->res.status,
	    (unsigned long long)k->res.seq, (long long)k->res.ts,
	    k->res.detail);
	return 0;
}

static int dump_counter(void *arg, const char *name, int64_t v)
{
	put(arg, "counter %s %lld\n", name, (long long)v);
	return 0;
}

static rp_err dump_meta(struct store *s, struct dump *d, const char *key)
{
	uint8_t val[64];
	size_t len = sizeof val - 1;
	rp_err rc = store_meta_get(s, key, val, &len);

	if (rc != RP_OK && rc != RP_E_NOT_FOUND)
		return rc;
	val[rc == RP_OK ? len : 0] = '\0';
	put(d, "meta %s %s %s\n", key, rp_errname(rc), (const char *)val);
	return RP_OK;
}

static int count_refusal(void *arg, const struct store_refusal *f)
{
	(void)f;
	++*(int *)arg;
	return 0;
}

/* A get's answer: "get" and RP_OK when it found the key or not. */
static rp_err found(struct dump *d, rp_err rc)
{
	put(d, "get %s\n", rp_errname(rc));
	return rc == RP_E_NOT_FOUND ? RP_OK : rc;
}

static int dump_keyset(void *arg, const struct store_keyset *k)
{
	put(arg, "keyset %lld %.*s\n", (long long)k->epoch, (int)k->len,
	    (const char *)k->rpks);
	return 0;
}

static int dump_release(void *arg, const struct store_release *r)
{
	put(arg, "release %.8s %s %u.%u.%u %u kind %d %lld %lld %lld %s %lld\n",
	    r->id, r->hw_type, r->ver_major, r->ver_minor, r->ver_patch,
	    r->counter, r->kind, (long long)r->payload_size,
	    (long long)r->file_size, (long long)r->build_time, r->notes,
	    (long long)r->sbom_len);
	return 0;
}

#define RELEASE_A \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define RELEASE_B \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* An update without its times (rampartd's clock differs between runs). */
static int dump_update(void *arg, const struct store_update *u)
{
	put(arg, "update %s %s %.8s %.8s %s %lld %lld %s %s %d\n", u->cmd_id,
	    u->serial, u->release_id, u->base_id, u->state,
	    (long long)u->offset, (long long)u->size, u->code, u->detail,
	    (int)u->final);
	return 0;
}

/* The key sets and releases: every listing and the SBOM of release a. */
static rp_err dump_releases(struct store *s, struct dump *d)
{
	struct store_keyset *k = rp_malloc(sizeof *k); /* owned here */
	char *text = NULL;                             /* owned here */
	size_t len = 0;
	rp_err rc = RP_E_NOMEM;

	if (k == NULL)
		goto out;
	rc = store_keyset_get(s, k);
	if (rc == RP_OK)
		dump_keyset(d, k);
	if (rc == RP_OK || rc == RP_E_NOT_FOUND)
		rc = store_keyset_each(s, dump_keyset, d);
	if (rc == RP_OK)
		rc = store_release_each(s, NULL, dump_release, d);
	if (rc == RP_OK)
		rc = store_release_each(s, "board-y", dump_release, d);
	if (rc == RP_OK)
		rc = store_release_sbom(s, RELEASE_A, &text, &len);
	if (rc == RP_OK)
		put(d, "sbom %s\n", text != NULL ? text : "none");
	if (rc == RP_E_NOT_FOUND)
		rc = RP_OK;
out:
	rp_free(text);
	rp_free(k);
	return rc;
}

/* What s holds, through store.h, into d (d->full: too much to say). */
static rp_err dump_into(struct store *s, struct dump *d)
{
	struct store_device dv = {0};
	struct store_status ss = {0};
	struct store_cert k = {0};
	int64_t next = 0;
	rp_err rc;

	d->len = 0;
	d->refusals = 0;
	d->full = false;
	d->buf[0] = '\0';
	rc = store_device_each(s, dump_device, d);
	if (rc == RP_OK)
		rc = store_device_status_each(s, dump_dev, d);
	if (rc == RP_OK)
		rc = found(d, store_device_get(s, "dev-b", &dv));
	if (rc == RP_OK && dv.serial[0] != '\0')
		dump_device(d, &dv);
	if (rc == RP_OK)
		rc = found(d, store_status_get(s, "dev-a", &ss));
	if (rc == RP_OK && ss.last_seen != 0)
		dump_dev(d, &dv, &ss);
	if (rc == RP_OK)
		rc = found(d, store_cert_get(s, "0a01", &k));
	if (rc == RP_OK && k.serial[0] != '\0')
		dump_cert(d, &k);
	if (rc == RP_OK) {
		rc = store_cert_each_kind(s, STORE_CERT_DEVICE, dump_cert, d);
	}
	if (rc == RP_OK)
		rc = store_cert_each_kind(s, STORE_CERT_CLAIM, dump_cert, d);
	if (rc == RP_OK)
		rc = store_cert_each_of(s, "dev-a", dump_cert, d);
	if (rc == RP_OK)
		rc = store_cert_each_revoked(s, STORE_CERT_CLAIM, 0, dump_cert,
		                             d);
	/* the newest REFUSALS_KEEP: older ones stay when a trim fails
	 * (store.h allows REFUSALS_KEEP + 63) */
	if (rc == RP_OK)
		rc = store_refusal_each(s, REFUSALS_KEEP, dump_refusal, d);
	if (rc == RP_OK)
		rc = store_event_feed(s, 0, 100, dump_event, d);
	if (rc == RP_OK)
		rc = store_event_feed(s, -1, 2, dump_event, d);
	if (rc == RP_OK)
		rc = store_event_each(s, "dev-a", 100, dump_event, d);
	if (rc == RP_OK)
		rc = store_command_each(s, "dev-a", 100, dump_command, d);
	if (rc == RP_OK)
		rc = store_counter_each(s, dump_counter, d);
	if (rc == RP_OK)
		rc = store_crl_next_number(s, &next);
	if (rc == RP_OK) {
		put(d, "next crl %lld\n", (long long)next);
		rc = dump_meta(s, d, "rolled");
	}
	if (rc == RP_OK)
		rc = dump_meta(s, d, "crl_at");
	if (rc == RP_OK)
		rc = dump_releases(s, d);
	if (rc == RP_OK)
		rc = store_update_each(s, "dev-a", 10, dump_update, d);
	return rc;
}

/*
 * Open spec (no fault), check it and write what it holds into d. false
 * (said on stderr) when a call failed.
 */
static bool dump_store(const char *spec, struct dump *d)
{
	struct store_opts o;
	struct store *s = NULL;
	rp_err rc;

	store_opts_init(&o);
	o.refusals_keep = REFUSALS_KEEP;
	rc = store_open_with(spec, &o, &s);
	if (rc != RP_OK) {
		fprintf(stderr, "faultsim: store: reopen: %s\n",
		        rp_errname(rc));
		return false;
	}
	rc = store_check(s);
	if (rc == RP_OK)
		rc = dump_into(s, d);
	if (rc == RP_OK)
		put(d, "schema %d\n", store_schema_version(s));
	if (rc == RP_OK)
		rc = store_refusal_each(s, 100, count_refusal, &d->refusals);
	store_close(s);
	if (rc == RP_OK && d->refusals > REFUSALS_KEEP + 63) {
		fprintf(stderr, "faultsim: store: %d refusals kept\n",
		        d->refusals);
		rc = RP_E_STATE;
	}
	if (rc != RP_OK || d->full) {
		fprintf(stderr, "faultsim: store: reading it back: %s\n",
		        d->full ? "too long" : rp_errname(rc));
		return false;
	}
	return true;
}

/* --- the steps ---------------------------------------------------------- */

static rp_err st_open(struct ctx *c)
{
	struct store_opts o;

	store_opts_init(&o);
	o.refusals_keep = REFUSALS_KEEP;
	return store_open_with(c->spec, &o, &c->s);
}

static rp_err st_allowlist_a(struct ctx *c)
{
	struct store_device d = dev("dev-a", "tok-a");

	return store_device_add(c->s, &d);
}

static rp_err st_allowlist_b(struct ctx *c)
{
	struct store_device d = dev("dev-b", "");

	return store_device_add(c->s, &d);
}

static rp_err st_flags_b(struct ctx *c)
{
	return store_device_set_flags(c->s, "dev-b", 1, 0);
}

static rp_err st_claim(struct ctx *c)
{
	struct store_cert k = cert("c1", "line-1", STORE_CERT_CLAIM);

	return store_cert_add(c->s, &k, "-----BEGIN CERTIFICATE-----\nclaim");
}

/* What rampartd's enrollment does in one transaction. */
static rp_err st_enroll(struct ctx *c)
{
	struct store_cert k = cert("0a01", "dev-a", STORE_CERT_DEVICE);
	struct store_device d;
	rp_err rc = store_begin(c->s);

	if (rc != RP_OK)
		return rc;
	rc = store_device_get(c->s, "dev-a", &d);
	if (rc == RP_OK && d.state != STORE_DEV_ALLOWLISTED)
		rc = RP_E_STATE;
	if (rc == RP_OK)
		rc = store_device_set_state(c->s, "dev-a", STORE_DEV_ENROLLED);
	if (rc == RP_OK)
		rc = store_cert_add(c->s, &k, "-----BEGIN CERTIFICATE-----\na");
	if (rc == RP_OK)
		rc = store_cert_mark_used(c->s, "c1", 1500);
	if (rc == RP_OK)
		rc = store_commit(c->s);
	store_rollback(c->s); /* nothing when committed */
	return rc;
}

static rp_err st_command(struct ctx *c)
{
	struct rp_command cmd;

	memset(&cmd, 0, sizeof cmd);
	snprintf(cmd.id, sizeof cmd.id, "cmd-1");
	cmd.type = RP_CMD_PING;
	cmd.ts = 1900;
	snprintf(cmd.arg, sizeof cmd.arg, "now");
	return store_command_add(c->s, "dev-a", &cmd);
}

static rp_err st_ingest(struct ctx *c)
{
	struct store_in it[12];
	struct store_counter n[] = {{"mqtt_rx", 11}};
	struct store_in_result r;
	size_t i = 0;

	it[i++] = store_test_tel("dev-a", 1, 2001);
	it[i++] = event("dev-a", 2002, "ssh x3");
	it[i++] = store_test_tel("dev-a", 2, 2003);
	it[i++] = event("dev-a", 2004, "ssh x5");
	it[i++] = event("dev-a", 2005, "ssh x7");
	it[i] = store_test_item(STORE_IN_RESULT, "dev-a", 2006);
	snprintf(it[i].u.res.id, sizeof it[i].u.res.id, "cmd-1");
	it[i].u.res.status = RP_CMD_OK;
	it[i].u.res.seq = 9;
	it[i].u.res.ts = 2005;
	snprintf(it[i].u.res.detail, sizeof it[i].u.res.detail, "pong");
	i++;
	it[i++] = store_test_item(STORE_IN_REJECT, "dev-a", 2007);
	it[i++] = store_test_tel("dev-b", 1, 2008); /* not enrolled */
	it[i++] = store_test_tel("dev-x", 1, 2009); /* unknown */
	it[i++] = store_test_item(STORE_IN_NONE, "", 0);
	it[i++] = refusal(2010, "10.0.0.9");
	it[i++] = event("dev-a", 2011, "ssh x9");
	return store_ingest_write(c->s, it, i, &keep, n, 1, &r);
}

/* A storm of broker refusals: one batch, trimmed to REFUSALS_KEEP. */
static rp_err st_refusals(struct ctx *c)
{
	struct store_in it[5];
	struct store_in_result r;
	char peer[32];

	for (size_t i = 0; i < 5; i++) {
		snprintf(peer, sizeof peer, "10.0.1.%zu", i);
		it[i] = refusal(2100 + (int64_t)i, peer);
	}
	return store_ingest_write(c->s, it, 5, &keep, NULL, 0, &r);
}

static rp_err st_refusal(struct ctx *c)
{
	return store_refusal_add(c->s, "est/simpleenroll", "10.0.2.1", "dev-z",
	                         RP_E_NOT_FOUND, "not allowlisted");
}

static struct dump listed; /* the listings of the clean run */

/* What the API and the detectors read: every listing, which must answer
 * as in the clean run when it returns RP_OK. */
static rp_err st_list(struct ctx *c)
{
	static struct dump d;
	rp_err rc = dump_into(c->s, &d);

	if (rc == RP_OK && listed.len > 0 &&
	    (d.full || d.len != listed.len ||
	     memcmp(d.buf, listed.buf, d.len) != 0)) {
		fprintf(stderr,
		        "faultsim: store: listings: RP_OK, but they "
		        "read\n%.*sfaultsim: store: instead of\n%.*s",
		        (int)d.len, d.buf, (int)listed.len, listed.buf);
		rc = RP_E_STATE; /* not a clean answer */
	}
	return rc;
}

/* Writes of every kind, then rolled back: nothing of it stays. */
static rp_err st_rolled_back(struct ctx *c)
{
	struct store_device d = dev("dev-c", "tok-c");
	struct store_cert k = cert("0c01", "dev-c", STORE_CERT_DEVICE);
	rp_err rc = store_begin(c->s);

	if (rc != RP_OK)
		return rc;
	rc = store_device_add(c->s, &d);
	if (rc == RP_OK)
		rc = store_cert_add(c->s, &k, "pem");
	if (rc == RP_OK)
		rc = store_cert_revoke(c->s, "0a01", 1, 2200);
	if (rc == RP_OK)
		rc = store_meta_set(c->s, "rolled", (const uint8_t *)"x", 1);
	if (rc == RP_OK)
		rc = store_refusal_add(c->s, "est", "", "", RP_E_STATE, NULL);
	store_rollback(c->s);
	return rc;
}

/* A CRL's publication: revoke, number and record in one transaction. */
static rp_err st_crl(struct ctx *c)
{
	static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	int64_t number = 0;
	rp_err rc = store_begin(c->s);

	if (rc != RP_OK)
		return rc;
	rc = store_cert_revoke(c->s, "c1", 4, 2300);
	if (rc == RP_OK)
		rc = store_crl_next_number(c->s, &number);
	if (rc == RP_OK)
		rc = store_crl_add(c->s, number, 2300, 2400, der, sizeof der);
	if (rc == RP_OK)
		rc = store_meta_set(c->s, "crl_at", (const uint8_t *)"2300", 4);
	if (rc == RP_OK)
		rc = store_commit(c->s);
	store_rollback(c->s);
	return rc;
}

static rp_err st_quarantine(struct ctx *c)
{
	return store_device_set_quarantine(c->s, "dev-a", 1, "tamper", 2500);
}

/* Quarantined: the event counts, the telemetry is not allowed. */
static rp_err st_ingest_quarantined(struct ctx *c)
{
	struct store_in it[2];
	struct store_in_result r;

	it[0] = store_test_tel("dev-a", 3, 2601);
	it[1] = event("dev-a", 2602, "tamper");
	return store_ingest_write(c->s, it, 2, &keep, NULL, 0, &r);
}

/* A release of board-x with its id made of c. */
static struct store_release release(const char *id, uint32_t patch)
{
	struct store_release r;

	memset(&r, 0, sizeof r);
	snprintf(r.id, sizeof r.id, "%s", id);
	snprintf(r.hw_type, sizeof r.hw_type, "board-x");
	r.ver_major = 1;
	r.ver_minor = 4;
	r.ver_patch = patch;
	r.counter = 3;
	r.payload_size = 4096;
	r.file_size = 4400;
	r.build_time = 1760000000;
	snprintf(r.notes, sizeof r.notes, "patch %u", patch);
	return r;
}

static rp_err st_keyset(struct ctx *c)
{
	return store_keyset_install(c->s, (const uint8_t *)"RPKS-1", 6, 1,
	                            STORE_KEYSET_NONE);
}

static rp_err st_keyset_rotation(struct ctx *c)
{
	return store_keyset_install(c->s, (const uint8_t *)"RPKS-2", 6, 2, 1);
}

static rp_err st_release_a(struct ctx *c)
{
	static const char sbom[] = "{\"bomFormat\":\"CycloneDX\"}";
	struct store_release r = release(RELEASE_A, 1);

	return store_release_add(c->s, &r, sbom, sizeof sbom - 1);
}

static rp_err st_release_b(struct ctx *c)
{
	struct store_release r = release(RELEASE_B, 2);

	return store_release_add(c->s, &r, NULL, 0);
}

static rp_err st_release_b_remove(struct ctx *c)
{
	return store_release_remove(c->s, RELEASE_B);
}

static rp_err st_update(struct ctx *c)
{
	struct store_update u;

	memset(&u, 0, sizeof u);
	snprintf(u.cmd_id, sizeof u.cmd_id, "upd-1");
	snprintf(u.serial, sizeof u.serial, "dev-a");
	snprintf(u.release_id, sizeof u.release_id, RELEASE_A);
	u.size = 4400;
	return store_update_add(c->s, &u);
}

/* The update's progress as an event (dev-a's). */
static struct store_in update_event(void)
{
	struct store_in it = event("dev-a", 2802, "");

	it.u.ev.type = RP_EVENT_UPDATE;
	snprintf(it.u.ev.update.cmd, sizeof it.u.ev.update.cmd, "upd-1");
	snprintf(it.u.ev.update.release, sizeof it.u.ev.update.release,
	         RELEASE_A);
	it.u.ev.update.state = RP_UPD_DOWNLOADING;
	it.u.ev.update.offset = 2000;
	it.u.ev.update.size = 4400;
	return it;
}

/* The update's answer and progress in one ingest batch. */
static rp_err st_update_ingest(struct ctx *c)
{
	struct store_in it[2];
	struct store_in_result r;

	it[0] = store_test_item(STORE_IN_RESULT, "dev-a", 2801);
	snprintf(it[0].u.res.id, sizeof it[0].u.res.id, "upd-1");
	it[0].u.res.status = RP_CMD_OK;
	it[0].u.res.seq = 30;
	it[0].u.res.ts = 2800;
	snprintf(it[0].u.res.detail, sizeof it[0].u.res.detail, "accepted");
	it[1] = update_event();
	return store_ingest_write(c->s, it, 2, &keep, NULL, 0, &r);
}

/* A report of its own: store_update_report's transaction. */
static rp_err st_update_report(struct ctx *c)
{
	struct rp_update_report rep = update_event().u.ev.update;

	rep.state = RP_UPD_FAILED;
	snprintf(rep.code, sizeof rep.code, "no_space");
	return store_update_report(c->s, "dev-a", &rep, "full", NULL);
}

static const struct step {
	const char *name;
	rp_err (*fn)(struct ctx *c);
} steps[] = {
    {"open", st_open},
    {"allowlist dev-a", st_allowlist_a},
    {"allowlist dev-b", st_allowlist_b},
    {"flags dev-b", st_flags_b},
    {"claim certificate", st_claim},
    {"enrollment transaction", st_enroll},
    {"command", st_command},
    {"ingest batch", st_ingest},
    {"refusal batch", st_refusals},
    {"refusal", st_refusal},
    {"release key set", st_keyset},
    {"release key set rotation", st_keyset_rotation},
    {"release a", st_release_a},
    {"release b", st_release_b},
    {"release b removed", st_release_b_remove},
    {"update of release a", st_update},
    {"update result and event", st_update_ingest},
    {"update report", st_update_report},
    {"listings", st_list},
    {"transaction rolled back", st_rolled_back},
    {"CRL transaction", st_crl},
    {"quarantine", st_quarantine},
    {"ingest batch, quarantined", st_ingest_quarantined},
};
#define NSTEPS (sizeof steps / sizeof steps[0])

/* --- one run ------------------------------------------------------------ */

/* A sequence: steps[0..nsteps) in a store that is new (only the open:
 * the migrations) or a copy of one opened before (the operations). */
struct seq {
	const char *name;
	size_t nsteps;
	bool copy;
	unsigned long stride; /* every stride-th N */
};

struct run {
	char base[512], tpl[600], dir[600], spec[700], log[700];
	const struct seq *q;
	bool retry;   /* the fault fails one allocation: try a step again */
	int progress; /* pipe: one byte per step that returned RP_OK */
};

/* The log's text from offset on, NUL-terminated, into buf. */
static void log_since(const char *path, long offset, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL && fseek(f, offset, SEEK_SET) == 0)
		n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
}

/*
 * Is rc a clean answer of a step during which fails allocations failed
 * and which logged logged? Says why not on stderr.
 */
static bool clean(const char *name, rp_err rc, unsigned long fails,
                  const char *logged)
{
	const char *last;
	size_t n;

	if (rc == RP_OK)
		return true;
	if (fails == 0) {
		fprintf(stderr,
		        "faultsim: store: %s: %s without a failed "
		        "allocation\n",
		        name, rp_errname(rc));
		return false;
	}
	if (rc == RP_E_NOMEM)
		return true;
	/* the last line the store logged, to say what it made of it */
	n = strlen(logged);
	while (n > 0 && logged[n - 1] == '\n')
		n--;
	last = logged + n;
	while (last > logged && last[-1] != '\n')
		last--;
	fprintf(stderr,
	        "faultsim: store: %s: %s for a failed allocation (RP_E_NOMEM "
	        "expected; last line logged: \"%.*s\")\n",
	        name, rp_errname(rc), (int)(logged + n - last), last);
	return false;
}

/* Step i, its answer checked (*bad set if not clean); true when it
 * returned RP_OK. */
static bool step(struct run *r, struct ctx *c, size_t i, int *bad)
{
	char logged[4096];
	unsigned long before = rp_faultsim_failures();
	long offset;
	rp_err rc;

	fflush(stderr);
	offset = lseek(STDERR_FILENO, 0, SEEK_CUR);
	rc = steps[i].fn(c);
	fflush(stderr);
	log_since(r->log, offset, logged, sizeof logged);
	if (!clean(steps[i].name, rc, rp_faultsim_failures() - before, logged))
		*bad = 1;
	return rc == RP_OK;
}

/* The child: the sequence under the fault, its stderr in r->log. */
static int child(void *arg)
{
	struct run *r = arg;
	struct ctx c = {r->spec, NULL};
	int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int bad = 0;
	size_t i;

	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return 1;
	close(fd);
	for (i = 0; i < r->q->nsteps && !bad; i++) {
		bool ok = step(r, &c, i, &bad);

		if (!ok && r->retry && !bad) {
			ok = step(r, &c, i, &bad);
			if (!ok) {
				fprintf(stderr,
				        "faultsim: store: %s: fails again "
				        "once the fault is over\n",
				        steps[i].name);
				bad = 1;
			}
		}
		if (!ok)
			break;
		if (write(r->progress, "+", 1) != 1)
			bad = 1;
	}
	store_close(c.s);
	return bad;
}

static void cat(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return;
	for (n = fread(buf, 1, sizeof buf, f); n > 0;
	     n = fread(buf, 1, sizeof buf, f))
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

/* Each file of from (a store's files) copied into to, or (from NULL)
 * each file of to removed. false on a failure, said on stderr. */
static bool files(const char *from, const char *to)
{
	char src[1024], dst[1024], buf[65536];
	DIR *d = opendir(from != NULL ? from : to);
	struct dirent *e;
	bool ok = d != NULL;

	for (e = ok ? readdir(d) : NULL; e != NULL; e = readdir(d)) {
		FILE *in, *out;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
		if (from == NULL) {
			unlink(dst);
			continue;
		}
		snprintf(src, sizeof src, "%s/%s", from, e->d_name);
		in = fopen(src, "rb");
		out = fopen(dst, "wb");
		for (n = in != NULL ? fread(buf, 1, sizeof buf, in) : 0;
		     n > 0 && out != NULL; n = fread(buf, 1, sizeof buf, in))
			ok &= fwrite(buf, 1, n, out) == n;
		ok &= in != NULL && out != NULL && !ferror(in);
		if (in != NULL)
			fclose(in);
		if (out != NULL)
			ok &= fclose(out) == 0;
	}
	if (d != NULL)
		closedir(d);
	if (!ok)
		fprintf(stderr, "faultsim: store: cannot copy %s to %s\n",
		        from != NULL ? from : "-", to);
	return ok;
}

/*
 * One run of r->q with allocation n failing (persist: and every later
 * one), against want[k], the dump after k clean steps. 0 when clean.
 */
static int run_one(struct run *r, unsigned long n, bool persist,
                   const struct dump *want, struct dump *got)
{
	char what[64], buf[NSTEPS + 1];
	int fds[2], bad;
	ssize_t k;

	files(NULL, r->dir);
	if (r->q->copy && !files(r->tpl, r->dir))
		return 1;
	if (pipe(fds) != 0) {
		perror("faultsim: pipe");
		return 1;
	}
	r->retry = !persist;
	r->progress = fds[1];
	snprintf(what, sizeof what, "store, %s", r->q->name);
	bad = rp_faultsim_child(child, r, n, persist, what);
	close(fds[1]);
	k = read(fds[0], buf, sizeof buf);
	close(fds[0]);
	if (k < 0)
		k = 0;
	if (bad == 0 && !persist && (size_t)k != r->q->nsteps) {
		fprintf(stderr, "faultsim: %s: %zd of %zu steps done\n", what,
		        k, r->q->nsteps);
		bad = 1;
	}
	if (bad == 0 && !dump_store(r->spec, got))
		bad = 1;
	if (bad == 0 && (got->len != want[k].len ||
	                 memcmp(got->buf, want[k].buf, got->len) != 0)) {
		fprintf(stderr,
		        "faultsim: %s: allocation %lu%s failing, %zd steps "
		        "returned RP_OK (then %s): the store holds\n%.*s"
		        "faultsim: %s: instead of\n%.*s",
		        what, n, persist ? " on" : "", k,
		        (size_t)k < r->q->nsteps ? steps[k].name : "no more",
		        (int)got->len, got->buf, what, (int)want[k].len,
		        want[k].buf);
		bad = 1;
	}
	if (bad != 0) {
		fprintf(stderr, "faultsim: %s: the child's log:\n", what);
		cat(r->log);
	}
	return bad;
}

/* The clean sequence once more, in a store of its own, counting: its
 * allocations, and each step's printed. */
static unsigned long count(struct run *r, int *bad)
{
	struct ctx c = {r->spec, NULL};
	unsigned long before = rp_alloc_count(), at;
	rp_err rc = RP_OK;

	files(NULL, r->dir);
	if (r->q->copy && !files(r->tpl, r->dir))
		*bad = 1;
	for (size_t i = 0; *bad == 0 && rc == RP_OK && i < r->q->nsteps; i++) {
		at = rp_alloc_count();
		rc = steps[i].fn(&c);
		printf("faultsim: store, %s: %s: %lu allocations\n", r->q->name,
		       steps[i].name, rp_alloc_count() - at);
	}
	store_close(c.s);
	if (rc != RP_OK)
		*bad = 1;
	return rp_alloc_count() - before;
}

static int max_bad = 5; /* runs that fail before a sequence stops */

/* Every N of sequence q; the number of failed runs. */
static int run_seq(struct run *r, const struct seq *q, const struct dump *want)
{
	static struct dump got;
	unsigned long k, n, runs = 0;
	int bad = 0;

	r->q = q;
	k = count(r, &bad);
	if (bad == 0)
		bad = run_one(r, 0, false, want, &got);
	for (n = 1; bad < max_bad && n <= k; n += q->stride) {
		bad += run_one(r, n, false, want, &got);
		bad += run_one(r, n, true, want, &got);
		runs += 2;
	}
	printf("faultsim: store, %s: %zu steps, %lu allocations, %lu runs "
	       "(every %lu%s N), %s\n",
	       q->name, q->nsteps, k, runs, q->stride,
	       q->stride == 1 ? "st" : "th", bad ? "FAILED" : "all clean");
	return bad;
}

/* A small quarantine: LeakSanitizer in each child walks every chunk,
 * freed ones in the quarantine too, and with ASan's default 256 MB that
 * walk is most of a run's time. RP_FAULTSIM builds are ASan builds. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=1";
}

static bool dirs(struct run *r)
{
	/* tmpfs when there is one: the store syncs every commit */
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
	                  : getenv("TMPDIR") != NULL    ? getenv("TMPDIR")
	                                                : "/tmp";

	snprintf(r->base, sizeof r->base, "%s/rp-store-faultsim-XXXXXX", tmp);
	if (mkdtemp(r->base) == NULL)
		return false;
	snprintf(r->tpl, sizeof r->tpl, "%s/new", r->base);
	snprintf(r->dir, sizeof r->dir, "%s/run", r->base);
	snprintf(r->spec, sizeof r->spec, "sqlite:%s/rampart.db", r->dir);
	snprintf(r->log, sizeof r->log, "%s/log", r->dir);
	return mkdir(r->tpl, 0700) == 0 && mkdir(r->dir, 0700) == 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-k] [-o STRIDE] [-e STRIDE]\n", argv0);
}

int main(int argc, char **argv)
{
	static struct dump want[NSTEPS + 1];
	struct seq open_seq = {"new store", 1, false, 1};
	struct seq ops_seq = {"operations", NSTEPS, true, 1};
	char spec[800];
	struct run r;
	struct ctx c;
	int bad = 0, opt;

	/* before SQLite's first call (it refuses after initialising) */
	if (!rp_faultsim_hook_sqlite()) {
		fprintf(stderr, "faultsim: cannot hook SQLite's allocator\n");
		return 1;
	}
	for (;;) {
		opt = getopt(argc, argv, "ko:e:");
		if (opt == -1)
			break;
		if (opt == 'k') {
			max_bad = INT_MAX;
			continue;
		}
		if ((opt != 'o' && opt != 'e') ||
		    strtoul(optarg, NULL, 10) == 0) {
			usage(argv[0]);
			return 2;
		}
		if (opt == 'o')
			open_seq.stride = strtoul(optarg, NULL, 10);
		else
			ops_seq.stride = strtoul(optarg, NULL, 10);
	}
	if (optind != argc) {
		usage(argv[0]);
		return 2;
	}
	rp_log_init("store_faultsim", RP_LOG_STDERR, RP_LOG_WARN);
	memset(&r, 0, sizeof r);
	if (!dirs(&r)) {
		perror("faultsim: store: a temporary directory");
		return 1;
	}

	/* a new store, opened and closed: what the operations start from
	 * (also SQLite's one-time set-up, in this process, before the
	 * children) */
	snprintf(spec, sizeof spec, "sqlite:%s/rampart.db", r.tpl);
	c.spec = spec;
	c.s = NULL;
	if (st_open(&c) != RP_OK)
		bad = 1;
	store_close(c.s);
	/* clean, what the store holds after each step */
	if (bad == 0 && files(r.tpl, r.dir) && dump_store(r.spec, &want[0])) {
		c.spec = r.spec;
		c.s = NULL;
		for (size_t i = 0; i < NSTEPS && bad == 0; i++) {
			rp_err rc = steps[i].fn(&c);

			if (rc != RP_OK) {
				fprintf(stderr,
				        "faultsim: store: %s: %s in a clean "
				        "run\n",
				        steps[i].name, rp_errname(rc));
				bad = 1;
			} else if (!dump_store(r.spec, &want[i + 1])) {
				bad = 1;
			} else if (steps[i].fn == st_list &&
			           dump_into(c.s, &listed) != RP_OK) {
				bad = 1;
			}
		}
		store_close(c.s);
	} else {
		bad = 1;
	}
	if (bad == 0) {
		bad = run_seq(&r, &open_seq, want);
		bad |= run_seq(&r, &ops_seq, want);
	}
	files(NULL, r.dir);
	files(NULL, r.tpl);
	rmdir(r.dir);
	rmdir(r.tpl);
	rmdir(r.base);
	return bad != 0;
}
