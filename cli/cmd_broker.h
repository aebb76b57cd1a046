/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_broker.h - rampart broker-config (cmd_broker.c). */
#ifndef RAMPART_CLI_CMD_BROKER_H
#define RAMPART_CLI_CMD_BROKER_H

#include "cmdline.h"

extern const struct tool_opt broker_opts[];
int cmd_broker_config(const struct tool_ctx *c);

#endif
