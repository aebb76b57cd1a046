/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.h - the one atomic file write of the host programs (lib/base/file.c):
 * "temp file, write, fsync, rename, fsync the directory" in one place; and
 * the one bounded read of a whole file.
 * Not part of the device SDK's API (not installed).
 */
#ifndef RAMPART_FILE_H
#define RAMPART_FILE_H

#include <stddef.h>

#include "rampart/err.h"

/*
 * Replace path with data[0..len), atomically and durably:
 *  - the bytes go to a new file PATH.tmp.XXXXXX in path's directory
 *    (mkostemp, O_CLOEXEC), which gets exactly mode (fchmod: the umask does
 *    not apply; mode & ~0777 must be 0), is written in full and fsync'd,
 *    then renamed over path, and path's directory is fsync'd;
 *  - at every moment, a kill or a power cut included, path holds either its
 *    old content (or does not exist, if it did not) or all of data;
 *  - on failure before the rename the temp file is removed and path is
 *    untouched; no temp file stays behind in any failure this function
 *    sees (a kill -9 mid-write can leave one: PATH.tmp.* is ours to delete).
 * Returns RP_OK; RP_E_INVAL for a NULL path, NULL data with len > 0 or a
 * bad mode; RP_E_NOMEM; RP_E_RANGE if the temp name is too long; RP_E_IO
 * for any failing system call, errno left as it set (for strerror). A
 * failing directory fsync after the rename is RP_E_IO with the new content
 * in place but not known to be durable.
 */
rp_err rp_file_write_atomic(const char *path, const void *data, size_t len,
                            unsigned mode);

/*
 * The same, but path must not exist: the complete file appears at path
 * (link of the fsync'd temp file, which is then removed) or nothing does.
 * RP_E_EXISTS if path exists, its content untouched; else as above.
 */
rp_err rp_file_create_atomic(const char *path, const void *data, size_t len,
                             unsigned mode);

/*
 * The same write for a file made piece by piece (e.g. an image streamed
 * and then its header written at offset 0):
 *  - rp_file_temp_open: a new temp file PATH.tmp.XXXXXX beside path with
 *    exactly mode, its name in tmp[0..cap) (PATH_MAX is enough), its
 *    descriptor in *fd (O_CLOEXEC). Errors as above, *fd = -1.
 *  - rp_file_temp_commit: fsync fd, close it, rename tmp over path, fsync
 *    the directory; the same guarantees as rp_file_write_atomic. fd is
 *    closed and tmp gone whatever it returns.
 *  - rp_file_temp_abort: close fd (if >= 0) and remove tmp; errno kept.
 */
rp_err rp_file_temp_open(const char *path, unsigned mode, char *tmp, size_t cap,
                         int *fd);
rp_err rp_file_temp_commit(int fd, const char *tmp, const char *path);
void rp_file_temp_abort(int fd, const char *tmp);

/*
 * fsync the directory holding path (a file name alone: the current one),
 * so that a rename, link or unlink in it survives a power cut. 0, or -1
 * with errno.
 */
int rp_file_sync_dir(const char *path);

/*
 * The whole file at path, at most max bytes (max < SIZE_MAX - 1), into
 * *buf with a NUL after the last byte (the caller's: rp_free) and its
 * length in *len. RP_E_TOO_BIG past max; RP_E_NOMEM; otherwise the rp_err
 * of errno (rp_err_errno: RP_E_NOT_FOUND, RP_E_PERM, RP_E_IO; errno kept,
 * a directory is RP_E_IO). *buf is NULL and *len 0 on failure.
 */
rp_err rp_file_read(const char *path, size_t max, char **buf, size_t *len);

/* data[0..len) to fd in full (short writes and EINTR resumed): RP_OK or
 * RP_E_IO with errno (a write returning 0 leaves errno as it was). */
rp_err rp_file_write_all(int fd, const void *data, size_t len);

#endif
