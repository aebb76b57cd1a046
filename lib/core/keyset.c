/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyset.c - trusted key sets ("RPKS"): encode, strict parse, and the
 * rotation rule (docs/image-format.md, "Key sets"): a new set is accepted
 * only if its epoch is higher, it keeps every revocation, and k of the
 * current set's unrevoked keys signed it. Freestanding like image.c.
 */
#include <string.h>

#include "image_int.h"
#include "rampart/bytes.h"
#include "rampart/image.h"

static size_t key_len(uint8_t alg)
{
	if (alg == RP_ALG_ED25519)
		return RP_ED25519_KEY_LEN;
	if (alg == RP_ALG_P256_SHA256)
		return RP_P256_KEY_LEN;
	return 0;
}

rp_err rp_keyset_check(const struct rp_keyset *ks)
{
	unsigned i, j;
	rp_err rc = RP_E_KEYSET;

	if (ks->nkeys == 0 || ks->nkeys > RP_KEYSET_MAX_KEYS ||
	    ks->threshold == 0 || ks->threshold > ks->nkeys ||
	    ks->nrevoked > RP_KEYSET_MAX_REVOKED)
		goto out;
	for (i = 0; i < ks->nkeys; i++) {
		if (key_len(ks->keys[i].alg) == 0 ||
		    ks->keys[i].len != key_len(ks->keys[i].alg))
			goto out;
		if (rp_keyset_is_revoked(ks, ks->keys[i].id))
			goto out;
		for (j = 0; j < i; j++) {
			if (memcmp(ks->keys[i].id, ks->keys[j].id,
			           RP_KEYID_LEN) == 0)
				goto out;
		}
	}
	for (i = 0; i < ks->nrevoked; i++) {
		for (j = 0; j < i; j++) {
			if (memcmp(ks->revoked[i], ks->revoked[j],
			           RP_KEYID_LEN) == 0)
				goto out;
		}
	}
	rc = RP_OK;
out:
	return rc;
}

rp_err rp_keyset_encode_body(const struct rp_keyset *ks, uint8_t *out,
                             size_t cap, size_t *outlen)
{
	size_t n = RP_KEYSET_HDR_SIZE, need = RP_KEYSET_HDR_SIZE;
	unsigned i;
	rp_err rc;

	rc = rp_keyset_check(ks);
	if (rc != RP_OK)
		goto out;
	for (i = 0; i < ks->nkeys; i++)
		need += 2 + (size_t)ks->keys[i].len;
	need += (size_t)ks->nrevoked * RP_KEYID_LEN;
	if (need > cap) {
		rc = RP_E_BUFFER;
		goto out;
	}
	memset(out, 0, RP_KEYSET_HDR_SIZE);
	rp_store_le32(out, RP_KEYSET_MAGIC);
	rp_store_le16(out + 4, RP_KEYSET_FORMAT);
	out[6] = ks->threshold;
	out[7] = ks->nkeys;
	rp_store_le32(out + 8, ks->epoch);
	out[12] = ks->nrevoked;
	for (i = 0; i < ks->nkeys; i++) {
		out[n] = ks->keys[i].alg;
		out[n + 1] = ks->keys[i].len;
		memcpy(out + n + 2, ks->keys[i].key, ks->keys[i].len);
		n += 2 + (size_t)ks->keys[i].len;
	}
	for (i = 0; i < ks->nrevoked; i++) {
		memcpy(out + n, ks->revoked[i], RP_KEYID_LEN);
		n += RP_KEYID_LEN;
	}
	*outlen = n;
out:
	return rc;
}

/* Parse the body; OUT: *bodylen. Structure only. */
static rp_err parse_body(const uint8_t *buf, size_t len,
                         const struct rp_crypto *crypto, struct rp_keyset *ks,
                         size_t *bodylen)
{
	size_t n = RP_KEYSET_HDR_SIZE, kl;
	unsigned i;
	rp_err rc = RP_E_KEYSET;

	memset(ks, 0, sizeof *ks);
	if (len < RP_KEYSET_HDR_SIZE || rp_load_le32(buf) != RP_KEYSET_MAGIC ||
	    rp_load_le16(buf + 4) != RP_KEYSET_FORMAT || buf[13] != 0 ||
	    buf[14] != 0 || buf[15] != 0)
		goto out;
	ks->threshold = buf[6];
	ks->nkeys = buf[7];
	ks->epoch = rp_load_le32(buf + 8);
	ks->nrevoked = buf[12];
	if (ks->nkeys == 0 || ks->nkeys > RP_KEYSET_MAX_KEYS ||
	    ks->nrevoked > RP_KEYSET_MAX_REVOKED)
		goto out;
	for (i = 0; i < ks->nkeys; i++) {
		if (len - n < 2)
			goto out;
		kl = key_len(buf[n]);
		if (kl == 0) {
			rc = RP_E_SIG_ALG;
			goto out;
		}
		if (buf[n + 1] != kl) {
			rc = RP_E_KEY_FORMAT;
			goto out;
		}
		if (len - n - 2 < kl)
			goto out; /* cut short: RP_E_KEYSET */
		rc = rp_pubkey_init(&ks->keys[i], buf[n], buf + n + 2, kl,
		                    crypto);
		if (rc != RP_OK)
			goto out;
		rc = RP_E_KEYSET;
		n += 2 + kl;
	}
	if ((len - n) / RP_KEYID_LEN < ks->nrevoked)
		goto out;
	for (i = 0; i < ks->nrevoked; i++) {
		memcpy(ks->revoked[i], buf + n, RP_KEYID_LEN);
		n += RP_KEYID_LEN;
	}
	rc = rp_keyset_check(ks);
	if (rc != RP_OK)
		goto out;
	*bodylen = n;
out:
	return rc;
}

rp_err rp_keyset_parse(const uint8_t *buf, size_t len,
                       const struct rp_crypto *crypto, struct rp_keyset *out,
                       size_t *bodylen)
{
	struct rp_image_src src;
	struct rp_mem_src mem;
	uint64_t end;
	size_t body = 0;
	rp_err rc;

	if (buf == NULL || crypto == NULL || out == NULL) {
		rc = RP_E_INVAL;
		goto out;
	}
	if (len > RP_KEYSET_MAX_SIZE) {
		rc = RP_E_KEYSET;
		goto out;
	}
	rc = parse_body(buf, len, crypto, out, &body);
	if (rc != RP_OK)
		goto out;
	rp_image_src_mem(&src, &mem, buf, len);
	rc = rp_sigsec_scan(&src, body, &end);
	if (rc != RP_OK)
		goto out;
	if (end != len) {
		rc = RP_E_IMAGE_TRAILING;
		goto out;
	}
	if (bodylen != NULL)
		*bodylen = body;
out:
	if (rc != RP_OK && out != NULL)
		memset(out, 0, sizeof *out);
	return rc;
}

rp_err rp_keyset_accept(const struct rp_keyset *current, const uint8_t *buf,
                        size_t len, const struct rp_crypto *crypto,
                        struct rp_keyset *out, struct rp_image_report *rep)
{
	struct rp_keyset next;
	const struct rp_keyset *signers;
	struct rp_image_src src;
	struct rp_mem_src mem;
	size_t body = 0;
	unsigned i;
	rp_err rc;

	if (rep != NULL)
		memset(rep, 0, sizeof *rep);
	if (out == NULL) {
		rc = RP_E_INVAL;
		goto out;
	}
	rc = rp_keyset_parse(buf, len, crypto, &next, &body);
	if (rc != RP_OK)
		goto out;
	if (current != NULL) {
		rc = rp_keyset_check(current);
		if (rc != RP_OK)
			goto out;
		if (next.epoch <= current->epoch) {
			rc = RP_E_KEYSET_EPOCH;
			goto out;
		}
		for (i = 0; i < current->nrevoked; i++) {
			if (!rp_keyset_is_revoked(&next, current->revoked[i])) {
				rc = RP_E_KEYSET_UNREVOKED;
				goto out;
			}
		}
	}
	signers = current != NULL ? current : &next;
	rp_image_src_mem(&src, &mem, buf, len);
	if (rep != NULL)
		rep->total_len = len;
	rc = image_sigsec_verify(&src, body, buf, body, signers, &next,
	                         signers->threshold, crypto, rep);
	if (rc != RP_OK)
		goto out;
	*out = next;
out:
	return rc;
}
