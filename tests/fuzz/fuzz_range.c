/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_range.c - libFuzzer harness for the firmware route's Range and
 * If-Range readers (server/http/range.c), the client's text. The first 8
 * bytes are the representation's length, the rest the header value. A
 * part is inside it (first <= last < len); nothing but a part writes the
 * range; a part printed back as "bytes=FIRST-LAST" reads as itself; the
 * If-Range comparison holds only for the tag itself, spaces aside.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tag[] = "\"0123abcd\"";
	struct http_range r = {7, 7}, r2;
	uint64_t len = 0;
	char *text, back[64];
	enum http_range_kind k;
	size_t i;

	if (size < 8 || size > 512)
		return 0;
	for (i = 0; i < 8; i++)
		len = len << 8 | data[i];
	/* small lengths too: the cut and the suffix at the end matter */
	if (data[0] & 0x80)
		len &= 0xffff;
	text = malloc(size - 8 + 1); /* owned here */
	if (text == NULL)
		return 0;
	memcpy(text, data + 8, size - 8);
	text[size - 8] = '\0';
	k = http_range_parse(text, len, &r);
	if (k == HTTP_RANGE_PART) {
		if (r.first > r.last || r.last >= len)
			abort();
		snprintf(back, sizeof back, "bytes=%llu-%llu",
		         (unsigned long long)r.first,
		         (unsigned long long)r.last);
		if (http_range_parse(back, len, &r2) != HTTP_RANGE_PART ||
		    r2.first != r.first || r2.last != r.last)
			abort();
	} else if (r.first != 7 || r.last != 7) {
		abort();
	} else if (k != HTTP_RANGE_WHOLE && k != HTTP_RANGE_UNSATISFIABLE) {
		abort();
	}
	if (http_if_range_holds(text, tag) && strstr(text, tag) == NULL)
		abort();
	free(text);
	return 0;
}
