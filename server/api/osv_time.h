/* SPDX-License-Identifier: Apache-2.0 */
/*
 * osv_time.h - an OSV record's "modified" (RFC 3339) as a number that
 * orders records whatever their offsets and fraction digits (vulns.c
 * decides with it whether an import replaces a stored record). Apart so
 * that tests/fuzz/fuzz_osv_time.c can reach it (rampartd_parsers).
 */
#ifndef RAMPARTD_API_OSV_TIME_H
#define RAMPARTD_API_OSV_TIME_H

#include <stdbool.h>
#include <stdint.h>

/*
 * s (NUL-terminated) as YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) into
 * *out: microseconds since 1970-01-01T00:00:00Z (fraction digits past
 * the sixth dropped, a leap second read as :59). false, *out unchanged,
 * when s is not of that form or a field is out of range (month 1..12,
 * day 1..31, hour 0..23, minute 0..59, second 0..60, offset up to
 * 23:59).
 */
bool api_osv_time_us(const char *s, int64_t *out);

#endif
