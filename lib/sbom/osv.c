/* SPDX-License-Identifier: Apache-2.0 */
/*
 * osv.c - the strict OSV parser and loader (sbom.h, docs/sbom.md): one
 * vulnerability record as the OSV schema defines it (validation/
 * schema.json: id and modified required; affected[].package, ranges[]
 * with type ECOSYSTEM|SEMVER|GIT, GIT ranges with a repo, events each of
 * exactly one of introduced/fixed/last_affected/limit, at least one
 * introduced, never both fixed and last_affected; versions[]), with the
 * versions of SEMVER ranges and of Debian/Ubuntu ecosystems checked by
 * their ordering's syntax, since matching compares them. Members the
 * schema defines are type-checked; members it does not define are
 * allowed (the format grows by adding them). A refusal names the JSON
 * path, after the file when loading a folder.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rampart/alloc.h"
#include "rampart/file.h"
#include "sbom_int.h"

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static bool rfc3339(const char *s)
{
	size_t n = strlen(s), i = 19;

	if (n < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
	    !digits(s + 17, 2))
		return false;
	if (s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (s[i] == 'Z' || s[i] == 'z')
		return i + 1 == n;
	return (s[i] == '+' || s[i] == '-') && n - i == 6 &&
	       digits(s + i + 1, 2) && s[i + 3] == ':' && digits(s + i + 4, 2);
}

static bool deb_ecosystem(const char *e)
{
	size_t i;
	static const char *const d[] = {"Debian", "Ubuntu", NULL};

	if (e == NULL)
		return false;
	for (i = 0; d[i] != NULL; i++) {
		size_t n = strlen(d[i]);

		if (strncmp(e, d[i], n) == 0 && (e[n] == '\0' || e[n] == ':'))
			return true;
	}
	return false;
}

/* An optional array at o.key (null as absent), at most RP_OSV_MAX_ITEMS. */
static rp_err opt_array(json_t *o, const char *key, const char *path,
                        json_t **out, struct rp_sbom_diag *d)
{
	json_t *v = json_object_get(o, key);
	char p[256];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return RP_OK;
	snprintf(p, sizeof p, "%s.%s", path, key);
	if (!json_is_array(v)) {
		sbom_fail(d, p, "not an array");
		return RP_E_SYNTAX;
	}
	if (json_array_size(v) > RP_OSV_MAX_ITEMS) {
		sbom_fail(d, p, "more than %u entries", RP_OSV_MAX_ITEMS);
		return RP_E_TOO_BIG;
	}
	*out = v;
	return RP_OK;
}

/* An array of strings (absent: 0 of them) into a new list *out. */
static rp_err str_list(json_t *o, const char *key, const char *path,
                       const char ***out, size_t *n, struct rp_sbom_diag *d)
{
	json_t *a, *v;
	char p[256];
	size_t i;
	rp_err rc;

	*out = NULL;
	*n = 0;
	rc = opt_array(o, key, path, &a, d);
	if (rc != RP_OK || a == NULL || json_array_size(a) == 0)
		return rc;
	*out = rp_calloc(json_array_size(a), sizeof **out);
	if (*out == NULL)
		return RP_E_NOMEM;
	json_array_foreach(a, i, v)
	{
		snprintf(p, sizeof p, "%s.%s[%zu]", path, key, i);
		rc = sbom_str(v, p, false, &(*out)[i], d);
		if (rc != RP_OK)
			return rc;
		(*n)++;
	}
	return RP_OK;
}

static rp_err opt_string(json_t *o, const char *key, const char *path,
                         bool limited, const char **out, struct rp_sbom_diag *d)
{
	json_t *v = json_object_get(o, key);
	char p[256];

	*out = NULL;
	if (v == NULL)
		return RP_OK;
	snprintf(p, sizeof p, "%s.%s", path, key);
	if (limited)
		return sbom_str(v, p, false, out, d);
	if (!json_is_string(v)) {
		sbom_fail(d, p, "not a string");
		return RP_E_SYNTAX;
	}
	*out = json_string_value(v);
	return RP_OK;
}

static const char *const ev_keys[] = {"introduced", "fixed", "last_affected",
                                      "limit", NULL};

static rp_err range(json_t *o, const char *path, const char *ecosystem,
                    struct rp_osv_range *r, struct rp_sbom_diag *d)
{
	static const char *const types[] = {"ECOSYSTEM", "SEMVER", "GIT", NULL};
	const char *type, *repo;
	json_t *evs, *e;
	char p[256];
	size_t i, k;
	bool intro = false, fixed = false, last = false;
	rp_err rc;

	if (!json_is_object(o)) {
		sbom_fail(d, path, "not an object");
		return RP_E_SYNTAX;
	}
	snprintf(p, sizeof p, "%s.type", path);
	rc = sbom_str(json_object_get(o, "type"), p, false, &type, d);
	if (rc != RP_OK)
		return rc;
	for (k = 0; types[k] != NULL && strcmp(type, types[k]) != 0; k++)
		;
	if (types[k] == NULL) {
		sbom_fail(d, p, "not ECOSYSTEM, SEMVER or GIT");
		return RP_E_SYNTAX;
	}
	r->type = k == 0   ? RP_OSV_ECOSYSTEM
	          : k == 1 ? RP_OSV_SEMVER
	                   : RP_OSV_GIT;
	rc = opt_string(o, "repo", path, true, &repo, d);
	if (rc != RP_OK)
		return rc;
	if (r->type == RP_OSV_GIT && repo == NULL) {
		snprintf(p, sizeof p, "%s.repo", path);
		sbom_fail(d, p, "missing (a GIT range needs its repo)");
		return RP_E_SYNTAX;
	}
	rc = opt_array(o, "events", path, &evs, d);
	if (rc != RP_OK)
		return rc;
	snprintf(p, sizeof p, "%s.events", path);
	if (evs == NULL || json_array_size(evs) == 0) {
		sbom_fail(d, p, "missing or empty");
		return RP_E_SYNTAX;
	}
	r->ev = rp_calloc(json_array_size(evs), sizeof *r->ev);
	if (r->ev == NULL)
		return RP_E_NOMEM;
	json_array_foreach(evs, i, e)
	{
		const char *key, *ver;

		snprintf(p, sizeof p, "%s.events[%zu]", path, i);
		if (!json_is_object(e) || json_object_size(e) != 1) {
			sbom_fail(d, p,
			          "not an object with exactly one of "
			          "introduced, fixed, last_affected, "
			          "limit");
			return RP_E_SYNTAX;
		}
		key = json_object_iter_key(json_object_iter(e));
		for (k = 0; ev_keys[k] != NULL && strcmp(key, ev_keys[k]); k++)
			;
		if (ev_keys[k] == NULL) {
			sbom_fail(d, p,
			          "'%.40s' is not introduced, fixed, "
			          "last_affected or limit",
			          key);
			return RP_E_SYNTAX;
		}
		snprintf(p, sizeof p, "%s.events[%zu].%s", path, i, key);
		rc = sbom_str(json_object_get(e, key), p, false, &ver, d);
		if (rc != RP_OK)
			return rc;
		r->ev[i].kind = (enum rp_osv_event_kind)k;
		r->ev[i].version = ver;
		intro |= k == RP_OSV_INTRODUCED;
		fixed |= k == RP_OSV_FIXED;
		last |= k == RP_OSV_LAST_AFFECTED;
		if (k == RP_OSV_INTRODUCED && strcmp(ver, "0") == 0)
			continue;
		if (r->type == RP_OSV_SEMVER && !rp_ver_semver_valid(ver)) {
			sbom_fail(d, p, "'%.60s' is not a SemVer 2.0.0 version",
			          ver);
			return RP_E_SYNTAX;
		}
		if (r->type == RP_OSV_ECOSYSTEM && deb_ecosystem(ecosystem) &&
		    !rp_ver_deb_valid(ver)) {
			sbom_fail(d, p, "'%.60s' is not a Debian version", ver);
			return RP_E_SYNTAX;
		}
	}
	r->nev = json_array_size(evs);
	snprintf(p, sizeof p, "%s.events", path);
	if (!intro) {
		sbom_fail(d, p, "no introduced event");
		return RP_E_SYNTAX;
	}
	if (fixed && last) {
		sbom_fail(d, p, "both fixed and last_affected");
		return RP_E_SYNTAX;
	}
	return RP_OK;
}

static rp_err affected(json_t *o, const char *path, struct rp_osv_affected *a,
                       struct rp_sbom_diag *d)
{
	struct rp_purl purl;
	struct rp_sbom_diag pd;
	json_t *pkg, *rs, *v;
	char p[256];
	size_t i;
	rp_err rc;

	if (!json_is_object(o)) {
		sbom_fail(d, path, "not an object");
		return RP_E_SYNTAX;
	}
	pkg = json_object_get(o, "package");
	snprintf(p, sizeof p, "%s.package", path);
	if (pkg != NULL) {
		if (!json_is_object(pkg)) {
			sbom_fail(d, p, "not an object");
			return RP_E_SYNTAX;
		}
		if (json_object_get(pkg, "ecosystem") == NULL ||
		    json_object_get(pkg, "name") == NULL) {
			sbom_fail(d, p, "needs ecosystem and name");
			return RP_E_SYNTAX;
		}
		rc = opt_string(pkg, "ecosystem", p, true, &a->ecosystem, d);
		if (rc == RP_OK)
			rc = opt_string(pkg, "name", p, true, &a->name, d);
		if (rc == RP_OK)
			rc = opt_string(pkg, "purl", p, true, &a->purl, d);
		if (rc != RP_OK)
			return rc;
		if (a->purl != NULL) {
			rc = rp_purl_parse(a->purl, &purl, &pd);
			rp_purl_free(&purl);
			if (rc != RP_OK) {
				snprintf(p, sizeof p, "%s.package.purl", path);
				sbom_fail(d, p, "%s", pd.msg);
				return rc;
			}
		}
	}
	rc = opt_array(o, "ranges", path, &rs, d);
	if (rc != RP_OK)
		return rc;
	if (rs != NULL && json_array_size(rs) > 0) {
		a->range = rp_calloc(json_array_size(rs), sizeof *a->range);
		if (a->range == NULL)
			return RP_E_NOMEM;
		json_array_foreach(rs, i, v)
		{
			snprintf(p, sizeof p, "%s.ranges[%zu]", path, i);
			a->nrange = i + 1;
			rc = range(v, p, a->ecosystem, &a->range[i], d);
			if (rc != RP_OK)
				return rc;
		}
	}
	rc = str_list(o, "versions", path, &a->versions, &a->nversions, d);
	if (rc != RP_OK)
		return rc;
	rc = opt_array(o, "severity", path, &v, d);
	if (rc != RP_OK)
		return rc;
	v = json_object_get(o, "ecosystem_specific");
	if (v == NULL || json_is_object(v))
		v = json_object_get(o, "database_specific");
	if (v != NULL && !json_is_object(v)) {
		sbom_fail(d, path,
		          "ecosystem_specific or database_specific "
		          "not an object");
		return RP_E_SYNTAX;
	}
	return RP_OK;
}

static void vuln_free(struct rp_osv_vuln *v)
{
	size_t i, k;

	for (i = 0; v->aff != NULL && i < v->naff; i++) {
		for (k = 0; k < v->aff[i].nrange; k++)
			rp_free(v->aff[i].range[k].ev);
		rp_free(v->aff[i].range);
		rp_free(v->aff[i].versions);
	}
	rp_free(v->aff);
	rp_free(v->aliases);
	json_decref(v->json);
	memset(v, 0, sizeof *v);
}

static rp_err record(json_t *o, struct rp_osv_vuln *v, struct rp_sbom_diag *d)
{
	const char *t;
	json_t *a, *x;
	char p[64];
	size_t i;
	rp_err rc;

	if (json_object_get(o, "id") == NULL) {
		sbom_fail(d, "$.id",
		          "missing (an OSV record needs id and "
		          "modified)");
		return RP_E_SYNTAX;
	}
	rc = sbom_str(json_object_get(o, "id"), "$.id", false, &v->id, d);
	if (rc != RP_OK)
		return rc;
	if (strpbrk(v->id, " \t/\\") != NULL) {
		sbom_fail(d, "$.id", "a space or slash in an id");
		return RP_E_SYNTAX;
	}
	if (json_object_get(o, "modified") == NULL) {
		sbom_fail(d, "$.modified",
		          "missing (an OSV record needs id "
		          "and modified)");
		return RP_E_SYNTAX;
	}
	rc = sbom_str(json_object_get(o, "modified"), "$.modified", false,
	              &v->modified, d);
	if (rc != RP_OK)
		return rc;
	if (!rfc3339(v->modified)) {
		sbom_fail(d, "$.modified", "not an RFC 3339 date-time");
		return RP_E_SYNTAX;
	}
	for (i = 0; i < 2; i++) {
		const char *k = i == 0 ? "published" : "withdrawn";

		snprintf(p, sizeof p, "$.%s", k);
		rc = opt_string(o, k, "$", true, &t, d);
		if (rc != RP_OK)
			return rc;
		if (t != NULL && !rfc3339(t)) {
			sbom_fail(d, p, "not an RFC 3339 date-time");
			return RP_E_SYNTAX;
		}
		if (i == 1)
			v->withdrawn = t != NULL;
	}
	rc = opt_string(o, "summary", "$", false, &v->summary, d);
	if (rc == RP_OK)
		rc = opt_string(o, "details", "$", false, &t, d);
	if (rc == RP_OK)
		rc = opt_string(o, "schema_version", "$", true, &t, d);
	if (rc == RP_OK)
		rc = str_list(o, "aliases", "$", &v->aliases, &v->naliases, d);
	if (rc == RP_OK)
		rc = opt_array(o, "related", "$", &a, d);
	if (rc == RP_OK)
		rc = opt_array(o, "severity", "$", &a, d);
	if (rc == RP_OK)
		rc = opt_array(o, "references", "$", &a, d);
	if (rc == RP_OK)
		rc = opt_array(o, "affected", "$", &a, d);
	if (rc != RP_OK || a == NULL || json_array_size(a) == 0)
		return rc;
	v->aff = rp_calloc(json_array_size(a), sizeof *v->aff);
	if (v->aff == NULL)
		return RP_E_NOMEM;
	json_array_foreach(a, i, x)
	{
		snprintf(p, sizeof p, "$.affected[%zu]", i);
		v->naff = i + 1;
		rc = affected(x, p, &v->aff[i], d);
		if (rc != RP_OK)
			return rc;
	}
	return RP_OK;
}

rp_err rp_osv_parse(struct rp_osv_db *db, const void *data, size_t len,
                    const char *where, struct rp_sbom_diag *d)
{
	struct rp_osv_vuln v;
	struct rp_sbom_diag local;
	json_t *root;
	rp_err rc;

	memset(&v, 0, sizeof v);
	if (d == NULL)
		d = &local;
	d->msg[0] = '\0';
	root = sbom_load(data, len, d, &rc);
	if (root == NULL)
		goto out;
	v.json = root;
	rc = record(root, &v, d);
	if (rc != RP_OK)
		goto out;
	if (db->n == db->cap) {
		size_t cap = db->cap == 0 ? 64 : db->cap * 2;
		struct rp_osv_vuln *nv = rp_realloc(db->v, cap * sizeof *nv);

		if (nv == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
		db->v = nv;
		db->cap = cap;
	}
	db->v[db->n++] = v; /* the db owns it now */
	memset(&v, 0, sizeof v);
out:
	if (rc != RP_OK && where != NULL && d->msg[0] != '\0') {
		char msg[sizeof d->msg];

		snprintf(msg, sizeof msg, "%s", d->msg);
		snprintf(d->msg, sizeof d->msg, "%.100s: %s", where, msg);
	}
	vuln_free(&v);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static rp_err load_file(struct rp_osv_db *db, const char *path,
                        struct rp_sbom_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	rp_err rc;

	rc = rp_file_read(path, RP_SBOM_MAX_FILE, &buf, &len);
	if (rc != RP_OK) {
		snprintf(d->msg, sizeof d->msg, "%.200s: %s", path,
		         rc == RP_E_TOO_BIG ? "larger than the limit"
		                            : rp_strerror(rc));
		goto out;
	}
	rc = rp_osv_parse(db, buf, len, path, d);
out:
	rp_free(buf);
	return rc;
}

rp_err rp_osv_load(struct rp_osv_db *db, const char *path,
                   struct rp_sbom_diag *d)
{
	struct rp_sbom_diag local;
	struct dirent *e;
	struct stat st;
	char **names = NULL, full[4096];
	size_t n = 0, cap = 0, i, n0 = db->n;
	DIR *dir = NULL;
	rp_err rc = RP_OK;

	if (d == NULL)
		d = &local;
	d->msg[0] = '\0';
	if (stat(path, &st) != 0) {
		rc = rp_err_errno(errno);
		snprintf(d->msg, sizeof d->msg, "%.200s: %s", path,
		         strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = load_file(db, path, d);
		goto out;
	}
	dir = opendir(path);
	if (dir == NULL) {
		rc = rp_err_errno(errno);
		snprintf(d->msg, sizeof d->msg, "%.200s: %s", path,
		         strerror(errno));
		goto out;
	}
	for (;;) {
		size_t l;
		char **nn;

		errno = 0;
		e = readdir(dir);
		if (e == NULL)
			break;
		l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if (n == RP_OSV_MAX_FILES) {
			snprintf(d->msg, sizeof d->msg,
			         "%.200s: more than %u files", path,
			         RP_OSV_MAX_FILES);
			rc = RP_E_TOO_BIG;
			goto out;
		}
		if (n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			nn = rp_realloc(names, cap * sizeof *nn);
			if (nn == NULL) {
				rc = RP_E_NOMEM;
				goto out;
			}
			names = nn;
		}
		names[n] = rp_strdup(e->d_name);
		if (names[n] == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
		n++;
	}
	if (errno != 0) {
		rc = RP_E_IO;
		goto out;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof full, "%s/%s", path, names[i]);
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		rc = load_file(db, full, d);
		if (rc != RP_OK)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		rp_free(names[i]);
	rp_free(names);
	if (dir != NULL)
		closedir(dir);
	while (rc != RP_OK && db->n > n0) /* all or nothing */
		vuln_free(&db->v[--db->n]);
	return rc;
}

void rp_osv_db_free(struct rp_osv_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++)
		vuln_free(&db->v[i]);
	rp_free(db->v);
	memset(db, 0, sizeof *db);
}
