/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault_commit.c - a test-only fault point for test_rampartd_crash.sh:
 * LD_PRELOADed into rampartd, it interposes SQLite's sqlite3_exec and
 * sqlite3_step and kills the process with SIGKILL at one chosen COMMIT,
 * either just before it (nothing of the transaction reaches the store) or
 * just after it succeeded (all of it is in the store, durable, and
 * rampartd has not answered yet). The product carries no fault code: this
 * library is built in the test tree only and never installed, so the
 * binary under test is the one that ships.
 *
 * Environment (nothing happens unless RP_FAULT_AT is set):
 *   RP_FAULT_AT   "before-commit" or "after-commit"
 *   RP_FAULT_SQL  an fnmatch(3) pattern; a transaction is armed once a
 *                 statement whose expanded SQL (bound values filled in,
 *                 sqlite3_expanded_sql) matches it has run in it
 *   RP_FAULT_NTH  the armed COMMIT to kill at: 1 (default) is the first
 * A ROLLBACK disarms the transaction. A matching statement outside a
 * transaction is its own commit point. Before dying it writes one line to
 * stderr: "rp_fault_commit: SIGKILL before|after COMMIT N of: " and the
 * first 200 bytes of the statement that armed it (for an enrollment: the
 * certificate's serial and subject), newlines as spaces.
 *
 * rampartd runs its store on one thread (the event loop); the state here
 * is not locked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

typedef int (*exec_fn)(sqlite3 *, const char *,
                       int (*)(void *, int, char **, char **), void *, char **);
typedef int (*step_fn)(sqlite3_stmt *);

enum when { OFF, BEFORE, AFTER };

static struct {
	int ready;
	enum when at;
	const char *pattern;
	long nth;
	long seen;      /* armed COMMITs so far */
	int armed;      /* the open transaction ran a matching statement */
	int inside;     /* in our sqlite3_exec: its own steps are not ours */
	char what[201]; /* the start of the statement that armed it */
	exec_fn exec;
	step_fn step;
} f;

static void setup(void)
{
	const char *at = getenv("RP_FAULT_AT"), *nth = getenv("RP_FAULT_NTH");
	char *end;

	if (f.ready)
		return;
	f.ready = 1;
	f.exec = (exec_fn)dlsym(RTLD_NEXT, "sqlite3_exec");
	f.step = (step_fn)dlsym(RTLD_NEXT, "sqlite3_step");
	if (f.exec == NULL || f.step == NULL)
		abort(); /* not preloaded into a program that links SQLite */
	f.pattern = getenv("RP_FAULT_SQL");
	f.nth = 1;
	if (nth != NULL) {
		f.nth = strtol(nth, &end, 10);
		if (end == nth || *end != '\0' || f.nth < 1)
			abort(); /* a test that set a bad value */
	}
	if (at != NULL && strcmp(at, "before-commit") == 0)
		f.at = BEFORE;
	else if (at != NULL && strcmp(at, "after-commit") == 0)
		f.at = AFTER;
	else if (at != NULL)
		abort();
	if (f.at != OFF && f.pattern == NULL)
		abort();
}

static void die(const char *when)
{
	char line[320];
	int n = snprintf(line, sizeof line,
	                 "rp_fault_commit: SIGKILL %s COMMIT %ld of: %s\n",
	                 when, f.seen, f.what);

	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
		n = 0; /* dying anyway */
	kill(getpid(), SIGKILL);
	_exit(137); /* not reached */
}

/* The first word of sql, case-insensitively. */
static int starts(const char *sql, const char *word)
{
	size_t n = strlen(word);

	if (sql == NULL)
		return 0;
	sql += strspn(sql, " \t\r\n");
	return strncasecmp(sql, word, n) == 0 &&
	       (sql[n] == '\0' || strchr(" \t\r\n;", sql[n]) != NULL);
}

static int is_commit(const char *sql)
{
	return starts(sql, "COMMIT") || starts(sql, "END");
}

/* Is this the commit to kill at? Counts armed commits, disarms. */
static int chosen(void)
{
	if (f.at == OFF || !f.armed)
		return 0;
	f.armed = 0;
	f.seen++;
	return f.seen == f.nth;
}

static int matches(sqlite3_stmt *st)
{
	char *x;
	int m;

	if (f.at == OFF || f.seen >= f.nth)
		return 0;
	x = sqlite3_expanded_sql(st);
	m = x != NULL && fnmatch(f.pattern, x, 0) == 0;
	if (m) {
		snprintf(f.what, sizeof f.what, "%s", x);
		for (char *p = f.what; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	sqlite3_free(x);
	return m;
}

/* A commit point about to run: dies now if it is the chosen one and the
 * kill comes before it; 1 if the kill comes after it. */
static int at_commit(void)
{
	if (!chosen())
		return 0;
	if (f.at == BEFORE)
		die("before");
	return 1;
}

/* the two interposed functions (the build hides symbols by default) */
#define INTERPOSE __attribute__((visibility("default")))

INTERPOSE int sqlite3_exec(sqlite3 *db, const char *sql,
                           int (*cb)(void *, int, char **, char **), void *arg,
                           char **err)
{
	int kill_after = 0, r;

	setup();
	if (is_commit(sql))
		kill_after = at_commit();
	else if (starts(sql, "ROLLBACK"))
		f.armed = 0;
	f.inside++;
	r = f.exec(db, sql, cb, arg, err);
	f.inside--;
	if (kill_after && r == SQLITE_OK)
		die("after");
	return r;
}

INTERPOSE int sqlite3_step(sqlite3_stmt *st)
{
	const char *sql;
	int kill_after = 0, r;

	setup();
	if (f.inside)
		return f.step(st);
	sql = sqlite3_sql(st);
	if (is_commit(sql)) {
		kill_after = at_commit();
	} else if (starts(sql, "ROLLBACK")) {
		f.armed = 0;
	} else if (matches(st)) {
		f.armed = 1;
		/* outside a transaction the statement commits itself */
		if (sqlite3_get_autocommit(sqlite3_db_handle(st)))
			kill_after = at_commit();
	}
	r = f.step(st);
	if (kill_after && (r == SQLITE_DONE || r == SQLITE_ROW))
		die("after");
	return r;
}
