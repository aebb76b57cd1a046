/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_keyset.c - trusted key sets: encode/parse round trip, strict
 * parsing (every truncation, every reserved byte, bad counts, duplicates),
 * and the rotation rules: higher epoch, revocations kept, k signatures by
 * current unrevoked keys, a revoked key voting for nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/crypto_host.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

#define NKEYS 5 /* 0,1,2 Ed25519; 3,4 P-256 */

static char dir[] = "/tmp/rp-test-keyset-XXXXXX";
static rp_signer *keys[NKEYS];

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

static void set_of(struct rp_keyset *ks, uint32_t epoch, uint8_t k,
                   const int *idx, size_t n)
{
	size_t i;

	memset(ks, 0, sizeof *ks);
	ks->epoch = epoch;
	ks->threshold = k;
	for (i = 0; i < n; i++)
		ks->keys[i] = *rp_signer_pubkey(keys[idx[i]]);
	ks->nkeys = (uint8_t)n;
}

static void revoke(struct rp_keyset *ks, int idx)
{
	memcpy(ks->revoked[ks->nrevoked++], rp_signer_pubkey(keys[idx])->id,
	       RP_KEYID_LEN);
}

/* Sign ks with keys sidx[] into buf. */
static size_t sign_set(const struct rp_keyset *ks, const int *sidx, size_t n,
                       uint8_t *buf, size_t cap)
{
	rp_signer *s[RP_IMAGE_MAX_SIGS];
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		s[i] = keys[sidx[i]];
	assert_int_equal(rp_keyset_sign(ks, s, n, buf, cap, &len), RP_OK);
	return len;
}

static const int k012[] = {0, 1, 2};

static void test_roundtrip(void **state)
{
	struct rp_keyset ks, out;
	uint8_t buf[RP_KEYSET_MAX_SIZE];
	const int mixed[] = {0, 3, 4};
	const int s0[] = {0, 3};
	size_t len, body;

	(void)state;
	set_of(&ks, 7, 2, mixed, 3);
	revoke(&ks, 1);
	len = sign_set(&ks, s0, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_parse(buf, len, rp_crypto_host(), &out, &body), RP_OK);
	assert_int_equal(body, RP_KEYSET_HDR_SIZE + 2 + 32 + 2 * (2 + 65) + 32);
	assert_memory_equal(&ks, &out, sizeof ks);
	/* Self-signed first set: 2 of its own keys. */
	assert_int_equal(
	    rp_keyset_accept(NULL, buf, len, rp_crypto_host(), &out, NULL),
	    RP_OK);
	assert_memory_equal(&ks, &out, sizeof ks);
}

static void test_strict_parse(void **state)
{
	struct rp_keyset ks, out;
	uint8_t buf[RP_KEYSET_MAX_SIZE + 1];
	const int s0[] = {0};
	size_t len, n, i;
	rp_err rc;

	(void)state;
	set_of(&ks, 1, 1, k012, 3);
	revoke(&ks, 3);
	len = sign_set(&ks, s0, 1, buf, sizeof buf);
	for (n = 0; n < len; n++) {
		rc = rp_keyset_parse(buf, n, rp_crypto_host(), &out, NULL);
		if (rc == RP_OK)
			fail_msg("cut at %zu accepted", n);
	}
	buf[len] = 0;
	assert_int_equal(
	    rp_keyset_parse(buf, len + 1, rp_crypto_host(), &out, NULL),
	    RP_E_IMAGE_TRAILING);
	for (i = 0; i < RP_KEYSET_HDR_SIZE; i++) {
		buf[i] ^= 0xff;
		rc = rp_keyset_parse(buf, len, rp_crypto_host(), &out, NULL);
		/* Epoch bytes (8..11) are free; everything else is checked. */
		if ((i >= 8 && i < 12) ? rc != RP_OK : rc == RP_OK)
			fail_msg("header byte %zu: %s", i, rp_errname(rc));
		buf[i] ^= 0xff;
	}
	buf[16] = 9; /* algorithm of key 1 */
	assert_int_equal(
	    rp_keyset_parse(buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_SIG_ALG);
	buf[16] = RP_ALG_ED25519;
	buf[17] = 31; /* its length */
	assert_int_equal(
	    rp_keyset_parse(buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_KEY_FORMAT);
	buf[17] = 32;
	/* A trusted key also revoked; a key twice; a revocation twice. */
	set_of(&ks, 1, 1, k012, 3);
	revoke(&ks, 2);
	assert_int_equal(rp_keyset_encode_body(&ks, buf, sizeof buf, &len),
	                 RP_E_KEYSET);
	set_of(&ks, 1, 1, k012, 3);
	ks.keys[2] = ks.keys[0];
	assert_int_equal(rp_keyset_check(&ks), RP_E_KEYSET);
	set_of(&ks, 1, 1, k012, 3);
	revoke(&ks, 3);
	revoke(&ks, 3);
	assert_int_equal(rp_keyset_check(&ks), RP_E_KEYSET);
	set_of(&ks, 1, 4, k012, 3); /* k > n */
	assert_int_equal(rp_keyset_check(&ks), RP_E_KEYSET);
	set_of(&ks, 1, 0, k012, 3);
	assert_int_equal(rp_keyset_check(&ks), RP_E_KEYSET);
	/* The same faults on the wire are refused by the parser. */
	set_of(&ks, 1, 1, k012, 3);
	len = sign_set(&ks, s0, 1, buf, sizeof buf);
	memcpy(buf + 16 + 2 * 34 + 2, buf + 16 + 2, 32); /* key 3 := key 1 */
	assert_int_equal(
	    rp_keyset_parse(buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_KEYSET);
}

static void test_rotation(void **state)
{
	struct rp_keyset cur, next, out;
	struct rp_image_report rep;
	uint8_t buf[RP_KEYSET_MAX_SIZE];
	const int s01[] = {0, 1}, s12[] = {1, 2};
	const int n124[] = {1, 2, 4}, s14[] = {1, 4};
	size_t len;

	(void)state;
	set_of(&cur, 1, 2, k012, 3);

	/* Epoch 2 by 2 of the current keys: accepted. */
	set_of(&next, 2, 2, n124, 3);
	revoke(&next, 0);
	len = sign_set(&next, s12, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, &rep),
	    RP_OK);
	assert_int_equal(out.epoch, 2);
	assert_int_equal(rep.nvalid, 2);

	/* One current key is not enough... */
	len = sign_set(&next, s12, 1, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_SIG_THRESHOLD);
	/* ... nor one plus a key only the new set trusts. */
	len = sign_set(&next, s14, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, &rep),
	    RP_E_SIG_THRESHOLD);
	assert_int_equal(rep.sig_ok[1], RP_SIGSTAT_UNKNOWN);
	/* A key the new set revokes cannot vote for it. */
	len = sign_set(&next, s01, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, &rep),
	    RP_E_KEY_REVOKED);
	assert_int_equal(rep.sig_ok[0], RP_SIGSTAT_REVOKED);

	/* The same epoch, or a lower one, is a replay. */
	set_of(&next, 1, 1, k012, 3);
	len = sign_set(&next, s12, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_KEYSET_EPOCH);
	set_of(&next, 0, 1, k012, 3);
	len = sign_set(&next, s12, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_KEYSET_EPOCH);
	/* out is untouched by a refusal. */
	assert_int_equal(out.epoch, 2);
}

static void test_revocation_is_forever(void **state)
{
	struct rp_keyset cur, next, out;
	uint8_t buf[RP_KEYSET_MAX_SIZE];
	const int k12[] = {1, 2}, s12[] = {1, 2}, k123[] = {1, 2, 3};
	size_t len;

	(void)state;
	set_of(&cur, 5, 2, k12, 2);
	revoke(&cur, 0);
	/* Dropping the revocation of key 0: refused. */
	set_of(&next, 6, 2, k123, 3);
	len = sign_set(&next, s12, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_KEYSET_UNREVOKED);
	/* Keeping it: accepted. */
	revoke(&next, 0);
	len = sign_set(&next, s12, 2, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, NULL),
	    RP_OK);
	assert_true(rp_keyset_is_revoked(&out, rp_signer_pubkey(keys[0])->id));
}

static void test_cosign(void **state)
{
	struct rp_keyset cur, next, out;
	uint8_t buf[RP_KEYSET_MAX_SIZE];
	const int s1[] = {1};
	rp_signer *s2[] = {keys[2]};
	size_t len;

	(void)state;
	set_of(&cur, 1, 2, k012, 3);
	set_of(&next, 2, 2, k012, 3);
	len = sign_set(&next, s1, 1, buf, sizeof buf);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, NULL),
	    RP_E_SIG_THRESHOLD);
	assert_int_equal(rp_keyset_cosign(buf, &len, sizeof buf, s2, 1), RP_OK);
	assert_int_equal(
	    rp_keyset_accept(&cur, buf, len, rp_crypto_host(), &out, NULL),
	    RP_OK);
	/* The same key twice is refused by the builder. */
	assert_int_equal(rp_keyset_cosign(buf, &len, sizeof buf, s2, 1),
	                 RP_E_EXISTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_strict_parse),
	    cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_revocation_is_forever),
	    cmocka_unit_test(test_cosign),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
