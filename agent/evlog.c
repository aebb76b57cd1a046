/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evlog.c - opening rampart-agent's event log so that damage never stops
 * the agent (evlog.h): verify under a flock, keep a broken log as
 * evidence under a name that replaces nothing (renameat2 NOREPLACE, or
 * link + unlink where the file system lacks it), start a fresh log, and
 * word the tamper event. Relies on librampart's chainlog (chainlog.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evlog.h"
#include "rampart/file.h"

#define SUFFIX_MAX 99

/* Move path to a free path.tampered-STAMP[.N]; OUT: rep->saved. */
static rp_err save_as(const char *path, time_t now,
                      struct agent_evlog_report *rep)
{
	char stamp[32];
	struct tm tm;
	int i, n, r;
	rp_err rc = RP_E_IO;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
		goto out;
	for (i = 0; i <= SUFFIX_MAX; i++) {
		rc = RP_E_TOO_BIG;
		n = i == 0 ? snprintf(rep->saved, sizeof rep->saved,
		                      "%s.tampered-%s", path, stamp)
		           : snprintf(rep->saved, sizeof rep->saved,
		                      "%s.tampered-%s.%d", path, stamp, i);
		if (n < 0 || (size_t)n >= sizeof rep->saved)
			goto out;
		r = renameat2(AT_FDCWD, path, AT_FDCWD, rep->saved,
		              RENAME_NOREPLACE);
		if (r != 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* No NOREPLACE here: link refuses an existing name. */
			r = link(path, rep->saved);
			if (r == 0 && unlink(path) != 0) {
				rc = rp_err_errno(errno);
				(void)unlink(rep->saved);
				goto out;
			}
		}
		if (r == 0) {
			/* best effort: the rename on disk before a new log */
			(void)rp_file_sync_dir(path);
			rc = RP_OK;
			goto out;
		}
		rc = errno == EEXIST ? RP_E_EXISTS : rp_err_errno(errno);
		if (errno != EEXIST)
			goto out;
	}
out:
	if (rc != RP_OK)
		rep->saved[0] = '\0';
	return rc;
}

/*
 * Under an exclusive flock of the existing log: verify it (unless force:
 * rp_chainlog_open has refused it already) and save it when broken.
 * RP_OK also when there is no log yet.
 */
static rp_err check(const char *path, time_t now, int force,
                    struct agent_evlog_report *rep)
{
	struct rp_chainlog_report vr;
	struct stat st;
	int fd;
	rp_err rc;

	/* O_NONBLOCK: a FIFO there must not hold the start (refused below). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ENOENT ? RP_OK : rp_err_errno(errno);
		goto out;
	}
	rc = RP_E_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	rc = RP_E_INVAL;
	if (!S_ISREG(st.st_mode))
		goto out;
	rc = RP_E_STATE; /* another agent appends to it */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		goto out;
	if (force) {
		rc = RP_E_CHAINLOG;
		memset(&vr, 0, sizeof vr);
		vr.reason = "last record refused when opening";
	} else {
		rc = rp_chainlog_verify(path, &vr);
	}
	if (rc == RP_E_CHAINLOG_TORN) {
		rep->found = AGENT_EVLOG_TORN;
		rep->bad_line = vr.bad_line;
		rep->reason = vr.reason;
		rc = RP_OK;
	} else if (rc == RP_E_CHAINLOG) {
		rc = save_as(path, now, rep);
		if (rc != RP_OK)
			goto out;
		rep->found = AGENT_EVLOG_SAVED;
		rep->bad_line = vr.bad_line;
		rep->reason = vr.reason;
		/* The same inode, now under its new name. */
		rc = fchmod(fd, 0600) == 0 ? RP_OK : RP_E_IO;
	}
out:
	if (fd >= 0)
		close(fd); /* releases the lock */
	return rc;
}

rp_err agent_evlog_open(const char *path, time_t now, rp_chainlog **out,
                        struct agent_evlog_report *rep)
{
	int torn = 0;
	rp_err rc;

	memset(rep, 0, sizeof *rep);
	*out = NULL;
	rc = check(path, now, 0, rep);
	if (rc == RP_OK)
		rc = rp_chainlog_open(path, out, &torn);
	/* Verified, yet the tail is refused (changed since, or a tail
	 * without LF longer than any record): keep it too. */
	if (rc == RP_E_CHAINLOG && rep->found != AGENT_EVLOG_SAVED) {
		rc = check(path, now, 1, rep);
		if (rc == RP_OK)
			rc = rp_chainlog_open(path, out, &torn);
	}
	if (rc == RP_OK && torn && rep->found == AGENT_EVLOG_OK)
		rep->found = AGENT_EVLOG_TORN; /* appeared after the walk */
	return rc;
}

int agent_evlog_event(const struct agent_evlog_report *rep,
                      enum rp_severity *sev, char out[RP_DETAIL_MAX + 1])
{
	const char *name, *why = rep->reason != NULL ? rep->reason : "?";

	out[0] = '\0';
	if (rep->found == AGENT_EVLOG_TORN) {
		*sev = RP_SEV_WARNING;
		if (rep->bad_line > 0)
			snprintf(out, RP_DETAIL_MAX + 1,
			         "event log: torn record cut at line %" PRIu64
			         " (power cut during an append)",
			         rep->bad_line);
		else
			snprintf(out, RP_DETAIL_MAX + 1,
			         "event log: torn record cut at the end (power "
			         "cut during an append)");
		return 1;
	}
	if (rep->found != AGENT_EVLOG_SAVED)
		return 0;
	name = strrchr(rep->saved, '/');
	name = name != NULL ? name + 1 : rep->saved;
	*sev = RP_SEV_CRITICAL;
	snprintf(out, RP_DETAIL_MAX + 1,
	         "event log broken at line %" PRIu64
	         ": %.80s; saved as %.100s; new log started",
	         rep->bad_line, why, name);
	return 1;
}
