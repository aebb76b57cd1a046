/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpt.h - support for integration tests: loopback ports, temporary
 * directories, child processes and waiting for conditions with deadlines.
 *
 * Everything a test starts is stopped when the test process ends, however
 * it ends: children run in their own process group with PR_SET_PDEATHSIG,
 * and an atexit handler (also run by the ASan death callback) kills the
 * groups that are still alive and removes the temporary directories.
 * Nothing here sleeps as synchronisation: waits poll a condition until a
 * deadline and say which condition timed out.
 */
#ifndef RAMPART_TEST_SUPPORT_H
#define RAMPART_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Default deadline for waits: generous, as sanitizers slow things down. */
#define RPT_DEADLINE_MS 20000

struct rpt_proc {
	pid_t pid;     /* 0 once stopped and reaped */
	int status;    /* wait status once reaped */
	char log[512]; /* file receiving its stdout and stderr */
};

/* Milliseconds on the monotonic clock. */
long long rpt_now_ms(void);

/*
 * Make a fresh temporary directory (mode 0700) into out (cap bytes); it and
 * everything in it is removed at exit. Aborts the test on failure.
 */
void rpt_tmpdir(char *out, size_t cap);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int rpt_free_port(void);

/* A port p on 127.0.0.1 such that p and p + 1 could both be bound a
 * moment ago (swtpm: server port and control port). */
int rpt_free_port_pair(void);

/* True if something accepts TCP connections on 127.0.0.1:port. */
bool rpt_port_open(int port);

/*
 * Start argv[0] (found on PATH, or a path) with stdout and stderr appended
 * to log_path; env_extra: NULL or a NULL-terminated list of "K=V" added to
 * the environment. Returns 0 and fills *p, or -1 with errno.
 */
int rpt_start(struct rpt_proc *p, char *const argv[], const char *log_path,
              char *const env_extra[]);

/* Wait until the port accepts connections; false on deadline or exit. */
bool rpt_wait_port(struct rpt_proc *p, int port, int deadline_ms);

/* Wait until path contains the string needle; false on deadline. */
bool rpt_wait_file_contains(const char *path, const char *needle,
                            int deadline_ms);

/* Wait for the process to exit on its own; false on deadline. */
bool rpt_wait_exit(struct rpt_proc *p, int deadline_ms);

/*
 * Stop the process: SIGTERM to its group, then SIGKILL after grace_ms.
 * Returns the wait status (also in p->status). Idempotent.
 */
int rpt_stop(struct rpt_proc *p, int grace_ms);

/*
 * Run argv to completion (deadline_ms), capturing stdout+stderr into a
 * malloc'd NUL-terminated string *out (caller frees; may be NULL). stdin
 * gets in[0..inlen) when in != NULL, else /dev/null. Returns the exit
 * code, 128+signal if killed, or -1 if it could not be started or timed
 * out.
 */
int rpt_run(char *const argv[], const char *in, size_t inlen, char **out,
            int deadline_ms);

/* A self-signed P-256 server certificate for 127.0.0.1, ::1 and
 * localhost (2 days) into cert and key (PEM), made by openssl req, for a
 * test's own TLS server. 0, or openssl's exit code with its output on
 * stderr. */
int rpt_server_cert(const char *cert, const char *key);

/* Read a whole (small) file into a malloc'd string; NULL on error. */
char *rpt_read_file(const char *path, size_t *len);

/* Write len bytes to path with the given mode; 0 or -1. */
int rpt_write_file(const char *path, const void *data, size_t len, int mode);

/* Debian's softhsm2 module (package softhsm2, installed by deps.sh). */
#define RPT_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

/*
 * A private softhsm2 for this process: DIR/softhsm2.conf naming the token
 * directory DIR/tokens (made 0700; DIR must exist), SOFTHSM2_CONF set to
 * it, and one token initialised with label, user PIN "1234" and SO PIN
 * "5678" (softhsm2-util). 0, or -1 having said why on stderr.
 */
int rpt_softhsm_init(const char *dir, const char *label);

/* Path of a built program or a source file, from the environment. */
const char *rpt_bin_dir(void); /* RP_BIN_DIR */
const char *rpt_src_dir(void); /* RP_SRC_DIR */

#endif
