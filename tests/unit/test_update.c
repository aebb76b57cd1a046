/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_update.c - the updater's decision on an update command and its
 * durable progress (lib/device/update.c): each refusal with its reason
 * code, in its order of precedence, and the acceptance; the progress file
 * saved and loaded back, written atomically (no temp file left, mode
 * 0600), and every malformed file refused with *p zeroed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/update.h"

#define REL "5f1d3ac2b7e04e9c8a6f2d1b0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
#define RUN "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"

static struct rp_update_ref ref(void)
{
	struct rp_update_ref u = {0};

	strcpy(u.release, REL);
	strcpy(u.hw, "devkit-a");
	u.ver_major = 1;
	u.ver_minor = 4;
	u.ver_patch = 3;
	u.counter = 10;
	u.size = 1048768;
	strcpy(u.url, "https://127.0.0.1:8443/fw/v1/" REL);
	return u;
}

static struct rp_update_facts facts(void)
{
	struct rp_update_facts f = {0};

	f.hw = "devkit-a";
	f.confirmed_counter = 9;
	f.running_sha256 = RUN;
	f.slot_size = 2 * 1024 * 1024;
	return f;
}

static void refused(const struct rp_update_facts *f,
                    const struct rp_update_ref *u, const char *want)
{
	char code[RP_UPD_CODE_MAX + 1], detail[RP_DETAIL_MAX + 1];

	assert_int_equal(rp_update_decide(f, u, code, detail), RP_E_STATE);
	assert_string_equal(code, want);
	/* the command result's detail starts with the code */
	assert_int_equal(strncmp(detail, want, strlen(want)), 0);
	assert_int_equal(detail[strlen(want)], ':');
}

static void test_decide(void **state)
{
	struct rp_update_facts f = facts();
	struct rp_update_ref u = ref();
	char code[RP_UPD_CODE_MAX + 1], detail[RP_DETAIL_MAX + 1];

	(void)state;
	assert_int_equal(rp_update_decide(&f, &u, code, detail), RP_OK);
	assert_string_equal(code, "");
	assert_string_equal(detail, "accepted");
	/* the same counter is no downgrade; unknown running image and slot */
	f.confirmed_counter = 10;
	f.running_sha256 = NULL;
	f.slot_size = 0;
	assert_int_equal(rp_update_decide(&f, &u, code, detail), RP_OK);

	f = facts();
	f.confirmed_counter = 11;
	refused(&f, &u, "downgrade");
	f = facts();
	strcpy(u.hw, "devkit-b");
	refused(&f, &u, "hw_mismatch");
	u = ref();
	f.running_sha256 = REL;
	refused(&f, &u, "already_running");
	f = facts();
	f.trial = true;
	refused(&f, &u, "trial_in_progress");
	f = facts();
	f.busy = true;
	refused(&f, &u, "busy");
	f = facts();
	f.slot_size = u.size - 1;
	refused(&f, &u, "too_big");
	f.slot_size = u.size;
	assert_int_equal(rp_update_decide(&f, &u, code, detail), RP_OK);

	/* precedence: busy, trial, hw, already running, downgrade, size */
	f = facts();
	f.busy = f.trial = true;
	f.confirmed_counter = 99;
	strcpy(u.hw, "other");
	refused(&f, &u, "busy");
	f.busy = false;
	refused(&f, &u, "trial_in_progress");
	f.trial = false;
	refused(&f, &u, "hw_mismatch");
	u = ref();
	f.running_sha256 = REL;
	refused(&f, &u, "already_running");
	f.running_sha256 = RUN;
	f.slot_size = 1;
	refused(&f, &u, "downgrade");

	assert_int_equal(rp_update_decide(NULL, &u, code, detail), RP_E_INVAL);
	assert_int_equal(rp_update_decide(&f, NULL, code, detail), RP_E_INVAL);
}

static char dir[64], path[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_update.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/update.state", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static struct rp_update_progress prog(void)
{
	struct rp_update_progress p = {0};

	strcpy(p.release, REL);
	strcpy(p.cmd, "upd-1");
	p.state = RP_UPD_DOWNLOADING;
	p.size = 1048768;
	p.offset = 524288;
	strcpy(p.etag, "\"" REL "\"");
	return p;
}

static void write_file(const char *s)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_progress(void **state)
{
	struct rp_update_progress p = prog(), q;
	struct stat st;
	char tmpname[128];
	int n = 0;

	(void)state;
	memset(&q, 0x5a, sizeof q);
	assert_int_equal(rp_update_progress_load(path, &q), RP_E_NOT_FOUND);
	assert_int_equal(rp_update_progress_save(path, &p), RP_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(rp_update_progress_load(path, &q), RP_OK);
	assert_memory_equal(&p, &q, sizeof p);
	/* a later save replaces it whole */
	p.offset = p.size;
	p.state = RP_UPD_DOWNLOADED;
	memset(p.etag, 0, sizeof p.etag);
	assert_int_equal(rp_update_progress_save(path, &p), RP_OK);
	assert_int_equal(rp_update_progress_load(path, &q), RP_OK);
	assert_memory_equal(&p, &q, sizeof p);
	/* no temp file left beside it */
	snprintf(tmpname, sizeof tmpname, "ls -A '%s' | grep -c tmp", dir);
	{
		FILE *fp = popen(tmpname, "r");

		assert_non_null(fp);
		assert_int_equal(fscanf(fp, "%d", &n), 1);
		pclose(fp);
	}
	assert_int_equal(n, 0);
	assert_int_equal(rp_update_progress_clear(path), RP_OK);
	assert_int_equal(rp_update_progress_load(path, &q), RP_E_NOT_FOUND);
	assert_int_equal(rp_update_progress_clear(path), RP_OK);

	/* what the loader would refuse is not saved */
	p = prog();
	p.offset = p.size + 1;
	assert_int_equal(rp_update_progress_save(path, &p), RP_E_INVAL);
	p = prog();
	p.release[0] = 'X';
	assert_int_equal(rp_update_progress_save(path, &p), RP_E_INVAL);
	p = prog();
	p.cmd[0] = '\0';
	assert_int_equal(rp_update_progress_save(path, &p), RP_E_INVAL);
	p = prog();
	p.state = (enum rp_update_state)0;
	assert_int_equal(rp_update_progress_save(path, &p), RP_E_INVAL);
	p = prog();
	p.etag[3] = '\n';
	assert_int_equal(rp_update_progress_save(path, &p), RP_E_INVAL);
	assert_int_equal(rp_update_progress_load(path, &q), RP_E_NOT_FOUND);
}

static void test_progress_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{}",
	    "{\"v\":1}",
	    /* each member missing, wrong, or one too many */
	    "{\"v\":2,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1,\"etag\":\"\"}",
	    "{\"v\":1,\"release\":\"" RUN "0\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1,\"etag\":\"\"}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1,\"etag\":\"\"}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"sent\",\"size\":9,\"offset\":1,\"etag\":\"\"}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":10,\"etag\":\"\"}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":-1,\"etag\":\"\"}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1.5,\"etag\":\"\"}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1,\"etag\":\"\\t\"}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1,\"etag\":\"\",\"x\":0}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1,\"etag\":\"\",\"v\":1}",
	    "{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	    "\"downloading\",\"size\":9,\"offset\":1,\"etag\":\"\"",
	};
	struct rp_update_progress q;
	size_t i;

	(void)state;
	write_file("{\"v\":1,\"release\":\"" REL "\",\"cmd\":\"u\",\"state\":"
	           "\"downloading\",\"size\":9,\"offset\":9,\"etag\":\"\"}");
	assert_int_equal(rp_update_progress_load(path, &q), RP_OK);
	assert_int_equal(q.offset, 9);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_file(bad[i]);
		memset(&q, 0x5a, sizeof q);
		if (rp_update_progress_load(path, &q) != RP_E_SYNTAX)
			fail_msg("accepted: %s", bad[i]);
		assert_true(q.release[0] == 0 && q.offset == 0 && q.state == 0);
	}
	assert_int_equal(rp_update_progress_clear(path), RP_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decide),
	    cmocka_unit_test(test_progress),
	    cmocka_unit_test(test_progress_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
