/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delta_create.c - making a delta patch (rampart/delta_create.h,
 * docs/delta.md): bsdiff's method (Colin Percival, "Naive differences of
 * executable code") over a suffix array of the old image built by
 * libdivsufsort: approximate matches become a diff block (new minus old,
 * mostly zeros) and an extra block (new bytes), one record each, and the
 * record stream is compressed by liblzma's raw LZMA2 encoder with the
 * small dictionary a device can hold.
 */
#include <divsufsort.h>
#include <lzma.h>
#include <string.h>

#include "device/delta_lzma.h"
#include "rampart/alloc.h"
#include "rampart/bytes.h"
#include "rampart/crypto_host.h"
#include "rampart/delta_create.h"

#define STAGE (64 * 1024)

/* The compressor and its output: owned by rp_delta_create. */
struct out {
	lzma_stream zs;
	uint8_t *buf; /* the patch so far (header room first) */
	size_t len, cap;
	uint8_t stage[STAGE]; /* raw records waiting for the encoder */
	size_t staged;
};

static void *lz_alloc(void *opaque, size_t nmemb, size_t size)
{
	(void)opaque;
	return rp_calloc(nmemb, size);
}

static void lz_free(void *opaque, void *p)
{
	(void)opaque;
	rp_free(p);
}

static const lzma_allocator lz_allocator = {lz_alloc, lz_free, NULL};

/* Run the encoder over the staged bytes (action LZMA_RUN or LZMA_FINISH). */
static rp_err pump(struct out *o, lzma_action action)
{
	rp_err rc = RP_OK;
	lzma_ret zr;
	uint8_t *nb;

	o->zs.next_in = o->stage;
	o->zs.avail_in = o->staged;
	for (;;) {
		if (o->cap - o->len < 4096) {
			nb = rp_realloc(o->buf, o->cap * 2);
			if (nb == NULL) {
				rc = RP_E_NOMEM;
				goto out;
			}
			o->buf = nb;
			o->cap *= 2;
		}
		o->zs.next_out = o->buf + o->len;
		o->zs.avail_out = o->cap - o->len;
		zr = lzma_code(&o->zs, action);
		o->len = o->cap - o->zs.avail_out;
		if (zr == LZMA_STREAM_END)
			break;
		if (zr != LZMA_OK) {
			rc = zr == LZMA_MEM_ERROR ? RP_E_NOMEM : RP_E_INTERNAL;
			goto out;
		}
		if (action == LZMA_RUN && o->zs.avail_in == 0)
			break;
	}
	o->staged = 0;
out:
	return rc;
}

static rp_err put(struct out *o, const uint8_t *p, size_t n)
{
	rp_err rc = RP_OK;
	size_t k;

	while (n > 0) {
		if (o->staged == STAGE) {
			rc = pump(o, LZMA_RUN);
			if (rc != RP_OK)
				goto out;
		}
		k = STAGE - o->staged < n ? STAGE - o->staged : n;
		memcpy(o->stage + o->staged, p, k);
		o->staged += k;
		p += k;
		n -= k;
	}
out:
	return rc;
}

static rp_err put_varint(struct out *o, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			b[n] |= 0x80;
		n++;
	} while (v != 0);
	return put(o, b, n);
}

/* One record: add diff bytes over old[opos..], copy extra, seek. */
static rp_err put_record(struct out *o, const uint8_t *old, const uint8_t *nw,
                         int64_t lastscan, int64_t lastpos, int64_t lenf,
                         int64_t extra, int64_t seek)
{
	uint8_t d[4096];
	rp_err rc;
	int64_t i, k, j;

	rc = put_varint(o, (uint64_t)lenf);
	if (rc == RP_OK)
		rc = put_varint(o, (uint64_t)extra);
	if (rc == RP_OK)
		rc = put_varint(o,
		                ((uint64_t)seek << 1) ^ (uint64_t)(seek >> 63));
	for (i = 0; rc == RP_OK && i < lenf; i += k) {
		k = lenf - i < (int64_t)sizeof d ? lenf - i : (int64_t)sizeof d;
		for (j = 0; j < k; j++)
			d[j] = (uint8_t)(nw[lastscan + i + j] -
			                 old[lastpos + i + j]);
		rc = put(o, d, (size_t)k);
	}
	if (rc == RP_OK)
		rc = put(o, nw + lastscan + lenf, (size_t)extra);
	return rc;
}

static int64_t matchlen(const uint8_t *a, int64_t an, const uint8_t *b,
                        int64_t bn)
{
	int64_t i;

	for (i = 0; i < an && i < bn; i++)
		if (a[i] != b[i])
			break;
	return i;
}

/* bsdiff's search: the longest match of nw[0..nn) among the suffixes of
 * old, by binary search over the suffix array sa[0..on). */
static int64_t search(const saidx_t *sa, const uint8_t *old, int64_t on,
                      const uint8_t *nw, int64_t nn, int64_t *pos)
{
	int64_t st = 0, en = on - 1, x, y, m;
	size_t cmp;

	while (en - st >= 2) {
		m = st + (en - st) / 2;
		cmp = (size_t)(on - sa[m] < nn ? on - sa[m] : nn);
		if (memcmp(old + sa[m], nw, cmp) < 0)
			st = m;
		else
			en = m;
	}
	x = matchlen(old + sa[st], on - sa[st], nw, nn);
	y = matchlen(old + sa[en], on - sa[en], nw, nn);
	if (x > y) {
		*pos = sa[st];
		return x;
	}
	*pos = sa[en];
	return y;
}

/* bsdiff 4.3's main loop, records written as they are found. */
static rp_err diff(struct out *o, const saidx_t *sa, const uint8_t *old,
                   int64_t on, const uint8_t *nw, int64_t nn,
                   const struct rp_delta_create_opts *opts)
{
	int64_t scan = 0, len = 0, pos = 0, lastscan = 0, lastpos = 0;
	int64_t lastoffset = 0, oldscore, scsc, s, sf, lenf, lenb, sb, i;
	int64_t overlap, ss, lens, next_report = 0;
	rp_err rc = RP_OK;

	while (scan < nn) {
		oldscore = 0;
		for (scsc = scan += len; scan < nn; scan++) {
			len = on > 0 ? search(sa, old, on, nw + scan, nn - scan,
			                      &pos)
			             : 0;
			for (; scsc < scan + len; scsc++)
				if (scsc + lastoffset >= 0 &&
				    scsc + lastoffset < on &&
				    old[scsc + lastoffset] == nw[scsc])
					oldscore++;
			if ((len == oldscore && len != 0) || len > oldscore + 8)
				break;
			if (scan + lastoffset >= 0 && scan + lastoffset < on &&
			    old[scan + lastoffset] == nw[scan])
				oldscore--;
		}
		if (len == oldscore && scan != nn)
			continue;
		s = 0;
		sf = 0;
		lenf = 0;
		for (i = 0; lastscan + i < scan && lastpos + i < on;) {
			if (old[lastpos + i] == nw[lastscan + i])
				s++;
			i++;
			if (s * 2 - i > sf * 2 - lenf) {
				sf = s;
				lenf = i;
			}
		}
		lenb = 0;
		if (scan < nn) {
			s = 0;
			sb = 0;
			for (i = 1; scan >= lastscan + i && pos >= i; i++) {
				if (old[pos - i] == nw[scan - i])
					s++;
				if (s * 2 - i > sb * 2 - lenb) {
					sb = s;
					lenb = i;
				}
			}
		}
		if (lastscan + lenf > scan - lenb) {
			overlap = (lastscan + lenf) - (scan - lenb);
			s = 0;
			ss = 0;
			lens = 0;
			for (i = 0; i < overlap; i++) {
				if (nw[lastscan + lenf - overlap + i] ==
				    old[lastpos + lenf - overlap + i])
					s++;
				if (nw[scan - lenb + i] == old[pos - lenb + i])
					s--;
				if (s > ss) {
					ss = s;
					lens = i + 1;
				}
			}
			lenf += lens - overlap;
			lenb -= lens;
		}
		rc = put_record(o, old, nw, lastscan, lastpos, lenf,
		                (scan - lenb) - (lastscan + lenf),
		                (pos - lenb) - (lastpos + lenf));
		if (rc != RP_OK)
			goto out;
		lastscan = scan - lenb;
		lastpos = pos - lenb;
		lastoffset = pos - scan;
		if (opts->progress != NULL && scan >= next_report) {
			opts->progress(opts->progress_ctx, (uint64_t)scan,
			               (uint64_t)nn);
			next_report = scan + (1 << 20);
		}
	}
out:
	return rc;
}

rp_err rp_delta_create(const uint8_t *old, size_t old_len, const uint8_t *new_,
                       size_t new_len, const struct rp_delta_create_opts *opts,
                       uint8_t **patch, size_t *patch_len)
{
	static const struct rp_delta_create_opts defaults = {0};
	lzma_options_lzma opt;
	lzma_filter filters[2];
	struct out *o = NULL; /* owned here */
	saidx_t *sa = NULL;   /* owned here */
	unsigned dict_log2;
	uint8_t *h;
	rp_err rc;

	if (patch == NULL || patch_len == NULL ||
	    (old == NULL && old_len > 0) || (new_ == NULL && new_len > 0)) {
		rc = RP_E_INVAL;
		goto out;
	}
	*patch = NULL;
	*patch_len = 0;
	if (opts == NULL)
		opts = &defaults;
	dict_log2 =
	    opts->dict_log2 == 0 ? RP_DELTA_DICT_LOG2_MAX : opts->dict_log2;
	if (dict_log2 < RP_DELTA_DICT_LOG2_MIN ||
	    dict_log2 > RP_DELTA_DICT_LOG2_MAX) {
		rc = RP_E_INVAL;
		goto out;
	}
	if (old_len > RP_DELTA_CREATE_MAX || new_len > RP_DELTA_CREATE_MAX) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	o = rp_calloc(1, sizeof *o);
	if (o == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	o->zs = (lzma_stream)LZMA_STREAM_INIT;
	o->zs.allocator = &lz_allocator;
	o->cap = 64 * 1024;
	o->buf = rp_malloc(o->cap);
	if (o->buf == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	o->len = RP_DELTA_HEADER_LEN;
	if (old_len > 0) {
		sa = rp_malloc(old_len * sizeof *sa);
		if (sa == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
		if (divsufsort(old, sa, (saidx_t)old_len) != 0) {
			rc = RP_E_NOMEM; /* its only failure is malloc's */
			goto out;
		}
	}
	if (lzma_lzma_preset(&opt, 9 | LZMA_PRESET_EXTREME)) {
		rc = RP_E_INTERNAL;
		goto out;
	}
	/* Literals by the 2 high bits of the byte before, no position bits:
	 * measured on the real pairs (bench/90-delta.sh), 0.3 to 1.7 % smaller
	 * than the preset's lc=3, pb=2; the decoder's memory is the same. */
	opt.lc = 2;
	opt.pb = 0;
	delta_lzma_filters(filters, &opt, dict_log2);
	rc = delta_lzma_init_err(lzma_raw_encoder(&o->zs, filters));
	if (rc != RP_OK)
		goto out;
	rc = diff(o, sa, old, (int64_t)old_len, new_, (int64_t)new_len, opts);
	if (rc == RP_OK)
		rc = pump(o, LZMA_FINISH);
	if (rc != RP_OK)
		goto out;

	h = o->buf;
	memset(h, 0, RP_DELTA_HEADER_LEN);
	rp_store_le32(h, RP_DELTA_MAGIC);
	rp_store_le16(h + 4, RP_DELTA_FORMAT);
	rp_store_le16(h + 6, RP_DELTA_HEADER_LEN);
	h[8] = RP_DELTA_CODEC_LZMA2;
	h[9] = (uint8_t)dict_log2;
	rp_store_le32(h + 12, lzma_crc32(h + RP_DELTA_HEADER_LEN,
	                                 o->len - RP_DELTA_HEADER_LEN, 0));
	rp_store_le64(h + 16, old_len);
	rp_store_le64(h + 24, new_len);
	rp_store_le64(h + 32, o->len - RP_DELTA_HEADER_LEN);
	rc = rp_sha256(old, old_len, h + 40);
	if (rc == RP_OK)
		rc = rp_sha256(new_, new_len, h + 72);
	if (rc != RP_OK)
		goto out;
	rp_store_le32(h + 108, lzma_crc32(h, 108, 0));
	if (opts->progress != NULL)
		opts->progress(opts->progress_ctx, new_len, new_len);
	*patch = o->buf;
	*patch_len = o->len;
	o->buf = NULL;
out:
	if (o != NULL) {
		lzma_end(&o->zs);
		rp_free(o->buf);
		rp_free(o);
	}
	rp_free(sa);
	return rc;
}
