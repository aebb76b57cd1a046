/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log.c - log lines: format, level filter, escaping of control
 * characters (no forged lines), truncation, the reopen of the log file
 * (the new file takes the old one's descriptor number).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/log.h"

/* Run fn with stderr sent to a temporary file; return what it wrote. */
static char *capture(void (*fn)(void))
{
	char path[] = "/tmp/rampart-log-XXXXXX";
	static char buf[8192];
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof buf - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static void emit_levels(void)
{
	rp_log_init("unit", RP_LOG_STDERR, RP_LOG_WARN);
	rp_log_error("e %d", 1);
	rp_log_warn("w %s", "two");
	rp_log_info("hidden info");
	rp_log_debug("hidden debug");
}

static void test_levels_and_format(void **state)
{
	char *out = capture(emit_levels);
	char pid[32];

	(void)state;
	snprintf(pid, sizeof pid, "unit[%ld]: ", (long)getpid());
	assert_non_null(strstr(out, pid));
	assert_non_null(strstr(out, "error: e 1\n"));
	assert_non_null(strstr(out, "warn: w two\n"));
	assert_null(strstr(out, "hidden"));
	/* timestamp: 2026-11-23T18:40:00Z */
	assert_true(strlen(out) > 21 && out[4] == '-' && out[10] == 'T' &&
	            out[19] == 'Z');
}

static void emit_injection(void)
{
	rp_log_init("unit", RP_LOG_STDERR, RP_LOG_DEBUG);
	rp_log_info("cn=%s", "dev1\n2026-01-01T00:00:00Z rampartd[1]: "
	                     "info: admin login ok\x1b[2J\\");
}

static void test_escaping(void **state)
{
	char *out = capture(emit_injection);

	(void)state;
	/* exactly one line, with the newline, ESC and backslash escaped */
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n')[1], '\0');
	assert_non_null(strstr(out, "dev1\\x0a2026"));
	assert_non_null(strstr(out, "\\x1b[2J\\x5c"));
}

static void emit_long(void)
{
	char big[RP_LOG_MAX * 2];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	rp_log_init("unit", RP_LOG_STDERR, RP_LOG_INFO);
	rp_log_info("%s", big);
}

static void test_truncation(void **state)
{
	char *out = capture(emit_long);

	(void)state;
	assert_non_null(strstr(out, "xxx...\n"));
	assert_true(strlen(out) < RP_LOG_MAX + 100);
}

static void test_level_parse(void **state)
{
	enum rp_log_level l;

	(void)state;
	assert_int_equal(rp_log_level_parse("debug", &l), RP_OK);
	assert_int_equal(l, RP_LOG_DEBUG);
	assert_int_equal(rp_log_level_parse("WARN", &l), RP_OK);
	assert_int_equal(l, RP_LOG_WARN);
	assert_int_equal(rp_log_level_parse("verbose", &l), RP_E_INVAL);
}

/* The descriptor number open on the file path's inode, or -1. */
static int fd_of(const char *path)
{
	struct stat want, st;
	int fd;

	if (stat(path, &want) != 0)
		return -1;
	for (fd = 3; fd < 1024; fd++)
		if (fstat(fd, &st) == 0 && st.st_dev == want.st_dev &&
		    st.st_ino == want.st_ino)
			return fd;
	return -1;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* logrotate moves the file away, SIGHUP reopens: the descriptor number a
 * logging thread may be reading stays open, now on the new file (a closed
 * and reused number would send its line to some other file). */
static void test_reopen_keeps_fd(void **state)
{
	char dir[] = "/tmp/rampart-logdir-XXXXXX";
	char path[64], old[64];
	struct stat st_new, st_fd;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/rampartd.log", dir);
	snprintf(old, sizeof old, "%s/rampartd.log.1", dir);
	rp_log_init("unit", RP_LOG_FILE, RP_LOG_INFO);
	assert_int_equal(rp_log_file(path), RP_OK);
	rp_log_info("before");
	fd = fd_of(path);
	assert_true(fd >= 0);
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(rp_log_reopen(), RP_OK);
	rp_log_info("after");
	/* the same number, open on the new file */
	assert_int_equal(stat(path, &st_new), 0);
	assert_int_equal(fstat(fd, &st_fd), 0);
	assert_true(st_fd.st_ino == st_new.st_ino &&
	            st_fd.st_dev == st_new.st_dev);
	assert_int_equal(fd_of(path), fd);
	assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	assert_non_null(strstr(slurp(old), "info: before\n"));
	assert_null(strstr(slurp(old), "after"));
	assert_non_null(strstr(slurp(path), "info: after\n"));
	assert_null(strstr(slurp(path), "before"));
	rp_log_init("unit", RP_LOG_STDERR, RP_LOG_INFO); /* closes the file */
	unlink(path);
	unlink(old);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels_and_format),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_level_parse),
	    cmocka_unit_test(test_reopen_keeps_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
