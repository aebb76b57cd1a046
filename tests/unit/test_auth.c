/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_auth.c - the admin permission (server/api/auth.c) on a real store:
 * the setup token is taken when its SHA-256 matches, refused when wrong,
 * missing or not a bearer token; and the token does not stay behind in
 * the request's parsed headers (which libevent frees without wiping).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/sha.h>

#include "api/api.h"
#include "cmocka_all.h"
#include "rampartd.h"
#include "store/store.h"

static const char token[] = "s3cret-setup-token-for-the-test";

/* A request carrying Authorization: value (none when NULL), its header
 * value (*h, libevent's copy) for the caller to look at afterwards. */
static struct evhttp_request *request(const char *value, const char **h)
{
	struct evhttp_request *req = evhttp_request_new(NULL, NULL);
	struct evkeyvalq *in;

	assert_non_null(req);
	in = evhttp_request_get_input_headers(req);
	*h = NULL;
	if (value != NULL) {
		assert_int_equal(evhttp_add_header(in, "Authorization", value),
		                 0);
		*h = evhttp_find_header(in, "Authorization");
	}
	return req;
}

static rp_err check(struct rampartd *rd, const char *value, const char **why,
                    int *wiped)
{
	const char *h;
	struct evhttp_request *req = request(value, &h);
	rp_err rc;

	*why = NULL;
	rc = api_auth_admin(rd, req, why);
	/* "Bearer " stays, every byte of the token after it is zero */
	*wiped = h == NULL || strlen(h) <= 7;
	evhttp_request_free(req);
	return rc;
}

static void test_admin_token(void **state)
{
	char dir[] = "/tmp/rp-auth-XXXXXX", spec[128], path[160], bearer[64];
	uint8_t hash[32];
	struct rampartd rd;
	const char *why;
	int wiped;

	(void)state;
	memset(&rd, 0, sizeof rd);
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof spec, "sqlite:%s/rampart.db", dir);
	assert_int_equal(store_open(spec, &rd.store), RP_OK);
	snprintf(bearer, sizeof bearer, "Bearer %s", token);

	/* before a token is configured nothing passes */
	assert_int_equal(check(&rd, bearer, &why, &wiped), RP_E_AUTH);
	assert_string_equal(why, "no setup token is configured");

	SHA256((const unsigned char *)token, strlen(token), hash);
	assert_int_equal(
	    store_meta_set(rd.store, RD_META_SETUP_TOKEN, hash, sizeof hash),
	    RP_OK);
	assert_int_equal(check(&rd, bearer, &why, &wiped), RP_OK);
	assert_true(wiped);
	assert_int_equal(check(&rd, "Bearer wrong", &why, &wiped), RP_E_AUTH);
	assert_string_equal(why, "wrong bearer token");
	assert_true(wiped);
	assert_int_equal(check(&rd, NULL, &why, &wiped), RP_E_AUTH);
	assert_string_equal(why, "no bearer token");
	assert_int_equal(check(&rd, "Basic dXNlcjpwYXNz", &why, &wiped),
	                 RP_E_AUTH);
	assert_string_equal(why, "no bearer token");
	assert_int_equal(check(&rd, "Bearer ", &why, &wiped), RP_E_AUTH);

	store_close(rd.store);
	snprintf(path, sizeof path, "%s/rampart.db", dir);
	(void)unlink(path);
	snprintf(path, sizeof path, "%s/rampart.db-wal", dir);
	(void)unlink(path);
	snprintf(path, sizeof path, "%s/rampart.db-shm", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admin_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
