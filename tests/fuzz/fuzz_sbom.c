/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sbom.c - libFuzzer harness for the CycloneDX parser and the
 * generate inputs (lib/sbom/cdx.c, inputs.c). A refusal leaves no SBOM
 * and says why; an accepted SBOM keeps its limits (component count,
 * depth, hashes), every purl in it parses, and its components rebuilt by
 * rp_sbom_add (the parser's own check) write a document the parser
 * accepts again with the same names. The same bytes are also given to
 * the dpkg status and components CSV readers, whose output must parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/alloc.h"
#include "sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* b's document must parse back with the components of a (names). */
static void roundtrip(const struct rp_sbom *a, struct rp_sbom *b)
{
	struct rp_sbom_diag d;
	struct rp_sbom *c;
	char *text;
	size_t len, i;

	if (rp_sbom_write(b, &text, &len) != RP_OK)
		return; /* memory */
	if (rp_sbom_parse(text, len, &c, &d) != RP_OK)
		abort();
	if (a != NULL && c->ncomp != a->ncomp)
		abort();
	for (i = 0; a != NULL && i < c->ncomp; i++) {
		if (strcmp(c->comp[i].name, a->comp[i].name) != 0)
			abort();
	}
	rp_sbom_free(c);
	rp_free(text);
}

static void inputs(const uint8_t *data, size_t size)
{
	struct rp_sbom_diag d;
	struct rp_sbom *s;
	int k;

	for (k = 0; k < 2; k++) {
		rp_err rc;

		s = rp_sbom_new("fw", "1", 0);
		if (s == NULL)
			return;
		rc = k == 0 ? rp_sbom_add_dpkg_status(s, (const char *)data,
		                                      size, NULL, &d)
		            : rp_sbom_add_csv(s, (const char *)data, size, &d);
		if (rc != RP_OK && d.msg[0] == '\0')
			abort();
		if (rc == RP_OK)
			roundtrip(NULL, s);
		rp_sbom_free(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_sbom_diag d;
	struct rp_sbom *s = (struct rp_sbom *)1, *b;
	struct rp_purl p;
	size_t i;
	rp_err rc;

	if (size > (1u << 20))
		return 0;
	inputs(data, size);
	rc = rp_sbom_parse(data, size, &s, &d);
	if (rc != RP_OK) {
		if (s != NULL || (rc != RP_E_NOMEM && d.msg[0] == '\0'))
			abort();
		return 0;
	}
	if (s->ncomp > RP_SBOM_MAX_COMPONENTS)
		abort();
	b = rp_sbom_new(s->name, s->version, 0);
	for (i = 0; i < s->ncomp; i++) {
		const struct rp_sbom_component *c = &s->comp[i];

		if (c->name == NULL || c->type == NULL ||
		    c->depth >= RP_SBOM_MAX_DEPTH ||
		    c->nhash > RP_SBOM_MAX_HASHES)
			abort();
		if (c->purl != NULL) {
			if (rp_purl_parse(c->purl, &p, NULL) != RP_OK)
				abort();
			rp_purl_free(&p);
		}
		if (b != NULL && rp_sbom_add(b, c, &d) != RP_OK)
			abort();
	}
	if (b != NULL)
		roundtrip(s, b);
	rp_sbom_free(b);
	rp_sbom_free(s);
	return 0;
}
