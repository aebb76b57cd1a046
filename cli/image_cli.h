/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_cli.h - the image and key commands of the rampart CLI (keygen,
 * sign, verify, inspect, keyset) and what they share: passphrase files,
 * trusted keys from PEM files or key sets, hex and JSON output.
 */
#ifndef RAMPART_IMAGE_CLI_H
#define RAMPART_IMAGE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "rampart/image.h"

#include "cmdline.h"

/* Each command's options and arguments (the table of main.c) and what
 * runs it; keyset has commands of its own. */
extern const struct tool_opt keygen_opts[], pubkey_opts[], sign_opts[];
extern const struct tool_opt verify_opts[], inspect_opts[];
extern const struct tool_arg pubkey_args[], sign_args[], verify_args[];
extern const struct tool_arg inspect_args[];
extern const struct tool_cmd keyset_cmds[];
int cmd_keygen(const struct tool_ctx *c);
int cmd_pubkey(const struct tool_ctx *c);
int cmd_sign(const struct tool_ctx *c);
int cmd_verify(const struct tool_ctx *c);
int cmd_inspect(const struct tool_ctx *c);

/*
 * Read the first line of path into secret memory. OUT: *pass, freed with
 * rp_secret_free (wiped). RP_E_NOT_FOUND, RP_E_IO, RP_E_NOMEM.
 */
rp_err icli_read_passphrase(const char *path, char **pass);

/*
 * Add the keys of path to ks: a signed key set ("RPKS", which replaces ks
 * whole: OUT *was_keyset = true) or PEM public keys (appended, epoch 0).
 */
rp_err icli_load_trust(const char *path, struct rp_keyset *ks,
                       bool *was_keyset);

/* Read a whole file of at most max bytes. OUT: *buf (malloc'd), *len. */
rp_err icli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/* Print len bytes as lowercase hex. */
void icli_hex(FILE *f, const uint8_t *p, size_t len);

/* Print s as a JSON string (quoted, escaped). */
void icli_json_str(FILE *f, const char *s);

const char *icli_alg_name(uint8_t alg);
const char *icli_sigstat_name(uint8_t st);

/*
 * The exit code for a verdict: 0 for RP_OK, 2 when nothing could be
 * decided (I/O, memory, usage, crypto library), else 1 ("no").
 */
int icli_exit(rp_err rc);

/* Print the signatures of rep (n of them) in human or JSON form. */
void icli_print_sigs(FILE *f, const struct rp_image_report *rep, bool json);

/* Print a key set's fields in human or JSON form (no trailing newline for
 * JSON: an object). */
void icli_print_keyset(FILE *f, const struct rp_keyset *ks, bool json);

#endif
