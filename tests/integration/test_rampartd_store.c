/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rampartd_store.c - the contract of rampartd's store interface
 * (server/store/store.h) on a real SQLite file: migrations applied once
 * and idempotent on reopen, key clashes reported as RP_E_EXISTS, state
 * rules, transactions that roll back, revocation bookkeeping, refusals in
 * order, CRL numbers that only grow. A second engine (PostgreSQL) must
 * pass the same file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "rpt.h"
#include "store/store.h"

static char path[600];

static struct store *open_fresh(void)
{
	char dir[512];
	struct store *s = NULL;

	rpt_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/rampart.db", dir);
	assert_int_equal(store_open(path, &s), RP_OK);
	return s;
}

static struct store_device dev(const char *serial, const char *group)
{
	struct store_device d;

	memset(&d, 0, sizeof d);
	snprintf(d.serial, sizeof d.serial, "%s", serial);
	snprintf(d.hw_type, sizeof d.hw_type, "tpm2");
	snprintf(d.group, sizeof d.group, "%s", group);
	return d;
}

static struct store_cert cert(const char *serial, const char *subject,
                              int64_t not_after)
{
	struct store_cert c;

	memset(&c, 0, sizeof c);
	snprintf(c.serial, sizeof c.serial, "%s", serial);
	snprintf(c.subject, sizeof c.subject, "%s", subject);
	snprintf(c.kind, sizeof c.kind, STORE_CERT_DEVICE);
	c.not_before = 1000;
	c.not_after = not_after;
	return c;
}

static void test_migrations(void **state)
{
	struct store *s = open_fresh();
	int v = store_schema_version(s);

	(void)state;
	assert_true(v >= 2);
	assert_int_equal(store_check(s), RP_OK);
	store_close(s);
	/* reopening applies nothing and keeps the version */
	assert_int_equal(store_open(path, &s), RP_OK);
	assert_int_equal(store_schema_version(s), v);
	store_close(s);
}

static void test_devices(void **state)
{
	struct store *s = open_fresh();
	struct store_device d = dev("SN-1", "g"), got;

	(void)state;
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_add(s, &d), RP_E_EXISTS);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_string_equal(got.group, "g");
	assert_int_equal(got.state, STORE_DEV_ALLOWLISTED);
	assert_int_equal(store_device_get(s, "SN-2", &got), RP_E_NOT_FOUND);

	/* re-provisioning is consumed by the next enrollment */
	assert_int_equal(store_device_set_flags(s, "SN-1", 1, 1), RP_OK);
	assert_int_equal(store_device_set_state(s, "SN-1", STORE_DEV_ENROLLED),
	                 RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	assert_int_equal(got.allow_reprovision, 0);
	assert_int_equal(got.force_renew, 1);
	/* an enrolled device cannot be removed, only decommissioned */
	assert_int_equal(store_device_remove(s, "SN-1"), RP_E_STATE);
	assert_int_equal(store_device_set_state(s, "nope", 1), RP_E_NOT_FOUND);
	d = dev("SN-2", "g");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_device_remove(s, "SN-2"), RP_OK);
	assert_int_equal(store_device_remove(s, "SN-2"), RP_E_NOT_FOUND);
	store_close(s);
}

static void test_rollback(void **state)
{
	struct store *s = open_fresh();
	struct store_device d = dev("SN-1", "g"), got;
	struct store_cert c = cert("ab01", "SN-1", 5000);

	(void)state;
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	store_rollback(s);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_E_NOT_FOUND);
	assert_int_equal(store_cert_get(s, "ab01", &c), RP_E_NOT_FOUND);
	/* committed work survives a reopen */
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_device_add(s, &d), RP_OK);
	assert_int_equal(store_commit(s), RP_OK);
	store_close(s);
	assert_int_equal(store_open(path, &s), RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	store_close(s);
}

static int count_cb(void *arg, const struct store_cert *c)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static void test_certs(void **state)
{
	struct store *s = open_fresh();
	struct store_cert c = cert("ab01", "SN-1", 5000), got;
	int n = 0;

	(void)state;
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	/* the same serial twice is impossible */
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_E_EXISTS);
	c = cert("ab02", "SN-1", 9000);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	assert_int_equal(store_cert_revoke(s, "ab01", 1, 2000), RP_OK);
	assert_int_equal(store_cert_revoke(s, "ab01", 1, 2000), RP_E_STATE);
	assert_int_equal(store_cert_revoke(s, "ffff", 1, 2000), RP_E_NOT_FOUND);
	assert_int_equal(store_cert_get(s, "ab01", &got), RP_OK);
	assert_int_equal(got.revoked_at, 2000);
	assert_int_equal(got.reason, 1);
	/* the CRL lists revoked certificates until they expire */
	assert_int_equal(
	    store_cert_each_revoked(s, STORE_CERT_DEVICE, 4000, count_cb, &n),
	    RP_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(
	    store_cert_each_revoked(s, STORE_CERT_DEVICE, 6000, count_cb, &n),
	    RP_OK);
	assert_int_equal(n, 0);
	n = 0;
	assert_int_equal(store_cert_each_of(s, "SN-1", count_cb, &n), RP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_cert_mark_used(s, "ab02", 3000), RP_OK);
	assert_int_equal(store_cert_mark_used(s, "ab02", 3001), RP_OK);
	assert_int_equal(store_cert_get(s, "ab02", &got), RP_OK);
	assert_int_equal(got.uses, 2);
	assert_int_equal(got.last_used_at, 3001);
	store_close(s);
}

static int refusal_cb(void *arg, const struct store_refusal *r)
{
	char *out = arg;

	strcat(out, r->reason);
	strcat(out, ";");
	return 0;
}

static void test_refusals_crl_meta(void **state)
{
	struct store *s = open_fresh();
	char seen[256] = "";
	uint8_t buf[8], der[3] = {1, 2, 3};
	size_t len = sizeof buf;
	int64_t n1 = 0, n2 = 0;

	(void)state;
	assert_int_equal(store_refusal_add(s, "/r", "127.0.0.1:1", "SN-1",
	                                   RP_E_NOT_ALLOWLISTED, "detail"),
	                 RP_OK);
	assert_int_equal(
	    store_refusal_add(s, "/r", NULL, NULL, RP_E_AUTH, NULL), RP_OK);
	assert_int_equal(store_refusal_each(s, 10, refusal_cb, seen), RP_OK);
	assert_string_equal(seen, "RP_E_AUTH;RP_E_NOT_ALLOWLISTED;");

	assert_int_equal(store_crl_next_number(s, &n1), RP_OK);
	assert_int_equal(n1, 1);
	assert_int_equal(store_crl_add(s, n1, 1, 2, der, sizeof der), RP_OK);
	assert_int_equal(store_crl_add(s, n1, 1, 2, der, sizeof der),
	                 RP_E_EXISTS);
	assert_int_equal(store_crl_next_number(s, &n2), RP_OK);
	assert_int_equal(n2, 2);

	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_E_NOT_FOUND);
	assert_int_equal(store_meta_set(s, "k", der, sizeof der), RP_OK);
	len = 2;
	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_E_BUFFER);
	len = sizeof buf;
	assert_int_equal(store_meta_get(s, "k", buf, &len), RP_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, der, 3);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrations),
	    cmocka_unit_test(test_devices),
	    cmocka_unit_test(test_rollback),
	    cmocka_unit_test(test_certs),
	    cmocka_unit_test(test_refusals_crl_meta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
