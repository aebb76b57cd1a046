/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mcu_ed25519.c - the freestanding Ed25519 verifier of the
 * microcontroller port (boot/mcu/ed25519_verify.c), built for the host:
 * its SHA-512 against libsodium, the RFC 8032 section 7.1 vectors, random
 * keys and messages signed by libsodium, every single-bit flip of
 * signature, message and key judged as libsodium 1.0.18 judges it,
 * non-canonical S, small-order and non-canonical point encodings, the
 * struct rp_crypto function, and the boot core verifying a real image
 * with the MCU's SHA-256 and Ed25519 only.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bootimg.h"
#include "cmocka_all.h"
#include "ed25519_verify.h"
#include "sha256.h"

/* Ours: 1 accepts, 0 refuses (anything but RP_OK and RP_E_SIG_BAD fails). */
static int ours(const uint8_t sig[64], const uint8_t *m, size_t n,
                const uint8_t pk[32])
{
	rp_err rc = rpb_ed25519_verify(sig, m, n, pk);

	assert_true(rc == RP_OK || rc == RP_E_SIG_BAD);
	return rc == RP_OK;
}

static int sodium(const uint8_t sig[64], const uint8_t *m, size_t n,
                  const uint8_t pk[32])
{
	return crypto_sign_verify_detached(sig, m, n, pk) == 0;
}

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void test_sha512(void **state)
{
	uint8_t buf[400], a[64], b[64];
	struct rpb_sha512 s;
	size_t len, cut;

	(void)state;
	for (len = 0; len < sizeof buf; len++)
		buf[len] = (uint8_t)(len * 13 + 5);
	for (len = 0; len <= sizeof buf; len++) {
		crypto_hash_sha512(a, buf, len);
		rpb_sha512_init(&s);
		rpb_sha512_update(&s, buf, len);
		rpb_sha512_final(&s, b);
		assert_memory_equal(a, b, 64);
	}
	for (cut = 0; cut <= 300; cut++) {
		rpb_sha512_init(&s);
		rpb_sha512_update(&s, buf, cut);
		rpb_sha512_update(&s, buf + cut, 300 - cut);
		rpb_sha512_final(&s, b);
		crypto_hash_sha512(a, buf, 300);
		assert_memory_equal(a, b, 64);
	}
}

/* RFC 8032 section 7.1: secret key (seed), public key, message, sig. */
static const char *const rfc_vectors[][4] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
     "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
     "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
     "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
     "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
     "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
     "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
     "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
     "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
     "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
     "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
     "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
     "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
     "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
     "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
     "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
     "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
     "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
     "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
     "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
     "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
     "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
     "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
     "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
     "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
     "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
     "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
     "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
     "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
     "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
     "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
     "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
     "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
     "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

static void test_rfc8032_vectors(void **state)
{
	uint8_t seed[32], pk[32], sk[64], m[1100], sig[64], s2[64], kpk[32];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++) {
		unhex(seed, sizeof seed, rfc_vectors[i][0]);
		unhex(pk, sizeof pk, rfc_vectors[i][1]);
		n = unhex(m, sizeof m, rfc_vectors[i][2]);
		unhex(sig, sizeof sig, rfc_vectors[i][3]);
		/* The transcription is right: libsodium rebuilds key and sig.
		 */
		crypto_sign_seed_keypair(kpk, sk, seed);
		assert_memory_equal(kpk, pk, 32);
		crypto_sign_detached(s2, NULL, m, n, sk);
		assert_memory_equal(s2, sig, 64);
		assert_true(ours(sig, m, n, pk));
		/* The same signature over another message, or by another key.
		 */
		m[n] = 0;
		assert_false(ours(sig, m, n + 1, pk));
		pk[0] ^= 4;
		assert_false(ours(sig, m, n, pk));
	}
	assert_int_equal(n, 64); /* SHA(abc) */
}

static void test_random_keys_agree(void **state)
{
	uint8_t pk[32], sk[64], m[256], sig[64];
	size_t n;
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		crypto_sign_keypair(pk, sk);
		n = randombytes_uniform(sizeof m + 1);
		randombytes_buf(m, n);
		crypto_sign_detached(sig, NULL, m, n, sk);
		assert_true(ours(sig, m, n, pk));
	}
}

/*
 * Every single-bit flip of signature, message and key (512 + 128 + 256
 * flips): ours refuses exactly when libsodium refuses.
 */
static void test_bit_flips(void **state)
{
	uint8_t pk[32], sk[64], m[16], sig[64];
	unsigned b, refused = 0;
	int verdict;

	(void)state;
	crypto_sign_keypair(pk, sk);
	randombytes_buf(m, sizeof m);
	crypto_sign_detached(sig, NULL, m, sizeof m, sk);
	for (b = 0; b < 8 * (64 + sizeof m + 32); b++) {
		uint8_t *p = b < 512         ? sig + b / 8
		             : b < 512 + 128 ? m + (b - 512) / 8
		                             : pk + (b - 640) / 8;
		uint8_t bitv = (uint8_t)(1u << (b % 8));

		*p ^= bitv;
		verdict = sodium(sig, m, sizeof m, pk);
		assert_int_equal(ours(sig, m, sizeof m, pk), verdict);
		refused += !verdict;
		*p ^= bitv;
	}
	assert_true(ours(sig, m, sizeof m, pk));
	/* No flip makes a valid signature (so the equality above is the
	 * equality of refusals). */
	assert_int_equal(refused, 8 * (64 + sizeof m + 32));
}

/* L, the order of B, little-endian. */
static const uint8_t ell[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                0,    0,    0,    0,    0,    0,    0,    0,
                                0,    0,    0,    0,    0,    0,    0,    0x10};

static void add_l(uint8_t s[32])
{
	unsigned i, c = 0;

	for (i = 0; i < 32; i++) {
		c += s[i] + ell[i];
		s[i] = (uint8_t)c;
		c >>= 8;
	}
}

static void test_noncanonical_s(void **state)
{
	uint8_t pk[32], sk[64], m[16] = "firmware header", sig[64], bad[64];
	int i, ok;

	(void)state;
	for (i = 0; i < 50; i++) {
		crypto_sign_keypair(pk, sk);
		crypto_sign_detached(sig, NULL, m, sizeof m, sk);
		memcpy(bad, sig, 64);
		add_l(bad + 32); /* S + L < 2^256 since S < L < 2^253 */
		/* [S + L]B = [S]B: only the range check refuses it. */
		assert_false(ours(bad, m, sizeof m, pk));
		assert_false(sodium(bad, m, sizeof m, pk));
		ok = ours(sig, m, sizeof m, pk);
		assert_true(ok);
	}
	/* S = L exactly, and S = 2^256 - 1. */
	memcpy(bad + 32, ell, 32);
	assert_false(ours(bad, m, sizeof m, pk));
	assert_false(sodium(bad, m, sizeof m, pk));
	memset(bad + 32, 0xff, 32);
	assert_false(ours(bad, m, sizeof m, pk));
	assert_false(sodium(bad, m, sizeof m, pk));
}

/* The small-order encodings (sign bit clear), libsodium's list. */
static const char *const small_order_y[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void test_small_order_and_noncanonical(void **state)
{
	uint8_t pk[32], sk[64], m[8] = "payload", sig[64], t[64], e[32];
	size_t i, j;
	unsigned sign, y;

	(void)state;
	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, m, sizeof m, sk);
	for (i = 0; i < sizeof small_order_y / sizeof small_order_y[0]; i++) {
		for (sign = 0; sign < 2; sign++) {
			unhex(e, sizeof e, small_order_y[i]);
			e[31] |= (uint8_t)(sign << 7);
			/* as the public key */
			assert_false(sodium(sig, m, sizeof m, e));
			assert_false(ours(sig, m, sizeof m, e));
			/* as R, with the real S */
			memcpy(t, sig, 64);
			memcpy(t, e, 32);
			assert_false(sodium(t, m, sizeof m, pk));
			assert_false(ours(t, m, sizeof m, pk));
			/* Key and R the same small-order point T, S = 0:
			 * [0]B = T + [k]T holds whenever 8 divides k + 1
			 * (or less for lower orders), so over 64 messages
			 * the equation holds for some: only the encoding
			 * checks refuse those. */
			memcpy(t, e, 32);
			memset(t + 32, 0, 32);
			for (j = 0; j < 64; j++) {
				m[0] = (uint8_t)j;
				assert_false(sodium(t, m, sizeof m, e));
				assert_false(ours(t, m, sizeof m, e));
			}
			m[0] = 'p';
		}
	}
	/* Non-canonical y = p + y' for y' = 2..18 (p .. p + 18 < 2^255),
	 * and y with no x on the curve: compare the verdicts. */
	for (y = 0; y < 19; y++) {
		for (sign = 0; sign < 2; sign++) {
			memset(e, 0xff, 32);
			e[0] = (uint8_t)(0xed + y);
			e[31] = (uint8_t)(0x7f | sign << 7);
			assert_false(sodium(sig, m, sizeof m, e));
			assert_false(ours(sig, m, sizeof m, e));
			memcpy(t, sig, 64);
			memcpy(t, e, 32);
			assert_false(sodium(t, m, sizeof m, pk));
			assert_false(ours(t, m, sizeof m, pk));
		}
	}
	/* Random key encodings (about half not on the curve). */
	for (i = 0; i < 300; i++) {
		randombytes_buf(e, sizeof e);
		assert_int_equal(ours(sig, m, sizeof m, e),
		                 sodium(sig, m, sizeof m, e));
	}
	/* The real R with its sign bit flipped (the point -R's x, same
	 * y): refused by both. */
	memcpy(t, sig, 64);
	t[31] ^= 0x80;
	assert_false(sodium(t, m, sizeof m, pk));
	assert_false(ours(t, m, sizeof m, pk));
}

/* k = SHA-512(R || A || M) mod L, as a signer computes it. */
static void hram(uint8_t k[32], const uint8_t r[32], const uint8_t a[32],
                 const uint8_t *m, size_t n)
{
	crypto_hash_sha512_state hs;
	uint8_t h[64];

	crypto_hash_sha512_init(&hs);
	crypto_hash_sha512_update(&hs, r, 32);
	crypto_hash_sha512_update(&hs, a, 32);
	crypto_hash_sha512_update(&hs, m, n);
	crypto_hash_sha512_final(&hs, h);
	crypto_core_ed25519_scalar_reduce(k, h);
}

/*
 * Signatures for which [S]B = R + [k]A holds, built by hand, but with R
 * or A a small-order point: only the encoding checks refuse them (as
 * libsodium does). The same construction with a random R is accepted,
 * so the construction is right.
 */
static void test_equation_holds_small_order(void **state)
{
	uint8_t pk[32], sk[64], a[32], r[32], k[32], t[32], sig[64], e[32];
	uint8_t m[12] = "boot header";
	unsigned i, j;

	(void)state;
	crypto_sign_keypair(pk, sk);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(a, sk), 0);
	/* Control: R = [r]B, S = r + k a. */
	crypto_core_ed25519_scalar_random(r);
	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, r), 0);
	hram(k, sig, pk, m, sizeof m);
	crypto_core_ed25519_scalar_mul(t, k, a);
	crypto_core_ed25519_scalar_add(sig + 32, r, t);
	assert_true(sodium(sig, m, sizeof m, pk));
	assert_true(ours(sig, m, sizeof m, pk));
	/* R = the neutral point (r = 0), S = k a: [S]B = [k]A. */
	memset(sig, 0, 32);
	sig[0] = 1;
	hram(k, sig, pk, m, sizeof m);
	crypto_core_ed25519_scalar_mul(sig + 32, k, a);
	assert_false(sodium(sig, m, sizeof m, pk));
	assert_false(ours(sig, m, sizeof m, pk));
	/* A = a point T of order 2, 4 or 8, R = B, S = 1: [1]B = B + [k]T
	 * whenever the order of T divides k, i.e. for some of 64 messages. */
	memset(r, 0, 32);
	r[0] = 1;
	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, r), 0);
	memcpy(sig + 32, r, 32);
	for (i = 0; i < sizeof small_order_y / sizeof small_order_y[0]; i++) {
		unhex(e, sizeof e, small_order_y[i]);
		for (j = 0; j < 64; j++) {
			m[0] = (uint8_t)j;
			assert_false(sodium(sig, m, sizeof m, e));
			assert_false(ours(sig, m, sizeof m, e));
		}
	}
}

static void test_rp_crypto_verify(void **state)
{
	struct timg_key k;
	uint8_t m[4] = "hdr", sig[64];

	(void)state;
	timg_key(&k, 3);
	crypto_sign_detached(sig, NULL, m, sizeof m, k.sk);
	assert_int_equal(k.pub.alg, RP_ALG_ED25519);
	assert_int_equal(rpb_ed25519_rp_verify(NULL, &k.pub, m, 4, sig, 64),
	                 RP_OK);
	assert_int_equal(rpb_ed25519_rp_verify(NULL, &k.pub, m, 3, sig, 64),
	                 RP_E_SIG_BAD);
	assert_int_equal(rpb_ed25519_rp_verify(NULL, &k.pub, m, 4, sig, 63),
	                 RP_E_SIG_BAD);
	k.pub.len = 31;
	assert_int_equal(rpb_ed25519_rp_verify(NULL, &k.pub, m, 4, sig, 64),
	                 RP_E_SIG_BAD);
	k.pub.len = 32;
	k.pub.alg = RP_ALG_P256_SHA256;
	assert_int_equal(rpb_ed25519_rp_verify(NULL, &k.pub, m, 4, sig, 64),
	                 RP_E_SIG_ALG);
	k.pub.alg = 9;
	assert_int_equal(rpb_ed25519_rp_verify(NULL, &k.pub, m, 4, sig, 64),
	                 RP_E_SIG_ALG);
}

/* The boot core with the MCU's crypto only: our SHA-256 and Ed25519. */
static void test_boot_with_mcu_crypto(void **state)
{
	static uint8_t img[8192];
	struct timg_key k[2];
	struct rp_keyset ks;
	struct rp_crypto c;
	struct tdev d;
	struct rp_boot_result r;
	size_t n, sigoff;

	(void)state;
	timg_key(&k[0], 5);
	timg_key(&k[1], 6);
	timg_keyset(&ks, k, 2, 2, 0);
	tdev_init(&d, 18, 1024, &ks, "m4-board");
	rpb_crypto_init(&c, rpb_ed25519_rp_verify);
	d.ctx.crypto = &c;
	n = timg_make(img, sizeof img, k, 2, "m4-board", 4, 5000, 9);
	assert_int_equal(tdev_install(&d, 0, img, n), RP_OK);
	assert_int_equal(tdev_boot(&d, &r), RP_BOOT_GO);
	assert_int_equal(r.slot, 0);
	/* The last byte of the image is in the second signature: with it
	 * flipped, that signature is refused (and one is below k = 2). */
	sigoff = d.l.slot_off[0] + n - 1;
	d.sim.mem[sigoff] ^= 0x01;
	assert_int_equal(tdev_boot(&d, &r), RP_BOOT_RECOVERY);
	assert_int_equal(r.slot_rc[0], RP_E_SIG_BAD);
	tdev_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha512),
	    cmocka_unit_test(test_rfc8032_vectors),
	    cmocka_unit_test(test_random_keys_agree),
	    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_noncanonical_s),
	    cmocka_unit_test(test_small_order_and_noncanonical),
	    cmocka_unit_test(test_equation_holds_small_order),
	    cmocka_unit_test(test_rp_crypto_verify),
	    cmocka_unit_test(test_boot_with_mcu_crypto),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
