/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cdx.c - the strict CycloneDX 1.5/1.6 JSON parser (sbom.h, docs/sbom.md):
 * the document's top-level keys, bomFormat, specVersion, serialNumber,
 * version, metadata.component and every component at every level, as the
 * schema (bom-1.6.schema.json) defines them: the component's keys
 * (additionalProperties false), type, name, version, purl (rp_purl_parse),
 * bom-ref, scope, licenses (licenseChoice) and hashes (hash-alg, the
 * hex length of hash-content for that algorithm). Parts of the schema
 * Rampart does not use (services, dependencies, evidence, ...) are
 * accepted by key without looking inside. A refusal names the JSON path.
 */
#include <stdio.h>
#include <string.h>

#include "rampart/alloc.h"
#include "sbom_int.h"

static const char *const top_keys[] = {"$schema",
                                       "bomFormat",
                                       "specVersion",
                                       "serialNumber",
                                       "version",
                                       "metadata",
                                       "components",
                                       "services",
                                       "externalReferences",
                                       "dependencies",
                                       "compositions",
                                       "vulnerabilities",
                                       "annotations",
                                       "formulation",
                                       "declarations",
                                       "definitions",
                                       "properties",
                                       "signature",
                                       NULL};

static const char *const comp_keys[] = {
    "type",       "mime-type",    "bom-ref",
    "supplier",   "manufacturer", "authors",
    "author",     "publisher",    "group",
    "name",       "version",      "description",
    "scope",      "hashes",       "licenses",
    "copyright",  "cpe",          "purl",
    "omniborId",  "swhid",        "swid",
    "modified",   "pedigree",     "externalReferences",
    "components", "evidence",     "releaseNotes",
    "modelCard",  "data",         "cryptoProperties",
    "properties", "tags",         "signature",
    NULL};

static const char *const comp_types[] = {"application",
                                         "framework",
                                         "library",
                                         "container",
                                         "platform",
                                         "operating-system",
                                         "device",
                                         "device-driver",
                                         "firmware",
                                         "file",
                                         "machine-learning-model",
                                         "data",
                                         "cryptographic-asset",
                                         NULL};

static const char *const license_keys[] = {
    "bom-ref",   "id",         "name", "acknowledgement", "text", "url",
    "licensing", "properties", NULL};

static const char *const expr_keys[] = {"expression", "acknowledgement",
                                        "bom-ref", NULL};

/* hash-alg and the hex length of its hash-content (0: any the schema's
 * pattern allows: 32, 40, 64, 96 or 128). */
static const struct {
	const char *alg;
	size_t hex;
} algs[] = {
    {"MD5", 32},         {"SHA-1", 40},        {"SHA-256", 64},
    {"SHA-384", 96},     {"SHA-512", 128},     {"SHA3-256", 64},
    {"SHA3-384", 96},    {"SHA3-512", 128},    {"BLAKE2b-256", 64},
    {"BLAKE2b-384", 96}, {"BLAKE2b-512", 128}, {"BLAKE3", 0},
};

struct rp_sbom_component *sbom_push(struct rp_sbom *s, rp_err *rc)
{
	struct rp_sbom_component *c;

	if (s->ncomp >= RP_SBOM_MAX_COMPONENTS) {
		*rc = RP_E_TOO_BIG;
		return NULL;
	}
	if (s->ncomp == s->cap) {
		size_t cap = s->cap == 0 ? 64 : s->cap * 2;

		c = rp_realloc(s->comp, cap * sizeof *c);
		if (c == NULL) {
			*rc = RP_E_NOMEM;
			return NULL;
		}
		s->comp = c;
		s->cap = cap;
	}
	c = &s->comp[s->ncomp++];
	memset(c, 0, sizeof *c);
	*rc = RP_OK;
	return c;
}

bool sbom_keep(struct rp_sbom *s, char *str)
{
	char **o = rp_realloc(s->own, (s->nown + 1) * sizeof *o);

	if (o == NULL) {
		rp_free(str);
		return false;
	}
	s->own = o;
	s->own[s->nown++] = str;
	return true;
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* Refuse a key of obj that is not in keys. */
static rp_err only_keys(json_t *obj, const char *const *keys, const char *path,
                        const char *what, struct rp_sbom_diag *d)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		if (!sbom_in(key, keys)) {
			sbom_fail(d, path, "'%.60s' is not a key of %s", key,
			          what);
			return RP_E_SYNTAX;
		}
	}
	return RP_OK;
}

static rp_err hashes(json_t *a, const char *path, struct rp_sbom_component *c,
                     struct rp_sbom_diag *d)
{
	char p[224];
	size_t i, k;
	json_t *h;
	rp_err rc;

	if (!json_is_array(a)) {
		sbom_fail(d, path, "not an array");
		return RP_E_SYNTAX;
	}
	if (json_array_size(a) > RP_SBOM_MAX_HASHES) {
		sbom_fail(d, path, "more than %u hashes", RP_SBOM_MAX_HASHES);
		return RP_E_TOO_BIG;
	}
	json_array_foreach(a, i, h)
	{
		const char *alg, *hex;
		size_t n;

		snprintf(p, sizeof p, "%s[%zu]", path, i);
		if (!json_is_object(h)) {
			sbom_fail(d, p, "not an object");
			return RP_E_SYNTAX;
		}
		rc = only_keys(h, (const char *const[]){"alg", "content", NULL},
		               p, "a hash", d);
		if (rc != RP_OK)
			return rc;
		snprintf(p, sizeof p, "%s[%zu].alg", path, i);
		rc = sbom_str(json_object_get(h, "alg"), p, false, &alg, d);
		if (rc != RP_OK)
			return rc;
		for (k = 0; k < sizeof algs / sizeof algs[0]; k++) {
			if (strcmp(alg, algs[k].alg) == 0)
				break;
		}
		if (k == sizeof algs / sizeof algs[0]) {
			sbom_fail(d, p,
			          "'%.40s' is not a CycloneDX hash "
			          "algorithm",
			          alg);
			return RP_E_SYNTAX;
		}
		snprintf(p, sizeof p, "%s[%zu].content", path, i);
		rc = sbom_str(json_object_get(h, "content"), p, false, &hex, d);
		if (rc != RP_OK)
			return rc;
		n = strlen(hex);
		if (!is_hex(hex, n) || (algs[k].hex != 0 && n != algs[k].hex) ||
		    (algs[k].hex == 0 && n != 32 && n != 40 && n != 64 &&
		     n != 96 && n != 128)) {
			if (algs[k].hex != 0)
				sbom_fail(d, p, "not %zu hex digits (%s)",
				          algs[k].hex, alg);
			else
				sbom_fail(d, p,
				          "not 32, 40, 64, 96 or 128 "
				          "hex digits");
			return RP_E_SYNTAX;
		}
		c->hash[i].alg = alg;
		c->hash[i].content = hex;
	}
	c->nhash = json_array_size(a);
	return RP_OK;
}

/* The licenseChoice at path; c->licence the joined text (kept by s). */
static rp_err licenses(struct rp_sbom *s, json_t *a, const char *path,
                       struct rp_sbom_component *c, struct rp_sbom_diag *d)
{
	const char *names[RP_SBOM_MAX_LICENSES];
	char p[224], *joined;
	size_t i, n, len = 0;
	json_t *e, *l;
	rp_err rc;

	if (!json_is_array(a)) {
		sbom_fail(d, path, "not an array");
		return RP_E_SYNTAX;
	}
	n = json_array_size(a);
	if (n > RP_SBOM_MAX_LICENSES) {
		sbom_fail(d, path, "more than %u licences",
		          RP_SBOM_MAX_LICENSES);
		return RP_E_TOO_BIG;
	}
	json_array_foreach(a, i, e)
	{
		snprintf(p, sizeof p, "%s[%zu]", path, i);
		if (!json_is_object(e)) {
			sbom_fail(d, p, "not an object");
			return RP_E_SYNTAX;
		}
		if (json_object_get(e, "expression") != NULL) {
			if (n != 1) {
				sbom_fail(d, p,
				          "an expression must be the "
				          "only entry of licenses");
				return RP_E_SYNTAX;
			}
			rc = only_keys(e, expr_keys, p, "a licence expression",
			               d);
			if (rc != RP_OK)
				return rc;
			snprintf(p, sizeof p, "%s[%zu].expression", path, i);
			rc = sbom_str(json_object_get(e, "expression"), p,
			              false, &names[i], d);
			if (rc != RP_OK)
				return rc;
		} else {
			json_t *id, *nm;

			rc =
			    only_keys(e, (const char *const[]){"license", NULL},
			              p, "a licenses entry", d);
			if (rc != RP_OK)
				return rc;
			l = json_object_get(e, "license");
			snprintf(p, sizeof p, "%s[%zu].license", path, i);
			if (!json_is_object(l)) {
				sbom_fail(d, p,
				          "missing, or not an object "
				          "(license or expression)");
				return RP_E_SYNTAX;
			}
			rc = only_keys(l, license_keys, p, "a license", d);
			if (rc != RP_OK)
				return rc;
			id = json_object_get(l, "id");
			nm = json_object_get(l, "name");
			if ((id == NULL) == (nm == NULL)) {
				sbom_fail(d, p,
				          "needs exactly one of id and "
				          "name");
				return RP_E_SYNTAX;
			}
			snprintf(p, sizeof p, "%s[%zu].license.%s", path, i,
			         id != NULL ? "id" : "name");
			rc = sbom_str(id != NULL ? id : nm, p, false, &names[i],
			              d);
			if (rc != RP_OK)
				return rc;
		}
		len += strlen(names[i]) + 2;
	}
	if (n == 0)
		return RP_OK;
	joined = rp_malloc(len + 1);
	if (joined == NULL)
		return RP_E_NOMEM;
	len = 0;
	for (i = 0; i < n; i++) {
		size_t k = strlen(names[i]);

		if (i > 0) {
			memcpy(joined + len, ", ", 2);
			len += 2;
		}
		memcpy(joined + len, names[i], k);
		len += k;
	}
	joined[len] = '\0';
	if (!sbom_keep(s, joined))
		return RP_E_NOMEM;
	c->licence = joined;
	return RP_OK;
}

/* An optional string member key of o at path.key into *out. */
static rp_err opt_str(json_t *o, const char *key, const char *path,
                      const char **out, struct rp_sbom_diag *d)
{
	json_t *v = json_object_get(o, key);
	char p[224];

	*out = NULL;
	if (v == NULL)
		return RP_OK;
	snprintf(p, sizeof p, "%s.%s", path, key);
	return sbom_str(v, p, false, out, d);
}

rp_err sbom_component(struct rp_sbom *s, json_t *o, const char *path,
                      unsigned depth, bool push, struct rp_sbom_component *out,
                      struct rp_sbom_diag *d)
{
	struct rp_sbom_component c;
	struct rp_sbom_component *slot;
	struct rp_purl purl;
	struct rp_sbom_diag pd;
	const char *scope, *group;
	char p[224];
	json_t *v, *kid;
	size_t i;
	rp_err rc;

	memset(&c, 0, sizeof c);
	if (!json_is_object(o)) {
		sbom_fail(d, path, "not an object");
		return RP_E_SYNTAX;
	}
	rc = only_keys(o, comp_keys, path, "a CycloneDX component", d);
	if (rc != RP_OK)
		return rc;
	snprintf(p, sizeof p, "%s.type", path);
	v = json_object_get(o, "type");
	if (v == NULL) {
		sbom_fail(d, p, "missing (a component needs type and name)");
		return RP_E_SYNTAX;
	}
	rc = sbom_str(v, p, false, &c.type, d);
	if (rc != RP_OK)
		return rc;
	if (!sbom_in(c.type, comp_types)) {
		sbom_fail(d, p, "'%.40s' is not a CycloneDX component type",
		          c.type);
		return RP_E_SYNTAX;
	}
	snprintf(p, sizeof p, "%s.name", path);
	v = json_object_get(o, "name");
	if (v == NULL) {
		sbom_fail(d, p, "missing (a component needs type and name)");
		return RP_E_SYNTAX;
	}
	rc = sbom_str(v, p, false, &c.name, d);
	if (rc == RP_OK)
		rc = opt_str(o, "version", path, &c.version, d);
	if (rc == RP_OK)
		rc = opt_str(o, "bom-ref", path, &c.bom_ref, d);
	/* group must be a string; it is not kept: matching reads the
	 * namespace from the purl */
	if (rc == RP_OK)
		rc = opt_str(o, "group", path, &group, d);
	if (rc == RP_OK)
		rc = opt_str(o, "scope", path, &scope, d);
	if (rc != RP_OK)
		return rc;
	if (scope != NULL &&
	    !sbom_in(scope, (const char *const[]){"required", "optional",
	                                          "excluded", NULL})) {
		snprintf(p, sizeof p, "%s.scope", path);
		sbom_fail(d, p, "not required, optional or excluded");
		return RP_E_SYNTAX;
	}
	rc = opt_str(o, "purl", path, &c.purl, d);
	if (rc != RP_OK)
		return rc;
	if (c.purl != NULL) {
		rc = rp_purl_parse(c.purl, &purl, &pd);
		if (rc == RP_E_NOMEM)
			return rc;
		rp_purl_free(&purl);
		if (rc != RP_OK) {
			snprintf(p, sizeof p, "%s.purl", path);
			sbom_fail(d, p, "%s", pd.msg);
			return rc;
		}
	}
	snprintf(p, sizeof p, "%s.hashes", path);
	v = json_object_get(o, "hashes");
	if (v != NULL) {
		rc = hashes(v, p, &c, d);
		if (rc != RP_OK)
			return rc;
	}
	snprintf(p, sizeof p, "%s.licenses", path);
	v = json_object_get(o, "licenses");
	if (v != NULL) {
		rc = licenses(s, v, p, &c, d);
		if (rc != RP_OK)
			return rc;
	}
	c.depth = depth;
	snprintf(c.path, sizeof c.path, "%s", path);
	if (push) {
		slot = sbom_push(s, &rc);
		if (slot == NULL) {
			if (rc == RP_E_TOO_BIG)
				sbom_fail(d, path, "more than %u components",
				          RP_SBOM_MAX_COMPONENTS);
			return rc;
		}
		*slot = c;
	}
	if (out != NULL)
		*out = c;
	v = json_object_get(o, "components");
	if (v == NULL)
		return RP_OK;
	snprintf(p, sizeof p, "%s.components", path);
	if (!json_is_array(v)) {
		sbom_fail(d, p, "not an array");
		return RP_E_SYNTAX;
	}
	if (depth + 1 >= RP_SBOM_MAX_DEPTH && json_array_size(v) > 0) {
		sbom_fail(d, p, "components nested more than %u deep",
		          RP_SBOM_MAX_DEPTH);
		return RP_E_TOO_BIG;
	}
	json_array_foreach(v, i, kid)
	{
		snprintf(p, sizeof p, "%s.components[%zu]", path, i);
		rc = sbom_component(s, kid, p, depth + 1, push, NULL, d);
		if (rc != RP_OK)
			return rc;
	}
	return RP_OK;
}

/* serialNumber: urn:uuid: and a lowercase RFC 4122 UUID. */
static bool serial_ok(const char *s)
{
	static const char form[] = "urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-"
	                           "xxxxxxxxxxxx";
	size_t i;

	if (strlen(s) != sizeof form - 1)
		return false;
	for (i = 0; form[i] != '\0'; i++) {
		if (form[i] == 'x') {
			if (!((s[i] >= '0' && s[i] <= '9') ||
			      (s[i] >= 'a' && s[i] <= 'f')))
				return false;
		} else if (s[i] != form[i]) {
			return false;
		}
	}
	return true;
}

static rp_err document(struct rp_sbom *s, json_t *root, struct rp_sbom_diag *d)
{
	struct rp_sbom_component meta;
	const char *fmt;
	json_t *v, *m;
	char p[64];
	size_t i;
	rp_err rc;

	rc = only_keys(root, top_keys, "$", "a CycloneDX document", d);
	if (rc != RP_OK)
		return rc;
	v = json_object_get(root, "bomFormat");
	if (v == NULL) {
		sbom_fail(d, "$.bomFormat", "missing: not a CycloneDX SBOM");
		return RP_E_SYNTAX;
	}
	rc = sbom_str(v, "$.bomFormat", false, &fmt, d);
	if (rc != RP_OK)
		return rc;
	if (strcmp(fmt, "CycloneDX") != 0) {
		sbom_fail(d, "$.bomFormat", "not \"CycloneDX\"");
		return RP_E_SYNTAX;
	}
	v = json_object_get(root, "specVersion");
	if (v == NULL) {
		sbom_fail(d, "$.specVersion", "missing");
		return RP_E_SYNTAX;
	}
	rc = sbom_str(v, "$.specVersion", false, &s->spec_version, d);
	if (rc != RP_OK)
		return rc;
	if (strcmp(s->spec_version, "1.5") != 0 &&
	    strcmp(s->spec_version, "1.6") != 0) {
		sbom_fail(d, "$.specVersion",
		          "CycloneDX %.20s is not accepted (1.5 or 1.6)",
		          s->spec_version);
		return RP_E_UNSUPPORTED;
	}
	rc = opt_str(root, "serialNumber", "$", &s->serial, d);
	if (rc != RP_OK)
		return rc;
	if (s->serial != NULL && !serial_ok(s->serial)) {
		sbom_fail(d, "$.serialNumber",
		          "not urn:uuid: and a "
		          "lowercase UUID");
		return RP_E_SYNTAX;
	}
	v = json_object_get(root, "version");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		sbom_fail(d, "$.version", "not an integer of at least 1");
		return RP_E_SYNTAX;
	}
	m = json_object_get(root, "metadata");
	if (m != NULL && !json_is_object(m)) {
		sbom_fail(d, "$.metadata", "not an object");
		return RP_E_SYNTAX;
	}
	v = m != NULL ? json_object_get(m, "timestamp") : NULL;
	if (v != NULL && !json_is_string(v)) {
		sbom_fail(d, "$.metadata.timestamp", "not a string");
		return RP_E_SYNTAX;
	}
	v = m != NULL ? json_object_get(m, "component") : NULL;
	if (v != NULL) {
		rc = sbom_component(s, v, "$.metadata.component", 0, false,
		                    &meta, d);
		if (rc != RP_OK)
			return rc;
		s->name = meta.name;
		s->version = meta.version;
	}
	v = json_object_get(root, "components");
	if (v == NULL)
		return RP_OK;
	if (!json_is_array(v)) {
		sbom_fail(d, "$.components", "not an array");
		return RP_E_SYNTAX;
	}
	if (json_array_size(v) > RP_SBOM_MAX_COMPONENTS) {
		sbom_fail(d, "$.components", "more than %u components",
		          RP_SBOM_MAX_COMPONENTS);
		return RP_E_TOO_BIG;
	}
	for (i = 0; i < json_array_size(v); i++) {
		snprintf(p, sizeof p, "$.components[%zu]", i);
		rc = sbom_component(s, json_array_get(v, i), p, 0, true, NULL,
		                    d);
		if (rc != RP_OK)
			return rc;
	}
	return RP_OK;
}

rp_err rp_sbom_parse(const void *data, size_t len, struct rp_sbom **out,
                     struct rp_sbom_diag *d)
{
	struct rp_sbom *s = NULL;
	json_t *root;
	rp_err rc;

	if (d != NULL)
		d->msg[0] = '\0';
	*out = NULL;
	root = sbom_load(data, len, d, &rc);
	if (root == NULL)
		goto out;
	s = rp_calloc(1, sizeof *s); /* owned by the caller on success */
	if (s == NULL) {
		json_decref(root);
		rc = RP_E_NOMEM;
		goto out;
	}
	s->json = root;
	rc = document(s, root, d);
	if (rc != RP_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	rp_sbom_free(s);
	return rc;
}

void rp_sbom_free(struct rp_sbom *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nown; i++)
		rp_free(s->own[i]);
	rp_free(s->own);
	rp_free(s->comp);
	json_decref(s->json);
	rp_free(s);
}
