/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_purl.c - libFuzzer harness for the package-URL parser
 * (lib/sbom/purl.c) and the version orderings (version.c). An accepted
 * purl has a lowercase type of the spec's characters, a non-empty name,
 * qualifiers with lowercase, unique, sorted keys and non-empty values, and
 * names its own package; a refusal leaves nothing allocated. The input
 * split at its first newline gives two versions: each ordering is
 * antisymmetric and reflexive (for SemVer on valid versions), and a
 * Debian version the validity check accepts compares equal to itself
 * with a "0:" epoch added (when that still fits the length limit).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void orderings(const char *a, const char *b)
{
	char z[RP_SBOM_MAX_STR + 8];

	if (sign(rp_ver_deb_cmp(a, b)) != -sign(rp_ver_deb_cmp(b, a)) ||
	    rp_ver_deb_cmp(a, a) != 0)
		abort();
	if (rp_ver_deb_valid(a) && strchr(a, ':') == NULL &&
	    strlen(a) + 2 <= RP_SBOM_MAX_STR) {
		snprintf(z, sizeof z, "0:%s", a);
		if (rp_ver_deb_cmp(a, z) != 0 || !rp_ver_deb_valid(z))
			abort();
	}
	if (rp_ver_semver_valid(a) && rp_ver_semver_valid(b) &&
	    (sign(rp_ver_semver_cmp(a, b)) != -sign(rp_ver_semver_cmp(b, a)) ||
	     rp_ver_semver_cmp(a, a) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_purl p;
	char *s, *nl;
	size_t i;

	if (size > 2 * RP_SBOM_MAX_STR)
		return 0;
	s = malloc(size + 1); /* owned here */
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (rp_purl_parse(s, &p, NULL) == RP_OK) {
		const char *t;

		if (p.name == NULL || p.name[0] == '\0' || p.type == NULL ||
		    !(p.type[0] >= 'a' && p.type[0] <= 'z') ||
		    !rp_purl_same_package(&p, &p))
			abort();
		for (t = p.type; *t != '\0'; t++) {
			if (!((*t >= 'a' && *t <= 'z') ||
			      (*t >= '0' && *t <= '9') || *t == '.' ||
			      *t == '+' || *t == '-'))
				abort();
		}
		for (i = 0; i < p.nqual; i++) {
			if (p.qual[i].value[0] == '\0' ||
			    (i > 0 &&
			     strcmp(p.qual[i - 1].key, p.qual[i].key) >= 0))
				abort();
			for (t = p.qual[i].key; *t != '\0'; t++) {
				if (*t >= 'A' && *t <= 'Z')
					abort();
			}
		}
		rp_purl_free(&p);
	} else if (p.mem != NULL) {
		abort();
	}
	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		if (strlen(s) <= RP_SBOM_MAX_STR &&
		    strlen(nl + 1) <= RP_SBOM_MAX_STR)
			orderings(s, nl + 1);
	}
	free(s);
	return 0;
}
