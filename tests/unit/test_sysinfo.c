/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sysinfo.c - the device facts (lib/port/posix/sysinfo.c): a fake
 * /proc tree (tests/unit/fixtures/proc, rows in the kernel's own format)
 * read field by field, the CPU share between two samples, tcp+tcp6 and
 * udp+udp6 merged, the port tables' refusals and the lowest-kept cap; the
 * firmware hash against sha256sum's; the real /proc (a port this test
 * listens on shows up); the auth-log watcher: history skipped, complete
 * lines only, truncation, rotation, a file that appears later, an
 * over-long line, the 1 MiB budget, and which log lines are failures.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/mem.h"
#include "rampart/sysinfo.h"

/* sha256sum tests/unit/fixtures/fw.img */
#define FW_SHA256 \
	"2a7220ed7d1a859fd1a4833c24735d3a783f485fff4ea0b78b183ed868e034e6"

static char dir[] = "/tmp/rp-test-sysinfo-XXXXXX";
static char proc[300], fixtures[300];

static void put(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	const char *src = getenv("RP_SRC_DIR");
	char cmd[1024];

	(void)state;
	if (src == NULL || rp_init() != RP_OK || mkdtemp(dir) == NULL)
		return -1;
	snprintf(fixtures, sizeof fixtures, "%s/tests/unit/fixtures", src);
	snprintf(proc, sizeof proc, "%s/proc", dir);
	snprintf(cmd, sizeof cmd, "cp -R '%s/proc' '%s/'", fixtures, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void proc_file(const char *name, const char *text)
{
	char path[400];

	snprintf(path, sizeof path, "%s/%s", proc, name);
	put(path, text, "w");
}

static void test_fake_proc(void **state)
{
	struct rp_sysinfo_conf c = {0};
	struct rp_telemetry t;
	rp_sysinfo *s;
	char img[400];
	static const uint16_t tcp[] = {22, 443, 8883};
	static const uint16_t udp[] = {68, 123, 546};

	(void)state;
	snprintf(img, sizeof img, "%s/fw.img", fixtures);
	c.proc_root = proc;
	c.fw_version = "1.4.2";
	c.fw_image = img;
	assert_int_equal(rp_sysinfo_new(&c, &s), RP_OK);
	memset(&t, 0, sizeof t);
	t.seq = 9;
	t.interval_s = 60;
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.uptime_s, 86400);
	/* First sample: since boot. busy 1500 of 10000 ticks. */
	assert_int_equal(t.cpu_permille, 150);
	assert_int_equal(t.mem_total_kb, 1024000);
	assert_int_equal(t.mem_avail_kb, 512000);
	assert_int_equal(t.n_tcp, 3);
	assert_memory_equal(t.tcp, tcp, sizeof tcp);
	assert_int_equal(t.n_udp, 3);
	assert_memory_equal(t.udp, udp, sizeof udp);
	assert_string_equal(t.fw_version, "1.4.2");
	assert_string_equal(t.fw_sha256, FW_SHA256);
	/* Agent-side fields untouched. */
	assert_int_equal(t.seq, 9);
	assert_int_equal(t.interval_s, 60);

	/* Second sample: 1000 ticks later, 200 of them idle or iowait. */
	proc_file("stat", "cpu  1600 0 700 8100 600 0 0 0 0 0\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.cpu_permille, 800);
	/* No tick since: 0. */
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.cpu_permille, 0);
	/* Counters went back: since boot again. */
	proc_file("stat", "cpu  100 0 100 700 100 0 0 0\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.cpu_permille, 200);
	/* Busy ticks went back (steal on some hypervisors) while idle grew
	 * more: 0, not a wrapped value the encoder would refuse. */
	proc_file("stat", "cpu  90 0 100 900 100 0 0 0\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.cpu_permille, 0);
	/* No MemAvailable (old kernel): MemFree. */
	proc_file("meminfo", "MemTotal: 2000 kB\nMemFree: 300 kB\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.mem_total_kb, 2000);
	assert_int_equal(t.mem_avail_kb, 300);
	rp_sysinfo_free(s);
}

static void test_fake_proc_errors(void **state)
{
	struct rp_sysinfo_conf c = {0};
	struct rp_telemetry t, before;
	rp_sysinfo *s = (rp_sysinfo *)1;
	char path[400];

	(void)state;
	c.proc_root = proc;
	/* Firmware: missing image, version too long or not printable. */
	c.fw_image = "/nonexistent/fw.img";
	assert_int_equal(rp_sysinfo_new(&c, &s), RP_E_IO);
	assert_null(s);
	c.fw_image = NULL;
	c.fw_version = "123456789012345678901234567890123";
	assert_int_equal(rp_sysinfo_new(&c, &s), RP_E_INVAL);
	c.fw_version = "1.0\n";
	assert_int_equal(rp_sysinfo_new(&c, &s), RP_E_INVAL);
	c.fw_version = NULL;
	assert_int_equal(rp_sysinfo_new(NULL, &s), RP_OK);
	rp_sysinfo_free(s);
	assert_int_equal(rp_sysinfo_new(&c, &s), RP_OK);

	/* No IPv6 tables: fine. */
	snprintf(path, sizeof path, "%s/net/tcp6", proc);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof path, "%s/net/udp6", proc);
	assert_int_equal(unlink(path), 0);
	memset(&t, 0, sizeof t);
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.n_tcp, 2);
	assert_int_equal(t.n_udp, 2);
	assert_string_equal(t.fw_sha256, "");

	/* A malformed file: an error, and *t as it was. */
	before = t;
	proc_file("uptime", "abc\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_E_SYNTAX);
	assert_memory_equal(&t, &before, sizeof t);
	proc_file("uptime", "5.00 1.00\n");
	proc_file("stat", "intr 1 2 3\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_E_SYNTAX);
	proc_file("stat", "cpu  1 2 x\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_E_SYNTAX);
	proc_file("stat", "cpu  10 0 10 80 0 0 0 0 0 0\n");
	proc_file("meminfo", "MemFree: 1 kB\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_E_SYNTAX);
	proc_file("meminfo", "MemTotal: 10 kB\nMemAvailable: 11 kB\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_int_equal(t.mem_avail_kb, 10); /* clamped */
	proc_file("net/tcp", "garbage\n");
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_E_SYNTAX);
	/* A missing required file. */
	snprintf(path, sizeof path, "%s/uptime", proc);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_E_NOT_FOUND);
	assert_int_equal(rp_sysinfo_collect(NULL, &t), RP_E_INVAL);
	rp_sysinfo_free(s);
	/* Put the fixture back for the other tests. */
	teardown(NULL);
	assert_int_equal(mkdir(dir, 0700), 0);
	{
		char cmd[1024];

		snprintf(cmd, sizeof cmd, "cp -R '%s/proc' '%s/'", fixtures,
		         dir);
		assert_int_equal(system(cmd), 0);
	}
}

#define HDR4                                                                  \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when " \
	"retrnsmt   uid  timeout inode\n"
#define ROW4(port, st)                                                        \
	"   0: 00000000:" port " 00000000:0000 " st                           \
	" 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 " \
	"0 "                                                                  \
	"10 0\n"

static void test_parse_ports(void **state)
{
	static const char *const bad[] = {
	    "",
	    HDR4 "   0: 00000000:0016 00000000:0000 0A",   /* no LF */
	    "   0: 00000000:0016 00000000:0000 0A\n",      /* no header */
	    HDR4 "   0 00000000:0016 00000000:0000 0A\n",  /* sl */
	    HDR4 "   x: 00000000:0016 00000000:0000 0A\n", /* sl */
	    HDR4 "   0: 0000000:0016 00000000:0000 0A\n",  /* address */
	    HDR4 "   0: 00000000:016 00000000:0000 0A\n",  /* port */
	    HDR4 "   0: 0000000G:0016 00000000:0000 0A\n", /* hex */
	    HDR4 "   0: 00000000-0016 00000000:0000 0A\n", /* colon */
	    HDR4 "   0: 00000000:0016 00000000:0000 A\n",  /* state */
	    HDR4 "   0: 00000000:0016 00000000:0000\n",    /* state */
	    HDR4 "   0: 00000000:0016\n",                  /* remote */
	    HDR4 "\n",                                     /* empty row */
	    HDR4 "   0: 0000000000000000000000000000000:0016 "
	         "00000000000000000000000000000000:0000 0A\n", /* v6 length */
	};
	uint16_t ports[8], n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ports[0] = 7;
		n = 1;
		if (rp_sysinfo_parse_ports(bad[i], strlen(bad[i]), 1, ports, &n,
		                           8) != RP_E_SYNTAX)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(n, 1);
		assert_int_equal(ports[0], 7);
	}
	/* Only the header: no ports. */
	n = 0;
	assert_int_equal(
	    rp_sysinfo_parse_ports(HDR4, strlen(HDR4), 1, ports, &n, 8), RP_OK);
	assert_int_equal(n, 0);
	/* TCP: LISTEN (0A) only; UDP: 07 only; port 0 never; lower-case. */
	{
		static const char t[] = HDR4 ROW4("0050", "0A")
		    ROW4("0016", "01") ROW4("0035", "07") ROW4("0000", "0A")
		        ROW4("01bb", "0a");

		n = 0;
		assert_int_equal(
		    rp_sysinfo_parse_ports(t, strlen(t), 1, ports, &n, 8),
		    RP_OK);
		assert_int_equal(n, 2);
		assert_int_equal(ports[0], 80);
		assert_int_equal(ports[1], 443);
		n = 0;
		assert_int_equal(
		    rp_sysinfo_parse_ports(t, strlen(t), 0, ports, &n, 8),
		    RP_OK);
		assert_int_equal(n, 1);
		assert_int_equal(ports[0], 53);
	}
	/* Merging into what is there; the cap keeps the lowest. */
	{
		static const char t[] = HDR4 ROW4("0005", "0A")
		    ROW4("0003", "0A") ROW4("0009", "0A") ROW4("0001", "0A")
		        ROW4("0003", "0A");

		ports[0] = 2;
		ports[1] = 4;
		ports[2] = 100;
		n = 3;
		assert_int_equal(
		    rp_sysinfo_parse_ports(t, strlen(t), 1, ports, &n, 4),
		    RP_OK);
		assert_int_equal(n, 4);
		assert_int_equal(ports[0], 1);
		assert_int_equal(ports[1], 2);
		assert_int_equal(ports[2], 3);
		assert_int_equal(ports[3], 4);
		n = 5;
		assert_int_equal(
		    rp_sysinfo_parse_ports(t, strlen(t), 1, ports, &n, 4),
		    RP_E_INVAL);
		n = 0;
		assert_int_equal(
		    rp_sysinfo_parse_ports(t, strlen(t), 1, NULL, &n, 0),
		    RP_OK);
		assert_int_equal(n, 0);
	}
	/* The fixture tables. */
	{
		char path[400], *text;
		size_t len;
		FILE *f;

		snprintf(path, sizeof path, "%s/proc/net/tcp6", fixtures);
		f = fopen(path, "rb");
		assert_non_null(f);
		text = malloc(65536);
		assert_non_null(text);
		len = fread(text, 1, 65536, f);
		fclose(f);
		n = 0;
		assert_int_equal(
		    rp_sysinfo_parse_ports(text, len, 1, ports, &n, 8), RP_OK);
		assert_int_equal(n, 2);
		assert_int_equal(ports[0], 22);
		assert_int_equal(ports[1], 443);
		free(text);
	}
}

/* The real /proc: sane values, and a port this test listens on. */
static void test_real_proc(void **state)
{
	struct rp_telemetry t = {0};
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof a;
	rp_sysinfo *s;
	uint16_t port, i;
	int fd, udp, found = 0;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(udp >= 0);
	a.sin_port = 0;
	assert_int_equal(bind(udp, (struct sockaddr *)&a, sizeof a), 0);

	assert_int_equal(rp_sysinfo_new(NULL, &s), RP_OK);
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_true(t.uptime_s > 0);
	assert_true(t.cpu_permille <= 1000);
	assert_true(t.mem_total_kb > 0);
	assert_true(t.mem_avail_kb <= t.mem_total_kb);
	assert_true(t.n_udp >= 1);
	for (i = 0; i < t.n_tcp; i++) {
		if (i > 0)
			assert_true(t.tcp[i] > t.tcp[i - 1]);
		found |= t.tcp[i] == port;
	}
	/* Unless more than RP_PORTS_MAX lower ports listen (kept lowest). */
	if (t.n_tcp < RP_PORTS_MAX || port < t.tcp[RP_PORTS_MAX - 1])
		assert_true(found);
	assert_int_equal(rp_sysinfo_collect(s, &t), RP_OK);
	assert_true(t.cpu_permille <= 1000);
	rp_sysinfo_free(s);
	close(fd);
	close(udp);
}

/* ---- auth watcher ---------------------------------------------------- */

static const char *const failures[] = {
    "Dec  1 08:00:01 dev sshd[811]: Failed password for root from "
    "203.0.113.7 port 52144 ssh2",
    "Dec  1 08:00:02 dev sshd[811]: Failed password for invalid user admin "
    "from 203.0.113.7 port 52146 ssh2",
    "Dec  1 08:00:03 dev sshd[812]: Invalid user admin from 203.0.113.7 "
    "port 52146",
    "Dec  1 08:00:04 dev sshd[813]: Failed publickey for pi from "
    "203.0.113.8 port 40000 ssh2: ED25519 SHA256:abc",
    "Dec  1 08:00:05 dev sshd[814]: Failed keyboard-interactive/pam for "
    "root from 203.0.113.9 port 1 ssh2",
    "Dec  1 08:00:06 dev sshd[815]: Failed none for invalid user x from "
    "203.0.113.9 port 2 ssh2",
    "Dec  1 08:00:07 dev login[900]: FAILED LOGIN (1) on '/dev/tty1' FOR "
    "'root', Authentication failure",
    "Dec  1 08:00:08 dev login[901]: pam_unix(login:auth): authentication "
    "failure; logname=LOGIN uid=0 euid=0 tty=/dev/tty1 ruser= rhost=  "
    "user=root",
    "Dec  1 08:00:09 dev su[902]: pam_unix(su:auth): authentication "
    "failure; logname=pi uid=1000 euid=0 tty=pts/0 ruser=pi rhost=  "
    "user=root",
    "Dec  1 08:00:10 dev su[903]: FAILED SU (to root) pi on pts/0",
    "Dec  1 08:00:11 dev sudo[904]:       pi : 3 incorrect password "
    "attempts ; TTY=pts/0 ; PWD=/home/pi ; USER=root ; COMMAND=/bin/sh",
    "Dec  1 08:00:12 dev dropbear[905]: Bad password attempt for 'root' "
    "from 203.0.113.10:50000",
    "Dec  1 08:00:13 dev dropbear[906]: Login attempt for nonexistent user "
    "from 203.0.113.10:50001",
    "Dec  1 08:00:14 dev sshd[907]: error: maximum authentication attempts "
    "exceeded for root from 203.0.113.7 port 52150 ssh2 [preauth]",
};

static const char *const normal[] = {
    "Dec  1 08:01:01 dev sshd[820]: Accepted publickey for pi from "
    "192.0.2.1 port 50000 ssh2: ED25519 SHA256:abc",
    "Dec  1 08:01:02 dev sshd[820]: pam_unix(sshd:session): session opened "
    "for user pi(uid=1000) by (uid=0)",
    /* sshd logs the attempt itself ("Failed password"). */
    "Dec  1 08:01:03 dev sshd[821]: pam_unix(sshd:auth): authentication "
    "failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  "
    "user=root",
    "Dec  1 08:01:04 dev CRON[822]: pam_unix(cron:session): session closed "
    "for user root",
    "Dec  1 08:01:05 dev sudo[823]:       pi : TTY=pts/0 ; PWD=/home/pi ; "
    "USER=root ; COMMAND=/usr/bin/true",
    "Dec  1 08:01:06 dev sshd[824]: Connection closed by 192.0.2.1 port "
    "50001 [preauth]",
    "",
};

static void test_line_is_failure(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof failures / sizeof failures[0]; i++) {
		if (!rp_authwatch_line_is_failure(failures[i],
		                                  strlen(failures[i])))
			fail_msg("not a failure: %s", failures[i]);
	}
	for (i = 0; i < sizeof normal / sizeof normal[0]; i++) {
		if (rp_authwatch_line_is_failure(normal[i], strlen(normal[i])))
			fail_msg("a failure: %s", normal[i]);
	}
	/* A user name is the attacker's text: one that holds "(sshd:auth)"
	 * (PAM's tag, which is left out) must not hide the attempts. */
	{
		static const char *const named[] = {
		    "Dec  1 08:02:01 dev sshd[830]: Invalid user (sshd:auth) "
		    "from 203.0.113.7 port 52200",
		    "Dec  1 08:02:01 dev sshd[830]: Failed password for "
		    "invalid "
		    "user (sshd:auth) from 203.0.113.7 port 52200 ssh2",
		    "Dec  1 08:02:02 dev sshd[831]: Failed password for "
		    "invalid "
		    "user pam_unix(sshd:auth): authentication failure from "
		    "203.0.113.7 port 52201 ssh2",
		};

		for (i = 0; i < sizeof named / sizeof named[0]; i++)
			if (!rp_authwatch_line_is_failure(named[i],
			                                  strlen(named[i])))
				fail_msg("not a failure: %s", named[i]);
	}
	/* Only len bytes count. */
	assert_false(rp_authwatch_line_is_failure("Failed password", 10));
	assert_false(rp_authwatch_line_is_failure(NULL, 0));
}

static char logpath[400];

static int log_fresh(void **state)
{
	(void)state;
	snprintf(logpath, sizeof logpath, "%s/auth.log", dir);
	unlink(logpath);
	return 0;
}

static void add(const char *text)
{
	put(logpath, text, "a");
}

static void expect_poll(rp_authwatch *w, uint64_t want, const char *last)
{
	char got[RP_DETAIL_MAX + 1];
	uint64_t n = 99;

	assert_int_equal(rp_authwatch_poll(w, &n, got), RP_OK);
	assert_int_equal(n, want);
	if (last != NULL)
		assert_string_equal(got, last);
}

static void test_authwatch_tail(void **state)
{
	rp_authwatch *w;
	char line[1024];

	(void)state;
	/* History is not news. */
	snprintf(line, sizeof line, "%s\n%s\n", failures[0], failures[1]);
	add(line);
	add("sshd: Failed password, history being writ");
	assert_int_equal(rp_authwatch_open(logpath, &w), RP_OK);
	expect_poll(w, 0, "");
	add("ten\n");
	expect_poll(w, 0, "");
	/* New lines: failures counted, the last one kept. */
	snprintf(line, sizeof line, "%s\n%s\n%s\n", failures[2], normal[0],
	         failures[3]);
	add(line);
	expect_poll(w, 2, failures[3]);
	expect_poll(w, 0, "");
	/* A line being written is counted once complete. */
	add("Dec  1 09:00:00 dev sshd[1]: Failed pass");
	expect_poll(w, 0, NULL);
	add("word for root from 203.0.113.7 port 1 ssh2\r\n");
	expect_poll(w, 1,
	            "Dec  1 09:00:00 dev sshd[1]: Failed password for root "
	            "from 203.0.113.7 port 1 ssh2");
	/* Control bytes become '?'; cut to RP_DETAIL_MAX. */
	add("sshd: Failed password \x01\x1b[31m\n");
	expect_poll(w, 1, "sshd: Failed password ??[31m");
	memset(line, 'x', 600);
	memcpy(line, "Failed password ", 16);
	line[600] = '\n';
	line[601] = '\0';
	add(line);
	{
		char got[RP_DETAIL_MAX + 1];
		uint64_t n;

		assert_int_equal(rp_authwatch_poll(w, &n, got), RP_OK);
		assert_int_equal(n, 1);
		assert_int_equal(strlen(got), RP_DETAIL_MAX);
	}
	rp_authwatch_free(w);
}

static void test_authwatch_rotate(void **state)
{
	rp_authwatch *w;
	char old[450], line[1024];

	(void)state;
	add("history\n");
	assert_int_equal(rp_authwatch_open(logpath, &w), RP_OK);
	/* Truncated (copytruncate), then written again. */
	assert_int_equal(truncate(logpath, 0), 0);
	snprintf(line, sizeof line, "%s\n", failures[0]);
	add(line);
	expect_poll(w, 1, failures[0]);
	/* Rotated: a last line lands in the old file after the rename,
	 * then the new file starts; both are read. */
	snprintf(old, sizeof old, "%s.1", logpath);
	assert_int_equal(rename(logpath, old), 0);
	snprintf(line, sizeof line, "%s\n", failures[1]);
	put(old, line, "a");
	snprintf(line, sizeof line, "%s\n%s\n", failures[2], failures[3]);
	add(line);
	expect_poll(w, 3, failures[3]);
	/* Deleted and not yet back: nothing, no error. */
	assert_int_equal(unlink(logpath), 0);
	expect_poll(w, 0, "");
	snprintf(line, sizeof line, "%s\n", failures[4]);
	add(line);
	expect_poll(w, 1, failures[4]);
	rp_authwatch_free(w);
	unlink(old);
}

/* A file that does not exist yet: all of it is news once it appears. */
static void test_authwatch_appears(void **state)
{
	rp_authwatch *w;
	char line[1024];

	(void)state;
	assert_int_equal(rp_authwatch_open(logpath, &w), RP_OK);
	expect_poll(w, 0, "");
	snprintf(line, sizeof line, "%s\n%s\n", failures[5], failures[6]);
	add(line);
	expect_poll(w, 2, failures[6]);
	rp_authwatch_free(w);
	assert_int_equal(rp_authwatch_open(NULL, &w), RP_E_INVAL);
	assert_int_equal(rp_authwatch_poll(NULL, NULL, NULL), RP_E_INVAL);
}

/* A FIFO at the path (never a log file): refused, and polling does not
 * block the caller's loop in open(2) waiting for a writer. */
static void test_authwatch_fifo(void **state)
{
	rp_authwatch *w;
	uint64_t n = 9;
	char last[RP_DETAIL_MAX + 1];

	(void)state;
	unlink(logpath);
	assert_int_equal(rp_authwatch_open(logpath, &w), RP_OK);
	assert_int_equal(mkfifo(logpath, 0600), 0);
	assert_int_equal(rp_authwatch_poll(w, &n, last), RP_E_INVAL);
	assert_int_equal(n, 0);
	rp_authwatch_free(w);
	assert_int_equal(rp_authwatch_open(logpath, &w), RP_E_INVAL);
	unlink(logpath);
}

/* An over-long line counts once; the 1 MiB budget per poll. */
static void test_authwatch_big(void **state)
{
	rp_authwatch *w;
	size_t i, lines = 0, len;
	uint64_t n, total = 0;
	char *big;
	FILE *f;
	int polls = 0;

	(void)state;
	assert_int_equal(rp_authwatch_open(logpath, &w), RP_OK);
	big = malloc(200001);
	assert_non_null(big);
	memset(big, 'y', 200000);
	memcpy(big, "Failed password", 15);
	big[200000] = '\0';
	add(big);
	add(" Failed password again, same line\nok\n");
	expect_poll(w, 1, NULL);
	free(big);
	/* 3 MiB of short lines, every third a failure. */
	f = fopen(logpath, "a");
	assert_non_null(f);
	for (len = 0; len < 3u << 20; lines++)
		len += (size_t)fprintf(
		    f, "%s line %zu\n",
		    lines % 3 == 0 ? "Failed password" : "ok", lines);
	fclose(f);
	for (i = 0; i < 10; i++) {
		assert_int_equal(rp_authwatch_poll(w, &n, NULL), RP_OK);
		polls++;
		total += n;
		if (n == 0)
			break;
	}
	assert_int_equal(total, (lines + 2) / 3);
	assert_true(polls >= 4); /* at most 1 MiB each */
	rp_authwatch_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fake_proc),
	    cmocka_unit_test(test_fake_proc_errors),
	    cmocka_unit_test(test_parse_ports),
	    cmocka_unit_test(test_real_proc),
	    cmocka_unit_test(test_line_is_failure),
	    cmocka_unit_test_setup(test_authwatch_tail, log_fresh),
	    cmocka_unit_test_setup(test_authwatch_rotate, log_fresh),
	    cmocka_unit_test_setup(test_authwatch_appears, log_fresh),
	    cmocka_unit_test_setup(test_authwatch_fifo, log_fresh),
	    cmocka_unit_test_setup(test_authwatch_big, log_fresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
