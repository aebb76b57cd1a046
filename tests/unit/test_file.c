/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_file.c - the atomic writes' contract (rampart/file.h): the
 * content and the exact mode (umask ignored), no temp file left, the old
 * file intact when a write fails (RLIMIT_FSIZE makes write fail with EFBIG)
 * or the directory cannot be written, and a child killed with SIGKILL at
 * random points while it rewrites the file: the file is always all of the
 * old or all of the new content. And the bounded whole-file read.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/alloc.h"
#include "rampart/file.h"

#define BIG (256 * 1024)

static char dir[512];

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof dir, "%s/rp-file-XXXXXX", t != NULL ? t : "/tmp");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The number of entries in dir other than . and .. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	for (e = readdir(d); e != NULL; e = readdir(d))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* The whole file into buf (at most cap bytes); its length, -1 if none. */
static long slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static void test_content_mode_no_temp(void **state)
{
	char path[600], buf[64];
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	snprintf(path, sizeof path, "%s/a", dir);
	assert_int_equal(rp_file_write_atomic(path, "one", 3, 0644), RP_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777,
	                 0644); /* the umask did not apply */
	assert_int_equal(rp_file_write_atomic(path, "second", 6, 0600), RP_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(slurp(path, buf, sizeof buf), 6);
	assert_memory_equal(buf, "second", 6);
	assert_int_equal(rp_file_write_atomic(path, NULL, 0, 0600), RP_OK);
	assert_int_equal(slurp(path, buf, sizeof buf), 0);
	assert_int_equal(entries(), 1);
	umask(old);

	assert_int_equal(rp_file_write_atomic(NULL, "x", 1, 0600), RP_E_INVAL);
	assert_int_equal(rp_file_write_atomic(path, NULL, 1, 0600), RP_E_INVAL);
	assert_int_equal(rp_file_write_atomic(path, "x", 1, 04755), RP_E_INVAL);
	/* a file name without a directory: the current one */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(rp_file_write_atomic("b", "bee", 3, 0600), RP_OK);
	assert_int_equal(slurp(path, buf, sizeof buf), 0);
	snprintf(path, sizeof path, "%s/b", dir);
	assert_int_equal(slurp(path, buf, sizeof buf), 3);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof path, "%s/a", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rp_file_sync_dir(path), 0);
	assert_int_equal(rp_file_sync_dir("a"), 0);
	assert_int_equal(rp_file_sync_dir("/nodir/a"), -1);
}

/* A write the file-size limit refuses (EFBIG): the old file stays whole. */
static void test_write_fails_old_intact(void **state)
{
	char path[600], buf[64];
	static char big[BIG];
	struct rlimit keep, small = {4096, 0};
	void (*prev)(int);

	(void)state;
	snprintf(path, sizeof path, "%s/c", dir);
	assert_int_equal(rp_file_write_atomic(path, "old", 3, 0600), RP_OK);
	memset(big, 'n', sizeof big);
	prev = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &keep), 0);
	small.rlim_max = keep.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(rp_file_write_atomic(path, big, sizeof big, 0600),
	                 RP_E_IO);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &keep), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(slurp(path, buf, sizeof buf), 3);
	assert_memory_equal(buf, "old", 3);
	assert_int_equal(entries(), 1); /* no temp file left */

	/* a directory that does not exist: nothing created */
	snprintf(path, sizeof path, "%s/nodir/c", dir);
	assert_int_equal(rp_file_write_atomic(path, "x", 1, 0600), RP_E_IO);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(entries(), 1);
	snprintf(path, sizeof path, "%s/c", dir);
	assert_int_equal(unlink(path), 0);
}

/*
 * A directory the writer may not write (mode 0555; root, who would write
 * anyway, makes the attempt as nobody in a child): refused, old file whole.
 */
static void test_dir_not_writable(void **state)
{
	char sub[600], path[700], buf[64];
	pid_t pid;
	int st;

	(void)state;
	snprintf(sub, sizeof sub, "%s/ro", dir);
	snprintf(path, sizeof path, "%s/f", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(rp_file_write_atomic(path, "old", 3, 0644), RP_OK);
	assert_int_equal(chmod(sub, 0555), 0);
	assert_int_equal(chmod(dir, 0711), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 &&
		    (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		if (rp_file_write_atomic(path, "new", 3, 0600) != RP_E_IO)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(slurp(path, buf, sizeof buf), 3);
	assert_memory_equal(buf, "old", 3);
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(sub), 0);
}

/* Create-only: the whole file or nothing, never over an existing one. */
static void test_create_atomic(void **state)
{
	char path[600], buf[64];
	struct stat st;

	(void)state;
	snprintf(path, sizeof path, "%s/n", dir);
	assert_int_equal(rp_file_create_atomic(path, "first", 5, 0640), RP_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(rp_file_create_atomic(path, "other", 5, 0600),
	                 RP_E_EXISTS);
	assert_int_equal(slurp(path, buf, sizeof buf), 5);
	assert_memory_equal(buf, "first", 5);
	assert_int_equal(entries(), 1); /* the temp file is gone */
	assert_int_equal(unlink(path), 0);
}

/* Piece by piece: abort leaves nothing, commit puts all of it in place. */
static void test_temp_commit_abort(void **state)
{
	char path[600], tmp[PATH_MAX], buf[64];
	struct stat st;
	int fd;

	(void)state;
	snprintf(path, sizeof path, "%s/t", dir);
	assert_int_equal(rp_file_temp_open(path, 0600, tmp, sizeof tmp, &fd),
	                 RP_OK);
	assert_int_equal(write(fd, "xx", 2), 2);
	rp_file_temp_abort(fd, tmp);
	assert_int_equal(entries(), 0);
	assert_int_equal(rp_file_temp_open(path, 0604, tmp, sizeof tmp, &fd),
	                 RP_OK);
	assert_int_equal(write(fd, "..tail", 6), 6);
	assert_int_equal(pwrite(fd, "hd", 2, 0), 2);
	assert_int_equal(rp_file_temp_commit(fd, tmp, path), RP_OK);
	assert_int_equal(slurp(path, buf, sizeof buf), 6);
	assert_memory_equal(buf, "hdtail", 6);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(entries(), 1);
	assert_int_equal(rp_file_temp_open(path, 01000, tmp, sizeof tmp, &fd),
	                 RP_E_INVAL);
	assert_int_equal(fd, -1);
	assert_int_equal(unlink(path), 0);
}

/*
 * kill -9 at random points while a child rewrites the file between two
 * contents of different lengths: every time, the file is exactly one of
 * them (never empty, torn or missing).
 */
static void test_kill_while_rewriting(void **state)
{
	static char a[BIG], b[BIG / 2 + 7], got[BIG + 1];
	char path[600];
	int round, ready[2];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();

	(void)state;
	print_message("test_kill_while_rewriting: seed %u\n", seed);
	srand(seed);
	memset(a, 'a', sizeof a);
	memset(b, 'b', sizeof b);
	snprintf(path, sizeof path, "%s/k", dir);
	assert_int_equal(rp_file_write_atomic(path, a, sizeof a, 0600), RP_OK);
	for (round = 0; round < 40; round++) {
		pid_t pid;
		int st, i, spin = rand() % 20000;
		char c;
		long n;

		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(ready[0]);
			for (i = 0;; i++) {
				if (rp_file_write_atomic(path, i % 2 ? b : a,
				                         i % 2 ? sizeof b
				                               : sizeof a,
				                         0600) != RP_OK)
					_exit(3);
				if (i == 0 && write(ready[1], "r", 1) != 1)
					_exit(4);
			}
		}
		close(ready[1]);
		/* the child has rewritten once: now kill it at a random point
		 */
		assert_int_equal(read(ready[0], &c, 1), 1);
		close(ready[0]);
		for (i = 0; i < spin; i++)
			(void)getppid();
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		n = slurp(path, got, sizeof got);
		if (n == (long)sizeof a)
			assert_memory_equal(got, a, sizeof a);
		else if (n == (long)sizeof b)
			assert_memory_equal(got, b, sizeof b);
		else
			fail_msg("round %d: %ld bytes", round, n);
	}
}

/* rp_file_read: all of it with a NUL after it, up to max; past max, a
 * missing file and a directory refused, nothing handed back. */
static void test_read(void **state)
{
	char path[600], *buf = (char *)1;
	size_t len = 9;

	(void)state;
	snprintf(path, sizeof path, "%s/r", dir);
	assert_int_equal(rp_file_write_atomic(path, "abc\0def", 7, 0600),
	                 RP_OK);
	assert_int_equal(rp_file_read(path, 7, &buf, &len), RP_OK);
	assert_int_equal(len, 7);
	assert_memory_equal(buf, "abc\0def", 8); /* and the NUL after */
	rp_free(buf);
	assert_int_equal(rp_file_read(path, 6, &buf, &len), RP_E_TOO_BIG);
	assert_null(buf);
	assert_int_equal(len, 0);
	snprintf(path, sizeof path, "%s/none", dir);
	assert_int_equal(rp_file_read(path, 100, &buf, &len), RP_E_NOT_FOUND);
	assert_null(buf);
	assert_int_equal(rp_file_read(dir, 100, &buf, &len), RP_E_IO);
	assert_null(buf);
	snprintf(path, sizeof path, "%s/empty", dir);
	assert_int_equal(rp_file_write_atomic(path, "", 0, 0600), RP_OK);
	assert_int_equal(rp_file_read(path, 0, &buf, &len), RP_OK);
	assert_int_equal(len, 0);
	assert_int_equal(buf[0], '\0');
	rp_free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_content_mode_no_temp),
	    cmocka_unit_test(test_write_fails_old_intact),
	    cmocka_unit_test(test_dir_not_writable),
	    cmocka_unit_test(test_create_atomic),
	    cmocka_unit_test(test_temp_commit_abort),
	    cmocka_unit_test(test_kill_while_rewriting),
	    cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
