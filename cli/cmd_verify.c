/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_verify.c - rampart verify: check an image against trusted keys
 * (PEM public keys or a key set) and a policy; exit 0 valid, 1 refused,
 * 2 could not decide (docs/cli.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image_cli.h"
#include "rampart/alloc.h"
#include "rampart/crypto_host.h"

static void print_json(const char *path, const struct rp_keyset *ks,
                       const struct rp_image_report *rep, rp_err rc)
{
	const struct rp_image_hdr *h = &rep->hdr;

	printf("{\"image\":");
	icli_json_str(stdout, path);
	printf(",\"valid\":%s,\"error\":\"%s\",\"message\":",
	       rc == RP_OK ? "true" : "false", rp_errname(rc));
	icli_json_str(stdout, rp_strerror(rc));
	printf(",\"exit\":%d", icli_exit(rc));
	if (h->format != 0) {
		printf(",\"hw\":");
		icli_json_str(stdout, h->hw);
		printf(",\"version\":\"%" PRIu32 ".%" PRIu32 ".%" PRIu32
		       "\",\"counter\":%" PRIu32 ",\"kind\":\"%s\","
		       "\"payload_len\":%" PRIu64 ",\"build_time\":%" PRIu64
		       ",\"payload_sha256\":\"",
		       h->ver_major, h->ver_minor, h->ver_patch, h->counter,
		       h->kind == RP_IMAGE_DELTA ? "delta" : "full",
		       h->payload_len, h->build_time);
		icli_hex(stdout, h->payload_sha256, RP_SHA256_LEN);
		printf("\"");
	}
	printf(",\"threshold\":%u,\"epoch\":%" PRIu32 ",\"nvalid\":%u,"
	       "\"signatures\":",
	       ks->threshold, ks->epoch, rep->nvalid);
	icli_print_sigs(stdout, rep, true);
	printf("}\n");
}

static void print_human(const char *path, const struct rp_keyset *ks,
                        const struct rp_image_report *rep, rp_err rc)
{
	const struct rp_image_hdr *h = &rep->hdr;

	if (h->format != 0)
		printf("%s: hw %s, version %" PRIu32 ".%" PRIu32 ".%" PRIu32
		       ", counter %" PRIu32 ", %s, payload %" PRIu64 " bytes\n",
		       path, h->hw, h->ver_major, h->ver_minor, h->ver_patch,
		       h->counter, h->kind == RP_IMAGE_DELTA ? "delta" : "full",
		       h->payload_len);
	icli_print_sigs(stdout, rep, false);
	if (rep->nsigs > 0)
		printf("  %u valid of %u required\n", rep->nvalid,
		       ks->threshold);
	if (rc == RP_OK)
		printf("%s: valid\n", path);
	else
		printf("%s: refused: %s (%s)\n", path, rp_strerror(rc),
		       rp_errname(rc));
}

const struct tool_opt verify_opts[] = {
    {.name = "trust",
     .kind = TOOL_PATH,
     .value = "PUBKEYS|KEYSET",
     .help = "PEM public keys or one signed key set (again for more "
             "keys)",
     .flags = TOOL_REQUIRED | TOOL_REPEAT},
    {.name = "threshold",
     .kind = TOOL_UINT,
     .value = "K",
     .help = "valid signatures needed (default 1, or the key set's)",
     .min = 1,
     .max = RP_KEYSET_MAX_KEYS},
    {.name = "hw",
     .kind = TOOL_STRING,
     .value = "TYPE",
     .help = "refuse an image for another hardware type"},
    {.name = "min-counter",
     .kind = TOOL_UINT,
     .help = "refuse an image whose counter is below N (anti-rollback)",
     .max = UINT32_MAX},
    {.name = "slot",
     .kind = TOOL_FLAG,
     .help = "IMAGE is a slot: bytes after the image are allowed"},
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
const struct tool_arg verify_args[] = {{"IMAGE", TOOL_REQUIRED}, {0}};

int cmd_verify(const struct tool_ctx *c)
{
	struct rp_image_policy pol = {NULL, 0, true};
	struct rp_image_report rep;
	struct rp_image_src src = {0};
	static struct rp_keyset ks;
	const char *image = c->argv[0];
	size_t ntrust = tool_count(c, "trust"), i;
	uint64_t k = tool_uint(c, "threshold", 0);
	bool json = tool_flag(c, "json"), is_set = false, any_set = false;
	uint8_t *work = NULL;
	int ret = CLI_ERROR;
	rp_err rc = RP_E_INVAL;

	memset(&ks, 0, sizeof ks);
	memset(&rep, 0, sizeof rep);
	pol.hw = tool_str(c, "hw");
	pol.min_counter = (uint32_t)tool_uint(c, "min-counter", 0);
	pol.exact_size = !tool_flag(c, "slot");
	if (ntrust > RP_KEYSET_MAX_KEYS) {
		ret = tool_usage_error(c, "at most %d --trust files",
		                       RP_KEYSET_MAX_KEYS);
		goto out; /* --json: still one object */
	}
	for (i = 0; i < ntrust; i++) {
		if (any_set) {
			rc = RP_E_KEYSET;
		} else {
			rc = icli_load_trust(tool_nth(c, "trust", i), &ks,
			                     &is_set);
			any_set = is_set;
			if (rc == RP_OK && is_set && i > 0)
				rc = RP_E_KEYSET; /* a set stands alone */
		}
		if (rc != RP_OK) {
			fprintf(stderr, "rampart verify: --trust %s: %s (%s)\n",
			        tool_nth(c, "trust", i), rp_strerror(rc),
			        rp_errname(rc));
			goto out;
		}
	}
	if (any_set) {
		/* A key set's threshold may be raised here, never lowered. */
		if (k != 0 && k < ks.threshold) {
			fprintf(stderr,
			        "rampart verify: --threshold %u is "
			        "below the key set's %u\n",
			        (unsigned)k, ks.threshold);
			rc = RP_E_KEYSET;
			goto out;
		}
	} else {
		ks.threshold = 1;
	}
	if (k != 0)
		ks.threshold = (uint8_t)k;
	if (ks.threshold > ks.nkeys) {
		fprintf(stderr,
		        "rampart verify: threshold %u but only %u "
		        "trusted key(s)\n",
		        ks.threshold, ks.nkeys);
		rc = RP_E_KEYSET;
		goto out;
	}
	rc = rp_keyset_check(&ks);
	if (rc != RP_OK) {
		fprintf(stderr,
		        "rampart verify: the trusted keys do not form "
		        "a valid set (a key given twice?): %s\n",
		        rp_strerror(rc));
		goto out;
	}
	work = rp_malloc(RP_IMAGE_HOST_WORK);
	if (work == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	rc = rp_image_src_file_open(&src, image);
	if (rc == RP_OK)
		rc = rp_image_verify(&src, &ks, rp_crypto_host(), &pol, work,
		                     RP_IMAGE_HOST_WORK, &rep);
	if (json)
		print_json(image, &ks, &rep, rc);
	else
		print_human(image, &ks, &rep, rc);
	ret = icli_exit(rc);
	goto done;
out:
	/* Could not decide: scripts still get one JSON object. */
	if (json) {
		printf("{\"image\":");
		icli_json_str(stdout, image);
		printf(",\"valid\":false,\"error\":\"%s\",\"message\":",
		       rp_errname(rc));
		icli_json_str(stdout, rp_strerror(rc));
		printf(",\"exit\":%d}\n", CLI_ERROR);
	}
done:
	rp_image_src_file_close(&src);
	free(work);
	return ret;
}
