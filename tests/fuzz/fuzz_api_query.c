/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_api_query.c - libFuzzer harness for the admin API's query numbers
 * (server/api/query.c), as GET /api/v1/events?after=ID&limit=N and GET
 * /api/v1/refusals?limit=N read them. Input: the text after '?' of a
 * request URI, which libevent's URI parser takes apart first as it does
 * for a request (evhttp_uri_parse). Checks, for after in [0, INT64_MAX],
 * limit in [1, 1000] and a narrow [5, 10]: an accepted value is within
 * [min, max], and is the decimal number the parameter spells; an absent
 * parameter leaves the value as it was; a refusal has a reason text and
 * leaves the value as it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UNSET INT64_C(-0x5eed)

/* One parameter in one range: the invariants above. */
static void check(const char *q, const char *name, int64_t min, int64_t max)
{
	struct evkeyvalq kv;
	const char *v = NULL;
	int64_t out = UNSET;
	char why[128] = "", back[32];
	bool ok = api_query_int_str(q, name, min, max, &out, why, sizeof why);

	/* the parameter as libevent's parser gives it (kv initialised,
	 * also when the parse fails) */
	if (q != NULL && evhttp_parse_query_str(q, &kv) == 0)
		v = evhttp_find_header(&kv, name);
	if (!ok) {
		if (why[0] == '\0' || out != UNSET)
			abort(); /* a refusal says why and sets nothing */
	} else if (out == UNSET) {
		if (v != NULL)
			abort(); /* present yet not read (UNSET < every min) */
	} else {
		if (out < min || out > max || v == NULL)
			abort();
		/* the number the text spells: digits only, leading zeros */
		while (v[0] == '0' && v[1] != '\0')
			v++;
		snprintf(back, sizeof back, "%lld", (long long)out);
		if (strcmp(back, v) != 0)
			abort();
	}
	if (q != NULL)
		evhttp_clear_headers(&kv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pre[] = "/api/v1/events?";
	char *uri = malloc(sizeof pre + size);
	struct evhttp_uri *u;
	const char *q;

	if (uri == NULL)
		return 0;
	memcpy(uri, pre, sizeof pre - 1);
	memcpy(uri + sizeof pre - 1, data, size);
	uri[sizeof pre - 1 + size] = '\0';
	/* what evhttp does with a request line's URI */
	u = evhttp_uri_parse_with_flags(uri, EVHTTP_URI_NONCONFORMANT);
	if (u != NULL) {
		q = evhttp_uri_get_query(u);
		check(q, "after", 0, INT64_MAX);
		check(q, "limit", 1, 1000);
		check(q, "limit", 5, 10);
		evhttp_uri_free(u);
	}
	free(uri);
	return 0;
}
