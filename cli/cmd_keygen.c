/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_keygen.c - rampart keygen: a release key pair in PEM files (private
 * key 0600, optionally passphrase-encrypted; public key KEY.pub), printing
 * the public key and its key id.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image_cli.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

static const char *const algs[] = {"ed25519", "p256", NULL};

const struct tool_opt keygen_opts[] = {
    {.name = "alg",
     .kind = TOOL_ENUM,
     .value = "ALG",
     .help = "the signature algorithm",
     .flags = TOOL_REQUIRED,
     .words = algs},
    {.name = "out",
     .kind = TOOL_PATH,
     .value = "KEY",
     .help = "the private key's file (KEY.pub beside it)",
     .flags = TOOL_REQUIRED},
    {.name = "passphrase-file",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "encrypt the private key with the first line of FILE"},
    {0},
};

int cmd_keygen(const struct tool_ctx *c)
{
	const char *alg = tool_str(c, "alg"), *out = tool_str(c, "out");
	const char *passfile = tool_str(c, "passphrase-file");
	struct rp_pubkey pub;
	char *pass = NULL;
	uint8_t a;
	int ret = CLI_ERROR;
	rp_err rc;

	/* the table admits only the words of algs[] */
	a = strcmp(alg, "ed25519") == 0 ? RP_ALG_ED25519 : RP_ALG_P256_SHA256;
	if (passfile != NULL) {
		rc = icli_read_passphrase(passfile, &pass);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart keygen: %s: %s\n", passfile,
			        rp_strerror(rc));
			goto out;
		}
	}
	rc = rp_key_generate(a, out, pass, &pub);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart keygen: %s: %s\n", out,
		        rp_strerror(rc));
		goto out;
	}
	printf("private key: %s (mode 0600%s)\n", out,
	       pass != NULL ? ", encrypted" : "");
	printf("public key:  %s.pub\n", out);
	printf("algorithm:   %s\n", alg);
	printf("public:      ");
	icli_hex(stdout, pub.key, pub.len);
	printf("\nkey id:      ");
	icli_hex(stdout, pub.id, RP_KEYID_LEN);
	printf("\n");
	ret = CLI_OK;
out:
	if (pass != NULL)
		rp_secret_free(pass);
	return ret;
}

const struct tool_opt pubkey_opts[] = {
    {.name = "out",
     .kind = TOOL_PATH,
     .value = "PUB",
     .help = "also write the public key as PEM to PUB"},
    {.name = "passphrase-file",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the key file's passphrase (its first line)"},
    {0},
};
const struct tool_arg pubkey_args[] = {{"KEY|pkcs11:URI", TOOL_REQUIRED}, {0}};

int cmd_pubkey(const struct tool_ctx *c)
{
	const char *out = tool_str(c, "out");
	const char *passfile = tool_str(c, "passphrase-file");
	const struct rp_pubkey *pub;
	rp_signer *s = NULL;
	char *pass = NULL;
	int ret = CLI_ERROR;
	rp_err rc;

	if (passfile != NULL) {
		rc = icli_read_passphrase(passfile, &pass);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart pubkey: %s: %s\n", passfile,
			        rp_strerror(rc));
			goto out;
		}
	}
	rc = rp_signer_open(c->argv[0], pass, &s);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart pubkey: %s (%s)\n", rp_strerror(rc),
		        rp_errname(rc));
		goto out;
	}
	pub = rp_signer_pubkey(s);
	if (out != NULL) {
		rc = rp_pubkey_write_pem(pub, out);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart pubkey: %s: %s\n", out,
			        rp_strerror(rc));
			goto out;
		}
	}
	printf("algorithm:   %s\npublic:      ", icli_alg_name(pub->alg));
	icli_hex(stdout, pub->key, pub->len);
	printf("\nkey id:      ");
	icli_hex(stdout, pub->id, RP_KEYID_LEN);
	printf("\n");
	ret = CLI_OK;
out:
	rp_signer_free(s);
	if (pass != NULL)
		rp_secret_free(pass);
	return ret;
}
