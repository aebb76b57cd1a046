/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_keygen.c - rampart keygen: a release key pair in PEM files (private
 * key 0600, optionally passphrase-encrypted; public key KEY.pub), printing
 * the public key and its key id.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image_cli.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: rampart keygen --alg ed25519|p256 --out KEY "
	           "[--passphrase-file FILE]\n"
	           "  writes KEY (PEM PKCS#8, mode 0600; encrypted when a "
	           "passphrase is given)\n"
	           "  and KEY.pub, and prints the public key and its key "
	           "id\n");
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"alg", required_argument, NULL, 'a'},
	    {"out", required_argument, NULL, 'o'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *alg = NULL, *out = NULL, *passfile = NULL;
	struct rp_pubkey pub;
	char *pass = NULL;
	uint8_t a;
	int c, ret = CLI_ERROR;
	rp_err rc;

	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'a':
			alg = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_ERROR;
		}
	}
	if (alg == NULL || out == NULL || optind != argc) {
		usage(stderr);
		return CLI_ERROR;
	}
	if (strcmp(alg, "ed25519") == 0) {
		a = RP_ALG_ED25519;
	} else if (strcmp(alg, "p256") == 0) {
		a = RP_ALG_P256_SHA256;
	} else {
		fprintf(stderr,
		        "rampart keygen: unknown algorithm '%s' "
		        "(ed25519 or p256)\n",
		        alg);
		return CLI_ERROR;
	}
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

static void pubkey_usage(FILE *f)
{
	fprintf(f, "usage: rampart pubkey KEY|pkcs11:URI [--passphrase-file F] "
	           "[--out PUB]\n"
	           "  prints the public key and key id of a signing key "
	           "(e.g. one inside an HSM)\n"
	           "  and writes it as PEM to PUB\n");
}

int cmd_pubkey(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *passfile = NULL;
	const struct rp_pubkey *pub;
	rp_signer *s = NULL;
	char *pass = NULL;
	int c, ret = CLI_ERROR;
	rp_err rc;

	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'h':
			pubkey_usage(stdout);
			return CLI_OK;
		default:
			pubkey_usage(stderr);
			return CLI_ERROR;
		}
	}
	if (argc - optind != 1) {
		pubkey_usage(stderr);
		return CLI_ERROR;
	}
	if (passfile != NULL) {
		rc = icli_read_passphrase(passfile, &pass);
		if (rc != RP_OK) {
			fprintf(stderr, "rampart pubkey: %s: %s\n", passfile,
			        rp_strerror(rc));
			goto out;
		}
	}
	rc = rp_signer_open(argv[optind], pass, &s);
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
