/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the rampart command line: finds the subcommand and runs it.
 * Each subcommand lives in its own cmd_*.c and is listed in cmds[] below;
 * cli_uint, the number parser they share (cli.h), is here too.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cli.h"
#include "cmd_broker.h"
#include "image_cli.h"
#include "rampart/log.h"
#include "rampart/mem.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cli_cmd cmds[] = {
    {"help", "show the commands", cmd_help},
    {"version", "print the version", cmd_version},
    {"keygen", "generate a release key pair", cmd_keygen},
    {"pubkey", "show and export a signing key's public key", cmd_pubkey},
    {"sign", "build a signed firmware image", cmd_sign},
    {"verify", "verify a signed image against trusted keys", cmd_verify},
    {"inspect", "show an image's or key set's contents", cmd_inspect},
    {"keyset", "create, co-sign and check trusted key sets", cmd_keyset},
    {"allowlist", "import, list, show, remove allowlisted devices",
     cmd_allowlist},
    {"claim", "create a claim certificate for factory enrollment", cmd_claim},
    {"device", "inventory, show, revoke, quarantine, ping devices", cmd_device},
    {"broker-config", "write the Mosquitto configuration (TLS, plugin)",
     cmd_broker_config},
};

bool cli_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull alone takes leading space, a sign ("-1" is ULLONG_MAX)
	 * and trailing garbage */
	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("rampart %s\n", RP_VERSION_STRING);
	return CLI_OK;
}

static int cmd_help(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	printf("usage: rampart COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		printf("  %-12s %s\n", cmds[i].name, cmds[i].summary);
	printf("\n'rampart COMMAND --help' shows a command's options; "
	       "docs/cli.md has them all.\n");
	return CLI_OK;
}

int main(int argc, char **argv)
{
	size_t i;

	if (rp_init() != RP_OK) {
		fprintf(stderr, "rampart: cannot initialise the crypto "
		                "library\n");
		return CLI_ERROR;
	}
	/* A peer that closes while we write (TLS through OpenSSL's socket
	 * BIO, libmosquitto) must be an error to handle, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	rp_log_init("rampart", RP_LOG_STDERR, RP_LOG_WARN);
	if (argc < 2) {
		cmd_help(0, NULL);
		return CLI_ERROR;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(0, NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(0, NULL);
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "rampart: unknown command '%s' (try 'rampart help')\n",
	        argv[1]);
	return CLI_ERROR;
}
