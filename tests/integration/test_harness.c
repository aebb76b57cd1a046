/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_harness.c - proves the integration-test support against real
 * programs: a real TLS 1.3 server (openssl s_server) is started on a free
 * loopback port, waited for, talked to with openssl s_client, and stopped;
 * waits time out when their condition never comes; and a test process that
 * dies in the middle does not leave its server running.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rpt.h"

static char dir[512];
static char cert[600], key[600];

static int setup(void **state)
{
	char *out = NULL;
	int rc;

	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	char *argv[] = {"openssl",
	                "req",
	                "-x509",
	                "-newkey",
	                "ec",
	                "-pkeyopt",
	                "ec_paramgen_curve:P-256",
	                "-nodes",
	                "-keyout",
	                key,
	                "-out",
	                cert,
	                "-days",
	                "1",
	                "-subj",
	                "/CN=127.0.0.1",
	                NULL};
	rc = rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS);
	if (rc != 0)
		fprintf(stderr, "openssl req failed: %s\n", out);
	free(out);
	return rc == 0 ? 0 : -1;
}

static void start_server(struct rpt_proc *p, int port, const char *log)
{
	char accept[32];

	snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
	char *argv[] = {"openssl", "s_server", "-accept", accept, "-cert", cert,
	                "-key",    key,        "-tls1_3", "-www", NULL};
	assert_int_equal(rpt_start(p, argv, log, NULL), 0);
}

static void test_tls_server_roundtrip(void **state)
{
	struct rpt_proc srv;
	char log[600], connect[32], *out = NULL;
	int port = rpt_free_port();

	(void)state;
	snprintf(log, sizeof log, "%s/s_server.log", dir);
	snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
	start_server(&srv, port, log);
	assert_true(rpt_wait_port(&srv, port, RPT_DEADLINE_MS));

	char *argv[] = {"openssl",
	                "s_client",
	                "-connect",
	                connect,
	                "-CAfile",
	                cert,
	                "-verify_return_error",
	                "-brief",
	                NULL};
	assert_int_equal(rpt_run(argv, "", 0, &out, RPT_DEADLINE_MS), 0);
	assert_non_null(strstr(out, "Protocol version: TLSv1.3"));
	assert_non_null(strstr(out, "Verification: OK"));
	free(out);

	rpt_stop(&srv, 5000);
	assert_int_equal(srv.pid, 0);
	assert_false(rpt_port_open(port));
}

static void test_wait_times_out(void **state)
{
	char log[600];
	struct rpt_proc p;
	long long t0;

	(void)state;
	snprintf(log, sizeof log, "%s/sh.log", dir);
	char *argv[] = {"sh", "-c", "echo started; exec cat", NULL};
	assert_int_equal(rpt_start(&p, argv, log, NULL), 0);
	assert_true(rpt_wait_file_contains(log, "started", RPT_DEADLINE_MS));
	t0 = rpt_now_ms();
	assert_false(rpt_wait_file_contains(log, "never printed", 300));
	assert_true(rpt_now_ms() - t0 >= 300);
	/* cat on /dev/null exits at once; the wait sees it. */
	assert_true(rpt_wait_exit(&p, RPT_DEADLINE_MS));
	assert_true(WIFEXITED(p.status));
}

static void test_run_reports_exit_and_output(void **state)
{
	char *out = NULL;

	(void)state;
	char *argv[] = {"sh", "-c", "cat; echo to-stderr >&2; exit 3", NULL};
	assert_int_equal(rpt_run(argv, "from-stdin\n", 11, &out, 5000), 3);
	assert_non_null(strstr(out, "from-stdin\n"));
	assert_non_null(strstr(out, "to-stderr\n"));
	free(out);
	char *slow[] = {"sleep", "30", NULL};
	assert_int_equal(rpt_run(slow, NULL, 0, NULL, 200), -1);
	char *missing[] = {"/nonexistent/program", NULL};
	assert_int_equal(rpt_run(missing, NULL, 0, NULL, 5000), 127);
}

/*
 * A test that fails hard (abort) after starting a server must not leave
 * the server behind: run such a "test" in a child and check the port.
 */
static void test_crashed_test_stops_its_server(void **state)
{
	char log[600];
	int port = rpt_free_port();
	int st;
	pid_t child;

	(void)state;
	snprintf(log, sizeof log, "%s/orphan.log", dir);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct rpt_proc srv;
		start_server(&srv, port, log);
		if (!rpt_wait_port(&srv, port, RPT_DEADLINE_MS))
			_exit(2);
		abort(); /* the failing test */
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	/* The server is gone (or going): its port closes before a deadline. */
	long long end = rpt_now_ms() + RPT_DEADLINE_MS;
	while (rpt_port_open(port) && rpt_now_ms() < end)
		;
	assert_false(rpt_port_open(port));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls_server_roundtrip),
	    cmocka_unit_test(test_wait_times_out),
	    cmocka_unit_test(test_run_reports_exit_and_output),
	    cmocka_unit_test(test_crashed_test_stops_its_server),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
