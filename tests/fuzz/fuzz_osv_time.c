/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_osv_time.c - libFuzzer harness for the OSV "modified" times of
 * rampartd's vulnerability import (server/api/osv_time.c). Input: the
 * text of the field. Checks: a refusal leaves the value as it was; an
 * accepted time ends in Z or an offset; the same time with its Z written
 * "+00:00" gives the same value, and with "+01:30" 5400 s less; the
 * value does not depend on fraction digits past the sixth.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/osv_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UNSET INT64_C(-0x5eed)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[96], t[104];
	int64_t v = UNSET, w = UNSET;
	size_t n;

	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	if (!api_osv_time_us(s, &v)) {
		if (v != UNSET)
			abort();
		return 0;
	}
	if (n < 20)
		abort();
	if (s[n - 1] == 'Z' || s[n - 1] == 'z') {
		memcpy(t, s, n - 1);
		memcpy(t + n - 1, "+00:00", 7);
		if (!api_osv_time_us(t, &w) || w != v)
			abort();
		memcpy(t + n - 1, "+01:30", 7);
		if (!api_osv_time_us(t, &w) || w != v - INT64_C(5400000000))
			abort();
		/* a fraction digit past the sixth changes nothing */
		if (s[19] == '.' && n - 21 >= 6) {
			memcpy(t, s, n - 1);
			memcpy(t + n - 1, "9Z", 3);
			if (!api_osv_time_us(t, &w) || w != v)
				abort();
		}
	} else if (s[n - 6] != '+' && s[n - 6] != '-') {
		abort();
	}
	return 0;
}
