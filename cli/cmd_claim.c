/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_claim.c - "rampart claim create": a factory claim credential. The
 * P-256 key is made here and never leaves this machine; rampartd signs a
 * certificate for it from the claim CA, good only for enrollment of
 * devices in one group (docs/enrollment.md). Writes PREFIX.key (0600,
 * never overwritten) and PREFIX.pem.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "admin.h"
#include "cli.h"
#include "human.h"
#include "rampart/alloc.h"
#include "rampart/file.h"

static void usage(void)
{
	fprintf(stderr, "usage: rampart claim create --group G --expires "
	                "DURATION --out PREFIX\n"
	                "       rampart claim list | revoke SERIAL\n"
	                "       [--server URL --token-file FILE --ca "
	                "ROOT.pem]\n"
	                "DURATION: 3600, 90m, 12h, 30d. Writes PREFIX.key "
	                "(0600) and PREFIX.pem.\n");
}

/* Write buf to path, which must not exist, with mode (all of it or none). */
static int write_new(const char *path, const char *buf, size_t len, int mode)
{
	if (rp_file_create_atomic(path, buf, len, (unsigned)mode) != RP_OK) {
		fprintf(stderr, "rampart: cannot create %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* PEM of a CSR for key with CN=group; malloc'd, caller frees. */
static char *make_csr(EVP_PKEY *key, const char *group)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (req && n && b &&
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	                               (const unsigned char *)group, -1, -1,
	                               0) == 1 &&
	    X509_REQ_set_subject_name(req, n) == 1 &&
	    X509_REQ_set_pubkey(req, key) == 1 &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
	    PEM_write_bio_X509_REQ(b, req) == 1) {
		len = BIO_get_mem_data(b, &data);
		out = rp_malloc((size_t)len + 1);
		if (out != NULL) {
			memcpy(out, data, (size_t)len);
			out[len] = '\0';
		}
	}
	BIO_free(b);
	X509_NAME_free(n);
	X509_REQ_free(req);
	return out;
}

static int create(struct admin_opts *o, const char *group, long long life,
                  const char *prefix)
{
	EVP_PKEY *key = NULL;
	BIO *b = NULL;
	char *csr = NULL, *body = NULL, *kdata, keypath[1024], certpath[1024];
	json_t *req = NULL, *j = NULL;
	const char *cert;
	char when[64];
	long klen;
	int code = CLI_ERROR;

	if (snprintf(keypath, sizeof keypath, "%s.key", prefix) >=
	        (int)sizeof keypath ||
	    snprintf(certpath, sizeof certpath, "%s.pem", prefix) >=
	        (int)sizeof certpath) {
		fprintf(stderr, "rampart: --out too long\n");
		return CLI_ERROR;
	}
	if (access(keypath, F_OK) == 0 || access(certpath, F_OK) == 0) {
		fprintf(stderr, "rampart: %s or %s exists; not overwriting\n",
		        keypath, certpath);
		return CLI_ERROR;
	}
	key = EVP_EC_gen("P-256");
	csr = key ? make_csr(key, group) : NULL;
	if (csr == NULL) {
		fprintf(stderr, "rampart: cannot make the claim key\n");
		goto out;
	}
	req = json_pack("{s:s, s:I, s:s}", "group", group, "lifetime",
	                (json_int_t)life, "csr", csr);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	if (body == NULL)
		goto out;
	code = admin_call(o, "POST", "/api/v1/claims", "application/json", body,
	                  strlen(body), &j);
	if (code != CLI_OK)
		goto out;
	code = CLI_ERROR;
	cert = json_string_value(json_object_get(j, "cert"));
	if (cert == NULL) {
		fprintf(stderr, "rampart: the server sent no certificate\n");
		goto out;
	}
	b = BIO_new(BIO_s_mem());
	if (b == NULL ||
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	klen = BIO_get_mem_data(b, &kdata);
	if (write_new(keypath, kdata, (size_t)klen, 0600) != 0)
		goto out;
	OPENSSL_cleanse(kdata, (size_t)klen);
	if (write_new(certpath, cert, strlen(cert), 0644) != 0) {
		unlink(keypath);
		goto out;
	}
	printf("claim %s for group %s, expires %s\n"
	       "wrote %s (key, 0600) and %s\n",
	       json_string_value(json_object_get(j, "serial")), group,
	       human_time(json_integer_value(json_object_get(j, "not_after")),
	                  (int64_t)time(NULL), when, sizeof when),
	       keypath, certpath);
	code = CLI_OK;
out:
	BIO_free(b);
	json_decref(j);
	json_decref(req);
	free(body);
	free(csr);
	EVP_PKEY_free(key);
	return code;
}

/* "claim list" and "claim revoke SERIAL". */
static int64_t num(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

/* claim list, for a person: one row a claim certificate. */
static void print_claims(json_t *j)
{
	static const char *heads[] = {"SERIAL", "GROUP",     "EXPIRES",
	                              "USES",   "LAST USED", "STATE"};
	struct human_table *t = human_table_new(6, heads);
	int64_t now = (int64_t)time(NULL);
	size_t k;

	for (k = 0; k < json_array_size(j); k++) {
		json_t *e = json_array_get(j, k);
		char exp[64], used[64], uses[24];
		const char *state = num(e, "revoked_at") > 0     ? "revoked"
		                    : num(e, "not_after") <= now ? "expired"
		                                                 : "valid";
		const char *row[] = {
		    json_string_value(json_object_get(e, "serial")),
		    json_string_value(json_object_get(e, "group")),
		    human_time(num(e, "not_after"), now, exp, sizeof exp),
		    uses,
		    num(e, "last_used_at") > 0
		        ? human_time(num(e, "last_used_at"), now, used,
		                     sizeof used)
		        : "never",
		    state};

		snprintf(uses, sizeof uses, "%lld", (long long)num(e, "uses"));
		(void)human_table_add(t, row);
	}
	human_table_print(t, stdout);
	human_table_free(t);
}

static int list_or_revoke(struct admin_opts *o, int argc, char **argv)
{
	const char *serial = NULL;
	char path[128], *s;
	json_t *j = NULL;
	int i = 2, r, code;

	while (i < argc) {
		r = admin_opt(o, argc, argv, &i);
		if (r < 0)
			return CLI_ERROR;
		if (r > 0)
			continue;
		if (argv[i][0] == '-' || serial != NULL || argv[1][0] == 'l') {
			usage();
			return CLI_ERROR;
		}
		serial = argv[i++];
	}
	if (argv[1][0] == 'l') {
		code =
		    admin_call(o, "GET", "/api/v1/claims", NULL, NULL, 0, &j);
	} else {
		if (serial == NULL || strlen(serial) > 40) {
			usage();
			return CLI_ERROR;
		}
		snprintf(path, sizeof path, "/api/v1/claims/%s/revoke", serial);
		code = admin_call(o, "POST", path, NULL, NULL, 0, &j);
	}
	if (code == CLI_OK && argv[1][0] == 'l' && !o->json) {
		print_claims(j);
	} else if (code == CLI_OK && !o->json) {
		printf("revoked claim %s\n", serial);
	} else if (code == CLI_OK) {
		s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		if (s != NULL)
			printf("%s\n", s);
		free(s);
	}
	json_decref(j);
	return code;
}

int cmd_claim(int argc, char **argv)
{
	struct admin_opts o;
	const char *group = NULL, *expires = NULL, *prefix = NULL;
	long long life;
	int i = 2, r;

	admin_opts_init(&o);
	if (argc >= 2 &&
	    (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "revoke") == 0))
		return list_or_revoke(&o, argc, argv);
	if (argc < 2 || strcmp(argv[1], "create") != 0) {
		usage();
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? CLI_OK
		                                                   : CLI_ERROR;
	}
	while (i < argc) {
		r = admin_opt(&o, argc, argv, &i);
		if (r < 0)
			return CLI_ERROR;
		if (r > 0)
			continue;
		if (i + 1 < argc && strcmp(argv[i], "--group") == 0)
			group = argv[i + 1];
		else if (i + 1 < argc && strcmp(argv[i], "--expires") == 0)
			expires = argv[i + 1];
		else if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
			prefix = argv[i + 1];
		else {
			usage();
			return CLI_ERROR;
		}
		i += 2;
	}
	if (group == NULL || expires == NULL || prefix == NULL) {
		usage();
		return CLI_ERROR;
	}
	life = admin_duration(expires);
	if (life <= 0) {
		fprintf(stderr, "rampart: bad --expires '%s'\n", expires);
		return CLI_ERROR;
	}
	return create(&o, group, life, prefix);
}
