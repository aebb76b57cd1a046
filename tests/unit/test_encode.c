/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_encode.c - hex and base64 against the RFC 4648 section 10 vectors,
 * and strict rejection of everything else.
 */
#include <string.h>

#include "cmocka_all.h"
#include "rampart/encode.h"
#include "rampart/mem.h"

static const struct {
	const char *bin, *b64, *hex;
} vec[] = {
    {"", "", ""},
    {"f", "Zg==", "66"},
    {"fo", "Zm8=", "666f"},
    {"foo", "Zm9v", "666f6f"},
    {"foob", "Zm9vYg==", "666f6f62"},
    {"fooba", "Zm9vYmE=", "666f6f6261"},
    {"foobar", "Zm9vYmFy", "666f6f626172"},
};

static void test_vectors(void **state)
{
	char out[64];
	uint8_t bin[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		size_t len = strlen(vec[i].bin);
		const uint8_t *b = (const uint8_t *)vec[i].bin;

		assert_int_equal(
		    rp_b64_encode(b, len, RP_B64_STD, out, sizeof out), RP_OK);
		assert_string_equal(out, vec[i].b64);
		assert_int_equal(rp_hex_encode(b, len, out, sizeof out), RP_OK);
		assert_string_equal(out, vec[i].hex);
		assert_int_equal(rp_b64_decode(vec[i].b64, strlen(vec[i].b64),
		                               RP_B64_STD, NULL, bin,
		                               sizeof bin, &n),
		                 RP_OK);
		assert_int_equal(n, len);
		assert_memory_equal(bin, vec[i].bin, len);
		assert_int_equal(rp_hex_decode(vec[i].hex, strlen(vec[i].hex),
		                               bin, sizeof bin, &n),
		                 RP_OK);
		assert_int_equal(n, len);
		assert_memory_equal(bin, vec[i].bin, len);
	}
}

static void test_hex_strict(void **state)
{
	uint8_t bin[8];
	size_t n = 99;

	(void)state;
	assert_int_equal(rp_hex_decode("abc", 3, bin, sizeof bin, &n),
	                 RP_E_ENCODING);
	assert_int_equal(n, 0);
	assert_int_equal(rp_hex_decode("zz", 2, bin, sizeof bin, &n),
	                 RP_E_ENCODING);
	assert_int_equal(rp_hex_decode("ab c", 4, bin, sizeof bin, &n),
	                 RP_E_ENCODING);
	assert_int_equal(rp_hex_decode("ABcd", 4, bin, sizeof bin, &n), RP_OK);
	assert_int_equal(bin[0], 0xab);
	assert_int_equal(rp_hex_decode("0011223344", 10, bin, 4, &n),
	                 RP_E_BUFFER);
}

static void test_b64_strict(void **state)
{
	uint8_t bin[8];
	char out[8];
	size_t n;

	(void)state;
	/* missing padding, bad character, trailing junk, wrong variant */
	assert_int_equal(
	    rp_b64_decode("Zg", 2, RP_B64_STD, NULL, bin, sizeof bin, &n),
	    RP_E_ENCODING);
	assert_int_equal(
	    rp_b64_decode("Zm9v!", 5, RP_B64_STD, NULL, bin, sizeof bin, &n),
	    RP_E_ENCODING);
	assert_int_equal(rp_b64_decode("Zm9vYg==x", 9, RP_B64_STD, NULL, bin,
	                               sizeof bin, &n),
	                 RP_E_ENCODING);
	assert_int_equal(
	    rp_b64_decode("-_-_", 4, RP_B64_STD, NULL, bin, sizeof bin, &n),
	    RP_E_ENCODING);
	assert_int_equal(
	    rp_b64_decode("-_-_", 4, RP_B64_URL, NULL, bin, sizeof bin, &n),
	    RP_OK);
	assert_int_equal(n, 3);
	/* line breaks only where the caller allows them */
	assert_int_equal(rp_b64_decode("Zm9v\r\nYmFy", 10, RP_B64_STD, NULL,
	                               bin, sizeof bin, &n),
	                 RP_E_ENCODING);
	assert_int_equal(rp_b64_decode("Zm9v\r\nYmFy", 10, RP_B64_STD, "\r\n",
	                               bin, sizeof bin, &n),
	                 RP_OK);
	assert_int_equal(n, 6);
	assert_int_equal(
	    rp_b64_decode("Zm9vYmFy", 8, RP_B64_STD, NULL, bin, 5, &n),
	    RP_E_BUFFER);
	assert_int_equal(
	    rp_b64_encode((const uint8_t *)"foobar", 6, RP_B64_STD, out, 8),
	    RP_E_BUFFER);
}

/* Display escaping: printable ASCII kept, the rest and '\\' as \\xNN,
 * embedded NULs included, never half an escape at the cut. */
static void test_escape(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(rp_escape(out, sizeof out, "fw 1.2", 6), 6);
	assert_string_equal(out, "fw 1.2");
	assert_int_equal(rp_escape(out, sizeof out, "a\x1b[2J\\b\0c", 9), 18);
	assert_string_equal(out, "a\\x1b[2J\\x5cb\\x00c");
	assert_int_equal(rp_escape(out, sizeof out, "\xc3\xa9", 2), 8);
	assert_string_equal(out, "\\xc3\\xa9");
	/* 6 bytes: "ab" fits, the escape of \n (4 bytes + NUL) does not. */
	assert_int_equal(rp_escape(out, 6, "ab\ncd", 5), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(rp_escape(out, 1, "ab", 2), 0);
	assert_string_equal(out, "");
	assert_int_equal(rp_escape(out, 0, "ab", 2), 0);
}

static int setup(void **state)
{
	(void)state;
	return rp_init() == RP_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_hex_strict),
	    cmocka_unit_test(test_b64_strict),
	    cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
