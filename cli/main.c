/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the rampart command line: finds the subcommand and runs it.
 * Each subcommand lives in its own cmd_*.c and is listed in cmds[] below,
 * the table of lib/tool/cmdline.h (unknown commands, --help, --version).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cli.h"
#include "cmd_broker.h"
#include "cmd_delta.h"
#include "cmd_sbom.h"
#include "image_cli.h"
#include "rampart/log.h"
#include "rampart/mem.h"

static int run_version(const struct tool_ctx *c)
{
	(void)c;
	printf("rampart %s\n", RP_VERSION_STRING);
	return CLI_OK;
}

static int run_help(const struct tool_ctx *c);

static const struct tool_cmd cmds[] = {
    {.name = "help", .summary = "show the commands", .run = run_help},
    {.name = "version", .summary = "print the version", .run = run_version},
    {.name = "keygen",
     .summary = "generate a release key pair",
     .opts = keygen_opts,
     .run = cmd_keygen},
    {.name = "pubkey",
     .summary = "show and export a signing key's public key",
     .opts = pubkey_opts,
     .args = pubkey_args,
     .run = cmd_pubkey},
    {.name = "sign",
     .summary = "build a signed firmware image",
     .opts = sign_opts,
     .args = sign_args,
     .run = cmd_sign},
    {.name = "verify",
     .summary = "verify a signed image against trusted keys",
     .opts = verify_opts,
     .args = verify_args,
     .run = cmd_verify,
     .more = "Exit 0 valid, 1 refused (the reason is printed), 2 could not "
             "decide."},
    {.name = "inspect",
     .summary = "show an image's or key set's contents",
     .opts = inspect_opts,
     .args = inspect_args,
     .run = cmd_inspect,
     .more = "Nothing is trusted and no signature checked (that is rampart "
             "verify). Exit 0 well-formed, 1 malformed, 2 could not read."},
    {.name = "keyset",
     .summary = "create, co-sign and check trusted key sets",
     .subs = keyset_cmds},
    {.name = "allowlist",
     .summary = "import, list, show, remove allowlisted devices",
     .subs = allowlist_cmds},
    {.name = "claim",
     .summary = "create, list, revoke claim certificates (factory enrollment)",
     .subs = claim_cmds},
    {.name = "device",
     .summary = "inventory, show, revoke, quarantine, ping devices",
     .subs = device_cmds},
    {.name = "release",
     .summary = "the release key set and the releases in rampartd",
     .subs = release_cmds},
    {.name = "vuln",
     .summary = "import known vulnerabilities (OSV) into rampartd",
     .subs = vuln_cmds},
    {.name = "delta",
     .summary = "create, apply and inspect delta patches between images",
     .subs = delta_cmds},
    {.name = "sbom",
     .summary = "generate and check SBOMs, list their known vulnerabilities",
     .subs = sbom_cmds},
    {.name = "broker-config",
     .summary = "write the Mosquitto configuration (TLS, plugin)",
     .opts = broker_opts,
     .run = cmd_broker_config,
     .more = "Writes a mosquitto.conf with one mutual-TLS listener and the "
             "rampart plugin."},
    {0},
};

static const struct tool_cmd root = {
    .summary = "Rampart's release and fleet tool: sign and verify firmware, "
               "run the fleet through rampartd's admin API (docs/cli.md).",
    .subs = cmds,
};

static const struct tool_env env[] = {
    {"RAMPART_PKCS11_MODULE",
     "the PKCS#11 module of a pkcs11: key that names no module-path "
     "(default: p11-kit's proxy)"},
    {"SOURCE_DATE_EPOCH",
     "sign: the build time when --build-time is not given (reproducible "
     "builds)"},
    {"NO_COLOR", "set: no colour, even on a terminal"},
    {0},
};

static const struct tool_prog prog = {
    .name = "rampart", .version = RP_VERSION_STRING, .root = &root, .env = env};

static int run_help(const struct tool_ctx *c)
{
	(void)c;
	tool_help(&root, "rampart", stdout);
	return CLI_OK;
}

/*
 * What a command printed must have reached stdout: with SIGPIPE ignored a
 * reader that went away (| head) or a full disk would otherwise end in
 * exit 0 with the output cut.
 */
static int finish(int code)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return code;
	if (errno != EPIPE)
		fprintf(stderr, "rampart: cannot write the output: %s\n",
		        strerror(errno));
	return CLI_ERROR;
}

int main(int argc, char **argv)
{
	if (rp_init() != RP_OK) {
		fprintf(stderr, "rampart: cannot initialise the crypto "
		                "library\n");
		return CLI_ERROR;
	}
	/* A peer that closes while we write (TLS through OpenSSL's socket
	 * BIO, libmosquitto) must be an error to handle, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	rp_log_init("rampart", RP_LOG_STDERR, RP_LOG_WARN);
	return finish(tool_main(&prog, argc, argv, NULL));
}
