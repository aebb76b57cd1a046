/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_router.c - rampartd's route matcher (server/http/router.c): literal
 * and {param} segments, what does not match (an empty or too long
 * parameter, a trailing or doubled slash, a prefix), the first route of
 * the method, the Allow bits of a known path (405) and none of an unknown
 * one (404), method names of a request line, the Allow list.
 */
#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "http/router.h"

static void h_a(struct rampartd *rd, struct evhttp_request *req,
                const struct router_req *rr)
{
	(void)rd;
	(void)req;
	(void)rr;
}

static void h_b(struct rampartd *rd, struct evhttp_request *req,
                const struct router_req *rr)
{
	(void)rd;
	(void)req;
	(void)rr;
}

static const struct route table[] = {
    {EVHTTP_REQ_GET, "/api/v1/devices", ROUTER_PERM_ADMIN, 0, 0, h_a},
    {EVHTTP_REQ_GET, "/api/v1/devices/{id}", ROUTER_PERM_ADMIN, 0, 1, h_a},
    {EVHTTP_REQ_DELETE, "/api/v1/devices/{id}", ROUTER_PERM_ADMIN, 0, 2, h_b},
    {EVHTTP_REQ_POST, "/api/v1/devices/{id}/revoke", ROUTER_PERM_ADMIN, 3, 3,
     h_b},
    {EVHTTP_REQ_POST, "/api/v1/devices/{id}/revoke", ROUTER_PERM_NONE, 0, 4,
     h_a},
    {EVHTTP_REQ_GET, "/", ROUTER_PERM_NONE, 0, 5, h_a},
};

#define N (sizeof table / sizeof table[0])

static const struct route *find(unsigned m, const char *path,
                                struct router_req *rr, unsigned *allow)
{
	return router_find(table, N, m, path, rr, allow);
}

static void test_literal_and_param(void **state)
{
	struct router_req rr;
	unsigned allow = 0;
	const struct route *r;

	(void)state;
	r = find(EVHTTP_REQ_GET, "/api/v1/devices", &rr, &allow);
	assert_ptr_equal(r, &table[0]);
	assert_ptr_equal(rr.route, r);
	assert_string_equal(rr.path, "/api/v1/devices");
	assert_int_equal(rr.n_params, 0);
	assert_int_equal(allow, EVHTTP_REQ_GET);

	r = find(EVHTTP_REQ_DELETE, "/api/v1/devices/SN-1", &rr, &allow);
	assert_ptr_equal(r, &table[2]);
	assert_int_equal(rr.n_params, 1);
	assert_string_equal(rr.param[0], "SN-1");
	assert_int_equal(allow, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE);
	assert_int_equal(rr.who.perm, ROUTER_PERM_NONE);

	/* the first route of the method wins */
	r = find(EVHTTP_REQ_POST, "/api/v1/devices/x/revoke", &rr, NULL);
	assert_ptr_equal(r, &table[3]);
	assert_string_equal(rr.param[0], "x");
	/* the root path */
	assert_ptr_equal(find(EVHTTP_REQ_GET, "/", NULL, NULL), &table[5]);
}

static void test_param_bounds(void **state)
{
	char id[ROUTER_PARAM_MAX + 2], path[128];
	struct router_req rr;

	(void)state;
	memset(id, 'a', ROUTER_PARAM_MAX);
	id[ROUTER_PARAM_MAX] = '\0';
	snprintf(path, sizeof path, "/api/v1/devices/%s", id);
	assert_non_null(find(EVHTTP_REQ_GET, path, &rr, NULL));
	assert_string_equal(rr.param[0], id);
	/* one byte longer: no route */
	id[ROUTER_PARAM_MAX] = 'a';
	id[ROUTER_PARAM_MAX + 1] = '\0';
	snprintf(path, sizeof path, "/api/v1/devices/%s", id);
	assert_null(find(EVHTTP_REQ_GET, path, NULL, NULL));
}

static void test_no_match(void **state)
{
	static const char *const paths[] = {
	    "/api/v1/devices/",
	    "/api/v1/devices//revoke",
	    "/api/v1/devices/x/",
	    "/api/v1/devices/x/revoke/",
	    "/api/v1/device",
	    "/api/v1/devicesx",
	    "/api/v1",
	    "//",
	    "",
	    "/api/v1/devices/x/y/revoke",
	    "api/v1/devices",
	    "/API/v1/devices",
	};
	unsigned allow;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		allow = 77;
		assert_null(find(EVHTTP_REQ_GET, paths[i], NULL, &allow));
		assert_int_equal(allow, 0); /* unknown: 404 */
	}
}

static void test_other_method(void **state)
{
	unsigned allow = 0;
	char list[64];

	(void)state;
	/* known path, another method: 405 with Allow */
	assert_null(find(EVHTTP_REQ_PUT, "/api/v1/devices/SN-1", NULL, &allow));
	assert_int_equal(allow, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE);
	router_allow_list(allow, list, sizeof list);
	assert_string_equal(list, "GET, DELETE");
	assert_null(
	    find(EVHTTP_REQ_GET, "/api/v1/devices/a/revoke", NULL, &allow));
	assert_int_equal(allow, EVHTTP_REQ_POST);
	router_allow_list(allow, list, sizeof list);
	assert_string_equal(list, "POST");
	router_allow_list(0, list, sizeof list);
	assert_string_equal(list, "");
	/* a list cut by its buffer stays a list of whole names */
	router_allow_list(EVHTTP_REQ_GET | EVHTTP_REQ_DELETE, list, 7);
	assert_string_equal(list, "GET");
}

static void test_method_names(void **state)
{
	(void)state;
	assert_int_equal(router_method("GET", 3), EVHTTP_REQ_GET);
	assert_int_equal(router_method("POST /x", 4), EVHTTP_REQ_POST);
	assert_int_equal(router_method("DELETE", 6), EVHTTP_REQ_DELETE);
	assert_int_equal(router_method("PATCH", 5), EVHTTP_REQ_PATCH);
	assert_int_equal(router_method("get", 3), 0);
	assert_int_equal(router_method("GE", 2), 0);
	assert_int_equal(router_method("GETS", 4), 0);
	assert_int_equal(router_method("", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literal_and_param),
	    cmocka_unit_test(test_param_bounds),
	    cmocka_unit_test(test_no_match),
	    cmocka_unit_test(test_other_method),
	    cmocka_unit_test(test_method_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
