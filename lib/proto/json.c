/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - one JSON object from a message, with jansson (rampart/json.h),
 * for every decoder of the wire formats (telemetry.c, rampartd's broker
 * service messages): the one place that knows how jansson 2.14 reports a
 * failed allocation.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/alloc.h"
#include "rampart/json.h"

/*
 * Whether json_loadb's refusal (NULL, *e) of buf[0..len) was for memory,
 * when jansson allocates through functions that rp_alloc_refused() does
 * not see (a program's own json_set_alloc_funcs).
 * jansson >= 2.11 has json_error_out_of_memory, but 2.14's parser sets no
 * error at all for most of its failed allocations (an object, a value,
 * a member, the lexer's start: e->text stays "", e zeroed before the
 * call since jansson does not write the code then), and when the copy of a
 * string token fails it calls that token invalid: "invalid token" as a
 * value, "string or '}' expected" as a key, the string's closing quote
 * being the last byte it read. No real error of those two ends on a '"':
 * a string the lexer refuses carries its own message (jansson keeps the
 * first), and a number, a word or a stray byte ends elsewhere.
 */
static bool json_nomem(const json_error_t *e, const char *buf, size_t len)
{
	static const char tok[] = "invalid token",
	                  key[] = "string or '}' expected";

	if (json_error_code(e) == json_error_out_of_memory ||
	    e->text[0] == '\0')
		return true;
	if (strncmp(e->text, tok, sizeof tok - 1) != 0 &&
	    strncmp(e->text, key, sizeof key - 1) != 0)
		return false;
	return e->position > 0 && (size_t)e->position <= len &&
	       buf[e->position - 1] == '"';
}

/* rp_json_use_alloc's one run: the defaults replaced, nothing else (the
 * faultsim hooks set their own functions before). */
static void use_our_allocator(void)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	if (m == malloc && f == free)
		json_set_alloc_funcs(rp_malloc, rp_free);
}

void rp_json_use_alloc(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, use_our_allocator);
}

rp_err rp_json_load_object(const void *buf, size_t len, json_t **out,
                           json_error_t *why)
{
	json_error_t jerr;
	json_t *root;
	unsigned long refused;
	rp_err rc = RP_E_INVAL;

	if (why != NULL)
		memset(why, 0, sizeof *why);
	if (out == NULL || (buf == NULL && len > 0))
		goto out;
	*out = NULL;
	rc = RP_E_SYNTAX;
	if (len == 0)
		goto out;
	rp_json_use_alloc();
	memset(&jerr, 0, sizeof jerr);
	refused = rp_alloc_refused();
	/* objects only (no JSON_DECODE_ANY), nothing after the object */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (rp_alloc_refused() != refused) {
		/* whatever jansson answered: it may have dropped a byte of a
		 * token it could not grow (lex_save, akheron/jansson#362) */
		json_decref(root);
		rc = RP_E_NOMEM;
		goto out;
	}
	if (root == NULL) {
		if (json_nomem(&jerr, buf, len))
			rc = RP_E_NOMEM;
		else if (why != NULL)
			*why = jerr;
		goto out;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		goto out;
	}
	*out = root;
	rc = RP_OK;
out:
	return rc;
}
