/* SPDX-License-Identifier: Apache-2.0 */
/*
 * encode.c - hex and base64 through libsodium (constant-time codecs, so
 * encoding a key does not leak it through timing), with strict decoding;
 * and rp_escape, the one \xNN display escaping (logs, stored refusals,
 * the CLI).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rampart/alloc.h"
#include "rampart/encode.h"

size_t rp_escape(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (cap == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)c;
			continue;
		}
		if (o + 4 >= cap)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	dst[o] = '\0';
	return o;
}

static int sodium_variant(enum rp_b64 v)
{
	return v == RP_B64_URL ? sodium_base64_VARIANT_URLSAFE_NO_PADDING
	                       : sodium_base64_VARIANT_ORIGINAL;
}

rp_err rp_hex_encode(const uint8_t *bin, size_t len, char *out, size_t cap)
{
	if (out == NULL || (bin == NULL && len > 0))
		return RP_E_INVAL;
	if (len > (SIZE_MAX - 1) / 2 || cap < RP_HEX_LEN(len))
		return RP_E_BUFFER;
	sodium_bin2hex(out, cap, bin, len);
	return RP_OK;
}

rp_err rp_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t cap,
                     size_t *outlen)
{
	const char *end = NULL;
	size_t n = 0;

	if (hex == NULL || outlen == NULL || (out == NULL && cap > 0))
		return RP_E_INVAL;
	*outlen = 0;
	if (hexlen % 2 != 0)
		return RP_E_ENCODING;
	if (hexlen / 2 > cap)
		return RP_E_BUFFER;
	if (hexlen == 0)
		return RP_OK;
	if (sodium_hex2bin(out, cap, hex, hexlen, NULL, &n, &end) != 0 ||
	    end != hex + hexlen || n != hexlen / 2)
		return RP_E_ENCODING;
	*outlen = n;
	return RP_OK;
}

size_t rp_b64_len(size_t n, enum rp_b64 variant)
{
	return sodium_base64_encoded_len(n, sodium_variant(variant));
}

rp_err rp_b64_encode(const uint8_t *bin, size_t len, enum rp_b64 variant,
                     char *out, size_t cap)
{
	if (out == NULL || (bin == NULL && len > 0))
		return RP_E_INVAL;
	if (len > SIZE_MAX / 2 || cap < rp_b64_len(len, variant))
		return RP_E_BUFFER;
	sodium_bin2base64(out, cap, bin, len, sodium_variant(variant));
	return RP_OK;
}

rp_err rp_b64_decode(const char *b64, size_t b64len, enum rp_b64 variant,
                     const char *ignore, uint8_t *out, size_t cap,
                     size_t *outlen)
{
	const char *end = NULL;
	uint8_t *tmp = NULL;
	size_t bound, n = 0;
	rp_err rc = RP_OK;

	if (b64 == NULL || outlen == NULL || (out == NULL && cap > 0))
		return RP_E_INVAL;
	*outlen = 0;
	if (b64len == 0)
		return RP_OK;
	/* libsodium reports a short buffer and a missing pad the same way:
	 * decode into a buffer that is surely large enough, then check. */
	bound = b64len / 4 * 3 + 3;
	if (cap < bound) {
		tmp = rp_malloc(bound);
		if (tmp == NULL)
			return RP_E_NOMEM;
	}
	if (sodium_base642bin(tmp ? tmp : out, tmp ? bound : cap, b64, b64len,
	                      ignore, &n, &end, sodium_variant(variant)) != 0 ||
	    end != b64 + b64len) {
		rc = RP_E_ENCODING;
		goto out;
	}
	if (tmp != NULL) {
		if (n > cap) {
			rc = RP_E_BUFFER;
			goto out;
		}
		memcpy(out, tmp, n);
	}
	*outlen = n;
out:
	if (tmp != NULL) {
		sodium_memzero(tmp, bound);
		free(tmp);
	}
	return rc;
}
