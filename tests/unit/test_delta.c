/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_delta.c - delta patches (rampart/delta.h, rampart/delta_create.h,
 * docs/delta.md): the committed test vector applies to its SHA-256; the
 * real version pairs of tests/data/delta-pairs (libexpat, mosquitto)
 * round-trip and stay within 1.05 x bsdiff's patch; the apply stays
 * within 64 KiB, heap (its counting allocator) and stack (a painted
 * thread stack) together; every section of a patch damaged or cut is
 * refused, and hand-made hostile records (reads outside the old image,
 * writes past the new length, bad varints, data after the end) too; the
 * output bound holds; the old image is never read out of its bounds;
 * with RP_FAULTSIM, every allocation of an apply and a create failed in
 * turn is RP_E_NOMEM and leaks nothing.
 */
#define _GNU_SOURCE
#include <lzma.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "rampart/alloc.h"
#include "rampart/bytes.h"
#include "rampart/crypto_host.h"
#include "rampart/delta.h"
#include "rampart/delta_create.h"
#include "rampart/encode.h"
#include "rampart/mem.h"

struct buf {
	uint8_t *p;
	size_t n;
};

static struct buf slurp(const char *path)
{
	struct buf b = {NULL, 0};
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	b.n = (size_t)n;
	b.p = malloc(b.n + 1);
	assert_non_null(b.p);
	assert_int_equal(fread(b.p, 1, b.n, f), b.n);
	fclose(f);
	return b;
}

static const char *src_dir(void)
{
	const char *s = getenv("RP_SRC_DIR");

	if (s == NULL)
		fail_msg("RP_SRC_DIR is not set (run through ctest)");
	return s;
}

static struct buf slurp_in(const char *sub, const char *name)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/%s/%s", src_dir(), sub, name);
	return slurp(path);
}

/* The I/O of an apply over memory: the old image (every read checked to
 * lie inside it), the patch (handed out in pieces of piece bytes), the
 * output (never beyond cap). */
struct mem_io {
	const uint8_t *old;
	size_t old_len;
	const uint8_t *patch;
	size_t patch_len, patch_pos, piece;
	uint8_t *out;
	size_t out_len, cap;
};

static rp_err m_read_old(void *ctx, uint64_t off, uint8_t *b, size_t len)
{
	struct mem_io *m = ctx;

	assert_true(off <= m->old_len && len <= m->old_len - off);
	memcpy(b, m->old + off, len);
	return RP_OK;
}

static rp_err m_read_patch(void *ctx, uint8_t *b, size_t len, size_t *got)
{
	struct mem_io *m = ctx;
	size_t k = m->patch_len - m->patch_pos;

	if (k > len)
		k = len;
	if (m->piece != 0 && k > m->piece)
		k = m->piece;
	memcpy(b, m->patch + m->patch_pos, k);
	m->patch_pos += k;
	*got = k;
	return RP_OK;
}

static rp_err m_write(void *ctx, const uint8_t *b, size_t len)
{
	struct mem_io *m = ctx;

	assert_true(len <= m->cap - m->out_len);
	memcpy(m->out + m->out_len, b, len);
	m->out_len += len;
	return RP_OK;
}

/* Apply patch to old with an output buffer of cap bytes. */
static rp_err apply(const struct buf *old, const uint8_t *patch, size_t plen,
                    uint64_t max, struct mem_io *m, struct rp_delta_result *r)
{
	struct rp_delta_io io = {m, m_read_old, m_read_patch, m_write};

	m->old = old->p;
	m->old_len = old->n;
	m->patch = patch;
	m->patch_len = plen;
	m->patch_pos = 0;
	m->out_len = 0;
	return rp_delta_apply(&io, old->n, max, r);
}

/* A patch of raw records (compressed here with liblzma, header made by
 * hand), for hostile record streams create never writes. */
static size_t hand_patch(const uint8_t *raw, size_t rawlen, uint64_t old_len,
                         uint64_t new_len, uint8_t *out, size_t cap)
{
	lzma_options_lzma opt;
	lzma_filter f[2];
	size_t pos = RP_DELTA_HEADER_LEN;

	assert_false(lzma_lzma_preset(&opt, 6));
	opt.dict_size = 1u << RP_DELTA_DICT_LOG2_MIN;
	f[0].id = LZMA_FILTER_LZMA2;
	f[0].options = &opt;
	f[1].id = LZMA_VLI_UNKNOWN;
	assert_int_equal(
	    lzma_raw_buffer_encode(f, NULL, raw, rawlen, out, &pos, cap),
	    LZMA_OK);
	memset(out, 0, RP_DELTA_HEADER_LEN);
	rp_store_le32(out, RP_DELTA_MAGIC);
	rp_store_le16(out + 4, RP_DELTA_FORMAT);
	rp_store_le16(out + 6, RP_DELTA_HEADER_LEN);
	out[8] = RP_DELTA_CODEC_LZMA2;
	out[9] = RP_DELTA_DICT_LOG2_MIN;
	rp_store_le32(out + 12, lzma_crc32(out + RP_DELTA_HEADER_LEN,
	                                   pos - RP_DELTA_HEADER_LEN, 0));
	rp_store_le64(out + 16, old_len);
	rp_store_le64(out + 24, new_len);
	rp_store_le64(out + 32, pos - RP_DELTA_HEADER_LEN);
	rp_store_le32(out + 108, lzma_crc32(out, 108, 0));
	return pos;
}

/* Rewrite the header checksum after a field was changed on purpose. */
static void reseal(uint8_t *p)
{
	rp_store_le32(p + 108, lzma_crc32(p, 108, 0));
}

static void test_vector(void **state)
{
	struct buf old = slurp_in("tests/vectors/delta", "old.bin");
	struct buf nw = slurp_in("tests/vectors/delta", "new.bin");
	struct buf patch = slurp_in("tests/vectors/delta", "patch.rpdl");
	struct buf sums = slurp_in("tests/vectors/delta", "SHA256SUMS");
	struct rp_delta_result r;
	struct mem_io m = {0};
	char hex[65], line[200];
	uint8_t h[32];

	(void)state;
	sums.p[sums.n] = 0;
	/* SHA256SUMS holds the three files' hashes (sha256sum -c). */
	assert_int_equal(rp_sha256(patch.p, patch.n, h), RP_OK);
	assert_int_equal(rp_hex_encode(h, 32, hex, sizeof hex), RP_OK);
	snprintf(line, sizeof line, "%s  patch.rpdl\n", hex);
	assert_non_null(strstr((char *)sums.p, line));
	m.cap = nw.n;
	m.out = malloc(m.cap + 1);
	assert_int_equal(apply(&old, patch.p, patch.n, nw.n, &m, &r), RP_OK);
	assert_int_equal(m.out_len, nw.n);
	assert_memory_equal(m.out, nw.p, nw.n);
	assert_int_equal(rp_sha256(nw.p, nw.n, h), RP_OK);
	assert_memory_equal(r.sha256, h, 32);
	assert_memory_equal(r.info.new_sha256, h, 32);
	assert_int_equal(rp_hex_encode(h, 32, hex, sizeof hex), RP_OK);
	snprintf(line, sizeof line, "%s  new.bin\n", hex);
	assert_non_null(strstr((char *)sums.p, line));
	assert_int_equal(rp_sha256(old.p, old.n, h), RP_OK);
	assert_memory_equal(r.info.old_sha256, h, 32);
	free(m.out);
	free(old.p);
	free(nw.p);
	free(patch.p);
	free(sums.p);
}

/* The apply on its own thread, its stack painted: heap peak (the apply's
 * counting allocator) and stack high-water mark (the lowest byte of the
 * stack no longer holding the paint, from the thread function's frame). */
#define STACK_SIZE (512 * 1024)
#define PAINT      0xa5

struct thread_job {
	const struct buf *old;
	const uint8_t *patch;
	size_t plen;
	struct mem_io *m;
	struct rp_delta_result *r;
	rp_err rc;
	uintptr_t top;
};

static void *apply_thread(void *arg)
{
	struct thread_job *j = arg;
	volatile uint8_t here = 0;

	j->top = (uintptr_t)&here;
	j->rc = apply(j->old, j->patch, j->plen, j->m->cap, j->m, j->r);
	return NULL;
}

static size_t measured_apply(const struct buf *old, const uint8_t *patch,
                             size_t plen, struct mem_io *m,
                             struct rp_delta_result *r, size_t *stack)
{
	uint8_t *stk = aligned_alloc(4096, STACK_SIZE);
	struct thread_job j = {old, patch, plen, m, r, RP_E_INTERNAL, 0};
	pthread_attr_t at;
	pthread_t t;
	size_t i;

	assert_non_null(stk);
	memset(stk, PAINT, STACK_SIZE);
	assert_int_equal(pthread_attr_init(&at), 0);
	assert_int_equal(pthread_attr_setstack(&at, stk, STACK_SIZE), 0);
	assert_int_equal(pthread_create(&t, &at, apply_thread, &j), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&at);
	assert_int_equal(j.rc, RP_OK);
	for (i = 0; i < STACK_SIZE && stk[i] == PAINT; i++)
		;
	assert_true((uintptr_t)(stk + i) < j.top);
	*stack = j.top - (uintptr_t)(stk + i);
	free(stk);
	return r->heap_peak;
}

/* bsdiff 4.3's patch sizes here (../shared/data/delta-pairs/README.md). */
struct pair {
	const char *old, *new_;
	size_t bsdiff;
};

static void round_trip(const struct pair *p)
{
	struct buf old = slurp_in("tests/data/delta-pairs", p->old);
	struct buf nw = slurp_in("tests/data/delta-pairs", p->new_);
	struct rp_delta_result r;
	struct mem_io m = {0};
	size_t plen, heap, stack, i, cut;
	uint8_t *patch, *bad;

	assert_int_equal(
	    rp_delta_create(old.p, old.n, nw.p, nw.n, NULL, &patch, &plen),
	    RP_OK);
	print_message("%s: patch %zu bytes, bsdiff %zu, ratio %.3f\n", p->new_,
	              plen, p->bsdiff, (double)plen / (double)p->bsdiff);
	assert_true(plen * 100 <= p->bsdiff * 105);

	m.cap = nw.n;
	m.out = malloc(m.cap + 1);
	assert_non_null(m.out);
	heap = measured_apply(&old, patch, plen, &m, &r, &stack);
	print_message("%s: apply heap %zu + stack %zu = %zu bytes (bound %u)\n",
	              p->new_, heap, stack, heap + stack, RP_DELTA_APPLY_RAM);
	assert_true(heap + stack <= RP_DELTA_APPLY_RAM);
	assert_int_equal(m.out_len, nw.n);
	assert_memory_equal(m.out, nw.p, nw.n);
	assert_int_equal(r.written, nw.n);
	assert_memory_equal(r.sha256, r.info.new_sha256, 32);

	/* The patch in pieces of one byte (a slow download) applies too. */
	m.piece = 1;
	assert_int_equal(apply(&old, patch, plen, nw.n, &m, &r), RP_OK);
	m.piece = 0;

	/* The output bound: one byte less than the new image is refused
	 * before anything is written. */
	assert_int_equal(apply(&old, patch, plen, nw.n - 1, &m, &r),
	                 RP_E_TOO_BIG);
	assert_int_equal(m.out_len, 0);

	/* Damage in the body, at 16 places over its length: refused (a
	 * decoder error, a record outside the images, or the checksum). */
	bad = malloc(plen + 1);
	assert_non_null(bad);
	for (i = 0; i < 16; i++) {
		size_t at =
		    RP_DELTA_HEADER_LEN + (plen - RP_DELTA_HEADER_LEN) * i / 16;
		memcpy(bad, patch, plen);
		bad[at] ^= 0x10;
		assert_int_equal(apply(&old, bad, plen, nw.n, &m, &r),
		                 RP_E_DELTA);
	}
	/* Cut short anywhere: header or body. */
	for (i = 0; i < 8; i++) {
		cut = i == 0 ? 50 : plen * i / 8;
		assert_int_equal(apply(&old, patch, cut, nw.n, &m, &r),
		                 RP_E_TRUNCATED);
	}
	assert_int_equal(apply(&old, patch, plen - 1, nw.n, &m, &r),
	                 RP_E_TRUNCATED);
	/* A byte after the end. */
	memcpy(bad, patch, plen);
	bad[plen] = 0;
	assert_int_equal(apply(&old, bad, plen + 1, nw.n, &m, &r), RP_E_DELTA);
	/* Another base: the same length, every 64th byte changed. */
	for (i = 0; i < old.n; i += 64)
		old.p[i] ^= 1;
	assert_int_equal(apply(&old, patch, plen, nw.n, &m, &r),
	                 RP_E_DELTA_BASE);
	free(bad);
	rp_free(patch);
	free(m.out);
	free(old.p);
	free(nw.p);
}

static void test_libexpat(void **state)
{
	static const struct pair p = {"libexpat-2.5.0-deb12u2",
	                              "libexpat-2.5.0-deb12u5", 31976};
	(void)state;
	round_trip(&p);
}

static void test_mosquitto(void **state)
{
	static const struct pair p = {"mosquitto-2.0.11-deb12u1",
	                              "mosquitto-2.0.11-deb12u2", 21584};
	(void)state;
	round_trip(&p);
}

/* Every header field: a wrong value refused with its code. */
static void test_header(void **state)
{
	static const uint8_t old_b[64] = {1, 2, 3};
	static const uint8_t new_b[80] = {1, 2, 4, 9};
	struct buf old = {(uint8_t *)old_b, sizeof old_b};
	struct rp_delta_info info;
	struct rp_delta_result r;
	struct mem_io m = {0};
	uint8_t *p, *bad;
	size_t n;
	uint8_t out[128];

	(void)state;
	assert_int_equal(rp_delta_create(old_b, sizeof old_b, new_b,
	                                 sizeof new_b, NULL, &p, &n),
	                 RP_OK);
	m.out = out;
	m.cap = sizeof new_b;
	assert_int_equal(apply(&old, p, n, sizeof new_b, &m, &r), RP_OK);
	assert_memory_equal(out, new_b, sizeof new_b);
	assert_int_equal(rp_delta_header_parse(p, n, &info), RP_OK);
	assert_int_equal(info.old_len, sizeof old_b);
	assert_int_equal(info.new_len, sizeof new_b);
	assert_int_equal(info.body_len, n - RP_DELTA_HEADER_LEN);
	assert_int_equal(
	    rp_delta_header_parse(p, RP_DELTA_HEADER_LEN - 1, &info),
	    RP_E_TRUNCATED);
	bad = malloc(n);
	assert_non_null(bad);
#define BAD(expr, code)                                                     \
	do {                                                                \
		memcpy(bad, p, n);                                          \
		expr;                                                       \
		reseal(bad);                                                \
		assert_int_equal(apply(&old, bad, n, sizeof new_b, &m, &r), \
		                 code);                                     \
	} while (0)
	BAD(bad[0] ^= 1, RP_E_DELTA);      /* magic */
	BAD(bad[4] = 2, RP_E_UNSUPPORTED); /* format */
	BAD(bad[6] = 100, RP_E_DELTA);     /* header length */
	BAD(bad[8] = 2, RP_E_DELTA);       /* codec */
	BAD(bad[9] = RP_DELTA_DICT_LOG2_MAX + 1, RP_E_DELTA); /* dictionary */
	BAD(bad[9] = RP_DELTA_DICT_LOG2_MIN - 1, RP_E_DELTA);
	BAD(bad[10] = 1, RP_E_DELTA); /* reserved */
	BAD(bad[105] = 1, RP_E_DELTA);
	BAD(bad[12] ^= 1, RP_E_DELTA);                 /* body checksum */
	BAD(bad[16] ^= 1, RP_E_DELTA_BASE);            /* old length */
	BAD(bad[24] = sizeof new_b + 1, RP_E_TOO_BIG); /* new length */
	BAD(bad[24] = sizeof new_b - 1, RP_E_DELTA);   /* too short */
	BAD(bad[32] ^= 1, RP_E_DELTA);                 /* body length */
	BAD(bad[33] = 1, RP_E_DELTA);                  /* body length */
	BAD(bad[72] ^= 1, RP_E_DELTA_BASE);            /* new hash */
#undef BAD
	/* The header checksum itself. */
	memcpy(bad, p, n);
	bad[40] ^= 1;
	assert_int_equal(apply(&old, bad, n, sizeof new_b, &m, &r), RP_E_DELTA);
	free(bad);
	rp_free(p);
}

/* Record streams that create never writes, each refused. */
static void test_hostile_records(void **state)
{
	static const uint8_t old_b[32] = {7};
	struct buf old = {(uint8_t *)old_b, sizeof old_b};
	struct {
		const char *what;
		uint8_t raw[40];
		size_t len;
		uint64_t new_len;
		rp_err want;
	} cases[] = {
	    {"fine: 32 add, 0 extra", {32, 0, 0}, 3 + 32, 32, RP_OK},
	    {"add beyond the old image", {33, 0, 0}, 3 + 33, 40, RP_E_DELTA},
	    {"seek before the start", {4, 0, 9 /* -5 */}, 3 + 4, 8, RP_E_DELTA},
	    {"seek past the end", {4, 0, 58 /* +29 */}, 3 + 4, 8, RP_E_DELTA},
	    {"extra past the new length", {0, 9, 0}, 3 + 9, 8, RP_E_DELTA},
	    {"overlong varint", {0x80, 0x00, 0, 0}, 4, 8, RP_E_DELTA},
	    {"varint over 64 bits",
	     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	     10,
	     8,
	     RP_E_DELTA},
	    {"records end early", {0, 4, 0, 1, 2, 3, 4}, 7, 8, RP_E_DELTA},
	    {"data after the last record",
	     {0, 2, 0, 1, 2, 5},
	     6,
	     2,
	     RP_E_DELTA},
	};
	uint8_t patch[512], out[64];
	struct rp_delta_result r;
	struct mem_io m = {0};
	size_t i, n;
	rp_err rc;

	(void)state;
	m.out = out;
	m.cap = sizeof out;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = hand_patch(cases[i].raw, cases[i].len, old.n,
		               cases[i].new_len, patch, sizeof patch);
		rc = apply(&old, patch, n, sizeof out, &m, &r);
		if (rc == RP_E_DELTA_BASE && cases[i].want == RP_OK)
			rc = RP_OK; /* the hash is not in a hand-made header */
		if (rc != cases[i].want)
			fail_msg("%s: %s, not %s", cases[i].what,
			         rp_errname(rc), rp_errname(cases[i].want));
		assert_true(m.out_len <= cases[i].new_len);
	}
}

#ifdef RP_FAULTSIM
/* Every allocation of an apply and of a create failed in turn: RP_E_NOMEM
 * (or done, once past the last one), nothing leaked (ASan's leak check). */
static void test_nomem(void **state)
{
	static const uint8_t old_b[256] = {1, 2, 3};
	static const uint8_t new_b[300] = {1, 2, 4, 9};
	struct buf old = {(uint8_t *)old_b, sizeof old_b};
	struct rp_delta_result r;
	struct mem_io m = {0};
	uint8_t out[sizeof new_b], *p, *q;
	unsigned long n;
	size_t plen, qlen;
	rp_err rc = RP_E_NOMEM;

	(void)state;
	assert_int_equal(rp_delta_create(old_b, sizeof old_b, new_b,
	                                 sizeof new_b, NULL, &p, &plen),
	                 RP_OK);
	m.out = out;
	m.cap = sizeof out;
	for (n = 1; rc == RP_E_NOMEM; n++) {
		rp_alloc_fail_at(n, false);
		rc = apply(&old, p, plen, sizeof new_b, &m, &r);
		rp_alloc_fail_at(0, false);
		assert_true(rc == RP_OK || rc == RP_E_NOMEM);
	}
	assert_true(n > 2);
	rc = RP_E_NOMEM;
	for (n = 1; rc == RP_E_NOMEM; n++) {
		rp_alloc_fail_at(n, false);
		rc = rp_delta_create(old_b, sizeof old_b, new_b, sizeof new_b,
		                     NULL, &q, &qlen);
		rp_alloc_fail_at(0, false);
		assert_true(rc == RP_OK || rc == RP_E_NOMEM);
	}
	assert_true(n > 2);
	assert_int_equal(qlen, plen);
	assert_memory_equal(q, p, plen);
	rp_free(q);
	rp_free(p);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_header),
	    cmocka_unit_test(test_hostile_records),
	    cmocka_unit_test(test_libexpat),
	    cmocka_unit_test(test_mosquitto),
#ifdef RP_FAULTSIM
	    cmocka_unit_test(test_nomem),
#endif
	};

	if (rp_init() != RP_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
