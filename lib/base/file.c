/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.c - rp_file_write_atomic (include/rampart/file.h): the one "temp
 * file, write, fsync, rename, fsync the directory" of every host program.
 */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/alloc.h"
#include "rampart/file.h"

rp_err rp_file_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return RP_E_IO;
		p += w;
		len -= (size_t)w;
	}
	return RP_OK;
}

/* fsync path's directory: the rename itself must survive a power cut. */
int rp_file_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, r, e;

	if (slash == NULL) {
		dir[0] = '.';
		n = 1;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof dir) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
	}
	dir[n] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	e = errno;
	(void)close(fd);
	errno = e;
	return r;
}

rp_err rp_file_temp_open(const char *path, unsigned mode, char *tmp, size_t cap,
                         int *fd)
{
	int e;

	*fd = -1;
	if (path == NULL || tmp == NULL || (mode & ~0777u) != 0)
		return RP_E_INVAL;
	if (snprintf(tmp, cap, "%s.tmp.XXXXXX", path) >= (int)cap)
		return RP_E_RANGE;
	*fd = mkostemp(tmp, O_CLOEXEC);
	if (*fd < 0)
		return RP_E_IO;
	if (fchmod(*fd, (mode_t)mode) != 0) {
		e = errno;
		rp_file_temp_abort(*fd, tmp);
		*fd = -1;
		errno = e;
		return RP_E_IO;
	}
	return RP_OK;
}

void rp_file_temp_abort(int fd, const char *tmp)
{
	int e = errno;

	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	errno = e;
}

/* fsync and close the temp file fd; on failure it is removed. */
static rp_err temp_finish(int fd, const char *tmp)
{
	int e;

	if (fsync(fd) != 0) {
		rp_file_temp_abort(fd, tmp);
		return RP_E_IO;
	}
	if (close(fd) != 0) {
		e = errno;
		(void)unlink(tmp);
		errno = e;
		return RP_E_IO;
	}
	return RP_OK;
}

rp_err rp_file_temp_commit(int fd, const char *tmp, const char *path)
{
	rp_err rc = temp_finish(fd, tmp);

	if (rc != RP_OK)
		return rc;
	if (rename(tmp, path) != 0) {
		rp_file_temp_abort(-1, tmp);
		return RP_E_IO;
	}
	return rp_file_sync_dir(path) == 0 ? RP_OK : RP_E_IO;
}

/* data[0..len) into a new temp file with exactly mode, fsync'd, closed. */
static rp_err write_temp(const char *path, const void *data, size_t len,
                         unsigned mode, char *tmp, size_t cap, int *fd)
{
	rp_err rc;

	if (data == NULL && len > 0)
		return RP_E_INVAL;
	rc = rp_file_temp_open(path, mode, tmp, cap, fd);
	if (rc != RP_OK)
		return rc;
	if (rp_file_write_all(*fd, data, len) != RP_OK) {
		rp_file_temp_abort(*fd, tmp);
		return RP_E_IO;
	}
	return RP_OK;
}

rp_err rp_file_write_atomic(const char *path, const void *data, size_t len,
                            unsigned mode)
{
	char tmp[PATH_MAX];
	int fd;
	rp_err rc = write_temp(path, data, len, mode, tmp, sizeof tmp, &fd);

	if (rc != RP_OK)
		return rc;
	return rp_file_temp_commit(fd, tmp, path);
}

rp_err rp_file_create_atomic(const char *path, const void *data, size_t len,
                             unsigned mode)
{
	char tmp[PATH_MAX];
	int fd, e;
	rp_err rc = write_temp(path, data, len, mode, tmp, sizeof tmp, &fd);

	if (rc == RP_OK)
		rc = temp_finish(fd, tmp);
	if (rc != RP_OK)
		return rc;
	/* link() never replaces: a path that appeared meanwhile stays */
	if (link(tmp, path) != 0) {
		e = errno;
		rp_file_temp_abort(-1, tmp);
		return e == EEXIST ? RP_E_EXISTS : RP_E_IO;
	}
	(void)unlink(tmp);
	return rp_file_sync_dir(path) == 0 ? RP_OK : RP_E_IO;
}

rp_err rp_file_read(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f;
	char *b = NULL;
	size_t n;
	rp_err rc = RP_OK;

	*buf = NULL;
	*len = 0;
	f = fopen(path, "rbe");
	if (f == NULL)
		return rp_err_errno(errno);
	b = rp_malloc(max + 2); /* owned here until handed to *buf */
	if (b == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	n = fread(b, 1, max + 1, f);
	if (ferror(f)) {
		rc = RP_E_IO;
		goto out;
	}
	if (n > max) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	rp_free(b);
	fclose(f);
	return rc;
}
