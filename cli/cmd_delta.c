/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_delta.c - rampart delta create | apply | info: delta patches between
 * two images (docs/delta.md), with the code rampartd (create) and the
 * device (apply, the SDK's rp_delta_apply) use.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_delta.h"
#include "image_cli.h"
#include "rampart/alloc.h"
#include "rampart/crypto_host.h"
#include "rampart/delta.h"
#include "rampart/delta_create.h"
#include "rampart/file.h"

/* A whole file in memory (create's images): *buf is the caller's. */
static rp_err read_whole(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return rp_err_errno(errno);
	if (!S_ISREG(st.st_mode))
		return RP_E_INVAL;
	if ((uint64_t)st.st_size > RP_DELTA_CREATE_MAX)
		return RP_E_TOO_BIG;
	return icli_read_file(path, (size_t)st.st_size, buf, len);
}

static void fail(const struct tool_ctx *c, const char *what, const char *path,
                 rp_err rc)
{
	fprintf(stderr, "%s: %s %s: %s (%s)\n", c->path, what, path,
	        rp_strerror(rc), rp_errname(rc));
}

/* create's progress: a percentage on one line of a terminal's stderr. */
static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	fprintf(stderr, "\rdiffing: %3u %%",
	        total == 0 ? 100u : (unsigned)(done * 100 / total));
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static const struct tool_opt create_opts[] = {
    {.name = "dict",
     .kind = TOOL_UINT,
     .value = "LOG2",
     .help = "LZMA2 dictionary, 1 << LOG2 bytes (the device holds it)",
     .min = RP_DELTA_DICT_LOG2_MIN,
     .max = RP_DELTA_DICT_LOG2_MAX},
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
static const struct tool_arg create_args[] = {{"OLD", TOOL_REQUIRED},
                                              {"NEW", TOOL_REQUIRED},
                                              {"PATCH", TOOL_REQUIRED},
                                              {0}};

static int cmd_create(const struct tool_ctx *c)
{
	struct rp_delta_create_opts o = {0};
	uint8_t *old = NULL, *nw = NULL, *patch = NULL; /* owned here */
	size_t old_len = 0, new_len = 0, patch_len = 0;
	int ret = CLI_ERROR;
	rp_err rc;

	o.dict_log2 = (unsigned)tool_uint(c, "dict", 0);
	if (isatty(STDERR_FILENO) == 1 && !tool_flag(c, "json"))
		o.progress = progress;
	rc = read_whole(c->argv[0], &old, &old_len);
	if (rc != RP_OK) {
		fail(c, "cannot read", c->argv[0], rc);
		goto out;
	}
	rc = read_whole(c->argv[1], &nw, &new_len);
	if (rc != RP_OK) {
		fail(c, "cannot read", c->argv[1], rc);
		goto out;
	}
	rc = rp_delta_create(old, old_len, nw, new_len, &o, &patch, &patch_len);
	if (rc != RP_OK) {
		fail(c, "cannot diff", c->argv[1], rc);
		goto out;
	}
	rc = rp_file_write_atomic(c->argv[2], patch, patch_len, 0644);
	if (rc != RP_OK) {
		fail(c, "cannot write", c->argv[2], rc);
		goto out;
	}
	if (tool_flag(c, "json")) {
		printf("{\"patch\":");
		icli_json_str(stdout, c->argv[2]);
		printf(",\"patch_len\":%zu,\"old_len\":%zu,\"new_len\":%zu}\n",
		       patch_len, old_len, new_len);
	} else {
		printf("%s: %zu bytes (%.2f %% of %s, %zu bytes)\n", c->argv[2],
		       patch_len,
		       new_len == 0
		           ? 0.0
		           : 100.0 * (double)patch_len / (double)new_len,
		       c->argv[1], new_len);
	}
	ret = CLI_OK;
out:
	rp_free(old);
	rp_free(nw);
	rp_free(patch);
	return ret;
}

/* apply's I/O: the old image through the port's file source (pread), the
 * patch by fread, the new one into the temp file of an atomic write. */
struct files {
	struct rp_image_src old;
	int out_fd;
	FILE *patch;
};

static rp_err f_read_old(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	struct files *f = ctx;

	return f->old.read(f->old.ctx, off, buf, len);
}

static rp_err f_read_patch(void *ctx, uint8_t *buf, size_t len, size_t *got)
{
	struct files *f = ctx;

	*got = fread(buf, 1, len, f->patch);
	return ferror(f->patch) ? RP_E_IO : RP_OK;
}

static rp_err f_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct files *f = ctx;

	return rp_file_write_all(f->out_fd, buf, len);
}

static const struct tool_opt apply_opts[] = {
    {.name = "max-len",
     .kind = TOOL_UINT,
     .value = "N",
     .help = "refuse a patch whose output is longer than N bytes",
     .max = UINT64_MAX - 1,
     .unit = "bytes"},
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
static const struct tool_arg apply_args[] = {{"OLD", TOOL_REQUIRED},
                                             {"PATCH", TOOL_REQUIRED},
                                             {"OUT", TOOL_REQUIRED},
                                             {0}};

static int cmd_apply(const struct tool_ctx *c)
{
	struct files f = {{0}, -1, NULL};
	struct rp_delta_io io = {&f, f_read_old, f_read_patch, f_write};
	struct rp_delta_result res;
	uint64_t max = tool_uint(c, "max-len", UINT64_MAX);
	char tmp[PATH_MAX];
	int ret = CLI_ERROR;
	rp_err rc;

	memset(&res, 0, sizeof res);
	rc = rp_image_src_file_open(&f.old, c->argv[0]);
	if (rc != RP_OK) {
		fail(c, "cannot read", c->argv[0], rc);
		goto out;
	}
	f.patch = fopen(c->argv[1], "rbe");
	if (f.patch == NULL) {
		fail(c, "cannot read", c->argv[1], rp_err_errno(errno));
		goto out;
	}
	rc = rp_file_temp_open(c->argv[2], 0644, tmp, sizeof tmp, &f.out_fd);
	if (rc != RP_OK) {
		fail(c, "cannot write", c->argv[2], rc);
		goto out;
	}
	rc = rp_delta_apply(&io, f.old.size, max, &res);
	if (rc != RP_OK) {
		rp_file_temp_abort(f.out_fd, tmp);
		f.out_fd = -1;
		if (tool_flag(c, "json")) {
			printf("{\"error\":\"%s\",\"message\":",
			       rp_errname(rc));
			icli_json_str(stdout, rp_strerror(rc));
			printf("}\n");
		}
		fprintf(stderr, "%s: %s refused: %s (%s); %s not written\n",
		        c->path, c->argv[1], rp_strerror(rc), rp_errname(rc),
		        c->argv[2]);
		/* Over --max-len is a refusal of the patch, not a failure. */
		ret = rc == RP_E_TOO_BIG ? CLI_NO : icli_exit(rc);
		goto out;
	}
	rc = rp_file_temp_commit(f.out_fd, tmp, c->argv[2]);
	f.out_fd = -1;
	if (rc != RP_OK) {
		fail(c, "cannot write", c->argv[2], rc);
		goto out;
	}
	if (tool_flag(c, "json")) {
		printf("{\"error\":\"RP_OK\",\"out\":");
		icli_json_str(stdout, c->argv[2]);
		printf(",\"new_len\":%" PRIu64 ",\"sha256\":\"", res.written);
		icli_hex(stdout, res.sha256, 32);
		printf("\",\"heap_peak\":%zu}\n", res.heap_peak);
	} else {
		printf("%s: %" PRIu64 " bytes, sha256 ", c->argv[2],
		       res.written);
		icli_hex(stdout, res.sha256, 32);
		printf("\n");
	}
	ret = CLI_OK;
out:
	if (f.old.ctx != NULL)
		rp_image_src_file_close(&f.old);
	if (f.patch != NULL)
		fclose(f.patch);
	return ret;
}

static const struct tool_opt info_opts[] = {
    {.name = "json", .kind = TOOL_FLAG, .help = "one JSON object"},
    {0},
};
static const struct tool_arg info_args[] = {{"PATCH", TOOL_REQUIRED}, {0}};

static int cmd_info(const struct tool_ctx *c)
{
	uint8_t hdr[RP_DELTA_HEADER_LEN];
	struct rp_delta_info in;
	struct stat st;
	FILE *f;
	size_t n;
	rp_err rc;

	f = fopen(c->argv[0], "rbe");
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		fail(c, "cannot read", c->argv[0], rp_err_errno(errno));
		if (f != NULL)
			fclose(f);
		return CLI_ERROR;
	}
	if (!S_ISREG(st.st_mode)) {
		/* a patch is a file: its size tells the body's length */
		fail(c, "not a file", c->argv[0], RP_E_INVAL);
		fclose(f);
		return CLI_ERROR;
	}
	n = fread(hdr, 1, sizeof hdr, f);
	fclose(f);
	rc = rp_delta_header_parse(hdr, n, &in);
	if (rc == RP_OK &&
	    (uint64_t)st.st_size - RP_DELTA_HEADER_LEN != in.body_len)
		rc = (uint64_t)st.st_size - RP_DELTA_HEADER_LEN < in.body_len
		         ? RP_E_TRUNCATED
		         : RP_E_DELTA;
	if (tool_flag(c, "json")) {
		printf("{\"file\":");
		icli_json_str(stdout, c->argv[0]);
		printf(",\"error\":\"%s\",\"message\":", rp_errname(rc));
		icli_json_str(stdout, rp_strerror(rc));
		if (in.format == RP_DELTA_FORMAT && in.codec != 0) {
			printf(",\"format\":%u,\"codec\":\"lzma2\","
			       "\"dict_size\":%lu,\"old_len\":%" PRIu64
			       ",\"new_len\":%" PRIu64 ",\"body_len\":%" PRIu64
			       ",\"old_sha256\":\"",
			       in.format, 1ul << in.dict_log2, in.old_len,
			       in.new_len, in.body_len);
			icli_hex(stdout, in.old_sha256, 32);
			printf("\",\"new_sha256\":\"");
			icli_hex(stdout, in.new_sha256, 32);
			printf("\"");
		}
		printf("}\n");
	} else if (in.codec != 0) {
		printf("format %u, codec LZMA2, dictionary %lu bytes\n",
		       in.format, 1ul << in.dict_log2);
		printf("old %" PRIu64 " bytes, sha256 ", in.old_len);
		icli_hex(stdout, in.old_sha256, 32);
		printf("\nnew %" PRIu64 " bytes, sha256 ", in.new_len);
		icli_hex(stdout, in.new_sha256, 32);
		printf("\nbody %" PRIu64 " bytes\n", in.body_len);
	}
	if (rc != RP_OK && !tool_flag(c, "json"))
		printf("%s: malformed delta patch: %s (%s)\n", c->argv[0],
		       rp_strerror(rc), rp_errname(rc));
	return icli_exit(rc);
}

const struct tool_cmd delta_cmds[] = {
    {.name = "create",
     .summary = "make a patch turning OLD into NEW",
     .opts = create_opts,
     .args = create_args,
     .run = cmd_create,
     .more = "Needs both images in memory and 4 bytes per byte of OLD. "
             "PATCH is replaced atomically. Exit 0 written, 2 could not."},
    {.name = "apply",
     .summary = "apply PATCH to OLD, writing OUT, as a device does",
     .opts = apply_opts,
     .args = apply_args,
     .run = cmd_apply,
     .more = "OUT appears only whole and checked against the patch's new "
             "SHA-256. Exit 0 written, 1 patch refused (the reason is "
             "printed), 2 could not read or write."},
    {.name = "info",
     .summary = "show what a patch's header says",
     .opts = info_opts,
     .args = info_args,
     .run = cmd_info,
     .more = "Exit 0 well-formed header, 1 malformed, 2 could not read."},
    {0},
};
