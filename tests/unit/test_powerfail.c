/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_powerfail.c - power cut at every step (ctest label powerfail).
 *
 * A device goes through an update life on a simulated NOR flash: first
 * boot; write a new image into the inactive slot, mark it trial, trial
 * boots, confirm; a second update that is never confirmed and rolls back;
 * an invalid trial image; a third update confirmed; a spare copy, then
 * the active slot rots and the boot falls back to the copy. Power is cut at the
 * k-th write or erase, for every k, each cut torn eight ways (nothing written,
 * a growing prefix, nearly all; see simflash.h). After each cut the device
 * boots again, and that recovery boot is itself cut at each of its own writes
 * and erases (torn eight ways) before a final boot. Every boot that completes
 * must start a slot holding, byte for byte, one of the good signed images, with
 * a counter not below the confirmed counter, and within a few more boots any
 * trial must be settled (confirmed state, no trial pending).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootimg.h"
#include "cmocka_all.h"

#define SECTOR  1024u
#define NSECT   10u /* 2 state sectors + 2 slots of 4 sectors */
#define HW      "acme-sensor-v2"
#define IMG_CAP 4096u
#define PAYLOAD 2600u
#define NIMG    5 /* counters 1..5; image 4 is damaged */

struct world {
	struct tdev d;
	uint8_t img[NIMG][IMG_CAP];
	size_t len[NIMG];
	uint8_t *factory;   /* flash from the factory: image 1 in A */
	int have_state;     /* the first boot has recorded the state */
	uint32_t confirmed; /* highest counter whose confirm returned RP_OK */
	unsigned long first_cuts, second_cuts, boots;
};

/* Every step returns 0, or -1 once the power is gone. */
#define STEP(x)                    \
	do {                       \
		if ((x) != 0)      \
			return -1; \
	} while (0)

static int install(struct world *w, int slot, int i)
{
	rp_err rc = tdev_install(&w->d, slot, w->img[i], w->len[i]);

	if (rc != RP_OK) {
		assert_true(w->d.sim.dead);
		return -1;
	}
	return 0;
}

static int set_trial(struct world *w, unsigned trials)
{
	rp_err rc = rp_boot_set_trial(&w->d.sim.f, &w->d.l, trials);

	if (rc != RP_OK) {
		assert_true(w->d.sim.dead);
		return -1;
	}
	return 0;
}

static int confirm(struct world *w, uint32_t counter)
{
	rp_err rc = rp_boot_confirm(&w->d.sim.f, &w->d.l);

	if (rc != RP_OK) {
		assert_true(w->d.sim.dead);
		return -1;
	}
	w->confirmed = counter;
	return 0;
}

static int boot(struct world *w, int slot, int reason)
{
	struct rp_boot_result r;
	uint32_t v = tdev_boot(&w->d, &r);

	if (w->d.sim.dead)
		return -1;
	assert_int_equal(v, RP_BOOT_GO);
	assert_int_equal(r.slot, slot);
	assert_int_equal(r.reason, reason);
	return 0;
}

/* The device's life from the factory flash (image 1 in A, no state). */
static int script(struct world *w)
{
	/* First boot: image 1 recorded as confirmed. */
	STEP(boot(w, 0, RP_BOOT_R_FIRST));
	w->have_state = 1;
	w->confirmed = 1;
	/* Update to image 2: written, marked, two trial boots, confirmed. */
	STEP(install(w, 1, 1));
	STEP(set_trial(w, 3));
	STEP(boot(w, 1, RP_BOOT_R_TRIAL));
	STEP(boot(w, 1, RP_BOOT_R_TRIAL));
	STEP(confirm(w, 2));
	STEP(boot(w, 1, RP_BOOT_R_ACTIVE));
	/* Update to image 3, never confirmed: rolled back to image 2. */
	STEP(install(w, 0, 2));
	STEP(set_trial(w, 2));
	STEP(boot(w, 0, RP_BOOT_R_TRIAL));
	STEP(boot(w, 0, RP_BOOT_R_TRIAL));
	STEP(boot(w, 1, RP_BOOT_R_ROLLBACK));
	STEP(boot(w, 1, RP_BOOT_R_ACTIVE));
	/* A damaged image marked trial: refused at boot. */
	STEP(install(w, 0, 3));
	STEP(set_trial(w, 0));
	STEP(boot(w, 1, RP_BOOT_R_TRIAL_INVALID));
	/* Update to image 5, confirmed after one trial boot. */
	STEP(install(w, 0, 4));
	STEP(set_trial(w, 1));
	STEP(boot(w, 0, RP_BOOT_R_TRIAL));
	STEP(confirm(w, 5));
	STEP(boot(w, 0, RP_BOOT_R_ACTIVE));
	/* A spare copy of image 5 in B; then A rots: B takes over. */
	STEP(install(w, 1, 4));
	w->d.sim.mem[w->d.l.slot_off[0] + RP_IMAGE_HDR_SIZE + 9] ^= 0x20;
	STEP(boot(w, 1, RP_BOOT_R_FALLBACK));
	STEP(boot(w, 1, RP_BOOT_R_ACTIVE));
	return 0;
}

/* A completed boot after a cut: the invariants of docs/boot.md. */
static void check_boot(struct world *w, uint32_t v,
                       const struct rp_boot_result *r)
{
	struct rp_boot_state st;
	const uint8_t *slot;
	int i, match = -1;

	w->boots++;
	assert_int_equal(w->d.sim.violations, 0);
	assert_int_equal(v, RP_BOOT_GO);
	assert_int_equal(r->verdict, RP_BOOT_GO);
	assert_true(r->slot <= 1);
	/* The boot state survived: never back to "first boot" once it
	 * was recorded. */
	if (w->have_state)
		assert_int_equal(r->state_rc, RP_OK);
	else
		assert_true(r->state_rc == RP_OK ||
		            r->state_rc == RP_E_NOT_FOUND);
	slot = w->d.sim.mem + w->d.l.slot_off[r->slot];
	for (i = 0; i < NIMG; i++)
		if (i != 3 && r->image_len == w->len[i] &&
		    memcmp(slot, w->img[i], w->len[i]) == 0)
			match = i;
	assert_true(match >= 0); /* a good signed image, byte for byte */
	assert_int_equal(r->hdr.counter, (uint32_t)match + 1);
	assert_true(r->hdr.counter >= w->confirmed);
	assert_int_equal(rp_boot_status(&w->d.sim.f, &w->d.l, &st), RP_OK);
	assert_true(st.counter >= w->confirmed);
	assert_true(r->hdr.counter >= st.counter);
}

/* Boot, check, and check that any trial settles within a few boots. */
static void recover(struct world *w)
{
	struct rp_boot_result r;
	struct rp_boot_state st;
	uint32_t v;
	int i;

	for (i = 0; i < RP_BOOT_TRIALS_DEFAULT + 2; i++) {
		v = tdev_boot(&w->d, &r);
		check_boot(w, v, &r);
		assert_int_equal(rp_boot_status(&w->d.sim.f, &w->d.l, &st),
		                 RP_OK);
		if (!st.trial)
			break;
	}
	assert_false(st.trial);
}

static void reset(struct world *w)
{
	memcpy(w->d.sim.mem, w->factory, w->d.sim.f.size);
	w->d.sim.ops = w->d.sim.writes = w->d.sim.erases = 0;
	w->d.sim.violations = 0;
	sim_power_on(&w->d.sim);
	w->confirmed = 0;
	w->have_state = 0;
}

static void test_power_cut_everywhere(void **state)
{
	struct timg_key k;
	struct rp_keyset ks;
	struct rp_boot_result r;
	struct world *w = calloc(1, sizeof *w);
	uint8_t *after = malloc(NSECT * SECTOR);
	unsigned long total, k1, n1, k2;
	int t1, t2, i;
	uint32_t v;

	(void)state;
	assert_non_null(w);
	assert_non_null(after);
	timg_key(&k, 7);
	timg_keyset(&ks, &k, 1, 1, 1);
	tdev_init(&w->d, NSECT, SECTOR, &ks, HW);
	for (i = 0; i < NIMG; i++)
		w->len[i] =
		    timg_make(w->img[i], IMG_CAP, &k, 1, HW, (uint32_t)(i + 1),
		              PAYLOAD, (uint8_t)(i * 41));
	w->img[3][RP_IMAGE_HDR_SIZE + 77] ^= 4; /* image 4: damaged */
	/* Factory: image 1 in A, nothing else. */
	assert_int_equal(tdev_install(&w->d, 0, w->img[0], w->len[0]), RP_OK);
	w->factory = malloc(NSECT * SECTOR);
	assert_non_null(w->factory);
	memcpy(w->factory, w->d.sim.mem, NSECT * SECTOR);

	/* The whole life without a cut, counting its writes and erases. */
	reset(w);
	assert_int_equal(script(w), 0);
	total = w->d.sim.ops;
	assert_int_equal(w->confirmed, 5);
	assert_int_equal(w->d.sim.violations, 0);

	for (k1 = 1; k1 <= total; k1++) {
		for (t1 = 0; t1 < SIM_TEAR_KINDS; t1++) {
			reset(w);
			sim_arm(&w->d.sim, k1, t1, (uint32_t)(k1 * 3 + t1));
			assert_int_equal(script(w), -1);
			w->first_cuts++;
			sim_power_on(&w->d.sim);
			memcpy(after, w->d.sim.mem, NSECT * SECTOR);
			/* Recovery without a second cut; count its ops. */
			w->d.sim.ops = 0;
			v = tdev_boot(&w->d, &r);
			n1 = w->d.sim.ops;
			check_boot(w, v, &r);
			recover(w);
			/* A second cut at each op of that recovery boot. */
			for (k2 = 1; k2 <= n1; k2++) {
				for (t2 = 0; t2 < SIM_TEAR_KINDS; t2++) {
					memcpy(w->d.sim.mem, after,
					       NSECT * SECTOR);
					w->d.sim.ops = 0;
					sim_arm(&w->d.sim, k2, t2,
					        (uint32_t)(k2 * 5 + t2));
					v = tdev_boot(&w->d, &r);
					assert_true(w->d.sim.dead);
					sim_power_on(&w->d.sim);
					w->second_cuts++;
					recover(w);
				}
			}
		}
	}
	printf("powerfail: %lu cut points tried: %lu writes and erases "
	       "in the update life x %d ways torn = %lu first cuts, and "
	       "%lu second cuts during the recovery boots; %lu boots "
	       "checked\n",
	       w->first_cuts + w->second_cuts, total, SIM_TEAR_KINDS,
	       w->first_cuts, w->second_cuts, w->boots);
	assert_true(w->first_cuts + w->second_cuts >= 1000);
	tdev_free(&w->d);
	free(w->factory);
	free(after);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_power_cut_everywhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
