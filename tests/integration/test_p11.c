/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_p11.c - lib/base/p11.c against a real softhsm2 token: two sessions
 * on one module share it (one load, one C_Initialize, released with the
 * last), a login belongs to the token (closing one logged-in session
 * leaves the other logged in; the last one out logs out), a token that
 * is not there is RP_E_PKCS11_NO_KEY, a wrong PIN is
 * RP_E_PASSPHRASE, and the URI checks on top of p11-kit's parser refuse
 * unknown query attributes, module-name, a NUL in a label and a type
 * other than private.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lib/base/p11_int.h"
#include "cmocka_all.h"
#include "rpt.h"

#define SOFTHSM_MODULE RPT_SOFTHSM_MODULE

static char dir[512];

static int setup(void **state)
{
	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	return rpt_softhsm_init(dir, "alpha");
}

static void test_shared_module(void **state)
{
	struct rp_p11 a, b;

	(void)state;
	assert_int_equal(rp_p11_module_refs(SOFTHSM_MODULE), 0);
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "alpha", true, &a),
	                 RP_OK);
	assert_int_equal(rp_p11_login(&a, "1234"), RP_OK);
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "alpha", false, &b),
	                 RP_OK);
	/* One module, two sessions: the same function list, two refs. */
	assert_ptr_equal(a.f, b.f);
	assert_int_equal(rp_p11_module_refs(SOFTHSM_MODULE), 2);
	rp_p11_close(&a);
	assert_int_equal(rp_p11_module_refs(SOFTHSM_MODULE), 1);
	/* The other session still works after the first closed. */
	assert_int_equal(rp_p11_login(&b, "1234"), RP_OK);
	rp_p11_close(&b);
	assert_int_equal(rp_p11_module_refs(SOFTHSM_MODULE), 0);
	/* Loaded again after the last release. */
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "alpha", true, &a),
	                 RP_OK);
	rp_p11_close(&a);
}

/* Is the session logged in as the user? */
static bool user_session(const struct rp_p11 *p)
{
	CK_SESSION_INFO si;

	assert_int_equal(p->f->C_GetSessionInfo(p->s, &si), CKR_OK);
	return si.state == CKS_RO_USER_FUNCTIONS ||
	       si.state == CKS_RW_USER_FUNCTIONS;
}

static void test_shared_login(void **state)
{
	struct rp_p11 a, b;

	(void)state;
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "alpha", true, &a),
	                 RP_OK);
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "alpha", false, &b),
	                 RP_OK);
	assert_int_equal(rp_p11_login(&a, "1234"), RP_OK);
	assert_int_equal(rp_p11_login(&b, "1234"), RP_OK); /* already in */
	assert_true(user_session(&b));
	/* a's close must not log out b (C_Logout is the token's) */
	rp_p11_close(&a);
	assert_true(user_session(&b));
	/* the last one out logs out: a new session is public again */
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "alpha", true, &a),
	                 RP_OK);
	rp_p11_close(&b);
	assert_false(user_session(&a));
	rp_p11_close(&a);
}

static void test_missing_token(void **state)
{
	struct rp_p11 p;
	P11KitUri *u = NULL;

	(void)state;
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "nosuch", true, &p),
	                 RP_E_PKCS11_NO_KEY);
	assert_int_equal(
	    rp_p11_uri_parse("pkcs11:token=nosuch;object=k", NULL, &u), RP_OK);
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, u, NULL, false, &p),
	                 RP_E_PKCS11_NO_KEY);
	rp_p11_uri_free(u);
	assert_int_equal(rp_p11_module_refs(SOFTHSM_MODULE), 0);
	assert_int_equal(
	    rp_p11_open("/nonexistent.so", NULL, "alpha", true, &p),
	    RP_E_PKCS11);
}

static void test_wrong_pin(void **state)
{
	struct rp_p11 p;

	(void)state;
	assert_int_equal(rp_p11_open(SOFTHSM_MODULE, NULL, "alpha", true, &p),
	                 RP_OK);
	assert_int_equal(rp_p11_login(&p, "0000"), RP_E_PASSPHRASE);
	rp_p11_close(&p);
}

static void test_uri(void **state)
{
	static const char *const q[] = {"pin-value", "module-path", NULL};
	static const char *const bad[] = {
	    "pkcs11:object=k?foo=1",               /* unknown query */
	    "pkcs11:object=k?pin-value=1&pin-x=2", /* unknown query */
	    "pkcs11:object=k?module-name=softhsm", /* by name */
	    "pkcs11:object=k%00x",                 /* NUL in a label */
	    "pkcs11:object=k;type=public",         /* not private */
	    "pkcs11:objekt=k",                     /* unknown path attr */
	    "pkcs11:object=k%zz",                  /* bad escape */
	    "pkcs11:object",                       /* no value */
	    "file:/x",                             /* not pkcs11 */
	};
	P11KitUri *u = NULL;
	CK_ATTRIBUTE *a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(rp_p11_uri_parse(bad[i], q, &u), RP_E_INVAL);
		assert_null(u);
	}
	assert_int_equal(
	    rp_p11_uri_parse("pkcs11:token=my%20tok;object=k;type=private?"
	                     "pin-value=12%3B4&module-path=/m.so",
	                     q, &u),
	    RP_OK);
	assert_string_equal(p11_kit_uri_get_pin_value(u), "12;4");
	assert_string_equal(p11_kit_uri_get_module_path(u), "/m.so");
	a = p11_kit_uri_get_attribute(u, CKA_LABEL);
	assert_non_null(a);
	assert_int_equal(a->ulValueLen, 1);
	rp_p11_uri_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uri),
	    cmocka_unit_test(test_shared_module),
	    cmocka_unit_test(test_shared_login),
	    cmocka_unit_test(test_missing_token),
	    cmocka_unit_test(test_wrong_pin),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
