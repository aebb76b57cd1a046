/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - rp_log: one escaped line per message to stderr, to a file or
 * to syslog(3). The line is built in full and written with one write(2)
 * (a file is opened O_APPEND), so lines from several threads or processes
 * sharing stderr or the file do not interleave. rp_log_reopen opens the
 * file's path again, for logrotate's SIGHUP: the new file takes the old
 * one's descriptor number (dup2), so a thread logging meanwhile writes to
 * the old file or the new one, never to a file that reused the number.
 * What a logging thread reads and a reload changes (the level) is atomic;
 * the destination and the descriptor number do not change on a reload.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "rampart/encode.h"
#include "rampart/log.h"

static char log_ident[64] = "rampart";
static enum rp_log_dest log_dest = RP_LOG_STDERR;
static atomic_int log_min = RP_LOG_INFO; /* SIGHUP changes it */
static int log_fd = -1;                  /* RP_LOG_FILE: owned here, or -1 */
static char log_path[4096]; /* RP_LOG_FILE: what rp_log_reopen opens */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void rp_log_init(const char *ident, enum rp_log_dest dest,
                 enum rp_log_level min)
{
	if (ident != NULL)
		snprintf(log_ident, sizeof log_ident, "%s", ident);
	if (log_dest == RP_LOG_SYSLOG && dest != RP_LOG_SYSLOG)
		closelog();
	if (dest != RP_LOG_FILE && log_fd >= 0) {
		(void)close(log_fd);
		log_fd = -1;
		log_path[0] = '\0';
	}
	/* RP_LOG_FILE without a file (rp_log_file not called): stderr */
	log_dest = dest == RP_LOG_FILE && log_fd < 0 ? RP_LOG_STDERR : dest;
	atomic_store(&log_min, (int)min);
	if (dest == RP_LOG_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	            0600);
}

/*
 * Make the open file fd the log file, fd consumed. With a log file open,
 * fd takes its descriptor number (dup2, close-on-exec set again), so the
 * number a logging thread reads never dangles nor names another file.
 * The rp_err of a failing dup2/fcntl (errno kept): fd is closed and the
 * old file stays in use.
 */
static rp_err take_fd(int fd)
{
	rp_err rc = RP_OK;
	int e;

	if (log_fd < 0) {
		log_fd = fd;
		goto out;
	}
	if (dup2(fd, log_fd) < 0 || fcntl(log_fd, F_SETFD, FD_CLOEXEC) < 0)
		rc = rp_err_errno(errno);
	e = errno;
	(void)close(fd);
	errno = e;
out:
	return rc;
}

rp_err rp_log_file(const char *path)
{
	rp_err rc;
	int fd;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof log_path)
		return RP_E_INVAL;
	fd = open_log(path);
	if (fd < 0)
		return rp_err_errno(errno);
	rc = take_fd(fd);
	if (rc != RP_OK)
		return rc;
	if (log_dest == RP_LOG_SYSLOG)
		closelog();
	snprintf(log_path, sizeof log_path, "%s", path);
	log_dest = RP_LOG_FILE;
	return RP_OK;
}

rp_err rp_log_reopen(void)
{
	int fd;

	if (log_dest != RP_LOG_FILE)
		return RP_OK;
	fd = open_log(log_path);
	if (fd < 0)
		return rp_err_errno(errno); /* the old file stays in use */
	return take_fd(fd);
}

void rp_log_set_level(enum rp_log_level min)
{
	atomic_store(&log_min, (int)min);
}

rp_err rp_log_level_parse(const char *name, enum rp_log_level *out)
{
	size_t i;

	if (name == NULL || out == NULL)
		return RP_E_INVAL;
	for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum rp_log_level)i;
			return RP_OK;
		}
	}
	return RP_E_INVAL;
}

void rp_logv(enum rp_log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char raw[RP_LOG_MAX];
	char msg[RP_LOG_MAX * 2];
	char line[RP_LOG_MAX * 2 + 128];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	int n;

	if ((unsigned)level > (unsigned)atomic_load(&log_min) ||
	    (unsigned)level > 3)
		return;
	n = vsnprintf(raw, sizeof raw, fmt, ap);
	if (n < 0)
		snprintf(raw, sizeof raw, "(unprintable log message)");
	else if ((size_t)n >= sizeof raw)
		memcpy(raw + sizeof raw - 4, "...", 4);
	(void)rp_escape(msg, sizeof msg, raw, strlen(raw));

	if (log_dest == RP_LOG_SYSLOG) {
		syslog(prio[level], "%s: %s", level_names[level], msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof line, "%s %s[%ld]: %s: %s\n", stamp,
	             log_ident, (long)getpid(), level_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	/* Nothing sensible to do if stderr or the file is gone. */
	if (write(log_dest == RP_LOG_FILE ? log_fd : STDERR_FILENO, line,
	          (size_t)n) < 0)
		return;
}

void rp_log(enum rp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rp_logv(level, fmt, ap);
	va_end(ap);
}
