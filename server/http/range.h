/* SPDX-License-Identifier: Apache-2.0 */
/*
 * range.h - the Range and If-Range headers of a GET (RFC 9110 14.2,
 * 13.1.5) as rampartd's firmware route serves them: one byte range of a
 * representation of a known length, a strong entity tag as its validator.
 * Pure functions of the header text, apart from the request so that
 * tests/fuzz/fuzz_range.c and tests/unit/test_range.c reach them.
 *
 * What is served (docs/updates.md "The download"):
 * - "bytes=S-E", "bytes=S-", "bytes=-N" (the unit in any case, optional
 *   spaces or tabs around the value): one range, 206;
 * - a range whose first byte is at or past the end, or "bytes=-0": 416;
 * - anything else (several ranges, another unit, S > E, a sign, a space
 *   inside the range, no digits, ...) is ignored as RFC 9110 14.2 lets a
 *   server: the whole representation, 200. So is any Range of an empty
 *   representation.
 */
#ifndef RAMPARTD_HTTP_RANGE_H
#define RAMPARTD_HTTP_RANGE_H

#include <stdbool.h>
#include <stdint.h>

enum http_range_kind {
	HTTP_RANGE_WHOLE,         /* no Range, or one ignored: 200 */
	HTTP_RANGE_PART,          /* one satisfiable range: 206 */
	HTTP_RANGE_UNSATISFIABLE, /* 416, Content-Range "bytes * /LEN" */
};

/* Bytes first .. last (inclusive) of the representation. */
struct http_range {
	uint64_t first, last;
};

/*
 * What the Range header value (NULL: none) asks of a representation of
 * len bytes. For HTTP_RANGE_PART, *out gets the range, its last byte cut
 * to len - 1 (first <= last < len); else *out is left as it is. Numbers
 * of any length are read, saturating: a first byte past any length is
 * unsatisfiable, a last byte or a suffix past it means up to the end.
 */
enum http_range_kind http_range_parse(const char *value, uint64_t len,
                                      struct http_range *out);

/*
 * Whether a Range may be served under the If-Range header value (NULL:
 * none) for the representation whose strong entity tag is etag (with its
 * quotes): true when there is no If-Range or it is exactly that strong
 * tag (spaces or tabs around it aside); false for another tag, a weak one
 * ("W/..."), or an HTTP date (rampartd sends no Last-Modified, so no date
 * can validate): then the whole representation is sent.
 */
bool http_if_range_holds(const char *value, const char *etag);

#endif
