/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c - rp_json_load_object (lib/proto/json.c): an object, the
 * refusals, and, in a faultsim build, a parse during which an allocation
 * failed is RP_E_NOMEM even when jansson succeeded: jansson 2.14 drops
 * the byte when its lexer's token buffer cannot grow from 16 to 32 bytes
 * and goes on (akheron/jansson#362), so a 20-byte string would come back
 * 19 bytes long and RP_OK.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "rampart/alloc.h"
#include "rampart/json.h"

static rp_err load(const char *text, json_t **o)
{
	return rp_json_load_object(text, strlen(text), o, NULL);
}

static void test_objects(void **state)
{
	json_error_t why;
	json_t *o;

	(void)state;
	assert_int_equal(load("{\"a\":1}", &o), RP_OK);
	assert_int_equal(json_integer_value(json_object_get(o, "a")), 1);
	json_decref(o);
	assert_int_equal(load("[1]", &o), RP_E_SYNTAX);
	assert_null(o);
	assert_int_equal(load("{\"a\":1,\"a\":2}", &o), RP_E_SYNTAX);
	assert_int_equal(load("{\"a\":1} x", &o), RP_E_SYNTAX);
	assert_int_equal(rp_json_load_object("{", 1, &o, &why), RP_E_SYNTAX);
	assert_true(why.text[0] != '\0');
	assert_int_equal(rp_json_load_object("", 0, &o, NULL), RP_E_SYNTAX);
	assert_int_equal(rp_json_load_object(NULL, 1, &o, NULL), RP_E_INVAL);
	assert_int_equal(rp_json_load_object("{}", 2, NULL, NULL), RP_E_INVAL);
}

#ifdef RP_FAULTSIM
static bool grow_failed;

/* jansson's allocator: the first 32-byte request (the lexer's buffer
 * growing from 16) fails through the fault hook; the rest is rp_malloc. */
static void *fail_growth(size_t n)
{
	void *p;

	if (n != 32 || grow_failed)
		return rp_malloc(n);
	grow_failed = true;
	rp_alloc_fail_at(1, false);
	p = rp_malloc(n);
	rp_alloc_fail_at(0, false);
	return p;
}

static void test_dropped_byte(void **state)
{
	static const char text[] = "{\"k\":\"abcdefghijklmnopqrst\"}";
	json_t *o = (json_t *)1;

	(void)state;
	json_set_alloc_funcs(fail_growth, rp_free);
	assert_int_equal(load(text, &o), RP_E_NOMEM);
	assert_null(o);
	assert_true(grow_failed);
	/* and with memory, the whole string */
	assert_int_equal(load(text, &o), RP_OK);
	assert_string_equal(json_string_value(json_object_get(o, "k")),
	                    "abcdefghijklmnopqrst");
	json_decref(o);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objects),
#ifdef RP_FAULTSIM
	    cmocka_unit_test(test_dropped_byte),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
