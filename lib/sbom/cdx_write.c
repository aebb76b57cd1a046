/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cdx_write.c - building a CycloneDX 1.6 SBOM (sbom.h): the document with
 * the firmware as metadata.component, components added one at a time and
 * each checked by the parser's own component check (cdx.c) before it is
 * kept, and the JSON text. No serial number is written (the same inputs
 * give the same bytes); the timestamp is the caller's.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rampart/alloc.h"
#include "rampart/json.h"
#include "sbom_int.h"

struct rp_sbom *rp_sbom_new(const char *name, const char *version,
                            int64_t timestamp)
{
	struct rp_sbom *s = NULL;
	json_t *root, *meta, *comp;
	char ts[32];
	time_t t = (time_t)timestamp;
	struct tm tm;

	rp_json_use_alloc(); /* rp_sbom_add tells memory by rp_alloc_refused */
	root = json_pack("{s:s, s:s, s:i}", "bomFormat", "CycloneDX",
	                 "specVersion", "1.6", "version", 1);
	meta = json_pack("{s:{s:[{s:s, s:s}]}}", "tools", "components", "type",
	                 "application", "name", "rampart");
	comp = json_pack("{s:s, s:s}", "type", "firmware", "name",
	                 name != NULL ? name : "firmware");
	if (root == NULL || meta == NULL || comp == NULL)
		goto fail;
	if (version != NULL &&
	    json_object_set_new(comp, "version", json_string(version)) != 0)
		goto fail;
	if (timestamp > 0) {
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ||
		    json_object_set_new(meta, "timestamp", json_string(ts)) !=
		        0)
			goto fail;
	}
	if (json_object_set(meta, "component", comp) != 0 ||
	    json_object_set(root, "metadata", meta) != 0 ||
	    json_object_set_new(root, "components", json_array()) != 0)
		goto fail;
	s = rp_calloc(1, sizeof *s); /* the caller's: rp_sbom_free */
	if (s == NULL)
		goto fail;
	s->json = root;
	s->spec_version = "1.6";
	s->name = json_string_value(json_object_get(comp, "name"));
	s->version = json_string_value(json_object_get(comp, "version"));
	json_decref(meta);
	json_decref(comp);
	return s;
fail:
	json_decref(root);
	json_decref(meta);
	json_decref(comp);
	return NULL;
}

/* An SPDX license id's characters (else the licence is a name). */
static bool spdx_id(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		      *s == '+'))
			return false;
	}
	return true;
}

/* One member of o, a string (NULL value: none). false for no memory. */
static bool put(json_t *o, const char *key, const char *val)
{
	return val == NULL ||
	       json_object_set_new(o, key, json_string(val)) == 0;
}

rp_err rp_sbom_add(struct rp_sbom *s, const struct rp_sbom_component *c,
                   struct rp_sbom_diag *d)
{
	json_t *o = NULL, *list, *h, *l;
	char path[64];
	size_t i;
	rp_err rc = RP_E_NOMEM;
	/* jansson answers NULL both for a string that is not UTF-8 and for
	 * its memory: a refusal counted here is the memory's */
	unsigned long refused = rp_alloc_refused();

	if (d != NULL)
		d->msg[0] = '\0';
	list = json_object_get(s->json, "components");
	snprintf(path, sizeof path, "$.components[%zu]", json_array_size(list));
	if (c->name == NULL || c->nhash > RP_SBOM_MAX_HASHES) {
		sbom_fail(d, path, "no name, or too many hashes");
		rc = RP_E_INVAL;
		goto out;
	}
	o = json_object();
	if (o == NULL || !put(o, "type", c->type != NULL ? c->type : "library"))
		goto out;
	/* jansson refuses strings that are not UTF-8: a refusal */
	if (!put(o, "bom-ref", c->bom_ref != NULL ? c->bom_ref : c->purl) ||
	    !put(o, "name", c->name) || !put(o, "version", c->version) ||
	    !put(o, "purl", c->purl)) {
		sbom_fail(d, path, "a name, version or purl that is not UTF-8");
		rc = RP_E_SYNTAX;
		goto out;
	}
	if (c->licence != NULL) {
		l = json_pack("[{s:{s:s}}]", "license",
		              spdx_id(c->licence) ? "id" : "name", c->licence);
		if (l == NULL || json_object_set_new(o, "licenses", l) != 0) {
			sbom_fail(d, path, "a licence that is not UTF-8");
			rc = RP_E_SYNTAX;
			goto out;
		}
	}
	if (c->nhash > 0) {
		h = json_array();
		if (h == NULL || json_object_set_new(o, "hashes", h) != 0)
			goto out;
		for (i = 0; i < c->nhash; i++) {
			if (json_array_append_new(
			        h, json_pack("{s:s, s:s}", "alg",
			                     c->hash[i].alg, "content",
			                     c->hash[i].content)) != 0) {
				sbom_fail(d, path, "a hash that is not UTF-8");
				rc = RP_E_SYNTAX;
				goto out;
			}
		}
	}
	/* the parser's check; o stays alive (held here, then by the list) */
	rc = sbom_component(s, o, path, 0, true, NULL, d);
	if (rc != RP_OK)
		goto out;
	if (json_array_append(list, o) != 0) {
		s->ncomp--;
		rc = RP_E_NOMEM;
		goto out;
	}
out:
	if (rc != RP_OK && rp_alloc_refused() != refused) {
		rc = RP_E_NOMEM;
		if (d != NULL)
			d->msg[0] = '\0';
	}
	json_decref(o);
	return rc;
}

rp_err rp_sbom_write(const struct rp_sbom *s, char **out, size_t *len)
{
	char *text, *t;
	size_t n;
	unsigned long refused = rp_alloc_refused();

	*out = NULL;
	text = json_dumps(s->json, JSON_INDENT(2));
	/* jansson 2.14 can go on past a failed allocation of its dump (seen
	 * in test_osv): what it wrote then is not to be trusted */
	if (text != NULL && rp_alloc_refused() != refused) {
		rp_free(text);
		text = NULL;
	}
	if (text == NULL)
		return RP_E_NOMEM;
	n = strlen(text);
	t = rp_realloc(text, n + 2);
	if (t == NULL) {
		rp_free(text);
		return RP_E_NOMEM;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*out = t;
	*len = n + 1;
	return RP_OK;
}
