/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_broker.h - rampart broker-config (cmd_broker.c). */
#ifndef RAMPART_CLI_CMD_BROKER_H
#define RAMPART_CLI_CMD_BROKER_H

int cmd_broker_config(int argc, char **argv);

#endif
