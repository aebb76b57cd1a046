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
#include "answer.h"
#include "cli.h"
#include "human.h"
#include "rampart/alloc.h"
#include "rampart/file.h"

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

static int claim_create(const struct tool_ctx *c)
{
	const char *group = tool_str(c, "group"), *prefix = tool_str(c, "out");
	const char *expires = tool_str(c, "expires");
	long long life = admin_duration(expires);
	struct admin_opts o;
	EVP_PKEY *key = NULL;
	BIO *b = NULL;
	char *csr = NULL, *body = NULL, *kdata, keypath[1024], certpath[1024];
	json_t *req = NULL, *j = NULL;
	const char *cert;
	char when[64];
	long klen;
	int code = CLI_ERROR;

	cli_admin_opts_get(c, &o);
	if (life <= 0)
		return tool_usage_error(c,
		                        "--expires wants a duration (3600, "
		                        "90m, 12h, 30d), not '%s'",
		                        expires);
	if (snprintf(keypath, sizeof keypath, "%s.key", prefix) >=
	        (int)sizeof keypath ||
	    snprintf(certpath, sizeof certpath, "%s.pem", prefix) >=
	        (int)sizeof certpath) {
		return tool_usage_error(c, "--out is too long");
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
	code = admin_call(&o, "POST", "/api/v1/claims", "application/json",
	                  body, strlen(body), &j);
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
	answer_tidy(j); /* the certificate is written: now for a terminal */
	printf("claim %s for group %s, expires %s\n"
	       "wrote %s (key, 0600) and %s\n",
	       answer_str(j, "serial"), group,
	       human_time(answer_num(j, "not_after"), (int64_t)time(NULL), when,
	                  sizeof when),
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

/* claim list, for a person: one row a claim certificate. */
static void print_claims(json_t *j)
{
	static const char *heads[] = {"SERIAL", "GROUP",     "EXPIRES",
	                              "USES",   "LAST USED", "STATE"};
	struct human_table *t = human_table_new(6, heads);
	int64_t now = (int64_t)time(NULL);
	size_t k;

	/* the table escapes its cells */
	for (k = 0; k < json_array_size(j); k++) {
		json_t *e = json_array_get(j, k);
		char exp[64], used[64], uses[24];
		const char *state = answer_num(e, "revoked_at") > 0 ? "revoked"
		                    : answer_num(e, "not_after") <= now
		                        ? "expired"
		                        : "valid";
		const char *row[] = {
		    answer_str(e, "serial"),
		    answer_str(e, "group"),
		    human_time(answer_num(e, "not_after"), now, exp,
		               sizeof exp),
		    uses,
		    answer_num(e, "last_used_at") > 0
		        ? human_time(answer_num(e, "last_used_at"), now, used,
		                     sizeof used)
		        : "never",
		    state};

		snprintf(uses, sizeof uses, "%lld", answer_num(e, "uses"));
		(void)human_table_add(t, row);
	}
	human_table_print(t, "no claims", stdout);
	human_table_free(t);
}

static int claim_list(const struct tool_ctx *c)
{
	struct admin_opts o;
	json_t *j = NULL;
	int code;

	cli_admin_opts_get(c, &o);
	code = admin_call(&o, "GET", "/api/v1/claims", NULL, NULL, 0, &j);
	if (code == CLI_OK && o.json)
		answer_print_json(j);
	else if (code == CLI_OK)
		print_claims(j);
	json_decref(j);
	return code;
}

static int claim_revoke(const struct tool_ctx *c)
{
	const char *serial = c->argv[0];
	struct admin_opts o;
	char path[128];
	json_t *j = NULL;
	int code;

	cli_admin_opts_get(c, &o);
	/* a claim serial is hex (server/api/claims.c) */
	if (serial[0] == '\0' || strlen(serial) > 40 ||
	    strspn(serial, "0123456789abcdefABCDEF") != strlen(serial))
		return tool_usage_error(c,
		                        "SERIAL wants the claim's serial "
		                        "(up to 40 hex digits, as 'rampart "
		                        "claim list' shows), not '%s'",
		                        serial);
	snprintf(path, sizeof path, "/api/v1/claims/%s/revoke", serial);
	code = admin_call(&o, "POST", path, NULL, NULL, 0, &j);
	if (code == CLI_OK && o.json)
		answer_print_json(j);
	else if (code == CLI_OK)
		printf("revoked claim %s\n", serial);
	json_decref(j);
	return code;
}

static const struct tool_opt create_opts[] = {
    {.name = "group",
     .kind = TOOL_STRING,
     .value = "G",
     .help = "the device group the claim may enroll into",
     .flags = TOOL_REQUIRED},
    {.name = "expires",
     .kind = TOOL_STRING,
     .value = "DURATION",
     .help = "how long it is valid: 3600, 90m, 12h, 30d",
     .flags = TOOL_REQUIRED},
    {.name = "out",
     .kind = TOOL_PATH,
     .value = "PREFIX",
     .help = "write PREFIX.key (0600, never overwritten) and PREFIX.pem",
     .flags = TOOL_REQUIRED},
    {0},
};
static const struct tool_arg serial_arg[] = {{"SERIAL", TOOL_REQUIRED}, {0}};

const struct tool_cmd claim_cmds[] = {
    {.name = "create",
     .summary = "a claim key and certificate for a factory",
     .opts = create_opts,
     .shared = cli_admin_opts,
     .run = claim_create},
    {.name = "list",
     .summary = "the claim certificates, their uses and state",
     .shared = cli_admin_opts,
     .run = claim_list},
    {.name = "revoke",
     .summary = "stop a claim certificate from enrolling more devices",
     .shared = cli_admin_opts,
     .args = serial_arg,
     .run = claim_revoke},
    {0},
};
