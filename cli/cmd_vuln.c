/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_vuln.c - rampart vuln import: an offline OSV feed (a file, or every
 * *.json of a folder) into rampartd's known vulnerabilities over the
 * admin API (POST /api/v1/vulns, docs/releases.md), one request per
 * file, with a summary: imported, replaced, unchanged, and each refused
 * record with the reason and its JSON path.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "answer.h"
#include "cli.h"
#include "rampart/alloc.h"
#include "rampart/file.h"

/* The server's body limit for an import (UPLOAD_CHUNK_MAX). */
#define FILE_MAX  (4u * 1024 * 1024)
#define FILES_MAX 100000

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of dir, sorted: *out (owned by the caller, each
 * string and the array rp_free'd). -1 with errno when dir cannot be
 * read, holds more than FILES_MAX files (E2BIG) or memory ran out
 * (ENOMEM): never a part of the folder. */
static int list_dir(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **nv;
	size_t cap = 0, i;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return -1;
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		size_t l = strlen(e->d_name);
		char *p;

		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if (*n == FILES_MAX) {
			rc = E2BIG;
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (cap > FILES_MAX)
				cap = FILES_MAX;
			nv = rp_realloc(v, cap * sizeof *v);
			if (nv == NULL) {
				rc = ENOMEM;
				break;
			}
			v = nv;
		}
		p = rp_malloc(strlen(dir) + l + 2);
		if (p == NULL) {
			rc = ENOMEM;
			break;
		}
		snprintf(p, strlen(dir) + l + 2, "%s/%s", dir, e->d_name);
		v[(*n)++] = p;
	}
	closedir(d);
	if (rc != 0) {
		for (i = 0; i < *n; i++)
			rp_free(v[i]);
		rp_free(v);
		*n = 0;
		errno = rc;
		return -1;
	}
	if (v != NULL)
		qsort(v, *n, sizeof *v, by_name);
	*out = v;
	return 0;
}

struct totals {
	long long imported, replaced, unchanged, refused, files;
	json_t *refusals; /* [{"file", "id", "error"}] */
};

/* One file: POST it; add its answer to t. */
static int import_file(const struct admin_opts *o, const char *path,
                       struct totals *t)
{
	char *buf = NULL; /* owned here */
	size_t len = 0, i;
	json_t *j = NULL, *r;
	struct admin_opts q = *o;
	int code, status = 0;

	q.status = &status;
	if (rp_file_read(path, FILE_MAX, &buf, &len) != RP_OK) {
		json_array_append_new(
		    t->refusals, json_pack("{s:s, s:s}", "file", path, "error",
		                           "cannot read it (at most 4 MiB)"));
		t->refused++;
		return CLI_OK;
	}
	code = admin_call(&q, "POST", "/api/v1/vulns", "application/json", buf,
	                  len, &j);
	if (code == CLI_NO && status != 400) {
		/* not about the file (the token, a limit): said on stderr,
		 * and the next file would get the same answer */
		fprintf(stderr, "rampart: import stopped at %s\n", path);
		code = CLI_ERROR;
	}
	if (code == CLI_NO) {
		/* the server refused the file as a whole: said on stderr */
		json_array_append_new(
		    t->refusals,
		    json_pack("{s:s, s:s}", "file", path, "error",
		              "not an OSV record or an array of them"));
		t->refused++;
		code = CLI_OK;
	}
	if (code != CLI_OK)
		goto out;
	answer_tidy(j);
	t->files++;
	t->imported += answer_num(j, "imported");
	t->replaced += answer_num(j, "replaced");
	t->unchanged += answer_num(j, "unchanged");
	json_array_foreach(json_object_get(j, "refused"), i, r)
	{
		json_array_append_new(
		    t->refusals, json_pack("{s:s, s:s, s:s}", "file", path,
		                           "id", answer_str(r, "id"), "error",
		                           answer_str(r, "error")));
		t->refused++;
	}
out:
	json_decref(j);
	rp_free(buf);
	return code;
}

static int vuln_import(const struct tool_ctx *c)
{
	struct admin_opts o;
	struct totals t;
	const char *src = c->argv[0];
	char **files = NULL;
	const char *path;
	size_t n = 0, i;
	struct stat st;
	bool progress;
	json_t *r;
	int code = CLI_ERROR;

	cli_admin_opts_get(c, &o);
	memset(&t, 0, sizeof t);
	t.refusals = json_array();
	progress =
	    tool_flag(c, "progress") || (isatty(STDERR_FILENO) == 1 && !o.json);
	if (stat(src, &st) != 0) {
		fprintf(stderr,
		        "rampart: cannot read %s: %s (an OSV record, or a "
		        "folder of *.json records)\n",
		        src, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if (list_dir(src, &files, &n) != 0) {
			if (errno == E2BIG)
				fprintf(stderr,
				        "rampart: %s has more than %d *.json "
				        "files: import it in parts (one "
				        "folder each)\n",
				        src, FILES_MAX);
			else
				fprintf(stderr, "rampart: cannot list %s: %s\n",
				        src, strerror(errno));
			goto out;
		}
		if (n == 0) {
			fprintf(stderr,
			        "rampart: no *.json files in %s: nothing "
			        "to import\n",
			        src);
			code = CLI_NO;
			goto out;
		}
	} else {
		n = 1;
	}
	for (i = 0; i < n; i++) {
		path = files != NULL ? files[i] : src;
		code = import_file(&o, path, &t);
		if (code != CLI_OK)
			goto out;
		if (progress)
			fprintf(stderr, "\rrampart: %zu of %zu files%s", i + 1,
			        n, i + 1 == n ? "\n" : "");
	}
	if (o.json) {
		r = json_pack("{s:I, s:I, s:I, s:I, s:I, s:O}", "files",
		              (json_int_t)t.files, "imported",
		              (json_int_t)t.imported, "replaced",
		              (json_int_t)t.replaced, "unchanged",
		              (json_int_t)t.unchanged, "refused",
		              (json_int_t)t.refused, "refusals", t.refusals);
		answer_print_json(r);
		json_decref(r);
	} else {
		json_array_foreach(t.refusals, i, r)
		    printf("refused: %s%s%s: %s\n", answer_str(r, "file"),
		           answer_str(r, "id")[0] ? " " : "",
		           answer_str(r, "id"), answer_str(r, "error"));
		printf("imported %lld, replaced %lld, unchanged %lld, refused "
		       "%lld\n",
		       t.imported, t.replaced, t.unchanged, t.refused);
	}
	code = t.refused > 0 ? CLI_NO : CLI_OK;
out:
	for (i = 0; files != NULL && i < n; i++)
		rp_free(files[i]);
	rp_free(files);
	json_decref(t.refusals);
	return code;
}

static const struct tool_arg src_arg[] = {{"DIR|FILE", TOOL_REQUIRED}, {0}};
static const struct tool_opt import_opts[] = {
    {.name = "progress",
     .kind = TOOL_FLAG,
     .help = "show the files sent on stderr (default: on a tty)"},
    {0},
};

const struct tool_cmd vuln_cmds[] = {
    {.name = "import",
     .summary = "load an OSV feed (a file or a folder of *.json) into "
                "rampartd",
     .opts = import_opts,
     .shared = cli_admin_opts,
     .args = src_arg,
     .run = vuln_import,
     .more = "A record replaces the stored one with its id only when its "
             "modified time is newer. Exit 0 all imported, 1 some refused "
             "(each named with why), 2 could not import."},
    {0},
};
