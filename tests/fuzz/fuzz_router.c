/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_router.c - libFuzzer harness for rampartd's route matching
 * (server/http/router.c), which reads the request line's method and path
 * as a client sent them. Input: the method name, a NUL, then the path.
 * Checks: router_method knows only the nine HTTP names; a match is a route
 * whose pattern rebuilds the path exactly once its parameter is put back,
 * with a non-empty parameter of at most ROUTER_PARAM_MAX bytes and no '/';
 * the Allow bits hold the matched method and are empty exactly when no
 * pattern matches; the Allow list is NUL-terminated, whole names only.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The shapes of routes.c's table: literals, a parameter inside and last. */
static const struct route table[] = {
    {EVHTTP_REQ_GET, "/.well-known/est/cacerts", ROUTER_PERM_NONE, 0, 0, NULL},
    {EVHTTP_REQ_POST, "/.well-known/est/simpleenroll", ROUTER_PERM_CLAIM, 0, 0,
     NULL},
    {EVHTTP_REQ_GET, "/api/v1/devices", ROUTER_PERM_ADMIN, 0, 0, NULL},
    {EVHTTP_REQ_GET, "/api/v1/devices/{id}", ROUTER_PERM_ADMIN, 0, 0, NULL},
    {EVHTTP_REQ_DELETE, "/api/v1/devices/{id}", ROUTER_PERM_ADMIN, 0, 0, NULL},
    {EVHTTP_REQ_POST, "/api/v1/devices/{id}/revoke", ROUTER_PERM_ADMIN, 0, 0,
     NULL},
    {EVHTTP_REQ_POST, "/api/v1/allowlist", ROUTER_PERM_ADMIN, 0, 0, NULL},
};
#define N_ROUTES (sizeof table / sizeof table[0])

/* The pattern with its {param} segment replaced by param. */
static void rebuild(const char *pattern, const char *param, char *out,
                    size_t cap)
{
	const char *open = strchr(pattern, '{');
	const char *close = open ? strchr(open, '}') : NULL;

	if (open == NULL || close == NULL) {
		snprintf(out, cap, "%s", pattern);
		return;
	}
	snprintf(out, cap, "%.*s%s%s", (int)(open - pattern), pattern, param,
	         close + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *path, again[2 * ROUTER_PATH_MAX];
	char allow_list[64];
	const struct route *r;
	struct router_req rr;
	unsigned method, allow = 0;
	size_t mlen;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	mlen = strlen(buf);
	path = mlen < size ? buf + mlen + 1 : buf + mlen;
	method = router_method(buf, mlen);
	if (method != 0 && (method & (method - 1)) != 0)
		abort(); /* one EVHTTP_REQ_* bit, or none */
	memset(&rr, 0xa5, sizeof rr);
	r = router_find(table, N_ROUTES, method, path, &rr, &allow);
	if (r != NULL) {
		if (r->method != method || (allow & method) == 0 ||
		    rr.route != r || rr.path != path)
			abort();
		if (strchr(r->pattern, '{') != NULL) {
			size_t n = strnlen(rr.param[0], ROUTER_PARAM_MAX + 1);

			if (rr.n_params != 1 || n == 0 ||
			    n > ROUTER_PARAM_MAX || strchr(rr.param[0], '/'))
				abort();
		} else if (rr.n_params != 0) {
			abort();
		}
		rebuild(r->pattern, rr.n_params ? rr.param[0] : "", again,
		        sizeof again);
		if (strcmp(again, path) != 0)
			abort();
	}
	/* Asked with every method, the path's Allow bits are the same. */
	if (router_find(table, N_ROUTES, 0, path, NULL, &method) != NULL ||
	    method != allow)
		abort();
	router_allow_list(allow, allow_list, sizeof allow_list);
	if (memchr(allow_list, '\0', sizeof allow_list) == NULL ||
	    (allow == 0) != (allow_list[0] == '\0'))
		abort();
	router_allow_list(allow, allow_list, 5); /* cut: whole names only */
	if (allow_list[0] != '\0' &&
	    router_method(allow_list, strcspn(allow_list, ",")) == 0)
		abort();
	free(buf);
	return 0;
}
