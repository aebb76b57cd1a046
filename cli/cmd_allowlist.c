/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_allowlist.c - "rampart allowlist import|list|show|remove": the
 * device allowlist over rampartd's admin API. The CSV is checked by the
 * server (errors name the line); this command only carries it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "admin.h"
#include "answer.h"
#include "cli.h"
#include "human.h"
#include "rampart/alloc.h"

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

/* allowlist list, for a person: one row an entry (the table escapes). */
static void print_entries(const json_t *j)
{
	static const char *heads[] = {"SERIAL",  "STATE", "GROUP",
	                              "HW_TYPE", "TOKEN", "TAGS"};
	struct human_table *t = human_table_new(6, heads);

	for (size_t k = 0; k < json_array_size(j); k++) {
		const json_t *e = json_array_get(j, k);
		const char *row[] = {answer_str(e, "serial"),
		                     answer_str(e, "state"),
		                     answer_str(e, "group"),
		                     answer_str(e, "hw_type"),
		                     answer_str(e, "hw_token")[0] ? "yes"
		                                                  : "no",
		                     answer_str(e, "tags")};

		(void)human_table_add(t, row);
	}
	human_table_print(t, "no allowlist entries", stdout);
	human_table_free(t);
}

static int al_import(const struct tool_ctx *c)
{
	const char *file = c->argv[0];
	struct admin_opts o;
	char *csv = NULL;
	json_t *j = NULL;
	size_t len = 0;
	int code;

	cli_admin_opts_get(c, &o);
	csv = read_all(file, &len);
	if (csv == NULL) {
		fprintf(stderr, "%s: cannot read %s: %s\n", c->path, file,
		        strerror(errno));
		return CLI_ERROR;
	}
	code = admin_call(&o, "POST", "/api/v1/allowlist", "text/csv", csv, len,
	                  &j);
	if (code == CLI_OK && o.json)
		answer_print_json(j);
	else if (code == CLI_OK)
		printf("imported %lld entries\n", answer_num(j, "imported"));
	json_decref(j);
	free(csv);
	return code;
}

static int al_list(const struct tool_ctx *c)
{
	struct admin_opts o;
	json_t *j = NULL;
	int code;

	cli_admin_opts_get(c, &o);
	code = admin_call(&o, "GET", "/api/v1/allowlist", NULL, NULL, 0, &j);
	if (code == CLI_OK && o.json)
		answer_print_json(j);
	else if (code == CLI_OK)
		print_entries(j);
	json_decref(j);
	return code;
}

/* show and remove: one entry by serial. */
static int al_entry(const struct tool_ctx *c)
{
	const char *serial = c->argv[0];
	bool show = strcmp(c->cmd->name, "show") == 0;
	struct admin_opts o;
	char path[256], *esc = NULL;
	json_t *j = NULL;
	int code = CLI_ERROR;

	cli_admin_opts_get(c, &o);
	/* the serial is one path segment, whatever it holds */
	esc = evhttp_uriencode(serial, -1, 0);
	if (esc == NULL) {
		fprintf(stderr, "%s: out of memory\n", c->path);
		goto out;
	}
	if (snprintf(path, sizeof path, "/api/v1/allowlist/%s", esc) >=
	    (int)sizeof path) {
		code = tool_usage_error(c, "SERIAL is too long");
		goto out;
	}
	code = admin_call(&o, show ? "GET" : "DELETE", path, NULL, NULL, 0, &j);
	if (code == CLI_OK && o.json)
		answer_print_json(j);
	else if (code == CLI_OK && show)
		cli_device_print(j); /* the alias of GET /devices/SERIAL */
	else if (code == CLI_OK)
		printf("removed %s\n", serial);
out:
	free(esc);
	json_decref(j);
	return code;
}

static const struct tool_arg file_arg[] = {{"FILE", TOOL_REQUIRED}, {0}};
static const struct tool_arg serial_arg[] = {{"SERIAL", TOOL_REQUIRED}, {0}};

#define AL(n, s, a, r, m)                                                     \
	{                                                                     \
		.name = n, .summary = s, .shared = cli_admin_opts, .args = a, \
		.run = r, .more = m                                           \
	}
const struct tool_cmd allowlist_cmds[] = {
    AL("import", "add or update devices from a CSV file", file_arg, al_import,
       "CSV: serial,hw_type,hw_token,group,tags (docs/admin-api.md); the "
       "server checks it and names the line of a mistake."),
    AL("list", "every allowlisted device and its state", NULL, al_list, NULL),
    AL("show", "one entry: as device show (--json: the JSON)", serial_arg,
       al_entry, NULL),
    AL("remove", "take a device off the allowlist", serial_arg, al_entry, NULL),
    {0},
};
