/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - the strict configuration reader: values of each type,
 * defaults, and every kind of bad input refused with file:line.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/config.h"

struct cfg {
	char *name;
	char *token;
	char *path;
	int64_t port;
	int tls;
	int store;
	int64_t lifetime;
	int64_t max_body;
	int64_t offset;
};

static const char *const stores[] = {"file", "pkcs11", "tpm", NULL};

static const struct rp_config_key keys[] = {
    {"", "name", RP_CONFIG_STRING, offsetof(struct cfg, name), 0, 0, NULL,
     "rampart", 0},
    {"", "offset", RP_CONFIG_INT, offsetof(struct cfg, offset), -100, 100, NULL,
     NULL, 0},
    {"http", "port", RP_CONFIG_INT, offsetof(struct cfg, port), 1, 65535, NULL,
     NULL, RP_CONFIG_REQUIRED},
    {"http", "tls", RP_CONFIG_BOOL, offsetof(struct cfg, tls), 0, 0, NULL, NULL,
     0},
    {"http", "max_body", RP_CONFIG_SIZE, offsetof(struct cfg, max_body), 1,
     1 << 30, NULL, NULL, 0},
    {"http", "token", RP_CONFIG_STRING, offsetof(struct cfg, token), 0, 0, NULL,
     NULL, RP_CONFIG_SECRET},
    {"pki.device", "store", RP_CONFIG_ENUM, offsetof(struct cfg, store), 0, 0,
     stores, NULL, 0},
    {"pki.device", "lifetime", RP_CONFIG_DURATION,
     offsetof(struct cfg, lifetime), 3600, 825 * 86400, NULL, NULL, 0},
    {"pki.device", "path", RP_CONFIG_STRING, offsetof(struct cfg, path), 0, 0,
     NULL, NULL, 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static rp_err parse(const char *text, struct cfg *c, struct rp_config_diag *d)
{
	memset(c, 0, sizeof *c);
	c->tls = 1;
	c->lifetime = 90 * 86400;
	return rp_config_parse(keys, NKEYS, text, strlen(text), "t.conf", c, d);
}

static void test_all_types(void **state)
{
	struct cfg c;
	struct rp_config_diag d;

	(void)state;
	assert_int_equal(parse("# Rampart\n"
	                       "name = fleet one\n"
	                       "offset = -42\n"
	                       "\n"
	                       "[http]\n"
	                       "port = 8443\n"
	                       "tls = off\n"
	                       "max_body = 64KiB\n"
	                       "token = \"a \\\"quoted\\\" # not a comment\"\n"
	                       "[ pki.device ]\n"
	                       "store = tpm\n"
	                       "lifetime = 30d\n"
	                       "path =\n",
	                       &c, &d),
	                 RP_OK);
	assert_string_equal(c.name, "fleet one");
	assert_int_equal(c.offset, -42);
	assert_int_equal(c.port, 8443);
	assert_int_equal(c.tls, 0);
	assert_int_equal(c.max_body, 65536);
	assert_string_equal(c.token, "a \"quoted\" # not a comment");
	assert_int_equal(c.store, 2);
	assert_int_equal(c.lifetime, 30 * 86400);
	assert_string_equal(c.path, "");
	rp_config_free(keys, NKEYS, &c);
	assert_null(c.name);
	assert_null(c.token);
}

static void test_defaults(void **state)
{
	struct cfg c;

	(void)state;
	assert_int_equal(parse("[http]\r\nport = 1\r\n", &c, NULL), RP_OK);
	assert_string_equal(c.name, "rampart"); /* schema default */
	assert_null(c.token);                   /* no default: NULL */
	assert_int_equal(c.tls, 1);             /* caller's value kept */
	assert_int_equal(c.lifetime, 90 * 86400);
	rp_config_free(keys, NKEYS, &c);
}

struct bad_case {
	const char *text;
	rp_err err;
	unsigned line;
	const char *msg_part;
};

static void test_bad_inputs(void **state)
{
	static const struct bad_case cases[] = {
	    {"[http]\nport = 1\nbogus = 2\n", RP_E_CONFIG_UNKNOWN_KEY, 3,
	     "unknown key 'bogus' in section [http]"},
	    {"port = 1\n", RP_E_CONFIG_UNKNOWN_KEY, 1, "unknown key 'port'"},
	    {"[web]\n", RP_E_CONFIG_UNKNOWN_SECTION, 1,
	     "unknown section [web]"},
	    {"[http]\nport = 1\n[http]\n", RP_E_CONFIG_DUPLICATE, 3,
	     "already started on line 1"},
	    {"[http]\nport = 1\nport = 2\n", RP_E_CONFIG_DUPLICATE, 3,
	     "already set on line 2"},
	    {"[http]\nport = 0\n", RP_E_CONFIG_BAD_VALUE, 2,
	     "out of range 1..65535"},
	    {"[http]\nport = 12ab\n", RP_E_CONFIG_BAD_VALUE, 2,
	     "bad value '12ab'"},
	    {"[http]\nport = 99999999999999999999999\n", RP_E_CONFIG_BAD_VALUE,
	     2, "expected an integer"},
	    {"[http]\nport = 1\ntls = maybe\n", RP_E_CONFIG_BAD_VALUE, 3,
	     "expected true or false"},
	    {"[http]\nport = 1\nmax_body = 2GiB\n", RP_E_CONFIG_BAD_VALUE, 3,
	     "out of range"},
	    {"[http]\nport = 1\nmax_body = 10MB\n", RP_E_CONFIG_BAD_VALUE, 3,
	     "expected a size"},
	    {"[http]\nport = 1\n[pki.device]\nstore = disk\n",
	     RP_E_CONFIG_BAD_VALUE, 4, "not one of the allowed values"},
	    {"[http]\nport = 1\n[pki.device]\nlifetime = 5w\n",
	     RP_E_CONFIG_BAD_VALUE, 4, "expected a duration"},
	    {"[http]\nport = 1\n[pki.device]\nlifetime = 59m\n",
	     RP_E_CONFIG_BAD_VALUE, 4, "out of range"},
	    {"[http]\nport = 1\n[pki.device]\n"
	     "lifetime = 106751991167301d\n",
	     RP_E_CONFIG_BAD_VALUE, 4, "expected a duration"},
	    {"[http\nport = 1\n", RP_E_SYNTAX, 1, "[name]"},
	    {"[HTTP]\n", RP_E_SYNTAX, 1, "bad section name"},
	    {"[http]\nport 1\n", RP_E_SYNTAX, 2, "expected key = value"},
	    {"[http]\nPort = 1\n", RP_E_SYNTAX, 2, "bad key name"},
	    {"[http]\n= 1\n", RP_E_SYNTAX, 2, "bad key name"},
	    {"[http]\nport = 1\ntoken = \"abc\n", RP_E_SYNTAX, 3,
	     "bad quoted value"},
	    {"[http]\nport = 1\ntoken = \"a\\nb\"\n", RP_E_SYNTAX, 3,
	     "bad quoted value"},
	    {"[http]\nport = 1\ntoken = a\"b\n", RP_E_SYNTAX, 3,
	     "quote inside"},
	    {"[http]\nport = 1\x01\n", RP_E_SYNTAX, 2, "control character"},
	    {"name = x\n", RP_E_CONFIG_MISSING, 0,
	     "missing required key 'port' in [http]"},
	    {"", RP_E_CONFIG_MISSING, 0, "missing required key"},
	};
	struct cfg c;
	struct rp_config_diag d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rp_err rc = parse(cases[i].text, &c, &d);
		if (rc != cases[i].err || d.line != cases[i].line ||
		    strstr(d.msg, cases[i].msg_part) == NULL)
			fail_msg("case %zu: got %s line %u '%s'", i,
			         rp_errname(rc), d.line, d.text);
		assert_string_equal(d.file, "t.conf");
		/* Nothing leaks and nothing is left half-set. */
		assert_null(c.name);
		assert_null(c.token);
	}
	/* The text form is file:line: message. */
	parse("[http]\nport = 0\n", &c, &d);
	assert_string_equal(d.text, "t.conf:2: port: value out of range "
	                            "1..65535");
}

static void test_secret_not_echoed(void **state)
{
	struct cfg c;
	struct rp_config_diag d;
	struct rp_config_key k[] = {
	    {"", "pin", RP_CONFIG_INT, offsetof(struct cfg, port), 0, 0, NULL,
	     NULL, RP_CONFIG_SECRET},
	};

	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(
	    rp_config_parse(k, 1, "pin = 12x4sekrit\n", 17, "s", &c, &d),
	    RP_E_CONFIG_BAD_VALUE);
	assert_null(strstr(d.text, "sekrit"));
	assert_non_null(strstr(d.text, "s:1: pin: bad value"));
}

static void test_limits(void **state)
{
	struct cfg c;
	struct rp_config_diag d;
	char *big;
	size_t n = RP_CONFIG_MAX_LINE + 20;

	(void)state;
	big = malloc(n + 16);
	assert_non_null(big);
	memcpy(big, "[http]\nname=", 12);
	memset(big + 12, 'a', n);
	big[n + 12] = '\0';
	assert_int_equal(parse(big, &c, &d), RP_E_TOO_BIG);
	assert_int_equal(d.line, 2);
	free(big);
	memset(&c, 0, sizeof c);
	assert_int_equal(rp_config_parse(keys, NKEYS, "[http]\nport=1\0\n", 15,
	                                 "nul", &c, &d),
	                 RP_E_SYNTAX);
	assert_non_null(strstr(d.msg, "NUL"));
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/rampart-config-XXXXXX";
	struct cfg c;
	struct rp_config_diag d;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[http]\nport = 7\nnope = 1\n", 25), 25);
	close(fd);
	memset(&c, 0, sizeof c);
	assert_int_equal(rp_config_load(keys, NKEYS, path, &c, &d),
	                 RP_E_CONFIG_UNKNOWN_KEY);
	assert_string_equal(d.file, path);
	assert_int_equal(d.line, 3);
	unlink(path);
	assert_int_equal(rp_config_load(keys, NKEYS, path, &c, &d),
	                 RP_E_NOT_FOUND);
	assert_non_null(strstr(d.text, "cannot open"));
	assert_int_equal(rp_config_load(keys, NKEYS, "/", &c, &d), RP_E_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_types),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_bad_inputs),
	    cmocka_unit_test(test_secret_not_echoed),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
