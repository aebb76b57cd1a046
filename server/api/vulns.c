/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vulns.c - known vulnerabilities in the admin API (docs/releases.md
 * "Known vulnerabilities"): POST /vulns imports OSV records (one object
 * or an array of them), each parsed strictly by lib/sbom's rp_osv_parse
 * and kept as its JSON text (store_vuln_put: a record replaces one with
 * the same id only when its "modified" is newer); a refused record is
 * named with its JSON path and the others are imported. GET
 * /releases/ID/vulns matches the release's SBOM against every record
 * stored (rp_vuln_match: purl and version ranges, Debian ordering for
 * pkg:deb).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/osv_time.h"
#include "api/uploads.h"
#include "http/http.h"
#include "rampart/alloc.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "sbom.h"

/* What an import did, for its answer. */
struct import {
	json_int_t added, replaced, unchanged;
	json_t *refused; /* [{"index", "id", "error"}] */
	bool failed;     /* the store failed: the transaction is lost */
};

static void refuse(struct import *im, size_t index, const char *id,
                   const char *why)
{
	json_array_append_new(im->refused, json_pack("{s:I, s:s?, s:s}",
	                                             "index", (json_int_t)index,
	                                             "id", id, "error", why));
}

/* One record (rec: a JSON value of the body, $[index] of an array or
 * "$" alone). */
static void import_one(struct rampartd *rd, struct import *im, json_t *rec,
                       size_t index, bool array)
{
	struct rp_osv_db db;
	struct rp_sbom_diag d;
	enum store_vuln_put o;
	char where[32], *text = json_dumps(rec, JSON_COMPACT); /* jansson's */
	int64_t us;
	rp_err rc;

	memset(&db, 0, sizeof db);
	memset(&d, 0, sizeof d);
	snprintf(where, sizeof where, "$[%zu]", index);
	if (text == NULL) {
		refuse(im, index, NULL, "no memory");
		return;
	}
	rc = rp_osv_parse(&db, text, strlen(text), array ? where : NULL, &d);
	if (rc != RP_OK) {
		refuse(im, index, json_string_value(json_object_get(rec, "id")),
		       d.msg[0] != '\0' ? d.msg : rp_strerror(rc));
		goto out;
	}
	if (!api_osv_time_us(db.v[0].modified, &us)) {
		refuse(im, index, db.v[0].id, "$.modified: not a date-time");
		goto out;
	}
	rc = store_vuln_put(rd->store, db.v[0].id, us, text, strlen(text), &o);
	if (rc != RP_OK && rc != RP_E_INVAL) {
		im->failed = true; /* the request's transaction is lost */
		goto out;
	}
	if (rc != RP_OK) {
		refuse(im, index, db.v[0].id,
		       "$.id: too long, or the record is too big");
		goto out;
	}
	if (o == STORE_VULN_NEW)
		im->added++;
	else if (o == STORE_VULN_REPLACED)
		im->replaced++;
	else
		im->unchanged++;
out:
	rp_osv_db_free(&db);
	free(text);
}

API_HANDLER(api_vulns_import)
{
	struct import im = {0, 0, 0, json_array(), false};
	json_error_t jerr;
	json_t *in = NULL, *v;
	char *body = NULL, msg[300];
	size_t len, i;

	(void)rr;
	if (http_body(req, UPLOAD_CHUNK_MAX, &body, &len) != RP_OK) {
		api_reply_error(req, 413, "body too big: send fewer records");
		goto out;
	}
	in = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (in == NULL || (!json_is_object(in) && !json_is_array(in))) {
		snprintf(msg, sizeof msg,
		         "the body is one OSV record (a JSON object) or an "
		         "array of them: %s",
		         in == NULL ? jerr.text : "neither");
		api_reply_error(req, 400, msg);
		goto out;
	}
	/* one transaction per request: one fsync for an array of
	 * thousands, and a failed store keeps none of it */
	if (store_begin(rd->store) != RP_OK) {
		api_reply_error(req, 500, "the store failed: nothing imported");
		goto out;
	}
	if (json_is_object(in))
		import_one(rd, &im, in, 0, false);
	else
		json_array_foreach(in, i, v) if (!im.failed)
		    import_one(rd, &im, v, i, true);
	if (im.failed) {
		store_rollback(rd->store);
	} else if (store_commit(rd->store) != RP_OK) {
		im.failed = true;
	}
	if (im.failed) {
		api_reply_error(req, 500, "the store failed: nothing imported");
		goto out;
	}
	rp_log_info("vulns: imported %lld, replaced %lld, unchanged %lld, "
	            "refused %zu",
	            (long long)im.added, (long long)im.replaced,
	            (long long)im.unchanged, json_array_size(im.refused));
	api_reply_json(req, 200,
	               json_pack("{s:I, s:I, s:I, s:O}", "imported", im.added,
	                         "replaced", im.replaced, "unchanged",
	                         im.unchanged, "refused", im.refused));
out:
	json_decref(im.refused);
	json_decref(in);
	free(body);
}

/* store_vuln_each: every stored record into the db (arg). */
static int load_one(void *arg, const char *id, const char *rec, size_t len)
{
	struct rp_sbom_diag d;

	memset(&d, 0, sizeof d);
	/* accepted at import by the same parser: a record that no longer
	 * parses (a newer parser) is left out, and said */
	if (rp_osv_parse(arg, rec, len, id, &d) != RP_OK)
		rp_log_warn("vulns: stored record %s skipped: %s", id, d.msg);
	return 0;
}

static json_t *findings_json(const struct rp_sbom *s,
                             const struct rp_osv_db *db,
                             const struct rp_vuln_finding *f, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < n; i++) {
		const struct rp_sbom_component *c = &s->comp[f[i].comp];
		json_t *a = json_array();

		for (size_t k = 0; a != NULL && k < f[i].vuln->naliases; k++)
			json_array_append_new(
			    a, json_string(f[i].vuln->aliases[k]));
		json_array_append_new(
		    list,
		    json_pack("{s:s, s:s?, s:s?, s:s, s:o, s:s?, s:s?}",
		              "component", c->name, "version", c->version,
		              "purl", c->purl, "id", f[i].vuln->id, "aliases",
		              a != NULL ? a : json_array(), "summary",
		              f[i].vuln->summary, "fixed", f[i].fixed));
	}
	return json_pack("{s:I, s:I, s:o}", "components", (json_int_t)s->ncomp,
	                 "records", (json_int_t)db->n, "findings", list);
}

API_HANDLER(api_release_vulns)
{
	struct rp_osv_db db;
	struct rp_sbom_diag d;
	struct rp_sbom *sb = NULL;        /* owned here */
	struct rp_vuln_finding *f = NULL; /* owned here */
	char *text = NULL;                /* owned here */
	size_t len = 0, n = 0;
	json_t *j;
	rp_err rc;

	memset(&db, 0, sizeof db);
	memset(&d, 0, sizeof d);
	rc = store_release_sbom(rd->store, rr->param[0], &text, &len);
	if (rc == RP_E_NOT_FOUND || rc == RP_E_INVAL) {
		api_reply_error(req, 404, "no such release");
		goto out;
	}
	if (rc == RP_OK && text == NULL) {
		api_reply_error(req, 404,
		                "the release has no SBOM to match (add the "
		                "image with rampart release add --sbom FILE)");
		goto out;
	}
	if (rc == RP_OK)
		rc = rp_sbom_parse(text, len, &sb, &d);
	if (rc == RP_OK)
		rc = store_vuln_each(rd->store, load_one, &db);
	if (rc == RP_OK)
		rc = rp_vuln_match(sb, &db, &f, &n);
	if (rc != RP_OK) {
		rp_log_error("vulns: release %s: %s", rr->param[0],
		             d.msg[0] ? d.msg : rp_strerror(rc));
		api_reply_error(req, 500, "cannot match the release's SBOM");
		goto out;
	}
	j = findings_json(sb, &db, f, n);
	if (j != NULL)
		json_object_set_new(j, "release", json_string(rr->param[0]));
	api_reply_json(req, 200, j);
out:
	rp_free(f);
	rp_sbom_free(sb);
	rp_osv_db_free(&db);
	rp_free(text);
}
