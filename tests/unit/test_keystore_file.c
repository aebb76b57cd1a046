/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_keystore_file.c - the keystore spec parser and the file keystore:
 * the sealed-file test vector (made by an independent implementation,
 * tests/vectors/keystore_sealed.py), seal/unseal, every tampered byte and
 * a wrong KEK refused, file modes 0600 on create and enforced on load,
 * certificate storage checked against the key, and erase.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../../lib/device/keystore_int.h"
#include "cmocka_all.h"
#include "rampart/encode.h"
#include "rampart/keystore.h"
#include "rampart/mem.h"

/* tests/vectors/keystore_sealed.py prints this. */
static const char vector_hex[] =
    "52504b530101010030000000404142434445464748494a4b4c4d4e4f505152535455"
    "565754b887f35465ff91077d0d352311eb1d022b3f5787ccc50df2a867de9599bd0f"
    "96bbe7927209b346a2f0f561bab40e03";

static void fill(uint8_t *p, size_t n, uint8_t start)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static void test_vector(void **state)
{
	uint8_t kek[KS_KEK], nonce[KS_SEALED_NONCE], scalar[KS_SCALAR];
	uint8_t want[KS_SEALED_SIZE], got[KS_SEALED_SIZE], back[KS_SCALAR];
	size_t n = 0;

	(void)state;
	fill(kek, sizeof kek, 0x00);
	fill(nonce, sizeof nonce, 0x40);
	fill(scalar, sizeof scalar, 0x80);
	assert_int_equal(rp_hex_decode(vector_hex, strlen(vector_hex), want,
	                               sizeof want, &n),
	                 RP_OK);
	assert_int_equal(n, KS_SEALED_SIZE);
	ks_file_seal(kek, nonce, scalar, got);
	assert_memory_equal(got, want, sizeof want);
	assert_int_equal(ks_file_unseal(want, sizeof want, kek, back), RP_OK);
	assert_memory_equal(back, scalar, sizeof back);
}

static void test_tamper_and_wrong_kek(void **state)
{
	uint8_t kek[KS_KEK], nonce[KS_SEALED_NONCE], scalar[KS_SCALAR];
	uint8_t sealed[KS_SEALED_SIZE + 1], back[KS_SCALAR];
	size_t i;
	int bit;

	(void)state;
	fill(kek, sizeof kek, 0x00);
	fill(nonce, sizeof nonce, 0x40);
	fill(scalar, sizeof scalar, 0x80);
	ks_file_seal(kek, nonce, scalar, sealed);
	/* Every bit of every byte: header bits are a format error, the
	 * rest fail authentication; nothing is ever accepted. */
	for (i = 0; i < KS_SEALED_SIZE; i++) {
		for (bit = 0; bit < 8; bit++) {
			rp_err rc;

			sealed[i] ^= (uint8_t)(1u << bit);
			memset(back, 0xaa, sizeof back);
			rc = ks_file_unseal(sealed, KS_SEALED_SIZE, kek, back);
			assert_int_equal(rc, i < KS_SEALED_HDR
			                         ? RP_E_KEYSTORE_FORMAT
			                         : RP_E_KEYSTORE_SEALED);
			/* The output is wiped on failure. */
			assert_true(back[0] == 0 && back[31] == 0);
			sealed[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Truncated or extended. */
	assert_int_equal(ks_file_unseal(sealed, KS_SEALED_SIZE - 1, kek, back),
	                 RP_E_KEYSTORE_FORMAT);
	sealed[KS_SEALED_SIZE] = 0;
	assert_int_equal(ks_file_unseal(sealed, KS_SEALED_SIZE + 1, kek, back),
	                 RP_E_KEYSTORE_FORMAT);
	/* Wrong KEK: one bit off, and all zeros. */
	kek[31] ^= 1;
	assert_int_equal(ks_file_unseal(sealed, KS_SEALED_SIZE, kek, back),
	                 RP_E_KEYSTORE_SEALED);
	memset(kek, 0, sizeof kek);
	assert_int_equal(ks_file_unseal(sealed, KS_SEALED_SIZE, kek, back),
	                 RP_E_KEYSTORE_SEALED);
	/* The intact file still opens with the right KEK. */
	fill(kek, sizeof kek, 0x00);
	assert_int_equal(ks_file_unseal(sealed, KS_SEALED_SIZE, kek, back),
	                 RP_OK);
	assert_memory_equal(back, scalar, sizeof back);
}

static void test_scalar_range(void **state)
{
	uint8_t s[KS_SCALAR];
	EVP_PKEY *k = NULL;

	(void)state;
	memset(s, 0, sizeof s);
	assert_int_equal(ks_p256_from_scalar(s, &k), RP_E_KEYSTORE_FORMAT);
	memset(s, 0xff, sizeof s); /* above the group order */
	assert_int_equal(ks_p256_from_scalar(s, &k), RP_E_KEYSTORE_FORMAT);
	assert_null(k);
	fill(s, sizeof s, 0x80);
	assert_int_equal(ks_p256_from_scalar(s, &k), RP_OK);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_bits(k), 256);
	EVP_PKEY_free(k);
}

struct spec_case {
	const char *spec;
	rp_err want;
};

static void test_spec_parse(void **state)
{
	static const struct spec_case cases[] = {
	    {"file:/var/lib/rampart", RP_OK},
	    {"file:/d;kek=/run/kek", RP_OK},
	    {"file:", RP_E_KEYSTORE_SPEC},
	    {"file:/d;kek=", RP_E_KEYSTORE_SPEC},
	    {"file:/d;kek=/a;kek=/b", RP_E_KEYSTORE_SPEC},
	    {"file:/d;other=1", RP_E_KEYSTORE_SPEC},
	    {"file:/d;", RP_E_KEYSTORE_SPEC},
	    {"tpm:handle=0x81000010;dir=/d", RP_OK},
	    {"tpm:handle=0x81000010;dir=/d;tcti=swtpm:host=127.0.0.1,port=1",
	     RP_OK},
	    {"tpm:handle=2164260880;dir=/d", RP_OK},
	    {"tpm:handle=0x80000010;dir=/d", RP_E_KEYSTORE_SPEC},
	    {"tpm:handle=0x82000000;dir=/d", RP_E_KEYSTORE_SPEC},
	    {"tpm:handle=0x810000zz;dir=/d", RP_E_KEYSTORE_SPEC},
	    {"tpm:handle=0x;dir=/d", RP_E_KEYSTORE_SPEC},
	    {"tpm:handle=0x81000010", RP_E_KEYSTORE_SPEC},
	    {"tpm:dir=/d", RP_E_KEYSTORE_SPEC},
	    {"tpm:handle=0x81000010;handle=0x81000011;dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o?module-path=/m.so&pin-value=1&x-dir=/d",
	     RP_OK},
	    {"pkcs11:token=t;object=o;type=private?module-path=/m.so&"
	     "pin-source=file:/p&x-dir=/d",
	     RP_OK},
	    {"pkcs11:token=t;object=o;type=public?module-path=/m&pin-value=1&"
	     "x-dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o?module-path=/m&x-dir=/d",
	     RP_E_KEYSTORE_SPEC}, /* no PIN */
	    {"pkcs11:token=t;object=o?module-path=/m&pin-value=1&"
	     "pin-source=/p&x-dir=/d",
	     RP_E_KEYSTORE_SPEC}, /* two PINs */
	    {"pkcs11:token=t?module-path=/m&pin-value=1&x-dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o?module-path=/m&pin-value=%zz&x-dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o?module-path=/m&pin-value=%00&x-dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o?module-path=/m&pin-value=1&x-dir=/d&"
	     "x-other=1",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=0123456789012345678901234567890123;object=o?"
	     "module-path=/m&pin-value=1&x-dir=/d",
	     RP_E_KEYSTORE_SPEC}, /* label over 32 bytes */
	    /* a constraint the keystore would not apply, and names given
	     * twice (p11-kit alone would keep the last) */
	    {"pkcs11:token=t;object=o;serial=1?module-path=/m&pin-value=1&"
	     "x-dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o;token=u?module-path=/m&pin-value=1&"
	     "x-dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o?module-path=/m&pin-value=1&x-dir=/d&"
	     "x-dir=/e",
	     RP_E_KEYSTORE_SPEC},
	    {"pkcs11:token=t;object=o?module-name=m&module-path=/m&"
	     "pin-value=1&x-dir=/d",
	     RP_E_KEYSTORE_SPEC},
	    {"", RP_E_KEYSTORE_SPEC},
	    {"file", RP_E_KEYSTORE_SPEC},
	    {"hsm:/x", RP_E_KEYSTORE_SPEC},
	};
	struct rp_keystore_spec s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rp_err rc = rp_keystore_spec_parse(cases[i].spec,
		                                   strlen(cases[i].spec), &s);

		if (rc != cases[i].want)
			fail_msg("'%s': got %s, want %s", cases[i].spec,
			         rp_errname(rc), rp_errname(cases[i].want));
	}
	/* Fields as documented. */
	assert_int_equal(rp_keystore_spec_parse("file:/d", 7, &s), RP_OK);
	assert_int_equal(s.kind, RP_KEYSTORE_FILE);
	assert_string_equal(s.dir, "/d");
	assert_string_equal(s.kek, "/d/kek");
	const char *t =
	    "tpm:tcti=swtpm:host=127.0.0.1,port=2321;handle=0x81000010;dir=/x";
	assert_int_equal(rp_keystore_spec_parse(t, strlen(t), &s), RP_OK);
	assert_int_equal(s.kind, RP_KEYSTORE_TPM);
	assert_int_equal(s.handle, 0x81000010u);
	assert_string_equal(s.tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_string_equal(s.dir, "/x");
	const char *p = "pkcs11:token=my%20token;object=dev?module-path="
	                "/usr/lib/softhsm/libsofthsm2.so&pin-value=12%2634&"
	                "x-dir=/var/lib/rampart";
	assert_int_equal(rp_keystore_spec_parse(p, strlen(p), &s), RP_OK);
	assert_int_equal(s.kind, RP_KEYSTORE_PKCS11);
	assert_string_equal(s.token, "my token");
	assert_string_equal(s.object, "dev");
	assert_string_equal(s.pin, "12&34");
	assert_string_equal(s.module, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(s.dir, "/var/lib/rampart");
	/* A NUL inside the given length is refused. */
	assert_int_equal(rp_keystore_spec_parse("file:/d\0x", 9, &s),
	                 RP_E_KEYSTORE_SPEC);
	rp_wipe(&s, sizeof s);
}

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/rp-ks-unit-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static rp_keystore *open_store(const char *sub)
{
	char spec[400];
	rp_keystore *ks = NULL;

	snprintf(spec, sizeof spec, "file:%s/%s", dir, sub);
	assert_int_equal(rp_keystore_open(spec, &ks), RP_OK);
	return ks;
}

/* A self-signed certificate for key, PEM in a malloc'd string. */
static char *self_signed(EVP_PKEY *key, size_t *len)
{
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"SN1", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_true(PEM_write_bio_X509(b, x));
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	X509_free(x);
	return out;
}

static void test_lifecycle(void **state)
{
	char path[400];
	rp_keystore *ks = open_store("a");
	EVP_PKEY *k1 = NULL, *k2 = NULL, *other = NULL;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	char *pem;
	size_t len;

	(void)state;
	assert_false(rp_keystore_has_key(ks));
	assert_int_equal(rp_keystore_key(ks, &k1), RP_E_KEYSTORE_NO_KEY);
	assert_int_equal(rp_keystore_generate(ks), RP_OK);
	assert_true(rp_keystore_has_key(ks));
	assert_int_equal(rp_keystore_generate(ks), RP_E_KEYSTORE_HAS_KEY);

	/* Both key files private. */
	snprintf(path, sizeof path, "%s/a/kek", dir);
	assert_int_equal(mode_of(path), 0600);
	snprintf(path, sizeof path, "%s/a/key.sealed", dir);
	assert_int_equal(mode_of(path), 0600);

	/* The same key each time it is loaded. */
	assert_int_equal(rp_keystore_key(ks, &k1), RP_OK);
	assert_int_equal(rp_keystore_key(ks, &k2), RP_OK);
	assert_true(ks_pubkey_eq(k1, k2));
	assert_int_equal(EVP_PKEY_get_bits(k1), 256);

	/* Certificates: only one for this key is stored. */
	assert_int_equal(rp_keystore_cert_load(ks, &leaf, &chain),
	                 RP_E_KEYSTORE_NO_CERT);
	other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	pem = self_signed(other, &len);
	assert_int_equal(rp_keystore_cert_store(ks, pem, len),
	                 RP_E_KEYSTORE_CERT);
	free(pem);
	pem = self_signed(k1, &len);
	assert_int_equal(rp_keystore_cert_store(ks, pem, len), RP_OK);
	free(pem);
	assert_int_equal(rp_keystore_cert_load(ks, &leaf, &chain), RP_OK);
	assert_true(ks_pubkey_eq(X509_get0_pubkey(leaf), k1));
	assert_int_equal(sk_X509_num(chain), 0);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);

	/* Erase: files gone, no key, no certificate. */
	assert_int_equal(rp_keystore_erase(ks), RP_OK);
	assert_false(rp_keystore_has_key(ks));
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/a/kek", dir);
	assert_int_equal(access(path, F_OK), -1);
	EVP_PKEY_free(k2);
	k2 = NULL;
	assert_int_equal(rp_keystore_key(ks, &k2), RP_E_KEYSTORE_NO_KEY);
	assert_int_equal(rp_keystore_cert_load(ks, &leaf, NULL),
	                 RP_E_KEYSTORE_NO_CERT);
	/* Erasing an empty store is fine; a new key is a different key. */
	assert_int_equal(rp_keystore_erase(ks), RP_OK);
	assert_int_equal(rp_keystore_generate(ks), RP_OK);
	assert_int_equal(rp_keystore_key(ks, &k2), RP_OK);
	assert_false(ks_pubkey_eq(k1, k2));
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(other);
	rp_keystore_close(ks);
}

static void test_modes_enforced(void **state)
{
	char kek[400], sealed[400];
	rp_keystore *ks = open_store("b");
	EVP_PKEY *k = NULL;
	uint8_t buf[KS_SEALED_SIZE];
	int fd;

	(void)state;
	snprintf(kek, sizeof kek, "%s/b/kek", dir);
	snprintf(sealed, sizeof sealed, "%s/b/key.sealed", dir);
	/* A umask that would leave files world-readable changes nothing. */
	mode_t old = umask(0);
	assert_int_equal(rp_keystore_generate(ks), RP_OK);
	umask(old);
	assert_int_equal(mode_of(kek), 0600);
	assert_int_equal(mode_of(sealed), 0600);

	assert_int_equal(chmod(kek, 0640), 0);
	assert_int_equal(rp_keystore_key(ks, &k), RP_E_KEYSTORE_MODE);
	assert_int_equal(chmod(kek, 0600), 0);
	assert_int_equal(chmod(sealed, 0604), 0);
	assert_int_equal(rp_keystore_key(ks, &k), RP_E_KEYSTORE_MODE);
	assert_int_equal(chmod(sealed, 0600), 0);
	assert_int_equal(rp_keystore_key(ks, &k), RP_OK);
	EVP_PKEY_free(k);
	k = NULL;

	/* A tampered file on disk is refused through the front too. */
	fd = open(sealed, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
	buf[50] ^= 0x10;
	assert_int_equal(pwrite(fd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
	assert_int_equal(rp_keystore_key(ks, &k), RP_E_KEYSTORE_SEALED);
	buf[50] ^= 0x10;
	assert_int_equal(pwrite(fd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
	close(fd);
	assert_int_equal(rp_keystore_key(ks, &k), RP_OK);
	EVP_PKEY_free(k);
	k = NULL;

	/* A KEK of the wrong size is a format error, not a crash. */
	assert_int_equal(truncate(kek, 31), 0);
	assert_int_equal(rp_keystore_key(ks, &k), RP_E_KEYSTORE_FORMAT);
	assert_null(k);
	rp_keystore_close(ks);
}

static void test_separate_kek(void **state)
{
	char spec[1100], kek[400];
	rp_keystore *ks = NULL;
	EVP_PKEY *k = NULL;

	(void)state;
	snprintf(kek, sizeof kek, "%s/kek-elsewhere", dir);
	snprintf(spec, sizeof spec, "file:%s/c;kek=%s", dir, kek);
	assert_int_equal(rp_keystore_open(spec, &ks), RP_OK);
	assert_int_equal(rp_keystore_generate(ks), RP_OK);
	assert_int_equal(mode_of(kek), 0600);
	/* Without its KEK the sealed key is useless. */
	assert_int_equal(unlink(kek), 0);
	rp_keystore_close(ks);
	ks = open_store("c");
	assert_int_equal(rp_keystore_key(ks, &k), RP_E_KEYSTORE_NO_KEY);
	rp_keystore_close(ks);
}

/* A crash between the KEK write and the sealed write leaves a lone KEK:
 * no key, and the next generation replaces it. */
static void test_lone_kek(void **state)
{
	char kek[400];
	rp_keystore *ks = open_store("d");
	EVP_PKEY *k = NULL;
	uint8_t junk[KS_KEK] = {1, 2, 3};
	size_t n = 0;
	uint8_t back[KS_KEK + 1];

	(void)state;
	snprintf(kek, sizeof kek, "%s/d", dir);
	assert_int_equal(mkdir(kek, 0700), 0);
	snprintf(kek, sizeof kek, "%s/d/kek", dir);
	assert_int_equal(ks_write_file(kek, junk, sizeof junk, 0600, true),
	                 RP_OK);
	assert_false(rp_keystore_has_key(ks));
	assert_int_equal(rp_keystore_key(ks, &k), RP_E_KEYSTORE_NO_KEY);
	assert_int_equal(rp_keystore_generate(ks), RP_OK);
	assert_int_equal(ks_read_file(kek, back, sizeof back, &n, true), RP_OK);
	assert_int_equal(n, KS_KEK);
	assert_memory_not_equal(back, junk, KS_KEK);
	assert_int_equal(rp_keystore_key(ks, &k), RP_OK);
	EVP_PKEY_free(k);
	rp_keystore_close(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_tamper_and_wrong_kek),
	    cmocka_unit_test(test_scalar_range),
	    cmocka_unit_test(test_spec_parse),
	    cmocka_unit_test(test_lifecycle),
	    cmocka_unit_test(test_modes_enforced),
	    cmocka_unit_test(test_separate_kek),
	    cmocka_unit_test(test_lone_kek),
	};

	if (rp_init() != RP_OK)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
