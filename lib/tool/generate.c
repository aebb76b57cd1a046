/* SPDX-License-Identifier: Apache-2.0 */
/*
 * generate.c - a program's command table (cmdline.h) in other forms: the
 * "list" tests read, the section-1 manual page (man(7) roff), the
 * Markdown of docs/cli-reference.md and bash and zsh completion scripts. Made
 * from the same table as usage and --help, so none of them can drift from the
 * program (tool_generate).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdline_int.h"

static const char *kind_name(enum tool_kind k)
{
	static const char *const n[] = {"flag", "string", "path", "uint",
	                                "enum"};

	return n[k];
}

static void list_cmd(const struct tool_cmd *cmd, char *path, size_t cap,
                     FILE *f)
{
	size_t l = strlen(path);
	bool need = false;

	if (cmd->run != NULL) {
		fputs(path, f);
		TOOL_EACH_OPT (cmd, o) {
			fprintf(f, "\topt=--%s:%s", o->name,
			        kind_name(o->kind));
			if ((o->flags & TOOL_REQUIRED) && !need) {
				fprintf(f, "\tneed=--%s", o->name);
				need = true;
			}
		}
		for (const struct tool_arg *a = cmd->args; a && a->name; a++)
			if ((a->flags & TOOL_REQUIRED) && !need) {
				fprintf(f, "\tneed=%s", a->name);
				need = true;
			}
		fputc('\n', f);
	}
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++) {
		snprintf(path + l, cap - l, " %s", s->name);
		list_cmd(s, path, cap, f);
		path[l] = '\0';
	}
}

/* ---- man(7) ---- */

/*
 * Text for roff: a backslash is \e, a hyphen \- (so that a search for
 * "--json" finds it and copy-paste gives ASCII), and a line that would
 * start with a control character ('.' or '\'') starts with \& instead.
 */
static void roff(const char *s, FILE *f)
{
	bool bol = true;

	for (; *s != '\0'; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		bol = false;
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\n') {
			fputc('\n', f);
			bol = true;
		} else
			fputc(*s, f);
	}
}

/* s as a text block: lines that begin with a blank keep their layout
 * (examples), the others are filled; no empty lines (paragraphs). */
static void roff_block(const char *s, FILE *f)
{
	bool nf = false;

	while (*s != '\0') {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		char line[1024];

		snprintf(line, sizeof line, "%.*s", (int)len, s);
		/* trailing blanks are a lint warning */
		for (size_t n = strlen(line); n > 0 && line[n - 1] == ' '; n--)
			line[n - 1] = '\0';
		if (line[0] == '\0') {
			if (nf) {
				fputs(".fi\n", f);
				nf = false;
			}
			fputs(".PP\n", f);
		} else {
			bool pre = line[0] == ' ' || line[0] == '\t';

			if (pre && !nf)
				fputs(".nf\n", f);
			if (!pre && nf)
				fputs(".fi\n", f);
			nf = pre;
			roff(line, f);
			fputc('\n', f);
		}
		s += len + (e != NULL);
	}
	if (nf)
		fputs(".fi\n", f);
}

/*
 * What o means, as one text: its help, then what the table says of it (the
 * range of a number; and with all: an enum's words, each between q and q,
 * required, repeatable). The caller frees it; NULL when out of memory.
 */
static char *opt_text(const struct tool_opt *o, bool all, const char *q)
{
	char *t = NULL, what[128];
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);

	if (m == NULL)
		return NULL;
	fputs(o->help ? o->help : "", m);
	if (o->kind == TOOL_UINT) {
		tool_describe_uint(o, what, sizeof what);
		fprintf(m, " (%s)", what + 2); /* "number of ..." */
	}
	if (all && o->kind == TOOL_ENUM) {
		fputs(" (one of:", m);
		for (size_t i = 0; o->words[i] != NULL; i++)
			fprintf(m, "%s %s%s%s", i ? "," : "", q, o->words[i],
			        q);
		fputc(')', m);
	}
	if (all && (o->flags & TOOL_REQUIRED))
		fputs("; required", m);
	if (all && (o->flags & TOOL_REPEAT))
		fputs("; may be given more than once", m);
	if (fclose(m) != 0) {
		free(t);
		t = NULL;
	}
	return t;
}

/* cmd's usage line at path; the caller frees it (NULL: out of memory). */
static char *usage_text(const struct tool_cmd *cmd, const char *path)
{
	char *u = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&u, &len);

	if (m == NULL)
		return NULL;
	tool_usage(cmd, path, m);
	if (fclose(m) != 0) {
		free(u);
		u = NULL;
	}
	return u;
}

/* The program's name in capitals, for .TH. */
static void upper_name(const char *name, char *b, size_t cap)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < cap; i++)
		b[i] = (char)(name[i] >= 'a' && name[i] <= 'z'
		                  ? name[i] - 'a' + 'A'
		                  : name[i]);
	b[i] = '\0';
}

static void man_opt(const struct tool_opt *o, FILE *f)
{
	char *text;

	if (o->flags & TOOL_HIDDEN)
		return;
	fputs(".TP\n", f);
	if (o->shortname)
		fprintf(f, "\\fB\\-%c\\fR, ", o->shortname);
	fputs("\\fB\\-\\-", f);
	roff(o->name, f);
	fputs("\\fR", f);
	if (o->kind != TOOL_FLAG) {
		fputs(" \\fI", f);
		roff(tool_value_name(o), f);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	text = opt_text(o, true, "");
	roff(text ? text : "", f);
	free(text);
	fputs(".\n", f);
}

static void man_cmd(const struct tool_cmd *cmd, char *path, size_t cap,
                    bool top, FILE *f)
{
	size_t l = strlen(path);

	if (cmd->flags & TOOL_HIDDEN)
		return;
	if (cmd->run != NULL) {
		char *u = usage_text(cmd, path);

		fputs(top ? ".SH OPTIONS\n" : ".SS \"", f);
		if (!top) {
			roff(u ? u : path, f);
			fputs("\"\n", f);
			if (cmd->summary != NULL) {
				roff(cmd->summary, f);
				fputc('\n', f);
			}
		}
		free(u);
		TOOL_EACH_OPT (cmd, o)
			man_opt(o, f);
		if (cmd->more != NULL) {
			fputs(".PP\n", f);
			roff_block(cmd->more, f);
		}
	}
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++) {
		snprintf(path + l, cap - l, " %s", s->name);
		man_cmd(s, path, cap, false, f);
		path[l] = '\0';
	}
}

/*
 * Every environment variable of p, once: those options stand for
 * (tool_opt.env, the first option of that name found in the tree), then
 * the program's own (tool_prog.env). each() is called with the variable,
 * the option it stands for (NULL for the program's) and its help.
 */
static void env_walk(const struct tool_cmd *cmd, const char **seen,
                     size_t *nseen, size_t cap,
                     void (*each)(const char *, const struct tool_opt *,
                                  const char *, FILE *),
                     FILE *f)
{
	TOOL_EACH_OPT (cmd, o) {
		size_t i;

		if (o->env == NULL || (o->flags & TOOL_HIDDEN))
			continue;
		for (i = 0; i < *nseen; i++)
			if (strcmp(seen[i], o->env) == 0)
				break;
		if (i < *nseen || *nseen == cap)
			continue;
		seen[(*nseen)++] = o->env;
		each(o->env, o, o->help, f);
	}
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++)
		env_walk(s, seen, nseen, cap, each, f);
}

/* Calls each() as env_walk; returns how many variables there are. */
static size_t env_all(const struct tool_prog *p,
                      void (*each)(const char *, const struct tool_opt *,
                                   const char *, FILE *),
                      FILE *f)
{
	const char *seen[64];
	size_t n = 0;

	env_walk(p->root, seen, &n, sizeof seen / sizeof seen[0], each, f);
	for (const struct tool_env *e = p->env; e && e->name; e++, n++)
		each(e->name, NULL, e->help, f);
	return n;
}

static void env_none(const char *name, const struct tool_opt *o,
                     const char *help, FILE *f)
{
	(void)name;
	(void)o;
	(void)help;
	(void)f;
}

static void man_env_one(const char *name, const struct tool_opt *o,
                        const char *help, FILE *f)
{
	fputs(".TP\n.B ", f);
	roff(name, f);
	fputc('\n', f);
	if (o != NULL) {
		fputs("The value of \\fB\\-\\-", f);
		roff(o->name, f);
		fputs("\\fR when it is not given", f);
		if (help != NULL && help[0] != '\0')
			fputs(": ", f);
	}
	roff(help ? help : "", f);
	fputs(".\n", f);
}

static void man_env(const struct tool_prog *p, FILE *f)
{
	if (env_all(p, env_none, f) == 0)
		return;
	fputs(".SH ENVIRONMENT\n", f);
	env_all(p, man_env_one, f);
}

static void man_date(char *b, size_t cap)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	time_t t = time(NULL);
	struct tm tm;
	uint64_t v;

	if (e != NULL && tool_parse_uint(e, UINT32_MAX, &v))
		t = (time_t)v;
	gmtime_r(&t, &tm);
	strftime(b, cap, "%Y-%m-%d", &tm);
}

static void man(const struct tool_prog *p, FILE *f)
{
	const struct tool_cmd *r = p->root;
	char path[256], date[32], upper[64];

	upper_name(p->name, upper, sizeof upper);
	man_date(date, sizeof date);
	fputs(".\\\" Generated by '", f);
	roff(p->name, f);
	fputs(" \\-\\-generate man' from its command table; do not edit.\n", f);
	fputs(".TH ", f);
	roff(upper, f);
	fprintf(f, " 1 %s \"", date);
	roff(p->name, f);
	fputc(' ', f);
	roff(p->version, f);
	fputs("\" \"Rampart\"\n.SH NAME\n", f);
	roff(p->name, f);
	fputs(" \\- ", f);
	roff(r->summary ? r->summary : "", f);
	fputs("\n.SH SYNOPSIS\n", f);
	if (r->subs != NULL) {
		fputs(".B ", f);
		roff(p->name, f);
		fputs(
		    "\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n.br\n.B ",
		    f);
		roff(p->name, f);
		fputs("\n\\-\\-version\n", f);
	} else {
		char *u = usage_text(r, p->name);

		roff(u ? u : p->name, f);
		fputc('\n', f);
		free(u);
	}
	fputs(".SH DESCRIPTION\n", f);
	roff(r->summary ? r->summary : "", f);
	fputs("\n.PP\nEvery command takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR. "
	      "Options and arguments may come in any order; "
	      "\\fB\\-\\-opt=value\\fR and \\fB\\-\\-opt value\\fR are the "
	      "same; \\fB\\-\\-\\fR ends the options. A mistake is named on "
	      "standard error and exits 2.\n",
	      f);
	if (r->subs != NULL) {
		fputs(".SH COMMANDS\n", f);
		for (const struct tool_cmd *s = r->subs; s->name; s++)
			if (!(s->flags & TOOL_HIDDEN)) {
				fputs(".TP\n.B ", f);
				roff(s->name, f);
				fputc('\n', f);
				roff(s->summary ? s->summary : "", f);
				fputc('\n', f);
			}
	}
	snprintf(path, sizeof path, "%s", p->name);
	if (r->run != NULL)
		man_cmd(r, path, sizeof path, true, f);
	if (r->subs != NULL) {
		fputs(".SH \"COMMANDS IN DETAIL\"\n", f);
		for (const struct tool_cmd *s = r->subs; s->name; s++) {
			snprintf(path, sizeof path, "%s %s", p->name, s->name);
			man_cmd(s, path, sizeof path, false, f);
		}
	}
	man_env(p, f);
	fputs(".SH \"EXIT STATUS\"\n"
	      ".TP\n0\ndone; for a question, the answer is yes\n"
	      ".TP\n1\nthe answer is no: refused, a bad signature, a device "
	      "not in a state that allows it\n"
	      ".TP\n2\ncould not decide: bad usage, an unreadable file, I/O, "
	      "an internal error\n",
	      f);
	fputs(".SH \"SEE ALSO\"\n.BR rampart (7)\n.PP\n"
	      "The documentation in the source tree, docs/index.md.\n",
	      f);
}

/* ---- section 5: the TOOL_CONFIG file ---- */

/* The first runnable command below cmd with a TOOL_CONFIG option, and
 * that option (*file). */
static const struct tool_cmd *config_cmd(const struct tool_cmd *cmd,
                                         const struct tool_opt **file)
{
	if (cmd->run != NULL)
		TOOL_EACH_OPT (cmd, o)
			if (o->flags & TOOL_CONFIG) {
				*file = o;
				return cmd;
			}
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++) {
		const struct tool_cmd *r = config_cmd(s, file);

		if (r != NULL)
			return r;
	}
	return NULL;
}

static void man5_key(const struct tool_opt *o, FILE *f)
{
	char key[64], *text;

	if ((o->flags & (TOOL_HIDDEN | TOOL_CONFIG)) ||
	    !tool_config_key(o, key, sizeof key))
		return;
	fputs(".TP\n\\fB", f);
	roff(key, f);
	fputs("\\fR = \\fI", f);
	switch (o->kind) {
	case TOOL_FLAG:
		fputs("true\\fR|\\fIfalse", f);
		break;
	case TOOL_ENUM:
		for (size_t i = 0; o->words[i] != NULL; i++) {
			fputs(i ? "\\fR|\\fI" : "", f);
			roff(o->words[i], f);
		}
		break;
	default:
		roff(tool_value_name(o), f);
	}
	fputs("\\fR\n", f);
	text = opt_text(o, false, "");
	roff(text ? text : "", f);
	free(text);
	fputs("; as \\fB\\-\\-", f);
	roff(o->name, f);
	fputs("\\fR.\n", f);
}

/* PROG.conf(5): the keys of the configuration file, from the options of
 * the first command that reads one. TOOL_ERROR when none does. */
static int man5(const struct tool_prog *p, FILE *f)
{
	const struct tool_opt *file = NULL;
	const struct tool_cmd *cmd = config_cmd(p->root, &file);
	char date[32], upper[64];

	if (cmd == NULL)
		return TOOL_ERROR;
	upper_name(p->name, upper, sizeof upper);
	man_date(date, sizeof date);
	fputs(".\\\" Generated by '", f);
	roff(p->name, f);
	fputs(" \\-\\-generate man5' from its command table; do not "
	      "edit.\n.TH ",
	      f);
	roff(upper, f);
	fprintf(f, ".CONF 5 %s \"", date);
	roff(p->name, f);
	fputc(' ', f);
	roff(p->version, f);
	fputs("\" \"Rampart\"\n.SH NAME\n", f);
	roff(p->name, f);
	fputs(".conf \\- the configuration file of ", f);
	roff(p->name, f);
	fputs("\n.SH SYNOPSIS\n.B ", f);
	roff(p->name, f);
	fputs("\n.I COMMAND\n\\fB\\-\\-", f);
	roff(file->name, f);
	fputs("\\fR \\fIFILE\\fR\n.SH DESCRIPTION\n"
	      "Each key of the file stands for the long option of the same "
	      "name, written with _ for \\-, and is checked as the option "
	      "is. An option given on the command line",
	      f);
	if (file->env != NULL) {
		fputs(" or by the environment wins over the file; the file "
		      "itself may be named by \\fB",
		      f);
		roff(file->env, f);
		fputs("\\fR", f);
	} else {
		fputs(" wins over the file", f);
	}
	fputs(".\n.PP\nThe format is strict: a line is empty, a comment "
	      "(first character #), or \\fIkey\\fR = \\fIvalue\\fR; a "
	      "value in double quotes keeps its blanks. An unknown key or a "
	      "key given twice is refused with the file and line, a bad "
	      "value with the file and the key; the program exits 2. The keys "
	      "are top level: the "
	      "file has no sections. A flag is a boolean (true, false, yes, "
	      "no, on, off, 1, 0).\n.SH KEYS\n",
	      f);
	TOOL_EACH_OPT (cmd, o)
		man5_key(o, f);
	fputs(".SH \"SEE ALSO\"\n.BR ", f);
	roff(p->name, f);
	fputs(" (1),\n.BR rampart (7)\n.PP\n"
	      "docs/config-format.md in the source tree: the format, with "
	      "test vectors.\n",
	      f);
	return TOOL_OK;
}

/* ---- completion: one case arm per command path ---- */

static void quote_words(const struct tool_cmd *cmd, bool opts, FILE *f)
{
	bool first = true;

	if (!opts) {
		for (const struct tool_cmd *s = cmd->subs; s && s->name; s++)
			if (!(s->flags & TOOL_HIDDEN)) {
				fprintf(f, "%s%s", first ? "" : " ", s->name);
				first = false;
			}
		return;
	}
	TOOL_EACH_OPT (cmd, o)
		if (!(o->flags & TOOL_HIDDEN)) {
			fprintf(f, "%s--%s", first ? "" : " ", o->name);
			first = false;
		}
	fprintf(f, "%s--help", first ? "" : " ");
}

/* Value-taking options of cmd and of every command below it (they may
 * come before the command word), as case patterns "PATH:--NAME". */
static void value_pats(const struct tool_cmd *cmd, const char *key, bool *first,
                       FILE *f)
{
	TOOL_EACH_OPT (cmd, o)
		if (o->kind != TOOL_FLAG) {
			fprintf(f, "%s\"%s:--%s\"", *first ? "" : "|", key,
			        o->name);
			*first = false;
		}
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++)
		value_pats(s, key, first, f);
}

enum shell { BASH, ZSH };

/* The arms of the three case statements, for cmd at key (the command
 * words after the program name, "" at the top). */
static void comp_cmd(const struct tool_cmd *cmd, char *key, size_t cap,
                     enum shell sh, int part, FILE *f)
{
	size_t l = strlen(key);

	if (part == 0) { /* command word -> the next key */
		for (const struct tool_cmd *s = cmd->subs; s && s->name; s++)
			fprintf(f, "\t\t\"%s:%s\") key=\"%s%s%s\" ;;\n", key,
			        s->name, key, l ? " " : "", s->name);
	} else if (part == 1) { /* option taking a value: skip it */
		char *pats = NULL;
		size_t plen = 0;
		bool first = true;
		FILE *m = open_memstream(&pats, &plen);

		if (m != NULL) {
			value_pats(cmd, key, &first, m);
			fclose(m);
		}
		if (!first && pats != NULL)
			fprintf(f, "\t\t%s) skip=1 ;;\n", pats);
		free(pats);
	} else if (part == 2) { /* the value of an option */
		TOOL_EACH_OPT (cmd, o) {
			if (o->kind == TOOL_FLAG)
				continue;
			fprintf(f, "\t\"%s:--%s\") ", key, o->name);
			if (o->kind == TOOL_ENUM) {
				fputs(sh == BASH ? "_rp_words \""
				                 : "compadd -- ",
				      f);
				for (size_t i = 0; o->words[i]; i++)
					fprintf(f, "%s%s", i ? " " : "",
					        o->words[i]);
				fputs(sh == BASH ? "\"" : "", f);
			} else if (o->kind == TOOL_PATH) {
				fputs(sh == BASH ? "_rp_files" : "_files", f);
			} else {
				fputs(sh == BASH ? "COMPREPLY=()"
				                 : "_message 'a value'",
				      f);
			}
			fputs("; return ;;\n", f);
		}
	} else { /* the words at key */
		fprintf(f, "\t\"%s\") opts=\"", key);
		quote_words(cmd, true, f);
		fputs("\"; cmds=\"", f);
		quote_words(cmd, false, f);
		fprintf(f, "\"; args=%d ;;\n",
		        cmd->args != NULL && cmd->args->name != NULL);
	}
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++) {
		snprintf(key + l, cap - l, "%s%s", l ? " " : "", s->name);
		comp_cmd(s, key, cap, sh, part, f);
		key[l] = '\0';
	}
}

static void ident(const char *name, FILE *f)
{
	for (; *name; name++)
		fputc((*name >= 'a' && *name <= 'z') ||
		              (*name >= '0' && *name <= '9')
		          ? *name
		          : '_',
		      f);
}

static void completion(const struct tool_prog *p, enum shell sh, FILE *f)
{
	char key[256] = "";

	if (sh == ZSH) {
		fprintf(f, "#compdef %s\n", p->name);
	}
	fprintf(f,
	        "# %s completion for %s, generated by '%s --generate %s' "
	        "from its command table; do not edit.\n",
	        sh == BASH ? "bash" : "zsh", p->name, p->name,
	        sh == BASH ? "bash" : "zsh");
	if (sh == BASH) {
		fputs("_rp_words() { COMPREPLY=($(compgen -W \"$1\" -- "
		      "\"$cur\")); }\n"
		      "_rp_files() { COMPREPLY=($(compgen -f -- \"$cur\")); "
		      "compopt -o filenames 2>/dev/null; }\n",
		      f);
	}
	fputs("_", f);
	ident(p->name, f);
	fputs("() {\n", f);
	if (sh == BASH)
		fputs("\tlocal cur=${COMP_WORDS[COMP_CWORD]} key= skip=0 i w "
		      "opts cmds args\n"
		      "\tlocal prev=${COMP_WORDS[COMP_CWORD-1]}\n"
		      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
		      "\t\tw=${COMP_WORDS[i]}\n",
		      f);
	else
		fputs("\tlocal cur=${words[CURRENT]} key= skip=0 i w opts "
		      "cmds args\n"
		      "\tlocal prev=${words[CURRENT-1]}\n"
		      "\tfor ((i = 2; i < CURRENT; i++)); do\n"
		      "\t\tw=${words[i]}\n",
		      f);
	fputs("\t\tif ((skip)); then skip=0; continue; fi\n"
	      "\t\tcase \"$key:$w\" in\n",
	      f);
	comp_cmd(p->root, key, sizeof key, sh, 0, f);
	comp_cmd(p->root, key, sizeof key, sh, 1, f);
	fputs("\t\tesac\n\tdone\n\tcase \"$key:$prev\" in\n", f);
	comp_cmd(p->root, key, sizeof key, sh, 2, f);
	fputs("\tesac\n\tcase \"$key\" in\n", f);
	comp_cmd(p->root, key, sizeof key, sh, 3, f);
	fputs("\t*) return ;;\n\tesac\n", f);
	if (sh == BASH)
		fputs("\tif [[ $cur == -* ]]; then _rp_words \"$opts\"\n"
		      "\telif [ -n \"$cmds\" ]; then _rp_words \"$cmds\"\n"
		      "\telif [ \"$args\" = 1 ]; then _rp_files\n"
		      "\tfi\n}\ncomplete -F _",
		      f);
	else
		fputs("\tif [[ $cur == -* ]]; then compadd -- ${=opts}\n"
		      "\telif [ -n \"$cmds\" ]; then compadd -- ${=cmds}\n"
		      "\telif [ \"$args\" = 1 ]; then _files\n"
		      "\tfi\n}\n",
		      f);
	if (sh == BASH) {
		ident(p->name, f);
		fprintf(f, " %s\n", p->name);
	} else {
		fputs("_", f);
		ident(p->name, f);
		fputs(" \"$@\"\n", f);
	}
}

/* ---- Markdown (docs/cli-reference.md) ---- */

/* s for a Markdown table cell or paragraph: '|' would end the cell. */
static void md(const char *s, FILE *f)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* A .more text: lines that begin with a blank are a code block. */
static void md_block(const char *s, FILE *f)
{
	bool pre = false;

	while (*s != '\0') {
		const char *e = strchr(s, '\n');
		int len = (int)(e ? (size_t)(e - s) : strlen(s));
		bool p = len > 0 && (s[0] == ' ' || s[0] == '\t');

		if (p != pre)
			fputs(p ? "\n```\n" : "```\n", f);
		else if (!p && len == 0)
			fputc('\n', f);
		pre = p;
		fprintf(f, "%.*s\n", len, s);
		s += len + (e != NULL);
	}
	if (pre)
		fputs("```\n", f);
}

static void md_opt(const struct tool_opt *o, FILE *f)
{
	char *text;

	if (o->flags & TOOL_HIDDEN)
		return;
	fputs("| `", f);
	if (o->shortname)
		fprintf(f, "-%c`, `", o->shortname);
	fputs("--", f);
	md(o->name, f);
	if (o->kind != TOOL_FLAG) {
		fputc(' ', f);
		md(tool_value_name(o), f);
	}
	fputs("` | ", f);
	text = opt_text(o, true, "`");
	md(text ? text : "", f);
	free(text);
	if (o->env != NULL)
		fprintf(f, "; or `%s`", o->env);
	fputs(" |\n", f);
}

static void md_cmd(const struct tool_cmd *cmd, char *path, size_t cap, FILE *f)
{
	size_t l = strlen(path);

	if (cmd->flags & TOOL_HIDDEN)
		return;
	if (cmd->run != NULL) {
		bool any = false;

		fprintf(f, "\n### `%s`\n\n", path);
		if (cmd->summary != NULL)
			fprintf(f, "%s.\n\n", cmd->summary);
		fputs("```\n", f);
		tool_usage(cmd, path, f);
		fputs("\n```\n", f);
		TOOL_EACH_OPT (cmd, o) {
			if (o->flags & TOOL_HIDDEN)
				continue;
			if (!any)
				fputs("\n| Option | Meaning |\n"
				      "|---|---|\n",
				      f);
			any = true;
			md_opt(o, f);
		}
		if (cmd->more != NULL) {
			fputc('\n', f);
			md_block(cmd->more, f);
		}
	}
	for (const struct tool_cmd *s = cmd->subs; s && s->name; s++) {
		snprintf(path + l, cap - l, " %s", s->name);
		md_cmd(s, path, cap, f);
		path[l] = '\0';
	}
}

static void md_env_one(const char *name, const struct tool_opt *o,
                       const char *help, FILE *f)
{
	fprintf(f, "| `%s` | ", name);
	if (o != NULL)
		fprintf(f, "the value of `--%s` when it is not given%s",
		        o->name, help != NULL && help[0] ? ": " : "");
	md(help ? help : "", f);
	fputs(" |\n", f);
}

static void markdown(const struct tool_prog *p, FILE *f)
{
	char path[256];

	fprintf(f, "## %s\n\n%s\n", p->name,
	        p->root->summary ? p->root->summary : "");
	snprintf(path, sizeof path, "%s", p->name);
	md_cmd(p->root, path, sizeof path, f);
	if (env_all(p, env_none, f) > 0) {
		fprintf(f,
		        "\n### Environment of `%s`\n\n"
		        "| Variable | Meaning |\n|---|---|\n",
		        p->name);
		env_all(p, md_env_one, f);
	}
}

int tool_generate(const struct tool_prog *p, const char *what, FILE *f)
{
	char path[256];

	if (strcmp(what, "list") == 0) {
		snprintf(path, sizeof path, "%s", p->name);
		list_cmd(p->root, path, sizeof path, f);
	} else if (strcmp(what, "man") == 0) {
		man(p, f);
	} else if (strcmp(what, "man5") == 0) {
		return man5(p, f);
	} else if (strcmp(what, "markdown") == 0) {
		markdown(p, f);
	} else if (strcmp(what, "bash") == 0) {
		completion(p, BASH, f);
	} else if (strcmp(what, "zsh") == 0) {
		completion(p, ZSH, f);
	} else {
		return TOOL_ERROR;
	}
	return TOOL_OK;
}
