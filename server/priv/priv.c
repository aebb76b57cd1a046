/* SPDX-License-Identifier: Apache-2.0 */
/*
 * priv.c - priv.h: the change of user with libcap-ng (capng_change_id
 * keeps the chosen capabilities across setresuid, sets the groups and
 * clears the bounding and ambient sets), then checks that it cannot be
 * undone, and the data directory's owner rule and that of the
 * directories above it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cap-ng.h>

#include "priv/priv.h"
#include "rampart/log.h"

#define PW_BUF 16384

/* The name of uid for a message (its number when it has none). */
static const char *user_name(uid_t uid, char *buf, size_t cap)
{
	struct passwd pw, *res = NULL;
	char tmp[PW_BUF];

	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res != NULL)
		snprintf(buf, cap, "%s", pw.pw_name);
	else
		snprintf(buf, cap, "uid %lu", (unsigned long)uid);
	return buf;
}

/* Root without --user: a data directory of another user is refused. */
static rp_err as_root(const char *dir)
{
	struct stat st;
	char who[256];

	if (stat(dir, &st) == 0 && st.st_uid != 0) {
		user_name(st.st_uid, who, sizeof who);
		rp_log_error("refusing to run as root: the data directory %s "
		             "belongs to %s, and files root makes there (the "
		             "store's journal, a renewed certificate, the "
		             "snapshot) would lock %s out of it; start "
		             "rampartd as that user: --user %s, or User= in "
		             "its systemd unit (docs/deploy.md)",
		             dir, who, who, who);
		return RP_E_PERM;
	}
	rp_log_warn("running as root, which rampartd does not need: give "
	            "--user NAME (it then runs as NAME, even on a port "
	            "below 1024) or start it as an unprivileged user "
	            "(docs/deploy.md)");
	return RP_OK;
}

/* As root, before the change: the data directory is the user's (made
 * for them, 0700, when missing). */
static rp_err own_dir(const char *dir, const struct passwd *pw)
{
	struct stat st;
	char who[256];
	int fd = -1;
	rp_err rc = RP_E_IO;

	if (mkdir(dir, 0700) == 0) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchown(fd, pw->pw_uid, pw->pw_gid) != 0) {
			rp_log_error("cannot give %s to %s: %s", dir,
			             pw->pw_name, strerror(errno));
			goto out;
		}
		rp_log_info("created the data directory %s for %s", dir,
		            pw->pw_name);
	} else if (errno != EEXIST) {
		rp_log_error("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (stat(dir, &st) != 0) {
		rp_log_error("cannot read %s: %s", dir, strerror(errno));
		goto out;
	}
	if (st.st_uid != pw->pw_uid) {
		user_name(st.st_uid, who, sizeof who);
		rp_log_error(
		    "--user %s: the data directory %s belongs to %s, "
		    "not to %s; rampartd runs as the owner of its data "
		    "(chown -R %s %s, if that is what you mean)",
		    pw->pw_name, dir, who, pw->pw_name, pw->pw_name, dir);
		rc = RP_E_PERM;
		goto out;
	}
	rc = RP_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The change of user, kept = CAP_NET_BIND_SERVICE or nothing. */
static rp_err change(const struct passwd *pw, int keep_bind)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	int n;

	capng_clear(CAPNG_SELECT_BOTH);
	if (keep_bind &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	                 CAP_NET_BIND_SERVICE) != 0)
		return RP_E_INTERNAL;
	n = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
	                    CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
	                        CAPNG_CLEAR_AMBIENT);
	if (n != 0) {
		rp_log_error("--user %s: cannot change to that user "
		             "(capng_change_id %d: %s)",
		             pw->pw_name, n, strerror(errno));
		return RP_E_IO;
	}
	/* it must be for good: all three ids, and no way back to root */
	if (getresuid(&r, &e, &s) != 0 || r != pw->pw_uid || e != pw->pw_uid ||
	    s != pw->pw_uid || getresgid(&rg, &eg, &sg) != 0 ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid ||
	    setuid(0) == 0 || setgid(0) == 0) {
		rp_log_error("--user %s: the change of user did not hold",
		             pw->pw_name);
		return RP_E_INTERNAL;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		rp_log_error("cannot set no_new_privs: %s", strerror(errno));
		return RP_E_IO;
	}
	return RP_OK;
}

/*
 * Any user: a data directory others may write is refused (OpenSSH's
 * StrictModes): they could replace its keys, snapshot or store. One that
 * does not exist yet is made 0700 later.
 */
static rp_err check_mode(const char *dir)
{
	struct stat st;
	const char *who;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return RP_OK;
		rp_log_error("cannot read %s: %s", dir, strerror(errno));
		return RP_E_IO;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return RP_OK;
	who = (st.st_mode & S_IWOTH) ? "every user" : "its group";
	rp_log_error("refusing the data directory %s: it is writable by %s "
	             "(mode %04o), who could replace its keys and store; "
	             "chmod go-w %s",
	             dir, who, (unsigned)(st.st_mode & 07777), dir);
	return RP_E_PERM;
}

/*
 * One ancestor of the data directory (OpenSSH's safe_path): it belongs to
 * root or to the user rampartd runs as, and neither its group nor others
 * may write it, unless it is sticky (like /tmp: there only an entry's
 * owner may rename or remove it). Else its owner, or whoever may write
 * it, could rename the data directory away and put another in its place.
 */
static rp_err check_parent(const char *dir, const char *parent)
{
	struct stat st;
	char who[256];
	rp_err rc = RP_E_PERM;

	if (stat(parent, &st) != 0) {
		rp_log_error("cannot read %s: %s", parent, strerror(errno));
		rc = RP_E_IO;
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		user_name(st.st_uid, who, sizeof who);
		rp_log_error("refusing the data directory %s: %s above it "
		             "belongs to %s, who could rename it away and put "
		             "another in its place; chown root %s",
		             dir, parent, who, parent);
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	           (st.st_mode & S_ISVTX) == 0) {
		rp_log_error("refusing the data directory %s: %s above it is "
		             "writable by %s (mode %04o, not sticky), who "
		             "could rename it away and put another in its "
		             "place; chmod go-w %s",
		             dir, parent,
		             (st.st_mode & S_IWOTH) ? "every user"
		                                    : "its group",
		             (unsigned)(st.st_mode & 07777), parent);
	} else {
		rc = RP_OK;
	}
	return rc;
}

/* path without its last component ("/a" gives "/"); 0 at "/" itself. */
static int up_one(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL || (slash == path && path[1] == '\0'))
		return 0;
	slash[slash == path ? 1 : 0] = '\0';
	return 1;
}

/* dir as an absolute path, as written (no link resolved), without
 * trailing slashes, into out; false when it does not fit. */
static bool literal_path(const char *dir, char *out, size_t cap)
{
	char cwd[PATH_MAX];
	size_t n;
	int w;

	if (dir[0] == '/')
		w = snprintf(out, cap, "%s", dir);
	else if (getcwd(cwd, sizeof cwd) != NULL)
		w = snprintf(out, cap, "%s/%s", cwd, dir);
	else
		return false;
	if (w < 0 || (size_t)w >= cap)
		return false;
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return true;
}

/*
 * Every directory above the data directory, up to /, on the path with its
 * symbolic links resolved (the directories the data directory really is
 * in). A data directory that does not exist yet (made later): from its
 * parent on; one whose parent is missing too fails later, when made.
 */
static rp_err check_parents(const char *dir)
{
	char path[PATH_MAX], up[PATH_MAX];
	rp_err rc = RP_OK;
	int more = 1;

	if (realpath(dir, path) == NULL) {
		if (errno != ENOENT ||
		    snprintf(up, sizeof up, "%s", dir) >= (int)sizeof up)
			goto out; /* check_mode or the mkdir says why */
		if (strchr(up, '/') == NULL)
			snprintf(up, sizeof up, ".");
		else
			(void)up_one(up);
		if (realpath(up, path) == NULL)
			goto out;
		rc = check_parent(dir, path);
	}
	while (rc == RP_OK && more) {
		more = up_one(path);
		if (more)
			rc = check_parent(dir, path);
	}
	/* and the directories of the path as written: a symbolic link in
	 * a directory others may write ("/srv/lnk" -> a safe place) can be
	 * pointed elsewhere by them, which the resolved path does not show */
	if (rc == RP_OK && literal_path(dir, path, sizeof path)) {
		more = 1;
		while (rc == RP_OK && more) {
			more = up_one(path);
			if (more)
				rc = check_parent(dir, path);
		}
	}
out:
	return rc;
}

static rp_err drop(const char *user, const char *data_dir, long long port);

rp_err priv_drop(const char *user, const char *data_dir, long long port)
{
	rp_err rc = drop(user, data_dir, port);

	if (rc == RP_OK)
		rc = check_mode(data_dir);
	if (rc == RP_OK)
		rc = check_parents(data_dir);
	return rc;
}

static rp_err drop(const char *user, const char *data_dir, long long port)
{
	struct passwd pw, *res = NULL;
	char buf[PW_BUF], me[256];
	int keep_bind = port > 0 && port < 1024, e;
	rp_err rc;

	if (user == NULL)
		return geteuid() == 0 ? as_root(data_dir) : RP_OK;
	e = getpwnam_r(user, &pw, buf, sizeof buf, &res);
	if (e != 0 || res == NULL) {
		rp_log_error("--user %s: %s", user,
		             e != 0 ? strerror(e) : "no such user");
		return RP_E_INVAL;
	}
	if (geteuid() != 0) {
		if (pw.pw_uid == geteuid() && pw.pw_uid == getuid())
			return RP_OK; /* already that user */
		rp_log_error("--user %s: only root can become another user "
		             "(rampartd runs as %s)",
		             user, user_name(geteuid(), me, sizeof me));
		return RP_E_INVAL;
	}
	if (pw.pw_uid == 0) {
		rp_log_warn("--user %s: running as root, as asked", user);
		return RP_OK;
	}
	rc = own_dir(data_dir, &pw);
	if (rc == RP_OK)
		rc = change(&pw, keep_bind);
	if (rc == RP_OK)
		rp_log_info("running as %s (uid %lu, gid %lu)%s", pw.pw_name,
		            (unsigned long)pw.pw_uid, (unsigned long)pw.pw_gid,
		            keep_bind ? "; CAP_NET_BIND_SERVICE kept until the "
		                        "port is bound"
		                      : "; no capabilities");
	return rc;
}

rp_err priv_bound(void)
{
	if (geteuid() == 0)
		return RP_OK;
	if (capng_get_caps_process() != 0) {
		rp_log_error("cannot read the process's capabilities");
		return RP_E_IO;
	}
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE &&
	    capng_have_capabilities(CAPNG_SELECT_AMBIENT) == CAPNG_NONE)
		return RP_OK;
	capng_clear(CAPNG_SELECT_CAPS);
	capng_clear(CAPNG_SELECT_AMBIENT);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0 ||
	    capng_apply(CAPNG_SELECT_AMBIENT) != 0) {
		rp_log_error("cannot drop the capabilities left after binding "
		             "the port");
		return RP_E_IO;
	}
	rp_log_info("port bound: no capabilities left");
	return RP_OK;
}
