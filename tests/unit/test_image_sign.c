/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_sign.c - the host signing side: key files (mode, no
 * overwrite, passphrases), public key files (several per file, other key
 * types and damaged files refused), signature-section building limits,
 * signed image files, and pkcs11: URIs refused before any module loads.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/crypto_host.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

static char dir[] = "/tmp/rp-test-sign-XXXXXX";
static char paths[4][512];

/* dir/name, in one of four rotating buffers (two per call are enough). */
static const char *at(const char *name)
{
	static unsigned next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof paths[0], "%s/%s", dir, name);
	return p;
}

/* Entries of dir whose name begins with prefix. */
static int leftovers(const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	for (e = readdir(d); e != NULL; e = readdir(d))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	return rp_init() == RP_OK && mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_keygen_files(void **state)
{
	struct rp_pubkey pub, again[4];
	struct stat st;
	rp_signer *s = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(
	    rp_key_generate(RP_ALG_P256_SHA256, at("p"), NULL, &pub), RP_OK);
	assert_int_equal(stat(at("p"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pub.alg, RP_ALG_P256_SHA256);
	assert_int_equal(pub.len, 65);
	/* Never overwrite a key. */
	assert_int_equal(rp_key_generate(RP_ALG_ED25519, at("p"), NULL, &pub),
	                 RP_E_EXISTS);
	assert_int_equal(rp_pubkey_load_pem(at("p.pub"), again, 4, &n), RP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rp_signer_open(at("p"), NULL, &s), RP_OK);
	assert_memory_equal(rp_signer_pubkey(s)->id, again[0].id, RP_KEYID_LEN);
	rp_signer_free(s);
	assert_int_equal(rp_key_generate(9, at("x"), NULL, &pub), RP_E_SIG_ALG);
}

static void test_passphrase(void **state)
{
	struct rp_pubkey pub;
	rp_signer *s = NULL;
	char text[4096];
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(
	    rp_key_generate(RP_ALG_ED25519, at("e"), "s3cret", &pub), RP_OK);
	f = fopen(at("e"), "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "ENCRYPTED PRIVATE KEY"));
	assert_int_equal(rp_signer_open(at("e"), NULL, &s), RP_E_PASSPHRASE);
	assert_null(s);
	assert_int_equal(rp_signer_open(at("e"), "wrong", &s), RP_E_PASSPHRASE);
	assert_int_equal(rp_signer_open(at("e"), "s3cret", &s), RP_OK);
	assert_memory_equal(rp_signer_pubkey(s)->id, pub.id, RP_KEYID_LEN);
	rp_signer_free(s);
	assert_int_equal(rp_signer_open(at("none"), NULL, &s), RP_E_NOT_FOUND);
	put("junk", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE "
	            "KEY-----\n");
	assert_int_equal(rp_signer_open(at("junk"), NULL, &s), RP_E_KEY_FORMAT);
}

static void test_pubkey_files(void **state)
{
	struct rp_pubkey pub[4], a, b;
	char both[4096];
	size_t n = 0, la, lb;
	FILE *f;

	(void)state;
	assert_int_equal(rp_key_generate(RP_ALG_ED25519, at("a"), NULL, &a),
	                 RP_OK);
	assert_int_equal(rp_key_generate(RP_ALG_P256_SHA256, at("b"), NULL, &b),
	                 RP_OK);
	f = fopen(at("a.pub"), "r");
	la = fread(both, 1, sizeof both, f);
	fclose(f);
	f = fopen(at("b.pub"), "r");
	lb = fread(both + la, 1, sizeof both - la - 1, f);
	fclose(f);
	both[la + lb] = '\0';
	put("ab.pub", both);
	assert_int_equal(rp_pubkey_load_pem(at("ab.pub"), pub, 4, &n), RP_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(pub[0].id, a.id, RP_KEYID_LEN);
	assert_memory_equal(pub[1].id, b.id, RP_KEYID_LEN);
	assert_int_equal(rp_pubkey_load_pem(at("ab.pub"), pub, 1, &n),
	                 RP_E_TOO_BIG);
	/* A damaged second block is not silently dropped. */
	both[la + lb - 30] ^= 0x01;
	put("ab-bad.pub", both);
	assert_int_equal(rp_pubkey_load_pem(at("ab-bad.pub"), pub, 4, &n),
	                 RP_E_KEY_FORMAT);
	put("empty.pub", "");
	assert_int_equal(rp_pubkey_load_pem(at("empty.pub"), pub, 4, &n),
	                 RP_E_KEY_FORMAT);
	/* An RSA key (openssl genpkey output, public part). */
	put("rsa.pub",
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAL8RB4LsqXu4VebT6ZtzzcSUx5+kTvDE\n"
	    "La6d2Aa3qhIhNAyDIfRlb3LcdYqU+jepoZ5Y3GvAMcnBeFI/edcUOssCAwEAAQ==\n"
	    "-----END PUBLIC KEY-----\n");
	assert_int_equal(rp_pubkey_load_pem(at("rsa.pub"), pub, 4, &n),
	                 RP_E_KEY_FORMAT);
	/* Round trip through rp_pubkey_write_pem. */
	assert_int_equal(rp_pubkey_write_pem(&b, at("b2.pub")), RP_OK);
	assert_int_equal(rp_pubkey_load_pem(at("b2.pub"), pub, 4, &n), RP_OK);
	assert_memory_equal(&pub[0], &b, sizeof b);
}

static void test_sigsec_append_limits(void **state)
{
	uint8_t sec[RP_SIGSEC_MAX], id[RP_KEYID_LEN], sig[64] = {0};
	size_t len = 0;
	int i;

	(void)state;
	for (i = 0; i < RP_IMAGE_MAX_SIGS; i++) {
		memset(id, i, sizeof id);
		assert_int_equal(rp_sigsec_append(sec, &len, sizeof sec,
		                                  RP_ALG_ED25519, id, sig, 64),
		                 RP_OK);
	}
	memset(id, 0xee, sizeof id);
	assert_int_equal(rp_sigsec_append(sec, &len, sizeof sec, RP_ALG_ED25519,
	                                  id, sig, 64),
	                 RP_E_TOO_BIG);
	len = 0;
	assert_int_equal(
	    rp_sigsec_append(sec, &len, 50, RP_ALG_ED25519, id, sig, 64),
	    RP_E_BUFFER);
}

static void test_sign_file(void **state)
{
	struct rp_image_hdr h, out;
	struct rp_pubkey pub;
	struct rp_image_src src;
	struct rp_keyset ks;
	rp_signer *s = NULL;
	uint8_t work[256];

	(void)state;
	assert_int_equal(rp_key_generate(RP_ALG_ED25519, at("img"), NULL, &pub),
	                 RP_OK);
	assert_int_equal(rp_signer_open(at("img"), NULL, &s), RP_OK);
	put("payload", "a payload of some length, more than 256 bytes would "
	               "be better but this is enough to stream in pieces");
	memset(&h, 0, sizeof h);
	strcpy(h.hw, "unit");
	h.counter = 3;
	assert_int_equal(
	    rp_image_sign_file(at("payload"), at("out.img"), &h, &s, 1, &out),
	    RP_OK);
	memset(&ks, 0, sizeof ks);
	ks.keys[0] = pub;
	ks.nkeys = ks.threshold = 1;
	assert_int_equal(rp_image_src_file_open(&src, at("out.img")), RP_OK);
	assert_int_equal(
	    rp_image_verify(&src, &ks, rp_crypto_host(), NULL, work, 64, NULL),
	    RP_OK);
	rp_image_src_file_close(&src);
	/* An empty hardware type makes no image (and leaves no file). */
	h.hw[0] = '\0';
	assert_int_equal(
	    rp_image_sign_file(at("payload"), at("bad.img"), &h, &s, 1, NULL),
	    RP_E_IMAGE_HEADER);
	assert_int_not_equal(access(at("bad.img"), F_OK), 0);
	assert_int_equal(leftovers("bad.img"), 0); /* no temp file */
	strcpy(h.hw, "unit");
	assert_int_equal(
	    rp_image_sign_file(at("payload"), at("bad.img"), &h, &s, 0, NULL),
	    RP_E_INVAL);
	assert_int_equal(
	    rp_image_sign_file(at("missing"), at("bad.img"), &h, &s, 1, NULL),
	    RP_E_NOT_FOUND);
	rp_signer_free(s);
}

static void test_pkcs11_uri_refused(void **state)
{
	static const char *const bad[] = {
	    "pkcs11:token=t",                      /* no object or id */
	    "pkcs11:token=t;objekt=k",             /* unknown attribute */
	    "pkcs11:object=k;type=public",         /* not a private key */
	    "pkcs11:object=k%2",                   /* cut escape */
	    "pkcs11:object=k%zz",                  /* bad escape */
	    "pkcs11:object=k%00x",                 /* NUL inside */
	    "pkcs11:object=k?module-name=softhsm", /* unsupported */
	    "pkcs11:object",                       /* no value */
	};
	rp_signer *s = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (rp_signer_open(bad[i], NULL, &s) != RP_E_KEY_FORMAT)
			fail_msg("accepted %s", bad[i]);
		assert_null(s);
	}
	assert_int_equal(
	    rp_signer_open("pkcs11:object=k?module-path=/nonexistent.so", NULL,
	                   &s),
	    RP_E_PKCS11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keygen_files),
	    cmocka_unit_test(test_passphrase),
	    cmocka_unit_test(test_pubkey_files),
	    cmocka_unit_test(test_sigsec_append_limits),
	    cmocka_unit_test(test_sign_file),
	    cmocka_unit_test(test_pkcs11_uri_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
