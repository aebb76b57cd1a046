/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_inspect.c - rampart inspect: show what an image (or a key set)
 * says about itself, checking its structure but trusting nothing: no
 * signature is verified here (that is rampart verify).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "human.h"
#include "image_cli.h"
#include "rampart/bytes.h"
#include "rampart/crypto_host.h"

/* An image's build time for a person (one call at a time). */
static const char *build_time(uint64_t t)
{
	static char buf[64];

	if (t == 0 || t > INT64_MAX)
		return "-";
	return human_time((int64_t)t, (int64_t)time(NULL), buf, sizeof buf);
}

/* Fill rep's signature list from the (scanned) section at off. */
static rp_err list_sigs(const struct rp_image_src *src, uint64_t off,
                        struct rp_image_report *rep)
{
	uint8_t e[RP_SIG_ENTRY_HDR];
	unsigned i, n;
	rp_err rc;

	rc = src->read(src->ctx, off, e, RP_SIGSEC_HDR_SIZE);
	if (rc != RP_OK)
		return rc;
	n = rp_load_le16(e + 4);
	rep->nsigs = (uint8_t)n;
	off += RP_SIGSEC_HDR_SIZE;
	for (i = 0; i < n && i < RP_IMAGE_MAX_SIGS; i++) {
		rc = src->read(src->ctx, off, e, RP_SIG_ENTRY_HDR);
		if (rc != RP_OK)
			return rc;
		rep->sig_alg[i] = e[0];
		memcpy(rep->sig_keyid[i], e + 4, RP_KEYID_LEN);
		off += RP_SIG_ENTRY_HDR + rp_load_le16(e + 2);
	}
	return RP_OK;
}

static int inspect_keyset(const char *path, bool json)
{
	static struct rp_keyset ks;
	uint8_t *buf = NULL;
	size_t len = 0;
	rp_err rc;

	rc = icli_read_file(path, RP_KEYSET_MAX_SIZE, &buf, &len);
	if (rc == RP_E_TOO_BIG)
		rc = RP_E_KEYSET;
	if (rc == RP_OK)
		rc = rp_keyset_parse(buf, len, rp_crypto_host(), &ks, NULL);
	if (json) {
		printf("{\"file\":");
		icli_json_str(stdout, path);
		printf(",\"type\":\"keyset\",\"error\":\"%s\"", rp_errname(rc));
		if (rc == RP_OK) {
			printf(",\"keyset\":");
			icli_print_keyset(stdout, &ks, true);
		}
		printf("}\n");
	} else if (rc == RP_OK) {
		printf("%s: key set (signatures not checked)\n", path);
		icli_print_keyset(stdout, &ks, false);
	} else {
		printf("%s: malformed key set: %s (%s)\n", path,
		       rp_strerror(rc), rp_errname(rc));
	}
	free(buf);
	return rc == RP_E_NOT_FOUND || rc == RP_E_IO ? CLI_ERROR
	                                             : icli_exit(rc);
}

const struct tool_opt inspect_opts[] = {
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
const struct tool_arg inspect_args[] = {{"IMAGE|KEYSET", TOOL_REQUIRED}, {0}};

int cmd_inspect(const struct tool_ctx *c)
{
	struct rp_image_src src = {0};
	struct rp_image_report rep;
	uint8_t hdr[RP_IMAGE_HDR_SIZE];
	struct rp_image_hdr *h = &rep.hdr;
	const char *path = c->argv[0];
	uint64_t end = 0;
	size_t n;
	bool json = tool_flag(c, "json");
	int ret;
	rp_err rc;

	memset(&rep, 0, sizeof rep);
	rc = rp_image_src_file_open(&src, path);
	if (rc != RP_OK) {
		fprintf(stderr, "%s: %s: %s\n", c->path, path, rp_strerror(rc));
		return CLI_ERROR;
	}
	n = src.size < sizeof hdr ? (size_t)src.size : sizeof hdr;
	rc = src.read(src.ctx, 0, hdr, n);
	if (rc == RP_OK && n >= 4 && memcmp(hdr, "RPKS", 4) == 0) {
		rp_image_src_file_close(&src);
		return inspect_keyset(path, json);
	}
	if (rc == RP_OK)
		rc = rp_image_hdr_parse(hdr, n, h);
	if (rc == RP_OK && h->payload_len > src.size - RP_IMAGE_HDR_SIZE)
		rc = RP_E_IMAGE_TRUNCATED;
	if (rc == RP_OK)
		rc = rp_sigsec_scan(&src, RP_IMAGE_HDR_SIZE + h->payload_len,
		                    &end);
	if (rc == RP_OK)
		rc = list_sigs(&src, RP_IMAGE_HDR_SIZE + h->payload_len, &rep);
	if (rc == RP_OK && end != src.size)
		rc = RP_E_IMAGE_TRAILING;
	if (json) {
		printf("{\"file\":");
		icli_json_str(stdout, path);
		printf(",\"type\":\"image\",\"error\":\"%s\",\"message\":",
		       rp_errname(rc));
		icli_json_str(stdout, rp_strerror(rc));
		if (h->format != 0) {
			printf(",\"format\":%u,\"hw\":", h->format);
			icli_json_str(stdout, h->hw);
			printf(",\"version\":\"%" PRIu32 ".%" PRIu32 ".%" PRIu32
			       "\",\"counter\":%" PRIu32
			       ",\"kind\":\"%s\",\"payload_len\":%" PRIu64
			       ",\"build_time\":%" PRIu64
			       ",\"total_len\":%" PRIu64
			       ",\"payload_sha256\":\"",
			       h->ver_major, h->ver_minor, h->ver_patch,
			       h->counter,
			       h->kind == RP_IMAGE_DELTA ? "delta" : "full",
			       h->payload_len, h->build_time, end);
			icli_hex(stdout, h->payload_sha256, RP_SHA256_LEN);
			if (h->kind == RP_IMAGE_DELTA) {
				printf("\",\"base_sha256\":\"");
				icli_hex(stdout, h->base_sha256, RP_SHA256_LEN);
				printf("\",\"result_sha256\":\"");
				icli_hex(stdout, h->result_sha256,
				         RP_SHA256_LEN);
			}
			printf("\",\"signatures\":");
			icli_print_sigs(stdout, &rep, true);
		}
		printf("}\n");
	} else {
		if (h->format != 0) {
			printf("%s: Rampart image, format %u "
			       "(signatures not checked)\n",
			       path, h->format);
			printf("  hardware:     %s\n", h->hw);
			printf("  version:      %" PRIu32 ".%" PRIu32
			       ".%" PRIu32 "\n",
			       h->ver_major, h->ver_minor, h->ver_patch);
			printf("  counter:      %" PRIu32 "\n", h->counter);
			printf("  kind:         %s\n",
			       h->kind == RP_IMAGE_DELTA ? "delta" : "full");
			printf("  payload:      %" PRIu64 " bytes\n",
			       h->payload_len);
			printf("  sha256:       ");
			icli_hex(stdout, h->payload_sha256, RP_SHA256_LEN);
			if (h->kind == RP_IMAGE_DELTA) {
				printf("\n  base sha256:  ");
				icli_hex(stdout, h->base_sha256, RP_SHA256_LEN);
				printf("\n  result sha256:");
				icli_hex(stdout, h->result_sha256,
				         RP_SHA256_LEN);
			}
			printf("\n  build time:   %s\n",
			       build_time(h->build_time));
			icli_print_sigs(stdout, &rep, false);
		}
		if (rc != RP_OK)
			printf("%s: malformed: %s (%s)\n", path,
			       rp_strerror(rc), rp_errname(rc));
	}
	ret = icli_exit(rc);
	rp_image_src_file_close(&src);
	return ret;
}
