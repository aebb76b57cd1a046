/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.c - SHA-256 (FIPS 180-4 section 6.2), written for size rather
 * than speed, freestanding, and the struct rp_crypto of sha256.h.
 */
#include "sha256.h"

_Static_assert(sizeof(struct rpb_sha256) <= RP_HASH_STATE_MAX,
               "state fits the verifier's hash state");

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void block(struct rpb_sha256 *s, const uint8_t *p)
{
	uint32_t w[16], v[8], t1, t2, s0, s1;
	unsigned i;

	for (i = 0; i < 8; i++)
		v[i] = s->h[i];
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			w[i] = load_be32(p + 4 * i);
		} else {
			s0 = w[(i + 1) & 15];
			s1 = w[(i + 14) & 15];
			s0 = ror(s0, 7) ^ ror(s0, 18) ^ (s0 >> 3);
			s1 = ror(s1, 17) ^ ror(s1, 19) ^ (s1 >> 10);
			w[i & 15] += s0 + s1 + w[(i + 9) & 15];
		}
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i & 15];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		v[7] = v[6];
		v[6] = v[5];
		v[5] = v[4];
		v[4] = v[3] + t1;
		v[3] = v[2];
		v[2] = v[1];
		v[1] = v[0];
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
}

void rpb_sha256_init(struct rpb_sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
	                               0xa54ff53a, 0x510e527f, 0x9b05688c,
	                               0x1f83d9ab, 0x5be0cd19};
	unsigned i;

	for (i = 0; i < 8; i++)
		s->h[i] = iv[i];
	s->len = 0;
	s->n = 0;
}

void rpb_sha256_update(struct rpb_sha256 *s, const uint8_t *p, size_t len)
{
	s->len += len;
	while (len > 0) {
		if (s->n == 0 && len >= 64) {
			block(s, p);
			p += 64;
			len -= 64;
			continue;
		}
		s->buf[s->n++] = *p++;
		len--;
		if (s->n == 64) {
			block(s, s->buf);
			s->n = 0;
		}
	}
}

void rpb_sha256_final(struct rpb_sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	unsigned i;

	s->buf[s->n++] = 0x80;
	if (s->n > 56) {
		while (s->n < 64)
			s->buf[s->n++] = 0;
		block(s, s->buf);
		s->n = 0;
	}
	while (s->n < 56)
		s->buf[s->n++] = 0;
	for (i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	block(s, s->buf);
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, s->h[i]);
}

static rp_err c_init(void *ctx, void *state)
{
	(void)ctx;
	rpb_sha256_init(state);
	return RP_OK;
}

static rp_err c_update(void *ctx, void *state, const uint8_t *data, size_t len)
{
	(void)ctx;
	rpb_sha256_update(state, data, len);
	return RP_OK;
}

static rp_err c_final(void *ctx, void *state, uint8_t out[RP_SHA256_LEN])
{
	(void)ctx;
	rpb_sha256_final(state, out);
	return RP_OK;
}

static rp_err no_verify(void *ctx, const struct rp_pubkey *pub,
                        const uint8_t *msg, size_t msglen, const uint8_t *sig,
                        size_t siglen)
{
	(void)ctx;
	(void)pub;
	(void)msg;
	(void)msglen;
	(void)sig;
	(void)siglen;
	return RP_E_SIG_ALG;
}

void rpb_crypto_init(struct rp_crypto *c,
                     rp_err (*verify)(void *ctx, const struct rp_pubkey *pub,
                                      const uint8_t *msg, size_t msglen,
                                      const uint8_t *sig, size_t siglen))
{
	c->ctx = 0;
	c->sha256_init = c_init;
	c->sha256_update = c_update;
	c->sha256_final = c_final;
	c->verify = verify != 0 ? verify : no_verify;
}
