/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chainlog.c - the hash-chained event log (lib/proto/chainlog.c): append,
 * reopen and verify; the head after reopening equals the head before,
 * recovered from the tail only; every kind of tampering found at its
 * line (edited payload, deleted, swapped or renumbered record, edited
 * link, garbage line, torn record); a torn record cut at open and the
 * chain going on; file mode and a single writer; the committed test
 * vector (tests/vectors/chainlog.log, docs/chainlog.md) with its head.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/chainlog.h"
#include "rampart/mem.h"

/* docs/chainlog.md, "Test vector": the hash of its last record. */
#define VECTOR_HEAD \
	"ae2aa53e5701b54dcd7723993e931a05a0ba251de6ee4e0f07f37633d0cd1b2a"

static char dir[] = "/tmp/rp-test-chainlog-XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	if (rp_init() != RP_OK || mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/events.log", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static int fresh(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *p, const char *buf, size_t len)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A fresh log of n records "event i"; its head into head (may be NULL). */
static void make_log(unsigned n, char head[65])
{
	rp_chainlog *l;
	char payload[32];
	uint64_t seq;
	unsigned i;
	int torn = 7;

	unlink(path);
	assert_int_equal(rp_chainlog_open(path, &l, &torn), RP_OK);
	assert_int_equal(torn, 0);
	for (i = 1; i <= n; i++) {
		int k = snprintf(payload, sizeof payload, "event %u", i);

		assert_int_equal(
		    rp_chainlog_append(l, 1767225600 + i, payload, (size_t)k),
		    RP_OK);
	}
	if (head != NULL) {
		rp_chainlog_head(l, &seq, head);
		assert_int_equal(seq, n);
	}
	rp_chainlog_close(l);
}

/* The log's text with line `no` (1-based) replaced by repl (NULL: drop). */
static void replace_line(unsigned no, const char *repl)
{
	size_t len, i, start = 0;
	unsigned cur = 1;
	char *buf = slurp(path, &len);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (cur != no)
			fwrite(buf + start, 1, i + 1 - start, f);
		else if (repl != NULL)
			fprintf(f, "%s\n", repl);
		start = i + 1;
		cur++;
	}
	fwrite(buf + start, 1, len - start, f);
	fclose(f);
	free(buf);
}

/* Line `no` of the log, without its LF, into out. */
static void get_line(unsigned no, char *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	unsigned i;

	assert_non_null(f);
	for (i = 1; i <= no; i++)
		assert_non_null(fgets(out, (int)cap, f));
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static void expect_broken(rp_err want, uint64_t line, const char *reason)
{
	struct rp_chainlog_report rep;
	size_t len;
	char *buf;

	assert_int_equal(rp_chainlog_verify(path, &rep), want);
	assert_int_equal(rep.bad_line, line);
	assert_int_equal(rep.records, line - 1);
	assert_non_null(rep.reason);
	if (reason != NULL && strstr(rep.reason, reason) == NULL)
		fail_msg("reason '%s', wanted '%s'", rep.reason, reason);
	/* The pure walk agrees. */
	buf = slurp(path, &len);
	assert_int_equal(rp_chainlog_verify_buf(buf, len, &rep), want);
	assert_int_equal(rep.bad_line, line);
	free(buf);
}

static void test_append_reopen_verify(void **state)
{
	struct rp_chainlog_report rep;
	char head[65], head2[65];
	rp_chainlog *l;
	uint64_t seq;
	struct stat st;
	int torn = 7;

	(void)state;
	/* Empty. */
	assert_int_equal(rp_chainlog_open(path, &l, &torn), RP_OK);
	assert_int_equal(torn, 0);
	rp_chainlog_head(l, &seq, head);
	assert_int_equal(seq, 0);
	assert_string_equal(head, "");
	rp_chainlog_close(l);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(rp_chainlog_verify(path, &rep), RP_OK);
	assert_int_equal(rep.records, 0);
	assert_int_equal(rep.bad_line, 0);
	assert_string_equal(rep.head, "");
	assert_null(rep.reason);

	make_log(5, head);
	assert_int_equal(strlen(head), 64);
	assert_int_equal(rp_chainlog_verify(path, &rep), RP_OK);
	assert_int_equal(rep.records, 5);
	assert_string_equal(rep.head, head);

	/* Reopen: the same head; the chain goes on. */
	assert_int_equal(rp_chainlog_open(path, &l, &torn), RP_OK);
	assert_int_equal(torn, 0);
	rp_chainlog_head(l, &seq, head2);
	assert_int_equal(seq, 5);
	assert_string_equal(head2, head);
	assert_int_equal(rp_chainlog_append(l, 1, "", 0), RP_OK);
	assert_int_equal(rp_chainlog_append(l, 2, "x", 1), RP_OK);
	rp_chainlog_head(l, &seq, head);
	assert_int_equal(seq, 7);
	rp_chainlog_close(l);
	assert_int_equal(rp_chainlog_verify(path, &rep), RP_OK);
	assert_int_equal(rep.records, 7);
	assert_string_equal(rep.head, head);
}

/* Open reads only the tail: damage far from the end goes unseen there
 * (verify finds it), and the head of a long log is still right. */
static void test_head_from_tail(void **state)
{
	struct rp_chainlog_report rep;
	char head[65], head2[65], line[2048];
	rp_chainlog *l;
	uint64_t seq;

	(void)state;
	make_log(300, head);
	get_line(1, line, sizeof line);
	line[0] = 'X';
	replace_line(1, line);
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_OK);
	rp_chainlog_head(l, &seq, head2);
	assert_int_equal(seq, 300);
	assert_string_equal(head2, head);
	rp_chainlog_close(l);
	assert_int_equal(rp_chainlog_verify(path, &rep), RP_E_CHAINLOG);
	assert_int_equal(rep.bad_line, 1);
}

static void test_tamper_payload(void **state)
{
	char line[2048];

	(void)state;
	make_log(5, NULL);
	get_line(2, line, sizeof line);
	line[strlen(line) - 1] = 'X';
	replace_line(2, line);
	expect_broken(RP_E_CHAINLOG, 3, "previous hash");
}

/* The last record's payload edited: the file is self-consistent, but its
 * head is not the one reported before (rampartd's copy catches it). */
static void test_tamper_last(void **state)
{
	struct rp_chainlog_report rep;
	char head[65], line[2048];

	(void)state;
	make_log(5, head);
	get_line(5, line, sizeof line);
	line[strlen(line) - 1] = 'X';
	replace_line(5, line);
	assert_int_equal(rp_chainlog_verify(path, &rep), RP_OK);
	assert_int_equal(rep.records, 5);
	assert_string_not_equal(rep.head, head);
}

static void test_tamper_delete(void **state)
{
	(void)state;
	make_log(5, NULL);
	replace_line(3, NULL);
	expect_broken(RP_E_CHAINLOG, 3, "sequence");
	make_log(5, NULL);
	replace_line(1, NULL);
	expect_broken(RP_E_CHAINLOG, 1, "sequence");
}

static void test_tamper_swap(void **state)
{
	char l2[2048], l3[2048];

	(void)state;
	make_log(5, NULL);
	get_line(2, l2, sizeof l2);
	get_line(3, l3, sizeof l3);
	replace_line(2, l3);
	replace_line(3, l2);
	expect_broken(RP_E_CHAINLOG, 2, "sequence");
}

static void test_tamper_seq(void **state)
{
	char line[2048], fixed[2100];

	(void)state;
	/* Renumbered: out of order. */
	make_log(5, NULL);
	get_line(3, line, sizeof line);
	snprintf(fixed, sizeof fixed, "4%s", line + 1);
	replace_line(3, fixed);
	expect_broken(RP_E_CHAINLOG, 3, "sequence");
	/* Deleted and the rest renumbered: the link breaks. */
	make_log(5, NULL);
	get_line(4, line, sizeof line);
	snprintf(fixed, sizeof fixed, "3%s", line + 1);
	replace_line(3, fixed);
	replace_line(4, NULL);
	expect_broken(RP_E_CHAINLOG, 3, "previous hash");
}

static void test_tamper_link(void **state)
{
	char line[2048];
	char *sp;

	(void)state;
	make_log(5, NULL);
	get_line(4, line, sizeof line);
	sp = strchr(strchr(line, ' ') + 1, ' ') + 1;
	*sp = *sp == 'a' ? 'b' : 'a';
	replace_line(4, line);
	expect_broken(RP_E_CHAINLOG, 4, "previous hash");
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
	    "",
	    "garbage",
	    "3",
	    "3 ",
	    "03 1767225603 x",
	    "3 x 0000",
	    "3 -1 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "p",
	    "3 1767225603 "
	    "000000000000000000000000000000000000000000000000000000000000000 p",
	    "3 1767225603 "
	    "0000000000000000000000000000000000000000000000000000000000000000p",
	    "3 1767225603 "
	    "000000000000000000000000000000000000000000000000000000000000000G "
	    "p",
	    "3 1767225603 "
	    "000000000000000000000000000000000000000000000000000000000000000A "
	    "p",
	    "3  1767225603 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "p",
	    "3 1767225603 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "p\tq",
	    "3 1767225603 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "p\r",
	    "3 1767225603 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "\x80",
	    "18446744073709551616 1 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "p",
	    "3 9223372036854775808 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "p",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		make_log(5, NULL);
		replace_line(3, bad[i]);
		expect_broken(RP_E_CHAINLOG, 3, NULL);
	}
	/* A NUL inside a line. */
	make_log(2, NULL);
	{
		size_t len;
		char *buf = slurp(path, &len);

		buf[len - 3] = '\0';
		spit(path, buf, len);
		free(buf);
	}
	expect_broken(RP_E_CHAINLOG, 2, "printable");
	/* A line longer than any record. */
	{
		char *big = malloc(5000);

		assert_non_null(big);
		memset(big, 'a', 4999);
		big[4999] = '\0';
		make_log(5, NULL);
		replace_line(3, big);
		expect_broken(RP_E_CHAINLOG, 3, "too long");
		free(big);
	}
}

/* Truncated in the middle of a record (power cut during an append). */
static void test_torn(void **state)
{
	struct rp_chainlog_report rep;
	char head4[65], head[65];
	rp_chainlog *l;
	uint64_t seq;
	size_t len, cut;
	char *buf;
	int torn = 0;

	(void)state;
	make_log(4, head4);
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_OK);
	assert_int_equal(rp_chainlog_append(l, 9, "fifth record", 12), RP_OK);
	rp_chainlog_close(l);
	buf = slurp(path, &len);
	/* Every cut inside the fifth record. */
	for (cut = len - 1; buf[cut - 1] != '\n'; cut--) {
		spit(path, buf, cut);
		expect_broken(RP_E_CHAINLOG_TORN, 5, "torn");
		assert_int_equal(rp_chainlog_verify(path, &rep),
		                 RP_E_CHAINLOG_TORN);
		assert_string_equal(rep.head, head4);
		torn = 0;
		assert_int_equal(rp_chainlog_open(path, &l, &torn), RP_OK);
		assert_int_equal(torn, 1);
		rp_chainlog_head(l, &seq, head);
		assert_int_equal(seq, 4);
		assert_string_equal(head, head4);
		assert_int_equal(rp_chainlog_append(l, 10, "again", 5), RP_OK);
		rp_chainlog_close(l);
		assert_int_equal(rp_chainlog_verify(path, &rep), RP_OK);
		assert_int_equal(rep.records, 5);
	}
	free(buf);
	/* A file holding only a torn first record: cut to empty. */
	spit(path, "1 5 00", 6);
	assert_int_equal(rp_chainlog_open(path, &l, &torn), RP_OK);
	assert_int_equal(torn, 1);
	rp_chainlog_head(l, &seq, head);
	assert_int_equal(seq, 0);
	assert_string_equal(head, "");
	rp_chainlog_close(l);
	buf = slurp(path, &len);
	assert_int_equal(len, 0);
	free(buf);
}

/* Open refuses a malformed last record and a tail with no LF longer
 * than any record (not a torn append). */
static void test_open_refuses(void **state)
{
	rp_chainlog *l = (rp_chainlog *)1;
	char *big;
	int fd;

	(void)state;
	make_log(3, NULL);
	replace_line(3, "garbage");
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_E_CHAINLOG);
	assert_null(l);
	big = malloc(5000);
	assert_non_null(big);
	memset(big, 'a', 5000);
	make_log(3, NULL);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, 5000), 5000);
	close(fd);
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_E_CHAINLOG);
	/* Longer than a record yet inside the tail window (after a record,
	 * and a whole small file): not cut, the file is left as it is. */
	{
		size_t len0, len1;
		char *before, *after;

		make_log(3, NULL);
		fd = open(path, O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, big, 1500), 1500);
		close(fd);
		before = slurp(path, &len0);
		assert_int_equal(rp_chainlog_open(path, &l, NULL),
		                 RP_E_CHAINLOG);
		after = slurp(path, &len1);
		assert_int_equal(len1, len0);
		free(before);
		free(after);
		spit(path, big, 2000);
		assert_int_equal(rp_chainlog_open(path, &l, NULL),
		                 RP_E_CHAINLOG);
		after = slurp(path, &len1);
		assert_int_equal(len1, 2000);
		free(after);
	}
	free(big);
	/* Others may write it: refused. */
	make_log(1, NULL);
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_E_PERM);
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_E_PERM);
	assert_int_equal(chmod(path, 0600), 0);
	/* Not a regular file; a symlink; a missing directory. */
	assert_int_equal(rp_chainlog_open(dir, &l, NULL), RP_E_INVAL);
	{
		char link[300];

		snprintf(link, sizeof link, "%s/link", dir);
		assert_int_equal(symlink(path, link), 0);
		assert_int_equal(rp_chainlog_open(link, &l, NULL), RP_E_PERM);
		unlink(link);
	}
	assert_int_equal(rp_chainlog_open("/nonexistent/dir/log", &l, NULL),
	                 RP_E_NOT_FOUND);
	assert_int_equal(rp_chainlog_open(NULL, &l, NULL), RP_E_INVAL);
	assert_int_equal(rp_chainlog_open(path, NULL, NULL), RP_E_INVAL);
}

/* One writer at a time. */
static void test_single_writer(void **state)
{
	rp_chainlog *a, *b = (rp_chainlog *)1;

	(void)state;
	assert_int_equal(rp_chainlog_open(path, &a, NULL), RP_OK);
	assert_int_equal(rp_chainlog_open(path, &b, NULL), RP_E_STATE);
	assert_null(b);
	rp_chainlog_close(a);
	assert_int_equal(rp_chainlog_open(path, &b, NULL), RP_OK);
	rp_chainlog_close(b);
}

static void test_append_inval(void **state)
{
	struct rp_chainlog_report rep;
	char big[RP_CHAINLOG_PAYLOAD_MAX + 1];
	rp_chainlog *l;
	uint64_t seq;

	(void)state;
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_OK);
	assert_int_equal(rp_chainlog_append(l, 1, "a\nb", 3), RP_E_INVAL);
	assert_int_equal(rp_chainlog_append(l, 1, "a\tb", 3), RP_E_INVAL);
	assert_int_equal(rp_chainlog_append(l, 1, "a\x7f", 2), RP_E_INVAL);
	assert_int_equal(rp_chainlog_append(l, 1, "a\0b", 3), RP_E_INVAL);
	assert_int_equal(rp_chainlog_append(l, 1, "\xc3\xa9", 2), RP_E_INVAL);
	assert_int_equal(rp_chainlog_append(l, -1, "a", 1), RP_E_INVAL);
	assert_int_equal(rp_chainlog_append(l, 1, NULL, 1), RP_E_INVAL);
	assert_int_equal(rp_chainlog_append(NULL, 1, "a", 1), RP_E_INVAL);
	memset(big, '~', sizeof big);
	assert_int_equal(rp_chainlog_append(l, 1, big, sizeof big), RP_E_INVAL);
	rp_chainlog_head(l, &seq, NULL);
	assert_int_equal(seq, 0);
	/* The limits themselves are fine. */
	assert_int_equal(rp_chainlog_append(l, 0, big, sizeof big - 1), RP_OK);
	assert_int_equal(rp_chainlog_append(l, INT64_MAX, " ~", 2), RP_OK);
	assert_int_equal(rp_chainlog_append(l, 1, NULL, 0), RP_OK);
	rp_chainlog_close(l);
	assert_int_equal(rp_chainlog_verify(path, &rep), RP_OK);
	assert_int_equal(rep.records, 3);
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_OK);
	rp_chainlog_head(l, &seq, NULL);
	assert_int_equal(seq, 3);
	rp_chainlog_close(l);
}

static void test_verify_errors(void **state)
{
	struct rp_chainlog_report rep;

	(void)state;
	assert_int_equal(rp_chainlog_verify("/nonexistent/log", &rep),
	                 RP_E_NOT_FOUND);
	assert_int_equal(rp_chainlog_verify(dir, &rep), RP_E_IO);
	/* A FIFO: refused at once, not waited on for a writer. */
	{
		char fifo[300];

		snprintf(fifo, sizeof fifo, "%s/fifo", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(rp_chainlog_verify(fifo, &rep), RP_E_IO);
		unlink(fifo);
	}
	assert_int_equal(rp_chainlog_verify(NULL, &rep), RP_E_INVAL);
	assert_int_equal(rp_chainlog_verify_buf(NULL, 0, &rep), RP_OK);
	assert_int_equal(rep.records, 0);
	assert_int_equal(rp_chainlog_verify_buf(NULL, 1, &rep), RP_E_INVAL);
}

/* tests/vectors/chainlog.log, made by tests/vectors/chainlog.sh with
 * sha256sum: verifies, and its head is the one in docs/chainlog.md. */
static void test_vector(void **state)
{
	struct rp_chainlog_report rep;
	const char *src = getenv("RP_SRC_DIR");
	char vec[512], head[65];
	rp_chainlog *l;
	uint64_t seq;
	size_t len;
	char *buf;

	(void)state;
	assert_non_null(src);
	snprintf(vec, sizeof vec, "%s/tests/vectors/chainlog.log", src);
	assert_int_equal(rp_chainlog_verify(vec, &rep), RP_OK);
	assert_int_equal(rep.records, 4);
	assert_string_equal(rep.head, VECTOR_HEAD);
	/* The writer makes the same bytes. */
	buf = slurp(vec, &len);
	unlink(path);
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_OK);
	{
		char *p = buf, *lf;

		while ((lf = strchr(p, '\n')) != NULL) {
			char *ts = strchr(p, ' ') + 1;
			char *payload = ts + strcspn(ts, " ") + 1 + 64 + 1;

			assert_int_equal(
			    rp_chainlog_append(l, strtoll(ts, NULL, 10),
			                       payload, (size_t)(lf - payload)),
			    RP_OK);
			p = lf + 1;
		}
	}
	rp_chainlog_head(l, &seq, head);
	assert_int_equal(seq, 4);
	assert_string_equal(head, VECTOR_HEAD);
	rp_chainlog_close(l);
	{
		size_t len2;
		char *mine = slurp(path, &len2);

		assert_int_equal(len2, len);
		assert_memory_equal(mine, buf, len);
		free(mine);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_append_reopen_verify, fresh),
	    cmocka_unit_test_setup(test_head_from_tail, fresh),
	    cmocka_unit_test_setup(test_tamper_payload, fresh),
	    cmocka_unit_test_setup(test_tamper_last, fresh),
	    cmocka_unit_test_setup(test_tamper_delete, fresh),
	    cmocka_unit_test_setup(test_tamper_swap, fresh),
	    cmocka_unit_test_setup(test_tamper_seq, fresh),
	    cmocka_unit_test_setup(test_tamper_link, fresh),
	    cmocka_unit_test_setup(test_garbage, fresh),
	    cmocka_unit_test_setup(test_torn, fresh),
	    cmocka_unit_test_setup(test_open_refuses, fresh),
	    cmocka_unit_test_setup(test_single_writer, fresh),
	    cmocka_unit_test_setup(test_append_inval, fresh),
	    cmocka_unit_test_setup(test_verify_errors, fresh),
	    cmocka_unit_test_setup(test_vector, fresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
