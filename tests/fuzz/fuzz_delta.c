/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_delta.c - libFuzzer harness for the delta patch decoder
 * (rp_delta_header_parse, rp_delta_apply: lib/device/delta_apply.c) on
 * arbitrary patches against a fixed small old image (make-delta-seeds.sh
 * writes the same image and the seeds, real patches from it). Invariants:
 * no read of the old image outside it, nothing written past the header's
 * new length or the 64 KiB output bound, the heap never above the
 * device's budget (RP_DELTA_APPLY_RAM less 12 KiB for the stack, which
 * test_delta measures at about 8 KiB), and a patch that applies wrote exactly
 * its new length, hashing to its new SHA-256.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/delta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OLD_LINES 128
#define OUT_MAX   (64 * 1024)
#define HEAP_MAX  (RP_DELTA_APPLY_RAM - 12 * 1024)

static uint8_t old[OLD_LINES * 32];
static size_t old_len;

struct io {
	const uint8_t *p;
	size_t n, pos;
	uint8_t out[OUT_MAX];
	size_t out_len;
};

/* The old image: the lines make-delta-seeds.sh prints. */
static void make_old(void)
{
	int i, k;

	for (i = 0; i < OLD_LINES; i++) {
		k = snprintf((char *)old + old_len, sizeof old - old_len,
		             "rampart delta fuzz base %04d\n", i);
		if (k < 0 || (size_t)k >= sizeof old - old_len)
			abort();
		old_len += (size_t)k;
	}
}

static rp_err f_read_old(void *ctx, uint64_t off, uint8_t *b, size_t len)
{
	(void)ctx;
	if (off > old_len || len > old_len - off)
		abort();
	memcpy(b, old + off, len);
	return RP_OK;
}

static rp_err f_read_patch(void *ctx, uint8_t *b, size_t len, size_t *got)
{
	struct io *s = ctx;
	size_t k = s->n - s->pos < len ? s->n - s->pos : len;

	memcpy(b, s->p + s->pos, k);
	s->pos += k;
	*got = k;
	return RP_OK;
}

static rp_err f_write(void *ctx, const uint8_t *b, size_t len)
{
	struct io *s = ctx;

	if (len > OUT_MAX - s->out_len)
		abort();
	memcpy(s->out + s->out_len, b, len);
	s->out_len += len;
	return RP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct io s;
	struct rp_delta_io io = {&s, f_read_old, f_read_patch, f_write};
	struct rp_delta_result res;
	struct rp_delta_info info;
	rp_err rc;

	if (old_len == 0)
		make_old();
	if (rp_delta_header_parse(data, size, &info) == RP_OK &&
	    (info.dict_log2 < RP_DELTA_DICT_LOG2_MIN ||
	     info.dict_log2 > RP_DELTA_DICT_LOG2_MAX))
		abort();
	s.p = data;
	s.n = size;
	s.pos = 0;
	s.out_len = 0;
	rc = rp_delta_apply(&io, old_len, OUT_MAX, &res);
	if (res.heap_peak > HEAP_MAX || s.out_len != res.written ||
	    res.written > res.info.new_len)
		abort();
	if (rc == RP_OK && (res.written != res.info.new_len ||
	                    memcmp(res.sha256, res.info.new_sha256, 32) != 0))
		abort();
	return 0;
}
