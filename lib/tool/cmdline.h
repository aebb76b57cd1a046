/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdline.h - one way to parse a command line, for the programs only
 * (rampart, rampartd, rampart-agent, rampart-sim, rampart-boot; never
 * librampart.so): the one exit-code table, a declarative table of
 * (nested) commands with their options and arguments, and the parser,
 * usage and --help produced from it. Every mistake names itself on stderr
 * ("unknown option '--jsn' (did you mean '--json'?)", "missing --counter",
 * "--wait wants a number of seconds from 0 to 86400, not 'abc'") followed
 * by one line "try 'PROG CMD --help'", and exits TOOL_ERROR.
 *
 * From the same table generate.c produces man pages and bash/zsh
 * completion (tool_generate).
 */
#ifndef RAMPART_TOOL_CMDLINE_H
#define RAMPART_TOOL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The exit codes of every program (docs/cli.md "Exit codes"). */
enum tool_exit {
	TOOL_OK = 0,    /* done; for a question: yes */
	TOOL_NO = 1,    /* the answer is no: refused, bad signature, not in
	                   a state that allows it */
	TOOL_ERROR = 2, /* could not decide: usage, I/O, internal */
};

enum tool_kind {
	TOOL_FLAG,   /* no value */
	TOOL_STRING, /* any text */
	TOOL_PATH,   /* a file name (completion offers files) */
	TOOL_UINT,   /* a decimal number from min to max (unit: "seconds") */
	TOOL_ENUM,   /* one of words[] */
};

/* Flags of an option, an argument or a command. */
#define TOOL_REQUIRED 0x1u /* option or argument must be given */
#define TOOL_REPEAT                                                     \
	0x2u             /* may be given more than once (last argument: \
	                    takes the rest) */
#define TOOL_HIDDEN 0x4u /* left out of --help and completion */
#define TOOL_CONFIG                                                    \
	0x8u /* a TOOL_PATH option naming a configuration file         \
	        (docs/config-format.md) whose top-level keys stand for \
	        the command's other options not given on the command   \
	        line or by the environment: the long name with '_' for \
	        '-' ("ca_file = /etc/ca.pem"), a flag as a boolean */

struct tool_opt {
	const char *name; /* long name without "--"; NULL ends a table */
	char shortname;   /* 0: none */
	enum tool_kind kind;
	const char *value; /* the value's name in usage: "FILE", "N" */
	const char *help;  /* one line */
	unsigned flags;    /* TOOL_REQUIRED, TOOL_REPEAT, TOOL_HIDDEN */
	uint64_t min, max; /* TOOL_UINT */
	const char *unit;  /* TOOL_UINT: "seconds" -> "a number of seconds" */
	const char *const *words; /* TOOL_ENUM: NULL-terminated */
	const char *env; /* NULL, or the environment variable whose value
	                    (when set and not empty) stands for the option
	                    when it is not given: checked alike, counts for
	                    TOOL_REQUIRED, listed under ENVIRONMENT */
};

struct tool_arg {
	const char *name; /* "DEVICE"; NULL ends a table */
	unsigned flags;   /* TOOL_REQUIRED, TOOL_REPEAT (last one only) */
};

struct tool_ctx;

struct tool_cmd {
	const char *name; /* NULL ends a table */
	const char *summary;
	const struct tool_opt *opts;   /* NULL or a NULL-name-ended table */
	const struct tool_opt *shared; /* a second table several commands
	                                  share (e.g. --server, --ca) */
	const struct tool_arg *args;
	const struct tool_cmd *subs;          /* nested commands, or NULL */
	int (*run)(const struct tool_ctx *c); /* returns an enum tool_exit */
	const char *more; /* text after the options in --help, or NULL */
	unsigned flags;   /* TOOL_HIDDEN */
};

/* An environment variable that is no option's (NO_COLOR), for the manual. */
struct tool_env {
	const char *name; /* NULL ends a table */
	const char *help;
};

struct tool_prog {
	const char *name;            /* "rampart" */
	const char *version;         /* printed by --version */
	const struct tool_cmd *root; /* name ignored; its subs, opts, run */
	const struct tool_env *env;  /* NULL or a NULL-name-ended table */
};

/* A parsed command line, for the command's run(). */
struct tool_ctx {
	const struct tool_prog *prog;
	const struct tool_cmd *cmd; /* the command that was found */
	char path[128];             /* "rampart device list" */
	int argc;                   /* the positional arguments */
	char **argv;
	void *user; /* the caller's, passed through tool_main */
	/* private */
	struct tool_val *vals;
	struct tool_cfg *cfg; /* a TOOL_CONFIG file's values (cmdconfig.c) */
	size_t nvals;
};

/*
 * Parse argv by p's table and run the command found. --help/-h (every
 * command), --version (every command that has no --version of its own:
 * a command's options win) and the hidden "--generate list" first thing
 * after the program name are answered here. Returns the exit code.
 */
int tool_main(const struct tool_prog *p, int argc, char **argv, void *user);

/*
 * The parser alone (tests). Messages go to out (help) and err (mistakes).
 * Returns 0: *c is ready to run (free it with tool_ctx_free); 1: help or
 * version was printed, exit TOOL_OK; 2: a mistake was named, exit
 * TOOL_ERROR. Allocates c->vals, owned by *c.
 */
int tool_parse(const struct tool_prog *p, int argc, char **argv,
               struct tool_ctx *c, FILE *out, FILE *err);
void tool_ctx_free(struct tool_ctx *c);

/* Values by long name; an option the command does not have is absent. */
bool tool_flag(const struct tool_ctx *c, const char *name);
const char *tool_str(const struct tool_ctx *c, const char *name); /* last */
uint64_t tool_uint(const struct tool_ctx *c, const char *name, uint64_t dflt);
size_t tool_count(const struct tool_ctx *c, const char *name);
const char *tool_nth(const struct tool_ctx *c, const char *name, size_t i);

/*
 * A mistake the table cannot express (two options that exclude each
 * other, a malformed duration): prints "PROG: MESSAGE" and the try line
 * on stderr, returns TOOL_ERROR.
 */
int tool_usage_error(const struct tool_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --help of cmd (path: "rampart device list"). */
void tool_help(const struct tool_cmd *cmd, const char *path, FILE *f);

/* The usage line of cmd without "usage: " or a newline:
 * "rampart sign --counter N [OPTIONS] FILE". */
void tool_usage(const struct tool_cmd *cmd, const char *path, FILE *f);

/* The value's name in usage ("FILE", "N"), and "a number of seconds from
 * 0 to 86400" for a TOOL_UINT option. */
const char *tool_value_name(const struct tool_opt *o);
void tool_describe_uint(const struct tool_opt *o, char *b, size_t cap);

/*
 * What the table holds, in another form (generate.c; "PROG --generate
 * WHAT", hidden):
 *  "list": one line per runnable command: its path, then tab-separated
 *     "opt=--NAME:KIND" and "need=--NAME|ARG" (the
 *     first required option or argument) fields (tests);
 *  "man": the program's section-1 manual page, man(7) roff; dated by
 *     SOURCE_DATE_EPOCH when set (reproducible builds);
 *  "man5": PROG.conf(5), the keys of the TOOL_CONFIG file (TOOL_ERROR
 *     for a program without one);
 *  "markdown": the program's part of docs/cli-reference.md (every
 *     command's usage, options and environment);
 *  "bash", "zsh": a completion script (commands, the options of the
 *     command reached, enum words, files for TOOL_PATH; nothing hidden).
 * Returns TOOL_OK, or TOOL_ERROR for a WHAT it does not know.
 */
int tool_generate(const struct tool_prog *p, const char *what, FILE *f);

/* An option's key in a TOOL_CONFIG file: its long name with '_' for '-'
 * ("ca-file" -> "ca_file"); false if it does not fit in cap. */
bool tool_config_key(const struct tool_opt *o, char *b, size_t cap);

/*
 * The one number parser of the programs: a decimal number from 0 to max,
 * digits only (no sign, space or suffix), no overflow. *out is set only
 * when true is returned.
 */
bool tool_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Levenshtein distance of a and b, capped at 255 (suggestions). */
unsigned tool_distance(const char *a, const char *b);

#endif
