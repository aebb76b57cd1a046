/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_log.h - `rampart-agent log verify FILE` (docs/agent.md "log
 * verify"): walks the device's hash-chained event log (docs/chainlog.md).
 */
#ifndef RAMPART_AGENT_CMD_LOG_H
#define RAMPART_AGENT_CMD_LOG_H

#include "cmdline.h"

/*
 * The commands under "log" (verify FILE). The verdict goes to stdout
 * (failures to read to stderr); exit 0 intact, 1 broken or torn (with the
 * line and the reason), 2 when the file cannot be read.
 */
extern const struct tool_cmd agent_log_cmds[];

#endif
