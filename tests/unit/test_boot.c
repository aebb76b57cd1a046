/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_boot.c - the boot core's decisions on a simulated flash with real
 * signed images: first boot, trial boots and their attempts, confirm,
 * rollback, refusal of bad, foreign, old and unknown-key images, fallback,
 * recovery, no verification cache, and key-set epochs.
 */
#include <stdlib.h>
#include <string.h>

#include "bootimg.h"
#include "cmocka_all.h"

#define SECTOR  1024u
#define NSECT   18u /* 2 state sectors + 2 slots of 8 sectors */
#define HW      "acme-sensor-v2"
#define IMG_CAP 8192u
#define PAYLOAD 3000u

struct fix {
	struct timg_key k1, k2;
	struct rp_keyset ks;
	struct tdev d;
	uint8_t img[4][IMG_CAP];
	size_t len[4];
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	timg_key(&f->k1, 1);
	timg_key(&f->k2, 2);
	timg_keyset(&f->ks, &f->k1, 1, 1, 1);
	tdev_init(&f->d, NSECT, SECTOR, &f->ks, HW);
	for (int i = 0; i < 4; i++)
		f->len[i] =
		    timg_make(f->img[i], IMG_CAP, &f->k1, 1, HW,
		              (uint32_t)(i + 1), PAYLOAD, (uint8_t)(i * 17));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	tdev_free(&f->d);
	free(f);
	return 0;
}

/* Boot and expect GO on slot with reason; returns the result. */
static struct rp_boot_result boot_ok(struct fix *f, int slot, int reason)
{
	struct rp_boot_result r;
	uint32_t v = tdev_boot(&f->d, &r);

	assert_int_equal(v, RP_BOOT_GO);
	assert_int_equal(r.verdict, RP_BOOT_GO);
	assert_int_equal(r.slot, slot);
	assert_int_equal(r.reason, reason);
	assert_int_equal(f->d.sim.violations, 0);
	return r;
}

static struct rp_boot_result boot_recovery(struct fix *f)
{
	struct rp_boot_result r;
	uint32_t v = tdev_boot(&f->d, &r);

	assert_int_equal(v, RP_BOOT_RECOVERY);
	assert_int_equal(r.verdict, RP_BOOT_RECOVERY);
	assert_int_equal(r.slot, RP_BOOT_SLOT_NONE);
	assert_int_equal(r.reason, RP_BOOT_R_RECOVERY);
	return r;
}

static void install(struct fix *f, int slot, const uint8_t *img, size_t len)
{
	assert_int_equal(tdev_install(&f->d, slot, img, len), RP_OK);
}

static struct rp_boot_state status(struct fix *f)
{
	struct rp_boot_state st;

	assert_int_equal(rp_boot_status(&f->d.sim.f, &f->d.l, &st), RP_OK);
	return st;
}

/* Factory: image 1 (counter 1) in A, first boot records it. */
static void factory(struct fix *f)
{
	struct rp_boot_result r;

	install(f, 0, f->img[0], f->len[0]);
	r = boot_ok(f, 0, RP_BOOT_R_FIRST);
	assert_int_equal(r.hdr.counter, 1);
	assert_int_equal(r.image_len, f->len[0]);
	assert_true(r.stored);
	assert_int_equal(status(f).counter, 1);
	assert_int_equal(status(f).epoch, 1);
}

static void test_first_boot_and_steady(void **state)
{
	struct fix *f = *state;
	unsigned long w;

	factory(f);
	w = f->d.sim.writes + f->d.sim.erases;
	for (int i = 0; i < 3; i++) {
		struct rp_boot_result r = boot_ok(f, 0, RP_BOOT_R_ACTIVE);

		assert_false(r.stored);
		assert_int_equal(r.slot_rc[0], RP_OK);
		assert_int_equal(r.checked[1], 0);
	}
	/* A confirmed image boots without writing to flash. */
	assert_int_equal(f->d.sim.writes + f->d.sim.erases, w);
}

static void test_first_boot_prefers_higher_counter(void **state)
{
	struct fix *f = *state;

	install(f, 0, f->img[0], f->len[0]);
	install(f, 1, f->img[2], f->len[2]);
	boot_ok(f, 1, RP_BOOT_R_FIRST);
	assert_int_equal(status(f).active, 1);
	assert_int_equal(status(f).counter, 3);
}

static void test_trial_confirm(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;
	struct rp_boot_state st;

	factory(f);
	install(f, 1, f->img[1], f->len[1]);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 0), RP_OK);
	r = boot_ok(f, 1, RP_BOOT_R_TRIAL);
	assert_int_equal(r.hdr.counter, 2);
	assert_int_equal(r.state.trials_left, 2);
	st = status(f);
	assert_int_equal(st.trial_booted, 1);
	assert_int_equal(st.trial_counter, 2);
	/* Not raised before confirmation. */
	assert_int_equal(st.counter, 1);
	assert_int_equal(rp_boot_confirm(&f->d.sim.f, &f->d.l), RP_OK);
	st = status(f);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.counter, 2);
	assert_int_equal(st.trial, 0);
	boot_ok(f, 1, RP_BOOT_R_ACTIVE);
	/* The old image in A is now below the confirmed counter: if B
	 * breaks, A is not taken. */
	f->d.sim.mem[f->d.l.slot_off[1] + 300] ^= 1;
	r = boot_recovery(f);
	assert_int_equal(r.slot_rc[1], RP_E_IMAGE_HASH);
	assert_int_equal(r.slot_rc[0], RP_E_IMAGE_COUNTER);
}

static void test_trial_runs_out_and_rolls_back(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;
	struct rp_boot_state st;

	factory(f);
	install(f, 1, f->img[1], f->len[1]);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 3), RP_OK);
	for (int i = 2; i >= 0; i--) {
		r = boot_ok(f, 1, RP_BOOT_R_TRIAL);
		assert_int_equal(r.state.trials_left, i);
	}
	r = boot_ok(f, 0, RP_BOOT_R_ROLLBACK);
	assert_int_equal(r.checked[1], 0);
	st = status(f);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.trial, 0);
	assert_int_equal(st.counter, 1);
	assert_true(st.flags & RP_BOOT_F_ROLLED_BACK);
	/* Too late to confirm. */
	assert_int_equal(rp_boot_confirm(&f->d.sim.f, &f->d.l), RP_E_STATE);
	boot_ok(f, 0, RP_BOOT_R_ACTIVE);
	/* A new attempt clears the flag. */
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 1), RP_OK);
	assert_int_equal(status(f).flags, 0);
	boot_ok(f, 1, RP_BOOT_R_TRIAL);
	boot_ok(f, 0, RP_BOOT_R_ROLLBACK);
}

static void test_trial_refused(void **state)
{
	struct fix *f = *state;
	struct timg_key stranger;
	uint8_t bad[IMG_CAP];
	size_t n;
	struct {
		int what;
		rp_err want;
	} cases[] = {
	    {0, RP_E_IMAGE_HASH},       {1, RP_E_SIG_BAD},
	    {2, RP_E_IMAGE_HW},         {3, RP_E_SIG_UNKNOWN_KEY},
	    {4, RP_E_SIG_UNKNOWN_KEY},  {5, RP_E_IMAGE_MAGIC},
	    {6, RP_E_IMAGE_SIGSECTION},
	};

	factory(f);
	timg_key(&stranger, 9);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rp_boot_result r;

		memcpy(bad, f->img[1], f->len[1]);
		n = f->len[1];
		switch (cases[i].what) {
		case 0: /* payload byte flipped */
			bad[RP_IMAGE_HDR_SIZE + 1000] ^= 0x40;
			break;
		case 1: /* header byte flipped (the version) */
			bad[52] ^= 1;
			break;
		case 2: /* another hardware type, properly signed */
			n = timg_make(bad, IMG_CAP, &f->k1, 1, "other-board", 2,
			              PAYLOAD, 3);
			break;
		case 3: /* signed by a key the device does not trust */
			n = timg_make(bad, IMG_CAP, &stranger, 1, HW, 2,
			              PAYLOAD, 3);
			break;
		case 4: /* torn: the last 70 bytes (the signature and part
		         * of its key id) are still erased flash */
			n = f->len[1] - 70;
			break;
		case 5: /* nothing there */
			memset(bad, 0xff, 256);
			n = 256;
			break;
		case 6: /* signature section damaged */
			bad[RP_IMAGE_HDR_SIZE + PAYLOAD] ^= 1;
			break;
		}
		install(f, 1, bad, n);
		assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 0),
		                 RP_OK);
		r = boot_ok(f, 0, RP_BOOT_R_TRIAL_INVALID);
		assert_int_equal(r.slot_rc[1], cases[i].want);
		assert_true(status(f).flags & RP_BOOT_F_TRIAL_INVALID);
		assert_int_equal(status(f).trial, 0);
		assert_int_equal(rp_boot_confirm(&f->d.sim.f, &f->d.l),
		                 RP_E_STATE);
	}
}

static void test_lower_counter_refused(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;

	/* Confirm image 3 (counter 3) into B, then offer image 2. */
	factory(f);
	install(f, 1, f->img[2], f->len[2]);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 0), RP_OK);
	boot_ok(f, 1, RP_BOOT_R_TRIAL);
	assert_int_equal(rp_boot_confirm(&f->d.sim.f, &f->d.l), RP_OK);
	install(f, 0, f->img[1], f->len[1]);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 0), RP_OK);
	r = boot_ok(f, 1, RP_BOOT_R_TRIAL_INVALID);
	assert_int_equal(r.slot_rc[0], RP_E_IMAGE_COUNTER);
	assert_int_equal(r.min_counter, 3);
	/* The same counter is allowed (a rebuild at the same level). */
	install(f, 0, f->img[2], f->len[2]);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 0), RP_OK);
	boot_ok(f, 0, RP_BOOT_R_TRIAL);
}

static void test_threshold(void **state)
{
	struct fix *f = *state;
	struct timg_key both[2];
	struct rp_boot_result r;

	both[0] = f->k1;
	both[1] = f->k2;
	timg_keyset(&f->d.ks, both, 2, 2, 1);
	/* One signature of two required: not even a first boot. */
	install(f, 0, f->img[0], f->len[0]);
	r = boot_recovery(f);
	assert_int_equal(r.slot_rc[0], RP_E_SIG_THRESHOLD);
	f->len[0] = timg_make(f->img[0], IMG_CAP, both, 2, HW, 1, PAYLOAD, 0);
	install(f, 0, f->img[0], f->len[0]);
	boot_ok(f, 0, RP_BOOT_R_FIRST);
}

/* No verified-once cache: a slot changed after a good boot is refused. */
static void test_no_cache(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;

	factory(f);
	install(f, 1, f->img[0], f->len[0]); /* a spare copy in B */
	boot_ok(f, 0, RP_BOOT_R_ACTIVE);
	f->d.sim.mem[f->d.l.slot_off[0] + RP_IMAGE_HDR_SIZE + 5] ^= 0x80;
	r = boot_ok(f, 1, RP_BOOT_R_FALLBACK);
	assert_int_equal(r.slot_rc[0], RP_E_IMAGE_HASH);
	assert_int_equal(status(f).active, 1);
	assert_true(status(f).flags & RP_BOOT_F_FALLBACK);
	boot_ok(f, 1, RP_BOOT_R_ACTIVE);
	/* Break B as well: nothing may start. */
	f->d.sim.mem[f->d.l.slot_off[1] + 20] ^= 1;
	r = boot_recovery(f);
	assert_int_equal(r.slot_rc[1], RP_E_SIG_BAD);
	assert_int_equal(r.slot_rc[0], RP_E_IMAGE_HASH);
}

static void test_empty_flash_is_recovery(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;

	r = boot_recovery(f);
	assert_int_equal(r.state_rc, RP_E_NOT_FOUND);
	assert_int_equal(r.slot_rc[0], RP_E_IMAGE_MAGIC);
	assert_int_equal(r.slot_rc[1], RP_E_IMAGE_MAGIC);
}

static void test_damaged_state_is_recovery(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;

	factory(f);
	f->d.sim.mem[f->d.l.state_off[0] + 12] ^= 1;
	f->d.sim.mem[f->d.l.state_off[1]] = 0;
	r = boot_recovery(f);
	assert_int_equal(r.state_rc, RP_E_BOOT_STATE);
}

static void test_keyset_epoch(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;

	factory(f);
	/* A newer key set is recorded... */
	f->d.ks.epoch = 4;
	r = boot_ok(f, 0, RP_BOOT_R_ACTIVE);
	assert_true(r.stored);
	assert_int_equal(status(f).epoch, 4);
	/* ...and an older one is refused afterwards. */
	f->d.ks.epoch = 3;
	r = boot_recovery(f);
	assert_int_equal(r.state_rc, RP_E_KEYSET_EPOCH);
}

/* A trial marked over an active slot that breaks: the trial still runs
 * (verified), and if it is refused too, recovery. */
static void test_trial_and_active_broken(void **state)
{
	struct fix *f = *state;

	factory(f);
	install(f, 1, f->img[1], f->len[1]);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 1), RP_OK);
	f->d.sim.mem[f->d.l.slot_off[0] + 400] ^= 1;
	boot_ok(f, 1, RP_BOOT_R_TRIAL);
	/* Attempts used up, A broken: B is valid and not below the
	 * confirmed counter, so it is taken as a fallback. */
	boot_ok(f, 1, RP_BOOT_R_FALLBACK);
	assert_int_equal(status(f).active, 1);
	assert_int_equal(status(f).counter, 1);
}

/* A trial whose attempt cannot be recorded is not started. */
static void test_trial_not_started_if_not_counted(void **state)
{
	struct fix *f = *state;
	struct rp_boot_result r;
	struct rp_boot_state st;

	factory(f);
	install(f, 1, f->img[1], f->len[1]);
	assert_int_equal(rp_boot_set_trial(&f->d.sim.f, &f->d.l, 0), RP_OK);
	f->d.sim.fail_writes = 1;
	r = boot_ok(f, 0, RP_BOOT_R_ACTIVE);
	assert_int_equal(r.slot_rc[1], RP_OK); /* valid, yet not started */
	assert_int_equal(r.store_rc, RP_E_FLASH);
	assert_false(r.stored);
	f->d.sim.fail_writes = 0;
	st = status(f);
	assert_int_equal(st.trial, 1);
	assert_int_equal(st.trials_left, RP_BOOT_TRIALS_DEFAULT);
	assert_int_equal(st.trial_booted, 0);
	boot_ok(f, 1, RP_BOOT_R_TRIAL);
}

/* Flash that cannot be read: nothing is started. */
static void test_unreadable_flash(void **state)
{
	struct fix *f = *state;

	factory(f);
	f->d.sim.dead = 1;
	boot_recovery(f);
	f->d.sim.dead = 0;
	boot_ok(f, 0, RP_BOOT_R_ACTIVE);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_first_boot_and_steady),
	    T(test_first_boot_prefers_higher_counter),
	    T(test_trial_confirm),
	    T(test_trial_runs_out_and_rolls_back),
	    T(test_trial_refused),
	    T(test_lower_counter_refused),
	    T(test_threshold),
	    T(test_no_cache),
	    T(test_empty_flash_is_recovery),
	    T(test_damaged_state_is_recovery),
	    T(test_keyset_epoch),
	    T(test_trial_and_active_broken),
	    T(test_trial_not_started_if_not_counted),
	    T(test_unreadable_flash),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
