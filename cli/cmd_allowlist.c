/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_allowlist.c - "rampart allowlist import|list|show|remove": the
 * device allowlist over rampartd's admin API. The CSV is checked by the
 * server (errors name the line); this command only carries it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cli.h"

#include "rampart/alloc.h"

static void usage(void)
{
	fprintf(stderr,
	        "usage: rampart allowlist import FILE [OPTIONS]\n"
	        "       rampart allowlist list [OPTIONS]\n"
	        "       rampart allowlist show SERIAL [OPTIONS]\n"
	        "       rampart allowlist remove SERIAL [OPTIONS]\n"
	        "options: --server URL --token-file FILE [--ca ROOT.pem] "
	        "[--json]\n"
	        "CSV: serial,hw_type,hw_token,group,tags "
	        "(docs/admin-api.md)\n");
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 65536 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > 64u * 1024 * 1024) {
				errno = EFBIG;
				break;
			}
			nb = rp_realloc(buf, cap);
			if (nb == NULL)
				break;
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				break;
			fclose(f);
			*len = n;
			return buf;
		}
	}
	fclose(f);
	free(buf);
	return NULL;
}

/* One line per entry: SERIAL STATE GROUP HW_TYPE TOKEN? TAGS */
static void print_entry(json_t *e)
{
	const char *tok = json_string_value(json_object_get(e, "hw_token"));

	printf("%-24s %-15s %-12s %-10s %-5s %s\n",
	       json_string_value(json_object_get(e, "serial")),
	       json_string_value(json_object_get(e, "state")),
	       json_string_value(json_object_get(e, "group")),
	       json_string_value(json_object_get(e, "hw_type")),
	       tok && tok[0] ? "yes" : "no",
	       json_string_value(json_object_get(e, "tags")));
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

int cmd_allowlist(int argc, char **argv)
{
	struct admin_opts o;
	const char *sub = NULL, *arg = NULL;
	char path[256], *csv = NULL;
	json_t *j = NULL;
	size_t len = 0, k;
	int i = 1, r, code = CLI_ERROR;

	admin_opts_init(&o);
	while (i < argc) {
		r = admin_opt(&o, argc, argv, &i);
		if (r < 0)
			return CLI_ERROR;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0) {
			usage();
			return CLI_OK;
		}
		if (argv[i][0] == '-' || (sub != NULL && arg != NULL)) {
			usage();
			return CLI_ERROR;
		}
		if (sub == NULL)
			sub = argv[i];
		else
			arg = argv[i];
		i++;
	}
	if (sub == NULL) {
		usage();
		return CLI_ERROR;
	}
	if (strcmp(sub, "import") == 0 && arg != NULL) {
		csv = read_all(arg, &len);
		if (csv == NULL) {
			fprintf(stderr, "rampart: cannot read %s: %s\n", arg,
			        strerror(errno));
			return CLI_ERROR;
		}
		code = admin_call(&o, "POST", "/api/v1/allowlist", "text/csv",
		                  csv, len, &j);
		if (code == CLI_OK)
			printf("imported %lld entries\n",
			       (long long)json_integer_value(
			           json_object_get(j, "imported")));
	} else if (strcmp(sub, "list") == 0 && arg == NULL) {
		code = admin_call(&o, "GET", "/api/v1/allowlist", NULL, NULL, 0,
		                  &j);
		if (code == CLI_OK && o.json) {
			print_json(j);
		} else if (code == CLI_OK) {
			printf("%-24s %-15s %-12s %-10s %-5s %s\n", "SERIAL",
			       "STATE", "GROUP", "HW_TYPE", "TOKEN", "TAGS");
			for (k = 0; k < json_array_size(j); k++)
				print_entry(json_array_get(j, k));
		}
	} else if ((strcmp(sub, "show") == 0 || strcmp(sub, "remove") == 0) &&
	           arg != NULL) {
		if (snprintf(path, sizeof path, "/api/v1/allowlist/%s", arg) >=
		    (int)sizeof path) {
			fprintf(stderr, "rampart: serial too long\n");
			return CLI_ERROR;
		}
		code = admin_call(&o, sub[0] == 's' ? "GET" : "DELETE", path,
		                  NULL, NULL, 0, &j);
		if (code == CLI_OK && sub[0] == 's')
			print_json(j);
		else if (code == CLI_OK)
			printf("removed %s\n", arg);
	} else {
		usage();
	}
	json_decref(j);
	free(csv);
	return code;
}
