/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the subcommands of the rampart CLI share: the exit codes
 * (the programs' one table, lib/tool/cmdline.h; docs/cli.md) and the one
 * parser of numbers given on the command line.
 */
#ifndef RAMPART_CLI_H
#define RAMPART_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"

/* The exit codes of every program: lib/tool/cmdline.h, enum tool_exit. */
enum {
	CLI_OK = TOOL_OK,       /* done; for a check: the answer is yes */
	CLI_NO = TOOL_NO,       /* the answer is no */
	CLI_ERROR = TOOL_ERROR, /* could not decide: usage, I/O, internal */
};

/*
 * A decimal number from 0 to max: digits only (no sign, space or suffix),
 * no overflow. *out is set only when true is returned. The one parser:
 * tool_parse_uint.
 */
static inline bool cli_uint(const char *s, uint64_t max, uint64_t *out)
{
	return tool_parse_uint(s, max, out);
}

/* The admin commands' shared options (--server, --token-file, --ca,
 * --json) and their values over the environment's (cmd_device.c). */
struct admin_opts;
extern const struct tool_opt cli_admin_opts[];
void cli_admin_opts_get(const struct tool_ctx *c, struct admin_opts *o);

/* One device as GET /api/v1/devices/ID answers (and its alias
 * /allowlist/SERIAL), for a person: a key/value block, the certificates,
 * the newest events and commands; the strings escaped (cmd_device.c). */
struct json_t;
void cli_device_print(struct json_t *j);

/* rampart device|allowlist|claim ... (cmd_device.c, cmd_allowlist.c,
 * cmd_claim.c) */
extern const struct tool_cmd device_cmds[], allowlist_cmds[], claim_cmds[];
/* rampart release ... (cmd_release.c) */
extern const struct tool_cmd release_cmds[];
/* rampart vuln ... (cmd_vuln.c) */
extern const struct tool_cmd vuln_cmds[];

#endif
