/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_purl.c - package URLs (lib/sbom/purl.c): the purl specification's
 * own examples parse into their parts, percent-decoded; every form the
 * spec calls invalid is refused with its reason; the identity rule of
 * matching folds case only for the types whose definition says so.
 */
#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "sbom.h"

static void parse_ok(const char *s, struct rp_purl *p)
{
	struct rp_sbom_diag d;

	if (rp_purl_parse(s, p, &d) != RP_OK)
		fail_msg("%s refused: %s", s, d.msg);
}

static void str_eq(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static void test_examples(void **state)
{
	static const struct {
		const char *purl, *type, *ns, *name, *version, *subpath;
		size_t nqual;
	} v[] = {
	    {"pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", "deb",
	     "debian", "curl", "7.50.3-1", NULL, 2},
	    {"pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging="
	     "sources",
	     "maven", "org.apache.xmlgraphics", "batik-anim", "1.9.1", NULL, 1},
	    {"pkg:golang/google.golang.org/genproto#googleapis/api/"
	     "annotations",
	     "golang", "google.golang.org", "genproto", NULL,
	     "googleapis/api/annotations", 0},
	    {"pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c",
	     "golang", "github.com/gorilla", "context",
	     "234fd47e07d1004f0aed9c", NULL, 0},
	    {"pkg:npm/%40angular/animation@12.3.1", "npm", "@angular",
	     "animation", "12.3.1", NULL, 0},
	    {"pkg://gem/ruby-advisory-db-check@0.12.4", "gem", NULL,
	     "ruby-advisory-db-check", "0.12.4", NULL, 0},
	    {"pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64", "deb", "debian",
	     "attr", "1:2.4.47-2+b1", NULL, 1},
	    {"PKG:NPM/foo?empty=", "npm", NULL, "foo", NULL, NULL, 0},
	    {"pkg:generic/openssl@1.1.10g?download_url=https://openssl.org/"
	     "source/openssl-1.1.0g.tar.gz&checksum=sha256:de4d501267da",
	     "generic", NULL, "openssl", "1.1.10g", NULL, 2},
	    {"pkg:github/package-url/purl-spec@244fd47e07d1004#everybody/"
	     "loves/dogs/",
	     "github", "package-url", "purl-spec", "244fd47e07d1004",
	     "everybody/loves/dogs", 0},
	};
	struct rp_purl p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		parse_ok(v[i].purl, &p);
		str_eq(p.type, v[i].type);
		str_eq(p.ns, v[i].ns);
		str_eq(p.name, v[i].name);
		str_eq(p.version, v[i].version);
		str_eq(p.subpath, v[i].subpath);
		assert_int_equal(p.nqual, v[i].nqual);
		rp_purl_free(&p);
	}
	/* qualifiers: keys lowercase, sorted, values decoded */
	parse_ok("pkg:deb/debian/curl@1?Distro=jessie&arch=i386&x=a%20b", &p);
	assert_string_equal(p.qual[0].key, "arch");
	assert_string_equal(p.qual[1].key, "distro");
	assert_string_equal(rp_purl_qual(&p, "x"), "a b");
	assert_null(rp_purl_qual(&p, "none"));
	rp_purl_free(&p);
}

static void test_refused(void **state)
{
	static const struct {
		const char *purl, *why;
		rp_err rc;
	} v[] = {
	    {"curl", "no 'pkg:' scheme", RP_E_SYNTAX},
	    {"pkg:", "no type/name", RP_E_SYNTAX},
	    {"pkg:deb", "no type/name", RP_E_SYNTAX},
	    {"pkg:1deb/x", "starting with a letter", RP_E_SYNTAX},
	    {"pkg:de_b/x", "starting with a letter", RP_E_SYNTAX},
	    {"pkg:de b/x", "space, control or non-ASCII", RP_E_SYNTAX},
	    {"pkg:npm/\xc3\xa9", "space, control or non-ASCII", RP_E_SYNTAX},
	    {"pkg:deb/", "no name", RP_E_SYNTAX},
	    {"pkg:npm/foo@", "empty or badly encoded version", RP_E_SYNTAX},
	    {"pkg:npm/a@b@c", "'@' twice", RP_E_SYNTAX},
	    {"pkg:npm/foo?x", "key=value", RP_E_SYNTAX},
	    {"pkg:npm/foo?a=1&&b=2", "key=value", RP_E_SYNTAX},
	    {"pkg:npm/foo?1a=x", "key=value", RP_E_SYNTAX},
	    {"pkg:npm/foo?a=1&A=2", "repeated", RP_E_SYNTAX},
	    {"pkg:npm/foo?a=b?c", "'?' twice", RP_E_SYNTAX},
	    {"pkg:npm/foo?a=%zz", "percent-encoding in a qualifier",
	     RP_E_SYNTAX},
	    {"pkg:npm/foo%zz", "badly encoded", RP_E_SYNTAX},
	    {"pkg:npm/foo%4", "badly encoded", RP_E_SYNTAX},
	    {"pkg:npm/foo%0a", "badly encoded", RP_E_SYNTAX},
	    {"pkg:npm/foo%00", "badly encoded", RP_E_SYNTAX},
	    {"pkg:npm/foo#a/../b", "subpath", RP_E_SYNTAX},
	    {"pkg:npm/foo#a/./b", "subpath", RP_E_SYNTAX},
	    {"pkg:npm/foo#a//b", "subpath", RP_E_SYNTAX},
	    {"pkg:npm/foo#a#b", "'#' twice", RP_E_SYNTAX},
	    {"pkg:golang/a//b/c", "namespace segment", RP_E_SYNTAX},
	    {"pkg:golang/a%2Fb/c", "namespace segment", RP_E_SYNTAX},
	    {"pkg:npm/foo?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&"
	     "m=13&n=14&o=15&p=16&q=17",
	     "too many qualifiers", RP_E_TOO_BIG},
	};
	struct rp_sbom_diag d;
	struct rp_purl p;
	char big[RP_SBOM_MAX_STR + 16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		rp_err rc = rp_purl_parse(v[i].purl, &p, &d);

		if (rc != v[i].rc || strstr(d.msg, v[i].why) == NULL)
			fail_msg("%s: %s (%s), wanted '%s'", v[i].purl,
			         rp_errname(rc), d.msg, v[i].why);
		assert_null(p.mem);
	}
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "pkg:npm/", 8);
	assert_int_equal(rp_purl_parse(big, &p, &d), RP_E_TOO_BIG);
	assert_int_equal(rp_purl_parse(NULL, &p, NULL), RP_E_INVAL);
}

static void test_same_package(void **state)
{
	static const struct {
		const char *a, *b;
		bool same;
	} v[] = {
	    {"pkg:deb/Debian/Curl", "pkg:deb/debian/curl@7.88.1?arch=amd64",
	     true},
	    {"pkg:npm/%40Angular/Core", "pkg:npm/%40angular/core@1.0.0", true},
	    {"pkg:pypi/Django_Foo.Bar", "pkg:pypi/django-foo-bar@1", true},
	    {"pkg:maven/Org/A", "pkg:maven/org/a", false},
	    {"pkg:generic/Foo", "pkg:generic/foo", false},
	    {"pkg:npm/foo", "pkg:gem/foo", false},
	    {"pkg:deb/debian/curl", "pkg:deb/ubuntu/curl", false},
	    {"pkg:deb/curl", "pkg:deb/debian/curl", false},
	    {"pkg:deb/debian/curl#x", "pkg:deb/debian/curl@1#y", true},
	};
	struct rp_purl a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		parse_ok(v[i].a, &a);
		parse_ok(v[i].b, &b);
		if (rp_purl_same_package(&a, &b) != v[i].same ||
		    rp_purl_same_package(&b, &a) != v[i].same)
			fail_msg("%s vs %s", v[i].a, v[i].b);
		rp_purl_free(&a);
		rp_purl_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_same_package),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
