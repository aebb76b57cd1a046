/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_file.c - the flash-file port (include/rampart/flash_file.h): NOR
 * semantics over a regular file with pread/pwrite. Hosted (POSIX).
 */
#define _POSIX_C_SOURCE 200809L
#include "rampart/flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static rp_err full_pread(int fd, uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return RP_E_FLASH;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return RP_OK;
}

static rp_err full_pwrite(int fd, const uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return RP_E_FLASH;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return RP_OK;
}

static rp_err ff_read(void *ctx, uint32_t off, uint8_t *buf, size_t len)
{
	struct rp_flash_file *ff = ctx;

	return full_pread(ff->fd, buf, len, (off_t)off);
}

/* Program: each byte becomes old AND new, a chunk at a time. */
static rp_err ff_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len)
{
	struct rp_flash_file *ff = ctx;
	uint8_t old[4096];
	size_t i, n;
	rp_err rc = RP_OK;

	while (rc == RP_OK && len > 0) {
		n = len < sizeof old ? len : sizeof old;
		rc = full_pread(ff->fd, old, n, (off_t)off);
		for (i = 0; rc == RP_OK && i < n; i++)
			old[i] &= buf[i];
		if (rc == RP_OK)
			rc = full_pwrite(ff->fd, old, n, (off_t)off);
		off += (uint32_t)n;
		buf += n;
		len -= n;
	}
	return rc;
}

static rp_err ff_erase(void *ctx, uint32_t off)
{
	struct rp_flash_file *ff = ctx;
	uint8_t ones[4096];
	uint32_t done, n;
	rp_err rc = RP_OK;

	memset(ones, 0xff, sizeof ones);
	for (done = 0; rc == RP_OK && done < ff->f.sector_size; done += n) {
		n = ff->f.sector_size - done;
		if (n > sizeof ones)
			n = sizeof ones;
		rc = full_pwrite(ff->fd, ones, n, (off_t)(off + done));
	}
	return rc;
}

rp_err rp_flash_file_create(const char *path, uint32_t size, bool force)
{
	uint8_t ones[4096];
	uint32_t done, n;
	int fd, flags = O_WRONLY | O_CREAT | O_CLOEXEC;
	rp_err rc = RP_OK;

	flags |= force ? O_TRUNC : O_EXCL;
	fd = open(path, flags, 0644);
	if (fd < 0)
		return rp_err_errno(errno);
	memset(ones, 0xff, sizeof ones);
	for (done = 0; rc == RP_OK && done < size; done += n) {
		n = size - done < sizeof ones ? size - done : sizeof ones;
		rc = full_pwrite(fd, ones, n, (off_t)done);
	}
	if (rc != RP_OK)
		rc = RP_E_IO;
	if (close(fd) != 0 && rc == RP_OK)
		rc = RP_E_IO;
	return rc;
}

rp_err rp_flash_file_open(struct rp_flash_file *ff, const char *path,
                          uint32_t sector_size)
{
	struct stat sb;
	rp_err rc = RP_OK;

	memset(ff, 0, sizeof *ff);
	ff->fd = open(path, O_RDWR | O_CLOEXEC);
	if (ff->fd < 0)
		return rp_err_errno(errno);
	if (fstat(ff->fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sector_size == 0 || (sector_size & (sector_size - 1)) != 0 ||
	    sb.st_size % sector_size != 0 || sb.st_size > UINT32_MAX ||
	    sb.st_size == 0) {
		rc = RP_E_INVAL;
		goto out;
	}
	ff->f.ctx = ff;
	ff->f.size = (uint32_t)sb.st_size;
	ff->f.sector_size = sector_size;
	ff->f.write_align = RP_FLASH_FILE_WRITE_ALIGN;
	ff->f.read = ff_read;
	ff->f.write = ff_write;
	ff->f.erase = ff_erase;
out:
	if (rc != RP_OK) {
		close(ff->fd);
		ff->fd = -1;
	}
	return rc;
}

void rp_flash_file_close(struct rp_flash_file *ff)
{
	if (ff->fd >= 0)
		close(ff->fd);
	ff->fd = -1;
}
