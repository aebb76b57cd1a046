/* SPDX-License-Identifier: Apache-2.0 */
/*
 * encode.h - hex and base64 (RFC 4648) on libsodium's constant-time codecs.
 *
 * Encoders write a NUL-terminated string; decoders are strict: no spaces,
 * no missing padding, no trailing characters, no bits left over.
 */
#ifndef RAMPART_ENCODE_H
#define RAMPART_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

enum rp_b64 {
	RP_B64_STD = 0, /* RFC 4648 section 4, with '=' padding */
	RP_B64_URL = 1, /* RFC 4648 section 5, no padding */
};

/* Size of the hex string (with its NUL) for n bytes. */
#define RP_HEX_LEN(n) ((n)*2 + 1)

/*
 * Lower-case hex of bin[0..len) into out (cap bytes, including the NUL).
 * RP_E_BUFFER if cap < RP_HEX_LEN(len).
 */
RP_API rp_err rp_hex_encode(const uint8_t *bin, size_t len, char *out,
                            size_t cap) RP_WARN_UNUSED;

/*
 * Decode exactly hexlen hex digits (either case) into out (cap bytes);
 * *outlen gets the byte count. RP_E_ENCODING on an odd length or a
 * non-hex character, RP_E_BUFFER if out is too small.
 */
RP_API rp_err rp_hex_decode(const char *hex, size_t hexlen, uint8_t *out,
                            size_t cap, size_t *outlen) RP_WARN_UNUSED;

/* Size of the base64 string (with its NUL) for n bytes. */
RP_API size_t rp_b64_len(size_t n, enum rp_b64 variant);

RP_API rp_err rp_b64_encode(const uint8_t *bin, size_t len, enum rp_b64 variant,
                            char *out, size_t cap) RP_WARN_UNUSED;

/*
 * Decode b64len characters of base64. ignore: characters to skip (e.g.
 * "\r\n" for PEM-like line breaks), or NULL for none.
 */
RP_API rp_err rp_b64_decode(const char *b64, size_t b64len, enum rp_b64 variant,
                            const char *ignore, uint8_t *out, size_t cap,
                            size_t *outlen) RP_WARN_UNUSED;

/*
 * Printable ASCII for display: src[0..len) into dst (cap >= 1 bytes,
 * always NUL-terminated) with every byte outside 0x20..0x7e, and the
 * backslash, written as \xNN, so that a string a device or client chose
 * cannot forge a log line, split a UTF-8 sequence at a later cut, or
 * drive a terminal. What does not fit is left out, never half an escape.
 * Returns the length written. 4 * len + 1 bytes always suffice.
 */
RP_API size_t rp_escape(char *dst, size_t cap, const char *src, size_t len);

#endif
