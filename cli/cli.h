/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the subcommands of the rampart CLI share: the command table
 * entry, the exit codes (docs/cli.md) and the one parser of numbers given
 * on the command line.
 */
#ifndef RAMPART_CLI_H
#define RAMPART_CLI_H

#include <stdbool.h>
#include <stdint.h>

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

/*
 * A decimal number from 0 to max: digits only (no sign, space or suffix),
 * no overflow. *out is set only when true is returned.
 */
bool cli_uint(const char *s, uint64_t max, uint64_t *out);

#endif
