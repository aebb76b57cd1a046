/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id.c - the id charset rule (include/rampart/id.h). Freestanding.
 */
#include "rampart/id.h"

bool rp_id_char(int c)
{
	/* ASCII ranges, not isalnum: no locale may add a byte */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool rp_id_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len > RP_ID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!rp_id_char((unsigned char)s[i]))
			return false;
	}
	return true;
}
