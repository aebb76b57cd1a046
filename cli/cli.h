/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the subcommands of the rampart CLI share: the command table
 * entry and the exit codes (docs/cli.md).
 */
#ifndef RAMPART_CLI_H
#define RAMPART_CLI_H

/* Exit codes of every rampart subcommand (minisign's convention). */
enum cli_exit {
	CLI_OK = 0,    /* done; for a check: the answer is yes */
	CLI_NO = 1,    /* the answer is no (bad signature, invalid input) */
	CLI_ERROR = 2, /* could not decide: usage, I/O, internal error */
};

struct cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

#endif
