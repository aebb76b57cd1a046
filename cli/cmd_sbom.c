/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sbom.c - rampart sbom: a firmware's CycloneDX 1.6 SBOM generated
 * from a Debian root file system's dpkg status file or a components CSV
 * (generate), an SBOM checked by the parser rampartd uses (check), and
 * its components matched offline against an OSV feed (vulns), all on
 * lib/sbom (docs/sbom.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_sbom.h"
#include "human.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"
#include "rampart/file.h"
#include "sbom.h"

/* s with bytes outside printable ASCII escaped (the input chose them). */
static const char *esc(const char *s, char *b, size_t cap)
{
	rp_escape(b, cap, s, strlen(s));
	return b;
}

/* Read path for c (at most the SBOM limit): RP_OK, or the message said
 * and the exit code in *ret (2: cannot read, 1: too big). */
static rp_err read_input(const struct tool_ctx *c, const char *path, char **buf,
                         size_t *len, int *ret)
{
	rp_err rc = rp_file_read(path, RP_SBOM_MAX_FILE, buf, len);

	if (rc == RP_E_TOO_BIG) {
		fprintf(stderr, "%s: %s: larger than %u bytes\n", c->path, path,
		        RP_SBOM_MAX_FILE);
		*ret = CLI_NO;
	} else if (rc != RP_OK) {
		fprintf(stderr, "%s: cannot read %s: %s\n", c->path, path,
		        rc == RP_E_IO || rc == RP_E_PERM ? strerror(errno)
		                                         : rp_strerror(rc));
		*ret = CLI_ERROR;
	}
	return rc;
}

/* SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
static int64_t build_time(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (e != NULL && *e != '\0' && cli_uint(e, INT64_MAX, &v))
		return (int64_t)v;
	return (int64_t)time(NULL);
}

static const struct tool_opt gen_opts[] = {
    {.name = "dpkg-status",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "a root file system's var/lib/dpkg/status: its installed "
             "packages"},
    {.name = "csv",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "a components CSV: name,version,purl,licence,hashes"},
    {.name = "name",
     .kind = TOOL_STRING,
     .value = "NAME",
     .help = "the firmware's name (default: firmware)"},
    {.name = "version",
     .kind = TOOL_STRING,
     .value = "VERSION",
     .help = "the firmware's version"},
    {.name = "vendor",
     .kind = TOOL_STRING,
     .value = "NAME",
     .help = "the pkg:deb namespace of --dpkg-status packages (default: "
             "debian)"},
    {.name = "out",
     .shortname = 'o',
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "write the SBOM to FILE (atomically) instead of stdout"},
    {0},
};

static int sbom_generate(const struct tool_ctx *c)
{
	char e1[4 * sizeof(struct rp_sbom_diag) + 1];
	const char *dpkg = tool_str(c, "dpkg-status"),
	           *csv = tool_str(c, "csv");
	const char *out = tool_str(c, "out"), *in = dpkg != NULL ? dpkg : csv;
	const char *vendor = tool_str(c, "vendor");
	struct rp_sbom *s = NULL, *back = NULL;
	struct rp_sbom_diag d;
	char *buf = NULL, *text = NULL;
	size_t len = 0, tlen = 0;
	int ret = CLI_ERROR;
	rp_err rc;

	if ((dpkg == NULL) == (csv == NULL))
		return tool_usage_error(c, "give one of --dpkg-status and "
		                           "--csv");
	if (vendor != NULL && dpkg == NULL)
		return tool_usage_error(c, "--vendor is for --dpkg-status");
	if (read_input(c, in, &buf, &len, &ret) != RP_OK)
		goto out;
	s = rp_sbom_new(tool_str(c, "name") != NULL ? tool_str(c, "name")
	                                            : "firmware",
	                tool_str(c, "version"), build_time());
	if (s == NULL) {
		fprintf(stderr, "%s: out of memory\n", c->path);
		goto out;
	}
	rc = dpkg != NULL ? rp_sbom_add_dpkg_status(s, buf, len, vendor, &d)
	                  : rp_sbom_add_csv(s, buf, len, &d);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: %s: %s\n", c->path, in,
		        d.msg[0] != '\0' ? esc(d.msg, e1, sizeof e1)
		                         : rp_strerror(rc));
		ret = rc == RP_E_NOMEM ? CLI_ERROR : CLI_NO;
		goto out;
	}
	rc = rp_sbom_write(s, &text, &tlen);
	/* what rampartd will parse: our own parser must take it */
	if (rc == RP_OK)
		rc = rp_sbom_parse(text, tlen, &back, &d);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: cannot build the SBOM: %s\n", c->path,
		        d.msg[0] != '\0' ? d.msg : rp_strerror(rc));
		goto out;
	}
	if (out != NULL) {
		rc = rp_file_write_atomic(out, text, tlen, 0644);
		if (rc != RP_OK) {
			fprintf(
			    stderr, "%s: cannot write %s: %s\n", c->path, out,
			    rc == RP_E_IO ? strerror(errno) : rp_strerror(rc));
			goto out;
		}
		fprintf(stderr, "%s: %zu component%s from %s\n", out, s->ncomp,
		        s->ncomp == 1 ? "" : "s", in);
	} else if (fwrite(text, 1, tlen, stdout) != tlen) {
		goto out; /* main's finish() says why */
	}
	ret = CLI_OK;
out:
	rp_sbom_free(back);
	rp_sbom_free(s);
	rp_free(text);
	rp_free(buf);
	return ret;
}

static const struct tool_opt json_opts[] = {
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
static const struct tool_arg file_arg[] = {{"FILE", TOOL_REQUIRED}, {0}};

static void json_print(json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);

	if (t != NULL)
		printf("%s\n", t);
	rp_free(t);
	json_decref(j);
}

static int sbom_check(const struct tool_ctx *c)
{
	char e1[4 * sizeof(struct rp_sbom_diag) + 1], e2[4 * 1024 + 1];
	const char *path = c->argv[0];
	struct rp_sbom *s = NULL;
	struct rp_sbom_diag d;
	char *buf = NULL;
	size_t len = 0;
	int ret = CLI_ERROR;
	rp_err rc;

	rc = read_input(c, path, &buf, &len, &ret);
	if (rc == RP_E_TOO_BIG) {
		snprintf(d.msg, sizeof d.msg, "$: larger than %u bytes",
		         RP_SBOM_MAX_FILE);
	} else if (rc != RP_OK) {
		goto out;
	} else {
		rc = rp_sbom_parse(buf, len, &s, &d);
	}
	if (rc == RP_E_NOMEM) {
		fprintf(stderr, "%s: out of memory\n", c->path);
		goto out;
	}
	ret = rc == RP_OK ? CLI_OK : CLI_NO;
	if (tool_flag(c, "json")) {
		json_t *j = json_pack("{s:s, s:b, s:s}", "file", path, "valid",
		                      rc == RP_OK, "error", rp_errname(rc));

		if (j != NULL && rc != RP_OK)
			json_object_set_new(j, "message", json_string(d.msg));
		if (j != NULL && rc == RP_OK) {
			json_object_set_new(j, "spec_version",
			                    json_string(s->spec_version));
			json_object_set_new(j, "components",
			                    json_integer((json_int_t)s->ncomp));
			if (s->name != NULL)
				json_object_set_new(j, "name",
				                    json_string(s->name));
			if (s->version != NULL)
				json_object_set_new(j, "version",
				                    json_string(s->version));
		}
		json_print(j);
	} else if (rc == RP_OK) {
		printf("%s: valid CycloneDX %s SBOM", path, s->spec_version);
		if (s->name != NULL)
			printf(" of %s%s%s", esc(s->name, e1, sizeof e1),
			       s->version != NULL ? " " : "",
			       s->version != NULL
			           ? esc(s->version, e2, sizeof e2)
			           : "");
		printf(", %zu components\n", s->ncomp);
	} else {
		printf("%s: refused: %s\n", path, esc(d.msg, e1, sizeof e1));
	}
out:
	rp_sbom_free(s);
	rp_free(buf);
	return ret;
}

static const struct tool_opt vulns_opts[] = {
    {.name = "osv",
     .kind = TOOL_PATH,
     .value = "FILE|DIR",
     .help = "the OSV feed: one record, or a folder of *.json records",
     .flags = TOOL_REQUIRED},
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
static const struct tool_arg sbom_arg[] = {{"SBOM", TOOL_REQUIRED}, {0}};

/* A finding's aliases joined by ", " into b. */
static const char *aliases(const struct rp_osv_vuln *v, char *b, size_t cap)
{
	size_t i, n = 0;

	b[0] = '\0';
	for (i = 0; i < v->naliases && n < cap; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s%s", i > 0 ? ", " : "",
		                      v->aliases[i]);
	return v->naliases > 0 ? b : "-";
}

static int print_findings(const struct rp_sbom *s, const struct rp_osv_db *db,
                          const struct rp_vuln_finding *f, size_t n, bool json)
{
	static const char *const heads[] = {
	    "COMPONENT", "VERSION", "VULNERABILITY", "ALIASES", "FIXED IN"};
	struct human_table *t;
	char al[512];
	size_t i, k;

	if (json) {
		json_t *j =
		    json_pack("{s:I, s:I, s:[]}", "records", (json_int_t)db->n,
		              "components", (json_int_t)s->ncomp, "findings");
		json_t *list =
		    j != NULL ? json_object_get(j, "findings") : NULL;

		if (list == NULL) {
			json_decref(j);
			return -1;
		}
		for (i = 0; i < n; i++) {
			const struct rp_sbom_component *c = &s->comp[f[i].comp];
			json_t *a = json_array(), *o;

			for (k = 0; a != NULL && k < f[i].vuln->naliases; k++)
				json_array_append_new(
				    a, json_string(f[i].vuln->aliases[k]));
			o = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:o, s:s?, "
			              "s:s?}",
			              "component", c->name, "version",
			              c->version, "purl", c->purl, "path",
			              c->path, "id", f[i].vuln->id, "aliases",
			              a != NULL ? a : json_array(), "summary",
			              f[i].vuln->summary, "fixed", f[i].fixed);
			if (o == NULL || json_array_append_new(list, o) != 0) {
				json_decref(j);
				return -1;
			}
		}
		json_print(j);
		return 0;
	}
	t = human_table_new(5, heads);
	if (t == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct rp_sbom_component *c = &s->comp[f[i].comp];
		const char *cells[5] = {
		    c->name, c->version != NULL ? c->version : "-",
		    f[i].vuln->id, aliases(f[i].vuln, al, sizeof al),
		    f[i].fixed != NULL ? f[i].fixed : "unknown"};

		if (human_table_add(t, cells) != 0) {
			human_table_free(t);
			return -1;
		}
	}
	human_table_print(t, "no known vulnerabilities", stdout);
	human_table_free(t);
	printf("%zu finding%s in %zu components, %zu OSV records\n", n,
	       n == 1 ? "" : "s", s->ncomp, db->n);
	return 0;
}

static int sbom_vulns(const struct tool_ctx *c)
{
	char e1[4 * sizeof(struct rp_sbom_diag) + 1];
	const char *path = c->argv[0], *feed = tool_str(c, "osv");
	struct rp_osv_db db = {0};
	struct rp_vuln_finding *f = NULL;
	struct rp_sbom *s = NULL;
	struct rp_sbom_diag d;
	char *buf = NULL;
	size_t len = 0, n = 0;
	int ret = CLI_ERROR;
	rp_err rc;

	if (read_input(c, path, &buf, &len, &ret) != RP_OK) {
		ret = CLI_ERROR;
		goto out;
	}
	rc = rp_sbom_parse(buf, len, &s, &d);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: %s refused: %s\n", c->path, path,
		        d.msg[0] != '\0' ? esc(d.msg, e1, sizeof e1)
		                         : rp_strerror(rc));
		goto out;
	}
	rc = rp_osv_load(&db, feed, &d);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: the OSV feed refused: %s\n", c->path,
		        d.msg[0] != '\0' ? esc(d.msg, e1, sizeof e1)
		                         : rp_strerror(rc));
		goto out;
	}
	rc = rp_vuln_match(s, &db, &f, &n);
	if (rc != RP_OK ||
	    print_findings(s, &db, f, n, tool_flag(c, "json")) != 0) {
		fprintf(stderr, "%s: out of memory\n", c->path);
		goto out;
	}
	ret = n == 0 ? CLI_OK : CLI_NO;
out:
	rp_free(f);
	rp_osv_db_free(&db);
	rp_sbom_free(s);
	rp_free(buf);
	return ret;
}

const struct tool_cmd sbom_cmds[] = {
    {.name = "generate",
     .summary = "a CycloneDX 1.6 SBOM from a dpkg status file or a CSV",
     .opts = gen_opts,
     .run = sbom_generate,
     .more = "The output is checked by the parser of rampart sbom check "
             "before it is written. SOURCE_DATE_EPOCH, when set, is its "
             "timestamp. Exit 0 written, 1 the input refused (its line "
             "is named), 2 could not read or write."},
    {.name = "check",
     .summary = "is FILE a CycloneDX 1.5/1.6 SBOM rampartd accepts",
     .opts = json_opts,
     .args = file_arg,
     .run = sbom_check,
     .more = "Exit 0 valid, 1 refused (the JSON path of the fault is "
             "printed), 2 could not read."},
    {.name = "vulns",
     .summary = "an SBOM's components with known vulnerabilities (OSV)",
     .opts = vulns_opts,
     .args = sbom_arg,
     .run = sbom_vulns,
     .more = "Offline: the OSV records are files you bring (docs/sbom.md). "
             "Exit 0 none found, 1 findings printed, 2 could not read "
             "or an input was refused."},
    {0},
};
