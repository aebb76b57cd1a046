/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image.c - the image format and verifier: a valid image verifies,
 * and every kind of bad image is refused with its own error (each header
 * byte flipped, truncation at every length, payload and signature damage,
 * unknown, duplicate and revoked keys, threshold, hardware type, counter,
 * format version, trailing bytes).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/bytes.h"
#include "rampart/crypto_host.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

#define NKEYS   5 /* 0..2 Ed25519, 3..4 P-256 */
#define PAYLOAD 1000

static char dir[] = "/tmp/rp-test-image-XXXXXX";
static rp_signer *keys[NKEYS];
static uint8_t payload[PAYLOAD];

struct img {
	uint8_t buf[RP_IMAGE_HDR_SIZE + PAYLOAD + RP_SIGSEC_MAX + 64];
	size_t len;
};

static int setup(void **state)
{
	char path[256];
	struct rp_pubkey pub;
	size_t i;

	(void)state;
	if (rp_init() != RP_OK || mkdtemp(dir) == NULL)
		return -1;
	for (i = 0; i < NKEYS; i++) {
		snprintf(path, sizeof path, "%s/k%zu", dir, i);
		if (rp_key_generate(i < 3 ? RP_ALG_ED25519 : RP_ALG_P256_SHA256,
		                    path, NULL, &pub) != RP_OK ||
		    rp_signer_open(path, NULL, &keys[i]) != RP_OK)
			return -1;
	}
	for (i = 0; i < PAYLOAD; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		rp_signer_free(keys[i]);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void tmpl(struct rp_image_hdr *h)
{
	memset(h, 0, sizeof *h);
	h->kind = RP_IMAGE_FULL;
	h->counter = 7;
	strcpy(h->hw, "rpi4-test");
	h->ver_major = 1;
	h->ver_minor = 2;
	h->ver_patch = 3;
	h->build_time = 1700000000;
}

/* Build an image of h (payload_len/sha filled here) signed by idx[]. */
static void build(struct img *im, struct rp_image_hdr *h, const int *idx,
                  size_t n)
{
	uint8_t sig[RP_SIG_MAX];
	size_t siglen, seclen = 0, i;
	uint8_t *sec;

	h->payload_len = PAYLOAD;
	assert_int_equal(rp_sha256(payload, PAYLOAD, h->payload_sha256), RP_OK);
	rp_image_hdr_encode(h, im->buf);
	memcpy(im->buf + RP_IMAGE_HDR_SIZE, payload, PAYLOAD);
	sec = im->buf + RP_IMAGE_HDR_SIZE + PAYLOAD;
	for (i = 0; i < n; i++) {
		assert_int_equal(rp_signer_sign(keys[idx[i]], im->buf,
		                                RP_IMAGE_HDR_SIZE, sig,
		                                &siglen),
		                 RP_OK);
		assert_int_equal(
		    rp_sigsec_append(sec, &seclen, RP_SIGSEC_MAX,
		                     rp_signer_pubkey(keys[idx[i]])->alg,
		                     rp_signer_pubkey(keys[idx[i]])->id, sig,
		                     siglen),
		    RP_OK);
	}
	im->len = RP_IMAGE_HDR_SIZE + PAYLOAD + seclen;
}

static void build_std(struct img *im)
{
	struct rp_image_hdr h;
	const int k0[] = {0};

	tmpl(&h);
	build(im, &h, k0, 1);
}

/* A key set of keys idx[] with threshold k. */
static void trust(struct rp_keyset *ks, const int *idx, size_t n, uint8_t k)
{
	size_t i;

	memset(ks, 0, sizeof *ks);
	for (i = 0; i < n; i++)
		ks->keys[i] = *rp_signer_pubkey(keys[idx[i]]);
	ks->nkeys = (uint8_t)n;
	ks->threshold = k;
	ks->epoch = 1;
}

static rp_err verify_buf(const uint8_t *buf, size_t len,
                         const struct rp_keyset *ks,
                         const struct rp_image_policy *pol,
                         struct rp_image_report *rep)
{
	struct rp_image_src src;
	struct rp_mem_src mem;
	uint8_t work[4096];

	rp_image_src_mem(&src, &mem, buf, len);
	return rp_image_verify(&src, ks, rp_crypto_host(), pol, work,
	                       sizeof work, rep);
}

static const int all3[] = {0, 1, 2};
static const struct rp_image_policy exact = {"rpi4-test", 0, true};

static void test_valid(void **state)
{
	struct rp_image_report rep;
	struct rp_keyset ks;
	struct rp_image_hdr h;
	struct img im;
	const int mixed[] = {3, 1};
	const int tk[] = {0, 1, 3};

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep), RP_OK);
	assert_int_equal(rep.nsigs, 1);
	assert_int_equal(rep.nvalid, 1);
	assert_int_equal(rep.sig_ok[0], RP_SIGSTAT_VALID);
	assert_int_equal(rep.hdr.counter, 7);
	assert_string_equal(rep.hdr.hw, "rpi4-test");
	assert_int_equal(rep.total_len, im.len);
	/* No policy at all: any hardware, any counter, may be followed. */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, NULL, NULL), RP_OK);

	/* P-256 + Ed25519, 2 of 3. */
	tmpl(&h);
	build(&im, &h, mixed, 2);
	trust(&ks, tk, 3, 2);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep), RP_OK);
	assert_int_equal(rep.nvalid, 2);
	assert_int_equal(rep.sig_alg[0], RP_ALG_P256_SHA256);
}

/* The error each byte of the header gives when flipped (XOR 0xff). */
static rp_err flip_expect(size_t off)
{
	if (off < 4)
		return RP_E_IMAGE_MAGIC;
	if (off < 6)
		return RP_E_IMAGE_VERSION;
	if (off < 12) /* hdr_len, kind */
		return RP_E_IMAGE_HEADER;
	if (off < 16) /* counter: signed */
		return RP_E_SIG_BAD;
	if (off < 48) /* hw: "rpi4-test" then NULs, 0xff never valid */
		return RP_E_IMAGE_HEADER;
	if (off < 60) /* version */
		return RP_E_SIG_BAD;
	if (off < 64) /* reserved */
		return RP_E_IMAGE_HEADER;
	if (off == 64) /* payload_len 1000 -> 791: no section there */
		return RP_E_IMAGE_SIGSECTION;
	if (off < 72) /* payload_len: points past the end */
		return RP_E_IMAGE_TRUNCATED;
	if (off < 104) /* payload hash: signed */
		return RP_E_SIG_BAD;
	if (off < 168) /* base/result hash must be zero in a full image */
		return RP_E_IMAGE_HEADER;
	if (off < 176) /* build time */
		return RP_E_SIG_BAD;
	return RP_E_IMAGE_HEADER; /* reserved */
}

static void test_header_byte_flips(void **state)
{
	struct rp_keyset ks;
	struct img im;
	size_t i;
	rp_err rc;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	for (i = 0; i < RP_IMAGE_HDR_SIZE; i++) {
		im.buf[i] ^= 0xff;
		rc = verify_buf(im.buf, im.len, &ks, &exact, NULL);
		if (rc != flip_expect(i))
			fail_msg("byte %zu flipped: %s, expected %s", i,
			         rp_errname(rc), rp_errname(flip_expect(i)));
		im.buf[i] ^= 0xff;
		/* A one-bit flip is refused too (the error may differ). */
		im.buf[i] ^= 0x01;
		rc = verify_buf(im.buf, im.len, &ks, &exact, NULL);
		if (rc == RP_OK)
			fail_msg("byte %zu bit 0 flipped: accepted", i);
		im.buf[i] ^= 0x01;
	}
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL), RP_OK);
}

static void test_truncated(void **state)
{
	struct rp_image_policy slot = {"rpi4-test", 0, false};
	struct rp_keyset ks;
	struct img im;
	size_t n;
	rp_err rc;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	for (n = 0; n < im.len; n++) {
		rc = verify_buf(im.buf, n, &ks, &exact, NULL);
		if (rc != RP_E_IMAGE_TRUNCATED)
			fail_msg("cut at %zu: %s", n, rp_errname(rc));
		rc = verify_buf(im.buf, n, &ks, &slot, NULL);
		if (rc != RP_E_IMAGE_TRUNCATED)
			fail_msg("cut at %zu (slot): %s", n, rp_errname(rc));
	}
}

static void test_trailing(void **state)
{
	struct rp_image_policy slot = {"rpi4-test", 0, false};
	struct rp_keyset ks;
	struct img im;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	im.buf[im.len] = 0xff; /* one byte of garbage */
	assert_int_equal(verify_buf(im.buf, im.len + 1, &ks, &exact, NULL),
	                 RP_E_IMAGE_TRAILING);
	/* In a flash slot whatever follows the image is not its business. */
	assert_int_equal(verify_buf(im.buf, im.len + 1, &ks, &slot, NULL),
	                 RP_OK);
}

static void test_payload_flips(void **state)
{
	struct rp_keyset ks;
	struct img im;
	size_t i;
	rp_err rc;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	for (i = RP_IMAGE_HDR_SIZE; i < RP_IMAGE_HDR_SIZE + PAYLOAD; i++) {
		im.buf[i] ^= 0x80;
		rc = verify_buf(im.buf, im.len, &ks, &exact, NULL);
		if (rc != RP_E_IMAGE_HASH)
			fail_msg("payload byte %zu: %s", i, rp_errname(rc));
		im.buf[i] ^= 0x80;
	}
}

static void test_sigsection_damage(void **state)
{
	struct rp_keyset ks;
	struct img im;
	size_t s = RP_IMAGE_HDR_SIZE + PAYLOAD, i;
	rp_err rc;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	for (i = 0; i < 4; i++) { /* magic */
		im.buf[s + i] ^= 0xff;
		assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
		                 RP_E_IMAGE_SIGSECTION);
		im.buf[s + i] ^= 0xff;
	}
	rp_store_le16(im.buf + s + 4, 0); /* count 0 */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_IMAGE_SIGSECTION);
	rp_store_le16(im.buf + s + 4, 9); /* too many */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_IMAGE_SIGSECTION);
	rp_store_le16(im.buf + s + 4, 2); /* more than present */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_IMAGE_TRUNCATED);
	rp_store_le16(im.buf + s + 4, 1);
	im.buf[s + 6] = 1; /* reserved */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_IMAGE_SIGSECTION);
	im.buf[s + 6] = 0;
	im.buf[s + 8] = 9; /* algorithm */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_SIG_ALG);
	im.buf[s + 8] = RP_ALG_ED25519;
	im.buf[s + 9] = 1; /* entry reserved */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_IMAGE_SIGSECTION);
	im.buf[s + 9] = 0;
	im.buf[s + 10] = 63; /* Ed25519 signature length */
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_IMAGE_SIGSECTION);
	im.buf[s + 10] = 64;
	/* Every byte of the signature itself. */
	for (i = s + 8 + RP_SIG_ENTRY_HDR; i < im.len; i++) {
		im.buf[i] ^= 0x01;
		rc = verify_buf(im.buf, im.len, &ks, &exact, NULL);
		if (rc != RP_E_SIG_BAD)
			fail_msg("sig byte %zu: %s", i, rp_errname(rc));
		im.buf[i] ^= 0x01;
	}
	/* A flipped key id names a key nobody trusts. */
	im.buf[s + 12] ^= 0x01;
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_SIG_UNKNOWN_KEY);
	im.buf[s + 12] ^= 0x01;
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL), RP_OK);
}

static void test_unknown_key_and_threshold(void **state)
{
	struct rp_image_report rep;
	struct rp_keyset ks;
	struct rp_image_hdr h;
	struct img im;
	const int k4[] = {4}, k01[] = {0, 1}, k02[] = {0, 2}, k2[] = {2};

	(void)state;
	tmpl(&h);
	build(&im, &h, k4, 1);
	trust(&ks, all3, 3, 1);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep),
	                 RP_E_SIG_UNKNOWN_KEY);
	assert_int_equal(rep.sig_ok[0], RP_SIGSTAT_UNKNOWN);

	/* 2 of 3 required, one given. */
	trust(&ks, all3, 3, 2);
	build_std(&im);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep),
	                 RP_E_SIG_THRESHOLD);
	assert_int_equal(rep.nvalid, 1);
	/* ... one given plus one by an untrusted key: still too few. */
	trust(&ks, k01, 2, 2);
	tmpl(&h);
	build(&im, &h, k02, 2);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep),
	                 RP_E_SIG_THRESHOLD);
	assert_int_equal(rep.sig_ok[1], RP_SIGSTAT_UNKNOWN);
	/* Signatures by keys outside the set do not hurt when k is met. */
	trust(&ks, k2, 1, 1);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep), RP_OK);
	assert_int_equal(rep.sig_ok[0], RP_SIGSTAT_UNKNOWN);
}

static void test_duplicate_signatures(void **state)
{
	struct rp_image_report rep;
	struct rp_keyset ks;
	struct img im;
	size_t s = RP_IMAGE_HDR_SIZE + PAYLOAD;
	size_t e = RP_SIG_ENTRY_HDR + RP_ED25519_SIG_LEN;
	uint8_t sig[RP_SIG_MAX];
	size_t siglen;

	(void)state;
	build_std(&im);
	/* Copy the one entry: two signatures, the same key. */
	memcpy(im.buf + im.len, im.buf + s + RP_SIGSEC_HDR_SIZE, e);
	im.len += e;
	rp_store_le16(im.buf + s + 4, 2);
	trust(&ks, all3, 3, 2);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep),
	                 RP_E_SIG_THRESHOLD);
	assert_int_equal(rep.nvalid, 1);
	assert_int_equal(rep.sig_ok[1], RP_SIGSTAT_DUPLICATE);
	/* The builder refuses a second signature by the same key. */
	size_t seclen = im.len - s;
	assert_int_equal(
	    rp_signer_sign(keys[0], im.buf, RP_IMAGE_HDR_SIZE, sig, &siglen),
	    RP_OK);
	assert_int_equal(
	    rp_sigsec_append(im.buf + s, &seclen, RP_SIGSEC_MAX, RP_ALG_ED25519,
	                     rp_signer_pubkey(keys[0])->id, sig, siglen),
	    RP_E_EXISTS);
}

static void test_policy(void **state)
{
	struct rp_image_policy pol = {"rpi4-test", 7, true};
	struct rp_keyset ks;
	struct img im;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &pol, NULL), RP_OK);
	pol.min_counter = 8;
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &pol, NULL),
	                 RP_E_IMAGE_COUNTER);
	pol.min_counter = 0;
	pol.hw = "rpi4-tes";
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &pol, NULL),
	                 RP_E_IMAGE_HW);
	pol.hw = "rpi4-test2";
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &pol, NULL),
	                 RP_E_IMAGE_HW);
}

static void test_format_version(void **state)
{
	struct rp_keyset ks;
	struct img im;
	const int k0[] = {0};
	uint8_t sig[RP_SIG_MAX];
	size_t siglen, seclen = 0;
	uint8_t *sec = im.buf + RP_IMAGE_HDR_SIZE + PAYLOAD;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	/* Format 2, validly signed: still refused, as unknown. */
	rp_store_le16(im.buf + 4, 2);
	assert_int_equal(rp_signer_sign(keys[k0[0]], im.buf, RP_IMAGE_HDR_SIZE,
	                                sig, &siglen),
	                 RP_OK);
	assert_int_equal(
	    rp_sigsec_append(sec, &seclen, RP_SIGSEC_MAX, RP_ALG_ED25519,
	                     rp_signer_pubkey(keys[0])->id, sig, siglen),
	    RP_OK);
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, NULL),
	                 RP_E_IMAGE_VERSION);
}

static void test_hdr_roundtrip_and_delta(void **state)
{
	struct rp_image_hdr h, p;
	uint8_t b[RP_IMAGE_HDR_SIZE];

	(void)state;
	tmpl(&h);
	h.format = RP_IMAGE_FORMAT;
	h.hdr_len = RP_IMAGE_HDR_SIZE;
	h.kind = RP_IMAGE_DELTA;
	memset(h.base_sha256, 0xab, 32);
	memset(h.result_sha256, 0xcd, 32);
	h.payload_len = 12345;
	rp_image_hdr_encode(&h, b);
	assert_int_equal(rp_image_hdr_parse(b, sizeof b, &p), RP_OK);
	assert_memory_equal(&h, &p, sizeof h);
	assert_int_equal(rp_image_hdr_parse(b, sizeof b - 1, &p),
	                 RP_E_IMAGE_TRUNCATED);
	/* Hardware type: 31 characters at most, no spaces. */
	memset(b + 16, 'a', 32);
	assert_int_equal(rp_image_hdr_parse(b, sizeof b, &p),
	                 RP_E_IMAGE_HEADER);
	b[47] = 0;
	assert_int_equal(rp_image_hdr_parse(b, sizeof b, &p), RP_OK);
	assert_int_equal(strlen(p.hw), 31);
	b[20] = ' ';
	assert_int_equal(rp_image_hdr_parse(b, sizeof b, &p),
	                 RP_E_IMAGE_HEADER);
	memset(b + 16, 0, 32);
	assert_int_equal(rp_image_hdr_parse(b, sizeof b, &p),
	                 RP_E_IMAGE_HEADER);
}

/* Any work buffer size gives the same verdict. */
static void test_work_sizes(void **state)
{
	struct rp_image_src src;
	struct rp_mem_src mem;
	struct rp_keyset ks;
	struct img im;
	uint8_t work[1024];
	size_t sizes[] = {64, 65, 100, 999, 1000, 1024};
	size_t i;

	(void)state;
	build_std(&im);
	trust(&ks, all3, 3, 1);
	rp_image_src_mem(&src, &mem, im.buf, im.len);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		assert_int_equal(rp_image_verify(&src, &ks, rp_crypto_host(),
		                                 &exact, work, sizes[i], NULL),
		                 RP_OK);
	assert_int_equal(rp_image_verify(&src, &ks, rp_crypto_host(), &exact,
	                                 work, 63, NULL),
	                 RP_E_INVAL);
	/* An invalid trusted set is refused, not half-used. */
	ks.threshold = 0;
	assert_int_equal(rp_image_verify(&src, &ks, rp_crypto_host(), &exact,
	                                 work, sizeof work, NULL),
	                 RP_E_KEYSET);
}

static void test_revoked_key_image(void **state)
{
	struct rp_image_report rep;
	struct rp_keyset ks;
	struct img im;
	const int k12[] = {1, 2};

	(void)state;
	build_std(&im); /* signed by key 0 */
	trust(&ks, k12, 2, 1);
	memcpy(ks.revoked[0], rp_signer_pubkey(keys[0])->id, RP_KEYID_LEN);
	ks.nrevoked = 1;
	assert_int_equal(verify_buf(im.buf, im.len, &ks, &exact, &rep),
	                 RP_E_KEY_REVOKED);
	assert_int_equal(rep.sig_ok[0], RP_SIGSTAT_REVOKED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_header_byte_flips),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_trailing),
	    cmocka_unit_test(test_payload_flips),
	    cmocka_unit_test(test_sigsection_damage),
	    cmocka_unit_test(test_unknown_key_and_threshold),
	    cmocka_unit_test(test_duplicate_signatures),
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_format_version),
	    cmocka_unit_test(test_hdr_roundtrip_and_delta),
	    cmocka_unit_test(test_work_sizes),
	    cmocka_unit_test(test_revoked_key_image),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
