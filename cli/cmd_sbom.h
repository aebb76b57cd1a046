/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_sbom.h - rampart sbom generate | check | vulns (cmd_sbom.c). */
#ifndef RAMPART_CLI_CMD_SBOM_H
#define RAMPART_CLI_CMD_SBOM_H

#include "cmdline.h"

extern const struct tool_cmd sbom_cmds[];

#endif
