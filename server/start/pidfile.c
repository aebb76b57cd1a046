/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pidfile.c - rampartd's pidfile (start.h, docs/rampartd.md "Pidfile"):
 * one line, the decimal pid, written atomically 0644 (rp_file_write_atomic)
 * once rampartd has detached. A pidfile whose process is gone, or is not a
 * rampartd (a reused pid), is stale and replaced; one held by a live
 * rampartd refuses the start, naming its pid.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rampart/file.h"
#include "rampart/log.h"
#include "start/start.h"

/* The pid in path: 0 on success with *pid set, ENOENT, or another errno
 * (EINVAL: no pid in it). */
static int read_pid(const char *path, pid_t *pid)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), e = 0;

	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		e = errno;
	(void)close(fd);
	if (e != 0)
		return e;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v <= 0 || v > 0x7fffffffL)
		return EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* Is pid a live rampartd? A pid whose /proc name cannot be read (another
 * user's, /proc hidden) counts as one: refusing is the safe side. */
static int live_rampartd(pid_t pid)
{
	char path[64], comm[32];
	ssize_t n;
	int fd;

	if (pid == getpid())
		return 0; /* our own, from a start before (pid 1 in a box) */
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, comm, sizeof comm - 1);
	(void)close(fd);
	if (n <= 0)
		return 1;
	comm[n] = '\0';
	return strcmp(comm, "rampartd\n") == 0;
}

rp_err start_pidfile_check(const char *path)
{
	pid_t pid = 0;
	int e = read_pid(path, &pid);

	if (e == ENOENT)
		return RP_OK;
	if (e == EINVAL) {
		rp_log_error("pidfile %s holds no pid; remove it if no "
		             "rampartd runs",
		             path);
		return RP_E_IO;
	}
	if (e != 0) {
		rp_log_error("cannot read pidfile %s: %s", path, strerror(e));
		return rp_err_errno(e);
	}
	if (live_rampartd(pid)) {
		rp_log_error("rampartd is already running as pid %ld (pidfile "
		             "%s); stop it first, or give this one another "
		             "--data-dir or --pidfile",
		             (long)pid, path);
		return RP_E_EXISTS;
	}
	rp_log_info("pidfile %s: pid %ld is gone; replacing it", path,
	            (long)pid);
	return RP_OK;
}

rp_err start_pidfile_write(const char *path)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	rp_err rc = rp_file_write_atomic(path, line, (size_t)n, 0644);

	if (rc != RP_OK)
		rp_log_error("cannot write pidfile %s: %s", path,
		             rc == RP_E_IO ? strerror(errno) : rp_strerror(rc));
	return rc;
}

void start_pidfile_remove(const char *path)
{
	pid_t pid = 0;

	if (read_pid(path, &pid) == 0 && pid == getpid() && unlink(path) != 0)
		rp_log_warn("cannot remove pidfile %s: %s", path,
		            strerror(errno));
}
