/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cmdline.c - the programs' command-line parser (lib/tool/cmdline.c)
 * on a made-up table: suggestions by edit distance, number ranges with
 * their unit, enums, repeatable and required options, --opt=value and
 * --opt value, "--" ending options, nested commands, a command's own
 * --version winning over the program's, and the message of each mistake.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline_int.h"
#include "cmocka_all.h"

static const char *const algs[] = {"ed25519", "p256", NULL};

static const struct tool_opt list_opts[] = {
    {.name = "limit",
     .kind = TOOL_UINT,
     .min = 1,
     .max = 1000,
     .help = "at most N"},
    {.name = "wait", .kind = TOOL_UINT, .max = 86400, .unit = "seconds"},
    {.name = "json", .shortname = 'j', .kind = TOOL_FLAG},
    {.name = "alg", .kind = TOOL_ENUM, .words = algs},
    {.name = "trust",
     .shortname = 't',
     .kind = TOOL_PATH,
     .flags = TOOL_REPEAT},
    {0}};

static const struct tool_opt sign_opts[] = {
    {.name = "counter",
     .kind = TOOL_UINT,
     .max = 1000000,
     .flags = TOOL_REQUIRED},
    {.name = "version", .kind = TOOL_STRING, .value = "X.Y.Z"},
    {0}};

static const struct tool_arg show_args[] = {
    {"DEVICE", TOOL_REQUIRED}, {"FILE", TOOL_REPEAT}, {0}};

static const struct tool_opt env_opts[] = {
    {.name = "server",
     .kind = TOOL_STRING,
     .value = "URL|NAME",
     .help = "where | to go",
     .flags = TOOL_REQUIRED,
     .env = "RPT_CMDLINE_SERVER"},
    {.name = "port", .kind = TOOL_UINT, .max = 100, .env = "RPT_CMDLINE_PORT"},
    {.name = "config",
     .kind = TOOL_PATH,
     .flags = TOOL_CONFIG,
     .env = "RPT_CMDLINE_CONFIG"},
    {.name = "dry-run", .kind = TOOL_FLAG},
    {0}};

static int ran(const struct tool_ctx *c)
{
	(void)c;
	return 0;
}

static const struct tool_opt own_opts[] = {{.name = "mine", .kind = TOOL_FLAG},
                                           {0}};

static const struct tool_cmd dev_subs[] = {
    {.name = "list", .opts = list_opts, .run = ran},
    {.name = "show", .args = show_args, .run = ran},
    /* sign's options shared, after the command's own */
    {.name = "both", .opts = own_opts, .shared = sign_opts, .run = ran},
    {.name = "shared", .shared = sign_opts, .run = ran},
    {0}};

static const struct tool_cmd cmds[] = {
    {.name = "device", .subs = dev_subs},
    {.name = "sign", .opts = sign_opts, .run = ran},
    {.name = "env",
     .summary = "from the environment",
     .opts = env_opts,
     .run = ran},
    {0}};

static const struct tool_cmd root = {.subs = cmds};
static const struct tool_prog prog = {
    .name = "prog", .version = "9.9", .root = &root};

/* Parse the words of line; *msg gets stderr (and stdout) text. */
static int parse(const char *line, struct tool_ctx *c, char **msg)
{
	static char buf[512];
	char *argv[32];
	int argc = 0, rc;
	size_t len = 0;
	FILE *err;

	snprintf(buf, sizeof buf, "prog %s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	err = open_memstream(msg, &len);
	assert_non_null(err);
	rc = tool_parse(&prog, argc, argv, c, err, err);
	fclose(err);
	return rc;
}

/* Parse line, expect a mistake with a message containing want. */
static void bad(const char *line, const char *want)
{
	struct tool_ctx c;
	char *msg = NULL;

	assert_int_equal(parse(line, &c, &msg), 2);
	if (strstr(msg, want) == NULL)
		fail_msg("'%s': wanted '%s' in:\n%s", line, want, msg);
	/* one try line, not the whole usage text */
	assert_non_null(strstr(msg, "try 'prog"));
	assert_null(strstr(msg, "usage:"));
	free(msg);
	tool_ctx_free(&c);
}

static void test_mistakes(void **state)
{
	(void)state;
	bad("devic list", "unknown command 'devic' (did you mean 'device'?)");
	bad("device lst", "unknown command 'lst' (did you mean 'list'?)");
	bad("device frobnicate", "unknown command 'frobnicate'\n");
	bad("device list --jsn", "unknown option '--jsn' (did you mean "
	                         "'--json'?)");
	bad("device list --jsn=1", "unknown option '--jsn' (did you mean");
	bad("device list --xyzzy", "unknown option '--xyzzy'\n");
	bad("device list --json=yes", "--json takes no value");
	bad("device list --wait abc",
	    "--wait wants a number of seconds from 0 to 86400, not 'abc'");
	bad("device list --limit -1",
	    "--limit wants a number from 1 to 1000, not '-1'");
	bad("device list --limit 0", "not '0'");
	bad("device list --limit 1001", "not '1001'");
	bad("device list --limit", "--limit wants a value (N)");
	bad("device list --alg rsa", "--alg wants one of ed25519, p256; not "
	                             "'rsa'");
	bad("device list --json --json", "--json given twice");
	bad("device list x", "unexpected argument 'x'");
	bad("device show", "missing argument DEVICE");
	bad("device", "missing command");
	bad("sign", "missing --counter");
	bad("sign --counter 1 extra", "unexpected argument 'extra'");
	bad("device list -x", "unknown option '-x'");
	/* before the command word: checked, and named against the command
	 * finally reached */
	bad("device --json show SN-1", "unknown option '--json'");
	bad("device --limit abc list", "--limit wants a number from 1 to "
	                               "1000, not 'abc'");
	bad("device --json --json list", "--json given twice");
	bad("device --json", "missing command");
	bad("device --nope list", "unknown option '--nope'");
}

static void test_values(void **state)
{
	struct tool_ctx c;
	char *msg = NULL;

	(void)state;
	assert_int_equal(parse("device list --limit=2 --wait 30 -j "
	                       "--trust a -t b --trust=c --alg p256",
	                       &c, &msg),
	                 0);
	assert_string_equal(c.path, "prog device list");
	assert_int_equal(tool_uint(&c, "limit", 100), 2);
	assert_int_equal(tool_uint(&c, "wait", 0), 30);
	assert_true(tool_flag(&c, "json"));
	assert_int_equal(tool_count(&c, "trust"), 3);
	assert_string_equal(tool_nth(&c, "trust", 1), "b");
	assert_string_equal(tool_str(&c, "trust"), "c");
	assert_null(tool_nth(&c, "trust", 3));
	assert_string_equal(tool_str(&c, "alg"), "p256");
	/* absent, and not in this command's table at all */
	assert_int_equal(tool_uint(&c, "counter", 7), 7);
	assert_null(tool_str(&c, "server"));
	free(msg);
	tool_ctx_free(&c);

	/* options and arguments mix; "--" ends options; "-" is a word */
	assert_int_equal(parse("device show --  SN-1 --json -", &c, &msg), 0);
	assert_int_equal(c.argc, 3);
	assert_string_equal(c.argv[0], "SN-1");
	assert_string_equal(c.argv[1], "--json");
	assert_string_equal(c.argv[2], "-");
	free(msg);
	tool_ctx_free(&c);

	/* options may come before the command word that has them (docs/
	 * cli.md: any order); a value there is not taken for a command */
	assert_int_equal(parse("device --limit 5 -j list --wait=3", &c, &msg),
	                 0);
	assert_string_equal(c.path, "prog device list");
	assert_int_equal(tool_uint(&c, "limit", 0), 5);
	assert_true(tool_flag(&c, "json"));
	assert_int_equal(tool_uint(&c, "wait", 0), 3);
	free(msg);
	tool_ctx_free(&c);
	/* written first, taken first: "last wins" still holds */
	assert_int_equal(parse("device --trust=a list --trust b", &c, &msg), 0);
	assert_string_equal(tool_nth(&c, "trust", 0), "a");
	assert_string_equal(tool_str(&c, "trust"), "b");
	free(msg);
	tool_ctx_free(&c);

	/* a value may start with '-' when it follows its option */
	assert_int_equal(parse("device list --trust -weird", &c, &msg), 0);
	assert_string_equal(tool_str(&c, "trust"), "-weird");
	free(msg);
	tool_ctx_free(&c);
}

static void test_help_version(void **state)
{
	struct tool_ctx c;
	char *msg = NULL;

	(void)state;
	/* the command's own --version (an image version) wins */
	assert_int_equal(parse("sign --version 1.2.3 --counter 4", &c, &msg),
	                 0);
	assert_string_equal(tool_str(&c, "version"), "1.2.3");
	assert_int_equal(tool_uint(&c, "counter", 0), 4);
	free(msg);
	tool_ctx_free(&c);
	/* elsewhere --version is the program's */
	assert_int_equal(parse("device list --version", &c, &msg), 1);
	assert_string_equal(msg, "prog 9.9\n");
	free(msg);
	tool_ctx_free(&c);
	/* --help wins over a missing required option */
	assert_int_equal(parse("sign --help", &c, &msg), 1);
	assert_non_null(strstr(msg, "usage: prog sign --counter N [OPTIONS]"));
	assert_non_null(strstr(msg, "--counter N"));
	free(msg);
	tool_ctx_free(&c);
	assert_int_equal(parse("device -h", &c, &msg), 1);
	assert_non_null(strstr(msg, "usage: prog device COMMAND"));
	assert_non_null(strstr(msg, "  list"));
	free(msg);
	tool_ctx_free(&c);
}

static void test_numbers(void **state)
{
	uint64_t v = 42;

	(void)state;
	assert_true(tool_parse_uint("0", 10, &v));
	assert_int_equal(v, 0);
	assert_true(tool_parse_uint("18446744073709551615", UINT64_MAX, &v));
	assert_int_equal(v, UINT64_MAX);
	v = 42;
	assert_false(tool_parse_uint("18446744073709551616", UINT64_MAX, &v));
	assert_false(tool_parse_uint("11", 10, &v));
	assert_false(tool_parse_uint("-1", 10, &v));
	assert_false(tool_parse_uint("+1", 10, &v));
	assert_false(tool_parse_uint(" 1", 10, &v));
	assert_false(tool_parse_uint("1s", 10, &v));
	assert_false(tool_parse_uint("", 10, &v));
	assert_false(tool_parse_uint(NULL, 10, &v));
	assert_int_equal(v, 42);
	assert_int_equal(tool_distance("lst", "list"), 1);
	assert_int_equal(tool_distance("", "abc"), 3);
	assert_int_equal(tool_distance("kitten", "sitting"), 3);
}

static void test_generate(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(tool_generate(&prog, "list", f), TOOL_OK);
	assert_int_equal(tool_generate(&prog, "roff", f), TOOL_ERROR);
	fclose(f);
	assert_non_null(strstr(out, "prog device list\topt=--limit:uint"));
	assert_non_null(strstr(out, "prog device show\tneed=DEVICE\n"));
	assert_non_null(strstr(out, "prog sign\topt=--counter:uint\tneed="
	                            "--counter\t"));
	/* a command with subcommands and no run is not a line */
	assert_null(strstr(out, "prog device\n"));
	free(out);
}

/* An option's environment variable stands for it when it is not given. */
static void test_env(void **state)
{
	struct tool_ctx c;
	char *msg = NULL;

	(void)state;
	unsetenv("RPT_CMDLINE_SERVER");
	unsetenv("RPT_CMDLINE_PORT");
	bad("env", "missing --server");
	setenv("RPT_CMDLINE_SERVER", "", 1);
	bad("env", "missing --server"); /* empty is unset */
	setenv("RPT_CMDLINE_SERVER", "from-env", 1);
	assert_int_equal(parse("env", &c, &msg), 0);
	assert_string_equal(tool_str(&c, "server"), "from-env");
	assert_int_equal(tool_count(&c, "server"), 1);
	free(msg);
	tool_ctx_free(&c);
	/* the command line wins, and is not "given twice" */
	assert_int_equal(parse("env --server cli", &c, &msg), 0);
	assert_string_equal(tool_str(&c, "server"), "cli");
	assert_int_equal(tool_count(&c, "server"), 1);
	free(msg);
	tool_ctx_free(&c);
	/* checked as on the command line, and the variable named */
	setenv("RPT_CMDLINE_PORT", "abc", 1);
	bad("env", "--port wants a number from 0 to 100, not 'abc'");
	bad("env", "(--port came from RPT_CMDLINE_PORT)");
	setenv("RPT_CMDLINE_PORT", "7", 1);
	assert_int_equal(parse("env", &c, &msg), 0);
	assert_int_equal(tool_uint(&c, "port", 0), 7);
	free(msg);
	tool_ctx_free(&c);
	unsetenv("RPT_CMDLINE_SERVER");
	unsetenv("RPT_CMDLINE_PORT");
}

/* Write text to a new file under /tmp; its path to path[64]. */
static void conf_file(char path[64], const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/rpt-cmdline-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A TOOL_CONFIG file fills in what the command line and the environment
 * left out, checked alike. */
static void test_config_file(void **state)
{
	struct tool_ctx c;
	char path[64], line[128], *msg = NULL;

	(void)state;
	unsetenv("RPT_CMDLINE_SERVER");
	unsetenv("RPT_CMDLINE_PORT");
	unsetenv("RPT_CMDLINE_CONFIG");
	conf_file(path, "# a comment\nserver = from-file\nport = 9\n"
	                "dry_run = yes\n");
	snprintf(line, sizeof line, "env --config %s", path);
	assert_int_equal(parse(line, &c, &msg), 0);
	assert_string_equal(tool_str(&c, "server"), "from-file");
	assert_int_equal(tool_uint(&c, "port", 0), 9);
	assert_true(tool_flag(&c, "dry-run"));
	free(msg);
	tool_ctx_free(&c);
	/* the command line over the environment over the file */
	setenv("RPT_CMDLINE_PORT", "8", 1);
	snprintf(line, sizeof line, "env --config %s --server cli", path);
	assert_int_equal(parse(line, &c, &msg), 0);
	assert_string_equal(tool_str(&c, "server"), "cli");
	assert_int_equal(tool_uint(&c, "port", 0), 8);
	free(msg);
	tool_ctx_free(&c);
	unsetenv("RPT_CMDLINE_PORT");
	/* the file named by the environment */
	setenv("RPT_CMDLINE_CONFIG", path, 1);
	assert_int_equal(parse("env", &c, &msg), 0);
	assert_string_equal(tool_str(&c, "server"), "from-file");
	free(msg);
	tool_ctx_free(&c);
	unsetenv("RPT_CMDLINE_CONFIG");
	unlink(path);
	/* mistakes: the file and line, or the key */
	conf_file(path, "server = x\nbogus = 1\n");
	snprintf(line, sizeof line, "env --config %s", path);
	bad(line, ":2: unknown key 'bogus'");
	unlink(path);
	conf_file(path, "server = x\nport = 101\n");
	snprintf(line, sizeof line, "env --config %s", path);
	bad(line, "--port wants a number from 0 to 100, not '101'");
	bad(line, ", key port)");
	unlink(path);
	conf_file(path, "dry-run = yes\n"); /* '-' is not a key's */
	snprintf(line, sizeof line, "env --config %s", path);
	bad(line, ":1:");
	unlink(path);
	bad("env --config /nonexistent/rpt.conf", "/nonexistent/rpt.conf");
}

/* The manual's ENVIRONMENT and the Markdown reference. */
static void test_generate_docs(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(tool_generate(&prog, "man", f), TOOL_OK);
	fclose(f);
	assert_non_null(strstr(out, ".SH ENVIRONMENT\n.TP\n.B "
	                            "RPT_CMDLINE_SERVER\nThe value of "
	                            "\\fB\\-\\-server\\fR"));
	assert_non_null(strstr(out, "RPT_CMDLINE_PORT"));
	free(out);
	f = open_memstream(&out, &len);
	assert_int_equal(tool_generate(&prog, "markdown", f), TOOL_OK);
	fclose(f);
	assert_non_null(strstr(out, "## prog\n"));
	assert_non_null(strstr(out, "\n### `prog env`\n\nfrom the "
	                            "environment.\n\n```\nprog env --server "
	                            "URL|NAME [OPTIONS]\n```\n"));
	/* a | inside a cell is escaped, so the table keeps its columns */
	assert_non_null(strstr(out, "| `--server URL\\|NAME` | where \\| "
	                            "to go; required; or "
	                            "`RPT_CMDLINE_SERVER` |\n"));
	assert_non_null(strstr(out, "| `--counter N` |"));
	assert_non_null(strstr(out, "### Environment of `prog`\n"));
	assert_non_null(strstr(out, "| `RPT_CMDLINE_PORT` | the value of "
	                            "`--port` when it is not given |"));
	/* a command with subcommands and no run is no section */
	assert_null(strstr(out, "### `prog device`\n"));
	free(out);
}

/* A command's own options, then its shared ones: parsed, required,
 * listed in --help, walked in that order by tool_opt_next. */
static void test_shared(void **state)
{
	static const struct tool_cmd none = {.name = "none", .run = ran};
	const struct tool_opt *o;
	struct tool_ctx c;
	char *msg = NULL;
	const char *opts;

	(void)state;
	o = tool_opt_next(&dev_subs[2], NULL);
	assert_string_equal(o->name, "mine");
	o = tool_opt_next(&dev_subs[2], o);
	assert_string_equal(o->name, "counter");
	o = tool_opt_next(&dev_subs[2], o);
	assert_string_equal(o->name, "version");
	assert_null(tool_opt_next(&dev_subs[2], o));
	o = tool_opt_next(&dev_subs[3], NULL);
	assert_string_equal(o->name, "counter");
	assert_null(tool_opt_next(&none, NULL));

	bad("device both --mine", "missing --counter");
	bad("device shared --mine", "unknown option '--mine'");
	bad("device shared --countr 1", "did you mean '--counter'?");
	assert_int_equal(parse("device both --counter 7 --mine", &c, &msg), 0);
	assert_true(tool_flag(&c, "mine"));
	assert_int_equal(tool_uint(&c, "counter", 0), 7);
	free(msg);
	tool_ctx_free(&c);
	msg = NULL;
	assert_int_equal(parse("device both --help", &c, &msg), 1);
	/* the usage line names the required shared option first */
	assert_non_null(strstr(msg, "prog device both --counter N [OPTIONS]"));
	opts = strstr(msg, "options:");
	assert_non_null(opts);
	assert_non_null(strstr(opts, "--mine"));
	assert_non_null(strstr(opts, "--counter"));
	assert_true(strstr(opts, "--mine") < strstr(opts, "--counter"));
	free(msg);
	tool_ctx_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mistakes),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_help_version),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_generate),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_generate_docs),
	    cmocka_unit_test(test_config_file),
	    cmocka_unit_test(test_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
