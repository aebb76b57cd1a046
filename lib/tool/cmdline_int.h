/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdline_int.h - what cmdline.c shares with the other files of lib/tool
 * (cmdconfig.c), not with the programs.
 */
#ifndef RAMPART_TOOL_CMDLINE_INT_H
#define RAMPART_TOOL_CMDLINE_INT_H

#include "cmdline.h"

/*
 * The options of cmd in table order: its own (cmd->opts), then those it
 * shares (cmd->shared). tool_opt_next(cmd, NULL) is the first, NULL after
 * the last. TOOL_EACH_OPT(cmd, o) is the loop over them.
 */
const struct tool_opt *tool_opt_next(const struct tool_cmd *cmd,
                                     const struct tool_opt *o);
#define TOOL_EACH_OPT(cmd, o)                                          \
	for (const struct tool_opt *o = tool_opt_next((cmd), NULL); o; \
	     o = tool_opt_next((cmd), o))

/* Check and store one value v of o (NULL for a flag) as if it had been
 * written on the command line; 0, or 2 after naming the mistake on err. */
int tool_take(struct tool_ctx *c, const struct tool_opt *o, const char *v,
              FILE *err);

/* A mistake: "PROG: MESSAGE" and the try line on err; returns 2. */
int tool_mistake(const struct tool_ctx *c, FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The configuration file of c->cmd (its TOOL_CONFIG option's value, when
 * given): its top-level keys stand for the options not given yet. 0, or 2
 * after naming the mistake (the file and line, or the key) on err. The
 * values it keeps are c's (c->cfg), freed by tool_config_free.
 */
int tool_config_apply(struct tool_ctx *c, FILE *err);
void tool_config_free(struct tool_ctx *c);

#endif
