/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdline.c - the programs' one command-line parser (cmdline.h): walks a
 * program's table of nested commands, collects options (--opt value,
 * --opt=value, -o value, -ovalue; "--" ends options; options and
 * arguments may mix), checks kinds, ranges, required options and
 * arguments, and names every mistake with a suggestion by edit distance.
 * Relies on libc only.
 */
#define _POSIX_C_SOURCE 200809L
#include "cmdline_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/alloc.h"

struct tool_val {
	const struct tool_opt *opt;
	const char *s; /* NULL for a flag */
	uint64_t u;
};

bool tool_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull alone takes leading space, a sign ("-1" is ULLONG_MAX)
	 * and trailing garbage */
	if (s == NULL || s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

static const struct tool_opt *first_of(const struct tool_opt *t)
{
	return t != NULL && t->name != NULL ? t : NULL;
}

const struct tool_opt *tool_opt_next(const struct tool_cmd *cmd,
                                     const struct tool_opt *o)
{
	const struct tool_opt *end = cmd->opts;

	if (o == NULL)
		return first_of(cmd->opts) ? cmd->opts : first_of(cmd->shared);
	if (o[1].name != NULL)
		return o + 1;
	while (end != NULL && end->name != NULL)
		end++;
	/* the end of the own options, unless they are the shared ones */
	return end == o + 1 && cmd->shared != cmd->opts ? first_of(cmd->shared)
	                                                : NULL;
}

unsigned tool_distance(const char *a, const char *b)
{
	unsigned row[64], prev, cur;
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la >= 63 || lb >= 63)
		return 255;
	for (j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return row[lb] > 255 ? 255 : row[lb];
}

/* Close enough to suggest: at most 2 edits, and fewer than half the
 * word (a one-letter typo of "ls" is no hint). */
static bool near(const char *typed, const char *cand, unsigned *best)
{
	unsigned d = tool_distance(typed, cand);

	if (d > 2 || d * 2 >= strlen(cand) || d >= *best)
		return false;
	*best = d;
	return true;
}

static const char *const builtin_help = "help";

static void try_line(const struct tool_ctx *c, FILE *err)
{
	fprintf(err, "try '%s --help'\n", c->path);
}

int tool_mistake(const struct tool_ctx *c, FILE *err, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "%s: ", c->prog->name);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	try_line(c, err);
	return 2;
}

int tool_usage_error(const struct tool_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	try_line(c, stderr);
	return TOOL_ERROR;
}

/* The option of cmd called name (len bytes), or NULL. */
static const struct tool_opt *find_long(const struct tool_cmd *cmd,
                                        const char *name, size_t len)
{
	TOOL_EACH_OPT (cmd, o)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const struct tool_opt *find_short(const struct tool_cmd *cmd, char ch)
{
	TOOL_EACH_OPT (cmd, o)
		if (o->shortname == ch)
			return o;
	return NULL;
}

static int unknown_option(const struct tool_ctx *c, const char *arg, FILE *err)
{
	const char *eq = strchr(arg, '=');
	char typed[64];
	const char *sugg = NULL;
	unsigned best = 3;

	snprintf(typed, sizeof typed, "%.*s",
	         (int)(eq ? (size_t)(eq - arg) : strlen(arg)), arg);
	if (typed[0] == '-' && typed[1] == '-') {
		TOOL_EACH_OPT (c->cmd, o)
			if (!(o->flags & TOOL_HIDDEN) &&
			    near(typed + 2, o->name, &best))
				sugg = o->name;
		if (sugg == NULL && near(typed + 2, builtin_help, &best))
			sugg = builtin_help;
	}
	if (sugg != NULL)
		return tool_mistake(
		    c, err, "unknown option '%s' (did you mean '--%s'?)", typed,
		    sugg);
	return tool_mistake(c, err, "unknown option '%s'", typed);
}

void tool_describe_uint(const struct tool_opt *o, char *b, size_t cap)
{
	if (o->unit != NULL)
		snprintf(b, cap, "a number of %s from %llu to %llu", o->unit,
		         (unsigned long long)o->min,
		         (unsigned long long)o->max);
	else
		snprintf(b, cap, "a number from %llu to %llu",
		         (unsigned long long)o->min,
		         (unsigned long long)o->max);
}

int tool_take(struct tool_ctx *c, const struct tool_opt *o, const char *v,
              FILE *err)
{
	struct tool_val *n;
	uint64_t u = 0;
	char what[96];
	size_t i;

	if (!(o->flags & TOOL_REPEAT))
		for (i = 0; i < c->nvals; i++)
			if (c->vals[i].opt == o)
				return tool_mistake(c, err, "--%s given twice",
				                    o->name);
	if (o->kind == TOOL_UINT &&
	    (!tool_parse_uint(v, o->max, &u) || u < o->min)) {
		tool_describe_uint(o, what, sizeof what);
		return tool_mistake(c, err, "--%s wants %s, not '%s'", o->name,
		                    what, v);
	}
	if (o->kind == TOOL_ENUM) {
		for (i = 0; o->words[i] != NULL; i++)
			if (strcmp(o->words[i], v) == 0)
				break;
		if (o->words[i] == NULL) {
			fprintf(err, "%s: --%s wants one of", c->prog->name,
			        o->name);
			for (i = 0; o->words[i] != NULL; i++)
				fprintf(err, "%s %s", i ? "," : "",
				        o->words[i]);
			fprintf(err, "; not '%s'\n", v);
			try_line(c, err);
			return 2;
		}
	}
	if ((o->kind == TOOL_STRING || o->kind == TOOL_PATH) && v[0] == '\0')
		return tool_mistake(c, err,
		                    "--%s wants a %s, not an empty string",
		                    o->name, o->value ? o->value : "value");
	n = rp_realloc(c->vals, (c->nvals + 1) * sizeof *n);
	if (n == NULL)
		return tool_mistake(c, err, "out of memory");
	c->vals = n;
	c->vals[c->nvals++] = (struct tool_val){o, v, u};
	return 0;
}

/* The options of c->cmd not given whose environment variable is set and
 * not empty take its value, checked as on the command line. */
static int from_env(struct tool_ctx *c, FILE *err)
{
	const char *v;
	int rc;

	TOOL_EACH_OPT (c->cmd, o) {
		if (o->env == NULL || tool_count(c, o->name) > 0)
			continue;
		v = getenv(o->env);
		if (v == NULL || v[0] == '\0')
			continue;
		rc = tool_take(c, o, v, err);
		if (rc != 0) {
			fprintf(err, "(--%s came from %s)\n", o->name, o->env);
			return rc;
		}
	}
	return 0;
}

static void set_path(struct tool_ctx *c, const char *word)
{
	size_t l = strlen(c->path);

	snprintf(c->path + l, sizeof c->path - l, "%s%s", l ? " " : "", word);
}

static const struct tool_cmd *find_sub(const struct tool_cmd *cmd,
                                       const char *name)
{
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static int unknown_command(const struct tool_ctx *c, const char *w, FILE *err)
{
	const char *sugg = NULL;
	unsigned best = 3;

	for (const struct tool_cmd *s = c->cmd->subs; s && s->name; s++)
		if (!(s->flags & TOOL_HIDDEN) && near(w, s->name, &best))
			sugg = s->name;
	if (sugg != NULL)
		return tool_mistake(c, err,
		                    "unknown command '%s' (did you mean '%s'?)",
		                    w, sugg);
	return tool_mistake(c, err, "unknown command '%s'", w);
}

/*
 * An option written before the command word that has it ("rampart
 * device --json show ID"): the first matching option of any command
 * below cmd, by long name (len bytes) or, when name is NULL, by short
 * letter. Its kind says whether the next word is its value; the command
 * finally reached must have it too (resolve_pending).
 */
static const struct tool_opt *find_below(const struct tool_cmd *cmd,
                                         const char *name, size_t len, char ch)
{
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++) {
		const struct tool_opt *o =
		    name != NULL ? find_long(s, name, len) : find_short(s, ch);

		if (o == NULL)
			o = find_below(s, name, len, ch);
		if (o != NULL)
			return o;
	}
	return NULL;
}

/* Options seen before their command's word; argv words, owned by argv. */
struct pending {
	const char *arg; /* "--json", "--server=URL", "-j" */
	const char *v;   /* its value, NULL for a flag */
};

/*
 * Take the pending options that c->cmd has, in the order they were
 * written; those it lacks stay pending while it has commands below, and
 * are a mistake once it has none.
 */
static int resolve_pending(struct tool_ctx *c, struct pending *pend,
                           size_t *npend, FILE *err)
{
	size_t i, keep = 0;
	int rc;

	for (i = 0; i < *npend; i++) {
		const char *s = pend[i].arg;
		const struct tool_opt *o;

		if (s[1] == '-') {
			const char *eq = strchr(s + 2, '=');

			o = find_long(c->cmd, s + 2,
			              eq ? (size_t)(eq - s - 2)
			                 : strlen(s + 2));
		} else {
			o = find_short(c->cmd, s[1]);
		}
		if (o == NULL) {
			if (c->cmd->subs == NULL || c->cmd->run != NULL)
				return unknown_option(c, s, err);
			pend[keep++] = pend[i];
			continue;
		}
		rc = tool_take(c, o, pend[i].v, err);
		if (rc != 0)
			return rc;
	}
	*npend = keep;
	return 0;
}

static bool has_own(const struct tool_cmd *cmd, const char *name)
{
	return find_long(cmd, name, strlen(name)) != NULL;
}

int tool_parse(const struct tool_prog *p, int argc, char **argv,
               struct tool_ctx *c, FILE *out, FILE *err)
{
	bool opts_done = false;
	int i, rc, npos = 0;
	const struct tool_arg *a;
	size_t nargs = 0, nreq = 0, npend = 0;
	struct pending *pend = NULL; /* owned here, freed at out */

	memset(c, 0, sizeof *c);
	c->prog = p;
	c->cmd = p->root;
	set_path(c, p->name);
	c->argv = rp_calloc((size_t)argc + 1, sizeof *c->argv);
	pend = rp_calloc((size_t)argc + 1, sizeof *pend);
	if (c->argv == NULL || pend == NULL) {
		rc = tool_mistake(c, err, "out of memory");
		goto out;
	}
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];
		const struct tool_opt *o;
		const char *v;
		bool later = false; /* an option of a command below */

		if (opts_done || s[0] != '-' || s[1] == '\0') {
			/* a command word, while the command has subs and
			 * no argument was taken yet */
			if (c->cmd->subs != NULL && npos == 0 && !opts_done) {
				const struct tool_cmd *sub =
				    find_sub(c->cmd, s);

				if (sub == NULL) {
					rc = unknown_command(c, s, err);
					goto out;
				}
				c->cmd = sub;
				set_path(c, s);
				rc = resolve_pending(c, pend, &npend, err);
				if (rc != 0)
					goto out;
				continue;
			}
			c->argv[npos++] = argv[i];
			continue;
		}
		if (strcmp(s, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (s[1] == '-') {
			const char *eq = strchr(s + 2, '=');
			size_t len = eq ? (size_t)(eq - s - 2) : strlen(s + 2);

			o = find_long(c->cmd, s + 2, len);
			if (o == NULL && eq == NULL &&
			    strcmp(s, "--help") == 0) {
				tool_help(c->cmd, c->path, out);
				rc = 1;
				goto out;
			}
			if (o == NULL && eq == NULL &&
			    strcmp(s, "--version") == 0) {
				fprintf(out, "%s %s\n", p->name, p->version);
				rc = 1;
				goto out;
			}
			if (o == NULL && c->cmd->run == NULL && npos == 0) {
				o = find_below(c->cmd, s + 2, len, 0);
				later = o != NULL;
			}
			if (o == NULL) {
				rc = unknown_option(c, s, err);
				goto out;
			}
			if (o->kind == TOOL_FLAG) {
				if (eq != NULL) {
					rc = tool_mistake(c, err,
					                  "--%s takes no value",
					                  o->name);
					goto out;
				}
				v = NULL;
			} else if (eq != NULL) {
				v = eq + 1;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				rc = tool_mistake(c, err,
				                  "--%s wants a value (%s)",
				                  o->name, tool_value_name(o));
				goto out;
			}
		} else {
			o = find_short(c->cmd, s[1]);
			if (o == NULL && strcmp(s, "-h") == 0) {
				tool_help(c->cmd, c->path, out);
				rc = 1;
				goto out;
			}
			if (o == NULL && c->cmd->run == NULL && npos == 0) {
				o = find_below(c->cmd, NULL, 0, s[1]);
				later = o != NULL;
			}
			if (o == NULL) {
				rc = unknown_option(c, s, err);
				goto out;
			}
			if (o->kind == TOOL_FLAG) {
				if (s[2] != '\0') {
					rc = tool_mistake(c, err,
					                  "-%c takes no value "
					                  "(in '%s')",
					                  s[1], s);
					goto out;
				}
				v = NULL;
			} else if (s[2] != '\0') {
				v = s + 2;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				rc = tool_mistake(c, err,
				                  "--%s wants a value (%s)",
				                  o->name, tool_value_name(o));
				goto out;
			}
		}
		if (later) {
			pend[npend++] = (struct pending){s, v};
			continue;
		}
		rc = tool_take(c, o, v, err);
		if (rc != 0)
			goto out;
	}
	c->argc = npos;
	if (c->cmd->run == NULL) {
		if (c->cmd == p->root) {
			tool_help(c->cmd, c->path, err);
			rc = 2;
			goto out;
		}
		rc = tool_mistake(c, err, "missing command");
		goto out;
	}
	rc = resolve_pending(c, pend, &npend, err);
	if (rc == 0)
		rc = from_env(c, err);
	if (rc == 0)
		rc = tool_config_apply(c, err);
	if (rc != 0)
		goto out;
	/* required options, then arguments */
	{
		TOOL_EACH_OPT (c->cmd, o)
			if ((o->flags & TOOL_REQUIRED) &&
			    tool_count(c, o->name) == 0) {
				rc = tool_mistake(c, err, "missing --%s",
				                  o->name);
				goto out;
			}
	}
	rc = 0;
	for (a = c->cmd->args; a && a->name; a++, nargs++) {
		if (a->flags & TOOL_REQUIRED)
			nreq++;
		if ((size_t)npos < nreq) {
			rc = tool_mistake(c, err, "missing argument %s",
			                  a->name);
			goto out;
		}
		if ((a->flags & TOOL_REPEAT) && a[1].name == NULL)
			goto out;
	}
	if ((size_t)npos > nargs)
		rc = tool_mistake(c, err, "unexpected argument '%s'",
		                  c->argv[nargs]);
out:
	free(pend);
	return rc;
}

void tool_ctx_free(struct tool_ctx *c)
{
	tool_config_free(c);
	free(c->vals);
	free(c->argv);
	c->vals = NULL;
	c->argv = NULL;
	c->nvals = 0;
}

static const struct tool_val *last(const struct tool_ctx *c, const char *name)
{
	for (size_t i = c->nvals; i > 0; i--)
		if (strcmp(c->vals[i - 1].opt->name, name) == 0)
			return &c->vals[i - 1];
	return NULL;
}

bool tool_flag(const struct tool_ctx *c, const char *name)
{
	return last(c, name) != NULL;
}

const char *tool_str(const struct tool_ctx *c, const char *name)
{
	const struct tool_val *v = last(c, name);

	return v != NULL ? v->s : NULL;
}

uint64_t tool_uint(const struct tool_ctx *c, const char *name, uint64_t dflt)
{
	const struct tool_val *v = last(c, name);

	return v != NULL ? v->u : dflt;
}

size_t tool_count(const struct tool_ctx *c, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nvals; i++)
		n += strcmp(c->vals[i].opt->name, name) == 0;
	return n;
}

const char *tool_nth(const struct tool_ctx *c, const char *name, size_t i)
{
	for (size_t k = 0; k < c->nvals; k++)
		if (strcmp(c->vals[k].opt->name, name) == 0 && i-- == 0)
			return c->vals[k].s;
	return NULL;
}

const char *tool_value_name(const struct tool_opt *o)
{
	if (o->value != NULL)
		return o->value;
	switch (o->kind) {
	case TOOL_UINT:
		return "N";
	case TOOL_PATH:
		return "FILE";
	default:
		return "VALUE";
	}
}

void tool_usage(const struct tool_cmd *cmd, const char *path, FILE *f)
{
	bool optional = false;

	fputs(path, f);
	if (cmd->subs != NULL && cmd->run == NULL) {
		fprintf(f, " COMMAND [ARGS]");
		return;
	}
	TOOL_EACH_OPT (cmd, o) {
		if (o->flags & TOOL_HIDDEN)
			continue;
		if (!(o->flags & TOOL_REQUIRED)) {
			optional = true;
			continue;
		}
		if (o->kind == TOOL_FLAG)
			fprintf(f, " --%s", o->name);
		else
			fprintf(f, " --%s %s", o->name, tool_value_name(o));
	}
	if (optional)
		fprintf(f, " [OPTIONS]");
	for (const struct tool_arg *a = cmd->args; a && a->name; a++)
		fprintf(f, (a->flags & TOOL_REQUIRED) ? " %s%s" : " [%s%s]",
		        a->name, (a->flags & TOOL_REPEAT) ? "..." : "");
}

static void help_opt(const struct tool_opt *o, FILE *f)
{
	char left[64], what[96];

	if (o->flags & TOOL_HIDDEN)
		return;
	if (o->shortname)
		snprintf(left, sizeof left, "-%c, --%s%s%s", o->shortname,
		         o->name, o->kind == TOOL_FLAG ? "" : " ",
		         o->kind == TOOL_FLAG ? "" : tool_value_name(o));
	else
		snprintf(left, sizeof left, "    --%s%s%s", o->name,
		         o->kind == TOOL_FLAG ? "" : " ",
		         o->kind == TOOL_FLAG ? "" : tool_value_name(o));
	fprintf(f, "  %-28s %s", left, o->help ? o->help : "");
	if (o->kind == TOOL_UINT) {
		tool_describe_uint(o, what, sizeof what);
		fprintf(f, " (%s)", what + 2); /* "number of ..." */
	}
	if (o->kind == TOOL_ENUM) {
		fprintf(f, " (");
		for (size_t i = 0; o->words[i] != NULL; i++)
			fprintf(f, "%s%s", i ? ", " : "", o->words[i]);
		fprintf(f, ")");
	}
	if (o->flags & TOOL_REQUIRED)
		fprintf(f, " [required]");
	if (o->flags & TOOL_REPEAT)
		fprintf(f, " [repeatable]");
	fputc('\n', f);
}

void tool_help(const struct tool_cmd *cmd, const char *path, FILE *f)
{
	fputs("usage: ", f);
	tool_usage(cmd, path, f);
	fputc('\n', f);
	if (cmd->summary != NULL)
		fprintf(f, "\n%s\n", cmd->summary);
	if (cmd->subs != NULL) {
		fprintf(f, "\ncommands:\n");
		for (const struct tool_cmd *s = cmd->subs; s->name; s++)
			if (!(s->flags & TOOL_HIDDEN))
				fprintf(f, "  %-14s %s\n", s->name,
				        s->summary ? s->summary : "");
	}
	fprintf(f, "\noptions:\n");
	TOOL_EACH_OPT (cmd, o)
		help_opt(o, f);
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
	if (!has_own(cmd, "version"))
		fprintf(f, "  %-28s %s\n", "    --version",
		        "print the version");
	if (cmd->more != NULL)
		fprintf(f, "\n%s\n", cmd->more);
	if (cmd->subs != NULL)
		fprintf(f, "\n'%s COMMAND --help' shows a command's options.\n",
		        path);
}

int tool_main(const struct tool_prog *p, int argc, char **argv, void *user)
{
	struct tool_ctx c;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--generate") == 0) {
		rc = tool_generate(p, argv[2], stdout);
		if (rc != TOOL_OK)
			fprintf(stderr,
			        "%s: --generate: '%s' is not made (list, "
			        "man, man5, markdown, bash, zsh)\n",
			        p->name, argv[2]);
		return rc;
	}
	rc = tool_parse(p, argc, argv, &c, stdout, stderr);
	if (rc == 0) {
		c.user = user;
		rc = c.cmd->run(&c);
	} else {
		rc = rc == 1 ? TOOL_OK : TOOL_ERROR;
	}
	tool_ctx_free(&c);
	return rc;
}
