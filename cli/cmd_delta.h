/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_delta.h - rampart delta create | apply | info (cmd_delta.c). */
#ifndef RAMPART_CLI_CMD_DELTA_H
#define RAMPART_CLI_CMD_DELTA_H

#include "cmdline.h"

extern const struct tool_cmd delta_cmds[];

#endif
