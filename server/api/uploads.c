/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uploads.c - the upload sessions of the admin API (docs/releases.md
 * "Uploading an image"): POST /uploads opens one for an announced size
 * (at most [releases] max_image_size) on release_upload_open's temp
 * file, PUT /uploads/ID appends one chunk (at most UPLOAD_CHUNK_MAX, the
 * route's body class) at the offset the client names, GET /uploads/ID
 * says the offset to resume from, DELETE /uploads/ID gives up. evhttp
 * holds a whole request body before the handler runs, so an image comes
 * in many requests, each held in memory only until it is written. A
 * session idle for [releases] upload_idle is removed, with its file; a
 * crash leaves the file to the sweep at the next start (release.h).
 */
#define _GNU_SOURCE /* pwritev */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <openssl/rand.h>

#include "api/api.h"
#include "api/query.h"
#include "api/uploads.h"
#include "http/http.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"
#include "rampart/file.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "release/release.h"

struct upload *uploads_find(struct api_rel *a, const char *id)
{
	for (struct upload *u = a->uploads; u != NULL; u = u->next)
		if (strcmp(u->id, id) == 0) {
			u->touched = time(NULL);
			return u;
		}
	return NULL;
}

void uploads_detach(struct api_rel *a, struct upload *u)
{
	struct upload **p = &a->uploads;

	while (*p != NULL && *p != u)
		p = &(*p)->next;
	if (*p == NULL)
		return;
	*p = u->next;
	a->n_uploads--;
	if (u->fd >= 0)
		(void)close(u->fd);
	u->fd = -1;
}

/* Remove u and its file. */
static void drop(struct api_rel *a, struct upload *u)
{
	int fd = u->fd;

	u->fd = -1;
	uploads_detach(a, u);
	rp_file_temp_abort(fd, u->tmp);
	rp_free(u);
}

static json_t *upload_json(const struct upload *u)
{
	return json_pack("{s:s, s:I, s:I}", "id", u->id, "size",
	                 (json_int_t)u->size, "offset", (json_int_t)u->offset);
}

/* The idle sweep: sessions untouched for [releases] upload_idle. */
static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct rampartd *rd = arg;
	time_t now = time(NULL);
	struct upload *u, *next;

	(void)fd;
	(void)what;
	for (u = rd->rel->uploads; u != NULL; u = next) {
		next = u->next;
		if (now - u->touched < (time_t)rd->cfg.release_upload_idle)
			continue;
		rp_log_info("uploads: %s idle for %llds at %" PRId64
		            " of %" PRId64 " bytes: removed",
		            u->id, (long long)(now - u->touched), u->offset,
		            u->size);
		drop(rd->rel, u);
	}
}

rp_err api_rel_start(struct rampartd *rd)
{
	struct api_rel *a = rp_calloc(1, sizeof *a); /* rd->rel's */
	int64_t every = rd->cfg.release_upload_idle / 4;
	struct timeval tv = {every > 0 ? every : 1, 0};

	if (a == NULL)
		return RP_E_NOMEM;
	a->idle = event_new(rd->base, -1, EV_PERSIST, on_idle, rd);
	if (a->idle == NULL || event_add(a->idle, &tv) != 0) {
		if (a->idle != NULL)
			event_free(a->idle);
		rp_free(a);
		return RP_E_NOMEM;
	}
	rd->rel = a;
	return RP_OK;
}

void api_rel_stop(struct rampartd *rd)
{
	struct api_rel *a = rd->rel;

	if (a == NULL)
		return;
	releases_jobs_stop(a);
	while (a->uploads != NULL)
		drop(a, a->uploads);
	event_free(a->idle);
	rp_free(a);
	rd->rel = NULL;
}

API_HANDLER(api_upload_open)
{
	struct release_ctx c = {rd->store, rd->data_dir, NULL, NULL};
	struct upload *u = NULL; /* owned here until listed */
	uint8_t raw[UPLOAD_ID_LEN / 2];
	json_t *in = NULL;
	json_error_t jerr;
	json_int_t size = -1;
	char *body = NULL, msg[160];
	size_t len;
	rp_err rc;

	(void)rr;
	if (http_body(req, API_JSON_MAX, &body, &len) != RP_OK) {
		api_reply_error(req, 413, "body too big");
		goto out;
	}
	in = json_loadb(body, len, 0, &jerr);
	if (in == NULL ||
	    json_unpack_ex(in, &jerr, JSON_STRICT, "{s:I}", "size", &size) !=
	        0 ||
	    size <= 0) {
		api_reply_error(
		    req, 400, "want {\"size\": N}: the image's size in bytes");
		goto out;
	}
	if (size > rd->cfg.release_max_image) {
		snprintf(msg, sizeof msg,
		         "an image is at most %" PRId64
		         " bytes ([releases] max_image_size), not %lld",
		         rd->cfg.release_max_image, (long long)size);
		api_reply_error(req, 413, msg);
		goto out;
	}
	if (rd->rel->n_uploads >= UPLOAD_SESSIONS_MAX) {
		snprintf(msg, sizeof msg,
		         "%u uploads are open already: finish or cancel one "
		         "(they expire after %llds idle)",
		         rd->rel->n_uploads,
		         (long long)rd->cfg.release_upload_idle);
		api_reply_error(req, 503, msg);
		goto out;
	}
	u = rp_calloc(1, sizeof *u);
	if (u == NULL || RAND_bytes(raw, sizeof raw) != 1 ||
	    rp_hex_encode(raw, sizeof raw, u->id, sizeof u->id) != RP_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	rc = release_upload_open(&c, u->tmp, sizeof u->tmp, &u->fd);
	if (rc != RP_OK) {
		api_reply_error(req, 500, "cannot create the upload file");
		goto out;
	}
	u->size = (int64_t)size;
	u->touched = time(NULL);
	u->next = rd->rel->uploads;
	rd->rel->uploads = u;
	rd->rel->n_uploads++;
	rp_log_info("uploads: %s opened for %" PRId64 " bytes", u->id, u->size);
	api_reply_json(req, 201, upload_json(u));
	u = NULL;
out:
	rp_free(u);
	json_decref(in);
	free(body);
}

/* The offset a chunk says it starts at: the Upload-Offset header, else
 * the query's offset (for clients that cannot set a header). */
static bool chunk_offset(struct evhttp_request *req, int64_t *off, char *why,
                         size_t cap)
{
	const char *h = http_header(req, "Upload-Offset");
	char q[40];

	*off = -1;
	if (h != NULL) {
		/* the header's value through the query's one number parser */
		if (strlen(h) > 20 || strchr(h, '&') != NULL) {
			snprintf(why, cap, "Upload-Offset wants a number");
			return false;
		}
		snprintf(q, sizeof q, "o=%s", h);
		return api_query_int_str(q, "o", 0, INT64_MAX, off, why, cap) &&
		       *off >= 0;
	}
	if (!api_query_int(req, "offset", 0, INT64_MAX, off, why, cap))
		return false;
	if (*off < 0) {
		snprintf(why, cap,
		         "say where the chunk starts: Upload-Offset: N (or "
		         "?offset=N)");
		return false;
	}
	return true;
}

/* Write the body of req at off of fd, piece by piece as evhttp holds
 * it (no copy). */
static rp_err write_body(struct evbuffer *b, int fd, int64_t off)
{
	struct evbuffer_ptr pos;
	struct evbuffer_iovec v[16];
	int n;

	if (evbuffer_ptr_set(b, &pos, 0, EVBUFFER_PTR_SET) != 0)
		return RP_E_IO;
	for (;;) {
		n = evbuffer_peek(b, -1, &pos, v, 16);
		if (n <= 0)
			return RP_OK;
		n = n > 16 ? 16 : n;
		for (int i = 0; i < n; i++) {
			const char *p = v[i].iov_base;
			size_t left = v[i].iov_len;

			while (left > 0) {
				ssize_t w = pwrite(fd, p, left, (off_t)off);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return RP_E_IO;
				p += w;
				left -= (size_t)w;
				off += w;
			}
			if (evbuffer_ptr_set(b, &pos, v[i].iov_len,
			                     EVBUFFER_PTR_ADD) != 0)
				return RP_OK; /* at the end */
		}
	}
}

API_HANDLER(api_upload_put)
{
	struct upload *u = uploads_find(rd->rel, rr->param[0]);
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(b);
	char why[160];
	int64_t off;

	if (u == NULL) {
		api_reply_error(req, 404,
		                "no such upload (finished, cancelled, expired, "
		                "or rampartd restarted): start again");
		return;
	}
	if (!chunk_offset(req, &off, why, sizeof why)) {
		api_reply_error(req, 400, why);
		return;
	}
	if (off != u->offset) {
		snprintf(why, sizeof why,
		         "the upload is at offset %" PRId64 ", not %" PRId64
		         ": resume from there",
		         u->offset, off);
		api_reply_json(req, 409,
		               json_pack("{s:s, s:I, s:I}", "error", why,
		                         "offset", (json_int_t)u->offset,
		                         "size", (json_int_t)u->size));
		return;
	}
	if ((int64_t)len > u->size - u->offset) {
		snprintf(why, sizeof why,
		         "the chunk ends past the announced size of %" PRId64
		         " bytes",
		         u->size);
		api_reply_error(req, 413, why);
		return;
	}
	if (write_body(b, u->fd, off) != RP_OK) {
		rp_log_error("uploads: %s: cannot write %s: %s", u->id, u->tmp,
		             strerror(errno));
		/* what was written past offset is written again */
		api_reply_error(req, 500, "cannot write the upload file");
		return;
	}
	u->offset += (int64_t)len;
	api_reply_json(req, 200, upload_json(u));
}

API_HANDLER(api_upload_show)
{
	struct upload *u = uploads_find(rd->rel, rr->param[0]);

	if (u == NULL) {
		api_reply_error(req, 404, "no such upload");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Cache-Control", "no-store");
	api_reply_json(req, 200, upload_json(u));
}

API_HANDLER(api_upload_cancel)
{
	struct upload *u = uploads_find(rd->rel, rr->param[0]);

	if (u == NULL) {
		api_reply_error(req, 404, "no such upload");
		return;
	}
	rp_log_info("uploads: %s cancelled", u->id);
	drop(rd->rel, u);
	api_reply_json(req, 200, json_pack("{s:b}", "cancelled", 1));
}
