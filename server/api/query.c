/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query.c - query.h: a number from a query string, through libevent's
 * own query parser (evhttp_parse_query_str, which decodes %XX and '+').
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/query.h"

bool api_query_int_str(const char *query, const char *name, int64_t min,
                       int64_t max, int64_t *out, char *why, size_t cap)
{
	struct evkeyvalq kv;
	const char *v;
	char *end = NULL;
	long long n;
	bool ok = false, parsed = false;

	if (query == NULL) {
		ok = true;
		goto out;
	}
	/* evhttp_parse_query_str initialises kv, also when it fails */
	parsed = true;
	if (evhttp_parse_query_str(query, &kv) != 0) {
		snprintf(why, cap, "malformed query");
		goto out;
	}
	v = evhttp_find_header(&kv, name);
	if (v == NULL) {
		ok = true;
		goto out;
	}
	errno = 0;
	n = (*v >= '0' && *v <= '9') ? strtoll(v, &end, 10) : 0;
	if (end == NULL || *end != '\0' || errno != 0 || n < min || n > max) {
		snprintf(why, cap, "%s wants a number from %lld to %lld", name,
		         (long long)min, (long long)max);
		goto out;
	}
	*out = (int64_t)n;
	ok = true;
out:
	if (parsed)
		evhttp_clear_headers(&kv);
	return ok;
}
