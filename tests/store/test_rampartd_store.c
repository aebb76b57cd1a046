/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rampartd_store.c - the SQLite engine of rampartd's store, where the
 * conformance suite (tests/store/, which runs every store.h contract on
 * it) cannot look: its migrations (every .sql file of
 * server/store/sqlite/migrations/ embedded and applied once, each in its
 * own transaction, a store newer than the binary refused and left
 * untouched), the stores written by the code of before the engine split
 * (tests/store/fixtures/, made by make-fixtures.sh) opening, migrating and
 * keeping every row, the schema they end with equal to a new store's,
 * and the spec forms that name a SQLite file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cmocka_all.h"
#include "rpt.h"
#include "store/store.h"

static char path[600];

static void new_path(void)
{
	char dir[512];

	rpt_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/rampart.db", dir);
}

/* Run sql on path with SQLite itself (not through the store). */
static void sql(const char *p, const char *text)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
	sqlite3_close(db);
}

static long long one(const char *p, const char *text)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL),
	                 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The schema as SQLite describes it, not as its CREATE text reads: each
 * table's columns (name, type, not null, default, key) and its indexes
 * with their columns, in name order, one line each. */
static void schema_of(const char *p, char *out, size_t cap)
{
	static const char q[] =
	    "SELECT m.name || '(' || group_concat(c.name || ' ' || c.type "
	    "|| ' ' || c.\"notnull\" || ' ' || ifnull(c.dflt_value, '-') "
	    "|| ' ' || c.pk, ', ') || ')' FROM sqlite_schema m, "
	    "pragma_table_info(m.name) c WHERE m.type = 'table' GROUP BY "
	    "m.name UNION ALL SELECT 'index ' || m.name || ' ON ' || "
	    "m.tbl_name || '(' || group_concat(i.name, ', ') || ')' FROM "
	    "sqlite_schema m, pragma_index_info(m.name) i WHERE m.type = "
	    "'index' GROUP BY m.name ORDER BY 1";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t o = 0;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && o < cap)
		o += (size_t)snprintf(out + o, cap - o, "%s\n",
		                      (const char *)sqlite3_column_text(st, 0));
	assert_true(o < cap);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The number of NNNN_*.sql files in the source tree's migrations/. */
static int sql_files(void)
{
	char dir[600];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof dir, "%s/server/store/sqlite/migrations",
	         rpt_src_dir());
	d = opendir(dir);
	assert_non_null(d);
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		size_t l = strlen(e->d_name);

		if (l > 9 && strcmp(e->d_name + l - 4, ".sql") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* A fixture (tests/store/fixtures/vN.sql) loaded into path. */
static void load_fixture(int v)
{
	char f[700];
	char *text;

	snprintf(f, sizeof f, "%s/tests/store/fixtures/v%d.sql", rpt_src_dir(),
	         v);
	text = rpt_read_file(f, NULL);
	assert_non_null(text);
	new_path();
	sql(path, text);
	free(text);
	assert_int_equal(one(path, "PRAGMA user_version"), v);
}

static void test_migrations(void **state)
{
	struct store *s = NULL;
	char spec[700];
	int n = sql_files();

	(void)state;
	new_path();
	snprintf(spec, sizeof spec, "sqlite:%s", path);
	assert_int_equal(store_open(spec, &s), RP_OK);
	/* every file is embedded and applied */
	assert_true(n >= 5);
	assert_int_equal(store_schema_version(s), n);
	assert_int_equal(store_check(s), RP_OK);
	store_close(s);
	assert_int_equal(one(path, "PRAGMA user_version"), n);
	assert_int_equal(one(path, "SELECT count(*) FROM pragma_journal_mode "
	                           "WHERE journal_mode = 'wal'"),
	                 1);
	/* reopening applies nothing */
	assert_int_equal(store_open(spec, &s), RP_OK);
	assert_int_equal(store_schema_version(s), n);
	store_close(s);
}

static void test_spec_forms(void **state)
{
	struct store *s = NULL;
	struct store_device d, got;
	char spec[700], dir[512];

	(void)state;
	memset(&d, 0, sizeof d);
	snprintf(d.serial, sizeof d.serial, "SN-1");
	snprintf(d.hw_type, sizeof d.hw_type, "tpm2");
	/* a bare path and "sqlite:" + the path are one store */
	new_path();
	assert_int_equal(store_open(path, &s), RP_OK);
	assert_string_equal(store_engine_name(s), "sqlite");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	store_close(s);
	snprintf(spec, sizeof spec, "sqlite:%s", path);
	assert_int_equal(store_open(spec, &s), RP_OK);
	assert_int_equal(store_device_get(s, "SN-1", &got), RP_OK);
	store_close(s);
	/* a ':' after the first '/' is part of a path */
	rpt_tmpdir(dir, sizeof dir);
	snprintf(spec, sizeof spec, "%s/a:b.db", dir);
	assert_int_equal(store_open(spec, &s), RP_OK);
	store_close(s);
	assert_int_equal(one(spec, "PRAGMA user_version"), sql_files());
	/* an empty place, an unknown engine */
	assert_int_equal(store_open("sqlite:", &s), RP_E_INVAL);
	assert_int_equal(store_open("postgres:dbname=x", &s), RP_E_INVAL);
	assert_null(s);
}

/* A store migrated by a newer rampartd is refused, and left as it is. */
static void test_newer_refused(void **state)
{
	struct store *s = NULL;
	int n = sql_files();
	char q[64];

	(void)state;
	new_path();
	assert_int_equal(store_open(path, &s), RP_OK);
	store_close(s);
	snprintf(q, sizeof q, "PRAGMA user_version = %d", n + 1);
	sql(path, q);
	sql(path, "CREATE TABLE from_the_future (x)");
	assert_int_equal(store_open(path, &s), RP_E_STORE_VERSION);
	assert_null(s);
	assert_int_equal(one(path, "PRAGMA user_version"), n + 1);
	/* a new file with only a version: nothing is created in it */
	new_path();
	sql(path, "PRAGMA user_version = 1000");
	assert_int_equal(store_open(path, &s), RP_E_STORE_VERSION);
	assert_int_equal(one(path, "SELECT count(*) FROM sqlite_schema"), 0);
}

/* A migration that fails leaves the store at the version before it. */
static void test_migration_atomic(void **state)
{
	struct store *s = NULL;
	char before[8192], after[8192];

	(void)state;
	load_fixture(4);
	/* migration 5 adds certs.added_seq: make that clash */
	sql(path, "ALTER TABLE certs ADD COLUMN added_seq INTEGER");
	schema_of(path, before, sizeof before);
	assert_int_equal(store_open(path, &s), RP_E_STORE);
	assert_null(s);
	assert_int_equal(one(path, "PRAGMA user_version"), 4);
	schema_of(path, after, sizeof after);
	assert_string_equal(before, after); /* nothing of 5 was kept */
	sql(path, "ALTER TABLE certs DROP COLUMN added_seq");
	assert_int_equal(store_open(path, &s), RP_OK);
	assert_int_equal(store_schema_version(s), sql_files());
	store_close(s);
}

/*
 * Programs that open an old store at once (rampartd and a CLI during an
 * upgrade): each reads the version before it takes the write lock, so
 * each must look again under the lock, or the second applies a migration
 * the first has applied and fails. Eight processes released together,
 * five rounds: every open succeeds and the store ends at the newest
 * version, each migration applied once.
 */
static void test_migration_race(void **state)
{
	enum { KIDS = 8, ROUNDS = 5 };

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		int go[2], i, st, failed = 0;
		pid_t pid[KIDS];

		load_fixture(4);
		/* as rampartd left it: in WAL mode (journal_mode is persistent)
		 */
		sql(path, "PRAGMA journal_mode = WAL");
		assert_int_equal(pipe(go), 0);
		for (i = 0; i < KIDS; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				struct store *s = NULL;
				char c;

				close(go[1]);
				/* the barrier: all start when the pipe closes
				 */
				if (read(go[0], &c, 1) < 0)
					_exit(2);
				st = store_open(path, &s) == RP_OK ? 0 : 1;
				store_close(s);
				_exit(st);
			}
		}
		close(go[0]);
		close(go[1]); /* go */
		for (i = 0; i < KIDS; i++) {
			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
		}
		assert_int_equal(failed, 0);
		assert_int_equal(one(path, "PRAGMA user_version"), sql_files());
	}
}

/*
 * A refusal whose table trim fails inside a caller's transaction in a way
 * that makes SQLite roll the whole transaction back (here a trigger's
 * RAISE(ROLLBACK), as SQLITE_FULL or SQLITE_IOERR can): the add must
 * fail, so that the caller does not write on outside its transaction.
 */
static void test_trim_rollback(void **state)
{
	struct store *s = NULL;
	struct store_opts o;

	(void)state;
	new_path();
	store_opts_init(&o);
	o.refusals_keep = 1; /* a trim at every row past the first */
	assert_int_equal(store_open_with(path, &o, &s), RP_OK);
	sql(path, "CREATE TRIGGER no_trim BEFORE DELETE ON refusals BEGIN "
	          "SELECT RAISE(ROLLBACK, 'injected'); END");
	assert_int_equal(store_begin(s), RP_OK);
	assert_int_equal(store_refusal_add(s, "/a", "p", NULL, RP_E_AUTH, NULL),
	                 RP_OK);
	assert_int_equal(store_refusal_add(s, "/b", "p", NULL, RP_E_AUTH, NULL),
	                 RP_E_STORE);
	store_rollback(s);
	assert_int_equal(one(path, "SELECT count(*) FROM refusals"), 0);
	/* outside a transaction the row is kept, the trim retried later */
	assert_int_equal(store_refusal_add(s, "/c", "p", NULL, RP_E_AUTH, NULL),
	                 RP_OK);
	assert_int_equal(store_refusal_add(s, "/d", "p", NULL, RP_E_AUTH, NULL),
	                 RP_OK);
	assert_int_equal(one(path, "SELECT count(*) FROM refusals"), 2);
	sql(path, "DROP TRIGGER no_trim");
	store_close(s);
}

/* Whatever version a store starts from, it ends with a new one's schema. */
static void test_same_schema(void **state)
{
	struct store *s = NULL;
	char fresh[8192], from1[8192], from4[8192];

	(void)state;
	new_path();
	assert_int_equal(store_open(path, &s), RP_OK);
	store_close(s);
	schema_of(path, fresh, sizeof fresh);
	load_fixture(1);
	assert_int_equal(store_open(path, &s), RP_OK);
	store_close(s);
	schema_of(path, from1, sizeof from1);
	load_fixture(4);
	assert_int_equal(store_open(path, &s), RP_OK);
	store_close(s);
	schema_of(path, from4, sizeof from4);
	assert_string_equal(from1, fresh);
	assert_string_equal(from4, fresh);
	assert_non_null(strstr(fresh, "index certs_added ON certs(added_seq)"));
}

static void app(char *buf, size_t cap, const char *text)
{
	size_t n = strlen(buf);

	snprintf(buf + n, cap - n, "%s;", text);
}

static int cert_cb(void *arg, const struct store_cert *c)
{
	app(arg, 256, c->serial);
	return 0;
}

static int dev_cb(void *arg, const struct store_device *d)
{
	char t[128];

	snprintf(t, sizeof t, "%s:%d:%d:%d:%d", d->serial, d->state,
	         d->allow_reprovision, d->force_renew, d->quarantined);
	app(arg, 256, t);
	return 0;
}

static int refusal_cb(void *arg, const struct store_refusal *r)
{
	char t[128];

	snprintf(t, sizeof t, "%lld:%s:%s", (long long)r->id, r->route,
	         r->reason);
	app(arg, 256, t);
	return 0;
}

static int command_cb(void *arg, const struct store_command *c)
{
	char t[128];

	snprintf(t, sizeof t, "%s:%lld:%s", c->cmd.id, (long long)c->result_at,
	         c->res.detail);
	app(arg, 256, t);
	return 0;
}

static int event_cb(void *arg, const struct store_event *e)
{
	app(arg, 256, e->ev.detail);
	return 0;
}

static int counter_cb(void *arg, const char *name, int64_t value)
{
	char t[128];

	snprintf(t, sizeof t, "%s=%lld", name, (long long)value);
	app(arg, 256, t);
	return 0;
}

/* Schema version 1, as rampartd wrote it: migrated, every row kept. */
static void test_fixture_v1(void **state)
{
	struct store *s = NULL;
	struct store_device d;
	struct store_cert c;
	char seen[256] = "";
	uint8_t val[8];
	size_t len = sizeof val;
	int64_t n = 0;

	(void)state;
	load_fixture(1);
	assert_int_equal(store_open(path, &s), RP_OK);
	assert_int_equal(store_schema_version(s), sql_files());
	assert_int_equal(store_device_get(s, "SN-OLD-1", &d), RP_OK);
	assert_string_equal(d.hw_token, "tok-1");
	assert_string_equal(d.group, "line-a");
	assert_string_equal(d.tags, "a,b");
	assert_int_equal(d.state, STORE_DEV_ENROLLED);
	assert_int_equal(d.force_renew, 1);
	assert_int_equal(d.created_at, 1700000000);
	assert_int_equal(d.updated_at, 1700000100);
	assert_int_equal(d.quarantined, 0); /* migration 3's default */
	assert_int_equal(store_device_each(s, dev_cb, seen), RP_OK);
	assert_string_equal(seen, "SN-OLD-0:0:1:0:0;SN-OLD-1:1:0:1:0;");
	assert_int_equal(store_cert_get(s, "c0ffee01", &c), RP_OK);
	assert_string_equal(c.kind, STORE_CERT_CLAIM);
	assert_int_equal(c.revoked_at, 1700000050);
	assert_int_equal(c.reason, 4);
	assert_int_equal(c.uses, 0); /* migration 2's default */
	seen[0] = '\0';
	assert_int_equal(store_refusal_each(s, 10, refusal_cb, seen), RP_OK);
	assert_string_equal(seen, "1:/.well-known/est/simpleenroll:"
	                          "RP_E_NOT_ALLOWLISTED;");
	assert_int_equal(store_meta_get(s, "setup_token_sha256", val, &len),
	                 RP_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(val, "\x00\xff\x10", 3);
	assert_int_equal(store_crl_next_number(s, &n), RP_OK);
	assert_int_equal(n, 2);
	/* new rows follow the old ones */
	memset(&c, 0, sizeof c);
	snprintf(c.serial, sizeof c.serial, "00aa");
	snprintf(c.subject, sizeof c.subject, "line-a");
	snprintf(c.kind, sizeof c.kind, STORE_CERT_CLAIM);
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	seen[0] = '\0';
	assert_int_equal(
	    store_cert_each_kind(s, STORE_CERT_CLAIM, cert_cb, seen), RP_OK);
	assert_string_equal(seen, "c0ffee01;00aa;");
	assert_int_equal(store_refusal_add(s, "/x", "", "", RP_E_AUTH, ""),
	                 RP_OK);
	seen[0] = '\0';
	assert_int_equal(store_refusal_each(s, 1, refusal_cb, seen), RP_OK);
	assert_string_equal(seen, "2:/x:RP_E_AUTH;");
	assert_int_equal(store_check(s), RP_OK);
	store_close(s);
}

/* Schema version 4, written through the old interface: every table. */
static void test_fixture_v4(void **state)
{
	struct store *s = NULL;
	struct store_device d;
	struct store_cert c;
	struct store_status st;
	struct rp_command cmd;
	char seen[256] = "";

	(void)state;
	load_fixture(4);
	assert_int_equal(store_open(path, &s), RP_OK);
	assert_int_equal(store_schema_version(s), sql_files());
	assert_int_equal(store_device_each(s, dev_cb, seen), RP_OK);
	assert_string_equal(seen, "SN-A:1:0:0:0;SN-B:1:1:1:1;SN-C:2:0:0:0;");
	assert_int_equal(store_device_get(s, "SN-B", &d), RP_OK);
	assert_string_equal(d.quarantine_reason, "odd");
	assert_int_equal(d.quarantined_at, 1700000500);
	assert_string_equal(d.hw_token, "tok-b");
	/* the old order of addition (its rowids), not serial order */
	seen[0] = '\0';
	assert_int_equal(
	    store_cert_each_kind(s, STORE_CERT_DEVICE, cert_cb, seen), RP_OK);
	assert_string_equal(seen, "ff03;aa01;cc02;");
	seen[0] = '\0';
	assert_int_equal(
	    store_cert_each_kind(s, STORE_CERT_CLAIM, cert_cb, seen), RP_OK);
	assert_string_equal(seen, "9902;1101;");
	seen[0] = '\0';
	assert_int_equal(store_cert_each_of(s, "SN-A", cert_cb, seen), RP_OK);
	assert_string_equal(seen, "aa01;ff03;"); /* same expiry: last first */
	assert_int_equal(store_cert_get(s, "cc02", &c), RP_OK);
	assert_int_equal(c.revoked_at, 1700000600);
	assert_int_equal(store_cert_get(s, "9902", &c), RP_OK);
	assert_int_equal(c.uses, 1);
	assert_int_equal(c.last_used_at, 1700000700);
	seen[0] = '\0';
	assert_int_equal(store_refusal_each(s, 10, refusal_cb, seen), RP_OK);
	assert_string_equal(seen, "2:mqtt/connect:RP_E_NOT_ALLOWLISTED;"
	                          "1:/api/v1/allowlist:RP_E_AUTH;");
	assert_int_equal(store_status_get(s, "SN-A", &st), RP_OK);
	assert_int_equal(st.first_seen, 1700000900);
	assert_int_equal(st.last_seen, 1700000903);
	assert_int_equal(st.n_telemetry, 1);
	assert_int_equal(st.n_events, 1);
	assert_int_equal(st.n_results, 1);
	assert_int_equal(st.n_rejected, 1);
	assert_string_equal(st.tel.fw_version, "1.2.3");
	assert_int_equal(st.tel.n_tcp, 2);
	assert_int_equal(st.tel.tcp[1], 8883);
	seen[0] = '\0';
	assert_int_equal(store_event_each(s, "SN-A", 10, event_cb, seen),
	                 RP_OK);
	assert_string_equal(seen, "sshd;");
	/* same issue time: the one added last first, as before */
	seen[0] = '\0';
	assert_int_equal(store_command_each(s, "SN-A", 10, command_cb, seen),
	                 RP_OK);
	assert_string_equal(seen, "cmd-a:0:;cmd-z:1700000902:pong;");
	seen[0] = '\0';
	assert_int_equal(store_counter_each(s, counter_cb, seen), RP_OK);
	assert_string_equal(seen, "batches=1;received=7;stored_events=1;"
	                          "stored_results=1;stored_telemetry=1;");
	/* a command added now comes after the old ones of its time */
	memset(&cmd, 0, sizeof cmd);
	cmd.type = RP_CMD_PING;
	cmd.ts = 1700000800;
	snprintf(cmd.id, sizeof cmd.id, "cmd-0");
	assert_int_equal(store_command_add(s, "SN-A", &cmd), RP_OK);
	seen[0] = '\0';
	assert_int_equal(store_command_each(s, "SN-A", 10, command_cb, seen),
	                 RP_OK);
	assert_string_equal(seen, "cmd-0:0:;cmd-a:0:;cmd-z:1700000902:pong;");
	assert_int_equal(store_check(s), RP_OK);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrations),
	    cmocka_unit_test(test_spec_forms),
	    cmocka_unit_test(test_newer_refused),
	    cmocka_unit_test(test_migration_atomic),
	    cmocka_unit_test(test_trim_rollback),
	    cmocka_unit_test(test_migration_race),
	    cmocka_unit_test(test_same_schema),
	    cmocka_unit_test(test_fixture_v1),
	    cmocka_unit_test(test_fixture_v4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
