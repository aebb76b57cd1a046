/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpt.c - integration-test support (see rpt.h): processes, ports,
 * temporary directories, and waits with deadlines. Linux only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rpt.h"

#define MAX_TRACKED 64

static pid_t tracked_pgid[MAX_TRACKED];
static char tracked_dir[MAX_TRACKED][512];
static int cleanup_armed;

/* Weak: present only in sanitizer builds. */
extern void __sanitizer_set_death_callback(void (*cb)(void))
    __attribute__((weak));

static void poll_pause(void)
{
	/* The polling interval of a wait; not a synchronisation sleep. */
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

long long rpt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	int i;

	for (i = 0; i < MAX_TRACKED; i++) {
		if (tracked_pgid[i] > 0) {
			kill(-tracked_pgid[i], SIGKILL);
			waitpid(tracked_pgid[i], NULL, 0);
			tracked_pgid[i] = 0;
		}
	}
	for (i = 0; i < MAX_TRACKED; i++) {
		if (tracked_dir[i][0] != '\0' && !getenv("RPT_KEEP")) {
			nftw(tracked_dir[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
			tracked_dir[i][0] = '\0';
		}
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void arm_cleanup(void)
{
	if (cleanup_armed)
		return;
	cleanup_armed = 1;
	atexit(cleanup);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGABRT, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

static void die(const char *what)
{
	fprintf(stderr, "rpt: %s: %s\n", what, strerror(errno));
	abort();
}

void rpt_tmpdir(char *out, size_t cap)
{
	const char *base = getenv("TMPDIR");
	int i;

	arm_cleanup();
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(out, cap, "%s/rampart-test-XXXXXX", base) >= cap)
		die("tmpdir path too long");
	if (mkdtemp(out) == NULL)
		die("mkdtemp");
	for (i = 0; i < MAX_TRACKED; i++) {
		if (tracked_dir[i][0] == '\0') {
			snprintf(tracked_dir[i], sizeof tracked_dir[i], "%s",
			         out);
			return;
		}
	}
}

int rpt_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	if (port < 0)
		die("bind to a free port");
	return port;
}

/* True if a TCP socket can be bound to 127.0.0.1:port right now. */
static bool port_bindable(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;
	bool ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	/* As servers bind: TIME_WAIT leftovers do not count as in use. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

int rpt_free_port_pair(void)
{
	int tries, port;

	for (tries = 0; tries < 100; tries++) {
		port = rpt_free_port();
		if (port < 65535 && port_bindable(port + 1))
			return port;
	}
	die("no free pair of ports");
	return -1;
}

bool rpt_port_open(int port)
{
	struct sockaddr_in sa;
	int fd, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

static void track(pid_t pid)
{
	int i;
	for (i = 0; i < MAX_TRACKED; i++) {
		if (tracked_pgid[i] == 0) {
			tracked_pgid[i] = pid;
			return;
		}
	}
}

static void untrack(pid_t pid)
{
	int i;
	for (i = 0; i < MAX_TRACKED; i++) {
		if (tracked_pgid[i] == pid)
			tracked_pgid[i] = 0;
	}
}

/* In the child: own group, die with the parent, then exec. */
static void child_exec(char *const argv[], char *const env_extra[],
                       pid_t parent)
{
	int i;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	for (i = 0; env_extra != NULL && env_extra[i] != NULL; i++)
		putenv(env_extra[i]);
	execvp(argv[0], argv);
	fprintf(stderr, "rpt: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int rpt_start(struct rpt_proc *p, char *const argv[], const char *log_path,
              char *const env_extra[])
{
	pid_t parent = getpid();
	pid_t pid;
	int fd;

	arm_cleanup();
	memset(p, 0, sizeof *p);
	snprintf(p->log, sizeof p->log, "%s", log_path);
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		child_exec(argv, env_extra, parent);
	}
	setpgid(pid, pid); /* also in the parent: no race with kill(-pid) */
	close(fd);
	p->pid = pid;
	track(pid);
	return 0;
}

static bool reap(struct rpt_proc *p, int flags)
{
	int st;
	pid_t r;

	if (p->pid == 0)
		return true;
	r = waitpid(p->pid, &st, flags);
	if (r == p->pid) {
		p->status = st;
		kill(-p->pid, SIGKILL); /* anything it left in its group */
		untrack(p->pid);
		p->pid = 0;
		return true;
	}
	return false;
}

bool rpt_wait_port(struct rpt_proc *p, int port, int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;

	while (rpt_now_ms() < end) {
		if (rpt_port_open(port))
			return true;
		if (p != NULL && reap(p, WNOHANG)) {
			fprintf(stderr,
			        "rpt: process exited before port %d "
			        "opened (log: %s)\n",
			        port, p->log);
			return false;
		}
		poll_pause();
	}
	fprintf(stderr, "rpt: port %d not open after %d ms\n", port,
	        deadline_ms);
	return false;
}

bool rpt_wait_file_contains(const char *path, const char *needle,
                            int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;

	while (rpt_now_ms() < end) {
		char *s = rpt_read_file(path, NULL);
		bool found = s != NULL && strstr(s, needle) != NULL;
		free(s);
		if (found)
			return true;
		poll_pause();
	}
	fprintf(stderr, "rpt: '%s' not in %s after %d ms\n", needle, path,
	        deadline_ms);
	return false;
}

bool rpt_wait_exit(struct rpt_proc *p, int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;

	while (rpt_now_ms() < end) {
		if (reap(p, WNOHANG))
			return true;
		poll_pause();
	}
	return false;
}

int rpt_stop(struct rpt_proc *p, int grace_ms)
{
	if (p->pid == 0)
		return p->status;
	kill(-p->pid, SIGTERM);
	if (!rpt_wait_exit(p, grace_ms)) {
		kill(-p->pid, SIGKILL);
		reap(p, 0);
	}
	return p->status;
}

int rpt_run(char *const argv[], const char *in, size_t inlen, char **out,
            int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;
	pid_t parent = getpid();
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int pfd[2], infd = -1, st = 0, rc = -1;
	pid_t pid;

	arm_cleanup();
	if (out != NULL)
		*out = NULL;
	if (in != NULL) {
		FILE *f = tmpfile();
		if (f == NULL || fwrite(in, 1, inlen, f) != inlen ||
		    fflush(f) != 0)
			die("stdin tmpfile");
		infd = dup(fileno(f));
		fclose(f);
		lseek(infd, 0, SEEK_SET);
	}
	if (pipe2(pfd, O_CLOEXEC) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(infd >= 0 ? infd : nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		child_exec(argv, NULL, parent);
	}
	setpgid(pid, pid);
	track(pid);
	close(pfd[1]);
	if (infd >= 0)
		close(infd);
	for (;;) {
		struct pollfd pf = {pfd[0], POLLIN, 0};
		long long left = end - rpt_now_ms();
		ssize_t n;

		if (left <= 0) {
			fprintf(stderr, "rpt: %s timed out after %d ms\n",
			        argv[0], deadline_ms);
			kill(-pid, SIGKILL);
			goto reap;
		}
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (buf == NULL)
				die("realloc");
		}
		n = read(pfd[0], buf + len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	rc = 0;
reap:
	close(pfd[0]);
	waitpid(pid, &st, 0);
	kill(-pid, SIGKILL);
	untrack(pid);
	if (rc == 0) {
		if (WIFEXITED(st))
			rc = WEXITSTATUS(st);
		else if (WIFSIGNALED(st))
			rc = 128 + WTERMSIG(st);
	}
	if (buf == NULL)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return rc;
}

char *rpt_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (buf == NULL)
				die("realloc");
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

int rpt_write_file(const char *path, const void *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const char *p = data;

	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || v[0] == '\0') {
		fprintf(stderr, "rpt: %s is not set (run through ctest)\n",
		        name);
		abort();
	}
	return v;
}

const char *rpt_bin_dir(void)
{
	return env_or_die("RP_BIN_DIR");
}

const char *rpt_src_dir(void)
{
	return env_or_die("RP_SRC_DIR");
}

int rpt_softhsm_init(const char *dir, const char *label)
{
	char conf[700], tokens[700], text[1024], lab[128];
	char *init[] = {
	    "softhsm2-util", "--init-token", "--free",   "--label", lab,
	    "--pin",         "1234",         "--so-pin", "5678",    NULL};
	char *o = NULL;
	int rc = -1;

	snprintf(lab, sizeof lab, "%s", label);
	snprintf(tokens, sizeof tokens, "%s/tokens", dir);
	snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
	snprintf(text, sizeof text,
	         "directories.tokendir = %s\nobjectstore.backend = file\n"
	         "log.level = ERROR\n",
	         tokens);
	if (mkdir(tokens, 0700) != 0 ||
	    rpt_write_file(conf, text, strlen(text), 0600) != 0) {
		fprintf(stderr, "rpt: softhsm2 in %s: %s\n", dir,
		        strerror(errno));
		goto out;
	}
	setenv("SOFTHSM2_CONF", conf, 1);
	if (rpt_run(init, NULL, 0, &o, RPT_DEADLINE_MS) != 0) {
		fprintf(stderr, "rpt: softhsm2-util --init-token failed: %s\n",
		        o != NULL ? o : "");
		goto out;
	}
	rc = 0;
out:
	free(o);
	return rc;
}

int rpt_server_cert(const char *cert, const char *key)
{
	char *argv[] = {"openssl",
	                "req",
	                "-x509",
	                "-newkey",
	                "ec",
	                "-pkeyopt",
	                "ec_paramgen_curve:P-256",
	                "-nodes",
	                "-keyout",
	                (char *)key,
	                "-subj",
	                "/CN=127.0.0.1",
	                "-addext",
	                "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
	                "-days",
	                "2",
	                "-out",
	                (char *)cert,
	                NULL};
	char *out = NULL;
	int rc = rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS);

	if (rc != 0)
		fprintf(stderr, "openssl req: %s\n", out ? out : "");
	free(out);
	return rc;
}
