/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sign.c - rampart sign: build a signed image from a payload with one
 * or more keys (key files or pkcs11: URIs), docs/cli.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
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

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: rampart sign --key KEY|pkcs11:URI [--key ...] "
	        "--hw TYPE\n"
	        "                    --version X.Y.Z --counter N "
	        "[--passphrase-file FILE]\n"
	        "                    [--build-time UNIX] [--delta-base SHA256 "
	        "--delta-result SHA256]\n"
	        "                    IN OUT\n");
}

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

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"hw", required_argument, NULL, 'w'},
	    {"version", required_argument, NULL, 'v'},
	    {"counter", required_argument, NULL, 'c'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"build-time", required_argument, NULL, 't'},
	    {"delta-base", required_argument, NULL, 'b'},
	    {"delta-result", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *keyspec[RP_IMAGE_MAX_SIGS];
	rp_signer *signers[RP_IMAGE_MAX_SIGS] = {0};
	const char *passfile = NULL, *sde;
	struct rp_image_hdr h, out;
	bool have_ver = false, have_ctr = false, base = false, result = false;
	bool have_time = false;
	size_t nkeys = 0, i;
	uint64_t v;
	char *pass = NULL;
	int c, ret = CLI_ERROR;
	rp_err rc;

	memset(&h, 0, sizeof h);
	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'k':
			if (nkeys == RP_IMAGE_MAX_SIGS) {
				fprintf(stderr,
				        "rampart sign: at most %d "
				        "keys\n",
				        RP_IMAGE_MAX_SIGS);
				goto out;
			}
			keyspec[nkeys++] = optarg;
			break;
		case 'w':
			if (strlen(optarg) >= RP_IMAGE_HW_MAX) {
				fprintf(stderr,
				        "rampart sign: hardware type "
				        "longer than %d characters\n",
				        RP_IMAGE_HW_MAX - 1);
				goto out;
			}
			snprintf(h.hw, sizeof h.hw, "%s", optarg);
			break;
		case 'v':
			have_ver = parse_version(optarg, &h);
			if (!have_ver) {
				fprintf(stderr, "rampart sign: --version wants "
				                "X.Y.Z (decimal)\n");
				goto out;
			}
			break;
		case 'c':
			have_ctr = cli_uint(optarg, UINT32_MAX, &v);
			if (!have_ctr) {
				fprintf(stderr, "rampart sign: --counter wants "
				                "0..4294967295\n");
				goto out;
			}
			h.counter = (uint32_t)v;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 't':
			have_time = cli_uint(optarg, UINT64_MAX, &h.build_time);
			if (!have_time) {
				fprintf(stderr, "rampart sign: bad "
				                "--build-time\n");
				goto out;
			}
			break;
		case 'b':
			base = parse_sha(optarg, h.base_sha256);
			if (!base) {
				fprintf(stderr, "rampart sign: --delta-base "
				                "wants 64 hex digits\n");
				goto out;
			}
			break;
		case 'r':
			result = parse_sha(optarg, h.result_sha256);
			if (!result) {
				fprintf(stderr, "rampart sign: --delta-result "
				                "wants 64 hex digits\n");
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			ret = CLI_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (nkeys == 0 || h.hw[0] == '\0' || !have_ver || !have_ctr ||
	    base != result || argc - optind != 2) {
		usage(stderr);
		goto out;
	}
	h.kind = base ? RP_IMAGE_DELTA : RP_IMAGE_FULL;
	if (!have_time) {
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
	if (access(argv[optind], R_OK) != 0) {
		fprintf(stderr,
		        "rampart sign: cannot read the payload %s: %s\n",
		        argv[optind], strerror(errno));
		goto out;
	}
	rc = rp_image_sign_file(argv[optind], argv[optind + 1], &h, signers,
	                        nkeys, &out);
	if (rc != RP_OK) {
		fprintf(stderr, "rampart sign: %s -> %s: %s (%s)\n",
		        argv[optind], argv[optind + 1], rp_strerror(rc),
		        rp_errname(rc));
		goto out;
	}
	printf("signed %s: hw %s, version %" PRIu32 ".%" PRIu32 ".%" PRIu32
	       ", counter %" PRIu32 ", payload %" PRIu64 " bytes, %zu "
	       "signature(s)\n",
	       argv[optind + 1], out.hw, out.ver_major, out.ver_minor,
	       out.ver_patch, out.counter, out.payload_len, nkeys);
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
