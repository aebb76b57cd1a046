/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_file.c - a struct rp_image_src over a regular file (pread), for
 * the CLI and for rampart-boot's tests on a host.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/alloc.h"
#include "rampart/crypto_host.h"

struct file_src {
	int fd;
};

static rp_err file_read(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	struct file_src *f = ctx;
	ssize_t n;

	while (len > 0) {
		n = pread(f->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return RP_E_IO;
		if (n == 0)
			return RP_E_IMAGE_TRUNCATED; /* shrank under us */
		buf += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return RP_OK;
}

/* The source over fd, which becomes src's (closed by
 * rp_image_src_file_close) on RP_OK; left to the caller otherwise. */
static rp_err src_over(struct rp_image_src *src, int fd)
{
	struct file_src *f;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return RP_E_IO;
	if (!S_ISREG(st.st_mode))
		return RP_E_INVAL;
	f = rp_malloc(sizeof *f);
	if (f == NULL)
		return RP_E_NOMEM;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	f->fd = fd;
	src->ctx = f;
	src->read = file_read;
	src->size = (uint64_t)st.st_size;
	return RP_OK;
}

/* src->ctx: a malloc'd struct file_src, freed by rp_image_src_file_close. */
rp_err rp_image_src_file_open(struct rp_image_src *src, const char *path)
{
	int fd;
	rp_err rc;

	src->ctx = NULL;
	src->read = NULL;
	src->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT   ? RP_E_NOT_FOUND
		       : errno == EACCES ? RP_E_PERM
		                         : RP_E_IO;
	rc = src_over(src, fd);
	if (rc != RP_OK)
		close(fd);
	return rc;
}

rp_err rp_image_src_fd_open(struct rp_image_src *src, int fd)
{
	int own;
	rp_err rc;

	src->ctx = NULL;
	src->read = NULL;
	src->size = 0;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return RP_E_IO;
	rc = src_over(src, own);
	if (rc != RP_OK)
		close(own);
	return rc;
}

void rp_image_src_file_close(struct rp_image_src *src)
{
	struct file_src *f = src->ctx;

	if (f != NULL) {
		close(f->fd);
		free(f);
	}
	src->ctx = NULL;
	src->read = NULL;
	src->size = 0;
}
