/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image.c - the signed firmware image: header parse/encode, signature
 * section scan, and the streaming verifier (docs/image-format.md).
 * Freestanding: no heap, no stdio, no OS; all bytes come through struct
 * rp_image_src and all crypto through struct rp_crypto. Stack use is a
 * header, one signature entry and one hash state (< 1 KiB); the payload
 * streams through the caller's work buffer.
 */
#include <string.h>

#include "image_int.h"
#include "rampart/bytes.h"
#include "rampart/image.h"

/* Offsets of the header fields (include/rampart/image.h). */
enum {
	H_MAGIC = 0,
	H_FORMAT = 4,
	H_HDRLEN = 6,
	H_KIND = 8,
	H_COUNTER = 12,
	H_HW = 16,
	H_VMAJ = 48,
	H_VMIN = 52,
	H_VPAT = 56,
	H_RSV1 = 60,
	H_PLEN = 64,
	H_PSHA = 72,
	H_BSHA = 104,
	H_RSHA = 136,
	H_TIME = 168,
	H_RSV2 = 176,
};

_Static_assert(H_RSV2 + 16 == RP_IMAGE_HDR_SIZE, "header layout");
_Static_assert(sizeof(union rp_hash_state) >= RP_HASH_STATE_MAX, "state");

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* hw: 1..31 printable, non-space ASCII characters, then NULs only. */
static bool hw_valid(const uint8_t *p)
{
	size_t i = 0;

	while (i < RP_IMAGE_HW_MAX && p[i] != 0) {
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
		i++;
	}
	if (i == 0 || i == RP_IMAGE_HW_MAX)
		return false;
	return all_zero(p + i, RP_IMAGE_HW_MAX - i);
}

rp_err rp_image_hdr_parse(const uint8_t *buf, size_t len,
                          struct rp_image_hdr *out)
{
	rp_err rc = RP_OK;
	uint32_t kind;

	if (buf == NULL || out == NULL) {
		rc = RP_E_INVAL;
		goto out;
	}
	memset(out, 0, sizeof *out);
	if (len < 4) {
		rc = RP_E_IMAGE_TRUNCATED;
		goto out;
	}
	if (rp_load_le32(buf + H_MAGIC) != RP_IMAGE_MAGIC) {
		rc = RP_E_IMAGE_MAGIC;
		goto out;
	}
	if (len < RP_IMAGE_HDR_SIZE) {
		rc = RP_E_IMAGE_TRUNCATED;
		goto out;
	}
	if (rp_load_le16(buf + H_FORMAT) != RP_IMAGE_FORMAT) {
		rc = RP_E_IMAGE_VERSION;
		goto out;
	}
	kind = rp_load_le32(buf + H_KIND);
	if (rp_load_le16(buf + H_HDRLEN) != RP_IMAGE_HDR_SIZE ||
	    (kind != RP_IMAGE_FULL && kind != RP_IMAGE_DELTA) ||
	    !hw_valid(buf + H_HW) || !all_zero(buf + H_RSV1, 4) ||
	    !all_zero(buf + H_RSV2, 16)) {
		rc = RP_E_IMAGE_HEADER;
		goto out;
	}
	/* A full image names no base and no result. */
	if (kind == RP_IMAGE_FULL && (!all_zero(buf + H_BSHA, RP_SHA256_LEN) ||
	                              !all_zero(buf + H_RSHA, RP_SHA256_LEN))) {
		rc = RP_E_IMAGE_HEADER;
		goto out;
	}
	/* The end of the image must be representable, section included. */
	if (rp_load_le64(buf + H_PLEN) >
	    UINT64_MAX - RP_IMAGE_HDR_SIZE - RP_SIGSEC_MAX) {
		rc = RP_E_IMAGE_HEADER;
		goto out;
	}
	out->format = RP_IMAGE_FORMAT;
	out->hdr_len = RP_IMAGE_HDR_SIZE;
	out->kind = kind;
	out->counter = rp_load_le32(buf + H_COUNTER);
	memcpy(out->hw, buf + H_HW, RP_IMAGE_HW_MAX);
	out->ver_major = rp_load_le32(buf + H_VMAJ);
	out->ver_minor = rp_load_le32(buf + H_VMIN);
	out->ver_patch = rp_load_le32(buf + H_VPAT);
	out->payload_len = rp_load_le64(buf + H_PLEN);
	memcpy(out->payload_sha256, buf + H_PSHA, RP_SHA256_LEN);
	memcpy(out->base_sha256, buf + H_BSHA, RP_SHA256_LEN);
	memcpy(out->result_sha256, buf + H_RSHA, RP_SHA256_LEN);
	out->build_time = rp_load_le64(buf + H_TIME);
out:
	return rc;
}

void rp_image_hdr_encode(const struct rp_image_hdr *h,
                         uint8_t out[RP_IMAGE_HDR_SIZE])
{
	size_t n = 0;

	memset(out, 0, RP_IMAGE_HDR_SIZE);
	rp_store_le32(out + H_MAGIC, RP_IMAGE_MAGIC);
	rp_store_le16(out + H_FORMAT, RP_IMAGE_FORMAT);
	rp_store_le16(out + H_HDRLEN, RP_IMAGE_HDR_SIZE);
	rp_store_le32(out + H_KIND, h->kind);
	rp_store_le32(out + H_COUNTER, h->counter);
	while (n < RP_IMAGE_HW_MAX - 1 && h->hw[n] != '\0')
		n++;
	memcpy(out + H_HW, h->hw, n);
	rp_store_le32(out + H_VMAJ, h->ver_major);
	rp_store_le32(out + H_VMIN, h->ver_minor);
	rp_store_le32(out + H_VPAT, h->ver_patch);
	rp_store_le64(out + H_PLEN, h->payload_len);
	memcpy(out + H_PSHA, h->payload_sha256, RP_SHA256_LEN);
	memcpy(out + H_BSHA, h->base_sha256, RP_SHA256_LEN);
	memcpy(out + H_RSHA, h->result_sha256, RP_SHA256_LEN);
	rp_store_le64(out + H_TIME, h->build_time);
}

rp_err rp_pubkey_init(struct rp_pubkey *pk, uint8_t alg, const uint8_t *key,
                      size_t len, const struct rp_crypto *crypto)
{
	union rp_hash_state st;
	rp_err rc;

	memset(pk, 0, sizeof *pk);
	if (alg == RP_ALG_ED25519) {
		rc = len == RP_ED25519_KEY_LEN ? RP_OK : RP_E_KEY_FORMAT;
	} else if (alg == RP_ALG_P256_SHA256) {
		rc = len == RP_P256_KEY_LEN && key[0] == 0x04 ? RP_OK
		                                              : RP_E_KEY_FORMAT;
	} else {
		rc = RP_E_SIG_ALG;
	}
	if (rc != RP_OK)
		goto out;
	pk->alg = alg;
	pk->len = (uint8_t)len;
	memcpy(pk->key, key, len);
	rc = crypto->sha256_init(crypto->ctx, &st);
	if (rc == RP_OK)
		rc = crypto->sha256_update(crypto->ctx, &st, &alg, 1);
	if (rc == RP_OK)
		rc = crypto->sha256_update(crypto->ctx, &st, key, len);
	if (rc == RP_OK)
		rc = crypto->sha256_final(crypto->ctx, &st, pk->id);
out:
	return rc;
}

static rp_err mem_read(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	const struct rp_mem_src *m = ctx;

	if (off > m->len || len > m->len - off)
		return RP_E_IMAGE_TRUNCATED;
	memcpy(buf, m->buf + off, len);
	return RP_OK;
}

void rp_image_src_mem(struct rp_image_src *src, struct rp_mem_src *mem,
                      const uint8_t *buf, size_t len)
{
	mem->buf = buf;
	mem->len = len;
	src->ctx = mem;
	src->read = mem_read;
	src->size = len;
}

/* Read exactly len bytes at off; RP_E_IMAGE_TRUNCATED past src->size. */
static rp_err src_read(const struct rp_image_src *src, uint64_t off,
                       uint8_t *buf, size_t len)
{
	if (off > src->size || len > src->size - off)
		return RP_E_IMAGE_TRUNCATED;
	return src->read(src->ctx, off, buf, len);
}

/* Check one entry's fixed part (4 bytes); OUT: *siglen. */
static rp_err entry_check(const uint8_t *e, size_t *siglen)
{
	size_t n = rp_load_le16(e + 2);
	rp_err rc = RP_OK;

	if (e[0] != RP_ALG_ED25519 && e[0] != RP_ALG_P256_SHA256)
		rc = RP_E_SIG_ALG;
	else if (e[1] != 0)
		rc = RP_E_IMAGE_SIGSECTION;
	else if (e[0] == RP_ALG_ED25519 && n != RP_ED25519_SIG_LEN)
		rc = RP_E_IMAGE_SIGSECTION;
	else if (e[0] == RP_ALG_P256_SHA256 &&
	         (n < RP_P256_SIG_MIN || n > RP_SIG_MAX))
		rc = RP_E_IMAGE_SIGSECTION;
	*siglen = n;
	return rc;
}

rp_err rp_sigsec_scan(const struct rp_image_src *src, uint64_t off,
                      uint64_t *end)
{
	uint8_t h[RP_SIGSEC_HDR_SIZE];
	unsigned count, i;
	size_t siglen;
	rp_err rc;

	rc = src_read(src, off, h, 4);
	if (rc != RP_OK)
		goto out;
	if (rp_load_le32(h) != RP_SIGSEC_MAGIC) {
		rc = RP_E_IMAGE_SIGSECTION;
		goto out;
	}
	rc = src_read(src, off + 4, h + 4, 4);
	if (rc != RP_OK)
		goto out;
	count = rp_load_le16(h + 4);
	if (count == 0 || count > RP_IMAGE_MAX_SIGS ||
	    rp_load_le16(h + 6) != 0) {
		rc = RP_E_IMAGE_SIGSECTION;
		goto out;
	}
	off += RP_SIGSEC_HDR_SIZE;
	for (i = 0; i < count; i++) {
		rc = src_read(src, off, h, 4);
		if (rc != RP_OK)
			goto out;
		rc = entry_check(h, &siglen);
		if (rc != RP_OK)
			goto out;
		off += RP_SIG_ENTRY_HDR + siglen;
		if (off > src->size) {
			rc = RP_E_IMAGE_TRUNCATED;
			goto out;
		}
	}
	*end = off;
out:
	return rc;
}

static const struct rp_pubkey *find_key(const struct rp_keyset *ks,
                                        const uint8_t *id)
{
	unsigned i;

	for (i = 0; i < ks->nkeys && i < RP_KEYSET_MAX_KEYS; i++) {
		if (memcmp(ks->keys[i].id, id, RP_KEYID_LEN) == 0)
			return &ks->keys[i];
	}
	return NULL;
}

bool rp_keyset_is_revoked(const struct rp_keyset *ks,
                          const uint8_t id[RP_KEYID_LEN])
{
	unsigned i;

	for (i = 0; i < ks->nrevoked && i < RP_KEYSET_MAX_REVOKED; i++) {
		if (memcmp(ks->revoked[i], id, RP_KEYID_LEN) == 0)
			return true;
	}
	return false;
}

/*
 * Verify the (already scanned) signature section at off over msg: count
 * valid signatures by distinct keys of signers that neither signers nor
 * also_revoked (may be NULL) revokes, and compare with threshold. rep may
 * be NULL. Returns RP_OK, or why the threshold was not reached: a bad
 * signature by a trusted key first, then a revoked key, then too few, then
 * an unknown key (when no signature at all was by a trusted key).
 */
rp_err image_sigsec_verify(const struct rp_image_src *src, uint64_t off,
                           const uint8_t *msg, size_t msglen,
                           const struct rp_keyset *signers,
                           const struct rp_keyset *also_revoked,
                           unsigned threshold, const struct rp_crypto *crypto,
                           struct rp_image_report *rep)
{
	uint8_t e[RP_SIG_ENTRY_HDR + RP_SIG_MAX];
	uint8_t used[RP_KEYSET_MAX_KEYS] = {0};
	unsigned count, i, nvalid = 0;
	bool bad = false, revoked = false, unknown = false;
	const struct rp_pubkey *pk;
	size_t siglen;
	uint8_t st;
	rp_err rc;

	rc = src_read(src, off, e, RP_SIGSEC_HDR_SIZE);
	if (rc != RP_OK)
		goto out;
	count = rp_load_le16(e + 4);
	if (count == 0 || count > RP_IMAGE_MAX_SIGS) {
		rc = RP_E_IMAGE_SIGSECTION; /* not scanned first */
		goto out;
	}
	if (rep != NULL)
		rep->nsigs = (uint8_t)count;
	off += RP_SIGSEC_HDR_SIZE;
	for (i = 0; i < count; i++) {
		rc = src_read(src, off, e, 4);
		if (rc != RP_OK)
			goto out;
		rc = entry_check(e, &siglen);
		if (rc != RP_OK)
			goto out;
		rc = src_read(src, off + 4, e + 4,
		              RP_SIG_ENTRY_HDR - 4 + siglen);
		if (rc != RP_OK)
			goto out;
		off += RP_SIG_ENTRY_HDR + siglen;
		pk = find_key(signers, e + 4);
		if (rp_keyset_is_revoked(signers, e + 4) ||
		    (also_revoked != NULL &&
		     rp_keyset_is_revoked(also_revoked, e + 4))) {
			st = RP_SIGSTAT_REVOKED;
			revoked = true;
		} else if (pk == NULL || pk->alg != e[0]) {
			st = RP_SIGSTAT_UNKNOWN;
			unknown = true;
		} else if (crypto->verify(crypto->ctx, pk, msg, msglen,
		                          e + RP_SIG_ENTRY_HDR,
		                          siglen) != RP_OK) {
			st = RP_SIGSTAT_BAD;
			bad = true;
		} else if (used[pk - signers->keys]) {
			st = RP_SIGSTAT_DUPLICATE;
		} else {
			used[pk - signers->keys] = 1;
			st = RP_SIGSTAT_VALID;
			nvalid++;
		}
		if (rep != NULL) {
			rep->sig_ok[i] = st;
			rep->sig_alg[i] = e[0];
			memcpy(rep->sig_keyid[i], e + 4, RP_KEYID_LEN);
			rep->nvalid = (uint8_t)nvalid;
		}
	}
	if (threshold == 0)
		rc = RP_E_KEYSET;
	else if (nvalid >= threshold)
		rc = RP_OK;
	else if (bad)
		rc = RP_E_SIG_BAD;
	else if (revoked)
		rc = RP_E_KEY_REVOKED;
	else if (nvalid > 0 || !unknown)
		rc = RP_E_SIG_THRESHOLD;
	else
		rc = RP_E_SIG_UNKNOWN_KEY;
out:
	return rc;
}

static bool hw_equal(const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < RP_IMAGE_HW_MAX; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return false;
}

/* Hash payload_len bytes at off through work; OUT: digest. */
static rp_err hash_payload(const struct rp_image_src *src, uint64_t off,
                           uint64_t len, const struct rp_crypto *crypto,
                           uint8_t *work, size_t worklen,
                           uint8_t digest[RP_SHA256_LEN])
{
	union rp_hash_state st;
	size_t n;
	rp_err rc;

	rc = crypto->sha256_init(crypto->ctx, &st);
	while (rc == RP_OK && len > 0) {
		n = len < worklen ? (size_t)len : worklen;
		rc = src_read(src, off, work, n);
		if (rc == RP_OK)
			rc = crypto->sha256_update(crypto->ctx, &st, work, n);
		off += n;
		len -= n;
	}
	if (rc == RP_OK)
		rc = crypto->sha256_final(crypto->ctx, &st, digest);
	return rc;
}

/*
 * Verification order (docs/image-format.md): structure first (header,
 * signature section, size), then signatures over the header, then what the
 * now-trusted header says (hardware, counter), then the payload hash, the
 * one step whose cost grows with the image.
 */
rp_err rp_image_verify(const struct rp_image_src *src,
                       const struct rp_keyset *trust,
                       const struct rp_crypto *crypto,
                       const struct rp_image_policy *policy, uint8_t *work,
                       size_t worklen, struct rp_image_report *rep)
{
	uint8_t hdr[RP_IMAGE_HDR_SIZE];
	uint8_t digest[RP_SHA256_LEN];
	struct rp_image_report local;
	struct rp_image_hdr h;
	uint64_t end;
	size_t n;
	rp_err rc;

	if (rep == NULL)
		rep = &local;
	memset(rep, 0, sizeof *rep);
	if (src == NULL || src->read == NULL || trust == NULL ||
	    crypto == NULL || work == NULL || worklen < 64) {
		rc = RP_E_INVAL;
		goto out;
	}
	rc = rp_keyset_check(trust);
	if (rc != RP_OK)
		goto out;
	n = src->size < RP_IMAGE_HDR_SIZE ? (size_t)src->size
	                                  : RP_IMAGE_HDR_SIZE;
	rc = src_read(src, 0, hdr, n);
	if (rc != RP_OK)
		goto out;
	rc = rp_image_hdr_parse(hdr, n, &h);
	if (rc != RP_OK)
		goto out;
	rep->hdr = h;
	if (h.payload_len > src->size - RP_IMAGE_HDR_SIZE) {
		rc = RP_E_IMAGE_TRUNCATED;
		goto out;
	}
	rc = rp_sigsec_scan(src, RP_IMAGE_HDR_SIZE + h.payload_len, &end);
	if (rc != RP_OK)
		goto out;
	rep->total_len = end;
	if (policy != NULL && policy->exact_size && end != src->size) {
		rc = RP_E_IMAGE_TRAILING;
		goto out;
	}
	rc = image_sigsec_verify(src, RP_IMAGE_HDR_SIZE + h.payload_len, hdr,
	                         RP_IMAGE_HDR_SIZE, trust, NULL,
	                         trust->threshold, crypto, rep);
	if (rc != RP_OK)
		goto out;
	if (policy != NULL && policy->hw != NULL &&
	    !hw_equal(policy->hw, h.hw)) {
		rc = RP_E_IMAGE_HW;
		goto out;
	}
	if (policy != NULL && h.counter < policy->min_counter) {
		rc = RP_E_IMAGE_COUNTER;
		goto out;
	}
	rc = hash_payload(src, RP_IMAGE_HDR_SIZE, h.payload_len, crypto, work,
	                  worklen, digest);
	if (rc != RP_OK)
		goto out;
	if (memcmp(digest, h.payload_sha256, RP_SHA256_LEN) != 0)
		rc = RP_E_IMAGE_HASH;
out:
	return rc;
}
