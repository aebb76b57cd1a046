/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query.h - the admin API's query-string numbers (?after=ID&limit=N),
 * apart from the request so that tests/fuzz/fuzz_api_query.c can reach
 * it (rampartd_parsers). api_query_int (api.h) is this on a request.
 */
#ifndef RAMPARTD_API_QUERY_H
#define RAMPARTD_API_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The parameter name of the query string query (without '?'; NULL: no
 * query) as a decimal number from min to max into *out (left as it is
 * when the parameter is absent): true; false when the query is malformed
 * or the value is not digits only or out of range, with why (cap >= 1
 * bytes) saying so for a 400 answer.
 */
bool api_query_int_str(const char *query, const char *name, int64_t min,
                       int64_t max, int64_t *out, char *why, size_t cap);

#endif
