/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_osv.c - libFuzzer harness for the OSV parser (lib/sbom/osv.c) and
 * matching (match.c). A refusal leaves the db unchanged and says why; an
 * accepted record keeps the schema's rules (every range has events, one
 * of them introduced, never both fixed and last_affected), and matching
 * a fixed SBOM of deb, npm, pypi, cargo and generic components against
 * it gives findings that point at real components and this record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/alloc.h"
#include "sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sbom[] =
    "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":["
    "{\"type\":\"library\",\"name\":\"libssl3\",\"version\":\"3.0.11-1~"
    "deb12u1\",\"purl\":\"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch="
    "amd64&upstream=openssl\"},"
    "{\"type\":\"library\",\"name\":\"a\",\"version\":\"1:2.0-1\","
    "\"purl\":\"pkg:deb/debian/a@1:2.0-1\"},"
    "{\"type\":\"library\",\"name\":\"lodash\",\"purl\":\"pkg:npm/lodash@"
    "4.17.20\"},"
    "{\"type\":\"library\",\"name\":\"Django\",\"purl\":\"pkg:pypi/"
    "Django@3.2.2\"},"
    "{\"type\":\"library\",\"name\":\"foo\",\"purl\":\"pkg:cargo/foo@1.2.3-"
    "rc.1\"},"
    "{\"type\":\"library\",\"name\":\"z\",\"purl\":\"pkg:generic/z@1\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_sbom *s;
	struct rp_osv_db db = {0};
	struct rp_vuln_finding *f;
	struct rp_sbom_diag d;
	size_t i, k, n;
	rp_err rc;

	if (size > (1u << 20))
		return 0;
	if (s == NULL && rp_sbom_parse(sbom, sizeof sbom - 1, &s, &d) != RP_OK)
		abort();
	rc = rp_osv_parse(&db, data, size, "fuzz", &d);
	if (rc != RP_OK) {
		if (db.n != 0 || (rc != RP_E_NOMEM && d.msg[0] == '\0'))
			abort();
		return 0;
	}
	if (db.n != 1 || db.v[0].id == NULL || db.v[0].modified == NULL)
		abort();
	for (i = 0; i < db.v[0].naff; i++) {
		const struct rp_osv_affected *a = &db.v[0].aff[i];

		for (k = 0; k < a->nrange; k++) {
			const struct rp_osv_range *r = &a->range[k];
			bool intro = false, fixed = false, last = false;
			size_t e;

			if (r->nev == 0)
				abort();
			for (e = 0; e < r->nev; e++) {
				intro |= r->ev[e].kind == RP_OSV_INTRODUCED;
				fixed |= r->ev[e].kind == RP_OSV_FIXED;
				last |= r->ev[e].kind == RP_OSV_LAST_AFFECTED;
			}
			if (!intro || (fixed && last))
				abort();
		}
	}
	if (rp_vuln_match(s, &db, &f, &n) == RP_OK) {
		for (i = 0; i < n; i++) {
			if (f[i].comp >= s->ncomp || f[i].vuln != &db.v[0])
				abort();
		}
		rp_free(f);
	}
	rp_osv_db_free(&db);
	return 0;
}
