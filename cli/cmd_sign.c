/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sign.c - rampart sign: build a signed image from a payload with one
 * or more keys (key files or pkcs11: URIs), docs/cli.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "cli.h"
#include "image_cli.h"
#include "rampart/encode.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

/* True when the file at path holds a PEM public key (and no private one). */
static bool is_public_pem(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, "-----BEGIN PUBLIC KEY-----") != NULL &&
	       strstr(buf, "PRIVATE KEY-----") == NULL;
}

/* Why --key spec could not be used, naming it and what to do. */
static void key_error(const char *spec, rp_err rc, bool have_pass)
{
	bool token = strncmp(spec, "pkcs11:", 7) == 0;

	if (!token && access(spec, F_OK) != 0)
		fprintf(stderr, "rampart sign: --key %s: %s\n", spec,
		        strerror(errno));
	else if (!token && rc == RP_E_KEY_FORMAT && is_public_pem(spec))
		fprintf(
		    stderr,
		    "rampart sign: --key %s is a public key; sign with the "
		    "private key (rampart keygen wrote it beside the .pub)\n",
		    spec);
	else if (!token && rc == RP_E_PASSPHRASE && !have_pass)
		fprintf(stderr,
		        "rampart sign: --key %s is encrypted: give its "
		        "passphrase with --passphrase-file FILE\n",
		        spec);
	else
		fprintf(stderr, "rampart sign: --key %s: %s (%s)\n", spec,
		        rp_strerror(rc), rp_errname(rc));
}

static bool parse_version(const char *s, struct rp_image_hdr *h)
{
	char buf[64], *a, *b;
	uint64_t v[3];

	if (strlen(s) >= sizeof buf)
		return false;
	snprintf(buf, sizeof buf, "%s", s);
	a = strchr(buf, '.');
	if (a == NULL)
		return false;
	*a++ = '\0';
	b = strchr(a, '.');
	if (b == NULL)
		return false;
	*b++ = '\0';
	if (!cli_uint(buf, UINT32_MAX, &v[0]) ||
	    !cli_uint(a, UINT32_MAX, &v[1]) || !cli_uint(b, UINT32_MAX, &v[2]))
		return false;
	h->ver_major = (uint32_t)v[0];
	h->ver_minor = (uint32_t)v[1];
	h->ver_patch = (uint32_t)v[2];
	return true;
}

static bool parse_sha(const char *s, uint8_t out[RP_SHA256_LEN])
{
	size_t n = 0;

	return strlen(s) == 2 * RP_SHA256_LEN &&
	       rp_hex_decode(s, strlen(s), out, RP_SHA256_LEN, &n) == RP_OK &&
	       n == RP_SHA256_LEN;
}

const struct tool_opt sign_opts[] = {
    {.name = "key",
     .kind = TOOL_STRING,
     .value = "KEY|pkcs11:URI",
     .help = "a private key file or a token's key (again for more "
             "signatures)",
     .flags = TOOL_REQUIRED | TOOL_REPEAT},
    {.name = "hw",
     .kind = TOOL_STRING,
     .value = "TYPE",
     .help = "the hardware type the image is for",
     .flags = TOOL_REQUIRED},
    {.name = "version",
     .kind = TOOL_STRING,
     .value = "X.Y.Z",
     .help = "the firmware version (decimal numbers)",
     .flags = TOOL_REQUIRED},
    {.name = "counter",
     .kind = TOOL_UINT,
     .help = "the anti-rollback counter",
     .flags = TOOL_REQUIRED,
     .max = UINT32_MAX},
    {.name = "passphrase-file",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the key files' passphrase (its first line)"},
    {.name = "build-time",
     .kind = TOOL_UINT,
     .value = "UNIX",
     .help = "the build time (default SOURCE_DATE_EPOCH, else now)",
     .max = 253402300799, /* 9999-12-31 23:59:59Z */
     .unit = "seconds since 1970"},
    {.name = "delta-base",
     .kind = TOOL_STRING,
     .value = "SHA256",
     .help = "a delta image: the payload it applies to (64 hex digits)"},
    {.name = "delta-result",
     .kind = TOOL_STRING,
     .value = "SHA256",
     .help = "a delta image: the payload it yields (64 hex digits)"},
    {0},
};
const struct tool_arg sign_args[] = {
    {"IN", TOOL_REQUIRED}, {"OUT", TOOL_REQUIRED}, {0}};

int cmd_sign(const struct tool_ctx *c)
{
	const char *keyspec[RP_IMAGE_MAX_SIGS];
	rp_signer *signers[RP_IMAGE_MAX_SIGS] = {0};
	const char *passfile = tool_str(c, "passphrase-file"), *sde, *v;
	const char *in = c->argv[0], *dst = c->argv[1];
	struct rp_image_hdr h, out;
	bool base = false, result = false;
	size_t nkeys = tool_count(c, "key"), i;
	char *pass = NULL;
	int ret = CLI_ERROR;
	rp_err rc;

	memset(&h, 0, sizeof h);
	if (nkeys > RP_IMAGE_MAX_SIGS) {
		ret = tool_usage_error(c,
		                       "at most %d keys (--key given %zu "
		                       "times)",
		                       RP_IMAGE_MAX_SIGS, nkeys);
		goto out;
	}
	for (i = 0; i < nkeys; i++)
		keyspec[i] = tool_nth(c, "key", i);
	v = tool_str(c, "hw");
	if (v[0] == '\0' || strlen(v) >= RP_IMAGE_HW_MAX) {
		ret = tool_usage_error(c,
		                       "--hw wants a hardware type of 1 to %d "
		                       "characters",
		                       RP_IMAGE_HW_MAX - 1);
		goto out;
	}
	snprintf(h.hw, sizeof h.hw, "%s", v);
	v = tool_str(c, "version");
	if (!parse_version(v, &h)) {
		ret = tool_usage_error(c,
		                       "--version wants X.Y.Z (decimal "
		                       "numbers), not '%s'",
		                       v);
		goto out;
	}
	h.counter = (uint32_t)tool_uint(c, "counter", 0);
	v = tool_str(c, "delta-base");
	base = v != NULL && parse_sha(v, h.base_sha256);
	if (v != NULL && !base) {
		ret = tool_usage_error(c,
		                       "--delta-base wants 64 hex digits "
		                       "(a SHA-256), not '%s'",
		                       v);
		goto out;
	}
	v = tool_str(c, "delta-result");
	result = v != NULL && parse_sha(v, h.result_sha256);
	if (v != NULL && !result) {
		ret = tool_usage_error(c,
		                       "--delta-result wants 64 hex digits "
		                       "(a SHA-256), not '%s'",
		                       v);
		goto out;
	}
	if (base != result) {
		ret = tool_usage_error(c, "--delta-base and --delta-result go "
		                          "together");
		goto out;
	}
	h.kind = base ? RP_IMAGE_DELTA : RP_IMAGE_FULL;
	if (tool_count(c, "build-time") > 0) {
		h.build_time = tool_uint(c, "build-time", 0);
	} else {
		/* Reproducible builds: SOURCE_DATE_EPOCH when set. */
		sde = getenv("SOURCE_DATE_EPOCH");
		if (sde == NULL || !cli_uint(sde, UINT64_MAX, &h.build_time))
			h.build_time = (uint64_t)time(NULL);
	}
	if (passfile != NULL) {
		rc = icli_read_passphrase(passfile, &pass);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart sign: %s: %s\n", passfile,
			        rp_strerror(rc));
			goto out;
		}
	}
	for (i = 0; i < nkeys; i++) {
		rc = rp_signer_open(keyspec[i], pass, &signers[i]);
		if (rc != RP_OK) {
			key_error(keyspec[i], rc, pass != NULL);
			goto out;
		}
	}
	/* name the file that is missing, not just "not found" */
	if (access(in, R_OK) != 0) {
		fprintf(stderr,
		        "rampart sign: cannot read the payload %s: %s\n", in,
		        strerror(errno));
		goto out;
	}
	rc = rp_image_sign_file(in, dst, &h, signers, nkeys, &out);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart sign: %s -> %s: %s (%s)\n", in, dst,
		        rp_strerror(rc), rp_errname(rc));
		goto out;
	}
	printf("signed %s: hw %s, version %" PRIu32 ".%" PRIu32 ".%" PRIu32
	       ", counter %" PRIu32 ", payload %" PRIu64 " bytes, %zu "
	       "signature(s)\n",
	       dst, out.hw, out.ver_major, out.ver_minor, out.ver_patch,
	       out.counter, out.payload_len, nkeys);
	for (i = 0; i < nkeys; i++) {
		printf("  %-7s key ",
		       icli_alg_name(rp_signer_pubkey(signers[i])->alg));
		icli_hex(stdout, rp_signer_pubkey(signers[i])->id,
		         RP_KEYID_LEN);
		printf("\n");
	}
	ret = CLI_OK;
out:
	for (i = 0; i < RP_IMAGE_MAX_SIGS; i++)
		rp_signer_free(signers[i]);
	if (pass != NULL)
		rp_secret_free(pass);
	return ret;
}
