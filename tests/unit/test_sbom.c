/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sbom.c - CycloneDX (lib/sbom/cdx.c, cdx_write.c, inputs.c): the
 * fixtures parse into their components (nested ones flattened, licences
 * and hashes read); each kind of fault is refused with its code and the
 * JSON path that names it; what the writer builds from a dpkg status
 * file and a components CSV parses back the same, and their faults name
 * the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "rampart/alloc.h"
#include "rampart/file.h"
#include "sbom.h"

static char *fixture(const char *name, size_t *len)
{
	const char *src = getenv("RP_SRC_DIR");
	char path[512], *buf;

	assert_non_null(src);
	snprintf(path, sizeof path, "%s/tests/unit/fixtures/sbom/%s", src,
	         name);
	assert_int_equal(rp_file_read(path, RP_SBOM_MAX_FILE, &buf, len),
	                 RP_OK);
	return buf;
}

static void test_valid(void **state)
{
	struct rp_sbom_diag d;
	struct rp_sbom *s;
	size_t len;
	char *buf = fixture("valid-1.6.json", &len);

	(void)state;
	if (rp_sbom_parse(buf, len, &s, &d) != RP_OK)
		fail_msg("refused: %s", d.msg);
	assert_string_equal(s->spec_version, "1.6");
	assert_string_equal(s->name, "gateway");
	assert_string_equal(s->version, "2.4.0");
	assert_non_null(s->serial);
	assert_int_equal(s->ncomp, 4);
	assert_string_equal(s->comp[0].name, "libssl3");
	assert_string_equal(s->comp[0].licence, "Apache-2.0");
	assert_int_equal(s->comp[0].nhash, 2);
	assert_string_equal(s->comp[0].hash[1].alg, "MD5");
	assert_string_equal(s->comp[1].licence, "GPL-2.0-only");
	assert_string_equal(s->comp[2].name, "busybox.links");
	assert_int_equal(s->comp[2].depth, 1);
	assert_string_equal(s->comp[2].path, "$.components[1].components[0]");
	assert_string_equal(s->comp[2].licence, "Acme licence, MIT");
	assert_null(s->comp[2].version);
	assert_string_equal(s->comp[3].purl, "pkg:npm/lodash@4.17.20");
	rp_sbom_free(s);
	rp_free(buf);
	buf = fixture("valid-1.5.json", &len);
	assert_int_equal(rp_sbom_parse(buf, len, &s, &d), RP_OK);
	assert_int_equal(s->ncomp, 0);
	rp_sbom_free(s);
	rp_free(buf);
}

#define HEAD "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\","
#define LIB  "{\"type\":\"library\",\"name\":\"x\""
#define H64  "2a7220ed7d1a859fd1a4833c24735d3a783f485fff4ea0b78b183ed868e034e6"

static void test_refused(void **state)
{
	static const struct {
		const char *json;
		rp_err rc;
		const char *msg; /* a prefix of the message: path and why */
	} v[] = {
	    {"{", RP_E_SYNTAX, "$: not JSON"},
	    {"[]", RP_E_SYNTAX, "$: not a JSON object"},
	    {"{\"a\":1,\"a\":2}", RP_E_SYNTAX, "$: not JSON"},
	    {"{\"specVersion\":\"1.6\"}", RP_E_SYNTAX, "$.bomFormat: missing"},
	    {"{\"bomFormat\":\"SPDX\",\"specVersion\":\"1.6\"}", RP_E_SYNTAX,
	     "$.bomFormat: not \"CycloneDX\""},
	    {"{\"bomFormat\":\"CycloneDX\"}", RP_E_SYNTAX,
	     "$.specVersion: missing"},
	    {"{\"bomFormat\":\"CycloneDX\",\"specVersion\":1.6}", RP_E_SYNTAX,
	     "$.specVersion: not a string"},
	    {"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\"}",
	     RP_E_UNSUPPORTED, "$.specVersion: CycloneDX 1.4 is not accepted"},
	    {HEAD "\"colour\":1}", RP_E_SYNTAX,
	     "$: 'colour' is not a key of a CycloneDX document"},
	    {HEAD "\"serialNumber\":\"urn:uuid:3E671687-395b-41f5-a30f-"
	          "a58921a69b79\"}",
	     RP_E_SYNTAX, "$.serialNumber: not urn:uuid:"},
	    {HEAD "\"version\":0}", RP_E_SYNTAX, "$.version: not an integer"},
	    {HEAD "\"metadata\":[]}", RP_E_SYNTAX, "$.metadata: not an object"},
	    {HEAD "\"metadata\":{\"component\":{\"type\":\"firmware\"}}}",
	     RP_E_SYNTAX, "$.metadata.component.name: missing"},
	    {HEAD "\"components\":{}}", RP_E_SYNTAX,
	     "$.components: not an array"},
	    {HEAD "\"components\":[1]}", RP_E_SYNTAX,
	     "$.components[0]: not an object"},
	    {HEAD "\"components\":[{\"name\":\"x\"}]}", RP_E_SYNTAX,
	     "$.components[0].type: missing"},
	    {HEAD "\"components\":[{\"type\":\"lib\",\"name\":\"x\"}]}",
	     RP_E_SYNTAX,
	     "$.components[0].type: 'lib' is not a CycloneDX component type"},
	    {HEAD "\"components\":[{\"type\":\"library\"}]}", RP_E_SYNTAX,
	     "$.components[0].name: missing"},
	    {HEAD "\"components\":[{\"type\":\"library\",\"name\":\"\"}]}",
	     RP_E_SYNTAX, "$.components[0].name: empty"},
	    {HEAD "\"components\":[{\"type\":\"library\",\"name\":\"a\\u0001\"}"
	          "]}",
	     RP_E_SYNTAX, "$.components[0].name: a control character"},
	    {HEAD "\"components\":[{\"type\":\"library\",\"name\":7}]}",
	     RP_E_SYNTAX, "$.components[0].name: not a string"},
	    {HEAD "\"components\":[" LIB ",\"colour\":\"red\"}]}", RP_E_SYNTAX,
	     "$.components[0]: 'colour' is not a key of a CycloneDX "
	     "component"},
	    {HEAD "\"components\":[" LIB "}," LIB ",\"purl\":\"curl\"}]}",
	     RP_E_SYNTAX,
	     "$.components[1].purl: not a package URL (no 'pkg:' scheme)"},
	    {HEAD "\"components\":[" LIB ",\"version\":[]}]}", RP_E_SYNTAX,
	     "$.components[0].version: not a string"},
	    {HEAD "\"components\":[" LIB ",\"scope\":\"maybe\"}]}", RP_E_SYNTAX,
	     "$.components[0].scope: not required"},
	    {HEAD "\"components\":[" LIB ",\"hashes\":{}}]}", RP_E_SYNTAX,
	     "$.components[0].hashes: not an array"},
	    {HEAD "\"components\":[" LIB ",\"hashes\":[{\"alg\":\"SHA-257\","
	          "\"content\":\"" H64 "\"}]}]}",
	     RP_E_SYNTAX,
	     "$.components[0].hashes[0].alg: 'SHA-257' is not a CycloneDX "
	     "hash algorithm"},
	    {HEAD "\"components\":[" LIB ",\"hashes\":[{\"alg\":\"SHA-1\","
	          "\"content\":\"" H64 "\"}]}]}",
	     RP_E_SYNTAX,
	     "$.components[0].hashes[0].content: not 40 hex digits (SHA-1)"},
	    {HEAD "\"components\":[" LIB ",\"hashes\":[{\"alg\":\"MD5\","
	          "\"content\":\"3942447fac867ae5cdb3229b658f4d4g\"}]}]}",
	     RP_E_SYNTAX, "$.components[0].hashes[0].content: not 32 hex"},
	    {HEAD "\"components\":[" LIB ",\"hashes\":[{\"alg\":\"MD5\"}]}]}",
	     RP_E_SYNTAX, "$.components[0].hashes[0].content: not a string"},
	    {HEAD "\"components\":[" LIB ",\"hashes\":[{\"alg\":\"BLAKE3\","
	          "\"content\":\"abc\",\"x\":1}]}]}",
	     RP_E_SYNTAX,
	     "$.components[0].hashes[0]: 'x' is not a key of a "
	     "hash"},
	    {HEAD "\"components\":[" LIB ",\"hashes\":[{\"alg\":\"BLAKE3\","
	          "\"content\":\"abc\"}]}]}",
	     RP_E_SYNTAX,
	     "$.components[0].hashes[0].content: not 32, 40, 64, 96 or 128"},
	    {HEAD "\"components\":[" LIB ",\"licenses\":{}}]}", RP_E_SYNTAX,
	     "$.components[0].licenses: not an array"},
	    {HEAD "\"components\":[" LIB ",\"licenses\":[{\"expression\":\"MIT"
	          "\"},{\"license\":{\"id\":\"MIT\"}}]}]}",
	     RP_E_SYNTAX, "$.components[0].licenses[0]: an expression must be"},
	    {HEAD "\"components\":[" LIB ",\"licenses\":[{\"license\":{\"id\":"
	          "\"MIT\",\"name\":\"MIT\"}}]}]}",
	     RP_E_SYNTAX,
	     "$.components[0].licenses[0].license: needs exactly one of id"},
	    {HEAD "\"components\":[" LIB ",\"licenses\":[{\"licence\":{}}]}]}",
	     RP_E_SYNTAX,
	     "$.components[0].licenses[0]: 'licence' is not a "
	     "key"},
	    {HEAD "\"components\":[" LIB ",\"components\":[" LIB
	          ",\"components\":[" LIB ","
	          "\"purl\":\"pkg:x\"}]}]}]}",
	     RP_E_SYNTAX,
	     "$.components[0].components[0].components[0].purl: not a "
	     "package URL"},
	    {HEAD "\"components\":[" LIB ",\"components\":{}}]}", RP_E_SYNTAX,
	     "$.components[0].components: not an array"},
	};
	struct rp_sbom_diag d;
	struct rp_sbom *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		rp_err rc = rp_sbom_parse(v[i].json, strlen(v[i].json), &s, &d);

		if (rc != v[i].rc ||
		    strncmp(d.msg, v[i].msg, strlen(v[i].msg)) != 0)
			fail_msg("%zu: %s: '%s', wanted %s '%s'", i,
			         rp_errname(rc), d.msg, rp_errname(v[i].rc),
			         v[i].msg);
		assert_null(s);
	}
}

/* Append text to the buffer b of cap bytes at *n. */
static void app(char *b, size_t cap, size_t *n, const char *text)
{
	size_t l = strlen(text);

	assert_true(*n + l < cap);
	memcpy(b + *n, text, l + 1);
	*n += l;
}

/* The limits: size, nesting depth, string length, counts. */
static void test_limits(void **state)
{
	const size_t cap = 4u << 20;
	struct rp_sbom_diag d;
	struct rp_sbom *s;
	char *j = rp_malloc(cap);
	size_t i, k, n;
	rp_err rc;

	(void)state;
	assert_non_null(j);
	assert_int_equal(rp_sbom_parse("{}", RP_SBOM_MAX_FILE + 1, &s, &d),
	                 RP_E_TOO_BIG);
	assert_int_equal(rp_sbom_parse("", 0, &s, &d), RP_E_SYNTAX);
	/* nesting: RP_SBOM_MAX_DEPTH levels fine, one more refused */
	for (k = RP_SBOM_MAX_DEPTH; k <= RP_SBOM_MAX_DEPTH + 1; k++) {
		n = 0;
		app(j, cap, &n, HEAD "\"components\":[");
		for (i = 1; i < k; i++)
			app(j, cap, &n, LIB ",\"components\":[");
		app(j, cap, &n, LIB "}");
		for (i = 1; i < k; i++)
			app(j, cap, &n, "]}");
		app(j, cap, &n, "]}");
		rc = rp_sbom_parse(j, n, &s, &d);
		if (k == RP_SBOM_MAX_DEPTH) {
			assert_int_equal(rc, RP_OK);
			assert_int_equal(s->ncomp, k);
			rp_sbom_free(s);
		} else {
			assert_int_equal(rc, RP_E_TOO_BIG);
			assert_non_null(strstr(d.msg, "nested more than 8"));
		}
	}
	/* a name one byte too long */
	n = 0;
	app(j, cap, &n,
	    HEAD "\"components\":[{\"type\":\"library\",\"name\":\"");
	for (i = 0; i <= RP_SBOM_MAX_STR; i++)
		app(j, cap, &n, "a");
	app(j, cap, &n, "\"}]}");
	assert_int_equal(rp_sbom_parse(j, n, &s, &d), RP_E_TOO_BIG);
	assert_string_equal(d.msg, "$.components[0].name: 1025 bytes, more "
	                           "than the limit of 1024");
	/* too many hashes */
	n = 0;
	app(j, cap, &n, HEAD "\"components\":[" LIB ",\"hashes\":[");
	for (i = 0; i <= RP_SBOM_MAX_HASHES; i++)
		app(j, cap, &n,
		    i == 0 ? "{\"alg\":\"SHA-256\",\"content\":\"" H64 "\"}"
		           : ",{\"alg\":\"SHA-256\",\"content\":\"" H64 "\"}");
	app(j, cap, &n, "]}]}");
	assert_int_equal(rp_sbom_parse(j, n, &s, &d), RP_E_TOO_BIG);
	assert_string_equal(d.msg, "$.components[0].hashes: more than 16 "
	                           "hashes");
	/* too many components, counted over all levels */
	n = 0;
	app(j, cap, &n, HEAD "\"components\":[" LIB ",\"components\":[");
	for (i = 0; i < RP_SBOM_MAX_COMPONENTS; i++)
		app(j, cap, &n, i == 0 ? LIB "}" : "," LIB "}");
	app(j, cap, &n, "]}]}");
	assert_int_equal(rp_sbom_parse(j, n, &s, &d), RP_E_TOO_BIG);
	assert_non_null(strstr(d.msg, "more than 50000 components"));
	rp_free(j);
}

/* What rp_sbom_add and the writer build, the parser reads back. */
static void test_write(void **state)
{
	struct rp_sbom_component c = {0};
	struct rp_sbom_diag d;
	struct rp_sbom *s, *back;
	char *text;
	size_t len;

	(void)state;
	s = rp_sbom_new("gateway", "2.4.0", 1764763200);
	assert_non_null(s);
	c.name = "zlib";
	c.version = "1.2.13";
	c.purl = "pkg:generic/zlib@1.2.13";
	c.licence = "Zlib";
	c.nhash = 1;
	c.hash[0].alg = "SHA-256";
	c.hash[0].content = H64;
	assert_int_equal(rp_sbom_add(s, &c, &d), RP_OK);
	c.licence = "BSD-style, see COPYING";
	c.nhash = 0;
	c.purl = NULL;
	assert_int_equal(rp_sbom_add(s, &c, &d), RP_OK);
	/* refusals of the parser's own checks, the component not kept */
	c.purl = "zlib@1";
	assert_int_equal(rp_sbom_add(s, &c, &d), RP_E_SYNTAX);
	assert_string_equal(d.msg, "$.components[2].purl: not a package URL "
	                           "(no 'pkg:' scheme)");
	c.purl = NULL;
	c.nhash = 1;
	c.hash[0].content = "abc";
	assert_int_equal(rp_sbom_add(s, &c, &d), RP_E_SYNTAX);
	assert_non_null(strstr(d.msg, "$.components[2].hashes[0].content"));
	c.nhash = 0;
	c.name = "bad\xff";
	assert_int_equal(rp_sbom_add(s, &c, &d), RP_E_SYNTAX);
	assert_int_equal(s->ncomp, 2);
	assert_int_equal(rp_sbom_write(s, &text, &len), RP_OK);
	assert_int_equal(text[len - 1], '\n');
	assert_non_null(
	    strstr(text, "\"timestamp\": \"2025-12-03T12:00:00Z\""));
	if (rp_sbom_parse(text, len, &back, &d) != RP_OK)
		fail_msg("own output refused: %s\n%s", d.msg, text);
	assert_string_equal(back->spec_version, "1.6");
	assert_string_equal(back->name, "gateway");
	assert_int_equal(back->ncomp, 2);
	assert_string_equal(back->comp[0].purl, "pkg:generic/zlib@1.2.13");
	assert_string_equal(back->comp[0].licence, "Zlib");
	assert_string_equal(back->comp[0].hash[0].content, H64);
	assert_string_equal(back->comp[1].licence, "BSD-style, see COPYING");
	assert_null(back->comp[1].purl);
	rp_sbom_free(back);
	rp_free(text);
	rp_sbom_free(s);
}

static void test_dpkg_status(void **state)
{
	struct rp_sbom_diag d;
	struct rp_sbom *s = rp_sbom_new("fw", "1", 0);
	size_t len;
	char *buf = fixture("status", &len);

	(void)state;
	if (rp_sbom_add_dpkg_status(s, buf, len, NULL, &d) != RP_OK)
		fail_msg("refused: %s", d.msg);
	/* the deinstalled and half-installed ones left out, the held kept */
	assert_int_equal(s->ncomp, 4);
	assert_string_equal(s->comp[3].purl,
	                    "pkg:deb/debian/held-one@2.0-1?arch=arm64");
	assert_string_equal(
	    s->comp[0].purl,
	    "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&"
	    "upstream=openssl");
	assert_string_equal(s->comp[1].purl,
	                    "pkg:deb/debian/libattr1@1:2.5.1-4%2Bb1?arch=amd64&"
	                    "upstream=attr%401:2.5.1-4");
	assert_string_equal(s->comp[1].version, "1:2.5.1-4+b1");
	assert_string_equal(s->comp[2].purl,
	                    "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all");
	rp_sbom_free(s);
	rp_free(buf);

	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"garbage\n", "line 1: not a 'Field: value' line"},
	    {" continued\n", "line 1: a continuation line outside a field"},
	    {"Package: a1\nStatus: install ok installed\nArchitecture: all\n"
	     "Version: one\n",
	     "line 1: 'a1' 'one' is not a Debian package name and version"},
	    {"Package: a1\nStatus: install ok installed\nVersion: 1\n",
	     "line 1: installed package 'a1' without Package, Version or "
	     "Architecture"},
	    {"\nPackage: a1\nStatus: install ok installed\nArchitecture: all\n"
	     "Version: 1\nSource: b (1\n",
	     "line 2: Source 'b (1' is not NAME or NAME (VERSION)"},
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = rp_sbom_new("fw", "1", 0);
		assert_int_equal(rp_sbom_add_dpkg_status(s, bad[i].text,
		                                         strlen(bad[i].text),
		                                         "debian", &d),
		                 RP_E_SYNTAX);
		if (strncmp(d.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("'%s', wanted '%s'", d.msg, bad[i].msg);
		rp_sbom_free(s);
	}
}

static void test_csv(void **state)
{
	struct rp_sbom_diag d;
	struct rp_sbom *s = rp_sbom_new("fw", "1", 0);
	size_t len, i;
	char *buf = fixture("components.csv", &len);

	(void)state;
	if (rp_sbom_add_csv(s, buf, len, &d) != RP_OK)
		fail_msg("refused: %s", d.msg);
	assert_int_equal(s->ncomp, 3);
	assert_string_equal(s->comp[0].licence, "EPL-2.0");
	assert_string_equal(s->comp[1].name, "vendor blob, rev B");
	assert_null(s->comp[1].purl);
	assert_int_equal(s->comp[1].nhash, 2);
	assert_string_equal(s->comp[1].hash[1].alg, "SHA-1");
	assert_int_equal(s->comp[2].nhash, 0);
	rp_sbom_free(s);
	rp_free(buf);

	static const struct {
		const char *text, *msg;
		rp_err rc;
	} bad[] = {
	    {"", "line 1: empty, no header", RP_E_CSV},
	    {"name,version\n", "line 1: the header must be", RP_E_CSV},
	    {"name,version,purl,licence,hashes\na,1,,\n",
	     "line 2: not 5 fields", RP_E_CSV},
	    {"name,version,purl,licence,hashes\na,1,,,,x\n",
	     "line 2: more than 5 fields", RP_E_CSV},
	    {"name,version,purl,licence,hashes\n\"a,1,,,\n",
	     "line 2: an unterminated quote", RP_E_CSV},
	    {"name,version,purl,licence,hashes\na\"b,1,,,\n",
	     "line 2: a quote inside an unquoted field", RP_E_CSV},
	    {"name,version,purl,licence,hashes\na,1,,,SHA-256\n",
	     "line 2: hashes must be ALG:HEX", RP_E_CSV},
	    {"name,version,purl,licence,hashes\na,1,,,MD5:00;\n",
	     "line 2: hashes must be ALG:HEX", RP_E_CSV},
	    {"name,version,purl,licence,hashes\nok,1,,,\n,1,,,\n",
	     "line 3: $.components[1].name: empty", RP_E_SYNTAX},
	    {"name,version,purl,licence,hashes\na,1,npm/a,,\n",
	     "line 2: $.components[0].purl: not a package URL", RP_E_SYNTAX},
	    {"name,version,purl,licence,hashes\na,1,,,MD5:00\n",
	     "line 2: $.components[0].hashes[0].content: not 32 hex",
	     RP_E_SYNTAX},
	};

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rp_err rc;

		s = rp_sbom_new("fw", "1", 0);
		rc = rp_sbom_add_csv(s, bad[i].text, strlen(bad[i].text), &d);
		if (rc != bad[i].rc ||
		    strncmp(d.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("%zu: %s '%s', wanted '%s'", i, rp_errname(rc),
			         d.msg, bad[i].msg);
		rp_sbom_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),       cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_limits),      cmocka_unit_test(test_write),
	    cmocka_unit_test(test_dpkg_status), cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
