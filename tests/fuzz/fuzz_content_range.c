/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_content_range.c - libFuzzer harness for the HTTPS client's parser
 * of a 206's Content-Range (rp_http_content_range_parse, lib/port/posix/
 * http_range.c), the server's text. Accepted means START <= END < TOTAL
 * (or TOTAL unknown), END - START + 1 without overflow, and the same
 * text printed back parses to the same numbers; a refusal leaves the
 * outputs as they were.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t s = 7, e = 7, t = 7, s2, e2, t2;
	char *text, back[96];

	if (size > 256)
		return 0;
	text = malloc(size + 1); /* owned here */
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rp_http_content_range_parse(text, &s, &e, &t) != RP_OK) {
		if (s != 7 || e != 7 || t != 7)
			abort();
		goto out;
	}
	if (s > e || e == UINT64_MAX ||
	    (t != RP_HTTP_RANGE_TOTAL_UNKNOWN && e >= t) || e - s + 1 == 0)
		abort();
	if (t == RP_HTTP_RANGE_TOTAL_UNKNOWN)
		snprintf(back, sizeof back, "bytes %llu-%llu/*",
		         (unsigned long long)s, (unsigned long long)e);
	else
		snprintf(back, sizeof back, "bytes %llu-%llu/%llu",
		         (unsigned long long)s, (unsigned long long)e,
		         (unsigned long long)t);
	if (rp_http_content_range_parse(back, &s2, &e2, &t2) != RP_OK ||
	    s2 != s || e2 != e || t2 != t)
		abort();
out:
	free(text);
	return 0;
}
