/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ed25519_verify.c - Ed25519 signature verification (RFC 8032 section
 * 5.1.7) and SHA-512 (FIPS 180-4 section 6.4), written for size rather
 * than speed, freestanding (no heap, no libc beyond memcpy/memset, no
 * OS), and the struct rp_crypto verify function of ed25519_verify.h.
 *
 * The arithmetic follows TweetNaCl's structure: a field element of
 * GF(2^255 - 19) is 16 limbs of 16 bits held in int64_t, points are in
 * extended twisted Edwards coordinates (X:Y:Z:T), x = X/Z, y = Y/Z,
 * xy = T/Z (RFC 8032 section 5.1.4).
 *
 * Verification handles public data only (key, message, signature), so
 * this code is NOT constant time: it branches on scalar bits and on the
 * outcome of each check. It must not be used for signing.
 *
 * What is checked, in this order (the order and the checks of libsodium
 * 1.0.18's crypto_sign_verify_detached, without ED25519_COMPAT):
 *  1. S, the second half of the signature, is canonical: S < L
 *     (RFC 8032 5.1.7 step 1).
 *  2. R, the first half, is not one of the small-order encodings
 *     (libsodium's blacklist, sign bit ignored: y = 0, 1, p - 1, the two
 *     y of the points of order 8, and the non-canonical p and p + 1).
 *  3. A, the public key, is canonical (y < p, sign bit ignored) and not
 *     a small-order encoding (the same list).
 *  4. A decodes to a point (RFC 8032 5.1.3); a y with no x is refused.
 *  5. k = SHA-512(R || A || M) mod L (5.1.7 step 2), and the encoding
 *     of [S]B - [k]A equals R byte for byte: the cofactorless check
 *     [S]B = R + [k]A (5.1.7 step 3 without the factor 8), as libsodium
 *     does. Since our encoding is canonical, a non-canonical R never
 *     matches.
 * Difference from libsodium: none known in the verdict. RFC 8032 5.1.3
 * refuses x = 0 with the sign bit set, libsodium does not; the only
 * points with x = 0 are y = 1 and y = -1, both refused by the small-order
 * list, so the verdicts agree. Test: tests/unit/test_mcu_ed25519.c.
 */
#include <string.h>

#include "ed25519_verify.h"

/* Keep the large steps out of line: inlined, their frames would add up
 * in rpb_ed25519_verify's instead of following one another. */
#define NOINLINE __attribute__((noinline))

/* ---- SHA-512 (FIPS 180-4 sections 5.3.5 and 6.4) ---- */

static const uint64_t K[80] = {
    0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full,
    0xe9b5dba58189dbbcull, 0x3956c25bf348b538ull, 0x59f111f1b605d019ull,
    0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull, 0xd807aa98a3030242ull,
    0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
    0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull,
    0xc19bf174cf692694ull, 0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull,
    0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull, 0x2de92c6f592b0275ull,
    0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
    0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full,
    0xbf597fc7beef0ee4ull, 0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull,
    0x06ca6351e003826full, 0x142929670a0e6e70ull, 0x27b70a8546d22ffcull,
    0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
    0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull,
    0x92722c851482353bull, 0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull,
    0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull, 0xd192e819d6ef5218ull,
    0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
    0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull,
    0x34b0bcb5e19b48a8ull, 0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull,
    0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull, 0x748f82ee5defb2fcull,
    0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
    0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull,
    0xc67178f2e372532bull, 0xca273eceea26619cull, 0xd186b8c721c0c207ull,
    0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull, 0x06f067aa72176fbaull,
    0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
    0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull,
    0x431d67c49c100d4cull, 0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull,
    0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};

static uint64_t ror64(uint64_t x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void sha512_block(struct rpb_sha512 *s, const uint8_t *p)
{
	uint64_t w[16], v[8], t1, t2, s0, s1;
	unsigned i, j;

	for (i = 0; i < 8; i++)
		v[i] = s->h[i];
	for (i = 0; i < 80; i++) {
		if (i < 16) {
			w[i] = load_be64(p + 8 * i);
		} else {
			s0 = w[(i + 1) & 15];
			s1 = w[(i + 14) & 15];
			s0 = ror64(s0, 1) ^ ror64(s0, 8) ^ (s0 >> 7);
			s1 = ror64(s1, 19) ^ ror64(s1, 61) ^ (s1 >> 6);
			w[i & 15] += s0 + s1 + w[(i + 9) & 15];
		}
		t1 = v[7] +
		     (ror64(v[4], 14) ^ ror64(v[4], 18) ^ ror64(v[4], 41)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i & 15];
		t2 = (ror64(v[0], 28) ^ ror64(v[0], 34) ^ ror64(v[0], 39)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		for (j = 7; j > 0; j--)
			v[j] = v[j - 1];
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
}

void rpb_sha512_init(struct rpb_sha512 *s)
{
	static const uint64_t iv[8] = {
	    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
	    0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
	    0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};

	memcpy(s->h, iv, sizeof iv);
	s->len = 0;
	s->n = 0;
}

void rpb_sha512_update(struct rpb_sha512 *s, const uint8_t *p, size_t len)
{
	s->len += len;
	while (len > 0) {
		if (s->n == 0 && len >= 128) {
			sha512_block(s, p);
			p += 128;
			len -= 128;
			continue;
		}
		s->buf[s->n++] = *p++;
		len--;
		if (s->n == 128) {
			sha512_block(s, s->buf);
			s->n = 0;
		}
	}
}

void rpb_sha512_final(struct rpb_sha512 *s, uint8_t out[64])
{
	uint64_t bits = s->len * 8;
	unsigned i;

	/* Padding: 0x80, zeros, the 128-bit length (high 64 bits 0). */
	s->buf[s->n++] = 0x80;
	if (s->n > 112) {
		memset(s->buf + s->n, 0, 128 - s->n);
		sha512_block(s, s->buf);
		s->n = 0;
	}
	memset(s->buf + s->n, 0, 120 - s->n);
	for (i = 0; i < 8; i++)
		s->buf[120 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha512_block(s, s->buf);
	for (i = 0; i < 64; i++)
		out[i] = (uint8_t)(s->h[i / 8] >> (56 - 8 * (i % 8)));
}

/* ---- GF(2^255 - 19), RFC 8032 section 5.1 ---- */

typedef int64_t gf[16]; /* value = sum of limb[i] * 2^(16 i) */

/* d = -121665/121666, 2d, sqrt(-1), and the base point B (5.1). */
static const gf D = {0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141,
                     0x0a4d, 0x0070, 0xe898, 0x7779, 0x4079, 0x8cc7,
                     0xfe73, 0x2b6f, 0x6cee, 0x5203};
static const gf D2 = {0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283,
                      0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e,
                      0xfce7, 0x56df, 0xd9dc, 0x2406};
static const gf SQRTM1 = {0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f,
                          0x1806, 0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d,
                          0xdf0b, 0x4fc1, 0x2480, 0x2b83};
static const gf BX = {0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525,
                      0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231, 0xc0a4,
                      0x53fe, 0xcd6e, 0x36d3, 0x2169};
static const gf BY = {0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
                      0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
                      0x6666, 0x6666, 0x6666, 0x6666};

static void fset(gf o, int64_t v)
{
	memset(o, 0, sizeof(gf));
	o[0] = v;
}

/*
 * Bring every limb to [0, 2^16), carrying upward; the carry out of the
 * top limb wraps to limb 0 times 38 (2^256 = 38 mod p). After two
 * passes limb 0 may still be off by 38, after three all are in range.
 * (Multiplication, not <<, for the negative carries.)
 */
static void fcarry(gf o)
{
	int64_t c;
	unsigned i;

	for (i = 0; i < 16; i++) {
		c = o[i] >> 16;
		o[i] -= c * 65536;
		if (i < 15)
			o[i + 1] += c;
		else
			o[0] += 38 * c;
	}
}

static void fadd(gf o, const gf a, const gf b)
{
	unsigned i;

	for (i = 0; i < 16; i++)
		o[i] = a[i] + b[i];
}

static void fsub(gf o, const gf a, const gf b)
{
	unsigned i;

	for (i = 0; i < 16; i++)
		o[i] = a[i] - b[i];
}

/* o = a * b; o may alias a or b. Inputs below 2^18 per limb. */
static void fmul(gf o, const gf a, const gf b)
{
	int64_t t[31];
	unsigned i, j;

	memset(t, 0, sizeof t);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			t[i + j] += a[i] * b[j];
	for (i = 0; i < 15; i++)
		t[i] += 38 * t[i + 16];
	memcpy(o, t, sizeof(gf));
	fcarry(o);
	fcarry(o);
}

static void fsq(gf o, const gf a)
{
	fmul(o, a, a);
}

/* o = a^(2^255 - 21) = 1/a (Fermat). */
static void finv(gf o, const gf a)
{
	gf c;
	int i;

	memcpy(c, a, sizeof c);
	for (i = 253; i >= 0; i--) {
		fsq(c, c);
		if (i != 2 && i != 4)
			fmul(c, c, a);
	}
	memcpy(o, c, sizeof c);
}

/* o = a^((p - 5) / 8) = a^(2^252 - 3), for the square root (5.1.3). */
static void fpow2523(gf o, const gf a)
{
	gf c;
	int i;

	memcpy(c, a, sizeof c);
	for (i = 250; i >= 0; i--) {
		fsq(c, c);
		if (i != 1)
			fmul(c, c, a);
	}
	memcpy(o, c, sizeof c);
}

/* The canonical 32-byte little-endian encoding of a (value mod p). */
static void fpack(uint8_t o[32], const gf a)
{
	gf t, m;
	int64_t b;
	unsigned i, j;

	memcpy(t, a, sizeof t);
	fcarry(t);
	fcarry(t);
	fcarry(t);
	/* Now 0 <= t < 2^256 < 2p + 38: subtract p at most twice. */
	for (j = 0; j < 2; j++) {
		m[0] = t[0] - 0xffed;
		for (i = 1; i < 15; i++) {
			m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
			m[i - 1] &= 0xffff;
		}
		m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
		b = (m[15] >> 16) & 1; /* borrow: t < p */
		m[14] &= 0xffff;
		if (b == 0)
			memcpy(t, m, sizeof t);
	}
	for (i = 0; i < 16; i++) {
		o[2 * i] = (uint8_t)t[i];
		o[2 * i + 1] = (uint8_t)(t[i] >> 8);
	}
}

static int fequal(const gf a, const gf b)
{
	uint8_t x[32], y[32];
	unsigned i, d = 0;

	fpack(x, a);
	fpack(y, b);
	for (i = 0; i < 32; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* The "sign" of a: its least significant bit (5.1.2). */
static int fparity(const gf a)
{
	uint8_t x[32];

	fpack(x, a);
	return x[0] & 1;
}

/* ---- points, extended coordinates (RFC 8032 5.1.4) ---- */

typedef gf pt[4]; /* X, Y, Z, T */

/* p += q: the unified addition of 5.1.4 (works for p == q as well). */
static void padd(pt p, const pt q)
{
	gf a, b, c, d, t;

	fsub(a, p[1], p[0]);
	fsub(t, q[1], q[0]);
	fmul(a, a, t); /* A = (Y1 - X1) (Y2 - X2) */
	fadd(b, p[0], p[1]);
	fadd(t, q[0], q[1]);
	fmul(b, b, t); /* B = (Y1 + X1) (Y2 + X2) */
	fmul(c, p[3], q[3]);
	fmul(c, c, D2); /* C = T1 2d T2 */
	fmul(d, p[2], q[2]);
	fadd(d, d, d);    /* D = Z1 2 Z2 */
	fsub(t, b, a);    /* E = B - A */
	fadd(a, b, a);    /* H = B + A */
	fsub(b, d, c);    /* F = D - C */
	fadd(c, d, c);    /* G = D + C */
	fmul(p[0], t, b); /* X3 = E F */
	fmul(p[1], a, c); /* Y3 = G H */
	fmul(p[2], c, b); /* Z3 = F G */
	fmul(p[3], t, a); /* T3 = E H */
}

/* p = 2p: the doubling of 5.1.4, with E, F, G, H all negated (the
 * products are the same). */
static NOINLINE void pdbl(pt p)
{
	gf a, b, c, d, e;

	fsq(a, p[0]); /* A = X1^2 */
	fsq(b, p[1]); /* B = Y1^2 */
	fsq(c, p[2]);
	fadd(c, c, c); /* C = 2 Z1^2 */
	fadd(d, a, b); /* -H = A + B */
	fadd(e, p[0], p[1]);
	fsq(e, e);
	fsub(e, d, e);    /* -E = A + B - (X1 + Y1)^2 */
	fsub(a, a, b);    /* -G = A - B */
	fadd(c, c, a);    /* -F = C - G */
	fmul(p[0], e, c); /* X3 = E F */
	fmul(p[1], a, d); /* Y3 = G H */
	fmul(p[2], c, a); /* Z3 = F G */
	fmul(p[3], e, d); /* T3 = E H */
}

/* Encoding of a point (5.1.2): y, with the sign of x in the top bit. */
static NOINLINE void ppack(uint8_t o[32], const pt p)
{
	gf zi, x, y;

	finv(zi, p[2]);
	fmul(x, p[0], zi);
	fmul(y, p[1], zi);
	fpack(o, y);
	o[31] ^= (uint8_t)(fparity(x) << 7);
}

/*
 * Decode s (5.1.3) and negate: p = -A. s must be canonical (y < p). -1
 * if no x satisfies the curve equation for this y.
 */
static NOINLINE int punpackneg(pt p, const uint8_t s[32])
{
	gf u, v, v3, t, chk;
	unsigned i;

	for (i = 0; i < 16; i++)
		p[1][i] = s[2 * i] | (int64_t)s[2 * i + 1] << 8;
	p[1][15] &= 0x7fff;
	fset(p[2], 1);
	fsq(u, p[1]);
	fmul(v, u, D);
	fsub(u, u, p[2]); /* u = y^2 - 1 */
	fadd(v, v, p[2]); /* v = d y^2 + 1 */
	fsq(v3, v);
	fmul(v3, v3, v); /* v^3 */
	fsq(t, v3);
	fmul(t, t, v);
	fmul(t, t, u); /* u v^7 */
	fpow2523(t, t);
	fmul(t, t, v3);
	fmul(p[0], t, u); /* x = u v^3 (u v^7)^((p-5)/8) */
	fsq(chk, p[0]);
	fmul(chk, chk, v); /* v x^2 */
	if (!fequal(chk, u))
		fmul(p[0], p[0], SQRTM1); /* v x^2 = -u: x *= sqrt(-1) */
	fsq(chk, p[0]);
	fmul(chk, chk, v);
	if (!fequal(chk, u))
		return -1; /* no square root: not a point */
	/* Choose the x whose sign is the opposite of the encoded one. */
	if (fparity(p[0]) == (s[31] >> 7)) {
		fset(t, 0);
		fsub(p[0], t, p[0]);
	}
	fmul(p[3], p[0], p[1]);
	return 0;
}

/* ---- scalars modulo L = 2^252 + 27742317777372353535851937790883648493 */

static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                              0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                              0,    0,    0,    0,    0,    0,    0,    0,
                              0,    0,    0,    0,    0,    0,    0,    0x10};

/* r = h mod L, h a 64-byte little-endian number (5.1.7 step 2). */
static void sc_reduce(uint8_t r[32], const uint8_t h[64])
{
	int64_t x[64], carry;
	int i, j;

	for (i = 0; i < 64; i++)
		x[i] = h[i];
	/* Fold each top byte: x[i] 2^(8i) = -16 x[i] (L - 2^252)
	 * 2^(8(i-32)) mod L, since 2^256 = 16 2^252. */
	for (i = 63; i >= 32; i--) {
		carry = 0;
		for (j = i - 32; j < i - 12; j++) {
			x[j] += carry - 16 * x[i] * L[j - (i - 32)];
			carry = (x[j] + 128) >> 8;
			x[j] -= carry * 256;
		}
		x[j] += carry;
		x[i] = 0;
	}
	/* Subtract (top nibble) L, then add L back if that went below 0. */
	carry = 0;
	for (j = 0; j < 32; j++) {
		x[j] += carry - (x[31] >> 4) * L[j];
		carry = x[j] >> 8;
		x[j] &= 255;
	}
	for (j = 0; j < 32; j++)
		x[j] -= carry * L[j];
	for (i = 0; i < 32; i++) {
		x[i + 1] += x[i] >> 8;
		r[i] = (uint8_t)(x[i] & 255);
	}
}

/* S < L (5.1.7 step 1: S must be canonical). */
static int sc_canonical(const uint8_t s[32])
{
	int i;

	for (i = 31; i >= 0; i--) {
		if (s[i] != L[i])
			return s[i] < L[i];
	}
	return 0; /* S == L */
}

/* ---- encodings refused before any arithmetic (libsodium 1.0.18) ---- */

/* y < p, the sign bit ignored. */
static int y_canonical(const uint8_t s[32])
{
	unsigned i;

	if ((s[31] & 0x7f) != 0x7f || s[0] < 0xed)
		return 1;
	for (i = 1; i < 31; i++)
		if (s[i] != 0xff)
			return 1;
	return 0;
}

/*
 * The encodings of the points of order 1, 2, 4 and 8, sign bit ignored:
 * y = 0, 1 (and their non-canonical p, p + 1), p - 1, and the two y of
 * the points of order 8 (libsodium's ge25519_has_small_order list).
 */
static int small_order(const uint8_t s[32])
{
	static const uint8_t order8[2][32] = {
	    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	};
	unsigned i, k, zero = 1, ones = 1, diff[2] = {0, 0};

	for (i = 0; i < 32; i++) {
		uint8_t c = i == 31 ? s[i] & 0x7f : s[i];

		for (k = 0; k < 2; k++)
			diff[k] |= c ^ order8[k][i];
		if (i > 0 && c != 0)
			zero = 0;
		if (i > 0 && c != (i == 31 ? 0x7f : 0xff))
			ones = 0;
	}
	if (diff[0] == 0 || diff[1] == 0)
		return 1;
	if (zero && s[0] <= 1)
		return 1; /* y = 0 (order 4), y = 1 (the neutral point) */
	if (ones && s[0] >= 0xec && s[0] <= 0xee)
		return 1; /* y = p - 1 (order 2), p (= 0), p + 1 (= 1) */
	return 0;
}

static int bit(const uint8_t s[32], int i)
{
	return (s[i >> 3] >> (i & 7)) & 1;
}

/*
 * o = [s]B + [k]negA (Straus: one doubling per bit, at most one addition
 * from the table B, -A, B - A). s and k are below L < 2^253.
 */
static NOINLINE void double_scalarmult(pt o, const uint8_t s[32],
                                       const uint8_t k[32], const pt nega)
{
	pt tab[3];
	int i, sel;

	memcpy(tab[0][0], BX, sizeof(gf));
	memcpy(tab[0][1], BY, sizeof(gf));
	fset(tab[0][2], 1);
	fmul(tab[0][3], BX, BY);
	memcpy(tab[1], nega, sizeof(pt));
	memcpy(tab[2], tab[0], sizeof(pt));
	padd(tab[2], nega);
	fset(o[0], 0);
	fset(o[1], 1);
	fset(o[2], 1);
	fset(o[3], 0);
	for (i = 252; i >= 0; i--) {
		pdbl(o);
		sel = bit(s, i) | bit(k, i) << 1;
		if (sel != 0)
			padd(o, tab[sel - 1]);
	}
}

rp_err rpb_ed25519_verify(const uint8_t sig[64], const uint8_t *msg,
                          size_t msglen, const uint8_t pub[32])
{
	struct rpb_sha512 hs;
	uint8_t h[64], k[32], chk[32];
	pt nega, r;
	unsigned i, d = 0;
	rp_err rc = RP_E_SIG_BAD;

	if (!sc_canonical(sig + 32) || small_order(sig))
		goto out;
	if (!y_canonical(pub) || small_order(pub))
		goto out;
	if (punpackneg(nega, pub) != 0)
		goto out;
	rpb_sha512_init(&hs);
	rpb_sha512_update(&hs, sig, 32);
	rpb_sha512_update(&hs, pub, 32);
	rpb_sha512_update(&hs, msg, msglen);
	rpb_sha512_final(&hs, h);
	sc_reduce(k, h);
	double_scalarmult(r, sig + 32, k, nega); /* [S]B - [k]A */
	ppack(chk, r);
	for (i = 0; i < 32; i++)
		d |= chk[i] ^ sig[i];
	if (d == 0)
		rc = RP_OK;
out:
	return rc;
}

rp_err rpb_ed25519_rp_verify(void *ctx, const struct rp_pubkey *pub,
                             const uint8_t *msg, size_t msglen,
                             const uint8_t *sig, size_t siglen)
{
	rp_err rc = RP_E_SIG_ALG;

	(void)ctx;
	if (pub->alg != RP_ALG_ED25519)
		goto out;
	rc = RP_E_SIG_BAD;
	if (pub->len != 32 || siglen != 64)
		goto out;
	rc = rpb_ed25519_verify(sig, msg, msglen, pub->key);
out:
	return rc;
}
