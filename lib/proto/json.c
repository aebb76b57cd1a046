/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - one JSON object from a message, with jansson (rampart/json.h),
 * for every decoder of the wire formats (telemetry.c, rampartd's broker
 * service messages, lib/sbom): the one place that tells a failed
 * allocation from a malformed message. jansson 2.14 does not say it
 * reliably (most of its failed allocations leave no error at all, a
 * failed string copy reads as an invalid token, and a buffer that could
 * not grow loses a byte and succeeds), so its allocations go through
 * rampart/alloc.h and their failures are counted (rp_alloc_refused):
 * only a parse during which one failed is out of memory.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/alloc.h"
#include "rampart/json.h"

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
		if (why != NULL)
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
