/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sweep.c - the releases folder at rampartd's start (release.h): what a
 * crash of an add or a removal left there is removed (unfinished
 * uploads, image files whose row was never written or is gone), and a
 * row whose image is missing or has the wrong size is reported: it is
 * the operator's to look at (a disk restored from another backup than
 * the store, a file removed by hand), never removed silently.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/file.h"
#include "rampart/log.h"
#include "release/release_int.h"

struct sweep {
	const struct release_ctx *c;
	struct release_sweep *n;
};

/* Is name <64 hex>.img? Its id into id when it is. */
static bool image_name(const char *name, char id[STORE_RELEASE_ID_LEN + 1])
{
	size_t len = strlen(name);

	if (len != STORE_RELEASE_ID_LEN + strlen(RELEASE_IMG_EXT) ||
	    strcmp(name + STORE_RELEASE_ID_LEN, RELEASE_IMG_EXT) != 0 ||
	    !release_id_ok(name, STORE_RELEASE_ID_LEN))
		return false;
	memcpy(id, name, STORE_RELEASE_ID_LEN);
	id[STORE_RELEASE_ID_LEN] = '\0';
	return true;
}

/* One entry of the folder dir: removed, counted or left alone. */
static rp_err sweep_entry(struct sweep *w, const char *dir, const char *name,
                          bool *removed)
{
	char path[PATH_MAX], id[STORE_RELEASE_ID_LEN + 1];
	struct store_release r;
	bool temp = strstr(name, ".tmp.") != NULL;
	rp_err rc;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return RP_OK;
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return RP_E_RANGE;
	if (!temp && !image_name(name, id)) {
		rp_log_warn("releases: %s is not rampartd's: left alone", path);
		w->n->unknown++;
		return RP_OK;
	}
	if (!temp) {
		rc = store_release_get(w->c->store, id, &r);
		if (rc == RP_OK)
			return RP_OK;
		if (rc != RP_E_NOT_FOUND)
			return rc;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		rp_log_error("releases: cannot remove %s: %s", path,
		             strerror(errno));
		return RP_E_IO;
	}
	*removed = true;
	if (temp) {
		rp_log_info("releases: removed an unfinished upload, %s", path);
		w->n->temps++;
	} else {
		rp_log_warn("releases: removed %s: no release has it (an add "
		            "or a removal was cut short)",
		            path);
		w->n->orphans++;
	}
	return RP_OK;
}

/* Each row's image must be there with the row's size. */
static int check_row(void *arg, const struct store_release *r)
{
	struct sweep *w = arg;
	char path[PATH_MAX];
	struct stat st;

	w->n->releases++;
	if (release_blob_path(w->c, r->id, path, sizeof path) != RP_OK)
		return 0;
	if (stat(path, &st) != 0) {
		rp_log_error("releases: release %s (%s %u.%u.%u) has no image "
		             "file: %s is %s; devices cannot download it. "
		             "Restore the file or remove the release",
		             r->id, r->hw_type, r->ver_major, r->ver_minor,
		             r->ver_patch, path, strerror(errno));
		w->n->missing++;
	} else if (!S_ISREG(st.st_mode) || st.st_size != r->file_size) {
		rp_log_error("releases: release %s (%s %u.%u.%u): %s has %lld "
		             "bytes, the release %lld: the file is damaged. "
		             "Restore it or remove the release",
		             r->id, r->hw_type, r->ver_major, r->ver_minor,
		             r->ver_patch, path, (long long)st.st_size,
		             (long long)r->file_size);
		w->n->bad_size++;
	}
	return 0;
}

rp_err release_sweep(const struct release_ctx *c, struct release_sweep *out)
{
	struct release_sweep n;
	struct sweep w = {c, &n};
	char dir[PATH_MAX];
	struct dirent *e;
	bool removed = false;
	DIR *d = NULL;
	rp_err rc;

	memset(&n, 0, sizeof n);
	rc = release_dir(c, dir, sizeof dir);
	if (rc != RP_OK)
		goto out;
	d = opendir(dir);
	if (d == NULL) {
		rp_log_error("releases: cannot read %s: %s", dir,
		             strerror(errno));
		rc = RP_E_IO;
		goto out;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (e == NULL)
			break;
		rc = sweep_entry(&w, dir, e->d_name, &removed);
		if (rc != RP_OK)
			goto out;
	}
	if (errno != 0) {
		rp_log_error("releases: reading %s: %s", dir, strerror(errno));
		rc = RP_E_IO;
		goto out;
	}
	if (removed && rp_file_sync_dir(dir) != 0) {
		rc = RP_E_IO;
		goto out;
	}
	rc = store_release_each(c->store, NULL, check_row, &w);
out:
	if (d != NULL)
		closedir(d);
	if (out != NULL)
		*out = n;
	return rc;
}

rp_err release_start(struct store *store, const char *data_dir)
{
	struct release_ctx c = {store, data_dir, NULL, NULL};
	struct release_sweep n;
	rp_err rc = release_sweep(&c, &n);

	if (rc != RP_OK) {
		rp_log_error("releases: the sweep of %s/%s failed: %s",
		             data_dir, RELEASE_DIR, rp_strerror(rc));
		return rc;
	}
	if (n.missing + n.bad_size > 0)
		rp_log_error("releases: %u of %u releases have no whole image "
		             "file (above)",
		             n.missing + n.bad_size, n.releases);
	rp_log_info("releases: %u releases; removed %u unfinished uploads "
	            "and %u image files without a release",
	            n.releases, n.temps, n.orphans);
	return RP_OK;
}
