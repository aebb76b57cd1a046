/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reply.c - the admin API's JSON answers (api.h): a value, an error
 * object, and the route table's 404 and 405 in the API's form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/keyvalq_struct.h>

#include "api/api.h"
#include "http/http.h"

void api_reply_json(struct evhttp_request *req, int code, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL; /* ours */

	if (s == NULL) {
		http_reply_text(req, 500, "internal error");
	} else {
		http_reply(req, code, "application/json", s, strlen(s));
		free(s);
	}
	json_decref(j);
}

void api_reply_error(struct evhttp_request *req, int code, const char *msg)
{
	api_reply_json(req, code, json_pack("{s:s}", "error", msg));
}

void api_reply_no_device(struct evhttp_request *req, const char *id)
{
	char msg[96];

	snprintf(msg, sizeof msg, "no device '%s'", id);
	api_reply_error(req, 404, msg);
}

void api_not_found(struct evhttp_request *req)
{
	api_reply_error(req, 404, "no such API route");
}

void api_bad_method(struct evhttp_request *req, unsigned allow)
{
	char list[64];

	router_allow_list(allow, list, sizeof list);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	                  list);
	api_reply_error(req, 405, "method not allowed");
}

bool api_query_int(struct evhttp_request *req, const char *name, int64_t min,
                   int64_t max, int64_t *out, char *why, size_t cap)
{
	const char *q =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq kv;
	const char *v;
	char *end = NULL;
	long long n;
	bool ok = false;

	if (q == NULL)
		return true;
	/* evhttp_parse_query_str initialises kv, also when it fails */
	if (evhttp_parse_query_str(q, &kv) != 0) {
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
	evhttp_clear_headers(&kv);
	return ok;
}
