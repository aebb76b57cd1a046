/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_log.h - `rampart-agent log verify FILE` (docs/agent.md "log
 * verify"): walks the device's hash-chained event log (docs/chainlog.md).
 */
#ifndef RAMPART_AGENT_CMD_LOG_H
#define RAMPART_AGENT_CMD_LOG_H

/*
 * argv[0] is "log". Prints the verdict on stdout (failures to read on
 * stderr). Returns the exit code: 0 intact, 1 broken or torn (with the
 * line and the reason), 2 when the file cannot be read or the command
 * line is wrong.
 */
int agent_cmd_log(int argc, char **argv);

#endif
