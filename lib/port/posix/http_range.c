/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_range.c - the Content-Range of a 206 (RFC 9110 14.4), as the HTTPS
 * client (http_client.c) checks it against the Range it sent.
 */
#include <stddef.h>
#include <strings.h>

#include "http_range.h"

/* Decimal digits at *p, at least one, below UINT64_MAX (the "unknown"). */
static int number(const char **p, uint64_t *out)
{
	const char *q = *p;
	uint64_t v = 0;

	if (*q < '0' || *q > '9')
		return 0;
	while (*q >= '0' && *q <= '9') {
		if (v > (UINT64_MAX - 1 - (uint64_t)(*q - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*q - '0');
		q++;
	}
	*p = q;
	*out = v;
	return 1;
}

rp_err rp_http_content_range_parse(const char *s, uint64_t *start,
                                   uint64_t *end, uint64_t *total)
{
	uint64_t a, b, t = RP_HTTP_RANGE_TOTAL_UNKNOWN;
	const char *p = s;

	if (s == NULL || strncasecmp(s, "bytes ", 6) != 0)
		return RP_E_HTTP;
	p += 6;
	if (!number(&p, &a) || *p++ != '-' || !number(&p, &b) || *p++ != '/')
		return RP_E_HTTP;
	if (*p == '*')
		p++;
	else if (!number(&p, &t))
		return RP_E_HTTP;
	if (*p != '\0' || a > b || (t != RP_HTTP_RANGE_TOTAL_UNKNOWN && b >= t))
		return RP_E_HTTP;
	*start = a;
	*end = b;
	*total = t;
	return RP_OK;
}
