/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdconfig.c - a program's configuration file in the terms of its
 * command table (TOOL_CONFIG, cmdline.h): the file's top-level keys are
 * the command's long options ('-' written '_'), read by the one strict
 * reader (rampart/config.h, docs/config-format.md) and then checked like
 * a value typed on the command line. The command line and the
 * environment come first; the file fills in what they left out.
 */
#include <stdlib.h>
#include <string.h>

#include "cmdline_int.h"
#include "rampart/alloc.h"
#include "rampart/config.h"
#include "rampart/mem.h"

/* One key's value as rp_config leaves it. */
struct cfg_slot {
	char *s; /* STRING: heap, owned by the slot */
	int b;   /* BOOL: a flag */
};

/* The kept values: slots[n], owned by the tool_ctx. */
struct tool_cfg {
	struct cfg_slot *slots;
	size_t n;
};

#define KEY_MAX 64

bool tool_config_key(const struct tool_opt *o, char *b, size_t cap)
{
	size_t i, n = strlen(o->name);

	if (n >= cap)
		return false;
	for (i = 0; i <= n; i++)
		b[i] = o->name[i] == '-' ? '_' : o->name[i];
	return true;
}

/* The options of cmd a file may set: all but the file's own (and
 * hidden ones); opt[i] for i < *n. */
static size_t file_opts(const struct tool_cmd *cmd, const struct tool_opt **opt,
                        size_t cap, const struct tool_opt **file)
{
	size_t n = 0;

	*file = NULL;
	TOOL_EACH_OPT (cmd, o) {
		if (o->flags & TOOL_CONFIG) {
			*file = o;
			continue;
		}
		if (!(o->flags & TOOL_HIDDEN) && n < cap)
			opt[n++] = o;
	}
	return n;
}

int tool_config_apply(struct tool_ctx *c, FILE *err)
{
	const struct tool_opt *opt[128], *file;
	struct rp_config_key keys[128];
	char names[128][KEY_MAX];
	struct rp_config_diag diag;
	struct tool_cfg *cfg = NULL;
	const char *path;
	size_t n, i;
	int rc = 0;

	n = file_opts(c->cmd, opt, sizeof opt / sizeof opt[0], &file);
	path = file != NULL ? tool_str(c, file->name) : NULL;
	if (path == NULL)
		goto out;
	cfg = rp_calloc(1, sizeof *cfg);
	if (cfg != NULL)
		cfg->slots = rp_calloc(n ? n : 1, sizeof *cfg->slots);
	if (cfg == NULL || cfg->slots == NULL) {
		rc = tool_mistake(c, err, "out of memory");
		goto out;
	}
	cfg->n = n;
	memset(keys, 0, sizeof keys);
	for (i = 0; i < n; i++) {
		if (!tool_config_key(opt[i], names[i], KEY_MAX)) {
			rc = tool_mistake(c, err, "--%s: name too long",
			                  opt[i]->name);
			goto out;
		}
		keys[i].section = "";
		keys[i].name = names[i];
		keys[i].type = opt[i]->kind == TOOL_FLAG ? RP_CONFIG_BOOL
		                                         : RP_CONFIG_STRING;
		keys[i].offset =
		    i * sizeof(struct cfg_slot) +
		    (opt[i]->kind == TOOL_FLAG ? offsetof(struct cfg_slot, b)
		                               : offsetof(struct cfg_slot, s));
	}
	if (rp_config_load(keys, n, path, cfg->slots, &diag) != RP_OK) {
		rc = tool_mistake(c, err, "%s", diag.text);
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const struct tool_opt *o = opt[i];
		struct cfg_slot *s = &cfg->slots[i];

		if (tool_count(c, o->name) > 0)
			continue; /* the command line or the environment */
		if (o->kind == TOOL_FLAG && s->b)
			rc = tool_take(c, o, NULL, err);
		else if (o->kind != TOOL_FLAG && s->s != NULL)
			rc = tool_take(c, o, s->s, err);
		if (rc != 0)
			fprintf(err, "(--%s came from %s, key %s)\n", o->name,
			        path, names[i]);
	}
out:
	if (cfg != NULL) {
		/* the values taken point into cfg: it lives as long as c */
		c->cfg = cfg;
	}
	return rc;
}

void tool_config_free(struct tool_ctx *c)
{
	struct tool_cfg *cfg = c->cfg;

	if (cfg == NULL)
		return;
	/* a value may be a secret (a keystore spec's pin-value) */
	for (size_t i = 0; i < cfg->n && cfg->slots != NULL; i++)
		if (cfg->slots[i].s != NULL) {
			rp_wipe(cfg->slots[i].s, strlen(cfg->slots[i].s));
			free(cfg->slots[i].s);
		}
	free(cfg->slots);
	free(cfg);
	c->cfg = NULL;
}
