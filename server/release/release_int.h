/* SPDX-License-Identifier: Apache-2.0 */
/*
 * release_int.h - what the files of server/release/ share: the images'
 * folder and the names in it.
 */
#ifndef RAMPARTD_RELEASE_INT_H
#define RAMPARTD_RELEASE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "release/release.h"

/* The suffix of an image file: DATA/releases/<id>.img. */
#define RELEASE_IMG_EXT ".img"
/* The temp files' prefix: release_upload_open's "upload.tmp.XXXXXX". */
#define RELEASE_UPLOAD "upload"

/* DATA/releases into buf (cap bytes), created mode 0700 when missing.
 * RP_E_RANGE (too long), RP_E_IO (logged). */
rp_err release_dir(const struct release_ctx *c, char *buf, size_t cap);

/* True if id is 64 lower-case hex digits (a SHA-256). */
bool release_id_ok(const char *id, size_t len);

#endif
