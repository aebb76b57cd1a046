/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reply.c - the admin API's JSON answers (api.h): a value, an error
 * object, and the route table's 404 and 405 in the API's form; query
 * numbers (query.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/query.h"
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
	return api_query_int_str(
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)), name, min,
	    max, out, why, cap);
}
