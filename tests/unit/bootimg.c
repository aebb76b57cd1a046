/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootimg.c - signed test images from the documented wire layout, signed
 * with libsodium, and a libsodium crypto port (bootimg.h).
 */
#include "bootimg.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/bytes.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= RP_HASH_STATE_MAX,
               "sha256 state fits");

static void key_id(uint8_t alg, const uint8_t *pk, size_t len,
                   uint8_t id[RP_KEYID_LEN])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &alg, 1);
	crypto_hash_sha256_update(&st, pk, len);
	crypto_hash_sha256_final(&st, id);
}

void timg_key(struct timg_key *k, uint8_t seed)
{
	uint8_t s[32];

	if (sodium_init() < 0)
		abort();
	memset(s, seed, sizeof s);
	crypto_sign_seed_keypair(k->pk, k->sk, s);
	memset(&k->pub, 0, sizeof k->pub);
	k->pub.alg = RP_ALG_ED25519;
	k->pub.len = 32;
	memcpy(k->pub.key, k->pk, 32);
	key_id(RP_ALG_ED25519, k->pk, 32, k->pub.id);
}

void timg_keyset(struct rp_keyset *ks, const struct timg_key *keys, size_t n,
                 unsigned k, uint32_t epoch)
{
	size_t i;

	memset(ks, 0, sizeof *ks);
	ks->epoch = epoch;
	ks->threshold = (uint8_t)k;
	ks->nkeys = (uint8_t)n;
	for (i = 0; i < n; i++)
		ks->keys[i] = keys[i].pub;
}

size_t timg_make(uint8_t *out, size_t cap, const struct timg_key *keys,
                 size_t n, const char *hw, uint32_t counter,
                 uint32_t payload_len, uint8_t fill)
{
	uint8_t *h = out, *p, *s;
	size_t i, total;

	total = RP_IMAGE_HDR_SIZE + payload_len + 8 + n * (36 + 64);
	if (total > cap || strlen(hw) >= RP_IMAGE_HW_MAX)
		abort();
	memset(out, 0, total);
	p = out + RP_IMAGE_HDR_SIZE;
	for (i = 0; i < payload_len; i++)
		p[i] = (uint8_t)(fill + i * 31 + (i >> 8));
	rp_store_le32(h, RP_IMAGE_MAGIC);
	rp_store_le16(h + 4, RP_IMAGE_FORMAT);
	rp_store_le16(h + 6, RP_IMAGE_HDR_SIZE);
	rp_store_le32(h + 8, RP_IMAGE_FULL);
	rp_store_le32(h + 12, counter);
	memcpy(h + 16, hw, strlen(hw));
	rp_store_le32(h + 48, counter);
	rp_store_le64(h + 64, payload_len);
	crypto_hash_sha256(h + 72, p, payload_len);
	rp_store_le64(h + 168, 1700000000u + counter);
	s = p + payload_len;
	rp_store_le32(s, RP_SIGSEC_MAGIC);
	rp_store_le16(s + 4, (uint16_t)n);
	s += 8;
	for (i = 0; i < n; i++) {
		s[0] = RP_ALG_ED25519;
		rp_store_le16(s + 2, 64);
		memcpy(s + 4, keys[i].pub.id, RP_KEYID_LEN);
		crypto_sign_detached(s + 36, NULL, h, RP_IMAGE_HDR_SIZE,
		                     keys[i].sk);
		s += 36 + 64;
	}
	return total;
}

static rp_err c_init(void *ctx, void *state)
{
	(void)ctx;
	crypto_hash_sha256_init(state);
	return RP_OK;
}

static rp_err c_update(void *ctx, void *state, const uint8_t *d, size_t n)
{
	(void)ctx;
	crypto_hash_sha256_update(state, d, n);
	return RP_OK;
}

static rp_err c_final(void *ctx, void *state, uint8_t out[RP_SHA256_LEN])
{
	(void)ctx;
	crypto_hash_sha256_final(state, out);
	return RP_OK;
}

static rp_err c_verify(void *ctx, const struct rp_pubkey *pub,
                       const uint8_t *msg, size_t msglen, const uint8_t *sig,
                       size_t siglen)
{
	(void)ctx;
	if (pub->alg != RP_ALG_ED25519)
		return RP_E_SIG_ALG;
	if (pub->len != 32 || siglen != 64)
		return RP_E_SIG_BAD;
	return crypto_sign_verify_detached(sig, msg, msglen, pub->key) == 0
	           ? RP_OK
	           : RP_E_SIG_BAD;
}

const struct rp_crypto *timg_crypto(void)
{
	static const struct rp_crypto c = {NULL, c_init, c_update, c_final,
	                                   c_verify};

	if (sodium_init() < 0)
		abort();
	return &c;
}

void tdev_init(struct tdev *d, uint32_t nsectors, uint32_t sector_size,
               const struct rp_keyset *ks, const char *hw)
{
	memset(d, 0, sizeof *d);
	sim_init(&d->sim, nsectors * sector_size, sector_size, 8);
	if (rp_boot_layout_default(&d->sim.f, &d->l) != RP_OK)
		abort();
	d->ks = *ks;
	d->ctx.flash = &d->sim.f;
	d->ctx.layout = &d->l;
	d->ctx.trust = &d->ks;
	d->ctx.crypto = timg_crypto();
	d->ctx.hw = hw;
	d->ctx.work = d->work;
	d->ctx.worklen = sizeof d->work;
}

void tdev_free(struct tdev *d)
{
	sim_free(&d->sim);
}

rp_err tdev_install(struct tdev *d, int slot, const uint8_t *img, size_t len)
{
	uint8_t page[TDEV_PAGE];
	uint32_t off = d->l.slot_off[slot];
	size_t i, n, w;
	rp_err rc;

	if (len > d->l.slot_size)
		return RP_E_TOO_BIG;
	rc = rp_flash_erase_range(&d->sim.f, off, d->l.slot_size);
	for (i = 0; rc == RP_OK && i < len; i += n) {
		n = len - i < TDEV_PAGE ? len - i : TDEV_PAGE;
		memset(page, 0xff, sizeof page);
		memcpy(page, img + i, n);
		w = (n + 7) & ~(size_t)7;
		rc = rp_flash_write(&d->sim.f, off + (uint32_t)i, page, w);
	}
	return rc;
}

uint32_t tdev_boot(struct tdev *d, struct rp_boot_result *res)
{
	return rp_boot_run(&d->ctx, res);
}
