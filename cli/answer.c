/* SPDX-License-Identifier: Apache-2.0 */
/*
 * answer.c - the admin commands' reading and printing of rampartd's JSON
 * answers (answer.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "answer.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"

const char *answer_str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

long long answer_num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* True when s (n bytes) needs no escaping. */
static int plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			return 0;
	}
	return 1;
}

void answer_tidy(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i, n;
	char *e;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v) answer_tidy(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) answer_tidy(v);
	} else if (json_is_string(j)) {
		n = json_string_length(j);
		if (plain(json_string_value(j), n))
			return;
		/* e: ours, freed below; json_string_set copies it */
		e = n < (SIZE_MAX - 1) / 4 ? rp_malloc(n * 4 + 1) : NULL;
		if (e == NULL ||
		    rp_escape(e, n * 4 + 1, json_string_value(j), n) == 0 ||
		    json_string_set(j, e) != 0)
			(void)json_string_set(j, "?");
		free(e);
	}
}

void answer_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}
