/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_keyset.c - rampart keyset create|sign|verify|show: trusted key sets
 * and their rotation (docs/image-format.md "Key sets"): a new set is
 * signed by k keys of the current one, has a higher epoch and keeps every
 * revocation.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <getopt.h>
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

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: rampart keyset create --pub PUBKEYS [--pub ...] "
	       "--threshold K\n"
	       "           [--epoch E] [--prev CURRENT] [--revoke KEYID|PUBKEY "
	       "...]\n"
	       "           --key KEY|pkcs11:URI [--key ...] "
	       "[--passphrase-file F] OUT\n"
	       "       rampart keyset sign --key KEY|pkcs11:URI [--key ...] "
	       "[--passphrase-file F] IN [OUT]\n"
	       "       rampart keyset verify [--current CURRENT] [--json] "
	       "NEW\n"
	       "       rampart keyset show [--json] FILE\n"
	       "create/sign sign with the CURRENT set's keys; verify exits 0 "
	       "if NEW would be\naccepted over CURRENT (or, without "
	       "--current, is validly self-signed), 1 if not.\n");
}

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

static rp_err open_signers(const char **spec, size_t n, const char *passfile,
                           rp_signer **s)
{
	char *pass = NULL;
	size_t i;
	rp_err rc = RP_OK;

	if (passfile != NULL)
		rc = icli_read_passphrase(passfile, &pass);
	for (i = 0; i < n && rc == RP_OK; i++) {
		rc = rp_signer_open(spec[i], pass, &s[i]);
		if (rc != RP_OK)
			fprintf(stderr, "rampart keyset: key %s: %s\n", spec[i],
			        rp_strerror(rc));
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

static const struct option opts[] = {
    {"pub", required_argument, NULL, 'u'},
    {"threshold", required_argument, NULL, 'k'},
    {"epoch", required_argument, NULL, 'e'},
    {"prev", required_argument, NULL, 'P'},
    {"current", required_argument, NULL, 'P'},
    {"revoke", required_argument, NULL, 'r'},
    {"key", required_argument, NULL, 'K'},
    {"passphrase-file", required_argument, NULL, 'p'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
	const char *pub[RP_KEYSET_MAX_KEYS], *rev[RP_KEYSET_MAX_REVOKED];
	const char *key[RP_IMAGE_MAX_SIGS];
	size_t npub, nrev, nkey;
	const char *prev, *passfile;
	uint64_t threshold, epoch;
	bool has_epoch, json;
};

/* Parse options into a; false on a usage error. */
static bool parse(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'u':
			if (a->npub == RP_KEYSET_MAX_KEYS)
				return false;
			a->pub[a->npub++] = optarg;
			break;
		case 'r':
			if (a->nrev == RP_KEYSET_MAX_REVOKED)
				return false;
			a->rev[a->nrev++] = optarg;
			break;
		case 'K':
			if (a->nkey == RP_IMAGE_MAX_SIGS)
				return false;
			a->key[a->nkey++] = optarg;
			break;
		case 'k':
			if (!cli_uint(optarg, RP_KEYSET_MAX_KEYS,
			              &a->threshold))
				return false;
			break;
		case 'e':
			if (!cli_uint(optarg, UINT32_MAX, &a->epoch))
				return false;
			a->has_epoch = true;
			break;
		case 'P':
			a->prev = optarg;
			break;
		case 'p':
			a->passfile = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		default:
			return false;
		}
	}
	return true;
}

static int ks_create(int argc, char **argv)
{
	static struct rp_keyset ks, prev;
	struct rp_pubkey pk[RP_KEYSET_MAX_KEYS];
	rp_signer *s[RP_IMAGE_MAX_SIGS] = {0};
	struct rp_image_report rep;
	uint8_t out[RP_KEYSET_MAX_SIZE], *pbuf = NULL;
	size_t n, i, j, outlen = 0, plen;
	struct args a;
	int ret = CLI_ERROR;
	rp_err rc = RP_OK;

	memset(&ks, 0, sizeof ks);
	if (!parse(argc, argv, &a) || a.npub == 0 || a.nkey == 0 ||
	    a.threshold == 0 || argc - optind != 1) {
		usage(stderr);
		goto out;
	}
	if (a.prev != NULL) {
		rc = load_set(a.prev, &prev, &pbuf, &plen);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart keyset: %s: %s\n", a.prev,
			        rp_strerror(rc));
			goto out;
		}
		/* Revocations are for ever: start from the current list. */
		ks.nrevoked = prev.nrevoked;
		memcpy(ks.revoked, prev.revoked, sizeof ks.revoked);
		ks.epoch = prev.epoch + 1;
	}
	if (a.has_epoch)
		ks.epoch = (uint32_t)a.epoch;
	for (i = 0; i < a.npub; i++) {
		rc = rp_pubkey_load_pem(a.pub[i], pk, RP_KEYSET_MAX_KEYS, &n);
		for (j = 0; rc == RP_OK && j < n; j++) {
			if (ks.nkeys == RP_KEYSET_MAX_KEYS)
				rc = RP_E_TOO_BIG;
			else
				ks.keys[ks.nkeys++] = pk[j];
		}
		if (rc != RP_OK) {
			fprintf(stderr, "rampart keyset: %s: %s\n", a.pub[i],
			        rp_strerror(rc));
			goto out;
		}
	}
	for (i = 0; i < a.nrev; i++) {
		rc = add_revoked(&ks, a.rev[i]);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart keyset: --revoke %s: %s\n",
			        a.rev[i], rp_strerror(rc));
			goto out;
		}
	}
	ks.threshold = (uint8_t)a.threshold;
	rc = rp_keyset_check(&ks);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart keyset: invalid set (threshold above "
		                "the number of keys, a key given twice, or a "
		                "trusted key also revoked)\n");
		goto out;
	}
	rc = open_signers(a.key, a.nkey, a.passfile, s);
	if (rc != RP_OK)
		goto out;
	rc = rp_keyset_sign(&ks, s, a.nkey, out, sizeof out, &outlen);
	if (rc == RP_OK)
		rc = rp_file_write_atomic(argv[optind], out, outlen, 0644);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart keyset: %s: %s\n", argv[optind],
		        rp_strerror(rc));
		goto out;
	}
	printf("wrote %s (%zu bytes)\n", argv[optind], outlen);
	icli_print_keyset(stdout, &ks, false);
	if (a.prev != NULL) {
		rc = rp_keyset_accept(&prev, out, outlen, rp_crypto_host(), &ks,
		                      &rep);
		if (rc == RP_OK)
			printf("accepted over %s (epoch %u)\n", a.prev,
			       prev.epoch);
		else
			printf("not yet accepted over %s: %s (%u valid of %u "
			       "required; co-sign with 'rampart keyset "
			       "sign')\n",
			       a.prev, rp_strerror(rc), rep.nvalid,
			       prev.threshold);
	}
	ret = CLI_OK;
out:
	for (i = 0; i < RP_IMAGE_MAX_SIGS; i++)
		rp_signer_free(s[i]);
	free(pbuf);
	return ret;
}

static int ks_sign(int argc, char **argv)
{
	static struct rp_keyset ks;
	rp_signer *s[RP_IMAGE_MAX_SIGS] = {0};
	uint8_t out[RP_KEYSET_MAX_SIZE], *buf = NULL;
	size_t len = 0, i;
	const char *dst;
	struct args a;
	int ret = CLI_ERROR;
	rp_err rc;

	if (!parse(argc, argv, &a) || a.nkey == 0 || argc - optind < 1 ||
	    argc - optind > 2) {
		usage(stderr);
		goto out;
	}
	dst = argc - optind == 2 ? argv[optind + 1] : argv[optind];
	rc = load_set(argv[optind], &ks, &buf, &len);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart keyset: %s: %s\n", argv[optind],
		        rp_strerror(rc));
		ret = icli_exit(rc);
		goto out;
	}
	memcpy(out, buf, len);
	rc = open_signers(a.key, a.nkey, a.passfile, s);
	if (rc != RP_OK)
		goto out;
	rc = rp_keyset_cosign(out, &len, sizeof out, s, a.nkey);
	if (rc == RP_OK)
		rc = rp_file_write_atomic(dst, out, len, 0644);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart keyset: %s: %s\n", dst,
		        rp_strerror(rc));
		goto out;
	}
	printf("wrote %s (%zu bytes, %zu signature(s) added)\n", dst, len,
	       a.nkey);
	ret = CLI_OK;
out:
	for (i = 0; i < RP_IMAGE_MAX_SIGS; i++)
		rp_signer_free(s[i]);
	free(buf);
	return ret;
}

static int ks_verify(int argc, char **argv)
{
	static struct rp_keyset cur, next;
	struct rp_image_report rep;
	uint8_t *cbuf = NULL, *buf = NULL;
	size_t clen, len = 0;
	struct args a;
	int ret = CLI_ERROR;
	rp_err rc;

	memset(&rep, 0, sizeof rep);
	if (!parse(argc, argv, &a) || argc - optind != 1) {
		usage(stderr);
		goto out;
	}
	if (a.prev != NULL) {
		rc = load_set(a.prev, &cur, &cbuf, &clen);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart keyset: --current %s: %s\n",
			        a.prev, rp_strerror(rc));
			goto out; /* no trusted set: cannot decide */
		}
	}
	rc = icli_read_file(argv[optind], RP_KEYSET_MAX_SIZE, &buf, &len);
	if (rc == RP_E_TOO_BIG)
		rc = RP_E_KEYSET;
	if (rc == RP_OK)
		rc = rp_keyset_accept(a.prev != NULL ? &cur : NULL, buf, len,
		                      rp_crypto_host(), &next, &rep);
	if (a.json) {
		printf("{\"file\":");
		icli_json_str(stdout, argv[optind]);
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
			printf("%s: accepted (epoch %u)\n", argv[optind],
			       next.epoch);
		else
			printf("%s: refused: %s (%s)\n", argv[optind],
			       rp_strerror(rc), rp_errname(rc));
	}
	ret = icli_exit(rc);
out:
	free(cbuf);
	free(buf);
	return ret;
}

int cmd_keyset(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_ERROR : CLI_OK;
	}
	if (strcmp(argv[1], "create") == 0)
		return ks_create(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return ks_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return ks_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0) {
		argv[1] = (char *)"inspect";
		return cmd_inspect(argc - 1, argv + 1);
	}
	fprintf(stderr, "rampart keyset: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return CLI_ERROR;
}
