/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chainlog.c - the hash-chained local event log of
 * include/rampart/chainlog.h (format in docs/chainlog.md). One record per
 * line, "<seq> <ts> <prev> <payload>\n", where prev is the hex SHA-256 of
 * the record before (its line without the LF; 64 zeros for the first).
 * Opening reads only the tail of the file (the last two record lengths)
 * to recover the head and to cut a torn last record; verification walks
 * the whole file as a stream, so neither needs memory in proportion to
 * the log. Hashing is the host port's SHA-256 (OpenSSL, rp_sha256).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/alloc.h"
#include "rampart/chainlog.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"

#define HASH_HEX 64
/* The longest record line without its LF: seq, ts, prev, payload. */
#define LINE_MAX_ (20 + 1 + 19 + 1 + HASH_HEX + 1 + RP_CHAINLOG_PAYLOAD_MAX)
#define ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

struct rp_chainlog {
	int fd;
	uint64_t seq;            /* records in the file */
	char head[HASH_HEX + 1]; /* hex hash of the last one, "" if none */
	off_t size;              /* bytes of complete records */
};

struct rec {
	uint64_t seq;
	int64_t ts;
	const char *prev; /* HASH_HEX characters inside the line */
};

/* A canonical decimal (no sign, no leading zero) ending at a space. */
static bool parse_dec(const char *s, size_t n, size_t *pos, uint64_t max,
                      uint64_t *out)
{
	size_t i = *pos, start = *pos;
	uint64_t v = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9') {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
		i++;
	}
	if (i == start || i - start > 20 || (s[start] == '0' && i - start > 1))
		return false;
	if (i >= n || s[i] != ' ')
		return false;
	*pos = i + 1;
	*out = v;
	return true;
}

static bool printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

/* The fields of one line s[0..n) (without LF): NULL, or why not. */
static const char *parse_line(const char *s, size_t n, struct rec *r)
{
	size_t pos = 0, i;
	uint64_t v;

	if (n > LINE_MAX_)
		return "record too long";
	if (!parse_dec(s, n, &pos, UINT64_MAX, &r->seq) || r->seq == 0)
		return "bad sequence number field";
	if (!parse_dec(s, n, &pos, INT64_MAX, &v))
		return "bad timestamp field";
	r->ts = (int64_t)v;
	if (n - pos < HASH_HEX + 1 || s[pos + HASH_HEX] != ' ')
		return "bad previous-hash field";
	for (i = 0; i < HASH_HEX; i++) {
		char c = s[pos + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return "bad previous-hash field";
	}
	r->prev = s + pos;
	pos += HASH_HEX + 1;
	if (n - pos > RP_CHAINLOG_PAYLOAD_MAX)
		return "payload too long";
	if (!printable(s + pos, n - pos))
		return "payload not printable ASCII";
	return NULL;
}

static rp_err hash_line(const char *s, size_t n, char hex[HASH_HEX + 1])
{
	uint8_t h[RP_SHA256_LEN];
	rp_err rc;

	rc = rp_sha256(s, n, h);
	if (rc == RP_OK)
		rc = rp_hex_encode(h, sizeof h, hex, HASH_HEX + 1);
	return rc;
}

/* ---- verification: a stream of bytes, line by line ------------------- */

struct walk {
	uint64_t records, line;
	char prev[HASH_HEX + 1]; /* hash of the last good record */
	char buf[LINE_MAX_ + 1]; /* the line being collected */
	size_t n;
	rp_err rc;
	const char *reason;
};

static void walk_init(struct walk *w)
{
	memset(w, 0, sizeof *w);
	memcpy(w->prev, ZERO_HASH, sizeof w->prev);
}

static void walk_fail(struct walk *w, rp_err rc, const char *reason)
{
	w->rc = rc;
	w->reason = reason;
}

static void walk_line(struct walk *w, const char *s, size_t n)
{
	struct rec r;
	const char *why;

	w->line++;
	why = parse_line(s, n, &r);
	if (why != NULL) {
		walk_fail(w, RP_E_CHAINLOG, why);
		return;
	}
	if (r.seq != w->records + 1) {
		walk_fail(w, RP_E_CHAINLOG, "sequence number out of order");
		return;
	}
	if (memcmp(r.prev, w->prev, HASH_HEX) != 0) {
		walk_fail(w, RP_E_CHAINLOG,
		          "previous hash does not match the record before");
		return;
	}
	if (hash_line(s, n, w->prev) != RP_OK) {
		walk_fail(w, RP_E_CRYPTO, "hash failed");
		return;
	}
	w->records++;
}

static void walk_feed(struct walk *w, const char *p, size_t len)
{
	while (len > 0 && w->rc == RP_OK) {
		const char *lf = memchr(p, '\n', len);
		size_t take = lf != NULL ? (size_t)(lf - p) : len;

		if (w->n + take > LINE_MAX_) {
			w->line++;
			walk_fail(w, RP_E_CHAINLOG, "record too long");
			return;
		}
		memcpy(w->buf + w->n, p, take);
		w->n += take;
		if (lf == NULL)
			return;
		walk_line(w, w->buf, w->n);
		w->n = 0;
		p += take + 1;
		len -= take + 1;
	}
}

static rp_err walk_end(struct walk *w, struct rp_chainlog_report *rep)
{
	if (w->rc == RP_OK && w->n > 0) {
		w->line++;
		walk_fail(w, RP_E_CHAINLOG_TORN, "torn record (no final LF)");
	}
	if (rep != NULL) {
		memset(rep, 0, sizeof *rep);
		rep->records = w->records;
		rep->bad_line = w->rc != RP_OK ? w->line : 0;
		if (w->records > 0)
			memcpy(rep->head, w->prev, sizeof rep->head);
		rep->reason = w->reason;
	}
	return w->rc;
}

rp_err rp_chainlog_verify_buf(const char *buf, size_t len,
                              struct rp_chainlog_report *report)
{
	struct walk *w;
	rp_err rc = RP_E_INVAL;

	if (report != NULL)
		memset(report, 0, sizeof *report);
	if (buf == NULL && len > 0)
		goto out;
	rc = RP_E_NOMEM;
	w = rp_malloc(sizeof *w);
	if (w == NULL)
		goto out;
	walk_init(w);
	walk_feed(w, buf, len);
	rc = walk_end(w, report);
	free(w);
out:
	return rc;
}

rp_err rp_chainlog_verify(const char *path, struct rp_chainlog_report *report)
{
	char chunk[16384];
	struct walk *w = NULL;
	struct stat st;
	rp_err rc = RP_E_INVAL;
	ssize_t got;
	int fd = -1;

	if (report != NULL)
		memset(report, 0, sizeof *report);
	if (path == NULL)
		goto out;
	/* O_NONBLOCK: a FIFO would hold open(2) until a writer came; only
	 * a regular file is a log (a directory, a FIFO: RP_E_IO). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = rp_err_errno(errno);
		goto out;
	}
	rc = RP_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	rc = RP_E_NOMEM;
	w = rp_malloc(sizeof *w);
	if (w == NULL)
		goto out;
	walk_init(w);
	for (;;) {
		got = read(fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = RP_E_IO;
			goto out;
		}
		if (got == 0 || w->rc != RP_OK)
			break;
		walk_feed(w, chunk, (size_t)got);
	}
	rc = walk_end(w, report);
out:
	free(w);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- the writer ------------------------------------------------------- */

static rp_err pread_all(int fd, char *buf, size_t n, off_t off)
{
	size_t done = 0;
	ssize_t got;

	while (done < n) {
		got = pread(fd, buf + done, n - done, off + (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return RP_E_IO;
		done += (size_t)got;
	}
	return RP_OK;
}

static const char *last_lf(const char *buf, size_t n)
{
	while (n > 0) {
		if (buf[n - 1] == '\n')
			return buf + n - 1;
		n--;
	}
	return NULL;
}

/*
 * Find the head from the tail of the file: the window holds the last two
 * record lengths, enough for a torn record and the whole complete record
 * before it. A torn record (no LF at the end) is cut with ftruncate.
 */
static rp_err recover(rp_chainlog *l, off_t size, int *torn)
{
	enum { WIN = 2 * (LINE_MAX_ + 1) };
	char *buf = NULL;
	const char *lf, *start;
	size_t win, end;
	off_t base;
	struct rec r;
	rp_err rc = RP_OK;

	l->size = size;
	if (size == 0)
		goto out;
	win = size < WIN ? (size_t)size : WIN;
	base = size - (off_t)win;
	rc = RP_E_NOMEM;
	buf = rp_malloc(win);
	if (buf == NULL)
		goto out;
	rc = pread_all(l->fd, buf, win, base);
	if (rc != RP_OK)
		goto out;
	end = win;
	if (buf[end - 1] != '\n') {
		lf = last_lf(buf, end);
		rc = RP_E_CHAINLOG; /* longer than any record: not torn */
		if (lf == NULL && base > 0)
			goto out;
		end = lf != NULL ? (size_t)(lf - buf) + 1 : 0;
		/* A torn append is a record without its LF: a longer tail
		 * (even one inside the window) is not one, and is kept. */
		if (win - end > LINE_MAX_)
			goto out;
		rc = RP_E_IO;
		if (ftruncate(l->fd, base + (off_t)end) != 0 ||
		    fdatasync(l->fd) != 0)
			goto out;
		l->size = base + (off_t)end;
		if (torn != NULL)
			*torn = 1;
	}
	rc = RP_OK;
	if (end == 0)
		goto out;
	/* The last complete line is buf[start .. end-1). */
	lf = last_lf(buf, end - 1);
	start = lf != NULL ? lf + 1 : buf;
	rc = RP_E_CHAINLOG;
	if (lf == NULL && base > 0)
		goto out;
	if (parse_line(start, (size_t)(buf + end - 1 - start), &r) != NULL)
		goto out;
	rc = hash_line(start, (size_t)(buf + end - 1 - start), l->head);
	if (rc != RP_OK)
		goto out;
	l->seq = r.seq;
out:
	free(buf);
	return rc;
}

rp_err rp_chainlog_open(const char *path, rp_chainlog **out, int *torn)
{
	rp_chainlog *l = NULL;
	struct stat st;
	rp_err rc = RP_E_INVAL;

	if (torn != NULL)
		*torn = 0;
	if (out == NULL)
		goto out;
	*out = NULL;
	if (path == NULL)
		goto out;
	rc = RP_E_NOMEM;
	l = rp_calloc(1, sizeof *l);
	if (l == NULL)
		goto out;
	l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
	             0600);
	if (l->fd < 0) {
		rc = errno == ELOOP    ? RP_E_PERM
		     : errno == EISDIR ? RP_E_INVAL
		                       : rp_err_errno(errno);
		goto out;
	}
	rc = RP_E_IO;
	if (fstat(l->fd, &st) != 0)
		goto out;
	rc = RP_E_INVAL;
	if (!S_ISREG(st.st_mode))
		goto out;
	/* Others who may write the log may rewrite its history. */
	rc = RP_E_PERM;
	if ((st.st_mode & 022) != 0)
		goto out;
	/* One writer: a second appender would fork the chain. */
	rc = RP_E_STATE;
	if (flock(l->fd, LOCK_EX | LOCK_NB) != 0)
		goto out;
	rc = recover(l, st.st_size, torn);
	if (rc != RP_OK)
		goto out;
	*out = l;
	l = NULL;
out:
	rp_chainlog_close(l);
	return rc;
}

rp_err rp_chainlog_append(rp_chainlog *l, int64_t ts, const char *payload,
                          size_t len)
{
	char line[LINE_MAX_ + 1];
	size_t n, done = 0;
	ssize_t put;
	int wn;
	rp_err rc = RP_E_INVAL;

	if (l == NULL || (payload == NULL && len > 0) || ts < 0 ||
	    len > RP_CHAINLOG_PAYLOAD_MAX || !printable(payload, len))
		goto out;
	rc = RP_E_STATE; /* an undone short write could not be undone */
	if (l->size < 0)
		goto out;
	rc = RP_E_RANGE;
	if (l->seq == UINT64_MAX)
		goto out;
	wn = snprintf(line, sizeof line, "%" PRIu64 " %" PRId64 " %s ",
	              l->seq + 1, ts, l->seq == 0 ? ZERO_HASH : l->head);
	rc = RP_E_INTERNAL;
	if (wn < 0 || (size_t)wn + len + 1 > sizeof line)
		goto out;
	n = (size_t)wn;
	if (len > 0)
		memcpy(line + n, payload, len);
	n += len;
	line[n] = '\n';
	/* One write(2) (O_APPEND); a short one is undone. */
	rc = RP_E_IO;
	while (done < n + 1) {
		put = write(l->fd, line + done, n + 1 - done);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0) {
			if (ftruncate(l->fd, l->size) != 0)
				l->size = -1; /* a torn record stays */
			goto out;
		}
		done += (size_t)put;
	}
	l->size += (off_t)(n + 1);
	l->seq++;
	/* The record is in the file: the head moves even if the sync
	 * fails, or the next record would not link. */
	rc = hash_line(line, n, l->head);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_IO;
	if (fdatasync(l->fd) != 0)
		goto out;
	rc = RP_OK;
out:
	return rc;
}

void rp_chainlog_head(const rp_chainlog *l, uint64_t *seq, char head[65])
{
	if (seq != NULL)
		*seq = l != NULL ? l->seq : 0;
	if (head != NULL) {
		head[0] = '\0';
		if (l != NULL && l->seq > 0)
			memcpy(head, l->head, HASH_HEX + 1);
	}
}

void rp_chainlog_close(rp_chainlog *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
