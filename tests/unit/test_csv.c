/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_csv.c - rp_csv_split (lib/base/csv.c), the one CSV line splitter:
 * RFC 4180 quoting, the trailing comma, each fault with the field it
 * names, and the bound of each field exactly at its buffer.
 */
#include <string.h>

#include "cmocka_all.h"
#include "rampart/csv.h"

#define NF 3

static char c[NF][8];
static struct rp_csv_field f[NF] = {{c[0], 8}, {c[1], 8}, {c[2], 8}};

static rp_err split(const char *line, struct rp_csv_error *e)
{
	memset(c, 'x', sizeof c);
	memset(e, 0, sizeof *e);
	return rp_csv_split(line, strlen(line), f, NF, e);
}

static void test_fields(void **state)
{
	static const struct {
		const char *line, *a, *b, *c;
	} ok[] = {
	    {"a,b,c", "a", "b", "c"},
	    {",,", "", "", ""},
	    {"a,b,", "a", "b", ""},             /* a trailing comma: empty */
	    {"\"a,b\",\"\",c", "a,b", "", "c"}, /* quoted comma, empty */
	    {"\"say \"\"hi\"\"\",b,c", "say \"h", NULL, NULL},
	    {"1234567,b,c", "1234567", "b", "c"}, /* 7 bytes: the bound */
	};
	struct rp_csv_error e;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		rp_err rc = split(ok[i].line, &e);

		if (ok[i].b == NULL) {
			/* "say "hi"" is 8 bytes: one more than the field */
			assert_int_equal(rc, RP_E_CSV);
			assert_int_equal(e.fault, RP_CSV_TOO_LONG);
			assert_int_equal(e.field, 0);
			continue;
		}
		assert_int_equal(rc, RP_OK);
		assert_string_equal(c[0], ok[i].a);
		assert_string_equal(c[1], ok[i].b);
		assert_string_equal(c[2], ok[i].c);
	}
	assert_int_equal(split("x,\"a\"\"b\",c", &e), RP_OK);
	assert_string_equal(c[1], "a\"b");
}

static void test_faults(void **state)
{
	static const struct {
		const char *line;
		enum rp_csv_fault fault;
		size_t field;
	} bad[] = {
	    {"a,b,c,d", RP_CSV_TOO_MANY, 3},
	    {"a,b,c,", RP_CSV_TOO_MANY, 3},
	    {"a,b", RP_CSV_TOO_FEW, 2},
	    {"", RP_CSV_TOO_FEW, 1},
	    {"a,\"b,c", RP_CSV_UNTERMINATED, 1},
	    {"a,\"b\"x,c", RP_CSV_AFTER_QUOTE, 1},
	    {"a,b,c\"d", RP_CSV_QUOTE_INSIDE, 2},
	    {"a,12345678,c", RP_CSV_TOO_LONG, 1},
	};
	struct rp_csv_error e;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(split(bad[i].line, &e), RP_E_CSV);
		assert_int_equal(e.fault, bad[i].fault);
		assert_int_equal(e.field, bad[i].field);
	}
	/* no error out-parameter needed; bad arguments */
	assert_int_equal(rp_csv_split("a,b", 3, f, NF, NULL), RP_E_CSV);
	assert_int_equal(rp_csv_split(NULL, 1, f, NF, NULL), RP_E_INVAL);
	assert_int_equal(rp_csv_split("a", 1, NULL, NF, NULL), RP_E_INVAL);
	assert_int_equal(rp_csv_split("a", 1, f, 0, NULL), RP_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
