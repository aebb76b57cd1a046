/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mcu_sha256.c - the small SHA-256 of the microcontroller port
 * (boot/mcu/sha256.c), built for the host: FIPS 180-4 vectors, agreement
 * with libsodium for every length around the block boundaries and for
 * any split of the input, and the boot core verifying real images with
 * it as its hash.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bootimg.h"
#include "cmocka_all.h"
#include "sha256.h"

static void hash(const uint8_t *p, size_t len, uint8_t out[32])
{
	struct rpb_sha256 s;

	rpb_sha256_init(&s);
	rpb_sha256_update(&s, p, len);
	rpb_sha256_final(&s, out);
}

static void test_fips_vectors(void **state)
{
	/* FIPS 180-4 examples: "abc" and the 448-bit message. */
	static const uint8_t abc[32] = {
	    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	static const uint8_t two[32] = {
	    0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
	    0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
	    0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
	const char *m2 =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[32];

	(void)state;
	hash((const uint8_t *)"abc", 3, out);
	assert_memory_equal(out, abc, 32);
	hash((const uint8_t *)m2, strlen(m2), out);
	assert_memory_equal(out, two, 32);
}

static void test_agrees_with_libsodium(void **state)
{
	uint8_t buf[300], a[32], b[32];
	struct rpb_sha256 s;
	size_t len, cut;

	(void)state;
	assert_true(sodium_init() >= 0);
	for (len = 0; len < sizeof buf; len++)
		buf[len] = (uint8_t)(len * 7 + 3);
	for (len = 0; len <= sizeof buf; len++) {
		crypto_hash_sha256(a, buf, len);
		hash(buf, len, b);
		assert_memory_equal(a, b, 32);
	}
	for (cut = 0; cut <= 200; cut++) {
		rpb_sha256_init(&s);
		rpb_sha256_update(&s, buf, cut);
		rpb_sha256_update(&s, buf + cut, 200 - cut);
		rpb_sha256_final(&s, b);
		crypto_hash_sha256(a, buf, 200);
		assert_memory_equal(a, b, 32);
	}
}

/* The boot core with the MCU hash (and libsodium's Ed25519 check). */
static void test_boot_with_mcu_hash(void **state)
{
	static uint8_t img[8192];
	struct timg_key k;
	struct rp_keyset ks;
	struct rp_crypto c;
	struct tdev d;
	struct rp_boot_result r;
	size_t n;

	(void)state;
	timg_key(&k, 5);
	timg_keyset(&ks, &k, 1, 1, 0);
	tdev_init(&d, 18, 1024, &ks, "m4-board");
	rpb_crypto_init(&c, timg_crypto()->verify);
	d.ctx.crypto = &c;
	n = timg_make(img, sizeof img, &k, 1, "m4-board", 4, 5000, 9);
	assert_int_equal(tdev_install(&d, 0, img, n), RP_OK);
	assert_int_equal(tdev_boot(&d, &r), RP_BOOT_GO);
	assert_int_equal(r.slot, 0);
	d.sim.mem[d.l.slot_off[0] + RP_IMAGE_HDR_SIZE + 4999] ^= 1;
	assert_int_equal(tdev_boot(&d, &r), RP_BOOT_RECOVERY);
	assert_int_equal(r.slot_rc[0], RP_E_IMAGE_HASH);
	/* Without a signature check, nothing verifies. */
	d.sim.mem[d.l.slot_off[0] + RP_IMAGE_HDR_SIZE + 4999] ^= 1;
	rpb_crypto_init(&c, NULL);
	assert_int_equal(tdev_boot(&d, &r), RP_BOOT_RECOVERY);
	tdev_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fips_vectors),
	    cmocka_unit_test(test_agrees_with_libsodium),
	    cmocka_unit_test(test_boot_with_mcu_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
