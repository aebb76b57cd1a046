/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pidfile.c - rampartd's pidfile (start.h, docs/rampartd.md "Pidfile"):
 * one line, the decimal pid, mode 0644. The file is the lock: rampartd
 * opens it before anything is created and holds flock(LOCK_EX) on it for
 * its whole life (the lock belongs to the open file, so it survives
 * daemon()); the pid is written into the locked file once rampartd has
 * detached. A second rampartd finds the lock taken and refuses, naming the
 * pid; a file nobody holds is stale, whatever it says, and is taken over.
 * Two starts at the same moment cannot both win (a check of the pid, then
 * a write, could).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/log.h"
#include "start/start.h"

/* The pid in fd: > 0, or 0 when it holds none (empty: still starting). */
static long read_pid(int fd)
{
	char buf[32], *end;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long v;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v <= 0 || v > 0x7fffffffL)
		return 0;
	return v;
}

/* Is fd still the file at path (not removed by the rampartd that held
 * it between our open and our lock)? */
static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

rp_err start_pidfile_take(const char *path, int *out)
{
	rp_err rc = RP_E_IO;
	long pid;
	int fd = -1, e;

	*out = -1;
	for (int tries = 0; tries < 3; tries++) {
		fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			e = errno;
			rp_log_error("cannot open pidfile %s: %s", path,
			             strerror(e));
			rc = rp_err_errno(e);
			goto out;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			e = errno;
			pid = read_pid(fd);
			if (e != EWOULDBLOCK) {
				rp_log_error("cannot lock pidfile %s: %s", path,
				             strerror(e));
				rc = rp_err_errno(e);
			} else if (pid > 0) {
				rp_log_error("rampartd is already running as "
				             "pid %ld (pidfile %s); stop it "
				             "first, or give this one another "
				             "--data-dir or --pidfile",
				             pid, path);
				rc = RP_E_EXISTS;
			} else {
				rp_log_error("another rampartd is starting "
				             "(pidfile %s is locked); give "
				             "this one another --data-dir or "
				             "--pidfile",
				             path);
				rc = RP_E_EXISTS;
			}
			goto out;
		}
		if (same_file(fd, path))
			break;
		(void)close(fd); /* removed under us: take the new one */
		fd = -1;
	}
	if (fd < 0) {
		rp_log_error("pidfile %s keeps being replaced; is another "
		             "rampartd starting and stopping?",
		             path);
		goto out;
	}
	pid = read_pid(fd);
	if (pid > 0 && pid != (long)getpid())
		rp_log_info("pidfile %s: pid %ld is gone; replacing it", path,
		            pid);
	*out = fd;
	fd = -1;
	rc = RP_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	return rc;
}

rp_err start_pidfile_write(int fd, const char *path)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%ld\n", (long)getpid()), e;

	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n ||
	    fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		e = errno;
		rp_log_error("cannot write pidfile %s: %s", path, strerror(e));
		return rp_err_errno(e);
	}
	return RP_OK;
}

void start_pidfile_remove(int fd, const char *path)
{
	if (fd < 0)
		return;
	/* still ours (the lock is held until the close) */
	if (same_file(fd, path) && unlink(path) != 0)
		rp_log_warn("cannot remove pidfile %s: %s", path,
		            strerror(errno));
	(void)close(fd);
}
