/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conformance.c - the store conformance suite: each function of
 * server/store/store.h exercised against the contract written there, with
 * nothing but that interface (no SQL, no engine header), so that every
 * engine runs the same cases: opening and options, every entity's create /
 * read / list / update / delete with its ordering and its not-found,
 * exists, state and argument errors, transactions (commit, rollback,
 * nesting refused, isolation from a second connection, the lock wait),
 * ingest batches (who may send what, all or nothing, status, events,
 * commands and results, counters, retention of events), the bounded
 * refusals, release key sets (compare and set) and releases, and
 * durability: a child process makes a call, says it
 * returned, and is killed with SIGKILL; the store reopened holds what the
 * call wrote (and nothing of a transaction that was not committed).
 *
 * Not reachable through the interface, so tested per engine instead
 * (test_store_ingest for SQLite): the retention of telemetry and command
 * result history, which store.h stores but never lists.
 */
#define _GNU_SOURCE /* kill, prctl */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "conformance.h"
#include "items.h"
#include "store/store.h"

static const struct store_target *T;
static char spec[700]; /* the store of the running case */

/* A new empty store; its spec stays in spec for reopening. */
static struct store *fresh(void)
{
	struct store *s = NULL;

	T->fresh(spec, sizeof spec);
	assert_int_equal(store_open(spec, &s), RP_OK);
	assert_non_null(s);
	return s;
}

static struct store *reopen(void)
{
	struct store *s = NULL;

	assert_int_equal(store_open(spec, &s), RP_OK);
	return s;
}

static struct store *reopen_with(int lock_wait_ms, int64_t refusals_keep)
{
	struct store_opts o;
	struct store *s = NULL;

	store_opts_init(&o);
	o.lock_wait_ms = lock_wait_ms;
	o.refusals_keep = refusals_keep;
	assert_int_equal(store_open_with(spec, &o, &s), RP_OK);
	return s;
}

/* Append text and ";" to buf (a collector's output). */
static void app(char *buf, size_t cap, const char *text)
{
	size_t n = strlen(buf);

	assert_true(n < cap);
	snprintf(buf + n, cap - n, "%s;", text);
}

/* A certificate valid from 1000 to not_after. */
static struct store_cert cert(const char *serial, const char *subject,
                              const char *kind, int64_t not_after)
{
	return store_test_cert(serial, subject, kind, 1000, not_after);
}

#define Y2100 4102444800LL

/* An enrolled device with a valid device certificate (ingest admits). */
static void enrolled(struct store *s, const char *serial, const char *cserial)
{
	struct store_device d = store_test_dev(serial, "g");
	struct store_cert c = cert(cserial, serial, STORE_CERT_DEVICE, Y2100);

	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_set_state(s, serial, STORE_DEV_ENROLLED),
	                 RP_OK);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
}

/* --- collectors ---------------------------------------------------------- */

struct seen {
	char buf[1024];
	int n, stop_after; /* stop_after 0: never stop */
	int64_t last_id;   /* refusal_cb: the id seen before */
};

static int stop(struct seen *x)
{
	x->n++;
	return x->stop_after != 0 && x->n >= x->stop_after;
}

static int dev_cb(void *arg, const struct store_device *d)
{
	struct seen *x = arg;

	app(x->buf, sizeof x->buf, d->serial);
	return stop(x);
}

static int cert_cb(void *arg, const struct store_cert *c)
{
	struct seen *x = arg;

	app(x->buf, sizeof x->buf, c->serial);
	return stop(x);
}

static int refusal_cb(void *arg, const struct store_refusal *r)
{
	struct seen *x = arg;
	char t[400];

	/* newest first: ids decrease (they increase as refusals are
	 * recorded; an engine's sequence may leave gaps) */
	if (x->n > 0)
		assert_true(r->id < x->last_id);
	x->last_id = r->id;
	snprintf(t, sizeof t, "%s:%s:%s:%s:%s", r->route, r->peer, r->subject,
	         r->reason, r->detail);
	app(x->buf, sizeof x->buf, t);
	return stop(x);
}

static int event_cb(void *arg, const struct store_event *e)
{
	struct seen *x = arg;

	app(x->buf, sizeof x->buf, e->ev.detail);
	return stop(x);
}

static int command_cb(void *arg, const struct store_command *c)
{
	struct seen *x = arg;
	char t[300];

	snprintf(t, sizeof t, "%s:%s:%lld:%s", c->cmd.id, c->serial,
	         (long long)c->result_at, c->res.detail);
	app(x->buf, sizeof x->buf, t);
	return stop(x);
}

static int counter_cb(void *arg, const char *name, int64_t value)
{
	struct seen *x = arg;
	char t[200];

	snprintf(t, sizeof t, "%s=%lld", name, (long long)value);
	app(x->buf, sizeof x->buf, t);
	return stop(x);
}

static int status_cb(void *arg, const struct store_device *d,
                     const struct store_status *st)
{
	struct seen *x = arg;
	char t[300];

	snprintf(t, sizeof t, "%s:%lld:%lld:%s:%lld:%lld", d->serial,
	         (long long)st->last_seen, (long long)st->n_telemetry,
	         st->tel.fw_version, (long long)st->certs_valid,
	         (long long)st->certs_revoked);
	app(x->buf, sizeof x->buf, t);
	return stop(x);
}

static int64_t counter_value(struct store *s, const char *name)
{
	struct seen x;
	const char *p;
	size_t n = strlen(name);

	memset(&x, 0, sizeof x);
	assert_int_equal(store_counter_each(s, counter_cb, &x), RP_OK);
	for (p = x.buf; p != NULL && *p != '\0'; p = strchr(p, ';')) {
		if (*p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return strtoll(p + n + 1, NULL, 10);
	}
	return 0;
}

/* --- opening ------------------------------------------------------------- */

static void test_open(void **state)
{
	struct store_opts o;
	struct store *s = fresh(), *bad = (struct store *)&o;
	int v = store_schema_version(s);

	(void)state;
	assert_string_equal(store_engine_name(s), T->engine);
	assert_true(v >= 1);
	assert_int_equal(store_check(s), RP_OK);
	store_close(s);
	/* reopening migrates nothing more */
	s = reopen();
	assert_int_equal(store_schema_version(s), v);
	store_close(s);
	store_close(NULL);
	/* the defaults */
	memset(&o, 0xff, sizeof o);
	store_opts_init(&o);
	assert_int_equal(o.lock_wait_ms, 5000);
	assert_int_equal(o.refusals_keep, STORE_REFUSALS_KEEP);
	/* refused specs and options leave *out NULL */
	assert_int_equal(store_open("no-such-engine:x", &bad), RP_E_INVAL);
	assert_null(bad);
	bad = (struct store *)&o;
	assert_int_equal(store_open(NULL, &bad), RP_E_INVAL);
	assert_null(bad);
	o.lock_wait_ms = -1;
	assert_int_equal(store_open_with(spec, &o, &bad), RP_E_INVAL);
	store_opts_init(&o);
	o.refusals_keep = -1;
	assert_int_equal(store_open_with(spec, &o, &bad), RP_E_INVAL);
	assert_int_equal(store_open(NULL, NULL), RP_E_INVAL);
}

/* --- devices ------------------------------------------------------------- */

static void test_device_crud(void **state)
{
	struct store *s = fresh();
	struct store_device d = store_test_dev("SN-1", "line-a"), got;
	int64_t t0 = (int64_t)time(NULL), t1;

	(void)state;
	snprintf(d.hw_token, sizeof d.hw_token, "tok");
	snprintf(d.tags, sizeof d.tags, "a,b");
	d.allow_reprovision = 1; /* not taken at add */
	d.force_renew = 1;
	d.quarantined = 1;
	d.created_at = 7;
	assert_int_equal(store_device_add(s, &d), RP_OK);
	t1 = (int64_t)time(NULL);
	assert_int_equal(store_device_add(s, &d), RP_E_EXISTS);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_string_equal(got.serial, "SN-1");
	assert_string_equal(got.hw_type, "tpm2");
	assert_string_equal(got.hw_token, "tok");
	assert_string_equal(got.group, "line-a");
	assert_string_equal(got.tags, "a,b");
	assert_int_equal(got.state, STORE_DEV_ALLOWLISTED);
	assert_int_equal(got.allow_reprovision, 0);
	assert_int_equal(got.force_renew, 0);
	assert_int_equal(got.quarantined, 0);
	assert_true(got.created_at >= t0 && got.created_at <= t1);
	assert_int_equal(got.updated_at, got.created_at);
	assert_int_equal(store_device_get(s, "SN-2", &got), RP_E_NOT_FOUND);
	/* a device may be added in any state */
	d = store_test_dev("SN-E", "g");
	d.state = STORE_DEV_ENROLLED;
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_get(s, "SN-E", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_ENROLLED);
	d.state = 9;
	snprintf(d.serial, sizeof d.serial, "SN-9");
	assert_int_equal(store_device_add(s, &d), RP_E_INVAL);
	assert_int_equal(store_device_get(s, "SN-9", &got), RP_E_NOT_FOUND);
	assert_string_equal(store_dev_state_name(STORE_DEV_ALLOWLISTED),
	                    "allowlisted");
	assert_string_equal(store_dev_state_name(STORE_DEV_ENROLLED),
	                    "enrolled");
	assert_string_equal(store_dev_state_name(STORE_DEV_DECOMMISSIONED),
	                    "decommissioned");
	assert_string_equal(store_dev_state_name(9), "unknown");
	store_close(s);
}

static void test_device_state_flags(void **state)
{
	struct store *s = fresh();
	struct store_device d = store_test_dev("SN-1", "g"), got;

	(void)state;
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_set_flags(s, "SN-1", 1, 7), RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.allow_reprovision, 1);
	assert_int_equal(got.force_renew, 1); /* non-zero: set */
	/* becoming enrolled consumes the re-provisioning, not the renewal */
	assert_int_equal(store_device_set_state(s, "SN-1", STORE_DEV_ENROLLED),
	                 RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_ENROLLED);
	assert_int_equal(got.allow_reprovision, 0);
	assert_int_equal(got.force_renew, 1);
	/* another state keeps it */
	assert_int_equal(store_device_set_flags(s, "SN-1", 1, 0), RP_OK);
	assert_int_equal(
	    store_device_set_state(s, "SN-1", STORE_DEV_DECOMMISSIONED), RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_DECOMMISSIONED);
	assert_int_equal(got.allow_reprovision, 1);
	assert_int_equal(got.force_renew, 0);
	assert_int_equal(store_device_set_state(s, "SN-1", 3), RP_E_INVAL);
	assert_int_equal(store_device_set_state(s, "SN-1", -1), RP_E_INVAL);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_DECOMMISSIONED);
	assert_int_equal(store_device_set_state(s, "nope", 1), RP_E_NOT_FOUND);
	assert_int_equal(store_device_set_flags(s, "nope", 1, 1),
	                 RP_E_NOT_FOUND);
	store_close(s);
}

static void test_device_quarantine(void **state)
{
	struct store *s = fresh();
	struct store_device d = store_test_dev("SN-1", "g"), got;

	(void)state;
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_set_quarantine(s, "SN-1", 1, "odd", 1234),
	                 RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.quarantined, 1);
	assert_string_equal(got.quarantine_reason, "odd");
	assert_int_equal(got.quarantined_at, 1234);
	/* cleared: reason and time go too, whatever is passed */
	assert_int_equal(store_device_set_quarantine(s, "SN-1", 0, "x", 99),
	                 RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.quarantined, 0);
	assert_string_equal(got.quarantine_reason, "");
	assert_int_equal(got.quarantined_at, 0);
	assert_int_equal(store_device_set_quarantine(s, "SN-1", 5, NULL, 77),
	                 RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.quarantined, 1);
	assert_string_equal(got.quarantine_reason, "");
	assert_int_equal(got.quarantined_at, 77);
	assert_int_equal(store_device_set_quarantine(s, "nope", 1, "r", 1),
	                 RP_E_NOT_FOUND);
	store_close(s);
}

static void test_device_remove(void **state)
{
	struct store *s = fresh();
	struct store_device d = store_test_dev("SN-1", "g"), got;

	(void)state;
	assert_int_equal(store_device_add(s, &d), RP_OK);
	d = store_test_dev("SN-2", "g");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_set_state(s, "SN-1", STORE_DEV_ENROLLED),
	                 RP_OK);
	/* an enrolled or decommissioned device is never removed */
	assert_int_equal(store_device_remove(s, "SN-1"), RP_E_STATE);
	assert_int_equal(
	    store_device_set_state(s, "SN-1", STORE_DEV_DECOMMISSIONED), RP_OK);
	assert_int_equal(store_device_remove(s, "SN-1"), RP_E_STATE);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(store_device_remove(s, "SN-2"), RP_OK);
	assert_int_equal(store_device_remove(s, "SN-2"), RP_E_NOT_FOUND);
	assert_int_equal(store_device_get(s, "SN-2", &got), RP_E_NOT_FOUND);
	/* its serial can be allowlisted again */
	assert_int_equal(store_device_add(s, &d), RP_OK);
	store_close(s);
}

static void test_device_each(void **state)
{
	struct store *s = fresh();
	const char *serials[] = {"b", "a", "C", "a-1", "B"};
	struct store_device d;
	struct seen x;

	(void)state;
	memset(&x, 0, sizeof x);
	assert_int_equal(store_device_each(s, dev_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	for (size_t i = 0; i < 5; i++) {
		d = store_test_dev(serials[i], "g");
		assert_int_equal(store_device_add(s, &d), RP_OK);
	}
	/* serial order, bytewise: upper case first */
	assert_int_equal(store_device_each(s, dev_cb, &x), RP_OK);
	assert_string_equal(x.buf, "B;C;a;a-1;b;");
	/* a non-zero return stops the walk; still RP_OK */
	memset(&x, 0, sizeof x);
	x.stop_after = 2;
	assert_int_equal(store_device_each(s, dev_cb, &x), RP_OK);
	assert_string_equal(x.buf, "B;C;");
	store_close(s);
}

/* --- certificates -------------------------------------------------------- */

static void test_cert_crud(void **state)
{
	struct store *s = fresh();
	struct store_cert c = cert("ab01", "SN-1", STORE_CERT_DEVICE, 5000),
	                  got;

	(void)state;
	c.revoked_at = 9; /* not taken at add */
	c.uses = 9;
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_E_EXISTS);
	assert_int_equal(store_cert_get(s, "ab01", &got), RP_OK);
	assert_string_equal(got.serial, "ab01");
	assert_string_equal(got.subject, "SN-1");
	assert_string_equal(got.kind, STORE_CERT_DEVICE);
	assert_int_equal(got.not_before, 1000);
	assert_int_equal(got.not_after, 5000);
	assert_int_equal(got.revoked_at, 0);
	assert_int_equal(got.reason, 0);
	assert_int_equal(got.uses, 0);
	assert_int_equal(got.last_used_at, 0);
	assert_int_equal(store_cert_get(s, "ab02", &got), RP_E_NOT_FOUND);
	c = cert("ab03", "SN-1", "server", 5000);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_E_INVAL);
	c = cert("ab03", "SN-1", STORE_CERT_CLAIM, 5000);
	assert_int_equal(store_cert_add(s, &c, NULL), RP_E_INVAL);
	assert_int_equal(store_cert_get(s, "ab03", &got), RP_E_NOT_FOUND);

	/* revocation: once, the first stands */
	assert_int_equal(store_cert_revoke(s, "ab01", 1, 2000), RP_OK);
	assert_int_equal(store_cert_revoke(s, "ab01", 4, 3000), RP_E_STATE);
	assert_int_equal(store_cert_revoke(s, "ffff", 1, 2000), RP_E_NOT_FOUND);
	assert_int_equal(store_cert_get(s, "ab01", &got), RP_OK);
	assert_int_equal(got.revoked_at, 2000);
	assert_int_equal(got.reason, 1);

	/* use accounting */
	assert_int_equal(store_cert_mark_used(s, "ab01", 3000), RP_OK);
	assert_int_equal(store_cert_mark_used(s, "ab01", 3001), RP_OK);
	assert_int_equal(store_cert_get(s, "ab01", &got), RP_OK);
	assert_int_equal(got.uses, 2);
	assert_int_equal(got.last_used_at, 3001);
	assert_int_equal(store_cert_mark_used(s, "ffff", 1), RP_E_NOT_FOUND);
	store_close(s);
}

static void test_cert_lists(void **state)
{
	struct store *s = fresh();
	struct store_cert c;
	struct seen x;
	struct {
		const char *serial, *subject, *kind;
		int64_t not_after;
	} rows[] = {
	    {"ff", "line-a", STORE_CERT_CLAIM, 9000},
	    {"10", "SN-1", STORE_CERT_DEVICE, 6000},
	    {"01", "line-a", STORE_CERT_CLAIM, 7000},
	    {"30", "SN-1", STORE_CERT_DEVICE, 8000},
	    {"aa", "line-b", STORE_CERT_CLAIM, 8000},
	    {"20", "SN-1", STORE_CERT_DEVICE, 8000},
	    {"40", "SN-2", STORE_CERT_DEVICE, 9000},
	    {"50", "SN-1", STORE_CERT_CLAIM, 9500}, /* a claim named SN-1 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		c = cert(rows[i].serial, rows[i].subject, rows[i].kind,
		         rows[i].not_after);
		assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	}
	/* a kind, in the order of addition (neither serial nor expiry) */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_cert_each_kind(s, STORE_CERT_CLAIM, cert_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "ff;01;aa;50;");
	memset(&x, 0, sizeof x);
	assert_int_equal(
	    store_cert_each_kind(s, STORE_CERT_DEVICE, cert_cb, &x), RP_OK);
	assert_string_equal(x.buf, "10;30;20;40;");
	/* a subject's device certificates: latest expiry first, then the
	 * last added first */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_cert_each_of(s, "SN-1", cert_cb, &x), RP_OK);
	assert_string_equal(x.buf, "20;30;10;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_cert_each_of(s, "SN-9", cert_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	/* revoked and not expired at now, serial order */
	assert_int_equal(store_cert_revoke(s, "30", 1, 100), RP_OK);
	assert_int_equal(store_cert_revoke(s, "10", 1, 100), RP_OK);
	assert_int_equal(store_cert_revoke(s, "40", 1, 100), RP_OK);
	assert_int_equal(store_cert_revoke(s, "ff", 1, 100), RP_OK);
	memset(&x, 0, sizeof x);
	assert_int_equal(
	    store_cert_each_revoked(s, STORE_CERT_DEVICE, 5999, cert_cb, &x),
	    RP_OK);
	assert_string_equal(x.buf, "10;30;40;");
	memset(&x, 0, sizeof x);
	assert_int_equal(
	    store_cert_each_revoked(s, STORE_CERT_DEVICE, 6000, cert_cb, &x),
	    RP_OK);
	assert_string_equal(x.buf, "30;40;"); /* not_after > now */
	memset(&x, 0, sizeof x);
	assert_int_equal(
	    store_cert_each_revoked(s, STORE_CERT_CLAIM, 0, cert_cb, &x),
	    RP_OK);
	assert_string_equal(x.buf, "ff;");
	/* the walk stops */
	memset(&x, 0, sizeof x);
	x.stop_after = 1;
	assert_int_equal(store_cert_each_kind(s, STORE_CERT_CLAIM, cert_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "ff;");
	assert_int_equal(store_cert_each_kind(s, "other", cert_cb, &x),
	                 RP_E_INVAL);
	assert_int_equal(store_cert_each_revoked(s, NULL, 0, cert_cb, &x),
	                 RP_E_INVAL);
	/* the order of addition survives a reopen */
	store_close(s);
	s = reopen();
	memset(&x, 0, sizeof x);
	assert_int_equal(store_cert_each_kind(s, STORE_CERT_CLAIM, cert_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "ff;01;aa;50;");
	store_close(s);
}

/* --- refusals ------------------------------------------------------------ */

static void test_refusals(void **state)
{
	struct store *s = fresh();
	struct seen x;

	(void)state;
	assert_int_equal(store_refusal_add(s, "/r", "127.0.0.1:1", "SN-1",
	                                   RP_E_NOT_ALLOWLISTED, "detail"),
	                 RP_OK);
	assert_int_equal(
	    store_refusal_add(s, "/r", NULL, NULL, RP_E_AUTH, NULL), RP_OK);
	assert_int_equal(store_refusal_add(s, "/q", "p", "", RP_E_TLS, "d3"),
	                 RP_OK);
	assert_int_equal(store_refusal_add(s, NULL, "p", "", RP_E_TLS, "d"),
	                 RP_E_INVAL);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_refusal_each(s, 10, refusal_cb, &x), RP_OK);
	/* newest first */
	assert_string_equal(x.buf, "/q:p::RP_E_TLS:d3;"
	                           "/r:::RP_E_AUTH:;"
	                           "/r:127.0.0.1:1:SN-1:RP_E_NOT_ALLOWLISTED:"
	                           "detail;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_refusal_each(s, 2, refusal_cb, &x), RP_OK);
	assert_int_equal(x.n, 2);
	assert_int_equal(store_refusal_each(s, 0, refusal_cb, &x), RP_E_INVAL);
	assert_int_equal(store_refusal_each(s, -5, refusal_cb, &x), RP_E_INVAL);
	store_close(s);
}

static int refusal_at_cb(void *arg, const struct store_refusal *r)
{
	int64_t *at = arg;

	*at = r->at;
	return 1;
}

static void test_refusal_time(void **state)
{
	struct store *s = fresh();
	int64_t t0 = (int64_t)time(NULL), at = -1;

	(void)state;
	assert_int_equal(store_refusal_add(s, "/r", "", "", RP_E_AUTH, ""),
	                 RP_OK);
	assert_int_equal(store_refusal_each(s, 1, refusal_at_cb, &at), RP_OK);
	assert_true(at >= t0 && at <= (int64_t)time(NULL));
	store_close(s);
}

/*
 * What an engine promises about retention: the newest refusals_keep rows
 * stay, newest (highest id) first; older ones go eventually, in batches
 * of the engine's choosing, so the count held is between keep and all.
 */
struct kept {
	int64_t n, total, keep; /* rows seen; added so far; keep */
	int ok;                 /* the newest keep are the last added */
};

static int kept_cb(void *arg, const struct store_refusal *r)
{
	struct kept *g = arg;
	char want[32];

	snprintf(want, sizeof want, "t%lld", (long long)(g->total - 1 - g->n));
	if (g->n < g->keep && strcmp(r->detail, want) != 0)
		g->ok = 0;
	g->n++;
	return 0;
}

/* Add n refusals numbered from *total on, check what is held (keep >= 1)
 * and return how many rows are. */
static int64_t add_and_check(struct store *s, int n, int64_t *total,
                             int64_t keep)
{
	struct kept g;
	char d[32];

	for (int i = 0; i < n; i++) {
		snprintf(d, sizeof d, "t%lld", (long long)(*total)++);
		assert_int_equal(store_refusal_add(s, "mqtt/connect", "a", NULL,
		                                   RP_E_TLS, d),
		                 RP_OK);
	}
	memset(&g, 0, sizeof g);
	g.total = *total;
	g.keep = keep;
	g.ok = 1;
	assert_int_equal(store_refusal_each(s, 100000, kept_cb, &g), RP_OK);
	assert_true(g.ok);
	assert_true(g.n >= g.keep && g.n <= *total);
	return g.n;
}

static void test_refusals_bounded(void **state)
{
	struct store *s = fresh();
	int64_t total = 0, held;

	(void)state;
	store_close(s);
	s = reopen_with(5000, 10);
	add_and_check(s, 100, &total, 10);
	held = add_and_check(s, 5, &total, 10);
	store_close(s);

	/* 0: everything is kept, nothing more deleted */
	s = reopen_with(5000, 0);
	assert_int_equal(add_and_check(s, 100, &total, 100), held + 100);
	store_close(s);

	s = reopen_with(5000, 100);
	add_and_check(s, 200, &total, 100);
	store_close(s);
}

/* --- CRLs and facts ------------------------------------------------------ */

static void test_crl(void **state)
{
	struct store *s = fresh();
	uint8_t der[3] = {1, 2, 3};
	int64_t n = 0;

	(void)state;
	assert_int_equal(store_crl_next_number(s, &n), RP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_crl_add(s, 1, 10, 20, der, sizeof der), RP_OK);
	assert_int_equal(store_crl_add(s, 1, 10, 20, der, sizeof der),
	                 RP_E_EXISTS);
	assert_int_equal(store_crl_next_number(s, &n), RP_OK);
	assert_int_equal(n, 2);
	/* the next number follows the highest, not the count */
	assert_int_equal(store_crl_add(s, 7, 10, 20, der, sizeof der), RP_OK);
	assert_int_equal(store_crl_next_number(s, &n), RP_OK);
	assert_int_equal(n, 8);
	assert_int_equal(store_crl_add(s, 0, 10, 20, der, sizeof der),
	                 RP_E_INVAL);
	assert_int_equal(store_crl_add(s, 9, 10, 20, NULL, 3), RP_E_INVAL);
	assert_int_equal(store_crl_next_number(s, NULL), RP_E_INVAL);
	/* taken and recorded in one transaction */
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_crl_next_number(s, &n), RP_OK);
	assert_int_equal(store_crl_add(s, n, 30, 40, der, 1), RP_OK);
	assert_int_equal(store_commit(s), RP_OK);
	assert_int_equal(store_crl_next_number(s, &n), RP_OK);
	assert_int_equal(n, 9);
	store_close(s);
}

static void test_meta(void **state)
{
	struct store *s = fresh();
	uint8_t buf[8], a[3] = {1, 2, 3}, b[5] = {9, 8, 7, 6, 5};
	size_t len = sizeof buf;

	(void)state;
	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_E_NOT_FOUND);
	assert_int_equal(store_meta_set(s, "k", a, sizeof a), RP_OK);
	len = 2;
	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_E_BUFFER);
	assert_int_equal(len, 2);
	len = sizeof buf;
	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, a, 3);
	/* put: replaces, whatever the length */
	assert_int_equal(store_meta_set(s, "k", b, sizeof b), RP_OK);
	len = sizeof buf;
	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, b, 5);
	/* an empty value is a value */
	assert_int_equal(store_meta_set(s, "e", NULL, 0), RP_OK);
	len = sizeof buf;
	assert_int_equal(store_meta_get(s, "e", buf, &len), RP_OK);
	assert_int_equal(len, 0);
	len = 0;
	assert_int_equal(store_meta_get(s, "k", NULL, &len), RP_E_BUFFER);
	assert_int_equal(store_meta_set(s, "", a, 1), RP_E_INVAL);
	assert_int_equal(store_meta_set(s, "x", NULL, 1), RP_E_INVAL);
	store_close(s);
	s = reopen();
	len = sizeof buf;
	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_OK);
	assert_int_equal(len, 5);
	store_close(s);
}

/* --- transactions -------------------------------------------------------- */

static void test_tx_commit_rollback(void **state)
{
	struct store *s = fresh();
	struct store_device d = store_test_dev("SN-1", "g"), got;
	struct store_cert c = cert("ab01", "SN-1", STORE_CERT_DEVICE, 5000);

	(void)state;
	assert_int_equal(store_commit(s), RP_E_STATE);
	store_rollback(s); /* nothing open: nothing happens */
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_begin(s), RP_E_STATE); /* no nesting */
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	/* a failed write inside leaves the transaction to the caller */
	assert_int_equal(store_device_add(s, &d), RP_E_EXISTS);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	store_rollback(s);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_E_NOT_FOUND);
	assert_int_equal(store_cert_get(s, "ab01", &c), RP_E_NOT_FOUND);
	assert_int_equal(store_commit(s), RP_E_STATE);
	/* committed work survives a reopen */
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_set_state(s, "SN-1", STORE_DEV_ENROLLED),
	                 RP_OK);
	assert_int_equal(store_commit(s), RP_OK);
	store_close(s);
	s = reopen();
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_ENROLLED);
	/* closing with a transaction open rolls it back */
	assert_int_equal(store_begin(s), RP_OK);
	d = store_test_dev("SN-2", "g");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	store_close(s);
	s = reopen();
	assert_int_equal(store_device_get(s, "SN-2", &got), RP_E_NOT_FOUND);
	assert_int_equal(store_begin(s), RP_OK); /* nothing left open */
	store_rollback(s);
	store_close(s);
}

static void test_tx_isolation(void **state)
{
	struct store *s = fresh(), *other;
	struct store_device d = store_test_dev("SN-1", "g"), got;

	(void)state;
	other = reopen_with(0, STORE_REFUSALS_KEEP);
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_device_add(s, &d), RP_OK);
	/* the other connection sees nothing before the commit */
	assert_int_equal(store_device_get(other, "SN-1", &got), RP_E_NOT_FOUND);
	/* and cannot write while the lock is held: it does not wait */
	d = store_test_dev("SN-2", "g");
	assert_int_equal(store_begin(other), RP_E_STORE);
	assert_int_equal(store_device_add(other, &d), RP_E_STORE);
	assert_int_equal(store_commit(s), RP_OK);
	assert_int_equal(store_device_get(other, "SN-1", &got), RP_OK);
	assert_int_equal(store_device_add(other, &d), RP_OK);
	assert_int_equal(store_device_get(s, "SN-2", &got), RP_OK);
	/* an ingest batch is a write like any other */
	assert_int_equal(store_begin(s), RP_OK);
	{
		struct store_in_result r;

		assert_int_equal(
		    store_ingest_write(other, NULL, 0,
		                       &(struct store_retention){0, 0, 0},
		                       &(struct store_counter){"c", 1}, 1, &r),
		    RP_E_STORE);
	}
	store_rollback(s);
	store_close(other);
	store_close(s);
}

/* --- ingest -------------------------------------------------------------- */

static struct store_in ev(const char *serial, int64_t at, const char *detail)
{
	return store_test_event(serial, at, 5, 4, detail);
}

static struct store_in res(const char *serial, int64_t at, const char *id,
                           const char *detail)
{
	struct store_in it = store_test_item(STORE_IN_RESULT, serial, at);

	snprintf(it.u.res.id, sizeof it.u.res.id, "%s", id);
	it.u.res.status = RP_CMD_OK;
	it.u.res.seq = 9;
	it.u.res.ts = at - 1;
	snprintf(it.u.res.detail, sizeof it.u.res.detail, "%s", detail);
	return it;
}

static const struct store_retention keep_all = {0, 0, 0};

static void test_ingest_batch(void **state)
{
	struct store *s = fresh();
	struct store_in items[8];
	struct store_in_result r;
	struct store_status st;
	struct store_counter c[] = {{"received", 8}, {"rejected", 1}};
	struct store_device d = store_test_dev("SN-ALLOW", "g");
	struct seen x;

	(void)state;
	enrolled(s, "SN-1", "0a01");
	enrolled(s, "SN-2", "0a02");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	d = store_test_dev("SN-OLD", "g");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(
	    store_device_set_state(s, "SN-OLD", STORE_DEV_DECOMMISSIONED),
	    RP_OK);
	items[0] = store_test_tel("SN-1", 1, 1000);
	items[1] = store_test_tel("SN-1", 2, 1010);
	items[2] = ev("SN-1", 1005, "sshd: 4 failures"); /* older arrival */
	items[3] = store_test_tel("SN-ALLOW", 1, 1000);  /* not enrolled */
	items[4] = store_test_tel("SN-NONE", 1, 1000);   /* unknown */
	items[5] = store_test_item(STORE_IN_REJECT, "SN-2", 1020);
	items[6] = store_test_item(STORE_IN_NONE, "SN-1", 5000); /* skipped */
	items[7] = ev("SN-OLD", 1000, "x"); /* decommissioned */
	assert_int_equal(store_ingest_write(s, items, 8, &keep_all, c, 2, &r),
	                 RP_OK);
	assert_int_equal(r.telemetry, 2);
	assert_int_equal(r.events, 1);
	assert_int_equal(r.results, 0);
	assert_int_equal(r.rejects, 1);
	assert_int_equal(r.unknown, 3);
	assert_int_equal(r.not_allowed, 0);
	assert_int_equal(r.refusals, 0);

	assert_int_equal(store_status_get(s, "SN-1", &st), RP_OK);
	assert_int_equal(st.first_seen, 1000);
	assert_int_equal(st.last_seen, 1010); /* the latest, not the last */
	assert_int_equal(st.telemetry_at, 1010);
	assert_int_equal(st.n_telemetry, 2);
	assert_int_equal(st.n_events, 1);
	assert_int_equal(st.n_results, 0);
	assert_int_equal(st.n_rejected, 0);
	assert_int_equal(st.tel.seq, 2);
	assert_int_equal(st.tel.ts, 1009);
	assert_int_equal(st.tel.uptime_s, 102);
	assert_int_equal(st.tel.cpu_permille, 250);
	assert_int_equal(st.tel.mem_total_kb, 1024);
	assert_int_equal(st.tel.mem_avail_kb, 512);
	assert_string_equal(st.tel.fw_version, "1.4.2");
	assert_int_equal(st.tel.n_tcp, 2);
	assert_int_equal(st.tel.tcp[0], 22);
	assert_int_equal(st.tel.tcp[1], 8883);
	assert_int_equal(st.tel.n_udp, 1);
	assert_int_equal(st.tel.udp[0], 53);
	assert_int_equal(st.tel.msgs_sent, 2);
	assert_int_equal(st.tel.dropped, 3);
	assert_int_equal(st.tel.interval_s, 10);
	assert_int_equal(st.tel.log_seq, 7);
	assert_int_equal(strlen(st.tel.fw_sha256), 64);
	assert_int_equal(st.tel.log_head[63], 'b');
	assert_int_equal(store_status_get(s, "SN-2", &st), RP_OK);
	assert_int_equal(st.n_rejected, 1);
	assert_int_equal(st.n_telemetry, 0);
	assert_int_equal(st.first_seen, 1020);
	assert_int_equal(st.telemetry_at, 0);
	assert_int_equal(store_status_get(s, "SN-ALLOW", &st), RP_E_NOT_FOUND);
	assert_int_equal(store_status_get(s, "SN-NONE", &st), RP_E_NOT_FOUND);
	assert_int_equal(store_status_get(s, "SN-OLD", &st), RP_E_NOT_FOUND);

	/* counters: the store's own and the caller's, in name order */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_counter_each(s, counter_cb, &x), RP_OK);
	assert_string_equal(x.buf, "received=8;rejected=1;stored_events=1;"
	                           "stored_telemetry=2;unknown_device=3;");
	/* they add up, also without items */
	assert_int_equal(store_ingest_write(s, NULL, 0, &keep_all, c, 1, &r),
	                 RP_OK);
	assert_int_equal(counter_value(s, "received"), 16);
	assert_int_equal(counter_value(s, "rejected"), 1);
	store_close(s);
	s = reopen();
	assert_int_equal(counter_value(s, "received"), 16);
	assert_int_equal(counter_value(s, "stored_telemetry"), 2);
	store_close(s);
}

static void test_ingest_allowed(void **state)
{
	struct store *s = fresh();
	struct store_in items[6];
	struct store_in_result r;
	struct store_status st;
	struct store_cert c;

	(void)state;
	enrolled(s, "SN-Q", "0a01");
	enrolled(s, "SN-R", "0a02");
	enrolled(s, "SN-X", "0a03");
	/* SN-R: its only certificate revoked; SN-X: expired by then */
	assert_int_equal(store_cert_revoke(s, "0a02", 1, 1500), RP_OK);
	assert_int_equal(store_device_set_quarantine(s, "SN-Q", 1, "odd", 1500),
	                 RP_OK);
	c = cert("0a04", "SN-X", STORE_CERT_DEVICE, 2000);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	assert_int_equal(store_cert_revoke(s, "0a03", 1, 1500), RP_OK);
	/* a claim certificate for the serial does not count */
	c = cert("0a05", "SN-R", STORE_CERT_CLAIM, Y2100);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);

	items[0] =
	    store_test_tel("SN-Q", 1, 1600); /* quarantined: not telemetry */
	items[1] = ev("SN-Q", 1600, "while quarantined");
	items[2] = store_test_item(STORE_IN_REJECT, "SN-Q", 1600);
	items[3] = ev("SN-R", 1600, "revoked");
	items[4] = ev("SN-X", 1999, "valid until 2000");
	items[5] = ev("SN-X", 2000, "expired at 2000");
	assert_int_equal(
	    store_ingest_write(s, items, 6, &keep_all, NULL, 0, &r), RP_OK);
	assert_int_equal(r.not_allowed, 3);
	assert_int_equal(r.events, 2);
	assert_int_equal(r.rejects, 1);
	assert_int_equal(r.telemetry, 0);
	assert_int_equal(r.unknown, 0);
	assert_int_equal(counter_value(s, "not_allowed"), 3);
	assert_int_equal(store_status_get(s, "SN-Q", &st), RP_OK);
	assert_int_equal(st.n_telemetry, 0);
	assert_int_equal(st.n_events, 1);
	assert_int_equal(st.n_rejected, 1);
	assert_int_equal(store_status_get(s, "SN-R", &st), RP_E_NOT_FOUND);
	assert_int_equal(store_status_get(s, "SN-X", &st), RP_OK);
	assert_int_equal(st.n_events, 1);
	assert_int_equal(st.last_seen, 1999);
	store_close(s);
}

/* A batch is all or nothing, and never touches a caller's transaction. */
static void test_ingest_atomic(void **state)
{
	struct store *s = fresh();
	struct store_in items[3];
	struct store_in_result r;
	struct store_status st;
	struct store_counter c = {"received", 3};
	struct seen x;

	(void)state;
	enrolled(s, "SN-1", "0a01");
	items[0] = store_test_tel("SN-1", 1, 1000);
	items[1] = ev("SN-1", 1000, "e");
	items[2] = store_test_tel("SN-1", 2, 1000);
	items[2].kind = 99;
	memset(&r, 0xff, sizeof r);
	assert_int_equal(store_ingest_write(s, items, 3, &keep_all, &c, 1, &r),
	                 RP_E_INVAL);
	assert_int_equal(r.telemetry, 0); /* zeroed on error */
	assert_int_equal(r.events, 0);
	assert_int_equal(store_status_get(s, "SN-1", &st), RP_E_NOT_FOUND);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-1", 10, event_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	assert_int_equal(counter_value(s, "received"), 0);
	/* usable afterwards: nothing left open */
	items[2].kind = STORE_IN_TELEMETRY;
	assert_int_equal(store_ingest_write(s, items, 3, &keep_all, &c, 1, &r),
	                 RP_OK);
	assert_int_equal(r.telemetry, 2);
	assert_int_equal(counter_value(s, "received"), 3);
	/* inside the caller's transaction: refused, which stays open */
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_refusal_add(s, "/r", "", "", RP_E_AUTH, "mine"),
	                 RP_OK);
	assert_int_equal(store_ingest_write(s, items, 1, &keep_all, &c, 1, &r),
	                 RP_E_STATE);
	assert_int_equal(store_commit(s), RP_OK);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_refusal_each(s, 10, refusal_cb, &x), RP_OK);
	assert_int_equal(x.n, 1);
	assert_int_equal(counter_value(s, "received"), 3);
	/* arguments */
	assert_int_equal(store_ingest_write(s, items, 1, NULL, NULL, 0, &r),
	                 RP_E_INVAL);
	assert_int_equal(store_ingest_write(s, NULL, 1, &keep_all, NULL, 0, &r),
	                 RP_E_INVAL);
	assert_int_equal(
	    store_ingest_write(s, items, 1, &keep_all, NULL, 1, &r),
	    RP_E_INVAL);
	assert_int_equal(
	    store_ingest_write(s, items, 1, &keep_all, NULL, 0, NULL),
	    RP_E_INVAL);
	store_close(s);
}

static void test_ingest_refusals(void **state)
{
	struct store *s = fresh();
	struct store_in items[2];
	struct store_in_result r;
	struct seen x;

	(void)state;
	memset(items, 0, sizeof items);
	for (int i = 0; i < 2; i++) {
		items[i].kind = STORE_IN_REFUSAL;
		items[i].received_at = 1700000000 + i;
		snprintf(items[i].u.ref.route, sizeof items[i].u.ref.route,
		         "mqtt/connect");
		snprintf(items[i].u.ref.peer, sizeof items[i].u.ref.peer,
		         "127.0.0.1:%d", i);
		items[i].u.ref.reason = RP_E_TLS;
		snprintf(items[i].u.ref.detail, sizeof items[i].u.ref.detail,
		         "broker: tls %d", i);
	}
	/* whatever the subject: not a device's item */
	snprintf(items[1].u.ref.subject, sizeof items[1].u.ref.subject,
	         "SN-NONE");
	assert_int_equal(
	    store_ingest_write(s, items, 2, &keep_all, NULL, 0, &r), RP_OK);
	assert_int_equal(r.refusals, 2);
	assert_int_equal(r.unknown, 0);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_refusal_each(s, 10, refusal_cb, &x), RP_OK);
	assert_string_equal(x.buf, "mqtt/connect:127.0.0.1:1:SN-NONE:"
	                           "RP_E_TLS:broker: tls 1;"
	                           "mqtt/connect:127.0.0.1:0::RP_E_TLS:"
	                           "broker: tls 0;");
	{
		int64_t at = 0;

		assert_int_equal(store_refusal_each(s, 1, refusal_at_cb, &at),
		                 RP_OK);
		assert_int_equal(at, 1700000001); /* received_at */
	}
	store_close(s);
}

/* The feed: a detail with its serial, and the id to go on after. */
struct feed {
	char buf[512];
	int64_t last;
	int n;
};

static int feed_cb(void *arg, const struct store_event *e)
{
	struct feed *f = arg;
	char t[120];

	if (e->id <= f->last) /* ids grow along the feed */
		snprintf(t, sizeof t, "OUT-OF-ORDER;");
	else
		snprintf(t, sizeof t, "%s:%s;", e->serial, e->ev.detail);
	snprintf(f->buf + strlen(f->buf), sizeof f->buf - strlen(f->buf), "%s",
	         t);
	f->last = e->id;
	f->n++;
	return 0;
}

/* Every device's events after an id, oldest first, in pages. */
static void test_event_feed(void **state)
{
	struct store *s = fresh();
	struct store_in it;
	struct store_in_result r;
	struct feed f;
	int64_t mark;

	(void)state;
	enrolled(s, "SN-1", "0a01");
	enrolled(s, "SN-2", "0a02");
	memset(&f, 0, sizeof f);
	assert_int_equal(store_event_feed(s, 0, 10, feed_cb, &f), RP_OK);
	assert_int_equal(f.n, 0); /* none yet */
	it = ev("SN-1", 1000, "a");
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	it = ev("SN-2", 900, "b"); /* received earlier, stored later */
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	it = ev("SN-1", 1100, "c");
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	assert_int_equal(store_event_feed(s, 0, 10, feed_cb, &f), RP_OK);
	assert_string_equal(f.buf, "SN-1:a;SN-2:b;SN-1:c;");
	/* in pages of two, going on from the last id seen */
	memset(&f, 0, sizeof f);
	assert_int_equal(store_event_feed(s, 0, 2, feed_cb, &f), RP_OK);
	assert_string_equal(f.buf, "SN-1:a;SN-2:b;");
	mark = f.last;
	assert_int_equal(store_event_feed(s, mark, 2, feed_cb, &f), RP_OK);
	assert_string_equal(f.buf, "SN-1:a;SN-2:b;SN-1:c;");
	/* nothing after the newest; a new event is */
	f.n = 0;
	assert_int_equal(store_event_feed(s, f.last, 2, feed_cb, &f), RP_OK);
	assert_int_equal(f.n, 0);
	it = ev("SN-2", 1200, "d");
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	assert_int_equal(store_event_feed(s, f.last, 2, feed_cb, &f), RP_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.buf, "SN-1:a;SN-2:b;SN-1:c;SN-2:d;");
	/* where a follower starts: the newest two, oldest first */
	memset(&f, 0, sizeof f);
	assert_int_equal(store_event_feed(s, -1, 2, feed_cb, &f), RP_OK);
	assert_string_equal(f.buf, "SN-1:c;SN-2:d;");
	assert_int_equal(store_event_feed(s, 0, 0, feed_cb, &f), RP_E_INVAL);
	assert_int_equal(store_event_feed(s, 0, 1, NULL, &f), RP_E_INVAL);
	store_close(s);
}

static void test_events_and_retention(void **state)
{
	struct store *s = fresh();
	struct store_retention keep = {0, 5, 0};
	struct store_in it;
	struct store_in_result r;
	struct seen x;
	char d[32];

	(void)state;
	enrolled(s, "SN-1", "0a01");
	enrolled(s, "SN-2", "0a02");
	it = ev("SN-1", 1000, "first");
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	it = ev("SN-1", 900, "second"); /* stored later, received earlier */
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	it = ev("SN-2", 1000, "other device");
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-1", 10, event_cb, &x), RP_OK);
	assert_string_equal(x.buf, "second;first;"); /* newest stored first */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-1", 1, event_cb, &x), RP_OK);
	assert_string_equal(x.buf, "second;");
	assert_int_equal(store_event_each(s, "SN-1", 0, event_cb, &x),
	                 RP_E_INVAL);

	/* retention: at most keep + every - 1 rows, the newest kept */
	for (int i = 1; i <= 50; i++) {
		snprintf(d, sizeof d, "e%d", i);
		it = ev("SN-1", 2000 + i, d);
		assert_int_equal(
		    store_ingest_write(s, &it, 1, &keep, NULL, 0, &r), RP_OK);
		memset(&x, 0, sizeof x);
		assert_int_equal(
		    store_event_each(s, "SN-1", 1000, event_cb, &x), RP_OK);
		assert_true(x.n <= 5 + 4);
		assert_true(strncmp(x.buf, d, strlen(d)) == 0);
	}
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-1", 1000, event_cb, &x),
	                 RP_OK);
	assert_true(x.n >= 5);
	assert_true(strncmp(x.buf, "e50;e49;e48;e47;e46;", 20) == 0);
	/* the other device's history is its own */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-2", 1000, event_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "other device;");
	store_close(s);
}

struct evfields {
	int64_t id[2], received_at;
	struct rp_event ev;
	int n;
};

static int evfields_cb(void *arg, const struct store_event *e)
{
	struct evfields *f = arg;

	if (f->n == 0) {
		f->received_at = e->received_at;
		f->ev = e->ev;
	}
	if (f->n < 2)
		f->id[f->n] = e->id;
	f->n++;
	return 0;
}

static void test_event_fields(void **state)
{
	struct store *s = fresh();
	struct store_in it[2];
	struct store_in_result r;
	struct evfields f;

	(void)state;
	enrolled(s, "SN-1", "0a01");
	it[0] = ev("SN-1", 1000, "a");
	it[1] = ev("SN-1", 1234, "b");
	it[1].u.ev.type = RP_EVENT_TAMPER;
	it[1].u.ev.severity = RP_SEV_CRITICAL;
	it[1].u.ev.seq = 77;
	it[1].u.ev.count = 2;
	assert_int_equal(store_ingest_write(s, it, 2, &keep_all, NULL, 0, &r),
	                 RP_OK);
	memset(&f, 0, sizeof f);
	assert_int_equal(store_event_each(s, "SN-1", 10, evfields_cb, &f),
	                 RP_OK);
	assert_int_equal(f.n, 2);
	assert_true(f.id[0] > f.id[1]);
	assert_int_equal(f.received_at, 1234);
	assert_int_equal(f.ev.type, RP_EVENT_TAMPER);
	assert_int_equal(f.ev.severity, RP_SEV_CRITICAL);
	assert_int_equal(f.ev.seq, 77);
	assert_int_equal(f.ev.ts, 1233);
	assert_int_equal(f.ev.count, 2);
	assert_string_equal(f.ev.detail, "b");
	store_close(s);
}

static void test_commands(void **state)
{
	struct store *s = fresh();
	struct store_in items[3];
	struct store_in_result r;
	struct store_status st;
	struct rp_command c;
	struct seen x;

	(void)state;
	enrolled(s, "SN-1", "0a01");
	memset(&c, 0, sizeof c);
	c.type = RP_CMD_PING;
	c.ts = 2500;
	snprintf(c.id, sizeof c.id, "c-z");
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_OK);
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_E_EXISTS);
	assert_int_equal(store_command_add(s, "SN-2", &c), RP_E_EXISTS);
	snprintf(c.id, sizeof c.id, "c-a"); /* same time, added later */
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_OK);
	snprintf(c.id, sizeof c.id, "c-old");
	c.ts = 2000;
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_OK);
	snprintf(c.id, sizeof c.id, "c-new");
	c.ts = 3000;
	snprintf(c.arg, sizeof c.arg, "v2");
	c.type = RP_CMD_UPDATE;
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_OK);
	c.id[0] = '\0';
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_E_INVAL);

	memset(&x, 0, sizeof x);
	assert_int_equal(store_command_each(s, "SN-1", 10, command_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "c-new:SN-1:0:;c-a:SN-1:0:;c-z:SN-1:0:;"
	                           "c-old:SN-1:0:;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_command_each(s, "SN-1", 2, command_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "c-new:SN-1:0:;c-a:SN-1:0:;");

	/* the first result completes a command; one for an unknown id or
	 * another device's command is stored but completes nothing */
	items[0] = res("SN-1", 4000, "c-z", "pong");
	items[1] = res("SN-1", 4001, "c-z", "again");
	items[2] = res("SN-1", 4002, "c-unknown", "?");
	assert_int_equal(
	    store_ingest_write(s, items, 3, &keep_all, NULL, 0, &r), RP_OK);
	assert_int_equal(r.results, 3);
	assert_int_equal(counter_value(s, "stored_results"), 3);
	assert_int_equal(store_status_get(s, "SN-1", &st), RP_OK);
	assert_int_equal(st.n_results, 3);
	assert_int_equal(st.last_seen, 4002);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_command_each(s, "SN-1", 10, command_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "c-new:SN-1:0:;c-a:SN-1:0:;"
	                           "c-z:SN-1:4000:pong;c-old:SN-1:0:;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_command_each(s, "SN-2", 10, command_cb, &x),
	                 RP_OK);
	assert_int_equal(x.n, 0);
	assert_int_equal(store_command_each(s, "SN-1", 0, command_cb, &x),
	                 RP_E_INVAL);
	store_close(s);
}

struct cmdfields {
	struct store_command c;
	int n;
};

static int cmdfields_cb(void *arg, const struct store_command *c)
{
	struct cmdfields *f = arg;

	f->c = *c;
	f->n++;
	return 1;
}

static void test_command_fields(void **state)
{
	struct store *s = fresh();
	struct store_in it;
	struct store_in_result r;
	struct rp_command c;
	struct cmdfields f;

	(void)state;
	enrolled(s, "SN-1", "0a01");
	memset(&c, 0, sizeof c);
	c.type = RP_CMD_LOCK;
	c.ts = 2500;
	snprintf(c.id, sizeof c.id, "c-1");
	snprintf(c.arg, sizeof c.arg, "until 3000");
	assert_int_equal(store_command_add(s, "SN-1", &c), RP_OK);
	it = res("SN-1", 2600, "c-1", "locked");
	it.u.res.status = RP_CMD_FAILED;
	it.u.res.seq = 12;
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	memset(&f, 0, sizeof f);
	assert_int_equal(store_command_each(s, "SN-1", 1, cmdfields_cb, &f),
	                 RP_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.c.cmd.id, "c-1");
	assert_int_equal(f.c.cmd.type, RP_CMD_LOCK);
	assert_int_equal(f.c.cmd.ts, 2500);
	assert_string_equal(f.c.cmd.arg, "until 3000");
	assert_string_equal(f.c.serial, "SN-1");
	assert_int_equal(f.c.result_at, 2600);
	assert_string_equal(f.c.res.id, "c-1");
	assert_int_equal(f.c.res.status, RP_CMD_FAILED);
	assert_int_equal(f.c.res.seq, 12);
	assert_int_equal(f.c.res.ts, 2599);
	assert_string_equal(f.c.res.detail, "locked");
	store_close(s);
}

static void test_device_status_each(void **state)
{
	struct store *s = fresh();
	struct store_device d = store_test_dev("SN-0", "g");
	struct store_in it;
	struct store_in_result r;
	struct store_cert c;
	int64_t now = (int64_t)time(NULL);
	struct seen x;

	(void)state;
	enrolled(s, "SN-2", "0a02");
	enrolled(s, "SN-1", "0a01");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	/* SN-1: one more valid, one revoked valid, one expired */
	c = cert("0a03", "SN-1", STORE_CERT_DEVICE, Y2100);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	c = cert("0a04", "SN-1", STORE_CERT_DEVICE, Y2100);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	assert_int_equal(store_cert_revoke(s, "0a04", 1, now), RP_OK);
	c = cert("0a05", "SN-1", STORE_CERT_DEVICE, now - 10);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	c = cert("0a06", "SN-1", STORE_CERT_CLAIM, Y2100);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	it = store_test_tel("SN-2", 5, 4000);
	assert_int_equal(store_ingest_write(s, &it, 1, &keep_all, NULL, 0, &r),
	                 RP_OK);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_device_status_each(s, status_cb, &x), RP_OK);
	assert_string_equal(x.buf, "SN-0:0:0::0:0;SN-1:0:0::2:1;"
	                           "SN-2:4000:1:1.4.5:1:0;");
	memset(&x, 0, sizeof x);
	x.stop_after = 1;
	assert_int_equal(store_device_status_each(s, status_cb, &x), RP_OK);
	assert_string_equal(x.buf, "SN-0:0:0::0:0;");
	store_close(s);
}

/* Every key argument is checked before the engine sees it. */
static void test_arguments(void **state)
{
	struct store *s = fresh();
	struct store_device d = store_test_dev("", "g"), got;
	struct store_cert c = cert("", "SN-1", STORE_CERT_DEVICE, 1);
	struct store_status st;
	struct rp_command cmd;
	struct seen x;
	uint8_t v[4];
	size_t len = sizeof v;

	(void)state;
	memset(&cmd, 0, sizeof cmd);
	snprintf(cmd.id, sizeof cmd.id, "c");
	assert_int_equal(store_device_add(s, &d), RP_E_INVAL);
	assert_int_equal(store_device_add(s, NULL), RP_E_INVAL);
	assert_int_equal(store_device_get(s, NULL, &got), RP_E_INVAL);
	assert_int_equal(store_device_get(s, "", &got), RP_E_INVAL);
	assert_int_equal(store_device_get(s, "SN-1", NULL), RP_E_INVAL);
	assert_int_equal(store_device_remove(s, NULL), RP_E_INVAL);
	assert_int_equal(store_device_set_state(s, NULL, 1), RP_E_INVAL);
	assert_int_equal(store_device_set_flags(s, NULL, 1, 1), RP_E_INVAL);
	assert_int_equal(store_device_set_quarantine(s, NULL, 1, "r", 1),
	                 RP_E_INVAL);
	assert_int_equal(store_device_each(s, NULL, &x), RP_E_INVAL);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_E_INVAL);
	assert_int_equal(store_cert_add(s, NULL, "PEM"), RP_E_INVAL);
	assert_int_equal(store_cert_get(s, NULL, &c), RP_E_INVAL);
	assert_int_equal(store_cert_revoke(s, NULL, 1, 1), RP_E_INVAL);
	assert_int_equal(store_cert_mark_used(s, "", 1), RP_E_INVAL);
	assert_int_equal(store_cert_each_of(s, NULL, cert_cb, &x), RP_E_INVAL);
	assert_int_equal(store_cert_each_of(s, "SN-1", NULL, &x), RP_E_INVAL);
	assert_int_equal(store_refusal_each(s, 1, NULL, &x), RP_E_INVAL);
	assert_int_equal(store_status_get(s, NULL, &st), RP_E_INVAL);
	assert_int_equal(store_device_status_each(s, NULL, &x), RP_E_INVAL);
	assert_int_equal(store_event_each(s, NULL, 1, event_cb, &x),
	                 RP_E_INVAL);
	assert_int_equal(store_event_each(s, "SN-1", 1, NULL, &x), RP_E_INVAL);
	assert_int_equal(store_command_add(s, NULL, &cmd), RP_E_INVAL);
	assert_int_equal(store_command_add(s, "SN-1", NULL), RP_E_INVAL);
	assert_int_equal(store_command_each(s, NULL, 1, command_cb, &x),
	                 RP_E_INVAL);
	assert_int_equal(store_counter_each(s, NULL, &x), RP_E_INVAL);
	assert_int_equal(store_meta_get(s, NULL, v, &len), RP_E_INVAL);
	assert_int_equal(store_meta_get(s, "k", v, NULL), RP_E_INVAL);
	/* nothing of it was stored */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_device_each(s, dev_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	store_close(s);
}

/* --- durability: SIGKILL right after a call returned --------------------- */

enum crash_op {
	CRASH_DEVICE_ADD,   /* one call outside a transaction */
	CRASH_TX_COMMIT,    /* a transaction, committed */
	CRASH_TX_OPEN,      /* a transaction, not committed: nothing */
	CRASH_INGEST,       /* an ingest batch */
	CRASH_REFUSAL,      /* a refusal */
	CRASH_META,         /* a fact replaced */
	CRASH_CERT_REVOKE,  /* a revocation */
	CRASH_DEVICE_STATE, /* a state change */
};

/* The child: make the call, tell the parent it returned, wait to die. */
static void crash_child(enum crash_op op, int tell)
{
	struct store *s = NULL;
	struct store_device d = store_test_dev("SN-K", "g");
	struct store_cert c = cert("c0de", "SN-K", STORE_CERT_DEVICE, Y2100);
	struct store_in it = ev("SN-E", 1000, "kept");
	struct store_in_result r;
	struct store_counter ctr = {"received", 1};
	uint8_t val[2] = {'v', '2'};
	rp_err rc = RP_E_INTERNAL;
	char ok = 'k';

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (store_open(spec, &s) != RP_OK)
		_exit(3);
	switch (op) {
	case CRASH_DEVICE_ADD:
		rc = store_device_add(s, &d);
		break;
	case CRASH_TX_COMMIT:
	case CRASH_TX_OPEN:
		rc = store_begin(s);
		if (rc == RP_OK)
			rc = store_device_add(s, &d);
		if (rc == RP_OK)
			rc = store_cert_add(s, &c, "PEM");
		if (rc == RP_OK)
			rc = store_device_set_state(s, "SN-K",
			                            STORE_DEV_ENROLLED);
		if (rc == RP_OK && op == CRASH_TX_COMMIT)
			rc = store_commit(s);
		break;
	case CRASH_INGEST:
		rc = store_ingest_write(s, &it, 1, &keep_all, &ctr, 1, &r);
		break;
	case CRASH_REFUSAL:
		rc = store_refusal_add(s, "/k", "p", "SN-K", RP_E_AUTH, "kept");
		break;
	case CRASH_META:
		rc = store_meta_set(s, "k", val, sizeof val);
		break;
	case CRASH_CERT_REVOKE:
		rc = store_cert_revoke(s, "0a0e", 5, 4242);
		break;
	case CRASH_DEVICE_STATE:
		rc =
		    store_device_set_state(s, "SN-E", STORE_DEV_DECOMMISSIONED);
		break;
	}
	if (rc != RP_OK)
		_exit(4);
	if (write(tell, &ok, 1) != 1)
		_exit(5);
	for (;;)
		pause(); /* never closes the store: SIGKILL comes */
}

/* Run op in a child killed with SIGKILL once the call returned; the
 * store is then reopened by the caller. */
static void crash_after(enum crash_op op)
{
	int p[2];
	pid_t pid;
	char got = 0;
	ssize_t n;
	int status = 0;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(op, p[1]);
	}
	close(p[1]);
	/* EOF (the child died, or failed) ends the wait too */
	do {
		n = read(p[0], &got, 1);
	} while (n < 0 && errno == EINTR);
	close(p[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (n != 1)
		fail_msg("crash child for op %d failed: status %d", (int)op,
		         status);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_crash_durability(void **state)
{
	struct store *s = fresh();
	struct store_device got;
	struct store_cert c;
	struct store_status st;
	struct seen x;
	uint8_t val[8], v1[1] = {'1'};
	size_t len = sizeof val;

	(void)state;
	/* what the children build on */
	enrolled(s, "SN-E", "0a0e");
	assert_int_equal(store_meta_set(s, "k", v1, 1), RP_OK);
	store_close(s);

	crash_after(CRASH_TX_OPEN);
	s = reopen();
	assert_int_equal(store_device_get(s, "SN-K", &got), RP_E_NOT_FOUND);
	assert_int_equal(store_cert_get(s, "c0de", &c), RP_E_NOT_FOUND);
	/* and the store is writable: no lock outlived the child */
	assert_int_equal(store_begin(s), RP_OK);
	store_rollback(s);
	store_close(s);

	crash_after(CRASH_DEVICE_ADD);
	s = reopen();
	assert_int_equal(store_device_get(s, "SN-K", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_ALLOWLISTED);
	assert_int_equal(store_device_remove(s, "SN-K"), RP_OK);
	store_close(s);

	crash_after(CRASH_TX_COMMIT);
	s = reopen();
	assert_int_equal(store_device_get(s, "SN-K", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_ENROLLED);
	assert_int_equal(store_cert_get(s, "c0de", &c), RP_OK);
	store_close(s);

	crash_after(CRASH_INGEST);
	s = reopen();
	assert_int_equal(store_status_get(s, "SN-E", &st), RP_OK);
	assert_int_equal(st.n_events, 1);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_event_each(s, "SN-E", 10, event_cb, &x), RP_OK);
	assert_string_equal(x.buf, "kept;");
	assert_int_equal(counter_value(s, "received"), 1);
	store_close(s);

	crash_after(CRASH_REFUSAL);
	s = reopen();
	memset(&x, 0, sizeof x);
	assert_int_equal(store_refusal_each(s, 10, refusal_cb, &x), RP_OK);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.buf, "/k:p:SN-K:RP_E_AUTH:kept;");
	store_close(s);

	crash_after(CRASH_META);
	s = reopen();
	assert_int_equal(store_meta_get(s, "k", val, &len), RP_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(val, "v2", 2);
	store_close(s);

	crash_after(CRASH_CERT_REVOKE);
	s = reopen();
	assert_int_equal(store_cert_get(s, "0a0e", &c), RP_OK);
	assert_int_equal(c.revoked_at, 4242);
	assert_int_equal(c.reason, 5);
	store_close(s);

	crash_after(CRASH_DEVICE_STATE);
	s = reopen();
	assert_int_equal(store_device_get(s, "SN-E", &got), RP_OK);
	assert_int_equal(got.state, STORE_DEV_DECOMMISSIONED);
	assert_int_equal(store_check(s), RP_OK);
	store_close(s);
}

/* --- releases: key sets ------------------------------------------------- */

static int keyset_cb(void *arg, const struct store_keyset *k)
{
	struct seen *x = arg;
	char t[64];

	snprintf(t, sizeof t, "%lld:%.*s", (long long)k->epoch, (int)k->len,
	         (const char *)k->rpks);
	app(x->buf, sizeof x->buf, t);
	return stop(x);
}

static rp_err install(struct store *s, const char *text, int64_t epoch,
                      int64_t expect)
{
	return store_keyset_install(s, (const uint8_t *)text, strlen(text),
	                            epoch, expect);
}

static void test_keyset(void **state)
{
	struct store *s = fresh();
	struct store_keyset k;
	struct seen x;
	int64_t t0 = (int64_t)time(NULL);

	(void)state;
	assert_int_equal(store_keyset_get(s, &k), RP_E_NOT_FOUND);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_keyset_each(s, keyset_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	/* the first set: against none */
	assert_int_equal(install(s, "set-3", 3, 0), RP_E_STATE);
	assert_int_equal(install(s, "set-3", 3, STORE_KEYSET_NONE), RP_OK);
	assert_int_equal(store_keyset_get(s, &k), RP_OK);
	assert_int_equal(k.epoch, 3);
	assert_int_equal(k.len, 5);
	assert_memory_equal(k.rpks, "set-3", 5);
	assert_true(k.installed_at >= t0 && k.installed_at <= time(NULL));
	/* a second first set, and one against a set that is not current */
	assert_int_equal(install(s, "set-4", 4, STORE_KEYSET_NONE), RP_E_STATE);
	assert_int_equal(install(s, "set-4", 4, 2), RP_E_STATE);
	/* epochs may jump; each replaces the current, all are kept */
	assert_int_equal(install(s, "set-7", 7, 3), RP_OK);
	assert_int_equal(install(s, "set-8", 8, 7), RP_OK);
	assert_int_equal(install(s, "set-9", 9, 7), RP_E_STATE);
	assert_int_equal(store_keyset_get(s, &k), RP_OK);
	assert_int_equal(k.epoch, 8);
	assert_memory_equal(k.rpks, "set-8", 5);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_keyset_each(s, keyset_cb, &x), RP_OK);
	assert_string_equal(x.buf, "3:set-3;7:set-7;8:set-8;");
	memset(&x, 0, sizeof x);
	x.stop_after = 2;
	assert_int_equal(store_keyset_each(s, keyset_cb, &x), RP_OK);
	assert_string_equal(x.buf, "3:set-3;7:set-7;");
	/* arguments: nothing done */
	assert_int_equal(install(s, "set-8", 8, 8), RP_E_INVAL);
	assert_int_equal(install(s, "set-1", 1, 8), RP_E_INVAL);
	assert_int_equal(install(s, "", 9, 8), RP_E_INVAL);
	assert_int_equal(store_keyset_install(s, NULL, 4, 9, 8), RP_E_INVAL);
	assert_int_equal(
	    store_keyset_install(s, k.rpks, STORE_KEYSET_MAX + 1, 9, 8),
	    RP_E_INVAL);
	assert_int_equal(install(s, "x", (int64_t)UINT32_MAX + 1, 8),
	                 RP_E_INVAL);
	assert_int_equal(install(s, "x", 9, -2), RP_E_INVAL);
	assert_int_equal(store_keyset_get(s, NULL), RP_E_INVAL);
	assert_int_equal(store_keyset_each(s, NULL, &x), RP_E_INVAL);
	/* the largest set, and the highest epoch */
	memset(k.rpks, 'k', sizeof k.rpks);
	assert_int_equal(
	    store_keyset_install(s, k.rpks, STORE_KEYSET_MAX, UINT32_MAX, 8),
	    RP_OK);
	memset(&k, 0, sizeof k);
	assert_int_equal(store_keyset_get(s, &k), RP_OK);
	assert_int_equal(k.epoch, (int64_t)UINT32_MAX);
	assert_int_equal(k.len, STORE_KEYSET_MAX);
	assert_int_equal(k.rpks[STORE_KEYSET_MAX - 1], 'k');
	store_close(s);
}

/* Two connections that both verified against epoch 1: one install wins,
 * whatever the order, and the other changes nothing. */
static void test_keyset_race(void **state)
{
	struct store *a = fresh(), *b = reopen_with(0, STORE_REFUSALS_KEEP);
	struct store_keyset k;

	(void)state;
	assert_int_equal(install(a, "one", 1, STORE_KEYSET_NONE), RP_OK);
	assert_int_equal(store_keyset_get(a, &k), RP_OK);
	assert_int_equal(store_keyset_get(b, &k), RP_OK);
	assert_int_equal(k.epoch, 1);
	assert_int_equal(install(b, "two-b", 2, 1), RP_OK);
	assert_int_equal(install(a, "two-a", 2, 1), RP_E_STATE);
	assert_int_equal(install(a, "three-a", 3, 1), RP_E_STATE);
	assert_int_equal(store_keyset_get(a, &k), RP_OK);
	assert_int_equal(k.epoch, 2);
	assert_memory_equal(k.rpks, "two-b", 5);
	/* inside a transaction, too: the loser's transaction goes on */
	assert_int_equal(store_begin(a), RP_OK);
	assert_int_equal(install(a, "four-a", 4, 1), RP_E_STATE);
	assert_int_equal(install(a, "four-a", 4, 2), RP_OK);
	assert_int_equal(install(b, "four-b", 4, 2), RP_E_STORE); /* lock */
	assert_int_equal(store_commit(a), RP_OK);
	assert_int_equal(install(b, "five-b", 5, 2), RP_E_STATE);
	assert_int_equal(store_keyset_get(b, &k), RP_OK);
	assert_int_equal(k.epoch, 4);
	assert_memory_equal(k.rpks, "four-a", 6);
	store_close(a);
	store_close(b);
}

/* --- releases ------------------------------------------------------------- */

/* A release of hw, version major.minor.patch and counter; its id is c
 * repeated (64 hex digits). */
static struct store_release rel(char c, const char *hw, uint32_t major,
                                uint32_t minor, uint32_t patch,
                                uint32_t counter)
{
	struct store_release r;

	memset(&r, 0, sizeof r);
	memset(r.id, c, STORE_RELEASE_ID_LEN);
	snprintf(r.hw_type, sizeof r.hw_type, "%s", hw);
	r.ver_major = major;
	r.ver_minor = minor;
	r.ver_patch = patch;
	r.counter = counter;
	r.payload_size = 1000 + c;
	r.file_size = 1300 + c;
	r.build_time = 1700000000;
	snprintf(r.notes, sizeof r.notes, "notes %c", c);
	return r;
}

static int release_cb(void *arg, const struct store_release *r)
{
	struct seen *x = arg;
	char t[64];

	snprintf(t, sizeof t, "%c:%s:%u.%u.%u:%u", r->id[0], r->hw_type,
	         r->ver_major, r->ver_minor, r->ver_patch, r->counter);
	app(x->buf, sizeof x->buf, t);
	return stop(x);
}

static void test_release_crud(void **state)
{
	struct store *s = fresh();
	struct store_release r = rel('a', "board-x", 1, 2, 3, 7), got;
	static const char sbom[] = "{\"bomFormat\":\"CycloneDX\"}";
	int64_t t0 = (int64_t)time(NULL);
	char *text = (char *)"x";
	size_t len = 9;

	(void)state;
	assert_int_equal(store_release_get(s, r.id, &got), RP_E_NOT_FOUND);
	r.kind = 1;
	r.ver_major = UINT32_MAX;
	r.counter = UINT32_MAX;
	r.payload_size = INT64_MAX - 500;
	r.file_size = INT64_MAX;
	r.build_time = INT64_MAX;
	r.sbom_len = 99;   /* ignored */
	r.created_at = 12; /* ignored */
	memset(r.notes, 'n', STORE_NOTES_MAX);
	assert_int_equal(store_release_add(s, &r, sbom, strlen(sbom)), RP_OK);
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_EXISTS);
	assert_int_equal(store_release_get(s, r.id, &got), RP_OK);
	assert_string_equal(got.id, r.id);
	assert_string_equal(got.hw_type, "board-x");
	assert_int_equal(got.ver_major, UINT32_MAX);
	assert_int_equal(got.ver_minor, 2);
	assert_int_equal(got.ver_patch, 3);
	assert_int_equal(got.counter, UINT32_MAX);
	assert_int_equal(got.kind, 1);
	assert_int_equal(got.payload_size, INT64_MAX - 500);
	assert_int_equal(got.file_size, INT64_MAX);
	assert_int_equal(got.build_time, INT64_MAX);
	assert_int_equal(strlen(got.notes), STORE_NOTES_MAX);
	assert_int_equal(got.sbom_len, strlen(sbom));
	assert_true(got.created_at >= t0 && got.created_at <= time(NULL));
	assert_int_equal(store_release_sbom(s, r.id, &text, &len), RP_OK);
	assert_non_null(text);
	assert_int_equal(len, strlen(sbom));
	assert_string_equal(text, sbom);
	free(text);
	/* without an SBOM */
	r = rel('b', "board-x", 1, 0, 0, 1);
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_OK);
	assert_int_equal(store_release_get(s, r.id, &got), RP_OK);
	assert_int_equal(got.sbom_len, 0);
	assert_string_equal(got.notes, "notes b");
	assert_int_equal(got.payload_size, 1000 + 'b');
	text = (char *)"x";
	assert_int_equal(store_release_sbom(s, r.id, &text, &len), RP_OK);
	assert_null(text);
	assert_int_equal(len, 0);
	memset(r.id, 'c', STORE_RELEASE_ID_LEN);
	assert_int_equal(store_release_sbom(s, r.id, &text, &len),
	                 RP_E_NOT_FOUND);
	assert_null(text);
	/* remove: once */
	assert_int_equal(store_release_remove(s, got.id), RP_OK);
	assert_int_equal(store_release_get(s, got.id, &got), RP_E_NOT_FOUND);
	assert_int_equal(store_release_remove(s, r.id), RP_E_NOT_FOUND);
	r = rel('a', "board-x", 1, 2, 3, 7);
	assert_int_equal(store_release_remove(s, r.id), RP_OK);
	assert_int_equal(store_release_remove(s, r.id), RP_E_NOT_FOUND);
	/* and the id is free again */
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_OK);
	store_close(s);
}

static void test_release_each(void **state)
{
	struct store *s = fresh();
	struct store_release r[] = {
	    rel('1', "board-y", 1, 0, 0, 1),  rel('2', "board-x", 1, 10, 0, 3),
	    rel('3', "board-x", 1, 9, 5, 3),  rel('4', "board-x", 2, 0, 0, 4),
	    rel('5', "board-x", 1, 10, 0, 5), rel('6', "board-X", 9, 0, 0, 9),
	    rel('7', "board-x", 1, 10, 0, 5), rel('0', "board-x", 1, 10, 0, 5),
	};
	struct seen x;

	(void)state;
	memset(&x, 0, sizeof x);
	assert_int_equal(store_release_each(s, NULL, release_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		assert_int_equal(store_release_add(s, &r[i], NULL, 0), RP_OK);
	/* by hardware type (bytewise: 'X' before 'x'), version newest
	 * first (10 above 9: numbers), counter highest first, then id */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_release_each(s, NULL, release_cb, &x), RP_OK);
	assert_string_equal(x.buf, "6:board-X:9.0.0:9;"
	                           "4:board-x:2.0.0:4;"
	                           "0:board-x:1.10.0:5;"
	                           "5:board-x:1.10.0:5;"
	                           "7:board-x:1.10.0:5;"
	                           "2:board-x:1.10.0:3;"
	                           "3:board-x:1.9.5:3;"
	                           "1:board-y:1.0.0:1;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_release_each(s, "board-x", release_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "4:board-x:2.0.0:4;0:board-x:1.10.0:5;"
	                           "5:board-x:1.10.0:5;7:board-x:1.10.0:5;"
	                           "2:board-x:1.10.0:3;3:board-x:1.9.5:3;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_release_each(s, "board", release_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	memset(&x, 0, sizeof x);
	x.stop_after = 2;
	assert_int_equal(store_release_each(s, "board-x", release_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "4:board-x:2.0.0:4;0:board-x:1.10.0:5;");
	store_close(s);
}

static void test_release_arguments(void **state)
{
	struct store *s = fresh();
	struct store_release r = rel('a', "board-x", 1, 0, 0, 1), got;
	struct seen x;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(store_release_add(s, NULL, NULL, 0), RP_E_INVAL);
	r.id[10] = 'A'; /* lower-case hex only */
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r.id[10] = 'g';
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r.id[10] = 'a';
	r.id[63] = '\0'; /* 63 digits */
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r = rel('a', "", 1, 0, 0, 1);
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r = rel('a', "board-x", 1, 0, 0, 1);
	r.kind = 2;
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r.kind = 0;
	r.file_size = -1;
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r.file_size = 1;
	r.payload_size = -1;
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r.payload_size = 1;
	r.build_time = -1;
	assert_int_equal(store_release_add(s, &r, NULL, 0), RP_E_INVAL);
	r.build_time = 0;
	assert_int_equal(store_release_add(s, &r, "", 0), RP_E_INVAL);
	assert_int_equal(store_release_get(s, r.id, &got), RP_E_NOT_FOUND);
	assert_int_equal(store_release_get(s, NULL, &got), RP_E_INVAL);
	assert_int_equal(store_release_get(s, "", &got), RP_E_INVAL);
	assert_int_equal(store_release_get(s, r.id, NULL), RP_E_INVAL);
	assert_int_equal(store_release_sbom(s, NULL, &text, &len), RP_E_INVAL);
	assert_int_equal(store_release_sbom(s, r.id, NULL, &len), RP_E_INVAL);
	assert_int_equal(store_release_sbom(s, r.id, &text, NULL), RP_E_INVAL);
	assert_int_equal(store_release_each(s, NULL, NULL, &x), RP_E_INVAL);
	assert_int_equal(store_release_remove(s, NULL), RP_E_INVAL);
	assert_int_equal(store_release_remove(s, ""), RP_E_INVAL);
	/* nothing of it was stored */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_release_each(s, NULL, release_cb, &x), RP_OK);
	assert_int_equal(x.n, 0);
	store_close(s);
}

/* A release added and a key set installed stay after SIGKILL; so does a
 * removal. */
static void release_child(int op, int tell)
{
	struct store *s = NULL;
	struct store_release r = rel('d', "board-x", 3, 1, 4, 2);
	rp_err rc = RP_E_INTERNAL;
	char ok = 'k';

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (store_open(spec, &s) != RP_OK)
		_exit(3);
	if (op == 0)
		rc = store_release_add(s, &r, "{}", 2);
	else if (op == 1)
		rc = install(s, "set-2", 2, STORE_KEYSET_NONE);
	else
		rc = store_release_remove(s, r.id);
	if (rc != RP_OK)
		_exit(4);
	if (write(tell, &ok, 1) != 1)
		_exit(5);
	for (;;)
		pause(); /* never closes the store: SIGKILL comes */
}

static void release_crash_after(int op)
{
	int p[2], status = 0;
	pid_t pid;
	char got = 0;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		release_child(op, p[1]);
	}
	close(p[1]);
	do {
		n = read(p[0], &got, 1);
	} while (n < 0 && errno == EINTR);
	close(p[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (n != 1)
		fail_msg("release crash child %d failed: status %d", op,
		         status);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_release_durability(void **state)
{
	struct store *s = fresh();
	struct store_release r = rel('d', "board-x", 3, 1, 4, 2), got;
	struct store_keyset k;

	(void)state;
	store_close(s);
	release_crash_after(0);
	release_crash_after(1);
	s = reopen();
	assert_int_equal(store_release_get(s, r.id, &got), RP_OK);
	assert_int_equal(got.ver_patch, 4);
	assert_int_equal(got.sbom_len, 2);
	assert_int_equal(store_keyset_get(s, &k), RP_OK);
	assert_int_equal(k.epoch, 2);
	store_close(s);
	release_crash_after(2);
	s = reopen();
	assert_int_equal(store_release_get(s, r.id, &got), RP_E_NOT_FOUND);
	assert_int_equal(store_check(s), RP_OK);
	store_close(s);
}

/* --- firmware updates ----------------------------------------------------- */

/* An update command cmd of serial installing release c...c (64 hex),
 * from base b...b (0: a full image), of size bytes. */
static struct store_update upd(const char *cmd, const char *serial, char c,
                               char b, int64_t size)
{
	struct store_update u;

	memset(&u, 0, sizeof u);
	snprintf(u.cmd_id, sizeof u.cmd_id, "%s", cmd);
	snprintf(u.serial, sizeof u.serial, "%s", serial);
	memset(u.release_id, c, 64);
	if (b != 0)
		memset(u.base_id, b, 64);
	u.size = size;
	return u;
}

/* A device's report of update cmd (release c...c). */
static struct rp_update_report rep(const char *cmd, char c,
                                   enum rp_update_state st, uint64_t offset,
                                   uint64_t size, const char *code)
{
	struct rp_update_report r;

	memset(&r, 0, sizeof r);
	snprintf(r.cmd, sizeof r.cmd, "%s", cmd);
	memset(r.release, c, 64);
	r.state = st;
	r.offset = offset;
	r.size = size;
	snprintf(r.code, sizeof r.code, "%s", code);
	return r;
}

static int update_cb(void *arg, const struct store_update *u)
{
	struct seen *x = arg;
	char t[128];

	snprintf(t, sizeof t, "%s:%s:%s", u->cmd_id, u->state,
	         u->final ? "final" : "open");
	app(x->buf, sizeof x->buf, t);
	return stop(x);
}

/* The state (and offset) of update cmd, as "state@offset". */
static const char *upd_at(struct store *s, const char *cmd)
{
	static char t[64];
	struct store_update u;

	assert_int_equal(store_update_get(s, cmd, &u), RP_OK);
	snprintf(t, sizeof t, "%s@%lld", u.state, (long long)u.offset);
	return t;
}

static void test_update_add(void **state)
{
	struct store *s = fresh();
	struct store_update u = upd("c1", "dev-1", 'a', 'b', 5000), got;
	struct store_release ra = rel('a', "hw", 1, 0, 0, 1);
	struct store_release rb = rel('b', "hw", 0, 9, 0, 1);
	struct rp_update_report r;
	int64_t t0 = (int64_t)time(NULL);
	struct seen x;
	bool applied = true;

	(void)state;
	assert_int_equal(store_update_current(s, "dev-1", &got),
	                 RP_E_NOT_FOUND);
	assert_int_equal(store_update_get(s, "c1", &got), RP_E_NOT_FOUND);
	assert_int_equal(store_release_add(s, &ra, NULL, 0), RP_OK);
	assert_int_equal(store_release_add(s, &rb, NULL, 0), RP_OK);
	/* ignored on add */
	snprintf(u.state, sizeof u.state, "confirmed");
	u.offset = 7;
	u.final = true;
	snprintf(u.code, sizeof u.code, "x");
	assert_int_equal(store_update_add(s, &u), RP_OK);
	assert_int_equal(store_update_current(s, "dev-1", &got), RP_OK);
	assert_string_equal(got.cmd_id, "c1");
	assert_string_equal(got.serial, "dev-1");
	assert_string_equal(got.release_id, ra.id);
	assert_string_equal(got.base_id, rb.id);
	assert_string_equal(got.state, STORE_UPD_SENT);
	assert_int_equal(got.offset, 0);
	assert_int_equal(got.size, 5000);
	assert_string_equal(got.code, "");
	assert_string_equal(got.detail, "");
	assert_false(got.final);
	assert_true(got.created_at >= t0 && got.created_at <= time(NULL));
	assert_int_equal(got.updated_at, got.created_at);
	/* one at a time per device; ids are unique across devices */
	u = upd("c2", "dev-1", 'b', 0, 10);
	assert_int_equal(store_update_add(s, &u), RP_E_STATE);
	assert_int_equal(store_update_get(s, "c2", &got), RP_E_NOT_FOUND);
	u = upd("c1", "dev-2", 'b', 0, 10);
	assert_int_equal(store_update_add(s, &u), RP_E_EXISTS);
	u = upd("d1", "dev-2", 'b', 0, 10);
	assert_int_equal(store_update_add(s, &u), RP_OK);
	/* a release an open update installs or patches from stays */
	assert_int_equal(store_release_remove(s, ra.id), RP_E_STATE);
	assert_int_equal(store_release_remove(s, rb.id), RP_E_STATE);
	assert_int_equal(store_release_get(s, ra.id, &ra), RP_OK);
	/* finished: free again, and the device takes the next */
	r = rep("c1", 'a', RP_UPD_FAILED, 0, 5000, "no_space");
	assert_int_equal(store_update_report(s, "dev-1", &r, "full", &applied),
	                 RP_OK);
	assert_true(applied);
	assert_int_equal(store_update_get(s, "c1", &got), RP_OK);
	assert_true(got.final);
	assert_string_equal(got.state, "failed");
	assert_string_equal(got.code, "no_space");
	assert_string_equal(got.detail, "full");
	assert_int_equal(store_release_remove(s, ra.id), RP_OK);
	assert_int_equal(store_release_remove(s, rb.id), RP_E_STATE); /* d1 */
	u = upd("c2", "dev-1", 'e', 0, 10);
	assert_int_equal(store_update_add(s, &u), RP_OK);
	assert_int_equal(store_update_current(s, "dev-1", &got), RP_OK);
	assert_string_equal(got.cmd_id, "c2");
	/* the history, newest first, limited */
	memset(&x, 0, sizeof x);
	assert_int_equal(store_update_each(s, "dev-1", 10, update_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "c2:sent:open;c1:failed:final;");
	memset(&x, 0, sizeof x);
	assert_int_equal(store_update_each(s, "dev-1", 1, update_cb, &x),
	                 RP_OK);
	assert_string_equal(x.buf, "c2:sent:open;");
	memset(&x, 0, sizeof x);
	x.stop_after = 1;
	assert_int_equal(store_update_each(s, "dev-1", 5, update_cb, &x),
	                 RP_OK);
	assert_int_equal(x.n, 1);
	memset(&x, 0, sizeof x);
	assert_int_equal(store_update_each(s, "dev-9", 5, update_cb, &x),
	                 RP_OK);
	assert_int_equal(x.n, 0);
	/* durable: another connection sees it all */
	store_close(s);
	s = reopen();
	assert_int_equal(store_update_current(s, "dev-1", &got), RP_OK);
	assert_string_equal(got.cmd_id, "c2");
	/* the current one of a device whose last update is final */
	assert_int_equal(store_update_current(s, "dev-2", &got), RP_OK);
	assert_string_equal(got.cmd_id, "d1");
	store_close(s);
}

/* Report r for dev-1 and check whether it applied. */
static void report(struct store *s, const struct rp_update_report *r, bool want)
{
	bool applied = !want;

	assert_int_equal(store_update_report(s, "dev-1", r, NULL, &applied),
	                 RP_OK);
	assert_int_equal(applied, want);
}

static void test_update_report(void **state)
{
	struct store *s = fresh();
	struct store_update u = upd("c1", "dev-1", 'a', 0, 1000), got;
	struct rp_update_report r;
	int64_t ignored = 0;

	(void)state;
	assert_int_equal(store_update_add(s, &u), RP_OK);
	r = rep("c1", 'a', RP_UPD_ACCEPTED, 0, 1000, "");
	report(s, &r, true);
	assert_string_equal(upd_at(s, "c1"), "accepted@0");
	report(s, &r, false); /* a duplicate */
	ignored++;
	r = rep("c1", 'a', RP_UPD_DOWNLOADING, 400, 1000, "");
	report(s, &r, true);
	assert_string_equal(upd_at(s, "c1"), "downloading@400");
	report(s, &r, false); /* the same offset again */
	r.offset = 300;       /* lower: reordered */
	report(s, &r, false);
	ignored += 2;
	r.offset = 0; /* the download starts again, even with another size */
	r.size = 1200;
	report(s, &r, true);
	assert_string_equal(upd_at(s, "c1"), "downloading@0");
	assert_int_equal(store_update_get(s, "c1", &got), RP_OK);
	assert_int_equal(got.size, 1200);
	r.offset = 1200;
	report(s, &r, true);
	r = rep("c1", 'a', RP_UPD_ACCEPTED, 0, 1200, ""); /* backwards */
	report(s, &r, false);
	r = rep("c1", 'b', RP_UPD_DOWNLOADED, 1200, 1200, ""); /* release */
	report(s, &r, false);
	r = rep("c9", 'a', RP_UPD_DOWNLOADED, 1200, 1200, ""); /* unknown */
	report(s, &r, false);
	ignored += 3;
	r = rep("c1", 'a', RP_UPD_DOWNLOADED, 1200, 1200, "");
	assert_int_equal(store_update_report(s, "dev-2", &r, NULL, NULL),
	                 RP_OK); /* another device's */
	ignored++;
	assert_string_equal(upd_at(s, "c1"), "downloading@1200");
	report(s, &r, true);
	r.state = RP_UPD_VERIFIED;
	report(s, &r, true);
	r.state = RP_UPD_TRIAL_MARKED;
	report(s, &r, true);
	/* past the trial mark the download does not start again */
	r = rep("c1", 'a', RP_UPD_DOWNLOADING, 0, 1200, "");
	report(s, &r, false);
	ignored++;
	r = rep("c1", 'a', RP_UPD_TRIAL_RUNNING, 1200, 1200, ""); /* skips */
	report(s, &r, true);
	r = rep("c1", 'a', RP_UPD_CONFIRMED, 1200, 1200, "");
	report(s, &r, true);
	assert_int_equal(store_update_get(s, "c1", &got), RP_OK);
	assert_string_equal(got.state, "confirmed");
	assert_true(got.final);
	assert_true(got.updated_at >= got.created_at);
	/* final: nothing moves it, not even another final state */
	r = rep("c1", 'a', RP_UPD_ROLLED_BACK, 1200, 1200, "health");
	report(s, &r, false);
	ignored++;
	assert_string_equal(upd_at(s, "c1"), "confirmed@1200");
	assert_int_equal(counter_value(s, "update_ignored"), ignored);
	/* a report inside the caller's transaction is the caller's */
	u = upd("c2", "dev-1", 'a', 0, 10);
	assert_int_equal(store_update_add(s, &u), RP_OK);
	assert_int_equal(store_begin(s), RP_OK);
	r = rep("c2", 'a', RP_UPD_CANCELLED, 0, 10, "");
	report(s, &r, true);
	store_rollback(s);
	assert_string_equal(upd_at(s, "c2"), "sent@0");
	store_close(s);
}

/* A result of command id from serial with status and detail. */
static struct store_in upd_res(const char *serial, const char *id,
                               enum rp_command_status st, const char *detail)
{
	struct store_in it = res(serial, 2000, id, detail);

	it.u.res.status = st;
	return it;
}

static void test_update_ingest(void **state)
{
	struct store *s = fresh();
	struct store_update u = upd("c1", "dev-1", 'a', 0, 1000), got;
	struct store_in_result out;
	struct store_in it[3];

	(void)state;
	enrolled(s, "dev-1", "aa01");
	enrolled(s, "dev-2", "aa02");
	assert_int_equal(store_update_add(s, &u), RP_OK);
	/* the command's result, then its events, in one batch */
	it[0] = upd_res("dev-1", "c1", RP_CMD_OK, "accepted");
	it[1] = store_test_event("dev-1", 2000, 6, 1, "");
	it[1].u.ev.type = RP_EVENT_UPDATE;
	it[1].u.ev.update = rep("c1", 'a', RP_UPD_DOWNLOADING, 600, 1000, "");
	it[2] = upd_res("dev-1", "ping-1", RP_CMD_OK, "pong"); /* not ours */
	assert_int_equal(store_ingest_write(s, it, 3, &keep_all, NULL, 0, &out),
	                 RP_OK);
	assert_int_equal(out.events, 1);
	assert_int_equal(out.results, 2);
	assert_string_equal(upd_at(s, "c1"), "downloading@600");
	assert_int_equal(counter_value(s, "update_ignored"), 0);
	/* a late result, another device's event: ignored, counted */
	it[0] = upd_res("dev-1", "c1", RP_CMD_OK, "accepted");
	it[1].u.ev.update.offset = 900;
	snprintf(it[1].serial, sizeof it[1].serial, "dev-2");
	assert_int_equal(store_ingest_write(s, it, 2, &keep_all, NULL, 0, &out),
	                 RP_OK);
	assert_string_equal(upd_at(s, "c1"), "downloading@600");
	assert_int_equal(counter_value(s, "update_ignored"), 2);
	/* a rejection: final failed with the detail's reason code */
	it[0] = store_test_event("dev-1", 2000, 7, 1, "");
	it[0].u.ev.type = RP_EVENT_UPDATE;
	it[0].u.ev.update = rep("c1", 'a', RP_UPD_CANCELLED, 600, 1000, "");
	assert_int_equal(store_ingest_write(s, it, 1, &keep_all, NULL, 0, &out),
	                 RP_OK);
	u = upd("c2", "dev-1", 'a', 0, 1000);
	assert_int_equal(store_update_add(s, &u), RP_OK);
	it[0] = upd_res("dev-1", "c2", RP_CMD_REJECTED,
	                "hw_mismatch: devkit-b, not devkit-a");
	assert_int_equal(store_ingest_write(s, it, 1, &keep_all, NULL, 0, &out),
	                 RP_OK);
	assert_int_equal(store_update_get(s, "c2", &got), RP_OK);
	assert_string_equal(got.state, "failed");
	assert_true(got.final);
	assert_string_equal(got.code, "hw_mismatch");
	assert_string_equal(got.detail, "hw_mismatch: devkit-b, not devkit-a");
	/* no reason code in the detail: the status names it */
	u = upd("c3", "dev-1", 'a', 0, 1000);
	assert_int_equal(store_update_add(s, &u), RP_OK);
	it[0] = upd_res("dev-1", "c3", RP_CMD_UNSUPPORTED, "Not here");
	assert_int_equal(store_ingest_write(s, it, 1, &keep_all, NULL, 0, &out),
	                 RP_OK);
	assert_int_equal(store_update_get(s, "c3", &got), RP_OK);
	assert_string_equal(got.code, "unsupported");
	assert_true(got.final);
	store_close(s);
}

static void test_update_arguments(void **state)
{
	struct store *s = fresh();
	struct store_update u = upd("c1", "dev-1", 'a', 0, 10), got;
	struct rp_update_report r = rep("c1", 'a', RP_UPD_ACCEPTED, 0, 1, "");
	struct rp_command_result cr;
	bool applied = true;

	(void)state;
	memset(&cr, 0, sizeof cr);
	assert_int_equal(store_update_add(s, NULL), RP_E_INVAL);
	u.cmd_id[0] = '\0';
	assert_int_equal(store_update_add(s, &u), RP_E_INVAL);
	u = upd("c1", "", 'a', 0, 10);
	assert_int_equal(store_update_add(s, &u), RP_E_INVAL);
	u = upd("c1", "dev-1", 'A', 0, 10); /* upper-case hex */
	assert_int_equal(store_update_add(s, &u), RP_E_INVAL);
	u = upd("c1", "dev-1", 'a', 'g', 10);
	assert_int_equal(store_update_add(s, &u), RP_E_INVAL);
	u = upd("c1", "dev-1", 'a', 0, -1);
	assert_int_equal(store_update_add(s, &u), RP_E_INVAL);
	u = upd("c1", "dev-1", 'a', 0, 10);
	u.release_id[63] = '\0';
	assert_int_equal(store_update_add(s, &u), RP_E_INVAL);
	assert_int_equal(store_update_get(s, "c1", &got), RP_E_NOT_FOUND);
	assert_int_equal(store_update_current(s, NULL, &got), RP_E_INVAL);
	assert_int_equal(store_update_current(s, "dev-1", NULL), RP_E_INVAL);
	assert_int_equal(store_update_get(s, "", &got), RP_E_INVAL);
	assert_int_equal(store_update_each(s, "dev-1", 0, update_cb, NULL),
	                 RP_E_INVAL);
	assert_int_equal(store_update_each(s, "dev-1", 1, NULL, NULL),
	                 RP_E_INVAL);
	assert_int_equal(store_update_report(s, "", &r, NULL, &applied),
	                 RP_E_INVAL);
	assert_false(applied);
	assert_int_equal(store_update_report(s, "dev-1", NULL, NULL, NULL),
	                 RP_E_INVAL);
	r.state = (enum rp_update_state)0;
	assert_int_equal(store_update_report(s, "dev-1", &r, NULL, NULL),
	                 RP_E_INVAL);
	r.state = (enum rp_update_state)12;
	assert_int_equal(store_update_report(s, "dev-1", &r, NULL, NULL),
	                 RP_E_INVAL);
	assert_int_equal(store_update_result(s, "dev-1", NULL, NULL),
	                 RP_E_INVAL);
	assert_int_equal(store_update_result(s, NULL, &cr, NULL), RP_E_INVAL);
	/* names and numbers */
	assert_string_equal(store_update_state_name(0), "sent");
	assert_string_equal(store_update_state_name(RP_UPD_TRIAL_RUNNING),
	                    "trial_running");
	assert_string_equal(store_update_state_name(RP_UPD_CANCELLED),
	                    "cancelled");
	assert_null(store_update_state_name(-1));
	assert_null(store_update_state_name(12));
	assert_int_equal(store_update_state_num("rolled_back"),
	                 RP_UPD_ROLLED_BACK);
	assert_int_equal(store_update_state_num("sent"), 0);
	assert_int_equal(store_update_state_num("bogus"), -1);
	assert_int_equal(store_update_state_num(NULL), -1);
	store_close(s);
}

/* Collects "id=rec;" of store_vuln_each. */
static int vuln_one(void *arg, const char *id, const char *rec, size_t len)
{
	char one[200];

	assert_int_equal(strlen(rec), len);
	snprintf(one, sizeof one, "%s=%s", id, rec);
	app(arg, 600, one);
	return 0;
}

/* Stops after the first record. */
static int vuln_stop(void *arg, const char *id, const char *rec, size_t len)
{
	(void)id;
	(void)rec;
	(void)len;
	(*(int *)arg)++;
	return 1;
}

static void test_vuln_put(void **state)
{
	struct store *s = fresh(), *s2;
	enum store_vuln_put o = STORE_VULN_UNCHANGED;
	char got[600] = "";
	int64_t n = -1;
	int calls = 0;

	(void)state;
	assert_int_equal(store_vuln_count(s, &n), RP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_vuln_put(s, "B-1", 100, "b1", 2, &o), RP_OK);
	assert_int_equal(o, STORE_VULN_NEW);
	assert_int_equal(store_vuln_put(s, "A-1", 5, "a1", 2, &o), RP_OK);
	assert_int_equal(o, STORE_VULN_NEW);
	/* same modified, then older: kept as it is */
	assert_int_equal(store_vuln_put(s, "B-1", 100, "bX", 2, &o), RP_OK);
	assert_int_equal(o, STORE_VULN_UNCHANGED);
	assert_int_equal(store_vuln_put(s, "B-1", 99, "bY", 2, &o), RP_OK);
	assert_int_equal(o, STORE_VULN_UNCHANGED);
	/* newer: replaced, and again */
	assert_int_equal(store_vuln_put(s, "B-1", 101, "b2", 2, &o), RP_OK);
	assert_int_equal(o, STORE_VULN_REPLACED);
	assert_int_equal(store_vuln_put(s, "B-1", 102, "b3", 2, NULL), RP_OK);
	assert_int_equal(store_vuln_each(s, vuln_one, got), RP_OK);
	assert_string_equal(got, "A-1=a1;B-1=b3;");
	assert_int_equal(store_vuln_each(s, vuln_stop, &calls), RP_OK);
	assert_int_equal(calls, 1);
	/* durable: another connection sees them */
	store_close(s);
	s2 = reopen();
	assert_int_equal(store_vuln_count(s2, &n), RP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_vuln_put(s2, "B-1", 102, "b4", 2, &o), RP_OK);
	assert_int_equal(o, STORE_VULN_UNCHANGED);
	store_close(s2);
}

static void test_vuln_arguments(void **state)
{
	struct store *s = fresh();
	char id[STORE_VULN_ID_MAX + 2];
	int64_t n;

	(void)state;
	memset(id, 'i', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	assert_int_equal(store_vuln_put(s, "", 1, "r", 1, NULL), RP_E_INVAL);
	assert_int_equal(store_vuln_put(s, NULL, 1, "r", 1, NULL), RP_E_INVAL);
	assert_int_equal(store_vuln_put(s, id, 1, "r", 1, NULL), RP_E_INVAL);
	id[STORE_VULN_ID_MAX] = '\0'; /* the longest */
	assert_int_equal(store_vuln_put(s, id, 1, "r", 1, NULL), RP_OK);
	assert_int_equal(store_vuln_put(s, "X", 1, "r", 0, NULL), RP_E_INVAL);
	assert_int_equal(store_vuln_put(s, "X", 1, NULL, 1, NULL), RP_E_INVAL);
	assert_int_equal(
	    store_vuln_put(s, "X", 1, "r", STORE_VULN_REC_MAX + 1, NULL),
	    RP_E_INVAL);
	assert_int_equal(store_vuln_each(s, NULL, NULL), RP_E_INVAL);
	assert_int_equal(store_vuln_count(s, NULL), RP_E_INVAL);
	assert_int_equal(store_vuln_count(s, &n), RP_OK);
	assert_int_equal(n, 1);
	store_close(s);
}

int store_conformance_run(const struct store_target *t)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open),
	    cmocka_unit_test(test_device_crud),
	    cmocka_unit_test(test_device_state_flags),
	    cmocka_unit_test(test_device_quarantine),
	    cmocka_unit_test(test_device_remove),
	    cmocka_unit_test(test_device_each),
	    cmocka_unit_test(test_cert_crud),
	    cmocka_unit_test(test_cert_lists),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_refusal_time),
	    cmocka_unit_test(test_refusals_bounded),
	    cmocka_unit_test(test_crl),
	    cmocka_unit_test(test_meta),
	    cmocka_unit_test(test_tx_commit_rollback),
	    cmocka_unit_test(test_tx_isolation),
	    cmocka_unit_test(test_ingest_batch),
	    cmocka_unit_test(test_ingest_allowed),
	    cmocka_unit_test(test_ingest_atomic),
	    cmocka_unit_test(test_ingest_refusals),
	    cmocka_unit_test(test_events_and_retention),
	    cmocka_unit_test(test_event_feed),
	    cmocka_unit_test(test_event_fields),
	    cmocka_unit_test(test_commands),
	    cmocka_unit_test(test_command_fields),
	    cmocka_unit_test(test_device_status_each),
	    cmocka_unit_test(test_arguments),
	    cmocka_unit_test(test_crash_durability),
	    cmocka_unit_test(test_keyset),
	    cmocka_unit_test(test_keyset_race),
	    cmocka_unit_test(test_release_crud),
	    cmocka_unit_test(test_release_each),
	    cmocka_unit_test(test_release_arguments),
	    cmocka_unit_test(test_release_durability),
	    cmocka_unit_test(test_update_add),
	    cmocka_unit_test(test_update_report),
	    cmocka_unit_test(test_update_ingest),
	    cmocka_unit_test(test_update_arguments),
	    cmocka_unit_test(test_vuln_put),
	    cmocka_unit_test(test_vuln_arguments),
	};

	T = t;
	return cmocka_run_group_tests_name(t->engine, tests, NULL, NULL);
}
