/* SPDX-License-Identifier: Apache-2.0 */
/*
 * range.c - range.h: a strict reader of one byte range of a Range header
 * (RFC 9110 14.1.1 grammar: ranges-specifier = range-unit "=" range-set)
 * and the strong comparison of If-Range against an entity tag.
 */
#include <string.h>
#include <strings.h>

#include "http/range.h"

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1*DIGIT at *p into *out, saturating at UINT64_MAX; false when none. */
static bool number(const char **p, uint64_t *out)
{
	const char *q = *p;
	uint64_t v = 0;

	if (!digit(*q))
		return false;
	for (; digit(*q); q++) {
		uint64_t d = (uint64_t)(*q - '0');

		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*p = q;
	*out = v;
	return true;
}

enum http_range_kind http_range_parse(const char *value, uint64_t len,
                                      struct http_range *out)
{
	const char *p = value;
	uint64_t a = 0, b = UINT64_MAX;
	bool suffix;

	if (value == NULL || len == 0)
		return HTTP_RANGE_WHOLE;
	while (ows(*p))
		p++;
	if (strncasecmp(p, "bytes=", 6) != 0)
		return HTTP_RANGE_WHOLE;
	p += 6;
	while (ows(*p))
		p++;
	suffix = *p == '-';
	if (suffix) {
		p++;
		if (!number(&p, &b))
			return HTTP_RANGE_WHOLE;
	} else {
		if (!number(&p, &a) || *p++ != '-')
			return HTTP_RANGE_WHOLE;
		if (digit(*p))
			(void)number(&p, &b);
	}
	while (ows(*p))
		p++;
	/* a ',' (several ranges) or anything else after the one range */
	if (*p != '\0' || (!suffix && a > b))
		return HTTP_RANGE_WHOLE;
	if (suffix) {
		if (b == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		out->first = b >= len ? 0 : len - b;
		out->last = len - 1;
		return HTTP_RANGE_PART;
	}
	if (a >= len)
		return HTTP_RANGE_UNSATISFIABLE;
	out->first = a;
	out->last = b >= len ? len - 1 : b;
	return HTTP_RANGE_PART;
}

bool http_if_range_holds(const char *value, const char *etag)
{
	size_t n, el = strlen(etag);

	if (value == NULL)
		return true;
	while (ows(*value))
		value++;
	n = strlen(value);
	while (n > 0 && ows(value[n - 1]))
		n--;
	/* a strong tag is '"' ... '"'; "W/" (weak) and dates never match */
	return el >= 2 && etag[0] == '"' && n == el &&
	       memcmp(value, etag, n) == 0;
}
