/* SPDX-License-Identifier: Apache-2.0 */
/*
 * osv_time.c - RFC 3339 date-times of OSV records as microseconds since
 * the epoch, UTC (osv_time.h): the fixed fields read by position, the
 * offset subtracted, the days counted from the civil date (no tm, no
 * time zone, no libc time function).
 */
#include <string.h>

#include "api/osv_time.h"

/* n digits of s at i as a number; -1 if one is not a digit. */
static long digits(const char *s, size_t i, int n)
{
	long v = 0;

	for (int k = 0; k < n; k++) {
		char c = s[i + (size_t)k];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool api_osv_time_us(const char *s, int64_t *out)
{
	/* YYYY-MM-DDTHH:MM:SS: the fields' offsets, widths and ranges */
	static const size_t at[6] = {0, 5, 8, 11, 14, 17};
	static const int width[6] = {4, 2, 2, 2, 2, 2};
	static const long lo[6] = {0, 1, 1, 0, 0, 0};
	static const long hi[6] = {9999, 12, 31, 23, 59, 60};
	long f[6], us = 0, scale = 100000, off = 0, oh, om;
	size_t i, n = strlen(s);

	if (n < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return false;
	for (i = 0; i < 6; i++) {
		f[i] = digits(s, at[i], width[i]);
		if (f[i] < lo[i] || f[i] > hi[i])
			return false;
	}
	i = 19;
	if (s[i] == '.') {
		if (s[i + 1] < '0' || s[i + 1] > '9')
			return false;
		for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
			us += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':') {
		oh = digits(s, i + 1, 2);
		om = digits(s, i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return false;
		off = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	} else if (!((s[i] == 'Z' || s[i] == 'z') && n - i == 1)) {
		return false;
	}
	*out = ((days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 +
	         f[4] * 60 + (f[5] > 59 ? 59 : f[5])) -
	        off) *
	           1000000 +
	       us;
	return true;
}
