/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_cli.c - helpers shared by the image and key commands: passphrase
 * files, trusted keys, exit codes, hex/JSON printing.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "image_cli.h"
#include "rampart/alloc.h"
#include "rampart/crypto_host.h"
#include "rampart/file.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

#define PASS_MAX 1024

rp_err icli_read_passphrase(const char *path, char **pass)
{
	FILE *f;
	char *p;
	size_t n;
	rp_err rc = RP_OK;

	*pass = NULL;
	p = rp_secret_alloc(PASS_MAX);
	if (p == NULL)
		return RP_E_NOMEM;
	f = fopen(path, "re");
	if (f == NULL) {
		rc = errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
		goto out;
	}
	if (fgets(p, PASS_MAX, f) == NULL)
		p[0] = '\0'; /* an empty file: an empty passphrase */
	fclose(f);
	n = strcspn(p, "\r\n");
	p[n] = '\0';
	if (n == 0) {
		rc = RP_E_PASSPHRASE;
		goto out;
	}
	*pass = p;
	p = NULL;
out:
	if (p != NULL)
		rp_secret_free(p);
	return rc;
}

rp_err icli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	char *b = NULL;
	rp_err rc = rp_file_read(path, max, &b, len);

	/* this file's callers tell only a missing file from an I/O error */
	if (rc != RP_OK && rc != RP_E_NOT_FOUND && rc != RP_E_NOMEM &&
	    rc != RP_E_TOO_BIG)
		rc = RP_E_IO;
	*buf = (uint8_t *)b;
	return rc;
}

rp_err icli_load_trust(const char *path, struct rp_keyset *ks, bool *was_keyset)
{
	struct rp_pubkey keys[RP_KEYSET_MAX_KEYS];
	uint8_t *buf = NULL;
	size_t len = 0, n = 0, i;
	rp_err rc;

	*was_keyset = false;
	rc = icli_read_file(path, RP_KEYSET_MAX_SIZE + 4096, &buf, &len);
	if (rc != RP_OK)
		goto out;
	if (len >= 4 && memcmp(buf, "RPKS", 4) == 0) {
		rc = rp_keyset_parse(buf, len, rp_crypto_host(), ks, NULL);
		*was_keyset = rc == RP_OK;
		goto out;
	}
	rc = rp_pubkey_load_pem(path, keys, RP_KEYSET_MAX_KEYS, &n);
	if (rc != RP_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (ks->nkeys == RP_KEYSET_MAX_KEYS) {
			rc = RP_E_TOO_BIG;
			goto out;
		}
		ks->keys[ks->nkeys++] = keys[i];
	}
out:
	free(buf);
	return rc;
}

void icli_hex(FILE *f, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
}

void icli_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

const char *icli_alg_name(uint8_t alg)
{
	switch (alg) {
	case RP_ALG_ED25519:
		return "ed25519";
	case RP_ALG_P256_SHA256:
		return "p256";
	default:
		return "unknown";
	}
}

const char *icli_sigstat_name(uint8_t st)
{
	switch (st) {
	case RP_SIGSTAT_VALID:
		return "valid";
	case RP_SIGSTAT_BAD:
		return "bad";
	case RP_SIGSTAT_UNKNOWN:
		return "unknown-key";
	case RP_SIGSTAT_REVOKED:
		return "revoked";
	case RP_SIGSTAT_DUPLICATE:
		return "duplicate";
	default:
		return "unchecked";
	}
}

int icli_exit(rp_err rc)
{
	switch (rc) {
	case RP_OK:
		return CLI_OK;
	case RP_E_INVAL:
	case RP_E_NOMEM:
	case RP_E_IO:
	case RP_E_NOT_FOUND:
	case RP_E_PERM:
	case RP_E_CRYPTO:
	case RP_E_INTERNAL:
	case RP_E_BUFFER:
	case RP_E_TOO_BIG:
		return CLI_ERROR;
	default:
		return CLI_NO;
	}
}

void icli_print_sigs(FILE *f, const struct rp_image_report *rep, bool json)
{
	unsigned i;

	if (json)
		fputc('[', f);
	for (i = 0; i < rep->nsigs && i < RP_IMAGE_MAX_SIGS; i++) {
		if (json) {
			fprintf(f, "%s{\"alg\":\"%s\",\"keyid\":\"",
			        i ? "," : "", icli_alg_name(rep->sig_alg[i]));
			icli_hex(f, rep->sig_keyid[i], RP_KEYID_LEN);
			fprintf(f, "\",\"status\":\"%s\"}",
			        icli_sigstat_name(rep->sig_ok[i]));
		} else {
			fprintf(f, "  signature %u: %-7s key ", i + 1,
			        icli_alg_name(rep->sig_alg[i]));
			icli_hex(f, rep->sig_keyid[i], RP_KEYID_LEN);
			fprintf(f, "  %s\n", icli_sigstat_name(rep->sig_ok[i]));
		}
	}
	if (json)
		fputc(']', f);
}

void icli_print_keyset(FILE *f, const struct rp_keyset *ks, bool json)
{
	unsigned i;

	if (json) {
		fprintf(f, "{\"epoch\":%u,\"threshold\":%u,\"keys\":[",
		        ks->epoch, ks->threshold);
		for (i = 0; i < ks->nkeys; i++) {
			fprintf(f, "%s{\"alg\":\"%s\",\"keyid\":\"",
			        i ? "," : "", icli_alg_name(ks->keys[i].alg));
			icli_hex(f, ks->keys[i].id, RP_KEYID_LEN);
			fputs("\",\"key\":\"", f);
			icli_hex(f, ks->keys[i].key, ks->keys[i].len);
			fputs("\"}", f);
		}
		fputs("],\"revoked\":[", f);
		for (i = 0; i < ks->nrevoked; i++) {
			fprintf(f, "%s\"", i ? "," : "");
			icli_hex(f, ks->revoked[i], RP_KEYID_LEN);
			fputc('"', f);
		}
		fputs("]}", f);
		return;
	}
	fprintf(f, "epoch:     %u\nthreshold: %u of %u\n", ks->epoch,
	        ks->threshold, ks->nkeys);
	for (i = 0; i < ks->nkeys; i++) {
		fprintf(f, "  key %-2u   %-7s ", i + 1,
		        icli_alg_name(ks->keys[i].alg));
		icli_hex(f, ks->keys[i].id, RP_KEYID_LEN);
		fputc('\n', f);
	}
	for (i = 0; i < ks->nrevoked; i++) {
		fprintf(f, "  revoked         ");
		icli_hex(f, ks->revoked[i], RP_KEYID_LEN);
		fputc('\n', f);
	}
}
