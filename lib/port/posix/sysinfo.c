/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysinfo.c - the facts a Linux device reports in telemetry
 * (include/rampart/sysinfo.h, docs/telemetry.md "Where the facts come
 * from"): uptime from /proc/uptime, the CPU busy share between two
 * samples from the first line of /proc/stat, memory from /proc/meminfo,
 * listening ports from /proc/net/{tcp,tcp6,udp,udp6}, the firmware
 * version given and the SHA-256 of the running image (OpenSSL, hashed
 * once); and the auth-log watcher that follows a log file across
 * rotation and truncation and counts failed logins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/alloc.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/sysinfo.h"

#define PROC_FILE_MAX                                          \
	(16u << 20) /* a /proc table larger than this: refused \
	             */

struct rp_sysinfo {
	char *proc_root;
	char fw_version[RP_FW_VERSION_MAX + 1];
	char fw_sha256[65];
	uint64_t cpu_total, cpu_idle; /* the previous sample (0: boot) */
};

/* ---- /proc/net/{tcp,udp}[6] ------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* n hex digits at s into *v; false if any is not hex. */
static bool hexn(const char *s, size_t n, uint32_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return false;
		*v = (*v << 4) | (uint32_t)h;
	}
	return true;
}

/* Skip spaces; the next token's length. */
static size_t token(const char *s, size_t n, size_t *pos)
{
	size_t start;

	while (*pos < n && s[*pos] == ' ')
		(*pos)++;
	start = *pos;
	while (*pos < n && s[*pos] != ' ')
		(*pos)++;
	return *pos - start;
}

/* "ADDR:PORT" with ADDR of 8 (IPv4) or 32 (IPv6) hex digits. */
static bool addr_port(const char *s, size_t n, uint32_t *port)
{
	uint32_t dummy;
	size_t i;

	if (n != 8 + 1 + 4 && n != 32 + 1 + 4)
		return false;
	for (i = 0; i + 5 < n; i += 8) {
		if (!hexn(s + i, 8, &dummy))
			return false;
	}
	return s[n - 5] == ':' && hexn(s + n - 4, 4, port);
}

/* One table row: "N: LOCAL REMOTE ST ..."; the local port and state. */
static bool parse_row(const char *s, size_t n, uint32_t *port, uint32_t *st)
{
	size_t pos = 0, len, i;
	uint32_t rport;

	len = token(s, n, &pos);
	if (len < 2 || s[pos - 1] != ':')
		return false;
	for (i = pos - len; i < pos - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	len = token(s, n, &pos);
	if (!addr_port(s + pos - len, len, port))
		return false;
	len = token(s, n, &pos);
	if (!addr_port(s + pos - len, len, &rport))
		return false;
	len = token(s, n, &pos);
	return len == 2 && hexn(s + pos - 2, 2, st);
}

/* Insert p into the sorted unique ports[0..*n), cap at most, lowest
 * kept. */
static void insert_port(uint16_t *ports, uint16_t *n, uint16_t cap, uint16_t p)
{
	uint16_t i = 0, j;

	while (i < *n && ports[i] < p)
		i++;
	if ((i < *n && ports[i] == p) || i >= cap)
		return;
	j = *n < cap ? *n : (uint16_t)(cap - 1);
	for (; j > i; j--)
		ports[j] = ports[j - 1];
	ports[i] = p;
	if (*n < cap)
		(*n)++;
}

/* One pass over the table: checking only, or merging too. */
static rp_err walk_table(const char *text, size_t len, int tcp, uint16_t *ports,
                         uint16_t *n, uint16_t cap, bool merge)
{
	const char *p = text, *end = text + len, *lf;
	uint32_t port, st, want = tcp ? 0x0a : 0x07;
	bool header = true;

	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		if (lf == NULL)
			return RP_E_SYNTAX; /* the kernel ends every row */
		if (header) {
			/* "  sl  local_address rem_address   st ..." */
			if (memmem(p, (size_t)(lf - p), "local_address", 13) ==
			    NULL)
				return RP_E_SYNTAX;
			header = false;
		} else if (!parse_row(p, (size_t)(lf - p), &port, &st)) {
			return RP_E_SYNTAX;
		} else if (merge && st == want && port != 0) {
			insert_port(ports, n, cap, (uint16_t)port);
		}
		p = lf + 1;
	}
	return header ? RP_E_SYNTAX : RP_OK;
}

rp_err rp_sysinfo_parse_ports(const char *text, size_t len, int tcp,
                              uint16_t *ports, uint16_t *n, uint16_t cap)
{
	rp_err rc = RP_E_INVAL;

	if ((text == NULL && len > 0) || n == NULL || *n > cap ||
	    (ports == NULL && cap > 0))
		goto out;
	rc = walk_table(text, len, tcp, ports, n, cap, false);
	if (rc == RP_OK)
		rc = walk_table(text, len, tcp, ports, n, cap, true);
out:
	return rc;
}

/* ---- files ------------------------------------------------------------ */

/* The whole file (at most max bytes) into *out, NUL-terminated; the
 * caller frees it. RP_E_NOT_FOUND, RP_E_IO, RP_E_TOO_BIG. */
static rp_err slurp(const char *path, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL, *nb;
	ssize_t got;
	rp_err rc;
	int fd;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
	for (;;) {
		rc = RP_E_TOO_BIG;
		if (n == max)
			goto out;
		if (buf == NULL || n + 1 >= cap) {
			rc = RP_E_NOMEM;
			if (buf != NULL)
				cap *= 2;
			nb = rp_realloc(buf, cap + 1);
			if (nb == NULL)
				goto out;
			buf = nb;
		}
		/* /proc files are read in pieces until read says 0. */
		got = read(fd, buf + n, (cap < max ? cap : max) - n);
		if (got < 0 && errno == EINTR)
			continue;
		rc = RP_E_IO;
		if (got < 0)
			goto out;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = RP_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

static rp_err proc_read(const rp_sysinfo *s, const char *name, char **out,
                        size_t *len)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", s->proc_root, name);

	if (n < 0 || (size_t)n >= sizeof path)
		return RP_E_INVAL;
	return slurp(path, PROC_FILE_MAX, out, len);
}

/* A table into ports; a missing one (no IPv6) is an empty one. */
static rp_err ports_from(const rp_sysinfo *s, const char *name, int tcp,
                         uint16_t *ports, uint16_t *n)
{
	char *text;
	size_t len;
	rp_err rc;

	rc = proc_read(s, name, &text, &len);
	if (rc == RP_E_NOT_FOUND)
		return RP_OK;
	if (rc == RP_OK)
		rc = rp_sysinfo_parse_ports(text, len, tcp, ports, n,
		                            RP_PORTS_MAX);
	free(text);
	return rc;
}

/* A decimal unsigned integer at *p (advanced past it). */
static bool dec_u64(const char **p, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');

		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
		s++;
	}
	*p = s;
	return true;
}

/* "/proc/uptime": "12345.67 54321.00\n"; whole seconds. */
static rp_err read_uptime(const rp_sysinfo *s, uint64_t *up)
{
	const char *p;
	char *text;
	size_t len;
	rp_err rc;

	rc = proc_read(s, "uptime", &text, &len);
	if (rc != RP_OK)
		goto out;
	p = text;
	rc = RP_E_SYNTAX;
	if (!dec_u64(&p, up) || *up > INT64_MAX || (*p != '.' && *p != ' '))
		goto out;
	rc = RP_OK;
out:
	free(text);
	return rc;
}

/*
 * "/proc/stat" line 1: "cpu  user nice system idle iowait irq softirq
 * steal guest guest_nice" in ticks since boot (guest time is inside
 * user). Busy = everything but idle and iowait.
 */
static rp_err read_cpu(rp_sysinfo *s, uint32_t *permille)
{
	uint64_t v[8] = {0}, total = 0, idle, dt, di;
	const char *p;
	char *text;
	size_t len;
	rp_err rc;
	int i;

	rc = proc_read(s, "stat", &text, &len);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_SYNTAX;
	if (strncmp(text, "cpu ", 4) != 0)
		goto out;
	p = text + 4;
	for (i = 0; i < 8; i++) {
		while (*p == ' ')
			p++;
		/* Kernels before 2.6.11 lack steal: 7 fields are enough. */
		if (i == 7 && (*p == '\n' || *p == '\0'))
			break;
		if (!dec_u64(&p, &v[i]))
			goto out;
		if (total + v[i] < total)
			goto out;
		total += v[i];
	}
	idle = v[3] + v[4];
	if (idle > total)
		goto out;
	/* Counters that went back (CPU hot-unplug): since boot again. */
	if (total < s->cpu_total || idle < s->cpu_idle)
		s->cpu_total = s->cpu_idle = 0;
	dt = total - s->cpu_total;
	di = idle - s->cpu_idle;
	/* Busy ticks that went back (steal time on some hypervisors) while
	 * idle grew more: nothing busy, not a wrapped difference. */
	*permille = dt == 0 || di >= dt ? 0 : (uint32_t)((dt - di) * 1000 / dt);
	s->cpu_total = total;
	s->cpu_idle = idle;
	rc = RP_OK;
out:
	free(text);
	return rc;
}

/* "/proc/meminfo": "MemTotal:  24683652 kB" ... (MemAvailable: 3.14+,
 * MemFree before). */
static rp_err read_mem(const rp_sysinfo *s, uint64_t *total, uint64_t *avail)
{
	bool have_total = false, have_avail = false, have_free = false;
	uint64_t freekb = 0, v;
	const char *p, *line;
	char *text;
	size_t len;
	rp_err rc;

	rc = proc_read(s, "meminfo", &text, &len);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_SYNTAX;
	for (line = text; *line != '\0'; line = p) {
		const char *colon = strchr(line, ':');
		const char *lf = strchr(line, '\n');
		size_t klen;

		if (lf == NULL)
			lf = line + strlen(line);
		p = *lf == '\n' ? lf + 1 : lf;
		if (colon == NULL || colon > lf)
			continue;
		klen = (size_t)(colon - line);
		colon++;
		while (*colon == ' ')
			colon++;
		if (!dec_u64(&colon, &v))
			continue;
		if (klen == 8 && memcmp(line, "MemTotal", 8) == 0) {
			*total = v;
			have_total = true;
		} else if (klen == 12 &&
		           memcmp(line, "MemAvailable", 12) == 0) {
			*avail = v;
			have_avail = true;
		} else if (klen == 7 && memcmp(line, "MemFree", 7) == 0) {
			freekb = v;
			have_free = true;
		}
	}
	if (!have_total || (!have_avail && !have_free) || *total > INT64_MAX)
		goto out;
	if (!have_avail)
		*avail = freekb;
	if (*avail > *total)
		*avail = *total;
	rc = RP_OK;
out:
	free(text);
	return rc;
}

rp_err rp_sysinfo_new(const struct rp_sysinfo_conf *c, rp_sysinfo **out)
{
	rp_sysinfo *s = NULL;
	const char *root, *ver;
	size_t i, n;
	rp_err rc = RP_E_INVAL;

	if (out == NULL)
		goto out;
	*out = NULL;
	root = c != NULL && c->proc_root != NULL ? c->proc_root : "/proc";
	ver = c != NULL && c->fw_version != NULL ? c->fw_version : "";
	n = strlen(ver);
	if (n > RP_FW_VERSION_MAX)
		goto out;
	for (i = 0; i < n; i++) {
		if (ver[i] < 0x20 || ver[i] > 0x7e)
			goto out;
	}
	rc = RP_E_NOMEM;
	s = rp_calloc(1, sizeof *s);
	if (s == NULL)
		goto out;
	s->proc_root = rp_strdup(root);
	if (s->proc_root == NULL)
		goto out;
	memcpy(s->fw_version, ver, n + 1);
	if (c != NULL && c->fw_image != NULL) {
		rc = rp_sha256_file_hex(c->fw_image, s->fw_sha256);
		if (rc != RP_OK)
			goto out;
	}
	*out = s;
	s = NULL;
	rc = RP_OK;
out:
	rp_sysinfo_free(s);
	return rc;
}

void rp_sysinfo_free(rp_sysinfo *s)
{
	if (s == NULL)
		return;
	free(s->proc_root);
	free(s);
}

rp_err rp_sysinfo_collect(void *ctx, struct rp_telemetry *t)
{
	rp_sysinfo *s = ctx;
	uint64_t up = 0, total = 0, avail = 0;
	uint16_t tcp[RP_PORTS_MAX], udp[RP_PORTS_MAX], ntcp = 0, nudp = 0;
	uint32_t cpu = 0;
	rp_err rc = RP_E_INVAL;

	if (s == NULL || t == NULL)
		goto out;
	rc = read_uptime(s, &up);
	if (rc == RP_OK)
		rc = read_cpu(s, &cpu);
	if (rc == RP_OK)
		rc = read_mem(s, &total, &avail);
	if (rc == RP_OK)
		rc = ports_from(s, "net/tcp", 1, tcp, &ntcp);
	if (rc == RP_OK)
		rc = ports_from(s, "net/tcp6", 1, tcp, &ntcp);
	if (rc == RP_OK)
		rc = ports_from(s, "net/udp", 0, udp, &nudp);
	if (rc == RP_OK)
		rc = ports_from(s, "net/udp6", 0, udp, &nudp);
	if (rc != RP_OK)
		goto out;
	/* All read: only now is *t changed. */
	t->uptime_s = up;
	t->cpu_permille = cpu;
	t->mem_total_kb = total;
	t->mem_avail_kb = avail;
	t->n_tcp = ntcp;
	memcpy(t->tcp, tcp, ntcp * sizeof tcp[0]);
	memset(t->tcp + ntcp, 0, (RP_PORTS_MAX - ntcp) * sizeof tcp[0]);
	t->n_udp = nudp;
	memcpy(t->udp, udp, nudp * sizeof udp[0]);
	memset(t->udp + nudp, 0, (RP_PORTS_MAX - nudp) * sizeof udp[0]);
	memcpy(t->fw_version, s->fw_version, sizeof t->fw_version);
	memcpy(t->fw_sha256, s->fw_sha256, sizeof t->fw_sha256);
out:
	return rc;
}

/* ---- the auth-log watcher --------------------------------------------- */

#define POLL_BUDGET (1u << 20) /* bytes read per poll at most */
#define CHUNK       65536

struct rp_authwatch {
	char *path;
	int fd; /* the file being followed, -1 if none yet */
	dev_t dev;
	ino_t ino;
	off_t off; /* where the next unread line starts */
	bool skip; /* inside an over-long line: ignore up to its LF */
	char buf[CHUNK];
};

/*
 * Substrings that mark a failed login, from the programs that write
 * auth.log on Linux-class devices. PAM's line for sshd is left out:
 * sshd logs the same attempt itself ("Failed password").
 */
static const char *const failure_marks[] = {
    "Failed password",                          /* sshd */
    "Failed publickey",                         /* sshd */
    "Failed keyboard-interactive",              /* sshd */
    "Failed none for",                          /* sshd */
    "Invalid user",                             /* sshd: unknown account */
    "authentication failure",                   /* PAM: login, su, sudo, ... */
    "FAILED LOGIN",                             /* login(1) */
    "FAILED SU",                                /* su(1) */
    "FAILED su",                                /* util-linux su */
    "incorrect password attempt",               /* sudo */
    "Bad password attempt",                     /* dropbear */
    "Login attempt for nonexistent user",       /* dropbear */
    "maximum authentication attempts exceeded", /* sshd */
};

/*
 * PAM's own sshd line carries its tag "(sshd:auth)" before the marker
 * ("pam_unix(sshd:auth): authentication failure"). A user name is the
 * attacker's text and comes after the marker of the line it is in ("Invalid
 * user NAME", "Failed password for NAME"): so the tag counts only where it
 * comes first, or a name holding it would hide every attempt made with it.
 */
int rp_authwatch_line_is_failure(const char *line, size_t len)
{
	const char *first = NULL, *m, *tag;
	size_t i;

	if (line == NULL)
		return 0;
	for (i = 0; i < sizeof failure_marks / sizeof failure_marks[0]; i++) {
		m = memmem(line, len, failure_marks[i],
		           strlen(failure_marks[i]));
		if (m != NULL && (first == NULL || m < first))
			first = m;
	}
	if (first == NULL)
		return 0;
	tag = memmem(line, (size_t)(first - line), "(sshd:auth)", 11);
	return tag == NULL;
}

static void keep_last(char last[RP_DETAIL_MAX + 1], const char *line,
                      size_t len)
{
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > RP_DETAIL_MAX)
		len = RP_DETAIL_MAX;
	for (i = 0; i < len; i++) {
		char c = line[i];

		last[i] = c >= 0x20 && c <= 0x7e ? c : '?';
	}
	last[len] = '\0';
}

/* Read complete lines from w->fd at w->off, while *budget lasts. */
static rp_err drain(rp_authwatch *w, size_t *budget, uint64_t *failures,
                    char *last)
{
	ssize_t got;
	size_t want, used, n;
	const char *p, *lf;

	while (*budget > 0) {
		want = *budget < CHUNK ? *budget : CHUNK;
		got = pread(w->fd, w->buf, want, w->off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return RP_E_IO;
		if (got == 0)
			break;
		*budget -= (size_t)got;
		p = w->buf;
		n = (size_t)got;
		for (;;) {
			lf = memchr(p, '\n', n - (size_t)(p - w->buf));
			if (lf == NULL)
				break;
			if (!w->skip &&
			    rp_authwatch_line_is_failure(p, (size_t)(lf - p))) {
				(*failures)++;
				if (last != NULL)
					keep_last(last, p, (size_t)(lf - p));
			}
			w->skip = false;
			p = lf + 1;
		}
		used = (size_t)(p - w->buf);
		if (used == 0 && n == CHUNK) {
			/* A line longer than a chunk: judge its start, then
			 * skip the rest of it. */
			if (!w->skip && rp_authwatch_line_is_failure(p, n)) {
				(*failures)++;
				if (last != NULL)
					keep_last(last, p, n);
			}
			w->skip = true;
			used = n;
		}
		w->off += (off_t)used;
		if (used < n && (size_t)got < want)
			break; /* a partial line at the end: wait for it */
		if (used == 0)
			break;
	}
	return RP_OK;
}

/* Whether the byte before w->off (where a line starts) is still an LF. */
static bool lf_before(rp_authwatch *w)
{
	char c = 0;
	ssize_t got;

	do
		got = pread(w->fd, &c, 1, w->off - 1);
	while (got < 0 && errno == EINTR);
	return got == 1 && c == '\n';
}

/*
 * Open path for reading without blocking: a FIFO (or a device) at a log's
 * path would hold open(2), and the caller's loop with it, until a writer
 * came. Anything but a regular file is refused: fd -1, *err RP_E_INVAL
 * (RP_E_NOT_FOUND, RP_E_PERM, RP_E_IO for open and fstat errors).
 */
static int open_log(const char *path, struct stat *st, rp_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*err = errno == ENOENT   ? RP_E_NOT_FOUND
		       : errno == EACCES ? RP_E_PERM
		                         : RP_E_IO;
		return -1;
	}
	*err = RP_E_IO;
	if (fstat(fd, st) == 0) {
		*err = RP_E_INVAL;
		if (S_ISREG(st->st_mode))
			return fd;
	}
	close(fd);
	return -1;
}

static void follow(rp_authwatch *w, int fd, const struct stat *st, off_t off)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->dev = st->st_dev;
	w->ino = st->st_ino;
	w->off = off;
	w->skip = false;
}

rp_err rp_authwatch_open(const char *path, rp_authwatch **out)
{
	rp_authwatch *w = NULL;
	struct stat st;
	rp_err rc = RP_E_INVAL;
	int fd;

	if (out == NULL)
		goto out;
	*out = NULL;
	if (path == NULL)
		goto out;
	rc = RP_E_NOMEM;
	w = rp_calloc(1, sizeof *w);
	if (w == NULL)
		goto out;
	w->fd = -1;
	w->path = rp_strdup(path);
	if (w->path == NULL)
		goto out;
	fd = open_log(path, &st, &rc);
	if (fd >= 0) {
		/* What is there already is history, including the rest of
		 * a line being written now. */
		follow(w, fd, &st, st.st_size);
		w->skip = st.st_size > 0 && !lf_before(w);
	} else if (rc != RP_E_NOT_FOUND) {
		goto out;
	}
	*out = w;
	w = NULL;
	rc = RP_OK;
out:
	rp_authwatch_free(w);
	return rc;
}

rp_err rp_authwatch_poll(rp_authwatch *w, uint64_t *failures,
                         char last[RP_DETAIL_MAX + 1])
{
	size_t budget = POLL_BUDGET;
	struct stat st, cur;
	rp_err rc = RP_E_INVAL;
	int fd;

	if (failures != NULL)
		*failures = 0;
	if (last != NULL)
		last[0] = '\0';
	if (w == NULL || failures == NULL)
		goto out;
	rc = RP_OK;
	if (w->fd >= 0) {
		rc = RP_E_IO;
		if (fstat(w->fd, &cur) != 0)
			goto out;
		/* Truncated (copytruncate): smaller than where we are, or,
		 * if it grew past that again, no LF just before it. */
		if (cur.st_size < w->off ||
		    (w->off > 0 && !w->skip && !lf_before(w))) {
			w->off = 0;
			w->skip = false;
		}
		rc = drain(w, &budget, failures, last);
		if (rc != RP_OK || budget == 0)
			goto out;
	}
	/* Rotated (a new file at the path) or created since: follow it
	 * from its start, once the old one is read to its end. */
	if (stat(w->path, &st) != 0 ||
	    (w->fd >= 0 && st.st_dev == w->dev && st.st_ino == w->ino))
		goto out;
	fd = open_log(w->path, &st, &rc);
	if (fd < 0) {
		if (rc == RP_E_NOT_FOUND)
			rc = RP_OK; /* gone again: next time */
		goto out;
	}
	follow(w, fd, &st, 0);
	rc = drain(w, &budget, failures, last);
out:
	return rc;
}

void rp_authwatch_free(rp_authwatch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w);
}
