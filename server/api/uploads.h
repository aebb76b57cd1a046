/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uploads.h - what the release routes share (uploads.c, releases.c):
 * rampartd's upload sessions (docs/releases.md "Uploading an image") and
 * the adds running on worker threads. One struct api_rel per rampartd,
 * made when the routes listen and freed when they close.
 */
#ifndef RAMPARTD_API_UPLOADS_H
#define RAMPARTD_API_UPLOADS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "rampart/err.h"

struct rampartd;
struct rel_job;

/* The body of one PUT /uploads/ID (and of POST /releases, which may
 * carry an SBOM): the most an upload holds in memory per request. */
#define UPLOAD_CHUNK_MAX (4 * 1024 * 1024)
/* Upload sessions open at once. */
#define UPLOAD_SESSIONS_MAX 8
/* An upload id: 16 random bytes in hex. */
#define UPLOAD_ID_LEN 32

struct upload {
	char id[UPLOAD_ID_LEN + 1];
	char tmp[4096]; /* release_upload_open's temp file */
	int fd;         /* open for writing; owned */
	int64_t size;   /* announced */
	int64_t offset; /* bytes written so far, from 0 */
	time_t touched; /* last request about it */
	struct upload *next;
};

struct api_rel {
	struct upload *uploads; /* owned list */
	unsigned n_uploads;
	struct rel_job *jobs; /* adds running, owned list (releases.c) */
	struct event *idle;   /* the idle sweep's timer; owned */
};

/* uploads.c: the session id (param) if open, touched; else NULL. */
struct upload *uploads_find(struct api_rel *a, const char *id);
/* Forget u: its file is the caller's now (fd closed, tmp kept). */
void uploads_detach(struct api_rel *a, struct upload *u);
/* releases.c: answer every add still running with 503 (waiting for its
 * thread) before the listener closes. */
void releases_jobs_stop(struct api_rel *a);

#endif
