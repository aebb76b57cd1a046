/* SPDX-License-Identifier: Apache-2.0 */
/*
 * firmware.c - the download of a release's image by a device
 * (docs/updates.md "The download"): GET and HEAD /fw/v1/{release} with
 * the device's certificate (the route table has checked it: a current
 * device certificate of ours; a claim certificate is fenced off before).
 * A device may fetch a release only while its update to it is not final
 * (store_update_current); everything else is refused (403, recorded with
 * the precise reason), a device over [firmware] max_downloads_per_device
 * downloads at once too (429 with Retry-After). The image file
 * DATA/releases/<id>.img is opened once and streamed from that descriptor
 * (http_stream_fd: bounded memory, a removal meanwhile leaves the old
 * inode to read), with one RFC 9110 range (http/range.h) and the strong
 * ETag "<id>" (the file's SHA-256: releases are content-addressed).
 * GET /fw/v1/patch/{id} (a delta patch) will be the next route here.
 */
#define _POSIX_C_SOURCE 200809L /* pread, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>

#include "api/api.h"
#include "http/http.h"
#include "http/range.h"
#include "rampart/alloc.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "release/release.h"

/* A client over the limit is told to come back after this (seconds). */
#define FW_RETRY_AFTER "10"

/* One download running: in rd->fw_downloads from its start to the end
 * of its stream (fw_stream_done frees it); owned by the list. */
struct fw_download {
	struct fw_download *next;
	struct rampartd *rd;
	char device[ROUTER_PARAM_MAX + 1];
	char release[65];
	uint64_t first, len;
};

static bool release_id(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static unsigned downloads_of(const struct rampartd *rd, const char *device)
{
	const struct fw_download *d;
	unsigned n = 0;

	for (d = rd->fw_downloads; d != NULL; d = d->next)
		n += strcmp(d->device, device) == 0;
	return n;
}

/* http_stream_done: the download is off the list. */
static void fw_stream_done(void *arg, enum http_stream_end end, uint64_t sent)
{
	struct fw_download *d = arg, **p;

	for (p = &d->rd->fw_downloads; *p != NULL; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	if (end != HTTP_STREAM_DONE)
		rp_log_info("fw: %s's download of %.12s ended after %llu of "
		            "%llu bytes (%s)",
		            d->device, d->release, (unsigned long long)sent,
		            (unsigned long long)d->len,
		            end == HTTP_STREAM_GONE
		                ? "the client went away or stalled"
		                : "a read failed");
	rp_free(d);
}

/* The device's update allows it release id: true; else the refusal is
 * recorded and answered (403), or the store's failure (500). */
static bool assigned(struct rampartd *rd, struct evhttp_request *req,
                     const struct router_req *rr, const char *id)
{
	const char *dev = rr->who.id;
	struct store_update u;
	char why[256];
	rp_err err;

	if (!release_id(id)) {
		rd_refuse(rd, req, rr->path, dev, RP_E_PERM, 403,
		          "not a release id (64 lower-case hex)");
		return false;
	}
	err = store_update_current(rd->store, dev, &u);
	if (err == RP_E_NOT_FOUND) {
		snprintf(why, sizeof why,
		         "release %.12s: the device has no update", id);
	} else if (err != RP_OK) {
		rp_log_error("fw: the update of %s: %s", dev, rp_strerror(err));
		http_reply_text(req, 500, "internal error");
		return false;
	} else if (u.final) {
		snprintf(why, sizeof why,
		         "release %.12s: the device's last update (command "
		         "%s, release %.12s) is %s: final",
		         id, u.cmd_id, u.release_id, u.state);
	} else if (strcmp(u.release_id, id) != 0) {
		snprintf(why, sizeof why,
		         "release %.12s: the device's update (command %s) is "
		         "to release %.12s",
		         id, u.cmd_id, u.release_id);
	} else {
		return true;
	}
	rd_refuse(rd, req, rr->path, dev, RP_E_PERM, 403, why);
	return false;
}

/* The image file of release id, open in *fd, and its size. 404 (logged:
 * the store has the release in use but its file is gone) or 500 answered
 * on failure. */
static bool open_image(struct rampartd *rd, struct evhttp_request *req,
                       const char *id, int *fd, uint64_t *size)
{
	struct release_ctx c = {rd->store, rd->data_dir, NULL, NULL};
	char path[PATH_MAX];
	struct stat st;

	*fd = -1;
	if (release_blob_path(&c, id, path, sizeof path) != RP_OK) {
		http_reply_text(req, 500, "internal error");
		return false;
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0 || fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rp_log_error("fw: the image of release %s: %s", id,
		             *fd < 0 ? strerror(errno) : "not a regular file");
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		http_reply_text(req, 404, "not found");
		return false;
	}
	*size = (uint64_t)st.st_size;
	return true;
}

API_HANDLER(api_fw_release)
{
	const char *id = rr->param[0], *dev = rr->who.id;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
	enum http_range_kind k = HTTP_RANGE_WHOLE;
	struct http_range r = {0, 0};
	struct fw_download *d;
	char etag[67], cr[96], why[160];
	uint64_t size = 0;
	unsigned running;
	int fd = -1, code = 200;

	if (!assigned(rd, req, rr, id))
		return;
	running = head ? 0 : downloads_of(rd, dev);
	if (running >= (unsigned)rd->cfg.fw_max_downloads) {
		snprintf(why, sizeof why,
		         "%u downloads running for the device, the limit "
		         "([firmware] max_downloads_per_device)",
		         running);
		evhttp_add_header(h, "Retry-After", FW_RETRY_AFTER);
		rd_refuse(rd, req, rr->path, dev, RP_E_QUEUE_FULL, 429, why);
		return;
	}
	if (!open_image(rd, req, id, &fd, &size))
		return;
	snprintf(etag, sizeof etag, "\"%s\"", id);
	evhttp_add_header(h, "ETag", etag);
	evhttp_add_header(h, "Accept-Ranges", "bytes");
	/* a Range applies to GET only (RFC 9110 14.2) */
	if (!head && http_if_range_holds(http_header(req, "If-Range"), etag))
		k = http_range_parse(http_header(req, "Range"), size, &r);
	if (k == HTTP_RANGE_UNSATISFIABLE) {
		close(fd);
		snprintf(cr, sizeof cr, "bytes */%llu",
		         (unsigned long long)size);
		evhttp_add_header(h, "Content-Range", cr);
		rp_log_info("fw: %s asked %.12s for %s: 416", dev, id,
		            http_header(req, "Range"));
		http_reply_text(req, 416, "range not satisfiable");
		return;
	}
	if (k == HTTP_RANGE_WHOLE) {
		r.first = 0;
		r.last = size > 0 ? size - 1 : 0;
	} else {
		code = 206;
		snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu",
		         (unsigned long long)r.first,
		         (unsigned long long)r.last, (unsigned long long)size);
		evhttp_add_header(h, "Content-Range", cr);
	}
	evhttp_add_header(h, "Content-Type", "application/octet-stream");
	d = rp_calloc(1, sizeof *d); /* the list's: fw_stream_done */
	if (d == NULL) {
		close(fd);
		http_reply_text(req, 503, "out of memory");
		return;
	}
	d->rd = rd;
	snprintf(d->device, sizeof d->device, "%s", dev);
	snprintf(d->release, sizeof d->release, "%s", id);
	d->first = r.first;
	d->len = size > 0 ? r.last - r.first + 1 : 0;
	/* asserted by the tests (a resumed download starts at its offset) */
	rp_log_info("fw: %s %s %.12s bytes %llu-%llu of %llu: %d", dev,
	            head ? "HEAD" : "GET", id, (unsigned long long)r.first,
	            (unsigned long long)(r.first + d->len) - (d->len > 0),
	            (unsigned long long)size, code);
	d->next = rd->fw_downloads;
	rd->fw_downloads = d;
	if (http_stream_fd(req, code, fd, d->first, d->len, fw_stream_done,
	                   d) != RP_OK) {
		rd->fw_downloads = d->next;
		rp_free(d);
		http_reply_text(req, 500, "internal error");
	}
}
