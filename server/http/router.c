/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.c - matching a request's method and path against rampartd's
 * route table (router.h). Paths are compared segment by segment, as
 * sent (no percent-decoding: no route has an encoded character, and a
 * parameter's handler checks its own characters).
 */
#include <stdio.h>
#include <string.h>

#include "router.h"

static const struct {
	const char *name;
	unsigned method;
} methods[] = {
    {"GET", EVHTTP_REQ_GET},       {"POST", EVHTTP_REQ_POST},
    {"HEAD", EVHTTP_REQ_HEAD},     {"PUT", EVHTTP_REQ_PUT},
    {"DELETE", EVHTTP_REQ_DELETE}, {"OPTIONS", EVHTTP_REQ_OPTIONS},
    {"TRACE", EVHTTP_REQ_TRACE},   {"CONNECT", EVHTTP_REQ_CONNECT},
    {"PATCH", EVHTTP_REQ_PATCH},
};

#define N_METHODS (sizeof methods / sizeof methods[0])

unsigned router_method(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_METHODS; i++) {
		if (strlen(methods[i].name) == len &&
		    memcmp(methods[i].name, name, len) == 0)
			return methods[i].method;
	}
	return 0;
}

void router_allow_list(unsigned allow, char *out, size_t cap)
{
	size_t i, o = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < N_METHODS; i++) {
		int n;

		if ((allow & methods[i].method) == 0)
			continue;
		n = snprintf(out + o, cap - o, "%s%s", o ? ", " : "",
		             methods[i].name);
		if (n < 0 || (size_t)n >= cap - o) {
			out[o] = '\0'; /* whole names only */
			break;
		}
		o += (size_t)n;
	}
}

/*
 * True if path matches pattern; the {param} segments go to rr (may be
 * NULL). A parameter is one non-empty segment of at most ROUTER_PARAM_MAX
 * bytes; a longer one does not match.
 */
static int match(const char *pattern, const char *path, struct router_req *rr)
{
	const char *p = pattern, *s = path;
	size_t n_params = 0;

	while (*p != '\0' && *s != '\0') {
		size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");

		if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
			if (sl == 0 || sl > ROUTER_PARAM_MAX ||
			    n_params == ROUTER_PARAMS_MAX)
				return 0;
			if (rr != NULL) {
				memcpy(rr->param[n_params], s, sl);
				rr->param[n_params][sl] = '\0';
			}
			n_params++;
		} else if (pl != sl || memcmp(p, s, pl) != 0) {
			return 0;
		}
		p += pl;
		s += sl;
		/* both at a '/', or both at the end */
		if ((*p == '/') != (*s == '/'))
			return 0;
		if (*p == '/') {
			p++;
			s++;
		}
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	if (rr != NULL)
		rr->n_params = n_params;
	return 1;
}

const struct route *router_find(const struct route *table, size_t n,
                                unsigned method, const char *path,
                                struct router_req *rr, unsigned *allow)
{
	const struct route *found = NULL;
	unsigned seen = 0;
	size_t i;

	if (rr != NULL)
		memset(rr, 0, sizeof *rr);
	for (i = 0; i < n; i++) {
		if (!match(table[i].pattern, path, NULL))
			continue;
		seen |= table[i].method;
		if (found == NULL && table[i].method == method)
			found = &table[i];
	}
	if (found != NULL && rr != NULL) {
		(void)match(found->pattern, path, rr);
		rr->route = found;
		rr->path = path;
	}
	if (allow != NULL)
		*allow = seen;
	return found;
}
