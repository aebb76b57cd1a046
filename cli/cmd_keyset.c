/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_keyset.c - rampart keyset create|sign|verify|show: trusted key sets
 * and their rotation (docs/image-format.md "Key sets"): a new set is
 * signed by k keys of the current one, has a higher epoch and keeps every
 * revocation.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image_cli.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/file.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

static rp_err load_set(const char *path, struct rp_keyset *ks, uint8_t **buf,
                       size_t *len)
{
	rp_err rc;

	rc = icli_read_file(path, RP_KEYSET_MAX_SIZE, buf, len);
	if (rc == RP_E_TOO_BIG)
		rc = RP_E_KEYSET;
	if (rc == RP_OK)
		rc = rp_keyset_parse(*buf, *len, rp_crypto_host(), ks, NULL);
	return rc;
}

/* The --key signers (at most RP_IMAGE_MAX_SIGS: checked by the caller),
 * unlocked with --passphrase-file. OUT: s[i], each freed by the caller. */
static rp_err open_signers(const struct tool_ctx *c, rp_signer **s)
{
	const char *passfile = tool_str(c, "passphrase-file");
	size_t n = tool_count(c, "key"), i;
	char *pass = NULL;
	rp_err rc = RP_OK;

	if (passfile != NULL) {
		rc = icli_read_passphrase(passfile, &pass);
		if (rc != RP_OK)
			fprintf(stderr, "%s: %s: %s\n", c->path, passfile,
			        rp_strerror(rc));
	}
	for (i = 0; i < n && rc == RP_OK; i++) {
		rc = rp_signer_open(tool_nth(c, "key", i), pass, &s[i]);
		if (rc != RP_OK)
			fprintf(stderr, "%s: --key %s: %s\n", c->path,
			        tool_nth(c, "key", i), rp_strerror(rc));
	}
	if (pass != NULL)
		rp_secret_free(pass);
	return rc;
}

/* --revoke: 64 hex digits of a key id, or a PEM public key file. */
static rp_err add_revoked(struct rp_keyset *ks, const char *arg)
{
	struct rp_pubkey pk[RP_KEYSET_MAX_KEYS];
	uint8_t id[RP_KEYID_LEN];
	size_t n = 0, i;
	rp_err rc = RP_OK;

	if (strlen(arg) == 2 * RP_KEYID_LEN &&
	    rp_hex_decode(arg, strlen(arg), id, sizeof id, &n) == RP_OK &&
	    n == RP_KEYID_LEN) {
		memcpy(pk[0].id, id, RP_KEYID_LEN);
		n = 1;
	} else {
		rc = rp_pubkey_load_pem(arg, pk, RP_KEYSET_MAX_KEYS, &n);
		if (rc != RP_OK)
			return rc;
	}
	for (i = 0; i < n; i++) {
		if (rp_keyset_is_revoked(ks, pk[i].id))
			continue;
		if (ks->nrevoked == RP_KEYSET_MAX_REVOKED)
			return RP_E_TOO_BIG;
		memcpy(ks->revoked[ks->nrevoked++], pk[i].id, RP_KEYID_LEN);
	}
	return rc;
}

/* At most max of option name (the table has no count limit). */
static bool within(const struct tool_ctx *c, const char *name, size_t max)
{
	if (tool_count(c, name) <= max)
		return true;
	tool_usage_error(c, "at most %zu --%s", max, name);
	return false;
}

static int ks_create(const struct tool_ctx *c)
{
	const char *prev_path = tool_str(c, "prev"), *dst = c->argv[0];
	size_t npub = tool_count(c, "pub"), nrev = tool_count(c, "revoke");
	size_t nkey = tool_count(c, "key");
	static struct rp_keyset ks, prev;
	struct rp_pubkey pk[RP_KEYSET_MAX_KEYS];
	rp_signer *s[RP_IMAGE_MAX_SIGS] = {0};
	struct rp_image_report rep;
	uint8_t out[RP_KEYSET_MAX_SIZE], *pbuf = NULL;
	size_t n, i, j, outlen = 0, plen;
	int ret = CLI_ERROR;
	rp_err rc = RP_OK;

	memset(&ks, 0, sizeof ks);
	if (!within(c, "key", RP_IMAGE_MAX_SIGS))
		goto out;
	if (prev_path != NULL) {
		rc = load_set(prev_path, &prev, &pbuf, &plen);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart keyset: %s: %s\n", prev_path,
			        rp_strerror(rc));
			goto out;
		}
		/* Revocations are for ever: start from the current list. */
		ks.nrevoked = prev.nrevoked;
		memcpy(ks.revoked, prev.revoked, sizeof ks.revoked);
		ks.epoch = prev.epoch + 1;
	}
	if (tool_count(c, "epoch") > 0)
		ks.epoch = (uint32_t)tool_uint(c, "epoch", 0);
	for (i = 0; i < npub; i++) {
		rc = rp_pubkey_load_pem(tool_nth(c, "pub", i), pk,
		                        RP_KEYSET_MAX_KEYS, &n);
		for (j = 0; rc == RP_OK && j < n; j++) {
			if (ks.nkeys == RP_KEYSET_MAX_KEYS)
				rc = RP_E_TOO_BIG;
			else
				ks.keys[ks.nkeys++] = pk[j];
		}
		if (rc != RP_OK) {
			fprintf(stderr, "%s: --pub %s: %s\n", c->path,
			        tool_nth(c, "pub", i), rp_strerror(rc));
			goto out;
		}
	}
	for (i = 0; i < nrev; i++) {
		rc = add_revoked(&ks, tool_nth(c, "revoke", i));
		if (rc != RP_OK) {
			fprintf(stderr, "%s: --revoke %s: %s\n", c->path,
			        tool_nth(c, "revoke", i), rp_strerror(rc));
			goto out;
		}
	}
	ks.threshold = (uint8_t)tool_uint(c, "threshold", 1);
	rc = rp_keyset_check(&ks);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart keyset: invalid set (threshold above "
		                "the number of keys, a key given twice, or a "
		                "trusted key also revoked)\n");
		goto out;
	}
	rc = open_signers(c, s);
	if (rc != RP_OK)
		goto out;
	rc = rp_keyset_sign(&ks, s, nkey, out, sizeof out, &outlen);
	if (rc == RP_OK)
		rc = rp_file_write_atomic(dst, out, outlen, 0644);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: %s: %s\n", c->path, dst, rp_strerror(rc));
		goto out;
	}
	printf("wrote %s (%zu bytes)\n", dst, outlen);
	icli_print_keyset(stdout, &ks, false);
	if (prev_path != NULL) {
		rc = rp_keyset_accept(&prev, out, outlen, rp_crypto_host(), &ks,
		                      &rep);
		if (rc == RP_OK)
			printf("accepted over %s (epoch %u)\n", prev_path,
			       prev.epoch);
		else
			printf("not yet accepted over %s: %s (%u valid of %u "
			       "required; co-sign with 'rampart keyset "
			       "sign')\n",
			       prev_path, rp_strerror(rc), rep.nvalid,
			       prev.threshold);
	}
	ret = CLI_OK;
out:
	for (i = 0; i < RP_IMAGE_MAX_SIGS; i++)
		rp_signer_free(s[i]);
	free(pbuf);
	return ret;
}

static int ks_sign(const struct tool_ctx *c)
{
	static struct rp_keyset ks;
	rp_signer *s[RP_IMAGE_MAX_SIGS] = {0};
	uint8_t out[RP_KEYSET_MAX_SIZE], *buf = NULL;
	size_t len = 0, i, nkey = tool_count(c, "key");
	const char *in = c->argv[0], *dst = c->argc > 1 ? c->argv[1] : in;
	int ret = CLI_ERROR;
	rp_err rc;

	if (!within(c, "key", RP_IMAGE_MAX_SIGS))
		goto out;
	rc = load_set(in, &ks, &buf, &len);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: %s: %s\n", c->path, in, rp_strerror(rc));
		ret = icli_exit(rc);
		goto out;
	}
	memcpy(out, buf, len);
	rc = open_signers(c, s);
	if (rc != RP_OK)
		goto out;
	rc = rp_keyset_cosign(out, &len, sizeof out, s, nkey);
	if (rc == RP_OK)
		rc = rp_file_write_atomic(dst, out, len, 0644);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: %s: %s\n", c->path, dst, rp_strerror(rc));
		goto out;
	}
	printf("wrote %s (%zu bytes, %zu signature(s) added)\n", dst, len,
	       nkey);
	ret = CLI_OK;
out:
	for (i = 0; i < RP_IMAGE_MAX_SIGS; i++)
		rp_signer_free(s[i]);
	free(buf);
	return ret;
}

static int ks_verify(const struct tool_ctx *c)
{
	static struct rp_keyset cur, next;
	struct rp_image_report rep;
	uint8_t *cbuf = NULL, *buf = NULL;
	size_t clen, len = 0;
	const char *cur_path = tool_str(c, "current"), *path = c->argv[0];
	int ret = CLI_ERROR;
	rp_err rc;

	memset(&rep, 0, sizeof rep);
	if (cur_path != NULL) {
		rc = load_set(cur_path, &cur, &cbuf, &clen);
		if (rc != RP_OK) {
			fprintf(stderr, "%s: --current %s: %s\n", c->path,
			        cur_path, rp_strerror(rc));
			goto out; /* no trusted set: cannot decide */
		}
	}
	rc = icli_read_file(path, RP_KEYSET_MAX_SIZE, &buf, &len);
	if (rc == RP_E_TOO_BIG)
		rc = RP_E_KEYSET;
	if (rc == RP_OK)
		rc = rp_keyset_accept(cur_path != NULL ? &cur : NULL, buf, len,
		                      rp_crypto_host(), &next, &rep);
	if (tool_flag(c, "json")) {
		printf("{\"file\":");
		icli_json_str(stdout, path);
		printf(",\"accepted\":%s,\"error\":\"%s\",\"message\":",
		       rc == RP_OK ? "true" : "false", rp_errname(rc));
		icli_json_str(stdout, rp_strerror(rc));
		printf(",\"nvalid\":%u,\"signatures\":", rep.nvalid);
		icli_print_sigs(stdout, &rep, true);
		if (rc == RP_OK) {
			printf(",\"keyset\":");
			icli_print_keyset(stdout, &next, true);
		}
		printf("}\n");
	} else {
		icli_print_sigs(stdout, &rep, false);
		if (rc == RP_OK)
			printf("%s: accepted (epoch %u)\n", path, next.epoch);
		else
			printf("%s: refused: %s (%s)\n", path, rp_strerror(rc),
			       rp_errname(rc));
	}
	ret = icli_exit(rc);
out:
	free(cbuf);
	free(buf);
	return ret;
}

static const struct tool_opt key_opts[] = {
    {.name = "key",
     .kind = TOOL_STRING,
     .value = "KEY|pkcs11:URI",
     .help = "a key of the current set to sign with (again for more)",
     .flags = TOOL_REQUIRED | TOOL_REPEAT},
    {.name = "passphrase-file",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the key files' passphrase (its first line)"},
    {0},
};
static const struct tool_opt create_opts[] = {
    {.name = "pub",
     .kind = TOOL_PATH,
     .value = "PUBKEYS",
     .help = "PEM public keys to trust (again for more files)",
     .flags = TOOL_REQUIRED | TOOL_REPEAT},
    {.name = "threshold",
     .kind = TOOL_UINT,
     .value = "K",
     .help = "valid signatures an image needs",
     .flags = TOOL_REQUIRED,
     .min = 1,
     .max = RP_KEYSET_MAX_KEYS},
    {.name = "epoch",
     .kind = TOOL_UINT,
     .value = "E",
     .help = "the set's epoch (default: --prev's plus one, else 0)",
     .max = UINT32_MAX},
    {.name = "prev",
     .kind = TOOL_PATH,
     .value = "CURRENT",
     .help = "the set this one replaces (its revocations carry over)"},
    {.name = "revoke",
     .kind = TOOL_STRING,
     .value = "KEYID|PUBKEY",
     .help = "a key id (64 hex digits) or PEM key file never to trust "
             "again",
     .flags = TOOL_REPEAT},
    {0},
};
static const struct tool_opt ksv_opts[] = {
    {.name = "current",
     .kind = TOOL_PATH,
     .value = "CURRENT",
     .help = "the trusted set NEW must be accepted over"},
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
static const struct tool_arg out_arg[] = {{"OUT", TOOL_REQUIRED}, {0}};
static const struct tool_arg in_out_args[] = {
    {"IN", TOOL_REQUIRED}, {"OUT", 0}, {0}};
static const struct tool_arg new_arg[] = {{"NEW", TOOL_REQUIRED}, {0}};

const struct tool_cmd keyset_cmds[] = {
    {.name = "create",
     .summary = "a new key set, signed by keys of the current one",
     .opts = create_opts,
     .shared = key_opts,
     .args = out_arg,
     .run = ks_create},
    {.name = "sign",
     .summary = "add signatures to a key set (IN, or written to OUT)",
     .shared = key_opts,
     .args = in_out_args,
     .run = ks_sign},
    {.name = "verify",
     .summary = "would NEW be accepted over CURRENT (exit 0 yes, 1 no)",
     .opts = ksv_opts,
     .args = new_arg,
     .run = ks_verify,
     .more = "Without --current: is NEW validly signed by its own keys."},
    {.name = "show",
     .summary = "a key set's keys, threshold, epoch, revocations",
     .opts = inspect_opts,
     .args = inspect_args,
     .run = cmd_inspect},
    {0},
};
