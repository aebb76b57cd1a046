/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delta_apply.c - applying a delta patch in bounded memory (rampart/delta.h,
 * docs/delta.md): the header, then the LZMA2 body decoded by liblzma's raw
 * decoder (a small dictionary, every allocation counted), whose records
 * add diff bytes to old bytes read at random offsets and copy extra bytes,
 * written out sequentially and hashed.
 */
#include <lzma.h>
#include <sodium.h>
#include <string.h>

#include "delta_lzma.h"
#include "rampart/alloc.h"
#include "rampart/bytes.h"
#include "rampart/delta.h"

#define CHUNK 1024
/* A record's lengths are varints of at most 10 bytes (64 bits). */
#define VARINT_MAX 10

/* The apply's state: one heap block, owned by rp_delta_apply. */
struct apply {
	const struct rp_delta_io *io;
	struct rp_delta_result *res;
	lzma_stream zs;
	lzma_allocator alloc;
	size_t heap_cur;
	uint64_t body_left; /* compressed bytes not yet read */
	uint32_t crc;       /* CRC-32 of the body read so far */
	int ended;          /* the decoder saw the end of the stream */
	crypto_hash_sha256_state sha;
	uint8_t in[CHUNK];
	uint8_t out[CHUNK];
	uint8_t old[CHUNK];
};

/* The counting allocator: a size header before each block, so that the
 * peak is exact (rp_delta_result.heap_peak). */
struct blk {
	size_t n;
	max_align_t align;
};

static void *count_alloc(void *opaque, size_t nmemb, size_t size)
{
	struct apply *a = opaque;
	struct blk *b;

	if (size != 0 && nmemb > (SIZE_MAX - sizeof *b) / size)
		return NULL;
	b = rp_malloc(sizeof *b + nmemb * size);
	if (b == NULL)
		return NULL;
	b->n = sizeof *b + nmemb * size;
	a->heap_cur += b->n;
	if (a->heap_cur > a->res->heap_peak)
		a->res->heap_peak = a->heap_cur;
	return &b->align;
}

static void count_free(void *opaque, void *p)
{
	struct apply *a = opaque;
	struct blk *b;

	if (p == NULL)
		return;
	b = (struct blk *)((uint8_t *)p - offsetof(struct blk, align));
	a->heap_cur -= b->n;
	rp_free(b);
}

rp_err rp_delta_header_parse(const uint8_t *buf, size_t len,
                             struct rp_delta_info *out)
{
	rp_err rc = RP_E_DELTA;
	size_t i;

	if (buf == NULL || out == NULL) {
		rc = RP_E_INVAL;
		goto out;
	}
	memset(out, 0, sizeof *out);
	if (len < RP_DELTA_HEADER_LEN) {
		rc = RP_E_TRUNCATED;
		goto out;
	}
	if (rp_load_le32(buf) != RP_DELTA_MAGIC)
		goto out;
	out->format = rp_load_le16(buf + 4);
	if (out->format != RP_DELTA_FORMAT) {
		rc = RP_E_UNSUPPORTED;
		goto out;
	}
	if (rp_load_le16(buf + 6) != RP_DELTA_HEADER_LEN ||
	    lzma_crc32(buf, 108, 0) != rp_load_le32(buf + 108))
		goto out;
	out->codec = buf[8];
	out->dict_log2 = buf[9];
	if (out->codec != RP_DELTA_CODEC_LZMA2 ||
	    out->dict_log2 < RP_DELTA_DICT_LOG2_MIN ||
	    out->dict_log2 > RP_DELTA_DICT_LOG2_MAX || buf[10] != 0 ||
	    buf[11] != 0)
		goto out;
	for (i = 104; i < 108; i++)
		if (buf[i] != 0)
			goto out;
	out->body_crc = rp_load_le32(buf + 12);
	out->old_len = rp_load_le64(buf + 16);
	out->new_len = rp_load_le64(buf + 24);
	out->body_len = rp_load_le64(buf + 32);
	memcpy(out->old_sha256, buf + 40, 32);
	memcpy(out->new_sha256, buf + 72, 32);
	rc = RP_OK;
out:
	return rc;
}

/* Read exactly len patch bytes (the header), RP_E_TRUNCATED if it ends. */
static rp_err read_exact(struct apply *a, uint8_t *buf, size_t len)
{
	rp_err rc = RP_OK;
	size_t got;

	while (len > 0) {
		rc = a->io->read_patch(a->io->ctx, buf, len, &got);
		if (rc != RP_OK)
			goto out;
		if (got == 0 || got > len) {
			rc = got == 0 ? RP_E_TRUNCATED : RP_E_INVAL;
			goto out;
		}
		buf += got;
		len -= got;
	}
out:
	return rc;
}

/*
 * Decode exactly len body bytes into buf. The body is read no further
 * than its length; the decoder ending early, or the body ending before
 * the decoder, is a damaged (RP_E_DELTA) or cut (RP_E_TRUNCATED) patch.
 */
static rp_err decode(struct apply *a, uint8_t *buf, size_t len)
{
	rp_err rc = RP_OK;
	lzma_ret zr;
	size_t got;

	a->zs.next_out = buf;
	a->zs.avail_out = len;
	while (a->zs.avail_out > 0) {
		if (a->ended) {
			rc = RP_E_DELTA;
			goto out;
		}
		if (a->zs.avail_in == 0 && a->body_left > 0) {
			size_t want =
			    a->body_left < CHUNK ? (size_t)a->body_left : CHUNK;
			rc = a->io->read_patch(a->io->ctx, a->in, want, &got);
			if (rc != RP_OK)
				goto out;
			if (got > want) {
				rc = RP_E_INVAL;
				goto out;
			}
			if (got == 0) {
				rc = RP_E_TRUNCATED;
				goto out;
			}
			a->crc = lzma_crc32(a->in, got, a->crc);
			a->body_left -= got;
			a->zs.next_in = a->in;
			a->zs.avail_in = got;
		}
		/* With no input left, liblzma answers LZMA_BUF_ERROR when it
		 * cannot go on: the stream does not end where the header
		 * says it does. */
		zr = lzma_code(&a->zs, LZMA_RUN);
		if (zr == LZMA_STREAM_END) {
			a->ended = 1;
		} else if (zr == LZMA_MEM_ERROR) {
			rc = RP_E_NOMEM;
			goto out;
		} else if (zr != LZMA_OK) {
			rc = RP_E_DELTA;
			goto out;
		}
	}
out:
	return rc;
}

/* A LEB128 varint of at most 64 bits from the body. */
static rp_err varint(struct apply *a, uint64_t *v)
{
	rp_err rc = RP_OK;
	uint8_t b;
	int i;

	*v = 0;
	for (i = 0; i < VARINT_MAX; i++) {
		rc = decode(a, &b, 1);
		if (rc != RP_OK)
			goto out;
		if (i == VARINT_MAX - 1 && b > 1) {
			rc = RP_E_DELTA; /* more than 64 bits */
			goto out;
		}
		*v |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			if (b == 0 && i > 0)
				rc = RP_E_DELTA; /* overlong */
			goto out;
		}
	}
	rc = RP_E_DELTA;
out:
	return rc;
}

static rp_err emit(struct apply *a, const uint8_t *buf, size_t len)
{
	rp_err rc;

	crypto_hash_sha256_update(&a->sha, buf, len);
	rc = a->io->write_new(a->io->ctx, buf, len);
	if (rc == RP_OK)
		a->res->written += len;
	return rc;
}

/* The records, until the new length is written; then the end. */
static rp_err records(struct apply *a, uint64_t old_len)
{
	const uint64_t new_len = a->res->info.new_len;
	uint64_t add, copy, zz, opos = 0, n;
	int64_t seek;
	rp_err rc = RP_OK;
	size_t i, k, got;
	uint8_t end;

	while (a->res->written < new_len) {
		rc = varint(a, &add);
		if (rc == RP_OK)
			rc = varint(a, &copy);
		if (rc == RP_OK)
			rc = varint(a, &zz);
		if (rc != RP_OK)
			goto out;
		seek = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
		n = new_len - a->res->written;
		if (add > n || copy > n - add || add > old_len - opos) {
			rc = RP_E_DELTA;
			goto out;
		}
		for (; add > 0; add -= k) {
			k = add < CHUNK ? (size_t)add : CHUNK;
			rc = decode(a, a->out, k);
			if (rc == RP_OK)
				rc = a->io->read_old(a->io->ctx, opos, a->old,
				                     k);
			if (rc != RP_OK)
				goto out;
			for (i = 0; i < k; i++)
				a->out[i] = (uint8_t)(a->out[i] + a->old[i]);
			opos += k;
			rc = emit(a, a->out, k);
			if (rc != RP_OK)
				goto out;
		}
		for (; copy > 0; copy -= k) {
			k = copy < CHUNK ? (size_t)copy : CHUNK;
			rc = decode(a, a->out, k);
			if (rc == RP_OK)
				rc = emit(a, a->out, k);
			if (rc != RP_OK)
				goto out;
		}
		if ((seek < 0 && (uint64_t)(-(seek + 1)) >= opos) ||
		    (seek > 0 && (uint64_t)seek > old_len - opos)) {
			rc = RP_E_DELTA;
			goto out;
		}
		opos = (uint64_t)((int64_t)opos + seek);
	}
	/* The decoder must end here, and the body with it. */
	if (!a->ended) {
		rc = decode(a, &end, 1);
		if (rc == RP_OK)
			rc = RP_E_DELTA; /* more data than the new image */
		else if (a->ended && a->zs.avail_out == 1)
			rc = RP_OK; /* the end, and nothing more */
		if (rc != RP_OK)
			goto out;
	}
	if (a->zs.avail_in > 0 || a->body_left > 0) {
		rc = RP_E_DELTA;
		goto out;
	}
	/* And the patch ends with its body: nothing may follow. */
	rc = a->io->read_patch(a->io->ctx, &end, 1, &got);
	if (rc == RP_OK && got != 0)
		rc = RP_E_DELTA;
out:
	return rc;
}

rp_err rp_delta_apply(const struct rp_delta_io *io, uint64_t old_len,
                      uint64_t max_new_len, struct rp_delta_result *res)
{
	struct rp_delta_result local;
	lzma_options_lzma opt;
	lzma_filter filters[2];
	struct apply *a = NULL;
	uint8_t hdr[RP_DELTA_HEADER_LEN];
	rp_err rc;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof *res);
	if (io == NULL || io->read_old == NULL || io->read_patch == NULL ||
	    io->write_new == NULL) {
		rc = RP_E_INVAL;
		goto out;
	}
	/* The state is counted like liblzma's blocks: a is its own owner,
	 * freed through count_free at out. */
	{
		struct apply boot = {.res = res};
		a = count_alloc(&boot, 1, sizeof *a);
		if (a == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
		memset(a, 0, sizeof *a);
		a->heap_cur = boot.heap_cur;
	}
	a->io = io;
	a->res = res;
	a->alloc.alloc = count_alloc;
	a->alloc.free = count_free;
	a->alloc.opaque = a;
	a->zs = (lzma_stream)LZMA_STREAM_INIT;
	a->zs.allocator = &a->alloc;
	crypto_hash_sha256_init(&a->sha);

	rc = read_exact(a, hdr, sizeof hdr);
	if (rc == RP_OK)
		rc = rp_delta_header_parse(hdr, sizeof hdr, &res->info);
	if (rc != RP_OK)
		goto out;
	if (res->info.new_len > max_new_len) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	if (res->info.old_len != old_len) {
		rc = RP_E_DELTA_BASE;
		goto out;
	}
	a->body_left = res->info.body_len;

	memset(&opt, 0, sizeof opt);
	delta_lzma_filters(filters, &opt, res->info.dict_log2);
	rc = delta_lzma_init_err(lzma_raw_decoder(&a->zs, filters));
	if (rc != RP_OK)
		goto out;
	rc = records(a, old_len);
	if (rc != RP_OK)
		goto out;
	crypto_hash_sha256_final(&a->sha, res->sha256);
	if (a->crc != res->info.body_crc) {
		rc = RP_E_DELTA;
		goto out;
	}
	if (sodium_memcmp(res->sha256, res->info.new_sha256, 32) != 0)
		rc = RP_E_DELTA_BASE;
out:
	if (a != NULL) {
		lzma_end(&a->zs);
		count_free(a, a);
	}
	return rc;
}
