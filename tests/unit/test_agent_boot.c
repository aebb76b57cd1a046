/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_agent_boot.c - what rampart-agent run reports at start
 * (agent/bootinfo.c, agent/evlog.c): the running slot read from the
 * boot-state record agrees with the slot the real boot core started
 * through a whole update life (first boot, trial boots, rollback,
 * confirm, fallback), the version and SHA-256 are those of the signed
 * image bytes installed, the boot event's detail and severity; and the
 * event log: a broken log saved under a new name (0600, never replacing a
 * file), a fresh one started, a torn record cut, a log held by another
 * writer left alone, and the tamper event's wording.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootimg.h"
#include "bootinfo.h"
#include "cmocka_all.h"
#include "evlog.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/mem.h"

#define SECTOR  1024u
#define NSECT   18u /* 2 state sectors + 2 slots of 8 sectors */
#define HW      "acme-sensor-v2"
#define IMG_CAP 8192u
#define PAYLOAD 3000u

/* ---- the pure part ---- */

static void test_running_slot(void **state)
{
	struct rp_boot_state st;
	bool trial;

	(void)state;
	memset(&st, 0, sizeof st);
	st.active = 1;
	assert_int_equal(agent_boot_running_slot(&st, &trial), 1);
	assert_false(trial);
	st.trial = 1; /* marked, not started yet: the active slot runs */
	st.trials_left = 3;
	assert_int_equal(agent_boot_running_slot(&st, &trial), 1);
	assert_false(trial);
	st.trial_booted = 1;
	st.trials_left = 2;
	assert_int_equal(agent_boot_running_slot(&st, &trial), 0);
	assert_true(trial);
	st.trials_left = 0; /* the last attempt is running */
	assert_int_equal(agent_boot_running_slot(&st, &trial), 0);
	assert_true(trial);
}

static void test_detail(void **state)
{
	struct agent_bootinfo bi;
	char d[RP_DETAIL_MAX + 1];

	(void)state;
	memset(&bi, 0, sizeof bi);
	bi.slot = 1;
	bi.trial = true;
	bi.st.active = 0;
	bi.st.trial = 1;
	bi.st.trial_booted = 1;
	bi.st.trials_left = 2;
	bi.hdr.counter = 9;
	strcpy(bi.version, "1.4.2");
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_INFO);
	assert_string_equal(
	    d, "slot=b version=1.4.2 counter=9 state=trial trials_left=2");
	bi.slot = 0;
	bi.trial = false;
	bi.st.trial = 0;
	bi.st.trial_booted = 0;
	bi.st.trials_left = 0;
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_INFO);
	assert_string_equal(d,
	                    "slot=a version=1.4.2 counter=9 state=confirmed");
	bi.st.trial = 1;
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_INFO);
	assert_string_equal(
	    d, "slot=a version=1.4.2 counter=9 state=confirmed trial=marked");
	bi.st.trial = 0;
	bi.st.flags = RP_BOOT_F_ROLLED_BACK;
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_string_equal(d, "slot=a version=1.4.2 counter=9 "
	                       "state=confirmed flags=rolled-back");
	bi.st.flags = RP_BOOT_F_ALL;
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_string_equal(d, "slot=a version=1.4.2 counter=9 "
	                       "state=confirmed "
	                       "flags=rolled-back,trial-invalid,fallback");
	bi.st.flags = 0;
	bi.image_rc = RP_E_IMAGE_MAGIC;
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_string_equal(
	    d, "slot=a image=none (RP_E_IMAGE_MAGIC) state=confirmed");
	bi.state_rc = RP_E_NOT_FOUND;
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_non_null(strstr(d, "state=none"));
	bi.state_rc = RP_E_BOOT_STATE;
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_string_equal(d, "state=unreadable (RP_E_BOOT_STATE)");
}

/* ---- a device's life: the agent's reading against the boot core ---- */

struct fix {
	struct timg_key k;
	struct rp_keyset ks;
	struct tdev d;
	uint8_t img[3][IMG_CAP];
	size_t len[3];
};

static int setup_dev(void **state)
{
	struct fix *f = calloc(1, sizeof *f);

	if (f == NULL || rp_init() != RP_OK)
		return -1;
	timg_key(&f->k, 1);
	timg_keyset(&f->ks, &f->k, 1, 1, 1);
	tdev_init(&f->d, NSECT, SECTOR, &f->ks, HW);
	for (int i = 0; i < 3; i++)
		f->len[i] = timg_make(
		    f->img[i], IMG_CAP, &f->k, 1, HW, (uint32_t)(i + 1),
		    PAYLOAD + 100 * (uint32_t)i, (uint8_t)(i * 17 + 3));
	*state = f;
	return 0;
}

static int teardown_dev(void **state)
{
	struct fix *f = *state;

	tdev_free(&f->d);
	free(f);
	return 0;
}

/* Boot; the agent must then see the slot the core started, image i. */
static void boot_and_read(struct fix *f, int img, bool trial,
                          struct agent_bootinfo *bi)
{
	struct rp_boot_result r;
	uint8_t md[RP_SHA256_LEN];
	char hex[65], ver[16];

	assert_int_equal(tdev_boot(&f->d, &r), RP_BOOT_GO);
	assert_int_equal(
	    agent_bootinfo_read(&f->d.sim.f, &f->d.l, rp_crypto_host(), bi),
	    RP_OK);
	assert_int_equal(bi->state_rc, RP_OK);
	assert_int_equal(bi->slot, r.slot);
	assert_int_equal(bi->trial, trial);
	assert_int_equal(bi->image_rc, RP_OK);
	assert_int_equal(bi->image_len, r.image_len);
	assert_int_equal(bi->image_len, f->len[img]);
	assert_int_equal(bi->hdr.counter, (uint32_t)(img + 1));
	snprintf(ver, sizeof ver, "%d.0.0", img + 1);
	assert_string_equal(bi->version, ver);
	/* The hash of the .img bytes, not of the whole slot. */
	assert_int_equal(rp_sha256(f->img[img], f->len[img], md), RP_OK);
	assert_int_equal(rp_hex_encode(md, sizeof md, hex, sizeof hex), RP_OK);
	assert_string_equal(bi->sha256, hex);
}

static void test_life(void **state)
{
	struct fix *f = *state;
	struct agent_bootinfo bi;
	char d[RP_DETAIL_MAX + 1];

	/* Nothing booted yet. */
	assert_int_equal(
	    agent_bootinfo_read(&f->d.sim.f, &f->d.l, rp_crypto_host(), &bi),
	    RP_OK);
	assert_int_equal(bi.state_rc, RP_E_NOT_FOUND);
	assert_int_equal(bi.slot, -1);
	assert_string_equal(bi.sha256, "");
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);

	/* Factory image in A, first boot. */
	assert_int_equal(tdev_install(&f->d, 0, f->img[0], f->len[0]), RP_OK);
	boot_and_read(f, 0, false, &bi);
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_INFO);
	assert_string_equal(d,
	                    "slot=a version=1.0.0 counter=1 state=confirmed");

	/* Image 2 in B as a trial of 2 boots: B runs twice, then A. */
	assert_int_equal(tdev_install(&f->d, 1, f->img[1], f->len[1]), RP_OK);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 2), RP_OK);
	assert_int_equal(
	    agent_bootinfo_read(&f->d.sim.f, &f->d.l, rp_crypto_host(), &bi),
	    RP_OK);
	assert_int_equal(bi.slot, 0); /* marked, not booted: A still runs */
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_INFO);
	assert_string_equal(
	    d, "slot=a version=1.0.0 counter=1 state=confirmed trial=marked");
	boot_and_read(f, 1, true, &bi);
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_INFO);
	assert_string_equal(
	    d, "slot=b version=2.0.0 counter=2 state=trial trials_left=1");
	boot_and_read(f, 1, true, &bi);
	boot_and_read(f, 0, false, &bi); /* never confirmed: rolled back */
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_string_equal(d, "slot=a version=1.0.0 counter=1 "
	                       "state=confirmed flags=rolled-back");

	/* Image 3 in B, trial, confirmed: B is the active slot. */
	assert_int_equal(tdev_install(&f->d, 1, f->img[2], f->len[2]), RP_OK);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 0), RP_OK);
	boot_and_read(f, 2, true, &bi);
	assert_int_equal(rp_boot_confirm(&f->d.sim.f, &f->d.l), RP_OK);
	assert_int_equal(
	    agent_bootinfo_read(&f->d.sim.f, &f->d.l, rp_crypto_host(), &bi),
	    RP_OK);
	assert_int_equal(bi.slot, 1);
	assert_false(bi.trial);
	boot_and_read(f, 2, false, &bi);
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_INFO);
	assert_string_equal(d,
	                    "slot=b version=3.0.0 counter=3 state=confirmed");

	/* A copy of image 3 in A, then B rots: the core falls back to A. */
	assert_int_equal(tdev_install(&f->d, 0, f->img[2], f->len[2]), RP_OK);
	f->d.sim.mem[f->d.l.slot_off[1] + RP_IMAGE_HDR_SIZE + 10] ^= 0x01;
	boot_and_read(f, 2, false, &bi);
	assert_int_equal(bi.slot, 0);
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_string_equal(d, "slot=a version=3.0.0 counter=3 "
	                       "state=confirmed flags=fallback");

	/* The running slot's header destroyed after the boot. */
	f->d.sim.mem[f->d.l.slot_off[0]] ^= 0xff;
	assert_int_equal(
	    agent_bootinfo_read(&f->d.sim.f, &f->d.l, rp_crypto_host(), &bi),
	    RP_OK);
	assert_int_equal(bi.image_rc, RP_E_IMAGE_MAGIC);
	assert_string_equal(bi.version, "");
	assert_string_equal(bi.sha256, "");
	assert_int_equal(agent_boot_detail(&bi, d), RP_SEV_WARNING);
	assert_string_equal(d, "slot=a image=none (RP_E_IMAGE_MAGIC) "
	                       "state=confirmed flags=fallback");
}

/* A payload length pointing past the slot is no image, not a crash. */
static void test_lengths_bounded(void **state)
{
	struct fix *f = *state;
	struct agent_bootinfo bi;
	struct rp_image_hdr h;
	uint8_t hdr[RP_IMAGE_HDR_SIZE];

	assert_int_equal(tdev_install(&f->d, 0, f->img[0], f->len[0]), RP_OK);
	assert_int_equal(rp_boot_init(&f->d.sim.f, &f->d.l, 0, 1, 1), RP_OK);
	memcpy(hdr, f->img[0], sizeof hdr);
	assert_int_equal(rp_image_hdr_parse(hdr, sizeof hdr, &h), RP_OK);
	h.payload_len = (uint64_t)f->d.l.slot_size; /* the section is past it */
	rp_image_hdr_encode(&h, f->d.sim.mem + f->d.l.slot_off[0]);
	assert_int_equal(
	    agent_bootinfo_read(&f->d.sim.f, &f->d.l, rp_crypto_host(), &bi),
	    RP_OK);
	assert_int_not_equal(bi.image_rc, RP_OK);
	h.payload_len = UINT64_MAX - 10;
	rp_image_hdr_encode(&h, f->d.sim.mem + f->d.l.slot_off[0]);
	assert_int_equal(
	    agent_bootinfo_read(&f->d.sim.f, &f->d.l, rp_crypto_host(), &bi),
	    RP_OK);
	assert_int_not_equal(bi.image_rc, RP_OK);
	assert_string_equal(bi.sha256, "");
}

/* ---- the event log ---- */

static char dir[] = "/tmp/rp-test-agent-boot-XXXXXX";
static char path[256];

static void clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static int setup_log(void **state)
{
	(void)state;
	if (rp_init() != RP_OK || mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/events.log", dir);
	return 0;
}

static int teardown_log(void **state)
{
	(void)state;
	clean_dir();
	rmdir(dir);
	return 0;
}

static int fresh(void **state)
{
	(void)state;
	clean_dir();
	return 0;
}

static void write_log(int n)
{
	rp_chainlog *l = NULL;
	char p[32];

	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_OK);
	for (int i = 1; i <= n; i++) {
		snprintf(p, sizeof p, "record %d", i);
		assert_int_equal(
		    rp_chainlog_append(l, 1767225600 + i, p, strlen(p)), RP_OK);
	}
	rp_chainlog_close(l);
}

static void append_raw(const char *s)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Change one byte of line n's payload (1-based), in place. */
static void edit_line(int n)
{
	FILE *f = fopen(path, "r+");
	int c, line = 1;
	long at = -1;

	assert_non_null(f);
	while ((c = fgetc(f)) != EOF && line < n)
		if (c == '\n')
			line++;
	assert_int_equal(line, n);
	assert_int_equal(fseek(f, 0, SEEK_CUR), 0);
	at = ftell(f) + 80; /* "record n": after seq, ts and prev */
	assert_int_equal(fseek(f, at, SEEK_SET), 0);
	c = fgetc(f);
	assert_true(c >= '0' && c <= 'z');
	assert_int_equal(fseek(f, at, SEEK_SET), 0);
	assert_int_equal(fputc(c == 'X' ? 'Y' : 'X', f), c == 'X' ? 'Y' : 'X');
	assert_int_equal(fclose(f), 0);
}

#define NOW      1796113938 /* 2026-12-01T08:32:18Z */
#define NOW_NAME "events.log.tampered-20261201T083218Z"

static void test_log_intact(void **state)
{
	struct agent_evlog_report rep;
	enum rp_severity sev;
	rp_chainlog *l = NULL;
	char d[RP_DETAIL_MAX + 1];
	uint64_t seq;
	char head[65];

	(void)state;
	/* No log yet, then an intact one: nothing to report. */
	assert_int_equal(agent_evlog_open(path, NOW, &l, &rep), RP_OK);
	assert_int_equal(rep.found, AGENT_EVLOG_OK);
	rp_chainlog_close(l);
	write_log(3);
	assert_int_equal(agent_evlog_open(path, NOW, &l, &rep), RP_OK);
	assert_int_equal(rep.found, AGENT_EVLOG_OK);
	rp_chainlog_head(l, &seq, head);
	assert_int_equal(seq, 3);
	assert_int_equal(agent_evlog_event(&rep, &sev, d), 0);
	/* Held by another writer: RP_E_STATE, and the log is not moved. */
	{
		rp_chainlog *l2 = NULL;
		struct stat st;
		char saved[512];

		snprintf(saved, sizeof saved, "%s/" NOW_NAME, dir);
		edit_line(1);
		assert_int_equal(agent_evlog_open(path, NOW, &l2, &rep),
		                 RP_E_STATE);
		assert_null(l2);
		assert_int_equal(stat(path, &st), 0);
		assert_int_not_equal(stat(saved, &st), 0);
	}
	rp_chainlog_close(l);
}

static void test_log_broken_saved(void **state)
{
	struct agent_evlog_report rep;
	struct rp_chainlog_report vr;
	enum rp_severity sev;
	rp_chainlog *l = NULL;
	char d[RP_DETAIL_MAX + 1], saved[512], saved1[512];
	struct stat st;
	uint64_t seq;
	char head[65];

	(void)state;
	write_log(4);
	assert_int_equal(chmod(path, 0640), 0);
	edit_line(2);
	assert_int_equal(agent_evlog_open(path, NOW, &l, &rep), RP_OK);
	assert_int_equal(rep.found, AGENT_EVLOG_SAVED);
	assert_int_equal(rep.bad_line, 3); /* record 3's link to record 2 */
	snprintf(saved, sizeof saved, "%s/" NOW_NAME, dir);
	assert_string_equal(rep.saved, saved);
	/* The evidence: kept, 0600, still broken where it was. */
	assert_int_equal(stat(saved, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(rp_chainlog_verify(saved, &vr), RP_E_CHAINLOG);
	assert_int_equal(vr.bad_line, 3);
	/* A fresh log at the old name. */
	rp_chainlog_head(l, &seq, head);
	assert_int_equal(seq, 0);
	assert_int_equal(agent_evlog_event(&rep, &sev, d), 1);
	assert_int_equal(sev, RP_SEV_CRITICAL);
	snprintf(saved1, sizeof saved1,
	         "event log broken at line 3: %s; saved as " NOW_NAME
	         "; new log started",
	         vr.reason);
	assert_string_equal(d, saved1);
	assert_int_equal(rp_chainlog_append(l, NOW, "after", 5), RP_OK);
	rp_chainlog_close(l);
	assert_int_equal(rp_chainlog_verify(path, &vr), RP_OK);
	assert_int_equal(vr.records, 1);

	/* Broken again in the same second: the first evidence stays. */
	append_raw("garbage\n");
	assert_int_equal(agent_evlog_open(path, NOW, &l, &rep), RP_OK);
	assert_int_equal(rep.found, AGENT_EVLOG_SAVED);
	assert_int_equal(rep.bad_line, 2);
	snprintf(saved1, sizeof saved1, "%s/" NOW_NAME ".1", dir);
	assert_string_equal(rep.saved, saved1);
	assert_int_equal(rp_chainlog_verify(saved, &vr), RP_E_CHAINLOG);
	assert_int_equal(vr.bad_line, 3); /* the first one, untouched */
	rp_chainlog_close(l);
}

static void test_log_tail_refused(void **state)
{
	struct agent_evlog_report rep;
	enum rp_severity sev;
	rp_chainlog *l = NULL;
	char d[RP_DETAIL_MAX + 1];

	(void)state;
	/* A malformed last complete record: open alone would refuse it. */
	write_log(2);
	append_raw("3 x y z\n");
	assert_int_equal(rp_chainlog_open(path, &l, NULL), RP_E_CHAINLOG);
	assert_int_equal(agent_evlog_open(path, NOW, &l, &rep), RP_OK);
	assert_int_equal(rep.found, AGENT_EVLOG_SAVED);
	assert_int_equal(rep.bad_line, 3);
	assert_int_equal(agent_evlog_event(&rep, &sev, d), 1);
	assert_int_equal(sev, RP_SEV_CRITICAL);
	rp_chainlog_close(l);
}

static void test_log_torn(void **state)
{
	struct agent_evlog_report rep;
	struct rp_chainlog_report vr;
	enum rp_severity sev;
	rp_chainlog *l = NULL;
	char d[RP_DETAIL_MAX + 1];
	uint64_t seq;
	char head[65];

	(void)state;
	write_log(3);
	append_raw("4 1767225604 00");
	assert_int_equal(agent_evlog_open(path, NOW, &l, &rep), RP_OK);
	assert_int_equal(rep.found, AGENT_EVLOG_TORN);
	assert_int_equal(rep.bad_line, 4);
	rp_chainlog_head(l, &seq, head);
	assert_int_equal(seq, 3); /* cut, the chain goes on */
	assert_int_equal(agent_evlog_event(&rep, &sev, d), 1);
	assert_int_equal(sev, RP_SEV_WARNING);
	assert_string_equal(d, "event log: torn record cut at line 4 (power "
	                       "cut during an append)");
	rp_chainlog_close(l);
	assert_int_equal(rp_chainlog_verify(path, &vr), RP_OK);
	assert_int_equal(vr.records, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_running_slot),
	    cmocka_unit_test(test_detail),
	    cmocka_unit_test_setup_teardown(test_life, setup_dev, teardown_dev),
	    cmocka_unit_test_setup_teardown(test_lengths_bounded, setup_dev,
	                                    teardown_dev),
	    cmocka_unit_test_setup(test_log_intact, fresh),
	    cmocka_unit_test_setup(test_log_broken_saved, fresh),
	    cmocka_unit_test_setup(test_log_tail_refused, fresh),
	    cmocka_unit_test_setup(test_log_torn, fresh),
	};

	return cmocka_run_group_tests(tests, setup_log, teardown_log);
}
